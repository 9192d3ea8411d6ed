#!/usr/bin/env bats
# export and html at a resolution: short slices aggregated per bucket with
# exact figures, counters keeping each bucket's extremes (timeline.h)

load helpers

PROTO="$CTRACE_TOP/analyzer/proto/perfetto_trace.proto"
GEN="$CTRACE_BUILD/bench/gen-trace"

# jsum JSON: per thread and state "n TID STATE COUNT" and "ns TID STATE
# NS" over the slices drawn one by one and the aggregates, then
# "aggregates N", "overlaps N" (slices of a thread that overlap without
# nesting) and "note TEXT" (otherData's resolution, "-" if none)
jsum() {
	python3 - "$1" <<'PY'
import json, sys, collections
d = json.load(open(sys.argv[1]))
ST = ['running', 'runnable', 'sync', 'io', 'wait', 'sleep', 'join', 'unknown']
n, ns, agg = collections.Counter(), collections.Counter(), 0
rows = collections.defaultdict(list)
for e in d['traceEvents']:
    if e['ph'] != 'X' or e['name'] in ('wake', 'woken', 'thread_create', 'thread_start'):
        continue
    a, b = round(e['ts'] * 1000), round((e['ts'] + e['dur']) * 1000)
    rows[e['tid']].append((a, b))
    if e['name'].endswith(' short slices'):
        agg += 1
        assert e['args']['count'] == sum(e['args'].get(s + '_n', 0) for s in ST)
        assert e['args']['total_ns'] == sum(e['args'].get(s + '_ns', 0) for s in ST)
        for s in ST:
            n[(e['tid'], s)] += e['args'].get(s + '_n', 0)
            ns[(e['tid'], s)] += e['args'].get(s + '_ns', 0)
    else:
        n[(e['tid'], e['cat'])] += 1
        ns[(e['tid'], e['cat'])] += b - a
bad = 0
for v in rows.values():
    v.sort(key=lambda r: (r[0], -r[1]))
    st = []
    for a, b in v:
        while st and st[-1] <= a:
            st.pop()
        if st and b > st[-1]:
            bad += 1
        st.append(b)
for (t, s), v in sorted(n.items()):
    if v:
        print('n', t, s, v)
for (t, s), v in sorted(ns.items()):
    if n[(t, s)]:
        print('ns', t, s, v)
print('aggregates', agg)
print('overlaps', bad)
print('note', d.get('otherData', {}).get('resolution', '-'))
PY
}

@test "json: a small trace is exact; --buckets aggregates short slices, exact by state" {
	"$GEN" -n 20000 -t 4 g.trace >/dev/null
	run "$CTRACE" export --format json -o auto.json g.trace
	assert_success
	jsum auto.json > auto.sum
	grep -qx 'aggregates 0' auto.sum
	grep -qx 'note -' auto.sum
	"$CTRACE" export --format json --buckets 0 -o exact.json g.trace
	"$CTRACE" export --format json --buckets 40 -o b40.json g.trace
	jsum exact.json > exact.sum
	jsum b40.json > b40.sum
	cmp auto.sum exact.sum
	grep -qx 'overlaps 0' exact.sum
	grep -qx 'overlaps 0' b40.sum
	# counts and ns by thread and state are those of the exact export
	diff <(grep '^ns\? ' exact.sum) <(grep '^ns\? ' b40.sum)
	# and nearly all of the 20000 events' slices are in aggregates
	n=$(sed -n 's/^aggregates //p' b40.sum)
	[ "$n" -gt 10 ]
	[ "$(grep -c '"ph":"X"' b40.json)" -lt "$(grep -c '"ph":"X"' exact.json)" ]
	grep -q '^note .*(40 buckets over the trace)' b40.sum
}

