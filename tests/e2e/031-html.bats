#!/usr/bin/env bats
# ctrace html: one self-contained page, checked in headless Chromium

load helpers

HTML_DIR="$CTRACE_TOP/tests/html"

# playwright-core (npm) drives Debian's chromium; installed on first use
setup_file() {
	[ -x "${CHROMIUM:-/usr/bin/chromium}" ] ||
		skip "chromium is not installed (scripts/deps.sh installs it)"
	command -v node >/dev/null && command -v npm >/dev/null ||
		skip "node and npm are needed to drive chromium"
	if [ ! -d "$HTML_DIR/node_modules/playwright-core" ]; then
		(cd "$HTML_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&3 2>&1 ||
			skip "npm could not install playwright-core"
	fi
}

@test "html: one file, no network, the page's parts are there" {
	record w.trace "$FIX/tl-workers" 4
	run "$CTRACE" html w.trace
	assert_success
	[ -s w.trace.html ]
	# nothing is loaded from elsewhere
	! grep -Eq '(src|href)="(https?:)?//' w.trace.html
	! grep -q '@DATA@\|@JS@\|@CSS@' w.trace.html
	grep -q 'id="ctrace-data"' w.trace.html
	grep -q '"worker-3"' w.trace.html
	run "$CTRACE" html -o page.html w.trace
	assert_success
	[ -s page.html ]
}

@test "html: renders in chromium with a row per thread; a click shows the stack" {
	record w.trace "$FIX/tl-workers" 4
	"$CTRACE" html -o w.html w.trace
	run node "$HTML_DIR/check.js" w.html w.png
	echo "$output"
	assert_success
	assert_line "errors 0"
	assert_line "threads 5"
	assert_line "rows 5"
	assert_line "stack_shown yes"
	[ -s w.png ]
}

@test "html: user regions, tasks and instants of user-tasks (exact counts)" {
	record t.trace "$FIX/user-tasks"
	"$CTRACE" html -o t.html t.trace
	run node "$HTML_DIR/check.js" t.html
	echo "$output"
	assert_success
	assert_line "errors 0"
	# the 3 workers have regions (outer, inner nested); main has none
	assert_line "region_bands 3"
	assert_line "region_shown yes"
	assert_line "create_arrow yes"
	assert_line "instant_shown yes"
	# start, end, exit of the process, 30 progress logs and one done log
	assert_line "instants 34"
	assert_line "task job 30"
	assert_line "task main 1"
	# nothing capped at this size
	grep -q '"caps":{"regions":\[60,60,0\],"instants":\[34,34\]}' t.html
}

@test "html: tl-workers: a band per annotated worker, the worker tasks" {
	record w.trace "$FIX/tl-workers" 4
	"$CTRACE" html -o w.html w.trace
	run node "$HTML_DIR/check.js" w.html
	echo "$output"
	assert_success
	assert_line "region_bands 4"
	assert_line "task worker 4"
	assert_line "create_arrow yes"
}

@test "html: clicking a woken slice draws the arrow from its waker" {
	record p.trace "$FIX/tl-workers" pingpong 50
	"$CTRACE" html -o p.html p.trace
	run node "$HTML_DIR/check.js" p.html
	echo "$output"
	assert_success
	assert_line "errors 0"
	assert_line "wake_arrow yes"
	assert_line "waker_link yes"
	assert_line "region_bands 0"
	# no user tasks: no tasks table rows
	refute_line --partial "task "
}

@test "html: many processes and threads (mutex8) render too" {
	record m.trace "$FIX/mutex8"
	"$CTRACE" html -o m.html m.trace
	run node "$HTML_DIR/check.js" m.html
	echo "$output"
	assert_success
	assert_line "rows 9"
}

# woken calls whose waker is another thread, from the dump: the arrows
# "all wake arrows" draws with the whole trace in view
woken() {
	"$CTRACE" dump "$1" | awk '{ w = ""; d = 0
		for (i = 5; i <= NF; i++) {
			if ($i ~ /^waker=/) w = substr($i, 7)
			if ($i ~ /^wake_dt=/) d = 1
		}
		if (w != "" && w != "0" && w != $3 && d) n++ } END { print n + 0 }'
}

