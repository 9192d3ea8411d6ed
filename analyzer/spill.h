/*
 * spill.h - sort more fixed-size records than memory should hold.
 *
 * The exporters replay the heap and on-CPU counters in time order, but a
 * trace gives their changes in file order (a free may be read before its
 * malloc), one or two per event.  Records are added to a run of at most
 * SPILL_RUN_BYTES; a full run is sorted and written to an unlinked file
 * in $TMPDIR (or /tmp), and reading merges the runs.  Memory is then one
 * run and a small buffer per run written, whatever the trace's length.
 * A set that fits one run never touches the disk.
 */
#ifndef ANA_SPILL_H
#define ANA_SPILL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct spill_run;

struct ana_spill {
	size_t size;				/* bytes per record */
	int (*cmp)(const void *, const void *);	/* a total order */
	uint8_t *buf;				/* the run being filled */
	size_t n, cap, max;			/* max: records per run */
	uint64_t count;				/* records added */
	int fd;					/* -1 until a run is written */
	uint64_t off;				/* bytes written to fd */
	struct spill_run *runs;
	size_t nruns;
	size_t *heap, nheap;			/* merge: runs by head */
	size_t pos;				/* in buf, when not spilled */
};

void ana_spill_init(struct ana_spill *s, size_t size,
		    int (*cmp)(const void *, const void *));
void ana_spill_add(struct ana_spill *s, const void *rec);

/* done adding: ana_spill_next() then gives the records in order */
void ana_spill_sort(struct ana_spill *s);

/* @return the next record (valid until the next call), or NULL */
const void *ana_spill_next(struct ana_spill *s);

void ana_spill_free(struct ana_spill *s);

#endif
