/* Unit tests for the stub's trust area (format/trust.c): encode/decode, malformed records, locate, threshold/revocation checks, explain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../base/err.h"
#include "../../format/format.h"
#include "../../base/util.h"

static const uint8_t msg[] = "{\"format\":1}";

/* Three signers and their public keys, made once. */
static struct ib_privkey *priv[3];
static struct ib_pubkey *pub[3];

static int setup_group(void **state)
{
	(void)state;
	if (ib_crypto_init())
		return -1;
	for (int i = 0; i < 3; i++)
		if (ib_keygen(i == 2 ? IB_ALG_ECDSA_P256 : IB_ALG_ED25519, &priv[i]) ||
		    ib_privkey_public(priv[i], &pub[i]))
			return -1;
	return 0;
}

static int teardown_group(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		ib_privkey_free(priv[i]);
		ib_pubkey_free(pub[i]);
	}
	return 0;
}

static struct ib_pubkey *copy_pub(int i)
{
	const uint8_t *der;
	size_t len;
	struct ib_pubkey *k;

	ib_pubkey_der(pub[i], &der, &len);
	assert_int_equal(ib_pubkey_from_der(der, len, &k), 0);
	return k;
}

/* ---- fixtures ---- */

/* A trust area image trusting keys 0 and 2, revoking one id, threshold thr (1 = not written). */
static void valid_area(uint8_t *area, uint32_t thr)
{
	struct ib_trust t = {.threshold = thr};

	assert_int_equal(ib_trust_add_key(&t, copy_pub(0)), 0);
	assert_int_equal(ib_trust_add_key(&t, copy_pub(2)), 0);
	memset(t.revoked[0], 0xee, IB_KEYID_LEN);
	t.nrevoked = 1;
	assert_int_equal(ib_trust_encode(&t, area, IB_TRUST_AREA_SIZE), 0);
	ib_trust_release(&t);
}

static uint32_t used_of(const uint8_t *area)
{
	return ib_get_le32(area + IB_TRUST_MAGIC_LEN);
}

/* Appends a record at the end of the used part and grows the used length. */
static void append_rec(uint8_t *area, int type, int alg, const uint8_t *val, uint16_t len)
{
	size_t pos = IB_TRUST_HDR + used_of(area);

	area[pos] = (uint8_t)type;
	area[pos + 1] = (uint8_t)alg;
	ib_put_le16(area + pos + 2, len);
	if (len)
		memcpy(area + pos + 4, val, len);
	ib_put_le32(area + IB_TRUST_MAGIC_LEN, (uint32_t)(pos + 4 + len - IB_TRUST_HDR));
}

static int decode(const uint8_t *area, size_t size)
{
	struct ib_trust t;
	int rc;

	rc = ib_trust_decode(area, size, &t);
	if (rc) {
		assert_int_equal(t.nkeys, 0); /* released on failure */
		assert_int_equal(t.nrevoked, 0);
	}
	ib_trust_release(&t);
	return rc;
}

static uint8_t *new_area(void)
{
	uint8_t *a = calloc(1, IB_TRUST_AREA_SIZE);

	assert_non_null(a);
	return a;
}

/* ---- encode / decode ---- */

static void test_roundtrip(void **state)
{
	uint8_t *area = new_area();
	struct ib_trust t;

	(void)state;
	valid_area(area, 1);
	assert_memory_equal(area, IB_TRUST_MAGIC, IB_TRUST_MAGIC_LEN);
	assert_int_equal(ib_trust_decode(area, IB_TRUST_AREA_SIZE, &t), 0);
	assert_int_equal(t.nkeys, 2);
	assert_memory_equal(ib_pubkey_id(t.keys[0]), ib_pubkey_id(pub[0]), IB_KEYID_LEN);
	assert_memory_equal(ib_pubkey_id(t.keys[1]), ib_pubkey_id(pub[2]), IB_KEYID_LEN);
	assert_int_equal(ib_pubkey_alg(t.keys[1]), IB_ALG_ECDSA_P256);
	assert_int_equal(t.nrevoked, 1);
	assert_int_equal(t.revoked[0][0], 0xee);
	assert_int_equal(t.threshold, 1);
	ib_trust_release(&t);
	assert_int_equal(t.nkeys, 0);
	free(area);
}

