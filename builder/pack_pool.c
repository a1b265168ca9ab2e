/* Packing a build's packages on a thread pool, blobs appended in manifest order.
 * Each blob is written in its final place in the bundle when that place is known in advance,
 * else into an unlinked temp file copied in as soon as its turn comes. */
#include "cli.h"
#include "pack.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define COPY_BUF    (1u << 20)
#define THREADS_MAX 256

struct job {
	struct ib_package *p;
	const char *source;
	struct ib_pack_plan plan;
	int placed;    /* the final offset is known before packing: written there directly */
	uint64_t base; /* that offset */
	int direct;    /* written in the bundle (placed, or the next in line when it started) */
	int fd;        /* when not direct: the temp file holding the blob */
	int rc;
	char err[1024];    /* the worker thread's error detail (details are per thread) */
	int done;          /* guarded by pool.lock */
	int skip;          /* guarded by pool.lock: an earlier job failed, this one is not needed */
	atomic_int cancel; /* the same for a job already running: its error would not be shown */
	uint64_t cost;     /* source bytes: the biggest jobs start first */
	_Atomic uint64_t done_bytes;
	struct ib_pack_opts o; /* the caller's options with this job's progress and cancel flag */
};

struct pool {
	struct job *jobs;
	size_t *order; /* the order jobs are started in: biggest first */
	size_t n, next;
	size_t head;       /* guarded by lock: the first job not yet in the bundle */
	uint64_t head_off; /* guarded by lock: where it goes */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	const char *tmp_dir;
	int out_fd, portable;
	atomic_size_t next_plan;
};

static int portable_mode(void)
{
	/* For file systems where O_TMPFILE or copy_file_range misbehave, and for the tests that
	 * prove the portable paths give the same bytes. */
	const char *v = getenv("IBPACK_PACK_PORTABLE");

	return v && *v && strcmp(v, "0") != 0;
}

int ib_pack_threads(unsigned *out)
{
	const char *env = getenv("IBPACK_JOBS");
	cpu_set_t set;
	uint64_t v;
	long n;

	if (env && *env) {
		if (ib_parse_u64(env, THREADS_MAX, &v) || v == 0)
			return ib_fail(IB_E_USAGE, "IBPACK_JOBS='%s': expected a number of threads from 1 to %d", env,
				       THREADS_MAX);
		*out = (unsigned)v;
		return 0;
	}
	/* The CPUs this process may run on (taskset, cpusets), not every CPU of the machine. */
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	*out = n < 1 ? 1 : n > THREADS_MAX ? THREADS_MAX : (unsigned)n;
	return 0;
}

/* An unlinked file next to the bundle: the same file system, so copy_file_range can share or
 * copy extents in the kernel, and nothing is left behind whatever happens to the process. */
static int open_temp(const struct pool *pl, int *fd)
{
	char path[IB_PATH_MAX];

	if (!pl->portable) {
		*fd = open(pl->tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (*fd >= 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT)
			return ib_fail(-errno, "cannot create a temporary file in '%s': %s", pl->tmp_dir,
				       strerror(errno));
	}
	if (ib_snprintf(path, sizeof(path), "%s/.ibpack-blob.XXXXXX", pl->tmp_dir))
		return ib_fail(-ENAMETOOLONG, "output directory path too long");
	*fd = mkostemp(path, O_CLOEXEC);
	if (*fd < 0)
		return ib_fail(-errno, "cannot create a temporary file in '%s': %s", pl->tmp_dir, strerror(errno));
	unlink(path);
	return 0;
}

static void job_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct job *j = ctx;

	(void)total;
	atomic_store_explicit(&j->done_bytes, done, memory_order_relaxed);
}

static void record_error(struct job *j, int rc)
{
	snprintf(j->err, sizeof(j->err), "%s", ib_errmsg(rc));
	j->rc = rc;
}

/* ---- phase 1: plans (compression decided, stored lengths computed), all jobs in parallel ---- */

static void *planner(void *arg)
{
	struct pool *pl = arg;
	size_t i;

	while ((i = atomic_fetch_add(&pl->next_plan, 1)) < pl->n) {
		struct job *j = &pl->jobs[i];
		int rc = ib_pack_plan(j->p, j->source, &j->o, &j->plan);

		if (rc)
			record_error(j, rc);
	}
	return NULL;
}

