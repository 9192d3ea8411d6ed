/*
 * symbols.c - the analyzer's symbol table (MODULE and SYMBOL records).
 */
#include <inttypes.h>
#include <stdio.h>

#include "symbols.h"
#include "trace.h"

const struct ana_sym *ana_symbol(const struct ana_trace *t, uint64_t image,
				 uint64_t addr)
{
	(void)t;
	(void)image;
	(void)addr;
	return NULL;
}

const char *ana_frame_str(const struct ana_trace *t, uint64_t image,
			  uint64_t addr, char *buf, size_t size)
{
	const struct ana_sym *s = ana_symbol(t, image, addr);

	if (s && s->func && s->file && s->line)
		snprintf(buf, size, "%s (%s:%u)", s->func, s->file, s->line);
	else if (s && s->func)
		snprintf(buf, size, "%s+0x%" PRIx64, s->func, s->offset);
	else
		snprintf(buf, size, "0x%" PRIx64, addr);
	return buf;
}
