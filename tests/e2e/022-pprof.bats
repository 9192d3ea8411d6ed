#!/usr/bin/env bats
# ctrace profile --format pprof as go tool pprof reads it: mappings,
# names where the text output has them, labels, the blocking call as the
# leaf, sampled heaps scaled

load helpers

SRC="$CTRACE_TOP/tests/fixtures"

need_go() {
	command -v go >/dev/null || skip "go (golang-go) not installed"
}

# pprof ARGS...: go tool pprof with its state under $T
pprof() {
	HOME="$T" go tool pprof "$@"
}

# raw_sum FILE [ARGS]: the sum of the second value of the samples
# `go tool pprof -raw` prints (after ARGS' filters)
raw_sum() {
	local f=$1
	shift
	pprof "$@" -raw "$f" 2>/dev/null | awk '
		/^Samples:/ { on = 1; next }
		/^Locations/ { on = 0 }
		on && /^ +[0-9]+( +[0-9]+)+:/ { s += $2 }
		END { print s + 0 }'
}

# in_pprof FRAME: FRAME of the text output is a function in $output (of
# -traces): "module+0xoffset" as it is, "func+0xoffset" as func
in_pprof() {
	printf '%s\n' "$output" | grep -q -F -- "$1" && return 0
	printf '%s\n' "$output" | grep -q -x -- " *${1%+0x*}" && return 0
	echo "missing in pprof: $1"
	return 1
}

