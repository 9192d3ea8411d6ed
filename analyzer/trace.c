/*
 * trace.c - streaming reader: tables, event decoding, integrity.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "log.h"
#include "symbols.h"
#include "trace.h"
#include "wire.h"

/* per-record warnings printed; later ones are only counted */
#define MAX_WARNINGS	10

/* ---- opening ---- */

/*
 * The refused major version, for the message: "9 " or "" when it cannot
 * be read again (stdin).  The reader does not keep a header it refuses.
 */
static const char *major_of(const char *path, char *buf, size_t size)
{
	unsigned char b[10];
	FILE *f;

	buf[0] = 0;
	if (!strcmp(path, "-"))
		return buf;
	f = fopen(path, "rb");
	if (f && fread(b, 1, sizeof(b), f) == sizeof(b))
		snprintf(buf, size, "%u ", b[8] | b[9] << 8);
	if (f)
		fclose(f);
	return buf;
}

void ana_trace_open(struct ana_trace *t, const char *path)
{
	char buf[16];
	int err;

	memset(t, 0, sizeof(*t));
	t->path = path;
	t->r = fmt_reader_open(path, &err);
	if (t->r) {
		t->h = *fmt_reader_header(t->r);
		/* before 1.8, unfinished had no holder */
		if (t->h.major == 1 && t->h.minor < 8) {
			t->short_fields[FMT_EV_UNFINISHED] = 1;
			t->any_short = 1;
		}
		return;
	}
	switch (err) {
	case FMT_EIO:
		die(EXIT_NOFILE, "cannot open %s: %s", path, strerror(errno));
	case FMT_EMAGIC:
		die(EXIT_NOTRACE, "%s: not a ctrace trace", path);
	case FMT_EVERSION:
		die(EXIT_NOTRACE, "%s: unsupported trace format version %s"
		    "(this reader reads %d)", path,
		    major_of(path, buf, sizeof(buf)), FMT_VERSION_MAJOR);
	case FMT_ETRUNC:
		die(EXIT_CORRUPT, "%s: trace cut inside its header", path);
	case FMT_ENOMEM:
		die(EXIT_FAIL, "out of memory");
	}
	die(EXIT_CORRUPT, "%s: corrupt trace header", path);
}

/* ---- tables ---- */

static struct ana_str *new_str(const void *p, size_t len)
{
	struct ana_str *s = xmalloc(sizeof(*s) + len + 1);

	s->len = len;
	memcpy(s->s, p, len);
	s->s[len] = 0;
	return s;
}

const struct ana_str *ana_string(const struct ana_trace *t, uint64_t id)
{
	return hmap_get(&t->strings, id);
}

const struct ana_stack *ana_stack(const struct ana_trace *t, uint64_t id)
{
	return hmap_get(&t->stacks, id);
}

static struct ana_proc *new_proc(struct ana_trace *t, uint64_t pid)
{
	struct ana_proc *p = xcalloc(1, sizeof(*p));

	p->pid = pid;
	t->procs = xrealloc(t->procs, (t->nprocs + 1) * sizeof(*t->procs));
	t->procs[t->nprocs++] = p;
	return p;
}

/* the current image of pid; a stub if no PROCESS record introduced it */
static struct ana_proc *proc_of_pid(struct ana_trace *t, uint64_t pid)
{
	struct ana_proc *p = hmap_get(&t->pids, pid);

	if (!p) {
		p = new_proc(t, pid);
		p->stub = 1;
		p->image = UINT64_MAX;
		hmap_put(&t->pids, pid, p);
	}
	return p;
}

/* a thread with tid, after prev (its earlier generation) or the first */
static struct ana_thread *new_thread(struct ana_proc *p, uint64_t tid,
				     struct ana_thread *prev)
{
	struct ana_thread *th = xcalloc(1, sizeof(*th));

	th->tid = tid;
	th->gen = prev ? prev->gen + 1 : 1;
	th->prev_gen = prev;
	if (prev)
		prev->next_gen = th;
	hmap_put(&p->threads, tid, th);
	p->thread_list = xrealloc(p->thread_list, (p->nthreads + 1) *
				  sizeof(*p->thread_list));
	p->thread_list[p->nthreads++] = th;
	return th;
}

static struct ana_thread *thread_of(struct ana_proc *p, uint64_t tid)
{
	struct ana_thread *th = hmap_get(&p->threads, tid);

