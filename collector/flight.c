/*
 * flight.c - flight mode: the most recent window in memory, snapshots.
 *
 * writer.c hands every record here instead of to a file.  Records go to
 * one of three stores, each a list of lz4 chunks (compressed as the
 * trace file's are) and the chunk being filled:
 *
 *   defs  SCHEMA PROCESS STRING STACK MODULE SYMBOL DATA: what events
 *         refer to, never evicted (bounded by the intern tables), so a
 *         snapshot names whatever its events use, however old;
 *   ring  EVENTS LOST UNTRACED: the window, its oldest chunks evicted
 *         once all three stores together pass the size (held()), or
 *         once a chunk's last record is older than the age bound;
 *   ends  PROCESS_END: how each image ended, kept whole, written after
 *         the window's events so no reader sees an image end before
 *         its last events.
 *
 * A snapshot is a new trace file: header (start = the window's start),
 * a SNAPSHOT record, the defs and the ring, the calls in progress
 * (proc.c reads them from the thread tables), the ends, END; a forked
 * child writes it (see "writers" below).  The window
 * starts where the oldest chunk the ring kept started: every event
 * evicted reached us before that, so nothing after the start is
 * missing; events of the window's first batches may be older than the
 * start (a thread's buffer waits up to 100 ms), and readers treat
 * anything before the start as unknown.  Without eviction the window
 * starts with the collector.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "col.h"
#include "file.h"
#include "log.h"
#include "outfile.h"
#include "wire.h"

struct chunk {
	uint8_t *frame;
	size_t len, raw_len;
	uint64_t born, last;	/* col_now() at its first and last record */
	uint64_t nevents, nlost;
	struct chunk *next;
};

struct store {
	struct chunk *head, **tailp;
	struct fmt_buf raw;	/* the chunk being filled */
	uint64_t born, last, nevents, nlost;
	uint64_t bytes;		/* compressed bytes of the chunks */
};

static struct store defs = { .tailp = &defs.head };
static struct store ring = { .tailp = &ring.head };
static struct store ends = { .tailp = &ends.head };

static uint64_t ring_max, age_max;	/* bytes; ns (0: no age bound) */
static uint64_t start_mono, start_real;
static uint64_t evicted_events, evicted_chunks, window_start;
static uint64_t nprocesses;
static char *snap_dir;
static struct fmt_buf comp;

int col_flight_on(void)
{
	return ring_max != 0;
}

void col_flight_init(uint64_t size, uint64_t age_ns, const char *out_path)
{
	const char *slash = strrchr(out_path, '/');
	char *dir;

	ring_max = size;
	age_max = age_ns;
	/*
	 * Chunks are freed oldest first while newer ones stay: from the
	 * heap, that leaves holes the next chunks do not fit, and the
	 * collector's RSS creeps past the ring's size.  Mapped each on
	 * its own (a fixed threshold: glibc's dynamic one rises past
	 * chunk sizes at the first free), each free returns its pages.
	 */
	mallopt(M_MMAP_THRESHOLD, 32 * 1024);
	if (!slash)
		dir = xstrdup(".");
	else if (slash == out_path)
		dir = xstrdup("/");
	else
		dir = strndup(out_path, slash - out_path);
	if (!dir)
		die(EXIT_FAIL, "out of memory");
	/* absolute: `ctrace snapshot` prints it, from anywhere; and a
	 * directory that is not there fails now, not at the snapshot */
	snap_dir = realpath(dir, NULL);
	if (!snap_dir)
		die(EXIT_OUTPUT, "cannot write snapshots into %s: %s", dir,
		    strerror(errno));
	free(dir);
}

void col_flight_start(uint64_t mono, uint64_t real)
{
	start_mono = window_start = mono;
	start_real = real;
}

static void seal(struct store *s)
{
	struct chunk *c;

	if (!s->raw.len)
		return;
	if (fmt_chunk_compress(s->raw.p, s->raw.len, &comp))
		die(EXIT_FAIL, "out of memory");
	c = xcalloc(1, sizeof(*c));
	c->frame = xmalloc(comp.len);
	memcpy(c->frame, comp.p, comp.len);
	c->len = comp.len;
	c->raw_len = s->raw.len;
	c->born = s->born;
	c->last = s->last;
	c->nevents = s->nevents;
	c->nlost = s->nlost;
	*s->tailp = c;
	s->tailp = &c->next;
	s->bytes += c->len;
	fmt_buf_free(&s->raw);
	s->born = s->nevents = s->nlost = 0;
}

