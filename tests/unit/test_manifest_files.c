/* Unit tests for the manifest's optional per-package file list and the kind/vendor fields:
 * parse, every rejection, serialize round trip, and manifests without them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/err.h"
#include "../../format/manifest.h"
#include "../../base/util.h"

#define H64A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define H64B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define H64C "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* One package, payload [4096, 5120), with FILES (the "files" member, or empty) spliced in. */
static char *manifest_with(const char *files, const char *extra)
{
	static const char fmt[] = "{'format': 1, 'name': 'x', 'version': '1', 'sequence': 1, 'target': 'linux-x86_64',"
				  " 'created': '2024-01-02T03:04:05Z', 'stub': {'size': 4096, 'sha256': '" H64C "'},"
				  " 'chunk_size': 65536, 'packages': [{'id': 'p', 'name': 'P', 'version': '1' %s,"
				  " 'match': {'os': ['debian-12'], 'nic': ['cx5']}, 'install': {'command': ['./i']},"
				  " 'unpacked_size': 10, 'file_count': 4,"
				  " 'blob': {'offset': 4096, 'length': 1024, 'compression': 'none', 'sha256': '" H64A
				  "',"
				  " 'chunks': ['" H64B "']} %s}]}";
	size_t n = sizeof(fmt) + strlen(files) + strlen(extra) + 16;
	char *s = malloc(n);

	assert_non_null(s);
	snprintf(s, n, fmt, extra, files);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

static int parse(const char *files, const char *extra, struct ib_manifest *m)
{
	char *s = manifest_with(files, extra);
	int rc = ib_manifest_parse(s, strlen(s), 4096, 5120, m);

	free(s);
	return rc;
}

#define GOOD_FILES                                                                          \
	", 'files': [{'path': 'a/b.txt', 'size': 7, 'mode': '0644', 'sha256': '" H64A "'}," \
	" {'path': 'install.sh', 'size': 3, 'mode': '0755', 'sha256': '" H64B "'},"         \
	" {'path': 'empty', 'size': 0, 'mode': '0644', 'sha256': '" H64C "'}]"

static void test_files_parsed(void **state)
{
	struct ib_manifest m;
	uint8_t a[32];

	(void)state;
	assert_int_equal(parse(GOOD_FILES, "", &m), 0);
	assert_true(m.pkgs[0].has_files);
	assert_int_equal(m.pkgs[0].nfiles, 3);
	assert_string_equal(m.pkgs[0].files[0].path, "a/b.txt");
	assert_int_equal(m.pkgs[0].files[0].size, 7);
	assert_int_equal(m.pkgs[0].files[0].mode, 0644);
	assert_int_equal(m.pkgs[0].files[1].mode, 0755);
	assert_int_equal(ib_hex_decode(H64A, a, 32), 0);
	assert_memory_equal(m.pkgs[0].files[0].sha256, a, 32);
	assert_int_equal(m.pkgs[0].files[2].size, 0);
	/* no kind given: the default, and not written back */
	assert_false(m.pkgs[0].has_kind);
	assert_null(m.pkgs[0].vendor);
	ib_manifest_release(&m);
}

static void test_files_optional(void **state)
{
	struct ib_manifest m;

	(void)state;
	assert_int_equal(parse("", "", &m), 0);
	assert_false(m.pkgs[0].has_files);
	assert_int_equal(m.pkgs[0].nfiles, 0);
	ib_manifest_release(&m);
	/* an empty list is fine only for a package without file bytes */
	assert_int_equal(parse(", 'files': []", "", &m), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "do not add up"));
}

static void expect_rejected(const char *files, const char *why)
{
	struct ib_manifest m;

	assert_int_equal(parse(files, "", &m), IB_E_FORMAT);
	if (!strstr(ib_errmsg(IB_E_FORMAT), why))
		fail_msg("'%s' does not say '%s'", ib_errmsg(IB_E_FORMAT), why);
}

