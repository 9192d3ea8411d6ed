#!/usr/bin/env bats
# io: every read and write, on descriptors named after what they are

load helpers

# tdump FILE: the dump in time order (the file is in batch order, and
# another thread's batch may precede the one naming an fd)
tdump() {
	"$CTRACE" dump "$1" | sort -s -g -k1,1
}

# io_names FILE EVENT: for each EVENT, the name its fd had at that time in
# its process (from FD_OPEN events), or "fd N"
io_names() {
	tdump "$1" | awk -v ev="$2" '
	function val(k,   i) {
		for (i = 5; i <= NF; i++)
			if (index($i, k "=") == 1)
				return substr($i, length(k) + 2)
		return ""
	}
	$4 == "fd_open" {
		match($0, / name="[^"]*"/)
		nm[$2, val("fd")] = substr($0, RSTART + 7, RLENGTH - 8)
	}
	$4 == ev {
		f = val("fd")
		print (($2, f) in nm) ? nm[$2, f] : "fd " f
	}'
}

# fsum FILE EVENT FIELD: sum of FIELD over the EVENT events
fsum() {
	"$CTRACE" dump "$1" | awk -v ev="$2" -v k="$3" '
	$4 == ev { for (i = 5; i <= NF; i++) if (index($i, k "=") == 1)
			s += substr($i, length(k) + 2) }
	END { print s + 0 }'
}

# runs FILE CALL FIELD: sum of FIELD over the stdio_run events of CALL
# (the calls their stream's buffer served, counted, not timed)
runs() {
	"$CTRACE" dump "$1" | awk -v c="call=$2" -v k="$3" '
	$4 == "stdio_run" && (" " $0 " ") ~ (" " c " ") {
		for (i = 5; i <= NF; i++) if (index($i, k "=") == 1)
			s += substr($i, length(k) + 2) }
	END { print s + 0 }'
}

# out NAME: value of NAME=... in the fixture's output
out() {
	printf '%s\n' "$output" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1
}

@test "pipe between two threads: 1000 polls, reads, writes, all on the pipe" {
	record t.trace "$FIX/io-pipe"
	assert_success
	assert_output --partial "polls=1000 reads=1000 writes=1000 rbytes=64000 wbytes=64000"
	assert_equal "$(events t.trace read)" 1000
	assert_equal "$(events t.trace write)" 1000
	assert_equal "$(events t.trace poll)" 1000
	# both ends named pipe:[INODE] by the one pipe() call
	run sh -c "'$CTRACE' dump t.trace | awk '\$4 == \"fd_open\"'"
	assert_equal "$(echo "$output" | wc -l)" 2
	assert_equal "$(echo "$output" | grep -c " call=pipe ")" 2
	pname=$(echo "$output" | sed -n 's/.*name="\(pipe:\[[0-9]*\]\)".*/\1/p' | sort -u)
	[ -n "$pname" ] && [ "$(echo "$pname" | wc -l)" = 1 ]
	for ev in read write poll; do
		assert_equal "$(io_names t.trace $ev | sort -u)" "$pname"
	done
	assert_equal "$(fsum t.trace read bytes)" 64000
	assert_equal "$(fsum t.trace read result)" 64000
	assert_equal "$(fsum t.trace write bytes)" 64000
	assert_equal "$(fsum t.trace write result)" 64000
	# each poll: one fd, no timeout, one ready
	assert_equal "$("$CTRACE" dump t.trace | awk '$4 == "poll"' |
		grep -c " nfds=1 timeout=-1 result=1 call=poll ")" 1000
}

