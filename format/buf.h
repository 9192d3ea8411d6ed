/*
 * buf.h - a growable byte buffer for building and parsing records.
 *
 * Used by the collector and the analyzer, never by the preload (it
 * allocates).  Allocation failure is sticky: put_* become no-ops and
 * fmt_buf_failed() tells, so builders check once at the end.
 */
#ifndef CTRACE_BUF_H
#define CTRACE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "varint.h"

struct fmt_buf {
	uint8_t *p;
	size_t len, cap;
	int failed;
};

int fmt_buf_reserve(struct fmt_buf *b, size_t more);
void fmt_buf_free(struct fmt_buf *b);

static inline void fmt_buf_reset(struct fmt_buf *b) { b->len = 0; }
static inline int fmt_buf_failed(const struct fmt_buf *b) { return b->failed; }

static inline void fmt_buf_uvar(struct fmt_buf *b, uint64_t v)
{
	if (!fmt_buf_reserve(b, FMT_VARINT_MAX))
		b->len = fmt_put_uvar(b->p + b->len, v) - b->p;
}

void fmt_buf_bytes(struct fmt_buf *b, const void *p, size_t n);
/* uvar length, then the bytes */
void fmt_buf_str(struct fmt_buf *b, const char *s, size_t n);

/*
 * A bounded reader over a payload; errors are sticky like the builder's.
 * err is FMT_ETRUNC (-1) when the payload ends inside a field and
 * FMT_ECORRUPT (-2) when a field is malformed (a varint over 64 bits, a
 * string over its bound).  Inline, so that the preload may link the
 * payload parsers of wire.c without the allocating builder.
 */
struct fmt_cursor {
	const uint8_t *p, *end;
	int err;
};

static inline void fmt_cur_init(struct fmt_cursor *c, const void *p,
				size_t n)
{
	c->p = p;
	c->end = c->p + n;
	c->err = 0;
}

static inline uint64_t fmt_cur_uvar(struct fmt_cursor *c)
{
	const uint8_t *q;
	uint64_t v = 0;

	if (!c->err && fmt_get_uvar(&c->p, c->end, &v)) {
		/* cut short only if the payload ends before a last byte
		 * could come; otherwise the varint is over 64 bits */
		q = c->p;
		while (q < c->end && q - c->p < FMT_VARINT_MAX && *q & 0x80)
			q++;
		c->err = q == c->end && q - c->p < FMT_VARINT_MAX ? -1 : -2;
	}
	return c->err ? 0 : v;
}

/* a length-prefixed string of at most max bytes; *n gets its length */
static inline const char *fmt_cur_str(struct fmt_cursor *c, size_t max,
				      size_t *n)
{
	uint64_t len = fmt_cur_uvar(c);
	const char *s;

	if (c->err)
		return NULL;
	if (len > max || len > (uint64_t)(c->end - c->p)) {
		c->err = len > max ? -2 : -1;
		return NULL;
	}
	s = (const char *)c->p;
	c->p += len;
	*n = len;
	return s;
}

/* bytes left after the cursor, 0 after an error */
static inline size_t fmt_cur_left(const struct fmt_cursor *c)
{
	return c->err ? 0 : (size_t)(c->end - c->p);
}

#endif
