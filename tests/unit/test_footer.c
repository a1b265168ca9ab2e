/* Unit tests for the 64-byte bundle footer (format/footer.c): encoding, and every consistency check of ib_footer_decode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../base/err.h"
#include "../../format/format.h"
#include "../../base/util.h"

/* A consistent layout: 4096-byte stub, 1000-byte payload, 500-byte manifest, 116-byte signature
 * block, pad to 8, footer. */
static struct ib_footer valid_footer(void)
{
	struct ib_footer f = {.version = IB_FORMAT_VERSION, .stub_len = 4096};
	uint64_t sig_end;

	f.manifest_off = f.stub_len + 1000;
	f.manifest_len = 500;
	f.sigblock_off = f.manifest_off + f.manifest_len;
	f.sigblock_len = 116;
	sig_end = f.sigblock_off + f.sigblock_len;
	f.bundle_len = (sig_end + IB_BUNDLE_ALIGN - 1) / IB_BUNDLE_ALIGN * IB_BUNDLE_ALIGN + IB_FOOTER_SIZE;
	return f;
}

/* Encodes f and decodes it against end. */
static int roundtrip(const struct ib_footer *f, uint64_t end, struct ib_footer *out)
{
	uint8_t raw[IB_FOOTER_SIZE];

	ib_footer_encode(f, raw);
	memset(out, 0xa5, sizeof(*out));
	return ib_footer_decode(raw, end, out);
}

static int decode_mutated(void (*mutate)(struct ib_footer *f))
{
	struct ib_footer f = valid_footer(), out;

	mutate(&f);
	return roundtrip(&f, f.bundle_len, &out);
}

static void test_encode_layout(void **state)
{
	struct ib_footer f = valid_footer();
	uint8_t raw[IB_FOOTER_SIZE];

	(void)state;
	ib_footer_encode(&f, raw);
	assert_memory_equal(raw, "IBPKFTR1", 8);
	assert_int_equal(ib_get_le32(raw + 8), IB_FORMAT_VERSION);
	assert_int_equal(ib_get_le32(raw + 12), IB_FOOTER_SIZE);
	assert_true(ib_get_le64(raw + 16) == f.stub_len);
	assert_true(ib_get_le64(raw + 24) == f.manifest_off);
	assert_true(ib_get_le64(raw + 32) == f.manifest_len);
	assert_true(ib_get_le64(raw + 40) == f.sigblock_off);
	assert_true(ib_get_le64(raw + 48) == f.sigblock_len);
	assert_true(ib_get_le64(raw + 56) == f.bundle_len);
}

static void test_roundtrip(void **state)
{
	struct ib_footer f = valid_footer(), out;

	(void)state;
	assert_int_equal(roundtrip(&f, f.bundle_len, &out), 0);
	assert_int_equal(out.version, f.version);
	assert_true(out.stub_len == f.stub_len);
	assert_true(out.manifest_off == f.manifest_off);
	assert_true(out.manifest_len == f.manifest_len);
	assert_true(out.sigblock_off == f.sigblock_off);
	assert_true(out.sigblock_len == f.sigblock_len);
	assert_true(out.bundle_len == f.bundle_len);
}

/* Every pad from 0 to 7 bytes between the signature block and the footer is accepted. */
static void test_every_padding(void **state)
{
	(void)state;
	for (uint64_t siglen = 100; siglen < 108; siglen++) {
		struct ib_footer f = valid_footer(), out;
		uint64_t sig_end;

		f.sigblock_len = siglen;
		sig_end = f.sigblock_off + f.sigblock_len;
		f.bundle_len = (sig_end + 7) / 8 * 8 + IB_FOOTER_SIZE;
		assert_int_equal(roundtrip(&f, f.bundle_len, &out), 0);
	}
}

/* Largest regions the limits allow. */
static void test_limits_accepted(void **state)
{
	struct ib_footer f = valid_footer(), out;

	(void)state;
	f.manifest_len = IB_MANIFEST_MAX;
	f.sigblock_off = f.manifest_off + f.manifest_len;
	f.sigblock_len = IB_SIGBLOCK_MAX;
	f.bundle_len = f.sigblock_off + f.sigblock_len + IB_FOOTER_SIZE;
	assert_int_equal(roundtrip(&f, f.bundle_len, &out), 0);
}

/* stub_len == manifest_off (no payload) is a question for the manifest, not the footer. */
static void test_empty_payload_allowed(void **state)
{
	struct ib_footer f = valid_footer(), out;

	(void)state;
	f.manifest_off = f.stub_len;
	f.sigblock_off = f.manifest_off + f.manifest_len;
	f.bundle_len = (f.sigblock_off + f.sigblock_len + 7) / 8 * 8 + IB_FOOTER_SIZE;
	assert_int_equal(roundtrip(&f, f.bundle_len, &out), 0);
}

