/*
 * untraced.c - processes that ran but never reached the collector, and why.
 *
 * LD_PRELOAD works only through the dynamic loader, and the loader
 * ignores it in secure-execution mode; a process that became another
 * user cannot reach the collector's private directory, nor would the
 * collector take it.  When `ctrace record`'s command never connected,
 * the collector says which of these it is, instead of leaving the user
 * with an empty trace and no word; and every traced process's fork child
 * or exec'ed image that is missing gets an UNTRACED record saying why.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "col.h"
#include "file.h"
#include "log.h"

/* the file execvp() ran for name, into buf; NULL if none is found */
static const char *resolve(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH"), *end;
	size_t n;

	if (strchr(name, '/'))
		return name;
	for (path = path ? path : "/usr/bin:/bin"; *path; path = end + !!*end) {
		end = strchrnul(path, ':');
		n = end - path;
		if (snprintf(buf, size, "%.*s/%s", (int)n, n ? path : ".",
			     name) < (int)size && access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

/* 1 an ELF file without a program interpreter, 0 another file, -1 unread */
static int is_static(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC), r = -1;
	size_t i, n;
	GElf_Phdr ph;
	Elf *e;

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (e && elf_kind(e) == ELF_K_ELF && elf_getphdrnum(e, &n) == 0) {
		r = 1;
		for (i = 0; i < n; i++)
			if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_INTERP)
				r = 0;
	} else if (e) {
		r = 0;		/* a script: its interpreter is traced */
	}
	elf_end(e);
	close(fd);
	return r;
}

/* why the loader would have ignored LD_PRELOAD for file: FMT_WHY_* */
static unsigned why_code(const char *file)
{
	struct stat st;

	if (stat(file, &st) < 0)
		return FMT_WHY_UNKNOWN;
	if (is_static(file) == 1)
		return FMT_WHY_STATIC;
	/* secure execution: the loader ignores LD_PRELOAD */
	if ((st.st_mode & S_ISUID) && st.st_uid != getuid())
		return FMT_WHY_SETUID;
	if ((st.st_mode & S_ISGID) && st.st_gid != getgid())
		return FMT_WHY_SETGID;
	if (getxattr(file, "security.capability", NULL, 0) > 0)
		return FMT_WHY_CAPS;
	return FMT_WHY_UNKNOWN;
}

static const char *why(const char *file)
{
	switch (why_code(file)) {
	case FMT_WHY_STATIC:
		return "it is statically linked (LD_PRELOAD needs the "
		       "dynamic loader)";
	case FMT_WHY_SETUID:
		return "it is setuid (the loader ignores LD_PRELOAD for it)";
	case FMT_WHY_SETGID:
		return "it is setgid (the loader ignores LD_PRELOAD for it)";
	case FMT_WHY_CAPS:
		return "it has file capabilities (the loader ignores "
		       "LD_PRELOAD for it)";
	}
	return NULL;
}

void col_explain_untraced(const char *cmd)
{
	char buf[PATH_MAX];
	const char *file = resolve(cmd, buf, sizeof(buf));
	const char *reason = file ? why(file) : NULL;

	if (reason)
		warn_msg("nothing was traced: %s: %s", file, reason);
	else
		warn_msg("nothing was traced: %s never reached the collector "
			 "(its loader ignored LD_PRELOAD, or it cleared its "
			 "environment before running anything traced)", cmd);
}

/* number nth (from 0) of a line of /proc/pid/status ("PPid:", "Uid:",
 * whose second number is the effective uid), or -1 */
static long status_field(pid_t pid, const char *key, int nth)
{
	char path[64], line[256], *p, *end;
	size_t n = strlen(key);
	long v = -1;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, n))
			continue;
		for (p = line + n, i = 0; i <= nth; i++, p = end) {
			v = strtol(p, &end, 10);
			if (end == p) {
				v = -1;
				break;
			}
		}
		break;
	}
	fclose(f);
	return v;
}

/* 1 if pid's environment (as exec gave it) has an LD_PRELOAD, 0 if not,
 * -1 if it cannot be read */
