/*
 * model.c - events as states: which event blocks in which state.  Where
 * its fields are comes from the schema (struct fmt_event_info `at`, by
 * field name), so a field added to an event needs no change here.
 */
#include "model.h"

static int state_of(unsigned type, const struct fmt_event_info *in)
{
	/* blocking events start with their duration; a repeat (the
	 * reader gives it back as what it repeats) is no call */
	if (!in || in->kinds[0] != 'd' || type == FMT_EV_UNFINISHED ||
	    fmt_is_repeat(type))
		return -1;
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

int ana_state_of(unsigned type)
{
	return state_of(type, fmt_event_info(type));
}

/* a call blocked at its process's exit, as the state its own event has */
static int unfinished_block(const struct fmt_event *ev, struct ana_block *b)
{
	const uint64_t *f = ev->f;
	uint64_t type = f[FMT_F_UNFINISHED_type];
	const struct fmt_event_info *in;
	int state;

	if (type >= FMT_EV_MAX)
		return 0;
	in = fmt_event_info(type);
	state = state_of(type, in);
	if (state < 0)
		return 0;
	b->state = state;
	b->type = type;
	b->unfinished = 1;
	b->start = ev->ts;
	b->dur = f[FMT_F_UNFINISHED_dur];
	b->has_fd = in->at.obj < 0 && in->at.fd >= 0;
	b->obj = b->has_fd ? f[FMT_F_UNFINISHED_fd] : f[FMT_F_UNFINISHED_obj];
	b->stack = f[FMT_F_UNFINISHED_stack];
	b->waker = 0;
	b->wake_ts = 0;
	/* (minor 8) as the hook read it; 0 in older files */
	b->holder = type == FMT_EV_MUTEX_BLOCK ? f[FMT_F_UNFINISHED_holder]
					       : 0;
	b->result = 0;
	b->bytes = -1;
	return 1;
}

int ana_block_of(const struct fmt_event *ev, struct ana_block *b)
{
	const struct fmt_event_info *in = fmt_event_info(ev->type);
	const struct fmt_roles *at;
	const uint64_t *f = ev->f;
	int state = state_of(ev->type, in);

	if (state < 0)
		return ev->type == FMT_EV_UNFINISHED ? unfinished_block(ev, b)
						     : 0;
	at = &in->at;
	/* every member is set: no memset of the whole block per event */
	b->state = state;
	b->type = ev->type;
	b->unfinished = 0;
	b->start = ev->ts;
	b->dur = f[at->dur];
	b->has_fd = at->obj < 0 && at->fd >= 0;
	b->obj = at->obj >= 0 ? f[at->obj] : b->has_fd ? f[at->fd] : 0;
	b->stack = in->stack_field >= 0 ? f[in->stack_field] : 0;
	b->waker = 0;
	b->wake_ts = 0;
	if (at->waker >= 0 && f[at->waker]) {
		b->waker = f[at->waker];
		if (at->wake_dt >= 0)
			b->wake_ts = ev->ts + b->dur - f[at->wake_dt];
	}
	b->holder = at->holder >= 0 ? f[at->holder] : 0;
	b->result = at->result >= 0 ? (int64_t)f[at->result] : 0;
	b->bytes = at->bytes >= 0 ? (int64_t)f[at->bytes] : -1;
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

/* a reading is read from either event by SCHED's names */
_Static_assert(FMT_F_CPU_SAMPLE_src == FMT_F_SCHED_src &&
	       FMT_F_CPU_SAMPLE_run == FMT_F_SCHED_run &&
	       FMT_F_CPU_SAMPLE_wait == FMT_F_SCHED_wait,
	       "CPU_SAMPLE and SCHED readings differ");

int ana_sched_of(const struct fmt_event *ev, struct ana_sched *r)
{
	uint64_t src = ev->f[FMT_F_SCHED_src];

	if (ev->type != FMT_EV_CPU_SAMPLE && ev->type != FMT_EV_SCHED)
		return 0;
	/* a source this reader does not know says nothing it can use */
	r->src = src <= FMT_SCHED_SRC_CPUCLOCK ? src : FMT_SCHED_SRC_NONE;
	r->ts = ev->ts;
	r->run = ev->f[FMT_F_SCHED_run];
	r->wait = ev->f[FMT_F_SCHED_wait];
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
