/*
 * symbols.c - names for the code addresses a trace uses.
 *
 * A return address means something only while its process runs: the
 * files it points into may be rebuilt, deleted or on another machine by
 * the time anyone reads the trace.  So the collector resolves every
 * address a STACK record (or a thread's start routine) uses when it first
 * interns it, and writes what it found - a MODULE record for the object,
 * a SYMBOL record for the address - before the record that uses it.
 *
 * Each image has a module table, fed by the preload's MODULES messages
 * and by /proc/PID/maps (read at HELLO, and again when an address falls
 * outside every module, which also covers a preload that sends no
 * MODULES).  A module's file is opened as soon as the module is seen, so
 * a library deleted later still resolves; one already gone or replaced is
 * read through /proc/PID/map_files.  Each file is mapped and parsed once
 * (libdwfl: .symtab, else .dynsym; DWARF lines when present) and shared
 * by every image that maps it, keyed by device, inode, size and mtime;
 * resolved addresses are cached per file, so fifty processes of /bin/sh
 * cost one parse of libc and fifty small lookups.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <zlib.h>

#include "col.h"
#include "file.h"
#include "hash.h"
#include "log.h"
#include "maps.h"
#include "wire.h"

#define MAX_BUILDID	FMT_WIRE_MAX_BUILDID	/* what MODULES may carry */
#define MAX_BACKOFF	1024	/* batches between fruitless maps rescans */

/* one ELF file, shared by every image that maps it */
struct sym_obj {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	Dwfl *dwfl;			/* NULL: not an ELF file we can read */
	Dwfl_Module *mod;
	GElf_Addr dwbias;		/* dwfl address = file vaddr + dwbias */
	void *map;
	size_t maplen;
	unsigned char buildid[MAX_BUILDID];
	size_t idlen;
	struct sym_data *data;		/* its data symbols, by address */
	size_t ndata;
	int data_read;			/* data is built (maybe empty) */
	struct col_symcache *cache;	/* answers of earlier runs, or NULL */
	int cache_open;			/* cache looked for */
	struct sym_obj *next;
};

/* a data (OBJECT) symbol: [lo, lo + size) in dwfl addresses */
struct sym_data {
	uint64_t lo, size;
	const char *name;		/* in the mapped file's strings */
};

/* one object mapped in one image */
struct sym_mod {
	uint64_t lo, hi;		/* span of its mappings */
	uint64_t bias;			/* runtime address = file vaddr + bias */
	uint64_t ts;			/* when it was first seen */
	char *path;
	unsigned char buildid[MAX_BUILDID];
	size_t idlen;
	/* from /proc/PID/maps: how to check and compute, or 0 */
	int from_maps, deleted, have_ino;
	dev_t dev;
	ino_t ino;
	uint64_t map_lo, map_hi, map_off;	/* its first mapping */
	struct sym_obj *obj;		/* NULL: could not read it */
	int written;			/* its MODULE record is out */
	int dead;			/* unloaded: a last resort */
};

struct sym_image {
	uint64_t id;
	pid_t pid;
	char *exe;
	struct sym_mod *mods;
	size_t nmods, capmods;
	struct hmap seen;		/* addresses resolved -> (void *)1 */
	struct hmap data_seen;		/* object addresses looked up */
	int scannable;			/* /proc/PID/maps is this image's */
	uint64_t vdso;			/* identity: [vdso] address at HELLO */
	uint64_t next_scan, backoff;	/* maps rescans, in batches */
	struct sym_image *next;		/* an older image of the same id */
};

/* what one address of one object resolved to */
struct sym_res {
	const struct sym_obj *obj;
	uint64_t vaddr;
	int exact;
	uint64_t func, file;		/* string ids, 0 unknown */
	uint64_t line, offset;
	struct fmt_inline *inl;		/* innermost first: SYMBOL's */
	uint32_t ninl;
};

static struct sym_obj *objs;
static struct hmap images;	/* id -> sym_image, newest first */
static struct hmap results;	/* hash of (obj, vaddr, exact) -> sym_res */
static uint64_t batch;
static int inited;

/* whether the file's CRC is the one .gnu_debuglink asks for */
static int crc_matches(int fd, GElf_Word want)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, Z_NULL, 0);
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crc = crc32(crc, buf, n);
	return n == 0 && lseek(fd, 0, SEEK_SET) == 0 && crc == want;
}

