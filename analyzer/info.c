/*
 * info.c - `ctrace info`: what a trace holds and whether it is whole.
 *
 * Sections: the header, integrity, the process tree with how each image
 * ended, threads per image, event counts per type, lost events (exact
 * totals), and the end record's totals against what was read.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "analyze.h"
#include "fatal.h"
#include "log.h"
#include "out.h"
#include "trace.h"
#include "wire.h"

/* the images of one process (one pid until it exits), and its children */
struct group {
	uint64_t pid;
	struct ana_proc **images;
	size_t nimages;
	struct group **kids;
	size_t nkids;
	struct group *parent;
	int shown;
};

struct info {
	struct group **groups;		/* in file order */
	size_t ngroups;
	uint64_t cut;			/* stacks cut short (STACK_CUT) */
	uint64_t served;		/* stdio calls in STDIO_RUNs */
	struct ana_fatals fatals;
	struct hmap died;		/* images a fatal signal ended */
};

static void secs(int64_t ns)
{
	struct fmt_buf b = { 0 };

	ana_put_secs(&b, ns);
	ana_write(&b, stdout);
	fmt_buf_free(&b);
}

static void quoted(const char *s, size_t len)
{
	struct fmt_buf b = { 0 };

	ana_put_quoted(&b, s, len);
	ana_write(&b, stdout);
	fmt_buf_free(&b);
}

/* ---- header and integrity ---- */

/* a flight-mode snapshot: which window, why, what came before it */
static void show_snapshot(struct ana_trace *t)
{
	const struct fmt_snapshot *sn = &t->snap;
	const char *by = fmt_snap_trigger_name(sn->trigger);

	printf("snapshot: window from ");
	secs(ana_rel_ts(t, sn->start));
	printf(" to ");
	secs(ana_rel_ts(t, sn->end));
	printf(" (");
	secs((int64_t)(sn->end - sn->start));
	printf(" s), by %s", by ? by : "unknown");
	if (sn->pid)
		printf(" (pid %" PRIu64 ")", sn->pid);
	printf(", reason \"%s\"\n", sn->reason);
	printf("  before the window: unknown; %" PRIu64 " event%s evicted "
	       "(%" PRIu64 " chunk%s)\n", sn->evicted_events,
	       plural(sn->evicted_events, "s"), sn->evicted_chunks,
	       plural(sn->evicted_chunks, "s"));
	/* what --flight's SIZE bounds: its chunks, frames included */
	if (t->stop.offset > t->h.header_size)
		printf("  stored: %" PRIu64 " bytes of chunks\n",
		       t->stop.offset - t->h.header_size);
	if (t->st.before_window)
		printf("  %" PRIu64 " event%s of its first batches ended "
		       "before the window: not shown\n", t->st.before_window,
		       plural(t->st.before_window, "s"));
}

/* a paused collector's windows: when it recorded; the rest is unknown */
static void show_windows(struct ana_trace *t)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < t->nwindows; i++)
		sum += t->windows[i].end - t->windows[i].start;
	printf("windows: %zu (paused collector), recording ", t->nwindows);
	secs((int64_t)sum);
	printf(" s; outside them: unknown\n");
	for (i = 0; i < t->nwindows; i++) {
		printf("  window %zu: from ", i + 1);
		secs(ana_rel_ts(t, t->windows[i].start));
		printf(" to ");
		secs(ana_rel_ts(t, t->windows[i].end));
		printf(" (");
		secs((int64_t)(t->windows[i].end - t->windows[i].start));
		printf(" s)\n");
	}
	if (t->st.outside_windows)
		printf("  %" PRIu64 " event%s in flight at a stop, outside "
		       "every window: not shown\n", t->st.outside_windows,
		       plural(t->st.outside_windows, "s"));
}

