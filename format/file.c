/*
 * file.c - trace file writer and reader (header, lz4 chunks, records).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4frame.h>

#include "buf.h"
#include "file.h"

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	while (n--) {
		*p++ = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return FMT_EIO;
		p += k;
		n -= k;
	}
	return 0;
}

/* ---- writer ---- */

struct fmt_writer {
	int fd;
	struct fmt_buf raw, comp;
	uint64_t bytes;
	uint32_t seq;
};

struct fmt_writer *fmt_writer_open(int fd, const struct fmt_file_header *h,
				   int *err)
{
	uint8_t hdr[FMT_HEADER_SIZE] = { 0 };
	struct fmt_writer *w;

	memcpy(hdr, FMT_FILE_MAGIC, 8);
	put_le(hdr + 8, FMT_VERSION_MAJOR, 2);
	put_le(hdr + 10, FMT_VERSION_MINOR, 2);
	put_le(hdr + 12, FMT_HEADER_SIZE, 4);
	put_le(hdr + 16, h->features, 8);
	put_le(hdr + 24, h->start_realtime, 8);
	put_le(hdr + 32, h->start_monotonic, 8);
	put_le(hdr + 40, h->clock_id, 4);
	put_le(hdr + 44, h->collector_pid, 4);
	w = calloc(1, sizeof(*w));
	if (!w) {
		*err = FMT_ENOMEM;
		return NULL;
	}
	*err = write_all(fd, hdr, sizeof(hdr));
	if (*err) {
		free(w);
		return NULL;
	}
	w->fd = fd;
	w->bytes = sizeof(hdr);
	return w;
}

int fmt_writer_record(struct fmt_writer *w, unsigned type,
		      const void *payload, size_t len)
{
	uint8_t t = type;
	int err;

	/* readers refuse chunks over FMT_CHUNK_MAX_RAW: never write one */
	if (len > FMT_CHUNK_MAX_RAW - 1 - FMT_VARINT_MAX)
		return FMT_ECORRUPT;
	if (w->raw.len + 1 + FMT_VARINT_MAX + len > FMT_CHUNK_MAX_RAW) {
		err = fmt_writer_flush(w);
		if (err)
			return err;
	}
	fmt_buf_bytes(&w->raw, &t, 1);
	fmt_buf_uvar(&w->raw, len);
	fmt_buf_bytes(&w->raw, payload, len);
	if (fmt_buf_failed(&w->raw))
		return FMT_ENOMEM;
	if (w->raw.len >= FMT_CHUNK_TARGET)
		return fmt_writer_flush(w);
	return 0;
}

/*
 * LZ4's effort follows what it gains.  A chunk it shrank by less than
 * 1/32 (a heap loop's records: addresses and sizes that never repeat)
 * sends the next ones at acceleration PACE_FAST, which passes such bytes
 * twice as fast (checksum included) at the same size; a fast chunk that
 * shrinks by 1/8 or more, or every PACE_PROBE-th one, goes back to the
 * default, so that records that start repeating get it back.  One state
 * for the process: the collector is the only writer that matters.
 */
#define PACE_FAST	(-64)		/* an LZ4F compressionLevel */
#define PACE_PROBE	16
static int pace_level;
static unsigned pace_fast_chunks;

static void pace(size_t raw, size_t comp)
{
	if (!pace_level) {
		if (comp > raw - raw / 32) {
			pace_level = PACE_FAST;
			pace_fast_chunks = 0;
		}
	} else if (comp <= raw - raw / 8 ||
		   ++pace_fast_chunks >= PACE_PROBE) {
		pace_level = 0;
	}
}

int fmt_chunk_level(void)
{
	return pace_level;
}

