/*
 * profile.h - time or bytes by stack: the data of `ctrace profile` and of
 * the blocking and heap parts of `ctrace report`.
 *
 * One streaming pass feeds ana_prof_event() (and ana_prof_edge() for
 * wakeups); samples are keyed by stack id, so memory follows the number
 * of distinct stacks, contended objects and live allocations.
 *
 * Values of a sample, by kind:
 *   cpu                           v[0] CPU_SAMPLEs, v[1] CPU ns they stand
 *                                 for (the sum of their periods)
 *   sync io syscall sleep block   v[0] count, v[1] ns blocked
 *   wakeup                        v[0] count, v[1] ns from wake to return
 *   heap                          v[0] allocations, v[1] bytes allocated,
 *                                 v[2] live at the end, v[3] bytes live
 *   leaks                         v[0] allocations live at the end,
 *                                 v[1] their bytes
 * v[1] is what outputs rank by; folded lines carry v[1], or for cpu v[0]
 * (samples).
 * A blocking sample names its call (pthread_cond_wait, read, ...), which
 * the outputs show as its innermost frame.  With `labels` set samples are
 * kept apart by process, thread and object too, for pprof's labels.
 * Heap values of a process that sampled its heap (CTRACE_HEAP_SAMPLE) are
 * scaled: each recorded allocation counts for ana_heap_weight() of them.
 * A call still blocked when its process exited (an UNFINISHED event)
 * counts in the blocking kinds with its time to the exit, and in
 * `unfinished`.  Stdio calls their stream's buffer served (STDIO_RUN)
 * were not timed: io and syscall count them in `served` only, with the
 * timed calls of their stack and call, and in no v.
 */
#ifndef ANA_PROFILE_H
#define ANA_PROFILE_H

#include <stdint.h>
#include <stdio.h>

#include "hash.h"
#include "model.h"
#include "objects.h"
#include "states.h"
#include "trace.h"

enum ana_prof_kind {
	ANA_PROF_CPU,
	ANA_PROF_SYNC,
	ANA_PROF_IO,
	ANA_PROF_SYSCALL,	/* io + wait + sleep */
	ANA_PROF_SLEEP,
	ANA_PROF_WAKEUP,
	ANA_PROF_HEAP,
	ANA_PROF_LEAKS,
	ANA_PROF_BLOCK,		/* every blocked state, and the heap: report */
	ANA_PROF_NKINDS
};

#define ANA_PROF_NV	4

struct ana_psample {
	uint64_t stack;		/* stack id, 0 = the event had none */
	unsigned type;		/* its event type (names a stack-less one);
				 * the call's for an unfinished block */
	const char *call;	/* blocking kinds: the call, a static
				 * string; NULL for the others */
	uint64_t pid, tid;	/* with labels: whose samples, else 0 */
	uint64_t obj;		/* with labels: the object (sync) or fd */
	int has_obj, has_fd;	/* obj is set, and is a file descriptor */
	int64_t v[ANA_PROF_NV];
	double w[ANA_PROF_NV];	/* heap: v as weighed sums, v = w rounded
				 * once all is read */
	uint64_t unfinished;	/* blocks of v[0] still blocked at exit */
	uint64_t served;	/* stdio calls served from the stream's
				 * buffer: not timed, not in v */
};

/* who held a contended mutex, or woke the waiters of another object */
struct ana_holder {
	uint64_t tid, ns, count;
};

struct ana_pobj {
	struct ana_proc *p;
	uint64_t obj;
	unsigned type;		/* event type of its first wait */
	uint64_t ns, count;
	uint64_t unfinished;	/* waits still blocked at exit */
	struct htab holders;	/* tid -> struct ana_holder */
	struct ana_holder *by;	/* sorted: ana_prof_sort_holders() */
	size_t nby;
	struct ana_objsite site;	/* its heap block: ana_prof_obj_name() */
};

/* scaled when sampled (rate > 0): estimates of the program's heap */
struct ana_heap_stats {
	int seen;			/* the trace has heap events */
	uint64_t allocs, alloc_bytes, frees;
	uint64_t live, live_bytes, peak_bytes;
	uint64_t leaked, leaked_bytes;	/* live when their process ended */
	/* live at the end, but an unrecorded gap (a paused window) came
	 * after their allocation: freed there or leaked, nobody knows */
	uint64_t unknown_fate, unknown_fate_bytes;
	uint64_t unmatched_frees;	/* of memory no event allocated */
	uint64_t recorded;		/* allocation events read */
	uint64_t rate;			/* CTRACE_HEAP_SAMPLE of the sampled
					 * processes, 0: every allocation */
	int mixed;			/* processes sampled at other rates, or
					 * some not at all */
	uint32_t max_frames;		/* of the allocation stacks */
};

/* heap sums while reading, by weight */
struct ana_heap_sums {
	double allocs, bytes, frees, live, live_bytes, peak_bytes;
};

