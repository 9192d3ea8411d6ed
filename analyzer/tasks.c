/*
 * tasks.c - user-defined tasks, regions and logs, in one streaming pass.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "out.h"
#include "tasks.h"

/* regions deeper than this on one thread are counted, not kept */
#define MAX_DEPTH	1024

/* a task seen begun or ended, not both yet */
struct task {
	struct task *next;
	const struct ana_proc *p;
	uint64_t id, parent;
	uint64_t begin, end, begin_tid, end_tid;
	struct ana_utype *ty;
	int has_begin, has_end;
};

struct utype_ref {
	const struct ana_str *s;
	struct ana_utype *ty;
};

struct rframe {
	struct ana_utype *ty;
	uint64_t begin;
};

/* one thread's open regions */
struct rthread {
	const struct ana_thread *th;
	struct rframe *stk;
	size_t n, cap;
	uint64_t deep;		/* begins past MAX_DEPTH not yet ended */
	uint64_t since;		/* when the stack last became non-empty */
	uint64_t in_ns;		/* time with a non-empty stack */
};

/* ---- duration histograms ---- */

static size_t dh_index(uint64_t v)
{
	int e;

	if (v < ANA_DHIST_SUB)
		return v;
	e = 63 - __builtin_clzll(v);
	return ANA_DHIST_SUB * (e - ANA_DHIST_SUB_BITS + 1) +
	       ((v >> (e - ANA_DHIST_SUB_BITS)) & (ANA_DHIST_SUB - 1));
}

/* the middle of bucket i */
static uint64_t dh_value(size_t i)
{
	int shift;

	if (i < ANA_DHIST_SUB)
		return i;
	shift = i / ANA_DHIST_SUB - 1;
	return ((uint64_t)(ANA_DHIST_SUB + i % ANA_DHIST_SUB) << shift) +
	       ((1ull << shift) >> 1);
}

void ana_dhist_add(struct ana_dhist *h, uint64_t ns)
{
	if (!h->b)
		h->b = xcalloc(ANA_DHIST_N, sizeof(*h->b));
	h->b[dh_index(ns)]++;
	if (!h->n || ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->n++;
	h->sum += ns;
}

uint64_t ana_dhist_pct(const struct ana_dhist *h, double q)
{
	uint64_t rank, seen = 0, v;
	size_t i;

	if (!h->n)
		return 0;
	rank = (uint64_t)(q * h->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank >= h->n)
		return h->max;
	for (i = 0; i < ANA_DHIST_N; i++) {
		seen += h->b[i];
		if (seen >= rank)
			break;
	}
	v = dh_value(i < ANA_DHIST_N ? i : ANA_DHIST_N - 1);
	return v < h->min ? h->min : v > h->max ? h->max : v;
}

/* ---- type tables ---- */

/*
 * The type named by string id: the trace interns strings, so the id is
 * the fast path; equal names under different ids (or a string the trace
 * never defined, "?<id>") still make one type.  NULL when !create and
 * the type is new.
 */
static struct ana_utype *utype(struct ana_utypes *u, struct ana_trace *t,
			       uint64_t id, int create)
{
	const struct ana_str *s = ana_string(t, id);
	struct utype_ref *r = hmap_get(&u->by_id, id);
	struct ana_utype *ty;
	char tmp[32];
	const char *name = s ? s->s : tmp;
	uint64_t h;

	if (r && r->s == s)
		return r->ty;
	if (!s)
		snprintf(tmp, sizeof(tmp), "?%" PRIu64, id);
	h = hash_str(name);
	for (ty = hmap_get(&u->by_hash, h); ty; ty = ty->hnext)
		if (!strcmp(ty->name, name))
			break;
	if (!ty && !create)
		return NULL;
	if (!ty) {
		ty = xcalloc(1, sizeof(*ty));
		ty->name = xstrdup(name);
		ty->hash = h;
		ty->hnext = hmap_put(&u->by_hash, h, ty);
		u->list = xrealloc(u->list, (u->n + 1) * sizeof(*u->list));
		u->list[u->n++] = ty;
	}
	if (!r) {
		r = xmalloc(sizeof(*r));
		hmap_put(&u->by_id, id, r);
	}
	r->s = s;
	r->ty = ty;
	return ty;
}

static void utypes_free(struct ana_utypes *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		free(u->list[i]->name);
		free(u->list[i]->d.b);
		free(u->list[i]);
	}
	free(u->list);
	for (i = 0; i < u->by_id.cap; i++)
		free(u->by_id.ents[i].val);
	hmap_free(&u->by_id);
	hmap_free(&u->by_hash);
}