/*
 * What --flight's SIZE bounds: every byte of the recording we hold, the
 * sealed chunks compressed and the chunks being filled raw, of all three
 * stores.  A snapshot adds its own SNAPSHOT and END records and the
 * calls in progress (a chunk each): SNAP_RESERVE is kept for them, so
 * that the snapshot's chunks stay within SIZE.
 */
#define SNAP_RESERVE	4096

static uint64_t held(void)
{
	return ring.bytes + ring.raw.len + defs.bytes + defs.raw.len +
	       ends.bytes + ends.raw.len;
}

static uint64_t bound(void)
{
	return ring_max - (ring_max / 2 < SNAP_RESERVE ? ring_max / 2 :
			   SNAP_RESERVE);
}

/*
 * Drop the ring's oldest chunks past the bounds; the window starts at
 * the first chunk kept (or the one being filled).  When the sealed ones
 * are gone and the chunk being filled is still too much, it is sealed
 * and dropped in its turn.  Only the definitions and the ends are never
 * dropped: should they alone pass SIZE, the window is empty.
 */
static void evict(uint64_t now)
{
	struct chunk *c;

	for (;;) {
		c = ring.head;
		if (!c && ring.raw.len && held() > bound()) {
			seal(&ring);
			continue;
		}
		if (!c || (held() <= bound() &&
			   !(age_max && now - c->last > age_max)))
			break;
		ring.head = c->next;
		if (!ring.head)
			ring.tailp = &ring.head;
		ring.bytes -= c->len;
		evicted_events += c->nevents;
		evicted_chunks++;
		free(c->frame);
		free(c);
		window_start = ring.head ? ring.head->born :
			       ring.raw.len ? ring.born : now;
	}
}

static struct store *store_of(unsigned type)
{
	switch (type) {
	case FMT_REC_EVENTS:
	case FMT_REC_LOST:
	case FMT_REC_UNTRACED:
		return &ring;
	case FMT_REC_PROCESS_END:
		return &ends;
	default:
		return &defs;
	}
}

/* what the snapshot's END counts */
static void count(struct store *s, unsigned type, const struct fmt_buf *pl)
{
	struct fmt_record r = { type, pl->p, pl->len };
	struct fmt_events e;
	struct fmt_process p;
	struct fmt_lost l;

	if (type == FMT_REC_EVENTS && !fmt_parse_events(&r, &e))
		s->nevents += e.nevents;
	else if (type == FMT_REC_LOST && !fmt_parse_lost(&r, &l))
		s->nlost = fmt_lost_add(s->nlost, l.count);
	/* a process is counted once, not per exec'ed image */
	else if (type == FMT_REC_PROCESS && !fmt_parse_process(&r, &p) &&
		 !(p.flags & FMT_PROC_EXEC))
		nprocesses++;
}

void col_flight_record(unsigned type, const struct fmt_buf *payload)
{
	struct store *s = store_of(type);
	uint8_t t = type;
	uint64_t now = col_now();

	if (!s->raw.len)
		s->born = now;
	s->last = now;
	count(s, type, payload);
	fmt_buf_bytes(&s->raw, &t, 1);
	fmt_buf_uvar(&s->raw, payload->len);
	fmt_buf_bytes(&s->raw, payload->p, payload->len);
	if (fmt_buf_failed(&s->raw))
		die(EXIT_FAIL, "out of memory");
	if (s->raw.len >= FMT_CHUNK_TARGET)
		seal(s);
	if (held() > bound())
		evict(now);
}

void col_flight_tick(void)
{
	uint64_t now = col_now();

	seal(&ring);
	evict(now);
}

/* ---- snapshots ---- */

/* the reason as a file name's part: [A-Za-z0-9._-], the rest '_' */
static void name_part(char *out, size_t n, const char *s, size_t len)
{
	size_t i, k = 0;

	for (i = 0; i < len && k + 1 < n && k < 48; i++) {
		char ch = s[i];

		out[k++] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			   (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
			   ch == '_' ? ch : '_';
	}
	out[k] = 0;
}

/* a new file in snap_dir named by the time and the reason: never an
 * older one's name (O_EXCL, a -N suffix) */
static int create_named(const char *why, size_t why_len, char **path)
{
	char stamp[32], part[64], buf[4096];
	struct timespec ts;
	struct tm tm;
	int fd, i;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	name_part(part, sizeof(part), why, why_len);
	for (i = 1; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "%s/ctrace-snap-%s.%03ld%s%s%s%.0d"
			 ".trace", snap_dir, stamp, ts.tv_nsec / 1000000,
			 *part ? "-" : "", part, i > 1 ? "-" : "", i > 1 ? i : 0);
		fd = open(buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST) {
			*path = fd >= 0 ? xstrdup(buf) : NULL;
			return fd;
		}
	}
	errno = EEXIST;
	return -1;
}
/*
 * --flight --paused: the windows are kept here, not in the ring: the
 * closed ones, oldest first, and open_start for the one open (0: none).
 * Those that ended before the ring's window are dropped as the next
 * closes, so the list is as long as the ring is old.
 */
