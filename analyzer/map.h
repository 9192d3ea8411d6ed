/*
 * map.h - a hash map from 64-bit ids to pointers, for the analyzer's tables.
 *
 * Ids in a trace (strings, stacks, images, pids, tids) come from the file
 * and may be anything, so tables are hashed rather than indexed: memory
 * follows the number of entries, never the size of an id.
 */
#ifndef ANA_MAP_H
#define ANA_MAP_H

#include <stddef.h>
#include <stdint.h>

struct ana_map_ent {
	uint64_t key;
	void *val;		/* NULL: empty slot */
};

struct ana_map {
	struct ana_map_ent *ents;
	size_t cap, len;	/* cap is 0 or a power of two */
};

/* ana_map_slot() : the home slot of key in a table of cap (a power of two) */
static inline size_t ana_map_slot(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key & (cap - 1);
}

/* the probe past key's home slot: ana_map_get()'s rare case */
void *ana_map_get_probe(const struct ana_map *m, uint64_t key, size_t i);

/*
 * ana_map_get() : the value stored under key, or NULL.  Inline because
 * the analyses look up several tables per event and most lookups end at
 * the home slot (load factor <= 3/4): a hit or an empty slot.
 */
static inline void *ana_map_get(const struct ana_map *m, uint64_t key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = ana_map_slot(key, m->cap);
	if (!m->ents[i].val || m->ents[i].key == key)
		return m->ents[i].val;
	return ana_map_get_probe(m, key, i);
}

/*
 * ana_map_put() : store val (not NULL) under key.
 * @return the value it replaces, or NULL.  Dies on exhaustion.
 */
void *ana_map_put(struct ana_map *m, uint64_t key, void *val);

/* ana_map_free() : free the table (not the values) */
void ana_map_free(struct ana_map *m);

/* iterate: for (i = 0; i < m->cap; i++) if (m->ents[i].val) ... */

#endif