static void show_header(struct ana_trace *t)
{
	const struct fmt_file_header *h = &t->h;
	char buf[64];

	printf("trace: %s\n", t->path);
	printf("format: version %u.%u, features %s%s\n", h->major, h->minor,
	       h->features & FMT_FEAT_STACKS ? "stacks" : "none",
	       h->features & FMT_FEAT_WINDOWS ? ", windows" : "");
	printf("collector: pid %" PRIu32 "\n", h->collector_pid);
	printf("start: %s\n",
	       ana_iso8601(h->start_realtime, buf, sizeof(buf)));
	printf("duration: ");
	secs(t->st.have_ts ? (int64_t)(t->st.last_ts - t->st.first_ts) : 0);
	if (t->st.have_ts) {
		printf(" s (from ");
		secs(ana_rel_ts(t, t->st.first_ts));
		printf(" to ");
		secs(ana_rel_ts(t, t->st.last_ts));
		printf(")\n");
	} else {
		printf(" s (no timestamps)\n");
	}
	if (t->is_snap)
		show_snapshot(t);
	if (t->windowed)
		show_windows(t);
}

/* the events written as repeats (format 2.1, 2.3), by what they repeat */
static void print_repeats(const struct ana_stats *st)
{
	uint64_t n = 0;
	const char *sep = "";
	int i;

	for (i = 0; i < FMT_SAME_RULES; i++)
		n += st->repeats[i];
	if (!n)
		return;
	printf("repeats: %" PRIu64 " event%s written as repeats of their "
	       "batch's previous one of their type (", n, plural(n, "s"));
	for (i = 0; i < FMT_SAME_RULES; i++) {
		if (!st->repeats[i])
			continue;
		printf("%s%s %" PRIu64, sep,
		       fmt_event_info(fmt_same_rules[i].base)->name,
		       st->repeats[i]);
		sep = ", ";
	}
	printf(")\n");
}

static void show_integrity(struct ana_trace *t)
{
	const struct ana_stats *st = &t->st;
	char buf[256];
	unsigned i;

	printf("integrity: %s\n", ana_integrity(t, buf, sizeof(buf)));
	printf("chunks: %" PRIu32 " read", t->stop.chunks);
	if (t->stop.bytes_after)
		printf(", %" PRIu64 " byte%s after them not read",
		       t->stop.bytes_after, plural(t->stop.bytes_after, "s"));
	printf("\n");
	if (st->bad_records)
		printf("damaged: %" PRIu64 " record%s could not be read\n",
		       st->bad_records, plural(st->bad_records, "s"));
	if (st->undefined_refs)
		printf("undefined: %" PRIu64 " reference%s to stacks or "
		       "strings no record defined\n", st->undefined_refs,
		       plural(st->undefined_refs, "s"));
	if (st->skipped_events)
		printf("skipped: %" PRIu64 " event%s of codes this reader does "
		       "not know (passed by the file's schema)\n",
		       st->skipped_events, plural(st->skipped_events, "s"));
	print_repeats(st);
	printf("records:");
	for (i = 1; i < FMT_REC_MAX; i++) {
		/* only a snapshot, a paused trace has one: other traces
		 * read as before */
		if ((i == FMT_REC_SNAPSHOT || i == FMT_REC_WINDOW ||
		     i == FMT_REC_WINDOW_OPEN) &&
		    !st->records[i])
			continue;
		printf(" %s %" PRIu64 ",", fmt_record_name(i), st->records[i]);
	}
	printf(" unknown (skipped) %" PRIu64 "\n", st->unknown_records);
}

/* ---- processes ---- */

static struct group *new_group(struct info *in, uint64_t pid)
{
	struct group *g = xcalloc(1, sizeof(*g));

	g->pid = pid;
	in->groups = xrealloc(in->groups,
			      (in->ngroups + 1) * sizeof(*in->groups));
	in->groups[in->ngroups++] = g;
	return g;
}

static void add(void *arrp, size_t *n, void *item)
{
	void ***arr = arrp;

	*arr = xrealloc(*arr, (*n + 1) * sizeof(**arr));
	(*arr)[(*n)++] = item;
}

/*
 * Images in file order: an exec image joins the process of its pid, any
 * other starts a new process (pids are reused); its parent is the
 * process that had its ppid at that point of the file.
 */
