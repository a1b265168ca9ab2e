/* Opening a bundle: footer, signed manifest and signatures, stub hash and package checks. */
#include "bundle.h"

#include "blob_ahead.h"

#include "../base/err.h"
#include "../base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The pad is not signed, so it must carry nothing: any non-zero byte is refused by every reader,
 * the stub included, not only by 'ibpack verify'. */
static int check_padding(struct ib_bundle *b)
{
	uint64_t from = b->footer.sigblock_off + b->footer.sigblock_len, to = b->end - IB_FOOTER_SIZE;
	uint8_t pad[IB_BUNDLE_ALIGN];
	int rc;

	if (to <= from)
		return 0;
	if ((rc = ib_file_pread(&b->file, pad, (size_t)(to - from), from)))
		return rc;
	for (uint64_t i = 0; i < to - from; i++)
		if (pad[i])
			return ib_fail(IB_E_INTEGRITY, "padding before the footer is not zero (byte %llu)",
				       (unsigned long long)(from + i));
	return 0;
}

/* A certificate table is excluded from every hash, so it is honoured only in its one
 * well-formed shape (pe.h); anything else claimed by the security directory is refused. */
static int check_certs(struct ib_bundle *b)
{
	uint8_t *tbl;
	int rc;

	if (!ib_pe_certs_claimed(&b->pe))
		return 0;
	if ((rc = ib_pe_check_place(&b->pe, b->file.size)))
		return rc;
	if (!(tbl = malloc((size_t)b->pe.cert_len)))
		return ib_fail(-ENOMEM, "out of memory");
	rc = ib_file_pread(&b->file, tbl, (size_t)b->pe.cert_len, b->pe.cert_off);
	if (!rc)
		rc = ib_pe_check_certs(&b->pe, tbl, (size_t)b->pe.cert_len);
	free(tbl);
	return rc;
}

static int read_structures(struct ib_bundle *b)
{
	uint8_t head[IB_PE_HEAD], foot[IB_FOOTER_SIZE], *sig = NULL;
	size_t headlen = b->file.size < sizeof(head) ? (size_t)b->file.size : sizeof(head);
	int rc;

	if (b->file.size < IB_FOOTER_SIZE)
		return ib_fail(IB_E_TRUNCATED, "'%s' is too small to be a bundle (%llu bytes)", b->file.path,
			       (unsigned long long)b->file.size);
	if ((rc = ib_file_pread(&b->file, head, headlen, 0)))
		return rc;
	if ((rc = ib_pe_inspect(head, headlen, &b->pe)) || (rc = check_certs(b)))
		return rc;
	b->end = ib_pe_bundle_end(&b->pe, b->file.size);
	if (b->end < IB_FOOTER_SIZE)
		return ib_fail(IB_E_TRUNCATED, "'%s' is too small to be a bundle", b->file.path);
	if ((rc = ib_file_pread(&b->file, foot, sizeof(foot), b->end - IB_FOOTER_SIZE)))
		return rc;
	if ((rc = ib_footer_decode(foot, b->end, &b->footer))) {
		uint64_t claimed = ib_get_le64(foot + 56);

		/* A whole footer that claims less than the file: something was added after a bundle. */
		if (rc == IB_E_FORMAT && !memcmp(foot, IB_FOOTER_MAGIC, 8) && claimed < b->end)
			rc = ib_fail(IB_E_FORMAT,
				     "footer: the bundle is %llu bytes but the file has %llu: %llu bytes "
				     "were added after a bundle (appended data, or bundles concatenated)",
				     (unsigned long long)claimed, (unsigned long long)b->end,
				     (unsigned long long)(b->end - claimed));
		return rc;
	}
	if ((rc = check_padding(b)))
		return rc;
	b->manifest_len = (size_t)b->footer.manifest_len;
	b->manifest_raw = malloc(b->manifest_len + 1);
	sig = malloc((size_t)b->footer.sigblock_len);
	if (!b->manifest_raw || !sig) {
		free(sig);
		return -ENOMEM;
	}
	rc = ib_file_pread(&b->file, b->manifest_raw, b->manifest_len, b->footer.manifest_off);
	if (!rc)
		rc = ib_file_pread(&b->file, sig, (size_t)b->footer.sigblock_len, b->footer.sigblock_off);
	if (!rc)
		rc = ib_sigblock_decode(sig, (size_t)b->footer.sigblock_len, &b->sigs);
	b->manifest_raw[b->manifest_len] = '\0';
	free(sig);
	return rc;
}

