/*
 * cli.h - the command line of ctrace-analyze: one table of commands,
 * each with a table of its options, and one getopt_long() loop for all.
 *
 * The rules are the same for every command: --opt=v and --opt v (-ov and
 * -o v), options before, between or after the operands, -- ends options,
 * -h or --help prints the command's usage and options.  A bad command line
 * is one line on stderr and EXIT_USAGE: an unknown option, a missing or
 * unexpected value, a value not in an option's list, or one operand too
 * many (then the usage line).  The trace is the last operand; without one
 * ana_args_file() gives ana_default_file(), so that a command checks its
 * own values before it looks for ctrace.out.
 */
#ifndef ANA_CLI_H
#define ANA_CLI_H

#include <stddef.h>

/* what a command line gave; NULL (0) for what it did not */
struct ana_args {
	const char *cmd;	/* the command's name, for messages */
	const char *kind;	/* the operand before <file> (profile's kind) */
	const char *file;	/* <file>: see ana_args_file() */
	const char *out;	/* -o */
	const char *format;	/* --format */
	const char *buckets;	/* --buckets */
	int per_thread;		/* --per-thread */
};

/*
 * An option.  arg names its value in the usage ("<n>") or lists the only
 * values it takes ("perfetto|json", checked here); NULL makes it a flag,
 * whose field is an int set to 1.  Otherwise the field is a const char *.
 */
struct ana_opt {
	const char *name;	/* long name without "--", or NULL */
	char letter;		/* short option, or 0 */
	const char *arg;
	size_t field;		/* offsetof(struct ana_args, ...) */
	const char *help;
};

struct ana_cmd {
	const char *name;
	const char *summary;	/* one line, for the command lists */
	int (*run)(const struct ana_args *a);
	/* a required operand before <file>: its name and its values */
	const char *operand, *operand_values;
	const struct ana_opt *opts;	/* ends with an entry without help */
};

/* every command, in the order the man pages describe them */
extern const struct ana_cmd ana_cmds[];
extern const size_t ana_ncmds;

/* the command called name, or NULL */
const struct ana_cmd *ana_cmd_find(const char *name);

/*
 * ana_cli_run() : parse the command line of the command argv[0] and run
 * it.  Dies with EXIT_USAGE on a bad command line; exits EXIT_OK after -h.
 * @return the command's exit status
 */
int ana_cli_run(int argc, char **argv);

/* <file> as given, else ana_default_file() (which dies without one) */
const char *ana_args_file(const struct ana_args *a);

#endif
