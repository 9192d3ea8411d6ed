/*
 * wire.c - the payload of every wire message, put (the library) and
 * parse (the collector).  No allocation and no lz4: libctrace.so links
 * this file (the Makefile's PRELOAD_FORMAT).
 */
#include <string.h>

#include "events.h"
#include "wire.h"

static uint8_t *put_str(uint8_t *p, const void *s, size_t n)
{
	p = fmt_put_uvar(p, n);
	memcpy(p, s, n);
	return p + n;
}

/* the header before a payload written from m + FMT_WIRE_HDR_SIZE to end */
static size_t finish(uint8_t *m, unsigned type, const uint8_t *end)
{
	fmt_msg_put_hdr(m, type, end - m - FMT_WIRE_HDR_SIZE);
	return end - m;
}

/* a fixed message ends with its last field */
static int done(const struct fmt_cursor *c)
{
	if (c->err)
		return c->err;
	return c->p != c->end ? FMT_ECORRUPT : 0;
}

/* ---- the end of HELLO and PROCESS ---- */

int fmt_parse_proc_args(struct fmt_cursor *c, struct fmt_process *p,
			size_t exe_max, size_t arg_max)
{
	struct fmt_cursor set;
	uint64_t i;
	size_t n;

	p->exe = fmt_cur_str(c, exe_max, &p->exe_len);
	p->argc = fmt_cur_uvar(c);
	if (c->err)
		return c->err;
	/* every argument takes a byte at least */
	if (p->argc > fmt_cur_left(c))
		return FMT_ECORRUPT;
	p->argv = *c;
	for (i = 0; i < p->argc; i++)
		fmt_cur_str(c, arg_max, &n);
	if (c->err)
		return c->err;
	p->argv.end = c->p;
	/* the settings come whole or not at all: a short run is the tail */
	set = *c;
	p->events_mask = fmt_cur_uvar(&set);
	p->heap_sample = fmt_cur_uvar(&set);
	p->stack_depth = fmt_cur_uvar(&set);
	p->have_settings = c->p < c->end && !set.err;
	if (p->have_settings)
		*c = set;
	else
		p->events_mask = p->heap_sample = p->stack_depth = 0;
	p->tail = c->p;
	p->tail_len = c->end - c->p;
	return 0;
}

/* ---- HELLO ---- */

int fmt_msg_parse_hello(const uint8_t *pl, size_t n, struct fmt_msg_hello *h)
{
	struct fmt_process *p = &h->p;
	struct fmt_cursor c, t;
	int err;

	fmt_cur_init(&c, pl, n);
	h->version = fmt_cur_uvar(&c);
	p->pid = fmt_cur_uvar(&c);
	p->ppid = fmt_cur_uvar(&c);
	h->tid = fmt_cur_uvar(&c);
	p->ts = fmt_cur_uvar(&c);
	p->flags = fmt_cur_uvar(&c);
	p->image = 0;
	if (c.err)
		return c.err;
	if (h->version != FMT_WIRE_VERSION)
		return FMT_EVERSION;
	/* a pid_t, and pid 0 is nobody's */
	if (!p->pid || p->pid > INT32_MAX || p->ppid > INT32_MAX)
		return FMT_ECORRUPT;
	err = fmt_parse_proc_args(&c, p, FMT_WIRE_MAX_PATH, FMT_MAX_ARG);
	if (err)
		return err;
	/* what a later version appends is varints too */
	fmt_cur_init(&t, p->tail, p->tail_len);
	while (!t.err && t.p < t.end)
		fmt_cur_uvar(&t);
	return t.err;
}

