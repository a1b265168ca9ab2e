/* Unit tests for format/util.c and format/err.c: LE codecs, hex, capped buffers, number parsing, ib_snprintf, UTC, error details. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/err.h"
#include "../../base/util.h"

/* ---- little-endian codecs ---- */

static void test_le_roundtrip(void **state)
{
	uint8_t b[8];

	(void)state;
	ib_put_le16(b, 0xbeef);
	assert_int_equal(b[0], 0xef);
	assert_int_equal(b[1], 0xbe);
	assert_int_equal(ib_get_le16(b), 0xbeef);
	ib_put_le32(b, 0xdeadbeefu);
	assert_int_equal(b[0], 0xef);
	assert_int_equal(b[3], 0xde);
	assert_int_equal(ib_get_le32(b), 0xdeadbeefu);
	ib_put_le64(b, 0x0102030405060708ULL);
	assert_int_equal(b[0], 0x08);
	assert_int_equal(b[7], 0x01);
	assert_true(ib_get_le64(b) == 0x0102030405060708ULL);
	memset(b, 0xff, sizeof(b));
	assert_true(ib_get_le64(b) == UINT64_MAX);
	assert_int_equal(ib_get_le32(b), 0xffffffffu);
}

/* ---- hex ---- */

static void test_hex_encode(void **state)
{
	const uint8_t in[] = {0x00, 0x01, 0xab, 0xff, 0x7f};
	char out[11];

	(void)state;
	memset(out, 'x', sizeof(out));
	ib_hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "0001abff7f");
	ib_hex_encode(in, 0, out);
	assert_string_equal(out, "");
}

static void test_hex_decode_ok(void **state)
{
	uint8_t out[4];
	const uint8_t want[4] = {0xde, 0xad, 0xbe, 0xef};

	(void)state;
	assert_int_equal(ib_hex_decode("deadbeef", out, 4), 0);
	assert_memory_equal(out, want, 4);
	/* Uppercase digits decode too. */
	assert_int_equal(ib_hex_decode("DEADBEEF", out, 4), 0);
	assert_memory_equal(out, want, 4);
	assert_int_equal(ib_hex_decode("", out, 0), 0);
}

static void test_hex_decode_errors(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(ib_hex_decode("deadbee", out, 4), IB_E_FORMAT); /* one digit short */
	assert_int_equal(ib_hex_decode("deadbe", out, 4), IB_E_FORMAT);  /* one byte short */
	assert_int_equal(ib_hex_decode("", out, 4), IB_E_FORMAT);
	assert_int_equal(ib_hex_decode("deadbeef0", out, 4), IB_E_FORMAT); /* trailing digit */
	assert_int_equal(ib_hex_decode("deadbeef ", out, 4), IB_E_FORMAT); /* trailing space */
	assert_int_equal(ib_hex_decode("deadbeeg", out, 4), IB_E_FORMAT);  /* not hex */
	assert_int_equal(ib_hex_decode("gdadbeef", out, 4), IB_E_FORMAT);
	assert_int_equal(ib_hex_decode(" eadbeef", out, 4), IB_E_FORMAT);
	assert_int_equal(ib_hex_decode("0xadbeef", out, 4), IB_E_FORMAT);
	assert_int_equal(ib_hex_decode("-1adbeef", out, 4), IB_E_FORMAT);
}

/* ---- capped buffer ---- */

static void test_buf_append_and_cap(void **state)
{
	struct ib_buf b;

	(void)state;
	ib_buf_init(&b, 10);
	assert_int_equal(ib_buf_append(&b, "hello", 5), 0);
	assert_int_equal(ib_buf_append(&b, "", 0), 0);
	assert_int_equal(ib_buf_append(&b, "world", 5), 0);
	assert_int_equal(b.len, 10);
	assert_string_equal((char *)b.data, "helloworld"); /* always NUL-terminated */
	/* Exactly at the cap: one more byte is refused and nothing changes. */
	assert_int_equal(ib_buf_append(&b, "!", 1), IB_E_LIMIT);
	assert_int_equal(b.len, 10);
	assert_string_equal((char *)b.data, "helloworld");
	ib_buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 10);
}

static void test_buf_cap_overflow(void **state)
{
	struct ib_buf b;

	(void)state;
	ib_buf_init(&b, 100);
	assert_int_equal(ib_buf_append(&b, "abc", 3), 0);
	/* Sizes that would wrap len + n must be refused, not allocated. */
	assert_int_equal(ib_buf_append(&b, "x", SIZE_MAX), IB_E_LIMIT);
	assert_int_equal(ib_buf_append(&b, "x", SIZE_MAX - 2), IB_E_LIMIT);
	assert_int_equal(ib_buf_append(&b, "x", 101), IB_E_LIMIT);
	assert_int_equal(ib_buf_append(&b, "x", 98), IB_E_LIMIT);
	assert_int_equal(b.len, 3);
	ib_buf_release(&b);

	ib_buf_init(&b, 0);
	assert_int_equal(ib_buf_append(&b, "", 0), 0);
	assert_int_equal(ib_buf_append(&b, "a", 1), IB_E_LIMIT);
	ib_buf_release(&b);
}