int fmt_chunk_compress(const void *raw, size_t len, struct fmt_buf *out)
{
	LZ4F_preferences_t prefs;
	size_t bound, n;

	memset(&prefs, 0, sizeof(prefs));
	prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	prefs.frameInfo.contentSize = len;
	prefs.frameInfo.blockSizeID = LZ4F_max256KB;
	prefs.compressionLevel = pace_level;
	bound = LZ4F_compressFrameBound(len, &prefs);
	fmt_buf_reset(out);
	if (fmt_buf_reserve(out, bound))
		return FMT_ENOMEM;
	n = LZ4F_compressFrame(out->p, bound, raw, len, &prefs);
	if (LZ4F_isError(n))
		return FMT_ECORRUPT;
	out->len = n;
	pace(len, n);
	return 0;
}

static int put_chunk(struct fmt_writer *w, const void *frame, size_t n,
		     size_t raw_len)
{
	uint8_t hdr[FMT_CHUNK_HDR_SIZE];
	int err;

	put_le(hdr, FMT_CHUNK_MAGIC, 4);
	put_le(hdr + 4, n, 4);
	put_le(hdr + 8, raw_len, 4);
	put_le(hdr + 12, w->seq, 4);
	err = write_all(w->fd, hdr, sizeof(hdr));
	if (!err)
		err = write_all(w->fd, frame, n);
	if (err)
		return err;
	w->bytes += sizeof(hdr) + n;
	w->seq++;
	return 0;
}

int fmt_writer_flush(struct fmt_writer *w)
{
	int err;

	if (!w->raw.len)
		return 0;
	err = fmt_chunk_compress(w->raw.p, w->raw.len, &w->comp);
	if (!err)
		err = put_chunk(w, w->comp.p, w->comp.len, w->raw.len);
	if (err)
		return err;
	fmt_buf_reset(&w->raw);
	return 0;
}

int fmt_writer_chunk(struct fmt_writer *w, const void *frame, size_t n,
		     size_t raw_len)
{
	int err = fmt_writer_flush(w);

	return err ? err : put_chunk(w, frame, n, raw_len);
}

uint64_t fmt_writer_bytes(const struct fmt_writer *w) { return w->bytes; }
uint32_t fmt_writer_chunks(const struct fmt_writer *w) { return w->seq; }

int fmt_writer_close(struct fmt_writer *w)
{
	int err = fmt_writer_flush(w);

	fmt_buf_free(&w->raw);
	fmt_buf_free(&w->comp);
	free(w);
	return err;
}

/* ---- reader ---- */

struct fmt_reader {
	FILE *f;
	struct fmt_file_header h;
	struct fmt_buf comp, raw;
	size_t pos;			/* next record in raw */
	uint64_t offset;		/* file offset of the next chunk */
	uint64_t size;			/* file size, 0 if unknown (pipe) */
	LZ4F_dctx *dctx;
	struct fmt_reader_state st;
};

static int read_header(struct fmt_reader *r)
{
	uint8_t hdr[FMT_HEADER_SIZE];
	size_t n = fread(hdr, 1, sizeof(hdr), r->f);

	if (n < 8 || memcmp(hdr, FMT_FILE_MAGIC, 8))
		return ferror(r->f) ? FMT_EIO : FMT_EMAGIC;
	if (n < sizeof(hdr))
		return FMT_ETRUNC;
	r->h.major = get_le(hdr + 8, 2);
	r->h.minor = get_le(hdr + 10, 2);
	r->h.header_size = get_le(hdr + 12, 4);
	if (r->h.major < 1 || r->h.major > FMT_VERSION_MAJOR)
		return FMT_EVERSION;
	if (r->h.header_size < FMT_HEADER_SIZE ||
	    r->h.header_size > 4096)
		return FMT_ECORRUPT;
	r->h.features = get_le(hdr + 16, 8);
	r->h.start_realtime = get_le(hdr + 24, 8);
	r->h.start_monotonic = get_le(hdr + 32, 8);
	r->h.clock_id = get_le(hdr + 40, 4);
	r->h.collector_pid = get_le(hdr + 44, 4);
	/* a later minor version may have a longer header: skip the rest */
	for (n = FMT_HEADER_SIZE; n < r->h.header_size; n++)
		if (fgetc(r->f) == EOF)
			return FMT_ETRUNC;
	r->offset = r->h.header_size;
	return 0;
}

