/* Unit tests for format/pe.c: a hand-made PE32+ header (checksum and security-dir offsets), bundle end with/without a certificate table, non-PE input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../base/err.h"
#include "../../format/pe.h"
#include "../../base/util.h"

#define LFANEW          0x80u
#define OPT(lfanew)     ((lfanew) + 24u)           /* optional header: after "PE\0\0" + COFF */
#define MIN_LEN(lfanew) (OPT(lfanew) + 112u + 40u) /* through the security directory entry */

/* A minimal PE32+ image header in a buffer of exactly len bytes (len >= MIN_LEN(lfanew)). */
static uint8_t *make_pe(size_t len, uint32_t lfanew, uint32_t cert_off, uint32_t cert_len)
{
	uint8_t *p = calloc(1, len);
	uint32_t opt = OPT(lfanew);

	assert_non_null(p);
	p[0] = 'M';
	p[1] = 'Z';
	ib_put_le32(p + 0x3c, lfanew);
	memcpy(p + lfanew, "PE\0\0", 4);
	ib_put_le16(p + lfanew + 4, 0x8664);   /* Machine: x86-64 */
	ib_put_le16(p + lfanew + 4 + 16, 240); /* SizeOfOptionalHeader */
	ib_put_le16(p + opt, 0x20b);           /* PE32+ */
	ib_put_le32(p + opt + 64, 0xdeadbeef); /* CheckSum */
	ib_put_le32(p + opt + 108, 16);        /* NumberOfRvaAndSizes */
	ib_put_le32(p + opt + 112 + 32, cert_off);
	ib_put_le32(p + opt + 112 + 36, cert_len);
	return p;
}

static int inspect(const uint8_t *p, size_t len, struct ib_pe_info *pe)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, p, len);
	memset(pe, 0xa5, sizeof(*pe));
	rc = ib_pe_inspect(copy, len, pe); /* exact-size copy: ASan sees any read past len */
	free(copy);
	return rc;
}

static void test_offsets(void **state)
{
	uint8_t *p = make_pe(1024, LFANEW, 0, 0);
	struct ib_pe_info pe;

	(void)state;
	assert_int_equal(inspect(p, 1024, &pe), 0);
	assert_int_equal(pe.is_pe, 1);
	assert_true(pe.checksum_off == 0xd8); /* 0x80 + 24 + 64 */
	assert_true(pe.certdir_off == 0x128); /* 0x80 + 24 + 112 + 4 * 8 */
	assert_int_equal(ib_get_le32(p + pe.checksum_off), 0xdeadbeef);
	assert_true(pe.cert_off == 0 && pe.cert_len == 0);
	free(p);
}

static void test_offsets_other_lfanew(void **state)
{
	const uint32_t lfanews[] = {0x40, 0x41, 0xe8, 0x200};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(lfanews); i++) {
		uint8_t *p = make_pe(MIN_LEN(lfanews[i]), lfanews[i], 0x1000, 0x10);
		struct ib_pe_info pe;

		assert_int_equal(inspect(p, MIN_LEN(lfanews[i]), &pe), 0);
		assert_int_equal(pe.is_pe, 1);
		assert_true(pe.checksum_off == OPT(lfanews[i]) + 64);
		assert_true(pe.certdir_off == OPT(lfanews[i]) + 144);
		assert_true(pe.cert_off == 0x1000 && pe.cert_len == 0x10);
		free(p);
	}
}

/* The smallest buffer that holds the security directory entry, and one byte less. */
static void test_minimal_length(void **state)
{
	size_t len = MIN_LEN(LFANEW);
	uint8_t *p = make_pe(len, LFANEW, 0, 0);
	struct ib_pe_info pe;

	(void)state;
	assert_int_equal(inspect(p, len, &pe), 0);
	assert_int_equal(pe.is_pe, 1);
	assert_int_equal(inspect(p, len - 1, &pe), IB_E_FORMAT);
	assert_int_equal(inspect(p, LFANEW + 24, &pe), IB_E_FORMAT);
	free(p);
}