static void run_parallel(struct pool *pl, unsigned nthreads, void *(*fn)(void *))
{
	pthread_t *t = calloc(nthreads, sizeof(*t));
	unsigned started = 0;

	/* This thread works too; without memory for thread ids it works alone. */
	for (unsigned k = 1; t && k < nthreads; k++)
		if (pthread_create(&t[started], NULL, fn, pl) == 0)
			started++;
	fn(pl);
	for (unsigned k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	free(t);
}

/* ---- phase 2: packing ---- */

static void run_job(struct pool *pl, size_t i)
{
	struct job *j = &pl->jobs[i];
	int rc = 0;

	pthread_mutex_lock(&pl->lock);
	/* Written in place when its offset is known: planned, or every earlier blob is in the
	 * bundle already. Otherwise into a temp file, copied once the earlier ones are in. */
	if (!j->placed && pl->head == i) {
		j->base = pl->head_off;
		j->direct = 1;
	}
	pthread_mutex_unlock(&pl->lock);
	if (j->placed)
		j->direct = 1;
	if (!j->direct)
		rc = open_temp(pl, &j->fd);
	if (!rc)
		rc = ib_pack_write(j->direct ? pl->out_fd : j->fd, j->direct ? j->base : 0, j->p, j->source, &j->o,
				   &j->plan);
	if (rc)
		record_error(j, rc);
}

static void fail_after(struct pool *pl, size_t i)
{
	/* Report what a sequential build would: the first failing package in manifest order.
	 * Earlier jobs run on (they may fail too); later ones are not needed. */
	for (size_t k = i + 1; k < pl->n; k++) {
		pl->jobs[k].skip = 1;
		atomic_store(&pl->jobs[k].cancel, 1);
	}
}

static void *worker(void *arg)
{
	struct pool *pl = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&pl->lock);
		while (pl->next < pl->n && pl->jobs[pl->order[pl->next]].skip) {
			pl->jobs[pl->order[pl->next]].done = 1;
			pl->next++;
		}
		if (pl->next >= pl->n) {
			pthread_cond_broadcast(&pl->changed);
			pthread_mutex_unlock(&pl->lock);
			return NULL;
		}
		i = pl->order[pl->next++];
		pthread_mutex_unlock(&pl->lock);

		run_job(pl, i);

		pthread_mutex_lock(&pl->lock);
		pl->jobs[i].done = 1;
		if (pl->jobs[i].rc)
			fail_after(pl, i);
		pthread_cond_broadcast(&pl->changed);
		pthread_mutex_unlock(&pl->lock);
	}
}

static void stop_all(struct pool *pl)
{
	pthread_mutex_lock(&pl->lock);
	for (size_t k = 0; k < pl->n; k++) {
		pl->jobs[k].skip = 1;
		atomic_store(&pl->jobs[k].cancel, 1);
	}
	pthread_mutex_unlock(&pl->lock);
}

