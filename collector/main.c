/*
 * main.c - ctrace-collector: command line, the three modes, exit status.
 *
 *   record   run a command under the preload and trace its whole tree;
 *            exit with the command's status
 *   collect  a long-running collector for whatever connects (a test run)
 *   serve    the private collector the preload starts by itself
 *   snapshot ask a flight-mode collector (--flight) for a snapshot:
 *            not a collector, a client of one's socket
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "col.h"
#include "file.h"
#include "log.h"
#include "version.h"

static const char usage_text[] =
"usage: ctrace-collector record [-o <file>] [-q] [--flight] [--paused] [--]\n"
"                               <command> ...\n"
"   or: ctrace-collector collect [-o <file>] [-s <socket>] [--daemon] [-q]\n"
"                                [--flight] [--paused]\n"
"   or: ctrace-collector serve --listen-fd <n> [-o <file>]\n"
"   or: ctrace-collector snapshot [-s <socket>] [-o <file>] [-r <reason>]\n"
"   or: ctrace-collector ctl start|stop [-s <socket>]\n"
"\n"
"    -o, --output <file>   trace file (default: $CTRACE_OUT, else ctrace.out)\n"
"    -q, --quiet           no summary line at the end\n"
"    -s, --socket <path>   collect: listen at <path> (its dir must exist)\n"
"    --flight=<size>[,<s>] keep only the last <size> (K, M, G) of events,\n"
"                          <s> seconds at most; write snapshots on demand\n"
"    --snapshot-on-crash   flight: a snapshot when a process dies of a\n"
"                          fatal signal\n"
"    --paused              record only in windows that ctl start opens\n"
"    --daemon              collect: go to the background after printing\n"
"    --listen-fd <n>       serve: the socket already listens on fd <n>\n";

/* `ctrace record -h` and `ctrace collect -h`: that mode's options only
 * (serve is the preload's own, not for people); these two share */
#define WINDOW_OPTS \
"    --flight=<size>[,<s>] keep only the last <size> (K, M, G; default 64M)\n" \
"                          of events in memory, <s> seconds at most; write\n" \
"                          snapshots (ctrace snapshot, SIGUSR2) beside -o\n" \
"    --snapshot-on-crash   with --flight: a snapshot when a traced process\n" \
"                          dies of SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL\n" \
"    --paused              record nothing until ctrace ctl start or\n" \
"                          ctrace_start() opens a recording window\n"

static const char record_usage[] =
"usage: ctrace record [-o <file>] [-q] [--] <command> [<arg>...]\n"
"\n"
"Trace <command> and everything it forks and execs; exit with its status.\n"
"\n"
"    -o, --output <file>   trace file (default: $CTRACE_OUT, else ctrace.out)\n"
"    -q, --quiet           no summary line at the end\n"
WINDOW_OPTS;

static const char collect_usage[] =
"usage: ctrace collect [-o <file>] [-s <socket>] [--daemon] [-q]\n"
"\n"
"Collect whatever connects until stopped; print the variables to export.\n"
"\n"
"    -o, --output <file>   trace file (default: $CTRACE_OUT, else ctrace.out)\n"
"    -q, --quiet           no summary line at the end\n"
"    -s, --socket <path>   listen at <path> (its directory must exist)\n"
"    --daemon              go to the background after printing\n"
WINDOW_OPTS;

static const char ctl_usage[] =
"usage: ctrace ctl start|stop [-s <socket>]\n"
"\n"
"Open (start) or close (stop) the recording window of a collector started\n"
"with --paused.\n"
"\n"
"    -s, --socket <path>   the collector's socket (default: $CTRACE_SOCKET)\n";

