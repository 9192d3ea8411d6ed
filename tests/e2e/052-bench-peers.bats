#!/usr/bin/env bats
# make bench PEERS=1 (bench/peers.sh) in its quick mode: one table with a
# row per workload and tool, ctrace's output matching the untraced run's,
# and a tool that is absent, fails or changes the program's output said
# so in its row rather than left out

load helpers

# a PATH of /usr/bin without ltrace, with a uftrace that fails and a
# strace that runs the program but alters its result line
fake_path() {
	mkdir -p bin
	for f in /usr/bin/* /usr/sbin/*; do
		n=${f##*/}
		[ -e "bin/$n" ] || ln -s "$f" "bin/$n"
	done
	rm -f bin/ltrace bin/uftrace bin/strace
	printf '#!/bin/sh\necho "uftrace: no such luck" >&2\nexit 3\n' \
		> bin/uftrace
	cat > bin/strace <<-'EOS'
	#!/bin/sh
	# strace -f -o FILE PROG ARGS...
	: > "$3"
	shift 3
	"$@" | sed 's/=/=9/'
	EOS
	chmod +x bin/uftrace bin/strace
}

@test "the quick peers table: every workload and tool, absent and failing tools named" {
	for w in malloc_churn mutex_contend pipe_io thread_spawn mandel; do
		[ -x "$CTRACE_BUILD/bench/workloads/$w" ] ||
			fail "$w not built (make $CTRACE_BUILD/bench/workloads/$w)"
	done
	fake_path
	PATH="$PWD/bin" O="$CTRACE_BUILD" PEERS_QUICK=1 \
		run sh "$CTRACE_TOP/bench/peers.sh"
	assert_success
	assert_line --index 0 "workload      tool       plain s traced s    ratio  ns/event  B/event     events   lost output  note"
	# one row per workload and tool, in order
	[ "$(printf '%s\n' "$output" | sed 1d | awk '{ print $1, $2 }' |
	     tr '\n' ' ')" = "$(for w in malloc_churn mutex_contend pipe_io \
		thread_spawn mandel; do for t in ctrace uftrace lttng \
		heaptrack strace ltrace; do printf '%s %s ' $w $t; done; done)" ]
	# ctrace: measured, nothing lost, the same result line
	[ "$(printf '%s\n' "$output" | awk '$2 == "ctrace" && $3 ~ /^[0-9.]+$/ &&
		$5 ~ /x$/ && $8 > 0 && $9 == 0 && $10 == "same"' | wc -l)" = 5 ]
	# and what its collector cost beside the command, from its summary
	[ "$(printf '%s\n' "$output" | grep -cE "^[a-z_]+ +ctrace .* same +collector CPU [0-9.]+ s, command [0-9.]+ s$")" = 5 ]
	# no ns/event below zero anywhere
	[ "$(printf '%s\n' "$output" | awk '$6 ~ /^-[0-9]/' | wc -l)" = 0 ]
	for w in malloc_churn mutex_contend pipe_io thread_spawn mandel; do
		assert_line --regexp "^$w +ltrace( +-){8} +not installed \(ltrace\)$"
		assert_line --regexp "^$w +uftrace( +-){8} +failed: exit 3: uftrace: no such luck$"
		assert_line --regexp "^$w +strace .* differs +$"
	done
}
