/*
 * wire.h - messages from libctrace.so to the collector.
 *
 * Each message travels as one SOCK_SEQPACKET datagram: a fixed 12-byte
 * header (little-endian) followed by `len` bytes of payload made of varints
 * and length-prefixed strings.  The collector checks magic, type and length
 * before it looks at a payload, so garbage on the socket costs the sender
 * its connection and nothing else.
 */
#ifndef CTRACE_WIRE_H
#define CTRACE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define FMT_WIRE_MAGIC		0x31575443u	/* "CTW1" */
/* 2: stack references (events.h); 3: unfinished.holder appended (an
 * older library's unfinished would be misread: refused at HELLO); 4:
 * 'a' fields against the batch's recent addresses, as in format 2; 5:
 * ALLOC_SAME and FREE_SAME (an older collector would drop their batches);
 * 6: EVENTS carry end_ts, evlen and an index; 7: READ_SAME, WRITE_SAME
 * and POLL_SAME (an older collector would copy them into a file whose
 * schema lacks them), and THREAD_END in the index */
#define FMT_WIRE_VERSION	7
#define FMT_WIRE_HDR_SIZE	12
#define FMT_WIRE_MAX_MSG	(256 * 1024)	/* header included */

enum fmt_msg_type {
	/*
	 * HELLO: first message of every connection.
	 *   version pid ppid tid ts flags exe argc argv[argc]
	 * (strings are uvar length + bytes).  A process that exec'ed sends a
	 * new HELLO with FMT_HELLO_EXEC on a new connection.  pid must be the
	 * sender's, as the datagram's SCM_CREDENTIALS say: the library sets
	 * SO_PASSCRED on its socket so that every message carries them.
	 */
	FMT_MSG_HELLO = 1,
	/*
	 * EVENTS: tid nevents base_ts end_ts evlen event[nevents] index
	 * (events in wire form, evlen bytes, deltas starting from base_ts;
	 * a stack may refer to one defined earlier in the same batch, never
	 * to another batch's; end_ts the last event's time).  index, to the
	 * end of the datagram, lists every event whose type has a 'k' or an
	 * 'n' field or something to name, and every THREAD_END (from wire
	 * version 7: the collector counts by tid) (fmt_event_info.indexed), in
	 * order: entry := delta [addr], delta the event's offset from the
	 * one the entry before lists (the first: from the first event),
	 * addr the address to name when its type names one (name_kind).
	 * The collector reads only the events listed (and copies the rest
	 * into the file unread).
	 */
	FMT_MSG_EVENTS = 2,
	/* LOST: tid count reason - events the preload could not record */
	FMT_MSG_LOST = 3,
	/* BYE: ts status how - the process is exiting (FMT_EXIT_*) */
	FMT_MSG_BYE = 4,
	/*
	 * MODULES: ts n module[n], module := op bias lo hi path buildid
	 * op FMT_MOD_ADD or FMT_MOD_DEL; bias is the load bias (address =
	 * file vaddr + bias); [lo, hi) spans its PT_LOAD segments; path and
	 * buildid (raw bytes, may be empty) are uvar length + bytes.  Sent
	 * after HELLO for every loaded object, then on dlopen/dlclose.
	 */
	FMT_MSG_MODULES = 5,
	/*
	 * UNTRACED: pid ppid reason err - sent by a fork child that could
	 * not open its own connection, on its parent's (which it inherited),
	 * before it stops tracing.  pid must be the sender's and ppid the
	 * connection's process.  reason and err as in REC_UNTRACED.
	 */
	FMT_MSG_UNTRACED = 6,
	/*
	 * EXEC: path - sent just before an exec (path as the caller gave it,
	 * a name for execvp to look up; for fexecve the file its descriptor
	 * names, "" when unknown).  Anything the same connection sends after
	 * it means the exec failed.
	 */
	FMT_MSG_EXEC = 7,
	/*
	 * SNAPSHOT: reason path - ask a flight-mode collector for a
	 * snapshot.  From the library (ctrace_snapshot(), after HELLO and
	 * after flushing the calling thread's events; path "") or as the
	 * only message of a connection without HELLO (`ctrace snapshot`),
	 * which the collector answers with SNAPSHOT_DONE and closes.
	 * path "": the collector names the file.
	 */
	FMT_MSG_SNAPSHOT = 8,
	/*
	 * SNAPSHOT_DONE: err text - the collector's answer to a SNAPSHOT
	 * without HELLO: err 0 and the file written, or an errno (EINVAL:
	 * not in flight mode) and a message.
	 */
	FMT_MSG_SNAPSHOT_DONE = 9,
	/*
	 * CTL: op - open (FMT_CTL_START) or close (FMT_CTL_STOP) the
	 * recording window of a collector started with --paused.  From the
	 * library (ctrace_start(), ctrace_stop(), after HELLO), or as the
	 * only message of a connection without HELLO (`ctrace ctl`), which
	 * the collector answers with CTL_DONE and closes.
	 */
	FMT_MSG_CTL = 10,
	/* CTL_DONE: err text - as SNAPSHOT_DONE (EINVAL: not --paused) */
	FMT_MSG_CTL_DONE = 11,
};

