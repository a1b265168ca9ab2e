/* Unit tests for the stub's install record and rollback rule (stub/state.c, state_posix.c) and
 * for the platform-neutral half of detection (stub/host.c, policy/pci.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../base/err.h"
#include "unit.h"
#include "../../base/fs.h"
#include "../../base/util.h"
#include "../../policy/pci.h"
#include "../../stub/state.h"
#include "../../stub/stub.h"

#define root unit_tmpdir

static void entry(struct stub_state_entry *e, const char *bundle, uint64_t seq)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->bundle, sizeof(e->bundle), "%s", bundle);
	e->sequence = seq;
	snprintf(e->version, sizeof(e->version), "1.%llu", (unsigned long long)seq);
	snprintf(e->package, sizeof(e->package), "pkg");
	snprintf(e->package_version, sizeof(e->package_version), "9");
	snprintf(e->installed, sizeof(e->installed), "2026-01-02T03:04:05Z");
}

static void manifest(struct ib_manifest *m, const char *name, uint64_t seq)
{
	memset(m, 0, sizeof(*m));
	m->name = (char *)name;
	m->sequence = seq;
}

static void write_state_text(const char *text)
{
	char dir[IB_PATH_MAX], path[IB_PATH_MAX];

	assert_int_equal(state_plat_dir(root, 1, dir, sizeof(dir)), 0);
	assert_int_equal(ib_snprintf(path, sizeof(path), "%s/state.json", dir), 0);
	assert_int_equal(ib_atomic_write_file(path, 0644, text, strlen(text)), 0);
}

/* ---- the record ---- */

static void test_missing_state_is_empty(void **state)
{
	struct stub_state s;
	struct stub_state_entry e;
	struct ib_manifest m;

	(void)state;
	assert_int_equal(stub_state_load(root, NULL, &s), 0);
	assert_false(s.exists);
	assert_false(s.corrupt);
	assert_int_equal(stub_state_get(&s, "b", &e), IB_E_NOTFOUND);
	manifest(&m, "b", 1);
	assert_int_equal(stub_state_check(&s, &m, 0), 0);
	stub_state_release(&s);
}

static void test_save_load_roundtrip(void **state)
{
	struct stub_state s;
	struct stub_state_entry e, got;
	char path[IB_PATH_MAX];
	struct stat st;

	(void)state;
	assert_int_equal(stub_state_load(root, NULL, &s), 0);
	entry(&e, "bundle-a", 7);
	e.reboot_required = 1;
	assert_int_equal(stub_state_set(&s, &e), 0);
	entry(&e, "bundle-b", 3);
	assert_int_equal(stub_state_set(&s, &e), 0);
	assert_int_equal(stub_state_save(&s), 0);
	stub_state_release(&s);

	assert_int_equal(ib_snprintf(path, sizeof(path), "%s/var/lib/ibpack/state.json", root), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(stub_state_load(root, NULL, &s), 0);
	assert_true(s.exists);
	assert_int_equal(stub_state_get(&s, "bundle-a", &got), 0);
	assert_int_equal(got.sequence, 7);
	assert_string_equal(got.version, "1.7");
	assert_true(got.reboot_required);
	assert_int_equal(stub_state_get(&s, "bundle-b", &got), 0);
	assert_false(got.reboot_required);
	stub_state_release(&s);
}

static void test_rollback_rule(void **state)
{
	struct stub_state s;
	struct stub_state_entry e;
	struct ib_manifest m;

	(void)state;
	assert_int_equal(stub_state_load(root, NULL, &s), 0);
	entry(&e, "b", 5);
	assert_int_equal(stub_state_set(&s, &e), 0);
	manifest(&m, "b", 5);
	assert_int_equal(stub_state_check(&s, &m, 0), 0); /* the same sequence may run again */
	manifest(&m, "b", 6);
	assert_int_equal(stub_state_check(&s, &m, 0), 0);
	manifest(&m, "b", 4);
	assert_int_equal(stub_state_check(&s, &m, 0), IB_E_ROLLBACK);
	assert_non_null(strstr(ib_errmsg(IB_E_ROLLBACK), "4"));
	assert_non_null(strstr(ib_errmsg(IB_E_ROLLBACK), "5"));
	assert_int_equal(stub_state_check(&s, &m, 1), 0); /* --allow-downgrade */
	manifest(&m, "other", 1);
	assert_int_equal(stub_state_check(&s, &m, 0), 0); /* other bundles do not count */
	stub_state_release(&s);
}

static void test_corrupt_state_blocks_until_downgrade_allowed(void **state)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{\"format\": 1}",
		"{\"format\": 99, \"bundles\": {}}",
	};
	struct stub_state s;
	struct ib_manifest m;

	(void)state;
	manifest(&m, "b", 1);
	for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
		write_state_text(bad[i]);
		assert_int_equal(stub_state_load(root, NULL, &s), 0);
		assert_true(s.corrupt);
		assert_true(s.problem[0] != '\0');
		assert_int_equal(stub_state_check(&s, &m, 0), IB_E_ROLLBACK);
		assert_int_equal(stub_state_check(&s, &m, 1), 0);
		stub_state_release(&s);
	}
}