/* Appends [0, len) of in at out_off of out: in the kernel when it can, else through a buffer. */
static int copy_blob(const struct pool *pl, int in, uint64_t len, uint64_t out_off)
{
	uint64_t done = 0;
	uint8_t *buf;

	while (!pl->portable && done < len) {
		loff_t ioff = (loff_t)done, ooff = (loff_t)(out_off + done);
		size_t want = len - done > (1u << 30) ? (1u << 30) : (size_t)(len - done);
		ssize_t n = copy_file_range(in, &ioff, pl->out_fd, &ooff, want, 0);

		if (n > 0) {
			done += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* Not supported here (older kernel, other file system, no in-kernel path): copy
		 * the rest ourselves. A real I/O error shows up again on that path. */
		break;
	}
	if (done == len)
		return 0;
	if (!(buf = malloc(COPY_BUF)))
		return -ENOMEM;
	while (done < len) {
		size_t want = len - done < COPY_BUF ? (size_t)(len - done) : COPY_BUF;
		ssize_t n = pread(in, buf, want, (off_t)done), w = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return ib_fail(n < 0 ? -errno : IB_E_TRUNCATED, "reading a packed blob back: %s",
				       n < 0 ? strerror(errno) : "it is shorter than written");
		}
		while (w < n) {
			ssize_t k = pwrite(pl->out_fd, buf + w, (size_t)(n - w), (off_t)(out_off + done + (uint64_t)w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				int e = errno;

				free(buf);
				return ib_fail(-e, "writing the bundle: %s", strerror(e));
			}
			w += k;
		}
		done += (uint64_t)n;
	}
	free(buf);
	return 0;
}

/* Waits for job i, reporting overall progress every 100 ms while it runs. */
static void wait_for(struct pool *pl, size_t i, const struct ib_pack_opts *o, uint64_t total)
{
	pthread_mutex_lock(&pl->lock);
	while (!pl->jobs[i].done) {
		struct timespec ts;

		if (!o->progress) {
			pthread_cond_wait(&pl->changed, &pl->lock);
			continue;
		}
		cli_progress_deadline(&ts);
		pthread_cond_timedwait(&pl->changed, &pl->lock, &ts);
		if (!pl->jobs[i].done) {
			uint64_t sum = 0;

			for (size_t k = 0; k < pl->n; k++)
				sum += atomic_load_explicit(&pl->jobs[k].done_bytes, memory_order_relaxed);
			o->progress(o->progress_ctx, sum < total ? sum : total, total);
		}
	}
	pthread_mutex_unlock(&pl->lock);
}

/* Longest job first, so that no big package is left running alone at the end. Ties keep
 * manifest order. */
static const struct job *sort_jobs;

static int by_cost(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	if (sort_jobs[a].cost != sort_jobs[b].cost)
		return sort_jobs[a].cost > sort_jobs[b].cost ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int too_big(uint64_t end, uint64_t max_end)
{
	return ib_fail(IB_E_LIMIT, "the payload would end at byte %llu, beyond the limit of %llu",
		       (unsigned long long)end, (unsigned long long)max_end);
}

/* One attempt at the whole payload: worker threads pack, this thread puts blobs in the bundle
 * in manifest order as they complete. *changed is set when a planned length did not hold (a
 * source changed between planning and packing): the caller starts again without plans. */
static int pack_pass(struct pool *pl, const struct ib_pack_opts *o, unsigned nthreads, uint64_t start, uint64_t total,
		     int *changed)
{
	pthread_t *threads = calloc(nthreads, sizeof(*threads));
	unsigned started = 0;
	uint64_t off = start, planned_end = start;
	int rc = 0;

	if (!threads)
		return -ENOMEM;
	pl->next = 0;
	pl->head = 0;
	pl->head_off = start;
	for (size_t i = 0; i < pl->n; i++) {
		struct job *j = &pl->jobs[i];

		j->done = j->skip = j->direct = 0;
		j->fd = -1;
		atomic_store(&j->cancel, 0);
		atomic_store(&j->done_bytes, 0);
		/* Planned offsets run on as long as every earlier blob has a planned length. */
		j->placed = off != UINT64_MAX;
		j->base = off;
		if (off != UINT64_MAX)
			off = j->plan.length ? off + j->plan.length : UINT64_MAX;
		if (off != UINT64_MAX)
			planned_end = off;
	}
	/* The blobs planned so far already end beyond the limit: refuse before packing anything. */
	if (o->max_end && planned_end > o->max_end) {
		free(threads);
		return too_big(planned_end, o->max_end);
	}
	for (size_t i = 0; i < pl->n; i++)
		if (pl->jobs[i].rc) {
			/* Its planning failed: as if its packing had, at once. */
			pl->jobs[i].done = pl->jobs[i].skip = 1;
			fail_after(pl, i);
			break;
		}
	for (unsigned t = 0; t < nthreads; t++)
		if (pthread_create(&threads[started], NULL, worker, pl) == 0)
			started++;
	if (!started)
		worker(pl); /* no thread could be started: pack everything here first */

	off = start;
	for (size_t i = 0; i < pl->n; i++) {
		struct job *j = &pl->jobs[i];

		wait_for(pl, i, o, total);
		if (j->rc) {
			*changed = j->rc == IB_E_MISMATCH;
			rc = ib_fail(j->rc, "package '%s': %s", j->p->id, j->err);
			break;
		}
		if (j->direct && j->base != off) { /* cannot happen unless a plan was wrong */
			*changed = 1;
			rc = ib_fail(IB_E_MISMATCH, "package '%s' was packed at offset %llu, not %llu", j->p->id,
				     (unsigned long long)j->base, (unsigned long long)off);
			break;
		}
		if (!j->direct) {
			if ((rc = copy_blob(pl, j->fd, j->p->length, off)))
				break;
			close(j->fd);
			j->fd = -1;
		}
		/* Start writing this blob to the disk now, so the final fsync has less to wait for. */
		(void)sync_file_range(pl->out_fd, (off_t)off, (off_t)j->p->length, SYNC_FILE_RANGE_WRITE);
		j->p->offset = off;
		off += j->p->length;
		if (o->max_end && off > o->max_end) {
			rc = too_big(off, o->max_end);
			break;
		}
		pthread_mutex_lock(&pl->lock);
		pl->head = i + 1;
		pl->head_off = off;
		pthread_mutex_unlock(&pl->lock);
	}
	if (rc)
		stop_all(pl);
	for (unsigned t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	free(threads);
	for (size_t i = 0; i < pl->n; i++)
		if (pl->jobs[i].fd >= 0) {
			close(pl->jobs[i].fd);
			pl->jobs[i].fd = -1;
		}
	/* The caller appends the manifest at the file position: just past the last blob. */
	if (!rc && lseek(pl->out_fd, (off_t)off, SEEK_SET) < 0)
		rc = ib_fail(-errno, "seeking the bundle: %s", strerror(errno));
	return rc;
}

int ib_pack_all(int out_fd, const char *tmp_dir, struct ib_package *pkgs, char *const *sources, size_t n,
		const struct ib_pack_opts *o, unsigned nthreads, uint64_t start)
{
	struct pool pl = {.n = n, .tmp_dir = tmp_dir, .out_fd = out_fd, .portable = portable_mode()};
	uint64_t total = 0;
	int rc = 0, changed = 0;

	if (n == 0)
		return 0;
	pl.jobs = calloc(n, sizeof(*pl.jobs));
	pl.order = calloc(n, sizeof(*pl.order));
	if (!pl.jobs || !pl.order) {
		free(pl.jobs);
		free(pl.order);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct job *j = &pl.jobs[i];

		j->p = &pkgs[i];
		j->source = sources[i];
		j->fd = -1;
		atomic_init(&j->cancel, 0);
		atomic_init(&j->done_bytes, 0);
		j->o = *o;
		j->o.progress = o->progress ? job_progress : NULL;
		j->o.progress_ctx = j;
		j->o.cancel = &j->cancel;
		ib_pack_source_size(sources[i], &j->cost);
		total += j->cost;
		pl.order[i] = i;
	}
	sort_jobs = pl.jobs; /* (qsort has no context argument; no thread runs yet) */
	qsort(pl.order, n, sizeof(*pl.order), by_cost);
	pthread_mutex_init(&pl.lock, NULL);
	pthread_cond_init(&pl.changed, NULL);
	if (nthreads > n)
		nthreads = (unsigned)n;
	if (!nthreads)
		nthreads = 1;
	atomic_init(&pl.next_plan, 0);
	run_parallel(&pl, nthreads, planner);
	rc = pack_pass(&pl, o, nthreads, start, total, &changed);
	if (rc && changed) {
		/* A source changed under us: pack everything again, without plans, from temp files
		 * (what is written then is what the manifest describes, whatever changes next). */
		for (size_t i = 0; i < n; i++) {
			pl.jobs[i].plan.length = 0;
			pl.jobs[i].rc = 0;
		}
		changed = 0;
		if (ftruncate(out_fd, (off_t)start) != 0)
			rc = ib_fail(-errno, "trimming the bundle: %s", strerror(errno));
		else
			rc = pack_pass(&pl, o, nthreads, start, total, &changed);
	}
	pthread_cond_destroy(&pl.changed);
	pthread_mutex_destroy(&pl.lock);
	free(pl.jobs);
	free(pl.order);
	return rc;
}