enum { FMT_CTL_START = 1, FMT_CTL_STOP = 2 };

/*
 * The window word: the first 4 bytes of a file the collector creates
 * beside its socket (FMT_WINDOW_SUFFIX appended to the socket's path),
 * FMT_WINDOW_SIZE bytes, mapped read-only by each traced process.  The
 * library ANDs it into its mask of families to record: FMT_WINDOW_OPEN
 * records all, FMT_WINDOW_SHUT only the process bookkeeping (connected,
 * fork, BYE: 0x10000) and (minor 7) the lives of threads (create, start,
 * end: 0x20000) and processes (fork, spawn, exit: 0x40000) of the
 * families recorded.  No file: recording, as always.
 */
#define FMT_WINDOW_SUFFIX	".win"
#define FMT_WINDOW_SIZE		4096
#define FMT_WINDOW_OPEN		0xffffffffu
#define FMT_WINDOW_SHUT		0x00070000u

enum { FMT_MOD_ADD = 1, FMT_MOD_DEL = 2 };

/*
 * HELLO and PROCESS payloads may be followed by the recording settings:
 *   events_mask heap_sample stack_depth
 * (FMT_FAM_* bits, CTRACE_HEAP_SAMPLE bytes or 0 for exact, frames).
 * Readers that predate them ignore trailing bytes.
 */

enum {
	FMT_HELLO_EXEC = 1,	/* this image replaced one already traced */
	FMT_HELLO_FORK = 2,	/* a child forked from a traced process */
};

/*
 * The most one LOST message may count: 2^48 events, days of dropping at
 * the fastest rate, so that no message can wrap a total.
 */
#define FMT_WIRE_MAX_LOST	(1ull << 48)

/* totals of lost events stop at UINT64_MAX rather than wrap */
static inline uint64_t fmt_lost_add(uint64_t total, uint64_t count)
{
	return count > UINT64_MAX - total ? UINT64_MAX : total + count;
}

/* LOST.reason, REC_LOST.reason */
enum {
	FMT_LOST_FULL = 1,	/* CTRACE_ON_FULL=drop and the socket was full */
	FMT_LOST_SEND = 2,	/* the collector went away */
	FMT_LOST_REENTRY = 3,	/* hook entered from a signal handler mid-event */
	FMT_LOST_EXITING = 4,	/* recorded after the final flush of exit */
	FMT_LOST_BAD = 5,	/* the collector refused a malformed batch */
	FMT_LOST_KILLED = 6,	/* in its buffer when the process died */
};

/*
 * The thread table: a memfd the library passes with its HELLO (one
 * SCM_RIGHTS descriptor), so that what a process had recorded outlives
 * it.  FMT_TAB_SIZE bytes, sealed against shrinking (F_SEAL_SHRINK: the
 * collector's read-only MAP_SHARED mapping can never fault), made of
 * 64-byte slots: slot 0 is the header, each other slot belongs to one
 * live thread, which alone writes it (a cache line of its own).
 * recorded counts the events the thread put into its buffer; a thread
 * that ends normally frees its slot (tid 0) after its last flush.  When
 * the process dies without BYE, recorded minus what the collector got
 * for that tid (EVENTS, LOST full and bad) since the tid's last
 * THREAD_START or THREAD_END (a tid the kernel gives again) is what the
 * kill took.
 *
 * The pend_ fields are the blocking call the thread is in, so that a
 * snapshot shows it blocked (the call's event comes only on return).
 * A seqlock: the thread makes pend_seq odd, writes the call, makes it
 * even; a reader keeps a copy only if pend_seq was the same even value
 * before and after.  The return clears pend_ts alone, before the
 * call's event is sent: a reader that got the event never sees the
 * call as still in progress.  A library without these fields leaves
 * them zero: no call in progress (and a library without pend_holder
 * leaves it zero: no holder known).
 */
