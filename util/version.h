/*
 * version.h - the one version line of ctrace-collector, ctrace-analyze and
 * the ctrace front end (which asks ctrace-analyze for it).
 *
 * CTRACE_VERSION is the Makefile's VERSION, passed with -D; the trace
 * format's version beside it is the one format/file.h writes, since a
 * reader of traces cares about that one more than the release.
 */
#ifndef CTRACE_VERSION_H
#define CTRACE_VERSION_H

#include "file.h"

#ifndef CTRACE_VERSION
#error "CTRACE_VERSION is the Makefile's VERSION: build with make"
#endif

#define CTRACE_STR_(x)	#x
#define CTRACE_STR(x)	CTRACE_STR_(x)

/* "ctrace 0.1 (trace format 1.4)" */
#define CTRACE_VERSION_LINE						\
	"ctrace " CTRACE_VERSION " (trace format "			\
	CTRACE_STR(FMT_VERSION_MAJOR) "." CTRACE_STR(FMT_VERSION_MINOR) ")"

#endif