static void build_groups(struct ana_trace *t, struct info *in)
{
	struct hmap by_pid = { 0 };
	struct group *g, *parent;
	struct ana_proc *p;
	size_t i;

	for (i = 0; i < t->nprocs; i++) {
		p = t->procs[i];
		g = hmap_get(&by_pid, p->pid);
		if (!g || (!p->stub && !(p->flags & FMT_PROC_EXEC))) {
			parent = p->ppid != p->pid ?
				 hmap_get(&by_pid, p->ppid) : NULL;
			g = new_group(in, p->pid);
			if (parent && !p->stub) {
				g->parent = parent;
				add(&parent->kids, &parent->nkids, g);
			}
			hmap_put(&by_pid, p->pid, g);
		}
		add(&g->images, &g->nimages, p);
	}
	hmap_free(&by_pid);
}

static void wait_status(uint64_t status)
{
	int s = (int)status;

	if (WIFEXITED(s))
		printf("exit %d", WEXITSTATUS(s));
	else if (WIFSIGNALED(s))
		printf("killed by signal %d (%s)%s", WTERMSIG(s),
		       strsignal(WTERMSIG(s)),
		       WCOREDUMP(s) ? ", core dumped" : "");
	else
		printf("wait status 0x%" PRIx64, status);
}

static void ending(struct ana_trace *t, const struct ana_proc *p,
		   const struct hmap *died)
{
	if (!p->ended) {
		printf(t->stop.stop == FMT_STOP_END ? "no end recorded" :
		       "still running when the trace stopped");
		return;
	}
	switch (p->how) {
	case FMT_PEND_EXIT:
		printf("exit %" PRIu64, p->status);
		break;
	case FMT_PEND__EXIT:
		printf("exit %" PRIu64 " (_exit)", p->status);
		break;
	case FMT_PEND_WAIT:
		/* the collector reaped it without a BYE: no final flush ran,
		 * unless the fatal signal's handler flushed */
		wait_status(p->status);
		if (hmap_get(died, p->image))
			printf(" (buffers flushed at the fatal signal)");
		else
			printf(" (no final flush: events after its last "
			       "flush are missing)");
		break;
	case FMT_PEND_VANISHED:
		printf("killed or vanished (events after its last flush are "
		       "missing)");
		break;
	case FMT_PEND_EXEC:
		printf("exec");
		break;
	case FMT_PEND_CUT:
		printf("still running when the trace stopped");
		break;
	default:
		printf("ended (how %u, status %" PRIu64 ")", p->how,
		       p->status);
	}
}

static void flags(uint64_t f)
{
	printf("%s%s%s%s", f & FMT_PROC_ROOT ? " root" : "",
	       f & FMT_PROC_FORK ? " fork" : "",
	       f & FMT_PROC_EXEC ? " exec" : "",
	       f & (FMT_PROC_ROOT | FMT_PROC_FORK | FMT_PROC_EXEC) ? "" : " -");
}

static void show_image(struct ana_trace *t, const struct ana_proc *p,
		       unsigned depth)
{
	struct fmt_buf b = { 0 };

	printf("%*s%" PRIu64, 2 + 2 * depth, "", p->pid);
	if (p->stub && p->image == UINT64_MAX) {
		printf(" (no process record)");
	} else if (p->stub) {
		printf(" image %" PRIu64 " (no process record)", p->image);
	} else {
		printf(" ppid %" PRIu64 " image %" PRIu64, p->ppid, p->image);
		flags(p->flags);
		printf(" exe=");
		quoted(p->exe->s, p->exe->len);
		printf(" argv=");
		ana_put_argv(&b, p->argv, p->argc);
		ana_write(&b, stdout);
		fmt_buf_free(&b);
	}
	printf(": ");
	ending(t, p, &((struct info *)t->data)->died);
	printf("\n");
}

static void show_group(struct ana_trace *t, struct group *g, unsigned depth)
{
	size_t i;

	g->shown = 1;
	for (i = 0; i < g->nimages; i++)
		show_image(t, g->images[i], depth < 16 ? depth : 16);
	for (i = 0; i < g->nkids; i++)
		if (!g->kids[i]->shown)
			show_group(t, g->kids[i], depth + 1);
}

