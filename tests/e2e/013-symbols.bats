#!/usr/bin/env bats
# self-contained symbols: the trace names the code its stacks and start
# routines point at, after the binaries are deleted, stripped or moved

load helpers

SRC="$CTRACE_TOP/tests/fixtures"

# line LINE-PATTERN FILE: the line number of the first line matching
line() {
	grep -n -m1 -F -- "$1" "$2" | cut -d: -f1
}

# dumped EVENT FIELD: FIELD of every EVENT line of t.trace, one per line
dumped() {
	"$CTRACE" dump t.trace | awk -v n="$1" '$4 == n' |
		tr ' ' '\n' | sed -n "s/^$2=//p"
}

@test "a dlopen'ed library's functions are named after it is deleted" {
	asan_skip "pthread_create's callsites"
	cp "$FIX/libsymblock.so" "$T/libcopy.so"
	record t.trace "$FIX/sym-dlopen" "$T/libcopy.so"
	assert_success
	assert_output "symblock=0"
	rm "$T/libcopy.so"
	lock=$(line 'int r = pthread_mutex_lock(m);' "$SRC/libsymblock.c")
	create=$(line 'if (pthread_create(&t, NULL, blocker, NULL))' "$SRC/libsymblock.c")
	# exactly one contended lock, named with its file and line
	run dumped mutex_block stack
	assert_output --regexp "^symblock_lock\+0x[0-9a-f]+\(libsymblock\.c:$lock\)(\+[0-9]+)?$"
	run dumped thread_create stack
	assert_output --regexp "^symblock_run\+0x[0-9a-f]+\(libsymblock\.c:$create\)(\+[0-9]+)?$"
	# start routines are entry points: no offset
	run dumped thread_create routine
	assert_output --regexp '^blocker\(libsymblock\.c:[0-9]+\)$'
	run dumped thread_start routine
	assert_output --regexp '^blocker\(libsymblock\.c:[0-9]+\)$'
	run "$CTRACE" info t.trace
	assert_output --regexp 'module [1-9][0-9]*, symbol [1-9]'
}

@test "a library deleted while it is mapped is read from the process" {
	# /proc/PID/map_files needs CAP_SYS_ADMIN (or checkpoint_restore)
	[ "$(id -u)" = 0 ] || skip "needs root for /proc/PID/map_files"
	cp "$FIX/libsymblock.so" "$T/libgone.so"
	record t.trace "$FIX/sym-dlopen" "$T/libgone.so" unlink
	assert_success
	assert_output "symblock=0"
	[ ! -e "$T/libgone.so" ]
	lock=$(line 'int r = pthread_mutex_lock(m);' "$SRC/libsymblock.c")
	run dumped mutex_block stack
	assert_output --regexp "^symblock_lock\+0x[0-9a-f]+\(libsymblock\.c:$lock\)(\+[0-9]+)?$"
}

@test "a stripped library is named through its dynamic symbols" {
	asan_skip "pthread_create's callsites"
	command -v strip >/dev/null || skip "no strip"
	cp "$FIX/libsymblock.so" "$T/libfull.so"
	cp "$FIX/libsymblock.so" "$T/libstripped.so"
	strip "$T/libstripped.so"
	# nothing left but .dynsym: no .symtab, no DWARF
	run readelf -S -W "$T/libstripped.so"
	assert_output --partial ".dynsym"
	refute_output --partial ".symtab"
	refute_output --partial ".debug_"
	record full.trace "$FIX/sym-dlopen" "$T/libfull.so"
	assert_success
	record t.trace "$FIX/sym-dlopen" "$T/libstripped.so"
	assert_success
	assert_output "symblock=0"
	rm "$T/libstripped.so" "$T/libfull.so"
	# the exported function, at the same offset, without a line
	run dumped mutex_block stack
	assert_output --regexp '^symblock_lock\+0x[0-9a-f]+(\+[0-9]+)?$'
	# frame 0 only: how many deeper frames were unwound may differ
	stripped=$(printf '%s' "$output" | sed 's/+[0-9]*$//')
	full=$("$CTRACE" dump full.trace | awk '$4 == "mutex_block"' |
		grep -o 'stack=symblock_lock+0x[0-9a-f]*')
	assert_equal "stack=$stripped" "$full"
	run dumped thread_create stack
	assert_output --regexp '^symblock_run\+0x[0-9a-f]+$'
	# the static start routine is in no dynamic table: module + offset
	run dumped thread_start routine
	assert_output --regexp '^libstripped\.so\+0x[0-9a-f]+$'
}

