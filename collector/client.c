/*
 * client.c - one connection from a traced process image.
 *
 * A connection says HELLO first, then EVENTS, LOST and finally BYE, one
 * message per datagram.  Every message is checked whole before anything
 * of it is written: a garbage, truncated or oversized datagram costs its
 * sender the connection (one warning line, a LOST record when the events
 * it carried can be counted) and costs the rest of the trace nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "col.h"
#include "file.h"
#include "log.h"
#include "wire.h"

struct col_client {
	struct col_watch w;		/* first: epoll hands it back */
	int fd;
	pid_t peer_pid;			/* SO_PEERCRED at accept */
	struct col_image *img;		/* NULL until HELLO */
	int closed;
	struct pending *hello;		/* its HELLO, read; no image yet */
	int thread_start, thread_end;	/* the batch being read has one */
	struct col_client *next;
};

/*
 * A checked HELLO, copied out of msg: its image is started by
 * col_clients_start() once the loop is done with the datagram, so that
 * what must be read first (older connections, the pid's other images)
 * is read from the loop, never from inside a handler.
 */
struct pending {
	struct col_hello h;
	uint8_t *pl;			/* the HELLO's payload, checked */
	size_t len;
	int tabfd;			/* its thread table, or -1 */
};

/* in connection order, so pending HELLOs are read oldest first */
static struct col_client *clients, **tailp = &clients;
static int nclosed, npending;

static int recv_one(struct col_client *c);
static void start_all(void);

/* one datagram at a time, handled whole before the next is read */
static uint8_t msg[FMT_WIRE_MAX_MSG];
static uint64_t stackbuf[FMT_MAX_STACK];
static struct fmt_kdefs kdefs;	/* the batch being read: write_events() */

#define COL_MAX_FDS	4	/* descriptors one datagram may bring */
static struct fmt_buf rec;

void col_accept_all(void)
{
	struct col_client *c;
	pid_t pid;
	int fd;

	while ((fd = col_sock_accept(col.listen_fd, &pid)) >= 0) {
		c = xcalloc(1, sizeof(*c));
		c->w.kind = COL_W_CLIENT;
		c->fd = fd;
		c->peer_pid = pid;
		if (col_watch_add(fd, &c->w)) {
			warn_msg("pid %d: connection refused: %s", (int)pid,
				 strerror(errno));
			close(fd);
			free(c);
			continue;
		}
		*tailp = c;
		tailp = &c->next;
		col.nclients++;
		col.ever_client = 1;
	}
}

static void drop_hello(struct col_client *c)
{
	if (!c->hello)
		return;
	if (c->hello->tabfd >= 0)
		close(c->hello->tabfd);
	free(c->hello->pl);
	free(c->hello);
	c->hello = NULL;
	npending--;
}

static void client_close(struct col_client *c)
{
	if (c->closed)
		return;
	c->closed = 1;
	nclosed++;
	drop_hello(c);
	col_watch_del(c->fd);
	close(c->fd);
	col.nclients--;
	if (c->img) {
		col_sym_image_end(col_image_id(c->img));
		col_image_closed(c->img);
	}
}

static pid_t client_pid(const struct col_client *c)
{
	return c->img ? col_image_pid(c->img) : c->peer_pid;
}

static void client_bad(struct col_client *c)
{
	warn_msg("pid %d: bad message, connection dropped",
		 (int)client_pid(c));
	client_close(c);
}

/* ---- HELLO ---- */

/* p: a HELLO's, its strings in a copy of their own (msg is reused) */
static void write_process(const struct col_image *img, struct fmt_process *p)
{
	struct fmt_buf b = { 0 };

	p->image = col_image_id(img);
	fmt_put_process(&b, p);
	col_write(FMT_REC_PROCESS, &b);
	fmt_buf_free(&b);
}