@test "a loop's reads, writes and polls: written as repeats, read back whole" {
	# io-pipe's 1000 polls, reads and writes, each from one line with
	# the same fd and size, one batch per thread (no flush by time),
	# stacks the call site alone (a blocked call's would be deeper):
	# all but each thread's first read, write and poll repeat the
	# previous one's fields and stack in the file (format 2.3), and
	# read back as what they are
	CTRACE_FLUSH_MS=60000 CTRACE_STACK_DEPTH=1 record t.trace "$FIX/io-pipe"
	assert_success
	assert_output --partial "polls=1000 reads=1000 writes=1000 rbytes=64000 wbytes=64000"
	run "$CTRACE" info t.trace
	assert_line "repeats: 2997 events written as repeats of their batch's previous one of their type (read 999, write 999, poll 999)"
	assert_line "  read: 1000"
	assert_line "  write: 1000"
	assert_line "  poll: 1000"
	run sh -c "'$CTRACE' dump t.trace | awk '\$4 ~ /^(read|write|poll)\$/ { \$1 = \$2 = \$3 = \$5 = \"\"; print }' |
		sed 's/ result=[0-9]*//; s/+0x[0-9a-f]*//g; s/  */ /g; s/^ //' | sort | uniq -c"
	assert_line --regexp "^ +1000 poll fd=[0-9]+ nfds=1 timeout=-1 call=poll stack=main\(io-pipe\.c:[0-9]+\)$"
	assert_line --regexp "^ +1000 read fd=[0-9]+ bytes=64 call=read stack=main\(io-pipe\.c:[0-9]+\)$"
	assert_line --regexp "^ +1000 write fd=[0-9]+ bytes=64 call=write stack=writer\(io-pipe\.c:[0-9]+\)$"
	assert_equal "${#lines[@]}" 3
	assert_equal "$(fsum t.trace read result)" 64000
	assert_equal "$(fsum t.trace write result)" 64000
}

@test "file read in 4 KiB chunks: reads attributed to its path" {
	record t.trace "$FIX/io-file" "$T/data"
	assert_success
	assert_output --partial "writes=11 reads=12 bytes=41060"
	assert_equal "$(io_names t.trace read | sort | uniq -c | awk '{$1=$1};1')" "12 $T/data"
	assert_equal "$(io_names t.trace write | sort | uniq -c | awk '{$1=$1};1')" "11 $T/data"
	assert_equal "$(fsum t.trace read result)" 41060
	assert_equal "$(fsum t.trace read bytes)" $((12 * 4096))
	assert_equal "$(fsum t.trace write result)" 41060
	# the read that saw the end of file returned 0; both fds closed
	assert_equal "$("$CTRACE" dump t.trace | awk '$4 == "read"' | grep -c ' result=0 ')" 1
	assert_equal "$(events t.trace fd_close)" 2
	# a relative path is made absolute
	mkdir sub && cd sub
	record ../r.trace "$FIX/io-file" rel
	assert_success
	assert_equal "$(io_names ../r.trace read | sort -u)" "$T/sub/rel"
}

@test "socketpair echo: both ends named, every call recorded" {
	record t.trace "$FIX/io-sock" socketpair
	assert_success
	reads=$(( $(out read) + $(out recv) ))
	writes=$(( $(out write) + $(out send) ))
	assert_equal "$writes" 200
	name="socketpair unix [$(out cfd),$(out sfd)]"
	assert_equal "$(io_names t.trace read | sort | uniq -c | awk '{$1=$1};1')" "$reads $name"
	assert_equal "$(io_names t.trace write | sort | uniq -c | awk '{$1=$1};1')" "$writes $name"
	assert_equal "$("$CTRACE" dump t.trace | awk '$4 == "read"' | grep -c " call=recv ")" "$(out recv)"
	assert_equal "$("$CTRACE" dump t.trace | awk '$4 == "write"' | grep -c " call=send ")" "$(out send)"
	assert_equal "$(fsum t.trace write result)" 6400
	assert_equal "$(fsum t.trace read result)" 6400
}

@test "TCP loopback echo: listener, connect, accept named after peers" {
	record t.trace "$FIX/io-sock" tcp
	assert_success
	port=$(out port)
	cport=$(out cport)
	lfd=$(out lfd)
	cfd=$(out cfd)
	sfd=$(out sfd)
	"$CTRACE" dump t.trace > d
	# socket() names, connect renames the client, accept names the server side
	grep -q " fd_open fd=$lfd call=socket from=0x0 name=\"socket tcp\" " d
	grep -q " connect dur=[0-9]* fd=$cfd result=0 peer=\"tcp 127.0.0.1:$port\" " d
	grep -q " fd_open fd=$cfd call=connect from=0x0 name=\"tcp 127.0.0.1:$port\" " d
	grep -q " accept dur=[0-9]* fd=$lfd result=$sfd call=accept " d
	grep -q " fd_open fd=$sfd call=accept from=$(printf '0x%x' "$lfd") name=\"tcp 127.0.0.1:$cport\" " d
	assert_equal "$(events t.trace accept)" 1
	assert_equal "$(events t.trace connect)" 1
	# every read and write on one of the two connection ends
	names=$(io_names t.trace read; io_names t.trace write)
	assert_equal "$(echo "$names" | wc -l)" $(( $(out read) + $(out recv) + 200 ))
	assert_equal "$(echo "$names" | sort -u)" \
		"$(printf 'tcp 127.0.0.1:%s\n' "$cport" "$port" | sort)"
}