static int finish_open(struct ib_bundle *b, int rc)
{
	if (!rc)
		rc = read_structures(b);
	if (rc)
		ib_bundle_close(b);
	return rc;
}

int ib_bundle_open(struct ib_bundle *b, const char *path)
{
	memset(b, 0, sizeof(*b));
	b->file.fd = -1;
	return finish_open(b, ib_file_open(path, &b->file));
}

int ib_bundle_open_self(struct ib_bundle *b)
{
	memset(b, 0, sizeof(*b));
	b->file.fd = -1;
	return finish_open(b, ib_file_open_self(&b->file));
}

static int parse_manifest(struct ib_bundle *b)
{
	return ib_manifest_parse((const char *)b->manifest_raw, b->manifest_len, b->footer.stub_len,
				 b->footer.manifest_off, &b->m);
}

int ib_bundle_authenticate(struct ib_bundle *b, const struct ib_trust *t)
{
	int rc = ib_trust_check(t, &b->sigs, b->manifest_raw, b->manifest_len, &b->valid_sigs);

	if (rc)
		return rc;
	rc = parse_manifest(b);
	if (rc)
		return rc;
	b->authenticated = 1;
	return 0;
}

int ib_bundle_parse_unverified(struct ib_bundle *b)
{
	return parse_manifest(b);
}

void ib_bundle_close(struct ib_bundle *b)
{
	ib_manifest_release(&b->m);
	ib_sigblock_release(&b->sigs);
	free(b->manifest_raw);
	b->manifest_raw = NULL;
	ib_file_close(&b->file);
}

/* Feeds [from, to) of the stub to the hash, skipping the Authenticode-excluded fields. */
static void hash_excluding(struct ib_sha256_ctx *c, const struct ib_pe_info *pe, const uint8_t *p, uint64_t from,
			   uint64_t to)
{
	uint64_t skip[2][2] = {{0, 0}, {0, 0}};

	if (pe->is_pe) {
		skip[0][0] = pe->checksum_off;
		skip[0][1] = pe->checksum_off + 4;
		skip[1][0] = pe->certdir_off;
		skip[1][1] = pe->certdir_off + 8;
	}
	for (int i = 0; i < 2; i++) {
		if (skip[i][1] <= from || skip[i][0] >= to)
			continue;
		if (skip[i][0] > from)
			ib_sha256_update(c, p, (size_t)(skip[i][0] - from));
		p += skip[i][1] - from;
		from = skip[i][1];
	}
	if (to > from)
		ib_sha256_update(c, p, (size_t)(to - from));
}

void ib_stub_hash_mem(const uint8_t *stub, size_t len, uint8_t out[IB_SHA256_LEN])
{
	struct ib_pe_info pe;
	struct ib_sha256_ctx *c;

	if (ib_pe_inspect(stub, len < IB_PE_HEAD ? len : IB_PE_HEAD, &pe))
		memset(&pe, 0, sizeof(pe));
	if (ib_sha256_new(&c))
		abort();
	hash_excluding(c, &pe, stub, 0, len);
	ib_sha256_final(c, out);
	ib_sha256_free(c);
}

int ib_bundle_stub_hash(struct ib_bundle *b, uint8_t out[IB_SHA256_LEN])
{
	const size_t bufsz = 1 << 20;
	uint8_t *buf = malloc(bufsz);
	struct ib_sha256_ctx *c = NULL;
	uint64_t off = 0;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = ib_sha256_new(&c);
	while (!rc && off < b->footer.stub_len) {
		size_t n = b->footer.stub_len - off < bufsz ? (size_t)(b->footer.stub_len - off) : bufsz;

		rc = ib_file_pread(&b->file, buf, n, off);
		if (!rc)
			hash_excluding(c, &b->pe, buf, off, off + n);
		off += n;
	}
	if (!rc)
		ib_sha256_final(c, out);
	ib_sha256_free(c);
	free(buf);
	return rc;
}

