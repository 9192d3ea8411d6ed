# helpers.bash - shared set-up for the end-to-end tests.
# CTRACE_BUILD is set by tests/run.sh; running bats by hand works too.

load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

: "${CTRACE_TOP:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${CTRACE_BUILD:=$CTRACE_TOP/build}"
CTRACE="$CTRACE_BUILD/bin/ctrace"
LIBCTRACE="$CTRACE_BUILD/lib/libctrace.so"
FIX="$CTRACE_BUILD/fixtures"
# no collector from the environment may leak into a test
unset CTRACE_SOCKET CTRACE_OUT LD_PRELOAD CTRACE_TRACED_PID

setup() {
	T="$BATS_TEST_TMPDIR"
	cd "$T"
}

# record OUT CMD...: trace CMD quietly into OUT; sets $status like run
record() {
	local out=$1
	shift
	run "$CTRACE" record -q -o "$out" -- "$@"
}

# events FILE NAME: how many events named NAME `ctrace dump` prints
events() {
	"$CTRACE" dump "$1" | awk -v n="$2" '$4 == n' | wc -l
}

# field LINE NAME: value of NAME=... in one dump line
field() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# same_run CMD...: CMD traced and untraced give the same stdout and status
same_run() {
	local ref_out ref_st
	ref_out=$("$@" 2>/dev/null) && ref_st=0 || ref_st=$?
	run "$CTRACE" record -q -o "$T/same.trace" -- "$@"
	assert_equal "$status" "$ref_st"
	assert_equal "$output" "$ref_out"
}
