#!/usr/bin/env bats
# the collector dying must not change the traced program

load helpers

teardown() {
	stop_daemon
	[ -z "${NB:-}" ] || rm -rf "$NB"
}

@test "collector SIGKILLed mid-run: output and status unchanged, trace readable" {
	ref=$("$FIX/slowcount" 20) || true
	eval "$("$CTRACE" collect -q -o "$T/c.trace" --daemon)"
	[ -n "$CTRACE_COLLECTOR_PID" ]
	(sleep 0.4; kill -KILL "$CTRACE_COLLECTOR_PID") &
	run env LD_PRELOAD="$LD_PRELOAD" CTRACE_SOCKET="$CTRACE_SOCKET" "$FIX/slowcount" 20
	unset LD_PRELOAD
	assert_failure 5
	assert_equal "$output" "$ref"
	wait
	run "$CTRACE" info c.trace
	assert_success
	assert_output --regexp "not closed|cut"
}

@test "collect --daemon serves several programs until SIGTERM" {
	eval "$("$CTRACE" collect -q -o "$T/c.trace" --daemon)"
	env LD_PRELOAD="$LD_PRELOAD" CTRACE_SOCKET="$CTRACE_SOCKET" "$FIX/quickexit" || true
	env LD_PRELOAD="$LD_PRELOAD" CTRACE_SOCKET="$CTRACE_SOCKET" "$FIX/mutex8"
	unset LD_PRELOAD
	kill -TERM "$CTRACE_COLLECTOR_PID"
	for i in $(seq 50); do kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
	assert_equal "$(events c.trace cond_signal)" 100
	assert_equal "$(events c.trace thread_create)" 8
	run "$CTRACE" info c.trace
	assert_output --partial "clean"
	[ "$(stat -c %a c.trace)" = 600 ]
}

@test "SIGTERM reads what already waits: queued connections and datagrams" {
	eval "$("$CTRACE" collect -q -o "$T/c.trace" --daemon)"
	# the collector stopped: mutex8 connects, sends everything, exits
	kill -STOP "$CTRACE_COLLECTOR_PID"
	env LD_PRELOAD="$LD_PRELOAD" CTRACE_SOCKET="$CTRACE_SOCKET" "$FIX/mutex8"
	unset LD_PRELOAD
	# the stop comes in the same epoll batch as the connection
	kill -TERM "$CTRACE_COLLECTOR_PID"
	kill -CONT "$CTRACE_COLLECTOR_PID"
	for i in $(seq 50); do kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
	assert_equal "$(events c.trace thread_create)" 8
	assert_equal "$(events c.trace thread_start)" 8
	assert_equal "$(events c.trace thread_end)" 8
	assert_equal "$(events c.trace thread_join)" 8
	run "$CTRACE" info c.trace
	assert_output --partial "clean"
	assert_output --partial " lost 0,"
	assert_output --regexp "mutex8\": exit 0"
}

@test "garbage on the socket drops that client only" {
	eval "$("$CTRACE" collect -q -o "$T/c.trace" --daemon)"
	python3 - "$CTRACE_SOCKET" <<'PY'
import socket, sys, os
for payload in (b"", b"\0" * 5, os.urandom(300), b"CTW1" + os.urandom(100)):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    try:
        s.send(payload)
    except OSError:
        pass
    s.close()
PY
	env LD_PRELOAD="$LD_PRELOAD" CTRACE_SOCKET="$CTRACE_SOCKET" "$FIX/mutex8"
	unset LD_PRELOAD
	kill -TERM "$CTRACE_COLLECTOR_PID"
	for i in $(seq 50); do kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
	assert_equal "$(events c.trace thread_create)" 8
}

