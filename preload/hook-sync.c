/*
 * hook-sync.c - the sync family: mutexes, rwlocks, condition variables,
 * semaphores, barriers, spin locks and syscall(SYS_futex, ...).
 *
 * Uncontended operations record nothing and cost a trylock: lock first
 * tries the real trylock and only on EBUSY takes the slow path (read the
 * holder, time the real blocking call, record).  Wakers (unlock with
 * waiters, cond signal/broadcast, sem_post with waiters, futex wake) note
 * {tid, ts} in a wake slot hashed by the object's address *before* the
 * real wake; a waiter, back from its wait, takes the slot's thread as its
 * waker when the slot names its object and the time lies inside the wait.
 * Waker event and slot carry the same ts, so the analyzer can pair a wait
 * with the exact signal/unlock/post/wake that ended it: waker = tid,
 * wait.ts + wait.dur - wake_dt = the waker event's ts.
 *
 * Events (ts = start of the call; dur = time blocked; results as the call
 * returned: pthread_* and the futex op value, sem_* as 0 or -errno):
 *   mutex lock/timedlock/clocklock, contended
 *                     MUTEX_BLOCK {dur, obj, holder, result, waker, wake_dt,
 *                                  stack}
 *   mutex unlock, lock word shows waiters
 *                     MUTEX_WAKE {obj, stack}
 *   rwlock rd/wr lock, timed, clock, contended
 *                     RWLOCK_BLOCK {dur, obj, write, result, stack}
 *   cond wait/timedwait/clockwait, every call
 *                     COND_WAIT {dur, obj, mutex, result, waker, wake_dt,
 *                                stack}
 *   cond signal/broadcast, every call
 *                     COND_SIGNAL {obj, all, stack}
 *   sem wait/timedwait/clockwait, contended (sem_trywait failed)
 *                     SEM_WAIT {dur, obj, result, waker, wake_dt, stack}
 *   sem_post, semaphore shows waiters
 *                     SEM_POST {obj, stack}
 *   pthread_barrier_wait, every call
 *                     BARRIER_WAIT {dur, obj, result, stack}
 *   pthread_spin_lock, contended
 *                     SPIN_BLOCK {dur, obj, stack}
 *   syscall(SYS_futex) wait ops (WAIT, WAIT_BITSET, LOCK_PI, LOCK_PI2,
 *   WAIT_REQUEUE_PI)  FUTEX_WAIT {dur, obj, op, val, result, waker, wake_dt,
 *                                 stack}  (result: value or -errno)
 *   syscall(SYS_futex) wake ops (WAKE, WAKE_BITSET, WAKE_OP, REQUEUE,
 *   CMP_REQUEUE, CMP_REQUEUE_PI, UNLOCK_PI)
 *                     FUTEX_WAKE {obj, op, result, stack}
 *
 * The glibc layouts read here (x86_64 and aarch64, glibc >= 2.21):
 * pthread_mutex_t is {int lock, count, owner, nusers, kind, ...}; sem_t
 * starts with a 64-bit word holding the value in the low and the number
 * of waiters in the high 32 bits.  A wrong guess only costs an event.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pl.h"
#include "guard.h"

#define RA() __builtin_return_address(0)
/* slow paths stay out of line: the fast paths carry no event on their
 * stack and no zeroing of one */
#define PL_SLOW __attribute__((noinline, cold))

/* ------------------------------------------------------------------ */
/* wake slots                                                           */

#define PL_WSLOT_BITS	12
#define PL_WSLOTS	(1u << PL_WSLOT_BITS)

struct pl_wslot {
	uint32_t seq;		/* seqlock: odd while being written */
	int32_t tid;
	uint64_t obj;
	uint64_t ts;
	uint64_t pad;
};

static struct pl_wslot wslots[PL_WSLOTS] __attribute__((aligned(64)));

static inline struct pl_wslot *wslot(const void *obj)
{
	uint64_t x = ((uintptr_t)obj >> 3) * 0x9e3779b97f4a7c15ull;

	return &wslots[x >> (64 - PL_WSLOT_BITS)];
}

/* wake_note() : "tid wakes obj at ts"; a busy slot is skipped (a link
 * lost, never a wait) */