static void test_bundle_end_signed(void **state)
{
	uint8_t *p = make_pe(1024, LFANEW, 0x10000, 0x2000);
	struct ib_pe_info pe;

	(void)state;
	assert_int_equal(inspect(p, 1024, &pe), 0);
	assert_true(pe.cert_off == 0x10000 && pe.cert_len == 0x2000);
	/* The table ends the file: the bundle ends where it starts. */
	assert_true(ib_pe_bundle_end(&pe, 0x12000) == 0x10000);
	/* Data after the table, or a table that runs past the file: not a trailing table. */
	assert_true(ib_pe_bundle_end(&pe, 0x12008) == 0x12008);
	assert_true(ib_pe_bundle_end(&pe, 0x11000) == 0x11000);
	assert_true(ib_pe_bundle_end(&pe, 0x10000) == 0x10000);
	assert_true(ib_pe_bundle_end(&pe, 0x100) == 0x100);
	free(p);
}

static void test_bundle_end_unsigned(void **state)
{
	uint8_t *p = make_pe(1024, LFANEW, 0, 0);
	struct ib_pe_info pe;

	(void)state;
	assert_int_equal(inspect(p, 1024, &pe), 0);
	assert_true(ib_pe_bundle_end(&pe, 0x12000) == 0x12000);
	assert_true(ib_pe_bundle_end(&pe, 0) == 0);
	free(p);
	/* A directory offset with a zero length is not a table either. */
	p = make_pe(1024, LFANEW, 0x10000, 0);
	assert_int_equal(inspect(p, 1024, &pe), 0);
	assert_true(ib_pe_bundle_end(&pe, 0x10000) == 0x10000);
	assert_true(ib_pe_bundle_end(&pe, 0x12000) == 0x12000);
	free(p);
}

/* 32-bit directory fields near their limits against 64-bit file sizes. */
static void test_bundle_end_large(void **state)
{
	uint8_t *p = make_pe(1024, LFANEW, 0xfffffff8u, 0xffffffffu);
	struct ib_pe_info pe;

	(void)state;
	assert_int_equal(inspect(p, 1024, &pe), 0);
	assert_true(ib_pe_bundle_end(&pe, 0xfffffff8ULL + 0xffffffffULL) == 0xfffffff8ULL);
	assert_true(ib_pe_bundle_end(&pe, UINT64_MAX) == UINT64_MAX);
	assert_true(ib_pe_bundle_end(&pe, 0xfffffff8u) == 0xfffffff8u);
	free(p);
}

static void test_elf_is_not_pe(void **state)
{
	uint8_t elf[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
	struct ib_pe_info pe;

	(void)state;
	ib_put_le16(elf + 16, 2);      /* ET_EXEC */
	ib_put_le16(elf + 18, 0x3e);   /* EM_X86_64 */
	ib_put_le32(elf + 0x3c, 0x80); /* whatever sits where e_lfanew would be */
	assert_int_equal(inspect(elf, sizeof(elf), &pe), 0);
	assert_int_equal(pe.is_pe, 0);
	assert_true(pe.checksum_off == 0 && pe.certdir_off == 0 && pe.cert_off == 0 && pe.cert_len == 0);
	assert_true(ib_pe_bundle_end(&pe, 123456) == 123456);
	/* A script and an empty file are not PE either. */
	assert_int_equal(inspect((const uint8_t *)"#!/bin/sh\n", 10, &pe), 0);
	assert_int_equal(pe.is_pe, 0);
	assert_int_equal(inspect((const uint8_t *)"", 0, &pe), 0);
	assert_int_equal(pe.is_pe, 0);
}

/* A table in a non-PE file is ignored even if the info claims one. */
static void test_bundle_end_not_pe(void **state)
{
	struct ib_pe_info pe = {.is_pe = 0, .cert_off = 100, .cert_len = 28};

	(void)state;
	assert_true(ib_pe_bundle_end(&pe, 128) == 128);
}

/* "MZ" in fewer than 64 bytes cannot hold e_lfanew: not a PE, not an error. */
static void test_short_mz(void **state)
{
	uint8_t *p = make_pe(1024, LFANEW, 0, 0);
	struct ib_pe_info pe;

	(void)state;
	assert_int_equal(inspect(p, 63, &pe), 0);
	assert_int_equal(pe.is_pe, 0);
	assert_int_equal(inspect(p, 2, &pe), 0);
	assert_int_equal(pe.is_pe, 0);
	free(p);
}

static void test_bad_lfanew(void **state)
{
	uint8_t *p = make_pe(1024, LFANEW, 0, 0);
	struct ib_pe_info pe;
	const uint32_t bad[] = {1024, 1024 - 23, 0x7fffffffu, 0xffffffe8u, 0xfffffffcu, UINT32_MAX};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
		ib_put_le32(p + 0x3c, bad[i]);
		assert_int_equal(inspect(p, 1024, &pe), IB_E_FORMAT);
		assert_int_equal(pe.is_pe, 0);
	}
	/* Pointing at the MZ header itself: no "PE\0\0" there. */
	ib_put_le32(p + 0x3c, 0);
	assert_int_equal(inspect(p, 1024, &pe), IB_E_FORMAT);
	free(p);
}

