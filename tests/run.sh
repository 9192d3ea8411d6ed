#!/bin/sh
# run.sh - run the unit tests (TAP from tests/unit) and, with "all", the
# bats end-to-end tests; print one line "tests: N passed, M failed" and
# exit non-zero on any failure.  O is the build directory.
set -u
O=${O:-build}
what=${1:-all}
top=$(cd "$(dirname "$0")/.." && pwd)
case $O in /*) B=$O ;; *) B=$top/$O ;; esac
log=$(mktemp)
trap 'rm -f "$log"' EXIT
pass=0
fail=0

count() {	# count TAP lines of $log into pass/fail
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	pass=$((pass + p))
	fail=$((fail + f))
}

for t in "$B"/tests/test-*; do
	[ -x "$t" ] || continue
	echo "# $(basename "$t")"
	if "$t" >"$log" 2>&1; then st=0; else st=$?; fi
	grep -v '^ok ' "$log"
	count
	# a crash or early exit after passing lines still fails the file
	if [ "$st" -ne 0 ] && ! grep -q '^not ok ' "$log"; then
		echo "not ok - $(basename "$t") exited with status $st"
		fail=$((fail + 1))
	fi
done

# the saved fuzz inputs, each a test: replay-* (tests/fuzz/replay.c) runs
# them under ASan and UBSan and prints TAP; a crash input that still
# crashes is a failure
for r in "$B"/fuzz/replay-*; do
	[ -x "$r" ] || continue
	h=${r##*/replay-}
	echo "# fuzz corpus: $h"
	if "$r" "$top/tests/fuzz/corpus/$h" >"$log" 2>&1; then st=0; else st=$?; fi
	grep -v '^ok ' "$log"
	count
	if [ "$st" -ne 0 ] && ! grep -q '^not ok ' "$log"; then
		echo "not ok - replay-$h exited with status $st"
		fail=$((fail + 1))
	fi
done

if [ "$what" = all ]; then
	export CTRACE_TOP="$top" CTRACE_BUILD="$B"
	jobs=""
	# bats --jobs needs GNU parallel; run serially otherwise
	command -v parallel >/dev/null 2>&1 && jobs="--jobs 2"
	bats --tap $jobs "$top"/tests/e2e/*.bats >"$log" 2>&1
	st=$?
	grep -v '^ok ' "$log"
	count
	if [ "$st" -ne 0 ] && ! grep -q '^not ok ' "$log"; then
		echo "not ok - bats exited with status $st"
		fail=$((fail + 1))
	fi
fi

echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
