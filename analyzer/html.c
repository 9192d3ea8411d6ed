/*
 * html.c - `ctrace html`: one self-contained page for people.
 *
 * The page is analyzer/html/report.html with report.css, report.js (all
 * three embedded in this program by scripts/embed.sh) and the trace's data
 * as JSON put in its place.  It needs no network and opens from file://.
 *
 * The data: a summary (duration, processes, threads, time by state, lost
 * events, integrity), per thread its blocked intervals (a call blocked at
 * exit marked unfinished), its residue slices (timeline.h: running,
 * runnable or unknown, with their shares), its CPU sample times, its
 * lifetime and time by state as `ctrace threads` has them (states.h, fed
 * the same events), per process the on-CPU and live-heap counters, and
 * the stacks of the intervals and of four flame graphs (cpu: CPU ns per
 * sampled stack, by function; sync, io: ns blocked per stack; heap: bytes
 * allocated per stack) with every frame already a string (symbols.h), so
 * the page does no symbolizing.
 *
 * Size and memory are bounded for big traces: the timeline's resolution
 * (timeline.h) merges the slices shorter than its width into per-thread,
 * per-bucket aggregates (the dominant state, their ns and count, and
 * both by state), which are all a thread keeps of them, and the counters
 * come as each bucket's minimum, maximum and last value; past
 * SAMPLE_BUDGET samples their times are counted per bucket instead of
 * listed, and a counter of more than COUNTER_POINTS values (a trace
 * drawn exactly) keeps the largest value per time bucket.
 *
 * User regions are drawn on their thread's row, by nesting depth; past
 * REGION_BUDGET, the short ones are merged per thread, depth and bucket
 * the same way.  Instants (process start, exec, fork, exit, end, logs)
 * mark the process rows; past INSTANT_BUDGET, an even sample of them is
 * kept.  Either cap is said in the page ("caps").  Tasks are not drawn:
 * the page has their table (tasks.h, as `ctrace report` prints it).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "log.h"
#include "profile.h"
#include "symbols.h"
#include "tasks.h"
#include "timeline.h"

#define REGION_BUDGET	100000
#define INSTANT_BUDGET	20000
#define SAMPLE_BUDGET	200000
/* above the three a bucket of a timeline drawn at a resolution */
#define COUNTER_POINTS	(3 * ANA_TL_BUCKETS + 16)
#define FLAME_KINDS	4	/* cpu, sync, io, heap */
enum { FL_CPU, FL_SYNC, FL_IO, FL_HEAP };

/* embedded by scripts/embed.sh */
struct ana_asset {
	const char *name;
	const unsigned char *data;
	size_t len;
};
extern const struct ana_asset ana_assets[];

struct iv {
	uint64_t start, dur;
	uint64_t obj, waker, wake_ts, holder, stack;
	uint64_t image;			/* the data symbols naming obj */
	int64_t result, bytes;
	const char *name, *fd_name;
	uint8_t cat, has_fd, unfinished;
};

/* a residue slice (timeline.h) */
struct rsl {
	uint64_t start, dur;
	struct ana_split split;
	uint8_t state, measured;
};

/* a user region; n > 1: n short ones merged, dur is their total */
struct region {
	uint64_t start, dur;
	const char *name;
	uint32_t depth, n;
};

/* short slices of a bucket (ana_tl_agg) */
struct agg {
	uint64_t start, dur, total, count;
	uint64_t n[ANA_NSTATES], ns[ANA_NSTATES];
	uint8_t state;
};

struct open_region {
	uint64_t start;
	const char *name;
};

struct hthread {
	struct iv *iv;
	size_t n, cap;
	struct rsl *rs;
	size_t nrs, caprs;
	struct agg *bk;
	size_t nbk, capbk;
	uint64_t *cs;			/* CPU sample times */
	size_t ncs, capcs;
	struct region *rg;
	size_t nrg, caprg;
	struct open_region *open;	/* the region stack */
	size_t nopen, capopen;
	uint64_t cr_tid, cr_ts, st_ts;	/* created by cr_tid at cr_ts */
};

struct instant {
	uint64_t ts, tid;
	const char *name, *detail;
	char *own;			/* detail, when it had to be copied */
	uint8_t cat;
};

struct point {
	uint64_t ts;
	double v;
};

struct hproc {
	struct point *pt[TL_NCOUNTERS];
	size_t npt[TL_NCOUNTERS], cappt[TL_NCOUNTERS];
	struct instant *in;
	size_t nin, capin;
};

/* frame k of the inline chain at addr of image, and its frames index */
struct frame_key {
	uint64_t image, addr;
	unsigned k;
	size_t frame;
};

struct html {
	FILE *f;
	struct ana_tl *tl;
	struct hmap flame[FLAME_KINDS];	/* stack id -> value */
	uint64_t served;		/* stdio calls in STDIO_RUNs: in no
					 * flame graph, not timed */
	struct hmap stack_idx;		/* stack id -> index + 1 */
	struct hmap frame_idx;		/* (image, addr, k) -> fkeys + 1 */
	struct frame_key *fkeys;	/* what frame_idx's entries hold */
	size_t nfkeys;
	struct hmap cstack_idx;		/* cpu stacks: id -> index + 1 */
	struct hmap fn_idx;			/* function name -> index + 1 */
	const struct ana_stack **stacks;	/* in index order */
	uint8_t *by_fn;				/* stack i: frames by function */
	size_t nstacks;
	char **frames;
	size_t nframes;
	uint64_t samples;
	uint64_t nregions, ninstants;
	uint64_t kept_regions, kept_instants;
	struct hmap name_idx;		/* name pointer -> index + 1 */
	const char **names;
	size_t nnames;
	struct ana_tasks tk;
	int status;
};