/* most time first (logs: most often), then by name */
static int utype_cmp(const void *a, const void *b)
{
	const struct ana_utype *x = *(struct ana_utype *const *)a;
	const struct ana_utype *y = *(struct ana_utype *const *)b;

	if (x->d.sum != y->d.sum)
		return x->d.sum < y->d.sum ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* ---- live tasks: by (process, id), chained where keys hash alike ---- */

static uint64_t task_key(const struct ana_proc *p, uint64_t id)
{
	return hash_mix((uintptr_t)p, id);
}

static struct task *task_get(struct ana_tasks *k, const struct ana_proc *p,
			     uint64_t id, int create)
{
	uint64_t key = task_key(p, id);
	struct task *head = hmap_get(&k->tasks_live, key), *x;

	for (x = head; x; x = x->next)
		if (x->p == p && x->id == id)
			return x;
	if (!create)
		return NULL;
	x = xcalloc(1, sizeof(*x));
	x->p = p;
	x->id = id;
	x->next = head;
	hmap_put(&k->tasks_live, key, x);
	k->live++;
	return x;
}

static void task_del(struct ana_tasks *k, struct task *x)
{
	uint64_t key = task_key(x->p, x->id);
	struct task *head = hmap_get(&k->tasks_live, key), **pp = &head;

	while (*pp != x)
		pp = &(*pp)->next;
	*pp = x->next;
	if (head)
		hmap_put(&k->tasks_live, key, head);
	else
		hmap_del(&k->tasks_live, key);
	k->live--;
	free(x);
}

static void task_finish(struct ana_tasks *k, struct task *x)
{
	ana_dhist_add(&x->ty->d, x->end > x->begin ? x->end - x->begin : 0);
	if (x->end_tid != x->begin_tid)
		x->ty->moved++;
	task_del(k, x);
}

static void task_begin(struct ana_tasks *k, struct ana_trace *t,
		       struct ana_proc *p, struct ana_thread *th,
		       const struct fmt_event *ev)
{
	struct task *x = task_get(k, p, ev->f[FMT_F_TASK_BEGIN_id], 1);

	if (x->has_begin) {
		/* the id began again: the old task never ended */
		x->ty->unfinished++;
		ana_dhist_add(&x->ty->d, ev->ts > x->begin ?
			      ev->ts - x->begin : 0);
	}
	x->has_begin = 1;
	x->begin = ev->ts;
	x->begin_tid = th->tid;
	x->parent = ev->f[FMT_F_TASK_BEGIN_parent];
	x->ty = utype(&k->tasks, t, ev->f[FMT_F_TASK_BEGIN_type], 1);
	x->ty->count++;
	if (x->has_end)		/* its end was read first */
		task_finish(k, x);
}

static void task_end(struct ana_tasks *k, struct ana_proc *p,
		     struct ana_thread *th, const struct fmt_event *ev)
{
	struct task *x = task_get(k, p, ev->f[FMT_F_TASK_END_id], 1);

	if (x->has_end) {	/* ended twice before any begin */
		k->unmatched_task_ends++;
		return;
	}
	x->has_end = 1;
	x->end = ev->ts;
	x->end_tid = th->tid;
	if (x->has_begin)
		task_finish(k, x);
}

/* ---- regions ---- */

static struct rthread *rthread(struct ana_tasks *k,
			       const struct ana_thread *th)
{
	struct rthread *r = hmap_get(&k->threads, (uintptr_t)th);

	if (!r) {
		r = xcalloc(1, sizeof(*r));
		r->th = th;
		hmap_put(&k->threads, (uintptr_t)th, r);
		k->tlist = xrealloc(k->tlist,
				    (k->nthreads + 1) * sizeof(*k->tlist));
		k->tlist[k->nthreads++] = r;
	}
	return r;
}

static void region_begin(struct ana_tasks *k, struct ana_trace *t,
			 struct ana_thread *th, const struct fmt_event *ev)
{
	struct rthread *r = rthread(k, th);
	struct ana_utype *ty = utype(&k->regions, t,
				     ev->f[FMT_F_REGION_BEGIN_type], 1);

	ty->count++;
	if (r->n == MAX_DEPTH) {
		r->deep++;
		return;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 8;
		r->stk = xrealloc(r->stk, r->cap * sizeof(*r->stk));
	}
	if (!r->n)
		r->since = ev->ts;
	r->stk[r->n].ty = ty;
	r->stk[r->n++].begin = ev->ts;
}

/* pop the top frame at ts; `ended` 0: it did not end by its own end */
static void region_pop(struct rthread *r, uint64_t ts, int ended)
{
	struct rframe *f = &r->stk[--r->n];

	ana_dhist_add(&f->ty->d, ts > f->begin ? ts - f->begin : 0);
	if (!ended)
		f->ty->unfinished++;
	if (!r->n && ts > r->since)
		r->in_ns += ts - r->since;
}

static void region_end(struct ana_tasks *k, struct ana_trace *t,
		       struct ana_thread *th, const struct fmt_event *ev)
{
	struct rthread *r = rthread(k, th);
	struct ana_utype *ty = utype(&k->regions, t,
				     ev->f[FMT_F_REGION_END_type], 0);
	size_t i = r->n;

	while (ty && i > 0 && r->stk[i - 1].ty != ty)
		i--;
	if (!ty || !i) {
		if (r->deep)
			r->deep--;	/* most likely one past MAX_DEPTH */
		else
			k->unmatched_region_ends++;
		return;
	}
	while (r->n > i)
		region_pop(r, ev->ts, 0);
	region_pop(r, ev->ts, 1);
}

/* ---- the pass ---- */

void ana_tasks_init(struct ana_tasks *k)
{
	memset(k, 0, sizeof(*k));
}

void ana_tasks_event(struct ana_tasks *k, struct ana_trace *t,
		     struct ana_proc *p, struct ana_thread *th,
		     const struct fmt_event *ev)
{
	switch (ev->type) {
	case FMT_EV_TASK_BEGIN:
		k->ntasks++;
		task_begin(k, t, p, th, ev);
		break;
	case FMT_EV_TASK_END:
		k->ntasks++;
		task_end(k, p, th, ev);
		break;
	case FMT_EV_REGION_BEGIN:
		k->nregions++;
		region_begin(k, t, th, ev);
		break;
	case FMT_EV_REGION_END:
		k->nregions++;
		region_end(k, t, th, ev);
		break;
	case FMT_EV_LOG:
		k->nlogs++;
		utype(&k->logs, t, ev->f[FMT_F_LOG_category], 1)->count++;
		break;
	}
}

void ana_tasks_done(struct ana_tasks *k, struct ana_trace *t)
{
	struct task *x, *next;
	struct hmap_ent *e;
	struct rthread *r;
	uint64_t last = t->st.last_ts;
	size_t i;

	/* in no particular order: each adds to counts and a histogram */
	hmap_each(&k->tasks_live, e)
		for (x = e->val; x; x = next) {
			next = x->next;
			if (!x->has_begin) {
				k->unmatched_task_ends++;
			} else {
				x->ty->unfinished++;
				ana_dhist_add(&x->ty->d, last > x->begin ?
					      last - x->begin : 0);
			}
			free(x);
		}
	hmap_free(&k->tasks_live);
	k->live = 0;
	for (i = 0; i < k->nthreads; i++) {
		r = k->tlist[i];
		while (r->n)
			region_pop(r, r->th->last_ts, 0);
		k->region_ns += r->in_ns;
	}
	/* an empty list has no array: qsort must not see its NULL */
	if (k->tasks.n)
		qsort(k->tasks.list, k->tasks.n, sizeof(*k->tasks.list),
		      utype_cmp);
	if (k->regions.n)
		qsort(k->regions.list, k->regions.n,
		      sizeof(*k->regions.list), utype_cmp);
	if (k->logs.n)
		qsort(k->logs.list, k->logs.n, sizeof(*k->logs.list),
		      utype_cmp);
}

void ana_tasks_free(struct ana_tasks *k)
{
	struct task *x, *next;
	struct hmap_ent *e;
	size_t i;

	hmap_each(&k->tasks_live, e)
		for (x = e->val; x; x = next) {
			next = x->next;
			free(x);
		}
	hmap_free(&k->tasks_live);
	for (i = 0; i < k->nthreads; i++) {
		free(k->tlist[i]->stk);
		free(k->tlist[i]);
	}
	free(k->tlist);
	hmap_free(&k->threads);
	utypes_free(&k->tasks);
	utypes_free(&k->regions);
	utypes_free(&k->logs);
}

uint64_t ana_tasks_in_regions(const struct ana_tasks *k,
			      const struct ana_thread *th)
{
	const struct rthread *r = hmap_get(&k->threads, (uintptr_t)th);

	return r ? r->in_ns : 0;
}

/* ---- output ---- */

void ana_put_ns(struct fmt_buf *b, uint64_t ns, int w)
{
	char tmp[32];
	int n;

	if (ns < 1000)
		n = snprintf(tmp, sizeof(tmp), "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		n = snprintf(tmp, sizeof(tmp), "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		n = snprintf(tmp, sizeof(tmp), "%.2fms", ns / 1e6);
	else
		n = snprintf(tmp, sizeof(tmp), "%.3fs", ns / 1e9);
	while (n++ < w)
		fmt_buf_bytes(b, " ", 1);
	ana_put(b, tmp);
}

/* a type name padded to 20 columns, bytes outside printable ASCII as ? */
static void put_name(struct fmt_buf *b, const char *s)
{
	int n = 0;

	ana_put(b, "  ");
	for (; *s; s++, n++)
		fmt_buf_bytes(b, *s > ' ' && *s < 127 ? s : "?", 1);
	if (!n) {
		ana_put(b, "\"\"");
		n = 2;
	}
	while (n++ < 20)
		fmt_buf_bytes(b, " ", 1);
}

static void put_u(struct fmt_buf *b, uint64_t v, int w)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), " %*" PRIu64, w, v);
	ana_put(b, tmp);
}

