/*
 * dump.c - `ctrace dump`: every record, one stable line each.
 *
 * The line format is a contract (tests and scripts parse it):
 *   <ts> <pid> <tid> <event> <field>=<value> ...
 *   <ts> <pid> - process ppid=<n> image=<n> flags=<f> exe="..." argv="..."
 *   <ts> <pid> - process_end image=<n> how=<how> status=<n>
 *   - <pid> <tid> lost count=<n> reason=<reason>
 *   <ts> <pid> - untraced ppid=<n> how=<fork|exec|refused> reason=<n>
 *        err=<errno> path="<file>" [status=<n>]
 *   <ts> - - end events=<n> lost=<n> processes=<n>
 * in file order.  <ts> is seconds since the trace started, 9 decimals.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "log.h"
#include "out.h"
#include "symbols.h"
#include "trace.h"

struct dump {
	struct fmt_buf line;
};

/* lines are written in batches of about 64 KiB */
static void line_done(struct fmt_buf *b)
{
	if (b->len >= 65536)
		ana_write(b, stdout);
}

static void put_ts(struct fmt_buf *b, struct ana_trace *t, uint64_t ts)
{
	ana_put_secs(b, ana_rel_ts(t, ts));
}

/* a code address as one token: "worker+0x1c(mutex8.c:17)" .. "0x7f12" */
static void put_code(struct fmt_buf *b, struct ana_trace *t, uint64_t image,
		     uint64_t addr)
{
	char buf[1024];

	ana_put(b, ana_frame_token(t, image, addr, buf, sizeof(buf)));
}

/*
 * A stack as its callsite: frame 0 named as the trace's SYMBOL and
 * MODULE records allow (put_code), "+N" for N further frames.
 */
static void put_stack(struct fmt_buf *b, struct ana_trace *t, uint64_t id)
{
	const struct ana_stack *s = ana_stack(t, id);

	if (!s) {
		ana_put(b, "?");
		ana_put_u64(b, id);
		return;
	}
	if (!s->n) {
		ana_put(b, "-");
		return;
	}
	put_code(b, t, s->image, s->frames[0]);
	if (s->n > 1) {
		ana_put(b, "+");
		ana_put_u64(b, s->n - 1);
	}
}

static void put_string(struct fmt_buf *b, struct ana_trace *t, uint64_t id)
{
	const struct ana_str *s = ana_string(t, id);

	if (s) {
		ana_put_quoted(b, s->s, s->len);
	} else {
		ana_put(b, "?");
		ana_put_u64(b, id);
	}
}

static void put_field(struct fmt_buf *b, struct ana_trace *t, char kind,
		      uint64_t v)
{
	switch (kind) {
	case 'a':
		ana_put_hex(b, v);
		break;
	case 's':
		ana_put_s64(b, (int64_t)v);
		break;
	case 'k':
		put_stack(b, t, v);
		break;
	case 'n':
		put_string(b, t, v);
		break;
	default:	/* d u t */
		ana_put_u64(b, v);
	}
}

static void dump_event(struct ana_trace *t, struct ana_proc *p,
		       struct ana_thread *th, const struct fmt_event *ev)
{
	const struct fmt_event_info *in = fmt_event_info(ev->type);
	struct dump *d = t->data;
	struct fmt_buf *b = &d->line;
	unsigned i;

	put_ts(b, t, ev->ts);
	ana_put(b, " ");
	ana_put_u64(b, p->pid);
	ana_put(b, " ");
	ana_put_u64(b, th->tid);
	ana_put(b, " ");
	ana_put(b, in->name);
	for (i = 0; i < in->nfields; i++) {
		ana_put(b, " ");
		ana_put(b, fmt_field(in, i));
		ana_put(b, "=");
		if ((int)i == in->at.routine && ev->f[i])
			put_code(b, t, p->image, ev->f[i]);
		else if ((int)i == in->at.call &&
			 fmt_call_name(ev->f[i]))
			ana_put(b, fmt_call_name(ev->f[i]));	/* call=read */
		else
			put_field(b, t, in->kinds[i], ev->f[i]);
	}
	ana_put(b, "\n");
	line_done(b);
}

static void put_flags(struct fmt_buf *b, uint64_t flags)
{
	static const struct { uint64_t bit; const char *name; } names[] = {
		{ FMT_PROC_FORK, "fork" },
		{ FMT_PROC_EXEC, "exec" },
		{ FMT_PROC_ROOT, "root" },
	};
	const char *sep = "";
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flags & names[i].bit) {
			ana_put(b, sep);
			ana_put(b, names[i].name);
			sep = ",";
		}
	}
	if (!*sep)
		ana_put(b, "-");
}