static const char *const flame_name[FLAME_KINDS] = {
	"cpu", "sync", "io", "heap",
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 256;
	return xrealloc(p, *cap * size);
}

/* ---- collecting ---- */

static void flame_add(struct html *h, int kind, uint64_t stack, uint64_t v)
{
	uintptr_t *cell;

	if (!stack || !v)
		return;
	/* values live in the map as pointers to heap cells */
	cell = hmap_get(&h->flame[kind], stack);
	if (!cell) {
		cell = xcalloc(1, sizeof(*cell));
		hmap_put(&h->flame[kind], stack, cell);
	}
	*cell += v;
}

static void h_thread(void *u, struct ana_tl_thread *th)
{
	th->user = xcalloc(1, sizeof(struct hthread));
}

static void h_process(void *u, struct ana_tl_proc *p)
{
	p->user = xcalloc(1, sizeof(struct hproc));
}

static void h_slice(void *u, struct ana_tl_thread *th,
		    const struct ana_tl_slice *s)
{
	struct html *h = u;
	struct hthread *ht = th->user;
	const struct ana_block *b = s->b;
	struct iv *v;

	if (s->cat == TL_SYNC || s->cat == TL_JOIN)
		flame_add(h, FL_SYNC, b->stack, b->dur);
	else if (s->cat == TL_IO || s->cat == TL_WAIT)
		flame_add(h, FL_IO, b->stack, b->dur);
	if (s->aggregated)
		return;		/* drawn in its bucket's aggregate */
	ht->iv = grow(ht->iv, &ht->cap, ht->n, sizeof(*ht->iv));
	v = &ht->iv[ht->n++];
	*v = (struct iv){ b->start, b->dur, b->obj, b->waker, b->wake_ts,
			  b->holder, b->stack, th->proc->p->image, b->result,
			  b->bytes, s->name, s->fd_name, s->cat, b->has_fd,
			  b->unfinished ? 1 + ana_unfinished_snap(&h->tl->t,
						b->start + b->dur) : 0 };
}

static void h_residue(void *u, struct ana_tl_thread *th,
		      const struct ana_tl_residue *r)
{
	struct hthread *ht = th->user;

	if (r->aggregated)
		return;
	ht->rs = grow(ht->rs, &ht->caprs, ht->nrs, sizeof(*ht->rs));
	ht->rs[ht->nrs++] = (struct rsl){ r->start, r->dur, r->split,
					  (uint8_t)r->state,
					  (uint8_t)r->measured };
}

static void h_aggregate(void *u, struct ana_tl_thread *th,
			const struct ana_tl_agg *g)
{
	struct hthread *ht = th->user;
	struct agg *a;

	ht->bk = grow(ht->bk, &ht->capbk, ht->nbk, sizeof(*ht->bk));
	a = &ht->bk[ht->nbk++];
	a->start = g->start;
	a->dur = g->dur;
	a->total = g->total;
	a->count = g->count;
	a->state = (uint8_t)g->state;
	memcpy(a->n, g->n, sizeof(a->n));
	memcpy(a->ns, g->ns, sizeof(a->ns));
}

static void h_sample(void *u, struct ana_tl_thread *th,
		     const struct ana_tl_sample *s)
{
	struct html *h = u;
	struct hthread *ht = th->user;

	ht->cs = grow(ht->cs, &ht->capcs, ht->ncs, sizeof(*ht->cs));
	ht->cs[ht->ncs++] = s->ts;
	h->samples++;
	flame_add(h, FL_CPU, s->stack ? s->stack_id : 0, s->period);
}

/* bytes an allocation stands for: scaled when the heap was sampled */
static uint64_t heap_bytes(const struct ana_tl_thread *th, uint64_t size)
{
	return (uint64_t)llround((double)size *
				 ana_heap_weight(th->proc->p, size));
}

static void h_event(void *u, struct ana_tl_thread *th,
		    const struct fmt_event *ev)
{
	struct html *h = u;

	ana_tasks_event(&h->tk, &h->tl->t, th->proc->p,
			(struct ana_thread *)th->th, ev);

	if (ev->type == FMT_EV_ALLOC)
		flame_add(u, FL_HEAP, ev->f[FMT_F_ALLOC_stack],
			  heap_bytes(th, ev->f[FMT_F_ALLOC_size]));
	else if (ev->type == FMT_EV_REALLOC)
		flame_add(u, FL_HEAP, ev->f[FMT_F_REALLOC_stack],
			  heap_bytes(th, ev->f[FMT_F_REALLOC_size]));
	else if (ev->type == FMT_EV_STDIO_RUN)
		h->served += ev->f[FMT_F_STDIO_RUN_calls];
}

static void region_close(struct html *h, struct hthread *ht, size_t i,
			 uint64_t end)
{
	struct open_region *o = &ht->open[i];
	struct region *r;

	ht->rg = grow(ht->rg, &ht->caprg, ht->nrg, sizeof(*ht->rg));
	r = &ht->rg[ht->nrg++];
	*r = (struct region){ o->start, end > o->start ? end - o->start : 0,
			      o->name, (uint32_t)i, 1 };
	h->nregions++;
}