struct fmt_reader *fmt_reader_open(const char *path, int *err)
{
	struct fmt_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		*err = FMT_ENOMEM;
		return NULL;
	}
	r->f = strcmp(path, "-") ? fopen(path, "rb") : fdopen(0, "rb");
	if (!r->f) {
		*err = FMT_EIO;
		free(r);
		return NULL;
	}
	if (fseek(r->f, 0, SEEK_END) == 0) {
		r->size = ftell(r->f);
		rewind(r->f);
	}
	*err = read_header(r);
	if (!*err && LZ4F_isError(LZ4F_createDecompressionContext(
				&r->dctx, LZ4F_VERSION)))
		*err = FMT_ENOMEM;
	if (*err) {
		int saved = errno;

		fmt_reader_close(r);
		errno = saved;
		return NULL;
	}
	return r;
}

const struct fmt_file_header *fmt_reader_header(const struct fmt_reader *r)
{
	return &r->h;
}

static int stop(struct fmt_reader *r, enum fmt_stop why, const char *text)
{
	r->st.stop = why;
	r->st.offset = r->offset;
	r->st.why = text;
	if (r->size > r->offset)
		r->st.bytes_after = r->size - r->offset;
	return 0;
}

static int decompress(struct fmt_reader *r, size_t comp_len, size_t raw_len)
{
	size_t dst = raw_len, src = comp_len, ret;

	LZ4F_resetDecompressionContext(r->dctx);
	ret = LZ4F_decompress(r->dctx, r->raw.p, &dst, r->comp.p, &src, NULL);
	/* 0 means the frame ended and its checksum matched */
	return LZ4F_isError(ret) || ret != 0 || dst != raw_len ||
	       src != comp_len;
}

/* load the next chunk into r->raw; 1 if loaded, 0 if reading stopped */
static int next_chunk(struct fmt_reader *r)
{
	uint8_t hdr[FMT_CHUNK_HDR_SIZE];
	size_t n = fread(hdr, 1, sizeof(hdr), r->f);
	uint32_t comp_len, raw_len;

	if (n == 0)
		return stop(r, FMT_STOP_EOF, NULL);
	if (n < sizeof(hdr))
		return stop(r, FMT_STOP_TRUNC, "file ends inside a chunk header");
	if (get_le(hdr, 4) != FMT_CHUNK_MAGIC)
		return stop(r, FMT_STOP_CORRUPT, "bad chunk magic");
	comp_len = get_le(hdr + 4, 4);
	raw_len = get_le(hdr + 8, 4);
	if (get_le(hdr + 12, 4) != r->st.chunks)
		return stop(r, FMT_STOP_CORRUPT, "chunk out of sequence");
	if (raw_len == 0 || raw_len > FMT_CHUNK_MAX_RAW ||
	    comp_len > LZ4F_compressFrameBound(FMT_CHUNK_MAX_RAW, NULL))
		return stop(r, FMT_STOP_CORRUPT, "bad chunk size");
	fmt_buf_reset(&r->comp);
	fmt_buf_reset(&r->raw);
	if (fmt_buf_reserve(&r->comp, comp_len) ||
	    fmt_buf_reserve(&r->raw, raw_len))
		return stop(r, FMT_STOP_CORRUPT, "out of memory");
	if (fread(r->comp.p, 1, comp_len, r->f) != comp_len)
		return stop(r, FMT_STOP_TRUNC, "file ends inside a chunk");
	if (decompress(r, comp_len, raw_len))
		return stop(r, FMT_STOP_CORRUPT, "chunk fails its checksum");
	r->raw.len = raw_len;
	r->pos = 0;
	r->offset += sizeof(hdr) + comp_len;
	r->st.chunks++;
	return 1;
}

