/*
 * cfi.c - a small x86_64 DWARF CFI unwinder with a process-wide cache,
 * in front of libgcc's (stack.c).
 *
 * libgcc interprets the call frame information of every frame on every
 * unwind (4.3 us for 18 frames; this one, its rules cached, 0.3 us).
 * Almost every frame of gcc's code has the same simple rule: CFA = rsp
 * or rbp + offset, the return address at CFA - 8, rbp saved at a fixed
 * offset from the CFA or not at all.  This
 * unwinder works out that rule once per return address, from the
 * object's .eh_frame_hdr (found with _dl_find_object(), which takes no
 * lock), keeps it in a table shared by all threads, and walks a stack by
 * three loads per frame; a signal frame (the kernel's, recognised as
 * libgcc does) it steps through by the registers the kernel saved, so
 * a CPU sample's stack goes on into the interrupted code.  Anything
 * else - a CFA or register given by a DWARF expression (PLT entries), a
 * register other than rsp/rbp as the CFA (realigned frames), an object
 * without the usual table - makes the whole unwind libgcc's.
 *
 * The table: PL_CFI_SETS sets of two entries of two words, {pc << 16 |
 * seq, rule}, a seqlock per entry; a pc may be in either entry of its
 * set, so two return addresses of one stack whose hashes collide do not
 * push each other out on every unwind.  A writer claims an entry by a
 * compare-and-swap of an even seq to odd and gives up when it cannot (it
 * is a cache); readers never wait: an odd or changed seq is a miss.
 * Nothing locks and nothing allocates, so a signal handler may unwind.
 * dlclose() empties it (pl_cfi_forget()), as code at the same address
 * may then be another object's.  Every load from the stack is checked against the
 * thread's bounds first, so a wrong rule ends a stack, never the program.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#include "cfi.h"

#if defined(__x86_64__) && defined(DLFO_EH_SEGMENT_TYPE)

#define PL_CFI_SETS	1024		/* of 2: 32 KiB, process-wide */

/* a rule, packed in a word; 0 = none yet */
#define RU_OK		0x1ull		/* valid: the rest means something */
#define RU_BAD		0x2ull		/* libgcc's: not a simple rule */
#define RU_END		0x4ull		/* outermost frame: ra undefined */
#define RU_CFA_RBP	0x8ull		/* CFA = rbp + off, else rsp + off */
#define RU_RBP_SAVED	0x10ull		/* rbp at CFA + rbp_off */
#define RU_SIGNAL	0x20ull		/* the kernel's signal frame */
#define RU_CFA_OFF(r)	((int32_t)((r) >> 32))
#define RU_RBP_OFF(r)	((int16_t)((r) >> 16))

struct slot {
	uint64_t key;	/* pc << 16 | seq (odd while written) */
	uint64_t rule;
};

static struct slot slots[PL_CFI_SETS][2] __attribute__((aligned(64)));

static inline struct slot *set_of(uint64_t pc)
{
	return slots[(pc * 0x9e3779b97f4a7c15ull) >> 54 & (PL_CFI_SETS - 1)];
}

/* the rule s holds for pc, or 0 */
static inline uint64_t slot_get(struct slot *s, uint64_t pc)
{
	uint64_t k1, k2, r;

	k1 = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);
	r = __atomic_load_n(&s->rule, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	k2 = __atomic_load_n(&s->key, __ATOMIC_RELAXED);
	if (k1 != k2 || (k1 & 1) || k1 >> 16 != pc)
		return 0;
	return r;
}

static uint64_t cache_get(uint64_t pc)
{
	struct slot *set = set_of(pc);
	uint64_t r = slot_get(&set[0], pc);

	return r ? r : slot_get(&set[1], pc);
}

/* into the set's entry that is empty, else the second: the first
 * keeps what came first, and two colliding pcs both stay */
