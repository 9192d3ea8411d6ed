#!/usr/bin/env bats
# bad input gets one line and a documented status, never a crash

load helpers

# a crash (status >= 128) or more than one line of error fails the test
one_line_error() {
	[ "$status" -lt 128 ]
	[ "${#lines[@]}" -le 2 ]
}

@test "missing file: status 3" {
	for cmd in dump info; do
		run "$CTRACE" $cmd /nonexistent/trace
		assert_failure 3
		assert_output --partial "cannot open /nonexistent/trace"
		[ "${#lines[@]}" -eq 1 ]
	done
}

@test "empty file and random bytes: status 4" {
	: > empty
	head -c 100000 /dev/urandom > random
	for f in empty random; do
		for cmd in dump info; do
			run "$CTRACE" $cmd $f
			assert_failure 4
			assert_output --partial "not a ctrace trace"
			[ "${#lines[@]}" -eq 1 ]
		done
	done
}

@test "a directory: status 3" {
	run "$CTRACE" info "$T"
	assert_failure 3
}

@test "unknown major version is refused" {
	record t.trace "$FIX/quickexit"
	printf '\011\000' | dd of=t.trace bs=1 seek=8 conv=notrunc 2>/dev/null
	run "$CTRACE" info t.trace
	assert_failure 4
	assert_output --partial "unsupported trace format version 9"
}

@test "200 random truncation points never crash the reader" {
	record t.trace "$FIX/condpingpong"
	size=$(stat -c %s t.trace)
	full=$("$CTRACE" dump t.trace | wc -l)
	RANDOM=42
	for i in $(seq 200); do
		cut=$(( (RANDOM * 32768 + RANDOM) % size ))
		head -c $cut t.trace > cut.trace
		run "$CTRACE" dump cut.trace
		[ "$status" -lt 128 ] || { echo "crash at $cut"; false; }
		# a prefix never yields more than the whole
		[ "$(printf '%s\n' "$output" | grep -vc '^ctrace')" -le "$full" ]
		case $status in 0|4|5) ;; *) echo "status $status at $cut"; false ;; esac
	done
}

@test "a cut trace says it was cut and still reads" {
	record t.trace "$FIX/condpingpong"
	size=$(stat -c %s t.trace)
	head -c $((size - 10)) t.trace > cut.trace
	run "$CTRACE" info cut.trace
	assert_success
	assert_output --regexp "cut|not closed"
}

@test "corrupted bytes are detected: status 5 or a clean refusal" {
	record t.trace "$FIX/condpingpong"
	corrupt_runs t.trace 7 50 info dump
}

@test "usage errors: status 2 and one line" {
	run "$CTRACE" frobnicate
	assert_failure 2
	run "$CTRACE" dump x.trace y.trace
	assert_failure 2
	run "$CTRACE" record
	assert_failure 2
	run "$CTRACE" record --bogus-option -- true
	assert_failure 2
}

@test "unwritable output: status 6" {
	run "$CTRACE" record -q -o /nonexistent/dir/t.trace -- true
	assert_failure 6
	assert_output --partial "/nonexistent/dir/t.trace"
}

@test "a string or stack defined twice keeps its first definition and is reported" {
	# a damaged trace once freed the first text while symbols and
	# stacks still pointed at it (a use after free in every reader)
	"$CTRACE_BUILD/bench/gen-trace" -n 20000 -t 4 -r r.trace >/dev/null
	for cmd in dump threads "profile sync" "export --format json -o j.json"; do
		run "$CTRACE" $cmd r.trace
		[ "$status" -eq 5 ] || { echo "$cmd: $status"; false; }
	done
	run "$CTRACE" dump r.trace
	assert_output --partial "string 2 defined again; the first definition is kept"
	assert_output --partial "stack 1 defined again; the first definition is kept"
	refute_output --partial "redefined_name"
	assert_output --partial "fn_1"
}
