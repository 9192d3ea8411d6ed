/*
 * loop.c - the collector's one epoll loop.
 *
 * It watches the listening socket, every client, a signalfd, one pidfd per
 * traced process and a 1 s timerfd that pushes the current chunk to disk.
 * After each event it has the HELLOs that event's reading kept started
 * (client.c); after each batch it settles the processes proc.c found
 * gone, each once what it sent was read, then frees what ended and
 * checks whether the trace is complete:
 *
 *   record  the command was reaped, no connection is open and every
 *           traced process has exited;
 *   serve   the same once a first client came (the one that started us);
 *   collect only when a signal says so.
 *
 * record forwards SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 to the command, and
 * SIGINT and SIGQUIT only when sent by kill() (a terminal's ^C reaches the
 * command's process group by itself); it survives them and ends with the
 * command.  Once the command is gone, those signals stop the collector.
 * In flight mode SIGUSR2 is the collector's own: a snapshot (flight.c),
 * never forwarded.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "col.h"
#include "file.h"
#include "log.h"

#define SERVE_IDLE_TICKS 30	/* serve: give up if nobody connects */
#define COAL_NS		1000000	/* small traffic: at most a wake a ms */
#define COAL_BYTES	(64u << 10)	/* what a wake reads to be large */

static struct col_watch w_listen = { COL_W_LISTEN };
static struct col_watch w_signal = { COL_W_SIGNAL };
static struct col_watch w_timer = { COL_W_TIMER };
static int sigfd = -1, timerfd = -1;
static unsigned ticks;

/* the signals are blocked by main() before any child is forked */
void col_loop_init(void)
{
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	sigset_t set;

	col.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (col.epfd < 0)
		die(EXIT_FAIL, "cannot create epoll: %s", strerror(errno));
	sigprocmask(SIG_BLOCK, NULL, &set);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sigfd < 0 || timerfd < 0 || timerfd_settime(timerfd, 0, &its, 0))
		die(EXIT_FAIL, "cannot set up the event loop: %s",
		    strerror(errno));
	if (col_watch_add(col.listen_fd, &w_listen) ||
	    col_watch_add(sigfd, &w_signal) || col_watch_add(timerfd, &w_timer))
		die(EXIT_FAIL, "cannot set up the event loop: %s",
		    strerror(errno));
}

/* p has exited: read what it sent first, then say how each image ended */
static void exited(struct col_proc *p)
{
	col_clients_drain_proc(p);
	col_proc_exited(p);
}

static void reap(void)
{
	struct col_proc *p;
	int st;

	if (!col.root_pid || col.root_reaped)
		return;
	if (waitpid(col.root_pid, &st, WNOHANG) != col.root_pid)
		return;
	p = col_proc_reaped(st);
	if (p)
		exited(p);
}

/* SIGUSR2 in flight mode: after the batch, once what the traced
 * processes sent before it is read */
static void snapshot_signal(void)
{
	col_flight_later(&(struct col_snap){ FMT_SNAP_SIGNAL, 0, "", 0,
			 NULL, 0, NULL, 0 }, -1);
}

static void record_signal(const struct signalfd_siginfo *si)
{
	int sig = si->ssi_signo;

	if (col.root_reaped) {
		/* only leftovers of the tree keep us: let the user stop */
		if (sig != SIGUSR1 && sig != SIGUSR2)
			col.stop = 1;
		return;
	}
	if ((sig == SIGINT || sig == SIGQUIT) && si->ssi_code != SI_USER)
		return;
	kill(col.root_pid, sig);
}

static void on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap();
			col_flight_reap();	/* snapshot writers */
		}
		else if (si.ssi_signo == SIGUSR2 && col_flight_on())
			snapshot_signal();	/* not the command's */
		else if (col.mode == COL_RECORD)
			record_signal(&si);
		else if (si.ssi_signo == SIGUSR1)
			col_writer_tick();	/* a checkpoint on demand */
		else if (si.ssi_signo != SIGUSR2)
			col.stop = 1;
	}
}

