/*
 * cli.c - the command table of ctrace-analyze and the one loop that reads
 * every command's options (cli.h has the rules).
 *
 * The front end (scripts/ctrace) takes its list of analyses from here,
 * through ctrace-analyze --list-commands; tests/e2e/009-cli.bats checks
 * that the man pages list the same commands and options.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "cli.h"
#include "log.h"

#define ARG(f)	offsetof(struct ana_args, f)

static const struct ana_opt no_opts[] = {
	{ NULL }
};

static const struct ana_opt threads_opts[] = {
	{ "per-thread", 0, NULL, ARG(per_thread),
	  "add a row per thread, with its count of unfinished calls" },
	{ NULL }
};

static const struct ana_opt profile_opts[] = {
	{ "format", 0, "text|pprof|folded", ARG(format),
	  "what to write (default: text)" },
	{ NULL, 'o', "<out>", ARG(out),
	  "the file to write (default and -: stdout)" },
	{ NULL }
};

static const struct ana_opt export_opts[] = {
	{ "format", 0, "perfetto|json", ARG(format),
	  "what to write (default: perfetto)" },
	{ "buckets", 0, "<n>", ARG(buckets),
	  "draw at n buckets over the span; 0: every item" },
	{ NULL, 'o', "<out>", ARG(out),
	  "the file (default: <file>.pftrace|.json; -: stdout)" },
	{ NULL }
};

static const struct ana_opt html_opts[] = {
	{ "buckets", 0, "<n>", ARG(buckets),
	  "draw at n buckets over the span; 0: every item" },
	{ NULL, 'o', "<out.html>", ARG(out),
	  "the page to write (default: <file>.html; -: stdout)" },
	{ NULL }
};

const struct ana_cmd ana_cmds[] = {
	{ .name = "dump", .run = ana_cmd_dump, .opts = no_opts,
	  .summary = "every event, one stable line each" },
	{ .name = "info", .run = ana_cmd_info, .opts = no_opts,
	  .summary = "header, processes, threads, event counts, lost, "
		     "integrity" },
	{ .name = "report", .run = ana_cmd_report, .opts = no_opts,
	  .summary = "one screen: time split, blocking, locks, heap, "
		     "parallelism" },
	{ .name = "threads", .run = ana_cmd_threads, .opts = threads_opts,
	  .summary = "time per state, threads grouped by start routine" },
	{ .name = "profile", .run = ana_cmd_profile, .opts = profile_opts,
	  .summary = "cpu, blocked time or heap bytes by stack: text, "
		     "pprof, folded",
	  .operand = "kind",
	  .operand_values = "cpu|sync|io|syscall|sleep|wakeup|heap|leaks" },
	{ .name = "export", .run = ana_cmd_export, .opts = export_opts,
	  .summary = "timeline for ui.perfetto.dev or chrome://tracing" },
	{ .name = "html", .run = ana_cmd_html, .opts = html_opts,
	  .summary = "one self-contained page: timeline, flame graphs, "
		     "threads" },
};

const size_t ana_ncmds = sizeof(ana_cmds) / sizeof(ana_cmds[0]);

/* every command's -h, --help */
static const struct ana_opt help_opt = {
	"help", 'h', NULL, 0, "print this help"
};

/* at most this many options per command, for getopt's tables */
#define MAX_OPTS	15
/* getopt_long()'s value of the option opts[i] without a short letter */
#define LONG_ONLY	256

const struct ana_cmd *ana_cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < ana_ncmds; i++)
		if (!strcmp(name, ana_cmds[i].name))
			return &ana_cmds[i];
	return NULL;
}

const char *ana_default_file(void)
{
	if (access(ANA_DEFAULT_FILE, F_OK))
		die(EXIT_NOFILE, "no trace file given and no "
		    ANA_DEFAULT_FILE " here (run ctrace record first)");
	return ANA_DEFAULT_FILE;
}

const char *ana_args_file(const struct ana_args *a)
{
	return a->file ? a->file : ana_default_file();
}

