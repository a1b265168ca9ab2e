/* The helper thread and its lock on POSIX (pthreads). */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

struct ib_worker {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	pthread_t thread;
	void (*fn)(void *);
	void *arg;
};

struct ib_worker *ib_worker_new(void)
{
	struct ib_worker *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (pthread_mutex_init(&s->lock, NULL)) {
		free(s);
		return NULL;
	}
	if (pthread_cond_init(&s->changed, NULL)) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	return s;
}

void ib_worker_free(struct ib_worker *s)
{
	if (!s)
		return;
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void ib_worker_lock(struct ib_worker *s)
{
	pthread_mutex_lock(&s->lock);
}
void ib_worker_unlock(struct ib_worker *s)
{
	pthread_mutex_unlock(&s->lock);
}
void ib_worker_wait(struct ib_worker *s)
{
	pthread_cond_wait(&s->changed, &s->lock);
}
void ib_worker_wake(struct ib_worker *s)
{
	pthread_cond_broadcast(&s->changed);
}

static void *trampoline(void *arg)
{
	struct ib_worker *s = arg;

	s->fn(s->arg);
	return NULL;
}

int ib_worker_start(struct ib_worker *s, void (*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	s->fn = fn;
	s->arg = arg;
	/* Signals stay with the caller's thread: its handlers and interrupted calls work as before. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, trampoline, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc ? -rc : 0;
}

void ib_worker_join(struct ib_worker *s)
{
	pthread_join(s->thread, NULL);
}
