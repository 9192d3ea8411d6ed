#!/usr/bin/env bats
# wait (poll, select, epoll) and sleep: every call, once

load helpers

# calls FILE EVENT NAME: how many EVENT events have call=NAME
calls() {
	"$CTRACE" dump "$1" | awk -v e="$2" '$4 == e' |
		grep -c " call=$3 "
}

@test "100 x nanosleep(1 ms): 100 sleeps of at least 1 ms" {
	record t.trace "$FIX/io-wait" nanosleep
	assert_success
	assert_equal "$(events t.trace sleep)" 100
	assert_equal "$(calls t.trace sleep nanosleep)" 100
	# the kernel never wakes a nanosleep early: dur >= req, by definition
	run sh -c "'$CTRACE' dump t.trace | awk '\$4 == \"sleep\"' |
		awk '{ split(\$5, d, \"=\"); split(\$6, r, \"=\")
		       if (r[2] == 1000000 && d[2] >= 1000000 && \$7 == \"result=0\") n++ }
		     END { print n + 0 }'"
	assert_output 100
}

@test "usleep, sleep, clock_nanosleep: each call recorded once" {
	record t.trace "$FIX/io-wait" mix
	assert_success
	assert_equal "$(calls t.trace sleep usleep)" 10
	assert_equal "$(calls t.trace sleep sleep)" 1
	assert_equal "$(calls t.trace sleep clock_nanosleep)" 10
	# glibc's sleep and usleep call nanosleep internally: not a 2nd event
	assert_equal "$(calls t.trace sleep nanosleep)" 0
	assert_equal "$(events t.trace sleep)" 21
	"$CTRACE" dump t.trace > d
	assert_equal "$(grep -c ' sleep dur=[0-9]* req=100000 result=0 call=usleep ' d)" 10
	# relative ones ask for 100 us; absolute ones for what was left
	cn=" call=clock_nanosleep "
	[ "$(grep "$cn" d | grep -c ' req=100000 result=0 ')" -ge 5 ]
	assert_equal "$(grep "$cn" d | grep ' result=0 ' |
		sed 's/.* req=\([0-9]*\) .*/\1/' | awk '$1 <= 100000' | wc -l)" 10
}

@test "poll, ppoll, select, pselect, epoll_*: exact counts and fields" {
	record t.trace "$FIX/io-wait" mix
	assert_success
	ep=$(printf '%s\n' "$output" | sed -n 's/.*ep=\([0-9]*\).*/\1/p')
	rfd=$(printf '%s\n' "$output" | sed -n 's/.*rfd=\([0-9]*\).*/\1/p')
	n2=$(printf '%s\n' "$output" | sed -n 's/.*pwait2=\([0-9]*\).*/\1/p')
	"$CTRACE" dump t.trace > d
	c() { grep -c " poll dur=[0-9]* $1 call=$2 " d; }
	assert_equal "$(c "fd=$rfd nfds=1 timeout=0 result=0" poll)" 3
	assert_equal "$(c "fd=-1 nfds=2 timeout=0 result=0" ppoll)" 4
	assert_equal "$(c "fd=-1 nfds=$((rfd + 1)) timeout=0 result=0" select)" 5
	assert_equal "$(c "fd=-1 nfds=$((rfd + 1)) timeout=0 result=0" pselect)" 6
	assert_equal "$(c "fd=$ep nfds=4 timeout=0 result=0" epoll_wait)" 7
	assert_equal "$(c "fd=$ep nfds=4 timeout=0 result=0" epoll_pwait)" 8
	assert_equal "$(c "fd=$ep nfds=4 timeout=0 result=0" epoll_pwait2)" "$n2"
	assert_equal "$(events t.trace poll)" $((33 + n2))
	grep -q " fd_open fd=$ep call=epoll_create from=0x0 name=\"epoll\" " d
}

