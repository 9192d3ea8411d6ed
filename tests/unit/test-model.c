/*
 * test-model.c - the analyzer's state model (model.c) against a table
 * written here by hand: for every event type of FMT_EVENT_LIST, whether
 * it blocks, in which state, and which of its fields are the object (or
 * fd), the stack, the waker, the holder and the bytes; the same for each
 * type as an UNFINISHED call; then a few short event sequences through
 * states.c with their exact intervals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/states.h"
#include "tap.h"

/* what a blocking type must give; -1: the event has no such field */
struct want {
	unsigned type;
	int state, obj, fd, waker, wake_dt, holder, bytes;
};

static const struct want wants[] = {
	{ FMT_EV_THREAD_JOIN, ANA_JOIN, -1, -1, -1, -1, -1, -1 },
	{ FMT_EV_MUTEX_BLOCK, ANA_SYNC, FMT_F_MUTEX_BLOCK_obj, -1,
	  FMT_F_MUTEX_BLOCK_waker, FMT_F_MUTEX_BLOCK_wake_dt,
	  FMT_F_MUTEX_BLOCK_holder, -1 },
	{ FMT_EV_RWLOCK_BLOCK, ANA_SYNC, FMT_F_RWLOCK_BLOCK_obj, -1,
	  -1, -1, -1, -1 },
	{ FMT_EV_COND_WAIT, ANA_SYNC, FMT_F_COND_WAIT_obj, -1,
	  FMT_F_COND_WAIT_waker, FMT_F_COND_WAIT_wake_dt, -1, -1 },
	{ FMT_EV_SEM_WAIT, ANA_SYNC, FMT_F_SEM_WAIT_obj, -1,
	  FMT_F_SEM_WAIT_waker, FMT_F_SEM_WAIT_wake_dt, -1, -1 },
	{ FMT_EV_BARRIER_WAIT, ANA_SYNC, FMT_F_BARRIER_WAIT_obj, -1,
	  -1, -1, -1, -1 },
	{ FMT_EV_SPIN_BLOCK, ANA_SYNC, FMT_F_SPIN_BLOCK_obj, -1,
	  -1, -1, -1, -1 },
	{ FMT_EV_FUTEX_WAIT, ANA_SYNC, FMT_F_FUTEX_WAIT_obj, -1,
	  FMT_F_FUTEX_WAIT_waker, FMT_F_FUTEX_WAIT_wake_dt, -1, -1 },
	{ FMT_EV_READ, ANA_IO, -1, FMT_F_READ_fd, -1, -1, -1,
	  FMT_F_READ_bytes },
	{ FMT_EV_WRITE, ANA_IO, -1, FMT_F_WRITE_fd, -1, -1, -1,
	  FMT_F_WRITE_bytes },
	{ FMT_EV_ACCEPT, ANA_IO, -1, FMT_F_ACCEPT_fd, -1, -1, -1, -1 },
	{ FMT_EV_CONNECT, ANA_IO, -1, FMT_F_CONNECT_fd, -1, -1, -1, -1 },
	{ FMT_EV_POLL, ANA_WAIT, -1, FMT_F_POLL_fd, -1, -1, -1, -1 },
	{ FMT_EV_SLEEP, ANA_SLEEP, -1, -1, -1, -1, -1, -1 },
};
#define NWANTS	(sizeof(wants) / sizeof(wants[0]))

static const struct want *want_of(unsigned type)
{
	size_t i;

	for (i = 0; i < NWANTS; i++)
		if (wants[i].type == type)
			return &wants[i];
	return NULL;
}

/* field i of a made-up event: non-zero, different for every field */
static uint64_t val(unsigned i)
{
	return 0x100 * (i + 1) + 7;
}

static uint64_t at(const uint64_t *f, int i, uint64_t none)
{
	return i >= 0 ? f[i] : none;
}

