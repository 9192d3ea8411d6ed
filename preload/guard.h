/*
 * guard.h - per-thread state and the reentrancy guard.
 *
 * A thread is "inside ctrace" while it encodes or sends: a signal handler
 * that interrupts it there and calls a hooked function must not touch the
 * half-written buffer, so its hook passes straight through and the event
 * it would have recorded is counted (FMT_LOST_REENTRY) and reported in a
 * LOST message by the next flush.  Our own calls go to real_* pointers, so
 * the guard only ever trips on signal handlers or libc-internal callbacks.
 *
 * initial-exec TLS: one %fs-relative access, never a call to
 * __tls_get_addr (which may allocate).  The library is always loaded at
 * start-up by LD_PRELOAD, so static TLS is available.
 */
#ifndef CTRACE_GUARD_H
#define CTRACE_GUARD_H

#include <stdint.h>

#include "wire.h"

struct pl_buf;

/*
 * The blocking call a thread is inside, written by the hook before the
 * real call and cleared when it returns, so that the exit's final flush
 * (emit.c) can record a call that never returned as UNFINISHED.  ts is
 * written last and is the "in a call" flag.
 */
struct pl_pend {
	uint64_t ts;		/* start of the call; 0 = none */
	uint64_t obj;
	int64_t fd;
	void *ra;
	uint16_t type, call;	/* FMT_EV_*, FMT_CALL_* */
	int32_t holder;		/* MUTEX_BLOCK's holder; stale for others */
};

struct pl_tls {
	int guard;		/* nonzero while inside ctrace */
	int tid;		/* cached gettid(), 0 = not yet */
	int ended;		/* THREAD_END recorded: record nothing more */
	int started;		/* started by our trampoline (THREAD_START) */
	unsigned lost_reentry;	/* events lost to the guard, not reported */
	struct pl_buf *buf;	/* this thread's buffer, NULL = none yet */
	struct pl_pend pend;	/* the blocking call in progress, if any */
	/* its thread table slot (emit.c), where pend is published for
	 * the collector's snapshots; NULL = none */
	struct fmt_tab_slot *slot;
	uint64_t hold_ts;	/* an instant event's time, taken before the
				 * real call and recorded after it; 0 = none */
	int cpu_timer;		/* its CPU-time timer id + 1; 0 = none */
	int unwinding;		/* inside the unwinder (stack.c) */
	uint32_t cut_n;		/* stacks cut short, not yet recorded */
	uint32_t cut_room;	/* bytes of stack the last one had left */
};

extern __thread struct pl_tls pl_tls __attribute__((tls_model("initial-exec")));

#define pl_barrier() __asm__ __volatile__("" ::: "memory")

/* pl_enter() : 1 if the thread may enter ctrace, 0 if already inside */
static inline int pl_enter(void)
{
	if (pl_tls.guard)
		return 0;
	pl_tls.guard = 1;
	pl_barrier();
	return 1;
}

static inline void pl_leave(void)
{
	pl_barrier();
	pl_tls.guard = 0;
}

static inline int pl_inside(void)
{
	return pl_tls.guard;
}

/* the call in the thread's slot, for a snapshot taken meanwhile: a
 * seqlock write (wire.h), plain stores on x86; the holder only for a
 * mutex (has_holder a constant: no store for the other calls) */
static inline void pl_publish(unsigned type, uint64_t t0, uint64_t obj,
			      int64_t fd, unsigned call, void *ra,
			      int has_holder, int32_t holder)
{
	struct fmt_tab_slot *s = pl_tls.slot;
	uint32_t seq;

	if (!s)
		return;
	seq = s->pend_seq;
	__atomic_store_n(&s->pend_seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->pend_type = type;
	s->pend_call = call;
	s->pend_obj = obj;
	s->pend_fd = fd;
	s->pend_ra = (uintptr_t)ra;
	if (has_holder)
		s->pend_holder = holder;
	__atomic_store_n(&s->pend_ts, t0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->pend_seq, seq + 2, __ATOMIC_RELEASE);
}

/* pl_pend() : the thread enters a blocking call that started at t0 */
static inline void pl_pend(unsigned type, uint64_t t0, uint64_t obj,
			   int64_t fd, unsigned call, void *ra)
{
	pl_tls.pend.type = type;
	pl_tls.pend.obj = obj;
	pl_tls.pend.fd = fd;
	pl_tls.pend.call = call;
	pl_tls.pend.ra = ra;
	/* release: the exit's flusher, on another CPU, reads ts first
	 * (acquire) and then the fields (a plain store on x86) */
	__atomic_store_n(&pl_tls.pend.ts, t0, __ATOMIC_RELEASE);
	pl_publish(type, t0, obj, fd, call, ra, 0, 0);
}

/* pl_pend_mutex() : pl_pend() of a mutex lock whose owner, when its
 * trylock failed, was holder (0: unknown) */
static inline void pl_pend_mutex(uint64_t t0, uint64_t obj, void *ra,
				 int32_t holder)
{
	pl_tls.pend.type = FMT_EV_MUTEX_BLOCK;
	pl_tls.pend.obj = obj;
	pl_tls.pend.fd = -1;
	pl_tls.pend.call = 0;
	pl_tls.pend.ra = ra;
	pl_tls.pend.holder = holder;
	__atomic_store_n(&pl_tls.pend.ts, t0, __ATOMIC_RELEASE);
	pl_publish(FMT_EV_MUTEX_BLOCK, t0, obj, -1, 0, ra, 1, holder);
}

/* pl_unpend() : the call returned */
static inline void pl_unpend(void)
{
	struct fmt_tab_slot *s = pl_tls.slot;

	pl_tls.pend.ts = 0;
	/* before the call's event can be sent (wire.h) */
	if (s)
		__atomic_store_n(&s->pend_ts, 0, __ATOMIC_RELEASE);
}

/*
 * pl_hold() : an event at ts is coming once the real call returns.  A
 * CPU sample taken meanwhile is dated ts too: dated later, it would push
 * the event's time forward (times in a batch never decrease), and a wake
 * event must keep the time its waiter links to.  pl_release() after it.
 */
static inline void pl_hold(uint64_t ts)
{
	pl_tls.hold_ts = ts;
}

static inline void pl_release(void)
{
	pl_tls.hold_ts = 0;
}

#endif
