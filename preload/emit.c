/*
 * emit.c - per-thread event buffers and their flushing.
 *
 * Each thread owns one 40 KiB buffer, mmap'ed (never the program's
 * malloc), laid out as the EVENTS message it will become:
 *
 *   struct pl_buf | room for the header | events ... | index
 *
 * so a flush writes the 12-byte header and its five varints just in front
 * of the events and hands them and the index (wire.h: where the events
 * the collector must read are) to one sendmsg().  The connection
 * is SOCK_SEQPACKET: concurrent sends from many threads stay whole
 * datagrams without a lock, and there is no global lock on the hot path.
 *
 * Ownership of a buffer: the owning thread appends and flushes it;
 * exit() and exec, which must flush buffers of threads that are about to
 * vanish, steal them for the time of one send.  Whoever holds a buffer
 * sends and resets it, so a batch is never sent twice nor torn.  After
 * the final flush of exit the buffers are DEAD and their owners drop
 * events.  The owner pays no atomic instruction per event for this: see
 * "ownership" below.
 *
 * A registry (list of every buffer in use) is protected by a spin lock
 * taken only at thread registration/unregistration, around fork and by
 * the flush-all of exit/exec.  Every holder of the lock runs with the
 * reentrancy guard set, so a signal handler can never re-take it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pl.h"
#include "guard.h"
#include "bufhead.h"

#define PL_BUF_SIZE	(40 * 1024)
#define PL_IDX_CAP	(8 * 1024)	/* the index, at the buffer's end */
/* an index entry's most bytes: an offset below PL_BUF_SIZE, an address */
#define PL_IDX_ENTRY	(3 + FMT_VARINT_MAX)
#define PL_PREFIX	FMT_WIRE_EVENTS_PRE
#define PL_POOL_MAX	64	/* idle buffers kept for thread churn */
#define PL_SLOW_FN	__attribute__((noinline, cold))

/*
 * What the batch's next event may repeat (events.h, fmt_same_rules): the
 * call and call site of its last ALLOC, the call of its last FREE, the
 * fields and call site of its last READ, WRITE and POLL.  A stack deeper
 * than PL_SAME_FRAMES is not kept: the next event of that type is then
 * written whole, as the reader's "previous" is that one.
 */
#define PL_SAME_FRAMES	4
struct pl_same {
	int ok;
	uint32_t n;
	uint64_t f[FMT_MAX_FIELDS];
	uint64_t frame[PL_SAME_FRAMES];
};

struct pl_buf {
	struct pl_buf_head h;		/* first: bufhead.h reads it */
	struct pl_buf *next, *prev;	/* registry or pool */
	int tid;
	int registered;
	uint32_t len;			/* bytes of encoded events */
	uint32_t nevents;
	uint32_t ilen;			/* bytes of index */
	uint32_t ilast;			/* offset of its last event */
	uint64_t base_ts;		/* ts of the first event */
	uint64_t last_ts;		/* ts of the last event: deltas */
	uint64_t first_now;		/* clock at the first append */
	uint64_t lost_full;		/* events dropped, not yet reported */
	struct pl_tls *tls;		/* the owner's, for the exit flush */
	/* events appended, ever: its slot in the thread table, or
	 * rec_none when it has none (one store per event either way) */
	uint64_t *rec;
	uint64_t rec_none;
	struct fmt_tab_slot *slot;
	struct fmt_kref kref;		/* the batch's stack definitions */
	struct fmt_addrs addrs;		/* and its recent addresses */
	struct pl_same same[FMT_SAME_RULES];	/* by fmt_same_rules */
	/* thread start, filled by pthread_create for the trampoline */
	struct pl_start start;
	uint8_t msg[] __attribute__((aligned(16)));
};

#define PL_CAP (PL_BUF_SIZE - offsetof(struct pl_buf, msg) - PL_PREFIX - \
		PL_IDX_CAP)

static inline uint8_t *idx_of(struct pl_buf *b)
{
	return (uint8_t *)b + PL_BUF_SIZE - PL_IDX_CAP;
}

__thread struct pl_tls pl_tls __attribute__((tls_model("initial-exec")));

static int reg_lock;
static struct pl_buf *reg_head;
/*
 * Ended threads' last batches, sent together in one sendmmsg(): a
 * thread that lives some microseconds spent most of what ctrace added
 * to its life on sending its own.  A batch waits here as a live
 * thread's waits in its buffer, for the process's next send, and goes
 * before it: the PL_ENDED_MAX-th ended thread, any thread's send of
 * its own batch, or the flush of every buffer at exit, exec and fork.
 * They stay registered, and in the thread table, so a kill still
 * counts them lost.  Under the registry lock.
 */
#define PL_ENDED_MAX	16
static struct pl_buf *ended[PL_ENDED_MAX];
static unsigned nended;
static struct pl_buf *pool;
static unsigned npool;
static pthread_key_t tsd_key;
static int tsd_ok;
static struct fmt_tab *tab;	/* the thread table (wire.h), or NULL */
static int tab_fd = -1;		/* its memfd, until HELLO carried it */
static unsigned tab_hint;	/* where the next free slot may be */

