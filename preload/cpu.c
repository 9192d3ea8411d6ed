/*
 * cpu.c - CPU samples and the kernel's per-thread scheduler accounting.
 *
 * Samples: every thread arms a timer on its own CPU-time clock
 * (timer_create(CLOCK_THREAD_CPUTIME_ID) with SIGEV_THREAD_ID, as Go's
 * runtime does on Linux), so a thread is sampled in proportion to the CPU
 * it uses, CTRACE_CPU_HZ times per CPU second (default 100), with no root
 * and whatever perf_event_paranoid says.  The handler records CPU_SAMPLE
 * with the interrupted stack and a scheduler reading.
 *
 * Readings: /proc/thread-self/schedstat gives the ns a thread spent on a
 * CPU and waiting on a run queue; read at every sample, at thread end,
 * after blocking calls of PL_CPU_BLOCK_NS or more, and by the exiting
 * thread for every thread (emit.c), they let the analyzer split the time
 * outside hooked calls into on-CPU, runnable and unknown (see reading()
 * for what one costs).  Without schedstat (a kernel built without
 * CONFIG_SCHED_INFO) the thread's CPU clock gives the on-CPU part only.
 *
 * Staying invisible to the program:
 * - the signal is a real-time one the program left at SIG_DFL, searched
 *   from SIGRTMAX down; the program's view of it (sigaction, signal,
 *   sigset) stays what it was, and the moment the program installs a
 *   handler for it, sampling backs off for good: every timer is deleted
 *   and the program's handler installed.  A sample already queued then
 *   can still reach that handler (a window of one timer tick).
 * - no EINTR: the handler has SA_RESTART, and CPU-time timers fire only
 *   while their thread runs: since Linux 5.11 (POSIX_CPU_TIMERS_TASK_
 *   WORK) the expiry is handled on the way back to user mode, so the
 *   signal never lands inside a blocking call, not even a poll or a
 *   nanosleep that SA_RESTART does not restart.  Older kernels could
 *   interrupt a call that had just entered the kernel.
 * - the program's sigprocmask/pthread_sigmask never block the signal:
 *   a blocked one would queue and could be taken by a sigwaitinfo() on
 *   a full set.
 * - a sample that lands while the thread is inside ctrace (its buffer
 *   half written) is kept aside and recorded by the next sample, with the
 *   interrupted pc (in libctrace.so) as its only frame.
 * Timers are not inherited by fork (the child re-arms) and die with
 * exec (the new image's constructor arms again).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pl.h"
#include "guard.h"

#define CPU_MAGIC	0x63747263	/* si_value of our timers' signals */

static int cpu_sig;		/* the sampling signal; 0 = none */
static int backed_off;		/* the program claimed it */
static uint64_t interval_ns;
static struct sigaction prog_act;	/* the program's view of cpu_sig */
static int no_schedstat;

/* a sample that interrupted ctrace itself, recorded by the next one */
static __thread struct {
	uint64_t ts, ns, pc;
} deferred __attribute__((tls_model("initial-exec")));
/* samples this thread took and when it started: a thread that was
 * sampled or lived 10 ms pays for a schedstat reading at its end, a
 * shorter one reads its CPU clock */
static __thread unsigned long nsamples __attribute__((tls_model("initial-exec")));
static __thread uint64_t started __attribute__((tls_model("initial-exec")));

/* ------------------------------------------------------------------ */
/* readings                                                             */

/* "/proc/self/task/<tid>/schedstat" without snprintf (signal handlers) */
static void task_path(char *p, int tid)
{
	static const char pre[] = "/proc/self/task/", post[] = "/schedstat";
	char digits[12];
	int n = 0;

	memcpy(p, pre, sizeof(pre) - 1);
	p += sizeof(pre) - 1;
	do
		digits[n++] = '0' + tid % 10;
	while (tid /= 10);
	while (n)
		*p++ = digits[--n];
	memcpy(p, post, sizeof(post));
}

/* two decimal numbers of "run wait slices\n" */
static int parse2(const char *s, uint64_t *a, uint64_t *b)
{
	uint64_t v[2] = { 0, 0 };
	int i;

	for (i = 0; i < 2; i++) {
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			v[i] = v[i] * 10 + (uint64_t)(*s++ - '0');
		if (*s++ != ' ')
			return -1;
	}
	*a = v[0];
	*b = v[1];
	return 0;
}

static int read_schedstat(int tid, uint64_t *run, uint64_t *wait)
{
	char path[64], buf[96];
	ssize_t n;
	int fd;

	if (tid)
		task_path(path, tid);
	else
		memcpy(path, "/proc/thread-self/schedstat", 28);
	fd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !tid)
			no_schedstat = 1;
		return -1;
	}
	n = REAL(read)(fd, buf, sizeof(buf) - 1);
	REAL(close)(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return parse2(buf, run, wait);
}

