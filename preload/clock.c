/*
 * clock.c - when pl_now() may read the TSC, and the lines that turn its
 * ticks into CLOCK_MONOTONIC nanoseconds (clock.h).
 *
 * clock_gettime() through the vDSO costs about twice a bare rdtsc (it
 * orders the read with lfence and loops on the kernel's data), and
 * every event pays it.  The TSC is used only when the kernel itself
 * keeps CLOCK_MONOTONIC on it (clocksource "tsc": the kernel found it
 * synchronized across CPUs, and switches away when it stops being so)
 * and CPUID says it is invariant (constant rate through P- and
 * C-states); on anything but x86-64, or with CTRACE_CLOCK=gettime,
 * pl_now() stays on clock_gettime().
 *
 * Calibration costs no wait in the common case: the constructor takes
 * one anchor first thing, and a second when it is done (connecting to
 * the collector, HELLO: a few hundred microseconds), spinning only if
 * that took less than CAL_NS.  Every later anchor refines the rate,
 * measured from the first anchor, so it improves as the run goes on.
 *
 * Anchors: a tick read before clock_gettime() and one after; the reading
 * with the narrowest window of a few is kept, paired with the tick
 * before (so the real clock at that tick is at most the reading).  The
 * rate is an upper bound: the first anchor's window is added to the
 * elapsed ns.  With both, each line starts and ends at or above the real
 * clock (clock.h), so preload times are never earlier than the moment
 * they name; how much later they can be is bounded by the windows over
 * the elapsed time, times the span, plus LEAD_PPM of the span and
 * LEAD_NS.  A line
 * lives baseline / 16 (the time since the first anchor), at most
 * SPAN_MAX_NS, so that bound stays a few ns early on and shrinks after.
 * CTRACE_DEBUG=init prints at exit how far ahead of clock_gettime()
 * the lines were found at their re-anchors.
 */
#include <cpuid.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pl.h"

#define CAL_NS		50000ull	/* the least start-up calibration */
#define SPAN_MAX_NS	50000000ull	/* a line's longest life */
#define LEAD_PPM	1		/* margin for the real rate changing, */
#define LEAD_NS		32		/* and for the kernel's own rounding */
#define STALE_TICKS	(1ull << 35)	/* a writer lock this old is lost */
#define PAIR_TRIES	4
#define PUBLISH_TICKS	512		/* a re-anchor's math and publish */

struct pl_clock pl_clock;

#if defined(__x86_64__)

struct anchor {
	uint64_t t, m, w;	/* tick before, clock reading, window ticks */
};

static struct anchor first;	/* the rate's baseline */
static uint64_t first_w_ns;	/* its window in ns */
static int usable;		/* pl_clock_init() chose the TSC */
static uint64_t writer;		/* tick at which a re-anchor began, 0 */
/* CTRACE_DEBUG=init figures, written under the writer lock */
static uint64_t n_anchor, n_step, max_ahead, max_behind;

static inline uint64_t rdtsc_ordered(void)
{
	__asm__ __volatile__("lfence" ::: "memory");
	return pl_rdtsc();
}

static struct anchor take_anchor(void)
{
	struct anchor best = { 0, 0, ~0ull }, a;
	uint64_t b;
	int i;

	for (i = 0; i < PAIR_TRIES; i++) {
		a.t = rdtsc_ordered();
		a.m = pl_clock_gettime();
		b = rdtsc_ordered();
		a.w = b - a.t;
		if (a.w < best.w)
			best = a;
	}
	return best;
}

/* clocksource0 is "tsc", and CPUID 0x80000007 EDX bit 8 (invariant) */
static int tsc_trusted(void)
{
	static const char path[] =
		"/sys/devices/system/clocksource/clocksource0/current_clocksource";
	unsigned a, b, c, d;
	char buf[16];
	ssize_t n;
	int fd;

	if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007 ||
	    !__get_cpuid(0x80000007, &a, &b, &c, &d) || !(d & (1u << 8)))
		return 0;
	fd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = REAL(read)(fd, buf, sizeof(buf) - 1);
	REAL(close)(fd);
	if (n < 0)
		return 0;
	buf[n] = 0;
	return !strcmp(buf, "tsc\n") || !strcmp(buf, "tsc");
}

