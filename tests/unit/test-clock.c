/*
 * test-clock.c - the preload clock's arithmetic (preload/clock.h): the
 * TSC-to-ns line, the rate of two anchors, and the next line of a
 * re-anchor, on given numbers with exact results.
 */
#include <stdint.h>

#include "preload/clock.h"
#include "tap.h"

#define ONE	(1ull << PL_CLOCK_SHIFT)	/* 1 ns per tick */

static void test_conv(void)
{
	/* before its base: from tick 800, 4900 ns at 0.5 ns a tick */
	struct pl_clock_line l = { 1000, 5000, ONE / 2, 0, ONE, 800, 4900,
				   ONE / 2 };
	struct pl_clock_line third = { 0, 0, 0x55555555u, 0, 0, 0, 0, 0 };
	struct pl_clock_line slow = { 0, 7, 3 * (ONE / 2), 0, 0, 0, 7, 0 };
	struct pl_clock_line big = { 1, 0, ONE, 0, 0, 1, 0, 0 };

	ok(pl_clock_conv(&l, 3000) == 6000, "2000 ticks at 0.5 ns: 6000 (%llu)",
	   (unsigned long long)pl_clock_conv(&l, 3000));
	ok(pl_clock_conv(&l, 1000) == 5000, "at the base: base_ns");
	ok(pl_clock_conv(&l, 900) == 4950 && pl_clock_conv(&l, 999) == 4999,
	   "a tick before the base reads the old line's stretch (%llu)",
	   (unsigned long long)pl_clock_conv(&l, 900));
	ok(pl_clock_conv(&l, 700) == 4850,
	   "a tick before that stretch goes back at rate / 2 (%llu)",
	   (unsigned long long)pl_clock_conv(&l, 700));
	ok(pl_clock_conv(&third, 3) == 0 && pl_clock_conv(&third, 4) == 1,
	   "the fraction is truncated: 3 and 4 ticks at 1/3 ns give 0, 1");
	/* d * mult needs 72 bits here: a 64-bit product would wrap */
	ok(pl_clock_conv(&slow, (1ull << 40)) == 1649267441664ull + 7,
	   "2^40 ticks at 1.5 ns, no overflow (%llu)",
	   (unsigned long long)pl_clock_conv(&slow, 1ull << 40));
	ok(pl_clock_conv(&big, (1ull << 62) + 1) == 1ull << 62,
	   "2^62 ticks at 1 ns (a century and more)");
}

static void test_late(void)
{
	/* slews at 0.5 ns per tick for 100 ticks, then the rate: 1 ns */
	struct pl_clock_line l = { 1000, 5000, ONE / 2, 100, ONE, 1000, 5000,
				   0 };

	ok(pl_clock_late(&l, 1050) == 5025, "within the span: the line");
	ok(pl_clock_late(&l, 1100) == 5050, "at its end: the line");
	ok(pl_clock_late(&l, 1101) == 5051 && pl_clock_late(&l, 2100) == 6050,
	   "past it: the line's end, then the rate (%llu)",
	   (unsigned long long)pl_clock_late(&l, 2100));
	ok(pl_clock_late(&l, 900) == 4950,
	   "before the base, no stretch: back from it at rate / 2");
}

static void test_rate(void)
{
	ok(pl_clock_rate(0, 0, 3000000000ull, 1000000000ull) == 0x55555556u,
	   "1 s over 3e9 ticks rounds up to 0x55555556 (%#llx)",
	   (unsigned long long)pl_clock_rate(0, 0, 3000000000ull,
					     1000000000ull));
	ok(pl_clock_rate(10, 100, 20, 110) == ONE, "10 ns over 10 ticks: 1");
	ok(pl_clock_rate(10, 100, 10, 200) == 0, "no ticks: 0");
	ok(pl_clock_rate(10, 100, 20, 90) == 0, "clock back: 0");
}