static const char snapshot_usage[] =
"usage: ctrace snapshot [-s <socket>] [-o <file>] [-r <reason>]\n"
"\n"
"Ask a flight-mode collector for a snapshot; print the file it wrote.\n"
"\n"
"    -s, --socket <path>   the collector's socket (default: $CTRACE_SOCKET)\n"
"    -o, --output <file>   the snapshot's file (default: named by the\n"
"                          collector, by time and reason, beside its -o)\n"
"    -r, --reason <text>   why, in the file's name and the snapshot\n";

struct opts {
	const char *out;
	const char *sock;
	int daemon;
	int listen_fd;
	int out_default;	/* neither -o nor CTRACE_OUT chose it */
	const char *flight;	/* --flight's value, "" for the default */
	const char *reason;	/* snapshot: -r */
	int paused;		/* --paused */
	const char *ctl;	/* ctl: start or stop */
	char **cmd;		/* record: the command and its arguments */
};

static struct rlimit orig_nofile;
static sigset_t orig_mask;

static void __attribute__((noreturn)) usage(void)
{
	fputs(col.mode == COL_RECORD ? record_usage :
	      col.mode == COL_COLLECT ? collect_usage :
	      col.mode == COL_SNAPSHOT ? snapshot_usage :
	      col.mode == COL_CTL ? ctl_usage : usage_text, stdout);
	exit(EXIT_OK);
}

static int parse_fd(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > INT_MAX)
		die(EXIT_USAGE, "bad fd '%s' for --listen-fd", s);
	return v;
}

