/*
 * test-wire.c - the wire messages of format/wire.c: what the library's
 * put functions send, byte for byte; that parse reads it back; and the
 * collector's checks of a message, each refusal with its exact code:
 * truncated, over-long, bad counts, strings over their bounds, values
 * out of range.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "tap.h"

#define MAXM	(FMT_WIRE_HDR_SIZE + FMT_MAX_ARG + 3 * 4096 + 256)

static uint8_t m[MAXM];

/* the payload of the datagram at m, n bytes, after its header checks */
static const uint8_t *payload(size_t n, unsigned type, size_t *len)
{
	struct fmt_msg_hdr h;

	if (fmt_msg_get_hdr(m, n, &h) || h.type != type)
		return NULL;
	*len = h.len;
	return m + FMT_WIRE_HDR_SIZE;
}

typedef int (*parse_fn)(const uint8_t *, size_t, void *);

/*
 * Every strict prefix of a payload is FMT_ETRUNC, and one more byte
 * after it FMT_ECORRUPT: the collector's checks of a fixed message.
 */
static void cut_and_pad(const char *what, parse_fn parse, void *out,
			const uint8_t *pl, size_t len)
{
	uint8_t buf[256];
	size_t k, bad = 0;

	for (k = 0; k < len; k++)
		if (parse(pl, k, out) != FMT_ETRUNC)
			bad++;
	ok(!bad, "%s: each of its %zu prefixes is FMT_ETRUNC", what, len);
	memcpy(buf, pl, len);
	buf[len] = 0;
	ok(parse(buf, len + 1, out) == FMT_ECORRUPT,
	   "%s: a byte after its last field is FMT_ECORRUPT", what);
}

static void test_lost(void)
{
	static const uint8_t want[] = { 0x43, 0x54, 0x57, 0x31, 3, 0, 0, 0,
					4, 0, 0, 0, 5, 0xac, 0x02, 1 };
	struct fmt_msg_lost l = { 5, 300, FMT_LOST_FULL }, r;
	const uint8_t *pl;
	uint8_t big[16];
	size_t n, len;

	n = fmt_msg_put_lost(m, &l);
	ok(n == sizeof(want) && !memcmp(m, want, n),
	   "LOST: the datagram is header, tid count reason");
	pl = payload(n, FMT_MSG_LOST, &len);
	ok(pl && !fmt_msg_parse_lost(pl, len, &r) && r.tid == 5 &&
	   r.count == 300 && r.reason == FMT_LOST_FULL, "LOST reads back");
	cut_and_pad("LOST", (parse_fn)fmt_msg_parse_lost, &r, pl, len);
	l.count = FMT_WIRE_MAX_LOST;
	n = fmt_msg_put_lost(m, &l);
	pl = payload(n, FMT_MSG_LOST, &len);
	ok(!fmt_msg_parse_lost(pl, len, &r) && r.count == FMT_WIRE_MAX_LOST,
	   "LOST of FMT_WIRE_MAX_LOST is taken");
	l.count++;
	n = fmt_msg_put_lost(m, &l);
	pl = payload(n, FMT_MSG_LOST, &len);
	ok(fmt_msg_parse_lost(pl, len, &r) == FMT_ECORRUPT,
	   "LOST of FMT_WIRE_MAX_LOST + 1 is FMT_ECORRUPT");
	/* a tid of 11 bytes: a varint over 64 bits, not a truncation */
	memset(big, 0xff, 10);
	big[10] = 0x01;
	big[11] = big[12] = big[13] = 0;
	ok(fmt_msg_parse_lost(big, 14, &r) == FMT_ECORRUPT,
	   "LOST whose tid is a varint over 64 bits is FMT_ECORRUPT");
}

static void test_bye(void)
{
	struct fmt_msg_bye b = { 123456, 7, FMT_EXIT_MAIN_RETURN }, r;
	const uint8_t *pl;
	size_t n, len;

	n = fmt_msg_put_bye(m, &b);
	pl = payload(n, FMT_MSG_BYE, &len);
	ok(n == FMT_WIRE_HDR_SIZE + 3 + 1 + 1 && pl &&
	   !fmt_msg_parse_bye(pl, len, &r) && r.ts == 123456 &&
	   r.status == 7 && r.how == FMT_EXIT_MAIN_RETURN,
	   "BYE: ts status how, read back");
	cut_and_pad("BYE", (parse_fn)fmt_msg_parse_bye, &r, pl, len);
	b.how = FMT_EXIT_MAIN_RETURN + 1;
	n = fmt_msg_put_bye(m, &b);
	pl = payload(n, FMT_MSG_BYE, &len);
	ok(fmt_msg_parse_bye(pl, len, &r) == FMT_ECORRUPT,
	   "BYE with an unknown how is FMT_ECORRUPT");
}