/* cpu_clock() : the calling thread's CPU time in *ns; 0, or -1 */
static int cpu_clock(uint64_t *ns)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return -1;
	*ns = (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
	return 0;
}

/* pl_cpu_read() : a FMT_SCHED_SRC_* and the values; keeps errno */
unsigned pl_cpu_read(int tid, uint64_t *run, uint64_t *wait)
{
	int e = errno;
	unsigned src = FMT_SCHED_SRC_NONE;

	*run = *wait = 0;
	if (!no_schedstat && read_schedstat(tid, run, wait) == 0)
		src = FMT_SCHED_SRC_SCHEDSTAT;
	else if (!tid && cpu_clock(run) == 0)
		src = FMT_SCHED_SRC_CPUCLOCK;
	else
		*run = *wait = 0;
	errno = e;
	return src;
}

/*
 * A reading costs more than it seems: procfs drops a thread's entries
 * as soon as nobody holds them, so each open builds them anew, about
 * 20 us of CPU when readings are 10 ms apart (3.5 us back to back).
 * Readings are therefore taken where that is noise: at each sample
 * (0.2% of the CPU it measures), after blocking calls of 10 ms or more,
 * at the end of a thread that was sampled or lived 10 ms, and at exit.
 * A new thread needs none at its start (the kernel zeroes its counters
 * when it is created), and a shorter one reads its CPU clock at its end
 * (300 ns).
 */
static void emit_reading(unsigned why, unsigned src, uint64_t run,
			 uint64_t wait)
{
	struct fmt_event ev = { .type = FMT_EV_SCHED };

	ev.f[FMT_F_SCHED_why] = why;
	ev.f[FMT_F_SCHED_src] = src;
	ev.f[FMT_F_SCHED_run] = run;
	ev.f[FMT_F_SCHED_wait] = wait;
	ev.ts = pl_now();
	pl_emit(&ev, ev.ts);
}

static void reading(unsigned why)
{
	uint64_t run, wait;
	unsigned src = pl_cpu_read(0, &run, &wait);

	emit_reading(why, src, run, wait);
}

static void cheap_reading(unsigned why)
{
	uint64_t run = 0;
	unsigned src = cpu_clock(&run) ? FMT_SCHED_SRC_NONE :
					 FMT_SCHED_SRC_CPUCLOCK;

	emit_reading(why, src, run, 0);
}

void pl_cpu_after_block(void)
{
	if (!pl_inside())
		reading(FMT_SCHED_BLOCK);
}

/* ------------------------------------------------------------------ */
/* samples                                                              */

static void emit_deferred(void)
{
	struct fmt_event ev = { .type = FMT_EV_CPU_SAMPLE };
	uint64_t pc = deferred.pc;

	ev.ts = deferred.ts;
	ev.f[FMT_F_CPU_SAMPLE_period] = deferred.ns;
	ev.f[FMT_F_CPU_SAMPLE_src] = FMT_SCHED_SRC_NONE;
	ev.stack = &pc;
	ev.nstack = pc != 0;
	deferred.ns = 0;
	pl_emit(&ev, ev.ts);
}

static void sample(const siginfo_t *si, const void *uc)
{
	struct fmt_event ev = { .type = FMT_EV_CPU_SAMPLE };
	uint64_t st[PL_STACK_MAX], pc = pl_interrupted_pc(uc);
	uint64_t ns = interval_ns * (1 + (unsigned)si->si_overrun);

	if (pl_inside()) {
		if (!deferred.ns) {
			deferred.ts = pl_tls.hold_ts ? pl_tls.hold_ts : pl_now();
			deferred.pc = pc;
		}
		deferred.ns += ns;
		return;
	}
	if (deferred.ns)
		emit_deferred();
	nsamples++;
	ev.f[FMT_F_CPU_SAMPLE_period] = ns;
	ev.f[FMT_F_CPU_SAMPLE_src] = pl_cpu_read(0, &ev.f[FMT_F_CPU_SAMPLE_run],
						 &ev.f[FMT_F_CPU_SAMPLE_wait]);
	ev.ts = pl_tls.hold_ts ? pl_tls.hold_ts : pl_now();
	ev.stack = st;
	ev.nstack = pc ? pl_stack_n(st, (void *)(uintptr_t)pc,
				    pl_conf.stack_cpu) : 0;
	pl_emit(&ev, ev.ts);
}

/*
 * cpu_sig came from someone else (kill, sigqueue): untraced, the
 * program's disposition applies, SIG_DFL (it ends the process, as for
 * any real-time signal) or SIG_IGN.
 */
