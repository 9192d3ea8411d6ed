/*
 * test-states.c - the analyzer's per-thread state accounting (states.c):
 * the split of the residue by scheduler readings, blocks that hold a
 * reading read after it, unfinished calls, the lifetime, the on-CPU
 * histogram, and that the states of every thread sum to its lifetime
 * exactly, on hand-made and on seeded random event streams.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/states.h"
#include "rng.h"
#include "tap.h"

struct world {
	struct ana_trace t;
	struct ana_proc p;
	struct ana_thread th[4];
	struct ana_states s;
};

static void world_init(struct world *w, uint64_t pstart, uint64_t pend)
{
	int i;

	memset(w, 0, sizeof(*w));
	w->p.pid = 100;
	w->p.ts = pstart;
	w->p.ended = pend != 0;
	w->p.end_ts = pend;
	w->t.st.have_ts = 1;
	w->t.st.first_ts = pstart;
	w->t.st.last_ts = pend ? pend : pstart;
	for (i = 0; i < 4; i++)
		w->th[i].tid = 100 + i;
	ana_states_init(&w->s);
}

/* what trace.c's account() does before an analysis sees an event */
static void feed(struct world *w, int k, unsigned type, uint64_t ts,
		 const uint64_t *f, unsigned nf)
{
	struct ana_thread *th = &w->th[k];
	struct fmt_event ev = { 0 };
	struct ana_block b;

	ev.type = type;
	ev.ts = ts;
	memcpy(ev.f, f, nf * sizeof(*f));
	if (!th->nevents++ || ts < th->first_ts)
		th->first_ts = ts;
	if (ts > th->last_ts)
		th->last_ts = ts;
	if (ts > w->t.st.last_ts)
		w->t.st.last_ts = ts;
	if (type == FMT_EV_THREAD_START && !th->has_start) {
		th->has_start = 1;
		th->start_ts = ts;
	}
	ana_states_event(&w->s, &w->p, th, &ev,
			 ana_block_of(&ev, &b) ? &b : NULL);
}

static void start(struct world *w, int k, uint64_t ts)
{
	uint64_t f[FMT_NF_THREAD_START] = {
		[FMT_F_THREAD_START_parent] = 100,
		[FMT_F_THREAD_START_handle] = 0x1000 + k,
		[FMT_F_THREAD_START_routine] = 0x2000,
	};

	feed(w, k, FMT_EV_THREAD_START, ts, f, FMT_NF_THREAD_START);
}

static void end(struct world *w, int k, uint64_t ts)
{
	uint64_t f[FMT_NF_THREAD_END] = { [FMT_F_THREAD_END_how] = 0 };

	feed(w, k, FMT_EV_THREAD_END, ts, f, FMT_NF_THREAD_END);
}

/* a SCHED reading (why: block) */
static void sched(struct world *w, int k, uint64_t ts, unsigned src,
		  uint64_t run, uint64_t wait)
{
	uint64_t f[FMT_NF_SCHED] = {
		[FMT_F_SCHED_why] = FMT_SCHED_BLOCK, [FMT_F_SCHED_src] = src,
		[FMT_F_SCHED_run] = run, [FMT_F_SCHED_wait] = wait,
	};

	feed(w, k, FMT_EV_SCHED, ts, f, FMT_NF_SCHED);
}

static void sample(struct world *w, int k, uint64_t ts, uint64_t run,
		   uint64_t wait)
{
	uint64_t f[FMT_NF_CPU_SAMPLE] = {
		[FMT_F_CPU_SAMPLE_period] = 10,
		[FMT_F_CPU_SAMPLE_src] = FMT_SCHED_SRC_SCHEDSTAT,
		[FMT_F_CPU_SAMPLE_run] = run, [FMT_F_CPU_SAMPLE_wait] = wait,
	};

	feed(w, k, FMT_EV_CPU_SAMPLE, ts, f, FMT_NF_CPU_SAMPLE);
}

