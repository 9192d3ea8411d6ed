/*
 * hook-signal.c - fatal signals: recorded, buffers flushed, and then
 * exactly what the kernel would have done without us.
 *
 * For SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTRAP and SIGSYS the
 * kernel holds our handler from start-up, and the program's disposition
 * is kept here (prog_get, prog_set): sigaction(), signal(),
 * sysv_signal(), bsd_signal() and sigset() (cpu.c's hooks forward here)
 * store the program's action
 * and install ours with the program's flags (SA_ONSTACK, SA_NODEFER,
 * SA_RESTART) and mask, so the kernel delivers on the stack and with the
 * mask the program asked for.  SA_RESETHAND is ours to emulate, so that
 * a second fault is still seen.  What sigaction() reports as the old
 * action is the program's own.
 *
 * On a signal (on_fatal()):
 * - the program's handler: FATAL_SIGNAL (action 1) is recorded and the
 *   handler called as the kernel would (siginfo and ucontext with
 *   SA_SIGINFO); if it returns, so do we.  Nothing is flushed: a
 *   program that takes faults on purpose pays one event per fault.
 * - SIG_DFL, or SIG_IGN for a fault the kernel itself raised (the kernel
 *   kills then too, force_sig_fault() in kernel/signal.c): FATAL_SIGNAL
 *   (action 0), every buffer flushed as at exit, SIG_DFL restored, and
 *   a fault returns to re-execute the faulting instruction, which the
 *   kernel now punishes with the default action; a sent signal
 *   (kill, raise, abort) and SIGTRAP/SIGSYS, whose instruction is not
 *   re-executed, are raised again, unblocked.  The exit status and the
 *   core dump are the untraced ones.
 * - SIG_IGN for a sent signal: ignored, as the kernel would have.
 * Everything here is async-signal-safe: no malloc, no stdio, no lock
 * the interrupted code may hold (view_lock is taken with every signal
 * blocked; emit.c's registry lock is only taken
 * under the guard, which a fault inside ctrace leaves set: that thread's
 * events are then counted lost by the thread table, not sent).
 * Limits: a stack overflow without the program's sigaltstack kills as
 * untraced but unrecorded (our handler has no stack to run on); a
 * program that blocks the signal when it faults dies unrecorded, as the
 * kernel does not run handlers then.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pl.h"
#include "guard.h"

#define NSIG_FATAL	65

static unsigned char hooked[NSIG_FATAL];

/*
 * The program's view of each signal's action.  A fault in one thread
 * may read it while another thread's sigaction() changes it, so it is
 * never written in place: each change fills the next of NVIEW copies and
 * then publishes a pointer to it.  A reader copying one view is safe
 * until NVIEW - 1 more changes of that signal, far more than the few
 * instructions of its copy.  Writers serialize on view_lock with every
 * signal blocked, so a handler that calls sigaction() on the thread
 * holding it cannot wait on itself.
 */
#define NVIEW	4
static struct sigaction views[NSIG_FATAL][NVIEW];
static struct sigaction *view[NSIG_FATAL];
static unsigned char next_view[NSIG_FATAL];
static int view_lock;

/* prog_get() : the program's action for sig (SIG_DFL before any) */
static struct sigaction prog_get(int sig)
{
	const struct sigaction *v = __atomic_load_n(&view[sig],
						    __ATOMIC_ACQUIRE);
	struct sigaction a;

	if (v)
		return *v;
	memset(&a, 0, sizeof(a));
	a.sa_handler = SIG_DFL;
	return a;
}

static void prog_set(int sig, const struct sigaction *a)
{
	struct sigaction *v;
	sigset_t all, old;

	sigfillset(&all);
	REAL(pthread_sigmask)(SIG_SETMASK, &all, &old);
	while (__atomic_exchange_n(&view_lock, 1, __ATOMIC_ACQUIRE))
		;
	v = &views[sig][next_view[sig]++ % NVIEW];
	*v = *a;
	__atomic_store_n(&view[sig], v, __ATOMIC_RELEASE);
	__atomic_store_n(&view_lock, 0, __ATOMIC_RELEASE);
	REAL(pthread_sigmask)(SIG_SETMASK, &old, NULL);
}

