/* Unit tests for format/install.c and format/wincmd.c: the Windows install forms of a spec
 * (command_line, msi, properties, keep), their rules, the command lines built from them, and
 * the reason words policy/exitcode.c gives each failure. */
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
#include "../../format/wincmd.h"
#include "../../policy/exitcode.h"

/* A one-package spec for target with the given install object members. */
static int parse(const char *target, const char *install, struct ib_manifest *m)
{
	char json[8192];

	snprintf(json, sizeof(json),
		 "{\"name\": \"b\", \"version\": \"1\", \"sequence\": 1, \"target\": \"%s\", \"packages\": [{"
		 "\"id\": \"p\", \"name\": \"P\", \"version\": \"1\", \"source\": \"s\", "
		 "\"match\": {\"os\": [\"*\"], \"nic\": [\"cx6\"]}, \"install\": {%s}}]}",
		 target, install);
	return ib_spec_parse(json, strlen(json), m);
}

#define WIN "windows-x86_64"
#define LNX "linux-x86_64"

static void ok(const char *target, const char *install, struct ib_manifest *m)
{
	int rc = parse(target, install, m);

	if (rc)
		fail_msg("%s: %s", install, ib_errmsg(rc));
}

static void bad(const char *target, const char *install, const char *want)
{
	struct ib_manifest m;
	int rc = parse(target, install, &m);

	if (rc != IB_E_SPEC || !strstr(ib_errmsg(rc), want))
		fail_msg("%s: got %d '%s', want '%s'", install, rc, rc ? ib_errmsg(rc) : "", want);
}

static void test_command_line(void **state)
{
	struct ib_manifest m;
	char *json;
	size_t len;

	(void)state;
	ok(WIN, "\"command_line\": \"setup.exe /S /v\\\"/qn /norestart MT_SKIPFWUPGRD=1\\\"\"", &m);
	assert_string_equal(m.pkgs[0].install.command_line, "setup.exe /S /v\"/qn /norestart MT_SKIPFWUPGRD=1\"");
	assert_int_equal(m.pkgs[0].install.argv.n, 0);
	assert_int_equal(m.pkgs[0].install.reboot.n, 0);
	/* the manifest carries it unchanged */
	m.pkgs[0].length = 1;
	assert_int_equal(ib_manifest_serialize(&m, &json, &len), 0);
	assert_non_null(strstr(json, "\"command_line\":\t\"setup.exe /S /v\\\"/qn /norestart MT_SKIPFWUPGRD=1\\\"\""));
	assert_null(strstr(json, "\"command\""));
	free(json);
	ib_manifest_release(&m);
	ok(WIN, "\"command_line\": \"\\\"sub dir/setup.exe\\\" /S\"", &m);
	ib_manifest_release(&m);
	ok(WIN, "\"command_line\": \"cmd.exe /d /s /c \\\"if exist \\\"C:\\\\Windows\\\" echo yes\\\"\"", &m);
	ib_manifest_release(&m);
}

