/*
 * pprof.c - a profile as pprof's profile.proto, gzip-compressed, for
 * `go tool pprof` and the tools that read it.
 *
 * CPU profiles look like Go's (samples/count, cpu/nanoseconds, the period
 * in cpu/nanoseconds), block profiles like Go's (contentions/count,
 * delay/nanoseconds), heap profiles like Go's heap profile (alloc_objects,
 * alloc_space, inuse_objects, inuse_space; sampled heaps scaled, with the
 * rate as the period).  Each distinct (image, address) is one Location, in
 * the Mapping of its module; its Function is what the trace names the
 * address, or "module+0xoffset" as the text output says when only its
 * module is known.  A blocking sample's innermost Location is its call
 * (pthread_cond_wait, read), in no mapping.  Samples carry labels: pid,
 * tid, and call, object or fd where the kind has them.  Messages are built
 * with protobuf-c's generated code (analyzer/proto/profile.proto).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "log.h"
#include "profile.h"
#include "profile.pb-c.h"
#include "symbols.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Label Label;

/* the image of the pseudo locations of stack-less samples */
#define PSEUDO_IMAGE	UINT64_MAX
/* the image of the call locations, addr the call's name */
#define CALL_IMAGE	(UINT64_MAX - 1)

/* sample labels: pid tid call object|fd */
#define MAX_LABELS	4

struct map;

struct loc {
	uint64_t image, addr;
	int exact;		/* addr is the instruction, not a return
				 * address */
	struct map *map;	/* its module's, or NULL */
	Location m;
	Line line, *linep;
	Line *inl, **inlp;	/* the Lines of an inline chain, or NULL */
};

/* one module of one or more images (a fork child shares its parent's) */
struct map {
	struct ana_modinfo mi;
	uint64_t image;		/* the first image it was found in */
	int is_main;		/* the program of that image */
	int func, file, line;	/* every Location in it has a name, file,
				 * line (until one lacks it) */
	int inl;		/* some Location in it has an inline chain */
	char *id;		/* build id in hex */
	Mapping m;
};

struct fn {
	int64_t name, file;
	Function m;
};

struct builder {
	const struct ana_trace *t;
	char **strs;			/* the string table */
	size_t nstrs;
	struct hmap str_ids;		/* hash -> index + 1 */
	struct loc **locs;
	size_t nlocs;
	struct hmap loc_ids;		/* hash -> index + 1 */
	struct fn **fns;
	size_t nfns;
	struct hmap fn_ids;		/* (name, file) -> index + 1 */
	struct map **maps;
	size_t nmaps;
	struct hmap map_ids;		/* hash of a module -> index + 1 */
	struct hmap images;		/* images with Locations -> 1 */
};

static int64_t str_id(struct builder *bd, const char *s)
{
	uint64_t key = hash_str(s);
	uintptr_t v;

	while ((v = (uintptr_t)hmap_get(&bd->str_ids, key))) {
		if (!strcmp(bd->strs[v - 1], s))
			return v - 1;
		key = hash_next(key);
	}
	bd->strs = xrealloc(bd->strs, (bd->nstrs + 1) * sizeof(*bd->strs));
	bd->strs[bd->nstrs] = xstrdup(s);
	hmap_put(&bd->str_ids, key, (void *)(uintptr_t)(bd->nstrs + 1));
	return bd->nstrs++;
}

static uint64_t fn_id(struct builder *bd, const char *name, const char *file)
{
	int64_t n = str_id(bd, name), f = file ? str_id(bd, file) : 0;
	uint64_t key = (uint64_t)n << 32 | (uint64_t)f;
	uintptr_t v = (uintptr_t)hmap_get(&bd->fn_ids, key);
	struct fn *fn;

	if (v)
		return v;
	fn = xcalloc(1, sizeof(*fn));
	perftools__profiles__function__init(&fn->m);
	fn->m.id = bd->nfns + 1;
	fn->m.name = n;
	fn->m.system_name = n;
	fn->m.filename = f;
	bd->fns = xrealloc(bd->fns, (bd->nfns + 1) * sizeof(*bd->fns));
	bd->fns[bd->nfns++] = fn;
	hmap_put(&bd->fn_ids, key, (void *)(uintptr_t)fn->m.id);
	return fn->m.id;
}

