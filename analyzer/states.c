/*
 * states.c - what every thread did with its time, in one streaming pass.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "states.h"
#include "symbols.h"

/* a create whose thread has not started yet (in file order) */
struct pending_create {
	struct ana_proc *p;
	uint64_t ts, stack, tid, routine;
	int matched;
	struct pending_create *next;
};

/* a join whose thread's end has not been read yet */
struct pending_join {
	struct ana_proc *p;
	uint64_t handle, tid, resume_ts, stack;
};

/* ---- histograms ---- */

static void hist_flatten(struct ana_hist *h)
{
	int64_t c = 0;
	size_t i;

	for (i = 0; i < h->n; i++) {
		c += h->full[i];
		h->part[i] += c * (int64_t)h->span;
		h->full[i] = 0;
	}
}

static void hist_merge(struct ana_hist *h)
{
	size_t i;

	hist_flatten(h);
	for (i = 0; i < h->n; i++)
		h->part[i / 2] = i % 2 ? h->part[i / 2] + h->part[i] :
				 h->part[i];
	h->n = (h->n + 1) / 2;
	memset(h->part + h->n, 0, (ANA_HIST_MAX - h->n) * sizeof(*h->part));
	h->span *= 2;
	h->last_lo = h->origin;
	h->last_k = 0;
}

static void hist_prepend(struct ana_hist *h, size_t k)
{
	hist_flatten(h);
	memmove(h->part + k, h->part, h->n * sizeof(*h->part));
	memset(h->part, 0, k * sizeof(*h->part));
	h->n += k;
	h->origin -= k * h->span;
	h->last_lo = h->origin;
	h->last_k = 0;
}

/*
 * The bucket of ts (>= origin).  Divisions were most of hist_add()'s
 * time, and a thread's events come in batches whose blocks mostly fall
 * in the bucket of the one before, so the last bucket is kept.
 */
static size_t hist_bucket(struct ana_hist *h, uint64_t ts)
{
	if (ts - h->last_lo >= h->span) {	/* unsigned: also ts < last_lo */
		h->last_k = (ts - h->origin) / h->span;
		h->last_lo = h->origin + h->last_k * h->span;
	}
	return h->last_k;
}

/*
 * Make room for [a, b) (b > a): start the histogram, grow it to the left,
 * merge buckets until b fits.  @return 0, or -1 if nothing of [a, b) is
 * left at or after ts 0 (*a is moved up to the origin).
 */
static int hist_range(struct ana_hist *h, uint64_t *a, uint64_t b)
{
	size_t k;

	if (!h->started) {
		h->started = 1;
		h->span = ANA_HIST_BASE;
		h->origin = *a - *a % ANA_HIST_BASE;
		h->part = xcalloc(ANA_HIST_MAX + 1, sizeof(*h->part));
		h->full = xcalloc(ANA_HIST_MAX + 1, sizeof(*h->full));
		h->last_lo = h->origin;
		h->last_k = 0;
	}
	while (*a < h->origin) {
		k = (h->origin - *a + h->span - 1) / h->span;
		if (k > h->origin / h->span)
			k = h->origin / h->span;	/* never below 0 */
		if (!k) {
			*a = h->origin;
			if (b <= *a)
				return -1;
			break;
		}
		if (h->n + k > ANA_HIST_MAX)
			hist_merge(h);
		else
			hist_prepend(h, k);
	}
	/* (b - 1 - origin) / span >= ANA_HIST_MAX, without a division (past
	 * the span bound the product would wrap, and the quotient is small) */
	while (h->span <= UINT64_MAX / ANA_HIST_MAX &&
	       b - 1 - h->origin >= ANA_HIST_MAX * h->span)
		hist_merge(h);
	return 0;
}

/* add sign * (1 over [a, b)) */
static void hist_add(struct ana_hist *h, uint64_t a, uint64_t b, int sign)
{
	size_t ka, kb;

	if (b <= a || hist_range(h, &a, b))
		return;
	ka = hist_bucket(h, a);
	kb = hist_bucket(h, b - 1);
	if (kb >= h->n)
		h->n = kb + 1;
	if (ka == kb) {
		h->part[ka] += sign * (int64_t)(b - a);
		return;
	}
	h->part[ka] += sign * (int64_t)(h->origin + (ka + 1) * h->span - a);
	h->part[kb] += sign * (int64_t)(b - (h->origin + kb * h->span));
	h->full[ka + 1] += sign;
	h->full[kb] -= sign;
}