static void test_untraced(void)
{
	struct fmt_msg_untraced u = { 70000, 69999, FMT_WHY_CONNECT, 13 }, r;
	const uint8_t *pl;
	size_t n, len;

	n = fmt_msg_put_untraced(m, &u);
	pl = payload(n, FMT_MSG_UNTRACED, &len);
	ok(pl && len == 3 + 3 + 1 + 1 &&
	   !fmt_msg_parse_untraced(pl, len, &r) && r.pid == 70000 &&
	   r.ppid == 69999 && r.reason == FMT_WHY_CONNECT && r.err == 13,
	   "UNTRACED: pid ppid reason err, read back");
	cut_and_pad("UNTRACED", (parse_fn)fmt_msg_parse_untraced, &r, pl,
		    len);
	u.reason = FMT_WHY_MAX;
	n = fmt_msg_put_untraced(m, &u);
	pl = payload(n, FMT_MSG_UNTRACED, &len);
	ok(fmt_msg_parse_untraced(pl, len, &r) == FMT_ECORRUPT,
	   "UNTRACED with reason FMT_WHY_MAX is FMT_ECORRUPT");
	u.reason = FMT_WHY_MAX - 1;
	u.err = 4096;
	n = fmt_msg_put_untraced(m, &u);
	pl = payload(n, FMT_MSG_UNTRACED, &len);
	ok(fmt_msg_parse_untraced(pl, len, &r) == FMT_ECORRUPT,
	   "UNTRACED with err 4096 (no errno) is FMT_ECORRUPT");
	u.err = 4095;
	n = fmt_msg_put_untraced(m, &u);
	pl = payload(n, FMT_MSG_UNTRACED, &len);
	ok(!fmt_msg_parse_untraced(pl, len, &r) && r.err == 4095,
	   "UNTRACED with err 4095 is taken");
}

static void test_exec(void)
{
	static char path[FMT_MAX_STR + 1];
	struct fmt_msg_exec x = { "/bin/true", 9 }, r;
	const uint8_t *pl;
	size_t n, len, k, bad = 0;

	n = fmt_msg_put_exec(m, &x);
	pl = payload(n, FMT_MSG_EXEC, &len);
	ok(pl && len == 10 && pl[0] == 9 && !fmt_msg_parse_exec(pl, len, &r) &&
	   r.len == 9 && !memcmp(r.path, "/bin/true", 9),
	   "EXEC: one string, read back");
	for (k = 0; k < len; k++)
		if (fmt_msg_parse_exec(pl, k, &r) != FMT_ETRUNC)
			bad++;
	ok(!bad, "EXEC: each prefix is FMT_ETRUNC");
	memset(path, 'a', sizeof(path));
	x.path = path;
	x.len = FMT_MAX_STR;
	n = fmt_msg_put_exec(m, &x);
	pl = payload(n, FMT_MSG_EXEC, &len);
	ok(!fmt_msg_parse_exec(pl, len, &r) && r.len == FMT_MAX_STR,
	   "EXEC of FMT_MAX_STR bytes is taken");
	ok(fmt_msg_parse_exec(pl, len - 1, &r) == FMT_ETRUNC,
	   "EXEC whose string runs past the payload is FMT_ETRUNC");
	x.len = FMT_MAX_STR + 1;
	n = fmt_msg_put_exec(m, &x);
	pl = payload(n, FMT_MSG_EXEC, &len);
	ok(fmt_msg_parse_exec(pl, len, &r) == FMT_ECORRUPT,
	   "EXEC of FMT_MAX_STR + 1 bytes is FMT_ECORRUPT");
	x.len = 0;
	n = fmt_msg_put_exec(m, &x);
	pl = payload(n, FMT_MSG_EXEC, &len);
	ok(len == 1 && !fmt_msg_parse_exec(pl, len, &r) && r.len == 0,
	   "EXEC of fexecve: an empty path");
}

