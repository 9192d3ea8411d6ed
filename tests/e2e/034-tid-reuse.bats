#!/usr/bin/env bats
# A tid the kernel reused is a new thread (issue 11, item 9): counts,
# lifetimes, names, wakers and exports per thread, not per tid.

load helpers

PROTO="$CTRACE_TOP/analyzer/proto/perfetto_trace.proto"

# gen-trace -R: four threads in turn had tid 1001; main (1000) wakes
# from #2 and #3, names #1 (itself), #2 and #4; exact times
gen() {
	"$CTRACE_BUILD/bench/gen-trace" -R g.trace >/dev/null
}

# json_wakes FILE NAME: "<tid> <wakeup arrows out of it>" of the thread
# track whose thread_name is NAME in a JSON export
json_wakes() {
	python3 - "$1" "$2" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))
ev = ev['traceEvents'] if isinstance(ev, dict) else ev
tids = [e['tid'] for e in ev if e['ph'] == 'M' and
        e['name'] == 'thread_name' and e['args']['name'] == sys.argv[2]]
assert len(tids) == 1, tids
n = sum(1 for e in ev if e['ph'] == 's' and e['name'] == 'wakeup' and
        e['tid'] == tids[0])
print(tids[0], n)
PY
}

@test "reused tid: info counts a thread per generation, each with its own events and name" {
	gen
	run "$CTRACE" info g.trace
	assert_success
	assert_line "threads: 5"
	assert_line '  1000 image 1 "/usr/bin/gen": 5 threads, 22 events'
	assert_line '    tid 1001#1 events 4 first 1.002000000 last 1.011000000 name "first"'
	assert_line '    tid 1000 events 11 first 1.001000000 last 1.091000000'
	assert_line '    tid 1001#2 events 3 first 1.020000000 last 1.050000000 name "second"'
	assert_line '    tid 1001#3 events 2 first 1.060000000 last 1.074000000'
	assert_line '    tid 1001#4 events 2 first 1.080000000 last 1.090000000 name "fourth"'
}

@test "reused tid: each generation's lifetime is exact, a lost end stops at the next start" {
	gen
	run "$CTRACE" threads --per-thread g.trace
	assert_success
	assert_line --regexp "^threads: 5; "
	assert_line --regexp "^worker \(gen.c:10\) +4 +0\.069000 "
	assert_line --regexp "^all +5 +0\.169000 "
	# pid, tid, name, routine, unfinished, lifetime
	assert_line --regexp "^1000 +1001#1 +first +worker \(gen.c:10\) +0 +0\.009000 "
	assert_line --regexp "^1000 +1000 +- +main +0 +0\.100000 "
	assert_line --regexp "^1000 +1001#2 +second +worker \(gen.c:10\) +0 +0\.030000 "
	assert_line --regexp "^1000 +1001#3 +- +worker \(gen.c:10\) +0 +0\.020000 "
	assert_line --regexp "^1000 +1001#4 +fourth +worker \(gen.c:10\) +0 +0\.010000 "
	run "$CTRACE" report g.trace
	assert_line "processes: 1 (1 image), threads: 5, events: 22"
	assert_line "where the time went (5 threads, 0.169000 s of thread lifetime):"
	assert_output --partial "3 thread ends to joins, 4 creates to starts"
}

@test "reused tid: JSON gives each generation its own track; a wake comes from the one alive" {
	gen
	run "$CTRACE" export --format json -o g.json g.trace
	assert_success
	# the first keeps the tid, the later ones get ids past PID_MAX_LIMIT
	assert_equal "$(json_wakes g.json 'first (tid 1001#1)')" "1001 0"
	# #2's wake of main's cond_wait was read before #2 itself
	assert_equal "$(json_wakes g.json 'second (tid 1001#2)')" "4194305 1"
	assert_equal "$(json_wakes g.json 'worker (tid 1001#3)')" "4194306 1"
	assert_equal "$(json_wakes g.json 'fourth (tid 1001#4)')" "4194307 0"
	# the arrows start at the wakes: 34 and 74 ms (µs since the trace start)
	run python3 -c "
import json
ev = json.load(open('g.json'))
ev = ev['traceEvents'] if isinstance(ev, dict) else ev
for e in ev:
    if e['ph'] == 's' and e['name'] == 'wakeup':
        print(e['tid'], e['ts'])"
	assert_line "4194305 1034000"
	assert_line "4194306 1074000"
}

