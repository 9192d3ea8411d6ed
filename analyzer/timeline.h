/*
 * timeline.h - a trace as the items of a timeline, for the exporters.
 *
 * `ctrace export` (Perfetto, JSON) and `ctrace html` show the same things:
 * per process image a track, per thread a child track holding its blocked
 * intervals (model.h; a call still blocked at exit is one too, marked
 * unfinished, to the end of the thread's lifetime), the residue between them cut into slices of
 * on-CPU, runnable or unknown time, its CPU samples, user regions, tasks
 * and instants, two counters per process (on-CPU threads, live heap bytes)
 * and two kinds of arrows (thread create -> start, waker -> woken).
 * ana_tl_run() reads the trace once and hands these items to one writer's
 * callbacks, so the three outputs cannot disagree on what a trace contains.
 *
 * The residue: a thread's lifetime (states.h, as `ctrace threads` has it)
 * minus its blocked intervals is a row of gaps.  Its scheduler readings
 * (CPU_SAMPLE, SCHED: ana_sched_of()) cut it into intervals; over each,
 * ana_sched_split() says how much of the interval's residue was on a CPU,
 * on a run queue or not measured, but not when, so every gap (or part of
 * a gap) inside one interval gets the interval's dominant state as its
 * name, and its length's part of the interval's split (the same shares
 * for every gap of it; the parts of a thread sum to its split).  Time
 * before a thread's first reading or after its last is unknown.  Adjacent
 * parts of one gap (split by a reading) of the same state make one slice,
 * with the sum of their parts; region boundaries also cut, so that
 * regions and residue slices nest on one track.
 *
 * Items come in file order (not time order) as the trace is read, except
 * the create -> start flows and the counters, which need the whole trace
 * (a creator's batch may come after its child's; a free may be read
 * before its malloc) and come at the end, in time order, before done().
 * Residue slices come in time order per thread, as the readings and
 * blocks that bound them are read, the last ones of every thread at the
 * end (before the flows), with its unfinished call if it has one.  Thread names are known from done() on (trace.c
 * resolves them last).
 *
 * Resolution: a timeline of millions of items is more than a view can
 * draw and more than a browser can load, so a big trace is drawn in
 * buckets.  ana_tl_open() reads the trace's record headers once (event
 * count and span, no decoding); a trace of more than ANA_TL_EXACT events
 * (or any, given --buckets N) gets width = span / N (N = ANA_TL_BUCKETS
 * by default), else width 0 and every item exact, as before.  With a
 * width, per thread, the blocked and residue slices shorter than it are
 * still handed out (so totals and flame graphs count them) but marked
 * aggregated: the writers draw instead one aggregate per bucket (and
 * region) holding their count and ns by state exactly, over the span
 * from the first one's start to the last one's end, which no other
 * slice of the thread crosses (slices of a thread never overlap, so
 * none of width or more fits between two that start in one bucket).
 * Counters keep, per bucket, the minimum, maximum and last value at the
 * times they were reached, so no peak is lost.  Flows, samples,
 * regions, tasks and instants stay exact.
 */
#ifndef ANA_TIMELINE_H
#define ANA_TIMELINE_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "hash.h"
#include "model.h"
#include "spill.h"
#include "states.h"
#include "trace.h"

/* buckets over the trace's span, and the size of a trace drawn exactly */
#define ANA_TL_BUCKETS	4000
#define ANA_TL_EXACT	200000
/* ana_tl_buckets() when no --buckets is given */
#define ANA_TL_AUTO	(-1L)

/* categories of timeline items: the first ANA_NSTATES are the states */
enum ana_tl_cat {
	TL_RUNNING = ANA_RUNNING,
	TL_RUNNABLE = ANA_RUNNABLE,
	TL_SYNC = ANA_SYNC,
	TL_IO = ANA_IO,
	TL_WAIT = ANA_WAIT,
	TL_SLEEP = ANA_SLEEP,
	TL_JOIN = ANA_JOIN,
	TL_UNKNOWN = ANA_UNKNOWN,
	TL_USER = ANA_NSTATES,	/* regions, tasks, logs */
	TL_THREAD,		/* create, start */
	TL_PROCESS,		/* start, exec, fork, exit, end */
	TL_HEAP,
	TL_CPU,			/* CPU samples */
	TL_NCATS
};