static void test_events(void)
{
	static uint8_t buf[FMT_WIRE_EVENTS_PRE + 64];
	struct fmt_msg_events e = { .tid = 4242, .nevents = 2,
				    .base_ts = 1000000007,
				    .end_ts = 1000000107 }, r;
	uint8_t *body = buf + FMT_WIRE_EVENTS_PRE, *start;
	uint8_t hand[64], *q;
	size_t len;

	memcpy(body, "\x01\x02\x03\x04\x05" "\x00\x03", 7);
	start = fmt_msg_events_before(body, 5, 2, &e);
	q = fmt_put_uvar(hand + FMT_WIRE_HDR_SIZE, 4242);
	q = fmt_put_uvar(q, 2);
	q = fmt_put_uvar(q, 1000000007);
	q = fmt_put_uvar(q, 1000000107);
	q = fmt_put_uvar(q, 5);
	memcpy(q, body, 7);
	q += 7;
	fmt_msg_put_hdr(hand, FMT_MSG_EVENTS, q - hand - FMT_WIRE_HDR_SIZE);
	ok(body + 7 - start == q - hand && !memcmp(start, hand, q - hand),
	   "EVENTS: header, tid nevents base_ts end_ts evlen just before "
	   "the events, the index after them");
	memcpy(m, start, q - hand);
	ok(payload(q - hand, FMT_MSG_EVENTS, &len) &&
	   !fmt_msg_parse_events(m + FMT_WIRE_HDR_SIZE, len, &r) &&
	   r.tid == 4242 && r.nevents == 2 && r.base_ts == 1000000007 &&
	   r.end_ts == 1000000107 &&
	   r.ev.end - r.ev.p == 5 && !memcmp(r.ev.p, body, 5) &&
	   r.idx.end - r.idx.p == 2 && r.idx.p == r.ev.end,
	   "EVENTS reads back: 5 bytes of events, 2 of index");
	/* the events' length past the datagram's end */
	ok(fmt_msg_parse_events(m + FMT_WIRE_HDR_SIZE, len - 3, &r) ==
	   FMT_ECORRUPT && r.nevents == 2 && r.tid == 4242,
	   "EVENTS whose events overrun the datagram is FMT_ECORRUPT, its "
	   "header still read");
	/* 2 events need 4 bytes at least: 3 cannot hold them */
	start = fmt_msg_events_before(body, 3, 0, &e);
	len = body + 3 - start - FMT_WIRE_HDR_SIZE;
	ok(fmt_msg_parse_events(start + FMT_WIRE_HDR_SIZE, len, &r) ==
	   FMT_ECORRUPT && r.nevents == 2 && r.tid == 4242,
	   "EVENTS counting more events than its bytes can hold is "
	   "FMT_ECORRUPT, its header still read (the count is lost)");
	e.end_ts = e.base_ts - 1;
	start = fmt_msg_events_before(body, 5, 0, &e);
	len = body + 5 - start - FMT_WIRE_HDR_SIZE;
	ok(fmt_msg_parse_events(start + FMT_WIRE_HDR_SIZE, len, &r) ==
	   FMT_ECORRUPT, "EVENTS ending before its base is FMT_ECORRUPT");
	e.end_ts = e.base_ts;
	e.nevents = 0;
	start = fmt_msg_events_before(body, 0, 0, &e);
	len = body - start - FMT_WIRE_HDR_SIZE;
	ok(!fmt_msg_parse_events(start + FMT_WIRE_HDR_SIZE, len, &r) &&
	   r.nevents == 0, "EVENTS of no events and no bytes is taken");
	start = fmt_msg_events_before(body, 1, 0, &e);
	ok(fmt_msg_parse_events(start + FMT_WIRE_HDR_SIZE, len + 1, &r) ==
	   FMT_ECORRUPT, "EVENTS of no events and a byte is FMT_ECORRUPT");
	start = fmt_msg_events_before(body, 0, 1, &e);
	ok(fmt_msg_parse_events(start + FMT_WIRE_HDR_SIZE, len + 1, &r) ==
	   FMT_ECORRUPT,
	   "EVENTS of no events and a byte of index is FMT_ECORRUPT");
	/* tid 4242 is 2 bytes: cut inside base_ts */
	ok(fmt_msg_parse_events(hand + FMT_WIRE_HDR_SIZE, 5, &r) ==
	   FMT_ETRUNC && r.nevents == 0,
	   "EVENTS cut inside its header is FMT_ETRUNC and counts none");
}