static void put_more(struct fmt_buf *b, size_t n, size_t top)
{
	char tmp[64];

	if (top && n > top) {
		snprintf(tmp, sizeof(tmp), "  ... %zu more\n", n - top);
		ana_put(b, tmp);
	}
}

static uint64_t sum_of(const struct ana_utypes *u, size_t off)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < u->n; i++)
		v += *(const uint64_t *)((const char *)u->list[i] + off);
	return v;
}

static void print_tasks(struct fmt_buf *b, const struct ana_tasks *k,
			size_t top)
{
	const struct ana_utypes *u = &k->tasks;
	const struct ana_utype *ty;
	char tmp[256];
	size_t i;

	snprintf(tmp, sizeof(tmp), "user tasks: %" PRIu64 " in %zu type%s, %"
		 PRIu64 " unfinished (timed to the trace's end), %" PRIu64
		 " ended on another thread, %" PRIu64 " end%s without a "
		 "begin; percentiles within 2%%\n",
		 sum_of(u, offsetof(struct ana_utype, count)), u->n,
		 plural(u->n, "s"),
		 sum_of(u, offsetof(struct ana_utype, unfinished)),
		 sum_of(u, offsetof(struct ana_utype, moved)),
		 k->unmatched_task_ends, plural(k->unmatched_task_ends, "s"));
	ana_put(b, tmp);
	if (!u->n)
		return;
	snprintf(tmp, sizeof(tmp), "  %-20s %7s %6s %6s %10s %9s %9s %9s "
		 "%9s\n", "type", "count", "unfin", "moved", "total", "p50",
		 "p90", "p99", "max");
	ana_put(b, tmp);
	for (i = 0; i < u->n && (!top || i < top); i++) {
		ty = u->list[i];
		put_name(b, ty->name);
		put_u(b, ty->count, 7);
		put_u(b, ty->unfinished, 6);
		put_u(b, ty->moved, 6);
		ana_put_ns(b, ty->d.sum, 11);
		ana_put_ns(b, ana_dhist_pct(&ty->d, 0.5), 10);
		ana_put_ns(b, ana_dhist_pct(&ty->d, 0.9), 10);
		ana_put_ns(b, ana_dhist_pct(&ty->d, 0.99), 10);
		ana_put_ns(b, ty->d.max, 10);
		ana_put(b, "\n");
	}
	put_more(b, u->n, top);
}