static int has_preload(pid_t pid)
{
	char path[64], buf[65536];
	size_t n, i;
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = 0;
	for (;;) {
		ssize_t k = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (k <= 0)
			break;
		n += k;
	}
	close(fd);
	buf[n] = 0;
	for (i = 0; i < n; i += strlen(buf + i) + 1)
		if (!strncmp(buf + i, "LD_PRELOAD=", 11) && buf[i + 11])
			r = 1;
	/* a full buffer may hide it further on: say nothing then */
	return n == sizeof(buf) - 1 && !r ? -1 : r;
}

/* the UNTRACED record, with the program's status when status is set, of
 * time ts (0: now) */
static void put_untraced(pid_t pid, pid_t ppid, unsigned how,
			 unsigned reason, int err, const char *path,
			 const int *status, uint64_t ts)
{
	struct fmt_untraced u = { 0 };
	struct fmt_buf b = { 0 };
	char exe[PATH_MAX], link[64];
	ssize_t n;

	if (!path) {
		snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
		n = readlink(link, exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = 0;
		path = exe;
	}
	if (ppid < 0)
		ppid = (pid_t)status_field(pid, "PPid:", 0);
	u.pid = (uint64_t)pid;
	u.ppid = ppid > 0 ? (uint64_t)ppid : 0;
	u.ts = ts ? ts : col_now();
	u.how = how;
	u.reason = reason;
	u.err = err > 0 ? (uint64_t)err : 0;
	u.path = path;
	u.path_len = strlen(path);
	u.has_status = status != NULL;
	u.status = status ? (uint64_t)(unsigned)*status : 0;
	fmt_put_untraced(&b, &u);
	col_write(FMT_REC_UNTRACED, &b);
	fmt_buf_free(&b);
	col_counts.nuntraced++;
}

void col_untraced(pid_t pid, pid_t ppid, unsigned how, unsigned reason,
		  int err, const char *path)
{
	put_untraced(pid, ppid, how, reason, err, path, NULL, 0);
}

/* the root's record, judged while it ran, held for the status its end
 * gives (col_untraced_release()) */
static struct {
	int held;
	pid_t pid, ppid;
	unsigned reason;
	uint64_t ts;
	char path[PATH_MAX];
} root_rec;

static void exec_untraced(pid_t pid, pid_t ppid, unsigned reason,
			  const char *path, int hold)
{
	if (!hold) {
		col_untraced(pid, ppid, FMT_UNTR_EXEC, reason, 0, path);
		return;
	}
	root_rec.held = 1;
	root_rec.pid = pid;
	root_rec.ppid = ppid;
	root_rec.reason = reason;
	root_rec.ts = col_now();
	snprintf(root_rec.path, sizeof(root_rec.path), "%s", path);
}

void col_untraced_release(const int *status)
{
	if (!root_rec.held)
		return;
	root_rec.held = 0;
	put_untraced(root_rec.pid, root_rec.ppid, FMT_UNTR_EXEC,
		     root_rec.reason, 0, root_rec.path, status, root_rec.ts);
}

int col_untraced_exec(pid_t pid, int hold)
{
	char exe[PATH_MAX], link[64];
	unsigned reason;
	long euid;
	ssize_t n;

	/* exec replaced the executable before it closed our descriptor;
	 * a process on its way out has no executable any more */
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0 && errno == EACCES) {
		/* not ours to look at: it runs with other credentials */
		exec_untraced(pid, (pid_t)status_field(pid, "PPid:", 0),
			      FMT_WHY_UID, "", hold);
		return 1;
	}
	if (n <= 0)
		return 0;
	exe[n] = 0;
	reason = why_code(exe);
	euid = status_field(pid, "Uid:", 1);
	if (reason == FMT_WHY_UNKNOWN && euid >= 0 && euid != (long)geteuid())
		reason = FMT_WHY_UID;
	if (reason == FMT_WHY_UNKNOWN && has_preload(pid) == 0)
		reason = FMT_WHY_NOPRELOAD;
	if (reason == FMT_WHY_UNKNOWN)
		return 0;
	exec_untraced(pid, (pid_t)status_field(pid, "PPid:", 0), reason, exe,
		      hold);
	return 1;
}

void col_untraced_dead(pid_t pid, const char *path, const int *status)
{
	char buf[PATH_MAX];
	const char *file = *path ? resolve(path, buf, sizeof(buf)) : NULL;

	put_untraced(pid, 0, FMT_UNTR_EXEC,
		     file ? why_code(file) : FMT_WHY_UNKNOWN, 0,
		     file ? file : path, status, 0);
}
