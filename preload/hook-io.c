/*
 * hook-io.c - the io family: reads and writes on descriptors and stdio
 * streams, accept and connect.
 *
 * Every call is recorded, blocking or not, successful or not, so counts
 * compare with strace -c.  ts = start of the call, dur = time inside it,
 * call = the FMT_CALL_* code of the entry point (the *64 aliases and the
 * fortified __*_chk variants record the plain name), result = bytes or
 * -errno.  bytes = what the call asked for (count, sum of the iovecs).
 *
 *   read pread pread64 readv preadv preadv64 preadv2 preadv64v2 recv
 *   recvfrom recvmsg recvmmsg __read_chk __pread_chk __pread64_chk
 *   __recv_chk __recvfrom_chk
 *                     READ {dur, fd, bytes, result, call, stack}
 *   write pwrite pwrite64 writev pwritev pwritev64 pwritev2 pwritev64v2
 *   send sendto sendmsg sendmmsg
 *                     WRITE {dur, fd, bytes, result, call, stack}
 *   recvmmsg/sendmmsg: bytes = all iovecs of all messages, result = the
 *                     bytes of the messages transferred (not their number)
 *   fread fgets getline getdelim __getdelim __fread_chk __fgets_chk
 *                     READ, fd = fileno(stream); result = bytes returned
 *                     (0 at end of file), -errno only when the stream's
 *                     error flag is set and nothing was returned;
 *                     getline/getdelim have no size limit: bytes = 0
 *   fwrite            WRITE likewise
 *   fflush            WRITE, fd = fileno (-1 for fflush(NULL)), bytes =
 *                     result = what the stream had buffered
 *   accept accept4    ACCEPT {dur, fd, result = new fd or -errno, call,
 *                     stack}, then FD_OPEN naming the new fd after its peer
 *   connect           CONNECT {dur, fd, result, peer, stack}, then FD_OPEN
 *                     renaming fd after its peer when the call succeeded or
 *                     returned EINPROGRESS (non-blocking connect)
 *
 * A stream call its stream's buffer serves without a system call (most
 * fgets of short lines, small freads and fwrites) is not timed nor
 * recorded alone: it is counted in the thread's STDIO_RUN {fd, call,
 * type, calls, bytes, got, span, stack = the call site} (emit.c), one
 * record per run of such calls.  Whether a call will be served is told
 * before the call from the stream's buffer pointers (glibc's public
 * struct _IO_FILE), as glibc itself decides it, with the stream locked
 * when another thread could use it; a call it cannot tell is timed.
 *
 * stdio's own reads and writes happen inside glibc (not through the PLT)
 * and are invisible: the stream calls above are the only view of them.
 * printf, puts, fputs, fputc, getc... are not hooked: they would cost an
 * event per character or line of ordinary output.
 */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bufhead.h"
#include "io.h"

/* READ and WRITE have one layout: rw_done() fills both by READ's names */
_Static_assert(FMT_F_READ_fd == FMT_F_WRITE_fd &&
	       FMT_F_READ_bytes == FMT_F_WRITE_bytes &&
	       FMT_F_READ_result == FMT_F_WRITE_result &&
	       FMT_F_READ_call == FMT_F_WRITE_call, "READ and WRITE differ");

/* rw_done() : record a READ or WRITE that started at t0; res as io_res */
static void rw_done(unsigned type, int fd, uint64_t bytes, uint64_t res,
		    unsigned call, uint64_t t0, void *ra)
{
	struct fmt_event ev = { .type = type };
	uint64_t st[PL_STACK_MAX], t1 = pl_now();

	pl_unpend();
	ev.ts = t0;
	ev.f[FMT_F_DUR] = t1 - t0;
	ev.f[FMT_F_READ_fd] = (uint64_t)(int64_t)fd;
	ev.f[FMT_F_READ_bytes] = bytes;
	ev.f[FMT_F_READ_result] = res;
	ev.f[FMT_F_READ_call] = call;
	ev.stack = st;
	ev.nstack = ev.f[FMT_F_DUR] >= IO_BLOCKED_NS ? pl_stack_block(st, ra) :
		    pl_stack(st, ra);
	pl_emit_rw(&ev, t1);
}

/*
 * RW(type, call, fd, bytes, expr) : the body of a descriptor hook: r =
 * expr, recorded.  bytes is evaluated after the call, with r and e_
 * (its errno) set, so it may depend on them.
 */
