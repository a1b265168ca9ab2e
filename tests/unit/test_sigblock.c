/* Unit tests for the signature block (format/sigblock.c): add/encode/decode round trips and every malformed-block path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../base/err.h"
#include "../../format/format.h"
#include "../../base/util.h"

#define HDR   12 /* magic + count */
#define ENTRY 40 /* alg, reserved, key id, length */

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* A block of n signatures; signature i has alg (i % 3) + 1, key id filled from i and length
 * 64 + i. */
static void make_block(size_t n, uint8_t **out, size_t *outlen)
{
	struct ib_sigblock sb = {0};
	uint8_t keyid[IB_KEYID_LEN], sig[200];

	for (size_t i = 0; i < n; i++) {
		fill(keyid, sizeof(keyid), (uint8_t)i);
		fill(sig, sizeof(sig), (uint8_t)(100 + i));
		assert_int_equal(ib_sigblock_add(&sb, (int)(i % 3) + 1, keyid, sig, 64 + i), 0);
	}
	assert_int_equal(ib_sigblock_encode(&sb, out, outlen), 0);
	ib_sigblock_release(&sb);
}

static int decode(const uint8_t *p, size_t len)
{
	struct ib_sigblock sb;
	int rc;

	memset(&sb, 0x5a, sizeof(sb));
	rc = ib_sigblock_decode(p, len, &sb);
	if (rc)
		assert_int_equal(sb.count, 0); /* nothing left to release on failure */
	ib_sigblock_release(&sb);
	return rc;
}

/* Decodes a copy in a buffer of exactly len bytes, so ASan sees any read past it. */
static int decode_copy(const uint8_t *p, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, p, len);
	rc = decode(copy, len);
	free(copy);
	return rc;
}

static void test_roundtrip_one(void **state)
{
	uint8_t *raw;
	size_t len;
	struct ib_sigblock sb;
	uint8_t keyid[IB_KEYID_LEN], sig[200];

	(void)state;
	make_block(1, &raw, &len);
	assert_int_equal(len, HDR + ENTRY + 64);
	assert_memory_equal(raw, IB_SIGBLOCK_MAGIC, 8);
	assert_int_equal(ib_get_le32(raw + 8), 1);
	assert_int_equal(ib_get_le16(raw + HDR), IB_ALG_ED25519);
	assert_int_equal(ib_get_le16(raw + HDR + 2), 0);
	assert_int_equal(ib_get_le32(raw + HDR + 36), 64);
	assert_int_equal(ib_sigblock_decode(raw, len, &sb), 0);
	assert_int_equal(sb.count, 1);
	fill(keyid, sizeof(keyid), 0);
	fill(sig, sizeof(sig), 100);
	assert_int_equal(sb.sigs[0].alg, IB_ALG_ED25519);
	assert_memory_equal(sb.sigs[0].keyid, keyid, IB_KEYID_LEN);
	assert_int_equal(sb.sigs[0].len, 64);
	assert_memory_equal(sb.sigs[0].sig, sig, 64);
	ib_sigblock_release(&sb);
	assert_int_equal(sb.count, 0);
	free(raw);
}

static void test_roundtrip_many(void **state)
{
	(void)state;
	for (size_t n = 2; n <= IB_SIG_COUNT_MAX; n += 7) {
		uint8_t *raw, *raw2, keyid[IB_KEYID_LEN];
		size_t len, len2;
		struct ib_sigblock sb;

		make_block(n, &raw, &len);
		assert_int_equal(ib_sigblock_decode(raw, len, &sb), 0);
		assert_int_equal(sb.count, n);
		for (size_t i = 0; i < n; i++) {
			fill(keyid, sizeof(keyid), (uint8_t)i);
			assert_int_equal(sb.sigs[i].alg, (i % 3) + 1);
			assert_int_equal(sb.sigs[i].len, 64 + i);
			assert_memory_equal(sb.sigs[i].keyid, keyid, IB_KEYID_LEN);
		}
		/* Re-encoding the decoded block gives the same bytes. */
		assert_int_equal(ib_sigblock_encode(&sb, &raw2, &len2), 0);
		assert_int_equal(len2, len);
		assert_memory_equal(raw2, raw, len);
		ib_sigblock_release(&sb);
		free(raw);
		free(raw2);
	}
}

