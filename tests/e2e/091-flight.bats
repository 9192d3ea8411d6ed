#!/usr/bin/env bats
# flight mode: the collector keeps the recent window in memory and writes
# a snapshot of it when asked (ctrace snapshot, SIGUSR2, ctrace_snapshot(),
# a crash with --snapshot-on-crash)

load helpers

teardown() {
	stop_daemon
}

# snaps: the snapshot files in the test's directory, one a line
snaps() {
	ls "$T" | grep '^ctrace-snap-.*\.trace$' || true
}

# crash_snap: the one snapshot a SIGSEGV took: its info says so; its dump
# is in $output, its path in $snap
crash_snap() {
	run snaps
	assert_equal "${#lines[@]}" 1
	[[ ${lines[0]} =~ -SIGSEGV\.trace$ ]]
	snap=$T/${lines[0]}
	run "$CTRACE" info "$snap"
	assert_line --regexp 'by crash \(pid [0-9]+\), reason "SIGSEGV"$'
	run "$CTRACE" dump "$snap"
}

# wait_file PATH: until PATH exists (the collector writes it on a signal)
wait_file() {
	local i
	for i in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done
	false
}

@test "the slow request: its task, regions and lock wait, in a window that evicted the start" {
	run "$CTRACE" record -q --flight=256K -o "$T/flight.trace" -- \
		"$FIX/flight-server"
	assert_success
	holder=$(printf '%s\n' "$output" | sed -n 's/^holder //p')
	assert_line "slow request 15000"
	# nothing at exit but what was asked for: no -o file, one snapshot
	[ ! -e "$T/flight.trace" ]
	run snaps
	assert_equal "${#lines[@]}" 1
	[[ ${lines[0]} =~ ^ctrace-snap-[0-9]{8}-[0-9]{6}\.[0-9]{3}-slow_request\.trace$ ]]
	snap=$T/${lines[0]}
	assert_equal "$(stat -c %a "$snap")" 600
	run "$CTRACE" info "$snap"
	assert_success
	assert_line --regexp '^snapshot: window from 0\.000000000 to .* by program \(pid [0-9]+\), reason "slow request"$'
	assert_line --regexp '^  before the window: unknown; [1-9][0-9]* events evicted \([1-9][0-9]* chunks?\)$'
	assert_line "integrity: clean (end record read)"
	assert_line "  matches what was read"
	"$CTRACE" dump "$snap" >dump.txt
	# the slow request's task, both regions, the wait and its holder
	grep -q ' task_begin id=15000 parent=0 type="request"$' dump.txt
	grep -q ' task_end id=15000$' dump.txt
	[ "$(grep -c ' region_begin task=15000 ' dump.txt)" = 2 ]
	[ "$(grep -c ' region_end task=15000 ' dump.txt)" = 2 ]
	grep " mutex_block " dump.txt >wait.txt
	assert_equal "$(wc -l <wait.txt)" 1
	assert_equal "$(field "$(cat wait.txt)" holder)" "$holder"
	# the holder waited for its turn since before the window: blocked
	# from the window's start, not before it
	run awk -v h="$holder" '$3 == h && $4 == "sem_wait" { print $1 }' dump.txt
	assert_output "0.000000000"
	# the first requests were evicted: no event older than the window
	run grep -c ' task_begin id=1 ' dump.txt
	assert_output 0
	run awk '$4 != "process" && $1 != "-" && $1 ~ /^-/' dump.txt
	assert_output ""
	# every analysis reads it
	for cmd in report threads "profile cpu" "profile sync" "profile io" \
		   "profile sync --format pprof -o p.pb" "export --format perfetto -o x.pftrace" \
		   "export --format json -o x.json" "html -o x.html" dump; do
		run "$CTRACE" $cmd "$snap"
		assert_success
	done
}

