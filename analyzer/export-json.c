/*
 * export-json.c - `ctrace export --format json`: the timeline in the
 * Chrome Trace Event Format, for chrome://tracing and ui.perfetto.dev.
 *
 * Same content as the Perfetto export (export-perfetto.c): "M" metadata
 * names every process and thread, "X" complete events are the blocked
 * intervals (a call blocked at exit: to the exit, "unfinished" in its
 * args) and the residue slices between them (named running, runnable or
 * unknown, their shares in args), "B"/"E" the user regions, "b"/"e" the
 * tasks (async, by id), "i" the instants and the CPU samples (named
 * cpu_sample, the interrupted function in args), "C" the counters.
 * Arrows are v1 flow events: "s" at the source and "f" with "bp":"e" at
 * the target, each inside a 1 ns "X" slice made for it so both bind to a
 * slice of their own thread.  Slices of a thread nest and never overlap
 * partially: residue slices end at blocked ones and are cut at region
 * boundaries (timeline.h).
 * Timestamps are microseconds since the trace started, with three
 * decimals (ns).  Written as a stream, one event per line.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timeline.h"

/* chrome://tracing loads little more than this */
#define BIG_OUTPUT	(256ull << 20)

struct js {
	FILE *f;
	struct ana_tl *tl;
	uint64_t bytes;
	uint64_t start;		/* ts 0 of the output */
	int n;			/* events written */
};

