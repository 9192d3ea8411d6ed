#!/usr/bin/env bats
# the examples: same results traced, and traces that tell variants apart

load helpers

EX="$CTRACE_BUILD/examples"

@test "mandelbrot: every mode writes the same PNG, traced or not" {
	"$EX/mandelbrot" -m seq -w 96 -h 96 -o ref.png
	for m in seq px row workers wbuf; do
		"$EX/mandelbrot" -m $m -n 2 -w 96 -h 96 -o plain.png
		cmp ref.png plain.png
		record t.trace "$EX/mandelbrot" -m $m -n 2 -w 96 -h 96 -o traced.png
		assert_success
		cmp ref.png traced.png
	done
}

@test "mandelbrot: seq and workers differ in threads as they should" {
	asan_skip "pthread_create's start routines"
	record seq.trace "$EX/mandelbrot" -m seq -w 256 -h 256 -o a.png
	record wk.trace "$EX/mandelbrot" -m workers -n 2 -w 256 -h 256 -o b.png
	run "$CTRACE" threads seq.trace
	assert_success
	assert_output --partial "threads: 1;"
	# one thread that computes and never blocks: no lock, condvar, wait,
	# sleep or join time; its life is execution, sched-wait, a little io
	# and unknown, which add up to it.  How much is execution is not
	# asked: a load moves time to sched-wait, and a hypervisor's stolen
	# time, which schedstat counts as neither, to unknown (CI once saw
	# execution + sched-wait under 80%)
	assert_equal "$(echo "$output" | awk '$1 == "main" { print $8, $12, $14, $16 }')" \
		"0.000000 0.000000 0.000000 0.000000"
	assert_equal "$(echo "$output" | awk '$1 == "main" {
		d = $3 - ($4 + $6 + $8 + $10 + $12 + $14 + $16 + $18)
		print ($4 > 0 && d < 0.000005 && d > -0.000005) ? "adds up" : d }')" \
		"adds up"
	run "$CTRACE" threads wk.trace
	assert_success
	assert_output --partial "threads: 3;"
	# two workers grouped by their routine; main blocked sending rows
	assert_line --regexp "^pool_worker \(mandelbrot\.c:[0-9]+\) +2 "
	main_sync=$(echo "$output" | awk '$1 == "main" { print $8 }')
	awk -v s="$main_sync" 'BEGIN { exit !(s > 0) }'
}

@test "findtopic: every variant prints the same line, traced or not" {
	"$EX/findtopic" gen -d docs -n 40 -s 5000
	ref=$("$EX/findtopic" find -d docs -v find)
	[[ "$ref" =~ ^found\ ctrace\ in\ [0-9]+\ of\ 40\ documents$ ]]
	for v in find concurrent sem numcpu actor tasks; do
		run "$EX/findtopic" find -d docs -v $v -n 2
		assert_output "$ref"
		record t.trace "$EX/findtopic" find -d docs -v $v -n 2
		assert_success
		assert_output "$ref"
	done
}

@test "findtopic: sequential and worker variants differ in threads" {
	asan_skip "pthread_create's start routines"
	"$EX/findtopic" gen -d docs -n 40 -s 5000
	record f.trace "$EX/findtopic" find -d docs -v find
	record c.trace "$EX/findtopic" find -d docs -v concurrent
	record n.trace "$EX/findtopic" find -d docs -v numcpu -n 2
	run "$CTRACE" threads f.trace
	assert_output --partial "threads: 1;"
	run "$CTRACE" threads c.trace
	assert_output --partial "threads: 41;"
	assert_line --regexp "^one_doc \(findtopic\.c:[0-9]+\) +40 "
	run "$CTRACE" threads n.trace
	assert_output --partial "threads: 3;"
	assert_line --regexp "^numcpu_worker \(findtopic\.c:[0-9]+\) +2 "
	# reading documents shows as io, 4 KiB at a time
	[ "$(events f.trace read)" -ge 40 ]
}

@test "findtopic tasks: a task, two regions and a log per match" {
	"$EX/findtopic" gen -d docs -n 40 -s 5000
	record t.trace "$EX/findtopic" find -d docs -v tasks -n 2
	assert_success
	matches=$(echo "$output" | sed 's/found ctrace in \([0-9]*\) of.*/\1/')
	assert_equal "$(events t.trace task_begin)" 40
	assert_equal "$(events t.trace task_end)" 40
	assert_equal "$(events t.trace region_begin)" 80
	assert_equal "$(events t.trace region_end)" 80
	assert_equal "$(events t.trace log)" "$matches"
	run "$CTRACE" report t.trace
	assert_success
	assert_line --regexp "^  document +40 +0 "
	assert_line --regexp "^  parse +40 +0 "
	assert_line --regexp "^  read +40 +0 "
	assert_line --regexp "^  match +$matches$"
}

@test "findtopic: a missing directory is one line and status 1" {
	run "$EX/findtopic" find -d "$T/none"
	assert_failure 1
	assert_output "findtopic: cannot open $T/none: No such file or directory"
	run "$EX/findtopic" find
	assert_failure 2
}