/* a cond_wait from ts for dur ns, nobody known to have woken it */
static void cond_wait(struct world *w, int k, uint64_t ts, uint64_t dur)
{
	uint64_t f[FMT_NF_COND_WAIT] = {
		[FMT_F_COND_WAIT_dur] = dur, [FMT_F_COND_WAIT_obj] = 0x10,
		[FMT_F_COND_WAIT_mutex] = 0x20,
	};

	feed(w, k, FMT_EV_COND_WAIT, ts, f, FMT_NF_COND_WAIT);
}

/* a read of 10 bytes from fd 3 */
static void rd(struct world *w, int k, uint64_t ts, uint64_t dur)
{
	uint64_t f[FMT_NF_READ] = {
		[FMT_F_READ_dur] = dur, [FMT_F_READ_fd] = 3,
		[FMT_F_READ_bytes] = 10, [FMT_F_READ_result] = 10,
		[FMT_F_READ_call] = FMT_CALL_read,
	};

	feed(w, k, FMT_EV_READ, ts, f, FMT_NF_READ);
}

/* a cond_wait unfinished at exit */
static void unfinished(struct world *w, int k, uint64_t ts, uint64_t dur)
{
	uint64_t f[FMT_NF_UNFINISHED] = {
		[FMT_F_UNFINISHED_dur] = dur,
		[FMT_F_UNFINISHED_type] = FMT_EV_COND_WAIT,
		[FMT_F_UNFINISHED_obj] = 0x10,
		[FMT_F_UNFINISHED_fd] = (uint64_t)-1,
	};

	feed(w, k, FMT_EV_UNFINISHED, ts, f, FMT_NF_UNFINISHED);
}

static struct ana_tstate *ts_of(struct world *w, int k)
{
	size_t i;

	for (i = 0; i < w->s.n; i++)
		if (w->s.list[i]->th == &w->th[k])
			return w->s.list[i];
	return NULL;
}

static uint64_t sum(const struct ana_tstate *ts)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < ANA_NSTATES; i++)
		n += ts->ns[i];
	return n;
}

/* running runnable sync io unknown, and the lifetime */
static int is(const struct ana_tstate *ts, uint64_t life, uint64_t run,
	      uint64_t rq, uint64_t sync, uint64_t io, uint64_t unk)
{
	if (!ts || ts->lifetime != life || ts->ns[ANA_RUNNING] != run ||
	    ts->ns[ANA_RUNNABLE] != rq || ts->ns[ANA_SYNC] != sync ||
	    ts->ns[ANA_IO] != io || ts->ns[ANA_UNKNOWN] != unk ||
	    sum(ts) != ts->lifetime) {
		if (ts)
			printf("# life %llu run %llu rq %llu sync %llu io %llu "
			       "unk %llu\n", (unsigned long long)ts->lifetime,
			       (unsigned long long)ts->ns[ANA_RUNNING],
			       (unsigned long long)ts->ns[ANA_RUNNABLE],
			       (unsigned long long)ts->ns[ANA_SYNC],
			       (unsigned long long)ts->ns[ANA_IO],
			       (unsigned long long)ts->ns[ANA_UNKNOWN]);
		return 0;
	}
	return 1;
}

static void test_no_readings(void)
{
	struct world w;

	world_init(&w, 0, 1000);
	start(&w, 1, 0);
	cond_wait(&w, 1, 100, 200);
	end(&w, 1, 1000);
	ana_states_done(&w.s, &w.t);
	ok(is(ts_of(&w, 1), 1000, 0, 0, 200, 0, 800),
	   "no readings: the residue is unknown, never running");
	ok(!ana_states_have_sched(&w.s), "no readings: no scheduler data");
	ana_states_free(&w.s);
}