static void test_files_rejected(void **state)
{
	(void)state;
	expect_rejected(", 'files': {}", "packages[0].files: expected an array of at most file_count entries");
	expect_rejected(", 'files': [1]", "packages[0].files[0]: expected an object");
	expect_rejected(", 'files': [{'path': 'a', 'size': 10, 'mode': '0644'}]", "files[0].sha256: missing");
	expect_rejected(", 'files': [{'path': 'a', 'size': 10, 'mode': '0777', 'sha256': '" H64A "'}]",
			"files[0].mode: expected \"0644\" or \"0755\"");
	expect_rejected(", 'files': [{'path': 'a', 'size': 10, 'mode': 644, 'sha256': '" H64A "'}]",
			"files[0].mode: expected a string");
	expect_rejected(", 'files': [{'path': '../a', 'size': 10, 'mode': '0644', 'sha256': '" H64A "'}]",
			"files[0].path: not a safe relative path");
	expect_rejected(", 'files': [{'path': '/etc/a', 'size': 10, 'mode': '0644', 'sha256': '" H64A "'}]",
			"files[0].path: not a safe relative path");
	expect_rejected(", 'files': [{'path': 'a', 'size': 10, 'mode': '0644', 'sha256': 'xyz'}]",
			"files[0].sha256: expected 64 hex digits");
	expect_rejected(", 'files': [{'path': 'a', 'size': 11, 'mode': '0644', 'sha256': '" H64A "'}]",
			"files[0].size: the files add up to more than unpacked_size");
	expect_rejected(", 'files': [{'path': 'a', 'size': 9, 'mode': '0644', 'sha256': '" H64A "'}]",
			"packages[0].files: the sizes do not add up to unpacked_size");
	expect_rejected(", 'files': [{'path': 'a', 'size': -1, 'mode': '0644', 'sha256': '" H64A "'}]",
			"files[0].size: expected an integer");
	/* more entries than file_count (4) */
	expect_rejected(", 'files': [{'path': 'a', 'size': 10, 'mode': '0644', 'sha256': '" H64A "'},"
			" {'path': 'b', 'size': 0, 'mode': '0644', 'sha256': '" H64A "'},"
			" {'path': 'c', 'size': 0, 'mode': '0644', 'sha256': '" H64A "'},"
			" {'path': 'd', 'size': 0, 'mode': '0644', 'sha256': '" H64A "'},"
			" {'path': 'e', 'size': 0, 'mode': '0644', 'sha256': '" H64A "'}]",
			"expected an array of at most file_count entries");
}

static void test_kind_vendor(void **state)
{
	struct ib_manifest m;

	(void)state;
	assert_int_equal(parse(GOOD_FILES, ", 'kind': 'firmware', 'vendor': 'NVIDIA'", &m), 0);
	assert_true(m.pkgs[0].has_kind);
	assert_int_equal(m.pkgs[0].kind, IB_KIND_FIRMWARE);
	assert_string_equal(m.pkgs[0].vendor, "NVIDIA");
	ib_manifest_release(&m);
	assert_int_equal(parse("", ", 'kind': 'driver'", &m), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "packages[0].kind: expected \"device-driver\""));
	assert_int_equal(parse("", ", 'vendor': 5", &m), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "packages[0].vendor: expected a string"));
	assert_string_equal(ib_kind_name(IB_KIND_DEVICE_DRIVER), "device-driver");
	assert_int_equal(ib_kind_from_name("library"), IB_KIND_LIBRARY);
	assert_int_equal(ib_kind_from_name("Library"), IB_E_USAGE);
}

static void test_roundtrip(void **state)
{
	struct ib_manifest m, back;
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(parse(GOOD_FILES, ", 'kind': 'library', 'vendor': 'Exämple'", &m), 0);
	assert_int_equal(ib_manifest_serialize(&m, &text, &len), 0);
	assert_non_null(strstr(text, "\"mode\":\t\"0755\""));
	assert_int_equal(ib_manifest_parse(text, len, 4096, 5120, &back), 0);
	assert_int_equal(back.pkgs[0].nfiles, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(back.pkgs[0].files[i].path, m.pkgs[0].files[i].path);
		assert_int_equal(back.pkgs[0].files[i].size, m.pkgs[0].files[i].size);
		assert_int_equal(back.pkgs[0].files[i].mode, m.pkgs[0].files[i].mode);
		assert_memory_equal(back.pkgs[0].files[i].sha256, m.pkgs[0].files[i].sha256, 32);
	}
	assert_int_equal(back.pkgs[0].kind, IB_KIND_LIBRARY);
	assert_string_equal(back.pkgs[0].vendor, "Exämple");
	free(text);
	ib_manifest_release(&back);
	ib_manifest_release(&m);
	/* without a list nothing is written, so such a manifest serializes as before */
	assert_int_equal(parse("", "", &m), 0);
	assert_int_equal(ib_manifest_serialize(&m, &text, &len), 0);
	assert_null(strstr(text, "\"files\""));
	assert_null(strstr(text, "\"kind\""));
	free(text);
	ib_manifest_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_parsed),   cmocka_unit_test(test_files_optional),
		cmocka_unit_test(test_files_rejected), cmocka_unit_test(test_kind_vendor),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