static const int fatal_sigs[] = {
	SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTRAP, SIGSYS,
};

int pl_sig_fatal(int sig)
{
	return sig > 0 && sig < NSIG_FATAL &&
	       __atomic_load_n(&hooked[sig], __ATOMIC_RELAXED);
}

/* raised by the kernel itself (a fault, seccomp, a failed delivery):
 * the kernel kills then even if the signal is ignored */
static int forced(const siginfo_t *si)
{
	return si->si_code > 0;
}

/* kernel-made fault whose instruction runs again when we return */
static int refaults(int sig, const siginfo_t *si)
{
	return forced(si) && (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
	       sig == SIGILL);
}

static uint64_t fault_addr(int sig, const siginfo_t *si)
{
	if (!forced(si) || sig == SIGABRT)
		return 0;
	return (uintptr_t)si->si_addr;
}

/* noinline: the unwind finds the interrupted pc a fixed few frames up */
static __attribute__((noinline)) void record(int sig, const siginfo_t *si,
					     const void *uc, unsigned action)
{
	struct fmt_event ev = { .type = FMT_EV_FATAL_SIGNAL };
	uint64_t st[PL_STACK_MAX], pc = pl_interrupted_pc(uc);
	unsigned depth = pl_conf.stack_cpu > 1 ? pl_conf.stack_cpu :
			 pl_conf.stack_block;

	if (!pl_on(FMT_FAM_CPU) || pl_tls.ended)
		return;
	if (pl_inside() && action == FMT_SIG_DEFAULT) {
		/* nothing can be sent: the thread table counts it lost */
		pl_lost_dying();
		return;
	}
	ev.ts = pl_now();
	ev.f[FMT_F_FATAL_SIGNAL_sig] = (unsigned)sig;
	ev.f[FMT_F_FATAL_SIGNAL_code] = (uint64_t)(int64_t)si->si_code;
	ev.f[FMT_F_FATAL_SIGNAL_addr] = fault_addr(sig, si);
	ev.f[FMT_F_FATAL_SIGNAL_pid] = si->si_code == SI_USER ||
				       si->si_code == SI_TKILL ?
				       (uint64_t)(int64_t)si->si_pid : 0;
	ev.f[FMT_F_FATAL_SIGNAL_action] = action;
	ev.stack = st;
	ev.nstack = pc ? pl_stack_n(st, (void *)(uintptr_t)pc, depth) : 0;
	pl_emit(&ev, ev.ts);
}

/* the default action, as untraced: see the top of the file */
static void die(int sig, const siginfo_t *si)
{
	struct sigaction dfl;
	sigset_t set;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	REAL(sigaction)(sig, &dfl, NULL);
	if (refaults(sig, si))
		return;
	sigemptyset(&set);
	sigaddset(&set, sig);
	REAL(syscall)(SYS_tgkill, (long)getpid(), (long)pl_tid(), (long)sig);
	REAL(pthread_sigmask)(SIG_UNBLOCK, &set, NULL);
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
	struct sigaction a = prog_get(sig);
	int e = errno;

	if (a.sa_handler == SIG_IGN && !forced(si))
		return;
	if (a.sa_handler == SIG_DFL || a.sa_handler == SIG_IGN) {
		record(sig, si, uc, FMT_SIG_DEFAULT);
		if (pl_on(PL_CONNECTED) && !pl_inside())
			pl_flush_all(1);
		die(sig, si);
		errno = e;
		return;
	}
	record(sig, si, uc, FMT_SIG_HANDLER);
	if (a.sa_flags & SA_RESETHAND) {
		struct sigaction dfl;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		prog_set(sig, &dfl);
	}
	errno = e;
	if (a.sa_flags & SA_SIGINFO)
		a.sa_sigaction(sig, si, uc);
	else
		a.sa_handler(sig);
}