/* ctl start|stop [-s <socket>], the socket before or after the verb */
static void parse_ctl(int argc, char **argv, struct opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			usage();
		if (!strcmp(argv[i], "-s") || !strcmp(argv[i], "--socket")) {
			if (++i == argc)
				die(EXIT_USAGE, "ctl: option '%s' needs a "
				    "value", argv[i - 1]);
			o->sock = argv[i];
		} else if (!o->ctl && (!strcmp(argv[i], "start") ||
				       !strcmp(argv[i], "stop"))) {
			o->ctl = argv[i];
		} else {
			die(EXIT_USAGE, "ctl: unexpected argument '%s'",
			    argv[i]);
		}
	}
	if (!o->ctl)
		die(EXIT_USAGE, "ctl: start or stop?");
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "socket", required_argument, NULL, 's' },
		{ "daemon", no_argument, NULL, 'D' },
		{ "listen-fd", required_argument, NULL, 'L' },
		{ "flight", optional_argument, NULL, 'F' },
		{ "snapshot-on-crash", no_argument, NULL, 'C' },
		{ "reason", required_argument, NULL, 'r' },
		{ "paused", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode = argv[0];
	int c;

	opterr = 0;
	optind = 1;
	/* "+": the command's own options are not ours */
	while ((c = getopt_long(argc, argv, "+:o:qs:r:h", longs, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'q': col.quiet = 1; break;
		case 's': o->sock = optarg; break;
		case 'D': o->daemon = 1; break;
		case 'L': o->listen_fd = parse_fd(optarg); break;
		case 'F': o->flight = optarg ? optarg : ""; break;
		case 'C': col.snap_on_crash = 1; break;
		case 'r': o->reason = optarg; break;
		case 'P': o->paused = 1; break;
		case 'h': usage();
		case ':':
			die(EXIT_USAGE, "%s: option '%s' needs a value", mode,
			    argv[optind - 1]);
		default:
			die(EXIT_USAGE, "%s: unknown option '%s'", mode,
			    argv[optind - 1]);
		}
		/* each option belongs to one mode */
		if (c == 's' && col.mode == COL_SNAPSHOT)
			continue;
		if (c == 'P' && col.mode != COL_RECORD &&
		    col.mode != COL_COLLECT)
			die(EXIT_USAGE, "%s: option '--paused' is for record "
			    "and collect only", mode);
		if (c == 'r' && col.mode != COL_SNAPSHOT)
			die(EXIT_USAGE, "%s: option '--reason' is for snapshot "
			    "only", mode);
		if ((c == 'F' || c == 'C') && col.mode != COL_RECORD &&
		    col.mode != COL_COLLECT)
			die(EXIT_USAGE, "%s: option '%s' is for record and "
			    "collect only", mode, c == 'F' ? "--flight" :
			    "--snapshot-on-crash");
		if (col.mode == COL_SNAPSHOT && c != 'o' && c != 's' &&
		    c != 'r')
			die(EXIT_USAGE, "snapshot: unknown option '%s'",
			    argv[optind - 1]);
		if ((c == 's' || c == 'D') && col.mode != COL_COLLECT)
			die(EXIT_USAGE, "%s: option '%s' is for collect only",
			    mode, c == 's' ? "--socket" : "--daemon");
		if (c == 'L' && col.mode != COL_SERVE)
			die(EXIT_USAGE, "%s: --listen-fd is for serve only",
			    mode);
		if (c == 'q' && col.mode == COL_SERVE)
			die(EXIT_USAGE, "serve: unknown option '-q'");
	}
	if (col.mode == COL_RECORD) {
		if (optind >= argc)
			die(EXIT_USAGE, "record: no command given");
		o->cmd = argv + optind;
	} else if (optind < argc) {
		die(EXIT_USAGE, "%s: unexpected argument '%s'", mode,
		    argv[optind]);
	}
	if (col.mode == COL_SERVE && o->listen_fd < 0)
		die(EXIT_USAGE, "serve: --listen-fd is required");
	if (col.snap_on_crash && !o->flight)
		die(EXIT_USAGE, "%s: --snapshot-on-crash needs --flight", mode);
	if (col.mode == COL_SNAPSHOT)
		return;
	if (!o->out)
		o->out = getenv("CTRACE_OUT");
	if (!o->out || !*o->out) {
		o->out = "ctrace.out";
		o->out_default = 1;
	}
}

/* SIZE[,SECONDS]: K, M, G are powers of 1024 */
static void parse_flight(const char *s, uint64_t *size, uint64_t *age)
{
	unsigned long long v = 64ull << 20, sec = 0;
	char *end = (char *)s;

	errno = 0;
	if (*s && *s != ',') {
		v = strtoull(s, &end, 10);
		if (end == s || errno)
			goto bad;
		switch (*end) {
		case 'K': case 'k': v <<= 10; end++; break;
		case 'M': case 'm': v <<= 20; end++; break;
		case 'G': case 'g': v <<= 30; end++; break;
		}
	}
	if (*end == ',') {
		s = end + 1;
		sec = strtoull(s, &end, 10);
		if (end == s || errno || !sec || sec > 1000000000ull)
			goto bad;
	}
	if (*end || !v || v > (64ull << 30))
		goto bad;
	*size = v;
	*age = sec * 1000000000ull;
	return;
bad:
	die(EXIT_USAGE, "bad value '%s' for --flight (SIZE[,SECONDS])", s);
}

/* CTRACE_LIB (set by the front end), else <our dir>/../lib/libctrace.so */
static char *find_lib(void)
{
	const char *env = getenv("CTRACE_LIB");
	char self[PATH_MAX], path[PATH_MAX + 32], *slash, *real;
	ssize_t n;

	if (env && *env) {
		snprintf(path, sizeof(path), "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = 0;
		slash = strrchr(self, '/');
		if (slash)
			*slash = 0;
		snprintf(path, sizeof(path), "%s/../lib/libctrace.so", self);
	}
	/* absolute: the command may chdir before it execs something */
	real = realpath(path, NULL);
	if (!real)
		die(EXIT_FAIL, "cannot find libctrace.so: %s: %s", path,
		    strerror(errno));
	return real;
}

/* many processes, one fd each: take what the hard limit allows */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &orig_nofile))
		return;
	rl = orig_nofile;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static void block_signals(void)
{
	static const int sigs[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP,
				    SIGQUIT, SIGUSR1, SIGUSR2 };
	sigset_t set;
	unsigned i;

	/* an inherited SIG_IGN would auto-reap the command: no status */
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&set);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, &orig_mask);
}

