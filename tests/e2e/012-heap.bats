#!/usr/bin/env bats
# heap family: every allocator entry point, exact counts and leaks,
# sampling, deeper stacks, real programs

load helpers

# heap_stats TRACE: what the dump shows between the fixture's markers, in
# the fixture's own output format, plus badstack=<allocations without a
# call site>.  A stack prints as 0x<callsite> or, symbolized, as
# function+0xoff(file:line), followed by +N when N more frames follow;
# `call` is the libc entry point's name.
heap_stats() {
	"$CTRACE" dump "$1" | awk '
	function v(k,   i) {
		for (i = 5; i <= NF; i++)
			if (index($i, k "=") == 1)
				return substr($i, length(k) + 2)
		return ""
	}
	$4 == "alloc" && v("size") == 999999 { on = 1; skip = v("addr"); next }
	$4 == "alloc" && v("size") == 999998 { on = 0; next }
	!on { next }
	$4 == "free" && v("addr") == skip { next }
	$4 == "alloc" {
		n[v("call")]++
		a = v("addr"); s = v("size")
		if (a != "0x0") { live[a] = s; bytes += s }
		st = v("stack")
		if (st == "" || st ~ /^0x0($|\+)/) badstack++
	}
	$4 == "realloc" {
		n["realloc"]++
		a = v("addr"); o = v("old"); s = v("size")
		if (o != "0x0" && (a != "0x0" || s == 0)) delete live[o]
		if (a != "0x0") { live[a] = s; bytes += s }
		st = v("stack")
		if (st == "" || st ~ /^0x0($|\+)/) badstack++
	}
	$4 == "free" { n["free"]++; delete live[v("addr")] }
	END {
		for (a in live) leaked += live[a]
		printf "malloc=%d calloc=%d realloc=%d posix_memalign=%d aligned_alloc=%d memalign=%d valloc=%d pvalloc=%d free=%d\n",
			n["malloc"], n["calloc"], n["realloc"], n["posix_memalign"],
			n["aligned_alloc"], n["memalign"], n["valloc"], n["pvalloc"],
			n["free"]
		printf "bytes=%d leaked=%d\n", bytes, leaked
		printf "badstack=%d\n", badstack
	}'
}

# deep_stacks TRACE N: allocations whose stack has N or more frames after
# the call site
deep_stacks() {
	"$CTRACE" dump "$1" | awk -v min="$2" '$4 == "alloc" {
		for (i = 5; i <= NF; i++)
			if ($i ~ /^stack=/ && match($i, /\+[0-9]+$/) &&
			    substr($i, RSTART + 1) + 0 >= min)
				n++
	} END { print n + 0 }'
}

@test "every allocator entry point: exact counts, bytes and leaks" {
	asan_skip "its heap calls"
	ref=$("$FIX/heap-churn")
	record t.trace "$FIX/heap-churn"
	assert_success
	assert_output "$ref"
	run heap_stats t.trace
	assert_output "$ref
badstack=0"
	# the counts are the ones the fixture is built around
	assert_line "malloc=3010 calloc=1000 realloc=4010 posix_memalign=1000 aligned_alloc=1000 memalign=1000 valloc=500 pvalloc=500 free=9900"
}

@test "allocation call sites name the fixture's functions" {
	asan_skip "its heap calls"
	record t.trace "$FIX/heap-churn"
	assert_success
	"$CTRACE" dump t.trace > d
	[ "$(awk '$4 == "alloc" || $4 == "realloc"' d | grep -c 'do_churn')" -ge 12000 ]
	[ "$(awk '$4 == "realloc"' d | grep -c 'do_extra')" -eq 10 ]
}

@test "the program's own free(NULL) and ctrace's memory are not recorded" {
	record t.trace "$FIX/heap-churn"
	assert_success
	[ "$("$CTRACE" dump t.trace | awk '$4 == "free" && / addr=0x0 /' | wc -l)" -eq 0 ]
	# nothing is lost to the guard: our own allocations pass unrecorded
	[ "$("$CTRACE" dump t.trace | awk '$4 == "lost"' | wc -l)" -eq 0 ]
}