#define RW(type, call, fd, bytes, expr)					\
	do {								\
		uint64_t t0_;						\
		int e_;							\
									\
		if (!io_on(FMT_FAM_IO))					\
			return expr;					\
		t0_ = pl_now();						\
		pl_pend(FMT_EV_##type, t0_, 0, fd, FMT_CALL_##call,	\
			RA());						\
		r = expr;						\
		e_ = errno;						\
		rw_done(FMT_EV_##type, fd, bytes, io_res(r, e_),	\
			FMT_CALL_##call, t0_, RA());			\
		errno = e_;						\
		return r;						\
	} while (0)

/* args_ok() : the kernel read the caller's vectors (safe to read them) */
static inline int args_ok(long r, int e)
{
	return r >= 0 || e == EAGAIN || e == EINTR;
}

static uint64_t iov_sum(const struct iovec *iov, long cnt, long r, int e)
{
	uint64_t n = 0;
	long i;

	if (!args_ok(r, e))
		return 0;
	for (i = 0; i < cnt; i++)
		n += iov[i].iov_len;
	return n;
}

static uint64_t msg_sum(const struct msghdr *m, long r, int e)
{
	return args_ok(r, e) ? iov_sum(m->msg_iov, m->msg_iovlen, r, e) : 0;
}

/* ------------------------------------------------------------------ */
/* read side                                                            */

PL_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	ssize_t r;

	RW(READ, read, fd, n, REAL(read)(fd, buf, n));
}

PL_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	ssize_t r;

	RW(READ, read, fd, n, REAL(__read_chk)(fd, buf, n, buflen));
}

PL_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r;

	RW(READ, pread, fd, n, REAL(pread)(fd, buf, n, off));
}

PL_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	ssize_t r;

	RW(READ, pread, fd, n, REAL(pread64)(fd, buf, n, off));
}

PL_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off,
			      size_t buflen)
{
	ssize_t r;

	RW(READ, pread, fd, n, REAL(__pread_chk)(fd, buf, n, off, buflen));
}

PL_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off,
				size_t buflen)
{
	ssize_t r;

	RW(READ, pread, fd, n, REAL(__pread64_chk)(fd, buf, n, off, buflen));
}

PL_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	ssize_t r;

	RW(READ, readv, fd, iov_sum(iov, cnt, r, e_),
	   REAL(readv)(fd, iov, cnt));
}

PL_EXPORT ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
	ssize_t r;

	RW(READ, preadv, fd, iov_sum(iov, cnt, r, e_),
	   REAL(preadv)(fd, iov, cnt, off));
}

PL_EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int cnt,
			   off64_t off)
{
	ssize_t r;

	RW(READ, preadv, fd, iov_sum(iov, cnt, r, e_),
	   REAL(preadv64)(fd, iov, cnt, off));
}

PL_EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int cnt, off_t off,
			  int flags)
{
	ssize_t r;

	RW(READ, preadv2, fd, iov_sum(iov, cnt, r, e_),
	   REAL(preadv2)(fd, iov, cnt, off, flags));
}

PL_EXPORT ssize_t preadv64v2(int fd, const struct iovec *iov, int cnt,
			     off64_t off, int flags)
{
	ssize_t r;

	RW(READ, preadv2, fd, iov_sum(iov, cnt, r, e_),
	   REAL(preadv64v2)(fd, iov, cnt, off, flags));
}

PL_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	ssize_t r;

	RW(READ, recv, fd, n, REAL(recv)(fd, buf, n, flags));
}

PL_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen,
			     int flags)
{
	ssize_t r;

	RW(READ, recv, fd, n, REAL(__recv_chk)(fd, buf, n, buflen, flags));
}

PL_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags,
			   __SOCKADDR_ARG from, socklen_t *len)
{
	ssize_t r;

	RW(READ, recvfrom, fd, n,
	   REAL(recvfrom)(fd, buf, n, flags, from.__sockaddr__, len));
}

PL_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen,
				 int flags, struct sockaddr *from,
				 socklen_t *len)
{
	ssize_t r;

	RW(READ, recvfrom, fd, n,
	   REAL(__recvfrom_chk)(fd, buf, n, buflen, flags, from, len));
}

PL_EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	ssize_t r;

	RW(READ, recvmsg, fd, msg_sum(m, r, e_), REAL(recvmsg)(fd, m, flags));
}

