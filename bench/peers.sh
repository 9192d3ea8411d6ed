#!/bin/sh
# peers.sh - `make bench PEERS=1`: the workloads of bench/workloads/ run
# untraced, under ctrace and under the tracers users would pick instead
# (uftrace, LTTng's libc and pthread wrappers, heaptrack, strace, ltrace),
# all in the same run, printed as one table.  Never a pass/fail test.
#
# Ratio: whole-process wall time, exec to exit, median of PEERS_REPS
# (default 5) runs, each round running untraced and then every tool, so
# the machine's noise falls on all of them alike.  The trace of a round
# is counted (events, bytes, lost) after its clock stopped.
#
#   PEERS_REPS=N       runs per workload and tool (default 5)
#   PEERS_QUICK=1      small arguments, one run (the e2e test)
#   PEERS_TOOLS=...    which tools (default all six)
#   PEERS_WORKLOADS=...  which workloads (default all five)
#   PEERS_TIMEOUT=F    a traced run may take F times the untraced median
#                      (default 30, at least 15 s) before it is called
#                      timed out; its further runs are skipped
set -u
O=${O:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
case $O in /*) B=$O ;; *) B=$top/$O ;; esac
CTRACE="$B/bin/ctrace"
W="$B/bench/workloads"
REPS=${PEERS_REPS:-5}
QUICK=${PEERS_QUICK:-0}
[ "$QUICK" = 1 ] && REPS=1
TOOLS=${PEERS_TOOLS:-"ctrace uftrace lttng heaptrack strace ltrace"}
WORKLOADS=${PEERS_WORKLOADS:-"malloc_churn mutex_contend pipe_io thread_spawn mandel"}
TFACTOR=${PEERS_TIMEOUT:-30}
tmp=${PEERS_TMP:-}

args() {	# args WORKLOAD: its arguments, the workloads' defaults or quick
	if [ "$QUICK" = 1 ]; then
		case $1 in
		malloc_churn) echo 2 1000 ;;
		mutex_contend) echo 2 1000 ;;
		pipe_io) echo 1000 ;;
		thread_spawn) echo 100 ;;
		mandel) echo 64 64 2 "$tmp/mandel.pgm" ;;
		esac
	else
		case $1 in
		malloc_churn) echo 2 5000000 ;;
		mutex_contend) echo 2 1500000 ;;
		pipe_io) echo 500000 ;;
		thread_spawn) echo 25000 ;;
		mandel) echo 2560 2560 2 "$tmp/mandel.pgm" ;;
		esac
	fi
}

# the workload's result line without what scheduling moves (its timing,
# how often a condvar wait really slept, the events that follow from it)
result() {	# result WORKLOAD FILE
	grep "^$1 " "$2" | head -1 |
		sed -E 's/ (elapsed|cond_waits|events)=[^ ]*//g'
}