static void test_split(void)
{
	struct world w;

	world_init(&w, 0, 1000);
	start(&w, 1, 0);
	sched(&w, 1, 0, FMT_SCHED_SRC_SCHEDSTAT, 0, 0);
	rd(&w, 1, 100, 300);
	sched(&w, 1, 1000, FMT_SCHED_SRC_SCHEDSTAT, 500, 200);
	end(&w, 1, 1000);
	/* more CPU than residue: capped, nothing left for the run queue */
	start(&w, 2, 0);
	sched(&w, 2, 0, FMT_SCHED_SRC_SCHEDSTAT, 0, 0);
	rd(&w, 2, 100, 300);
	sched(&w, 2, 1000, FMT_SCHED_SRC_SCHEDSTAT, 900, 50);
	end(&w, 2, 1000);
	/* the CPU clock only: no run-queue time */
	start(&w, 3, 0);
	sched(&w, 3, 0, FMT_SCHED_SRC_CPUCLOCK, 0, 0);
	rd(&w, 3, 100, 300);
	sched(&w, 3, 1000, FMT_SCHED_SRC_CPUCLOCK, 400, 0);
	end(&w, 3, 1000);
	ana_states_done(&w.s, &w.t);
	ok(is(ts_of(&w, 1), 1000, 500, 200, 0, 300, 0),
	   "schedstat: on-CPU then runnable laid on the residue");
	ok(is(ts_of(&w, 2), 1000, 700, 0, 0, 300, 0),
	   "on-CPU capped by the residue");
	ok(is(ts_of(&w, 3), 1000, 400, 0, 0, 300, 300),
	   "CPU clock only: nothing runnable, the rest unknown");
	ok(ana_states_have_sched(&w.s) &&
	   w.s.nreadings[FMT_SCHED_SRC_SCHEDSTAT] == 4 &&
	   w.s.nreadings[FMT_SCHED_SRC_CPUCLOCK] == 2,
	   "readings counted by source");
	ana_states_free(&w.s);
}

static void test_residue_edges(void)
{
	struct world w;

	/* residue before the first and after the last reading: unknown */
	world_init(&w, 0, 1000);
	start(&w, 1, 0);
	sched(&w, 1, 200, FMT_SCHED_SRC_SCHEDSTAT, 0, 0);
	sched(&w, 1, 700, FMT_SCHED_SRC_SCHEDSTAT, 300, 100);
	end(&w, 1, 1000);
	/* SRC_NONE explains nothing */
	start(&w, 2, 0);
	sched(&w, 2, 0, FMT_SCHED_SRC_NONE, 0, 0);
	sched(&w, 2, 1000, FMT_SCHED_SRC_NONE, 0, 0);
	end(&w, 2, 1000);
	start(&w, 3, 0);
	sched(&w, 3, 0, FMT_SCHED_SRC_SCHEDSTAT, 0, 0);
	sched(&w, 3, 400, FMT_SCHED_SRC_NONE, 0, 0);
	sched(&w, 3, 1000, FMT_SCHED_SRC_SCHEDSTAT, 600, 300);
	end(&w, 3, 1000);
	ana_states_done(&w.s, &w.t);
	ok(is(ts_of(&w, 1), 1000, 300, 100, 0, 0, 600),
	   "before the first and after the last reading: unknown");
	ok(is(ts_of(&w, 2), 1000, 0, 0, 0, 0, 1000),
	   "readings without a source explain nothing");
	ok(is(ts_of(&w, 3), 1000, 600, 300, 0, 0, 100),
	   "a reading without a source between two is passed over");
	ana_states_free(&w.s);
}

/*
 * A sample taken inside a call (it spun) is read before the call's
 * block: the blocked time up to the sample is only known then.  Without
 * the correction the first interval would get 180 ns on a CPU out of a
 * residue of 150.
 */
static void test_reading_inside_block(void)
{
	struct world w;

	world_init(&w, 0, 1000);
	start(&w, 1, 0);
	sample(&w, 1, 0, 0, 0);
	sample(&w, 1, 200, 180, 0);	/* inside [150, 600) */
	cond_wait(&w, 1, 150, 450);
	sample(&w, 1, 1000, 380, 100);
	end(&w, 1, 1000);
	ana_states_done(&w.s, &w.t);
	ok(is(ts_of(&w, 1), 1000, 150 + 200, 100, 450, 0, 100),
	   "a reading inside a block is split with the block's part");
	ana_states_free(&w.s);
}

/*
 * A worker blocked in cond_wait at exit: the UNFINISHED event comes at
 * the exit, after the exit's reading, and runs a little past the
 * process's end: cut there.  No THREAD_END: the lifetime ends with the
 * process.
 */
