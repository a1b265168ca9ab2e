/* Unit tests for the builder's logic: the spec lint (builder/lint.c) and packing a package
 * (builder/pack.c), plan first and then write, on source trees made in a private temp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../base/err.h"
#include "unit.h"
#include "../../base/fs.h"
#include "../../base/util.h"
#include "../../builder/lint.h"
#include "../../builder/pack.h"

#define dir unit_tmpdir

static void put(const char *rel, const char *text)
{
	char p[IB_PATH_MAX];

	assert_int_equal(ib_snprintf(p, sizeof(p), "%s/%s", dir, rel), 0);
	assert_int_equal(ib_atomic_write_file(p, 0644, text, strlen(text)), 0);
}

static void sub(char *out, const char *rel)
{
	assert_int_equal(ib_snprintf(out, IB_PATH_MAX, "%s/%s", dir, rel), 0);
}

/* A spec with two packages whose rules are given as JSON fragments. */
static void spec(struct ib_manifest *m, const char *target, const char *match_a, const char *match_b)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"name\":\"t\",\"version\":\"1\",\"sequence\":1,\"target\":\"%s\",\"packages\":["
		 "{\"id\":\"a\",\"name\":\"A\",\"version\":\"1\",\"source\":\"a\",\"match\":%s,"
		 "\"install\":{\"command\":[\"./i.sh\"]}},"
		 "{\"id\":\"b\",\"name\":\"B\",\"version\":\"1\",\"source\":\"b\",\"match\":%s,"
		 "\"install\":{\"command\":[\"./i.sh\"]}}]}",
		 target, match_a, match_b);
	assert_int_equal(ib_spec_parse(text, strlen(text), m), 0);
}

static int has_finding(const struct ib_lint *l, const char *kind, const char *pkg)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].kind, kind) && (!pkg || (l->v[i].pkg && !strcmp(l->v[i].pkg, pkg))))
			return 1;
	return 0;
}

/* ---- lint ---- */

static void test_lint_clean_spec(void **state)
{
	struct ib_manifest m;
	struct ib_lint l;

	(void)state;
	spec(&m, "linux-x86_64", "{\"os\":[\"ubuntu-22.04\"],\"nic\":[\"cx6\"]}",
	     "{\"os\":[\"ubuntu-24.04\"],\"nic\":[\"cx6\"]}");
	assert_int_equal(ib_lint_spec(&m, &l), 0);
	assert_int_equal(l.n, 0);
	ib_lint_release(&l);
	ib_manifest_release(&m);
}

static void test_lint_overlap_and_unreachable(void **state)
{
	struct ib_manifest m;
	struct ib_lint l;

	(void)state;
	/* Same rules and priority: b can never be chosen. */
	spec(&m, "linux-x86_64", "{\"os\":[\"ubuntu-*\"],\"nic\":[\"cx6\"]}",
	     "{\"os\":[\"ubuntu-22.04\"],\"nic\":[\"cx6\"]}");
	assert_int_equal(ib_lint_spec(&m, &l), 0);
	assert_true(l.n > 0);
	assert_true(has_finding(&l, "overlap", NULL) || has_finding(&l, "unreachable", "b"));
	ib_lint_release(&l);
	ib_manifest_release(&m);
}

static void test_lint_tokens(void **state)
{
	struct ib_manifest m;
	struct ib_lint l;

	(void)state;
	spec(&m, "linux-x86_64", "{\"os\":[\"windows-server-2019\"],\"nic\":[\"cx6\"]}",
	     "{\"os\":[\"ubuntu-22.04\"],\"nic\":[\"cx99\"]}");
	assert_int_equal(ib_lint_spec(&m, &l), 0);
	assert_true(has_finding(&l, "wrong-target-os", "a"));
	assert_true(has_finding(&l, "unknown-nic", "b"));
	for (size_t i = 0; i < l.n; i++)
		assert_true(l.v[i].msg[0] != '\0');
	ib_lint_release(&l);
	ib_manifest_release(&m);
}

/* ---- packing ---- */

static void pack_opts(struct ib_pack_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mtime = 1700000000;
	o->chunk_size = 4096;
	o->zstd_level = 3;
}

static void one_package(struct ib_manifest *m, const char *compression)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"name\":\"t\",\"version\":\"1\",\"sequence\":1,\"target\":\"linux-x86_64\",\"packages\":["
		 "{\"id\":\"a\",\"name\":\"A\",\"version\":\"1\",\"source\":\"src\",\"compression\":\"%s\","
		 "\"match\":{\"os\":[\"ubuntu-22.04\"],\"nic\":[\"cx6\"]},\"install\":{\"command\":[\"./i.sh\"]}}]}",
		 compression);
	assert_int_equal(ib_spec_parse(text, strlen(text), m), 0);
}

