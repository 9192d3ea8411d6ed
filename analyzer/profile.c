/*
 * profile.c - `ctrace profile KIND`: time or bytes by stack.
 *
 * The accumulation (samples by stack, contended objects, live heap) is
 * shared with `ctrace report`; the text and folded outputs are here and
 * the pprof one in pprof.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "log.h"
#include "outfile.h"
#include "out.h"
#include "profile.h"
#include "symbols.h"

#define TEXT_TOP	20	/* stacks the text output shows */
#define TEXT_OBJS	10	/* objects it shows */
#define TEXT_BY		3	/* holders per object */
#define TEXT_FUNCS	20	/* functions the cpu flat table shows */
#define TEXT_THREADS	10	/* threads the cpu header shows */

static const char *const kind_names[ANA_PROF_NKINDS] = {
	"cpu", "sync", "io", "syscall", "sleep", "wakeup", "heap", "leaks",
	"block",
};

int ana_prof_kind_of(const char *name)
{
	int k;

	/* "block" is report's: not a KIND users pass */
	for (k = 0; k < ANA_PROF_BLOCK; k++)
		if (!strcmp(name, kind_names[k]))
			return k;
	return -1;
}

const char *ana_prof_kind_name(enum ana_prof_kind kind)
{
	return kind < ANA_PROF_NKINDS ? kind_names[kind] : "?";
}

/* ---- live allocations: a table of records (hash.h) ---- */

#define HMUL	HASH_GOLDEN

struct hval {
	uint64_t size, stack, ts;
	uint64_t tid;		/* with labels: the allocating thread */
	struct ana_proc *p;
};

/* one key per (image, address): user addresses fit in 48 bits */
static uint64_t hkey(const struct ana_proc *p, uint64_t addr)
{
	return (p->image & 0xffff) << 48 | (addr & 0xffffffffffffull);
}

/* ---- samples and objects ---- */

void ana_prof_init(struct ana_prof *pr, enum ana_prof_kind kind)
{
	static const unsigned masks[ANA_PROF_NKINDS] = {
		[ANA_PROF_SYNC] = 1 << ANA_SYNC,
		[ANA_PROF_IO] = 1 << ANA_IO,
		[ANA_PROF_SYSCALL] = 1 << ANA_IO | 1 << ANA_WAIT |
				     1 << ANA_SLEEP,
		[ANA_PROF_SLEEP] = 1 << ANA_SLEEP,
		[ANA_PROF_BLOCK] = 1 << ANA_SYNC | 1 << ANA_IO |
				   1 << ANA_WAIT | 1 << ANA_SLEEP |
				   1 << ANA_JOIN,
	};

	memset(pr, 0, sizeof(*pr));
	pr->kind = kind;
	pr->mask = masks[kind];
	if (kind == ANA_PROF_HEAP || kind == ANA_PROF_LEAKS ||
	    kind == ANA_PROF_BLOCK) {
		pr->live = xmalloc(sizeof(*pr->live));
		*pr->live = (struct htab)HTAB_INIT(struct hval);
		pr->pending = xmalloc(sizeof(*pr->pending));
		*pr->pending = (struct htab)HTAB_INIT(struct hval);
	}
	if (kind == ANA_PROF_SYNC || kind == ANA_PROF_BLOCK)
		pr->objnames = ana_objs_new();
}

/* what a sample is of: events alike in all of it sum into one sample */
struct skey {
	uint64_t stack;
	unsigned type;
	const char *call;
	uint64_t pid, tid, obj;
	int has_obj, has_fd;
};

static int same_key(const struct ana_psample *s, const struct skey *k)
{
	return s->stack == k->stack && s->call == k->call &&
	       (k->stack || s->type == k->type) && s->pid == k->pid &&
	       s->tid == k->tid && s->obj == k->obj &&
	       s->has_obj == k->has_obj && s->has_fd == k->has_fd;
}

/*
 * Without a stack the type tells samples apart; with one, the stack and
 * the call (a condvar wait and a mutex wait of one call site differ).
 * Keys that hash alike probe on.
 */
static struct ana_psample *sample_of(struct ana_prof *pr, const struct skey *k)
{
	uint64_t key = k->stack ? k->stack : 1ull << 63 | k->type;
	struct ana_psample *s;

	if (k->call)
		key ^= (uint64_t)(uintptr_t)k->call * HMUL;
	if (pr->labels)
		key ^= (k->pid << 40 ^ k->tid << 20 ^ k->obj) * HMUL >> 1;
	while ((s = hmap_get(&pr->samples, key)) && !same_key(s, k))
		key = key * HMUL + 1;
	if (s)
		return s;
	s = xcalloc(1, sizeof(*s));
	s->stack = k->stack;
	s->type = k->type;
	s->call = k->call;
	s->pid = k->pid;
	s->tid = k->tid;
	s->obj = k->obj;
	s->has_obj = k->has_obj;
	s->has_fd = k->has_fd;
	hmap_put(&pr->samples, key, s);
	pr->nsamples++;
	return s;
}

/* the sample of stack and type, for pid and tid when labels are kept */
static struct ana_psample *sample(struct ana_prof *pr, uint64_t stack,
				  unsigned type, uint64_t pid, uint64_t tid)
{
	struct skey k = { stack, type, NULL, 0, 0, 0, 0, 0 };

	if (pr->labels) {
		k.pid = pid;
		k.tid = tid;
	}
	return sample_of(pr, &k);
}

/* ---- the blocking call ---- */

/*
 * The call of a sync or join event, by its type: the trace records which
 * family (mutex, condvar, ...) but not whether the timed or clock variant
 * was called, so each family is named by its untimed call.
 */
static const char *type_call(const struct fmt_event *ev, unsigned type)
{
	switch (type) {
	case FMT_EV_MUTEX_BLOCK:	return "pthread_mutex_lock";
	case FMT_EV_COND_WAIT:		return "pthread_cond_wait";
	case FMT_EV_SEM_WAIT:		return "sem_wait";
	case FMT_EV_BARRIER_WAIT:	return "pthread_barrier_wait";
	case FMT_EV_SPIN_BLOCK:		return "pthread_spin_lock";
	case FMT_EV_FUTEX_WAIT:		return "futex";
	case FMT_EV_THREAD_JOIN:	return "pthread_join";
	case FMT_EV_CONNECT:		return "connect";
	case FMT_EV_RWLOCK_BLOCK:
		/* an unfinished one does not say which */
		if (ev->type != FMT_EV_RWLOCK_BLOCK)
			return NULL;
		return ev->f[FMT_F_RWLOCK_BLOCK_write] ?
		       "pthread_rwlock_wrlock" : "pthread_rwlock_rdlock";
	}
	return NULL;
}

const char *ana_prof_call(const struct fmt_event *ev,
			  const struct ana_block *b)
{
	const struct fmt_event_info *in = fmt_event_info(ev->type);
	const char *name = type_call(ev, b->type);
	uint64_t call = 0;

	if (name)
		return name;
	/* io, wait and sleep events record the libc entry point, and so
	 * does an unfinished call */
	if (in && in->at.call >= 0)
		call = ev->f[in->at.call];
	name = call ? fmt_call_name(call) : NULL;
	if (name)
		return name;
	in = fmt_event_info(b->type);
	return in ? in->name : "?";
}

/*
 * Holders are a small table of records keyed by tid (hash.h): every
 * contended wait comes here, and a scan of a lock's dozen holders costs
 * a mispredicted exit each time.  ana_prof_sort_holders() copies them
 * into a sorted array.
 */
