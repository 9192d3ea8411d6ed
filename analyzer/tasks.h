/*
 * tasks.h - user-defined tasks, regions and logs (include/ctrace.h).
 *
 * Fed every event of one streaming pass (ana_tasks_event), it keeps:
 *   tasks: by (process image, id), from TASK_BEGIN to TASK_END, which may
 *     come from another thread and, in file order, before the begin (the
 *     threads' chunks are written in any order).  A task never ended is
 *     "unfinished" and lasts to the trace's last timestamp.
 *   regions: a stack per thread.  REGION_END pops the nearest entry of
 *     its type; the entries above it end there too ("never ended"), an
 *     end with no such entry is "unmatched".  Regions still open when the
 *     trace ends close at their thread's last event ("never ended").
 *   logs: a count per category.
 * Durations go to one histogram per type (ANA_DHIST_* buckets).  Memory
 * follows the live tasks, the region stacks and the number of types,
 * never the length of the trace.
 */
#ifndef ANA_TASKS_H
#define ANA_TASKS_H

#include <stdint.h>
#include <stdio.h>

#include "hash.h"
#include "trace.h"

/*
 * A distribution of durations in log-linear buckets: exact below
 * 2^ANA_DHIST_SUB_BITS ns, then 2^ANA_DHIST_SUB_BITS buckets per power
 * of two, so a bucket is at most 1/32 of its values wide and a
 * percentile (the bucket's middle) is within 1.6% of the true value.
 */
#define ANA_DHIST_SUB_BITS	5
#define ANA_DHIST_SUB		(1u << ANA_DHIST_SUB_BITS)
#define ANA_DHIST_N		(ANA_DHIST_SUB * (65 - ANA_DHIST_SUB_BITS))

struct ana_dhist {
	uint64_t n, sum, min, max;
	uint64_t *b;			/* ANA_DHIST_N counts, allocated at
					 * the first value */
};

void ana_dhist_add(struct ana_dhist *h, uint64_t ns);

/* ana_dhist_pct() : the q-quantile (0 < q <= 1), 0 when empty */
uint64_t ana_dhist_pct(const struct ana_dhist *h, double q);

/* one task type, region type or log category */
struct ana_utype {
	char *name;
	uint64_t hash;
	struct ana_utype *hnext;	/* same name hash */
	uint64_t count;			/* begun (tasks, regions), logged */
	uint64_t unfinished;		/* tasks never ended, regions popped
					 * or closed at the end */
	uint64_t moved;			/* tasks ended on another thread */
	struct ana_dhist d;
};

/* a table of types, found by the trace's string ids */
struct ana_utypes {
	struct ana_utype **list;
	size_t n;
	struct hmap by_id;		/* string id -> struct utype_ref */
	struct hmap by_hash;		/* name hash -> ana_utype chain */
};

struct ana_tasks {
	struct ana_utypes tasks, regions, logs;
	struct hmap tasks_live;		/* hash of (process, id) -> task chain */
	size_t live;
	struct hmap threads;		/* ana_thread * -> struct rthread */
	struct rthread **tlist;
	size_t nthreads;
	uint64_t ntasks, nregions, nlogs;	/* events */
	uint64_t unmatched_task_ends;	/* no TASK_BEGIN in the trace */
	uint64_t unmatched_region_ends;	/* no open region of the type */
	uint64_t region_ns;		/* sum over threads of time in any
					 * region (set by done) */
};

void ana_tasks_init(struct ana_tasks *k);

/* ana_tasks_event() : account ev if it is of the user family */
void ana_tasks_event(struct ana_tasks *k, struct ana_trace *t,
		     struct ana_proc *p, struct ana_thread *th,
		     const struct fmt_event *ev);

/* ana_tasks_done() : close what is still open; sort the types */
void ana_tasks_done(struct ana_tasks *k, struct ana_trace *t);

void ana_tasks_free(struct ana_tasks *k);

/* ana_tasks_seen() : 1 if the trace had user events */
static inline int ana_tasks_seen(const struct ana_tasks *k)
{
	return k->ntasks || k->nregions || k->nlogs;
}

/*
 * ana_tasks_in_regions() : ns th spent inside at least one user region
 * (nested regions count once).  Valid after ana_tasks_done().
 */
uint64_t ana_tasks_in_regions(const struct ana_tasks *k,
			      const struct ana_thread *th);

/*
 * ana_tasks_print() : the tasks, regions and logs tables, at most `top`
 * rows each (0: all); region time as a share of `lifetime` (the threads'
 * total lifetime; 0: not shown).
 */
void ana_tasks_print(const struct ana_tasks *k, uint64_t lifetime,
		     size_t top, FILE *f);

/* ana_put_ns() : a duration with its unit: 950ns 12.3us 4.56ms 7.890s */
struct fmt_buf;
void ana_put_ns(struct fmt_buf *b, uint64_t ns, int w);

#endif
