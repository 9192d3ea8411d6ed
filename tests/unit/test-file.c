/*
 * test-file.c - the trace file: writer -> reader round trips, truncation
 * at seeded cut points, seeded corruption of the header, chunk headers
 * and compressed payloads, hand-made bad chunks, header checks, payload
 * parsers.  Files live in memfds, read back through /proc/self/fd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <lz4frame.h>

#include "file.h"
#include "rng.h"
#include "tap.h"

struct trec {
	unsigned type;
	size_t len;
	uint8_t *p;
};

/* a trace written by fmt_writer, with what it holds */
struct model {
	struct trec *recs;
	size_t nrecs;
	uint8_t *file;
	size_t size;
	size_t *chunk_end;	/* file offset after chunk k */
	size_t *first_rec;	/* index of chunk k's first record; [n] = all */
	size_t nchunks;
	uint32_t writer_chunks;
	uint64_t writer_bytes;
};

/* ---- files in memory ---- */

static int mem_file(const void *p, size_t n, char *path)
{
	int fd = memfd_create("ctrace-test", 0);
	const uint8_t *b = p;
	ssize_t k;

	while (n) {
		k = write(fd, b, n);
		if (k <= 0)
			abort();
		b += k;
		n -= k;
	}
	sprintf(path, "/proc/self/fd/%d", fd);
	return fd;
}

static uint8_t *slurp(int fd, size_t *size)
{
	off_t n = lseek(fd, 0, SEEK_END);
	uint8_t *p = malloc(n ? n : 1);

	if (pread(fd, p, n, 0) != n)
		abort();
	*size = n;
	return p;
}

static struct fmt_file_header test_header(void)
{
	struct fmt_file_header h = {
		.features = FMT_FEAT_STACKS,
		.start_realtime = 1714564800123456789ULL,
		.start_monotonic = 5000000000ULL,
		.clock_id = 1,
		.collector_pid = 4242,
	};

	return h;
}

/* ---- building a model trace ---- */

static unsigned random_type(void)
{
	/* known types other than END, and unknown ones readers skip */
	static const unsigned types[] = { 1, 2, 3, 4, 5, 6, 0, 8, 99, 255 };

	return types[rng_below(sizeof(types) / sizeof(types[0]))];
}

static size_t random_len(unsigned big)
{
	switch (rng_below(big ? 200 : 1000000)) {
	case 0:		return 100000 + rng_below(600000);	/* > a chunk */
	}
	switch (rng_below(4)) {
	case 0:		return 0;
	case 1:		return rng_below(8);
	}
	return rng_below(200);
}

static void add_rec(struct model *m, unsigned type, size_t len)
{
	struct trec *r;
	size_t i;

	m->recs = realloc(m->recs, (m->nrecs + 1) * sizeof(*m->recs));
	r = &m->recs[m->nrecs++];
	r->type = type;
	r->len = len;
	r->p = malloc(len ? len : 1);
	/* half compressible, half not */
	for (i = 0; i < len; i++)
		r->p[i] = rng_below(2) ? rng_next() : (uint8_t)(i / 16);
}

/* index chunks by walking their headers, and records by reading */
static void index_chunks(struct model *m)
{
	const struct fmt_reader_state *st;
	struct fmt_reader *r;
	struct fmt_record rec;
	size_t off = FMT_HEADER_SIZE, n = 0, k;
	char path[64];
	int fd, err;

	while (off + FMT_CHUNK_HDR_SIZE <= m->size) {
		size_t comp = m->file[off + 4] | m->file[off + 5] << 8 |
			      m->file[off + 6] << 16 |
			      (size_t)m->file[off + 7] << 24;

		off += FMT_CHUNK_HDR_SIZE + comp;
		m->chunk_end = realloc(m->chunk_end,
				       (m->nchunks + 1) * sizeof(size_t));
		m->chunk_end[m->nchunks++] = off;
	}
	m->first_rec = calloc(m->nchunks + 1, sizeof(size_t));
	fd = mem_file(m->file, m->size, path);
	r = fmt_reader_open(path, &err);
	st = fmt_reader_state(r);
	while (fmt_reader_next(r, &rec)) {
		for (k = st->chunks; k <= m->nchunks; k++)
			m->first_rec[k] = n + 1;
		n++;
	}
	fmt_reader_close(r);
	close(fd);
}