@test "an EVENTS index: what it lists is read, a batch it misleads is the reader's to find" {
	# wire 6: the collector reads only the events a batch's index lists
	# (those with a stack or a string) and copies the rest unread
	eval "$("$CTRACE" collect -q -o "$T/c.trace" --daemon)"
	unset LD_PRELOAD
	python3 - "$CTRACE_SOCKET" <<'PY'
import os, sys, time
sys.path.insert(0, os.environ["CTRACE_TOP"] + "/tests/e2e")
from ctwire import uvar, msg, hello, conn, events, Addrs

def batch(leave_out=False, back=False):
    ad = Addrs()
    # ALLOC 96: addr size call stack (a definition of one frame, x = 2),
    # FREE 97: addr call, and an ALLOC again
    def a():
        return bytes([96]) + uvar(0) + ad.put(0x5000) + uvar(64) + \
               uvar(1) + uvar(2) + uvar(0x401234)
    evs = [a(), bytes([97]) + uvar(10) + ad.put(0x5000) + uvar(2), a()]
    listed = [] if leave_out else [(0, None)]
    if back:	# a second entry at the first's offset: inside it
        listed = [(0, None), (0, None)]
    return events(evs, listed + ([] if leave_out or back
                                 else [(2, None)]), dur=20)

s = conn(sys.argv[1])
s.send(hello())
s.send(batch())
s.send(batch(leave_out=True))
s.send(batch(back=True))
s.close()
PY
	kill -TERM "$CTRACE_COLLECTOR_PID"
	for i in $(seq 50); do kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
	# the good batch whole; of the misled one, the alloc before the
	# stack the collector left inline, which no record defines
	run "$CTRACE" info c.trace
	assert_output --partial "damaged: 1 record could not be read"
	assert_output --partial "undefined: 1 reference to stacks or strings"
	assert_line "  alloc: 3"
	assert_line "  free: 1"
	assert_output --regexp "corrupt events record in chunk [01] \(record [0-9]+ of the chunk\): event 1 of 3: unknown event type"
	# the index that went back: the batch refused, its 3 events lost
	assert_line "    bad: 3"
}

@test "a MODULES message naming a FIFO or a device costs the collector nothing" {
	mkfifo "$T/fifo"
	eval "$("$CTRACE" collect -q -o "$T/c.trace" --daemon)"
	# a client of the same user names them as loaded objects: the
	# collector opened the FIFO, waiting for a writer that never came
	python3 - "$CTRACE_SOCKET" "$T/fifo" <<'PY'
import os, sys, time

sys.path.insert(0, os.environ["CTRACE_TOP"] + "/tests/e2e")
from ctwire import uvar, msg, blob, hello, conn

s = conn(sys.argv[1])
now = time.monotonic_ns()
s.send(hello(exe=b"/usr/bin/python3"))
for i, path in enumerate((sys.argv[2], "/dev/zero")):
    lo = 0x100000 * (i + 1)
    s.send(msg(5, uvar(now) + uvar(1) + uvar(1) + uvar(lo) + uvar(lo) +
               uvar(lo + 0x1000) + blob(path.encode()) + blob(b"")))
time.sleep(0.2)
s.close()
PY
	run timeout 60 env LD_PRELOAD="$LD_PRELOAD" CTRACE_SOCKET="$CTRACE_SOCKET" "$FIX/mutex8"
	unset LD_PRELOAD
	assert_success
	kill -TERM "$CTRACE_COLLECTOR_PID"
	for i in $(seq 50); do kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
	assert_equal "$(events c.trace thread_create)" 8
	run "$CTRACE" info c.trace
	assert_output --partial "clean"
}

@test "the library sends nothing to a collector of another user" {
	[ "$(id -u)" = 0 ] || skip "needs root to run a listener as another user"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
	# a directory the other user can reach ($T's parents are root's)
	NB=$(mktemp -d /tmp/ctrace-nb.XXXXXX)
	chmod 0777 "$NB"
	# a listener of uid 65534 that notes every byte anyone sends it
	setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1]); s.listen(8)
