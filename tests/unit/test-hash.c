/*
 * test-hash.c - util/hash.c, the programs' one hash function and table:
 * the functions' values (the collector and analyzer rely on them staying
 * put: the order of iteration follows them), insert, find, replace,
 * growth, keys sharing a home slot, wrap-around, deletion by shifting
 * back, and iteration in slot order; the same for the table of records.  Expected values were computed
 * apart from this code (by hand-written Python of the same formulas).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "tap.h"

#define V(n)	((void *)(uintptr_t)(n))

static void test_functions(void)
{
	ok(hash_u64(0) == 0, "hash_u64(0) is 0");
	ok(hash_u64(1) == 0xff51afd792fd5b26ull, "hash_u64(1)");
	ok(hash_u64(0xdeadbeef) == 0x1280ffa5f4a7e6b1ull,
	   "hash_u64(0xdeadbeef)");
	ok(hash_bytes("", 0) == 0x20b561b035c35d8full, "hash_bytes of none");
	ok(hash_bytes("abc", 3) == 0x5f8f7b7aa81b2c57ull, "hash_bytes(abc)");
	ok(hash_bytes("a\0b", 3) == 0x7bea2864d61d889aull,
	   "hash_bytes counts a NUL byte like any other");
	ok(hash_str("abc") == hash_bytes("abc", 3), "hash_str is hash_bytes");
	ok(hash_bytes("ab", 2) != hash_bytes("ba", 2), "order counts");
	ok(hash_next(0) == 1 && hash_next(1) == HASH_GOLDEN + 1,
	   "hash_next steps by the golden ratio");
}

static void test_basic(void)
{
	struct hmap m = { 0 };

	ok(!hmap_get(&m, 7) && !hmap_del(&m, 7) && !hmap_next(&m, NULL),
	   "an empty table finds, deletes and iterates nothing");
	ok(!hmap_put(&m, 7, V(70)) && m.len == 1 && m.cap == 64,
	   "the first put makes 64 slots");
	ok(hmap_get(&m, 7) == V(70) && !hmap_get(&m, 8), "get finds it");
	ok(hmap_put(&m, 7, V(71)) == V(70) && m.len == 1 &&
	   hmap_get(&m, 7) == V(71), "put replaces, returning the old value");
	ok(!hmap_put(&m, 0, V(1)) && hmap_get(&m, 0) == V(1) && m.len == 2,
	   "key 0 is a key like any other");
	ok(hmap_del(&m, 0) == V(1) && !hmap_get(&m, 0) && m.len == 1,
	   "key 0 deletes");
	hmap_free(&m);
	ok(!m.ents && !m.cap && !m.len && !hmap_get(&m, 7),
	   "free empties the table");
	ok(!hmap_put(&m, 7, V(1)) && hmap_get(&m, 7) == V(1),
	   "a freed table is usable again");
	hmap_free(&m);
}

static void test_grow(void)
{
	struct hmap m = { 0 };
	size_t caps[8], ncaps = 0, all = 1;
	uint64_t k;

	for (k = 1; k <= 1000; k++) {
		hmap_put(&m, k * 4096, V(k));
		if (!ncaps || caps[ncaps - 1] != m.cap)
			caps[ncaps++] = m.cap;
	}
	ok(ncaps == 6 && caps[0] == 64 && caps[1] == 128 && caps[5] == 2048,
	   "doubles from 64 to 2048 for 1000 keys (%zu sizes, last %zu)",
	   ncaps, m.cap);
	ok(m.len == 1000, "1000 entries (%zu)", m.len);
	for (k = 1; k <= 1000; k++)
		all &= hmap_get(&m, k * 4096) == V(k);
	ok(all, "every key found after growing");
	ok(!hmap_get(&m, 4096 * 1001) && !hmap_get(&m, 1),
	   "keys never put are not found");
	hmap_free(&m);
	for (k = 1; k <= 48; k++)
		hmap_put(&m, k, V(k));
	ok(m.cap == 64, "48 entries fit 64 slots (3/4)");
	hmap_put(&m, 49, V(49));
	ok(m.cap == 128, "the 49th doubles them");
	hmap_free(&m);
}

/* the slot holding key, or -1 */
static long slot_of(const struct hmap *m, uint64_t key)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->ents[i].val && m->ents[i].key == key)
			return (long)i;
	return -1;
}

