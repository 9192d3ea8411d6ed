/*
 * export-perfetto.c - `ctrace export`: the timeline as a Perfetto trace.
 *
 * The output is a perfetto.protos.Trace (analyzer/proto/perfetto_trace.proto,
 * a trimmed copy of Perfetto's own protos), written as a stream: a Trace is
 * nothing but its packets, each a length-delimited field 1, so every
 * TracePacket is packed with protobuf-c and appended as soon as it is made
 * and memory does not grow with the trace.
 *
 * Tracks: one process track per process image (pid, exe, argv), its threads
 * as child thread tracks (pid, tid, name: its own, or its process's for a
 * main thread, or its start routine's), an async track per user task and
 * two counter tracks per process (on-CPU threads, live heap bytes).  On a
 * thread track: a slice per blocked interval (category sync/io/wait/
 * sleep/join, debug annotations for the object, fd and its name, bytes,
 * result, waker, call site and stack; "unfinished" for a call still
 * blocked at exit, whose slice ends there), a slice per residue slice
 * (named and categorised running, runnable or unknown, its shares as
 * annotations), and the user regions.  Regions enclose the calls made
 * inside them and a call never encloses a region, and residue slices are
 * cut at region boundaries, so all nest properly on one track.  Arrows
 * are flows between two instants: thread_create -> thread_start and
 * wake -> woken (at the end of the woken thread's slice).
 *
 * CPU samples are PerfSample packets (pid, tid, callstack), the form
 * Perfetto's own CPU profiler writes, which the UI shows on the thread
 * and sums into flame graphs.  Their callstacks, frames (function name,
 * module and address in it) and modules are interned on the sequence
 * like the names, in the sample packet that first uses them.
 *
 * A big trace is drawn at a resolution (timeline.h): the slices of a
 * thread shorter than a bucket are one slice per bucket instead, named
 * "<n> short slices", categorised by the state with the most time, with
 * their count and ns by state as annotations; the counters keep each
 * bucket's minimum, maximum and last value.  A track "ctrace" then holds
 * one instant, "resolution", whose note says so.
 *
 * Everything is on one packet sequence.  Its first packet clears the
 * incremental state and sets the sequence's default clock to
 * BUILTIN_CLOCK_MONOTONIC: timestamps are the trace's CLOCK_MONOTONIC ns
 * (preload/pl.h), and without it Perfetto would take them for BOOTTIME,
 * off by the time the machine slept from other data of the same machine.
 * Names, categories and annotation names are interned in the packet that
 * first uses them.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "log.h"
#include "perfetto_trace.pb-c.h"
#include "symbols.h"
#include "timeline.h"

#define SEQ_ID		1
#define MAX_ANNS	12
#define MAX_INTERNED	64	/* new entries in one packet, at most */

typedef Perfetto__Protos__TracePacket Packet;
typedef Perfetto__Protos__TrackEvent TrackEvent;
typedef Perfetto__Protos__TrackDescriptor TrackDesc;
typedef Perfetto__Protos__DebugAnnotation Ann;

/* strings interned for events, then for the profile (which has no
 * inline form: those are probed past a hash collision) */
enum { IN_NAME, IN_CAT, IN_ANN, IN_FUNC, IN_PATH, IN_KINDS };

typedef Perfetto__Protos__InternedString IStr;

/* a frame or a callstack, interned by (image, address) or stack id */
struct prof_ent {
	uint64_t iid, image, addr;
};

/* what one sample packet adds to the profile's tables */
struct prof_new {
	IStr funcs[FMT_MAX_STACK], paths[FMT_MAX_STACK];
	Perfetto__Protos__Mapping maps[FMT_MAX_STACK];
	uint64_t map_path[FMT_MAX_STACK];
	Perfetto__Protos__Frame frames[FMT_MAX_STACK];
	Perfetto__Protos__Callstack stack;
	uint64_t stack_frames[FMT_MAX_STACK];
	size_t nfuncs, npaths, nmaps, nframes, nstacks;
};

struct intern_ent {
	uint64_t iid;
	char s[];
};

struct pf {
	FILE *f;
	const char *path;
	struct ana_tl *tl;
	struct hmap intern[IN_KINDS];	/* hash -> intern_ent */
	uint64_t next_iid[IN_KINDS];
	/* entries new in the packet being built */
	Perfetto__Protos__EventName names[MAX_INTERNED];
	Perfetto__Protos__EventCategory cats[MAX_INTERNED];
	Perfetto__Protos__DebugAnnotationName anames[MAX_INTERNED];
	void *pending[IN_KINDS][MAX_INTERNED];
	size_t npending[IN_KINDS];
	uint8_t *buf;
	size_t cap;
	uint64_t packets;
	struct hmap tracks;		/* hash of (process, key) -> uuid */
	uint64_t child_tracks;
	/* child track n's (process uuid, key), what tracks' entries are
	 * checked against (unset for tracks child_track() did not make) */
	struct { uint64_t puuid, key; } *ckeys;
	size_t nckeys;
	struct hmap frames, stacks;	/* -> prof_ent */
	struct hmap maps;		/* path iid -> mapping iid */
	uint64_t next_frame, next_stack, next_map;
	struct prof_new *pn;		/* for the packet being built */
	uint64_t samples;
};