@test "a window the ring holds whole: nothing evicted, the first request in" {
	run "$CTRACE" record -q --flight=64M -o "$T/flight.trace" -- \
		"$FIX/flight-server"
	assert_success
	snap=$T/$(snaps)
	run "$CTRACE" info "$snap"
	assert_line "  before the window: unknown; 0 events evicted (0 chunks)"
	"$CTRACE" dump "$snap" | grep -q ' task_begin id=1 parent=0 type="request"$'
}

@test "without flight mode ctrace_snapshot() is a no-op and the trace is whole" {
	record "$T/whole.trace" "$FIX/flight-server"
	assert_success
	run snaps
	assert_output ""
	assert_equal "$(events "$T/whole.trace" task_begin)" 20000
}

@test "ctrace snapshot twice gives two files, -o names one; SIGUSR2 a third" {
	eval "$("$CTRACE" collect --daemon --flight=8M,600 -o "$T/c.trace" \
		-s "$T/sock")"
	"$FIX/mutex8"
	run "$CTRACE" snapshot -s "$T/sock"
	assert_success
	[[ $output =~ ^$T/ctrace-snap-[0-9]{8}-[0-9]{6}\.[0-9]{3}-command\.trace$ ]]
	first=$output
	run "$CTRACE" snapshot -s "$T/sock" -r "second one"
	assert_success
	[[ $output =~ -second_one\.trace$ ]]
	[ "$output" != "$first" ]
	run "$CTRACE" snapshot -s "$T/sock" -o mine.trace
	assert_success
	assert_output "$T/mine.trace"
	kill -USR2 "$CTRACE_COLLECTOR_PID"
	for i in $(seq 100); do
		[ "$(snaps | grep -c signal)" = 1 ] && break
		sleep 0.1
	done
	run snaps
	assert_equal "${#lines[@]}" 3
	stop_daemon
	[ ! -e "$T/c.trace" ]
	for f in "$first" "$T/mine.trace" "$T"/ctrace-snap-*-signal.trace; do
		run "$CTRACE" info "$f"
		assert_success
		assert_line --partial "snapshot: window from"
		assert_equal "$(events "$f" thread_create)" 8
	done
	run "$CTRACE" info "$T/mine.trace"
	assert_line --regexp 'by command, reason ""$'
}

@test "a collector not in flight mode answers ctrace snapshot with an error" {
	eval "$("$CTRACE" collect --daemon -o "$T/c.trace" -s "$T/sock")"
	run "$CTRACE" snapshot -s "$T/sock"
	assert_failure 1
	assert_output "ctrace: snapshot: the collector is not in flight mode (--flight)"
	run "$CTRACE" snapshot -s "$T/nosock"
	assert_failure 7
	run snaps
	assert_output ""
}

@test "--snapshot-on-crash: a SIGSEGV of the command gives a snapshot; the status stays 139" {
	run "$CTRACE" record -q --flight --snapshot-on-crash -o "$T/x.trace" \
		-- "$FIX/flight-crash"
	assert_failure 139
	crash_snap
	assert_line --regexp ' process_end image=1 how=wait status=11$'
	# the fatal signal, on the faulting thread, after its events
	assert_line --regexp '^[0-9.]+ ([0-9]+) \1 fatal_signal sig=11 .* action=0 stack=main'
	# and what it did before: its usleep and the write of "crashing"
	assert_line --regexp '^[0-9.]+ ([0-9]+) \1 sleep .* req=1000000 .* call=usleep stack=main'
	assert_line --regexp '^[0-9.]+ ([0-9]+) \1 write .* bytes=9 result=9 call=fflush stack=main'
}

@test "--snapshot-on-crash: a crash of a process the command started, seen by its FATAL_SIGNAL" {
	# sh, not the collector, reaps flight-crash: only its event says
	run "$CTRACE" record -q --flight --snapshot-on-crash -o "$T/x.trace" \
		-- sh -c '"$1"; echo "after $?"' sh "$FIX/flight-crash"
	assert_success
	assert_line "crashing"
	assert_line "after 139"
	crash_snap
	assert_line --regexp '^[0-9.]+ ([0-9]+) \1 fatal_signal sig=11 .* action=0 stack=main'
	assert_line --regexp '^[0-9.]+ ([0-9]+) \1 write .* bytes=9 result=9 call=fflush stack=main'
	assert_line --regexp ' process_end image=[0-9]+ how=vanished status=0$'
}