/*
 * add w ns spread evenly over [a, b): bucket k gets w times its share of
 * [a, b), rounded so that the shares sum to w exactly.  One step per
 * bucket covered, and the buckets are bounded.
 */
static void hist_spread(struct ana_hist *h, uint64_t a, uint64_t b,
			uint64_t w)
{
	uint64_t len, lo, hi, cover = 0, given = 0, share;
	size_t k, ka, kb;

	if (b <= a || !w || hist_range(h, &a, b))
		return;
	len = b - a;
	ka = hist_bucket(h, a);
	kb = hist_bucket(h, b - 1);
	if (kb >= h->n)
		h->n = kb + 1;
	for (k = ka; k <= kb; k++) {
		lo = h->origin + k * h->span;
		hi = lo + h->span;
		cover += (hi < b ? hi : b) - (lo > a ? lo : a);
		share = (unsigned __int128)w * cover / len - given;
		h->part[k] += (int64_t)share;
		given += share;
	}
}

double ana_hist_avg(const struct ana_hist *h, uint64_t a, uint64_t b)
{
	uint64_t lo, hi, s, e;
	double sum = 0;
	size_t i;

	if (!h->started || b <= a)
		return 0;
	for (i = 0; i < h->n; i++) {
		s = h->origin + i * h->span;
		e = s + h->span;
		lo = a > s ? a : s;
		hi = b < e ? b : e;
		if (hi > lo)
			sum += (double)h->part[i] * (hi - lo) / h->span;
	}
	return sum / (b - a);
}

/* ---- threads ---- */

void ana_states_init(struct ana_states *s)
{
	memset(s, 0, sizeof(*s));
}

static struct ana_tstate *tstate(struct ana_states *s, struct ana_proc *p,
				 struct ana_thread *th)
{
	struct ana_tstate *ts;

	if (th == s->last_th)
		return s->last;
	ts = hmap_get(&s->by_thread, (uintptr_t)th);
	if (!ts) {
		ts = xcalloc(1, sizeof(*ts));
		ts->p = p;
		ts->th = th;
		ts->is_main = th->tid == p->pid;
		hmap_put(&s->by_thread, (uintptr_t)th, ts);
		s->list = xrealloc(s->list, (s->n + 1) * sizeof(*s->list));
		s->list[s->n++] = ts;
	}
	s->last_th = th;
	s->last = ts;
	return ts;
}

static void edge(struct ana_states *s, enum ana_edge_kind kind,
		 struct ana_proc *p, uint64_t waker, uint64_t waiter,
		 uint64_t wake_ts, uint64_t resume_ts, uint64_t stack,
		 unsigned type)
{
	struct ana_edge e = {
		kind, p, waker, waiter, wake_ts,
		resume_ts > wake_ts ? resume_ts : wake_ts, stack, type,
	};

	s->edges[kind]++;
	if (s->edge)
		s->edge(s->arg, &e);
}

/* a thread started: pair it with the create that made it, if read */
static void thread_start(struct ana_states *s, struct ana_tstate *ts,
			 const struct fmt_event *ev)
{
	struct pending_create *c, *best = NULL;

	ts->routine = ev->f[FMT_F_THREAD_START_routine];
	ts->same_handle = hmap_put(&s->handles, ts->th->handle, ts);
	for (c = hmap_get(&s->creates, ts->th->handle); c; c = c->next)
		if (c->p == ts->p && !c->matched && c->ts <= ev->ts &&
		    (!best || c->ts > best->ts))
			best = c;
	if (!best)
		return;
	best->matched = 1;
	ts->created = 1;
	if (!ts->routine)
		ts->routine = best->routine;
	edge(s, ANA_EDGE_CREATE, ts->p, best->tid, ts->th->tid, best->ts,
	     ev->ts, best->stack, FMT_EV_THREAD_CREATE);
}

/*
 * The thread of p a create of handle at ts made, if its start was read:
 * the first to start with the handle after ts (a handle is reused only
 * once its thread is gone).  The handle's threads are listed newest
 * start first, per process: the walk stops at the first of p that
 * started before ts, so it is short however often the handle was used.
 */