static void make_tree(void)
{
	char p[IB_PATH_MAX];

	sub(p, "src");
	assert_int_equal(mkdir(p, 0755), 0);
	sub(p, "src/d");
	assert_int_equal(mkdir(p, 0755), 0);
	put("src/i.sh", "#!/bin/sh\nexit 0\n");
	put("src/d/data", "0123456789");
	sub(p, "src/i.sh");
	assert_int_equal(chmod(p, 0755), 0);
}

static void test_pack_stored_plan_matches_write(void **state)
{
	struct ib_manifest m;
	struct ib_pack_opts o;
	struct ib_pack_plan plan;
	char src[IB_PATH_MAX], out[IB_PATH_MAX];
	struct stat st;
	uint64_t bytes;
	int fd;

	(void)state;
	make_tree();
	one_package(&m, "none");
	pack_opts(&o);
	sub(src, "src");
	assert_int_equal(ib_pack_source_size(src, &bytes), 0);
	assert_int_equal(bytes, 17 + 10);
	assert_int_equal(ib_pack_plan(&m.pkgs[0], src, &o, &plan), 0);
	assert_int_equal(plan.comp, IB_COMP_NONE);
	assert_true(plan.length > 0 && plan.length % 512 == 0);
	sub(out, "blob");
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ib_pack_write(fd, 100, &m.pkgs[0], src, &o, &plan), 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	/* The blob went exactly where and as long as planned. */
	assert_int_equal(m.pkgs[0].length, plan.length);
	assert_int_equal((uint64_t)st.st_size, 100 + plan.length);
	assert_int_equal(m.pkgs[0].file_count, 3); /* entries: i.sh, d/, d/data */
	assert_int_equal(m.pkgs[0].unpacked_size, 27);
	ib_manifest_release(&m);
}

static void test_pack_is_reproducible(void **state)
{
	struct ib_manifest m1, m2;
	struct ib_pack_opts o;
	struct ib_pack_plan plan;
	char src[IB_PATH_MAX], out[IB_PATH_MAX];
	int fd;

	(void)state;
	make_tree();
	pack_opts(&o);
	sub(src, "src");
	sub(out, "blob");
	one_package(&m1, "zstd");
	one_package(&m2, "zstd");
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(ib_pack_plan(&m1.pkgs[0], src, &o, &plan), 0);
	assert_int_equal(plan.comp, IB_COMP_ZSTD);
	assert_int_equal(ib_pack_write(fd, 0, &m1.pkgs[0], src, &o, &plan), 0);
	assert_int_equal(ib_pack_plan(&m2.pkgs[0], src, &o, &plan), 0);
	assert_int_equal(ib_pack_write(fd, 0, &m2.pkgs[0], src, &o, &plan), 0);
	close(fd);
	assert_memory_equal(m1.pkgs[0].sha256, m2.pkgs[0].sha256, IB_SHA256_LEN);
	ib_manifest_release(&m1);
	ib_manifest_release(&m2);
}

static void test_pack_refuses_symlink_and_fifo(void **state)
{
	struct ib_manifest m;
	struct ib_pack_opts o;
	struct ib_pack_plan plan;
	char src[IB_PATH_MAX], p[IB_PATH_MAX];

	(void)state;
	make_tree();
	one_package(&m, "none");
	pack_opts(&o);
	sub(src, "src");
	sub(p, "src/link");
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_equal(ib_pack_plan(&m.pkgs[0], src, &o, &plan), IB_E_UNSAFE);
	assert_int_equal(unlink(p), 0);
	sub(p, "src/fifo");
	assert_int_equal(mkfifo(p, 0644), 0);
	assert_int_equal(ib_pack_plan(&m.pkgs[0], src, &o, &plan), IB_E_UNSAFE);
	ib_manifest_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lint_clean_spec),
		cmocka_unit_test(test_lint_overlap_and_unreachable),
		cmocka_unit_test(test_lint_tokens),
		cmocka_unit_test_setup_teardown(test_pack_stored_plan_matches_write, unit_tmpdir_setup,
						unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_pack_is_reproducible, unit_tmpdir_setup, unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_pack_refuses_symlink_and_fifo, unit_tmpdir_setup,
						unit_tmpdir_teardown),
	};

	return cmocka_run_group_tests_name("builder", tests, NULL, NULL);
}
