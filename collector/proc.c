/*
 * proc.c - processes and their images: who is alive, how each image ended.
 *
 * Every HELLO starts an image (a PROCESS record with a new image id).  An
 * image ends exactly once, with one PROCESS_END:
 *
 *   BYE seen, then the connection closed       how = exit / _exit (BYE)
 *   closed without BYE, a new HELLO for pid    how = exec  (ts: new HELLO)
 *   closed without BYE, the process exited     how = vanished (ts: last
 *                                              event seen)
 *   the record root, closed without BYE        how = wait, raw wait status
 *   still open when the collector stops        how = cut
 *
 * An image that ends vanished or wait had no final flush: the thread
 * table its HELLO carried (wire.h) says what each thread had buffered,
 * and what never reached us is written as LOST, reason killed, just
 * before its PROCESS_END.
 *
 * A connection's EOF can reach us before or after its process' pidfd
 * fires, and a new image's HELLO can wait in the listen backlog, so before
 * deciding that a process exited (or exec'ed) the collector first reads
 * everything already queued: new connections, their HELLOs, and the rest
 * of the process' own connections.  That reading is not done here: the
 * loop (col_clients_drain_proc) and client.c (before col_image_hello) do
 * it, and then call in; nothing in this file reads a connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "col.h"
#include "events.h"
#include "file.h"
#include "hash.h"
#include "log.h"
#include "wire.h"

struct col_image {
	uint64_t id;
	struct col_proc *proc;
	struct col_client *conn;	/* NULL once the connection closed */
	uint64_t last_ts;		/* HELLO, last event or BYE */
	int bye, ended;
	uint64_t bye_ts, bye_status;
	unsigned bye_how;		/* FMT_PEND_EXIT or FMT_PEND__EXIT */
	int fatal_sig;			/* FATAL_SIGNAL it will die of, or 0 */
	char *exec_path;		/* an EXEC message, not yet undone */
	const struct fmt_tab *tab;	/* its thread table, or NULL */
	struct htab got;		/* tid -> events that reached us */
	struct col_image *next;
};

struct col_proc {
	struct col_watch w;		/* first: epoll hands it back */
	pid_t pid;
	int pidfd;			/* -1: none (root) or fired */
	int exited, root, counted, polled, gone;
	struct col_image *images;	/* newest first */
	struct col_proc *next;		/* all processes */
	struct col_proc *hnext;		/* older process of the same pid */
};

static struct col_proc *procs;
static struct hmap by_pid;		/* pid -> newest col_proc of it */
static struct col_proc *root;
static uint64_t last_image;
static int need_gc;
static int ngone;		/* exited before pidfd_open: settle soon */

static int pid_gone(pid_t pid);

static struct col_proc *find(pid_t pid)
{
	struct col_proc *p;

	/* newest first: a reused pid finds its current process */
	for (p = hmap_get(&by_pid, (uint64_t)pid); p; p = p->hnext)
		if (p->pid == pid)
			return p;
	return NULL;
}

static void watch_pid(struct col_proc *p)
{
	p->pidfd = syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd >= 0 && col_watch_add(p->pidfd, &p->w) == 0) {
		col.nlive++;
		return;
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
	col.nlive++;
	if (errno == ESRCH) {
		/*
		 * Gone before we could look, but what it sent is still
		 * queued (maybe an exec'ed image's HELLO): settle it after
		 * this batch, the way a pidfd event would.
		 */
		p->gone = 1;
		ngone++;
		return;
	}
	/* no pidfds (Linux < 5.3): the 1 s timer polls it instead */
	p->polled = 1;
}

static struct col_proc *proc_new(pid_t pid, int is_root)
{
	struct col_proc *p = xcalloc(1, sizeof(*p));

	p->w.kind = COL_W_PIDFD;
	p->pid = pid;
	p->pidfd = -1;
	p->root = is_root;
	p->next = procs;
	procs = p;
	p->hnext = hmap_put(&by_pid, (uint64_t)pid, p);
	/* the root is our child: SIGCHLD and waitpid() tell its end */
	if (!is_root)
		watch_pid(p);
	return p;
}

struct col_proc *col_proc_root(pid_t pid)
{
	root = proc_new(pid, 1);
	return root;
}

/* ---- the thread table: what a process that died had recorded ---- */

