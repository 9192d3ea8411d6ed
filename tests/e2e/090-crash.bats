#!/usr/bin/env bats
# fatal signals: recorded with the faulting stack, every buffer flushed,
# and the program's handlers, output and exit status as untraced

load helpers

setup() {
	T="$BATS_TEST_TMPDIR"
	cd "$T"
	ulimit -c 0	# the default action dumps core: not into the tests
}

# same CMD...: run CMD untraced, then traced into t.trace; both exit
# statuses and stdouts must be equal.  Leaves the status in $status and
# the stdout in u.out.
same() {
	local u
	"$@" >u.out 2>/dev/null && u=0 || u=$?
	"$CTRACE" record -q -o t.trace -- "$@" >t.out 2>/dev/null &&
		status=0 || status=$?
	echo "untraced $u traced $status"
	[ "$u" = "$status" ]
	cmp u.out t.out
}

# fatal: the one fatal_signal line of t.trace's dump
fatal() {
	"$CTRACE" dump t.trace | awk '$4 == "fatal_signal"'
}

# crash_check SIG N CODE FN ADDR: t.trace holds one fatal_signal SIG with
# si_code CODE and address ADDR (a regex) on the thread that wrote N
# lines, FN on top of its stack, after all N writes, and nothing lost
crash_check() {
	local f tid ts
	f=$(fatal)
	echo "$f"
	[ "$(printf '%s\n' "$f" | wc -l)" -eq 1 ]
	[ "$(field "$f" sig)" = "$1" ]
	[ "$(field "$f" code)" = "$3" ]
	[ "$(field "$f" action)" = 0 ]
	[[ "$(field "$f" addr)" =~ ^$5$ ]]
	[[ "$(field "$f" stack)" == "$4"[+\(]* ]]
	tid=$(printf '%s\n' "$f" | awk '{ print $3 }')
	ts=$(printf '%s\n' "$f" | awk '{ print $1 }')
	[ "$("$CTRACE" dump t.trace | awk -v t="$tid" -v ts="$ts" \
	     '$4 == "write" && $3 == t && $1 <= ts && /fd=1 /' | wc -l)" -eq "$2" ]
	"$CTRACE" dump t.trace | grep -q "^.* end events=[0-9]* lost=0 "
	"$CTRACE" info t.trace | grep -qx 'lost: 0'
}

@test "crash: SIGSEGV after N writes, status 139, the fault on top" {
	same "$FIX/crash" segv 7
	[ "$status" -eq 139 ]
	[ "$(wc -l < u.out)" -eq 7 ]
	crash_check 11 7 1 crash_segv 0x10
}

@test "crash: SIGABRT from abort(), status 134, sent by the process itself" {
	same "$FIX/crash" abort 5
	[ "$status" -eq 134 ]
	crash_check 6 5 -6 __pthread_kill_implementation 0x0
	# raise() sends it: the sender is the process
	[ "$(field "$(fatal)" pid)" = "$(fatal | awk '{ print $2 }')" ]
	run "$CTRACE" info t.trace
	assert_line --regexp '^  fatal signal SIGABRT \(sent by pid [0-9]+\) in thread [0-9]+: __pthread_kill_implementation '
}

@test "crash: SIGFPE from an integer division by zero, status 136" {
	same "$FIX/crash" fpe 3
	[ "$status" -eq 136 ]
	crash_check 8 3 1 crash_fpe '0x[0-9a-f]+'
}

@test "crash: SIGILL from __builtin_trap(), status 132" {
	same "$FIX/crash" ill 4
	[ "$status" -eq 132 ]
	crash_check 4 4 2 crash_ill '0x[0-9a-f]+'
}

@test "crash: SIGBUS past a truncated file's end, status 135" {
	same "$FIX/crash" bus 2
	[ "$status" -eq 135 ]
	# BUS_ADRERR, at the mapping the trace recorded
	crash_check 7 2 2 crash_bus '0x[0-9a-f]+'
	addr=$("$CTRACE" dump t.trace | awk '$4 == "mmap"' | tail -1 |
	       tr ' ' '\n' | sed -n 's/^addr=//p')
	[ "$(field "$(fatal)" addr)" = "$addr" ]
}

@test "crash: without family cpu: no event, but every write flushed" {
	export CTRACE_EVENTS=io
	same "$FIX/crash" segv 6
	[ "$status" -eq 139 ]
	[ "$(events t.trace fatal_signal)" -eq 0 ]
	[ "$(events t.trace write)" -eq 6 ]
	"$CTRACE" info t.trace | grep -qx 'lost: 0'
}

@test "crash: a thread segfaults after 2 s; the joining thread's wait is unfinished" {
	same "$FIX/crash" segv 3 2 thread
	[ "$status" -eq 139 ]
	crash_check 11 3 1 crash_segv 0x10
	tid=$(fatal | awk '{ print $3 }')
	pid=$(fatal | awk '{ print $2 }')
	[ "$tid" != "$pid" ]
	"$CTRACE" dump t.trace | awk -v p="$pid" \
		'$4 == "unfinished" && $3 == p' | grep -q 'type=4 '
	"$CTRACE" dump t.trace | awk -v t="$tid" '$4 == "sleep" && $3 == t' |
		grep -q 'req=2000000000 '
}

@test "crash: info and report say which signal, where, in which thread" {
	same "$FIX/crash" segv 1 0 thread
	tid=$(fatal | awk '{ print $3 }')
	run "$CTRACE" info t.trace
	assert_success
	assert_line 'fatal signals: 1'
	assert_line --partial ': killed by signal 11 (Segmentation fault) (buffers flushed at the fatal signal)'
	assert_line "  fatal signal SIGSEGV (fault at 0x10) in thread $tid: crash_segv (crash.c:23) < run (crash.c:73) < thread (crash.c:90)"
	run "$CTRACE" report t.trace
	assert_success
	assert_line "  fatal signal SIGSEGV (fault at 0x10) in thread $tid: crash_segv (crash.c:23) < run (crash.c:73) < thread (crash.c:90)"
}

@test "crash: a marker on the faulting thread in json, perfetto and html" {
	command -v protoc >/dev/null || skip "protoc (protobuf-compiler) is not installed"
	same "$FIX/crash" segv 1 0 thread
	tid=$(fatal | awk '{ print $3 }')
	us=$(fatal | awk '{ print $1 }')
	"$CTRACE" export --format json -o t.json t.trace
	"$CTRACE" export --format perfetto -o t.pb t.trace
	protoc --proto_path="$CTRACE_TOP/analyzer/proto" \
		--decode=perfetto.protos.Trace \
		"$CTRACE_TOP/analyzer/proto/perfetto_trace.proto" < t.pb > t.txt
	"$CTRACE" html -o t.html t.trace
	run python3 - "$tid" <<'PY'
import json, re, sys
tid = int(sys.argv[1])
# json: one thread-scoped instant on tid
j = json.load(open('t.json'))
ev = j['traceEvents'] if isinstance(j, dict) else j
m = [e for e in ev if e.get('name') == 'fatal_signal']
assert len(m) == 1 and m[0]['ph'] == 'i' and m[0]['tid'] == tid, m
assert m[0]['args']['detail'].startswith('fatal signal SIGSEGV'), m
# perfetto: one instant on the track of the thread tid
t = open('t.txt').read()
names = dict(re.findall(r'event_names \{\s*iid: (\d+)\s*name: "([^"]*)"', t))
tracks = {}
for uuid, body in re.findall(r'track_descriptor \{\s*uuid: (\d+)(.*?)\n    \}', t, re.S):
    m2 = re.search(r'thread \{\s*pid: \d+\s*tid: (\d+)', body)
    if m2:
        tracks[uuid] = int(m2.group(1))
got = []
for ev in re.findall(r'track_event \{(.*?)\n  \}', t, re.S):
    n = re.search(r'name_iid: (\d+)', ev)
    if n and names.get(n.group(1)) == 'fatal_signal':
        got.append(tracks.get(re.search(r'track_uuid: (\d+)', ev).group(1)))
assert got == [tid], (got, tracks)
# html: one instant of the thread, named fatal_signal
h = open('t.html').read()
d = json.loads(re.search(r'id="ctrace-data"[^>]*>(.*?)</script>', h, re.S).group(1))
ins = [i for p in d['procs'] for i in p['in'] if d['names'][i[2]] == 'fatal_signal']
assert len(ins) == 1 and ins[0][4] == tid, ins
print('ok')
PY
	echo "$output"
	assert_output ok
}

@test "crash: the program's SIGSEGV handler logs and _exit(3)s, as untraced" {
	same "$FIX/crash-handler" exit
	[ "$status" -eq 3 ]
	run cat t.out
	assert_output $'before the fault\ncaught 11 at 0x20'
	f=$(fatal)
	[ "$(field "$f" action)" = 1 ]
	[ "$(field "$f" addr)" = 0x20 ]
	[[ "$(field "$f" stack)" == main+* ]]
	# _exit flushed the rest: the program's own write is there
	[ "$(events t.trace write)" -eq 2 ]
	"$CTRACE" info t.trace | grep -qx 'lost: 0'
}

@test "crash: a handler that fixes the fault and returns, 1000 times" {
	same "$FIX/crash-handler" fix 1000
	[ "$status" -eq 0 ]
	# sigaction's old action is the program's own, flags as untraced
	run cat t.out
	assert_output 'faults 1000, handler own, flags 0x4000004, mask has SIGSEGV 0'
	[ "$(events t.trace fatal_signal)" -eq 1000 ]
	[ "$("$CTRACE" dump t.trace | awk '$4 == "fatal_signal"' |
	     grep -c ' action=1 ')" -eq 1000 ]
	run "$CTRACE" info t.trace
	assert_line 'fatal signals: 1000 (1000 handled by the program)'
}

@test "crash: SA_ONSTACK and sigaltstack: a stack overflow's handler runs there" {
	same "$FIX/crash-handler" altstack
	[ "$status" -eq 4 ]
	run cat t.out
	assert_output 'handler on the alternate stack'
	[[ "$(field "$(fatal)" stack)" == recurse+* ]]
}

@test "crash: signal() installs the program's handler; kill() reaches it" {
	same "$FIX/crash-handler" signal
	[ "$status" -eq 5 ]
	run cat t.out
	assert_output 'signal handler'
	f=$(fatal)
	[ "$(field "$f" code)" = 0 ]
	[ "$(field "$f" pid)" = "$(printf '%s\n' "$f" | awk '{ print $2 }')" ]
}

@test "crash: SIG_IGN: a sent SIGSEGV is ignored, a fault still kills" {
	same "$FIX/crash-handler" ignore
	[ "$status" -eq 139 ]
	run cat t.out
	assert_output 'ignored'
	# the kill() is not recorded; the fault is, as the default action
	f=$(fatal)
	[ "$(field "$f" addr)" = 0x30 ]
	[ "$(field "$f" action)" = 0 ]
}

@test "crash: a signal the shell ignores stays ignored, across exec too" {
	same sh -c 'trap "" SEGV; kill -SEGV $$; echo survived'
	[ "$status" -eq 0 ]
	run cat t.out
	assert_output survived
	same sh -c 'trap "" SEGV; exec sh -c "kill -SEGV \$\$; echo exec"'
	[ "$status" -eq 0 ]
	run cat t.out
	assert_output exec
	[ "$(events t.trace fatal_signal)" -eq 0 ]
}

@test "crash: real programs: python's os.abort(), a shell's kill -SEGV \$\$" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	same python3 -c 'import os; os.abort()'
	[ "$status" -eq 134 ]
	[ "$(field "$(fatal)" sig)" = 6 ]
	same sh -c 'kill -SEGV $$'
	[ "$status" -eq 139 ]
	[ "$(field "$(fatal)" sig)" = 11 ]
}
