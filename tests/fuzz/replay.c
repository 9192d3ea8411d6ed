/*
 * replay.c - feed saved fuzz inputs to one harness, each in a child
 * process, and print TAP: "ok N - file" when it returned, "not ok" when
 * the child died (a sanitizer's report, abort, a signal) or exited.
 *
 *   replay-<harness> FILE|DIR...
 *
 * Built with gcc's ASan and UBSan, -fno-sanitize-recover=all, so any
 * report ends the child with a failure (tests/run.sh counts the lines).
 * A child's stderr (the analyzer's warnings about the damaged traces it
 * is fed) is shown, as TAP comments, only when it failed.  A child still
 * running after HANG_SECONDS is a hang (an input that made `ctrace
 * report` print bars for minutes is one): every input takes well under
 * a second, so the margin is wide, not a measure of speed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#define HANG_SECONDS	60

static int ntests, nfailed;

static int slurp(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0, k;
	uint8_t *p = malloc(cap);

	if (!f || !p)
		return -1;
	while ((k = fread(p + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap && !(p = realloc(p, cap *= 2)))
			return -1;
	}
	fclose(f);
	*data = p;
	*size = n;
	return 0;
}

/* what the failed child said, as TAP comments */
static void show(int fd)
{
	char buf[8192], *p, *nl;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return;
	buf[n] = 0;
	for (p = buf; *p; p = nl + 1) {
		nl = strchrnul(p, '\n');
		printf("# %.*s\n", (int)(nl - p), p);
		if (!*nl)
			break;
	}
}

static void one(const char *path)
{
	uint8_t *data;
	size_t size;
	pid_t pid;
	int st = 0, err;

	ntests++;
	fflush(stdout);
	err = memfd_create("replay-stderr", 0);
	pid = fork();
	if (pid == 0) {
		if (err >= 0)
			dup2(err, 2);
		alarm(HANG_SECONDS);
		if (slurp(path, &data, &size)) {
			perror(path);
			_exit(100);
		}
		LLVMFuzzerInitialize(NULL, NULL);
		LLVMFuzzerTestOneInput(data, size);
		free(data);
		/* exit, not _exit: LeakSanitizer checks here */
		exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st)) {
		nfailed++;
		printf("not ok %d - %s (status 0x%x)\n", ntests, path, st);
		show(err);
	} else {
		printf("ok %d - %s\n", ntests, path);
	}
	close(err);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void walk(const char *path)
{
	struct dirent **ents;
	struct stat s;
	char *sub;
	int n, i;

	if (stat(path, &s) || !S_ISDIR(s.st_mode)) {
		one(path);
		return;
	}
	n = scandir(path, &ents, NULL, by_name);
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' &&
		    asprintf(&sub, "%s/%s", path, ents[i]->d_name) > 0) {
			walk(sub);
			free(sub);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		walk(argv[i]);
	printf("1..%d\n", ntests);
	return nfailed != 0;
}
