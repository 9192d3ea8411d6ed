/*
 * bench-heap - allocation workloads for `make bench`; prints "<ns per op>".
 *
 *   bench-heap pairs N     2 threads, N malloc/free pairs each (sizes
 *                          16..1024): ns per pair, wall time / (2 N)
 *   bench-heap churn N     one thread keeps 1024 live blocks and replaces
 *                          one at random per op (malloc + free, plus a
 *                          realloc every 8th op): ns per op
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long n;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *pairs(void *arg)
{
	unsigned x = (unsigned)(long)arg * 2654435761u + 1;
	volatile char *p;

	for (long i = 0; i < n; i++) {
		x = x * 1103515245u + 12345;
		p = malloc(16 + (x >> 16) % 1009);
		p[0] = 1;
		free((void *)p);
	}
	return NULL;
}

static void churn(void)
{
	static void *live[1024];
	unsigned x = 7, k;

	for (long i = 0; i < n; i++) {
		x = x * 1103515245u + 12345;
		k = (x >> 8) % 1024;
		free(live[k]);
		live[k] = malloc(16 + (x >> 18) % 2000);
		if (i % 8 == 0)
			live[k] = realloc(live[k], 32 + (x >> 20) % 4000);
	}
	for (k = 0; k < 1024; k++)
		free(live[k]);
}

int main(int argc, char **argv)
{
	pthread_t t[2];
	double t0, t1;
	int i;

	if (argc != 3) {
		fprintf(stderr, "usage: bench-heap pairs|churn N\n");
		return 2;
	}
	n = atol(argv[2]);
	t0 = now();
	if (!strcmp(argv[1], "pairs")) {
		for (i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, pairs, (void *)(long)i);
		for (i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		t1 = now();
		printf("%.1f\n", (t1 - t0) / (2.0 * n));
	} else if (!strcmp(argv[1], "churn")) {
		churn();
		t1 = now();
		printf("%.1f\n", (t1 - t0) / n);
	} else {
		fprintf(stderr, "bench-heap: unknown workload %s\n", argv[1]);
		return 2;
	}
	return 0;
}
