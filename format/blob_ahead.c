/* Read-ahead for the blob reader: a helper thread reads and hashes the next chunks into a small
 * ring of buffers while the caller uses the current one.
 *
 * Hashing a chunk costs about as much as decompressing and writing it, so doing the two one
 * after the other makes verified extraction slower than an unverified tar -x. The helper
 * verifies chunks k+1 and k+2 while chunk k is unpacked: the caller still only ever sees chunks
 * that were checked, in order, and the first failure stops the stream at that chunk exactly as
 * the serial reader does. */
#include "blob_ahead.h"

#include "../base/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Buffers in the ring: the one the caller holds, and two verified ahead of it. */
#define SLOTS 3

struct ahead {
	struct ib_worker *sync;
	uint8_t *buf[SLOTS];
	long len[SLOTS]; /* chunk length, or the error of the chunk that failed */
	size_t filled;   /* under the lock: chunks verified by the helper so far */
	size_t freed;    /* under the lock: chunks the caller is done with */
	int stop;        /* under the lock: the caller is closing the reader */
	char err[1024];  /* the helper's error detail (details are per thread) */
};

static void helper(void *arg)
{
	struct ib_blob_reader *r = arg;
	struct ahead *h = r->ahead;

	for (size_t idx = 0; idx < r->pkg->nchunks; idx++) {
		long n;

		ib_worker_lock(h->sync);
		while (!h->stop && idx - h->freed >= SLOTS)
			ib_worker_wait(h->sync);
		if (h->stop) {
			ib_worker_unlock(h->sync);
			return;
		}
		ib_worker_unlock(h->sync);
		if (r->cancel && *r->cancel)
			n = ib_fail(IB_E_INTERRUPTED, "interrupted by a signal");
		else
			n = ib_blob_read_chunk(r, idx, h->buf[idx % SLOTS]);
		ib_worker_lock(h->sync);
		h->len[idx % SLOTS] = n;
		if (n < 0)
			snprintf(h->err, sizeof(h->err), "%s", ib_errmsg((int)n));
		h->filled = idx + 1;
		ib_worker_wake(h->sync);
		ib_worker_unlock(h->sync);
		if (n < 0)
			return;
	}
}

static void ahead_free(struct ahead *h)
{
	for (int i = 0; i < SLOTS; i++)
		free(h->buf[i]);
	ib_worker_free(h->sync);
	free(h);
}

int ib_blob_ahead_start(struct ib_blob_reader *r)
{
	struct ahead *h;
	int rc;

	if (r->pkg->nchunks < 2)
		return -EINVAL;
	if (!(h = calloc(1, sizeof(*h))))
		return -ENOMEM;
	for (int i = 0; i < SLOTS; i++)
		if (!(h->buf[i] = malloc(r->chunk_size))) {
			ahead_free(h);
			return -ENOMEM;
		}
	if (!(h->sync = ib_worker_new())) {
		ahead_free(h);
		return -ENOMEM;
	}
	r->ahead = h;
	if ((rc = ib_worker_start(h->sync, helper, r))) {
		r->ahead = NULL;
		ahead_free(h);
	}
	return rc;
}

long ib_blob_ahead_next(struct ib_blob_reader *r, const void **data)
{
	struct ahead *h = r->ahead;
	long n;

	if (r->cancel && *r->cancel)
		return ib_fail(IB_E_INTERRUPTED, "interrupted by a signal");
	ib_worker_lock(h->sync);
	/* The buffer handed out last time is no longer used by the caller (libarchive keeps a
	 * read callback's buffer only until the next call). */
	if (h->freed < r->next) {
		h->freed = r->next;
		ib_worker_wake(h->sync);
	}
	if (r->next >= r->pkg->nchunks) {
		ib_worker_unlock(h->sync);
		return 0;
	}
	while (h->filled <= r->next)
		ib_worker_wait(h->sync);
	n = h->len[r->next % SLOTS];
	ib_worker_unlock(h->sync);
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
	ib_worker_lock(h->sync);
	h->stop = 1;
	ib_worker_wake(h->sync);
	ib_worker_unlock(h->sync);
	ib_worker_join(h->sync);
	ahead_free(h);
	r->ahead = NULL;
}