/* ------------------------------------------------------------------ */
/* write side                                                           */

PL_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t r;

	RW(WRITE, write, fd, n, REAL(write)(fd, buf, n));
}

PL_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t r;

	RW(WRITE, pwrite, fd, n, REAL(pwrite)(fd, buf, n, off));
}

PL_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	ssize_t r;

	RW(WRITE, pwrite, fd, n, REAL(pwrite64)(fd, buf, n, off));
}

PL_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	ssize_t r;

	RW(WRITE, writev, fd, iov_sum(iov, cnt, r, e_),
	   REAL(writev)(fd, iov, cnt));
}

PL_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int cnt,
			  off_t off)
{
	ssize_t r;

	RW(WRITE, pwritev, fd, iov_sum(iov, cnt, r, e_),
	   REAL(pwritev)(fd, iov, cnt, off));
}

PL_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int cnt,
			    off64_t off)
{
	ssize_t r;

	RW(WRITE, pwritev, fd, iov_sum(iov, cnt, r, e_),
	   REAL(pwritev64)(fd, iov, cnt, off));
}

PL_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int cnt,
			   off_t off, int flags)
{
	ssize_t r;

	RW(WRITE, pwritev2, fd, iov_sum(iov, cnt, r, e_),
	   REAL(pwritev2)(fd, iov, cnt, off, flags));
}

PL_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt,
			      off64_t off, int flags)
{
	ssize_t r;

	RW(WRITE, pwritev2, fd, iov_sum(iov, cnt, r, e_),
	   REAL(pwritev64v2)(fd, iov, cnt, off, flags));
}

PL_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	ssize_t r;

	RW(WRITE, send, fd, n, REAL(send)(fd, buf, n, flags));
}

PL_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			 __CONST_SOCKADDR_ARG to, socklen_t len)
{
	ssize_t r;

	RW(WRITE, sendto, fd, n,
	   REAL(sendto)(fd, buf, n, flags, to.__sockaddr__, len));
}

PL_EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	ssize_t r;

	RW(WRITE, sendmsg, fd, msg_sum(m, r, e_), REAL(sendmsg)(fd, m, flags));
}

/* ------------------------------------------------------------------ */
/* several messages per call                                            */

static void mmsg_done(unsigned type, int fd, struct mmsghdr *v,
		      unsigned vlen, int r, int e, unsigned call, uint64_t t0,
		      void *ra)
{
	uint64_t bytes = 0, got = 0;
	unsigned i;

	if (args_ok(r, e)) {
		for (i = 0; i < vlen; i++) {
			bytes += msg_sum(&v[i].msg_hdr, r, e);
			if ((int)i < r)
				got += v[i].msg_len;
		}
	}
	rw_done(type, fd, bytes, r < 0 ? io_res(r, e) : got, call, t0, ra);
}

PL_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned vlen, int flags,
		       struct timespec *tmo)
{
	uint64_t t0;
	int r, e;

	if (!io_on(FMT_FAM_IO))
		return REAL(recvmmsg)(fd, v, vlen, flags, tmo);
	t0 = pl_now();
	pl_pend(FMT_EV_READ, t0, 0, fd, FMT_CALL_recvmmsg, RA());
	r = REAL(recvmmsg)(fd, v, vlen, flags, tmo);
	e = errno;
	mmsg_done(FMT_EV_READ, fd, v, vlen, r, e, FMT_CALL_recvmmsg, t0, RA());
	errno = e;
	return r;
}

PL_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned vlen, int flags)
{
	uint64_t t0;
	int r, e;

	if (!io_on(FMT_FAM_IO))
		return REAL(sendmmsg)(fd, v, vlen, flags);
	t0 = pl_now();
	pl_pend(FMT_EV_WRITE, t0, 0, fd, FMT_CALL_sendmmsg, RA());
	r = REAL(sendmmsg)(fd, v, vlen, flags);
	e = errno;
	mmsg_done(FMT_EV_WRITE, fd, v, vlen, r, e, FMT_CALL_sendmmsg, t0,
		  RA());
	errno = e;
	return r;
}

/* ------------------------------------------------------------------ */
/* stdio streams                                                        */

/*
 * The hooks clear errno before the real call: a short count with the
 * stream's error flag set and errno changed is a failure, anything else
 * a short read (end of file).  errno is then restored to what the call
 * left, or to its old value if the call did not touch it.
 */
