/*
 * events.h - the one definition of ctrace events.
 *
 * Every event is a type byte, a timestamp delta and a fixed list of fields
 * given by the schema below.  The same schema drives the preload's encoder,
 * the collector's validation and re-encoding, and the analyzer's decoder and
 * `ctrace dump`, so a field cannot be added in one place and forgotten in
 * another.  Codes are part of the file format: never renumber, only append.
 *
 * Field kinds (one letter each, in the schema's kinds string):
 *   u  unsigned integer          s  signed integer (zigzag)
 *   d  duration in ns            a  address or handle (printed in hex),
 *                                   from format 2 relative to the batch's
 *                                   recent ones (struct fmt_addrs)
 *   t  thread id                 k  stack: inline frames on the wire
 *                                   (or a reference to the same frames
 *                                   earlier in the batch), a stack-table
 *                                   id in the file
 *   n  string: inline bytes on the wire, a string-table id in the file
 *
 * An event has at most one 'k' and two 'n' fields.
 */
#ifndef CTRACE_EVENTS_H
#define CTRACE_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "varint.h"

/* family bits, also the CTRACE_EVENTS selection */
#define FMT_FAM_THREAD	0x01
#define FMT_FAM_SYNC	0x02
#define FMT_FAM_PROCESS	0x04
#define FMT_FAM_IO	0x08
#define FMT_FAM_WAIT	0x10
#define FMT_FAM_SLEEP	0x20
#define FMT_FAM_HEAP	0x40
#define FMT_FAM_USER	0x80
#define FMT_FAM_CPU	0x100
#define FMT_FAM_ALL	0x1ff

/*
 * X(NAME, code, family, (kind, name), ...): one (kind, name) pair per
 * field, in the order of the encoding.  Everything about a field comes from
 * its pair: the schema's kinds and names strings (FMT_KINDS, FMT_NAMES),
 * its index FMT_F_<NAME>_<name> (FMT_F_ALLOC_size), and the roles other
 * modules look fields up by (struct fmt_event_info `at`, by name).
 *
 * Blocking events are recorded once, when the call returns, with the start
 * time as the event time and the blocked time in `dur`.  waker/wake_dt name
 * the thread whose signal/post/unlock/wake ended the wait and how long before
 * the return it happened (0/0 when unknown).
 */