/* debug annotations of one event */
struct anns {
	Ann a[MAX_ANNS];
	Ann *p[MAX_ANNS];
	size_t n;
};

/* ---- packets ---- */

static void put_varint(FILE *f, uint64_t v)
{
	while (v >= 0x80) {
		putc((v & 0x7f) | 0x80, f);
		v >>= 7;
	}
	putc(v, f);
}

static void prof_interned(struct pf *pf,
			  Perfetto__Protos__InternedData *id, Packet *pk);

/* append pk as field 1 of Trace, with the interned data it introduced */
static void put(struct pf *pf, Packet *pk)
{
	Perfetto__Protos__InternedData id = PERFETTO__PROTOS__INTERNED_DATA__INIT;
	size_t len;

	pk->optional_trusted_packet_sequence_id_case =
		PERFETTO__PROTOS__TRACE_PACKET__OPTIONAL_TRUSTED_PACKET_SEQUENCE_ID_TRUSTED_PACKET_SEQUENCE_ID;
	pk->trusted_packet_sequence_id = SEQ_ID;
	if (!pf->packets) {
		pk->has_first_packet_on_sequence = 1;
		pk->first_packet_on_sequence = 1;
		pk->has_sequence_flags = 1;
		pk->sequence_flags =
			PERFETTO__PROTOS__TRACE_PACKET__SEQUENCE_FLAGS__SEQ_INCREMENTAL_STATE_CLEARED;
	} else if (pk->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT ||
		   pk->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_PERF_SAMPLE) {
		pk->has_sequence_flags = 1;
		pk->sequence_flags =
			PERFETTO__PROTOS__TRACE_PACKET__SEQUENCE_FLAGS__SEQ_NEEDS_INCREMENTAL_STATE;
	}
	if (pf->npending[IN_NAME] || pf->npending[IN_CAT] ||
	    pf->npending[IN_ANN]) {
		id.n_event_names = pf->npending[IN_NAME];
		id.event_names = (void *)pf->pending[IN_NAME];
		id.n_event_categories = pf->npending[IN_CAT];
		id.event_categories = (void *)pf->pending[IN_CAT];
		id.n_debug_annotation_names = pf->npending[IN_ANN];
		id.debug_annotation_names = (void *)pf->pending[IN_ANN];
		pk->interned_data = &id;
	}
	if (pk->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_PERF_SAMPLE)
		prof_interned(pf, &id, pk);
	len = perfetto__protos__trace_packet__get_packed_size(pk);
	if (len > pf->cap) {
		pf->cap = len * 2;
		pf->buf = xrealloc(pf->buf, pf->cap);
	}
	perfetto__protos__trace_packet__pack(pk, pf->buf);
	putc(0x0a, pf->f);	/* Trace.packet: field 1, length-delimited */
	put_varint(pf->f, len);
	fwrite(pf->buf, 1, len, pf->f);
	pf->packets++;
	memset(pf->npending, 0, sizeof(pf->npending));
	if (pf->pn)
		pf->pn->nfuncs = pf->pn->npaths = pf->pn->nmaps =
			pf->pn->nframes = pf->pn->nstacks = 0;
}

/*
 * intern() : the iid of s in table `kind`, adding it to the packet being
 * built if new.  @return 0 when s cannot be interned (a hash collision or
 * a full packet): the caller then writes the string itself.
 */
