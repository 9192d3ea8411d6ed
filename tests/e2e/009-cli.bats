#!/usr/bin/env bats
# the command line as perf and git users expect it: one prefix, each
# subcommand's own usage, unknown options named, ctrace.out by default,
# plural forms, and chunks a cut short trace keeps

load helpers

@test "cli: errors say ctrace: whichever program prints them" {
	run "$CTRACE" report nothing.trace
	assert_failure 3
	assert_output "ctrace: cannot open nothing.trace: No such file or directory"
	run "$CTRACE_BUILD/bin/ctrace-analyze" info nothing.trace
	assert_failure 3
	assert_output "ctrace: cannot open nothing.trace: No such file or directory"
	run "$CTRACE" record -q -o /nonexistent/dir/t.trace -- true
	assert_failure 6
	assert_output --regexp "^ctrace: cannot open /nonexistent/dir/t.trace: "
	run "$CTRACE_BUILD/bin/ctrace-collector" frob
	assert_failure 2
	assert_output "ctrace: unknown mode 'frob' (record, collect or serve)"
}

@test "cli: record --help and collect -h show their own usage" {
	run "$CTRACE" record --help
	assert_success
	assert_line --index 0 "usage: ctrace record [-o <file>] [-q] [--] <command> [<arg>...]"
	refute_output --partial "listen-fd"
	refute_output --partial "serve"
	refute_output --partial "--daemon"
	run "$CTRACE" collect -h
	assert_success
	assert_line --index 0 "usage: ctrace collect [-o <file>] [-s <socket>] [--daemon] [-q]"
	refute_output --partial "listen-fd"
	# the program's own --help still lists every mode
	run "$CTRACE_BUILD/bin/ctrace-collector" --help
	assert_success
	assert_output --partial "serve --listen-fd"
}

@test "cli: threads -h lists --per-thread" {
	run "$CTRACE" threads -h
	assert_success
	assert_output "usage: ctrace-analyze threads [--per-thread] [<file>]

    --per-thread  add a row per thread, with its count of unfinished calls
    -h, --help    print this help"
}

@test "cli: an unknown option is named, status 2" {
	for cmd in dump info report threads export html; do
		run "$CTRACE" $cmd --frob x.trace
		assert_failure 2
		assert_output "ctrace: $cmd: unknown option '--frob'"
	done
	run "$CTRACE" profile sync --frob x.trace
	assert_failure 2
	assert_output "ctrace: profile: unknown option '--frob'"
	run "$CTRACE" record --frob -- true
	assert_failure 2
	assert_output "ctrace: record: unknown option '--frob'"
	run "$CTRACE" collect --frob
	assert_failure 2
	assert_output "ctrace: collect: unknown option '--frob'"
	run "$CTRACE" --frob
	assert_failure 2
	assert_output "ctrace: unknown option '--frob' (see ctrace --help)"
}

@test "cli: with no file the analyses read ctrace.out" {
	run "$CTRACE" record -q -- "$FIX/ana-condwait"
	assert_success
	[ -s ctrace.out ]
	for cmd in dump info report threads "threads --per-thread" \
		"profile sync" "profile sync --format folded"; do
		want=$("$CTRACE" $cmd ctrace.out)
		run "$CTRACE" $cmd
		assert_success
		assert_output "$want"
	done
	run "$CTRACE" html
	assert_success
	[ -s ctrace.out.html ]
	run "$CTRACE" export --format json
	assert_success
	[ -s ctrace.out.json ]
	run "$CTRACE" profile sync --format pprof -o p.pb.gz
	assert_success
	[ -s p.pb.gz ]
}

@test "cli: no file and no ctrace.out: one line, status 3" {
	[ ! -e ctrace.out ]
	for cmd in dump info report threads "profile sync" export html; do
		run "$CTRACE" $cmd
		assert_failure 3
		assert_output "ctrace: no trace file given and no ctrace.out here (run ctrace record first)"
	done
	[ ! -e ctrace.out.html ]
	# the usage says so
	run "$CTRACE" --help
	assert_output --partial "An analysis reads ctrace.out when no <file> is given."
	run "$CTRACE_BUILD/bin/ctrace-analyze" --help
	assert_output --partial "without one, ctrace.out is read"
}

