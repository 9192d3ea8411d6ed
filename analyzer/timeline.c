/*
 * timeline.c - a trace as timeline items (see timeline.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "log.h"
#include "symbols.h"
#include "timeline.h"

const struct ana_tl_colour ana_tl_palette[TL_NCATS] = {
	[TL_RUNNING] = { "running", "thread_state_running", "#7cb342" },
	[TL_SYNC] = { "sync", "terrible", "#e53935" },
	[TL_IO] = { "io", "thread_state_iowait", "#fb8c00" },
	[TL_WAIT] = { "wait", "thread_state_sleeping", "#8e24aa" },
	[TL_SLEEP] = { "sleep", "grey", "#9e9e9e" },
	[TL_JOIN] = { "join", "thread_state_uninterruptible", "#3949ab" },
	[TL_USER] = { "user", "rail_animation", "#00897b" },
	[TL_THREAD] = { "thread", "generic_work", "#1e88e5" },
	[TL_PROCESS] = { "process", "black", "#424242" },
	[TL_HEAP] = { "heap", "yellow", "#fdd835" },
};

const char *const ana_tl_counter_name[TL_NCOUNTERS] = {
	"running threads", "live heap bytes",
};

/* field indexes in the schemas of events.h */
#define CREATE_HANDLE	0	/* THREAD_CREATE: handle routine result */
#define CREATE_RESULT	2
#define START_HANDLE	1	/* THREAD_START: parent handle routine */
#define FDOPEN_FD	0	/* FD_OPEN: fd call from name */
#define FDOPEN_NAME	3
#define FDCLOSE_FD	0
#define ALLOC_ADDR	0	/* ALLOC: addr size call */
#define ALLOC_SIZE	1
#define REALLOC_ADDR	0	/* REALLOC: addr old size */
#define REALLOC_OLD	1
#define REALLOC_SIZE	2
#define TASK_ID		0	/* TASK_BEGIN: id parent type; TASK_END: id */
#define TASK_TYPE	2
#define REGION_TYPE	1	/* REGION_*: task type */
#define LOG_CAT		1	/* LOG: task category message */
#define LOG_MSG		2
#define FORK_CHILD	0
#define EXIT_STATUS	0
#define SPAWN_CHILD	0
#define EXECFAIL_PATH	0

/* a change of the running-thread count */
struct ana_tl_run {
	uint64_t ts;
	int64_t delta;
};

/* THREAD_CREATE or THREAD_START, matched by handle at the end */
struct ana_tl_start {
	uint64_t ts, handle;
	struct ana_tl_thread *th;
	int used;
};

struct ana_tl_heapop {
	uint64_t ts, seq;
	uint64_t addr, old, size;	/* old: realloc's old address */
	uint8_t type;
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

static struct ana_tl_thread *tl_thread(struct ana_tl *tl,
				       struct ana_tl_proc *tp, uint64_t tid)
{
	struct ana_tl_thread *th = ana_map_get(&tp->by_tid, tid);