# text_frames: the frames of the text output in $output, one per line
text_frames() {
	printf '%s\n' "$output" | awk '
		/^top [0-9]+ of [0-9]+ stacks:/ { on = 1; next }
		/^contended objects/ { on = 0 }
		!on || /stack \(innermost/ || /^$/ { next }
		{ sub(/^ +[0-9.]+ +[0-9.]+% +[0-9]+  /, ""); sub(/^ +/, "")
		  sub(/  \[[0-9]+ unfinished\]$/, ""); sub(/ \(.*\)$/, "")
		  print }' | sort -u
}

@test "mappings: one per module, the program first; names as the text has them" {
	need_go
	command -v strip >/dev/null || skip "no strip"
	cp "$FIX/libsymblock.so" "$T/libstripped.so"
	strip "$T/libstripped.so"
	record t.trace "$FIX/sym-dlopen" "$T/libstripped.so"
	assert_success
	# pprof cannot read names from the library: all come from the trace
	rm "$T/libstripped.so"
	run "$CTRACE" profile sync t.trace
	assert_success
	# the static start routine is known only by module and offset
	mod=$(printf '%s\n' "$output" | grep -o -m1 'libstripped\.so+0x[0-9a-f]*')
	[ -n "$mod" ]
	frames=$(text_frames)
	echo "$frames"
	"$CTRACE" profile sync --format pprof -o s.pb.gz t.trace
	run pprof -raw s.pb.gz
	assert_success
	echo "$output"
	refute_output --partial "<unknown>"
	refute_output --partial "Main binary filename not available"
	# mapping 1 is the program, with its build id in hex
	id=$(readelf -n "$FIX/sym-dlopen" | awk '/Build ID/ { print $3 }')
	[ -n "$id" ]
	assert_line --regexp "^1: 0x[0-9a-f]+/0x[0-9a-f]+/0x0 $FIX/sym-dlopen $id( |$)"
	assert_line --regexp "^[0-9]+: 0x[0-9a-f]+/0x[0-9a-f]+/0x0 $T/libstripped.so [0-9a-f]+ *$"
	# every Location is in a mapping, but the call's
	n=$(printf '%s\n' "$output" | awk '/^Locations/ { on = 1; next }
		/^Mappings/ { on = 0 } on && !/ M=[0-9]+ / && !/ 0x0 pthread_mutex_lock / { print }' | wc -l)
	[ "$n" -eq 0 ]
	# every frame of the text output is a function go tool pprof shows
	run pprof -traces s.pb.gz
	assert_success
	refute_output --partial "<unknown>"
	assert_output --partial "$mod"
	while read -r f; do
		in_pprof "$f"
	done <<< "$frames"
}

@test "xz -T2 -3: real mappings, no <unknown> where the text names liblzma" {
	need_go
	command -v xz >/dev/null || skip "xz not installed"
	head -c 10000000 /dev/urandom | base64 > data
	record t.trace sh -c 'xz -T2 -3 -c data > data.xz'
	assert_success
	xz -d -c data.xz | cmp - data
	run "$CTRACE" profile sync t.trace
	assert_success
	frames=$(text_frames)
	echo "$frames"
	printf '%s\n' "$frames" | grep -q '^liblzma\.so[.0-9]*+0x'
	"$CTRACE" profile sync --format pprof -o s.pb.gz t.trace
	run pprof -raw s.pb.gz
	assert_success
	refute_output --partial "<unknown>"
	refute_output --partial "Main binary filename not available"
	xz=$(readlink -f "$(command -v xz)")
	assert_line --regexp "^1: 0x[0-9a-f]+/0x[0-9a-f]+/0x0 $xz [0-9a-f]+"
	assert_line --regexp "^[0-9]+: 0x[0-9a-f]+/0x[0-9a-f]+/0x0 [^ ]*/liblzma\.so[.0-9]* [0-9a-f]+"
	run pprof -traces s.pb.gz
	refute_output --partial "<unknown>"
	while read -r f; do
		in_pprof "$f"
	done <<< "$frames"
}

# tid_sums TRACE PROFILE MIN: per thread, the ns of its mutex and condvar
# blocks in the dump equal the profile's -tagfocus=tid=TID total; at least
# MIN threads blocked, and the totals add up to the whole profile's
tid_sums() {
	"$CTRACE" dump "$1" | awk '$4 == "mutex_block" || $4 == "cond_wait" {
		for (i = 5; i <= NF; i++) if ($i ~ /^dur=/) s[$3] += substr($i, 5) }
		END { for (t in s) print t, s[t] }' > bytid
	cat bytid
	[ "$(wc -l < bytid)" -ge "$3" ]
	while read -r tid ns; do
		got=$(raw_sum "$2" -tagfocus=tid="$tid")
		echo "tid $tid: dump $ns pprof $got"
		[ "$got" -eq "$ns" ]
	done < bytid
	all=$(awk '{ s += $2 } END { print s }' bytid)
	[ "$(raw_sum "$2")" -eq "$all" ]
}

@test "labels: -tags lists pid, tid, call, object; -tagfocus=tid gives that thread's total" {
	need_go
	record t.trace "$FIX/ana-block200"
	assert_success
	"$CTRACE" profile sync --format pprof -o s.pb.gz t.trace
	run pprof -tags s.pb.gz
	assert_success
	echo "$output"
	assert_output --regexp "(^|
) *call: Total"
	assert_output --regexp "(^|
) *object: Total"
	assert_output --regexp "(^|
) *pid: Total"
	assert_output --regexp "(^|
) *tid: Total"
	assert_output --regexp ": pthread_mutex_lock"
	# every thread's sync blocks, from the dump, against the filtered
	# profile: exact nanoseconds (main waits for the holder only when
	# the holder is not ready first: one blocked thread or two)
	tid_sums t.trace s.pb.gz 1
	# two players blocking in turn: each one's share, filtered apart
	record p.trace "$FIX/tl-workers" pingpong 50
	assert_success
	"$CTRACE" profile sync --format pprof -o p.pb.gz p.trace
	tid_sums p.trace p.pb.gz 2
	# and by call: the lock's time alone
	lock=$("$CTRACE" dump t.trace | awk '$4 == "mutex_block" {
		for (i = 5; i <= NF; i++) if ($i ~ /^dur=/) s += substr($i, 5) }
		END { print s }')
	[ "$(raw_sum s.pb.gz -tagfocus=call=pthread_mutex_lock)" -eq "$lock" ]
}

