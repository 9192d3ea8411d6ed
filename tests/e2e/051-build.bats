#!/usr/bin/env bats
# the build: `make` needs only the build dependencies and installs
# nothing, the examples are not part of it, and each object is rebuilt
# when a header it includes changes, not when any header does

load helpers

# a stub pkg-config that knows every module but $1, and an apt-get that
# would leave a mark if anything called it
stubs() {
	mkdir -p stub
	cat > stub/pkg-config <<-EOS
	#!/bin/sh
	for a; do [ "\$a" = "$1" ] && exit 1; done
	exit 0
	EOS
	printf '#!/bin/sh\ntouch "%s/apt-called"\n' "$PWD" > stub/apt-get
	chmod +x stub/pkg-config stub/apt-get
}

@test "a missing build library is named, with its package, and nothing is installed" {
	stubs libdw
	PATH="$PWD/stub:$PATH" run sh "$CTRACE_TOP/scripts/deps.sh" build
	assert_failure 1
	assert_output "deps: the build needs the Debian packages: libdw-dev
deps: install them with: sudo apt-get install libdw-dev (or run make deps as root)"
	[ ! -e apt-called ]
	# and make stops there, before any compile
	PATH="$PWD/stub:$PATH" run make -C "$CTRACE_TOP" O="$PWD/b" all
	assert_failure
	assert_line --index 1 "deps: the build needs the Debian packages: libdw-dev"
	refute_output --partial "CC "
	[ ! -e apt-called ]
}

@test "make all builds the programs only: no examples, no test tools" {
	run make -n -C "$CTRACE_TOP" O="$PWD/b" all
	assert_success
	assert_output --partial "deps.sh build"
	refute_output --regexp 'deps\.sh($| [^b])'
	refute_output --partial "examples/"
	assert_output --partial "bin/ctrace-analyze"
	# demo and test build them
	run make -n -C "$CTRACE_TOP" O="$PWD/b" demo
	assert_output --partial "examples"
}

@test "a header's change rebuilds exactly the objects that include it" {
	# a copy of the sources, so the checkout's own build is not touched
	mkdir src
	cp -r "$CTRACE_TOP"/Makefile "$CTRACE_TOP"/format "$CTRACE_TOP"/util \
	      "$CTRACE_TOP"/collector "$CTRACE_TOP"/scripts src/
	make -s -C src O=b -j2 b/bin/ctrace-collector >/dev/null
	run make -q -C src O=b b/bin/ctrace-collector
	assert_success
	sleep 1
	touch src/util/outfile.h
	run make -n -C src O=b b/bin/ctrace-collector
	assert_success
	got=$(printf '%s\n' "$output" | grep -o ' -c [^ ]*\.c' | sort | tr '\n' ' ')
	# outfile.h includes nothing of ours that others include through it
	want=$(cd src && grep -l '"outfile.h"' util/*.c collector/*.c | \
	       sed 's/^/ -c /' | sort | tr '\n' ' ')
	assert_equal "$got" "$want"
	assert_equal "$want" " -c collector/flight.c  -c collector/writer.c  -c util/outfile.c "
}