# split LIB DEBUG: LIB without DWARF, its .gnu_debuglink naming DEBUG
split() {
	objcopy --strip-debug --add-gnu-debuglink="$2" "$1"
	run readelf -S -W "$1"
	refute_output --partial ".debug_info"
}

@test "a library's debug file is found through its .gnu_debuglink" {
	asan_skip "pthread_create's callsites"
	command -v objcopy >/dev/null || skip "no objcopy"
	mkdir -p "$T/lib/.debug"
	cp "$FIX/libsymblock.so" "$T/lib/libsplit.so"
	objcopy --only-keep-debug "$T/lib/libsplit.so" "$T/lib/.debug/libsplit.debug"
	split "$T/lib/libsplit.so" "$T/lib/.debug/libsplit.debug"
	record t.trace "$FIX/sym-dlopen" "$T/lib/libsplit.so"
	assert_success
	assert_output "symblock=0"
	lock=$(line 'int r = pthread_mutex_lock(m);' "$SRC/libsymblock.c")
	run dumped mutex_block stack
	assert_output --regexp "^symblock_lock\+0x[0-9a-f]+\(libsymblock\.c:$lock\)(\+[0-9]+)?$"
}

@test "a debug file of another build is not taken for the library's" {
	asan_skip "pthread_create's callsites"
	command -v objcopy >/dev/null || skip "no objcopy"
	mkdir -p "$T/lib/.debug"
	cp "$FIX/libsymblock.so" "$T/lib/libsplit.so"
	objcopy --only-keep-debug "$FIX/mutex8" "$T/lib/.debug/libsplit.debug"
	split "$T/lib/libsplit.so" "$T/lib/.debug/libsplit.debug"
	record t.trace "$FIX/sym-dlopen" "$T/lib/libsplit.so"
	assert_success
	# named from .symtab, which --strip-debug keeps: no line
	run dumped mutex_block stack
	assert_output --regexp '^symblock_lock\+0x[0-9a-f]+(\+[0-9]+)?$'
}

@test "the collector looks for debug files without a debuginfod client" {
	# gzip has no debug file here: dwfl_standard_find_debuginfo() would
	# have dlopened libdebuginfod (libcurl, gnutls...) to ask for one
	[ ! -e "/usr/lib/debug/.build-id/$(readelf -n "$(command -v gzip)" |
		sed -n 's/.*Build ID: \(..\)\(.*\)/\1\/\2/p').debug" ] ||
		skip "gzip has a debug file here"
	LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld" \
		record t.trace sh -c 'gzip -c /etc/services >/dev/null'
	assert_success
	# the collector, the one process that loads libdw
	run grep -l 'file=libdw\.so' "$T"/ld.*
	assert_equal "${#lines[@]}" 1
	run grep -c 'file=libdebuginfod' "${lines[0]}"
	assert_output 0
	run "$CTRACE" report t.trace
	assert_output --regexp ' io +read +gzip\+0x'
}

@test "thread start routines and callsites of a program are named" {
	asan_skip "pthread_create's start routines"
	record t.trace "$FIX/mutex8"
	assert_success
	src="$SRC/mutex8.c"
	fn=$(line 'static void *worker(void *arg)' "$src")
	lock=$(line 'pthread_mutex_lock(&lock);' "$src")
	create=$(line 'pthread_create(&t[i], NULL, worker, NULL);' "$src")
	join=$(line 'pthread_join(t[i], NULL);' "$src")
	run dumped thread_start routine
	[ "${#lines[@]}" -eq 8 ]
	for r in "${lines[@]}"; do
		[[ "$r" == "worker(mutex8.c:$fn)" ||
		   "$r" == "worker(mutex8.c:$((fn + 1)))" ]]
	done
	[ "$(dumped thread_create routine | sort -u | wc -l)" -eq 1 ]
	# contention varies: whatever blocked, blocked there
	[ -z "$(dumped mutex_block stack | grep -Ev "^worker\+0x[0-9a-f]+\(mutex8\.c:$lock\)(\+[0-9]+)?$")" ]
	run dumped thread_create stack
	assert_line --regexp "^main\+0x[0-9a-f]+\(mutex8\.c:$create\)(\+[0-9]+)?$"
	run dumped thread_join stack
	assert_line --regexp "^main\+0x[0-9a-f]+\(mutex8\.c:$join\)(\+[0-9]+)?$"
}

