/*
 * base.c - what every layer of the collector may use (col.h): the shared
 * state, the clock of the trace, and the epoll set.
 *
 * Each file registers its own descriptors here, with the struct col_watch
 * that loop.c's dispatch() hands back to it; the set knows nothing of
 * what they are, so that registering one is a call down, never up.
 */
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "col.h"

struct col_state col = { .listen_fd = -1, .epfd = -1 };

uint64_t col_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

int col_watch_add(int fd, struct col_watch *w)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = w;
	return epoll_ctl(col.epfd, EPOLL_CTL_ADD, fd, &ev);
}

void col_watch_del(int fd)
{
	epoll_ctl(col.epfd, EPOLL_CTL_DEL, fd, NULL);
}
