/*
 * symcache.c - what addresses of an ELF file resolved to, kept across runs.
 *
 * Naming an address with DWARF costs little, but the first DWARF lookup in
 * a file costs its whole debug info: Debian's detached debug files are
 * zlib-compressed, and libdw inflates every .debug_* section when it opens
 * one, some 60 ms of CPU for libc's while the traced program runs.  A
 * build-id names the file's bytes, so what an address of it resolved to
 * once holds for every later run on this machine: the answers are kept in
 * one file per object (<dir>/<hex build-id>-<hash of its identity>), read
 * when the object is first used and rewritten at the end of the run when
 * it learnt more.
 *
 * The answers also depend on what else symbols.c's identity string says
 * (the file's size and time: a stripped copy keeps the build-id; the
 * debug information found for it, which a package install can add): the
 * file's first line holds it, and a file whose identity differs is
 * ignored and replaced.  Anything that does not parse is ignored too: the
 * cache can only save work, never name an address differently from what
 * resolving it would (unless someone edits it by hand).
 *
 * Layout: text, a header line, then one entry per line:
 *   ctrace-symcache 1 <tab> identity
 *   vaddr (hex) <tab> exact (0 or 1) <tab> answer
 * The answer is symbols.c's text, any bytes but a newline.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "col.h"
#include "hash.h"
#include "log.h"

#define SC_MAGIC	"ctrace-symcache 1\t"
#define SC_MAX_FILE	(16u << 20)	/* a bigger file is not ours */
#define SC_MAX_IDLEN	64

struct sc_ent {
	uint64_t vaddr;
	int exact;
	char *text;			/* the answer, NUL-terminated */
};

struct col_symcache {
	char *path;
	char *ident;
	struct hmap ents;		/* (vaddr, exact) -> sc_ent */
	size_t nents;
	int dirty;			/* learnt something: rewrite it */
	struct col_symcache *next;
};

static struct col_symcache *all;
static char *dir;
static int dir_state;			/* 0 unknown, 1 usable, -1 off */

static uint64_t ent_key(uint64_t vaddr, int exact)
{
	return hash_mix(vaddr, (uint64_t)exact);
}

static struct sc_ent *ent_find(struct col_symcache *c, uint64_t vaddr,
			       int exact, uint64_t *key)
{
	struct sc_ent *e;
	uint64_t k = ent_key(vaddr, exact);

	for (; (e = hmap_get(&c->ents, k)); k = hash_next(k))
		if (e->vaddr == vaddr && e->exact == exact)
			return e;
	if (key)
		*key = k;
	return NULL;
}

static void ent_add(struct col_symcache *c, uint64_t vaddr, int exact,
		    const char *text, size_t n)
{
	struct sc_ent *e;
	uint64_t k;

	if (ent_find(c, vaddr, exact, &k))
		return;
	e = xmalloc(sizeof(*e));
	e->vaddr = vaddr;
	e->exact = exact;
	e->text = xmalloc(n + 1);
	memcpy(e->text, text, n);
	e->text[n] = 0;
	hmap_put(&c->ents, k, e);
	c->nents++;
}

/* mkdir -p with 0700: the answers name the user's code */
static int make_dir(char *p)
{
	char *s;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0700) && errno != EEXIST) {
			*s = '/';
			return -1;
		}
		*s = '/';
	}
	return mkdir(p, 0700) && errno != EEXIST ? -1 : 0;
}

/* CTRACE_CACHE_DIR (empty: no cache), else the XDG cache directory */
static const char *cache_dir(void)
{
	const char *env = getenv("CTRACE_CACHE_DIR"), *base;
	size_t n;

	if (dir_state)
		return dir_state > 0 ? dir : NULL;
	dir_state = -1;
	if (env) {
		if (!*env)
			return NULL;
		dir = xstrdup(env);
	} else if ((base = getenv("XDG_CACHE_HOME")) && *base == '/') {
		n = strlen(base) + 32;
		dir = xmalloc(n);
		snprintf(dir, n, "%s/ctrace/symbols", base);
	} else if ((base = getenv("HOME")) && *base == '/') {
		n = strlen(base) + 32;
		dir = xmalloc(n);
		snprintf(dir, n, "%s/.cache/ctrace/symbols", base);
	} else {
		return NULL;
	}
	if (make_dir(dir)) {
		free(dir);
		dir = NULL;
		return NULL;
	}
	dir_state = 1;
	return dir;
}

