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

/* ana_map_get() : the value stored under key, or NULL */
void *ana_map_get(const struct ana_map *m, uint64_t key);

/*
 * ana_map_put() : store val (not NULL) under key.
 * @return the value it replaces, or NULL.  Dies on exhaustion.
 */
void *ana_map_put(struct ana_map *m, uint64_t key, void *val);

/* ana_map_free() : free the table (not the values) */
void ana_map_free(struct ana_map *m);

/* iterate: for (i = 0; i < m->cap; i++) if (m->ents[i].val) ... */

#endif
