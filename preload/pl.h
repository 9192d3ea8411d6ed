/*
 * pl.h - internal declarations shared by the files of libctrace.so.
 *
 * Nothing here is exported: the library is built with -fvisibility=hidden
 * and only the hooks carry PL_EXPORT.  The layering is
 *
 *   hook-*.c   what to record for each libc call (guard, real call, record)
 *   emit.c     per-thread buffers, encoding, flushing, thread registry
 *   sock.c     the connection to the collector and its protection
 *   init.c     configuration, start-up, HELLO, exit (BYE)
 *   resolve.c  the one table of real_* functions
 */
#ifndef CTRACE_PL_H
#define CTRACE_PL_H

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "cfi.h"
#include "clock.h"
#include "events.h"
#include "wire.h"

#define PL_EXPORT __attribute__((visibility("default")))
#define PL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define PL_LIKELY(x) __builtin_expect(!!(x), 1)

/* ------------------------------------------------------------------ */
/* resolve.c: every libc function a hook forwards to, or ctrace itself
 * calls while the program might have hooked it (close, dup2, ...).     */

typedef int (*pl_main_fn)(int, char **, char **);

#define PL_REAL_LIST(X)							\
	/* thread */							\
	X(int, pthread_create, (pthread_t *, const pthread_attr_t *,	\
				void *(*)(void *), void *))		\
	X(void, pthread_exit, (void *))					\
	X(int, pthread_join, (pthread_t, void **))			\
	X(int, pthread_tryjoin_np, (pthread_t, void **))		\
	X(int, pthread_timedjoin_np, (pthread_t, void **,		\
				      const struct timespec *))		\
	X(int, pthread_clockjoin_np, (pthread_t, void **, clockid_t,	\
				      const struct timespec *))		\
	X(int, pthread_detach, (pthread_t))				\
	X(int, pthread_setname_np, (pthread_t, const char *))		\
	X(int, prctl, (int, unsigned long, unsigned long, unsigned long,	\
		       unsigned long))					\
	/* sync */							\
	X(int, pthread_mutex_lock, (pthread_mutex_t *))			\
	X(int, pthread_mutex_trylock, (pthread_mutex_t *))		\
	X(int, pthread_mutex_timedlock, (pthread_mutex_t *,		\
					 const struct timespec *))	\
	X(int, pthread_mutex_clocklock, (pthread_mutex_t *, clockid_t,	\
					 const struct timespec *))	\
	X(int, pthread_mutex_unlock, (pthread_mutex_t *))		\
	X(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))		\
	X(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))		\
	X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))		\
	X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))		\
	X(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t *,		\
					    const struct timespec *))	\
	X(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t *,		\
					    const struct timespec *))	\
	X(int, pthread_rwlock_clockrdlock, (pthread_rwlock_t *,		\
					    clockid_t,			\
					    const struct timespec *))	\
	X(int, pthread_rwlock_clockwrlock, (pthread_rwlock_t *,		\
					    clockid_t,			\
					    const struct timespec *))	\
	X(int, pthread_rwlock_unlock, (pthread_rwlock_t *))		\
	X(int, pthread_cond_wait, (pthread_cond_t *, pthread_mutex_t *))\
	X(int, pthread_cond_timedwait, (pthread_cond_t *,		\
					pthread_mutex_t *,		\
					const struct timespec *))	\
	X(int, pthread_cond_clockwait, (pthread_cond_t *,		\
					pthread_mutex_t *, clockid_t,	\
					const struct timespec *))	\
	X(int, pthread_cond_signal, (pthread_cond_t *))			\
	X(int, pthread_cond_broadcast, (pthread_cond_t *))		\
	X(int, sem_wait, (sem_t *))					\
	X(int, sem_trywait, (sem_t *))					\
	X(int, sem_timedwait, (sem_t *, const struct timespec *))	\
	X(int, sem_clockwait, (sem_t *, clockid_t,			\
			       const struct timespec *))		\
	X(int, sem_post, (sem_t *))					\
	X(int, pthread_barrier_wait, (pthread_barrier_t *))		\
	X(int, pthread_spin_lock, (pthread_spinlock_t *))		\
	X(int, pthread_spin_trylock, (pthread_spinlock_t *))		\
	X(long, syscall, (long, ...))					\
	/* process */							\
	X(pid_t, fork, (void))						\
	X(pid_t, _Fork, (void))						\
	X(int, posix_spawn, (pid_t *, const char *,			\
			     const posix_spawn_file_actions_t *,	\
			     const posix_spawnattr_t *, char *const *,	\
			     char *const *))				\
	X(int, posix_spawnp, (pid_t *, const char *,			\
			      const posix_spawn_file_actions_t *,	\
			      const posix_spawnattr_t *, char *const *,	\
			      char *const *))				\
	X(int, execve, (const char *, char *const *, char *const *))	\
	X(int, execv, (const char *, char *const *))			\
	X(int, execvp, (const char *, char *const *))			\
	X(int, execvpe, (const char *, char *const *, char *const *))	\
	X(int, fexecve, (int, char *const *, char *const *))		\
	X(void, exit, (int))						\
	X(void, _exit, (int))						\
	X(void, _Exit, (int))						\
	X(void, abort, (void))						\
	X(int, __libc_start_main, (pl_main_fn, int, char **,		\
				   void (*)(void), void (*)(void),	\
				   void (*)(void), void *))		\
	/* descriptors: hooked to protect ours, or used by ctrace */	\
	X(int, close, (int))						\
	X(int, close_range, (unsigned, unsigned, int))			\
	X(void, closefrom, (int))					\
	X(int, dup2, (int, int))					\
	X(int, dup3, (int, int, int))					\
	X(int, socket, (int, int, int))					\
	X(int, connect, (int, const struct sockaddr *, socklen_t))	\
	X(ssize_t, send, (int, const void *, size_t, int))		\
	X(int, open, (const char *, int, ...))				\
	X(ssize_t, read, (int, void *, size_t))				\
	X(ssize_t, write, (int, const void *, size_t))			\
	/* signals: the CPU sampler's (cpu.c) */			\
	X(int, sigaction, (int, const struct sigaction *,		\
			   struct sigaction *))				\
	X(sighandler_t, signal, (int, sighandler_t))			\
	X(sighandler_t, sysv_signal, (int, sighandler_t))		\
	X(sighandler_t, sigset, (int, sighandler_t))			\
	X(int, sigprocmask, (int, const sigset_t *, sigset_t *))	\
	X(int, pthread_sigmask, (int, const sigset_t *, sigset_t *))	\
	PL_REAL_HEAP(X)							\
	PL_REAL_IO(X)

