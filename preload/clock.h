/*
 * clock.h - the preload's clock: CLOCK_MONOTONIC nanoseconds, read from
 * the TSC when it can be trusted (clock.c decides at start-up).
 *
 * The TSC is turned into CLOCK_MONOTONIC time along a line
 *
 *   ns = base_ns + ((tsc - base_tsc) * mult) >> 32
 *
 * that clock.c re-anchors against clock_gettime() once the line is
 * `span` ticks old, from whichever pl_now() notices first: so the error
 * against the collector's own CLOCK_MONOTONIC readings stays bounded
 * (see clock.c for the figures).  A new line starts where the old one
 * is at that moment and slews towards the real clock over the next
 * span, so time never steps back.
 *
 * The two copies of the line are a "latch": the writer updates one
 * while readers use the other, so a reader never waits for the writer,
 * not even a signal handler that interrupted it.
 *
 * The arithmetic is here, inline and free of the rest of the preload,
 * so that tests/unit/test-clock.c checks exactly the code pl_now() runs.
 */
#ifndef CTRACE_CLOCK_H
#define CTRACE_CLOCK_H

#include <stdint.h>
#include <time.h>

#define PL_CLOCK_SHIFT	32

struct pl_clock_line {
	uint64_t base_tsc;
	uint64_t base_ns;
	uint64_t mult;		/* ns per tick << PL_CLOCK_SHIFT */
	uint64_t span;		/* ticks after base_tsc: re-anchor */
	uint64_t rate;		/* the measured rate, after span */
	/* before base_tsc, from pre_tsc: the line this one replaced, as
	 * the chord of its last stretch (pl_clock_next()) */
	uint64_t pre_tsc, pre_ns, pre_mult;
};

struct pl_clock {
	int tsc;		/* 1: read the TSC, 0: clock_gettime() */
	unsigned seq;		/* latch: line[seq & 1] is stable */
	struct pl_clock_line line[2];
};

extern struct pl_clock pl_clock;

/* pl_clock_along() : the line's time d >= 0 ticks after its base */
static inline uint64_t pl_clock_along(const struct pl_clock_line *l,
				      uint64_t d)
{
	return l->base_ns +
	       (uint64_t)(((unsigned __int128)d * l->mult) >> PL_CLOCK_SHIFT);
}

/*
 * pl_clock_conv() : the line's time at tsc.  A tick before the base,
 * which a re-anchor's own thread and its racing readers take in the few
 * hundred ticks until the new line starts, reads the old line's last
 * stretch, still moving: every reader of it once read the base, so all
 * the events of that stretch had one and the same time.  A tick before
 * even that stretch is one that a reader took before the re-anchor's
 * own tick and converted only after the new line was out (it found the
 * old line past its span while another thread re-anchored).  It goes
 * back from the stretch's start at rate / 2, still moving: clamped to
 * the start, two heap calls of one thread in that window once came out
 * with one time.  Half the rate stays above the old line, which ran at
 * about the rate there, so a later tick never reads an earlier time.
 */
static inline uint64_t pl_clock_conv(const struct pl_clock_line *l,
				     uint64_t tsc)
{
	uint64_t d = tsc - l->base_tsc, back;

	if ((int64_t)d >= 0)
		return pl_clock_along(l, d);
	d = tsc - l->pre_tsc;
	if ((int64_t)d <= 0) {
		back = (uint64_t)(((unsigned __int128)(l->pre_tsc - tsc) *
				   (l->rate / 2)) >> PL_CLOCK_SHIFT);
		return back < l->pre_ns ? l->pre_ns - back : 0;
	}
	return l->pre_ns + (uint64_t)(((unsigned __int128)d * l->pre_mult) >>
				      PL_CLOCK_SHIFT);
}

/*
 * pl_clock_late() : the time at a tick past the line's span, which only
 * the slow paths see (the re-anchor, or a reader while another thread
 * re-anchors): the line's value at its end, then the measured rate.  Not
 * the line's own slope: that one slews towards the real clock over the
 * span, and carried on over a long sleep it would miss it by far.
 */
static inline uint64_t pl_clock_late(const struct pl_clock_line *l,
				     uint64_t tsc)
{
	uint64_t d = tsc - l->base_tsc;

	if ((int64_t)d < 0 || d <= l->span)
		return pl_clock_conv(l, tsc);
	return pl_clock_conv(l, l->base_tsc + l->span) +
	       (uint64_t)(((unsigned __int128)(d - l->span) * l->rate) >>
			  PL_CLOCK_SHIFT);
}

