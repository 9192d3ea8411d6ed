#!/bin/sh
# run.sh - `make bench`: each workload untraced and traced in the same run,
# best of 3 each (the machines are shared and noisy), printed as ns/op and
# the traced/untraced ratio.  Never used as a pass/fail test.
set -u
O=${O:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
case $O in /*) B=$O ;; *) B=$top/$O ;; esac
CTRACE="$B/bin/ctrace"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

best() {	# best (lowest) ns/op of 3 runs of "$@"
	for i in 1 2 3; do "$@"; done | sort -g | head -1
}

traced() {
	"$CTRACE" record -q ${RECORD_OPTS:-} -o "$tmp/b.trace" -- "$@"
}

row() {	# row PROG WORKLOAD N: one workload of bench/PROG.c
	prog="$B/bench/$1"
	shift
	plain=$(best "$prog" "$1" "$2")
	with=$(best traced "$prog" "$1" "$2")
	events=$("$CTRACE" info "$tmp/b.trace" 2>/dev/null |
		 sed -n 's/^ *events: *\([0-9]*\).*/\1/p' | head -1)
	size=$(stat -c %s "$tmp/b.trace")
	bpe=$(awk -v s="$size" -v e="${events:-0}" \
	      'BEGIN { if (e > 0) printf "%.2f", s / e; else print "-" }')
	awk -v n="${label:-$1}" -v p="$plain" -v w="$with" -v e="${events:--}" -v b="$bpe" \
	    'BEGIN { printf "%-22s %10.1f %10.1f %7.2fx %10s %8s\n",
		     n, p, w, w / p, e, b }'
}

printf '%-22s %10s %10s %8s %10s %8s\n' workload "plain ns" "traced ns" \
	ratio events "B/event"
clock=$(best "$B/bench/bench-sync" clock 2000000)
printf '%-22s %10.1f\n' "clock_gettime" "$clock"
row bench-sync mutex 2000000
row bench-sync contended 500000
row bench-sync condvar 50000
row bench-sync spawn 5000
row bench-io pipe 200000
row bench-io read1 2000000
row bench-io fgets 2000000
row bench-heap pairs 1000000
row bench-heap churn 1000000
# --paused and never started: the hooks' pass-through (issue: <= 1.03x)
(RECORD_OPTS=--paused label="churn, --paused" row bench-heap churn 1000000)
# CPU-bound, 1.4 s on 2 threads: with samples (the default), and with
# the scheduler readings alone, which leaves the collector's own start-up
# (symbolizing libc while the program runs) as the rest of the cost
row bench-cpu mandel 16384
(CTRACE_CPU_HZ=0 label="mandel, no samples" row bench-cpu mandel 16384)

# one CPU sample: the handler times itself under CTRACE_DEBUG=cpu (the
# kernel's signal delivery comes on top), on the 2 threads at 100 Hz
sample_cost() {
	CTRACE_DEBUG=cpu "$CTRACE" record -q \
		-o "$tmp/b.trace" -- "$B/bench/bench-cpu" mandel 16384 2>&1 >/dev/null |
	sed -n 's/.*: \([0-9]*\) samples, \([0-9]*\) ns of CPU each.*/\1 \2/p' |
	awk '{ n += $1; ns += $1 * $2 } END {
		if (n) printf "%-22s %10.0f ns of CPU in the handler (%d samples)\n",
			"cpu sample", ns / n, n }'
}
sample_cost

# the analyzer: events/s and peak memory on a generated trace of
# ANA_EVENTS events (default 50 M over 16 threads, bench/gen-trace.c);
# `info` is the reader alone, the others add their analysis
ana_row() {	# ana_row SUBCOMMAND...: best of 3 by user+sys time on $ana_trace
	for i in 1 2 3; do
		/usr/bin/time -f '%U %S %M' -o "$tmp/time" \
			"$B/bin/ctrace-analyze" "$@" "$ana_trace" >/dev/null 2>&1
		cat "$tmp/time"
	done | awk -v n="$*" -v e="$ana_events" '
		{ t = $1 + $2; if (!best || t < best) { best = t; kb = $3 } }
		END { printf "%-22s %10d %8.2f %10.1f %10.1f\n",
		      "analyze " n, e, best, e / best / 1e6, kb / 1024 }'
}

if [ -x "$B/bench/gen-trace" ] && [ -x /usr/bin/time ]; then
	ana_trace="$tmp/gen.trace"
	ana_events=$("$B/bench/gen-trace" -n "${ANA_EVENTS:-50000000}" \
		     "$ana_trace" | sed 's/^events=\([0-9]*\).*/\1/')
	printf '\n%-22s %10s %8s %10s %10s\n' analyzer events "cpu s" \
		"M ev/s" "peak MB"
	ana_row info
	ana_row report
	ana_row threads
	ana_row profile sync
	ana_row profile wakeup
	ana_row profile heap
	rm -f "$tmp/gen.trace"
	# the exporters on an allocation-churn trace (one heap counter change
	# per event): peak memory and output bytes per event
	ana_trace="$tmp/churn.trace"
	ana_events=$("$B/bench/gen-trace" -a -n "${EXP_EVENTS:-20000000}" \
		     "$ana_trace" | sed 's/^events=\([0-9]*\).*/\1/')
	printf '\n%-22s %10s %8s %10s %10s\n' exporter events "wall s" \
		"peak MB" "B/event"
	for x in "html" "export --format perfetto" "export --format json"; do
		/usr/bin/time -f '%e %M' -o "$tmp/time" \
			"$B/bin/ctrace-analyze" $x -o "$tmp/out" "$ana_trace" \
			>/dev/null 2>&1
		awk -v n="$x" -v e="$ana_events" -v s="$(stat -c %s "$tmp/out")" \
		    '{ printf "%-22s %10d %8.2f %10.1f %10.3f\n", n, e, $1,
		       $2 / 1024, s / e }' "$tmp/time"
	done
	rm -f "$tmp/churn.trace" "$tmp/out"
	# the generator draws random values (the varint decoder's worst
	# case); a recorded trace repeats itself as real programs do
	ana_trace="$tmp/real.trace"
	"$CTRACE" record -q -o "$ana_trace" -- "$B/bench/bench-heap" pairs \
		2000000 >/dev/null
	ana_events=$("$CTRACE" info "$ana_trace" | sed -n 's/^events: //p')
	printf '%s\n' "recorded: bench-heap pairs 2000000"
	ana_row info
	ana_row report
	ana_row threads
	ana_row profile heap
fi