/* ---- record ---- */

static void child_env(const char *lib, const char *old_preload)
{
	char *v;
	size_t n, first;

	if (old_preload && *old_preload && !strstr(old_preload, lib)) {
		n = strlen(lib) + strlen(old_preload) + 2;
		v = xmalloc(n);
		/* ours before the program's preloads, but an ASan runtime
		 * must stay first or it refuses to run (make test ASAN=1) */
		first = strcspn(old_preload, ": ");
		if (memmem(old_preload, first, "asan", 4))
			snprintf(v, n, "%.*s:%s%s", (int)first, old_preload,
				 lib, old_preload + first);
		else
			snprintf(v, n, "%s:%s", lib, old_preload);
		setenv("LD_PRELOAD", v, 1);
	} else {
		setenv("LD_PRELOAD", old_preload && *old_preload ?
				     old_preload : lib, 1);
	}
	setenv("CTRACE_SOCKET", col_sock_path(), 1);
	unsetenv("CTRACE_TRACED_PID");
}

/* in the child: becomes the command, or reports why it cannot */
static void __attribute__((noreturn))
run_command(char **cmd, const char *lib, const char *old_preload, int errfd)
{
	int err;

	sigprocmask(SIG_SETMASK, &orig_mask, NULL);
	setrlimit(RLIMIT_NOFILE, &orig_nofile);
	child_env(lib, old_preload);
	execvp(cmd[0], cmd);
	err = errno;
	fprintf(stderr, "ctrace: cannot run %s: %s\n", cmd[0], strerror(err));
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(127);
	/* like a shell: 127 not found, 126 found but not runnable */
	_exit(err == ENOENT ? 127 : 126);
}

/* 1 if the command could not be exec'ed */
static int start_command(char **cmd, const char *lib, const char *old_preload)
{
	int fds[2], err;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		die(EXIT_FAIL, "cannot create pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		die(EXIT_FAIL, "cannot fork: %s", strerror(errno));
	if (pid == 0)
		run_command(cmd, lib, old_preload, fds[1]);
	close(fds[1]);
	col.root_pid = pid;
	col_proc_root(pid);
	/* EOF: exec succeeded (the pipe was close-on-exec) */
	do
		n = read(fds[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	return n == sizeof(err);
}

static int wait_status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return EXIT_FAIL;
}

/* ---- collect ---- */

/* a value the shell reads back as is */
static void print_export(const char *name, const char *v)
{
	const char *p;

	if (strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789_/.,:+=@%-") == strlen(v) && *v) {
		printf("export %s=%s\n", name, v);
		return;
	}
	printf("export %s='", name);
	for (p = v; *p; p++)
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	fputs("'\n", stdout);
}

static void print_exports(const char *lib, pid_t pid)
{
	char buf[32];

	print_export("CTRACE_SOCKET", col_sock_path());
	print_export("LD_PRELOAD", lib);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	print_export("CTRACE_COLLECTOR_PID", buf);
	fflush(stdout);
}

static void to_devnull(int fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0 && null != fd) {
		dup2(null, fd);
		close(null);
	}
}

static void daemonize(const char *lib)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		die(EXIT_FAIL, "cannot fork: %s", strerror(errno));
	if (pid > 0) {
		print_exports(lib, pid);
		_exit(ferror(stdout) ? EXIT_FAIL : EXIT_OK);
	}
	setsid();
	col_sock_own();
	col_windows_own();
	/* `eval "$(ctrace collect --daemon)"` waits for stdout's EOF */
	to_devnull(0);
	to_devnull(1);
}

/* ---- main ---- */