static void build(struct model *m, size_t nrecs, unsigned flush_every,
		  int big, int with_end)
{
	struct fmt_file_header h = test_header();
	struct fmt_writer *w;
	char path[64];
	size_t i;
	int fd, err;

	memset(m, 0, sizeof(*m));
	fd = mem_file("", 0, path);
	w = fmt_writer_open(fd, &h, &err);
	for (i = 0; i < nrecs; i++) {
		add_rec(m, random_type(), random_len(big));
		if (fmt_writer_record(w, m->recs[i].type, m->recs[i].p,
				      m->recs[i].len))
			abort();
		if (flush_every && !rng_below(flush_every))
			fmt_writer_flush(w);
	}
	if (with_end) {
		add_rec(m, FMT_REC_END, 4);
		fmt_writer_record(w, FMT_REC_END, m->recs[i].p, 4);
	}
	fmt_writer_flush(w);
	m->writer_chunks = fmt_writer_chunks(w);
	m->writer_bytes = fmt_writer_bytes(w);
	if (fmt_writer_close(w))
		abort();
	m->file = slurp(fd, &m->size);
	close(fd);
	index_chunks(m);
}

static void free_model(struct model *m)
{
	size_t i;

	for (i = 0; i < m->nrecs; i++)
		free(m->recs[i].p);
	free(m->recs);
	free(m->file);
	free(m->chunk_end);
	free(m->first_rec);
}

/* ---- reading back ---- */

struct result {
	int err;			/* of fmt_reader_open */
	size_t nrecs;			/* records returned */
	int match;			/* they are the model's first nrecs */
	struct fmt_reader_state st;
};

static struct result read_image(const struct model *m, const uint8_t *p,
				size_t n)
{
	struct result res = { 0 };
	struct fmt_reader *r;
	struct fmt_record rec;
	const struct trec *want;
	char path[64];
	int fd = mem_file(p, n, path);

	res.match = 1;
	r = fmt_reader_open(path, &res.err);
	while (r && fmt_reader_next(r, &rec)) {
		want = res.nrecs < m->nrecs ? &m->recs[res.nrecs] : NULL;
		if (!want || want->type != rec.type || want->len != rec.len ||
		    memcmp(want->p, rec.p, rec.len))
			res.match = 0;
		res.nrecs++;
	}
	if (r)
		res.st = *fmt_reader_state(r);
	fmt_reader_close(r);
	close(fd);
	return res;
}

static void test_roundtrip(void)
{
	struct model m;
	struct result res;

	build(&m, 20000, 500, 1, 0);
	res = read_image(&m, m.file, m.size);
	ok(!res.err && res.match && res.nrecs == m.nrecs,
	   "%zu records (unknown types, empty and >chunk-sized ones) "
	   "read back identical", m.nrecs);
	ok(res.st.stop == FMT_STOP_EOF && res.st.chunks == m.writer_chunks &&
	   m.nchunks == m.writer_chunks && m.writer_chunks > 10 &&
	   res.st.offset == m.size && !res.st.bytes_after,
	   "no end record: FMT_STOP_EOF after all %u chunks", m.writer_chunks);
	ok(m.writer_bytes == m.size, "fmt_writer_bytes() is the file size");
	free_model(&m);

	build(&m, 3000, 50, 0, 1);
	res = read_image(&m, m.file, m.size);
	ok(!res.err && res.match && res.nrecs == m.nrecs &&
	   res.st.stop == FMT_STOP_END && res.st.chunks == m.nchunks &&
	   !res.st.bytes_after,
	   "with an end record: all records, then FMT_STOP_END");
	free_model(&m);
}