static void test_collisions(void)
{
	/* keys of one home slot in 64 slots (hash_u64(k) & 63) */
	static const uint64_t at5[] = { 35, 56, 97, 126, 151 };
	static const uint64_t at63[] = { 82, 91, 182 }, at0[] = { 277, 308 };
	struct hmap m = { 0 };
	int i, found = 1, placed = 1;

	for (i = 0; i < 5; i++)
		hmap_put(&m, at5[i], V(i + 1));
	for (i = 0; i < 5; i++) {
		found &= hmap_get(&m, at5[i]) == V(i + 1);
		placed &= slot_of(&m, at5[i]) == 5 + i;
	}
	ok(found && placed, "5 keys of home slot 5 fill slots 5 to 9");
	ok(hmap_del(&m, 56) == V(2), "delete the second of them");
	ok(slot_of(&m, 97) == 6 && slot_of(&m, 126) == 7 &&
	   slot_of(&m, 151) == 8 && slot_of(&m, 35) == 5 && !m.ents[9].val,
	   "the later ones shift back into the hole");
	ok(!hmap_get(&m, 56) && hmap_get(&m, 151) == V(5) && m.len == 4,
	   "the deleted key is gone, the rest found");
	ok(!hmap_del(&m, 56) && m.len == 4, "deleting it again does nothing");
	hmap_free(&m);

	for (i = 0; i < 3; i++)
		hmap_put(&m, at63[i], V(i + 1));
	hmap_put(&m, at0[0], V(9));
	ok(slot_of(&m, 82) == 63 && slot_of(&m, 91) == 0 &&
	   slot_of(&m, 182) == 1 && slot_of(&m, 277) == 2,
	   "probing wraps from the last slot to the first");
	ok(hmap_get(&m, 182) == V(3) && hmap_get(&m, 277) == V(9),
	   "keys past the wrap are found");
	ok(hmap_del(&m, 82) == V(1) && slot_of(&m, 91) == 63 &&
	   slot_of(&m, 182) == 0 && slot_of(&m, 277) == 1,
	   "deleting before the wrap shifts entries back across it");
	ok(hmap_del(&m, 277) == V(9) && !m.ents[1].val &&
	   slot_of(&m, 182) == 0, "deleting the last of a run moves nothing");
	hmap_put(&m, at0[1], V(8));
	ok(slot_of(&m, 308) == 1 && hmap_get(&m, 308) == V(8),
	   "a key of home slot 0 goes past the wrapped ones");
	hmap_free(&m);
}

static void test_iteration(void)
{
	/* keys 1..10 by home slot in 64 slots: 6 2 5 4 3 1 7 10 8 9 */
	static const uint64_t want[] = { 6, 2, 5, 4, 3, 1, 7, 10, 8, 9 };
	struct hmap m = { 0 };
	struct hmap_ent *e;
	uint64_t k;
	int n = 0, in_order = 1;

	for (k = 10; k >= 1; k--)
		hmap_put(&m, k, V(k * 10));
	hmap_each(&m, e) {
		in_order &= n < 10 && e->key == want[n] &&
			    e->val == V(want[n] * 10);
		n++;
	}
	ok(n == 10 && in_order, "iteration is in slot order (%d entries)", n);
	hmap_del(&m, 4);
	n = 0;
	hmap_each(&m, e)
		n += e->key != 4;
	ok(n == 9 && m.len == 9, "a deleted key is not iterated");
	hmap_free(&m);
}

/* random puts and deletes against a plain array of the same keys */
static void test_churn(void)
{
	enum { NKEYS = 3000 };
	static uintptr_t ref[NKEYS];
	uint64_t x = 88172645463325252ull, k;
	struct hmap m = { 0 };
	struct hmap_ent *e;
	size_t live = 0, i, seen = 0;
	int same = 1;

	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = x % NKEYS;
		if (x >> 60 < 10) {
			live += !ref[k];
			ref[k] = i + 1;
			hmap_put(&m, k * 0x10000, V(i + 1));
		} else {
			same &= hmap_del(&m, k * 0x10000) == V(ref[k]);
			live -= !!ref[k];
			ref[k] = 0;
		}
	}
	for (k = 0; k < NKEYS; k++)
		same &= hmap_get(&m, k * 0x10000) == V(ref[k]);
	hmap_each(&m, e)
		seen += ref[e->key / 0x10000] == (uintptr_t)e->val;
	ok(same, "200000 random puts and deletes: every value as expected");
	ok(m.len == live && seen == live, "%zu live entries, each iterated "
	   "once (%zu, %zu)", live, m.len, seen);
	hmap_free(&m);
}

