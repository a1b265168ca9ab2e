/* An offline layout: several packages extracted into DIR/<package-id>/, all or nothing. */
#ifndef IBPACK_LAYOUT_H
#define IBPACK_LAYOUT_H

#include <stddef.h>

#include "extract.h"

/* Called after each package is extracted (still in the temp dir), for a progress line. */
typedef void (*ib_layout_done_fn)(void *ctx, const struct ib_package *p, const struct ib_extract_stats *st);

/* Extracts pkgs[0..n) of b into dir/<id>/. Refuses (-EEXIST, before any work) when one of the
 * <id> names exists already. Everything is first written into a hidden temp dir inside dir and
 * renamed into place only when every package extracted: a failure or a cancel (opts->cancel)
 * leaves dir as it was, so a rerun works. */
int ib_extract_layout(struct ib_bundle *b, struct ib_outdir *dir, const struct ib_package *const *pkgs, size_t n,
		      const struct ib_extract_opts *opts, ib_layout_done_fn done, void *ctx);

#endif
