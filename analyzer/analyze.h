/*
 * analyze.h - the subcommands of ctrace-analyze.
 *
 * Each takes its command line as cli.c parsed it and returns the exit
 * status.  Output goes to stdout; errors and warnings to
 * stderr through util/log.h.
 */
#ifndef ANA_ANALYZE_H
#define ANA_ANALYZE_H

#include <stdint.h>

#include "cli.h"

/* the commands of cli.c's table: the parsed command line in, a status out */
int ana_cmd_dump(const struct ana_args *a);
int ana_cmd_info(const struct ana_args *a);
int ana_cmd_export(const struct ana_args *a);	/* export-perfetto.c */
int ana_cmd_html(const struct ana_args *a);	/* html.c */
int ana_cmd_report(const struct ana_args *a);	/* report.c */
int ana_cmd_threads(const struct ana_args *a);	/* threads.c */
int ana_cmd_profile(const struct ana_args *a);	/* profile.c */

/* the trace read when none is named; dies with EXIT_NOFILE if missing */
#define ANA_DEFAULT_FILE "ctrace.out"
const char *ana_default_file(void);

/* names of PROCESS_END.how and LOST.reason, NULL if unknown */
const char *ana_how_name(unsigned how);
const char *ana_reason_name(uint64_t reason);

#endif