/* "--name" or "-l": how the usage and the messages spell an option */
static const char *spelling(const struct ana_opt *o, char *buf, size_t size)
{
	if (o->name)
		snprintf(buf, size, "--%s", o->name);
	else
		snprintf(buf, size, "-%c", o->letter);
	return buf;
}

/* "usage: ctrace-analyze <name> [<options>...] [<file>]" */
static void usage(FILE *f, const struct ana_cmd *c)
{
	const struct ana_opt *o;
	char sp[64];

	fprintf(f, "usage: ctrace-analyze %s", c->name);
	if (c->operand)
		fprintf(f, " %s", c->operand_values);
	for (o = c->opts; o->help; o++) {
		fprintf(f, " [%s", spelling(o, sp, sizeof(sp)));
		if (o->arg)
			fprintf(f, " %s", o->arg);
		fputc(']', f);
	}
	fprintf(f, " [<file>]\n");
}

/* "-o <out>", "--format text|pprof|folded", "-h, --help" */
static int spec(const struct ana_opt *o, char *buf, size_t size)
{
	char sp[64];

	if (o->name && o->letter)
		return snprintf(buf, size, "-%c, --%s%s%s", o->letter, o->name,
				o->arg ? " " : "", o->arg ? o->arg : "");
	return snprintf(buf, size, "%s%s%s", spelling(o, sp, sizeof(sp)),
			o->arg ? " " : "", o->arg ? o->arg : "");
}

/* -h: the usage, then every option the command takes and what it does */
static void __attribute__((noreturn)) help(const struct ana_cmd *c)
{
	const struct ana_opt *o;
	char buf[96];
	int w = 0, n;

	usage(stdout, c);
	for (o = c->opts; o->help; o++)
		if ((n = spec(o, buf, sizeof(buf))) > w)
			w = n;
	if ((n = spec(&help_opt, buf, sizeof(buf))) > w)
		w = n;
	putchar('\n');
	for (o = c->opts; o->help; o++) {
		spec(o, buf, sizeof(buf));
		printf("    %-*s  %s\n", w, buf, o->help);
	}
	spec(&help_opt, buf, sizeof(buf));
	printf("    %-*s  %s\n", w, buf, help_opt.help);
	if (fflush(stdout) || ferror(stdout))
		die(EXIT_OUTPUT, "cannot write output: %s", strerror(errno));
	exit(EXIT_OK);
}

/* the option getopt_long() returned as val, or NULL */
static const struct ana_opt *opt_of(const struct ana_cmd *c, int val)
{
	const struct ana_opt *o;

	if (val == help_opt.letter)
		return &help_opt;
	if (val >= LONG_ONLY)
		return &c->opts[val - LONG_ONLY];
	for (o = c->opts; o->help; o++)
		if (o->letter && o->letter == val)
			return o;
	return NULL;
}

/* getopt_long()'s tables for c: "-:" returns operands in order (also
 * with POSIXLY_CORRECT) and a missing value as ':' */
static void tables(const struct ana_cmd *c, struct option *lo, char *so)
{
	const struct ana_opt *o;
	int i;

	*so++ = '-';
	*so++ = ':';
	for (i = 0, o = c->opts; o->help; i++, o++) {
		if (i == MAX_OPTS)
			die(EXIT_FAIL, "%s: more than %d options", c->name,
			    MAX_OPTS);
		if (o->letter) {
			*so++ = o->letter;
			if (o->arg)
				*so++ = ':';
		}
		if (o->name)
			*lo++ = (struct option){ o->name,
				o->arg ? required_argument : no_argument, NULL,
				o->letter ? o->letter : LONG_ONLY + i };
	}
	*so++ = help_opt.letter;
	*so = 0;
	*lo++ = (struct option){ help_opt.name, no_argument, NULL,
				 help_opt.letter };
	*lo = (struct option){ 0 };
}