	return th ? th : new_thread(p, tid, NULL);
}

/*
 * The thread an event of tid belongs to.  A thread records nothing after
 * its THREAD_END, and its THREAD_START comes first: either one seen
 * before means the kernel gave the tid to a new thread.
 */
static struct ana_thread *thread_gen(struct ana_proc *p,
				     struct ana_thread *th,
				     const struct fmt_event *ev)
{
	if (th->has_end || (ev->type == FMT_EV_THREAD_START && th->has_start))
		return new_thread(p, th->tid, th);
	return th;
}

struct ana_thread *ana_thread_at(const struct ana_proc *p, uint64_t tid,
				 uint64_t ts)
{
	struct ana_thread *th = hmap_get(&p->threads, tid);

	for (; th && th->prev_gen; th = th->prev_gen)
		if (ana_thread_begin(th) <= ts)
			break;
	return th;
}

const char *ana_tid_str(const struct ana_proc *p,
			const struct ana_thread *th, char *buf, size_t size)
{
	const struct ana_thread *last = hmap_get(&p->threads, th->tid);

	if (last && last->gen > 1)
		snprintf(buf, size, "%" PRIu64 "#%u", th->tid, th->gen);
	else
		snprintf(buf, size, "%" PRIu64, th->tid);
	return buf;
}

/*
 * A process's batches reach the file in the order they were sent, and a
 * thread sends its last one, with its THREAD_END, before it exits, so
 * before its tid can go to another: by the time an event after ts is
 * read, the end of a thread that ended before ts was read too.  Only
 * an end read, and before ts, leaves the thread at ts unknown.
 */
int ana_thread_known_at(const struct ana_thread *th, uint64_t ts)
{
	return !th->has_end || th->end_ts >= ts;
}

static void see_ts(struct ana_trace *t, uint64_t ts)
{
	/* a snapshot's process began before its window: known from there */
	if (t->is_snap && ts < t->snap.start)
		ts = t->snap.start;
	if (!t->st.have_ts) {
		t->st.first_ts = t->st.last_ts = ts;
		t->st.have_ts = 1;
	}
	if (ts < t->st.first_ts)
		t->st.first_ts = ts;
	if (ts > t->st.last_ts)
		t->st.last_ts = ts;
}

/* ---- problems ---- */