s.settimeout(20)
c, _ = s.accept()
got = 0
while True:
    d = c.recv(1 << 16)
    if not d: break
    got += len(d)
open(sys.argv[2], "w").write(str(got))
' "$NB/sock" "$NB/got" &
	for i in $(seq 50); do [ -S "$NB/sock" ] && break; sleep 0.1; done
	[ -S "$NB/sock" ]
	ref=$("$FIX/mutex8")
	run env LD_PRELOAD="$LIBCTRACE" CTRACE_SOCKET="$NB/sock" \
		CTRACE_DEBUG=sock "$FIX/mutex8"
	assert_success
	assert_line "$ref"
	assert_line --regexp "/sock: collector of uid 65534 refused$"
	wait
	assert_equal "$(cat "$NB/got")" 0
	# it traced into a private collector of its own instead
	assert_equal "$(events ctrace.out thread_create)" 8
}

@test "a HELLO is believed only from the pid it names; LOST counts are bounded" {
	eval "$("$CTRACE" collect -q -o "$T/c.trace" --daemon)"
	unset LD_PRELOAD
	python3 - "$CTRACE_SOCKET" <<'PY'
import os, sys, time

sys.path.insert(0, os.environ["CTRACE_TOP"] + "/tests/e2e")
from ctwire import uvar, msg, hello, conn

# pid 1, and pid 1 "exec'ed": neither is this process
for flags in (0, 1):
    s = conn(sys.argv[1])
    s.send(hello(1, flags))
    time.sleep(0.1)
    s.close()
# its own pid is believed; a LOST of 2^64-1 then 5 must not wrap to 4
s = conn(sys.argv[1])
s.send(hello())
# the collector drops the connection at the first: the second may find
# it closed (EPIPE), which must not end the test before the collector
try:
    s.send(msg(3, uvar(os.getpid()) + uvar(2**64 - 1) + uvar(1)))
    s.send(msg(3, uvar(os.getpid()) + uvar(5) + uvar(1)))
except OSError:
    pass
time.sleep(0.2)
s.close()
PY
	kill -TERM "$CTRACE_COLLECTOR_PID"
	for i in $(seq 50); do kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
	run "$CTRACE" info c.trace
	assert_success
	assert_line "processes: 1 (1 image)"
	refute_output --partial "pid 1 "
	assert_line --regexp "^lost: 0( |$)"
}

@test "HELLOs queued on two connections start their images in connection order" {
	eval "$("$CTRACE" collect -q -o "$T/c.trace" --daemon)"
	unset LD_PRELOAD
	pid=$(python3 - "$CTRACE_SOCKET" "$CTRACE_COLLECTOR_PID" <<'PY'
import os, sys, time

sys.path.insert(0, os.environ["CTRACE_TOP"] + "/tests/e2e")
from ctwire import uvar, msg, blob, conn, events, WIRE_VERSION

sock, cpid = sys.argv[1], int(sys.argv[2])
print(os.getpid(), flush=True)


def nfds():
    return len(os.listdir("/proc/%d/fd" % cpid))


def hello(flags, exe):
    pid = os.getpid()
    return msg(1, uvar(WIRE_VERSION) + uvar(pid) + uvar(0) + uvar(pid) +
               uvar(time.monotonic_ns()) + uvar(flags) + blob(exe) + uvar(0))


def task_ends(n):
    """EVENTS of n task_end events (code 113: one field, the id; not
    in the index)"""
    return events([bytes([113]) + uvar(1) + uvar(i + 1) for i in range(n)],
                  dur=n)


# an image (a) and the image it exec'ed into (b), each on a connection
# of its own, both accepted before anything is queued on either
before = nfds()
a = conn(sock)
b = conn(sock)
while nfds() < before + 2:
    time.sleep(0.01)
# the collector stopped, b's datagrams queue first, so that its next
# epoll batch hands it b before a: b's HELLO is read first and must wait
# for a's HELLO and events (the path where a HELLO's handler read the
# other connection into the datagram buffer it was still using)
os.kill(cpid, 19)
b.send(hello(1, b"/forged-b"))
b.send(task_ends(3))
a.send(hello(0, b"/forged-a"))
a.send(task_ends(2))
os.kill(cpid, 18)
b.send(msg(4, uvar(time.monotonic_ns()) + uvar(0) + uvar(0)))
time.sleep(0.2)
a.close()
b.close()
PY
)
	kill -TERM "$CTRACE_COLLECTOR_PID"
	for i in $(seq 50); do kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
	run "$CTRACE" dump c.trace
	assert_success
	# a first, ended by b's exec with a's 2 events, then b with its 3
	assert_equal "$(sed "s/^[0-9.]* //; s/\b$pid\b/P/g" <<<"$output")" \
'P - process ppid=0 image=1 flags=- exe="/forged-a" argv=""
P P task_end id=1
P P task_end id=2
P - process_end image=1 how=exec status=0
P - process ppid=0 image=2 flags=exec exe="/forged-b" argv=""
P P task_end id=1
P P task_end id=2
P P task_end id=3
P - process_end image=2 how=exit status=0
- - end events=5 lost=0 processes=1'
}

