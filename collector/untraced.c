/*
 * untraced.c - why `ctrace record` saw nothing of its command.
 *
 * LD_PRELOAD works only through the dynamic loader, and the loader
 * ignores it in secure-execution mode.  When the command never
 * connected, the collector says which of these it is, instead of
 * leaving the user with an empty trace and no word.
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

/* why the loader would have ignored LD_PRELOAD for file, or NULL */
static const char *why(const char *file)
{
	struct stat st;

	if (stat(file, &st) < 0)
		return NULL;
	if (is_static(file) == 1)
		return "it is statically linked (LD_PRELOAD needs the "
		       "dynamic loader)";
	/* secure execution: the loader ignores LD_PRELOAD */
	if ((st.st_mode & S_ISUID) && st.st_uid != getuid())
		return "it is setuid (the loader ignores LD_PRELOAD for it)";
	if ((st.st_mode & S_ISGID) && st.st_gid != getgid())
		return "it is setgid (the loader ignores LD_PRELOAD for it)";
	if (getxattr(file, "security.capability", NULL, 0) > 0)
		return "it has file capabilities (the loader ignores "
		       "LD_PRELOAD for it)";
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
