/*
 * threads.c - `ctrace threads`: where each thread's time went, grouped
 * by start routine (the goroutine analysis of go tool trace).
 *
 *   ctrace-analyze threads [--per-thread] <file>
 *
 * Per group: threads, total lifetime, and the time in each state of
 * model.h (states.c: execution, sched-wait, the blocked states, unknown),
 * in seconds and as a percentage of the lifetime.  The legend says where
 * execution and sched-wait came from and how many calls were unfinished
 * (still blocked when their process exited).  When the trace has user
 * regions (include/ctrace.h), a last column gives the time inside them
 * (nested regions count once), which overlaps the states.  --per-thread
 * adds a row per thread, with its count of unfinished calls.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "log.h"
#include "out.h"
#include "states.h"
#include "tasks.h"

struct group {
	char *name;
	uint64_t n, lifetime, t[ANA_NSTATES], regions;
};

struct tctx {
	struct ana_states st;
	struct ana_tasks tk;
	int per_thread;
	int regions;		/* the trace has user regions: a column */
};

/* ---- the table ---- */

static void put_cell(struct fmt_buf *b, uint64_t ns, uint64_t lifetime)
{
	char pct[16];

	ana_put_dur(b, ns, 14);
	snprintf(pct, sizeof(pct), " %5.1f%%", lifetime ?
		 100.0 * ns / lifetime : 0.0);
	ana_put(b, pct);
}

/* regions: time in user regions, or NULL for no such column */
static void put_cells(struct fmt_buf *b, uint64_t lifetime,
		      const uint64_t *t, const uint64_t *regions)
{
	int i;

	ana_put_dur(b, lifetime, 14);
	for (i = 0; i < ANA_NSTATES; i++)
		put_cell(b, t[i], lifetime);
	if (regions)
		put_cell(b, *regions, lifetime);
	ana_put(b, "\n");
}

/* the header of put_cells' columns, after `first` */
static void put_head(struct fmt_buf *b, const char *first, int regions)
{
	char tmp[32], label[24];
	int i;

	ana_put(b, first);
	snprintf(tmp, sizeof(tmp), "%14s", "lifetime(s)");
	ana_put(b, tmp);
	for (i = 0; i < ANA_NSTATES; i++) {
		snprintf(label, sizeof(label), "%s(s)", ana_state_label(i));
		snprintf(tmp, sizeof(tmp), "%14s %6s", label, "%");
		ana_put(b, tmp);
	}
	if (regions) {
		snprintf(tmp, sizeof(tmp), "%14s %6s", "regions(s)", "%");
		ana_put(b, tmp);
	}
	ana_put(b, "\n");
}

static int group_cmp(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->lifetime != y->lifetime)
		return x->lifetime < y->lifetime ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* groups by routine name: few distinct routines, so a linear search */
static struct group *build_groups(struct ana_trace *t, struct tctx *c,
				  size_t *ngroups)
{
	struct ana_states *s = &c->st;
	struct group *g = NULL;
	const struct ana_tstate *ts;
	char name[512];
	size_t i, k, n = 0;
	int j;

	for (i = 0; i < s->n; i++) {
		ts = s->list[i];
		ana_states_routine(t, ts, name, sizeof(name));
		for (k = 0; k < n; k++)
			if (!strcmp(g[k].name, name))
				break;
		if (k == n) {
			g = xrealloc(g, (n + 1) * sizeof(*g));
			memset(&g[n], 0, sizeof(*g));
			g[n++].name = xstrdup(name);
		}
		g[k].n++;
		g[k].lifetime += ts->lifetime;
		g[k].regions += ana_tasks_in_regions(&c->tk, ts->th);
		for (j = 0; j < ANA_NSTATES; j++)
			g[k].t[j] += ts->ns[j];
	}
	if (n)
		qsort(g, n, sizeof(*g), group_cmp);
	*ngroups = n;
	return g;
}

