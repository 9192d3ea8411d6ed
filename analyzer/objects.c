/*
 * objects.c - names for the objects blocking calls wait on (objects.h).
 *
 * The live heap blocks are a hash table by (image, start address), as
 * profile.c keeps them: one probe per malloc and free, nothing per block
 * beyond its entry.  Finding the block an object lies in walks back from
 * the object's address in steps of the allocators' smallest alignment,
 * up to MAX_REACH bytes: a few hundred probes, once or twice per
 * contended object, instead of an ordered map's cost on every malloc.
 * So an object deeper than MAX_REACH into its block is not named.
 *
 * Events come in batches per thread, not in time order: a block's malloc
 * may be read after the waits on a mutex inside it (the allocating
 * thread flushed last, its free in the same batch), and a free before
 * its malloc.  So the block is looked for at the object's first use; an
 * object not found then is watched (a sorted array, one binary search
 * per malloc and free while any is watched), and takes the latest block
 * read later that was allocated before its earliest use and not freed
 * before it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "objects.h"
#include "symbols.h"

#define MAX_REACH	4096	/* bytes from a block's start */
#define STEP		8	/* the smallest malloc alignment */

struct blk {
	uint64_t size, ts, stack;
};

/* an object whose block was not live at its first use, by key */
struct watch {
	uint64_t key;
	struct ana_objsite *site;
};

struct ana_objs {
	struct htab blocks;		/* bkey() -> struct blk */
	struct watch *w;		/* sorted by key */
	size_t nw, capw;
};

static uint64_t bkey(const struct ana_proc *p, uint64_t addr)
{
	return (p->image & 0xffff) << 48 | (addr & 0xffffffffffffull);
}

static struct blk *bfind(const struct ana_objs *o, uint64_t key)
{
	size_t i = htab_find(&o->blocks, key);

	return i == HTAB_NONE ? NULL : htab_rec(&o->blocks, i);
}

/* the entry of key, new (zero) if absent */
static struct blk *bput(struct ana_objs *o, uint64_t key)
{
	return htab_rec(&o->blocks, htab_put(&o->blocks, key));
}

static void bdel(struct ana_objs *o, struct blk *e)
{
	htab_del(&o->blocks, htab_index(&o->blocks, e));
}

struct ana_objs *ana_objs_new(void)
{
	struct ana_objs *o = xcalloc(1, sizeof(*o));

	o->blocks = (struct htab)HTAB_INIT(struct blk);
	return o;
}

void ana_objs_free(struct ana_objs *o)
{
	if (!o)
		return;
	htab_free(&o->blocks);
	free(o->w);
	free(o);
}

