/*
 * buf.c - growable byte buffer and payload cursor.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int fmt_buf_reserve(struct fmt_buf *b, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (b->failed)
		return -1;
	if (b->len + more <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void fmt_buf_free(struct fmt_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void fmt_buf_bytes(struct fmt_buf *b, const void *p, size_t n)
{
	if (n && !fmt_buf_reserve(b, n)) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
	}
}

void fmt_buf_str(struct fmt_buf *b, const char *s, size_t n)
{
	fmt_buf_uvar(b, n);
	fmt_buf_bytes(b, s, n);
}
