/*
 * model.c - events as states: which event blocks in which state, and
 * where its fields are.  Field positions are looked up by name in the
 * schema once per type, so a field added to an event needs no change here.
 */
#include <string.h>

#include "model.h"

/* per event type: state (or -1) and the position of each field we use */
struct layout {
	int8_t state, dur, obj, fd, waker, wake_dt, holder, result, bytes;
	int8_t stack;
};

/* filled for every type at the first call: ana_block_of() runs for every
 * event, so its fast path is one table load and no per-type check */
static struct layout layouts[FMT_EV_MAX];
static int layouts_ready;

int ana_field(unsigned type, const char *name)
{
	const struct fmt_event_info *in = fmt_event_info(type);
	char buf[32];
	unsigned i;

	if (!in)
		return -1;
	for (i = 0; i < in->nfields; i++)
		if (!strcmp(fmt_field_name(in, i, buf, sizeof(buf)), name))
			return i;
	return -1;
}

static int state_of(unsigned type)
{
	const struct fmt_event_info *in = fmt_event_info(type);

	if (!in || in->kinds[0] != 'd' || type == FMT_EV_UNFINISHED)
		return -1;	/* blocking events start with their duration */
	if (type == FMT_EV_THREAD_JOIN)
		return ANA_JOIN;
	switch (in->family) {
	case FMT_FAM_SYNC:	return ANA_SYNC;
	case FMT_FAM_IO:	return ANA_IO;
	case FMT_FAM_WAIT:	return ANA_WAIT;
	case FMT_FAM_SLEEP:	return ANA_SLEEP;
	}
	return -1;
}

static void init_layouts(void)
{
	const struct fmt_event_info *in;
	struct layout *l;
	unsigned type;

	for (type = 0; type < FMT_EV_MAX; type++) {
		l = &layouts[type];
		in = fmt_event_info(type);
		l->state = state_of(type);
		l->dur = ana_field(type, "dur");
		l->obj = ana_field(type, "obj");
		l->fd = ana_field(type, "fd");
		l->waker = ana_field(type, "waker");
		l->wake_dt = ana_field(type, "wake_dt");
		l->holder = ana_field(type, "holder");
		l->result = ana_field(type, "result");
		l->bytes = ana_field(type, "bytes");
		l->stack = in ? in->stack_field : -1;
	}
	layouts_ready = 1;
}

/* UNFINISHED fields: dur type obj fd call stack */
enum { UNF_DUR, UNF_TYPE, UNF_OBJ, UNF_FD, UNF_CALL, UNF_STACK };

/* a call blocked at its process's exit, as the state its own event has */
static int unfinished_block(const struct fmt_event *ev, struct ana_block *b)
{
	const uint64_t *f = ev->f;
	const struct layout *l;

	if (f[UNF_TYPE] >= FMT_EV_MAX || layouts[f[UNF_TYPE]].state < 0)
		return 0;
	l = &layouts[f[UNF_TYPE]];
	b->state = l->state;
	b->type = f[UNF_TYPE];
	b->unfinished = 1;
	b->start = ev->ts;
	b->dur = f[UNF_DUR];
	b->has_fd = l->obj < 0 && l->fd >= 0;
	b->obj = b->has_fd ? f[UNF_FD] : f[UNF_OBJ];
	b->stack = f[UNF_STACK];
	b->waker = 0;
	b->wake_ts = 0;
	b->holder = 0;
	b->result = 0;
	b->bytes = -1;
	return 1;
}

int ana_block_of(const struct fmt_event *ev, struct ana_block *b)
{
	const struct layout *l;
	const uint64_t *f = ev->f;

	if (!layouts_ready)
		init_layouts();
	if (ev->type >= FMT_EV_MAX)
		return 0;
	l = &layouts[ev->type];
	if (l->state < 0)
		return ev->type == FMT_EV_UNFINISHED ? unfinished_block(ev, b)
						     : 0;
	/* every member is set: no memset of the whole block per event */
	b->state = l->state;
	b->type = ev->type;
	b->unfinished = 0;
	b->start = ev->ts;
	b->dur = f[l->dur];
	b->has_fd = l->obj < 0 && l->fd >= 0;
	b->obj = l->obj >= 0 ? f[l->obj] : b->has_fd ? f[l->fd] : 0;
	b->stack = l->stack >= 0 ? f[l->stack] : 0;
	b->waker = 0;
	b->wake_ts = 0;
	if (l->waker >= 0 && f[l->waker]) {
		b->waker = f[l->waker];
		if (l->wake_dt >= 0)
			b->wake_ts = ev->ts + b->dur - f[l->wake_dt];
	}
	b->holder = l->holder >= 0 ? f[l->holder] : 0;
	b->result = l->result >= 0 ? (int64_t)f[l->result] : 0;
	b->bytes = l->bytes >= 0 ? (int64_t)f[l->bytes] : -1;
	return 1;
}

const char *ana_state_name(enum ana_state s)
{
	static const char *const names[ANA_NSTATES] = {
		"running", "runnable", "sync", "io", "wait", "sleep", "join",
		"unknown",
	};

	return s < ANA_NSTATES ? names[s] : "?";
}

/* CPU_SAMPLE: period src run wait stack; SCHED: why src run wait */
int ana_sched_of(const struct fmt_event *ev, struct ana_sched *r)
{
	const uint64_t *f = ev->f;

	if (ev->type != FMT_EV_CPU_SAMPLE && ev->type != FMT_EV_SCHED)
		return 0;
	/* a source this reader does not know says nothing it can use */
	r->src = f[1] <= FMT_SCHED_SRC_CPUCLOCK ? f[1] : FMT_SCHED_SRC_NONE;
	r->ts = ev->ts;
	r->run = f[2];
	r->wait = f[3];
	return 1;
}

static uint64_t delta(uint64_t a, uint64_t b)
{
	return b > a ? b - a : 0;
}

void ana_sched_split(const struct ana_sched *a, const struct ana_sched *b,
		     uint64_t blocked, struct ana_split *out)
{
	uint64_t wall = delta(a->ts, b->ts), left, run, wait;

	left = blocked < wall ? wall - blocked : 0;
	out->running = out->runnable = 0;
	if (a->src != FMT_SCHED_SRC_NONE && b->src != FMT_SCHED_SRC_NONE) {
		run = delta(a->run, b->run);
		out->running = run < left ? run : left;
		left -= out->running;
	}
	if (a->src == FMT_SCHED_SRC_SCHEDSTAT &&
	    b->src == FMT_SCHED_SRC_SCHEDSTAT) {
		wait = delta(a->wait, b->wait);
		out->runnable = wait < left ? wait : left;
		left -= out->runnable;
	}
	out->unknown = left;
}
