/*
 * events.c - schema-driven encoder and decoder for events, both forms.
 */
#include <string.h>

#include "decode.h"
#include "events.h"
#include "varint.h"

struct fmt_event_info fmt_infos_[FMT_EV_MAX];
int fmt_infos_ready_;

static void fill_info(unsigned code, const char *name, unsigned family,
		      const char *kinds, const char *fields,
		      const char *names)
{
	struct fmt_event_info *in = &fmt_infos_[code];
	unsigned i;

	in->name = name;
	in->kinds = kinds;
	in->fields = fields;
	in->names = names;
	in->family = family;
	in->nfields = strlen(kinds);
	in->stack_field = -1;
	in->str_field = -1;
	in->str2_field = -1;
#define FMT_X(role) in->at.role = -1;
	FMT_ROLE_LIST(FMT_X)
#undef FMT_X
	for (i = 0; i < in->nfields; i++) {
		in->field_off[i] = i ? in->field_off[i - 1] +
				       strlen(fmt_field(in, i - 1)) + 1 : 0;
		if (kinds[i] == 's')
			in->signed_mask |= 1u << i;
		if (kinds[i] == 'a')
			in->addr_mask |= 1u << i;
		if (kinds[i] == 'k' || kinds[i] == 'n')
			in->inline_mask |= 1u << i;
		if (kinds[i] == 'k')
			in->stack_field = i;
		else if (kinds[i] == 'n' && in->str_field < 0)
			in->str_field = i;
		else if (kinds[i] == 'n')
			in->str2_field = i;
#define FMT_X(role)							\
		if (!strcmp(fmt_field(in, i), #role))			\
			in->at.role = i;
		FMT_ROLE_LIST(FMT_X)
#undef FMT_X
	}
	in->name_field = -1;
	if (in->at.routine >= 0) {
		in->name_kind = FMT_NAME_CODE;
		in->name_field = in->at.routine;
	} else if (in->at.obj >= 0 && kinds[0] == 'd') {
		in->name_kind = FMT_NAME_DATA;
		in->name_field = in->at.obj;
	} else if (code == FMT_EV_CPU_SAMPLE || code == FMT_EV_FATAL_SIGNAL) {
		in->name_kind = FMT_NAME_CODE;
	}
	/* a thread's end too: the collector counts what reached it of each
	 * tid against the thread table, and a tid the kernel gives again
	 * must start from nothing (collector/proc.c) */
	in->indexed = in->inline_mask || in->name_kind ||
		      code == FMT_EV_THREAD_END;
}

/* the names of each event's fields, each ending in a NUL: one string
 * (one relocation in the preload) per event */
#define FMT_FNAME_(p, i, k, n)	#n "\0"
#define FMT_X(name, code, fam, ...)					\
	static const char names_##name[] =				\
		FMT_EACH(FMT_FNAME_, 0, __VA_ARGS__);
FMT_EVENT_LIST(FMT_X)
#undef FMT_X

void fmt_infos_init_(void)
{
	/* names are generated lower case from the enum names */
	static char lower[FMT_EV_MAX][24];
	const char *upper;
	unsigned i;

#define FMT_X(name, code, fam, ...)					\
	upper = #name;							\
	for (i = 0; upper[i] && i < sizeof(lower[0]) - 1; i++)		\
		lower[code][i] = upper[i] >= 'A' && upper[i] <= 'Z' ?	\
				 upper[i] | 0x20 : upper[i];		\
	fill_info(code, lower[code], fam, FMT_KINDS(__VA_ARGS__),	\
		  FMT_NAMES(__VA_ARGS__), names_##name);
	FMT_EVENT_LIST(FMT_X)
#undef FMT_X
	__atomic_store_n(&fmt_infos_ready_, 1, __ATOMIC_RELEASE);
}

const char *fmt_field_name(const struct fmt_event_info *info, unsigned i,
			   char *buf, size_t size)
{
	const char *p = info->fields;
	size_t n;

	while (i-- && p) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || !size)
		return "?";
	n = strcspn(p, " ");
	if (n >= size)
		n = size - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

uint8_t *fmt_encode_event(uint8_t *p, const struct fmt_event *ev,
			  enum fmt_form form, uint64_t *prev_ts,
			  struct fmt_addrs *ad)
{
	return fmt_encode_kinds(p, ev, fmt_event_info(ev->type)->kinds, form,
				prev_ts, NULL, ad);
}

/* kdef_frames() : a definition's frames into stackbuf, from bytes a
 * first pass checked */
static void kdef_frames(const struct fmt_kdef *d, uint64_t *stackbuf)
{
	const uint8_t *p = d->frames;
	uint32_t j;

	for (j = 0; j < d->n; j++)
		fmt_get_uvar(&p, p + FMT_VARINT_MAX, &stackbuf[j]);
}

/* kdef_add() : note a definition whose frames start at p */
static int kdef_add(struct fmt_kdefs *kd, const uint8_t *p, uint32_t n,
		    uint64_t id)
{
	if (!kd)
		return 0;
	if (kd->n >= kd->cap)
		return FMT_ECORRUPT;
	kd->def[kd->n++] = (struct fmt_kdef){ p, n, id };
	return 0;
}

/* kdef_ref() : the definition reference x names, or NULL */
static struct fmt_kdef *kdef_ref(struct fmt_kdefs *kd, uint64_t x)
{
	return kd && x >> 1 < kd->n ? &kd->def[x >> 1] : NULL;
}

static int decode_stack(const uint8_t **pp, const uint8_t *end,
			struct fmt_event *ev, uint64_t *stackbuf,
			struct fmt_kdefs *kd)
{
	const uint8_t *frames;
	struct fmt_kdef *d;
	uint64_t x, j;

	if (fmt_get_uvar(pp, end, &x))
		return FMT_ETRUNC;
	ev->stack = stackbuf;
	if (x & 1) {
		d = kdef_ref(kd, x);
		if (!d)
			return FMT_ECORRUPT;
		kdef_frames(d, stackbuf);
		ev->nstack = d->n;
		return 0;
	}
	x >>= 1;
	if (x > FMT_MAX_STACK)
		return FMT_ECORRUPT;
	frames = *pp;
	for (j = 0; j < x; j++)
		if (fmt_get_uvar(pp, end, &stackbuf[j]))
			return FMT_ETRUNC;
	ev->nstack = x;
	return kdef_add(kd, frames, x, FMT_KDEF_NOID);
}

static int decode_inline(const uint8_t **pp, const uint8_t *end, char kind,
			 int second, struct fmt_event *ev, uint64_t *stackbuf,
			 struct fmt_kdefs *kd)
{
	uint64_t n;

	if (kind == 'k')
		return decode_stack(pp, end, ev, stackbuf, kd);
	if (fmt_get_uvar(pp, end, &n))
		return FMT_ETRUNC;
	if (n > FMT_MAX_STR)
		return FMT_ECORRUPT;
	if ((size_t)(end - *pp) < n)
		return FMT_ETRUNC;
	if (second) {
		ev->str2 = (const char *)*pp;
		ev->slen2 = n;
	} else {
		ev->str = (const char *)*pp;
		ev->slen = n;
	}
	*pp += n;
	return 0;
}

int fmt_get_addr(const uint8_t **pp, const uint8_t *end, uint64_t x,
		 struct fmt_addrs *ad, uint64_t *v)
{
	return fmt_addr_get(pp, end, x, ad, v);
}

/* plain fields: one varint each, two for an escaped 'a' (ad: format 2) */
static inline __attribute__((always_inline)) int
get_field(const uint8_t **pp, const uint8_t *end,
	  const struct fmt_event_info *in, unsigned i, struct fmt_addrs *ad,
	  uint64_t *v)
{
	if (fmt_uvar_get(pp, end, v))
		return FMT_ETRUNC;
	if (ad && (in->addr_mask & (1u << i)))
		return fmt_addr_get(pp, end, *v, ad, v);
	return 0;
}

static inline __attribute__((always_inline)) int
decode(const uint8_t **pp, const uint8_t *end, enum fmt_form form,
       uint64_t *prev_ts, struct fmt_event *ev, uint64_t *stackbuf,
       struct fmt_kdefs *kd, struct fmt_addrs *ad)
{
	const uint8_t *p = *pp;
	const struct fmt_event_info *in;
	unsigned i, n, m;
	int err;

	if (p >= end)
		return FMT_ETRUNC;
	ev->type = *p++;
	in = fmt_event_info(ev->type);
	if (!in)
		return FMT_ETYPE;
	err = fmt_event_start(&p, end, *prev_ts, ev);
	if (err)
		return err;
	n = in->nfields;
	if (form == FMT_FILE || !in->inline_mask) {
		for (i = 0; i < n; i++) {
			err = get_field(&p, end, in, i, ad, &ev->f[i]);
			if (err)
				return err;
		}
	} else {
		for (i = 0; i < n; i++) {
			if (in->inline_mask & (1u << i))
				err = decode_inline(&p, end, in->kinds[i],
						    (int)i == in->str2_field,
						    ev, stackbuf, kd);
			else
				err = get_field(&p, end, in, i, ad, &ev->f[i]);
			if (err)
				return err;
		}
	}
	for (m = in->signed_mask; m; m &= m - 1) {
		i = __builtin_ctz(m);
		ev->f[i] = (uint64_t)fmt_unzigzag(ev->f[i]);
	}
	*prev_ts = ev->ts;
	*pp = p;
	return 0;
}

int fmt_decode_event(const uint8_t **pp, const uint8_t *end,
		     enum fmt_form form, uint64_t *prev_ts,
		     struct fmt_event *ev, uint64_t *stackbuf,
		     struct fmt_addrs *ad)
{
	int err;

	if (form == FMT_FILE &&
	    (err = fmt_decode_hot(pp, end, prev_ts, ev, ad)) != FMT_NOT_HOT)
		return err;
	return decode(pp, end, form, prev_ts, ev, stackbuf, NULL, ad);
}

int fmt_decode_wire(const uint8_t **pp, const uint8_t *end,
		    uint64_t *prev_ts, struct fmt_event *ev,
		    uint64_t *stackbuf, struct fmt_kdefs *kdefs,
		    struct fmt_addrs *ad)
{
	return decode(pp, end, FMT_WIRE, prev_ts, ev, stackbuf, kdefs, ad);
}


/* copy_run() : copy n bytes; a short run as one 16-byte move where both
 * sides have room for it (the output's slack is FMT_TRANSCODE_GROWTH) */
static inline uint8_t *copy_run(uint8_t *out, const uint8_t *run, size_t n,
				const uint8_t *end)
{
	if (n <= 16 && end - run >= 16)
		memcpy(out, run, 16);
	else
		memcpy(out, run, n);
	return out + n;
}

/* intern_kstack() : transcode_stack()'s rare half: a definition, or a
 * reference at its first use, when its definition is interned */
static __attribute__((noinline)) int
intern_kstack(const uint8_t **pp, const uint8_t *end, uint64_t x,
	      const struct fmt_interner *intern, uint64_t *stackbuf,
	      uint64_t *id)
{
	const uint8_t *frames = *pp;
	struct fmt_kdef *d;
	uint64_t j;

	if (x & 1) {
		d = kdef_ref(intern->kdefs, x);
		if (!d)
			return FMT_ECORRUPT;
		if (d->id == FMT_KDEF_NOID) {
			kdef_frames(d, stackbuf);
			d->id = intern->stack(intern->ctx, stackbuf, d->n);
		}
		*id = d->id;
		return 0;
	}
	x >>= 1;
	if (x > FMT_MAX_STACK)
		return FMT_ECORRUPT;
	for (j = 0; j < x; j++)
		if (fmt_uvar_get(pp, end, &stackbuf[j]))
			return FMT_ETRUNC;
	*id = intern->stack(intern->ctx, stackbuf, x);
	return kdef_add(intern->kdefs, frames, x, *id);
}

/* the id of the 'k' field whose x was read, its frames at *pp: a
 * reference to a definition already interned (a batch's loop) is
 * answered in line, the rest by intern_kstack() */
static inline __attribute__((always_inline)) int
transcode_stack(const uint8_t **pp, const uint8_t *end, uint64_t x,
		const struct fmt_interner *intern, uint64_t *stackbuf,
		uint64_t *id)
{
	struct fmt_kdef *d;

	if ((x & 1) && (d = kdef_ref(intern->kdefs, x)) &&
	    d->id != FMT_KDEF_NOID) {
		*id = d->id;
		return 0;
	}
	return intern_kstack(pp, end, x, intern, stackbuf, id);
}

/*
 * transcode_kinds() : fmt_transcode_event() for an event whose type byte
 * is at *pp and whose kinds string is `kinds`.  A caller that passes a
 * constant (fmt_kinds_ALLOC) gets the loop unrolled into straight-line
 * code for that one type, as the preload's encoder does; the others pass
 * the schema's, and both run this same code.  With no address slots (ad
 * NULL) an 'a' field is skipped, its escape (x 0) and the value after it
 * included: fmt_transcode_batch() has not read the events before.  f,
 * when not NULL, gets the fields that are not 'k' or 'n' as encoded.
 */
static inline __attribute__((always_inline)) int
transcode_kinds(const uint8_t **pp, const uint8_t *end, uint64_t *prev_ts,
		uint8_t **outp, const struct fmt_interner *intern,
		struct fmt_addrs *ad, uint64_t *stackbuf, const char *kinds,
		uint64_t *f)
{
	const uint8_t *p = *pp + 1, *run = *pp;
	uint8_t *out = *outp;
	uint64_t dts, n, id, v;
	unsigned i;
	int err;

	if (fmt_uvar_get(&p, end, &dts))
		return FMT_ETRUNC;
	if (*prev_ts + dts < *prev_ts)
		return FMT_ECORRUPT;
	/* run: the bytes since the last inline field, copied as they are */
#pragma GCC unroll 8
	for (i = 0; i < FMT_MAX_FIELDS; i++) {
		char k = kinds[i];

		if (!k)
			break;
		/* an address is read: the batch's slots follow it */
		if (k == 'a' && ad) {
			if (fmt_uvar_get(&p, end, &v))
				return FMT_ETRUNC;
			err = fmt_addr_get(&p, end, v, ad, &v);
			if (err)
				return err;
			continue;
		}
		if (k != 'k' && k != 'n') {
			if (!f && k != 'a') {
				p = fmt_uvar_skip(p, end);
			} else if (fmt_uvar_get(&p, end, &v)) {
				return FMT_ETRUNC;
			} else {
				if (f)
					f[i] = v;
				/* an unfollowed address's escape */
				if (k == 'a' && !v)
					p = fmt_uvar_skip(p, end);
			}
			if (!p)
				return FMT_ETRUNC;
			continue;
		}
		out = copy_run(out, run, p - run, end);
		if (fmt_uvar_get(&p, end, &n))
			return FMT_ETRUNC;
		if (k == 'k') {
			err = transcode_stack(&p, end, n, intern, stackbuf,
					      &id);
			if (err)
				return err;
		} else {
			if (n > FMT_MAX_STR)
				return FMT_ECORRUPT;
			if ((size_t)(end - p) < n)
				return FMT_ETRUNC;
			id = intern->string(intern->ctx, (const char *)p, n);
			p += n;
		}
		out = fmt_put_uvar(out, id);
		run = p;
	}
	*outp = copy_run(out, run, p - run, end);
	*prev_ts += dts;
	*pp = p;
	return 0;
}

/* the types most events of a busy program are of take their own,
 * unrolled copy: a loop over the schema costs them twice the time */
int fmt_transcode_event(const uint8_t **pp, const uint8_t *end,
			uint64_t *prev_ts, uint8_t **outp,
			const struct fmt_interner *intern, uint64_t *stackbuf)
{
	const struct fmt_event_info *in;

	if (*pp >= end)
		return FMT_ETRUNC;
	switch (**pp) {
#define HOT(name)							\
	case FMT_EV_##name:						\
		return transcode_kinds(pp, end, prev_ts, outp, intern,	\
				       intern->addrs, stackbuf,		\
				       fmt_kinds_##name, NULL);
	HOT(ALLOC) HOT(FREE) HOT(ALLOC_SAME) HOT(FREE_SAME)
	HOT(READ) HOT(WRITE) HOT(POLL)
#undef HOT
	}
	in = fmt_event_info(**pp);
	if (!in)
		return FMT_ETYPE;
	return transcode_kinds(pp, end, prev_ts, outp, intern, intern->addrs,
			       stackbuf, in->kinds, NULL);
}

int fmt_transcode_batch(const uint8_t *p, const uint8_t *end,
			const uint8_t *ip, const uint8_t *iend, uint8_t **outp,
			const struct fmt_interner *intern, uint64_t *stackbuf,
			const struct fmt_batch_ops *ops)
{
	const struct fmt_event_info *in;
	const uint8_t *start = p, *done = p, *ev;
	uint64_t off = 0, delta, value, ts, f[FMT_MAX_FIELDS];
	uint8_t *out = *outp;
	unsigned type;
	int err;

	while (ip < iend) {
		if (fmt_uvar_get(&ip, iend, &delta))
			return FMT_ETRUNC;
		/* at or after the end of the entry before: never back */
		if (delta > (uint64_t)(end - start) - off ||
		    start + off + delta < done)
			return FMT_ECORRUPT;
		off += delta;
		ev = start + off;
		if (ev >= end)
			return FMT_ETRUNC;
		in = fmt_event_info(type = *ev);
		if (!in || !in->indexed)
			return FMT_ECORRUPT;
		if (in->name_kind) {
			if (fmt_uvar_get(&ip, iend, &value))
				return FMT_ETRUNC;
			if (value)
				ops->name(ops->ctx, in->name_kind, value);
		}
		out = copy_run(out, done, ev - done, end);
		/* neither the time nor the addresses are followed: the
		 * events between are not read, and the reader checks both */
		memset(f, 0, sizeof(f));
		ts = 0;
		err = transcode_kinds(&ev, end, &ts, &out, intern, NULL,
				      stackbuf, in->kinds, f);
		if (err)
			return err;
		if (ops->event)
			ops->event(ops->ctx, type, f);
		done = ev;
	}
	*outp = copy_run(out, done, end - done, end);
	return 0;
}

const char *fmt_call_name(uint64_t call)
{
	static const char *const names[] = {
		[FMT_CALL_NONE] = "-",
#define FMT_CX(name) [FMT_CALL_##name] = #name,
		FMT_CALL_LIST(FMT_CX)
#undef FMT_CX
	};

	return call < FMT_CALL_MAX ? names[call] : NULL;
}

const char *fmt_strerror(int err)
{
	switch (err) {
	case FMT_OK:		return "success";
	case FMT_ETRUNC:	return "truncated data";
	case FMT_ECORRUPT:	return "corrupt data";
	case FMT_EMAGIC:	return "not a ctrace trace";
	case FMT_EVERSION:	return "unsupported trace format version";
	case FMT_EIO:		return "i/o error";
	case FMT_ENOMEM:	return "out of memory";
	case FMT_ETYPE:		return "unknown event type";
	}
	return "unknown error";
}
