/*
 * maps.h - the one parser of /proc/PID/maps text for the programs.
 *
 * A line is "lo-hi perms offset major:minor inode   path"; the path is
 * what follows the inode and its padding, spaces and all, and is empty
 * for an anonymous mapping.  The kernel appends " (deleted)" to a file
 * unlinked since it was mapped.  The preload reads its own maps without
 * allocating, in preload/modules.c.
 */
#ifndef CTRACE_MAPS_H
#define CTRACE_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAPS_DELETED	" (deleted)"

struct maps_line {
	uint64_t lo, hi, off;
	unsigned maj, min;
	uint64_t ino;
	char perms[8];
	char *path;		/* in the line, "" for anonymous memory */
	size_t pathlen;		/* without the " (deleted)" */
	int deleted;		/* the path ends in " (deleted)" */
};

/*
 * maps_parse() : one line, cut at its newline (the newline is replaced
 * by a NUL).  @return 0, or -1 when it is not a maps line.
 */
int maps_parse(char *s, struct maps_line *l);

/*
 * maps_next() : the next line of maps text at *cur that parses, cutting
 * the text at its newline and moving *cur past it.  Lines that do not
 * parse are skipped.  @return 1, or 0 at the end of the text.
 */
int maps_next(char **cur, struct maps_line *l);

/* maps_read() : /proc/PID/maps as one NUL-terminated text, or NULL */
char *maps_read(pid_t pid);

#endif