static struct fmt_window *kept;
static size_t nkept;
static uint64_t open_start;

void col_flight_window(uint64_t start, uint64_t end)
{
	size_t i, n = 0;

	if (!end) {
		open_start = start;
		return;
	}
	open_start = 0;
	for (i = 0; i < nkept; i++)
		if (kept[i].end >= window_start)
			kept[n++] = kept[i];
	kept = xrealloc(kept, (n + 1) * sizeof(*kept));
	kept[n++] = (struct fmt_window){ end, start, end };
	nkept = n;
}

/* one window as a reader of the snapshot needs it: WINDOW_OPEN first */
static int put_window(struct fmt_writer *w, uint64_t start, uint64_t end)
{
	struct fmt_window win = { start, start, end };
	struct fmt_buf b = { 0 };
	int err;

	fmt_put_window_open(&b, &win);
	err = fmt_buf_failed(&b) ? FMT_ENOMEM :
	      fmt_writer_record(w, FMT_REC_WINDOW_OPEN, b.p, b.len);
	fmt_buf_reset(&b);
	win.ts = end;
	fmt_put_window(&b, &win);
	if (!err)
		err = fmt_buf_failed(&b) ? FMT_ENOMEM :
		      fmt_writer_record(w, FMT_REC_WINDOW, b.p, b.len);
	fmt_buf_free(&b);
	return err;
}

/* the windows in [start, end], cut to it */
static int put_windows(struct fmt_writer *w, uint64_t start, uint64_t end)
{
	size_t i;
	int err = 0;

	for (i = 0; i < nkept && !err; i++)
		if (kept[i].end >= start)
			err = put_window(w, kept[i].start > start ?
					 kept[i].start : start, kept[i].end);
	if (!err && open_start && open_start <= end)
		err = put_window(w, open_start > start ? open_start : start,
				 end);
	return err;
}


static int put_store(struct fmt_writer *w, struct store *s, uint64_t *nev,
		     uint64_t *nlost)
{
	struct chunk *c;
	int err;

	for (c = s->head; c; c = c->next) {
		err = fmt_writer_chunk(w, c->frame, c->len, c->raw_len);
		if (err)
			return err;
		*nev += c->nevents;
		*nlost = fmt_lost_add(*nlost, c->nlost);
	}
	if (!s->raw.len)
		return 0;
	*nev += s->nevents;
	*nlost = fmt_lost_add(*nlost, s->nlost);
	err = fmt_chunk_compress(s->raw.p, s->raw.len, &comp);
	return err ? err : fmt_writer_chunk(w, comp.p, comp.len, s->raw.len);
}

