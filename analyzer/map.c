/*
 * map.c - open addressing with linear probing; no deletion.
 */
#include <stdlib.h>

#include "log.h"
#include "map.h"

void *ana_map_get_probe(const struct ana_map *m, uint64_t key, size_t i)
{
	/* slot i is taken by another key: go on from the next one */
	for (i = (i + 1) & (m->cap - 1); m->ents[i].val;
	     i = (i + 1) & (m->cap - 1))
		if (m->ents[i].key == key)
			return m->ents[i].val;
	return NULL;
}

static void grow(struct ana_map *m)
{
	struct ana_map old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->ents = xcalloc(m->cap, sizeof(*m->ents));
	m->len = 0;
	for (i = 0; i < old.cap; i++)
		if (old.ents[i].val)
			ana_map_put(m, old.ents[i].key, old.ents[i].val);
	free(old.ents);
}

void *ana_map_put(struct ana_map *m, uint64_t key, void *val)
{
	struct ana_map_ent *e;
	void *prev;
	size_t i;

	if ((m->len + 1) * 4 > m->cap * 3)
		grow(m);
	for (i = ana_map_slot(key, m->cap); m->ents[i].val;
	     i = (i + 1) & (m->cap - 1)) {
		e = &m->ents[i];
		if (e->key == key) {
			prev = e->val;
			e->val = val;
			return prev;
		}
	}
	m->ents[i].key = key;
	m->ents[i].val = val;
	m->len++;
	return NULL;
}

void ana_map_free(struct ana_map *m)
{
	free(m->ents);
	m->ents = NULL;
	m->cap = m->len = 0;
}
