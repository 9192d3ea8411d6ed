/*
 * objects.h - names for the objects blocking calls wait on.
 *
 * An object the program's data symbols hold is named by the collector
 * (DATA records, symbols.h: "jobs_lock", "counts+0x40").  One inside a
 * heap block is named by where the block was allocated, when the trace
 * recorded the allocation: "heap+0x8 (alloc at make_queue (q.c:12))".
 * For that an analysis that prints objects feeds its heap events here;
 * this keeps the live blocks by start address, so memory follows the
 * number of live allocations, never the number of events.
 */
#ifndef ANA_OBJECTS_H
#define ANA_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "trace.h"

struct ana_objs;

/* the heap block an object was found in */
struct ana_objsite {
	uint64_t first;			/* earliest use of the object */
	int found;			/* the fields below are set */
	uint64_t base, size, alloc_ts, stack;
};

struct ana_objs *ana_objs_new(void);
void ana_objs_free(struct ana_objs *o);

/* ana_objs_heap() : account an ALLOC, FREE or REALLOC event of p */
void ana_objs_heap(struct ana_objs *o, const struct ana_proc *p,
		   const struct fmt_event *ev);

/*
 * ana_objs_use() : object addr of p used at ts.  The first use looks for
 * its heap block while the block is live; a later use may move `first`
 * back (batches of threads come in any order).
 */
void ana_objs_use(struct ana_objs *o, const struct ana_proc *p,
		  uint64_t addr, uint64_t ts, struct ana_objsite *site,
		  int first_use);

/*
 * ana_objs_name() : object addr of p, for people, into buf: its data
 * symbol, else its heap block's allocation site.  o may be NULL (no heap
 * events fed).  @return buf, or NULL when nothing names it
 */
const char *ana_objs_name(const struct ana_trace *t, struct ana_objs *o,
			  const struct ana_proc *p, uint64_t addr,
			  struct ana_objsite *site, char *buf, size_t size);

#endif