int ib_bundle_check_stub(struct ib_bundle *b)
{
	uint8_t hash[IB_SHA256_LEN];
	int rc = ib_bundle_stub_hash(b, hash);

	if (!rc && memcmp(hash, b->m.stub_sha256, IB_SHA256_LEN) != 0)
		rc = ib_fail(IB_E_INTEGRITY, "stub: its SHA-256 does not match the signed manifest");
	return rc;
}

int ib_bundle_check_all(struct ib_bundle *b)
{
	long bad;
	int rc = ib_bundle_check_stub(b);

	for (size_t i = 0; !rc && i < b->m.npkgs; i++)
		rc = ib_bundle_check_package(b, &b->m.pkgs[i], &bad);
	return rc;
}

int ib_bundle_trust_area(struct ib_bundle *b, uint8_t *area)
{
	uint8_t *stub;
	size_t off;
	int rc;

	if (b->footer.stub_len > (64u << 20))
		return ib_fail(IB_E_FORMAT, "stub of %llu bytes is implausibly large",
			       (unsigned long long)b->footer.stub_len);
	stub = malloc((size_t)b->footer.stub_len);
	if (!stub)
		return -ENOMEM;
	rc = ib_file_pread(&b->file, stub, (size_t)b->footer.stub_len, 0);
	if (!rc)
		rc = ib_trust_locate(stub, (size_t)b->footer.stub_len, &off);
	if (!rc)
		memcpy(area, stub + off, IB_TRUST_AREA_SIZE);
	free(stub);
	return rc;
}

/* The table is read once into memory and used from there: what was checked is what is used. */
static int read_chunk_table(struct ib_blob_reader *r)
{
	const struct ib_package *p = r->pkg;
	uint8_t digest[IB_SHA256_LEN];
	int rc;

	r->table = malloc(p->nchunks ? (size_t)IB_CHUNK_TABLE_LEN(p) : 1);
	if (!r->table)
		return -ENOMEM;
	if ((rc = ib_file_pread(r->file, r->table, (size_t)IB_CHUNK_TABLE_LEN(p), p->table_offset)))
		return rc;
	ib_sha256(r->table, (size_t)IB_CHUNK_TABLE_LEN(p), digest);
	if (memcmp(digest, p->table_sha256, IB_SHA256_LEN) != 0)
		return ib_fail(IB_E_INTEGRITY,
			       "package '%s': its chunk table (bytes %llu-%llu of the file) "
			       "does not match the signed manifest",
			       p->id, (unsigned long long)p->table_offset,
			       (unsigned long long)(p->table_offset + IB_CHUNK_TABLE_LEN(p) - 1));
	r->hashes = (const uint8_t(*)[IB_SHA256_LEN])r->table;
	return 0;
}

int ib_blob_reader_init(struct ib_blob_reader *r, struct ib_file *f, const struct ib_package *p, uint32_t chunk_size)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->file = f;
	r->pkg = p;
	r->chunk_size = chunk_size;
	r->hashes = (const uint8_t(*)[IB_SHA256_LEN])p->chunks;
	if (p->has_table && (rc = read_chunk_table(r))) {
		ib_blob_reader_release(r);
		return rc;
	}
	return 0;
}

long ib_blob_read_chunk(const struct ib_blob_reader *r, size_t idx, uint8_t *buf)
{
	const struct ib_package *p = r->pkg;
	uint64_t off = (uint64_t)idx * r->chunk_size, n;
	uint8_t digest[IB_SHA256_LEN];
	int rc;

	n = p->length - off < r->chunk_size ? p->length - off : r->chunk_size;
	/* Exactly the blob is read ahead: the chunk after this one's window, never past the end. */
	if (idx == 0)
		ib_file_prefetch(r->file, p->offset, IB_PREFETCH_AHEAD < p->length ? IB_PREFETCH_AHEAD : p->length);
	if (off + IB_PREFETCH_AHEAD < p->length)
		ib_file_prefetch(r->file, p->offset + off + IB_PREFETCH_AHEAD,
				 p->length - off - IB_PREFETCH_AHEAD < n ? p->length - off - IB_PREFETCH_AHEAD : n);
	rc = ib_file_pread(r->file, buf, (size_t)n, p->offset + off);
	if (rc)
		return rc;
	ib_sha256(buf, (size_t)n, digest);
	if (memcmp(digest, r->hashes[idx], IB_SHA256_LEN) != 0)
		return ib_fail(IB_E_INTEGRITY,
			       "package '%s': chunk %zu (bytes %llu-%llu of the file) does "
			       "not match the signed manifest",
			       p->id, idx, (unsigned long long)(p->offset + off),
			       (unsigned long long)(p->offset + off + n - 1));
	return (long)n;
}