static void foreign(int sig)
{
	struct sigaction dfl;
	sigset_t set;

	if (prog_act.sa_handler == SIG_IGN)
		return;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	REAL(sigaction)(sig, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	REAL(pthread_sigmask)(SIG_UNBLOCK, &set, NULL);
	REAL(syscall)(SYS_tgkill, (long)getpid(), (long)pl_tid(), (long)sig);
}

/* CTRACE_DEBUG=cpu: the handler's CPU time (its own clock reads
 * included), summed over all threads; wall time would count preemption */
static uint64_t dbg_samples, dbg_ns;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	int e = errno;
	uint64_t t0 = 0, t1 = 0;

	if (si->si_code != SI_TIMER || si->si_value.sival_int != CPU_MAGIC) {
		foreign(sig);
	} else if (pl_on(FMT_FAM_CPU) && !pl_tls.ended &&
		   !__atomic_load_n(&backed_off, __ATOMIC_RELAXED)) {
		if (PL_LIKELY(!(pl_conf.debug & PL_DBG_CPU))) {
			sample(si, uc);
		} else {
			cpu_clock(&t0);
			sample(si, uc);
			cpu_clock(&t1);
			__atomic_fetch_add(&dbg_ns, t1 - t0, __ATOMIC_RELAXED);
			__atomic_fetch_add(&dbg_samples, 1, __ATOMIC_RELAXED);
		}
	}
	errno = e;
}

void pl_cpu_report(void)
{
	uint64_t n = __atomic_load_n(&dbg_samples, __ATOMIC_RELAXED);

	pl_dbg(PL_DBG_CPU, "%llu samples, %llu ns of CPU each in the handler",
	       (unsigned long long)n,
	       (unsigned long long)(n ? dbg_ns / n : 0));
}

/* ------------------------------------------------------------------ */
/* timers                                                               */

static void disarm(int *slot)
{
	int id = __atomic_exchange_n(slot, 0, __ATOMIC_SEQ_CST);

	if (id)
		REAL(syscall)(SYS_timer_delete, (long)(id - 1));
}

static void arm(void)
{
	struct sigevent sev;
	struct itimerspec its;
	int id;

	if (!cpu_sig || pl_tls.cpu_timer ||
	    __atomic_load_n(&backed_off, __ATOMIC_SEQ_CST))
		return;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = cpu_sig;
	sev.sigev_value.sival_int = CPU_MAGIC;
	sev._sigev_un._tid = pl_tid();
	if (REAL(syscall)(SYS_timer_create, (long)CLOCK_THREAD_CPUTIME_ID,
			  &sev, &id))
		return;
	its.it_interval.tv_sec = interval_ns / 1000000000u;
	its.it_interval.tv_nsec = interval_ns % 1000000000u;
	its.it_value = its.it_interval;
	if (REAL(syscall)(SYS_timer_settime, (long)id, 0L, &its, NULL)) {
		REAL(syscall)(SYS_timer_delete, (long)id);
		return;
	}
	__atomic_store_n(&pl_tls.cpu_timer, id + 1, __ATOMIC_SEQ_CST);
	/* a back-off that ran meanwhile did not see this timer */
	if (__atomic_load_n(&backed_off, __ATOMIC_SEQ_CST))
		disarm(&pl_tls.cpu_timer);
}

/* new: a thread our trampoline started (counters at zero); else the
 * main thread or a fork child's, whose counters are read */
void pl_cpu_thread_start(int new)
{
	int e = errno;

	if (!pl_on(FMT_FAM_CPU)) {
		/* outside a window: no reading, but a timer for the next */
		if (pl_wanted(FMT_FAM_CPU))
			arm();
		errno = e;
		return;
	}
	nsamples = 0;
	started = pl_now();
	if (new && !no_schedstat)
		emit_reading(FMT_SCHED_START, FMT_SCHED_SRC_SCHEDSTAT, 0, 0);
	else
		reading(FMT_SCHED_START);
	arm();
	errno = e;
}

void pl_cpu_thread_end(void)
{
	int e = errno;

	if (!pl_wanted(FMT_FAM_CPU) || pl_tls.ended)
		return;
	disarm(&pl_tls.cpu_timer);
	if (!pl_on(FMT_FAM_CPU)) {
		errno = e;
		return;
	}
	if (deferred.ns)
		emit_deferred();
	if (nsamples || pl_now() - started >= PL_CPU_BLOCK_NS)
		reading(FMT_SCHED_END);
	else
		cheap_reading(FMT_SCHED_END);
	errno = e;
}

void pl_cpu_stop_self(void)
{
	int e = errno;

	disarm(&pl_tls.cpu_timer);
	errno = e;
}

/* the parent's timers are not the child's (the caller then starts the
 * child's thread with pl_cpu_thread_start(), out of the guard) */
