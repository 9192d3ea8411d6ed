/*
 * gen-trace - write a synthetic trace for the analyzer's benchmarks and
 * tests, through the format module's writer (never a second encoder).
 *
 *   gen-trace [-n EVENTS] [-t THREADS] [-s SEED] [-r] [-a] OUT
 *
 * -r defines string 2 and stack 1 a second time after the tables (a
 * damaged trace: readers keep the first definitions and say so).
 * -a makes the workers do nothing but allocate and free (allocation
 * churn: one heap counter change per event, the exporters' worst case).
 * -R writes instead a small trace of one tid reused by four threads in
 * turn, with exact times (reuse_trace()).
 * -F writes instead a trace as a later version would, with events and
 * fields this version does not know and the SCHEMA that describes them
 * (future_trace()); -N leaves the SCHEMA out.
 *
 * One process: a main thread that creates THREADS workers and joins them,
 * and workers that do a fixed mix of contended mutexes, condvar waits and
 * signals, reads and writes, polls, sleeps, futex waits and mallocs/frees,
 * in batches of 1024 events written round robin, like the collector does.
 * Deterministic for a seed.  Prints what an analysis must find:
 *   events=N allocs=A alloc_bytes=B leaked=L leaked_bytes=LB
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"

#define BATCH		1024
#define NSTACKS		64
#define NFUNCS		24
#define RING		64	/* live allocations per worker */
#define IMAGE		1
#define PID		1000
#define HANDLE(i)	(0x7f0000000000ull + (uint64_t)(i) * 0x800000)
#define ROUTINE		0x401000ull
#define LOCK(i)		(0x404000ull + (uint64_t)(i) * 0x40)

static struct fmt_writer *w;
static struct fmt_buf rec;
static uint64_t rng_state;
static uint64_t nevents, nallocs, alloc_bytes;
static int churn;		/* -a */

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void put(unsigned type)
{
	if (fmt_buf_failed(&rec) ||
	    fmt_writer_record(w, type, rec.p, rec.len)) {
		fprintf(stderr, "gen-trace: cannot write the trace\n");
		exit(1);
	}
	fmt_buf_reset(&rec);
}

static void put_string(uint64_t id, const char *s)
{
	fmt_put_string(&rec, &(struct fmt_string){ id, s, strlen(s) });
	put(FMT_REC_STRING);
}

static uint64_t func_addr(unsigned f)
{
	return ROUTINE + f * 0x100;
}

/* stack s: depth 2..5 frames inside the functions, leaf first */
static unsigned stack_frames(unsigned s, uint64_t *fr)
{
	unsigned n = 2 + s % 4, i;

	for (i = 0; i < n; i++)
		fr[i] = func_addr((s * 7 + i * 5) % NFUNCS) + 0x10 + i * 4;
	fr[n - 1] = func_addr(0) + 0x20;	/* every stack ends in worker */
	return n;
}

/* strings, symbols and stacks, defined before any use */
static void put_tables(void)
{
	uint64_t fr[8];
	char name[32];
	unsigned f, s, i, n;

	put_string(1, "gen.c");
	for (f = 0; f < NFUNCS; f++) {
		snprintf(name, sizeof(name), f ? "fn_%u" : "worker", f);
		put_string(2 + f, name);
	}
	/* the start routine */
	fmt_put_symbol(&rec, &(struct fmt_symbol){
		.image = IMAGE, .addr = ROUTINE, .func = 2, .file = 1,
		.line = 10 });
	put(FMT_REC_SYMBOL);
	for (s = 0; s < NSTACKS; s++) {
		n = stack_frames(s, fr);
		for (i = 0; i < n; i++) {
			f = (fr[i] - ROUTINE) / 0x100;
			fmt_put_symbol(&rec, &(struct fmt_symbol){
				.image = IMAGE, .addr = fr[i], .func = 2 + f,
				.file = 1,
				.line = 10 + f * 20 + (fr[i] & 0xff) / 4,
				.offset = fr[i] - func_addr(f) });
			put(FMT_REC_SYMBOL);
		}
		fmt_put_stack(&rec, &(struct fmt_stack){
			.id = s + 1, .image = IMAGE, .n = n, .frames = fr });
		put(FMT_REC_STACK);
	}
}

