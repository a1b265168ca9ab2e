/* First-boot staging (--stage/--unstage --root DIR): a verified copy of the bundle inside the image,
 * run once on the first boot on the real hardware. The platform halves are stage_posix.c (a
 * systemd unit) and stage_win.c (SetupComplete.cmd). */
#include "stage.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A copy that goes into an image must be whole: the stub hash and every chunk of every package
 * are checked first, as --verify does (the copy is verified again when it runs). */
static int verify_all(struct stub_ctx *c)
{
	struct ib_bundle *b = &c->bundle;
	int rc = ib_bundle_check_all(b);

	if (!rc)
		log_msg(&c->log, "info", "bundle %s %s (sequence %llu) verified: %zu packages", b->m.name, b->m.version,
			(unsigned long long)b->m.sequence, b->m.npkgs);
	return rc;
}

/* Writes the whole bundle file (a Windows Authenticode table included) to a new file. */
int stage_copy_bundle(struct stub_ctx *c, struct ib_outdir *root, const char *rel)
{
	struct ib_outfile *f;
	uint8_t *buf = malloc(COPY_CHUNK);
	uint64_t size = c->bundle.file.size;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = ib_outdir_create(root, rel, 0755, &f);
	if (rc) {
		free(buf);
		return rc == IB_E_UNSAFE ? ib_fail(rc, "'%s' exists and cannot be replaced", rel) : rc;
	}
	for (uint64_t off = 0; !rc && off < size;) {
		size_t n = size - off < COPY_CHUNK ? (size_t)(size - off) : COPY_CHUNK;

		rc = ib_file_pread(&c->bundle.file, buf, n, off);
		if (!rc)
			rc = ib_outfile_write(f, buf, n);
		if (!rc && c->cancel)
			rc = ib_fail(IB_E_INTERRUPTED, "interrupted while copying the bundle");
		off += n;
	}
	free(buf);
	if (ib_outfile_close(f, rc == 0) && !rc)
		rc = ib_fail(-EIO, "cannot write '%s'", rel);
	return rc;
}

int stage_write_new(struct ib_outdir *root, const char *rel, unsigned mode, const void *data, size_t len)
{
	struct ib_outfile *f;
	int rc = ib_outdir_create(root, rel, mode, &f);

	if (rc)
		return rc == IB_E_UNSAFE ? ib_fail(rc, "'%s' exists and cannot be replaced", rel) : rc;
	rc = ib_outfile_write(f, data, len);
	if (ib_outfile_close(f, rc == 0) && !rc)
		rc = ib_fail(-EIO, "cannot write '%s'", rel);
	return rc;
}

int stub_stage(struct stub_ctx *c)
{
	struct root_job *j = root_job_init(c);
	int rc;

	c->action = "stage";
	root_open_log(c);
	if ((rc = root_plat_open(c, j)) || (rc = verify_all(c)))
		return rc;
	stage_plat_check_os(c);
	return stage_plat(c, j);
}

int stub_unstage(struct stub_ctx *c)
{
	struct root_job *j = root_job_init(c);
	int rc;

	c->action = "unstage";
	root_open_log(c);
	if ((rc = root_plat_open(c, j)) || (rc = unstage_plat(c, j)))
		return rc;
	if (j->npaths)
		root_message(c, "unstaged %s from %s: %zu item%s removed", c->bundle.m.name, j->dir, j->npaths,
			     j->npaths == 1 ? "" : "s");
	else
		root_message(c, "nothing of %s was staged in %s", c->bundle.m.name, j->dir);
	return 0;
}
