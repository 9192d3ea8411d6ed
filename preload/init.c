/*
 * init.c - configuration, start-up and the end of the process.
 *
 * The constructor reads the environment once, connects to the collector
 * named by CTRACE_SOCKET or starts a private one, and sends HELLO.  The
 * end of the process is seen by the exit hooks (hook-process.c), which
 * record EXIT and call pl_finish() directly (_exit, _Exit) or through the
 * on_exit() handler registered here (exit, return from main, and the exits
 * libc makes internally, e.g. error(), the last thread ending): that
 * handler runs after the program's own atexit handlers, so their events
 * are in the trace too, and it knows the exit status.
 *
 * Any failure leaves pl_live at 0: every hook then passes through.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pl.h"
#include "guard.h"

struct pl_conf pl_conf;
unsigned pl_live;
static const uint32_t window_open = FMT_WINDOW_OPEN;
const uint32_t *pl_window = &window_open;
pid_t pl_pid;

static int finished;
static unsigned pending_how = FMT_EXIT_EXIT;

/* CTRACE_TRACED_PID lives in this buffer (putenv), so a fork child can
 * update it in place without allocating */
static char traced_env[] = "CTRACE_TRACED_PID=0000000000";
#define TRACED_DIGITS (sizeof(traced_env) - 11)

void pl_disable(void)
{
	__atomic_store_n(&pl_live, 0, __ATOMIC_RELAXED);
}

void pl_dbg(unsigned dom, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int e, n;

	if (!(pl_conf.debug & dom))
		return;
	e = errno;
	n = snprintf(buf, sizeof(buf), "ctrace[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	REAL(write)(2, buf, n);
	errno = e;
}

/* ------------------------------------------------------------------ */
/* configuration                                                        */

/* list_bits() : comma list of names -> bits; unknown names ignored */
static unsigned list_bits(const char *s, const char *const *names,
			  const unsigned *bits, unsigned n)
{
	unsigned r = 0, i;
	size_t len;

	while (s && *s) {
		len = strcspn(s, ",");
		for (i = 0; i < n; i++)
			if (strlen(names[i]) == len &&
			    !strncmp(s, names[i], len))
				r |= bits[i];
		s += len;
		if (*s)
			s++;
	}
	return r;
}

static unsigned long env_num(const char *name, unsigned long def)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return def;
	v = strtoul(s, &end, 10);
	return *end ? def : v;
}

static void read_conf(void)
{
	static const char *const fams[] = { "thread", "sync", "process", "io",
		"wait", "sleep", "heap", "user", "cpu", "all" };
	static const unsigned fbits[] = { FMT_FAM_THREAD, FMT_FAM_SYNC,
		FMT_FAM_PROCESS, FMT_FAM_IO, FMT_FAM_WAIT, FMT_FAM_SLEEP,
		FMT_FAM_HEAP, FMT_FAM_USER, FMT_FAM_CPU, FMT_FAM_ALL };
	static const char *const doms[] = { "init", "hook", "emit", "sock",
		"cpu", "all" };
	static const unsigned dbits[] = { PL_DBG_INIT, PL_DBG_HOOK,
		PL_DBG_EMIT, PL_DBG_SOCK, PL_DBG_CPU, 0xff };
	const char *s;
	unsigned long v;

	s = getenv("CTRACE_EVENTS");
	pl_conf.fam = s ? list_bits(s, fams, fbits, 10) : FMT_FAM_ALL;
	s = getenv("CTRACE_ON_FULL");
	pl_conf.drop = s && !strcmp(s, "drop");
	v = env_num("CTRACE_STALL_MS", 10000);
	pl_conf.stall_ms = v > 3600000 ? 3600000 : v;
	pl_conf.flush_ns = env_num("CTRACE_FLUSH_MS", 100) * 1000000ull;
	/* an explicit depth applies to every event; by default blocking
	 * events and sampled allocations get 16 frames, the rest 1 */
	v = env_num("CTRACE_STACK_DEPTH", 0);
	v = v > PL_STACK_MAX ? PL_STACK_MAX : v;
	pl_conf.stack_depth = v ? v : 1;
	pl_conf.stack_block = v ? v : 16;
	pl_conf.stack_sampled = v ? v : 16;
	pl_conf.stack_cpu = v ? v : PL_STACK_MAX;
	pl_conf.heap_sample = env_num("CTRACE_HEAP_SAMPLE", 0);
	/* samples per CPU second of each thread; 0: readings only */
	v = env_num("CTRACE_CPU_HZ", 100);
	pl_conf.cpu_hz = v > 10000 ? 10000 : v;
	pl_conf.debug = list_bits(getenv("CTRACE_DEBUG"), doms, dbits, 6);
}