/* ---- mappings ---- */

static uint64_t hash_mod(const struct ana_modinfo *mi)
{
	return hash_mix(hash_mix(hash_mix(hash_str(mi->path), mi->lo),
				 mi->hi), mi->bias);
}

static int same_mod(const struct ana_modinfo *a, const struct ana_modinfo *b)
{
	return a->lo == b->lo && a->hi == b->hi && a->bias == b->bias &&
	       a->idlen == b->idlen && !strcmp(a->path, b->path) &&
	       !memcmp(a->buildid, b->buildid, a->idlen);
}

/* the mapping of module mi of image, new if no image had it yet */
static struct map *map_of(struct builder *bd, uint64_t image,
			  const struct ana_modinfo *mi)
{
	uint64_t key = hash_mod(mi);
	struct map *mp;
	uintptr_t v;
	size_t i;

	while ((v = (uintptr_t)hmap_get(&bd->map_ids, key))) {
		if (same_mod(&bd->maps[v - 1]->mi, mi))
			return bd->maps[v - 1];
		key = hash_next(key);
	}
	mp = xcalloc(1, sizeof(*mp));
	mp->mi = *mi;
	mp->image = image;
	mp->func = mp->file = mp->line = 1;
	mp->id = xcalloc(2 * mi->idlen + 1, 1);
	for (i = 0; i < mi->idlen; i++)
		snprintf(mp->id + 2 * i, 3, "%02x", mi->buildid[i]);
	bd->maps = xrealloc(bd->maps, (bd->nmaps + 1) * sizeof(*bd->maps));
	bd->maps[bd->nmaps++] = mp;
	hmap_put(&bd->map_ids, key, (void *)(uintptr_t)bd->nmaps);
	return mp;
}

/* the program of image: the module its exe names, else its first */
static void find_main(struct builder *bd, uint64_t image)
{
	const struct ana_proc *p = hmap_get(&bd->t->images, image);
	const char *exe = p && p->exe ? p->exe->s : NULL, *b;
	struct ana_modinfo mi, first;
	size_t i;

	for (i = 0; !ana_module_get(bd->t, image, i, &mi); i++) {
		if (!i)
			first = mi;
		b = strrchr(mi.path, '/');
		b = b ? b + 1 : mi.path;
		if (exe && (!strcmp(mi.path, exe) ||
			    !strcmp(b, strrchr(exe, '/') ? strrchr(exe, '/') + 1
							 : exe))) {
			map_of(bd, image, &mi)->is_main = 1;
			return;
		}
	}
	/* the dynamic linker lists the program first */
	if (i)
		map_of(bd, image, &first)->is_main = 1;
}

static int map_cmp(const void *a, const void *b)
{
	const struct map *x = *(void *const *)a, *y = *(void *const *)b;

	if (x->is_main != y->is_main)
		return x->is_main ? -1 : 1;
	return x->m.id < y->m.id ? -1 : x->m.id > y->m.id;
}

/*
 * Every module of the images the samples are in, the programs first
 * (pprof takes mapping 1 for the main binary), numbered, and each
 * Location tied to its module's.
 */
