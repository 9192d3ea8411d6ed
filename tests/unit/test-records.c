/*
 * test-records.c - the record payloads of format/records.c: every put
 * read back by its parse, the bytes of the layouts man/ctrace-trace.5
 * gives, cut records refused with their exact code, and the optional
 * trailing fields of later minors (settings, inline chains) read in
 * their one place.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "tap.h"

static struct fmt_buf b;
static struct fmt_record rec;

static void as_record(unsigned type)
{
	rec.type = type;
	rec.p = b.p;
	rec.len = b.len;
}

static int same_bytes(const uint8_t *want, size_t n)
{
	return !fmt_buf_failed(&b) && b.len == n && !memcmp(b.p, want, n);
}

typedef int (*parse_fn)(const struct fmt_record *, void *);

/* each strict prefix of the record at b: refused with code want */
static void cut(const char *what, parse_fn parse, void *out, int want)
{
	size_t k, len = rec.len, bad = 0;

	for (k = 0; k < len; k++) {
		rec.len = k;
		if (parse(&rec, out) != want)
			bad++;
	}
	rec.len = len;
	ok(!bad, "%s: each of its %zu prefixes is refused (%d)", what, len,
	   want);
}

static void test_process(void)
{
	static const uint8_t want[] = {
		100, 1, 7, 0x95, 0x9a, 0xef, 0x3a, FMT_PROC_ROOT,
		7, '/', 'b', 'i', 'n', '/', 's', 'h', 2, 2, 's', 'h', 0,
		0xff, 0x01, 0, 32,
	};
	static const uint8_t argv[] = { 2, 's', 'h', 0 };
	struct fmt_process p = {
		.pid = 100, .ppid = 1, .image = 7, .ts = 123456789,
		.flags = FMT_PROC_ROOT, .exe = "/bin/sh", .exe_len = 7,
		.argc = 2, .argv = { argv, argv + sizeof(argv), 0 },
		.have_settings = 1, .events_mask = 0xff, .heap_sample = 0,
		.stack_depth = 32,
	}, r;
	const char *s;
	size_t n;

	fmt_buf_reset(&b);
	fmt_put_process(&b, &p);
	ok(same_bytes(want, sizeof(want)),
	   "PROCESS: pid ppid image ts flags exe argc argv settings");
	as_record(FMT_REC_PROCESS);
	ok(!fmt_parse_process(&rec, &r) && r.pid == 100 && r.ppid == 1 &&
	   r.image == 7 && r.ts == 123456789 && r.flags == FMT_PROC_ROOT &&
	   r.exe_len == 7 && !memcmp(r.exe, "/bin/sh", 7) && r.argc == 2 &&
	   r.have_settings && r.events_mask == 0xff && !r.heap_sample &&
	   r.stack_depth == 32 && !r.tail_len,
	   "PROCESS reads back, settings included");
	ok((s = fmt_cur_str(&r.argv, 100, &n)) && n == 2 &&
	   !memcmp(s, "sh", 2) && fmt_cur_str(&r.argv, 100, &n) && !n &&
	   r.argv.p == r.argv.end, "PROCESS: argv ends where argv ends");

	/* a 1.0 trace: no settings */
	rec.len = sizeof(want) - 4;
	ok(!fmt_parse_process(&rec, &r) && !r.have_settings &&
	   !r.events_mask && !r.tail_len, "PROCESS without settings");
	/* two of three: no settings, and a copy keeps the bytes */
	rec.len = sizeof(want) - 1;
	ok(!fmt_parse_process(&rec, &r) && !r.have_settings &&
	   !r.events_mask && !r.stack_depth && r.tail_len == 3,
	   "PROCESS with two settings: none read, three tail bytes");
	fmt_buf_reset(&b);
	fmt_put_process(&b, &r);
	ok(same_bytes(want, sizeof(want) - 1),
	   "PROCESS put from its parse is the same bytes");

	fmt_buf_reset(&b);
	fmt_buf_bytes(&b, want, 18);
	b.p[16] = 3;			/* argc 3: 1 byte left */
	as_record(FMT_REC_PROCESS);
	ok(fmt_parse_process(&rec, &r) == FMT_ECORRUPT,
	   "PROCESS counting more arguments than bytes is FMT_ECORRUPT");
	fmt_buf_reset(&b);
	fmt_buf_bytes(&b, want, sizeof(want));
	b.p[17] = 50;			/* argv[0] runs past the end */
	as_record(FMT_REC_PROCESS);
	ok(fmt_parse_process(&rec, &r) == FMT_ECORRUPT,
	   "PROCESS with an argument past its end is FMT_ECORRUPT");
}

