/* Checking every hashed region of an opened bundle on several threads (ibpack verify). */
#include "check_pool.h"
#include "pack.h"

#include "../base/err.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct checks {
	struct ib_bundle *b;
	struct check_result *out;
	size_t *order; /* regions by size, largest first, so no big one is left running alone */
	size_t n;      /* regions: the stub and every package */
	atomic_size_t next;
};

static uint64_t region_size(const struct checks *c, size_t k)
{
	return k == 0 ? c->b->footer.stub_len : c->b->m.pkgs[k - 1].length;
}

static void check_region(struct checks *c, size_t k)
{
	struct ib_bundle *b = c->b;
	struct check_result *r = &c->out[k];
	r->bad_chunk = -1;
	if (k == 0) {
		r->rc = ib_bundle_check_stub(b);
	} else {
		/* Threads share the descriptor: every read is a pread at its own offset. */
		r->rc = ib_bundle_check_package(b, &b->m.pkgs[k - 1], &r->bad_chunk);
	}
	if (r->rc)
		snprintf(r->err, sizeof(r->err), "%s", ib_errmsg(r->rc));
}

static void *worker(void *arg)
{
	struct checks *c = arg;
	size_t i;

	while ((i = atomic_fetch_add(&c->next, 1)) < c->n)
		check_region(c, c->order[i]);
	return NULL;
}

static const struct checks *sort_checks;

static int by_size(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	uint64_t sa = region_size(sort_checks, a), sb = region_size(sort_checks, b);

	if (sa != sb)
		return sa > sb ? -1 : 1;
	return a < b ? -1 : a > b;
}

int check_all(struct ib_bundle *b, unsigned nthreads, struct check_result *out)
{
	struct checks c = {.b = b, .out = out, .n = b->m.npkgs + 1};
	pthread_t *threads;
	unsigned started = 0;

	if (!nthreads && ib_pack_threads(&nthreads))
		nthreads = 1; /* a bad IBPACK_JOBS is for the build to report; a check still runs */

	c.order = calloc(c.n, sizeof(*c.order));
	threads = calloc(nthreads ? nthreads : 1, sizeof(*threads));
	if (!c.order || !threads) {
		free(c.order);
		free(threads);
		return -ENOMEM;
	}
	memset(out, 0, c.n * sizeof(*out));
	for (size_t k = 0; k < c.n; k++)
		c.order[k] = k;
	sort_checks = &c; /* (qsort has no context argument; no thread runs yet) */
	qsort(c.order, c.n, sizeof(*c.order), by_size);
	atomic_init(&c.next, 0);
	if (nthreads > c.n)
		nthreads = (unsigned)c.n;
	/* This thread checks too; the others join it. */
	for (unsigned t = 1; t < nthreads; t++)
		if (pthread_create(&threads[started], NULL, worker, &c) == 0)
			started++;
	worker(&c);
	for (unsigned t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	free(c.order);
	free(threads);
	return 0;
}

static void *hash_file(void *arg)
{
	struct check_file_hash *h = arg;
	const size_t bufsz = 1 << 20;
	uint8_t *buf = malloc(bufsz);
	struct ib_sha256_ctx *c = NULL;
	uint64_t off = 0, size = h->b->file.size;
	int rc = buf ? ib_sha256_new(&c) : -ENOMEM;

	ib_file_prefetch(&h->b->file, 0, IB_PREFETCH_AHEAD);
	while (!rc && off < size) {
		size_t n = size - off < bufsz ? (size_t)(size - off) : bufsz;

		ib_file_prefetch(&h->b->file, off + IB_PREFETCH_AHEAD, n);
		rc = ib_file_pread(&h->b->file, buf, n, off);
		if (!rc)
			ib_sha256_update(c, buf, n);
		off += n;
	}
	if (!rc)
		ib_sha256_final(c, h->digest);
	ib_sha256_free(c);
	free(buf);
	h->rc = rc;
	return NULL;
}

void check_file_hash_start(struct check_file_hash *h, struct ib_bundle *b)
{
	memset(h, 0, sizeof(*h));
	h->b = b;
	h->started = pthread_create(&h->thread, NULL, hash_file, h) == 0;
	if (!h->started)
		hash_file(h); /* no thread to spare: the same work, serially */
}

int check_file_hash_finish(struct check_file_hash *h)
{
	if (h->started)
		pthread_join(h->thread, NULL);
	h->started = 0;
	return h->rc;
}

int check_result_rc(const struct check_result *r)
{
	if (!r->rc)
		return 0;
	return ib_fail(r->rc, "%s", r->err);
}