static struct ana_tstate *started_after(struct ana_states *s,
					struct ana_proc *p, uint64_t handle,
					uint64_t ts)
{
	struct ana_tstate *o, *best = NULL;

	for (o = hmap_get(&s->handles, handle); o; o = o->same_handle) {
		if (o->p != p)
			continue;
		if (o->th->start_ts < ts)
			break;
		if (!o->created)
			best = o;
	}
	return best;
}

/* a create: pair it with its thread's start if read, else keep it */
static void thread_create(struct ana_states *s, struct ana_proc *p,
			  struct ana_thread *th, const struct fmt_event *ev)
{
	uint64_t handle = ev->f[FMT_F_THREAD_CREATE_handle];
	struct pending_create *c, *head;
	struct ana_tstate *o;

	if (ev->f[FMT_F_THREAD_CREATE_result])
		return;
	o = started_after(s, p, handle, ev->ts);
	if (o) {
		o->created = 1;
		edge(s, ANA_EDGE_CREATE, p, th->tid, o->th->tid,
		     ev->ts, o->th->start_ts, ev->f[FMT_F_THREAD_CREATE_stack],
		     FMT_EV_THREAD_CREATE);
		return;
	}
	head = hmap_get(&s->creates, handle);
	for (c = head; c; c = c->next)
		if (c->matched)
			break;		/* reuse a settled one */
	if (!c) {
		c = xcalloc(1, sizeof(*c));
		c->next = head;
		hmap_put(&s->creates, handle, c);
	}
	c->p = p;
	c->ts = ev->ts;
	c->stack = ev->f[FMT_F_THREAD_CREATE_stack];
	c->tid = th->tid;
	c->routine = ev->f[FMT_F_THREAD_CREATE_routine];
	c->matched = 0;
}

/* the thread a join on handle waited for: ended by resume, latest start
 * (the first such in the list, newest start first: started_after()) */
static struct ana_tstate *joined(struct ana_states *s, struct ana_proc *p,
				 uint64_t handle, uint64_t resume)
{
	struct ana_tstate *o;

	for (o = hmap_get(&s->handles, handle); o; o = o->same_handle)
		if (o->p == p && o->has_end && o->end_ts <= resume)
			return o;
	return NULL;
}

static void thread_join(struct ana_states *s, struct ana_tstate *ts,
			const struct fmt_event *ev, const struct ana_block *b)
{
	uint64_t resume = b->start + b->dur;
	uint64_t handle = ev->f[FMT_F_THREAD_JOIN_handle];
	struct ana_tstate *o;
	struct pending_join *j;

	if (ev->f[FMT_F_THREAD_JOIN_result])
		return;
	o = joined(s, ts->p, handle, resume);
	if (o) {
		edge(s, ANA_EDGE_JOIN, ts->p, o->th->tid, ts->th->tid,
		     o->end_ts, resume, b->stack, ev->type);
		return;
	}
	s->joins = xrealloc(s->joins, (s->njoins + 1) * sizeof(*s->joins));
	j = &s->joins[s->njoins++];
	j->p = ts->p;
	j->handle = handle;
	j->tid = ts->th->tid;
	j->resume_ts = resume;
	j->stack = b->stack;
}

/* settle the pending joins that o's end, or any end (o NULL), explains */
static void settle_joins(struct ana_states *s, struct ana_tstate *o)
{
	struct pending_join *j;
	struct ana_tstate *w;
	size_t i = 0;

	while (i < s->njoins) {
		j = &s->joins[i];
		w = o ? o : joined(s, j->p, j->handle, j->resume_ts);
		if (!w || w->p != j->p || w->th->handle != j->handle ||
		    !w->has_end || w->end_ts > j->resume_ts) {
			i++;
			continue;
		}
		edge(s, ANA_EDGE_JOIN, j->p, w->th->tid, j->tid, w->end_ts,
		     j->resume_ts, j->stack, FMT_EV_THREAD_JOIN);
		*j = s->joins[--s->njoins];
	}
}

/* ---- the residue's split ---- */

