/*
 * timeline.c - a trace as timeline items (see timeline.h).
 *
 * What is kept while reading: per process its threads, fd names, tasks,
 * creates and starts; for all processes the changes of the on-CPU count
 * (two per residue piece) and the heap operations, both replayed in time
 * order at the end through an external sort (spill.h), so memory does
 * not grow with them; per thread the residue not yet placed: the gaps
 * since its last reading (until the next one says what they were; none
 * before its first reading, which are unknown at once) and the readings
 * read since its last blocked interval ended (a reading recorded before
 * a call's event may lie inside that call: blocking events are recorded
 * when they return), at most RES_QUEUE of them; with a width, its
 * aggregates not yet complete and the region boundaries they may need.
 * The heap replay keeps the live blocks of one process at a time.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "fatal.h"
#include "file.h"
#include "log.h"
#include "outfile.h"
#include "profile.h"
#include "symbols.h"
#include "timeline.h"

const struct ana_tl_colour ana_tl_palette[TL_NCATS] = {
	[TL_RUNNING] = { "running", "thread_state_running", "#43a047" },
	[TL_RUNNABLE] = { "runnable", "thread_state_runnable", "#4dd0e1" },
	[TL_SYNC] = { "sync", "terrible", "#e53935" },
	[TL_IO] = { "io", "thread_state_iowait", "#fb8c00" },
	[TL_WAIT] = { "wait", "thread_state_sleeping", "#8e24aa" },
	[TL_SLEEP] = { "sleep", "grey", "#9e9e9e" },
	[TL_JOIN] = { "join", "thread_state_uninterruptible", "#3949ab" },
	[TL_UNKNOWN] = { "unknown", "thread_state_unknown", "#d7ccc8" },
	[TL_USER] = { "user", "rail_animation", "#00897b" },
	[TL_THREAD] = { "thread", "generic_work", "#1e88e5" },
	[TL_PROCESS] = { "process", "black", "#424242" },
	[TL_HEAP] = { "heap", "yellow", "#fdd835" },
	[TL_CPU] = { "cpu", "olive", "#263238" },
};

const char *const ana_tl_counter_name[TL_NCOUNTERS] = {
	"on-CPU threads", "live heap bytes",
};

/* readings kept unplaced per thread at most: past it, the oldest is
 * taken to be outside any call (0.64 s of CPU at 100 Hz; samples do not
 * land inside blocking calls since Linux 5.11, see preload/cpu.c) */
#define RES_QUEUE	64
/* the on-CPU counter adds shares in millionths, so that they cancel */
#define SHARE_ONE	1000000

/* a change of the on-CPU count, in SHARE_ONE units, of process proc */
struct runrec {
	uint64_t ts;
	int64_t delta;
	uint32_t proc;
};

/* a heap operation (a realloc is a free and an alloc), in file order */
struct heaprec {
	uint64_t ts, seq;
	uint64_t addr, size;
	uint32_t proc;
	uint8_t free;
};

/* an aggregate being filled, of bucket b after region boundary seg */
struct agg_open {
	uint64_t b, seg;
	struct ana_tl_agg a;
};

/* a reading, or a region boundary (cut), not placed yet */
struct res_point {
	struct ana_sched r;
	int cut;
};

/* a gap, or part of one; cut: not to be merged with the one before */
struct res_span {
	uint64_t a, b;
	int cut;
};

struct ana_tl_res {
	uint64_t from;			/* residue before this is placed */
	struct ana_sched prev;		/* the last reading placed */
	int has_prev;
	uint64_t blocked;		/* ns blocked since prev */
	struct res_span *pend;		/* gaps since prev */
	size_t npend, cappend;
	int cut_next;
	struct res_point *q;		/* at or after from, by ts */
	size_t nq, capq;
	struct ana_tl_residue open;	/* the slice being extended */
	int has_open;
	struct ana_block unf;		/* an unfinished call, held */
	const char *unf_fd;
	int has_unf;
	uint64_t done;			/* residue handed out up to here */
	struct agg_open *ag;		/* by (b, seg): not complete yet */
	size_t nag, capag;
	uint64_t *cuts;			/* region boundaries, ascending */
	size_t ncuts, capcuts;
};

/* THREAD_CREATE or THREAD_START, matched by handle at the end */
struct ana_tl_start {
	uint64_t ts, handle;
	struct ana_tl_thread *th;
	int used;
};

/* a closed fd's slot: the map cannot delete */
static const struct ana_str closed_fd = { 0 };

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	return xrealloc(p, *cap * size);
}

/* ---- processes and threads ---- */

static struct ana_tl_proc *tl_proc(struct ana_tl *tl, struct ana_proc *p)
{
	struct ana_tl_proc *tp = p->user;

	if (tp)
		return tp;
	tp = xcalloc(1, sizeof(*tp));
	tp->p = p;
	tp->index = tl->nprocs;
	tp->uuid = ++tl->uuids;	/* small: uuids are in every packet */
	p->user = tp;
	tl->procs = xrealloc(tl->procs, (tl->nprocs + 1) * sizeof(*tl->procs));
	tl->procs[tl->nprocs++] = tp;
	if (tl->ops->process)
		tl->ops->process(tl->u, tp);
	return tp;
}

/*
 * The timeline thread of at, or for at NULL of a tid that only ever woke
 * someone (no event of its own was read): one per generation of a tid
 * (trace.h), by_tid keeping the latest.
 */
static struct ana_tl_thread *tl_thread(struct ana_tl *tl,
				       struct ana_tl_proc *tp,
				       const struct ana_thread *at,
				       uint64_t tid)
{
	struct ana_tl_thread *th;

	th = at ? hmap_get(&tp->by_th, (uintptr_t)at) :
	     hmap_get(&tp->by_tid, tid);
	if (th && (at || !th->th))
		return th;
	th = xcalloc(1, sizeof(*th));
	th->proc = tp;
	th->tid = at ? at->tid : tid;
	th->gen = at ? at->gen : 1;
	th->uuid = ++tl->uuids;
	th->index = tl->nthreads++;
	th->th = at;
	if (at)
		hmap_put(&tp->by_th, (uintptr_t)at, th);
	hmap_put(&tp->by_tid, th->tid, th);
	tp->threads = xrealloc(tp->threads,
			       (tp->nthreads + 1) * sizeof(*tp->threads));
	tp->threads[tp->nthreads++] = th;
	if (tl->ops->thread)
		tl->ops->thread(tl->u, th);
	return th;
}

const char *ana_tl_tid_str(const struct ana_tl_thread *th, char *buf,
			   size_t size)
{
	if (th->th)
		return ana_tid_str(th->proc->p, th->th, buf, size);
	snprintf(buf, size, "%" PRIu64, th->tid);
	return buf;
}

