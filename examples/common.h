/*
 * common.h - the little the examples share: a Go-style channel and a
 * thread starter.  Header only, so each example stays one program built
 * from one .c file.
 *
 * The channel is deliberately the plain mutex + two condvars any C program
 * would write, so that under ctrace its cost shows up as what it is:
 * blocked intervals on one mutex and two condvars, and the wake-ups that
 * link a sender to a receiver.
 *
 *	struct chan c;
 *	chan_init(&c, 0);		// 0: unbuffered, as Go's make(chan T)
 *	chan_send(&c, item);		// blocks until a receiver took it
 *	chan_close(&c);
 *	while (chan_recv(&c, &item))	// false once closed and drained
 *		...
 */
#ifndef EXAMPLES_COMMON_H
#define EXAMPLES_COMMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct chan {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;	/* receivers wait here */
	pthread_cond_t not_full;	/* senders wait here: space, or taken */
	void **ring;
	size_t cap;			/* 0: unbuffered (rendezvous) */
	size_t size;			/* ring slots: max(cap, 1) */
	unsigned long sent, taken;	/* items ever sent and received */
	bool closed;
};

static inline int chan_init(struct chan *c, size_t cap)
{
	c->cap = cap;
	c->size = cap ? cap : 1;
	c->ring = calloc(c->size, sizeof(*c->ring));
	if (!c->ring)
		return -1;
	c->sent = c->taken = 0;
	c->closed = false;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->not_empty, NULL);
	pthread_cond_init(&c->not_full, NULL);
	return 0;
}

static inline void chan_destroy(struct chan *c)
{
	pthread_cond_destroy(&c->not_full);
	pthread_cond_destroy(&c->not_empty);
	pthread_mutex_destroy(&c->lock);
	free(c->ring);
}

/*
 * Send one item.  A buffered channel blocks only while it is full; an
 * unbuffered one also waits until a receiver has taken the item, which is
 * what makes Go's unbuffered send a handoff.  Sending on a closed channel
 * is a bug in the caller, as in Go (here: undefined).
 */
static inline void chan_send(struct chan *c, void *item)
{
	unsigned long ticket;

	pthread_mutex_lock(&c->lock);
	while (c->sent - c->taken >= c->size)
		pthread_cond_wait(&c->not_full, &c->lock);
	c->ring[c->sent % c->size] = item;
	ticket = ++c->sent;
	pthread_cond_signal(&c->not_empty);
	while (!c->cap && c->taken < ticket)
		pthread_cond_wait(&c->not_full, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

/* receive one item into *item; false when the channel is closed and empty */
static inline bool chan_recv(struct chan *c, void **item)
{
	pthread_mutex_lock(&c->lock);
	while (c->sent == c->taken && !c->closed)
		pthread_cond_wait(&c->not_empty, &c->lock);
	if (c->sent == c->taken) {
		pthread_mutex_unlock(&c->lock);
		return false;
	}
	*item = c->ring[c->taken % c->size];
	c->taken++;
	/* senders wait for two different things: wake them all */
	pthread_cond_broadcast(&c->not_full);
	pthread_mutex_unlock(&c->lock);
	return true;
}

/* no more sends: receivers drain what is left, then chan_recv fails */
static inline void chan_close(struct chan *c)
{
	pthread_mutex_lock(&c->lock);
	c->closed = true;
	pthread_cond_broadcast(&c->not_empty);
	pthread_mutex_unlock(&c->lock);
}

/*
 * Start a thread with a small stack, so that a thousand of them (one per
 * row, one per document) cost address space, not memory.  Returns 0 or an
 * errno value, as pthread_create does.
 */
#define EXAMPLE_STACK_SIZE (256 * 1024)

static inline int spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, EXAMPLE_STACK_SIZE);
	err = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return err;
}

#endif