/* -r: string 2 (a function's name) and stack 1 once more, different */
static void put_redefinitions(void)
{
	uint64_t fr = func_addr(3);

	put_string(2, "redefined_name_that_is_longer_than_the_first");
	fmt_put_stack(&rec, &(struct fmt_stack){
		.id = 1, .image = IMAGE, .n = 1, .frames = &fr });
	put(FMT_REC_STACK);
}

struct worker {
	uint64_t tid, ts;
	uint64_t live[RING], live_size[RING];
	uint64_t next_addr;
	unsigned slot;
};

struct batch {
	uint8_t *p;
	uint64_t prev, n;
	struct fmt_buf b;
	struct fmt_addrs ad;
};

static void batch_begin(struct batch *bt, uint64_t tid, uint64_t ts)
{
	fmt_buf_reset(&bt->b);
	bt->prev = ts;
	bt->n = 0;
	fmt_addrs_batch(&bt->ad);
	fmt_buf_reserve(&bt->b, 64);
	(void)tid;
}

static void emit(struct batch *bt, struct fmt_event *ev)
{
	if (fmt_buf_reserve(&bt->b, FMT_EVENT_MAX_BYTES)) {
		fprintf(stderr, "gen-trace: out of memory\n");
		exit(1);
	}
	bt->b.len = fmt_encode_event(bt->b.p + bt->b.len, ev, FMT_FILE,
				     &bt->prev, &bt->ad) - bt->b.p;
	bt->n++;
	nevents++;
}

static void batch_end(struct batch *bt, uint64_t tid, uint64_t base)
{
	struct fmt_events e = {
		.pid = PID, .image = IMAGE, .tid = tid, .nevents = bt->n,
		.base_ts = base, .ev = { bt->b.p, bt->b.p + bt->b.len, 0 },
	};

	fmt_put_events(&rec, &e);
	put(FMT_REC_EVENTS);
}

static uint64_t stk(void)
{
	return 1 + rnd() % NSTACKS;
}

static void ev_block(struct fmt_event *ev, struct worker *wk,
		     uint64_t nthreads)
{
	uint64_t r = rnd(), dur = 1000 + r % 50000;
	uint64_t other = 1001 + (wk->tid - 1000 + r % (nthreads - 1)) %
			 nthreads;

	ev->type = FMT_EV_MUTEX_BLOCK;
	ev->f[FMT_F_MUTEX_BLOCK_dur] = dur;
	ev->f[FMT_F_MUTEX_BLOCK_obj] = LOCK(r >> 20 & 3);
	ev->f[FMT_F_MUTEX_BLOCK_holder] = other;
	ev->f[FMT_F_MUTEX_BLOCK_result] = 0;
	ev->f[FMT_F_MUTEX_BLOCK_waker] = other;
	ev->f[FMT_F_MUTEX_BLOCK_wake_dt] = 500 + (r >> 24) % 1000;
	ev->f[FMT_F_MUTEX_BLOCK_stack] = stk();
}

static void ev_alloc(struct fmt_event *ev, struct batch *bt,
		     struct worker *wk)
{
	unsigned s = wk->slot++ % RING;

	if (wk->live[s]) {
		ev->type = FMT_EV_FREE;
		ev->ts = wk->ts;
		ev->f[FMT_F_FREE_addr] = wk->live[s];
		ev->f[FMT_F_FREE_call] = FMT_CALL_free;
		emit(bt, ev);
		wk->ts += 50;
	}
	wk->live[s] = wk->next_addr;
	wk->live_size[s] = 16 + rnd() % 4096;
	wk->next_addr += 0x2000;
	nallocs++;
	alloc_bytes += wk->live_size[s];
	ev->type = FMT_EV_ALLOC;
	ev->f[FMT_F_ALLOC_addr] = wk->live[s];
	ev->f[FMT_F_ALLOC_size] = wk->live_size[s];
	ev->f[FMT_F_ALLOC_call] = FMT_CALL_malloc;
	ev->f[FMT_F_ALLOC_stack] = stk();
}

