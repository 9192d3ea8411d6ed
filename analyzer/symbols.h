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
	const char *name;	/* func as one short token: C++ without its
				 * parameters, no spaces; NULL with func */
	const char *file;	/* source file, or NULL */
	uint32_t line;		/* 0 if unknown */
	uint64_t offset;	/* addr - function start */
	const char *module;	/* path of the object, or NULL */
	uint64_t module_off;	/* addr - load bias */
	/* the calls inlined at addr, innermost first, each with its own
	 * func, name, file and line (offset 0); func above is the function
	 * they were inlined into, and line the outermost one's call */
	const struct ana_sym *inl;
	uint32_t ninl;
};

/*
 * ana_symbol() : what the trace says about addr in image.
 * @return NULL when the trace names nothing at that address.
 */
const struct ana_sym *ana_symbol(const struct ana_trace *t, uint64_t image,
				 uint64_t addr);

/*
 * ana_frame_depth() : how many functions a frame stands for: 1, plus the
 * calls inlined at addr.
 */
unsigned ana_frame_depth(const struct ana_trace *t, uint64_t image,
			 uint64_t addr);

/*
 * ana_symbol_at() : function k of a frame, 0 the innermost inlined one,
 * ana_frame_depth() - 1 the one the symbol table names (ana_symbol()).
 * @return NULL when the trace names nothing at that address
 */
const struct ana_sym *ana_symbol_at(const struct ana_trace *t,
				    uint64_t image, uint64_t addr, unsigned k);

/* ana_frame_str_at() : function k of a frame as ana_frame_str() prints
 * it; an inlined one is "func (file.c:42)", "func" without a line */
const char *ana_frame_str_at(const struct ana_trace *t, uint64_t image,
			     uint64_t addr, unsigned k, char *buf,
			     size_t size);

/*
 * ana_frame_name_at() : as ana_frame_str_at() without the offset of a
 * named function: "func (file.c:42)", "func", "libfoo.so+0x1234", the
 * names of a flame graph, one per call site line.
 */
const char *ana_frame_name_at(const struct ana_trace *t, uint64_t image,
			      uint64_t addr, unsigned k, char *buf,
			      size_t size);

/*
 * ana_frame_fn_at() : function k of a frame as a function: its short
 * name, else "libfoo.so+0x1234", else "0x7f12..." (a cpu flame graph).
 */
const char *ana_frame_fn_at(const struct ana_trace *t, uint64_t image,
			    uint64_t addr, unsigned k, char *buf, size_t size);

/*
 * ana_frame_str() : one frame for people, into buf:
 *   "func (file.c:42)", "func+0x1c", "libfoo.so+0x1234" or "0x7f12..."
 * func is the short name, file and module their last path component.
 * @return buf
 */
const char *ana_frame_str(const struct ana_trace *t, uint64_t image,
			  uint64_t addr, char *buf, size_t size);

/*
 * ana_frame_token() : one frame as one token without spaces, the form
 * `ctrace dump` prints:
 *   "func+0x1c(file.c:42)", "func+0x1c", "func" (offset 0, a start
 *   routine), "libfoo.so+0x1234" (only its module known) or "0x7f12...",
 *   after the calls inlined there, innermost first, each "func(file:l);":
 *   "chan_recv(common.h:83);pool_worker+0x1c(mandelbrot.c:159)"
 * @return buf
 */
const char *ana_frame_token(const struct ana_trace *t, uint64_t image,
			    uint64_t addr, char *buf, size_t size);

/* one MODULE record (an add) of an image */
struct ana_modinfo {
	uint64_t lo, hi;	/* its code spans [lo, hi) */
	uint64_t bias;		/* address - bias = the file's vaddr */
	const char *path;
	const uint8_t *buildid;	/* raw GNU build id, idlen bytes */
	size_t idlen;
	size_t index;		/* its place among the image's modules */
};

/*
 * ana_module_get() : module i of image, in file order, into *out.
 * ana_module_at() : the module addr of image lies in (the newest add when
 * a range was reused), into *out.
 * @return 0, or -1 when there is none
 */
int ana_module_get(const struct ana_trace *t, uint64_t image, size_t i,
		   struct ana_modinfo *out);
int ana_module_at(const struct ana_trace *t, uint64_t image, uint64_t addr,
		  struct ana_modinfo *out);

/*
 * ana_data_name() : the data symbol that holds object address addr of
 * image (a DATA record), into buf: "jobs_lock", "counts+0x40".
 * @return buf, or NULL when the trace names none
 */
const char *ana_data_name(const struct ana_trace *t, uint64_t image,
			  uint64_t addr, char *buf, size_t size);

/* ---- for trace.c: loading the records, freeing the tables ---- */
struct fmt_record;

/* @return 0, or -1 when the payload does not parse */
int ana_syms_module(struct ana_trace *t, const struct fmt_record *rec);
int ana_syms_symbol(struct ana_trace *t, const struct fmt_record *rec);
int ana_syms_data(struct ana_trace *t, const struct fmt_record *rec);
void ana_syms_free(struct ana_trace *t);

#endif