static void show_groups(struct ana_trace *t, struct tctx *c)
{
	struct group *g, all = { 0 };
	struct fmt_buf b = { 0 };
	size_t i, n;
	char tmp[600];
	int j, w = 30;

	g = build_groups(t, c, &n);
	/* a routine's name is the answer: widen the column, never cut it */
	for (i = 0; i < n; i++)
		if ((int)strlen(g[i].name) > w)
			w = strlen(g[i].name);
	snprintf(tmp, sizeof(tmp), "%-*s threads", w, "group");
	put_head(&b, tmp, c->regions);
	for (i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), "%-*s %7" PRIu64, w, g[i].name,
			 g[i].n);
		ana_put(&b, tmp);
		put_cells(&b, g[i].lifetime, g[i].t,
			  c->regions ? &g[i].regions : NULL);
		all.n += g[i].n;
		all.lifetime += g[i].lifetime;
		all.regions += g[i].regions;
		for (j = 0; j < ANA_NSTATES; j++)
			all.t[j] += g[i].t[j];
		free(g[i].name);
	}
	snprintf(tmp, sizeof(tmp), "%-*s %7" PRIu64, w, "all", all.n);
	ana_put(&b, tmp);
	put_cells(&b, all.lifetime, all.t, c->regions ? &all.regions : NULL);
	ana_write(&b, stdout);
	fmt_buf_free(&b);
	free(g);
}

static void show_threads(struct ana_trace *t, struct tctx *c)
{
	struct ana_states *s = &c->st;
	struct fmt_buf b = { 0 };
	uint64_t reg;
	const struct ana_tstate *ts;
	char name[512], tmp[600], tid[32];
	size_t i;

	printf("\nper thread:\n");
	snprintf(tmp, sizeof(tmp), "%-8s %-8s %-16s %-30s %10s", "pid", "tid",
		 "name", "routine", "unfinished");
	put_head(&b, tmp, c->regions);
	for (i = 0; i < s->n; i++) {
		ts = s->list[i];
		snprintf(tmp, sizeof(tmp), "%-8" PRIu64 " %-8s"
			 " %-16.16s %-30.30s %10" PRIu64, ts->p->pid,
			 ana_tid_str(ts->p, ts->th, tid, sizeof(tid)),
			 ts->th->name ? ts->th->name->s : "-",
			 ana_states_routine(t, ts, name, sizeof(name)),
			 ts->nunfinished);
		ana_put(&b, tmp);
		reg = ana_tasks_in_regions(&c->tk, ts->th);
		put_cells(&b, ts->lifetime, ts->ns,
			  c->regions ? &reg : NULL);
		ana_write(&b, stdout);
	}
	fmt_buf_free(&b);
}

/* ---- the command ---- */

static void threads_event(struct ana_trace *t, struct ana_proc *p,
			  struct ana_thread *th, const struct fmt_event *ev)
{
	struct tctx *c = t->data;
	struct ana_block b;

	ana_progress(t);
	ana_states_event(&c->st, p, th, ev, ana_block_of(ev, &b) ? &b : NULL);
	ana_tasks_event(&c->tk, t, p, th, ev);
}

static void threads_done(struct ana_trace *t)
{
	struct tctx *c = t->data;
	char src[160];

	ana_progress_end();
	ana_states_done(&c->st, t);
	ana_tasks_done(&c->tk, t);
	c->regions = c->tk.regions.n > 0;
	printf("threads: %zu; times in seconds and %% of lifetime (the "
	       "thread's start to its end, or its process's)\n"
	       "execution = on a CPU, sched-wait = runnable, waiting for a "
	       "CPU; %s\n"
	       "unknown = outside hooked calls and not explained by a "
	       "scheduler reading\n"
	       "unfinished = calls still blocked when their process "
	       "exited%s: %" PRIu64 "\n", c->st.n,
	       ana_states_source(&c->st, src, sizeof(src)),
	       t->is_snap ? " or the snapshot was taken, blocked to then" :
	       ", blocked to the exit", c->st.nunfinished);
	if (c->regions)
		printf("regions = inside user regions (overlaps the states; "
		       "nested regions count once)\n");
	printf("\n");
	show_groups(t, c);
	if (c->per_thread)
		show_threads(t, c);
	fflush(stdout);
}

static const struct ana_ops threads_ops = {
	.event = threads_event,
	.done = threads_done,
};

int ana_cmd_threads(const struct ana_args *a)
{
	struct tctx c = { 0 };
	struct ana_trace t;
	const char *file = ana_args_file(a);
	int status;

	c.per_thread = a->per_thread;
	ana_trace_open(&t, file);
	ana_states_init(&c.st);
	c.st.trace = &t;
	ana_tasks_init(&c.tk);
	t.data = &c;
	status = ana_trace_read(&t, &threads_ops);
	ana_tasks_free(&c.tk);
	ana_states_free(&c.st);
	ana_trace_close(&t);
	return status;
}