/*
 * A wake arrow from tid: to the generation of tid alive at the wake.
 * When no thread of tid was read yet, or the latest ended before the
 * wake, the one that woke is yet to be read: the arrow waits for the end
 * of the trace (memory for those few, not for every wake).
 */
static void wake_flow(struct ana_tl *tl, struct ana_tl_proc *tp,
		      enum ana_tl_cat kind, uint64_t tid, uint64_t ts0,
		      struct ana_tl_thread *to, uint64_t ts1)
{
	struct ana_thread *at = ana_thread_at(tp->p, tid, ts0);
	struct ana_tl_wake *w;

	if (!at || !ana_thread_known_at(at, ts0)) {
		tl->wakes = grow(tl->wakes, &tl->capwakes, tl->nwakes,
				 sizeof(*tl->wakes));
		w = &tl->wakes[tl->nwakes++];
		*w = (struct ana_tl_wake){ kind, tp, tid, ts0, to, ts1 };
		return;
	}
	if (tl->ops->flow)
		tl->ops->flow(tl->u, kind, ++tl->nflows,
			      tl_thread(tl, tp, at, tid), ts0, to, ts1);
}

/* the arrows wake_flow() held, once every generation is known */
static void late_wakes(struct ana_tl *tl)
{
	struct ana_tl_wake *w;
	struct ana_thread *at;
	size_t i;

	for (i = 0; i < tl->nwakes; i++) {
		w = &tl->wakes[i];
		at = ana_thread_at(w->tp->p, w->tid, w->ts0);
		if (tl->ops->flow)
			tl->ops->flow(tl->u, w->kind, ++tl->nflows,
				      tl_thread(tl, w->tp, at, w->tid),
				      w->ts0, w->to, w->ts1);
	}
}

const char *ana_tl_thread_name(const struct ana_tl_thread *th)
{
	return th->th && th->th->name ? th->th->name->s : NULL;
}

const char *ana_tl_frame_name(const struct ana_tl *tl, uint64_t image,
			      uint64_t addr, char *buf, size_t size)
{
	const struct ana_sym *s = ana_symbol(&tl->t, image, addr);
	const char *m;

	if (s && s->name) {
		snprintf(buf, size, "%s", s->name);
	} else if (s && s->module) {
		m = strrchr(s->module, '/');
		snprintf(buf, size, "%s+0x%" PRIx64, m ? m + 1 : s->module,
			 s->module_off);
	} else {
		snprintf(buf, size, "0x%" PRIx64, addr);
	}
	return buf;
}

const char *ana_tl_thread_label(const struct ana_tl *tl,
				const struct ana_tl_thread *th, char *buf,
				size_t size)
{
	const char *n = ana_tl_thread_name(th);

	if (n)
		snprintf(buf, size, "%s", n);
	else if (th->tid == th->proc->p->pid)
		ana_tl_proc_name(th->proc, buf, size);
	else if (th->ts && th->ts->routine)
		ana_tl_frame_name(tl, th->proc->p->image, th->ts->routine, buf,
				  size);
	else
		snprintf(buf, size, "thread %" PRIu64, th->tid);
	return buf;
}

const char *ana_tl_thread_title(const struct ana_tl *tl,
				const struct ana_tl_thread *th, char *buf,
				size_t size)
{
	char label[256], tid[32];

	ana_tl_thread_label(tl, th, label, sizeof(label));
	if (th->th && (th->th->gen > 1 || th->th->next_gen))
		snprintf(buf, size, "%s (tid %s)", label,
			 ana_tl_tid_str(th, tid, sizeof(tid)));
	else
		snprintf(buf, size, "%s", label);
	return buf;
}

const char *ana_tl_proc_name(const struct ana_tl_proc *p, char *buf,
			     size_t size)
{
	const char *s;

	if (!p->p->exe || !p->p->exe->len) {
		snprintf(buf, size, "pid %" PRIu64, p->p->pid);
		return buf;
	}
	s = strrchr(p->p->exe->s, '/');
	snprintf(buf, size, "%s", s ? s + 1 : p->p->exe->s);
	return buf;
}

const char *ana_tl_stack_str(const struct ana_tl *tl,
			     const struct ana_stack *s, const char *sep,
			     char *buf, size_t size)
{
	char frame[512];
	size_t len = 0;
	uint32_t i;

	buf[0] = 0;
	for (i = 0; s && i < s->n && len + 1 < size; i++) {
		ana_frame_str(&tl->t, s->image, s->frames[i], frame,
			      sizeof(frame));
		len += snprintf(buf + len, size - len, "%s%s", i ? sep : "",
				frame);
	}
	return buf;
}

static void see(struct ana_tl *tl, struct ana_tl_thread *th, uint64_t ts)
{
	if (!th->first || ts < th->first)
		th->first = ts;
	if (ts > th->last)
		th->last = ts;
	if (!tl->begin || ts < tl->begin)
		tl->begin = ts;
	if (ts > tl->end)
		tl->end = ts;
}

static void run_delta(struct ana_tl *tl, struct ana_tl_proc *tp,
		      uint64_t ts, int64_t d)
{
	struct runrec r = { ts, d, (uint32_t)tp->index };

	ana_spill_add(&tl->run_sp, &r);
	tp->nrun++;
}

/* ---- aggregates: the short slices of a thread, per bucket ---- */

static uint64_t bucket_of(const struct ana_tl *tl, uint64_t ts)
{
	return ts > tl->wbegin ? (ts - tl->wbegin) / tl->width : 0;
}

/* the latest region boundary at or before ts (0: none) */
static uint64_t seg_of(const struct ana_tl_res *r, uint64_t ts)
{
	size_t lo = 0, hi = r->ncuts, m;

	while (lo < hi) {
		m = (lo + hi) / 2;
		if (r->cuts[m] <= ts)
			lo = m + 1;
		else
			hi = m;
	}
	return lo ? r->cuts[lo - 1] : 0;
}

static void agg_cut(struct ana_tl_res *r, uint64_t ts)
{
	if (r->ncuts && ts <= r->cuts[r->ncuts - 1])
		return;		/* a clock step: keep them ascending */
	r->cuts = grow(r->cuts, &r->capcuts, r->ncuts, sizeof(*r->cuts));
	r->cuts[r->ncuts++] = ts;
}

static void agg_add(struct ana_tl *tl, struct ana_tl_thread *th,
		    enum ana_state st, uint64_t start, uint64_t dur)
{
	struct ana_tl_res *r = th->res;
	uint64_t b = bucket_of(tl, start), seg = seg_of(r, start);
	struct ana_tl_agg *a;
	size_t i = r->nag;

