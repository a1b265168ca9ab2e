/* Verified extraction of one package: chunk-checked bytes -> libarchive -> a safe output dir. */
#ifndef IBPACK_EXTRACT_H
#define IBPACK_EXTRACT_H

#include <signal.h>
#include <stdint.h>

#include "bundle.h"
#include "outdir.h"

struct ib_extract_opts {
	volatile sig_atomic_t *cancel;  /* set by a signal handler to stop between chunks */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct ib_extract_stats {
	uint64_t files, bytes;
};

/* Extracts package p of b into subdir (created, must not exist) of dir. Only tar entries that are
 * regular files or directories with safe relative paths and no setuid/setgid/sticky bits are
 * accepted; more files or bytes than the manifest declares stop the extraction. On failure the
 * partial subdir is removed. */
int ib_extract_package(struct ib_bundle *b, const struct ib_package *p, struct ib_outdir *dir,
		       const char *subdir, const struct ib_extract_opts *opts, struct ib_extract_stats *st);

#endif