@test "C++ names are demangled, at the line in the named function" {
	command -v g++ >/dev/null || skip "no g++"
	cat > symcxx.cc <<'EOF'
// a namespaced method blocks once on a contended std::mutex
#include <fcntl.h>
#include <mutex>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace bank {
struct Account {
	std::mutex m;
	long balance = 0;
	void deposit(long v);
};

__attribute__((noinline)) void Account::deposit(long v)
{
	std::lock_guard<std::mutex> g(m);	// LOCK
	balance += v;
}
}

static volatile int tid;

static bool asleep(int t)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", t);
	int fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
	if (fd < 0)
		return false;
	long n = syscall(SYS_read, fd, buf, sizeof(buf) - 1);
	syscall(SYS_close, fd);
	buf[n > 0 ? n : 0] = 0;
	char *p = buf;
	while (*p && *p != ')')
		p++;
	return p[0] == ')' && p[1] == ' ' && p[2] == 'S';
}

int main()
{
	bank::Account a;
	a.m.lock();
	std::thread th([&a] {
		tid = syscall(SYS_gettid);
		a.deposit(42);
	});
	while (!tid || !asleep(tid))
		sched_yield();
	a.m.unlock();
	th.join();
	printf("balance=%ld\n", a.balance);
	return 0;
}
EOF
	# -O2: the lock is inlined from <mutex> into the method
	g++ -O2 -g -pthread -o symcxx symcxx.cc
	record t.trace ./symcxx
	assert_success
	assert_output "balance=42"
	rm symcxx
	lock=$(line '// LOCK' symcxx.cc)
	# what <mutex> inlined there comes first, innermost first, then
	# the method at its own line
	run dumped mutex_block stack
	assert_output --regexp "^([^;]+;)*std::lock_guard<std::mutex>::lock_guard\([a-z_]+\.h:[0-9]+\);bank::Account::deposit\+0x[0-9a-f]+\(symcxx\.cc:$lock\)(\+[0-9]+)?$"
	run dumped thread_join stack
	assert_output --regexp '^std::thread::join\+0x[0-9a-f]+'
}

@test "a trace moved away from its binaries still names its code" {
	asan_skip "pthread_create's start routines"
	mkdir bin lib run elsewhere
	cp "$FIX/sym-dlopen" "$FIX/mutex8" bin/
	cp "$FIX/libsymblock.so" lib/libmoved.so
	record run/t.trace bin/sym-dlopen "$T/lib/libmoved.so"
	assert_success
	record run/m.trace bin/mutex8
	assert_success
	rm -rf bin lib
	mv run/t.trace run/m.trace elsewhere/
	rmdir run
	cd elsewhere
	lock=$(line 'int r = pthread_mutex_lock(m);' "$SRC/libsymblock.c")
	run dumped mutex_block stack
	assert_output --regexp "^symblock_lock\+0x[0-9a-f]+\(libsymblock\.c:$lock\)(\+[0-9]+)?$"
	run "$CTRACE" dump m.trace
	assert_line --regexp ' thread_start .* routine=worker\(mutex8\.c:[0-9]+\)$'
	assert_line --regexp ' mutex_block .* stack=worker\+0x[0-9a-f]+\(mutex8\.c:[0-9]+\)(\+[0-9]+)?$'
}

@test "symbolic stacks are the same from run to run" {
	# two runs of one program print the same symbolic stacks, so dumps
	# can be compared although addresses move (ASLR); thread events
	# only, since contention varies from run to run
	record a.trace "$FIX/mutex8"
	record b.trace "$FIX/mutex8"
	a=$("$CTRACE" dump a.trace | grep ' thread_' |
		grep -o '\(stack\|routine\)=[^ ]*' | sort -u)
	b=$("$CTRACE" dump b.trace | grep ' thread_' |
		grep -o '\(stack\|routine\)=[^ ]*' | sort -u)
	assert_equal "$a" "$b"
	[ "$(echo "$a" | wc -l)" -eq 3 ]
	[ -z "$(echo "$a" | grep '=0x')" ]
}