/*
 * The one palette: category name (Perfetto category, JSON "cat", html
 * legend), the Chrome trace viewer's reserved colour name closest to it
 * (JSON "cname") and the colour the html report draws it with.
 */
struct ana_tl_colour {
	const char *cat;
	const char *cname;
	const char *rgb;	/* "#rrggbb" */
};

extern const struct ana_tl_colour ana_tl_palette[TL_NCATS];

/*
 * The two counters of a process.  On-CPU threads: the sum over its
 * threads of the on-CPU share of the residue slice each is in (so the
 * counter's integral over time is the on-CPU time the readings measured,
 * spread evenly over the gaps of each interval); unmeasured time counts 0.
 */
enum ana_tl_counter { TL_CNT_ONCPU, TL_CNT_HEAP, TL_NCOUNTERS };
extern const char *const ana_tl_counter_name[TL_NCOUNTERS];

struct ana_tl_proc;

/* one per thread (trace.h: a tid's generations are threads of their
 * own, with the same tid and gen 1, 2, ...) */
struct ana_tl_thread {
	struct ana_tl_proc *proc;
	uint64_t tid;
	unsigned gen;			/* th's, or 1 */
	uint64_t uuid;			/* track uuid: small, unique */
	const struct ana_thread *th;	/* NULL: only named as a waker */
	uint64_t first, last;		/* span of its events, blocks included */
	uint64_t last_end;		/* end of its latest blocked interval */
	uint64_t time[ANA_NSTATES];	/* ns by state: blocked, and the
					 * residue slices' by their state */
	uint64_t nblocks, nsamples;
	size_t index;			/* order of appearance in the trace */
	struct ana_tl_res *res;		/* the residue being cut: timeline.c */
	uint64_t naggregates;		/* aggregates handed out */
	const struct ana_tstate *ts;	/* its states (lifetime), from done() */
	void *user;
};

struct ana_tl_start;
struct ana_tl_res;

struct ana_tl_proc {
	struct ana_proc *p;
	uint64_t uuid;
	size_t index;
	struct ana_tl_thread **threads;	/* in order of appearance */
	size_t nthreads;
	struct hmap by_tid;		/* tid -> its latest thread */
	struct hmap by_th;		/* ana_thread -> ana_tl_thread */
	struct hmap fds;		/* fd -> ana_str name */
	struct hmap tasks;		/* task id -> ana_str type */
	uint64_t nrun, nheap;		/* counter changes, in tl's spills */
	struct ana_tl_start *creates, *starts;
	size_t ncreates, nstarts;
	int64_t peak_heap;
	void *user;
};

/* a blocked interval with what the trace says about it */
struct ana_tl_slice {
	enum ana_tl_cat cat;
	const char *name;		/* event name: "mutex_block", "read" */
	const struct ana_block *b;	/* start/dur already clipped */
	const char *fd_name;		/* b->has_fd and FD_OPEN named it */
	const char *obj_name;		/* b->obj's data symbol, or NULL:
					 * valid during the call */
	const struct ana_stack *stack;	/* NULL if none */
	const struct fmt_event *ev;	/* NULL for an unfinished call */
	int aggregated;			/* shorter than the width: drawn in
					 * an aggregate, not by itself */
};

/*
 * A piece of the residue (see above).  split: its part of the splits of
 * the intervals between readings it lies in (for an unmeasured one, all
 * of it unknown), summing to dur; state: the largest of the three in its
 * intervals' split (ties: unknown, then runnable, before running).
 */
struct ana_tl_residue {
	enum ana_state state;		/* RUNNING, RUNNABLE or UNKNOWN */
	uint64_t start, dur;
	struct ana_split split;
	int measured;			/* 0: no reading on one side */
	int aggregated;			/* as ana_tl_slice's */
};

/*
 * The slices of one thread shorter than the width that start in one
 * bucket (and between the same two region boundaries): n and ns by
 * state, exact; [start, start + dur) from the first one's start to the
 * last one's end; state: the one with the most ns (ties: the lower).
 */
struct ana_tl_agg {
	uint64_t start, dur;
	uint64_t bucket;		/* start of its bucket */
	uint64_t n[ANA_NSTATES], ns[ANA_NSTATES];
	uint64_t count, total;		/* the sums of n and ns */
	enum ana_state state;
};