static void test_roundtrip_threshold(void **state)
{
	uint8_t *area = new_area();
	struct ib_trust t;

	(void)state;
	valid_area(area, 2);
	assert_int_equal(ib_trust_decode(area, IB_TRUST_AREA_SIZE, &t), 0);
	assert_int_equal(t.threshold, 2);
	ib_trust_release(&t);
	free(area);
}

/* An area as the Makefile builds it into a stub: magic, used length 0, no keys. */
static void test_empty_area(void **state)
{
	uint8_t *area = new_area();
	struct ib_trust t = {0};

	(void)state;
	assert_int_equal(ib_trust_encode(&t, area, IB_TRUST_AREA_SIZE), 0);
	assert_int_equal(used_of(area), 0);
	assert_int_equal(ib_trust_decode(area, IB_TRUST_AREA_SIZE, &t), 0);
	assert_int_equal(t.nkeys, 0);
	assert_int_equal(t.threshold, 1);
	/* Just the header is enough. */
	assert_int_equal(decode(area, IB_TRUST_HDR), 0);
	ib_trust_release(&t);
	free(area);
}

static void test_duplicate_key_trusted_once(void **state)
{
	struct ib_trust t = {0};
	uint8_t *area = new_area();

	(void)state;
	assert_int_equal(ib_trust_add_key(&t, copy_pub(0)), 0);
	assert_int_equal(ib_trust_add_key(&t, copy_pub(0)), 0);
	assert_int_equal(t.nkeys, 1);
	ib_trust_release(&t);
	/* Also when the area itself repeats the key record. */
	valid_area(area, 1);
	{
		const uint8_t *der;
		size_t len;

		ib_pubkey_der(pub[0], &der, &len);
		append_rec(area, IB_TRUST_KEY, IB_ALG_ED25519, der, (uint16_t)len);
	}
	assert_int_equal(ib_trust_decode(area, IB_TRUST_AREA_SIZE, &t), 0);
	assert_int_equal(t.nkeys, 2);
	ib_trust_release(&t);
	free(area);
}

static void test_too_many_keys(void **state)
{
	struct ib_trust t = {0};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(t.keys); i++) {
		struct ib_privkey *p;
		struct ib_pubkey *k;

		assert_int_equal(ib_keygen(IB_ALG_ED25519, &p), 0);
		assert_int_equal(ib_privkey_public(p, &k), 0);
		ib_privkey_free(p);
		assert_int_equal(ib_trust_add_key(&t, k), 0);
	}
	assert_int_equal(ib_trust_add_key(&t, copy_pub(0)), IB_E_LIMIT); /* frees the key */
	assert_int_equal(t.nkeys, IB_ARRAY_LEN(t.keys));
	ib_trust_release(&t);
}

static void test_encode_limits(void **state)
{
	struct ib_trust t = {0};
	uint8_t small[64], hdr[IB_TRUST_HDR];

	(void)state;
	assert_int_equal(ib_trust_add_key(&t, copy_pub(0)), 0);
	/* The Ed25519 SPKI (44 bytes) plus its record header does not fit in 64 - 20 bytes. */
	assert_int_equal(ib_trust_encode(&t, small, sizeof(small)), IB_E_LIMIT);
	assert_int_equal(ib_trust_encode(&t, hdr, IB_TRUST_HDR - 1), IB_E_LIMIT);
	ib_trust_release(&t);
	assert_int_equal(ib_trust_encode(&t, hdr, sizeof(hdr)), 0);
	assert_int_equal(decode(hdr, sizeof(hdr)), 0);
}

/* ---- malformed areas ---- */

static void test_bad_magic(void **state)
{
	uint8_t *area = new_area();

	(void)state;
	valid_area(area, 1);
	for (int i = 0; i < IB_TRUST_MAGIC_LEN; i++) {
		area[i] ^= 0x01;
		assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
		assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "magic"));
		area[i] ^= 0x01;
	}
	assert_int_equal(decode(area, IB_TRUST_HDR - 1), IB_E_FORMAT);
	assert_int_equal(decode(area, 0), IB_E_FORMAT);
	free(area);
}