static void add_by(struct ana_pobj *o, uint64_t tid, uint64_t ns)
{
	struct ana_holder *h;

	if (!o->holders.size)
		o->holders = (struct htab)HTAB_INIT_SMALL(struct ana_holder, 8);
	h = htab_rec(&o->holders, htab_put(&o->holders, tid));
	h->tid = tid;
	h->ns += ns;
	h->count++;
}

static void object(struct ana_prof *pr, struct ana_proc *p,
		   const struct ana_block *b)
{
	uint64_t key = p->pid << 48 | (b->obj & 0xffffffffffffull);
	struct ana_pobj *o = hmap_get(&pr->objs, key);
	uint64_t by;

	if (!o) {
		o = xcalloc(1, sizeof(*o));
		o->p = p;
		o->obj = b->obj;
		o->type = b->type;
		hmap_put(&pr->objs, key, o);
		pr->nobjs++;
		ana_objs_use(pr->objnames, p, b->obj, b->start, &o->site, 1);
	} else {
		ana_objs_use(pr->objnames, p, b->obj, b->start, &o->site, 0);
	}
	o->ns += b->dur;
	o->count++;
	o->unfinished += b->unfinished;
	/* an unfinished wait has no waker (nobody ended it), but a
	 * mutex's holder, read when the wait began */
	by = b->type == FMT_EV_MUTEX_BLOCK ? b->holder : b->waker;
	if (by)
		add_by(o, by, b->dur);
}

const char *ana_prof_obj_name(const struct ana_trace *t,
			      const struct ana_prof *pr, struct ana_pobj *o,
			      char *buf, size_t size)
{
	return ana_objs_name(t, pr->objnames, o->p, o->obj, &o->site, buf,
			     size);
}

const char *ana_prof_by_word(const struct ana_pobj *o)
{
	return o->type == FMT_EV_MUTEX_BLOCK ? "held by" : "woken by";
}

/* ---- heap ---- */

double ana_heap_weight(const struct ana_proc *p, uint64_t size)
{
	/* a block of size 0 is never sampled: it weighs itself */
	if (!p->heap_sample || !size)
		return 1;
	return 1 / -expm1(-(double)size / (double)p->heap_sample);
}

const char *ana_heap_sampling(const struct ana_trace *t, char *buf,
			      size_t size)
{
	uint64_t rate = 0;
	int mixed = 0;
	size_t i;

	for (i = 0; i < t->nprocs; i++) {
		if (!t->procs[i]->heap_sample)
			continue;
		if (rate && rate != t->procs[i]->heap_sample)
			mixed = 1;
		if (!rate || t->procs[i]->heap_sample < rate)
			rate = t->procs[i]->heap_sample;
	}
	if (!rate)
		return NULL;
	snprintf(buf, size, "sampled every %s%" PRIu64 " bytes (scaled)",
		 mixed ? "~" : "", rate);
	return buf;
}

/* the process's sampling rate into the profile's: one, or mixed */
static void heap_rate(struct ana_prof *pr, const struct ana_proc *p)
{
	struct ana_heap_stats *hs = &pr->hs;

	if (!hs->recorded)
		hs->rate = p->heap_sample;
	else if (hs->rate != p->heap_sample)
		hs->mixed = 1;
	if (p->heap_sample && (!hs->rate || p->heap_sample < hs->rate))
		hs->rate = p->heap_sample;
	pr->sampled_heap |= p->heap_sample != 0;
}

static void live_add(struct ana_prof *pr, double w, double bytes)
{
	struct ana_heap_sums *hw = &pr->hw;

	hw->live += w;
	hw->live_bytes += bytes;
	if (hw->live_bytes > hw->peak_bytes)
		hw->peak_bytes = hw->live_bytes;
}

static void heap_alloc(struct ana_prof *pr, struct ana_proc *p,
		       struct ana_thread *th, uint64_t addr, uint64_t size,
		       uint64_t stack, const struct fmt_event *ev)
{
	uint64_t key = hkey(p, addr), tid = th ? th->tid : 0;
	double w = ana_heap_weight(p, size);
	struct ana_psample *s;
	struct hval *e;
	size_t i;

	heap_rate(pr, p);
	pr->hs.recorded++;
	pr->hw.allocs += w;
	pr->hw.bytes += w * size;
	if (pr->kind == ANA_PROF_HEAP) {
		s = sample(pr, stack, ev->type, p->pid, tid);
		s->w[0] += w;
		s->w[1] += w * size;
	}
	/* its free was read first: another thread's batch came earlier */
	i = htab_find(pr->pending, key);
	if (i != HTAB_NONE && ((struct hval *)htab_rec(pr->pending, i))->ts >=
			      ev->ts) {
		htab_del(pr->pending, i);
		pr->hw.frees += w;
		return;
	}
	i = htab_put(pr->live, key);	/* may grow: the record after it */
	e = htab_rec(pr->live, i);
	if (e->size || e->p) {
		/* the free of the previous block here was not recorded */
		live_add(pr, -ana_heap_weight(e->p, e->size),
			 -ana_heap_weight(e->p, e->size) * e->size);
	}
	e->size = size;
	e->stack = stack ? stack : 1ull << 63 | ev->type;
	e->ts = ev->ts;
	e->tid = tid;
	e->p = p;
	live_add(pr, w, w * size);
}

static void heap_free(struct ana_prof *pr, struct ana_proc *p, uint64_t addr,
		      uint64_t ts)
{
	uint64_t key = hkey(p, addr);
	size_t i = htab_find(pr->live, key);
	struct hval *e = i != HTAB_NONE ? htab_rec(pr->live, i) : NULL;
	double w;

	if (e && e->ts <= ts) {
		w = ana_heap_weight(e->p, e->size);
		pr->hw.frees += w;
		live_add(pr, -w, -w * e->size);
		htab_del(pr->live, i);
		return;
	}
	/* counted when its allocation is read, or at the end unmatched */
	i = htab_put(pr->pending, key);	/* may grow: the record after it */
	e = htab_rec(pr->pending, i);
	if (ts > e->ts)
		e->ts = ts;
}

static void heap_event(struct ana_prof *pr, struct ana_proc *p,
		       struct ana_thread *th, const struct fmt_event *ev)
{
	const uint64_t *f = ev->f;

	pr->hs.seen = 1;
	switch (ev->type) {
	case FMT_EV_ALLOC:
		if (f[FMT_F_ALLOC_addr])
			heap_alloc(pr, p, th, f[FMT_F_ALLOC_addr],
				   f[FMT_F_ALLOC_size], f[FMT_F_ALLOC_stack],
				   ev);
		break;
	case FMT_EV_FREE:
		if (f[FMT_F_FREE_addr])
			heap_free(pr, p, f[FMT_F_FREE_addr], ev->ts);
		break;
	case FMT_EV_REALLOC:
		/* a failed realloc (addr 0, size > 0) keeps the old block */
		if (f[FMT_F_REALLOC_old] &&
		    (f[FMT_F_REALLOC_addr] || !f[FMT_F_REALLOC_size]))
			heap_free(pr, p, f[FMT_F_REALLOC_old], ev->ts);
		if (f[FMT_F_REALLOC_addr])
			heap_alloc(pr, p, th, f[FMT_F_REALLOC_addr],
				   f[FMT_F_REALLOC_size],
				   f[FMT_F_REALLOC_stack], ev);
		break;
	}
}

/* ---- cpu ---- */

