#!/bin/sh
# deps.sh - make sure the Debian packages ctrace needs are installed.
#
#   sh deps.sh         (make deps, make test, make demo) everything the
#                      build, the examples and the tests use; as root it
#                      installs what is missing with apt-get, otherwise it
#                      names the packages and fails
#   sh deps.sh build   (make, before the first compile) only what the
#                      build needs, probed with pkg-config; it names what
#                      is missing and installs nothing
#   sh deps.sh fuzz    (make fuzz) clang with its libFuzzer runtime
#   sh deps.sh peers   (make bench PEERS=1) the tracers ctrace is compared
#                      with; as root it installs them, otherwise it names
#                      them and fails (their rows then say not installed)
set -u

# build: compiler, lz4 (trace compression), elfutils (symbols), zlib,
# protobuf-c (pprof and Perfetto output); the preload dlopens libgcc_s
# (libc6 brings it) for deep stacks.  pkg-config module, then the
# Debian package that ships its .pc file.
BUILD_PC="liblz4:liblz4-dev libelf:libelf-dev libdw:libdw-dev zlib:zlib1g-dev
libprotobuf-c:libprotobuf-c-dev"
# and the commands it runs, with their packages
BUILD_CMDS="${CC:-cc}:gcc make:make pkg-config:pkg-config
protoc-c:protobuf-c-compiler"

if [ "${1:-}" = build ]; then
	missing=""
	for c in $BUILD_CMDS; do
		command -v "${c%%:*}" >/dev/null 2>&1 || missing="$missing ${c#*:}"
	done
	if command -v pkg-config >/dev/null 2>&1; then
		for m in $BUILD_PC; do
			pkg-config --exists "${m%%:*}" || missing="$missing ${m#*:}"
		done
	fi
	[ -z "$missing" ] && exit 0
	echo "deps: the build needs the Debian packages:$missing" >&2
	echo "deps: install them with: sudo apt-get install$missing" \
		"(or run make deps as root)" >&2
	exit 1
fi

# everything: the build's packages; libpng (the mandelbrot example
# writes a PNG: make demo, make test);
# test: bats with its helper libraries, real programs the tests trace,
# protoc (decodes Perfetto exports), chromium (the html page, driven by
# node and npm with tests/html's playwright-core),
# GNU time (make bench: the analyzer's peak memory), redis (an epoll
# server under load), strace (io counts compared with ctrace's) and Go
# (go tool pprof reads the pprof profiles)
PKGS="gcc make libc6-dev liblz4-dev libelf-dev libdw-dev zlib1g-dev libpng-dev
protobuf-c-compiler libprotobuf-c-dev pkg-config
bats bats-support bats-assert python3 xz-utils pigz sqlite3 procps
protobuf-compiler chromium time
redis-server redis-tools strace golang-go"
# `sh deps.sh fuzz` (make fuzz): clang with its libFuzzer runtime, for the
# fuzz harnesses of tests/fuzz only; building and make test do not need it
[ "${1:-}" = fuzz ] && PKGS="clang libclang-rt-dev"
# `sh deps.sh peers` (make bench PEERS=1): uftrace; LTTng's session
# daemon, its libc and pthread wrapper libraries (liblttng-ust1) and
# babeltrace2 to count its events; heaptrack, with zstd to read its
# trace; strace; ltrace
[ "${1:-}" = peers ] && PKGS="uftrace lttng-tools liblttng-ust1 babeltrace2
heaptrack zstd strace ltrace"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
# node and npm by their commands: a nodesource node bundles npm and
# conflicts with Debian's npm package, so ask for the packages only when
# the commands are missing
if [ "${1:-}" != peers ]; then
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
		missing="$missing nodejs npm"
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } \
		>/tmp/ctrace-deps.log 2>&1 || {
		echo "deps: apt-get failed, see /tmp/ctrace-deps.log" >&2
		exit 1
	}
	exit 0
fi
echo "deps: missing Debian packages:$missing" >&2
echo "deps: install them with: sudo apt-get install$missing" >&2
exit 1
