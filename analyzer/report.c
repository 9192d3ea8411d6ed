/*
 * report.c - `ctrace report`: one screen about a trace.
 *
 * Duration, processes and threads; where the threads' time went; the top
 * blocking sites and contended locks; the heap; parallelism over time
 * (how many threads were on a CPU, from the scheduler readings: the MMU
 * analogue); user tasks, regions
 * and logs; what was lost or cut.  One streaming pass feeds states.c,
 * profile.c and tasks.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "fatal.h"
#include "log.h"
#include "out.h"
#include "profile.h"
#include "states.h"
#include "symbols.h"
#include "tasks.h"

#define TOP_SITES	5
#define TOP_LOCKS	5
#define PAR_ROWS	20
#define PAR_WIDTH	40
#define TOP_TYPES	10

struct rctx {
	struct ana_states st;
	struct ana_prof pr;
	struct ana_tasks tk;
	struct ana_fatals fatals;
};

/* one blocking site: frame 0 of the stacks blocked there */
struct site {
	uint64_t image, addr;
	unsigned type;
	uint64_t count, ns;
	uint64_t unfinished;	/* of count, still blocked at exit */
	uint64_t served;	/* stdio calls the buffer served: not in
				 * count, not timed */
};

/* seconds with 6 decimals, right-aligned in w columns */
static void secs_w(uint64_t ns, int w)
{
	struct fmt_buf b = { 0 };

	ana_put_dur(&b, ns, w);
	ana_write(&b, stdout);
	fmt_buf_free(&b);
}

static void secs(uint64_t ns)
{
	secs_w(ns, 0);
}

static const char *state_of_type(unsigned type)
{
	int s = ana_state_of(type);

	return s < 0 ? "?" : ana_state_name(s);
}

/* ---- sections ---- */

static void overview(struct ana_trace *t, struct rctx *c)
{
	char buf[256];
	size_t i, images = 0, pids = 0;

	for (i = 0; i < t->nprocs; i++) {
		images++;
		pids += !(t->procs[i]->flags & FMT_PROC_EXEC);
	}
	printf("trace: %s\nstart: %s\nduration: ", t->path,
	       ana_iso8601(t->h.start_realtime, buf, sizeof(buf)));
	secs(t->st.have_ts ? t->st.last_ts - t->st.first_ts : 0);
	printf(" s\nprocesses: %zu (%zu image%s), threads: %zu, events: %"
	       PRIu64 "\n", pids, images, plural(images, "s"), c->st.n,
	       t->st.events);
}

/* what each state of the breakdown means */
static const char *const state_help[ANA_NSTATES] = {
	[ANA_RUNNING] = "on a CPU",
	[ANA_RUNNABLE] = "runnable, waiting for a CPU",
	[ANA_SYNC] = "locks, condvars, semaphores, barriers, futexes",
	[ANA_IO] = "read, write, accept, connect and kin",
	[ANA_WAIT] = "poll, select, epoll",
	[ANA_SLEEP] = "sleep, nanosleep and kin",
	[ANA_JOIN] = "pthread_join and kin",
	[ANA_UNKNOWN] = "not measured: outside hooked calls, no reading",
};

static void time_split(const struct ana_trace *t, struct rctx *c)
{
	uint64_t tot[ANA_NSTATES] = { 0 }, life = 0;
	char src[160];
	size_t i;
	int j;

	for (i = 0; i < c->st.n; i++) {
		life += c->st.list[i]->lifetime;
		for (j = 0; j < ANA_NSTATES; j++)
			tot[j] += c->st.list[i]->ns[j];
	}
	printf("\nwhere the time went (%zu thread%s, ", c->st.n,
	       plural(c->st.n, "s"));
	secs(life);
	printf(" s of thread lifetime):\n");
	for (j = 0; j < ANA_NSTATES; j++) {
		printf("  %-10s ", ana_state_label(j));
		secs_w(tot[j], 14);
		printf(" s %5.1f%%  %s\n", life ? 100.0 * tot[j] / life : 0.0,
		       state_help[j]);
	}
	printf("  execution and sched-wait: %s; calls unfinished (blocked "
	       "%s): %" PRIu64 "\n",
	       ana_states_source(&c->st, src, sizeof(src)),
	       t->is_snap ? "at their process's exit or when the snapshot "
	       "was taken" : "at their process's exit",
	       c->st.nunfinished);
}

