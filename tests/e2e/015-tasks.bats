#!/usr/bin/env bats
# user tasks, regions and logs in the analyses: report's tasks section,
# the regions column of threads

load helpers

# row TEXT NAME: the row of type NAME in the tasks section, fields
# joined by one space
row() {
	printf '%s\n' "$1" | awk -v n="$2" '/^user tasks: / { s = 1 }
		s && /^$/ { exit }
		s && /^  / && $1 == n { $1 = $1; print; exit }'
}

# ns DUR: a duration of the tasks section (950ns 12.3us 4.56ms 7.890s)
# in ns
ns() {
	awk -v d="$1" 'BEGIN {
		m = d ~ /ns$/ ? 1 : d ~ /us$/ ? 1e3 : d ~ /ms$/ ? 1e6 : 1e9
		sub(/[a-z]+$/, "", d); printf "%.0f\n", d * m }'
}

@test "report: tasks, regions and logs of user-tasks, exact counts" {
	record t.trace "$FIX/user-tasks"
	assert_success
	assert_output "total=270"
	run "$CTRACE" report t.trace
	assert_success
	assert_output --partial "user tasks: 31 in 2 types, 0 unfinished (timed to the trace's end), 0 ended on another thread, 0 ends without a begin; percentiles within 2%"
	assert_output --partial "user regions: 60 in 2 types, 0 never ended, 0 ends without a begin; "
	assert_output --partial "user logs: 31 in 2 categories"
	# type count unfin moved total p50 p90 p99 max
	[[ "$(row "$output" job)" =~ ^"job 30 0 0 " ]]
	[[ "$(row "$output" main)" =~ ^"main 1 0 0 " ]]
	# type count unfin total life% p50 p99 max
	[[ "$(row "$output" outer)" =~ ^"outer 30 0 " ]]
	[[ "$(row "$output" inner)" =~ ^"inner 30 0 " ]]
	assert_equal "$(row "$output" progress)" "progress 30"
	assert_equal "$(row "$output" done)" "done 1"
}

@test "report: a single task's percentiles are its duration" {
	record t.trace "$FIX/user-tasks"
	run "$CTRACE" report t.trace
	set -- $(row "$output" main)
	# total p50 p90 p99 max of one task: all the same value
	[ "$5" = "$6" ] && [ "$5" = "$7" ] && [ "$5" = "$8" ] && [ "$5" = "$9" ]
}

@test "report: percentiles are ordered and within total" {
	record t.trace "$FIX/user-tasks"
	run "$CTRACE" report t.trace
	set -- $(row "$output" job)
	tot=$(ns "$5") p50=$(ns "$6") p90=$(ns "$7") p99=$(ns "$8") max=$(ns "$9")
	echo "job $tot $p50 $p90 $p99 $max"
	[ "$p50" -le "$p90" ] && [ "$p90" -le "$p99" ] && [ "$p99" -le "$max" ]
	[ "$max" -le "$tot" ]
	set -- $(row "$output" outer)
	tot=$(ns "$4") p50=$(ns "$6") p99=$(ns "$7") max=$(ns "$8")
	[ "$p50" -le "$p99" ] && [ "$p99" -le "$max" ] && [ "$max" -le "$tot" ]
}

@test "report: handoff, unfinished task, nesting, mismatched regions" {
	record t.trace "$FIX/user-nested"
	assert_success
	assert_output "tasks=3 unfinished=1 moved=1 regions=7 unended=2 unmatched=1 logs=6"
	# the task's end comes from the worker, the begin from main
	b=$("$CTRACE" dump t.trace | awk '$4 == "task_begin" && /"handoff"/ { print $3 }')
	e=$("$CTRACE" dump t.trace | awk '$4 == "task_end" && $5 == "id=1" { print $3 }')
	[ -n "$b" ] && [ -n "$e" ] && [ "$b" != "$e" ]
	run "$CTRACE" report t.trace
	assert_success
	assert_output --partial "user tasks: 3 in 3 types, 1 unfinished (timed to the trace's end), 1 ended on another thread, 1 end without a begin;"
	[[ "$(row "$output" handoff)" =~ ^"handoff 1 0 1 " ]]
	[[ "$(row "$output" leak)" =~ ^"leak 1 1 0 " ]]
	[[ "$(row "$output" work)" =~ ^"work 1 0 0 " ]]
	assert_output --partial "user regions: 7 in 5 types, 2 never ended, 1 end without a begin; "
	[[ "$(row "$output" rec)" =~ ^"rec 3 0 " ]]
	[[ "$(row "$output" top)" =~ ^"top 1 0 " ]]
	[[ "$(row "$output" a)" =~ ^"a 1 0 " ]]
	[[ "$(row "$output" b)" =~ ^"b 1 1 " ]]
	[[ "$(row "$output" open)" =~ ^"open 1 1 " ]]
	[ -z "$(row "$output" ghost)" ]
	assert_output --partial "user logs: 6 in 3 categories"
	assert_equal "$(row "$output" alpha)" "alpha 3"
	assert_equal "$(row "$output" beta)" "beta 2"
	assert_equal "$(row "$output" '""')" '"" 1'
}

