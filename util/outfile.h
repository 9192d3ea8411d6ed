/*
 * outfile.h - creating the files ctrace writes (traces, reports, exports).
 *
 * A trace holds a program's command lines, paths and timings: it is made
 * with mode 0600, and neither a symbolic link planted at its path nor an
 * older file there (with its older mode) decides where it goes or who may
 * read it.  The collector and the analyzer create every output this way.
 */
#ifndef CTRACE_OUTFILE_H
#define CTRACE_OUTFILE_H

#include <stdio.h>

/*
 * out_create() : a descriptor for writing path, close-on-exec.
 *   - nothing there: a new file, mode 0600 (O_EXCL, never through a link);
 *   - a file or a symbolic link: a new 0600 file made beside it and
 *     renamed over it, so the link itself is replaced and what it pointed
 *     to is left alone;
 *   - a device, pipe or socket (/dev/null, a fifo): opened and written.
 * @return the descriptor, or -1 with errno set
 */
int out_create(const char *path);

/* out_fopen() : out_create() as a stdio stream; NULL with errno set */
FILE *out_fopen(const char *path);

#endif
