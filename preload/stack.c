/*
 * stack.c - stacks deeper than the call site (CTRACE_STACK_DEPTH > 1).
 *
 * Debian builds without frame pointers, so the unwinder must follow the
 * DWARF call frame information (.eh_frame).  Measured on Debian 12 x86_64
 * (glibc 2.36, gcc 12, libunwind 1.6.2), a 14-frame stack of an -O2
 * program without frame pointers, 200000 unwinds, best of 2:
 *
 *   glibc backtrace() (libgcc _Unwind_Backtrace)    2380 ns per stack
 *   libunwind unw_backtrace() (UNW_LOCAL_ONLY)       114 ns per stack
 *
 * libgcc interprets the CFI of every frame on every call; libunwind's
 * unw_backtrace() keeps a per-thread cache of frame layouts (its "fast
 * trace"), so after warm-up a frame costs a hash lookup.  We use
 * libunwind, loaded with dlopen() at start-up (no link dependency, no
 * header needed: unw_backtrace has the backtrace() signature).  When
 * libunwind.so.8 is missing, stacks are the call site only.
 *
 * The first frame is always the hook's call site (return address into the
 * caller); the unwinder's frames inside ctrace are dropped by finding that
 * address among them.  Unwinding runs with the guard set, so whatever
 * libunwind allocates goes straight to the real allocator, unrecorded.
 * Limits: a stack the program corrupted ends the unwind early or, as with
 * any in-process unwinder that trusts the CFI, could fault; unwinding from
 * a signal handler that interrupted dlopen() in the same thread would
 * wait on the loader's lock (libunwind looks objects up with
 * dl_iterate_phdr on a cache miss).
 */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <errno.h>

#include "pl.h"
#include "guard.h"

/* frames of ctrace between the unwinder and the hook's caller */
#define SKIP_MAX	8

/* our own code, from the linker: its frames are never the program's */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char etext[] __attribute__((visibility("hidden")));

static int in_ctrace(const void *pc)
{
	return (const char *)pc >= __ehdr_start && (const char *)pc < etext;
}

static int (*unw_bt)(void **, int);

/*
 * Where libunwind's code lies: its calls are ctrace's own (it maps and
 * unmaps per-thread caches, some from a pthread_key destructor at thread
 * exit, outside any guard), and the mmap hooks must not record them.
 */
static uintptr_t unw_lo, unw_hi;

static int find_unw(struct dl_phdr_info *in, size_t size, void *arg)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0, a;
	int i;

	if (in->dlpi_addr != (uintptr_t)arg)
		return 0;
	for (i = 0; i < in->dlpi_phnum; i++) {
		if (in->dlpi_phdr[i].p_type != PT_LOAD)
			continue;
		a = in->dlpi_addr + in->dlpi_phdr[i].p_vaddr;
		lo = a < lo ? a : lo;
		a += in->dlpi_phdr[i].p_memsz;
		hi = a > hi ? a : hi;
	}
	unw_lo = lo;
	unw_hi = hi;
	return 1;
}

int pl_unwinder_call(const void *ra)
{
	return (uintptr_t)ra >= unw_lo && (uintptr_t)ra < unw_hi;
}

/* pl_stack_init() : load the unwinder if any stack may be deeper than 1 */
void pl_stack_init(void)
{
	struct link_map *lm;
	void *h;

	if (pl_conf.stack_depth <= 1 && pl_conf.stack_block <= 1 &&
	    (pl_conf.stack_sampled <= 1 || !pl_conf.heap_sample) &&
	    (pl_conf.stack_cpu <= 1 || !(pl_conf.fam & FMT_FAM_CPU) ||
	     !pl_conf.cpu_hz))
		return;
	h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
	if (h)
		*(void **)&unw_bt = dlsym(h, "unw_backtrace");
	if (h && dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0)
		dl_iterate_phdr(find_unw, (void *)lm->l_addr);
	pl_dbg(PL_DBG_INIT, "unwinder: %s",
	       unw_bt ? "libunwind" : "none, call sites only");
}

unsigned pl_unwind(uint64_t *st, void *ra, unsigned depth)
{
	void *buf[PL_STACK_MAX + SKIP_MAX];
	int n, i, j, e;

	st[0] = (uintptr_t)ra;
	if (!unw_bt || depth <= 1 || !pl_enter())
		return 1;
	if (depth > PL_STACK_MAX)
		depth = PL_STACK_MAX;
	e = errno;
	n = unw_bt(buf, (int)depth + SKIP_MAX);
	errno = e;
	pl_leave();
	for (i = 0; i < n && i < SKIP_MAX; i++)
		if (buf[i] == ra)
			break;
	if (i >= n || i >= SKIP_MAX)
		return 1;	/* the call site is not among them: odd */
	/* our wrappers can sit inside the program's stack too (main is
	 * called from ours): leave them out, the program never called them */
	for (j = 1, i++; i < n && j < (int)depth; i++)
		if (!in_ctrace(buf[i]))
			st[j++] = (uintptr_t)buf[i];
	return j;
}
