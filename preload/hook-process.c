/*
 * hook-process.c - the process family: fork, spawn, exec, exit.
 *
 * These hooks also keep the process connected, whether or not
 * CTRACE_EVENTS selects the process family:
 *   fork   the parent connects the child's connection first, the child
 *          adopts it and says HELLO (FMT_HELLO_FORK), see init.c;
 *   exec   every buffer is flushed first; the connection closes by
 *          CLOEXEC and the new image connects again (FMT_HELLO_EXEC);
 *   exit   the end is recorded and BYE sent (init.c, pl_finish()).
 *
 * vfork is implemented as fork.  A vfork child borrows the parent's
 * memory and stack until it execs, so a wrapper that returns in the child
 * leaves the parent resuming on a stack frame the child has reused: no
 * wrapper can run code after a real vfork.  POSIX allows the child only
 * exec or _exit, which behave the same after fork.
 *
 * Events (FMT_FAM_PROCESS):
 *   fork, _Fork, vfork  FORK {child pid or -errno, kind, stack} in the parent
 *   posix_spawn(p)      SPAWN {child pid (0 on failure), path, result, stack}
 *   exec* failing       EXEC_FAIL {path, result = -errno, stack}
 *   exit, main return   EXIT {status, how = FMT_EXIT_EXIT | _MAIN_RETURN}
 *   _exit, _Exit        EXIT {status, how = FMT_EXIT__EXIT}
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pl.h"
#include "guard.h"

#define RA() __builtin_return_address(0)

/* ------------------------------------------------------------------ */
/* fork                                                                 */

static void record_fork(pid_t pid, int e, unsigned kind, uint64_t ts,
			void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_FORK };
	uint64_t st[PL_STACK_MAX];

	if (!pl_on(PL_LIFE_PROC))
		return;
	ev.ts = ts;
	ev.f[FMT_F_FORK_child] = pid < 0 ? (uint64_t)-(int64_t)e :
					   (uint64_t)pid;
	ev.f[FMT_F_FORK_kind] = kind;
	ev.stack = st;
	ev.nstack = pl_stack(st, ra);
	pl_emit(&ev, pl_now());
}

/*
 * do_fork() : the guard is held across the real fork, so the program's
 * atfork handlers run untraced (their events are counted as lost) and no
 * signal handler can enter ctrace while the registry is locked.
 */
static pid_t do_fork(pid_t (*real)(void), unsigned kind, void *ra)
{
	pid_t pid, ppid = getpid();
	uint64_t ts;
	int e;

	if (!pl_on(PL_CONNECTED) || pl_inside())
		return real();
	pl_flush_self();
	ts = pl_now();
	pl_enter();
	pl_fork_prepare();
	pid = real();
	e = errno;
	if (pid == 0)
		pl_fork_child(ppid);
	else
		pl_fork_parent();
	pl_leave();
	if (pid != 0)
		record_fork(pid, e, kind, ts, ra);
	else
		pl_cpu_thread_start(0);
	errno = e;
	return pid;
}

PL_EXPORT pid_t fork(void)
{
	return do_fork(REAL(fork), FMT_FORK_FORK, RA());
}

PL_EXPORT pid_t vfork(void)
{
	return do_fork(REAL(fork), FMT_FORK_VFORK, RA());
}

PL_EXPORT pid_t _Fork(void)
{
	if (!REAL(_Fork)) {
		errno = ENOSYS;
		return -1;
	}
	return do_fork(REAL(_Fork), FMT_FORK_FORK, RA());
}

/* ------------------------------------------------------------------ */
/* spawn                                                                */

static int spawned(int r, pid_t *pid, const char *path, uint64_t ts,
		   void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_SPAWN };
	uint64_t st[PL_STACK_MAX];
	int e = errno;

	ev.ts = ts;
	ev.f[FMT_F_SPAWN_child] = r ? 0 : (uint64_t)*pid;
	ev.str = r == EFAULT ? NULL : path;	/* it may be the bad pointer */
	ev.slen = ev.str ? strnlen(path, FMT_MAX_STR) : 0;
	ev.f[FMT_F_SPAWN_result] = (uint64_t)(int64_t)r;
	ev.stack = st;
	ev.nstack = pl_stack(st, ra);
	pl_emit(&ev, pl_now());
	errno = e;
	return r;
}