/* one event of the mix into ev (the free of a reused slot goes first) */
static void next_event(struct fmt_event *ev, struct batch *bt,
		       struct worker *wk, uint64_t nthreads)
{
	uint64_t r = rnd() % 100, dur;

	memset(ev, 0, sizeof(*ev));
	if (churn) {
		ev_alloc(ev, bt, wk);
	} else if (r < 25) {
		ev_block(ev, wk, nthreads);
	} else if (r < 40) {
		ev->type = FMT_EV_MUTEX_WAKE;
		ev->f[FMT_F_MUTEX_WAKE_obj] = LOCK(r & 3);
		ev->f[FMT_F_MUTEX_WAKE_stack] = stk();
	} else if (r < 45) {
		dur = 10000 + rnd() % 200000;
		ev->type = FMT_EV_COND_WAIT;
		ev->f[FMT_F_COND_WAIT_dur] = dur;
		ev->f[FMT_F_COND_WAIT_obj] = LOCK(8);
		ev->f[FMT_F_COND_WAIT_mutex] = LOCK(0);
		ev->f[FMT_F_COND_WAIT_waker] = 1001 + rnd() % nthreads;
		ev->f[FMT_F_COND_WAIT_wake_dt] = 2000;
		ev->f[FMT_F_COND_WAIT_stack] = stk();
	} else if (r < 50) {
		ev->type = FMT_EV_COND_SIGNAL;
		ev->f[FMT_F_COND_SIGNAL_obj] = LOCK(8);
		ev->f[FMT_F_COND_SIGNAL_stack] = stk();
	} else if (r < 65) {
		ev->type = r & 1 ? FMT_EV_READ : FMT_EV_WRITE;
		ev->f[FMT_F_READ_dur] = 2000 + rnd() % 20000;
		ev->f[FMT_F_READ_fd] = 3 + r % 5;
		ev->f[FMT_F_READ_bytes] = 4096;
		ev->f[FMT_F_READ_result] = 4096;
		ev->f[FMT_F_READ_call] = r & 1 ? FMT_CALL_read : FMT_CALL_write;
		ev->f[FMT_F_READ_stack] = stk();
	} else if (r < 68) {
		ev->type = FMT_EV_POLL;
		ev->f[FMT_F_POLL_dur] = 10000 + rnd() % 100000;
		ev->f[FMT_F_POLL_fd] = (uint64_t)-1;
		ev->f[FMT_F_POLL_nfds] = 2;
		ev->f[FMT_F_POLL_timeout] = 1000000;
		ev->f[FMT_F_POLL_result] = 1;
		ev->f[FMT_F_POLL_call] = FMT_CALL_poll;
		ev->f[FMT_F_POLL_stack] = stk();
	} else if (r < 70) {
		ev->type = FMT_EV_SLEEP;
		ev->f[FMT_F_SLEEP_dur] = 100000;
		ev->f[FMT_F_SLEEP_req] = 100000;
		ev->f[FMT_F_SLEEP_call] = FMT_CALL_usleep;
		ev->f[FMT_F_SLEEP_stack] = stk();
	} else if (r < 72) {
		ev->type = FMT_EV_FUTEX_WAIT;
		ev->f[FMT_F_FUTEX_WAIT_dur] = 5000;
		ev->f[FMT_F_FUTEX_WAIT_obj] = LOCK(12);
		ev->f[FMT_F_FUTEX_WAIT_waker] = 1001 + rnd() % nthreads;
		ev->f[FMT_F_FUTEX_WAIT_wake_dt] = 100;
		ev->f[FMT_F_FUTEX_WAIT_stack] = stk();
	} else {
		ev_alloc(ev, bt, wk);
	}
	ev->ts = wk->ts;
	dur = fmt_event_info(ev->type)->kinds[0] == 'd' ? ev->f[FMT_F_DUR] : 0;
	wk->ts += dur + 200 + rnd() % 2000;
}

/* the main thread: creates at the start, joins (in order) at the end */
static void main_thread(uint64_t start, uint64_t nthreads, int end,
			struct worker *wk)
{
	struct fmt_event ev;
	struct batch bt = { 0 };
	uint64_t i, ts = end ? wk[0].ts - 5000 : start, base = ts, stop;