static void test_next(void)
{
	struct pl_clock_line old = { 0, 1000, ONE, 1000, ONE, 0, 1000, 0 }, l;
	struct pl_clock_line slewed = { 0, 1000, ONE / 2, 100, ONE, 0, 1000, 0 };
	struct pl_clock_line slow = { 0, 1000, ONE / 2, 10000, ONE, 0, 1000, 0 };

	/* the old line reads 2000 at tick 1000 */
	l = pl_clock_next(&old, 1000, 1990, 1000, ONE, 1000, 0);
	ok(l.base_tsc == 1000 && l.base_ns == 2001 && l.span == 1000 &&
	   l.rate == ONE,
	   "ahead by 10: starts 1 ns after the old line (%llu)",
	   (unsigned long long)l.base_ns);
	ok(l.mult == 4247722656ull,
	   "and slews to 989 ns over 1000 ticks, rounded up (%llu)",
	   (unsigned long long)l.mult);
	ok(pl_clock_conv(&l, 2000) == 2990,
	   "reaching the real clock's 2990 at the span's end (%llu)",
	   (unsigned long long)pl_clock_conv(&l, 2000));

	l = pl_clock_next(&old, 1000, 2010, 1000, ONE, 1000, 5);
	ok(l.base_ns == 2010, "behind by 10: steps forward to the reading");
	ok(l.mult == 4316442133ull && pl_clock_conv(&l, 2000) == 3015,
	   "and ends 5 ns (lead) above it: %llu, %llu",
	   (unsigned long long)l.mult,
	   (unsigned long long)pl_clock_conv(&l, 2000));

	l = pl_clock_next(&old, 1000, 500, 1000, ONE, 1000, 0);
	ok(l.base_ns == 2001 && l.mult == ONE / 2,
	   "far ahead: no step back, slope rate / 2 (%llu)",
	   (unsigned long long)l.mult);

	/* long past its span: the old line's end, 1050, then 1 ns a tick */
	l = pl_clock_next(&slewed, 10000, 10950, 10000, ONE, 1000, 0);
	ok(l.base_ns == 10951 && l.mult == 4290672329ull,
	   "a slewed line read long after its span: no drift (%llu, %llu)",
	   (unsigned long long)l.base_ns, (unsigned long long)l.mult);

	/* published later than the reading: the line starts at tw */
	l = pl_clock_next(&old, 1000, 2000, 1200, ONE, 1000, 0);
	ok(l.base_tsc == 1200 && l.base_ns == 2201 &&
	   l.mult == 4290672329ull && pl_clock_conv(&l, 2200) == 3200,
	   "starting at tw: 2201 at tick 1200, 3200 at its end (%llu)",
	   (unsigned long long)l.base_ns);
	/* the flat spot: until tw, every tick read 2201 */
	ok(l.pre_tsc == 1000 && l.pre_ns == 2000 && l.pre_mult == ONE,
	   "before tw: old's chord from t, 2000 ns at 1 ns a tick (%llu)",
	   (unsigned long long)l.pre_mult);
	ok(pl_clock_conv(&l, 1100) == 2100 && pl_clock_conv(&l, 1101) == 2101 &&
	   pl_clock_conv(&l, 1199) == 2199,
	   "a tick before tw reads old's time there, still moving (%llu)",
	   (unsigned long long)pl_clock_conv(&l, 1101));
	ok(pl_clock_conv(&l, 1000) == 2000 && pl_clock_conv(&l, 999) == 2000,
	   "at t the chord's start, and a tick before (half a ns, truncated)");
	/* a reader's tick from before the re-anchor's own, converted after
	 * it published: clamped to 2000, two such ticks once read one time */
	ok(pl_clock_conv(&l, 995) == 1998 && pl_clock_conv(&l, 990) == 1995 &&
	   pl_clock_conv(&l, 0) == 1500,
	   "ticks before t go back at rate / 2, still moving (%llu)",
	   (unsigned long long)pl_clock_conv(&l, 990));
	ok(pl_clock_conv(&l, 990) > pl_clock_late(&old, 990) &&
	   pl_clock_conv(&l, 0) > pl_clock_late(&old, 0),
	   "and stay above the old line there");

	l = pl_clock_next(&slow, 1000, 2000, 1100, ONE, 1000, 0);
	ok(l.base_ns == 2100 && l.mult == ONE,
	   "old far behind: steps to the most the clock can be at tw (%llu)",
	   (unsigned long long)l.base_ns);
}

int main(void)
{
	test_conv();
	test_late();
	test_rate();
	test_next();
	return tap_done();
}
