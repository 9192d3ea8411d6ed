/*
 * bench-io - io, wait and sleep workloads for `make bench`; prints
 * "<ns per op>".
 *
 *   bench-io pipe N     N 64-byte messages from one thread to another over
 *                       a pipe, the reader polling before each read
 *                       (per message: a write, a poll, a read)
 *   bench-io read1 N    read() of 1 byte from /dev/zero: the per-call cost
 *                       of the read hook
 *   bench-io fgets N    fgets() of 31 bytes from a /dev/zero stream (no
 *                       newline: buffer-filled, one read(2) per 132
 *                       calls): the cost of the stdio hooks
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long n;
static int fds[2];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *writer(void *arg)
{
	char msg[64];

	memset(msg, 'x', sizeof(msg));
	for (long i = 0; i < n; i++)
		if (write(fds[1], msg, sizeof(msg)) != sizeof(msg))
			exit(1);
	return arg;
}

static void pipe_bench(void)
{
	struct pollfd p = { .events = POLLIN };
	pthread_t t;
	char buf[64];

	if (pipe(fds))
		exit(1);
	p.fd = fds[0];
	pthread_create(&t, NULL, writer, NULL);
	for (long i = 0; i < n; i++) {
		if (poll(&p, 1, -1) != 1 || read(fds[0], buf, 64) != 64)
			exit(1);
	}
	pthread_join(t, NULL);
}

static void read1_bench(void)
{
	int fd = open("/dev/zero", O_RDONLY);
	char c;

	if (fd < 0)
		exit(1);
	for (long i = 0; i < n; i++)
		if (read(fd, &c, 1) != 1)
			exit(1);
}

static void fgets_bench(void)
{
	FILE *f = fopen("/dev/zero", "r");
	char buf[32];

	if (!f)
		exit(1);
	for (long i = 0; i < n; i++)
		if (!fgets(buf, sizeof(buf), f))
			exit(1);
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "pipe";
	double t0;

	n = argc > 2 ? atol(argv[2]) : 100000;
	t0 = now();
	if (!strcmp(what, "pipe")) {
		pipe_bench();
	} else if (!strcmp(what, "read1")) {
		read1_bench();
	} else if (!strcmp(what, "fgets")) {
		fgets_bench();
	} else {
		fprintf(stderr, "bench-io: unknown workload %s\n", what);
		return 2;
	}
	printf("%.1f\n", (now() - t0) / n);
	return 0;
}
