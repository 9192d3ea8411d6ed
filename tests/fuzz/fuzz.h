/*
 * fuzz.h - what the fuzz entry points of tests/fuzz share.
 *
 * Each harness defines LLVMFuzzerTestOneInput() (libFuzzer's entry point)
 * and may define LLVMFuzzerInitialize().  `make fuzz` links them with
 * libFuzzer (clang -fsanitize=fuzzer); `make test` links the same files
 * with replay.c, a main() that feeds every saved input to them under
 * gcc's ASan and UBSan, so the corpus replays without clang.
 */
#ifndef CTRACE_FUZZ_H
#define CTRACE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * fuzz_file() : the bytes as a file the analyzer can open by name: a
 * memfd, rewritten for each input, named /proc/self/fd/N (no disk).
 */
const char *fuzz_file(const void *data, size_t size);

/* stdout to /dev/null: the analyses' output is not what is tested */
void fuzz_quiet(void);

/*
 * fuzz_analyze() : `ctrace dump` of path, then the analysis numbered sel
 * (any number; taken modulo the table of analyses in analyses.c).
 */
void fuzz_analyze(const char *path, unsigned sel);

#endif