static struct ana_pthread *cpu_thread(struct ana_prof *pr, struct ana_proc *p,
				      struct ana_thread *th)
{
	uint64_t key = (uint64_t)(uintptr_t)th;
	struct ana_pthread *pt = hmap_get(&pr->cs.threads, key);

	if (!pt) {
		pt = xcalloc(1, sizeof(*pt));
		pt->p = p;
		pt->th = th;
		hmap_put(&pr->cs.threads, key, pt);
		pr->cs.nthreads++;
	}
	return pt;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	uint64_t t;

	while (b) {
		t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/*
 * A CPU_SAMPLE is one expiry of the thread's CPU-time timer: its period
 * is the CPU time it stands for, the interval times 1 + the timer's
 * overruns, so the interval is the periods' greatest common divisor.
 * (Not the smallest period: the kernel checks CPU timers at its tick,
 * and at 1000 Hz on a 250 Hz kernel every sample overruns.)  The
 * readings (samples and SCHED) give the kernel's own count of the
 * thread's CPU time to compare the samples with.
 */
static void cpu_event(struct ana_prof *pr, struct ana_proc *p,
		      struct ana_thread *th, const struct fmt_event *ev)
{
	struct ana_pthread *pt;
	struct ana_psample *s;
	struct ana_sched r;
	uint64_t period;

	if (!ana_sched_of(ev, &r))
		return;
	pr->cs.readings++;
	pt = cpu_thread(pr, p, th);
	if (r.src != FMT_SCHED_SRC_NONE && r.run >= pt->run) {
		pt->run = r.run;
		pt->src = r.src;
	}
	if (ev->type != FMT_EV_CPU_SAMPLE)
		return;
	period = ev->f[FMT_F_CPU_SAMPLE_period];
	if (period)
		pr->cs.period = gcd(period, pr->cs.period);
	s = sample(pr, ev->f[FMT_F_CPU_SAMPLE_stack], ev->type, p->pid,
		   th ? th->tid : 0);
	s->v[0]++;
	s->v[1] += period;
	pt->samples++;
	pt->ns += period;
}

/* a run of stdio calls the stream's buffer served: counted, not timed */
static void served_event(struct ana_prof *pr, struct ana_proc *p,
			 struct ana_thread *th, const struct fmt_event *ev)
{
	const uint64_t *f = ev->f;
	struct ana_psample *s;
	struct skey k;

	memset(&k, 0, sizeof(k));
	k.stack = f[FMT_F_STDIO_RUN_stack];
	k.type = f[FMT_F_STDIO_RUN_type] == FMT_EV_WRITE ? FMT_EV_WRITE :
								FMT_EV_READ;
	k.call = fmt_call_name(f[FMT_F_STDIO_RUN_call]);
	if (!k.call)
		k.call = fmt_event_info(k.type)->name;
	if (pr->labels) {
		k.pid = p->pid;
		k.tid = th ? th->tid : 0;
		k.has_obj = (int64_t)f[FMT_F_STDIO_RUN_fd] >= 0;
		k.obj = k.has_obj ? f[FMT_F_STDIO_RUN_fd] : 0;
		k.has_fd = k.has_obj;
	}
	s = sample_of(pr, &k);
	s->served += f[FMT_F_STDIO_RUN_calls];
	pr->served += f[FMT_F_STDIO_RUN_calls];
}

void ana_prof_event(struct ana_prof *pr, struct ana_proc *p,
		    struct ana_thread *th, const struct fmt_event *ev,
		    const struct ana_block *b)
{
	struct ana_psample *s;
	struct skey k;

	if (b) {
		if (!(pr->mask & 1u << b->state))
			return;
		/* b->type, not ev->type: UNFINISHED for a call blocked at
		 * exit, which counts as the call it is */
		memset(&k, 0, sizeof(k));
		k.stack = b->stack;
		k.type = b->type;
		k.call = ana_prof_call(ev, b);
		if (pr->labels) {
			k.pid = p->pid;
			k.tid = th ? th->tid : 0;
			/* an fd of -1 (poll) is none */
			k.has_obj = b->obj && (!b->has_fd ||
					       (int64_t)b->obj >= 0);
			k.obj = k.has_obj ? b->obj : 0;
			k.has_fd = k.has_obj && b->has_fd;
		}
		s = sample_of(pr, &k);
		s->v[0]++;
		s->v[1] += b->dur;
		if (b->unfinished) {
			s->unfinished++;
			pr->unfinished++;
			pr->unfinished_ns += b->dur;
		}
		if (b->state == ANA_SYNC)
			object(pr, p, b);
		return;
	}
	if (pr->kind == ANA_PROF_CPU) {
		cpu_event(pr, p, th, ev);
		return;
	}
	if (ev->type == FMT_EV_STDIO_RUN && pr->mask & 1u << ANA_IO) {
		served_event(pr, p, th, ev);
		return;
	}
	if (pr->objnames && ev->type >= FMT_EV_ALLOC &&
	    ev->type <= FMT_EV_REALLOC)
		ana_objs_heap(pr->objnames, p, ev);
	if (pr->live && ev->type >= FMT_EV_ALLOC &&
	    ev->type <= FMT_EV_REALLOC)
		heap_event(pr, p, th, ev);
}

void ana_prof_edge(void *arg, const struct ana_edge *e)
{
	struct ana_prof *pr = arg;
	struct ana_psample *s = sample(pr, e->stack, e->type, e->p->pid,
				      e->waiter);

	s->v[0]++;
	s->v[1] += e->resume_ts - e->wake_ts;
}

/* heap: the weighed sums, rounded once, and the deepest stack */
static void heap_done(struct ana_prof *pr, struct ana_trace *t)
{
	struct ana_heap_stats *hs = &pr->hs;
	const struct ana_stack *st;
	struct ana_psample *s;
	size_t i;
	int j;

	hs->allocs = llround(pr->hw.allocs);
	hs->alloc_bytes = llround(pr->hw.bytes);
	hs->live = llround(pr->hw.live);
	hs->live_bytes = llround(pr->hw.live_bytes);
	hs->peak_bytes = llround(pr->hw.peak_bytes);
	/* a free whose allocation was never read weighs one */
	hs->frees = llround(pr->hw.frees) + hs->unmatched_frees;
	for (i = 0; i < pr->samples.cap; i++) {
		s = pr->samples.ents[i].val;
		if (!s || (pr->kind != ANA_PROF_HEAP &&
			   pr->kind != ANA_PROF_LEAKS))
			continue;
		for (j = 0; j < ANA_PROF_NV; j++)
			s->v[j] = llround(s->w[j]);
		st = s->stack ? ana_stack(t, s->stack) : NULL;
		if (st && st->n > hs->max_frames)
			hs->max_frames = st->n;
	}
}

void ana_prof_done(struct ana_prof *pr, struct ana_trace *t)
{
	struct ana_psample *s;
	struct hval *e;
	double w, leaked = 0, leaked_bytes = 0, unk = 0, unk_bytes = 0;
	uint64_t end;
	size_t i;
	int j;

	for (i = 0; pr->live && i < pr->live->cap; i++) {
		e = htab_rec(pr->live, i);
		/* exec discards a heap without leaking it */
		if (!pr->live->key[i] ||
		    (e->p->ended && e->p->how == FMT_PEND_EXEC))
			continue;
		w = ana_heap_weight(e->p, e->size);
		/* a free may have come in a gap nobody recorded: no leak */
		end = e->p->ended ? e->p->end_ts : t->st.last_ts;
		if (ana_trace_gap(t, e->ts, end)) {
			unk += w;
			unk_bytes += w * e->size;
			continue;
		}
		leaked += w;
		leaked_bytes += w * e->size;
		if (pr->kind != ANA_PROF_HEAP && pr->kind != ANA_PROF_LEAKS)
			continue;
		s = sample(pr, e->stack >> 63 ? 0 : e->stack,
			   e->stack >> 63 ? (unsigned)e->stack : 0,
			   e->p->pid, e->tid);
		j = pr->kind == ANA_PROF_HEAP ? 2 : 0;
		s->w[j] += w;
		s->w[j + 1] += w * e->size;
	}
	pr->hs.leaked = llround(leaked);
	pr->hs.leaked_bytes = llround(leaked_bytes);
	pr->hs.unknown_fate = llround(unk);
	pr->hs.unknown_fate_bytes = llround(unk_bytes);
	if (pr->pending)
		pr->hs.unmatched_frees = pr->pending->len;
	if (pr->hs.seen)
		heap_done(pr, t);
	for (i = 0; i < pr->samples.cap; i++) {
		s = pr->samples.ents[i].val;
		for (j = 0; s && j < ANA_PROF_NV; j++)
			pr->total[j] += s->v[j];
	}
}

/* ---- sorting ---- */

/* a - b as -1, 0 or 1 */
static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/*
 * Largest first, then a full order over what keeps samples apart: the
 * table they come from is in no stable order (its keys hold the
 * addresses of the call names), so ties must not be left to qsort.
 */
static int by_value(const void *a, const void *b)
{
	const struct ana_psample *x = *(void *const *)a, *y = *(void *const *)b;
	int c;

	if (x->v[1] != y->v[1])
		return x->v[1] < y->v[1] ? 1 : -1;
	if (x->v[0] != y->v[0])
		return x->v[0] < y->v[0] ? 1 : -1;
	if (x->stack != y->stack)
		return x->stack < y->stack ? -1 : 1;
	if (x->type != y->type)
		return (int)x->type - (int)y->type;
	if (x->call != y->call && (c = !x->call ? -1 : !y->call ? 1 :
				   strcmp(x->call, y->call)))
		return c;
	if ((c = cmp_u64(x->pid, y->pid)) || (c = cmp_u64(x->tid, y->tid)) ||
	    (c = cmp_u64(x->obj, y->obj)))
		return c;
	if (x->has_obj != y->has_obj)
		return x->has_obj - y->has_obj;
	return x->has_fd - y->has_fd;
}

static void **values(const struct hmap *m, size_t n)
{
	void **arr = xcalloc(n + 1, sizeof(*arr));
	size_t i, k = 0;

	for (i = 0; i < m->cap && k < n; i++)
		if (m->ents[i].val)
			arr[k++] = m->ents[i].val;
	return arr;
}

struct ana_psample **ana_prof_sorted(const struct ana_prof *pr)
{
	void **arr = values(&pr->samples, pr->nsamples);

	qsort(arr, pr->nsamples, sizeof(*arr), by_value);
	return (struct ana_psample **)arr;
}

static int obj_cmp(const void *a, const void *b)
{
	const struct ana_pobj *x = *(void *const *)a, *y = *(void *const *)b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? 1 : -1;
	if (x->p->pid != y->p->pid)
		return x->p->pid < y->p->pid ? -1 : 1;
	return x->obj < y->obj ? -1 : x->obj > y->obj;
}

struct ana_pobj **ana_prof_objs_sorted(const struct ana_prof *pr)
{
	void **arr = values(&pr->objs, pr->nobjs);

	qsort(arr, pr->nobjs, sizeof(*arr), obj_cmp);
	return (struct ana_pobj **)arr;
}

static int pthread_cmp(const void *a, const void *b)
{
	const struct ana_pthread *x = *(void *const *)a, *y = *(void *const *)b;

	if (x->samples != y->samples)
		return x->samples < y->samples ? 1 : -1;
	if (x->p->pid != y->p->pid)
		return x->p->pid < y->p->pid ? -1 : 1;
	if (x->th->tid != y->th->tid)
		return x->th->tid < y->th->tid ? -1 : 1;
	return x->th->gen < y->th->gen ? -1 : x->th->gen > y->th->gen;
}

struct ana_pthread **ana_prof_threads_sorted(const struct ana_prof *pr,
					     size_t *n)
{
	void **arr = values(&pr->cs.threads, pr->cs.nthreads);

	qsort(arr, pr->cs.nthreads, sizeof(*arr), pthread_cmp);
	*n = pr->cs.nthreads;
	return (struct ana_pthread **)arr;
}

static int holder_cmp(const void *a, const void *b)
{
	const struct ana_holder *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? 1 : -1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

void ana_prof_sort_holders(struct ana_pobj *o)
{
	size_t i, n = 0;

	/* the table's holders in any order: the sort orders them fully
	 * (by ns, then tid) */
	free(o->by);
	o->by = xmalloc((o->holders.len + 1) * sizeof(*o->by));
	for (i = 0; i < o->holders.cap; i++)
		if (o->holders.key[i])
			o->by[n++] = *(struct ana_holder *)
				htab_rec(&o->holders, i);
	o->nby = n;
	if (n)
		qsort(o->by, n, sizeof(*o->by), holder_cmp);
}
void ana_prof_free(struct ana_prof *pr)
{
	struct ana_pobj *o;
	size_t i;

	for (i = 0; i < pr->samples.cap; i++)
		free(pr->samples.ents[i].val);
	hmap_free(&pr->samples);
	for (i = 0; i < pr->objs.cap; i++) {
		o = pr->objs.ents[i].val;
		if (o) {
			free(o->by);
			htab_free(&o->holders);
		}
		free(o);
	}
	hmap_free(&pr->objs);
	for (i = 0; i < pr->cs.threads.cap; i++)
		free(pr->cs.threads.ents[i].val);
	hmap_free(&pr->cs.threads);
	if (pr->live) {
		htab_free(pr->live);
		htab_free(pr->pending);
	}
	free(pr->live);
	ana_objs_free(pr->objnames);
	free(pr->pending);
	memset(pr, 0, sizeof(*pr));
}

/* ---- output ---- */

struct popts {
	enum ana_prof_kind kind;
	enum { OUT_TEXT, OUT_PPROF, OUT_FOLDED } format;
	const char *out, *path;
};

/* frames of a sample, leaf first, as the trace names them */
static size_t frames_of(const struct ana_trace *t, const struct ana_psample *s,
			const uint64_t **fr, uint64_t *image)
{
	const struct ana_stack *st = s->stack ? ana_stack(t, s->stack) : NULL;

	if (!st)
		return 0;
	*fr = st->frames;
	*image = st->image;
	return st->n;
}

/* "[mutex_block]": the frame of a sample without a stack */
static void put_pseudo(struct fmt_buf *b, const struct ana_psample *s)
{
	const struct fmt_event_info *in = fmt_event_info(s->type);

	ana_put(b, "[");
	ana_put(b, in ? in->name : "?");
	ana_put(b, s->stack ? " stack not recorded]" : "]");
}

/* function j of a frame for folded lines: the function alone, no ';' */
static void put_folded_func(struct fmt_buf *b, const struct ana_trace *t,
			    uint64_t image, uint64_t addr, unsigned j)
{
	const struct ana_sym *sym = ana_symbol_at(t, image, addr, j);
	char buf[512], *c;

	if (sym && sym->func)
		snprintf(buf, sizeof(buf), "%s", sym->func);
	else
		ana_frame_str_at(t, image, addr, j, buf, sizeof(buf));
	for (c = buf; *c; c++)
		if (*c == ';' || *c == '\n')
			*c = ':';
	ana_put(b, buf);
}

/* a frame for folded lines, outermost first: the functions inlined
 * there come after the one they were inlined into */
static void put_folded_frame(struct fmt_buf *b, const struct ana_trace *t,
			     uint64_t image, uint64_t addr)
{
	unsigned j = ana_frame_depth(t, image, addr);

	while (j-- > 0) {
		put_folded_func(b, t, image, addr, j);
		if (j)
			ana_put(b, ";");
	}
}

static void write_folded(const struct ana_trace *t, const struct ana_prof *pr,
			 FILE *f)
{
	struct ana_psample **arr = ana_prof_sorted(pr);
	/* cpu folds by samples, the count flame graph tools expect of a
	 * sampled profile; the others by their ns or bytes */
	int vi = pr->kind == ANA_PROF_CPU ? 0 : 1;
	struct fmt_buf b = { 0 };
	const uint64_t *fr;
	uint64_t image;
	size_t i, n, k;

	for (i = 0; i < pr->nsamples; i++) {
		if (arr[i]->v[vi] <= 0)
			continue;
		n = frames_of(t, arr[i], &fr, &image);
		if (!n)
			put_pseudo(&b, arr[i]);
		for (k = n; k-- > 0;) {
			put_folded_frame(&b, t, image, fr[k]);
			if (k)
				ana_put(&b, ";");
		}
		/* the blocking call is the leaf */
		if (arr[i]->call) {
			ana_put(&b, ";");
			ana_put(&b, arr[i]->call);
		}
		ana_put(&b, " ");
		ana_put_u64(&b, arr[i]->v[vi]);
		ana_put(&b, "\n");
		ana_write(&b, f);
	}
	fmt_buf_free(&b);
	free(arr);
}

static int is_bytes(enum ana_prof_kind k)
{
	return k == ANA_PROF_HEAP || k == ANA_PROF_LEAKS;
}

static void put_value(struct fmt_buf *b, enum ana_prof_kind k, int64_t v,
		      int w)
{
	char tmp[32];
	int n;

	if (!is_bytes(k)) {
		ana_put_dur(b, v, w);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	while (n++ < w)
		ana_put(b, " ");
	ana_put(b, tmp);
}

/* "1.234567 s" */
static void put_secs(struct fmt_buf *b, int64_t ns)
{
	ana_put_dur(b, ns > 0 ? ns : 0, 0);
	ana_put(b, " s");
}

static const char *src_name(unsigned src)
{
	return src == FMT_SCHED_SRC_SCHEDSTAT ? "schedstat" :
	       src == FMT_SCHED_SRC_CPUCLOCK ? "CPU clock" : "none";
}

/* the kernel's CPU time of the threads, to weigh the samples against */
static void cpu_kernel(const struct ana_prof *pr, struct fmt_buf *b)
{
	struct ana_pthread *pt;
	uint64_t run = 0, n = 0;
	unsigned srcs = 0;
	size_t i;
	char tmp[96];

	for (i = 0; i < pr->cs.threads.cap; i++) {
		pt = pr->cs.threads.ents[i].val;
		if (!pt || pt->src == FMT_SCHED_SRC_NONE)
			continue;
		run += pt->run;
		n++;
		srcs |= 1u << pt->src;
	}
	if (!n) {
		ana_put(b, "kernel accounting: not read (no scheduler "
			"reading in the trace)\n");
		return;
	}
	ana_put(b, "kernel accounting: ");
	put_secs(b, run);
	snprintf(tmp, sizeof(tmp), " on a CPU in %" PRIu64 " thread%s (%s)\n",
		 n, n == 1 ? "" : "s",
		 srcs == 1u << FMT_SCHED_SRC_SCHEDSTAT ? "schedstat" :
		 srcs == 1u << FMT_SCHED_SRC_CPUCLOCK ? "CPU clock" :
		 "schedstat and CPU clock");
	ana_put(b, tmp);
}

/* its name, else the program's for a main thread, else "-" */
static const char *thread_name(const struct ana_pthread *pt)
{
	const char *s;

	if (pt->th->name)
		return pt->th->name->s;
	if (pt->th->tid != pt->p->pid || !pt->p->exe)
		return "-";
	s = strrchr(pt->p->exe->s, '/');
	return s ? s + 1 : pt->p->exe->s;
}

static void cpu_threads(const struct ana_prof *pr, struct fmt_buf *b, FILE *f)
{
	struct ana_pthread **arr;
	size_t i, n, shown = 0;
	char tmp[160], tid[32];

	arr = ana_prof_threads_sorted(pr, &n);
	for (i = 0; i < n; i++)
		shown += arr[i]->samples > 0;
	fprintf(f, "by thread (top %d of %zu sampled):\n", TEXT_THREADS,
		shown);
	for (i = 0; i < n && i < TEXT_THREADS && arr[i]->samples; i++) {
		snprintf(tmp, sizeof(tmp), "  pid %-7" PRIu64 " tid %-7s"
			 " %-16s %9" PRIu64 " sample%-2s", arr[i]->p->pid,
			 ana_tid_str(arr[i]->p, arr[i]->th, tid, sizeof(tid)),
			 thread_name(arr[i]), arr[i]->samples,
			 plural(arr[i]->samples, "s"));
		ana_put(b, tmp);
		put_secs(b, arr[i]->ns);
		if (arr[i]->src != FMT_SCHED_SRC_NONE) {
			ana_put(b, " (kernel: ");
			put_secs(b, arr[i]->run);
			ana_put(b, " on a CPU, ");
			ana_put(b, src_name(arr[i]->src));
			ana_put(b, ")");
		}
		ana_put(b, "\n");
		ana_write(b, f);
	}
	free(arr);
}

/*
 * Samples are counts of timer expiries, so what they say is scaled: each
 * stands for its period of CPU time.  The header says so, with the rate,
 * and sets the kernel's own accounting beside it.
 */
static void cpu_header(const struct ana_prof *pr, FILE *f)
{
	const struct ana_cpu_stats *cs = &pr->cs;
	struct fmt_buf b = { 0 };
	uint64_t extra;
	char tmp[160];

	if (!pr->total[0]) {
		fprintf(f, "no CPU samples in this trace (record with cpu in "
			"CTRACE_EVENTS and CTRACE_CPU_HZ above 0; a thread is "
			"sampled once per period of CPU time it runs)\n");
		if (cs->readings)
			cpu_kernel(pr, &b);
		ana_write(&b, f);
		fmt_buf_free(&b);
		return;
	}
	/* only samples of period 0 (a damaged trace): no rate to tell */
	if (!cs->period) {
		snprintf(tmp, sizeof(tmp), "sampled: %" PRId64 " sample%s of "
			 "an unknown period\n", pr->total[0],
			 plural(pr->total[0], "s"));
		ana_put(&b, tmp);
		goto kernel;
	}
	snprintf(tmp, sizeof(tmp), "sampled: %" PRId64 " sample%s at %.6g Hz "
		 "of CPU time (one per %.6g ms on a CPU), standing for ",
		 pr->total[0], plural(pr->total[0], "s"), 1e9 / cs->period,
		 cs->period / 1e6);
	ana_put(&b, tmp);
	put_secs(&b, pr->total[1]);
	ana_put(&b, " of CPU time\n");
	/* an overrun sample stands for more than one interval */
	extra = (uint64_t)pr->total[1] / cs->period - pr->total[0];
	if (extra) {
		snprintf(tmp, sizeof(tmp), "timer overruns: %" PRIu64 " more "
			 "period%s counted in the samples that overran\n",
			 extra, extra == 1 ? "" : "s");
		ana_put(&b, tmp);
	}
kernel:
	cpu_kernel(pr, &b);
	ana_write(&b, f);
	cpu_threads(pr, &b, f);
	fmt_buf_free(&b);
}

/* what the heap figures are: sampled and scaled, or one-frame stacks */
void ana_put_unknown_fate(const struct ana_heap_stats *hs, FILE *f)
{
	if (!hs->unknown_fate)
		return;
	fprintf(f, "  not counted as leaked: %" PRIu64 " allocation%s, %"
		PRIu64 " byte%s live at the end, allocated before a gap in "
		"the recording (freed then or not: unknown)\n",
		hs->unknown_fate, plural(hs->unknown_fate, "s"),
		hs->unknown_fate_bytes, plural(hs->unknown_fate_bytes, "s"));
}

static void heap_header(const struct ana_trace *t, const struct ana_prof *pr,
			FILE *f)
{
	const struct ana_heap_stats *hs = &pr->hs;
	char buf[96];

	if (ana_heap_sampling(t, buf, sizeof(buf)) && pr->sampled_heap)
		fprintf(f, "%s%s: %" PRIu64 " allocations recorded stand "
			"for the totals and values below\n", buf,
			hs->mixed ? ", in some processes" : "", hs->recorded);
	if (hs->recorded && hs->max_frames <= 1)
		fprintf(f, "%s\n", ANA_HEAP_ONE_FRAME);
}

static void text_header(const struct ana_trace *t, const struct ana_prof *pr,
			FILE *f)
{
	static const char *const what[ANA_PROF_NKINDS] = {
		"CPU time by stack, sampled",
		"time blocked on locks, condition variables, semaphores, "
		"barriers and futexes",
		"time blocked in reads, writes, accepts and connects",
		"time blocked in i/o, poll/select/epoll and sleep calls",
		"time asleep in sleep calls",
		"wakeup latency: from the waker's signal, unlock, post, wake, "
		"thread end or create to the waiter's return or start",
		"allocations by stack (bytes allocated; bytes still live at "
		"the end)",
		"allocations still live when their process ended",
		"time blocked",
	};
	const struct ana_heap_stats *hs = &pr->hs;
	struct fmt_buf b = { 0 };

	fprintf(f, "profile %s: %s\ntrace: %s\n", kind_names[pr->kind],
	       what[pr->kind], t->path);
	if (pr->kind == ANA_PROF_HEAP || pr->kind == ANA_PROF_LEAKS) {
		if (!hs->seen) {
			fprintf(f, "no heap events in this trace (record with "
			       "CTRACE_EVENTS including heap)\n");
			return;
		}
		fprintf(f, "total: %" PRIu64 " allocation%s, %" PRIu64
		       " byte%s; %" PRIu64 " free%s; peak live %" PRIu64
		       " byte%s; live at the end: %" PRIu64 " allocation%s, %"
		       PRIu64 " byte%s\n",
		       hs->allocs, plural(hs->allocs, "s"),
		       hs->alloc_bytes, plural(hs->alloc_bytes, "s"),
		       hs->frees, plural(hs->frees, "s"),
		       hs->peak_bytes, plural(hs->peak_bytes, "s"),
		       hs->leaked, plural(hs->leaked, "s"),
		       hs->leaked_bytes, plural(hs->leaked_bytes, "s"));
		ana_put_unknown_fate(hs, f);
		heap_header(t, pr, f);
		return;
	}
	if (pr->kind == ANA_PROF_CPU) {
		cpu_header(pr, f);
		return;
	}
	ana_put_dur(&b, pr->total[1], 0);
	fprintf(f, "total: %" PRId64 " %s%s, %.*s s %s\n", pr->total[0],
		pr->kind == ANA_PROF_WAKEUP ? "wakeup" : "blocking call",
		plural(pr->total[0], "s"),
		(int)b.len, (const char *)b.p,
		pr->kind == ANA_PROF_WAKEUP ? "latency" : "blocked");
	fmt_buf_free(&b);
	if (pr->unfinished) {
		fprintf(f, "%" PRIu64 " call%s still blocked %s "
			"(counted to %s: ", pr->unfinished,
			pr->unfinished == 1 ? " was" : "s were",
			ana_unfinished_when(t), t->is_snap ? "then" :
			"the exit");
		ana_put_dur(&b, pr->unfinished_ns, 0);
		ana_write(&b, f);
		fmt_buf_free(&b);
		fprintf(f, " s of the total)\n");
	}
	if (pr->served)
		fprintf(f, "%" PRIu64 " stdio call%s served from the stream "
			"buffer, not timed (in no count or time above)\n",
			pr->served, plural(pr->served, "s"));
}

/* "  [2 unfinished]" after a stack's innermost frame, when it has any */
static void put_unfinished(struct fmt_buf *b, uint64_t n)
{
	char tmp[48];

	if (!n)
		return;
	snprintf(tmp, sizeof(tmp), "  [%" PRIu64 " unfinished]", n);
	ana_put(b, tmp);
}

/* ana_put_served() : "  [3 served from the stream buffer, not timed]" */
void ana_put_served(struct fmt_buf *b, uint64_t n)
{
	char tmp[80];

	if (!n)
		return;
	snprintf(tmp, sizeof(tmp), "  [%" PRIu64 " served from the stream "
		 "buffer, not timed]", n);
	ana_put(b, tmp);
}

/*
 * A stack as text: frames innermost first, one a line.  Stacks that
 * differ only in addresses the names do not tell apart (two pcs on one
 * line of a CPU sample's leaf, two call sites on one line) print the
 * same, and are shown as one: the text output merges them.
 */
struct tstack {
	char *text;			/* first line, then "\n" + indent ... */
	int64_t v[ANA_PROF_NV];
	uint64_t unfinished, served;
};

#define TEXT_INDENT "\n                                    "

static char *stack_text(const struct ana_trace *t, const struct ana_psample *s)
{
	struct fmt_buf b = { 0 };
	const uint64_t *fr;
	uint64_t image;
	char buf[512];
	unsigned j, d;
	size_t n, k;

	n = frames_of(t, s, &fr, &image);
	if (s->call) {
		ana_put(&b, s->call);
		ana_put(&b, TEXT_INDENT);
	}
	if (!n)
		put_pseudo(&b, s);
	/* each call inlined at a frame is a line of its own, innermost
	 * first, as `addr2line -i` prints them */
	for (k = 0; k < n; k++) {
		d = ana_frame_depth(t, image, fr[k]);
		for (j = 0; j < d; j++) {
			if (k || j)
				ana_put(&b, TEXT_INDENT);
			ana_put(&b, ana_frame_str_at(t, image, fr[k], j, buf,
						     sizeof(buf)));
		}
	}
	fmt_buf_bytes(&b, "", 1);
	return fmt_buf_failed(&b) ? xstrdup("?") : (char *)b.p;
}

static int tstack_text_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tstack *)a)->text,
		      ((const struct tstack *)b)->text);
}