/* cpu: one thread's samples and the kernel's count of its CPU time */
struct ana_pthread {
	struct ana_proc *p;
	struct ana_thread *th;
	uint64_t samples;
	int64_t ns;		/* the periods of its samples */
	uint64_t run;		/* its latest reading's ns on a CPU */
	unsigned src;		/* FMT_SCHED_SRC_* of that reading */
};

struct ana_cpu_stats {
	uint64_t period;		/* the sampling interval (ns): the
					 * periods' greatest common divisor */
	struct hmap threads;		/* ana_thread -> ana_pthread */
	size_t nthreads;		/* with samples or readings */
	uint64_t readings;		/* CPU_SAMPLE and SCHED events */
};

struct ana_prof {
	enum ana_prof_kind kind;
	unsigned mask;			/* 1 << ana_state summed, block kinds */
	struct hmap samples;		/* key -> ana_psample */
	struct hmap objs;		/* (pid, address) -> ana_pobj */
	struct htab *live, *pending;	/* heap: allocations, frees */
	struct ana_objs *objnames;	/* sync, block: heap blocks that
					 * name objects */
	struct ana_heap_stats hs;
	struct ana_heap_sums hw;
	struct ana_cpu_stats cs;
	int labels;			/* keep pid, tid, object apart: set
					 * before the first event */
	int sampled_heap;		/* some process sampled its heap */
	int64_t total[ANA_PROF_NV];
	uint64_t unfinished;		/* blocks still blocked at exit */
	uint64_t unfinished_ns;		/* their time, to the exit */
	uint64_t served;		/* stdio calls the buffer served */
	size_t nsamples, nobjs;
};

/* ana_prof_kind_of() : the kind named name, or -1 */
int ana_prof_kind_of(const char *name);
const char *ana_prof_kind_name(enum ana_prof_kind kind);

void ana_prof_init(struct ana_prof *pr, enum ana_prof_kind kind);

/* ana_prof_event() : account ev; b is its ana_block_of() or NULL */
void ana_prof_event(struct ana_prof *pr, struct ana_proc *p,
		    struct ana_thread *th, const struct fmt_event *ev,
		    const struct ana_block *b);

/* ana_prof_edge() : a wake edge from states.h (arg is the ana_prof) */
void ana_prof_edge(void *arg, const struct ana_edge *e);

/* ana_prof_done() : live allocations into the samples, totals */
void ana_prof_done(struct ana_prof *pr, struct ana_trace *t);

/* cpu: its threads sorted by samples, largest first, the caller's to
 * free; *n their number */
struct ana_pthread **ana_prof_threads_sorted(const struct ana_prof *pr,
					     size_t *n);

/* samples / objects sorted by v[1] (objects: ns), largest first;
 * the array is the caller's to free */
struct ana_psample **ana_prof_sorted(const struct ana_prof *pr);
struct ana_pobj **ana_prof_objs_sorted(const struct ana_prof *pr);

/* holders of o sorted by ns into o->by[0 .. nby) */
void ana_prof_sort_holders(struct ana_pobj *o);

void ana_prof_free(struct ana_prof *pr);

/* ana_put_served() : "  [N served from the stream buffer, not timed]"
 * after a stack or site with served calls, nothing when n is 0 */
struct fmt_buf;
void ana_put_served(struct fmt_buf *b, uint64_t n);

/* ana_prof_obj_name() : what names o (objects.h), into buf, or NULL */
const char *ana_prof_obj_name(const struct ana_trace *t,
			      const struct ana_prof *pr, struct ana_pobj *o,
			      char *buf, size_t size);

/* "held by" for mutexes, "woken by" for other objects */
const char *ana_prof_by_word(const struct ana_pobj *o);

/*
 * ana_heap_weight() : how many allocations one recorded allocation of
 * size bytes in p stands for: 1, or when p sampled its heap every R bytes
 * (CTRACE_HEAP_SAMPLE) 1 / (1 - exp(-size / R)), the inverse of the
 * chance that it was recorded, as Go's heap profile scales.
 */
double ana_heap_weight(const struct ana_proc *p, uint64_t size);

/* ana_put_unknown_fate() : the line that says how many live blocks are
 * not called leaked because a recording gap followed them (or nothing) */
void ana_put_unknown_fate(const struct ana_heap_stats *hs, FILE *f);

/*
 * ana_heap_sampling() : how the trace's heap was recorded, into buf:
 * "sampled every 65536 bytes (scaled)", or NULL when every allocation
 * was recorded (for the html page and the text outputs).
 */
const char *ana_heap_sampling(const struct ana_trace *t, char *buf,
			      size_t size);

/* what heap outputs say when no allocation stack has more than a frame */
#define ANA_HEAP_ONE_FRAME \
	"stacks: 1 frame (record with CTRACE_STACK_DEPTH for deeper ones)"

/* ana_prof_call() : the call a blocking sample's leaf frame names */
const char *ana_prof_call(const struct fmt_event *ev,
			  const struct ana_block *b);

/*
 * ana_pprof_write() : pr as a gzipped pprof profile.proto into f.
 * @return 0, or -1 if it could not be written (errno tells)
 */
int ana_pprof_write(const struct ana_trace *t, const struct ana_prof *pr,
		    FILE *f);

#endif
