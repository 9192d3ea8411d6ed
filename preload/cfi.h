/*
 * cfi.h - the fast unwinder in front of libgcc's (cfi.c), on its own so
 * that tests/unit/test-cfi.c can build cfi.c without the rest.
 */
#ifndef CTRACE_CFI_H
#define CTRACE_CFI_H

#include <stdint.h>

/*
 * pl_cfi_backtrace() : the return addresses of the frames above the
 * caller's, into out[0..max), reading the stack only below hi (the top
 * of the thread's stack).  @return their number, or -1: ask libgcc.
 */
int pl_cfi_backtrace(void **out, int max, uint64_t hi);
/* pl_cfi_forget() : objects went away: forget every rule */
void pl_cfi_forget(void);

#endif