static int tstack_value_cmp(const void *a, const void *b)
{
	const struct tstack *x = a, *y = b;

	if (x->v[1] != y->v[1])
		return x->v[1] < y->v[1] ? 1 : -1;
	return strcmp(x->text, y->text);
}

/* the samples with a value, merged by their text, largest first */
static struct tstack *text_stacks(const struct ana_trace *t,
				  struct ana_psample **arr, size_t nsamples,
				  size_t *np)
{
	struct tstack *ts = xcalloc(nsamples + 1, sizeof(*ts));
	size_t i, j, n = 0, k = 0;

	for (i = 0; i < nsamples; i++) {
		if (arr[i]->v[1] <= 0 && !arr[i]->served)
			continue;
		ts[n].text = stack_text(t, arr[i]);
		memcpy(ts[n].v, arr[i]->v, sizeof(ts[n].v));
		ts[n].served = arr[i]->served;
		ts[n++].unfinished = arr[i]->unfinished;
	}
	if (n)
		qsort(ts, n, sizeof(*ts), tstack_text_cmp);
	for (i = 0; i < n; i++) {
		if (k && !strcmp(ts[k - 1].text, ts[i].text)) {
			for (j = 0; j < ANA_PROF_NV; j++)
				ts[k - 1].v[j] += ts[i].v[j];
			ts[k - 1].unfinished += ts[i].unfinished;
			ts[k - 1].served += ts[i].served;
			free(ts[i].text);
		} else {
			ts[k++] = ts[i];
		}
	}
	if (k)
		qsort(ts, k, sizeof(*ts), tstack_value_cmp);
	*np = k;
	return ts;
}

