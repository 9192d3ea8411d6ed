/*
 * trace-file.c - fuzz the trace reader with the input as a whole file:
 * header, chunk headers, lz4 frames and the records inside them.
 *
 * A file whose header fmt_reader_open() refuses only makes the analyzer
 * print one line and exit (tested by the e2e bad-input tests), so it stops
 * here; every other file goes through `ctrace dump` and one more analysis,
 * chosen by header byte 48 (the header's unused tail, which readers skip).
 */
#include "file.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	struct fmt_reader *r;
	int err;

	r = fmt_reader_open(path, &err);
	if (!r)
		return 0;
	fmt_reader_close(r);
	fuzz_analyze(path, size > 48 ? data[48] : 0);
	return 0;
}
