#!/usr/bin/env bats
# traces of earlier format versions (tests/golden/) still read, whole

load helpers

GOLD="$CTRACE_TOP/tests/golden"

# counts TRACE: "name count" per event or record name that dump prints
counts() {
	"$CTRACE" dump "$1" | awk '{ print $4 }' | sort | uniq -c |
		awk '{ print $2, $1 }'
}

check_golden() {	# check_golden VERSION MINOR
	run "$CTRACE" info "$GOLD/$1.trace"
	assert_success
	assert_line "format: version $2, features stacks"
	assert_line "integrity: clean (end record read)"
	assert_line --regexp ", unknown \(skipped\) 0$"
	assert_equal "$(counts "$GOLD/$1.trace")" "$(cat "$GOLD/$1.counts")"
	for cmd in report threads "profile cpu" "profile heap" \
		   "profile sync" "profile io" "profile wakeup" "profile leaks" \
		   "profile sync --format pprof -o x.pb.gz" \
		   "export --format json -o x.json" \
		   "export --format perfetto -o x.pb" "html -o x.html"; do
		run "$CTRACE" $cmd "$GOLD/$1.trace"
		[ "$status" = 0 ] || { echo "$cmd: status $status"; return 1; }
	done
}

@test "a format 1.0 trace reads whole, and every analysis takes it" {
	check_golden v1.0 1.0
	assert_equal "$(grep -c '' "$GOLD/v1.0.counts")" 20
}

@test "a format 1.3 trace reads whole, UNTRACED and DATA included" {
	check_golden v1.3 1.3
	run "$CTRACE" info "$GOLD/v1.3.trace"
	assert_line --regexp "^  [0-9]+ \(exec\) \./stbin: statically linked"
	assert_line --regexp "data 3, untraced 1, schema 0, unknown"
}

@test "a format 1.7 trace: its unfinished events, without holder, read whole" {
	check_golden v1.7 1.7
	# six fields each, the seventh (holder, minor 8) read as 0; the
	# rest of the batch still reads
	run sh -c "'$CTRACE' dump '$GOLD/v1.7.trace' | awk '\$4 == \"unfinished\"' | cut -d' ' -f4-"
	assert_output "unfinished dur=99736170 type=88 obj=0x0 fd=-1 call=nanosleep stack=sleeper+0x22(cpu-split.c:127) holder=0
unfinished dur=100149804 type=16 obj=0x555b8136d0a0 fd=-1 call=- stack=locker+0x10(cpu-split.c:119) holder=0"
	run "$CTRACE" report "$GOLD/v1.7.trace"
	assert_line --regexp "^  pid [0-9]+ +0x555b8136d0a0 +held +mutex_block +0\.100149 s in 1 wait \[1 unfinished\]$"
}

@test "a format 1.8 trace, the last with plain addresses, dumps as 1.8 did" {
	check_golden v1.8 1.8
	# every address as the 1.8 reader printed it (format 2 reads
	# addresses against the batch's slots, format 1 as they are)
	run sh -c "'$CTRACE' dump '$GOLD/v1.8.trace' | diff - '$GOLD/v1.8.dump'"
	assert_success
	assert_output ""
}

@test "a format 2.0 trace, the last without repeats, dumps as 2.0 did" {
	check_golden v2.0 2.0
	run sh -c "'$CTRACE' dump '$GOLD/v2.0.trace' | diff - '$GOLD/v2.0.dump'"
	assert_success
	assert_output ""
	run "$CTRACE" info "$GOLD/v2.0.trace"
	refute_line --partial "repeats:"
}

@test "a format 2.2 trace, the last without io repeats, dumps as 2.2 did" {
	check_golden v2.2 2.2
	run sh -c "'$CTRACE' dump '$GOLD/v2.2.trace' | diff - '$GOLD/v2.2.dump'"
	assert_success
	assert_output ""
	run "$CTRACE" info "$GOLD/v2.2.trace"
	assert_line --regexp "^repeats: 213 events .* \(alloc 139, free 74\)$"
}

@test "a later version's events and fields are passed by its schema" {
	GEN="$CTRACE_BUILD/bench/gen-trace"
	# sleep with a sixth field, three events of a code this version
	# lacks, sleep again: both sleeps read exactly, the three skipped
	"$GEN" -F f.trace
	run "$CTRACE" info f.trace
	assert_success
	assert_line "integrity: clean (end record read)"
	assert_line "skipped: 3 events of codes this reader does not know (passed by the file's schema)"
	assert_line "  matches what was read"
	assert_equal "$("$CTRACE" dump f.trace | awk '$4 == "sleep"' | cut -d' ' -f4-8)" \
"sleep dur=5000000 req=5000000 result=0 call=usleep
sleep dur=5000000 req=5000000 result=0 call=usleep"
	# the skipped fields' addresses were followed: the allocs after
	# them name theirs by the slots those filled
	assert_equal "$("$CTRACE" dump f.trace | awk '$4 == "alloc"' | cut -d' ' -f4-5)" \
"alloc addr=0x55550000100a
alloc addr=0x7f0000001000"
	# without the schema the rest of that batch cannot be read
	"$GEN" -F -N n.trace
	run "$CTRACE" info n.trace
	assert_failure 5
	assert_output --partial "event 1 of 7: unknown event type"
}

@test "every trace the collector writes begins with its schema" {
	record t.trace "$FIX/mutex8"
	assert_success
	run "$CTRACE" info t.trace
	assert_line --regexp ", schema 1, unknown \(skipped\) 0$"
}
