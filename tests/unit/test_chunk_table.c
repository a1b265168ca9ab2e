/* Unit tests for chunk tables in format/manifest.c: "chunk_table" parsing, where tables must lie
 * (after the blobs, in package order), mixing with inline lists, and the serialize round trip. */
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

/* Stub [0, 4096); blobs: A 100000 bytes (2 chunks of 64 KiB) at 4096, B 65536 (1 chunk) at
 * 104096; then A's table (64 bytes) at 169632 and B's (32) at 169696; the payload ends at 169728. */
#define P_START 4096u
#define P_END   169728u

#define HEAD                                                                                   \
	"{'format': 1, 'name': 'ex', 'version': '1', 'sequence': 1, 'target': 'linux-x86_64'," \
	" 'created': '2024-01-02T03:04:05Z', 'stub': {'size': 4096, 'sha256': '" H64C "'},"    \
	" 'chunk_size': 65536, 'packages': ["
#define PKG(id, off, len, chunks)                                                                       \
	"{'id': '" id "', 'name': 'n', 'version': '1', 'match': {'os': ['debian-12'], 'nic': ['cx6']}," \
	" 'install': {'command': ['./install.sh']}, 'unpacked_size': 1, 'file_count': 1,"               \
	" 'blob': {'offset': " off ", 'length': " len ", 'compression': 'none', 'sha256': '" H64A "'," chunks "}}"
#define TABLE(off) " 'chunk_table': {'offset': " off ", 'sha256': '" H64B "'}"

static int parse(const char *src, uint64_t end, struct ib_manifest *m)
{
	char *s = ib_strdup(src);
	int rc;

	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	rc = ib_manifest_parse(s, strlen(s), P_START, end, m);
	free(s);
	return rc;
}

static void test_tables(void **state)
{
	static const char src[] = HEAD PKG("a", "4096", "100000", TABLE("169632")) "," PKG("b", "104096", "65536",
											   TABLE("169696")) "]}";
	struct ib_manifest m;
	uint8_t b[IB_SHA256_LEN];

	(void)state;
	assert_int_equal(parse(src, P_END, &m), 0);
	ib_hex_decode(H64B, b, sizeof(b));
	assert_int_equal(m.npkgs, 2);
	assert_true(m.pkgs[0].has_table && m.pkgs[1].has_table);
	assert_null(m.pkgs[0].chunks); /* nothing decoded until the package is used */
	assert_int_equal(m.pkgs[0].nchunks, 2);
	assert_int_equal(m.pkgs[1].nchunks, 1);
	assert_int_equal(m.pkgs[0].table_offset, 169632);
	assert_int_equal(IB_CHUNK_TABLE_LEN(&m.pkgs[0]), 64);
	assert_memory_equal(m.pkgs[1].table_sha256, b, sizeof(b));
	ib_manifest_release(&m);
}

static void test_round_trip(void **state)
{
	static const char src[] = HEAD PKG("a", "4096", "100000", TABLE("169632")) "," PKG("b", "104096", "65536",
											   TABLE("169696")) "]}";
	struct ib_manifest m, again;
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(parse(src, P_END, &m), 0);
	assert_int_equal(ib_manifest_serialize(&m, &text, &len), 0);
	assert_non_null(strstr(text, "\"chunk_table\""));
	assert_null(strstr(text, "\"chunks\""));
	assert_int_equal(ib_manifest_parse(text, len, P_START, P_END, &again), 0);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(again.pkgs[i].has_table, 1);
		assert_int_equal(again.pkgs[i].table_offset, m.pkgs[i].table_offset);
		assert_memory_equal(again.pkgs[i].table_sha256, m.pkgs[i].table_sha256, IB_SHA256_LEN);
	}
	free(text);
	ib_manifest_release(&m);
	ib_manifest_release(&again);
}

static void test_mixed_with_inline_list(void **state)
{
	/* A keeps an inline list; only B has a table, right after the blobs. */
	static const char src[] = HEAD PKG("a", "4096", "100000", " 'chunks': ['" H64A "', '" H64B "']") "," PKG(
		"b", "104096", "65536", TABLE("169632")) "]}";
	struct ib_manifest m;

	(void)state;
	assert_int_equal(parse(src, 169664, &m), 0);
	assert_false(m.pkgs[0].has_table);
	assert_non_null(m.pkgs[0].chunks);
	assert_true(m.pkgs[1].has_table);
	ib_manifest_release(&m);
}

static void expect_rejected(const char *src, uint64_t end, const char *detail)
{
	struct ib_manifest m;

	assert_int_equal(parse(src, end, &m), IB_E_FORMAT);
	if (!strstr(ib_errmsg(IB_E_FORMAT), detail))
		fail_msg("error '%s' lacks '%s'", ib_errmsg(IB_E_FORMAT), detail);
}

static void test_rejections(void **state)
{
	(void)state;
	/* tables out of package order, a gap, an overlap, past the payload */
	expect_rejected(
		HEAD PKG("a", "4096", "100000", TABLE("169664")) "," PKG("b", "104096", "65536", TABLE("169632")) "]}",
		P_END, "chunk table at 169664");
	expect_rejected(
		HEAD PKG("a", "4096", "100000", TABLE("169640")) "," PKG("b", "104096", "65536", TABLE("169704")) "]}",
		169736, "chunk table at 169640");
	expect_rejected(
		HEAD PKG("a", "4096", "100000", TABLE("169632")) "," PKG("b", "104096", "65536", TABLE("169680")) "]}",
		P_END, "chunk table at 169680");
	expect_rejected(
		HEAD PKG("a", "4096", "100000", TABLE("169632")) "," PKG("b", "104096", "65536", TABLE("169696")) "]}",
		169720, "chunk table at 169696");
	/* bytes after the last table */
	expect_rejected(
		HEAD PKG("a", "4096", "100000", TABLE("169632")) "," PKG("b", "104096", "65536", TABLE("169696")) "]}",
		169736, "belong to no package");
	/* both forms, neither, a malformed table */
	expect_rejected(HEAD PKG("a", "4096", "100000", TABLE("169632") ", 'chunks': ['" H64A "', '" H64B "']") "," PKG(
				"b", "104096", "65536", TABLE("169696")) "]}",
			P_END, "not allowed with a chunk_table");
	expect_rejected(
		HEAD PKG("a", "4096", "100000", " 'x': 1") "," PKG("b", "104096", "65536", TABLE("169632")) "]}",
		169664, "chunks");
	expect_rejected(HEAD PKG("a", "4096", "100000", " 'chunk_table': ['" H64A "']") "," PKG("b", "104096", "65536",
												TABLE("169696")) "]}",
			P_END, "expected an object");
	expect_rejected(HEAD PKG("a", "4096", "100000", " 'chunk_table': {'offset': 169632, 'sha256': 'abc'}") "," PKG(
				"b", "104096", "65536", TABLE("169696")) "]}",
			P_END, "chunk_table.sha256");
	expect_rejected(HEAD PKG("a", "4096", "100000", " 'chunk_table': {'sha256': '" H64B "'}") "," PKG(
				"b", "104096", "65536", TABLE("169696")) "]}",
			P_END, "chunk_table.offset: missing");
	expect_rejected(HEAD PKG("a", "4096", "100000",
				 " 'chunk_table': {'offset': 1.5, 'sha256': '" H64B
				 "'}") "," PKG("b", "104096", "65536", TABLE("169696")) "]}",
			P_END, "chunk_table.offset");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_mixed_with_inline_list),
		cmocka_unit_test(test_rejections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
