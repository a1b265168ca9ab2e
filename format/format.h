/* The bundle format's binary structures: footer, signature block and embedded trust area.
 *
 * A bundle is   [stub][payload: one blob per package][manifest JSON][signature block][pad][footer]
 * optionally followed, on Windows, by an Authenticode certificate table. docs/FORMAT.md is the
 * prose version of this file; keep the two in step. */
#ifndef IBPACK_FORMAT_H
#define IBPACK_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "../signing/crypto.h"

#define IB_FORMAT_VERSION 1

/* ---- footer: the last 64 bytes of the bundle; every integer little-endian ---- */
#define IB_FOOTER_MAGIC "IBPKFTR1"
#define IB_FOOTER_SIZE  64
#define IB_BUNDLE_ALIGN 8 /* bundle length is a multiple of 8, as Authenticode wants */

struct ib_footer {
	uint32_t version;      /* IB_FORMAT_VERSION */
	uint64_t stub_len;     /* the stub occupies [0, stub_len) */
	uint64_t manifest_off; /* payload is [stub_len, manifest_off) */
	uint64_t manifest_len;
	uint64_t sigblock_off;
	uint64_t sigblock_len;
	uint64_t bundle_len; /* offset just past the footer */
};

void ib_footer_encode(const struct ib_footer *f, uint8_t out[IB_FOOTER_SIZE]);
/* Decodes and checks the footer's internal consistency against end, where the footer was read
 * from [end - 64, end). Returns 0, IB_E_FORMAT or IB_E_TRUNCATED with a detail. */
int ib_footer_decode(const uint8_t in[IB_FOOTER_SIZE], uint64_t end, struct ib_footer *f);
/* Completes the layout once the signature block's length is known: sets f->sigblock_len and
 * f->bundle_len and returns how many zero bytes of padding go between the block and the footer
 * (the bundle length is a multiple of IB_BUNDLE_ALIGN). f->sigblock_off must be set. */
size_t ib_footer_layout(struct ib_footer *f, uint64_t sigblock_len);

/* Limits that keep hostile sizes from turning into huge allocations. */
#define IB_MANIFEST_MAX (64u << 20)
#define IB_SIGBLOCK_MAX (1u << 20)

/* ---- signature block ----
 * magic "IBPKSIG1", u32 count, then per signature: u16 alg, u16 reserved (0),
 * 32-byte key id, u32 length, signature bytes. count 0 is an unsigned bundle (ibpack build
 * --unsigned) waiting for ibpack attach-signature: it parses, and every verifier rejects it. */
#define IB_SIGBLOCK_MAGIC "IBPKSIG1"
#define IB_SIG_COUNT_MAX  16

struct ib_signature {
	uint16_t alg;
	uint8_t keyid[IB_KEYID_LEN];
	uint8_t *sig;
	size_t len;
};

struct ib_sigblock {
	size_t count;
	struct ib_signature sigs[IB_SIG_COUNT_MAX];
};

int ib_sigblock_decode(const uint8_t *in, size_t len, struct ib_sigblock *out);
/* Appends the encoding of sb to a malloc'd buffer. */
int ib_sigblock_encode(const struct ib_sigblock *sb, uint8_t **out, size_t *outlen);
int ib_sigblock_add(struct ib_sigblock *sb, int alg, const uint8_t keyid[IB_KEYID_LEN], const uint8_t *sig, size_t len);
void ib_sigblock_release(struct ib_sigblock *sb);

/* ---- trust area: a fixed-size array inside the stub's own image, patched by the builder ----
 * It holds the keys the stub trusts, so they are loaded by the OS loader with the code rather than
 * parsed from the unsigned tail of the file. Layout: 16-byte magic, u32 used length (bytes after
 * this header), then records: u8 type, u8 alg, u16 length, value. */