static void lock_reg(void)
{
	while (__atomic_exchange_n(&reg_lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static int trylock_reg(void)
{
	return !__atomic_exchange_n(&reg_lock, 1, __ATOMIC_ACQUIRE);
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
		b = REAL(mmap)(NULL, PL_BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (b == MAP_FAILED)
			return NULL;
	}
	memset(b, 0, offsetof(struct pl_buf, msg));
	b->rec = &b->rec_none;
	return b;
}

/* pool_put_locked() : b, used no more, kept for the next thread */
static void pool_put_locked(struct pl_buf *b)
{
	if (npool < PL_POOL_MAX) {
		b->next = pool;
		pool = b;
		npool++;
	} else {
		REAL(munmap)(b, PL_BUF_SIZE);
	}
}

void pl_buf_free(struct pl_buf *b)
{
	lock_reg();
	pool_put_locked(b);
	unlock_reg();
}

/* ------------------------------------------------------------------ */
/* the thread table (wire.h): counts that survive the process           */

/*
 * tab_new() : a fresh table, at start and in every fork child (the
 * parent's is MAP_SHARED: the child must not count into it).  Sealed so
 * that the collector's mapping of it can never fault.  ctrace's own
 * calls, never the program's hooks.
 */
static void tab_new(void)
{
	const unsigned seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
	void *m;
	int fd;

	tab = NULL;
	fd = REAL(syscall)(SYS_memfd_create, "ctrace-threads",
			   MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return;
	if (ftruncate(fd, FMT_TAB_SIZE) ||
	    REAL(fcntl)(fd, F_ADD_SEALS, seals))
		goto fail;
	m = REAL(mmap)(NULL, FMT_TAB_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		goto fail;
	tab = m;
	tab->nslots = FMT_TAB_NSLOTS;
	tab->magic = FMT_TAB_MAGIC;
	tab_fd = fd;
	tab_hint = 0;
	return;
fail:
	REAL(close)(fd);
}

int pl_tab_fd(void)
{
	return tab_fd;
}

void pl_tab_close(void)
{
	if (tab_fd >= 0)
		REAL(close)(tab_fd);
	tab_fd = -1;
}

/* tab_attach() : a slot for b's thread, counting what b already holds */
static void tab_attach(struct pl_buf *b)
{
	struct fmt_tab_slot *s;
	unsigned i, n;
	int32_t zero;

	if (!tab || b->slot)
		return;
	for (n = 0; n < FMT_TAB_NSLOTS; n++) {
		i = (tab_hint + n) % FMT_TAB_NSLOTS;
		s = &tab->slot[i];
		zero = 0;
		if (__atomic_load_n(&s->tid, __ATOMIC_RELAXED) ||
		    !__atomic_compare_exchange_n(&s->tid, &zero, -1, 0,
						 __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		s->recorded = b->nevents + !!b->h.run.calls;
		__atomic_store_n(&s->tid, b->tid, __ATOMIC_RELEASE);
		tab_hint = i + 1;
		if (tab_hint > tab->used)
			__atomic_store_n(&tab->used, tab_hint,
					 __ATOMIC_RELAXED);
		s->pend_ts = 0;
		b->slot = s;
		b->rec = &s->recorded;
		if (b->tls)
			__atomic_store_n(&b->tls->slot, s, __ATOMIC_RELEASE);
		return;
	}
	__atomic_fetch_add(&tab->overflow, 1, __ATOMIC_RELAXED);
}

/* tab_detach() : b's thread ended and flushed: its count is complete */
static void tab_detach(struct pl_buf *b)
{
	b->rec = &b->rec_none;
	if (b->tls)
		b->tls->slot = NULL;
	if (b->slot) {
		b->slot->pend_ts = 0;
		__atomic_store_n(&b->slot->tid, 0, __ATOMIC_RELEASE);
	}
	b->slot = NULL;
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
	tab_attach(b);
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

void pl_buf_set_start(struct pl_buf *b, const struct pl_start *s)
{
	b->start = *s;
}

void pl_buf_get_start(const struct pl_buf *b, struct pl_start *s)
{
	*s = b->start;
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
	b->tls = &pl_tls;
	pl_tls.buf = b;
	reg_add(b);
	if (tsd_ok)
		pthread_setspecific(tsd_key, b);
}

void pl_each_thread(void (*fn)(struct pl_tls *tls, void *arg), void *arg)
{
	struct pl_buf *b;

	lock_reg();
	for (b = reg_head; b; b = b->next)
		if (b->tls)
			fn(b->tls, arg);
	unlock_reg();
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
/* ownership                                                            */

/*
 * Two words per buffer, each with one kind of writer: `in`, set by the
 * owner while it appends or flushes, and `claim`, set by a flusher (exit,
 * exec: one at a time, under the registry lock) while it sends the
 * buffer, or DEAD after the final flush.  This is Dekker's mutual
 * exclusion, made asymmetric:
 *
 *   owner:   in = 1;  (compiler barrier)  if claim: in = 0, wait, retry
 *            ... append or send ...       in = 0 (release)
 *   flusher: claim = FLUSHER;  membarrier();  wait until in == 0
 *            ... send ...                 claim = NONE or DEAD (release)
 *
 * Dekker needs a store-load fence between each side's store and its load
 * of the other's word.  The owner, on every event, has only a compiler
 * barrier; the flusher, once per exit or exec, has membarrier(PRIVATE_
 * EXPEDITED), which runs a full memory barrier on every CPU running one
 * of our threads (and a thread that is not running is not between the
 * two).  So either the owner's in = 1 is visible to the flusher after
 * membarrier() returns, and the flusher waits, or the owner's load that
 * follows it sees FLUSHER, and the owner backs off: they never both
 * proceed.  The flusher's wait is an acquire and the owner's in = 0 a
 * release, so the flusher sees every byte the owner wrote; the flusher's
 * claim = NONE is a release and the owner's load an acquire, so the
 * owner sees the reset buffer.  Without membarrier (old kernels,
 * seccomp) the owner adds a full fence (pl_asym_ok = 0).
 */
int pl_asym_ok;

static long membarrier(int cmd)
{
	/* the real one: ctrace's own calls never go through its hooks */
	return REAL(syscall)(SYS_membarrier, cmd, 0, 0);
}

/* register for membarrier: at start and in every fork child (new mm) */
static void asym_init(void)
{
	pl_asym_ok = membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
}

static PL_SLOW_FN int own_slow(struct pl_buf *b);

/* own() : take b for the owner thread; 0 if it is dead */
static inline int own(struct pl_buf *b)
{
	if (PL_LIKELY(pl_buf_hold(&b->h)))
		return 1;
	return own_slow(b);
}

/* a flusher holds b or b is dead: step back, wait for it, retry */
static PL_SLOW_FN int own_slow(struct pl_buf *b)
{
	int e = errno, c;

	for (;;) {
		__atomic_store_n(&b->h.in, 0, __ATOMIC_RELEASE);
		while ((c = __atomic_load_n(&b->h.claim, __ATOMIC_ACQUIRE)) ==
		       PL_C_FLUSHER)
			sched_yield();
		if (c == PL_C_DEAD)
			break;
		__atomic_store_n(&b->h.in, 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&b->h.claim, __ATOMIC_ACQUIRE)) {
			errno = e;
			return 1;
		}
	}
	errno = e;
	return 0;
}

static inline void disown(struct pl_buf *b)
{
	pl_buf_release(&b->h);
}

/* claim_all() : announce a flush of every other registered buffer (under
 * the registry lock); 0 if the owners cannot be made to see it */
static int claim_all(void)
{
	struct pl_buf *b;

	for (b = reg_head; b; b = b->next)
		if (b != pl_tls.buf &&
		    __atomic_load_n(&b->h.claim, __ATOMIC_RELAXED) != PL_C_DEAD)
			__atomic_store_n(&b->h.claim, PL_C_FLUSHER,
					 __ATOMIC_RELAXED);
	if (pl_asym_ok && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
		return 1;
	if (!pl_asym_ok) {
		/* the owners fence: one here completes Dekker */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return 1;
	}
	return 0;
}

/* steal() : wait for b's owner to step out (claim_all() done), giving up
 * after a while (its owner could be stopped by a debugger or a signal) */
static int steal(struct pl_buf *b)
{
	int i;

	if (__atomic_load_n(&b->h.claim, __ATOMIC_RELAXED) != PL_C_FLUSHER)
		return 0;
	for (i = 0; i < 1000; i++) {
		if (!__atomic_load_n(&b->h.in, __ATOMIC_ACQUIRE))
			return 1;
		sched_yield();
	}
	return 0;
}

static void unclaim(struct pl_buf *b, int state)
{
	if (__atomic_load_n(&b->h.claim, __ATOMIC_RELAXED) != PL_C_DEAD)
		__atomic_store_n(&b->h.claim, state, __ATOMIC_RELEASE);
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
	struct fmt_msg_lost l = { (uint64_t)tid, count, reason };
	uint8_t m[FMT_WIRE_SMALL_MSG];

	return pl_send(m, fmt_msg_put_lost(m, &l), can_drop);
}

/*
 * Losses a thread could not report before it ended (the socket full in
 * drop mode, or the collector stalled), by reason: any later send of the
 * process reports them, with tid 0, and so does the exit's final flush.
 */
static uint64_t orphan_lost[FMT_LOST_BAD + 1];

static void orphan(uint64_t n, unsigned reason)
{
	if (n)
		__atomic_fetch_add(&orphan_lost[reason], n, __ATOMIC_RELAXED);
}

static void send_orphans(int can_drop)
{
	uint64_t n;
	unsigned r;

	for (r = 1; r <= FMT_LOST_BAD; r++) {
		if (!__atomic_load_n(&orphan_lost[r], __ATOMIC_RELAXED))
			continue;
		n = __atomic_exchange_n(&orphan_lost[r], 0, __ATOMIC_RELAXED);
		if (n && (!can_send() || send_lost(0, n, r, can_drop)))
			orphan(n, r);
	}
}

static PL_SLOW_FN void close_run(struct pl_buf *b, uint64_t end,
				  uint64_t now);

static void send_ended_first(void);

/* frame() : b's batch as one EVENTS datagram: its header written in
 * front of its events, which are iov[0], and its index, iov[1].
 * @return how many pieces: 1 when there is no index */
static int frame(struct pl_buf *b, struct iovec iov[2])
{
	struct fmt_msg_events e = { .tid = b->tid, .nevents = b->nevents,
				    .base_ts = b->base_ts,
				    .end_ts = b->last_ts };
	uint8_t *body = b->msg + PL_PREFIX;
	uint8_t *start = fmt_msg_events_before(body, b->len, b->ilen, &e);

	iov[0] = (struct iovec){ start, body + b->len - start };
	iov[1] = (struct iovec){ idx_of(b), b->ilen };
	return b->ilen ? 2 : 1;
}

/* send_buf() : send b's events as one EVENTS message (b held); an open
 * run is recorded first */
static void send_buf(struct pl_buf *b, int can_drop)
{
	struct iovec iov[2];
	uint64_t now;
	int r;

	if (b->h.run.calls) {
		now = pl_now();
		close_run(b, now, now);
	}
	if (b->nevents && can_send()) {
		/* ended threads' batches hold older events: first */
		if (PL_UNLIKELY(__atomic_load_n(&nended, __ATOMIC_RELAXED)))
			send_ended_first();
		frame(b, iov);
		r = pl_send2(iov[0].iov_base, iov[0].iov_len,
			     iov[1].iov_base, iov[1].iov_len, can_drop);
		if (r == -1)
			b->lost_full += b->nevents;
		else if (r == 0)
			send_orphans(1);
		pl_dbg(PL_DBG_EMIT, "tid %d: sent %u events, %u bytes: %d",
		       b->tid, b->nevents, b->len, r);
	}
	b->len = 0;
	b->nevents = 0;
	b->ilen = 0;
	b->ilast = 0;
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

/*
 * Timestamps in a batch must not decrease.  A blocking event carries its
 * start time but is recorded at its end, so an event a signal handler
 * recorded during the block is newer than the block's start.  Clamp the
 * start forward and shorten dur so the end time stays right.
 */
static inline void clamp_ts(struct pl_buf *b, struct fmt_event *ev,
			    const char *kinds)
{
	uint64_t d;

	if (PL_LIKELY(!b->nevents || ev->ts >= b->last_ts))
		return;
	d = b->last_ts - ev->ts;
	ev->ts = b->last_ts;
	if (kinds[0] == 'd')
		ev->f[FMT_F_DUR] = ev->f[FMT_F_DUR] > d ?
				   ev->f[FMT_F_DUR] - d : 0;
}

/* send_buf() out of the hot path, errno kept: the program's errno must
 * survive our send() */
static PL_SLOW_FN void send_buf_keep_errno(struct pl_buf *b)
{
	int e = errno;

	send_buf(b, 1);
	if (PL_UNLIKELY(pl_tls.lost_reentry))
		send_reentry_lost(1);
	errno = e;
}

/* same_as_last() : ev (of rule i's base) repeats the batch's last event
 * of its type but for the fields its repeat writes?  Else it becomes the
 * one the next may repeat */
static inline __attribute__((always_inline)) int
same_as_last(struct pl_buf *b, const struct fmt_event *ev, int i)
{
	const struct fmt_same_rule *r = &fmt_same_rules[i];
	struct pl_same *s = &b->same[i];
	uint32_t j, n = r->stack >= 0 ? ev->nstack : 0;
	int same;

	/* unrolled, r is a constant: a compare per kept field, and none of
	 * the stack for a type that has none (FREE) */
	if (s->ok && (r->stack < 0 || n == s->n)) {
		same = 1;
#pragma GCC unroll 8
		for (j = 0; j < FMT_MAX_FIELDS; j++)
			if ((r->keep >> j & 1) && ev->f[j] != s->f[j])
				same = 0;
		for (j = 0; same && j < n; j++)
			same = ev->stack[j] == s->frame[j];
		if (same)
			return 1;
	}
	s->ok = n <= PL_SAME_FRAMES;
#pragma GCC unroll 8
	for (j = 0; j < FMT_MAX_FIELDS; j++)
		if (r->keep >> j & 1)
			s->f[j] = ev->f[j];
	if (r->stack >= 0) {
		s->n = n;
		for (j = 0; j < n && j < PL_SAME_FRAMES; j++)
			s->frame[j] = ev->stack[j];
	}
	return 0;
}

/* encode_same() : ev as its repeat (rule i), at p */
static inline __attribute__((always_inline)) uint8_t *
encode_same(struct pl_buf *b, uint8_t *p, const struct fmt_event *ev, int i,
	    const char *kinds, uint64_t *prev)
{
	const struct fmt_same_rule *r = &fmt_same_rules[i];
	struct fmt_event rep = { .type = r->rep, .ts = ev->ts };
	unsigned j;

	for (j = 0; j < r->nrep; j++)
		rep.f[j] = ev->f[r->at[j]];
	return fmt_encode_kinds(p, &rep, kinds, FMT_WIRE, prev, &b->kref,
				&b->addrs);
}

/* index_event() : ev, about to be encoded at b->len, in the batch's index
 * when its type is one the collector reads (wire.h).  Asked of the events
 * that are not a repeat only, so out of line */
static __attribute__((noinline)) void
index_event(struct pl_buf *b, const struct fmt_event *ev)
{
	const struct fmt_event_info *in = fmt_event_info(ev->type);
	uint8_t *p;

	if (!in->indexed)
		return;
	p = fmt_index_put(idx_of(b) + b->ilen, b->len - b->ilast,
			  in->name_kind, fmt_name_addr(in, ev));
	b->ilen = p - idx_of(b);
	b->ilast = b->len;
}

/*
 * append_same() : encode ev at the end of b (held), as a repeat of rule
 * `same` (-1: none) when it is one.  Always inlined: with constant kinds
 * strings and rule (pl_emit_alloc() ...) the bound, the comparison and
 * the encoder unroll into straight-line code for that one type.
 */
static inline __attribute__((always_inline)) void
append_same(struct pl_buf *b, struct fmt_event *ev, uint64_t now,
	    const char *kinds, int same, const char *same_kinds)
{
	uint64_t prev;
	uint8_t *p;
	int i;

	/* the run's calls came before this event (a signal handler's
	 * run during the event's call: before its end) */
	if (PL_UNLIKELY(b->h.run.calls))
		close_run(b, ev->ts >= b->h.run.ts ? ev->ts : now, now);
	clamp_ts(b, ev, kinds);
	if (PL_UNLIKELY(b->len + fmt_kinds_bound(ev, kinds) > PL_CAP ||
			b->ilen > PL_IDX_CAP - PL_IDX_ENTRY))
		send_buf_keep_errno(b);
	if (!b->nevents) {
		b->base_ts = ev->ts;
		b->last_ts = ev->ts;
		b->first_now = now;
		fmt_kref_batch(&b->kref);
		fmt_addrs_batch(&b->addrs);
		for (i = 0; i < FMT_SAME_RULES; i++)
			b->same[i].ok = 0;
	}
	prev = b->last_ts;
	p = b->msg + PL_PREFIX + b->len;
	if (same >= 0 && same_as_last(b, ev, same)) {
		p = encode_same(b, p, ev, same, same_kinds, &prev);
	} else {
		index_event(b, ev);
		p = fmt_encode_kinds(p, ev, kinds, FMT_WIRE, &prev, &b->kref,
				     &b->addrs);
	}
	b->last_ts = prev;
	b->len = p - (b->msg + PL_PREFIX);
	b->nevents++;
	__atomic_store_n(b->rec, *b->rec + 1, __ATOMIC_RELAXED);
	if (PL_UNLIKELY(now - b->first_now >= pl_conf.flush_ns))
		send_buf_keep_errno(b);
}

static inline __attribute__((always_inline)) void
append(struct pl_buf *b, struct fmt_event *ev, uint64_t now,
       const char *kinds)
{
	append_same(b, ev, now, kinds, -1, NULL);
}

/*
 * close_run() : record b's open run (b held), closed at `end`.  The run
 * is closed before it is appended, so that the append (and a send it
 * may make) does not record it again.
 */
static PL_SLOW_FN void close_run(struct pl_buf *b, uint64_t end, uint64_t now)
{
	struct fmt_event ev = { .type = FMT_EV_STDIO_RUN };
	struct pl_run *r = &b->h.run;
	uint64_t ra = r->ra;

	ev.ts = r->ts;
	ev.f[FMT_F_STDIO_RUN_fd] = (uint64_t)(int64_t)pl_run_fd(r->key);
	ev.f[FMT_F_STDIO_RUN_call] = pl_run_call(r->key);
	ev.f[FMT_F_STDIO_RUN_type] = pl_run_type(r->key);
	ev.f[FMT_F_STDIO_RUN_calls] = r->calls;
	ev.f[FMT_F_STDIO_RUN_bytes] = r->bytes;
	ev.f[FMT_F_STDIO_RUN_got] = r->got;
	ev.f[FMT_F_STDIO_RUN_span] = end > r->ts ? end - r->ts : 0;
	ev.stack = &ra;
	ev.nstack = 1;
	r->calls = 0;
	append(b, &ev, now, fmt_kinds_STDIO_RUN);
	/* counted once, when it opened */
	__atomic_store_n(b->rec, *b->rec - 1, __ATOMIC_RELAXED);
}

/* a served call that does not extend the open run: close it, open one */
static PL_SLOW_FN void new_run(struct pl_buf *b, unsigned type, int fd,
			       unsigned call, uint64_t bytes, uint64_t got,
			       void *ra)
{
	struct pl_run *r = &b->h.run;
	uint64_t now = pl_now();

	if (r->calls)
		close_run(b, now, now);
	r->ts = now;
	r->bytes = bytes;
	r->got = got;
	r->ra = (uintptr_t)ra;
	r->key = pl_run_key(type, call, fd);
	r->calls = 1;
	/* an event from now on, for the thread table: should the process
	 * be killed before the run is sent, it is one of those lost */
	__atomic_store_n(b->rec, *b->rec + 1, __ATOMIC_RELAXED);
}

/*
 * An event after its thread's end (a pthread_key destructor, a signal
 * handler on an exiting thread) or after the exit's final flush has no
 * buffer to go to: counted as lost, reason exiting, for the process's
 * next send to report.
 */
static PL_SLOW_FN void late_event(void)
{
	orphan(1, FMT_LOST_EXITING);
}

/*
 * The stacks stack.c cut to the call site for lack of room: counted in a
 * STACK_CUT event right after the event (usually the one cut).  b held.
 */
static PL_SLOW_FN void append_cut(struct pl_buf *b, uint64_t now)
{
	struct fmt_event ev = { .type = FMT_EV_STACK_CUT };

	ev.ts = b->last_ts;
	ev.f[FMT_F_STACK_CUT_count] = pl_tls.cut_n;
	ev.f[FMT_F_STACK_CUT_room] = pl_tls.cut_room;
	ev.f[FMT_F_STACK_CUT_need] = pl_unwind_room();
	pl_tls.cut_n = 0;
	append(b, &ev, now, fmt_event_info(FMT_EV_STACK_CUT)->kinds);
}

/*
 * Inside the guard: a signal handler's call is a lost event; the
 * unwinder's own calls (a lock of libgcc's) are ctrace's, not lost.
 */
static PL_SLOW_FN void reentered(const struct fmt_event *ev)
{
	if (pl_tls.unwinding && ev->nstack && pl_unwinder_call(
	    (const void *)(uintptr_t)ev->stack[0]))
		return;
	pl_tls.lost_reentry++;
}

/* self_buf() out of the hot path, errno kept (mmap may set it) */
static PL_SLOW_FN struct pl_buf *new_buf_keep_errno(void)
{
	int e = errno;
	struct pl_buf *b = self_buf();

	errno = e;
	return b;
}

/*
 * emit() : the body of every pl_emit*().  Nothing on the common path
 * (guard, own, encode, disown) can change errno; the rare calls that
 * can (send, mmap, sched_yield) keep it themselves.
 */
static inline __attribute__((always_inline)) void
emit_same(struct fmt_event *ev, uint64_t now, const char *kinds, int same,
	  const char *same_kinds)
{
	struct pl_buf *b;

	if (PL_UNLIKELY(!pl_enter())) {
		reentered(ev);
		return;
	}
	b = pl_tls.buf;
	if (PL_UNLIKELY(!b))
		b = new_buf_keep_errno();
	if (PL_LIKELY(b != NULL) && own(b)) {
		append_same(b, ev, now, kinds, same, same_kinds);
		if (PL_UNLIKELY(pl_tls.cut_n))
			append_cut(b, now);
		disown(b);
	} else if (b || pl_tls.ended) {
		late_event();
	}
	pl_leave();
	/* a long block ends a stretch the scheduler's accounting can
	 * split: read it (about 20 us against at least 10 ms) */
	if (kinds[0] == 'd' &&
	    PL_UNLIKELY(ev->f[FMT_F_DUR] >= PL_CPU_BLOCK_NS) &&
	    pl_on(FMT_FAM_CPU))
		pl_cpu_after_block();
}

static inline __attribute__((always_inline)) void
emit(struct fmt_event *ev, uint64_t now, const char *kinds)
{
	emit_same(ev, now, kinds, -1, NULL);
}

void pl_emit(struct fmt_event *ev, uint64_t now)
{
	emit(ev, now, fmt_event_info(ev->type)->kinds);
}

void pl_emit_alloc(struct fmt_event *ev, uint64_t now)
{
	emit_same(ev, now, fmt_kinds_ALLOC, FMT_SAME_ALLOC,
		  fmt_kinds_ALLOC_SAME);
}

void pl_emit_free(struct fmt_event *ev, uint64_t now)
{
	emit_same(ev, now, fmt_kinds_FREE, FMT_SAME_FREE, fmt_kinds_FREE_SAME);
}

void pl_emit_rw(struct fmt_event *ev, uint64_t now)
{
	if (ev->type == FMT_EV_READ)
		emit_same(ev, now, fmt_kinds_READ, FMT_SAME_READ,
			  fmt_kinds_READ_SAME);
	else
		emit_same(ev, now, fmt_kinds_WRITE, FMT_SAME_WRITE,
			  fmt_kinds_WRITE_SAME);
}

void pl_emit_poll(struct fmt_event *ev, uint64_t now)
{
	emit_same(ev, now, fmt_kinds_POLL, FMT_SAME_POLL, fmt_kinds_POLL_SAME);
}

/*
 * pl_served_slow() : what bufhead.h's pl_served() does not do inline: the
 * thread's first buffer, a new run, a flusher holding the buffer, a
 * reentry.  Counted as an event's append holds the buffer, so a flusher
 * sees a whole run.
 */
void pl_served_slow(unsigned type, int fd, unsigned call, uint64_t bytes,
		    uint64_t got, void *ra)
{
	struct pl_buf *b;
	struct pl_run *r;

	if (PL_UNLIKELY(!pl_enter())) {
		pl_tls.lost_reentry++;
		return;
	}
	b = pl_tls.buf;
	if (PL_UNLIKELY(!b))
		b = new_buf_keep_errno();
	if (PL_LIKELY(b != NULL) && own(b)) {
		r = &b->h.run;
		if (r->calls && r->calls < PL_RUN_MAX &&
		    r->ra == (uintptr_t)ra &&
		    r->key == pl_run_key(type, call, fd)) {
			r->calls++;
			r->bytes += bytes;
			r->got += got;
		} else {
			new_run(b, type, fd, call, bytes, got, ra);
		}
		disown(b);
	} else if (b || pl_tls.ended) {
		late_event();
	}
	pl_leave();
}

void pl_flush_self(void)
{
	struct pl_buf *b = pl_tls.buf;
	int e = errno;

	if (!pl_enter())
		return;
	if (b && own(b)) {
		send_buf(b, 1);
		disown(b);
	}
	send_reentry_lost(1);
	pl_leave();
	errno = e;
}

/*
 * The slot's count is what the collector compares with what it got when
 * the process dies without BYE.  Should the fatal signal have
 * interrupted append() between its load and store of the count, this
 * one is lost from it: nothing better is safe from the handler.
 */
void pl_lost_dying(void)
{
	struct pl_buf *b = pl_tls.buf;

	if (b)
		__atomic_fetch_add(b->rec, 1, __ATOMIC_RELAXED);
}

/* the process ends: b's thread (held) is cut wherever it is */
static void at_exit(struct pl_buf *b)
{
	struct fmt_event ev = { .type = FMT_EV_UNFINISHED };
	const struct pl_pend *pd = &b->tls->pend;
	uint64_t ra, ts = __atomic_load_n(&pd->ts, __ATOMIC_ACQUIRE);
	uint64_t now = pl_now();

	if (b->nevents && now < b->last_ts)
		now = b->last_ts;

	if (ts && ts <= now) {
		ra = (uintptr_t)pd->ra;
		fmt_unfinished(&ev, ts, now, pd->type, pd->obj, pd->fd,
			       pd->call, pd->holder);
		ev.stack = &ra;
		ev.nstack = 1;
		append(b, &ev, now, fmt_kinds_UNFINISHED);
	}
	if (pl_on(FMT_FAM_CPU)) {
		ev = (struct fmt_event){ .type = FMT_EV_SCHED, .ts = now };
		ev.f[FMT_F_SCHED_why] = FMT_SCHED_EXIT;
		ev.f[FMT_F_SCHED_src] =
			pl_cpu_read(b == pl_tls.buf ? 0 : b->tid,
				    &ev.f[FMT_F_SCHED_run],
				    &ev.f[FMT_F_SCHED_wait]);
		append(b, &ev, now, fmt_kinds_SCHED);
	}
}

/* ------------------------------------------------------------------ */
/* ended threads' batches                                               */

/* b leaves the registry and the thread table (its count is complete)
 * for the pool (registry lock held) */
static void retire_locked(struct pl_buf *b)
{
	reg_del_locked(b);
	tab_detach(b);
	pool_put_locked(b);
}

/*
 * send_ended_locked() : the queued batches of ended threads, in one
 * sendmmsg(), then their buffers to the pool.  Registry lock held: no
 * flush of every buffer (exit, exec) runs meanwhile, and those buffers,
 * still registered, are ours to send.  A batch the flush of every
 * buffer already sent is empty here.
 */
static void send_ended_locked(void)
{
	struct mmsghdr mm[PL_ENDED_MAX];
	struct iovec iov[PL_ENDED_MAX][2];
	struct pl_buf *b;
	unsigned i, n = 0, sent;

	for (i = 0; i < nended && can_send(); i++) {
		b = ended[i];
		if (!b->nevents)
			continue;
		mm[n] = (struct mmsghdr){ .msg_hdr = {
			.msg_iov = iov[n], .msg_iovlen = frame(b, iov[n]) } };
		n++;
	}
	sent = n ? pl_sendm(mm, n) : 0;
	pl_dbg(PL_DBG_EMIT, "%u ended threads' batches: %u of %u sent",
	       nended, sent, n);
	for (i = 0, n = 0; i < nended; i++) {
		b = ended[i];
		if (b->nevents && n++ >= sent)
			orphan(b->nevents, FMT_LOST_FULL);
		retire_locked(b);
	}
	nended = 0;
	if (sent)
		send_orphans(0);
}

/*
 * queue_ended() : b, its ended thread's last batch (the run in it
 * closed, b no longer held: a flush of every buffer may be waiting for
 * it), joins the queue, which is sent once full.
 */
static void queue_ended(struct pl_buf *b)
{
	lock_reg();
	b->tls = NULL;		/* the thread's own memory goes with it */
	ended[nended++] = b;
	if (nended == PL_ENDED_MAX)
		send_ended_locked();
	unlock_reg();
}

/*
 * send_ended_first() : before a thread sends its own batch, the ended
 * threads' (their events are older: a reader that meets a freed block
 * before the wait on it cannot name it).  The caller holds its buffer,
 * and a flush of every buffer holding the registry may be waiting for
 * it: so only tried, a while - that flush sends them first anyway.
 */
static void send_ended_first(void)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (trylock_reg()) {
			if (nended)
				send_ended_locked();
			unlock_reg();
			return;
		}
		if (!__atomic_load_n(&nended, __ATOMIC_RELAXED))
			return;
		sched_yield();
	}
}

/*
 * pl_flush_all() : every buffer, ours as its owner, the others claimed
 * all at once so that one membarrier() covers them (see "ownership").
 * The final flush of exit first records, for every thread, the call it
 * is blocked in and its last scheduler reading.
 */
void pl_flush_all(int final)
{
	struct pl_buf *b, *self = pl_tls.buf;
	int e = errno, claimed;

	if (!pl_enter())
		return;
	lock_reg();
	if (nended)
		send_ended_locked();	/* their events are the oldest */
	if (self && self->registered && own(self)) {
		if (final && self->tls)
			at_exit(self);
		send_buf(self, 0);
		disown(self);
		if (final)
			unclaim(self, PL_C_DEAD);
	}
	claimed = claim_all();
	for (b = reg_head; b; b = b->next) {
		if (b == self)
			continue;
		if (claimed && steal(b)) {
			if (final && b->tls)
				at_exit(b);
			send_buf(b, 0);
			unclaim(b, final ? PL_C_DEAD : PL_C_NONE);
		} else {
			unclaim(b, PL_C_NONE);
		}
	}
	unlock_reg();
	send_reentry_lost(0);
	send_orphans(0);
	pl_leave();
	errno = e;
}

/* ------------------------------------------------------------------ */
/* thread end                                                           */

static void drop_self(void)
{
	struct pl_buf *b = pl_tls.buf;
	uint64_t now;
	int defer = 0;

	if (!b)
		return;
	/* in drop mode a thread's end never waits: what it cannot send it
	 * leaves to the process to report.  Else its batch waits for the
	 * next ones of ended threads, or for any send of the process */
	if (own(b)) {
		defer = !pl_conf.drop && b->nevents && !b->lost_full &&
			can_send();
		if (defer && b->h.run.calls) {
			now = pl_now();
			close_run(b, now, now);
		}
		if (!defer) {
			send_buf(b, pl_conf.drop);
			orphan(b->lost_full, FMT_LOST_FULL);
			b->lost_full = 0;
		}
		disown(b);
	}
	send_reentry_lost(pl_conf.drop);
	orphan(__atomic_exchange_n(&pl_tls.lost_reentry, 0, __ATOMIC_RELAXED),
	       FMT_LOST_REENTRY);
	pl_tls.buf = NULL;
	if (defer) {
		queue_ended(b);		/* send_ended_locked() retires it */
		return;
	}
	lock_reg();
	retire_locked(b);
	unlock_reg();
}

/* pl_thread_ended() : THREAD_END is recorded: flush and stop recording */
void pl_thread_ended(void)
{
	int e = errno;

	pl_cpu_stop_self();
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

	pl_cpu_thread_end();
	if (!pl_tls.ended && pl_tls.started && pl_on(PL_LIFE_THREAD)) {
		ev.ts = pl_now();
		ev.f[FMT_F_THREAD_END_how] = FMT_END_PTHREAD_EXIT;
		pl_emit(&ev, ev.ts);
	}
	errno = e;
	pl_thread_ended();
}

void pl_emit_init(void)
{
	struct pl_buf *b;

	asym_init();
	tsd_ok = pthread_key_create(&tsd_key, thread_exit_cb) == 0;
	/* threads that recorded before our constructor count from here,
	 * with what their buffers hold (nothing was sent yet) */
	tab_new();
	lock_reg();
	for (b = reg_head; b; b = b->next)
		tab_attach(b);
	unlock_reg();
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
	struct fmt_tab *old = tab;

	reg_lock = 0;
	asym_init();		/* registration belongs to the old mm */
	/* the parent's table is shared with us: a table of our own, which
	 * our HELLO carries (the parent's descriptor, if any, is its own) */
	pl_tab_close();
	tab_new();
	if (old)
		REAL(munmap)(old, FMT_TAB_SIZE);
	for (b = reg_head; b; b = next) {
		next = b->next;
		if (b != self)
			REAL(munmap)(b, PL_BUF_SIZE);
	}
	reg_head = NULL;
	nended = 0;		/* the parent's, unmapped above */
	pl_tls.slot = NULL;	/* in the parent's table, unmapped */
	pl_tls.tid = 0;
	pl_tls.lost_reentry = 0;
	if (self) {
		memset(self, 0, offsetof(struct pl_buf, msg));
		self->rec = &self->rec_none;
		self->tid = pl_tid();
		self->tls = &pl_tls;
		reg_add(self);
	}
}