size_t fmt_msg_put_hello(uint8_t *m, const struct fmt_msg_hello *h,
			 const char *argz, size_t alen)
{
	const struct fmt_process *p = &h->p;
	uint8_t *q = m + FMT_WIRE_HDR_SIZE;
	size_t i, argc = 0, k;

	for (i = 0; i < alen; i++)
		argc += !argz[i];
	if (alen && argz[alen - 1])
		argc++;			/* cut in the middle of an arg */
	q = fmt_put_uvar(q, h->version);
	q = fmt_put_uvar(q, p->pid);
	q = fmt_put_uvar(q, p->ppid);
	q = fmt_put_uvar(q, h->tid);
	q = fmt_put_uvar(q, p->ts);
	q = fmt_put_uvar(q, p->flags);
	q = put_str(q, p->exe, p->exe_len);
	q = fmt_put_uvar(q, argc);
	for (i = 0; i < alen; i += k + 1) {
		k = strnlen(argz + i, alen - i);
		q = put_str(q, argz + i, k);
	}
	if (p->have_settings) {
		q = fmt_put_uvar(q, p->events_mask);
		q = fmt_put_uvar(q, p->heap_sample);
		q = fmt_put_uvar(q, p->stack_depth);
	}
	return finish(m, FMT_MSG_HELLO, q);
}

/* ---- EVENTS ---- */

int fmt_msg_parse_events(const uint8_t *pl, size_t n,
			 struct fmt_msg_events *e)
{
	struct fmt_cursor *c = &e->ev;
	uint64_t evlen;

	fmt_cur_init(c, pl, n);
	e->tid = fmt_cur_uvar(c);
	e->nevents = fmt_cur_uvar(c);
	e->base_ts = fmt_cur_uvar(c);
	e->end_ts = fmt_cur_uvar(c);
	evlen = fmt_cur_uvar(c);
	if (c->err) {
		e->nevents = 0;
		return c->err;
	}
	if (evlen > fmt_cur_left(c) || e->end_ts < e->base_ts)
		return FMT_ECORRUPT;
	fmt_cur_init(&e->idx, c->p + evlen, fmt_cur_left(c) - evlen);
	c->end = c->p + evlen;
	if (!e->nevents)
		return evlen || fmt_cur_left(&e->idx) ? FMT_ECORRUPT : 0;
	/* each event takes 2 bytes at least: a bigger count is garbage */
	if (e->nevents > evlen / 2)
		return FMT_ECORRUPT;
	return 0;
}

uint8_t *fmt_msg_events_before(uint8_t *body, size_t len, size_t ilen,
			       const struct fmt_msg_events *e)
{
	uint8_t pre[5 * FMT_VARINT_MAX], *p, *start;
	size_t plen;

	p = fmt_put_uvar(pre, e->tid);
	p = fmt_put_uvar(p, e->nevents);
	p = fmt_put_uvar(p, e->base_ts);
	p = fmt_put_uvar(p, e->end_ts);
	p = fmt_put_uvar(p, len);
	plen = p - pre;
	start = body - plen - FMT_WIRE_HDR_SIZE;
	memcpy(start + FMT_WIRE_HDR_SIZE, pre, plen);
	fmt_msg_put_hdr(start, FMT_MSG_EVENTS, plen + len + ilen);
	return start;
}

/* ---- LOST, BYE ---- */

int fmt_msg_parse_lost(const uint8_t *pl, size_t n, struct fmt_msg_lost *l)
{
	struct fmt_cursor c;
	int err;

	fmt_cur_init(&c, pl, n);
	l->tid = fmt_cur_uvar(&c);
	l->count = fmt_cur_uvar(&c);
	l->reason = fmt_cur_uvar(&c);
	err = done(&c);
	if (err)
		return err;
	/* no total can wrap, whatever a sender claims */
	return l->count > FMT_WIRE_MAX_LOST ? FMT_ECORRUPT : 0;
}

size_t fmt_msg_put_lost(uint8_t *m, const struct fmt_msg_lost *l)
{
	uint8_t *q = m + FMT_WIRE_HDR_SIZE;

	q = fmt_put_uvar(q, l->tid);
	q = fmt_put_uvar(q, l->count);
	q = fmt_put_uvar(q, l->reason);
	return finish(m, FMT_MSG_LOST, q);
}