/* one stack: value, percent, count, then its frames */
static void text_sample(const struct ana_prof *pr, const struct tstack *s,
			struct fmt_buf *b)
{
	const char *nl = strchr(s->text, '\n');
	char pct[16];

	put_value(b, pr->kind, s->v[1], 14);
	snprintf(pct, sizeof(pct), " %6.1f%%", pr->total[1] > 0 ?
		 100.0 * s->v[1] / pr->total[1] : 0.0);
	ana_put(b, pct);
	snprintf(pct, sizeof(pct), " %9" PRId64 "  ", s->v[0]);
	ana_put(b, pct);
	fmt_buf_bytes(b, s->text, nl ? (size_t)(nl - s->text) : strlen(s->text));
	put_unfinished(b, s->unfinished);
	ana_put_served(b, s->served);
	if (nl)
		ana_put(b, nl);
	ana_put(b, "\n");
}

/* an object's name on a line of its own, under its address */
#define OBJ_INDENT "           "

static void text_objects(const struct ana_trace *t, const struct ana_prof *pr,
			 struct fmt_buf *b, FILE *f)
{
	struct ana_pobj **arr = ana_prof_objs_sorted(pr);
	char tmp[64], name[1024];
	size_t i, k;

	fprintf(f, "\ncontended objects (top %d of %zu by time blocked):\n"
	       "  %-8s %-18s %14s %9s  %s\n", TEXT_OBJS, pr->nobjs, "pid",
	       "object", "blocked(s)", "count", "held by / woken by");
	for (i = 0; i < pr->nobjs && i < TEXT_OBJS; i++) {
		ana_prof_sort_holders(arr[i]);
		snprintf(tmp, sizeof(tmp), "  %-8" PRIu64 " 0x%-16" PRIx64
			 " ", arr[i]->p->pid, arr[i]->obj);
		ana_put(b, tmp);
		ana_put_dur(b, arr[i]->ns, 14);
		snprintf(tmp, sizeof(tmp), " %9" PRIu64 "  %s", arr[i]->count,
			 ana_prof_by_word(arr[i]));
		ana_put(b, tmp);
		for (k = 0; k < arr[i]->nby && k < TEXT_BY; k++) {
			snprintf(tmp, sizeof(tmp), "%s tid %" PRIu64 " ",
				 k ? "," : "", arr[i]->by[k].tid);
			ana_put(b, tmp);
			ana_put_dur(b, arr[i]->by[k].ns, 0);
			snprintf(tmp, sizeof(tmp), " s (%" PRIu64 ")",
				 arr[i]->by[k].count);
			ana_put(b, tmp);
		}
		if (!arr[i]->nby)
			ana_put(b, " (unknown)");
		put_unfinished(b, arr[i]->unfinished);
		ana_put(b, "\n");
		if (ana_prof_obj_name(t, pr, arr[i], name, sizeof(name))) {
			ana_put(b, OBJ_INDENT);
			ana_put(b, name);
			ana_put(b, "\n");
		}
		ana_write(b, f);
	}
	free(arr);
}