	/* blocked slices come in time order, residue ones a little later */
	while (i > 0 && (r->ag[i - 1].b > b ||
			 (r->ag[i - 1].b == b && r->ag[i - 1].seg > seg)))
		i--;
	if (!i || r->ag[i - 1].b != b || r->ag[i - 1].seg != seg) {
		r->ag = grow(r->ag, &r->capag, r->nag, sizeof(*r->ag));
		memmove(r->ag + i + 1, r->ag + i,
			(r->nag - i) * sizeof(*r->ag));
		memset(&r->ag[i], 0, sizeof(r->ag[i]));
		r->ag[i].b = b;
		r->ag[i].seg = seg;
		r->ag[i].a.start = start;
		r->ag[i].a.bucket = tl->wbegin + b * tl->width;
		r->nag++;
		i++;
	}
	a = &r->ag[i - 1].a;
	if (start < a->start) {
		a->dur += a->start - start;
		a->start = start;
	}
	if (start + dur > a->start + a->dur)
		a->dur = start + dur - a->start;
	a->n[st]++;
	a->ns[st] += dur;
	a->count++;
	a->total += dur;
	tl->naggregated++;
}

static void agg_put(struct ana_tl *tl, struct ana_tl_thread *th,
		    struct ana_tl_agg *a)
{
	int s;

	a->state = 0;
	for (s = 1; s < ANA_NSTATES; s++)
		if (a->ns[s] > a->ns[a->state])
			a->state = s;
	tl->naggregates++;
	th->naggregates++;
	if (tl->ops->aggregate)
		tl->ops->aggregate(tl->u, th, a);
}

/*
 * The residue is handed out up to `to`: every slice starting before it
 * has been (blocked ones come first, and none may start before the
 * residue placed: put_block()), so the buckets ending by then are
 * complete.  to == UINT64_MAX: the thread's end.
 */
static void agg_done(struct ana_tl *tl, struct ana_tl_thread *th,
		     uint64_t to)
{
	struct ana_tl_res *r = th->res;
	size_t i = 0, k = 0;

	while (i < r->nag && (to == UINT64_MAX ||
	       tl->wbegin + (r->ag[i].b + 1) * tl->width <= to))
		agg_put(tl, th, &r->ag[i++].a);
	if (i) {
		memmove(r->ag, r->ag + i, (r->nag - i) * sizeof(*r->ag));
		r->nag -= i;
	}
	/* boundaries still needed: from the latest one at or before to */
	while (k + 1 < r->ncuts && r->cuts[k + 1] <= to)
		k++;
	if (k) {
		memmove(r->cuts, r->cuts + k, (r->ncuts - k) * sizeof(*r->cuts));
		r->ncuts -= k;
	}
}

/* ---- the residue: gaps between blocked intervals, by readings ---- */

static void split_add(struct ana_split *a, const struct ana_split *b)
{
	a->running += b->running;
	a->runnable += b->runnable;
	a->unknown += b->unknown;
}

/* the largest; ties go to the less committal state */
static enum ana_state dominant(const struct ana_split *s)
{
	if (s->unknown >= s->runnable && s->unknown >= s->running)
		return ANA_UNKNOWN;
	return s->runnable >= s->running ? ANA_RUNNABLE : ANA_RUNNING;
}

void ana_tl_pct(const struct ana_split *s, double pct[3])
{
	double sum = (double)s->running + s->runnable + s->unknown;

	pct[0] = sum > 0 ? 100.0 * s->running / sum : 0;
	pct[1] = sum > 0 ? 100.0 * s->runnable / sum : 0;
	pct[2] = sum > 0 ? 100.0 * s->unknown / sum : 0;
}

static void res_flush(struct ana_tl *tl, struct ana_tl_thread *th)
{
	struct ana_tl_res *r = th->res;

	if (!r->has_open)
		return;
	r->has_open = 0;
	th->time[r->open.state] += r->open.dur;
	tl->nresidue++;
	r->open.aggregated = tl->width && r->open.dur < tl->width;
	if (r->open.aggregated)
		agg_add(tl, th, r->open.state, r->open.start, r->open.dur);
	if (tl->ops->residue)
		tl->ops->residue(tl->u, th, &r->open);
	r->done = r->open.start + r->open.dur;
	if (tl->width)
		agg_done(tl, th, r->done);
}

/* one gap piece and its part of its interval's split */
static void res_emit(struct ana_tl *tl, struct ana_tl_thread *th,
		     const struct res_span *g, const struct ana_split *sp,
		     enum ana_state state, int measured)
{
	struct ana_tl_res *r = th->res;
	struct ana_tl_residue *o = &r->open;
	int64_t share = (int64_t)(((unsigned __int128)sp->running * SHARE_ONE +
				   (g->b - g->a) / 2) / (g->b - g->a));

	if (share) {
		run_delta(tl, th->proc, g->a, share);
		run_delta(tl, th->proc, g->b, -share);
	}
	if (r->has_open && !g->cut && o->start + o->dur == g->a &&
	    o->measured == measured && o->state == state) {
		o->dur = g->b - o->start;
		split_add(&o->split, sp);
		return;
	}
	res_flush(tl, th);
	r->has_open = 1;
	o->state = state;
	o->start = g->a;
	o->dur = g->b - g->a;
	o->split = *sp;
	o->measured = measured;
	o->aggregated = 0;
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * part : a gap of len ns's share of `left`, what is left to hand out of
 * an interval's split over its gaps of `rest` ns (len included): about
 * proportional, each part summing to len and all of them to the split.
 */
static void part_of(struct ana_split *left, uint64_t rest, uint64_t len,
		    struct ana_split *part)
{
	uint64_t q = left->runnable, u = left->unknown;
	uint64_t want = (uint64_t)((unsigned __int128)left->running * len / rest);