# inline_case BINARY: the two inlined sites of sym-inline apart
inline_case() {
	local src="$SRC/sym-inline.c" nap first second
	nap=$(line '/* NAP */' "$src")
	first=$(line '/* FIRST */' "$src")
	second=$(line '/* SECOND */' "$src")
	record t.trace "$1"
	assert_success
	assert_output "naps=1,1"
	# text: the inlined function at its line, then the caller at the
	# line of each call, two stacks
	run "$CTRACE" profile sync t.trace
	assert_success
	[ "$(grep -c "^ .*  nap (sym-inline\.c:$nap)$" <<<"$output")" -eq 2 ]
	[ "$(grep -A1 "  nap (sym-inline\.c:$nap)$" <<<"$output" |
	     grep -o 'main (sym-inline\.c:[0-9]*)' | sort)" = \
	  "$(printf 'main (sym-inline.c:%s)\nmain (sym-inline.c:%s)' \
		 $(printf '%s\n' "$first" "$second" | sort))" ]
	# folded: the inlined function after its caller, then the call
	run "$CTRACE" profile sync --format folded t.trace
	assert_success
	[ "$(grep -c '^_start;.*;main;nap;pthread_cond_wait [0-9]*$' <<<"$output")" -eq 2 ]
	# dump: the chain in one token, the call's line in main
	run dumped cond_wait stack
	assert_line --regexp "^nap\(sym-inline\.c:$nap\);main\+0x[0-9a-f]+\(sym-inline\.c:$first\)\+[0-9]+$"
	assert_line --regexp "^nap\(sym-inline\.c:$nap\);main\+0x[0-9a-f]+\(sym-inline\.c:$second\)\+[0-9]+$"
	# report: each site as the inlined call in its caller
	run "$CTRACE" report t.trace
	assert_line --regexp " cond_wait +nap \(sym-inline\.c:$nap\) in main \(sym-inline\.c:$first\)$"
	assert_line --regexp " cond_wait +nap \(sym-inline\.c:$nap\) in main \(sym-inline\.c:$second\)$"
	# html flame data: both functions as frames, named without offsets
	"$CTRACE" html -o t.html t.trace
	grep -q "\"nap (sym-inline\.c:$nap)\"" t.html
	grep -q "\"main (sym-inline\.c:$first)\"" t.html
	grep -q "\"main (sym-inline\.c:$second)\"" t.html
	! grep -q '"main+0x' t.html
}

@test "a function inlined at two lines of its caller is two frames (-O1)" {
	inline_case "$FIX/sym-inline"
}

@test "a function inlined at two lines of its caller is two frames (-O2)" {
	cc -std=gnu11 -O2 -g -o sym-inline "$SRC/sym-inline.c" -pthread
	inline_case ./sym-inline
}