long ib_blob_next(struct ib_blob_reader *r, const void **data)
{
	long n;

	/* The helper starts at the first read, once the caller has set up r (its cancel flag). */
	if (!r->ahead && !r->buf && !(ib_workers_wanted() && ib_blob_ahead_start(r) == 0) &&
	    !(r->buf = malloc(r->chunk_size)))
		return -ENOMEM;
	if (r->ahead)
		return ib_blob_ahead_next(r, data);
	if (r->cancel && *r->cancel)
		return ib_fail(IB_E_INTERRUPTED, "interrupted by a signal");
	if (r->next >= r->pkg->nchunks)
		return 0;
	n = ib_blob_read_chunk(r, r->next, r->buf);
	if (n < 0)
		return n;
	r->next++;
	*data = r->buf;
	return n;
}

void ib_blob_reader_release(struct ib_blob_reader *r)
{
	ib_blob_ahead_stop(r);
	free(r->buf);
	free(r->table);
	r->buf = NULL;
	r->table = NULL;
}

int ib_bundle_check_package(struct ib_bundle *b, const struct ib_package *p, long *bad_chunk)
{
	return ib_bundle_check_package_step(b, p, bad_chunk, NULL, NULL);
}

int ib_bundle_check_package_step(struct ib_bundle *b, const struct ib_package *p, long *bad_chunk,
				 void (*step)(void *ctx, uint64_t n), void *ctx)
{
	struct ib_blob_reader r;
	struct ib_sha256_ctx *whole = NULL;
	uint8_t digest[IB_SHA256_LEN];
	const void *data;
	long n;
	int rc;

	*bad_chunk = -1;
	rc = ib_blob_reader_init(&r, &b->file, p, b->m.chunk_size);
	if (rc)
		return rc;
	rc = ib_sha256_new(&whole);
	while (!rc && (n = ib_blob_next(&r, &data)) > 0) {
		ib_sha256_update(whole, data, (size_t)n);
		if (step)
			step(ctx, (uint64_t)n);
	}
	if (!rc && n < 0) {
		rc = (int)n;
		if (rc == IB_E_INTEGRITY)
			*bad_chunk = (long)r.next;
	}
	if (!rc) {
		ib_sha256_final(whole, digest);
		if (memcmp(digest, p->sha256, IB_SHA256_LEN) != 0)
			rc = ib_fail(IB_E_INTEGRITY, "package '%s': blob SHA-256 does not match the manifest", p->id);
	}
	ib_sha256_free(whole);
	ib_blob_reader_release(&r);
	return rc;
}

void ib_bundle_region(const struct ib_bundle *b, uint64_t off, char *buf, size_t size)
{
	const struct ib_footer *f = &b->footer;

	if (off < f->stub_len) {
		snprintf(buf, size, "stub");
		return;
	}
	if (off < f->manifest_off) {
		for (size_t i = 0; i < b->m.npkgs; i++) {
			const struct ib_package *p = &b->m.pkgs[i];

			if (off >= p->offset && off - p->offset < p->length) {
				snprintf(buf, size, "payload (package '%s')", p->id);
				return;
			}
			if (p->has_table && off >= p->table_offset && off - p->table_offset < IB_CHUNK_TABLE_LEN(p)) {
				snprintf(buf, size, "payload (chunk table of package '%s')", p->id);
				return;
			}
		}
		snprintf(buf, size, "payload");
	} else if (off < f->manifest_off + f->manifest_len) {
		snprintf(buf, size, "manifest");
	} else if (off < f->sigblock_off + f->sigblock_len) {
		snprintf(buf, size, "signature block");
	} else if (off < b->end - IB_FOOTER_SIZE) {
		snprintf(buf, size, "padding");
	} else if (off < b->end) {
		snprintf(buf, size, "footer");
	} else {
		snprintf(buf, size, "after the bundle");
	}
}
