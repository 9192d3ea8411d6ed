/*
 * hash.h - the one hash function and the hash tables of the programs
 * (collector, analyzer, tools).  The preload keeps its own fixed,
 * allocation-free tables; preload/modules.c says why.
 *
 * struct hmap maps 64-bit keys to pointers.  Ids in a trace (strings,
 * stacks, images, pids, tids) come from the file and may be anything, so
 * tables are hashed rather than indexed: memory follows the number of
 * entries, never the size of an id.  A key that is not a number (a
 * string, a stack, a pair) is hashed to 64 bits; keys that hash alike
 * then probe on with hash_next() until the value found is the one meant
 * or the slot is free:
 *
 *	for (k = hash_str(s); (e = hmap_get(&m, k)); k = hash_next(k))
 *		if (!strcmp(e->name, s))
 *			return e;
 *	hmap_put(&m, k, new_entry(s));
 *
 * struct htab (below) keeps fixed-size records inline under numeric keys,
 * with deletion: for the tables every malloc and free goes through.
 */
#ifndef CTRACE_HASH_H
#define CTRACE_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HASH_GOLDEN	0x9e3779b97f4a7c15ull	/* 2^64 / golden ratio */

/*
 * hash_u64() : x with every bit spread over the low ones, where the
 * table takes its slot from (MurmurHash3's finalizer, first half: one
 * multiply, enough for the table's linear probing).
 */
static inline uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/*
 * hash_mix() : h with one more word v of a key folded in.  One multiply
 * a word: the collector mixes every frame of every new stack.
 */
static inline uint64_t hash_mix(uint64_t h, uint64_t v)
{
	h ^= v + HASH_GOLDEN + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 32);
}

/* hash_bytes() : n bytes at p (FNV-1a, then their count mixed in) */
uint64_t hash_bytes(const void *p, size_t n);

/* hash_str() : a NUL-terminated string */
uint64_t hash_str(const char *s);

/* hash_next() : the key to try after key, when key holds another value */
static inline uint64_t hash_next(uint64_t key)
{
	return key * HASH_GOLDEN + 1;
}

/* ---- the table: open addressing, linear probing ---- */

struct hmap_ent {
	uint64_t key;
	void *val;		/* NULL: empty slot */
};

struct hmap {
	struct hmap_ent *ents;
	size_t cap, len;	/* cap is 0 or a power of two */
};

/* hmap_slot() : the home slot of key in a table of cap (a power of two) */
static inline size_t hmap_slot(uint64_t key, size_t cap)
{
	return hash_u64(key) & (cap - 1);
}

/* the probe past key's home slot: hmap_get()'s rare case */
void *hmap_get_probe(const struct hmap *m, uint64_t key, size_t i);

/*
 * hmap_get() : the value stored under key, or NULL.  Inline because
 * the analyses look up several tables per event and most lookups end at
 * the home slot (load factor <= 3/4): a hit or an empty slot.
 */
static inline void *hmap_get(const struct hmap *m, uint64_t key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = hmap_slot(key, m->cap);
	if (!m->ents[i].val || m->ents[i].key == key)
		return m->ents[i].val;
	return hmap_get_probe(m, key, i);
}

/*
 * hmap_put() : store val (not NULL) under key.
 * @return the value it replaces, or NULL.  Dies on exhaustion.
 */
void *hmap_put(struct hmap *m, uint64_t key, void *val);

/*
 * hmap_del() : remove key.  The entries its slot displaced shift back,
 * so no tombstones pile up under churn.  It moves entries: iteration
 * must not go on past a delete.  @return the value removed, or NULL.
 */
void *hmap_del(struct hmap *m, uint64_t key);

/* hmap_free() : free the table (not the values); it is empty again */
void hmap_free(struct hmap *m);

/*
 * hmap_next() : the entry after e (NULL: the first), in slot order, or
 * NULL at the end.  The order follows the keys' hashes and the table's
 * size: output that must not depend on it sorts.
 */
static inline struct hmap_ent *hmap_next(const struct hmap *m,
					 struct hmap_ent *e)
{
	/* by index: an empty table's ents is NULL, and NULL + 0 is UB */
	size_t i = e ? (size_t)(e - m->ents) + 1 : 0;

