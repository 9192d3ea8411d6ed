/*
 * log.h - messages of the ctrace programs (not the preload).
 *
 * git style: "<prog>: <what failed>: <why>", lower case, no full stop.
 * die() exits with the given status; the statuses are documented in the
 * man pages and listed here so programs share them.
 */
#ifndef CTRACE_LOG_H
#define CTRACE_LOG_H

#include <stddef.h>

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* generic failure */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NOFILE = 3,	/* input missing or unreadable */
	EXIT_NOTRACE = 4,	/* not a ctrace trace, or unsupported version */
	EXIT_CORRUPT = 5,	/* trace damaged: read up to the damage */
	EXIT_OUTPUT = 6,	/* cannot write the output */
	EXIT_SOCKET = 7,	/* collector: cannot set up its socket */
};

extern const char *log_prog;	/* set by main */
/* when set, messages are appended to this file (made 0600 at the first
 * message, never through a link) instead of going to stderr */
extern const char *log_file;

/* the plural ending of a count: "%zu thread%s", n, plural(n, "s") */
static inline const char *plural(unsigned long long n, const char *ending)
{
	return n == 1 ? "" : ending;
}

void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* err_msg() : an error that does not end the program */
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* checked allocation: dies with EXIT_FAIL on exhaustion */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