/* fd of PATH if it is the debug file of mod (or -1): GDB's checks */
static int debug_candidate(Dwfl_Module *mod, const char *path, GElf_Word crc)
{
	const unsigned char *want;
	const void *have;
	GElf_Addr vaddr;
	int fd = open(path, O_RDONLY | O_CLOEXEC), n, ok = 0;
	Elf *elf;

	if (fd < 0)
		return -1;
	n = dwfl_module_build_id(mod, &want, &vaddr);
	if (n > 0) {
		elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		ok = elf && dwelf_elf_gnu_build_id(elf, &have) == n &&
		     !memcmp(have, want, n);
		elf_end(elf);
	} else {
		ok = crc_matches(fd, crc);
	}
	if (!ok) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Local debug files only.  dwfl_standard_find_debuginfo() ends by asking
 * debuginfod, and libdw 0.188 dlopens the client for that even with no
 * server configured: libcurl, gnutls and 30 more libraries, 6 MB of the
 * collector's RSS, for every object that has no debug information.  So:
 * the build-id tree, then the .gnu_debuglink name where GDB looks for it
 * (beside the file, in .debug/ there, under /usr/lib/debug).
 */
static int find_debuginfo(Dwfl_Module *mod, void **ud, const char *modname,
			  GElf_Addr base, const char *file, const char *link,
			  GElf_Word crc, char **found)
{
	static const char *const where[] = { "%s/%s", "%s/.debug/%s",
					     "/usr/lib/debug%s/%s" };
	char dir[PATH_MAX], path[PATH_MAX];
	const char *slash;
	size_t i;
	int fd;

	fd = dwfl_build_id_find_debuginfo(mod, ud, modname, base, file, link,
					  crc, found);
	if (fd >= 0 || !file || !link || !*link || strchr(link, '/'))
		return fd;
	slash = strrchr(file, '/');
	if (!slash || (size_t)(slash - file) >= sizeof(dir))
		return -1;
	memcpy(dir, file, slash - file);
	dir[slash - file] = 0;
	for (i = 0; i < sizeof(where) / sizeof(*where); i++) {
		if ((size_t)snprintf(path, sizeof(path), where[i], dir, link) >=
		    sizeof(path) || !strcmp(path, file))
			continue;
		fd = debug_candidate(mod, path, crc);
		if (fd >= 0) {
			*found = strdup(path);
			return fd;
		}
	}
	errno = 0;
	return -1;
}

static const Dwfl_Callbacks dwfl_cbs = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

static void init(void)
{
	if (inited)
		return;
	inited = 1;
	/*
	 * libdwfl asks debuginfod servers for missing debug info when this
	 * is set: network round trips on the collector's one thread.  The
	 * traced command already has its own copy of the environment.
	 */
	unsetenv("DEBUGINFOD_URLS");
}

/* addr 0 never reaches the set: it names nothing */
static int set_add(struct hmap *s, uint64_t a)
{
	if (hmap_get(s, a))
		return 0;
	hmap_put(s, a, (void *)1);
	return 1;
}

/* ---- objects ---- */

static void obj_buildid(struct sym_obj *o)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(o->mod, &bits, &vaddr);

	if (n > 0 && n <= MAX_BUILDID) {
		memcpy(o->buildid, bits, n);
		o->idlen = n;
	}
}

/* map and report the file; on failure o stays a "cannot read" entry */
static void obj_load(struct sym_obj *o, int fd, const char *name)
{
	GElf_Addr bias;

	o->map = mmap(NULL, o->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
		      0);
	if (o->map == MAP_FAILED) {
		o->map = NULL;
		return;
	}
	o->maplen = o->size;
	o->dwfl = dwfl_begin(&dwfl_cbs);
	if (!o->dwfl)
		return;
	dwfl_report_begin(o->dwfl);
	o->mod = dwfl_report_offline_memory(o->dwfl, name, name, o->map,
					    o->maplen);
	dwfl_report_end(o->dwfl, NULL, NULL);
	if (!o->mod || !dwfl_module_getelf(o->mod, &bias)) {
		dwfl_end(o->dwfl);
		o->dwfl = NULL;
		o->mod = NULL;
		return;
	}
	o->dwbias = bias;
	obj_buildid(o);
}

/*
 * The object for an open file (which it consumes): found by identity, or
 * parsed now.  The file stays mapped, not open, so a collector that sees
 * thousands of objects keeps no descriptor for them.
 */
static struct sym_obj *obj_get(int fd, const char *name)
{
	struct sym_obj *o;
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !st.st_size) {
		close(fd);
		return NULL;
	}
	for (o = objs; o; o = o->next) {
		if (o->dev == st.st_dev && o->ino == st.st_ino &&
		    o->size == st.st_size &&
		    o->mtime.tv_sec == st.st_mtim.tv_sec &&
		    o->mtime.tv_nsec == st.st_mtim.tv_nsec) {
			close(fd);
			return o->dwfl ? o : NULL;
		}
	}
	o = xcalloc(1, sizeof(*o));
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	o->size = st.st_size;
	o->mtime = st.st_mtim;
	obj_load(o, fd, name);
	close(fd);
	o->next = objs;
	objs = o;
	return o->dwfl ? o : NULL;
}

/* ---- demangling ---- */

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

/*
 * C++ names through the C++ ABI's own demangler, __cxa_demangle in
 * libstdc++ (GCC's, shared with libiberty), loaded only when a mangled
 * name shows up: any system that runs C++ programs has it, and a C-only
 * one keeps mangled names rather than gaining a dependency.
 */