	/* what this gap leaves must fit the others, and the others' too */
	part->running = clamp(want, len > q + u ? len - q - u : 0,
			      left->running < len ? left->running : len);
	len -= part->running;
	want = (uint64_t)((unsigned __int128)q * (len + part->running) / rest);
	part->runnable = clamp(want, len > u ? len - u : 0, q < len ? q : len);
	part->unknown = len - part->runnable;
	left->running -= part->running;
	left->runnable -= part->runnable;
	left->unknown -= part->unknown;
}

/*
 * The gaps since the last reading, now that one ends them (rd) or none
 * will (NULL: the thread's end).  The interval's split is spread over its
 * gaps by length: no gap is said to be more on-CPU than another, and a
 * thread's slices sum to its split.  An interval across a gap in the
 * recording (--paused) has no split: all unknown.
 */
static void res_close(struct ana_tl *tl, struct ana_tl_thread *th,
		      const struct ana_sched *rd)
{
	struct ana_tl_res *r = th->res;
	struct ana_split sp = { 0 }, left, part;
	uint64_t rest = 0, len;
	int measured = r->has_prev && rd;
	size_t i;

	/* across a gap between windows: what was on a CPU when is not
	 * known, as states.c says too */
	if (measured && ana_trace_gap(&tl->t, r->prev.ts, rd->ts))
		measured = 0;

	for (i = 0; i < r->npend; i++)
		rest += r->pend[i].b - r->pend[i].a;
	if (measured)
		ana_sched_split(&r->prev, rd, r->blocked, &sp);
	/* the split covers the gaps exactly; never hand out more anyway */
	left.running = sp.running < rest ? sp.running : rest;
	left.runnable = sp.runnable < rest - left.running ? sp.runnable :
			rest - left.running;
	left.unknown = rest - left.running - left.runnable;
	for (i = 0; i < r->npend; i++) {
		len = r->pend[i].b - r->pend[i].a;
		if (measured)
			part_of(&left, rest, len, &part);
		else
			part = (struct ana_split){ 0, 0, len };
		rest -= len;
		res_emit(tl, th, &r->pend[i], &part,
			 measured ? dominant(&sp) : ANA_UNKNOWN, measured);
	}
	r->npend = 0;
	r->blocked = 0;
	if (rd) {
		r->prev = *rd;
		r->has_prev = 1;
	}
}

/*
 * residue [r->from, to): pending until the next reading, except before
 * the thread's first, where it is unknown whatever comes (res_close()),
 * so it is handed out at once and nothing piles up in a trace without
 * readings
 */
static void res_gap(struct ana_tl *tl, struct ana_tl_thread *th,
		    uint64_t to)
{
	struct ana_tl_res *r = th->res;
	struct res_span g = { r->from, to, r->cut_next };
	struct ana_split part = { 0, 0, to - r->from };

	if (to <= r->from)
		return;
	r->cut_next = 0;
	r->from = to;
	if (!r->has_prev) {
		res_emit(tl, th, &g, &part, ANA_UNKNOWN, 0);
		return;
	}
	r->pend = grow(r->pend, &r->cappend, r->npend, sizeof(*r->pend));
	r->pend[r->npend++] = g;
}

static void res_block(struct ana_tl_res *r, uint64_t to)
{
	if (to <= r->from)
		return;
	r->blocked += to - r->from;
	r->from = to;
}

/* a point outside any blocked interval: the gap up to it is known */
static void res_place(struct ana_tl *tl, struct ana_tl_thread *th,
		      const struct res_point *pt)
{
	struct ana_tl_res *r = th->res;

	res_gap(tl, th, pt->r.ts);
	if (pt->cut)
		r->cut_next = 1;
	else
		res_close(tl, th, &pt->r);
}

static void res_drop(struct ana_tl_res *r, size_t n)
{
	if (!n)
		return;		/* the queue may be unallocated */
	memmove(r->q, r->q + n, (r->nq - n) * sizeof(*r->q));
	r->nq -= n;
}

/* a reading or cut at pt->r.ts, in order among the unplaced ones */
static void res_point(struct ana_tl *tl, struct ana_tl_thread *th,
		      const struct res_point *pt)
{
	struct ana_tl_res *r = th->res;
	size_t i;

	if (!r || pt->r.ts < r->from)
		return;		/* inside what is placed: no use any more */
	if (pt->cut && tl->width)
		agg_cut(r, pt->r.ts);
	if (r->nq == RES_QUEUE) {
		res_place(tl, th, &r->q[0]);
		res_drop(r, 1);
	}
	r->q = grow(r->q, &r->capq, r->nq, sizeof(*r->q));
	for (i = r->nq; i > 0 && r->q[i - 1].r.ts > pt->r.ts; i--)
		r->q[i] = r->q[i - 1];
	r->q[i] = *pt;
	r->nq++;
}

/* a blocked interval [s, e): the readings before s were in the gap,
 * those up to e inside the call */
static void res_interval(struct ana_tl *tl, struct ana_tl_thread *th,
			 uint64_t s, uint64_t e)
{
	struct ana_tl_res *r = th->res;
	size_t i = 0;

	while (i < r->nq && r->q[i].r.ts < s)
		res_place(tl, th, &r->q[i++]);
	res_gap(tl, th, s);
	for (; i < r->nq && r->q[i].r.ts <= e; i++) {
		res_block(r, r->q[i].r.ts);
		if (!r->q[i].cut)
			res_close(tl, th, &r->q[i].r);
	}
	res_block(r, e);
	res_drop(r, i);
}

/* where a thread's residue starts: as states.c's lifetime does */
static void res_start(struct ana_tl_thread *th, const struct ana_thread *at,
		      const struct ana_proc *p, uint64_t ts)
{
	struct ana_tl_res *r = xcalloc(1, sizeof(*r));

	r->from = at->has_start ? at->start_ts : ts;
	if (at->tid == p->pid && !p->stub && p->ts < r->from)
		r->from = p->ts;
	th->res = r;
}

/* the end of a thread's lifetime: what is left, then unknown */
static void res_end(struct ana_tl *tl, struct ana_tl_thread *th)
{
	struct ana_tl_res *r = th->res;
	uint64_t end = th->ts ? th->ts->end : th->last;
	size_t i;

	for (i = 0; i < r->nq; i++)
		res_place(tl, th, &r->q[i]);
	r->nq = 0;
	res_gap(tl, th, end);
	res_close(tl, th, NULL);
	res_flush(tl, th);
	if (tl->width)
		agg_done(tl, th, UINT64_MAX);
}

static void res_free(struct ana_tl_res *r)
{
	if (!r)
		return;
	free(r->pend);
	free(r->q);
	free(r->ag);
	free(r->cuts);
	free(r);
}

/* ---- events ---- */

static const char *str_of(struct ana_tl *tl, uint64_t id)
{
	const struct ana_str *s = ana_string(&tl->t, id);

	return s ? s->s : "";
}

/* a blocked interval, fd_name as its fd was named when it was read */
static void put_block(struct ana_tl *tl, struct ana_tl_thread *th,
		      const struct fmt_event *ev, struct ana_block *b,
		      const char *fd_name)
{
	struct ana_tl_proc *tp = th->proc;
	struct ana_tl_slice s;
	uint64_t end = b->start + b->dur, floor = th->last_end;
	char obj[512];

	/* intervals of a thread never overlap; a clock step must not make
	 * a viewer nest one inside the other, nor a residue slice already
	 * given out (a reading taken for outside any call: RES_QUEUE) */
	if (th->res && th->res->from > floor)
		floor = th->res->from;
	if (b->start < floor) {
		b->start = floor;
		b->dur = end > b->start ? end - b->start : 0;
		end = b->start + b->dur;
	}
	th->last_end = end;
	if (th->res)
		res_interval(tl, th, b->start, end);
	see(tl, th, end);
	th->time[b->state] += b->dur;
	th->nblocks++;
	tl->nslices++;
	s.cat = (enum ana_tl_cat)b->state;
	s.name = fmt_event_info(b->type)->name;
	s.b = b;
	s.fd_name = fd_name;
	s.obj_name = b->has_fd || !b->obj ? NULL :
		ana_data_name(&tl->t, tp->p->image, b->obj, obj, sizeof(obj));
	s.stack = b->stack ? ana_stack(&tl->t, b->stack) : NULL;
	s.ev = ev;
	s.aggregated = tl->width && b->dur < tl->width && th->res;
	if (s.aggregated)
		agg_add(tl, th, b->state, b->start, b->dur);
	if (tl->ops->slice)
		tl->ops->slice(tl->u, th, &s);
	if (b->waker && b->wake_ts && b->waker != th->tid)
		wake_flow(tl, tp, (enum ana_tl_cat)b->state, b->waker,
			  b->wake_ts, th, end);
}

/*
 * A call unfinished at exit was recorded up to the exit's flush, a little
 * before its process's end; it stays blocked to the end of the thread's
 * lifetime (as states.c has it), known only at the end: held till then.
 */
static void put_unfinished(struct ana_tl *tl, struct ana_tl_thread *th)
{
	struct ana_tl_res *r = th->res;
	uint64_t end = th->ts ? th->ts->end : 0;

	if (!r || !r->has_unf)
		return;
	r->has_unf = 0;
	if (r->unf.start < end && r->unf.start + r->unf.dur < end)
		r->unf.dur = end - r->unf.start;
	put_block(tl, th, NULL, &r->unf, r->unf_fd);
}

static void on_block(struct ana_tl *tl, struct ana_tl_thread *th,
		     const struct fmt_event *ev, struct ana_block *b)
{
	const struct ana_str *fd = NULL;
	const char *fd_name;

	if (b->has_fd)
		fd = hmap_get(&th->proc->fds, b->obj);
	fd_name = fd && fd != &closed_fd ? fd->s : NULL;
	if (!b->unfinished || !th->res) {
		put_block(tl, th, ev, b, fd_name);
		return;
	}
	put_unfinished(tl, th);		/* an earlier one: as it was */
	th->res->unf = *b;
	th->res->unf_fd = fd_name;
	th->res->has_unf = 1;
}

static void on_reading(struct ana_tl *tl, struct ana_tl_thread *th,
		       const struct fmt_event *ev, const struct ana_sched *r)
{
	struct res_point pt = { *r, 0 };
	struct ana_tl_sample s;

	res_point(tl, th, &pt);
	if (ev->type != FMT_EV_CPU_SAMPLE)
		return;
	th->nsamples++;
	tl->nsamples++;
	s.ts = ev->ts;
	s.period = ev->f[FMT_F_CPU_SAMPLE_period];
	s.stack_id = ev->f[FMT_F_CPU_SAMPLE_stack];
	s.stack = s.stack_id ? ana_stack(&tl->t, s.stack_id) : NULL;
	if (tl->ops->sample)
		tl->ops->sample(tl->u, th, &s);
}

static void add_start(struct ana_tl_start **v, size_t *n, uint64_t ts,
		      uint64_t handle, struct ana_tl_thread *th)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n] = (struct ana_tl_start){ ts, handle, th, 0 };
	(*n)++;
}