static void test_state_not_a_regular_file(void **state)
{
	char path[IB_PATH_MAX];
	struct stub_state s;

	(void)state;
	write_state_text("{}");
	assert_int_equal(ib_snprintf(path, sizeof(path), "%s/var/lib/ibpack/state.json", root), 0);
	assert_int_equal(unlink(path), 0);
	/* A FIFO planted at the record's path must neither block nor be read. */
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(stub_state_load(root, NULL, &s), 0);
	assert_true(s.corrupt);
	assert_non_null(strstr(s.problem, "not a regular file"));
	stub_state_release(&s);
	/* A symlink is refused too, not followed. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	assert_true(stub_state_load(root, NULL, &s) < 0);
	stub_state_release(&s);
}

/* ---- detection: classification and the NIC list ---- */

static void test_pci_classify(void **state)
{
	struct ib_pci_verdict v;

	(void)state;
	ib_pci_classify(0x101b, 0x020700, 1, &v); /* ConnectX-6 PF, InfiniBand */
	assert_true(v.infiniband);
	assert_false(v.is_vf);
	assert_int_equal(v.nmodels, 1);
	assert_string_equal(v.models[0], "cx6");
	assert_string_equal(v.note, "");
	ib_pci_classify(0x101c, 0x020700, 1, &v); /* ConnectX-6 VF */
	assert_true(v.infiniband);
	assert_true(v.is_vf);
	ib_pci_classify(0x101c, 0x020000, 1, &v); /* the same VF on Ethernet: accelerated networking */
	assert_false(v.infiniband);
	assert_non_null(strstr(v.note, "not InfiniBand"));
	ib_pci_classify(0xbeef, 0x020700, 1, &v);
	assert_false(v.infiniband);
	assert_non_null(strstr(v.note, "unknown Mellanox device id 0xbeef"));
	ib_pci_classify(0x101b, 0, 0, &v);
	assert_false(v.infiniband);
	assert_non_null(strstr(v.note, "no class code"));
}

static void test_host_collect_dedups_infiniband_only(void **state)
{
	struct stub_host h;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.ndevs = 3;
	h.devs[0].device = 0x101b;
	h.devs[0].class_code = 0x020700;
	stub_dev_classify(&h.devs[0], 1);
	h.devs[1] = h.devs[0];
	h.devs[2].device = 0x101c;
	h.devs[2].class_code = 0x020000;
	stub_dev_classify(&h.devs[2], 1);
	stub_host_collect(&h);
	assert_int_equal(h.nnics, 1);
	assert_string_equal(h.nics[0], "cx6");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_state_is_empty, unit_tmpdir_setup, unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_save_load_roundtrip, unit_tmpdir_setup, unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_rollback_rule, unit_tmpdir_setup, unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_state_blocks_until_downgrade_allowed, unit_tmpdir_setup,
						unit_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_state_not_a_regular_file, unit_tmpdir_setup, unit_tmpdir_teardown),
		cmocka_unit_test(test_pci_classify),
		cmocka_unit_test(test_host_collect_dedups_infiniband_only),
	};

	return cmocka_run_group_tests_name("stub_state", tests, NULL, NULL);
}