/* ------------------------------------------------------------------ */
/* private collector                                                    */

static void collector_path(char *out, size_t size)
{
	const char *s = getenv("CTRACE_COLLECTOR");
	Dl_info di;
	char *slash;

	if (s && *s) {
		snprintf(out, size, "%s", s);
		return;
	}
	out[0] = 0;
	if (!dladdr((void *)collector_path, &di) || !di.dli_fname)
		return;
	snprintf(out, size, "%s", di.dli_fname);
	slash = strrchr(out, '/');
	if (slash)
		slash[1] = 0;
	else
		snprintf(out, size, "./");
	strncat(out, "../bin/ctrace-collector", size - strlen(out) - 1);
}

/* the collector's environment: ours without LD_PRELOAD (mmap'ed) */
static char **collector_env(size_t *mapped)
{
	extern char **environ;
	size_t n = 0, i, j = 0;
	char **env;

	while (environ && environ[n])
		n++;
	*mapped = (n + 1) * sizeof(char *);
	env = REAL(mmap)(NULL, *mapped, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (env == MAP_FAILED)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11))
			env[j++] = environ[i];
	env[j] = NULL;
	return env;
}

/* runs in the grandchild: become the collector or die quietly */
static void __attribute__((noreturn))
exec_collector(int lfd, const char *path, char **env)
{
	char *argv[] = { "ctrace-collector", "serve", "--listen-fd", "3",
			 NULL };
	int null;

	setsid();
	null = REAL(open)("/dev/null", O_RDWR);
	if (null >= 0) {
		REAL(dup2)(null, 0);
		REAL(dup2)(null, 1);
	}
	if (lfd != 3)
		REAL(dup2)(lfd, 3);
	else
		fcntl(3, F_SETFD, 0);
	if (REAL(syscall)(SYS_close_range, 4, ~0U, 0) < 0) {
		int fd;

		for (fd = 4; fd < 1024; fd++)
			REAL(close)(fd);
	}
	execve(path, argv, env);
	REAL(syscall)(SYS_exit_group, 127);
	for (;;)
		;
}

/*
 * spawn() : start the collector so the program never sees a child: a raw
 * clone with exit signal 0 (no SIGCHLD, invisible to wait()) clones again
 * with SIGCHLD for the collector, and exits at once; we reap it with
 * __WCLONE.  The grandchild is reparented to init (or a subreaper).
 */
