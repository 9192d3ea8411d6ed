/*
 * bench-sync - micro workloads for `make bench`; prints "<ns per op>".
 *
 *   bench-sync clock N        clock_gettime(CLOCK_MONOTONIC), the yardstick
 *   bench-sync mutex N        uncontended lock/unlock pairs
 *   bench-sync contended N    2 threads on one mutex, N pairs each
 *   bench-sync condvar N      ping-pong round trips between 2 threads
 *   bench-sync spawn N        pthread_create + pthread_join
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static long n;
static int turn;
static volatile long sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *locker(void *arg)
{
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		sink++;
		pthread_mutex_unlock(&m);
	}
	return arg;
}

static void pingpong(int me)
{
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		while (turn != me)
			pthread_cond_wait(&c, &m);
		turn = !me;
		pthread_cond_signal(&c);
		pthread_mutex_unlock(&m);
	}
}

static void *pong(void *arg)
{
	pingpong(1);
	return arg;
}

static void *nothing(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "mutex";
	pthread_t t;
	double t0;

	n = argc > 2 ? atol(argv[2]) : 1000000;
	t0 = now();
	if (!strcmp(what, "clock")) {
		struct timespec ts;

		for (long i = 0; i < n; i++) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			sink += ts.tv_nsec;
		}
	} else if (!strcmp(what, "mutex")) {
		locker(NULL);
	} else if (!strcmp(what, "contended")) {
		pthread_create(&t, NULL, locker, NULL);
		locker(NULL);
		pthread_join(t, NULL);
	} else if (!strcmp(what, "condvar")) {
		pthread_create(&t, NULL, pong, NULL);
		pingpong(0);
		pthread_join(t, NULL);
	} else if (!strcmp(what, "spawn")) {
		for (long i = 0; i < n; i++) {
			pthread_create(&t, NULL, nothing, NULL);
			pthread_join(t, NULL);
		}
	} else {
		fprintf(stderr, "bench-sync: unknown workload %s\n", what);
		return 2;
	}
	printf("%.1f\n", (now() - t0) / n);
	return 0;
}
