/* One package blob: planned (compression, stored length), then written as a sorted, reproducible
 * tar stream, compressed or stored, hashed per chunk and whole. */
#include "pack.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../format/outdir.h"
#include "../base/util.h"
#include "../signing/crypto.h"

#include <archive.h>
#include <archive_entry.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IO_BUF       (1u << 20)
#define SAMPLE_BYTES (4u << 20)

/* ---- the output side: bytes from libarchive go to fd and through the chunk hasher ---- */

struct sink {
	int fd;
	int dry;       /* planning: count the bytes, write and hash nothing */
	uint64_t base; /* where the blob starts in fd: writes are positioned (threads share fd) */
	uint64_t length;
	uint32_t chunk_size, in_chunk;
	struct ib_sha256_ctx *chunk, *whole;
	uint8_t (*chunks)[IB_SHA256_LEN];
	size_t nchunks, cap;
	int err;
};

static int sink_finish_chunk(struct sink *s)
{
	if (s->nchunks == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *p = realloc(s->chunks, cap * IB_SHA256_LEN);

		if (!p)
			return -ENOMEM;
		s->chunks = p;
		s->cap = cap;
	}
	ib_sha256_final(s->chunk, s->chunks[s->nchunks++]);
	ib_sha256_reset(s->chunk);
	s->in_chunk = 0;
	return 0;
}

