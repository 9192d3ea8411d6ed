/*
 * test-spec - man/ctrace-trace.5 documents every event code exactly as
 * FMT_EVENT_LIST defines it: code, name, family and fields with their
 * kinds; and every `call` code, by number and name.  A reader written
 * from the page alone must meet no event it cannot decode, so a code
 * missing from the page, or one whose fields differ, fails here.
 * `test-spec --rows` prints the event rows the page should have.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "tap.h"

static const char *family(unsigned fam)
{
	static const char *const names[] = {
		"thread", "sync", "process", "io", "wait", "sleep", "heap",
		"user", "cpu",
	};
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (fam == 1u << i)
			return names[i];
	return "?";
}

/* the page's row for one code: "code;name;family;T{", "fields", "T}" */
static void row(const struct fmt_event_info *in, unsigned code, char *buf,
		size_t size)
{
	char f[64];
	size_t n;
	unsigned i;

	n = snprintf(buf, size, "%u;%s;%s;T{\n", code, in->name,
		     family(in->family));
	for (i = 0; i < in->nfields; i++)
		n += snprintf(buf + n, size - n, "%s%s:%c", i ? " " : "",
			      fmt_field_name(in, i, f, sizeof(f)),
			      in->kinds[i]);
	snprintf(buf + n, size - n, "\nT}\n");
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc(n + 1);
	if (!s || fread(s, 1, n, f) != (size_t)n) {
		fclose(f);
		free(s);
		return NULL;
	}
	s[n] = 0;
	fclose(f);
	return s;
}

/* the call codes, one "N name," per line, the last ending in "." */
static void check_calls(const char *rest)
{
	const char *sec = strstr(rest, ".SS Call codes"), *p;
	char line[64];
	unsigned c;
	int n;

	ok(sec != NULL, "the page has its call code list");
	if (!sec)
		return;
	p = strstr(sec, "\n1 read,\n");
	for (c = 1; p && c < FMT_CALL_MAX; c++) {
		n = snprintf(line, sizeof(line), "\n%u %s%c\n", c,
			     fmt_call_name(c), c + 1 < FMT_CALL_MAX ? ',' : '.');
		if (strncmp(p, line, n))
			break;
		p += n - 1;
	}
	ok(c == FMT_CALL_MAX, "the page lists call codes 1 to %u in order "
	   "(stopped at %u)", FMT_CALL_MAX - 1, c);
}

int main(int argc, char **argv)
{
	const char *top = getenv("CTRACE_TOP");
	char path[4096], buf[512], *page, *table, *end;
	const struct fmt_event_info *in;
	unsigned code, rows = 0, defined = 0;

	if (argc > 1 && !strcmp(argv[1], "--rows")) {
		for (code = 0; code < FMT_EV_MAX; code++)
			if ((in = fmt_event_info(code))) {
				row(in, code, buf, sizeof(buf));
				fputs(buf, stdout);
			}
		return 0;
	}
	snprintf(path, sizeof(path), "%s/man/ctrace-trace.5", top ? top : ".");
	page = slurp(path);
	ok(page != NULL, "%s reads", path);
	if (!page)
		return tap_done();
	check_calls(page);
	table = strstr(page, ".SS Event codes");
	end = table ? strstr(table, ".TE") : NULL;
	ok(table && end, "the page has its event code table");
	if (!end)
		return tap_done();
	*end = 0;
	for (code = 0; code < FMT_EV_MAX; code++) {
		if (!(in = fmt_event_info(code)))
			continue;
		defined++;
		row(in, code, buf, sizeof(buf));
		ok(strstr(table, buf) != NULL, "event %u %s: the page's row is "
		   "the list's", code, in->name);
	}
	/* and the page has no row the list does not define */
	for (end = table; (end = strstr(end, ";T{\n")); end++)
		rows++;
	ok(rows == defined, "the page has %u event rows, the list %u", rows,
	   defined);
	free(page);
	return tap_done();
}