	batch_begin(&bt, PID, ts);
	for (i = 0; i < nthreads; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.ts = ts;
		if (end) {
			stop = (wk[i].ts > ts ? wk[i].ts : ts) + 100;
			ev.type = FMT_EV_THREAD_JOIN;
			ev.f[FMT_F_THREAD_JOIN_dur] = stop - ts;
			ev.f[FMT_F_THREAD_JOIN_handle] = HANDLE(i);
			ev.f[FMT_F_THREAD_JOIN_stack] = 1;
			ts = stop;
		} else {
			ev.type = FMT_EV_THREAD_CREATE;
			ev.f[FMT_F_THREAD_CREATE_handle] = HANDLE(i);
			ev.f[FMT_F_THREAD_CREATE_routine] = ROUTINE;
			ev.f[FMT_F_THREAD_CREATE_stack] = 1;
			ts += 1000;
		}
		emit(&bt, &ev);
	}
	batch_end(&bt, PID, base);
	fmt_buf_free(&bt.b);
}

static void put_header(int fd)
{
	struct fmt_file_header h = { 0 };
	int err;

	h.features = FMT_FEAT_STACKS;
	h.start_realtime = 1700000000000000000ull;
	h.start_monotonic = 1000000000ull;
	h.clock_id = 1;
	h.collector_pid = 999;
	w = fmt_writer_open(fd, &h, &err);
	if (!w) {
		fprintf(stderr, "gen-trace: %s\n", fmt_strerror(err));
		exit(1);
	}
}

static void put_process(uint64_t ts)
{
	static const uint8_t argv[] = { 3, 'g', 'e', 'n' };
	struct fmt_process p = {
		.pid = PID, .ppid = 1, .image = IMAGE, .ts = ts,
		.flags = FMT_PROC_ROOT, .exe = "/usr/bin/gen", .exe_len = 12,
		.argc = 1, .argv = { argv, argv + sizeof(argv), 0 },
	};

	fmt_put_process(&rec, &p);
	put(FMT_REC_PROCESS);
}

static void worker_batch(struct worker *wk, uint64_t nthreads, int first)
{
	struct fmt_event ev;
	static struct batch bt;
	uint64_t base = wk->ts, i;

	batch_begin(&bt, wk->tid, base);
	if (first) {
		memset(&ev, 0, sizeof(ev));
		ev.type = FMT_EV_THREAD_START;
		ev.ts = wk->ts;
		ev.f[FMT_F_THREAD_START_parent] = PID;
		ev.f[FMT_F_THREAD_START_handle] = HANDLE(wk->tid - 1001);
		ev.f[FMT_F_THREAD_START_routine] = ROUTINE;
		emit(&bt, &ev);
	}
	for (i = 0; i < BATCH; i++) {
		next_event(&ev, &bt, wk, nthreads);
		emit(&bt, &ev);
	}
	batch_end(&bt, wk->tid, base);
}

static void worker_end(struct worker *wk)
{
	struct fmt_event ev = { 0 };
	struct batch bt = { 0 };

	batch_begin(&bt, wk->tid, wk->ts);
	ev.type = FMT_EV_THREAD_END;
	ev.ts = wk->ts;
	emit(&bt, &ev);
	batch_end(&bt, wk->tid, wk->ts);
	fmt_buf_free(&bt.b);
}

static void put_end(uint64_t ts)
{
	fmt_put_process_end(&rec, &(struct fmt_process_end){
		.pid = PID, .image = IMAGE, .ts = ts, .how = FMT_PEND_EXIT });
	put(FMT_REC_PROCESS_END);
	fmt_put_end(&rec, &(struct fmt_end){
		.ts = ts, .nevents = nevents, .nprocesses = 1 });
	put(FMT_REC_END);
}

/* ---- -R: one tid, four threads ---- */

#define MS		1000000ull
#define REUSED		1001	/* the tid four threads had */

/* one event at start + at ms, its first six fields in the schema's order
 * (stack/string ids among them) */
