/* Writing one package blob: a sorted, reproducible tar stream, compressed, hashed per chunk. */
#ifndef IBPACK_PACK_H
#define IBPACK_PACK_H

#include <stdint.h>

#include "../format/manifest.h"

struct ib_pack_opts {
	int64_t mtime;          /* timestamp given to every entry (SOURCE_DATE_EPOCH or build time) */
	uint32_t chunk_size;
	int zstd_level;
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

/* Packs the source of p (a directory, or a single file placed at the package root) into fd at
 * its current offset, filling p's blob fields (length, compression, sha256, chunks,
 * unpacked_size, file_count); p->offset is left to the caller. Refuses symlinks, hardlinked
 * directories, devices, FIFOs, sockets and setuid/setgid files in the source, and checks a
 * single file's pinned sha256. source_path is p->source resolved against the spec's folder. */
int ib_pack_package(int fd, struct ib_package *p, const char *source_path, const struct ib_pack_opts *o);

/* Total bytes of regular files under a source (for progress). */
int ib_pack_source_size(const char *source_path, uint64_t *bytes);

#endif