#define FMT_EVENT_LIST(X)						\
	/* thread */							\
	X(THREAD_CREATE, 1, FMT_FAM_THREAD,				\
	  (a, handle), (a, routine), (s, result), (k, stack))		\
	X(THREAD_START, 2, FMT_FAM_THREAD,				\
	  (t, parent), (a, handle), (a, routine))			\
	X(THREAD_END, 3, FMT_FAM_THREAD, (u, how))			\
	X(THREAD_JOIN, 4, FMT_FAM_THREAD,				\
	  (d, dur), (a, handle), (u, kind), (s, result),		\
	  (k, stack))							\
	X(THREAD_DETACH, 5, FMT_FAM_THREAD, (a, handle), (s, result))	\
	X(THREAD_NAME, 6, FMT_FAM_THREAD, (a, handle), (n, name))	\
	/* a blocking call still in progress when its process exited or	\
	 * exec'ed: `type` is the event code the call records when it	\
	 * returns, obj/fd/call as that event has them (0/-1/0 where it	\
	 * has none), stack the call site; recorded by the exiting thread. \
	 * (minor 8) holder: a mutex_block's holder, as the hook read it  \
	 * (0: unknown, or another type) */				\
	X(UNFINISHED, 7, FMT_FAM_THREAD,				\
	  (d, dur), (u, type), (a, obj), (s, fd), (u, call),		\
	  (k, stack), (t, holder))					\
	/* (minor 2) stacks of this thread's events since its last	\
	 * STACK_CUT that are the call site only because less than	\
	 * `need` bytes of stack were left to unwind on; room is what	\
	 * the last of them had.  Recorded after the event it follows */ \
	X(STACK_CUT, 8, FMT_FAM_THREAD,					\
	  (u, count), (u, room), (u, need))				\
	/* sync */							\
	X(MUTEX_BLOCK, 16, FMT_FAM_SYNC,				\
	  (d, dur), (a, obj), (t, holder), (s, result),			\
	  (t, waker), (d, wake_dt), (k, stack))				\
	X(MUTEX_WAKE, 17, FMT_FAM_SYNC, (a, obj), (k, stack))		\
	X(RWLOCK_BLOCK, 18, FMT_FAM_SYNC,				\
	  (d, dur), (a, obj), (u, write), (s, result), (k, stack))	\
	X(COND_WAIT, 19, FMT_FAM_SYNC,					\
	  (d, dur), (a, obj), (a, mutex), (s, result), (t, waker),	\
	  (d, wake_dt), (k, stack))					\
	X(COND_SIGNAL, 20, FMT_FAM_SYNC,				\
	  (a, obj), (u, all), (k, stack))				\
	X(SEM_WAIT, 21, FMT_FAM_SYNC,					\
	  (d, dur), (a, obj), (s, result), (t, waker),			\
	  (d, wake_dt), (k, stack))					\
	X(SEM_POST, 22, FMT_FAM_SYNC, (a, obj), (k, stack))		\
	X(BARRIER_WAIT, 23, FMT_FAM_SYNC,				\
	  (d, dur), (a, obj), (s, result), (k, stack))			\
	X(SPIN_BLOCK, 24, FMT_FAM_SYNC,					\
	  (d, dur), (a, obj), (k, stack))				\
	X(FUTEX_WAIT, 25, FMT_FAM_SYNC,					\
	  (d, dur), (a, obj), (u, op), (u, val), (s, result),		\
	  (t, waker), (d, wake_dt), (k, stack))				\
	X(FUTEX_WAKE, 26, FMT_FAM_SYNC,					\
	  (a, obj), (u, op), (s, result), (k, stack))			\
	/* process */							\
	X(FORK, 48, FMT_FAM_PROCESS,					\
	  (s, child), (u, kind), (k, stack))				\
	X(EXEC_FAIL, 49, FMT_FAM_PROCESS,				\
	  (n, path), (s, result), (k, stack))				\
	X(SPAWN, 50, FMT_FAM_PROCESS,					\
	  (s, child), (n, path), (s, result), (k, stack))		\
	X(EXIT, 51, FMT_FAM_PROCESS, (s, status), (u, how))		\
	/* io: `call` is an FMT_CALL_* code; result is bytes or -errno */ \
	X(READ, 64, FMT_FAM_IO,						\
	  (d, dur), (s, fd), (u, bytes), (s, result), (u, call),	\
	  (k, stack))							\
	X(WRITE, 65, FMT_FAM_IO,					\
	  (d, dur), (s, fd), (u, bytes), (s, result), (u, call),	\
	  (k, stack))							\
	X(ACCEPT, 66, FMT_FAM_IO,					\
	  (d, dur), (s, fd), (s, result), (u, call), (k, stack))	\
	X(CONNECT, 67, FMT_FAM_IO,					\
	  (d, dur), (s, fd), (s, result), (n, peer), (k, stack))	\
	/* fd naming: open, socket, pipe, dup, accept... give fd a name */ \
	X(FD_OPEN, 68, FMT_FAM_IO,					\
	  (s, fd), (u, call), (a, from), (n, name), (k, stack))		\
	X(FD_CLOSE, 69, FMT_FAM_IO, (s, fd), (s, result))		\
	/* (minor 6) stdio calls their stream's buffer served, without a \
	 * system call: one record per run of them on a thread (same	\
	 * `call` on the same fd from the same call site).  Not timed:	\
	 * ts is when the first call returned, span the time from then \
	 * until the run was closed (the later calls' bound, not their	\
	 * time).  `type` is						\
	 * READ or WRITE; bytes and got are READ's bytes and result	\
	 * summed over the `calls` calls; stack the call site only */	\
	X(STDIO_RUN, 70, FMT_FAM_IO,					\
	  (s, fd), (u, call), (u, type), (u, calls), (u, bytes),	\
	  (u, got), (d, span), (k, stack))				\
	/* (format 2.3) a READ or a WRITE whose fd, bytes, call and	\
	 * stack are those of the batch's previous READ (WRITE): a	\
	 * loop's reads and writes.  Given back as READ and WRITE */	\
	X(READ_SAME, 71, FMT_FAM_IO, (d, dur), (s, result))		\
	X(WRITE_SAME, 72, FMT_FAM_IO, (d, dur), (s, result))		\
	/* wait: fd is the epoll fd, or -1; timeout in ns, -1 = forever */ \
	X(POLL, 80, FMT_FAM_WAIT,					\
	  (d, dur), (s, fd), (u, nfds), (s, timeout), (s, result),	\
	  (u, call), (k, stack))					\
	/* (format 2.3) a POLL whose fd, nfds, timeout, call and stack	\
	 * are those of the batch's previous POLL.  Given back as POLL */ \
	X(POLL_SAME, 81, FMT_FAM_WAIT, (d, dur), (s, result))		\
	/* sleep: requested ns */					\
	X(SLEEP, 88, FMT_FAM_SLEEP,					\
	  (d, dur), (u, req), (s, result), (u, call), (k, stack))	\
	/* heap: addr 0 = failure; FREE has no stack (cost) */		\
	X(ALLOC, 96, FMT_FAM_HEAP,					\
	  (a, addr), (u, size), (u, call), (k, stack))			\
	X(FREE, 97, FMT_FAM_HEAP, (a, addr), (u, call))			\
	X(REALLOC, 98, FMT_FAM_HEAP,					\
	  (a, addr), (a, old), (u, size), (k, stack))			\
	X(MMAP, 99, FMT_FAM_HEAP,					\
	  (a, addr), (u, size), (u, prot), (s, fd), (k, stack))		\
	X(MUNMAP, 100, FMT_FAM_HEAP,					\
	  (a, addr), (u, size), (s, result))				\
	/* (format 2.1) an ALLOC or a FREE whose call and stack (a	\
	 * FREE: call) are those of the batch's previous ALLOC (FREE):	\
	 * a loop's blocks, two bytes and one fewer.  fmt_same_expand()	\
	 * gives them back as ALLOC and FREE: readers never show them */ \
	X(ALLOC_SAME, 101, FMT_FAM_HEAP, (a, addr), (u, size))		\
	X(FREE_SAME, 102, FMT_FAM_HEAP, (a, addr))			\
	/* user annotations (include/ctrace.h) */			\
	X(TASK_BEGIN, 112, FMT_FAM_USER,				\
	  (u, id), (u, parent), (n, type))				\
	X(TASK_END, 113, FMT_FAM_USER, (u, id))				\
	X(REGION_BEGIN, 114, FMT_FAM_USER, (u, task), (n, type))	\
	X(REGION_END, 115, FMT_FAM_USER, (u, task), (n, type))		\
	X(LOG, 116, FMT_FAM_USER,					\
	  (u, task), (n, category), (n, message))			\
	/* cpu: `src` says where run/wait come from (FMT_SCHED_SRC_*);	\
	 * run and wait are the thread's cumulative ns on a CPU and	\
	 * waiting on a run queue; period is the CPU ns the sample stands \
	 * for (the timer's interval times 1 + its overruns) */		\
	X(CPU_SAMPLE, 120, FMT_FAM_CPU,					\
	  (u, period), (u, src), (u, run), (u, wait), (k, stack))	\
	X(SCHED, 121, FMT_FAM_CPU,					\
	  (u, why), (u, src), (u, run), (u, wait))			\
	/* (minor 5) a fatal signal reached the thread: sig, si_code,	\
	 * the fault address (0 for a sent signal), the sender's pid	\
	 * (kill, tgkill; else 0), `action` FMT_SIG_*, and the stack of	\
	 * the interrupted code, the faulting function first */		\
	X(FATAL_SIGNAL, 122, FMT_FAM_CPU,				\
	  (u, sig), (s, code), (a, addr), (s, pid), (u, action),	\
	  (k, stack))

/*
 * FMT_EACH(M, p, fields...) : M(p, i, kind, name) for each (kind, name)
 * pair, i = 0, 1, ...  Fields are macro arguments, so a field or kind that
 * were also the name of an object-like macro would be replaced by it: the
 * golden traces' schema (tests/golden) would then no longer match.
 */
