/*
 * analyze.h - the subcommands of ctrace-analyze.
 *
 * Each takes the arguments after its name (argv[0] is the subcommand) and
 * returns the exit status.  Output goes to stdout; errors and warnings to
 * stderr through util/log.h.
 */
#ifndef ANA_ANALYZE_H
#define ANA_ANALYZE_H

#include <stdint.h>

int ana_cmd_dump(int argc, char **argv);
int ana_cmd_info(int argc, char **argv);
int ana_cmd_export(int argc, char **argv);	/* export-perfetto.c */
int ana_cmd_html(int argc, char **argv);	/* html.c */
int ana_cmd_report(int argc, char **argv);	/* report.c */
int ana_cmd_threads(int argc, char **argv);	/* threads.c */
int ana_cmd_profile(int argc, char **argv);	/* profile.c */

/*
 * ana_file_arg() : the one trace file argument of a subcommand whose
 * usage is "<cmd> [<file>]" (none: ana_default_file()); dies with
 * EXIT_USAGE otherwise.
 */
const char *ana_file_arg(int argc, char **argv);

/* the trace read when none is named; dies with EXIT_NOFILE if missing */
#define ANA_DEFAULT_FILE "ctrace.out"
const char *ana_default_file(void);

/* names of PROCESS_END.how and LOST.reason, NULL if unknown */
const char *ana_how_name(unsigned how);
const char *ana_reason_name(uint64_t reason);

#endif