/* whether v is one of the values "a|b|c" */
static int one_of(const char *v, const char *values)
{
	size_t n = strlen(v);
	const char *p = values;

	for (;;) {
		if (!strncmp(p, v, n) && (p[n] == '|' || !p[n]))
			return 1;
		p = strchr(p, '|');
		if (!p)
			return 0;
		p++;
	}
}

/* "cmd: unknown format 'svg' (text, pprof or folded)" */
static void check_value(const char *cmd, const char *what, const char *v,
			const char *values)
{
	char list[256], *p = list;
	const char *s, *last = strrchr(values, '|');

	if (one_of(v, values))
		return;
	for (s = values; *s && p < list + sizeof(list) - 5; s++) {
		if (*s != '|') {
			*p++ = *s;
		} else if (s == last) {
			p = stpcpy(p, " or ");
		} else {
			p = stpcpy(p, ", ");
		}
	}
	*p = 0;
	die(EXIT_USAGE, "%s: unknown %s '%s' (%s)", cmd, what, v, list);
}

static void operand(const struct ana_cmd *c, struct ana_args *a, char *v)
{
	if (c->operand && !a->kind) {
		a->kind = v;
	} else if (!a->file) {
		a->file = v;
	} else {
		usage(stderr, c);
		exit(EXIT_USAGE);
	}
}

static void __attribute__((noreturn)) bad_option(const struct ana_cmd *c,
						 int ch, char **argv)
{
	const struct ana_opt *o = optopt ? opt_of(c, optopt) : NULL;
	char sp[64];

	if (ch == ':')
		die(EXIT_USAGE, "%s: option '%s' needs a value", c->name,
		    spelling(o, sp, sizeof(sp)));
	if (o)	/* --flag=value */
		die(EXIT_USAGE, "%s: option '%s' takes no value", c->name,
		    spelling(o, sp, sizeof(sp)));
	if (optopt)
		die(EXIT_USAGE, "%s: unknown option '-%c'", c->name, optopt);
	die(EXIT_USAGE, "%s: unknown option '%s'", c->name, argv[optind - 1]);
}

/* the one loop: every command's options, operands and checks */
static void parse(const struct ana_cmd *c, int argc, char **argv,
		  struct ana_args *a)
{
	struct option lo[MAX_OPTS + 2];
	char so[3 * MAX_OPTS + 4];
	const struct ana_opt *o;
	int ch;

	memset(a, 0, sizeof(*a));
	a->cmd = c->name;
	tables(c, lo, so);
	/* 0, not 1: glibc starts afresh (the fuzz harness parses often) */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (ch == 1) {
			operand(c, a, optarg);
		} else if (ch == ':' || ch == '?') {
			bad_option(c, ch, argv);
		} else if ((o = opt_of(c, ch)) == &help_opt) {
			help(c);
		} else if (o->arg) {
			*(const char **)((char *)a + o->field) = optarg;
		} else {
			*(int *)((char *)a + o->field) = 1;
		}
	}
	/* after -- */
	for (; optind < argc; optind++)
		operand(c, a, argv[optind]);
	if (c->operand && !a->kind) {
		usage(stderr, c);
		exit(EXIT_USAGE);
	}
	if (c->operand)
		check_value(c->name, c->operand, a->kind, c->operand_values);
	for (o = c->opts; o->help; o++) {
		const char *v;

		/* a value's name is <...>; else arg lists the values */
		if (!o->arg || o->arg[0] == '<')
			continue;
		v = *(const char **)((char *)a + o->field);
		if (v)
			check_value(c->name, o->name ? o->name : "value", v,
				    o->arg);
	}
}

int ana_cli_run(int argc, char **argv)
{
	const struct ana_cmd *c = ana_cmd_find(argv[0]);
	struct ana_args a;

	/* the front end hands over every command it does not know itself
	 * (set CTRACE_FRONTEND): the help to see is then its own */
	if (!c)
		die(EXIT_USAGE, "unknown command '%s' (see %s --help)",
		    argv[0], getenv("CTRACE_FRONTEND") ? "ctrace" :
		    "ctrace-analyze");
	parse(c, argc, argv, &a);
	return c->run(&a);
}
