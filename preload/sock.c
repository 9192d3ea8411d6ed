/*
 * sock.c - the connection to the collector, and keeping it ours.
 *
 * The connection fd sits at the top of the descriptor range (just below
 * RLIMIT_NOFILE, at most 65535) with FD_CLOEXEC, so the program's
 * lowest-free-number allocation never notices it, and when the program
 * dup2s onto it, it moves down to the next free number from the top,
 * never up into the numbers the program's next open() would get.  The program cannot close it or dup over
 * it: close_range() and closefrom() are hooked here, close(), dup2()
 * and dup3() in hook-fd.c (which also records them) call the pl_fd_*
 * functions below, and the raw syscall() equivalents route here from
 * hook-sync.c.
 * To the program our fd does not exist: close(ourfd) fails with EBADF as
 * it would untraced, a range close skips it, and dup2(x, ourfd) first
 * moves ours out of the way, then proceeds.
 *
 * Limit: moving the fd in dup2 races with another thread that loaded the
 * old number for a send already; that send could land in the program's
 * new file.  It needs dup2 onto exactly our number while another thread
 * flushes, and the alternative is a lock on every send.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pl.h"
#include "guard.h"

int pl_fd = -1;

/*
 * The top of the descriptor range: just below RLIMIT_NOFILE, so that the
 * program, which gets the lowest free numbers, meets ours last.  Capped,
 * because the kernel sizes a process's descriptor table (and copies it
 * at every fork) to its highest open number, and soft limits of a million
 * are common.
 */
#define PL_FD_TOP_MAX 65536

static int fd_top(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > PL_FD_TOP_MAX)
		return PL_FD_TOP_MAX;
	return (int)rl.rlim_cur;
}

/*
 * fd_park() : fd duplicated (close-on-exec) onto the highest free number
 * below limit, searching down: one call when the top is free, as it
 * nearly always is.  F_DUPFD takes the lowest free number from n up, so it
 * never replaces a descriptor the program opened meanwhile.  -1 when no
 * number from 3 up is free; errno is left as it was.
 */
static int fd_park(int fd, int limit)
{
	int n, r = -1, e = errno;

	for (n = limit - 1; n > 2 && r < 0; n--)
		r = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, n);
	errno = e;
	return r;
}

/* pl_fd_move_high() : fd moved to the top of the descriptor range */
int pl_fd_move_high(int fd)
{
	int nfd = fd_park(fd, fd_top());

	if (nfd < 0)
		return fd;
	REAL(close)(fd);
	return nfd;
}

/*
 * The collector learns the program's exe, argv and every event: only a
 * collector of the program's own user (or root) may have them, whoever
 * set CTRACE_SOCKET.  SO_PEERCRED names the process that listens.
 */
static int trusted(int fd, const char *path)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
	    len != sizeof(cr)) {
		pl_dbg(PL_DBG_SOCK, "%s: no peer credentials: refused", path);
		return 0;
	}
	if (cr.uid != 0 && cr.uid != geteuid()) {
		pl_dbg(PL_DBG_SOCK, "%s: collector of uid %d refused", path,
		       (int)cr.uid);
		return 0;
	}
	return 1;
}