static void test_fixed(void)
{
	static const uint8_t pend[] = { 100, 7, 0xe8, 0x07, 0, FMT_PEND_EXEC };
	struct fmt_process_end e = { 100, 7, 1000, 0, FMT_PEND_EXEC }, er;
	struct fmt_lost l = { 100, 101, 5, FMT_LOST_KILLED }, lr;
	struct fmt_end en = { 5000, 1 << 20, 3, 2 }, enr;
	struct fmt_data d = { 7, 0x601040, 12, 8, 64 }, dr;

	fmt_buf_reset(&b);
	fmt_put_process_end(&b, &e);
	ok(same_bytes(pend, sizeof(pend)),
	   "PROCESS_END: pid image ts status how");
	as_record(FMT_REC_PROCESS_END);
	ok(!fmt_parse_process_end(&rec, &er) && er.pid == 100 &&
	   er.image == 7 && er.ts == 1000 && !er.status &&
	   er.how == FMT_PEND_EXEC, "PROCESS_END reads back");
	cut("PROCESS_END", (parse_fn)fmt_parse_process_end, &er,
	    FMT_ETRUNC);
	e.how = (uint64_t)UINT32_MAX + 1;
	fmt_buf_reset(&b);
	fmt_put_process_end(&b, &e);
	as_record(FMT_REC_PROCESS_END);
	ok(fmt_parse_process_end(&rec, &er) == FMT_ECORRUPT,
	   "PROCESS_END with a how over 32 bits is FMT_ECORRUPT");

	fmt_buf_reset(&b);
	fmt_put_lost(&b, &l);
	as_record(FMT_REC_LOST);
	ok(b.len == 4 && !fmt_parse_lost(&rec, &lr) && lr.pid == 100 &&
	   lr.tid == 101 && lr.count == 5 && lr.reason == FMT_LOST_KILLED,
	   "LOST: pid tid count reason, read back");
	cut("LOST", (parse_fn)fmt_parse_lost, &lr, FMT_ETRUNC);
	l.count = FMT_WIRE_MAX_LOST + 1;
	fmt_buf_reset(&b);
	fmt_put_lost(&b, &l);
	as_record(FMT_REC_LOST);
	ok(fmt_parse_lost(&rec, &lr) == FMT_ECORRUPT,
	   "LOST counting more than a message may is FMT_ECORRUPT");

	fmt_buf_reset(&b);
	fmt_put_end(&b, &en);
	as_record(FMT_REC_END);
	ok(b.len == 2 + 3 + 1 + 1 && !fmt_parse_end(&rec, &enr) &&
	   enr.ts == 5000 && enr.nevents == 1 << 20 && enr.nlost == 3 &&
	   enr.nprocesses == 2, "END: ts nevents nlost nprocesses");
	cut("END", (parse_fn)fmt_parse_end, &enr, FMT_ETRUNC);

	fmt_buf_reset(&b);
	fmt_put_data(&b, &d);
	as_record(FMT_REC_DATA);
	ok(!fmt_parse_data(&rec, &dr) && dr.image == 7 &&
	   dr.addr == 0x601040 && dr.name == 12 && dr.offset == 8 &&
	   dr.size == 64, "DATA: image addr name offset size");
	cut("DATA", (parse_fn)fmt_parse_data, &dr, FMT_ETRUNC);
}

