/*
 * col.h - ctrace-collector internals shared by its files.
 *
 * The collector is one thread around one epoll loop (loop.c).  Traced
 * processes connect to a SOCK_SEQPACKET socket (sock.c); each connection
 * (client.c) carries one process image from HELLO to BYE or close.  The
 * process table (proc.c) ties images to pids and pidfds so the collector
 * knows when a process ended and how; intern.c turns inline stacks and
 * strings into table ids, and symbols.c names the code addresses those
 * stacks use; writer.c owns the trace file.
 *
 * The files form layers.  A file calls only files of layers below its
 * own, never one above nor one beside it (tests/e2e/080-collector-layers
 * checks the objects against this list):
 *
 *   layer 1  main.c                  modes, command line, start, end
 *   layer 2  loop.c                  epoll loop: dispatch, start, settle
 *   layer 3  client.c                connections: check, act on messages
 *   layer 4  proc.c sock.c           processes and images; the socket
 *   layer 5  symbols.c untraced.c    names of addresses; missing ones
 *   layer 6  intern.c symcache.c     stack and string tables; answers
 *                                    of earlier runs, by build-id
 *   layer 7  writer.c                the trace file, records, totals
 *   layer 8  flight.c                flight mode: the ring, snapshots
 *   layer 9  base.c                  col, the clock, the epoll set
 *
 * Each layer may call any layer below it; nothing calls up:
 *
 *        main.c
 *          v
 *        loop.c  <- the HELLOs client.c kept, the processes proc.c
 *          v        found gone: the loop has them read and acted on
 *        client.c
 *          v
 *   proc.c    sock.c
 *          v
 *   symbols.c    untraced.c
 *          v
 *        intern.c  -> symbols.c only through the pointer main.c gave
 *          v          col_intern_namer()
 *        writer.c
 *          v
 *        flight.c  <- snapshots asked for by loop.c (SIGUSR2),
 *          v          client.c (SNAPSHOT), proc.c (a crash)
 *        base.c
 *
 * What a lower layer must tell an upper one, it returns or queues, and
 * the upper one acts: a datagram handler never reads another datagram.
 * A HELLO is checked and kept (client.c); the loop then has it started
 * (col_clients_start), after the HELLOs of older connections and after
 * what the pid's earlier images still hold.  A process found gone
 * (pidfd, timer poll, waitpid, or already gone at HELLO) is told by
 * proc.c to the loop (a pidfd watch, col_procs_gone, col_proc_reaped's
 * return); the loop reads what it sent (col_clients_drain_proc) and
 * only then calls col_proc_exited().  intern.c names a new stack's
 * frames through the function main.c registers (symbols.c's
 * col_sym_addr), since symbols.c interns the strings of its names.
 */
#ifndef CTRACE_COL_H
#define CTRACE_COL_H

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

/* ---- base.c: the shared state, the clock, the epoll set ---- */

enum col_mode { COL_RECORD, COL_COLLECT, COL_SERVE, COL_SNAPSHOT, COL_CTL };

/* what an epoll registration points at: the first member of its owner */
enum col_kind { COL_W_LISTEN, COL_W_SIGNAL, COL_W_TIMER, COL_W_CLIENT,
		COL_W_PIDFD };

struct col_watch {
	enum col_kind kind;
};

/* each field says which file writes it; the others only read it */
struct col_state {
	enum col_mode mode;	/* main.c */
	int quiet;		/* main.c */
	const char *out_path;	/* main.c: the trace, after any fallback */
	int epfd;		/* loop.c: col_loop_init() */
	int listen_fd;		/* main.c */
	pid_t root_pid;		/* main.c; record: the command, else 0 */
	int root_reaped;	/* proc.c: col_proc_reaped() */
	int root_status;	/* proc.c: raw wait status once reaped */
	int nclients;		/* client.c: open connections */
	int ever_client;	/* client.c: one connection was accepted */
	uint64_t rx_bytes;	/* client.c: datagram bytes received */
	int nlive;		/* proc.c: processes not yet seen to exit */
	int stop;		/* loop.c: a signal asked to finish now */
	int snap_on_crash;	/* main.c: --snapshot-on-crash */
	int windows;		/* main.c: --paused, recording windows */
	unsigned nsnapshots;	/* flight.c: snapshots written */
};

extern struct col_state col;

/* CLOCK_MONOTONIC in ns, the clock of every timestamp in the trace */
uint64_t col_now(void);

/* col_watch_add() : watch fd for input, dispatch() gets w back: 0, or -1
 * with errno (the caller decides what an unwatched fd means) */
