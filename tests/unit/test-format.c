/*
 * test-format.c - varints, wire headers and the event encoder/decoder.
 *
 * Every event type of FMT_EVENT_LIST round-trips in both forms with seeded
 * random fields (0, UINT64_MAX, negatives included); every strict prefix
 * of an encoding is refused as truncated; random garbage decodes without
 * reading out of bounds (run under ASAN=1 or valgrind to check that part).
 */
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "file.h"
#include "varint.h"
#include "wire.h"
#include "rng.h"
#include "tap.h"

/* ---- varints ---- */

static unsigned uvar_len(uint64_t v)
{
	unsigned n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static int uvar_roundtrip(uint64_t v)
{
	uint8_t buf[FMT_VARINT_MAX + 1];
	const uint8_t *p = buf;
	uint8_t *end = fmt_put_uvar(buf, v);
	uint64_t out = ~v;
	unsigned n = end - buf, k;

	if (n != uvar_len(v) || n > FMT_VARINT_MAX)
		return 0;
	if (fmt_get_uvar(&p, end, &out) || out != v || p != end)
		return 0;
	/* every strict prefix is refused and leaves the cursor alone */
	for (k = 0; k < n; k++) {
		p = buf;
		if (fmt_get_uvar(&p, buf + k, &out) != -1 || p != buf)
			return 0;
	}
	return 1;
}

static void test_varints(void)
{
	static const uint64_t edges[] = {
		0, 1, 127, 128, 255, 16383, 16384, 0xffffffffULL,
		0x100000000ULL, INT64_MAX, (uint64_t)INT64_MAX + 1,
		UINT64_MAX - 1, UINT64_MAX,
	};
	static const int64_t sedges[] = {
		0, 1, -1, 63, -64, 64, -65, INT64_MAX, INT64_MIN,
		INT64_MIN + 1,
	};
	uint8_t buf[16];
	const uint8_t *p;
	uint64_t v;
	unsigned i, bad = 0;

	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		bad += !uvar_roundtrip(edges[i]);
	for (i = 0; i < 64; i++)
		bad += !uvar_roundtrip(((uint64_t)1 << i) - 1) +
		       !uvar_roundtrip((uint64_t)1 << i);
	for (i = 0; i < 10000; i++)
		bad += !uvar_roundtrip(rng_value());
	ok(!bad, "uvar round trip, length and prefixes (%u bad)", bad);

	fmt_put_uvar(buf, UINT64_MAX);
	ok(buf[9] == 1, "UINT64_MAX takes 10 bytes ending in 0x01");

	memset(buf, 0x80, 10);
	buf[10] = 0;
	p = buf;
	ok(fmt_get_uvar(&p, buf + 11, &v) == -1 && p == buf,
	   "an 11-byte varint is refused");

	memset(buf, 0xff, 9);
	buf[9] = 0x02;
	p = buf;
	ok(fmt_get_uvar(&p, buf + 10, &v) == -1 && p == buf,
	   "a 10-byte varint above 64 bits is refused");

	memset(buf, 0xff, 9);
	buf[9] = 0x81;
	p = buf;
	ok(fmt_get_uvar(&p, buf + 16, &v) == -1 && p == buf,
	   "a 10th byte with its continuation bit is refused");

	p = buf;
	ok(fmt_get_uvar(&p, buf, &v) == -1, "an empty input is refused");

	bad = 0;
	for (i = 0; i < sizeof(sedges) / sizeof(sedges[0]); i++)
		bad += fmt_unzigzag(fmt_zigzag(sedges[i])) != sedges[i];
	for (i = 0; i < 10000; i++) {
		int64_t s = (int64_t)rng_value();

		bad += fmt_unzigzag(fmt_zigzag(s)) != s;
	}
	ok(!bad && fmt_zigzag(0) == 0 && fmt_zigzag(-1) == 1 &&
	   fmt_zigzag(1) == 2 && fmt_zigzag(INT64_MIN) == UINT64_MAX,
	   "zigzag round trip and mapping");
}

/* ---- wire header ---- */

static void test_wire_header(void)
{
	uint8_t m[FMT_WIRE_HDR_SIZE + 5];
	struct fmt_msg_hdr h;

	fmt_msg_put_hdr(m, FMT_MSG_EVENTS, 5);
	ok(!fmt_msg_get_hdr(m, sizeof(m), &h) && h.magic == FMT_WIRE_MAGIC &&
	   h.type == FMT_MSG_EVENTS && h.len == 5 && !h.flags,
	   "wire header round trip");
	ok(fmt_msg_get_hdr(m, sizeof(m) - 1, &h) == FMT_ECORRUPT,
	   "wire header: length not matching the datagram is refused");
	ok(fmt_msg_get_hdr(m, FMT_WIRE_HDR_SIZE - 1, &h) == FMT_ECORRUPT,
	   "wire header: short datagram is refused");
	m[6] = 1;
	ok(fmt_msg_get_hdr(m, sizeof(m), &h) == FMT_ECORRUPT,
	   "wire header: reserved flags must be zero");
	m[6] = 0;
	m[0] ^= 1;
	ok(fmt_msg_get_hdr(m, sizeof(m), &h) == FMT_ECORRUPT,
	   "wire header: bad magic is refused");
}

/* ---- the schema ---- */

static void lower(const char *in, char *out)
{
	while (*in) {
		*out++ = *in >= 'A' && *in <= 'Z' ? *in + 32 : *in;
		in++;
	}
	*out = 0;
}

static int check_schema(unsigned code, const char *upper, unsigned fam,
			const char *kinds, const char *fields)
{
	const struct fmt_event_info *in = fmt_event_info(code);
	char name[32], fname[32];
	unsigned i, words = 1, k = 0, n = 0;
	int stack = -1, str = -1, str2 = -1;

	lower(upper, name);
	for (i = 0; fields[i]; i++)
		words += fields[i] == ' ';
	for (i = 0; kinds[i]; i++) {
		if (kinds[i] == 'k') {
			k++;
			stack = i;
		} else if (kinds[i] == 'n') {
			if (n++)
				str2 = i;
			else
				str = i;
		} else if (!strchr("usdat", kinds[i])) {
			return 0;
		}
	}
	if (!in || strcmp(in->name, name) || in->family != fam ||
	    strcmp(in->kinds, kinds) || in->nfields != strlen(kinds) ||
	    in->nfields != words || in->nfields > FMT_MAX_FIELDS ||
	    k > 1 || n > 2 || in->stack_field != stack ||
	    in->str_field != str || in->str2_field != str2 ||
	    code >= FMT_EV_MAX)
		return 0;
	for (i = 0; i < in->nfields; i++)
		if (!strcmp(fmt_field_name(in, i, fname, sizeof(fname)), "?"))
			return 0;
	return strcmp(fmt_field_name(in, in->nfields, fname, sizeof(fname)),
		      "?") == 0;
}

static void test_schema(void)
{
	unsigned code, defined = 0, bad = 0;
	char buf[8];

#define FMT_X(name, code, fam, ...)					\
	ok(check_schema(code, #name, fam, FMT_KINDS(__VA_ARGS__),	\
			FMT_NAMES(__VA_ARGS__)),			\
	   "schema of %s (%u): name, kinds, fields", #name, code);	\
	defined++;
	FMT_EVENT_LIST(FMT_X)
#undef FMT_X
	for (code = 0; code < 256; code++)
		bad += fmt_event_info(code) != NULL;
	ok(bad == defined, "exactly the %u listed codes have a schema "
	   "(%u found)", defined, bad);
	ok(fmt_event_info(0) == NULL && fmt_event_info(FMT_EV_MAX) == NULL,
	   "codes 0 and FMT_EV_MAX have no schema");
	ok(!strcmp(fmt_field_name(fmt_event_info(FMT_EV_MUTEX_BLOCK), 4, buf,
				  sizeof(buf)), "waker") &&
	   !strcmp(fmt_field_name(fmt_event_info(FMT_EV_MUTEX_BLOCK), 5, buf,
				  4), "wak"),
	   "fmt_field_name picks the right word and truncates");
}

/* ---- round trips ---- */

#define BATCH 200

/* an event with its own copies of inline stack and string */
struct sample {
	struct fmt_event ev;
	uint64_t frames[FMT_MAX_STACK];
	char str[FMT_MAX_STR];
	char str2[FMT_MAX_STR];
};

static uint32_t pick_len(uint32_t max)
{
	switch (rng_below(4)) {
	case 0:		return 0;
	case 1:		return 1;
	case 2:		return max;
	}
	return rng_below(max + 1);
}

static uint64_t pick_delta(void)
{
	switch (rng_below(4)) {
	case 0:		return 0;
	case 1:		return rng_below(128);
	case 2:		return rng_below(1 << 20);
	}
	return rng_below((uint64_t)1 << 40);
}

static const uint64_t addr_pool[4] = {
	0x5555deadbe00, 0x5555deadbe10, 0x7f0012345670, 0x8000000000000000,
};

/* a new batch's addresses, for the calls that start one */
static struct fmt_addrs *fresh(struct fmt_addrs *ad)
{
	fmt_addrs_batch(ad);
	return ad;
}

static void random_event(struct sample *s, unsigned type, uint64_t ts)
{
	const struct fmt_event_info *in = fmt_event_info(type);
	unsigned i;

	memset(&s->ev, 0, sizeof(s->ev));
	s->ev.type = type;
	s->ev.ts = ts;
	for (i = 0; i < in->nfields; i++)
		s->ev.f[i] = rng_value();
	/* addresses: half of them one of a few, as a heap's are, so that
	 * the batch's slots are hit as well as missed */
	for (i = 0; i < in->nfields; i++)
		if (in->kinds[i] == 'a' && rng_below(2))
			s->ev.f[i] = addr_pool[rng_below(4)];
	s->ev.nstack = pick_len(FMT_MAX_STACK);
	for (i = 0; i < s->ev.nstack; i++)
		s->frames[i] = rng_value();
	s->ev.slen = pick_len(FMT_MAX_STR);
	for (i = 0; i < s->ev.slen; i++)
		s->str[i] = rng_next();
	s->ev.slen2 = pick_len(FMT_MAX_STR);
	for (i = 0; i < s->ev.slen2; i++)
		s->str2[i] = rng_next();
	s->ev.stack = s->frames;
	s->ev.str = s->str;
	s->ev.str2 = s->str2;
}

/* does decoded d match what s encoded in form? */
static int same_event(const struct sample *s, const struct fmt_event *d,
		      enum fmt_form form)
{
	const struct fmt_event_info *in = fmt_event_info(s->ev.type);
	unsigned i;

	if (d->type != s->ev.type || d->ts != s->ev.ts)
		return 0;
	for (i = 0; i < FMT_MAX_FIELDS; i++) {
		int inl = i < in->nfields && form == FMT_WIRE &&
			  (in->kinds[i] == 'k' || in->kinds[i] == 'n');
		uint64_t want = i < in->nfields && !inl ? s->ev.f[i] : 0;

		if (d->f[i] != want)
			return 0;
	}
	if (form == FMT_WIRE && in->stack_field >= 0 &&
	    (d->nstack != s->ev.nstack ||
	     memcmp(d->stack, s->frames, d->nstack * sizeof(uint64_t))))
		return 0;
	if (form == FMT_WIRE && in->str_field >= 0 &&
	    (d->slen != s->ev.slen || memcmp(d->str, s->str, d->slen)))
		return 0;
	if (form == FMT_WIRE && in->str2_field >= 0 &&
	    (d->slen2 != s->ev.slen2 || memcmp(d->str2, s->str2, d->slen2)))
		return 0;
	return 1;
}

/* encode n samples, decode them back; fills *len; 0 on any mismatch */
static int roundtrip(struct sample *s, unsigned n, enum fmt_form form,
		     uint8_t *buf, size_t *len)
{
	uint64_t stackbuf[FMT_MAX_STACK], prev, base = s[0].ev.ts;
	struct fmt_addrs ae, ad;
	const uint8_t *p = buf;
	struct fmt_event d;
	uint8_t *e = buf;
	unsigned i;

	prev = base;
	fmt_addrs_batch(&ae);
	fmt_addrs_batch(&ad);
	for (i = 0; i < n; i++) {
		uint8_t *start = e;

		e = fmt_encode_event(e, &s[i].ev, form, &prev, &ae);
		if (e - start > (long)FMT_EVENT_MAX_BYTES)
			return 0;
	}
	*len = e - buf;
	prev = base;
	for (i = 0; i < n; i++) {
		if (fmt_decode_event(&p, e, form, &prev, &d, stackbuf, &ad) ||
		    !same_event(&s[i], &d, form) || prev != s[i].ev.ts)
			return 0;
	}
	return p == e && !memcmp(&ae, &ad, sizeof(ae)) &&
	       fmt_decode_event(&p, e, form, &prev, &d, stackbuf,
				&ad) == FMT_ETRUNC;
}

static const char *form_name(enum fmt_form form)
{
	return form == FMT_WIRE ? "wire" : "file";
}

/* field i of code, by its generated index idx, kind and name */
static int check_field(unsigned code, unsigned i, unsigned idx,
		       const char *kind, const char *name)
{
	const struct fmt_event_info *in = fmt_event_info(code);
	char buf[32];

	return idx == i && i < in->nfields && in->kinds[i] == kind[0] &&
	       !strcmp(fmt_field(in, i), name) &&
	       !strcmp(fmt_field_name(in, i, buf, sizeof(buf)), name);
}

/* in->at.role is the field of that name, or -1 */
static int check_roles(const struct fmt_event_info *in)
{
	char buf[32];
	int want;
	unsigned i;

#define FMT_X(role)							\
	want = -1;							\
	for (i = 0; i < in->nfields; i++)				\
		if (!strcmp(fmt_field_name(in, i, buf, sizeof(buf)), #role)) \
			want = i;					\
	if (in->at.role != want)					\
		return 0;
	FMT_ROLE_LIST(FMT_X)
#undef FMT_X
	/* FMT_F_DUR: a blocking event's duration is its first field */
	return in->kinds[0] == 'd' ? in->at.dur == FMT_F_DUR :
	       in->at.dur < 0;
}

/* the generated names agree with the schema the readers use */
static void test_field_names(void)
{
	const struct fmt_event_info *in;
	unsigned bad;

#define FMT_CHECK_(e, i, k, n)						\
	bad += !check_field(FMT_EV_##e, i, FMT_F_##e##_##n, #k, #n);
#define FMT_X(name, code, fam, ...)					\
	in = fmt_event_info(code);					\
	bad = 0;							\
	FMT_EACH(FMT_CHECK_, name, __VA_ARGS__)				\
	ok(!bad && FMT_NF_##name == in->nfields && check_roles(in),	\
	   "%s: FMT_F_%s_* are its fields' indices, names and roles",	\
	   #name, #name);
	FMT_EVENT_LIST(FMT_X)
#undef FMT_X
#undef FMT_CHECK_
}

static void test_roundtrips(void)
{
	struct sample *s = malloc(BATCH * sizeof(*s));
	uint8_t *buf = malloc(BATCH * FMT_EVENT_MAX_BYTES);
	static const unsigned codes[] = {
#define FMT_X(name, code, fam, ...) code,
		FMT_EVENT_LIST(FMT_X)
#undef FMT_X
	};
	const unsigned ncodes = sizeof(codes) / sizeof(codes[0]);
	unsigned c, i, form;
	uint64_t ts;
	size_t len;
	int good;

	for (c = 0; c < ncodes; c++) {
		for (form = FMT_WIRE; form <= FMT_FILE; form++) {
			ts = rng_below((uint64_t)1 << 62);
			for (i = 0; i < BATCH; i++) {
				ts += pick_delta();
				random_event(&s[i], codes[c], ts);
			}
			good = roundtrip(s, BATCH, form, buf, &len);
			ok(good, "%s: %u events round-trip in %s form "
			   "(%zu bytes)",
			   fmt_event_info(codes[c])->name, BATCH,
			   form_name(form), len);
		}
	}
	for (form = FMT_WIRE; form <= FMT_FILE; form++) {
		ts = 0;
		for (i = 0; i < BATCH; i++) {
			ts += pick_delta();
			random_event(&s[i], codes[rng_below(ncodes)], ts);
		}
		ok(roundtrip(s, BATCH, form, buf, &len),
		   "mixed batch of %u events round-trips in %s form", BATCH,
		   form_name(form));
	}
	free(s);
	free(buf);
}

/* ---- limits and errors ---- */

static void test_limits(void)
{
	static struct sample s;
	static uint64_t frames[FMT_MAX_STACK + 10];
	static char str[FMT_MAX_STR + 10];
	static uint8_t buf[2 * FMT_EVENT_MAX_BYTES];
	uint64_t stackbuf[FMT_MAX_STACK], prev;
	const struct fmt_event_info *in;
	const uint8_t *p;
	struct fmt_event d;
	struct fmt_addrs ad;
	unsigned code, i, big = 0, bad = 0;
	uint8_t *e;

	/* every field and frame at UINT64_MAX: the bound holds */
	memset(frames, 0xff, sizeof(frames));
	memset(str, 'x', sizeof(str));
	for (code = 0; code < FMT_EV_MAX; code++) {
		if (!(in = fmt_event_info(code)))
			continue;
		memset(&s.ev, 0xff, sizeof(s.ev));
		s.ev.type = code;
		s.ev.stack = frames;
		s.ev.nstack = FMT_MAX_STACK + 10;
		s.ev.str = str;
		s.ev.slen = FMT_MAX_STR + 10;
		s.ev.str2 = str;
		s.ev.slen2 = FMT_MAX_STR + 10;
		/* 2^63 from 0 is a step no delta holds: escaped */
		for (i = 0; i < in->nfields; i++)
			if (in->kinds[i] == 'a')
				s.ev.f[i] = 1ull << 63;
		prev = 0;
		e = fmt_encode_event(buf, &s.ev, FMT_WIRE, &prev, fresh(&ad));
		if ((size_t)(e - buf) > big)
			big = e - buf;
		p = buf;
		prev = 0;
		if (fmt_decode_event(&p, e, FMT_WIRE, &prev, &d, stackbuf,
				     fresh(&ad)) ||
		    p != e || d.ts != UINT64_MAX ||
		    (in->stack_field >= 0 && d.nstack != FMT_MAX_STACK) ||
		    (in->str_field >= 0 && d.slen != FMT_MAX_STR) ||
		    (in->str2_field >= 0 && d.slen2 != FMT_MAX_STR))
			bad++;
	}
	ok(big <= FMT_EVENT_MAX_BYTES && !bad,
	   "worst-case events fit FMT_EVENT_MAX_BYTES (%u <= %zu) and "
	   "inline stacks/strings are clamped to the limits", big,
	   (size_t)FMT_EVENT_MAX_BYTES);

	/* an unknown type byte */
	for (code = 0; code < 256; code++) {
		buf[0] = code;
		buf[1] = 0;
		p = buf;
		prev = 0;
		i = fmt_decode_event(&p, buf + 2 + FMT_MAX_FIELDS, FMT_FILE,
				     &prev, &d, stackbuf, fresh(&ad)) ==
		    FMT_ETYPE;
		bad += i != !fmt_event_info(code);
	}
	ok(!bad, "unknown type codes give FMT_ETYPE, known ones do not");

	/* a delta that wraps the clock */
	e = buf;
	*e++ = FMT_EV_THREAD_END;
	e = fmt_put_uvar(e, 10);
	*e++ = 0;
	p = buf;
	prev = UINT64_MAX - 5;
	ok(fmt_decode_event(&p, e, FMT_FILE, &prev, &d, stackbuf, NULL) ==
	   FMT_ECORRUPT && p == buf && prev == UINT64_MAX - 5,
	   "a timestamp that wraps is refused, cursor and clock untouched");

	/* inline lengths over the limits */
	e = buf;
	*e++ = FMT_EV_MUTEX_WAKE;
	*e++ = 0;
	*e++ = 1;
	e = fmt_put_uvar(e, FMT_MAX_STACK + 1);
	memset(e, 0, FMT_MAX_STACK + 1);
	e += FMT_MAX_STACK + 1;
	p = buf;
	prev = 0;
	ok(fmt_decode_event(&p, e, FMT_WIRE, &prev, &d, stackbuf,
			    fresh(&ad)) ==
	   FMT_ECORRUPT, "a wire stack of %u frames is refused",
	   FMT_MAX_STACK + 1);
	e = buf;
	*e++ = FMT_EV_THREAD_NAME;
	*e++ = 0;
	*e++ = 1;
	e = fmt_put_uvar(e, FMT_MAX_STR + 1);
	memset(e, 'a', FMT_MAX_STR + 1);
	e += FMT_MAX_STR + 1;
	p = buf;
	ok(fmt_decode_event(&p, e, FMT_WIRE, &prev, &d, stackbuf,
			    fresh(&ad)) ==
	   FMT_ECORRUPT, "a wire string of %u bytes is refused",
	   FMT_MAX_STR + 1);
}

/* every strict prefix of an encoded event is FMT_ETRUNC, untouched */
static void test_prefixes(void)
{
	static struct sample s;
	static uint8_t buf[FMT_EVENT_MAX_BYTES];
	uint64_t stackbuf[FMT_MAX_STACK], prev;
	unsigned code, form, round, bad = 0, tried = 0;
	const uint8_t *p;
	struct fmt_event d;
	struct fmt_addrs ad;
	uint8_t *e;
	size_t k;

	for (code = 0; code < FMT_EV_MAX; code++) {
		if (!fmt_event_info(code))
			continue;
		for (form = FMT_WIRE; form <= FMT_FILE; form++) {
			for (round = 0; round < 5; round++) {
				random_event(&s, code, 1000 + rng_below(1000));
				s.ev.slen %= 64;	/* keep it quick */
				s.ev.slen2 %= 64;
				prev = 1000;
				e = fmt_encode_event(buf, &s.ev, form, &prev,
						     fresh(&ad));
				for (k = 0; k < (size_t)(e - buf); k++) {
					p = buf;
					prev = 1000;
					bad += fmt_decode_event(&p, buf + k,
							form, &prev, &d,
							stackbuf, fresh(&ad))
					       != FMT_ETRUNC
					       || p != buf || prev != 1000;
					tried++;
				}
			}
		}
	}
	ok(!bad, "%u strict prefixes of encoded events: all FMT_ETRUNC "
	   "with cursor and clock untouched (%u bad)", tried, bad);
}

/* ---- garbage ---- */

/*
 * Decode [buf, buf+len) to its end or first error.  buf is a heap block
 * of exactly len bytes, so ASAN or valgrind flags any read past it.
 * @return 0 if the decoder misbehaved (moved the cursor on error, or out
 * of the buffer).
 */
static int decode_all(const uint8_t *buf, size_t len, enum fmt_form form)
{
	uint64_t stackbuf[FMT_MAX_STACK], prev = rng_value() >> 2;
	const uint8_t *p = buf, *before;
	struct fmt_event d;
	struct fmt_addrs ad;
	int err;

	fmt_addrs_batch(&ad);
	while (p < buf + len) {
		before = p;
		err = fmt_decode_event(&p, buf + len, form, &prev, &d,
				       stackbuf, &ad);
		if (err)
			return p == before && err < 0;
		if (p <= before || p > buf + len)
			return 0;
		if (d.nstack > FMT_MAX_STACK || d.slen > FMT_MAX_STR ||
		    (d.slen && ((const uint8_t *)d.str < buf ||
				(const uint8_t *)d.str + d.slen > p)))
			return 0;
	}
	return 1;
}

static void test_garbage(void)
{
	static struct sample s;
	static uint8_t valid[64 * 256];
	unsigned form, i, j, type, bad = 0;
	size_t len, vlen;
	uint64_t prev;
	struct fmt_addrs ad;
	uint8_t *buf, *e;

	for (form = FMT_WIRE; form <= FMT_FILE; form++) {
		bad = 0;
		for (i = 0; i < 20000; i++) {
			len = rng_below(300);
			buf = malloc(len ? len : 1);
			for (j = 0; j < len; j++)
				buf[j] = rng_next();
			/* often start with a real type to get further */
			if (len && rng_below(2))
				buf[0] = FMT_EV_MUTEX_BLOCK + rng_below(11);
			bad += !decode_all(buf, len, form);
			free(buf);
		}
		ok(!bad, "20000 random buffers decode as %s events without "
		   "harm (%u bad)", form_name(form), bad);
	}

	/* real batches with a few bytes flipped or cut short */
	for (form = FMT_WIRE; form <= FMT_FILE; form++) {
		bad = 0;
		for (i = 0; i < 5000; i++) {
			prev = 0;
			e = valid;
			fmt_addrs_batch(&ad);
			for (j = 0; j < 16; j++) {
				type = rng_below(FMT_EV_MAX);
				if (!fmt_event_info(type))
					type = FMT_EV_COND_WAIT;
				random_event(&s, type, prev + 1);
				s.ev.nstack %= 8;
				s.ev.slen %= 32;
				s.ev.slen2 %= 32;
				e = fmt_encode_event(e, &s.ev, form, &prev,
						     &ad);
			}
			vlen = rng_below(e - valid + 1);
			buf = malloc(vlen ? vlen : 1);
			memcpy(buf, valid, vlen);
			for (j = rng_below(4); vlen && j--; )
				buf[rng_below(vlen)] ^= 1 << rng_below(8);
			bad += !decode_all(buf, vlen, form);
			free(buf);
		}
		ok(!bad, "5000 damaged %s batches decode without harm "
		   "(%u bad)", form_name(form), bad);
	}
}

/* ---- wire -> file transcoding ---- */

/* a stand-in for the collector's tables: ids from the content */
static uint64_t fake_stack(void *ctx, const uint64_t *frames, uint32_t n)
{
	uint64_t h = n;
	uint32_t i;

	(void)ctx;
	for (i = 0; i < n; i++)
		h = (h ^ frames[i]) * 0x100000001b3ull;
	return n ? h >> (h & 63) : 0;
}

static uint64_t fake_string(void *ctx, const char *str, uint32_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t i;

	(void)ctx;
	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)str[i]) * 0x100000001b3ull;
	return h >> (h & 63);
}

/* do the file-form events at a and b decode to the same event? */
static int same_file_event(const uint8_t *a, const uint8_t *ae,
			   const uint8_t *b, const uint8_t *be, uint64_t base,
			   const struct fmt_addrs *ad)
{
	static uint64_t sb[FMT_MAX_STACK];
	struct fmt_addrs aa = *ad, ab = *ad;
	struct fmt_event da, db;
	uint64_t pa = base, pb = base;

	if (fmt_decode_event(&a, ae, FMT_FILE, &pa, &da, sb, &aa) ||
	    fmt_decode_event(&b, be, FMT_FILE, &pb, &db, sb, &ab))
		return 0;
	return a == ae && b == be && da.type == db.type && da.ts == db.ts &&
	       !memcmp(da.f, db.f, sizeof(da.f));
}

/* batch_event() : a random event of a wire batch, its stack and strings
 * short; half of the stacks are one of 4 seen before, so that the batch
 * refers to their definitions */
static void batch_event(struct sample *s, unsigned type, uint64_t ts,
			uint64_t (*frames)[8])
{
	random_event(s, type, ts);
	s->ev.nstack %= 8;
	s->ev.slen %= 32;
	s->ev.slen2 %= 32;
	if (rng_below(2)) {
		s->ev.stack = frames[rng_below(4)];
		s->ev.nstack = 1 + (s->ev.stack[7] & 3);
	}
}

/*
 * transcode_matches() : fmt_transcode_event() over [buf, buf+len) gives
 * the same verdict as fmt_decode_event(FMT_WIRE) event by event, and on
 * success the bytes that decode + intern + fmt_encode_event(FMT_FILE)
 * give.  buf is a heap block of exactly len bytes (for ASAN/valgrind).
 */
static int transcode_matches(const uint8_t *buf, size_t len)
{
	static struct fmt_kdef defs1[64 * 1024], defs2[64 * 1024];
	struct fmt_kdefs kd1 = { defs1, 0, 64 * 1024 };
	struct fmt_kdefs kd2 = { defs2, 0, 64 * 1024 };
	static struct fmt_addrs ad1, ad2, ad3, before_ad;
	const struct fmt_interner intern = { NULL, fake_stack, fake_string,
					     &kd2, fresh(&ad2) };
	static uint64_t sb1[FMT_MAX_STACK], sb2[FMT_MAX_STACK];
	static uint8_t want[FMT_EVENT_MAX_BYTES], got[FMT_EVENT_MAX_BYTES];
	const struct fmt_event_info *in;
	const uint8_t *p1 = buf, *p2 = buf;
	uint64_t base = rng_value() >> 2, prev1 = base, prev2 = base;
	uint64_t prev_out = base;
	struct fmt_event d;
	uint8_t *e1, *e2;
	uint64_t before;
	int r1, r2;

	fmt_addrs_batch(&ad1);
	fmt_addrs_batch(&ad3);
	while (p1 < buf + len) {
		r1 = fmt_decode_wire(&p1, buf + len, &prev1, &d, sb1, &kd1,
				     &ad1);
		e2 = got;
		r2 = fmt_transcode_event(&p2, buf + len, &prev2, &e2, &intern,
					 sb2);
		if (r1 != r2 || p1 != p2 || prev1 != prev2 || kd1.n != kd2.n)
			return 0;
		/* and both followed the batch's addresses alike */
		if (!r1 && memcmp(&ad1, &ad2, sizeof(ad1)))
			return 0;
		if (r1)
			return 1;
		in = fmt_event_info(d.type);
		if (in->stack_field >= 0)
			d.f[in->stack_field] = fake_stack(NULL, d.stack,
							  d.nstack);
		if (in->str_field >= 0)
			d.f[in->str_field] = fake_string(NULL, d.str, d.slen);
		if (in->str2_field >= 0)
			d.f[in->str2_field] = fake_string(NULL, d.str2,
							  d.slen2);
		before = prev_out;
		before_ad = ad3;
		e1 = fmt_encode_event(want, &d, FMT_FILE, &prev_out, &ad3);
		/* the same bytes, unless the input had padded varints
		 * (damage can make them), which stay as they are: then the
		 * same event */
		if ((e1 - want != e2 - got || memcmp(want, got, e1 - want)) &&
		    !same_file_event(want, e1, got, e2, before, &before_ad))
			return 0;
	}
	return 1;
}

/* what fmt_transcode_batch() asked to name, in order */
static uint64_t named[64];
static unsigned nnamed, named_kind[64];

static void note_name(void *ctx, unsigned kind, uint64_t addr)
{
	(void)ctx;
	if (nnamed < 64) {
		named_kind[nnamed] = kind;
		named[nnamed] = addr;
	}
	nnamed++;
}

/*
 * batch_matches() : fmt_transcode_batch() over a whole wire batch of n
 * events and its index gives the bytes fmt_transcode_event() gives event
 * by event, and asks to name what the index carries, in order.
 */
static int batch_matches(const uint8_t *buf, size_t len, const uint8_t *idx,
			 size_t ilen, const uint64_t *want_named,
			 const unsigned *want_kind, unsigned nwant)
{
	static struct fmt_kdef defs1[64 * 1024], defs2[64 * 1024];
	static uint8_t out1[256 * 1024], out2[256 * 1024];
	static uint64_t sb[FMT_MAX_STACK];
	static struct fmt_addrs ad1;
	struct fmt_kdefs kd1 = { defs1, 0, 64 * 1024 };
	struct fmt_kdefs kd2 = { defs2, 0, 64 * 1024 };
	const struct fmt_interner in1 = { NULL, fake_stack, fake_string,
					  &kd1, fresh(&ad1) };
	const struct fmt_interner in2 = { NULL, fake_stack, fake_string,
					  &kd2, NULL };
	const struct fmt_batch_ops ops = { NULL, note_name, NULL };
	const uint8_t *p1 = buf;
	uint8_t *e1 = out1, *e2 = out2;
	uint64_t t1 = 0;

	while (p1 < buf + len)
		if (fmt_transcode_event(&p1, buf + len, &t1, &e1, &in1, sb))
			return 0;
	nnamed = 0;
	if (fmt_transcode_batch(buf, buf + len, idx, idx + ilen, &e2, &in2,
				sb, &ops))
		return 0;
	return e1 - out1 == e2 - out2 && !memcmp(out1, out2, e1 - out1) &&
	       nnamed == nwant &&
	       !memcmp(named, want_named, nwant * sizeof(*named)) &&
	       !memcmp(named_kind, want_kind, nwant * sizeof(*named_kind));
}

/* the index of a batch as the preload makes it (emit.c): an entry per
 * event of an indexed type, with the address to name */
static uint8_t *index_put(uint8_t *ip, uint64_t off, uint64_t *last,
			  const struct fmt_event *ev, uint64_t *want,
			  unsigned *kind, unsigned *nwant)
{
	const struct fmt_event_info *in = fmt_event_info(ev->type);
	uint64_t a;

	if (!in->indexed)
		return ip;
	a = fmt_name_addr(in, ev);
	if (in->name_kind && a) {
		want[*nwant] = a;
		kind[(*nwant)++] = in->name_kind;
	}
	ip = fmt_index_put(ip, off - *last, in->name_kind, a);
	*last = off;
	return ip;
}

static void test_transcode_batch(void)
{
	static const uint8_t hot[] = { FMT_EV_ALLOC_SAME, FMT_EV_FREE_SAME,
				       FMT_EV_FREE, FMT_EV_ALLOC };
	static struct sample s;
	static uint8_t valid[64 * 1024], idx[8 * 1024], bad_idx[8 * 1024];
	static struct fmt_kref kr;
	static struct fmt_addrs ad;
	static uint64_t frames[4][8], want[64], offs[64];
	unsigned i, j, type, kind[64], nwant, bad = 0, caught = 0;
	uint64_t prev, last;
	uint8_t *e, *ip;

	for (i = 0; i < 4 * 8; i++)
		frames[i / 8][i % 8] = rng_value();
	for (i = 0; i < 2000; i++) {
		prev = last = 0;
		e = valid;
		ip = idx;
		nwant = 0;
		fmt_kref_batch(&kr);
		fmt_addrs_batch(&ad);
		for (j = 0; j < 32; j++) {
			type = rng_below(2) ? rng_below(FMT_EV_MAX) :
					      hot[rng_below(sizeof(hot))];
			if (!fmt_event_info(type))
				type = FMT_EV_FREE_SAME;
			batch_event(&s, type, prev + pick_delta(), frames);
			offs[j] = e - valid;
			ip = index_put(ip, e - valid, &last, &s.ev, want,
				       kind, &nwant);
			e = fmt_encode_kinds(e, &s.ev,
					     fmt_event_info(type)->kinds,
					     FMT_WIRE, &prev, &kr, &ad);
		}
		bad += !batch_matches(valid, e - valid, idx, ip - idx, want,
				      kind, nwant);
		/* an entry for an event of a type the index leaves out */
		for (j = 0; j < 32 && fmt_event_info(valid[offs[j]])->indexed;
		     j++)
			;
		if (j < 32) {
			uint8_t *q = fmt_put_uvar(bad_idx, offs[j]);
			static uint8_t o[64 * 1024];
			uint8_t *op = o;
			struct fmt_kdefs kd = { NULL, 0, 0 };
			const struct fmt_interner in = { NULL, fake_stack,
							 fake_string, &kd,
							 NULL };
			const struct fmt_batch_ops ops = { NULL, note_name,
							   NULL };

			caught += fmt_transcode_batch(valid, e, bad_idx, q,
						      &op, &in, NULL, &ops) ==
				  FMT_ECORRUPT;
		} else {
			caught++;
		}
	}
	ok(!bad, "2000 wire batches of 32 events: fmt_transcode_batch(), "
	   "reading only the events their index lists, gives the bytes "
	   "fmt_transcode_event() gives event by event, and names what "
	   "the index carries (%u bad)", bad);
	ok(caught == 2000, "an index entry for an event of a type the index "
	   "leaves out is FMT_ECORRUPT (%u of 2000)", caught);
}

static void test_batch_index(void)
{
	/* two free_same (3 bytes each) and an alloc with a 1-frame stack */
	static const uint8_t ev[] = {
		FMT_EV_FREE_SAME, 1, 3,  FMT_EV_FREE_SAME, 1, 5,
		FMT_EV_ALLOC, 1, 7, 16, 1, 2, 0x80, 0x01 };
	static uint8_t out[256];
	static struct fmt_kdef defs[4];
	struct fmt_kdefs kd = { defs, 0, 4 };
	const struct fmt_interner in = { NULL, fake_stack, fake_string, &kd,
					 NULL };
	const struct fmt_batch_ops ops = { NULL, note_name, NULL };
	static const uint64_t site[1] = { 0x80 };
	uint64_t sb[FMT_MAX_STACK];
	const uint8_t *end = ev + sizeof(ev);
	uint8_t idx[8] = { 0 }, want[32], *o, *w;

	o = out;
	idx[0] = 6;
	memcpy(want, ev, 11);
	w = fmt_put_uvar(want + 11, fake_stack(NULL, site, 1));
	ok(!fmt_transcode_batch(ev, end, idx, idx + 1, &o, &in, sb, &ops) &&
	   o - out == w - want && !memcmp(out, want, w - want),
	   "an index of one entry: the alloc's stack becomes an id, the two "
	   "free_same before it are copied unread");
	o = out;
	kd.n = 0;
	idx[0] = 6;
	idx[1] = 0;
	ok(fmt_transcode_batch(ev, end, idx, idx + 2, &o, &in, sb, &ops) ==
	   FMT_ECORRUPT, "an entry at the offset of the one before, inside "
	   "the event it listed, is FMT_ECORRUPT");
	o = out;
	kd.n = 0;
	idx[0] = sizeof(ev);
	ok(fmt_transcode_batch(ev, end, idx, idx + 1, &o, &in, sb, &ops) ==
	   FMT_ETRUNC, "an entry at the batch's end is FMT_ETRUNC");
	o = out;
	kd.n = 0;
	idx[0] = 0x80;
	ok(fmt_transcode_batch(ev, end, idx, idx + 1, &o, &in, sb, &ops) ==
	   FMT_ETRUNC, "an index cut inside an entry is FMT_ETRUNC");
	o = out;
	kd.n = 0;
	idx[0] = 100;
	ok(fmt_transcode_batch(ev, end, idx, idx + 1, &o, &in, sb, &ops) ==
	   FMT_ECORRUPT, "an entry past the batch's end is FMT_ECORRUPT");
}

static void test_transcode(void)
{
	/* the types fmt_transcode_event() has an unrolled copy for */
	static const uint8_t hot[] = { FMT_EV_ALLOC, FMT_EV_FREE,
				       FMT_EV_READ, FMT_EV_WRITE, FMT_EV_POLL };
	static struct sample s;
	static uint8_t valid[64 * 1024];
	static struct fmt_kref kr;
	static uint64_t frames[4][8];
	static struct fmt_addrs ad;
	unsigned i, j, type, bad = 0, whole = 0;
	uint64_t prev;
	size_t vlen;
	uint8_t *buf, *e;

	for (i = 0; i < 4 * 8; i++)
		frames[i / 8][i % 8] = rng_value();
	for (i = 0; i < 5000; i++) {
		prev = 0;
		e = valid;
		fmt_kref_batch(&kr);
		fmt_addrs_batch(&ad);
		for (j = 0; j < 16; j++) {
			type = rng_below(4) ? rng_below(FMT_EV_MAX) :
					      hot[rng_below(sizeof(hot))];
			if (!fmt_event_info(type))
				type = FMT_EV_ALLOC;
			batch_event(&s, type, prev + pick_delta(), frames);
			e = fmt_encode_kinds(e, &s.ev,
					     fmt_event_info(type)->kinds,
					     FMT_WIRE, &prev, &kr, &ad);
		}
		/* half whole, half cut short and damaged */
		vlen = e - valid;
		if (i & 1) {
			vlen = rng_below(vlen + 1);
			whole--;
		}
		whole++;
		buf = malloc(vlen ? vlen : 1);
		memcpy(buf, valid, vlen);
		for (j = (i & 1) ? rng_below(4) : 0; vlen && j--; )
			buf[rng_below(vlen)] ^= 1 << rng_below(8);
		bad += !transcode_matches(buf, vlen);
		free(buf);
	}
	ok(!bad, "5000 wire batches (%u whole, the others damaged) "
	   "transcode to the bytes decode + encode give (%u bad)", whole,
	   bad);
	for (i = 0, bad = 0; i < 20000; i++) {
		vlen = rng_below(300);
		buf = malloc(vlen ? vlen : 1);
		for (j = 0; j < vlen; j++)
			buf[j] = rng_next();
		/* the types the transcoder unrolls, and the others */
		if (vlen && rng_below(2))
			buf[0] = rng_below(2) ?
				 FMT_EV_MUTEX_BLOCK + rng_below(11) :
				 hot[rng_below(sizeof(hot))];
		bad += !transcode_matches(buf, vlen);
		free(buf);
	}
	ok(!bad, "20000 random buffers: transcoding agrees with the decoder "
	   "(%u bad)", bad);
}

/*
 * decode_matches() : fmt_decode_event() (an unrolled decoder for the hot
 * types) and fmt_decode_short() with every field (the schema's loop)
 * read [buf, buf+len) alike: verdicts, cursors, times, fields, slots.
 */
static int decode_matches(const uint8_t *buf, size_t len)
{
	static uint64_t sb[FMT_MAX_STACK];
	struct fmt_addrs ad1, ad2;
	const uint8_t *p1 = buf, *p2 = buf, *end = buf + len;
	struct fmt_event e1, e2;
	uint64_t t1 = 1000, t2 = 1000;
	int r1 = 0, r2 = 0;
	unsigned i;

	fmt_addrs_batch(&ad1);
	fmt_addrs_batch(&ad2);
	while (p1 < end && !r1) {
		r1 = fmt_decode_event(&p1, end, FMT_FILE, &t1, &e1, sb, &ad1);
		r2 = fmt_decode_short(&p2, end, 255, &t2, &e2, &ad2);
		if (r1 != r2 || p1 != p2 || t1 != t2)
			return 0;
		if (r1)
			break;
		if (e1.type != e2.type || e1.ts != e2.ts || e1.stack ||
		    e1.nstack || e1.str || e1.str2 ||
		    memcmp(&ad1, &ad2, sizeof(ad1)))
			return 0;
		for (i = 0; i < FMT_MAX_FIELDS; i++)
			if (e1.f[i] != e2.f[i])
				return 0;
	}
	return 1;
}

static void test_decode_hot(void)
{
	static const uint8_t hot[] = {
		FMT_EV_ALLOC, FMT_EV_FREE, FMT_EV_ALLOC_SAME, FMT_EV_FREE_SAME,
		FMT_EV_READ, FMT_EV_WRITE, FMT_EV_POLL, FMT_EV_CPU_SAMPLE,
		FMT_EV_MUTEX_BLOCK, FMT_EV_COND_WAIT, FMT_EV_FUTEX_WAIT };
	static struct sample s;
	static uint8_t buf[64 * 1024];
	struct fmt_addrs ad;
	unsigned i, j, type, bad = 0, nhot = 0;
	uint64_t prev;
	size_t len;
	uint8_t *e;

	for (i = 0; i < 4000; i++) {
		prev = 1000;
		e = buf;
		fmt_addrs_batch(&ad);
		for (j = 0; j < 16; j++) {
			type = rng_below(4) ? hot[rng_below(sizeof(hot))] :
					      rng_below(FMT_EV_MAX);
			if (!fmt_event_info(type))
				type = FMT_EV_FREE_SAME;
			random_event(&s, type, prev + pick_delta());
			e = fmt_encode_event(e, &s.ev, FMT_FILE, &prev, &ad);
		}
		len = e - buf;
		/* half whole, half cut short and damaged */
		if (i & 1) {
			len = rng_below(len + 1);
			for (j = rng_below(4); len && j--; )
				buf[rng_below(len)] ^= 1 << rng_below(8);
		}
		nhot += len > 0 && memchr(hot, buf[0], sizeof(hot)) != NULL;
		bad += !decode_matches(buf, len);
	}
	ok(!bad && nhot > 1000, "4000 file-form batches, whole and damaged: "
	   "the hot types' decoder agrees with the schema's loop (%u bad, "
	   "%u starting hot)", bad, nhot);
}

/* alloc() : an ALLOC event at ts with a stack */
static struct fmt_event alloc_ev(uint64_t ts, const uint64_t *st, uint32_t n)
{
	struct fmt_event ev = { .type = FMT_EV_ALLOC, .ts = ts };

	ev.f[FMT_F_ALLOC_addr] = 0x5555deadbe00 + ts;
	ev.f[FMT_F_ALLOC_size] = 32;
	ev.stack = st;
	ev.nstack = n;
	return ev;
}

/* stack references: a stack repeated in a batch travels once */
static void test_kref(void)
{
	static const uint64_t site[1] = { 0x7f0012345678 };
	uint64_t deep[16], deep2[16], sb[FMT_MAX_STACK], prev = 0, id;
	static struct fmt_kdef defs[16];
	struct fmt_kdefs kd = { defs, 0, 16 };
	static struct fmt_kref kr;
	uint8_t buf[4096], *e = buf, *e1, *e2, *out;
	const uint8_t *p = buf;
	struct fmt_event ev, d;
	const struct fmt_interner intern = { NULL, fake_stack, fake_string,
					     &kd, NULL };
	unsigned i, good = 0;

	for (i = 0; i < 16; i++)
		deep[i] = deep2[i] = 0x400000 + 0x1111 * i;
	deep2[15]++;	/* differs only in its outermost frame */
	fmt_kref_batch(&kr);
	ev = alloc_ev(10, site, 1);
	e1 = fmt_encode_kinds(e, &ev, fmt_kinds_ALLOC, FMT_WIRE, &prev, &kr, NULL);
	ev = alloc_ev(20, site, 1);
	e2 = fmt_encode_kinds(e1, &ev, fmt_kinds_ALLOC, FMT_WIRE, &prev, &kr, NULL);
	/* the second is its first's size less the 7-byte frame: x = 1 */
	ok(e2 - e1 == (e1 - e) - 7 && e2[-1] == 1,
	   "a repeated call site is a 1-byte reference to definition 0 "
	   "(%d then %d bytes)", (int)(e1 - e), (int)(e2 - e1));
	e = e2;
	ev = alloc_ev(30, deep, 16);
	e = fmt_encode_kinds(e, &ev, fmt_kinds_ALLOC, FMT_WIRE, &prev, &kr, NULL);
	ev = alloc_ev(40, deep2, 16);
	e = fmt_encode_kinds(e, &ev, fmt_kinds_ALLOC, FMT_WIRE, &prev, &kr, NULL);
	ev = alloc_ev(50, deep, 16);
	e1 = e;
	e = fmt_encode_kinds(e, &ev, fmt_kinds_ALLOC, FMT_WIRE, &prev, &kr, NULL);
	ok(kr.ndefs == 3 && e[-1] == (1 << 1 | 1),
	   "16 frames: a stack that differs in one frame is a definition, the "
	   "same one again a reference (3 definitions, got %u)", kr.ndefs);
	/* decoding and transcoding the batch give each event its stack */
	prev = 0;
	for (i = 0; i < 5; i++) {
		const uint64_t *want = i < 2 ? site : i == 3 ? deep2 : deep;

		if (!fmt_decode_wire(&p, e, &prev, &d, sb, &kd, NULL) &&
		    d.nstack == (i < 2 ? 1u : 16u) &&
		    !memcmp(d.stack, want, d.nstack * 8))
			good++;
	}
	ok(good == 5 && p == e && kd.n == 3,
	   "the decoder gives all 5 events their frames (%u)", good);
	p = buf;
	prev = 0;
	kd.n = 0;
	out = buf + 2048;
	for (i = 0, good = 0; i < 5; i++) {
		uint8_t *o = out;
		const uint8_t *q;
		uint64_t pv = prev;

		if (fmt_transcode_event(&p, e, &prev, &out, &intern, sb))
			break;
		q = o;
		fmt_decode_event(&q, out, FMT_FILE, &pv, &d, sb, NULL);
		id = fake_stack(NULL, i < 2 ? site : i == 3 ? deep2 : deep,
				i < 2 ? 1 : 16);
		good += d.f[FMT_F_ALLOC_stack] == id;
	}
	ok(good == 5, "the transcoder gives all 5 the ids of their frames "
	   "(%u)", good);
	/* a reference the batch did not define is corrupt, and without
	 * the batch's definitions every reference is */
	p = e1;
	prev = 40;
	kd.n = 1;
	ok(fmt_decode_wire(&p, e, &prev, &d, sb, &kd, NULL) == FMT_ECORRUPT,
	   "a reference past the batch's definitions is FMT_ECORRUPT");
	p = e1;
	prev = 40;
	ok(fmt_decode_event(&p, e, FMT_WIRE, &prev, &d, sb, NULL) ==
	   FMT_ECORRUPT,
	   "a reference without the batch's definitions is FMT_ECORRUPT");
	/* a new batch forgets the old one's definitions */
	fmt_kref_batch(&kr);
	prev = 0;
	ev = alloc_ev(60, site, 1);
	e2 = fmt_encode_kinds(buf, &ev, fmt_kinds_ALLOC, FMT_WIRE, &prev,
			      &kr, NULL);
	ok(e2[-8] == 1 << 1 && kr.ndefs == 1,
	   "after fmt_kref_batch() the call site is defined again");
}

/* the addresses of a batch (format 2): slots, deltas, the escape */
static void test_addrs(void)
{
	static const uint64_t v[] = {
		0,			/* slot h(0) holds 0 already */
		0x5555deadbe00,		/* a delta from 0: 7 bytes */
		0x5555deadbe30,		/* 0x30 on: 2 bytes */
		0x5555deadbe00,		/* its slot: 1 byte */
		1ull << 63,		/* no delta holds it: 0, then 10 */
		0x5555deadbe30,		/* back: a slot again */
		UINT64_MAX,		/* from 0x5555deadbe30: a delta */
	};
	static const int len[] = { 1, 7, 2, 1, 11, 1, 7 };
	struct fmt_addrs ea, da;
	uint8_t buf[128], *e = buf, *q;
	const uint8_t *p = buf;
	unsigned i, good = 0;
	uint64_t x, got;

	fmt_addrs_batch(&ea);
	fmt_addrs_batch(&da);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		q = e;
		e = fmt_put_addr(e, v[i], &ea);
		good += e - q == len[i];
	}
	ok(good == 7 && buf[10] == (fmt_addr_slot(0x5555deadbe00) << 1 | 1) &&
	   buf[11] == 0,
	   "a repeated address is its slot in one byte, a near one a short "
	   "delta, a far one escaped (%u of 7 the right length)", good);
	for (i = 0, good = 0; i < sizeof(v) / sizeof(v[0]); i++)
		good += !fmt_get_uvar(&p, e, &x) &&
			!fmt_get_addr(&p, e, x, &da, &got) && got == v[i];
	ok(good == 7 && p == e && !memcmp(&ea, &da, sizeof(ea)),
	   "they read back in order, and both sides hold the same slots");
	p = buf;
	buf[0] = 64 << 1 | 1;
	ok(!fmt_get_uvar(&p, e, &x) &&
	   fmt_get_addr(&p, e, x, fresh(&da), &got) == FMT_ECORRUPT,
	   "slot 64 does not exist: FMT_ECORRUPT");
	p = buf + 12;
	ok(fmt_get_addr(&p, buf + 15, 0, fresh(&da), &got) == FMT_ETRUNC,
	   "an escape cut before its value: FMT_ETRUNC");
}

/*
 * An unfinished of a minor 7 file: six fields, no holder.  Read short,
 * its fields are where they were, holder 0, and the next event is whole.
 */
static void test_short(void)
{
	static const uint8_t b[] = {
		FMT_EV_UNFINISHED, 5, 100, 16, 0x80, 0x20, 1, 0, 3,
		FMT_EV_THREAD_END, 2, 1,
	};
	static const uint8_t esc[] = { FMT_EV_UNFINISHED, 5, 100, 16, 0 };
	struct fmt_addrs ad;
	const uint8_t *p = b;
	struct fmt_event ev;
	uint64_t ts = 1000;
	int r;

	r = fmt_decode_short(&p, b + sizeof(b), 6, &ts, &ev, NULL);
	ok(!r && p == b + 9 && ev.type == FMT_EV_UNFINISHED && ev.ts == 1005 &&
	   ev.f[FMT_F_UNFINISHED_dur] == 100 &&
	   ev.f[FMT_F_UNFINISHED_type] == 16 &&
	   ev.f[FMT_F_UNFINISHED_obj] == 0x1000 &&
	   (int64_t)ev.f[FMT_F_UNFINISHED_fd] == -1 &&
	   ev.f[FMT_F_UNFINISHED_stack] == 3 &&
	   ev.f[FMT_F_UNFINISHED_holder] == 0,
	   "an older unfinished, read short: its six fields, holder 0");
	r = fmt_decode_event(&p, b + sizeof(b), FMT_FILE, &ts, &ev, NULL,
			     NULL);
	ok(!r && p == b + sizeof(b) && ev.type == FMT_EV_THREAD_END &&
	   ev.ts == 1007 && ev.f[FMT_F_THREAD_END_how] == 1,
	   "the event after it is read whole");
	p = b;
	ok(fmt_decode_short(&p, b + 5, 6, &ts, &ev, NULL) == FMT_ETRUNC &&
	   p == b,
	   "a short event cut is refused");
	/* format 2: obj escaped (x = 0), cut before its value */
	p = esc;
	ok(fmt_decode_short(&p, esc + sizeof(esc), 6, &ts, &ev,
			    fresh(&ad)) == FMT_ETRUNC && p == esc,
	   "a short event cut inside an escaped address is FMT_ETRUNC");
}

/* fmt_same_expand() : the repeats of format 2.1 become what they repeat */
static void test_same(void)
{
	struct fmt_same s;
	struct fmt_event a = { .type = FMT_EV_ALLOC }, f = { .type = FMT_EV_FREE };
	struct fmt_event r = { .type = FMT_EV_ALLOC_SAME };
	struct fmt_event g = { .type = FMT_EV_FREE_SAME };
	struct fmt_event o = { .type = FMT_EV_SLEEP };

	fmt_same_batch(&s);
	ok(fmt_same_expand(&s, &r, NULL) == FMT_ECORRUPT &&
	   fmt_same_expand(&s, &g, NULL) == FMT_ECORRUPT,
	   "a repeat with nothing before it in its batch is corrupt");
	a.f[FMT_F_ALLOC_addr] = 0x1000;
	a.f[FMT_F_ALLOC_size] = 16;
	a.f[FMT_F_ALLOC_call] = FMT_CALL_calloc;
	a.f[FMT_F_ALLOC_stack] = 7;
	f.f[FMT_F_FREE_call] = FMT_CALL_free;
	o.f[0] = 5;
	r.f[FMT_F_ALLOC_SAME_addr] = 0x2000;
	r.f[FMT_F_ALLOC_SAME_size] = 32;
	g.f[FMT_F_FREE_SAME_addr] = 0x1000;
	ok(!fmt_same_expand(&s, &a, NULL) && !fmt_same_expand(&s, &f, NULL) &&
	   !fmt_same_expand(&s, &o, NULL) && a.type == FMT_EV_ALLOC &&
	   o.type == FMT_EV_SLEEP && o.f[0] == 5,
	   "an alloc, a free and any other event read as they are");
	ok(!fmt_same_expand(&s, &r, NULL) && r.type == FMT_EV_ALLOC &&
	   r.f[FMT_F_ALLOC_addr] == 0x2000 && r.f[FMT_F_ALLOC_size] == 32 &&
	   r.f[FMT_F_ALLOC_call] == FMT_CALL_calloc &&
	   r.f[FMT_F_ALLOC_stack] == 7,
	   "alloc_same: its own address and size, the last alloc's call "
	   "and stack");
	ok(!fmt_same_expand(&s, &g, NULL) && g.type == FMT_EV_FREE &&
	   g.f[FMT_F_FREE_addr] == 0x1000 &&
	   g.f[FMT_F_FREE_call] == FMT_CALL_free,
	   "free_same: its own address, the last free's call");
	fmt_same_batch(&s);
	r.type = FMT_EV_ALLOC_SAME;
	ok(fmt_same_expand(&s, &r, NULL) == FMT_ECORRUPT,
	   "a new batch repeats nothing of the one before");
}

static const char *field_name(unsigned type, unsigned i)
{
	const struct fmt_event_info *in = fmt_event_info(type);

	return in->names + in->field_off[i];
}

/*
 * fmt_same_rules against the schema: a repeat's fields are its base's
 * at[], by name and in order; keep is every other field of the base but
 * the stack, which is `stack`; both codes of a rule map to it; the repeat has no 'k', 'n'
 * or field to name (the collector copies it unread).
 */
static void test_same_rules(void)
{
	int i, bad = 0;

	for (i = 0; i < FMT_SAME_RULES; i++) {
		const struct fmt_same_rule *r = &fmt_same_rules[i];
		const struct fmt_event_info *b = fmt_event_info(r->base);
		const struct fmt_event_info *p = fmt_event_info(r->rep);
		uint32_t all = (1u << b->nfields) - 1, own = 0;
		unsigned j;

		if (!b || !p || p->nfields != r->nrep || p->indexed ||
		    fmt_same_of(r->base) != i || fmt_same_of(r->rep) != i) {
			bad++;
			continue;
		}
		for (j = 0; j < r->nrep; j++) {
			own |= 1u << r->at[j];
			bad += strcmp(field_name(r->rep, j),
				      field_name(r->base, r->at[j])) != 0 ||
			       p->kinds[j] != b->kinds[r->at[j]] ||
			       (j && r->at[j] <= r->at[j - 1]);
		}
		if (b->stack_field >= 0)
			all &= ~(1u << b->stack_field);
		bad += r->keep != (all & ~own) || r->stack != b->stack_field;
	}
	ok(!bad, "the repeats' table matches the schema (%d bad)", bad);
	ok(fmt_same_of(FMT_EV_SLEEP) < 0 && fmt_same_of(FMT_EV_STDIO_RUN) < 0,
	   "other events repeat nothing");
}

/* fmt_same_expand() : format 2.3's read, write and poll repeats */
static void test_same_io(void)
{
	struct fmt_same s;
	struct fmt_event rd = { .type = FMT_EV_READ };
	struct fmt_event wr = { .type = FMT_EV_WRITE };
	struct fmt_event pl = { .type = FMT_EV_POLL };
	struct fmt_event r = { .type = FMT_EV_READ_SAME };
	struct fmt_event w = { .type = FMT_EV_WRITE_SAME };
	struct fmt_event q = { .type = FMT_EV_POLL_SAME };

	fmt_same_batch(&s);
	ok(fmt_same_expand(&s, &r, NULL) == FMT_ECORRUPT &&
	   fmt_same_expand(&s, &w, NULL) == FMT_ECORRUPT &&
	   fmt_same_expand(&s, &q, NULL) == FMT_ECORRUPT,
	   "a read, write or poll repeat with nothing before it is corrupt");
	rd.f[FMT_F_READ_dur] = 100;
	rd.f[FMT_F_READ_fd] = 3;
	rd.f[FMT_F_READ_bytes] = 4096;
	rd.f[FMT_F_READ_result] = 4096;
	rd.f[FMT_F_READ_call] = FMT_CALL_pread;
	rd.f[FMT_F_READ_stack] = 9;
	wr.f[FMT_F_WRITE_fd] = 4;
	wr.f[FMT_F_WRITE_bytes] = 64;
	wr.f[FMT_F_WRITE_call] = FMT_CALL_write;
	wr.f[FMT_F_WRITE_stack] = 2;
	pl.f[FMT_F_POLL_fd] = -1;
	pl.f[FMT_F_POLL_nfds] = 2;
	pl.f[FMT_F_POLL_timeout] = 1000;
	pl.f[FMT_F_POLL_call] = FMT_CALL_ppoll;
	pl.f[FMT_F_POLL_stack] = 5;
	ok(!fmt_same_expand(&s, &rd, NULL) && !fmt_same_expand(&s, &wr, NULL) &&
	   !fmt_same_expand(&s, &pl, NULL) && rd.type == FMT_EV_READ,
	   "a read, a write and a poll read as they are");
	r.f[FMT_F_READ_SAME_dur] = 7;
	r.f[FMT_F_READ_SAME_result] = 12;
	ok(!fmt_same_expand(&s, &r, NULL) && r.type == FMT_EV_READ &&
	   r.f[FMT_F_READ_dur] == 7 && r.f[FMT_F_READ_result] == 12 &&
	   r.f[FMT_F_READ_fd] == 3 && r.f[FMT_F_READ_bytes] == 4096 &&
	   r.f[FMT_F_READ_call] == FMT_CALL_pread &&
	   r.f[FMT_F_READ_stack] == 9,
	   "read_same: its own dur and result, the last read's fd, bytes, "
	   "call and stack");
	w.f[FMT_F_WRITE_SAME_dur] = 8;
	w.f[FMT_F_WRITE_SAME_result] = (uint64_t)-32;
	ok(!fmt_same_expand(&s, &w, NULL) && w.type == FMT_EV_WRITE &&
	   w.f[FMT_F_WRITE_dur] == 8 &&
	   w.f[FMT_F_WRITE_result] == (uint64_t)-32 &&
	   w.f[FMT_F_WRITE_fd] == 4 && w.f[FMT_F_WRITE_bytes] == 64 &&
	   w.f[FMT_F_WRITE_stack] == 2,
	   "write_same: the last write's, not the last read's");
	q.f[FMT_F_POLL_SAME_dur] = 9;
	q.f[FMT_F_POLL_SAME_result] = 1;
	ok(!fmt_same_expand(&s, &q, NULL) && q.type == FMT_EV_POLL &&
	   q.f[FMT_F_POLL_dur] == 9 && q.f[FMT_F_POLL_result] == 1 &&
	   q.f[FMT_F_POLL_fd] == (uint64_t)-1 && q.f[FMT_F_POLL_nfds] == 2 &&
	   q.f[FMT_F_POLL_timeout] == 1000 &&
	   q.f[FMT_F_POLL_call] == FMT_CALL_ppoll &&
	   q.f[FMT_F_POLL_stack] == 5,
	   "poll_same: its own dur and result, the last poll's rest");
}

int main(void)
{
	rng_seed(20240501);
	test_varints();
	test_wire_header();
	test_schema();
	test_field_names();
	test_roundtrips();
	test_limits();
	test_prefixes();
	test_garbage();
	test_transcode();
	test_transcode_batch();
	test_batch_index();
	test_decode_hot();
	test_kref();
	test_short();
	test_addrs();
	test_same();
	test_same_rules();
	test_same_io();
	return tap_done();
}