int fmt_msg_parse_bye(const uint8_t *pl, size_t n, struct fmt_msg_bye *b)
{
	struct fmt_cursor c;
	int err;

	fmt_cur_init(&c, pl, n);
	b->ts = fmt_cur_uvar(&c);
	b->status = fmt_cur_uvar(&c);
	b->how = fmt_cur_uvar(&c);
	err = done(&c);
	if (err)
		return err;
	return b->how > FMT_EXIT_MAIN_RETURN ? FMT_ECORRUPT : 0;
}

size_t fmt_msg_put_bye(uint8_t *m, const struct fmt_msg_bye *b)
{
	uint8_t *q = m + FMT_WIRE_HDR_SIZE;

	q = fmt_put_uvar(q, b->ts);
	q = fmt_put_uvar(q, b->status);
	q = fmt_put_uvar(q, b->how);
	return finish(m, FMT_MSG_BYE, q);
}

/* ---- MODULES ---- */

static int get_module(struct fmt_cursor *c, struct fmt_module *m)
{
	m->op = fmt_cur_uvar(c);
	m->bias = fmt_cur_uvar(c);
	m->lo = fmt_cur_uvar(c);
	m->hi = fmt_cur_uvar(c);
	m->path = fmt_cur_str(c, FMT_WIRE_MAX_PATH, &m->path_len);
	m->buildid = (const uint8_t *)fmt_cur_str(c, FMT_WIRE_MAX_BUILDID,
						  &m->buildid_len);
	if (c->err)
		return c->err;
	return m->op != FMT_MOD_ADD && m->op != FMT_MOD_DEL ? FMT_ECORRUPT : 0;
}

int fmt_msg_parse_modules(const uint8_t *pl, size_t n,
			  struct fmt_msg_modules *m)
{
	struct fmt_cursor c;
	struct fmt_module mod;
	uint64_t i;
	int err;

	fmt_cur_init(&c, pl, n);
	m->ts = fmt_cur_uvar(&c);
	m->n = fmt_cur_uvar(&c);
	m->mods = c;
	/* check it all before the caller uses any of it */
	for (i = 0; i < m->n && !c.err; i++) {
		err = get_module(&c, &mod);
		if (err)
			return err;
	}
	return done(&c);
}

int fmt_msg_next_module(struct fmt_msg_modules *m, struct fmt_module *out)
{
	if (!m->n || m->mods.err)
		return -1;
	m->n--;
	out->image = 0;
	out->ts = m->ts;
	return get_module(&m->mods, out) ? -1 : 0;
}

uint8_t *fmt_msg_put_module(uint8_t *p, const struct fmt_module *mod)
{
	p = fmt_put_uvar(p, mod->op);
	p = fmt_put_uvar(p, mod->bias);
	p = fmt_put_uvar(p, mod->lo);
	p = fmt_put_uvar(p, mod->hi);
	p = put_str(p, mod->path, mod->path_len);
	return put_str(p, mod->buildid, mod->buildid_len);
}

uint8_t *fmt_msg_modules_before(uint8_t *body, size_t len, uint64_t ts,
				uint64_t n)
{
	uint8_t pre[2 * FMT_VARINT_MAX], *p, *start;
	size_t plen;

	p = fmt_put_uvar(pre, ts);
	p = fmt_put_uvar(p, n);
	plen = p - pre;
	start = body - plen - FMT_WIRE_HDR_SIZE;
	memcpy(start + FMT_WIRE_HDR_SIZE, pre, plen);
	fmt_msg_put_hdr(start, FMT_MSG_MODULES, plen + len);
	return start;
}

/* ---- UNTRACED, EXEC ---- */

int fmt_msg_parse_untraced(const uint8_t *pl, size_t n,
			   struct fmt_msg_untraced *u)
{
	struct fmt_cursor c;
	int err;