/*
 * The pid a HELLO claims must be its sender's, as the kernel saw it
 * (SCM_CREDENTIALS: the library asks for them on its socket with
 * SO_PASSCRED, so every datagram carries them): otherwise any process of
 * the user could claim pid 1 and keep `ctrace record` waiting for it, or
 * claim a traced process's exec and rewrite its history.  A fork child
 * sends its HELLO itself, on the connection its parent opened.
 */
static int on_hello(struct col_client *c, const uint8_t *pl, size_t n,
		    pid_t sender, int *tabfd)
{
	struct fmt_msg_hello m;
	struct col_hello h;
	struct pending *ph;

	if (fmt_msg_parse_hello(pl, n, &m) || c->img || c->hello ||
	    m.p.pid != (uint64_t)sender)
		return -1;
	h.pid = m.p.pid;
	h.ppid = m.p.ppid;
	h.ts = m.p.ts;
	h.flags = m.p.flags;
	/* starting the image reads other clients into msg: copy first */
	ph = xmalloc(sizeof(*ph));
	ph->h = h;
	ph->len = n;
	ph->pl = xmalloc(n ? n : 1);
	memcpy(ph->pl, pl, n);
	ph->tabfd = *tabfd;
	*tabfd = -1;
	c->hello = ph;
	npending++;
	return 0;
}

static void drain(struct col_client *c)
{
	while (!c->closed && !c->hello && recv_one(c) == 1)
		;
}

/* what p's open images' connections hold: before judging how they end */
static void drain_conns(struct col_proc *p)
{
	struct col_image *it = NULL;
	struct col_client *conn;

	while ((conn = col_proc_conn(p, &it)))
		drain(conn);
}

/* the image of c's HELLO, once every older connection's HELLO started */
static void start_image(struct col_client *c)
{
	struct pending *ph = c->hello;
	struct col_proc *p = col_proc_find(ph->h.pid);
	struct fmt_msg_hello m;

	c->hello = NULL;
	npending--;
	/* the pid's earlier images may end by this exec: read them out */
	if (p)
		drain_conns(p);
	c->img = col_image_hello(c, &ph->h);
	/* the thread table it sent, if any: checked, mapped, closed */
	col_image_table(c->img, ph->tabfd);
	/* checked at arrival: the copy parses alike */
	fmt_msg_parse_hello(ph->pl, ph->len, &m);
	write_process(c->img, &m.p);
	col_sym_image_start(col_image_id(c->img), ph->h.pid, m.p.exe,
			    m.p.exe_len);
	free(ph->pl);
	free(ph);
}

/* ---- EVENTS ---- */

static uint64_t intern_stack(void *image, const uint64_t *frames,
			     uint32_t n)
{
	return col_intern_stack(*(uint64_t *)image, frames, n);
}

static uint64_t intern_string(void *ctx, const char *s, uint32_t n)
{
	(void)ctx;
	return col_intern_string(s, n);
}

/* an address an event uses, named before its stack is interned: the
 * interrupted pc of a CPU sample or a fatal signal is named as the
 * instruction it is, not as a return address (an address is named once,
 * at its first use) */
static void name_addr(void *client, unsigned kind, uint64_t addr)
{
	uint64_t image = col_image_id(((struct col_client *)client)->img);

	if (kind == FMT_NAME_DATA)
		col_sym_data(image, addr);
	else
		col_sym_addr(image, addr, 1);
}

static void indexed_event(void *client, unsigned type, const uint64_t *f)
{
	struct col_client *c = client;

	if (type == FMT_EV_THREAD_START)
		c->thread_start = 1;
	if (type == FMT_EV_THREAD_END)
		c->thread_end = 1;
	if (type == FMT_EV_FATAL_SIGNAL &&
	    f[FMT_F_FATAL_SIGNAL_action] == FMT_SIG_DEFAULT &&
	    f[FMT_F_FATAL_SIGNAL_sig] < 65)
		col_image_fatal(c->img, (int)f[FMT_F_FATAL_SIGNAL_sig]);
}