@test "stdio streams: fwrite, fflush, fgets, getline, fread on the path's fd" {
	record t.trace "$FIX/io-stdio" "$T/s"
	assert_success
	assert_output --partial "fwrite=100 fflush=1 fgets=40 getline=30"
	freads=$(out fread)
	"$CTRACE" dump t.trace > d
	# every call: the timed ones plus those the buffer served
	n() { echo $(( $(awk -v e="$1" '$4 == e' d | grep -c " call=$2 ") +
		       $(runs t.trace $2 calls) )); }
	assert_equal "$(n write fwrite)" 100
	assert_equal "$(n write fflush)" 1
	assert_equal "$(n read fgets)" 40
	assert_equal "$(n read getline)" 30
	assert_equal "$(n read fread)" "$freads"
	assert_equal "$(( $(events t.trace read) + $(runs t.trace fgets calls) +
		$(runs t.trace getline calls) + $(runs t.trace fread calls) ))" \
		$((70 + freads))
	assert_equal "$(io_names t.trace read | sort -u)" "$T/s"
	assert_equal "$(io_names t.trace write | sort -u)" "$T/s"
	assert_equal "$(grep -c " fd_open .* call=fopen .*name=\"$T/s\"" d)" 2
	assert_equal "$(events t.trace fd_close)" 2
	assert_equal "$(( $(fsum t.trace read result) + $(runs t.trace fgets got) +
		$(runs t.trace getline got) + $(runs t.trace fread got) ))" 5000
	assert_equal "$(( $(grep " write .* call=fwrite " d |
		sed -n 's/.* result=\([0-9]*\) .*/\1/p' |
		awk '{ s += $1 } END { print s }') + $(runs t.trace fwrite got) ))" 5000
}

# served FILE: "call timed served bytes-returned" for each stdio call
served() {
	for c in fwrite fflush fgets fread getline; do
		echo "$c $("$CTRACE" dump "$1" | awk -v c="call=$c" '
			($4 == "read" || $4 == "write") &&
			(" " $0 " ") ~ (" " c " ") { n++
				for (i = 5; i <= NF; i++)
					if (index($i, "result=") == 1)
						s += substr($i, 8) }
			END { print n + 0, s + 0 }') $(runs "$1" $c calls) $(runs "$1" $c got)"
	done
}