/* heap (hook-heap.c) and modules (modules.c); free first: dlsym may
 * allocate while the table fills, see hook-heap.c */
#define PL_REAL_HEAP(X)							\
	X(void, free, (void *))						\
	X(void *, malloc, (size_t))					\
	X(void *, calloc, (size_t, size_t))				\
	X(void *, realloc, (void *, size_t))				\
	X(void *, reallocarray, (void *, size_t, size_t))		\
	X(int, posix_memalign, (void **, size_t, size_t))		\
	X(void *, aligned_alloc, (size_t, size_t))			\
	X(void *, memalign, (size_t, size_t))				\
	X(void *, valloc, (size_t))					\
	X(void *, pvalloc, (size_t))					\
	X(void *, mmap, (void *, size_t, int, int, int, off_t))		\
	X(int, munmap, (void *, size_t))				\
	X(void *, dlopen, (const char *, int))				\
	X(void *, dlmopen, (long, const char *, int))			\
	X(int, dlclose, (void *))

/* io, fd naming, wait, sleep (hook-io.c, hook-fd.c, hook-wait.c); read,
 * write, send, connect, socket, open, close, dup2, dup3 are above */
#define PL_REAL_IO(X)							\
	X(ssize_t, __read_chk, (int, void *, size_t, size_t))		\
	X(ssize_t, pread, (int, void *, size_t, off_t))			\
	X(ssize_t, pread64, (int, void *, size_t, off64_t))		\
	X(ssize_t, __pread_chk, (int, void *, size_t, off_t, size_t))	\
	X(ssize_t, __pread64_chk, (int, void *, size_t, off64_t, size_t))\
	X(ssize_t, readv, (int, const struct iovec *, int))		\
	X(ssize_t, preadv, (int, const struct iovec *, int, off_t))	\
	X(ssize_t, preadv64, (int, const struct iovec *, int, off64_t))	\
	X(ssize_t, preadv2, (int, const struct iovec *, int, off_t, int))\
	X(ssize_t, preadv64v2, (int, const struct iovec *, int, off64_t,\
				int))					\
	X(ssize_t, recv, (int, void *, size_t, int))			\
	X(ssize_t, __recv_chk, (int, void *, size_t, size_t, int))	\
	X(ssize_t, recvfrom, (int, void *, size_t, int,			\
			      struct sockaddr *, socklen_t *))		\
	X(ssize_t, __recvfrom_chk, (int, void *, size_t, size_t, int,	\
				    struct sockaddr *, socklen_t *))	\
	X(ssize_t, recvmsg, (int, struct msghdr *, int))		\
	X(int, recvmmsg, (int, struct mmsghdr *, unsigned, int,		\
			  struct timespec *))				\
	X(ssize_t, pwrite, (int, const void *, size_t, off_t))		\
	X(ssize_t, pwrite64, (int, const void *, size_t, off64_t))	\
	X(ssize_t, writev, (int, const struct iovec *, int))		\
	X(ssize_t, pwritev, (int, const struct iovec *, int, off_t))	\
	X(ssize_t, pwritev64, (int, const struct iovec *, int, off64_t))\
	X(ssize_t, pwritev2, (int, const struct iovec *, int, off_t, int))\
	X(ssize_t, pwritev64v2, (int, const struct iovec *, int, off64_t,\
				 int))					\
	X(ssize_t, sendto, (int, const void *, size_t, int,		\
			    const struct sockaddr *, socklen_t))	\
	X(ssize_t, sendmsg, (int, const struct msghdr *, int))		\
	X(int, sendmmsg, (int, struct mmsghdr *, unsigned, int))	\
	X(int, accept, (int, struct sockaddr *, socklen_t *))		\
	X(int, accept4, (int, struct sockaddr *, socklen_t *, int))	\
	X(size_t, fread, (void *, size_t, size_t, FILE *))		\
	X(size_t, __fread_chk, (void *, size_t, size_t, size_t, FILE *))\
	X(size_t, fwrite, (const void *, size_t, size_t, FILE *))	\
	X(char *, fgets, (char *, int, FILE *))				\
	X(char *, __fgets_chk, (char *, size_t, int, FILE *))		\
	X(ssize_t, getline, (char **, size_t *, FILE *))		\
	X(ssize_t, getdelim, (char **, size_t *, int, FILE *))		\
	X(ssize_t, __getdelim, (char **, size_t *, int, FILE *))	\
	X(int, fflush, (FILE *))					\
	X(int, open64, (const char *, int, ...))			\
	X(int, __open_2, (const char *, int))				\
	X(int, __open64_2, (const char *, int))				\
	X(int, openat, (int, const char *, int, ...))			\
	X(int, openat64, (int, const char *, int, ...))			\
	X(int, __openat_2, (int, const char *, int))			\
	X(int, __openat64_2, (int, const char *, int))			\
	X(int, creat, (const char *, mode_t))				\
	X(int, creat64, (const char *, mode_t))				\
	X(FILE *, fopen, (const char *, const char *))			\
	X(FILE *, fopen64, (const char *, const char *))		\
	X(int, fclose, (FILE *))					\
	X(int, socketpair, (int, int, int, int *))			\
	X(int, pipe, (int *))						\
	X(int, pipe2, (int *, int))					\
	X(int, dup, (int))						\
	X(int, fcntl, (int, int, ...))					\
	X(int, fcntl64, (int, int, ...))				\
	X(int, eventfd, (unsigned, int))				\
	X(int, epoll_create, (int))					\
	X(int, epoll_create1, (int))					\
	X(int, signalfd, (int, const sigset_t *, int))			\
	X(int, timerfd_create, (clockid_t, int))			\
	X(int, memfd_create, (const char *, unsigned))			\
	X(int, poll, (struct pollfd *, nfds_t, int))			\
	X(int, __poll_chk, (struct pollfd *, nfds_t, int, size_t))	\
	X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *,\
		       const sigset_t *))				\
	X(int, __ppoll_chk, (struct pollfd *, nfds_t,			\
			     const struct timespec *, const sigset_t *,	\
			     size_t))					\
	X(int, select, (int, fd_set *, fd_set *, fd_set *,		\
			struct timeval *))				\
	X(int, pselect, (int, fd_set *, fd_set *, fd_set *,		\
			 const struct timespec *, const sigset_t *))	\
	X(int, epoll_wait, (int, struct epoll_event *, int, int))	\
	X(int, epoll_pwait, (int, struct epoll_event *, int, int,	\
			     const sigset_t *))				\
	X(int, epoll_pwait2, (int, struct epoll_event *, int,		\
			      const struct timespec *, const sigset_t *))\
	X(unsigned, sleep, (unsigned))					\
	X(int, usleep, (useconds_t))					\
	X(int, nanosleep, (const struct timespec *, struct timespec *))	\
	X(int, clock_nanosleep, (clockid_t, int, const struct timespec *,\
				 struct timespec *))