struct rec {
	uint64_t a, b, c;
};

static long tslot_of(const struct htab *t, uint64_t key)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		if (t->key[i] == key)
			return (long)i;
	return -1;
}

static const struct rec *trec(const struct htab *t, uint64_t key)
{
	size_t i = htab_find(t, key);

	return i == HTAB_NONE ? NULL : htab_rec(t, i);
}

static void test_htab(void)
{
	/* keys of one home slot in 1024 ((k * HASH_GOLDEN) >> 54) */
	static const uint64_t at7[] = { 322, 932, 1919, 3516 };
	static const uint64_t at1023[] = { 987, 1974 }, at0 = 610;
	struct htab t = HTAB_INIT(struct rec);
	struct rec *r;
	size_t i, all = 1;
	uint64_t k;

	ok(htab_find(&t, 5) == HTAB_NONE, "an empty htab finds nothing");
	i = htab_put(&t, 5);
	r = htab_rec(&t, i);
	ok(t.cap == 1024 && t.len == 1 && !r->a && !r->b && !r->c,
	   "the first put makes 1024 slots and a zeroed record");
	*r = (struct rec){ 1, 2, 3 };
	ok(htab_put(&t, 5) == i && trec(&t, 5)->c == 3 && t.len == 1,
	   "putting a key again gives its record, as it was");
	ok(htab_index(&t, r) == i, "htab_index is the slot of a record");
	htab_del(&t, i);
	ok(htab_find(&t, 5) == HTAB_NONE && t.len == 0, "deleted");

	for (i = 0; i < 4; i++)
		((struct rec *)htab_rec(&t, htab_put(&t, at7[i])))->a = i + 1;
	ok(tslot_of(&t, 322) == 7 && tslot_of(&t, 3516) == 10,
	   "4 keys of home slot 7 fill slots 7 to 10");
	htab_del(&t, htab_find(&t, 932));
	ok(tslot_of(&t, 1919) == 8 && tslot_of(&t, 3516) == 9 &&
	   !t.key[10] && trec(&t, 1919)->a == 3 && trec(&t, 3516)->a == 4,
	   "a delete shifts later keys back, their records with them");
	for (i = 0; i < 2; i++)
		((struct rec *)htab_rec(&t, htab_put(&t, at1023[i])))->b = 9;
	htab_put(&t, at0);
	ok(tslot_of(&t, 987) == 1023 && tslot_of(&t, 1974) == 0 &&
	   tslot_of(&t, 610) == 1, "probing wraps from slot 1023 to 0");
	htab_del(&t, htab_find(&t, 987));
	ok(tslot_of(&t, 1974) == 1023 && tslot_of(&t, 610) == 0 &&
	   trec(&t, 1974)->b == 9, "and deleting shifts back across it");
	htab_clear(&t);
	ok(t.len == 0 && t.cap == 1024 && htab_find(&t, 322) == HTAB_NONE,
	   "clear forgets every key, keeping the slots");

	for (k = 1; k <= 5000; k++) {
		r = htab_rec(&t, htab_put(&t, k << 12));
		r->a = k;
		r->c = ~k;
	}
	ok(t.cap == 8192 && t.len == 5000, "5000 keys grow it to 8192 slots "
	   "(%zu), at 7/10", t.cap);
	for (k = 1; k <= 5000; k++)
		all &= trec(&t, k << 12) && trec(&t, k << 12)->a == k &&
		       trec(&t, k << 12)->c == ~k;
	ok(all, "every record moved with its key when growing");
	htab_free(&t);
	ok(!t.key && !t.cap && !t.len && t.size == sizeof(struct rec) &&
	   htab_find(&t, 1 << 12) == HTAB_NONE,
	   "free empties it and keeps the record size");
}

int main(void)
{
	test_functions();
	test_basic();
	test_grow();
	test_collisions();
	test_iteration();
	test_churn();
	test_htab();
	return tap_done();
}
