#!/bin/sh
# demo.sh - `make demo`: trace the bundled examples the way the Go tracing
# tutorials do (profile first, then the timeline), and leave the reports,
# html pages and Perfetto traces in $O/demo.  O is the build directory.
set -eu
O=${O:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
case $O in /*) B=$O ;; *) B=$top/$O ;; esac
out="$B/demo"
ctrace="$B/bin/ctrace"
ex="$B/examples"
rm -rf "$out"
mkdir -p "$out"

say() {
	printf '\n== %s\n' "$*"
}

show() {	# show CMD...: print the command, then run it
	echo "\$ ctrace ${*#"$ctrace "}" | sed "s|$B/||g"
	"$@"
}

trace() {	# trace NAME CMD...: record CMD into $out/NAME.trace, export it
	name=$1
	shift
	"$ctrace" record -q -o "$out/$name.trace" -- "$@"
	"$ctrace" html -o "$out/$name.html" "$out/$name.trace"
	"$ctrace" export --format perfetto -o "$out/$name.perfetto" \
		"$out/$name.trace"
}

say "mandelbrot 1024x1024, one thread (seq) and a pool of 2 workers fed by an unbuffered channel (workers)"
trace mandelbrot-seq "$ex/mandelbrot" -m seq -o "$out/seq.png"
trace mandelbrot-workers "$ex/mandelbrot" -m workers -n 2 -o "$out/workers.png"
cmp "$out/seq.png" "$out/workers.png" && echo "both modes wrote the same PNG"
# the tutorials' first step: where the CPU goes, then what the threads did
show "$ctrace" profile cpu "$out/mandelbrot-seq.trace"
show "$ctrace" threads "$out/mandelbrot-seq.trace"
show "$ctrace" threads "$out/mandelbrot-workers.trace"

say "findtopic over 200 generated RSS documents: sequential (find) and NumCPU workers with tasks and regions (tasks)"
"$ex/findtopic" gen -d "$out/docs" -n 200 -s 20000
trace findtopic-find "$ex/findtopic" find -d "$out/docs" -v find
trace findtopic-tasks "$ex/findtopic" find -d "$out/docs" -v tasks
show "$ctrace" report "$out/findtopic-tasks.trace"
show "$ctrace" profile io "$out/findtopic-find.trace"

say "what is where"
cd "$out"
ls -1 *.trace *.html *.perfetto | sed 's/^/  /'
echo
echo "open $out/findtopic-tasks.html in a browser, or load a .perfetto"
echo "file at https://ui.perfetto.dev"
