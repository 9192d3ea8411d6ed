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
 */
#ifndef CTRACE_COL_H
#define CTRACE_COL_H

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

enum col_mode { COL_RECORD, COL_COLLECT, COL_SERVE };

/* what an epoll registration points at: the first member of its owner */
enum col_kind { COL_W_LISTEN, COL_W_SIGNAL, COL_W_TIMER, COL_W_CLIENT,
		COL_W_PIDFD };

struct col_watch {
	enum col_kind kind;
};

struct col_state {
	enum col_mode mode;
	int quiet;
	const char *out_path;
	int epfd;
	int listen_fd;
	pid_t root_pid;		/* record: the command; 0 otherwise */
	int root_reaped;
	int root_status;	/* raw wait status once reaped */
	int nclients;		/* open connections */
	int ever_client;	/* at least one connection was accepted */
	int nlive;		/* processes not yet seen to exit */
	int stop;		/* a signal asked to finish now */
};

extern struct col_state col;

/* ---- base.c ---- */
/* CLOCK_MONOTONIC in ns, the clock of every timestamp in the trace */
uint64_t col_now(void);
int col_watch_add(int fd, struct col_watch *w);
void col_watch_del(int fd);

/* ---- loop.c ---- */
void col_loop_init(void);
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
/* accept one pending connection: fd, -1 when none is left */
int col_sock_accept(int lfd, pid_t *peer_pid);

/* ---- client.c ---- */
struct col_client;
struct col_image;

struct col_proc;

void col_accept_all(void);
/* stops at a HELLO, kept for col_clients_start() */
void col_client_read(struct col_client *c, int budget);
/* after each dispatch: start the images of the HELLOs kept, oldest first,
 * after the older connections' HELLOs and their pid's open images */
void col_clients_start(void);
/* before col_proc_exited(p): new connections and their HELLOs, then what
 * p's open images' connections still hold */
void col_clients_drain_proc(struct col_proc *p);
void col_clients_gc(void);

/* ---- proc.c ---- */
struct col_hello {
	uint64_t pid, ppid, ts, flags;
};

struct col_proc *col_proc_root(pid_t pid);
/* pid's process if it has not exited, else NULL */
struct col_proc *col_proc_find(pid_t pid);
/* the connection of p's next open image, NULL after the last; *it NULL
 * at first */
struct col_client *col_proc_conn(struct col_proc *p, struct col_image **it);
/* a HELLO: the image it starts; h->flags becomes the PROCESS flags */
struct col_image *col_image_hello(struct col_client *conn,
				  struct col_hello *h);
uint64_t col_image_id(const struct col_image *img);
pid_t col_image_pid(const struct col_image *img);
void col_image_seen(struct col_image *img, uint64_t ts);
void col_image_bye(struct col_image *img, uint64_t ts, uint64_t status,
		   unsigned how);
/* col_image_exec() : an EXEC message, path about to run ("" clears it:
 * anything sent after it means the exec failed) */
void col_image_exec(struct col_image *img, const char *path, size_t n);
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
void col_proc_exited(struct col_proc *p);
/* the root to settle as col_proc_exited(), or NULL */
struct col_proc *col_proc_reaped(int wstatus);
void col_proc_poll(void);
/* the next process gone that no pidfd reports, or NULL */
struct col_proc *col_procs_gone(void);
void col_procs_cut(void);
void col_procs_gc(void);

/* ---- intern.c ---- */
uint64_t col_intern_stack(uint64_t image, const uint64_t *frames, uint32_t n);
uint64_t col_intern_string(const char *s, uint32_t n);
/* col_intern_namer() : main.c, at start: what names a new stack's frames
 * (col_sym_addr); NULL (the fuzz harness) names none */
void col_intern_namer(void (*fn)(uint64_t image, uint64_t addr, int exact));

/* ---- symbols.c ---- */
struct fmt_cursor;

/* a HELLO: the image's module table starts from its /proc/PID/maps */
void col_sym_image_start(uint64_t image, pid_t pid, const char *exe,
			 size_t exe_len);
/* its connection closed: nothing more can name its addresses */
void col_sym_image_end(uint64_t image);
/* a MODULES message (payload after the header): 0, or -1 if malformed */
int col_sym_modules(uint64_t image, struct fmt_cursor *cur);
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

/* ---- writer.c ---- */
struct col_counts {
	uint64_t nevents, nlost, nprocesses, nuntraced;
};

extern struct col_counts col_counts;

/*
 * col_explain_untraced() : one warning saying why the command record ran
 * never connected: statically linked, setuid, setgid, file capabilities,
 * or a loader that ignored LD_PRELOAD (untraced.c).
 */
void col_explain_untraced(const char *cmd);

/*
 * col_untraced() : write an UNTRACED record for pid (how FMT_UNTR_*,
 * reason FMT_WHY_*, err an errno or 0); ppid -1 and path NULL are read
 * from /proc/pid.
 */
void col_untraced(pid_t pid, pid_t ppid, unsigned how, unsigned reason,
		  int err, const char *path);

/*
 * col_untraced_exec() : pid announced an exec (EXEC), closed its
 * connection without BYE and lives on: when its new image cannot reach us (statically
 * linked, secure execution, another user, no LD_PRELOAD), write why and
 * return 1; 0 when it may still connect.
 */
int col_untraced_exec(pid_t pid);

/* col_untraced_dead() : pid exec'ed path (its EXEC message) and ended
 * before its new image connected: write why, from the file */
void col_untraced_dead(pid_t pid, const char *path);

/* col_writer_open() : create the trace; -1 with errno set on failure */
int col_writer_open(const char *path);
void col_writer_start(uint64_t start_mono, uint64_t start_real);
void col_write(unsigned type, const struct fmt_buf *payload);
/* col_write_lost() : a LOST record, added to the totals */
void col_write_lost(pid_t pid, uint64_t tid, uint64_t count,
		    uint64_t reason);
void col_writer_tick(void);
/* END (if clean), flush, fsync, close: 0, or -1 if anything failed */
int col_writer_finish(int clean);

#endif