static void build_maps(struct builder *bd)
{
	struct ana_modinfo mi;
	uint64_t image;
	struct map *mp;
	size_t i, k;

	for (i = 0; i < bd->t->nprocs; i++) {
		image = bd->t->procs[i]->image;
		if (!hmap_get(&bd->images, image + 1))
			continue;
		find_main(bd, image);
		for (k = 0; !ana_module_get(bd->t, image, k, &mi); k++)
			map_of(bd, image, &mi);
	}
	for (i = 0; i < bd->nmaps; i++)
		bd->maps[i]->m.id = i + 1;	/* first seen first */
	if (bd->nmaps)
		qsort(bd->maps, bd->nmaps, sizeof(*bd->maps), map_cmp);
	for (i = 0; i < bd->nmaps; i++) {
		mp = bd->maps[i];
		perftools__profiles__mapping__init(&mp->m);
		mp->m.id = i + 1;
		mp->m.memory_start = mp->mi.lo;
		/* mapped in whole pages: the range ends at a page's end */
		mp->m.memory_limit = (mp->mi.hi + 4095) & ~4095ull;
		/*
		 * lo is where the object's first PT_LOAD segment lies (the
		 * preload's lowest p_vaddr + bias, or the file's first line
		 * in /proc/PID/maps), and that segment starts the file in
		 * what linkers write: file offset 0.
		 */
		mp->m.file_offset = 0;
		mp->m.filename = str_id(bd, mp->mi.path);
		mp->m.build_id = str_id(bd, mp->id);
	}
	for (i = 0; i < bd->nlocs; i++) {
		mp = bd->locs[i]->map;
		if (!mp)
			continue;
		bd->locs[i]->m.mapping_id = mp->m.id;
	}
	for (i = 0; i < bd->nmaps; i++) {
		mp = bd->maps[i];
		mp->m.has_functions = mp->func;
		mp->m.has_filenames = mp->file;
		mp->m.has_line_numbers = mp->line;
		mp->m.has_inline_frames = mp->inl;
	}
}

/* ---- locations ---- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * A location with calls inlined at it has a Line per function, "the
 * last entry represents the caller into which the preceding entries
 * were inlined" (profile.proto, Location.line): the inlined functions
 * innermost first, then the one the symbol table names.
 */
static void describe_inline(struct builder *bd, struct loc *l,
			    const struct ana_sym *sym)
{
	uint32_t i, n = sym->ninl;

	l->inl = xcalloc(n + 1, sizeof(*l->inl));
	l->inlp = xcalloc(n + 1, sizeof(*l->inlp));
	for (i = 0; i <= n; i++) {
		const struct ana_sym *s = i < n ? &sym->inl[i] : sym;

		perftools__profiles__line__init(&l->inl[i]);
		if (i == n)
			l->inl[i] = l->line;
		else
			l->inl[i].function_id = fn_id(bd, s->func ? s->func :
						      "?", s->file);
		l->inl[i].line = i < n ? s->line : sym->line;
		l->inlp[i] = &l->inl[i];
	}
	l->m.n_line = n + 1;
	l->m.line = l->inlp;
}

/*
 * The Location of addr in image: its module's Mapping, and one Line
 * naming it (the symbol, else "module+0xoffset", else the address, as the
 * text output names frames).  Stack frames are return addresses: the
 * Location's address is one byte back, inside the call, as pprof expects
 * of a non-leaf frame; a CPU sample's leaf is the instruction itself.
 */
static void describe(struct builder *bd, struct loc *l, unsigned type)
{
	const struct fmt_event_info *in;
	const struct ana_sym *sym = NULL;
	struct ana_modinfo mi;
	char name[512];

	l->m.address = l->exact || !l->addr ? l->addr : l->addr - 1;
	if (l->image == PSEUDO_IMAGE || l->image == CALL_IMAGE) {
		in = fmt_event_info(type);
		if (l->image == CALL_IMAGE)
			snprintf(name, sizeof(name), "%s",
				 (const char *)(uintptr_t)l->addr);
		else
			snprintf(name, sizeof(name), "[%s]",
				 in ? in->name : "?");
		l->m.address = 0;
		l->line.function_id = fn_id(bd, name, NULL);
	} else {
		hmap_put(&bd->images, l->image + 1, (void *)1);
		if (!ana_module_at(bd->t, l->image, l->addr, &mi))
			l->map = map_of(bd, l->image, &mi);
		sym = ana_symbol(bd->t, l->image, l->addr);
		if (l->map) {
			l->map->func &= sym && sym->func;
			l->map->file &= sym && sym->file;
			l->map->line &= sym && sym->line;
		}
		if (sym && sym->func) {
			l->line.function_id = fn_id(bd, sym->func, sym->file);
			l->line.line = sym->line;
			if (sym->ninl) {
				if (l->map)
					l->map->inl = 1;
				describe_inline(bd, l, sym);
				return;
			}
		} else {
			if (sym && sym->module)
				snprintf(name, sizeof(name), "%s+0x%" PRIx64,
					 base_name(sym->module),
					 sym->module_off);
			else
				snprintf(name, sizeof(name), "0x%" PRIx64,
					 l->addr);
			l->line.function_id = fn_id(bd, name, NULL);
		}
	}
	l->linep = &l->line;
	l->m.n_line = 1;
	l->m.line = &l->linep;
}

