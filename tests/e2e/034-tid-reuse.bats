#!/usr/bin/env bats
# A tid the kernel reused is a new thread (issue 11, item 9): counts,
# lifetimes, names, wakers and exports per thread, not per tid.

load helpers

# gen-trace -R: four threads in turn had tid 1001; main (1000) wakes
# from #2 and #3, names #1 (itself), #2 and #4; exact times
gen() {
	"$CTRACE_BUILD/bench/gen-trace" -R g.trace >/dev/null
}

@test "reused tid: info counts a thread per generation, each with its own events and name" {
	gen
	run "$CTRACE" info g.trace
	assert_success
	assert_line "threads: 5"
	assert_line '  1000 image 1 "/usr/bin/gen": 5 threads, 22 events'
	assert_line '    tid 1001#1 events 4 first 1.002000000 last 1.011000000 name "first"'
	assert_line '    tid 1000 events 11 first 1.001000000 last 1.091000000'
	assert_line '    tid 1001#2 events 3 first 1.020000000 last 1.050000000 name "second"'
	assert_line '    tid 1001#3 events 2 first 1.060000000 last 1.074000000'
	assert_line '    tid 1001#4 events 2 first 1.080000000 last 1.090000000 name "fourth"'
}

@test "reused tid: each generation's lifetime is exact, a lost end stops at the next start" {
	gen
	run "$CTRACE" threads --per-thread g.trace
	assert_success
	assert_line --regexp "^threads: 5; "
	assert_line --regexp "^worker \(gen.c:10\) +4 +0\.069000 "
	assert_line --regexp "^all +5 +0\.169000 "
	# pid, tid, name, routine, unfinished, lifetime
	assert_line --regexp "^1000 +1001#1 +first +worker \(gen.c:10\) +0 +0\.009000 "
	assert_line --regexp "^1000 +1000 +- +main +0 +0\.100000 "
	assert_line --regexp "^1000 +1001#2 +second +worker \(gen.c:10\) +0 +0\.030000 "
	assert_line --regexp "^1000 +1001#3 +- +worker \(gen.c:10\) +0 +0\.020000 "
	assert_line --regexp "^1000 +1001#4 +fourth +worker \(gen.c:10\) +0 +0\.010000 "
	run "$CTRACE" report g.trace
	assert_line "processes: 1 (1 image), threads: 5, events: 22"
	assert_line "where the time went (5 threads, 0.169000 s of thread lifetime):"
	assert_output --partial "3 thread ends to joins, 4 creates to starts"
}

@test "reused tid: a real program whose thread gets an earlier thread's tid" {
	max=$(cat /proc/sys/kernel/pid_max)
	[ "$max" -le 65536 ] ||
		skip "pid_max $max: the kernel would take too long to reuse a tid"
	record t.trace "$FIX/tidreuse"
	assert_success
	n=$(printf '%s\n' "$output" | sed -n 's/^threads \([0-9]*\) reused [0-9]*$/\1/p')
	tid=$(printf '%s\n' "$output" | sed -n 's/^threads [0-9]* reused \([0-9]*\)$/\1/p')
	[ -n "$n" ] && [ "$tid" -gt 0 ]
	run "$CTRACE" info t.trace
	assert_success
	assert_line "threads: $((n + 1))"
	assert_line --regexp "^    tid $tid#1 events [0-9]+ "
	assert_line --regexp "^    tid $tid#2 events [0-9]+ "
	run "$CTRACE" threads t.trace
	assert_line --regexp "^worker \(tidreuse.c:[0-9]+\) +$n "
	# threads ran one at a time beside main: lifetimes sum to less than
	# twice the trace's duration
	dur=$("$CTRACE" info t.trace | sed -n 's/^duration: \([0-9.]*\) s.*/\1/p')
	all=$(printf '%s\n' "$output" | awk '$1 == "all" { print $3 }')
	awk -v a="$all" -v d="$dur" 'BEGIN { exit !(a < 2 * d) }'
}