@test "cli: one of a thing is singular" {
	run "$CTRACE" record -o c.trace -- "$FIX/ana-condwait"
	assert_success
	assert_line --regexp "^ctrace: wrote c.trace: [0-9]+ events, 1 process, 0 lost \(collector CPU [0-9]+\.[0-9]{2} s, command [0-9]+\.[0-9]{2} s\)$"
	run "$CTRACE" info c.trace
	assert_line --regexp "^end record: [0-9]+ events, 0 lost, 1 process$"
	assert_line "processes: 1 (1 image)"
	run "$CTRACE" report c.trace
	assert_output --partial "processes: 1 (1 image), threads: 2,"
	assert_output --regexp "cond_wait +[0-9.]+ s in 1 wait, most woken by"
	assert_output --regexp " 1 call +sync +cond_wait "
	assert_output --partial "wake edges: 1 wake (signal"
	# and no "1 <plural>" anywhere in what people read
	for cmd in info report threads "profile sync" "profile sleep"; do
		run "$CTRACE" $cmd c.trace
		refute_output --regexp "(^|[^0-9.])1 (processes|images|threads|events|calls|waits|wakes|creates|readings|types|ends|samples|stacks|allocations|frees|bytes|records)\b"
	done
}

@test "cli: a run shorter than a second is several chunks; cut inside the last it keeps the others" {
	# about 0.6 s: the 1 s flush alone wrote one chunk, all lost when cut.
	# Where the chunks end depends on when batches arrive, so the cut is
	# made inside the last one, wherever it starts: every chunk before
	# the last was closed at an EVENTS record, so the kept ones hold some.
	record t.trace "$FIX/slowcount" 12
	assert_failure 5
	run "$CTRACE" info t.trace
	chunks=$(sed -n 's/^chunks: \([0-9]*\) read$/\1/p' <<<"$output")
	[ "${chunks:-0}" -ge 2 ] || { echo "one chunk: $output"; false; }
	size=$(stat -c %s t.trace)
	head -c $((size - 1)) t.trace > cut.trace
	run "$CTRACE" info cut.trace
	assert_success
	assert_line --regexp "^integrity: trace cut: file ends inside chunk $((chunks - 1)) at offset [0-9]+; read $((chunks - 1)) complete chunks?$"
	n=$(events cut.trace cond_signal)
	[ "$n" -gt 0 ] || { echo "no cond_signal events before the last chunk"; false; }
	[ "$n" -le "$(events t.trace cond_signal)" ]
}

# synopsis MAN PROG: the SYNOPSIS lines of the roff page MAN that start
# with PROG, as text: fonts dropped, a continuation line joined to the
# line before, runs of spaces squeezed
synopsis() {
	sed -n '/^\.SH SYNOPSIS/,/^\.fi/s/^\.B //p' "$1" |
		sed -e 's/\\f[BIR]//g' -e 's/\\-/-/g' -e 's/"//g' |
		awk '/^ / { sub(/^ +/, ""); line = line " " $0; next }
		     { if (line != "") print line; line = $0 }
		     END { if (line != "") print line }' |
		tr -s ' ' | grep "^$2 "
}

ANA="$CTRACE_BUILD/bin/ctrace-analyze"
MAN_ANA="$CTRACE_TOP/man/ctrace-analyze.1"
MAN_FE="$CTRACE_TOP/man/ctrace.1"

@test "cli: the analyzer's table, the front end and the man pages list the same commands" {
	cmds=$("$ANA" --list-commands | cut -f1)
	[ "$(echo "$cmds" | wc -l)" -ge 7 ]
	# the front end's usage: its own four, then the analyzer's, summaries too
	run "$CTRACE" --help
	assert_success
	assert_equal "$(printf '%s\n' "$output" | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p')" \
		"$(printf 'record\ncollect\nsnapshot\nctl\n%s' "$cmds")"
	"$ANA" --list-commands | while IFS='	' read -r c what; do
		printf '%s\n' "$output" | grep -qxF "$(printf '  %-9s %s' "$c" "$what")"
	done
	# the front end runs each of them, and no other
	for c in $cmds; do
		run "$CTRACE" $c -h
		assert_success
		assert_line --index 0 --regexp "^usage: ctrace-analyze $c "
	done
	run "$CTRACE" frobnicate
	assert_failure 2
	assert_output "ctrace: unknown command 'frobnicate' (see ctrace --help)"
	# one run of ctrace-analyze per analysis (before: a second one to
	# list the commands first)
	if command -v strace >/dev/null; then
		record t.trace "$FIX/ana-condwait"
		strace -f -qq -e trace=execve -o "$T/execs" "$CTRACE" info t.trace >/dev/null
		assert_equal "$(grep -c 'execve("[^"]*/ctrace-analyze"' "$T/execs")" 1
	fi
	# ctrace-analyze(1): its synopsis and its sections
	assert_equal "$(synopsis "$MAN_ANA" ctrace-analyze |
		awk '$2 ~ /^[a-z]/ { print $2 }')" "$cmds"
	assert_equal "$(sed -n 's/^\.SS //p' "$MAN_ANA")" "$cmds"
	# ctrace(1): the synopsis, the sections and the list of analyses
	assert_equal "$(synopsis "$MAN_FE" ctrace | awk '$2 ~ /^[a-z]/ &&
		$2 != "record" && $2 != "collect" && $2 != "snapshot" &&
		$2 != "ctl" { print $2 }')" "$cmds"
	assert_equal "$(sed -n 's/^\.SS //p' "$MAN_FE" | grep -vx 'record\|collect\|snapshot\|ctl')" "$cmds"
	assert_equal "$(sed -n 's/^The analyses (\(.*\)) read$/\1/p' "$MAN_FE" |
		tr -d ' ' | tr , '\n')" "$cmds"
}

