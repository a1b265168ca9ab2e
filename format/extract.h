/* Verified extraction of one package: chunk-checked bytes -> libarchive -> a safe output dir. */
#ifndef IBPACK_EXTRACT_H
#define IBPACK_EXTRACT_H

#include <signal.h>
#include <stdint.h>

#include "bundle.h"
#include "outdir.h"

struct ib_extract_opts {
	volatile sig_atomic_t *cancel; /* set by a signal handler to stop between chunks */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct ib_extract_stats {
	uint64_t files, bytes;
};

/* Extracts package p of b into subdir (created, must not exist) of dir. Only tar entries that are
 * regular files or directories with safe relative paths and no setuid/setgid/sticky bits are
 * accepted; more files or bytes than the manifest declares stop the extraction, and with the
 * signed file list every regular file must be the next one listed, with its size, mode and
 * SHA-256. On failure the partial subdir is removed. With dir NULL nothing is written: every
 * check runs over the verified bytes (ib_check_package_files). */
int ib_extract_package(struct ib_bundle *b, const struct ib_package *p, struct ib_outdir *dir, const char *subdir,
		       const struct ib_extract_opts *opts, struct ib_extract_stats *st);

/* Every check of ib_extract_package, writing nothing: whether the package's tar stream is one the
 * stub would extract, and whether it holds exactly the files of the signed list. */
int ib_check_package_files(struct ib_bundle *b, const struct ib_package *p);

#endif
