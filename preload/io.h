/*
 * io.h - helpers shared by the io, fd-naming, wait and sleep hooks
 * (hook-io.c, hook-fd.c, hook-wait.c).
 *
 * Every one of these hooks records every call, blocking or not, so that
 * counts compare with strace -c.  A hook entered while the thread is
 * already inside ctrace (our own I/O, or a signal handler interrupting a
 * flush) passes straight through and records nothing: ctrace's own reads
 * and writes go through REAL() anyway, and this keeps a library helper
 * that forgot REAL() from recording itself.
 */
#ifndef CTRACE_IO_H
#define CTRACE_IO_H

#include <sys/socket.h>

#include "pl.h"
#include "guard.h"

#define RA() __builtin_return_address(0)

/*
 * Stacks: waits (poll, sleep, accept, connect) take the deeper stack of
 * blocking events (pl_stack_block); a read or write only when it took at
 * least IO_BLOCKED_NS, i.e. it blocked: then the unwind (~0.1 us) is
 * noise, while on the fast path a deep unwind per call would double the
 * cost of a cached read.
 */
#define IO_BLOCKED_NS	10000

/* io_on() : record this call of family fam? */
static inline int io_on(unsigned fam)
{
	return pl_on(fam) && !pl_inside();
}

/* io_res() : a result as the events store it: value, or -errno */
static inline uint64_t io_res(long r, int e)
{
	return r < 0 ? (uint64_t)-(int64_t)e : (uint64_t)r;
}

/*
 * io_fd_open() : record FD_OPEN {fd, call, from, name} now (hook-fd.c).
 * name may be NULL (empty).  Keeps errno.
 */
void io_fd_open(int fd, unsigned call, int from, const char *name,
		void *ra);

/*
 * io_peer_str() : "tcp 127.0.0.1:80", "udp6 [::1]:53", "unix /path",
 * "unix @abstract", "unix" (unnamed) for address sa of a socket of
 * type (SOCK_STREAM, ...) into buf (hook-fd.c).
 */
void io_peer_str(char *buf, size_t size, const struct sockaddr *sa,
		 socklen_t len, int type);

/* io_sock_type() : SO_TYPE of fd, or 0 */
int io_sock_type(int fd);

#endif
