/*
 * hook-heap.c - the heap family: the malloc entry points, mmap, munmap.
 *
 * These are the hottest hooks of all, so the recording path is: one load
 * of pl_live and of the guard, the real call, one clock read, one
 * pl_emit().  Everything else is out of line.
 *
 * Three callers must pass straight to the real allocator, unrecorded:
 *   - ctrace itself (the guard is set while we encode, send, unwind, and
 *     while libc or libunwind allocate on our behalf): our memory is never
 *     in the trace;
 *   - dlsym() while pl_resolve() fills the real_* table: there is no real
 *     malloc to call yet, so those few allocations come from a static
 *     bootstrap arena (as lttng-ust does).  free() recognises arena
 *     pointers and ignores them; realloc() of one copies it out;
 *   - anything before tracing starts or after it stopped (pl_live = 0).
 *
 * Events (ts: after the real call for allocations, before it for frees,
 * so that an address freed by one thread and handed out to another always
 * has FREE before ALLOC in time):
 *   malloc, calloc, posix_memalign, aligned_alloc, memalign, valloc,
 *   pvalloc           ALLOC {addr (0 = failed), size asked, call, stack}
 *   realloc, reallocarray
 *                     REALLOC {addr, old, size, stack}: old 0 = from NULL;
 *                     addr 0 and size 0 = old freed (realloc(p, 0));
 *                     addr 0 and size > 0 = failed, old still allocated
 *   free              FREE {addr, call} (free(NULL) is not recorded)
 *   mmap, mmap64      MMAP {addr (0 = failed), size, prot, fd, stack}: every
 *                     mapping, fd -1 for anonymous ones (the heap proper),
 *                     the file's fd otherwise
 *   munmap            MUNMAP {addr, size, result (0 or -errno)}
 *
 * Sampling (CTRACE_HEAP_SAMPLE=BYTES, as Go and tcmalloc do): each thread
 * counts down a number of bytes drawn from an exponential distribution of
 * mean BYTES; the allocation that crosses zero is sampled, so one of size
 * s is recorded with probability 1 - exp(-s/BYTES), with a deep stack.
 * Sampled addresses go into a small open-addressing set; free() records
 * only addresses found there.  The set is read without a lock (a seqlock
 * tells a reader that raced with a removal to look again) and written
 * under a spin lock taken only on the sampled path.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pl.h"
#include "guard.h"

#define RA() __builtin_return_address(0)
#define PL_SLOW __attribute__((noinline, cold))

/* ------------------------------------------------------------------ */
/* bootstrap arena                                                      */

#define ARENA_SIZE	(64 * 1024)

static char arena[ARENA_SIZE] __attribute__((aligned(64)));
static size_t arena_used;

static inline int in_arena(const void *p)
{
	return (const char *)p >= arena && (const char *)p < arena + ARENA_SIZE;
}

/* arena_alloc() : size bytes aligned to align (a power of two), preceded
 * by their size for realloc; NULL when the arena is used up */
static void *arena_alloc(size_t size, size_t align)
{
	size_t old, start, end;

	if (align < 16)
		align = 16;
	if (size > ARENA_SIZE || align > ARENA_SIZE / 4)
		return NULL;
	old = __atomic_load_n(&arena_used, __ATOMIC_RELAXED);
	do {
		start = (old + 16 + align - 1) & ~(align - 1);
		end = start + ((size + 15) & ~(size_t)15);
		if (end > ARENA_SIZE)
			return NULL;
	} while (!__atomic_compare_exchange_n(&arena_used, &old, end, 0,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	*(size_t *)(arena + start - sizeof(size_t)) = size;
	return arena + start;
}

static size_t arena_size(const void *p)
{
	return *(const size_t *)((const char *)p - sizeof(size_t));
}

/* ------------------------------------------------------------------ */
/* sampling                                                             */

struct heap_tls {
	int64_t left;		/* bytes until the next sample */
	uint64_t rng;		/* xorshift state, 0 = not seeded */
};

static __thread struct heap_tls ht __attribute__((tls_model("initial-exec")));

/* natural log of x in (0, 1]: the preload links no libm */
static double ln(double x)
{
	union { double d; uint64_t u; } v = { x };
	int e = (int)((v.u >> 52) & 0x7ff) - 1023;
	double m, t, t2;

	v.u = (v.u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
	m = v.d;			/* x = m * 2^e, m in [1, 2) */
	t = (m - 1) / (m + 1);		/* |t| <= 1/3 */
	t2 = t * t;
	return e * 0.69314718055994531 +
	       2 * t * (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 +
	       t2 * (1.0 / 9 + t2 * (1.0 / 11))))));
}