static void show_processes(struct ana_trace *t, struct info *in)
{
	size_t i, images = 0;

	for (i = 0; i < in->ngroups; i++)
		images += in->groups[i]->nimages;
	printf("\nprocesses: %zu (%zu image%s)\n", in->ngroups, images,
	       plural(images, "s"));
	for (i = 0; i < in->ngroups; i++)
		if (!in->groups[i]->parent)
			show_group(t, in->groups[i], 0);
	/* parents come first in the file, so this is only a safety net */
	for (i = 0; i < in->ngroups; i++)
		if (!in->groups[i]->shown)
			show_group(t, in->groups[i], 0);
}

/* ---- threads, events, lost, end ---- */

static void show_thread(struct ana_trace *t, const struct ana_proc *p,
			const struct ana_thread *th)
{
	char tid[32];

	printf("    tid %s events %" PRIu64,
	       ana_tid_str(p, th, tid, sizeof(tid)), th->nevents);
	if (th->nevents) {
		printf(" first ");
		secs(ana_rel_ts(t, th->first_ts));
		printf(" last ");
		secs(ana_rel_ts(t, th->last_ts));
	}
	if (th->name) {
		printf(" name ");
		quoted(th->name->s, th->name->len);
	}
	printf("\n");
}

static void show_threads(struct ana_trace *t)
{
	const struct ana_proc *p;
	size_t i, j, n = 0;

	for (i = 0; i < t->nprocs; i++)
		n += t->procs[i]->nthreads;
	printf("\nthreads: %zu\n", n);
	for (i = 0; i < t->nprocs; i++) {
		p = t->procs[i];
		if (!p->nthreads)
			continue;
		printf("  %" PRIu64, p->pid);
		if (p->image != UINT64_MAX)
			printf(" image %" PRIu64, p->image);
		if (p->exe) {
			printf(" ");
			quoted(p->exe->s, p->exe->len);
		}
		printf(": %zu thread%s, %" PRIu64 " event%s\n", p->nthreads,
		       plural(p->nthreads, "s"), p->nevents,
		       plural(p->nevents, "s"));
		for (j = 0; j < p->nthreads; j++)
			show_thread(t, p, p->thread_list[j]);
	}
}

static void show_events(struct ana_trace *t)
{
	const struct fmt_event_info *in;
	unsigned type;

	printf("\nevents: %" PRIu64 "\n", t->st.events);
	for (type = 0; type < FMT_EV_MAX; type++) {
		in = fmt_event_info(type);
		if (in && t->st.event_types[type])
			printf("  %s: %" PRIu64 "\n", in->name,
			       t->st.event_types[type]);
	}
}

/* the calls the stdio_run events stand for */
static void show_served(const struct info *in)
{
	if (in->served)
		printf("  stdio calls served from the stream buffer (in "
		       "stdio_run, not timed): %" PRIu64 "\n", in->served);
}

/* the unwinder had too little of a thread's stack left to run on */
static void show_cut(const struct info *in)
{
	if (in->cut)
		printf("  stacks cut short for lack of stack room: %" PRIu64
		       "\n", in->cut);
}

static void show_lost(struct ana_trace *t)
{
	const struct ana_proc *p;
	const char *name;
	uint64_t r;
	size_t i;

	printf("\nlost: %" PRIu64 "\n", t->st.lost);
	if (!t->st.lost)
		return;
	printf("  by reason:\n");
	for (r = 1; r <= ANA_LOST_REASONS; r++) {
		/* index 0 holds reasons this reader does not know: last */
		uint64_t n = t->st.lost_by_reason[r % ANA_LOST_REASONS];

		name = r < ANA_LOST_REASONS ? ana_reason_name(r) : "other";
		if (n)
			printf("    %s: %" PRIu64 "\n", name, n);
	}
	printf("  by process:\n");
	for (i = 0; i < t->nprocs; i++) {
		p = t->procs[i];
		if (!p->nlost)
			continue;
		printf("    %" PRIu64, p->pid);
		if (p->image != UINT64_MAX)
			printf(" image %" PRIu64, p->image);
		printf(": %" PRIu64 "\n", p->nlost);
	}
}