static inline int stream_fd(FILE *f)
{
	return f ? f->_fileno : -1;
}

static inline uint64_t stream_res(int failed, FILE *f, int e, uint64_t got)
{
	return failed && e && ferror_unlocked(f) ? (uint64_t)-(int64_t)e : got;
}

/*
 * glibc's flags (libio.h, not public, unchanged since libio began):
 * reads are told served only out of get mode, writes only on a stream
 * that is not line buffered (those flush on a newline).
 */
#define IO_LINE_BUF		0x0200
#define IO_CURRENTLY_PUTTING	0x0800

/* glibc's own "no other thread yet" (2.32): while it holds, stdio takes
 * no lock either, and once false it stays so */
extern char __libc_single_threaded __attribute__((weak));

/* stream_lock() : hold f across the prediction and the call when
 * another thread could use it; returns whether it did */
static inline int stream_lock(FILE *f)
{
	if (&__libc_single_threaded && __libc_single_threaded)
		return 0;
	flockfile(f);
	return 1;
}

static inline void stream_unlock(FILE *f, int locked)
{
	if (locked)
		funlockfile(f);
}

/* bytes buffered for reading */
static inline size_t rbuffered(const FILE *f)
{
	return !(f->_flags & IO_CURRENTLY_PUTTING) &&
	       f->_IO_read_end > f->_IO_read_ptr ?
	       (size_t)(f->_IO_read_end - f->_IO_read_ptr) : 0;
}

/* glibc's fgets: the newline, or its n - 1 bytes, in the buffer; *p0
 * the read pointer (a served fgets returns what it moves by) */
static inline int fgets_served(FILE *f, int n, const char **p0)
{
	size_t a = rbuffered(f);

	*p0 = f->_IO_read_ptr;
	return n > 1 && a && (a >= (size_t)n - 1 ||
			      memchr(f->_IO_read_ptr, '\n', a));
}

/* glibc's getdelim: the delimiter in the buffer */
static inline int getdelim_served(FILE *f, int delim)
{
	size_t a = rbuffered(f);

	return a && memchr(f->_IO_read_ptr, delim, a);
}

/* glibc's fread (_IO_file_xsgetn): all of it in the buffer */
static inline int fread_served(FILE *f, size_t size, size_t n)
{
	return size && n && size <= SIZE_MAX / n && size * n <= rbuffered(f);
}

/* glibc's fwrite (_IO_new_file_xsputn): all of it fits in the room, on
 * a byte stream (a wide one writes nothing) */
static inline int fwrite_served(FILE *f, size_t size, size_t n)
{
	return size && n && size <= SIZE_MAX / n && f->_mode <= 0 &&
	       !(f->_flags & IO_LINE_BUF) &&
	       f->_IO_write_end > f->_IO_write_ptr &&
	       size * n <= (size_t)(f->_IO_write_end - f->_IO_write_ptr);
}

/*
 * STDIO(type, call, f, bytes, failed, got, served, sgot, expr) : r =
 * expr, served (counted) when `served` says so before the call, with
 * sgot its bytes returned; else timed and recorded whole.
 */