@test "html: rows are tall enough and labelled with the thread's name, unclipped" {
	record w.trace "$FIX/tl-workers" 4
	"$CTRACE" html -o w.html w.trace
	run node "$HTML_DIR/check.js" w.html
	echo "$output"
	assert_success
	assert_line --regexp "^label ([0-9]+) worker-3 \1$"
	assert_line --regexp "^label ([0-9]+) tl-workers \1$"
	assert_line "labels_clipped 0"
	assert_line --regexp "^row_px_min (2[0-9]|[3-9][0-9])$"
	# a long name (a start routine and its line) widens the label column
	long="pool_worker_of_the_render_farm (mandelbrot_render_farm.c:1540)"
	sed "s/\"label\":\"worker-3\"/\"label\":\"$long\"/" w.html > long.html
	run node "$HTML_DIR/check.js" long.html
	echo "$output"
	assert_success
	tid=$(printf '%s\n' "$output" | sed -n 's/^label \([0-9]*\) pool_worker.*/\1/p')
	assert_line "label $tid $long $tid"
	assert_line "labels_clipped 0"
}

@test "html: a range dragged on the time axis or shift-dragged shows time by state and thread" {
	record w.trace "$FIX/tl-workers" 4
	"$CTRACE" html -o w.html w.trace
	run node "$HTML_DIR/check.js" w.html
	echo "$output"
	assert_success
	# check.js sums the embedded slices clipped to the range itself
	assert_line "range_axis yes"
	assert_line "range_threads 5"
	assert_line "range_shift yes"
	assert_line "range_cleared yes"
	# a short thread at the very end (a busy machine starts one late)
	# still has time in the range: it reaches every thread's midpoint
	record late.trace "$FIX/tl-workers" 4 late
	"$CTRACE" html -o late.html late.trace
	run node "$HTML_DIR/check.js" late.html
	echo "$output"
	assert_success
	assert_line "range_axis yes"
	assert_line "range_threads 5"
}

@test "html: W/S zoom, A/D pan, as in Perfetto" {
	record p.trace "$FIX/tl-workers" pingpong 50
	"$CTRACE" html -o p.html p.trace
	run node "$HTML_DIR/check.js" p.html
	echo "$output"
	assert_success
	assert_line "key_w yes"
	assert_line "key_d yes"
	assert_line "key_a yes"
	assert_line "key_s yes"
	assert_line "key_w_mouse yes"
	assert_line "key_in_search_ignored yes"
}

@test "html: the toggle draws every wake arrow in view" {
	record p.trace "$FIX/tl-workers" pingpong 50
	"$CTRACE" html -o p.html p.trace
	run node "$HTML_DIR/check.js" p.html
	echo "$output"
	assert_success
	assert_line "arrows_all $(woken p.trace)"
	assert_line "arrows_toggle yes"
	record m.trace "$FIX/mutex8"
	"$CTRACE" html -o m.html m.trace
	run node "$HTML_DIR/check.js" m.html
	assert_success
	assert_line "arrows_all $(woken m.trace)"
}

@test "html: search finds blocked calls by call and by function, and jumps to one" {
	record p.trace "$FIX/tl-workers" pingpong 50
	"$CTRACE" html -o p.html p.trace
	run node "$HTML_DIR/check.js" p.html
	echo "$output"
	assert_success
	assert_line "search cond_wait $(events p.trace cond_wait)"
	# a player that found the mutex held blocks in mutex_block; when one
	# did, and its interval came first, the search must still be exact
	mb=$(events p.trace mutex_block)
	[ "$mb" -eq 0 ] || assert_line "search mutex_block $mb"
	refute_line --partial "search_expected"
	# the blocked calls with player() in their stack: its cond_waits,
	# and the mutex_block of a player that found the mutex held, if any
	in_player=$("$CTRACE" dump p.trace | awk '/ dur=/ && / stack=[^ ]*player/' | wc -l)
	[ "$in_player" -ge "$(events p.trace cond_wait)" ]
	assert_line "search player $in_player"
	refute_line "search_jump no"
	assert_line "search_jump yes"
}

@test "html: bad input and usage" {
	run "$CTRACE" html a.trace b.trace
	assert_failure 2
	run "$CTRACE" html -x w.trace
	assert_failure 2
	run "$CTRACE" html nothing.trace
	assert_failure 3
	[ ! -e nothing.trace.html ]
	echo garbage > bad.trace
	run "$CTRACE" html bad.trace
	assert_failure 4
	[ ! -e bad.trace.html ]
}
