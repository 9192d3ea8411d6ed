#!/usr/bin/env bats
# ctrace profile KIND: blocking, wakeup and heap profiles in text, pprof
# and folded form

load helpers

PROTO_DIR="$CTRACE_TOP/analyzer/proto"

@test "profile sync: ~200 ms at the blocked lock site, holder named" {
	record t.trace "$FIX/ana-block200"
	assert_success
	holder=${output#holder=}
	run "$CTRACE" profile sync t.trace
	assert_success
	# the call is the innermost frame, its call site the next
	line=$(printf '%s\n' "$output" | grep -B1 '^ *blocked_locker (ana-block200.c:' |
		grep -m1 ' pthread_mutex_lock$')
	echo "line: $line"
	s=$(printf '%s\n' "$line" | awk '{ print $1 }')
	awk -v s="$s" 'BEGIN { exit !(s >= 0.19 && s < 0.4) }'
	# the object it waited on, held by the holder for that time
	assert_output --regexp "0x[0-9a-f]+ +0\.[0-9]+ +1  held by tid $holder 0\.[0-9]+ s \(1\)"
}

@test "profile wakeup: the condvar signal wakes the waiter" {
	record t.trace "$FIX/ana-condwait"
	assert_success
	run "$CTRACE" profile wakeup t.trace
	assert_success
	assert_output --regexp "total: [0-9]+ wakeups?,"
	# one wake edge, at the waiter's cond_wait, with its latency
	assert_output --regexp "[0-9]+\.[0-9]+ +[0-9.]+% +1  cond_waiter \(ana-condwait.c:[0-9]+\)"
	run "$CTRACE" report t.trace
	assert_output --regexp "wake edges: [1-9][0-9]* wakes?"
}

@test "profile leaks: exactly the 100 leaked blocks at leak_here" {
	asan_skip "its heap calls"
	record t.trace "$FIX/ana-leak"
	assert_success
	[ "$(events t.trace alloc)" -gt 0 ]
	run "$CTRACE" profile leaks t.trace
	assert_success
	assert_output --regexp "100000 +[0-9.]+% +100  leak_here \(ana-leak.c:[0-9]+\)"
	run "$CTRACE" profile leaks --format folded t.trace
	assert_success
	assert_output --regexp "(^|;)leak_here 100000($|
)"
}

@test "pprof output decodes and names functions" {
	command -v protoc >/dev/null || skip "protoc (protobuf-compiler) not installed"
	record t.trace "$FIX/ana-block200"
	run "$CTRACE" profile sync --format pprof -o sync.pb.gz t.trace
	assert_success
	gunzip -c sync.pb.gz | protoc --decode=perftools.profiles.Profile \
		--proto_path="$PROTO_DIR" profile.proto > sync.txt
	grep -q 'string_table: "contentions"' sync.txt
	grep -q 'string_table: "delay"' sync.txt
	grep -q 'string_table: "nanoseconds"' sync.txt
	grep -q 'string_table: "blocked_locker"' sync.txt
	grep -q 'function_id:' sync.txt
	# any protobuf reader: the raw decoding works too
	gunzip -c sync.pb.gz | protoc --decode_raw > /dev/null
	record h.trace "$FIX/ana-leak"
	for k in heap leaks wakeup io syscall sleep; do
		"$CTRACE" profile $k --format=pprof h.trace | gunzip |
			protoc --decode=perftools.profiles.Profile \
			--proto_path="$PROTO_DIR" profile.proto > $k.txt
		grep -q sample_type $k.txt
	done
	grep -q 'string_table: "inuse_space"' heap.txt
	grep -q 'string_table: "alloc_objects"' heap.txt
}

@test "folded output: one 'frames value' line per stack" {
	record t.trace "$FIX/ana-block200"
	record l.trace "$FIX/ana-leak"
	for k in sync wakeup syscall sleep heap leaks; do
		for f in t.trace l.trace; do
			run "$CTRACE" profile $k --format folded $f
			assert_success
			[ -n "$output" ] || continue
			bad=$(printf '%s\n' "$output" | grep -Evc '^.+ [0-9]+$' || true)
			[ "$bad" -eq 0 ]
		done
	done
	run "$CTRACE" profile sync --format folded t.trace
	assert_output --regexp "(^|;)blocked_locker;pthread_mutex_lock [0-9]+($|
)"
}

@test "every kind prints text; -o writes the file" {
	record t.trace "$FIX/ana-block200"
	for k in sync io syscall sleep wakeup heap leaks; do
		run "$CTRACE" profile $k t.trace
		assert_success
		assert_output --partial "profile $k: "
	done
	run "$CTRACE" profile sleep -o out.txt t.trace
	assert_success
	[ -z "$output" ]
	grep -q 'holder (ana-block200.c:' out.txt
}

@test "bad input: profile" {
	record t.trace "$FIX/quickexit"
	run "$CTRACE" profile frobnicate t.trace
	assert_failure 2
	assert_output --partial "unknown kind 'frobnicate'"
	[ "${#lines[@]}" -eq 1 ]
	run "$CTRACE" profile sync --format svg t.trace
	assert_failure 2
	assert_output --partial "unknown format 'svg'"
	[ "${#lines[@]}" -eq 1 ]
	run "$CTRACE" profile sync a.trace b.trace
	assert_failure 2
	run "$CTRACE" profile
	assert_failure 2
	run "$CTRACE" profile sync -o
	assert_failure 2
	run "$CTRACE" profile sync /nonexistent/trace
	assert_failure 3
	[ "${#lines[@]}" -eq 1 ]
	: > empty
	run "$CTRACE" profile sync empty
	assert_failure 4
	[ "${#lines[@]}" -eq 1 ]
	run "$CTRACE" profile sync -o /nonexistent/dir/x t.trace
	assert_failure 6
	[ "${#lines[@]}" -eq 1 ]
	head -c 40 t.trace > hdr.trace
	run "$CTRACE" profile heap hdr.trace
	assert_failure 5
}