/* e_lfanew so close to the end that the signature fits but the optional header does not. */
static void test_header_cut_short(void **state)
{
	size_t len = 512;
	uint8_t *p = calloc(1, len);
	struct ib_pe_info pe;

	(void)state;
	assert_non_null(p);
	p[0] = 'M';
	p[1] = 'Z';
	ib_put_le32(p + 0x3c, (uint32_t)(len - 24));
	memcpy(p + len - 24, "PE\0\0", 4);
	assert_int_equal(inspect(p, len, &pe), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "PE32+"));
	free(p);
}

static void test_bad_signature(void **state)
{
	uint8_t *p = make_pe(1024, LFANEW, 0, 0);
	struct ib_pe_info pe;

	(void)state;
	memcpy(p + LFANEW, "PE\0\1", 4);
	assert_int_equal(inspect(p, 1024, &pe), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "PE signature"));
	memcpy(p + LFANEW, "NE\0\0", 4);
	assert_int_equal(inspect(p, 1024, &pe), IB_E_FORMAT);
	free(p);
}

static void test_pe32_refused(void **state)
{
	uint8_t *p = make_pe(1024, LFANEW, 0, 0);
	struct ib_pe_info pe;

	(void)state;
	ib_put_le16(p + OPT(LFANEW), 0x10b); /* PE32 */
	assert_int_equal(inspect(p, 1024, &pe), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "PE32+"));
	ib_put_le16(p + OPT(LFANEW), 0x107); /* ROM image */
	assert_int_equal(inspect(p, 1024, &pe), IB_E_FORMAT);
	free(p);
}

static void test_few_directories(void **state)
{
	uint8_t *p = make_pe(1024, LFANEW, 0x400, 0x10);
	struct ib_pe_info pe;

	(void)state;
	for (uint32_t n = 0; n < 5; n++) {
		ib_put_le32(p + OPT(LFANEW) + 108, n);
		assert_int_equal(inspect(p, 1024, &pe), IB_E_FORMAT);
		assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "security directory"));
	}
	ib_put_le32(p + OPT(LFANEW) + 108, 5);
	assert_int_equal(inspect(p, 1024, &pe), 0);
	assert_int_equal(pe.is_pe, 1);
	free(p);
}

/* ---- the certificate table: honoured only as a well-formed WIN_CERTIFICATE list ending the file ---- */

static void win_cert(uint8_t *p, uint32_t len, uint16_t rev, uint16_t type)
{
	ib_put_le32(p, len);
	ib_put_le16(p + 4, rev);
	ib_put_le16(p + 6, type);
}

