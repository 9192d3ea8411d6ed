/*
 * collector-msg.c - fuzz what the collector does with the datagrams of
 * one client connection (collector/client.c, intern.c): header checks,
 * HELLO, EVENTS transcoding, LOST, BYE, MODULES.
 *
 * client.c is linked unchanged and driven through its own entry points:
 * col_accept_all() takes one end of a SOCK_SEQPACKET socketpair from the
 * col_sock_accept() below, and col_client_read() reads each datagram the
 * harness sends on the other end, with the kernel's SCM_CREDENTIALS as
 * in the real collector, then col_clients_start() starts the image of a
 * HELLO, as loop.c calls them.  The process table, symbols, event loop
 * and trace writer are stubs here (proc.c, symbols.c, loop.c, writer.c,
 * base.c are not linked): the stub writer checks that every EVENTS record the
 * collector writes has a header that parses, and runs the reader's decoder
 * over its events.  Those events need not decode: the collector reads only
 * the ones a batch's index lists and copies the rest (wire.h), and the
 * reader finds what is wrong with them (the trace-records harness fuzzes
 * that).
 *
 * Input: a flags byte, then datagrams, each a 2-byte little-endian length
 * and that many bytes (header included, as on the socket).  A fuzzer
 * cannot know the harness's pid, which HELLO must carry: with flags bit 0
 * clear the harness sends a valid HELLO first; with it set, the first
 * datagram is the payload of a HELLO after its pid (ppid tid ts flags exe
 * argc argv settings), which the harness prefixes with a header, version
 * and its pid.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "col.h"
#include "file.h"
#include "fuzz.h"
#include "log.h"
#include "wire.h"

/* ---- stubs of the collector files not linked ---- */

struct col_state col = { .listen_fd = -1, .epfd = -1 };
struct col_counts col_counts;

struct col_image {
	uint64_t id;
	pid_t pid;
};

static int pending_fd = -1;		/* the next connection to accept */
static struct col_client *client;	/* the connection being fuzzed */
static uint64_t next_image = 1;

uint64_t col_now(void) { return 1; }

int col_watch_add(int fd, struct col_watch *w)
{
	/* client.c registers its struct col_client, watch first */
	client = (struct col_client *)w;
	return 0;
}

void col_watch_del(int fd) { }

int col_sock_accept(int lfd, pid_t *peer_pid)
{
	int fd = pending_fd;

	pending_fd = -1;
	*peer_pid = getpid();
	return fd;
}

/* one connection: no process has another image to read first */
struct col_proc *col_proc_find(pid_t pid) { return NULL; }
struct col_client *col_proc_conn(struct col_proc *p, struct col_image **it)
{
	return NULL;
}

struct col_image *col_image_hello(struct col_client *conn,
				  struct col_hello *h)
{
	struct col_image *img = xcalloc(1, sizeof(*img));

	img->id = next_image++;
	img->pid = h->pid;
	return img;
}

uint64_t col_image_id(const struct col_image *img) { return img->id; }
pid_t col_image_pid(const struct col_image *img) { return img->pid; }
void col_image_seen(struct col_image *img, uint64_t ts) { }
void col_image_fatal(struct col_image *img, int sig) { }
void col_image_bye(struct col_image *img, uint64_t ts, uint64_t status,
		   unsigned how) { }
void col_image_closed(struct col_image *img) { free(img); }
/* a HELLO's thread table (proc.c checks and maps it): closed unused */
void col_image_table(struct col_image *img, int fd)
{
	if (fd >= 0)
		close(fd);
}
void col_image_count(struct col_image *img, uint64_t tid, uint64_t n) { }
void col_image_count_reset(struct col_image *img, uint64_t tid) { }
/* for the EXEC and UNTRACED messages of newer collectors (main, after
 * this harness): proc.c and untraced.c are not linked either */
void col_image_exec(struct col_image *img, const char *path, size_t n) { }
void col_untraced(pid_t pid, pid_t ppid, unsigned how, unsigned reason,
		  int err, const char *path) { }
/* writer.c's, like col_write() below: nothing to check in a LOST */
void col_write_lost(pid_t pid, uint64_t tid, uint64_t count,
		    uint64_t reason) { }
/* writer.c's: col.windows is 0, so a CTL is checked, then ignored or
 * answered with an error; never reached */
void col_window_ctl(int open) { }
/* flight.c's: not in flight mode, so a SNAPSHOT is checked, then
 * ignored or answered with an error */