static uint64_t intern(struct pf *pf, int kind, const char *s)
{
	uint64_t h = hash_str(s);
	struct intern_ent *e = hmap_get(&pf->intern[kind], h);
	size_t n = pf->npending[kind];

	if (e)
		return strcmp(e->s, s) ? 0 : e->iid;
	if (n == MAX_INTERNED)
		return 0;
	e = xmalloc(sizeof(*e) + strlen(s) + 1);
	e->iid = ++pf->next_iid[kind];
	strcpy(e->s, s);
	hmap_put(&pf->intern[kind], h, e);
	/* EventName, EventCategory, DebugAnnotationName: iid=1 name=2 */
	if (kind == IN_NAME) {
		perfetto__protos__event_name__init(&pf->names[n]);
		pf->names[n].has_iid = 1;
		pf->names[n].iid = e->iid;
		pf->names[n].name = e->s;
		pf->pending[kind][n] = &pf->names[n];
	} else if (kind == IN_CAT) {
		perfetto__protos__event_category__init(&pf->cats[n]);
		pf->cats[n].has_iid = 1;
		pf->cats[n].iid = e->iid;
		pf->cats[n].name = e->s;
		pf->pending[kind][n] = &pf->cats[n];
	} else {
		perfetto__protos__debug_annotation_name__init(&pf->anames[n]);
		pf->anames[n].has_iid = 1;
		pf->anames[n].iid = e->iid;
		pf->anames[n].name = e->s;
		pf->pending[kind][n] = &pf->anames[n];
	}
	pf->npending[kind]++;
	return e->iid;
}

/* ---- the profile: callstacks of the CPU samples ---- */

/*
 * prof_str() : the iid of s among the profile's strings (IN_FUNC,
 * IN_PATH), added to the packet being built if new.  A hash collision
 * probes the next key: these have no inline form to fall back on.
 */
static uint64_t prof_str(struct pf *pf, int kind, const char *s)
{
	struct prof_new *pn = pf->pn;
	uint64_t h = hash_str(s);
	struct intern_ent *e;
	IStr *x;

	while ((e = hmap_get(&pf->intern[kind], h)) && strcmp(e->s, s))
		h = hash_next(h);
	if (e)
		return e->iid;
	e = xmalloc(sizeof(*e) + strlen(s) + 1);
	e->iid = ++pf->next_iid[kind];
	strcpy(e->s, s);
	hmap_put(&pf->intern[kind], h, e);
	x = kind == IN_FUNC ? &pn->funcs[pn->nfuncs++] :
			      &pn->paths[pn->npaths++];
	perfetto__protos__interned_string__init(x);
	x->has_iid = 1;
	x->iid = e->iid;
	x->has_str = 1;
	x->str.len = strlen(e->s);
	x->str.data = (uint8_t *)e->s;
	return e->iid;
}

/* a module, by its path: one mapping each (no build id, no range) */
static uint64_t prof_map(struct pf *pf, const char *path)
{
	struct prof_new *pn = pf->pn;
	uint64_t piid = prof_str(pf, IN_PATH, path), iid;
	Perfetto__Protos__Mapping *m;

	iid = (uintptr_t)hmap_get(&pf->maps, piid);
	if (iid)
		return iid;
	iid = ++pf->next_map;
	hmap_put(&pf->maps, piid, (void *)(uintptr_t)iid);
	m = &pn->maps[pn->nmaps];
	pn->map_path[pn->nmaps++] = piid;
	perfetto__protos__mapping__init(m);
	m->has_iid = 1;
	m->iid = iid;
	m->n_path_string_ids = 1;
	m->path_string_ids = &pn->map_path[pn->nmaps - 1];
	return iid;
}

/* a frame: its function's name, and its module and offset when known */
static uint64_t prof_frame(struct pf *pf, uint64_t image, uint64_t addr)
{
	struct prof_new *pn = pf->pn;
	uint64_t k = hash_mix(image, addr);
	const struct ana_sym *sym;
	Perfetto__Protos__Frame *f;
	struct prof_ent *e;
	char name[512];

	while ((e = hmap_get(&pf->frames, k)) &&
	       (e->image != image || e->addr != addr))
		k = hash_next(k);
	if (e)
		return e->iid;
	e = xmalloc(sizeof(*e));
	*e = (struct prof_ent){ ++pf->next_frame, image, addr };
	hmap_put(&pf->frames, k, e);
	f = &pn->frames[pn->nframes++];
	perfetto__protos__frame__init(f);
	f->has_iid = 1;
	f->iid = e->iid;
	f->has_function_name_id = 1;
	f->function_name_id = prof_str(pf, IN_FUNC,
		ana_tl_frame_name(pf->tl, image, addr, name, sizeof(name)));
	sym = ana_symbol(&pf->tl->t, image, addr);
	if (sym && sym->module) {
		f->has_mapping_id = 1;
		f->mapping_id = prof_map(pf, sym->module);
		f->has_rel_pc = 1;
		f->rel_pc = sym->module_off;
	}
	return e->iid;
}

