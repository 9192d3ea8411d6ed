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
 * the target, each bound to an instant made for it (flow_end()).  Slices
 * of a thread nest and never overlap partially: residue slices end at
 * blocked ones and are cut at region boundaries (timeline.h), and times
 * are written so that a consumer's doubles keep it so (ts()).
 * A big trace is drawn at a resolution (timeline.h): a thread's slices
 * shorter than a bucket become one "X" per bucket, "<n> short slices",
 * its category the state with the most time, with count, total_ns and
 * per state <state>_n and <state>_ns in args; the counters keep each
 * bucket's minimum, maximum and last value; "otherData" (the trace's
 * metadata in chrome://tracing) has the note saying so, the width and
 * where bucket 0 starts.
 * Timestamps are microseconds since the trace started, on a 2^-11 µs
 * grid.  Written as a stream, one event per line.
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
	uint64_t later;		/* threads of a reused tid: tid_of() */
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

/*
 * µs since the start.  Not as "12.345": a decimal fraction is no binary
 * one, so a consumer's double ts + dur of a slice lands an ulp past the
 * next slice's ts (2115.813 + 32.398 > 2148.211), and speedscope or the
 * DevTools trace engine then nests the next slice in it or drops it.  A
 * multiple of 2^-11 µs is exact in a double (up to 2^42 µs, 50 days), as
 * are the sums and differences consumers take of such values, so slices
 * that touch stay touching.  The grid (0.488 ns) is fine enough that a ts,
 * and a dur as the difference of two, round to their exact ns.
 */
#define TS_BITS		11

/* t as a signed count of 2^-11 µs since the start, rounded */
static int64_t grid(const struct js *j, uint64_t t)
{
	int64_t ns = (int64_t)(t - j->start);
	uint64_t a = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
	int64_t r = (int64_t)(((a << TS_BITS) + 500) / 1000);

	return ns < 0 ? -r : r;
}

/* a grid value in µs, exactly: 2^-11 = 0.00048828125 */
static void put_grid(struct js *j, int64_t r)
{
	uint64_t a = r < 0 ? -(uint64_t)r : (uint64_t)r;
	uint64_t frac = (a & ((1u << TS_BITS) - 1)) * 48828125ull; /* 5^11 */
	char digits[16];
	int n;

	out(j, "%s%" PRIu64, r < 0 ? "-" : "", a >> TS_BITS);
	if (!frac)
		return;
	n = snprintf(digits, sizeof(digits), "%011" PRIu64, frac);
	while (n > 0 && digits[n - 1] == '0')
		digits[--n] = 0;
	out(j, ".%s", digits);
}

static void ts(struct js *j, uint64_t t)
{
	put_grid(j, grid(j, t));
}

/* ,"dur": of [t, t + len): the difference of the two ends' grid values,
 * so that ts + dur is the next slice's ts exactly */
