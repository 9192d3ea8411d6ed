/*
 * outfile.c - outputs made with mode 0600, never through a link.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

/* tmp = "<dir of path>/.<base of path>.XXXXXX"; -1 if too long */
static int tmp_name(const char *path, char *tmp, size_t size)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	int n = snprintf(tmp, size, "%.*s.%s.XXXXXX", dirlen, path,
			 slash ? slash + 1 : path);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* an existing file or link at path: replace it with a new file */
static int replace(const char *path)
{
	char tmp[PATH_MAX];
	int fd, e;

	if (tmp_name(path, tmp, sizeof(tmp))) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);		/* mode 0600 */
	if (fd < 0)
		return -1;
	if (rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int out_create(const char *path)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISLNK(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			return -1;
		}
		return open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd >= 0 || errno != EEXIST)
		return fd;
	return replace(path);
}

FILE *out_fopen(const char *path)
{
	int fd = out_create(path), e;
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		close(fd);
		errno = e;
	}
	return f;
}
