/*
 * test-cfi - the fast unwinder (preload/cfi.c) against libgcc's: the
 * same return addresses through our frames, frame-pointer frames (a
 * variable-length array), libc's (qsort's callback), the kernel's signal
 * frame and the thread's outermost; a stack cut at the bound it was
 * given, never read beyond it; and from CPU-time samples that land
 * anywhere (prologues, epilogues, libc), always libgcc's or no answer.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include <unwind.h>

#include "preload/cfi.c"
#include "tests/unit/tap.h"

#define MAX	64

static uint64_t top;		/* the stack's end, for the walk */
/* volatile: a signal handler counts too */
static volatile int same, fell, differ, total;

struct walk {
	void **pc;
	int n;
};

static _Unwind_Reason_Code one(struct _Unwind_Context *c, void *arg)
{
	struct walk *w = arg;
	void *ip = (void *)_Unwind_GetIP(c);

	if (!ip || w->n >= MAX)
		return _URC_END_OF_STACK;
	w->pc[w->n++] = ip;
	return _URC_NO_REASON;
}

/* both unwinders from here; the first frames differ (two call sites) */
static __attribute__((noinline)) void probe(void)
{
	void *a[MAX], *b[MAX];
	struct walk w = { b, 0 };
	int n, i;

	n = pl_cfi_backtrace(a, MAX, top);
	_Unwind_Backtrace(one, &w);
	total++;
	if (n < 0) {
		fell++;
		return;
	}
	for (i = 1; i < n && i < w.n && a[i] == b[i]; i++)
		;
	if (n == w.n && i == n && n > 3)
		same++;
	else
		differ++;
}

static volatile int sink;

/* a variable-length array: gcc keeps a frame pointer, CFA = rbp + 16 */
static __attribute__((noinline)) int vla(int d)
{
	volatile char pad[d * 16 + 1];
	int r;

	pad[0] = (char)d;
	if (!d) {
		probe();
		return pad[0];
	}
	r = vla(d - 1);
	sink = r;
	return r + pad[0];
}

static __attribute__((noinline)) int plain(int d, int x)
{
	int r;

	if (!d) {
		probe();
		return x;
	}
	r = plain(d - 1, x * 3 + 1);
	sink = r;
	return r + 1;
}

static int calls;

static int cmp(const void *x, const void *y)
{
	if (calls++ < 3)
		probe();
	return *(const int *)x - *(const int *)y;
}

static void on_usr1(int sig)
{
	(void)sig;
	probe();
}

/* the deepest frame reads only below hi */
static __attribute__((noinline)) int bounded(void)
{
	void *a[MAX];
	int n, all;

	all = pl_cfi_backtrace(a, MAX, top);
	/* our own frame lies below a[], the caller's above it */
	n = pl_cfi_backtrace(a, MAX, (uintptr_t)(a + MAX));
	return all > 3 && n == 1;
}

/*
 * An epilogue that popped rbp, whose CFI still says rbp is in its slot
 * (gcc emits no restore there), now in the red zone below rsp: a signal
 * taken there (tgkill, returning to the instruction after the syscall)
 * must still find the caller's rbp.
 */
__asm__(".text\n"
	".type popped_rbp, @function\n"
	"popped_rbp:\n"
	".cfi_startproc\n"
	"	push %rbp\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset %rbp, -16\n"
	"	mov %rdi, %rbp\n"		/* clobbered: only the slot holds it */
	"	pop %rbp\n"
	".cfi_def_cfa_offset 8\n"
	"	mov $234, %eax\n"		/* tgkill(rdi, rsi, rdx) */
	"	syscall\n"
	"	ret\n"
	".cfi_endproc\n"
	".size popped_rbp, .-popped_rbp\n");
long popped_rbp(long tgid, long tid, long sig);

/* in a frame that uses rbp as its frame pointer: the CFA of the caller
 * depends on the rbp the epilogue left */
static __attribute__((noinline)) int rbp_user(int d)
{
	volatile char pad[d * 16 + 1];

	pad[0] = (char)d;
	popped_rbp(getpid(), syscall(SYS_gettid), SIGUSR1);
	return pad[0];
}

/* CPU-time samples: the same frames wherever the signal lands */
static void on_prof(int sig)
{
	(void)sig;
	probe();
}

static int by_value(const void *x, const void *y)
{
	unsigned a = *(const unsigned *)x, b = *(const unsigned *)y;

	return a < b ? -1 : a > b;
}

