/* All-or-nothing offline layouts: packages extracted into a hidden temp dir, then renamed. */
#include "layout.h"

#include "../base/err.h"
#include "../base/util.h"

#include <errno.h>
#include <stdio.h>

#define TMP_TRIES 100 /* ".ibpack-tmp.N" names tried: a SIGKILLed run may have left a few */

static int make_tmp(struct ib_outdir *dir, char *name, size_t size)
{
	for (int i = 0; i < TMP_TRIES; i++) {
		int rc;

		if (ib_snprintf(name, size, ".ibpack-tmp.%d", i))
			return -ENAMETOOLONG;
		rc = ib_outdir_mkdir(dir, name, 0700);
		if (rc != -EEXIST)
			return rc;
	}
	return ib_fail(-EEXIST, "%d leftover '.ibpack-tmp.N' directories in the output directory: remove them",
		       TMP_TRIES);
}

int ib_extract_layout(struct ib_bundle *b, struct ib_outdir *dir, const struct ib_package *const *pkgs, size_t n,
		      const struct ib_extract_opts *opts, ib_layout_done_fn done, void *ctx)
{
	char tmp[32], from[IB_ID_MAX + 40];
	size_t moved = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		int e = ib_outdir_exists(dir, pkgs[i]->id);

		if (e < 0)
			return e;
		if (e)
			return ib_fail(-EEXIST,
				       "'%s' already exists in the output directory: remove it or choose "
				       "another one",
				       pkgs[i]->id);
	}
	if ((rc = make_tmp(dir, tmp, sizeof(tmp))))
		return rc;
	for (size_t i = 0; !rc && i < n; i++) {
		struct ib_extract_stats st;

		if (ib_snprintf(from, sizeof(from), "%s/%s", tmp, pkgs[i]->id))
			rc = -ENAMETOOLONG;
		else
			rc = ib_extract_package(b, pkgs[i], dir, from, opts, &st);
		if (!rc && done)
			done(ctx, pkgs[i], &st);
	}
	for (; !rc && moved < n; moved++) {
		if (opts && opts->cancel && *opts->cancel)
			rc = ib_fail(IB_E_INTERRUPTED, "interrupted by a signal while extracting");
		else if (ib_snprintf(from, sizeof(from), "%s/%s", tmp, pkgs[moved]->id))
			rc = -ENAMETOOLONG;
		else
			rc = ib_outdir_rename(dir, from, pkgs[moved]->id);
		if (rc == -EEXIST)
			rc = ib_fail(-EEXIST, "'%s' appeared in the output directory while extracting",
				     pkgs[moved]->id);
		if (rc)
			break;
	}
	/* A late failure takes back what was already moved: the layout is complete or absent. */
	for (size_t i = 0; rc && i < moved; i++)
		(void)ib_outdir_remove_tree(dir, pkgs[i]->id);
	(void)ib_outdir_remove_tree(dir, tmp);
	return rc;
}
