#!/usr/bin/env bats
# thread family and contended mutexes

bats_require_minimum_version 1.5.0
load helpers

@test "8 threads x 1000 locks: exact thread events, contention recorded" {
	record t.trace "$FIX/mutex8"
	assert_success
	assert_output "counter=16000000"
	assert_equal "$(events t.trace thread_create)" 8
	assert_equal "$(events t.trace thread_start)" 8
	assert_equal "$(events t.trace thread_end)" 8
	assert_equal "$(events t.trace thread_join)" 8
	n=$(events t.trace mutex_block)
	[ "$n" -gt 0 ]
	# a contended acquisition names the object and the thread holding it
	# (holder=0 when the lock was released between the failed trylock
	# and the read of its owner: honest, and rare)
	line=$("$CTRACE" dump t.trace | awk '$4 == "mutex_block"' |
	       grep -v ' holder=0 ' | head -1)
	[ -n "$line" ]
	[[ "$(field "$line" obj)" == 0x* ]]
	[ "$(field "$line" holder)" -gt 0 ]
	# frame 0 named, then how many deeper frames the unwinder found
	[[ "$(field "$line" stack)" =~ ^worker\+0x[0-9a-f]+\(mutex8\.c:[0-9]+\)(\+[0-9]+)?$ ]]
	run "$CTRACE" info t.trace
	assert_success
	assert_line --regexp "thread_create: +8$"
	assert_line --regexp "mutex_block: +$n$"
}

@test "thread starts name their parent and routine, joins their handle" {
	record t.trace "$FIX/mutex8"
	main=$("$CTRACE" dump t.trace | awk '$4 == "thread_create" {print $3}' | sort -u)
	[ "$(echo "$main" | wc -l)" -eq 1 ]
	"$CTRACE" dump t.trace | awk '$4 == "thread_start"' > starts
	[ "$(grep -c "parent=$main " starts)" -eq 8 ]
	# the 8 handles created are the 8 started and the 8 joined
	h1=$("$CTRACE" dump t.trace | awk '$4 == "thread_create"' | grep -o 'handle=0x[0-9a-f]*' | sort)
	h2=$(grep -o 'handle=0x[0-9a-f]*' starts | sort)
	h3=$("$CTRACE" dump t.trace | awk '$4 == "thread_join"' | grep -o 'handle=0x[0-9a-f]*' | sort)
	assert_equal "$h1" "$h2"
	assert_equal "$h1" "$h3"
}

@test "every sync primitive's contended wait is recorded" {
	record t.trace "$FIX/lockprims"
	assert_success
	assert_output "timedlock=0"
	[ "$(events t.trace spin_block)" -ge 1 ]
	[ "$(events t.trace rwlock_block)" -ge 1 ]
	[ "$(events t.trace sem_wait)" -ge 1 ]
	[ "$(events t.trace mutex_block)" -ge 1 ]
	[ "$(events t.trace barrier_wait)" -ge 2 ]
	# the semaphore waiter was woken by the post of the other thread
	line=$("$CTRACE" dump t.trace | awk '$4 == "sem_wait"' | head -1)
	[ "$(field "$line" waker)" -gt 0 ]
	[ "$(field "$line" dur)" -gt 10000000 ]
}

@test "threads named by prctl, pthread_setname_np or their comm are named so" {
	asan_skip "pthread_create's start routines"
	record t.trace "$FIX/threadnames"
	assert_success
	assert_output "done"
	assert_equal "$(events t.trace thread_name)" 3
	run "$CTRACE" threads --per-thread t.trace
	assert_success
	# the kernel keeps 15 bytes of a name, and so does the trace
	assert_output --regexp "  pr-worker-with-  by_prctl "
	assert_output --regexp "  np-worker  +by_setname "
	# a comm written some other way is read at the end of a 20 ms thread
	assert_output --regexp "  comm-worker  +by_comm "
	assert_output --regexp "  -  +unnamed_worker "
	# not at the end of a thread too brief to pay two procfs reads for
	assert_output --regexp "  -  +brief_worker "
}

# wakes PID: how many times PID went to sleep of its own accord so far
wakes() {
	awk '/^voluntary_ctxt_switches:/ { print $2 }' "/proc/$1/status"
}

@test "a burst of short threads: every event kept, read in few wakes" {
	# each of 500 threads sends its last events as it ends: 500 small
	# datagrams in a few tens of ms.  The collector slept and woke for
	# each one (490 times here; an IPI and two context switches apiece,
	# more than the thread's own events cost); now a wake that read
	# little, soon after the one before, waits 1 ms before the next
	# (about 50 here).  250 leaves a margin no machine's noise reaches.
	eval "$("$CTRACE" collect --daemon -o "$T/b.trace" -s "$T/sock")"
	pre=$LD_PRELOAD
	unset LD_PRELOAD
	w0=$(wakes "$CTRACE_COLLECTOR_PID")
	LD_PRELOAD=$pre run "$FIX/spawn-burst" 500
	w1=$(wakes "$CTRACE_COLLECTOR_PID")
	stop_daemon
	assert_success
	assert_output "threads 500"
	[ $((w1 - w0)) -lt 250 ]
	assert_equal "$(events "$T/b.trace" thread_end)" 500
	assert_equal "$(events "$T/b.trace" thread_join)" 500
	run "$CTRACE" info "$T/b.trace"
	assert_line --regexp "^end record: [0-9]+ events, 0 lost, 1 process$"
	assert_line "  matches what was read"
}

@test "ended threads' last batches go sixteen to a send, every event there" {
	# 40 threads one at a time, no flush by time: the 16th and 32nd
	# ended thread each send the sixteen waiting batches in one
	# sendmmsg(), exit's flush the last eight, before main's own
	CTRACE_FLUSH_MS=60000 CTRACE_DEBUG=emit run --separate-stderr \
		"$CTRACE" record -q -o t.trace -- "$FIX/spawn-burst" 40
	assert_success
	assert_output "threads 40"
	assert_equal "$(printf '%s\n' "$stderr" | grep "ended threads' batches" |
		sed 's/.*: \([0-9]* ended\)/\1/')" \
		"$(printf '%s\n' "16 ended threads' batches: 16 of 16 sent" \
			"16 ended threads' batches: 16 of 16 sent" \
			"8 ended threads' batches: 8 of 8 sent")"
	for ev in thread_create thread_start thread_end thread_join; do
		assert_equal "$(events t.trace $ev)" 40
	done
	run "$CTRACE" info t.trace
	assert_line --regexp "^end record: [0-9]+ events, 0 lost, 1 process$"
	assert_line "  matches what was read"
}

@test "a kill counts the ended threads' batches that waited as lost" {
	# thread events alone, no flush by time: main's 3 creates and 3
	# joins and each thread's start and end were all waiting when the
	# process killed itself; the thread table counts all 12 lost
	CTRACE_EVENTS=thread CTRACE_CPU_HZ=0 CTRACE_FLUSH_MS=60000 \
		record t.trace "$FIX/spawn-burst" 3 kill
	assert_failure 137
	assert_output "threads 3"
	run "$CTRACE" info t.trace
	assert_line "lost: 12"
	assert_line "    killed: 12"
	assert_equal "$(events t.trace thread_start)" 0
}