/* install() : ours in the kernel, with the flags and mask of act */
static int install(int sig, const struct sigaction *act)
{
	struct sigaction k;

	memset(&k, 0, sizeof(k));
	k.sa_sigaction = on_fatal;
	k.sa_mask = act->sa_mask;
	k.sa_flags = (act->sa_flags | SA_SIGINFO) & ~SA_RESETHAND;
	return REAL(sigaction)(sig, &k, NULL);
}

/*
 * The program's action as the kernel would report it back: its mask as
 * the kernel stored it (no SIGKILL, SIGSTOP), its flags with what libc
 * adds (SA_RESTORER).
 */
static void store(int sig, const struct sigaction *act)
{
	struct sigaction rd, a = *act;
	const int mine = SA_SIGINFO | SA_RESETHAND;

	if (!REAL(sigaction)(sig, NULL, &rd)) {
		a.sa_mask = rd.sa_mask;
		a.sa_flags = (rd.sa_flags & ~mine) | (act->sa_flags & mine);
	}
	prog_set(sig, &a);
}

int pl_sig_action(int sig, const struct sigaction *act,
		  struct sigaction *old)
{
	struct sigaction prev = prog_get(sig);

	if (act) {
		if (install(sig, act))
			return -1;
		store(sig, act);
	}
	if (old)
		*old = prev;
	return 0;
}

static sighandler_t prog_handler(const struct sigaction *a)
{
	return a->sa_flags & SA_SIGINFO ?
	       (sighandler_t)(void (*)(void))a->sa_sigaction : a->sa_handler;
}

/*
 * signal() and its kin: libc's own call sets the flags and mask it
 * means (BSD, System V, sigset's unblocking), then we take the signal
 * back with what it installed.  Meanwhile (a few instructions) the
 * program's handler is the kernel's: a signal then reaches it directly,
 * unrecorded but as untraced.
 */
sighandler_t pl_sig_call(sighandler_t (*real)(int, sighandler_t), int sig,
			 sighandler_t h)
{
	struct sigaction prev = prog_get(sig), now;
	sighandler_t r = real(sig, h);

	if (r == SIG_ERR)
		return r;
	if (REAL(sigaction)(sig, NULL, &now) == 0 &&
	    (void *)now.sa_sigaction != (void *)on_fatal) {
		install(sig, &now);
		prog_set(sig, &now);
	}
	if (r == SIG_HOLD)	/* sigset: it was blocked */
		return r;
	return prog_handler(&prev);
}

PL_EXPORT sighandler_t bsd_signal(int sig, sighandler_t h)
{
	return pl_sig_fatal(sig) ? pl_sig_call(REAL(signal), sig, h) :
				   REAL(signal)(sig, h);
}

/*
 * pl_sig_exec() : around an exec.  The new image inherits a signal the
 * program ignores, and gets SIG_DFL for one it handles: ours must not
 * turn the former into the latter.  after: the exec failed, ours again.
 */
void pl_sig_exec(int after)
{
	struct sigaction ign, a;
	unsigned i;
	int sig;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	for (i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++) {
		sig = fatal_sigs[i];
		if (!pl_sig_fatal(sig))
			continue;
		a = prog_get(sig);
		if (a.sa_handler != SIG_IGN)
			continue;
		if (after)
			install(sig, &a);
		else
			REAL(sigaction)(sig, &ign, NULL);
	}
}

/* pl_sig_init() : ours for every fatal signal (constructor) */
void pl_sig_init(void)
{
	struct sigaction old;
	unsigned i;
	int sig;

	for (i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++) {
		sig = fatal_sigs[i];
		if (REAL(sigaction)(sig, NULL, &old) || install(sig, &old))
			continue;
		prog_set(sig, &old);
		__atomic_store_n(&hooked[sig], 1, __ATOMIC_RELEASE);
	}
}
