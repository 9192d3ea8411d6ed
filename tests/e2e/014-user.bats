#!/usr/bin/env bats
# user family: the annotation API of include/ctrace.h

load helpers

@test "tasks, regions and logs: exact counts" {
	record t.trace "$FIX/user-tasks"
	assert_success
	assert_output "total=270"
	assert_equal "$(events t.trace task_begin)" 31
	assert_equal "$(events t.trace task_end)" 31
	assert_equal "$(events t.trace region_begin)" 60
	assert_equal "$(events t.trace region_end)" 60
	assert_equal "$(events t.trace log)" 31
}

@test "task ids: from 1, unique, children name their parent" {
	record t.trace "$FIX/user-tasks"
	assert_success
	"$CTRACE" dump t.trace | awk '$4 == "task_begin"' > tb
	root=$(grep 'type="main"' tb | tr ' ' '\n' | sed -n 's/^id=//p')
	assert_equal "$root" 1
	[ "$(grep -c "parent=1 " tb)" -eq 30 ]
	[ "$(tr ' ' '\n' < tb | sed -n 's/^id=//p' | sort -u | wc -l)" -eq 31 ]
	"$CTRACE" dump t.trace | grep -q 'log task=[0-9]* category="progress" message="worker 2 job 7"'
	"$CTRACE" dump t.trace | grep -q 'log task=1 category="done" message=""'
}

@test "regions carry their task and type" {
	record t.trace "$FIX/user-tasks"
	[ "$("$CTRACE" dump t.trace | awk '$4 == "region_begin"' | grep -c 'type="inner"')" -eq 30 ]
	[ "$("$CTRACE" dump t.trace | awk '$4 == "region_end"' | grep -c 'type="outer"')" -eq 30 ]
}

@test "CTRACE_EVENTS without user: no user events, same output" {
	CTRACE_EVENTS=thread record t.trace "$FIX/user-tasks"
	assert_success
	assert_output "total=270"
	assert_equal "$(events t.trace task_begin)" 0
	assert_equal "$(events t.trace log)" 0
}

@test "without the preload the program runs the same" {
	run "$FIX/user-tasks"
	assert_success
	assert_output "total=270"
}