/* an end pops the nearest region of its name and those above it */
static void h_region(void *u, struct ana_tl_thread *th, int begin,
		     uint64_t ts, const char *name)
{
	struct hthread *ht = th->user;
	size_t i;

	if (begin) {
		ht->open = grow(ht->open, &ht->capopen, ht->nopen,
				sizeof(*ht->open));
		ht->open[ht->nopen++] = (struct open_region){ ts, name };
		return;
	}
	for (i = ht->nopen; i-- > 0;)
		if (!strcmp(ht->open[i].name, name))
			break;
	if (i == (size_t)-1)
		return;		/* no such region open: unmatched */
	while (ht->nopen > i)
		region_close(u, ht, --ht->nopen, ts);
}

static void h_instant(void *u, struct ana_tl_proc *p,
		      struct ana_tl_thread *th, uint64_t ts,
		      enum ana_tl_cat cat, const char *name,
		      const char *detail)
{
	struct html *h = u;
	struct hproc *hp = p->user;
	struct instant *in;

	hp->in = grow(hp->in, &hp->capin, hp->nin, sizeof(*hp->in));
	in = &hp->in[hp->nin++];
	*in = (struct instant){ ts, th ? th->tid : 0, name, detail, NULL,
				(uint8_t)cat };
	/* logs point into the trace's strings; the rest is a stack buffer */
	if (cat != TL_USER)
		in->detail = in->own = xstrdup(detail ? detail : "");
	h->ninstants++;
}

static void h_flow(void *u, enum ana_tl_cat kind, uint64_t id,
		   struct ana_tl_thread *from, uint64_t ts0,
		   struct ana_tl_thread *to, uint64_t ts1)
{
	struct hthread *ht = to->user;

	/* wakeups are in the intervals already (waker, wake_ts) */
	if (kind != TL_THREAD)
		return;
	ht->cr_tid = from->tid;
	ht->cr_ts = ts0;
	ht->st_ts = ts1;
}

static void h_counter(void *u, struct ana_tl_proc *p, enum ana_tl_counter c,
		      uint64_t ts, double value)
{
	struct hproc *hp = p->user;

	hp->pt[c] = grow(hp->pt[c], &hp->cappt[c], hp->npt[c],
			 sizeof(*hp->pt[c]));
	hp->pt[c][hp->npt[c]++] = (struct point){ ts, value };
}

/* ---- stacks and frames ---- */

/* function k of the frame at addr (symbols.h: ana_symbol_at) */
static size_t frame_index(struct html *h, uint64_t image, uint64_t addr,
			  unsigned k)
{
	uint64_t key = hash_mix(hash_mix(hash_u64(image), addr), k);
	const struct frame_key *e;
	struct frame_key *n;
	uintptr_t i;
	char buf[512];

	/* keys that hash alike probe on: a frame is never another's name */
	while ((i = (uintptr_t)hmap_get(&h->frame_idx, key))) {
		e = &h->fkeys[i - 1];
		if (e->image == image && e->addr == addr && e->k == k)
			return e->frame;
		key = hash_next(key);
	}
	ana_frame_name_at(&h->tl->t, image, addr, k, buf, sizeof(buf));
	h->frames = xrealloc(h->frames, (h->nframes + 1) * sizeof(*h->frames));
	h->frames[h->nframes++] = xstrdup(buf);
	h->fkeys = xrealloc(h->fkeys, (h->nfkeys + 1) * sizeof(*h->fkeys));
	n = &h->fkeys[h->nfkeys++];
	*n = (struct frame_key){ image, addr, k, h->nframes - 1 };
	hmap_put(&h->frame_idx, key, (void *)(uintptr_t)h->nfkeys);
	return h->nframes - 1;
}

/* a function's name as a frame of the cpu flame graph, by string */
static size_t fn_index(struct html *h, const char *name)
{
	uint64_t key = hash_str(name);
	uintptr_t i;

	while ((i = (uintptr_t)hmap_get(&h->fn_idx, key)) &&
	       strcmp(h->frames[i - 1], name))
		key = hash_next(key);
	if (i)
		return i - 1;
	h->frames = xrealloc(h->frames, (h->nframes + 1) * sizeof(*h->frames));
	h->frames[h->nframes++] = xstrdup(name);
	hmap_put(&h->fn_idx, key, (void *)(uintptr_t)h->nframes);
	return h->nframes - 1;
}

/*
 * @return the index of stack id in the page's table, or -1.  by_fn: its
 * frames named by function only (the cpu flame graph: samples anywhere
 * in a function are one frame), else as frame strings (call sites).
 */
static long stack_index_as(struct html *h, uint64_t id, int by_fn)
{
	struct hmap *m = by_fn ? &h->cstack_idx : &h->stack_idx;
	uintptr_t i = (uintptr_t)hmap_get(m, id);
	const struct ana_stack *s;

	if (i)
		return (long)i - 1;
	s = id ? ana_stack(&h->tl->t, id) : NULL;
	if (!s || !s->n)
		return -1;
	h->stacks = xrealloc(h->stacks, (h->nstacks + 1) * sizeof(*h->stacks));
	h->by_fn = xrealloc(h->by_fn, h->nstacks + 1);
	h->by_fn[h->nstacks] = (uint8_t)by_fn;
	h->stacks[h->nstacks++] = s;
	hmap_put(m, id, (void *)(uintptr_t)h->nstacks);
	return (long)h->nstacks - 1;
}

static long stack_index(struct html *h, uint64_t id)
{
	return stack_index_as(h, id, 0);
}

/* ---- writing ---- */

