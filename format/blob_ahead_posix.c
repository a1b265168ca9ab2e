/* Read-ahead for the blob reader on POSIX: a helper thread reads and hashes the next chunks
 * into a small ring of buffers while the caller uses the current one.
 *
 * Hashing a chunk costs about as much as decompressing and writing it, so doing the two one
 * after the other makes verified extraction slower than an unverified tar -x. The helper
 * verifies chunk k+1 and k+2 while chunk k is unpacked: the caller still only ever sees chunks
 * that were checked against the signed manifest, in order, and the first failure stops the
 * stream at that chunk exactly as the serial reader does. */
#include "blob_ahead.h"

#include "../base/err.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Buffers in the ring: the one the caller holds, and two verified ahead of it. */
#define SLOTS 3

struct ahead {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	uint8_t *buf[SLOTS];
	long len[SLOTS];      /* chunk length, or the error of the chunk that failed */
	size_t filled;        /* guarded by lock: chunks verified by the helper so far */
	size_t freed;         /* guarded by lock: chunks the caller is done with */
	int stop;             /* guarded by lock: the caller is closing the reader */
	char err[1024];       /* the helper's error detail (details are per thread) */
};

static void *helper(void *arg)
{
	struct ib_blob_reader *r = arg;
	struct ahead *h = r->ahead;
	size_t idx;

	for (idx = 0; idx < r->pkg->nchunks; idx++) {
		long n;

		pthread_mutex_lock(&h->lock);
		while (!h->stop && idx - h->freed >= SLOTS)
			pthread_cond_wait(&h->changed, &h->lock);
		if (h->stop) {
			pthread_mutex_unlock(&h->lock);
			break;
		}
		pthread_mutex_unlock(&h->lock);
		if (r->cancel && *r->cancel)
			n = ib_fail(IB_E_INTERRUPTED, "interrupted by a signal");
		else
			n = ib_blob_read_chunk(r, idx, h->buf[idx % SLOTS]);
		pthread_mutex_lock(&h->lock);
		h->len[idx % SLOTS] = n;
		if (n < 0)
			snprintf(h->err, sizeof(h->err), "%s", ib_errmsg((int)n));
		h->filled = idx + 1;
		pthread_cond_broadcast(&h->changed);
		pthread_mutex_unlock(&h->lock);
		if (n < 0)
			break;
	}
	return NULL;
}

int ib_blob_ahead_start(struct ib_blob_reader *r)
{
	struct ahead *h;
	sigset_t all, old;
	int rc;

	if (r->pkg->nchunks < 2)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (int i = 0; i < SLOTS; i++)
		if (!(h->buf[i] = malloc(r->chunk_size)))
			goto fail;
	if (pthread_mutex_init(&h->lock, NULL))
		goto fail;
	if (pthread_cond_init(&h->changed, NULL)) {
		pthread_mutex_destroy(&h->lock);
		goto fail;
	}
	r->ahead = h;
	/* Signals stay with the caller's thread: its handlers and interrupted calls work as before. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&h->thread, NULL, helper, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		return 0;
	r->ahead = NULL;
	pthread_cond_destroy(&h->changed);
	pthread_mutex_destroy(&h->lock);
fail:
	for (int i = 0; i < SLOTS; i++)
		free(h->buf[i]);
	free(h);
	return -ENOMEM;
}

long ib_blob_ahead_next(struct ib_blob_reader *r, const void **data)
{
	struct ahead *h = r->ahead;
	long n;

	if (r->cancel && *r->cancel)
		return ib_fail(IB_E_INTERRUPTED, "interrupted by a signal");
	pthread_mutex_lock(&h->lock);
	/* The buffer handed out last time is no longer used by the caller (libarchive keeps a
	 * read callback's buffer only until the next call). */
	if (h->freed < r->next) {
		h->freed = r->next;
		pthread_cond_broadcast(&h->changed);
	}
	if (r->next >= r->pkg->nchunks) {
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	while (h->filled <= r->next)
		pthread_cond_wait(&h->changed, &h->lock);
	n = h->len[r->next % SLOTS];
	pthread_mutex_unlock(&h->lock);
	if (n < 0)
		return ib_fail((int)n, "%s", h->err);
	*data = h->buf[r->next % SLOTS];
	r->next++;
	return n;
}

void ib_blob_ahead_stop(struct ib_blob_reader *r)
{
	struct ahead *h = r->ahead;

	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stop = 1;
	pthread_cond_broadcast(&h->changed);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	pthread_cond_destroy(&h->changed);
	pthread_mutex_destroy(&h->lock);
	for (int i = 0; i < SLOTS; i++)
		free(h->buf[i]);
	free(h);
	r->ahead = NULL;
}