PL_EXPORT int posix_spawn(pid_t *pid, const char *path,
			  const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[],
			  char *const envp[])
{
	pid_t p = 0, *pp = pid ? pid : &p;
	uint64_t ts;

	if (!pl_on(PL_LIFE_PROC))
		return REAL(posix_spawn)(pid, path, fa, attr, argv, envp);
	ts = pl_now();
	return spawned(REAL(posix_spawn)(pp, path, fa, attr, argv, envp), pp,
		       path, ts, RA());
}

PL_EXPORT int posix_spawnp(pid_t *pid, const char *file,
			   const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[],
			   char *const envp[])
{
	pid_t p = 0, *pp = pid ? pid : &p;
	uint64_t ts;

	if (!pl_on(PL_LIFE_PROC))
		return REAL(posix_spawnp)(pid, file, fa, attr, argv, envp);
	ts = pl_now();
	return spawned(REAL(posix_spawnp)(pp, file, fa, attr, argv, envp), pp,
		       file, ts, RA());
}

/* ------------------------------------------------------------------ */
/* exec                                                                 */

/*
 * pl_copy_in() : up to n (<= a page) bytes from src, stopping at an
 * unmapped page.  The kernel never splits one element of the remote
 * vector, so it is cut at src's page boundary.
 */
static ssize_t pl_copy_in(void *dst, const void *src, size_t n)
{
	uintptr_t a = (uintptr_t)src, edge = (a | 4095) + 1;
	size_t first = edge - a < n ? edge - a : n;
	struct iovec to = { dst, n };
	struct iovec from[2] = { { (void *)src, first },
				 { (void *)edge, n - first } };

	return process_vm_readv(getpid(), &to, 1, from, n > first ? 2 : 1, 0);
}

/*
 * Before an exec: every buffer out, then the file about to run, so that
 * the collector can tell an image that never connects (a static or setuid
 * program, or one that dies first) from a process killed, and say why.
 */
static void exec_prepare(const char *path)
{
	uint8_t m[FMT_WIRE_HDR_SIZE + 16 + FMT_MAX_STR];
	char s[FMT_MAX_STR];
	ssize_t got;
	size_t n;

	pl_sig_exec(0);
	if (!pl_on(PL_CONNECTED) || pl_inside())
		return;
	pl_flush_all(0);
	/* the path may be a bad pointer, which exec answers with EFAULT:
	 * copy it with a call that fails rather than faults */
	got = path ? pl_copy_in(s, path, sizeof(s)) : 0;
	n = got > 0 ? strnlen(s, got) : 0;
	pl_send(m, fmt_msg_put_exec(m, &(struct fmt_msg_exec){ s, n }), 0);
}

/* exec_failed() : the real exec returned r (-1), errno set */
static int exec_failed(int r, const char *path, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_EXEC_FAIL };
	uint64_t st[PL_STACK_MAX];
	int e = errno;

	pl_sig_exec(1);
	errno = e;
	if (!pl_on(FMT_FAM_PROCESS))
		return r;
	ev.ts = pl_now();
	ev.str = e == EFAULT ? NULL : path;	/* it may be the bad pointer */
	ev.slen = ev.str ? strnlen(path, FMT_MAX_STR) : 0;
	ev.f[FMT_F_EXEC_FAIL_result] = (uint64_t)-(int64_t)e;
	ev.stack = st;
	ev.nstack = pl_stack(st, ra);
	pl_emit(&ev, ev.ts);
	errno = e;
	return r;
}

PL_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	exec_prepare(path);
	return exec_failed(REAL(execve)(path, argv, envp), path, RA());
}

PL_EXPORT int execv(const char *path, char *const argv[])
{
	exec_prepare(path);
	return exec_failed(REAL(execv)(path, argv), path, RA());
}

PL_EXPORT int execvp(const char *file, char *const argv[])
{
	exec_prepare(file);
	return exec_failed(REAL(execvp)(file, argv), file, RA());
}