static int mode_of(const char *s)
{
	if (!strcmp(s, "record"))
		return COL_RECORD;
	if (!strcmp(s, "collect"))
		return COL_COLLECT;
	if (!strcmp(s, "serve"))
		return COL_SERVE;
	if (!strcmp(s, "snapshot"))
		return COL_SNAPSHOT;
	if (!strcmp(s, "ctl"))
		return COL_CTL;
	if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
		fputs(usage_text, stdout);
		exit(EXIT_OK);
	}
	if (!strcmp(s, "--version")) {
		puts(CTRACE_VERSION_LINE);
		exit(EXIT_OK);
	}
	die(EXIT_USAGE, "unknown mode '%s' (record, collect or serve)", s);
}

static void setup_socket(const struct opts *o)
{
	if (col.mode == COL_SERVE)
		col.listen_fd = col_sock_adopt(o->listen_fd);
	else if (o->sock)
		col.listen_fd = col_sock_at(o->sock);
	else
		col.listen_fd = col_sock_private();
}

/* a trace that cannot go where it was meant to goes into our private
 * directory, or a new one; NULL when there is none */
static char *fallback_output(void)
{
	const char *tmp = getenv("TMPDIR"), *dir = col_sock_dir();
	char made[PATH_MAX], path[PATH_MAX + 16];

	if (!*dir) {
		snprintf(made, sizeof(made), "%s/ctrace-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(made))
			return NULL;
		dir = made;
	}
	snprintf(path, sizeof(path), "%s/ctrace.out", dir);
	return xstrdup(path);
}

static const char *log_beside(const char *trace)
{
	char *log = xmalloc(strlen(trace) + 5);

	return strcat(strcpy(log, trace), ".log");
}

/*
 * open_output() : create the trace.  The private collector (serve) may
 * not write into the program's stdout or stderr: its messages go to a log
 * beside the trace, and a trace it cannot create where it was asked to
 * goes to a fallback, said in that log (and on stderr with CTRACE_DEBUG,
 * which asks for ctrace's messages there).  `record` falls back only
 * from the default ctrace.out, and says so.
 */
static void open_output(struct opts *o)
{
	int serve = col.mode == COL_SERVE, e;
	const char *debug = getenv("CTRACE_DEBUG");
	char *alt;

	/* flight mode: -o names only the directory of the snapshots */
	if (col_flight_on())
		return;
	if (col_writer_open(o->out) == 0)
		return;
	e = errno;
	if (!serve && !o->out_default)
		die(EXIT_OUTPUT, "cannot open %s: %s", o->out, strerror(e));
	alt = fallback_output();
	if (!alt || col_writer_open(alt))
		die(EXIT_OUTPUT, "cannot open %s: %s", o->out, strerror(e));
	if (serve)
		log_file = log_beside(alt);
	warn_msg("cannot open %s: %s; writing %s instead", o->out,
		 strerror(e), alt);
	if (serve && debug && *debug)
		fprintf(stderr, "ctrace: cannot open %s: %s; writing %s "
			"instead\n", o->out, strerror(e), alt);
	o->out = col.out_path = alt;
}

static double cpu_s(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru))
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* what tracing cost, beside what the traced work took: the command of
 * record is our child (its descendants count once it reaped them);
 * collect's programs are not, so only our own time is known there */
static void print_cpu(void)
{
	fprintf(stderr, " (collector CPU %.2f s", cpu_s(RUSAGE_SELF));
	if (col.mode == COL_RECORD)
		fprintf(stderr, ", command %.2f s", cpu_s(RUSAGE_CHILDREN));
	fputc(')', stderr);
}

static void print_summary(void)
{
	const struct col_counts *n = &col_counts;

	fprintf(stderr, "ctrace: wrote %s: %llu event%s, %llu process%s, "
		"%llu lost", col.out_path, (unsigned long long)n->nevents,
		plural(n->nevents, "s"), (unsigned long long)n->nprocesses,
		plural(n->nprocesses, "es"), (unsigned long long)n->nlost);
	/* processes that ran and are missing: `ctrace info` says why */
	if (n->nuntraced)
		fprintf(stderr, ", %llu process%s not traced",
			(unsigned long long)n->nuntraced,
			plural(n->nuntraced, "es"));
	print_cpu();
	fputc('\n', stderr);
}