#define FMT_EACH(M, p, ...)						\
	FMT_CAT(FMT_EACH_, FMT_NARGS(__VA_ARGS__))(M, p, __VA_ARGS__)
#define FMT_NARGS(...)	FMT_NARGS_(__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define FMT_NARGS_(a, b, c, d, e, f, g, h, n, ...)	n
#define FMT_CAT(a, b)	FMT_CAT_(a, b)
#define FMT_CAT_(a, b)	a##b
#define FMT_PAIR(k, n)	k, n
#define FMT_AP(M, p, i, f)	FMT_AP_(M, p, i, FMT_PAIR f)
#define FMT_AP_(M, p, i, ...)	M(p, i, __VA_ARGS__)
#define FMT_EACH_1(M, p, a)	FMT_AP(M, p, 0, a)
#define FMT_EACH_2(M, p, a, b)	FMT_EACH_1(M, p, a) FMT_AP(M, p, 1, b)
#define FMT_EACH_3(M, p, a, b, c)					\
	FMT_EACH_2(M, p, a, b) FMT_AP(M, p, 2, c)
#define FMT_EACH_4(M, p, a, b, c, d)					\
	FMT_EACH_3(M, p, a, b, c) FMT_AP(M, p, 3, d)
#define FMT_EACH_5(M, p, a, b, c, d, e)					\
	FMT_EACH_4(M, p, a, b, c, d) FMT_AP(M, p, 4, e)
#define FMT_EACH_6(M, p, a, b, c, d, e, f)				\
	FMT_EACH_5(M, p, a, b, c, d, e) FMT_AP(M, p, 5, f)
#define FMT_EACH_7(M, p, a, b, c, d, e, f, g)				\
	FMT_EACH_6(M, p, a, b, c, d, e, f) FMT_AP(M, p, 6, g)
#define FMT_EACH_8(M, p, a, b, c, d, e, f, g, h)			\
	FMT_EACH_7(M, p, a, b, c, d, e, f, g) FMT_AP(M, p, 7, h)

/* the schema's strings of a field list: "auuk", "addr size call stack" */
#define FMT_KINDS(...)	FMT_EACH(FMT_KIND_, 0, __VA_ARGS__)
#define FMT_KIND_(p, i, k, n)	#k
#define FMT_NAMES(...)	FMT_EACH(FMT_NAME_, 0, __VA_ARGS__)
#define FMT_NAME_(p, i, k, n)	FMT_SEP_##i #n
#define FMT_SEP_0
#define FMT_SEP_1	" "
#define FMT_SEP_2	" "
#define FMT_SEP_3	" "
#define FMT_SEP_4	" "
#define FMT_SEP_5	" "
#define FMT_SEP_6	" "
#define FMT_SEP_7	" "

enum fmt_event_type {
#define FMT_X(name, code, fam, ...) FMT_EV_##name = code,
	FMT_EVENT_LIST(FMT_X)
#undef FMT_X
	FMT_EV_MAX = 128	/* codes are < 128: one byte in both forms */
};

/*
 * Field indices, FMT_F_<EVENT>_<field>: ev.f[FMT_F_ALLOC_size].  FMT_NF_<EVENT>
 * is the number of fields.
 */