	fmt_cur_init(&c, pl, n);
	u->pid = fmt_cur_uvar(&c);
	u->ppid = fmt_cur_uvar(&c);
	u->reason = fmt_cur_uvar(&c);
	u->err = fmt_cur_uvar(&c);
	err = done(&c);
	if (err)
		return err;
	return u->reason >= FMT_WHY_MAX || u->err > 4095 ? FMT_ECORRUPT : 0;
}

size_t fmt_msg_put_untraced(uint8_t *m, const struct fmt_msg_untraced *u)
{
	uint8_t *q = m + FMT_WIRE_HDR_SIZE;

	q = fmt_put_uvar(q, u->pid);
	q = fmt_put_uvar(q, u->ppid);
	q = fmt_put_uvar(q, u->reason);
	q = fmt_put_uvar(q, u->err);
	return finish(m, FMT_MSG_UNTRACED, q);
}

int fmt_msg_parse_exec(const uint8_t *pl, size_t n, struct fmt_msg_exec *x)
{
	struct fmt_cursor c;

	fmt_cur_init(&c, pl, n);
	x->path = fmt_cur_str(&c, FMT_MAX_STR, &x->len);
	return done(&c);
}

size_t fmt_msg_put_exec(uint8_t *m, const struct fmt_msg_exec *x)
{
	return finish(m, FMT_MSG_EXEC,
		      put_str(m + FMT_WIRE_HDR_SIZE, x->path, x->len));
}

/* ---- SNAPSHOT, SNAPSHOT_DONE ---- */

int fmt_msg_parse_snapshot(const uint8_t *pl, size_t n,
			   struct fmt_msg_snapshot *s)
{
	struct fmt_cursor c;

	fmt_cur_init(&c, pl, n);
	s->reason = fmt_cur_str(&c, FMT_MAX_STR, &s->reason_len);
	s->path = fmt_cur_str(&c, FMT_MAX_STR, &s->path_len);
	return done(&c);
}

size_t fmt_msg_put_snapshot(uint8_t *m, const struct fmt_msg_snapshot *s)
{
	uint8_t *q = put_str(m + FMT_WIRE_HDR_SIZE, s->reason, s->reason_len);

	return finish(m, FMT_MSG_SNAPSHOT, put_str(q, s->path, s->path_len));
}

int fmt_msg_parse_snapshot_done(const uint8_t *pl, size_t n,
				struct fmt_msg_snapshot_done *d)
{
	struct fmt_cursor c;

	fmt_cur_init(&c, pl, n);
	d->err = fmt_cur_uvar(&c);
	d->text = fmt_cur_str(&c, FMT_MAX_STR, &d->len);
	if (!c.err && d->err >= 4096)
		return FMT_ECORRUPT;
	return done(&c);
}

size_t fmt_msg_put_snapshot_done(uint8_t *m,
				 const struct fmt_msg_snapshot_done *d)
{
	uint8_t *q = fmt_put_uvar(m + FMT_WIRE_HDR_SIZE, d->err);

	return finish(m, FMT_MSG_SNAPSHOT_DONE, put_str(q, d->text, d->len));
}

/* ---- CTL, CTL_DONE ---- */

int fmt_msg_parse_ctl(const uint8_t *pl, size_t n, uint64_t *op)
{
	struct fmt_cursor c;

	fmt_cur_init(&c, pl, n);
	*op = fmt_cur_uvar(&c);
	if (!c.err && *op != FMT_CTL_START && *op != FMT_CTL_STOP)
		return FMT_ECORRUPT;
	return done(&c);
}

size_t fmt_msg_put_ctl(uint8_t *m, uint64_t op)
{
	return finish(m, FMT_MSG_CTL, fmt_put_uvar(m + FMT_WIRE_HDR_SIZE, op));
}

size_t fmt_msg_put_ctl_done(uint8_t *m,
			    const struct fmt_msg_snapshot_done *d)
{
	uint8_t *q = fmt_put_uvar(m + FMT_WIRE_HDR_SIZE, d->err);

	return finish(m, FMT_MSG_CTL_DONE, put_str(q, d->text, d->len));
}
