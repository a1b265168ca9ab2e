/* Opening a bundle: footer, signed manifest and signatures, stub hash and package checks. */
#ifndef IBPACK_BUNDLE_H
#define IBPACK_BUNDLE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/fileio.h"
#include "format.h"
#include "manifest.h"
#include "pe.h"

struct ib_bundle {
	struct ib_file file;
	uint64_t end; /* bundle end inside the file (before an Authenticode table) */
	struct ib_pe_info pe;
	struct ib_footer footer;
	uint8_t *manifest_raw; /* exact signed bytes */
	size_t manifest_len;
	struct ib_sigblock sigs;
	struct ib_manifest m; /* valid only after ib_bundle_authenticate */
	int authenticated;
	size_t valid_sigs;
};

/* Reads the footer, the manifest bytes and the signature block: only those bytes of the file.
 * Nothing is parsed beyond the fixed binary structures. */
int ib_bundle_open(struct ib_bundle *b, const char *path);
int ib_bundle_open_self(struct ib_bundle *b);
/* Checks the signatures over the manifest bytes against t, and only then parses the manifest. */
int ib_bundle_authenticate(struct ib_bundle *b, const struct ib_trust *t);
/* Parses the manifest without checking signatures: for tools that report on broken bundles.
 * Never use the result to extract or run anything. */
int ib_bundle_parse_unverified(struct ib_bundle *b);
void ib_bundle_close(struct ib_bundle *b);

/* SHA-256 of the stub region, leaving out what Authenticode leaves out (PE checksum and
 * security directory entry), so signing the .exe later does not change it. */
int ib_bundle_stub_hash(struct ib_bundle *b, uint8_t out[IB_SHA256_LEN]);
/* Same, over a stub held in memory. */
void ib_stub_hash_mem(const uint8_t *stub, size_t len, uint8_t out[IB_SHA256_LEN]);

/* Compares the stub's hash with the signed manifest's: IB_E_INTEGRITY when they differ. Needs an
 * authenticated (or, for reports, parsed) manifest. */
int ib_bundle_check_stub(struct ib_bundle *b);
/* The stub and every chunk of every package, in file order: what a bundle must pass before a
 * copy of it is handed on (an image, an extension package) or called valid. */
int ib_bundle_check_all(struct ib_bundle *b);
/* Copies the trust area embedded in the bundle's stub into area (IB_TRUST_AREA_SIZE bytes). */
int ib_bundle_trust_area(struct ib_bundle *b, uint8_t *area);

/* Reads a package's blob once, checking every chunk and the whole-blob SHA-256. *bad_chunk is
 * set to the failing chunk index (or -1). */
int ib_bundle_check_package(struct ib_bundle *b, const struct ib_package *p, long *bad_chunk);
/* Same, calling step(ctx, n) after each checked chunk of n stored bytes (step may be NULL), so a
 * caller can show progress. */
int ib_bundle_check_package_step(struct ib_bundle *b, const struct ib_package *p, long *bad_chunk,
				 void (*step)(void *ctx, uint64_t n), void *ctx);

/* Streams a package's blob as verified chunks. A helper thread reads and
 * hashes the next chunks while the caller uses the current one (IBPACK_READAHEAD=0: serial). */
struct ib_blob_reader {
	struct ib_file *file;
	const struct ib_package *pkg;
	uint32_t chunk_size;
	size_t next;
	uint8_t *buf;
	volatile sig_atomic_t *cancel;
	void *ahead;                            /* the read-ahead thread's state (blob_ahead_*.c), NULL when serial */
	uint8_t (*table)[IB_SHA256_LEN];        /* the package's chunk table, read and checked */
	const uint8_t (*hashes)[IB_SHA256_LEN]; /* the chunk hashes: table or the manifest's list */
};
/* Reads the package's chunk table first, when it has one, and checks it against the SHA-256 the
 * manifest gives (IB_E_INTEGRITY: nothing of the blob is read then). */
int ib_blob_reader_init(struct ib_blob_reader *r, struct ib_file *f, const struct ib_package *p, uint32_t chunk_size);
/* Returns the size of the next chunk, already checked against the manifest, with *data pointing
 * at it; 0 at the end; a negative error (IB_E_INTEGRITY names the chunk). The read-ahead thread
 * starts at the first call: set r->cancel before it. */
long ib_blob_next(struct ib_blob_reader *r, const void **data);
void ib_blob_reader_release(struct ib_blob_reader *r);

/* Describes which region of the bundle an offset falls in ("stub", "payload (package 'x')", ...). */
void ib_bundle_region(const struct ib_bundle *b, uint64_t off, char *buf, size_t size);

#endif