static void test_used_length_out_of_range(void **state)
{
	uint8_t *area = new_area();
	const uint32_t bad[] = {IB_TRUST_AREA_SIZE - IB_TRUST_HDR + 1, IB_TRUST_AREA_SIZE, 0x80000000u, UINT32_MAX};

	(void)state;
	valid_area(area, 1);
	for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
		ib_put_le32(area + IB_TRUST_MAGIC_LEN, bad[i]);
		assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	}
	/* Relative to a smaller image than the full area, too. */
	valid_area(area, 1);
	assert_int_equal(decode(area, IB_TRUST_HDR + used_of(area) - 1), IB_E_FORMAT);
	assert_int_equal(decode(area, IB_TRUST_HDR + used_of(area)), 0);
	free(area);
}

/* Shrinking the used length by 1..used cuts a record short somewhere. */
static void test_record_runs_past_used(void **state)
{
	uint8_t *area = new_area();
	uint32_t used;

	(void)state;
	valid_area(area, 2);
	used = used_of(area);
	for (uint32_t cut = 1; cut < used; cut++) {
		uint32_t u = used - cut;

		ib_put_le32(area + IB_TRUST_MAGIC_LEN, u);
		/* Only cuts that land exactly on a record boundary are well-formed. */
		if (decode(area, IB_TRUST_AREA_SIZE) == 0) {
			struct ib_trust t;

			assert_int_equal(ib_trust_decode(area, IB_TRUST_AREA_SIZE, &t), 0);
			assert_true(t.nkeys + t.nrevoked + (t.threshold > 1) < 4);
			ib_trust_release(&t);
		}
	}
	/* A record header of 3 bytes. */
	ib_put_le32(area + IB_TRUST_MAGIC_LEN, 3);
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "malformed record"));
	/* Value length past the used length, though the bytes are in the image. */
	memset(area + IB_TRUST_HDR, 0, 64);
	ib_put_le32(area + IB_TRUST_MAGIC_LEN, 0);
	append_rec(area, IB_TRUST_REVOKED, 0, area + 100, IB_KEYID_LEN);
	ib_put_le32(area + IB_TRUST_MAGIC_LEN, 4 + IB_KEYID_LEN - 1);
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	/* The whole area in use, and a value length of 0xffff: past the area itself. */
	memset(area, 0, IB_TRUST_AREA_SIZE);
	valid_area(area, 1);
	ib_put_le32(area + IB_TRUST_MAGIC_LEN, IB_TRUST_AREA_SIZE - IB_TRUST_HDR);
	area[IB_TRUST_HDR] = IB_TRUST_KEY;
	ib_put_le16(area + IB_TRUST_HDR + 2, 0xffff);
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "byte 20"));
	free(area);
}

static void test_unknown_record_type(void **state)
{
	uint8_t *area = new_area();
	const uint8_t types[] = {0, 5, 0x7f, 0xff}; /* 4 is a CA certificate (test_cms.c) */
	uint8_t val[4] = {1, 0, 0, 0};

	(void)state;
	for (size_t i = 0; i < sizeof(types); i++) {
		valid_area(area, 1);
		append_rec(area, types[i], 0, val, sizeof(val));
		assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	}
	free(area);
}

static void test_threshold_records(void **state)
{
	uint8_t *area = new_area();
	uint8_t v[8] = {0};

	(void)state;
	valid_area(area, 1);
	append_rec(area, IB_TRUST_THRESHOLD, 0, v, 4); /* threshold 0 */
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	valid_area(area, 1);
	ib_put_le32(v, 2);
	append_rec(area, IB_TRUST_THRESHOLD, 0, v, 3); /* wrong size */
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	valid_area(area, 1);
	append_rec(area, IB_TRUST_THRESHOLD, 0, v, 8);
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	valid_area(area, 1);
	append_rec(area, IB_TRUST_THRESHOLD, 0, v, 0);
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	valid_area(area, 1);
	append_rec(area, IB_TRUST_THRESHOLD, 0, v, 4);
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), 0);
	free(area);
}

static void test_revoked_records(void **state)
{
	uint8_t *area = new_area();
	uint8_t id[IB_KEYID_LEN + 1] = {0};

	(void)state;
	valid_area(area, 1);
	append_rec(area, IB_TRUST_REVOKED, 0, id, IB_KEYID_LEN - 1);
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	valid_area(area, 1);
	append_rec(area, IB_TRUST_REVOKED, 0, id, IB_KEYID_LEN + 1);
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	/* 32 revoked ids fit; the 33rd does not. */
	valid_area(area, 1);
	for (int i = 1; i < 32; i++) {
		id[0] = (uint8_t)i;
		append_rec(area, IB_TRUST_REVOKED, 0, id, IB_KEYID_LEN);
	}
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), 0);
	append_rec(area, IB_TRUST_REVOKED, 0, id, IB_KEYID_LEN);
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	free(area);
}

