/*
 * states.h - per-thread state accounting, wake edges and parallelism.
 *
 * Fed every event of one streaming pass (ana_states_event), it keeps per
 * thread the time spent in each state of model.h, the thread's lifetime,
 * and histograms over time: threads alive, on a CPU and runnable.  Memory
 * follows the number of threads and of histogram buckets (bounded), never
 * the length of the trace.
 *
 * Blocked states are the hooks' blocks, exact.  The rest of the lifetime
 * (the residue) is split between consecutive scheduler readings of the
 * thread (CPU_SAMPLE, SCHED) by ana_sched_split(): on-CPU, runnable, and
 * what the readings do not explain, unknown.  The residue before a
 * thread's first reading and after its last one is unknown too.  For
 * every thread the states sum to its lifetime exactly.
 *
 * It also pairs the wake edges the events do not carry themselves: a
 * thread's end with the join that waited for it, a create with the start
 * of the thread it created.  Edges (those and the waker fields of sync
 * waits) go to an optional callback.
 */
#ifndef ANA_STATES_H
#define ANA_STATES_H

#include <stdint.h>

#include "hash.h"
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

/* a reading not yet split: a block still to be read may overlap it */
struct ana_reading {
	struct ana_sched r;
	uint64_t blocked;	/* ns blocked from the thread's first block
				 * to r.ts, as far as read */
};

#define ANA_READINGS_HELD	8	/* per thread, before the oldest is
					 * split without waiting */

struct ana_tstate {
	struct ana_proc *p;
	struct ana_thread *th;
	/* ns in each state, in model.h's order: blocked ones as they are
	 * read, ANA_RUNNING and ANA_RUNNABLE from the readings, all of
	 * them final (clipped to the lifetime, ANA_UNKNOWN the rest) only
	 * after ana_states_done() */
	uint64_t ns[ANA_NSTATES];
	uint64_t nblocks[ANA_NSTATES];
	uint64_t nunfinished;		/* blocks still blocked at exit */
	uint64_t nreadings[3];		/* by FMT_SCHED_SRC_* */
	/*
	 * The lifetime, set by done: from the thread's THREAD_START (the
	 * process's start for the main thread, else its first event) to its
	 * THREAD_END, else its process's PROCESS_END, else the trace's last
	 * timestamp; stretched to cover the thread's own events, but never
	 * past its process's end, nor past the start of the next thread
	 * with its tid (trace.h: generations).
	 */
	uint64_t begin, end, lifetime;
	int has_end, is_main;
	uint64_t end_ts;		/* THREAD_END */
	uint64_t routine;		/* THREAD_START or its create */
	int started;			/* its THREAD_START was seen */
	int created;			/* a create was paired with its start */
	struct ana_tstate *same_handle;	/* earlier thread with the handle */
	/* internal to states.c: the split as it streams */
	struct ana_reading held[ANA_READINGS_HELD];
	size_t nheld;
	struct ana_reading last;	/* the last reading split on */
	int has_last;
	uint64_t blocked;		/* ns of all blocks read */
	uint64_t blk_start, blk_end;	/* the latest block read */
	unsigned blk_state;
	int blk_unfinished;
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
	struct hmap by_thread;	/* ana_thread * -> ana_tstate */
	struct ana_tstate **list;
	size_t n;
	struct ana_thread *last_th;	/* cache: events come in batches */
	struct ana_tstate *last;
	struct hmap handles;		/* (image, handle) -> ana_tstate */
	struct hmap creates;		/* (image, handle) -> pending create */
	struct pending_join *joins;	/* joins whose thread end is unseen */
	size_t njoins;
	struct ana_hist alive, running, runnable;
	uint64_t nreadings[3];		/* by FMT_SCHED_SRC_*, all threads */
	uint64_t nunfinished;		/* all threads */
	uint64_t edges[3];		/* by ana_edge_kind */
	void (*edge)(void *arg, const struct ana_edge *e);
	void *arg;
	/* the trace, for its recording windows: readings either side of a
	 * gap split nothing (NULL: no windows) */
	const struct ana_trace *trace;
};

void ana_states_init(struct ana_states *s);

/* ana_states_event() : account ev; b is its ana_block_of() or NULL */
void ana_states_event(struct ana_states *s, struct ana_proc *p,
		      struct ana_thread *th, const struct fmt_event *ev,
		      const struct ana_block *b);

/* ana_states_done() : lifetimes, final state times, histograms, late
 * edges */
void ana_states_done(struct ana_states *s, struct ana_trace *t);

void ana_states_free(struct ana_states *s);

/*
 * ana_hist_avg() : average value per ns over [a, b) (for the running
 * histogram: the average number of threads on a CPU).
 */
double ana_hist_avg(const struct ana_hist *h, uint64_t a, uint64_t b);

/*
 * ana_state_label() : the state as go tool trace users know it:
 * "execution", "sched-wait", "sync", "io", "wait", "sleep", "join",
 * "unknown"
 */
const char *ana_state_label(enum ana_state s);

/* ana_states_have_sched() : 1 if some reading explains anything (a source
 * other than FMT_SCHED_SRC_NONE) */
int ana_states_have_sched(const struct ana_states *s);

/*
 * ana_states_source() : where execution and sched-wait came from, in
 * words, into buf: "from schedstat (N readings)", "from the CPU clock
 * only (N readings; no run-queue time, sched-wait is 0)", both, or "no
 * scheduler data: residue is unknown".  @return buf
 */
const char *ana_states_source(const struct ana_states *s, char *buf,
			      size_t size);

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