static void test_bad_magic(void **state)
{
	struct ib_footer f = valid_footer(), out;
	uint8_t raw[IB_FOOTER_SIZE];

	(void)state;
	for (int i = 0; i < 8; i++) {
		ib_footer_encode(&f, raw);
		raw[i] ^= 0x20;
		assert_int_equal(ib_footer_decode(raw, f.bundle_len, &out), IB_E_FORMAT);
		assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "no ibpack footer"));
	}
	memset(raw, 0, sizeof(raw));
	assert_int_equal(ib_footer_decode(raw, f.bundle_len, &out), IB_E_FORMAT);
}

static void test_wrong_version(void **state)
{
	struct ib_footer f = valid_footer(), out;
	const uint32_t bad[] = {0, 2, IB_FORMAT_VERSION + 1, 0x01000000u, UINT32_MAX};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
		f.version = bad[i];
		assert_int_equal(roundtrip(&f, f.bundle_len, &out), IB_E_FORMAT);
		assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "version"));
	}
}

static void test_wrong_footer_size_field(void **state)
{
	struct ib_footer f = valid_footer(), out;
	uint8_t raw[IB_FOOTER_SIZE];
	const uint32_t bad[] = {0, 63, 65, 128, UINT32_MAX};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
		ib_footer_encode(&f, raw);
		ib_put_le32(raw + 12, bad[i]);
		assert_int_equal(ib_footer_decode(raw, f.bundle_len, &out), IB_E_FORMAT);
	}
}

static void test_bundle_len_larger_than_file(void **state)
{
	struct ib_footer f = valid_footer(), out;

	(void)state;
	/* The file ends before the footer says the bundle does: truncated. */
	assert_int_equal(roundtrip(&f, f.bundle_len - 8, &out), IB_E_TRUNCATED);
	assert_int_equal(roundtrip(&f, f.bundle_len - 1, &out), IB_E_TRUNCATED);
	f.bundle_len = UINT64_MAX;
	assert_int_equal(roundtrip(&f, 10000, &out), IB_E_TRUNCATED);
}

static void test_bundle_len_smaller_than_file(void **state)
{
	struct ib_footer f = valid_footer(), out;

	(void)state;
	assert_int_equal(roundtrip(&f, f.bundle_len + 8, &out), IB_E_FORMAT);
	assert_int_equal(roundtrip(&f, UINT64_MAX, &out), IB_E_FORMAT);
}

static void m_stub_zero(struct ib_footer *f)
{
	f->stub_len = 0;
}
static void m_stub_past_manifest(struct ib_footer *f)
{
	f->stub_len = f->manifest_off + 1;
}
static void m_stub_max(struct ib_footer *f)
{
	f->stub_len = UINT64_MAX;
}
static void m_manifest_len_zero(struct ib_footer *f)
{
	f->manifest_len = 0;
	f->sigblock_off = f->manifest_off;
}
static void m_manifest_too_big(struct ib_footer *f)
{
	f->manifest_len = (uint64_t)IB_MANIFEST_MAX + 8;
	f->sigblock_off = f->manifest_off + f->manifest_len;
	f->bundle_len = f->sigblock_off + f->sigblock_len + 4 + IB_FOOTER_SIZE;
}
static void m_manifest_off_past_end(struct ib_footer *f)
{
	f->manifest_off = f->bundle_len + 8;
}
static void m_manifest_off_max(struct ib_footer *f)
{
	f->manifest_off = UINT64_MAX;
}
/* manifest_off + manifest_len wraps around to exactly sigblock_off. */
static void m_manifest_wraps(struct ib_footer *f)
{
	f->manifest_off = UINT64_MAX - 15;
	f->manifest_len = 16 + f->sigblock_off;
}
/* manifest_len small enough for the limit, but the region still runs past the file. */
static void m_manifest_past_end(struct ib_footer *f)
{
	f->manifest_off = f->bundle_len - 16;
	f->manifest_len = 1000;
	f->sigblock_off = f->manifest_off + f->manifest_len;
}
static void m_manifest_len_max(struct ib_footer *f)
{
	f->manifest_len = UINT64_MAX;
}
static void m_gap_before_sigblock(struct ib_footer *f)
{
	f->sigblock_off += 1;
	f->sigblock_len -= 1;
}
static void m_sigblock_overlaps_manifest(struct ib_footer *f)
{
	f->sigblock_off -= 1;
	f->sigblock_len += 1;
}
static void m_sigblock_len_zero(struct ib_footer *f)
{
	f->sigblock_len = 0;
}
static void m_sigblock_too_big(struct ib_footer *f)
{
	f->sigblock_len = (uint64_t)IB_SIGBLOCK_MAX + 8;
	f->bundle_len = f->sigblock_off + f->sigblock_len + IB_FOOTER_SIZE;
}
static void m_sigblock_len_max(struct ib_footer *f)
{
	f->sigblock_len = UINT64_MAX;
}
static void m_sigblock_len_wraps(struct ib_footer *f)
{
	f->sigblock_len = UINT64_MAX - f->sigblock_off + 1;
}
static void m_sigblock_off_max(struct ib_footer *f)
{
	f->sigblock_off = UINT64_MAX;
}
/* The signature block runs into the footer itself. */
static void m_sigblock_into_footer(struct ib_footer *f)
{
	f->sigblock_len += 8;
}
static void m_sigblock_to_file_end(struct ib_footer *f)
{
	f->sigblock_len = f->bundle_len - f->sigblock_off;
}
/* Eight or more bytes between the signature block and the footer is not padding. */
static void m_pad_eight(struct ib_footer *f)
{
	f->bundle_len += 8;
}
static void m_pad_large(struct ib_footer *f)
{
	f->bundle_len += 4096;
}
/* Fewer than 8 bytes of padding, but the bundle length is not a multiple of 8. */
static void m_unaligned(struct ib_footer *f)
{
	f->sigblock_len += 1;
	f->bundle_len = f->sigblock_off + f->sigblock_len + IB_FOOTER_SIZE;
}
static void m_tiny_bundle(struct ib_footer *f)
{
	f->stub_len = 1;
	f->manifest_off = 1;
	f->manifest_len = 1;
	f->sigblock_off = 2;
	f->sigblock_len = 1;
	f->bundle_len = 40; /* smaller than the footer itself */
}
static void m_all_max(struct ib_footer *f)
{
	f->stub_len = f->manifest_off = f->manifest_len = UINT64_MAX;
	f->sigblock_off = f->sigblock_len = UINT64_MAX;
}