static void __attribute__((format(printf, 3, 4)))
bad_record(struct ana_trace *t, unsigned type, const char *fmt, ...)
{
	const char *name = fmt_record_name(type);
	char why[160];
	uint32_t chunks;
	va_list ap;

	if (t->st.bad_records++ >= MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	chunks = fmt_reader_state(t->r)->chunks;
	warn_msg("%s: corrupt %s record in chunk %u (record %u of the "
		 "chunk): %s", t->path, name ? name : "unknown",
		 chunks ? chunks - 1 : 0, t->chunk_records,
		 why);
}

int ana_trace_damaged(const struct ana_trace *t)
{
	return t->stop.stop == FMT_STOP_CORRUPT || t->st.bad_records;
}

const char *ana_integrity(const struct ana_trace *t, char *buf, size_t size)
{
	const struct fmt_reader_state *s = &t->stop;

	switch (s->stop) {
	case FMT_STOP_END:
		snprintf(buf, size, "clean (end record read)");
		break;
	case FMT_STOP_NONE:
	case FMT_STOP_EOF:
		snprintf(buf, size, "trace was not closed cleanly (no end "
			 "record): the collector was killed or is still "
			 "running");
		break;
	case FMT_STOP_TRUNC:
		snprintf(buf, size, "trace cut: file ends inside chunk %"
			 PRIu32 " at offset %" PRIu64 "; read %" PRIu32
			 " complete chunk%s", s->chunks, s->offset, s->chunks,
			 plural(s->chunks, "s"));
		break;
	case FMT_STOP_CORRUPT:
		snprintf(buf, size, "trace damaged at offset %" PRIu64
			 ": %s; read %" PRIu32 " complete chunk%s",
			 s->offset, s->why ? s->why : "corrupt data",
			 s->chunks, plural(s->chunks, "s"));
		break;
	}
	return buf;
}

/* ---- records ---- */

static int rec_string(struct ana_trace *t, const struct fmt_record *rec)
{
	struct fmt_string s;

	if (fmt_parse_string(rec, &s))
		return -1;
	/* symbols and stacks point at the text: a second definition (the
	 * collector never writes one) must not free it under them */
	if (hmap_get(&t->strings, s.id)) {
		bad_record(t, FMT_REC_STRING, "string %" PRIu64 " defined "
			   "again; the first definition is kept", s.id);
		return 0;
	}
	hmap_put(&t->strings, s.id, new_str(s.s, s.len));
	return 0;
}

static int rec_stack(struct ana_trace *t, const struct fmt_record *rec)
{
	struct fmt_stack fs;
	struct ana_stack *s;

	if (fmt_parse_stack(rec, &fs))
		return -1;
	s = xmalloc(sizeof(*s) + fs.n * sizeof(s->frames[0]));
	s->image = fs.image;
	s->n = fs.n;
	if (fmt_stack_frames(&fs, s->frames)) {
		free(s);
		return -1;
	}
	if (hmap_get(&t->stacks, fs.id)) {
		free(s);
		bad_record(t, FMT_REC_STACK, "stack %" PRIu64 " defined again; "
			   "the first definition is kept", fs.id);
		return 0;
	}
	hmap_put(&t->stacks, fs.id, s);
	return 0;
}

static int rec_process(struct ana_trace *t, const struct fmt_record *rec,
		       const struct ana_ops *ops)
{
	struct fmt_process fp;
	struct ana_proc *p;
	struct ana_str **argv;
	const char *s;
	size_t len;
	uint64_t i;

	if (fmt_parse_process(rec, &fp))
		return -1;
	argv = xcalloc(fp.argc, sizeof(*argv));
	for (i = 0; i < fp.argc; i++) {
		s = fmt_cur_str(&fp.argv, FMT_MAX_ARG, &len);
		if (!s)
			break;
		argv[i] = new_str(s, len);
	}
	if (i < fp.argc) {
		while (i--)
			free(argv[i]);
		free(argv);
		return -1;
	}
	p = new_proc(t, fp.pid);
	p->ppid = fp.ppid;
	p->image = fp.image;
	p->ts = fp.ts;
	p->flags = fp.flags;
	p->exe = new_str(fp.exe, fp.exe_len);
	p->argv = argv;
	p->argc = fp.argc;
	/* the recording settings, when the writer had them (wire.h) */
	p->events_mask = fp.events_mask;
	p->heap_sample = fp.heap_sample;
	p->stack_depth = fp.stack_depth;
	p->have_settings = fp.have_settings;
	hmap_put(&t->images, p->image, p);
	hmap_put(&t->pids, p->pid, p);
	see_ts(t, p->ts);
	if (ops->process)
		ops->process(t, p);
	return 0;
}

static int rec_process_end(struct ana_trace *t, const struct fmt_record *rec,
			   const struct ana_ops *ops)
{
	struct fmt_process_end e;
	struct ana_proc *p;

	if (fmt_parse_process_end(rec, &e))
		return -1;
	p = hmap_get(&t->images, e.image);
	if (!p) {
		p = new_proc(t, e.pid);
		p->stub = 1;
		p->image = e.image;
		hmap_put(&t->images, e.image, p);
		if (!hmap_get(&t->pids, e.pid))
			hmap_put(&t->pids, e.pid, p);
	}
	p->ended = 1;
	p->end_ts = e.ts;
	p->status = e.status;
	p->how = e.how;
	see_ts(t, e.ts);
	if (ops->process_end)
		ops->process_end(t, p);
	return 0;
}

static int rec_lost(struct ana_trace *t, const struct fmt_record *rec,
		    const struct ana_ops *ops)
{
	struct fmt_lost fl;
	struct ana_lost l;
	struct ana_proc *p;
	uint64_t *r;

	if (fmt_parse_lost(rec, &fl))
		return -1;
	l.pid = fl.pid;
	l.tid = fl.tid;
	l.count = fl.count;
	l.reason = fl.reason;
	r = &t->st.lost_by_reason[l.reason < ANA_LOST_REASONS ? l.reason : 0];
	*r = fmt_lost_add(*r, l.count);
	t->st.lost = fmt_lost_add(t->st.lost, l.count);
	p = proc_of_pid(t, l.pid);
	p->nlost = fmt_lost_add(p->nlost, l.count);
	if (ops->lost)
		ops->lost(t, &l);
	return 0;
}

/* SCHEMA: a later writer's codes and fields, so that we can pass them */
static int rec_schema(struct ana_trace *t, const struct fmt_record *rec)
{
	const struct fmt_event_info *in;
	unsigned code;

	if (t->have_schema || fmt_parse_schema(rec, &t->schema))
		return -1;
	t->have_schema = 1;
	for (code = 0; code < FMT_EV_MAX; code++) {
		in = fmt_event_info(code);
		if (!in || !t->schema.have[code])
			continue;
		/* fields are only ever appended: fewer are those an older
		 * writer did not have yet, more those of a later one */
		t->short_fields[code] = 0;
		t->extra_fields[code] = 0;
		if (t->schema.nfields[code] < in->nfields)
			t->short_fields[code] = in->nfields -
						t->schema.nfields[code];
		else
			t->extra_fields[code] = t->schema.nfields[code] -
						in->nfields;
	}
	t->any_short = 0;
	for (code = 0; code < FMT_EV_MAX; code++)
		t->any_short |= t->short_fields[code] != 0;
	return 0;
}

static int rec_untraced(struct ana_trace *t, const struct fmt_record *rec,
			const struct ana_ops *ops)
{
	struct fmt_untraced f;
	struct ana_untraced *u;

	if (fmt_parse_untraced(rec, &f))
		return -1;
	t->untraced = xrealloc(t->untraced,
			       (t->nuntraced + 1) * sizeof(*t->untraced));
	u = &t->untraced[t->nuntraced++];
	u->pid = f.pid;
	u->ppid = f.ppid;
	u->ts = f.ts;
	u->how = f.how;
	u->reason = f.reason;
	u->err = f.err;
	u->has_status = f.has_status;
	u->status = f.status;
	u->path = xmalloc(f.path_len + 1);
	memcpy(u->path, f.path, f.path_len);
	u->path[f.path_len] = 0;
	see_ts(t, f.ts);
	if (ops->untraced)
		ops->untraced(t, u);
	return 0;
}

static int rec_end(struct ana_trace *t, const struct fmt_record *rec,
		   const struct ana_ops *ops)
{
	struct fmt_end fe;
	struct ana_end e;

	if (fmt_parse_end(rec, &fe))
		return -1;
	e.ts = fe.ts;
	e.nevents = fe.nevents;
	e.nlost = fe.nlost;
	e.nprocesses = fe.nprocesses;
	t->have_end = 1;
	t->end = e;
	if (ops->end)
		ops->end(t, &e);
	return 0;
}

/* bookkeeping every analysis shares, before the callback sees the event */
static void account(struct ana_trace *t, struct ana_proc *p,
		    struct ana_thread *th, const struct fmt_event *ev)
{
	const struct fmt_event_info *in = fmt_event_info(ev->type);
	struct ana_tname *n;

	t->st.events++;
	t->st.event_types[ev->type]++;
	p->nevents++;
	if (!th->nevents++)
		th->first_ts = ev->ts;
	if (ev->ts < th->first_ts)
		th->first_ts = ev->ts;
	if (ev->ts > th->last_ts)
		th->last_ts = ev->ts;
	see_ts(t, ev->ts);
	/* stack id 0 is the empty stack, which has no record; a batch's
	 * events mostly share one, so the last one found is not looked up
	 * again (records are never taken out) */
	if (in->stack_field >= 0 && ev->f[in->stack_field] &&
	    ev->f[in->stack_field] != t->stack_found) {
		if (hmap_get(&t->stacks, ev->f[in->stack_field]))
			t->stack_found = ev->f[in->stack_field];
		else
			t->st.undefined_refs++;
	}
	if (in->str_field >= 0 &&
	    !hmap_get(&t->strings, ev->f[in->str_field]))
		t->st.undefined_refs++;
	if (in->str2_field >= 0 &&
	    !hmap_get(&t->strings, ev->f[in->str2_field]))
		t->st.undefined_refs++;
	if (ev->type == FMT_EV_THREAD_START && !th->has_start) {
		th->has_start = 1;
		th->handle = ev->f[FMT_F_THREAD_START_handle];
		th->start_ts = ev->ts;
	} else if (ev->type == FMT_EV_THREAD_END) {
		th->has_end = 1;
		th->end_ts = ev->ts;
	} else if (ev->type == FMT_EV_THREAD_NAME) {
		p->names = xrealloc(p->names,
				    (p->nnames + 1) * sizeof(*p->names));
		n = &p->names[p->nnames++];
		n->handle = ev->f[FMT_F_THREAD_NAME_handle];
		n->name = ev->f[FMT_F_THREAD_NAME_name];
		n->ts = ev->ts;
		n->by = th;
	}
}

static int rec_snapshot(struct ana_trace *t, const struct fmt_record *rec)
{
	struct fmt_snapshot sn;

	if (fmt_parse_snapshot(rec, &sn))
		return -1;
	if (t->is_snap)
		return 0;	/* the first one says what the file is */
	t->is_snap = 1;
	t->snap = sn;
	t->snap_reason = xmalloc(sn.reason_len + 1);
	memcpy(t->snap_reason, sn.reason, sn.reason_len);
	t->snap_reason[sn.reason_len] = 0;
	t->snap.reason = t->snap_reason;
	return 0;
}

/*
 * A snapshot knows nothing before its window's start: an event of its
 * first batches that ended before it is dropped (counted), and a call
 * that started before it and returned inside is blocked from the start
 * (its wake_dt counts back from the return, so it stands).  1: drop.
 */
static int clip_to_window(struct ana_trace *t, struct fmt_event *ev)
{
	const struct fmt_event_info *in;
	uint64_t start = t->snap.start, end;

	if (!t->is_snap || ev->ts >= start)
		return 0;
	in = fmt_event_info(ev->type);
	end = in && in->nfields && in->kinds[0] == 'd' ? ev->ts + ev->f[0] :
	      ev->ts;
	if (end <= start) {
		t->st.before_window++;
		return 1;
	}
	ev->f[0] = end - start;
	ev->ts = start;
	return 0;
}

/* the window holding ts, or NULL (windows are few: a linear search) */
static const struct fmt_window *window_at(const struct ana_trace *t,
					  uint64_t ts)
{
	size_t i;

	for (i = 0; i < t->nwindows; i++)
		if (t->windows[i].start <= ts && ts <= t->windows[i].end)
			return &t->windows[i];
	return NULL;
}

int ana_unfinished_snap(const struct ana_trace *t, uint64_t end)
{
	return t->is_snap && end == t->snap.end;
}

const char *ana_unfinished_at(const struct ana_trace *t, uint64_t end)
{
	return ana_unfinished_snap(t, end) ?
	       "still blocked when the snapshot was taken" :
	       "still blocked at exit";
}

const char *ana_unfinished_when(const struct ana_trace *t)
{
	return t->is_snap ? "at exit or when the snapshot was taken" :
			    "at exit";
}

int ana_trace_gap(const struct ana_trace *t, uint64_t a, uint64_t b)
{
	const struct fmt_window *w;

	if (!t->windowed)
		return 0;
	w = window_at(t, a);
	return !w || b > w->end;
}

/* the lives of threads and processes, recorded in the gaps too */
static int is_life(unsigned type)
{
	switch (type) {
	case FMT_EV_THREAD_CREATE:
	case FMT_EV_THREAD_START:
	case FMT_EV_THREAD_END:
	case FMT_EV_FORK:
	case FMT_EV_SPAWN:
	case FMT_EV_EXIT:
		return 1;
	}
	return 0;
}

/*
 * A paused collector recorded only inside its windows: an event there
 * stands; a call that started in one and returned after it closed (it
 * was in flight at the stop) is cut at the window's end, one that began
 * before a window at its start; an event outside every window (an
 * instant in flight at the stop) is dropped, counted.  A thread's or a
 * process's birth or end stands wherever it is: its life begins or ends
 * there, and what it did in the gap stays unknown.  1: drop.
 */
static int clip_to_windows(struct ana_trace *t, struct fmt_event *ev)
{
	const struct fmt_event_info *in;
	const struct fmt_window *ws, *we;
	uint64_t end;
	int dur;

	if (!t->windowed || is_life(ev->type))
		return 0;
	in = fmt_event_info(ev->type);
	dur = in && in->nfields && in->kinds[0] == 'd';
	end = dur ? ev->ts + ev->f[0] : ev->ts;
	ws = window_at(t, ev->ts);
	we = window_at(t, end);
	if (ws && ws == we)
		return 0;
	if (we) {
		ev->f[0] = end - we->start;
		ev->ts = we->start;
		return 0;
	}
	if (ws && dur) {
		ev->f[0] = ws->end - ev->ts;
		return 0;
	}
	t->st.outside_windows++;
	return 1;
}

static int rec_events(struct ana_trace *t, const struct fmt_record *rec,
		      const struct ana_ops *ops)
{
	uint64_t stackbuf[FMT_MAX_STACK];
	struct fmt_events fe;
	struct fmt_event ev;
	struct fmt_addrs addrs, *ad = NULL;
	struct fmt_same same;
	struct ana_proc *p;
	struct ana_thread *th;
	uint64_t i, ts;
	unsigned code;
	int err;

	if (fmt_parse_events(rec, &fe)) {
		bad_record(t, rec->type, "bad header");
		return 0;
	}
	/* format 1's addresses are plain varints */
	if (t->h.major >= 2) {
		ad = &addrs;
		fmt_addrs_batch(ad);
	}
	fmt_same_batch(&same);
	/* created at the first event, so an empty batch leaves no trace */
	p = NULL;
	th = NULL;
	ts = fe.base_ts;
	for (i = 0; i < fe.nevents; i++) {
		if (__builtin_expect(t->any_short, 0) && fe.ev.p < fe.ev.end &&
		    t->short_fields[*fe.ev.p])
			err = fmt_decode_short(&fe.ev.p, fe.ev.end,
					       fmt_event_info(*fe.ev.p)->nfields -
					       t->short_fields[*fe.ev.p], &ts,
					       &ev, ad);
		else if ((err = fmt_decode_hot(&fe.ev.p, fe.ev.end, &ts, &ev,
					       ad)) == FMT_NOT_HOT)
			err = fmt_decode_event(&fe.ev.p, fe.ev.end, FMT_FILE,
					       &ts, &ev, stackbuf, ad);
		/* an unknown code: the decoder read its byte, so it is there */
		if (err == FMT_ETYPE && t->have_schema &&
		    t->schema.have[code = *fe.ev.p]) {
			err = fmt_skip_event(&fe.ev.p, fe.ev.end,
					     t->schema.nfields[code],
					     t->schema.addr_mask[code], &ts,
					     ad);
			t->st.skipped_events += !err;
			if (!err)
				continue;
		}
		/* a later version's fields, after the ones we know */
		if (!err && t->extra_fields[ev.type])
			err = fmt_skip_fields(&fe.ev.p, fe.ev.end,
					      t->extra_fields[ev.type],
					      t->schema.addr_mask[ev.type] >>
					      fmt_event_info(ev.type)->nfields,
					      ad);
		/* a repeat of the batch's last ALLOC, FREE, READ...: that
		 * again */
		if (!err)
			err = fmt_same_expand(&same, &ev, t->st.repeats);
		if (err) {
			bad_record(t, rec->type, "event %" PRIu64 " of %"
				   PRIu64 ": %s", i, fe.nevents,
				   fmt_strerror(err));
			return 0;
		}
		if (clip_to_window(t, &ev) || clip_to_windows(t, &ev))
			continue;
		if (!th) {
			/* by image: an exec'ed pid's old image may still be
			 * flushing after the new one's PROCESS record */
			p = hmap_get(&t->images, fe.image);
			if (!p)
				p = proc_of_pid(t, fe.pid);
			th = thread_of(p, fe.tid);
		}
		th = thread_gen(p, th, &ev);
		account(t, p, th, &ev);
		if (ops->event)
			ops->event(t, p, th, &ev);
	}
	if (fe.ev.p != fe.ev.end)
		bad_record(t, rec->type, "%zu byte%s after its %" PRIu64
			   " event%s", (size_t)(fe.ev.end - fe.ev.p),
			   plural(fe.ev.end - fe.ev.p, "s"), fe.nevents,
			   plural(fe.nevents, "s"));
	return 0;
}

static int rec_window(struct ana_trace *t, const struct fmt_record *rec);

static void record(struct ana_trace *t, const struct fmt_record *rec,
		   const struct ana_ops *ops)
{
	int err = 0;

	if (rec->type < FMT_REC_MAX && fmt_record_name(rec->type))
		t->st.records[rec->type]++;
	else
		t->st.unknown_records++;
	switch (rec->type) {
	case FMT_REC_PROCESS:
		err = rec_process(t, rec, ops);
		break;
	case FMT_REC_PROCESS_END:
		err = rec_process_end(t, rec, ops);
		break;
	case FMT_REC_STRING:
		err = rec_string(t, rec);
		break;
	case FMT_REC_STACK:
		err = rec_stack(t, rec);
		break;
	case FMT_REC_EVENTS:
		err = rec_events(t, rec, ops);
		break;
	case FMT_REC_LOST:
		err = rec_lost(t, rec, ops);
		break;
	case FMT_REC_END:
		err = rec_end(t, rec, ops);
		break;
	case FMT_REC_MODULE:
		err = ana_syms_module(t, rec);
		break;
	case FMT_REC_SYMBOL:
		err = ana_syms_symbol(t, rec);
		break;
	case FMT_REC_DATA:
		err = ana_syms_data(t, rec);
		break;
	case FMT_REC_UNTRACED:
		err = rec_untraced(t, rec, ops);
		break;
	case FMT_REC_SCHEMA:
		err = rec_schema(t, rec);
		break;
	case FMT_REC_SNAPSHOT:
		err = rec_snapshot(t, rec);
		break;
	case FMT_REC_WINDOW:
	case FMT_REC_WINDOW_OPEN:
		err = rec_window(t, rec);
		break;
	}
	if (err)
		bad_record(t, rec->type, "payload does not parse");
}

/* ---- thread names ---- */

/*
 * THREAD_NAME names a pthread handle; THREAD_START tells which tid had
 * that handle.  Handles are reused once a thread is gone, and a creator
 * may name a thread before the thread's own start event, so a name goes
 * to the thread with that handle alive at the time, else to the next one
 * to start, else to the last one started.  A handle no thread started
 * with is the main thread naming itself when the namer has no start.
 */
static struct ana_thread *name_target(const struct hmap *by_handle,
				      const struct ana_tname *n)
{
	struct ana_thread *th, *alive = NULL, *next = NULL, *last = NULL;

	for (th = hmap_get(by_handle, n->handle); th; th = th->same_handle) {
		if (th->start_ts <= n->ts && n->ts <= th->last_ts &&
		    (!alive || th->start_ts > alive->start_ts))
			alive = th;
		if (th->start_ts > n->ts &&
		    (!next || th->start_ts < next->start_ts))
			next = th;
		if (th->start_ts <= n->ts &&
		    (!last || th->start_ts > last->start_ts))
			last = th;
	}
	if (alive || next || last)
		return alive ? alive : next ? next : last;
	return !n->by->has_start ? n->by : NULL;
}

static void resolve_names(struct ana_trace *t, struct ana_proc *p)
{
	struct hmap by_handle = { 0 };
	struct ana_thread *th;
	size_t i;

	if (!p->nnames)
		return;
	for (i = 0; i < p->nthreads; i++) {
		th = p->thread_list[i];
		if (th->has_start) {
			th->same_handle = hmap_put(&by_handle, th->handle,
						      th);
		}
	}
	for (i = 0; i < p->nnames; i++) {
		th = name_target(&by_handle, &p->names[i]);
		if (th && (!th->name || p->names[i].ts >= th->name_ts)) {
			th->name = ana_string(t, p->names[i].name);
			th->name_ts = p->names[i].ts;
		}
	}
	hmap_free(&by_handle);
}

/* ---- reading ---- */

static void warn_stop(struct ana_trace *t)
{
	char buf[256];

	if (t->st.bad_records > MAX_WARNINGS)
		warn_msg("%s: %" PRIu64 " more corrupt records", t->path,
			 t->st.bad_records - MAX_WARNINGS);
	if (t->stop.stop != FMT_STOP_END)
		warn_msg("%s: %s", t->path, ana_integrity(t, buf, sizeof(buf)));
	else if (t->stop.bytes_after)
		warn_msg("%s: %" PRIu64 " byte%s after the end record ignored",
			 t->path, t->stop.bytes_after,
			 plural(t->stop.bytes_after, "s"));
}

/*
 * A WINDOW_OPEN adds a window still open (its end FMT_WINDOW_OPEN_END);
 * the WINDOW with its start closes it, and one that opened no window
 * (a trace older than WINDOW_OPEN) adds the window whole.
 */
static void note_window(struct ana_trace *t, unsigned type,
			const struct fmt_window *w)
{
	size_t i;

	if (type == FMT_REC_WINDOW)
		for (i = t->nwindows; i-- > 0;)
			if (t->windows[i].start == w->start &&
			    t->windows[i].end == FMT_WINDOW_OPEN_END) {
				t->windows[i].end = w->end;
				return;
			}
	t->windows = xrealloc(t->windows, (t->nwindows + 1) *
			      sizeof(*t->windows));
	t->windows[t->nwindows++] = *w;
}

static int parse_window(const struct fmt_record *rec, struct fmt_window *w)
{
	return rec->type == FMT_REC_WINDOW ? fmt_parse_window(rec, w) :
	       fmt_parse_window_open(rec, w);
}

/*
 * A file's windows were read before its events (pre_windows()): checked
 * here, not added again.  A pipe cannot be read twice: its windows are
 * taken as they come, and since a window's WINDOW_OPEN comes before its
 * events and its WINDOW after them, every event meets the windows it
 * would meet in a file.  A pipe of a trace without WINDOW_OPEN knows its
 * windows only as they close, too late for the events already read.
 */
static int rec_window(struct ana_trace *t, const struct fmt_record *rec)
{
	struct fmt_window w;

	if (parse_window(rec, &w))
		return -1;
	if (!strcmp(t->path, "-") && t->windowed)
		note_window(t, rec->type, &w);
	return 0;
}

/*
 * A paused collector's trace (FMT_FEAT_WINDOWS) says when it recorded in
 * WINDOW records, written as each window closed, after events that lie
 * inside it: a first pass reads them, so that the events can be clipped
 * to them as they are read.  What cannot be read is left to the main
 * pass to report.
 */
static void pre_windows(struct ana_trace *t)
{
	struct fmt_record rec;
	struct fmt_reader *r;
	struct fmt_window w;
	int err;

	if (!(t->h.features & FMT_FEAT_WINDOWS))
		return;
	t->windowed = 1;
	if (!strcmp(t->path, "-"))
		return;
	r = fmt_reader_open(t->path, &err);
	if (!r)
		return;
	while (fmt_reader_next(r, &rec))
		if ((rec.type == FMT_REC_WINDOW ||
		     rec.type == FMT_REC_WINDOW_OPEN) &&
		    !parse_window(&rec, &w))
			note_window(t, rec.type, &w);
	fmt_reader_close(r);
}

/* a window never closed (the collector killed) ran to the last event */
static void end_windows(struct ana_trace *t)
{
	size_t i;

	for (i = 0; i < t->nwindows; i++)
		if (t->windows[i].end == FMT_WINDOW_OPEN_END)
			t->windows[i].end = t->st.last_ts > t->windows[i].start ?
					    t->st.last_ts : t->windows[i].start;
}

int ana_trace_read(struct ana_trace *t, const struct ana_ops *ops)
{
	struct fmt_record rec;
	uint32_t chunk = 0, c;
	size_t i;

	pre_windows(t);

	while (fmt_reader_next(t->r, &rec)) {
		c = fmt_reader_state(t->r)->chunks;
		if (c != chunk) {
			chunk = c;
			t->chunk_records = 0;
		}
		t->chunk_records++;
		record(t, &rec, ops);
	}
	t->stop = *fmt_reader_state(t->r);
	end_windows(t);
	for (i = 0; i < t->nprocs; i++)
		resolve_names(t, t->procs[i]);
	if (ops->done)
		ops->done(t);
	warn_stop(t);
	return ana_trace_damaged(t) ? EXIT_CORRUPT : EXIT_OK;
}

/* ---- closing ---- */

static void free_values(struct hmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->ents[i].val);
	hmap_free(m);
}

static void free_proc(struct ana_proc *p)
{
	size_t i;

	for (i = 0; i < p->argc; i++)
		free(p->argv[i]);
	free(p->argv);
	free((void *)p->exe);
	for (i = 0; i < p->nthreads; i++)
		free(p->thread_list[i]);
	hmap_free(&p->threads);
	free(p->thread_list);
	free(p->names);
	free(p);
}

void ana_trace_close(struct ana_trace *t)
{
	size_t i;

	free(t->windows);
	fmt_reader_close(t->r);
	free_values(&t->strings);
	free_values(&t->stacks);
	ana_syms_free(t);
	hmap_free(&t->images);
	hmap_free(&t->pids);
	for (i = 0; i < t->nprocs; i++)
		free_proc(t->procs[i]);
	free(t->procs);
	free(t->snap_reason);
	for (i = 0; i < t->nuntraced; i++)
		free(t->untraced[i].path);
	free(t->untraced);
	memset(t, 0, sizeof(*t));
}