static void test_tables(void)
{
	static const uint64_t fr[3] = { 0x401000, 0x7f0000001234, 1 };
	struct fmt_string s = { 9, "hello", 5 }, sr;
	struct fmt_stack st = { .id = 4, .image = 2, .n = 3, .frames = fr };
	struct fmt_stack str;
	uint64_t out[3];

	fmt_buf_reset(&b);
	fmt_put_string(&b, &s);
	as_record(FMT_REC_STRING);
	ok(same_bytes((const uint8_t *)"\x09hello", 6) &&
	   !fmt_parse_string(&rec, &sr) && sr.id == 9 && sr.len == 5 &&
	   !memcmp(sr.s, "hello", 5),
	   "STRING: id, then the text to the end of the record");
	rec.len = 0;
	ok(fmt_parse_string(&rec, &sr) == FMT_ETRUNC,
	   "STRING without an id is FMT_ETRUNC");
	/* only the id is read: the length alone decides */
	rec.len = (size_t)UINT32_MAX + 1;
	ok(fmt_parse_string(&rec, &sr) == FMT_ECORRUPT,
	   "STRING of 4 GiB is FMT_ECORRUPT");

	fmt_buf_reset(&b);
	fmt_put_stack(&b, &st);
	as_record(FMT_REC_STACK);
	ok(!fmt_parse_stack(&rec, &str) && str.id == 4 && str.image == 2 &&
	   str.n == 3 && !fmt_stack_frames(&str, out) && out[0] == fr[0] &&
	   out[1] == fr[1] && out[2] == fr[2],
	   "STACK: id image n frames, read back");
	rec.len--;
	ok(!fmt_parse_stack(&rec, &str) &&
	   fmt_stack_frames(&str, out) == FMT_ETRUNC,
	   "STACK cut in its last frame: the frames are FMT_ETRUNC");
	b.p[2] = 100;
	rec.len++;
	ok(fmt_parse_stack(&rec, &str) == FMT_ECORRUPT,
	   "STACK counting more frames than bytes is FMT_ECORRUPT");
}

static void test_events(void)
{
	static const uint8_t ev[] = { 1, 2, 3, 4 };
	struct fmt_events e = {
		.pid = 100, .image = 3, .tid = 101, .nevents = 2,
		.base_ts = 77, .ev = { ev, ev + sizeof(ev), 0 },
	}, r;

	fmt_buf_reset(&b);
	fmt_put_events(&b, &e);
	as_record(FMT_REC_EVENTS);
	ok(same_bytes((const uint8_t *)"\x64\x03\x65\x02\x4d\x01\x02\x03\x04",
		      9), "EVENTS: pid image tid nevents base_ts events");
	ok(!fmt_parse_events(&rec, &r) && r.pid == 100 && r.image == 3 &&
	   r.tid == 101 && r.nevents == 2 && r.base_ts == 77 &&
	   r.ev.end - r.ev.p == 4 && !memcmp(r.ev.p, ev, 4),
	   "EVENTS reads back, the events left to the decoder");
	e.ev.p = e.ev.end = NULL;
	fmt_buf_reset(&b);
	fmt_put_events(&b, &e);
	ok(b.len == 5, "EVENTS put without events: the header alone");
}

static void test_module(void)
{
	struct fmt_module m = {
		.image = 2, .ts = 50, .op = FMT_MOD_ADD, .bias = 0x1000,
		.lo = 0x2000, .hi = 0x3000, .path = "/lib/x.so",
		.path_len = 9, .buildid = (const uint8_t *)"\xab\xcd",
		.buildid_len = 2,
	}, r;

	fmt_buf_reset(&b);
	fmt_put_module(&b, &m);
	as_record(FMT_REC_MODULE);
	ok(!fmt_parse_module(&rec, &r) && r.image == 2 && r.ts == 50 &&
	   r.op == FMT_MOD_ADD && r.bias == 0x1000 && r.lo == 0x2000 &&
	   r.hi == 0x3000 && r.path_len == 9 &&
	   !memcmp(r.path, "/lib/x.so", 9) && r.buildid_len == 2 &&
	   !memcmp(r.buildid, "\xab\xcd", 2),
	   "MODULE: image ts op bias lo hi path buildid, read back");
	cut("MODULE", (parse_fn)fmt_parse_module, &r, FMT_ETRUNC);
}

