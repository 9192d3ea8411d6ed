/*
 * analyses.c - the analyzer's commands, run on one trace file the way
 * ctrace-analyze runs them, for the trace reader harnesses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>

#include "cli.h"
#include "fuzz.h"
#include "log.h"

#define MAX_ARGS 8

/*
 * Every subcommand and output format that reads STRING, SYMBOL and STACK
 * data (dump prints frames, profiles and timelines name them): issue 11's
 * use-after-free was read through these.  --buckets small forces the
 * aggregating timeline path on a small trace.
 */
static const char *const analyses[][MAX_ARGS] = {
	{ "info" },
	{ "report" },
	{ "threads" },
	{ "profile", "cpu" },
	{ "profile", "sync", "--format", "pprof", "-o", "-" },
	{ "profile", "io", "--format", "folded" },
	{ "profile", "syscall" },
	{ "profile", "sleep", "--format", "pprof", "-o", "-" },
	{ "profile", "wakeup" },
	{ "profile", "heap", "--format", "folded" },
	{ "profile", "leaks", "--format", "pprof", "-o", "-" },
	{ "export", "--format", "perfetto", "-o", "-" },
	{ "export", "--format", "json", "-o", "-" },
	{ "html", "-o", "-" },
	{ "html", "--buckets", "4", "-o", "-" },
	{ "export", "--format", "perfetto", "--buckets", "3", "-o", "-" },
};

#define NANALYSES (sizeof(analyses) / sizeof(analyses[0]))

static void run(const char *const *args, const char *path)
{
	char *argv[MAX_ARGS + 2];
	int argc = 0;

	while (argc < MAX_ARGS && args[argc]) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc++] = (char *)path;
	argv[argc] = NULL;
	/* a status is any of the documented ones: what matters is that
	 * the command returns at all, without a sanitizer's report */
	ana_cli_run(argc, argv);
	fflush(stdout);
}

void fuzz_analyze(const char *path, unsigned sel)
{
	static const char *const dump[MAX_ARGS] = { "dump" };

	run(dump, path);
	run(analyses[sel % NANALYSES], path);
}

const char *fuzz_file(const void *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz-input", 0);
		if (fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) !=
				 (ssize_t)size)) {
		perror("fuzz input");
		abort();
	}
	return path;
}

void fuzz_quiet(void)
{
	int fd = open("/dev/null", O_WRONLY);

	if (fd < 0 || dup2(fd, 1) < 0) {
		perror("/dev/null");
		abort();
	}
	close(fd);
}