void col_image_table(struct col_image *img, int fd)
{
	struct stat st;
	int seals;
	void *m;

	if (fd < 0)
		return;
	/*
	 * Only a memfd sealed against shrinking: the sender cannot then
	 * truncate it under our mapping and fault the collector (SIGBUS).
	 */
	seals = fcntl(fd, F_GET_SEALS);
	if (img->tab || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size < FMT_TAB_SIZE || seals < 0 ||
	    !(seals & F_SEAL_SHRINK)) {
		close(fd);
		return;
	}
	m = mmap(NULL, FMT_TAB_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return;
	img->tab = m;
	if (img->tab->magic != FMT_TAB_MAGIC ||
	    img->tab->nslots != FMT_TAB_NSLOTS) {
		munmap(m, FMT_TAB_SIZE);
		img->tab = NULL;
	}
}

void col_image_count(struct col_image *img, uint64_t tid, uint64_t n)
{
	uint64_t *got;

	/* only a table's threads are asked about, and tids are positive */
	if (!img->tab || !tid || tid > INT32_MAX)
		return;
	got = htab_rec(&img->got, htab_put(&img->got, tid));
	*got = fmt_lost_add(*got, n);
}

void col_image_count_reset(struct col_image *img, uint64_t tid)
{
	size_t j;

	if (!img->tab || (j = htab_find(&img->got, tid)) == HTAB_NONE)
		return;
	*(uint64_t *)htab_rec(&img->got, j) = 0;
}

/*
 * The process died without BYE: every thread still in its table lost
 * what it recorded and we never got, its buffer's unsent events.  The
 * table is the dead process's (or a liar's, who can only inflate its
 * own losses, each count bounded as a LOST message's).
 */
static void lost_to_kill(struct col_image *img)
{
	const volatile struct fmt_tab_slot *s;
	uint64_t rec, n;
	unsigned i, used = img->tab->used;
	size_t j;
	int32_t tid;

	/* the slots ever claimed: the rest of the file was never touched */
	for (i = 0; i < used && i < FMT_TAB_NSLOTS; i++) {
		s = &img->tab->slot[i];
		tid = s->tid;
		if (tid <= 0)
			continue;
		rec = s->recorded;
		j = htab_find(&img->got, (uint64_t)tid);
		n = j == HTAB_NONE ? 0 : *(uint64_t *)htab_rec(&img->got, j);
		if (rec <= n)
			continue;
		n = rec - n;
		col_write_lost(img->proc->pid, (uint64_t)tid,
			       n > FMT_WIRE_MAX_LOST ? FMT_WIRE_MAX_LOST : n,
			       FMT_LOST_KILLED);
	}
}

/*
 * A consistent copy of slot s's call in progress (wire.h's seqlock): 1,
 * or 0 when there is none or the thread keeps changing it (it is not
 * blocked then, or not for long).
 */
static int pending_of(const volatile struct fmt_tab_slot *s,
		      struct fmt_tab_slot *out)
{
	uint32_t seq;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		seq = __atomic_load_n(&s->pend_seq, __ATOMIC_ACQUIRE);
		if (seq & 1)
			continue;
		out->pend_ts = s->pend_ts;
		out->pend_type = s->pend_type;
		out->pend_call = s->pend_call;
		out->pend_obj = s->pend_obj;
		out->pend_fd = s->pend_fd;
		out->pend_ra = s->pend_ra;
		out->pend_holder = s->pend_holder;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->pend_seq, __ATOMIC_RELAXED) == seq)
			return out->pend_ts != 0;
	}
	return 0;
}

/* one thread's call in progress as an EVENTS record in chunk form */
static void pending_record(struct fmt_buf *out, struct col_image *img,
			   uint64_t tid, const struct fmt_tab_slot *c,
			   uint64_t now)
{
	static struct fmt_buf rec;
	struct fmt_event ev = { 0 };
	struct fmt_addrs ad;
	uint64_t ra = c->pend_ra, prev = c->pend_ts;
	uint8_t t = FMT_REC_EVENTS, *end;

	/* names first: their records go before the snapshot is taken */
	if (c->pend_obj)
		col_sym_data(img->id, c->pend_obj);
	fmt_unfinished(&ev, c->pend_ts, now, c->pend_type, c->pend_obj,
		       c->pend_fd, c->pend_call, c->pend_holder);
	ev.f[FMT_F_UNFINISHED_stack] = ra ? col_intern_stack(img->id, &ra, 1)
					  : 0;
	fmt_buf_reset(&rec);
	fmt_put_events(&rec, &(struct fmt_events){
		.pid = img->proc->pid, .image = img->id, .tid = tid,
		.nevents = 1, .base_ts = ev.ts });
	if (fmt_buf_reserve(&rec, FMT_EVENT_MAX_BYTES))
		die(EXIT_FAIL, "out of memory");
	fmt_addrs_batch(&ad);
	end = fmt_encode_event(rec.p + rec.len, &ev, FMT_FILE, &prev, &ad);
	rec.len = end - rec.p;
	fmt_buf_bytes(out, &t, 1);
	fmt_buf_uvar(out, rec.len);
	fmt_buf_bytes(out, rec.p, rec.len);
	if (fmt_buf_failed(out))
		die(EXIT_FAIL, "out of memory");
}