static inline uint64_t pl_clock_div_up(unsigned __int128 ns,
				       uint64_t ticks)
{
	return (uint64_t)(((ns << PL_CLOCK_SHIFT) + ticks - 1) / ticks);
}

/*
 * pl_clock_next() : the line after old.  t is a tick read just before a
 * clock_gettime() that gave m (the real clock at t is at most m), tw the
 * tick the new line starts at, rate an upper
 * bound of the real ns per tick (<< SHIFT), span the ticks until the
 * next re-anchor, lead ns of margin for the real rate changing (NTP).
 *
 * The line starts at tw, 1 ns after old's value there.  With tw a little
 * after the publication, readers of old are behind every reader of the
 * new line, so time never goes back in a thread.  Until tw the new line
 * reads old's chord from t to tw, rounded down so that it stays below
 * the base (pl_clock_conv()).  If old fell below the most the real clock can
 * be at tw, the line steps forward to it.  It ends span ticks later,
 * lead ns above that most: both ends are at or above the real clock, so
 * the whole line is, and a preload time is never before the instant it
 * names, only a little late.  A line far ahead slews down, its slope
 * never below rate / 2.  Slopes round up, so the end is not missed by
 * the truncation of pl_clock_conv().
 */
static inline struct pl_clock_line
pl_clock_next(const struct pl_clock_line *old, uint64_t t, uint64_t m,
	      uint64_t tw, uint64_t rate, uint64_t span, uint64_t lead)
{
	struct pl_clock_line l = { tw, pl_clock_late(old, tw) + 1, rate / 2,
				   span, rate, t < tw ? t : tw, 0, 0 };
	uint64_t most, end;

	l.pre_ns = pl_clock_late(old, l.pre_tsc);
	if (tw > l.pre_tsc)
		l.pre_mult = (uint64_t)((((unsigned __int128)(l.base_ns - 1 -
							      l.pre_ns))
					 << PL_CLOCK_SHIFT) / (tw - l.pre_tsc));

	most = m + (uint64_t)((((unsigned __int128)(tw - t) * rate) +
			       (1ull << PL_CLOCK_SHIFT) - 1) >> PL_CLOCK_SHIFT);
	if (l.base_ns < most)
		l.base_ns = most;
	end = most + (uint64_t)(((unsigned __int128)span * rate) >>
				PL_CLOCK_SHIFT) + lead;
	if (end > l.base_ns && pl_clock_div_up(end - l.base_ns, span) > l.mult)
		l.mult = pl_clock_div_up(end - l.base_ns, span);
	return l;
}

/* pl_clock_rate() : ns per tick << SHIFT between two anchors, rounded
 * up (an upper bound is what pl_clock_next() wants); 0: no time passed */
static inline uint64_t pl_clock_rate(uint64_t t0, uint64_t m0, uint64_t t1,
				     uint64_t m1)
{
	if (t1 <= t0 || m1 < m0)
		return 0;
	return pl_clock_div_up(m1 - m0, t1 - t0);
}

static inline uint64_t pl_clock_gettime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

#if defined(__x86_64__)
static inline uint64_t pl_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* clock.c: the line is too old, make the next one; returns the time */
uint64_t pl_clock_anchor(uint64_t tsc);

static inline uint64_t pl_clock_tsc(void)
{
	const struct pl_clock_line *l;
	unsigned s;
	uint64_t t, ns;

	do {
		s = __atomic_load_n(&pl_clock.seq, __ATOMIC_ACQUIRE);
		l = &pl_clock.line[s & 1];
		t = pl_rdtsc();
		if (__builtin_expect(t - l->base_tsc > l->span, 0))
			return pl_clock_anchor(t);
		ns = pl_clock_along(l, t - l->base_tsc);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while (__atomic_load_n(&pl_clock.seq, __ATOMIC_RELAXED) != s);
	return ns;
}
#else
static inline uint64_t pl_clock_tsc(void)
{
	return pl_clock_gettime();
}
#endif

/* pl_clock_init() : decide (CTRACE_CLOCK, the clocksource, CPUID) and
 * take the first anchor; pl_clock_start() takes the second, which
 * gives the first rate, and switches to the TSC.  In between, pl_now()
 * reads clock_gettime(). */
void pl_clock_init(void);
void pl_clock_start(void);

#endif