static int site_addr_cmp(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	if (x->image != y->image)
		return x->image < y->image ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->type - (int)y->type;
}

static int site_ns_cmp(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? 1 : -1;
	return site_addr_cmp(a, b);
}

/* samples merged by their innermost frame (stack-less ones by type) */
static struct site *sites(struct ana_trace *t, struct ana_prof *pr,
			  size_t *nsites)
{
	struct site *s = xcalloc(pr->nsamples + 1, sizeof(*s));
	const struct ana_psample *ps;
	const struct ana_stack *st;
	size_t i, n = 0, k;

	for (i = 0; i < pr->samples.cap; i++) {
		ps = pr->samples.ents[i].val;
		if (!ps)
			continue;
		st = ps->stack ? ana_stack(t, ps->stack) : NULL;
		s[n].image = st && st->n ? st->image : UINT64_MAX;
		s[n].addr = st && st->n ? st->frames[0] : 0;
		s[n].type = ps->type;
		s[n].count = ps->v[0];
		s[n].ns = ps->v[1];
		s[n].unfinished = ps->unfinished;
		s[n].served = ps->served;
		n++;
	}
	qsort(s, n, sizeof(*s), site_addr_cmp);
	for (i = 0, k = 0; i < n; i++) {
		if (k && !site_addr_cmp(&s[k - 1], &s[i])) {
			s[k - 1].count += s[i].count;
			s[k - 1].ns += s[i].ns;
			s[k - 1].unfinished += s[i].unfinished;
			s[k - 1].served += s[i].served;
		} else {
			s[k++] = s[i];
		}
	}
	qsort(s, k, sizeof(*s), site_ns_cmp);
	*nsites = k;
	return s;
}

/* a call site: "f (a.c:3)", or for an inlined call "g (b.h:9) in
 * f (a.c:3)", the innermost call and the function it was inlined into */
static const char *site_str(struct ana_trace *t, const struct site *s,
			    char *buf, size_t size)
{
	unsigned d = ana_frame_depth(t, s->image, s->addr);
	char in[512], out[512];

	if (d == 1)
		return ana_frame_str(t, s->image, s->addr, buf, size);
	ana_frame_str_at(t, s->image, s->addr, 0, in, sizeof(in));
	ana_frame_str_at(t, s->image, s->addr, d - 1, out, sizeof(out));
	snprintf(buf, size, "%s in %s", in, out);
	return buf;
}

static void top_sites(struct ana_trace *t, struct rctx *c)
{
	const struct fmt_event_info *in;
	struct site *s;
	size_t i, n;
	char buf[1100];

	s = sites(t, &c->pr, &n);
	printf("\ntop blocking sites (%zu):\n", n);
	for (i = 0; i < n && i < TOP_SITES; i++) {
		printf("  ");
		secs_w(s[i].ns, 14);
		in = fmt_event_info(s[i].type);
		printf(" s %9" PRIu64 " call%-2s %-5s %-14s %s", s[i].count,
		       plural(s[i].count, "s"), state_of_type(s[i].type),
		       in ? in->name : "?",
		       s[i].image == UINT64_MAX ? "(no stack)" :
		       site_str(t, &s[i], buf, sizeof(buf)));
		if (s[i].unfinished)
			printf("  [%" PRIu64 " unfinished]", s[i].unfinished);
		if (s[i].served)
			printf("  [%" PRIu64 " served from the stream buffer, "
			       "not timed]", s[i].served);
		printf("\n");
	}
	free(s);
}