/*
 * wire form -> file form, stacks and strings replaced by table ids; the
 * code addresses (stack frames, start routines, interrupted pcs) and the
 * objects of blocking events get their names first.  Only the events the
 * batch's index lists are read (fmt_transcode_batch()): the rest have
 * neither stack nor string and are copied as they are, so on a heap
 * churn, where nearly every event is an alloc_same or a free_same, the
 * collector reads a few events a batch.  A batch whose index or listed
 * events are malformed is dropped whole (the stacks and strings of its
 * good prefix may already be in the tables, which costs nothing).
 * 0, or -1 when malformed.
 */
static int write_events(struct col_client *c, const struct fmt_msg_events *m)
{
	uint64_t image = col_image_id(c->img), n = m->nevents;
	struct fmt_interner intern = { &image, intern_stack, intern_string,
				       &kdefs, NULL };
	const struct fmt_batch_ops ops = { c, name_addr, indexed_event };
	size_t len = m->ev.end - m->ev.p;
	uint8_t *out;

	/* fmt_msg_parse_events() checked the count against the bytes */
	if (!n)
		return 0;
	/* room for a stack definition per event: the batch's references
	 * name them (events.h), and no batch names another's */
	if (n > kdefs.cap) {
		kdefs.def = xrealloc(kdefs.def, n * sizeof(*kdefs.def));
		kdefs.cap = n;
	}
	kdefs.n = 0;
	fmt_buf_reset(&rec);
	fmt_put_events(&rec, &(struct fmt_events){
		.pid = col_image_pid(c->img), .image = image, .tid = m->tid,
		.nevents = n, .base_ts = m->base_ts });
	if (fmt_buf_reserve(&rec, len + n * FMT_TRANSCODE_GROWTH +
				  FMT_EVENT_MAX_BYTES))
		die(EXIT_FAIL, "out of memory");
	col_sym_batch();
	out = rec.p + rec.len;
	c->thread_start = c->thread_end = 0;
	if (fmt_transcode_batch(m->ev.p, m->ev.end, m->idx.p, m->idx.end,
				&out, &intern, stackbuf, &ops))
		return -1;
	rec.len = out - rec.p;
	col_write(FMT_REC_EVENTS, &rec);
	col_counts.nevents += n;
	/*
	 * Counts are by tid, and the kernel may give a tid again: a
	 * thread's last batch (THREAD_END) completes its count, which the
	 * library's thread table no longer holds (the slot is freed), and a
	 * thread's first batch starts from nothing (its tid's earlier
	 * thread's last batch and losses came first, on this socket).
	 */
	if (c->thread_start)
		col_image_count_reset(c->img, m->tid);
	col_image_count(c->img, m->tid, n);
	if (c->thread_end)
		col_image_count_reset(c->img, m->tid);
	col_image_seen(c->img, m->end_ts);
	return 0;
}

static int on_events(struct col_client *c, const uint8_t *pl, size_t len)
{
	struct fmt_msg_events m;
	uint64_t n;

	/* a batch that cannot be read costs its events, when they count */
	if (fmt_msg_parse_events(pl, len, &m) || write_events(c, &m)) {
		n = m.nevents;
		/* a count no datagram could hold is garbage, not a count */
		if (n && n <= FMT_WIRE_MAX_MSG / 2) {
			col_write_lost(client_pid(c), m.tid, n, FMT_LOST_BAD);
			col_image_count(c->img, m.tid, n);
		}
		return -1;
	}
	return 0;
}

/* ---- LOST, BYE ---- */

static int on_lost(struct col_client *c, const uint8_t *pl, size_t n)
{
	struct fmt_msg_lost m;

	if (fmt_msg_parse_lost(pl, n, &m))
		return -1;
	if (m.count)
		col_write_lost(client_pid(c), m.tid, m.count, m.reason);
	/* dropped from a buffer: the thread table counted them recorded */
	if (m.reason == FMT_LOST_FULL)
		col_image_count(c->img, m.tid, m.count);
	return 0;
}