/* a sample's stack: interned once per stack id, outermost frame first */
static uint64_t prof_stack(struct pf *pf, const struct ana_stack *st,
			   uint64_t id)
{
	struct prof_new *pn = pf->pn;
	uint64_t iid = (uintptr_t)hmap_get(&pf->stacks, id);
	uint32_t n = st->n < FMT_MAX_STACK ? st->n : FMT_MAX_STACK, i;

	if (iid)
		return iid;
	iid = ++pf->next_stack;
	hmap_put(&pf->stacks, id, (void *)(uintptr_t)iid);
	for (i = 0; i < n; i++)
		pn->stack_frames[n - 1 - i] = prof_frame(pf, st->image,
							 st->frames[i]);
	perfetto__protos__callstack__init(&pn->stack);
	pn->stack.has_iid = 1;
	pn->stack.iid = iid;
	pn->stack.n_frame_ids = n;
	pn->stack.frame_ids = pn->stack_frames;
	pn->nstacks = 1;
	return iid;
}

/* the profile's new entries into the packet's InternedData */
static void prof_interned(struct pf *pf,
			  Perfetto__Protos__InternedData *id, Packet *pk)
{
	static IStr *funcs[FMT_MAX_STACK], *paths[FMT_MAX_STACK];
	static Perfetto__Protos__Mapping *maps[FMT_MAX_STACK];
	static Perfetto__Protos__Frame *frames[FMT_MAX_STACK];
	static Perfetto__Protos__Callstack *stack;
	struct prof_new *pn = pf->pn;
	size_t i;

	if (!pn->nfuncs && !pn->npaths && !pn->nmaps && !pn->nframes &&
	    !pn->nstacks)
		return;
	for (i = 0; i < pn->nfuncs; i++)
		funcs[i] = &pn->funcs[i];
	for (i = 0; i < pn->npaths; i++)
		paths[i] = &pn->paths[i];
	for (i = 0; i < pn->nmaps; i++)
		maps[i] = &pn->maps[i];
	for (i = 0; i < pn->nframes; i++)
		frames[i] = &pn->frames[i];
	stack = &pn->stack;
	id->n_function_names = pn->nfuncs;
	id->function_names = funcs;
	id->n_mapping_paths = pn->npaths;
	id->mapping_paths = paths;
	id->n_mappings = pn->nmaps;
	id->mappings = maps;
	id->n_frames = pn->nframes;
	id->frames = frames;
	id->n_callstacks = pn->nstacks;
	id->callstacks = &stack;
	pk->interned_data = id;
}

/* ---- events ---- */

static Ann *ann(struct pf *pf, struct anns *a, const char *name)
{
	Ann *x = &a->a[a->n];
	uint64_t iid = intern(pf, IN_ANN, name);

	perfetto__protos__debug_annotation__init(x);
	if (iid) {
		x->name_field_case =
			PERFETTO__PROTOS__DEBUG_ANNOTATION__NAME_FIELD_NAME_IID;
		x->name_iid = iid;
	} else {
		x->name_field_case =
			PERFETTO__PROTOS__DEBUG_ANNOTATION__NAME_FIELD_NAME;
		x->name = (char *)name;
	}
	a->p[a->n++] = x;
	return x;
}

static void ann_str(struct pf *pf, struct anns *a, const char *name,
		    const char *v)
{
	Ann *x = ann(pf, a, name);

	x->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_STRING_VALUE;
	x->string_value = (char *)v;
}

static void ann_int(struct pf *pf, struct anns *a, const char *name,
		    int64_t v)
{
	Ann *x = ann(pf, a, name);

	x->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_INT_VALUE;
	x->int_value = v;
}

static void ann_ptr(struct pf *pf, struct anns *a, const char *name,
		    uint64_t v)
{
	Ann *x = ann(pf, a, name);

	x->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_POINTER_VALUE;
	x->pointer_value = v;
}

/* a TrackEvent: type, track, name (interned) and category (interned) */
static void event_init(struct pf *pf, TrackEvent *te, uint64_t *cat_iid,
		       int type, uint64_t track, const char *name,
		       enum ana_tl_cat cat)
{
	uint64_t iid;

	perfetto__protos__track_event__init(te);
	te->has_type = 1;
	te->type = type;
	te->has_track_uuid = 1;
	te->track_uuid = track;
	if (type == PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END ||
	    type == PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_COUNTER)
		return;		/* END repeats nothing of its BEGIN */
	iid = intern(pf, IN_NAME, name);
	if (iid) {
		te->name_field_case =
			PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME_IID;
		te->name_iid = iid;
	} else {
		te->name_field_case =
			PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME;
		te->name = (char *)name;
	}
	*cat_iid = intern(pf, IN_CAT, ana_tl_palette[cat].cat);
	if (*cat_iid) {
		te->n_category_iids = 1;
		te->category_iids = cat_iid;
	}
}

static void put_event(struct pf *pf, uint64_t ts, TrackEvent *te)
{
	Packet pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;

	pk.has_timestamp = 1;
	pk.timestamp = ts;
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT;
	pk.track_event = te;
	put(pf, &pk);
}

