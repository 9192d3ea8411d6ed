#!/usr/bin/env bats
# on-CPU, runnable and unknown time in threads: CPU-bound threads pinned
# to one CPU, compared with what the kernel counted for them itself; a
# worker still blocked at exit, blocked to the end and unfinished

load helpers

# cell ROW NAME: one column of a `threads --per-thread` row, counted from
# the end (the routine before them may hold spaces; no regions column)
cell() {
	local i
	case $2 in
	unfinished) i=17 ;; lifetime) i=16 ;;
	execution) i=15 ;; execution%) i=14 ;;
	sched-wait) i=13 ;; sched-wait%) i=12 ;;
	sync) i=11 ;; sync%) i=10 ;;
	unknown) i=1 ;; unknown%) i=0 ;;
	esac
	printf '%s\n' "$1" | awk -v i=$i '{ v = $(NF - i); sub(/%$/, "", v); print v }'
}

# row TID: that thread's row of the per-thread table in $output
row() {
	printf '%s\n' "$output" | awk -v t="$1" '/^per thread:/ { s = 1 } s && $2 == t'
}

# self LINE NAME: run, wait or wall ns from a cpu-pinned line, its
# fields joined by commas (thread=TID,run=NS,wait=NS,wall=NS)
self() {
	printf '%s\n' "$1" | tr ',' '\n' | sed -n "s/^$2=//p"
}

# near A B D: |A - B| <= D
near() {
	awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN { x = a - b; exit !(x <= d && -x <= d) }'
}

# pct NS LIFETIME: NS as a percentage of LIFETIME seconds
pct() {
	awk -v n="$1" -v l="$2" 'BEGIN { print 100 * n / 1e9 / l }'
}

# check_pinned LINES: the per-thread figures of cpu-pinned's threads in
# $output against the kernel's own count over each thread's life, within
# 5 points of the lifetime (a load on the machine moves both alike); its
# percentages go to the file pcts: "execution sched-wait kernel-run
# kernel-wait" per thread
check_pinned() {
	local line tid r life e w ke kw
	for line in $1; do
		tid=$(self "$line" thread)
		r=$(row "$tid")
		echo "kernel: $line"
		echo "ctrace: $r"
		[ -n "$r" ]
		assert_equal "$(cell "$r" unfinished)" 0
		life=$(cell "$r" lifetime)
		e=$(cell "$r" execution%)
		w=$(cell "$r" sched-wait%)
		ke=$(pct "$(self "$line" run)" "$life")
		kw=$(pct "$(self "$line" wait)" "$life")
		near "$e" "$ke" 5
		near "$w" "$kw" 5
		# what the kernel counts neither on a CPU nor on a run queue
		# (the hypervisor's steal time, on a loaded host) is unknown
		near "$(cell "$r" unknown%)" "$(awk -v e="$ke" -v w="$kw" 'BEGIN { print 100 - e - w }')" 5
		echo "$e $w $ke $kw" >> pcts
	done
}

@test "two threads pinned to one CPU: each runnable about half its life" {
	asan_skip "pthread_create's start routines"
	record t.trace "$FIX/cpu-pinned" two
	assert_success
	kern=$(printf '%s\n' "$output" | grep '^thread=' | tr ' ' ',')
	[ "$(printf '%s\n' "$kern" | wc -l)" -eq 2 ]
	run "$CTRACE" threads --per-thread t.trace
	assert_success
	assert_output --regexp "sched-wait = runnable, waiting for a CPU; from schedstat \([0-9]+ readings\)"
	assert_output --regexp "spinner \(cpu-pinned\.c:[0-9]+\) +2 "
	check_pinned "$kern"
	# each waited while the other ran: runnable at least 35% of its life
	# (another program on that CPU only adds to it), and 50% +- 15% when
	# the kernel says nothing else took the CPU
	while read -r e w ke kw; do
		echo "execution $e% sched-wait $w% (kernel: $ke% $kw%)"
		awk -v w="$w" 'BEGIN { exit !(w >= 35) }'
		if awk -v k="$kw" 'BEGIN { exit !(k <= 60) }'; then
			near "$w" 50 15
		fi
	done < pcts
}

@test "one thread pinned alone: on a CPU nearly all its life" {
	record t.trace "$FIX/cpu-pinned" one
	assert_success
	kern=$(printf '%s\n' "$output" | grep '^thread=' | tr ' ' ',')
	run "$CTRACE" threads --per-thread t.trace
	assert_success
	check_pinned "$kern"
	read -r e w ke kw < pcts
	echo "execution $e% sched-wait $w% (kernel: $ke% $kw%)"
	# >= 90% unless another program took the CPU, as the kernel says
	if awk -v k="$ke" 'BEGIN { exit !(k >= 95) }'; then
		awk -v e="$e" 'BEGIN { exit !(e >= 90) }'
	fi
	awk -v e="$e" -v w="$w" 'BEGIN { exit !(e + w >= 90) }'
}