/* the reading at tsc along the current line, without re-anchoring */
static uint64_t read_at(uint64_t tsc)
{
	unsigned s;
	uint64_t ns;

	do {
		s = __atomic_load_n(&pl_clock.seq, __ATOMIC_ACQUIRE);
		ns = pl_clock_late(&pl_clock.line[s & 1], tsc);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while (__atomic_load_n(&pl_clock.seq, __ATOMIC_RELAXED) != s);
	return ns;
}

/* the latch: readers move to line[1] while line[0] changes, and back */
static void publish(const struct pl_clock_line *l)
{
	unsigned s = pl_clock.seq;

	__atomic_store_n(&pl_clock.seq, s + 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	pl_clock.line[0] = *l;
	__atomic_store_n(&pl_clock.seq, s + 2, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	pl_clock.line[1] = *l;
}

/* one writer at a time; a lock left by a thread a fork did not copy,
 * or by a writer stopped for seconds, is taken over */
static int writer_lock(uint64_t tsc)
{
	uint64_t v = __atomic_load_n(&writer, __ATOMIC_RELAXED);

	if (v && tsc - v < STALE_TICKS)
		return 0;
	return __atomic_compare_exchange_n(&writer, &v, tsc | 1, 0,
					   __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static void reanchor(void)
{
	struct pl_clock_line cur = pl_clock.line[pl_clock.seq & 1], next;
	struct anchor a = take_anchor();
	uint64_t rate, span_ns, span, was;

	/* another thread re-anchored since we looked at the line: its
	 * line is still young */
	if ((int64_t)(a.t - cur.base_tsc) < 0 || a.t - cur.base_tsc <= cur.span)
		return;
	rate = pl_clock_rate(first.t, first.m - first_w_ns, a.t, a.m);
	if (!rate)
		return;
	span_ns = (a.m - first.m) / 16;
	if (span_ns > SPAN_MAX_NS)
		span_ns = SPAN_MAX_NS;
	span = (uint64_t)(((unsigned __int128)span_ns << PL_CLOCK_SHIFT) /
			  rate) + 1;
	was = pl_clock_late(&cur, a.t);
	if (was >= a.m && was - a.m > max_ahead)
		max_ahead = was - a.m;
	if (was < a.m && a.m - was > max_behind)
		max_behind = a.m - was;
	n_step += was < a.m;
	n_anchor++;
	/* the new line starts a little after its publication: readers of
	 * the old one until then stay behind its start (clock.h) */
	next = pl_clock_next(&cur, a.t, a.m, rdtsc_ordered() + PUBLISH_TICKS,
			     rate, span,
			     span_ns / (1000000 / LEAD_PPM) + LEAD_NS);
	publish(&next);
}

uint64_t pl_clock_anchor(uint64_t tsc)
{
	const struct pl_clock_line *l;
	unsigned s = __atomic_load_n(&pl_clock.seq, __ATOMIC_ACQUIRE);
	uint64_t d;

	l = &pl_clock.line[s & 1];
	d = tsc - l->base_tsc;
	/* a tick from just before someone's re-anchor, or a re-anchor
	 * under way (maybe in the thread this signal handler interrupted) */
	if ((int64_t)d < 0 || d <= l->span || !writer_lock(tsc))
		return read_at(tsc);
	reanchor();
	__atomic_store_n(&writer, 0, __ATOMIC_RELEASE);
	return read_at(pl_rdtsc());
}

static void clock_atfork_child(void)
{
	__atomic_store_n(&writer, 0, __ATOMIC_RELAXED);
}

void pl_clock_init(void)
{
	const char *s = getenv("CTRACE_CLOCK");

	__atomic_store_n(&pl_clock.tsc, 0, __ATOMIC_RELAXED);
	usable = !(s && !strcmp(s, "gettime")) && tsc_trusted();
	if (usable)
		first = take_anchor();
}

void pl_clock_start(void)
{
	struct pl_clock_line l0;
	struct anchor a;
	uint64_t rate;

	if (!usable) {
		pl_dbg(PL_DBG_INIT, "clock: clock_gettime");
		return;
	}
	do
		a = take_anchor();
	while (a.m - first.m < CAL_NS);
	/* windows in ns, at the rough rate: a few tens of ticks each */
	rate = pl_clock_rate(first.t, first.m, a.t, a.m);
	first_w_ns = (uint64_t)(((unsigned __int128)first.w * rate) >>
				PL_CLOCK_SHIFT) + 1;
	rate = pl_clock_rate(first.t, first.m - first_w_ns, a.t, a.m);
	/* sane: 100 MHz to 20 GHz */
	if (rate > (10ull << PL_CLOCK_SHIFT) ||
	    rate < (1ull << PL_CLOCK_SHIFT) / 20) {
		pl_dbg(PL_DBG_INIT, "clock: odd TSC rate, clock_gettime");
		return;
	}
	l0 = (struct pl_clock_line){ a.t, a.m, rate, 0, rate, a.t, a.m, 0 };
	l0.span = (uint64_t)((((unsigned __int128)(a.m - first.m) / 16)
			      << PL_CLOCK_SHIFT) / rate) + 1;
	l0 = pl_clock_next(&l0, a.t, a.m, a.t, rate, l0.span, LEAD_NS);
	publish(&l0);
	pthread_atfork(NULL, NULL, clock_atfork_child);
	__atomic_store_n(&pl_clock.tsc, 1, __ATOMIC_RELEASE);
	pl_dbg(PL_DBG_INIT, "clock: TSC, %.3f ticks per ns, calibrated over "
	       "%llu ns", (double)(1ull << PL_CLOCK_SHIFT) / rate,
	       (unsigned long long)(a.m - first.m));
}

__attribute__((destructor)) static void clock_report(void)
{
	if (!pl_clock.tsc)
		return;
	pl_dbg(PL_DBG_INIT, "clock: %llu re-anchors over %llu ns; lines ahead "
	       "of clock_gettime by at most %llu ns, behind %llu ns (%llu "
	       "times)", (unsigned long long)n_anchor,
	       (unsigned long long)(pl_clock_gettime() - first.m),
	       (unsigned long long)max_ahead, (unsigned long long)max_behind,
	       (unsigned long long)n_step);
}

#else

void pl_clock_init(void)
{
}

void pl_clock_start(void)
{
	pl_dbg(PL_DBG_INIT, "clock: clock_gettime");
}

#endif
