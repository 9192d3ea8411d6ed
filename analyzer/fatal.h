/*
 * fatal.h - FATAL_SIGNAL events told in words, for info, report and the
 * timeline exports.
 */
#ifndef ANA_FATAL_H
#define ANA_FATAL_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/*
 * ana_fatal_str() : "fatal signal SIGSEGV (fault at 0x10) in thread 12:
 * crash_segv (crash.c:21) < main (crash.c:80)", the stack's first
 * nframes frames, innermost first; one the program's handler took is
 * "signal SIGSEGV ... handled by the program in thread ...".  @return buf
 */
const char *ana_fatal_str(const struct ana_trace *t, uint64_t tid,
			  const struct fmt_event *ev, unsigned nframes,
			  char *buf, size_t size);

/* the fatal signals of a trace, told as they are read */
struct ana_fatals {
	char **lines;
	size_t n, cap;
	uint64_t count;		/* all of them; lines keeps the first few */
	uint64_t handled;	/* of count, taken by the program's handler */
};

void ana_fatals_event(struct ana_fatals *f, const struct ana_trace *t,
		      const struct ana_thread *th,
		      const struct fmt_event *ev);
/* "fatal signals: N" and one line each, indented; nothing when none */
void ana_fatals_print(const struct ana_fatals *f);
void ana_fatals_free(struct ana_fatals *f);

#endif