PL_EXPORT int execvpe(const char *file, char *const argv[],
		      char *const envp[])
{
	exec_prepare(file);
	return exec_failed(REAL(execvpe)(file, argv, envp), file, RA());
}

/* fexecve names no path: the file its descriptor names stands for it */
PL_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	char path[FMT_MAX_STR];

	pl_fd_file(fd, path, sizeof(path));
	exec_prepare(path);
	return exec_failed(REAL(fexecve)(fd, argv, envp), path, RA());
}

/*
 * The execl family: gather the variadic arguments into an argv (on the
 * stack, or mmap'ed for very long lists) and go through the v forms.
 */
enum { EX_L, EX_LP, EX_LE };

static int execl_common(int kind, const char *path, const char *arg0,
			va_list ap, void *ra)
{
	char *small[256], **argv = small, **envp = NULL;
	size_t n = 1, i, mapped = 0;
	va_list cp;
	int r;

	va_copy(cp, ap);
	while (va_arg(cp, char *))
		n++;
	va_end(cp);
	if (n + 1 > sizeof(small) / sizeof(small[0])) {
		mapped = (n + 1) * sizeof(char *);
		argv = REAL(mmap)(NULL, mapped, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (argv == MAP_FAILED) {
			errno = E2BIG;
			return -1;
		}
	}
	argv[0] = (char *)arg0;
	for (i = 1; i <= n; i++)
		argv[i] = va_arg(ap, char *);	/* argv[n] = NULL */
	if (kind == EX_LE)
		envp = va_arg(ap, char **);
	exec_prepare(path);
	if (kind == EX_L)
		r = REAL(execv)(path, argv);
	else if (kind == EX_LP)
		r = REAL(execvp)(path, argv);
	else
		r = REAL(execve)(path, argv, envp);
	r = exec_failed(r, path, ra);
	if (mapped) {
		int e = errno;

		REAL(munmap)(argv, mapped);
		errno = e;
	}
	return r;
}

PL_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	int r;

	va_start(ap, arg);
	r = execl_common(EX_L, path, arg, ap, RA());
	va_end(ap);
	return r;
}

PL_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	int r;

	va_start(ap, arg);
	r = execl_common(EX_LP, file, arg, ap, RA());
	va_end(ap);
	return r;
}

PL_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	int r;

	va_start(ap, arg);
	r = execl_common(EX_LE, path, arg, ap, RA());
	va_end(ap);
	return r;
}

/* ------------------------------------------------------------------ */
/* exit                                                                 */

PL_EXPORT void exit(int status)
{
	pl_note_exit(status, FMT_EXIT_EXIT);
	REAL(exit)(status);
	__builtin_unreachable();
}

PL_EXPORT void _exit(int status)
{
	pl_finish(status, FMT_EXIT__EXIT, RA());
	REAL(_exit)(status);
	__builtin_unreachable();
}

PL_EXPORT void _Exit(int status)
{
	pl_finish(status, FMT_EXIT__EXIT, RA());
	REAL(_Exit)(status);
	__builtin_unreachable();
}

/* abort: no BYE (the collector sees the process vanish), but whatever
 * was buffered is worth sending first */
PL_EXPORT void abort(void)
{
	if (pl_on(PL_CONNECTED) && !pl_inside())
		pl_flush_all(0);
	REAL(abort)();
	__builtin_unreachable();
}

/*
 * __libc_start_main: run main through pl_main to see its return value.
 * libc then calls exit() internally (not through our hook), and the
 * on_exit handler of init.c sends BYE with how = FMT_EXIT_MAIN_RETURN.
 */
static pl_main_fn real_main;

static int pl_main(int argc, char **argv, char **envp)
{
	int st = real_main(argc, argv, envp);

	pl_note_exit(st, FMT_EXIT_MAIN_RETURN);
	return st;
}

PL_EXPORT int __libc_start_main(pl_main_fn main, int argc, char **argv,
				void (*init)(void), void (*fini)(void),
				void (*rtld_fini)(void), void *stack_end)
{
	real_main = main;
	return REAL(__libc_start_main)(pl_main, argc, argv, init, fini,
				       rtld_fini, stack_end);
}
