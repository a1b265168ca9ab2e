/* Unit tests for format/text.c: UTF-8 well-formedness, the JSON text pre-check and display escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../base/err.h"
#include "../../format/manifest.h"
#include "../../base/text.h"
#include "../../base/util.h"

static int check(const char *s, size_t n)
{
	size_t where;

	return ib_json_text_check((const unsigned char *)s, n, &where);
}

static void test_utf8_seq(void **state)
{
	(void)state;
	assert_int_equal(ib_utf8_seq((const unsigned char *)"a", 1), 1);
	assert_int_equal(ib_utf8_seq((const unsigned char *)"\xc3\xa9", 2), 2);         /* é */
	assert_int_equal(ib_utf8_seq((const unsigned char *)"\xe2\x82\xac", 3), 3);     /* € */
	assert_int_equal(ib_utf8_seq((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4); /* emoji */
	assert_int_equal(ib_utf8_seq((const unsigned char *)"\xc0\xaf", 2), 0);         /* overlong '/' */
	assert_int_equal(ib_utf8_seq((const unsigned char *)"\xe0\x80\xaf", 3), 0);     /* overlong */
	assert_int_equal(ib_utf8_seq((const unsigned char *)"\xed\xa0\x80", 3), 0);     /* surrogate */
	assert_int_equal(ib_utf8_seq((const unsigned char *)"\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	assert_int_equal(ib_utf8_seq((const unsigned char *)"\xff", 1), 0);
	assert_int_equal(ib_utf8_seq((const unsigned char *)"\x80", 1), 0); /* lone continuation */
	assert_int_equal(ib_utf8_seq((const unsigned char *)"\xc3", 1), 0); /* truncated */
}

static void test_json_text_ok(void **state)
{
	const char *ok[] = {"{}", "{\"a\": \"caf\xc3\xa9\"}", "{\n\t\"a\": \"\\u001b[31m\"\r\n}",
			    "{\"a\": \"\\\"quoted\\\\\"}", "{\"a\": \"\\u0041\"}"};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(ok); i++)
		assert_int_equal(check(ok[i], strlen(ok[i])), 0);
}

static void test_json_text_bad(void **state)
{
	const char *bad[] = {
		"{\"a\": \"x\xff\"}",         /* invalid byte */
		"{\"a\": \"\xc0\xaf\"}",      /* overlong */
		"{\"a\": \"\xed\xa0\x80\"}",  /* surrogate */
		"{\"a\": \"line\nbreak\"}",   /* raw newline in a string */
		"{\"a\": \"\x1b[31mred\"}",   /* raw ESC in a string */
		"{\"a\": \"tab\there\"}",     /* raw tab in a string */
		"{\"a\": \"cut\\u0000off\"}", /* escaped NUL */
		"{\"a\xff\": 1}",             /* invalid byte in a key */
	};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++)
		assert_int_equal(check(bad[i], strlen(bad[i])), IB_E_FORMAT);
}

static void test_manifest_parser_refuses(void **state)
{
	const char *s = "{\"format\": 1, \"name\": \"a\xff\"}";
	struct ib_manifest m;

	(void)state;
	assert_int_equal(ib_manifest_parse(s, strlen(s), 0, 0, &m), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "invalid UTF-8"));
	s = "{\"name\": \"x\ny\"}";
	assert_int_equal(ib_spec_parse(s, strlen(s), &m), IB_E_SPEC);
	assert_non_null(strstr(ib_errmsg(IB_E_SPEC), "raw control character 0x0a"));
}

static void test_escape(void **state)
{
	char out[128];

	(void)state;
	assert_string_equal(ib_text_escape("plain caf\xc3\xa9", out, sizeof(out)), "plain caf\xc3\xa9");
	assert_string_equal(ib_text_escape("\x1b[2J\x1b[31mred", out, sizeof(out)), "\\x1b[2J\\x1b[31mred");
	assert_string_equal(ib_text_escape("a\nFAKE LOG LINE\r", out, sizeof(out)), "a\\nFAKE LOG LINE\\r");
	assert_string_equal(ib_text_escape("\x7f\t", out, sizeof(out)), "\\x7f\\t");
	assert_string_equal(ib_text_escape("c1 \xc2\x9b", out, sizeof(out)), "c1 \\u009b");
	assert_string_equal(ib_text_escape("rlo \xe2\x80\xae!", out, sizeof(out)), "rlo \\u202e!");
	assert_string_equal(ib_text_escape("bad \xff", out, sizeof(out)), "bad \\xff");
	assert_string_equal(ib_text_escape(NULL, out, sizeof(out)), "");
}

static void test_escape_truncates(void **state)
{
	char out[12];

	(void)state;
	ib_text_escape("0123456789abcdef", out, sizeof(out));
	assert_int_equal(strlen(out), 11);
	assert_string_equal(out + strlen(out) - 3, "...");
	/* an escape is never cut in half */
	ib_text_escape("0123456\x1b", out, sizeof(out));
	assert_string_equal(out, "0123456...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_seq),      cmocka_unit_test(test_json_text_ok),
		cmocka_unit_test(test_json_text_bad), cmocka_unit_test(test_manifest_parser_refuses),
		cmocka_unit_test(test_escape),        cmocka_unit_test(test_escape_truncates),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
