/* Checking every hashed region of an opened bundle on several threads (ibpack verify). */
#include "check_pool.h"
#include "cli.h"
#include "pack.h"

#include "../base/err.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct checks {
	struct ib_bundle *b;
	struct check_result *out;
	size_t *order; /* regions by size, largest first, so no big one is left running alone */
	size_t n;      /* regions: the stub and every package */
	atomic_size_t next;
	atomic_uint_least64_t done_bytes; /* checked so far, for the progress line */
	atomic_uint running;              /* checking threads not yet finished */
	pthread_mutex_t lock;             /* with finished: wakes the drawing thread at the end */
	pthread_cond_t finished;
};

static uint64_t region_size(const struct checks *c, size_t k)
{
	return k == 0 ? c->b->footer.stub_len : c->b->m.pkgs[k - 1].length;
}

static void count_bytes(void *ctx, uint64_t n)
{
	struct checks *c = ctx;

	atomic_fetch_add_explicit(&c->done_bytes, n, memory_order_relaxed);
}

static void check_region(struct checks *c, size_t k)
{
	struct ib_bundle *b = c->b;
	struct check_result *r = &c->out[k];
	r->bad_chunk = -1;
	if (k == 0) {
		r->rc = ib_bundle_check_stub(b);
		count_bytes(c, b->footer.stub_len);
	} else {
		/* Threads share the descriptor: every read is a pread at its own offset. */
		r->rc = ib_bundle_check_package_step(b, &b->m.pkgs[k - 1], &r->bad_chunk, count_bytes, c);
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
	if (atomic_fetch_sub(&c->running, 1) == 1) {
		pthread_mutex_lock(&c->lock);
		pthread_cond_signal(&c->finished);
		pthread_mutex_unlock(&c->lock);
	}
	return NULL;
}

/* The calling thread's part when progress is shown: it draws while the others check. */
static void draw_until_done(struct checks *c, void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx)
{
	uint64_t total = 0;

	for (size_t k = 0; k < c->n; k++)
		total += region_size(c, k);
	pthread_mutex_lock(&c->lock);
	while (atomic_load(&c->running) > 0) {
		struct timespec ts;
		uint64_t done;

		cli_progress_deadline(&ts);
		pthread_cond_timedwait(&c->finished, &c->lock, &ts);
		done = atomic_load_explicit(&c->done_bytes, memory_order_relaxed);
		if (atomic_load(&c->running) > 0)
			progress(ctx, done < total ? done : total, total);
	}
	pthread_mutex_unlock(&c->lock);
	progress(ctx, total, total);
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
	return check_all_progress(b, nthreads, out, NULL, NULL);
}

int check_all_progress(struct ib_bundle *b, unsigned nthreads, struct check_result *out,
		       void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx)
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
	atomic_init(&c.done_bytes, 0);
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.finished, NULL);
	if (nthreads > c.n)
		nthreads = (unsigned)c.n;
	/* Without progress this thread checks too and the others join it; with progress it only
	 * draws, unless no other thread could start. */
	atomic_init(&c.running, progress ? 0 : 1);
	for (unsigned t = progress ? 0 : 1; t < nthreads; t++) {
		atomic_fetch_add(&c.running, 1);
		if (pthread_create(&threads[started], NULL, worker, &c) == 0)
			started++;
		else
			atomic_fetch_sub(&c.running, 1);
	}
	if (progress && started) {
		draw_until_done(&c, progress, ctx);
	} else {
		if (progress)
			atomic_fetch_add(&c.running, 1);
		worker(&c);
	}
	for (unsigned t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	pthread_cond_destroy(&c.finished);
	pthread_mutex_destroy(&c.lock);
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
