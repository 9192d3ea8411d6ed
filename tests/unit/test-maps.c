/*
 * test-maps.c - util/maps.c, the one parser of /proc/PID/maps, on a
 * fixed text with the odd lines a real process has: anonymous memory
 * (a trailing space and no path), [heap], [stack], [vdso], a path with
 * spaces, files unlinked since mapped, " (deleted)" that is not at the
 * end, a line that is not a maps line, no newline at the end; then on
 * the test's own maps.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"
#include "tap.h"

static const char text[] =
	"55d4c3a00000-55d4c3a02000 r--p 00000000 fd:01 1311023"
	"                    /usr/bin/cat\n"
	"55d4c3a02000-55d4c3a07000 r-xp 00002000 fd:01 1311023"
	"                    /usr/bin/cat\n"
	"55d4c4a3e000-55d4c4a5f000 rw-p 00000000 00:00 0"
	"                          [heap]\n"
	"7f0a1c000000-7f0a1c021000 rw-p 00000000 00:00 0 \n"
	"7f0a1d200000-7f0a1d228000 r-xp 00028000 08:02 4294967297"
	" /tmp/my lib/lib sp.so (deleted)\n"
	"7f0a1d300000-7f0a1d301000 r-xp 00000000 00:05 1024"
	"  /memfd:jit (deleted)\n"
	"7f0a1d400000-7f0a1d401000 r--p 00000000 08:02 43"
	"   /tmp/ (deleted)/x.so\n"
	"7f0a1d500000-7f0a1d501000 r--p 00000000 08:02 44"
	"   /tmp/odd (deleted) (deleted)\n"
	"not a maps line\n"
	"\n"
	"7ffd5a1f0000-7ffd5a211000 rw-p 00000000 00:00 0"
	"                          [stack]\n"
	"7ffd5a3e0000-7ffd5a3e2000 r-xp 00000000 00:00 0"
	"                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
	"                  [vsyscall]\n"
	"7f0a1d600000-7f0a1d601000 r--p 00001000 08:02 45 /no/newline";

struct want {
	uint64_t lo, hi, off;
	const char *perms;
	unsigned maj, min;
	uint64_t ino;
	const char *path;
	size_t pathlen;
	int deleted;
};

static const struct want want[] = {
	{ 0x55d4c3a00000, 0x55d4c3a02000, 0, "r--p", 0xfd, 1, 1311023,
	  "/usr/bin/cat", 12, 0 },
	{ 0x55d4c3a02000, 0x55d4c3a07000, 0x2000, "r-xp", 0xfd, 1, 1311023,
	  "/usr/bin/cat", 12, 0 },
	{ 0x55d4c4a3e000, 0x55d4c4a5f000, 0, "rw-p", 0, 0, 0, "[heap]", 6,
	  0 },
	{ 0x7f0a1c000000, 0x7f0a1c021000, 0, "rw-p", 0, 0, 0, "", 0, 0 },
	{ 0x7f0a1d200000, 0x7f0a1d228000, 0x28000, "r-xp", 8, 2,
	  4294967297ull, "/tmp/my lib/lib sp.so (deleted)", 21, 1 },
	{ 0x7f0a1d300000, 0x7f0a1d301000, 0, "r-xp", 0, 5, 1024,
	  "/memfd:jit (deleted)", 10, 1 },
	{ 0x7f0a1d400000, 0x7f0a1d401000, 0, "r--p", 8, 2, 43,
	  "/tmp/ (deleted)/x.so", 20, 0 },
	{ 0x7f0a1d500000, 0x7f0a1d501000, 0, "r--p", 8, 2, 44,
	  "/tmp/odd (deleted) (deleted)", 18, 1 },
	{ 0x7ffd5a1f0000, 0x7ffd5a211000, 0, "rw-p", 0, 0, 0, "[stack]", 7,
	  0 },
	{ 0x7ffd5a3e0000, 0x7ffd5a3e2000, 0, "r-xp", 0, 0, 0, "[vdso]", 6,
	  0 },
	{ 0xffffffffff600000, 0xffffffffff601000, 0, "--xp", 0, 0, 0,
	  "[vsyscall]", 10, 0 },
	{ 0x7f0a1d600000, 0x7f0a1d601000, 0x1000, "r--p", 8, 2, 45,
	  "/no/newline", 11, 0 },
};

#define NWANT	(sizeof(want) / sizeof(want[0]))

static int same(const struct maps_line *l, const struct want *w)
{
	return l->lo == w->lo && l->hi == w->hi && l->off == w->off &&
	       !strcmp(l->perms, w->perms) && l->maj == w->maj &&
	       l->min == w->min && l->ino == w->ino &&
	       !strcmp(l->path, w->path) && l->pathlen == w->pathlen &&
	       l->deleted == w->deleted;
}

static void test_text(void)
{
	char *buf = strdup(text), *cur = buf;
	struct maps_line l;
	size_t n = 0;

	while (maps_next(&cur, &l)) {
		ok(n < NWANT && same(&l, &want[n]), "line %zu: %s", n + 1,
		   n >= NWANT ? "(one too many)" :
		   *want[n].path ? want[n].path : "(anonymous)");
		n++;
	}
	ok(n == NWANT, "%zu lines parsed, the two odd ones skipped (%zu)",
	   NWANT, n);
	ok(!maps_next(&cur, &l), "the end stays the end");
	free(buf);
}

static void test_line(void)
{
	char a[] = "1000-2000 r-xp 00000000 08:01 7 /bin/x\n";
	char b[] = "1000-2000 r-xp 00000000 08:01 7 \n";
	char c[] = "1000-2000 r-xp 00000000 08:01";
	char d[] = "1000-2000 r-xp zz 08:01 7 /bin/x\n";
	struct maps_line l;

	ok(!maps_parse(a, &l) && !strcmp(l.path, "/bin/x") &&
	   !strchr(a, '\n'), "one line: its newline is cut");
	ok(!maps_parse(b, &l) && !strcmp(l.path, "") && l.ino == 7,
	   "one anonymous line as fgets gives it");
	ok(maps_parse(c, &l) == -1, "a line cut before the inode is refused");
	ok(maps_parse(d, &l) == -1, "a line with a bad offset is refused");
}

/* the test's own maps: the real thing, whatever the kernel writes */
static void test_self(void)
{
	char exe[PATH_MAX], *buf, *cur;
	struct maps_line l;
	int exe_x = 0, stack = 0, n;
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[k > 0 ? k : 0] = 0;
	buf = cur = maps_read(getpid());
	ok(buf != NULL, "maps_read of this process");
	while (buf && maps_next(&cur, &l)) {
		exe_x |= !strcmp(l.path, exe) && strchr(l.perms, 'x') &&
			 l.lo < (uintptr_t)test_self &&
			 (uintptr_t)test_self < l.hi;
		stack |= !strcmp(l.path, "[stack]");
	}
	ok(exe_x, "the code of this test is in an executable mapping of %s",
	   exe);
	ok(stack, "the main thread's [stack] is there");
	free(buf);
	for (n = 0; n < 3 && !maps_read(INT_MAX - n); n++)
		;
	ok(n == 3, "maps_read of a process that does not exist is NULL");
}

int main(void)
{
	test_text();
	test_line();
	test_self();
	return tap_done();
}
