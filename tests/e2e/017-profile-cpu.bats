#!/usr/bin/env bats
# ctrace profile cpu: CPU samples by stack in text, pprof and folded form,
# checked by protoc and go tool pprof; calls blocked at exit in the
# blocking profiles

load helpers

PROTO_DIR="$CTRACE_TOP/analyzer/proto"

# flat_pct FUNC: the flat% of FUNC in the by-function table of $output
flat_pct() {
	printf '%s\n' "$output" | awk -v f="$1" '
		/^ +flat\(s\) +flat%/ { t = 1; next }
		t && NF == 6 && $6 == f { sub("%", "", $2); print $2; exit }
		t && NF != 6 { exit }'
}

# samples: the sample count the header of `profile cpu` gives
samples() {
	printf '%s\n' "$output" | sed -n 's/^sampled: \([0-9]*\) samples .*/\1/p'
}

# decode FILE.pb.gz: the profile as protoc's text form, on stdout
decode() {
	gunzip -c "$1" | protoc --decode=perftools.profiles.Profile \
		--proto_path="$PROTO_DIR" profile.proto
}

# resolved FILE.txt: "sample_type T/U", "period_type T/U", "period N",
# "duration N" and "value_sum I S" lines from a decoded profile, with the
# string table's indexes replaced by its strings
resolved() {
	awk '
		/^string_table: / { s = $0; sub(/^string_table: "/, "", s)
				    sub(/"$/, "", s); str[n++] = s; next }
		/^sample_type \{/ { blk = "sample_type"; next }
		/^period_type \{/ { blk = "period_type"; next }
		/^sample \{/ { blk = "sample"; vi = 0; next }
		/^\}/ { if (blk == "sample_type" || blk == "period_type")
				vt[++nvt] = blk " " ty " " un
			blk = ""; next }
		blk != "sample" && /^  type: / { ty = $2 }
		blk != "sample" && /^  unit: / { un = $2 }
		blk == "sample" && /^  value: / { sum[vi++] += $2 }
		/^period: / { print "period " $2 }
		/^duration_nanos: / { print "duration " $2 }
		END { for (i = 1; i <= nvt; i++) {
			split(vt[i], f, " ")
			print f[1] " " str[f[2]] "/" str[f[3]] }
		      for (i = 0; i in sum; i++) print "value_sum " i " " sum[i] }
	' "$1"
}

@test "profile cpu: the 3:1 split, the top function first, samples match CPU time" {
	record t.trace "$FIX/cpu-split"
	assert_success
	cpu_ns=$(printf '%s\n' "$output" | sed -n 's/^cpu_ns=\([0-9]*\) .*/\1/p')
	[ -n "$cpu_ns" ]
	run "$CTRACE" profile cpu t.trace
	assert_success
	echo "$output"
	assert_output --partial "profile cpu: CPU time by stack, sampled"
	assert_output --regexp "sampled: [0-9]+ samples at 100 Hz of CPU time"
	three=$(flat_pct burn_three)
	one=$(flat_pct burn_one)
	echo "burn_three $three% burn_one $one% cpu_ns $cpu_ns"
	awk -v p="$three" 'BEGIN { exit !(p >= 68 && p <= 82) }'
	awk -v p="$one" 'BEGIN { exit !(p >= 18 && p <= 32) }'
	# the function with the most flat CPU is the table's first row
	first=$(printf '%s\n' "$output" | grep -A1 '^ *flat(s) *flat%' |
		awk 'NR == 2 { print $6 }')
	[ "$first" = burn_three ]
	# 100 Hz of CPU time: one sample per 10 ms the thread ran
	n=$(samples)
	echo "samples $n expected $((cpu_ns / 10000000))"
	awk -v n="$n" -v c="$cpu_ns" 'BEGIN { e = c / 1e7
		exit !(n >= 0.85 * e && n <= 1.15 * e) }'
	# the kernel's CPU time of the thread, read in the trace, agrees
	run "$CTRACE" dump t.trace
	run_ns=$(printf '%s\n' "$output" |
		awk '$4 == "sched" || $4 == "cpu_sample" { for (i = 5; i <= NF; i++)
			if ($i ~ /^run=/) { v = substr($i, 5) + 0; if (v > m) m = v } }
			END { print m + 0 }')
	echo "run $run_ns"
	awk -v r="$run_ns" -v c="$cpu_ns" 'BEGIN { exit !(r >= 0.9 * c && r <= 1.1 * c) }'
}

@test "a sample's innermost frame is the interrupted pc, not a return address" {
	[ "$(uname -m)" = x86_64 ] || skip "at_entry is x86-64 assembly"
	record t.trace "$FIX/cpu-split" entry
	assert_success
	run "$CTRACE" profile cpu t.trace
	assert_success
	echo "$output"
	# its pc is at_entry's first byte: read as a return address, one
	# byte back, it would name at_entry_run, the function before it
	p=$(flat_pct at_entry)
	awk -v p="$p" 'BEGIN { exit !(p >= 90) }'
	p=$(flat_pct at_entry_run)
	awk -v p="${p:-0}" 'BEGIN { exit !(p < 10) }'
}

@test "profile cpu --format pprof: Go's CPU profile sample types and period" {
	command -v protoc >/dev/null || skip "protoc (protobuf-compiler) not installed"
	record t.trace "$FIX/cpu-split" 0.5
	assert_success
	run "$CTRACE" profile cpu t.trace
	n=$(samples)
	[ "$n" -gt 0 ]
	run "$CTRACE" profile cpu --format pprof -o cpu.pb.gz t.trace
	assert_success
	[ -z "$output" ]
	decode cpu.pb.gz > cpu.txt
	run resolved cpu.txt
	echo "$output"
	assert_line "sample_type samples/count"
	assert_line "sample_type cpu/nanoseconds"
	assert_line "period_type cpu/nanoseconds"
	assert_line "period 10000000"
	assert_line "value_sum 0 $n"
	assert_line --regexp "^duration [1-9][0-9]+$"
	# samples first, cpu second, as Go writes them
	[ "$(grep -m1 '^sample_type' <<< "$output")" = "sample_type samples/count" ]
	grep -q 'string_table: "burn_three"' cpu.txt
}

@test "CTRACE_CPU_HZ=50: the rate and the period follow it" {
	CTRACE_CPU_HZ=50 record t.trace "$FIX/cpu-split" 0.4
	assert_success
	run "$CTRACE" profile cpu t.trace
	assert_success
	assert_output --regexp "sampled: [0-9]+ samples at 50 Hz of CPU time \(one per 20 ms on a CPU\)"
	command -v protoc >/dev/null || return 0
	"$CTRACE" profile cpu --format pprof -o cpu.pb.gz t.trace
	decode cpu.pb.gz > cpu.txt
	run resolved cpu.txt
	assert_line "period 20000000"
}

@test "go tool pprof -top names the text output's top function" {
	command -v go >/dev/null || skip "go (golang-go) not installed"
	record t.trace "$FIX/cpu-split" 0.6
	assert_success
	run "$CTRACE" profile cpu t.trace
	assert_success
	text_top=$(printf '%s\n' "$output" | grep -A1 '^ *flat(s) *flat%' |
		awk 'NR == 2 { print $6 }')
	"$CTRACE" profile cpu --format pprof -o cpu.pb.gz t.trace
	HOME="$T" run go tool pprof -top cpu.pb.gz
	assert_success
	echo "$output"
	assert_output --partial "Type: cpu"
	go_top=$(printf '%s\n' "$output" | grep -A1 '^ *flat  *flat%' |
		awk 'NR == 2 { print $6 }')
	echo "text $text_top go $go_top"
	[ "$text_top" = burn_three ]
	[ "$go_top" = "$text_top" ]
}

@test "profile cpu --format folded: lines sum to the sample count" {
	record t.trace "$FIX/cpu-split" 0.5
	assert_success
	run "$CTRACE" profile cpu t.trace
	n=$(samples)
	[ "$n" -gt 0 ]
	run "$CTRACE" profile cpu --format folded t.trace
	assert_success
	bad=$(printf '%s\n' "$output" | grep -Evc '^.+ [0-9]+$' || true)
	[ "$bad" -eq 0 ]
	sum=$(printf '%s\n' "$output" | awk '{ s += $NF } END { print s }')
	[ "$sum" -eq "$n" ]
	# root first: the leaf ends the line
	assert_output --regexp "(^|;)main;burn_three [0-9]+($|
)"
}

@test "CTRACE_CPU_HZ=0: no samples, and profile cpu says so" {
	CTRACE_CPU_HZ=0 record t.trace "$FIX/cpu-split" 0.3
	assert_success
	[ "$(events t.trace cpu_sample)" -eq 0 ]
	run "$CTRACE" profile cpu t.trace
	assert_success
	assert_output --partial "no CPU samples in this trace"
	refute_output --partial "sampled:"
	run "$CTRACE" profile cpu --format folded t.trace
	assert_success
	[ -z "$output" ]
	if command -v protoc >/dev/null; then
		"$CTRACE" profile cpu --format pprof -o cpu.pb.gz t.trace
		decode cpu.pb.gz > cpu.txt
		run resolved cpu.txt
		assert_line "sample_type cpu/nanoseconds"
		refute_line --regexp "^value_sum"
	fi
}

@test "calls blocked at exit count to the exit, marked unfinished" {
	record t.trace "$FIX/cpu-split" unfinished
	assert_success
	assert_output "blocked 2"
	[ "$(events t.trace unfinished)" -eq 2 ]
	run "$CTRACE" profile sync t.trace
	assert_success
	echo "$output"
	assert_output --partial "1 call was still blocked at exit (counted to the exit: "
	assert_output --regexp "pthread_mutex_lock  \[1 unfinished\]
 +locker \(cpu-split.c:[0-9]+\)"
	# the figure is the unfinished lock call's time, which runs from its
	# start to the exit: past the exit event, before the process's end
	s=$(printf '%s\n' "$output" | grep -m1 'unfinished\]' | awk '{ print $1 }')
	"$CTRACE" dump t.trace > d.txt
	u=$(awk '$4 == "unfinished" && / type=16 / { print $1, $5 }' d.txt)
	# main (tid = pid) holds the lock: as the hook read it (minor 8)
	run awk '$4 == "unfinished" && / type=16 / { print $NF, "holder=" $2 }' d.txt
	assert_equal "${#lines[@]}" 1
	assert_equal "${lines[0]% *}" "${lines[0]#* }"
	x=$(awk '$4 == "exit" { print $1 }' d.txt)
	e=$(awk '$4 == "process_end" { print $1 }' d.txt)
	set -- $u
	# (profiles print whole microseconds, cut, not rounded)
	assert_equal "$s" "$(awk -v d="${2#dur=}" \
		'BEGIN { printf "%d.%06d", d / 1e9, (d % 1e9) / 1000 }')"
	awk -v t="$1" -v d="${2#dur=}" -v x="$x" -v e="$e" \
		'BEGIN { end = t + d / 1e9; exit !(end >= x && end <= e) }'
	run "$CTRACE" profile sleep t.trace
	assert_success
	assert_output --partial "1 call was still blocked at exit"
	assert_output --regexp "nanosleep  \[1 unfinished\]
 +sleeper \(cpu-split.c:[0-9]+\)"
	run "$CTRACE" profile syscall t.trace
	assert_output --partial "1 call was still blocked at exit"
	# the pprof and folded forms count them like any other block
	run "$CTRACE" profile sync --format folded t.trace
	assert_output --regexp "(^|;)locker;pthread_mutex_lock [0-9]+($|
)"
}

@test "bad input: profile cpu" {
	record t.trace "$FIX/quickexit"
	run "$CTRACE" profile frobnicate t.trace
	assert_failure 2
	assert_output --partial "unknown kind 'frobnicate' (cpu, sync,"
	[ "${#lines[@]}" -eq 1 ]
	run "$CTRACE" profile cpu --bogus t.trace
	assert_failure 2
	assert_output --partial "unknown option '--bogus'"
	[ "${#lines[@]}" -eq 1 ]
	run "$CTRACE" profile cpu --format svg t.trace
	assert_failure 2
	# no file and no ctrace.out here (009-cli.bats)
	run "$CTRACE" profile cpu
	assert_failure 3
	run "$CTRACE" profile cpu /nonexistent/trace
	assert_failure 3
	run "$CTRACE" profile cpu -o /nonexistent/dir/x t.trace
	assert_failure 6
	run "$CTRACE" profile cpu t.trace
	assert_success
	assert_output --partial "no CPU samples in this trace"
}

@test "profile cpu text: stacks that print the same are one entry" {
	# samples at different pcs of one line of pixel() are different
	# stacks in the trace, and the same lines to a reader
	record t.trace "$CTRACE_BUILD/examples/mandelbrot" -m seq -w 768 -h 768 -o m.png
	assert_success
	run "$CTRACE" profile cpu t.trace
	assert_success
	printf '%s\n' "$output" | awk '
		/^top [0-9]+ of [0-9]+ stacks:/ { on = 1; next }
		!on || /^ +cpu\(s\)/ { next }
		/^ +[0-9.]+ +[0-9.]+% +[0-9]+  / {
			if (cur != "") seen[cur]++
			sub(/^ +[0-9.]+ +[0-9.]+% +[0-9]+  /, ""); cur = $0; next
		}
		{ cur = cur "|" $0 }
		END {
			if (cur != "") seen[cur]++
			for (k in seen) { n++; if (seen[k] > 1) { print "twice: " k; bad = 1 } }
			exit bad || n < 1
		}'
}

@test "function names leave out the symbol version (__libc_start_main, not @@GLIBC)" {
	record t.trace "$CTRACE_BUILD/examples/mandelbrot" -m seq -w 512 -h 512 -o m.png
	assert_success
	run "$CTRACE" profile cpu --format folded t.trace
	assert_success
	assert_output --partial "__libc_start_main;"
	refute_output --partial "@"
}

@test "mandelbrot: the pixel function is the top entry, in text and in go tool pprof" {
	record t.trace "$CTRACE_BUILD/examples/mandelbrot" -m seq -w 768 -h 768 -o m.png
	assert_success
	run "$CTRACE" profile cpu t.trace
	assert_success
	top=$(printf '%s\n' "$output" | grep -A1 '^ *flat(s) *flat%' | awk 'NR == 2 { print $6 }')
	echo "top: $top"
	[[ "$top" == pixel* ]]
	# and it is most of the work: at least 80% flat
	awk -v p="$(flat_pct "$top")" 'BEGIN { exit !(p >= 80) }'
	command -v go >/dev/null || skip "go (golang-go) not installed"
	"$CTRACE" profile cpu --format pprof -o cpu.pb.gz t.trace
	HOME="$T" run go tool pprof -top cpu.pb.gz
	assert_success
	go_top=$(printf '%s\n' "$output" | grep -A1 '^ *flat  *flat%' | awk 'NR == 2 { print $6 }')
	assert_equal "$go_top" "$top"
}
