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

# tap NAME CMD...: run a TAP producer, show what is not a pass, count
# its ok/not ok lines into pass/fail; a crash or early exit after
# passing lines still fails it
tap() {
	name=$1
	shift
	if "$@" >"$log" 2>&1; then st=0; else st=$?; fi
	grep -v '^ok ' "$log"
	pass=$((pass + $(grep -c '^ok ' "$log")))
	fail=$((fail + $(grep -c '^not ok ' "$log")))
	if [ "$st" -ne 0 ] && ! grep -q '^not ok ' "$log"; then
		echo "not ok - $name exited with status $st"
		fail=$((fail + 1))
	fi
}

for t in "$B"/tests/test-*; do
	[ -x "$t" ] || continue
	echo "# $(basename "$t")"
	tap "$(basename "$t")" "$t"
done

# the saved fuzz inputs, each a test: replay-* (tests/fuzz/replay.c) runs
# them under ASan and UBSan and prints TAP; a crash input that still
# crashes is a failure
for r in "$B"/fuzz/replay-*; do
	[ -x "$r" ] || continue
	h=${r##*/replay-}
	echo "# fuzz corpus: $h"
	tap "replay-$h" "$r" "$top/tests/fuzz/corpus/$h"
done

# pids of this build's collectors now running
collectors() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$B/bin/ctrace-collector" ] &&
			echo "${p#/proc/}"
	done
}

# collectors the tests started and left running (a daemon a failed test
# never stopped): a failure each, named and then stopped; a private
# collector may take a moment to finish after its last process
left_collectors() {
	for i in $(seq 50); do
		left=""
		for p in $(collectors); do
			case " $before " in *" $p "*) ;; *) left="$left $p" ;; esac
		done
		[ -z "$left" ] && return
		sleep 0.1
	done
	for p in $left; do
		echo "not ok - a test left collector $p running: $(tr '\0' ' ' \
			</proc/"$p"/cmdline 2>/dev/null)"
		fail=$((fail + 1))
		kill -TERM "$p" 2>/dev/null
	done
}

if [ "$what" = all ]; then
	export CTRACE_TOP="$top" CTRACE_BUILD="$B"
	before=$(collectors)
	jobs=""
	# bats --jobs needs GNU parallel; run serially otherwise
	command -v parallel >/dev/null 2>&1 && jobs="--jobs 2"
	tap bats bats --tap $jobs "$top"/tests/e2e/*.bats
	left_collectors
fi

echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
