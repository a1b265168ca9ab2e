/* Verified extraction of one package: chunk-checked bytes -> libarchive -> a safe output dir. */
#include "extract.h"

#include "file_hasher.h"
#include "worker.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <archive.h>
#include <archive_entry.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The paths of the entries seen so far, to refuse any path listed twice. */
struct pathset {
	char **slot;
	size_t cap, n;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return h;
}

static int pathset_add(struct pathset *ps, const char *path)
{
	size_t i;

	if (ps->n * 2 >= ps->cap) {
		struct pathset bigger = {.cap = ps->cap ? ps->cap * 2 : 64};

		bigger.slot = calloc(bigger.cap, sizeof(char *));
		if (!bigger.slot)
			return -ENOMEM;
		for (size_t j = 0; j < ps->cap; j++) {
			if (!ps->slot[j])
				continue;
			for (i = fnv1a(ps->slot[j]) & (bigger.cap - 1); bigger.slot[i]; i = (i + 1) & (bigger.cap - 1))
				;
			bigger.slot[i] = ps->slot[j];
		}
		bigger.n = ps->n;
		free(ps->slot);
		*ps = bigger;
	}
	for (i = fnv1a(path) & (ps->cap - 1); ps->slot[i]; i = (i + 1) & (ps->cap - 1))
		if (!strcmp(ps->slot[i], path))
			return -EEXIST;
	ps->slot[i] = ib_strdup(path);
	if (!ps->slot[i])
		return -ENOMEM;
	ps->n++;
	return 0;
}

static void pathset_release(struct pathset *ps)
{
	for (size_t i = 0; i < ps->cap; i++)
		free(ps->slot[i]);
	free(ps->slot);
}

struct reader_ctx {
	struct ib_blob_reader blob;
	int err; /* our error when the read callback fails */
	uint64_t done;
	const struct ib_extract_opts *opts;
	struct ib_file_hasher *file_hash; /* the current file, against the signed file list */
	size_t next_file;                 /* index of the next regular file in pkg->files */
};

static la_ssize_t read_cb(struct archive *a, void *opaque, const void **buf)
{
	struct reader_ctx *rc = opaque;
	long n = ib_blob_next(&rc->blob, buf);

	if (n < 0) {
		rc->err = (int)n;
		archive_set_error(a, EIO, "%s", ib_errmsg((int)n));
		return -1;
	}
	rc->done += (uint64_t)n;
	if (rc->opts && rc->opts->progress)
		rc->opts->progress(rc->opts->progress_ctx, rc->done, rc->blob.pkg->length);
	return n;
}