static uint64_t loc_id(struct builder *bd, uint64_t image, uint64_t addr,
		       int exact, unsigned type)
{
	uint64_t key = hash_mix(hash_mix(image, addr), exact);
	struct loc *l;
	uintptr_t v;

	while ((v = (uintptr_t)hmap_get(&bd->loc_ids, key))) {
		l = bd->locs[v - 1];
		if (l->image == image && l->addr == addr && l->exact == exact)
			return v;
		key = hash_next(key);
	}
	l = xcalloc(1, sizeof(*l));
	perftools__profiles__location__init(&l->m);
	perftools__profiles__line__init(&l->line);
	l->image = image;
	l->addr = addr;
	l->exact = exact;
	l->m.id = bd->nlocs + 1;
	describe(bd, l, type);
	bd->locs = xrealloc(bd->locs, (bd->nlocs + 1) * sizeof(*bd->locs));
	bd->locs[bd->nlocs++] = l;
	hmap_put(&bd->loc_ids, key, (void *)(uintptr_t)l->m.id);
	return l->m.id;
}

/* sample types by kind: {type, unit} pairs */
static size_t sample_types(enum ana_prof_kind kind, const char **names)
{
	static const char *const cpu[] = {
		"samples", "count", "cpu", "nanoseconds",
	};
	static const char *const block[] = {
		"contentions", "count", "delay", "nanoseconds",
	};
	static const char *const wakeup[] = {
		"wakeups", "count", "latency", "nanoseconds",
	};
	static const char *const heap[] = {
		"alloc_objects", "count", "alloc_space", "bytes",
		"inuse_objects", "count", "inuse_space", "bytes",
	};
	const char *const *src = block;
	size_t n = 2;

	if (kind == ANA_PROF_CPU) {
		src = cpu;
	} else if (kind == ANA_PROF_WAKEUP) {
		src = wakeup;
	} else if (kind == ANA_PROF_HEAP) {
		src = heap;
		n = 4;
	} else if (kind == ANA_PROF_LEAKS) {
		src = heap + 4;		/* leaked = in use at the end */
	}
	memcpy(names, src, 2 * n * sizeof(*names));
	return n;
}

/* pid, tid, and call, object or fd, as the sample has them */
static void build_labels(struct builder *bd, Sample *m,
			 const struct ana_psample *s)
{
	Label *lb = xcalloc(MAX_LABELS, sizeof(*lb));
	char hex[24];
	size_t n = 0, i;

	m->label = xcalloc(MAX_LABELS, sizeof(*m->label));
	for (i = 0; i < MAX_LABELS; i++)
		perftools__profiles__label__init(&lb[i]);
	if (s->pid) {
		lb[n].key = str_id(bd, "pid");
		lb[n++].num = s->pid;
		lb[n].key = str_id(bd, "tid");
		lb[n++].num = s->tid;
	}
	if (s->call) {
		lb[n].key = str_id(bd, "call");
		lb[n++].str = str_id(bd, s->call);
	}
	if (s->has_fd) {
		lb[n].key = str_id(bd, "fd");
		lb[n++].num = s->obj;
	} else if (s->has_obj) {
		snprintf(hex, sizeof(hex), "0x%" PRIx64, s->obj);
		lb[n].key = str_id(bd, "object");
		lb[n++].str = str_id(bd, hex);
	}
	for (i = 0; i < n; i++)
		m->label[i] = &lb[i];
	m->n_label = n;
	if (!n)
		free(lb);
}