static void put_track(struct pf *pf, TrackDesc *td)
{
	Packet pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;

	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_DESCRIPTOR;
	pk.track_descriptor = td;
	put(pf, &pk);
}

/* ---- tracks ---- */

static void process_track(struct pf *pf, struct ana_tl_proc *p)
{
	Perfetto__Protos__ProcessDescriptor pd =
		PERFETTO__PROTOS__PROCESS_DESCRIPTOR__INIT;
	TrackDesc td = PERFETTO__PROTOS__TRACK_DESCRIPTOR__INIT;
	char name[256];
	char **argv = NULL;
	uint32_t i;

	pd.has_pid = 1;
	pd.pid = p->p->pid;
	pd.process_name = (char *)ana_tl_proc_name(p, name, sizeof(name));
	if (p->p->argc) {
		argv = xcalloc(p->p->argc, sizeof(*argv));
		for (i = 0; i < p->p->argc; i++)
			argv[i] = p->p->argv[i]->s;
		pd.n_cmdline = p->p->argc;
		pd.cmdline = argv;
	}
	td.has_uuid = 1;
	td.uuid = p->uuid;
	td.process = &pd;
	put_track(pf, &td);
	free(argv);
}

static void thread_track(struct pf *pf, struct ana_tl_thread *th,
			 const char *name)
{
	Perfetto__Protos__ThreadDescriptor d =
		PERFETTO__PROTOS__THREAD_DESCRIPTOR__INIT;
	TrackDesc td = PERFETTO__PROTOS__TRACK_DESCRIPTOR__INIT;

	d.has_pid = 1;
	d.pid = th->proc->p->pid;
	d.has_tid = 1;
	d.tid = th->tid;
	d.thread_name = (char *)name;
	td.has_uuid = 1;
	td.uuid = th->uuid;
	td.has_parent_uuid = 1;
	td.parent_uuid = th->proc->uuid;
	td.thread = &d;
	put_track(pf, &td);
}

/* a child track of the process (task, counter), described once; its
 * uuid is above the timeline's (which count processes and threads) */
static uint64_t child_track(struct pf *pf, struct ana_tl_proc *p,
			    uint64_t key, const char *name, int unit)
{
	Perfetto__Protos__CounterDescriptor cd =
		PERFETTO__PROTOS__COUNTER_DESCRIPTOR__INIT;
	TrackDesc td = PERFETTO__PROTOS__TRACK_DESCRIPTOR__INIT;
	uint64_t k = hash_mix(hash_u64(p->uuid), key), uuid, n;

	/* keys that hash alike probe on: one track per (process, key) */
	while ((uuid = (uintptr_t)hmap_get(&pf->tracks, k))) {
		n = uuid - (1ull << 32) - 1;
		if (pf->ckeys[n].puuid == p->uuid && pf->ckeys[n].key == key)
			return uuid;
		k = hash_next(k);
	}
	n = pf->child_tracks++;
	uuid = (1ull << 32) + pf->child_tracks;
	if (n >= pf->nckeys) {
		pf->nckeys = 2 * n + 16;
		pf->ckeys = xrealloc(pf->ckeys, pf->nckeys * sizeof(*pf->ckeys));
	}
	pf->ckeys[n].puuid = p->uuid;
	pf->ckeys[n].key = key;
	hmap_put(&pf->tracks, k, (void *)(uintptr_t)uuid);
	td.has_uuid = 1;
	td.uuid = uuid;
	td.has_parent_uuid = 1;
	td.parent_uuid = p->uuid;
	td.name = (char *)name;
	if (unit) {
		cd.has_unit = 1;
		cd.unit = unit;
		td.counter = &cd;
	}
	put_track(pf, &td);
	return uuid;
}

/* ---- timeline callbacks ---- */

static void pf_process(void *u, struct ana_tl_proc *p)
{
	process_track(u, p);
}

static void pf_thread(void *u, struct ana_tl_thread *th)
{
	thread_track(u, th, NULL);
}

static void slice_anns(struct pf *pf, struct anns *a,
		       const struct ana_tl_slice *s, char *stack, size_t size)
{
	const struct ana_block *b = s->b;
	char *nl;

	if (b->has_fd) {
		ann_int(pf, a, "fd", (int64_t)b->obj);
		if (s->fd_name)
			ann_str(pf, a, "fd_name", s->fd_name);
	} else if (b->obj) {
		ann_ptr(pf, a, "object", b->obj);
		if (s->obj_name)
			ann_str(pf, a, "object_name", s->obj_name);
	}
	if (b->bytes >= 0)
		ann_int(pf, a, "bytes", b->bytes);
	ann_int(pf, a, "result", b->result);
	if (b->holder)
		ann_int(pf, a, "holder", b->holder);
	if (b->waker)
		ann_int(pf, a, "waker", b->waker);
	if (s->stack && s->stack->n) {
		ana_tl_stack_str(pf->tl, s->stack, "\n", stack, size);
		if (s->stack->n > 1)
			ann_str(pf, a, "stack", stack);
		nl = strchr(stack, '\n');
		if (nl)
			*nl = 0;
		ann_str(pf, a, "callsite", stack);
	}
	if (b->unfinished)
		ann_str(pf, a, "unfinished", ana_unfinished_at(&pf->tl->t,
							b->start + b->dur));
}