@test "the blocking call is the leaf: a mutex wait and a condvar wait on one line differ" {
	record t.trace "$FIX/lockwait-line"
	assert_success
	ln=$(grep -n -m1 -F 'pthread_mutex_lock(&m); in = 1;' "$SRC/lockwait-line.c" | cut -d: -f1)
	run "$CTRACE" profile sync t.trace
	assert_success
	echo "$output"
	assert_output --partial "top 20 of 2 stacks:"
	assert_output --regexp "[0-9.]+% +1  pthread_mutex_lock
 +wait_go \(lockwait-line.c:$ln\)"
	assert_output --regexp "[0-9.]+% +1  pthread_cond_wait
 +wait_go \(lockwait-line.c:$ln\)"
	run "$CTRACE" profile sync --format folded t.trace
	assert_success
	assert_output --regexp "(^|;)waiter;wait_go;pthread_mutex_lock [0-9]+($|
)"
	assert_output --regexp "(^|;)waiter;wait_go;pthread_cond_wait [0-9]+($|
)"
	need_go
	"$CTRACE" profile sync --format pprof -o s.pb.gz t.trace
	run pprof -traces s.pb.gz
	assert_success
	echo "$output"
	assert_output --regexp "[0-9.]+[^ ]*s +pthread_mutex_lock
 +wait_go
 +waiter"
	assert_output --regexp "[0-9.]+[^ ]*s +pthread_cond_wait
 +wait_go
 +waiter"
	run pprof -top s.pb.gz
	assert_success
	assert_output --regexp "% +[0-9.]+[^ ]*s +[0-9.]+% +pthread_mutex_lock *(
|$)"
	assert_output --regexp "% +[0-9.]+[^ ]*s +[0-9.]+% +pthread_cond_wait *(
|$)"
}

@test "a sleep's stack ends in the libc call: nanosleep" {
	record t.trace "$FIX/cpu-split" unfinished
	assert_success
	run "$CTRACE" profile sleep --format folded t.trace
	assert_success
	# a stack of its own line: the unfinished sleep has its call site
	# only, and either line may come first
	assert_output --regexp "(^|;|
)sleeper;nanosleep [0-9]+($|
)"
}

