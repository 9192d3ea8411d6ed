/*
 * symbols.c - the analyzer's symbol table (MODULE and SYMBOL records).
 *
 * The collector resolved every address a stack or start routine uses and
 * wrote it down: SYMBOL records name single addresses, MODULE records say
 * which object spans which addresses.  Both are per image.  This file
 * keeps them in two levels of maps, image -> addr -> struct ana_sym, so a
 * lookup is two hash probes and memory follows the number of distinct
 * addresses the trace names.  An address with no SYMBOL record is named
 * by its module ("libfoo.so+0x1234") when a MODULE record covers it; that
 * answer, and "nothing known", are cached the same way.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "hash.h"
#include "symbols.h"
#include "trace.h"
#include "wire.h"

struct ana_module {
	uint64_t lo, hi, bias;
	char *path;
	uint8_t *buildid;		/* raw bytes, idlen of them */
	size_t idlen;
	int dead;			/* a later MODULE record removed it */
};

/* a DATA record: the data symbol that holds an object address */
struct data_ent {
	const char *name;
	uint64_t offset;
};

struct img_syms {
	struct hmap addrs;		/* addr -> struct sym_ent */
	struct hmap data;		/* addr -> struct data_ent */
	struct ana_module *mods;
	size_t nmods;
};

/* an entry; `known` 0 caches "the trace names nothing here" */
struct sym_ent {
	struct ana_sym s;
	int known;
	char *name;			/* owned: s.name */
	struct ana_sym *inl;		/* owned: s.inl and their names */
};

struct ana_syms {
	struct hmap images;		/* image -> struct img_syms */
};

static struct img_syms *img_of(const struct ana_trace *t, uint64_t image,
			       int create)
{
	struct ana_syms *sy = t->syms;
	struct img_syms *im;

	if (!sy) {
		if (!create)
			return NULL;
		sy = xcalloc(1, sizeof(*sy));
		((struct ana_trace *)t)->syms = sy;
	}
	im = hmap_get(&sy->images, image);
	if (!im && create) {
		im = xcalloc(1, sizeof(*im));
		hmap_put(&sy->images, image, im);
	}
	return im;
}

static const struct ana_module *module_of(const struct img_syms *im,
					  uint64_t addr)
{
	const struct ana_module *dead = NULL;
	size_t i;

	/* the newest mapping wins: a range can be reused after dlclose */
	for (i = im->nmods; i--;) {
		const struct ana_module *m = &im->mods[i];

		if (m->lo <= addr && addr < m->hi) {
			if (!m->dead)
				return m;
			if (!dead)
				dead = m;
		}
	}
	return dead;
}

/* ---- compact names ---- */

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

/*
 * A demangled C++ name without its parameter list, qualifiers and clone
 * suffix, and without spaces, so it is one token of a dump line:
 * "ns::Foo<int, long>::bar(int) const" -> "ns::Foo<int,long>::bar".
 * Remaining spaces (unsigned int, (anonymous namespace)) become '_'.
 */
static char *short_name(const char *f)
{
	size_t n = strlen(f), i, j;
	char *s = xmalloc(n + 1), *c;
	int depth = 0;

	memcpy(s, f, n + 1);
	c = strstr(s, " [clone ");
	if (c)
		*c = 0;
	c = strrchr(s, ')');
	/* only when what follows the ')' is qualifiers, not more name */
	if (c && c != s && !strpbrk(c + 1, ":<(")) {
		for (; c > s; c--) {
			depth += *c == ')';
			depth -= *c == '(';
			if (!depth)
				break;
		}
		if (c > s)
			*c = 0;
	}
	for (i = j = 0; s[i]; i++) {
		if (s[i] != ' ') {
			s[j++] = s[i];
			continue;
		}
		if (j && (s[j - 1] == ',' || (s[j - 1] == '>' &&
					      s[i + 1] == '>')))
			continue;
		s[j++] = '_';
	}
	s[j] = 0;
	return s;
}

/* ---- records ---- */