	for (; i < m->cap; i++)
		if (m->ents[i].val)
			return &m->ents[i];
	return NULL;
}

#define hmap_each(m, e) \
	for ((e) = hmap_next((m), NULL); (e); (e) = hmap_next((m), (e)))

/* ---- the table of records: for live heap blocks and the like ----
 *
 * Every alloc and free of a trace goes through one of these, so it is
 * laid out for the probe: keys in an array of their own (8 to a cache
 * line, the whole table's keys in L1 for the usual few thousand live
 * blocks), the fixed-size record of a key read only on a hit.  A key is
 * a number (never 0: the empty slot), so no hash_next(), and deletion
 * shifts back as hmap_del() does.  The slot is the top bits of the key
 * times HASH_GOLDEN (one multiply per probe start or shifted entry), and
 * growth doubles at 7/10 from 1024 (unless told): the order profile.c sums
 * the leaked blocks in at the end, and so its rounding, stays as it was.
 */

#define HTAB_NONE	SIZE_MAX	/* no such slot */

struct htab {
	uint64_t *key;		/* 0: empty */
	unsigned char *rec;	/* record i at rec + i * size */
	size_t size;		/* of a record, set before first use */
	size_t first;		/* slots made at first, 0: 1024 */
	size_t cap, len;	/* cap: 0 or a power of two */
	unsigned shift;		/* 64 - log2(cap) */
};

#define HTAB_INIT(type)	{ .size = sizeof(type) }
/* for small tables, of which there are many: first is a power of two */
#define HTAB_INIT_SMALL(type, first_) \
	{ .size = sizeof(type), .first = (first_) }

/* htab_slot() : key's home slot */
static inline size_t htab_slot(const struct htab *t, uint64_t key)
{
	return (key * HASH_GOLDEN) >> t->shift;
}

/* htab_rec() : the record in slot i */
static inline void *htab_rec(const struct htab *t, size_t i)
{
	return t->rec + i * t->size;
}

/* htab_index() : the slot of a record */
static inline size_t htab_index(const struct htab *t, const void *rec)
{
	return (size_t)((const unsigned char *)rec - t->rec) / t->size;
}

/* htab_find() : the slot of key, or HTAB_NONE */
static inline size_t htab_find(const struct htab *t, uint64_t key)
{
	size_t i, mask = t->cap - 1;

	if (!t->len)
		return HTAB_NONE;
	for (i = htab_slot(t, key); t->key[i]; i = (i + 1) & mask)
		if (t->key[i] == key)
			return i;
	return HTAB_NONE;
}

/* htab_grow() : double the slots: htab_put()'s rare case */
void htab_grow(struct htab *t);

/*
 * htab_put() : the slot of key, new (key set, record zeroed) if absent.
 * It may grow the table: records found before it move.  Inline, as
 * htab_find(): the analyses put once per malloc.
 */
static inline size_t htab_put(struct htab *t, uint64_t key)
{
	size_t i, mask;

	if ((t->len + 1) * 10 > t->cap * 7)
		htab_grow(t);
	mask = t->cap - 1;
	for (i = htab_slot(t, key); t->key[i]; i = (i + 1) & mask)
		if (t->key[i] == key)
			return i;
	t->len++;
	t->key[i] = key;
	memset(htab_rec(t, i), 0, t->size);
	return i;
}

/* htab_del() : remove slot i, shifting back the entries it displaced */
static inline void htab_del(struct htab *t, size_t i)
{
	size_t j = i, k, mask = t->cap - 1;

	for (;;) {
		j = (j + 1) & mask;
		if (!t->key[j])
			break;
		k = htab_slot(t, t->key[j]);
		/* j's entry may move to i if its home is not in (i, j] */
		if (j > i ? k <= i || k > j : k <= i && k > j) {
			t->key[i] = t->key[j];
			memcpy(htab_rec(t, i), htab_rec(t, j), t->size);
			i = j;
		}
	}
	t->key[i] = 0;
	t->len--;
}

/* htab_clear() : forget every key, keeping the slots for reuse */
void htab_clear(struct htab *t);

/* htab_free() : free the table; it is empty again (size, first kept) */
void htab_free(struct htab *t);

#endif