enum fmt_field {
#define FMT_FIELD_(p, i, k, n)	p##_##n = i,
#define FMT_X(name, code, fam, ...)					\
	FMT_EACH(FMT_FIELD_, FMT_F_##name, __VA_ARGS__)			\
	FMT_NF_##name = FMT_NARGS(__VA_ARGS__),
	FMT_EVENT_LIST(FMT_X)
#undef FMT_X
#undef FMT_FIELD_
	/* every blocking event's first field is `dur` (test-format.c) */
	FMT_F_DUR = 0
};

/* THREAD_END.how, EXIT.how, FORK.kind, THREAD_JOIN.kind */
enum { FMT_END_RETURN, FMT_END_PTHREAD_EXIT, FMT_END_PROCESS };
enum { FMT_EXIT_EXIT, FMT_EXIT__EXIT, FMT_EXIT_MAIN_RETURN };
enum { FMT_FORK_FORK, FMT_FORK_VFORK };
enum { FMT_JOIN_JOIN, FMT_JOIN_TRY, FMT_JOIN_TIMED };

/* CPU_SAMPLE.src, SCHED.src: the kernel's accounting that was read */
enum {
	FMT_SCHED_SRC_NONE,	/* nothing could be read: run, wait 0 */
	FMT_SCHED_SRC_SCHEDSTAT,	/* /proc/thread-self/schedstat */
	FMT_SCHED_SRC_CPUCLOCK,	/* CLOCK_THREAD_CPUTIME_ID: wait unknown */
};

/* FATAL_SIGNAL.action: what followed the recording */
enum {
	FMT_SIG_DEFAULT,	/* the default action: the process dies */
	FMT_SIG_HANDLER,	/* the program's own handler was called */
};

/* SCHED.why: the moment of the reading */
enum {
	FMT_SCHED_START,	/* the thread (or the process) started */
	FMT_SCHED_END,		/* the thread is ending */
	FMT_SCHED_BLOCK,	/* a blocking call of 10 ms or more returned */
	FMT_SCHED_EXIT,		/* the process exits (read for every
				 * thread by the exiting one) */
};

/*
 * `call` of io, wait, sleep and heap events: which libc entry point.
 * One numbering for all families so dump can name any of them.
 */
#define FMT_CALL_LIST(X)						\
	X(read) X(write) X(pread) X(pwrite) X(readv) X(writev)		\
	X(preadv) X(pwritev) X(recv) X(recvfrom) X(recvmsg) X(send)	\
	X(sendto) X(sendmsg) X(accept) X(accept4) X(connect)		\
	X(fread) X(fwrite) X(fgets) X(getline) X(getdelim) X(fflush)	\
	X(open) X(openat) X(creat) X(socket) X(socketpair) X(pipe)	\
	X(pipe2) X(dup) X(dup2) X(dup3) X(eventfd) X(fopen) X(fdopen)	\
	X(poll) X(ppoll) X(select) X(pselect) X(epoll_wait)		\
	X(epoll_pwait) X(epoll_pwait2)					\
	X(sleep) X(usleep) X(nanosleep) X(clock_nanosleep)		\
	X(malloc) X(calloc) X(realloc) X(reallocarray) X(free)		\
	X(posix_memalign) X(aligned_alloc) X(memalign) X(valloc)	\
	X(pvalloc) X(mmap) X(munmap) X(fgetc) X(fputs) X(fputc)	\
	X(fprintf) X(getc) X(putc) X(puts) X(fscanf) X(recvmmsg)	\
	X(sendmmsg) X(preadv2) X(pwritev2) X(openat2) X(memfd_create)	\
	X(signalfd) X(timerfd_create) X(epoll_create) X(accept_fd)

enum fmt_call {
	FMT_CALL_NONE = 0,
#define FMT_CX(name) FMT_CALL_##name,
	FMT_CALL_LIST(FMT_CX)
#undef FMT_CX
	FMT_CALL_MAX
};

/* fmt_call_name() : "read", "fgets", ... or NULL for an unknown code */
const char *fmt_call_name(uint64_t call);

#define FMT_MAX_FIELDS	8
#define FMT_MAX_STACK	128	/* frames */
#define FMT_MAX_STR	4096	/* bytes of one inline string */

/*
 * A field name several events share means one thing in all of them: its
 * role.  Modules that treat every event with an `obj`, a `call` or a start
 * `routine` alike find it at in->at.obj, in->at.call, in->at.routine (the
 * index, or -1 where the event has none), filled from the names once.
 */
#define FMT_ROLE_LIST(X)						\
	X(dur) X(obj) X(fd) X(call) X(result) X(bytes) X(waker) X(wake_dt) \
	X(holder) X(routine)

struct fmt_roles {
#define FMT_X(name) int8_t name;
	FMT_ROLE_LIST(FMT_X)
#undef FMT_X
};

struct fmt_event_info {
	const char *name;	/* lower case, as `ctrace dump` prints it */
	const char *kinds;	/* one letter per field, see above */
	const char *fields;	/* space-separated field names */
	uint16_t family;
	uint8_t nfields;
	int8_t stack_field;	/* index of the 'k' field or -1 */
	int8_t str_field;	/* index of the first 'n' field or -1 */
	int8_t str2_field;	/* index of the second 'n' field or -1 */
	uint8_t signed_mask;	/* bit i: field i is 's' (zigzag) */
	uint8_t addr_mask;	/* bit i: field i is 'a' */
	uint8_t inline_mask;	/* bit i: field i is 'k' or 'n' */
	/* what the collector names before it writes the event (FMT_NAME_*):
	 * field name_field, or the innermost frame when it is -1 */
	uint8_t name_kind;
	int8_t name_field;
	/* a wire batch's index lists the event (wire.h): it has a 'k' or
	 * an 'n' field, or something to name */
	uint8_t indexed;
	struct fmt_roles at;	/* where the fields with a role are */
	uint8_t field_off[FMT_MAX_FIELDS];	/* of each name in names */
	const char *names;	/* the field names, each ending in a NUL */
};

/*
 * fmt_event_info.name_kind: a start routine or the interrupted pc of a CPU
 * sample or a fatal signal is code, named exactly (SYMBOL); a blocking
 * event's object (a mutex, a futex word) may be in a data symbol (DATA).
 */
enum { FMT_NAME_NONE, FMT_NAME_CODE, FMT_NAME_DATA };

/* fmt_field() : the name of field i of `in` ("size"), i < in->nfields */
static inline const char *fmt_field(const struct fmt_event_info *in,
				    unsigned i)
{
	return in->names + in->field_off[i];
}

/* the table behind fmt_event_info(), filled at its first use */
extern struct fmt_event_info fmt_infos_[];
extern int fmt_infos_ready_;
void fmt_infos_init_(void);

/*
 * fmt_event_info() : schema of event type `type`.
 * @return NULL for a code no schema defines (readers then reject the batch:
 * events carry no length, so an unknown one cannot be skipped).
 * In line: every reader asks it of every event (a call was 6% of
 * `ctrace profile heap`).  Racing first calls fill the same values.
 */
static inline const struct fmt_event_info *fmt_event_info(unsigned type)
{
	if (__builtin_expect(!__atomic_load_n(&fmt_infos_ready_,
					      __ATOMIC_ACQUIRE), 0))
		fmt_infos_init_();
	if (type >= FMT_EV_MAX || !fmt_infos_[type].name)
		return NULL;
	return &fmt_infos_[type];
}

/* fmt_field_name() : name of field i of `info` into buf; returns buf. */
const char *fmt_field_name(const struct fmt_event_info *info, unsigned i,
			   char *buf, size_t size);

/*
 * A decoded event.  In the wire form `stack`/`nstack` and `str`/`slen`
 * carry the inline data; in the file form the 'k' and 'n' fields hold table
 * ids and the pointers are unused.
 */
struct fmt_event {
	uint8_t type;
	uint64_t ts;
	uint64_t f[FMT_MAX_FIELDS];
	const uint64_t *stack;
	uint32_t nstack;
	const char *str;	/* first 'n' field */
	uint32_t slen;
	const char *str2;	/* second 'n' field */
	uint32_t slen2;
};

enum fmt_form { FMT_WIRE, FMT_FILE };

/* fmt_name_addr() : the address ev names (fmt_event_info.name_kind; 0:
 * none), what a wire batch's index carries for it */
static inline uint64_t fmt_name_addr(const struct fmt_event_info *in,
				     const struct fmt_event *ev)
{
	if (!in->name_kind)
		return 0;
	if (in->name_field >= 0)
		return ev->f[in->name_field];
	return ev->nstack ? ev->stack[0] : 0;
}

/*
 * A wire-form 'k' field is one varint x, then:
 *   x even: a definition, x >> 1 frames follow (each a varint); the
 *           batch's definitions are numbered 0, 1, 2... in order;
 *   x odd:  a reference to definition x >> 1 of the same batch.
 * So a loop's call site or a blocking call's 16-frame stack travels once
 * per batch, and a batch stands alone: one that is lost, dropped or sent
 * after a fork needs no other to be read.  The encoder's side is struct
 * fmt_kref: a small table of recent definitions, by frames, reset with
 * each batch (fmt_kref_batch()); a miss in it only costs a definition.
 */
#define FMT_KREF_BITS	6
struct fmt_kref_slot {
	uint64_t key;		/* the frame (n == 1), else a hash of them */
	const uint8_t *frames;	/* the definition's encoded frames */
	uint32_t len, n;	/* their bytes; frames */
	uint32_t id, gen;	/* definition number; batch it is of */
};
struct fmt_kref {
	uint32_t gen, ndefs;
	struct fmt_kref_slot slot[1u << FMT_KREF_BITS];
};

/* fmt_kref_batch() : a new batch starts: forget every definition */
static inline void fmt_kref_batch(struct fmt_kref *kr)
{
	kr->gen++;
	kr->ndefs = 0;
}

/* the decoder's side: the batch's definitions so far (the caller gives
 * room for one per event of the batch and sets n = 0 at its start) */
#define FMT_KDEF_NOID	UINT64_MAX
struct fmt_kdef {
	const uint8_t *frames;	/* into the batch's bytes, checked */
	uint32_t n;
	uint64_t id;		/* its interned id, or FMT_KDEF_NOID */
};
struct fmt_kdefs {
	struct fmt_kdef *def;
	uint32_t n, cap;
};

/*
 * An 'a' field (an address or a handle) of format 2, in both forms, is
 * one varint x read against the batch's struct fmt_addrs:
 *   x odd:   the value in slot x >> 1 (0..63: one byte);
 *   x even:  the batch's previous 'a' value plus unzigzag(x >> 1);
 *   x == 0:  the value itself follows, a second varint (a step of 2^62
 *            or more, which a delta cannot hold).
 * Every value then goes into slot fmt_addr_slot(value) and is the
 * previous one; both start at 0 with each batch.  A free names the
 * block its malloc returned a few dozen events before, and malloc
 * hands back blocks freed just before, so most heap addresses are a
 * one-byte slot and the rest a delta of two or three bytes, not the
 * six or seven bytes of the address: on malloc_churn 2.1 bytes, not 7.
 * The encoder never writes a delta of 0 (the previous value is always
 * in its slot), which frees x == 0 for the escape.
 */
#define FMT_ADDR_BITS	6
struct fmt_addrs {
	uint64_t prev;
	uint64_t slot[1u << FMT_ADDR_BITS];
};

static inline void fmt_addrs_batch(struct fmt_addrs *ad)
{
	memset(ad, 0, sizeof(*ad));
}

/* heap blocks are 16-byte aligned: the low bits would waste slots */
static inline unsigned fmt_addr_slot(uint64_t v)
{
	return (unsigned)(((v >> 4) * 0x9e3779b97f4a7c15ull) >>
			  (64 - FMT_ADDR_BITS));
}

static inline __attribute__((always_inline)) uint8_t *
fmt_put_addr(uint8_t *p, uint64_t v, struct fmt_addrs *ad)
{
	unsigned h = fmt_addr_slot(v);
	uint64_t z;

	if (ad->slot[h] == v) {
		p = fmt_put_uvar(p, h << 1 | 1);
	} else {
		z = fmt_zigzag((int64_t)(v - ad->prev));
		if (z >> 63) {
			*p++ = 0;
			p = fmt_put_uvar(p, v);
		} else {
			p = fmt_put_uvar(p, z << 1);
		}
		ad->slot[h] = v;
	}
	ad->prev = v;
	return p;
}

/* bound on one encoded event, for callers sizing buffers (an 'a' field
 * may take two varints) */
#define FMT_EVENT_MAX_BYTES \
	(2 + FMT_VARINT_MAX * (2 + 2 * FMT_MAX_FIELDS + FMT_MAX_STACK) + \
	 2 * FMT_MAX_STR)

/*
 * fmt_encode_event() : append `ev` to p as a delta from *prev_ts, which is
 * updated, its 'a' fields against ad (the batch's, updated; NULL: plain
 * varints, as format 1 had them).  Timestamps within a batch must not
 * decrease.  p must have FMT_EVENT_MAX_BYTES of room.
 * @return the new end of the data.
 */
uint8_t *fmt_encode_event(uint8_t *p, const struct fmt_event *ev,
			  enum fmt_form form, uint64_t *prev_ts,
			  struct fmt_addrs *ad);

/*
 * The kinds string of each type as a constant (fmt_kinds_ALLOC = "auuk"),
 * for fmt_encode_kinds() below.
 */
#define FMT_X(name, code, fam, ...)					\
	static const char fmt_kinds_##name[] = FMT_KINDS(__VA_ARGS__);
FMT_EVENT_LIST(FMT_X)
#undef FMT_X

/*
 * fmt_unfinished() : the UNFINISHED event of a blocking call of `type`
 * that started at ts and is still in progress at end: what the preload
 * records at exit and the collector at a snapshot, from the same
 * fields.  Only a mutex_block has a holder; the stack is the caller's.
 */
static inline void fmt_unfinished(struct fmt_event *ev, uint64_t ts,
				  uint64_t end, unsigned type, uint64_t obj,
				  int64_t fd, unsigned call, int64_t holder)
{
	ev->type = FMT_EV_UNFINISHED;
	ev->ts = ts;
	ev->f[FMT_F_UNFINISHED_dur] = end - ts;
	ev->f[FMT_F_UNFINISHED_type] = type;
	ev->f[FMT_F_UNFINISHED_obj] = obj;
	ev->f[FMT_F_UNFINISHED_fd] = (uint64_t)fd;
	ev->f[FMT_F_UNFINISHED_call] = call;
	ev->f[FMT_F_UNFINISHED_holder] =
		type == FMT_EV_MUTEX_BLOCK && holder > 0 ? (uint64_t)holder : 0;
}

static inline uint64_t fmt_kref_hash(const uint64_t *st, uint32_t n)
{
	uint64_t h = n;
	uint32_t j;

	for (j = 0; j < n; j++)
		h = (h ^ st[j]) * 0x100000001b3ull + (h >> 29);
	return h;
}

/*
 * fmt_put_kstack() : a wire-form 'k' field: a reference when kr holds the
 * same frames from this batch, else a definition (always without kr).
 * A one-frame stack (the call site: heap events) is its own key, so its
 * hit is decided before anything is written; deeper ones are compared
 * byte for byte with the earlier definition, never by hash alone.
 */
static inline __attribute__((always_inline)) uint8_t *
fmt_put_kstack(uint8_t *p, const uint64_t *st, uint32_t n,
	       struct fmt_kref *kr)
{
	struct fmt_kref_slot *s;
	uint8_t *hdr = p, *q;
	uint64_t key;
	uint32_t j;

