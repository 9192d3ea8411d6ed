/*
 * records.c - the payload of every record type but SCHEMA (file.c), put
 * and parse.  The collector and bench/gen-trace.c write through the put
 * functions, the analyzer reads through the parse functions, so each
 * layout is written down here once (and in man/ctrace-trace.5).
 */
#include <string.h>

#include "buf.h"
#include "file.h"

/* strings of a record: bounded so that a reader never copies a huge one */
#define REC_MAX_STR	65536
#define REC_MAX_BUILDID	4096

static void cur_of(struct fmt_cursor *c, const struct fmt_record *rec)
{
	fmt_cur_init(c, rec->p, rec->len);
}

/* ---- PROCESS ---- */

int fmt_parse_process(const struct fmt_record *rec, struct fmt_process *p)
{
	struct fmt_cursor c;

	cur_of(&c, rec);
	p->pid = fmt_cur_uvar(&c);
	p->ppid = fmt_cur_uvar(&c);
	p->image = fmt_cur_uvar(&c);
	p->ts = fmt_cur_uvar(&c);
	p->flags = fmt_cur_uvar(&c);
	if (c.err ||
	    fmt_parse_proc_args(&c, p, REC_MAX_STR, FMT_MAX_ARG))
		return FMT_ECORRUPT;
	return 0;
}

void fmt_put_process(struct fmt_buf *b, const struct fmt_process *p)
{
	fmt_buf_uvar(b, p->pid);
	fmt_buf_uvar(b, p->ppid);
	fmt_buf_uvar(b, p->image);
	fmt_buf_uvar(b, p->ts);
	fmt_buf_uvar(b, p->flags);
	fmt_buf_str(b, p->exe, p->exe_len);
	fmt_buf_uvar(b, p->argc);
	if (p->argc)
		fmt_buf_bytes(b, p->argv.p, p->argv.end - p->argv.p);
	if (p->have_settings) {
		fmt_buf_uvar(b, p->events_mask);
		fmt_buf_uvar(b, p->heap_sample);
		fmt_buf_uvar(b, p->stack_depth);
	}
	fmt_buf_bytes(b, p->tail, p->tail_len);
}

/* ---- PROCESS_END ---- */

int fmt_parse_process_end(const struct fmt_record *rec,
			  struct fmt_process_end *e)
{
	struct fmt_cursor c;

	cur_of(&c, rec);
	e->pid = fmt_cur_uvar(&c);
	e->image = fmt_cur_uvar(&c);
	e->ts = fmt_cur_uvar(&c);
	e->status = fmt_cur_uvar(&c);
	e->how = fmt_cur_uvar(&c);
	if (c.err)
		return c.err;
	return e->how > UINT32_MAX ? FMT_ECORRUPT : 0;
}

void fmt_put_process_end(struct fmt_buf *b, const struct fmt_process_end *e)
{
	fmt_buf_uvar(b, e->pid);
	fmt_buf_uvar(b, e->image);
	fmt_buf_uvar(b, e->ts);
	fmt_buf_uvar(b, e->status);
	fmt_buf_uvar(b, e->how);
}

/* ---- STRING, STACK ---- */

int fmt_parse_string(const struct fmt_record *rec, struct fmt_string *s)
{
	struct fmt_cursor c;

	cur_of(&c, rec);
	s->id = fmt_cur_uvar(&c);
	if (c.err)
		return c.err;
	s->s = (const char *)c.p;
	s->len = c.end - c.p;
	/* readers keep a length in 32 bits and room for a NUL */
	return s->len > UINT32_MAX - 1 ? FMT_ECORRUPT : 0;
}

void fmt_put_string(struct fmt_buf *b, const struct fmt_string *s)
{
	fmt_buf_uvar(b, s->id);
	fmt_buf_bytes(b, s->s, s->len);
}