static void cache_put(uint64_t pc, uint64_t rule)
{
	struct slot *set = set_of(pc), *s;
	uint64_t k;
	uint16_t seq;

	if (pc >> 48)
		return;
	k = __atomic_load_n(&set[0].key, __ATOMIC_RELAXED);
	s = !(k >> 16) || k >> 16 == pc ? &set[0] : &set[1];
	k = __atomic_load_n(&s->key, __ATOMIC_RELAXED);
	seq = (uint16_t)k;
	if ((seq & 1) ||
	    !__atomic_compare_exchange_n(&s->key, &k, k | 1, 0,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&s->rule, rule, __ATOMIC_RELAXED);
	__atomic_store_n(&s->key, pc << 16 | (uint16_t)(seq + 2),
			 __ATOMIC_RELEASE);
}

void pl_cfi_forget(void)
{
	unsigned i;

	for (i = 0; i < PL_CFI_SETS; i++) {
		__atomic_store_n(&slots[i][0].key, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&slots[i][1].key, 0, __ATOMIC_RELEASE);
	}
}

/* ---- reading .eh_frame ---- */

struct rd {
	const uint8_t *p, *end;
	int bad;
};

/* a LEB128 number's bits, and in *shift how many it had */
static uint64_t leb(struct rd *r, unsigned *shift, uint8_t *last)
{
	uint64_t v = 0;
	uint8_t b;

	*shift = 0;
	do {
		if (r->p >= r->end || *shift > 63) {
			r->bad = 1;
			return 0;
		}
		b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << *shift;
		*shift += 7;
	} while (b & 0x80);
	*last = b;
	return v;
}

static uint64_t uleb(struct rd *r)
{
	unsigned shift;
	uint8_t b;

	return leb(r, &shift, &b);
}

static int64_t sleb(struct rd *r)
{
	unsigned shift;
	uint8_t b = 0;
	uint64_t v = leb(r, &shift, &b);

	if (!r->bad && shift < 64 && (b & 0x40))
		v |= ~0ull << shift;
	return (int64_t)v;
}

static uint64_t fixed(struct rd *r, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	if (r->end - r->p < (long)n) {
		r->bad = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

/* skip() : pass over a block (a DWARF expression) of uleb length */
static void skip(struct rd *r)
{
	uint64_t n = uleb(r);

	if (n > (uint64_t)(r->end - r->p))
		r->bad = 1;
	else
		r->p += n;
}

/*
 * ptr() : a pointer in DW_EH_PE encoding enc: absolute or pc-relative,
 * of the sizes gcc and ld use; datarel is relative to base (the
 * .eh_frame_hdr's start).  Anything else is marked bad.
 */
static uint64_t ptr(struct rd *r, uint8_t enc, uint64_t base)
{
	uint64_t at = (uintptr_t)r->p, v;

	if (enc == 0xff)		/* DW_EH_PE_omit */
		return 0;
	switch (enc & 0x0f) {
	case 0x00: v = fixed(r, 8); break;
	case 0x01: v = uleb(r); break;
	case 0x02: v = fixed(r, 2); break;
	case 0x03: v = fixed(r, 4); break;
	case 0x04: v = fixed(r, 8); break;
	case 0x09: v = (uint64_t)sleb(r); break;
	case 0x0a: v = (uint64_t)(int16_t)fixed(r, 2); break;
	case 0x0b: v = (uint64_t)(int32_t)fixed(r, 4); break;
	case 0x0c: v = fixed(r, 8); break;
	default: r->bad = 1; return 0;
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case 0x10: v += at; break;
	case 0x30: v += base; break;
	default: r->bad = 1;
	}
	if (enc & 0x80)			/* indirect */
		r->bad = 1;
	return v;
}

/* what we track of a CFI row */
struct row {
	int cfa_rbp;		/* CFA is rbp-based (else rsp) */
	int cfa_ok;		/* CFA is reg + offset (else an expression) */
	int64_t cfa_off;
	int rbp;		/* 0 same, 1 saved at rbp_off, 2 other */
	int64_t rbp_off;
	int ra;			/* 0 at cfa-8 like, 1 at ra_off, 2 other, 3 undefined */
	int64_t ra_off;
};

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_reg;
	uint8_t fde_enc;
	int signal;
	struct rd init;		/* its initial instructions */
};

#define DW_RBP	6
#define DW_RSP	7
#define DW_RA	16

static void set_reg(struct row *w, uint64_t reg, int how, int64_t off)
{
	if (reg == DW_RBP) {
		w->rbp = how;
		w->rbp_off = off;
	} else if (reg == DW_RA) {
		w->ra = how;
		w->ra_off = off;
	}
}

/* DW_CFA_restore: reg as the CIE's instructions left it; -1 without them */
static int restore(struct row *w, uint64_t reg, const struct row *init)
{
	if (!init)
		return -1;
	if (reg == DW_RBP)
		set_reg(w, reg, init->rbp, init->rbp_off);
	else if (reg == DW_RA)
		set_reg(w, reg, init->ra, init->ra_off);
	return 0;
}

/*
 * run() : execute CFA instructions until the row for target; loc is the
 * row's start.  init is the row after the CIE's instructions (for
 * DW_CFA_restore).  @return 0, or -1 for what this unwinder does not do.
 */
static int run(struct rd *r, const struct cie *c, uint64_t *loc,
	       uint64_t target, struct row *w, const struct row *init)
{
	struct row saved[4];
	unsigned depth = 0;
	uint64_t reg, d;
	uint8_t op;

	while (r->p < r->end && !r->bad) {
		op = *r->p++;
		d = 0;
		if (op >> 6 == 2) {		/* offset */
			set_reg(w, op & 0x3f, 1,
				(int64_t)uleb(r) * c->data_align);
			continue;
		}
		if (op >> 6 == 3) {		/* restore */
			if (restore(w, op & 0x3f, init))
				return -1;
			continue;
		}
		if (op >> 6 == 1)		/* advance_loc */
			d = (op & 0x3f) * c->code_align;
		else switch (op) {
		case 0x00:			/* nop */
			break;
		case 0x02: d = fixed(r, 1) * c->code_align; break;
		case 0x03: d = fixed(r, 2) * c->code_align; break;
		case 0x04: d = fixed(r, 4) * c->code_align; break;
		case 0x05:			/* offset_extended */
			reg = uleb(r);
			set_reg(w, reg, 1, (int64_t)uleb(r) * c->data_align);
			break;
		case 0x11:			/* offset_extended_sf */
			reg = uleb(r);
			set_reg(w, reg, 1, sleb(r) * c->data_align);
			break;
		case 0x2f:		/* GNU_negative_offset_extended */
			reg = uleb(r);
			set_reg(w, reg, 1, -(int64_t)uleb(r) * c->data_align);
			break;
		case 0x06:			/* restore_extended */
			if (restore(w, uleb(r), init))
				return -1;
			break;
		case 0x07:			/* undefined */
			reg = uleb(r);
			set_reg(w, reg, reg == DW_RA ? 3 : 2, 0);
			break;
		case 0x08:			/* same_value */
			set_reg(w, uleb(r), 0, 0);
			break;
		case 0x09:			/* register */
			reg = uleb(r);
			uleb(r);
			set_reg(w, reg, 2, 0);
			break;
		case 0x0a:			/* remember_state */
			if (depth >= 4)
				return -1;
			saved[depth++] = *w;
			break;
		case 0x0b:			/* restore_state */
			if (!depth)
				return -1;
			*w = saved[--depth];
			break;
		case 0x0c:			/* def_cfa */
			reg = uleb(r);
			w->cfa_rbp = reg == DW_RBP;
			w->cfa_ok = reg == DW_RBP || reg == DW_RSP;
			w->cfa_off = (int64_t)uleb(r);
			break;
		case 0x12:			/* def_cfa_sf */
			reg = uleb(r);
			w->cfa_rbp = reg == DW_RBP;
			w->cfa_ok = reg == DW_RBP || reg == DW_RSP;
			w->cfa_off = sleb(r) * c->data_align;
			break;
		case 0x0d:			/* def_cfa_register */
			reg = uleb(r);
			w->cfa_rbp = reg == DW_RBP;
			w->cfa_ok = w->cfa_ok && (reg == DW_RBP ||
						  reg == DW_RSP);
			break;
		case 0x0e:			/* def_cfa_offset */
			w->cfa_off = (int64_t)uleb(r);
			break;
		case 0x13:			/* def_cfa_offset_sf */
			w->cfa_off = sleb(r) * c->data_align;
			break;
		case 0x0f:			/* def_cfa_expression */
			w->cfa_ok = 0;
			skip(r);
			break;
		case 0x10:			/* expression */
		case 0x16:			/* val_expression */
			reg = uleb(r);
			set_reg(w, reg, 2, 0);
			skip(r);
			break;
		case 0x14:			/* val_offset */
			reg = uleb(r);
			uleb(r);
			set_reg(w, reg, 2, 0);
			break;
		case 0x15:			/* val_offset_sf */
			reg = uleb(r);
			sleb(r);
			set_reg(w, reg, 2, 0);
			break;
		case 0x2e:			/* GNU_args_size */
			uleb(r);
			break;
		default:
			return -1;
		}
		if (d) {
			if (*loc + d > target)
				return 0;
			*loc += d;
		}
	}
	return r->bad ? -1 : 0;
}

/* within() : [p, p + n) lies inside the object's mapping */
static int within(const struct dl_find_object *o, const uint8_t *p, size_t n)
{
	return p >= (const uint8_t *)o->dlfo_map_start &&
	       p <= (const uint8_t *)o->dlfo_map_end &&
	       n <= (size_t)((const uint8_t *)o->dlfo_map_end - p);
}

/* entry() : a CIE or FDE at p: its body in *r, its id field's address */
static int entry(const struct dl_find_object *o, const uint8_t *p,
		 struct rd *r)
{
	uint32_t len;

	if (!within(o, p, 8))
		return -1;
	memcpy(&len, p, 4);
	if (len == 0 || len == 0xffffffffu || !within(o, p + 4, len))
		return -1;
	r->p = p + 4;
	r->end = p + 4 + len;
	r->bad = 0;
	return 0;
}

static int parse_cie(const struct dl_find_object *o, const uint8_t *p,
		     struct cie *c)
{
	const char *aug;
	struct rd r;
	uint8_t ver;
	uint64_t n;

	if (entry(o, p, &r) || fixed(&r, 4) != 0)
		return -1;
	ver = (uint8_t)fixed(&r, 1);
	aug = (const char *)r.p;
	while (r.p < r.end && *r.p)
		r.p++;
	if (r.p >= r.end || (ver != 1 && ver != 3) || aug[0] != 'z')
		return -1;
	r.p++;
	c->code_align = uleb(&r);
	c->data_align = sleb(&r);
	c->ra_reg = ver == 1 ? fixed(&r, 1) : uleb(&r);
	n = uleb(&r);
	if (r.bad || n > (uint64_t)(r.end - r.p))
		return -1;
	c->init.end = r.p + n;	/* where the augmentation data ends */
	c->fde_enc = 0;
	c->signal = 0;
	for (aug++; *aug; aug++) {
		switch (*aug) {
		case 'P': {
			uint8_t enc = (uint8_t)fixed(&r, 1);

			ptr(&r, enc & 0x7f, 0);	/* not read, only skipped */
			break;
		}
		case 'L': fixed(&r, 1); break;
		case 'R': c->fde_enc = (uint8_t)fixed(&r, 1); break;
		case 'S': c->signal = 1; break;
		default: return -1;
		}
	}
	if (r.bad || c->ra_reg != DW_RA)
		return -1;
	c->init.p = c->init.end;
	c->init.end = r.end;
	c->init.bad = 0;
	return 0;
}

/*
 * find_fde() : binary search of the .eh_frame_hdr table for pc.
 * Only the table ld writes (datarel sdata4 pairs) is searched.
 */
static const uint8_t *find_fde(const struct dl_find_object *o, uint64_t pc)
{
	const uint8_t *h = o->dlfo_eh_frame;
	struct rd r = { h + 4, h + 4 + 16, 0 };
	uint64_t count, lo, hi, mid;
	const int32_t *t;

	if (!h || !within(o, h, 4) || h[0] != 1 || h[3] != 0x3b)
		return NULL;
	r.end = (const uint8_t *)o->dlfo_map_end;
	ptr(&r, h[1], (uintptr_t)h);		/* eh_frame_ptr */
	count = ptr(&r, h[2], (uintptr_t)h);
	if (r.bad || !count || !within(o, r.p, count * 8) ||
	    ((uintptr_t)r.p & 3))
		return NULL;
	t = (const int32_t *)r.p;
	if (pc < (uintptr_t)h + t[0])
		return NULL;
	lo = 0;
	hi = count;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (pc < (uintptr_t)h + t[2 * mid])
			hi = mid;
		else
			lo = mid;
	}
	return h + t[2 * lo + 1];
}

/*
 * signal_frame() : pc + 1 is the signal trampoline the kernel returns to
 * (its FDE starts one byte early for unwinders that look up ra - 1):
 * "mov $15, %rax; syscall" (rt_sigreturn), as libgcc checks too.
 */
static uint64_t signal_frame(const struct dl_find_object *o, uint64_t pc)
{
	static const uint8_t code[] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00,
					0x00, 0x0f, 0x05 };
	const uint8_t *p = (const uint8_t *)(uintptr_t)(pc + 1);

	if (!within(o, p, sizeof(code)) || memcmp(p, code, sizeof(code)))
		return RU_BAD;
	return RU_OK | RU_SIGNAL;
}

