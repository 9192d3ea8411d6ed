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
	int8_t ready;
};

static struct layout layouts[FMT_EV_MAX];

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

	if (!in || in->kinds[0] != 'd')
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

static const struct layout *layout_of(unsigned type)
{
	struct layout *l = &layouts[type];

	if (!l->ready) {
		l->state = state_of(type);
		l->dur = ana_field(type, "dur");
		l->obj = ana_field(type, "obj");
		l->fd = ana_field(type, "fd");
		l->waker = ana_field(type, "waker");
		l->wake_dt = ana_field(type, "wake_dt");
		l->holder = ana_field(type, "holder");
		l->result = ana_field(type, "result");
		l->bytes = ana_field(type, "bytes");
		l->ready = 1;
	}
	return l;
}

int ana_block_of(const struct fmt_event *ev, struct ana_block *b)
{
	const struct fmt_event_info *in;
	const struct layout *l;

	if (ev->type >= FMT_EV_MAX)
		return 0;
	l = layout_of(ev->type);
	if (l->state < 0)
		return 0;
	in = fmt_event_info(ev->type);
	memset(b, 0, sizeof(*b));
	b->state = l->state;
	b->start = ev->ts;
	b->dur = ev->f[l->dur];
	if (l->obj >= 0) {
		b->obj = ev->f[l->obj];
	} else if (l->fd >= 0) {
		b->obj = ev->f[l->fd];
		b->has_fd = 1;
	}
	b->stack = in->stack_field >= 0 ? ev->f[in->stack_field] : 0;
	if (l->waker >= 0 && ev->f[l->waker]) {
		b->waker = ev->f[l->waker];
		if (l->wake_dt >= 0)
			b->wake_ts = ev->ts + b->dur - ev->f[l->wake_dt];
	}
	b->holder = l->holder >= 0 ? ev->f[l->holder] : 0;
	b->result = l->result >= 0 ? (int64_t)ev->f[l->result] : 0;
	b->bytes = l->bytes >= 0 ? (int64_t)ev->f[l->bytes] : -1;
	return 1;
}

const char *ana_state_name(enum ana_state s)
{
	static const char *const names[ANA_NSTATES] = {
		"running", "sync", "io", "wait", "sleep", "join",
	};

	return s < ANA_NSTATES ? names[s] : "?";
}
