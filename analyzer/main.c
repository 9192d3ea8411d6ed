/*
 * main.c - ctrace-analyze: read a trace, print what it shows.
 *
 *   ctrace-analyze <command> [<file>]
 *
 * One function per subcommand (analyze.h), each in its own file.  With no
 * file the trace is ctrace.out, as `ctrace record` writes by default (and
 * `perf report` reads perf.data).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "file.h"
#include "log.h"
#include "wire.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "dump", ana_cmd_dump, "every event, one stable line each" },
	{ "report", ana_cmd_report,
	  "one screen: time split, blocking sites, locks, heap, parallelism" },
	{ "threads", ana_cmd_threads,
	  "time per state, threads grouped by start routine" },
	{ "profile", ana_cmd_profile,
	  "time or bytes by stack: sync io syscall sleep wakeup heap leaks" },
	{ "info", ana_cmd_info,
	  "header, processes, threads, event counts, lost events, integrity" },
	{ "export", ana_cmd_export,
	  "timeline for ui.perfetto.dev (perfetto) or chrome://tracing (json)" },
	{ "html", ana_cmd_html,
	  "one self-contained page: timeline, flame graphs, thread table" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ctrace-analyze <command> [<file>]\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-7s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n<file> is a trace written by ctrace record or "
		"ctrace collect, or - for stdin;\nwithout one, "
		ANA_DEFAULT_FILE " is read\n");
}

const char *ana_default_file(void)
{
	if (access(ANA_DEFAULT_FILE, F_OK))
		die(EXIT_NOFILE, "no trace file given and no "
		    ANA_DEFAULT_FILE " here (run ctrace record first)");
	return ANA_DEFAULT_FILE;
}

const char *ana_file_arg(int argc, char **argv)
{
	int i = 1, dashdash = 0;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: ctrace-analyze %s [<file>]\n", argv[0]);
		exit(EXIT_OK);
	}
	if (i < argc && !strcmp(argv[i], "--")) {
		i++;
		dashdash = 1;
	}
	if (i < argc && !dashdash && argv[i][0] == '-' && argv[i][1])
		die(EXIT_USAGE, "%s: unknown option '%s'", argv[0], argv[i]);
	if (argc - i > 1) {
		fprintf(stderr, "usage: ctrace-analyze %s [<file>]\n", argv[0]);
		exit(EXIT_USAGE);
	}
	return i < argc ? argv[i] : ana_default_file();
}

const char *ana_how_name(unsigned how)
{
	static const char *const names[] = {
		[FMT_PEND_EXIT] = "exit",
		[FMT_PEND__EXIT] = "_exit",
		[FMT_PEND_WAIT] = "wait",
		[FMT_PEND_VANISHED] = "vanished",
		[FMT_PEND_EXEC] = "exec",
		[FMT_PEND_CUT] = "cut",
	};

	return how < sizeof(names) / sizeof(names[0]) ? names[how] : NULL;
}

const char *ana_reason_name(uint64_t reason)
{
	static const char *const names[] = {
		[FMT_LOST_FULL] = "full",
		[FMT_LOST_SEND] = "send",
		[FMT_LOST_REENTRY] = "reentry",
		[FMT_LOST_EXITING] = "exiting",
		[FMT_LOST_BAD] = "bad",
		[FMT_LOST_KILLED] = "killed",
	};

	return reason < sizeof(names) / sizeof(names[0]) ?
	       names[reason] : NULL;
}

int main(int argc, char **argv)
{
	int status;
	size_t i;

	/* one name in every message, whichever program the front end ran */
	log_prog = "ctrace";
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			break;
	if (i == NCOMMANDS)
		die(EXIT_USAGE, "unknown command '%s' (see ctrace-analyze "
		    "--help)", argv[1]);
	status = commands[i].run(argc - 1, argv + 1);
	if (fflush(stdout) || ferror(stdout))
		die(EXIT_OUTPUT, "cannot write output: %s", strerror(errno));
	return status;
}