static void test_unfinished(void)
{
	struct world w;
	const struct ana_tstate *ts;

	world_init(&w, 50, 1000);
	feed(&w, 0, FMT_EV_THREAD_CREATE, 90,
	     (uint64_t[]){ 0x1001, 0x2000, 0, 0 }, 4);
	sched(&w, 0, 1000, FMT_SCHED_SRC_SCHEDSTAT, 400, 0);
	start(&w, 1, 100);
	sched(&w, 1, 100, FMT_SCHED_SRC_SCHEDSTAT, 0, 0);
	sched(&w, 1, 1000, FMT_SCHED_SRC_SCHEDSTAT, 150, 20);
	unfinished(&w, 1, 300, 1200 - 300);
	/* flushed at 980, before the process's end: blocked to the end */
	start(&w, 2, 100);
	sched(&w, 2, 100, FMT_SCHED_SRC_SCHEDSTAT, 0, 0);
	unfinished(&w, 2, 300, 980 - 300);
	sched(&w, 2, 980, FMT_SCHED_SRC_SCHEDSTAT, 150, 20);
	ana_states_done(&w.s, &w.t);
	ts = ts_of(&w, 1);
	ok(is(ts, 900, 150, 20, 700, 0, 30) && ts->begin == 100 &&
	   ts->end == 1000, "unfinished: blocked to the process's end");
	ok(is(ts_of(&w, 2), 900, 150, 20, 700, 0, 30),
	   "unfinished: recorded before the process's end, blocked to it");
	ok(ts && ts->nunfinished == 1 && ts->nblocks[ANA_SYNC] == 1 &&
	   w.s.nunfinished == 2, "unfinished: counted");
	ts = ts_of(&w, 0);
	ok(ts && ts->begin == 50 && ts->end == 1000 && ts->lifetime == 950 &&
	   sum(ts) == 950 && ts->ns[ANA_RUNNING] == 0,
	   "main: from the process's start; one reading explains nothing");
	ana_states_free(&w.s);
}

static void test_lifetime(void)
{
	struct world w;
	const struct ana_tstate *ts;

	world_init(&w, 0, 1000);
	start(&w, 1, 100);
	end(&w, 1, 800);
	/* an event past its process's end: never stretched past it */
	start(&w, 2, 100);
	cond_wait(&w, 2, 900, 300);
	feed(&w, 2, FMT_EV_FD_CLOSE, 1100, (uint64_t[]){ 3, 0 }, 2);
	/* no THREAD_START: from its first event */
	cond_wait(&w, 3, 400, 100);
	ana_states_done(&w.s, &w.t);
	ts = ts_of(&w, 1);
	ok(ts && ts->begin == 100 && ts->end == 800 && sum(ts) == 700,
	   "lifetime: THREAD_START to THREAD_END");
	ts = ts_of(&w, 2);
	ok(ts && ts->end == 1000 && ts->ns[ANA_SYNC] == 100 &&
	   sum(ts) == 900, "lifetime: never past the process's end");
	ts = ts_of(&w, 3);
	ok(ts && ts->begin == 400 && ts->end == 1000 && sum(ts) == 600,
	   "lifetime: from the first event without a start");
	ana_states_free(&w.s);

	/* a process that never ended: to the trace's last timestamp */
	world_init(&w, 0, 0);
	start(&w, 1, 10);
	feed(&w, 2, FMT_EV_FD_CLOSE, 5000, (uint64_t[]){ 3, 0 }, 2);
	ana_states_done(&w.s, &w.t);
	ts = ts_of(&w, 1);
	ok(ts && ts->end == 5000 && ts->lifetime == 4990,
	   "lifetime: to the trace's end when the process did not end");
	ana_states_free(&w.s);
}

