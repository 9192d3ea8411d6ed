#!/usr/bin/env bats
# ctrace report and ctrace threads: state accounting over real fixtures,
# a generated trace with known totals, cut traces and bad input

load helpers

# sync seconds of thread TID in `threads --per-thread` output: the
# columns after the routine (which may hold spaces) are fixed: unfinished,
# lifetime, then seconds and % of the 8 states, sync the third
sync_of() {
	printf '%s\n' "$1" | awk -v t="$2" '$2 == t && NF > 19 { print $(NF - 11) }'
}

@test "threads: the condvar waiter is ~100 ms blocked in sync" {
	asan_skip "pthread_create's start routines"
	record t.trace "$FIX/ana-condwait"
	assert_success
	waiter=${output#waiter=}
	run "$CTRACE" threads --per-thread t.trace
	assert_success
	assert_output --partial "execution = on a CPU, sched-wait = runnable"
	assert_output --partial "unknown = outside hooked calls"
	assert_output --regexp "waiter \(ana-condwait.c:[0-9]+\) +1 "
	assert_output --regexp "(^|
)main +1 "
	s=$(sync_of "$output" "$waiter")
	echo "waiter $waiter sync $s"
	# the program sleeps 100 ms while the waiter waits: a lower bound
	awk -v s="$s" 'BEGIN { exit !(s >= 0.1 && s < 1.0) }'
}

@test "threads groups every thread once and sums to the all row" {
	asan_skip "pthread_create's start routines"
	record t.trace "$FIX/mutex8"
	assert_success
	run "$CTRACE" threads t.trace
	assert_success
	assert_output --regexp "worker \(mutex8.c:[0-9]+\) +8 "
	assert_output --regexp "(^|
)all +9 "
}

@test "report: duration, threads, blocking site, lock holder, heap" {
	record t.trace "$FIX/ana-block200"
	assert_success
	holder=${output#holder=}
	run "$CTRACE" report t.trace
	assert_success
	assert_output --partial "processes: 1 (1 image), threads: 3"
	assert_output --partial "where the time went (3 threads"
	assert_output --regexp "sync +mutex_block +blocked_locker"
	assert_output --regexp "mutex_block +0\.[0-9]+ s in 1 wait, most held by tid $holder "
	assert_output --regexp "heap: (peak|no heap events)"
	assert_output --partial "thread ends to joins"
	assert_output --partial "parallelism: threads on a CPU over time"
	assert_output --partial "lost events: 0"
	assert_output --partial "integrity: clean"
	# the blocked site's time is the ~200 ms the holder slept
	s=$(printf '%s\n' "$output" | awk '/blocked_locker/ { print $1; exit }')
	awk -v s="$s" 'BEGIN { exit !(s >= 0.19 && s < 0.4) }'
}

@test "report on a cut trace says what was cut and still reports" {
	record t.trace "$FIX/condpingpong"
	size=$(stat -c %s t.trace)
	head -c $((size - 10)) t.trace > cut.trace
	run "$CTRACE" report cut.trace
	assert_success
	assert_output --regexp "integrity: (trace cut|trace was not closed)"
	assert_output --partial "where the time went"
}

@test "report: known totals of a generated trace" {
	gen="$CTRACE_BUILD/bench/gen-trace"
	line=$("$gen" -n 200000 -t 8 g.trace)
	leaked=$(printf '%s\n' "$line" | sed 's/.* leaked=\([0-9]*\).*/\1/')
	lbytes=$(printf '%s\n' "$line" | sed 's/.*leaked_bytes=\([0-9]*\).*/\1/')
	allocs=$(printf '%s\n' "$line" | sed 's/.* allocs=\([0-9]*\).*/\1/')
	run "$CTRACE" report g.trace
	assert_success
	assert_output --partial "threads: 9, events: "
	assert_output --partial "in $allocs allocations"
	assert_output --partial "leaked (live at exit) $lbytes bytes in $leaked allocations"
	assert_output --partial "8 thread ends to joins, 8 creates to starts"
	# no CPU samples, no readings: nothing is called running
	assert_output --regexp "execution +0\.000000 s +0\.0%"
	assert_output --partial "execution and sched-wait: no scheduler data: residue is unknown; calls unfinished (blocked at their process's exit): 0"
	assert_output --partial "parallelism: cannot be drawn, no scheduler data"
	refute_output --regexp "^  +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ #"
}

@test "threads: every thread's states sum to its lifetime" {
	"$CTRACE_BUILD/bench/gen-trace" -n 200000 -t 8 g.trace
	run "$CTRACE" threads --per-thread g.trace
	assert_success
	assert_output --partial "no scheduler data: residue is unknown"
	# per thread: lifetime = the 8 states, to the printed 6 decimals
	printf '%s\n' "$output" | awk '/^per thread:/ { s = 1; next }
		s && $1 != "pid" && NF > 19 { n++; sum = 0
			for (i = NF - 15; i <= NF; i += 2) sum += $i
			d = sum - $(NF - 16); if (d < 0) d = -d
			if (d > 0.000008) { print "off by " d ": " $0; bad++ } }
		END { exit !(n == 9 && !bad) }'
}

@test "bad input: report and threads" {
	: > empty
	head -c 5000 /dev/urandom > random
	for cmd in report threads; do
		run "$CTRACE" $cmd /nonexistent/trace
		assert_failure 3
		[ "${#lines[@]}" -eq 1 ]
		for f in empty random; do
			run "$CTRACE" $cmd $f
			assert_failure 4
			assert_output --partial "not a ctrace trace"
			[ "${#lines[@]}" -eq 1 ]
		done
		# no file and no ctrace.out here (009-cli.bats)
		run "$CTRACE" $cmd
		assert_failure 3
		run "$CTRACE" $cmd a b
		assert_failure 2
		run "$CTRACE" $cmd --bogus t.trace
		assert_failure 2
	done
}

@test "threads -h: the usage, with --per-thread" {
	run "$CTRACE" threads -h
	assert_success
	assert_output "usage: ctrace-analyze threads [--per-thread] [<file>]

    --per-thread  add a row per thread, with its count of unfinished calls
    -h, --help    print this help"
	run "$CTRACE" threads --per-thread a.trace b.trace
	assert_failure 2
	assert_output --partial "[--per-thread]"
}

@test "damaged traces never crash report or threads" {
	record t.trace "$FIX/condpingpong"
	head -c 40 t.trace > hdr.trace
	run "$CTRACE" report hdr.trace
	assert_failure 5
	corrupt_runs t.trace 11 30 report threads
}
