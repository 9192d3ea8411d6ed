# snapask.py SOCK PID PATH: ask the collector at SOCK for a snapshot into
# PATH on a connection of its own, as `ctrace snapshot -o PATH` does, then
# SIGCONT to PID (the collector, stopped by the test, so that the request
# waits behind what traced processes sent meanwhile); print the answer
import os, signal, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctwire

s = ctwire.conn(sys.argv[1])
s.send(ctwire.msg(8, ctwire.blob(b"") + ctwire.blob(sys.argv[3].encode())))
os.kill(int(sys.argv[2]), signal.SIGCONT)
d = s.recv(65536)[12:]		# SNAPSHOT_DONE: err, then the text
print(d[2:2 + d[1]].decode())