void pl_cpu_postfork_child(void)
{
	pl_tls.cpu_timer = 0;
	deferred.ns = 0;
}

static void disarm_tls(struct pl_tls *tls, void *arg)
{
	disarm(&tls->cpu_timer);
}

/* the program wants cpu_sig: stop every timer before it gets it */
static void back_off(void)
{
	int g;

	if (__atomic_exchange_n(&backed_off, 1, __ATOMIC_SEQ_CST))
		return;
	g = pl_enter();
	pl_each_thread(disarm_tls, NULL);
	disarm(&pl_tls.cpu_timer);
	if (g)
		pl_leave();
	pl_dbg(PL_DBG_INIT, "the program took signal %d: CPU sampling off",
	       cpu_sig);
}

/* ------------------------------------------------------------------ */
/* start-up                                                             */

void pl_cpu_init(void)
{
	struct sigaction sa, old;
	sigset_t set;
	int sig;

	if (!(pl_conf.fam & FMT_FAM_CPU) || !pl_conf.cpu_hz)
		return;
	interval_ns = 1000000000u / pl_conf.cpu_hz;
	for (sig = SIGRTMAX; sig > SIGRTMIN; sig--)
		if (!REAL(sigaction)(sig, NULL, &old) &&
		    !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL)
			break;
	if (sig <= SIGRTMIN) {
		pl_dbg(PL_DBG_INIT, "no free real-time signal: no CPU samples");
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (REAL(sigaction)(sig, &sa, NULL))
		return;
	prog_act = old;
	sigemptyset(&set);
	sigaddset(&set, sig);
	REAL(pthread_sigmask)(SIG_UNBLOCK, &set, NULL);
	cpu_sig = sig;
	pl_dbg(PL_DBG_INIT, "CPU samples: signal %d, %u Hz", sig,
	       pl_conf.cpu_hz);
}

/* ------------------------------------------------------------------ */
/* the program's signal calls                                           */

static int ours(int sig)
{
	return sig > 0 && sig == cpu_sig &&
	       !__atomic_load_n(&backed_off, __ATOMIC_RELAXED);
}

PL_EXPORT int sigaction(int sig, const struct sigaction *act,
			struct sigaction *old)
{
	struct sigaction prev;

	if (pl_sig_fatal(sig))
		return pl_sig_action(sig, act, old);
	if (!ours(sig))
		return REAL(sigaction)(sig, act, old);
	prev = prog_act;
	if (act) {
		back_off();
		if (REAL(sigaction)(sig, act, NULL))
			return -1;
		prog_act = *act;
	}
	if (old)
		*old = prev;
	return 0;
}

static sighandler_t prog_handler(void)
{
	return prog_act.sa_flags & SA_SIGINFO ?
	       (sighandler_t)(void (*)(void))prog_act.sa_sigaction :
	       prog_act.sa_handler;
}

/* signal(), sysv_signal(), sigset() on cpu_sig: the program's old
 * handler, sampling off, then the real call */
static sighandler_t claim(sighandler_t (*real)(int, sighandler_t), int sig,
			  sighandler_t h)
{
	sighandler_t prev = prog_handler();

	back_off();
	return real(sig, h) == SIG_ERR ? SIG_ERR : prev;
}

PL_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
	if (pl_sig_fatal(sig))
		return pl_sig_call(REAL(signal), sig, h);
	return ours(sig) ? claim(REAL(signal), sig, h) : REAL(signal)(sig, h);
}

PL_EXPORT sighandler_t sysv_signal(int sig, sighandler_t h)
{
	if (pl_sig_fatal(sig))
		return pl_sig_call(REAL(sysv_signal), sig, h);
	return ours(sig) ? claim(REAL(sysv_signal), sig, h) :
			   REAL(sysv_signal)(sig, h);
}

PL_EXPORT sighandler_t sigset(int sig, sighandler_t h)
{
	if (pl_sig_fatal(sig))
		return pl_sig_call(REAL(sigset), sig, h);
	/* SIG_HOLD only blocks it (in this thread: samples wait) */
	return ours(sig) && h != SIG_HOLD ? claim(REAL(sigset), sig, h) :
					    REAL(sigset)(sig, h);
}

/* the mask the program asks for, without our signal */
static const sigset_t *unblocked(int how, const sigset_t *set,
				 sigset_t *copy)
{
	if (!set || how == SIG_UNBLOCK || !ours(cpu_sig) ||
	    sigismember(set, cpu_sig) != 1)
		return set;
	*copy = *set;
	sigdelset(copy, cpu_sig);
	return copy;
}

PL_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	sigset_t copy;

	return REAL(sigprocmask)(how, unblocked(how, set, &copy), old);
}

PL_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	sigset_t copy;

	return REAL(pthread_sigmask)(how, unblocked(how, set, &copy), old);
}