@test "report: nested regions of one type count each, the thread once" {
	record t.trace "$FIX/user-nested"
	run "$CTRACE" report t.trace
	# rec nests 3 deep inside top: each rec is within top, so the three
	# rec times together are at most 3 times top's (printed durations
	# are rounded to 2-4 digits: 10% slack)
	set -- $(row "$output" rec)
	rec=$(ns "$4")
	set -- $(row "$output" top)
	top=$(ns "$4")
	[ "$rec" -le $((3 * top + 3 * top / 10 + 1)) ]
	# the time inside regions counts nesting once: at most the sum of
	# the outermost regions (top, a, open)
	inside=$(printf '%s\n' "$output" | sed -n 's/^user regions: .*; \([0-9.]*[a-z]*\) .*inside regions$/\1/p')
	outer=$(( top + $(ns "$(row "$output" a | cut -d' ' -f4)") + $(ns "$(row "$output" open | cut -d' ' -f4)") ))
	echo "inside $inside outer $outer"
	[ "$(ns "$inside")" -le $((outer + outer / 10 + 1)) ]
}

@test "report: no tasks section without user events" {
	record t.trace "$FIX/mutex8"
	run "$CTRACE" report t.trace
	assert_success
	refute_output --partial "user tasks"
	refute_output --partial "user regions"
	CTRACE_EVENTS=thread record u.trace "$FIX/user-tasks"
	run "$CTRACE" report u.trace
	refute_output --partial "user tasks"
}

@test "threads: a regions column when the trace has regions" {
	asan_skip "pthread_create's start routines"
	record t.trace "$FIX/user-tasks"
	run "$CTRACE" threads --per-thread t.trace
	assert_success
	assert_output --partial "regions = inside user regions"
	assert_output --regexp "unknown\(s\) +% +regions\(s\) +%"
	# 3 workers ran every region; main ran none
	assert_output --regexp "worker \(user-tasks.c:[0-9]+\) +3 "
	main=$(printf '%s\n' "$output" | awk '$1 == "main" { print $NF, $(NF - 1) }')
	assert_equal "$main" "0.0% 0.000000"
	printf '%s\n' "$output" | awk '/^[0-9]+ +[0-9]+ .*worker/ { n++; if ($NF + 0 <= 0 && $(NF - 1) + 0 <= 0) bad++ }
		END { exit !(n == 3 && !bad) }'
	# percentages of lifetime: never above 100
	printf '%s\n' "$output" | awk '/^(all|[0-9])/ { p = $NF; sub(/%/, "", p); if (p + 0 > 100) exit 1 }'
}

@test "threads: no regions column without regions; columns unchanged" {
	record t.trace "$FIX/mutex8"
	run "$CTRACE" threads --per-thread t.trace
	assert_success
	refute_output --partial "regions"
	# lifetime and the eight states: 17 fields after the group and count
	printf '%s\n' "$output" | awk '$1 == "all" { exit !(NF == 19) }'
}

@test "damaged traces with user events never crash report or threads" {
	record t.trace "$FIX/user-nested"
	corrupt_runs t.trace 7 20 report threads
	size=$(stat -c %s t.trace)
	head -c $((size - 10)) t.trace > cut.trace
	run "$CTRACE" report cut.trace
	assert_success
}