int col_flight_on(void) { return 0; }
int col_flight_snapshot(const struct col_snap *req, int answer_fd)
{
	errno = EINVAL;
	return -1;
}
void col_flight_later(const struct col_snap *req, int answer_fd) { }
int col_flight_asked(void) { return 0; }
int col_flight_next(struct col_snap *req, int *answer_fd) { return 0; }
/* proc.c's: in flight mode only, never reached */
uint64_t col_procs_pending(struct fmt_buf *out, uint64_t now) { return 0; }

void col_sym_image_start(uint64_t image, pid_t pid, const char *exe,
			 size_t exe_len) { }
void col_sym_image_end(uint64_t image) { }
void col_sym_batch(void) { }
void col_sym_addr(uint64_t image, uint64_t addr, int exact) { }
void col_sym_data(uint64_t image, uint64_t addr) { }

/* the client checks a MODULES payload (fmt_msg_parse_modules); what
 * symbols.c does with a good one is not linked */
void col_sym_modules(uint64_t image, struct fmt_msg_modules *m) { }

/* what the analyzer will do with the record: its header must read */
static void check_events(const struct fmt_buf *payload)
{
	uint64_t stackbuf[FMT_MAX_STACK];
	struct fmt_record rec = { FMT_REC_EVENTS, payload->p, payload->len };
	struct fmt_events fe;
	struct fmt_event ev;
	struct fmt_addrs ad;
	uint64_t i, ts;
	int err;

	fmt_addrs_batch(&ad);
	if (fmt_parse_events(&rec, &fe)) {
		fprintf(stderr, "collector wrote an EVENTS record whose "
			"header does not parse\n");
		abort();
	}
	ts = fe.base_ts;
	for (i = 0; i < fe.nevents; i++) {
		err = fmt_decode_event(&fe.ev.p, fe.ev.end, FMT_FILE, &ts,
				       &ev, stackbuf, &ad);
		if (err)
			break;
	}
}

void col_write(unsigned type, const struct fmt_buf *payload)
{
	if (type == FMT_REC_EVENTS)
		check_events(payload);
}

/* ---- the harness ---- */

static void put_uvar(struct fmt_buf *b, uint64_t v)
{
	fmt_buf_uvar(b, v);
}

/* header, version, our pid, then `tail` (a default HELLO if NULL) */
static void make_hello(struct fmt_buf *b, const uint8_t *tail, size_t n)
{
	static const uint8_t def[] = {
		1,			/* ppid */
		1,			/* tid (ignored) */
		1,			/* ts */
		0,			/* flags */
		4, 'f', 'u', 'z', 'z',	/* exe */
		1, 4, 'f', 'u', 'z', 'z',	/* argc argv */
	};

	fmt_buf_reset(b);
	fmt_buf_bytes(b, "xxxxxxxxxxxx", FMT_WIRE_HDR_SIZE);
	put_uvar(b, FMT_WIRE_VERSION);
	put_uvar(b, getpid());
	if (tail)
		fmt_buf_bytes(b, tail, n);
	else
		fmt_buf_bytes(b, def, sizeof(def));
	fmt_msg_put_hdr(b->p, FMT_MSG_HELLO, b->len - FMT_WIRE_HDR_SIZE);
}

/* one datagram, as the loop reads it: then the HELLO it kept, if any */
static void read_one(void)
{
	col_client_read(client, 1);
	col_clients_start();
}

/* one datagram to the client, read at once: 0, or -1 once it is gone */
static int deliver(int fd, const void *p, size_t n)
{
	if (send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n) {
		/* too big for the socket: the collector never sees it */
		if (errno == EMSGSIZE || errno == ENOBUFS ||
		    errno == EAGAIN)
			return 0;
		perror("send");
		abort();
	}
	read_one();
	return col.nclients ? 0 : -1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fmt_buf hello;
	const uint8_t *p = data, *end = data + size;
	int sv[2], on = 1, first = 1;
	size_t n;

	if (!size)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) ||
	    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on))) {
		perror("socketpair");
		abort();
	}
	pending_fd = sv[0];
	col_accept_all();
	if (!(*p++ & 1)) {
		make_hello(&hello, NULL, 0);
		first = 0;
		if (deliver(sv[1], hello.p, hello.len))
			goto out;
	}
	while (end - p >= 2) {
		n = p[0] | p[1] << 8;
		p += 2;
		if (n > (size_t)(end - p))
			n = end - p;
		if (first) {
			make_hello(&hello, p, n);
			first = 0;
			if (deliver(sv[1], hello.p, hello.len))
				goto out;
		} else if (deliver(sv[1], p, n)) {
			goto out;
		}
		p += n;
	}
out:
	/* the end of the connection, as when its process exits */
	close(sv[1]);
	while (col.nclients)
		read_one();
	col_clients_gc();
	return 0;
}