static void str(struct html *h, const char *s)
{
	ana_tl_json_str(h->f, s ? s : "");
}

static int64_t rel(struct html *h, uint64_t ts)
{
	return ana_rel_ts(&h->tl->t, ts);
}

/* [start, dur, state, call, object, fd name, waker, wake ts, result,
 *  bytes, stack, holder, unfinished (1 at exit, 2 at the snapshot)] */
static void put_iv(struct html *h, const struct iv *v, int *first)
{
	long st = stack_index(h, v->stack);
	char obj[160], sym[128];

	fprintf(h->f, "%s[%" PRId64 ",%" PRIu64 ",%u,", *first ? "" : ",",
		rel(h, v->start), v->dur, v->cat);
	*first = 0;
	str(h, v->name);
	if (v->has_fd)
		fprintf(h->f, ",\"fd %" PRId64 "\",", (int64_t)v->obj);
	else if (v->obj) {
		/* "jobs_lock (0x5581...)": named as report names it */
		if (ana_data_name(&h->tl->t, v->image, v->obj, sym,
				  sizeof(sym)))
			snprintf(obj, sizeof(obj), "%s (0x%" PRIx64 ")", sym,
				 v->obj);
		else
			snprintf(obj, sizeof(obj), "0x%" PRIx64, v->obj);
		fprintf(h->f, ",");
		str(h, obj);
		fprintf(h->f, ",");
	}
	else
		fprintf(h->f, ",\"\",");
	str(h, v->fd_name);
	fprintf(h->f, ",%" PRIu64 ",%" PRId64 ",%" PRId64 ",%" PRId64
		",%ld,%" PRIu64 ",%u]", v->waker,
		v->wake_ts ? rel(h, v->wake_ts) : -1, v->result, v->bytes,
		st, v->holder, v->unfinished);
}

/* [start, dur, state, running ns, runnable ns, unknown ns, measured] */
static void put_rs(struct html *h, const struct rsl *r, int *first)
{
	fprintf(h->f, "%s[%" PRId64 ",%" PRIu64 ",%u,%" PRIu64 ",%" PRIu64
		",%" PRIu64 ",%u]", *first ? "" : ",", rel(h, r->start),
		r->dur, r->state, r->split.running, r->split.runnable,
		r->split.unknown, r->measured);
	*first = 0;
}

/*
 * aggregates: [start, dur, dominant state, ns, count, [n by state],
 * [ns by state]], from the first short slice's start to the last one's
 * end
 */
static void put_bucket(struct html *h, const struct agg *a, int *first)
{
	int s;

	fprintf(h->f, "%s[%" PRId64 ",%" PRIu64 ",%u,%" PRIu64 ",%" PRIu64
		",[", *first ? "" : ",", rel(h, a->start), a->dur, a->state,
		a->total, a->count);
	for (s = 0; s < ANA_NSTATES; s++)
		fprintf(h->f, "%s%" PRIu64, s ? "," : "", a->n[s]);
	fprintf(h->f, "],[");
	for (s = 0; s < ANA_NSTATES; s++)
		fprintf(h->f, "%s%" PRIu64, s ? "," : "", a->ns[s]);
	fprintf(h->f, "]]");
	*first = 0;
}

/* every slice kept is drawn: the short ones went to aggregates */
static void put_intervals(struct html *h, struct hthread *ht)
{
	int first = 1;
	size_t i;

	fprintf(h->f, ",\"iv\":[");
	for (i = 0; i < ht->n; i++)
		put_iv(h, &ht->iv[i], &first);
	fprintf(h->f, "],\"rs\":[");
	first = 1;
	for (i = 0; i < ht->nrs; i++)
		put_rs(h, &ht->rs[i], &first);
	fprintf(h->f, "],\"bk\":[");
	first = 1;
	for (i = 0; i < ht->nbk; i++)
		put_bucket(h, &ht->bk[i], &first);
	fprintf(h->f, "]");
}

/* the width samples are counted per (0: listed one by one) */
static uint64_t sample_width(struct html *h)
{
	struct ana_tl *tl = h->tl;
	uint64_t w = (tl->end - tl->begin) / 100000 + 1, count, last, b;
	size_t i, j, k;
	int tries;

	if (h->samples <= SAMPLE_BUDGET)
		return 0;
	for (tries = 0; tries < 40; tries++, w *= 2) {
		count = 0;
		for (i = 0; i < tl->nprocs; i++)
			for (j = 0; j < tl->procs[i]->nthreads; j++) {
				struct hthread *ht =
					tl->procs[i]->threads[j]->user;

				last = UINT64_MAX;
				for (k = 0; k < ht->ncs; k++) {
					b = (ht->cs[k] - tl->begin) / w;
					if (b != last)
						count++, last = b;
				}
			}
		if (count <= SAMPLE_BUDGET)
			break;
	}
	return w;
}

static int by_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* "cs": sample times; past the budget, [bucket start, count] pairs */
static void put_samples(struct html *h, struct hthread *ht, uint64_t w)
{
	uint64_t b, last = UINT64_MAX, n = 0;
	size_t k;
	int first = 1;

	if (ht->ncs)
		qsort(ht->cs, ht->ncs, sizeof(*ht->cs), by_u64);
	fprintf(h->f, ",\"cs\":[");
	for (k = 0; k < ht->ncs; k++) {
		if (!w) {
			fprintf(h->f, "%s%" PRId64, first ? "" : ",",
				rel(h, ht->cs[k]));
			first = 0;
			continue;
		}
		b = (ht->cs[k] - h->tl->begin) / w;
		if (b != last && n) {
			fprintf(h->f, "%s%" PRId64 ",%" PRIu64, first ? "" : ",",
				rel(h, h->tl->begin + last * w), n);
			first = 0;
			n = 0;
		}
		last = b;
		n++;
	}
	if (n)
		fprintf(h->f, "%s%" PRId64 ",%" PRIu64, first ? "" : ",",
			rel(h, h->tl->begin + last * w), n);
	fprintf(h->f, "]");
}

