/*
 * fatal.c - FATAL_SIGNAL events told in words (see fatal.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatal.h"
#include "log.h"
#include "symbols.h"

#define FATAL_FRAMES	3	/* frames a line shows */
#define FATAL_LINES	16	/* lines kept; the count says the rest */

static void signame(unsigned sig, char *buf, size_t size)
{
	const char *ab = sig < 128 ? sigabbrev_np((int)sig) : NULL;

	if (ab)
		snprintf(buf, size, "SIG%s", ab);
	else
		snprintf(buf, size, "signal %u", sig);
}

static int handled(const struct fmt_event *ev)
{
	return ev->f[FMT_F_FATAL_SIGNAL_action] == FMT_SIG_HANDLER;
}

const char *ana_fatal_str(const struct ana_trace *t, uint64_t tid,
			  const struct fmt_event *ev, unsigned nframes,
			  char *buf, size_t size)
{
	const uint64_t *f = ev->f;
	const struct ana_stack *st = ana_stack(t, f[FMT_F_FATAL_SIGNAL_stack]);
	char name[32], fr[256];
	size_t n;
	unsigned i;

	signame((unsigned)f[FMT_F_FATAL_SIGNAL_sig], name, sizeof(name));
	n = (size_t)snprintf(buf, size, "%s %s", handled(ev) ? "signal" :
			     "fatal signal", name);
	if (n < size && f[FMT_F_FATAL_SIGNAL_addr])
		n += (size_t)snprintf(buf + n, size - n, " (fault at %#" PRIx64
				      ")", f[FMT_F_FATAL_SIGNAL_addr]);
	else if (n < size && f[FMT_F_FATAL_SIGNAL_pid])
		n += (size_t)snprintf(buf + n, size - n, " (sent by pid %"
				      PRId64 ")",
				      (int64_t)f[FMT_F_FATAL_SIGNAL_pid]);
	if (n < size && handled(ev))
		n += (size_t)snprintf(buf + n, size - n,
				      " handled by the program");
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, " in thread %" PRIu64
				      ":", tid);
	for (i = 0; st && i < st->n && i < nframes && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
				      i ? " < " : " ",
				      ana_frame_str(t, st->image,
						    st->frames[i], fr,
						    sizeof(fr)));
	if (n < size && (!st || !st->n))
		snprintf(buf + n, size - n, " (no stack)");
	return buf;
}

void ana_fatals_event(struct ana_fatals *f, const struct ana_trace *t,
		      const struct ana_thread *th, const struct fmt_event *ev)
{
	char buf[1024];

	if (ev->type != FMT_EV_FATAL_SIGNAL)
		return;
	f->count++;
	f->handled += handled(ev);
	if (f->n >= FATAL_LINES)
		return;
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 4;
		f->lines = realloc(f->lines, f->cap * sizeof(*f->lines));
		if (!f->lines)
			die(EXIT_FAIL, "out of memory");
	}
	ana_fatal_str(t, th->tid, ev, FATAL_FRAMES, buf, sizeof(buf));
	f->lines[f->n] = strdup(buf);
	if (!f->lines[f->n])
		die(EXIT_FAIL, "out of memory");
	f->n++;
}

void ana_fatals_print(const struct ana_fatals *f)
{
	size_t i;

	if (!f->count)
		return;
	printf("fatal signals: %" PRIu64, f->count);
	if (f->handled)
		printf(" (%" PRIu64 " handled by the program)", f->handled);
	printf("\n");
	for (i = 0; i < f->n; i++)
		printf("  %s\n", f->lines[i]);
	if (f->count > f->n)
		printf("  (%" PRIu64 " more)\n", f->count - f->n);
}

void ana_fatals_free(struct ana_fatals *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->lines[i]);
	free(f->lines);
	memset(f, 0, sizeof(*f));
}