static void test_rules(void **state)
{
	(void)state;
	bad(WIN, "\"command\": [\"a.exe\"], \"command_line\": \"a.exe\"", "give only one of");
	bad(WIN, "\"command_line\": \"a.exe\", \"msi\": \"a.msi\"", "give only one of");
	bad(WIN, "\"timeout\": 5", "packages[0].install: missing \"command\"");
	bad(LNX, "\"command_line\": \"./install.sh\"", "install.command_line: only for windows-x86_64");
	bad(LNX, "\"msi\": \"a.msi\"", "install.msi: only for windows-x86_64");
	bad(LNX, "\"command\": [\"./i\"], \"keep\": true", "install.keep: only for windows-x86_64");
	bad(WIN, "\"command\": [\"a.exe\"], \"keep\": 1", "install.keep: expected true or false");
	bad(WIN, "\"command_line\": \"\"", "install.command_line: expected a non-empty string");
	bad(WIN, "\"command_line\": \"   \"", "names no program");
	bad(WIN, "\"command_line\": \"\\\"setup.exe /S\"", "opening quote is not closed");
	bad(WIN, "\"command_line\": \"a.exe\\nb\"", "control characters");
	bad(WIN, "\"command_line\": \"C:\\\\Windows\\\\x.exe /S\"", "must be a file of the package");
	bad(WIN, "\"command_line\": \"..\\\\x.exe\"", "must be a file of the package");
	bad(WIN, "\"command_line\": \"\\\\\\\\srv\\\\x.exe\"", "must be a file of the package");
	bad(WIN, "\"command_line\": \"install.cmd /q\"", "is a batch file");
	bad(WIN, "\"command_line\": \"a.exe\", \"properties\": {}", "belong to an \"msi\" install");
	bad(WIN, "\"command\": [\"a.exe\"], \"msiexec_args\": \"/x\"", "belong to an \"msi\" install");
	bad(WIN, "\"msi\": \"a.exe\"", "install.msi: expected the relative path of a .msi");
	bad(WIN, "\"msi\": \"../a.msi\"", "install.msi: expected the relative path of a .msi");
	bad(WIN, "\"msi\": \"a.msi\", \"properties\": {\"installdir\": \"x\"}",
	    "'installdir' is not a public property");
	bad(WIN, "\"msi\": \"a.msi\", \"properties\": {\"1X\": \"x\"}", "'1X' is not a public property");
	bad(WIN, "\"msi\": \"a.msi\", \"properties\": {\"X\": 1}", "properties.X: expected a string");
	bad(WIN, "\"msi\": \"a.msi\", \"properties\": {\"X\": \"a\\rb\"}", "properties.X: expected a string");
	bad(WIN, "\"msi\": \"a.msi\", \"properties\": []", "expected an object of at most 64");
	bad(LNX, "\"command\": [\"./i\"], \"reboot_codes\": [3010]",
	    "install.reboot_codes: 3010 can never be observed on Linux, where an exit status is 8 bits (it "
	    "would arrive as 194)");
	bad(LNX, "\"command\": [\"./i\"], \"success_codes\": [-1]", "install.success_codes: -1 can never be observed");
}

static void test_msi(void **state)
{
	struct ib_manifest m;
	const struct ib_install *in;
	char *line;

	(void)state;
	ok(WIN,
	   "\"msi\": \"sub/Fake OFED.msi\", \"properties\": {\"INSTALLDIR\": \"C:\\\\Program Files\\\\Fake OFED\", "
	   "\"Q\": \"say \\\"hi\\\"\", \"EMPTY\": \"\"}, \"msiexec_args\": \"REBOOT=ReallySuppress\", \"keep\": true",
	   &m);
	in = &m.pkgs[0].install;
	assert_true(in->keep);
	assert_int_equal(in->success.n, 1);
	assert_int_equal(in->success.v[0], 0);
	assert_int_equal(in->reboot.n, 2); /* the Windows Installer defaults */
	assert_true(ib_codes_has(&in->reboot, 1641) && ib_codes_has(&in->reboot, 3010));
	assert_int_equal(ib_msi_cmdline("C:\\windows\\system32\\msiexec.exe", "C:\\t\\p\\sub\\Fake OFED.msi", in,
					"C:\\logs\\b-p.msi.log", &line),
			 0);
	assert_string_equal(line, "\"C:\\windows\\system32\\msiexec.exe\" /i \"C:\\t\\p\\sub\\Fake OFED.msi\" /qn "
				  "/norestart /l*v \"C:\\logs\\b-p.msi.log\" REBOOT=ReallySuppress "
				  "INSTALLDIR=\"C:\\Program Files\\Fake OFED\" Q=\"say \"\"hi\"\"\" EMPTY=\"\"");
	free(line);
	assert_int_equal(ib_msi_cmdline("m.exe", "a.msi", in, NULL, &line), 0);
	assert_null(strstr(line, "/l*v"));
	free(line);
	ib_manifest_release(&m);
	/* given reboot codes win over the defaults */
	ok(WIN, "\"msi\": \"a.msi\", \"reboot_codes\": []", &m);
	assert_int_equal(m.pkgs[0].install.reboot.n, 0);
	ib_manifest_release(&m);
}

