# helpers.bash - shared set-up for the end-to-end tests.
# CTRACE_BUILD is set by tests/run.sh; running bats by hand works too.

load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

: "${CTRACE_TOP:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${CTRACE_BUILD:=$CTRACE_TOP/build}"
export CTRACE_TOP	# tests/e2e/nesting.py is imported from it
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

# corrupt_runs TRACE SEED N SUBCOMMAND...: N copies of TRACE, each with one
# byte past the header overwritten at a seeded random place; every
# SUBCOMMAND must read each copy with status 0 or 5 (damage reported),
# never crash or fail otherwise
corrupt_runs() {
	local trace=$1 n=$3 size off i cmd
	size=$(stat -c %s "$trace")
	RANDOM=$2
	shift 3
	for i in $(seq "$n"); do
		cp "$trace" bad.trace
		off=$(( 64 + (RANDOM * 32768 + RANDOM) % (size - 64) ))
		printf '\377' | dd of=bad.trace bs=1 seek=$off conv=notrunc 2>/dev/null
		for cmd in "$@"; do
			run "$CTRACE" $cmd bad.trace
			case $status in
			0|5) ;;
			*) echo "$cmd: status $status at offset $off"; return 1 ;;
			esac
		done
	done
}

# same_run CMD...: CMD traced and untraced give the same stdout and status
same_run() {
	local ref_out ref_st
	ref_out=$("$@" 2>/dev/null) && ref_st=0 || ref_st=$?
	run "$CTRACE" record -q -o "$T/same.trace" -- "$@"
	assert_equal "$status" "$ref_st"
	assert_equal "$output" "$ref_out"
}
