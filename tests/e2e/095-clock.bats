#!/usr/bin/env bats
# the preload's clock (preload/clock.c): the TSC or clock_gettime, the
# trace's times are CLOCK_MONOTONIC's, the same the program reads

load helpers

# tsc_here: the machine passes clock.c's checks (x86-64, clocksource tsc,
# invariant TSC, which Linux shows as the flag nonstop_tsc)
tsc_here() {
	[ "$(uname -m)" = x86_64 ] &&
	[ "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)" = tsc ] &&
	grep -qw nonstop_tsc /proc/cpuinfo
}

# agree TRACE OUT: for every usleep and mutex_block in TRACE, in order,
# is [ts, ts + dur] within the readings clock-agree printed around the
# call (OUT)?  A preload time is never early, and late by at most LATE
# ns (libctrace(3): the TSC line is kept ahead of clock_gettime), so the
# end may pass the reading after the call by that much (it did by 14 to
# 95 ns, the hook's own reading being that close to the program's).
# Prints "<calls> <inside>", then any call outside.
agree() {
	local base
	base=$(od -An -t u8 -j 32 -N 8 "$1" | tr -d ' ')
	"$CTRACE" dump "$1" |
		awk '($4 == "sleep" && / call=usleep /) || $4 == "mutex_block"' |
		sort -s -n -k1,1 |
		awk -v base="$base" -v late="${LATE:-1000}" '
		function ns(s,  p) { split(s, p, "."); return p[1] * 1e9 + p[2] }
		NR == FNR { k = $1 == "lock" ? "mutex_block" : "sleep"
			    a[k, ++n[k]] = $2; b[k, n[k]] = $3; next }
		{ i = ++seen[$4]; t = base + ns($1)
		  split($5, d, "="); e = t + d[2]; calls++
		  if (t >= a[$4, i] && e <= b[$4, i] + late) inside++
		  else printf "%s %d: %.0f..%.0f not in %s..%s\n", $4, i, t, e,
			      a[$4, i], b[$4, i] }
		END { printf "%d %d\n", calls, inside }' "$2" -
}

@test "TSC clock: every call lies within the program's own readings" {
	CTRACE_DEBUG=init "$CTRACE" record -q -o t.trace -- \
		"$FIX/clock-agree" > out 2> err
	if tsc_here; then
		grep -q "ctrace\[[0-9]*\]: clock: TSC, " err
	else
		grep -q "clock: clock_gettime$" err
	fi
	run agree t.trace out
	assert_output "55 55"
}

@test "CTRACE_CLOCK=gettime: clock_gettime, and the same agreement" {
	CTRACE_CLOCK=gettime CTRACE_DEBUG=init "$CTRACE" record -q \
		-o t.trace -- "$FIX/clock-agree" > out 2> err
	grep -q "ctrace\[[0-9]*\]: clock: clock_gettime$" err
	! grep -q "clock: TSC" err
	# clock_gettime itself: exactly within
	LATE=0 run agree t.trace out
	assert_output "55 55"
}

@test "a fork child keeps the clock, an exec'd image chooses again" {
	CTRACE_DEBUG=init "$CTRACE" record -q -o t.trace -- \
		"$FIX/forkexec" > out 2> err
	tsc_here || skip "no usable TSC here"
	# the parent and the 3 images of /bin/true, not the fork children
	assert_equal "$(grep -c 'clock: TSC, ' err)" 4
	assert_equal "$(grep -c 'clock: clock_gettime' err)" 0
}

@test "TSC clock: a re-anchor leaves no flat spot, no two heap calls share a time" {
	# heap-churn re-anchors some 30 times; each new line starts a few
	# hundred ticks after it is published, and until then every reader
	# read its base: 8 to 20 pairs of one thread's consecutive heap
	# events came out with one and the same time.  A real clock read
	# twice 20 ns apart cannot give that.
	CTRACE_DEBUG=init "$CTRACE" record -q -o t.trace -- \
		"$FIX/heap-churn" > out 2> err
	tsc_here && grep -q "clock: TSC, " err
	run sh -c "\"$CTRACE\" dump t.trace | awk '
		\$4 == \"alloc\" || \$4 == \"free\" || \$4 == \"realloc\" {
			if (\$3 in last && last[\$3] == \$1) same++
			last[\$3] = \$1; n++ }
		END { print n, same + 0 }'"
	assert_output "21925 0"
}