static uint8_t *mod_at(uint8_t *p, uint64_t op, const char *path,
		       size_t plen, size_t idlen)
{
	static const uint8_t id[FMT_WIRE_MAX_BUILDID + 1];
	struct fmt_module mod = {
		.op = op, .bias = 0x1000, .lo = 0x401000, .hi = 0x402000,
		.path = path, .path_len = plen, .buildid = id,
		.buildid_len = idlen,
	};

	return fmt_msg_put_module(p, &mod);
}

static void test_modules(void)
{
	static uint8_t buf[MAXM];
	static char longp[FMT_WIRE_MAX_PATH + 1];
	uint8_t *body = buf + FMT_WIRE_MODULES_PRE, *q, *start;
	struct fmt_msg_modules r;
	struct fmt_module mod;
	size_t len;
	int n = 0;

	q = mod_at(body, FMT_MOD_ADD, "/lib/libc.so.6", 14, 20);
	q = mod_at(q, FMT_MOD_DEL, "", 0, 0);
	start = fmt_msg_modules_before(body, q - body, 555, 2);
	memcpy(m, start, q - start);
	ok(payload(q - start, FMT_MSG_MODULES, &len) &&
	   !fmt_msg_parse_modules(m + FMT_WIRE_HDR_SIZE, len, &r) &&
	   r.ts == 555 && r.n == 2, "MODULES: ts n, then the modules");
	while (!fmt_msg_next_module(&r, &mod)) {
		n++;
		if (n == 1)
			ok(mod.op == FMT_MOD_ADD && mod.ts == 555 &&
			   mod.bias == 0x1000 && mod.lo == 0x401000 &&
			   mod.hi == 0x402000 && mod.path_len == 14 &&
			   !memcmp(mod.path, "/lib/libc.so.6", 14) &&
			   mod.buildid_len == 20,
			   "MODULES: the first module reads back");
	}
	ok(n == 2, "MODULES: fmt_msg_next_module() gives both, then ends");
	ok(fmt_msg_parse_modules(m + FMT_WIRE_HDR_SIZE, len - 1, &r) ==
	   FMT_ETRUNC, "MODULES cut in its last module is FMT_ETRUNC");
	m[FMT_WIRE_HDR_SIZE + len] = 0;
	ok(fmt_msg_parse_modules(m + FMT_WIRE_HDR_SIZE, len + 1, &r) ==
	   FMT_ECORRUPT, "MODULES with a byte after its modules is "
	   "FMT_ECORRUPT");

	start = fmt_msg_modules_before(body, q - body, 555, 3);
	ok(fmt_msg_parse_modules(start + FMT_WIRE_HDR_SIZE,
				 q - start - FMT_WIRE_HDR_SIZE, &r) ==
	   FMT_ETRUNC, "MODULES counting 3 of 2 modules is FMT_ETRUNC");

	q = mod_at(body, 3, "x", 1, 0);
	start = fmt_msg_modules_before(body, q - body, 1, 1);
	ok(fmt_msg_parse_modules(start + FMT_WIRE_HDR_SIZE,
				 q - start - FMT_WIRE_HDR_SIZE, &r) ==
	   FMT_ECORRUPT, "MODULES with an unknown op is FMT_ECORRUPT");

	memset(longp, 'p', sizeof(longp));
	q = mod_at(body, FMT_MOD_ADD, longp, FMT_WIRE_MAX_PATH, 0);
	start = fmt_msg_modules_before(body, q - body, 1, 1);
	ok(!fmt_msg_parse_modules(start + FMT_WIRE_HDR_SIZE,
				  q - start - FMT_WIRE_HDR_SIZE, &r),
	   "MODULES with a path of FMT_WIRE_MAX_PATH bytes is taken");
	q = mod_at(body, FMT_MOD_ADD, longp, FMT_WIRE_MAX_PATH + 1, 0);
	start = fmt_msg_modules_before(body, q - body, 1, 1);
	ok(fmt_msg_parse_modules(start + FMT_WIRE_HDR_SIZE,
				 q - start - FMT_WIRE_HDR_SIZE, &r) ==
	   FMT_ECORRUPT, "MODULES with a path of FMT_WIRE_MAX_PATH + 1 "
	   "bytes is FMT_ECORRUPT");
	q = mod_at(body, FMT_MOD_ADD, "x", 1, FMT_WIRE_MAX_BUILDID + 1);
	start = fmt_msg_modules_before(body, q - body, 1, 1);
	ok(fmt_msg_parse_modules(start + FMT_WIRE_HDR_SIZE,
				 q - start - FMT_WIRE_HDR_SIZE, &r) ==
	   FMT_ECORRUPT, "MODULES with a build id of 65 bytes is "
	   "FMT_ECORRUPT");
}

