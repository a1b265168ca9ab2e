/* Unit tests for the extension handler's documents (stub/extension_doc.c): the agents' settings
 * file in, the status file out, and the text cleaning both rely on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

#include "../../base/err.h"
#include "../../stub/extension.h"

static int apply(const char *text, struct stub_opts *o, struct ext_settings *x, struct ext_settings_report *r)
{
	memset(o, 0, sizeof(*o));
	memset(x, 0, sizeof(*x));
	return ext_settings_apply(o, x, text, strlen(text), r);
}

static const char *wrap(const char *pub)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf), "{\"runtimeSettings\":[{\"handlerSettings\":{\"publicSettings\":%s}}]}", pub);
	return buf;
}

static void test_settings_empty_and_shapes(void **state)
{
	struct stub_opts o;
	struct ext_settings x;
	struct ext_settings_report r;

	(void)state;
	assert_int_equal(apply("", &o, &x, &r), 0);
	assert_int_equal(apply(" \r\n", &o, &x, &r), 0);
	assert_int_equal(apply("{\"runtimeSettings\":[{}]}", &o, &x, &r), 0);
	assert_int_equal(apply("[]", &o, &x, &r), IB_E_FORMAT);
	assert_int_equal(apply("{\"runtimeSettings\":{}}", &o, &x, &r), IB_E_FORMAT);
	assert_int_equal(apply("{\"runtimeSettings\":[{\"handlerSettings\":3}]}", &o, &x, &r), IB_E_FORMAT);
	assert_int_equal(apply("not json", &o, &x, &r), IB_E_FORMAT);
	assert_int_equal(apply(wrap("[1]"), &o, &x, &r), IB_E_USAGE);
	assert_int_equal(apply(wrap("null"), &o, &x, &r), 0);
}

static void test_settings_applied(void **state)
{
	struct stub_opts o;
	struct ext_settings x;
	struct ext_settings_report r;

	(void)state;
	assert_int_equal(apply(wrap("{\"package\":\"ofed\",\"timeout\":900,\"allowDowngrade\":true,"
				    "\"os\":\"ubuntu-22.04\",\"nic\":[\"cx6\",\"cx7\"]}"),
			       &o, &x, &r),
			 0);
	assert_string_equal(o.force_package, "ofed");
	assert_int_equal(o.timeout, 900);
	assert_true(o.allow_downgrade);
	assert_string_equal(o.os_override, "ubuntu-22.04");
	assert_int_equal(o.n_nic_override, 2);
	assert_string_equal(o.nic_override[1], "cx7");
	assert_non_null(strstr(r.public_shown, "\"package\":\"ofed\""));
	assert_false(r.protected_ignored);
}

static void test_settings_rejected(void **state)
{
	static const char *const bad[] = {
		"{\"priorty\":1}",
		"{\"package\":\"\"}",
		"{\"package\":5}",
		"{\"timeout\":0}",
		"{\"timeout\":1.5}",
		"{\"timeout\":604801}",
		"{\"allowDowngrade\":\"yes\"}",
		"{\"nic\":[]}",
		"{\"nic\":[\"cx99\"]}",
		"{\"nic\":\"cx6\"}",
		"{\"os\":\"\"}",
	};
	struct stub_opts o;
	struct ext_settings x;
	struct ext_settings_report r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(apply(wrap(bad[i]), &o, &x, &r), IB_E_USAGE);
		assert_non_null(strstr(ib_errmsg(IB_E_USAGE), "public settings"));
	}
}

static void test_protected_settings_never_read(void **state)
{
	struct stub_opts o;
	struct ext_settings x;
	struct ext_settings_report r;

	(void)state;
	assert_int_equal(apply("{\"runtimeSettings\":[{\"handlerSettings\":{\"protectedSettings\":\"MIIB...\","
			       "\"protectedSettingsCertThumbprint\":\"AB\"}}]}",
			       &o, &x, &r),
			 0);
	assert_true(r.protected_ignored);
	assert_int_equal(
		apply("{\"runtimeSettings\":[{\"handlerSettings\":{\"protectedSettings\":\"\"}}]}", &o, &x, &r), 0);
	assert_false(r.protected_ignored);
}

static void test_status_document(void **state)
{
	struct ext_status st = {"Microsoft.HpcCompute.InfiniBandDriverLinux",
				"Enable",
				"success",
				0,
				"installed\ncx6",
				"driver detail"};
	char *text = ext_status_text(&st, 86400);
	cJSON *doc, *e, *s, *sub;

	(void)state;
	assert_non_null(text);
	/* The schema's version is the number 1.0, kept as written. */
	assert_non_null(strstr(text, "\"version\":\t1.0"));
	doc = cJSON_Parse(text);
	assert_true(cJSON_IsArray(doc));
	e = cJSON_GetArrayItem(doc, 0);
	assert_string_equal(cJSON_GetObjectItem(e, "timestampUTC")->valuestring, "1970-01-02T00:00:00Z");
	s = cJSON_GetObjectItem(e, "status");
	assert_string_equal(cJSON_GetObjectItem(s, "operation")->valuestring, "Enable");
	assert_int_equal(cJSON_GetObjectItem(s, "code")->valueint, 0);
	/* One line: the newline became a space. */
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "formattedMessage"), "message")->valuestring,
			    "installed cx6");
	sub = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "substatus"), 0);
	assert_string_equal(cJSON_GetObjectItem(sub, "name")->valuestring, "driver");
	cJSON_Delete(doc);
	free(text);

	st.detail = NULL;
	text = ext_status_text(&st, 0);
	assert_null(strstr(text, "substatus"));
	free(text);
}

static void test_status_caps_message(void **state)
{
	char *big = malloc(10000), *text;
	struct ext_status st = {"n", "Enable", "error", 14, NULL, NULL};
	cJSON *doc;
	const char *msg;

	(void)state;
	memset(big, 'x', 9999);
	big[9999] = '\0';
	st.message = big;
	text = ext_status_text(&st, 0);
	doc = cJSON_Parse(text);
	msg = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(doc, 0), "status"),
						      "formattedMessage"),
				  "message")
		      ->valuestring;
	assert_int_equal(strlen(msg), EXT_MESSAGE_MAX - 1);
	cJSON_Delete(doc);
	free(text);
	free(big);
}

static void test_clean_text(void **state)
{
	char out[16];

	(void)state;
	ext_clean_text("a\tb\x7f", out, sizeof(out));
	assert_string_equal(out, "a b ");
	ext_clean_text("\xc3\xa9t\xc3\xa9", out, sizeof(out)); /* valid UTF-8 is kept */
	assert_string_equal(out, "\xc3\xa9t\xc3\xa9");
	ext_clean_text("\xff\xc0\x80\xed\xa0\x80", out, sizeof(out)); /* invalid, overlong, surrogate */
	assert_null(strchr(out, 0x80));
	assert_int_equal(out[0], '?');
	ext_clean_text("0123456789abcdefXYZ", out, sizeof(out));
	assert_int_equal(strlen(out), 15);
	ext_clean_text("0123456789abcd\xc3\xa9", out, sizeof(out)); /* a character is never cut */
	assert_string_equal(out, "0123456789abcd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_empty_and_shapes),
		cmocka_unit_test(test_settings_applied),
		cmocka_unit_test(test_settings_rejected),
		cmocka_unit_test(test_protected_settings_never_read),
		cmocka_unit_test(test_status_document),
		cmocka_unit_test(test_status_caps_message),
		cmocka_unit_test(test_clean_text),
	};

	return cmocka_run_group_tests_name("extension_doc", tests, NULL, NULL);
}