static void test_max_count_and_size(void **state)
{
	struct ib_sigblock sb = {0}, back;
	uint8_t keyid[IB_KEYID_LEN] = {1}, *sig = calloc(1, IB_SIG_MAX), *raw;
	size_t len;

	(void)state;
	assert_non_null(sig);
	/* A signature of exactly IB_SIG_MAX bytes is accepted. */
	assert_int_equal(ib_sigblock_add(&sb, IB_ALG_RSA_PSS_SHA256, keyid, sig, IB_SIG_MAX), 0);
	for (int i = 1; i < IB_SIG_COUNT_MAX; i++)
		assert_int_equal(ib_sigblock_add(&sb, IB_ALG_ED25519, keyid, sig, 64), 0);
	assert_int_equal(sb.count, IB_SIG_COUNT_MAX);
	assert_int_equal(ib_sigblock_add(&sb, IB_ALG_ED25519, keyid, sig, 64), IB_E_LIMIT);
	assert_int_equal(sb.count, IB_SIG_COUNT_MAX);
	assert_int_equal(ib_sigblock_encode(&sb, &raw, &len), 0);
	assert_int_equal(decode_copy(raw, len), 0);
	assert_int_equal(ib_sigblock_decode(raw, len, &back), 0);
	assert_int_equal(back.sigs[0].len, IB_SIG_MAX);
	ib_sigblock_release(&back);
	ib_sigblock_release(&sb);
	free(raw);
	free(sig);
}

static void test_add_rejects_bad_lengths(void **state)
{
	struct ib_sigblock sb = {0};
	uint8_t keyid[IB_KEYID_LEN] = {0}, sig[1] = {0};

	(void)state;
	assert_int_equal(ib_sigblock_add(&sb, IB_ALG_ED25519, keyid, sig, 0), IB_E_FORMAT);
	assert_int_equal(ib_sigblock_add(&sb, IB_ALG_ED25519, keyid, sig, (size_t)IB_SIG_MAX + 1), IB_E_FORMAT);
	assert_int_equal(ib_sigblock_add(&sb, IB_ALG_ED25519, keyid, sig, SIZE_MAX), IB_E_FORMAT);
	assert_int_equal(sb.count, 0);
}

static void test_empty_input(void **state)
{
	(void)state;
	assert_int_equal(decode_copy((const uint8_t *)"", 0), IB_E_FORMAT);
	assert_int_equal(decode_copy((const uint8_t *)"IBPKSIG1", 8), IB_E_FORMAT);
	assert_int_equal(decode_copy((const uint8_t *)"IBPKSIG1\1\0\0", 11), IB_E_FORMAT);
}

static void test_bad_magic(void **state)
{
	uint8_t *raw;
	size_t len;

	(void)state;
	make_block(1, &raw, &len);
	for (int i = 0; i < 8; i++) {
		raw[i] ^= 1;
		assert_int_equal(decode_copy(raw, len), IB_E_FORMAT);
		assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "magic"));
		raw[i] ^= 1;
	}
	memcpy(raw, "IBPKFTR1", 8);
	assert_int_equal(decode_copy(raw, len), IB_E_FORMAT);
	free(raw);
}

static void test_bad_counts(void **state)
{
	uint8_t *raw;
	size_t len;
	const uint32_t bad[] = {IB_SIG_COUNT_MAX + 1, 1000, 0x80000000u, UINT32_MAX};

	(void)state;
	make_block(1, &raw, &len);
	for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
		ib_put_le32(raw + 8, bad[i]);
		assert_int_equal(decode_copy(raw, len), IB_E_FORMAT);
		assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "signatures"));
	}
	/* A zero count followed by an entry: the entry is trailing garbage. */
	ib_put_le32(raw + 8, 0);
	assert_int_equal(decode_copy(raw, len), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "malformed"));
	free(raw);
}

/* An unsigned bundle's block (build --unsigned): the header with count 0, and nothing else. */
static void test_unsigned_block(void **state)
{
	struct ib_sigblock sb = {0};
	uint8_t *raw;
	size_t len;

	(void)state;
	assert_int_equal(ib_sigblock_encode(&sb, &raw, &len), 0);
	assert_int_equal(len, HDR);
	assert_memory_equal(raw, IB_SIGBLOCK_MAGIC, 8);
	assert_int_equal(ib_get_le32(raw + 8), 0);
	memset(&sb, 0x5a, sizeof(sb));
	assert_int_equal(ib_sigblock_decode(raw, len, &sb), 0);
	assert_int_equal(sb.count, 0);
	ib_sigblock_release(&sb);
	/* Shorter than the header is still malformed. */
	assert_int_equal(decode_copy(raw, HDR - 1), IB_E_FORMAT);
	free(raw);
}

/* Seventeen well-formed entries: too many even though each one is fine. */
static void test_too_many_signatures(void **state)
{
	uint8_t *raw, *big;
	size_t len, entry = ENTRY + 64, n = IB_SIG_COUNT_MAX + 1, biglen;

	(void)state;
	make_block(1, &raw, &len);
	biglen = HDR + n * entry;
	big = malloc(biglen);
	assert_non_null(big);
	memcpy(big, raw, HDR);
	ib_put_le32(big + 8, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		memcpy(big + HDR + i * entry, raw + HDR, entry);
	assert_int_equal(decode_copy(big, biglen), IB_E_FORMAT);
	/* The same 16 are fine. */
	ib_put_le32(big + 8, IB_SIG_COUNT_MAX);
	assert_int_equal(decode_copy(big, biglen - entry), 0);
	free(big);
	free(raw);
}

static void test_count_more_than_entries(void **state)
{
	uint8_t *raw;
	size_t len;

	(void)state;
	make_block(2, &raw, &len);
	ib_put_le32(raw + 8, 3);
	assert_int_equal(decode_copy(raw, len), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "runs past"));
	free(raw);
}

