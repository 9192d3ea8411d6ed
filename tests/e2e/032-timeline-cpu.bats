#!/usr/bin/env bats
# timelines with CPU samples, the residue between blocked calls and an
# unfinished call (tl-cpu: a spinner in spin(), a reader blocked at exit)

load helpers

PROTO="$CTRACE_TOP/analyzer/proto/perfetto_trace.proto"
HTML_DIR="$CTRACE_TOP/tests/html"

# one recording for the file: the checks compare outputs of one trace
setup_file() {
	cd "$BATS_FILE_TMPDIR"
	"$CTRACE" record -q -o c.trace -- "$FIX/tl-cpu" >/dev/null
	"$CTRACE" threads --per-thread c.trace > threads.txt
}

setup() {
	T="$BATS_TEST_TMPDIR"
	cd "$T"
	cp "$BATS_FILE_TMPDIR/c.trace" "$BATS_FILE_TMPDIR/threads.txt" .
}

# per_thread [split]: "tid lifetime" per thread as `threads --per-thread`
# printed it into threads.txt; with split, then its running, runnable and
# unknown seconds (the states' columns are in model.h's order)
per_thread() {
	python3 - threads.txt "${1:-}" <<'PY'
import re, sys
rows = False
for line in open(sys.argv[1]):
    if line.startswith('per thread:'):
        rows = True
        continue
    f = line.split()
    if not rows or len(f) < 3 or not f[0].isdigit():
        continue
    i = next(i for i in range(2, len(f)) if re.fullmatch(r'\d+\.\d{6}', f[i]))
    v = f[i:]
    print(f[1], v[0], *([v[1], v[3], v[15]] if sys.argv[2] else []))
PY
}

@test "tl-cpu: the trace has samples, readings and one unfinished read" {
	[ "$(events c.trace cpu_sample)" -ge 5 ]
	[ "$(events c.trace sched)" -ge 3 ]
	assert_equal "$(events c.trace unfinished)" 1
	"$CTRACE" dump c.trace | grep ' unfinished ' | grep -q 'type=64 '
}

@test "perfetto: a sample packet per cpu_sample, named frames and tracks, residue, unfinished" {
	asan_skip "pthread_create's start routines"
	command -v protoc >/dev/null || skip "protoc (protobuf-compiler) is not installed"
	"$CTRACE" export -o c.pb c.trace
	protoc --proto_path="$(dirname "$PROTO")" \
		--decode=perfetto.protos.Trace "$PROTO" < c.pb > c.txt
	python3 - c.txt > sum <<'PY'
import sys, collections
# protoc's text format: "key: value" lines and "key {" ... "}" blocks
def parse(lines, i):
    node = []
    while i < len(lines):
        l = lines[i].strip()
        i += 1
        if not l:
            continue
        if l == '}':
            return node, i
        if l.endswith('{'):
            sub, i = parse(lines, i)
            node.append((l[:-1].strip(), sub))
        else:
            k, v = l.split(':', 1)
            node.append((k, v.strip().strip('"')))
    return node, i
def get(n, k):
    return [v for kk, v in n if kk == k]
root, _ = parse(open(sys.argv[1]).read().split('\n'), 0)
names, funcs, frames, stacks = {}, {}, {}, {}
out = collections.Counter()
track_name, track_tid, samples, leaves = {}, {}, [], collections.Counter()
for _, pk in root:
    for idata in get(pk, 'interned_data'):
        for e in get(idata, 'event_names'):
            names[get(e, 'iid')[0]] = get(e, 'name')[0]
        for e in get(idata, 'function_names'):
            funcs[get(e, 'iid')[0]] = get(e, 'str')[0]
        for e in get(idata, 'frames'):
            frames[get(e, 'iid')[0]] = get(e, 'function_name_id')
        for e in get(idata, 'callstacks'):
            stacks[get(e, 'iid')[0]] = get(e, 'frame_ids')
    for td in get(pk, 'track_descriptor'):
        for th in get(td, 'thread'):
            u = get(td, 'uuid')[0]
            track_tid[u] = get(th, 'tid')[0]
            track_name[u] = (get(th, 'thread_name') or [''])[0]
    for s in get(pk, 'perf_sample'):
        samples.append((get(s, 'tid')[0], (get(s, 'callstack_iid') or [None])[0]))
    for te in get(pk, 'track_event'):
        if get(te, 'type') != ['TYPE_SLICE_BEGIN']:
            continue
        n = names.get((get(te, 'name_iid') or ['?'])[0], '?')
        if n in ('running', 'runnable', 'unknown'):
            out['residue ' + n] += 1
        for a in get(te, 'debug_annotations'):
            if get(a, 'string_value') == ['still blocked at exit']:
                out['unfinished ' + n] += 1
print('samples', len(samples))
with_stack = unnamed = 0
by_tid = collections.defaultdict(collections.Counter)
for tid, cs in samples:
    if cs is None or cs not in stacks:
        continue
    with_stack += 1
    fr = [frames.get(f) for f in stacks[cs]]
    if any(not f or f[0] not in funcs for f in fr):
        unnamed += 1
        continue
    by_tid[tid][funcs[fr[-1][0]]] += 1	# innermost frame last
print('samples_with_stack', with_stack)
print('samples_unnamed_frames', unnamed)
for tid, c in by_tid.items():
    print('top_leaf', [n for u, n in track_name.items() if track_tid[u] == tid][0],
          c.most_common(1)[0][0])
print('tracks', len(track_tid))
print('unnamed_tracks', sum(1 for n in track_name.values() if not n))
for n in sorted(track_name.values()):
    print('track', n)
for k, v in sorted(out.items()):
    print(k, v)
PY
	cat sum
	assert_equal "$(sed -n 's/^samples //p' sum)" "$(events c.trace cpu_sample)"
	assert_equal "$(sed -n 's/^samples_with_stack //p' sum)" "$(events c.trace cpu_sample)"
	assert_equal "$(sed -n 's/^samples_unnamed_frames //p' sum)" 0
	# the spinner is interrupted in spin() more often than anywhere else
	grep -qx 'top_leaf spinner spin' sum
	# every thread track has a name: its own, the program's, the routine's
	assert_equal "$(sed -n 's/^tracks //p' sum)" 3
	assert_equal "$(sed -n 's/^unnamed_tracks //p' sum)" 0
	grep -qx 'track spinner' sum
	grep -qx 'track tl-cpu' sum
	grep -qx 'track reader' sum
	# residue slices by state; the reader's read is unfinished
	grep -Eq '^residue (running|runnable|unknown) [1-9]' sum
	assert_equal "$(grep -c '^unfinished ' sum)" 1
	grep -qx 'unfinished read 1' sum
}