/* processes that ran but are not in the trace, and why */
static void show_untraced(struct ana_trace *t)
{
	const struct ana_untraced *u;
	const char *why, *how;
	size_t i;

	if (!t->nuntraced)
		return;
	printf("\nnot traced: %zu process%s\n", t->nuntraced,
	       plural(t->nuntraced, "es"));
	for (i = 0; i < t->nuntraced; i++) {
		u = &t->untraced[i];
		how = fmt_untr_how_name(u->how);
		printf("  %" PRIu64 " (%s", u->pid, how ? how : "?");
		if (u->ppid && u->how != FMT_UNTR_EXEC)
			printf(" of %" PRIu64, u->ppid);
		printf(")");
		if (*u->path)
			printf(" %s", u->path);
		why = fmt_why_str(u->reason);
		printf(": %s", *why ? why : "reason unknown");
		if (u->err)
			printf(": %s", strerror((int)u->err));
		if (u->has_status) {
			printf(": ");
			wait_status(u->status);
		}
		printf("\n");
	}
}

static void show_end(struct ana_trace *t)
{
	const struct ana_end *e = &t->end;
	uint64_t procs = 0;
	size_t i;

	/* the collector counts processes, not images: an exec'ed image
	 * continues the process it replaced */
	for (i = 0; i < t->nprocs; i++)
		procs += !t->procs[i]->stub &&
			 !(t->procs[i]->flags & FMT_PROC_EXEC);

	if (!t->have_end) {
		printf("\nend record: none\n");
		return;
	}
	printf("\nend record: %" PRIu64 " event%s, %" PRIu64 " lost, %" PRIu64
	       " process%s\n", e->nevents, plural(e->nevents, "s"), e->nlost,
	       e->nprocesses, plural(e->nprocesses, "es"));
	/* the writer counted the events this reader skipped too */
	if (e->nevents == t->st.events + t->st.skipped_events +
			  t->st.before_window &&
	    e->nlost == t->st.lost &&
	    e->nprocesses == procs) {
		printf("  matches what was read\n");
		return;
	}
	printf("  differs from what was read: %" PRIu64 " event%s, %" PRIu64
	       " lost, %" PRIu64 " process%s\n", t->st.events,
	       plural(t->st.events, "s"), t->st.lost, procs,
	       plural(procs, "es"));
}

static void info_done(struct ana_trace *t)
{
	struct info *in = t->data;

	show_header(t);
	show_integrity(t);
	build_groups(t, in);
	show_processes(t, in);
	show_threads(t);
	show_events(t);
	show_served(in);
	if (in->fatals.count)
		printf("\n");
	ana_fatals_print(&in->fatals);
	show_cut(in);
	show_lost(t);
	show_untraced(t);
	show_end(t);
	fflush(stdout);
}

static void free_info(struct info *in)
{
	struct group *g;
	size_t i;

	for (i = 0; i < in->ngroups; i++) {
		g = in->groups[i];
		free(g->images);
		free(g->kids);
		free(g);
	}
	free(in->groups);
	ana_fatals_free(&in->fatals);
	hmap_free(&in->died);
}

static void info_event(struct ana_trace *t, struct ana_proc *p,
		       struct ana_thread *th, const struct fmt_event *ev)
{
	struct info *in = t->data;

	ana_fatals_event(&in->fatals, t, th, ev);
	if (ev->type == FMT_EV_FATAL_SIGNAL &&
	    ev->f[FMT_F_FATAL_SIGNAL_action] == FMT_SIG_DEFAULT)
		hmap_put(&in->died, p->image, p);
	if (ev->type == FMT_EV_STACK_CUT)
		in->cut = fmt_lost_add(in->cut,
					 ev->f[FMT_F_STACK_CUT_count]);
	if (ev->type == FMT_EV_STDIO_RUN)
		in->served = fmt_lost_add(in->served,
					  ev->f[FMT_F_STDIO_RUN_calls]);
}

static const struct ana_ops info_ops = {
	.event = info_event,
	.done = info_done,
};

int ana_cmd_info(const struct ana_args *a)
{
	const char *path = ana_args_file(a);
	struct info in = { 0 };
	struct ana_trace t;
	int status;

	ana_trace_open(&t, path);
	t.data = &in;
	status = ana_trace_read(&t, &info_ops);
	ana_trace_close(&t);
	free_info(&in);
	return status;
}
