/*
 * mkseed.c - a trace-records seed from a real trace: a selector byte,
 * then the trace's records as they are inside its chunks, up to a size.
 *
 *   mkseed SELECTOR MAXBYTES < in.trace > seed
 *
 * Records past MAXBYTES are left out whole, except the END record.
 */
#include <stdio.h>
#include <stdlib.h>

#include "file.h"

int main(int argc, char **argv)
{
	struct fmt_buf out = { 0 };
	struct fmt_record rec;
	struct fmt_reader *r;
	size_t max;
	uint8_t t;
	int err;

	if (argc != 3)
		return 2;
	max = strtoul(argv[2], NULL, 0);
	r = fmt_reader_open("-", &err);
	if (!r)
		return 1;
	t = atoi(argv[1]);
	fmt_buf_bytes(&out, &t, 1);
	while (fmt_reader_next(r, &rec)) {
		if (out.len + rec.len + 4 > max && rec.type != FMT_REC_END)
			continue;
		t = rec.type;
		fmt_buf_bytes(&out, &t, 1);
		fmt_buf_uvar(&out, rec.len);
		fmt_buf_bytes(&out, rec.p, rec.len);
	}
	fwrite(out.p, 1, out.len, stdout);
	fmt_reader_close(r);
	return 0;
}