@test "json: blocked and residue slices tile each thread's lifetime, nest, samples are instants" {
	asan_skip "pthread_create's start routines"
	"$CTRACE" export --format json -o c.json c.trace
	per_thread split > want
	python3 - c.json > got <<'PY'
import json, os, sys, collections
d = json.load(open(sys.argv[1]))
ev = d['traceEvents']
names = {e['tid']: e['args']['name'] for e in ev
         if e['ph'] == 'M' and e['name'] == 'thread_name'}
tile = collections.Counter()
split = collections.defaultdict(collections.Counter)
sec = lambda ns: '%d.%06d' % (ns // 10**9, ns % 10**9 // 1000)
spans = collections.defaultdict(list)
leaf = collections.defaultdict(collections.Counter)
c = collections.Counter()
# the exit, and the process's end after it
ex = max(e['ts'] for e in ev if e['ph'] == 'i' and e['name'] == 'exit')
end = max(e['ts'] for e in ev if e['ph'] == 'i' and e['name'] == 'end')
for e in ev:
    if e['ph'] == 'X':
        ns = round(e['dur'] * 1000)
        a = e.get('args', {})
        if e['cat'] in ('running', 'runnable', 'unknown'):
            tile[e['tid']] += ns
            c['residue ' + e['name']] += 1
            parts = [a[k + '_ns'] for k in ('running', 'runnable', 'unknown')]
            for k, v in zip(('running', 'runnable', 'unknown'), parts):
                split[e['tid']][k] += v
            if min(parts) < 0 or sum(parts) != ns:
                c['parts_not_dur'] += 1
            if a['readings'] == 'between two':
                c['measured ' + names[e['tid']]] += 1
        elif 'result' in a:
            tile[e['tid']] += ns
        if 'unfinished' in a:
            c['unfinished %s %s %s' % (names[e['tid']], e['name'],
              'to_exit' if ex <= e['ts'] + e['dur'] <= end else 'not_to_exit')] += 1
        spans[e['tid']].append((round(e['ts'] * 1000), round(e['ts'] * 1000) + ns))
    elif e['ph'] == 'i' and e['name'] == 'cpu_sample':
        c['samples'] += 1
        leaf[names[e['tid']]][e['args'].get('leaf', '-')] += 1
# nested or apart, never partly overlapping (starts sorted, longest first)
sys.path.insert(0, os.environ['CTRACE_TOP'] + '/tests/e2e')
from nesting import partial_overlaps
print('partial_overlaps', partial_overlaps(spans))
for tid, ns in sorted(tile.items()):
    print('life', tid, sec(ns), *(sec(split[tid][k]) for k in
                                  ('running', 'runnable', 'unknown')))
for n, l in leaf.items():
    print('top_leaf', n, l.most_common(1)[0][0])
for k, v in sorted(c.items()):
    print(k, v)
PY
	cat got
	assert_equal "$(grep -c '^life ' got)" 3
	# lifetimes and the residue's parts (on-CPU, runnable, unknown):
	# what threads says of each thread, from the same readings
	! grep -q parts_not_dur got
	assert_equal "$(sed -n 's/^life //p' got | sort)" "$(sort want)"
	assert_equal "$(sed -n 's/^partial_overlaps //p' got)" 0
	assert_equal "$(sed -n 's/^samples //p' got)" "$(events c.trace cpu_sample)"
	grep -qx 'top_leaf spinner spin' got
	# the spinner's residue lies between readings; nothing else is named
	[ "$(sed -n 's/^measured spinner //p' got)" -ge 1 ]
	! grep '^residue ' got | grep -Ev '^residue (running|runnable|unknown) '
	grep -qx 'unfinished reader read to_exit 1' got
}

@test "json: past 64 readings held without a block (1000 Hz) the slices still tile and add up" {
	CTRACE_CPU_HZ=1000 "$CTRACE" record -q -o k.trace -- "$FIX/tl-cpu" 400 >/dev/null
	# 1 s of CPU, at the tick rate or 1000 Hz: the spinner's readings
	# outnumber what timeline.c holds for a thread (RES_QUEUE)
	[ "$(events k.trace cpu_sample)" -gt 64 ]
	"$CTRACE" threads --per-thread k.trace > threads.txt
	"$CTRACE" export --format json -o k.json k.trace
	per_thread split > want
	python3 - k.json > got <<'PY'
import json, sys, collections
tile, split = collections.Counter(), collections.defaultdict(collections.Counter)
sec = lambda ns: '%d.%06d' % (ns // 10**9, ns % 10**9 // 1000)
for e in json.load(open(sys.argv[1]))['traceEvents']:
    a = e.get('args', {})
    if e['ph'] != 'X' or not (e['cat'] in ('running', 'runnable', 'unknown') or 'result' in a):
        continue
    tile[e['tid']] += round(e['dur'] * 1000)
    for k in ('running', 'runnable', 'unknown'):
        split[e['tid']][k] += a.get(k + '_ns', 0)
for tid, ns in sorted(tile.items()):
    print(tid, sec(ns), *(sec(split[tid][k]) for k in ('running', 'runnable', 'unknown')))
PY
	assert_equal "$(sort got)" "$(sort want)"
}

@test "json: without cpu events nothing is measured: all residue is unknown" {
	CTRACE_EVENTS=thread,sync,io "$CTRACE" record -q -o n.trace -- "$FIX/tl-cpu" 20
	assert_equal "$(events n.trace cpu_sample)" 0
	assert_equal "$(events n.trace sched)" 0
	"$CTRACE" export --format json -o n.json n.trace
	python3 - n.json > got <<'PY'
import json, sys, collections
c = collections.Counter()
for e in json.load(open(sys.argv[1]))['traceEvents']:
    if e['ph'] == 'X' and e['cat'] in ('running', 'runnable', 'unknown'):
        c['residue ' + e['name']] += 1
    if e['ph'] == 'C' and e['name'] == 'on-CPU threads' and e['args']['value']:
        c['oncpu_nonzero'] += 1
for k, v in sorted(c.items()):
    print(k, v)
PY
	cat got
	# one gap per thread at least: before and after the reader's read,
	# the spinner's whole life, main's around its join
	[ "$(sed -n 's/^residue unknown //p' got)" -ge 3 ]
	! grep -Eq '^residue (running|runnable) ' got
	! grep -q oncpu_nonzero got
}

@test "html: sample ticks on the spinner's row, a cpu flame graph, unfinished details, threads' lifetimes" {
	[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || skip "chromium is not installed"
	[ -d "$HTML_DIR/node_modules/playwright-core" ] ||
		(cd "$HTML_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&3 2>&1 ||
		skip "npm could not install playwright-core"
	"$CTRACE" html -o c.html c.trace
	run node "$HTML_DIR/check.js" c.html c.png
	echo "$output"
	assert_success
	assert_line "errors 0"
	assert_line "rows 3"
	# check.js fails when a thread without samples has ticks: only the
	# spinner's and main's rows may have them
	spinner=$(grep -o '"tid":[0-9]*,"name":"spinner"' c.html | grep -o '[0-9]*' | head -1)
	[ "$(sed -n "s/^ticks $spinner //p" <<< "$output")" -ge 1 ]
	assert_line "cpu_tab yes"
	# the widest path of the cpu flame graph ends in spin(), which is,
	# inverted (leaf functions at the root), the widest root child
	[[ "$(sed -n 's/^cpu_path //p' <<< "$output")" == *\;spin ]]
	assert_line "cpu_inverted_root_child spin"
	assert_line "unfinished_shown yes"
	assert_line --regexp '^residue_shown (running|runnable|unknown)$'
	# the table's lifetimes are threads' (seconds with 6 decimals)
	sed -n 's/^life //p' <<< "$output" |
		awk '{ printf "%s %d.%06d\n", $1, $2 / 1e9, ($2 % 1e9) / 1e3 }' | sort > got
	per_thread | sort > want
	assert_equal "$(cat got)" "$(cat want)"
	[ -s c.png ]
}