	if (th)
		return th;
	th = xcalloc(1, sizeof(*th));
	th->proc = tp;
	th->tid = tid;
	th->uuid = ++tl->uuids;
	th->index = tl->nthreads++;
	th->th = ana_map_get(&tp->p->threads, tid);
	ana_map_put(&tp->by_tid, tid, th);
	tp->threads = xrealloc(tp->threads,
			       (tp->nthreads + 1) * sizeof(*tp->threads));
	tp->threads[tp->nthreads++] = th;
	if (tl->ops->thread)
		tl->ops->thread(tl->u, th);
	return th;
}

const char *ana_tl_thread_name(const struct ana_tl_thread *th)
{
	return th->th && th->th->name ? th->th->name->s : NULL;
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

static void run_delta(struct ana_tl_proc *tp, uint64_t ts, int64_t d)
{
	tp->run = grow(tp->run, &tp->caprun, tp->nrun, sizeof(*tp->run));
	tp->run[tp->nrun].ts = ts;
	tp->run[tp->nrun++].delta = d;
}

/* ---- events ---- */

static const char *str_of(struct ana_tl *tl, uint64_t id)
{
	const struct ana_str *s = ana_string(&tl->t, id);

	return s ? s->s : "";
}

static void on_block(struct ana_tl *tl, struct ana_tl_thread *th,
		     const struct fmt_event *ev, struct ana_block *b)
{
	struct ana_tl_proc *tp = th->proc;
	const struct ana_str *fd = NULL;
	struct ana_tl_slice s;
	struct ana_tl_thread *w;
	uint64_t end = b->start + b->dur;

	/* intervals of a thread never overlap; a clock step must not make
	 * a viewer nest one inside the other */
	if (b->start < th->last_end) {
		b->start = th->last_end;
		b->dur = end > b->start ? end - b->start : 0;
		end = b->start + b->dur;
	}
	th->last_end = end;
	see(tl, th, end);
	th->time[b->state] += b->dur;
	th->nblocks++;
	tl->nslices++;
	run_delta(tp, b->start, -1);
	run_delta(tp, end, 1);
	if (b->has_fd)
		fd = ana_map_get(&tp->fds, b->obj);
	s.cat = (enum ana_tl_cat)b->state;
	s.name = fmt_event_info(ev->type)->name;
	s.b = b;
	s.fd_name = fd && fd != &closed_fd ? fd->s : NULL;
	s.stack = b->stack ? ana_stack(&tl->t, b->stack) : NULL;
	s.ev = ev;
	if (tl->ops->slice)
		tl->ops->slice(tl->u, th, &s);
	if (b->waker && b->wake_ts && b->waker != th->tid) {
		w = tl_thread(tl, tp, b->waker);
		if (tl->ops->flow)
			tl->ops->flow(tl->u, (enum ana_tl_cat)b->state,
				      ++tl->nflows, w, b->wake_ts, th, end);
	}
}

static void add_start(struct ana_tl_start **v, size_t *n, uint64_t ts,
		      uint64_t handle, struct ana_tl_thread *th)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n] = (struct ana_tl_start){ ts, handle, th, 0 };
	(*n)++;
}

