/*
 * log.c - error messages and checked allocation for the ctrace programs.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

const char *log_prog = "ctrace";
const char *log_file;

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	FILE *f = stderr;
	int fd;

	if (log_file) {
		fd = open(log_file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
			  O_CLOEXEC, 0600);
		f = fd >= 0 ? fdopen(fd, "a") : NULL;
		if (!f) {
			if (fd >= 0)
				close(fd);
			return;
		}
	}
	fprintf(f, "%s: %s", log_prog, prefix);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	if (f != stderr)
		fclose(f);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void err_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	exit(status);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die(EXIT_FAIL, "out of memory");
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die(EXIT_FAIL, "out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die(EXIT_FAIL, "out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die(EXIT_FAIL, "out of memory");
	return p;
}