static la_ssize_t sink_write(struct archive *a, void *opaque, const void *buf, size_t len)
{
	struct sink *s = opaque;
	const uint8_t *p = buf;
	size_t left = len;

	(void)a;
	if (s->dry) {
		s->length += len;
		return (la_ssize_t)len;
	}
	while (left) {
		ssize_t n = pwrite(s->fd, p, left, (off_t)(s->base + s->length + (len - left)));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->err = ib_fail(-errno, "writing the bundle: %s", strerror(errno));
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	ib_sha256_update(s->whole, buf, len);
	p = buf;
	left = len;
	while (left) {
		size_t take = s->chunk_size - s->in_chunk < left ? s->chunk_size - s->in_chunk : left;

		ib_sha256_update(s->chunk, p, take);
		s->in_chunk += (uint32_t)take;
		p += take;
		left -= take;
		if (s->in_chunk == s->chunk_size && (s->err = sink_finish_chunk(s)))
			return -1;
	}
	s->length += len;
	return (la_ssize_t)len;
}

/* ---- the input side: a sorted walk of the source ---- */

struct walk {
	struct archive *a;
	const struct ib_pack_opts *o;
	struct ib_package *p;
	uint8_t *buf;
	uint64_t done, total;
	struct ib_sha256_ctx *file_hash; /* the current file's SHA-256, for the manifest's file list */
	struct ib_file_entry *files;     /* every regular file written so far, in tar order */
	size_t nfiles, files_cap;
	int dry;             /* planning: headers of size 0, data only counted */
	uint64_t data_bytes; /* planning: file data, padded to tar's 512-byte records */
	int unpredictable;   /* planning: a header would depend on a size (>= 8 GiB) */
	int stored;          /* no compression filter: reads are aligned to libarchive's blocks */
};

static int archive_fail(struct walk *w, const char *what)
{
	return ib_fail(IB_E_ARCHIVE, "%s: %s", what, archive_error_string(w->a));
}

/* The one mode a packed entry gets, whatever the source's permission bits: reproducible. */
static unsigned entry_mode(const struct stat *st)
{
	return S_ISDIR(st->st_mode) || (st->st_mode & 0111) ? 0755 : 0644;
}

static int ascii_only(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static int add_header(struct walk *w, const char *name, const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();
	int r, rc = 0;

	if (!e)
		return -ENOMEM;
	/* Fixed metadata so the same input gives the same bytes on every machine. */
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, S_ISDIR(st->st_mode) ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, entry_mode(st));
	/* Planning writes every header with size 0 and adds the padded data size itself: a ustar
	 * header has the same length whatever the size below 8 GiB (beyond it pax adds a record). */
	archive_entry_set_size(e, S_ISDIR(st->st_mode) || w->dry ? 0 : st->st_size);
	if (w->dry && !S_ISDIR(st->st_mode)) {
		w->data_bytes += ((uint64_t)st->st_size + 511) / 512 * 512;
		if ((uint64_t)st->st_size >= (UINT64_C(1) << 33))
			w->unpredictable = 1;
	}
	archive_entry_set_mtime(e, (time_t)w->o->mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	/* ibpack runs in C.UTF-8 (builder/main.c), so a non-ASCII name goes into a pax record as
	 * the UTF-8 it is (checked by ib_path_utf8_check), which both stubs read back. Where that
	 * locale is missing libarchive stores the bytes (hdrcharset=BINARY) and warns instead. */
	r = archive_write_header(w->a, e);
	if (r != ARCHIVE_OK && !(r == ARCHIVE_WARN && !ascii_only(name)))
		rc = archive_fail(w, name);
	archive_entry_free(e);
	w->p->file_count++;
	return rc;
}

static int check_source_entry(const char *shown, const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return ib_fail(IB_E_UNSAFE, "'%s' is a symlink: packages may hold only files and directories", shown);
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return ib_fail(IB_E_UNSAFE, "'%s' is a device, FIFO or socket", shown);
	if (st->st_mode & (S_ISUID | S_ISGID))
		return ib_fail(IB_E_UNSAFE, "'%s' has a setuid or setgid bit", shown);
	return 0;
}

/* Every rule a source entry must pass, for the build (add_dir) and for check (ib_pack_check_source). */
static int entry_ok(const char *name, const struct stat *st)
{
	int rc;

	if ((rc = ib_path_utf8_check(name)) || (rc = check_source_entry(name, st)))
		return rc;
	return ib_path_check(name);
}

/* Appends the file list entry of a file about to be written; its hash is filled in at the end. */
static struct ib_file_entry *new_file_entry(struct walk *w, const char *name, const struct stat *st)
{
	struct ib_file_entry *f;

	if (w->nfiles == w->files_cap) {
		size_t cap = w->files_cap ? w->files_cap * 2 : 64;
		void *nf = realloc(w->files, cap * sizeof(*w->files));

		if (!nf)
			return NULL;
		w->files = nf;
		w->files_cap = cap;
	}
	f = &w->files[w->nfiles];
	memset(f, 0, sizeof(*f));
	if (!(f->path = ib_strdup(name)))
		return NULL;
	f->size = (uint64_t)st->st_size;
	f->mode = entry_mode(st);
	w->nfiles++;
	return f;
}

static int add_file(struct walk *w, int dir_fd, const char *leaf, const char *name, const struct stat *st)
{
	struct ib_file_entry *entry;
	int fd, rc;
	uint64_t left = (uint64_t)st->st_size;

	if (w->dry)
		return add_header(w, name, st);
	if (!(entry = new_file_entry(w, name, st)))
		return -ENOMEM;
	ib_sha256_reset(w->file_hash);
	fd = openat(dir_fd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ib_fail(-errno, "cannot open '%s': %s", name, strerror(errno));
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	rc = add_header(w, name, st);
	while (!rc && left) {
		ssize_t n;
		size_t want = IO_BUF;

		/* A parallel build stops the packages it no longer needs (an earlier one failed). */
		if (w->o->cancel && atomic_load_explicit(w->o->cancel, memory_order_relaxed)) {
			rc = ib_fail(IB_E_INTERRUPTED, "cancelled: an earlier package failed");
			break;
		}
		/* Stored: read up to the end of libarchive's current block (the bytes it has taken so
		 * far modulo the block size are still in its buffer), so that every later read is one
		 * whole block, which it hands to the sink without copying it. */
		if (w->stored)
			want = IO_BUF - (size_t)((uint64_t)archive_filter_bytes(w->a, 0) % IO_BUF);
		n = read(fd, w->buf, left < want ? (size_t)left : want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = ib_fail(n < 0 ? -errno : IB_E_TRUNCATED, "reading '%s': %s", name,
				     n < 0 ? strerror(errno) : "file shrank while packing");
			break;
		}
		ib_sha256_update(w->file_hash, w->buf, (size_t)n);
		if (archive_write_data(w->a, w->buf, (size_t)n) != n) {
			rc = archive_fail(w, name);
			break;
		}
		left -= (uint64_t)n;
		w->p->unpacked_size += (uint64_t)n;
		w->done += (uint64_t)n;
		if (w->o->progress)
			w->o->progress(w->o->progress_ctx, w->done, w->total);
	}
	close(fd);
	if (!rc)
		ib_sha256_final(w->file_hash, entry->sha256);
	return rc;
}

/* A directory source's pin is on its artifact (the vendor file that url and sha256 name): checked
 * against the hash the file list records for the bytes that were packed. */
static int check_artifact(const struct walk *w, const char *source_path)
{
	char hex[2 * IB_SHA256_LEN + 1];

	if (!w->p->artifact)
		return ib_fail(IB_E_SPEC,
			       "source '%s' is a directory with a sha256 pin: name the pinned file "
			       "inside it with \"artifact\"",
			       source_path);
	for (size_t i = 0; i < w->nfiles; i++) {
		if (strcmp(w->files[i].path, w->p->artifact))
			continue;
		if (memcmp(w->files[i].sha256, w->p->source_sha256, IB_SHA256_LEN) == 0)
			return 0;
		ib_hex_encode(w->files[i].sha256, IB_SHA256_LEN, hex);
		return ib_fail(IB_E_INTEGRITY, "'%s' in '%s' has sha256 %s, not the pinned one", w->p->artifact,
			       w->p->source, hex);
	}
	return ib_fail(IB_E_SPEC, "source '%s' has no file '%s' (its artifact, pinned by sha256)", source_path,
		       w->p->artifact);
}

static int add_dir(struct walk *w, int dir_fd, const char *prefix, int depth)
{
	DIR *d;
	char **names = NULL;
	size_t n = 0;
	int rc, fd = dup(dir_fd);

	if (depth > 64)
		return ib_fail(IB_E_LIMIT, "'%s': directories nested too deep", prefix);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return ib_fail(-errno, "cannot read '%s': %s", prefix, strerror(errno));
	}
	/* Byte order, not locale order: the same tree gives the same archive everywhere. */
	rc = ib_dir_names(d, 0, &names, &n);
	if (rc)
		rc = ib_fail(rc, "cannot read '%s': %s", prefix, strerror(-rc));
	for (size_t i = 0; !rc && i < n; i++) {
		char name[IB_PATH_MAX];
		struct stat st;

		if (ib_snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "/" : "", names[i]) ||
		    strlen(name) > 4096) {
			rc = ib_fail(IB_E_LIMIT, "path too long under '%s'", prefix);
			break;
		}
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = ib_fail(-errno, "cannot stat '%s': %s", name, strerror(errno));
			break;
		}
		if ((rc = entry_ok(name, &st)))
			break;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0) {
				rc = ib_fail(-errno, "cannot open '%s': %s", name, strerror(errno));
				break;
			}
			rc = add_header(w, name, &st);
			if (!rc)
				rc = add_dir(w, sub, name, depth + 1);
			close(sub);
		} else {
			rc = add_file(w, dirfd(d), names[i], name, &st);
		}
	}
	ib_dir_names_free(names, n);
	closedir(d);
	return rc;
}

