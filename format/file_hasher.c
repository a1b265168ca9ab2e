/* SHA-256 of each extracted file on a helper thread: a ring of slots the caller fills and the
 * helper hashes, in order, one file at a time. */
#include "file_hasher.h"

#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Eight slots of IB_FILE_HASHER_SLOT bytes (2 MiB in all) let the caller run ahead of the helper.
 * Each side sleeps only when it must and is woken only when it can go on: the helper when it
 * has nothing to hash, the caller when the ring is full, until half of it is free again. A
 * wake-up per slot would be thousands of context switches per package, which cost most when
 * the machine is short of CPU (reclaiming page cache for the files being written). */
#define SLOT_SIZE IB_FILE_HASHER_SLOT
#define SLOTS     8

struct ib_file_hasher {
	struct ib_worker *worker;  /* NULL: every file is hashed inline */
	struct ib_sha256_ctx *ctx; /* the current file's hash: the helper's between hand-overs */
	uint8_t *slot[SLOTS];
	size_t len[SLOTS];
	size_t fill;     /* bytes in the slot the caller is filling (index queued % SLOTS) */
	int inline_file; /* the current file is hashed by the caller */
	/* under the lock */
	size_t queued;      /* slots handed to the helper, ever */
	size_t hashed;      /* slots the helper has finished */
	int helper_idle;    /* the helper sleeps until a slot is queued */
	size_t caller_need; /* the caller sleeps until hashed reaches this (0: it does not) */
	int stop;
};

static void helper(void *arg)
{
	struct ib_file_hasher *h = arg;

	ib_worker_lock(h->worker);
	for (;;) {
		size_t i;

		while (!h->stop && h->hashed == h->queued) {
			h->helper_idle = 1;
			ib_worker_wait(h->worker);
		}
		h->helper_idle = 0;
		if (h->stop)
			break;
		i = h->hashed % SLOTS;
		ib_worker_unlock(h->worker);
		ib_sha256_update(h->ctx, h->slot[i], h->len[i]);
		ib_worker_lock(h->worker);
		h->hashed++;
		if (h->caller_need && h->hashed >= h->caller_need)
			ib_worker_wake(h->worker);
	}
	ib_worker_unlock(h->worker);
}

/* Under the lock: queues the slot being filled, waking the helper if it sleeps. */
static void queue_slot(struct ib_file_hasher *h)
{
	h->len[h->queued % SLOTS] = h->fill;
	h->queued++;
	h->fill = 0;
	if (h->helper_idle)
		ib_worker_wake(h->worker);
}

/* Under the lock: sleeps until the helper has hashed `need` slots. */
static void wait_hashed(struct ib_file_hasher *h, size_t need)
{
	h->caller_need = need;
	while (h->hashed < need)
		ib_worker_wait(h->worker);
	h->caller_need = 0;
}

static void release(struct ib_file_hasher *h)
{
	for (int i = 0; i < SLOTS; i++) {
		free(h->slot[i]);
		h->slot[i] = NULL;
	}
	ib_worker_free(h->worker);
	h->worker = NULL;
}

int ib_file_hasher_new(struct ib_file_hasher **out, int threaded)
{
	struct ib_file_hasher *h = calloc(1, sizeof(*h));
	int rc;

	if (!h)
		return -ENOMEM;
	if ((rc = ib_sha256_new(&h->ctx))) {
		free(h);
		return rc;
	}
	if (threaded) {
		int ok = (h->worker = ib_worker_new()) != NULL;

		for (int i = 0; ok && i < SLOTS; i++)
			ok = (h->slot[i] = malloc(SLOT_SIZE)) != NULL;
		if (!ok || ib_worker_start(h->worker, helper, h))
			release(h); /* inline then: slower, same results */
	}
	*out = h;
	return 0;
}

void ib_file_hasher_begin(struct ib_file_hasher *h, uint64_t size)
{
	/* The context is the caller's once the helper has hashed everything queued (a file that
	 * ended without final may have left slots behind). */
	if (h->worker) {
		ib_worker_lock(h->worker);
		wait_hashed(h, h->queued);
		ib_worker_unlock(h->worker);
	}
	ib_sha256_reset(h->ctx);
	h->fill = 0;
	h->inline_file = !h->worker || size <= SLOT_SIZE;
}

/* Hands the filled slot to the helper; when that fills the ring, waits until half of it is free. */
static void hand_over(struct ib_file_hasher *h)
{
	ib_worker_lock(h->worker);
	queue_slot(h);
	if (h->queued - h->hashed >= SLOTS)
		wait_hashed(h, h->queued - SLOTS / 2);
	ib_worker_unlock(h->worker);
}

void ib_file_hasher_update(struct ib_file_hasher *h, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (h->inline_file) {
		ib_sha256_update(h->ctx, buf, len);
		return;
	}
	while (len) {
		size_t take = SLOT_SIZE - h->fill < len ? SLOT_SIZE - h->fill : len;

		memcpy(h->slot[h->queued % SLOTS] + h->fill, p, take);
		h->fill += take;
		p += take;
		len -= take;
		if (h->fill == SLOT_SIZE)
			hand_over(h);
	}
}

void ib_file_hasher_final(struct ib_file_hasher *h, uint8_t out[IB_SHA256_LEN])
{
	if (!h->inline_file) {
		ib_worker_lock(h->worker);
		if (h->fill)
			queue_slot(h);
		wait_hashed(h, h->queued);
		ib_worker_unlock(h->worker);
	}
	ib_sha256_final(h->ctx, out);
}

void ib_file_hasher_free(struct ib_file_hasher *h)
{
	if (!h)
		return;
	if (h->worker) {
		ib_worker_lock(h->worker);
		h->stop = 1;
		ib_worker_wake(h->worker);
		ib_worker_unlock(h->worker);
		ib_worker_join(h->worker);
		release(h);
	}
	ib_sha256_free(h->ctx);
	free(h);
}
