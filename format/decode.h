/*
 * decode.h - the format module's decoding steps, inline, for the loops
 * that run them on every event: the collector's transcoder, and readers
 * such as the analyzer's, which decode the common event types in line
 * (fmt_decode_hot()) rather than through a call per event.
 * fmt_decode_event() is the one entry point for every other use.
 */
#ifndef CTRACE_DECODE_H
#define CTRACE_DECODE_H

#include <stdint.h>
#include <string.h>

#include "events.h"
#include "varint.h"

/*
 * Word-at-a-time varints for the transcoder and the readers: with 8
 * readable bytes, the first byte without its high bit ends the varint,
 * found with one load and a count of trailing zeros instead of a loop
 * (addresses and stack frames take 6 or 7 bytes).  Anything else takes fmt_get_uvar(), which
 * also defines what a valid varint is.
 */
#define FMT_STOP_BITS	0x8080808080808080ull

static inline uint64_t fmt_load64(const uint8_t *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x;
}

/* fmt_uvar_skip() : end of the varint at p, NULL where fmt_get_uvar()
 * fails */
static inline const uint8_t *fmt_uvar_skip(const uint8_t *p,
					   const uint8_t *end)
{
	uint64_t stop, v;

	if (end - p >= 8) {
		stop = ~fmt_load64(p) & FMT_STOP_BITS;
		if (stop)
			return p + __builtin_ctzll(stop) / 8 + 1;
	}
	return fmt_get_uvar(&p, end, &v) ? NULL : p;
}

/* fmt_uvar_get() : fmt_get_uvar(), one step for varints of up to 8 bytes */
static inline __attribute__((always_inline)) int
fmt_uvar_get(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t x, stop;
	unsigned bits;

	/* small values (ids, codes, counts) are one byte: no packing;
	 * sizes, times and address deltas are often two */
	if (p < end && *p < 0x80) {
		*out = *p;
		*pp = p + 1;
		return 0;
	}
	if (end - p >= 2 && p[1] < 0x80) {
		*out = (p[0] & 0x7fu) | (uint64_t)p[1] << 7;
		*pp = p + 2;
		return 0;
	}
	if (end - p >= 8) {
		x = fmt_load64(p);
		stop = ~x & FMT_STOP_BITS;
		if (stop) {
			bits = __builtin_ctzll(stop) + 1;	/* 8 per byte */
			if (bits < 64)
				x &= (1ull << bits) - 1;
			x &= 0x7f7f7f7f7f7f7f7full;
			/* pack the 7-bit groups: 14, 28, then 56 bits */
			x = (x & 0x007f007f007f007full) |
			    (x & 0x7f007f007f007f00ull) >> 1;
			x = (x & 0x00003fff00003fffull) |
			    (x & 0x3fff00003fff0000ull) >> 2;
			x = (x & 0x000000000fffffffull) |
			    (x & 0x0fffffff00000000ull) >> 4;
			*out = x;
			*pp = p + bits / 8;
			return 0;
		}
	}
	return fmt_get_uvar(pp, end, out);
}

static inline __attribute__((always_inline)) int
fmt_addr_get(const uint8_t **pp, const uint8_t *end, uint64_t x,
	     struct fmt_addrs *ad, uint64_t *v)
{
	if (x & 1) {
		if (x >> 1 >= (1u << FMT_ADDR_BITS))
			return FMT_ECORRUPT;
		/* a reference leaves its slot as it is: the encoder's did */
		*v = ad->slot[x >> 1];
		ad->prev = *v;
		return 0;
	}
	if (x)
		*v = ad->prev + (uint64_t)fmt_unzigzag(x >> 1);
	else if (fmt_uvar_get(pp, end, v))
		return FMT_ETRUNC;
	ad->slot[fmt_addr_slot(*v)] = *v;
	ad->prev = *v;
	return 0;
}

/*
 * fmt_event_start() : an event's time, from the delta at *pp, and its
 * fields cleared.  The hottest code of every analysis: a constant-size clear is
 * a few stores, cheaper than a memset call sized by the type.
 */
static inline __attribute__((always_inline)) int
fmt_event_start(const uint8_t **pp, const uint8_t *end, uint64_t prev_ts,
		struct fmt_event *ev)
{
	uint64_t dts;

	if (fmt_uvar_get(pp, end, &dts))
		return FMT_ETRUNC;
	ev->ts = prev_ts + dts;
	if (ev->ts < prev_ts)
		return FMT_ECORRUPT;
	memset(ev->f, 0, sizeof(ev->f));
	ev->stack = NULL;
	ev->nstack = 0;
	ev->str = ev->str2 = NULL;
	ev->slen = ev->slen2 = 0;
	return 0;
}

/*
 * fmt_decode_file() : decode() of a file-form event whose type byte is at
 * *pp and whose kinds string is `kinds`.  The hot types pass their constant
 * (fmt_kinds_ALLOC_SAME): the loop unrolls into straight-line code, the
 * schema's masks into constants, as transcode_kinds() does on the wire.
 */
static inline __attribute__((always_inline)) int
fmt_decode_file(const uint8_t **pp, const uint8_t *end, uint64_t *prev_ts,
		struct fmt_event *ev, struct fmt_addrs *ad, const char *kinds)
{
	const uint8_t *p = *pp + 1;
	unsigned i;
	int err;

	ev->type = **pp;
	err = fmt_event_start(&p, end, *prev_ts, ev);
	if (err)
		return err;
#pragma GCC unroll 8
	for (i = 0; i < FMT_MAX_FIELDS; i++) {
		char k = kinds[i];

		if (!k)
			break;
		if (fmt_uvar_get(&p, end, &ev->f[i]))
			return FMT_ETRUNC;
		if (k == 'a' && ad) {
			err = fmt_addr_get(&p, end, ev->f[i], ad, &ev->f[i]);
			if (err)
				return err;
		} else if (k == 's') {
			ev->f[i] = (uint64_t)fmt_unzigzag(ev->f[i]);
		}
	}
	*prev_ts = ev->ts;
	*pp = p;
	return 0;
}

/* fmt_decode_hot()'s answer for a type it leaves to fmt_decode_event() */
#define FMT_NOT_HOT	1

/*
 * fmt_decode_hot() : fmt_decode_event(FMT_FILE) for the types most events
 * of a trace are (an unrolled decoder each: a loop over the schema cost a
 * heap-heavy `ctrace info` 150 instructions an event), FMT_NOT_HOT for
 * the others, *pp untouched.
 */
static inline __attribute__((always_inline)) int
fmt_decode_hot(const uint8_t **pp, const uint8_t *end, uint64_t *prev_ts,
	       struct fmt_event *ev, struct fmt_addrs *ad)
{
	if (*pp >= end)
		return FMT_NOT_HOT;
	switch (**pp) {
#define FMT_HOT(name)							\
	case FMT_EV_##name:						\
		return fmt_decode_file(pp, end, prev_ts, ev, ad,	\
				       fmt_kinds_##name);
	FMT_HOT(ALLOC) FMT_HOT(FREE) FMT_HOT(ALLOC_SAME) FMT_HOT(FREE_SAME)
	FMT_HOT(READ) FMT_HOT(WRITE) FMT_HOT(POLL) FMT_HOT(READ_SAME)
	FMT_HOT(WRITE_SAME) FMT_HOT(POLL_SAME) FMT_HOT(CPU_SAMPLE)
	FMT_HOT(MUTEX_BLOCK) FMT_HOT(COND_WAIT) FMT_HOT(FUTEX_WAIT)
#undef FMT_HOT
	}
	return FMT_NOT_HOT;
}

#endif
