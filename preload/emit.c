/*
 * emit.c - per-thread event buffers and their flushing.
 *
 * Each thread owns one 32 KiB buffer, mmap'ed (never the program's
 * malloc), laid out as the EVENTS message it will become:
 *
 *   struct pl_buf | room for header + tid nevents base_ts | events ...
 *
 * so a flush writes the 12-byte header and the three varints just in front
 * of the events and hands the whole thing to one send().  The connection
 * is SOCK_SEQPACKET: concurrent sends from many threads stay whole
 * datagrams without a lock, and there is no global lock on the hot path.
 *
 * Ownership of a buffer is one word, busy: the owning thread takes it
 * (IDLE -> OWNER) around each append or flush; exit() and exec, which
 * must flush buffers of threads that are about to vanish, take it
 * (IDLE -> FLUSHER) for the time of one send.  Whoever holds the word
 * sends and resets the buffer, so a batch is never sent twice.  After the
 * final flush of exit the buffers are DEAD and their owners drop events.
 *
 * A registry (list of every buffer in use) is protected by a spin lock
 * taken only at thread registration/unregistration, around fork and by
 * the flush-all of exit/exec.  Every holder of the lock runs with the
 * reentrancy guard set, so a signal handler can never re-take it.
 */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pl.h"
#include "guard.h"

#define PL_BUF_SIZE	(32 * 1024)
#define PL_PREFIX	(FMT_WIRE_HDR_SIZE + 3 * FMT_VARINT_MAX)
#define PL_POOL_MAX	64	/* idle buffers kept for thread churn */

enum { PL_B_IDLE, PL_B_OWNER, PL_B_FLUSHER, PL_B_DEAD };

struct pl_buf {
	struct pl_buf *next, *prev;	/* registry or pool */
	int busy;			/* PL_B_* */
	int tid;
	int registered;
	uint32_t len;			/* bytes of encoded events */
	uint32_t nevents;
	uint64_t base_ts;		/* ts of the first event */
	uint64_t last_ts;		/* ts of the last event: deltas */
	uint64_t first_now;		/* clock at the first append */
	uint64_t lost_full;		/* events dropped, not yet reported */
	/* thread start, filled by pthread_create for the trampoline */
	void *(*fn)(void *);
	void *arg;
	int parent;
	uint8_t msg[] __attribute__((aligned(16)));
};

#define PL_CAP (PL_BUF_SIZE - offsetof(struct pl_buf, msg) - PL_PREFIX)

__thread struct pl_tls pl_tls __attribute__((tls_model("initial-exec")));

static int reg_lock;
static struct pl_buf *reg_head;
static struct pl_buf *pool;
static unsigned npool;
static pthread_key_t tsd_key;
static int tsd_ok;