static void test_bad_key_records(void **state)
{
	uint8_t *area = new_area();
	const uint8_t *der;
	size_t len;
	uint8_t junk[44];

	(void)state;
	ib_pubkey_der(pub[0], &der, &len);
	/* The algorithm byte must match the key. */
	valid_area(area, 1);
	append_rec(area, IB_TRUST_KEY, IB_ALG_ECDSA_P256, der, (uint16_t)len);
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	valid_area(area, 1);
	append_rec(area, IB_TRUST_KEY, 0, der, (uint16_t)len);
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	/* Not DER, truncated DER, empty value: a damaged trust area is a malformed bundle (exit 2),
	 * not a key problem of the caller (the tamper sweep). */
	memset(junk, 0x41, sizeof(junk));
	valid_area(area, 1);
	append_rec(area, IB_TRUST_KEY, IB_ALG_ED25519, junk, sizeof(junk));
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	valid_area(area, 1);
	append_rec(area, IB_TRUST_KEY, IB_ALG_ED25519, der, (uint16_t)(len - 1));
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	valid_area(area, 1);
	append_rec(area, IB_TRUST_KEY, IB_ALG_ED25519, der, 0);
	assert_int_equal(decode(area, IB_TRUST_AREA_SIZE), IB_E_FORMAT);
	free(area);
}

/* ---- locate ---- */

static void test_locate(void **state)
{
	size_t len = 3 * IB_TRUST_AREA_SIZE, off = 0;
	uint8_t *img = calloc(1, len);

	(void)state;
	assert_non_null(img);
	/* Decoys: the first 14 bytes of the magic, and the magic without its NUL. */
	memcpy(img + 100, "IBPACK-TRUST-v", 14);
	memcpy(img + 300, "IBPACK-TRUST-v1X", 16);
	assert_int_equal(ib_trust_locate(img, len, &off), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "no trust area"));
	valid_area(img + 5000, 1);
	assert_int_equal(ib_trust_locate(img, len, &off), 0);
	assert_int_equal(off, 5000);
	/* A second area is refused. */
	memcpy(img + 5000 + IB_TRUST_AREA_SIZE + 8, IB_TRUST_MAGIC, IB_TRUST_MAGIC_LEN);
	assert_int_equal(ib_trust_locate(img, len, &off), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "more than one"));
	free(img);
}

static void test_locate_edges(void **state)
{
	size_t len = IB_TRUST_AREA_SIZE + 16, off = 99;
	uint8_t *img = calloc(1, len);

	(void)state;
	assert_non_null(img);
	/* At the very end of the image where a whole area can still fit. */
	memcpy(img + 16, IB_TRUST_MAGIC, IB_TRUST_MAGIC_LEN);
	assert_int_equal(ib_trust_locate(img, len, &off), 0);
	assert_int_equal(off, 16);
	/* Magic too close to the end for a whole area: not an area. */
	memset(img, 0, len);
	memcpy(img + 17, IB_TRUST_MAGIC, IB_TRUST_MAGIC_LEN);
	assert_int_equal(ib_trust_locate(img, len, &off), IB_E_FORMAT);
	/* At offset 0, and images smaller than an area. */
	memset(img, 0, len);
	memcpy(img, IB_TRUST_MAGIC, IB_TRUST_MAGIC_LEN);
	assert_int_equal(ib_trust_locate(img, len, &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(ib_trust_locate(img, IB_TRUST_AREA_SIZE - 1, &off), IB_E_FORMAT);
	assert_int_equal(ib_trust_locate(img, 0, &off), IB_E_FORMAT);
	free(img);
}

/* ---- check ---- */

static void sign_into(struct ib_sigblock *sb, int signer, const uint8_t *m, size_t len)
{
	uint8_t *sig;
	size_t siglen;

	assert_int_equal(ib_sign(priv[signer], m, len, &sig, &siglen), 0);
	assert_int_equal(ib_sigblock_add(sb, ib_privkey_alg(priv[signer]), ib_pubkey_id(pub[signer]), sig, siglen), 0);
	free(sig);
}

/* A trust set of the given keys (bitmask over 0..2). */
static void trust_of(struct ib_trust *t, unsigned mask, uint32_t thr)
{
	memset(t, 0, sizeof(*t));
	t->threshold = thr;
	for (int i = 0; i < 3; i++)
		if (mask & (1u << i))
			assert_int_equal(ib_trust_add_key(t, copy_pub(i)), 0);
}

static void test_check_trusted(void **state)
{
	struct ib_trust t;
	struct ib_sigblock sb = {0};
	size_t valid = 99;

	(void)state;
	trust_of(&t, 1, 1);
	sign_into(&sb, 0, msg, sizeof(msg));
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), 0);
	assert_int_equal(valid, 1);
	ib_sigblock_release(&sb);
	ib_trust_release(&t);
}