int ana_syms_module(struct ana_trace *t, const struct fmt_record *rec)
{
	struct fmt_module fm;
	struct ana_module *m;
	struct img_syms *im;
	size_t i;

	if (fmt_parse_module(rec, &fm))
		return -1;
	im = img_of(t, fm.image, 1);
	if (fm.op == FMT_MOD_DEL) {
		for (i = 0; i < im->nmods; i++)
			if (im->mods[i].lo == fm.lo)
				im->mods[i].dead = 1;
		return 0;
	}
	if (fm.op != FMT_MOD_ADD || fm.lo >= fm.hi)
		return 0;		/* an op this reader does not know */
	im->mods = xrealloc(im->mods, (im->nmods + 1) * sizeof(*im->mods));
	m = &im->mods[im->nmods++];
	m->lo = fm.lo;
	m->hi = fm.hi;
	m->bias = fm.bias;
	m->dead = 0;
	m->path = xmalloc(fm.path_len + 1);
	memcpy(m->path, fm.path, fm.path_len);
	m->path[fm.path_len] = 0;
	m->buildid = xmalloc(fm.buildid_len + 1);
	memcpy(m->buildid, fm.buildid, fm.buildid_len);
	m->idlen = fm.buildid_len;
	return 0;
}

static void ent_free(struct sym_ent *e)
{
	uint32_t i;

	for (i = 0; i < e->s.ninl; i++)
		free((char *)e->inl[i].name);
	free(e->inl);
	free(e->name);
	free(e);
}

static struct sym_ent *new_ent(struct img_syms *im, uint64_t addr)
{
	struct sym_ent *e = xcalloc(1, sizeof(*e));
	const struct ana_module *m = module_of(im, addr);
	struct sym_ent *old;

	if (m) {
		e->s.module = m->path;
		e->s.module_off = addr - m->bias;
		e->known = 1;
	}
	old = hmap_put(&im->addrs, addr, e);
	if (old)
		ent_free(old);
	return e;
}

/* a string of the trace, NULL for id 0 or an empty one */
static const char *str_of(struct ana_trace *t, uint64_t id)
{
	const struct ana_str *s = id ? ana_string(t, id) : NULL;

	if (id && !s)
		t->st.undefined_refs++;
	return s && s->len ? s->s : NULL;
}

/*
 * Minor version 1 appends the inline chain, innermost first (a version
 * 1.0 record ends before it).  A chain that does not parse is cut at its
 * last whole entry, the frame itself kept.
 */
static void read_inline(struct ana_trace *t, struct fmt_symbol *fs,
			struct sym_ent *e)
{
	uint64_t n = fs->ninl, i;
	struct fmt_inline fi;
	struct ana_sym *in;

	if (!n)
		return;
	e->inl = xcalloc(n, sizeof(*e->inl));
	for (i = 0; i < n && !fmt_symbol_inline(fs, &fi); i++) {
		in = &e->inl[i];
		in->module = e->s.module;
		in->module_off = e->s.module_off;
		in->func = str_of(t, fi.func);
		in->name = in->func ? short_name(in->func) : NULL;
		in->file = str_of(t, fi.file);
		in->line = in->file && fi.line <= UINT32_MAX ? fi.line : 0;
	}
	e->s.ninl = i;
	e->s.inl = e->inl;
}

int ana_syms_symbol(struct ana_trace *t, const struct fmt_record *rec)
{
	const struct ana_str *fs, *ls;
	struct fmt_symbol sy;
	struct sym_ent *e;

	if (fmt_parse_symbol(rec, &sy))
		return -1;
	fs = sy.func ? ana_string(t, sy.func) : NULL;
	ls = sy.file ? ana_string(t, sy.file) : NULL;
	if ((sy.func && !fs) || (sy.file && !ls))
		t->st.undefined_refs++;
	e = new_ent(img_of(t, sy.image, 1), sy.addr);
	e->known = 1;
	if (fs && fs->len) {
		e->s.func = fs->s;
		e->name = short_name(fs->s);
		e->s.name = e->name;
		e->s.offset = sy.offset;
	}
	if (ls && ls->len) {
		e->s.file = ls->s;
		e->s.line = sy.line <= UINT32_MAX ? sy.line : 0;
	}
	read_inline(t, &sy, e);
	return 0;
}