#define FMT_TAB_MAGIC	0x31425443u	/* "CTB1" */
#define FMT_TAB_SIZE	(256 * 1024)
#define FMT_TAB_SLOT	64
#define FMT_TAB_NSLOTS	(FMT_TAB_SIZE / FMT_TAB_SLOT - 1)

struct fmt_tab_slot {
	int32_t tid;		/* 0: free, -1: being claimed */
	uint32_t pad;
	uint64_t recorded;
	/* the blocking call in progress (struct pl_pend), for snapshots */
	uint32_t pend_seq;	/* odd while the thread writes the call */
	uint16_t pend_type;	/* FMT_EV_* the call records on return */
	uint16_t pend_call;	/* FMT_CALL_* */
	uint64_t pend_ts;	/* its start; 0: none (cleared on return) */
	uint64_t pend_obj;
	int64_t pend_fd;
	uint64_t pend_ra;	/* its call site */
	int32_t pend_holder;	/* MUTEX_BLOCK: the lock's owner as the
				 * hook read it, or 0; stale for others */
	uint8_t pad2[FMT_TAB_SLOT - 60];
};

_Static_assert(sizeof(struct fmt_tab_slot) == FMT_TAB_SLOT,
	       "a thread table slot is one cache line");

struct fmt_tab {
	uint32_t magic;
	uint32_t nslots;	/* FMT_TAB_NSLOTS */
	uint32_t overflow;	/* threads that found no free slot */
	uint32_t used;		/* slots [0, used) were ever claimed */
	uint8_t pad[FMT_TAB_SLOT - 16];
	struct fmt_tab_slot slot[FMT_TAB_NSLOTS];
};

/* REC_UNTRACED.how (file.h) */
enum {
	FMT_UNTR_FORK = 1,	/* forked from a traced process */
	FMT_UNTR_EXEC = 2,	/* a traced process exec'ed it */
	FMT_UNTR_REFUSED = 3,	/* it connected; the collector refused it */
};

/* UNTRACED.reason, in the message and the record */
enum {
	FMT_WHY_UNKNOWN = 0,
	FMT_WHY_CONNECT = 1,	/* connecting failed: err */
	FMT_WHY_STATIC = 2,	/* statically linked: no dynamic loader */
	FMT_WHY_SETUID = 3,	/* setuid: secure execution ignores LD_PRELOAD */
	FMT_WHY_SETGID = 4,	/* setgid: likewise */
	FMT_WHY_CAPS = 5,	/* file capabilities: likewise */
	FMT_WHY_UID = 6,	/* runs as another user than the collector's */
	FMT_WHY_NOPRELOAD = 7,	/* its environment has no LD_PRELOAD of us */
	FMT_WHY_MAX
};

struct fmt_msg_hdr {
	uint32_t magic;
	uint16_t type;
	uint16_t flags;		/* reserved, must be zero */
	uint32_t len;		/* payload bytes after the header */
};

static inline void fmt_msg_put_hdr(uint8_t *p, unsigned type, uint32_t len)
{
	uint32_t m = FMT_WIRE_MAGIC;
	unsigned i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(m >> (8 * i));
	p[4] = (uint8_t)type;
	p[5] = (uint8_t)(type >> 8);
	p[6] = p[7] = 0;
	for (i = 0; i < 4; i++)
		p[8 + i] = (uint8_t)(len >> (8 * i));
}

/*
 * fmt_msg_get_hdr() : parse and check the header of a datagram of n bytes.
 * @return 0, or FMT_ECORRUPT when magic, flags or length are wrong.
 */
static inline int fmt_msg_get_hdr(const uint8_t *p, uint32_t n,
				  struct fmt_msg_hdr *h)
{
	if (n < FMT_WIRE_HDR_SIZE)
		return -2;
	h->magic = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
	h->type = p[4] | p[5] << 8;
	h->flags = p[6] | p[7] << 8;
	h->len = p[8] | p[9] << 8 | p[10] << 16 | (uint32_t)p[11] << 24;
	if (h->magic != FMT_WIRE_MAGIC || h->flags ||
	    h->len != n - FMT_WIRE_HDR_SIZE)
		return -2;
	return 0;
}

/* ---- message payloads (wire.c) ----
 *
 * One struct per message.  The library builds messages with the put
 * functions, into the caller's buffer (no allocation: the preload links
 * wire.c), header included; each returns the datagram's length.  The
 * collector checks a payload whole with the parse functions before it
 * uses any of it: 0, FMT_ETRUNC when it ends inside a field, FMT_ECORRUPT
 * when a value is out of range, a string over its bound or bytes follow
 * the last field, FMT_EVERSION for a HELLO of another wire version.
 * What only the collector can check (who sent it, on which connection)
 * stays in the collector.
 */

