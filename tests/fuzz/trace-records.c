/*
 * trace-records.c - fuzz the trace reader at record level: the input,
 * after its first byte, is the content of one chunk, behind a valid file
 * header and a valid chunk header and lz4 frame, so the fuzzer spends its
 * time in record parsing (analyzer/trace.c, symbols.c) and in the
 * analyses that use the tables, not in checksums.
 *
 * The first byte chooses the analysis run after `ctrace dump`
 * (analyses.c).  The file is the one the collector writes (file.h).
 */
#include <string.h>

#include <lz4frame.h>

#include "file.h"
#include "fuzz.h"
#include "log.h"

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	while (n--) {
		*p++ = (uint8_t)v;
		v >>= 8;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

/* header, then one chunk of raw bytes: the file's length */
static size_t wrap(uint8_t *out, const uint8_t *raw, size_t len,
		   size_t bound, const LZ4F_preferences_t *prefs)
{
	uint8_t *chunk = out + FMT_HEADER_SIZE;
	size_t n;

	memset(out, 0, FMT_HEADER_SIZE);
	memcpy(out, FMT_FILE_MAGIC, 8);
	put_le(out + 8, FMT_VERSION_MAJOR, 2);
	put_le(out + 10, FMT_VERSION_MINOR, 2);
	put_le(out + 12, FMT_HEADER_SIZE, 4);
	put_le(out + 16, FMT_FEAT_STACKS, 8);
	put_le(out + 40, 1, 4);			/* CLOCK_MONOTONIC */
	put_le(out + 44, 1, 4);
	if (!len)
		return FMT_HEADER_SIZE;
	n = LZ4F_compressFrame(chunk + FMT_CHUNK_HDR_SIZE, bound, raw, len,
			       prefs);
	if (LZ4F_isError(n))
		die(EXIT_FAIL, "lz4: %s", LZ4F_getErrorName(n));
	put_le(chunk, FMT_CHUNK_MAGIC, 4);
	put_le(chunk + 4, n, 4);
	put_le(chunk + 8, len, 4);
	put_le(chunk + 12, 0, 4);
	return FMT_HEADER_SIZE + FMT_CHUNK_HDR_SIZE + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *file;
	static size_t cap;
	LZ4F_preferences_t prefs;
	size_t len, bound, n;

	if (!size || size - 1 > FMT_CHUNK_MAX_RAW)
		return 0;
	len = size - 1;
	memset(&prefs, 0, sizeof(prefs));
	prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	prefs.frameInfo.contentSize = len;
	bound = LZ4F_compressFrameBound(len, &prefs);
	if (cap < FMT_HEADER_SIZE + FMT_CHUNK_HDR_SIZE + bound) {
		cap = FMT_HEADER_SIZE + FMT_CHUNK_HDR_SIZE + bound;
		file = xrealloc(file, cap);
	}
	n = wrap(file, data + 1, len, bound, &prefs);
	fuzz_analyze(fuzz_file(file, n), data[0]);
	return 0;
}