@test "a worker blocked at exit is blocked to the end, unfinished" {
	record t.trace "$FIX/idle-worker"
	assert_success
	worker=${output#worker=}
	"$CTRACE" dump t.trace > d
	# the preload's record of the call still blocked at exit
	unf=$(awk -v t="$worker" '$3 == t && $4 == "unfinished"' d)
	echo "unfinished: $unf"
	[ "$(printf '%s\n' "$unf" | grep -c .)" -eq 1 ]
	# type: COND_WAIT's code (19), or its name if dump gives names
	[[ "$unf" =~ " type="(19|cond_wait)" " ]]
	call_ts=$(printf '%s\n' "$unf" | awk '{ print $1 }')
	start_ts=$(awk -v t="$worker" '$3 == t && $4 == "thread_start" { print $1 }' d)
	proc_ts=$(awk '$3 == "-" && $4 == "process" { print $1; exit }' d)
	run "$CTRACE" threads --per-thread t.trace
	assert_success
	assert_output --partial "unfinished = calls still blocked when their process exited, blocked to the exit: 1"
	w=$(row "$worker")
	m=$(printf '%s\n' "$output" | awk '/^per thread:/ { s = 1 } s && $4 == "main"')
	echo "worker: $w"
	echo "main: $m"
	assert_equal "$(cell "$w" unfinished)" 1
	assert_equal "$(cell "$m" unfinished)" 0
	# sync from the cond_wait to the exit: at least 95% of its life
	awk -v s="$(cell "$w" sync%)" 'BEGIN { exit !(s >= 95) }'
	# both end at the process's exit: the lifetimes differ by the time
	# before the worker started (6 decimals: 2 us of rounding)
	near "$(cell "$m" lifetime)" \
		"$(awk -v w="$(cell "$w" lifetime)" -v a="$start_ts" -v b="$proc_ts" 'BEGIN { print w + a - b }')" 0.000002
	# nothing but sync after the call started: the other states fit in
	# the time before it
	awk -v e="$(cell "$w" execution)" -v q="$(cell "$w" sched-wait)" \
	    -v u="$(cell "$w" unknown)" -v c="$call_ts" -v s="$start_ts" \
	    'BEGIN { exit !(e + q + u <= c - s + 0.000003) }'
	run "$CTRACE" report t.trace
	assert_success
	assert_output --partial "; calls unfinished (blocked at their process's exit): 1"
	# the blocking site and the condvar say so too
	assert_output --regexp " 1 call   sync  cond_wait +[^ ].*  \[1 unfinished\]"
	assert_output --regexp "cond_wait +[0-9.]+ s in 1 wait \[1 unfinished\]"
	run "$CTRACE" profile sync t.trace
	assert_output --partial "unfinished"
}

@test "xz -T2: no thread runs after its last event, the idle workers stay blocked" {
	command -v xz >/dev/null || skip "xz not installed"
	# 9 MB of random hex, three 3 MB blocks at -1: two workers, idle in
	# a condvar when xz exits
	python3 -c '
import random
r = random.Random(5)
print("\n".join(" ".join("%x" % r.getrandbits(24) for _ in range(8)) for _ in range(170000)))' > data
	ref=$(xz -T2 -1 -c data | sha256sum)
	run "$CTRACE" record -q -o t.trace -- sh -c 'xz -T2 -1 -c data | sha256sum'
	assert_success
	assert_output "$ref"
	"$CTRACE" dump t.trace > d
	xzpid=$(awk '$4 == "thread_start" { print $2; exit }' d)
	[ -n "$xzpid" ]
	run "$CTRACE" threads --per-thread t.trace
	assert_success
	n=0
	for tid in $(awk -v p="$xzpid" '$2 == p && $4 == "thread_start" { print $3 }' d); do
		r=$(row "$tid")
		echo "$r"
		# what the kernel said it ran, at its last reading
		ran=$(awk -v t="$tid" '$3 == t && ($4 == "sched" || $4 == "cpu_sample") {
			for (i = 5; i <= NF; i++) if ($i ~ /^run=/) { sub("run=", "", $i); v = $i } }
			END { print v / 1e9 }' d)
		# a call still blocked at exit: blocked to the end
		unf=$(awk -v t="$tid" '$3 == t && $4 == "unfinished" {
			for (i = 5; i <= NF; i++) if ($i ~ /^dur=/) { sub("dur=", "", $i); s += $i } }
			END { print s / 1e9 }' d)
		# execution is never more than the kernel measured (the old
		# residue gave a worker 99% "running" to the end)
		awk -v e="$(cell "$r" execution)" -v k="$ran" 'BEGIN { exit !(e <= k + 0.001) }'
		awk -v s="$(cell "$r" sync)" -v u="$unf" 'BEGIN { exit !(s + 0.001 >= u) }'
		n=$((n + 1))
	done
	[ "$n" -eq 2 ]
	# xz left its workers waiting when it exited
	[ "$(awk -v p="$xzpid" '$2 == p && $4 == "unfinished"' d | wc -l)" -ge 1 ]
}