struct pl_real {
#define PL_X(ret, name, args) ret (*name) args;
	PL_REAL_LIST(PL_X)
#undef PL_X
};

extern struct pl_real pl_real;
extern int pl_resolved;
void pl_resolve(void);

/*
 * REAL(name) : the next definition of `name` after ours.  Hooks can run
 * before our constructor (from other libraries' constructors), so the
 * table is filled on first use by whichever thread gets there first.
 */
#define REAL(name)							\
	(PL_UNLIKELY(!__atomic_load_n(&pl_resolved, __ATOMIC_ACQUIRE)) ?\
	 pl_resolve() : (void)0, pl_real.name)

/* ------------------------------------------------------------------ */
/* init.c: configuration and life cycle                                 */

struct pl_conf {
	unsigned fam;		/* CTRACE_EVENTS as FMT_FAM_* bits */
	int drop;		/* CTRACE_ON_FULL=drop, or the collector stalled */
	unsigned stall_ms;	/* CTRACE_STALL_MS: the longest a send waits */
	uint64_t flush_ns;	/* CTRACE_FLUSH_MS */
	unsigned stack_depth;	/* CTRACE_STACK_DEPTH (default 1) */
	unsigned stack_block;	/* blocking events: it, or 16 */
	unsigned stack_sampled;	/* sampled allocations: it, or 16 */
	uint64_t heap_sample;	/* CTRACE_HEAP_SAMPLE bytes, 0 = exact */
	unsigned cpu_hz;	/* CTRACE_CPU_HZ: samples per CPU second */
	unsigned stack_cpu;	/* CPU samples: CTRACE_STACK_DEPTH, or 32 */
	unsigned debug;		/* CTRACE_DEBUG as PL_DBG_* bits */
	char sock[108];		/* CTRACE_SOCKET, for fork's new connection */
};