static void sampled(const char *where)
{
	struct itimerval on = { { 0, 1000 }, { 0, 1000 } }, off = { 0 };
	static unsigned v[4096];
	unsigned i, x = 1;
	int round;

	same = fell = differ = total = 0;
	signal(SIGPROF, on_prof);
	setitimer(ITIMER_PROF, &on, NULL);
	for (round = 0; round < 60 && total < 100; round++) {
		for (i = 0; i < 4096; i++)
			v[i] = x = x * 1103515245 + 12345;
		qsort(v, 4096, sizeof(v[0]), by_value);
		sink = plain(20, (int)v[0]) + vla(8);
	}
	setitimer(ITIMER_PROF, &off, NULL);
	signal(SIGPROF, SIG_DFL);
	ok(total > 0 && !differ, "%s: %d CPU samples, %d as libgcc's, %d left "
	   "to it, %d differ", where, total, same, fell, differ);
}

static void shapes(const char *where)
{
	int v[40], i;

	same = fell = differ = total = 0;
	vla(6);
	plain(9, 1);
	for (i = 0; i < 40; i++)
		v[i] = 40 - i;
	calls = 0;
	qsort(v, 40, sizeof(v[0]), cmp);
	ok(same == 5 && !differ && !fell,
	   "%s: libgcc's frames through ours, rbp frames and libc's (%d of "
	   "%d the same, %d differ, %d fell back)", where, same, total,
	   differ, fell);
	signal(SIGUSR1, on_usr1);
	same = fell = differ = 0;
	raise(SIGUSR1);
	ok(same == 1, "%s: through a signal frame as libgcc (%d fell back, "
	   "%d differ)", where, fell, differ);
	same = fell = differ = 0;
	rbp_user(3);
	ok(same == 1, "%s: through an epilogue that popped rbp (%d fell "
	   "back, %d differ)", where, fell, differ);
	ok(bounded(), "%s: a walk ends at its bound", where);
	pl_cfi_forget();
	same = 0;
	plain(3, 1);
	ok(same == 1, "%s: the same after forgetting every rule", where);
	sampled(where);
}

static void *thread(void *arg)
{
	pthread_attr_t a;
	size_t size;
	void *lo;

	(void)arg;
	if (pthread_getattr_np(pthread_self(), &a) ||
	    pthread_attr_getstack(&a, &lo, &size))
		return NULL;
	pthread_attr_destroy(&a);
	top = (uintptr_t)lo + size;
	shapes("thread");
	return NULL;
}

/* the main thread's stack ends where its mapping does */
static uint64_t main_top(void)
{
	char line[512], *dash;
	uint64_t end = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") && (dash = strchr(line, '-')))
			end = strtoull(dash + 1, NULL, 16);
	if (f)
		fclose(f);
	return end;
}

/* two pcs of one set both stay cached; a third takes the second's
 * entry, never the first's (direct-mapped, the two pushed each other
 * out on every unwind of a stack that held both) */
static void cache_sets(void)
{
	uint64_t a = 0x401000, b, c, n;

	pl_cfi_forget();
	for (b = a + 1; set_of(b) != set_of(a); b++)
		;
	for (c = b + 1; set_of(c) != set_of(a); c++)
		;
	cache_put(a, RU_OK | 8ull << 32);
	cache_put(b, RU_OK | 16ull << 32);
	ok(cache_get(a) == (RU_OK | 8ull << 32) &&
	   cache_get(b) == (RU_OK | 16ull << 32),
	   "two pcs of one set are both cached");
	cache_put(c, RU_OK | 24ull << 32);
	ok(cache_get(a) == (RU_OK | 8ull << 32) && !cache_get(b) &&
	   cache_get(c) == (RU_OK | 24ull << 32),
	   "a third takes the second's entry, the first stays");
	for (n = 0, c = 0; c < 100000; c++)
		n += set_of(0x400000 + 16 * c) == set_of(a);
	ok(n > 0 && n < 400, "pcs spread over the sets (%" PRIu64 " of 100000 "
	   "16-byte steps in one set, 1024 sets)", n);
	pl_cfi_forget();
	ok(!cache_get(a) && !cache_get(c), "forgotten, both are gone");
}

int main(void)
{
	pthread_t th;

	ok(pthread_create(&th, NULL, thread, NULL) == 0 &&
	   pthread_join(th, NULL) == 0, "a thread ran");
	top = main_top();
	ok(top != 0, "the main thread's stack is in /proc/self/maps");
	shapes("main");
	cache_sets();
	return tap_done();
}