static void dump_process(struct ana_trace *t, struct ana_proc *p)
{
	struct fmt_buf *b = &((struct dump *)t->data)->line;

	put_ts(b, t, p->ts);
	ana_put(b, " ");
	ana_put_u64(b, p->pid);
	ana_put(b, " - process ppid=");
	ana_put_u64(b, p->ppid);
	ana_put(b, " image=");
	ana_put_u64(b, p->image);
	ana_put(b, " flags=");
	put_flags(b, p->flags);
	ana_put(b, " exe=");
	ana_put_quoted(b, p->exe->s, p->exe->len);
	ana_put(b, " argv=");
	ana_put_argv(b, p->argv, p->argc);
	ana_put(b, "\n");
	line_done(b);
}

static void dump_process_end(struct ana_trace *t, struct ana_proc *p)
{
	struct fmt_buf *b = &((struct dump *)t->data)->line;
	const char *how = ana_how_name(p->how);

	put_ts(b, t, p->end_ts);
	ana_put(b, " ");
	ana_put_u64(b, p->pid);
	ana_put(b, " - process_end image=");
	ana_put_u64(b, p->image);
	ana_put(b, " how=");
	if (how)
		ana_put(b, how);
	else
		ana_put_u64(b, p->how);
	ana_put(b, " status=");
	ana_put_u64(b, p->status);
	ana_put(b, "\n");
	line_done(b);
}

static void dump_lost(struct ana_trace *t, const struct ana_lost *l)
{
	struct fmt_buf *b = &((struct dump *)t->data)->line;
	const char *reason = ana_reason_name(l->reason);

	ana_put(b, "- ");
	ana_put_u64(b, l->pid);
	ana_put(b, " ");
	ana_put_u64(b, l->tid);
	ana_put(b, " lost count=");
	ana_put_u64(b, l->count);
	ana_put(b, " reason=");
	if (reason)
		ana_put(b, reason);
	else
		ana_put_u64(b, l->reason);
	ana_put(b, "\n");
	line_done(b);
}

static void dump_untraced(struct ana_trace *t, const struct ana_untraced *u)
{
	const char *how = fmt_untr_how_name(u->how);
	struct fmt_buf *b = &((struct dump *)t->data)->line;

	put_ts(b, t, u->ts);
	ana_put(b, " ");
	ana_put_u64(b, u->pid);
	ana_put(b, " - untraced ppid=");
	ana_put_u64(b, u->ppid);
	ana_put(b, " how=");
	if (how)
		ana_put(b, how);
	else
		ana_put_u64(b, u->how);
	ana_put(b, " reason=");
	ana_put_u64(b, u->reason);
	ana_put(b, " err=");
	ana_put_u64(b, u->err);
	ana_put(b, " path=\"");
	ana_put(b, u->path);
	ana_put(b, "\"");
	if (u->has_status) {
		ana_put(b, " status=");
		ana_put_u64(b, u->status);
	}
	ana_put(b, "\n");
	line_done(b);
}

static void dump_end(struct ana_trace *t, const struct ana_end *e)
{
	struct fmt_buf *b = &((struct dump *)t->data)->line;

	put_ts(b, t, e->ts);
	ana_put(b, " - - end events=");
	ana_put_u64(b, e->nevents);
	ana_put(b, " lost=");
	ana_put_u64(b, e->nlost);
	ana_put(b, " processes=");
	ana_put_u64(b, e->nprocesses);
	ana_put(b, "\n");
	line_done(b);
}

/* the rest of the lines, before any warning about how the trace ended */
static void dump_done(struct ana_trace *t)
{
	ana_write(&((struct dump *)t->data)->line, stdout);
	fflush(stdout);
}

static const struct ana_ops dump_ops = {
	.process = dump_process,
	.process_end = dump_process_end,
	.event = dump_event,
	.lost = dump_lost,
	.untraced = dump_untraced,
	.end = dump_end,
	.done = dump_done,
};

int ana_cmd_dump(const struct ana_args *a)
{
	const char *path = ana_args_file(a);
	static struct dump d;
	struct ana_trace t;
	int status;

	ana_trace_open(&t, path);
	t.data = &d;
	status = ana_trace_read(&t, &dump_ops);
	ana_trace_close(&t);
	fmt_buf_free(&d.line);
	return status;
}