#define STDIO(type, call, f, bytes, failed, got, served, sgot, expr)	\
	do {								\
		uint64_t t0_;						\
		int e0_, e_, lk_;					\
									\
		if (!io_on(FMT_FAM_IO))					\
			return expr;					\
		lk_ = stream_lock(f);					\
		if (served) {						\
			r = expr;					\
			stream_unlock(f, lk_);				\
			pl_served(FMT_EV_##type, f->_fileno,		\
				  FMT_CALL_##call, bytes, sgot, RA());	\
			return r;					\
		}							\
		stream_unlock(f, lk_);					\
		e0_ = errno;						\
		errno = 0;						\
		t0_ = pl_now();						\
		pl_pend(FMT_EV_##type, t0_, 0, stream_fd(f),		\
			FMT_CALL_##call, RA());				\
		r = expr;						\
		e_ = errno;						\
		rw_done(FMT_EV_##type, stream_fd(f), bytes,		\
			stream_res(failed, f, e_, got),			\
			FMT_CALL_##call, t0_, RA());			\
		errno = e_ ? e_ : e0_;					\
		return r;						\
	} while (0)

PL_EXPORT size_t fread(void *p, size_t size, size_t n, FILE *f)
{
	size_t r;

	STDIO(READ, fread, f, size * n, r < n, r * size,
	      fread_served(f, size, n), r * size, REAL(fread)(p, size, n, f));
}

PL_EXPORT size_t __fread_chk(void *p, size_t plen, size_t size, size_t n,
			     FILE *f)
{
	size_t r;

	STDIO(READ, fread, f, size * n, r < n, r * size,
	      fread_served(f, size, n), r * size,
	      REAL(__fread_chk)(p, plen, size, n, f));
}

PL_EXPORT size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
	size_t r;

	STDIO(WRITE, fwrite, f, size * n, r < n, r * size,
	      fwrite_served(f, size, n), r * size,
	      REAL(fwrite)(p, size, n, f));
}

PL_EXPORT char *fgets(char *s, int n, FILE *f)
{
	const char *p0;
	char *r;

	STDIO(READ, fgets, f, n > 0 ? n : 0, !r, r ? strlen(r) : 0,
	      fgets_served(f, n, &p0), r ? f->_IO_read_ptr - p0 : 0,
	      REAL(fgets)(s, n, f));
}

PL_EXPORT char *__fgets_chk(char *s, size_t size, int n, FILE *f)
{
	const char *p0;
	char *r;

	STDIO(READ, fgets, f, n > 0 ? n : 0, !r, r ? strlen(r) : 0,
	      fgets_served(f, n, &p0), r ? f->_IO_read_ptr - p0 : 0,
	      REAL(__fgets_chk)(s, size, n, f));
}

PL_EXPORT ssize_t getline(char **line, size_t *cap, FILE *f)
{
	ssize_t r;

	STDIO(READ, getline, f, 0, r < 0, r < 0 ? 0 : r,
	      getdelim_served(f, '\n'), r < 0 ? 0 : r,
	      REAL(getline)(line, cap, f));
}

PL_EXPORT ssize_t getdelim(char **line, size_t *cap, int delim, FILE *f)
{
	ssize_t r;

	STDIO(READ, getdelim, f, 0, r < 0, r < 0 ? 0 : r,
	      getdelim_served(f, delim), r < 0 ? 0 : r,
	      REAL(getdelim)(line, cap, delim, f));
}

/* stdio.h's inline getline() calls __getdelim: recorded as getline when
 * the delimiter is a newline */
PL_EXPORT ssize_t __getdelim(char **line, size_t *cap, int delim, FILE *f)
{
	ssize_t r;

	if (delim == '\n')
		STDIO(READ, getline, f, 0, r < 0, r < 0 ? 0 : r,
		      getdelim_served(f, delim), r < 0 ? 0 : r,
		      REAL(__getdelim)(line, cap, delim, f));
	STDIO(READ, getdelim, f, 0, r < 0, r < 0 ? 0 : r,
	      getdelim_served(f, delim), r < 0 ? 0 : r,
	      REAL(__getdelim)(line, cap, delim, f));
}

/* bytes a stream holds for writing (read without its lock: a hint) */
static inline uint64_t pending(FILE *f)
{
	return f && f->_IO_write_ptr > f->_IO_write_base ?
	       (uint64_t)(f->_IO_write_ptr - f->_IO_write_base) : 0;
}

PL_EXPORT int fflush(FILE *f)
{
	uint64_t t0, n;
	int r, e0, e;

	if (!io_on(FMT_FAM_IO))
		return REAL(fflush)(f);
	e0 = errno;
	errno = 0;
	n = pending(f);
	t0 = pl_now();
	pl_pend(FMT_EV_WRITE, t0, 0, stream_fd(f), FMT_CALL_fflush, RA());
	r = REAL(fflush)(f);
	e = errno;
	rw_done(FMT_EV_WRITE, stream_fd(f), n,
		r ? (uint64_t)-(int64_t)(e ? e : EIO) : n, FMT_CALL_fflush,
		t0, RA());
	errno = e ? e : e0;
	return r;
}

/* ------------------------------------------------------------------ */
/* accept, connect                                                      */

/* name the accepted fd after its peer (a unix peer is usually unnamed:
 * then after the listening address it came in on) */
static void name_accepted(int fd, int lfd, unsigned call, void *ra)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t n = sizeof(ss);
	char name[160];

	if (getpeername(fd, (struct sockaddr *)&ss, &n))
		n = 0;
	if (n == sizeof(sa_family_t) && ss.ss_family == AF_UNIX) {
		n = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &n))
			n = 0;
	}
	if (n < sizeof(sa_family_t))
		snprintf(name, sizeof(name), "socket");
	else
		io_peer_str(name, sizeof(name), (struct sockaddr *)&ss, n,
			    SOCK_STREAM);
	io_fd_open(fd, call, lfd, name, ra);
}

