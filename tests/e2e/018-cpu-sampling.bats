#!/usr/bin/env bats
# the cpu family: CPU samples, scheduler readings, calls blocked at exit,
# and a traced program that cannot tell any of it is there

load helpers

# samples_of D P: cpu_sample events of pid P in dump file D
samples_of() {
	awk -v p="$2" '$2 == p && $4 == "cpu_sample"' "$1" | wc -l
}

# period_ms_of D P: the CPU ms the samples of pid P stand for
period_ms_of() {
	awk -v p="$2" '$2 == p && $4 == "cpu_sample" {
		sub(".* period=", ""); sub(" .*", ""); ms += $0 / 1e6 }
		END { printf "%d\n", ms }' "$1"
}

# cpu_check D HZ [sum]: in dump file D (one thread), the CPU the samples'
# periods add up to is within 15% of the thread's CPU time (between its
# first and last reading), and their count is from half of that time
# times HZ to 15% over it: on a loaded machine the timer overruns, when
# ticks land on other threads while this one runs, and one sample then
# carries several periods; with "sum", only the periods are checked (near
# the kernel's tick rate overruns are the rule)
cpu_check() {
	awk -v hz="$2" -v only_sum="${3:-}" '
		$4 == "sched" || $4 == "cpu_sample" {
			for (i = 5; i <= NF; i++) {
				split($i, kv, "=")
				v[kv[1]] = kv[2]
			}
			if (first == "") first = v["run"]
			last = v["run"]
		}
		$4 == "cpu_sample" { n++; sum += v["period"] }
		END {
			cpu = (last - first) / 1e9
			printf "samples %d, %.3f s of CPU, periods %.3f s\n", n, cpu, sum / 1e9
			if (cpu < 0.1 || sum / 1e9 < 0.85 * cpu || sum / 1e9 > 1.15 * cpu)
				exit 1
			if (!only_sum && (n < 0.5 * cpu * hz || n > 1.15 * cpu * hz))
				exit 1
		}' "$1"
}

@test "samples: one per 10 ms of a thread's CPU, each with a stack and a reading" {
	record t.trace "$FIX/cpu-forkexec" burn
	assert_success
	"$CTRACE" dump t.trace > d
	n=$(awk '$4 == "cpu_sample"' d | wc -l)
	cpu_check d 100
	# a sample stands for 10 ms, or a multiple when the timer overran
	# before the signal was delivered; read from schedstat; a stack
	assert_equal "$(awk '$4 == "cpu_sample"' d | grep -Ec ' period=[1-9]0000000 src=1 ')" "$n"
	# the loop is burn() and its clock_gettime calls: every sample is in
	# one or the other (how they share depends on the machine's load),
	# and the loop's own arithmetic holds half of them at least
	b=$(awk '$4 == "cpu_sample" && / stack=burn\+/' d | wc -l)
	c=$(awk '$4 == "cpu_sample" && / stack=(linux-vdso[^ ]*|[_a-zA-Z]*clock_gettime[^ ]*)$/' d | wc -l)
	echo "burn $b clock_gettime $c of $n"
	assert_equal $((b + c)) "$n"
	[ "$b" -ge $((n / 2)) ]
	# run= grows from sample to sample
	awk '$4 == "cpu_sample" { split($7, a, "="); if (a[2] + 0 <= last) exit 1; last = a[2] + 0 }' d
	# readings at the start and at the exit
	assert_equal "$(awk '$4 == "sched"' d | grep -c ' why=0 src=1 ')" 1
	assert_equal "$(awk '$4 == "sched"' d | grep -c ' why=3 src=1 ')" 1
}

@test "CTRACE_CPU_HZ sets the rate; 0 keeps readings, takes no samples" {
	CTRACE_CPU_HZ=1000 record t.trace "$FIX/cpu-forkexec" burn
	assert_success
	"$CTRACE" dump t.trace > d
	# the kernel checks CPU timers at its ticks: above the tick rate, one
	# sample carries several periods, and only their sum is the rate's
	awk '$4 == "cpu_sample"' d | grep -v ' period=[0-9]*000000 ' && false
	cpu_check d 1000 sum
	awk '$4 == "cpu_sample" { n++ } END { exit !(n > 50) }' d
	CTRACE_CPU_HZ=250 record t2.trace "$FIX/cpu-forkexec" burn
	"$CTRACE" dump t2.trace > d2
	cpu_check d2 250 sum
	CTRACE_CPU_HZ=0 record t0.trace "$FIX/cpu-forkexec" burn
	assert_success
	assert_equal "$(events t0.trace cpu_sample)" 0
	[ "$(events t0.trace sched)" -ge 2 ]
	CTRACE_EVENTS=thread,sync record t1.trace "$FIX/cpu-forkexec" burn
	assert_equal "$(events t1.trace cpu_sample) $(events t1.trace sched)" "0 0"
}