static void wake_note(const void *obj, uint64_t ts)
{
	struct pl_wslot *s = wslot(obj);
	uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

	pl_hold(ts);
	if ((seq & 1) ||
	    !__atomic_compare_exchange_n(&s->seq, &seq, seq + 1, 0,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->obj, (uintptr_t)obj, __ATOMIC_RELAXED);
	__atomic_store_n(&s->tid, pl_tid(), __ATOMIC_RELAXED);
	__atomic_store_n(&s->ts, ts, __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

/* wake_find() : the waker of a wait on obj over [t0, t1], if noted */
static void wake_find(const void *obj, uint64_t t0, uint64_t t1,
		      uint64_t *tid, uint64_t *dt)
{
	struct pl_wslot *s = wslot(obj);
	uint32_t s1, s2;
	uint64_t o, ts;
	int32_t w;
	int i;

	for (i = 0; i < 4; i++) {
		s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		o = __atomic_load_n(&s->obj, __ATOMIC_RELAXED);
		w = __atomic_load_n(&s->tid, __ATOMIC_RELAXED);
		ts = __atomic_load_n(&s->ts, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (s1 != s2)
			continue;
		if (o == (uintptr_t)obj && ts >= t0 && ts <= t1) {
			*tid = w;
			*dt = t1 - ts;
		}
		return;
	}
}

/* a fork child inherits slots other threads were writing: unstick them */
void pl_wake_postfork_child(void)
{
	unsigned i;

	for (i = 0; i < PL_WSLOTS; i++)
		if (wslots[i].seq & 1)
			wslots[i].seq++;
}

/* ------------------------------------------------------------------ */
/* recording                                                            */

/*
 * blocked() : record a blocking event that started at t0 and ended now;
 * the fields after dur are filled by the caller; with wi > 0 the waker
 * fields, waker at f[wi] and wake_dt at f[wi + 1], are looked up for
 * wobj.  Keeps errno.
 */
_Static_assert(FMT_F_MUTEX_BLOCK_wake_dt == FMT_F_MUTEX_BLOCK_waker + 1 &&
	       FMT_F_COND_WAIT_wake_dt == FMT_F_COND_WAIT_waker + 1 &&
	       FMT_F_SEM_WAIT_wake_dt == FMT_F_SEM_WAIT_waker + 1 &&
	       FMT_F_FUTEX_WAIT_wake_dt == FMT_F_FUTEX_WAIT_waker + 1,
	       "wake_dt follows waker");
static void blocked(struct fmt_event *ev, uint64_t t0, void *ra, int wi,
		    const void *wobj)
{
	uint64_t st[PL_STACK_MAX], t1 = pl_now();

	pl_unpend();
	ev->ts = t0;
	ev->f[FMT_F_DUR] = t1 - t0;
	if (wi > 0)
		wake_find(wobj, t0, t1, &ev->f[wi], &ev->f[wi + 1]);
	ev->stack = st;
	/* time spent blocked is what profiles are made of: a deep stack */
	ev->nstack = pl_stack_block(st, ra);
	pl_emit(ev, t1);
}

/* waking() : record a wake event noted at ts */
static void waking(struct fmt_event *ev, uint64_t ts, void *ra)
{
	uint64_t st[PL_STACK_MAX];

	ev->ts = ts;
	ev->stack = st;
	ev->nstack = pl_stack(st, ra);
	pl_emit(ev, ts);
	pl_release();
}

/* ------------------------------------------------------------------ */
/* mutexes                                                              */

enum { LK_PLAIN, LK_TIMED, LK_CLOCK };

static PL_SLOW int mutex_slow(pthread_mutex_t *m, int how, clockid_t clk,
		      const struct timespec *abs, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_MUTEX_BLOCK };
	int holder = ((volatile int *)m)[2];
	uint64_t t0 = pl_now();
	int r, e;

	pl_pend_mutex(t0, (uintptr_t)m, ra, holder);
	if (how == LK_PLAIN)
		r = REAL(pthread_mutex_lock)(m);
	else if (how == LK_TIMED)
		r = REAL(pthread_mutex_timedlock)(m, abs);
	else
		r = REAL(pthread_mutex_clocklock)(m, clk, abs);
	e = errno;
	ev.f[FMT_F_MUTEX_BLOCK_obj] = (uintptr_t)m;
	ev.f[FMT_F_MUTEX_BLOCK_holder] = holder;
	ev.f[FMT_F_MUTEX_BLOCK_result] = (uint64_t)(int64_t)r;
	blocked(&ev, t0, ra, FMT_F_MUTEX_BLOCK_waker, m);
	errno = e;
	return r;
}

PL_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	int r;

	if (!pl_on(FMT_FAM_SYNC))
		return REAL(pthread_mutex_lock)(m);
	r = REAL(pthread_mutex_trylock)(m);
	if (PL_LIKELY(r != EBUSY))
		return r;
	return mutex_slow(m, LK_PLAIN, 0, NULL, RA());
}

PL_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m,
				      const struct timespec *abs)
{
	int r;

	if (!pl_on(FMT_FAM_SYNC))
		return REAL(pthread_mutex_timedlock)(m, abs);
	r = REAL(pthread_mutex_trylock)(m);
	if (r != EBUSY)
		return r;
	return mutex_slow(m, LK_TIMED, 0, abs, RA());
}

PL_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk,
				      const struct timespec *abs)
{
	int r;

	if (!REAL(pthread_mutex_clocklock))
		return ENOSYS;
	if (!pl_on(FMT_FAM_SYNC))
		return REAL(pthread_mutex_clocklock)(m, clk, abs);
	r = REAL(pthread_mutex_trylock)(m);
	if (r != EBUSY)
		return r;
	return mutex_slow(m, LK_CLOCK, clk, abs, RA());
}

