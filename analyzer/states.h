/*
 * states.h - per-thread state accounting, wake edges and parallelism.
 *
 * Fed every event of one streaming pass (ana_states_event), it keeps per
 * thread the time spent in each blocked state (model.h), the thread's
 * lifetime, and two histograms over time: threads alive and threads
 * running.  Memory follows the number of threads and of histogram buckets
 * (bounded), never the length of the trace.
 *
 * "Running" is lifetime minus blocked time: on-CPU or runnable, not split,
 * since the trace has no scheduler data.
 *
 * It also pairs the wake edges the events do not carry themselves: a
 * thread's end with the join that waited for it, a create with the start
 * of the thread it created.  Edges (those and the waker fields of sync
 * waits) go to an optional callback.
 */
#ifndef ANA_STATES_H
#define ANA_STATES_H

#include <stdint.h>

#include "map.h"
#include "model.h"
#include "trace.h"

/* a quantity over time (ns of thread time per bucket), fixed-span buckets
 * that merge 2:1 when the trace outgrows ANA_HIST_MAX of them */
#define ANA_HIST_BASE	1000000ull	/* 1 ms */
#define ANA_HIST_MAX	4096

struct ana_hist {
	uint64_t origin, span;
	int64_t *part;		/* ns in partly covered buckets */
	int64_t *full;		/* difference array of whole-bucket counts */
	size_t n;		/* buckets in use, <= ANA_HIST_MAX */
	int started;
	uint64_t last_lo;	/* cache: the last bucket found, its start */
	size_t last_k;		/* and index (valid for origin and span) */
};

struct ana_tstate {
	struct ana_proc *p;
	struct ana_thread *th;
	uint64_t blocked[ANA_NSTATES];	/* ns; [ANA_RUNNING] set by done */
	uint64_t nblocks[ANA_NSTATES];
	uint64_t begin, end, lifetime;	/* set by done */
	int has_end, is_main;
	uint64_t end_ts;		/* THREAD_END */
	uint64_t routine;		/* THREAD_START or its create */
	int started;			/* its THREAD_START was seen */
	int created;			/* a create was paired with its start */
	struct ana_tstate *same_handle;	/* earlier thread with the handle */
};

enum ana_edge_kind { ANA_EDGE_WAKE, ANA_EDGE_JOIN, ANA_EDGE_CREATE };

struct ana_edge {
	enum ana_edge_kind kind;
	struct ana_proc *p;
	uint64_t waker, waiter;		/* tids */
	uint64_t wake_ts;		/* the signal, unlock, end or create */
	uint64_t resume_ts;		/* the waiter's return or start */
	uint64_t stack;			/* the waiter's stack (create: the
					 * creator's) */
	unsigned type;			/* event type of the waiter's event */
};

struct ana_states {
	struct ana_map by_thread;	/* ana_thread * -> ana_tstate */
	struct ana_tstate **list;
	size_t n;
	struct ana_thread *last_th;	/* cache: events come in batches */
	struct ana_tstate *last;
	struct ana_map handles;		/* (image, handle) -> ana_tstate */
	struct ana_map creates;		/* (image, handle) -> pending create */
	struct pending_join *joins;	/* joins whose thread end is unseen */
	size_t njoins;
	struct ana_hist alive, running;
	uint64_t edges[3];		/* by ana_edge_kind */
	void (*edge)(void *arg, const struct ana_edge *e);
	void *arg;
};

void ana_states_init(struct ana_states *s);

/* ana_states_event() : account ev; b is its ana_block_of() or NULL */
void ana_states_event(struct ana_states *s, struct ana_proc *p,
		      struct ana_thread *th, const struct fmt_event *ev,
		      const struct ana_block *b);

/* ana_states_done() : lifetimes, running time, histograms, late edges */
void ana_states_done(struct ana_states *s, struct ana_trace *t);

void ana_states_free(struct ana_states *s);

/*
 * ana_hist_avg() : average value per ns over [a, b) (for the running
 * histogram: the average number of threads running).
 */
double ana_hist_avg(const struct ana_hist *h, uint64_t a, uint64_t b);

/* ana_states_routine() : "main", the start routine's name, or "?" */
const char *ana_states_routine(const struct ana_trace *t,
			       const struct ana_tstate *ts, char *buf,
			       size_t size);

/*
 * ana_progress() : call per event; on a terminal, after 1 s, shows the
 * number of events read on stderr.  ana_progress_end() erases it.
 */
void ana_progress(const struct ana_trace *t);
void ana_progress_end(void);

/* ana_put_dur() : ns as seconds with 6 decimals, right-aligned in w */
struct fmt_buf;
void ana_put_dur(struct fmt_buf *b, uint64_t ns, int w);

#endif
