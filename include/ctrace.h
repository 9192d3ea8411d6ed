/*
 * ctrace.h - annotate a program for ctrace: tasks, regions and logs.
 *
 * Header only.  A program that includes it needs no library at link time
 * and runs normally without ctrace: each call looks up the preload's entry
 * table once (dlsym) and is a test of a cached pointer afterwards.  Under
 * LD_PRELOAD=libctrace.so the calls become events of the "user" family.
 *
 *	ctrace_task_t t = ctrace_task_begin("handle request", 0);
 *	ctrace_region_begin(t, "parse");
 *	...
 *	ctrace_region_end(t, "parse");
 *	ctrace_log(t, "cache", "miss");
 *	ctrace_task_end(t);
 *	ctrace_snapshot("slow request");	// flight mode: keep the window
 *	ctrace_stop(); ... ctrace_start();	// --paused: a recording window
 *
 * or, scoped (GCC and Clang):
 *
 *	{
 *		CTRACE_REGION(t, "parse");
 *		...
 *	}	// region ends here
 *
 * Tasks may begin on one thread and end on another; regions nest and must
 * end on the thread that began them, innermost first (as in Go's
 * runtime/trace).  Strings are copied; they need not outlive the call.
 */
#ifndef CTRACE_H
#define CTRACE_H

#include <dlfcn.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* a task id; 0 means "no task" and is always accepted */
typedef uint64_t ctrace_task_t;

/* the preload's entry table, exported as "ctrace_api_v1" */
struct ctrace_api_v1 {
	uint32_t size;		/* sizeof, so fields can be appended */
	ctrace_task_t (*task_begin)(const char *type, ctrace_task_t parent);
	void (*task_end)(ctrace_task_t task);
	void (*region_begin)(ctrace_task_t task, const char *type);
	void (*region_end)(ctrace_task_t task, const char *type);
	void (*log)(ctrace_task_t task, const char *category,
		    const char *message);
	/* appended: check size before calling (ctrace_snapshot()) */
	void (*snapshot)(const char *reason);
	/* appended: ctrace_start(), ctrace_stop() */
	void (*start)(void);
	void (*stop)(void);
};

/* the table has member m: a newer field than an older library's size */
#define CTRACE__HAS(a, m)						\
	((a) && (a)->size >= __builtin_offsetof(struct ctrace_api_v1, m) + \
	 sizeof((a)->m) && (a)->m)

static inline const struct ctrace_api_v1 *ctrace__api(void)
{
	static const struct ctrace_api_v1 *api;
	static int looked;

	/* racing first calls find the same table: harmless */
	if (!__atomic_load_n(&looked, __ATOMIC_ACQUIRE)) {
		api = (const struct ctrace_api_v1 *)dlsym(RTLD_DEFAULT,
							  "ctrace_api_v1");
		__atomic_store_n(&looked, 1, __ATOMIC_RELEASE);
	}
	return api;
}

/* begin a task of `type` (a child of `parent`, or 0); returns its id */
static inline ctrace_task_t ctrace_task_begin(const char *type,
					      ctrace_task_t parent)
{
	const struct ctrace_api_v1 *a = ctrace__api();

	return a ? a->task_begin(type, parent) : 0;
}

static inline void ctrace_task_end(ctrace_task_t task)
{
	const struct ctrace_api_v1 *a = ctrace__api();

	if (a)
		a->task_end(task);
}

static inline void ctrace_region_begin(ctrace_task_t task, const char *type)
{
	const struct ctrace_api_v1 *a = ctrace__api();

	if (a)
		a->region_begin(task, type);
}

static inline void ctrace_region_end(ctrace_task_t task, const char *type)
{
	const struct ctrace_api_v1 *a = ctrace__api();

	if (a)
		a->region_end(task, type);
}

static inline void ctrace_log(ctrace_task_t task, const char *category,
			      const char *message)
{
	const struct ctrace_api_v1 *a = ctrace__api();

	if (a)
		a->log(task, category, message);
}

/*
 * ctrace_snapshot() : ask a flight-mode collector (ctrace record --flight)
 * to write its recent window to a new file named by the time and reason.
 * The calling thread's events so far are sent first, so they are in it;
 * other threads' are in as far as they were sent (every 100 ms, or when
 * a buffer fills).  A no-op without the preload, without flight mode, or
 * under an older libctrace.so.
 */
static inline void ctrace_snapshot(const char *reason)
{
	const struct ctrace_api_v1 *a = ctrace__api();

	if (CTRACE__HAS(a, snapshot))
		a->snapshot(reason);
}

/*
 * ctrace_start(), ctrace_stop() : open and close the recording window of
 * a collector started with --paused (ctrace record --paused), as
 * `ctrace ctl start|stop` does.  They return once the collector has done
 * it (1 s at most): what the caller does next is recorded, or not.
 * No-ops without the preload, without --paused, or under an older
 * libctrace.so.
 */
static inline void ctrace_start(void)
{
	const struct ctrace_api_v1 *a = ctrace__api();

	if (CTRACE__HAS(a, start))
		a->start();
}

static inline void ctrace_stop(void)
{
	const struct ctrace_api_v1 *a = ctrace__api();

	if (CTRACE__HAS(a, stop))
		a->stop();
}

/* scoped region: ends when the enclosing block is left */
struct ctrace__scope {
	ctrace_task_t task;
	const char *type;
};

static inline void ctrace__scope_end(struct ctrace__scope *s)
{
	ctrace_region_end(s->task, s->type);
}

#define CTRACE__CAT2(a, b) a##b
#define CTRACE__CAT(a, b) CTRACE__CAT2(a, b)
#define CTRACE_REGION(task, type)					\
	struct ctrace__scope CTRACE__CAT(ctrace__scope_, __LINE__)	\
		__attribute__((cleanup(ctrace__scope_end))) =		\
		(ctrace_region_begin((task), (type)),			\
		 (struct ctrace__scope){ (task), (type) })

#ifdef __cplusplus
}
#endif

#endif
