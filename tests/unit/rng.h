/*
 * rng.h - deterministic random numbers for the unit tests.
 *
 * Each test prints its seed; CTRACE_TEST_SEED=N reruns it with another.
 */
#ifndef CTRACE_RNG_H
#define CTRACE_RNG_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng_state __attribute__((unused));

static __attribute__((unused)) void rng_seed(uint64_t dflt)
{
	const char *s = getenv("CTRACE_TEST_SEED");

	rng_state = s ? strtoull(s, NULL, 0) : dflt;
	printf("# seed %llu\n", (unsigned long long)rng_state);
}

/* splitmix64 */
static __attribute__((unused)) uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n), n > 0 */
static __attribute__((unused)) uint64_t rng_below(uint64_t n)
{
	return rng_next() % n;
}

/* a value that exercises varint lengths: edges, small, any width */
static __attribute__((unused)) uint64_t rng_value(void)
{
	switch (rng_below(8)) {
	case 0:		return 0;
	case 1:		return UINT64_MAX;
	case 2:		return rng_below(128);
	case 3:		return (uint64_t)1 << rng_below(64);
	case 4:		return ((uint64_t)1 << rng_below(64)) - 1;
	case 5:		return (uint64_t)-(int64_t)rng_below(1000);	/* negative */
	case 6:		return (uint64_t)INT64_MIN + rng_below(2);
	}
	return rng_next() >> rng_below(64);
}

#endif