enum { PL_DBG_INIT = 1, PL_DBG_HOOK = 2, PL_DBG_EMIT = 4, PL_DBG_SOCK = 8,
       PL_DBG_CPU = 16 };

extern struct pl_conf pl_conf;

/*
 * pl_live : the enabled families while tracing, 0 otherwise.  One load
 * answers "record this family?", and storing 0 turns every hook into a
 * pass-through (collector gone, process finished, init failed).
 */
extern unsigned pl_live;
/* pl_live bit meaning "connected": process bookkeeping (fork, BYE) needs
 * it even when CTRACE_EVENTS selects no family */
#define PL_CONNECTED	0x10000
/*
 * pl_live bits of the lives, set with their family: thread create, start
 * and end (PL_LIFE_THREAD), fork, spawn and exit (PL_LIFE_PROC).  The
 * window word keeps them outside a window, so that a thread or process
 * born or ended in a gap begins or ends where it did; they are rare, and
 * every other hook stays on its one branch with no clock read.
 */
#define PL_LIFE_THREAD	0x20000
#define PL_LIFE_PROC	0x40000
extern pid_t pl_pid;		/* the pid our connection belongs to */

/*
 * pl_window : the collector's window word (wire.h), mapped read-only at
 * start when the collector records in windows (--paused), else a word
 * of ours that is always FMT_WINDOW_OPEN.  Outside a window it keeps
 * only PL_CONNECTED: every hook passes through, on the same one branch,
 * with no clock read.
 */
extern const uint32_t *pl_window;
_Static_assert((PL_CONNECTED | PL_LIFE_THREAD | PL_LIFE_PROC) ==
	       FMT_WINDOW_SHUT, "window word's bits");

static inline int pl_on(unsigned fam)
{
	return __atomic_load_n(&pl_live, __ATOMIC_RELAXED) & fam &
	       __atomic_load_n(pl_window, __ATOMIC_RELAXED);
}

/* pl_windowed() : the collector records in windows (--paused) */
int pl_windowed(void);

/* pl_wanted() : fam is recorded in windows, open or not (CPU timers) */
static inline int pl_wanted(unsigned fam)
{
	return __atomic_load_n(&pl_live, __ATOMIC_RELAXED) & fam;
}