static void ev_at(struct batch *bt, uint64_t start, double at,
		  unsigned type, uint64_t f0, uint64_t f1, uint64_t f2,
		  uint64_t f3, uint64_t f4, uint64_t f5)
{
	struct fmt_event ev = { .type = type };
	const uint64_t v[] = { f0, f1, f2, f3, f4, f5 };

	ev.ts = start + (uint64_t)(at * MS);
	memcpy(ev.f, v, sizeof(v));
	emit(bt, &ev);
}

/*
 * The main thread (tid PID) creates, names and joins four threads that
 * all had tid REUSED, one after the other.  Times in ms after start:
 *   #1  2..11   names itself "first", sleeps 4..9
 *   #2  20..50  named "second" by main; signals main's cond wait 25..35
 *               at 34 (main's batch is read before #2's: the waker is
 *               resolved once #2 is read)
 *   #3  60..    its THREAD_END was lost; wakes main's mutex block 70..75
 *               at 74; ends where #4 starts: 80
 *   #4  80..90  named "fourth" by main
 * main's lifetime is the process's, 0..100.  All four have one pthread
 * handle, as threads created and joined in turn do.  Batches: #1, main
 * to 40, #2, #3, #4, main from 50 (whose creates at 59 and 79 are read
 * after both threads they made started).
 */
static void reuse_trace(uint64_t start)
{
	struct batch bt = { 0 };
	uint64_t b = start;

	put_string(100, "first");
	put_string(101, "second");
	put_string(102, "fourth");
	batch_begin(&bt, REUSED, b = start + 2 * MS);
	ev_at(&bt, start, 2, FMT_EV_THREAD_START, PID, HANDLE(0), ROUTINE,
	      0, 0, 0);
	ev_at(&bt, start, 3, FMT_EV_THREAD_NAME, HANDLE(0), 100, 0, 0, 0, 0);
	ev_at(&bt, start, 4, FMT_EV_SLEEP, 5 * MS, 5 * MS, 0,
	      FMT_CALL_usleep, 1, 0);
	ev_at(&bt, start, 11, FMT_EV_THREAD_END, 0, 0, 0, 0, 0, 0);
	batch_end(&bt, REUSED, b);
	batch_begin(&bt, PID, b = start + 1 * MS);
	ev_at(&bt, start, 1, FMT_EV_THREAD_CREATE, HANDLE(0), ROUTINE, 0, 1,
	      0, 0);
	ev_at(&bt, start, 12, FMT_EV_THREAD_JOIN, 1 * MS, HANDLE(0), 0, 0, 1,
	      0);
	ev_at(&bt, start, 19, FMT_EV_THREAD_CREATE, HANDLE(0), ROUTINE, 0, 1,
	      0, 0);
	ev_at(&bt, start, 20.5, FMT_EV_THREAD_NAME, HANDLE(0), 101, 0, 0, 0,
	      0);
	ev_at(&bt, start, 25, FMT_EV_COND_WAIT, 10 * MS, LOCK(8), LOCK(0), 0,
	      REUSED, 1 * MS);
	batch_end(&bt, PID, b);
	batch_begin(&bt, REUSED, b = start + 20 * MS);
	ev_at(&bt, start, 20, FMT_EV_THREAD_START, PID, HANDLE(0), ROUTINE,
	      0, 0, 0);
	ev_at(&bt, start, 34, FMT_EV_COND_SIGNAL, LOCK(8), 0, 1, 0, 0, 0);
	ev_at(&bt, start, 50, FMT_EV_THREAD_END, 0, 0, 0, 0, 0, 0);
	batch_end(&bt, REUSED, b);
	batch_begin(&bt, REUSED, b = start + 60 * MS);
	ev_at(&bt, start, 60, FMT_EV_THREAD_START, PID, HANDLE(0), ROUTINE,
	      0, 0, 0);
	ev_at(&bt, start, 74, FMT_EV_MUTEX_WAKE, LOCK(0), 1, 0, 0, 0, 0);
	batch_end(&bt, REUSED, b);
	batch_begin(&bt, REUSED, b = start + 80 * MS);
	ev_at(&bt, start, 80, FMT_EV_THREAD_START, PID, HANDLE(0), ROUTINE,
	      0, 0, 0);
	ev_at(&bt, start, 90, FMT_EV_THREAD_END, 0, 0, 0, 0, 0, 0);
	batch_end(&bt, REUSED, b);
	batch_begin(&bt, PID, b = start + 51 * MS);
	ev_at(&bt, start, 51, FMT_EV_THREAD_JOIN, 1 * MS, HANDLE(0), 0, 0, 1,
	      0);
	ev_at(&bt, start, 59, FMT_EV_THREAD_CREATE, HANDLE(0), ROUTINE, 0, 1,
	      0, 0);
	ev_at(&bt, start, 70, FMT_EV_MUTEX_BLOCK, 5 * MS, LOCK(0), REUSED, 0,
	      REUSED, 1 * MS);
	ev_at(&bt, start, 79, FMT_EV_THREAD_CREATE, HANDLE(0), ROUTINE, 0, 1,
	      0, 0);
	ev_at(&bt, start, 85, FMT_EV_THREAD_NAME, HANDLE(0), 102, 0, 0, 0,
	      0);
	ev_at(&bt, start, 91, FMT_EV_THREAD_JOIN, 1 * MS, HANDLE(0), 0, 0, 1,
	      0);
	batch_end(&bt, PID, b);
	fmt_buf_free(&bt.b);
	put_end(start + 100 * MS);
}