static int on_bye(struct col_client *c, const uint8_t *pl, size_t n)
{
	struct fmt_msg_bye m;

	if (fmt_msg_parse_bye(pl, n, &m))
		return -1;
	col_image_bye(c->img, m.ts, m.status,
		      m.how == FMT_EXIT__EXIT ? FMT_PEND__EXIT : FMT_PEND_EXIT);
	return 0;
}

/* a fork child of this connection's process that could not connect */
static int on_untraced(struct col_client *c, const uint8_t *pl, size_t n,
		       pid_t sender)
{
	struct fmt_msg_untraced m;

	/* it speaks for itself only, and is this process' child */
	if (fmt_msg_parse_untraced(pl, n, &m) || m.pid != (uint64_t)sender ||
	    m.ppid != (uint64_t)client_pid(c))
		return -1;
	/* it runs its parent's image: no path of its own to read, or race */
	col_untraced((pid_t)m.pid, (pid_t)m.ppid, FMT_UNTR_FORK,
		     (unsigned)m.reason, (int)m.err, "");
	return 0;
}

static int on_exec(struct col_client *c, const uint8_t *pl, size_t n)
{
	struct fmt_msg_exec m;

	if (fmt_msg_parse_exec(pl, n, &m))
		return -1;
	col_image_exec(c->img, m.len ? m.path : "", m.len);
	return 0;
}

static int on_modules(struct col_client *c, const uint8_t *pl, size_t n)
{
	struct fmt_msg_modules m;

	if (fmt_msg_parse_modules(pl, n, &m))
		return -1;
	col_sym_modules(col_image_id(c->img), &m);
	return 0;
}

/* ---- CTL ---- */

/* ctrace_start()/ctrace_stop() in the program: a no-op unless --paused */
static int on_ctl(struct col_client *c, const uint8_t *pl, size_t n)
{
	uint64_t op;

	(void)c;
	if (fmt_msg_parse_ctl(pl, n, &op))
		return -1;
	if (col.windows)
		col_window_ctl(op == FMT_CTL_START);
	return 0;
}

