#!/usr/bin/env bats
# raw futex calls made through syscall(SYS_futex, ...)

load helpers

@test "a futex lock shows every wait and wake" {
	record t.trace "$FIX/futexlock"
	assert_success
	assert_output --regexp "^total=4000000 "
	waits=$(echo "$output" | sed -n 's/.*waits=\([0-9]*\).*/\1/p')
	wakes=$(echo "$output" | sed -n 's/.*wakes=\([0-9]*\).*/\1/p')
	assert_equal "$(events t.trace futex_wait)" "$waits"
	assert_equal "$(events t.trace futex_wake)" "$wakes"
	[ "$wakes" -gt 0 ]
}

@test "other syscall() calls pass through untouched" {
	run "$CTRACE" record -q -o t.trace -- python3 -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print(libc.syscall(39) == os.getpid())            # SYS_getpid
r = libc.syscall(3, 987654)                       # SYS_close of a bad fd
print(r, ctypes.get_errno())'
	assert_success
	assert_output "True
-1 9"
}