#define FMT_WIRE_MAX_PATH	4096	/* HELLO's exe, MODULES' paths: PATH_MAX */
/* one argument of HELLO and PROCESS: the library sends at most this many
 * bytes of argv in all, readers refuse a longer argument, so the collector
 * refuses it in a HELLO rather than write a PROCESS no reader takes */
#define FMT_MAX_ARG		(64 * 1024)
#define FMT_WIRE_MAX_BUILDID	64	/* MODULES' build ids */

/* the fixed-size messages' largest datagram */
#define FMT_WIRE_SMALL_MSG	(FMT_WIRE_HDR_SIZE + 4 * FMT_VARINT_MAX)

/*
 * exe argc argv[argc] [events_mask heap_sample stack_depth] tail: the
 * end of PROCESS and of HELLO, coded alike.  The settings (above) are
 * read only if all three are there; tail is whatever follows, kept so
 * that a copy is exact.
 */
struct fmt_process {
	uint64_t pid, ppid, image, ts, flags;
	const char *exe;
	size_t exe_len;
	uint64_t argc;
	struct fmt_cursor argv;	/* argc strings: fmt_cur_str() each */
	int have_settings;
	uint64_t events_mask, heap_sample, stack_depth;
	const uint8_t *tail;
	size_t tail_len;
};

/*
 * fmt_parse_proc_args() : exe onwards, from c; exe of at most exe_max
 * bytes, each argument of at most arg_max.  0, FMT_ETRUNC, FMT_ECORRUPT
 */
int fmt_parse_proc_args(struct fmt_cursor *c, struct fmt_process *p,
			size_t exe_max, size_t arg_max);
/*
 * HELLO: version tid, and in p the fields it shares with REC_PROCESS (p.image
 * unused): pid ppid ts flags, exe argc argv[argc], the settings and any
 * tail (above).  The tail must be whole varints.
 */
struct fmt_msg_hello {
	uint64_t version, tid;
	struct fmt_process p;
};

int fmt_msg_parse_hello(const uint8_t *pl, size_t n, struct fmt_msg_hello *h);
/*
 * fmt_msg_put_hello() : h's numbers and exe (h->p.exe), the arguments
 * from argz, alen bytes of NUL-separated strings (/proc/self/cmdline:
 * the last may lack its NUL), and the settings if h->p.have_settings.
 * m needs FMT_WIRE_HDR_SIZE + 9 varints + exe_len + 2 * alen + 1 bytes
 * (an argument costs its bytes and a length).
 */
size_t fmt_msg_put_hello(uint8_t *m, const struct fmt_msg_hello *h,
			 const char *argz, size_t alen);

/* EVENTS: tid nevents base_ts end_ts evlen, the events (evlen bytes, wire
 * form), then their index to the end (FMT_MSG_EVENTS above) */
struct fmt_msg_events {
	uint64_t tid, nevents, base_ts, end_ts;
	struct fmt_cursor ev, idx;
};

/*
 * A header cut short reads nevents 0.  A count that cannot be (more
 * events than half the bytes, or events after a count of 0), events
 * that overrun the datagram or an end before the base are FMT_ECORRUPT
 * with the header filled in: the collector counts a batch it refuses as
 * lost when the count is plausible.
 */
int fmt_msg_parse_events(const uint8_t *pl, size_t n,
			 struct fmt_msg_events *e);
/*
 * fmt_msg_events_before() : write the header and e's numbers just before
 * body (len bytes of events, ev and idx unused), which has
 * FMT_WIRE_EVENTS_PRE bytes of room before it; the index, ilen bytes,
 * is the datagram's rest.  @return the datagram's start; its length is
 * body + len - start + ilen.
 */
#define FMT_WIRE_EVENTS_PRE	(FMT_WIRE_HDR_SIZE + 5 * FMT_VARINT_MAX)
uint8_t *fmt_msg_events_before(uint8_t *body, size_t len, size_t ilen,
			       const struct fmt_msg_events *e);

/* fmt_index_put() : the index entry of an event off bytes after the one
 * the entry before lists (the first: after the batch's start), with the
 * address to name when its type has one (fmt_event_info.name_kind) */