static int size_walk(int dir_fd, uint64_t *bytes, int depth)
{
	DIR *d;
	struct dirent *e;
	int fd = dup(dir_fd);

	if (fd < 0 || depth > 64 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISREG(st.st_mode))
			*bytes += (uint64_t)st.st_size;
		else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0) {
				size_walk(sub, bytes, depth + 1);
				close(sub);
			}
		}
	}
	closedir(d);
	return 0;
}

/* The walk of add_dir without packing: the same entry rules, depth and path limits. */
static int check_walk(int dir_fd, const char *prefix, int depth, uint64_t *entries)
{
	DIR *d;
	struct dirent *e;
	int rc = 0, fd = dup(dir_fd);

	if (depth > 64)
		return ib_fail(IB_E_LIMIT, "'%s': directories nested too deep", prefix);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return ib_fail(-errno, "cannot read '%s': %s", prefix[0] ? prefix : ".", strerror(errno));
	}
	while (!rc && (e = readdir(d))) {
		char name[4200];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (ib_snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "/" : "", e->d_name) ||
		    strlen(name) > 4096) {
			rc = ib_fail(IB_E_LIMIT, "path too long under '%s'", prefix);
			break;
		}
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = ib_fail(-errno, "cannot stat '%s': %s", name, strerror(errno));
			break;
		}
		if ((rc = entry_ok(name, &st)))
			break;
		(*entries)++;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0) {
				rc = ib_fail(-errno, "cannot open '%s': %s", name, strerror(errno));
				break;
			}
			rc = check_walk(sub, name, depth + 1, entries);
			close(sub);
		} else if (faccessat(dirfd(d), e->d_name, R_OK, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = ib_fail(-errno, "cannot read '%s': %s", name, strerror(errno));
		}
	}
	closedir(d);
	return rc;
}

