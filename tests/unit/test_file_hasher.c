/* Unit tests for format/file_hasher.c: the helper thread gives every file the same SHA-256 as a
 * one-shot hash, whatever the sizes, the update pattern and the order of files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../format/file_hasher.h"
#include "../../signing/crypto.h"

#define SLOT IB_FILE_HASHER_SLOT

static uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);
	uint32_t x = seed * 2654435761u + 1;

	assert_non_null(p);
	for (size_t i = 0; i < n; i++) {
		x = x * 1664525u + 1013904223u;
		p[i] = (uint8_t)(x >> 24);
	}
	return p;
}

/* Feeds data in pieces of `step` bytes (the last one shorter) and checks the digest. */
static void check_file(struct ib_file_hasher *h, const uint8_t *data, size_t n, size_t step)
{
	uint8_t want[IB_SHA256_LEN], got[IB_SHA256_LEN];

	ib_sha256(data, n, want);
	ib_file_hasher_begin(h, n);
	for (size_t off = 0; off < n; off += step)
		ib_file_hasher_update(h, data + off, n - off < step ? n - off : step);
	ib_file_hasher_final(h, got);
	assert_memory_equal(want, got, IB_SHA256_LEN);
}

static void sizes_and_steps(void **state)
{
	static const size_t sizes[] = {0,        1,        SLOT - 1,     SLOT,          SLOT + 1,
				       2 * SLOT, 8 * SLOT, 8 * SLOT + 7, 12 * SLOT + 3, 17 * SLOT + 1,
				       3000000};
	static const size_t steps[] = {1u << 20, 65536, 4093, SLOT};

	(void)state;
	for (int threaded = 0; threaded <= 1; threaded++) {
		struct ib_file_hasher *h;

		assert_int_equal(ib_file_hasher_new(&h, threaded), 0);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			uint8_t *d = pattern(sizes[i], (unsigned)i);

			for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++)
				check_file(h, d, sizes[i], steps[s]);
			free(d);
		}
		ib_file_hasher_free(h);
	}
}

/* A header may announce a size the stream does not deliver (the caller then fails the file):
 * whatever was fed is what is hashed, in both modes. */
static void size_hint_only_picks_the_mode(void **state)
{
	uint8_t *d = pattern(3 * SLOT, 7);
	uint8_t want[IB_SHA256_LEN], got[IB_SHA256_LEN];
	struct ib_file_hasher *h;

	(void)state;
	assert_int_equal(ib_file_hasher_new(&h, 1), 0);
	ib_sha256(d, 3 * SLOT, want);
	ib_file_hasher_begin(h, 10); /* says small: hashed inline */
	ib_file_hasher_update(h, d, 3 * SLOT);
	ib_file_hasher_final(h, got);
	assert_memory_equal(want, got, IB_SHA256_LEN);
	ib_sha256(d, 100, want);
	ib_file_hasher_begin(h, 3 * SLOT); /* says large: threaded, gets only 100 bytes */
	ib_file_hasher_update(h, d, 100);
	ib_file_hasher_final(h, got);
	assert_memory_equal(want, got, IB_SHA256_LEN);
	ib_file_hasher_free(h);
	free(d);
}

/* A file abandoned mid-way (slots still queued) and the next one begun: the next digest is its own. */
static void abandoned_file_then_next(void **state)
{
	uint8_t *d = pattern(10 * SLOT, 11);
	struct ib_file_hasher *h;

	(void)state;
	assert_int_equal(ib_file_hasher_new(&h, 1), 0);
	ib_file_hasher_begin(h, 10 * SLOT);
	ib_file_hasher_update(h, d, 7 * SLOT + 5);
	check_file(h, d + 3, 9 * SLOT, SLOT / 3);
	check_file(h, d, 100, 7);
	ib_file_hasher_free(h);
	free(d);
}

/* Freed in the middle of a file (an extraction failing mid-file): no wait forever, no leak. */
static void freed_mid_file(void **state)
{
	uint8_t *d = pattern(6 * SLOT, 9);
	struct ib_file_hasher *h;

	(void)state;
	assert_int_equal(ib_file_hasher_new(&h, 1), 0);
	ib_file_hasher_begin(h, 6 * SLOT);
	ib_file_hasher_update(h, d, 6 * SLOT);
	ib_file_hasher_free(h);
	ib_file_hasher_free(NULL);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes_and_steps),
		cmocka_unit_test(size_hint_only_picks_the_mode),
		cmocka_unit_test(abandoned_file_then_next),
		cmocka_unit_test(freed_mid_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