static void test_check_untrusted(void **state)
{
	struct ib_trust t;
	struct ib_sigblock sb = {0};
	size_t valid = 99;

	(void)state;
	trust_of(&t, 2, 1);
	sign_into(&sb, 0, msg, sizeof(msg));
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), IB_E_UNTRUSTED);
	assert_int_equal(valid, 0);
	ib_trust_release(&t);
	trust_of(&t, 0, 1); /* nothing trusted */
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), IB_E_UNTRUSTED);
	ib_trust_release(&t);
	ib_sigblock_release(&sb);
}

static void test_check_altered_manifest(void **state)
{
	struct ib_trust t;
	struct ib_sigblock sb = {0};
	uint8_t altered[sizeof(msg)];
	size_t valid = 99;

	(void)state;
	trust_of(&t, 1, 1);
	sign_into(&sb, 0, msg, sizeof(msg));
	memcpy(altered, msg, sizeof(msg));
	altered[3] ^= 1;
	assert_int_equal(ib_trust_check(&t, &sb, altered, sizeof(altered), &valid), IB_E_SIGNATURE);
	assert_int_equal(valid, 0);
	assert_non_null(strstr(ib_errmsg(IB_E_SIGNATURE), "trusted key"));
	/* An altered signature, too. */
	sb.sigs[0].sig[10] ^= 1;
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), IB_E_SIGNATURE);
	ib_sigblock_release(&sb);
	ib_trust_release(&t);
}

/* A signature whose key id claims a trusted key but whose alg tag is wrong does not count. */
static void test_check_wrong_alg_tag(void **state)
{
	struct ib_trust t;
	struct ib_sigblock sb = {0};
	size_t valid;

	(void)state;
	trust_of(&t, 1, 1);
	sign_into(&sb, 0, msg, sizeof(msg));
	sb.sigs[0].alg = IB_ALG_ECDSA_P256;
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), IB_E_SIGNATURE);
	ib_sigblock_release(&sb);
	ib_trust_release(&t);
}

static void test_check_revoked(void **state)
{
	struct ib_trust t;
	struct ib_sigblock sb = {0};
	size_t valid = 99;

	(void)state;
	trust_of(&t, 3, 1);
	memcpy(t.revoked[t.nrevoked++], ib_pubkey_id(pub[0]), IB_KEYID_LEN);
	sign_into(&sb, 0, msg, sizeof(msg));
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), IB_E_UNTRUSTED);
	assert_int_equal(valid, 0);
	/* Another, unrevoked trusted signer still works. */
	sign_into(&sb, 1, msg, sizeof(msg));
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), 0);
	assert_int_equal(valid, 1);
	ib_sigblock_release(&sb);
	ib_trust_release(&t);
}

static void test_check_threshold(void **state)
{
	struct ib_trust t;
	struct ib_sigblock sb = {0};
	size_t valid = 99;

	(void)state;
	trust_of(&t, 7, 2);
	sign_into(&sb, 0, msg, sizeof(msg));
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), IB_E_UNTRUSTED);
	assert_int_equal(valid, 1);
	/* The same key twice is one signer. */
	sign_into(&sb, 0, msg, sizeof(msg));
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), IB_E_UNTRUSTED);
	assert_int_equal(valid, 1);
	/* A second distinct key (ECDSA) meets the threshold. */
	sign_into(&sb, 2, msg, sizeof(msg));
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), 0);
	assert_int_equal(valid, 2);
	ib_sigblock_release(&sb);
	ib_trust_release(&t);
}

