#!/usr/bin/env bats
# real third-party programs behave the same traced and untraced

load helpers

@test "python3 with threads and locks" {
	cat > work.py <<'PY'
import threading, queue
lock = threading.Lock()
cond = threading.Condition()
q = queue.Queue()
total = 0
def worker(n):
    global total
    for i in range(2000):
        with lock:
            total += i
    q.put(n)
ts = [threading.Thread(target=worker, args=(i,), name="w%d" % i) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(total, sorted(q.get() for _ in ts))
PY
	same_run python3 work.py
	run "$CTRACE" info "$T/same.trace"
	assert_success
	assert_output --partial "python3"
	# the 4 worker threads appear besides the main one
	[ "$("$CTRACE" dump "$T/same.trace" | awk '$4 == "thread_start"' | wc -l)" -ge 4 ]
}

@test "pigz -p 2 on a 30 MB file: same bytes, same status" {
	python3 -c '
import random, sys
r = random.Random(1)
words = [("%x" % r.getrandbits(40)) for _ in range(5000)]
out = sys.stdout
for i in range(30 * 1024 * 1024 // 64):
    out.write(" ".join(r.choice(words) for _ in range(6)) + "\n")
' | head -c 31457280 > data
	ref=$(pigz -p 2 -c data | sha256sum)
	run "$CTRACE" record -q -o t.trace -- sh -c 'pigz -p 2 -c data | sha256sum'
	assert_success
	assert_output "$ref"
	run "$CTRACE" info t.trace
	assert_success
	assert_output --partial "pigz"
	[ "$("$CTRACE" dump t.trace | awk '$4 == "thread_start"' | wc -l)" -ge 2 ]
}

@test "make -j2 of a small C project" {
	mkdir proj && cd proj
	for i in 1 2 3 4 5 6; do
		printf 'int f%d(void) { return %d; }\n' $i $i > f$i.c
	done
	printf '#include <stdio.h>\nint f1(void),f2(void),f3(void),f4(void),f5(void),f6(void);\nint main(void){printf("%%d\\n",f1()+f2()+f3()+f4()+f5()+f6());return 0;}\n' > main.c
	printf 'OBJ = main.o f1.o f2.o f3.o f4.o f5.o f6.o\nprog: $(OBJ)\n\tcc -o $@ $(OBJ)\n%%.o: %%.c\n\tcc -c -o $@ $<\n' > Makefile
	make -s -j2 >/dev/null && ref=$(./prog) && make -s clean >/dev/null 2>&1 || rm -f *.o prog
	run "$CTRACE" record -q -o ../t.trace -- make -s -j2
	assert_success
	run ./prog
	assert_output "21"
	assert_equal "$output" "$ref"
	cd ..
	run "$CTRACE" info t.trace
	assert_success
	# make, the shells or compilers it ran: many processes
	[ "$("$CTRACE" dump t.trace | awk '$4 == "process"' | wc -l)" -ge 8 ]
}
