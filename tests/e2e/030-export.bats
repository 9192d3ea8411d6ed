#!/usr/bin/env bats
# ctrace export: Perfetto protobuf and Chrome JSON timelines

load helpers

PROTO="$CTRACE_TOP/analyzer/proto/perfetto_trace.proto"

setup_file() {
	command -v protoc >/dev/null || skip "protoc (protobuf-compiler) is not installed"
}

# decode FILE: the Perfetto trace as protobuf text
decode() {
	protoc --proto_path="$(dirname "$PROTO")" \
		--decode=perfetto.protos.Trace "$PROTO" < "$1"
}

# pfsum TEXT: one line per finding of a decoded trace: "threads N",
# "tid N", "slice_begin N", "slice_end N", "counter N", "counter_track
# NAME", "instant NAME", "flow_out NAME", "flow_in NAME", "cat NAME N"
pfsum() {
	python3 - "$1" <<'PY'
import re, sys, collections
names, cats, out = {}, {}, collections.Counter()
tids, text = set(), open(sys.argv[1]).read()
for m in re.finditer(r'event_names \{\s*iid: (\d+)\s*name: "([^"]*)"', text):
    names[m.group(1)] = m.group(2)
for m in re.finditer(r'event_categories \{\s*iid: (\d+)\s*name: "([^"]*)"', text):
    cats[m.group(1)] = m.group(2)
for m in re.finditer(r'thread \{\s*pid: \d+\s*tid: (\d+)', text):
    tids.add(m.group(1))
for m in re.finditer(r'track_descriptor \{[^{}]*?name: "([^"]*)"[^{}]*counter \{', text):
    out['counter_track ' + m.group(1)] += 1
for ev in re.findall(r'track_event \{(.*?)\n  \}', text, re.S):
    ev = re.sub(r'debug_annotations \{[^{}]*\}', '', ev)
    typ = re.search(r'type: (\w+)', ev).group(1)
    n = re.search(r'name_iid: (\d+)', ev)
    name = names.get(n.group(1), '?') if n else '-'
    c = re.search(r'category_iids: (\d+)', ev)
    if typ == 'TYPE_SLICE_BEGIN':
        out['slice_begin'] += 1
        out['cat %s' % cats.get(c.group(1), '?')] += 1
    elif typ == 'TYPE_SLICE_END':
        out['slice_end'] += 1
    elif typ == 'TYPE_COUNTER':
        out['counter'] += 1
    elif typ == 'TYPE_INSTANT':
        out['instant ' + name] += 1
    if 'terminating_flow_ids' in ev:
        out['flow_in ' + name] += 1
    elif 'flow_ids' in ev:
        out['flow_out ' + name] += 1
print('threads', len(tids))
for t in sorted(tids):
    print('tid', t)
for k, v in sorted(out.items()):
    print(k, v)
PY
}

# blocking FILE: events of FILE that are intervals (their first field is dur)
blocking() {
	"$CTRACE" dump "$1" | awk '$5 ~ /^dur=/' | wc -l
}

# tids FILE: the threads with events in FILE, sorted
tids() {
	"$CTRACE" dump "$1" | awk '$3 != "-" { print $3 }' | sort -u
}

