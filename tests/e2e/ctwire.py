# ctwire.py - the library's wire messages (format/wire.h), for tests that
# talk to a collector as a client would, or as a hostile one would.
import os, socket, struct, time

WIRE_VERSION = 7    # FMT_WIRE_VERSION


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


class Addrs:
    """a batch's recent addresses (format/events.h struct fmt_addrs):
    put(v) is the bytes of an 'a' field of value v"""
    def __init__(self):
        self.prev, self.slot = 0, [0] * 64

    def put(self, v):
        h = (((v >> 4) * 0x9e3779b97f4a7c15) & (2**64 - 1)) >> 58
        if self.slot[h] == v:
            out = uvar(h << 1 | 1)
        else:
            d = (v - self.prev) & (2**64 - 1)
            d = d - 2**64 if d >= 2**63 else d
            z = (d << 1) ^ (-1 if d < 0 else 0)
            z &= 2**64 - 1
            out = uvar(z << 1) if z < 2**63 else b"\0" + uvar(v)
            self.slot[h] = v
        self.prev = v
        return out


def events(evs, listed=(), tid=None, base=None, dur=0):
    """EVENTS of the encoded events evs (bytes each), from base (now by
    default) to base + dur; listed: the index, (i, addr) for each event i
    of a type the index lists in order, addr the address to name or None
    when its type names none (format/wire.h)"""
    tid = os.getpid() if tid is None else tid
    base = time.monotonic_ns() if base is None else base
    offs, off = [], 0
    for e in evs:
        offs.append(off)
        off += len(e)
    idx, last = b"", 0
    for i, addr in listed:
        idx += uvar(offs[i] - last) + (b"" if addr is None else uvar(addr))
        last = offs[i]
    body = b"".join(evs)
    return msg(2, uvar(tid) + uvar(len(evs)) + uvar(base) +
               uvar(base + dur) + uvar(len(body)) + body + idx)


def hello(pid=None, flags=0, exe=b"/forged"):
    """HELLO for pid (this process's by default), no argv"""
    pid = os.getpid() if pid is None else pid
    return msg(1, uvar(WIRE_VERSION) + uvar(pid) + uvar(0) + uvar(pid) +
               uvar(time.monotonic_ns()) + uvar(flags) + blob(exe) +
               uvar(0))


def conn(path):
    """a client socket, credentials on every message as the library's"""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.connect(path)
    return s
