/*
 * hook-fd.c - fd naming (io family): every call that makes a descriptor
 * records FD_OPEN {fd, call, from, name, stack} once it succeeded, close
 * records FD_CLOSE {fd, result}, so the analyzer can say "read 4096 bytes
 * from /var/db/x" instead of "from fd 7".  A later FD_OPEN of the same
 * number renames it (dup2 over an open fd, connect).
 *
 *   open open64 openat openat64 creat creat64 __open_2 __open64_2
 *   __openat_2 __openat64_2 fopen fopen64
 *              name = the path; a relative one is made absolute by reading
 *              /proc/self/fd/N (so symbolic links appear resolved); as
 *              given if that fails
 *   socket     "socket tcp", "socket udp6", "socket unix",
 *              "socket unix-dgram", "socket netlink", "socket af 17"...
 *   socketpair two FD_OPEN, both named "socketpair unix [A,B]"
 *   pipe pipe2 two FD_OPEN, both "pipe:[INODE]" as /proc/PID/fd shows
 *   dup dup2 dup3 fcntl(F_DUPFD, F_DUPFD_CLOEXEC) fcntl64
 *              "dup of N", from = N (the analyzer may follow it);
 *              fcntl records call = dup
 *   eventfd epoll_create epoll_create1 signalfd (new fd only)
 *   timerfd_create memfd_create
 *              "eventfd", "epoll", "signalfd", "timerfd", "memfd:NAME"
 *   accept accept4 (hook-io.c)
 *              the peer, "tcp 127.0.0.1:40312"; from = the listening fd
 *   connect (hook-io.c)
 *              the peer, "tcp 127.0.0.1:6379", "unix /run/x.sock"
 *   close      FD_CLOSE {fd, result}; fclose likewise with the stream's fd
 *
 * from is 0 unless stated.  fdopen makes no descriptor and records
 * nothing.  close, dup2 and dup3 also keep ctrace's own connection out of
 * the program's reach (sock.c does the work; this file owns the symbols).
 */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "io.h"

#define NAME_MAX_LEN	1024	/* kept modest: hooks may run on a
				   signal handler's small stack */

void io_fd_open(int fd, unsigned call, int from, const char *name, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_FD_OPEN };
	uint64_t st[PL_STACK_MAX];
	int e = errno;

	ev.ts = pl_now();
	ev.f[FMT_F_FD_OPEN_fd] = (uint64_t)(int64_t)fd;
	ev.f[FMT_F_FD_OPEN_call] = call;
	ev.f[FMT_F_FD_OPEN_from] = from > 0 ? (uint64_t)from : 0;
	ev.str = name;
	ev.slen = name ? strnlen(name, FMT_MAX_STR) : 0;
	ev.stack = st;
	ev.nstack = pl_stack(st, ra);
	pl_emit(&ev, ev.ts);
	errno = e;
}

static void fd_closed(int fd, int r, int e)
{
	struct fmt_event ev = { .type = FMT_EV_FD_CLOSE };

	ev.ts = pl_now();
	ev.f[FMT_F_FD_CLOSE_fd] = (uint64_t)(int64_t)fd;
	ev.f[FMT_F_FD_CLOSE_result] = io_res(r, e);
	pl_emit(&ev, ev.ts);
}

/* ------------------------------------------------------------------ */
/* names                                                                */

int io_sock_type(int fd)
{
	int t = 0, e = errno;
	socklen_t n = sizeof(t);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &n))
		t = 0;
	errno = e;
	return t;
}

