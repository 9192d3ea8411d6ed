#!/usr/bin/env bats
# deep stacks in hostile places: small stacks, alternate signal stacks,
# thousands of threads; what the unwinder costs is the tracer's to bear

load helpers

# CPU samples are off where counts of cut stacks are exact: a sample that
# landed in the deep end would be cut too
small() {
	local where=$1
	run "$FIX/stack-small" 4096 3 "$where"
	assert_success
	untraced=$output
	CTRACE_CPU_HZ=0 record t.trace "$FIX/stack-small" 4096 3 "$where"
	assert_success
	assert_output "$untraced"
	run "$CTRACE" info t.trace
	assert_success
	assert_output --partial "stacks cut short for lack of stack room: 3"
	assert_output --partial "lost: 0"
	# the three sleeps in the deep end are their call site alone, the
	# one near the top has its callers
	run sh -c "'$CTRACE' dump t.trace | awk '\$4 == \"sleep\"' |
		   grep -o 'stack=[^ ]*' | grep -c '^stack=deep+0x[0-9a-f]*(stack-small.c:[0-9]*)\$'"
	assert_output 3
	run sh -c "'$CTRACE' dump t.trace | awk '\$4 == \"sleep\"' |
		   grep -Ec 'stack=(run|on_usr1)\+0x[0-9a-f]*\(stack-small.c:[0-9]*\)\+[0-9]'"
	assert_output 1
	run sh -c "'$CTRACE' dump t.trace | awk '\$4 == \"stack_cut\"' |
		   sed 's/.* stack_cut //; s/room=[0-9]* //'"
	assert_output "$(printf 'count=1 need=4096\n%.0s' 1 2 3)"
}

@test "a thread with 4 KiB of its 64 KiB stack left runs traced, its stacks cut and counted" {
	small thread
}

@test "a thread on a stack the program allocated, 4 KiB of it left, runs traced, its stacks cut and counted" {
	small ownstack
}

@test "a thread's start asks the kernel nothing for its stack bounds" {
	# pthread_getattr_np() asked for the thread's CPU affinity: one
	# sched_getaffinity per thread, a tenth of the syscalls ctrace adds
	# to a thread's life
	command -v strace >/dev/null || skip "strace not installed"
	eval "$("$CTRACE" collect --daemon -o "$T/c.trace" -s "$T/sock")"
	env -u LD_PRELOAD strace -f -qq -o s.log -e trace=sched_getaffinity \
		env LD_PRELOAD="$LD_PRELOAD" "$FIX/stack-threads" 10 > out 2>&1
	stop_daemon
	assert_equal "$(grep -c "^threads: 10$" out)" 1
	assert_equal "$(grep -c sched_getaffinity s.log)" 0
	run "$CTRACE" dump "$T/c.trace"
	assert_equal "$(echo "$output" | awk '$4 == "thread_start"' | wc -l)" 10
	# and the deep stacks are whole: 13 down()s, run, start_thread and
	# clone3, at both waits of every thread (dump shows the innermost
	# frame and the count of the rest)
	assert_equal "$(echo "$output" | awk '$4 == "barrier_wait"' |
		grep -c ' stack=down+[^ ]*+15$')" 20
}

@test "the main thread near its RLIMIT_STACK runs traced, its stacks cut and counted" {
	ulimit -s 1024
	small main
}

@test "a signal handler near the end of its alternate stack runs traced, its stacks cut and counted" {
	small altstack
}

@test "a trace with no stack cut short says nothing of it" {
	CTRACE_CPU_HZ=0 record t.trace "$FIX/stack-small" 16384 3 thread
	assert_success
	run "$CTRACE" info t.trace
	refute_output --partial "cut short"
	[ "$(events t.trace stack_cut)" -eq 0 ]
}

# 1,000 threads alive that each recorded a 16-frame stack: the unwinder
# keeps nothing per thread (libunwind's cache took 256 KiB of each); what
# tracing costs per thread is its event buffer's touched pages and the
# trampoline.  Memory, unlike time, is not noisy: the bound is 64 KiB a
# thread plus 32 MiB for the library, the socket and the collector's
# share of nothing (the collector is another process).
@test "1,000 threads unwinding at once lose nothing and cost at most 64 KiB each" {
	n=1000
	"$FIX/stack-threads" $n 2>untraced.err >untraced.out
	run "$CTRACE" record -q -o t.trace -- "$FIX/stack-threads" $n
	assert_success
	"$CTRACE" record -q -o t2.trace -- "$FIX/stack-threads" $n \
		2>traced.err >traced.out
	cmp untraced.out traced.out
	base=$(sed -n 's/^maxrss \([0-9]*\) KiB$/\1/p' untraced.err)
	traced=$(sed -n 's/^maxrss \([0-9]*\) KiB$/\1/p' traced.err)
	echo "untraced $base KiB, traced $traced KiB"
	[ -n "$base" ] && [ -n "$traced" ]
	[ $((traced - base)) -lt $((n * 64 + 32768)) ]
	for f in t.trace t2.trace; do
		run "$CTRACE" info $f
		assert_output --partial "lost: 0"
		# the threads' two barrier waits each, with their callers
		run sh -c "'$CTRACE' dump $f | awk '\$4 == \"barrier_wait\"' |
			   grep -c 'stack=down+0x[0-9a-f]*(stack-threads.c:[0-9]*)+[0-9]'"
		assert_output $((2 * n))
	done
}

@test "a program's call inside the tracer is still counted lost, unwinder or not" {
	record t.trace "$FIX/atfork-signal"
	assert_success
	assert_output "forked, prepare signalled twice"
	run "$CTRACE" info t.trace
	assert_output --partial "lost: 2"
	assert_output --partial "reentry: 2"
}