static void build_sample(struct builder *bd, Sample *m,
			 const struct ana_psample *s, size_t nv, int cpu)
{
	const struct ana_stack *st = s->stack ? ana_stack(bd->t, s->stack) :
				     NULL;
	size_t i, n = st && st->n ? st->n : 1, c = s->call ? 1 : 0;

	perftools__profiles__sample__init(m);
	m->n_value = nv;
	m->value = xcalloc(nv, sizeof(*m->value));
	memcpy(m->value, s->v, nv * sizeof(*m->value));
	m->n_location_id = c + n;
	m->location_id = xcalloc(m->n_location_id, sizeof(*m->location_id));
	/* the blocking call, innermost */
	if (c)
		m->location_id[0] = loc_id(bd, CALL_IMAGE,
					   (uintptr_t)s->call, 1, s->type);
	build_labels(bd, m, s);
	if (!st || !st->n) {
		m->location_id[c] = loc_id(bd, PSEUDO_IMAGE, s->type, 1,
					   s->type);
		return;
	}
	/* a CPU sample's leaf is the interrupted instruction */
	for (i = 0; i < st->n; i++)
		m->location_id[c + i] = loc_id(bd, st->image, st->frames[i],
					       cpu && !i, 0);
}

/* heap: how it was recorded, for `go tool pprof -comments` */
static size_t comments(struct builder *bd, const struct ana_prof *pr,
		       int64_t *ids)
{
	char buf[96];
	size_t n = 0;

	/* served stdio calls were not timed: in no sample, said here */
	if (pr->served) {
		snprintf(buf, sizeof(buf), "%" PRIu64 " stdio call%s served "
			 "from the stream buffer, not timed (in no sample)",
			 pr->served, pr->served == 1 ? "" : "s");
		ids[n++] = str_id(bd, buf);
	}
	if (pr->kind != ANA_PROF_HEAP && pr->kind != ANA_PROF_LEAKS)
		return n;
	if (pr->sampled_heap && ana_heap_sampling(bd->t, buf, sizeof(buf)))
		ids[n++] = str_id(bd, buf);
	if (pr->hs.recorded && pr->hs.max_frames <= 1)
		ids[n++] = str_id(bd, ANA_HEAP_ONE_FRAME);
	return n;
}

/* gzip (deflate with a gzip header: windowBits 15 + 16) to f */
static int gzip_to(const uint8_t *buf, size_t len, FILE *f)
{
	uint8_t out[65536];
	z_stream z;
	int rc, err = 0;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		die(EXIT_FAIL, "cannot start zlib");
	z.next_in = (uint8_t *)buf;
	z.avail_in = len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		rc = deflate(&z, Z_FINISH);
		if (fwrite(out, 1, sizeof(out) - z.avail_out, f) !=
		    sizeof(out) - z.avail_out)
			err = -1;
	} while (rc == Z_OK);
	deflateEnd(&z);
	return rc == Z_STREAM_END ? err : -1;
}

static void free_builder(struct builder *bd, Sample *samples, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(samples[i].value);
		free(samples[i].location_id);
		if (samples[i].n_label)
			free(samples[i].label[0]);
		free(samples[i].label);
	}
	for (i = 0; i < bd->nmaps; i++) {
		free(bd->maps[i]->id);
		free(bd->maps[i]);
	}
	free(bd->maps);
	hmap_free(&bd->map_ids);
	hmap_free(&bd->images);
	for (i = 0; i < bd->nstrs; i++)
		free(bd->strs[i]);
	for (i = 0; i < bd->nlocs; i++) {
		free(bd->locs[i]->inl);
		free(bd->locs[i]->inlp);
		free(bd->locs[i]);
	}
	for (i = 0; i < bd->nfns; i++)
		free(bd->fns[i]);
	free(bd->strs);
	free(bd->locs);
	free(bd->fns);
	hmap_free(&bd->str_ids);
	hmap_free(&bd->loc_ids);
	hmap_free(&bd->fn_ids);
}