@test "perfetto: a track per thread, a slice per blocking event, counters, flows" {
	record w.trace "$FIX/tl-workers" 4
	assert_success
	run "$CTRACE" export w.trace
	assert_success
	[ -s w.trace.pftrace ]
	decode w.trace.pftrace > w.txt
	pfsum w.txt > sum
	# the first packet clears the incremental state of the sequence
	head -5 w.txt | grep -q 'sequence_flags: 1'
	# tracks: the 5 threads of the fixture, with their tids
	assert_equal "$(tids w.trace | wc -l)" 5
	assert_equal "$(grep -c '^tid ' sum)" 5
	assert_equal "$(sed -n 's/^tid //p' sum | sort)" "$(tids w.trace)"
	# named threads carry their names
	[ "$(grep -c 'thread_name: "worker-' w.txt)" -eq 4 ]
	grep -q 'process_name: "tl-workers"' w.txt
	# slices: one begin and one end per blocking event in the dump, per
	# region and per residue slice (running, runnable, unknown)
	n=$(blocking w.trace)
	[ "$n" -ge 4 ]
	regions=$(awk '$1 == "cat" && $2 == "user" { n = $3 } END { print n + 0 }' sum)
	residue=$(awk '$1 == "cat" && ($2 == "running" || $2 == "runnable" || $2 == "unknown") { n += $3 } END { print n + 0 }' sum)
	# each of the 5 threads has at least one gap between its calls
	[ "$residue" -ge 5 ]
	assert_equal "$(awk '$1 == "slice_begin" { n = $2 } END { print n + 0 }' sum)" "$((n + regions + residue))"
	assert_equal "$(awk '$1 == "slice_end" { n = $2 } END { print n + 0 }' sum)" "$((n + regions + residue))"
	assert_equal "$(awk '$1 == "cat" && $2 == "join" { n = $3 } END { print n + 0 }' sum)" 4
	assert_equal "$(awk '$1 == "cat" && $2 == "sync" { n = $3 } END { print n + 0 }' sum)" \
		"$("$CTRACE" dump w.trace | awk '$5 ~ /^dur=/ && $4 != "thread_join"' | wc -l)"
	# counters: on-CPU threads (and their values)
	grep -q '^counter_track on-CPU threads 1$' sum
	[ "$(awk '$1 == "counter" { n = $2 } END { print n + 0 }' sum)" -gt 10 ]
	# flows: create -> start, one per thread created
	assert_equal "$(awk '$1 == "flow_out" && $2 == "thread_create" { n = $3 } END { print n + 0 }' sum)" 4
	assert_equal "$(awk '$1 == "flow_in" && $2 == "thread_start" { n = $3 } END { print n + 0 }' sum)" 4
	# wake -> woken, one per blocking event that names its waker
	w=$("$CTRACE" dump w.trace | awk '$5 ~ /^dur=/' | grep -c ' waker=[1-9]' || true)
	assert_equal "$(awk '$1 == "flow_out" && $2 == "wake" { n = $3 } END { print n + 0 }' sum)" "$w"
	assert_equal "$(awk '$1 == "flow_in" && $2 == "woken" { n = $3 } END { print n + 0 }' sum)" "$w"
	# process instants: start, exit, end
	grep -q '^instant start 1$' sum
	grep -q '^instant end 1$' sum
}

@test "perfetto: slice annotations name the object and the call site" {
	record w.trace "$FIX/tl-workers" 2
	"$CTRACE" export -o out.pb w.trace
	decode out.pb > w.txt
	grep -q 'name: "object"' w.txt
	grep -q 'name: "callsite"' w.txt
	grep -q 'pointer_value: ' w.txt
}

@test "perfetto: timestamps say they are CLOCK_MONOTONIC" {
	record w.trace "$FIX/tl-workers" 1
	"$CTRACE" export -o w.pb w.trace
	decode w.pb > w.txt
	# the first packet sets the sequence's default clock: all packets
	# are on that one sequence, none names another clock
	python3 - w.txt <<'PY'
import re, sys
packets = open(sys.argv[1]).read().split('\npacket {')
first = packets[0]
assert 'sequence_flags: 1' in first, first
m = re.search(r'trace_packet_defaults \{\s*timestamp_clock_id: (\d+)\s*\}', first)
assert m and m.group(1) == '3', first          # BUILTIN_CLOCK_MONOTONIC
assert all('trusted_packet_sequence_id: 1\n' in p for p in packets)
assert sum('timestamp_clock_id' in p for p in packets) == 1
PY
	# and 3 is the monotonic clock in the proto the file is read with
	grep -q 'BUILTIN_CLOCK_MONOTONIC = 3;' "$PROTO"
}

@test "json: parses, one thread_name per traced thread, same slices" {
	record w.trace "$FIX/tl-workers" 4
	run "$CTRACE" export --format json w.trace
	assert_success
	python3 - w.trace.json > js <<'PY'
import json, os, sys, collections
d = json.load(open(sys.argv[1]))
c = collections.Counter()
for e in d['traceEvents']:
    c[e['ph']] += 1
    if e['ph'] == 'M':
        c['M ' + e['name']] += 1
    if e['ph'] == 'X' and e['cat'] in ('running', 'runnable', 'unknown'):
        c['X ' + e['name']] += 1
    if e['ph'] == 'X' and e.get('args', {}).get('result') is not None:
        c['blocked'] += 1
    if e['ph'] in 'sf':
        c[e['ph'] + ' ' + e['cat']] += 1
# per thread, slices (X, and B/E regions) are nested or apart, never
# partly overlapping: residue slices are cut at region boundaries
spans, open_ = collections.defaultdict(list), collections.defaultdict(list)
ns = lambda t: round(t * 1000)
for e in d['traceEvents']:
    k = (e['pid'], e['tid'])
    if e['ph'] == 'X':
        spans[k].append((ns(e['ts']), ns(e['ts']) + ns(e['dur'])))
    elif e['ph'] == 'B':
        open_[k].append(ns(e['ts']))
    elif e['ph'] == 'E':
        spans[k].append((open_[k].pop(), ns(e['ts'])))
sys.path.insert(0, os.environ['CTRACE_TOP'] + '/tests/e2e')
from nesting import partial_overlaps
c['partial_overlaps'] = partial_overlaps(spans)
for k, v in sorted(c.items()):
    print(k, v)
PY
	assert_equal "$(sed -n 's/^M thread_name //p' js)" "$(tids w.trace | wc -l)"
	# residue slices between the blocked ones, named by their state
	[ "$(grep -Ec '^X (running|runnable|unknown) ' js)" -ge 1 ]
	# the workers' regions and residue slices nest on their tracks
	assert_equal "$(sed -n 's/^B //p' js)" 4
	assert_equal "$(sed -n 's/^partial_overlaps //p' js)" 0
	assert_equal "$(sed -n 's/^M process_name //p' js)" 1
	assert_equal "$(sed -n 's/^blocked //p' js)" "$(blocking w.trace)"
	assert_equal "$(sed -n 's/^s thread //p' js)" 4
	assert_equal "$(sed -n 's/^f thread //p' js)" 4
	[ "$(sed -n 's/^C //p' js)" -gt 10 ]
	# -o - writes to stdout
	"$CTRACE" export --format=json -o - w.trace | python3 -m json.tool > /dev/null
}

# consumers: speedscope and the DevTools trace engine from npm
# (tests/html/package.json), installed on first use as 031-html.bats does
HTML_DIR="$CTRACE_TOP/tests/html"
EX_MANDEL="$CTRACE_BUILD/examples/mandelbrot"
consumers() {
	command -v node >/dev/null && command -v npm >/dev/null ||
		skip "node and npm are needed for speedscope and the trace engine"
	if [ ! -d "$HTML_DIR/node_modules/speedscope" ] ||
	   [ ! -d "$HTML_DIR/node_modules/@paulirish/trace_engine" ]; then
		(cd "$HTML_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&3 2>&1 ||
			skip "npm could not install speedscope and the trace engine"
	fi
}

# nesting TRACE: "TID DEPTH" per thread with events: 1 + its deepest
# region nesting (calls and residue slices sit inside the regions)
nesting() {
	"$CTRACE" dump "$1" | awk '$3 != "-" { t[$3] = 1 }
		$4 == "region_begin" { if (++d[$3] > m[$3]) m[$3] = d[$3] }
		$4 == "region_end" { d[$3]-- }
		END { for (k in t) print k, m[k] + 1 }' | sort
}

# lifetimes TRACE: "TID SECONDS" per thread as `threads --per-thread` has it
lifetimes() {
	"$CTRACE" threads --per-thread "$1" | python3 -c '
import re, sys
rows = False
for l in sys.stdin:
    if l.startswith("pid "):
        rows = True
        continue
    f = l.split()
    if rows and len(f) > 2 and f[0].isdigit():
        print(f[1], next(x for x in f[2:] if re.fullmatch(r"\d+\.\d{6}", x)))
' | sort
}

# secs NS...: as threads prints them, 6 decimals, truncated
secs() {
	awk '{ printf "%s %d.%06d\n", $1, int($2 / 1e9), int(($2 % 1e9) / 1e3) }'
}

@test "json: speedscope and the DevTools trace engine nest it as the trace does" {
	consumers
	# condpingpong: a wake arrow per round, what made the staircase;
	# tl-workers: regions around the calls, a depth of 2
	for fx in condpingpong "tl-workers 4"; do
		record t.trace "$FIX"/$fx
		"$CTRACE" export --format json -o t.json t.trace
		run node "$HTML_DIR/json-check.js" t.json
		assert_success
		echo "$output" > seen
		# speedscope: no end that misses its frame, depth as the trace
		assert_equal "$(sed -n 's/^ss_warnings //p' seen)" 0
		assert_equal "$(awk '$1 == "ss" { print $3, $4 }' seen | sort)" "$(nesting t.trace)"
		assert_equal "$(awk '$1 == "te" { print $3, $5 }' seen | sort)" "$(nesting t.trace)"
		# the trace engine keeps every slice in its tree, and every arrow
		python3 - t.json > want <<'PY'
import json, sys, collections
d = json.load(open(sys.argv[1]))['traceEvents']
# slices: X, and the regions' B/E pairs, which it makes complete events
x = collections.Counter(e['tid'] for e in d if e['ph'] in 'XB')
for t in sorted(x):
    print('X', t, x[t])
print('flows', sum(e['ph'] == 's' for e in d))
PY
		assert_equal "$(awk '$1 == "te" { print "X", $3, $4 }' seen | sort)" "$(grep '^X ' want | sort)"
		flows=$(sed -n 's/^flows //p' want)
		assert_equal "$(sed -n 's/^te_flows //p' seen)" "$flows"
		# one arrow per wake with a waker (another thread) and per create
		w=$("$CTRACE" dump t.trace | awk '$5 ~ /^dur=/' | grep -c ' waker=[1-9]' || true)
		c=$("$CTRACE" dump t.trace | grep -c ' thread_start ' || true)
		assert_equal "$flows" "$((w + c))"
		# each thread's slices span its lifetime, as threads has it
		assert_equal "$(awk '$1 == "ss" { print $3, $5 }' seen | secs | sort)" "$(lifetimes t.trace)"
		assert_equal "$(awk '$1 == "te" { print $3, $7 - $6 }' seen | secs | sort)" "$(lifetimes t.trace)"
	done
}

@test "json: an exec'ed child has one process_name and one thread_name" {
	record t.trace "$FIX/forkexec"
	"$CTRACE" export --format json -o t.json t.trace
	python3 - t.json > names <<'PY'
import json, sys, collections
d = json.load(open(sys.argv[1]))['traceEvents']
n = collections.Counter((e['name'], e['pid'], e['tid']) for e in d if e['ph'] == 'M')
print('most', max(n.values()))
for e in d:
    if e['ph'] == 'M' and e['name'] == 'process_name':
        print('process', e['args']['name'])
PY
	assert_equal "$(sed -n 's/^most //p' names)" 1
	assert_equal "$(grep -c '^process forkexec → true$' names)" 3
	assert_equal "$(grep -c '^process forkexec$' names)" 1
}

# names TRACE: "TID NAME" per thread, as each output names it: "pf"
# (Perfetto thread_name), "js" (JSON thread_name) and "ht" (the html
# page's data), one line per output and thread
names() {
	"$CTRACE" export -o n.pb "$1"
	"$CTRACE" export --format json -o n.json "$1"
	"$CTRACE" html -o n.html "$1"
	decode n.pb > n.txt
	python3 - n.txt n.json n.html <<'PY'
import json, re, sys
pf = {}
for m in re.finditer(r'thread \{\s*pid: \d+\s*tid: (\d+)\s*(?:thread_name: "([^"]*)")?', open(sys.argv[1]).read()):
    if m.group(2) or m.group(1) not in pf:
        pf[m.group(1)] = m.group(2) or ''
for t, n in sorted(pf.items()):
    print('pf', t, n)
for e in json.load(open(sys.argv[2]))['traceEvents']:
    if e['ph'] == 'M' and e['name'] == 'thread_name':
        print('js', e['tid'], e['args']['name'])
h = open(sys.argv[3]).read()
h = h[h.index('id="ctrace-data">') + 17:]
for t in json.loads(h[:h.index('</script>')])['threads']:
    print('ht', t['tid'], t['label'])
PY
}

@test "names: every thread of the demo's programs is named in Perfetto, JSON and html" {
	asan_skip "pthread_create's start routines"
	EX="$CTRACE_BUILD/examples"
	"$EX/findtopic" gen -d docs -n 20 -s 2000 > /dev/null
	record 1.trace "$EX/mandelbrot" -m seq -w 128 -h 128 -o a.png
	record 2.trace "$EX/mandelbrot" -m workers -n 2 -w 128 -h 128 -o b.png
	record 3.trace "$EX/findtopic" find -d docs -v find
	record 4.trace "$EX/findtopic" find -d docs -v tasks
	record 5.trace "$FIX/tl-workers" 4
	for t in 1 2 3 4 5; do
		names $t.trace > n
		n=$(tids $t.trace | wc -l)
		for o in pf js ht; do
			# one name per thread with events, none a placeholder
			assert_equal "$(awk -v o=$o '$1 == o { print $2 }' n | sort)" "$(tids $t.trace)"
			assert_equal "$(awk -v o=$o '$1 == o && NF > 2 && $3 != "thread" && $3 != "pid"' n | wc -l)" "$n"
		done
		# all three say the same
		assert_equal "$(sed -n 's/^js //p' n | sort)" "$(sed -n 's/^pf //p' n | sort)"
		assert_equal "$(sed -n 's/^ht //p' n | sort)" "$(sed -n 's/^pf //p' n | sort)"
	done
	# what they are called: the program, its start routine, the name
	# it gave the thread
	grep -q '^pf [0-9]* pool_worker$' <(names 2.trace)
	assert_equal "$(names 5.trace | grep -c '^ht [0-9]* worker-[0-3]$')" 4
	assert_equal "$(names 1.trace | grep -c '^js [0-9]* mandelbrot$')" 1
}

@test "lifetimes: html, JSON and threads agree for every thread, in ns" {
	record t.trace "$EX_MANDEL" -m workers -n 2 -w 128 -h 128 -o b.png
	"$CTRACE" html -o t.html t.trace
	"$CTRACE" export --format json -o t.json t.trace
	python3 - t.html t.json > lives <<'PY'
import json, sys, collections
h = open(sys.argv[1]).read()
h = h[h.index('id="ctrace-data">') + 17:]
for t in json.loads(h[:h.index('</script>')])['threads']:
    print('ht', t['tid'], t['life'])
# JSON: a thread's slices (blocked and residue) cover its lifetime
lo, hi = {}, collections.defaultdict(int)
for e in json.load(open(sys.argv[2]))['traceEvents']:
    if e['ph'] == 'X':
        a, b = round(e['ts'] * 1000), round((e['ts'] + e['dur']) * 1000)
        lo[e['tid']] = min(lo.get(e['tid'], a), a)
        hi[e['tid']] = max(hi[e['tid']], b)
for t in lo:
    print('js', t, hi[t] - lo[t])
PY
	assert_equal "$(grep -c '^ht ' lives)" 3
	assert_equal "$(sed -n 's/^ht //p' lives | sort)" "$(sed -n 's/^js //p' lives | sort)"
	assert_equal "$(sed -n 's/^ht //p' lives | secs | sort)" "$(lifetimes t.trace)"
}

@test "export: bad input and usage" {
	run "$CTRACE" export a.trace b.trace
	assert_failure 2
	run "$CTRACE" export --format svg x.trace
	assert_failure 2
	assert_output --partial "unknown format 'svg'"
	run "$CTRACE" export nothing.trace
	assert_failure 3
	[ ! -e nothing.trace.pftrace ]
	echo garbage > bad.trace
	run "$CTRACE" export bad.trace
	assert_failure 4
	run "$CTRACE" export -o /nonexistent/dir/x.pb "$BATS_TEST_DIRNAME/../../README.md"
	assert_failure 4
	record w.trace "$FIX/tl-workers" 1
	run "$CTRACE" export -o /nonexistent/dir/x.pb w.trace
	assert_failure 6
}