/* the on-CPU histogram holds exactly the on-CPU time */
static void test_hist(void)
{
	struct world w;
	const struct ana_tstate *a, *b;
	uint64_t ms = 1000000, lo = 0, hi = 10 * ms;
	double on;

	world_init(&w, 0, hi);
	start(&w, 1, 0);
	sched(&w, 1, 0, FMT_SCHED_SRC_SCHEDSTAT, 0, 0);
	sched(&w, 1, 3 * ms + 7, FMT_SCHED_SRC_SCHEDSTAT, 2 * ms + 1, 0);
	sched(&w, 1, hi, FMT_SCHED_SRC_SCHEDSTAT, 5 * ms + 3, 0);
	start(&w, 2, ms / 2);
	sched(&w, 2, ms / 2, FMT_SCHED_SRC_SCHEDSTAT, 0, 0);
	sched(&w, 2, hi - 1, FMT_SCHED_SRC_SCHEDSTAT, 4 * ms + 11, ms);
	ana_states_done(&w.s, &w.t);
	a = ts_of(&w, 1);
	b = ts_of(&w, 2);
	on = ana_hist_avg(&w.s.running, lo, hi) * (hi - lo);
	ok(a && b && on > a->ns[ANA_RUNNING] + b->ns[ANA_RUNNING] - 0.5 &&
	   on < a->ns[ANA_RUNNING] + b->ns[ANA_RUNNING] + 0.5,
	   "on-CPU histogram sums to the threads' on-CPU time (%.1f)", on);
	/* in [1, 2) ms: thread 1's first interval, thread 2's only one */
	on = ana_hist_avg(&w.s.running, ms, 2 * ms) -
	     (2.0 * ms + 1) / (3 * ms + 7) - (4.0 * ms + 11) / (hi - 1 - ms / 2);
	ok(on > -1e-6 && on < 1e-6,
	   "on-CPU spread evenly over its interval (off by %g)", on);
	on = ana_hist_avg(&w.s.runnable, lo, hi) * (hi - lo);
	ok(b && on > b->ns[ANA_RUNNABLE] - 0.5 &&
	   on < b->ns[ANA_RUNNABLE] + 0.5, "runnable histogram likewise");
	ana_states_free(&w.s);
}

/*
 * Seeded random streams: blocks, samples and long-call readings in
 * record order (samples may fall inside the call read after them),
 * counters that grow by at most the elapsed time, some ending in an
 * unfinished call.  Every thread's states sum to its lifetime, none
 * wraps, and the blocked states are the blocks' time.
 */
static void test_random(void)
{
	uint64_t ts, run, wait, d, bl, pend, blocked[4];
	struct world w;
	const struct ana_tstate *st;
	int round, k, bad = 0, nthreads = 0;

	rng_seed(9);
	for (round = 0; round < 200; round++) {
		pend = 1000000 + rng_next() % 1000000;
		world_init(&w, 0, pend);
		for (k = 1; k < 4; k++) {
			ts = rng_next() % 1000;
			run = wait = 0;
			blocked[k] = 0;
			start(&w, k, ts);
			sched(&w, k, ts, FMT_SCHED_SRC_SCHEDSTAT, 0, 0);
			while (ts < pend - 20000) {
				d = rng_next() % 10000;
				if (rng_next() % 2) {
					/* a call with samples inside it */
					bl = ts;
					ts += d;
					while (rng_next() % 3 == 0) {
						run += rng_next() % 50;
						sample(&w, k, ts - rng_next() %
						       (d + 1), run, wait);
					}
					rd(&w, k, bl, d);
					blocked[k] += d;
				} else {
					ts += d;
					run += rng_next() % (d + 1);
					wait += rng_next() % (d / 4 + 1);
					sample(&w, k, ts, run, wait);
				}
			}
			if (rng_next() % 2) {
				unfinished(&w, k, ts, pend + 10 - ts);
				blocked[k] += pend - ts;
			} else {
				end(&w, k, ts);
			}
		}
		ana_states_done(&w.s, &w.t);
		for (k = 1; k < 4; k++) {
			st = ts_of(&w, k);
			nthreads++;
			if (!st || sum(st) != st->lifetime ||
			    st->ns[ANA_UNKNOWN] > st->lifetime ||
			    st->ns[ANA_IO] + st->ns[ANA_SYNC] != blocked[k])
				bad++;
		}
		ana_states_free(&w.s);
	}
	ok(!bad, "random streams: states sum to the lifetime exactly, "
	   "blocked states are the blocks (%d of %d threads wrong)", bad,
	   nthreads);
}

int main(void)
{
	test_no_readings();
	test_split();
	test_residue_edges();
	test_reading_inside_block();
	test_unfinished();
	test_lifetime();
	test_hist();
	test_random();
	return tap_done();
}