/* a HELLO with fields and tail bytes as given, the rest plain */
static size_t hello_with(uint64_t version, uint64_t pid, uint64_t ppid,
			 const char *argz, size_t alen)
{
	struct fmt_msg_hello h = {
		.version = version, .tid = pid,
		.p = { .pid = pid, .ppid = ppid, .ts = 99, .flags =
		       FMT_HELLO_FORK, .exe = "/bin/prog", .exe_len = 9,
		       .have_settings = 1, .events_mask = 0xff,
		       .heap_sample = 4096, .stack_depth = 32 },
	};

	return fmt_msg_put_hello(m, &h, argz, alen);
}

static int parse_hello_at(size_t n, struct fmt_msg_hello *r)
{
	return fmt_msg_parse_hello(m + FMT_WIRE_HDR_SIZE,
				   n - FMT_WIRE_HDR_SIZE, r);
}

static void test_hello(void)
{
	static char big[FMT_WIRE_MAX_PATH + 1];
	static char longarg[FMT_MAX_ARG + 1];
	struct fmt_msg_hello r, bad;
	const char *s;
	size_t n, len, k, nbad = 0;
	uint8_t *p;

	n = hello_with(FMT_WIRE_VERSION, 321, 1, "prog\0-x\0", 8);
	ok(payload(n, FMT_MSG_HELLO, &len) && !parse_hello_at(n, &r) &&
	   r.version == FMT_WIRE_VERSION && r.tid == 321 && r.p.pid == 321 &&
	   r.p.ppid == 1 && r.p.ts == 99 && r.p.flags == FMT_HELLO_FORK &&
	   r.p.exe_len == 9 && !memcmp(r.p.exe, "/bin/prog", 9) &&
	   r.p.argc == 2 && r.p.have_settings && r.p.events_mask == 0xff &&
	   r.p.heap_sample == 4096 && r.p.stack_depth == 32 &&
	   r.p.tail_len == 0, "HELLO reads back, settings included");
	ok((s = fmt_cur_str(&r.p.argv, 100, &k)) && k == 4 &&
	   !memcmp(s, "prog", 4) && (s = fmt_cur_str(&r.p.argv, 100, &k)) &&
	   k == 2 && !memcmp(s, "-x", 2) && r.p.argv.p == r.p.argv.end,
	   "HELLO: argv from /proc/self/cmdline's NUL-separated strings");
	/* the preload's bytes: version pid ppid tid ts flags exe argc ... */
	p = m + FMT_WIRE_HDR_SIZE;
	ok(p[0] == FMT_WIRE_VERSION && p[1] == 0xc1 && p[2] == 0x02 && p[3] == 1 &&
	   p[4] == 0xc1 && p[5] == 0x02 && p[6] == 99 &&
	   p[7] == FMT_HELLO_FORK && p[8] == 9 && p[18] == 2 && p[19] == 4 &&
	   p[len - 5] == 0xff && p[len - 4] == 0x01 && p[len - 3] == 0x80 &&
	   p[len - 2] == 0x20 && p[len - 1] == 32,
	   "HELLO: the fields in wire.h's order, the settings last");
	/*
	 * The settings are 5 bytes: ff 01, 80 20, 20.  Cut right after
	 * argc (payload byte 18) or one byte later, 2 arguments cannot fit
	 * the bytes left: a bad count, FMT_ECORRUPT.
	 */
	for (k = 0; k < len - 5; k++)
		if (parse_hello_at(FMT_WIRE_HDR_SIZE + k, &bad) !=
		    (k == 19 || k == 20 ? FMT_ECORRUPT : FMT_ETRUNC))
			nbad++;
	ok(!nbad, "HELLO: each prefix cut before its settings is "
	   "FMT_ETRUNC, or FMT_ECORRUPT for argc over the bytes left");
	ok(!parse_hello_at(n - 5, &bad) && !bad.p.have_settings &&
	   !bad.p.tail_len, "HELLO of an older library: no settings");
	ok(parse_hello_at(n - 4, &bad) == FMT_ETRUNC &&
	   parse_hello_at(n - 2, &bad) == FMT_ETRUNC,
	   "HELLO cut inside a setting is FMT_ETRUNC");
	ok(!parse_hello_at(n - 1, &bad) && !bad.p.have_settings &&
	   bad.p.tail_len == 4, "HELLO with two of the three settings: "
	   "no settings, a tail of two varints");
	m[n] = 0x80;
	ok(parse_hello_at(n + 1, &bad) == FMT_ETRUNC,
	   "HELLO whose tail ends inside a varint is FMT_ETRUNC");
	m[n] = 0x05;
	ok(!parse_hello_at(n + 1, &bad) && bad.p.have_settings &&
	   bad.p.tail_len == 1, "HELLO with a later version's varint "
	   "after the settings: taken, kept as the tail");

	n = hello_with(FMT_WIRE_VERSION, 321, 1, "prog\0-x", 7);
	ok(!parse_hello_at(n, &r) && r.p.argc == 2,
	   "HELLO: an argument cut without its NUL still counts");
	n = hello_with(FMT_WIRE_VERSION, 321, 1, NULL, 0);
	ok(!parse_hello_at(n, &r) && r.p.argc == 0,
	   "HELLO without arguments");
	/* an argument the analyzer would refuse in PROCESS */
	memset(longarg, 'x', sizeof(longarg));
	n = hello_with(FMT_WIRE_VERSION, 321, 1, longarg, FMT_MAX_ARG);
	ok(!parse_hello_at(n, &r) && r.p.argc == 1,
	   "HELLO with an argument of FMT_MAX_ARG bytes");
	n = hello_with(FMT_WIRE_VERSION, 321, 1, longarg, FMT_MAX_ARG + 1);
	ok(parse_hello_at(n, &r) == FMT_ECORRUPT,
	   "HELLO with an argument of FMT_MAX_ARG + 1 bytes is "
	   "FMT_ECORRUPT");

	n = hello_with(FMT_WIRE_VERSION + 1, 321, 1, "a", 1);
	ok(parse_hello_at(n, &r) == FMT_EVERSION,
	   "HELLO of another wire version is FMT_EVERSION");
	/* a version 2 library's unfinished has no holder: misread */
	n = hello_with(2, 321, 1, "a", 1);
	ok(parse_hello_at(n, &r) == FMT_EVERSION,
	   "HELLO of wire version 2 (before unfinished.holder) is "
	   "FMT_EVERSION");
	n = hello_with(FMT_WIRE_VERSION, 0, 1, "a", 1);
	ok(parse_hello_at(n, &r) == FMT_ECORRUPT,
	   "HELLO of pid 0 is FMT_ECORRUPT");
	n = hello_with(FMT_WIRE_VERSION, 321, 1ull << 31, "a", 1);
	ok(parse_hello_at(n, &r) == FMT_ECORRUPT,
	   "HELLO of a ppid over INT32_MAX is FMT_ECORRUPT");
	n = hello_with(FMT_WIRE_VERSION, 1ull << 31, 1, "a", 1);
	ok(parse_hello_at(n, &r) == FMT_ECORRUPT,
	   "HELLO of a pid over INT32_MAX is FMT_ECORRUPT");

	/* argc: byte 18 of the payload (exe is 1 + 9 bytes from 8) */
	n = hello_with(FMT_WIRE_VERSION, 321, 1, "ab\0", 3);
	m[FMT_WIRE_HDR_SIZE + 18] = 100;
	ok(parse_hello_at(n, &r) == FMT_ECORRUPT,
	   "HELLO counting more arguments than it has bytes is "
	   "FMT_ECORRUPT");
	m[FMT_WIRE_HDR_SIZE + 18] = 5;
	ok(parse_hello_at(n, &r) == FMT_ETRUNC,
	   "HELLO counting more arguments than it holds is FMT_ETRUNC");
	m[FMT_WIRE_HDR_SIZE + 18] = 1;
	m[FMT_WIRE_HDR_SIZE + 19] = 100;
	ok(parse_hello_at(n, &r) == FMT_ETRUNC,
	   "HELLO with an argument longer than the payload is FMT_ETRUNC");

	memset(big, 'e', sizeof(big));
	r.version = FMT_WIRE_VERSION;
	r.tid = 5;
	memset(&r.p, 0, sizeof(r.p));
	r.p.pid = 5;
	r.p.exe = big;
	r.p.exe_len = FMT_WIRE_MAX_PATH;
	n = fmt_msg_put_hello(m, &r, NULL, 0);
	ok(!parse_hello_at(n, &bad) && bad.p.exe_len == FMT_WIRE_MAX_PATH,
	   "HELLO with an exe of FMT_WIRE_MAX_PATH bytes is taken");
	r.p.exe_len = FMT_WIRE_MAX_PATH + 1;
	n = fmt_msg_put_hello(m, &r, NULL, 0);
	ok(parse_hello_at(n, &bad) == FMT_ECORRUPT,
	   "HELLO with an exe of FMT_WIRE_MAX_PATH + 1 bytes is "
	   "FMT_ECORRUPT");
}