/* `ctrace ctl start|stop`: a connection of its own, answered, closed */
static int on_ctl_cmd(struct col_client *c, const uint8_t *pl, size_t n)
{
	static uint8_t out[FMT_WIRE_HDR_SIZE + 2 * FMT_VARINT_MAX + 256];
	struct fmt_msg_snapshot_done d = { 0, "", 0 };
	char text[128];
	uint64_t op;
	size_t len;

	if (fmt_msg_parse_ctl(pl, n, &op))
		return -1;
	if (!col.windows) {
		d.err = EINVAL;
		snprintf(text, sizeof(text), "the collector does not record "
			 "in windows (--paused)");
	} else {
		col_window_ctl(op == FMT_CTL_START);
		snprintf(text, sizeof(text), "%s", op == FMT_CTL_START ?
			 "recording" : "paused");
	}
	d.text = text;
	d.len = strlen(text);
	len = fmt_msg_put_ctl_done(out, &d);
	if (send(c->fd, out, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		warn_msg("cannot answer a ctl request: %s", strerror(errno));
	client_close(c);
	return 0;
}

/* ---- SNAPSHOT ---- */

/* copied out: a snapshot's path must end in a NUL */
static char *str_of(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* the calls threads are blocked in now, for req */
static void snapshot_pending(struct col_snap *req, struct fmt_buf *pend)
{
	req->now = col_now();
	req->npending = col_procs_pending(pend, req->now);
	req->pending = pend;
}

/* ctrace_snapshot() in the program: taken after the batch, as any */
static int on_snapshot(struct col_client *c, const uint8_t *pl, size_t n)
{
	struct fmt_msg_snapshot m;

	if (fmt_msg_parse_snapshot(pl, n, &m))
		return -1;
	/* without flight mode the call is a no-op, as without us */
	if (!col_flight_on())
		return 0;
	col_flight_later(&(struct col_snap){ FMT_SNAP_PROGRAM,
			 client_pid(c), m.reason, m.reason_len, NULL, 0,
			 NULL, 0 }, -1);
	return 0;
}

/* SNAPSHOT_DONE with an error to a `ctrace snapshot` connection */
static void refuse_snapshot(int fd, int err, const char *text)
{
	static uint8_t out[FMT_WIRE_HDR_SIZE + 2 * FMT_VARINT_MAX + 256];
	struct fmt_msg_snapshot_done d = { err, text, strlen(text) };
	size_t len = fmt_msg_put_snapshot_done(out, &d);

	/* it waits for this answer: a full socket is its loss alone */
	if (send(fd, out, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		warn_msg("cannot answer a snapshot request: %s",
			 strerror(errno));
}

/* `ctrace snapshot`: a connection of its own, kept or refused, closed */
static int on_snapshot_ctl(struct col_client *c, const uint8_t *pl,
			   size_t n)
{
	struct fmt_msg_snapshot m;
	char text[128], *want;
	int afd, e;

	if (fmt_msg_parse_snapshot(pl, n, &m))
		return -1;
	if (!col_flight_on()) {
		refuse_snapshot(c->fd, EINVAL, "the collector is not in "
				"flight mode (--flight)");
	} else if ((afd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		e = errno;
		snprintf(text, sizeof(text), "cannot write the snapshot: %s",
			 strerror(e));
		refuse_snapshot(c->fd, e, text);
	} else {
		want = str_of(m.path, m.path_len);
		col_flight_later(&(struct col_snap){ FMT_SNAP_COMMAND, 0,
					 m.reason, m.reason_len, want, 0, NULL, 0 },
				 afd);
		free(want);
	}
	client_close(c);
	return 0;
}

/* what the traced processes sent before the requests: so much of it
 * per connection at most, so that a busy one cannot hold them */
#define SNAP_READ_BUDGET 1024

void col_clients_snapshots(void)
{
	struct fmt_buf pend = { 0 };
	struct col_client *c;
	struct col_snap req;
	char text[FMT_MAX_STR + 128];
	int e, afd;

	if (!col_flight_asked())
		return;
	/* connections still in the backlog and their HELLOs too: a
	 * signal comes with no connection read before it */
	start_all();
	for (c = clients; c; c = c->next)
		if (c->img)
			col_client_read(c, SNAP_READ_BUDGET);
	col_clients_start();
	/* a crash seen meanwhile is queued behind, and taken here too */
	while (col_flight_next(&req, &afd)) {
		fmt_buf_reset(&pend);
		snapshot_pending(&req, &pend);
		if (col_flight_snapshot(&req, afd) && afd >= 0) {
			e = errno > 0 && errno < 4096 ? errno : EIO;
			snprintf(text, sizeof(text), "cannot write the "
				 "snapshot: %s", strerror(e));
			refuse_snapshot(afd, e, text);
			close(afd);
		}
	}
	fmt_buf_free(&pend);
}

static int handle(struct col_client *c, uint32_t n, pid_t sender,
		  int *tabfd)
{
	const uint8_t *pl = msg + FMT_WIRE_HDR_SIZE;
	struct fmt_msg_hdr h;

	if (fmt_msg_get_hdr(msg, n, &h))
		return -1;
	n = h.len;
	if (h.type == FMT_MSG_HELLO)
		return on_hello(c, pl, n, sender, tabfd);
	if (h.type == FMT_MSG_SNAPSHOT && !c->img && !c->hello)
		return on_snapshot_ctl(c, pl, n);
	if (h.type == FMT_MSG_CTL && !c->img && !c->hello)
		return on_ctl_cmd(c, pl, n);
	if (!c->img)
		return -1;
	/* whatever follows an EXEC says the exec failed */
	col_image_exec(c->img, NULL, 0);
	switch (h.type) {
	case FMT_MSG_EVENTS:
		return on_events(c, pl, n);
	case FMT_MSG_LOST:
		return on_lost(c, pl, n);
	case FMT_MSG_BYE:
		return on_bye(c, pl, n);
	case FMT_MSG_MODULES:
		return on_modules(c, pl, n);
	case FMT_MSG_UNTRACED:
		return on_untraced(c, pl, n, sender);
	case FMT_MSG_EXEC:
		return on_exec(c, pl, n);
	case FMT_MSG_SNAPSHOT:
		return on_snapshot(c, pl, n);
	case FMT_MSG_CTL:
		return on_ctl(c, pl, n);
	}
	return -1;
}

/*
 * The sender's pid from the kernel's SCM_CREDENTIALS, or 0; *fd the
 * first descriptor the datagram carried (SCM_RIGHTS), or -1.  Any other
 * descriptor is closed here: only a HELLO's first one is ever used.
 */
static pid_t sender_of(struct msghdr *mh, int *fd)
{
	struct cmsghdr *cm;
	struct ucred cr;
	pid_t pid = 0;
	size_t i, nfd;
	int f;

	*fd = -1;
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(cr))) {
			memcpy(&cr, CMSG_DATA(cm), sizeof(cr));
			pid = cr.pid;
		}
		if (cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(f));
			if (*fd < 0)
				*fd = f;
			else
				close(f);
		}
	}
	return pid;
}

/* one datagram: 1 handled, 0 none queued, -1 the connection is gone */

static int recv_one(struct col_client *c)
{
	struct iovec iov = { msg, sizeof(msg) };
	/* room for a few descriptors: the kernel discards those that do
	 * not fit (MSG_CTRUNC), so no sender can leave one with us */
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred)) +
			 CMSG_SPACE(COL_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh;
	ssize_t n;
	pid_t pid;
	int fd, r;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	/* MSG_TRUNC: the real length, so an oversized datagram shows */
	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n < 0 && errno == EINTR)
		return 1;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	fd = -1;
	if (n == 0)	/* an empty datagram may still carry descriptors */
		sender_of(&mh, &fd);
	if (n <= 0) {
		if (fd >= 0)
			close(fd);
		client_close(c);
		return -1;
	}
	col.rx_bytes += (uint64_t)n;
	pid = sender_of(&mh, &fd);
	r = (size_t)n > sizeof(msg) || (mh.msg_flags & MSG_TRUNC) ||
	    handle(c, n, pid, &fd);
	if (fd >= 0)
		close(fd);
	if (r) {
		if (!c->closed)
			client_bad(c);
		return -1;
	}
	return c->closed ? -1 : 1;
}

