/*
 * pprof.c - a profile as pprof's profile.proto, gzip-compressed, for
 * `go tool pprof` and the tools that read it.
 *
 * CPU profiles look like Go's (samples/count, cpu/nanoseconds, the period
 * in cpu/nanoseconds), block profiles like Go's (contentions/count,
 * delay/nanoseconds), heap profiles like Go's heap profile (alloc_objects,
 * alloc_space, inuse_objects, inuse_space).  Each distinct (image, address) is one
 * Location; a Location has a Line and a Function when the trace names
 * the address, and only its address otherwise.  Messages are built with
 * protobuf-c's generated code (analyzer/proto/profile.proto).
 */
#include <errno.h>
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

/* the image of the pseudo locations of stack-less samples */
#define PSEUDO_IMAGE	UINT64_MAX

struct loc {
	uint64_t image, addr;
	Location m;
	Line line, *linep;
	Line *inl, **inlp;	/* the Lines of an inline chain, or NULL */
};

struct fn {
	int64_t name, file;
	Function m;
};

struct builder {
	const struct ana_trace *t;
	char **strs;			/* the string table */
	size_t nstrs;
	struct ana_map str_ids;		/* hash -> index + 1 */
	struct loc **locs;
	size_t nlocs;
	struct ana_map loc_ids;		/* hash -> index + 1 */
	struct fn **fns;
	size_t nfns;
	struct ana_map fn_ids;		/* (name, file) -> index + 1 */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

/* probe sequence for hashes that collide: the next key to try */
static uint64_t rehash(uint64_t key)
{
	return key * 0x9e3779b97f4a7c15ull + 1;
}

static int64_t str_id(struct builder *bd, const char *s)
{
	uint64_t key = hash_str(s);
	uintptr_t v;

	while ((v = (uintptr_t)ana_map_get(&bd->str_ids, key))) {
		if (!strcmp(bd->strs[v - 1], s))
			return v - 1;
		key = rehash(key);
	}
	bd->strs = xrealloc(bd->strs, (bd->nstrs + 1) * sizeof(*bd->strs));
	bd->strs[bd->nstrs] = xstrdup(s);
	ana_map_put(&bd->str_ids, key, (void *)(uintptr_t)(bd->nstrs + 1));
	return bd->nstrs++;
}

static uint64_t fn_id(struct builder *bd, const char *name, const char *file)
{
	int64_t n = str_id(bd, name), f = file ? str_id(bd, file) : 0;
	uint64_t key = (uint64_t)n << 32 | (uint64_t)f;
	uintptr_t v = (uintptr_t)ana_map_get(&bd->fn_ids, key);
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
	ana_map_put(&bd->fn_ids, key, (void *)(uintptr_t)fn->m.id);
	return fn->m.id;
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

/* fill the location of addr in image: symbolized if the trace can */
static void describe(struct builder *bd, struct loc *l, unsigned type)
{
	const struct fmt_event_info *in;
	const struct ana_sym *sym = NULL;
	char name[64];

	l->m.address = l->addr;
	if (l->image == PSEUDO_IMAGE) {
		in = fmt_event_info(type);
		snprintf(name, sizeof(name), "[%s]", in ? in->name : "?");
		l->m.address = 0;
		l->line.function_id = fn_id(bd, name, NULL);
	} else {
		sym = ana_symbol(bd->t, l->image, l->addr);
		if (!sym || !sym->func)
			return;
		l->line.function_id = fn_id(bd, sym->func, sym->file);
		l->line.line = sym->line;
		if (sym->ninl) {
			describe_inline(bd, l, sym);
			return;
		}
	}
	l->linep = &l->line;
	l->m.n_line = 1;
	l->m.line = &l->linep;
}

static uint64_t loc_id(struct builder *bd, uint64_t image, uint64_t addr,
		       unsigned type)
{
	uint64_t key = addr ^ image * 0xff51afd7ed558ccdull;
	struct loc *l;
	uintptr_t v;

	while ((v = (uintptr_t)ana_map_get(&bd->loc_ids, key))) {
		l = bd->locs[v - 1];
		if (l->image == image && l->addr == addr)
			return v;
		key = rehash(key);
	}
	l = xcalloc(1, sizeof(*l));
	perftools__profiles__location__init(&l->m);
	perftools__profiles__line__init(&l->line);
	l->image = image;
	l->addr = addr;
	l->m.id = bd->nlocs + 1;
	describe(bd, l, type);
	bd->locs = xrealloc(bd->locs, (bd->nlocs + 1) * sizeof(*bd->locs));
	bd->locs[bd->nlocs++] = l;
	ana_map_put(&bd->loc_ids, key, (void *)(uintptr_t)l->m.id);
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

static void build_sample(struct builder *bd, Sample *m,
			 const struct ana_psample *s, size_t nv)
{
	const struct ana_stack *st = s->stack ? ana_stack(bd->t, s->stack) :
				     NULL;
	size_t i;

	perftools__profiles__sample__init(m);
	m->n_value = nv;
	m->value = xcalloc(nv, sizeof(*m->value));
	memcpy(m->value, s->v, nv * sizeof(*m->value));
	m->n_location_id = st && st->n ? st->n : 1;
	m->location_id = xcalloc(m->n_location_id, sizeof(*m->location_id));
	if (!st || !st->n) {
		m->location_id[0] = loc_id(bd, PSEUDO_IMAGE, s->type, s->type);
		return;
	}
	for (i = 0; i < st->n; i++)
		m->location_id[i] = loc_id(bd, st->image, st->frames[i], 0);
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
	}
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
	ana_map_free(&bd->str_ids);
	ana_map_free(&bd->loc_ids);
	ana_map_free(&bd->fn_ids);
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
		build_sample(&bd, &samples[ns], arr[i], nv);
		sp[ns] = &samples[ns];
		ns++;
	}
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
	prof.n_location = bd.nlocs;
	prof.location = lp;
	prof.n_function = bd.nfns;
	prof.function = fp;
	prof.period_type = &period;
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
	free(sp);
	free_builder(&bd, samples, ns);
	free(samples);
	free(arr);
	if (err && !errno)
		errno = EIO;
	return err;
}
