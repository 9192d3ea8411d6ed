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

enum ana_state {
	ANA_RUNNING,		/* not inside a hooked blocking call */
	ANA_SYNC,		/* mutex, rwlock, cond, sem, barrier, spin, futex */
	ANA_IO,			/* read, write, accept, connect and kin */
	ANA_WAIT,		/* poll, select, epoll */
	ANA_SLEEP,		/* sleep, nanosleep and kin */
	ANA_JOIN,		/* pthread_join and kin */
	ANA_NSTATES
};

struct ana_block {
	enum ana_state state;
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

/* lower-case name: "running", "sync", "io", "wait", "sleep", "join" */
const char *ana_state_name(enum ana_state s);

/* ana_field() : index of field `name` in events of `type`, or -1 */
int ana_field(unsigned type, const char *name);

#endif