static void top_locks(struct ana_trace *t, struct rctx *c)
{
	struct ana_pobj **o = ana_prof_objs_sorted(&c->pr);
	const struct fmt_event_info *in;
	char name[1024];
	size_t i;

	printf("\ntop contended objects (%zu):\n", c->pr.nobjs);
	for (i = 0; i < c->pr.nobjs && i < TOP_LOCKS; i++) {
		ana_prof_sort_holders(o[i]);
		in = fmt_event_info(o[i]->type);
		printf("  pid %-7" PRIu64 " 0x%-14" PRIx64 " ", o[i]->p->pid,
		       o[i]->obj);
		if (ana_prof_obj_name(t, &c->pr, o[i], name, sizeof(name)))
			printf("%s  ", name);
		printf("%-13s ", in ? in->name : "?");
		secs(o[i]->ns);
		printf(" s in %" PRIu64 " wait%s", o[i]->count,
		       plural(o[i]->count, "s"));
		if (o[i]->unfinished)
			printf(" [%" PRIu64 " unfinished]", o[i]->unfinished);
		if (o[i]->nby) {
			printf(", most %s tid %" PRIu64 " (",
			       ana_prof_by_word(o[i]), o[i]->by[0].tid);
			secs(o[i]->by[0].ns);
			printf(" s)");
		}
		printf("\n");
	}
	free(o);
}

static void heap(struct rctx *c)
{
	const struct ana_heap_stats *hs = &c->pr.hs;

	if (!hs->seen) {
		printf("\nheap: no heap events\n");
		return;
	}
	printf("\nheap: peak %" PRIu64 " byte%s live; %" PRIu64 " byte%s in %"
	       PRIu64 " allocation%s, %" PRIu64 " free%s; leaked (live at "
	       "exit) %" PRIu64 " byte%s in %" PRIu64 " allocation%s\n",
	       hs->peak_bytes, plural(hs->peak_bytes, "s"),
	       hs->alloc_bytes, plural(hs->alloc_bytes, "s"),
	       hs->allocs, plural(hs->allocs, "s"),
	       hs->frees, plural(hs->frees, "s"),
	       hs->leaked_bytes, plural(hs->leaked_bytes, "s"),
	       hs->leaked, plural(hs->leaked, "s"));
	/* the figures are estimates then: profile.c scaled them */
	if (c->pr.sampled_heap)
		printf("  sampled every %" PRIu64 " bytes (scaled)%s\n",
		       hs->rate, hs->mixed ? ", in some processes" : "");
	ana_put_unknown_fate(hs, stdout);
	if (hs->unmatched_frees)
		printf("  %" PRIu64 " free%s of blocks allocated before "
		       "tracing or not recorded\n", hs->unmatched_frees,
		       plural(hs->unmatched_frees, "s"));
}

/*
 * v of max in characters.  A damaged trace may say more threads ran than
 * were alive, by any factor: a bar stops at its width.
 */
static int bar_len(double v, double max)
{
	double n = v / max * PAR_WIDTH + 0.5;

	if (!(n > 0))
		return 0;
	return n < PAR_WIDTH ? (int)n : PAR_WIDTH;
}

/* one bar: '#' on a CPU, '+' runnable, '.' the rest of the alive */
static void par_bar(double run, double rq, double alive, double max)
{
	int k, n_run, n_rq, n_alive;

	if (max <= 0)
		return;
	n_run = bar_len(run, max);
	n_rq = bar_len(run + rq, max);
	n_alive = bar_len(alive, max);
	for (k = 0; k < n_alive || k < n_rq; k++)
		putchar(k < n_run ? '#' : k < n_rq ? '+' : '.');
}

static void parallelism(struct ana_trace *t, struct rctx *c)
{
	uint64_t a = t->st.first_ts, span, lo, hi;
	double run, rq, alive, max = 0;
	int i;

	if (!t->st.have_ts || t->st.last_ts <= a || !c->st.alive.started) {
		printf("\nparallelism: no time span\n");
		return;
	}
	/* alive minus blocked would count unknown time as running */
	if (!ana_states_have_sched(&c->st)) {
		printf("\nparallelism: cannot be drawn, no scheduler data (no "
		       "CPU samples or scheduler readings in the trace)\n");
		return;
	}
	span = (t->st.last_ts - a + PAR_ROWS - 1) / PAR_ROWS;
	for (i = 0; i < PAR_ROWS; i++) {
		alive = ana_hist_avg(&c->st.alive, a + i * span,
				     a + (i + 1) * span);
		if (alive > max)
			max = alive;
	}
	printf("\nparallelism: threads on a CPU over time (avg; # = on a "
	       "CPU, + = runnable, . = alive, neither)\n  %12s %12s %7s %8s "
	       "%7s\n", "from(s)", "to(s)", "on-cpu", "runnable", "alive");
	for (i = 0; i < PAR_ROWS; i++) {
		lo = a + i * span;
		hi = lo + span;
		run = ana_hist_avg(&c->st.running, lo, hi);
		rq = ana_hist_avg(&c->st.runnable, lo, hi);
		alive = ana_hist_avg(&c->st.alive, lo, hi);
		printf("  %12.6f %12.6f %7.2f %8.2f %7.2f ",
		       ana_rel_ts(t, lo) / 1e9, ana_rel_ts(t, hi) / 1e9,
		       run, rq, alive);
		par_bar(run, rq, alive, max);
		putchar('\n');
	}
}