/* a CPU_SAMPLE: the thread was on a CPU at ts, interrupted in stack */
struct ana_tl_sample {
	uint64_t ts;
	uint64_t period;		/* CPU ns it stands for */
	uint64_t stack_id;		/* 0: none */
	const struct ana_stack *stack;	/* innermost frame first, or NULL */
};

struct ana_tl_ops {
	/* a process image, at its PROCESS record or first reference */
	void (*process)(void *u, struct ana_tl_proc *p);
	/* a thread, at its first event or first mention as a waker */
	void (*thread)(void *u, struct ana_tl_thread *th);
	void (*slice)(void *u, struct ana_tl_thread *th,
		      const struct ana_tl_slice *s);
	/* a residue slice: between two blocked intervals (or a thread's
	 * start or end), never overlapping one */
	void (*residue)(void *u, struct ana_tl_thread *th,
			const struct ana_tl_residue *r);
	/* short slices of a thread, per bucket: after all of them, in
	 * time order per thread */
	void (*aggregate)(void *u, struct ana_tl_thread *th,
			  const struct ana_tl_agg *a);
	void (*sample)(void *u, struct ana_tl_thread *th,
		       const struct ana_tl_sample *s);
	/* REGION_BEGIN/END: begin 1/0; name is the region's type */
	void (*region)(void *u, struct ana_tl_thread *th, int begin,
		       uint64_t ts, const char *name);
	/* TASK_BEGIN/END on process p (tasks cross threads) */
	void (*task)(void *u, struct ana_tl_proc *p, int begin, uint64_t ts,
		     uint64_t id, const char *name);
	/* th NULL: an instant of the process (start, exec, end) */
	void (*instant)(void *u, struct ana_tl_proc *p,
			struct ana_tl_thread *th, uint64_t ts,
			enum ana_tl_cat cat, const char *name,
			const char *detail);
	/* an arrow from (from, ts0) to (to, ts1); kind TL_THREAD for
	 * create -> start, TL_SYNC (or the slice's state) for a wakeup,
	 * whose ts1 is the end of the woken thread's slice */
	void (*flow)(void *u, enum ana_tl_cat kind, uint64_t id,
		     struct ana_tl_thread *from, uint64_t ts0,
		     struct ana_tl_thread *to, uint64_t ts1);
	/* counter values, in time order per process and counter; with a
	 * width, up to three a bucket (its minimum, maximum and last) */
	void (*counter)(void *u, struct ana_tl_proc *p,
			enum ana_tl_counter c, uint64_t ts, double value);
	/* every event, after the items above were made from it */
	void (*event)(void *u, struct ana_tl_thread *th,
		      const struct fmt_event *ev);
	void (*done)(void *u);
};

/* a wake arrow whose waker's generation was not known when read */
struct ana_tl_wake {
	enum ana_tl_cat kind;
	struct ana_tl_proc *tp;
	uint64_t tid, ts0;
	struct ana_tl_thread *to;
	uint64_t ts1;
};

struct ana_tl {
	struct ana_trace t;
	const struct ana_tl_ops *ops;
	void *u;
	struct ana_tl_proc **procs;
	size_t nprocs, nthreads;
	uint64_t nflows, nslices, nresidue, nsamples;
	uint64_t uuids;			/* last track uuid given out */
	uint64_t begin, end;		/* span of the whole trace */
	struct ana_states st;		/* lifetimes, as `ctrace threads` */
	uint64_t width;			/* bucket width, ns; 0: all exact */
	uint64_t wbegin;		/* where bucket 0 starts */
	uint64_t nbuckets;		/* what width was made from */
	uint64_t naggregates, naggregated;	/* aggregates, slices in them */
	uint64_t ncounter_in, ncounter_out;	/* counter points */
	struct ana_spill heap_sp, run_sp;	/* counter changes, to sort */
	char heap_label[128];		/* the live-heap counter's name */
	struct ana_tl_wake *wakes;	/* held till the end: timeline.c */
	size_t nwakes, capwakes;
};

