# ctwire.py - the library's wire messages (format/wire.h), for tests that
# talk to a collector as a client would, or as a hostile one would.
import os, socket, struct, time


def uvar(v):
    """an unsigned LEB128 varint"""
    out = b""
    while True:
        b = v & 0x7f
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def msg(kind, payload):
    """one datagram: the 12-byte header, then payload"""
    return struct.pack("<IHHI", 0x31575443, kind, 0, len(payload)) + payload


def blob(b):
    """a length-prefixed string"""
    return uvar(len(b)) + b


def hello(pid=None, flags=0, exe=b"/forged"):
    """HELLO for pid (this process's by default), no argv"""
    pid = os.getpid() if pid is None else pid
    return msg(1, uvar(3) + uvar(pid) + uvar(0) + uvar(pid) +
               uvar(time.monotonic_ns()) + uvar(flags) + blob(exe) +
               uvar(0))


def conn(path):
    """a client socket, credentials on every message as the library's"""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.connect(path)
    return s
