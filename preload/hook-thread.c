/*
 * hook-thread.c - the thread family: creation, start, end, join, detach,
 * names.
 *
 * pthread_create hands the new thread our trampoline and, as its argument,
 * the thread's future event buffer (mmap'ed, emit.c) carrying the real
 * start routine and argument: one allocation, none of it from the
 * program's malloc.  The trampoline adopts the buffer, records
 * THREAD_START and, when the routine returns, THREAD_END and a flush.
 *
 * Events:
 *   pthread_create      THREAD_CREATE {handle, routine, result, stack}
 *                       at the time of the call (handle 0 on failure)
 *   (new thread)        THREAD_START {parent tid, handle, routine}
 *   return / pthread_exit / cancellation
 *                       THREAD_END {how = FMT_END_RETURN | _PTHREAD_EXIT}
 *   pthread_join, pthread_tryjoin_np, pthread_timedjoin_np,
 *   pthread_clockjoin_np
 *                       THREAD_JOIN {dur, handle, kind, result, stack}
 *   pthread_detach      THREAD_DETACH {handle, result}
 *   pthread_setname_np  THREAD_NAME {handle, name} when it succeeds
 *   prctl(PR_SET_NAME)  THREAD_NAME {pthread_self(), name} when it succeeds
 *   (thread end)        THREAD_NAME {pthread_self(), comm} when a thread
 *                       of ours that lived PL_CPU_BLOCK_NS or more ends
 *                       with a kernel name (comm) of neither its own
 *                       naming nor the process's: someone named it some
 *                       other way (a raw prctl, /proc/.../comm)
 * result fields are the functions' return values (0 or an errno value).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <stdarg.h>
#include <string.h>

#include "pl.h"
#include "guard.h"

/* when our trampoline started this thread; 0 for others */
static __thread uint64_t born __attribute__((tls_model("initial-exec")));
/* it named itself through a hook: its comm holds nothing new */
static __thread int named __attribute__((tls_model("initial-exec")));

static void emit_name(pthread_t th, const char *name)
{
	struct fmt_event ev = { .type = FMT_EV_THREAD_NAME };

	ev.ts = pl_now();
	ev.f[FMT_F_THREAD_NAME_handle] = (uintptr_t)th;
	ev.str = name;
	ev.slen = strnlen(name, 64);
	pl_emit(&ev, ev.ts);
}