# heap_total SAMPLE: record the fixture at CTRACE_HEAP_SAMPLE=SAMPLE, check
# text and pprof totals are within 10% of the exact bytes, print them
heap_total() {
	CTRACE_HEAP_SAMPLE=$1 record h$1.trace "$FIX/heap-sampled"
	assert_success
	exact=${output##*bytes=}
	[ "$exact" -eq 921609639 ]
	run "$CTRACE" profile heap h$1.trace
	assert_success
	assert_output --partial "sampled every $1 bytes (scaled): "
	text=$(printf '%s\n' "$output" | grep 'churn_alloc (heap-sampled.c' |
		awk '{ print $1 }')
	echo "rate $1: exact $exact text $text"
	awk -v a="$text" -v e="$exact" 'BEGIN { d = a / e - 1; exit !(d < 0.1 && d > -0.1) }'
	# report's heap line is the same estimate, and says so
	run "$CTRACE" report h$1.trace
	assert_output --partial "  sampled every $1 bytes (scaled)"
	rep=$(printf '%s\n' "$output" | sed -n 's/^heap: .* live; \([0-9]*\) bytes in .*/\1/p')
	awk -v a="$rep" -v e="$exact" 'BEGIN { d = a / e - 1; exit !(d < 0.1 && d > -0.1) }'
	command -v go >/dev/null || return 0
	"$CTRACE" profile heap --format pprof -o h$1.pb.gz h$1.trace
	run pprof -sample_index=alloc_space -unit=B -top h$1.pb.gz
	assert_success
	echo "$output"
	assert_output --partial "Type: alloc_space"
	go_total=$(printf '%s\n' "$output" | sed -n 's/.*Total samples = \([0-9]*\)B.*/\1/p')
	echo "rate $1: go tool pprof $go_total"
	awk -v a="$go_total" -v e="$exact" 'BEGIN { d = a / e - 1; exit !(d < 0.1 && d > -0.1) }'
	# the rate is the period, as in Go's heap profiles
	run pprof -raw h$1.pb.gz
	assert_line "Period: $1"
	assert_line "PeriodType: space bytes"
	run pprof -comments h$1.pb.gz
	assert_output "sampled every $1 bytes (scaled)"
}

@test "CTRACE_HEAP_SAMPLE=4096: the sampled heap is scaled to within 10%" {
	asan_skip "its heap calls"
	heap_total 4096
}

@test "CTRACE_HEAP_SAMPLE=65536: the sampled heap is scaled to within 10%" {
	asan_skip "its heap calls"
	heap_total 65536
}

@test "an exact heap says so: every allocation, one-frame stacks, period 1" {
	asan_skip "its heap calls"
	record t.trace "$FIX/heap-sampled"
	assert_success
	run "$CTRACE" profile heap t.trace
	assert_success
	refute_output --partial "sampled every"
	assert_output --partial "stacks: 1 frame (record with CTRACE_STACK_DEPTH for deeper ones)"
	assert_output --regexp "(^| )921609639 +[0-9.]+% +50000  churn_alloc \(heap-sampled.c:[0-9]+\)"
	CTRACE_STACK_DEPTH=4 record d.trace "$FIX/heap-sampled"
	run "$CTRACE" profile heap d.trace
	refute_output --partial "stacks: 1 frame"
	command -v go >/dev/null || return 0
	"$CTRACE" profile heap --format pprof -o h.pb.gz t.trace
	run pprof -raw h.pb.gz
	assert_line "Period: 1"
	run pprof -comments h.pb.gz
	assert_output "stacks: 1 frame (record with CTRACE_STACK_DEPTH for deeper ones)"
	[ "$(raw_sum h.pb.gz -sample_index=alloc_space)" -ge 921609639 ]
}

@test "a sampled heap's timelines: scaled, and named so in html, JSON and Perfetto" {
	asan_skip "its heap calls"
	CTRACE_HEAP_SAMPLE=65536 record h.trace "$FIX/heap-sampled"
	assert_success
	"$CTRACE" html -o h.html h.trace
	# the heap flame graph's bytes are scaled like the text profile's
	total=$(grep -o '"heap":\[\[[0-9]*,[0-9]*\]' h.html | sed 's/.*,//; s/]//')
	echo "html heap flame total $total"
	awk -v a="$total" 'BEGIN { d = a / 921609639 - 1; exit !(d < 0.1 && d > -0.1) }'
	grep -q '"heap_sampling":"sampled every 65536 bytes (scaled)"' h.html
	label='live heap bytes, sampled every 65536 bytes (scaled)'
	grep -q "\"counters\":\[\"on-CPU threads\",\"$label\"\]" h.html
	"$CTRACE" export --format json -o h.json h.trace
	grep -q "\"name\":\"$label\"" h.json
	! grep -q '"name":"live heap bytes"' h.json
	"$CTRACE" export -o h.perfetto h.trace
	grep -aq "$label" h.perfetto
	# exact heaps keep the plain name
	record e.trace "$FIX/heap-sampled"
	"$CTRACE" export --format json -o e.json e.trace
	grep -q '"name":"live heap bytes"' e.json
}

@test "pprof: one trace gives the same bytes on every run, samples in a full order" {
	# samples equal in value (labels keep threads apart) were ordered by
	# their place in a table whose keys hold addresses of static
	# strings: with address randomization (the default) each run differed
	"$CTRACE_BUILD/bench/gen-trace" -n 100000 -t 8 g.trace >/dev/null
	for i in 1 2 3 4; do
		"$CTRACE" profile sync --format pprof -o p$i.pb.gz g.trace
	done
	cmp p1.pb.gz p2.pb.gz
	cmp p1.pb.gz p3.pb.gz
	cmp p1.pb.gz p4.pb.gz
}