static void print_regions(struct fmt_buf *b, const struct ana_tasks *k,
			  uint64_t lifetime, size_t top)
{
	const struct ana_utypes *u = &k->regions;
	const struct ana_utype *ty;
	char tmp[256];
	size_t i;

	snprintf(tmp, sizeof(tmp), "user regions: %" PRIu64 " in %zu type%s, %"
		 PRIu64 " never ended, %" PRIu64 " end%s without a begin; ",
		 sum_of(u, offsetof(struct ana_utype, count)), u->n,
		 plural(u->n, "s"),
		 sum_of(u, offsetof(struct ana_utype, unfinished)),
		 k->unmatched_region_ends,
		 plural(k->unmatched_region_ends, "s"));
	ana_put(b, tmp);
	ana_put_ns(b, k->region_ns, 0);
	if (lifetime) {
		snprintf(tmp, sizeof(tmp), " (%.1f%% of thread lifetime)",
			 100.0 * k->region_ns / lifetime);
		ana_put(b, tmp);
	}
	ana_put(b, " inside regions\n");
	if (!u->n)
		return;
	snprintf(tmp, sizeof(tmp), "  %-20s %7s %6s %10s %6s %9s %9s %9s\n",
		 "type", "count", "unfin", "total", "life%", "p50", "p99",
		 "max");
	ana_put(b, tmp);
	for (i = 0; i < u->n && (!top || i < top); i++) {
		ty = u->list[i];
		put_name(b, ty->name);
		put_u(b, ty->count, 7);
		put_u(b, ty->unfinished, 6);
		ana_put_ns(b, ty->d.sum, 11);
		snprintf(tmp, sizeof(tmp), " %5.1f%%", lifetime ?
			 100.0 * ty->d.sum / lifetime : 0.0);
		ana_put(b, tmp);
		ana_put_ns(b, ana_dhist_pct(&ty->d, 0.5), 10);
		ana_put_ns(b, ana_dhist_pct(&ty->d, 0.99), 10);
		ana_put_ns(b, ty->d.max, 10);
		ana_put(b, "\n");
	}
	put_more(b, u->n, top);
}

static void print_logs(struct fmt_buf *b, const struct ana_tasks *k,
		       size_t top)
{
	const struct ana_utypes *u = &k->logs;
	char tmp[100];
	size_t i;

	snprintf(tmp, sizeof(tmp), "user logs: %" PRIu64 " in %zu "
		 "categor%s\n", k->nlogs, u->n, u->n == 1 ? "y" : "ies");
	ana_put(b, tmp);
	if (!u->n)
		return;
	snprintf(tmp, sizeof(tmp), "  %-20s %7s\n", "category", "count");
	ana_put(b, tmp);
	for (i = 0; i < u->n && (!top || i < top); i++) {
		put_name(b, u->list[i]->name);
		put_u(b, u->list[i]->count, 7);
		ana_put(b, "\n");
	}
	put_more(b, u->n, top);
}

void ana_tasks_print(const struct ana_tasks *k, uint64_t lifetime,
		     size_t top, FILE *f)
{
	struct fmt_buf b = { 0 };

	print_tasks(&b, k, top);
	print_regions(&b, k, lifetime, top);
	print_logs(&b, k, top);
	ana_write(&b, f);
	fmt_buf_free(&b);
}