/* the kernel's name of a thread ("/proc/thread-self/comm"), into buf[16] */
static int read_comm(const char *path, char *buf)
{
	int fd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = REAL(read)(fd, buf, 15);
	REAL(close)(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/*
 * Two reads of procfs, a few µs: only for threads that lived long enough
 * (the rule of the scheduler reading at their end) for that to be noise.
 */
static void name_from_comm(void)
{
	char comm[16], proc[16];

	if (named || !born || pl_now() - born < PL_CPU_BLOCK_NS ||
	    read_comm("/proc/thread-self/comm", comm) ||
	    read_comm("/proc/self/comm", proc) || !strcmp(comm, proc))
		return;
	emit_name(pthread_self(), comm);
}

static void thread_end(unsigned how)
{
	struct fmt_event ev = { .type = FMT_EV_THREAD_END };
	int e = errno;

	if (pl_tls.ended)
		return;
	if (pl_on(FMT_FAM_THREAD))
		name_from_comm();
	errno = e;
	pl_cpu_thread_end();
	if (pl_on(PL_LIFE_THREAD)) {
		ev.ts = pl_now();
		ev.f[FMT_F_THREAD_END_how] = how;
		pl_emit(&ev, ev.ts);
	}
	pl_thread_ended();
}

static void *trampoline(void *p)
{
	struct fmt_event ev = { .type = FMT_EV_THREAD_START };
	struct pl_buf *b = p;
	struct pl_start s;
	void *ret;

	pl_buf_get_start(b, &s);
	pl_stack_thread(s.stack_size);
	if (pl_enter()) {
		pl_thread_adopt(b);
		pl_leave();
	}
	pl_tls.started = 1;
	if (pl_on(PL_LIFE_THREAD)) {
		ev.ts = pl_now();
		ev.f[FMT_F_THREAD_START_parent] = s.parent;
		ev.f[FMT_F_THREAD_START_handle] = (uintptr_t)pthread_self();
		ev.f[FMT_F_THREAD_START_routine] = (uintptr_t)s.fn;
		pl_emit(&ev, ev.ts);
		born = ev.ts;
	}
	pl_cpu_thread_start(1);
	ret = s.fn(s.arg);
	thread_end(FMT_END_RETURN);
	return ret;
}

/* stack_size() : the size of the stack a thread made with attr gets; an
 * attr with none set (or a fresh one, for NULL) gives glibc's default */
static size_t stack_size(const pthread_attr_t *attr)
{
	pthread_attr_t a;
	size_t size = 0;

	if (attr)
		return pthread_attr_getstacksize(attr, &size) ? 0 : size;
	if (pthread_attr_init(&a))
		return 0;
	if (pthread_attr_getstacksize(&a, &size))
		size = 0;
	pthread_attr_destroy(&a);
	return size;
}

PL_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr,
			     void *(*fn)(void *), void *arg)
{
	void *ra = __builtin_return_address(0);
	struct fmt_event ev = { .type = FMT_EV_THREAD_CREATE };
	uint64_t st[PL_STACK_MAX];
	struct pl_buf *b = NULL;
	int r, e;

	/* the trampoline also arms the new thread's CPU sampling; outside
	 * a window it still records the thread's start and end */
	if (!pl_on(PL_LIFE_THREAD | FMT_FAM_CPU))
		return REAL(pthread_create)(th, attr, fn, arg);
	if (pl_enter()) {
		b = pl_buf_alloc();
		pl_leave();
	} else {
		pl_tls.lost_reentry++;
	}
	if (!b)
		return REAL(pthread_create)(th, attr, fn, arg);
	pl_buf_set_start(b, &(struct pl_start){ fn, arg, pl_tid(),
						  stack_size(attr) });
	ev.ts = pl_now();
	pl_hold(ev.ts);
	r = REAL(pthread_create)(th, attr, trampoline, b);
	e = errno;
	pl_release();
	if (r && pl_enter()) {
		pl_buf_free(b);
		pl_leave();
	}
	if (!pl_on(PL_LIFE_THREAD)) {
		errno = e;
		return r;
	}
	ev.f[FMT_F_THREAD_CREATE_handle] = r ? 0 : (uintptr_t)*th;
	ev.f[FMT_F_THREAD_CREATE_routine] = (uintptr_t)fn;
	ev.f[FMT_F_THREAD_CREATE_result] = (uint64_t)(int64_t)r;
	ev.stack = st;
	ev.nstack = pl_stack(st, ra);
	pl_emit(&ev, pl_now());
	errno = e;
	return r;
}

PL_EXPORT void pthread_exit(void *ret)
{
	thread_end(FMT_END_PTHREAD_EXIT);
	REAL(pthread_exit)(ret);
	__builtin_unreachable();
}

/* join_done() : record one join that started at t0 */
static int join_done(int r, pthread_t th, unsigned kind, uint64_t t0,
		     void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_THREAD_JOIN };
	uint64_t st[PL_STACK_MAX], now = pl_now();
	int e = errno;

	pl_unpend();
	ev.ts = t0;
	ev.f[FMT_F_THREAD_JOIN_dur] = now - t0;
	ev.f[FMT_F_THREAD_JOIN_handle] = (uintptr_t)th;
	ev.f[FMT_F_THREAD_JOIN_kind] = kind;
	ev.f[FMT_F_THREAD_JOIN_result] = (uint64_t)(int64_t)r;
	ev.stack = st;
	ev.nstack = pl_stack_block(st, ra);
	pl_emit(&ev, now);
	errno = e;
	return r;
}