static void test_symbol(void)
{
	static const struct fmt_inline inl[2] = { { 5, 6, 7 }, { 8, 6, 300 } };
	struct fmt_symbol s = {
		.image = 1, .addr = 0x401234, .func = 3, .file = 4,
		.line = 42, .offset = 0x34, .ninl = 2, .inl = inl,
	}, r;
	struct fmt_inline in;
	size_t full;
	int n;

	fmt_buf_reset(&b);
	fmt_put_symbol(&b, &s);
	as_record(FMT_REC_SYMBOL);
	full = b.len;
	ok(!fmt_parse_symbol(&rec, &r) && r.image == 1 &&
	   r.addr == 0x401234 && r.func == 3 && r.file == 4 &&
	   r.line == 42 && r.offset == 0x34 && r.ninl == 2,
	   "SYMBOL: image addr func file line offset, then the chain");
	ok(!fmt_symbol_inline(&r, &in) && in.func == 5 && in.file == 6 &&
	   in.line == 7 && !fmt_symbol_inline(&r, &in) && in.func == 8 &&
	   in.line == 300 && fmt_symbol_inline(&r, &in) == -1,
	   "SYMBOL: the inline chain, innermost first, then its end");

	s.ninl = 0;
	fmt_buf_reset(&b);
	fmt_put_symbol(&b, &s);
	as_record(FMT_REC_SYMBOL);
	ok(b.len == full - 8 && !fmt_parse_symbol(&rec, &r) && !r.ninl &&
	   fmt_symbol_inline(&r, &in) == -1,
	   "SYMBOL without a chain is a 1.0 record");
	cut("SYMBOL", (parse_fn)fmt_parse_symbol, &r, FMT_ETRUNC);

	s.ninl = 2;
	fmt_buf_reset(&b);
	fmt_put_symbol(&b, &s);
	as_record(FMT_REC_SYMBOL);
	rec.len = full - 1;
	ok(!fmt_parse_symbol(&rec, &r) && r.ninl == 2,
	   "SYMBOL with its chain cut: parse takes the record");
	for (n = 0; n < 3 && !fmt_symbol_inline(&r, &in); n++)
		;
	ok(n == 1 && fmt_symbol_inline(&r, &in) == -1,
	   "SYMBOL with its chain cut: the whole entries only");
	b.p[full - 8] = 100;		/* ninl 100: cannot fit */
	rec.len = full;
	ok(!fmt_parse_symbol(&rec, &r) && !r.ninl,
	   "SYMBOL whose chain count cannot fit: read without a chain");
}

static void test_untraced(void)
{
	struct fmt_untraced u = { 200, 100, 999, FMT_UNTR_EXEC,
				  FMT_WHY_STATIC, 0, "/bin/static", 11, 0, 0 }, r;

	fmt_buf_reset(&b);
	fmt_put_untraced(&b, &u);
	as_record(FMT_REC_UNTRACED);
	ok(!fmt_parse_untraced(&rec, &r) && r.pid == 200 && r.ppid == 100 &&
	   r.ts == 999 && r.how == FMT_UNTR_EXEC &&
	   r.reason == FMT_WHY_STATIC && !r.err && r.path_len == 11 &&
	   !memcmp(r.path, "/bin/static", 11),
	   "UNTRACED: pid ppid ts how reason err path, read back");
	ok(!r.has_status, "UNTRACED of 2.1: no status");
	cut("UNTRACED", (parse_fn)fmt_parse_untraced, &r, FMT_ECORRUPT);
	/* 2.2: the program's raw wait status, 4 << 8 (exit 4) */
	u.has_status = 1;
	u.status = 4 << 8;
	fmt_buf_reset(&b);
	fmt_put_untraced(&b, &u);
	as_record(FMT_REC_UNTRACED);
	ok(!fmt_parse_untraced(&rec, &r) && r.has_status &&
	   r.status == 4 << 8 && r.path_len == 11 && r.reason == FMT_WHY_STATIC,
	   "UNTRACED with a status: read back, what comes before unchanged");
}