@test "CTRACE_HEAP_SAMPLE=65536: few allocations, frees only of sampled ones" {
	asan_skip "its heap calls"
	ref=$("$FIX/heap-churn")
	CTRACE_HEAP_SAMPLE=65536 record t.trace "$FIX/heap-churn"
	assert_success
	assert_output "$ref"
	n=$(events t.trace alloc)
	[ "$n" -gt 10 ]
	[ "$n" -lt 1000 ]
	# every free names an address a recorded allocation returned
	run sh -c "'$CTRACE' dump t.trace | awk '
	function v(k,   i) {
		for (i = 5; i <= NF; i++)
			if (index(\$i, k \"=\") == 1)
				return substr(\$i, length(k) + 2)
	}
	\$4 == \"realloc\" { delete live[v(\"old\")] }
	\$4 == \"alloc\" || \$4 == \"realloc\" { live[v(\"addr\")] = 1 }
	\$4 == \"free\" { if (!(v(\"addr\") in live)) bad++; delete live[v(\"addr\")]; frees++ }
	END { print \"frees=\" (frees > 0) \" bad=\" bad + 0 }'"
	assert_output "frees=1 bad=0"
	# sampled allocations carry a deep stack by default
	[ "$(deep_stacks t.trace 2)" -gt 0 ]
}

@test "CTRACE_STACK_DEPTH=8: allocations carry their callers" {
	asan_skip "its heap calls"
	CTRACE_STACK_DEPTH=8 record t.trace "$FIX/heap-churn"
	assert_success
	# do_churn <- main <- libc start <- _start: at least 3 frames more
	[ "$(deep_stacks t.trace 3)" -ge 8000 ]
}

@test "4 threads of malloc/free pairs: exact counts" {
	asan_skip "its heap calls"
	record t.trace "$FIX/heap-threads"
	assert_success
	assert_output "pairs=80000"
	"$CTRACE" dump t.trace | awk '$4 == "thread_start" { t[$3] = 1 }
		$4 == "alloc" && ($3 in t) { a++ } $4 == "free" && ($3 in t) { f++ }
		END { print a, f }' > counts
	run cat counts
	assert_output "80000 80000"
}

@test "a loop's allocations: written as repeats, read back whole" {
	# 2000 malloc(100) from one line, each after a free, a spike from
	# another line in round 1000, one batch (no flush by time): all but
	# the first alloc and free and the two around the spike (and
	# stdio's buffer at the end) repeat the previous one's call and
	# stack in the file (format 2.1), and read back as what they are
	CTRACE_FLUSH_MS=60000 record t.trace "$FIX/heap-peak"
	assert_success
	assert_output "spike 1048576"
	run "$CTRACE" info t.trace
	assert_line "repeats: 3998 events written as repeats of their batch's previous one of their type (alloc 1998, free 2000)"
	assert_line "  alloc: 2002"
	run sh -c "'$CTRACE' dump t.trace | awk '\$4 == \"alloc\" { print \$6, \$7, \$8 }' | sort | uniq -c"
	assert_line --regexp "^ +2000 size=100 call=malloc stack=main\+0x[0-9a-f]+\(heap-peak\.c:23\)$"
	assert_line --regexp "^ +1 size=1048576 call=malloc stack=main\+0x[0-9a-f]+\(heap-peak\.c:25\)$"
	assert_equal "$("$CTRACE" dump t.trace | awk '$4 == "free" && $6 == "call=free"' | wc -l)" \
		"$(events t.trace free)"
}

@test "mmap and munmap: anonymous mappings with fd -1" {
	run python3 -c 'import mmap; m = mmap.mmap(-1, 1 << 20); m[0:5] = b"hello"; print(m[0:5].decode()); m.close()'
	ref=$output
	record t.trace python3 -c 'import mmap; m = mmap.mmap(-1, 1 << 20); m[0:5] = b"hello"; print(m[0:5].decode()); m.close()'
	assert_success
	assert_output "$ref"
	"$CTRACE" dump t.trace | awk '$4 == "mmap"' | grep -q 'size=1048576 .*fd=-1'
	"$CTRACE" dump t.trace | awk '$4 == "munmap"' | grep -q 'size=1048576 result=0'
}

@test "python3, allocation heavy: same output and status" {
	asan_skip "its heap calls"
	cat > work.py <<'PY'
import json, random
r = random.Random(7)
d = {}
for i in range(200000):
    d["k%d" % r.randrange(50000)] = [r.random() for _ in range(r.randrange(8))]
s = json.dumps(d, sort_keys=True)
print(len(d), len(s), sum(len(v) for v in d.values()))
PY
	same_run python3 work.py
	# small objects come from pymalloc's arenas: count what reaches malloc
	[ "$(events "$T/same.trace" alloc)" -gt 1000 ]
	[ "$(events "$T/same.trace" free)" -gt 1000 ]
	[ "$(events "$T/same.trace" mmap)" -gt 0 ]
}

@test "sqlite3: same output and status" {
	asan_skip "its heap calls"
	cat > q.sql <<'SQL'
CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
INSERT INTO t SELECT x, hex(randomblob(16)) || x FROM c;
CREATE INDEX tb ON t(b);
SELECT count(*), sum(a), count(DISTINCT substr(b, 1, 2)) FROM t;
SQL
	same_run sh -c 'rm -f db.sqlite; sqlite3 db.sqlite < q.sql'
	[ "$(events "$T/same.trace" alloc)" -gt 1000 ]
}

@test "xz -T2: same bytes, same status" {
	asan_skip "its heap calls"
	python3 -c '
import random
r = random.Random(3)
print("\n".join(" ".join("%x" % r.getrandbits(20) for _ in range(8)) for _ in range(120000)))' > data
	ref=$(xz -T2 -c data | sha256sum)
	run "$CTRACE" record -q -o t.trace -- sh -c 'xz -T2 -c data | sha256sum'
	assert_success
	assert_output "$ref"
	[ "$(events t.trace alloc)" -gt 10 ]
}