static int spawn(int lfd, const char *coll)
{
	size_t mapped;
	char **env = collector_env(&mapped);
	long pid, pid2;
	int r;

	if (!env)
		return -1;
	pid = REAL(syscall)(SYS_clone, 0L, 0L, 0L, 0L, 0L);
	if (pid == 0) {
		pid2 = REAL(syscall)(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
		if (pid2 == 0)
			exec_collector(lfd, coll, env);
		REAL(syscall)(SYS_exit_group, pid2 < 0);
	}
	REAL(munmap)(env, mapped);
	if (pid < 0)
		return -1;
	do
		r = waitpid(pid, NULL, __WCLONE);
	while (r < 0 && errno == EINTR);
	return 0;
}

static int start_private(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], coll[PATH_MAX];
	struct sockaddr_un sa;
	int lfd;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (snprintf(dir, sizeof(dir), "%s/ctrace-XXXXXX", tmp) >=
	    (int)sizeof(dir) || !mkdtemp(dir))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", dir) >=
	    (int)sizeof(sa.sun_path))
		goto fail_dir;
	collector_path(coll, sizeof(coll));
	if (!coll[0] || access(coll, X_OK))
		goto fail_dir;
	lfd = REAL(socket)(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		goto fail_dir;
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 128) || spawn(lfd, coll)) {
		REAL(close)(lfd);
		unlink(sa.sun_path);
		goto fail_dir;
	}
	REAL(close)(lfd);
	pl_dbg(PL_DBG_INIT, "started %s on %s", coll, sa.sun_path);
	setenv("CTRACE_SOCKET", sa.sun_path, 1);
	snprintf(pl_conf.sock, sizeof(pl_conf.sock), "%s", sa.sun_path);
	return pl_conn_open(pl_conf.sock);
fail_dir:
	pl_dbg(PL_DBG_INIT, "cannot start a private collector");
	rmdir(dir);
	return -1;
}

/* ------------------------------------------------------------------ */
/* HELLO and BYE                                                        */

/* cmdline() : read /proc/self/cmdline into buf, return its length */
static size_t cmdline(char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	int fd = REAL(open)("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while (n < size && (r = REAL(read)(fd, buf + n, size - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += r;
	}
	REAL(close)(fd);
	return n;
}

/*
 * send_with_tab() : HELLO, with the thread table's memfd attached
 * (SCM_RIGHTS) when there is one; the table's descriptor is closed
 * after, sent or not: the collector holds its own.  The socket is new
 * and empty, so one blocking send, as pl_send() does for HELLO.
 */
static int send_with_tab(const uint8_t *m, size_t n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)m, n };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	int fd = pl_tab_fd(), sock = pl_fd;
	ssize_t r;

	if (fd < 0)
		return pl_send(m, n, 0);
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		r = REAL(sendmsg)(sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	pl_tab_close();
	if (r < 0) {
		pl_dbg(PL_DBG_SOCK, "cannot send HELLO: %s", strerror(errno));
		pl_disable();
		return -2;
	}
	return 0;
}

#define HELLO_MAP	(128 * 1024)
#define HELLO_ARGS	FMT_MAX_ARG	/* argv bytes kept, the rest is cut */

