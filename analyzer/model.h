/*
 * model.h - what a thread was doing: events as intervals of states.
 *
 * Blocking events are recorded once, at their end, with their start time
 * and duration, so every state a thread can be in besides "running" is
 * one event.  This is the one place that knows which event means which
 * state and where its object, stack and waker are; the analyses (report,
 * threads, profile) and the timelines (export, html) all use it.
 */
#ifndef ANA_MODEL_H
#define ANA_MODEL_H

#include <stdint.h>

#include "events.h"

/*
 * A thread's lifetime is cut into these states.  The blocked ones come
 * from the hooks' events (exact); the time outside them, the residue, is
 * split with the kernel's own accounting (CPU_SAMPLE and SCHED readings,
 * see ana_sched_split()) into on-CPU and runnable, and what no reading
 * explains is unknown: never "running" by default.  In display order:
 * go tool trace's execution, scheduler wait, then the blocking states.
 */
enum ana_state {
	ANA_RUNNING,		/* on a CPU, outside hooked blocking calls */
	ANA_RUNNABLE,		/* ready, waiting on a run queue for a CPU */
	ANA_SYNC,		/* mutex, rwlock, cond, sem, barrier, spin, futex */
	ANA_IO,			/* read, write, accept, connect and kin */
	ANA_WAIT,		/* poll, select, epoll */
	ANA_SLEEP,		/* sleep, nanosleep and kin */
	ANA_JOIN,		/* pthread_join and kin */
	ANA_UNKNOWN,		/* outside hooked calls, not measured: off-CPU
				 * in an unhooked call or fault, or no reading */
	ANA_NSTATES
};

/* the states a block (ana_block_of) can be in */
#define ANA_FIRST_BLOCKED	ANA_SYNC
#define ANA_LAST_BLOCKED	ANA_JOIN
static inline int ana_is_blocked(unsigned s)
{
	return s >= ANA_FIRST_BLOCKED && s <= ANA_LAST_BLOCKED;
}

struct ana_block {
	enum ana_state state;
	unsigned type;		/* event type of the call: for UNFINISHED,
				 * the type the call would have recorded */
	int unfinished;		/* still blocked when its process exited:
				 * dur runs to the exit */
	uint64_t start, dur;	/* ts of the call, time blocked (ns) */
	uint64_t obj;		/* object address, fd, or 0 */
	int has_fd;		/* obj is a file descriptor */
	uint64_t stack;		/* stack id, 0 = none */
	uint64_t waker;		/* tid whose wake ended it, 0 = unknown */
	uint64_t wake_ts;	/* ts of that wake, 0 = unknown */
	uint64_t holder;	/* mutex_block: tid holding the lock, or 0 */
	int64_t result;
	int64_t bytes;		/* io: bytes requested, else -1 */
};

/*
 * ana_block_of() : the interval `ev` spent blocked, if it is a blocking
 * event.  @return 1 and fills *b, or 0 for an instant event.
 */
int ana_block_of(const struct fmt_event *ev, struct ana_block *b);

/* lower-case name: "running", "runnable", "sync", "io", "wait", "sleep",
 * "join", "unknown" */
const char *ana_state_name(enum ana_state s);

/* a scheduler reading: CPU_SAMPLE or SCHED */
struct ana_sched {
	unsigned src;		/* FMT_SCHED_SRC_* */
	uint64_t ts, run, wait;	/* cumulative ns on a CPU, on a run queue */
};

/* ana_sched_of() : @return 1 and fills *r if ev is a reading, else 0 */
int ana_sched_of(const struct fmt_event *ev, struct ana_sched *r);

/* the residue of one interval between two readings, split */
struct ana_split {
	uint64_t running, runnable, unknown;
};

/*
 * ana_sched_split() : split the residue of an interval of `wall` ns
 * between readings a and b (same thread, a before b), of which `blocked`
 * ns were inside hooked blocking calls.  The kernel's on-CPU and
 * run-queue deltas are laid on the residue first, on-CPU then runnable,
 * each capped by what is left of it (CPU or queue time spent inside the
 * blocking calls themselves cannot be told apart); the rest is unknown.
 * Without a run-queue source (src CPUCLOCK) nothing is runnable, and a
 * pair of readings of which one is SRC_NONE explains nothing.
 * running + runnable + unknown == wall - min(blocked, wall).
 */
void ana_sched_split(const struct ana_sched *a, const struct ana_sched *b,
		     uint64_t blocked, struct ana_split *out);

/*
 * ana_state_of() : the state a blocking event of `type` puts its thread
 * in, or -1 for an instant event (and for UNFINISHED, whose state is that
 * of the type it names).
 */
int ana_state_of(unsigned type);

#endif