/* ---- cpu: time by function ---- */

struct fnrow {
	char *name;
	int64_t flat, cum;
	size_t seen;		/* 1 + the sample that last added to cum */
};

struct fntab {
	struct hmap ids;	/* hash of name -> fnrow */
	struct fnrow **rows;
	size_t n;
};

static struct fnrow *fn_row(struct fntab *ft, const char *name)
{
	uint64_t key = hash_str(name);
	struct fnrow *r;

	/* names that hash alike probe on */
	while ((r = hmap_get(&ft->ids, key)) && strcmp(r->name, name))
		key = hash_next(key);
	if (r)
		return r;
	r = xcalloc(1, sizeof(*r));
	r->name = xstrdup(name);
	hmap_put(&ft->ids, key, r);
	ft->rows = xrealloc(ft->rows, (ft->n + 1) * sizeof(*ft->rows));
	ft->rows[ft->n++] = r;
	return r;
}

/* a frame as a function: its name; an address the trace does not name
 * counts under its module, "[libz.so.1]", or alone when in none */
static const char *fn_name(const struct ana_trace *t, uint64_t image,
			   uint64_t addr, char *buf, size_t size)
{
	const struct ana_sym *sym = ana_symbol(t, image, addr);
	const char *mod;

	if (sym && sym->name)
		return sym->name;
	if (sym && sym->module) {
		mod = strrchr(sym->module, '/');
		snprintf(buf, size, "[%s]", mod ? mod + 1 : sym->module);
		return buf;
	}
	return ana_frame_str(t, image, addr, buf, size);
}

