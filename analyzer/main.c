/*
 * main.c - ctrace-analyze: read a trace, print what it shows.
 *
 *   ctrace-analyze <command> [<options>] [<file>]
 *
 * One function per subcommand (analyze.h), each in its own file; cli.c
 * has their table and reads their options.  With no file the trace is
 * ctrace.out, as `ctrace record` writes by default (and `perf report`
 * reads perf.data).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "file.h"
#include "log.h"
#include "version.h"
#include "wire.h"

/* the commands and what they do, from cli.c's table */
static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ctrace-analyze <command> [<options>] [<file>]\n"
		"   or: ctrace-analyze --list-commands | --version\n\n"
		"commands:\n");
	for (i = 0; i < ana_ncmds; i++)
		fprintf(f, "  %-9s %s\n", ana_cmds[i].name,
			ana_cmds[i].summary);
	fprintf(f, "\n<file> is a trace written by ctrace record or "
		"ctrace collect, or - for stdin;\nwithout one, "
		ANA_DEFAULT_FILE " is read.\n"
		"ctrace-analyze <command> -h lists the options of <command>.\n");
}

/* name<TAB>summary a line: the front end's list of analyses */
static void list_commands(void)
{
	size_t i;

	for (i = 0; i < ana_ncmds; i++)
		printf("%s\t%s\n", ana_cmds[i].name, ana_cmds[i].summary);
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
	const char *a1 = argc > 1 ? argv[1] : NULL;
	int status = EXIT_OK;

	/* one name in every message, whichever program the front end ran */
	log_prog = "ctrace";
	if (!a1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(a1, "-h") || !strcmp(a1, "--help"))
		usage(stdout);
	else if (!strcmp(a1, "--version"))
		puts(CTRACE_VERSION_LINE);
	else if (!strcmp(a1, "--list-commands"))
		list_commands();
	else if (a1[0] == '-')
		die(EXIT_USAGE, "unknown option '%s' (see ctrace-analyze "
		    "--help)", a1);
	else
		status = ana_cli_run(argc - 1, argv + 1);
	if (fflush(stdout) || ferror(stdout))
		die(EXIT_OUTPUT, "cannot write output: %s", strerror(errno));
	return status;
}
