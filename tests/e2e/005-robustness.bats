#!/usr/bin/env bats
# events survive _exit, closed descriptors and SIGKILL

load helpers

@test "_exit with events still buffered loses none" {
	record t.trace "$FIX/quickexit"
	assert_failure 7
	assert_output "signalled 100"
	assert_equal "$(events t.trace cond_signal)" 100
	run "$CTRACE" info t.trace
	assert_line --regexp "^ *lost: *0"
}

@test "a program that closes fds 3..65535 keeps working and being traced" {
	ref=$("$FIX/closefds")
	record t.trace "$FIX/closefds"
	assert_success
	# untraced it closes only what it inherited (bats keeps fds open too)
	assert_output "$ref"
	assert_line --regexp "^closed=[0-9]+ ebadf=[0-9]+$"
	assert_equal "$(events t.trace cond_signal)" 50
}

@test "deep stacks take none of the program's fd numbers" {
	ref=$("$FIX/fdnumbers")
	record t.trace "$FIX/fdnumbers"
	assert_success
	assert_output "$ref"
	# the block really was unwound deeper than its callsite
	line=$("$CTRACE" dump t.trace | awk '$4 == "mutex_block"' | head -1)
	[[ "$(field "$line" stack)" == *+[0-9]* ]]
	# down to main, and no frame of ctrace's own wrappers on the way
	run "$CTRACE" profile sync --format folded t.trace
	assert_output --regexp "(^|;)main"
	refute_output --partial "pl_"
	refute_output --partial "hook-"
}

@test "dup2 over fds 3..1023 leaves the program's next open at 1024" {
	# ctrace's connection sits at the top of the range and, when the
	# program dup2s onto it, moves down from the top, never up into 1024
	ulimit -n 20000
	run "$FIX/dupall"
	assert_output "next fd 1024"
	record t.trace "$FIX/dupall"
	assert_success
	assert_output "next fd 1024"
	assert_equal "$("$CTRACE" dump t.trace | grep -c " call=dup2 ")" 1020
	# with the limit at 1024 every number is the program's: tracing stops,
	# the program's calls still do exactly what they do untraced
	ulimit -n 1024
	record t2.trace "$FIX/dupall"
	assert_success
	assert_output "next fd -1"
}

@test "SIGKILL mid-run: events up to the last flush, info says what may be missing" {
	record t.trace "$FIX/selfkill"
	assert_failure 137
	n=$(events t.trace cond_signal)
	# it signalled 400 times over ~400 ms; buffers flush every 100 ms
	[ "$n" -ge 100 ]
	[ "$n" -le 400 ]
	run "$CTRACE" info t.trace
	assert_success
	assert_output --regexp "selfkill.*(killed|vanished)"
	assert_output --partial "missing"
	# and what was missing is counted
	assert_line --regexp "^    killed: [1-9][0-9]*$"
}

@test "raw LD_PRELOAD starts a private collector that writes ctrace.out" {
	run env LD_PRELOAD="$LIBCTRACE" "$FIX/mutex8"
	assert_success
	assert_output "counter=16000000"
	# the private collector finishes shortly after the last process
	for i in $(seq 50); do
		[ -s ctrace.out ] && "$CTRACE" info ctrace.out 2>&1 | grep -q '^integrity: clean' && break
		sleep 0.1
	done
	assert_equal "$(events ctrace.out thread_create)" 8
	[ "$(stat -c %a ctrace.out)" = 600 ]
}

@test "CTRACE_OUT names the private collector's file; children join it" {
	run env LD_PRELOAD="$LIBCTRACE" CTRACE_OUT="$T/x.trace" sh -c "$FIX/quickexit; $FIX/mutex8"
	assert_success
	for i in $(seq 50); do
		"$CTRACE" info x.trace 2>&1 | grep -q '^integrity: clean' && break
		sleep 0.1
	done
	assert_equal "$(events x.trace cond_signal)" 100
	assert_equal "$(events x.trace thread_create)" 8
}