int fmt_reader_next(struct fmt_reader *r, struct fmt_record *rec)
{
	const uint8_t *p, *end;
	uint64_t len;

	if (r->st.stop)
		return 0;
	while (r->pos >= r->raw.len)
		if (!next_chunk(r))
			return 0;
	p = r->raw.p + r->pos;
	end = r->raw.p + r->raw.len;
	rec->type = *p++;
	if (fmt_get_uvar(&p, end, &len) || len > (uint64_t)(end - p))
		return stop(r, FMT_STOP_CORRUPT, "record overruns its chunk");
	rec->p = p;
	rec->len = len;
	r->pos = p + len - r->raw.p;
	if (rec->type == FMT_REC_END) {
		/* anything after END is not part of the trace */
		r->raw.len = r->pos;
		stop(r, FMT_STOP_END, NULL);
	}
	return 1;
}

const struct fmt_reader_state *fmt_reader_state(const struct fmt_reader *r)
{
	return &r->st;
}

void fmt_reader_close(struct fmt_reader *r)
{
	if (!r)
		return;
	if (r->f && r->f != stdin)
		fclose(r->f);
	if (r->dctx)
		LZ4F_freeDecompressionContext(r->dctx);
	fmt_buf_free(&r->comp);
	fmt_buf_free(&r->raw);
	free(r);
}

/* ---- record payloads ---- */

void fmt_put_schema_entry(struct fmt_buf *b, unsigned code, unsigned family,
			  const char *kinds, const char *names)
{
	struct fmt_buf e = { 0 };

	fmt_buf_uvar(&e, code);
	fmt_buf_uvar(&e, family);
	fmt_buf_str(&e, kinds, strlen(kinds));
	fmt_buf_str(&e, names, strlen(names));
	fmt_buf_uvar(b, e.len);
	fmt_buf_bytes(b, e.p, e.len);
	fmt_buf_free(&e);
}

void fmt_put_schema(struct fmt_buf *b)
{
	const struct fmt_event_info *in;
	unsigned code, n = 0;

	for (code = 0; code < FMT_EV_MAX; code++)
		n += fmt_event_info(code) != NULL;
	fmt_buf_uvar(b, n);
	for (code = 0; code < FMT_EV_MAX; code++)
		if ((in = fmt_event_info(code)))
			fmt_put_schema_entry(b, code, in->family, in->kinds,
					     in->fields);
}

int fmt_parse_schema(const struct fmt_record *rec, struct fmt_schema *s)
{
	struct fmt_cursor c = { rec->p, rec->p + rec->len, 0 }, e;
	uint64_t n, len, code;
	const char *kinds;
	size_t nk, i;

	memset(s, 0, sizeof(*s));
	n = fmt_cur_uvar(&c);
	while (n-- && !c.err) {
		len = fmt_cur_uvar(&c);
		if (c.err || len > (uint64_t)(c.end - c.p))
			return FMT_ECORRUPT;
		e.p = c.p;
		e.end = c.p + len;
		e.err = 0;
		c.p += len;
		code = fmt_cur_uvar(&e);
		fmt_cur_uvar(&e);			/* family */
		kinds = fmt_cur_str(&e, FMT_MAX_FIELDS * 4, &nk);
		if (e.err || code >= FMT_EV_MAX || nk > 255)
			return FMT_ECORRUPT;
		s->nfields[code] = (uint8_t)nk;
		s->have[code] = 1;
		s->addr_mask[code] = 0;
		for (i = 0; i < nk && i < 32; i++)
			if (kinds[i] == 'a')
				s->addr_mask[code] |= 1u << i;
	}
	return c.err ? FMT_ECORRUPT : 0;
}

int fmt_skip_fields(const uint8_t **pp, const uint8_t *end, unsigned n,
		    uint32_t addr_mask, struct fmt_addrs *ad)
{
	uint64_t v;
	unsigned i;
	int err;

	for (i = 0; i < n; i++) {
		if (fmt_get_uvar(pp, end, &v))
			return FMT_ETRUNC;
		if (ad && i < 32 && (addr_mask & (1u << i))) {
			err = fmt_get_addr(pp, end, v, ad, &v);
			if (err)
				return err;
		}
	}
	return 0;
}

int fmt_skip_event(const uint8_t **pp, const uint8_t *end, unsigned nfields,
		   uint32_t addr_mask, uint64_t *prev_ts,
		   struct fmt_addrs *ad)
{
	const uint8_t *p = *pp + 1;
	uint64_t dts;
	int err;