int ib_pack_check_source(const char *source_path)
{
	struct stat st;
	uint64_t entries = 0;
	int fd, rc;

	if (lstat(source_path, &st) != 0)
		return ib_fail(-errno, "source '%s': %s", source_path, strerror(errno));
	if ((rc = check_source_entry(source_path, &st)))
		return rc;
	if (S_ISREG(st.st_mode)) {
		const char *name = strrchr(source_path, '/');

		return ib_path_utf8_check(name ? name + 1 : source_path);
	}
	fd = open(source_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ib_fail(-errno, "source '%s': %s", source_path, strerror(errno));
	rc = check_walk(fd, "", 0, &entries);
	close(fd);
	if (!rc && !entries)
		rc = ib_fail(IB_E_SPEC, "source '%s' is an empty directory", source_path);
	return rc;
}

int ib_pack_source_size(const char *source_path, uint64_t *bytes)
{
	struct stat st;
	int fd;

	*bytes = 0;
	if (lstat(source_path, &st) != 0)
		return ib_fail(-errno, "source '%s': %s", source_path, strerror(errno));
	if (S_ISREG(st.st_mode)) {
		*bytes = (uint64_t)st.st_size;
		return 0;
	}
	fd = open(source_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ib_fail(-errno, "source '%s': %s", source_path, strerror(errno));
	size_walk(fd, bytes, 0);
	close(fd);
	return 0;
}

/* ---- choosing the compression ---- */

/* Compresses up to SAMPLE_BYTES read from the start of the largest files with zstd and reports
 * whether it saved at least 3 %: cheap, and right for the common cases (already-compressed
 * vendor archives versus trees of binaries and text). */
static int sample_file(const char *path, uint8_t *buf, size_t want, size_t *got)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	*got = 0;
	if (fd < 0)
		return 0;
	while (*got < want && (n = read(fd, buf + *got, want - *got)) > 0)
		*got += (size_t)n;
	close(fd);
	return 0;
}

static void collect_sample(const char *dirpath, uint8_t *buf, size_t cap, size_t *len, int depth)
{
	DIR *d = opendir(dirpath);
	char **names = NULL;
	size_t n = 0;

	if (!d || depth > 16) {
		if (d)
			closedir(d);
		return;
	}
	if (ib_dir_names(d, 0, &names, &n))
		n = 0;
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		char path[IB_PATH_MAX];
		struct stat st;
		size_t got;

		if (*len < cap && !ib_snprintf(path, sizeof(path), "%s/%s", dirpath, names[i]) &&
		    lstat(path, &st) == 0) {
			if (S_ISREG(st.st_mode)) {
				/* Take at most a quarter of the sample from one file. */
				size_t want = cap - *len < cap / 4 ? cap - *len : cap / 4;

				sample_file(path, buf + *len, want, &got);
				*len += got;
			} else if (S_ISDIR(st.st_mode)) {
				collect_sample(path, buf, cap, len, depth + 1);
			}
		}
		free(names[i]);
	}
	free(names);
}

static int compression_pays(const char *source_path, int level)
{
	uint8_t *in = malloc(SAMPLE_BYTES), *out = NULL;
	size_t len = 0, used = 0;
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	struct stat st;
	int pays = 1;

	if (!in)
		return 1;
	if (lstat(source_path, &st) == 0 && S_ISREG(st.st_mode))
		sample_file(source_path, in, SAMPLE_BYTES, &len);
	else
		collect_sample(source_path, in, SAMPLE_BYTES, &len, 0);
	if (len < 4096)
		goto out; /* too small to judge; compress */
	out = malloc(len + len / 8 + 65536);
	a = archive_write_new();
	e = archive_entry_new();
	if (!out || !a || !e)
		goto out;
	archive_write_set_format_raw(a);
	archive_write_add_filter_zstd(a);
	{
		char opt[48];

		snprintf(opt, sizeof(opt), "zstd:compression-level=%d", level);
		archive_write_set_options(a, opt);
	}
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_memory(a, out, len + len / 8 + 65536, &used) != ARCHIVE_OK)
		goto out;
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_pathname(e, "sample");
	archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_header(a, e) != ARCHIVE_OK || archive_write_data(a, in, len) != (la_ssize_t)len ||
	    archive_write_close(a) != ARCHIVE_OK)
		goto out;
	pays = used * 100 < len * 97;