@test "cli: each command's usage line is its synopsis in both man pages" {
	for c in $("$ANA" --list-commands | cut -f1); do
		u=$("$ANA" $c --help | head -1)
		assert_equal "$(synopsis "$MAN_ANA" ctrace-analyze | awk -v c=$c '$2 == c')" \
			"${u#usage: }"
		assert_equal "$(synopsis "$MAN_FE" ctrace | awk -v c=$c '$2 == c')" \
			"ctrace ${u#usage: ctrace-analyze }"
	done
}

@test "cli: a command takes every option and value its --help lists, and no other" {
	local -A all=()
	local c opt arg v first
	cmds=$("$ANA" --list-commands | cut -f1)
	for c in $cmds; do
		while read -r opt arg; do
			all[$opt]=1
		done < <("$ANA" $c --help | sed -n 's/^    \(--*[a-z][a-z-]*\)\( \([^ ]*\)\)\{0,1\}  .*/\1 \3/p')
	done
	[ "${#all[@]}" -ge 4 ]
	for c in $cmds; do
		help=$("$ANA" $c --help)
		# profile's kind: each value it lists is taken
		first=$(printf '%s\n' "$help" | awk 'NR == 1 && $4 !~ /^[[<]/ { print $4 }')
		for v in ${first//|/ }; do
			run "$ANA" $c $v nothing.trace
			assert_failure 3
			assert_output "ctrace: cannot open nothing.trace: No such file or directory"
		done
		first=${first%%|*}
		local -A mine=()
		while read -r opt arg; do
			mine[$opt]=1
			case $arg in
			"") vals=("") ;;
			"<n>") vals=(1) ;;
			"<"*) vals=(o.out) ;;
			*) IFS='|' read -ra vals <<< "$arg" ;;
			esac
			for v in "${vals[@]}"; do
				run "$ANA" $c $first $opt ${v:+"$v"} nothing.trace
				assert_failure 3
				assert_output "ctrace: cannot open nothing.trace: No such file or directory"
			done
		done < <(printf '%s\n' "$help" | sed -n 's/^    \(--*[a-z][a-z-]*\)\( \([^ ]*\)\)\{0,1\}  .*/\1 \3/p')
		for opt in "${!all[@]}"; do
			[ -z "${mine[$opt]:-}" ] || continue
			run "$ANA" $c $first $opt nothing.trace
			assert_failure 2
			assert_output "ctrace: $c: unknown option '$opt'"
		done
		unset mine
	done
	[ ! -e o.out ]
}

@test "cli: one set of rules for every command's options" {
	record t.trace "$FIX/ana-condwait"
	assert_success
	want=$("$CTRACE" profile sync --format folded t.trace)
	[ -n "$want" ]
	for args in "profile sync --format=folded t.trace" \
		"profile --format folded sync t.trace" \
		"profile sync t.trace --format folded" \
		"profile sync --form folded t.trace" \
		"profile sync --format folded -- t.trace" \
		"profile sync --format folded -o - t.trace"; do
		run "$CTRACE" $args
		assert_success
		assert_output "$want"
	done
	# -ov is -o v
	run "$CTRACE" profile sync --format folded -of.txt t.trace
	assert_success
	assert_output ""
	assert_equal "$(cat f.txt)" "$want"
	# POSIXLY_CORRECT in the environment does not end options at an operand
	run env POSIXLY_CORRECT=1 "$CTRACE" profile sync t.trace --format folded
	assert_success
	assert_output "$want"
	# -- ends the options: a file named like one
	cp t.trace ./-x.trace
	want=$("$CTRACE" threads --per-thread t.trace)
	run "$CTRACE" threads --per-thread -- -x.trace
	assert_success
	assert_output "$want"
	# one message for each mistake, the same in every command
	run "$CTRACE" threads --per-thread=1 t.trace
	assert_failure 2
	assert_output "ctrace: threads: option '--per-thread' takes no value"
	run "$CTRACE" dump t.trace --frob
	assert_failure 2
	assert_output "ctrace: dump: unknown option '--frob'"
	run "$CTRACE" report -x t.trace
	assert_failure 2
	assert_output "ctrace: report: unknown option '-x'"
	for c in "profile sync" export html; do
		run "$CTRACE" $c t.trace -o
		assert_failure 2
		assert_output "ctrace: ${c% *}: option '-o' needs a value"
	done
	run "$CTRACE" export --format
	assert_failure 2
	assert_output "ctrace: export: option '--format' needs a value"
	run "$CTRACE" export --format svg t.trace
	assert_failure 2
	assert_output "ctrace: export: unknown format 'svg' (perfetto or json)"
	run "$CTRACE" report t.trace t.trace
	assert_failure 2
	assert_output "usage: ctrace-analyze report [<file>]"
	[ ! -e t.trace.pftrace ]
}