/* ns of the latest block read that lie after ts */
static uint64_t blocked_after(const struct ana_tstate *ts, uint64_t t)
{
	if (ts->blk_end <= t)
		return 0;
	return ts->blk_end - (ts->blk_start > t ? ts->blk_start : t);
}

/*
 * Split the interval from the last reading to r: its on-CPU and runnable
 * ns go to the thread and to the histograms.  The histograms spread them
 * evenly over the whole interval, blocked parts included: where in the
 * interval the residue lay is not kept, and the chart averages over
 * rows far wider than a reading interval (10 ms at 100 Hz).
 */
static void split_at(struct ana_states *s, struct ana_tstate *ts,
		     const struct ana_reading *r)
{
	const struct ana_reading *a = &ts->last;
	struct ana_split sp;

	/* across a gap between windows: unknown, the residue */
	if (ts->has_last && s->trace &&
	    ana_trace_gap(s->trace, a->r.ts, r->r.ts))
		ts->has_last = 0;
	if (ts->has_last) {
		ana_sched_split(&a->r, &r->r, r->blocked > a->blocked ?
				r->blocked - a->blocked : 0, &sp);
		ts->ns[ANA_RUNNING] += sp.running;
		ts->ns[ANA_RUNNABLE] += sp.runnable;
		hist_spread(&s->running, a->r.ts, r->r.ts, sp.running);
		hist_spread(&s->runnable, a->r.ts, r->r.ts, sp.runnable);
	}
	ts->last = *r;
	ts->has_last = 1;
}

static void split_held(struct ana_states *s, struct ana_tstate *ts,
		       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		split_at(s, ts, &ts->held[i]);
	memmove(ts->held, ts->held + n, (ts->nheld - n) * sizeof(*ts->held));
	ts->nheld -= n;
}

/*
 * A reading is held until the thread's next block is read: blocks are
 * recorded when they end, so a reading taken inside a call (a CPU sample
 * while it spins, the exit's reading of a thread still blocked) is read
 * before the block that holds it, and the blocked time up to it is only
 * known then.  A later block starts after the earlier one was recorded,
 * so one block settles every held reading.
 */
static void reading(struct ana_states *s, struct ana_tstate *ts,
		    const struct ana_sched *r)
{
	size_t i;

	if (r->src < 3) {
		s->nreadings[r->src]++;
		ts->nreadings[r->src]++;
	}
	/* a reading of nothing (a sample deferred while the thread was in
	 * ctrace) would leave both its intervals unexplained; one out of
	 * order: older than what was split on, or than a block read before
	 * it.  Dropping either only makes the intervals coarser: the
	 * counters are cumulative */
	if (r->src == FMT_SCHED_SRC_NONE ||
	    (ts->has_last && r->ts < ts->last.r.ts) || r->ts < ts->blk_start)
		return;
	if (ts->nheld == ANA_READINGS_HELD)
		split_held(s, ts, 1);
	for (i = ts->nheld; i > 0 && ts->held[i - 1].r.ts > r->ts; i--)
		ts->held[i] = ts->held[i - 1];
	ts->held[i].r = *r;
	ts->held[i].blocked = ts->blocked - blocked_after(ts, r->ts);
	ts->nheld++;
}

static void block(struct ana_states *s, struct ana_tstate *ts,
		  const struct ana_block *b)
{
	uint64_t end = b->start + b->dur, t;
	size_t i;

	ts->ns[b->state] += b->dur;
	ts->nblocks[b->state]++;
	if (b->unfinished) {
		ts->nunfinished++;
		s->nunfinished++;
	}
	for (i = 0; i < ts->nheld; i++) {
		t = ts->held[i].r.ts;
		if (t > b->start)
			ts->held[i].blocked += (t < end ? t : end) - b->start;
	}
	ts->blocked += b->dur;
	ts->blk_start = b->start;
	ts->blk_end = end;
	ts->blk_state = b->state;
	ts->blk_unfinished = b->unfinished;
	split_held(s, ts, ts->nheld);
}