@test "record says why nothing was traced: static, setuid" {
	printf 'int main(void) { return 3; }\n' > st.c
	cc -static -o stbin st.c || skip "no static libc (libc6-dev's libc.a)"
	run "$CTRACE" record -q -o s.trace -- ./stbin
	assert_failure 3
	assert_output "ctrace: warning: nothing was traced: ./stbin: it is statically linked (LD_PRELOAD needs the dynamic loader)"
	# a traced command says nothing of the kind
	record t.trace "$FIX/quickexit"
	refute_output --partial "nothing was traced"
	[ "$(id -u)" = 0 ] || skip "needs root to make a setuid binary of another user"
	cp "$FIX/quickexit" qe
	chown 65534 qe
	chmod u+s qe
	run "$CTRACE" record -q -o q.trace -- ./qe
	# it runs as untraced: its output and status, and the reason
	assert_failure 7
	assert_line "signalled 100"
	assert_line "ctrace: warning: nothing was traced: ./qe: it is setuid (the loader ignores LD_PRELOAD for it)"
}

@test "events after a thread's end (pthread_key destructors) are counted as lost" {
	asan_skip "its heap calls"
	record t.trace "$FIX/tsd-late"
	assert_success
	assert_output "writes 16"
	# the start routines' writes are recorded; the destructors' write,
	# malloc and free of each of the 8 threads come after its end
	assert_equal "$(events t.trace write)" 8
	run "$CTRACE" info t.trace
	assert_line "lost: 24"
	assert_line "    exiting: 24"
}

@test "processes that ran but could not be traced are in the trace, with why" {
	printf 'int main(void) { return 3; }\n' > st.c
	cc -static -o stbin st.c || skip "no static libc (libc6-dev's libc.a)"
	# a traced shell's child execs a static program, which exits at once
	run "$CTRACE" record -o e.trace -- sh -c './stbin; echo $?'
	assert_success
	assert_line 3
	assert_line --regexp "^ctrace: wrote e.trace: [0-9]+ events, 2 processes, 0 lost, 1 process not traced \(collector CPU [0-9]+\.[0-9]{2} s, command [0-9]+\.[0-9]{2} s\)$"
	run "$CTRACE" info e.trace
	assert_line --regexp "^  [0-9]+ \(exec\) \./stbin: statically linked \(LD_PRELOAD needs the dynamic loader\)$"
	# the child's image ended by that exec, not "killed or vanished"
	assert_equal "$("$CTRACE" dump e.trace | grep -c ' process_end image=2 how=exec ')" 1
	# fexecve(3) names no path: the library sends the file its
	# descriptor names.  Before, it sent "", which the collector took
	# for no exec at all: the image "exited 3" with events missing
	run "$CTRACE" record -o f.trace -- python3 -c 'import os
fd = os.open("./stbin", os.O_RDONLY)
os.execve(fd, ["stbin"], dict(os.environ))'
	assert_failure 3
	assert_output --partial " 1 process not traced "
	run "$CTRACE" info f.trace
	assert_line --regexp "^  [0-9]+ \(exec\) /.*/stbin: statically linked \(LD_PRELOAD needs the dynamic loader\): exit 3$"
	refute_output --partial "exit 3 (no final flush"
	# the traced command itself execs it: its status was the shell's
	run "$CTRACE" record -o r.trace -- sh -c 'exec ./stbin'
	assert_failure 3
	assert_output --partial " 1 process not traced "
	# and how it ended is the program's, kept with its record
	run "$CTRACE" info r.trace
	assert_line --regexp "^  [0-9]+ \(exec\) (\./|/.*/)stbin: statically linked \(LD_PRELOAD needs the dynamic loader\): exit 3$"
	refute_output --partial "exit 3 (no final flush"
	# one that runs a while is judged while it runs: its record waits
	# for its end
	printf '#include <unistd.h>\nint main(void) { usleep(300000); return 4; }\n' > sl.c
	cc -static -o stsleep sl.c
	run "$CTRACE" record -o l.trace -- sh -c 'exec ./stsleep'
	assert_failure 4
	assert_output --partial " 1 process not traced "
	run "$CTRACE" info l.trace
	assert_line --regexp "^  [0-9]+ \(exec\) /.*/stsleep: statically linked \(LD_PRELOAD needs the dynamic loader\): exit 4$"
	[ "$(id -u)" = 0 ] || skip "needs root to become another user"
	# after setuid, a fork child cannot reach root's private directory:
	# it says so on its parent's connection (it used to vanish uncounted)
	ref=$("$FIX/setuid-fork" 65534 /bin/true)
	run "$CTRACE" record -o s.trace -- "$FIX/setuid-fork" 65534 /bin/true
	assert_success
	assert_equal "$(grep -v '^ctrace:' <<<"$output")" "$ref"
	assert_line --regexp "^ctrace: wrote s.trace: [0-9]+ events, 1 process, 0 lost, 2 processes not traced \(collector CPU [0-9]+\.[0-9]{2} s, command [0-9]+\.[0-9]{2} s\)$"
	run "$CTRACE" info s.trace
	assert_line "not traced: 2 processes"
	assert_equal "$(grep -cE '^  [0-9]+ \(fork of [0-9]+\): could not connect to the collector: Permission denied$' <<<"$output")" 2
}