/* a connection with a HELLO pending is read again once its image started */
void col_client_read(struct col_client *c, int budget)
{
	while (!c->closed && !c->hello && budget-- > 0 && recv_one(c) == 1)
		;
}

/*
 * New connections, then every connection in order, oldest first: the
 * HELLO of one without an image is read, and the image of every HELLO
 * read is started, so images of one pid start in the order they were
 * made.  A fork child says HELLO on the connection its parent opened and
 * may exec at once: the new image's HELLO, on a newer connection, must
 * not overtake it.  No call here comes from inside a handler, and none
 * nests: an image started reads only named connections (drain_conns),
 * where a HELLO is refused.
 */
static void start_all(void)
{
	struct col_client *c;

	col_accept_all();
	for (c = clients; c; c = c->next) {
		while (!c->closed && !c->img && !c->hello && recv_one(c) == 1)
			;
		if (c->hello)
			start_image(c);
	}
}

void col_clients_start(void)
{
	if (npending)
		start_all();
}

void col_clients_drain_proc(struct col_proc *p)
{
	start_all();
	drain_conns(p);
}

void col_clients_drain_all(void)
{
	struct col_client *c;
	int again;

	do {
		start_all();
		again = 0;
		for (c = clients; c; c = c->next) {
			drain(c);
			again |= c->hello != NULL;
		}
	} while (again);
}

void col_clients_gc(void)
{
	struct col_client **pp = &clients, *c;

	if (!nclosed)
		return;
	while ((c = *pp)) {
		if (c->closed) {
			*pp = c->next;
			free(c);
		} else {
			pp = &c->next;
		}
	}
	tailp = pp;
	nclosed = 0;
}
