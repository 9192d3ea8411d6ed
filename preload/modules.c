/*
 * modules.c - tell the collector which objects are mapped where, so it
 * can symbolize the addresses of stacks: FMT_MSG_MODULES (format/wire.h).
 *
 * After every HELLO (start, exec, fork child) the whole list is sent; a
 * dlopen()/dlmopen() that loaded something and a dlclose() that unloaded
 * something send the difference (FMT_MOD_ADD / FMT_MOD_DEL).  Objects are
 * found with dl_iterate_phdr(): load bias, the span [lo, hi) of the
 * PT_LOAD segments, the path (the main program's from /proc/self/exe) and
 * the GNU build id from its PT_NOTE.  An object is known by (lo, hash of
 * its path), so an address range reused by another library is a DEL and
 * an ADD.  Module deletions carry bias, lo and hi only.
 *
 * dlopen() looks the file up relative to its caller: the caller's
 * DT_RUNPATH / DT_RPATH and $ORIGIN.  Calling the real dlopen from our
 * hook would make libctrace.so the caller, so when the caller has such
 * tags, or the name has a '$', the hook tail-calls the real dlopen
 * (the return address stays the caller's) and cannot see the result: the
 * new objects are then sent at the next dlopen/dlclose or at exit.
 *
 * The known list and the message buffer are mmap'ed once; a spin lock
 * (taken with the guard set) serializes the scans.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pl.h"
#include "guard.h"

#define MOD_MAX		8192
#define MSG_ROOM	(FMT_WIRE_MAX_MSG - 64)
#define PRE		FMT_WIRE_MODULES_PRE

struct mod {
	uint64_t lo, hi, bias, hash;
	unsigned gen;		/* last scan that saw it */
};

struct scan {
	uint8_t *p;		/* end of the modules written */
	unsigned n;		/* modules in the message */
	unsigned gen;
};

static struct mod *known;
static unsigned nknown, gen;
static uint8_t *msg;		/* PRE bytes of room, then modules */
static int mod_lock;
static int dirty;		/* a dlopen we could not follow */

/*
 * The preload keeps its own containers, and this is why: it does not
 * link util/hash.c, the programs' one table, which grows with malloc and
 * dies when that fails, while the preload runs inside the program's
 * malloc and signal handlers and must never end it.  So its tables are
 * fixed and mapped once: this list, hook-heap.c's sampled blocks, cfi.c's
 * unwind cache, hook-sync.c's wake slots.  The hash of a path is FNV-1a,
 * as util/hash.c's hash_bytes() before its final mix.
 */
static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

static int setup(void)
{
	if (known)
		return 0;
	known = REAL(mmap)(NULL, MOD_MAX * sizeof(*known), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	msg = REAL(mmap)(NULL, FMT_WIRE_MAX_MSG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (known == MAP_FAILED || msg == MAP_FAILED) {
		known = NULL;
		return -1;
	}
	return 0;
}

/* send_msg() : the modules written so far as one message, then start over */
static void send_msg(struct scan *s)
{
	uint8_t *start;

	if (!s->n)
		return;
	start = fmt_msg_modules_before(msg + PRE, s->p - (msg + PRE),
				       pl_now(), s->n);
	pl_send(start, s->p - start, 0);
	s->p = msg + PRE;
	s->n = 0;
}

static void put(struct scan *s, unsigned op, const struct mod *m,
		const char *path, size_t plen, const void *bid, size_t blen)
{
	struct fmt_module mod = {
		.op = op, .bias = m->bias, .lo = m->lo, .hi = m->hi,
		.path = path, .path_len = plen, .buildid = bid,
		.buildid_len = blen,
	};

	if (s->p + 6 * FMT_VARINT_MAX + plen + blen > msg + MSG_ROOM)
		send_msg(s);
	s->p = fmt_msg_put_module(s->p, &mod);
	s->n++;
}

/* build_id() : the GNU build id among the object's notes, or NULL */
static const void *build_id(const struct dl_phdr_info *info, size_t *len)
{
	const ElfW(Phdr) *ph;
	const uint8_t *p, *end, *name, *desc;
	const ElfW(Nhdr) *nh;
	size_t al;
	int i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		al = ph->p_align == 8 ? 8 : 4;
		p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(*nh) <= end) {
			nh = (const ElfW(Nhdr) *)p;
			name = p + sizeof(*nh);
			desc = name + ((nh->n_namesz + al - 1) & ~(al - 1));
			if (desc + nh->n_descsz > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID &&
			    nh->n_namesz == 4 && !memcmp(name, "GNU", 4) &&
			    nh->n_descsz <= 64) {
				*len = nh->n_descsz;
				return desc;
			}
			p = desc + ((nh->n_descsz + al - 1) & ~(al - 1));
		}
	}
	*len = 0;
	return NULL;
}