/* every open image's threads blocked in a call now (col.h) */
uint64_t col_procs_pending(struct fmt_buf *out, uint64_t now)
{
	const volatile struct fmt_tab_slot *s;
	struct fmt_tab_slot c;
	struct col_image *img;
	struct col_proc *p;
	unsigned i, used;
	uint64_t n = 0;
	int32_t tid;

	for (p = procs; p; p = p->next) {
		for (img = p->images; img; img = img->next) {
			/* after a BYE or an EXEC the library recorded its
			 * calls in progress itself (UNFINISHED) */
			if (img->ended || img->bye || img->exec_path ||
			    !img->conn || !img->tab)
				continue;
			used = img->tab->used;
			for (i = 0; i < used && i < FMT_TAB_NSLOTS; i++) {
				s = &img->tab->slot[i];
				tid = s->tid;
				if (tid <= 0 || !pending_of(s, &c) ||
				    c.pend_ts > now ||
				    c.pend_type >= FMT_EV_MAX)
					continue;
				pending_record(out, img, (uint64_t)tid, &c,
					       now);
				n++;
			}
		}
	}
	return n;
}

static void table_free(struct col_image *img)
{
	if (img->tab)
		munmap((void *)img->tab, FMT_TAB_SIZE);
	img->tab = NULL;
	htab_free(&img->got);
}

void col_image_fatal(struct col_image *img, int sig)
{
	img->fatal_sig = sig;
}

/*
 * --snapshot-on-crash: a wait status (the root's: only a parent learns
 * how a process ended) that says a fatal signal killed it, or, for any
 * process, a connection closed without BYE after a FATAL_SIGNAL of the
 * default action (the library flushed every buffer before dying).  By
 * then the loop has read what its connections held.
 */
static void crash_snapshot(pid_t pid, unsigned how, uint64_t status,
			   int fatal_sig)
{
	static const struct { int sig; const char *name; } fatal[] = {
		{ SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" },
		{ SIGABRT, "SIGABRT" }, { SIGFPE, "SIGFPE" },
		{ SIGILL, "SIGILL" },
	};
	struct col_snap req = { FMT_SNAP_CRASH, pid, NULL, 0, NULL, 0, NULL, 0 };
	int st = (int)status;
	unsigned i;

	int sig;

	if (!col.snap_on_crash)
		return;
	if (how == FMT_PEND_WAIT && WIFSIGNALED(st))
		sig = WTERMSIG(st);
	else if (how == FMT_PEND_VANISHED || how == FMT_PEND_WAIT)
		sig = fatal_sig;
	else
		return;
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		if (sig != fatal[i].sig)
			continue;
		req.reason = fatal[i].name;
		req.reason_len = strlen(fatal[i].name);
		/* after the batch: what the other processes sent first */
		col_flight_later(&req, -1);
		return;
	}
}

static void image_end(struct col_image *img, unsigned how, uint64_t status,
		      uint64_t ts)
{
	struct fmt_buf b = { 0 };

	if (img->ended)
		return;
	img->ended = 1;
	need_gc = 1;
	/* died without its final flush: its LOST records come first */
	if (img->tab && (how == FMT_PEND_VANISHED || how == FMT_PEND_WAIT))
		lost_to_kill(img);
	table_free(img);
	fmt_put_process_end(&b, &(struct fmt_process_end){
		img->proc->pid, img->id, ts, status, how });
	col_write(FMT_REC_PROCESS_END, &b);
	fmt_buf_free(&b);
	crash_snapshot(img->proc->pid, how, status, img->fatal_sig);
}