/* ---- -F: a trace from a later version, with its SCHEMA ---- */

#define FUTURE_CODE	127	/* a code this version does not define */

/* one event's raw file form: code, ts delta, then its fields by kinds,
 * plain uvars but for the addresses */
static void raw_event(struct batch *bt, unsigned code, uint64_t ts,
		      const uint64_t *f, const char *kinds)
{
	uint8_t *p;

	fmt_buf_reserve(&bt->b, 16 + 20 * strlen(kinds));
	p = bt->b.p + bt->b.len;
	*p++ = (uint8_t)code;
	p = fmt_put_uvar(p, ts - bt->prev);
	for (; *kinds; kinds++, f++)
		p = *kinds == 'a' ? fmt_put_addr(p, *f, &bt->ad) :
				    fmt_put_uvar(p, *f);
	bt->b.len = p - bt->b.p;
	bt->prev = ts;
	bt->n++;
}

/*
 * A later writer's trace: its SCHEMA gives sleep a sixth field, an
 * address, and defines code 127 ("ua"), and its one batch has sleep,
 * three 127s, sleep again and two allocs (unless no_schema, which
 * leaves out the SCHEMA).  The allocs' addresses are a slot and a delta
 * that only a reader who followed the skipped fields' addresses gets
 * right.
 */
#define FU_ADDR		0x55550000100aull
#define SLACK_ADDR	0x7f0000001000ull
static void future_trace(uint64_t start, int no_schema)
{
	const struct fmt_event_info *in;
	struct batch bt = { 0 };
	uint64_t sl[6] = { 5 * MS, 5 * MS, 0, FMT_CALL_usleep, 1,
			   SLACK_ADDR };
	uint64_t fu[2] = { 1, FU_ADDR };
	struct fmt_event al = { .type = FMT_EV_ALLOC };
	unsigned code, i;

	if (!no_schema) {
		for (code = 0, i = 0; code < FMT_EV_MAX; code++)
			i += fmt_event_info(code) != NULL;
		fmt_buf_uvar(&rec, i + 1);
		for (code = 0; code < FMT_EV_MAX; code++) {
			if (!(in = fmt_event_info(code)))
				continue;
			if (code == FMT_EV_SLEEP)
				fmt_put_schema_entry(&rec, code, in->family,
						     "dusuka", "dur req result "
						     "call stack slack");
			else
				fmt_put_schema_entry(&rec, code, in->family,
						     in->kinds, in->fields);
		}
		fmt_put_schema_entry(&rec, FUTURE_CODE, FMT_FAM_USER, "ua",
				     "a b");
		put(FMT_REC_SCHEMA);
	}
	batch_begin(&bt, PID, start);
	raw_event(&bt, FMT_EV_SLEEP, start + 1 * MS, sl, "dusuka");
	for (i = 0; i < 3; i++)
		raw_event(&bt, FUTURE_CODE, start + (2 + i) * MS, fu, "ua");
	raw_event(&bt, FMT_EV_SLEEP, start + 6 * MS, sl, "dusuka");
	nevents += 5;
	al.ts = start + 7 * MS;
	al.f[FMT_F_ALLOC_addr] = FU_ADDR;
	al.f[FMT_F_ALLOC_size] = 16;
	al.f[FMT_F_ALLOC_call] = FMT_CALL_malloc;
	al.f[FMT_F_ALLOC_stack] = 1;
	emit(&bt, &al);
	al.ts = start + 8 * MS;
	al.f[FMT_F_ALLOC_addr] = SLACK_ADDR;
	emit(&bt, &al);
	batch_end(&bt, PID, start);
	fmt_buf_free(&bt.b);
	put_end(start + 10 * MS);
}

