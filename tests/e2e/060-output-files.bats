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