@test "a stopped collector never hangs a program, in either mode" {
	ref=$("$FIX/heap-threads")
	eval "$("$CTRACE" collect -q -o "$T/c.trace" --daemon)"
	unset LD_PRELOAD
	kill -STOP "$CTRACE_COLLECTOR_PID"
	# the collector stays stopped: 4 threads' batches fill its socket,
	# every send stops waiting after CTRACE_STALL_MS, and the program
	# ends as it would untraced
	for mode in block drop; do
		run timeout 60 env LD_PRELOAD="$LIBCTRACE" \
			CTRACE_SOCKET="$CTRACE_SOCKET" CTRACE_ON_FULL=$mode \
			CTRACE_STALL_MS=300 "$FIX/heap-threads"
		assert_success
		assert_equal "$output" "$ref"
	done
	kill -CONT "$CTRACE_COLLECTOR_PID"
	kill -TERM "$CTRACE_COLLECTOR_PID"
	for i in $(seq 50); do kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
	run "$CTRACE" info c.trace
	assert_success
}

@test "a collector stalled for CTRACE_STALL_MS: the program drops, and counts it" {
	asan_skip "its heap calls"
	eval "$("$CTRACE" collect -q -o "$T/c.trace" --daemon)"
	unset LD_PRELOAD
	kill -STOP "$CTRACE_COLLECTOR_PID"
	# resumed while main sleeps: the losses of the threads, which ended
	# while it was stopped, are reported by the exit's flush
	(sleep 1; kill -CONT "$CTRACE_COLLECTOR_PID") &
	run timeout 60 env LD_PRELOAD="$LIBCTRACE" \
		CTRACE_SOCKET="$CTRACE_SOCKET" CTRACE_STALL_MS=200 "$FIX/stall"
	assert_failure 5
	assert_output "pairs 80000"
	wait
	kill -TERM "$CTRACE_COLLECTOR_PID"
	for i in $(seq 50); do kill -0 "$CTRACE_COLLECTOR_PID" 2>/dev/null || break; sleep 0.1; done
	run "$CTRACE" info c.trace
	assert_success
	echo "$output"
	assert_output --regexp "exit(ed)? 5|status 5"
	lost=$(sed -n 's/^lost: \([0-9]*\).*/\1/p' <<<"$output")
	assert_line --regexp "^ +full: $lost$"
	# some pairs were dropped, and every one dropped was counted
	kept=$(( $(events c.trace alloc) + $(events c.trace free) ))
	echo "kept $kept lost $lost"
	[ "$kept" -lt 160000 ]
	[ $((kept + lost)) -ge 160000 ]
}
