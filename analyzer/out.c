/*
 * out.c - number and string formatting for the analyzer's text output.
 */
#include <string.h>
#include <time.h>

#include "log.h"
#include "out.h"
#include "trace.h"

void ana_put(struct fmt_buf *b, const char *s)
{
	fmt_buf_bytes(b, s, strlen(s));
}

void ana_put_u64(struct fmt_buf *b, uint64_t v)
{
	char tmp[20];
	int n = sizeof(tmp);

	do {
		tmp[--n] = '0' + v % 10;
		v /= 10;
	} while (v);
	fmt_buf_bytes(b, tmp + n, sizeof(tmp) - n);
}

void ana_put_s64(struct fmt_buf *b, int64_t v)
{
	if (v < 0) {
		fmt_buf_bytes(b, "-", 1);
		ana_put_u64(b, -(uint64_t)v);
	} else {
		ana_put_u64(b, v);
	}
}

void ana_put_hex(struct fmt_buf *b, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[18];
	int n = sizeof(tmp);

	do {
		tmp[--n] = digits[v & 15];
		v >>= 4;
	} while (v);
	tmp[--n] = 'x';
	tmp[--n] = '0';
	fmt_buf_bytes(b, tmp + n, sizeof(tmp) - n);
}

void ana_put_secs(struct fmt_buf *b, int64_t ns)
{
	uint64_t v = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
	uint64_t frac = v % 1000000000;
	char tmp[9];
	int i;

	if (ns < 0)
		fmt_buf_bytes(b, "-", 1);
	ana_put_u64(b, v / 1000000000);
	for (i = 8; i >= 0; i--) {
		tmp[i] = '0' + frac % 10;
		frac /= 10;
	}
	fmt_buf_bytes(b, ".", 1);
	fmt_buf_bytes(b, tmp, sizeof(tmp));
}

static const char *escape(unsigned char c, char tmp[5])
{
	switch (c) {
	case '"':	return "\\\"";
	case '\\':	return "\\\\";
	case '\n':	return "\\n";
	case '\t':	return "\\t";
	case '\r':	return "\\r";
	}
	tmp[0] = '\\';
	tmp[1] = '0' + (c >> 6);
	tmp[2] = '0' + (c >> 3 & 7);
	tmp[3] = '0' + (c & 7);
	tmp[4] = 0;
	return tmp;
}

void ana_put_quoted(struct fmt_buf *b, const char *s, size_t len)
{
	size_t i, run = 0;
	char tmp[5];

	fmt_buf_bytes(b, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			continue;
		fmt_buf_bytes(b, s + run, i - run);
		ana_put(b, escape(c, tmp));
		run = i + 1;
	}
	fmt_buf_bytes(b, s + run, len - run);
	fmt_buf_bytes(b, "\"", 1);
}

void ana_put_argv(struct fmt_buf *b, struct ana_str *const *argv,
		  uint32_t argc)
{
	struct fmt_buf args = { 0 };
	uint32_t i;

	for (i = 0; i < argc; i++) {
		if (i)
			fmt_buf_bytes(&args, " ", 1);
		fmt_buf_bytes(&args, argv[i]->s, argv[i]->len);
	}
	if (fmt_buf_failed(&args))
		die(EXIT_FAIL, "out of memory");
	/* no arguments: an empty buffer, which has no memory to point at */
	ana_put_quoted(b, args.len ? (const char *)args.p : "", args.len);
	fmt_buf_free(&args);
}

void ana_write(struct fmt_buf *b, FILE *f)
{
	if (fmt_buf_failed(b))
		die(EXIT_FAIL, "out of memory");
	if (b->len)
		fwrite(b->p, 1, b->len, f);
	fmt_buf_reset(b);
}

const char *ana_iso8601(uint64_t ns, char *buf, size_t size)
{
	time_t sec = ns / 1000000000;
	struct tm tm;
	size_t n;

	if (!gmtime_r(&sec, &tm) ||
	    !(n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(buf, size, "?");
		return buf;
	}
	snprintf(buf + n, size - n, ".%09lluZ",
		 (unsigned long long)(ns % 1000000000));
	return buf;
}