@test "mandelbrot: the worker's two inlined channel waits are two stacks" {
	record t.trace "$CTRACE_BUILD/examples/mandelbrot" -m workers -n 2 \
		-w 128 -h 128 -o m.png
	assert_success
	h="$CTRACE_TOP/examples/common.h"
	lock=$(awk '/^static inline bool chan_recv/ { f = 1 }
		    f && /pthread_mutex_lock/ { print NR; exit }' "$h")
	wait=$(awk '/^static inline bool chan_recv/ { f = 1 }
		    f && /pthread_cond_wait/ { print NR; exit }' "$h")
	run "$CTRACE" profile sync t.trace
	assert_success
	# every worker frame says which inlined call it was in
	[ "$(grep -c '^ *pool_worker (mandelbrot\.c:[0-9]*)$' <<<"$output")" -ge 1 ]
	[ -z "$(grep -B1 '^ *pool_worker (mandelbrot\.c:[0-9]*)$' <<<"$output" |
		grep -v -e '^--$' -e 'pool_worker' |
		grep -Ev "chan_recv \(common\.h:($lock|$wait)\)$")" ]
	# the workers wait for rows (the channel is unbuffered)
	assert_output --regexp "  chan_recv \(common\.h:$wait\)"$'\n'" +pool_worker \(mandelbrot\.c:[0-9]+\)"
}

@test "contended objects are named by their data symbol or heap block" {
	asan_skip "its heap calls"
	record t.trace "$FIX/sym-objects"
	assert_success
	assert_output "contended=3"
	alloc=$(line 'malloc(sizeof(*q));	/* ALLOC */' "$SRC/sym-objects.c")
	heap="heap+0x8 (alloc at make_queue (sym-objects.c:$alloc))"
	# profile sync: each name under its object's address
	run "$CTRACE" profile sync t.trace
	assert_success
	objs=$(sed -n '/^contended objects/,$p' <<<"$output" | tail -n +3)
	[ "$(grep -c '^  [0-9]' <<<"$objs")" -eq 3 ]
	[ "$(grep -v '^  [0-9]' <<<"$objs" | sed 's/^ *//' | sort)" = \
	  "$(printf '%s\n' "$heap" jobs_lock slots+0x68 | sort)" ]
	# the address of each is the one its mutex_block waited on
	[ "$(events t.trace mutex_block)" -eq 3 ]
	for name in jobs_lock slots+0x68 "$heap"; do
		addr=$(grep -B1 -xF "           $name" <<<"$objs" | head -1 |
			awk '{ print $2 }')
		"$CTRACE" dump t.trace | grep -q " mutex_block .* obj=$addr "
	done
	# report: after the address
	run "$CTRACE" report t.trace
	assert_line --regexp '^  pid [0-9]+ +0x[0-9a-f]+ +jobs_lock  mutex_block '
	assert_line --regexp '^  pid [0-9]+ +0x[0-9a-f]+ +slots\+0x68  mutex_block '
	assert_line --regexp "^  pid [0-9]+ +0x[0-9a-f]+ +heap\\+0x8 \\(alloc at make_queue \\(sym-objects\\.c:$alloc\\)\\)  mutex_block "
	# the trace holds the data names, for the two globals only
	run "$CTRACE" info t.trace
	assert_output --regexp ' data 2,'
}

@test "an object no data symbol or recorded block holds stays an address" {
	# without heap events the heap mutex has no allocation to name it
	CTRACE_EVENTS=thread,sync record t.trace "$FIX/sym-objects"
	assert_success
	run "$CTRACE" profile sync t.trace
	assert_success
	objs=$(sed -n '/^contended objects/,$p' <<<"$output" | tail -n +3)
	[ "$(grep -c '^  [0-9]' <<<"$objs")" -eq 3 ]
	[ "$(grep -v '^  [0-9]' <<<"$objs" | sed 's/^ *//' | sort)" = \
	  "$(printf '%s\n' jobs_lock slots+0x68)" ]
}

@test "timeline exports name objects by their data symbol" {
	record t.trace "$FIX/sym-objects"
	assert_success
	"$CTRACE" export --format json -o t.json t.trace
	run python3 - t.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for e in d['traceEvents']:
    if e.get('name') == 'mutex_block':
        print(e['args']['object'], e['args'].get('object_name', '-'))
PY
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	[ "$(printf '%s\n' "${lines[@]}" | awk '{ print $2 }' | sort | tr '\n' ' ')" = "- jobs_lock slots+0x68 " ]
	# the same addresses profile sync names so
	p=$("$CTRACE" profile sync t.trace)
	for l in "${lines[@]}"; do
		set -- $l
		[ "$2" = - ] && continue
		grep -A1 " $1 " <<<"$p" | grep -qx "           $2"
	done
}

@test "go tool pprof: an inlined call is a Line of its own, the sites apart" {
	command -v go >/dev/null || skip "go (golang-go) not installed"
	src="$SRC/sym-inline.c"
	nap=$(line '/* NAP */' "$src")
	first=$(line '/* FIRST */' "$src")
	second=$(line '/* SECOND */' "$src")
	record t.trace "$FIX/sym-inline"
	assert_success
	"$CTRACE" profile sync --format pprof -o t.pb.gz t.trace
	HOME="$T" run go tool pprof -traces -lines t.pb.gz
	assert_success
	[ "$(grep -c "  nap .*sym-inline\\.c:$nap (inline)$" <<<"$output")" -eq 2 ]
	[ "$(grep -A1 "  nap .*sym-inline\\.c:$nap (inline)$" <<<"$output" |
	     grep -o 'main .*sym-inline\.c:[0-9]*$' | sed 's/.*://' | sort)" = \
	  "$(printf '%s\n' "$first" "$second" | sort)" ]
}

@test "the html page names objects by their data symbol, with the address" {
	record t.trace "$FIX/sym-objects"
	assert_success
	"$CTRACE" html -o t.html t.trace
	# the interval data's object column: 'name (0x...)' or the address
	grep -o '"mutex_block","[^"]*"' t.html | sed 's/^"mutex_block","//; s/"$//' |
		sed 's/ (0x[0-9a-f]*)$//; s/^0x[0-9a-f]*$/-/' | sort > objs
	assert_equal "$(tr '\n' ' ' < objs)" "- jobs_lock slots+0x68 "
}

# names TRACE: the symbolic stacks and routines of TRACE's events, sorted
names() {
	"$CTRACE" dump "$1" | grep -o '\(stack\|routine\)=[^ ]*' | sort -u
}

@test "names kept across runs are the names resolving gives" {
	asan_skip "pthread_create's callsites"
	cc -std=gnu11 -O2 -g -o sym-inline "$SRC/sym-inline.c" -pthread
	record fresh.trace ./sym-inline
	assert_success
	export CTRACE_CACHE_DIR="$T/sc"
	record first.trace ./sym-inline
	record second.trace ./sym-inline
	assert_success
	fresh=$(names fresh.trace)
	# inline chains, lines and libc's frames: all there, all the same
	[ "$(grep -c 'nap(sym-inline\.c:[0-9]*);main+0x' <<<"$fresh")" -eq 2 ]
	assert_equal "$(names first.trace)" "$fresh"
	assert_equal "$(names second.trace)" "$fresh"
	# one file per object (the program, libc...), private to the user
	[ "$(stat -c %a sc)" = 700 ]
	id=$(readelf -n sym-inline | sed -n 's/^ *Build ID: //p')
	[ -n "$id" ]
	n=$(find sc -type f | wc -l)
	[ "$n" -ge 2 ]
	[ "$(find sc -type f -perm 600 | wc -l)" -eq "$n" ]
	# the second run read the answers: an edited one shows
	sed -i 's/\tnap\t/\tnap_kept\t/' sc/"$id"-*
	record third.trace ./sym-inline
	assert_success
	[ "$(names third.trace | grep -c 'nap_kept(sym-inline\.c:[0-9]*);main')" -eq 2 ]
}

@test "a damaged or foreign symbol cache costs nothing but its answers" {
	asan_skip "pthread_create's callsites"
	cc -std=gnu11 -O2 -g -o sym-inline "$SRC/sym-inline.c" -pthread
	record fresh.trace ./sym-inline
	export CTRACE_CACHE_DIR="$T/sc"
	record first.trace ./sym-inline
	# garbage in every file, a truncated header, lines cut short
	for f in sc/*; do head -c 3000 /dev/urandom >"$f"; done
	record t.trace ./sym-inline
	assert_success
	assert_output "naps=1,1"
	assert_equal "$(names t.trace)" "$(names fresh.trace)"
	# and the files were made whole again
	for f in sc/*; do head -1 "$f" | grep -q '^ctrace-symcache 1	file '; done
	for f in sc/*; do printf 'ctrace-symcache 1\tfile 1 2\n1\t0\t\t1\n' >"$f"; done
	record u.trace ./sym-inline
	assert_equal "$(names u.trace)" "$(names fresh.trace)"
	for f in sc/*; do cut -c1-40 "$f" | head -1; done >heads
	! grep -q 'file 1 2$' heads
	# a directory it cannot create: no cache, same names
	CTRACE_CACHE_DIR=/proc/nonexistent/sc record v.trace ./sym-inline
	assert_success
	assert_equal "$(names v.trace)" "$(names fresh.trace)"
}

@test "a stripped copy with the same build-id keeps its own names" {
	asan_skip "pthread_create's callsites"
	command -v strip >/dev/null || skip "no strip"
	export CTRACE_CACHE_DIR="$T/sc"
	cp "$FIX/libsymblock.so" "$T/libfull.so"
	cp "$FIX/libsymblock.so" "$T/libstripped.so"
	strip "$T/libstripped.so"
	record full.trace "$FIX/sym-dlopen" "$T/libfull.so"
	record t.trace "$FIX/sym-dlopen" "$T/libstripped.so"
	assert_success
	run dumped mutex_block stack
	assert_output --regexp '^symblock_lock\+0x[0-9a-f]+(\+[0-9]+)?$'
	run dumped thread_start routine
	assert_output --regexp '^libstripped\.so\+0x[0-9a-f]+$'
	# and the full copy, after it, still has its lines
	record again.trace "$FIX/sym-dlopen" "$T/libfull.so"
	run "$CTRACE" dump again.trace
	assert_output --regexp 'mutex_block .*stack=symblock_lock\+0x[0-9a-f]+\(libsymblock\.c:[0-9]+\)'
}