static char *demangle(const char *name)
{
	static demangle_fn fn;
	static int tried;
	void *h;
	int status;

	if (strncmp(name, "_Z", 2))
		return NULL;
	if (!tried) {
		tried = 1;
		h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
		if (h)
			*(void **)&fn = dlsym(h, "__cxa_demangle");
	}
	return fn ? fn(name, NULL, NULL, &status) : NULL;
}

/* ---- resolving ---- */

/* ---- inline chains ---- */

#define MAX_INLINE	16	/* inlined calls kept per address */
#define MAX_DEPTH	64	/* DIE nesting searched */

static int holds_code(Dwarf_Die *d)
{
	return dwarf_hasattr(d, DW_AT_low_pc) ||
	       dwarf_hasattr(d, DW_AT_ranges);
}

/* a DIE without code of its own whose children may have some */
static int is_container(int tag)
{
	return tag == DW_TAG_namespace || tag == DW_TAG_class_type ||
	       tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
	       tag == DW_TAG_module || tag == DW_TAG_lexical_block;
}

/*
 * The functions whose code holds pc, outermost first, into path: the
 * subprogram, then each DW_TAG_inlined_subroutine inlined into it.  Only
 * the DIEs that hold pc are descended into (and containers without code
 * of their own, C++ namespaces), so one lookup reads a path through the
 * unit, not the whole unit as dwarf_getscopes() does.
 * @return how many were found
 */
static int scope_path(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *path,
		      int n, int depth)
{
	Dwarf_Die child;
	int tag, k;

	if (depth >= MAX_DEPTH || dwarf_child(parent, &child))
		return n;
	do {
		tag = dwarf_tag(&child);
		if (holds_code(&child)) {
			if (dwarf_haspc(&child, pc) <= 0)
				continue;
			if ((tag == DW_TAG_subprogram ||
			     tag == DW_TAG_inlined_subroutine) &&
			    n < MAX_INLINE + 1)
				path[n++] = child;
			return scope_path(&child, pc, path, n, depth + 1);
		}
		if (is_container(tag)) {
			k = scope_path(&child, pc, path, n, depth + 1);
			if (k > n)
				return k;
		}
	} while (!dwarf_siblingof(&child, &child));
	return n;
}

/*
 * The answer's text for symcache.c: tab-separated fields, each string
 * put with txt_str(), which refuses one a tab or a newline would split
 * (that answer is then not kept: t->failed).
 */
static void txt_str(struct fmt_buf *t, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!t)
		return;
	if (n && strpbrk(s, "\t\n"))
		t->failed = 1;
	fmt_buf_bytes(t, "\t", 1);
	fmt_buf_bytes(t, s, n);
}

static void txt_num(struct fmt_buf *t, uint64_t v)
{
	char b[24];

	if (t)
		fmt_buf_bytes(t, b, snprintf(b, sizeof(b), "\t%llu",
					     (unsigned long long)v));
}