/* records after END in the same chunk and in later chunks are not read */
static void test_after_end(void)
{
	struct fmt_file_header h = test_header();
	struct fmt_writer *w;
	struct model m = { 0 };
	struct result res;
	char path[64];
	int fd, err;

	fd = mem_file("", 0, path);
	w = fmt_writer_open(fd, &h, &err);
	add_rec(&m, FMT_REC_STRING, 10);
	add_rec(&m, FMT_REC_END, 4);
	fmt_writer_record(w, FMT_REC_STRING, m.recs[0].p, 10);
	fmt_writer_record(w, FMT_REC_END, m.recs[1].p, 4);
	fmt_writer_record(w, FMT_REC_STRING, m.recs[0].p, 10);
	fmt_writer_flush(w);
	fmt_writer_record(w, FMT_REC_STRING, m.recs[0].p, 10);
	fmt_writer_close(w);
	m.file = slurp(fd, &m.size);
	close(fd);
	res = read_image(&m, m.file, m.size);
	ok(res.match && res.nrecs == 2 && res.st.stop == FMT_STOP_END &&
	   res.st.chunks == 1 && res.st.bytes_after > 0,
	   "nothing after the end record is returned; bytes_after = %llu",
	   (unsigned long long)res.st.bytes_after);
	free_model(&m);
}

/* a record too big for any chunk a reader accepts is refused up front,
 * and one that fits alone still gets a chunk readers accept */
static void test_huge_record(void)
{
	struct fmt_file_header h = test_header();
	size_t big = FMT_CHUNK_MAX_RAW - 64;
	struct model m = { 0 };
	struct fmt_writer *w;
	struct result res;
	char path[64];
	int fd, err, rc_small, rc_big, rc_huge;
	uint8_t *p = calloc(1, FMT_CHUNK_MAX_RAW + 1);

	fd = mem_file("", 0, path);
	w = fmt_writer_open(fd, &h, &err);
	add_rec(&m, FMT_REC_STRING, 200000);
	rc_small = fmt_writer_record(w, FMT_REC_STRING, m.recs[0].p, 200000);
	m.recs = realloc(m.recs, 2 * sizeof(*m.recs));
	m.recs[1].type = FMT_REC_STRING;
	m.recs[1].len = big;
	m.recs[1].p = p;
	m.nrecs = 2;
	rc_big = fmt_writer_record(w, FMT_REC_STRING, p, big);
	rc_huge = fmt_writer_record(w, FMT_REC_STRING, p,
				    FMT_CHUNK_MAX_RAW + 1);
	fmt_writer_close(w);
	m.file = slurp(fd, &m.size);
	close(fd);
	res = read_image(&m, m.file, m.size);
	ok(!rc_small && !rc_big && rc_huge == FMT_ECORRUPT,
	   "a record larger than FMT_CHUNK_MAX_RAW is refused by the writer");
	ok(res.match && res.nrecs == 2 && res.st.stop == FMT_STOP_EOF,
	   "a record of nearly FMT_CHUNK_MAX_RAW after others reads back "
	   "(%s)", res.st.why ? res.st.why : "clean");
	free_model(&m);
}

/* ---- truncation ---- */

/* complete chunks in the first n bytes */
static size_t chunks_within(const struct model *m, size_t n)
{
	size_t k = 0;

	while (k < m->nchunks && m->chunk_end[k] <= n)
		k++;
	return k;
}

/* what reading the first n bytes must give; 1 if it does */
static int check_cut(const struct model *m, size_t n)
{
	struct result res = read_image(m, m->file, n);
	size_t k = chunks_within(m, n);
	size_t at = k ? m->chunk_end[k - 1] : FMT_HEADER_SIZE;

	if (n < 8)
		return res.err == FMT_EMAGIC;
	if (n < FMT_HEADER_SIZE)
		return res.err == FMT_ETRUNC;
	if (res.err || !res.match || res.nrecs != m->first_rec[k] ||
	    res.st.chunks != k || res.st.offset != at)
		return 0;
	if (n == m->size)
		return res.st.stop == FMT_STOP_END;
	if (n == at)
		return res.st.stop == FMT_STOP_EOF && !res.st.bytes_after;
	return res.st.stop == FMT_STOP_TRUNC && res.st.why &&
	       res.st.bytes_after == n - at;
}

