/*
 * hash.c - the tables: open addressing with linear probing, deletion by
 * shifting back.  An hmap doubles at 3/4 full from 64 slots, so that the
 * order of iteration is the one the analyzer's tables always had; an
 * htab's rules are in hash.h.
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "log.h"

uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return hash_mix(h, n);
}

uint64_t hash_str(const char *s)
{
	return hash_bytes(s, strlen(s));
}

void *hmap_get_probe(const struct hmap *m, uint64_t key, size_t i)
{
	/* slot i is taken by another key: go on from the next one */
	for (i = (i + 1) & (m->cap - 1); m->ents[i].val;
	     i = (i + 1) & (m->cap - 1))
		if (m->ents[i].key == key)
			return m->ents[i].val;
	return NULL;
}

static void grow(struct hmap *m)
{
	struct hmap old = *m;
	size_t i;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->ents = xcalloc(m->cap, sizeof(*m->ents));
	m->len = 0;
	for (i = 0; i < old.cap; i++)
		if (old.ents[i].val)
			hmap_put(m, old.ents[i].key, old.ents[i].val);
	free(old.ents);
}

void *hmap_put(struct hmap *m, uint64_t key, void *val)
{
	struct hmap_ent *e;
	void *prev;
	size_t i;

	if ((m->len + 1) * 4 > m->cap * 3)
		grow(m);
	for (i = hmap_slot(key, m->cap); m->ents[i].val;
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

void *hmap_del(struct hmap *m, uint64_t key)
{
	size_t i, j, k, mask = m->cap - 1;
	void *val;

	if (!m->cap)
		return NULL;
	for (i = hmap_slot(key, m->cap); m->ents[i].key != key;
	     i = (i + 1) & mask)
		if (!m->ents[i].val)
			return NULL;
	if (!(val = m->ents[i].val))
		return NULL;
	for (j = i;;) {
		j = (j + 1) & mask;
		if (!m->ents[j].val)
			break;
		k = hmap_slot(m->ents[j].key, m->cap);
		/* j's entry may move to i if its home is not in (i, j] */
		if (j > i ? k <= i || k > j : k <= i && k > j) {
			m->ents[i] = m->ents[j];
			i = j;
		}
	}
	m->ents[i].key = 0;
	m->ents[i].val = NULL;
	m->len--;
	return val;
}

void hmap_free(struct hmap *m)
{
	free(m->ents);
	m->ents = NULL;
	m->cap = m->len = 0;
}

void htab_grow(struct htab *t)
{
	struct htab old = *t;
	size_t i, j;

	t->cap = old.cap ? old.cap * 2 : t->first ? t->first : 1024;
	t->shift = 64 - __builtin_ctzll(t->cap);
	t->key = xcalloc(t->cap, sizeof(*t->key));
	t->rec = xcalloc(t->cap, t->size);
	t->len = 0;
	for (i = 0; i < old.cap; i++)
		if (old.key[i]) {
			j = htab_put(t, old.key[i]);
			memcpy(htab_rec(t, j), htab_rec(&old, i), t->size);
		}
	free(old.key);
	free(old.rec);
}

void htab_clear(struct htab *t)
{
	if (t->cap)
		memset(t->key, 0, t->cap * sizeof(*t->key));
	t->len = 0;
}

void htab_free(struct htab *t)
{
	free(t->key);
	free(t->rec);
	t->key = NULL;
	t->rec = NULL;
	t->cap = t->len = 0;
	t->shift = 0;
}