@test "reused tid: Perfetto has a track per generation with the real tid, named by generation" {
	command -v protoc >/dev/null || skip "protoc (protobuf-compiler) is not installed"
	gen
	run "$CTRACE" export -o g.pftrace g.trace
	assert_success
	protoc --proto_path="$(dirname "$PROTO")" \
		--decode=perfetto.protos.Trace "$PROTO" < g.pftrace > g.txt
	# the tracks are described twice: at the first event, then named
	run python3 -c "
import re
t = open('g.txt').read()
for m in re.finditer(r'uuid: (\d+)\s*thread \{\s*pid: (\d+)\s*tid: (\d+)\s*thread_name: \"([^\"]*)\"', t):
    print(*m.groups())"
	assert_equal "${#lines[@]}" 5
	assert_line "2 1000 1001 first (tid 1001#1)"
	assert_line "3 1000 1000 gen"
	assert_line "4 1000 1001 second (tid 1001#2)"
	assert_line "5 1000 1001 worker (tid 1001#3)"
	assert_line "6 1000 1001 fourth (tid 1001#4)"
}

@test "reused tid: html rows per generation, the waker link goes to the one alive" {
	[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || skip "chromium is not installed"
	[ -d "$CTRACE_TOP/tests/html/node_modules/playwright-core" ] ||
		skip "playwright-core is not installed (031-html.bats installs it)"
	gen
	"$CTRACE" html -o g.html g.trace
	run node "$CTRACE_TOP/tests/html/check.js" g.html
	echo "$output"
	assert_success
	assert_line "threads 5"
	assert_line "rows 5"
	assert_line "wake_arrow yes"
	assert_line "waker_link yes"
	assert_line "life 1001#1 9000000"
	assert_line "life 1001#2 30000000"
	assert_line "life 1001#3 20000000"
	assert_line "life 1001#4 10000000"
}

@test "reused tid: a real program whose thread gets an earlier thread's tid" {
	max=$(cat /proc/sys/kernel/pid_max)
	[ "$max" -le 65536 ] ||
		skip "pid_max $max: the kernel would take too long to reuse a tid"
	record t.trace "$FIX/tidreuse"
	assert_success
	n=$(printf '%s\n' "$output" | sed -n 's/^threads \([0-9]*\) reused [0-9]*$/\1/p')
	tid=$(printf '%s\n' "$output" | sed -n 's/^threads [0-9]* reused \([0-9]*\)$/\1/p')
	[ -n "$n" ] && [ "$tid" -gt 0 ]
	run "$CTRACE" info t.trace
	assert_success
	assert_line "threads: $((n + 1))"
	assert_line --regexp "^    tid $tid#1 events [0-9]+ "
	assert_line --regexp "^    tid $tid#2 events [0-9]+ "
	run "$CTRACE" threads t.trace
	assert_line --regexp "^worker \(tidreuse.c:[0-9]+\) +$n "
	# threads ran one at a time beside main: lifetimes sum to less than
	# twice the trace's duration
	dur=$("$CTRACE" info t.trace | sed -n 's/^duration: \([0-9.]*\) s.*/\1/p')
	all=$(printf '%s\n' "$output" | awk '$1 == "all" { print $3 }')
	awk -v a="$all" -v d="$dur" 'BEGIN { exit !(a < 2 * d) }'
	# the second thread with the tid woke main's last sem_wait, once
	"$CTRACE" export --format json -o t.json t.trace
	run json_wakes t.json "worker (tid $tid#2)"
	assert_output "4194305 1"
}

@test "reused tid: a kill counts the second thread's unsent events lost" {
	max=$(cat /proc/sys/kernel/pid_max)
	[ "$max" -le 65536 ] ||
		skip "pid_max $max: the kernel would take too long to reuse a tid"
	# thread events alone, no flush by time: the thread given a tid an
	# earlier one had SIGKILLs the process as it starts, its
	# thread_start unsent.  That one event is lost under its tid, not
	# hidden by what the tid's first thread had sent (2 events)
	CTRACE_EVENTS=thread CTRACE_CPU_HZ=0 CTRACE_FLUSH_MS=60000 \
		record t.trace "$FIX/tidreuse" kill
	assert_failure 137
	tid=$(printf '%s\n' "$output" | sed -n 's/^reused \([0-9]*\): killing$/\1/p')
	[ -n "$tid" ]
	run sh -c "'$CTRACE' dump t.trace | awk '\$3 == $tid && \$4 == \"lost\"'"
	assert_output --regexp "^- [0-9]+ $tid lost count=1 reason=killed$"
}