void pl_disable(void);
void pl_dbg(unsigned dom, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pl_send_hello(unsigned flags, pid_t ppid);
/* pl_note_exit() : record EXIT now; BYE follows from the on_exit handler */
void pl_note_exit(int status, unsigned how);
/* pl_finish() : flush everything, send BYE, stop tracing (_exit records
 * its EXIT here) */
void pl_finish(int status, unsigned how, void *ra);
/* fork protocol, around the real fork (guard held by the caller) */
void pl_fork_prepare(void);
void pl_fork_parent(void);
void pl_fork_child(pid_t ppid);

/* pl_now() : CLOCK_MONOTONIC ns, from the TSC when clock.c allows */
static inline uint64_t pl_now(void)
{
	if (PL_LIKELY(__atomic_load_n(&pl_clock.tsc, __ATOMIC_RELAXED)))
		return pl_clock_tsc();
	return pl_clock_gettime();
}

/*
 * pl_stack() : fill the 'k' field of an event: the call site ra, then as
 * many callers as CTRACE_STACK_DEPTH asks (stack.c unwinds).  Blocking
 * events, which cost far more than an unwind anyway, use
 * pl_stack_block() (default depth 16).  st has room for PL_STACK_MAX
 * frames: the arrays live on the hooks' stacks, which may be a small
 * sigaltstack when a signal handler calls a hooked function, so keep it
 * modest.
 */
#define PL_STACK_MAX	32
void pl_stack_init(void);
/* pl_stack_thread() : at the start of a thread we started, before any
 * unwind: learn its stack's bounds, given its size */
void pl_stack_thread(size_t stack_size);
/* pl_unwinder_call() : ra lies in the unwinder (libgcc_s), whose calls
 * made while we unwind are ctrace's */
int pl_unwinder_call(const void *ra);
unsigned pl_unwind(uint64_t *st, void *ra, unsigned depth);
/* pl_unwind_room() : bytes of stack an unwind needs (STACK_CUT.need) */
unsigned pl_unwind_room(void);
/* pl_interrupted_pc() : the pc a signal interrupted, from the handler's
 * ucontext (0 on an architecture this does not know) */
uint64_t pl_interrupted_pc(const void *uc);

static inline unsigned pl_stack_n(uint64_t *st, void *ra, unsigned depth)
{
	st[0] = (uintptr_t)ra;
	if (PL_LIKELY(depth <= 1))
		return 1;
	return pl_unwind(st, ra, depth);
}

static inline unsigned pl_stack(uint64_t *st, void *ra)
{
	return pl_stack_n(st, ra, pl_conf.stack_depth);
}

static inline unsigned pl_stack_block(uint64_t *st, void *ra)
{
	return pl_stack_n(st, ra, pl_conf.stack_block);
}

/*
 * cpu.c: CPU samples and scheduler readings.  pl_cpu_init() picks the
 * signal and installs the handler (constructor); pl_cpu_thread_start()
 * arms the calling thread's CPU-time timer and records a SCHED reading,
 * pl_cpu_thread_end() records the last one, pl_cpu_stop_self() disarms
 * (from pl_thread_ended()); pl_cpu_after_block() is the reading after a
 * long blocking call (emit.c); pl_cpu_read() reads any thread's
 * accounting (tid 0: the caller); pl_cpu_postfork_child() forgets the
 * parent's timer in a fork child, whose thread then starts anew.
 */
#define PL_CPU_BLOCK_NS	10000000	/* a "long" blocking call */
void pl_cpu_init(void);
void pl_cpu_thread_start(int new);
void pl_cpu_thread_end(void);
void pl_cpu_stop_self(void);
void pl_cpu_after_block(void);
unsigned pl_cpu_read(int tid, uint64_t *run, uint64_t *wait);
void pl_cpu_postfork_child(void);
/* pl_cpu_report() : CTRACE_DEBUG=cpu: samples and the handler's cost */
void pl_cpu_report(void);

/*
 * hook-signal.c: fatal signals.  pl_sig_init() installs the handler
 * (constructor); pl_sig_fatal() says whether sig is one it holds, whose
 * sigaction()/signal() calls cpu.c's hooks forward to pl_sig_action()
 * and pl_sig_call() (the libc function that installs the handler).
 */
void pl_sig_init(void);
int pl_sig_fatal(int sig);
int pl_sig_action(int sig, const struct sigaction *act,
		  struct sigaction *old);
sighandler_t pl_sig_call(sighandler_t (*real)(int, sighandler_t), int sig,
			 sighandler_t h);
/* pl_sig_exec() : before an exec (0), after it failed (1) */
void pl_sig_exec(int after);

/* heap (hook-heap.c), modules (modules.c) */
void pl_heap_postfork_child(void);
/* pl_mod_send_all() : MODULES with every loaded object (after HELLO) */
void pl_mod_send_all(void);
/* pl_mod_sync() : MODULES with what changed since the last send */
void pl_mod_sync(void);
/* pl_mod_sync_dirty() : the same, only if a dlopen could not be followed */
void pl_mod_sync_dirty(void);

/* ------------------------------------------------------------------ */
/* emit.c: per-thread buffers                                           */

/*
 * pl_emit() : append ev to the calling thread's buffer; now is the time
 * of the call (used for the periodic flush).  Drops and counts the event
 * when the thread is already inside ctrace.
 */
void pl_emit(struct fmt_event *ev, uint64_t now);
/* the same for one type known at the call (an encoder unrolled for it):
 * ALLOC, FREE, READ, WRITE or POLL; the last three written as repeats
 * (events.h, fmt_same_rules) when they repeat the batch's previous one */
void pl_emit_alloc(struct fmt_event *ev, uint64_t now);
void pl_emit_free(struct fmt_event *ev, uint64_t now);
void pl_emit_rw(struct fmt_event *ev, uint64_t now);
void pl_emit_poll(struct fmt_event *ev, uint64_t now);
void pl_flush_self(void);
/* pl_lost_dying() : one event the dying thread cannot record (inside
 * ctrace): counted in the thread table, which the collector reads */
void pl_lost_dying(void);
/* pl_flush_all() : flush every registered buffer, best effort; with
 * final, other threads' buffers stay closed afterwards */
void pl_flush_all(int final);
int pl_tid(void);
/* thread start trampoline support (hook-thread.c) */
struct pl_buf;
struct pl_buf *pl_buf_alloc(void);
void pl_buf_free(struct pl_buf *b);
struct pl_start {		/* what pthread_create hands the trampoline */
	void *(*fn)(void *);
	void *arg;
	int parent;
	size_t stack_size;	/* the new thread's, as its attr says */
};
void pl_buf_set_start(struct pl_buf *b, const struct pl_start *s);
void pl_buf_get_start(const struct pl_buf *b, struct pl_start *s);
void pl_thread_adopt(struct pl_buf *b);
void pl_thread_ended(void);
/* pl_each_thread() : fn for every registered thread, registry locked
 * (guard held by the caller): the CPU sampler's back-off */
struct pl_tls;
void pl_each_thread(void (*fn)(struct pl_tls *tls, void *arg), void *arg);
void pl_emit_init(void);
/*
 * The thread table (wire.h) pl_emit_init() and a fork child make:
 * pl_tab_fd() its memfd for HELLO to carry (-1: none), pl_tab_close()
 * once HELLO went or tracing failed (the mapping stays).
 */
int pl_tab_fd(void);
void pl_tab_close(void);
/* fork support: hold the registry across fork, reset in the child */
void pl_emit_prefork(void);
void pl_emit_postfork_parent(void);
void pl_emit_postfork_child(void);
/* wake slots (hook-sync.c), reset in a fork child */
void pl_wake_postfork_child(void);

/* ------------------------------------------------------------------ */
/* sock.c: the connection                                               */

extern int pl_fd;		/* our connection, -1 when none */

int pl_conn_open(const char *path);
/*
 * pl_send() : one datagram; 0 sent, -1 full (only with can_drop under
 * CTRACE_ON_FULL=drop), -2 gone (tracing is then off).  Only event
 * batches and LOST reports may be dropped: HELLO, BYE and the final
 * flushes of exit/exec always wait for room.
 */
int pl_send(const void *p, size_t n, int can_drop);
/* pl_send2() : the same for one datagram of two pieces */
int pl_send2(const void *p, size_t n, const void *p2, size_t n2,
	     int can_drop);
/* pl_sendm() : n datagrams at once, waiting as a send without can_drop
 * does; @return how many were sent */
struct mmsghdr;
unsigned pl_sendm(struct mmsghdr *m, unsigned n);
/* the fd protection for raw syscall() users (hook-sync.c) */
int pl_fd_close(int fd);
/* pl_fd_move_high() : fd moved to the top of the descriptor range, CLOEXEC */
int pl_fd_move_high(int fd);
int pl_fd_close_range(unsigned first, unsigned last, int flags);
int pl_fd_dup3(int old, int new, int flags, int is_dup2);

/* ------------------------------------------------------------------ */
/* hook-fd.c: what descriptors name                                     */

/* pl_fd_file() : the file fd names, as its /proc/self/fd link reads it,
 * into buf ("" when it cannot be read); returns buf */
const char *pl_fd_file(int fd, char *buf, size_t size);

#endif