/* next_gap() : bytes to the next sample, exponential of mean sample */
static int64_t next_gap(void)
{
	uint64_t x = ht.rng;
	double u;

	if (!x)
		x = ((uint64_t)pl_tid() << 32) ^ pl_now() ^ 0x9e3779b97f4a7c15ull;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	ht.rng = x;
	u = ((x >> 11) + 1) * (1.0 / 9007199254740992.0);	/* (0, 1] */
	return (int64_t)(-ln(u) * pl_conf.heap_sample) + 1;
}

/* sample() : does this allocation of n bytes carry a sample? */
static int sample(size_t n)
{
	int64_t s = n > INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)n;

	if (PL_UNLIKELY(!ht.rng))
		ht.left = next_gap();
	ht.left -= s;
	if (PL_LIKELY(ht.left > 0))
		return 0;
	do
		ht.left += next_gap();
	while (ht.left <= 0);
	return 1;
}

/*
 * The set of sampled live addresses: linear probing, removal by backward
 * shift (no tombstones, so a miss stops at the first empty slot).  Writers
 * hold set_lock and make seq odd while they move entries; a reader that
 * misses while seq moved looks again.
 */
#define SET_BITS	16
#define SET_SLOTS	(1u << SET_BITS)
#define SET_MAX		(SET_SLOTS / 4 * 3)

static uint64_t set_slot[SET_SLOTS];
static unsigned set_count;
static unsigned set_seq;
static int set_lock;

static inline unsigned set_home(uint64_t a)
{
	return (unsigned)((a * 0x9e3779b97f4a7c15ull) >> (64 - SET_BITS));
}

static int set_find(uint64_t a)
{
	unsigned i = set_home(a), n;
	uint64_t v;

	for (n = 0; n < SET_SLOTS; n++, i = (i + 1) & (SET_SLOTS - 1)) {
		v = __atomic_load_n(&set_slot[i], __ATOMIC_RELAXED);
		if (v == a)
			return (int)i;
		if (!v)
			return -1;
	}
	return -1;
}

/* set_has() : lock-free membership, the only part on every free() */
static int set_has(uint64_t a)
{
	unsigned s1, s2;
	int r;

	do {
		s1 = __atomic_load_n(&set_seq, __ATOMIC_ACQUIRE);
		r = set_find(a);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&set_seq, __ATOMIC_RELAXED);
	} while (r < 0 && (s1 != s2 || (s1 & 1)));
	return r >= 0;
}

