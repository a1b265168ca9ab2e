/* Unit tests for ib_path_check (archive entry paths): absolute, "..", ".", empty components, backslash, drive letter, length; trailing slash allowed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../base/err.h"
#include "../../format/outdir.h"
#include "../../base/util.h"

static int check(const char *path)
{
	/* An exact-size copy, so ASan sees any read past the terminator. */
	size_t n = strlen(path) + 1;
	char *copy = malloc(n);
	int rc;

	assert_non_null(copy);
	memcpy(copy, path, n);
	rc = ib_path_check(copy);
	free(copy);
	return rc;
}

static void expect_ok(const char *const *paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (check(paths[i]) != 0)
			fail_msg("'%s' refused: %s", paths[i], ib_errmsg(IB_E_UNSAFE));
}

static void expect_unsafe(const char *const *paths, size_t n, const char *why)
{
	for (size_t i = 0; i < n; i++) {
		int rc = check(paths[i]);

		if (rc != IB_E_UNSAFE)
			fail_msg("'%s' gave %d, not IB_E_UNSAFE", paths[i], rc);
		if (why && !strstr(ib_errmsg(IB_E_UNSAFE), why))
			fail_msg("'%s': detail '%s' lacks '%s'", paths[i], ib_errmsg(IB_E_UNSAFE), why);
	}
}

static void test_plain_paths(void **state)
{
	static const char *const ok[] = {
		"a",       "install.sh", "a/b",       "a/b/c/d.txt", "RPMS/x86_64/libibverbs-44.0.rpm",
		"a b/c d", ".hidden",    "a/.hidden", "..a",         "a..",
		"a/..b",   "...",        "a/.../b",   ".a/.b",       "-rf",
	};

	(void)state;
	expect_ok(ok, IB_ARRAY_LEN(ok));
}

static void test_trailing_slash_allowed(void **state)
{
	static const char *const ok[] = {"dir/", "a/b/", "a/b/c/", ".hidden/", "..a/"};

	(void)state;
	expect_ok(ok, IB_ARRAY_LEN(ok));
}

static void test_absolute(void **state)
{
	static const char *const bad[] = {"/", "/a", "/etc/passwd", "//a", "/a/"};

	(void)state;
	expect_unsafe(bad, IB_ARRAY_LEN(bad), "absolute path");
}

static void test_dotdot(void **state)
{
	static const char *const bad[] = {"..",     "../",          "../a",  "a/..",
					  "a/../b", "a/b/../../..", "a/../", "../../etc/passwd"};

	(void)state;
	expect_unsafe(bad, IB_ARRAY_LEN(bad), "'..' component");
}

static void test_dot(void **state)
{
	static const char *const bad[] = {".", "./", "./a", "a/.", "a/./b", "a/./"};

	(void)state;
	expect_unsafe(bad, IB_ARRAY_LEN(bad), "'.'");
}

static void test_empty_component(void **state)
{
	static const char *const bad[] = {"a//b", "a//", "a/b//c", "a///"};

	(void)state;
	expect_unsafe(bad, IB_ARRAY_LEN(bad), "empty");
}

static void test_empty_path(void **state)
{
	static const char *const bad[] = {""};

	(void)state;
	expect_unsafe(bad, IB_ARRAY_LEN(bad), "empty or overlong");
}

static void test_backslash(void **state)
{
	static const char *const bad[] = {
		"a\\b", "\\a", "a\\", "..\\..\\windows\\system32", "a/b\\..\\c", "\\\\server\\share"};

	(void)state;
	expect_unsafe(bad, IB_ARRAY_LEN(bad), "backslash");
}

static void test_drive_letter(void **state)
{
	static const char *const bad[] = {"C:", "C:/x", "c:x", "Z:/windows/system32", "C:a/b"};

	(void)state;
	expect_unsafe(bad, IB_ARRAY_LEN(bad), "drive letter");
}

static void test_length(void **state)
{
	char *p = malloc(4098);

	(void)state;
	assert_non_null(p);
	memset(p, 'a', 4097);
	for (size_t i = 100; i < 4096; i += 100)
		p[i] = '/';
	p[4096] = '\0';
	assert_int_equal(ib_path_check(p), 0); /* 4096 bytes */
	p[4096] = 'a';
	p[4097] = '\0';
	assert_int_equal(ib_path_check(p), IB_E_UNSAFE); /* 4097 */
	assert_non_null(strstr(ib_errmsg(IB_E_UNSAFE), "overlong"));
	free(p);
}

/* The detail names the path, for the extraction error message. */
static void test_detail_names_path(void **state)
{
	(void)state;
	assert_int_equal(check("x/../../y"), IB_E_UNSAFE);
	assert_non_null(strstr(ib_errmsg(IB_E_UNSAFE), "'x/../../y'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_paths),
		cmocka_unit_test(test_trailing_slash_allowed),
		cmocka_unit_test(test_absolute),
		cmocka_unit_test(test_dotdot),
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_empty_component),
		cmocka_unit_test(test_empty_path),
		cmocka_unit_test(test_backslash),
		cmocka_unit_test(test_drive_letter),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_detail_names_path),
	};

	return cmocka_run_group_tests_name("extract_path", tests, NULL, NULL);
}