void ana_states_event(struct ana_states *s, struct ana_proc *p,
		      struct ana_thread *th, const struct fmt_event *ev,
		      const struct ana_block *b)
{
	struct ana_tstate *ts = tstate(s, p, th);
	struct ana_sched r;

	if (b) {
		block(s, ts, b);
		if (b->waker && b->wake_ts)
			edge(s, ANA_EDGE_WAKE, p, b->waker, th->tid,
			     b->wake_ts, b->start + b->dur, b->stack,
			     ev->type);
		if (ev->type == FMT_EV_THREAD_JOIN)
			thread_join(s, ts, ev, b);
		return;
	}
	switch (ev->type) {
	case FMT_EV_THREAD_START:
		/* the reader keeps the first START's handle */
		if (!ts->started++)
			thread_start(s, ts, ev);
		break;
	case FMT_EV_THREAD_CREATE:
		thread_create(s, p, th, ev);
		break;
	case FMT_EV_THREAD_END:
		ts->has_end = 1;
		ts->end_ts = ev->ts;
		if (s->njoins && th->has_start)
			settle_joins(s, ts);
		break;
	case FMT_EV_CPU_SAMPLE:
	case FMT_EV_SCHED:
		if (ana_sched_of(ev, &r))
			reading(s, ts, &r);
		break;
	}
}

/* see struct ana_tstate */
static void lifetime(struct ana_trace *t, struct ana_tstate *ts)
{
	const struct ana_thread *th = ts->th;
	const struct ana_proc *p = ts->p;
	uint64_t last;

	ts->begin = th->has_start ? th->start_ts : th->first_ts;
	if (ts->is_main && !p->stub && p->ts < ts->begin)
		ts->begin = p->ts;
	ts->end = ts->has_end ? ts->end_ts :
		  p->ended ? p->end_ts : t->st.last_ts;
	last = th->last_ts > ts->blk_end ? th->last_ts : ts->blk_end;
	if (ts->end < last)
		ts->end = last;
	if (p->ended && ts->end > p->end_ts)
		ts->end = p->end_ts;
	/* its end was lost, but the kernel gave its tid to another */
	if (th->next_gen && ts->end > ana_thread_begin(th->next_gen))
		ts->end = ana_thread_begin(th->next_gen);
	if (ts->end < ts->begin)
		ts->end = ts->begin;
	ts->lifetime = ts->end - ts->begin;
}

/* take up to n ns off *v; @return what is left of n */
static uint64_t take(uint64_t *v, uint64_t n)
{
	uint64_t k = *v < n ? *v : n;

	*v -= k;
	return n - k;
}

/*
 * The states of one thread, final.  A call unfinished at its process's
 * exit was recorded up to the exit's flush, a little before the
 * process's end: it stays blocked to the end.  Blocked time past the
 * lifetime's end is cut; the splits are capped by the residue (they are
 * already, interval by interval, unless readings came out of order); what
 * is left is unknown.  The states then sum to the lifetime exactly.
 */
static void settle(struct ana_tstate *ts)
{
	uint64_t blocked = 0, over;
	int i;

	if (ts->blk_unfinished && ts->blk_end < ts->end &&
	    ts->blk_start < ts->end) {
		ts->ns[ts->blk_state] += ts->end - ts->blk_end;
		ts->blk_end = ts->end;
	}
	if (ts->blk_end > ts->end)
		take(&ts->ns[ts->blk_state], blocked_after(ts, ts->end));
	for (i = ANA_FIRST_BLOCKED; i <= ANA_LAST_BLOCKED; i++)
		blocked += ts->ns[i];
	if (blocked > ts->lifetime) {	/* overlapping blocks: never seen */
		over = blocked - ts->lifetime;
		for (i = ANA_LAST_BLOCKED; i >= ANA_FIRST_BLOCKED; i--)
			over = take(&ts->ns[i], over);
		blocked = ts->lifetime;
	}
	over = ts->ns[ANA_RUNNING] + ts->ns[ANA_RUNNABLE];
	if (over > ts->lifetime - blocked) {
		over -= ts->lifetime - blocked;
		over = take(&ts->ns[ANA_RUNNABLE], over);
		take(&ts->ns[ANA_RUNNING], over);
	}
	ts->ns[ANA_UNKNOWN] = ts->lifetime - blocked - ts->ns[ANA_RUNNING] -
			      ts->ns[ANA_RUNNABLE];
}