static void dur(struct js *j, uint64_t t, uint64_t len)
{
	out(j, ",\"dur\":");
	put_grid(j, grid(j, t + len) - grid(j, t));
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

/*
 * The "tid" of a thread.  The format has one track per (pid, tid), and
 * a tid the kernel reused names threads that are not the same one
 * (trace.h: generations): the first keeps its tid, the later ones get
 * ids past the largest tid Linux gives (PID_MAX_LIMIT, 2^22 on 64 bits,
 * include/linux/threads.h), counted in order of appearance, and their
 * names say the real tid and generation (js_done()).
 */
#define JS_TID_BASE	(1ull << 22)

static uint64_t tid_of(const struct ana_tl_thread *th)
{
	return th->user ? (uint64_t)(uintptr_t)th->user : th->tid;
}

static void js_thread(void *u, struct ana_tl_thread *th)
{
	struct js *j = u;

	if (th->gen > 1)
		th->user = (void *)(uintptr_t)(JS_TID_BASE + ++j->later);
}

/* ---- timeline callbacks ---- */

static void js_slice(void *u, struct ana_tl_thread *th,
		     const struct ana_tl_slice *s)
{
	struct js *j = u;
	const struct ana_block *b = s->b;
	char stack[4096], *nl;

	if (s->aggregated)
		return;		/* in an aggregate: js_aggregate() */
	begin(j, "X", pid_of(th), tid_of(th), b->start);
	dur(j, b->start, b->dur);
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
		out(j, ",\"unfinished\":\"%s\"",
		    ana_unfinished_at(&j->tl->t, b->start + b->dur));
	out(j, "}}");
}

static void js_residue(void *u, struct ana_tl_thread *th,
		       const struct ana_tl_residue *r)
{
	struct js *j = u;
	double pct[3];

	if (r->aggregated)
		return;
	ana_tl_pct(&r->split, pct);
	begin(j, "X", pid_of(th), tid_of(th), r->start);
	dur(j, r->start, r->dur);
	name_cat(j, ana_state_name(r->state), (enum ana_tl_cat)r->state);
	out(j, ",\"args\":{\"running\":\"%.0f%%\",\"runnable\":\"%.0f%%\","
	    "\"unknown\":\"%.0f%%\",\"running_ns\":%" PRIu64 ",\"runnable_ns\":%"
	    PRIu64 ",\"unknown_ns\":%" PRIu64 ",\"readings\":\"%s\"}}", pct[0],
	    pct[1], pct[2], r->split.running, r->split.runnable,
	    r->split.unknown, r->measured ? "between two" : "none on one side");
}

static void js_aggregate(void *u, struct ana_tl_thread *th,
			 const struct ana_tl_agg *g)
{
	struct js *j = u;
	char name[64];
	int k;

	begin(j, "X", pid_of(th), tid_of(th), g->start);
	dur(j, g->start, g->dur);
	snprintf(name, sizeof(name), "%" PRIu64 " short slices", g->count);
	name_cat(j, name, (enum ana_tl_cat)g->state);
	out(j, ",\"args\":{\"count\":%" PRIu64 ",\"total_ns\":%" PRIu64
	    ",\"bucket_ns\":%" PRIu64, g->count, g->total, j->tl->width);
	for (k = 0; k < ANA_NSTATES; k++)
		if (g->n[k])
			out(j, ",\"%s_n\":%" PRIu64 ",\"%s_ns\":%" PRIu64,
			    ana_state_name(k), g->n[k], ana_state_name(k),
			    g->ns[k]);
	out(j, "}}");
}

static void js_sample(void *u, struct ana_tl_thread *th,
		      const struct ana_tl_sample *s)
{
	struct js *j = u;
	char leaf[512];

	begin(j, "i", pid_of(th), tid_of(th), s->ts);
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

	begin(j, begin_ ? "B" : "E", pid_of(th), tid_of(th), t);
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

	begin(j, "i", p->p->pid, th ? tid_of(th) : p->p->pid, t);
	name_cat(j, name, cat);
	out(j, ",\"s\":\"%s\",\"args\":{\"detail\":", th ? "t" : "p");
	str(j, detail);
	out(j, "}}");
}

/*
 * One end of an arrow: an instant (no duration: it cannot overlap a
 * slice, which a 1 ns slice did once ts were doubles) and the flow event
 * at the same ts, pid, tid and category, which is how the DevTools trace
 * engine binds the two; chrome://tracing and Perfetto bind "s" to the
 * enclosing slice and "f" with "bp":"e" too, the instant just written.
 */
static void flow_end(struct js *j, const char *ph, const char *name,
		     enum ana_tl_cat kind, uint64_t id,
		     struct ana_tl_thread *th, uint64_t t)
{
	begin(j, "i", pid_of(th), tid_of(th), t);
	name_cat(j, name, kind);
	out(j, ",\"s\":\"t\"}");
	begin(j, ph, pid_of(th), tid_of(th), t);
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
	    ana_tl_counter_label(j->tl, c),
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

/*
 * The name of pid (one record per pid: an exec makes a second image of
 * it): its images' names in order, "sh → demo", a
 * repeated one once.
 * Same for the threads: an exec keeps the main thread's tid.
 */
static void image_chain(struct js *j, size_t i, uint64_t tid, char *buf,
			size_t size)
{
	struct ana_tl *tl = j->tl;
	uint64_t pid = tl->procs[i]->p->pid;
	char one[256], prev[256] = "";
	size_t len = 0;

	buf[0] = 0;
	for (; i < tl->nprocs && len + 1 < size; i++) {
		struct ana_tl_proc *p = tl->procs[i];
		struct ana_tl_thread *th;

		if (p->p->pid != pid)
			continue;
		if (tid) {
			th = hmap_get(&p->by_tid, tid);
			if (!th)
				continue;
			ana_tl_thread_label(tl, th, one, sizeof(one));
		} else {
			ana_tl_proc_name(p, one, sizeof(one));
		}
		if (!strcmp(one, prev))
			continue;
		len += snprintf(buf + len, size - len, "%s%s",
				prev[0] ? " \xe2\x86\x92 " : "", one);
		snprintf(prev, sizeof(prev), "%s", one);
	}
}

/* names: thread names are resolved only once everything is read */
static void js_done(void *u)
{
	struct js *j = u;
	struct ana_tl *tl = j->tl;
	struct hmap seen = { 0 };
	char buf[1024];
	size_t i, k, m;

	for (i = 0; i < tl->nprocs; i++) {
		struct ana_tl_proc *p = tl->procs[i];
		uint64_t pid = p->p->pid;

		/* threads first named by an earlier image of pid are done */
		if (!hmap_get(&seen, pid + 1)) {
			hmap_put(&seen, pid + 1, p);
			image_chain(j, i, 0, buf, sizeof(buf));
			meta(j, "process_name", pid, pid, buf);
		}
		for (k = 0; k < p->nthreads; k++) {
			struct ana_tl_thread *th = p->threads[k];

			if (th->th && th->th->gen > 1) {
				ana_tl_thread_title(tl, th, buf, sizeof(buf));
				meta(j, "thread_name", pid, tid_of(th), buf);
				continue;
			}
			for (m = 0; m < i; m++)
				if (tl->procs[m]->p->pid == pid &&
				    hmap_get(&tl->procs[m]->by_tid, th->tid))
					break;
			if (m < i)
				continue;
			image_chain(j, i, th->tid, buf, sizeof(buf));
			if (th->th && th->th->next_gen)
				ana_tl_thread_title(tl, th, buf, sizeof(buf));
			meta(j, "thread_name", pid, th->tid, buf);
		}
	}
	hmap_free(&seen);
}

int ana_export_json(struct ana_tl *tl, const char *path)
{
	static const struct ana_tl_ops ops = {
		.thread = js_thread,
		.slice = js_slice,
		.residue = js_residue,
		.aggregate = js_aggregate,
		.sample = js_sample,
		.region = js_region,
		.task = js_task,
		.instant = js_instant,
		.flow = js_flow,
		.counter = js_counter,
		.done = js_done,
	};
	struct js j = { 0 };
	char note[512];
	int status;

	j.tl = tl;
	j.start = tl->t.h.start_monotonic;
	j.f = ana_tl_out(path);
	out(&j, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
	status = ana_tl_run(tl, &ops, &j);
	out(&j, "\n]");
	if (tl->width) {
		out(&j, ",\"otherData\":{\"resolution\":");
		str(&j, ana_tl_note(tl, note, sizeof(note)));
		out(&j, ",\"bucket_ns\":%" PRIu64 ",\"bucket_start\":",
		    tl->width);
		ts(&j, tl->wbegin);	/* where bucket 0 starts, as "ts" */
		out(&j, "}");
	}
	out(&j, "}\n");
	ana_tl_close(j.f, path);
	if (j.bytes > BIG_OUTPUT)
		warn_msg("%s: %" PRIu64 " MB: chrome://tracing may not load "
			 "more than about 256 MB; ui.perfetto.dev or --format "
			 "perfetto will", path, j.bytes >> 20);
	return status;
}
