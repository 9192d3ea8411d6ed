/*
 * bench-cpu - CPU-bound work for `make bench`, the case where tracing
 * should cost nothing but its CPU samples; prints "<ns per op>".
 *
 *   bench-cpu mandel N   N rows of a 1024-pixel-wide Mandelbrot set,
 *                        split between two threads (a row is an op);
 *                        about 20 events besides the samples
 *   bench-cpu spin N     N rounds of a dependent multiply chain on one
 *                        thread, to measure the cost of one sample: run
 *                        it at two CTRACE_CPU_HZ and divide the
 *                        difference in time by the difference in samples
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WIDTH	1024
#define MAXIT	256

static long rows;
static volatile unsigned sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static __attribute__((noinline)) unsigned pixel(long x, long y)
{
	double cr = -2.0 + 3.0 * x / WIDTH, ci = -1.5 + 3.0 * y / rows;
	double zr = 0, zi = 0, t;
	unsigned it = 0;

	while (it < MAXIT && zr * zr + zi * zi <= 4.0) {
		t = zr * zr - zi * zi + cr;
		zi = 2 * zr * zi + ci;
		zr = t;
		it++;
	}
	return it;
}

static void *worker(void *arg)
{
	long first = (long)(intptr_t)arg, x, y;
	unsigned sum = 0;

	for (y = first; y < rows; y += 2)
		for (x = 0; x < WIDTH; x++)
			sum += pixel(x, y);
	sink += sum;
	return NULL;
}

static double mandel(long n)
{
	pthread_t th[2];
	double t0 = now();
	long i;

	rows = n;
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	return (now() - t0) / n;
}

static double spin(long n)
{
	double t0 = now();
	uint64_t v = 1;
	long i;

	for (i = 0; i < n; i++)
		v = v * 6364136223846793005ull + 1442695040888963407ull;
	sink = (unsigned)v;
	return (now() - t0) / n;
}

int main(int argc, char **argv)
{
	long n;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: bench-cpu mandel|spin N\n");
		return 2;
	}
	if (!strcmp(argv[1], "mandel"))
		printf("%.1f\n", mandel(n));
	else if (!strcmp(argv[1], "spin"))
		printf("%.3f\n", spin(n));
	else
		return 2;
	return 0;
}
