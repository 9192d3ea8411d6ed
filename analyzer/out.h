/*
 * out.h - text output helpers shared by the analyses.
 *
 * Lines are built in a struct fmt_buf and written whole, which is much
 * faster than a printf per field when a dump prints millions of events.
 * Numbers and strings are printed the same way by every subcommand.
 */
#ifndef ANA_OUT_H
#define ANA_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"

void ana_put(struct fmt_buf *b, const char *s);
void ana_put_u64(struct fmt_buf *b, uint64_t v);
void ana_put_s64(struct fmt_buf *b, int64_t v);
void ana_put_hex(struct fmt_buf *b, uint64_t v);	/* 0x1f */
/* seconds with 9 decimals: "0.001234567", "-1.000000000" */
void ana_put_secs(struct fmt_buf *b, int64_t ns);
/* "..." with C escapes; bytes outside printable ASCII as \ooo */
void ana_put_quoted(struct fmt_buf *b, const char *s, size_t len);

/* argv="a b c": the arguments joined by spaces, quoted as one string */
struct ana_str;
void ana_put_argv(struct fmt_buf *b, struct ana_str *const *argv,
		  uint32_t argc);

/* ana_write() : write b to f and empty it; dies if memory ran out */
void ana_write(struct fmt_buf *b, FILE *f);

/* "2024-05-01T12:34:56.123456789Z" for ns since the epoch, into buf */
const char *ana_iso8601(uint64_t ns, char *buf, size_t size);

#endif