void ana_states_done(struct ana_states *s, struct ana_trace *t)
{
	struct ana_tstate *ts;
	size_t i;

	if (s->njoins)
		settle_joins(s, NULL);
	for (i = 0; i < s->n; i++) {
		ts = s->list[i];
		split_held(s, ts, ts->nheld);
		lifetime(t, ts);
		settle(ts);
		hist_add(&s->alive, ts->begin, ts->end, 1);
	}
	if (s->alive.started)
		hist_flatten(&s->alive);
	if (s->running.started)
		hist_flatten(&s->running);
	if (s->runnable.started)
		hist_flatten(&s->runnable);
}

void ana_states_free(struct ana_states *s)
{
	struct pending_create *c, *next;
	size_t i;

	for (i = 0; i < s->creates.cap; i++)
		for (c = s->creates.ents[i].val; c; c = next) {
			next = c->next;
			free(c);
		}
	hmap_free(&s->creates);
	hmap_free(&s->handles);
	for (i = 0; i < s->n; i++)
		free(s->list[i]);
	free(s->list);
	hmap_free(&s->by_thread);
	free(s->joins);
	free(s->alive.part);
	free(s->alive.full);
	free(s->running.part);
	free(s->running.full);
	free(s->runnable.part);
	free(s->runnable.full);
	memset(s, 0, sizeof(*s));
}

const char *ana_state_label(enum ana_state s)
{
	static const char *const labels[ANA_NSTATES] = {
		"execution", "sched-wait", "sync", "io", "wait", "sleep",
		"join", "unknown",
	};

	return s < ANA_NSTATES ? labels[s] : "?";
}

int ana_states_have_sched(const struct ana_states *s)
{
	return s->nreadings[FMT_SCHED_SRC_SCHEDSTAT] ||
	       s->nreadings[FMT_SCHED_SRC_CPUCLOCK];
}

const char *ana_states_source(const struct ana_states *s, char *buf,
			      size_t size)
{
	uint64_t st = s->nreadings[FMT_SCHED_SRC_SCHEDSTAT];
	uint64_t cc = s->nreadings[FMT_SCHED_SRC_CPUCLOCK];

	if (st && cc)
		snprintf(buf, size, "from schedstat (%" PRIu64 " reading%s) "
			 "and the CPU clock only (%" PRIu64 " reading%s: no "
			 "run-queue time)", st, plural(st, "s"), cc,
			 plural(cc, "s"));
	else if (st)
		snprintf(buf, size, "from schedstat (%" PRIu64 " reading%s)",
			 st, plural(st, "s"));
	else if (cc)
		snprintf(buf, size, "from the CPU clock only (%" PRIu64
			 " reading%s; no run-queue time, sched-wait is 0)", cc,
			 plural(cc, "s"));
	else
		snprintf(buf, size, "no scheduler data: residue is unknown");
	return buf;
}

const char *ana_states_routine(const struct ana_trace *t,
			       const struct ana_tstate *ts, char *buf,
			       size_t size)
{
	if (ts->is_main)
		snprintf(buf, size, "main");
	else if (ts->routine)
		ana_frame_str(t, ts->p->image, ts->routine, buf, size);
	else
		snprintf(buf, size, "? (start not recorded)");
	return buf;
}

/* ---- output helpers ---- */

static struct timespec progress_t0;
static unsigned long progress_n;
static int progress_shown;

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

void ana_progress(const struct ana_trace *t)
{
	if (progress_n++ & 0xfffff)
		return;
	if (progress_n == 1) {
		clock_gettime(CLOCK_MONOTONIC, &progress_t0);
		return;
	}
	if (since(&progress_t0) < 1 || !isatty(2))
		return;
	fprintf(stderr, "\r%s: reading %s: %.1f M events", log_prog,
		t->path, t->st.events / 1e6);
	progress_shown = 1;
}

void ana_progress_end(void)
{
	if (progress_shown)
		fprintf(stderr, "\r\033[K");
	progress_shown = 0;
	progress_n = 0;
}

void ana_put_dur(struct fmt_buf *b, uint64_t ns, int w)
{
	char tmp[32];
	int n;

	n = snprintf(tmp, sizeof(tmp), "%" PRIu64 ".%06" PRIu64,
		     ns / 1000000000, ns % 1000000000 / 1000);
	while (n++ < w)
		fmt_buf_bytes(b, " ", 1);
	fmt_buf_bytes(b, tmp, strlen(tmp));
}