/* will this unlock wake a waiter?  (glibc lock word, see top) */
static int mutex_waiters(pthread_mutex_t *m)
{
	volatile int *w = (volatile int *)m;
	int lock = w[0], kind = w[4];

	if ((kind & 3) == PTHREAD_MUTEX_RECURSIVE_NP && w[1] > 1)
		return 0;		/* only the count drops */
	if (kind & 64)			/* priority protect: ceiling above */
		return (lock & 0x7ffff) > 1;
	if (kind & (16 | 32))		/* robust or PI: tid | WAITERS */
		return (lock & FUTEX_WAITERS) != 0;
	return lock > 1;
}

static PL_SLOW int mutex_unlock_slow(pthread_mutex_t *m, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_MUTEX_WAKE };
	uint64_t ts = pl_now();
	int r, e;

	wake_note(m, ts);
	r = REAL(pthread_mutex_unlock)(m);
	if (r) {
		pl_release();
		return r;
	}
	e = errno;
	ev.f[FMT_F_MUTEX_WAKE_obj] = (uintptr_t)m;
	waking(&ev, ts, ra);
	errno = e;
	return r;
}

PL_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (!pl_on(FMT_FAM_SYNC) || PL_LIKELY(!mutex_waiters(m)))
		return REAL(pthread_mutex_unlock)(m);
	return mutex_unlock_slow(m, RA());
}

/* ------------------------------------------------------------------ */
/* rwlocks                                                              */

static PL_SLOW int rw_slow(pthread_rwlock_t *l, int wr, int how, clockid_t clk,
		   const struct timespec *abs, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_RWLOCK_BLOCK };
	uint64_t t0 = pl_now();
	int r, e;

	pl_pend(FMT_EV_RWLOCK_BLOCK, t0, (uintptr_t)l, -1, 0, ra);
	if (how == LK_PLAIN)
		r = wr ? REAL(pthread_rwlock_wrlock)(l) :
			 REAL(pthread_rwlock_rdlock)(l);
	else if (how == LK_TIMED)
		r = wr ? REAL(pthread_rwlock_timedwrlock)(l, abs) :
			 REAL(pthread_rwlock_timedrdlock)(l, abs);
	else
		r = wr ? REAL(pthread_rwlock_clockwrlock)(l, clk, abs) :
			 REAL(pthread_rwlock_clockrdlock)(l, clk, abs);
	e = errno;
	ev.f[FMT_F_RWLOCK_BLOCK_obj] = (uintptr_t)l;
	ev.f[FMT_F_RWLOCK_BLOCK_write] = wr;
	ev.f[FMT_F_RWLOCK_BLOCK_result] = (uint64_t)(int64_t)r;
	blocked(&ev, t0, ra, 0, NULL);
	errno = e;
	return r;
}

