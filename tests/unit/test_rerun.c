/* Unit tests for stub/rerun.c: when a run has nothing to do, and when a recorded reboot is still pending. */
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

#include "../../base/err.h"
#include "unit.h"
#include "../../stub/rerun.h"

static char name[] = "b", ofed[] = "ofed", other[] = "ofed-cx3";

static struct stub_state_entry record(uint64_t seq, const char *pkg)
{
	struct stub_state_entry e;

	memset(&e, 0, sizeof(e));
	snprintf(e.bundle, sizeof(e.bundle), "b");
	e.sequence = seq;
	snprintf(e.package, sizeof(e.package), "%s", pkg);
	snprintf(e.installed, sizeof(e.installed), "2026-01-01T00:00:00Z");
	return e;
}

static void test_same(void **state)
{
	struct ib_manifest m;
	struct ib_package p;
	struct stub_state_entry e = record(7, "ofed");

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	m.name = name;
	m.sequence = 7;
	p.id = ofed;
	assert_true(stub_rerun_same(&e, &m, &p));
	assert_false(stub_rerun_same(NULL, &m, &p));
	assert_false(stub_rerun_same(&e, &m, NULL));
	m.sequence = 8; /* a new sequence installs */
	assert_false(stub_rerun_same(&e, &m, &p));
	m.sequence = 7;
	p.id = other; /* a new selection installs */
	assert_false(stub_rerun_same(&e, &m, &p));
}

static void test_decide(void **state)
{
	struct stub_opts o;
	struct stub_ctx c;
	struct ib_package p;
	struct stub_state_entry e = record(7, "ofed");

	(void)state;
	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	c.opts = &o;
	c.bundle.m.name = name;
	c.bundle.m.sequence = 7;
	p.id = ofed;
	c.sel.pkg = &p;
	stub_rerun_decide(&c, NULL);
	assert_string_equal(c.plan, STUB_PLAN_INSTALL);
	assert_false(c.already_installed);
	stub_rerun_decide(&c, &e);
	assert_string_equal(c.plan, STUB_PLAN_ALREADY);
	assert_true(c.already_installed);
	assert_non_null(strstr(c.message, "nothing was extracted or run"));
	o.reinstall = 1;
	stub_rerun_decide(&c, &e);
	assert_string_equal(c.plan, STUB_PLAN_REINSTALL);
	assert_false(c.already_installed);
}

static void test_same_boot(void **state)
{
	(void)state;
	assert_true(stub_same_boot("0c3f-aa", "0c3f-aa"));
	assert_false(stub_same_boot("0c3f-aa", "0c3f-ab"));
	/* Windows boot times: the same boot within a minute */
	assert_true(stub_same_boot("1764000000", "1764000059"));
	assert_true(stub_same_boot("1764000059", "1764000000"));
	assert_false(stub_same_boot("1764000000", "1764000061"));
	assert_false(stub_same_boot("1764000000", "x1764000000"));
	assert_false(stub_same_boot("", "1"));
}

static void test_reboot_pending(void **state)
{
	struct stub_state_entry e = record(1, "p");

	(void)state;
	assert_false(stub_reboot_pending(NULL, "a"));
	assert_false(stub_reboot_pending(&e, "a")); /* no reboot was asked for */
	e.reboot_required = 1;
	assert_true(stub_reboot_pending(&e, "a")); /* no boot id recorded: cannot prove a reboot */
	snprintf(e.boot_id, sizeof(e.boot_id), "a");
	assert_true(stub_reboot_pending(&e, "a"));
	assert_true(stub_reboot_pending(&e, "")); /* the current boot is unknown */
	assert_false(stub_reboot_pending(&e, "b"));
}

/* writes the sysroot's proc/sys/kernel/random/boot_id */
static void boot_file(const char *text)
{
	static const char *const dirs[] = {"proc", "proc/sys", "proc/sys/kernel", "proc/sys/kernel/random"};
	char path[IB_PATH_MAX + 64];
	FILE *f;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", unit_tmpdir, dirs[i]);
		(void)mkdir(path, 0755);
	}
	snprintf(path, sizeof(path), "%s/proc/sys/kernel/random/boot_id", unit_tmpdir);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void test_boot_id(void **state)
{
	char buf[64];

	(void)state;
	assert_int_not_equal(stub_boot_id(unit_tmpdir, buf, sizeof(buf)), 0); /* no file: unknown */
	assert_string_equal(buf, "");
	boot_file("6a1f4c3e-1111-2222-3333-444455556666\n");
	assert_int_equal(stub_boot_id(unit_tmpdir, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "6a1f4c3e-1111-2222-3333-444455556666");
	boot_file("\n");
	assert_int_equal(stub_boot_id(unit_tmpdir, buf, sizeof(buf)), IB_E_NOTFOUND);
	boot_file("0123456789");
	assert_int_equal(stub_boot_id(unit_tmpdir, buf, 8), IB_E_NOTFOUND); /* does not fit: unknown, not cut */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_same_boot),
		cmocka_unit_test(test_reboot_pending),
		cmocka_unit_test_setup_teardown(test_boot_id, unit_tmpdir_setup, unit_tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