static void add_heap(struct ana_tl *tl, struct ana_tl_proc *tp,
		     uint64_t ts, uint64_t addr, uint64_t size, int is_free)
{
	struct heaprec h = { ts, tl->heap_sp.count, addr, size,
			     (uint32_t)tp->index, (uint8_t)is_free };

	/* a sampled allocation stands for several: an estimate, scaled */
	if (!is_free && tp->p->heap_sample)
		h.size = (uint64_t)llround((double)size *
					   ana_heap_weight(tp->p, size));

	ana_spill_add(&tl->heap_sp, &h);
	tp->nheap++;
}

static void instant(struct ana_tl *tl, struct ana_tl_proc *tp,
		    struct ana_tl_thread *th, uint64_t ts,
		    enum ana_tl_cat cat, const char *name, const char *detail)
{
	if (tl->ops->instant)
		tl->ops->instant(tl->u, tp, th, ts, cat, name, detail);
}

/* events that are not intervals: tables, user items, instants */
/* on_other() reads both region events by REGION_BEGIN's names */
_Static_assert(FMT_F_REGION_BEGIN_type == FMT_F_REGION_END_type,
	       "REGION_BEGIN and REGION_END differ");

static void on_other(struct ana_tl *tl, struct ana_tl_thread *th,
		     const struct fmt_event *ev)
{
	struct ana_tl_proc *tp = th->proc;
	const uint64_t *f = ev->f;
	struct res_point cut = { .cut = 1 };
	const struct ana_str *s;
	char d[64], sig[1024];

	switch (ev->type) {
	case FMT_EV_THREAD_CREATE:
		if (!f[FMT_F_THREAD_CREATE_result])
			add_start(&tp->creates, &tp->ncreates, ev->ts,
				  f[FMT_F_THREAD_CREATE_handle], th);
		break;
	case FMT_EV_THREAD_START:
		add_start(&tp->starts, &tp->nstarts, ev->ts,
			  f[FMT_F_THREAD_START_handle], th);
		break;
	case FMT_EV_FD_OPEN:
		s = ana_string(&tl->t, f[FMT_F_FD_OPEN_name]);
		if (s && s->len)
			hmap_put(&tp->fds, f[FMT_F_FD_OPEN_fd], (void *)s);
		break;
	case FMT_EV_FD_CLOSE:
		if (hmap_get(&tp->fds, f[FMT_F_FD_CLOSE_fd]))
			hmap_put(&tp->fds, f[FMT_F_FD_CLOSE_fd],
				    (void *)&closed_fd);
		break;
	case FMT_EV_ALLOC:
		add_heap(tl, tp, ev->ts, f[FMT_F_ALLOC_addr],
			 f[FMT_F_ALLOC_size], 0);
		break;
	case FMT_EV_FREE:
		add_heap(tl, tp, ev->ts, f[FMT_F_FREE_addr], 0, 1);
		break;
	case FMT_EV_REALLOC:
		/* the old block goes, then the new one comes (in place:
		 * the same address) */
		add_heap(tl, tp, ev->ts, f[FMT_F_REALLOC_old], 0, 1);
		add_heap(tl, tp, ev->ts, f[FMT_F_REALLOC_addr],
			 f[FMT_F_REALLOC_size], 0);
		break;
	case FMT_EV_TASK_BEGIN:
		s = ana_string(&tl->t, f[FMT_F_TASK_BEGIN_type]);
		if (s)
			hmap_put(&tp->tasks, f[FMT_F_TASK_BEGIN_id],
				    (void *)s);
		if (tl->ops->task)
			tl->ops->task(tl->u, tp, 1, ev->ts,
				      f[FMT_F_TASK_BEGIN_id],
				      s ? s->s : "task");
		break;
	case FMT_EV_TASK_END:
		s = hmap_get(&tp->tasks, f[FMT_F_TASK_END_id]);
		if (tl->ops->task)
			tl->ops->task(tl->u, tp, 0, ev->ts,
				      f[FMT_F_TASK_END_id],
				      s ? s->s : "task");
		break;
	case FMT_EV_REGION_BEGIN:
	case FMT_EV_REGION_END:
		cut.r.ts = ev->ts;
		res_point(tl, th, &cut);
		if (tl->ops->region)
			tl->ops->region(tl->u, th,
					ev->type == FMT_EV_REGION_BEGIN,
					ev->ts,
					str_of(tl, f[FMT_F_REGION_BEGIN_type]));
		break;
	case FMT_EV_LOG:
		instant(tl, tp, th, ev->ts, TL_USER,
			str_of(tl, f[FMT_F_LOG_category]),
			str_of(tl, f[FMT_F_LOG_message]));
		break;
	case FMT_EV_FORK:
		snprintf(d, sizeof(d), "child %" PRId64,
			 (int64_t)f[FMT_F_FORK_child]);
		instant(tl, tp, th, ev->ts, TL_PROCESS, "fork", d);
		break;
	case FMT_EV_SPAWN:
		snprintf(d, sizeof(d), "child %" PRId64,
			 (int64_t)f[FMT_F_SPAWN_child]);
		instant(tl, tp, th, ev->ts, TL_PROCESS, "spawn", d);
		break;
	case FMT_EV_EXEC_FAIL:
		instant(tl, tp, th, ev->ts, TL_PROCESS, "exec_fail",
			str_of(tl, f[FMT_F_EXEC_FAIL_path]));
		break;
	case FMT_EV_EXIT:
		snprintf(d, sizeof(d), "status %" PRId64,
			 (int64_t)f[FMT_F_EXIT_status]);
		instant(tl, tp, th, ev->ts, TL_PROCESS, "exit", d);
		break;
	case FMT_EV_FATAL_SIGNAL:
		instant(tl, tp, th, ev->ts, TL_PROCESS, "fatal_signal",
			ana_fatal_str(&tl->t, th->tid, ev, 3, sig,
				      sizeof(sig)));
		break;
	}
}