/* rw_lock() : trylock first; the slow path only when it is busy */
static int rw_lock(pthread_rwlock_t *l, int wr, int how, clockid_t clk,
		   const struct timespec *abs, void *ra)
{
	int r;

	if (pl_on(FMT_FAM_SYNC)) {
		r = wr ? REAL(pthread_rwlock_trywrlock)(l) :
			 REAL(pthread_rwlock_tryrdlock)(l);
		if (r != EBUSY)
			return r;
		return rw_slow(l, wr, how, clk, abs, ra);
	}
	if (how == LK_PLAIN)
		return wr ? REAL(pthread_rwlock_wrlock)(l) :
			    REAL(pthread_rwlock_rdlock)(l);
	if (how == LK_TIMED)
		return wr ? REAL(pthread_rwlock_timedwrlock)(l, abs) :
			    REAL(pthread_rwlock_timedrdlock)(l, abs);
	return wr ? REAL(pthread_rwlock_clockwrlock)(l, clk, abs) :
		    REAL(pthread_rwlock_clockrdlock)(l, clk, abs);
}

PL_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	return rw_lock(l, 0, LK_PLAIN, 0, NULL, RA());
}

PL_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	return rw_lock(l, 1, LK_PLAIN, 0, NULL, RA());
}

PL_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l,
					 const struct timespec *abs)
{
	return rw_lock(l, 0, LK_TIMED, 0, abs, RA());
}

PL_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l,
					 const struct timespec *abs)
{
	return rw_lock(l, 1, LK_TIMED, 0, abs, RA());
}

PL_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clk,
					 const struct timespec *abs)
{
	if (!REAL(pthread_rwlock_clockrdlock))
		return ENOSYS;
	return rw_lock(l, 0, LK_CLOCK, clk, abs, RA());
}

PL_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clk,
					 const struct timespec *abs)
{
	if (!REAL(pthread_rwlock_clockwrlock))
		return ENOSYS;
	return rw_lock(l, 1, LK_CLOCK, clk, abs, RA());
}

/* ------------------------------------------------------------------ */
/* condition variables                                                  */

static int cond_done(int r, pthread_cond_t *c, pthread_mutex_t *m,
		     uint64_t t0, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_COND_WAIT };
	int e = errno;

	ev.f[FMT_F_COND_WAIT_obj] = (uintptr_t)c;
	ev.f[FMT_F_COND_WAIT_mutex] = (uintptr_t)m;
	ev.f[FMT_F_COND_WAIT_result] = (uint64_t)(int64_t)r;
	blocked(&ev, t0, ra, FMT_F_COND_WAIT_waker, c);
	errno = e;
	return r;
}

PL_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	uint64_t t0;

	if (!pl_on(FMT_FAM_SYNC))
		return REAL(pthread_cond_wait)(c, m);
	t0 = pl_now();
	pl_pend(FMT_EV_COND_WAIT, t0, (uintptr_t)c, -1, 0, RA());
	return cond_done(REAL(pthread_cond_wait)(c, m), c, m, t0, RA());
}

PL_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				     const struct timespec *abs)
{
	uint64_t t0;

	if (!pl_on(FMT_FAM_SYNC))
		return REAL(pthread_cond_timedwait)(c, m, abs);
	t0 = pl_now();
	pl_pend(FMT_EV_COND_WAIT, t0, (uintptr_t)c, -1, 0, RA());
	return cond_done(REAL(pthread_cond_timedwait)(c, m, abs), c, m, t0,
			 RA());
}

PL_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m,
				     clockid_t clk, const struct timespec *abs)
{
	uint64_t t0;

	if (!REAL(pthread_cond_clockwait))
		return ENOSYS;
	if (!pl_on(FMT_FAM_SYNC))
		return REAL(pthread_cond_clockwait)(c, m, clk, abs);
	t0 = pl_now();
	pl_pend(FMT_EV_COND_WAIT, t0, (uintptr_t)c, -1, 0, RA());
	return cond_done(REAL(pthread_cond_clockwait)(c, m, clk, abs), c, m,
			 t0, RA());
}

static int cond_wake(pthread_cond_t *c, int all, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_COND_SIGNAL };
	uint64_t ts = pl_now();
	int r, e;

	wake_note(c, ts);
	r = all ? REAL(pthread_cond_broadcast)(c) : REAL(pthread_cond_signal)(c);
	e = errno;
	ev.f[FMT_F_COND_SIGNAL_obj] = (uintptr_t)c;
	ev.f[FMT_F_COND_SIGNAL_all] = all;
	waking(&ev, ts, ra);
	errno = e;
	return r;
}

PL_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
	if (!pl_on(FMT_FAM_SYNC))
		return REAL(pthread_cond_signal)(c);
	return cond_wake(c, 0, RA());
}

