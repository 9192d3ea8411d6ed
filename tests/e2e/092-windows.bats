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
	assert_line "format: version 2.3, features stacks, windows"
	assert_line --regexp '^windows: 2 \(paused collector\), recording [0-9.]+ s; outside them: unknown$'
	assert_line --regexp '^  window 1: from [0-9.]+ to [0-9.]+ \([0-9.]+ s\)$'
	assert_line --regexp '^  window 2: from '
	assert_line --partial ", window 2, window_open 2, unknown (skipped) 0"
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
	assert_line "format: version 2.3, features stacks"
	refute_line --partial "windows:"
	refute_line --partial "window 0,"
}

@test "--paused and no start: no event of the program but its exit" {
	run "$CTRACE" record -q --paused -o "$T/w.trace" -- "$FIX/windows" -n 7
	assert_success
	"$CTRACE" dump "$T/w.trace" >dump.txt
	# the process's life is recorded in a gap too
	run awk '$3 != "-" { $1 = "T"; $2 = $3 = "P"; print }' dump.txt
	assert_output "T P P exit status=0 how=2"
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

@test "a windowed trace piped on stdin is clipped as it is read: the same analyses as from the file" {
	run "$CTRACE" record -q --paused -o "$T/w.trace" -- "$FIX/windows" 3 5 2
	assert_success
	# WINDOW_OPEN comes before each window's events
	run "$CTRACE" info "$T/w.trace"
	assert_line --partial ", window 2, window_open 2, unknown (skipped) 0"
	for c in report threads info dump; do
		"$CTRACE" "$c" "$T/w.trace" | sed 's|^trace: .*|trace: T|' >"$T/f.$c"
		"$CTRACE" "$c" - <"$T/w.trace" | sed 's|^trace: .*|trace: T|' >"$T/s.$c"
		run diff "$T/f.$c" "$T/s.$c"
		assert_success
		assert_output ""
	done
	run grep -c ' write ' "$T/s.dump"
	assert_output 5
	run awk '$1 == "all" { print $2 }' "$T/s.threads"
	assert_output 1
	run grep -c 'window [12]: from ' "$T/s.info"
	assert_output 2
}

@test "--flight --paused: a snapshot taken while paused holds its span's windows, the open one to its end" {
	eval "$("$CTRACE" collect --daemon --flight=64M --paused -o "$T/c.trace" -s "$T/sock")"
	"$FIX/windows" -n 4
	"$CTRACE" ctl start -s "$T/sock"
	"$FIX/windows" -n 6
	"$CTRACE" ctl stop -s "$T/sock"
	"$FIX/windows" -n 8
	"$CTRACE" ctl start -s "$T/sock"
	"$FIX/windows" -n 3
	run "$CTRACE" snapshot -s "$T/sock"
	assert_success
	snap=$output
	stop_daemon
	run "$CTRACE" info "$snap"
	assert_success
	assert_line "format: version 2.3, features stacks, windows"
	assert_line --regexp '^windows: 2 \(paused collector\), recording [0-9.]+ s; outside them: unknown$'
	assert_line --partial ", window 2, window_open 2, unknown (skipped) 0"
	# the window still open at the snapshot is open to the snapshot's end
	end=$(printf '%s\n' "$output" | sed -n 's/^snapshot: window from [0-9.]* to \([0-9.]*\) .*/\1/p')
	[ -n "$end" ]
	assert_line --regexp "^  window 2: from [0-9.]+ to $end "
	run grep -c ' write .*(windows\.c:' <("$CTRACE" dump "$snap")
	assert_output 9
	run grep -c ' write .*(windows\.c:' <("$CTRACE" dump - <"$snap")
	assert_output 9
}

@test "--flight --paused: a window older than the snapshot's span is left out, one that began before it is cut to it" {
	eval "$("$CTRACE" collect --daemon --flight=64M,2 --paused -o "$T/c.trace" -s "$T/sock")"
	"$CTRACE" ctl start -s "$T/sock"
	"$FIX/windows" -n 6
	"$CTRACE" ctl stop -s "$T/sock"
	"$CTRACE" ctl start -s "$T/sock"
	# long past the bound: the first window's chunks are sealed and
	# evicted by the 1 s timer; the second window began before the span
	sleep 5
	"$FIX/windows" -n 3
	"$CTRACE" ctl stop -s "$T/sock"
	"$FIX/windows" -n 8
	run "$CTRACE" snapshot -s "$T/sock"
	assert_success
	snap=$output
	stop_daemon
	run "$CTRACE" info "$snap"
	assert_success
	assert_line --regexp '^  before the window: unknown; [1-9][0-9]* events evicted \([1-9][0-9]* chunks?\)$'
	assert_line --regexp '^windows: 1 \(paused collector\), recording [0-9.]+ s; outside them: unknown$'
	assert_line --regexp '^  window 1: from 0\.000000000 to [0-9.]+ '
	run grep -c ' write .*(windows\.c:' <("$CTRACE" dump "$snap")
	assert_output 3
}

@test "threads born and ended in a gap: their lives begin and end there, their time in it unknown" {
	run "$CTRACE" record -q --paused -o "$T/w.trace" -- "$FIX/windows-threads"
	assert_success
	run "$CTRACE" info "$T/w.trace"
	w1_end=$(printf '%s\n' "$output" | sed -n 's/^  window 1: from [0-9.]* to \([0-9.]*\) .*/\1/p')
	w2_start=$(printf '%s\n' "$output" | sed -n 's/^  window 2: from \([0-9.]*\) .*/\1/p')
	[ -n "$w1_end" ] && [ -n "$w2_start" ]
	"$CTRACE" dump "$T/w.trace" >dump.txt
	# A: created, started and ended in the gap; B: started in it
	a_tid=$(awk '/ thread_start .*routine=thread_a/ { print $3 }' dump.txt)
	b_tid=$(awk '/ thread_start .*routine=thread_b/ { print $3 }' dump.txt)
	[ -n "$a_tid" ] && [ -n "$b_tid" ]
	run awk -v a="$w1_end" -v b="$w2_start" -v t="$a_tid" '
		$3 == t && ($4 == "thread_start" || $4 == "thread_end") {
			print $4, ($1 > a && $1 < b) ? "in the gap" : "outside it" }' dump.txt
	assert_output "thread_start in the gap
thread_end in the gap"
	run awk -v a="$w1_end" -v b="$w2_start" -v t="$b_tid" '
		$3 == t && ($4 == "thread_start" || $4 == "thread_end") {
			print $4, ($1 > a && $1 < b) ? "in the gap" : "outside it" }' dump.txt
	assert_output "thread_start in the gap
thread_end outside it"
	run awk '$4 == "thread_create"' dump.txt
	assert_equal "${#lines[@]}" 2
	# nothing else of A's: its writes were in the gap
	run awk -v t="$a_tid" '$3 == t && $4 != "thread_start" && $4 != "thread_end"' dump.txt
	assert_output ""
	run "$CTRACE" threads "$T/w.trace"
	assert_success
	assert_line --partial "threads: 3; "
	# A's whole lifetime is unknown: its start to its end, nothing known
	row=$(printf '%s\n' "$output" | awk '$1 == "thread_a"')
	[ -n "$row" ]
	assert_equal "$(echo "$row" | awk '{ print $3, $(NF - 1) == $4, $NF }')" "1 1 100.0%"
	assert_equal "$(echo "$row" | awk '{ print $5 + $7 + $9 + $11 + $13 + $15 + $17 }')" 0
	start=$(awk -v t="$a_tid" '$3 == t && $4 == "thread_start" { print $1 }' dump.txt)
	end=$(awk -v t="$a_tid" '$3 == t && $4 == "thread_end" { print $1 }' dump.txt)
	# in ns, as the analyzer has them, then cut to µs as it prints them
	assert_equal "$(echo "$row" | awk '{ print $4 }')" "$(awk -v s="${start/./}" -v e="${end/./}" 'BEGIN { d = e - s; printf "%d.%06d", int(d / 1e9), int((d % 1e9) / 1000) }')"
	row=$(printf '%s\n' "$output" | awk '$1 == "thread_b"')
	assert_equal "$(echo "$row" | awk '{ print $3 }')" 1
	run "$CTRACE" report "$T/w.trace"
	assert_line --regexp '^processes: 1 \(1 image\), threads: 3, '
}

@test "the timeline does not spread a reading's on-CPU time over a gap: unknown there, as in threads" {
	run "$CTRACE" record -q --paused -o "$T/w.trace" -- "$FIX/windows" -c
	assert_success
	run "$CTRACE" info "$T/w.trace"
	w1_end=$(printf '%s\n' "$output" | sed -n 's/^  window 1: from [0-9.]* to \([0-9.]*\) .*/\1/p')
	w2_start=$(printf '%s\n' "$output" | sed -n 's/^  window 2: from \([0-9.]*\) .*/\1/p')
	[ -n "$w1_end" ] && [ -n "$w2_start" ]
	# a reading in each window: the 60 ms on the CPU between them were
	# in the gap, where nothing says when
	run grep -c ' sched why=2 ' <("$CTRACE" dump "$T/w.trace")
	assert_output 2
	run "$CTRACE" export --format json -o "$T/w.json" "$T/w.trace"
	assert_success
	run python3 - "$T/w.json" "$w1_end" "$w2_start" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
a, b = float(sys.argv[2]) * 1e6, float(sys.argv[3]) * 1e6
seen = set()
for e in d["traceEvents"] if isinstance(d, dict) else d:
    if e.get("ph") != "X" or e.get("cat") not in ("unknown", "running", "runnable"):
        continue
    if e["ts"] < b and e["ts"] + e["dur"] > a:
        seen.add(e["cat"])
print(" ".join(sorted(seen)))
PY
	assert_success
	assert_output "unknown"
	# on a CPU or runnable only where readings inside a window say so:
	# after the second sleep, on the way out (a CPU sample or the exit's
	# reading may see that), never in the gap's 60 ms
	"$CTRACE" dump "$T/w.trace" > dump.txt
	out=$(awk '$4 == "sleep" { split($5, d, "="); e = $1 + d[2] / 1e9 }
		   $4 == "sched" { l = $1 } END { printf "%.6f", l - e }' dump.txt)
	run "$CTRACE" threads "$T/w.trace"
	row=$(printf '%s\n' "$output" | awk '$1 == "all"')
	run awk -v r="$row" -v out="$out" 'BEGIN { split(r, f, " ")
		print (f[4] + f[6] <= out + 0.000001) ? "within the way out" : \
			"on a CPU " f[4] " runnable " f[6] " > " out }'
	assert_output "within the way out"
}

@test "a killed paused collector's open window runs to the last event, on a file and on a pipe" {
	eval "$("$CTRACE" collect --daemon --paused -o "$T/w.trace" -s "$T/sock")"
	"$CTRACE" ctl start -s "$T/sock"
	"$FIX/windows" -n 4
	# the chunk to disk (SIGUSR1), then killed: no WINDOW closes it
	for i in $(seq 50); do
		kill -USR1 "$CTRACE_COLLECTOR_PID"
		[ "$(grep -c ' write .*(windows\.c:' <("$CTRACE" dump "$T/w.trace" 2>/dev/null))" = 4 ] && break
		sleep 0.1
	done
	kill -KILL "$CTRACE_COLLECTOR_PID"
	for i in $(seq 50); do kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
	rm -f "$T/sock" "$T/sock.win"
	run "$CTRACE" info "$T/w.trace"
	assert_line --regexp '^windows: 1 \(paused collector\), recording [0-9.]+ s; outside them: unknown$'
	last=$(printf '%s\n' "$output" | sed -n 's/^duration: [0-9.]* s (from [0-9.]* to \([0-9.]*\))$/\1/p')
	[ -n "$last" ]
	assert_line --regexp "^  window 1: from [0-9.]+ to $last "
	assert_line --partial ", schema 1, window_open 1, unknown (skipped) 0"
	run grep -c ' write .*(windows\.c:' <("$CTRACE" dump "$T/w.trace")
	assert_output 4
	run grep -c ' write .*(windows\.c:' <("$CTRACE" dump - <"$T/w.trace")
	assert_output 4
}