static void print_flight_summary(void)
{
	fprintf(stderr, "ctrace: flight: %llu event%s seen, %llu evicted, "
		"%llu snapshot%s written\n",
		(unsigned long long)col_counts.nevents,
		plural(col_counts.nevents, "s"),
		(unsigned long long)col_flight_evicted(),
		(unsigned long long)col.nsnapshots,
		plural(col.nsnapshots, "s"));
}

/* ---- snapshot: ask a collector ---- */

/*
 * ask() : send the request m[0..n) to the collector at sock (checked by
 * sock_of()) and read its answer, of type want, into *d (its text
 * points into m); dies with EXIT_SOCKET when there is none.
 */
static void ask(const char *sock, uint8_t *m, size_t cap, ssize_t n,
		unsigned want, struct fmt_msg_snapshot_done *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fmt_msg_hdr h;
	int fd;

	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die(EXIT_SOCKET, "cannot connect to %s: %s", sock,
		    strerror(errno));
	if (send(fd, m, n, MSG_NOSIGNAL) != n)
		die(EXIT_SOCKET, "cannot send to %s: %s", sock,
		    strerror(errno));
	do
		n = recv(fd, m, cap, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || fmt_msg_get_hdr(m, n, &h) || h.type != want ||
	    fmt_msg_parse_snapshot_done(m + FMT_WIRE_HDR_SIZE, h.len, d))
		die(EXIT_SOCKET, "no answer from the collector at %s", sock);
	close(fd);
}

