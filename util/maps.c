/*
 * maps.c - /proc/PID/maps: reading it whole, and parsing its lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "maps.h"

int maps_parse(char *s, struct maps_line *l)
{
	unsigned long lo, hi, off, ino;
	size_t dl = strlen(MAPS_DELETED);
	int pos = 0;

	if (sscanf(s, "%lx-%lx %7s %lx %x:%x %lu %n", &lo, &hi, l->perms,
		   &off, &l->maj, &l->min, &ino, &pos) < 7 || !pos)
		return -1;
	l->lo = lo;
	l->hi = hi;
	l->off = off;
	l->ino = ino;
	l->path = s + pos;
	l->path[strcspn(l->path, "\n")] = 0;
	l->pathlen = strlen(l->path);
	/* a file named " (deleted)" alone is not a deleted file */
	l->deleted = l->pathlen > dl &&
		     !strcmp(l->path + l->pathlen - dl, MAPS_DELETED);
	if (l->deleted)
		l->pathlen -= dl;
	return 0;
}

int maps_next(char **cur, struct maps_line *l)
{
	char *s, *nl;

	while ((s = *cur) && *s) {
		nl = strchr(s, '\n');
		if (nl)
			*nl++ = 0;
		*cur = nl;
		if (!maps_parse(s, l))
			return 1;
	}
	return 0;
}

/* a proc file has no size to ask for: read until the end */
char *maps_read(pid_t pid)
{
	size_t len = 0, cap = 16384;
	char path[64], *buf;
	ssize_t k;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = xmalloc(cap);
	for (;;) {
		if (cap - len < 4096)
			buf = xrealloc(buf, cap *= 2);
		k = read(fd, buf + len, cap - len - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += k;
	}
	close(fd);
	buf[len] = 0;
	return buf;
}