@test "CTRACE_EVENTS selects wait and sleep separately" {
	CTRACE_EVENTS=io run "$CTRACE" record -q -o io.trace -- "$FIX/io-wait" mix
	assert_success
	assert_equal "$(events io.trace sleep) $(events io.trace poll)" "0 0"
	[ "$(events io.trace fd_open)" -ge 3 ]
	CTRACE_EVENTS=sleep run "$CTRACE" record -q -o s.trace -- "$FIX/io-wait" mix
	assert_success
	assert_equal "$(events s.trace sleep) $(events s.trace poll)" "21 0"
	assert_equal "$(events s.trace fd_open)" 0
	CTRACE_EVENTS=wait run "$CTRACE" record -q -o w.trace -- "$FIX/io-wait" mix
	assert_success
	assert_equal "$(events w.trace sleep)" 0
	[ "$(events w.trace poll)" -ge 33 ]
}

@test "redis-server under redis-benchmark: an epoll server, analysed" {
	command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null ||
		skip "redis-server/redis-tools not installed (scripts/deps.sh)"
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$CTRACE" record -q -o t.trace -- redis-server --port "$port" \
		--bind 127.0.0.1 --save "" --appendonly no --daemonize no \
		--dir "$T" > redis.log 2>&1 &
	pid=$!
	# wait for the server to answer: a bounded number of tries
	for i in $(seq 200); do
		redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
		sleep 0.1
	done
	run redis-benchmark -q -p "$port" -n 20000 -c 10 -t set,get
	ok=$status
	bench=$output
	redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
	wait "$pid" && st=0 || st=$?
	assert_equal "$ok" 0
	[[ "$bench" == *SET* && "$bench" == *GET* ]]
	assert_equal "$st" 0
	run "$CTRACE" info t.trace
	assert_success
	assert_output --partial redis-server
	"$CTRACE" dump t.trace > d
	# the event loop waits in epoll_wait on an fd named epoll; 40000
	# requests, one read each at least, on accepted TCP connections
	ep=$(awk '$4 == "fd_open" && /name="epoll"/' d | head -1 |
		sed 's/.* fd=\([0-9]*\) .*/\1/')
	[ -n "$ep" ]
	[ "$(grep -c " poll dur=[0-9]* fd=$ep .* call=epoll_wait " d)" -ge 100 ]
	[ "$(awk '$4 == "read"' d | wc -l)" -ge 40000 ]
	[ "$(awk '$4 == "accept"' d | wc -l)" -ge 10 ]
	[ "$(grep -c ' fd_open .*name="tcp 127.0.0.1:[0-9]*"' d)" -ge 10 ]
}

@test "a bad pointer gets EFAULT traced as untraced, and the call is recorded" {
	# the hooks read poll's fds, the sleeps' timespecs and accept's
	# length before the call, and exec's and spawn's path after a failure:
	# a bad pointer crashed the program where the kernel says EFAULT
	ref=$("$FIX/badptr")
	assert_equal "$ref" "poll -1 14
ppoll fds -1 14
nanosleep -1 14
clock_nanosleep 14
clock_nanosleep abs 14
accept -1 14
connect -1 9
execve -1 14
posix_spawn 14"
	record t.trace "$FIX/badptr"
	assert_success
	assert_output "$ref"
	"$CTRACE" dump t.trace > d
	assert_equal "$(awk '$4 == "poll" && / fd=-1 / && / result=-14 /' d | wc -l)" 2
	assert_equal "$(awk '$4 == "poll" && / call=poll / && / timeout=0 /' d | wc -l)" 1
	assert_equal "$(awk '$4 == "sleep" && / req=0 result=-14 /' d | wc -l)" 3
	assert_equal "$(awk '$4 == "accept" && / result=-14 call=accept /' d | wc -l)" 1
	assert_equal "$(awk '$4 == "connect" && / fd=-1 result=-9 peer="\?" /' d | wc -l)" 1
	assert_equal "$(awk '$4 == "exec_fail" && / path="" result=-14 /' d | wc -l)" 1
	assert_equal "$(awk '$4 == "spawn" && / child=0 path="" result=14 /' d | wc -l)" 1
}
