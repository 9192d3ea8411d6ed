#!/usr/bin/env bats
# recording windows: --paused starts with every hook passing through;
# ctrace ctl start|stop and ctrace_start()/ctrace_stop() open and close
# windows; the trace lists them and the analyses call the gaps unknown

load helpers

teardown() {
	stop_daemon
}


@test "ctrace_stop(), ctrace_start(): N+K writes, two windows, the gap unknown" {
	run "$CTRACE" record -q --paused -o "$T/w.trace" -- "$FIX/windows" 3 5 2
	assert_success
	assert_equal "$(events "$T/w.trace" write)" 5
	run "$CTRACE" info "$T/w.trace"
	assert_success
	assert_line "format: version 1.6, features stacks, windows"
	assert_line --regexp '^windows: 2 \(paused collector\), recording [0-9.]+ s; outside them: unknown$'
	assert_line --regexp '^  window 1: from [0-9.]+ to [0-9.]+ \([0-9.]+ s\)$'
	assert_line --regexp '^  window 2: from '
	assert_line --partial ", window 2, unknown (skipped) 0"
	# the 200 ms nanosleep of the gap is not sleep: it is unknown
	"$CTRACE" dump "$T/w.trace" >dump.txt
	run grep -c ' nanosleep \| sleep ' dump.txt
	assert_output 0
	run "$CTRACE" threads "$T/w.trace"
	assert_success
	row=$(printf '%s\n' "$output" | awk '$1 == "all"')
	# sleep(s) is column 14, unknown(s) column 18 of the all row
	assert_equal "$(echo "$row" | awk '{ print $14 }')" 0.000000
	[ "$(echo "$row" | awk '{ print ($18 >= 0.2) }')" = 1 ]
	run "$CTRACE" report "$T/w.trace"
	assert_success
	assert_line --regexp '^  sleep +0\.000000 s +0\.0%'
	assert_line --regexp '^ +[0-9.]+ s +5 calls +io +write '
}

@test "a block freed in a gap is not a leak: its fate is unknown" {
	run "$CTRACE" record -q --paused -o "$T/w.trace" -- "$FIX/windows" -h
	assert_success
	run "$CTRACE" profile leaks "$T/w.trace"
	assert_success
	assert_line --regexp "live at the end: 1 allocation, 2000 bytes$"
	assert_line "  not counted as leaked: 1 allocation, 1000 bytes live at the end, allocated before a gap in the recording (freed then or not: unknown)"
	run "$CTRACE" report "$T/w.trace"
	assert_line --partial "leaked (live at exit) 2000 bytes in 1 allocation"
	assert_line --partial "not counted as leaked: 1 allocation, 1000 bytes"
}

@test "without --paused ctrace_stop() and ctrace_start() are no-ops" {
	record "$T/w.trace" "$FIX/windows" 3 5 2
	assert_success
	assert_equal "$(events "$T/w.trace" write)" 10
	run "$CTRACE" info "$T/w.trace"
	assert_line "format: version 1.6, features stacks"
	refute_line --partial "windows:"
	refute_line --partial "window 0,"
}

@test "--paused and no start: no event of the program" {
	run "$CTRACE" record -q --paused -o "$T/w.trace" -- "$FIX/windows" -n 7
	assert_success
	"$CTRACE" dump "$T/w.trace" >dump.txt
	run awk '$3 != "-"' dump.txt
	assert_output ""
	run "$CTRACE" info "$T/w.trace"
	assert_line "windows: 0 (paused collector), recording 0.000000000 s; outside them: unknown"
}

@test "ctrace ctl start|stop on a paused collect: one window, its writes only" {
	eval "$("$CTRACE" collect --daemon --paused -o "$T/w.trace" -s "$T/sock")"
	[ -e "$T/sock.win" ]
	assert_equal "$(stat -c %a "$T/sock.win")" 600
	"$FIX/windows" -n 4
	run "$CTRACE" ctl start -s "$T/sock"
	assert_success
	assert_output ""
	"$FIX/windows" -n 6
	run "$CTRACE" ctl stop -s "$T/sock"
	assert_success
	"$FIX/windows" -n 8
	stop_daemon
	[ ! -e "$T/sock.win" ]
	# the traced front end of ctl stop writes inside the window too
	run grep -c ' write .*(windows\.c:' <("$CTRACE" dump "$T/w.trace")
	assert_output 6
	run "$CTRACE" info "$T/w.trace"
	assert_line --regexp '^windows: 1 \(paused collector\)'
}

@test "ctrace ctl: a collector not paused, none running, a bad verb" {
	eval "$("$CTRACE" collect --daemon -o "$T/w.trace" -s "$T/sock")"
	[ ! -e "$T/sock.win" ]
	run "$CTRACE" ctl stop -s "$T/sock"
	assert_failure 1
	assert_output "ctrace: ctl: the collector does not record in windows (--paused)"
	stop_daemon
	run "$CTRACE" ctl start -s "$T/nosock"
	assert_failure 7
	assert_output --regexp "^ctrace: cannot connect to $T/nosock: "
	run "$CTRACE" ctl pause -s "$T/sock"
	assert_failure 2
	assert_output "ctrace: ctl: unexpected argument 'pause'"
	run "$CTRACE" ctl
	assert_failure 2
	assert_output "ctrace: ctl: start or stop?"
}

@test "a killed paused collector's window file does not pause the next collector" {
	eval "$("$CTRACE" collect --daemon --paused -o "$T/old.trace" -s "$T/sock")"
	kill -KILL "$CTRACE_COLLECTOR_PID"
	for i in $(seq 50); do kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
	[ -e "$T/sock.win" ]
	# its socket stays too, and refuses a bind: removed by hand
	rm "$T/sock"
	eval "$("$CTRACE" collect --daemon -o "$T/w.trace" -s "$T/sock")"
	[ ! -e "$T/sock.win" ]
	"$FIX/windows" -n 4
	stop_daemon
	run grep -c ' write .*(windows\.c:' <("$CTRACE" dump "$T/w.trace")
	assert_output 4
}