PL_EXPORT int pthread_join(pthread_t th, void **ret)
{
	void *ra = __builtin_return_address(0);
	uint64_t t0;

	if (!pl_on(FMT_FAM_THREAD))
		return REAL(pthread_join)(th, ret);
	t0 = pl_now();
	pl_pend(FMT_EV_THREAD_JOIN, t0, (uintptr_t)th, -1, 0, ra);
	return join_done(REAL(pthread_join)(th, ret), th, FMT_JOIN_JOIN, t0,
			 ra);
}

PL_EXPORT int pthread_tryjoin_np(pthread_t th, void **ret)
{
	void *ra = __builtin_return_address(0);
	uint64_t t0;

	if (!pl_on(FMT_FAM_THREAD))
		return REAL(pthread_tryjoin_np)(th, ret);
	t0 = pl_now();
	return join_done(REAL(pthread_tryjoin_np)(th, ret), th, FMT_JOIN_TRY,
			 t0, ra);
}

PL_EXPORT int pthread_timedjoin_np(pthread_t th, void **ret,
				   const struct timespec *abs)
{
	void *ra = __builtin_return_address(0);
	uint64_t t0;

	if (!pl_on(FMT_FAM_THREAD))
		return REAL(pthread_timedjoin_np)(th, ret, abs);
	t0 = pl_now();
	pl_pend(FMT_EV_THREAD_JOIN, t0, (uintptr_t)th, -1, 0, ra);
	return join_done(REAL(pthread_timedjoin_np)(th, ret, abs), th,
			 FMT_JOIN_TIMED, t0, ra);
}

PL_EXPORT int pthread_clockjoin_np(pthread_t th, void **ret, clockid_t clk,
				   const struct timespec *abs)
{
	void *ra = __builtin_return_address(0);
	uint64_t t0;

	if (!REAL(pthread_clockjoin_np))
		return ENOSYS;
	if (!pl_on(FMT_FAM_THREAD))
		return REAL(pthread_clockjoin_np)(th, ret, clk, abs);
	t0 = pl_now();
	pl_pend(FMT_EV_THREAD_JOIN, t0, (uintptr_t)th, -1, 0, ra);
	return join_done(REAL(pthread_clockjoin_np)(th, ret, clk, abs), th,
			 FMT_JOIN_TIMED, t0, ra);
}

PL_EXPORT int pthread_detach(pthread_t th)
{
	struct fmt_event ev = { .type = FMT_EV_THREAD_DETACH };
	int r = REAL(pthread_detach)(th), e = errno;

	if (!pl_on(FMT_FAM_THREAD))
		return r;
	ev.ts = pl_now();
	ev.f[FMT_F_THREAD_DETACH_handle] = (uintptr_t)th;
	ev.f[FMT_F_THREAD_DETACH_result] = (uint64_t)(int64_t)r;
	pl_emit(&ev, ev.ts);
	errno = e;
	return r;
}

PL_EXPORT int pthread_setname_np(pthread_t th, const char *name)
{
	int r = REAL(pthread_setname_np)(th, name), e = errno;

	if (r || !pl_on(FMT_FAM_THREAD))
		return r;
	if (pthread_equal(th, pthread_self()))
		named = 1;
	emit_name(th, name);
	errno = e;
	return r;
}

/*
 * prctl() is variadic; like glibc's own wrapper, pass on four words
 * whatever the option (the kernel reads only those it takes).
 */
PL_EXPORT int prctl(int op, ...)
{
	unsigned long a[4];
	char name[16];
	va_list ap;
	int r, e, i;

	va_start(ap, op);
	for (i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	r = REAL(prctl)(op, a[0], a[1], a[2], a[3]);
	if (r || op != PR_SET_NAME || !pl_on(FMT_FAM_THREAD))
		return r;
	e = errno;
	/* the kernel kept at most 15 bytes of it: the same ones */
	named = 1;
	i = (int)strnlen((const char *)a[0], sizeof(name) - 1);
	memcpy(name, (const char *)a[0], i);
	name[i] = 0;
	emit_name(pthread_self(), name);
	errno = e;
	return r;
}