int fmt_parse_stack(const struct fmt_record *rec, struct fmt_stack *s)
{
	cur_of(&s->fr, rec);
	s->id = fmt_cur_uvar(&s->fr);
	s->image = fmt_cur_uvar(&s->fr);
	s->n = fmt_cur_uvar(&s->fr);
	s->frames = NULL;
	if (s->fr.err)
		return s->fr.err;
	/* every frame takes a byte at least */
	return s->n > fmt_cur_left(&s->fr) ? FMT_ECORRUPT : 0;
}

int fmt_stack_frames(struct fmt_stack *s, uint64_t *out)
{
	uint64_t i;

	for (i = 0; i < s->n; i++)
		out[i] = fmt_cur_uvar(&s->fr);
	return s->fr.err;
}

void fmt_put_stack(struct fmt_buf *b, const struct fmt_stack *s)
{
	uint64_t i;

	fmt_buf_uvar(b, s->id);
	fmt_buf_uvar(b, s->image);
	fmt_buf_uvar(b, s->n);
	for (i = 0; i < s->n; i++)
		fmt_buf_uvar(b, s->frames[i]);
}

/* ---- EVENTS, LOST, END ---- */

int fmt_parse_events(const struct fmt_record *rec, struct fmt_events *e)
{
	struct fmt_cursor c;

	cur_of(&c, rec);
	e->pid = fmt_cur_uvar(&c);
	e->image = fmt_cur_uvar(&c);
	e->tid = fmt_cur_uvar(&c);
	e->nevents = fmt_cur_uvar(&c);
	e->base_ts = fmt_cur_uvar(&c);
	if (c.err || e->nevents > (uint64_t)(c.end - c.p))
		return FMT_ECORRUPT;
	e->ev = c;
	return 0;
}

void fmt_put_events(struct fmt_buf *b, const struct fmt_events *e)
{
	fmt_buf_uvar(b, e->pid);
	fmt_buf_uvar(b, e->image);
	fmt_buf_uvar(b, e->tid);
	fmt_buf_uvar(b, e->nevents);
	fmt_buf_uvar(b, e->base_ts);
	if (e->ev.p)
		fmt_buf_bytes(b, e->ev.p, e->ev.end - e->ev.p);
}

int fmt_parse_lost(const struct fmt_record *rec, struct fmt_lost *l)
{
	struct fmt_cursor c;

	cur_of(&c, rec);
	l->pid = fmt_cur_uvar(&c);
	l->tid = fmt_cur_uvar(&c);
	l->count = fmt_cur_uvar(&c);
	l->reason = fmt_cur_uvar(&c);
	if (c.err)
		return c.err;
	/* no collector writes more than one message may count */
	return l->count > FMT_WIRE_MAX_LOST ? FMT_ECORRUPT : 0;
}

void fmt_put_lost(struct fmt_buf *b, const struct fmt_lost *l)
{
	fmt_buf_uvar(b, l->pid);
	fmt_buf_uvar(b, l->tid);
	fmt_buf_uvar(b, l->count);
	fmt_buf_uvar(b, l->reason);
}

int fmt_parse_end(const struct fmt_record *rec, struct fmt_end *e)
{
	struct fmt_cursor c;

	cur_of(&c, rec);
	e->ts = fmt_cur_uvar(&c);
	e->nevents = fmt_cur_uvar(&c);
	e->nlost = fmt_cur_uvar(&c);
	e->nprocesses = fmt_cur_uvar(&c);
	return c.err;
}

void fmt_put_end(struct fmt_buf *b, const struct fmt_end *e)
{
	fmt_buf_uvar(b, e->ts);
	fmt_buf_uvar(b, e->nevents);
	fmt_buf_uvar(b, e->nlost);
	fmt_buf_uvar(b, e->nprocesses);
}

/* ---- MODULE, SYMBOL, DATA ---- */

int fmt_parse_module(const struct fmt_record *rec, struct fmt_module *m)
{
	struct fmt_cursor c;
	const char *id;

	cur_of(&c, rec);
	m->image = fmt_cur_uvar(&c);
	m->ts = fmt_cur_uvar(&c);
	m->op = fmt_cur_uvar(&c);
	m->bias = fmt_cur_uvar(&c);
	m->lo = fmt_cur_uvar(&c);
	m->hi = fmt_cur_uvar(&c);
	m->path = fmt_cur_str(&c, REC_MAX_STR, &m->path_len);
	id = fmt_cur_str(&c, REC_MAX_BUILDID, &m->buildid_len);
	m->buildid = (const uint8_t *)id;
	return c.err;
}