static void end_by_bye(struct col_image *img)
{
	image_end(img, img->bye_how, img->bye_status, img->bye_ts);
}

/* end every image of p still open: by its BYE if it sent one, else how */
static void end_open_images(struct col_proc *p, unsigned how, uint64_t ts)
{
	struct col_image *img;

	for (img = p->images; img; img = img->next) {
		if (img->ended)
			continue;
		if (img->bye)
			end_by_bye(img);
		else
			image_end(img, how, 0, ts);
	}
}

/* a new image of p's pid: every earlier image was replaced by exec (the
 * caller read what their connections held first) */
static void exec_images(struct col_proc *p, uint64_t ts)
{
	end_open_images(p, FMT_PEND_EXEC, ts);
}

static int has_open_images(const struct col_proc *p)
{
	const struct col_image *img;

	for (img = p->images; img; img = img->next)
		if (!img->ended)
			return 1;
	return 0;
}

/* has p exited, though we have not handled its pidfd yet? */
static int proc_gone(struct col_proc *p)
{
	struct pollfd pfd = { p->pidfd, POLLIN, 0 };

	if (p->gone)
		return 1;
	if (p->pidfd >= 0)
		return poll(&pfd, 1, 0) > 0;
	return p->polled && pid_gone(p->pid);
}

struct col_proc *col_proc_find(pid_t pid)
{
	struct col_proc *p = find(pid);

	return p && !p->exited ? p : NULL;
}

struct col_client *col_proc_conn(struct col_proc *p, struct col_image **it)
{
	struct col_image *img = *it ? (*it)->next : p->images;

	for (; img; img = img->next)
		if (img->conn && !img->ended)
			break;
	*it = img;
	return img ? img->conn : NULL;
}

struct col_image *col_image_hello(struct col_client *conn,
				  struct col_hello *h)
{
	struct col_proc *p = find(h->pid);
	struct col_image *img;
	uint64_t flags = 0;

	/* a fork child is a new process: if its pid's entry is dead, reused */
	if (p && !p->exited && (h->flags & FMT_HELLO_FORK) && p != root &&
	    proc_gone(p))
		col_proc_exited(p);
	if (p && p->exited)
		p = NULL;
	/*
	 * Same live pid: an exec, even when the flag is missing (a program
	 * may exec with an environment of its own making).
	 */
	if (p && ((h->flags & FMT_HELLO_EXEC) || has_open_images(p)))
		exec_images(p, h->ts);
	if (!p)
		p = proc_new(h->pid, 0);
	if (h->flags & FMT_HELLO_EXEC || p->counted)
		flags |= FMT_PROC_EXEC;
	if (h->flags & FMT_HELLO_FORK)
		flags |= FMT_PROC_FORK;
	if (p->root && !p->counted)
		flags |= FMT_PROC_ROOT;
	if (!p->counted) {
		p->counted = 1;
		col_counts.nprocesses++;
	}
	img = xcalloc(1, sizeof(*img));
	/* a dozen threads or so an image: 16 slots to start */
	img->got = (struct htab)HTAB_INIT_SMALL(uint64_t, 16);
	img->id = ++last_image;
	img->proc = p;
	img->conn = conn;
	img->last_ts = h->ts;
	img->next = p->images;
	p->images = img;
	h->flags = flags;
	return img;
}

uint64_t col_image_id(const struct col_image *img)
{
	return img->id;
}

pid_t col_image_pid(const struct col_image *img)
{
	return img->proc->pid;
}

void col_image_seen(struct col_image *img, uint64_t ts)
{
	if (ts > img->last_ts)
		img->last_ts = ts;
}

void col_image_bye(struct col_image *img, uint64_t ts, uint64_t status,
		   unsigned how)
{
	/* exit() from an atexit handler may follow: the last one counts */
	img->bye = 1;
	img->bye_ts = ts;
	img->bye_status = status;
	img->bye_how = how;
	col_image_seen(img, ts);
}

void col_image_exec(struct col_image *img, const char *path, size_t n)
{
	free(img->exec_path);
	img->exec_path = NULL;
	/* an exec of no known path is an exec all the same */
	if (path) {
		img->exec_path = xmalloc(n + 1);
		memcpy(img->exec_path, path, n);
		img->exec_path[n] = 0;
	}
}

/* an image that closed without BYE and announced an exec, in a process
 * that has ended: the new image never connected */
