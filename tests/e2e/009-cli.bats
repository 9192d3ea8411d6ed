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
	assert_output "usage: ctrace-analyze threads [--per-thread] [<file>]"
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
	assert_line --regexp "^ctrace: wrote c.trace: [0-9]+ events, 1 process, 0 lost$"
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

@test "cli: a run shorter than a second is several chunks; cut in half it keeps the first" {
	# about 0.6 s: the 1 s flush alone wrote one chunk, all lost when cut
	record t.trace "$FIX/slowcount" 12
	assert_failure 5
	size=$(stat -c %s t.trace)
	head -c $((size / 2)) t.trace > cut.trace
	run "$CTRACE" info cut.trace
	assert_success
	assert_line --regexp "^integrity: trace cut: file ends inside chunk [0-9]+ at offset [0-9]+; read [1-9][0-9]* complete chunks?$"
	n=$(events cut.trace cond_signal)
	[ "$n" -gt 0 ] || { echo "no cond_signal events in the first half"; false; }
	# and fewer than the whole run's, which the full trace has
	[ "$n" -lt "$(events t.trace cond_signal)" ]
}