static void test_truncation(void)
{
	struct model m;
	unsigned i, bad = 0, boundary = 0, ncuts = 500;
	size_t n;

	build(&m, 4000, 40, 0, 1);
	for (i = 0; i < ncuts; i++) {
		switch (rng_below(4)) {
		case 0:		/* at a chunk boundary or next to one */
			n = m.chunk_end[rng_below(m.nchunks)] +
			    rng_below(3) - 1;
			boundary++;
			break;
		case 1:		/* in or at the end of the header */
			n = rng_below(FMT_HEADER_SIZE + 2);
			break;
		default:
			n = rng_below(m.size + 1);
		}
		if (n > m.size)
			n = m.size;
		if (!check_cut(&m, n)) {
			bad++;
			printf("# cut at %zu of %zu fails\n", n, m.size);
		}
	}
	ok(!bad, "%u cuts of a %zu-chunk trace (%u near boundaries): only "
	   "complete chunks' records, state and offset right (%u bad)",
	   ncuts, m.nchunks, boundary, bad);
	ok(check_cut(&m, 0) && check_cut(&m, FMT_HEADER_SIZE) &&
	   check_cut(&m, m.size) && check_cut(&m, m.size - 1) &&
	   check_cut(&m, FMT_HEADER_SIZE + 5),
	   "cuts at 0, end of header, header + 5, size - 1, size");
	free_model(&m);
}

/* ---- corruption ---- */

static uint8_t flip(uint8_t *p)
{
	uint8_t mask = 1 + rng_below(255);

	*p ^= mask;
	return mask;
}

/* one byte of the 64-byte header */
static int check_header_flip(const struct model *m, uint8_t *img)
{
	size_t at = rng_below(FMT_HEADER_SIZE);
	struct result res;

	flip(&img[at]);
	res = read_image(m, img, m->size);
	if (at < 8)
		return res.err == FMT_EMAGIC;
	if (at < 10)
		return res.err == FMT_EVERSION;
	if (at >= 12 && at < 16)	/* header_size: anything but a crash */
		return (res.err == FMT_ECORRUPT || res.err == FMT_ETRUNC) ||
		       (!res.err && res.match && res.nrecs == 0 &&
			(res.st.stop == FMT_STOP_CORRUPT ||
			 res.st.stop == FMT_STOP_TRUNC));
	/* minor version and informational fields: still reads whole */
	return !res.err && res.match && res.nrecs == m->nrecs &&
	       res.st.stop == FMT_STOP_END;
}

/* 1-3 bytes of chunk k's header (chunk_hdr) or of its lz4 frame */
static int check_chunk_flip(const struct model *m, uint8_t *img,
			    int chunk_hdr, size_t *k_out)
{
	size_t k = rng_below(m->nchunks);
	size_t start = k ? m->chunk_end[k - 1] : FMT_HEADER_SIZE;
	size_t len = chunk_hdr ? FMT_CHUNK_HDR_SIZE :
			m->chunk_end[k] - start - FMT_CHUNK_HDR_SIZE;
	unsigned i, n = 1 + rng_below(3);
	struct result res;

	if (!chunk_hdr)
		start += FMT_CHUNK_HDR_SIZE;
	for (i = 0; i < n; i++)
		flip(&img[start + rng_below(len)]);
	*k_out = k;
	res = read_image(m, img, m->size);
	if (res.err || !res.match || res.nrecs != m->first_rec[k] ||
	    res.st.chunks != k || !res.st.why)
		return 0;
	/* a bigger comp_len may reach past the end of the file */
	return res.st.stop == FMT_STOP_CORRUPT ||
	       (chunk_hdr && res.st.stop == FMT_STOP_TRUNC);
}

