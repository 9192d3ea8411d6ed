/*
 * trace.h - the analyzer's streaming view of a trace file.
 *
 * ana_trace_read() walks the records of a trace once, in file order.  It
 * keeps the tables that later records refer to (strings, stacks, process
 * images, threads) and hands every process, event, lost count and end
 * record to the callbacks of one analysis (dump, info, ...).  Memory grows
 * with those tables, never with the number of events.
 *
 * It also turns the way reading stopped into words and an exit status:
 * a trace without an end record, or cut inside a chunk, still analyses
 * (a warning, status 0); a damaged chunk or record is reported with its
 * place and gives EXIT_CORRUPT once everything readable has been read.
 */
#ifndef ANA_TRACE_H
#define ANA_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "file.h"
#include "hash.h"

/* a STRING record: NUL-terminated copy, len excludes the NUL */
struct ana_str {
	uint32_t len;
	char s[];
};

/* a STACK record */
struct ana_stack {
	uint64_t image;
	uint32_t n;
	uint64_t frames[];
};

/*
 * One thread: a tid within a process image, from its start to its end.
 * The kernel reuses the tid of a thread that ended, so a THREAD_START
 * for a tid whose thread already started, or any event after its
 * THREAD_END, begins a new thread with the same tid: its generation
 * (gen) counts them from 1.  A thread no hooked pthread_create started
 * has neither event, and its generations cannot be told apart.
 */
struct ana_thread {
	uint64_t tid;
	unsigned gen;			/* 1, 2, ... among the threads of
					 * this tid in the process image */
	struct ana_thread *prev_gen;	/* the one before it, or NULL */
	struct ana_thread *next_gen;	/* the one after it, or NULL */
	uint64_t nevents;
	uint64_t first_ts, last_ts;
	int has_start;			/* a THREAD_START was seen */
	uint64_t handle, start_ts;	/* from THREAD_START */
	int has_end;			/* a THREAD_END was seen */
	uint64_t end_ts;
	const struct ana_str *name;	/* from THREAD_NAME, set at the end */
	uint64_t name_ts;
	struct ana_thread *same_handle;	/* name resolution, internal */
};

/* THREAD_NAME events, resolved to threads once all are read */
struct ana_tname {
	uint64_t handle, ts, name;
	struct ana_thread *by;		/* the thread that named */
};

/* one process image: a PROCESS record, or a stub for records naming a
 * pid or image no PROCESS record introduced */
struct ana_proc {
	uint64_t pid, ppid, image, ts, flags;
	const struct ana_str *exe;	/* NULL for a stub */
	struct ana_str **argv;
	uint32_t argc;
	int stub;
	int ended;			/* a PROCESS_END was read */
	uint64_t end_ts, status;
	unsigned how;			/* FMT_PEND_* */
	uint64_t nevents, nlost;
	struct hmap threads;		/* tid -> its latest thread */
	struct ana_thread **thread_list;	/* every generation, in order
						 * of appearance */
	size_t nthreads;
	struct ana_tname *names;
	size_t nnames;
	/* the recording settings its PROCESS record carries, if any */
	int have_settings;
	uint64_t events_mask;		/* FMT_FAM_* bits recorded */
	uint64_t heap_sample;		/* CTRACE_HEAP_SAMPLE bytes, 0 = exact */
	uint64_t stack_depth;		/* CTRACE_STACK_DEPTH frames (1 when
					 * unset) */
	void *user;			/* for the analysis */
};

struct ana_lost {
	uint64_t pid, tid, count, reason;
};

/* an UNTRACED record: a process that ran but never reached the collector */
struct ana_untraced {
	uint64_t pid, ppid, ts, how, reason, err;
	char *path;			/* "" when unknown */
	int has_status;			/* its raw waitpid() status (2.2) */
	uint64_t status;
};

struct ana_end {
	uint64_t ts, nevents, nlost, nprocesses;
};

#define ANA_LOST_REASONS 7	/* index 0: a reason this reader does not know */

struct ana_stats {
	uint64_t records[FMT_REC_MAX];	/* by known type */
	uint64_t unknown_records;
	uint64_t events, event_types[FMT_EV_MAX];
	uint64_t lost, lost_by_reason[ANA_LOST_REASONS];
	int have_ts;
	uint64_t first_ts, last_ts;
	uint64_t bad_records;		/* records that failed to parse */
	uint64_t undefined_refs;	/* stack/string ids no record defined */
	uint64_t skipped_events;	/* of codes this reader does not know,
					 * passed by the file's SCHEMA */
	/* alloc_same, free_same, read_same...: read as the event they
	 * repeat; by fmt_same_rules */
	uint64_t repeats[FMT_SAME_RULES];
	uint64_t before_window;		/* a snapshot's events that ended
					 * before its window: unknown time */
	uint64_t outside_windows;	/* events of a paused collector's
					 * gaps (in flight at a stop) */
};

struct ana_trace;

/* callbacks of one analysis; any may be NULL */
struct ana_ops {
	void (*process)(struct ana_trace *t, struct ana_proc *p);
	void (*process_end)(struct ana_trace *t, struct ana_proc *p);
	void (*event)(struct ana_trace *t, struct ana_proc *p,
		      struct ana_thread *th, const struct fmt_event *ev);
	void (*lost)(struct ana_trace *t, const struct ana_lost *l);
	void (*untraced)(struct ana_trace *t, const struct ana_untraced *u);
	void (*end)(struct ana_trace *t, const struct ana_end *e);
	/* once everything is read and thread names are resolved, before
	 * the warning about how the trace ended */
	void (*done)(struct ana_trace *t);
};