static int put_snapshot(int fd, const struct col_snap *req)
{
	struct fmt_file_header h = { 0 };
	struct fmt_snapshot sn = { 0 };
	struct fmt_buf b = { 0 };
	struct fmt_writer *w;
	uint64_t nev = 0, nlost = 0, now = req->now ? req->now : col_now();
	int err;

	evict(now);
	h.features = FMT_FEAT_STACKS | (col.windows ? FMT_FEAT_WINDOWS : 0);
	h.start_monotonic = window_start;
	h.start_realtime = start_real + (window_start - start_mono);
	h.clock_id = CLOCK_MONOTONIC;
	h.collector_pid = getpid();
	w = fmt_writer_open(fd, &h, &err);
	if (!w)
		return err;
	/* first: a reader knows the window before it reads an event */
	sn.ts = now;
	sn.start = window_start;
	sn.end = now;
	sn.trigger = req->trigger;
	sn.pid = req->pid;
	sn.evicted_events = evicted_events;
	sn.evicted_chunks = evicted_chunks;
	sn.reason = req->reason;
	sn.reason_len = req->reason_len;
	fmt_put_snapshot(&b, &sn);
	err = fmt_buf_failed(&b) ? FMT_ENOMEM :
	      fmt_writer_record(w, FMT_REC_SNAPSHOT, b.p, b.len);
	/* --paused: the windows before their events */
	if (!err && col.windows)
		err = put_windows(w, window_start, now);
	if (!err)
		err = put_store(w, &defs, &nev, &nlost);
	if (!err)
		err = put_store(w, &ring, &nev, &nlost);
	/* the calls in progress: after the window's events, as an exit's */
	if (!err && req->pending && req->pending->len) {
		err = fmt_chunk_compress(req->pending->p, req->pending->len,
					 &comp);
		if (!err)
			err = fmt_writer_chunk(w, comp.p, comp.len,
					       req->pending->len);
		nev += req->npending;
	}
	if (!err)
		err = put_store(w, &ends, &nev, &nlost);
	fmt_buf_reset(&b);
	fmt_put_end(&b, &(struct fmt_end){ now, nev, nlost, nprocesses });
	if (!err)
		err = fmt_writer_record(w, FMT_REC_END, b.p, b.len);
	if (!err && fmt_buf_failed(&b))
		err = FMT_ENOMEM;
	fmt_buf_free(&b);
	if (fmt_writer_close(w) && !err)
		err = FMT_EIO;
	return err;
}

/*
 * Snapshots are written off the loop: a forked child writes the file
 * from its copy of the stores (copy-on-write: the loop goes on filling
 * and evicting its own) and exits with 0 or the errno that failed.  The
 * loop reaps it (SIGCHLD, the timer, col_flight_finish at the end),
 * says so, and answers the `ctrace snapshot` that asked, through the
 * connection it kept.  Writers run side by side, MAX_WRITERS at most:
 * one more waits for the oldest first.
 */
#define MAX_WRITERS	4

struct writer {
	pid_t pid;
	char *path;
	int answer_fd;		/* `ctrace snapshot`'s connection, or -1 */
	struct writer *next;
};

static struct writer *writers;
static unsigned nwriters;