struct bad_case {
	const char *name;
	void (*mutate)(struct ib_footer *f);
};

static const struct bad_case bad_cases[] = {
	{"stub_len 0", m_stub_zero},
	{"stub_len past manifest_off", m_stub_past_manifest},
	{"stub_len UINT64_MAX", m_stub_max},
	{"manifest_len 0", m_manifest_len_zero},
	{"manifest_len over IB_MANIFEST_MAX", m_manifest_too_big},
	{"manifest_off past the end", m_manifest_off_past_end},
	{"manifest_off UINT64_MAX", m_manifest_off_max},
	{"manifest_off + manifest_len wraps", m_manifest_wraps},
	{"manifest runs past the end", m_manifest_past_end},
	{"manifest_len UINT64_MAX", m_manifest_len_max},
	{"gap between manifest and signature block", m_gap_before_sigblock},
	{"signature block overlaps the manifest", m_sigblock_overlaps_manifest},
	{"sigblock_len 0", m_sigblock_len_zero},
	{"sigblock_len over IB_SIGBLOCK_MAX", m_sigblock_too_big},
	{"sigblock_len UINT64_MAX", m_sigblock_len_max},
	{"sigblock_off + sigblock_len wraps to 0", m_sigblock_len_wraps},
	{"sigblock_off UINT64_MAX", m_sigblock_off_max},
	{"signature block runs into the footer", m_sigblock_into_footer},
	{"signature block runs to the file end", m_sigblock_to_file_end},
	{"8 bytes of padding", m_pad_eight},
	{"4096 bytes between signature block and footer", m_pad_large},
	{"bundle length not a multiple of 8", m_unaligned},
	{"bundle shorter than a footer", m_tiny_bundle},
	{"every field UINT64_MAX", m_all_max},
};

static void test_inconsistent(void **state)
{
	const struct bad_case *c = *state;

	assert_int_equal(decode_mutated(c->mutate), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "footer"));
}

static void test_decode_reads_only_64_bytes(void **state)
{
	struct ib_footer f = valid_footer(), out;
	uint8_t raw[IB_FOOTER_SIZE];

	(void)state;
	/* In a buffer of exactly 64 bytes (ASan catches any read past it). */
	ib_footer_encode(&f, raw);
	assert_int_equal(ib_footer_decode(raw, f.bundle_len, &out), 0);
}

/* The layout both the builder and attach-signature use: 8-byte aligned, the pad counted. */
static void test_footer_layout(void **state)
{
	struct ib_footer f = {.sigblock_off = 1000};

	(void)state;
	for (uint64_t len = 0; len < 40; len++) {
		size_t pad = ib_footer_layout(&f, len);

		assert_true(pad < IB_BUNDLE_ALIGN);
		assert_int_equal(f.sigblock_len, len);
		assert_int_equal(f.bundle_len % IB_BUNDLE_ALIGN, 0);
		assert_int_equal(f.bundle_len, 1000 + len + pad + IB_FOOTER_SIZE);
	}
}

int main(void)
{
	struct CMUnitTest tests[64] = {
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_footer_layout),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_every_padding),
		cmocka_unit_test(test_limits_accepted),
		cmocka_unit_test(test_empty_payload_allowed),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_wrong_version),
		cmocka_unit_test(test_wrong_footer_size_field),
		cmocka_unit_test(test_bundle_len_larger_than_file),
		cmocka_unit_test(test_bundle_len_smaller_than_file),
		cmocka_unit_test(test_decode_reads_only_64_bytes),
	};
	size_t n = 12;

	for (size_t i = 0; i < IB_ARRAY_LEN(bad_cases); i++, n++) {
		tests[n].name = bad_cases[i].name;
		tests[n].test_func = test_inconsistent;
		tests[n].initial_state = (void *)&bad_cases[i];
	}
	return _cmocka_run_group_tests("footer", tests, n, NULL, NULL);
}
