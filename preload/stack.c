/*
 * stack.c - stacks deeper than the call site (CTRACE_STACK_DEPTH > 1).
 *
 * Debian builds without frame pointers, so the unwinder must follow the
 * DWARF call frame information (.eh_frame).  The unwinder runs inside
 * other people's programs, on their threads' stacks: its memory per
 * thread, its locks and its stack use are theirs.  Measured on Debian 12
 * x86_64 (glibc 2.36, gcc 12, libgcc_s 12, libunwind 1.6.2), an 18-frame
 * stack of an -O2 program without frame pointers, 100000 unwinds, runs
 * of three on a 2-core machine busy with other builds (spread in
 * brackets; the machine's load moved every figure by up to 4 times):
 *
 *   libunwind unw_backtrace()        220 ns  [216-548]  256 KiB a thread
 *   libunwind init_local + unw_step  9.1 us  [9.1-10.0] one global lock
 *   (the same, UNW_CACHE_NONE)       35 us   [32-48]
 *   libgcc _Unwind_Backtrace()       4.3 us  [4.1-5.9]  nothing
 *   cfi.c, its rules cached          0.3 us  [0.16-0.33] 32 KiB in all
 *
 * libunwind is fast only through unw_backtrace()'s per-thread "fast
 * trace" cache: 1 << 14 frames of 16 bytes mmap'ed and written by every
 * thread that unwinds once, freed at its exit.  2,000 threads alive that
 * recorded one blocking call peaked at 548 MB against 17.9 MB untraced.
 * Without that cache (which cannot be turned off) it steps frame by
 * frame through a cache shared under one lock, taken with two
 * sigprocmask() calls per frame; and that lock is a pthread mutex, so
 * every contended take ran through our own hooks.  libgcc's unwinder
 * (the one C++ exceptions use, always present: glibc's libc6 depends on
 * it) keeps no per-thread state and finds an object's unwind table with
 * _dl_find_object(), which takes no lock, but interprets every frame's
 * CFI on every unwind.  So stacks are unwound by cfi.c, which caches the
 * simple rule of each return address in one table for the process and
 * steps through the kernel's signal frames, and by libgcc (dlopen'ed at
 * start-up) where cfi.c cannot: DWARF expressions, other CFA registers,
 * stacks of unknown bounds, other architectures.
 * Without libgcc_s, stacks are the call site only.  The 2,000 threads
 * now peak at 28.5 MB (26.3 MB with CTRACE_STACK_DEPTH=1: our event
 * buffers), 5.4 KiB a thread above untraced.
 *
 * Stack room: an unwind needs UNWIND_ROOM bytes below the hook's frame
 * (measured for libgcc's, the deeper of the two: see there).  Each
 * thread's stack bounds are known - from its attr's stack size and its
 * descriptor for a thread we started (pl_stack_thread()), from
 * RLIMIT_STACK and the top of the initial stack for the main thread,
 * from sigaltstack() for a handler on an alternate stack - and when
 * less room is left the stack is the call site only and the cut is
 * counted (a STACK_CUT event after the event, emit.c).  A stack we know
 * nothing of (a thread we did not start, a coroutine's) is unwound by
 * libgcc as before, after a sigaltstack() call.
 *
 * The first frame is always the hook's call site (return address into the
 * caller); the unwinder's frames inside ctrace are dropped by finding that
 * address among them.  Unwinding runs with the guard set, so whatever the
 * unwinder calls that we hook passes through unrecorded.
 * Limits: a stack the program corrupted ends the unwind early or, as with
 * any in-process unwinder that trusts the CFI, could fault; frames the
 * program registered with __register_frame() (JIT code) make libgcc take
 * its object lock.
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <ucontext.h>
#include <unwind.h>

#include "pl.h"
#include "guard.h"

/* frames of ctrace between the unwinder and the hook's caller */
#define SKIP_MAX	8

/*
 * Stack the unwinder may use below pl_unwind()'s frame, with a margin.
 * Measured with tests/fixtures/stack-small and no cut at all: the
 * traced thread died with 2,048 bytes left below the program's frame
 * and worked with 2,560, of which the hook's own frames above
 * pl_unwind() took 816, so an unwind used at most 1,744 bytes (libgcc
 * keeps its context and frame state on the stack, nothing per frame).
 * Cut to the call site, the same thread works with 1,024 bytes left.
 */
#define UNWIND_ROOM	4096

/* our own code, from the linker: its frames are never the program's */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char etext[] __attribute__((visibility("hidden")));

static int in_ctrace(const void *pc)
{
	return (const char *)pc >= __ehdr_start && (const char *)pc < etext;
}

static _Unwind_Reason_Code (*gcc_bt)(_Unwind_Trace_Fn, void *);
static _Unwind_Ptr (*gcc_ip)(struct _Unwind_Context *);

/* this thread's stack, [stk_lo, stk_hi); 0, 0 = not known */
static __thread uintptr_t stk_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t stk_hi __attribute__((tls_model("initial-exec")));

/*
 * Where the unwinder's code lies: what it calls while we unwind is
 * ctrace's own doing, not the program's (emit.c, the mmap hooks).
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

struct walk {
	void **pc;
	int n, max;
};

static _Unwind_Reason_Code walk_one(struct _Unwind_Context *ctx, void *arg)
{
	struct walk *w = arg;
	uintptr_t ip = gcc_ip(ctx);

	if (!ip)
		return _URC_END_OF_STACK;
	w->pc[w->n++] = (void *)ip;
	return w->n < w->max ? _URC_NO_REASON : _URC_END_OF_STACK;
}

static int backtrace_gcc(void **pc, int max)
{
	struct walk w = { pc, 0, max };

	gcc_bt(walk_one, &w);
	return w.n;
}

/*
 * The main thread's stack grows down from the top of the initial stack
 * (the file name the kernel copied last, AT_EXECFN, ends just below it)
 * to RLIMIT_STACK below that top.  No limit: room without end, but the
 * top still bounds what the unwinder reads.
 */