int col_watch_add(int fd, struct col_watch *w);
/* col_watch_del() : before fd is closed */
void col_watch_del(int fd);

/* ---- loop.c ---- */
/* col_loop_init() : the epoll set, the signalfd (signals blocked by
 * main()), the 1 s timer, and the listening socket in the set */
void col_loop_init(void);
/*
 * col_loop_run() : until the trace is complete (loop.c's top comment):
 * each batch of events is dispatched, the HELLOs each one read started,
 * the processes found gone settled, and then what ended freed.
 */
void col_loop_run(void);

/* ---- sock.c ---- */
/* each dies with EXIT_SOCKET on failure; the path is kept for cleanup */
int col_sock_private(void);
int col_sock_at(const char *path);
int col_sock_adopt(int fd);
const char *col_sock_path(void);
/* our mkdtemp directory ("" when none); its rmdir at cleanup fails, and
 * so keeps it, when a trace fell back into it */
const char *col_sock_dir(void);
void col_sock_own(void);	/* this process removes the socket at exit */
void col_sock_cleanup(void);
/* accept one pending connection: fd, -1 when none is left; a connection
 * of another user is refused and, a bounded number of times, written as
 * an UNTRACED record (reason uid) */
int col_sock_accept(int lfd, pid_t *peer_pid);

/* ---- client.c ---- */
struct col_client;
struct col_image;
struct col_proc;

/* col_accept_all() : every connection waiting, watched, at the end of the
 * client list (col.nclients, col.ever_client); reads nothing */
void col_accept_all(void);
/*
 * col_client_read() : up to budget datagrams of c, each checked whole
 * and then acted on (records written through the layers below); a bad
 * one closes c.  It stops at a HELLO, kept for col_clients_start(): c is
 * read again after its image started.  Closing c ends its image's
 * connection (col_sym_image_end, col_image_closed).
 */
void col_client_read(struct col_client *c, int budget);
/*
 * col_clients_start() : after a dispatch, when a HELLO was kept: accept
 * what waits, read the HELLOs of connections without an image, and
 * start each image oldest connection first, each after reading what its
 * pid's open images still hold (they may end by exec).  Starting one
 * writes its PROCESS record (with PROCESS_END, LOST and UNTRACED
 * records of the images it replaced, before it).
 */
void col_clients_start(void);
/*
 * col_clients_drain_proc() : before the loop calls col_proc_exited(p):
 * col_clients_start()'s work whether a HELLO was kept or not (an exec'ed
 * image's HELLO may wait in the backlog), then everything p's open
 * images' connections hold.
 */
void col_clients_drain_proc(struct col_proc *p);
/*
 * col_clients_drain_all() : at a stop (a signal): accept what waits in
 * the backlog, start every kept HELLO and read every connection until
 * nothing more is queued, so a stop loses nothing already sent.  What
 * the processes send afterwards is theirs to count (their images are
 * cut at the end).
 */
void col_clients_drain_all(void);
/*
 * col_clients_snapshots() : after a batch: the snapshot requests it
 * made (col_flight_later), each taken once the backlog was accepted,
 * what the traced connections hold was read (SNAP_READ_BUDGET datagrams
 * each at most) and their HELLOs started, so that a snapshot has what
 * was sent before it was asked for; a `ctrace snapshot`'s refusal is
 * answered here, the rest by flight.c.
 */
void col_clients_snapshots(void);
/* col_clients_gc() : free the closed connections; between batches, when
 * no event may point at one */
void col_clients_gc(void);

/* ---- proc.c ---- */
struct col_hello {
	uint64_t pid, ppid, ts, flags;
};

/* col_proc_root() : record: pid, the command main.c forked, is the root
 * (no pidfd: SIGCHLD and col_proc_reaped() tell its end) */
struct col_proc *col_proc_root(pid_t pid);
/* col_proc_find() : pid's process if it has not exited, else NULL */
struct col_proc *col_proc_find(pid_t pid);
/* col_proc_conn() : the connection of p's next image that is open and
 * has not ended, NULL after the last; *it is NULL at the first call */
struct col_client *col_proc_conn(struct col_proc *p, struct col_image **it);
/*
 * col_image_hello() : a HELLO (the caller read what col_proc_conn()
 * lists of its pid first): the image it starts, with a new image id.  A
 * live pid's open images end as exec'ed (PROCESS_END, exec); a fork
 * child's pid whose old process is gone ends that one first.  A new pid
 * gets a process (a pidfd watch; col.nlive).  h->flags becomes the
 * PROCESS flags.  Writes no PROCESS record itself.
 */