/* SNAPSHOT_DONE to fd: the path, or why not */
static void answer(int fd, int err, const char *path)
{
	static uint8_t out[FMT_WIRE_HDR_SIZE + 2 * FMT_VARINT_MAX +
			   FMT_MAX_STR + 256];
	struct fmt_msg_snapshot_done d = { 0, "", 0 };
	char text[FMT_MAX_STR + 128];
	size_t len;

	if (fd < 0)
		return;
	if (err) {
		d.err = err > 0 && err < 4096 ? err : EIO;
		snprintf(text, sizeof(text), "cannot write the snapshot: %s",
			 strerror(err));
	} else {
		snprintf(text, sizeof(text), "%s", path);
	}
	d.text = text;
	d.len = strlen(text);
	len = fmt_msg_put_snapshot_done(out, &d);
	/* it waits for this answer: a full socket is its loss alone */
	if (send(fd, out, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		warn_msg("cannot answer a snapshot request: %s",
			 strerror(errno));
	close(fd);
}

/* path written (err 0) or not: say so, answer, count */
static void written(char *path, int err, int answer_fd)
{
	struct stat st;

	if (err) {
		err_msg("cannot write %s: %s", path, strerror(err));
		/* what we made, not a device -o named (/dev/full) */
		if (!lstat(path, &st) && S_ISREG(st.st_mode))
			unlink(path);
	} else {
		col.nsnapshots++;
		if (!col.quiet && col.mode != COL_SERVE)
			fprintf(stderr, "ctrace: wrote snapshot %s\n", path);
	}
	answer(answer_fd, err, path);
	free(path);
}

/* fd's snapshot: 0 or an errno */
static int write_file(int fd, const struct col_snap *req)
{
	int e = put_snapshot(fd, req);

	if (close(fd) && !e)
		e = FMT_EIO;
	if (!e)
		return 0;
	return e == FMT_EIO ? (errno ? errno : EIO) : ENOMEM;
}

/*
 * The writer child.  CTRACE_TEST_SNAP_GATE (the tests): a FIFO to read
 * one byte from first, so that a test can hold a snapshot in progress.
 */
static void __attribute__((noreturn)) child(int fd, const struct col_snap *req)
{
	const char *gate = getenv("CTRACE_TEST_SNAP_GATE");
	struct writer *w;
	int g, e;
	char c;

	/* nothing of the loop's: their peers see them close with it */
	for (w = writers; w; w = w->next)
		if (w->answer_fd >= 0)
			close(w->answer_fd);
	if (gate && *gate) {
		g = open(gate, O_RDONLY | O_CLOEXEC);
		if (g >= 0) {
			if (read(g, &c, 1) < 0)
				c = 0;
			close(g);
		}
	}
	errno = 0;
	e = write_file(fd, req);
	_exit(e > 255 ? EIO : e);
}

/* w finished with wait status st */
static void reaped(struct writer *w, int st)
{
	int err = WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;

	written(w->path, err, w->answer_fd);
	free(w);
	nwriters--;
}

/* reap the writers that finished; block: wait for all of them */
static void reap_writers(int block)
{
	struct writer **pp = &writers, *w;
	pid_t r;
	int st;

	while ((w = *pp)) {
		do
			r = waitpid(w->pid, &st, block ? 0 : WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		if (r < 0)	/* not ours to wait for: never happens */
			st = EIO << 8;
		reaped(w, st);
	}
}

void col_flight_reap(void)
{
	reap_writers(0);
}

void col_flight_finish(void)
{
	reap_writers(1);
}

/* wait for the oldest writer (the last of the list) */
static void wait_oldest(void)
{
	struct writer **pp = &writers, *w;
	int st;

	while ((*pp)->next)
		pp = &(*pp)->next;
	w = *pp;
	*pp = NULL;
	while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
		;
	reaped(w, st);
}

int col_flight_snapshot(const struct col_snap *req, int answer_fd)
{
	const char *why = req->reason;
	size_t why_len = req->reason_len;
	struct writer *w;
	char *path;
	pid_t pid;
	int fd, e;

	if (!col_flight_on()) {
		errno = EINVAL;
		return -1;
	}
	if (req->path && *req->path) {
		fd = out_create(req->path);
		path = fd >= 0 ? xstrdup(req->path) : NULL;
	} else {
		/* no reason given: what asked */
		if (!why_len && fmt_snap_trigger_name(req->trigger)) {
			why = fmt_snap_trigger_name(req->trigger);
			why_len = strlen(why);
		}
		fd = create_named(why, why_len, &path);
	}
	if (fd < 0) {
		e = errno;
		err_msg("cannot write a snapshot: %s", strerror(e));
		errno = e;
		return -1;
	}
	if (nwriters >= MAX_WRITERS)
		wait_oldest();
	/* the window as of now, in the child's copy */
	evict(req->now ? req->now : col_now());
	pid = fork();
	if (pid == 0)
		child(fd, req);
	if (pid < 0) {
		/* no child: written here, the loop waits */
		written(path, write_file(fd, req), answer_fd);
		return 0;
	}
	close(fd);
	w = xcalloc(1, sizeof(*w));
	w->pid = pid;
	w->path = path;
	w->answer_fd = answer_fd;
	w->next = writers;
	writers = w;
	nwriters++;
	return 0;
}

/*
 * Requests wait here for the end of their batch (col.h): the loop reads
 * what the traced processes sent before them first.
 */
struct asked {
	struct col_snap req;	/* reason and path: the copies below */
	char *reason, *path;
	int answer_fd;
	struct asked *next;
};

static struct asked *asked, **asked_tailp = &asked, *taken;

static char *copy_of(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	if (n)
		memcpy(p, s, n);
	p[n] = 0;
	return p;
}

void col_flight_later(const struct col_snap *req, int answer_fd)
{
	struct asked *a = xcalloc(1, sizeof(*a));

	a->reason = copy_of(req->reason, req->reason ? req->reason_len : 0);
	a->path = copy_of(req->path, req->path ? strlen(req->path) : 0);
	a->req = (struct col_snap){ req->trigger, req->pid, a->reason,
				    req->reason ? req->reason_len : 0,
				    a->path, 0, NULL, 0 };
	a->answer_fd = answer_fd;
	*asked_tailp = a;
	asked_tailp = &a->next;
}

int col_flight_asked(void)
{
	return asked != NULL;
}

int col_flight_next(struct col_snap *req, int *answer_fd)
{
	if (taken) {
		free(taken->reason);
		free(taken->path);
		free(taken);
		taken = NULL;
	}
	if (!asked)
		return 0;
	taken = asked;
	asked = taken->next;
	if (!asked)
		asked_tailp = &asked;
	*req = taken->req;
	*answer_fd = taken->answer_fd;
	return 1;
}

/* bytes held now (what SIZE bounds) */
uint64_t col_flight_bytes(void)
{
	return held();
}

uint64_t col_flight_evicted(void)
{
	return evicted_events;
}
