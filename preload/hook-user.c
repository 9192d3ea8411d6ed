/*
 * hook-user.c - the user family: the annotation API of include/ctrace.h.
 *
 * The preload exports one table, `ctrace_api_v1`; the header's inline
 * functions find it with dlsym(RTLD_DEFAULT) and call through it, so an
 * annotated program needs no library at link time and runs unchanged
 * without ctrace.  Task ids come from one process-wide counter starting
 * at 1 (0 means "no task"); they are handed out even when the family is
 * not recorded, so the program sees the same values either way.
 *
 * Events (FMT_FAM_USER; strings copied, NULL recorded as ""):
 *   ctrace_task_begin    TASK_BEGIN {id, parent, type}
 *   ctrace_task_end      TASK_END {id}
 *   ctrace_region_begin  REGION_BEGIN {task, type}
 *   ctrace_region_end    REGION_END {task, type}
 *   ctrace_log           LOG {task, category, message}
 *
 * ctrace_snapshot() records no event: it sends every thread's buffer
 * (as an exec does), then a SNAPSHOT message (wire.h) on the process's
 * connection, so the collector has read those events when it takes the
 * snapshot: a thread blocked since its last flush has its events in.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "pl.h"
#include "guard.h"
#include "include/ctrace.h"

static uint64_t next_task = 1;

static void str(const char *s, const char **p, uint32_t *n)
{
	*p = s ? s : "";
	*n = s ? strnlen(s, FMT_MAX_STR) : 0;
}

/* emit() : record ev, its plain fields filled, with its strings */
static void emit(struct fmt_event *ev, const char *s1, const char *s2)
{
	ev->ts = pl_now();
	ev->nstack = 0;
	ev->slen = ev->slen2 = 0;
	if (s1)
		str(s1, &ev->str, &ev->slen);
	if (s2)
		str(s2, &ev->str2, &ev->slen2);
	pl_emit(ev, ev->ts);
}

static ctrace_task_t task_begin(const char *type, ctrace_task_t parent)
{
	ctrace_task_t id = __atomic_fetch_add(&next_task, 1,
					      __ATOMIC_RELAXED);
	struct fmt_event ev;

	if (pl_on(FMT_FAM_USER)) {
		ev.type = FMT_EV_TASK_BEGIN;
		ev.f[FMT_F_TASK_BEGIN_id] = id;
		ev.f[FMT_F_TASK_BEGIN_parent] = parent;
		emit(&ev, type ? type : "", NULL);
	}
	return id;
}

static void task_end(ctrace_task_t task)
{
	struct fmt_event ev;

	if (pl_on(FMT_FAM_USER)) {
		ev.type = FMT_EV_TASK_END;
		ev.f[FMT_F_TASK_END_id] = task;
		emit(&ev, NULL, NULL);
	}
}

static void region_begin(ctrace_task_t task, const char *type)
{
	struct fmt_event ev;

	if (pl_on(FMT_FAM_USER)) {
		ev.type = FMT_EV_REGION_BEGIN;
		ev.f[FMT_F_REGION_BEGIN_task] = task;
		emit(&ev, type ? type : "", NULL);
	}
}

static void region_end(ctrace_task_t task, const char *type)
{
	struct fmt_event ev;

	if (pl_on(FMT_FAM_USER)) {
		ev.type = FMT_EV_REGION_END;
		ev.f[FMT_F_REGION_END_task] = task;
		emit(&ev, type ? type : "", NULL);
	}
}

static void log_msg(ctrace_task_t task, const char *category,
		    const char *message)
{
	struct fmt_event ev;

	if (pl_on(FMT_FAM_USER)) {
		ev.type = FMT_EV_LOG;
		ev.f[FMT_F_LOG_task] = task;
		emit(&ev, category ? category : "", message ? message : "");
	}
}

static void snapshot(const char *reason)
{
	uint8_t m[FMT_WIRE_HDR_SIZE + 2 * FMT_VARINT_MAX + FMT_MAX_STR];
	struct fmt_msg_snapshot s = { "", "", 0, 0 };
	int e = errno;
	uint32_t n;

	if (!pl_on(PL_CONNECTED) || pl_inside())
		return;
	pl_flush_all(0);
	str(reason, &s.reason, &n);
	s.reason_len = n;
	pl_send(m, fmt_msg_put_snapshot(m, &s), 0);
	errno = e;
}

/*
 * ctrace_start(), ctrace_stop(): a CTL message after this thread's
 * events, then a wait (1 s at most) until the collector has flipped the
 * window word, so that what the caller does next is on the side of the
 * window it asked for.  No window word (no --paused): nothing to ask.
 */
static void window_ctl(int open)
{
	uint8_t m[FMT_WIRE_HDR_SIZE + FMT_VARINT_MAX];
	uint32_t want = open ? FMT_WINDOW_OPEN : FMT_WINDOW_SHUT;
	struct timespec ms = { 0, 1000000 };
	int e = errno, i;

	if (!pl_wanted(PL_CONNECTED) || pl_inside() || !pl_windowed())
		return;
	if (__atomic_load_n(pl_window, __ATOMIC_ACQUIRE) == want)
		return;
	pl_flush_self();
	pl_send(m, fmt_msg_put_ctl(m, open ? FMT_CTL_START : FMT_CTL_STOP),
		0);
	for (i = 0; i < 1000; i++) {
		if (__atomic_load_n(pl_window, __ATOMIC_ACQUIRE) == want)
			break;
		REAL(syscall)(SYS_nanosleep, &ms, NULL);
	}
	errno = e;
}

static void start(void)
{
	window_ctl(1);
}

static void stop(void)
{
	window_ctl(0);
}

PL_EXPORT const struct ctrace_api_v1 ctrace_api_v1 = {
	.size = sizeof(struct ctrace_api_v1),
	.task_begin = task_begin,
	.task_end = task_end,
	.region_begin = region_begin,
	.region_end = region_end,
	.log = log_msg,
	.snapshot = snapshot,
	.start = start,
	.stop = stop,
};