struct col_image *col_image_hello(struct col_client *conn,
				  struct col_hello *h);
uint64_t col_image_id(const struct col_image *img);
pid_t col_image_pid(const struct col_image *img);
/* col_image_fatal() : a FATAL_SIGNAL of the default action: the image
 * dies of sig; its end takes a crash snapshot (--snapshot-on-crash) */
void col_image_fatal(struct col_image *img, int sig);
/* col_image_seen() : an event or BYE at ts: a vanished image ends there */
void col_image_seen(struct col_image *img, uint64_t ts);
/*
 * col_image_bye() : a BYE: how the image ends (FMT_PEND_EXIT or _EXIT),
 * kept until its connection closes; a later BYE (exit() from an atexit
 * handler) replaces it.  Writes nothing.
 */
void col_image_bye(struct col_image *img, uint64_t ts, uint64_t status,
		   unsigned how);
/* col_image_exec() : an EXEC message, path about to run ("" when it is
 * not known; NULL clears it: anything sent after it means the exec
 * failed) */
void col_image_exec(struct col_image *img, const char *path, size_t n);
/*
 * col_image_closed() : img's connection closed (client.c, once).  The
 * image ends now if it can be told how: by its BYE; wait (the root,
 * reaped); exec'ed into what never connected (an UNTRACED record, then
 * PROCESS_END); vanished, its LOST records of killed events first (the
 * process exited); exec'ed into what cannot connect (UNTRACED).
 * Otherwise it stays open until its process exits or its pid's next
 * HELLO comes.
 */
void col_image_closed(struct col_image *img);
/*
 * col_image_table() : fd, from HELLO, is the image's thread table
 * (wire.h): checked (a sealed memfd of the right size and magic), mapped
 * read-only, and closed in any case; garbage is ignored.  -1: none.
 */
void col_image_table(struct col_image *img, int fd);
/* col_image_count() : tid's events the table counted reached us (EVENTS,
 * or LOST full/bad) */
void col_image_count(struct col_image *img, uint64_t tid, uint64_t n);
/* col_image_count_reset() : tid is a new thread's (a THREAD_START): what
 * an earlier thread of that tid sent no longer counts against its slot */
void col_image_count_reset(struct col_image *img, uint64_t tid);
/*
 * col_proc_exited() : p has exited (its pidfd fired, col_procs_gone()
 * named it, the root was reaped, or a fork child's HELLO found its pid
 * reused), and what it sent was read (col_clients_drain_proc): it stops
 * counting in col.nlive, and every image whose connection closed ends,
 * wait for the root, else vanished (LOST killed first) or exec'ed into
 * what never connected (UNTRACED first).  Images still connected end
 * when they close.  Once per process.
 */
void col_proc_exited(struct col_proc *p);
/* col_proc_reaped() : record: waitpid() returned the root's status: noted
 * (col.root_reaped, col.root_status); the root's process to settle, as
 * col_proc_exited() after col_clients_drain_proc(), or NULL */
struct col_proc *col_proc_reaped(int wstatus);
/* col_proc_poll() : the 1 s timer, without pidfds (Linux < 5.3): marks
 * the processes found exited for col_procs_gone() */
void col_proc_poll(void);
/* col_procs_gone() : after a batch, the next process known to be gone
 * that no pidfd will report (gone before pidfd_open, or polled), or NULL;
 * the loop settles each, so the list empties */
struct col_proc *col_procs_gone(void);
/* col_procs_cut() : the collector stops: every image still open ends,
 * cut (by its BYE if it sent one) */
void col_procs_cut(void);
/*
 * col_procs_pending() : for a snapshot at now: the call each thread of
 * an open image is blocked in (its thread table, wire.h), as EVENTS
 * records of one UNFINISHED event each (dur up to now, stack the call
 * site), appended to out in chunk form; their names are written first.
 * Returns how many.
 */
uint64_t col_procs_pending(struct fmt_buf *out, uint64_t now);
/* col_procs_gc() : free the images that ended and closed, and exited
 * processes without images (never the root); between batches */
void col_procs_gc(void);

/* ---- intern.c ---- */
/*
 * col_intern_stack() : the id of image's stack frames[0..n) (0 for an
 * empty one); the first time, the function col_intern_namer() was given
 * names each frame (MODULE, SYMBOL records) and a STACK record follows.
 */
uint64_t col_intern_stack(uint64_t image, const uint64_t *frames, uint32_t n);
/* col_intern_string() : the id of s[0..n); the first time, a STRING
 * record */