static void end_exec_unseen(struct col_image *img)
{
	struct col_proc *p = img->proc;

	col_untraced_dead(p->pid, img->exec_path,
			  p->root && col.root_reaped ? &col.root_status :
			  NULL);
	image_end(img, FMT_PEND_EXEC, 0, img->last_ts);
}

void col_image_closed(struct col_image *img)
{
	struct col_proc *p = img->proc;

	img->conn = NULL;
	need_gc = 1;
	if (img->ended)
		return;
	if (img->bye)
		end_by_bye(img);
	else if (img->exec_path && (p->exited || (p->root && col.root_reaped)))
		end_exec_unseen(img);
	else if (p->root && col.root_reaped)
		image_end(img, FMT_PEND_WAIT, col.root_status, col_now());
	else if (p->exited && !p->root)
		image_end(img, FMT_PEND_VANISHED, 0, img->last_ts);
	else if (img->exec_path && col_untraced_exec(p->pid, p->root))
		image_end(img, FMT_PEND_EXEC, 0, col_now());
	/* else alive: it exec'ed, or its death is not yet visible */
}

static void mark_exited(struct col_proc *p)
{
	if (p->pidfd >= 0) {
		col_watch_del(p->pidfd);
		close(p->pidfd);
		p->pidfd = -1;
		col.nlive--;
	} else if (p->polled || p->gone) {
		col.nlive--;
	}
	if (p->gone)
		ngone--;
	p->polled = p->gone = 0;
	p->exited = 1;
	need_gc = 1;
}

void col_proc_exited(struct col_proc *p)
{
	struct col_image *img;

	if (p->exited)
		return;
	mark_exited(p);
	/* the root's status is its last image's, unless that exec'ed into
	 * one that never connected: then the program that ran is untraced */
	for (img = p->images; img; img = img->next)
		if (!img->ended && !img->conn && img->exec_path)
			end_exec_unseen(img);
		else if (!img->ended && !img->conn && p->root)
			image_end(img, FMT_PEND_WAIT, col.root_status,
				  col_now());
		else if (!img->ended && !img->conn)
			image_end(img, FMT_PEND_VANISHED, 0, img->last_ts);
}

struct col_proc *col_proc_reaped(int wstatus)
{
	col.root_reaped = 1;
	col.root_status = wstatus;
	/* an untraced program the root exec'ed into ended so */
	col_untraced_release(&col.root_status);
	return root;
}

/* exited or a zombie: what a pidfd would have said */
static int pid_gone(pid_t pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	if (kill(pid, 0) && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

void col_proc_poll(void)
{
	struct col_proc *p;

	for (p = procs; p; p = p->next)
		if (p->polled && !p->exited && !p->gone && pid_gone(p->pid)) {
			/* settled after the batch, like one gone at HELLO */
			p->gone = 1;
			ngone++;
		}
}

/* the loop asks again after settling each: settling may meet new ones,
 * added at the list's head */
struct col_proc *col_procs_gone(void)
{
	struct col_proc *p;

	for (p = ngone ? procs : NULL; p; p = p->next)
		if (p->gone)
			return p;
	return NULL;
}

/* the collector stops: whatever still runs is cut off here */
void col_procs_cut(void)
{
	struct col_proc *p;
	uint64_t now = col_now();

	for (p = procs; p; p = p->next)
		end_open_images(p, FMT_PEND_CUT, now);
	col_untraced_release(NULL);
}

static void unhash(struct col_proc *p)
{
	struct col_proc *head = hmap_get(&by_pid, (uint64_t)p->pid), **pp;

	for (pp = &head; *pp != p; pp = &(*pp)->hnext)
		;
	*pp = p->hnext;
	if (head)
		hmap_put(&by_pid, (uint64_t)p->pid, head);
	else
		hmap_del(&by_pid, (uint64_t)p->pid);
}

/* free what ended; run between epoll batches, when nothing points at it */
void col_procs_gc(void)
{
	struct col_proc **pp = &procs, *p;
	struct col_image **ip, *img;

	if (!need_gc)
		return;
	need_gc = 0;
	while ((p = *pp)) {
		ip = &p->images;
		while ((img = *ip)) {
			if (img->ended && !img->conn) {
				*ip = img->next;
				free(img->exec_path);
				free(img);
			} else {
				ip = &img->next;
			}
		}
		if (p->exited && !p->images && p != root) {
			*pp = p->next;
			unhash(p);
			free(p);
		} else {
			pp = &p->next;
		}
	}
}