static inline uint8_t *fmt_index_put(uint8_t *p, uint64_t off, int named,
				     uint64_t addr)
{
	p = fmt_put_uvar(p, off);
	return named ? fmt_put_uvar(p, addr) : p;
}

struct fmt_msg_lost {
	uint64_t tid, count, reason;	/* count <= FMT_WIRE_MAX_LOST */
};

int fmt_msg_parse_lost(const uint8_t *pl, size_t n, struct fmt_msg_lost *l);
size_t fmt_msg_put_lost(uint8_t *m, const struct fmt_msg_lost *l);

struct fmt_msg_bye {
	uint64_t ts, status, how;	/* how: FMT_EXIT_* */
};

int fmt_msg_parse_bye(const uint8_t *pl, size_t n, struct fmt_msg_bye *b);
size_t fmt_msg_put_bye(uint8_t *m, const struct fmt_msg_bye *b);

/* also one module of a MODULES message (image and ts then 0) */
struct fmt_module {
	uint64_t image, ts, op, bias, lo, hi;	/* op: FMT_MOD_* */
	const char *path;
	size_t path_len;
	const uint8_t *buildid;
	size_t buildid_len;
};

/* MODULES: ts n module[n]; each op FMT_MOD_ADD or _DEL */
struct fmt_msg_modules {
	uint64_t ts, n;
	struct fmt_cursor mods;
};

int fmt_msg_parse_modules(const uint8_t *pl, size_t n,
			  struct fmt_msg_modules *m);
/* the next module of a parsed message (image 0, ts the message's): 0, or
 * -1 after the last */
int fmt_msg_next_module(struct fmt_msg_modules *m, struct fmt_module *out);
/* one module at p (image and ts unused): @return the end; it takes
 * 6 varints + path_len + buildid_len bytes at most */
uint8_t *fmt_msg_put_module(uint8_t *p, const struct fmt_module *mod);
/* like fmt_msg_events_before(): ts and n before the modules' bytes */
#define FMT_WIRE_MODULES_PRE	(FMT_WIRE_HDR_SIZE + 2 * FMT_VARINT_MAX)
uint8_t *fmt_msg_modules_before(uint8_t *body, size_t len, uint64_t ts,
				uint64_t n);

/* UNTRACED: reason < FMT_WHY_MAX, err an errno (< 4096) */
struct fmt_msg_untraced {
	uint64_t pid, ppid, reason, err;
};

int fmt_msg_parse_untraced(const uint8_t *pl, size_t n,
			   struct fmt_msg_untraced *u);
size_t fmt_msg_put_untraced(uint8_t *m, const struct fmt_msg_untraced *u);

/* EXEC: path, at most FMT_MAX_STR bytes */
struct fmt_msg_exec {
	const char *path;
	size_t len;
};

int fmt_msg_parse_exec(const uint8_t *pl, size_t n, struct fmt_msg_exec *x);
/* m needs FMT_WIRE_HDR_SIZE + FMT_VARINT_MAX + x->len bytes */
size_t fmt_msg_put_exec(uint8_t *m, const struct fmt_msg_exec *x);

/* SNAPSHOT: reason and path of at most FMT_MAX_STR bytes each */
struct fmt_msg_snapshot {
	const char *reason, *path;
	size_t reason_len, path_len;
};

int fmt_msg_parse_snapshot(const uint8_t *pl, size_t n,
			   struct fmt_msg_snapshot *s);
/* m needs FMT_WIRE_HDR_SIZE + 2 * FMT_VARINT_MAX + both lengths */
size_t fmt_msg_put_snapshot(uint8_t *m, const struct fmt_msg_snapshot *s);

/* SNAPSHOT_DONE: err < 4096, text at most FMT_MAX_STR bytes */
struct fmt_msg_snapshot_done {
	uint64_t err;
	const char *text;
	size_t len;
};

int fmt_msg_parse_snapshot_done(const uint8_t *pl, size_t n,
				struct fmt_msg_snapshot_done *d);
/* m needs FMT_WIRE_HDR_SIZE + 2 * FMT_VARINT_MAX + d->len */
size_t fmt_msg_put_snapshot_done(uint8_t *m,
				 const struct fmt_msg_snapshot_done *d);

/* CTL: op FMT_CTL_*; CTL_DONE as SNAPSHOT_DONE */
int fmt_msg_parse_ctl(const uint8_t *pl, size_t n, uint64_t *op);
size_t fmt_msg_put_ctl(uint8_t *m, uint64_t op);
size_t fmt_msg_put_ctl_done(uint8_t *m,
			    const struct fmt_msg_snapshot_done *d);

#endif