static void test_corruption(void)
{
	unsigned i, region, bad[3] = { 0 }, runs[3] = { 0 };
	static const char *const names[] = {
		"file header", "chunk headers", "lz4 frames",
	};
	struct model m;
	uint8_t *img;
	size_t k;
	int good;

	build(&m, 3000, 30, 0, 1);
	img = malloc(m.size);
	for (i = 0; i < 600; i++) {
		memcpy(img, m.file, m.size);
		region = rng_below(3);
		runs[region]++;
		if (region == 0)
			good = check_header_flip(&m, img);
		else
			good = check_chunk_flip(&m, img, region == 1, &k);
		if (!good) {
			bad[region]++;
			printf("# flip %u in %s fails\n", i, names[region]);
		}
	}
	for (region = 0; region < 3; region++)
		ok(!bad[region], "%u seeded flips in %s: refused or read up "
		   "to the damage (%u bad)", runs[region], names[region],
		   bad[region]);
	free(img);
	free_model(&m);
}

/* ---- hand-made files ---- */

static void put_le32(struct fmt_buf *b, uint32_t v)
{
	uint8_t p[4] = { v, v >> 8, v >> 16, v >> 24 };

	fmt_buf_bytes(b, p, 4);
}

/* a valid 64-byte header, as the writer makes it */
static void put_header(struct fmt_buf *f)
{
	struct fmt_file_header h = test_header();
	char path[64];
	size_t n;
	int fd = mem_file("", 0, path), err;
	uint8_t *p;

	fmt_writer_close(fmt_writer_open(fd, &h, &err));
	p = slurp(fd, &n);
	fmt_buf_bytes(f, p, n);
	free(p);
	close(fd);
}

static void put_chunk(struct fmt_buf *f, const void *raw, size_t len,
		      uint32_t seq, uint32_t magic)
{
	LZ4F_preferences_t prefs;
	size_t bound, n;
	void *comp;

	memset(&prefs, 0, sizeof(prefs));
	prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	prefs.frameInfo.contentSize = len;
	bound = LZ4F_compressFrameBound(len, &prefs);
	comp = malloc(bound);
	n = LZ4F_compressFrame(comp, bound, raw, len, &prefs);
	put_le32(f, magic);
	put_le32(f, n);
	put_le32(f, len);
	put_le32(f, seq);
	fmt_buf_bytes(f, comp, n);
	free(comp);
}

/* read a hand-made file: records returned and how it stopped */
static struct result read_buf(const struct fmt_buf *f)
{
	static struct model any;	/* no records: match is meaningless */

	return read_image(&any, f->p, f->len);
}