int ana_syms_data(struct ana_trace *t, const struct fmt_record *rec)
{
	struct fmt_data fd;
	struct data_ent *d;
	const char *s;

	if (fmt_parse_data(rec, &fd))
		return -1;
	s = str_of(t, fd.name);
	if (!s)
		return 0;
	d = xcalloc(1, sizeof(*d));
	d->name = s;
	d->offset = fd.offset;
	/* one record per address; a repeat replaces it */
	free(hmap_put(&img_of(t, fd.image, 1)->data, fd.addr, d));
	return 0;
}

void ana_syms_free(struct ana_trace *t)
{
	struct ana_syms *sy = t->syms;
	struct img_syms *im;
	struct sym_ent *e;
	size_t i, j;

	if (!sy)
		return;
	for (i = 0; i < sy->images.cap; i++) {
		im = sy->images.ents[i].val;
		if (!im)
			continue;
		for (j = 0; j < im->addrs.cap; j++) {
			e = im->addrs.ents[j].val;
			if (e)
				ent_free(e);
		}
		hmap_free(&im->addrs);
		for (j = 0; j < im->data.cap; j++)
			free(im->data.ents[j].val);
		hmap_free(&im->data);
		for (j = 0; j < im->nmods; j++) {
			free(im->mods[j].path);
			free(im->mods[j].buildid);
		}
		free(im->mods);
		free(im);
	}
	hmap_free(&sy->images);
	free(sy);
	t->syms = NULL;
}

/* ---- lookups ---- */

const struct ana_sym *ana_symbol(const struct ana_trace *t, uint64_t image,
				 uint64_t addr)
{
	struct img_syms *im = img_of(t, image, 0);
	struct sym_ent *e;

	if (!im)
		return NULL;
	e = hmap_get(&im->addrs, addr);
	/* answered from the modules once, then from the map */
	if (!e)
		e = new_ent(im, addr);
	return e->known ? &e->s : NULL;
}

unsigned ana_frame_depth(const struct ana_trace *t, uint64_t image,
			 uint64_t addr)
{
	const struct ana_sym *s = ana_symbol(t, image, addr);

	return s ? s->ninl + 1 : 1;
}

const struct ana_sym *ana_symbol_at(const struct ana_trace *t,
				    uint64_t image, uint64_t addr, unsigned k)
{
	const struct ana_sym *s = ana_symbol(t, image, addr);

	return s && k < s->ninl ? &s->inl[k] : s;
}

/* with_off: "func+0x1c" for a named function without a line */
static const char *sym_str(const struct ana_sym *s, uint64_t addr,
			   int with_off, char *buf, size_t size)
{
	if (s && s->name && s->file && s->line)
		snprintf(buf, size, "%s (%s:%" PRIu32 ")", s->name,
			 base_name(s->file), s->line);
	else if (s && s->name && s->offset && with_off)
		snprintf(buf, size, "%s+0x%" PRIx64, s->name, s->offset);
	else if (s && s->name)
		snprintf(buf, size, "%s", s->name);
	else if (s && s->module)
		snprintf(buf, size, "%s+0x%" PRIx64, base_name(s->module),
			 s->module_off);
	else
		snprintf(buf, size, "0x%" PRIx64, addr);
	return buf;
}

const char *ana_frame_str_at(const struct ana_trace *t, uint64_t image,
			     uint64_t addr, unsigned k, char *buf,
			     size_t size)
{
	return sym_str(ana_symbol_at(t, image, addr, k), addr, 1, buf, size);
}

const char *ana_frame_name_at(const struct ana_trace *t, uint64_t image,
			      uint64_t addr, unsigned k, char *buf,
			      size_t size)
{
	return sym_str(ana_symbol_at(t, image, addr, k), addr, 0, buf, size);
}