PL_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
	if (!pl_on(FMT_FAM_SYNC))
		return REAL(pthread_cond_broadcast)(c);
	return cond_wake(c, 1, RA());
}

/* ------------------------------------------------------------------ */
/* semaphores                                                           */

static PL_SLOW int sem_slow(sem_t *s, int how, clockid_t clk,
		    const struct timespec *abs, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_SEM_WAIT };
	uint64_t t0 = pl_now();
	int r, e;

	pl_pend(FMT_EV_SEM_WAIT, t0, (uintptr_t)s, -1, 0, ra);
	if (how == LK_PLAIN)
		r = REAL(sem_wait)(s);
	else if (how == LK_TIMED)
		r = REAL(sem_timedwait)(s, abs);
	else
		r = REAL(sem_clockwait)(s, clk, abs);
	e = errno;
	ev.f[FMT_F_SEM_WAIT_obj] = (uintptr_t)s;
	ev.f[FMT_F_SEM_WAIT_result] = r ? (uint64_t)-(int64_t)e : 0;
	blocked(&ev, t0, ra, FMT_F_SEM_WAIT_waker, s);
	errno = e;
	return r;
}

/* sem_lock() : sem_trywait first, errno untouched unless we block */
static int sem_lock(sem_t *s, int how, clockid_t clk,
		    const struct timespec *abs, void *ra)
{
	int e = errno;

	if (REAL(sem_trywait)(s) == 0)
		return 0;
	if (errno != EAGAIN)
		return -1;
	errno = e;
	return sem_slow(s, how, clk, abs, ra);
}

PL_EXPORT int sem_wait(sem_t *s)
{
	if (!pl_on(FMT_FAM_SYNC))
		return REAL(sem_wait)(s);
	return sem_lock(s, LK_PLAIN, 0, NULL, RA());
}

PL_EXPORT int sem_timedwait(sem_t *s, const struct timespec *abs)
{
	if (!pl_on(FMT_FAM_SYNC))
		return REAL(sem_timedwait)(s, abs);
	return sem_lock(s, LK_TIMED, 0, abs, RA());
}

PL_EXPORT int sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *abs)
{
	if (!REAL(sem_clockwait)) {
		errno = ENOSYS;
		return -1;
	}
	if (!pl_on(FMT_FAM_SYNC))
		return REAL(sem_clockwait)(s, clk, abs);
	return sem_lock(s, LK_CLOCK, clk, abs, RA());
}

static int sem_waiters(sem_t *s)
{
#if __SIZEOF_POINTER__ == 8
	return (__atomic_load_n((uint64_t *)s, __ATOMIC_RELAXED) >> 32) != 0;
#else
	return 1;
#endif
}

static PL_SLOW int sem_post_slow(sem_t *s, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_SEM_POST };
	uint64_t ts = pl_now();
	int r, e;

	wake_note(s, ts);
	r = REAL(sem_post)(s);
	e = errno;
	if (r == 0) {
		ev.f[FMT_F_SEM_POST_obj] = (uintptr_t)s;
		waking(&ev, ts, ra);
	}
	pl_release();
	errno = e;
	return r;
}

PL_EXPORT int sem_post(sem_t *s)
{
	if (!pl_on(FMT_FAM_SYNC) || !sem_waiters(s))
		return REAL(sem_post)(s);
	return sem_post_slow(s, RA());
}

/* ------------------------------------------------------------------ */
/* barriers and spin locks                                              */

PL_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
	struct fmt_event ev = { .type = FMT_EV_BARRIER_WAIT };
	uint64_t t0;
	int r, e;

	if (!pl_on(FMT_FAM_SYNC))
		return REAL(pthread_barrier_wait)(b);
	t0 = pl_now();
	pl_pend(FMT_EV_BARRIER_WAIT, t0, (uintptr_t)b, -1, 0, RA());
	r = REAL(pthread_barrier_wait)(b);
	e = errno;
	ev.f[FMT_F_BARRIER_WAIT_obj] = (uintptr_t)b;
	ev.f[FMT_F_BARRIER_WAIT_result] = (uint64_t)(int64_t)r;
	blocked(&ev, t0, RA(), 0, NULL);
	errno = e;
	return r;
}