/* the inlined function's name: its abstract origin's, demangled */
static uint64_t die_func(Dwarf_Die *d, struct fmt_buf *t)
{
	Dwarf_Attribute a;
	const char *name = NULL;
	char *dm = NULL;
	uint64_t id;

	if (dwarf_attr_integrate(d, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(d, DW_AT_MIPS_linkage_name, &a)) {
		name = dwarf_formstring(&a);
		dm = name ? demangle(name) : NULL;
		if (dm)
			name = dm;
		else
			name = NULL;	/* a C name is DW_AT_name too */
	}
	if (!name && dwarf_attr_integrate(d, DW_AT_name, &a))
		name = dwarf_formstring(&a);
	id = name && *name ? col_intern_string(name, strlen(name)) : 0;
	txt_str(t, id ? name : NULL);
	free(dm);
	return id;
}

/* where the inlined instance d was called: its DW_AT_call_file/line */
static int call_site(Dwarf_Die *cu, Dwarf_Die *d, const char **file,
		     int *line)
{
	Dwarf_Attribute a;
	Dwarf_Word fi, ln;
	Dwarf_Files *files;
	size_t nf;

	if (dwarf_formudata(dwarf_attr(d, DW_AT_call_file, &a), &fi) ||
	    dwarf_formudata(dwarf_attr(d, DW_AT_call_line, &a), &ln) ||
	    dwarf_getsrcfiles(cu, &files, &nf) || fi >= nf)
		return -1;
	*file = dwarf_filesrc(files, fi, NULL, NULL);
	*line = ln;
	return *file ? 0 : -1;
}

/*
 * The calls inlined at q, innermost first, the facts `addr2line -i`
 * prints: each inlined function with the line in it (the line table's
 * for the innermost, the call site of the one inside it for the
 * others), and in *file and *line the line in the function the symbol
 * table names, where the outermost inlined call was made.
 */
static void inline_chain(struct sym_res *r, Dwfl_Module *m, GElf_Addr q,
			 const char **file, int *line, struct fmt_buf *t)
{
	Dwarf_Die path[MAX_INLINE + 1], *cu;
	const char *f = *file;
	Dwarf_Addr bias;
	int n, i, ln = *line, first;

	cu = dwfl_module_addrdie(m, q, &bias);
	n = cu ? scope_path(cu, q - bias, path, 0, 0) : 0;
	/* path[0] is the subprogram unless the unit's code starts inline */
	first = n && dwarf_tag(&path[0]) == DW_TAG_subprogram;
	if (n - first <= 0)
		return;
	r->inl = xcalloc(n - first, sizeof(*r->inl));
	for (i = n - 1; i >= first; i--) {
		struct fmt_inline *in = &r->inl[r->ninl++];

		in->func = die_func(&path[i], t);
		in->file = f && *f ? col_intern_string(f, strlen(f)) : 0;
		in->line = ln > 0 ? ln : 0;
		txt_str(t, in->file ? f : NULL);
		txt_num(t, in->line);
		if (call_site(cu, &path[i], &f, &ln)) {
			f = NULL;
			ln = 0;
		}
	}
	*file = f;
	*line = ln;
}

/*
 * Stack frames are return addresses: the call is the byte before, and
 * after a call that does not return the next function may start right
 * at the return address.  Start routines are exact.
 */
static void resolve(struct sym_res *r, struct fmt_buf *t)
{
	GElf_Addr a = r->vaddr + r->obj->dwbias, q = r->exact ? a : a - 1;
	Dwfl_Module *m = r->obj->mod;
	struct fmt_buf inl = { 0 };
	const char *name, *file;
	char *fname = NULL;
	GElf_Off off;
	GElf_Sym sym;
	Dwfl_Line *l;
	char *dm;
	int line;

	name = dwfl_module_addrinfo(m, q, &off, &sym, NULL, NULL, NULL);
	if (name && *name) {
		dm = demangle(name);
		if (dm)
			name = dm;
		/* .symtab spells a versioned definition name@@VERSION (or
		 * name@VERSION): the version is the linker's, not the name */
		r->func = col_intern_string(name, strcspn(name, "@"));
		r->offset = a - (q - off);
		if (t) {
			size_t n = strcspn(name, "@");

			fname = xmalloc(n + 1);
			memcpy(fname, name, n);
			fname[n] = 0;
		}
		free(dm);
	}
	l = dwfl_module_getsrc(m, q);
	file = l ? dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL) : NULL;
	if (file)
		inline_chain(r, m, q, &file, &line, t ? &inl : NULL);
	if (file && *file) {
		r->file = col_intern_string(file, strlen(file));
		r->line = line > 0 ? line : 0;
	}
	if (t) {
		/* offset line func file (inlined: func file line)... */
		fmt_buf_reset(t);
		txt_num(t, r->offset);
		txt_num(t, r->line);
		txt_str(t, fname);
		txt_str(t, r->file ? file : NULL);
		fmt_buf_bytes(t, inl.p, inl.len);
		t->failed |= inl.failed;
		free(fname);
	}
	fmt_buf_free(&inl);
}

/* ---- answers kept across runs (symcache.c) ---- */

/*
 * What the cache's answers depend on besides the build-id: the file itself
 * (a stripped copy keeps the build-id but loses .symtab and DWARF), and
 * the debug information libdwfl finds for it, in Debian's layout a file
 * under /usr/lib/debug/.build-id that a package install may add later.
 * (A debug file found by .gnu_debuglink elsewhere is not looked at.)
 */