static void usage(void)
{
	fprintf(stderr, "usage: gen-trace [-n EVENTS] [-t THREADS] "
		"[-s SEED] [-r] [-a] [-R] [-F [-N]] OUT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t target = 50000000, nthreads = 16, i, leaked = 0, lbytes = 0;
	uint64_t start = 2000000000ull, last = 0;
	struct worker *wk;
	int opt, fd, r, redefine = 0, reuse = 0, future = 0, no_schema = 0;

	rng_state = 42;
	while ((opt = getopt(argc, argv, "n:t:s:raRFN")) != -1) {
		if (opt == 'n')
			target = strtoull(optarg, NULL, 0);
		else if (opt == 't')
			nthreads = strtoull(optarg, NULL, 0);
		else if (opt == 's')
			rng_state = strtoull(optarg, NULL, 0) | 1;
		else if (opt == 'r')
			redefine = 1;
		else if (opt == 'a')
			churn = 1;
		else if (opt == 'R')
			reuse = 1;
		else if (opt == 'F')
			future = 1;
		else if (opt == 'N')
			no_schema = 1;
		else
			usage();
	}
	if (optind != argc - 1 || nthreads < 2 || nthreads > 4096)
		usage();
	fd = open(argv[optind], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[optind]);
		return 1;
	}
	put_header(fd);
	put_process(start);
	put_tables();
	if (reuse || future) {
		if (reuse)
			reuse_trace(start);
		else
			future_trace(start, no_schema);
		if (fmt_writer_close(w) || close(fd)) {
			fprintf(stderr, "gen-trace: cannot write the trace\n");
			return 1;
		}
		printf("events=%" PRIu64 "\n", nevents);
		return 0;
	}
	if (redefine)
		put_redefinitions();
	wk = calloc(nthreads, sizeof(*wk));
	main_thread(start + 1000, nthreads, 0, wk);
	for (i = 0; i < nthreads; i++) {
		wk[i].tid = 1001 + i;
		wk[i].ts = start + 10000 + i * 1000;
		wk[i].next_addr = 0x10000000 * (i + 1);
	}
	for (r = 0; nevents < target; r++)
		for (i = 0; i < nthreads; i++)
			worker_batch(&wk[i], nthreads, r == 0);
	for (i = 0; i < nthreads; i++) {
		worker_end(&wk[i]);
		for (r = 0; r < RING; r++)
			if (wk[i].live[r]) {
				leaked++;
				lbytes += wk[i].live_size[r];
			}
	}
	main_thread(0, nthreads, 1, wk);
	for (i = 0; i < nthreads; i++)
		if (wk[i].ts > last)
			last = wk[i].ts;
	last += 100 * nthreads;
	put_end(last + 100000);
	if (fmt_writer_close(w) || close(fd)) {
		fprintf(stderr, "gen-trace: cannot write the trace\n");
		return 1;
	}
	printf("events=%" PRIu64 " allocs=%" PRIu64 " alloc_bytes=%" PRIu64
	       " leaked=%" PRIu64 " leaked_bytes=%" PRIu64 "\n", nevents,
	       nallocs, alloc_bytes, leaked, lbytes);
	return 0;
}
