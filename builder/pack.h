/* Packing: one package blob (plan, then write) and all of a build's packages on a thread pool. */
#ifndef IBPACK_PACK_H
#define IBPACK_PACK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../format/manifest.h"

struct ib_pack_opts {
	int64_t mtime; /* timestamp given to every entry (SOURCE_DATE_EPOCH or build time) */
	uint32_t chunk_size;
	int zstd_level;
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
	const atomic_int *cancel; /* when set, packing stops with IB_E_INTERRUPTED (NULL: never) */
	uint64_t max_end;         /* ib_pack_all: IB_E_LIMIT once the payload would end beyond this
				   * offset (0: no limit); checked on the plans before packing */
};

/* How a package will be packed, decided before any byte is written. */
struct ib_pack_plan {
	int requested;   /* the spec's compression (may be auto) */
	int comp;        /* the compression to use: auto is decided by compressing a sample */
	uint64_t length; /* the blob's exact length when known in advance (stored blobs), else 0 */
};

/* Plans the packing of p (whose compression is the requested one): decides "auto" and, for a
 * stored blob, computes its length from the source tree, so it can be written in its final
 * place while other packages are packed. Refuses what a source may not hold (below). */
int ib_pack_plan(const struct ib_package *p, const char *source_path, const struct ib_pack_opts *o,
		 struct ib_pack_plan *plan);

/* Packs the source of p (a directory, or a single file placed at the package root) into fd at
 * offset base (positioned writes: fd's position is not used, threads may share fd), filling p's
 * blob fields (length, compression, sha256, chunks, unpacked_size, file_count); p->offset is
 * left to the caller. Refuses symlinks, hardlinked directories, devices, FIFOs, sockets and
 * setuid/setgid files in the source, and checks a single file's pinned sha256. source_path is
 * p->source resolved against the spec's folder. IB_E_MISMATCH when the blob's length differs
 * from plan->length (the source changed in between). */
int ib_pack_write(int fd, uint64_t base, struct ib_package *p, const char *source_path, const struct ib_pack_opts *o,
		  const struct ib_pack_plan *plan);

/* Checks a source with exactly the rules ib_pack_write applies (entry types, setuid/setgid,
 * UTF-8 and safe names, depth, path length, readability, not empty) without packing it. */
int ib_pack_check_source(const char *source_path);

/* Total bytes of regular files under a source (for progress). */
int ib_pack_source_size(const char *source_path, uint64_t *bytes);

/* Packs pkgs[0..n) (sources[i] resolved like source_path above) on up to nthreads threads and
 * appends the blobs to out_fd in manifest order, the first at offset start (out_fd's current
 * position), filling each package's blob fields and offset; on success out_fd's position is
 * just past the last blob. Blobs other than the first are packed into unlinked temp files in
 * tmp_dir (the bundle's directory) and copied with copy_file_range (read/write where that is
 * unavailable, or with IBPACK_PACK_PORTABLE=1). The output does not depend on nthreads. On
 * failure the error is the one of the first failing package in manifest order. */
int ib_pack_all(int out_fd, const char *tmp_dir, struct ib_package *pkgs, char *const *sources, size_t n,
		const struct ib_pack_opts *o, unsigned nthreads, uint64_t start);

/* Threads for ib_pack_all: $IBPACK_JOBS (1-256) or the CPUs this process may use. */
int ib_pack_threads(unsigned *out);

#endif