static int fnrow_cmp(const void *a, const void *b)
{
	const struct fnrow *x = *(void *const *)a, *y = *(void *const *)b;

	if (x->flat != y->flat)
		return x->flat < y->flat ? 1 : -1;
	if (x->cum != y->cum)
		return x->cum < y->cum ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* flat: the samples a function was the leaf of; cum: those it was
 * anywhere on the stack of, once per sample however deep it recursed */
static void fn_fill(const struct ana_trace *t, const struct ana_prof *pr,
		    struct ana_psample **arr, struct fntab *ft)
{
	const struct fmt_event_info *in;
	const struct ana_sym *sym;
	const uint64_t *fr;
	struct fnrow *r;
	uint64_t image;
	size_t i, k, n;
	unsigned j, d;
	char buf[512];

	for (i = 0; i < pr->nsamples; i++) {
		n = frames_of(t, arr[i], &fr, &image);
		if (!n) {
			/* the frame put_pseudo() names it by */
			in = fmt_event_info(arr[i]->type);
			snprintf(buf, sizeof(buf), "[%s%s]", in ? in->name : "?",
				 arr[i]->stack ? " stack not recorded" : "");
			r = fn_row(ft, buf);
			r->flat += arr[i]->v[1];
			r->cum += arr[i]->v[1];
			continue;
		}
		/* a function inlined at a frame is a function, as pprof
		 * has it: the innermost one of the leaf gets the flat */
		for (k = 0; k < n; k++) {
			d = ana_frame_depth(t, image, fr[k]);
			for (j = 0; j < d; j++) {
				sym = ana_symbol_at(t, image, fr[k], j);
				r = fn_row(ft, j + 1 < d && sym && sym->name ?
					   sym->name : fn_name(t, image, fr[k],
							       buf,
							       sizeof(buf)));
				if (!k && !j)
					r->flat += arr[i]->v[1];
				if (r->seen != i + 1)
					r->cum += arr[i]->v[1];
				r->seen = i + 1;
			}
		}
	}
	if (ft->n)
		qsort(ft->rows, ft->n, sizeof(*ft->rows), fnrow_cmp);
}

static void fn_free(struct fntab *ft)
{
	size_t i;

	for (i = 0; i < ft->n; i++) {
		free(ft->rows[i]->name);
		free(ft->rows[i]);
	}
	free(ft->rows);
	hmap_free(&ft->ids);
}

static double pct_of(int64_t v, int64_t total)
{
	return total > 0 ? 100.0 * v / total : 0.0;
}

/* the table of `go tool pprof -top`: by function, most flat CPU first */
static void cpu_flat(const struct ana_trace *t, const struct ana_prof *pr,
		     struct ana_psample **arr, FILE *f)
{
	struct fntab ft = { 0 };
	struct fmt_buf b = { 0 };
	int64_t sum = 0, tot = pr->total[1];
	char tmp[64];
	size_t i;

	fn_fill(t, pr, arr, &ft);
	fprintf(f, "\nby function (top %d of %zu, by CPU time as the "
		"innermost frame):\n%12s %7s %7s %12s %7s  %s\n", TEXT_FUNCS,
		ft.n, "flat(s)", "flat%", "sum%", "cum(s)", "cum%",
		"function");
	for (i = 0; i < ft.n && i < TEXT_FUNCS; i++) {
		sum += ft.rows[i]->flat;
		ana_put_dur(&b, ft.rows[i]->flat, 12);
		snprintf(tmp, sizeof(tmp), " %6.2f%% %6.2f%% ",
			 pct_of(ft.rows[i]->flat, tot), pct_of(sum, tot));
		ana_put(&b, tmp);
		ana_put_dur(&b, ft.rows[i]->cum, 12);
		snprintf(tmp, sizeof(tmp), " %6.2f%%  ",
			 pct_of(ft.rows[i]->cum, tot));
		ana_put(&b, tmp);
		ana_put(&b, ft.rows[i]->name);
		ana_put(&b, "\n");
		ana_write(&b, f);
	}
	fmt_buf_free(&b);
	fn_free(&ft);
}

static void write_text(const struct ana_trace *t, const struct ana_prof *pr,
		       FILE *f)
{
	static const char *const vname[ANA_PROF_NKINDS] = {
		"cpu(s)", "blocked(s)", "blocked(s)", "blocked(s)", "asleep(s)",
		"latency(s)", "bytes", "bytes", "blocked(s)",
	};
	struct ana_psample **arr = ana_prof_sorted(pr);
	struct fmt_buf b = { 0 };
	struct tstack *ts = NULL;
	size_t i, n = 0;

	text_header(t, pr, f);
	if (pr->kind == ANA_PROF_CPU) {
		if (!pr->total[0])
			goto out;
		cpu_flat(t, pr, arr, f);
	}
	ts = text_stacks(t, arr, pr->nsamples, &n);
	fprintf(f, "\ntop %d of %zu stack%s:\n%14s %7s %9s  %s\n", TEXT_TOP,
		n, plural(n, "s"), vname[pr->kind], "%",
	       pr->kind == ANA_PROF_HEAP ? "allocs" :
	       pr->kind == ANA_PROF_LEAKS ? "objects" :
	       pr->kind == ANA_PROF_CPU ? "samples" : "count",
	       "stack (innermost frame first)");
	for (i = 0; i < n && i < TEXT_TOP; i++) {
		text_sample(pr, &ts[i], &b);
		ana_write(&b, f);
	}
	if (pr->kind == ANA_PROF_SYNC && pr->nobjs)
		text_objects(t, pr, &b, f);
out:
	for (i = 0; i < n; i++)
		free(ts[i].text);
	free(ts);
	fmt_buf_free(&b);
	free(arr);
}

/* ---- the command ---- */

/* cli.c checked the kind and the format against its table */
static void parse(const struct ana_args *a, struct popts *o)
{
	int k = ana_prof_kind_of(a->kind);

	memset(o, 0, sizeof(*o));
	if (k < 0)
		die(EXIT_FAIL, "profile: kind '%s' is not implemented",
		    a->kind);
	o->kind = k;
	if (!a->format || !strcmp(a->format, "text"))
		o->format = OUT_TEXT;
	else if (!strcmp(a->format, "pprof"))
		o->format = OUT_PPROF;
	else
		o->format = OUT_FOLDED;
	o->out = a->out;
	o->path = ana_args_file(a);
}

struct pctx {
	struct ana_prof pr;
	struct ana_states st;
	int need_states;
};

static void prof_event(struct ana_trace *t, struct ana_proc *p,
		       struct ana_thread *th, const struct fmt_event *ev)
{
	struct pctx *c = t->data;
	struct ana_block b;
	int blk = ana_block_of(ev, &b);

	ana_progress(t);
	if (c->need_states)
		ana_states_event(&c->st, p, th, ev, blk ? &b : NULL);
	else
		ana_prof_event(&c->pr, p, th, ev, blk ? &b : NULL);
}

static void prof_done(struct ana_trace *t)
{
	struct pctx *c = t->data;

	ana_progress_end();
	if (c->need_states)
		ana_states_done(&c->st, t);
	ana_prof_done(&c->pr, t);
}

static const struct ana_ops prof_ops = {
	.event = prof_event,
	.done = prof_done,
};

static FILE *open_out(const struct popts *o)
{
	FILE *f;

	if (!o->out || !strcmp(o->out, "-"))
		return stdout;
	f = out_fopen(o->out);
	if (!f)
		die(EXIT_OUTPUT, "cannot write %s: %s", o->out,
		    strerror(errno));
	return f;
}

int ana_cmd_profile(const struct ana_args *a)
{
	struct pctx c = { 0 };
	struct ana_trace t;
	struct popts o;
	FILE *f;
	int status, err = 0;

	parse(a, &o);
	ana_trace_open(&t, o.path);
	f = open_out(&o);
	ana_prof_init(&c.pr, o.kind);
	/* pprof's labels keep samples apart by process, thread, object */
	c.pr.labels = o.format == OUT_PPROF;
	if (o.kind == ANA_PROF_WAKEUP) {
		ana_states_init(&c.st);
		c.st.trace = &t;
		c.need_states = 1;
		c.st.edge = ana_prof_edge;
		c.st.arg = &c.pr;
	}
	t.data = &c;
	status = ana_trace_read(&t, &prof_ops);
	if (o.format == OUT_PPROF)
		err = ana_pprof_write(&t, &c.pr, f);
	else if (o.format == OUT_FOLDED)
		write_folded(&t, &c.pr, f);
	else
		write_text(&t, &c.pr, f);
	if (err || fflush(f) || ferror(f) || (f != stdout && fclose(f)))
		die(EXIT_OUTPUT, "cannot write %s: %s",
		    o.out ? o.out : "output", strerror(errno));
	if (c.need_states)
		ana_states_free(&c.st);
	ana_prof_free(&c.pr);
	ana_trace_close(&t);
	return status;
}