static void pf_slice(void *u, struct ana_tl_thread *th,
		     const struct ana_tl_slice *s)
{
	struct pf *pf = u;
	char stack[4096];
	struct anns a = { .n = 0 };
	TrackEvent te;
	uint64_t cat;

	if (s->aggregated)
		return;		/* in an aggregate: pf_aggregate() */
	event_init(pf, &te, &cat,
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN,
		   th->uuid, s->name, s->cat);
	slice_anns(pf, &a, s, stack, sizeof(stack));
	te.n_debug_annotations = a.n;
	te.debug_annotations = a.p;
	put_event(pf, s->b->start, &te);
	event_init(pf, &te, &cat,
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END,
		   th->uuid, NULL, s->cat);
	put_event(pf, s->b->start + s->b->dur, &te);
}

static void pf_residue(void *u, struct ana_tl_thread *th,
		       const struct ana_tl_residue *r)
{
	static const char *const share[3] = { "running", "runnable",
					      "unknown" };
	static const char *const share_ns[3] = { "running_ns", "runnable_ns",
						 "unknown_ns" };
	const uint64_t ns[3] = { r->split.running, r->split.runnable,
				 r->split.unknown };
	struct pf *pf = u;
	struct anns a = { .n = 0 };
	char pct[3][16];
	double v[3];
	TrackEvent te;
	uint64_t cat;
	int k;

	if (r->aggregated)
		return;
	event_init(pf, &te, &cat,
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN,
		   th->uuid, ana_state_name(r->state), (enum ana_tl_cat)r->state);
	ana_tl_pct(&r->split, v);
	for (k = 0; k < 3; k++) {
		snprintf(pct[k], sizeof(pct[k]), "%.0f%%", v[k]);
		ann_str(pf, &a, share[k], pct[k]);
	}
	for (k = 0; k < 3; k++)
		ann_int(pf, &a, share_ns[k], (int64_t)ns[k]);
	ann_str(pf, &a, "readings", r->measured ? "between two" :
		"none on one side");
	te.n_debug_annotations = a.n;
	te.debug_annotations = a.p;
	put_event(pf, r->start, &te);
	event_init(pf, &te, &cat,
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END,
		   th->uuid, NULL, (enum ana_tl_cat)r->state);
	put_event(pf, r->start + r->dur, &te);
}

/* short slices of one bucket: a slice over them, their figures by state */
static void pf_aggregate(void *u, struct ana_tl_thread *th,
			 const struct ana_tl_agg *g)
{
	static const char *const n_name[ANA_NSTATES] = {
		"running_n", "runnable_n", "sync_n", "io_n", "wait_n",
		"sleep_n", "join_n", "unknown_n" };
	static const char *const ns_name[ANA_NSTATES] = {
		"running_ns", "runnable_ns", "sync_ns", "io_ns", "wait_ns",
		"sleep_ns", "join_ns", "unknown_ns" };
	struct pf *pf = u;
	struct anns a = { .n = 0 };
	char name[64];
	TrackEvent te;
	uint64_t cat;
	int k;

	_Static_assert(ANA_NSTATES == 8, "a name per state");
	_Static_assert(MAX_ANNS >= 3 + 2 * 4, "annotations of an aggregate");
	event_init(pf, &te, &cat,
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN,
		   th->uuid, "short slices", (enum ana_tl_cat)g->state);
	snprintf(name, sizeof(name), "%" PRIu64 " short slices", g->count);
	te.name_field_case = PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME;
	te.name = name;
	ann_int(pf, &a, "count", (int64_t)g->count);
	ann_int(pf, &a, "total_ns", (int64_t)g->total);
	ann_int(pf, &a, "bucket_ns", (int64_t)pf->tl->width);
	/* a bucket mixes at most a few states; the rest would be zeros */
	for (k = 0; k < ANA_NSTATES && a.n + 2 <= MAX_ANNS; k++) {
		if (!g->n[k])
			continue;
		ann_int(pf, &a, n_name[k], (int64_t)g->n[k]);
		ann_int(pf, &a, ns_name[k], (int64_t)g->ns[k]);
	}
	te.n_debug_annotations = a.n;
	te.debug_annotations = a.p;
	put_event(pf, g->start, &te);
	event_init(pf, &te, &cat,
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END,
		   th->uuid, NULL, (enum ana_tl_cat)g->state);
	put_event(pf, g->start + g->dur, &te);
}