uint64_t col_intern_string(const char *s, uint32_t n);
/* col_intern_namer() : main.c, at start: what names a new stack's frames
 * (col_sym_addr); NULL (the fuzz harness) names none */
void col_intern_namer(void (*fn)(uint64_t image, uint64_t addr, int exact));

/* ---- symbols.c ---- */
struct fmt_msg_modules;

/* a HELLO: the image's module table starts from its /proc/PID/maps */
void col_sym_image_start(uint64_t image, pid_t pid, const char *exe,
			 size_t exe_len);
/* its connection closed: nothing more can name its addresses */
void col_sym_image_end(uint64_t image);
/* a MODULES message, checked whole by fmt_msg_parse_modules() */
void col_sym_modules(uint64_t image, struct fmt_msg_modules *m);
/* an EVENTS message starts: paces the maps rescans */
void col_sym_batch(void);
/*
 * col_sym_addr() : make sure the trace names addr of image: writes the
 * MODULE record of its object and a SYMBOL record (with their strings)
 * the first time, before the caller writes the record that uses it.
 * exact: addr is the instruction itself (a start routine, the pc a CPU
 * sample interrupted), not a return address.
 */
void col_sym_addr(uint64_t image, uint64_t addr, int exact);
/*
 * col_sym_data() : make sure the trace names object address addr of
 * image when a data symbol holds it: a DATA record (with its string) the
 * first time, before the caller writes the record that uses it.
 */
void col_sym_data(uint64_t image, uint64_t addr);
/* col_sym_finish() : at the end of the run: keep what was learnt */
void col_sym_finish(void);

/* ---- symcache.c ---- */
/*
 * col_symcache_open() : the answers kept for the ELF file of build-id id
 * (n bytes) whose debug information is described by ident, in
 * CTRACE_CACHE_DIR (empty: none), else $XDG_CACHE_HOME/ctrace/symbols,
 * else ~/.cache/ctrace/symbols.  NULL when there is no cache.
 */
struct col_symcache *col_symcache_open(const unsigned char *id, size_t n,
				       const char *ident);
/* col_symcache_get() : the answer kept for (vaddr, exact), or NULL */
const char *col_symcache_get(struct col_symcache *c, uint64_t vaddr,
			     int exact);
/* col_symcache_put() : keep text (no newline) as the answer (c may be
 * NULL) */
void col_symcache_put(struct col_symcache *c, uint64_t vaddr, int exact,
		      const char *text);
/* col_symcache_save_all() : rewrite every cache file that learnt more */
void col_symcache_save_all(void);

/* ---- untraced.c ---- */
/*
 * col_explain_untraced() : one warning saying why the command record ran
 * never connected: statically linked, setuid, setgid, file capabilities,
 * or a loader that ignored LD_PRELOAD.  Writes no record.
 */
void col_explain_untraced(const char *cmd);

/*
 * col_untraced() : write an UNTRACED record for pid (how FMT_UNTR_*,
 * reason FMT_WHY_*, err an errno or 0), counted in col_counts; ppid -1
 * and path NULL are read from /proc/pid.
 */
void col_untraced(pid_t pid, pid_t ppid, unsigned how, unsigned reason,
		  int err, const char *path);

/*
 * col_untraced_exec() : pid announced an exec (EXEC), closed its
 * connection without BYE and lives on: when its new image cannot reach
 * us (statically linked, secure execution, another user, no LD_PRELOAD),
 * write why and return 1; 0 when it may still connect.  hold (the root,
 * whose status its reaping gives): keep the record for
 * col_untraced_release() instead.
 */
int col_untraced_exec(pid_t pid, int hold);
/* col_untraced_release() : write the record col_untraced_exec() held, if
 * any, with status when not NULL */
void col_untraced_release(const int *status);

/* col_untraced_dead() : pid exec'ed path (its EXEC message) and ended
 * before its new image connected: write why, from the file, and the
 * program's waitpid() status when status is set (the root's) */
void col_untraced_dead(pid_t pid, const char *path, const int *status);

/* ---- writer.c ---- */
struct col_counts {
	uint64_t nevents, nlost, nprocesses, nuntraced;
};

/* the END record's totals and the summary line: each file counts what
 * it writes */
extern struct col_counts col_counts;

/* col_writer_open() : create the trace at path (col.out_path names it
 * in messages): 0, or -1 with errno set */
int col_writer_open(const char *path);
/* col_writer_start() : the file header, then the SCHEMA record; dies
 * with EXIT_OUTPUT if the header cannot be written */