static int open_reader(struct archive **out, const struct ib_package *p, struct reader_ctx *ctx)
{
	struct archive *a = archive_read_new();
	int r = ARCHIVE_OK;

	if (!a)
		return -ENOMEM;
	/* Only the format and the one filter this package uses: reader bugs in other formats
	 * and filters stay unreachable. */
	if (archive_read_support_format_tar(a) != ARCHIVE_OK)
		r = ARCHIVE_FATAL;
	if (p->compression == IB_COMP_ZSTD)
		r = archive_read_support_filter_zstd(a);
	else if (p->compression == IB_COMP_GZIP)
		r = archive_read_support_filter_gzip(a);
	if (r != ARCHIVE_OK) {
		int rc = ib_fail(IB_E_ARCHIVE, "archive library lacks %s support", ib_compression_name(p->compression));

		archive_read_free(a);
		return rc;
	}
	if (archive_read_open2(a, ctx, NULL, read_cb, NULL, NULL) != ARCHIVE_OK) {
		int rc = ctx->err ? ctx->err
				  : ib_fail(IB_E_ARCHIVE, "package '%s': %s", p->id, archive_error_string(a));

		archive_read_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

/* A signal between chunks is seen by the blob reader; one highly compressed chunk can unpack to
 * gigabytes, so the write loops look too. */
static int cancelled(const struct reader_ctx *ctx)
{
	if (ctx->opts && ctx->opts->cancel && *ctx->opts->cancel)
		return ib_fail(IB_E_INTERRUPTED, "interrupted by a signal while extracting");
	return 0;
}

/* A full disk is the one write error users can fix themselves: say how. */
static int write_error(int rc, const struct ib_package *p)
{
#ifdef EDQUOT
	if (rc == -EDQUOT)
		rc = -ENOSPC;
#endif
	if (rc == -ENOSPC)
		return ib_fail(rc,
			       "no space left while extracting package '%s' (it unpacks to %llu bytes): free "
			       "space or use --tmpdir on a larger file system",
			       p->id, (unsigned long long)p->unpacked_size);
	return rc;
}

static int entry_fail(struct reader_ctx *ctx, struct archive *a, const struct ib_package *p)
{
	if (ctx->err)
		return ctx->err;
	return ib_fail(IB_E_ARCHIVE, "package '%s': %s", p->id,
		       archive_error_string(a) ? archive_error_string(a) : "archive error");
}

/* Reads the next header; the one warning taken as success is that a name has no form in the
 * locale's charset: ib_outdir_entry_name takes the UTF-8 the builder wrote, not that form. */
static int next_header(struct archive *a, struct archive_entry **e)
{
	int r = archive_read_next_header(a, e);
	const char *why = archive_error_string(a);

	if (r == ARCHIVE_WARN && why && strstr(why, "can't be converted from UTF-8"))
		return ARCHIVE_OK;
	return r;
}

static int check_entry(struct archive_entry *e, const char *path, const char *pkg)
{
	mode_t type = archive_entry_filetype(e);
	int rc;

	if ((rc = ib_path_check(path)))
		return ib_fail_ctx(rc, "package '%s': ", pkg);
	if (archive_entry_hardlink(e))
		return ib_fail(IB_E_UNSAFE, "package '%s': hardlink '%s' refused", pkg, path);
	if (type == AE_IFLNK || archive_entry_symlink(e))
		return ib_fail(IB_E_UNSAFE, "package '%s': symlink '%s' refused", pkg, path);
	if (type != AE_IFREG && type != AE_IFDIR)
		return ib_fail(IB_E_UNSAFE, "package '%s': '%s' is a device, FIFO or socket", pkg, path);
	if (archive_entry_perm(e) & 07000)
		return ib_fail(IB_E_UNSAFE, "package '%s': '%s' has setuid, setgid or sticky bits", pkg, path);
	return 0;
}

/* With a signed file list, each regular file must be the next one listed, with the same path,
 * size and mode; its bytes are hashed as they are written, on a helper thread when the file is
 * large (file_hasher.c), and checked at its end (check_file_hash). The chunk hashes
 * already proved every byte is the signed one: this proves the list describes the files. */
static const struct ib_file_entry *expected_file(struct reader_ctx *ctx, struct archive_entry *e, const char *name,
						 const struct ib_package *p, int *rc)
{
	const struct ib_file_entry *f;

	*rc = 0;
	if (!p->has_files)
		return NULL;
	if (ctx->next_file >= p->nfiles) {
		*rc = ib_fail(IB_E_INTEGRITY, "package '%s': '%s' is not in the signed file list", p->id, name);
		return NULL;
	}
	f = &p->files[ctx->next_file++];
	if (strcmp(f->path, name) || f->size != (uint64_t)archive_entry_size(e) ||
	    f->mode != (unsigned)archive_entry_perm(e))
		*rc = ib_fail(IB_E_INTEGRITY,
			      "package '%s': '%s' does not match the signed file list (expected "
			      "'%s', %llu bytes, mode %04o)",
			      p->id, name, f->path, (unsigned long long)f->size, f->mode);
	ib_file_hasher_begin(ctx->file_hash, f->size);
	return f;
}

static int check_file_hash(struct reader_ctx *ctx, const struct ib_file_entry *f, const struct ib_package *p)
{
	uint8_t got[IB_SHA256_LEN];

	if (!f)
		return 0;
	ib_file_hasher_final(ctx->file_hash, got);
	if (memcmp(got, f->sha256, IB_SHA256_LEN))
		return ib_fail(IB_E_INTEGRITY, "package '%s': '%s' does not match its signed sha256", p->id, f->path);
	return 0;
}

static int write_file(struct archive *a, struct reader_ctx *ctx, struct ib_outdir *dir, const char *path,
		      const char *name, struct archive_entry *e, const struct ib_package *p,
		      struct ib_extract_stats *st)
{
	const struct ib_file_entry *expect;
	unsigned mode = (unsigned)archive_entry_perm(e);
	struct ib_outfile *f = NULL;
	const void *buf;
	size_t size;
	la_int64_t off;
	uint64_t pos = 0;
	int r, rc;

	expect = expected_file(ctx, e, name, p, &rc);
	if (rc)
		return rc;
	if (dir && (rc = ib_outdir_create(dir, path, mode, &f)))
		return write_error(rc, p);
	while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
		if ((rc = cancelled(ctx)))
			break;
		/* Holes would let a tiny archive claim a huge file; builders never write them. */
		if (off < 0 || (uint64_t)off != pos) {
			rc = ib_fail(IB_E_UNSAFE, "package '%s': sparse file '%s' refused", p->id, path);
			break;
		}
		if (size > p->unpacked_size - st->bytes) {
			rc = ib_fail(IB_E_LIMIT, "package '%s': more than the declared %llu bytes unpacked", p->id,
				     (unsigned long long)p->unpacked_size);
			break;
		}
		if (f && (rc = ib_outfile_write(f, buf, size))) {
			rc = write_error(rc, p);
			break;
		}
		if (expect)
			ib_file_hasher_update(ctx->file_hash, buf, size);
		pos += size;
		st->bytes += size;
	}
	if (!rc && r != ARCHIVE_EOF)
		rc = entry_fail(ctx, a, p);
	if (!rc)
		rc = check_file_hash(ctx, expect, p);
	r = f ? ib_outfile_close(f, rc == 0) : 0;
	return rc ? rc : write_error(r, p);
}

static int extract_entries(struct archive *a, struct reader_ctx *ctx, struct ib_outdir *dir, const char *subdir,
			   const struct ib_package *p, struct ib_extract_stats *st)
{
	struct pathset seen = {0};
	struct archive_entry *e;
	char path[IB_PATH_MAX];
	int r, rc = 0;

	while (!rc && (r = next_header(a, &e)) == ARCHIVE_OK) {
		char name[IB_PATH_MAX];

		name[0] = '\0';
		if ((rc = cancelled(ctx)) || (rc = ib_outdir_entry_name(e, name, sizeof(name))) ||
		    (rc = check_entry(e, name, p->id))) {
			if (rc == IB_E_UNSAFE && !name[0])
				rc = ib_fail(IB_E_UNSAFE, "package '%s': entry without a readable path", p->id);
			break;
		}
		if (++st->files > p->file_count) {
			rc = ib_fail(IB_E_LIMIT, "package '%s': more than the declared %llu files", p->id,
				     (unsigned long long)p->file_count);
			break;
		}
		if (ib_snprintf(path, sizeof(path), "%s/%s", subdir, name)) {
			rc = ib_fail(IB_E_UNSAFE, "package '%s': path too long", p->id);
			break;
		}
		/* Every entry, of any type, names a path once: a second one would replace, merge
		 * into or silently skip the first ("a" as a file, then "a" or "a/" as a directory). */
		for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
			path[n - 1] = '\0';
		rc = pathset_add(&seen, path);
		if (rc == -EEXIST) {
			rc = ib_fail(IB_E_UNSAFE, "package '%s': duplicate path '%s' in archive", p->id, name);
			break;
		}
		if (rc)
			break;
		if (archive_entry_filetype(e) == AE_IFDIR) {
			rc = dir ? ib_outdir_mkdir(dir, path, archive_entry_perm(e) | 0700) : 0;
			if (rc == -EEXIST)
				rc = 0; /* created earlier as the parent of a file (always a directory) */
			rc = write_error(rc, p);
			continue;
		}
		if (archive_entry_size(e) < 0 || (uint64_t)archive_entry_size(e) > p->unpacked_size - st->bytes) {
			rc = ib_fail(IB_E_LIMIT, "package '%s': '%s' is larger than the declared unpacked size", p->id,
				     name);
			break;
		}
		rc = write_file(a, ctx, dir, path, name, e, p, st);
	}
	if (!rc && r != ARCHIVE_EOF)
		rc = entry_fail(ctx, a, p);
	if (!rc && p->has_files && ctx->next_file != p->nfiles)
		rc = ib_fail(IB_E_INTEGRITY, "package '%s': %zu files of the signed file list are missing", p->id,
			     p->nfiles - ctx->next_file);
	if (!rc && (st->files != p->file_count || st->bytes != p->unpacked_size))
		rc = ib_fail(IB_E_LIMIT,
			     "package '%s': unpacked %llu files / %llu bytes, manifest declares "
			     "%llu / %llu",
			     p->id, (unsigned long long)st->files, (unsigned long long)st->bytes,
			     (unsigned long long)p->file_count, (unsigned long long)p->unpacked_size);
	pathset_release(&seen);
	return rc;
}

int ib_extract_package(struct ib_bundle *b, const struct ib_package *p, struct ib_outdir *dir, const char *subdir,
		       const struct ib_extract_opts *opts, struct ib_extract_stats *st)
{
	struct reader_ctx ctx = {.opts = opts};
	struct archive *a = NULL;
	int rc;

	memset(st, 0, sizeof(*st));
	if (!b->authenticated)
		return ib_fail(IB_E_UNTRUSTED, "refusing to extract from an unauthenticated bundle");
	if ((rc = ib_path_check(subdir)))
		return rc;
	rc = dir ? ib_outdir_mkdir(dir, subdir, 0700) : 0;
	if (rc == -EEXIST)
		return ib_fail(-EEXIST, "'%s' already exists in the output directory", subdir);
	if (rc)
		return rc;
	rc = ib_blob_reader_init(&ctx.blob, &b->file, p, b->m.chunk_size);
	if (!rc && p->has_files)
		rc = ib_file_hasher_new(&ctx.file_hash, ib_workers_wanted());
	if (!rc) {
		ctx.blob.cancel = opts ? opts->cancel : NULL;
		rc = open_reader(&a, p, &ctx);
	}
	if (!rc)
		rc = extract_entries(a, &ctx, dir, subdir, p, st);
	if (a)
		archive_read_free(a);
	ib_blob_reader_release(&ctx.blob);
	ib_file_hasher_free(ctx.file_hash);
	if (rc && dir)
		(void)ib_outdir_remove_tree(dir, subdir);
	return rc;
}

int ib_check_package_files(struct ib_bundle *b, const struct ib_package *p)
{
	struct ib_extract_stats st;

	return ib_extract_package(b, p, NULL, p->id, NULL, &st);
}
