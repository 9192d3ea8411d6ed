/*
 * resolve.c - the one table of real_* functions.
 *
 * Filled by one dlsym(RTLD_NEXT) pass, lazily: the first hook to run (which
 * may be called from another library's constructor, before ours) resolves
 * everything.  Racing threads store the same values, so no lock is needed;
 * the release store of pl_resolved publishes the table.
 *
 * dlsym() may call malloc/calloc: the heap hooks see the guard set and
 * the table not yet published, and serve those calls from a static
 * bootstrap arena (hook-heap.c) instead of calling REAL().
 *
 * A symbol the C library lacks (close_range before glibc 2.34, ...) stays
 * NULL; the hooks that use such a pointer check it.
 */
#include <dlfcn.h>

#include "pl.h"
#include "guard.h"

struct pl_real pl_real;
int pl_resolved;

void pl_resolve(void)
{
	int entered = pl_enter();

#define PL_X(ret, name, args)						\
	*(void **)&pl_real.name = dlsym(RTLD_NEXT, #name);
	PL_REAL_LIST(PL_X)
#undef PL_X
	__atomic_store_n(&pl_resolved, 1, __ATOMIC_RELEASE);
	if (entered)
		pl_leave();
}
