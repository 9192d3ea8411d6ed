/*
 * varint.h - LEB128 varints and zigzag, the only integer coding in ctrace.
 *
 * Header-only because the preload encodes on its hot path and must not pay
 * a call per field.  Writers trust the caller to have room for
 * FMT_VARINT_MAX bytes; readers are bounds-checked and never read past end.
 */
#ifndef CTRACE_VARINT_H
#define CTRACE_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_VARINT_MAX 10

static inline uint8_t *fmt_put_uvar(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint64_t fmt_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t fmt_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/*
 * fmt_get_uvar() : decode one varint from [*pp, end).
 * @return 0 and advances *pp, or -1 on truncation or a varint longer
 * than 64 bits (the cursor is then left unchanged).
 */
static inline int fmt_get_uvar(const uint8_t **pp, const uint8_t *end,
			       uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	unsigned shift = 0;

	/* most values are small: one byte, no loop */
	if (p < end && *p < 0x80) {
		*out = *p;
		*pp = p + 1;
		return 0;
	}
	while (p < end) {
		uint8_t b = *p++;

		if (shift == 63 && b > 1)
			return -1;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			*out = v;
			return 0;
		}
		shift += 7;
		if (shift > 63)
			return -1;
	}
	return -1;
}

#endif