static void on_timer(void)
{
	uint64_t n;

	while (read(timerfd, &n, sizeof(n)) == sizeof(n))
		;
	col_writer_tick();
	col_flight_reap();
	col_proc_poll();
	reap();		/* a SIGCHLD merged into one we already handled */
	if (col.mode == COL_SERVE && !col.ever_client &&
	    ++ticks >= SERVE_IDLE_TICKS)
		col.stop = 1;
}

static void dispatch(struct epoll_event *ev)
{
	struct col_watch *w = ev->data.ptr;

	switch (w->kind) {
	case COL_W_LISTEN:
		col_accept_all();
		break;
	case COL_W_SIGNAL:
		on_signal();
		break;
	case COL_W_TIMER:
		on_timer();
		break;
	case COL_W_CLIENT:
		/* a budget so one busy process cannot starve the others */
		col_client_read((struct col_client *)w, 64);
		break;
	case COL_W_PIDFD:
		exited((struct col_proc *)w);
		break;
	}
}

static int finished(void)
{
	if (col.stop)
		return 1;
	if (col.mode == COL_COLLECT)
		return 0;
	if (col.mode == COL_RECORD && !col.root_reaped)
		return 0;
	if (col.mode == COL_SERVE && !col.ever_client)
		return 0;
	if (col.nclients || col.nlive)
		return 0;
	/* a fork child's connection may still wait in the backlog */
	col_accept_all();
	return !col.nclients;
}

/*
 * coalesce() : before the next wait.  A datagram wakes us as soon as it
 * is queued, and each wake costs its sender a wakeup of another CPU (an
 * IPI, a VM exit here) and us two context switches.  A process that
 * sends many small datagrams - 25 k threads a second, each sending its
 * last events as it ends - pays more for those wakes than for its
 * events.  So a wake that read little, and came less than COAL_NS after
 * the one before, makes the next wait start COAL_NS after it: small
 * traffic wakes us at most once a millisecond, and what it sent in
 * between is read in one go.  Large batches are never held back, an
 * idle or quiet collector never sleeps, and a sender blocked on a full
 * socket (the default blocking mode) waits at most COAL_NS more.
 */
static void coalesce(uint64_t woke, uint64_t prev_woke, uint64_t rx)
{
	uint64_t now, end = woke + COAL_NS;
	struct timespec ts;

	if (!rx || rx >= COAL_BYTES || woke - prev_woke >= COAL_NS)
		return;
	now = col_now();
	if (now >= end)
		return;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(end - now);
	nanosleep(&ts, NULL);	/* a signal cuts it short: fine */
}

void col_loop_run(void)
{
	struct epoll_event evs[64];
	struct col_proc *p;
	uint64_t woke = 0, prev_woke, rx;
	int i, n;

	while (!finished()) {
		n = epoll_wait(col.epfd, evs, 64, -1);
		if (n < 0 && errno != EINTR)
			die(EXIT_FAIL, "epoll_wait: %s", strerror(errno));
		prev_woke = woke;
		woke = col_now();
		rx = col.rx_bytes;
		/* nothing is freed while a batch may still point at it */
		for (i = 0; i < n; i++) {
			dispatch(&evs[i]);
			/* the HELLOs it read, outside every handler */
			col_clients_start();
		}
		/* processes found gone when their HELLO came, or polled */
		while ((p = col_procs_gone()))
			exited(p);
		/* the snapshots asked for: after what the batch read, and
		 * the crashes it saw */
		col_clients_snapshots();
		col_clients_gc();
		col_procs_gc();
		coalesce(woke, prev_woke, col.rx_bytes - rx);
	}
	/* a stop in the same batch as connections or datagrams: read them */
	if (col.stop)
		col_clients_drain_all();
	col_clients_snapshots();	/* asked in the last batch */
}