static void pf_sample(void *u, struct ana_tl_thread *th,
		      const struct ana_tl_sample *s)
{
	Perfetto__Protos__PerfSample ps = PERFETTO__PROTOS__PERF_SAMPLE__INIT;
	Packet pk = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	struct pf *pf = u;

	ps.has_pid = 1;
	ps.pid = th->proc->p->pid;
	ps.has_tid = 1;
	ps.tid = th->tid;
	if (s->stack && s->stack->n) {
		ps.has_callstack_iid = 1;
		ps.callstack_iid = prof_stack(pf, s->stack, s->stack_id);
	}
	pk.has_timestamp = 1;
	pk.timestamp = s->ts;
	pk.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_PERF_SAMPLE;
	pk.perf_sample = &ps;
	put(pf, &pk);
	pf->samples++;
}

static void pf_region(void *u, struct ana_tl_thread *th, int begin,
		      uint64_t ts, const char *name)
{
	struct pf *pf = u;
	TrackEvent te;
	uint64_t cat;

	event_init(pf, &te, &cat, begin ?
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN :
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END,
		   th->uuid, name, TL_USER);
	put_event(pf, ts, &te);
}

static void pf_task(void *u, struct ana_tl_proc *p, int begin, uint64_t ts,
		    uint64_t id, const char *name)
{
	struct pf *pf = u;
	char tname[128];
	struct anns a = { .n = 0 };
	TrackEvent te;
	uint64_t cat, track;

	snprintf(tname, sizeof(tname), "task %llu %s", (unsigned long long)id,
		 name);
	track = child_track(pf, p, id * 4 + 3, tname, 0);
	event_init(pf, &te, &cat, begin ?
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN :
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END,
		   track, name, TL_USER);
	if (begin) {
		ann_int(pf, &a, "task", id);
		te.n_debug_annotations = a.n;
		te.debug_annotations = a.p;
	}
	put_event(pf, ts, &te);
}

static void pf_instant(void *u, struct ana_tl_proc *p,
		       struct ana_tl_thread *th, uint64_t ts,
		       enum ana_tl_cat cat, const char *name,
		       const char *detail)
{
	struct pf *pf = u;
	struct anns a = { .n = 0 };
	TrackEvent te;
	uint64_t ciid;

	event_init(pf, &te, &ciid,
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_INSTANT,
		   th ? th->uuid : p->uuid, name, cat);
	if (detail && *detail) {
		ann_str(pf, &a, cat == TL_USER ? "message" : "detail", detail);
		te.n_debug_annotations = a.n;
		te.debug_annotations = a.p;
	}
	put_event(pf, ts, &te);
}

static void pf_flow(void *u, enum ana_tl_cat kind, uint64_t id,
		    struct ana_tl_thread *from, uint64_t ts0,
		    struct ana_tl_thread *to, uint64_t ts1)
{
	struct pf *pf = u;
	int create = kind == TL_THREAD;
	TrackEvent te;
	uint64_t cat;

	event_init(pf, &te, &cat,
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_INSTANT,
		   from->uuid, create ? "thread_create" : "wake", kind);
	te.n_flow_ids = 1;
	te.flow_ids = &id;
	put_event(pf, ts0, &te);
	event_init(pf, &te, &cat,
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_INSTANT,
		   to->uuid, create ? "thread_start" : "woken", kind);
	te.n_terminating_flow_ids = 1;
	te.terminating_flow_ids = &id;
	put_event(pf, ts1, &te);
}

static void pf_counter(void *u, struct ana_tl_proc *p,
		       enum ana_tl_counter c, uint64_t ts, double value)
{
	struct pf *pf = u;
	TrackEvent te;
	uint64_t cat;

	event_init(pf, &te, &cat,
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_COUNTER,
		   child_track(pf, p, c * 4 + 1, ana_tl_counter_label(pf->tl, c),
			       c == TL_CNT_HEAP ?
			       PERFETTO__PROTOS__COUNTER_DESCRIPTOR__UNIT__UNIT_SIZE_BYTES :
			       PERFETTO__PROTOS__COUNTER_DESCRIPTOR__UNIT__UNIT_COUNT),
		   NULL, TL_HEAP);
	if (c == TL_CNT_HEAP) {
		te.counter_value_field_case =
			PERFETTO__PROTOS__TRACK_EVENT__COUNTER_VALUE_FIELD_COUNTER_VALUE;
		te.counter_value = (int64_t)value;
	} else {
		te.counter_value_field_case =
			PERFETTO__PROTOS__TRACK_EVENT__COUNTER_VALUE_FIELD_DOUBLE_COUNTER_VALUE;
		te.double_counter_value = value;
	}
	put_event(pf, ts, &te);
}