struct ana_trace {
	const char *path;
	struct fmt_reader *r;
	struct fmt_file_header h;
	struct hmap strings, stacks;	/* id -> ana_str / ana_stack */
	uint64_t stack_found;		/* a stack id account() found defined */
	struct hmap images, pids;	/* image / pid -> current ana_proc */
	struct ana_proc **procs;	/* in file order */
	size_t nprocs;
	struct ana_stats st;
	/* the file's SCHEMA: fields of codes we do not know, and fields
	 * appended to those we do */
	int have_schema;
	struct fmt_schema schema;
	uint8_t extra_fields[FMT_EV_MAX];
	/* fields an older writer's event lacks (appended since): by its
	 * minor version, or its SCHEMA when it has one */
	uint8_t short_fields[FMT_EV_MAX];
	int any_short;
	struct ana_untraced *untraced;	/* in file order */
	size_t nuntraced;
	struct fmt_reader_state stop;	/* how reading stopped */
	int have_end;
	struct ana_end end;
	uint32_t chunk_records;		/* records read in the current chunk */
	void *data;			/* for the analysis */
	struct ana_syms *syms;		/* MODULE, SYMBOL records: symbols.c */
	/* a SNAPSHOT record (first in the file): before snap.start is
	 * unknown; snap.reason points at snap_reason */
	int is_snap;
	struct fmt_snapshot snap;
	char *snap_reason;
	/* FMT_FEAT_WINDOWS: the recording windows (WINDOW records, read
	 * before the events), in order; outside them is unknown */
	int windowed;
	struct fmt_window *windows;
	size_t nwindows;
};

/*
 * ana_trace_gap() : a gap between recording windows lies inside [a, b]
 * (time nobody recorded: a reading before it and one after say nothing
 * about it); 0 when the trace is not windowed.
 */
int ana_trace_gap(const struct ana_trace *t, uint64_t a, uint64_t b);

/*
 * An unfinished call is blocked to its process's exit, or in a snapshot
 * to when the snapshot was taken (the collector's blocked calls then).
 * ana_unfinished_snap() : one that ends at end is of the snapshot's;
 * ana_unfinished_at() : the phrase for one that ends at end;
 * ana_unfinished_when() : for all of the trace's ("at exit", or "at exit
 * or when the snapshot was taken").
 */
int ana_unfinished_snap(const struct ana_trace *t, uint64_t end);
const char *ana_unfinished_at(const struct ana_trace *t, uint64_t end);
const char *ana_unfinished_when(const struct ana_trace *t);

/*
 * ana_trace_open() : open path and check its header.  On failure prints
 * one line and exits: EXIT_NOFILE (missing, unreadable, a directory),
 * EXIT_NOTRACE (not a trace, unknown major version), EXIT_CORRUPT.
 */
void ana_trace_open(struct ana_trace *t, const char *path);

/*
 * ana_trace_read() : read every record, calling ops.  Prints a warning on
 * stderr for a trace that did not end cleanly.
 * @return EXIT_OK, or EXIT_CORRUPT when something could not be read.
 */
int ana_trace_read(struct ana_trace *t, const struct ana_ops *ops);

void ana_trace_close(struct ana_trace *t);

/* table lookups: NULL for an id no record defined */
const struct ana_str *ana_string(const struct ana_trace *t, uint64_t id);
const struct ana_stack *ana_stack(const struct ana_trace *t, uint64_t id);

/*
 * ana_thread_at() : the thread with tid in p at ts: of its generations
 * read so far, the latest that began (its start, else its first event)
 * by ts, else the first one.  NULL if no event of tid was read.
 * ana_thread_known_at() says whether the answer is final: 0 when that
 * thread had ended before ts, so the one alive at ts is yet to be read
 * (a thread whose end was lost is taken as alive till its next start).
 */
struct ana_thread *ana_thread_at(const struct ana_proc *p, uint64_t tid,
				 uint64_t ts);
int ana_thread_known_at(const struct ana_thread *th, uint64_t ts);

/*
 * ana_tid_str() : how th is named to people: "1234", or "1234#2" for
 * the second thread with tid 1234 in its process image when the tid had
 * more than one (valid once the trace is read).  @return buf
 */
const char *ana_tid_str(const struct ana_proc *p,
			const struct ana_thread *th, char *buf, size_t size);

/* ana_thread_begin() : its THREAD_START, else its first event */
static inline uint64_t ana_thread_begin(const struct ana_thread *th)
{
	return th->has_start ? th->start_ts : th->first_ts;
}

/*
 * ana_integrity() : how reading stopped, in words, into buf: "clean (end
 * record read)", "trace was not closed cleanly ...", "trace cut: ...",
 * "trace damaged at offset ...".
 * @return buf
 */
const char *ana_integrity(const struct ana_trace *t, char *buf, size_t size);

/* ana_trace_damaged() : 1 if the trace gives EXIT_CORRUPT */
int ana_trace_damaged(const struct ana_trace *t);

/* ns since the trace started, signed (a clock may run before start) */
static inline int64_t ana_rel_ts(const struct ana_trace *t, uint64_t ts)
{
	return (int64_t)(ts - t->h.start_monotonic);
}

#endif
