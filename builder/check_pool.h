/* Checking every hashed region of an opened bundle on several threads (ibpack verify). */
#ifndef IBPACK_CHECK_POOL_H
#define IBPACK_CHECK_POOL_H

#include "../format/bundle.h"

#include <pthread.h>
#include <stdint.h>

struct check_result {
	int rc;         /* 0, or the error of this region */
	long bad_chunk; /* for a package: the failing chunk, or -1 */
	char err[1024]; /* the error's detail, recorded on the thread that found it */
};

/* Checks the stub's SHA-256 (out[0]) and every package's chunks and whole-blob SHA-256
 * (out[1 + i] for package i) of b, whose manifest must be parsed, on up to nthreads threads
 * (0: as many as ib_pack_threads gives, that is $IBPACK_JOBS or the usable CPUs):
 * regions are independent, so this takes the time of the largest one or of the bytes over
 * the threads, whichever is longer. Returns 0 or -ENOMEM; each region's outcome is in out. */
int check_all(struct ib_bundle *b, unsigned nthreads, struct check_result *out);

/* The SHA-256 of the whole file as it is on disk (Authenticode table included: what to compare
 * with the hash recorded when the bundle was approved), computed on a thread of its own so it
 * overlaps the signature check and check_all instead of adding a third pass after them. */
struct check_file_hash {
	struct ib_bundle *b;
	pthread_t thread;
	int started; /* else the hash was computed in check_file_hash_start */
	int rc;
	uint8_t digest[IB_SHA256_LEN];
};

/* Starts hashing b's file; b must stay open until check_file_hash_finish. */
void check_file_hash_start(struct check_file_hash *h, struct ib_bundle *b);

/* Waits for the hash; returns 0 with the digest in h->digest, or the read error. */
int check_file_hash_finish(struct check_file_hash *h);

/* check_all with progress: with progress set, the checking threads only add the bytes they
 * checked to one atomic counter and the calling thread, which then checks nothing itself,
 * reports it every 100 ms (and once at the end) as progress(ctx, done, total). */
int check_all_progress(struct ib_bundle *b, unsigned nthreads, struct check_result *out,
		       void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx);

/* Records r's detail as this thread's error detail (what ib_errmsg shows) and returns r->rc. */
int check_result_rc(const struct check_result *r);

#endif