static void test_handmade(void)
{
	static const uint8_t good[] = { FMT_REC_STRING, 3, 1, 'h', 'i' };
	static const uint8_t overrun[] = { FMT_REC_STRING, 3, 1, 'h', 'i',
					   FMT_REC_STRING, 100, 1, 'x' };
	static const uint8_t badvar[] = {
		FMT_REC_STRING, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		0x80, 0x80, 0x80, 0x00,
	};
	static const uint8_t zeros[64];
	struct fmt_buf f = { 0 };
	struct result res;

	put_header(&f);
	put_chunk(&f, overrun, sizeof(overrun), 0, FMT_CHUNK_MAGIC);
	res = read_buf(&f);
	ok(res.nrecs == 1 && res.st.stop == FMT_STOP_CORRUPT,
	   "a record overrunning its chunk: the ones before it, then "
	   "CORRUPT (%s)", res.st.why);

	fmt_buf_reset(&f);
	put_header(&f);
	put_chunk(&f, badvar, sizeof(badvar), 0, FMT_CHUNK_MAGIC);
	res = read_buf(&f);
	ok(res.nrecs == 0 && res.st.stop == FMT_STOP_CORRUPT,
	   "an 11-byte record length is CORRUPT");

	fmt_buf_reset(&f);
	put_header(&f);
	put_chunk(&f, good, sizeof(good), 0, FMT_CHUNK_MAGIC);
	put_chunk(&f, good, sizeof(good), 5, FMT_CHUNK_MAGIC);
	res = read_buf(&f);
	ok(res.nrecs == 1 && res.st.stop == FMT_STOP_CORRUPT &&
	   res.st.chunks == 1, "a chunk out of sequence is CORRUPT (%s)",
	   res.st.why);

	fmt_buf_reset(&f);
	put_header(&f);
	put_chunk(&f, good, sizeof(good), 0, FMT_CHUNK_MAGIC ^ 1);
	res = read_buf(&f);
	ok(res.nrecs == 0 && res.st.stop == FMT_STOP_CORRUPT,
	   "bad chunk magic is CORRUPT (%s)", res.st.why);

	fmt_buf_reset(&f);
	put_header(&f);
	put_chunk(&f, good, sizeof(good), 0, FMT_CHUNK_MAGIC);
	memset(f.p + FMT_HEADER_SIZE + 8, 0, 4);	/* raw_len 0 */
	res = read_buf(&f);
	ok(res.nrecs == 0 && res.st.stop == FMT_STOP_CORRUPT,
	   "a chunk with raw_len 0 is CORRUPT (%s)", res.st.why);

	fmt_buf_reset(&f);
	put_header(&f);
	put_chunk(&f, good, sizeof(good), 0, FMT_CHUNK_MAGIC);
	fmt_buf_bytes(&f, "CTCK\1\0", 6);
	res = read_buf(&f);
	ok(res.nrecs == 1 && res.st.stop == FMT_STOP_TRUNC &&
	   res.st.bytes_after == 6,
	   "a partial chunk header at the end is TRUNC (%s)", res.st.why);

	/* a later minor version with a longer header still reads */
	fmt_buf_reset(&f);
	put_header(&f);
	f.p[10] = 7;		/* minor */
	f.p[12] = 128;		/* header_size */
	fmt_buf_bytes(&f, zeros, sizeof(zeros));
	put_chunk(&f, good, sizeof(good), 0, FMT_CHUNK_MAGIC);
	res = read_buf(&f);
	ok(!res.err && res.nrecs == 1 && res.st.stop == FMT_STOP_EOF,
	   "minor 7 with a 128-byte header reads");
	fmt_buf_free(&f);
}

/* ---- opening ---- */

static int open_err(const void *p, size_t n)
{
	struct fmt_reader *r;
	char path[64];
	int fd = mem_file(p, n, path), err = 0;

	r = fmt_reader_open(path, &err);
	fmt_reader_close(r);
	close(fd);
	return r ? 0 : err;
}

static void test_open(void)
{
	struct fmt_buf f = { 0 };
	uint8_t hdr[FMT_HEADER_SIZE];
	struct fmt_reader *r;
	int err;

	errno = 0;
	ok(!fmt_reader_open("/nonexistent/ctrace.out", &err) &&
	   err == FMT_EIO && errno == ENOENT,
	   "a missing file: FMT_EIO with errno ENOENT");
	errno = 0;
	r = fmt_reader_open("/", &err);
	ok(!r && err == FMT_EIO && errno == EISDIR,
	   "a directory: FMT_EIO with errno EISDIR");
	ok(open_err("", 0) == FMT_EMAGIC, "an empty file: FMT_EMAGIC");
	ok(open_err("hello, world\n", 13) == FMT_EMAGIC,
	   "a text file: FMT_EMAGIC");
	ok(open_err(FMT_FILE_MAGIC, 8) == FMT_ETRUNC,
	   "the magic alone: FMT_ETRUNC");

	put_header(&f);
	memcpy(hdr, f.p, sizeof(hdr));
	ok(open_err(hdr, sizeof(hdr)) == 0, "a bare header opens");
	hdr[8] = 9;
	ok(open_err(hdr, sizeof(hdr)) == FMT_EVERSION,
	   "major version 9: FMT_EVERSION");
	hdr[8] = 0;
	ok(open_err(hdr, sizeof(hdr)) == FMT_EVERSION,
	   "major version 0: FMT_EVERSION");
	hdr[8] = 1;
	hdr[12] = 32;
	ok(open_err(hdr, sizeof(hdr)) == FMT_ECORRUPT,
	   "a header_size below 64: FMT_ECORRUPT");
	hdr[12] = 0;
	hdr[13] = 0x20;
	ok(open_err(hdr, sizeof(hdr)) == FMT_ECORRUPT,
	   "a header_size above 4096: FMT_ECORRUPT");
	hdr[12] = 128;
	hdr[13] = 0;
	ok(open_err(hdr, sizeof(hdr)) == FMT_ETRUNC,
	   "a header_size past the end of the file: FMT_ETRUNC");
	fmt_buf_free(&f);
}