/* Two trusted signatures with threshold 2, one of them broken: the failure names the signature. */
static void test_check_threshold_one_bad(void **state)
{
	struct ib_trust t;
	struct ib_sigblock sb = {0};
	size_t valid;

	(void)state;
	trust_of(&t, 3, 2);
	sign_into(&sb, 0, msg, sizeof(msg));
	sign_into(&sb, 1, msg, sizeof(msg));
	sb.sigs[1].sig[0] ^= 1;
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), IB_E_SIGNATURE);
	assert_int_equal(valid, 1);
	ib_sigblock_release(&sb);
	ib_trust_release(&t);
}

/* A broken copy before a good one by the same key: the good one still counts. */
static void test_check_bad_then_good_same_key(void **state)
{
	struct ib_trust t;
	struct ib_sigblock sb = {0};
	size_t valid;

	(void)state;
	trust_of(&t, 1, 1);
	sign_into(&sb, 0, msg, sizeof(msg));
	sign_into(&sb, 0, msg, sizeof(msg));
	sb.sigs[0].sig[5] ^= 1;
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), 0);
	assert_int_equal(valid, 1);
	ib_sigblock_release(&sb);
	ib_trust_release(&t);
}

/* Threshold 0 in memory (never from an area) still requires one valid signature. */
static void test_check_threshold_zero(void **state)
{
	struct ib_trust t;
	struct ib_sigblock sb = {0};
	size_t valid;

	(void)state;
	trust_of(&t, 1, 0);
	sign_into(&sb, 1, msg, sizeof(msg));
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), IB_E_UNTRUSTED);
	ib_sigblock_release(&sb);
	ib_trust_release(&t);
}

/* The trust decoded from an area behaves like the one it was encoded from. */
static void test_check_through_area(void **state)
{
	uint8_t *area = new_area();
	struct ib_trust t;
	struct ib_sigblock sb = {0};
	size_t valid;

	(void)state;
	valid_area(area, 2); /* keys 0 and 2 */
	assert_int_equal(ib_trust_decode(area, IB_TRUST_AREA_SIZE, &t), 0);
	sign_into(&sb, 0, msg, sizeof(msg));
	sign_into(&sb, 1, msg, sizeof(msg)); /* not trusted */
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), IB_E_UNTRUSTED);
	sign_into(&sb, 2, msg, sizeof(msg));
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), 0);
	assert_int_equal(valid, 2);
	ib_sigblock_release(&sb);
	ib_trust_release(&t);
	free(area);
}

/* ---- explain ---- */

static void test_explain(void **state)
{
	struct ib_trust t;
	struct ib_sigblock sb = {0};
	char buf[512], hex[2 * IB_KEYID_LEN + 1], want[128];

	(void)state;
	trust_of(&t, 0, 1);
	sign_into(&sb, 0, msg, sizeof(msg));
	ib_trust_explain(&t, &sb, buf, sizeof(buf));
	ib_hex_encode(ib_pubkey_id(pub[0]), IB_KEYID_LEN, hex);
	snprintf(want, sizeof(want), "signed by ed25519 key %.16s (not trusted); trusted: none", hex);
	assert_string_equal(buf, want);
	ib_trust_release(&t);

	trust_of(&t, 6, 2);
	memcpy(t.revoked[t.nrevoked++], ib_pubkey_id(pub[0]), IB_KEYID_LEN);
	sign_into(&sb, 2, msg, sizeof(msg));
	ib_trust_explain(&t, &sb, buf, sizeof(buf));
	assert_non_null(strstr(buf, "(revoked)"));
	assert_non_null(strstr(buf, ", ecdsa-p256 key "));
	assert_non_null(strstr(buf, "(2 signatures required)"));
	ib_hex_encode(ib_pubkey_id(pub[1]), IB_KEYID_LEN, hex);
	hex[16] = '\0';
	assert_non_null(strstr(buf, hex));
	ib_sigblock_release(&sb);
	ib_trust_release(&t);
}