static size_t name_index(struct html *h, const char *name)
{
	uintptr_t i = (uintptr_t)hmap_get(&h->name_idx, (uintptr_t)name);

	if (i)
		return i - 1;
	h->names = xrealloc(h->names, (h->nnames + 1) * sizeof(*h->names));
	h->names[h->nnames++] = name;
	hmap_put(&h->name_idx, (uintptr_t)name,
		    (void *)(uintptr_t)h->nnames);
	return h->nnames - 1;
}

static int by_depth_start(const void *a, const void *b)
{
	const struct region *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* close what is still open at the thread's last event; sort by depth */
static void regions_end(struct html *h)
{
	struct ana_tl *tl = h->tl;
	size_t i, j;

	for (i = 0; i < tl->nprocs; i++)
		for (j = 0; j < tl->procs[i]->nthreads; j++) {
			struct ana_tl_thread *th = tl->procs[i]->threads[j];
			struct hthread *ht = th->user;

			while (ht->nopen)
				region_close(h, ht, --ht->nopen, th->last);
			if (ht->nrg)
				qsort(ht->rg, ht->nrg, sizeof(*ht->rg),
				      by_depth_start);
		}
}

/* the rows a width w makes of a thread's regions (merged: per bucket) */
static uint64_t region_rows(struct html *h, struct hthread *ht, uint64_t w)
{
	uint64_t count = 0, b, last = UINT64_MAX, depth = UINT64_MAX;
	size_t k;

	for (k = 0; k < ht->nrg; k++) {
		b = (ht->rg[k].start - h->tl->begin) / w;
		if (ht->rg[k].dur >= w)
			count++;
		else if (b != last || ht->rg[k].depth != depth)
			count++, last = b, depth = ht->rg[k].depth;
	}
	return count;
}

/* like bucket_width(), for regions: 0 keeps them all */
static uint64_t region_width(struct html *h)
{
	struct ana_tl *tl = h->tl;
	uint64_t w = (tl->end - tl->begin) / 100000 + 1, count;
	size_t i, j;
	int tries;

	if (h->nregions <= REGION_BUDGET)
		return 0;
	for (tries = 0; tries < 40; tries++, w *= 2) {
		count = 0;
		for (i = 0; i < tl->nprocs; i++)
			for (j = 0; j < tl->procs[i]->nthreads; j++)
				count += region_rows(h,
					tl->procs[i]->threads[j]->user, w);
		if (count <= REGION_BUDGET)
			break;
	}
	return w;
}

/* [start, dur, depth, name, n]; n > 1: merged, dur is their total */
static void put_region(struct html *h, const struct region *r, int *first)
{
	fprintf(h->f, "%s[%" PRId64 ",%" PRIu64 ",%u,%zu,%u]",
		*first ? "" : ",", rel(h, r->start), r->dur, r->depth,
		name_index(h, r->name), r->n);
	*first = 0;
	h->kept_regions += r->n;
}

static void put_regions(struct html *h, struct hthread *ht, uint64_t w)
{
	struct region m = { 0 };
	uint64_t b;
	size_t k;
	int first = 1;

	fprintf(h->f, ",\"rg\":[");
	for (k = 0; k < ht->nrg; k++) {
		const struct region *r = &ht->rg[k];

		if (!w || r->dur >= w) {
			/* flush the merged ones: starts stay sorted */
			if (m.n)
				put_region(h, &m, &first);
			m.n = 0;
			put_region(h, r, &first);
			continue;
		}
		b = (r->start - h->tl->begin) / w;
		if (m.n && (m.start != h->tl->begin + b * w ||
			    m.depth != r->depth)) {
			put_region(h, &m, &first);
			m.n = 0;
		}
		if (!m.n)
			m = (struct region){ h->tl->begin + b * w, 0, r->name,
					     r->depth, 0 };
		m.dur += r->dur;
		m.n++;
	}
	if (m.n)
		put_region(h, &m, &first);
	fprintf(h->f, "]");
	if (ht->cr_ts)
		fprintf(h->f, ",\"cr\":[%" PRIu64 ",%" PRId64 ",%" PRId64 "]",
			ht->cr_tid, rel(h, ht->cr_ts), rel(h, ht->st_ts));
}

/* life, st: the lifetime and ns by state of states.h (`ctrace threads`) */
static void put_thread(struct html *h, struct ana_tl_thread *th,
		       uint64_t rw, uint64_t sw)
{
	const struct ana_tstate *ts = th->ts;
	char label[256];
	int s;

	fprintf(h->f, "{\"pid\":%" PRIu64 ",\"tid\":%" PRIu64 ",\"name\":",
		th->proc->p->pid, th->tid);
	str(h, ana_tl_thread_name(th));
	/* a tid the kernel reused: which of its threads (trace.h) */
	if (th->th && (th->th->gen > 1 || th->th->next_gen))
		fprintf(h->f, ",\"gen\":%u", th->gen);
	fprintf(h->f, ",\"label\":");
	str(h, ana_tl_thread_label(h->tl, th, label, sizeof(label)));
	fprintf(h->f, ",\"proc\":%zu,\"first\":%" PRId64 ",\"last\":%" PRId64
		",\"life\":%" PRIu64 ",\"st\":[", th->proc->index,
		rel(h, th->first), rel(h, th->last), ts ? ts->lifetime : 0);
	for (s = 0; s < ANA_NSTATES; s++)
		fprintf(h->f, "%s%" PRIu64, s ? "," : "",
			ts ? ts->ns[s] : 0);
	fprintf(h->f, "],\"n\":%" PRIu64 ",\"ns\":%" PRIu64, th->nblocks,
		th->nsamples);
	put_intervals(h, th->user);
	put_samples(h, th->user, sw);
	put_regions(h, th->user, rw);
	fprintf(h->f, "}");
}

/* [ts, value, ts, value...]: on-CPU threads with 3 decimals */
static void put_counter(struct html *h, const struct point *pt, size_t n,
			int decimals)
{
	uint64_t b0 = h->tl->begin, span = h->tl->end - b0 + 1, b, last;
	double best = 0;
	size_t i;
	int first = 1, have = 0;

	fprintf(h->f, "[");
	last = UINT64_MAX;
	for (i = 0; i < n; i++) {
		b = n > COUNTER_POINTS ?
		    (uint64_t)((double)(pt[i].ts - b0) / span *
			       (COUNTER_POINTS / 2)) : i;
		if (b != last && have) {
			fprintf(h->f, "%s%.*f", first ? "" : ",", decimals,
				best);
			first = 0;
			have = 0;
		}
		if (!have) {
			fprintf(h->f, "%s%" PRId64, first ? "" : ",",
				rel(h, pt[i].ts));
			first = 0;
			best = pt[i].v;
			have = 1;
		}
		if (pt[i].v > best)
			best = pt[i].v;
		last = b;
	}
	if (have)
		fprintf(h->f, "%s%.*f", first ? "" : ",", decimals, best);
	fprintf(h->f, "]");
}

static int by_instant_ts(const void *a, const void *b)
{
	const struct instant *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* a process's own start, exec and end are always kept */
static int instant_kept(struct html *h, const struct instant *in,
			uint64_t *acc)
{
	if (h->ninstants <= INSTANT_BUDGET)
		return 1;
	if (in->cat == TL_PROCESS && !in->tid)
		return 1;
	*acc += INSTANT_BUDGET;
	if (*acc < h->ninstants)
		return 0;
	*acc -= h->ninstants;
	return 1;
}

/* [ts, category, name, detail, tid (0: the process)] */
static void put_instants(struct html *h, struct hproc *hp, uint64_t *acc)
{
	size_t i;
	int first = 1;

	if (hp->nin)
		qsort(hp->in, hp->nin, sizeof(*hp->in), by_instant_ts);
	fprintf(h->f, ",\"in\":[");
	for (i = 0; i < hp->nin; i++) {
		struct instant *in = &hp->in[i];

		if (!instant_kept(h, in, acc))
			continue;
		fprintf(h->f, "%s[%" PRId64 ",%u,%zu,", first ? "" : ",",
			rel(h, in->ts), in->cat, name_index(h, in->name));
		str(h, in->detail);
		fprintf(h->f, ",%" PRIu64 "]", in->tid);
		first = 0;
		h->kept_instants++;
	}
	fprintf(h->f, "]");
}

static void put_proc(struct html *h, struct ana_tl_proc *p, uint64_t *acc)
{
	struct hproc *hp = p->user;
	char buf[256];
	uint32_t i;
	int c;

	fprintf(h->f, "{\"pid\":%" PRIu64 ",\"name\":", p->p->pid);
	str(h, ana_tl_proc_name(p, buf, sizeof(buf)));
	fprintf(h->f, ",\"argv\":[");
	for (i = 0; i < p->p->argc; i++) {
		fprintf(h->f, i ? "," : "");
		str(h, p->p->argv[i]->s);
	}
	fprintf(h->f, "],\"peak_heap\":%" PRId64 ",\"counters\":[",
		p->peak_heap);
	for (c = 0; c < TL_NCOUNTERS; c++) {
		fprintf(h->f, c ? "," : "");
		put_counter(h, hp->pt[c], hp->npt[c], c == TL_CNT_HEAP ? 0 : 3);
	}
	fprintf(h->f, "]");
	put_instants(h, hp, acc);
	fprintf(h->f, "}");
}

/* thread time by state, summed over the threads as states.h has them */
static void put_summary(struct html *h)
{
	struct ana_tl *tl = h->tl;
	uint64_t states[ANA_NSTATES] = { 0 };
	char buf[512];
	size_t i, j;
	int s;

	for (i = 0; i < tl->nprocs; i++)
		for (j = 0; j < tl->procs[i]->nthreads; j++) {
			const struct ana_tstate *ts =
				tl->procs[i]->threads[j]->ts;

			for (s = 0; ts && s < ANA_NSTATES; s++)
				states[s] += ts->ns[s];
		}
	fprintf(h->f, "\"summary\":{\"trace\":");
	str(h, tl->t.path);
	fprintf(h->f, ",\"begin\":%" PRId64 ",\"end\":%" PRId64
		",\"processes\":%zu,\"threads\":%zu,\"events\":%" PRIu64
		",\"lost\":%" PRIu64 ",\"samples\":%" PRIu64 ",\"integrity\":",
		rel(h, tl->begin), rel(h, tl->end), tl->nprocs, tl->nthreads,
		tl->t.st.events, tl->t.st.lost, tl->nsamples);
	str(h, ana_integrity(&tl->t, buf, sizeof(buf)));
	fprintf(h->f, ",\"states\":[");
	for (s = 0; s < ANA_NSTATES; s++)
		fprintf(h->f, "%s%" PRIu64, s ? "," : "", states[s]);
	fprintf(h->f, "]}");
}

static int by_value(const void *a, const void *b)
{
	const struct hmap_ent *x = a, *y = b;
	uintptr_t vx = x->val ? *(uintptr_t *)x->val : 0;
	uintptr_t vy = y->val ? *(uintptr_t *)y->val : 0;

	return vx < vy ? 1 : vx > vy ? -1 : 0;
}

static void put_flames(struct html *h)
{
	int k, first;
	size_t i;
	long st;

	fprintf(h->f, ",\"flame\":{");
	for (k = 0; k < FLAME_KINDS; k++) {
		struct hmap *m = &h->flame[k];

		fprintf(h->f, "%s\"%s\":[", k ? "," : "", flame_name[k]);
		/* the biggest first; the map is not used after this */
		if (m->cap)
			qsort(m->ents, m->cap, sizeof(*m->ents), by_value);
		first = 1;
		for (i = 0; i < m->cap && m->ents[i].val && i < 20000; i++) {
			st = stack_index_as(h, m->ents[i].key, k == FL_CPU);
			if (st < 0)
				continue;
			fprintf(h->f, "%s[%ld,%" PRIuPTR "]", first ? "" : ",",
				st, *(uintptr_t *)m->ents[i].val);
			first = 0;
		}
		fprintf(h->f, "]");
	}
	fprintf(h->f, "}");
}

/* stacks last: the intervals and flames above named the ones needed */
static void put_stacks(struct html *h)
{
	size_t i, k;
	uint32_t j;

	const struct ana_stack *s;
	const struct ana_trace *t = &h->tl->t;
	unsigned d, k2;
	char fn[512];

	fprintf(h->f, ",\"stacks\":[");
	for (i = 0; i < h->nstacks; i++) {
		s = h->stacks[i];
		fprintf(h->f, "%s[", i ? "," : "");
		/* a frame is its inlined calls, innermost first, then the
		 * function they were inlined into */
		for (j = 0; j < s->n; j++) {
			d = ana_frame_depth(t, s->image, s->frames[j]);
			for (k2 = 0; k2 < d; k2++)
				fprintf(h->f, "%s%zu", j || k2 ? "," : "",
					h->by_fn[i] ? fn_index(h,
					ana_frame_fn_at(t, s->image,
					s->frames[j], k2, fn, sizeof(fn))) :
					frame_index(h, s->image, s->frames[j],
						    k2));
		}
		fprintf(h->f, "]");
	}
	fprintf(h->f, "],\"frames\":[");
	for (k = 0; k < h->nframes; k++) {
		fprintf(h->f, k ? "," : "");
		str(h, h->frames[k]);
	}
	fprintf(h->f, "]");
}

/* [name, count, unfinished, moved, total, p50, p90, p99, max] */
static void put_utypes(struct html *h, const char *key,
		       const struct ana_utypes *ts)
{
	static const double q[] = { 0.5, 0.9, 0.99 };
	size_t i;
	int k;

	fprintf(h->f, ",\"%s\":[", key);
	for (i = 0; i < ts->n; i++) {
		const struct ana_utype *t = ts->list[i];

		fprintf(h->f, "%s[", i ? "," : "");
		str(h, t->name);
		fprintf(h->f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64,
			t->count, t->unfinished, t->moved, t->d.sum);
		for (k = 0; k < 3; k++)
			fprintf(h->f, ",%" PRIu64, ana_dhist_pct(&t->d, q[k]));
		fprintf(h->f, ",%" PRIu64 "]", t->d.max);
	}
	fprintf(h->f, "]");
}

/* after everything that named a name */
static void put_user(struct html *h, uint64_t rw)
{
	size_t i;

	put_utypes(h, "tasks", &h->tk.tasks);
	put_utypes(h, "region_types", &h->tk.regions);
	fprintf(h->f, ",\"caps\":{\"regions\":[%" PRIu64 ",%" PRIu64
		",%" PRIu64 "],\"instants\":[%" PRIu64 ",%" PRIu64 "]}",
		h->kept_regions, h->nregions, rw, h->kept_instants,
		h->ninstants);
	fprintf(h->f, ",\"names\":[");
	for (i = 0; i < h->nnames; i++) {
		fprintf(h->f, i ? "," : "");
		str(h, h->names[i]);
	}
	fprintf(h->f, "]");
}

static void put_palette(struct html *h)
{
	char how[80];
	int c;

	fprintf(h->f, ",\"palette\":[");
	for (c = 0; c < TL_NCATS; c++)
		fprintf(h->f, "%s[\"%s\",\"%s\"]", c ? "," : "",
			ana_tl_palette[c].cat, ana_tl_palette[c].rgb);
	fprintf(h->f, "],\"nstates\":%d,\"counters\":[", ANA_NSTATES);
	str(h, ana_tl_counter_label(h->tl, 0));
	fprintf(h->f, ",");
	str(h, ana_tl_counter_label(h->tl, 1));
	fprintf(h->f, "]");
	/* a sampled heap's bytes are estimates: the page says so */
	if (ana_heap_sampling(&h->tl->t, how, sizeof(how))) {
		fprintf(h->f, ",\"heap_sampling\":");
		str(h, how);
	}
	/* untimed stdio calls are in no io stack: the page says so */
	if (h->served)
		fprintf(h->f, ",\"stdio_served\":%" PRIu64, h->served);
}

static void put_data(struct html *h)
{
	struct ana_tl *tl = h->tl;
	uint64_t w = tl->width, sw = sample_width(h), rw, acc = 0;
	size_t i, j;
	int first = 1;

	regions_end(h);
	rw = region_width(h);

	fprintf(h->f, "{");
	put_summary(h);
	put_palette(h);
	fprintf(h->f, ",\"bucket\":%" PRIu64 ",\"sbucket\":%" PRIu64
		",\"procs\":[", w, sw);
	for (i = 0; i < tl->nprocs; i++) {
		fprintf(h->f, i ? "," : "");
		put_proc(h, tl->procs[i], &acc);
	}
	fprintf(h->f, "],\"threads\":[");
	for (i = 0; i < tl->nprocs; i++)
		for (j = 0; j < tl->procs[i]->nthreads; j++) {
			fprintf(h->f, first ? "" : ",\n");
			first = 0;
			put_thread(h, tl->procs[i]->threads[j], rw, sw);
		}
	fprintf(h->f, "]");
	put_user(h, rw);
	put_flames(h);
	put_stacks(h);
	fprintf(h->f, "}");
}

static const struct ana_asset *asset(const char *name)
{
	const struct ana_asset *a;

	for (a = ana_assets; a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	die(EXIT_FAIL, "html: %s is not built in", name);
}

/* the template with @CSS@, @DATA@ and @JS@ replaced, in that order */
static void h_done(void *u)
{
	static const char *const marks[] = { "@CSS@", "@DATA@", "@JS@" };
	struct html *h = u;
	const struct ana_asset *tpl = asset("report.html");
	const char *p = (const char *)tpl->data, *end = p + tpl->len, *m;
	int k;

	for (k = 0; k < 3; k++) {
		m = strstr(p, marks[k]);
		if (!m)
			die(EXIT_FAIL, "html: template has no %s", marks[k]);
		fwrite(p, 1, m - p, h->f);
		if (k == 0)
			fwrite(asset("report.css")->data, 1,
			       asset("report.css")->len, h->f);
		else if (k == 1)
			put_data(h);
		else
			fwrite(asset("report.js")->data, 1,
			       asset("report.js")->len, h->f);
		p = m + strlen(marks[k]);
	}
	fwrite(p, 1, end - p, h->f);
}

static void free_all(struct html *h, struct ana_tl *tl)
{
	size_t i, j;
	int k;

	for (k = 0; k < FLAME_KINDS; k++) {
		for (i = 0; i < h->flame[k].cap; i++)
			free(h->flame[k].ents[i].val);
		hmap_free(&h->flame[k]);
	}
	for (i = 0; i < tl->nprocs; i++) {
		struct hproc *hp = tl->procs[i]->user;

		for (k = 0; k < TL_NCOUNTERS; k++)
			free(hp->pt[k]);
		for (j = 0; j < hp->nin; j++)
			free(hp->in[j].own);
		free(hp->in);
		free(hp);
		for (j = 0; j < tl->procs[i]->nthreads; j++) {
			struct hthread *ht = tl->procs[i]->threads[j]->user;

			free(ht->iv);
			free(ht->rs);
			free(ht->bk);
			free(ht->cs);
			free(ht->rg);
			free(ht->open);
			free(ht);
		}
	}
	for (i = 0; i < h->nframes; i++)
		free(h->frames[i]);
	free(h->frames);
	free(h->fkeys);
	free(h->stacks);
	free(h->by_fn);
	hmap_free(&h->stack_idx);
	hmap_free(&h->cstack_idx);
	hmap_free(&h->fn_idx);
	hmap_free(&h->frame_idx);
	hmap_free(&h->name_idx);
	free(h->names);
	ana_tasks_free(&h->tk);
}

/* everything is written from done(), while the trace's tables live */
static void h_done_free(void *u)
{
	struct html *h = u;

	ana_tasks_done(&h->tk, &h->tl->t);
	h_done(h);
	free_all(h, h->tl);
}

/* ctrace html [-o <out.html>] <file>; the output defaults to <file>.html */
int ana_cmd_html(const struct ana_args *a)
{
	static const struct ana_tl_ops ops = {
		.process = h_process,
		.thread = h_thread,
		.slice = h_slice,
		.residue = h_residue,
		.aggregate = h_aggregate,
		.sample = h_sample,
		.region = h_region,
		.instant = h_instant,
		.flow = h_flow,
		.counter = h_counter,
		.event = h_event,
		.done = h_done_free,
	};
	const char *out = a->out, *in;
	long buckets = ana_tl_buckets(a);
	struct html h = { 0 };
	struct ana_tl tl;
	char *def = NULL;
	int status;

	in = ana_args_file(a);
	if (!out) {
		if (!strcmp(in, "-"))
			die(EXIT_USAGE, "html: reading stdin needs -o");
		def = xmalloc(strlen(in) + 8);
		sprintf(def, "%s.html", in);
		out = def;
	}
	ana_tl_open(&tl, in, buckets);
	h.tl = &tl;
	ana_tasks_init(&h.tk);
	h.f = ana_tl_out(out);
	status = ana_tl_run(&tl, &ops, &h);
	ana_tl_close(h.f, out);
	free(def);
	return status;
}
