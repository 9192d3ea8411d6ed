/*
 * symbols.h - names for code addresses, from the trace alone.
 *
 * The collector resolves every address a stack uses while the traced
 * program runs and writes MODULE and SYMBOL records, so a trace names its
 * code after the binaries are gone.  This is the analyzer's view of them.
 */
#ifndef ANA_SYMBOLS_H
#define ANA_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct ana_trace;

struct ana_sym {
	const char *func;	/* demangled function name, or NULL */
	const char *file;	/* source file, or NULL */
	uint32_t line;		/* 0 if unknown */
	uint64_t offset;	/* addr - function start */
	const char *module;	/* path of the object, or NULL */
	uint64_t module_off;	/* addr - load bias */
};

/*
 * ana_symbol() : what the trace says about addr in image.
 * @return NULL when the trace names nothing at that address.
 */
const struct ana_sym *ana_symbol(const struct ana_trace *t, uint64_t image,
				 uint64_t addr);

/*
 * ana_frame_str() : one frame for people, into buf:
 *   "func (file.c:42)", "func+0x1c", "libfoo.so+0x1234" or "0x7f12..."
 * @return buf
 */
const char *ana_frame_str(const struct ana_trace *t, uint64_t image,
			  uint64_t addr, char *buf, size_t size);

#endif
