/*
 * intern.c - stack and string tables.
 *
 * Events arrive with their stacks and strings inline; the file stores each
 * distinct one once, in a STACK or STRING record written just before the
 * first EVENTS record that uses it, and events carry its id.  Stacks are
 * keyed by (image, frames) because return addresses mean something only
 * within one process image.  Ids start at 1; stack id 0 is the empty stack
 * and has no record.  Both tables only grow: a trace has a bounded number
 * of distinct callsites, and an id must stay valid to the end of the file.
 * A new stack's frames are symbolized (symbols.c) before its STACK record,
 * by the function main.c registers: symbols.c sits a layer above the
 * tables (it interns the strings of its names), so they cannot call it.
 */
#include <stdlib.h>
#include <string.h>

#include "col.h"
#include "file.h"
#include "hash.h"
#include "log.h"

/* an interned stack or string, its bytes after it: one allocation */
struct entry {
	uint64_t id;
	uint64_t image;		/* stacks only */
	uint64_t len;		/* frames or bytes */
	unsigned char data[];
};

struct table {
	struct hmap by_hash;	/* hash of the key -> entry */
	uint64_t next_id;
};

static struct table stacks, strings;
/* names a frame before the first STACK record that holds it, or NULL */
static void (*name_frame)(uint64_t image, uint64_t addr, int exact);

void col_intern_namer(void (*fn)(uint64_t image, uint64_t addr, int exact))
{
	name_frame = fn;
}

/*
 * The entry of the key, or NULL with *hash moved on to the key under
 * which to add it.  Keys that hash alike probe on (hash.h).
 */
static struct entry *find(struct table *t, uint64_t *hash, uint64_t image,
			  const void *data, uint32_t len, size_t size)
{
	struct entry *e;

	for (; (e = hmap_get(&t->by_hash, *hash)); *hash = hash_next(*hash))
		if (e->image == image && e->len == len &&
		    !memcmp(e->data, data, (size_t)len * size))
			return e;
	return NULL;
}

static struct entry *insert(struct table *t, uint64_t hash, uint64_t image,
			    const void *data, uint32_t len, size_t size)
{
	struct entry *e = xmalloc(sizeof(*e) + (size_t)len * size);

	memcpy(e->data, data, (size_t)len * size);
	e->image = image;
	e->len = len;
	e->id = ++t->next_id;
	hmap_put(&t->by_hash, hash, e);
	return e;
}

/*
 * Most events carry a one-frame stack (the call site) that was interned
 * long ago: a direct-mapped cache (image, frame) -> id answers those
 * without hashing the key or comparing it in the table.  Image ids start
 * at 1, so a zeroed slot never matches.
 */
#define ONE_BITS	12

static struct {
	uint64_t image, frame, id;
} one_cache[1u << ONE_BITS];

static inline unsigned one_slot(uint64_t image, uint64_t frame)
{
	return (unsigned)(((frame ^ image << 40) * 0x9e3779b97f4a7c15ull) >>
			  (64 - ONE_BITS));
}

static uint64_t intern_stack_slow(uint64_t image, const uint64_t *frames,
				  uint32_t n);

uint64_t col_intern_stack(uint64_t image, const uint64_t *frames, uint32_t n)
{
	unsigned k;
	uint64_t id;

	if (n != 1)
		return n ? intern_stack_slow(image, frames, n) : 0;
	k = one_slot(image, frames[0]);
	if (one_cache[k].image == image && one_cache[k].frame == frames[0])
		return one_cache[k].id;
	id = intern_stack_slow(image, frames, 1);
	one_cache[k].image = image;
	one_cache[k].frame = frames[0];
	one_cache[k].id = id;
	return id;
}

static uint64_t intern_stack_slow(uint64_t image, const uint64_t *frames,
				  uint32_t n)
{
	struct fmt_buf b = { 0 };
	struct entry *e;
	uint64_t h = hash_mix(image, n);
	uint32_t i;

	for (i = 0; i < n; i++)
		h = hash_mix(h, frames[i]);
	e = find(&stacks, &h, image, frames, n, sizeof(*frames));
	if (e)
		return e->id;
	e = insert(&stacks, h, image, frames, n, sizeof(*frames));
	/* the names of its frames come before the stack */
	for (i = 0; name_frame && i < n; i++)
		name_frame(image, frames[i], 0);
	fmt_put_stack(&b, &(struct fmt_stack){
		.id = e->id, .image = image, .n = n, .frames = frames });
	col_write(FMT_REC_STACK, &b);
	fmt_buf_free(&b);
	return e->id;
}

uint64_t col_intern_string(const char *s, uint32_t n)
{
	struct fmt_buf b = { 0 };
	struct entry *e;
	uint64_t h = hash_bytes(s, n);

	e = find(&strings, &h, 0, s, n, 1);
	if (e)
		return e->id;
	e = insert(&strings, h, 0, s, n, 1);
	fmt_put_string(&b, &(struct fmt_string){ e->id, s, n });
	col_write(FMT_REC_STRING, &b);
	fmt_buf_free(&b);
	return e->id;
}