/* sock_of() : the socket a request of `cmd` goes to: -s or $CTRACE_SOCKET */
static const char *sock_of(const struct opts *o, const char *cmd)
{
	const char *sock = o->sock ? o->sock : getenv("CTRACE_SOCKET");

	if (!sock || !*sock)
		die(EXIT_USAGE, "%s: no socket (-s, or $CTRACE_SOCKET)", cmd);
	if (strlen(sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		die(EXIT_USAGE, "%s: socket path too long: %s", cmd, sock);
	return sock;
}

static int ask_snapshot(const struct opts *o)
{
	static uint8_t m[FMT_WIRE_MAX_MSG];
	const char *sock = sock_of(o, "snapshot");
	const char *why = o->reason ? o->reason : "";
	struct fmt_msg_snapshot req = { why, o->out ? o->out : "",
					strlen(why), 0 };
	struct fmt_msg_snapshot_done d;
	char abs[PATH_MAX];

	/* the collector's directory may not be ours: an absolute path */
	if (o->out && o->out[0] != '/' && getcwd(abs, sizeof(abs) - 1) &&
	    strlen(abs) + strlen(o->out) + 2 < sizeof(abs)) {
		strcat(strcat(abs, "/"), o->out);
		req.path = abs;
	}
	req.path_len = strlen(req.path);
	if (req.reason_len > FMT_MAX_STR || req.path_len > FMT_MAX_STR)
		die(EXIT_USAGE, "snapshot: reason or path too long");
	ask(sock, m, sizeof(m), fmt_msg_put_snapshot(m, &req),
	    FMT_MSG_SNAPSHOT_DONE, &d);
	if (d.err)
		die(EXIT_FAIL, "snapshot: %.*s", (int)d.len, d.text);
	printf("%.*s\n", (int)d.len, d.text);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

/* ---- ctl: open or close a collector's window ---- */

static int ask_ctl(const struct opts *o)
{
	static uint8_t m[FMT_WIRE_MAX_MSG];
	const char *sock = sock_of(o, "ctl");
	struct fmt_msg_snapshot_done d;

	ask(sock, m, sizeof(m), fmt_msg_put_ctl(m, strcmp(o->ctl, "start") ?
						FMT_CTL_STOP : FMT_CTL_START),
	    FMT_MSG_CTL_DONE, &d);
	if (d.err)
		die(EXIT_FAIL, "ctl: %.*s", (int)d.len, d.text);
	return EXIT_OK;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	uint64_t start_mono = col_now(), start_real = realtime_ns();
	struct opts o = { .listen_fd = -1 };
	char *lib = NULL, *old_preload;
	int failed_exec = 0, rc, status = EXIT_OK;

	/* one name in every message, whichever program the front end ran */
	log_prog = "ctrace";
	if (argc < 2)
		die(EXIT_USAGE, "no mode given (record, collect or serve)");
	col.mode = mode_of(argv[1]);
	if (col.mode == COL_CTL) {
		parse_ctl(argc - 1, argv + 1, &o);
		return ask_ctl(&o);
	}
	parse(argc - 1, argv + 1, &o);
	if (col.mode == COL_SNAPSHOT)
		return ask_snapshot(&o);
	col.windows = o.paused;
	col.out_path = o.out;
	if (o.flight) {
		uint64_t size, age;

		parse_flight(o.flight, &size, &age);
		col_flight_init(size, age, o.out);
	}
	/* nothing the collector runs may be traced by accident */
	old_preload = getenv("LD_PRELOAD");
	old_preload = old_preload ? xstrdup(old_preload) : NULL;
	unsetenv("LD_PRELOAD");
	if (col.mode != COL_SERVE)
		lib = find_lib();
	if (col.mode == COL_SERVE)
		log_file = log_beside(o.out);
	/* before the daemon forks: between its stdout's EOF, which lets
	 * `eval "$(ctrace collect --daemon)"` go on, and the loop, a
	 * SIGUSR2 or SIGTERM must wait for the loop, not kill it */
	block_signals();
	/* the socket first: a failure there must not clobber the output */
	atexit(col_sock_cleanup);
	setup_socket(&o);
	/* before col_sock_cleanup's rmdir, which atexit runs later; serve's
	 * socket is the library's, never paused */
	atexit(col_windows_cleanup);
	if (col.mode != COL_SERVE && *col_sock_path())
		col_windows_init(col_sock_path(), col.windows);
	open_output(&o);
	if (col.mode == COL_SERVE) {
		/* hold no pipe of the program that started us open, and
		 * write nothing into its output (CTRACE_DEBUG asks for it) */
		to_devnull(0);
		to_devnull(1);
		if (!getenv("CTRACE_DEBUG") || !*getenv("CTRACE_DEBUG"))
			to_devnull(2);
	}
	if (col.mode == COL_COLLECT && o.daemon)
		daemonize(lib);
	else if (col.mode == COL_COLLECT)
		print_exports(lib, getpid());
	col_writer_start(start_mono, start_real);
	col_intern_namer(col_sym_addr);
	raise_nofile();
	col_loop_init();
	if (col.mode == COL_RECORD)
		failed_exec = start_command(o.cmd, lib, old_preload);
	col_loop_run();
	if (col.mode == COL_RECORD && !failed_exec && !col.ever_client)
		col_explain_untraced(o.cmd[0]);
	col_procs_cut();
	/* snapshots still being written finish: none is lost */
	col_flight_finish();
	rc = col_writer_finish(1);
	col_sym_finish();
	col_windows_cleanup();
	col_sock_cleanup();
	free(lib);
	free(old_preload);
	if (col.mode == COL_RECORD)
		status = wait_status_code(col.root_status);
	else if (rc)
		status = EXIT_OUTPUT;
	if (!col.quiet && !rc && !failed_exec && col.mode != COL_SERVE &&
	    col_flight_on())
		print_flight_summary();
	else if (!col.quiet && !rc && !failed_exec && col.mode != COL_SERVE)
		print_summary();
	return status;
}
