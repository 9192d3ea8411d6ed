#!/usr/bin/env bats
# every file ctrace writes is made anew with mode 0600 and never written
# through a symbolic link planted at its path

load helpers

# victim: a file someone else cares about, linked at each output path
setup_victim() {
	echo precious > victim
	chmod 0644 victim
}

assert_fresh() {	# assert_fresh PATH: a regular 0600 file, victim intact
	[ -f "$1" ] && [ ! -L "$1" ]
	assert_equal "$(stat -c %a "$1")" 600
	assert_equal "$(cat victim)" precious
	assert_equal "$(stat -c %a victim)" 644
}

@test "record -o: a link at the path is replaced, not followed" {
	setup_victim
	ln -s victim out.trace
	record out.trace "$FIX/mutex8"
	assert_success
	assert_fresh out.trace
	assert_equal "$(events out.trace thread_create)" 8
}

@test "record -o: an older 0644 trace becomes a new 0600 one" {
	setup_victim
	echo old > old.trace
	chmod 0644 old.trace
	record old.trace "$FIX/mutex8"
	assert_success
	assert_fresh old.trace
}

@test "the private collector's ctrace.out is not written through a link" {
	setup_victim
	ln -s victim ctrace.out
	run env LD_PRELOAD="$LIBCTRACE" "$FIX/mutex8"
	assert_success
	# the private collector finishes after the program: wait for the end
	for i in $(seq 50); do
		"$CTRACE" info ctrace.out 2>/dev/null | grep -q "^integrity: clean" && break
		sleep 0.1
	done
	assert_fresh ctrace.out
	assert_equal "$(events ctrace.out thread_create)" 8
}

@test "html, export and profile outputs: made anew, 0600, links replaced" {
	setup_victim
	record t.trace "$FIX/mutex8"
	for f in t.html t.perfetto t.json t.pb.gz; do ln -s victim "$f"; done
	run "$CTRACE" html -o t.html t.trace
	assert_success
	run "$CTRACE" export -o t.perfetto t.trace
	assert_success
	run "$CTRACE" export --format json -o t.json t.trace
	assert_success
	run "$CTRACE" profile sync --format pprof -o t.pb.gz t.trace
	assert_success
	for f in t.html t.perfetto t.json t.pb.gz; do assert_fresh "$f"; done
}

@test "a device is written into: record -o /dev/null" {
	record /dev/null "$FIX/mutex8"
	assert_success
	[ -c /dev/null ]
}

# as_nobody_in_ro: a copy of the build that uid 65534 can run, and a
# directory it cannot write ($NB/ro) with its own TMPDIR ($NB/tmp)
as_nobody_in_ro() {
	[ "$(id -u)" = 0 ] || skip "needs root to run as a user who cannot write the cwd"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
	NB=$(mktemp -d /tmp/ctrace-ro.XXXXXX)
	mkdir "$NB/bin" "$NB/lib" "$NB/ro" "$NB/tmp"
	cp "$LIBCTRACE" "$NB/lib/"
	cp "$CTRACE_BUILD/bin/ctrace-collector" "$FIX/mutex8" "$NB/bin/"
	chmod -R a+rX "$NB"
	chmod 0555 "$NB/ro"
	chmod 0777 "$NB/tmp"
	cd "$NB/ro"
}

nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups env TMPDIR="$NB/tmp" "$@"
}

# wait_private: the private collector is done when its socket is gone
wait_private() {
	for i in $(seq 100); do
		ls "$NB"/tmp/ctrace-*/sock >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	return 1
}

@test "the private collector writes nothing into the program's stderr, and falls back from an unwritable cwd" {
	as_nobody_in_ro
	nobody LD_PRELOAD="$NB/lib/libctrace.so" "$NB/bin/mutex8" > "$NB/out" 2> "$NB/err"
	wait_private
	assert_equal "$(cat "$NB/out")" "$("$FIX/mutex8")"
	# it used to print "ctrace: cannot open ctrace.out: Permission denied"
	assert_equal "$(cat "$NB/err")" ""
	assert_equal "$(ls "$NB/ro")" ""
	d=$(echo "$NB"/tmp/ctrace-*)
	assert_equal "$(ls "$d")" "ctrace.out
ctrace.out.log"
	assert_equal "$(stat -c '%a %u' "$d/ctrace.out" "$d/ctrace.out.log")" "600 65534
600 65534"
	assert_equal "$(cat "$d/ctrace.out.log")" "ctrace: warning: cannot open ctrace.out: Permission denied; writing $d/ctrace.out instead"
	assert_equal "$(events "$d/ctrace.out" thread_create)" 8
	rm -rf "$NB"
}

@test "with CTRACE_DEBUG the private collector says once where the trace went" {
	as_nobody_in_ro
	nobody CTRACE_DEBUG=init LD_PRELOAD="$NB/lib/libctrace.so" "$NB/bin/mutex8" > /dev/null 2> "$NB/err"
	wait_private
	d=$(echo "$NB"/tmp/ctrace-*)
	assert_equal "$(grep -c "^ctrace: cannot open ctrace.out: Permission denied; writing $d/ctrace.out instead$" "$NB/err")" 1
	rm -rf "$NB"
}

@test "record falls back from an unwritable cwd only for the default output" {
	as_nobody_in_ro
	run nobody "$NB/bin/ctrace-collector" record -- "$NB/bin/mutex8"
	assert_success
	d=$(echo "$NB"/tmp/ctrace-*)
	assert_line --index 0 "ctrace: warning: cannot open ctrace.out: Permission denied; writing $d/ctrace.out instead"
	n=$("$CTRACE" dump "$d/ctrace.out" | sed -n 's/.* end events=\([0-9]*\) .*/\1/p')
	assert_line --regexp "^ctrace: wrote $d/ctrace.out: $n events, 1 process, 0 lost \(collector CPU [0-9]+\.[0-9]{2} s, command [0-9]+\.[0-9]{2} s\)$"
	assert_equal "$(events "$d/ctrace.out" thread_create)" 8
	run nobody "$NB/bin/ctrace-collector" record -o x.trace -- "$NB/bin/mutex8"
	assert_equal "$status" 6
	assert_output "ctrace: cannot open x.trace: Permission denied"
	rm -rf "$NB"
}