static void cache_ident(const struct sym_obj *o, char *buf, size_t n)
{
	char p[64 + 2 * MAX_BUILDID];
	struct stat st;
	size_t i, k;
	int w;

	w = snprintf(buf, n, "file %lld %lld.%09ld", (long long)o->size,
		     (long long)o->mtime.tv_sec, o->mtime.tv_nsec);
	k = snprintf(p, sizeof(p), "/usr/lib/debug/.build-id/%02x/",
		     o->buildid[0]);
	for (i = 1; i < o->idlen; i++)
		k += snprintf(p + k, sizeof(p) - k, "%02x", o->buildid[i]);
	snprintf(p + k, sizeof(p) - k, ".debug");
	if (w < 0 || (size_t)w >= n)
		return;
	if (stat(p, &st))
		snprintf(buf + w, n - w, " debug none");
	else
		snprintf(buf + w, n - w, " debug %lld %lld.%09ld",
			 (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			 st.st_mtim.tv_nsec);
}

static struct col_symcache *obj_cache(struct sym_obj *o)
{
	char ident[160];

	if (!o->cache_open && o->idlen) {
		o->cache_open = 1;
		cache_ident(o, ident, sizeof(ident));
		o->cache = col_symcache_open(o->buildid, o->idlen, ident);
	}
	return o->cache;
}

/* next tab-separated field of *p (modified in place), or NULL */
static char *field(char **p)
{
	char *s = *p, *t;

	if (!s)
		return NULL;
	t = strchr(s, '\t');
	*p = t ? t + 1 : NULL;
	if (t)
		*t = 0;
	return s;
}

static uint64_t str_id(const char *s)
{
	return s && *s ? col_intern_string(s, strlen(s)) : 0;
}

/* r from a cached answer; 0, or -1 when it does not parse (r unchanged) */
static int from_cache(struct sym_res *r, const char *text)
{
	struct fmt_inline inl[MAX_INLINE];
	char *copy = xstrdup(text), *p = copy + (*copy == '\t');
	char *off = field(&p), *line = field(&p), *func = field(&p);
	char *file = field(&p), *end;
	uint32_t n = 0;

	if (*copy != '\t' || !file)
		goto bad;
	while (p) {
		char *f = field(&p), *fl = field(&p), *ln = field(&p);

		if (!ln || n == MAX_INLINE)
			goto bad;
		inl[n].func = str_id(f);
		inl[n].file = str_id(fl);
		inl[n++].line = strtoull(ln, &end, 10);
		if (*end)
			goto bad;
	}
	r->offset = strtoull(off, &end, 10);
	if (*end)
		goto bad;
	r->line = strtoull(line, &end, 10);
	if (*end)
		goto bad;
	r->func = str_id(func);
	r->file = str_id(file);
	if (n) {
		r->inl = xcalloc(n, sizeof(*r->inl));
		memcpy(r->inl, inl, n * sizeof(*inl));
	}
	r->ninl = n;
	free(copy);
	return 0;
bad:
	free(copy);
	return -1;
}

static const struct sym_res *obj_lookup(struct sym_obj *o,
					uint64_t vaddr, int exact)
{
	struct col_symcache *c = obj_cache(o);
	struct fmt_buf t = { 0 };
	const char *text;
	uint64_t k = hash_mix(hash_mix((uintptr_t)o, vaddr), exact);
	struct sym_res *r;

	/* keys that hash alike probe on (hash.h) */
	for (; (r = hmap_get(&results, k)); k = hash_next(k))
		if (r->obj == o && r->vaddr == vaddr && r->exact == exact)
			return r;
	r = xcalloc(1, sizeof(*r));
	r->obj = o;
	r->vaddr = vaddr;
	r->exact = exact;
	hmap_put(&results, k, r);
	text = col_symcache_get(c, vaddr, exact);
	if (text && !from_cache(r, text))
		return r;
	resolve(r, c ? &t : NULL);
	if (c) {
		fmt_buf_bytes(&t, "", 1);
		if (!t.failed)
			col_symcache_put(c, vaddr, exact, (const char *)t.p);
		fmt_buf_free(&t);
	}
	return r;
}

/* ---- images and modules ---- */

static struct sym_image *image_find(uint64_t id)
{
	struct sym_image *im;

	for (im = hmap_get(&images, id); im; im = im->next)
		if (im->id == id)
			return im;
	return NULL;
}

/* the mapping of path in the image's process: map_files wants its span */
static int find_mapping(struct sym_image *im, struct sym_mod *m)
{
	size_t n = strlen(m->path);
	struct maps_line l;
	char *buf, *cur;
	int found = 0;

	if (m->map_lo)
		return 1;
	buf = cur = maps_read(im->pid);
	if (!buf)
		return 0;
	while (!found && maps_next(&cur, &l)) {
		/* the path as it was, or as it is since it was unlinked */
		if (!strcmp(l.path, m->path) ||
		    (l.deleted && l.pathlen == n &&
		     !strncmp(l.path, m->path, n))) {
			m->map_lo = l.lo;
			m->map_hi = l.hi;
			found = 1;
		}
	}
	free(buf);
	return found;
}

static int open_at_path(struct sym_image *im, struct sym_mod *m)
{
	char p[PATH_MAX + 32];
	struct stat st;
	int fd = -1;

	if (m->deleted || m->path[0] != '/')
		return -1;
	/* the process' own view first: it may run chrooted; O_NONBLOCK,
	 * since a client's MODULES message names the path, and opening a
	 * FIFO would wait for a writer with every client stalled behind */
	if (snprintf(p, sizeof(p), "/proc/%d/root%s", (int)im->pid,
		     m->path) < (int)sizeof(p))
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		fd = open(m->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	/* only a regular file is an object, and a file replaced since it
	 * was mapped is not the mapped one */
	if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
			(m->have_ino && (st.st_dev != m->dev ||
					 st.st_ino != m->ino)))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int open_map_files(struct sym_image *im, struct sym_mod *m)
{
	char p[96];

	if (!find_mapping(im, m))
		return -1;
	snprintf(p, sizeof(p), "/proc/%d/map_files/%llx-%llx", (int)im->pid,
		 (unsigned long long)m->map_lo, (unsigned long long)m->map_hi);
	return open(p, O_RDONLY | O_CLOEXEC);
}

static int buildid_ok(const struct sym_mod *m, const struct sym_obj *o)
{
	return !m->idlen || (m->idlen == o->idlen &&
			     !memcmp(m->buildid, o->buildid, o->idlen));
}

/* load bias of a module known from maps: its first mapping and the ELF */
static void maps_bias(struct sym_mod *m)
{
	uint64_t delta = 0, pg = sysconf(_SC_PAGESIZE);
	GElf_Phdr ph;
	GElf_Addr b;
	size_t i, n;
	Elf *e;

	m->bias = m->map_lo - m->map_off;
	e = m->obj ? dwfl_module_getelf(m->obj->mod, &b) : NULL;
	if (!e || elf_getphdrnum(e, &n))
		return;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		delta = ph.p_vaddr - ph.p_offset;
		if ((ph.p_offset & ~(pg - 1)) <= m->map_off &&
		    m->map_off < ph.p_offset + ph.p_filesz)
			break;
	}
	m->bias = m->map_lo - delta - m->map_off;
}

static void mod_open(struct sym_image *im, struct sym_mod *m)
{
	int fd = open_at_path(im, m);

	if (fd >= 0) {
		m->obj = obj_get(fd, m->path);
		if (m->obj && !buildid_ok(m, m->obj))
			m->obj = NULL;
	}
	if (!m->obj) {
		fd = open_map_files(im, m);
		if (fd >= 0)
			m->obj = obj_get(fd, m->path);
		if (m->obj && !buildid_ok(m, m->obj))
			m->obj = NULL;
	}
	if (m->from_maps)
		maps_bias(m);
	if (m->obj && !m->idlen) {
		memcpy(m->buildid, m->obj->buildid, m->obj->idlen);
		m->idlen = m->obj->idlen;
	}
}

static struct sym_mod *mod_add(struct sym_image *im)
{
	struct sym_mod *m;

	if (im->nmods == im->capmods) {
		im->capmods = im->capmods ? im->capmods * 2 : 16;
		im->mods = xrealloc(im->mods, im->capmods * sizeof(*m));
	}
	m = &im->mods[im->nmods++];
	memset(m, 0, sizeof(*m));
	return m;
}

/*
 * The live module that overlaps [lo, hi): the same object (live objects
 * do not overlap), though maybe under another name (/lib64/ld-linux...
 * from the dynamic linker, /usr/lib/... from maps).
 */
static struct sym_mod *mod_overlap(struct sym_image *im, uint64_t lo,
				   uint64_t hi)
{
	size_t i;

	for (i = 0; i < im->nmods; i++) {
		struct sym_mod *m = &im->mods[i];

		if (!m->dead && lo < m->hi && m->lo < hi)
			return m;
	}
	return NULL;
}

/* a MODULES deletion names its module by where it starts */
static struct sym_mod *mod_at(struct sym_image *im, uint64_t lo)
{
	size_t i;

	for (i = 0; i < im->nmods; i++)
		if (!im->mods[i].dead && im->mods[i].lo == lo)
			return &im->mods[i];
	return NULL;
}

/* live modules first; an unloaded one may still name a late stack */
static struct sym_mod *mod_find(struct sym_image *im, uint64_t addr)
{
	struct sym_mod *dead = NULL;
	size_t i;

	for (i = im->nmods; i--;) {
		struct sym_mod *m = &im->mods[i];

		if (m->lo <= addr && addr < m->hi) {
			if (!m->dead)
				return m;
			if (!dead)
				dead = m;
		}
	}
	return dead;
}

static void mod_write(struct sym_image *im, struct sym_mod *m, unsigned op,
		      uint64_t ts)
{
	struct fmt_module r = {
		.image = im->id, .ts = ts, .op = op, .bias = m->bias,
		.lo = m->lo, .hi = m->hi, .path = m->path,
		.path_len = strlen(m->path), .buildid = m->buildid,
		.buildid_len = m->idlen,
	};
	struct fmt_buf b = { 0 };

	fmt_put_module(&b, &r);
	col_write(FMT_REC_MODULE, &b);
	fmt_buf_free(&b);
}

/* ---- /proc/PID/maps ---- */

/* a run of mappings of one file: a module if any of them is code */
static int maps_module(struct sym_image *im, const struct maps_line *first,
		       uint64_t hi, int exec)
{
	struct sym_mod *m;

	if (!exec || mod_overlap(im, first->lo, hi))
		return 0;
	m = mod_add(im);
	m->path = xmalloc(first->pathlen + 1);
	memcpy(m->path, first->path, first->pathlen);
	m->path[first->pathlen] = 0;
	m->lo = first->lo;
	m->hi = hi;
	m->ts = col_now();
	m->from_maps = 1;
	m->deleted = first->deleted;
	m->have_ino = 1;
	m->dev = makedev(first->maj, first->min);
	m->ino = first->ino;
	m->map_lo = first->lo;
	m->map_hi = first->hi;
	m->map_off = first->off;
	mod_open(im, m);
	return 1;
}

/*
 * Read the process' maps and add the modules not known yet.
 * @return how many were added, or -1 when the maps are not (or no
 * longer) this image's: the process is gone, or exec'ed another image.
 */
static int scan_maps(struct sym_image *im, int first_scan)
{
	struct maps_line l, run;
	uint64_t run_hi = 0, vdso = 0;
	char *buf, *cur;
	int added = 0, in_run = 0, exec = 0;

	buf = cur = maps_read(im->pid);
	if (!buf)
		return -1;
	while (maps_next(&cur, &l)) {
		if (!strcmp(l.path, "[vdso]"))
			vdso = l.lo;
		if (in_run && l.path[0] == '/' && !strcmp(l.path, run.path) &&
		    l.ino == run.ino) {
			run_hi = l.hi;
			exec |= !!strchr(l.perms, 'x');
			continue;
		}
		if (in_run)
			added += maps_module(im, &run, run_hi, exec);
		in_run = l.path[0] == '/';
		run = l;
		run_hi = l.hi;
		exec = !!strchr(l.perms, 'x');
	}
	if (in_run)
		added += maps_module(im, &run, run_hi, exec);
	free(buf);
	if (first_scan)
		im->vdso = vdso;
	else if (vdso != im->vdso)
		return -1;
	return added;
}

/* the HELLO's exe is still the process' exe: its maps are this image's */
static int same_exe(struct sym_image *im)
{
	char p[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%d/exe", (int)im->pid);
	n = readlink(p, buf, sizeof(buf) - 1);
	if (n < 0)
		return 0;
	buf[n] = 0;
	return !strcmp(buf, im->exe);
}

/* ---- interface ---- */

void col_sym_image_start(uint64_t image, pid_t pid, const char *exe,
			 size_t exe_len)
{
	struct sym_image *im = xcalloc(1, sizeof(*im));

	init();
	im->id = image;
	im->pid = pid;
	im->exe = xmalloc(exe_len + 1);
	memcpy(im->exe, exe, exe_len);
	im->exe[exe_len] = 0;
	im->backoff = 1;
	im->next = hmap_put(&images, image, im);
	/*
	 * The process may already have exec'ed (or exited) by the time its
	 * HELLO is read: then its maps are not this image's, and only the
	 * preload's MODULES messages can tell where its code is.
	 */
	if (same_exe(im) && scan_maps(im, 1) >= 0 && same_exe(im))
		im->scannable = 1;
}

void col_sym_image_end(uint64_t image)
{
	struct sym_image *head = hmap_get(&images, image), **pp, *im;
	size_t i;

	for (pp = &head; (im = *pp) && im->id != image; pp = &im->next)
		;
	if (!im)
		return;
	*pp = im->next;
	if (head)
		hmap_put(&images, image, head);
	else
		hmap_del(&images, image);
	for (i = 0; i < im->nmods; i++)
		free(im->mods[i].path);
	free(im->mods);
	hmap_free(&im->seen);
	hmap_free(&im->data_seen);
	free(im->exe);
	free(im);
}

void col_sym_batch(void)
{
	batch++;
}

static void modules_one(struct sym_image *im, uint64_t ts, uint64_t op,
			uint64_t bias, uint64_t lo, uint64_t hi,
			const char *path, size_t plen, const uint8_t *id,
			size_t idlen)
{
	struct sym_mod *m;
	char *p;

	/* the main program has no name in the dynamic linker's list */
	if (plen) {
		p = xmalloc(plen + 1);
		memcpy(p, path, plen);
		p[plen] = 0;
	} else {
		p = xstrdup(im->exe);
	}
	m = op == FMT_MOD_DEL ? mod_at(im, lo) : mod_overlap(im, lo, hi);
	if (op == FMT_MOD_DEL) {
		if (m) {
			m->dead = 1;
			if (m->written)
				mod_write(im, m, FMT_MOD_DEL, ts);
		}
		free(p);
		return;
	}
	if (m && m->from_maps && !m->written) {
		/* known from maps: the preload's view is exact */
		m->bias = bias;
		m->lo = lo;
		m->hi = hi;
		m->from_maps = 0;
		free(p);
		return;
	}
	/* else the preload's: ours is stale (an unload we did not see) */
	if (m && (strcmp(m->path, p) || m->lo != lo))
		m->dead = 1;
	else if (m) {
		free(p);
		return;
	}
	m = mod_add(im);
	m->path = p;
	m->lo = lo;
	m->hi = hi;
	m->bias = bias;
	m->ts = ts;
	memcpy(m->buildid, id, idlen);
	m->idlen = idlen;
	mod_open(im, m);
}

void col_sym_modules(uint64_t image, struct fmt_msg_modules *msg)
{
	struct sym_image *im = image_find(image);
	struct fmt_module m;

	init();
	while (im && !fmt_msg_next_module(msg, &m))
		if (m.lo < m.hi)
			modules_one(im, m.ts, m.op, m.bias, m.lo, m.hi, m.path,
				    m.path_len, m.buildid, m.buildid_len);
}

/* an address outside every module: maybe something dlopen'ed since */
static struct sym_mod *rescan(struct sym_image *im, uint64_t addr)
{
	int added;

	if (!im->scannable || batch < im->next_scan)
		return NULL;
	added = scan_maps(im, 0);
	if (added < 0) {
		im->scannable = 0;
		return NULL;
	}
	/* code nobody maps from a file (a JIT) must not cost a scan each */
	if (!added && im->backoff < MAX_BACKOFF)
		im->backoff *= 2;
	else if (added)
		im->backoff = 1;
	im->next_scan = batch + im->backoff;
	return added ? mod_find(im, addr) : NULL;
}

void col_sym_addr(uint64_t image, uint64_t addr, int exact)
{
	struct sym_image *im = image_find(image);
	const struct sym_res *r;
	struct fmt_buf b = { 0 };
	struct fmt_symbol s;
	struct sym_mod *m;

	if (!im || !addr || !set_add(&im->seen, addr))
		return;
	m = mod_find(im, addr);
	if (!m)
		m = rescan(im, addr);
	if (!m)
		return;
	if (!m->written) {
		m->written = 1;
		mod_write(im, m, FMT_MOD_ADD, m->ts);
	}
	if (!m->obj)
		return;
	r = obj_lookup(m->obj, addr - m->bias, exact);
	if (!r->func && !r->file)
		return;
	s.image = image;
	s.addr = addr;
	s.func = r->func;
	s.file = r->file;
	s.line = r->line;
	s.offset = r->offset;
	s.ninl = r->ninl;		/* minor 1: the inline chain */
	s.inl = r->inl;
	fmt_put_symbol(&b, &s);
	col_write(FMT_REC_SYMBOL, &b);
	fmt_buf_free(&b);
}

/* ---- data symbols ---- */

static int data_cmp(const void *a, const void *b)
{
	const struct sym_data *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* the object's sized OBJECT symbols, sorted: read once, when first asked */
static void data_read(struct sym_obj *o)
{
	int i, n = dwfl_module_getsymtab(o->mod);
	GElf_Addr addr;
	GElf_Word shndx;
	const char *name;
	GElf_Sym sym;

	o->data_read = 1;
	for (i = 1; i < n; i++) {
		name = dwfl_module_getsym_info(o->mod, i, &sym, &addr, &shndx,
					       NULL, NULL);
		if (!name || !*name || GELF_ST_TYPE(sym.st_info) != STT_OBJECT ||
		    !sym.st_size || sym.st_shndx == SHN_UNDEF)
			continue;
		if (!(o->ndata & (o->ndata + 1)))
			o->data = xrealloc(o->data, (o->ndata * 2 + 1) *
					   sizeof(*o->data));
		o->data[o->ndata++] = (struct sym_data){ addr, sym.st_size,
							 name };
	}
	if (o->ndata)	/* none: no array for qsort() to be given */
		qsort(o->data, o->ndata, sizeof(*o->data), data_cmp);
}

/* the data symbol that holds dwfl address a, or NULL */
static const struct sym_data *data_find(struct sym_obj *o, uint64_t a)
{
	size_t lo = 0, hi, mid;

	if (!o->data_read)
		data_read(o);
	hi = o->ndata;
	/* the last symbol starting at or below a */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (o->data[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* symbols may nest (a struct and its aliases): look back a little */
	for (hi = lo; hi-- > 0 && lo - hi <= 8;)
		if (a - o->data[hi].lo < o->data[hi].size)
			return &o->data[hi];
	return NULL;
}

/*
 * Only objects of recorded blocking events come here, and each address
 * of an image once: a lookup is a binary search in each object's table,
 * the module whose span holds the address first (its .data and .bss lie
 * past its code in the span the dynamic linker reports), then the others
 * (a span read from /proc/PID/maps ends before an anonymous .bss).
 */
void col_sym_data(uint64_t image, uint64_t addr)
{
	struct sym_image *im = image_find(image);
	const struct sym_data *d = NULL;
	struct sym_mod *m, *first;
	struct fmt_buf b = { 0 };
	struct fmt_data r;
	size_t i;

	if (!im || !addr || !set_add(&im->data_seen, addr))
		return;
	first = mod_find(im, addr);
	if (first && first->obj && !first->dead)
		d = data_find(first->obj, addr - first->bias +
			      first->obj->dwbias);
	for (i = 0; !d && i < im->nmods; i++) {
		m = &im->mods[i];
		if (m != first && m->obj && !m->dead && addr >= m->bias)
			d = data_find(m->obj, addr - m->bias + m->obj->dwbias);
		if (d)
			first = m;
	}
	if (!d)
		return;
	r.image = image;
	r.addr = addr;
	r.name = col_intern_string(d->name, strcspn(d->name, "@"));
	r.offset = addr - first->bias + first->obj->dwbias - d->lo;
	r.size = d->size;
	fmt_put_data(&b, &r);
	col_write(FMT_REC_DATA, &b);
	fmt_buf_free(&b);
}

void col_sym_finish(void)
{
	col_symcache_save_all();
}