int ana_pprof_write(const struct ana_trace *t, const struct ana_prof *pr,
		    FILE *f)
{
	struct ana_psample **arr = ana_prof_sorted(pr);
	struct builder bd = { .t = t };
	Profile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	ValueType vt[4], *vtp[4], period;
	const char *names[8];
	Sample *samples, **sp;
	Location **lp;
	Function **fp;
	Mapping **mp;
	int64_t notes[3];
	size_t nv, i, ns = 0, len;
	uint8_t *buf;
	int err;

	str_id(&bd, "");
	nv = sample_types(pr->kind, names);
	for (i = 0; i < nv; i++) {
		perftools__profiles__value_type__init(&vt[i]);
		vt[i].type = str_id(&bd, names[2 * i]);
		vt[i].unit = str_id(&bd, names[2 * i + 1]);
		vtp[i] = &vt[i];
	}
	samples = xcalloc(pr->nsamples + 1, sizeof(*samples));
	sp = xcalloc(pr->nsamples + 1, sizeof(*sp));
	for (i = 0; i < pr->nsamples; i++) {
		if (!arr[i]->v[0] && !arr[i]->v[1] && !arr[i]->v[2])
			continue;	/* heap: nothing to show here */
		build_sample(&bd, &samples[ns], arr[i], nv,
			     pr->kind == ANA_PROF_CPU);
		sp[ns] = &samples[ns];
		ns++;
	}
	build_maps(&bd);
	mp = xcalloc(bd.nmaps + 1, sizeof(*mp));
	for (i = 0; i < bd.nmaps; i++)
		mp[i] = &bd.maps[i]->m;
	lp = xcalloc(bd.nlocs + 1, sizeof(*lp));
	for (i = 0; i < bd.nlocs; i++)
		lp[i] = &bd.locs[i]->m;
	fp = xcalloc(bd.nfns + 1, sizeof(*fp));
	for (i = 0; i < bd.nfns; i++)
		fp[i] = &bd.fns[i]->m;
	perftools__profiles__value_type__init(&period);
	period.type = vt[0].type;
	period.unit = vt[0].unit;
	prof.period = 1;
	if (pr->kind == ANA_PROF_HEAP || pr->kind == ANA_PROF_LEAKS) {
		period.type = str_id(&bd, "space");
		period.unit = str_id(&bd, "bytes");
		/* as Go's: the mean bytes between samples, 1 when exact
		 * (the values are scaled already) */
		if (pr->sampled_heap && pr->hs.rate)
			prof.period = pr->hs.rate;
	} else if (pr->kind == ANA_PROF_CPU) {
		/* as Go's: one sample per period ns of CPU time */
		period.type = vt[1].type;
		period.unit = vt[1].unit;
		prof.period = pr->cs.period;
	}
	prof.n_sample_type = nv;
	prof.sample_type = vtp;
	prof.n_sample = ns;
	prof.sample = sp;
	prof.n_mapping = bd.nmaps;
	prof.mapping = mp;
	prof.n_location = bd.nlocs;
	prof.location = lp;
	prof.n_function = bd.nfns;
	prof.function = fp;
	prof.period_type = &period;
	prof.n_comment = comments(&bd, pr, notes);
	prof.comment = notes;
	prof.time_nanos = t->h.start_realtime;
	prof.duration_nanos = t->st.have_ts ? t->st.last_ts - t->st.first_ts :
			      0;
	prof.n_string_table = bd.nstrs;
	prof.string_table = bd.strs;
	len = perftools__profiles__profile__get_packed_size(&prof);
	buf = xmalloc(len + 1);
	perftools__profiles__profile__pack(&prof, buf);
	err = gzip_to(buf, len, f);
	free(buf);
	free(lp);
	free(fp);
	free(mp);
	free(sp);
	free_builder(&bd, samples, ns);
	free(samples);
	free(arr);
	if (err && !errno)
		errno = EIO;
	return err;
}
