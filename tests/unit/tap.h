/*
 * tap.h - minimal TAP producer for the C unit tests.
 *
 *	ok(cond, "what was checked %d", n);
 *	return tap_done();
 *
 * tests/run.sh counts the "ok"/"not ok" lines; a test that dies before
 * tap_done() is counted as one failure.
 */
#ifndef CTRACE_TAP_H
#define CTRACE_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

static void __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