/* pl_conn_open() : a new connection to path, or -1 */
int pl_conn_open(const char *path)
{
	struct sockaddr_un sa;
	int fd, r, one = 1;

	if (!path || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	fd = REAL(socket)(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* every datagram carries our pid as the kernel knows it: the
	 * collector believes no HELLO without it */
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	/* no send waits longer than this for a collector (pl_send) */
	if (pl_conf.stall_ms) {
		struct timeval tv = { pl_conf.stall_ms / 1000,
				      pl_conf.stall_ms % 1000 * 1000 };

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	do
		r = REAL(connect)(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		pl_dbg(PL_DBG_SOCK, "cannot connect %s: %s", path,
		       strerror(errno));
		REAL(close)(fd);
		return -1;
	}
	if (!trusted(fd, path)) {
		REAL(close)(fd);
		errno = EPERM;
		return -1;
	}
	fd = pl_fd_move_high(fd);
	pl_dbg(PL_DBG_SOCK, "connected %s as fd %d", path, fd);
	return fd;
}

/*
 * A collector that takes nothing for CTRACE_STALL_MS (stopped, hung) must
 * not hang the program: the waiting send returns (SO_SNDTIMEO), and the
 * process turns to dropping for good, every batch it cannot send counted
 * as lost.  After that no send waits, not even HELLO, BYE or the flushes
 * of exit.
 */
static int stalled;

int pl_send(const void *p, size_t n, int can_drop)
{
	return pl_send2(p, n, NULL, 0, can_drop);
}

/*
 * send_failed() : a send failed with errno (not EINTR).  EAGAIN: the
 * collector stalled for pl_conf.stall_ms (the socket's send timeout),
 * so from now on events are dropped rather than waited for, -1; the
 * first to see it says so, unless it was not waiting (dontwait).  Else
 * the collector is gone: tracing off, -2.
 */
static int send_failed(int dontwait)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		if (!dontwait) {
			__atomic_store_n(&stalled, 1, __ATOMIC_RELAXED);
			pl_conf.drop = 1;
			pl_dbg(PL_DBG_SOCK, "collector stalled for %u ms: "
			       "dropping from now on", pl_conf.stall_ms);
		}
		return -1;
	}
	pl_dbg(PL_DBG_SOCK, "send failed: %s: tracing off", strerror(errno));
	pl_disable();
	return -2;
}

int pl_send2(const void *p, size_t n, const void *p2, size_t n2,
	     int can_drop)
{
	int st = __atomic_load_n(&stalled, __ATOMIC_RELAXED);
	int drop = st || (can_drop && pl_conf.drop);
	int flags = MSG_NOSIGNAL | (drop ? MSG_DONTWAIT : 0);
	int fd = __atomic_load_n(&pl_fd, __ATOMIC_RELAXED);
	struct iovec iov[2] = { { (void *)p, n }, { (void *)p2, n2 } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n2 ? 2 : 1 };
	ssize_t r;

	if (fd < 0)
		return -2;
	do
		r = REAL(sendmsg)(fd, &mh, flags);
	while (r < 0 && errno == EINTR);
	return r >= 0 ? 0 : send_failed(drop);
}

/*
 * pl_sendm() : n datagrams in one sendmmsg(), the rest again after a
 * short count; as pl_send2() for each, but never dropping (the ended
 * threads' batches, emit.c).  @return how many were sent (the rest are
 * lost: the collector stalled or went away)
 */
unsigned pl_sendm(struct mmsghdr *m, unsigned n)
{
	int fd = __atomic_load_n(&pl_fd, __ATOMIC_RELAXED);
	int st = __atomic_load_n(&stalled, __ATOMIC_RELAXED);
	int flags = MSG_NOSIGNAL | (st ? MSG_DONTWAIT : 0);
	unsigned done = 0;
	int r;

	if (fd < 0)
		return 0;
	while (done < n) {
		r = REAL(sendmmsg)(fd, m + done, n - done, flags);
		if (r > 0) {
			done += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			errno = EPIPE;	/* no progress: as a failure */
		send_failed(st);
		return done;
	}
	return done;
}

static int ours(int fd)
{
	return fd >= 0 && fd == __atomic_load_n(&pl_fd, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* protection                                                           */

int pl_fd_close(int fd)
{
	if (ours(fd)) {
		errno = EBADF;
		return -1;
	}
	return REAL(close)(fd);
}

/* close [first, last] except ours: at most two real calls */
int pl_fd_close_range(unsigned first, unsigned last, int flags)
{
	unsigned fd = (unsigned)pl_fd;
	int r = 0, e = 0;

	if (!REAL(close_range)) {
		errno = ENOSYS;
		return -1;
	}
	if (!ours(pl_fd) || first > last || fd < first || fd > last)
		return REAL(close_range)(first, last, flags);
	if (first < fd && REAL(close_range)(first, fd - 1, flags) < 0) {
		r = -1;
		e = errno;
	}
	if (fd < last && REAL(close_range)(fd + 1, last, flags) < 0 && !r) {
		r = -1;
		e = errno;
	}
	if (r)
		errno = e;
	return r;
}

/*
 * dup2/dup3 onto ours: move ours elsewhere first.  dup from ours: the
 * program never had that fd, so EBADF.  If ours cannot move, tracing
 * stops and the program's call proceeds: its fd wins.
 */
int pl_fd_dup3(int old, int new, int flags, int is_dup2)
{
	int nfd;

	if (ours(old)) {
		errno = EBADF;
		return -1;
	}
	if (ours(new) && old != new) {
		nfd = fd_park(new, fd_top());
		if (nfd < 0) {
			pl_disable();
			__atomic_store_n(&pl_fd, -1, __ATOMIC_RELAXED);
		} else {
			__atomic_store_n(&pl_fd, nfd, __ATOMIC_RELAXED);
			pl_dbg(PL_DBG_SOCK, "fd moved %d -> %d", new, nfd);
		}
	}
	if (is_dup2)
		return REAL(dup2)(old, new);
	return REAL(dup3)(old, new, flags);
}

PL_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	return pl_fd_close_range(first, last, flags);
}

PL_EXPORT void closefrom(int low)
{
	int fd = pl_fd, i;

	if (low < 0)
		low = 0;
	if (!ours(fd) || fd < low) {
		if (REAL(closefrom))
			REAL(closefrom)(low);
		return;
	}
	if (low < fd && (!REAL(close_range) ||
			 REAL(close_range)(low, fd - 1, 0) < 0))
		for (i = low; i < fd; i++)
			REAL(close)(i);
	if (REAL(closefrom))
		REAL(closefrom)(fd + 1);
}
