#!/usr/bin/env bats
# the collector dying must not change the traced program

load helpers

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