/* the first watched object at or above key */
static size_t watch_at(const struct ana_objs *o, uint64_t key)
{
	size_t lo = 0, hi = o->nw, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (o->w[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void watch(struct ana_objs *o, uint64_t key, struct ana_objsite *site)
{
	size_t i = watch_at(o, key);

	if (o->nw == o->capw) {
		o->capw = o->capw ? o->capw * 2 : 16;
		o->w = xrealloc(o->w, o->capw * sizeof(*o->w));
	}
	memmove(&o->w[i + 1], &o->w[i], (o->nw - i) * sizeof(*o->w));
	o->w[i] = (struct watch){ key, site };
	o->nw++;
}

/* a block read after the first use of objects in it: the latest block
 * allocated before an object's first use is the one that held it */
static void watch_alloc(struct ana_objs *o, uint64_t key, const struct blk *e)
{
	struct ana_objsite *s;
	size_t i;

	for (i = watch_at(o, key); i < o->nw && o->w[i].key - key < e->size;
	     i++) {
		s = o->w[i].site;
		if (e->ts > s->first || (s->found && s->alloc_ts >= e->ts))
			continue;
		s->found = 1;
		s->base = key & 0xffffffffffffull;
		s->size = e->size;
		s->alloc_ts = e->ts;
		s->stack = e->stack;
	}
}

/* a block freed before an object's first use did not hold it */
static void watch_free(struct ana_objs *o, uint64_t key, const struct blk *e,
		       uint64_t ts)
{
	struct ana_objsite *s;
	size_t i;

	for (i = watch_at(o, key); i < o->nw && o->w[i].key - key < e->size;
	     i++) {
		s = o->w[i].site;
		if (s->found && s->alloc_ts == e->ts && ts < s->first)
			s->found = 0;
	}
}

static void alloc(struct ana_objs *o, const struct ana_proc *p, uint64_t addr,
		  uint64_t size, uint64_t stack, uint64_t ts)
{
	uint64_t key = bkey(p, addr);
	struct blk *e = bput(o, key);

	e->size = size;
	e->ts = ts;
	e->stack = stack;
	if (o->nw)
		watch_alloc(o, key, e);
}

/* a free read before its block's malloc finds nothing, or an older
 * block: that one stays (the malloc will replace it) */
static void release(struct ana_objs *o, const struct ana_proc *p,
		    uint64_t addr, uint64_t ts)
{
	uint64_t key = bkey(p, addr);
	struct blk *e = bfind(o, key);

	if (!e || e->ts > ts)
		return;
	if (o->nw)
		watch_free(o, key, e, ts);
	bdel(o, e);
}

void ana_objs_heap(struct ana_objs *o, const struct ana_proc *p,
		   const struct fmt_event *ev)
{
	const uint64_t *f = ev->f;

	switch (ev->type) {
	case FMT_EV_ALLOC:
		if (f[FMT_F_ALLOC_addr])
			alloc(o, p, f[FMT_F_ALLOC_addr], f[FMT_F_ALLOC_size],
			      f[FMT_F_ALLOC_stack], ev->ts);
		break;
	case FMT_EV_FREE:
		if (f[FMT_F_FREE_addr])
			release(o, p, f[FMT_F_FREE_addr], ev->ts);
		break;
	case FMT_EV_REALLOC:
		/* a failed realloc (addr 0, size > 0) keeps the old block */
		if (f[FMT_F_REALLOC_old] &&
		    (f[FMT_F_REALLOC_addr] || !f[FMT_F_REALLOC_size]))
			release(o, p, f[FMT_F_REALLOC_old], ev->ts);
		if (f[FMT_F_REALLOC_addr])
			alloc(o, p, f[FMT_F_REALLOC_addr], f[FMT_F_REALLOC_size],
			      f[FMT_F_REALLOC_stack], ev->ts);
		break;
	}
}

/* the live block that holds addr and was allocated before its use */
static void find_block(const struct ana_objs *o, const struct ana_proc *p,
		       uint64_t addr, struct ana_objsite *site)
{
	const struct blk *e;
	uint64_t a, lo = addr > MAX_REACH ? addr - MAX_REACH : 0;

	if (!o || !o->blocks.len)
		return;
	for (a = addr & ~(uint64_t)(STEP - 1); a >= lo && a; a -= STEP) {
		e = bfind(o, bkey(p, a));
		if (!e)
			continue;
		if (addr - a < e->size && e->ts <= site->first) {
			site->found = 1;
			site->base = a;
			site->size = e->size;
			site->alloc_ts = e->ts;
			site->stack = e->stack;
		}
		/* blocks do not overlap: the nearest start decides */
		return;
	}
}

void ana_objs_use(struct ana_objs *o, const struct ana_proc *p,
		  uint64_t addr, uint64_t ts, struct ana_objsite *site,
		  int first_use)
{
	if (first_use || ts < site->first)
		site->first = ts;
	if (!o || !first_use)
		return;
	find_block(o, p, addr, site);
	if (!site->found)
		watch(o, bkey(p, addr), site);
}

/* "make_queue (q.c:12)": where the block was allocated, innermost */
static const char *alloc_site(const struct ana_trace *t, uint64_t stack,
			      char *buf, size_t size)
{
	const struct ana_stack *s = stack ? ana_stack(t, stack) : NULL;

	if (!s || !s->n)
		return NULL;
	return ana_frame_str_at(t, s->image, s->frames[0], 0, buf, size);
}

const char *ana_objs_name(const struct ana_trace *t, struct ana_objs *o,
			  const struct ana_proc *p, uint64_t addr,
			  struct ana_objsite *site, char *buf, size_t size)
{
	char where[512], off[32] = "";

	if (ana_data_name(t, p->image, addr, buf, size))
		return buf;
	/* a block read after the object's first use */
	if (site && (!site->found || site->alloc_ts > site->first)) {
		site->found = 0;
		find_block(o, p, addr, site);
	}
	if (!site || !site->found)
		return NULL;
	if (addr > site->base)
		snprintf(off, sizeof(off), "+0x%" PRIx64, addr - site->base);
	if (alloc_site(t, site->stack, where, sizeof(where)))
		snprintf(buf, size, "heap%s (alloc at %s)", off, where);
	else
		snprintf(buf, size, "heap%s", off);
	return buf;
}
