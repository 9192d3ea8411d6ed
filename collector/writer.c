/*
 * writer.c - the trace file: open, records, periodic flush, clean end.
 *
 * Records accumulate in the current chunk and reach the disk when it is
 * full, when a batch of events arrives CHUNK_AGE_NS or more after the
 * chunk's first record, when the 1 s timer ticks, or at the end, so a
 * collector killed with SIGKILL (or a file cut short) leaves a trace
 * readable up to its last complete chunk.  The age bound is what gives a
 * short run more than one chunk: with the timer alone a run under a
 * second was one chunk, all lost when cut anywhere.  It costs a chunk
 * header and a new lz4 frame per 100 ms of a busy collector, a few
 * hundred bytes a second; a trace fast enough for that to matter fills
 * chunks by size first.
 * A write error (disk full) is reported once; the collector keeps
 * draining its clients so the traced programs are never blocked by it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "col.h"
#include "file.h"
#include "log.h"
#include "outfile.h"

struct col_counts col_counts;

#define CHUNK_AGE_NS	100000000ull	/* 100 ms: the preload's CTRACE_FLUSH_MS */

static struct fmt_writer *writer;
static int out_fd = -1;
static int failed;
static uint64_t chunk_born;	/* col_now() at its first record; 0: empty */

/* an error, not a warning, but the collector goes on draining clients */
static void write_failed(int err)
{
	if (failed)
		return;
	failed = 1;
	err_msg("cannot write %s: %s", col.out_path,
		err == FMT_EIO ? strerror(errno) : fmt_strerror(err));
}

int col_writer_open(const char *path)
{
	out_fd = out_create(path);
	return out_fd < 0 ? -1 : 0;
}

/* separate from the open so `collect --daemon` writes its own pid */
void col_writer_start(uint64_t start_mono, uint64_t start_real)
{
	struct fmt_file_header h;
	struct fmt_buf schema = { 0 };
	int err;

	if (col_flight_on()) {
		col_flight_start(start_mono, start_real);
		fmt_put_schema(&schema);
		col_write(FMT_REC_SCHEMA, &schema);
		fmt_buf_free(&schema);
		return;
	}
	memset(&h, 0, sizeof(h));
	h.features = FMT_FEAT_STACKS | (col.windows ? FMT_FEAT_WINDOWS : 0);
	h.start_realtime = start_real;
	h.start_monotonic = start_mono;
	h.clock_id = CLOCK_MONOTONIC;
	h.collector_pid = getpid();
	writer = fmt_writer_open(out_fd, &h, &err);
	if (!writer)
		die(EXIT_OUTPUT, "cannot write %s: %s", col.out_path,
		    err == FMT_EIO ? strerror(errno) : fmt_strerror(err));
	/* first: what every event code holds, for readers that predate one */
	fmt_put_schema(&schema);
	col_write(FMT_REC_SCHEMA, &schema);
	fmt_buf_free(&schema);
}

void col_write(unsigned type, const struct fmt_buf *payload)
{
	uint32_t seq;
	uint64_t now;
	int err;

	if (failed)
		return;
	if (fmt_buf_failed(payload))
		die(EXIT_FAIL, "out of memory");
	if (col_flight_on()) {
		col_flight_record(type, payload);
		return;
	}
	seq = fmt_writer_chunks(writer);
	err = fmt_writer_record(writer, type, payload->p, payload->len);
	if (err) {
		write_failed(err);
		return;
	}
	/* flushed by size: the next record starts a new chunk */
	if (fmt_writer_chunks(writer) != seq) {
		chunk_born = 0;
		return;
	}
	now = col_now();
	if (!chunk_born)
		chunk_born = now;
	/* after the events, not after the strings and symbols a batch
	 * defines first (resolving them can take longer than the bound):
	 * each chunk then holds events, not only their tables */
	else if (type == FMT_REC_EVENTS && now - chunk_born >= CHUNK_AGE_NS)
		col_writer_tick();
}

void col_writer_tick(void)
{
	int err;

	if (failed)
		return;
	if (col_flight_on()) {
		col_flight_tick();
		return;
	}
	chunk_born = 0;
	err = fmt_writer_flush(writer);
	if (err)
		write_failed(err);
}

