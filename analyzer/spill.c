/*
 * spill.c - external merge sort of fixed-size records (see spill.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "log.h"
#include "spill.h"

/* one run in memory: 16 MB, about a million heap changes */
#define SPILL_RUN_BYTES	(16u << 20)
/* what a written run reads back at a time: 1000 runs (16 GB of
 * records) still merge in 16 MB */
#define SPILL_READ_BYTES	(16u << 10)

struct spill_run {
	uint64_t off, left;		/* in the file: next record, count */
	uint8_t *buf;
	size_t n, i;			/* records in buf, the head's index */
};

void ana_spill_init(struct ana_spill *s, size_t size,
		    int (*cmp)(const void *, const void *))
{
	memset(s, 0, sizeof(*s));
	s->size = size;
	s->cmp = cmp;
	s->max = SPILL_RUN_BYTES / size;
	s->fd = -1;
}

static void spill_file(struct ana_spill *s)
{
	const char *dir = getenv("TMPDIR");
	char *path;

	if (!dir || !*dir)
		dir = "/tmp";
	path = xmalloc(strlen(dir) + 32);
	sprintf(path, "%s/ctrace-spill-XXXXXX", dir);
	s->fd = mkstemp(path);
	if (s->fd < 0)
		die(EXIT_OUTPUT, "cannot create a temporary file in %s: %s",
		    dir, strerror(errno));
	unlink(path);		/* gone when we are */
	free(path);
}

/* the full run, sorted, to the end of the file */
static void spill_run(struct ana_spill *s)
{
	size_t len = s->n * s->size, done = 0;
	struct spill_run *r;
	ssize_t k;

	if (s->fd < 0)
		spill_file(s);
	qsort(s->buf, s->n, s->size, s->cmp);
	while (done < len) {
		k = pwrite(s->fd, s->buf + done, len - done, s->off + done);
		if (k <= 0)
			die(EXIT_OUTPUT, "cannot write a temporary file: %s",
			    k < 0 ? strerror(errno) : "disk full");
		done += k;
	}
	s->runs = xrealloc(s->runs, (s->nruns + 1) * sizeof(*s->runs));
	r = &s->runs[s->nruns++];
	memset(r, 0, sizeof(*r));
	r->off = s->off;
	r->left = s->n;
	s->off += len;
	s->n = 0;
}

void ana_spill_add(struct ana_spill *s, const void *rec)
{
	if (s->n == s->max)
		spill_run(s);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		if (s->cap > s->max)
			s->cap = s->max;
		s->buf = xrealloc(s->buf, s->cap * s->size);
	}
	memcpy(s->buf + s->n++ * s->size, rec, s->size);
	s->count++;
}

/* refill r's buffer; @return 0 when the run is used up */
static int run_fill(struct ana_spill *s, struct spill_run *r)
{
	size_t want, len, done = 0;
	ssize_t k;

	if (r->i < r->n)
		return 1;
	if (!r->left)
		return 0;
	want = SPILL_READ_BYTES / s->size;
	if (!want)
		want = 1;
	if (want > r->left)
		want = r->left;
	if (!r->buf)
		r->buf = xmalloc((SPILL_READ_BYTES / s->size + 1) * s->size);
	len = want * s->size;
	while (done < len) {
		k = pread(s->fd, r->buf + done, len - done, r->off + done);
		if (k <= 0)
			die(EXIT_FAIL, "cannot read a temporary file: %s",
			    k < 0 ? strerror(errno) : "cut short");
		done += k;
	}
	r->off += len;
	r->left -= want;
	r->n = want;
	r->i = 0;
	return 1;
}

static const void *head(const struct ana_spill *s, size_t run)
{
	const struct spill_run *r = &s->runs[run];

	return r->buf + r->i * s->size;
}

/* ties: the earlier run first, so equal records keep their order */
static int less(const struct ana_spill *s, size_t a, size_t b)
{
	int c = s->cmp(head(s, a), head(s, b));

	return c < 0 || (c == 0 && a < b);
}

static void sift_down(struct ana_spill *s, size_t i)
{
	size_t *h = s->heap, m, t;

	for (;;) {
		m = i;
		if (2 * i + 1 < s->nheap && less(s, h[2 * i + 1], h[m]))
			m = 2 * i + 1;
		if (2 * i + 2 < s->nheap && less(s, h[2 * i + 2], h[m]))
			m = 2 * i + 2;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

void ana_spill_sort(struct ana_spill *s)
{
	size_t i;

	s->pos = 0;
	if (s->fd < 0) {
		if (s->n)
			qsort(s->buf, s->n, s->size, s->cmp);
		return;
	}
	if (s->n)
		spill_run(s);
	free(s->buf);		/* the runs are all on disk now */
	s->buf = NULL;
	s->cap = 0;
	s->heap = xmalloc(s->nruns * sizeof(*s->heap));
	for (i = 0; i < s->nruns; i++)
		if (run_fill(s, &s->runs[i]))
			s->heap[s->nheap++] = i;
	for (i = s->nheap; i-- > 0;)
		sift_down(s, i);
}

const void *ana_spill_next(struct ana_spill *s)
{
	struct spill_run *r;
	const void *rec;

	if (s->fd < 0)
		return s->pos < s->n ? s->buf + s->pos++ * s->size : NULL;
	/* the previous head was handed out: step past it, then re-sift */
	if (s->pos) {
		r = &s->runs[s->heap[0]];
		r->i++;
		if (!run_fill(s, r))
			s->heap[0] = s->heap[--s->nheap];
		if (s->nheap)
			sift_down(s, 0);
	}
	if (!s->nheap)
		return NULL;
	s->pos = 1;
	rec = head(s, s->heap[0]);
	return rec;
}

void ana_spill_free(struct ana_spill *s)
{
	size_t i;

	for (i = 0; i < s->nruns; i++)
		free(s->runs[i].buf);
	free(s->runs);
	free(s->heap);
	free(s->buf);
	if (s->fd >= 0)
		close(s->fd);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}
