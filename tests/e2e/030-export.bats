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

@test "json: parses, one thread_name per traced thread, same slices" {
	record w.trace "$FIX/tl-workers" 4
	run "$CTRACE" export --format json w.trace
	assert_success
	python3 - w.trace.json > js <<'PY'
import json, sys, collections
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
bad = 0
for l in spans.values():
    l.sort(key=lambda s: (s[0], -s[1]))
    st = []
    for s in l:
        while st and st[-1][1] <= s[0]:
            st.pop()
        bad += bool(st and s[1] > st[-1][1])
        st.append(s)
c['partial_overlaps'] = bad
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