static void on_event(struct ana_trace *t, struct ana_proc *p,
		     struct ana_thread *at, const struct fmt_event *ev)
{
	struct ana_tl *tl = (struct ana_tl *)t;
	struct ana_tl_thread *th = tl_thread(tl, tl_proc(tl, p), at, at->tid);
	struct ana_sched r;
	struct ana_block b;
	int blk = ana_block_of(ev, &b);

	/* the block as read: on_block() may clip it */
	ana_states_event(&tl->st, p, at, ev, blk ? &b : NULL);
	th->th = at;
	if (!th->res)
		res_start(th, at, p, ev->ts);
	see(tl, th, ev->ts);
	if (blk)
		on_block(tl, th, ev, &b);
	else if (ana_sched_of(ev, &r))
		on_reading(tl, th, ev, &r);
	else
		on_other(tl, th, ev);
	if (tl->ops->event)
		tl->ops->event(tl->u, th, ev);
}

static void on_process(struct ana_trace *t, struct ana_proc *p)
{
	struct ana_tl *tl = (struct ana_tl *)t;
	struct ana_tl_proc *tp = tl_proc(tl, p);

	instant(tl, tp, NULL, p->ts, TL_PROCESS,
		p->flags & FMT_PROC_EXEC ? "exec" : "start",
		p->exe ? p->exe->s : "");
	if (!tl->begin || p->ts < tl->begin)
		tl->begin = p->ts;
}

static void on_process_end(struct ana_trace *t, struct ana_proc *p)
{
	struct ana_tl *tl = (struct ana_tl *)t;
	const char *how = ana_how_name(p->how);
	char d[64];

	snprintf(d, sizeof(d), "%s status %" PRIu64, how ? how : "?",
		 p->status);
	instant(tl, tl_proc(tl, p), NULL, p->end_ts, TL_PROCESS, "end", d);
	if (p->end_ts > tl->end)
		tl->end = p->end_ts;
}

/* ---- at the end: flows and counters ---- */

