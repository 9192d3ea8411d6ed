# killhello.py SOCKET CASE: one HELLO from this process carrying a thread
# table descriptor of kind CASE, then this process's death without BYE
# (the caller's `ctrace record` reaps it).  Each table, if believed,
# claims 1000 events of tid 4242 lost; the good ones must be believed,
# the others ignored without harm to the collector.
import fcntl, os, socket, struct, sys, time

SIZE, SLOT, MAGIC = 256 * 1024, 64, 0x31425443

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctwire import conn, hello, msg, uvar

def table(recorded=1000, magic=MAGIC, nslots=SIZE // SLOT - 1, used=1):
    t = bytearray(SIZE)
    struct.pack_into("<IIII", t, 0, magic, nslots, 0, used)
    struct.pack_into("<iIQ", t, SLOT, 4242, 0, recorded)
    return bytes(t)

def memfd(data, size, seals):
    fd = os.memfd_create("t", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.write(fd, data[:size])
    os.ftruncate(fd, size)
    if seals:
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    return fd

SEALED = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL
case = sys.argv[2]
later = None
if case == "good":
    fds = [memfd(table(), SIZE, SEALED)]
elif case == "used":
    # more slots claimed than there are: only the real ones are read
    fds = [memfd(table(used=2**32 - 1), SIZE, SEALED)]
elif case == "huge":
    fds = [memfd(table(2**64 - 1), SIZE, SEALED)]
elif case == "pipe":
    fds = [os.pipe()[0]]
elif case == "file":
    path = sys.argv[3]
    with open(path, "wb") as f:
        f.write(table())
    fds = [os.open(path, os.O_RDONLY)]
elif case == "small":
    fds = [memfd(table(), 4096, SEALED)]
elif case == "unsealed":
    # believed, it would fault the collector once cut to nothing
    fds = [memfd(table(), SIZE, 0)]
    later = fds[0]
elif case == "magic":
    fds = [memfd(table(magic=0x12345678), SIZE, SEALED)]
elif case == "nslots":
    fds = [memfd(table(nslots=1 << 30), SIZE, SEALED)]
elif case == "many":
    # the first is a good table; the rest must be closed unused
    fds = [memfd(table(), SIZE, SEALED)] + [os.pipe()[0] for _ in range(7)]
s = conn(sys.argv[1])
socket.send_fds(s, [hello()], fds)
# descriptors on any other message, and an empty datagram with one
socket.send_fds(s, [msg(3, uvar(1) + uvar(0) + uvar(1))], [os.pipe()[0]])
if later is not None:
    os.ftruncate(later, 0)
time.sleep(0.2)
if case == "many":
    socket.send_fds(s, [b""], [os.pipe()[0]])
s.close()