/* what the resolution did, as an instant on a track of its own */
static void pf_note(struct pf *pf)
{
	TrackDesc td = PERFETTO__PROTOS__TRACK_DESCRIPTOR__INIT;
	struct anns a = { .n = 0 };
	char note[512];
	TrackEvent te;
	uint64_t cat;

	if (!pf->tl->width)
		return;
	td.has_uuid = 1;
	td.uuid = (1ull << 32) + ++pf->child_tracks;
	td.name = "ctrace";
	put_track(pf, &td);
	event_init(pf, &te, &cat,
		   PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_INSTANT, td.uuid,
		   "resolution", TL_PROCESS);
	ann_str(pf, &a, "note", ana_tl_note(pf->tl, note, sizeof(note)));
	ann_int(pf, &a, "bucket_ns", (int64_t)pf->tl->width);
	te.n_debug_annotations = a.n;
	te.debug_annotations = a.p;
	put_event(pf, pf->tl->begin, &te);
}

/* names are known only now: describe every thread again, named */
static void pf_done(void *u)
{
	struct pf *pf = u;
	struct ana_tl *tl = pf->tl;
	char name[256];
	size_t i, j;

	pf_note(pf);
	for (i = 0; i < tl->nprocs; i++)
		for (j = 0; j < tl->procs[i]->nthreads; j++) {
			struct ana_tl_thread *th = tl->procs[i]->threads[j];

			thread_track(pf, th, ana_tl_thread_title(tl, th, name,
								 sizeof(name)));
		}
}

int ana_export_perfetto(struct ana_tl *tl, const char *out)
{
	static const struct ana_tl_ops ops = {
		.process = pf_process,
		.thread = pf_thread,
		.slice = pf_slice,
		.residue = pf_residue,
		.aggregate = pf_aggregate,
		.sample = pf_sample,
		.region = pf_region,
		.task = pf_task,
		.instant = pf_instant,
		.flow = pf_flow,
		.counter = pf_counter,
		.done = pf_done,
	};
	struct pf pf = { 0 };
	Packet first = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	Perfetto__Protos__TracePacketDefaults defaults =
		PERFETTO__PROTOS__TRACE_PACKET_DEFAULTS__INIT;
	int status, k;
	size_t i;

	pf.path = out;
	pf.tl = tl;
	pf.pn = xcalloc(1, sizeof(*pf.pn));
	pf.f = ana_tl_out(out);
	defaults.has_timestamp_clock_id = 1;
	defaults.timestamp_clock_id =
		PERFETTO__PROTOS__BUILTIN_CLOCK__BUILTIN_CLOCK_MONOTONIC;
	first.trace_packet_defaults = &defaults;
	put(&pf, &first);	/* clears the sequence's incremental state */
	status = ana_tl_run(tl, &ops, &pf);
	ana_tl_close(pf.f, out);
	for (k = 0; k < IN_KINDS; k++) {
		for (i = 0; i < pf.intern[k].cap; i++)
			free(pf.intern[k].ents[i].val);
		hmap_free(&pf.intern[k]);
	}
	hmap_free(&pf.tracks);
	free(pf.ckeys);
	for (i = 0; i < pf.frames.cap; i++)
		free(pf.frames.ents[i].val);
	hmap_free(&pf.frames);
	hmap_free(&pf.stacks);
	hmap_free(&pf.maps);
	free(pf.pn);
	free(pf.buf);
	return status;
}

/*
 * ctrace export [--format perfetto|json] [-o <out>] <file>
 * The output defaults to <file>.pftrace or <file>.json; "-" is stdout.
 */
int ana_cmd_export(const struct ana_args *a)
{
	const char *out = a->out, *in;
	long buckets = ana_tl_buckets(a);
	int json = a->format && !strcmp(a->format, "json"), status;
	struct ana_tl tl;
	char *def = NULL;

	in = ana_args_file(a);
	if (!out) {
		if (!strcmp(in, "-"))
			die(EXIT_USAGE, "export: reading stdin needs -o");
		def = xmalloc(strlen(in) + 16);
		sprintf(def, "%s.%s", in, json ? "json" : "pftrace");
		out = def;
	}
	ana_tl_open(&tl, in, buckets);
	status = json ? ana_export_json(&tl, out) :
		 ana_export_perfetto(&tl, out);
	free(def);
	return status;
}
