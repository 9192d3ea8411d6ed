/*
 * timeline.h - a trace as the items of a timeline, for the exporters.
 *
 * `ctrace export` (Perfetto, JSON) and `ctrace html` show the same things:
 * per process image a track, per thread a child track holding its blocked
 * intervals (model.h), user regions, tasks and instants, two counters per
 * process (running threads, live heap bytes) and two kinds of arrows
 * (thread create -> start, waker -> woken).  ana_tl_run() reads the trace
 * once and hands these items to one writer's callbacks, so the three
 * outputs cannot disagree on what a trace contains.
 *
 * Items come in file order (not time order) as the trace is read, except
 * the create -> start flows and the counters, which need the whole trace
 * (a creator's batch may come after its child's; a free may be read
 * before its malloc) and come at the end, in time order, before done().
 * Thread names are known from done() on (trace.c resolves them last).
 */
#ifndef ANA_TIMELINE_H
#define ANA_TIMELINE_H

#include <stdint.h>
#include <stdio.h>

#include "map.h"
#include "model.h"
#include "trace.h"

/* categories of timeline items: the first ANA_NSTATES are the states */
enum ana_tl_cat {
	TL_RUNNING = ANA_RUNNING,
	TL_SYNC = ANA_SYNC,
	TL_IO = ANA_IO,
	TL_WAIT = ANA_WAIT,
	TL_SLEEP = ANA_SLEEP,
	TL_JOIN = ANA_JOIN,
	TL_USER = ANA_NSTATES,	/* regions, tasks, logs */
	TL_THREAD,		/* create, start */
	TL_PROCESS,		/* start, exec, fork, exit, end */
	TL_HEAP,
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

/* the two counters of a process */
enum ana_tl_counter { TL_CNT_RUNNING, TL_CNT_HEAP, TL_NCOUNTERS };
extern const char *const ana_tl_counter_name[TL_NCOUNTERS];

struct ana_tl_proc;

struct ana_tl_thread {
	struct ana_tl_proc *proc;
	uint64_t tid;
	uint64_t uuid;			/* track uuid: small, unique */
	const struct ana_thread *th;	/* NULL: only named as a waker */
	uint64_t first, last;		/* span of its events, blocks included */
	uint64_t last_end;		/* end of its latest blocked interval */
	uint64_t time[ANA_NSTATES];	/* ns blocked, by state */
	uint64_t nblocks;
	size_t index;			/* order of appearance in the trace */
	void *user;
};

struct ana_tl_run;
struct ana_tl_start;
struct ana_tl_heapop;

struct ana_tl_proc {
	struct ana_proc *p;
	uint64_t uuid;
	size_t index;
	struct ana_tl_thread **threads;	/* in order of appearance */
	size_t nthreads;
	struct ana_map by_tid;		/* tid -> ana_tl_thread */
	struct ana_map fds;		/* fd -> ana_str name */
	struct ana_map tasks;		/* task id -> ana_str type */
	struct ana_tl_run *run;		/* running-thread count changes */
	size_t nrun, caprun;
	struct ana_tl_heapop *heap;	/* alloc/free/realloc, replayed */
	size_t nheap, capheap;
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
	const struct ana_stack *stack;	/* NULL if none */
	const struct fmt_event *ev;
};

struct ana_tl_ops {
	/* a process image, at its PROCESS record or first reference */
	void (*process)(void *u, struct ana_tl_proc *p);
	/* a thread, at its first event or first mention as a waker */
	void (*thread)(void *u, struct ana_tl_thread *th);
	void (*slice)(void *u, struct ana_tl_thread *th,
		      const struct ana_tl_slice *s);
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
	/* counter values, in time order per process and counter */
	void (*counter)(void *u, struct ana_tl_proc *p,
			enum ana_tl_counter c, uint64_t ts, int64_t value);
	/* every event, after the items above were made from it */
	void (*event)(void *u, struct ana_tl_thread *th,
		      const struct fmt_event *ev);
	void (*done)(void *u);
};

struct ana_tl {
	struct ana_trace t;
	const struct ana_tl_ops *ops;
	void *u;
	struct ana_tl_proc **procs;
	size_t nprocs, nthreads;
	uint64_t nflows, nslices;
	uint64_t uuids;			/* last track uuid given out */
	uint64_t begin, end;		/* span of the whole trace */
};

/*
 * ana_tl_open() : open the trace at path (before the output is created,
 * so a bad input leaves no empty output behind).  Dies like
 * ana_trace_open() on a file it cannot read.
 */
void ana_tl_open(struct ana_tl *tl, const char *path);

/*
 * ana_tl_run() : walk the opened trace with ops (u is passed back), then
 * close it.  @return EXIT_OK or EXIT_CORRUPT, as ana_trace_read().
 */
int ana_tl_run(struct ana_tl *tl, const struct ana_tl_ops *ops, void *u);

/*
 * ana_tl_args() : the command line of export and html:
 *   <cmd> [--format <f>] [-o <out>] <file>
 * (--format only when format is not NULL).  Dies with EXIT_USAGE on
 * anything else; -h prints usage and exits.  @return <file>
 */
const char *ana_tl_args(int argc, char **argv, const char *usage,
			const char **out, const char **format);

/* the thread's name, or NULL (valid from done() on) */
const char *ana_tl_thread_name(const struct ana_tl_thread *th);

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