	if (!kr || !n) {
		if (kr)
			kr->ndefs++;
		p = fmt_put_uvar(p, (uint64_t)n << 1);
		for (j = 0; j < n; j++)
			p = fmt_put_uvar(p, st[j]);
		return p;
	}
	key = n == 1 ? st[0] : fmt_kref_hash(st, n);
	s = &kr->slot[(key * 0x9e3779b97f4a7c15ull) >> (64 - FMT_KREF_BITS)];
	if (n == 1 && s->gen == kr->gen && s->key == key && s->n == 1)
		return fmt_put_uvar(p, (uint64_t)s->id << 1 | 1);
	p = fmt_put_uvar(p, (uint64_t)n << 1);
	q = p;
	for (j = 0; j < n; j++)
		p = fmt_put_uvar(p, st[j]);
	if (n > 1 && s->gen == kr->gen && s->key == key && s->n == n &&
	    s->len == (uint32_t)(p - q) && !memcmp(s->frames, q, p - q))
		return fmt_put_uvar(hdr, (uint64_t)s->id << 1 | 1);
	s->key = key;
	s->frames = q;
	s->len = p - q;
	s->n = n;
	s->id = kr->ndefs++;
	s->gen = kr->gen;
	return p;
}

/*
 * fmt_encode_kinds() : fmt_encode_event() with the schema's kinds string
 * of ev->type given by the caller.  It is the body of fmt_encode_event(),
 * which passes the kinds it looks up; a caller that passes a constant
 * (fmt_kinds_ALLOC) gets the loop unrolled into straight-line stores for
 * that one type, the preload's hot path, from the same code.  kr (wire
 * form only, may be NULL): the batch's stack references; ad as for
 * fmt_encode_event().
 */
static inline __attribute__((always_inline)) uint8_t *
fmt_encode_kinds(uint8_t *p, const struct fmt_event *ev, const char *kinds,
		 enum fmt_form form, uint64_t *prev_ts, struct fmt_kref *kr,
		 struct fmt_addrs *ad)
{
	unsigned i, nstr = 0;