static void test_program_token(void **state)
{
	size_t s, n;

	(void)state;
	assert_int_equal(ib_wincmd_program("setup.exe /S /v\"/qn\"", &s, &n), 0);
	assert_int_equal(s, 0);
	assert_int_equal(n, 9);
	assert_int_equal(ib_wincmd_program("  \"my dir\\a b.exe\"/x", &s, &n), 0);
	assert_int_equal(s, 3);
	assert_int_equal(n, 14);
	assert_int_equal(ib_wincmd_program("\ta.exe\tb", &s, &n), 0);
	assert_int_equal(s, 1);
	assert_int_equal(n, 5);
	assert_int_equal(ib_wincmd_program("\"\" x", &s, &n), IB_E_USAGE);
	assert_int_equal(ib_wincmd_program("", &s, &n), IB_E_USAGE);
	assert_int_equal(ib_wincmd_program("\"a.exe", &s, &n), IB_E_USAGE);
}

static void test_relpath(void **state)
{
	static const char *const good[] = {"a.exe", "sub\\a.exe", "sub/a b.exe", "x.y/z"};
	static const char *const evil[] = {"",       "\\a.exe", "/a", "C:a.exe", "a\\..\\b", "..",  ".\\a",
					   "a\\\\b", "a|b",     "a*", "a\"b",    "a:b",      "a\\", "a\x01"};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_true(ib_wincmd_relpath_ok(good[i], strlen(good[i])));
	for (size_t i = 0; i < sizeof(evil) / sizeof(*evil); i++)
		if (ib_wincmd_relpath_ok(evil[i], strlen(evil[i])))
			fail_msg("'%s' passed", evil[i]);
	assert_true(ib_msi_property_ok("INSTALLDIR"));
	assert_true(ib_msi_property_ok("_X.Y1"));
	assert_false(ib_msi_property_ok("Installdir"));
	assert_false(ib_msi_property_ok(""));
	assert_false(ib_msi_property_ok("A B"));
}

/* The reason beside exit 100 (and every other failure): one word per cause. */
static void test_exit_reasons(void **state)
{
	static const struct {
		int err;
		const char *reason;
		int win;
	} cases[] = {
		{IB_E_NODEVICE, "no_device", 100},
		{IB_E_UNSUPPORTED_OS, "os_unsupported", 100},
		{IB_E_INSTALLER, "installer_failed", 100},
		{IB_E_TIMEOUT, "timeout", 240},
		{IB_E_UNSUPPORTED_KERNEL, "kernel_unsupported", 100},
		{IB_E_INTEGRITY, "integrity", 2},
		{IB_E_SIGNATURE, "integrity", 2},
		{IB_E_UNSAFE, "integrity", 100},
		{IB_E_ROLLBACK, "downgrade_refused", 100},
		{IB_E_LOCKED, "locked", 100},
		{IB_E_USAGE, "usage", 1},
		{IB_E_INTERRUPTED, "interrupted", -1},
		{-5 /* -EIO */, "error", -1},
	};

	(void)state;
	assert_null(ib_exit_reason(0));
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		assert_string_equal(ib_exit_reason(cases[i].err), cases[i].reason);
		assert_int_equal(ib_exit_code(cases[i].err, IB_TARGET_WINDOWS_X86_64), cases[i].win);
	}
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_line), cmocka_unit_test(test_rules),
		cmocka_unit_test(test_msi),          cmocka_unit_test(test_program_token),
		cmocka_unit_test(test_relpath),      cmocka_unit_test(test_exit_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
