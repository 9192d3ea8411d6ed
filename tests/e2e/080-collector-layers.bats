#!/usr/bin/env bats
# the collector's files form the layers collector/col.h lists

load helpers

# layers FILE: "name.c layer" per file of col.h's "layer N  a.c b.c" lines
layers() {
	sed -n 's/^ \*   layer \([0-9][0-9]*\)  *\(.*\)$/\1 \2/p' "$1" |
		awk '{ for (i = 2; i <= NF && $i ~ /^[a-z_]+\.c$/; i++)
			print $i, $1 }'
}

# calls OBJDIR: "user.c definer.c symbol" for each global symbol one
# collector object uses and another defines
calls() {
	local o
	for o in "$1"/*.o; do
		nm --defined-only -g "$o" |
			awk -v f="$(basename "$o" .o).c" 'NF == 3 { print "D", f, $3 }'
		nm -u "$o" |
			awk -v f="$(basename "$o" .o).c" '{ print "U", f, $NF }'
	done | awk '$1 == "D" { def[$3] = $2; next }
		    { use[NR] = $2 " " $3 }
		    END { for (i in use) { split(use[i], u, " ")
			  if (u[2] in def && def[u[2]] != u[1])
				print u[1], def[u[2]], u[2] } }' | sort -u
}

# upcalls LAYERS CALLS: each call that is not to a lower layer, and each
# file without a layer
upcalls() {
	awk 'NR == FNR { layer[$1] = $2; next }
	     !($1 in layer) { print $1 ": no layer in col.h"; next }
	     !($2 in layer) { print $2 ": no layer in col.h"; next }
	     layer[$2] <= layer[$1] { print $1 " (layer " layer[$1] ") calls " \
		$3 " of " $2 " (layer " layer[$2] ")" }' "$1" "$2" | sort -u
}

@test "no collector file calls a file of its own layer or one above" {
	obj="$CTRACE_BUILD/obj/collector"
	layers "$CTRACE_TOP/collector/col.h" >layers.txt
	# every source file has a layer, and every one its object
	for c in "$CTRACE_TOP"/collector/*.c; do
		f=$(basename "$c")
		grep -q "^$f " layers.txt || { echo "$f: no layer in col.h"; false; }
		[ -f "$obj/${f%.c}.o" ]
	done
	calls "$obj" >calls.txt
	cat calls.txt
	# the objects do call each other: the check below sees real calls
	grep -q "^loop.c client.c col_client_read$" calls.txt
	grep -q "^client.c proc.c col_image_hello$" calls.txt
	run upcalls layers.txt calls.txt
	assert_output ""
}

@test "the layer check names a call up a layer" {
	printf 'a.c 1\nb.c 2\n' >layers.txt
	printf 'a.c b.c col_down\nb.c a.c col_up\nb.c c.c col_x\n' >calls.txt
	run upcalls layers.txt calls.txt
	assert_line "b.c (layer 2) calls col_up of a.c (layer 1)"
	assert_line "c.c: no layer in col.h"
	refute_output --partial col_down
}