/* rule_for() : the rule of the frame whose code is at pc (a return
 * address minus one, or the pc itself) */
static uint64_t rule_for(uint64_t pc)
{
	struct dl_find_object o;
	struct row w = { 0 }, init;
	const uint8_t *fde, *cp;
	struct rd r;
	struct cie c;
	uint64_t begin, range, loc, rule, n;
	int32_t cie_off;

	if (_dl_find_object((void *)(uintptr_t)pc, &o) != 0 ||
	    !(fde = find_fde(&o, pc)) || entry(&o, fde, &r))
		return RU_BAD;
	cie_off = (int32_t)fixed(&r, 4);
	cp = fde + 4 - cie_off;
	if (!cie_off || parse_cie(&o, cp, &c))
		return RU_BAD;
	if (c.signal)
		return signal_frame(&o, pc);
	begin = ptr(&r, c.fde_enc, 0);
	range = ptr(&r, c.fde_enc & 0x0f, 0);
	n = uleb(&r);
	if (r.bad || pc < begin || pc - begin >= range ||
	    n > (uint64_t)(r.end - r.p))
		return RU_BAD;
	r.p += n;
	w.cfa_ok = 0;
	w.ra = 2;
	loc = begin;
	if (run(&c.init, &c, &loc, UINT64_MAX, &w, NULL))
		return RU_BAD;
	init = w;
	loc = begin;
	if (run(&r, &c, &loc, pc, &w, &init))
		return RU_BAD;
	if (w.ra == 3)
		return RU_OK | RU_END;
	if (!w.cfa_ok || w.ra != 1 || w.ra_off != -8 || w.rbp == 2 ||
	    w.cfa_off <= 0 || w.cfa_off > INT32_MAX ||
	    (w.rbp == 1 && (w.rbp_off < INT16_MIN || w.rbp_off >= 0)))
		return RU_BAD;
	rule = RU_OK | (uint64_t)(uint32_t)w.cfa_off << 32;
	if (w.cfa_rbp)
		rule |= RU_CFA_RBP;
	if (w.rbp == 1)
		rule |= RU_RBP_SAVED | (uint64_t)(uint16_t)w.rbp_off << 16;
	return rule;
}