/*
 * The peer's name comes from getpeername(), not from the caller's buffer:
 * reading *len before the call would crash on a bad pointer where the
 * kernel answers EFAULT, and after it *len is the full length, so a
 * truncated address cannot be told from a complete one.
 */
static void accept_done(int lfd, int r, int e, unsigned call, uint64_t t0,
			void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_ACCEPT };
	uint64_t st[PL_STACK_MAX], t1 = pl_now();

	pl_unpend();
	ev.ts = t0;
	ev.f[FMT_F_ACCEPT_dur] = t1 - t0;
	ev.f[FMT_F_ACCEPT_fd] = (uint64_t)(int64_t)lfd;
	ev.f[FMT_F_ACCEPT_result] = io_res(r, e);
	ev.f[FMT_F_ACCEPT_call] = call;
	ev.stack = st;
	ev.nstack = pl_stack_block(st, ra);
	pl_emit(&ev, t1);
	if (r >= 0)
		name_accepted(r, lfd, call, ra);
}

PL_EXPORT int accept(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
	struct sockaddr *sa = addr.__sockaddr__;
	uint64_t t0;
	int r, e;

	if (!io_on(FMT_FAM_IO))
		return REAL(accept)(fd, sa, len);
	t0 = pl_now();
	pl_pend(FMT_EV_ACCEPT, t0, 0, fd, FMT_CALL_accept, RA());
	r = REAL(accept)(fd, sa, len);
	e = errno;
	accept_done(fd, r, e, FMT_CALL_accept, t0, RA());
	errno = e;
	return r;
}

PL_EXPORT int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *len, int flags)
{
	struct sockaddr *sa = addr.__sockaddr__;
	uint64_t t0;
	int r, e;

	if (!io_on(FMT_FAM_IO))
		return REAL(accept4)(fd, sa, len, flags);
	t0 = pl_now();
	pl_pend(FMT_EV_ACCEPT, t0, 0, fd, FMT_CALL_accept4, RA());
	r = REAL(accept4)(fd, sa, len, flags);
	e = errno;
	accept_done(fd, r, e, FMT_CALL_accept4, t0, RA());
	errno = e;
	return r;
}

static void connect_done(int fd, const struct sockaddr *sa, socklen_t len,
			 int r, int e, uint64_t t0, void *ra)
{
	struct fmt_event ev = { .type = FMT_EV_CONNECT };
	uint64_t st[PL_STACK_MAX], t1 = pl_now();
	char peer[160];

	pl_unpend();
	/* the kernel may refuse the call before it reads the address */
	if (sa && len >= sizeof(sa_family_t) && e != EFAULT && e != EBADF &&
	    e != ENOTSOCK && e != EINVAL)
		io_peer_str(peer, sizeof(peer), sa, len, io_sock_type(fd));
	else
		snprintf(peer, sizeof(peer), "?");
	ev.ts = t0;
	ev.f[FMT_F_CONNECT_dur] = t1 - t0;
	ev.f[FMT_F_CONNECT_fd] = (uint64_t)(int64_t)fd;
	ev.f[FMT_F_CONNECT_result] = io_res(r, e);
	ev.str = peer;
	ev.slen = strlen(peer);
	ev.stack = st;
	ev.nstack = pl_stack_block(st, ra);
	pl_emit(&ev, t1);
	if (r == 0 || e == EINPROGRESS)
		io_fd_open(fd, FMT_CALL_connect, 0, peer, ra);
}

PL_EXPORT int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	const struct sockaddr *sa = addr.__sockaddr__;
	uint64_t t0;
	int r, e;

	if (!io_on(FMT_FAM_IO))
		return REAL(connect)(fd, sa, len);
	t0 = pl_now();
	pl_pend(FMT_EV_CONNECT, t0, 0, fd, FMT_CALL_connect, RA());
	r = REAL(connect)(fd, sa, len);
	e = errno;
	connect_done(fd, sa, len, r, r < 0 ? e : 0, t0, RA());
	errno = e;
	return r;
}