@test "a fork child and an exec'd image sample on their own" {
	record t.trace "$FIX/cpu-forkexec"
	assert_success
	"$CTRACE" dump t.trace > d
	# the parent, its fork child, and the parent's pid again after exec
	pids=$(awk '$4 == "cpu_sample" { print $2 }' d | sort -u | wc -l)
	assert_equal "$pids" 2
	parent=$(awk '$4 == "fork" { print $2; exit }' d)
	child=$(awk '$4 == "fork" { sub("child=", "", $5); print $5; exit }' d)
	# 300 ms of CPU each: samples standing for 260-345 ms of it (a
	# loaded machine makes fewer samples of several periods each)
	c=$(period_ms_of d "$child")
	[ "$c" -ge 260 ] && [ "$c" -le 345 ]
	[ "$(samples_of d "$child")" -ge 15 ]
	# after the exec, the same pid burns 300 ms more in the new image
	p=$(period_ms_of d "$parent")
	[ "$p" -ge 260 ] && [ "$p" -le 360 ]
	[ "$(samples_of d "$parent")" -ge 15 ]
	run "$CTRACE" info t.trace
	assert_output --partial "lost: 0"
}

@test "a program profiling itself with ITIMER_PROF and timer_create sees only its own signals" {
	ref=$("$FIX/cpu-signals" prof)
	record t.trace "$FIX/cpu-signals" prof
	assert_success
	assert_equal "$output" "$ref"
	assert_output --partial "stray signals: 0"
	[ "$(events t.trace cpu_sample)" -gt 20 ]
}

@test "a program that claims the sampling signal gets it, and sampling backs off" {
	ref=$("$FIX/cpu-signals" claim)
	assert_equal "$ref" "SIGRTMAX before: default
SIGRTMAX handled: 3
SIGRTMAX after more work: 3
stray signals: 0"
	record t.trace "$FIX/cpu-signals" claim
	assert_success
	assert_equal "$output" "$ref"
	# samples stop once the program installed its handler: the 200 ms
	# before it give some, the 300 ms after none (3 threads, 2 burning)
	"$CTRACE" dump t.trace > d
	claim=$(awk '$4 == "cpu_sample" { last = $1 } END { print last }' d)
	end=$(awk '$4 == "exit" { print $1 }' d)
	[ "$(events t.trace cpu_sample)" -gt 20 ]
	awk -v c="$claim" -v e="$end" 'BEGIN { exit !(e - c > 0.25) }'
}

@test "blocking read, nanosleep, select, poll and sigwait never see EINTR" {
	ref=$("$FIX/cpu-blocking" 60)
	assert_equal "$ref" "sleeps 60 selects 60 polls 60 reads 60 sigwaits 60
eintr 0"
	record t.trace "$FIX/cpu-blocking" 60
	assert_success
	assert_equal "$output" "$ref"
	[ "$(events t.trace cpu_sample)" -gt 20 ]
	# the main thread's 60 and the feeder's 120
	assert_equal "$(events t.trace sleep)" 180
	# reads: main's 60 of the data pipe, the feeder's 60 acks
	assert_equal "$(events t.trace read)" 120
}

@test "a call blocked when its process exits is recorded unfinished, to the exit" {
	asan_skip "read's callsites"
	cat > idle.c <<'C'
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int fds[2];
static void *cond_waiter(void *a) { pthread_mutex_lock(&m); pthread_cond_wait(&c, &m); return 0; }
static void *reader(void *a) { char b; return (void *)(long)read(fds[0], &b, 1); }
int main(void) {
	pthread_t t;
	if (pipe(fds)) return 1;
	pthread_create(&t, 0, cond_waiter, 0);
	pthread_create(&t, 0, reader, 0);
	usleep(300000);
	exit(0);
}
C
	cc -O1 -g -o idle idle.c -lpthread
	record t.trace ./idle
	assert_success
	"$CTRACE" dump t.trace > d
	assert_equal "$(awk '$4 == "unfinished"' d | wc -l)" 2
	u=$(awk '$4 == "unfinished" && / type=19 /' d)
	assert_equal "$(field "$u" stack | sed 's/+.*//')" cond_waiter
	r=$(awk '$4 == "unfinished" && / type=64 /' d)
	assert_equal "$(field "$r" call)" read
	assert_equal "$(field "$r" stack | sed 's/+.*//')" reader
	# blocked from the call to the exit: ~300 ms
	d_ns=$(field "$u" dur)
	[ "$d_ns" -ge 290000000 ] && [ "$d_ns" -le 2000000000 ]
	# neither call returned, so no cond_wait or read event
	assert_equal "$(events t.trace cond_wait) $(events t.trace read)" "0 0"
}