static struct mod *find(uint64_t lo, uint64_t hash)
{
	unsigned i;

	for (i = 0; i < nknown; i++)
		if (known[i].lo == lo && known[i].hash == hash)
			return &known[i];
	return NULL;
}

static int on_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct scan *s = arg;
	struct mod m = { UINT64_MAX, 0, info->dlpi_addr, 0, 0 }, *k;
	const char *path = info->dlpi_name ? info->dlpi_name : "";
	char exe[4096];
	const void *bid;
	size_t blen;
	ssize_t n;
	int i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (info->dlpi_addr + ph->p_vaddr < m.lo)
			m.lo = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > m.hi)
			m.hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	if (m.hi <= m.lo)
		return 0;
	if (!*path) {		/* the main program */
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = 0;
		path = exe;
	}
	m.hash = hash_str(path);
	k = find(m.lo, m.hash);
	if (k) {
		k->gen = s->gen;
		return 0;
	}
	if (nknown == MOD_MAX)
		return 0;
	m.gen = s->gen;
	known[nknown++] = m;
	bid = build_id(info, &blen);
	put(s, FMT_MOD_ADD, &m, path, strlen(path), bid, blen);
	return 0;
}

/* scan() : send ADD for new objects, DEL for gone ones (lock held) */
static void scan(void)
{
	struct scan s;
	unsigned i, j;

	if (setup())
		return;
	s.p = msg + PRE;
	s.n = 0;
	s.gen = ++gen;
	dirty = 0;
	dl_iterate_phdr(on_object, &s);
	for (i = j = 0; i < nknown; i++) {
		if (known[i].gen != s.gen) {
			put(&s, FMT_MOD_DEL, &known[i], "", 0, "", 0);
			continue;
		}
		known[j++] = known[i];
	}
	nknown = j;
	send_msg(&s);
}

static void locked_scan(int all)
{
	int e = errno, g;

	if (!all && !pl_on(PL_CONNECTED))
		return;
	g = pl_enter();
	while (__atomic_exchange_n(&mod_lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
	if (all)
		nknown = 0;
	scan();
	__atomic_store_n(&mod_lock, 0, __ATOMIC_RELEASE);
	if (g)
		pl_leave();
	errno = e;
}

/*
 * pl_mod_send_all() : after a HELLO.  Only ever called with one thread in
 * the process (start-up, a fork child), so a lock left held by a thread
 * that did not survive the fork is simply reset.
 */
void pl_mod_send_all(void)
{
	mod_lock = 0;
	locked_scan(1);
}

void pl_mod_sync(void)
{
	locked_scan(0);
}

/* pl_mod_sync_dirty() : at exit, what a followed-blind dlopen loaded */
void pl_mod_sync_dirty(void)
{
	if (__atomic_load_n(&dirty, __ATOMIC_RELAXED))
		locked_scan(0);
}

/* ------------------------------------------------------------------ */
/* dlopen, dlmopen, dlclose                                             */

/* caller_bound() : would the real dlopen resolve file differently if we,
 * not the caller at ra, called it? */
static __attribute__((noinline)) int caller_bound(const char *file, void *ra)
{
	struct link_map *lm = NULL;
	const ElfW(Dyn) *d;
	Dl_info di;

	if (!file || (strchr(file, '/') && !strchr(file, '$')))
		return 0;
	if (strchr(file, '$'))
		goto bound;
	if (!dladdr1(ra, &di, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return 0;
	for (d = lm->l_ld; d && d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_RUNPATH || d->d_tag == DT_RPATH)
			goto bound;
	return 0;
bound:
	__atomic_store_n(&dirty, 1, __ATOMIC_RELAXED);
	return 1;
}

static __attribute__((noinline)) void *opened(void *h)
{
	if (h)
		pl_mod_sync();
	return h;
}

/* every path that does not follow the result is a tail call, so the real
 * dlopen sees the program's return address */
PL_EXPORT void *dlopen(const char *file, int mode)
{
	if (!pl_on(PL_CONNECTED) || pl_inside() ||
	    caller_bound(file, __builtin_return_address(0)))
		return REAL(dlopen)(file, mode);
	return opened(REAL(dlopen)(file, mode));
}

PL_EXPORT void *dlmopen(Lmid_t ns, const char *file, int mode)
{
	if (!pl_on(PL_CONNECTED) || pl_inside() ||
	    caller_bound(file, __builtin_return_address(0)))
		return REAL(dlmopen)(ns, file, mode);
	return opened(REAL(dlmopen)(ns, file, mode));
}

PL_EXPORT int dlclose(void *h)
{
	int r = REAL(dlclose)(h);

	/* the unwinder's rules for its code may be another object's next */
	if (r == 0)
		pl_cfi_forget();
	if (r == 0 && pl_on(PL_CONNECTED) && !pl_inside())
		pl_mod_sync();
	return r;
}
