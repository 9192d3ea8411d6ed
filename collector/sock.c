/*
 * sock.c - the collector's listening socket.
 *
 * The socket lives in a private 0700 directory so no other user can even
 * reach it, and each connection is checked with SO_PEERCRED besides.  The
 * peer's pid is not checked: a fork child talks over a connection its
 * parent opened.  The socket (and the directory we made) go away at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "col.h"
#include "log.h"
#include "wire.h"

static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char dir_path[PATH_MAX];	/* our mkdtemp directory, if any */
static int owner_pid;		/* only this process cleans up */

const char *col_sock_path(void)
{
	return sock_path;
}

const char *col_sock_dir(void)
{
	return dir_path;
}

/*
 * stale() : the socket at sa is one a killed collector left behind:
 * nobody accepts on it, so it is removed (1) and the bind retried.  A
 * live collector's (connect succeeds), or anything that is not a
 * socket, is left alone (0, errno EADDRINUSE for the message).
 */
static int stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, dead;

	if (lstat(sa->sun_path, &st) || !S_ISSOCK(st.st_mode))
		goto in_use;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto in_use;
	dead = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) &&
	       errno == ECONNREFUSED;
	close(fd);
	if (dead && !unlink(sa->sun_path))
		return 1;
in_use:
	errno = EADDRINUSE;
	return 0;
}

static int make_listener(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		die(EXIT_SOCKET, "cannot bind %s: socket path too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die(EXIT_SOCKET, "cannot create socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    (errno != EADDRINUSE || !stale(&sa) ||
	     bind(fd, (struct sockaddr *)&sa, sizeof(sa))))
		die(EXIT_SOCKET, "cannot bind %s: %s", path, strerror(errno));
	strcpy(sock_path, path);
	owner_pid = getpid();
	if (listen(fd, SOMAXCONN))
		die(EXIT_SOCKET, "cannot listen on %s: %s", path,
		    strerror(errno));
	return fd;
}

/* mkdtemp("$TMPDIR/ctrace-XXXXXX") made absolute, "sock" in it */
int col_sock_private(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX + 8], *real;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(dir_path, sizeof(dir_path), "%s/ctrace-XXXXXX", tmp);
	if (!mkdtemp(dir_path))
		die(EXIT_SOCKET, "cannot create %s/ctrace-XXXXXX: %s", tmp,
		    strerror(errno));
	/* the variable we export must work from any cwd */
	real = realpath(dir_path, NULL);
	if (real) {
		snprintf(dir_path, sizeof(dir_path), "%s", real);
		free(real);
	}
	owner_pid = getpid();
	snprintf(path, sizeof(path), "%s/sock", dir_path);
	return make_listener(path);
}

int col_sock_at(const char *path)
{
	return make_listener(path);
}

/* serve: the preload bound and listened already; learn the path */
int col_sock_adopt(int fd)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	int on = 0, type = 0;
	socklen_t olen = sizeof(on), tlen = sizeof(type);
	char *slash;

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) ||
	    !on || type != SOCK_SEQPACKET)
		die(EXIT_SOCKET, "fd %d is not a listening seqpacket socket",
		    fd);
	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 &&
	    sa.sun_family == AF_UNIX && sa.sun_path[0]) {
		snprintf(sock_path, sizeof(sock_path), "%.*s",
			 (int)sizeof(sa.sun_path), sa.sun_path);
		/* the preload's mkdtemp directory: remove it too */
		snprintf(dir_path, sizeof(dir_path), "%s", sock_path);
		slash = strrchr(dir_path, '/');
		if (slash && slash > dir_path)
			*slash = 0;
		else
			dir_path[0] = 0;
		slash = strrchr(dir_path, '/');
		if (!slash || strncmp(slash + 1, "ctrace-", 7))
			dir_path[0] = 0;
	}
	owner_pid = getpid();
	/* dup2() into place cleared FD_CLOEXEC: commands must not inherit it */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
		die(EXIT_SOCKET, "cannot set up fd %d: %s", fd,
		    strerror(errno));
	return fd;
}

void col_sock_own(void)
{
	owner_pid = getpid();
}

void col_sock_cleanup(void)
{
	if (owner_pid != getpid())
		return;
	if (sock_path[0])
		unlink(sock_path);
	if (dir_path[0])
		rmdir(dir_path);
	sock_path[0] = dir_path[0] = 0;
}

int col_sock_accept(int lfd, pid_t *peer_pid)
{
	static int warned;	/* EMFILE would repeat on every wakeup */
	static unsigned nrefused;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int fd, one = 1;	/* SO_PASSCRED: each datagram's sender pid */

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    !warned++)
				warn_msg("cannot accept: %s", strerror(errno));
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 &&
		    cr.uid == getuid() &&
		    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one,
			       sizeof(one)) == 0) {
			*peer_pid = cr.pid;
			return fd;
		}
		warn_msg("connection from uid %d refused",
			 len == sizeof(cr) ? (int)cr.uid : -1);
		/* a process of another user (a traced program's child that
		 * changed its uid) is missing: say so, a bounded number of
		 * times, since anyone may connect */
		if (len == sizeof(cr) && cr.pid > 0 && nrefused++ < 64)
			col_untraced(cr.pid, -1, FMT_UNTR_REFUSED, FMT_WHY_UID,
				     0, NULL);
		close(fd);
		len = sizeof(cr);
	}
}