int pl_send_hello(unsigned flags, pid_t ppid)
{
	struct fmt_msg_hello h = { .version = FMT_WIRE_VERSION };
	char *args, exe[PATH_MAX];
	ssize_t elen;
	size_t alen, n;
	uint8_t *m;
	int r;

	m = REAL(mmap)(NULL, HELLO_MAP, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	args = (char *)m + HELLO_MAP - HELLO_ARGS;
	alen = cmdline(args, HELLO_ARGS);
	elen = readlink("/proc/self/exe", exe, sizeof(exe));
	if (elen < 0)
		elen = 0;
	h.p.pid = getpid();
	h.p.ppid = ppid;
	h.tid = pl_tid();
	h.p.ts = pl_now();
	h.p.flags = flags;
	h.p.exe = exe;
	h.p.exe_len = elen;
	/* the recording settings (wire.h) */
	h.p.have_settings = 1;
	h.p.events_mask = pl_conf.fam;
	h.p.heap_sample = pl_conf.heap_sample;
	h.p.stack_depth = pl_conf.stack_depth;
	n = fmt_msg_put_hello(m, &h, args, alen);
	r = send_with_tab(m, n);
	REAL(munmap)(m, HELLO_MAP);
	return r;
}

static void send_bye(int status, unsigned how)
{
	struct fmt_msg_bye b = { pl_now(), (unsigned)status & 0xff, how };
	uint8_t m[FMT_WIRE_SMALL_MSG];

	pl_send(m, fmt_msg_put_bye(m, &b), 0);
}

/* record EXIT: exit() and main's return note it now, BYE comes later */
static void record_exit(int status, unsigned how)
{
	struct fmt_event ev = { .type = FMT_EV_EXIT };

	if (!pl_on(PL_LIFE_PROC))
		return;
	ev.ts = pl_now();
	ev.f[FMT_F_EXIT_status] = (uint64_t)(int64_t)status;
	ev.f[FMT_F_EXIT_how] = how;
	pl_emit(&ev, ev.ts);
}

void pl_note_exit(int status, unsigned how)
{
	if (!pl_on(PL_CONNECTED) || pl_inside() ||
	    __atomic_load_n(&finished, __ATOMIC_RELAXED))
		return;
	pending_how = how;
	record_exit(status, how);
}

void pl_finish(int status, unsigned how, void *ra)
{
	int e = errno, zero = 0;

	if (!pl_on(PL_CONNECTED) || pl_inside() ||
	    !__atomic_compare_exchange_n(&finished, &zero, 1, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	if (how == FMT_EXIT__EXIT)
		record_exit(status, how);
	pl_mod_sync_dirty();
	pl_cpu_report();
	pl_flush_all(1);
	if (pl_on(PL_CONNECTED))
		send_bye(status, how);
	pl_dbg(PL_DBG_INIT, "bye status %d how %u", status, how);
	pl_disable();
	errno = e;
}

static void on_exit_cb(int status, void *arg)
{
	pl_finish(status, pending_how, NULL);
}

/* ------------------------------------------------------------------ */
/* start-up                                                             */

static void set_traced_pid(pid_t pid)
{
	char *d = traced_env + sizeof(traced_env) - 2;
	unsigned v = pid;
	size_t i;

	for (i = 0; i < 10; i++, v /= 10)
		*d-- = '0' + v % 10;
}

static int is_collector(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *base;

	if (n <= 0)
		return 0;
	exe[n] = 0;
	base = strrchr(exe, '/');
	return !strcmp(base ? base + 1 : exe, "ctrace-collector");
}

static void atfork_child(void);

int pl_windowed(void)
{
	return pl_window != &window_open;
}

/*
 * map_window() : the collector's window word, if it made one beside its
 * socket (wire.h).  Only a regular file of ours, whole: one the collector
 * never shrinks, so the mapping cannot fault.  Anything else, and we
 * record as without windows.
 */
static void map_window(void)
{
	char path[sizeof(pl_conf.sock) + sizeof(FMT_WINDOW_SUFFIX)];
	struct stat st;
	void *m;
	int fd;

	snprintf(path, sizeof(path), "%s%s", pl_conf.sock, FMT_WINDOW_SUFFIX);
	fd = REAL(open)(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() && st.st_size >= FMT_WINDOW_SIZE) {
		m = mmap(NULL, FMT_WINDOW_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED)
			pl_window = m;
	}
	REAL(close)(fd);
	pl_dbg(PL_DBG_INIT, "window word %s: %s", path,
	       pl_window == &window_open ? "none" : "mapped");
}

static int connect_collector(void)
{
	const char *s = getenv("CTRACE_SOCKET");
	int fd = -1;

	if (s && *s && strlen(s) < sizeof(pl_conf.sock)) {
		snprintf(pl_conf.sock, sizeof(pl_conf.sock), "%s", s);
		fd = pl_conn_open(pl_conf.sock);
	}
	if (fd < 0)
		fd = start_private();
	return fd;
}

__attribute__((constructor)) static void pl_init(void)
{
	const char *tp;
	unsigned flags = 0;

	pl_enter();
	pl_resolve();
	read_conf();
	if (is_collector())
		goto out;
	pl_clock_init();
	pl_emit_init();
	pl_stack_init();
	pl_pid = getpid();
	tp = getenv("CTRACE_TRACED_PID");
	if (tp && strtol(tp, NULL, 10) == pl_pid)
		flags |= FMT_HELLO_EXEC;
	pl_fd = connect_collector();
	if (pl_fd < 0)
		goto out;
	map_window();
	set_traced_pid(pl_pid);
	putenv(traced_env);
	if (pl_send_hello(flags, getppid()) < 0)
		goto out;
	pl_mod_send_all();
	pthread_atfork(NULL, NULL, atfork_child);
	on_exit(on_exit_cb, NULL);
	pl_cpu_init();
	pl_sig_init();
	pl_clock_start();
	pl_dbg(PL_DBG_INIT, "tracing, families 0x%x, fd %d", pl_conf.fam,
	       pl_fd);
	__atomic_store_n(&pl_live, pl_conf.fam | PL_CONNECTED |
			 (pl_conf.fam & FMT_FAM_THREAD ? PL_LIFE_THREAD : 0) |
			 (pl_conf.fam & FMT_FAM_PROCESS ? PL_LIFE_PROC : 0),
			 __ATOMIC_RELEASE);
	pl_leave();
	pl_cpu_thread_start(0);
	return;
out:
	pl_tab_close();
	pl_leave();
}

/* ------------------------------------------------------------------ */
/* fork                                                                 */

static int fork_hooked;		/* set by our fork hook around real fork */
static int fork_newfd = -1;	/* its new connection, for the child */

/*
 * pl_fork_prepare() : before the real fork (the caller flushed its own
 * buffer, so the child inherits no unsent event of ours).  The parent
 * opens the child's connection now, so the collector never sees the
 * process tree without a client.
 */
void pl_fork_prepare(void)
{
	fork_newfd = pl_conn_open(pl_conf.sock);
	fork_hooked = 1;
	pl_emit_prefork();
}

void pl_fork_parent(void)
{
	pl_emit_postfork_parent();
	fork_hooked = 0;
	if (fork_newfd >= 0)
		REAL(close)(fork_newfd);
	fork_newfd = -1;
}

/*
 * A fork child that cannot open its own connection (its parent became
 * another user, say, who may not reach the collector's directory) says
 * so on its parent's, which it still holds: the kernel's credentials on
 * the datagram prove who it is, and the trace then shows the process
 * and why it is missing, instead of nothing.
 */
static void send_untraced(int fd, pid_t ppid, int err)
{
	struct fmt_msg_untraced u = {
		(uint64_t)getpid(), (uint64_t)ppid, FMT_WHY_CONNECT,
		(uint64_t)err,
	};
	uint8_t m[FMT_WIRE_SMALL_MSG];

	REAL(send)(fd, m, fmt_msg_put_untraced(m, &u),
		   MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* the child adopts newfd (or connects itself after an unhooked fork) */
static void fork_child(int newfd, pid_t ppid)
{
	int old = pl_fd, err = 0;

	pl_emit_postfork_child();
	pl_wake_postfork_child();
	pl_heap_postfork_child();
	finished = 0;
	pending_how = FMT_EXIT_EXIT;
	pl_pid = getpid();
	set_traced_pid(pl_pid);
	if (newfd < 0) {
		newfd = pl_conn_open(pl_conf.sock);
		err = errno;
	}
	if (newfd < 0 && old >= 0)
		send_untraced(old, ppid, err);
	__atomic_store_n(&pl_fd, newfd, __ATOMIC_RELAXED);
	if (old >= 0)
		REAL(close)(old);
	if (newfd < 0 || pl_send_hello(FMT_HELLO_FORK, ppid) < 0) {
		pl_tab_close();
		pl_disable();
		return;
	}
	pl_mod_send_all();
	pl_cpu_postfork_child();
}

void pl_fork_child(pid_t ppid)
{
	fork_hooked = 0;
	fork_child(fork_newfd, ppid);
	fork_newfd = -1;
}

/* a fork we did not hook (daemon(), ...): the child connects itself */
static void atfork_child(void)
{
	int g;

	if (fork_hooked || !pl_on(PL_CONNECTED))
		return;
	g = pl_enter();
	fork_child(-1, pl_pid);		/* still the parent's pid here */
	if (g) {
		pl_leave();
		pl_cpu_thread_start(0);
	}
}
