#!/usr/bin/env bats
# process family: fork, exec, exit statuses, the process tree

bats_require_minimum_version 1.5.0
load helpers

@test "3 children exec /bin/true: info shows the tree and statuses" {
	record t.trace "$FIX/forkexec"
	assert_success
	assert_output "children ok=3"
	run "$CTRACE" dump t.trace
	[ "$(echo "$output" | awk '$4 == "fork"' | wc -l)" -eq 3 ]
	# one root plus 3 forked images plus 3 exec'ed images of /bin/true
	[ "$(echo "$output" | awk '$4 == "process"' | wc -l)" -eq 7 ]
	[ "$(echo "$output" | grep -c ' process .*flags=exec.*exe="/usr/bin/true"')" -eq 3 ]
	run "$CTRACE" info t.trace
	assert_success
	[ "$(echo "$output" | grep -c 'true.*exit 0')" -ge 3 ]
	assert_output --partial "forkexec"
	# the collector's totals agree with what was read: 4 processes
	assert_line --regexp "^end record: .* 4 processes$"
	assert_line "  matches what was read"
}

@test "exit statuses are recorded for exit, return and _exit" {
	record t.trace sh -c 'exit 3'
	assert_failure 3
	run "$CTRACE" dump t.trace
	assert_line --regexp "process_end .*status=3"
	record t.trace "$FIX/quickexit"
	assert_failure 7
	run "$CTRACE" dump t.trace
	assert_line --regexp "process_end .*how=_exit status=7"
}

@test "record passes the command's exit status and death by signal" {
	record t.trace sh -c 'kill -TERM $$'
	assert_failure 143
	run -127 "$CTRACE" record -q -o t.trace -- /nonexistent/program
	assert_output --partial "cannot run /nonexistent/program"
	record t.trace true
	assert_success
}

@test "record forwards SIGTERM to the command" {
	"$CTRACE" record -q -o t.trace -- sleep 30 &
	pid=$!
	sleep 0.5
	kill -TERM $pid
	wait $pid && st=0 || st=$?
	assert_equal "$st" 143
	run "$CTRACE" info t.trace
	assert_success
}

@test "execl with 300 arguments: the hook's own mapping is not the program's" {
	record t.trace "$FIX/execl-many"
	assert_success
	assert_output "execl -1 No such file or directory"
	assert_equal "$(events t.trace exec_fail)" 1
	assert_equal "$(events t.trace mmap) $(events t.trace munmap)" "0 0"
}