/*
 * signal_step() : out of the kernel's signal frame, whose ucontext lies
 * at sp (the handler returned to the trampoline with it on top), into
 * the interrupted code.  The kernel's ucontext matches glibc's
 * ucontext_t up to the registers.  @return 0, or -1: the stack ends.
 */
static int signal_step(uint64_t *pc, uint64_t *sp, uint64_t *bp,
		       uint64_t hi)
{
	const ucontext_t *uc = (const ucontext_t *)(uintptr_t)*sp;
	const greg_t *g = uc->uc_mcontext.gregs;
	uint64_t rip, rsp, rbp;

	if ((uintptr_t)&g[NGREG] > hi)
		return -1;
	memcpy(&rip, &g[REG_RIP], 8);
	memcpy(&rsp, &g[REG_RSP], 8);
	memcpy(&rbp, &g[REG_RBP], 8);
	/* the interrupted code ran above the signal frame, on this stack */
	if (rsp <= *sp || rsp > hi || !rip)
		return -1;
	*pc = rip;
	*sp = rsp;
	*bp = rbp;
	return 0;
}

__attribute__((noinline))
int pl_cfi_backtrace(void **out, int max, uint64_t hi)
{
	uint64_t rule, cfa, ra, pc, sp, bp;
	int n = 0, first = 1;

	/* where we are: the rule for this very instruction tells the rest */
	__asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
			 : "=r"(pc), "=r"(sp), "=r"(bp));
	if (sp >= hi)
		return -1;

	while (n < max) {
		/* a return address is just after its call */
		rule = cache_get(pc - !first);
		if (!rule) {
			rule = rule_for(pc - !first);
			cache_put(pc - !first, rule);
		}
		if (rule & RU_BAD)
			return -1;
		if (rule & RU_END)
			break;
		if (rule & RU_SIGNAL) {
			if (signal_step(&pc, &sp, &bp, hi))
				break;
			first = 1;	/* an interrupted pc, not a return */
			out[n++] = (void *)(uintptr_t)pc;
			continue;
		}
		cfa = (rule & RU_CFA_RBP ? bp : sp) + RU_CFA_OFF(rule);
		if (cfa <= sp || cfa > hi || cfa - 8 < sp)
			break;		/* not this thread's stack */
		memcpy(&ra, (const void *)(uintptr_t)(cfa - 8), 8);
		if (rule & RU_RBP_SAVED) {
			uint64_t at = cfa + RU_RBP_OFF(rule);

			/* in an epilogue rbp's slot may be popped already, in
			 * the red zone below sp that no signal frame touches */
			if (at + 128 < sp || at + 8 > hi)
				break;
			memcpy(&bp, (const void *)(uintptr_t)at, 8);
		}
		sp = cfa;
		pc = ra;
		first = 0;
		if (!pc)
			break;
		out[n++] = (void *)(uintptr_t)pc;
	}
	return n;
}

#else

void pl_cfi_forget(void)
{
}

int pl_cfi_backtrace(void **out, int max, uint64_t hi)
{
	(void)out, (void)max, (void)hi;
	return -1;
}

#endif