out:
	if (a)
		archive_write_free(a);
	archive_entry_free(e);
	free(in);
	free(out);
	return pays;
}

/* ---- one pass over the source: writing the blob, or planning it (dry) ---- */

struct pass {
	uint64_t raw_tar;  /* bytes of tar before compression */
	uint64_t planned;  /* dry: the stored blob's exact length */
	int unpredictable; /* dry: planned cannot be trusted */
};

/* dry: nothing is read, written or hashed, and only p's file_count and unpacked_size change. */
static int write_blob(int fd, uint64_t base, int dry, struct ib_package *p, const char *source_path,
		      const struct ib_pack_opts *o, int comp, struct pass *out)
{
	struct sink s = {.fd = fd, .dry = dry, .base = base, .chunk_size = o->chunk_size};
	struct walk w = {.o = o, .p = p, .dry = dry, .stored = comp == IB_COMP_NONE};
	struct stat st;
	char opt[48];
	int rc = 0;

	w.p->file_count = w.p->unpacked_size = 0;
	if (!dry &&
	    ((rc = ib_sha256_new(&s.chunk)) || (rc = ib_sha256_new(&s.whole)) || (rc = ib_sha256_new(&w.file_hash))))
		goto cleanup;
	w.buf = dry ? NULL : malloc(IO_BUF);
	w.a = archive_write_new();
	if ((!dry && !w.buf) || !w.a) {
		rc = -ENOMEM;
		goto cleanup;
	}
	if (!dry)
		ib_pack_source_size(source_path, &w.total);
	/* pax_restricted writes plain ustar headers and adds pax records only when needed. */
	archive_write_set_format_pax_restricted(w.a);
	if (comp == IB_COMP_ZSTD) {
		archive_write_add_filter_zstd(w.a);
		snprintf(opt, sizeof(opt), "zstd:compression-level=%d", o->zstd_level);
		archive_write_set_options(w.a, opt);
	} else if (comp == IB_COMP_GZIP) {
		archive_write_add_filter_gzip(w.a);
		/* No timestamp in the gzip header: reproducible output. */
		archive_write_set_options(w.a, "gzip:!timestamp");
	}
	/* Blocks as large as the reads: a stored file goes from the read buffer to the bundle
	 * without a copy, in a few large writes (64 KiB blocks cost a third more system time). The
	 * block size does not change the bytes: the last block is not padded. */
	archive_write_set_bytes_per_block(w.a, IO_BUF);
	archive_write_set_bytes_in_last_block(w.a, 1);
	if (archive_write_open2(w.a, &s, NULL, sink_write, NULL, NULL) != ARCHIVE_OK) {
		rc = s.err ? s.err : archive_fail(&w, "opening the archive writer");
		goto cleanup;
	}
	if (lstat(source_path, &st) != 0) {
		rc = ib_fail(-errno, "source '%s': %s", source_path, strerror(errno));
		goto cleanup;
	}
	if ((rc = check_source_entry(source_path, &st)))
		goto cleanup;
	if (S_ISREG(st.st_mode)) {
		const char *name = strrchr(source_path, '/');

		name = name ? name + 1 : source_path;
		if (!(rc = ib_path_utf8_check(name)))
			rc = add_file(&w, AT_FDCWD, source_path, name, &st);
		/* The pin is checked against the hash the file list records: one read of the file. */
		if (!rc && !dry && p->has_source_sha256) {
			const uint8_t *got = w.files[0].sha256;
			char hex[2 * IB_SHA256_LEN + 1];

			if (memcmp(got, p->source_sha256, IB_SHA256_LEN) != 0) {
				ib_hex_encode(got, IB_SHA256_LEN, hex);
				rc = ib_fail(IB_E_INTEGRITY, "'%s' has sha256 %s, not the pinned one", source_path,
					     hex);
			}
		}
	} else {
		int dfd = open(source_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (dfd < 0) {
			rc = ib_fail(-errno, "source '%s': %s", source_path, strerror(errno));
			goto cleanup;
		}
		rc = add_dir(&w, dfd, "", 0);
		close(dfd);
		if (!rc && w.p->file_count == 0)
			rc = ib_fail(IB_E_SPEC, "source '%s' is an empty directory", source_path);
		if (!rc && !dry && p->has_source_sha256)
			rc = check_artifact(&w, source_path);
	}
	if (!rc && archive_write_close(w.a) != ARCHIVE_OK)
		rc = s.err ? s.err : archive_fail(&w, "finishing the archive");
	if (rc && s.err)
		rc = s.err;
	if (rc)
		goto cleanup;
	out->raw_tar = (uint64_t)archive_filter_bytes(w.a, 0);
	if (dry) {
		out->planned = s.length + w.data_bytes;
		out->unpredictable = w.unpredictable;
		goto cleanup;
	}
	if (s.in_chunk && (rc = sink_finish_chunk(&s)))
		goto cleanup;
	ib_sha256_final(s.whole, p->sha256);
	p->compression = comp;
	p->length = s.length;
	free(p->chunks);
	p->chunks = s.chunks;
	p->nchunks = s.nchunks;
	s.chunks = NULL;
	ib_package_files_release(p);
	p->has_files = 1;
	p->files = w.files;
	p->nfiles = w.nfiles;
	w.files = NULL;
	w.nfiles = 0;
cleanup:
	if (w.a)
		archive_write_free(w.a);
	for (size_t i = 0; i < w.nfiles; i++)
		free(w.files[i].path);
	free(w.files);
	ib_sha256_free(w.file_hash);
	ib_sha256_free(s.chunk);
	ib_sha256_free(s.whole);
	free(s.chunks);
	free(w.buf);
	return rc;
}

int ib_pack_plan(const struct ib_package *p, const char *source_path, const struct ib_pack_opts *o,
		 struct ib_pack_plan *plan)
{
	struct ib_package scratch = *p; /* the walk counts files and bytes into it: p stays as it is */
	struct pass pass = {0};
	int rc;

	plan->requested = p->compression;
	plan->comp = p->compression;
	plan->length = 0;
	if (plan->comp == IB_COMP_AUTO)
		plan->comp = compression_pays(source_path, o->zstd_level) ? IB_COMP_ZSTD : IB_COMP_NONE;
	if (plan->comp != IB_COMP_NONE)
		return 0; /* a compressed length is known only once compressed */
	/* A stored blob's length follows from the tree: headers plus padded data. Walking it also
	 * finds what the source may not hold (symlinks, devices...) before anything is written. */
	rc = write_blob(-1, 0, 1, &scratch, source_path, o, IB_COMP_NONE, &pass);
	if (!rc && !pass.unpredictable)
		plan->length = pass.planned;
	return rc;
}

int ib_pack_write(int fd, uint64_t base, struct ib_package *p, const char *source_path, const struct ib_pack_opts *o,
		  const struct ib_pack_plan *plan)
{
	struct pass pass = {0};
	uint64_t first;
	int rc = write_blob(fd, base, 0, p, source_path, o, plan->comp, &pass);

	/* The sample can mislead: when "auto" compression saved under 3 % overall, store as is. */
	if (!rc && plan->requested == IB_COMP_AUTO && plan->comp != IB_COMP_NONE &&
	    p->length * 100 >= pass.raw_tar * 97) {
		first = p->length;
		rc = write_blob(fd, base, 0, p, source_path, o, IB_COMP_NONE, &pass);
		/* Nothing lies after this blob yet (its length was not known, so no later blob can
		 * have been placed after it): drop what the longer first attempt left behind. */
		if (!rc && p->length < first && ftruncate(fd, (off_t)(base + p->length)) != 0)
			rc = ib_fail(-errno, "trimming the bundle: %s", strerror(errno));
	}
	if (!rc && plan->length && p->length != plan->length)
		rc = ib_fail(IB_E_MISMATCH,
			     "the source changed while it was being packed (%llu bytes "
			     "planned, %llu written)",
			     (unsigned long long)plan->length, (unsigned long long)p->length);
	return rc;
}