	*p++ = ev->type;
	p = fmt_put_uvar(p, ev->ts - *prev_ts);
	*prev_ts = ev->ts;
	/* a constant trip count, so that a constant kinds unrolls fully */
#pragma GCC unroll 8
	for (i = 0; i < FMT_MAX_FIELDS; i++) {
		char k = kinds[i];

		if (!k)
			break;
		if (form == FMT_WIRE && k == 'k') {
			uint32_t n = ev->nstack < FMT_MAX_STACK ?
				     ev->nstack : FMT_MAX_STACK;

			p = fmt_put_kstack(p, ev->stack, n, kr);
		} else if (form == FMT_WIRE && k == 'n') {
			const char *str = nstr ? ev->str2 : ev->str;
			uint32_t n = nstr++ ? ev->slen2 : ev->slen;

			if (n > FMT_MAX_STR)
				n = FMT_MAX_STR;
			p = fmt_put_uvar(p, n);
			memcpy(p, str, n);
			p += n;
		} else if (k == 's') {
			p = fmt_put_uvar(p, fmt_zigzag((int64_t)ev->f[i]));
		} else if (k == 'a' && ad) {
			p = fmt_put_addr(p, ev->f[i], ad);
		} else {
			p = fmt_put_uvar(p, ev->f[i]);
		}
	}
	return p;
}

/* fmt_kinds_bound() : bytes fmt_encode_kinds() may write for ev (wire) */
static inline __attribute__((always_inline)) size_t
fmt_kinds_bound(const struct fmt_event *ev, const char *kinds)
{
	size_t n = 1 + FMT_VARINT_MAX, nstr = 0;
	unsigned i;

#pragma GCC unroll 8
	for (i = 0; i < FMT_MAX_FIELDS; i++) {
		if (!kinds[i])
			break;
		n += FMT_VARINT_MAX * (kinds[i] == 'a' ? 2 : 1);
		if (kinds[i] == 'k')
			n += FMT_VARINT_MAX * (ev->nstack < FMT_MAX_STACK ?
					       ev->nstack : FMT_MAX_STACK);
		if (kinds[i] == 'n') {
			uint32_t l = nstr++ ? ev->slen2 : ev->slen;

			n += l < FMT_MAX_STR ? l : FMT_MAX_STR;
		}
	}
	return n;
}

/*
 * fmt_decode_event() : decode one event from [*pp, end) in `form`, its
 * 'a' fields against ad (updated; NULL: plain, format 1).
 * Stacks are decoded into stackbuf (FMT_MAX_STACK entries), strings point
 * into the input.
 * @return 0 and advances *pp, or a negative FMT_E* code.
 */
int fmt_decode_event(const uint8_t **pp, const uint8_t *end,
		     enum fmt_form form, uint64_t *prev_ts,
		     struct fmt_event *ev, uint64_t *stackbuf,
		     struct fmt_addrs *ad);
/* fmt_decode_wire() : fmt_decode_event(FMT_WIRE) with the batch's stack
 * definitions (fmt_decode_event() has none: a reference is corrupt) */
int fmt_decode_wire(const uint8_t **pp, const uint8_t *end,
		    uint64_t *prev_ts, struct fmt_event *ev,
		    uint64_t *stackbuf, struct fmt_kdefs *kdefs,
		    struct fmt_addrs *ad);

/* fmt_get_addr() : the value of an 'a' field whose first varint x was
 * read (the second, after x == 0, is read from *pp); ad updated */
int fmt_get_addr(const uint8_t **pp, const uint8_t *end, uint64_t x,
		 struct fmt_addrs *ad, uint64_t *v);

/*
 * The collector turns every wire batch into file form.  Both forms carry
 * the type byte, the timestamp delta and every plain field as the same
 * bytes (the same values from the same base); only 'k' and 'n' fields
 * differ: inline data on the wire, a table id in the file.  So instead of
 * decoding and re-encoding every field, fmt_transcode_event() checks the
 * plain ones in place, copies them as they are, and asks the caller for
 * the ids of the inline ones.
 */
struct fmt_interner {
	void *ctx;
	/* id of a stack (n frames, n may be 0) / of a string of n bytes */
	uint64_t (*stack)(void *ctx, const uint64_t *frames, uint32_t n);
	uint64_t (*string)(void *ctx, const char *s, uint32_t n);
	struct fmt_kdefs *kdefs;	/* the batch's; NULL: no references */
	/* the batch's; NULL: not followed, each 'a' field skipped with its
	 * escape (x 0 and the value after it), unlike fmt_decode_event()'s
	 * format 1 reading of NULL */
	struct fmt_addrs *addrs;
};

/* bytes one event can grow by in fmt_transcode_event(): each inline field
 * (at least its 1-byte length) becomes one id; and 16 bytes of slack it
 * may scribble on past the end of its output (copies of short runs) */
#define FMT_TRANSCODE_GROWTH	(3 * (FMT_VARINT_MAX - 1) + 16)

/*
 * fmt_transcode_event() : one wire-form event from [*pp, end) to file
 * form at *outp, which needs room for the input event plus
 * FMT_TRANSCODE_GROWTH.  It accepts and refuses exactly what
 * fmt_decode_event(FMT_WIRE) does, with the same codes, so the output is
 * what decoding, interning and fmt_encode_event(FMT_FILE) would give
 * (byte for byte when the input's varints are minimal, as encoders write
 * them).  The interner is called for the inline fields before the event
 * is known to be whole: on an error the caller drops the output, and ids
 * already handed out stay valid.  stackbuf: FMT_MAX_STACK entries.  The
 * collector uses fmt_transcode_batch(); the tests hold it to this.
 * @return 0 and advances *pp, *outp and *prev_ts, or a negative FMT_E*.
 */
int fmt_transcode_event(const uint8_t **pp, const uint8_t *end,
			uint64_t *prev_ts, uint8_t **outp,
			const struct fmt_interner *in, uint64_t *stackbuf);

/*
 * fmt_transcode_batch() : a wire batch's events [p, end) in file form at
 * *outp, as fmt_transcode_event() gives them one by one, reading only the
 * events its index [ip, iend) lists (wire.h): their 'k' and 'n' fields
 * become ids, and every other byte is copied unread.  Before each listed
 * event with something to name (fmt_event_info.name_kind), ops->name()
 * gets the address its index entry carries (0: none is not named); after
 * it, ops->event() (when set) its code and plain fields, as encoded.
 * *outp needs room for (end - p) bytes and FMT_TRANSCODE_GROWTH per listed
 * event.  Events the index leaves out are not checked: a reader of the
 * file finds what is wrong with them.
 * @return 0, or a FMT_E* code: an index that goes back or past the end,
 * lists an event it should not, or a listed event that does not parse.
 */
struct fmt_batch_ops {
	void *ctx;
	void (*name)(void *ctx, unsigned kind, uint64_t addr);
	void (*event)(void *ctx, unsigned type, const uint64_t *f);
};
int fmt_transcode_batch(const uint8_t *p, const uint8_t *end,
			const uint8_t *ip, const uint8_t *iend, uint8_t **outp,
			const struct fmt_interner *intern, uint64_t *stackbuf,
			const struct fmt_batch_ops *ops);

/* error codes shared by the whole format module; never printed by it */
enum {
	FMT_OK = 0,
	FMT_ETRUNC = -1,	/* input ends inside an item */
	FMT_ECORRUPT = -2,	/* a value is out of range or a check fails */
	FMT_EMAGIC = -3,	/* not a ctrace file */
	FMT_EVERSION = -4,	/* major version this reader does not know */
	FMT_EIO = -5,		/* read or write failed: see errno */
	FMT_ENOMEM = -6,
	FMT_ETYPE = -7,		/* unknown event type */
};

/* fmt_strerror() : a lower-case phrase for a FMT_E* code */
const char *fmt_strerror(int err);

/*
 * The repeats: an event of code `rep` stands for one of code `base`
 * whose fields are those of the batch's previous `base` event (the same
 * EVENTS record or message), but for rep's own: base's fields at[0 ..
 * nrep), the same names in the same order.  A loop's events are mostly
 * repeats; readers give them back as what they stand for and never show
 * them.  Format 2.1: ALLOC_SAME and FREE_SAME; 2.3: READ_SAME,
 * WRITE_SAME and POLL_SAME.  test-format checks the table against the
 * schema's names.
 */
struct fmt_same_rule {
	uint8_t base, rep, nrep;
	uint8_t at[FMT_MAX_FIELDS];
	uint8_t keep;		/* bit i: base's field i, not rep's nor the
				 * stack, comes from the previous event */
	int8_t stack;		/* base's stack field, or -1 */
};

#define FMT_BIT(f)	(1u << (f))

/* the rules, by their base's name: X(ALLOC) stands for FMT_EV_ALLOC,
 * FMT_EV_ALLOC_SAME and FMT_SAME_ALLOC, the rule's index */
#define FMT_SAME_BASES(X)	X(ALLOC) X(FREE) X(READ) X(WRITE) X(POLL)

enum {
#define FMT_SAME_INDEX(base)	FMT_SAME_##base,
	FMT_SAME_BASES(FMT_SAME_INDEX)
#undef FMT_SAME_INDEX
	FMT_SAME_RULES
};

static const struct fmt_same_rule fmt_same_rules[FMT_SAME_RULES] = {
	[FMT_SAME_ALLOC] = { FMT_EV_ALLOC, FMT_EV_ALLOC_SAME, 2,
			     { FMT_F_ALLOC_addr, FMT_F_ALLOC_size },
			     FMT_BIT(FMT_F_ALLOC_call), FMT_F_ALLOC_stack },
	[FMT_SAME_FREE] = { FMT_EV_FREE, FMT_EV_FREE_SAME, 1,
			    { FMT_F_FREE_addr }, FMT_BIT(FMT_F_FREE_call), -1 },
	[FMT_SAME_READ] = { FMT_EV_READ, FMT_EV_READ_SAME, 2,
			    { FMT_F_READ_dur, FMT_F_READ_result },
			    FMT_BIT(FMT_F_READ_fd) | FMT_BIT(FMT_F_READ_bytes) |
			    FMT_BIT(FMT_F_READ_call), FMT_F_READ_stack },
	[FMT_SAME_WRITE] = { FMT_EV_WRITE, FMT_EV_WRITE_SAME, 2,
			     { FMT_F_WRITE_dur, FMT_F_WRITE_result },
			     FMT_BIT(FMT_F_WRITE_fd) |
			     FMT_BIT(FMT_F_WRITE_bytes) |
			     FMT_BIT(FMT_F_WRITE_call), FMT_F_WRITE_stack },
	[FMT_SAME_POLL] = { FMT_EV_POLL, FMT_EV_POLL_SAME, 2,
			    { FMT_F_POLL_dur, FMT_F_POLL_result },
			    FMT_BIT(FMT_F_POLL_fd) | FMT_BIT(FMT_F_POLL_nfds) |
			    FMT_BIT(FMT_F_POLL_timeout) |
			    FMT_BIT(FMT_F_POLL_call), FMT_F_POLL_stack },
};

/* fmt_same_of() : the rule a base or a repeat code belongs to, or -1 */
static inline int fmt_same_of(unsigned type)
{
	switch (type) {
#define FMT_SAME_CASE(base)						\
	case FMT_EV_##base: case FMT_EV_##base##_SAME:			\
		return FMT_SAME_##base;
	FMT_SAME_BASES(FMT_SAME_CASE)
#undef FMT_SAME_CASE
	}
	return -1;
}

/* fmt_is_repeat() : type is a repeat's code (readers never pass one on) */
static inline int fmt_is_repeat(unsigned type)
{
	int i = fmt_same_of(type);

	return i >= 0 && fmt_same_rules[i].rep == type;
}

/*
 * What a reader needs to give repeats back: each base's last event of
 * the batch, as the reader has it (file form: the stack is a table id).
 * Reset with each batch; a repeat with nothing before it is corrupt.
 */
struct fmt_same {
	uint64_t f[FMT_SAME_RULES][FMT_MAX_FIELDS];
	uint8_t have[FMT_SAME_RULES];
};

static inline void fmt_same_batch(struct fmt_same *s)
{
	memset(s->have, 0, sizeof(s->have));
}

/* fmt_same_apply() : fmt_same_expand() for rule i, a constant where it
 * is inlined, so that each field copied is one load and one store */
static inline __attribute__((always_inline)) int
fmt_same_apply(struct fmt_same *s, struct fmt_event *ev, int i,
	       uint64_t *repeats)
{
	const struct fmt_same_rule *r = &fmt_same_rules[i];
	uint32_t copy = r->keep | (r->stack >= 0 ? 1u << r->stack : 0);
	uint64_t own[FMT_MAX_FIELDS];
	unsigned j;

	if (ev->type == r->base) {
#pragma GCC unroll 8
		for (j = 0; j < FMT_MAX_FIELDS; j++)
			if (copy >> j & 1)
				s->f[i][j] = ev->f[j];
		s->have[i] = 1;
		return 0;
	}
	if (!s->have[i])
		return FMT_ECORRUPT;
	for (j = 0; j < r->nrep; j++)
		own[j] = ev->f[j];
	for (j = 0; j < r->nrep; j++)
		ev->f[r->at[j]] = own[j];
#pragma GCC unroll 8
	for (j = 0; j < FMT_MAX_FIELDS; j++)
		if (copy >> j & 1)
			ev->f[j] = s->f[i][j];
	ev->type = r->base;
	if (repeats)
		repeats[i]++;
	return 0;
}

/* fmt_same_expand() : after each decoded event of a batch: a base event
 * is remembered, a repeat becomes the event it stands for and, when
 * repeats is not NULL, is counted in repeats[its rule].
 * @return 0, or FMT_ECORRUPT for a repeat of nothing */
static inline __attribute__((always_inline)) int
fmt_same_expand(struct fmt_same *s, struct fmt_event *ev, uint64_t *repeats)
{
	/* most events are of no rule: two instructions say so */
	static const uint64_t any[2] = {	/* codes 64-95, 96-127 */
		1ull << FMT_EV_READ % 64 | 1ull << FMT_EV_WRITE % 64 |
		1ull << FMT_EV_READ_SAME % 64 | 1ull << FMT_EV_WRITE_SAME % 64 |
		1ull << FMT_EV_POLL % 64 | 1ull << FMT_EV_POLL_SAME % 64,
		1ull << FMT_EV_ALLOC % 64 | 1ull << FMT_EV_FREE % 64 |
		1ull << FMT_EV_ALLOC_SAME % 64 | 1ull << FMT_EV_FREE_SAME % 64,
	};
	_Static_assert(FMT_EV_READ >= 64 && FMT_EV_POLL_SAME < 96 &&
		       FMT_EV_ALLOC >= 96 && FMT_EV_FREE_SAME < 128,
		       "fmt_same_expand()'s masks: io in 64-95, heap in 96-127");

	if (ev->type < 64 || ev->type >= 128 ||
	    !(any[ev->type >> 5 & 1] >> (ev->type % 64) & 1))
		return 0;
	switch (ev->type) {
#define FMT_SAME_CASE(base)						\
	case FMT_EV_##base: case FMT_EV_##base##_SAME:			\
		return fmt_same_apply(s, ev, FMT_SAME_##base, repeats);
	FMT_SAME_BASES(FMT_SAME_CASE)
#undef FMT_SAME_CASE
	}
	return 0;
}

#endif