static PL_SLOW int spin_slow(pthread_spinlock_t *l, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_SPIN_BLOCK };
	uint64_t t0 = pl_now();
	int r, e;

	pl_pend(FMT_EV_SPIN_BLOCK, t0, (uintptr_t)l, -1, 0, ra);
	r = REAL(pthread_spin_lock)(l);
	e = errno;
	ev.f[FMT_F_SPIN_BLOCK_obj] = (uintptr_t)l;
	blocked(&ev, t0, ra, 0, NULL);
	errno = e;
	return r;
}

PL_EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
	int r;

	if (!pl_on(FMT_FAM_SYNC))
		return REAL(pthread_spin_lock)(l);
	r = REAL(pthread_spin_trylock)(l);
	if (PL_LIKELY(r != EBUSY))
		return r;
	return spin_slow(l, RA());
}

/* ------------------------------------------------------------------ */
/* syscall(): futexes, and our fd kept safe from raw close/dup         */

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif

static PL_SLOW long futex_wait(long *a, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_FUTEX_WAIT };
	uint64_t t0 = pl_now();
	long r;
	int e;

	pl_pend(FMT_EV_FUTEX_WAIT, t0, (uint64_t)a[0], -1, 0, ra);
	r = REAL(syscall)(SYS_futex, a[0], a[1], a[2], a[3], a[4], a[5]);
	e = errno;
	ev.f[FMT_F_FUTEX_WAIT_obj] = (uint64_t)a[0];
	ev.f[FMT_F_FUTEX_WAIT_op] = (uint32_t)a[1];
	ev.f[FMT_F_FUTEX_WAIT_val] = (uint32_t)a[2];
	ev.f[FMT_F_FUTEX_WAIT_result] = r < 0 ? (uint64_t)-(int64_t)e :
						(uint64_t)r;
	blocked(&ev, t0, ra, FMT_F_FUTEX_WAIT_waker, (void *)a[0]);
	errno = e;
	return r;
}

static PL_SLOW long futex_wake(long *a, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_FUTEX_WAKE };
	uint64_t ts = pl_now();
	long r;
	int e;

	wake_note((void *)a[0], ts);
	r = REAL(syscall)(SYS_futex, a[0], a[1], a[2], a[3], a[4], a[5]);
	e = errno;
	ev.f[FMT_F_FUTEX_WAKE_obj] = (uint64_t)a[0];
	ev.f[FMT_F_FUTEX_WAKE_op] = (uint32_t)a[1];
	ev.f[FMT_F_FUTEX_WAKE_result] = r < 0 ? (uint64_t)-(int64_t)e :
						(uint64_t)r;
	waking(&ev, ts, ra);
	errno = e;
	return r;
}

static long futex(long *a, void *ra)
{
	switch (a[1] & FUTEX_CMD_MASK) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAIT_REQUEUE_PI:
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		return futex_wait(a, ra);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
	case FUTEX_WAKE_OP:
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
	case FUTEX_CMP_REQUEUE_PI:
	case FUTEX_UNLOCK_PI:
		return futex_wake(a, ra);
	}
	return REAL(syscall)(SYS_futex, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* raw fd syscalls that could hit our connection go through sock.c */
static int hits_our_fd(long nr, long *a)
{
	long fd = __atomic_load_n(&pl_fd, __ATOMIC_RELAXED);

	if (fd < 0)
		return 0;
	switch (nr) {
	case SYS_close:
		return a[0] == fd;
	case SYS_close_range:
		return (unsigned)a[0] <= fd && fd <= (unsigned)a[1];
#ifdef SYS_dup2
	case SYS_dup2:
#endif
	case SYS_dup3:
		return a[0] == fd || a[1] == fd;
	}
	return 0;
}

static long our_fd_syscall(long nr, long *a)
{
	switch (nr) {
	case SYS_close:
		return pl_fd_close(a[0]);
	case SYS_close_range:
		return pl_fd_close_range(a[0], a[1], a[2]);
#ifdef SYS_dup2
	case SYS_dup2:
		return pl_fd_dup3(a[0], a[1], 0, 1);
#endif
	}
	return pl_fd_dup3(a[0], a[1], a[2], 0);
}

/*
 * Every argument is read as a long, 6 of them: what the C library's own
 * syscall() does, and harmless when the caller passed fewer.
 */
PL_EXPORT long syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_futex && pl_on(FMT_FAM_SYNC))
		return futex(a, RA());
	if (PL_UNLIKELY(hits_our_fd(nr, a)))
		return our_fd_syscall(nr, a);
	return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
