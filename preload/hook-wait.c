/*
 * hook-wait.c - the wait family (waiting for descriptors) and the sleep
 * family.  Every call is recorded once it returns, ts = its start.
 *
 *   poll ppoll __poll_chk __ppoll_chk select pselect epoll_wait
 *   epoll_pwait epoll_pwait2 (when the C library has it)
 *       POLL {dur, fd, nfds, timeout, result, call, stack}
 *       fd: the epoll fd; for poll/ppoll on exactly one descriptor, that
 *       descriptor; else -1.  nfds: poll's nfds, select's nfds argument,
 *       epoll's maxevents.  timeout: ns, -1 = forever.  result: ready
 *       count or -errno.
 *   sleep usleep nanosleep clock_nanosleep
 *       SLEEP {dur, req, result, call, stack}
 *       req: the requested ns (for an absolute clock_nanosleep, the time
 *       left to the deadline when called).  result: 0 or -errno; for
 *       sleep() the unslept seconds it returned.
 *
 * glibc's sleep and usleep call nanosleep internally, not through the
 * PLT, so each program call is one event.  A C library that did go
 * through the PLT would still record one: the inner call of a sleep hook
 * passes through (per-thread flag).
 */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

static __thread int in_sleep __attribute__((tls_model("initial-exec")));

static inline int64_t ms_ns(int ms)
{
	return ms < 0 ? -1 : (int64_t)ms * 1000000;
}

static inline int64_t ts_ns(const struct timespec *ts)
{
	return ts ? (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec : -1;
}

static inline int64_t tv_ns(const struct timeval *tv)
{
	return tv ? (int64_t)tv->tv_sec * 1000000000 + tv->tv_usec * 1000 : -1;
}

/* ------------------------------------------------------------------ */
/* wait                                                                 */

static void poll_done(int fd, uint64_t nfds, int64_t tmo, long r, int e,
		      unsigned call, uint64_t t0, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_POLL };
	uint64_t st[PL_STACK_MAX], t1 = pl_now();

	pl_unpend();
	ev.ts = t0;
	ev.f[FMT_F_POLL_dur] = t1 - t0;
	ev.f[FMT_F_POLL_fd] = (uint64_t)(int64_t)fd;
	ev.f[FMT_F_POLL_nfds] = nfds;
	ev.f[FMT_F_POLL_timeout] = (uint64_t)tmo;
	ev.f[FMT_F_POLL_result] = io_res(r, e);
	ev.f[FMT_F_POLL_call] = call;
	ev.stack = st;
	ev.nstack = pl_stack_block(st, ra);
	pl_emit_poll(&ev, t1);
}

/* a call that failed because the caller's memory is bad */
static inline int faulted(long r, int e)
{
	return r < 0 && e == EFAULT;
}

/*
 * WAIT(call, pfd, fd, nfds, tmo, expr) : the body of a wait hook, r =
 * expr.  fd may read the caller's memory (poll's first pollfd): it is
 * evaluated after the call, and not at all when the call failed with
 * EFAULT, so a bad pointer gets EFAULT as untraced instead of a crash in
 * the hook.  pfd is the descriptor known without reading memory (for a
 * call blocked at exit).  tmo is read before the call: an int, or a
 * timeout glibc's own wrapper reads first (ppoll, select, pselect: a bad
 * one faults there untraced too; select() then overwrites it).
 * WAIT_TMO_AFTER, for epoll_pwait2, whose timeout only the kernel reads,
 * reads it after the call, with fd.
 */
#define WAIT_(call, pfd, fd, nfds, tmo, tmo_first, expr)		\
	do {								\
		uint64_t t0_;						\
		int64_t tmo_ = -1;					\
		int e_, fd_ = -1;					\
									\
		if (!io_on(FMT_FAM_WAIT))				\
			return expr;					\
		if (tmo_first)						\
			tmo_ = (tmo);					\
		t0_ = pl_now();						\
		pl_pend(FMT_EV_POLL, t0_, 0, pfd, FMT_CALL_##call,	\
			RA());						\
		r = expr;						\
		e_ = errno;						\
		if (!faulted(r, e_)) {					\
			fd_ = (fd);					\
			if (!(tmo_first))				\
				tmo_ = (tmo);				\
		}							\
		poll_done(fd_, nfds, tmo_, r, e_, FMT_CALL_##call, t0_,	\
			  RA());					\
		errno = e_;						\
		return r;						\
	} while (0)

#define WAIT(call, pfd, fd, nfds, tmo, expr)				\
	WAIT_(call, pfd, fd, nfds, tmo, 1, expr)
#define WAIT_TMO_AFTER(call, pfd, fd, nfds, tmo, expr)			\
	WAIT_(call, pfd, fd, nfds, tmo, 0, expr)

/* glibc declares poll's fds write-only (access attribute); the fd
 * fields are the caller's input all the same */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
static inline int one_fd(const struct pollfd *fds, nfds_t n)
{
	return n == 1 && fds ? fds[0].fd : -1;
}

PL_EXPORT int poll(struct pollfd *fds, nfds_t n, int tmo)
{
	int r;

	WAIT(poll, -1, one_fd(fds, n), n, ms_ns(tmo),
	     REAL(poll)(fds, n, tmo));
}

PL_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int tmo, size_t len)
{
	int r;

	WAIT(poll, -1, one_fd(fds, n), n, ms_ns(tmo),
	     REAL(__poll_chk)(fds, n, tmo, len));
}

PL_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
		    const sigset_t *mask)
{
	int r;

	WAIT(ppoll, -1, one_fd(fds, n), n, ts_ns(tmo),
	     REAL(ppoll)(fds, n, tmo, mask));
}