@test "json: aggregated slices sum to the per-thread times of ctrace threads" {
	"$GEN" -n 20000 -t 4 g.trace >/dev/null
	"$CTRACE" export --format json --buckets 25 -o b.json g.trace
	"$CTRACE" threads --per-thread g.trace > threads.txt
	jsum b.json > b.sum
	# threads' per-thread rows end in 8 states' (seconds, %)
	run python3 - threads.txt b.sum <<'PY'
import sys
ST = ['running', 'runnable', 'sync', 'io', 'wait', 'sleep', 'join', 'unknown']
want, got, rows = {}, {}, 0
lines = open(sys.argv[1]).read().split('per thread:')[1].splitlines()
for l in lines:
    f = l.split()
    if not f or not f[0].isdigit():
        continue
    rows += 1
    for k, s in enumerate(ST):
        want[(f[1], s)] = f[len(f) - 16 + 2 * k]
for l in open(sys.argv[2]):
    f = l.split()
    if f[0] == 'ns':
        v = int(f[3])	# threads prints seconds cut to us
        got[(f[1], f[2])] = '%d.%06d' % (v // 10**9, v % 10**9 // 1000)
print('rows', rows)
print('equal', all(got.get(k, '0.000000') == v for k, v in want.items()),
      set(got) <= set(want))
PY
	echo "$output"
	assert_line "rows 5"
	assert_line "equal True True"
	grep -q ' short slices"' b.json
}

@test "counters: each bucket keeps the true minimum, maximum and last (a 1 MiB spike)" {
	asan_skip "its heap calls"
	record h.trace "$FIX/heap-peak"
	assert_success
	"$CTRACE" export --format json --buckets 0 -o exact.json h.trace
	"$CTRACE" export --format json --buckets 10 -o b10.json h.trace
	run python3 - exact.json b10.json <<'PY'
import json, sys
ex, bk = (json.load(open(p)) for p in sys.argv[1:3])
w = bk['otherData']['bucket_ns'] / 1000.0
b0 = bk['otherData']['bucket_start']
def series(d):
    return [(e['ts'], e['args']['value']) for e in d['traceEvents']
            if e['ph'] == 'C' and e['name'] == 'live heap bytes']
def buckets(pts):
    out = {}
    for ts, v in pts:
        b = max(0, int((ts - b0) // w))
        lo, hi, _ = out.get(b, (v, v, v))
        out[b] = (min(lo, v), max(hi, v), v)
    return out
e, b = series(ex), series(bk)
# a ns can hold several points (the values a ns passed through): each
# kept point must be one of the exact ones, time and value
exact = set(e)
print('exact_points', len(e) > 2000)
print('kept_points', len(b) <= 3 * 11)
print('points_true', all((ts, v) in exact for ts, v in b))
print('buckets_equal', buckets(e) == buckets(b))
print('peak', int(max(v for _, v in b)) >= 1 << 20,
      max(v for _, v in b) == max(v for _, v in e))
PY
	echo "$output"
	assert_success
	assert_line "exact_points True"
	assert_line "kept_points True"
	assert_line "points_true True"
	assert_line "buckets_equal True"
	assert_line "peak True True"
}

@test "perfetto: aggregates decode with protoc, nest, and count every slice" {
	command -v protoc >/dev/null || skip "protoc (protobuf-compiler) is not installed"
	"$GEN" -n 20000 -t 4 g.trace >/dev/null
	"$CTRACE" export --buckets 0 -o exact.pftrace g.trace
	"$CTRACE" export --buckets 40 -o b40.pftrace g.trace
	for f in exact b40; do
		protoc --proto_path="$(dirname "$PROTO")" \
			--decode=perfetto.protos.Trace "$PROTO" < $f.pftrace > $f.txt
	done
	run python3 - exact.txt b40.txt <<'PY'
import re, sys
def summ(p):
    t = open(p).read()
    begins = len(re.findall(r'type: TYPE_SLICE_BEGIN', t))
    ends = len(re.findall(r'type: TYPE_SLICE_END', t))
    aggs = re.findall(r'name: "(\d+) short slices"', t)
    return begins, ends, aggs, 'name: "resolution"' in t
eb, ee, ea, en = summ(sys.argv[1])
bb, be, ba, bn = summ(sys.argv[2])
print('balanced', eb == ee, bb == be)
print('aggregates', len(ea) == 0, len(ba) > 10)
# every slice of the exact export is drawn or in an aggregate
print('slices', eb == bb - len(ba) + sum(int(n) for n in ba))
print('note', en, bn)
PY
	echo "$output"
	assert_success
	assert_line "balanced True True"
	assert_line "aggregates True True"
	assert_line "slices True"
	assert_line "note False True"
}

@test "html: the page holds the aggregates, exact, and says so" {
	"$GEN" -n 20000 -t 4 g.trace >/dev/null
	"$CTRACE" html --buckets 0 -o exact.html g.trace
	"$CTRACE" html --buckets 40 -o b40.html g.trace
	run python3 - exact.html b40.html <<'PY'
import json, re, sys
def data(p):
    t = open(p).read()
    m = re.search(r'<script type="application/json" id="ctrace-data">(.*?)</script>', t, re.S)
    return json.loads(m.group(1))
ex, bk = data(sys.argv[1]), data(sys.argv[2])
def per_state(d):
    out = {}
    for t in d['threads']:
        n, ns = [0] * d['nstates'], [0] * d['nstates']
        for v in t['iv'] + t['rs']:
            n[v[2]] += 1
            ns[v[2]] += v[1]
        for b in t['bk']:
            for s in range(d['nstates']):
                n[s] += b[5][s]
                ns[s] += b[6][s]
        out[t['tid']] = (n, ns)
    return out
print('bucket', ex['bucket'] == 0, bk['bucket'] > 0)
print('aggregates', sum(len(t['bk']) for t in ex['threads']) == 0,
      sum(len(t['bk']) for t in bk['threads']) > 10)
print('exact', per_state(ex) == per_state(bk))
print('fewer', sum(len(t['iv']) for t in bk['threads']) < sum(len(t['iv']) for t in ex['threads']))
PY
	echo "$output"
	assert_success
	assert_line "bucket True True"
	assert_line "aggregates True True"
	assert_line "exact True"
	assert_line "fewer True"
	# and it renders (031-html.bats installs what drives chromium)
	[ -x "${CHROMIUM:-/usr/bin/chromium}" ] &&
		[ -d "$CTRACE_TOP/tests/html/node_modules/playwright-core" ] ||
		skip "chromium or playwright-core is not there"
	# (its status also wants a stack to click: all of those are short)
	run node "$CTRACE_TOP/tests/html/check.js" b40.html
	echo "$output"
	assert_line "errors 0"
	assert_line "rows 5"
}

@test "--buckets: a count, and a file to read twice" {
	"$GEN" -n 2000 -t 2 g.trace >/dev/null
	run "$CTRACE" export --buckets x -o o.json g.trace
	assert_failure 2
	assert_output --partial "--buckets wants a count"
	run "$CTRACE" html --buckets -o o.html g.trace
	assert_failure 2
	run sh -c '"$1" export --format json --buckets 10 -o o.json - < "$2"' sh \
		"$CTRACE" g.trace
	assert_failure 2
	assert_output --partial "needs a trace file"
	# stdin without --buckets: drawn exactly
	run sh -c '"$1" export --format json -o o.json - < "$2"' sh "$CTRACE" g.trace
	assert_success
}

@test "counters: an allocation freed in the same ns still reaches the live heap's points" {
	# the preload's TSC clock can read one ns twice; forged here: a
	# 1 MiB block allocated and freed at one timestamp, between small
	# ones.  Before, the counter kept only the last value of a ns and
	# the 1 MiB never appeared (peak 100, not 1048676).
	eval "$("$CTRACE" collect --daemon -o "$T/c.trace" -s "$T/sock")"
	unset LD_PRELOAD
	python3 - "$T/sock" <<'PY'
import os, sys, time
sys.path.insert(0, os.environ["CTRACE_TOP"] + "/tests/e2e")
from ctwire import uvar, msg, hello, conn, events, Addrs

ad = Addrs()
def alloc(dt, addr, size):	# ALLOC 96: addr size call stack (no frames)
    return bytes([96]) + uvar(dt) + ad.put(addr) + uvar(size) + uvar(0) + uvar(0)
def free(dt, addr):		# FREE 97: addr call
    return bytes([97]) + uvar(dt) + ad.put(addr) + uvar(0)
ev = [alloc(0, 0x1000, 100), alloc(1000, 0x200000, 1 << 20),
      free(0, 0x200000), free(1000, 0x1000)]
s = conn(sys.argv[1])
s.send(hello())
s.send(events(ev, listed=[(0, None), (1, None)], dur=2000))
s.send(msg(4, uvar(time.monotonic_ns()) + uvar(0) + uvar(0)))
s.close()
PY
	stop_daemon
	"$CTRACE" export --format json --buckets 0 -o e.json "$T/c.trace"
	"$CTRACE" export --format json --buckets 1 -o b.json "$T/c.trace"
	run python3 -c '
import json, sys
def pts(p):
    return [(e["ts"], e["args"]["value"]) for e in json.load(open(p))["traceEvents"]
            if e["ph"] == "C" and e["name"] == "live heap bytes"]
e, b = pts(sys.argv[1]), pts(sys.argv[2])
print("peak", int(max(v for _, v in e)), "last", int(e[-1][1]))
print("bucket peak", int(max(v for _, v in b)), set(b) <= set(e))' e.json b.json
	assert_line "peak 1048676 last 0"
	assert_line "bucket peak 1048676 True"
}