void fmt_put_module(struct fmt_buf *b, const struct fmt_module *m)
{
	fmt_buf_uvar(b, m->image);
	fmt_buf_uvar(b, m->ts);
	fmt_buf_uvar(b, m->op);
	fmt_buf_uvar(b, m->bias);
	fmt_buf_uvar(b, m->lo);
	fmt_buf_uvar(b, m->hi);
	fmt_buf_str(b, m->path, m->path_len);
	fmt_buf_str(b, (const char *)m->buildid, m->buildid_len);
}

int fmt_parse_symbol(const struct fmt_record *rec, struct fmt_symbol *s)
{
	struct fmt_cursor *c = &s->in;

	cur_of(c, rec);
	s->image = fmt_cur_uvar(c);
	s->addr = fmt_cur_uvar(c);
	s->func = fmt_cur_uvar(c);
	s->file = fmt_cur_uvar(c);
	s->line = fmt_cur_uvar(c);
	s->offset = fmt_cur_uvar(c);
	s->inl = NULL;
	s->ninl = 0;
	if (c->err)
		return c->err;
	/* minor 1: the inline chain, after what 1.0 readers read */
	if (c->p < c->end) {
		s->ninl = fmt_cur_uvar(c);
		/* three fields of a byte at least each */
		if (c->err || s->ninl > fmt_cur_left(c) / 3)
			s->ninl = 0;
	}
	return 0;
}

int fmt_symbol_inline(struct fmt_symbol *s, struct fmt_inline *out)
{
	if (!s->ninl)
		return -1;
	out->func = fmt_cur_uvar(&s->in);
	out->file = fmt_cur_uvar(&s->in);
	out->line = fmt_cur_uvar(&s->in);
	if (s->in.err) {
		s->ninl = 0;
		return -1;
	}
	s->ninl--;
	return 0;
}

void fmt_put_symbol(struct fmt_buf *b, const struct fmt_symbol *s)
{
	uint64_t i;

	fmt_buf_uvar(b, s->image);
	fmt_buf_uvar(b, s->addr);
	fmt_buf_uvar(b, s->func);
	fmt_buf_uvar(b, s->file);
	fmt_buf_uvar(b, s->line);
	fmt_buf_uvar(b, s->offset);
	/* no chain: a record 1.0 readers read whole */
	if (!s->ninl)
		return;
	fmt_buf_uvar(b, s->ninl);
	for (i = 0; i < s->ninl; i++) {
		fmt_buf_uvar(b, s->inl[i].func);
		fmt_buf_uvar(b, s->inl[i].file);
		fmt_buf_uvar(b, s->inl[i].line);
	}
}

int fmt_parse_data(const struct fmt_record *rec, struct fmt_data *d)
{
	struct fmt_cursor c;

	cur_of(&c, rec);
	d->image = fmt_cur_uvar(&c);
	d->addr = fmt_cur_uvar(&c);
	d->name = fmt_cur_uvar(&c);
	d->offset = fmt_cur_uvar(&c);
	d->size = fmt_cur_uvar(&c);
	return c.err;
}

void fmt_put_data(struct fmt_buf *b, const struct fmt_data *d)
{
	fmt_buf_uvar(b, d->image);
	fmt_buf_uvar(b, d->addr);
	fmt_buf_uvar(b, d->name);
	fmt_buf_uvar(b, d->offset);
	fmt_buf_uvar(b, d->size);
}

/* ---- UNTRACED ---- */