/*
 * ana_tl_open() : open the trace at path (before the output is created,
 * so a bad input leaves no empty output behind) and choose the width
 * from buckets (ANA_TL_AUTO, 0: all exact, or N; see above).  Dies like
 * ana_trace_open() on a file it cannot read.  Stdin cannot be read
 * twice: it is drawn exactly (--buckets N needs a file).
 */
void ana_tl_open(struct ana_tl *tl, const char *path, long buckets);

/*
 * ana_tl_run() : walk the opened trace with ops (u is passed back), then
 * close it.  @return EXIT_OK or EXIT_CORRUPT, as ana_trace_read().
 */
int ana_tl_run(struct ana_tl *tl, const struct ana_tl_ops *ops, void *u);

/*
 * ana_tl_buckets() : export's and html's --buckets as a count,
 * ANA_TL_AUTO when not given; dies with EXIT_USAGE when it is not one.
 */
long ana_tl_buckets(const struct ana_args *a);

/*
 * ana_tl_note() : what the resolution did, for a legend ("slices shorter
 * than 5 ms aggregated per 5 ms bucket (4000 over the trace)..."), or ""
 * when everything is exact.  @return buf
 */
const char *ana_tl_note(const struct ana_tl *tl, char *buf, size_t size);

/*
 * ana_tl_counter_label() : the name of counter c: ana_tl_counter_name[c],
 * but for a heap recorded by sampling "live heap bytes, sampled every R
 * bytes (scaled)", its values scaled as `profile heap` scales them
 * (ana_heap_weight()).  Valid from done() on.
 */
const char *ana_tl_counter_label(const struct ana_tl *tl, unsigned c);

/* ana_tl_tid_str() : its tid as ana_tid_str() has it: "1234#2" for a
 * tid reused in its process (from done() on).  @return buf */
const char *ana_tl_tid_str(const struct ana_tl_thread *th, char *buf,
			   size_t size);

/* the thread's name, or NULL (valid from done() on) */
const char *ana_tl_thread_name(const struct ana_tl_thread *th);

/*
 * ana_tl_thread_label() : what to call a thread (from done() on): its
 * name, else the process's name for a main thread, else its start
 * routine's function, else "thread <tid>".  @return buf
 */
const char *ana_tl_thread_label(const struct ana_tl *tl,
				const struct ana_tl_thread *th, char *buf,
				size_t size);

/*
 * ana_tl_thread_title() : the label, and for a thread of a tid the
 * kernel reused in its process the tid and generation: "worker (tid
 * 1234#2)", so that the tracks of two threads of one tid differ in name.
 * @return buf
 */
const char *ana_tl_thread_title(const struct ana_tl *tl,
				const struct ana_tl_thread *th, char *buf,
				size_t size);

/* ana_tl_pct() : the three shares of a split in %, summing to 100 (or
 * all 0 for an empty one) */
void ana_tl_pct(const struct ana_split *s, double pct[3]);

/*
 * ana_tl_frame_name() : a frame as a profile names it: the function's
 * short name, else "module+0x1234", else "0x7f12...".  @return buf
 */
const char *ana_tl_frame_name(const struct ana_tl *tl, uint64_t image,
			      uint64_t addr, char *buf, size_t size);

/* "demo" for /usr/bin/demo, "pid 123" when the exe is unknown */
const char *ana_tl_proc_name(const struct ana_tl_proc *p, char *buf,
			     size_t size);

/*
 * ana_tl_stack_str() : the frames of s, innermost first, as people read
 * them (symbols.h), separated by sep, into buf.  @return buf
 */
const char *ana_tl_stack_str(const struct ana_tl *tl,
			     const struct ana_stack *s, const char *sep,
			     char *buf, size_t size);

/*
 * ana_tl_out() : the output of an export: path, or stdout for "-".  Dies
 * with EXIT_OUTPUT if it cannot be created.  ana_tl_close() flushes and
 * closes it, dying with EXIT_OUTPUT if anything failed.
 */
FILE *ana_tl_out(const char *path);
void ana_tl_close(FILE *f, const char *path);

/* the writers: path of the trace, path of the output ("-": stdout) */
int ana_export_perfetto(struct ana_tl *tl, const char *out);
int ana_export_json(struct ana_tl *tl, const char *out);

/* write s as a JSON string (quotes included); @return bytes written */
size_t ana_tl_json_str(FILE *f, const char *s);

#endif