static void test_snapshot(void)
{
	struct fmt_snapshot sn = { 5000, 1000, 4000, FMT_SNAP_PROGRAM, 42,
				   300, 2, "slow request", 12 }, r;
	static const uint8_t want[] = { 0x88, 0x27, 0xe8, 0x07, 0xa0, 0x1f,
					3, 42, 0xac, 0x02, 2, 12, 's', 'l',
					'o', 'w', ' ', 'r', 'e', 'q', 'u',
					'e', 's', 't' };

	fmt_buf_reset(&b);
	fmt_put_snapshot(&b, &sn);
	ok(same_bytes(want, sizeof(want)),
	   "SNAPSHOT: ts start end trigger pid evicted_events evicted_chunks "
	   "reason, as the page says");
	as_record(FMT_REC_SNAPSHOT);
	ok(!fmt_parse_snapshot(&rec, &r) && r.ts == 5000 && r.start == 1000 &&
	   r.end == 4000 && r.trigger == FMT_SNAP_PROGRAM && r.pid == 42 &&
	   r.evicted_events == 300 && r.evicted_chunks == 2 &&
	   r.reason_len == 12 && !memcmp(r.reason, "slow request", 12),
	   "SNAPSHOT: read back");
	cut("SNAPSHOT", (parse_fn)fmt_parse_snapshot, &r, FMT_ETRUNC);
	sn.start = 4001;
	fmt_buf_reset(&b);
	fmt_put_snapshot(&b, &sn);
	as_record(FMT_REC_SNAPSHOT);
	ok(fmt_parse_snapshot(&rec, &r) == FMT_ECORRUPT,
	   "SNAPSHOT: a window that starts after its end is FMT_ECORRUPT");
	ok(!strcmp(fmt_record_name(FMT_REC_SNAPSHOT), "snapshot") &&
	   !strcmp(fmt_snap_trigger_name(FMT_SNAP_CRASH), "crash") &&
	   !fmt_snap_trigger_name(0) && !fmt_snap_trigger_name(5),
	   "SNAPSHOT: the record's and the triggers' names");
}

static void test_window(void)
{
	struct fmt_window w = { 5000, 1000, 4000 }, r;
	static const uint8_t want[] = { 0x88, 0x27, 0xe8, 0x07, 0xa0, 0x1f };

	fmt_buf_reset(&b);
	fmt_put_window(&b, &w);
	ok(same_bytes(want, sizeof(want)), "WINDOW: ts start end, as the "
	   "page says");
	as_record(FMT_REC_WINDOW);
	ok(!fmt_parse_window(&rec, &r) && r.ts == 5000 && r.start == 1000 &&
	   r.end == 4000, "WINDOW: read back");
	cut("WINDOW", (parse_fn)fmt_parse_window, &r, FMT_ETRUNC);
	w.start = 4001;
	fmt_buf_reset(&b);
	fmt_put_window(&b, &w);
	as_record(FMT_REC_WINDOW);
	ok(fmt_parse_window(&rec, &r) == FMT_ECORRUPT,
	   "WINDOW: a window that starts after its end is FMT_ECORRUPT");
	ok(!strcmp(fmt_record_name(FMT_REC_WINDOW), "window"),
	   "WINDOW: the record's name");
}

static void test_window_open(void)
{
	struct fmt_window w = { 5000, 1000, 0 }, r;
	static const uint8_t want[] = { 0x88, 0x27, 0xe8, 0x07 };

	fmt_buf_reset(&b);
	fmt_put_window_open(&b, &w);
	ok(same_bytes(want, sizeof(want)), "WINDOW_OPEN: ts start, as the "
	   "page says");
	as_record(FMT_REC_WINDOW_OPEN);
	ok(!fmt_parse_window_open(&rec, &r) && r.ts == 5000 &&
	   r.start == 1000 && r.end == FMT_WINDOW_OPEN_END,
	   "WINDOW_OPEN: read back, still open");
	cut("WINDOW_OPEN", (parse_fn)fmt_parse_window_open, &r, FMT_ETRUNC);
	ok(!strcmp(fmt_record_name(FMT_REC_WINDOW_OPEN), "window_open"),
	   "WINDOW_OPEN: the record's name");
}

int main(void)
{
	test_process();
	test_fixed();
	test_tables();
	test_events();
	test_module();
	test_symbol();
	test_untraced();
	test_snapshot();
	test_window();
	test_window_open();
	fmt_buf_free(&b);
	return tap_done();
}