static void test_truncated_everywhere(void **state)
{
	uint8_t *raw;
	size_t len;

	(void)state;
	make_block(3, &raw, &len);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(decode_copy(raw, cut), IB_E_FORMAT);
	assert_int_equal(decode_copy(raw, len), 0);
	free(raw);
}

static void test_zero_length_signature(void **state)
{
	uint8_t *raw;
	size_t len;

	(void)state;
	make_block(1, &raw, &len);
	ib_put_le32(raw + HDR + 36, 0);
	assert_int_equal(decode_copy(raw, HDR + ENTRY), IB_E_FORMAT);
	assert_int_equal(decode_copy(raw, len), IB_E_FORMAT);
	free(raw);
}

static void test_signature_length_past_end(void **state)
{
	uint8_t *raw;
	size_t len;
	const uint32_t bad[] = {65, 1000, IB_SIG_MAX, IB_SIG_MAX + 1, 0x7fffffffu, 0xffffffd8u, UINT32_MAX};

	(void)state;
	make_block(1, &raw, &len);
	for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
		ib_put_le32(raw + HDR + 36, bad[i]);
		assert_int_equal(decode_copy(raw, len), IB_E_FORMAT);
	}
	free(raw);
}

/* Lengths that are consistent but over the limit. */
static void test_signature_over_limit(void **state)
{
	size_t slen = (size_t)IB_SIG_MAX + 1, len = HDR + ENTRY + slen;
	uint8_t *raw = calloc(1, len);

	(void)state;
	assert_non_null(raw);
	memcpy(raw, IB_SIGBLOCK_MAGIC, 8);
	ib_put_le32(raw + 8, 1);
	ib_put_le16(raw + HDR, IB_ALG_ED25519);
	ib_put_le32(raw + HDR + 36, (uint32_t)slen);
	assert_int_equal(decode_copy(raw, len), IB_E_FORMAT);
	free(raw);
}

/* The second entry's length runs past the end: the first one's allocation must be released. */
static void test_second_entry_bad(void **state)
{
	uint8_t *raw;
	size_t len;

	(void)state;
	make_block(2, &raw, &len);
	ib_put_le32(raw + HDR + ENTRY + 64 + 36, 66);
	assert_int_equal(decode_copy(raw, len), IB_E_FORMAT);
	free(raw);
}

static void test_reserved_nonzero(void **state)
{
	uint8_t *raw;
	size_t len;

	(void)state;
	make_block(2, &raw, &len);
	ib_put_le16(raw + HDR + 2, 1);
	assert_int_equal(decode_copy(raw, len), IB_E_FORMAT);
	ib_put_le16(raw + HDR + 2, 0);
	ib_put_le16(raw + HDR + ENTRY + 64 + 2, 0x8000);
	assert_int_equal(decode_copy(raw, len), IB_E_FORMAT);
	free(raw);
}

static void test_trailing_bytes(void **state)
{
	uint8_t *raw, *longer;
	size_t len;

	(void)state;
	make_block(2, &raw, &len);
	longer = calloc(1, len + 8);
	assert_non_null(longer);
	memcpy(longer, raw, len);
	for (size_t extra = 1; extra <= 8; extra++)
		assert_int_equal(decode_copy(longer, len + extra), IB_E_FORMAT);
	assert_int_equal(decode_copy(longer, len), 0);
	free(longer);
	free(raw);
}

/* The algorithm tag is carried as is: verification, not parsing, rejects unknown ones. */
static void test_unknown_alg_kept(void **state)
{
	uint8_t *raw;
	size_t len;
	struct ib_sigblock sb;

	(void)state;
	make_block(1, &raw, &len);
	ib_put_le16(raw + HDR, 0x7777);
	assert_int_equal(ib_sigblock_decode(raw, len, &sb), 0);
	assert_int_equal(sb.sigs[0].alg, 0x7777);
	ib_sigblock_release(&sb);
	free(raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_one),
		cmocka_unit_test(test_roundtrip_many),
		cmocka_unit_test(test_max_count_and_size),
		cmocka_unit_test(test_add_rejects_bad_lengths),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_bad_counts),
		cmocka_unit_test(test_unsigned_block),
		cmocka_unit_test(test_too_many_signatures),
		cmocka_unit_test(test_count_more_than_entries),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_zero_length_signature),
		cmocka_unit_test(test_signature_length_past_end),
		cmocka_unit_test(test_signature_over_limit),
		cmocka_unit_test(test_second_entry_bad),
		cmocka_unit_test(test_reserved_nonzero),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_unknown_alg_kept),
	};

	return cmocka_run_group_tests_name("sigblock", tests, NULL, NULL);
}