/* ---- record payloads ---- */

static void test_payloads(void)
{
	struct fmt_buf b = { 0 };
	struct fmt_record rec;
	struct fmt_process p;
	struct fmt_events e;
	const char *s;
	size_t n, i, k;
	unsigned bad = 0;
	uint8_t *junk;

	fmt_buf_uvar(&b, 100);
	fmt_buf_uvar(&b, 1);
	fmt_buf_uvar(&b, 7);
	fmt_buf_uvar(&b, 123456789);
	fmt_buf_uvar(&b, FMT_PROC_ROOT);
	fmt_buf_str(&b, "/bin/sh", 7);
	fmt_buf_uvar(&b, 2);
	fmt_buf_str(&b, "sh", 2);
	fmt_buf_str(&b, "", 0);
	rec.type = FMT_REC_PROCESS;
	rec.p = b.p;
	rec.len = b.len;
	ok(!fmt_parse_process(&rec, &p) && p.pid == 100 && p.ppid == 1 &&
	   p.image == 7 && p.ts == 123456789 && p.flags == FMT_PROC_ROOT &&
	   p.exe_len == 7 && !memcmp(p.exe, "/bin/sh", 7) && p.argc == 2 &&
	   (s = fmt_cur_str(&p.argv, 100, &n)) && n == 2 &&
	   !memcmp(s, "sh", 2) && fmt_cur_str(&p.argv, 100, &n) && n == 0 &&
	   !p.argv.err && p.argv.p == p.argv.end,
	   "fmt_parse_process reads every field");
	for (k = 0; k < b.len; k++) {
		rec.len = k;
		/* prefixes never crash; short ones are refused */
		if (fmt_parse_process(&rec, &p) == 0 && k < 14)
			bad++;
	}
	ok(!bad, "prefixes of a PROCESS payload are refused or parse");

	fmt_buf_reset(&b);
	fmt_buf_uvar(&b, 100);
	fmt_buf_uvar(&b, 9);
	fmt_buf_uvar(&b, 101);
	fmt_buf_uvar(&b, 5);
	fmt_buf_uvar(&b, 1000);
	fmt_buf_bytes(&b, "abcd", 4);
	rec.type = FMT_REC_EVENTS;
	rec.p = b.p;
	rec.len = b.len;
	ok(fmt_parse_events(&rec, &e) == FMT_ECORRUPT,
	   "EVENTS with more events than bytes is refused");
	rec.len = b.len - 4;
	b.p[3] = 0;
	ok(!fmt_parse_events(&rec, &e) && e.pid == 100 && e.image == 9 &&
	   e.tid == 101 &&
	   e.nevents == 0 && e.base_ts == 1000 && e.ev.p == e.ev.end,
	   "fmt_parse_events reads the header");

	for (i = 0; i < 20000; i++) {
		n = rng_below(64);
		junk = malloc(n ? n : 1);
		for (k = 0; k < n; k++)
			junk[k] = rng_below(4) ? rng_below(8) : rng_next();
		rec.p = junk;
		rec.len = n;
		if (!fmt_parse_process(&rec, &p))
			for (k = 0; k < p.argc && !p.argv.err; k++)
				fmt_cur_str(&p.argv, 65536, &n);
		fmt_parse_events(&rec, &e);
		free(junk);
	}
	ok(1, "20000 random payloads parse without harm");

	ok(!strcmp(fmt_record_name(FMT_REC_PROCESS), "process") &&
	   !strcmp(fmt_record_name(FMT_REC_END), "end") &&
	   !fmt_record_name(0) && !fmt_record_name(FMT_REC_MAX) &&
	   !fmt_record_name(255) && !fmt_record_name(100000),
	   "fmt_record_name: names known types only");
	ok(strcmp(fmt_strerror(FMT_ETRUNC), "unknown error") &&
	   strcmp(fmt_strerror(FMT_ETYPE), "unknown error") &&
	   !strcmp(fmt_strerror(-99), "unknown error"),
	   "fmt_strerror knows every code");
	fmt_buf_free(&b);
}