@test "no crash, no snapshot; --snapshot-on-crash needs --flight" {
	run "$CTRACE" record -q --flight --snapshot-on-crash -o "$T/x.trace" \
		-- "$FIX/mutex8"
	assert_success
	run snaps
	assert_output ""
	run "$CTRACE" record --snapshot-on-crash -- true
	assert_failure 2
	assert_output "ctrace: record: --snapshot-on-crash needs --flight"
	run "$CTRACE" record --flight=12X -- true
	assert_failure 2
	assert_output --partial "bad value '12X' for --flight"
	run "$CTRACE" record --flight=1M,0 -- true
	assert_failure 2
	# the snapshots' directory must be there from the start
	run "$CTRACE" record --flight -o "$T/nodir/x.trace" -- true
	assert_failure 6
	assert_output "ctrace: cannot write snapshots into $T/nodir: No such file or directory"
}

@test "--flight=SIZE,SECONDS: what is older than SECONDS is evicted" {
	eval "$("$CTRACE" collect --daemon --flight=64M,2 -o "$T/c.trace" \
		-s "$T/sock")"
	"$FIX/mutex8"
	# long past the bound: the first run's chunk is sealed and evicted
	# by the 1 s timer; the second run is well inside it
	sleep 5
	"$FIX/condpingpong" >/dev/null
	run "$CTRACE" snapshot -s "$T/sock"
	assert_success
	snap=$output
	stop_daemon
	run "$CTRACE" info "$snap"
	assert_line --regexp '^  before the window: unknown; [1-9][0-9]* events evicted \([1-9][0-9]* chunks?\)$'
	"$CTRACE" dump "$snap" >dump.txt
	# both processes are named (definitions are never evicted), but
	# only the second one's events are in the window
	m=$(awk '$4 == "process" && /mutex8/ { print $2 }' dump.txt)
	c=$(awk '$4 == "process" && /condpingpong/ { print $2 }' dump.txt)
	[ -n "$m" ] && [ -n "$c" ]
	run awk -v p="$m" '$2 == p && $4 != "process" && $4 != "process_end"' dump.txt
	assert_output ""
	run awk -v p="$c" '$2 == p && $4 == "thread_create"' dump.txt
	assert_equal "${#lines[@]}" 1
}

@test "--flight=SIZE bounds all it holds: a snapshot's chunks stay within SIZE" {
	# heavy definitions, then enough heap events for the ring to evict
	run "$CTRACE" record -q --flight=1M -o "$T/x.trace" -- \
		"$FIX/snap-bound"
	assert_success
	snap=$T/$(snaps)
	run "$CTRACE" info "$snap"
	assert_success
	assert_line --regexp '^  before the window: unknown; [1-9][0-9]* events evicted'
	assert_line "integrity: clean (end record read)"
	assert_line --regexp '^records: process 1, .*string 16[0-9]{3}, '
	stored=$(printf '%s\n' "$output" |
		 sed -n 's/^  stored: \([0-9]*\) bytes of chunks$/\1/p')
	[ -n "$stored" ]
	[ "$stored" -le 1048576 ]
	# the window still holds events: only what passes SIZE is evicted
	[ "$(events "$snap" alloc)" -gt 1000 ]
}

