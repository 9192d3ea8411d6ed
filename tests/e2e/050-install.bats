#!/usr/bin/env bats
# make install / uninstall: the installed tool works, pkg-config finds
# ctrace.h, and uninstall mirrors install (a prefix pkg-config does not
# treat as a system directory, so its -I flag is really used)

load helpers

# inst TARGET: make TARGET into $T/root with PREFIX=/opt/ctrace.  -o all:
# what the suite built is installed as it is, never relinked here while
# other tests run those binaries (once a relink mid-suite left
# ctrace-analyze half written under 42 exporter tests)
inst() {
	make -s -C "$CTRACE_TOP" O="$CTRACE_BUILD" PREFIX=/opt/ctrace \
		DESTDIR="$T/root" -o all "$1" >/dev/null
}

@test "install, trace with the installed tool, uninstall leaves nothing" {
	inst install
	R="$T/root/opt/ctrace"
	for f in bin/ctrace bin/ctrace-collector bin/ctrace-analyze \
		 lib/libctrace.so include/ctrace.h lib/pkgconfig/ctrace.pc \
		 share/man/man1/ctrace.1 share/man/man3/libctrace.3 \
		 share/man/man5/ctrace-trace.5; do
		[ -f "$R/$f" ] || { echo "missing $f"; false; }
	done
	# the installed front end finds its library and collector
	# (an ASan build's tools need its runtime first in the program)
	run env ${CTRACE_ASAN_RT:+LD_PRELOAD=$CTRACE_ASAN_RT} \
		"$R/bin/ctrace" record -q -o t.trace -- "$FIX/mutex8"
	assert_success
	assert_output "counter=16000000"
	assert_equal "$(events t.trace thread_create)" 8
	# a program built with only pkg-config's flags runs without ctrace
	printf '#include <ctrace.h>\nint main(void){ctrace_task_t t = ctrace_task_begin("x", 0);\nctrace_task_end(t); return 0;}\n' > p.c
	flags=$(PKG_CONFIG_SYSROOT_DIR="$T/root" \
		PKG_CONFIG_LIBDIR="$R/lib/pkgconfig" pkg-config --cflags --libs ctrace)
	cc -o p p.c $flags
	./p
	inst uninstall
	[ -z "$(find "$T/root" -type f)" ]
}