/* An unsigned bundle (count 0) is never trusted, and the explanation says what to do. */
static void test_unsigned_never_trusted(void **state)
{
	struct ib_trust t;
	struct ib_sigblock sb = {0};
	int st[IB_SIG_COUNT_MAX];
	size_t valid = 99;
	char buf[512];

	(void)state;
	trust_of(&t, 7, 1);
	assert_int_equal(ib_trust_check(&t, &sb, msg, sizeof(msg), &valid), IB_E_UNTRUSTED);
	assert_int_equal(valid, 0);
	assert_int_equal(ib_trust_evaluate(&t, &sb, msg, sizeof(msg), st, &valid), IB_E_UNTRUSTED);
	ib_trust_explain(&t, &sb, buf, sizeof(buf));
	assert_non_null(strstr(buf, "signed by no key"));
	assert_non_null(strstr(buf, "attach-signature"));
	ib_trust_release(&t);
}

/* Every signature gets a state: counted, duplicate, revoked, untrusted or invalid. */
static void test_evaluate_states(void **state)
{
	struct ib_trust t;
	struct ib_sigblock sb = {0};
	int st[IB_SIG_COUNT_MAX];
	size_t valid;
	char buf[512], hex[2 * IB_KEYID_LEN + 1];

	(void)state;
	trust_of(&t, 3, 2);
	memcpy(t.revoked[t.nrevoked++], ib_pubkey_id(pub[1]), IB_KEYID_LEN);
	sign_into(&sb, 0, msg, sizeof(msg)); /* counted */
	sign_into(&sb, 0, msg, sizeof(msg)); /* duplicate */
	sign_into(&sb, 1, msg, sizeof(msg)); /* revoked, although trusted */
	sign_into(&sb, 2, msg, sizeof(msg)); /* untrusted */
	assert_int_equal(ib_trust_evaluate(&t, &sb, msg, sizeof(msg), st, &valid), IB_E_UNTRUSTED);
	assert_int_equal(valid, 1);
	assert_int_equal(st[0], IB_SIG_COUNTED);
	assert_int_equal(st[1], IB_SIG_DUPLICATE);
	assert_int_equal(st[2], IB_SIG_REVOKED);
	assert_int_equal(st[3], IB_SIG_UNTRUSTED);
	assert_string_equal(ib_sig_state_name(st[2]), "revoked");
	assert_string_equal(ib_sig_state_name(0), "unchecked");
	ib_trust_explain(&t, &sb, buf, sizeof(buf));
	ib_hex_encode(ib_pubkey_id(pub[2]), IB_KEYID_LEN, hex);
	hex[16] = '\0';
	assert_non_null(strstr(buf, "(revoked)"));
	assert_non_null(strstr(buf, "(not trusted)"));
	assert_non_null(strstr(buf, hex));
	assert_non_null(strstr(buf, "(2 signatures required)"));
	/* a broken signature by the trusted key, first: invalid, then the good one counts */
	ib_sigblock_release(&sb);
	t.threshold = 1;
	sign_into(&sb, 0, msg, sizeof(msg));
	sign_into(&sb, 0, msg, sizeof(msg));
	sb.sigs[0].sig[1] ^= 1;
	assert_int_equal(ib_trust_evaluate(&t, &sb, msg, sizeof(msg), st, &valid), 0);
	assert_int_equal(st[0], IB_SIG_INVALID);
	assert_int_equal(st[1], IB_SIG_COUNTED);
	ib_sigblock_release(&sb);
	ib_trust_release(&t);
}

/* The threshold record survives an area round trip, and ib_trust_is_revoked reads the list. */
static void test_revoked_lookup(void **state)
{
	struct ib_trust t;

	(void)state;
	trust_of(&t, 1, 1);
	assert_false(ib_trust_is_revoked(&t, ib_pubkey_id(pub[0])));
	memcpy(t.revoked[t.nrevoked++], ib_pubkey_id(pub[0]), IB_KEYID_LEN);
	assert_true(ib_trust_is_revoked(&t, ib_pubkey_id(pub[0])));
	assert_false(ib_trust_is_revoked(&t, ib_pubkey_id(pub[1])));
	ib_trust_release(&t);
}