/* one event of `type` with every field val(i): as model.c must read it */
static int check_type(unsigned type, const char *name)
{
	const struct fmt_event_info *in = fmt_event_info(type);
	const struct want *w = want_of(type);
	struct fmt_event ev = { .type = type, .ts = 1000000 };
	struct ana_block b;
	int got, stack = in->stack_field;
	unsigned i;

	for (i = 0; i < in->nfields; i++)
		ev.f[i] = val(i);
	got = ana_block_of(&ev, &b);
	if (!w)
		return !got && ana_state_of(type) < 0;
	if (!got || ana_state_of(type) != w->state || b.state !=
	    (enum ana_state)w->state || b.type != type || b.unfinished ||
	    b.start != ev.ts || b.dur != ev.f[FMT_F_DUR]) {
		printf("# %s: block %d, state %d\n", name, got,
		       got ? (int)b.state : ana_state_of(type));
		return 0;
	}
	return b.has_fd == (w->fd >= 0) &&
	       b.obj == at(ev.f, w->obj >= 0 ? w->obj : w->fd, 0) &&
	       b.stack == at(ev.f, stack, 0) &&
	       b.waker == at(ev.f, w->waker, 0) &&
	       b.wake_ts == (w->wake_dt >= 0 ?
			     ev.ts + b.dur - ev.f[w->wake_dt] : 0) &&
	       b.holder == at(ev.f, w->holder, 0) &&
	       b.bytes == (int64_t)at(ev.f, w->bytes, (uint64_t)-1);
}

/* a call of `type` unfinished at exit: the state its own event has */
static int check_unfinished(unsigned type)
{
	const struct want *w = want_of(type);
	struct fmt_event ev = { .type = FMT_EV_UNFINISHED, .ts = 5000 };
	struct ana_block b;
	int got;

	ev.f[FMT_F_UNFINISHED_dur] = 300;
	ev.f[FMT_F_UNFINISHED_type] = type;
	ev.f[FMT_F_UNFINISHED_obj] = 0x55;
	ev.f[FMT_F_UNFINISHED_fd] = 7;
	ev.f[FMT_F_UNFINISHED_call] = FMT_CALL_read;
	ev.f[FMT_F_UNFINISHED_stack] = 9;
	got = ana_block_of(&ev, &b);
	if (!w)
		return !got;
	return got && b.state == (enum ana_state)w->state &&
	       b.type == type && b.unfinished && b.start == 5000 &&
	       b.dur == 300 && b.has_fd == (w->fd >= 0) &&
	       b.obj == (w->fd >= 0 ? 7 : 0x55) && b.stack == 9 &&
	       !b.waker && !b.holder && b.bytes == -1;
}