static void add_heap(struct ana_tl_proc *tp, const struct fmt_event *ev,
		     uint64_t addr, uint64_t old, uint64_t size)
{
	struct ana_tl_heapop *h;

	tp->heap = grow(tp->heap, &tp->capheap, tp->nheap, sizeof(*tp->heap));
	h = &tp->heap[tp->nheap];
	*h = (struct ana_tl_heapop){ ev->ts, tp->nheap, addr, old, size,
				     ev->type };
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
static void on_other(struct ana_tl *tl, struct ana_tl_thread *th,
		     const struct fmt_event *ev)
{
	struct ana_tl_proc *tp = th->proc;
	const uint64_t *f = ev->f;
	const struct ana_str *s;
	char d[64];

	switch (ev->type) {
	case FMT_EV_THREAD_CREATE:
		if (!f[CREATE_RESULT])
			add_start(&tp->creates, &tp->ncreates, ev->ts,
				  f[CREATE_HANDLE], th);
		break;
	case FMT_EV_THREAD_START:
		add_start(&tp->starts, &tp->nstarts, ev->ts, f[START_HANDLE],
			  th);
		break;
	case FMT_EV_FD_OPEN:
		s = ana_string(&tl->t, f[FDOPEN_NAME]);
		if (s && s->len)
			ana_map_put(&tp->fds, f[FDOPEN_FD], (void *)s);
		break;
	case FMT_EV_FD_CLOSE:
		if (ana_map_get(&tp->fds, f[FDCLOSE_FD]))
			ana_map_put(&tp->fds, f[FDCLOSE_FD],
				    (void *)&closed_fd);
		break;
	case FMT_EV_ALLOC:
		add_heap(tp, ev, f[ALLOC_ADDR], 0, f[ALLOC_SIZE]);
		break;
	case FMT_EV_FREE:
		add_heap(tp, ev, f[0], 0, 0);
		break;
	case FMT_EV_REALLOC:
		add_heap(tp, ev, f[REALLOC_ADDR], f[REALLOC_OLD],
			 f[REALLOC_SIZE]);
		break;
	case FMT_EV_TASK_BEGIN:
		s = ana_string(&tl->t, f[TASK_TYPE]);
		if (s)
			ana_map_put(&tp->tasks, f[TASK_ID], (void *)s);
		if (tl->ops->task)
			tl->ops->task(tl->u, tp, 1, ev->ts, f[TASK_ID],
				      s ? s->s : "task");
		break;
	case FMT_EV_TASK_END:
		s = ana_map_get(&tp->tasks, f[TASK_ID]);
		if (tl->ops->task)
			tl->ops->task(tl->u, tp, 0, ev->ts, f[TASK_ID],
				      s ? s->s : "task");
		break;
	case FMT_EV_REGION_BEGIN:
	case FMT_EV_REGION_END:
		if (tl->ops->region)
			tl->ops->region(tl->u, th,
					ev->type == FMT_EV_REGION_BEGIN,
					ev->ts, str_of(tl, f[REGION_TYPE]));
		break;
	case FMT_EV_LOG:
		instant(tl, tp, th, ev->ts, TL_USER, str_of(tl, f[LOG_CAT]),
			str_of(tl, f[LOG_MSG]));
		break;
	case FMT_EV_FORK:
		snprintf(d, sizeof(d), "child %" PRId64, (int64_t)f[FORK_CHILD]);
		instant(tl, tp, th, ev->ts, TL_PROCESS, "fork", d);
		break;
	case FMT_EV_SPAWN:
		snprintf(d, sizeof(d), "child %" PRId64,
			 (int64_t)f[SPAWN_CHILD]);
		instant(tl, tp, th, ev->ts, TL_PROCESS, "spawn", d);
		break;
	case FMT_EV_EXEC_FAIL:
		instant(tl, tp, th, ev->ts, TL_PROCESS, "exec_fail",
			str_of(tl, f[EXECFAIL_PATH]));
		break;
	case FMT_EV_EXIT:
		snprintf(d, sizeof(d), "status %" PRId64,
			 (int64_t)f[EXIT_STATUS]);
		instant(tl, tp, th, ev->ts, TL_PROCESS, "exit", d);
		break;
	}
}

static void on_event(struct ana_trace *t, struct ana_proc *p,
		     struct ana_thread *at, const struct fmt_event *ev)
{
	struct ana_tl *tl = (struct ana_tl *)t;
	struct ana_tl_thread *th = tl_thread(tl, tl_proc(tl, p), at->tid);
	struct ana_block b;

	th->th = at;
	see(tl, th, ev->ts);
	if (ana_block_of(ev, &b))
		on_block(tl, th, ev, &b);
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

	qsort(tp->creates, tp->ncreates, sizeof(*tp->creates), by_handle_ts);
	qsort(tp->starts, tp->nstarts, sizeof(*tp->starts), by_handle_ts);
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

static int by_ts(const void *a, const void *b)
{
	const struct ana_tl_run *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static void running_counter(struct ana_tl *tl, struct ana_tl_proc *tp)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; i < tp->nthreads; i++) {
		if (!tp->threads[i]->th)
			continue;	/* named as a waker only */
		run_delta(tp, tp->threads[i]->first, 1);
		run_delta(tp, tp->threads[i]->last, -1);
	}
	qsort(tp->run, tp->nrun, sizeof(*tp->run), by_ts);
	for (i = 0; i < tp->nrun; i++) {
		v += tp->run[i].delta;
		if (i + 1 < tp->nrun && tp->run[i + 1].ts == tp->run[i].ts)
			continue;
		if (tl->ops->counter)
			tl->ops->counter(tl->u, tp, TL_CNT_RUNNING,
					 tp->run[i].ts, v < 0 ? 0 : v);
	}
}

static int by_ts_seq(const void *a, const void *b)
{
	const struct ana_tl_heapop *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* sizes stored in a map of pointers: +1 so a 0-byte block is not NULL */
static int64_t forget(struct ana_map *live, uint64_t addr)
{
	uintptr_t v = (uintptr_t)ana_map_get(live, addr);

	if (v > 1)
		ana_map_put(live, addr, (void *)1);
	return v > 1 ? (int64_t)(v - 1) : 0;
}

static void heap_counter(struct ana_tl *tl, struct ana_tl_proc *tp)
{
	struct ana_map live = { 0 };
	int64_t v = 0;
	size_t i;

	qsort(tp->heap, tp->nheap, sizeof(*tp->heap), by_ts_seq);
	for (i = 0; i < tp->nheap; i++) {
		struct ana_tl_heapop *h = &tp->heap[i];

		if (h->type == FMT_EV_FREE || h->type == FMT_EV_REALLOC)
			v -= forget(&live, h->type == FMT_EV_FREE ? h->addr :
				    h->old);
		if (h->type != FMT_EV_FREE && h->addr) {
			ana_map_put(&live, h->addr,
				    (void *)(uintptr_t)(h->size + 1));
			v += h->size;
		}
		if (v > tp->peak_heap)
			tp->peak_heap = v;
		if (i + 1 < tp->nheap && tp->heap[i + 1].ts == h->ts)
			continue;
		if (tl->ops->counter)
			tl->ops->counter(tl->u, tp, TL_CNT_HEAP, h->ts, v);
	}
	ana_map_free(&live);
}

static void on_done(struct ana_trace *t)
{
	struct ana_tl *tl = (struct ana_tl *)t;
	size_t i;

	for (i = 0; i < tl->nprocs; i++)
		create_flows(tl, tl->procs[i]);
	for (i = 0; i < tl->nprocs; i++) {
		running_counter(tl, tl->procs[i]);
		heap_counter(tl, tl->procs[i]);
	}
	if (tl->ops->done)
		tl->ops->done(tl->u);
}

static void free_proc(struct ana_tl_proc *tp)
{
	size_t i;

	for (i = 0; i < tp->nthreads; i++)
		free(tp->threads[i]);
	free(tp->threads);
	ana_map_free(&tp->by_tid);
	ana_map_free(&tp->fds);
	ana_map_free(&tp->tasks);
	free(tp->run);
	free(tp->heap);
	free(tp->creates);
	free(tp->starts);
	free(tp);
}

void ana_tl_open(struct ana_tl *tl, const char *path)
{
	memset(tl, 0, sizeof(*tl));
	ana_trace_open(&tl->t, path);
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
	for (i = 0; i < tl->nprocs; i++)
		free_proc(tl->procs[i]);
	free(tl->procs);
	ana_trace_close(&tl->t);
	return status;
}

static void __attribute__((noreturn)) bad_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	exit(EXIT_USAGE);
}

const char *ana_tl_args(int argc, char **argv, const char *usage,
			const char **out, const char **format)
{
	const char *file = NULL, *a;
	int i;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			printf("usage: %s\n", usage);
			exit(EXIT_OK);
		} else if (!strcmp(a, "-o") && i + 1 < argc) {
			*out = argv[++i];
		} else if (!strncmp(a, "-o", 2) && a[2]) {
			*out = a + 2;
		} else if (format && !strcmp(a, "--format") && i + 1 < argc) {
			*format = argv[++i];
		} else if (format && !strncmp(a, "--format=", 9)) {
			*format = a + 9;
		} else if (!strcmp(a, "--") && i + 2 == argc) {
			file = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			if (!strcmp(a, "-o") || !strcmp(a, "--format"))
				die(EXIT_USAGE, "%s: option '%s' needs a "
				    "value", argv[0], a);
			die(EXIT_USAGE, "%s: unknown option '%s'", argv[0], a);
		} else if (!file) {
			file = a;
		} else {
			bad_usage(usage);
		}
	}
	if (!file)
		bad_usage(usage);
	return file;
}

/* ---- output ---- */

FILE *ana_tl_out(const char *path)
{
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	f = fopen(path, "w");
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