void col_write_lost(pid_t pid, uint64_t tid, uint64_t count,
		    uint64_t reason)
{
	struct fmt_lost l = { pid, tid, count, reason };
	struct fmt_buf b = { 0 };

	fmt_put_lost(&b, &l);
	col_write(FMT_REC_LOST, &b);
	fmt_buf_free(&b);
	col_counts.nlost = fmt_lost_add(col_counts.nlost, count);
}

static void write_end(void)
{
	struct fmt_buf b = { 0 };

	fmt_put_end(&b, &(struct fmt_end){ col_now(), col_counts.nevents,
					   col_counts.nlost,
					   col_counts.nprocesses });
	col_write(FMT_REC_END, &b);
	fmt_buf_free(&b);
}

/* ---- recording windows ---- */

static uint32_t *win_word;	/* the mapped word; NULL: no windows */
static char *win_path;
static pid_t win_owner;
static uint64_t win_start;	/* the open window's start; 0: shut */

void col_windows_init(const char *sock_path, int paused)
{
	size_t n = strlen(sock_path);
	void *m;
	int fd;

	win_path = xmalloc(n + sizeof(FMT_WINDOW_SUFFIX));
	memcpy(win_path, sock_path, n);
	memcpy(win_path + n, FMT_WINDOW_SUFFIX, sizeof(FMT_WINDOW_SUFFIX));
	/* a killed paused collector's word, shut, would pause our clients;
	 * O_EXCL then: a file someone else put there is not ours to share */
	unlink(win_path);
	if (!paused) {
		free(win_path);
		win_path = NULL;
		return;
	}
	fd = open(win_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die(EXIT_SOCKET, "cannot create %s: %s", win_path,
		    strerror(errno));
	win_owner = getpid();
	if (ftruncate(fd, FMT_WINDOW_SIZE))
		die(EXIT_SOCKET, "cannot size %s: %s", win_path,
		    strerror(errno));
	m = mmap(NULL, FMT_WINDOW_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		die(EXIT_SOCKET, "cannot map %s: %s", win_path,
		    strerror(errno));
	win_word = m;
	__atomic_store_n(win_word, FMT_WINDOW_SHUT, __ATOMIC_RELEASE);
}

/* WINDOW_OPEN as the window opens (end 0), WINDOW as it closes */
static void write_window(uint64_t now, uint64_t end)
{
	struct fmt_window w = { now, win_start, end };
	struct fmt_buf b = { 0 };

	if (col_flight_on()) {
		col_flight_window(win_start, end);
		return;
	}
	if (end)
		fmt_put_window(&b, &w);
	else
		fmt_put_window_open(&b, &w);
	col_write(end ? FMT_REC_WINDOW : FMT_REC_WINDOW_OPEN, &b);
	fmt_buf_free(&b);
}

void col_window_ctl(int open)
{
	uint64_t now = col_now();

	if (!win_word || open == !!win_start)
		return;		/* already so: one window, not two */
	if (open) {
		win_start = now;
		/* before the word opens: before any event of the window */
		write_window(now, 0);
		__atomic_store_n(win_word, FMT_WINDOW_OPEN, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(win_word, FMT_WINDOW_SHUT, __ATOMIC_RELEASE);
	write_window(now, now);
	win_start = 0;
}

void col_windows_own(void)
{
	win_owner = getpid();
}

void col_windows_cleanup(void)
{
	if (win_path && win_owner == getpid())
		unlink(win_path);
	free(win_path);
	win_path = NULL;
}

int col_writer_finish(int clean)
{
	int err;

	if (win_start) {
		uint64_t now = col_now();

		write_window(now, now);
		win_start = 0;
	}

	/* flight mode writes only the snapshots asked for */
	if (col_flight_on())
		return 0;
	if (clean)
		write_end();
	/* after a failed write the file ends in a partial chunk: stop there */
	if (!failed) {
		err = fmt_writer_close(writer);
		if (err)
			write_failed(err);
	}
	writer = NULL;
	/* a file on a full disk can still fail here: say so */
	/* fsync() of a pipe or /dev/null says EINVAL: nothing to sync */
	if (!failed && fsync(out_fd) && errno != EINVAL && errno != EROFS)
		write_failed(FMT_EIO);
	if (close(out_fd) && !failed)
		write_failed(FMT_EIO);
	out_fd = -1;
	return failed ? -1 : 0;
}