static void lock_reg(void)
{
	while (__atomic_exchange_n(&reg_lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void unlock_reg(void)
{
	__atomic_store_n(&reg_lock, 0, __ATOMIC_RELEASE);
}

int pl_tid(void)
{
	if (PL_UNLIKELY(!pl_tls.tid))
		pl_tls.tid = gettid();
	return pl_tls.tid;
}

/* ------------------------------------------------------------------ */
/* buffers: allocation and registry (caller holds the guard)            */

struct pl_buf *pl_buf_alloc(void)
{
	struct pl_buf *b;

	lock_reg();
	b = pool;
	if (b) {
		pool = b->next;
		npool--;
	}
	unlock_reg();
	if (!b) {
		b = mmap(NULL, PL_BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (b == MAP_FAILED)
			return NULL;
	}
	memset(b, 0, offsetof(struct pl_buf, msg));
	return b;
}

void pl_buf_free(struct pl_buf *b)
{
	lock_reg();
	if (npool < PL_POOL_MAX) {
		b->next = pool;
		pool = b;
		npool++;
		b = NULL;
	}
	unlock_reg();
	if (b)
		munmap(b, PL_BUF_SIZE);
}

static void reg_add(struct pl_buf *b)
{
	lock_reg();
	b->prev = NULL;
	b->next = reg_head;
	if (reg_head)
		reg_head->prev = b;
	reg_head = b;
	b->registered = 1;
	unlock_reg();
}

static void reg_del_locked(struct pl_buf *b)
{
	if (!b->registered)
		return;
	if (b->prev)
		b->prev->next = b->next;
	else
		reg_head = b->next;
	if (b->next)
		b->next->prev = b->prev;
	b->registered = 0;
}

void pl_buf_set_start(struct pl_buf *b, void *(*fn)(void *), void *arg,
		      int parent)
{
	b->fn = fn;
	b->arg = arg;
	b->parent = parent;
}

void pl_buf_get_start(struct pl_buf *b, void *(**fn)(void *), void **arg,
		      int *parent)
{
	*fn = b->fn;
	*arg = b->arg;
	*parent = b->parent;
}

/*
 * pl_thread_adopt() : make b the calling thread's buffer.  The TSD value
 * makes glibc call thread_exit_cb when the thread ends by any route
 * (return, pthread_exit, cancellation), even for threads that were not
 * started by our pthread_create (libc-internal ones).
 */
void pl_thread_adopt(struct pl_buf *b)
{
	b->tid = pl_tid();
	pl_tls.buf = b;
	reg_add(b);
	if (tsd_ok)
		pthread_setspecific(tsd_key, b);
}

static struct pl_buf *self_buf(void)
{
	struct pl_buf *b = pl_tls.buf;

	if (PL_LIKELY(b != NULL) || pl_tls.ended)
		return b;
	b = pl_buf_alloc();
	if (b)
		pl_thread_adopt(b);
	return b;
}

/* ------------------------------------------------------------------ */
/* ownership word                                                       */

/* own() : take b for the owner thread; 0 if it is dead */
static int own(struct pl_buf *b)
{
	int idle;

	for (;;) {
		idle = PL_B_IDLE;
		if (__atomic_compare_exchange_n(&b->busy, &idle, PL_B_OWNER, 0,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 1;
		if (idle == PL_B_DEAD)
			return 0;
		sched_yield();		/* an exit/exec flush holds it */
	}
}

/* steal() : take another thread's b for a flush, giving up after a while
 * (its owner could be stopped by a debugger or a signal) */
static int steal(struct pl_buf *b)
{
	int i, idle;

	for (i = 0; i < 1000; i++) {
		idle = PL_B_IDLE;
		if (__atomic_compare_exchange_n(&b->busy, &idle,
						PL_B_FLUSHER, 0,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 1;
		if (idle == PL_B_DEAD)
			return 0;
		sched_yield();
	}
	return 0;
}

static void release(struct pl_buf *b, int state)
{
	__atomic_store_n(&b->busy, state, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------ */
/* sending                                                              */

/* nothing is sent once tracing is off: after BYE, or the collector gone */
static int can_send(void)
{
	return pl_fd >= 0 && pl_on(PL_CONNECTED);
}

/* send_lost() : 0 when sent; a failed report keeps its count for later */
static int send_lost(int tid, uint64_t count, unsigned reason, int can_drop)
{
	uint8_t m[FMT_WIRE_HDR_SIZE + 3 * FMT_VARINT_MAX], *p;

	p = m + FMT_WIRE_HDR_SIZE;
	p = fmt_put_uvar(p, tid);
	p = fmt_put_uvar(p, count);
	p = fmt_put_uvar(p, reason);
	fmt_msg_put_hdr(m, FMT_MSG_LOST, p - m - FMT_WIRE_HDR_SIZE);
	return pl_send(m, p - m, can_drop);
}

/* send_buf() : send b's events as one EVENTS message (b held) */
static void send_buf(struct pl_buf *b, int can_drop)
{
	uint8_t pre[3 * FMT_VARINT_MAX], *p, *start;
	size_t plen;
	int r;

	if (b->nevents && can_send()) {
		p = fmt_put_uvar(pre, b->tid);
		p = fmt_put_uvar(p, b->nevents);
		p = fmt_put_uvar(p, b->base_ts);
		plen = p - pre;
		start = b->msg + PL_PREFIX - plen - FMT_WIRE_HDR_SIZE;
		memcpy(start + FMT_WIRE_HDR_SIZE, pre, plen);
		fmt_msg_put_hdr(start, FMT_MSG_EVENTS, plen + b->len);
		r = pl_send(start, FMT_WIRE_HDR_SIZE + plen + b->len, can_drop);
		if (r == -1)
			b->lost_full += b->nevents;
		pl_dbg(PL_DBG_EMIT, "tid %d: sent %u events, %u bytes: %d",
		       b->tid, b->nevents, b->len, r);
	}
	b->len = 0;
	b->nevents = 0;
	if (b->lost_full && can_send() &&
	    send_lost(b->tid, b->lost_full, FMT_LOST_FULL, can_drop) == 0)
		b->lost_full = 0;
}

static void send_reentry_lost(int can_drop)
{
	unsigned n = __atomic_exchange_n(&pl_tls.lost_reentry, 0,
					 __ATOMIC_RELAXED);

	if (n && can_send() && send_lost(pl_tid(), n, FMT_LOST_REENTRY,
					       can_drop))
		__atomic_fetch_add(&pl_tls.lost_reentry, n, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* appending                                                            */

static size_t event_bound(const struct fmt_event *ev)
{
	size_t ns = ev->nstack < FMT_MAX_STACK ? ev->nstack : FMT_MAX_STACK;
	size_t sl = (ev->slen < FMT_MAX_STR ? ev->slen : FMT_MAX_STR) +
		    (ev->slen2 < FMT_MAX_STR ? ev->slen2 : FMT_MAX_STR);

	return 2 + FMT_VARINT_MAX * (2 + FMT_MAX_FIELDS + ns) + sl;
}

/*
 * Timestamps in a batch must not decrease.  A blocking event carries its
 * start time but is recorded at its end, so an event a signal handler
 * recorded during the block is newer than the block's start.  Clamp the
 * start forward and shorten dur so the end time stays right.
 */
static void clamp_ts(struct pl_buf *b, struct fmt_event *ev)
{
	const struct fmt_event_info *in;
	uint64_t d;

	if (!b->nevents || ev->ts >= b->last_ts)
		return;
	d = b->last_ts - ev->ts;
	ev->ts = b->last_ts;
	in = fmt_event_info(ev->type);
	if (in && in->kinds[0] == 'd')
		ev->f[0] = ev->f[0] > d ? ev->f[0] - d : 0;
}

static void append(struct pl_buf *b, struct fmt_event *ev, uint64_t now)
{
	uint64_t prev;
	uint8_t *p;

	clamp_ts(b, ev);
	if (b->len + event_bound(ev) > PL_CAP)
		send_buf(b, 1);
	if (!b->nevents) {
		b->base_ts = ev->ts;
		b->last_ts = ev->ts;
		b->first_now = now;
	}
	prev = b->last_ts;
	p = b->msg + PL_PREFIX + b->len;
	p = fmt_encode_event(p, ev, FMT_WIRE, &prev);
	b->last_ts = prev;
	b->len = p - (b->msg + PL_PREFIX);
	b->nevents++;
	if (now - b->first_now >= pl_conf.flush_ns)
		send_buf(b, 1);
}

void pl_emit(struct fmt_event *ev, uint64_t now)
{
	struct pl_buf *b;
	int e = errno;

	if (!pl_enter()) {
		pl_tls.lost_reentry++;
		return;
	}
	b = self_buf();
	if (b && own(b)) {
		append(b, ev, now);
		release(b, PL_B_IDLE);
		if (PL_UNLIKELY(pl_tls.lost_reentry) && !b->nevents)
			send_reentry_lost(1);
	}
	pl_leave();
	errno = e;
}

void pl_flush_self(void)
{
	struct pl_buf *b = pl_tls.buf;
	int e = errno;

	if (!pl_enter())
		return;
	if (b && own(b)) {
		send_buf(b, 1);
		release(b, PL_B_IDLE);
	}
	send_reentry_lost(1);
	pl_leave();
	errno = e;
}

void pl_flush_all(int final)
{
	struct pl_buf *b;
	int e = errno;

	if (!pl_enter())
		return;
	lock_reg();
	for (b = reg_head; b; b = b->next) {
		if (b == pl_tls.buf ? own(b) : steal(b)) {
			send_buf(b, 0);
			release(b, final ? PL_B_DEAD : PL_B_IDLE);
		}
	}
	unlock_reg();
	send_reentry_lost(0);
	pl_leave();
	errno = e;
}

/* ------------------------------------------------------------------ */
/* thread end                                                           */

static void drop_self(void)
{
	struct pl_buf *b = pl_tls.buf;

	if (!b)
		return;
	if (own(b)) {
		send_buf(b, 0);
		release(b, PL_B_IDLE);
	}
	send_reentry_lost(0);
	lock_reg();
	reg_del_locked(b);
	unlock_reg();
	pl_tls.buf = NULL;
	pl_buf_free(b);
}

/* pl_thread_ended() : THREAD_END is recorded: flush and stop recording */
void pl_thread_ended(void)
{
	int e = errno;

	pl_tls.ended = 1;
	if (!pl_enter())
		return;
	drop_self();
	pl_leave();
	errno = e;
}

/*
 * TSD destructor: the thread is ending by a route we did not see
 * (cancellation, or a thread we did not start).  A thread we started gets
 * its THREAD_END here if cancellation skipped the trampoline's.
 */
static void thread_exit_cb(void *p)
{
	struct fmt_event ev = { .type = FMT_EV_THREAD_END };
	int e = errno;

	if (!pl_tls.ended && pl_tls.started && pl_on(FMT_FAM_THREAD)) {
		ev.ts = pl_now();
		ev.f[0] = FMT_END_PTHREAD_EXIT;
		pl_emit(&ev, ev.ts);
	}
	pl_tls.ended = 1;
	if (!pl_enter())
		return;
	drop_self();
	pl_leave();
	errno = e;
}

void pl_emit_init(void)
{
	tsd_ok = pthread_key_create(&tsd_key, thread_exit_cb) == 0;
}

/* ------------------------------------------------------------------ */
/* fork                                                                 */

/* the guard is held by the fork hook around all three */
void pl_emit_prefork(void)
{
	lock_reg();
}

void pl_emit_postfork_parent(void)
{
	unlock_reg();
}

/*
 * In the child only the forking thread exists.  Every other buffer holds
 * the parent's events, which the parent sends itself: unmap them.  Ours
 * too holds only parent events (the fork hook flushed it, and an unhooked
 * fork leaves the parent to send them), so it restarts empty.
 */
void pl_emit_postfork_child(void)
{
	struct pl_buf *b, *next, *self = pl_tls.buf;

	reg_lock = 0;
	for (b = reg_head; b; b = next) {
		next = b->next;
		if (b != self)
			munmap(b, PL_BUF_SIZE);
	}
	reg_head = NULL;
	pl_tls.tid = 0;
	pl_tls.lost_reentry = 0;
	if (self) {
		memset(self, 0, offsetof(struct pl_buf, msg));
		self->tid = pl_tid();
		reg_add(self);
	}
}