lttng_lib() {	# lttng_lib NAME: path of an LTTng-UST wrapper library
	for f in /usr/lib/*/"$1".so.1 /usr/lib/"$1".so.1 \
		 /usr/local/lib/"$1".so.1; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

missing() {	# missing TOOL: what of it is absent (nothing when usable)
	case $1 in
	ctrace) [ -x "$CTRACE" ] || echo "$CTRACE" ;;
	uftrace) command -v uftrace >/dev/null || echo uftrace ;;
	lttng)
		for c in lttng lttng-sessiond babeltrace2; do
			command -v $c >/dev/null || echo $c
		done
		for l in liblttng-ust-libc-wrapper liblttng-ust-pthread-wrapper; do
			lttng_lib $l >/dev/null || echo $l.so.1
		done ;;
	heaptrack)
		for c in heaptrack zstd; do
			command -v $c >/dev/null || echo $c
		done ;;
	strace|ltrace) command -v "$1" >/dev/null || echo "$1" ;;
	*) echo "unknown tool" ;;
	esac
}

# LTTng needs a session daemon: the one running, or one of ours, in a
# private LTTNG_HOME (as root the daemon is the system's, in
# /var/run/lttng), stopped at the end
lttng_daemon() {
	export LTTNG_HOME="$tmp/lttng-home"
	mkdir -p "$LTTNG_HOME"
	lttng list >/dev/null 2>&1 && return 0
	lttng-sessiond --daemonize --no-kernel >"$tmp/sessiond.log" 2>&1 ||
		return 1
	if [ "$(id -u)" = 0 ]; then
		sessiond=$(cat /var/run/lttng/lttng-sessiond.pid 2>/dev/null)
	else
		sessiond=$(cat "$LTTNG_HOME/.lttng/lttng-sessiond.pid" 2>/dev/null)
	fi
	lttng list >/dev/null 2>&1
}

# reap WORKLOAD: after a timeout, what is left of the run.  Killing the
# process group is not enough: a 15 s ltrace of malloc_churn went on
# running outside it, beside the next tools' timed runs.  So whatever
# names this run's files (the tracer) or runs the workload (its tracee,
# which a dead ptrace tracer leaves running) is killed too, and waited
# for before the next run starts.
reap() {
	kill -KILL -- -$pid 2>/dev/null
	for i in $(seq 50); do
		pkill -KILL -f -- "$tmp/t\\." 2>/dev/null
		pkill -KILL -f -- "^$W/$1( |\$)" 2>/dev/null
		pgrep -f -- "$tmp/t\\.|^$W/$1( |\$)" >/dev/null || return 0
		sleep 0.1
	done
}

# pre_TOOL / the traced command / post_TOOL, with the trace in $tmp/t.*;
# only the command is timed
pre() {	# pre TOOL: make ready; prints one line and fails if it cannot
	rm -rf "$tmp"/t.*
	[ "$1" = lttng ] || return 0
	lttng create "peers$$" --output="$tmp/t.lttng" >"$tmp/pre.log" 2>&1 &&
	lttng enable-event -u 'lttng_ust_libc:*' >>"$tmp/pre.log" 2>&1 &&
	lttng enable-event -u 'lttng_ust_pthread:*' >>"$tmp/pre.log" 2>&1 &&
	lttng start >>"$tmp/pre.log" 2>&1 && return 0
	grep -i error "$tmp/pre.log" | head -1
	lttng destroy "peers$$" >/dev/null 2>&1
	return 1
}

cmd() {	# cmd TOOL PROG ARGS...: the traced command line
	t=$1
	shift
	case $t in
	none) "$@" ;;
	# not -q: its summary line (on stderr) has the collector's CPU
	ctrace) "$CTRACE" record -o "$tmp/t.trace" -- "$@" ;;
	uftrace) uftrace record --force -d "$tmp/t.uftrace" "$@" ;;
	lttng) LD_PRELOAD="$(lttng_lib liblttng-ust-libc-wrapper):$(lttng_lib \
		liblttng-ust-pthread-wrapper)" "$@" ;;
	heaptrack) heaptrack -o "$tmp/t.heaptrack" "$@" ;;
	strace) strace -f -o "$tmp/t.strace" "$@" ;;
	ltrace) ltrace -f -c -o "$tmp/t.ltrace" "$@" ;;
	esac
}

post() {	# post TOOL: after the clock stopped
	[ "$1" = lttng ] || return 0
	lttng stop "peers$$" >/dev/null 2>&1
	lttng list "peers$$" >"$tmp/t.lttng-list" 2>&1
	lttng destroy "peers$$" >/dev/null 2>&1
}

# count TOOL: "EVENTS BYTES LOST" of the last trace, "-" where the tool
# has no such figure, "?" where it has one that could not be read
count() {
	case $1 in
	ctrace)
		"$CTRACE" info "$tmp/t.trace" >"$tmp/info" 2>/dev/null
		echo "$(sed -n 's/^events: \([0-9]*\)$/\1/p' "$tmp/info")" \
		     "$(stat -c %s "$tmp/t.trace")" \
		     "$(sed -n 's/^lost: \([0-9]*\)$/\1/p' "$tmp/info")"
		# "COLLECTOR COMMAND" CPU seconds, for the note
		sed -n 's/^ctrace: wrote .*(collector CPU \([0-9.]*\) s, command \([0-9.]*\) s)$/\1 \2/p' \
			"$tmp/err" >"$tmp/cpu.ctrace" ;;
	uftrace)
		# one 16-byte record per function entry and exit (no
		# arguments recorded) in the tasks' .dat files; uftrace
		# drops records when its buffers fill but says so only
		# in `uftrace dump`, which is too slow for 40 M records
		n=$(cat "$tmp"/t.uftrace/[0-9]*.dat 2>/dev/null | wc -c)
		echo $((n / 16)) "$(du -sb "$tmp/t.uftrace" | cut -f1)" "?" ;;
	lttng)
		n=$(babeltrace2 "$tmp/t.lttng" -c sink.utils.counter \
		    -p step=+0 2>/dev/null | awk '/Event messages/ { print $1 }')
		# a count of 2^63 or more is LTTng's, not a number of events
		lost=$(sed -n 's/^ *Discarded events: *\([0-9]*\)$/\1/p' \
		       "$tmp/t.lttng-list" | awk '
			length($1) > 18 || $1 + 0 >= 2^62 { bad = 1 }
			{ s += $1; n++ }
			END { if (bad || !n) print "?"; else print s }')
		echo "${n:-?}" "$(du -sb "$tmp/t.lttng" | cut -f1)" "$lost" ;;
	heaptrack)
		# its records: '+' one allocation, '-' one free
		f=$(ls "$tmp"/t.heaptrack* | head -1)
		n=$(zstd -dcf "$f" 2>/dev/null | grep -c '^[+-]')
		echo "$n" "$(stat -c %s "$f")" - ;;
	strace)
		# one line per system call, signal or exit; the second
		# half of an interrupted call is not another one
		echo "$(grep -vc 'resumed>' "$tmp/t.strace")" \
		     "$(stat -c %s "$tmp/t.strace")" - ;;
	ltrace)
		# -c keeps a count, not a trace: no bytes per event
		echo "$(awk '$NF == "total" { print $(NF-1) }' \
		       "$tmp/t.ltrace")" - - ;;
	esac
}

median() {	# median FILE: of the numbers in it, one a line
	sort -g "$1" | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# run TOOL WORKLOAD ROUND: one timed run; appends its ns to $tmp/ns.TOOL
# and leaves why it went wrong in $tmp/why.TOOL; the last round's trace
# is the one counted
run() {
	t=$1 w=$2
	[ -s "$tmp/why.$t" ] && return 0
	limit=600
	if [ "$t" != none ]; then
		limit=$(awk -v m="$(median "$tmp/ns.none")" -v f="$TFACTOR" \
			'BEGIN { l = m * f / 1e9; print l < 15 ? 15 : int(l + 1) }')
		if ! why=$(pre "$t"); then
			echo "failed: ${why:-could not start}" >"$tmp/why.$t"
			return 0
		fi
	fi
	t0=$(date +%s%N)
	# timeout leads a process group of its own: on expiry what is
	# left of it (a tracer that detaches slowly, its tracee) is killed
	# shellcheck disable=SC2046
	timeout -k 5 "$limit" sh "$0" --run "$t" "$W/$w" $(args "$w") \
		>"$tmp/out" 2>"$tmp/err" &
	pid=$!
	wait $pid
	rc=$?
	t1=$(date +%s%N)
	[ $rc = 124 ] || [ $rc = 137 ] && reap "$w"
	[ "$t" != none ] && post "$t"
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "timed out after ${limit} s" >"$tmp/why.$t"
		echo ">$limit" >"$tmp/timeout.$t"
		return 0
	fi
	if [ $rc != 0 ]; then
		echo "failed: exit $rc: $(grep . "$tmp/err" | head -1)" \
			>"$tmp/why.$t"
		return 0
	fi
	echo $((t1 - t0)) >>"$tmp/ns.$t"
	if [ "$t" = none ]; then
		result "$w" "$tmp/out" >"$tmp/result.none"
	elif [ "$(result "$w" "$tmp/out")" != "$(cat "$tmp/result.none")" ]; then
		if grep -q "^$w " "$tmp/out"; then
			echo differs >"$tmp/match.$t"
		else
			echo missing >"$tmp/match.$t"
		fi
	fi
	[ "$t" != none ] && [ "$3" = "$REPS" ] && count "$t" >"$tmp/count.$t"
	return 0
}

# `peers.sh --run TOOL PROG ARGS...` is one traced run, so that timeout
# can stop it with all it started
if [ "${1:-}" = --run ]; then
	shift
	cmd "$@"
	exit
fi
tmp=$(mktemp -d)
export PEERS_TMP="$tmp"
sessiond=""

cleanup() {	# our session daemon takes a moment to stop its consumers
	if [ -n "$sessiond" ] && kill "$sessiond" 2>/dev/null; then
		n=0
		while kill -0 "$sessiond" 2>/dev/null && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FMT='%-13s %-9s %8s %8s %8s %9s %8s %10s %6s %-7s %s\n'
row() {	# row WORKLOAD TOOL: its line of the table
	w=$1 t=$2
	if [ -s "$tmp/why.$t" ] && [ ! -s "$tmp/timeout.$t" ]; then
		printf "$FMT" "$w" "$t" - - - - - - - - "$(cat "$tmp/why.$t")"
		return
	fi
	plain=$(median "$tmp/ns.none")
	if [ -s "$tmp/timeout.$t" ]; then
		printf "$FMT" "$w" "$t" "$(awk -v p="$plain" \
			'BEGIN { printf "%.2f", p / 1e9 }')" \
			"$(cat "$tmp/timeout.$t")" \
			"$(awk -v p="$plain" -v l="$(tr -d '>' <"$tmp/timeout.$t")" \
			'BEGIN { printf ">%.0fx", l * 1e9 / p }')" \
			- - - - - "$(cat "$tmp/why.$t")"
		return
	fi
	with=$(median "$tmp/ns.$t")
	set -- $(cat "$tmp/count.$t" 2>/dev/null)
	match=$(cat "$tmp/match.$t" 2>/dev/null || echo same)
	# ctrace's collector beside the traced command (issue: <= 10%),
	# in seconds: a quick run's are too short for a ratio
	note=$(awk '{ printf "collector CPU %s s, command %s s", $1, $2 }' \
		"$tmp/cpu.$t" 2>/dev/null)
	awk -v w="$w" -v t="$t" -v p="$plain" -v x="$with" -v e="${1:-?}" \
	    -v b="${2:--}" -v l="${3:--}" -v m="$match" -v fmt="$FMT" \
	    -v n="$note" 'BEGIN {
		ne = "-"; be = "-"
		if (e ~ /^[0-9]+$/ && e > 0) {
			ne = x > p ? sprintf("%.1f", (x - p) / e) : "~0"
			if (b ~ /^[0-9]+$/)
				be = sprintf("%.2f", b / e)
		}
		printf fmt, w, t, sprintf("%.2f", p / 1e9),
			sprintf("%.2f", x / 1e9), sprintf("%.2fx", x / p),
			ne, be, e, l, m, n
	}'
}

for t in $TOOLS; do
	m=$(missing "$t" | tr '\n' ' ')
	[ -n "$m" ] && echo "not installed (${m% })" >"$tmp/absent.$t"
	if [ "$t" = lttng ] && [ -z "$m" ] && ! lttng_daemon; then
		echo "failed: no lttng-sessiond: $(grep . "$tmp/sessiond.log" |
			head -1)" >"$tmp/absent.$t"
	fi
done

printf "$FMT" workload tool "plain s" "traced s" ratio ns/event B/event \
	events lost output note
for w in $WORKLOADS; do
	rm -f "$tmp"/ns.* "$tmp"/why.* "$tmp"/timeout.* "$tmp"/match.* \
	      "$tmp"/count.* "$tmp"/cpu.*
	for t in $TOOLS; do
		[ -s "$tmp/absent.$t" ] && cp "$tmp/absent.$t" "$tmp/why.$t"
	done
	i=0
	while [ $i -lt "$REPS" ]; do
		i=$((i + 1))
		run none "$w" $i
		if [ -s "$tmp/why.none" ]; then
			break
		fi
		for t in $TOOLS; do
			run "$t" "$w" $i
		done
	done
	if [ -s "$tmp/why.none" ]; then
		printf "$FMT" "$w" untraced - - - - - - - - "$(cat "$tmp/why.none")"
		continue
	fi
	for t in $TOOLS; do
		row "$w" "$t"
	done
done
exit 0