static void test_buf_grows(void **state)
{
	struct ib_buf b;
	uint8_t chunk[1000];

	(void)state;
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)i;
	ib_buf_init(&b, 1 << 20);
	for (int i = 0; i < 100; i++)
		assert_int_equal(ib_buf_append(&b, chunk, sizeof(chunk)), 0);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap > b.len);
	assert_memory_equal(b.data + 99000, chunk, sizeof(chunk));
	ib_buf_release(&b);
}

static void test_buf_printf(void **state)
{
	struct ib_buf b;

	(void)state;
	ib_buf_init(&b, 12);
	assert_int_equal(ib_buf_printf(&b, "%s-%d", "ab", 42), 0);
	assert_int_equal(ib_buf_printf(&b, "%s", ""), 0);
	assert_int_equal(ib_buf_printf(&b, "%05u", 7u), 0);
	assert_string_equal((char *)b.data, "ab-4200007");
	assert_int_equal(b.len, 10);
	assert_int_equal(ib_buf_printf(&b, "%s", "xyz"), IB_E_LIMIT); /* 13 > 12 */
	assert_int_equal(b.len, 10);
	assert_string_equal((char *)b.data, "ab-4200007");
	assert_int_equal(ib_buf_printf(&b, "%s", "xy"), 0); /* exactly 12 */
	assert_string_equal((char *)b.data, "ab-4200007xy");
	ib_buf_release(&b);
}

/* ---- number parsing ---- */