#define IB_TRUST_MAGIC     "IBPACK-TRUST-v1" /* 15 chars + NUL = 16 bytes */
#define IB_TRUST_MAGIC_LEN 16
#define IB_TRUST_AREA_SIZE 32768
#define IB_TRUST_HDR       20

enum ib_trust_rec {
	IB_TRUST_KEY = 1,       /* value: DER SubjectPublicKeyInfo of a trusted key */
	IB_TRUST_REVOKED = 2,   /* value: 32-byte key id that never counts */
	IB_TRUST_THRESHOLD = 3, /* value: u32, distinct trusted key ids required (default 1) */
	IB_TRUST_CA = 4,        /* value: DER X.509 CA certificate; CMS signatures chain to it */
};

struct ib_trust {
	size_t nkeys;
	struct ib_pubkey *keys[32];
	size_t nrevoked;
	uint8_t revoked[32][IB_KEYID_LEN];
	uint32_t threshold;
	size_t ncas;
	struct ib_cert *cas[IB_CAS_MAX];
};

/* Parses a trust area image (the stub's own array, or the builder's view of a stub file). */
int ib_trust_decode(const uint8_t *area, size_t size, struct ib_trust *t);
/* Encodes t into area (size IB_TRUST_AREA_SIZE), magic included. */
int ib_trust_encode(const struct ib_trust *t, uint8_t *area, size_t size);
int ib_trust_add_key(struct ib_trust *t, struct ib_pubkey *k); /* takes ownership */
void ib_trust_release(struct ib_trust *t);
/* Finds the single trust area inside a stub image; IB_E_FORMAT if missing or repeated. */
int ib_trust_locate(const uint8_t *image, size_t len, size_t *offset);

/* The one rule for what a bundle is checked against. It starts from the policy embedded in the
 * stub (area, or none when NULL): its keys, CAs, revocations and threshold. Anchors given by the
 * caller (public key files, CA certificate files) replace the embedded keys and CAs; the embedded
 * revocations still apply. The threshold is the given one when non-zero, else the embedded
 * policy's, else 1. */
int ib_trust_resolve(const uint8_t *area, const char *const *keys, size_t nkeys, const char *const *cas, size_t ncas,
		     uint32_t threshold, struct ib_trust *t);

/* Verifies sb over msg against t: counts distinct trusted, unrevoked key ids with a valid
 * signature and requires t->threshold of them. On success *valid_ids holds the count. */
int ib_trust_check(const struct ib_trust *t, const struct ib_sigblock *sb, const uint8_t *msg, size_t len,
		   size_t *valid);

/* Writes "signed by ed25519 key ab12... (not trusted); trusted: cd34..., ef56..." for errors. */
void ib_trust_explain(const struct ib_trust *t, const struct ib_sigblock *sb, char *buf, size_t size);

/* ---- signing workflows: CA anchors and a per-signature verdict ---- */
int ib_trust_add_ca(struct ib_trust *t, struct ib_cert *c); /* takes ownership */
int ib_trust_is_revoked(const struct ib_trust *t, const uint8_t keyid[IB_KEYID_LEN]);
enum ib_sig_state {
	IB_SIG_COUNTED = 1, /* trusted, not revoked, verifies: counts toward the threshold */
	IB_SIG_DUPLICATE,   /* its key id already counted (not checked again) */
	IB_SIG_REVOKED,     /* revoked key id: never checked, never counts */
	IB_SIG_UNTRUSTED,   /* no trusted key with this id (or, for CMS, no chain to a trusted CA) */
	IB_SIG_INVALID,     /* a trusted key's signature that does not verify */
};
const char *ib_sig_state_name(int state); /* "counted", "duplicate", "revoked", ... */
/* ib_trust_check, also recording each signature's state (state[i] for sb->sigs[i]). */
int ib_trust_evaluate(const struct ib_trust *t, const struct ib_sigblock *sb, const uint8_t *msg, size_t len,
		      int state[IB_SIG_COUNT_MAX], size_t *valid);

#endif