void col_writer_start(uint64_t start_mono, uint64_t start_real);
/*
 * col_write() : one record into the current chunk, which goes to disk
 * when full, or at an EVENTS record 100 ms after the chunk's first.
 * After a write error (said once) records are dropped.
 */
void col_write(unsigned type, const struct fmt_buf *payload);
/* col_write_lost() : a LOST record, added to the totals */
void col_write_lost(pid_t pid, uint64_t tid, uint64_t count,
		    uint64_t reason);
/* col_writer_tick() : the 1 s timer, SIGUSR1: the current chunk to disk */
void col_writer_tick(void);
/* END (if clean), flush, fsync, close: 0, or -1 if anything failed;
 * flight mode: nothing was written, nothing is */
int col_writer_finish(int clean);
/*
 * col_windows_init() : --paused: the window word's file beside the
 * socket (wire.h), shut, created before any process can map it; dies
 * with EXIT_SOCKET when it cannot.  Not paused: a stale one (of a killed
 * collector) removed, so that no process maps it.  col_window_ctl() opens (1) or closes
 * (0) the window, writing WINDOW_OPEN and WINDOW records (flight mode:
 * keeping the window for the snapshots); col_writer_finish() closes
 * one still open.  col_windows_cleanup()
 * removes the file (before col_sock_cleanup's rmdir).
 */
void col_windows_init(const char *sock_path, int paused);
void col_window_ctl(int open);
void col_windows_cleanup(void);
void col_windows_own(void);	/* this process removes it (--daemon) */

/* ---- flight.c ---- */
/*
 * col_flight_window() : a window of a paused flight collector opened at
 * start (end 0) or closed at end: kept for the snapshots, each of which
 * gets those in its span, cut to it, as WINDOW_OPEN and WINDOW (the one
 * open closed at the snapshot's end).
 */
void col_flight_window(uint64_t start, uint64_t end);
/* what asks for a snapshot */
struct col_snap {
	unsigned trigger;	/* FMT_SNAP_* */
	pid_t pid;		/* the process that asked or crashed, or 0 */
	const char *reason;	/* not NUL-terminated */
	size_t reason_len;
	const char *path;	/* NULL or "": named by time and reason */
	uint64_t now;		/* its time (col_now()), 0: when written */
	/* col_procs_pending()'s records, after the window's, or NULL */
	const struct fmt_buf *pending;
	uint64_t npending;
};

/* col_flight_init() : main.c: flight mode with a ring of size bytes,
 * chunks older than age_ns (0: no bound) evicted; snapshots go into
 * out_path's directory */
void col_flight_init(uint64_t size, uint64_t age_ns, const char *out_path);
int col_flight_on(void);
/* col_flight_start() : the clocks at start (col_writer_start) */
void col_flight_start(uint64_t start_mono, uint64_t start_real);
/* col_flight_record() : col_write() in flight mode: into its store */
void col_flight_record(unsigned type, const struct fmt_buf *payload);
/* col_flight_tick() : the 1 s timer: seal the ring's chunk, evict */
void col_flight_tick(void);
/*
 * col_flight_snapshot() : a snapshot of the window (flight.c's top
 * comment) into a new file, written by a child off the loop: 0 once it
 * is under way, and when it is done answer_fd (a `ctrace snapshot`
 * connection of its own, or -1) gets SNAPSHOT_DONE and is closed; or -1
 * and errno when the file cannot be created (EINVAL: not in flight
 * mode), answer_fd untouched.  The recording goes on.
 */
int col_flight_snapshot(const struct col_snap *req, int answer_fd);
/*
 * col_flight_later() : queue a snapshot request (req copied; its now and
 * pending are set when it is taken), answer_fd as col_flight_snapshot's:
 * the loop takes them after the batch (col_clients_snapshots), once what
 * was sent before them is read.  col_flight_asked() : any queued.
 * col_flight_next() : the oldest into *req (its strings valid until the
 * next call) and *answer_fd, 1; or 0, none left.
 */
void col_flight_later(const struct col_snap *req, int answer_fd);
int col_flight_asked(void);
int col_flight_next(struct col_snap *req, int *answer_fd);
/* col_flight_reap() : SIGCHLD, the timer: the writers that finished */
void col_flight_reap(void);
/* col_flight_finish() : the end: wait for every writer */
void col_flight_finish(void);
/* the ring's compressed bytes; events evicted so far */
uint64_t col_flight_bytes(void);
uint64_t col_flight_evicted(void);

#endif