static void test_parse_u64_ok(void **state)
{
	uint64_t v = 99;

	(void)state;
	assert_int_equal(ib_parse_u64("0", 10, &v), 0);
	assert_true(v == 0);
	assert_int_equal(ib_parse_u64("10", 10, &v), 0); /* max is inclusive */
	assert_true(v == 10);
	assert_int_equal(ib_parse_u64("007", 10, &v), 0);
	assert_true(v == 7);
	assert_int_equal(ib_parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
}

static void test_parse_u64_errors(void **state)
{
	uint64_t v = 12345;

	(void)state;
	assert_int_equal(ib_parse_u64(NULL, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_u64("", 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_u64("11", 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_u64("-1", UINT64_MAX, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_u64("+1", UINT64_MAX, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_u64(" 1", UINT64_MAX, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_u64("1 ", UINT64_MAX, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_u64("1x", UINT64_MAX, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_u64("0x10", UINT64_MAX, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_u64("1.5", UINT64_MAX, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_u64("1e3", UINT64_MAX, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_u64("18446744073709551616", UINT64_MAX, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_u64("99999999999999999999999", UINT64_MAX, &v), IB_E_USAGE);
	assert_true(v == 12345); /* untouched on failure */
}

static void test_parse_int_ok(void **state)
{
	long v = 0;

	(void)state;
	assert_int_equal(ib_parse_int("5", 1, 19, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(ib_parse_int("1", 1, 19, &v), 0);
	assert_int_equal(ib_parse_int("19", 1, 19, &v), 0);
	assert_int_equal(v, 19);
	assert_int_equal(ib_parse_int("-7", -10, 10, &v), 0);
	assert_int_equal(v, -7);
	assert_int_equal(ib_parse_int("0", -10, 10, &v), 0);
	assert_int_equal(v, 0);
}

static void test_parse_int_errors(void **state)
{
	long v = 4242;

	(void)state;
	assert_int_equal(ib_parse_int(NULL, 0, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("", 0, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("0", 1, 19, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("20", 1, 19, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("-1", 0, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("-", -10, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("5x", 0, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("5 ", 0, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("0x5", 0, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("2.5", 0, 10, &v), IB_E_USAGE);
	/* Whole-string and strict, like ib_parse_u64: no leading white space or sign games. */
	assert_int_equal(ib_parse_int(" 5", 0, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("\t5", 0, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("\n5", 0, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("+5", 0, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("--5", -10, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("- 5", -10, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("99999999999999999999999", 0, 10, &v), IB_E_USAGE);
	assert_int_equal(ib_parse_int("-99999999999999999999999", -10, 10, &v), IB_E_USAGE);
	assert_int_equal(v, 4242);
}

/* ---- strings ---- */

static void test_strdup(void **state)
{
	char *p;

	(void)state;
	p = ib_strdup("abc");
	assert_non_null(p);
	assert_string_equal(p, "abc");
	free(p);
	p = ib_strdup("");
	assert_non_null(p);
	assert_string_equal(p, "");
	free(p);
}

static void test_snprintf_truncation(void **state)
{
	char buf[6];

	(void)state;
	assert_int_equal(ib_snprintf(buf, sizeof(buf), "%s", "abcde"), 0); /* exactly fits */
	assert_string_equal(buf, "abcde");
	assert_int_equal(ib_snprintf(buf, sizeof(buf), "%s", "abcdef"), -ENAMETOOLONG);
	assert_string_equal(buf, "abcde"); /* truncated but terminated */
	assert_int_equal(ib_snprintf(buf, sizeof(buf), "%d/%d", 12, 345), -ENAMETOOLONG);
	assert_string_equal(buf, "12/34");
	assert_int_equal(ib_snprintf(buf, sizeof(buf), "%s", ""), 0);
	assert_string_equal(buf, "");
	assert_int_equal(ib_snprintf(buf, 1, "%s", "a"), -ENAMETOOLONG);
	assert_string_equal(buf, "");
	assert_int_equal(ib_snprintf(NULL, 0, "%s", "a"), -ENAMETOOLONG);
}

static void test_format_utc(void **state)
{
	char buf[32];

	(void)state;
	ib_format_utc(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	ib_format_utc(1700000000, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20Z");
	ib_format_utc(951782400, buf, sizeof(buf)); /* leap day */
	assert_string_equal(buf, "2000-02-29T00:00:00Z");
	ib_format_utc(4102444799LL, buf, sizeof(buf));
	assert_string_equal(buf, "2099-12-31T23:59:59Z");
}

/* ---- err.c ---- */

static void test_err_detail(void **state)
{
	(void)state;
	ib_err_clear();
	assert_string_equal(ib_errmsg(IB_E_FORMAT), "malformed bundle");
	assert_int_equal(ib_fail(IB_E_FORMAT, "footer %d is %s", 7, "odd"), IB_E_FORMAT);
	assert_string_equal(ib_errmsg(IB_E_FORMAT), "footer 7 is odd");
	/* The detail belongs to its code: another code gets its generic text. */
	assert_string_equal(ib_errmsg(IB_E_SIGNATURE), "signature does not verify");
	assert_int_equal(ib_fail_ctx(IB_E_FORMAT, "package '%s': ", "x"), IB_E_FORMAT);
	assert_string_equal(ib_errmsg(IB_E_FORMAT), "package 'x': footer 7 is odd");
	/* Context on a code without a detail wraps the generic text. */
	assert_int_equal(ib_fail_ctx(IB_E_KEY, "'%s': ", "k.pub"), IB_E_KEY);
	assert_string_equal(ib_errmsg(IB_E_KEY), "'k.pub': unusable key");
	ib_err_clear();
	assert_string_equal(ib_errmsg(IB_E_KEY), "unusable key");
}

static void test_err_long_detail(void **state)
{
	char big[3000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ib_fail(IB_E_SPEC, "%s", big), IB_E_SPEC);
	assert_int_equal(strlen(ib_errmsg(IB_E_SPEC)), 1023); /* truncated to the detail buffer */
	assert_int_equal(ib_fail_ctx(IB_E_SPEC, "%s", big), IB_E_SPEC);
	assert_int_equal(strlen(ib_errmsg(IB_E_SPEC)), 1023);
	assert_int_equal(ib_errmsg(IB_E_SPEC)[0], 'a');
	ib_err_clear();
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(ib_strerror(0), "success");
	assert_string_equal(ib_strerror(IB_E_NODEVICE), "no InfiniBand device found");
	assert_string_equal(ib_strerror(IB_E_UNSUPPORTED_OS), "operating system not supported by this bundle");
	assert_string_equal(ib_strerror(-ENOENT), strerror(ENOENT));
	assert_string_equal(ib_strerror(-5000), "unknown error");
	assert_string_equal(ib_strerror(1), "unknown error");
	for (int c = IB_E_MISMATCH; c <= IB_E_USAGE; c++)
		assert_string_not_equal(ib_strerror(c), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_le_roundtrip),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_hex_decode_ok),
		cmocka_unit_test(test_hex_decode_errors),
		cmocka_unit_test(test_buf_append_and_cap),
		cmocka_unit_test(test_buf_cap_overflow),
		cmocka_unit_test(test_buf_grows),
		cmocka_unit_test(test_buf_printf),
		cmocka_unit_test(test_parse_u64_ok),
		cmocka_unit_test(test_parse_u64_errors),
		cmocka_unit_test(test_parse_int_ok),
		cmocka_unit_test(test_parse_int_errors),
		cmocka_unit_test(test_strdup),
		cmocka_unit_test(test_snprintf_truncation),
		cmocka_unit_test(test_format_utc),
		cmocka_unit_test(test_err_detail),
		cmocka_unit_test(test_err_long_detail),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
