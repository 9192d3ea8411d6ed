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
# nor answers an earlier run kept: each test resolves its addresses itself
# (the symbol cache's own tests, in 013, give it a directory)
export CTRACE_CACHE_DIR=
# an ASan build (make ASAN=1): libctrace.so needs the ASan runtime, which
# must be the first preload of a traced program (tests/e2e/asan-ctrace
# for record and collect); leaks are the fixtures' own business
CTRACE_ASAN_RT=$(ldd "$LIBCTRACE" 2>/dev/null |
		 awk '$1 ~ /^libasan\./ { print $3 }')
if [ -n "$CTRACE_ASAN_RT" ]; then
	export CTRACE_ASAN_RT CTRACE_BUILD
	LIBCTRACE="$CTRACE_ASAN_RT:$LIBCTRACE"
	CTRACE="$CTRACE_TOP/tests/e2e/asan-ctrace"
	export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
fi

setup() {
	T="$BATS_TEST_TMPDIR"
	cd "$T"
}

# asan_skip WHAT: skip in an ASan build, where ASan's runtime is preloaded
# before libctrace.so, so its own interceptors of malloc and friends,
# pthread_create and many libc calls run first: ctrace sees no heap
# call, every thread starts in asan_thread_start, and the callsite of an
# intercepted call is in the runtime.  WHAT is what the test needs of those.
asan_skip() {
	[ -z "${CTRACE_ASAN_RT:-}" ] || skip "ASan's interceptors hide $*"
}

# stop_daemon: stop the `collect --daemon` a test started (its exports are
# in CTRACE_COLLECTOR_PID), if it still runs: for the teardown of tests
# that may fail before they stop it themselves
stop_daemon() {
	local pid=${CTRACE_COLLECTOR_PID:-} i

	[ -n "$pid" ] || return 0
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = \
	  "$CTRACE_BUILD/bin/ctrace-collector" ] || return 0
	kill -CONT "$pid" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	return 0
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