PL_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n,
			  const struct timespec *tmo, const sigset_t *mask,
			  size_t len)
{
	int r;

	WAIT(ppoll, -1, one_fd(fds, n), n, ts_ns(tmo),
	     REAL(__ppoll_chk)(fds, n, tmo, mask, len));
}

#pragma GCC diagnostic pop

/* select() updates *tmo: the timeout is read before the call */
PL_EXPORT int select(int n, fd_set *rd, fd_set *wr, fd_set *ex,
		     struct timeval *tmo)
{
	int r;

	WAIT(select, -1, -1, n, tv_ns(tmo),
	     REAL(select)(n, rd, wr, ex, tmo));
}

PL_EXPORT int pselect(int n, fd_set *rd, fd_set *wr, fd_set *ex,
		      const struct timespec *tmo, const sigset_t *mask)
{
	int r;

	WAIT(pselect, -1, -1, n, ts_ns(tmo),
	     REAL(pselect)(n, rd, wr, ex, tmo, mask));
}

PL_EXPORT int epoll_wait(int ep, struct epoll_event *evs, int max, int tmo)
{
	int r;

	WAIT(epoll_wait, ep, ep, max, ms_ns(tmo),
	     REAL(epoll_wait)(ep, evs, max, tmo));
}

PL_EXPORT int epoll_pwait(int ep, struct epoll_event *evs, int max, int tmo,
			  const sigset_t *mask)
{
	int r;

	WAIT(epoll_pwait, ep, ep, max, ms_ns(tmo),
	     REAL(epoll_pwait)(ep, evs, max, tmo, mask));
}

/* glibc >= 2.35; declared here for older headers */
int epoll_pwait2(int, struct epoll_event *, int, const struct timespec *,
		 const sigset_t *);

PL_EXPORT int epoll_pwait2(int ep, struct epoll_event *evs, int max,
			   const struct timespec *tmo, const sigset_t *mask)
{
	int r;

	if (!REAL(epoll_pwait2)) {
		errno = ENOSYS;
		return -1;
	}
	WAIT_TMO_AFTER(epoll_pwait2, ep, ep, max, ts_ns(tmo),
		       REAL(epoll_pwait2)(ep, evs, max, tmo, mask));
}

/* ------------------------------------------------------------------ */
/* sleep                                                                */

static void slept(int64_t req, uint64_t res, unsigned call, uint64_t t0,
		  void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_SLEEP };
	uint64_t st[PL_STACK_MAX], t1 = pl_now();

	pl_unpend();
	ev.ts = t0;
	ev.f[FMT_F_SLEEP_dur] = t1 - t0;
	ev.f[FMT_F_SLEEP_req] = req < 0 ? 0 : (uint64_t)req;
	ev.f[FMT_F_SLEEP_result] = res;
	ev.f[FMT_F_SLEEP_call] = call;
	ev.stack = st;
	ev.nstack = pl_stack_block(st, ra);
	pl_emit(&ev, t1);
}

/*
 * SLEEP(call, req, bad, res, expr) : the body of a sleep hook, r = expr;
 * res (evaluated after the call, with e_ = its errno) is the result
 * field.  req, which may read the caller's timespec, is evaluated after
 * the call too, and not when bad (the call's EFAULT) says it is bad.
 */
#define SLEEP(call, req, bad, res, expr)				\
	do {								\
		uint64_t t0_;						\
		int64_t req_ = -1;					\
		int e_;							\
									\
		if (in_sleep || !io_on(FMT_FAM_SLEEP))			\
			return expr;					\
		in_sleep = 1;						\
		t0_ = pl_now();						\
		pl_pend(FMT_EV_SLEEP, t0_, 0, -1, FMT_CALL_##call,	\
			RA());						\
		r = expr;						\
		e_ = errno;						\
		in_sleep = 0;						\
		if (!(bad))						\
			req_ = (req);					\
		slept(req_, res, FMT_CALL_##call, t0_, RA());		\
		errno = e_;						\
		return r;						\
	} while (0)

PL_EXPORT unsigned sleep(unsigned s)
{
	unsigned r;

	SLEEP(sleep, (int64_t)s * 1000000000, 0, r, REAL(sleep)(s));
}

PL_EXPORT int usleep(useconds_t us)
{
	int r;

	SLEEP(usleep, (int64_t)us * 1000, 0, io_res(r, e_),
	      REAL(usleep)(us));
}

PL_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	int r;

	SLEEP(nanosleep, ts_ns(req), faulted(r, e_), io_res(r, e_),
	      REAL(nanosleep)(req, rem));
}

/* an absolute deadline as the time left to it when called (now, or
 * NULL when the clock could not be read) */
static int64_t until(int flags, const struct timespec *req,
		     const struct timespec *now)
{
	if (!req)
		return -1;
	if (!(flags & TIMER_ABSTIME) || !now)
		return ts_ns(req);
	return ts_ns(req) - ts_ns(now);
}

/* clock_nanosleep returns the error number, errno is untouched */
PL_EXPORT int clock_nanosleep(clockid_t clk, int flags,
			      const struct timespec *req, struct timespec *rem)
{
	struct timespec now;
	int r, e = errno, have_now = 0;

	if (flags & TIMER_ABSTIME)
		have_now = !clock_gettime(clk, &now);
	errno = e;
	SLEEP(clock_nanosleep, until(flags, req, have_now ? &now : NULL),
	      r == EFAULT, (uint64_t)-(int64_t)r,
	      REAL(clock_nanosleep)(clk, flags, req, rem));
}
