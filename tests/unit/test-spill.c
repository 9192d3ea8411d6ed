/*
 * test-spill.c - the external sort of analyzer/spill.c: records come back
 * in order, equal keys in the order they were added, whether they fit one
 * run (no file) or spill into many runs that are merged.
 */
#include <stdint.h>
#include <stdlib.h>

#include "analyzer/spill.h"
#include "tap.h"

struct rec {
	uint64_t key, seq;
};

/* by key only: equal keys must keep their order across runs */
static int by_key(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/* within a run qsort may reorder equal keys: runs are tie-broken by seq */
static int by_key_seq(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void check(size_t n, size_t run, uint64_t keys, int with_seq)
{
	struct ana_spill s;
	const struct rec *r;
	struct rec prev = { 0, 0 }, x;
	uint64_t state = 88172645463325252ull, got = 0, sum = 0, want = 0;
	int sorted = 1, stable = 1;
	size_t i;

	ana_spill_init(&s, sizeof(struct rec), with_seq ? by_key_seq : by_key);
	if (run)
		s.max = run;
	for (i = 0; i < n; i++) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		x.key = state % keys;
		x.seq = i;
		want += x.key * 31 + x.seq;
		ana_spill_add(&s, &x);
	}
	ana_spill_sort(&s);
	while ((r = ana_spill_next(&s))) {
		if (got && r->key < prev.key)
			sorted = 0;
		if (got && r->key == prev.key && r->seq < prev.seq)
			stable = 0;
		sum += r->key * 31 + r->seq;
		prev = *r;
		got++;
	}
	ok(got == n, "%zu records, runs of %zu: all back (%llu)", n, run,
	   (unsigned long long)got);
	ok(sum == want, "%zu records, runs of %zu: the same records", n, run);
	ok(sorted, "%zu records, runs of %zu: in order", n, run);
	if (with_seq)
		ok(stable, "%zu records, runs of %zu: equal keys in the order "
		   "added", n, run);
	ok(run && n > run ? s.nruns == (n + run - 1) / run : s.nruns == 0,
	   "%zu records, runs of %zu: %zu runs written", n, run, s.nruns);
	ana_spill_free(&s);
}

int main(void)
{
	check(0, 0, 10, 1);
	check(1000, 0, 50, 1);		/* one run in memory */
	check(1000, 1000, 50, 1);	/* exactly one run: still no file */
	check(1001, 1000, 50, 1);	/* a run and a record */
	check(100000, 997, 1000, 1);	/* 101 runs merged */
	check(50000, 64, 3, 1);		/* many equal keys across runs */
	check(20000, 333, 1u << 30, 0);
	return tap_done();
}