/* a cursor tells a string cut short from one over its bound */
static void test_cursor(void)
{
	static const uint8_t s[] = { 3, 'a', 'b' };
	struct fmt_cursor c;
	size_t n;

	fmt_cur_init(&c, s, sizeof(s));
	ok(!fmt_cur_str(&c, 10, &n) && c.err == FMT_ETRUNC,
	   "a string running past the payload: FMT_ETRUNC");
	fmt_cur_init(&c, s, sizeof(s));
	ok(!fmt_cur_str(&c, 2, &n) && c.err == FMT_ECORRUPT,
	   "a string over its bound: FMT_ECORRUPT");
	fmt_cur_init(&c, s, 0);
	ok(!fmt_cur_uvar(&c) && c.err == FMT_ETRUNC && !fmt_cur_left(&c),
	   "a varint of an empty payload: FMT_ETRUNC");
}

static void test_snapshot(void)
{
	struct fmt_msg_snapshot x = { "why", "/tmp/s.trace", 3, 12 }, r;
	struct fmt_msg_snapshot_done d = { 0, "/tmp/s.trace", 12 }, rd;
	const uint8_t *pl;
	size_t n, len;

	n = fmt_msg_put_snapshot(m, &x);
	pl = payload(n, FMT_MSG_SNAPSHOT, &len);
	ok(pl && len == 17 && pl[0] == 3 && pl[4] == 12 &&
	   !fmt_msg_parse_snapshot(pl, len, &r) && r.reason_len == 3 &&
	   !memcmp(r.reason, "why", 3) && r.path_len == 12 &&
	   !memcmp(r.path, "/tmp/s.trace", 12),
	   "SNAPSHOT: reason path, read back");
	if (pl)
		cut_and_pad("SNAPSHOT", (parse_fn)fmt_msg_parse_snapshot, &r,
			    pl, len);
	n = fmt_msg_put_snapshot_done(m, &d);
	pl = payload(n, FMT_MSG_SNAPSHOT_DONE, &len);
	ok(pl && len == 14 && !fmt_msg_parse_snapshot_done(pl, len, &rd) &&
	   !rd.err && rd.len == 12 && !memcmp(rd.text, "/tmp/s.trace", 12),
	   "SNAPSHOT_DONE: err text, read back");
	if (pl)
		cut_and_pad("SNAPSHOT_DONE",
			    (parse_fn)fmt_msg_parse_snapshot_done, &rd, pl,
			    len);
	d.err = 4096;
	n = fmt_msg_put_snapshot_done(m, &d);
	pl = payload(n, FMT_MSG_SNAPSHOT_DONE, &len);
	ok(pl && fmt_msg_parse_snapshot_done(pl, len, &rd) == FMT_ECORRUPT,
	   "SNAPSHOT_DONE: an err past the errnos is FMT_ECORRUPT");
}

int main(void)
{
	test_cursor();
	test_lost();
	test_bye();
	test_untraced();
	test_exec();
	test_events();
	test_modules();
	test_hello();
	test_snapshot();
	return tap_done();
}