/* a spin-wait hint for each architecture hook-sync.c knows */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static void set_take(void)
{
	while (__atomic_exchange_n(&set_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void set_give(void)
{
	__atomic_store_n(&set_lock, 0, __ATOMIC_RELEASE);
}

/* set_add() : 1 when a is now in the set (0: full, do not sample) */
static int set_add(uint64_t a)
{
	unsigned i;
	int r = 0;

	if (!a)
		return 0;
	set_take();
	if (set_find(a) >= 0) {
		r = 1;
	} else if (set_count < SET_MAX) {
		for (i = set_home(a); set_slot[i];
		     i = (i + 1) & (SET_SLOTS - 1))
			;
		__atomic_store_n(&set_slot[i], a, __ATOMIC_RELEASE);
		set_count++;
		r = 1;
	}
	set_give();
	return r;
}

/* set_del() : remove a; 1 if it was there */
static int set_del(uint64_t a)
{
	unsigned i, j, h;
	int k;

	set_take();
	k = set_find(a);
	if (k < 0) {
		set_give();
		return 0;
	}
	__atomic_store_n(&set_seq, set_seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	i = (unsigned)k;
	for (j = (i + 1) & (SET_SLOTS - 1); set_slot[j];
	     j = (j + 1) & (SET_SLOTS - 1)) {
		h = set_home(set_slot[j]);
		/* move j back to i unless its home lies in (i, j] */
		if (((j - h) & (SET_SLOTS - 1)) >= ((j - i) & (SET_SLOTS - 1))) {
			__atomic_store_n(&set_slot[i], set_slot[j],
					 __ATOMIC_RELAXED);
			i = j;
		}
	}
	__atomic_store_n(&set_slot[i], 0, __ATOMIC_RELAXED);
	set_count--;
	__atomic_store_n(&set_seq, set_seq + 1, __ATOMIC_RELEASE);
	set_give();
	return 1;
}

/* a fork child: the lock may have been held by a thread that is gone */
void pl_heap_postfork_child(void)
{
	set_lock = 0;
	if (set_seq & 1)
		set_seq++;
	ht.rng = 0;
}

/* ------------------------------------------------------------------ */
/* recording                                                            */

/* keep_alloc() : sampling verdict for a new block; deeper stack if so */
static inline int keep_alloc(void *p, size_t n, unsigned *depth)
{
	*depth = pl_conf.stack_depth;
	if (PL_LIKELY(!pl_conf.heap_sample))
		return 1;
	if (PL_LIKELY(!sample(n)) || !set_add((uintptr_t)p))
		return 0;
	*depth = pl_conf.stack_sampled;
	return 1;
}

/* keep_free() : record the free of p? */
static inline int keep_free(void *p)
{
	if (PL_LIKELY(!pl_conf.heap_sample))
		return 1;
	return set_has((uintptr_t)p) && set_del((uintptr_t)p);
}

static __attribute__((noinline)) void
rec_alloc(void *p, size_t n, unsigned call, void *ra)
{
	struct fmt_event ev;
	uint64_t st[PL_STACK_MAX];
	unsigned depth;

	if (!keep_alloc(p, n, &depth))
		return;
	ev.type = FMT_EV_ALLOC;
	ev.ts = pl_now();
	ev.f[FMT_F_ALLOC_addr] = (uintptr_t)p;
	ev.f[FMT_F_ALLOC_size] = n;
	ev.f[FMT_F_ALLOC_call] = call;
	ev.stack = st;
	ev.nstack = pl_stack_n(st, ra, depth);
	ev.slen = ev.slen2 = 0;
	pl_emit_alloc(&ev, ev.ts);
}

static void emit_free(void *p, unsigned call)
{
	struct fmt_event ev;

	ev.type = FMT_EV_FREE;
	ev.ts = pl_now();
	ev.f[FMT_F_FREE_addr] = (uintptr_t)p;
	ev.f[FMT_F_FREE_call] = call;
	ev.nstack = 0;
	ev.slen = ev.slen2 = 0;
	pl_emit_free(&ev, ev.ts);
}

/* rec_free() : called before the real free, see the header comment */
static __attribute__((noinline)) void rec_free(void *p, unsigned call)
{
	if (keep_free(p))
		emit_free(p, call);
}

/*
 * rec_realloc() : old moved to p (size n).  With sampling, the old block
 * leaves the set if it was in it, and the new one enters by its own draw:
 * both sampled or only the new one: REALLOC (old 0 if it was not
 * sampled); only the old one: a FREE of it.
 */
static __attribute__((noinline)) void
rec_realloc(void *p, void *old, size_t n, void *ra)
{
	struct fmt_event ev;
	uint64_t st[PL_STACK_MAX];
	unsigned depth = pl_conf.stack_depth;
	int was, is;

	if (pl_conf.heap_sample) {
		/* a failed realloc leaves old allocated (and sampled) */
		was = old && (p || !n) && set_has((uintptr_t)old) &&
		      set_del((uintptr_t)old);
		is = p && sample(n) && set_add((uintptr_t)p);
		if (!is) {
			if (was)
				emit_free(old, FMT_CALL_realloc);
			return;
		}
		if (!was)
			old = NULL;
		depth = pl_conf.stack_sampled;
	}
	ev.type = FMT_EV_REALLOC;
	ev.ts = pl_now();
	ev.f[FMT_F_REALLOC_addr] = (uintptr_t)p;
	ev.f[FMT_F_REALLOC_old] = (uintptr_t)old;
	ev.f[FMT_F_REALLOC_size] = n;
	ev.stack = st;
	ev.nstack = pl_stack_n(st, ra, depth);
	ev.slen = ev.slen2 = 0;
	pl_emit(&ev, ev.ts);
}

/* ------------------------------------------------------------------ */
/* pass-through: before tracing, inside ctrace, while resolving         */

/* resolving() : 1 when the table must not be used (dlsym is running in
 * this thread); otherwise the table is complete on return */
static inline int resolving(void)
{
	if (PL_LIKELY(__atomic_load_n(&pl_resolved, __ATOMIC_ACQUIRE)))
		return 0;
	if (pl_tls.guard)
		return 1;
	pl_resolve();
	return 0;
}

/*
 * plain_malloc(), plain_free() : the pass-through, inline: it is the
 * whole of a hook outside a recording window (--paused), where malloc
 * churn must cost what it does untraced.  Once resolved, one load and
 * one branch; the resolver's check is out of line, so that no path
 * through the hook needs a stack frame.
 */
static PL_SLOW void *early_malloc(size_t n)
{
	if (resolving() && !pl_real.malloc)
		return arena_alloc(n, 16);
	return pl_real.malloc(n);
}

static inline void *plain_malloc(size_t n)
{
	if (PL_UNLIKELY(!pl_real.malloc))
		return early_malloc(n);
	return pl_real.malloc(n);
}

static PL_SLOW void *plain_calloc(size_t n, size_t m)
{
	size_t t;

	if (!pl_real.calloc && resolving() && !pl_real.calloc) {
		if (__builtin_mul_overflow(n, m, &t))
			return NULL;
		return arena_alloc(t, 16);	/* static: already zero */
	}
	return pl_real.calloc(n, m);
}

static PL_SLOW void early_free(void *p)
{
	if (resolving() && !pl_real.free)
		return;		/* leaked: only dlsym's first calls get here */
	pl_real.free(p);
}

static inline void plain_free(void *p)
{
	if (PL_UNLIKELY(!pl_real.free))
		early_free(p);
	else
		pl_real.free(p);
}

static PL_SLOW void *plain_memalign(size_t align, size_t n)
{
	if (!pl_real.memalign && resolving() && !pl_real.memalign)
		return arena_alloc(n, align);
	return pl_real.memalign(align, n);
}

/* realloc of an arena block: copy it out, never free it */
static PL_SLOW void *arena_realloc(void *old, size_t n)
{
	void *p;
	size_t o = arena_size(old);

	if (resolving() && !pl_real.malloc)
		p = arena_alloc(n, 16);
	else
		p = pl_real.malloc(n);
	if (p)
		memcpy(p, old, o < n ? o : n);
	return p;
}

static PL_SLOW void *plain_realloc(void *old, size_t n)
{
	if (!pl_real.realloc && resolving() && !pl_real.realloc)
		return old ? NULL : arena_alloc(n, 16);
	return pl_real.realloc(old, n);
}

/* ------------------------------------------------------------------ */
/* hooks                                                                */

static inline int heap_off(void)
{
	return !pl_on(FMT_FAM_HEAP) || pl_tls.guard;
}

/*
 * traced_malloc(), traced_free() : the recording halves of malloc and
 * free, out of line so that the hooks themselves end in a jump either
 * way and need no stack frame: outside a window (--paused), a free is
 * then its few loads and tests and the jump to libc's (callgrind: 24
 * instructions before, 13 after).
 */
static __attribute__((noinline)) void *traced_malloc(size_t n, void *ra)
{
	void *p = pl_real.malloc(n);

	rec_alloc(p, n, FMT_CALL_malloc, ra);
	return p;
}

static __attribute__((noinline)) void traced_free(void *p)
{
	rec_free(p, FMT_CALL_free);
	pl_real.free(p);
}

PL_EXPORT void *malloc(size_t n)
{
	if (PL_UNLIKELY(heap_off()))
		return plain_malloc(n);
	return traced_malloc(n, RA());
}

PL_EXPORT void *calloc(size_t n, size_t m)
{
	size_t t;
	void *p;

	if (PL_UNLIKELY(heap_off()))
		return plain_calloc(n, m);
	p = pl_real.calloc(n, m);
	if (__builtin_mul_overflow(n, m, &t))
		t = 0;
	rec_alloc(p, t, FMT_CALL_calloc, RA());
	return p;
}

PL_EXPORT void free(void *p)
{
	if (PL_UNLIKELY(in_arena(p)))
		return;
	if (PL_UNLIKELY(heap_off() || !p)) {
		plain_free(p);
		return;
	}
	traced_free(p);
}

PL_EXPORT void *realloc(void *old, size_t n)
{
	void *p;

	if (PL_UNLIKELY(in_arena(old)))
		return arena_realloc(old, n);
	if (PL_UNLIKELY(heap_off()))
		return plain_realloc(old, n);
	p = pl_real.realloc(old, n);
	rec_realloc(p, old, n, RA());
	return p;
}

/* glibc's reallocarray calls realloc through the PLT: the guard keeps
 * that inner call out of the trace */
PL_EXPORT void *reallocarray(void *old, size_t n, size_t m)
{
	size_t t;
	void *p;
	int e;

	if (PL_UNLIKELY(in_arena(old))) {
		if (__builtin_mul_overflow(n, m, &t)) {
			errno = ENOMEM;
			return NULL;
		}
		return arena_realloc(old, t);
	}
	if (PL_UNLIKELY(heap_off()))
		return REAL(reallocarray)(old, n, m);
	pl_enter();
	p = pl_real.reallocarray(old, n, m);
	e = errno;
	pl_leave();
	if (__builtin_mul_overflow(n, m, &t))
		t = SIZE_MAX;		/* failed: old unchanged */
	rec_realloc(p, old, t, RA());
	errno = e;
	return p;
}

PL_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	int r;

	if (PL_UNLIKELY(heap_off())) {
		if (resolving() && !pl_real.posix_memalign) {
			*out = arena_alloc(n, align);
			return *out ? 0 : ENOMEM;
		}
		return pl_real.posix_memalign(out, align, n);
	}
	r = pl_real.posix_memalign(out, align, n);
	rec_alloc(r ? NULL : *out, n, FMT_CALL_posix_memalign, RA());
	return r;
}

PL_EXPORT void *aligned_alloc(size_t align, size_t n)
{
	void *p;

	if (PL_UNLIKELY(heap_off()))
		return plain_memalign(align, n);
	p = pl_real.aligned_alloc(align, n);
	rec_alloc(p, n, FMT_CALL_aligned_alloc, RA());
	return p;
}

PL_EXPORT void *memalign(size_t align, size_t n)
{
	void *p;

	if (PL_UNLIKELY(heap_off()))
		return plain_memalign(align, n);
	p = pl_real.memalign(align, n);
	rec_alloc(p, n, FMT_CALL_memalign, RA());
	return p;
}

PL_EXPORT void *valloc(size_t n)
{
	void *p;

	if (PL_UNLIKELY(heap_off()))
		return plain_memalign(4096, n);
	p = pl_real.valloc(n);
	rec_alloc(p, n, FMT_CALL_valloc, RA());
	return p;
}

PL_EXPORT void *pvalloc(size_t n)
{
	void *p;

	if (PL_UNLIKELY(heap_off()))
		return plain_memalign(4096, (n + 4095) & ~(size_t)4095);
	p = pl_real.pvalloc(n);
	rec_alloc(p, n, FMT_CALL_pvalloc, RA());
	return p;
}

/* ------------------------------------------------------------------ */
/* mmap, munmap                                                         */

static PL_SLOW void rec_mmap(void *p, size_t n, int prot, int flags, int fd,
			     void *ra)
{
	struct fmt_event ev;
	uint64_t st[PL_STACK_MAX];
	int e = errno;

	ev.type = FMT_EV_MMAP;
	ev.ts = pl_now();
	ev.f[FMT_F_MMAP_addr] = p == MAP_FAILED ? 0 : (uintptr_t)p;
	ev.f[FMT_F_MMAP_size] = n;
	ev.f[FMT_F_MMAP_prot] = (unsigned)prot;
	ev.f[FMT_F_MMAP_fd] =
		(uint64_t)(int64_t)((flags & MAP_ANONYMOUS) ? -1 : fd);
	ev.stack = st;
	ev.nstack = pl_stack(st, ra);
	ev.slen = ev.slen2 = 0;
	pl_emit(&ev, ev.ts);
	errno = e;
}

static void *plain_mmap(void *a, size_t n, int prot, int flags, int fd,
			off_t off)
{
	if (resolving() && !pl_real.mmap)
		return (void *)syscall(SYS_mmap, a, n, prot, flags, fd, off);
	return pl_real.mmap(a, n, prot, flags, fd, off);
}

PL_EXPORT void *mmap(void *a, size_t n, int prot, int flags, int fd,
		     off_t off)
{
	void *p;

	if (heap_off() || pl_unwinder_call(RA()))
		return plain_mmap(a, n, prot, flags, fd, off);
	p = pl_real.mmap(a, n, prot, flags, fd, off);
	rec_mmap(p, n, prot, flags, fd, RA());
	return p;
}

/* LP64: mmap64 is mmap; programs built with _FILE_OFFSET_BITS=64 on a
 * 32-bit system would call it (not supported there anyway) */
PL_EXPORT void *mmap64(void *a, size_t n, int prot, int flags, int fd,
		       off_t off) __attribute__((alias("mmap")));

PL_EXPORT int munmap(void *a, size_t n)
{
	struct fmt_event ev;
	int r, e;

	if (heap_off() || pl_unwinder_call(RA())) {
		if (resolving() && !pl_real.munmap)
			return syscall(SYS_munmap, a, n);
		return pl_real.munmap(a, n);
	}
	ev.ts = pl_now();
	r = pl_real.munmap(a, n);
	e = errno;
	ev.type = FMT_EV_MUNMAP;
	ev.f[FMT_F_MUNMAP_addr] = (uintptr_t)a;
	ev.f[FMT_F_MUNMAP_size] = n;
	ev.f[FMT_F_MUNMAP_result] = (uint64_t)(int64_t)(r ? -e : 0);
	ev.nstack = 0;
	ev.slen = ev.slen2 = 0;
	pl_emit(&ev, pl_now());
	errno = e;
	return r;
}
