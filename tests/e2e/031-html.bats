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

@test "html: many processes and threads (mutex8) render too" {
	record m.trace "$FIX/mutex8"
	"$CTRACE" html -o m.html m.trace
	run node "$HTML_DIR/check.js" m.html
	echo "$output"
	assert_success
	assert_line "rows 9"
}

@test "html: bad input and usage" {
	run "$CTRACE" html
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
