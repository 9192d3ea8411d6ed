/*
 * bufhead.h - the head of a thread's event buffer (emit.c owns the rest):
 * the owner's hold on it, and the open STDIO_RUN that counts the stdio
 * calls their stream's buffer served.
 *
 * A served call (most fgets of a short line, a small fread or fwrite)
 * costs glibc some 15 ns; counting it through a function call into
 * emit.c and back cost as much again.  So the common case, a call that
 * extends the open run, is inline here and takes the buffer by the same
 * protocol as every append (emit.c, "ownership"); anything else goes to
 * pl_served_slow().
 */
#ifndef CTRACE_BUFHEAD_H
#define CTRACE_BUFHEAD_H

#include <stdint.h>

#include "pl.h"
#include "guard.h"

#define PL_RUN_MAX	65536	/* calls a STDIO_RUN counts before the next */

/*
 * The stdio calls served from their stream's buffer since the thread's
 * last event, counted and recorded as one STDIO_RUN before the next
 * event, or before the buffer is sent: in the buffer, so that whoever
 * sends it (the owner, or exit and exec's flusher) records it.
 */
struct pl_run {
	uint64_t calls;			/* 0: no run open */
	uint64_t key;			/* pl_run_key() of its calls */
	uintptr_t ra;
	uint64_t bytes, got;
	uint64_t ts;			/* when its first call returned */
};

/* pl_buf_head.claim, written by flushers only */
enum { PL_C_NONE, PL_C_FLUSHER, PL_C_DEAD };

/* the first member of every struct pl_buf */
struct pl_buf_head {
	int in;				/* the owner is using it: owner writes */
	int claim;			/* PL_C_*: flushers write */
	struct pl_run run;
};

/* membarrier() works: the owner's side of a hold needs no fence */
extern int pl_asym_ok;

/* what a run's calls share: their event type, call and descriptor */
static inline uint64_t pl_run_key(unsigned type, unsigned call, int fd)
{
	return (uint64_t)(type & 0xffff) << 48 |
	       (uint64_t)(call & 0xffff) << 32 | (uint32_t)fd;
}

static inline unsigned pl_run_type(uint64_t key)
{
	return (unsigned)(key >> 48);
}

static inline unsigned pl_run_call(uint64_t key)
{
	return (unsigned)(key >> 32 & 0xffff);
}

static inline int pl_run_fd(uint64_t key)
{
	return (int)(uint32_t)key;
}

/*
 * pl_buf_hold() : the owner takes its buffer; 0 when a flusher holds it or
 * it is dead, and then the owner must step back (emit.c's own_slow()).
 */
static inline int pl_buf_hold(struct pl_buf_head *h)
{
	__atomic_store_n(&h->in, 1, __ATOMIC_RELAXED);
	if (PL_LIKELY(pl_asym_ok))
		pl_barrier();
	else
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return PL_LIKELY(!__atomic_load_n(&h->claim, __ATOMIC_ACQUIRE));
}

static inline void pl_buf_release(struct pl_buf_head *h)
{
	__atomic_store_n(&h->in, 0, __ATOMIC_RELEASE);
}

void pl_served_slow(unsigned type, int fd, unsigned call, uint64_t bytes,
		    uint64_t got, void *ra);

/*
 * pl_served() : one stdio call its stream's buffer served (hook-io.c),
 * counted in the thread's open STDIO_RUN: no clock, no unwind, no
 * encoding.  The run is recorded before the thread's next event, when
 * a served call does not extend it, and whenever the buffer is sent.
 * Keeps errno.
 */
static inline void pl_served(unsigned type, int fd, unsigned call,
			     uint64_t bytes, uint64_t got, void *ra)
{
	struct pl_buf_head *h = (struct pl_buf_head *)pl_tls.buf;
	struct pl_run *r;

	if (PL_LIKELY(h != NULL) && PL_LIKELY(pl_enter())) {
		r = &h->run;
		if (PL_LIKELY(pl_buf_hold(h)) &&
		    PL_LIKELY(r->calls - 1 < PL_RUN_MAX - 1 &&
			      r->ra == (uintptr_t)ra &&
			      r->key == pl_run_key(type, call, fd))) {
			r->calls++;
			r->bytes += bytes;
			r->got += got;
			pl_buf_release(h);
			pl_leave();
			return;
		}
		pl_buf_release(h);
		pl_leave();
	}
	pl_served_slow(type, fd, call, bytes, got, ra);
}

#endif