	if (*pp >= end || fmt_get_uvar(&p, end, &dts))
		return FMT_ETRUNC;
	err = fmt_skip_fields(&p, end, nfields, addr_mask, ad);
	if (err)
		return err;
	if (*prev_ts + dts < *prev_ts)
		return FMT_ECORRUPT;
	*prev_ts += dts;
	*pp = p;
	return 0;
}

int fmt_decode_short(const uint8_t **pp, const uint8_t *end,
		     unsigned nfields, uint64_t *prev_ts, struct fmt_event *ev,
		     struct fmt_addrs *ad)
{
	const struct fmt_event_info *in;
	const uint8_t *p = *pp + 1;
	uint64_t dts;
	unsigned i;
	int err;

	if (*pp >= end)
		return FMT_ETRUNC;
	in = fmt_event_info(**pp);
	if (!in)
		return FMT_ETYPE;
	if (nfields > in->nfields)
		nfields = in->nfields;
	if (fmt_get_uvar(&p, end, &dts))
		return FMT_ETRUNC;
	if (*prev_ts + dts < *prev_ts)
		return FMT_ECORRUPT;
	memset(ev, 0, sizeof(*ev));
	ev->type = **pp;
	ev->ts = *prev_ts + dts;
	for (i = 0; i < nfields; i++) {
		if (fmt_get_uvar(&p, end, &ev->f[i]))
			return FMT_ETRUNC;
		if (ad && (in->addr_mask & (1u << i))) {
			err = fmt_get_addr(&p, end, ev->f[i], ad, &ev->f[i]);
			if (err)
				return err;
		}
		if (in->signed_mask & (1u << i))
			ev->f[i] = (uint64_t)fmt_unzigzag(ev->f[i]);
	}
	*prev_ts = ev->ts;
	*pp = p;
	return 0;
}

const char *fmt_untr_how_name(uint64_t how)
{
	static const char *const names[] = {
		[FMT_UNTR_FORK] = "fork", [FMT_UNTR_EXEC] = "exec",
		[FMT_UNTR_REFUSED] = "refused",
	};

	return how < sizeof(names) / sizeof(names[0]) ? names[how] : NULL;
}

const char *fmt_why_str(uint64_t reason)
{
	static const char *const why[FMT_WHY_MAX] = {
		[FMT_WHY_UNKNOWN] = "",
		[FMT_WHY_CONNECT] = "could not connect to the collector",
		[FMT_WHY_STATIC] = "statically linked (LD_PRELOAD needs the "
				   "dynamic loader)",
		[FMT_WHY_SETUID] = "setuid (the loader ignores LD_PRELOAD)",
		[FMT_WHY_SETGID] = "setgid (the loader ignores LD_PRELOAD)",
		[FMT_WHY_CAPS] = "file capabilities (the loader ignores "
				 "LD_PRELOAD)",
		[FMT_WHY_UID] = "runs as another user, who may not reach "
				"the collector",
		[FMT_WHY_NOPRELOAD] = "its environment lost LD_PRELOAD",
	};

	return reason < FMT_WHY_MAX ? why[reason] : "an unknown reason";
}

const char *fmt_record_name(unsigned type)
{
	static const char *const names[] = {
		[FMT_REC_PROCESS] = "process",
		[FMT_REC_PROCESS_END] = "process_end",
		[FMT_REC_STRING] = "string",
		[FMT_REC_STACK] = "stack",
		[FMT_REC_EVENTS] = "events",
		[FMT_REC_LOST] = "lost",
		[FMT_REC_END] = "end",
		[FMT_REC_MODULE] = "module",
		[FMT_REC_SYMBOL] = "symbol",
		[FMT_REC_DATA] = "data",
		[FMT_REC_UNTRACED] = "untraced",
		[FMT_REC_SCHEMA] = "schema",
		[FMT_REC_SNAPSHOT] = "snapshot",
		[FMT_REC_WINDOW] = "window",
		[FMT_REC_WINDOW_OPEN] = "window_open",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : NULL;
}