/* frame decompresses to exactly raw? */
static int unpacks_to(const struct fmt_buf *frame, const uint8_t *raw,
		      size_t len)
{
	static uint8_t back[256 << 10];
	LZ4F_dctx *d;
	size_t dst = sizeof(back), src = frame->len, r;

	if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
		return 0;
	r = LZ4F_decompress(d, back, &dst, frame->p, &src, NULL);
	LZ4F_freeDecompressionContext(d);
	return !LZ4F_isError(r) && !r && dst == len && !memcmp(back, raw, len);
}

/* LZ4's effort follows its gain: fast after a chunk that did not
 * shrink, back to the default on one that does or every 16th */
static void test_pace(void)
{
	static uint8_t noise[256 << 10], zeros[256 << 10];
	struct fmt_buf out = { 0 };
	unsigned i, fast = 0, good = 1;
	int level;

	for (i = 0; i < sizeof(noise); i++)
		noise[i] = (uint8_t)rng_next();
	/* whatever the tests before left: zeros bring the default back */
	for (i = 0; i < 20 && fmt_chunk_level(); i++)
		good &= !fmt_chunk_compress(zeros, sizeof(zeros), &out);
	ok(good && !fmt_chunk_level(), "compressible chunks: the default");
	good &= !fmt_chunk_compress(noise, sizeof(noise), &out) &&
		unpacks_to(&out, noise, sizeof(noise));
	ok(good && fmt_chunk_level() < 0,
	   "a chunk that did not shrink sends the next one fast (%d)",
	   fmt_chunk_level());
	for (i = 0; i < 16; i++) {
		level = fmt_chunk_level();
		good &= !fmt_chunk_compress(noise, sizeof(noise), &out) &&
			unpacks_to(&out, noise, sizeof(noise));
		fast += level < 0;
		if (!fmt_chunk_level())
			break;
	}
	ok(good && fast == 16 && i == 15 && !fmt_chunk_level(),
	   "16 fast chunks, then the default is tried again (%u, %u)",
	   fast, i);
	good &= !fmt_chunk_compress(noise, sizeof(noise), &out);
	ok(good && fmt_chunk_level() < 0, "which that noise sends fast again");
	good &= !fmt_chunk_compress(zeros, sizeof(zeros), &out) &&
		unpacks_to(&out, zeros, sizeof(zeros));
	ok(good && !fmt_chunk_level() && out.len < sizeof(zeros) / 8,
	   "a fast chunk that shrank brings the default back at once");
	fmt_buf_free(&out);
}

int main(void)
{
	rng_seed(20240502);
	test_roundtrip();
	test_after_end();
	test_huge_record();
	test_truncation();
	test_corruption();
	test_handmade();
	test_open();
	test_payloads();
	test_pace();
	return tap_done();
}