const char *ana_frame_fn_at(const struct ana_trace *t, uint64_t image,
			    uint64_t addr, unsigned k, char *buf, size_t size)
{
	const struct ana_sym *s = ana_symbol_at(t, image, addr, k);

	if (s && s->name)
		snprintf(buf, size, "%s", s->name);
	else
		sym_str(s, addr, 1, buf, size);
	return buf;
}

const char *ana_frame_str(const struct ana_trace *t, uint64_t image,
			  uint64_t addr, char *buf, size_t size)
{
	return sym_str(ana_symbol(t, image, addr), addr, 1, buf, size);
}

/* "func(file.c:42);" for each call inlined at s, innermost first */
static size_t inline_tokens(const struct ana_sym *s, char *buf, size_t size)
{
	size_t len = 0;
	uint32_t i;
	int n;

	for (i = 0; s && i < s->ninl && len < size; i++) {
		const struct ana_sym *in = &s->inl[i];

		if (in->file && in->line)
			n = snprintf(buf + len, size - len, "%s(%s:%" PRIu32
				     ");", in->name ? in->name : "?",
				     base_name(in->file), in->line);
		else
			n = snprintf(buf + len, size - len, "%s;",
				     in->name ? in->name : "?");
		if (n < 0)
			break;
		len += n;
	}
	return len < size ? len : size - 1;
}

const char *ana_frame_token(const struct ana_trace *t, uint64_t image,
			    uint64_t addr, char *buf, size_t size)
{
	const struct ana_sym *s = ana_symbol(t, image, addr);
	size_t len = inline_tokens(s, buf, size);
	char *c, *p = buf + len;
	size_t rest = size - len;
	int n;

	if (s && s->name && s->offset)
		n = snprintf(p, rest, "%s+0x%" PRIx64, s->name, s->offset);
	else if (s && s->name)
		n = snprintf(p, rest, "%s", s->name);
	else if (s && s->module)
		n = snprintf(p, rest, "%s+0x%" PRIx64, base_name(s->module),
			     s->module_off);
	else
		n = snprintf(p, rest, "0x%" PRIx64, addr);
	if (s && s->file && s->line && n >= 0 && (size_t)n < rest)
		snprintf(p + n, rest - n, "(%s:%" PRIu32 ")",
			 base_name(s->file), s->line);
	/* a path with a space must not split the dump's field */
	for (c = buf; *c; c++)
		if (*c == ' ' || *c == '\t' || *c == '\n')
			*c = '_';
	return buf;
}

/* ---- modules, for outputs that describe the address space ---- */

static void mod_info(const struct ana_module *m, struct ana_modinfo *out)
{
	out->lo = m->lo;
	out->hi = m->hi;
	out->bias = m->bias;
	out->path = m->path;
	out->buildid = m->buildid;
	out->idlen = m->idlen;
}

int ana_module_get(const struct ana_trace *t, uint64_t image, size_t i,
		   struct ana_modinfo *out)
{
	struct img_syms *im = img_of(t, image, 0);

	if (!im || i >= im->nmods)
		return -1;
	mod_info(&im->mods[i], out);
	out->index = i;
	return 0;
}

int ana_module_at(const struct ana_trace *t, uint64_t image, uint64_t addr,
		  struct ana_modinfo *out)
{
	struct img_syms *im = img_of(t, image, 0);
	const struct ana_module *m = im ? module_of(im, addr) : NULL;

	if (!m)
		return -1;
	mod_info(m, out);
	out->index = m - im->mods;
	return 0;
}

const char *ana_data_name(const struct ana_trace *t, uint64_t image,
			  uint64_t addr, char *buf, size_t size)
{
	struct img_syms *im = img_of(t, image, 0);
	const struct data_ent *d = im ? hmap_get(&im->data, addr) : NULL;

	if (!d)
		return NULL;
	if (d->offset)
		snprintf(buf, size, "%s+0x%" PRIx64, d->name, d->offset);
	else
		snprintf(buf, size, "%s", d->name);
	return buf;
}