# ns SECONDS: a dump's 0.000000000 time as an integer of ns
ns() {
	echo $((10#${1/./}))
}

@test "a snapshot shows the threads blocked when it was taken: on what, since when, until the snapshot" {
	run "$CTRACE" record -q --flight -o "$T/x.trace" -- "$FIX/snap-blocked"
	assert_success
	pid_of() { printf '%s\n' "$output" | sed -n "s/^$1 //p"; }
	holder=$(pid_of holder) locker=$(pid_of locker) reader=$(pid_of reader)
	fd=$(pid_of fd) mutex=$(pid_of mutex)
	snap=$T/$(snaps)
	[[ $snap =~ -blocked\.trace$ ]]
	"$CTRACE" dump "$snap" >dump.txt
	end=$(awk '$4 == "end" { print $1 }' dump.txt)
	# the locker: in mutex_block (16) of main's mutex, from the call's
	# start to the snapshot's end, at its call site, main holding it
	run grep " $locker unfinished " dump.txt
	assert_equal "${#lines[@]}" 1
	[[ ${lines[0]} =~ ^([0-9.]+)\ $holder\ $locker\ unfinished\ dur=([0-9]+)\ type=16\ obj=$mutex\ fd=-1\ call=-\ stack=locker\+0x[0-9a-f]+\(snap-blocked\.c:[0-9]+\)\ holder=$holder$ ]]
	assert_equal $(($(ns "${BASH_REMATCH[1]}") + BASH_REMATCH[2])) "$(ns "$end")"
	# the reader: in read (64) of the pipe's read end
	run grep " $reader unfinished " dump.txt
	assert_equal "${#lines[@]}" 1
	[[ ${lines[0]} =~ ^([0-9.]+)\ $holder\ $reader\ unfinished\ dur=([0-9]+)\ type=64\ obj=0x0\ fd=$fd\ call=read\ stack=reader\+0x[0-9a-f]+\(snap-blocked\.c:[0-9]+\)\ holder=0$ ]]
	assert_equal $(($(ns "${BASH_REMATCH[1]}") + BASH_REMATCH[2])) "$(ns "$end")"
	# ctrace_snapshot() sent every thread's buffer: their starts are in
	run awk -v t="$locker" '$3 == t && $4 == "thread_start" { print $NF }' dump.txt
	assert_output --regexp '^routine=locker\(snap-blocked\.c:[0-9]+\)$'
	run awk -v t="$reader" '$3 == t && $4 == "thread_start" { print $NF }' dump.txt
	assert_output --regexp '^routine=reader\(snap-blocked\.c:[0-9]+\)$'
	# the analyses show them blocked, the mutex by its name
	run "$CTRACE" report "$snap"
	assert_success
	assert_line --regexp '^ +[0-9.]+ s +1 call +sync +mutex_block +locker \(snap-blocked\.c:[0-9]+\)  \[1 unfinished\]$'
	assert_line --regexp '^ +[0-9.]+ s +1 call +io +read +reader \(snap-blocked\.c:[0-9]+\)  \[1 unfinished\]$'
	# and who holds the mutex, as for a wait that ended
	assert_line --regexp "^  pid $holder +$mutex +m +mutex_block +[0-9.]+ s in 1 wait \\[1 unfinished\\], most held by tid $holder \\([0-9.]+ s\\)$"
	# said as what they are: blocked when the snapshot was taken, not
	# at an exit that never came (before: "at exit" everywhere); main
	# may be in its sleep too, so the counts are not checked here
	assert_line --regexp "calls unfinished \(blocked at their process's exit or when the snapshot was taken\): [23]$"
	run "$CTRACE" threads "$snap"
	assert_line --regexp "^unfinished = calls still blocked when their process exited or the snapshot was taken, blocked to then: [23]$"
	run "$CTRACE" profile sync "$snap"
	assert_line --regexp '^1 call was still blocked at exit or when the snapshot was taken \(counted to then: [0-9.]+ s of the total\)$'
	"$CTRACE" export --format json -o t.json "$snap"
	assert_equal "$(grep -o '"unfinished":"[^"]*"' t.json | sort -u)" \
		'"unfinished":"still blocked when the snapshot was taken"'
	run "$CTRACE" info "$snap"
	assert_line "integrity: clean (end record read)"
	assert_line "  matches what was read"
}

# the collector's snapshot writers wait on this FIFO (a test hook): one
# byte written lets one go
gate_daemon() {
	mkfifo "$T/gate"
	eval "$(CTRACE_TEST_SNAP_GATE=$T/gate "$CTRACE" collect --daemon \
		--flight=8M -o "$T/c.trace" -s "$T/sock")"
}

@test "a snapshot is written off the loop: it answers and records meanwhile; a stop waits for it" {
	gate_daemon
	"$CTRACE" snapshot -s "$T/sock" -o a.trace >a.out &
	apid=$!
	wait_file "$T/a.trace"
	# held before its first byte: the loop still answers and records
	run "$CTRACE" ctl start -s "$T/sock"
	assert_failure 1
	assert_output "ctrace: ctl: the collector does not record in windows (--paused)"
	"$FIX/mutex8"
	[ ! -s "$T/a.trace" ]
	kill -0 "$apid"
	printf x >"$T/gate"
	wait "$apid"
	assert_equal "$(cat a.out)" "$T/a.trace"
	run "$CTRACE" info "$T/a.trace"
	assert_line "integrity: clean (end record read)"
	# a stop while one is being written: the file is finished, the
	# command answered, then the collector ends
	"$CTRACE" snapshot -s "$T/sock" -o b.trace >b.out &
	bpid=$!
	wait_file "$T/b.trace"
	kill -TERM "$CTRACE_COLLECTOR_PID"
	printf x >"$T/gate"
	wait "$bpid"
	assert_equal "$(cat b.out)" "$T/b.trace"
	for i in $(seq 100); do
		kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break
		sleep 0.1
	done
	run kill -0 "$CTRACE_COLLECTOR_PID"
	assert_failure
	run "$CTRACE" info "$T/b.trace"
	assert_line "integrity: clean (end record read)"
	assert_line "  matches what was read"
	# mutex8 ran while the first one was held: the second has it
	assert_equal "$(events "$T/b.trace" thread_create)" 8
}

@test "snapshots asked at once, more than are written side by side: all complete, all analyse" {
	eval "$("$CTRACE" collect --daemon --flight=8M -o "$T/c.trace" \
		-s "$T/sock")"
	"$FIX/mutex8"
	pids=
	for i in 1 2 3 4 5 6; do
		"$CTRACE" snapshot -s "$T/sock" -r "n$i" >"s$i.out" &
		pids="$pids $!"
	done
	kill -USR2 "$CTRACE_COLLECTOR_PID"
	for p in $pids; do wait "$p"; done
	stop_daemon
	for i in 1 2 3 4 5 6; do
		f=$(cat "s$i.out")
		[[ $f =~ -n$i\.trace$ ]]
		run "$CTRACE" info "$f"
		assert_line "integrity: clean (end record read)"
		assert_line "  matches what was read"
		assert_equal "$(events "$f" thread_create)" 8
		"$CTRACE" report "$f" >/dev/null
	done
	# and the signal's, written before the collector ended
	run snaps
	assert_equal "${#lines[@]}" 7
	f=$T/$(snaps | grep -- '-signal\.trace$')
	run "$CTRACE" info "$f"
	assert_line "integrity: clean (end record read)"
}

@test "a snapshot that cannot be written: the command says why; the device stays" {
	[ -c /dev/full ] || skip "no /dev/full"
	eval "$("$CTRACE" collect --daemon --flight=8M -o "$T/c.trace" \
		-s "$T/sock")"
	"$FIX/mutex8"
	run "$CTRACE" snapshot -s "$T/sock" -o /dev/full
	assert_failure 1
	assert_output "ctrace: snapshot: cannot write the snapshot: No space left on device"
	[ -c /dev/full ]
	run "$CTRACE" snapshot -s "$T/sock" -o "$T/nodir/x.trace"
	assert_failure 1
	assert_output "ctrace: snapshot: cannot write the snapshot: No such file or directory"
	# and the next one is written
	run "$CTRACE" snapshot -s "$T/sock" -o ok.trace
	assert_success
	assert_output "$T/ok.trace"
}

@test "ctrace snapshot has what the traced processes sent before it was asked for" {
	eval "$("$CTRACE" collect --daemon --flight=8M -o "$T/c.trace" \
		-s "$T/sock")"
	# stopped: mutex8's connection and all it sends wait in the socket,
	# then the request, behind them
	kill -STOP "$CTRACE_COLLECTOR_PID"
	"$FIX/mutex8"
	run env -u LD_PRELOAD python3 "$CTRACE_TOP/tests/e2e/snapask.py" \
		"$T/sock" "$CTRACE_COLLECTOR_PID" "$T/s.trace"
	assert_success
	assert_output "$T/s.trace"
	stop_daemon
	run "$CTRACE" info "$T/s.trace"
	assert_line "integrity: clean (end record read)"
	assert_equal "$(events "$T/s.trace" thread_create)" 8
	assert_equal "$(events "$T/s.trace" thread_end)" 8
}

@test "collect --daemon blocks its signals before it goes to the background" {
	# the daemon's stdout closes before its loop starts, and eval goes
	# on: a SIGUSR2 that came in between killed it, and the snapshot
	# after it found nobody on the socket (Connection refused)
	command -v strace >/dev/null || skip "strace not installed"
	# not -f: the parent's own order is the daemon's mask at birth
	strace -qq -o s.log -e trace=execve,rt_sigprocmask,clone,clone3,fork \
		"$CTRACE" collect --daemon --flight=8M -o "$T/c.trace" \
		-s "$T/sock" > env.sh
	eval "$(cat env.sh)"
	stop_daemon
	# from the exec of ctrace-collector on (ctrace forks before it)
	run awk '/^execve\(.*ctrace-collector/ { c = 1; next }
		!c { next }
		/rt_sigprocmask\(SIG_BLOCK, \[[^]]*USR2/ && !b { b = NR }
		/clone|fork/ && !f { f = NR }
		END { print (b && f && b < f) ? "blocked first" : "forked first" }' s.log
	assert_output "blocked first"
}

# stopped_snap SIG: the collector stopped, mutex8 runs (its connection
# and all it sends wait in the socket), then SIG is sent to it and it
# goes on: the signal is seen in the batch that accepts the connection
stopped_snap() {
	eval "$("$CTRACE" collect --daemon --flight=8M -o "$T/c.trace" \
		-s "$T/sock")"
	kill -STOP "$CTRACE_COLLECTOR_PID"
	"$FIX/mutex8"
	kill "-$1" "$CTRACE_COLLECTOR_PID"
	kill -CONT "$CTRACE_COLLECTOR_PID"
}

@test "a SIGUSR2 snapshot has what the traced processes sent before the signal" {
	stopped_snap USR2
	# answered: the signal's batch is behind the collector; a stop
	# then waits for its writer
	"$CTRACE" snapshot -s "$T/sock" -o cmd.trace
	stop_daemon
	run snaps
	assert_equal "${#lines[@]}" 1
	f=$T/${lines[0]}
	[[ $f =~ -signal\.trace$ ]]
	run "$CTRACE" info "$f"
	assert_line "integrity: clean (end record read)"
	assert_equal "$(events "$f" thread_create)" 8
	assert_equal "$(events "$f" thread_end)" 8
}

@test "a crash snapshot has what the other processes sent before the crash" {
	eval "$("$CTRACE" collect --daemon --flight=8M --snapshot-on-crash \
		-o "$T/c.trace" -s "$T/sock")"
	kill -STOP "$CTRACE_COLLECTOR_PID"
	"$FIX/mutex8"
	run "$FIX/flight-crash"
	assert_failure 139
	kill -CONT "$CTRACE_COLLECTOR_PID"
	# answered: the crash's batch is behind the collector
	"$CTRACE" snapshot -s "$T/sock" -o cmd.trace
	stop_daemon
	crash_snap
	assert_equal "$(events "$snap" thread_create)" 8
	assert_equal "$(events "$snap" thread_end)" 8
}