/* tasks, regions and logs: only for traces with user events */
static void tasks(struct rctx *c)
{
	uint64_t life = 0;
	size_t i;

	if (!ana_tasks_seen(&c->tk))
		return;
	for (i = 0; i < c->st.n; i++)
		life += c->st.list[i]->lifetime;
	printf("\n");
	fflush(stdout);
	ana_tasks_print(&c->tk, life, TOP_TYPES, stdout);
}

static void wakes(struct rctx *c)
{
	const uint64_t *e = c->st.edges;

	printf("\nwake edges: %" PRIu64 " wake%s (signal, unlock, post, "
	       "futex wake), %" PRIu64 " thread end%s to joins, %" PRIu64
	       " create%s to starts\n",
	       e[ANA_EDGE_WAKE], plural(e[ANA_EDGE_WAKE], "s"),
	       e[ANA_EDGE_JOIN], plural(e[ANA_EDGE_JOIN], "s"),
	       e[ANA_EDGE_CREATE], plural(e[ANA_EDGE_CREATE], "s"));
}

static void losses(struct ana_trace *t)
{
	char buf[256];
	uint64_t r;

	printf("\nlost events: %" PRIu64, t->st.lost);
	for (r = 1; r < ANA_LOST_REASONS; r++)
		if (t->st.lost_by_reason[r])
			printf(", %" PRIu64 " %s", t->st.lost_by_reason[r],
			       ana_reason_name(r));
	printf("\nintegrity: %s\n", ana_integrity(t, buf, sizeof(buf)));
	if (t->st.bad_records)
		printf("damaged: %" PRIu64 " record%s could not be read\n",
		       t->st.bad_records, plural(t->st.bad_records, "s"));
}

/* ---- the command ---- */

static void report_event(struct ana_trace *t, struct ana_proc *p,
			 struct ana_thread *th, const struct fmt_event *ev)
{
	struct rctx *c = t->data;
	struct ana_block b;
	int blk = ana_block_of(ev, &b);

	ana_progress(t);
	ana_states_event(&c->st, p, th, ev, blk ? &b : NULL);
	ana_prof_event(&c->pr, p, th, ev, blk ? &b : NULL);
	ana_tasks_event(&c->tk, t, p, th, ev);
	ana_fatals_event(&c->fatals, t, th, ev);
}

static void report_done(struct ana_trace *t)
{
	struct rctx *c = t->data;

	ana_progress_end();
	ana_states_done(&c->st, t);
	ana_prof_done(&c->pr, t);
	ana_tasks_done(&c->tk, t);
	overview(t, c);
	ana_fatals_print(&c->fatals);
	time_split(t, c);
	top_sites(t, c);
	top_locks(t, c);
	heap(c);
	tasks(c);
	wakes(c);
	parallelism(t, c);
	losses(t);
	fflush(stdout);
}

static const struct ana_ops report_ops = {
	.event = report_event,
	.done = report_done,
};

int ana_cmd_report(const struct ana_args *a)
{
	const char *path = ana_args_file(a);
	struct rctx c;
	struct ana_trace t;
	int status;

	ana_trace_open(&t, path);
	ana_states_init(&c.st);
	c.st.trace = &t;
	ana_prof_init(&c.pr, ANA_PROF_BLOCK);
	ana_tasks_init(&c.tk);
	memset(&c.fatals, 0, sizeof(c.fatals));
	t.data = &c;
	status = ana_trace_read(&t, &report_ops);
	ana_prof_free(&c.pr);
	ana_tasks_free(&c.tk);
	ana_fatals_free(&c.fatals);
	ana_states_free(&c.st);
	ana_trace_close(&t);
	return status;
}