static char *read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t k;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > SC_MAX_FILE) {
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (n < (size_t)st.st_size &&
	       (k = read(fd, buf + n, st.st_size - n)) > 0)
		n += k;
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* the entries of a file whose identity is ident; lines that do not parse
 * (a run killed while writing, garbage) are skipped */
static void load(struct col_symcache *c)
{
	size_t len, ml = strlen(SC_MAGIC), il = strlen(c->ident);
	char *buf = read_file(c->path, &len), *p, *nl, *t;
	unsigned long long va;
	int exact;

	if (!buf)
		return;
	p = buf;
	if (len < ml + il + 1 || memcmp(p, SC_MAGIC, ml) ||
	    memcmp(p + ml, c->ident, il) || p[ml + il] != '\n') {
		c->dirty = 1;		/* another identity: replace it */
		free(buf);
		return;
	}
	for (p += ml + il + 1; (nl = memchr(p, '\n', buf + len - p));
	     p = nl + 1) {
		*nl = 0;
		if (sscanf(p, "%llx\t%d\t", &va, &exact) != 2 ||
		    (exact != 0 && exact != 1))
			continue;
		t = strchr(p, '\t');
		t = t ? strchr(t + 1, '\t') : NULL;
		if (t)
			ent_add(c, va, exact, t + 1, nl - (t + 1));
	}
	free(buf);
}

struct col_symcache *col_symcache_open(const unsigned char *id, size_t n,
				       const char *ident)
{
	const char *d = cache_dir();
	struct col_symcache *c;
	size_t i, plen;

	if (!d || !n || n > SC_MAX_IDLEN || strchr(ident, '\n'))
		return NULL;
	c = xcalloc(1, sizeof(*c));
	plen = strlen(d) + 2 * n + 24;
	c->path = xmalloc(plen);
	i = snprintf(c->path, plen, "%s/", d);
	for (; n; n--, id++)
		i += snprintf(c->path + i, plen - i, "%02x", *id);
	snprintf(c->path + i, plen - i, "-%016llx",
		 (unsigned long long)hash_str(ident));
	c->ident = xstrdup(ident);
	load(c);
	c->next = all;
	all = c;
	return c;
}

const char *col_symcache_get(struct col_symcache *c, uint64_t vaddr,
			     int exact)
{
	struct sc_ent *e = c ? ent_find(c, vaddr, exact, NULL) : NULL;

	return e ? e->text : NULL;
}

void col_symcache_put(struct col_symcache *c, uint64_t vaddr, int exact,
		      const char *text)
{
	if (!c || strchr(text, '\n') || ent_find(c, vaddr, exact, NULL))
		return;
	ent_add(c, vaddr, exact, text, strlen(text));
	c->dirty = 1;
}

/* write c whole to a new file and rename it over the old one, so that a
 * reader never sees half of it; two collectors ending at once each leave
 * a whole file, the later one's */
static void save(struct col_symcache *c)
{
	size_t n = strlen(c->path) + 32;
	char *tmp = xmalloc(n);
	struct hmap_ent *he = NULL;
	struct sc_ent *e;
	FILE *f;
	int fd;

	snprintf(tmp, n, "%s.%d.tmp", c->path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		free(tmp);
		return;
	}
	fprintf(f, "%s%s\n", SC_MAGIC, c->ident);
	while ((he = hmap_next(&c->ents, he))) {
		e = he->val;
		fprintf(f, "%llx\t%d\t%s\n", (unsigned long long)e->vaddr,
			e->exact, e->text);
	}
	if (fclose(f) || rename(tmp, c->path))
		unlink(tmp);
	free(tmp);
}

void col_symcache_save_all(void)
{
	struct col_symcache *c;

	for (c = all; c; c = c->next)
		if (c->dirty)
			save(c);
}
