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
	"$CTRACE" record -q -o "$tmp/b.trace" -- "$@"
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
	awk -v n="$1" -v p="$plain" -v w="$with" -v e="${events:--}" -v b="$bpe" \
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