static void main_bounds(void)
{
	const char *fn = (const char *)getauxval(AT_EXECFN);
	uintptr_t page = getauxval(AT_PAGESZ), top, here, lo;
	struct rlimit rl;

	if (!fn || !page || getrlimit(RLIMIT_STACK, &rl))
		return;
	top = ((uintptr_t)fn + strlen(fn) + 1 + page - 1) & ~(page - 1);
	lo = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= top ? 0 :
	     top - rl.rlim_cur;
	here = (uintptr_t)&top;
	if (here >= top || here <= lo)
		return;		/* not the initial stack after all */
	stk_lo = lo;
	stk_hi = top;
}

/*
 * pl_stack_thread() : a thread we started learns its stack bounds, from
 * the size its attr gave and where glibc put its descriptor.  Not from
 * pthread_getattr_np(): that one also asks the kernel for the thread's
 * CPU affinity (a syscall and a malloc'ed set), a tenth of what
 * ctrace adds to a short thread's life.
 *
 * glibc carves the descriptor (struct pthread, which pthread_self()
 * points to) and the static TLS out of the top of the stack, its own or
 * the program's, and the thread's frames start below them: so the
 * descriptor bounds every frame from above.  The lowest usable byte is
 * the stack's size below the block's top (the guard lies under it), and
 * the block's top is at most TCB_ROOM above the descriptor (its size,
 * 2304 bytes in glibc 2.36, and alignment): taking the size below the
 * descriptor plus TCB_ROOM never counts room that is not there.  A
 * cached stack bigger than asked only has more.
 */
#define TCB_ROOM	4096

void pl_stack_thread(size_t stack_size)
{
	uintptr_t hi = (uintptr_t)pthread_self(), here = (uintptr_t)&hi, lo;

	if (!gcc_bt || stack_size <= TCB_ROOM || hi < stack_size)
		return;
	lo = hi - stack_size + TCB_ROOM;
	if (here >= hi || here <= lo)
		return;		/* not laid out as we think: unknown */
	stk_lo = lo;
	stk_hi = hi;
}

/* room() : bytes of stack below sp; SIZE_MAX for a stack we do not know */
static size_t room(uintptr_t sp)
{
	stack_t ss;

	if (sp > stk_lo && sp <= stk_hi)
		return sp - stk_lo;
	/* a signal handler on its alternate stack */
	if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK) &&
	    sp > (uintptr_t)ss.ss_sp && sp <= (uintptr_t)ss.ss_sp + ss.ss_size)
		return sp - (uintptr_t)ss.ss_sp;
	return SIZE_MAX;
}

/* pl_stack_init() : load the unwinder if any stack may be deeper than 1 */
void pl_stack_init(void)
{
	struct link_map *lm;
	void *h, *pc[4];

	if (pl_conf.stack_depth <= 1 && pl_conf.stack_block <= 1 &&
	    (pl_conf.stack_sampled <= 1 || !pl_conf.heap_sample) &&
	    (pl_conf.stack_cpu <= 1 || !(pl_conf.fam & FMT_FAM_CPU) ||
	     !pl_conf.cpu_hz))
		return;
	h = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
	if (h) {
		*(void **)&gcc_bt = dlsym(h, "_Unwind_Backtrace");
		*(void **)&gcc_ip = dlsym(h, "_Unwind_GetIP");
		if (!gcc_ip)
			gcc_bt = NULL;
	}
	if (h && dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0)
		dl_iterate_phdr(find_unw, (void *)lm->l_addr);
	/* its first unwind initialises its tables (pthread_once): here,
	 * not in a signal handler */
	if (gcc_bt)
		backtrace_gcc(pc, 4);
	if (pl_tid() == getpid())
		main_bounds();
	pl_dbg(PL_DBG_INIT, "unwinder: %s, stack %#lx-%#lx",
	       gcc_bt ? "cached CFI rules, libgcc" : "none, call sites only",
	       (unsigned long)stk_lo, (unsigned long)stk_hi);
}

unsigned pl_unwind_room(void)
{
	return UNWIND_ROOM;
}

/* cut() : too little room below sp to unwind: count it for emit.c */
static __attribute__((noinline, cold)) unsigned cut(size_t left)
{
	pl_tls.cut_n++;
	pl_tls.cut_room = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	return 1;
}

unsigned pl_unwind(uint64_t *st, void *ra, unsigned depth)
{
	void *buf[PL_STACK_MAX + SKIP_MAX];
	size_t left;
	int n, i, j, e;

	st[0] = (uintptr_t)ra;
	if (!gcc_bt || depth <= 1 || !pl_enter())
		return 1;
	if (depth > PL_STACK_MAX)
		depth = PL_STACK_MAX;
	e = errno;
	left = room((uintptr_t)buf);
	if (left < UNWIND_ROOM) {
		errno = e;
		pl_leave();
		return cut(left);
	}
	pl_tls.unwinding = 1;
	n = left != SIZE_MAX && (uintptr_t)buf > stk_lo &&
	    (uintptr_t)buf <= stk_hi ?
	    pl_cfi_backtrace(buf, (int)depth + SKIP_MAX, stk_hi) : -1;
	if (n < 0)
		n = backtrace_gcc(buf, (int)depth + SKIP_MAX);
	pl_tls.unwinding = 0;
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

uint64_t pl_interrupted_pc(const void *ucv)
{
	const ucontext_t *uc = ucv;

#if defined(__x86_64__)
	return uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return uc->uc_mcontext.pc;
#else
	(void)uc;
	return 0;
#endif
}