int fmt_parse_untraced(const struct fmt_record *rec, struct fmt_untraced *u)
{
	struct fmt_cursor c;

	cur_of(&c, rec);
	u->pid = fmt_cur_uvar(&c);
	u->ppid = fmt_cur_uvar(&c);
	u->ts = fmt_cur_uvar(&c);
	u->how = fmt_cur_uvar(&c);
	u->reason = fmt_cur_uvar(&c);
	u->err = fmt_cur_uvar(&c);
	u->path = fmt_cur_str(&c, REC_MAX_STR, &u->path_len);
	u->has_status = !c.err && c.p < c.end;
	u->status = u->has_status ? fmt_cur_uvar(&c) : 0;
	return c.err ? FMT_ECORRUPT : 0;
}

void fmt_put_untraced(struct fmt_buf *b, const struct fmt_untraced *u)
{
	fmt_buf_uvar(b, u->pid);
	fmt_buf_uvar(b, u->ppid);
	fmt_buf_uvar(b, u->ts);
	fmt_buf_uvar(b, u->how);
	fmt_buf_uvar(b, u->reason);
	fmt_buf_uvar(b, u->err);
	fmt_buf_str(b, u->path ? u->path : "", u->path ? u->path_len : 0);
	if (u->has_status)
		fmt_buf_uvar(b, u->status);
}

/* ---- SNAPSHOT ---- */

int fmt_parse_snapshot(const struct fmt_record *rec, struct fmt_snapshot *s)
{
	struct fmt_cursor c;

	cur_of(&c, rec);
	s->ts = fmt_cur_uvar(&c);
	s->start = fmt_cur_uvar(&c);
	s->end = fmt_cur_uvar(&c);
	s->trigger = fmt_cur_uvar(&c);
	s->pid = fmt_cur_uvar(&c);
	s->evicted_events = fmt_cur_uvar(&c);
	s->evicted_chunks = fmt_cur_uvar(&c);
	s->reason = fmt_cur_str(&c, REC_MAX_STR, &s->reason_len);
	if (c.err)
		return c.err;
	return s->start > s->end ? FMT_ECORRUPT : 0;
}

void fmt_put_snapshot(struct fmt_buf *b, const struct fmt_snapshot *s)
{
	fmt_buf_uvar(b, s->ts);
	fmt_buf_uvar(b, s->start);
	fmt_buf_uvar(b, s->end);
	fmt_buf_uvar(b, s->trigger);
	fmt_buf_uvar(b, s->pid);
	fmt_buf_uvar(b, s->evicted_events);
	fmt_buf_uvar(b, s->evicted_chunks);
	fmt_buf_str(b, s->reason ? s->reason : "", s->reason ? s->reason_len : 0);
}

/* ---- WINDOW ---- */

int fmt_parse_window(const struct fmt_record *rec, struct fmt_window *w)
{
	struct fmt_cursor c;

	cur_of(&c, rec);
	w->ts = fmt_cur_uvar(&c);
	w->start = fmt_cur_uvar(&c);
	w->end = fmt_cur_uvar(&c);
	if (c.err)
		return c.err;
	return w->start > w->end ? FMT_ECORRUPT : 0;
}

void fmt_put_window(struct fmt_buf *b, const struct fmt_window *w)
{
	fmt_buf_uvar(b, w->ts);
	fmt_buf_uvar(b, w->start);
	fmt_buf_uvar(b, w->end);
}

/* ---- WINDOW_OPEN ---- */

int fmt_parse_window_open(const struct fmt_record *rec, struct fmt_window *w)
{
	struct fmt_cursor c;

	cur_of(&c, rec);
	w->ts = fmt_cur_uvar(&c);
	w->start = fmt_cur_uvar(&c);
	w->end = FMT_WINDOW_OPEN_END;
	return c.err;
}

void fmt_put_window_open(struct fmt_buf *b, const struct fmt_window *w)
{
	fmt_buf_uvar(b, w->ts);
	fmt_buf_uvar(b, w->start);
}

const char *fmt_snap_trigger_name(uint64_t trigger)
{
	static const char *const names[] = {
		[FMT_SNAP_COMMAND] = "command", [FMT_SNAP_SIGNAL] = "signal",
		[FMT_SNAP_PROGRAM] = "program", [FMT_SNAP_CRASH] = "crash",
	};

	return trigger < sizeof(names) / sizeof(names[0]) ?
	       names[trigger] : NULL;
}