@test "cli: one version: the three programs, the Makefile, the traces and the man pages agree" {
	v=$(sed -n 's/^VERSION *= *//p' "$CTRACE_TOP/Makefile")
	maj=$(awk '$2 == "FMT_VERSION_MAJOR" { print $3 }' "$CTRACE_TOP/format/file.h")
	min=$(awk '$2 == "FMT_VERSION_MINOR" { print $3 }' "$CTRACE_TOP/format/file.h")
	[ -n "$v" ] && [ -n "$maj" ] && [ -n "$min" ]
	want="ctrace $v (trace format $maj.$min)"
	for p in "$CTRACE" "$ANA" "$CTRACE_BUILD/bin/ctrace-collector"; do
		run "$p" --version
		assert_success
		assert_output "$want"
	done
	# the format version printed is the one a trace gets
	record t.trace "$FIX/ana-condwait"
	assert_success
	run "$CTRACE" info t.trace
	assert_line --regexp "^format: version $maj\.$min, "
	# every page is of this version; those naming --version show its line
	for m in "$CTRACE_TOP"/man/*.[0-9]; do
		grep -q "^\.TH [A-Z-]* [0-9] [0-9]* \"ctrace $v\" " "$m" ||
			{ echo "$m: .TH is not of ctrace $v"; false; }
	done
	for m in "$MAN_FE" "$MAN_ANA" "$CTRACE_TOP/man/ctrace-collector.1"; do
		assert_equal "$(sed -n 's/^\.BR "\(ctrace .*\)" ,$/\1/p' "$m")" "$want"
	done
}

@test "collect -s: a socket a killed collector left is reused; a live one's or a file is not" {
	eval "$("$CTRACE" collect --daemon -o "$T/a.trace" -s "$T/sock")"
	unset LD_PRELOAD
	kill -KILL "$CTRACE_COLLECTOR_PID"
	for i in $(seq 100); do
		kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break
		sleep 0.05
	done
	[ -S "$T/sock" ]
	# before the fix: "cannot bind ...: Address already in use"
	eval "$("$CTRACE" collect --daemon -o "$T/b.trace" -s "$T/sock")"
	unset LD_PRELOAD
	LD_PRELOAD="$LIBCTRACE" CTRACE_SOCKET="$T/sock" "$FIX/ana-condwait"
	run timeout 10 "$CTRACE" collect -q -o "$T/c.trace" -s "$T/sock"
	assert_failure 7
	assert_output "ctrace: cannot bind $T/sock: Address already in use"
	stop_daemon
	run "$CTRACE" info "$T/b.trace"
	assert_line "processes: 1 (1 image)"
	: > "$T/file"
	run timeout 10 "$CTRACE" collect -q -o "$T/d.trace" -s "$T/file"
	assert_failure 7
	assert_output "ctrace: cannot bind $T/file: Address already in use"
	[ -f "$T/file" ]
}

@test "record's summary: the command's CPU counts its waited-for children" {
	# the fork child burns 300 ms of its own CPU, then the exec'ed image
	# 300 ms more: 0.60 s at least, whatever the machine's load
	run "$CTRACE" record -o c.trace -- "$FIX/cpu-forkexec"
	assert_success
	cmd=$(printf '%s\n' "$output" | sed -n 's/.*, command \([0-9.]*\) s)$/\1/p')
	col=$(printf '%s\n' "$output" | sed -n 's/.*(collector CPU \([0-9.]*\) s,.*/\1/p')
	[ -n "$cmd" ] && [ -n "$col" ]
	awk -v c="$cmd" 'BEGIN { exit !(c >= 0.60) }'
}