static void test_types(void)
{
	unsigned listed = 0, blocking = 0, code;

#define FMT_X(name, code, fam, ...)					\
	ok(check_type(code, #name), "%s: %s", #name,			\
	   want_of(code) ? ana_state_name(want_of(code)->state) :	\
	   "no block");							\
	ok(check_unfinished(code), "unfinished %s: %s", #name,		\
	   want_of(code) ? "its state, obj or fd" : "no block");	\
	listed++;							\
	blocking += want_of(code) != NULL;
	FMT_EVENT_LIST(FMT_X)
#undef FMT_X
	ok(blocking == NWANTS, "every blocking type of the table is listed "
	   "(%u of %zu)", blocking, NWANTS);
	for (code = 0; code < 256; code++)
		if (!fmt_event_info(code) && ana_state_of(code) >= 0)
			break;
	ok(code == 256 && listed > NWANTS,
	   "a code without a schema has no state");
}

/* ---- sequences through states.c ---- */

struct world {
	struct ana_trace t;
	struct ana_proc p;
	struct ana_thread th;
	struct ana_states s;
};

static void world_init(struct world *w, uint64_t pstart, uint64_t pend)
{
	memset(w, 0, sizeof(*w));
	w->p.pid = 100;
	w->p.ts = pstart;
	w->p.ended = 1;
	w->p.end_ts = pend;
	w->t.st.have_ts = 1;
	w->t.st.first_ts = pstart;
	w->t.st.last_ts = pend;
	w->th.tid = 101;
	ana_states_init(&w->s);
}

/* what trace.c's account() does before an analysis sees ev */
static void feed(struct world *w, struct fmt_event *ev)
{
	struct ana_thread *th = &w->th;
	struct ana_block b;

	if (!th->nevents++ || ev->ts < th->first_ts)
		th->first_ts = ev->ts;
	if (ev->ts > th->last_ts)
		th->last_ts = ev->ts;
	if (ev->type == FMT_EV_THREAD_START && !th->has_start) {
		th->has_start = 1;
		th->start_ts = ev->ts;
	}
	ana_states_event(&w->s, &w->p, th, ev,
			 ana_block_of(ev, &b) ? &b : NULL);
}

static void start(struct world *w, uint64_t ts)
{
	struct fmt_event ev = { .type = FMT_EV_THREAD_START, .ts = ts };

	ev.f[FMT_F_THREAD_START_parent] = 100;
	ev.f[FMT_F_THREAD_START_handle] = 0x1000;
	ev.f[FMT_F_THREAD_START_routine] = 0x2000;
	feed(w, &ev);
}

static void end(struct world *w, uint64_t ts)
{
	struct fmt_event ev = { .type = FMT_EV_THREAD_END, .ts = ts };

	feed(w, &ev);
}

static void sched(struct world *w, uint64_t ts, uint64_t run, uint64_t wait)
{
	struct fmt_event ev = { .type = FMT_EV_SCHED, .ts = ts };

	ev.f[FMT_F_SCHED_why] = FMT_SCHED_BLOCK;
	ev.f[FMT_F_SCHED_src] = FMT_SCHED_SRC_SCHEDSTAT;
	ev.f[FMT_F_SCHED_run] = run;
	ev.f[FMT_F_SCHED_wait] = wait;
	feed(w, &ev);
}

/* a blocking event of type from ts for dur ns, its other fields 0 */
static void block(struct world *w, unsigned type, uint64_t ts, uint64_t dur)
{
	struct fmt_event ev = { .type = type, .ts = ts };

	ev.f[FMT_F_DUR] = dur;
	feed(w, &ev);
}

static const struct ana_tstate *tstate(struct world *w)
{
	return w->s.n == 1 ? w->s.list[0] : NULL;
}

/* the thread's ns in every state, in enum order, and its lifetime */
static int intervals(const struct ana_tstate *ts, uint64_t life,
		     const uint64_t ns[ANA_NSTATES])
{
	int i, good = ts && ts->lifetime == life;

	for (i = 0; good && i < ANA_NSTATES; i++)
		good = ts->ns[i] == ns[i];
	if (!good && ts)
		for (i = 0; i < ANA_NSTATES; i++)
			printf("# %s %llu\n", ana_state_name(i),
			       (unsigned long long)ts->ns[i]);
	return good;
}

static void test_blocked(void)
{
	struct world w;

	/* running runnable sync io wait sleep join unknown */
	static const uint64_t ns[ANA_NSTATES] = {
		300, 50, 200, 0, 100, 150, 0, 400
	};

	world_init(&w, 0, 2000);
	start(&w, 0);
	sched(&w, 0, 0, 0);
	block(&w, FMT_EV_MUTEX_BLOCK, 100, 200);
	block(&w, FMT_EV_POLL, 400, 100);
	block(&w, FMT_EV_SLEEP, 600, 150);
	sched(&w, 1000, 300, 50);
	end(&w, 1200);
	ana_states_done(&w.s, &w.t);
	ok(intervals(tstate(&w), 1200, ns),
	   "blocked intervals: sync, wait, sleep; the residue split by the "
	   "readings, after the last one unknown");
	ana_states_free(&w.s);
}

static void test_unfinished_to_end(void)
{
	struct world w;
	struct fmt_event ev = { .type = FMT_EV_UNFINISHED, .ts = 400 };
	const struct ana_tstate *ts;

	/* running runnable sync io wait sleep join unknown */
	static const uint64_t ns[ANA_NSTATES] = {
		0, 0, 0, 600, 0, 0, 0, 300
	};

	world_init(&w, 0, 1000);
	start(&w, 100);
	/* a read still blocked at the exit, flushed at 900 */
	ev.f[FMT_F_UNFINISHED_dur] = 500;
	ev.f[FMT_F_UNFINISHED_type] = FMT_EV_READ;
	ev.f[FMT_F_UNFINISHED_fd] = 3;
	feed(&w, &ev);
	ana_states_done(&w.s, &w.t);
	ts = tstate(&w);
	ok(intervals(ts, 900, ns) && ts->end == 1000 &&
	   ts->nunfinished == 1,
	   "unfinished at exit: blocked in io to the process's end");
	ana_states_free(&w.s);
}

static void test_unknown_first(void)
{
	struct world w;
	const struct ana_tstate *ts;

	/* running runnable sync io wait sleep join unknown */
	static const uint64_t ns[ANA_NSTATES] = {
		0, 0, 0, 0, 0, 0, 100, 500
	};

	/* no THREAD_START: from its first event, unknown until a reading */
	world_init(&w, 0, 1000);
	block(&w, FMT_EV_THREAD_JOIN, 400, 100);
	ana_states_done(&w.s, &w.t);
	ts = tstate(&w);
	ok(intervals(ts, 600, ns) && ts->begin == 400,
	   "no start and no reading: from the first event, the rest unknown, "
	   "never running");
	ana_states_free(&w.s);
}

int main(void)
{
	test_types();
	test_blocked();
	test_unfinished_to_end();
	test_unknown_first();
	return tap_done();
}