void io_peer_str(char *buf, size_t size, const struct sockaddr *sa,
		 socklen_t len, int type)
{
	const char *udp = type == SOCK_DGRAM ? "udp" : "tcp";
	char a[INET6_ADDRSTRLEN];
	const struct sockaddr_in *in = (const void *)sa;
	const struct sockaddr_in6 *in6 = (const void *)sa;
	const struct sockaddr_un *un = (const void *)sa;
	size_t plen;

	if (sa->sa_family == AF_INET && len >= sizeof(*in)) {
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(buf, size, "%s %s:%u", udp, a, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(*in6)) {
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(buf, size, "%s6 [%s]:%u", udp, a,
			 ntohs(in6->sin6_port));
	} else if (sa->sa_family == AF_UNIX) {
		plen = len > offsetof(struct sockaddr_un, sun_path) ?
		       len - offsetof(struct sockaddr_un, sun_path) : 0;
		if (plen > sizeof(un->sun_path))
			plen = sizeof(un->sun_path);
		if (!plen)
			snprintf(buf, size, "unix");
		else if (!un->sun_path[0])	/* abstract: bytes, no NUL */
			snprintf(buf, size, "unix @%.*s", (int)plen - 1,
				 un->sun_path + 1);
		else
			snprintf(buf, size, "unix %.*s",
				 (int)strnlen(un->sun_path, plen),
				 un->sun_path);
	} else if (sa->sa_family == AF_UNSPEC) {
		snprintf(buf, size, "unspec");
	} else {
		snprintf(buf, size, "af %u", sa->sa_family);
	}
}

static const char *type_str(int type)
{
	switch (type) {
	case SOCK_STREAM:	return "";
	case SOCK_DGRAM:	return "-dgram";
	case SOCK_SEQPACKET:	return "-seqpacket";
	case SOCK_RAW:		return "-raw";
	}
	return "-other";
}

static void sock_str(char *buf, size_t size, int domain, int type)
{
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if ((domain == AF_INET || domain == AF_INET6) &&
	    (type == SOCK_STREAM || type == SOCK_DGRAM))
		snprintf(buf, size, "%s%s", type == SOCK_DGRAM ? "udp" : "tcp",
			 domain == AF_INET6 ? "6" : "");
	else if (domain == AF_INET || domain == AF_INET6)
		snprintf(buf, size, "inet%s%s", domain == AF_INET6 ? "6" : "",
			 type_str(type));
	else if (domain == AF_UNIX)
		snprintf(buf, size, "unix%s", type_str(type));
	else if (domain == AF_NETLINK)
		snprintf(buf, size, "netlink");
	else
		snprintf(buf, size, "af %d", domain);
}

const char *pl_fd_file(int fd, char *buf, size_t size)
{
	char proc[32];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

/* name_path() : FD_OPEN for fd opened by path */
static void name_path(int fd, unsigned call, const char *path, void *ra)
{
	char buf[NAME_MAX_LEN];

	if (path && path[0] != '/' && *pl_fd_file(fd, buf, sizeof(buf)))
		path = buf;
	io_fd_open(fd, call, 0, path, ra);
}

/* opened() : the end of every open hook: name r if it is a new fd */
static int opened(int r, const char *path, unsigned call, void *ra)
{
	int e;

	if (r >= 0 && io_on(FMT_FAM_IO)) {
		e = errno;
		name_path(r, call, path, ra);
		errno = e;
	}
	return r;
}

/* named() : likewise for an fd with a fixed name */
static int named(int r, unsigned call, const char *name, void *ra)
{
	if (r >= 0 && io_on(FMT_FAM_IO))
		io_fd_open(r, call, 0, name, ra);
	return r;
}

static int dup_named(int r, int old, unsigned call, void *ra)
{
	char name[32];

	if (r >= 0 && r != old && io_on(FMT_FAM_IO)) {
		snprintf(name, sizeof(name), "dup of %d", old);
		io_fd_open(r, call, old, name, ra);
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* open                                                                 */

#define OPEN_MODE(flags, last)						\
	mode_t mode = 0;						\
	if (__OPEN_NEEDS_MODE(flags)) {					\
		va_list ap;						\
		va_start(ap, last);					\
		mode = va_arg(ap, int);					\
		va_end(ap);						\
	}

PL_EXPORT int open(const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return opened(REAL(open)(path, flags, mode), path, FMT_CALL_open,
		      RA());
}

PL_EXPORT int open64(const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return opened(REAL(open64)(path, flags, mode), path, FMT_CALL_open,
		      RA());
}

PL_EXPORT int __open_2(const char *path, int flags)
{
	return opened(REAL(__open_2)(path, flags), path, FMT_CALL_open, RA());
}

PL_EXPORT int __open64_2(const char *path, int flags)
{
	return opened(REAL(__open64_2)(path, flags), path, FMT_CALL_open,
		      RA());
}

PL_EXPORT int openat(int dir, const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return opened(REAL(openat)(dir, path, flags, mode), path,
		      FMT_CALL_openat, RA());
}

PL_EXPORT int openat64(int dir, const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return opened(REAL(openat64)(dir, path, flags, mode), path,
		      FMT_CALL_openat, RA());
}

PL_EXPORT int __openat_2(int dir, const char *path, int flags)
{
	return opened(REAL(__openat_2)(dir, path, flags), path,
		      FMT_CALL_openat, RA());
}

PL_EXPORT int __openat64_2(int dir, const char *path, int flags)
{
	return opened(REAL(__openat64_2)(dir, path, flags), path,
		      FMT_CALL_openat, RA());
}

PL_EXPORT int creat(const char *path, mode_t mode)
{
	return opened(REAL(creat)(path, mode), path, FMT_CALL_creat, RA());
}

PL_EXPORT int creat64(const char *path, mode_t mode)
{
	return opened(REAL(creat64)(path, mode), path, FMT_CALL_creat, RA());
}

PL_EXPORT FILE *fopen(const char *path, const char *mode)
{
	FILE *f = REAL(fopen)(path, mode);

	if (f)
		opened(f->_fileno, path, FMT_CALL_fopen, RA());
	return f;
}

PL_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	FILE *f = REAL(fopen64)(path, mode);

	if (f)
		opened(f->_fileno, path, FMT_CALL_fopen, RA());
	return f;
}

/* ------------------------------------------------------------------ */
/* sockets, pipes and other descriptors                                 */

PL_EXPORT int socket(int domain, int type, int proto)
{
	char name[48] = "socket ";
	int r = REAL(socket)(domain, type, proto);

	if (r >= 0 && io_on(FMT_FAM_IO)) {
		sock_str(name + 7, sizeof(name) - 7, domain, type);
		io_fd_open(r, FMT_CALL_socket, 0, name, RA());
	}
	return r;
}

PL_EXPORT int socketpair(int domain, int type, int proto, int sv[2])
{
	char name[64] = "socketpair ";
	int r = REAL(socketpair)(domain, type, proto, sv);
	size_t n;

	if (r == 0 && io_on(FMT_FAM_IO)) {
		sock_str(name + 11, sizeof(name) - 11, domain, type);
		n = strlen(name);
		snprintf(name + n, sizeof(name) - n, " [%d,%d]", sv[0], sv[1]);
		io_fd_open(sv[0], FMT_CALL_socketpair, 0, name, RA());
		io_fd_open(sv[1], FMT_CALL_socketpair, 0, name, RA());
	}
	return r;
}

static int piped(int r, int fds[2], unsigned call, void *ra)
{
	struct stat st;
	char name[40];
	int e;

	if (r != 0 || !io_on(FMT_FAM_IO))
		return r;
	e = errno;
	if (fstat(fds[0], &st) == 0)
		snprintf(name, sizeof(name), "pipe:[%lu]",
			 (unsigned long)st.st_ino);
	else
		snprintf(name, sizeof(name), "pipe");
	errno = e;
	io_fd_open(fds[0], call, 0, name, ra);
	io_fd_open(fds[1], call, 0, name, ra);
	return r;
}

/*
 * A pipe made while ctrace itself runs is ctrace's own (an unwinder may
 * probe memory by writing to one, as libunwind did): keep it out of the
 * low numbers the program expects to get from its own next open().
 */
static int ours_high(int r, int fds[2])
{
	if (r == 0) {
		fds[0] = pl_fd_move_high(fds[0]);
		fds[1] = pl_fd_move_high(fds[1]);
	}
	return r;
}

PL_EXPORT int pipe(int fds[2])
{
	if (pl_inside())
		return ours_high(REAL(pipe)(fds), fds);
	return piped(REAL(pipe)(fds), fds, FMT_CALL_pipe, RA());
}

PL_EXPORT int pipe2(int fds[2], int flags)
{
	if (pl_inside())
		return ours_high(REAL(pipe2)(fds, flags), fds);
	return piped(REAL(pipe2)(fds, flags), fds, FMT_CALL_pipe2, RA());
}

PL_EXPORT int eventfd(unsigned init, int flags)
{
	return named(REAL(eventfd)(init, flags), FMT_CALL_eventfd, "eventfd",
		     RA());
}

PL_EXPORT int epoll_create(int size)
{
	return named(REAL(epoll_create)(size), FMT_CALL_epoll_create, "epoll",
		     RA());
}

PL_EXPORT int epoll_create1(int flags)
{
	return named(REAL(epoll_create1)(flags), FMT_CALL_epoll_create,
		     "epoll", RA());
}

PL_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	int r = REAL(signalfd)(fd, mask, flags);

	return fd == -1 ? named(r, FMT_CALL_signalfd, "signalfd", RA()) : r;
}

PL_EXPORT int timerfd_create(clockid_t clk, int flags)
{
	return named(REAL(timerfd_create)(clk, flags), FMT_CALL_timerfd_create,
		     "timerfd", RA());
}

PL_EXPORT int memfd_create(const char *mname, unsigned flags)
{
	char name[300];
	int r;

	if (!REAL(memfd_create)) {
		errno = ENOSYS;
		return -1;
	}
	r = REAL(memfd_create)(mname, flags);
	if (r >= 0 && io_on(FMT_FAM_IO)) {
		snprintf(name, sizeof(name), "memfd:%s", mname);
		io_fd_open(r, FMT_CALL_memfd_create, 0, name, RA());
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* dup, close (with the protection of our connection, sock.c)           */

PL_EXPORT int dup(int old)
{
	int r;

	if (old >= 0 && old == __atomic_load_n(&pl_fd, __ATOMIC_RELAXED)) {
		errno = EBADF;		/* the program never had it */
		return -1;
	}
	r = REAL(dup)(old);
	return dup_named(r, old, FMT_CALL_dup, RA());
}

PL_EXPORT int dup2(int old, int new)
{
	return dup_named(pl_fd_dup3(old, new, 0, 1), old, FMT_CALL_dup2, RA());
}

PL_EXPORT int dup3(int old, int new, int flags)
{
	return dup_named(pl_fd_dup3(old, new, flags, 0), old, FMT_CALL_dup3,
			 RA());
}

static int fcntl_hook(int (*real)(int, int, ...), int fd, int cmd, void *arg,
		      void *ra)
{
	int r = real(fd, cmd, arg);

	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		dup_named(r, fd, FMT_CALL_dup, ra);
	return r;
}

/* the third argument, if any, is an int or a pointer: passed on as one
 * register-sized word, as glibc itself does */
PL_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_hook(REAL(fcntl), fd, cmd, arg, RA());
}

PL_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!REAL(fcntl64))
		return fcntl_hook(REAL(fcntl), fd, cmd, arg, RA());
	return fcntl_hook(REAL(fcntl64), fd, cmd, arg, RA());
}

PL_EXPORT int close(int fd)
{
	int r, e;

	if (!io_on(FMT_FAM_IO))
		return pl_fd_close(fd);
	r = pl_fd_close(fd);
	e = errno;
	fd_closed(fd, r, e);
	errno = e;
	return r;
}

PL_EXPORT int fclose(FILE *f)
{
	int fd, r, e;

	if (!io_on(FMT_FAM_IO))
		return REAL(fclose)(f);
	fd = f->_fileno;
	r = REAL(fclose)(f);
	e = errno;
	if (fd >= 0)
		fd_closed(fd, r ? -1 : 0, e);
	errno = e;
	return r;
}
