#!/bin/sh
# demo.sh - `make demo`: trace the bundled programs and show what ctrace
# records.  O is the build directory.
set -eu
O=${O:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
case $O in /*) B=$O ;; *) B=$top/$O ;; esac
out="$B/demo"
mkdir -p "$out"

run() {
	echo "\$ $*"
	"$@"
	echo
}

echo "== 8 threads contending for one mutex"
run "$B/bin/ctrace" record -o "$out/mutex8.trace" -- "$B/fixtures/mutex8"
run "$B/bin/ctrace" info "$out/mutex8.trace"

echo "== a process that forks 3 children which exec /bin/true"
run "$B/bin/ctrace" record -o "$out/forkexec.trace" -- "$B/fixtures/forkexec"
run "$B/bin/ctrace" info "$out/forkexec.trace"

echo "== the first events of a condvar ping-pong, one line each"
"$B/bin/ctrace" record -q -o "$out/pingpong.trace" -- "$B/fixtures/condpingpong"
"$B/bin/ctrace" dump "$out/pingpong.trace" | head -20
echo
echo "traces are in $out"