# killwrites: THREADS writers of WRITES write(2)s each, then SIGKILL with
# every writer's last buffer unsent; io events only, no periodic flush
@test "SIGKILL: every event a thread buffered is in the trace or lost, reason killed" {
	CTRACE_EVENTS=io CTRACE_FLUSH_MS=1000000 record t.trace "$FIX/killwrites" 4 3000
	assert_failure 137
	run "$CTRACE" info t.trace
	assert_success
	echo "$output"
	lost=$(sed -n 's/^lost: \([0-9]*\).*/\1/p' <<<"$output")
	[ "$lost" -gt 0 ]
	assert_line "    killed: $lost"
	assert_equal "$(( $(events t.trace write) + lost ))" 12000
	# one LOST record per writer thread
	assert_equal "$("$CTRACE" dump t.trace | grep -c ' lost count=.* reason=killed')" 4
}

@test "SIGKILL of a fork child: its own table counts its loss, the parent's none" {
	CTRACE_EVENTS=io CTRACE_FLUSH_MS=1000000 record t.trace "$FIX/killwrites" 3 2000 fork
	assert_success
	"$CTRACE" dump t.trace > d
	parent=$(awk '$4 == "write" && $2 == $3 { print $2; exit }' d)
	pw=$(awk -v p="$parent" '$4 == "write" && $2 == p' d | wc -l)
	cw=$(awk -v p="$parent" '$4 == "write" && $2 != p' d | wc -l)
	cl=$(sed -n 's/.* lost count=\([0-9]*\) reason=killed$/\1/p' d |
	     awk '{ n += $1 } END { print n + 0 }')
	assert_equal "$pw" 2000
	[ "$cl" -gt 0 ]
	assert_equal "$((cw + cl))" 6000
	# the parent exited normally: nothing of its is lost
	assert_equal "$(awk -v p="$parent" '$2 == p && / lost count=/' d | wc -l)" 0
}

@test "a HELLO's thread table is believed only as a sealed memfd of the right form" {
	for c in good used huge pipe file small unsealed magic nslots many; do
		rm -f t.trace
		run "$CTRACE" record -q -o t.trace -- env -u LD_PRELOAD \
			sh -c 'exec python3 "$0" "$CTRACE_SOCKET" "$1" "$2"' \
			"$BATS_TEST_DIRNAME/killhello.py" "$c" "$T/file.tab"
		echo "$c: $output"
		assert_success
		run "$CTRACE" info t.trace
		assert_success
		assert_output --partial "integrity: clean"
		case $c in
		good|used|many) assert_line "lost: 1000"
			assert_line "    killed: 1000" ;;
		huge)	assert_line "lost: 281474976710656" ;;
		*)	assert_line --regexp "^lost: 0( |$)" ;;
		esac
	done
}

@test "descriptors sent to a collector are closed, used or not" {
	eval "$("$CTRACE" collect -q -o "$T/c.trace" --daemon)"
	unset LD_PRELOAD
	fds() { ls /proc/"$CTRACE_COLLECTOR_PID"/fd | wc -l; }
	before=$(fds)
	for c in good pipe file unsealed many; do
		python3 "$BATS_TEST_DIRNAME/killhello.py" "$CTRACE_SOCKET" "$c" "$T/file.tab"
	done
	for i in $(seq 100); do [ "$(fds)" = "$before" ] && break; sleep 0.1; done
	assert_equal "$(fds)" "$before"
	kill -TERM "$CTRACE_COLLECTOR_PID"
	for i in $(seq 50); do kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
	run "$CTRACE" info c.trace
	assert_success
	assert_output --partial "clean"
}