static void test_cert_place(void **state)
{
	struct ib_pe_info pe = {.is_pe = 1, .cert_off = 4096, .cert_len = 64};

	(void)state;
	assert_int_equal(ib_pe_check_place(&pe, 4096 + 64), 0);
	/* bytes after the table, a table that stops short, an unaligned or empty table */
	assert_int_equal(ib_pe_check_place(&pe, 4096 + 72), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "does not name a certificate table that ends the file"));
	assert_int_equal(ib_pe_check_place(&pe, 4096 + 32), IB_E_FORMAT);
	pe.cert_off = 4095;
	assert_int_equal(ib_pe_check_place(&pe, 4095 + 64), IB_E_FORMAT);
	pe.cert_off = 4096;
	pe.cert_len = 4;
	assert_int_equal(ib_pe_check_place(&pe, 4096 + 4), IB_E_FORMAT);
	/* an offset with a zero length still claims something */
	pe.cert_len = 0;
	assert_int_equal(ib_pe_certs_claimed(&pe), 1);
	assert_int_equal(ib_pe_check_place(&pe, 8192), IB_E_FORMAT);
	/* nothing claimed: nothing to check */
	pe.cert_off = 0;
	assert_int_equal(ib_pe_certs_claimed(&pe), 0);
	assert_int_equal(ib_pe_check_place(&pe, 8192), 0);
}

static void test_cert_list(void **state)
{
	struct ib_pe_info pe = {.is_pe = 1, .cert_off = 4096, .cert_len = 64};
	uint8_t t[64] = {0};

	(void)state;
	/* one PKCS#7 entry of 21 bytes, padded to 24, then a second entry of 40 */
	win_cert(t, 21, 0x0200, 0x0002);
	win_cert(t + 24, 40, 0x0200, 0x0001);
	assert_int_equal(ib_pe_check_certs(&pe, t, sizeof(t)), 0);
	assert_true(pe.pkcs7_off == 4096 + 8 && pe.pkcs7_len == 13);
	/* padding that is not zero hides bytes */
	t[22] = 1;
	assert_int_equal(ib_pe_check_certs(&pe, t, sizeof(t)), IB_E_FORMAT);
	t[22] = 0;
	/* wrong revision, a length past the table, a length below the header */
	win_cert(t + 24, 40, 0x0100, 0x0002);
	assert_int_equal(ib_pe_check_certs(&pe, t, sizeof(t)), IB_E_FORMAT);
	win_cert(t + 24, 41, 0x0200, 0x0002);
	assert_int_equal(ib_pe_check_certs(&pe, t, sizeof(t)), IB_E_FORMAT);
	win_cert(t + 24, 8, 0x0200, 0x0002);
	assert_int_equal(ib_pe_check_certs(&pe, t, sizeof(t)), IB_E_FORMAT);
	/* zero padding after the last entry is fine; anything else is not */
	memset(t + 24, 0, 40);
	assert_int_equal(ib_pe_check_certs(&pe, t, sizeof(t)), 0);
	t[60] = 0x41;
	assert_int_equal(ib_pe_check_certs(&pe, t, sizeof(t)), IB_E_FORMAT);
	/* garbage where the first entry should be */
	memset(t, 0x41, sizeof(t));
	assert_int_equal(ib_pe_check_certs(&pe, t, sizeof(t)), IB_E_FORMAT);
	/* no PKCS#7 entry: nothing recorded */
	memset(t, 0, sizeof(t));
	win_cert(t, 64, 0x0200, 0x0001);
	assert_int_equal(ib_pe_check_certs(&pe, t, sizeof(t)), 0);
	assert_true(pe.pkcs7_len == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_offsets_other_lfanew),
		cmocka_unit_test(test_minimal_length),
		cmocka_unit_test(test_bundle_end_signed),
		cmocka_unit_test(test_bundle_end_unsigned),
		cmocka_unit_test(test_bundle_end_large),
		cmocka_unit_test(test_elf_is_not_pe),
		cmocka_unit_test(test_bundle_end_not_pe),
		cmocka_unit_test(test_short_mz),
		cmocka_unit_test(test_bad_lfanew),
		cmocka_unit_test(test_header_cut_short),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_pe32_refused),
		cmocka_unit_test(test_few_directories),
		cmocka_unit_test(test_cert_place),
		cmocka_unit_test(test_cert_list),
	};

	return cmocka_run_group_tests_name("pe", tests, NULL, NULL);
}