static void out(struct js *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out(struct js *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(j->f, fmt, ap);
	va_end(ap);
	if (n > 0)
		j->bytes += n;
}

static void str(struct js *j, const char *s)
{
	j->bytes += ana_tl_json_str(j->f, s ? s : "");
}

/* µs since the start, as "12.345" (ns precision) */
static void ts(struct js *j, uint64_t t)
{
	int64_t ns = (int64_t)(t - j->start);
	uint64_t a = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;

	out(j, "%s%" PRIu64 ".%03u", ns < 0 ? "-" : "", a / 1000,
	    (unsigned)(a % 1000));
}

/* begin one event: {"ph":"X","pid":1,"tid":2,"ts":3.000 */
static void begin(struct js *j, const char *ph, uint64_t pid, uint64_t tid,
		  uint64_t t)
{
	out(j, "%s{\"ph\":\"%s\",\"pid\":%" PRIu64 ",\"tid\":%" PRIu64
	    ",\"ts\":", j->n++ ? ",\n" : "\n", ph, pid, tid);
	ts(j, t);
}

static void name_cat(struct js *j, const char *name, enum ana_tl_cat c)
{
	out(j, ",\"name\":");
	str(j, name);
	out(j, ",\"cat\":\"%s\",\"cname\":\"%s\"", ana_tl_palette[c].cat,
	    ana_tl_palette[c].cname);
}

static uint64_t pid_of(const struct ana_tl_thread *th)
{
	return th->proc->p->pid;
}

/* ---- timeline callbacks ---- */

static void js_slice(void *u, struct ana_tl_thread *th,
		     const struct ana_tl_slice *s)
{
	struct js *j = u;
	const struct ana_block *b = s->b;
	char stack[4096], *nl;

	begin(j, "X", pid_of(th), th->tid, b->start);
	out(j, ",\"dur\":%" PRIu64 ".%03u", b->dur / 1000,
	    (unsigned)(b->dur % 1000));
	name_cat(j, s->name, s->cat);
	out(j, ",\"args\":{\"result\":%" PRId64, b->result);
	if (b->has_fd) {
		out(j, ",\"fd\":%" PRId64, (int64_t)b->obj);
		if (s->fd_name) {
			out(j, ",\"fd_name\":");
			str(j, s->fd_name);
		}
	} else if (b->obj) {
		out(j, ",\"object\":\"0x%" PRIx64 "\"", b->obj);
		if (s->obj_name) {
			out(j, ",\"object_name\":");
			str(j, s->obj_name);
		}
	}
	if (b->bytes >= 0)
		out(j, ",\"bytes\":%" PRId64, b->bytes);
	if (b->holder)
		out(j, ",\"holder\":%" PRIu64, b->holder);
	if (b->waker)
		out(j, ",\"waker\":%" PRIu64, b->waker);
	if (s->stack && s->stack->n) {
		ana_tl_stack_str(j->tl, s->stack, "\n", stack, sizeof(stack));
		if (s->stack->n > 1) {
			out(j, ",\"stack\":");
			str(j, stack);
		}
		nl = strchr(stack, '\n');
		if (nl)
			*nl = 0;
		out(j, ",\"callsite\":");
		str(j, stack);
	}
	if (b->unfinished)
		out(j, ",\"unfinished\":\"still blocked at exit\"");
	out(j, "}}");
}

static void js_residue(void *u, struct ana_tl_thread *th,
		       const struct ana_tl_residue *r)
{
	struct js *j = u;
	double pct[3];

	ana_tl_pct(&r->split, pct);
	begin(j, "X", pid_of(th), th->tid, r->start);
	out(j, ",\"dur\":%" PRIu64 ".%03u", r->dur / 1000,
	    (unsigned)(r->dur % 1000));
	name_cat(j, ana_state_name(r->state), (enum ana_tl_cat)r->state);
	out(j, ",\"args\":{\"running\":\"%.0f%%\",\"runnable\":\"%.0f%%\","
	    "\"unknown\":\"%.0f%%\",\"running_ns\":%" PRIu64 ",\"runnable_ns\":%"
	    PRIu64 ",\"unknown_ns\":%" PRIu64 ",\"readings\":\"%s\"}}", pct[0],
	    pct[1], pct[2], r->split.running, r->split.runnable,
	    r->split.unknown, r->measured ? "between two" : "none on one side");
}

static void js_sample(void *u, struct ana_tl_thread *th,
		      const struct ana_tl_sample *s)
{
	struct js *j = u;
	char leaf[512];

	begin(j, "i", pid_of(th), th->tid, s->ts);
	name_cat(j, "cpu_sample", TL_CPU);
	out(j, ",\"s\":\"t\",\"args\":{\"period_ns\":%" PRIu64, s->period);
	if (s->stack && s->stack->n) {
		out(j, ",\"leaf\":");
		str(j, ana_tl_frame_name(j->tl, s->stack->image,
					 s->stack->frames[0], leaf,
					 sizeof(leaf)));
	}
	out(j, "}}");
}

static void js_region(void *u, struct ana_tl_thread *th, int begin_,
		      uint64_t t, const char *name)
{
	struct js *j = u;

	begin(j, begin_ ? "B" : "E", pid_of(th), th->tid, t);
	name_cat(j, name, TL_USER);
	out(j, "}");
}

static void js_task(void *u, struct ana_tl_proc *p, int begin_, uint64_t t,
		    uint64_t id, const char *name)
{
	struct js *j = u;

	begin(j, begin_ ? "b" : "e", p->p->pid, p->p->pid, t);
	name_cat(j, name, TL_USER);
	out(j, ",\"id\":\"0x%" PRIx64 "\"}", id);
}

static void js_instant(void *u, struct ana_tl_proc *p,
		       struct ana_tl_thread *th, uint64_t t,
		       enum ana_tl_cat cat, const char *name,
		       const char *detail)
{
	struct js *j = u;

	begin(j, "i", p->p->pid, th ? th->tid : p->p->pid, t);
	name_cat(j, name, cat);
	out(j, ",\"s\":\"%s\",\"args\":{\"detail\":", th ? "t" : "p");
	str(j, detail);
	out(j, "}}");
}

/* a 1 ns slice holding one end of an arrow, and that end */
static void flow_end(struct js *j, const char *ph, const char *name,
		     enum ana_tl_cat kind, uint64_t id,
		     struct ana_tl_thread *th, uint64_t t)
{
	begin(j, "X", pid_of(th), th->tid, t);
	out(j, ",\"dur\":0.001");
	name_cat(j, name, kind);
	out(j, "}");
	begin(j, ph, pid_of(th), th->tid, t);
	name_cat(j, kind == TL_THREAD ? "create" : "wakeup", kind);
	out(j, ",\"id\":%" PRIu64 "%s}", id, *ph == 'f' ? ",\"bp\":\"e\"" : "");
}

static void js_flow(void *u, enum ana_tl_cat kind, uint64_t id,
		    struct ana_tl_thread *from, uint64_t ts0,
		    struct ana_tl_thread *to, uint64_t ts1)
{
	int create = kind == TL_THREAD;

	flow_end(u, "s", create ? "thread_create" : "wake", kind, id, from,
		 ts0);
	flow_end(u, "f", create ? "thread_start" : "woken", kind, id, to, ts1);
}

static void js_counter(void *u, struct ana_tl_proc *p,
		       enum ana_tl_counter c, uint64_t t, double value)
{
	struct js *j = u;

	begin(j, "C", p->p->pid, p->p->pid, t);
	out(j, ",\"name\":\"%s\",\"cat\":\"%s\",\"args\":{\"value\":%.*f}}",
	    ana_tl_counter_name[c],
	    ana_tl_palette[c == TL_CNT_HEAP ? TL_HEAP : TL_RUNNING].cat,
	    c == TL_CNT_HEAP ? 0 : 6, value);
}

static void meta(struct js *j, const char *what, uint64_t pid, uint64_t tid,
		 const char *name)
{
	out(j, "%s{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%" PRIu64
	    ",\"tid\":%" PRIu64 ",\"args\":{\"name\":", j->n++ ? ",\n" : "\n",
	    what, pid, tid);
	str(j, name);
	out(j, "}}");
}

/* names: thread names are resolved only once everything is read */
static void js_done(void *u)
{
	struct js *j = u;
	struct ana_tl *tl = j->tl;
	char buf[256];
	size_t i, k;

	for (i = 0; i < tl->nprocs; i++) {
		struct ana_tl_proc *p = tl->procs[i];

		meta(j, "process_name", p->p->pid, p->p->pid,
		     ana_tl_proc_name(p, buf, sizeof(buf)));
		for (k = 0; k < p->nthreads; k++) {
			struct ana_tl_thread *th = p->threads[k];

			meta(j, "thread_name", p->p->pid, th->tid,
			     ana_tl_thread_label(tl, th, buf, sizeof(buf)));
		}
	}
}

int ana_export_json(struct ana_tl *tl, const char *path)
{
	static const struct ana_tl_ops ops = {
		.slice = js_slice,
		.residue = js_residue,
		.sample = js_sample,
		.region = js_region,
		.task = js_task,
		.instant = js_instant,
		.flow = js_flow,
		.counter = js_counter,
		.done = js_done,
	};
	struct js j = { 0 };
	int status;

	j.tl = tl;
	j.start = tl->t.h.start_monotonic;
	j.f = ana_tl_out(path);
	out(&j, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
	status = ana_tl_run(tl, &ops, &j);
	out(&j, "\n]}\n");
	ana_tl_close(j.f, path);
	if (j.bytes > BIG_OUTPUT)
		warn_msg("%s: %" PRIu64 " MB: chrome://tracing may not load "
			 "more than about 256 MB; ui.perfetto.dev or --format "
			 "perfetto will", path, j.bytes >> 20);
	return status;
}