@test "stdio calls the stream buffer serves: counted in runs, not timed" {
	# call, timed calls, their bytes, served calls, their bytes: the
	# fixture's comment says which calls find their data (or room) in
	# its 1000-byte buffers
	want="fwrite 3 300 22 2200
fflush 1 500 0 0
fgets 3 200 10 1000
fread 1 100 8 800
getline 0 0 4 400"
	for mode in thread ""; do
		record t.trace "$FIX/io-served" "$T/s" $mode
		assert_success
		assert_output "fwrite=25 fflush=1 fgets=13 fread=9 getline=4 bytes=2500"
		assert_equal "$(served t.trace)" "$want"
		# one run per stretch between timed calls: 3 of fwrite, 2 of
		# fgets, 1 of fread, 1 of getline; the call site their stack
		"$CTRACE" dump t.trace > d
		assert_equal "$(grep -c ' stdio_run ' d)" 7
		assert_equal "$(grep ' stdio_run ' d | grep -c ' type=65 ')" 3
		assert_equal "$(grep ' stdio_run ' d | grep -vc 'stack=[^;]*io-served.c:[0-9]*)$')" 1
		assert_equal "$(grep ' stdio_run ' d | grep -c 'stack=getline(stdio.h:[0-9]*);main+0x[0-9a-f]*(io-served.c:[0-9]*)$')" 1
		assert_equal "$(io_names t.trace stdio_run | sort -u)" "$T/s"
		run "$CTRACE" info t.trace
		assert_line "  stdio_run: 7"
		assert_line "  stdio calls served from the stream buffer (in stdio_run, not timed): 44"
		# profile io: served calls beside the timed ones of their
		# stack, in no count and no time
		run "$CTRACE" profile io t.trace
		assert_success
		assert_line "total: 8 blocking calls, $(echo "$output" |
			sed -n 's/^total: 8 blocking calls, \(.* s blocked\)$/\1/p')"
		assert_line "44 stdio calls served from the stream buffer, not timed (in no count or time above)"
		for c in "fwrite 22" "fgets 10" "fread 8" "getline 4"; do
			assert_equal "$(echo "$output" | grep -c " ${c% *}  \[${c#* } served from the stream buffer, not timed\]$")" 1
		done
		assert_line --regexp '^ +0\.000000 +0\.0% +0  getline  \[4 served from the stream buffer, not timed\]$'
	done
	# report: the sites' timed calls and their served ones (the getline
	# site, 0 s, is the one of 6 past the top 5)
	run "$CTRACE" report t.trace
	assert_success
	assert_line "top blocking sites (6):"
	assert_line --regexp '^ +[0-9.]+ s +3 calls  io    write +main \(io-served.c:[0-9]+\)  \[22 served from the stream buffer, not timed\]$'
	assert_line --regexp '^ +[0-9.]+ s +2 calls  io    read +main \(io-served.c:[0-9]+\)  \[10 served from the stream buffer, not timed\]$'
	assert_line --regexp '^ +[0-9.]+ s +1 call   io    read +main \(io-served.c:[0-9]+\)  \[8 served from the stream buffer, not timed\]$'
	assert_equal "$(echo "$output" | grep -c 'served from')" 3
	# html: in no io stack, the count in the page's data for its note
	"$CTRACE" html -o t.html t.trace
	assert_equal "$(grep -o '"stdio_served":[0-9]*' t.html)" '"stdio_served":44'
	# pprof: untimed, so in no sample; a comment says how many
	command -v go >/dev/null || return 0
	"$CTRACE" profile io --format pprof -o io.pb.gz t.trace
	HOME="$T" run go tool pprof -comments io.pb.gz
	assert_output "44 stdio calls served from the stream buffer, not timed (in no sample)"
	HOME="$T" run go tool pprof -raw io.pb.gz
	assert_equal "$(echo "$output" | grep -c 'call:\[getline\]')" 0
	assert_equal "$(echo "$output" | grep -c 'call:\[fread\]')" 1
}

@test "same counts of read and write as strace, errno kept" {
	command -v strace >/dev/null || skip "strace not installed"
	# One run under both tracers.  strace -f also sees the dynamic
	# loader reading ELF headers, the preload reading /proc, the
	# collector; so the fixture marks its start and end with umask(2),
	# and only strace's read/write lines of the fixture's pid between
	# the marks are counted.  The fixture makes no other read or write
	# (no stdio), so ctrace's whole-trace counts must equal them, and the
	# fixture's exit status says every errno was as untraced.
	# CTRACE_STACK_DEPTH=1: no unwinder, whose own work (an unwinder
	# may probe memory through a pipe) strace would count; under
	# ptrace every call is slow enough to take the deep-stack path.
	# No cpu family: its scheduler readings (after every call of 1 ms
	# or more, which under ptrace is most) read /proc themselves.
	CTRACE_STACK_DEPTH=1 CTRACE_EVENTS=thread,sync,process,io,wait,sleep,heap,user \
		run strace -f -qq -o s.log \
		-e trace=read,write,umask \
		"$CTRACE" record -q -o t.trace -- "$FIX/io-rw"
	assert_success
	counts=$(awk '
		/ umask\(/ { pid = $1; marks++; next }
		marks == 1 && $1 == pid && $2 ~ /^read\(/ { r++ }
		marks == 1 && $1 == pid && $2 ~ /^write\(/ { w++ }
		END { print marks, r + 0, w + 0 }' s.log)
	assert_equal "$counts" "2 523 516"
	assert_equal "$(events t.trace read) $(events t.trace write)" "523 516"
	# the failures are recorded with -errno
	"$CTRACE" dump t.trace > d
	assert_equal "$(awk '$4 == "read"' d | grep -c ' fd=-1 bytes=1 result=-9 ')" 7
	assert_equal "$(awk '$4 == "write"' d | grep -c ' fd=-1 bytes=1 result=-9 ')" 3
	assert_equal "$(awk '$4 == "read"' d | grep -c ' result=-11 ')" 5
}

@test "CTRACE_EVENTS without io: no io event" {
	CTRACE_EVENTS=thread,wait run "$CTRACE" record -q -o t.trace -- "$FIX/io-pipe"
	assert_success
	assert_equal "$(events t.trace read)" 0
	assert_equal "$(events t.trace write)" 0
	assert_equal "$(events t.trace fd_open)" 0
	assert_equal "$(events t.trace poll)" 1000
}

@test "sqlite3 builds a 200k-row table: same output, writes on the db file" {
	sql="create table t(a integer, b text);
with recursive c(x) as (select 1 union all select x + 1 from c where x < 200000)
insert into t select x, printf('row %d', x) from c;
select count(*), sum(a), max(b) from t;"
	ref=$(sqlite3 ref.db "$sql")
	[ -n "$ref" ]
	record t.trace sqlite3 "$T/db" "$sql"
	assert_success
	assert_output "$ref"
	assert_equal "$(sqlite3 "$T/db" 'select count(*) from t')" 200000
	# sqlite writes pages with pwrite64: recorded, on the database's fd
	[ "$(io_names t.trace write | grep -c "^$T/db\$")" -ge 100 ]
	run "$CTRACE" info t.trace
	assert_success
	assert_output --partial sqlite3
}

@test "python3 TCP echo server and client on 127.0.0.1: same output" {
	cat > echo.py <<'PY'
import socket, threading
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
port = srv.getsockname()[1]
def serve():
    c, _ = srv.accept()
    while True:
        d = c.recv(4096)
        if not d:
            break
        c.sendall(d)
    c.close()
t = threading.Thread(target=serve)
t.start()
cl = socket.create_connection(("127.0.0.1", port))
total = 0
for i in range(200):
    msg = ("message %d\n" % i).encode()
    cl.sendall(msg)
    got = b""
    while len(got) < len(msg):
        got += cl.recv(4096)
    total += len(got)
cl.close()
t.join()
print("echoed", total)
PY
	same_run python3 echo.py
	assert_output --partial "echoed"
	"$CTRACE" dump "$T/same.trace" > d
	grep -q ' connect dur=[0-9]* fd=[0-9]* result=0 peer="tcp 127.0.0.1:[0-9]*" ' d
	grep -q ' fd_open fd=[0-9]* call=accept4 .*name="tcp 127.0.0.1:[0-9]*" ' d
	# the server's recv and the client's send: at least one per message
	[ "$(awk '$4 == "read"' d | grep -c " call=recv ")" -ge 200 ]
	[ "$(awk '$4 == "write"' d | grep -c " call=send ")" -ge 200 ]
	run "$CTRACE" info "$T/same.trace"
	assert_success
}

@test "stdio: a run still open when the process is killed is counted lost" {
	# io only, no periodic flush: nothing is sent before the SIGKILL
	CTRACE_EVENTS=io CTRACE_FLUSH_MS=1000000 \
		record t.trace "$FIX/io-served" "$T/s" kill
	assert_failure 137
	run "$CTRACE" info t.trace
	assert_success
	# the 13 io events of the served test's first part up to the 11th
	# fgets, and the run the 12th opened
	assert_line "lost: 14"
	assert_line "    killed: 14"
}

@test "stdio: a run still open at exec and at fork is recorded once, before it" {
	for mode in exec fork; do
		record t.trace "$FIX/io-served" "$T/s" $mode
		assert_success
		"$CTRACE" dump t.trace > d
		# the 2nd-10th fgets and, open at the exec or fork, the 12th
		assert_equal "$(runs t.trace fgets calls)" 10
		assert_equal "$(grep ' stdio_run .* call=fgets ' d |
			sed -n 's/.* calls=\([0-9]*\) .*/\1/p' | tr '\n' ' ')" "9 1 "
	done
	# fork: in the parent's stream, before the fork; the child has none
	child=$(awk '$4 == "fork" { sub("child=", "", $5); print $5 }' d)
	[ -n "$child" ]
	assert_equal "$(awk -v c="$child" '$2 == c && $4 == "stdio_run"' d | wc -l)" 0
}