static int by_handle_ts(const void *a, const void *b)
{
	const struct ana_tl_start *x = a, *y = b;

	if (x->handle != y->handle)
		return x->handle < y->handle ? -1 : 1;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/*
 * Handles are reused once a thread is joined, so a start is the child of
 * the latest unused create of its handle at or before it.
 */
static void create_flows(struct ana_tl *tl, struct ana_tl_proc *tp)
{
	size_t i, j = 0, k;

	if (tp->ncreates)
		qsort(tp->creates, tp->ncreates, sizeof(*tp->creates),
		      by_handle_ts);
	if (tp->nstarts)
		qsort(tp->starts, tp->nstarts, sizeof(*tp->starts),
		      by_handle_ts);
	for (i = 0; i < tp->nstarts; i++) {
		struct ana_tl_start *s = &tp->starts[i], *c = NULL;

		while (j < tp->ncreates && tp->creates[j].handle < s->handle)
			j++;
		for (k = j; k < tp->ncreates &&
		     tp->creates[k].handle == s->handle &&
		     tp->creates[k].ts <= s->ts; k++)
			if (!tp->creates[k].used)
				c = &tp->creates[k];
		if (!c)
			continue;
		c->used = 1;
		if (tl->ops->flow)
			tl->ops->flow(tl->u, TL_THREAD, ++tl->nflows, c->th,
				      c->ts, s->th, s->ts);
	}
}

static int run_cmp(const void *a, const void *b)
{
	const struct runrec *x = a, *y = b;

	if (x->proc != y->proc)
		return x->proc < y->proc ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->delta < y->delta ? -1 : x->delta > y->delta;
}

static int heap_cmp(const void *a, const void *b)
{
	const struct heaprec *x = a, *y = b;

	if (x->proc != y->proc)
		return x->proc < y->proc ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * A counter's values in time order, one per timestamp, to the writer:
 * all of them without a width, else per bucket the minimum, the maximum
 * and the last, each at the time it was reached (in time order, one
 * point for two of them at one time).
 */
struct downs {
	struct ana_tl *tl;
	struct ana_tl_proc *tp;
	enum ana_tl_counter c;
	int have;
	uint64_t b;
	uint64_t ts[3];			/* min, max, last */
	double v[3];
};

static void downs_flush(struct downs *d)
{
	struct ana_tl *tl = d->tl;
	uint64_t done = 0;
	int k, m, any = 0;

	if (!d->have)
		return;
	d->have = 0;
	for (;;) {	/* the three by time, each time once */
		m = -1;
		for (k = 0; k < 3; k++)
			if ((!any || d->ts[k] > done) &&
			    (m < 0 || d->ts[k] < d->ts[m]))
				m = k;
		if (m < 0)
			return;
		/* at one time the last value is the one that stays */
		if (d->ts[m] == d->ts[2])
			m = 2;
		any = 1;
		done = d->ts[m];
		tl->ncounter_out++;
		if (tl->ops->counter)
			tl->ops->counter(tl->u, d->tp, d->c, d->ts[m], d->v[m]);
	}
}

static void downs_point(struct downs *d, uint64_t ts, double v)
{
	struct ana_tl *tl = d->tl;
	uint64_t b;

	tl->ncounter_in++;
	if (!tl->width) {
		tl->ncounter_out++;
		if (tl->ops->counter)
			tl->ops->counter(tl->u, d->tp, d->c, ts, v);
		return;
	}
	b = bucket_of(tl, ts);
	if (d->have && b != d->b)
		downs_flush(d);
	if (!d->have) {
		d->have = 1;
		d->b = b;
		d->ts[0] = d->ts[1] = ts;
		d->v[0] = d->v[1] = v;
	}
	if (v < d->v[0]) {
		d->v[0] = v;
		d->ts[0] = ts;
	}
	if (v > d->v[1]) {
		d->v[1] = v;
		d->ts[1] = ts;
	}
	d->ts[2] = ts;
	d->v[2] = v;
}

/* the on-CPU changes of process tp, from the sorted spill */
static void oncpu_counter(struct ana_tl *tl, struct ana_tl_proc *tp,
			  const struct runrec **next)
{
	struct downs d = { tl, tp, TL_CNT_ONCPU, 0, 0, { 0 }, { 0 } };
	const struct runrec *r = *next;
	uint64_t ts;
	int64_t v = 0;

	while (r && r->proc == tp->index) {
		ts = r->ts;
		v += r->delta;
		r = ana_spill_next(&tl->run_sp);
		if (r && r->proc == tp->index && r->ts == ts)
			continue;
		downs_point(&d, ts, v < 0 ? 0 : (double)v / SHARE_ONE);
	}
	downs_flush(&d);
	*next = r;
}

/*
 * The live blocks of one process, by address: a table that forgets
 * freed blocks (hash.h's table of records, address -> size), so it
 * holds the blocks live at once, not every address ever used.
 */

/* a block at a, replacing one whose free was not recorded */
static void live_put(struct htab *l, uint64_t a, uint64_t size)
{
	*(uint64_t *)htab_rec(l, htab_put(l, a)) = size;
}

/* @return the size of the block at a, now forgotten, or 0 */
static uint64_t live_take(struct htab *l, uint64_t a)
{
	uint64_t size;
	size_t i;

	if (!a || (i = htab_find(l, a)) == HTAB_NONE)
		return 0;
	size = *(uint64_t *)htab_rec(l, i);
	htab_del(l, i);
	return size;
}

/* the heap operations of process tp, from the sorted spill */
static void heap_counter(struct ana_tl *tl, struct ana_tl_proc *tp,
			 const struct heaprec **next, struct htab *live)
{
	struct downs d = { tl, tp, TL_CNT_HEAP, 0, 0, { 0 }, { 0 } };
	const struct heaprec *h = *next;
	uint64_t ts;
	int64_t v = 0, lo = 0, hi = 0;
	int group = 0;

	htab_clear(live);
	while (h && h->proc == tp->index) {
		ts = h->ts;
		if (h->free) {
			v -= (int64_t)live_take(live, h->addr);
		} else if (h->addr) {
			live_put(live, h->addr, h->size);
			v += (int64_t)h->size;
		}
		if (v > tp->peak_heap)
			tp->peak_heap = v;
		lo = group && lo < v ? lo : v;
		hi = group && hi > v ? hi : v;
		h = ana_spill_next(&tl->heap_sp);
		group = h && h->proc == tp->index && h->ts == ts;
		if (group)
			continue;
		/* changes within one ns (an allocation freed at once, on
		 * a clock that read the same ns twice): the values passed
		 * through stay points, so no bucket misses its extreme */
		if (hi != v)
			downs_point(&d, ts, (double)hi);
		if (lo != v)
			downs_point(&d, ts, (double)lo);
		downs_point(&d, ts, (double)v);
	}
	downs_flush(&d);
	*next = h;
}

static void counters(struct ana_tl *tl)
{
	const struct runrec *r;
	const struct heaprec *h;
	struct htab live = HTAB_INIT(uint64_t);
	size_t i;

	ana_spill_sort(&tl->run_sp);
	ana_spill_sort(&tl->heap_sp);
	r = ana_spill_next(&tl->run_sp);
	h = ana_spill_next(&tl->heap_sp);
	for (i = 0; i < tl->nprocs; i++) {
		oncpu_counter(tl, tl->procs[i], &r);
		heap_counter(tl, tl->procs[i], &h, &live);
	}
	htab_free(&live);
}

static void heap_label(struct ana_tl *tl)
{
	char how[80];

	if (ana_heap_sampling(&tl->t, how, sizeof(how)))
		snprintf(tl->heap_label, sizeof(tl->heap_label), "%s, %s",
			 ana_tl_counter_name[TL_CNT_HEAP], how);
}

const char *ana_tl_counter_label(const struct ana_tl *tl, unsigned c)
{
	if (c == TL_CNT_HEAP && tl->heap_label[0])
		return tl->heap_label;
	return ana_tl_counter_name[c];
}

/* lifetimes first: the last residue of each thread runs to its end */
static void on_done(struct ana_trace *t)
{
	struct ana_tl *tl = (struct ana_tl *)t;
	struct ana_tl_proc *tp;
	struct ana_tl_thread *th;
	size_t i, j;

	ana_states_done(&tl->st, t);
	heap_label(tl);
	for (i = 0; i < tl->nprocs; i++) {
		tp = tl->procs[i];
		for (j = 0; j < tp->nthreads; j++) {
			th = tp->threads[j];
			if (th->th)
				th->ts = hmap_get(&tl->st.by_thread,
						     (uintptr_t)th->th);
			put_unfinished(tl, th);
			if (th->res)
				res_end(tl, th);
		}
	}
	for (i = 0; i < tl->nprocs; i++)
		create_flows(tl, tl->procs[i]);
	late_wakes(tl);
	counters(tl);
	if (tl->ops->done)
		tl->ops->done(tl->u);
}

static void free_proc(struct ana_tl_proc *tp)
{
	size_t i;

	for (i = 0; i < tp->nthreads; i++) {
		res_free(tp->threads[i]->res);
		free(tp->threads[i]);
	}
	free(tp->threads);
	hmap_free(&tp->by_tid);
	hmap_free(&tp->by_th);
	hmap_free(&tp->fds);
	hmap_free(&tp->tasks);
	free(tp->creates);
	free(tp->starts);
	free(tp);
}

static void span(uint64_t ts, uint64_t *lo, uint64_t *hi)
{
	if (!ts)
		return;
	if (!*lo || ts < *lo)
		*lo = ts;
	if (ts > *hi)
		*hi = ts;
}

/*
 * The trace's event count and span from its record headers alone (batch
 * base times, processes, their ends, the end record): no event is
 * decoded, and what cannot be read is left to the real pass to report.
 */
static uint64_t tl_scan(const char *path, uint64_t *lo, uint64_t *hi)
{
	struct fmt_reader *r;
	struct fmt_record rec;
	struct fmt_events e;
	struct fmt_process_end pe;
	struct fmt_process p;
	struct fmt_end end;
	uint64_t events = 0;
	int err;

	r = fmt_reader_open(path, &err);
	if (!r)
		return 0;
	while (fmt_reader_next(r, &rec)) {
		if (rec.type == FMT_REC_EVENTS && !fmt_parse_events(&rec, &e)) {
			events += e.nevents;
			span(e.base_ts, lo, hi);
		} else if (rec.type == FMT_REC_PROCESS &&
			   !fmt_parse_process(&rec, &p)) {
			span(p.ts, lo, hi);
		} else if (rec.type == FMT_REC_PROCESS_END &&
			   !fmt_parse_process_end(&rec, &pe)) {
			span(pe.ts, lo, hi);
		} else if (rec.type == FMT_REC_END &&
			   !fmt_parse_end(&rec, &end)) {
			span(end.ts, lo, hi);
		}
	}
	fmt_reader_close(r);
	return events;
}

void ana_tl_open(struct ana_tl *tl, const char *path, long buckets)
{
	uint64_t lo = 0, hi = 0, events;

	memset(tl, 0, sizeof(*tl));
	ana_trace_open(&tl->t, path);
	ana_states_init(&tl->st);
	tl->st.trace = &tl->t;
	ana_spill_init(&tl->heap_sp, sizeof(struct heaprec), heap_cmp);
	ana_spill_init(&tl->run_sp, sizeof(struct runrec), run_cmp);
	if (!buckets)
		return;
	if (!strcmp(path, "-")) {
		if (buckets != ANA_TL_AUTO)
			die(EXIT_USAGE, "--buckets needs a trace file, not "
			    "stdin");
		return;
	}
	events = tl_scan(path, &lo, &hi);
	if (buckets == ANA_TL_AUTO) {
		if (events <= ANA_TL_EXACT)
			return;
		buckets = ANA_TL_BUCKETS;
	}
	tl->nbuckets = buckets;
	tl->wbegin = lo;
	tl->width = (hi - lo + buckets - 1) / buckets;
	if (!tl->width)
		tl->width = 1;
}

/* "1.5 ms": a width for people */
static const char *dur_str(uint64_t ns, char *buf, size_t size)
{
	if (ns >= 1000000000)
		snprintf(buf, size, "%.3g s", ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, size, "%.3g ms", ns / 1e6);
	else if (ns >= 1000)
		snprintf(buf, size, "%.3g us", ns / 1e3);
	else
		snprintf(buf, size, "%" PRIu64 " ns", ns);
	return buf;
}

const char *ana_tl_note(const struct ana_tl *tl, char *buf, size_t size)
{
	char w[32];

	buf[0] = 0;
	if (!tl->width)
		return buf;
	dur_str(tl->width, w, sizeof(w));
	snprintf(buf, size, "drawn at a resolution of %s (%" PRIu64
		 " buckets over the trace): %" PRIu64 " slices shorter than "
		 "that are aggregated into %" PRIu64 " per-bucket slices with "
		 "their exact count and time by state; counters keep the "
		 "minimum, maximum and last value of each bucket (%" PRIu64
		 " of %" PRIu64 " points)", w, tl->nbuckets, tl->naggregated,
		 tl->naggregates, tl->ncounter_out, tl->ncounter_in);
	return buf;
}

int ana_tl_run(struct ana_tl *tl, const struct ana_tl_ops *ops, void *u)
{
	static const struct ana_ops tops = {
		.process = on_process,
		.process_end = on_process_end,
		.event = on_event,
		.done = on_done,
	};
	size_t i;
	int status;

	tl->ops = ops;
	tl->u = u;
	status = ana_trace_read(&tl->t, &tops);
	ana_spill_free(&tl->heap_sp);
	ana_spill_free(&tl->run_sp);
	for (i = 0; i < tl->nprocs; i++)
		free_proc(tl->procs[i]);
	free(tl->procs);
	free(tl->wakes);
	ana_states_free(&tl->st);
	ana_trace_close(&tl->t);
	return status;
}

long ana_tl_buckets(const struct ana_args *a)
{
	const char *v = a->buckets;
	char *end;
	long n;

	if (!v)
		return ANA_TL_AUTO;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 0 || n > 100000000)
		die(EXIT_USAGE, "%s: --buckets wants a count (0: draw every "
		    "item), not '%s'", a->cmd, v);
	return n;
}

/* ---- output ---- */

FILE *ana_tl_out(const char *path)
{
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	f = out_fopen(path);
	if (!f)
		die(EXIT_OUTPUT, "cannot create %s: %s", path, strerror(errno));
	return f;
}

void ana_tl_close(FILE *f, const char *path)
{
	int err = fflush(f) || ferror(f);

	if (f != stdout && fclose(f))
		err = 1;
	if (err)
		die(EXIT_OUTPUT, "cannot write %s: %s", path, strerror(errno));
}

size_t ana_tl_json_str(FILE *f, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 2;

	putc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\') {
			putc('\\', f);
			putc(*p, f);
			n += 2;
		} else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&' ||
			   *p == 0x7f) {
			/* also <, >, &: the html report embeds this */
			fprintf(f, "\\u00%c%c", hex[*p >> 4], hex[*p & 15]);
			n += 6;
		} else {
			putc(*p, f);
			n++;
		}
	}
	putc('"', f);
	return n;
}