/* Small buffers truncate but stay terminated and in bounds (ASan watches). */
static void test_explain_small_buffers(void **state)
{
	struct ib_trust t;
	struct ib_sigblock sb = {0};

	(void)state;
	trust_of(&t, 7, 3);
	sign_into(&sb, 0, msg, sizeof(msg));
	sign_into(&sb, 2, msg, sizeof(msg));
	for (size_t size = 1; size < 200; size++) {
		char *buf = malloc(size);

		assert_non_null(buf);
		ib_trust_explain(&t, &sb, buf, size);
		assert_true(strlen(buf) < size);
		free(buf);
	}
	ib_sigblock_release(&sb);
	ib_trust_release(&t);
}

/* ---- ib_trust_resolve: the one rule for which anchors, revocations and threshold apply ---- */

static void write_pub(const char *path, int i)
{
	char pem[4096];
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(ib_pubkey_pem(pub[i], pem, sizeof(pem)), 0);
	fputs(pem, f);
	fclose(f);
}

static void test_resolve_embedded_policy(void **state)
{
	uint8_t *area = new_area();
	struct ib_trust t;

	(void)state;
	valid_area(area, 2);
	assert_int_equal(ib_trust_resolve(area, NULL, 0, NULL, 0, 0, &t), 0);
	assert_int_equal(t.nkeys, 2);
	assert_int_equal(t.nrevoked, 1);
	assert_int_equal(t.threshold, 2);
	ib_trust_release(&t);
	/* An explicit threshold overrides the embedded one. */
	assert_int_equal(ib_trust_resolve(area, NULL, 0, NULL, 0, 1, &t), 0);
	assert_int_equal(t.threshold, 1);
	ib_trust_release(&t);
	free(area);
}

static void test_resolve_anchors_replace_keys_keep_revocations(void **state)
{
	char path[] = "/tmp/ibpack-trust-XXXXXX";
	uint8_t *area = new_area();
	const char *keys[1] = {path};
	struct ib_trust t;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_pub(path, 1);
	valid_area(area, 1);
	assert_int_equal(ib_trust_resolve(area, keys, 1, NULL, 0, 0, &t), 0);
	assert_int_equal(t.nkeys, 1);
	assert_memory_equal(ib_pubkey_id(t.keys[0]), ib_pubkey_id(pub[1]), IB_KEYID_LEN);
	assert_int_equal(t.nrevoked, 1); /* the embedded revocation still applies */
	ib_trust_release(&t);
	/* No embedded policy at all: only the anchors, threshold 1. */
	assert_int_equal(ib_trust_resolve(NULL, keys, 1, NULL, 0, 0, &t), 0);
	assert_int_equal(t.nkeys, 1);
	assert_int_equal(t.threshold, 1);
	ib_trust_release(&t);
	/* A key file that is not there fails, and nothing leaks. */
	unlink(path);
	assert_true(ib_trust_resolve(area, keys, 1, NULL, 0, 0, &t) < 0);
	free(area);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_roundtrip_threshold),
		cmocka_unit_test(test_empty_area),
		cmocka_unit_test(test_duplicate_key_trusted_once),
		cmocka_unit_test(test_too_many_keys),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_used_length_out_of_range),
		cmocka_unit_test(test_record_runs_past_used),
		cmocka_unit_test(test_unknown_record_type),
		cmocka_unit_test(test_threshold_records),
		cmocka_unit_test(test_revoked_records),
		cmocka_unit_test(test_bad_key_records),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_locate_edges),
		cmocka_unit_test(test_check_trusted),
		cmocka_unit_test(test_check_untrusted),
		cmocka_unit_test(test_check_altered_manifest),
		cmocka_unit_test(test_check_wrong_alg_tag),
		cmocka_unit_test(test_check_revoked),
		cmocka_unit_test(test_check_threshold),
		cmocka_unit_test(test_check_threshold_one_bad),
		cmocka_unit_test(test_check_bad_then_good_same_key),
		cmocka_unit_test(test_check_threshold_zero),
		cmocka_unit_test(test_check_through_area),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_explain_small_buffers),
		cmocka_unit_test(test_unsigned_never_trusted),
		cmocka_unit_test(test_evaluate_states),
		cmocka_unit_test(test_revoked_lookup),
		cmocka_unit_test(test_resolve_embedded_policy),
		cmocka_unit_test(test_resolve_anchors_replace_keys_keep_revocations),
	};

	return cmocka_run_group_tests_name("trust", tests, setup_group, teardown_group);
}
