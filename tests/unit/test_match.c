/* Unit tests for policy/match.c: glob, NIC tokens and PCI ids (shared VF ids), OS tokens, ib_select's rules and reasons, kernel rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../base/err.h"
#include "../../policy/match.h"
#include "../../base/util.h"

/* ---- glob ---- */

static void test_glob(void **state)
{
	(void)state;
	assert_true(ib_glob("ubuntu-20.04", "ubuntu-20.04"));
	assert_false(ib_glob("ubuntu-20.04", "ubuntu-20.040"));
	assert_false(ib_glob("ubuntu-20.04", "ubuntu-20.0"));
	assert_true(ib_glob("ubuntu-*", "ubuntu-22.04"));
	assert_true(ib_glob("ubuntu-*", "ubuntu-"));
	assert_false(ib_glob("ubuntu-*", "ubuntu"));
	assert_true(ib_glob("rhel-8.*", "rhel-8.10"));
	assert_false(ib_glob("rhel-8.*", "rhel-9.0"));
	assert_false(ib_glob("rhel-8.*", "rhel-80"));
	assert_true(ib_glob("*-20.04", "ubuntu-20.04"));
	assert_true(ib_glob("windows-server-*", "windows-server-2012r2"));
	assert_false(ib_glob("windows-server-*", "windows-11"));
	assert_true(ib_glob("*", ""));
	assert_true(ib_glob("*", "anything"));
	assert_true(ib_glob("**", "x"));
	assert_true(ib_glob("", ""));
	assert_false(ib_glob("", "x"));
	assert_false(ib_glob("x", ""));
	assert_true(ib_glob("a*b*c", "abc"));
	assert_true(ib_glob("a*b*c", "aXXbYYc"));
	assert_false(ib_glob("a*b*c", "acb"));
	assert_true(ib_glob("*ab", "aab"));
	assert_true(ib_glob("a*a*a", "aaaa"));
	assert_false(ib_glob("a*a*a", "aa"));
	assert_false(ib_glob("*a", "bbb"));
	/* Only '*' is special. */
	assert_false(ib_glob("ubuntu-2?.04", "ubuntu-20.04"));
	assert_true(ib_glob("ubuntu-2?.04", "ubuntu-2?.04"));
	assert_false(ib_glob("[u]buntu", "ubuntu"));
	/* Backtracking stays linear enough for hostile patterns. */
	assert_false(ib_glob("*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

/* ---- NIC vocabulary ---- */

static void test_nic_tokens(void **state)
{
	const char *known[] = {"cx3",   "cx3pro", "cib", "cx4", "cx4lx", "cx5", "cx5ex", "cx6",
			       "cx6dx", "cx6lx",  "cx7", "cx8", "bf2",   "bf3", "nd"};
	const char *unknown[] = {"", "cx", "cx9", "CX5", "cx5 ", "connectx-5", "cx3-pro", "bf"};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(known); i++) {
		assert_true(ib_nic_token_known(known[i]));
		assert_non_null(ib_nic_by_token(known[i]));
		assert_string_equal(ib_nic_by_token(known[i])->token, known[i]);
	}
	for (size_t i = 0; i < IB_ARRAY_LEN(unknown); i++) {
		assert_false(ib_nic_token_known(unknown[i]));
		assert_null(ib_nic_by_token(unknown[i]));
	}
	assert_string_equal(ib_nic_name("cx6"), "ConnectX-6");
	assert_string_equal(ib_nic_name("cx3pro"), "ConnectX-3 Pro");
	assert_string_equal(ib_nic_name("cx9"), "cx9"); /* unknown: the token itself */
	assert_string_equal(ib_nic_name("cx8"), "ConnectX-8");
	assert_string_equal(ib_nic_name("bf3"), "BlueField-3");
	/* Ethernet-only adapters are never reported by detection. */
	assert_true(ib_nic_detectable("cx6"));
	assert_true(ib_nic_detectable("nd"));
	assert_false(ib_nic_detectable("cx6dx"));
	assert_false(ib_nic_detectable("cx6lx"));
	assert_false(ib_nic_detectable("cx9"));
	assert_true(ib_nic_detectable("cx8"));
	assert_true(ib_nic_detectable("bf2"));
	assert_true(ib_nic_detectable("bf3"));
}

struct pci {
	uint16_t id;
	const char *token;
	int vf;
};

static void test_nic_from_pci(void **state)
{
	static const struct pci ids[] = {
		{0x1003, "cx3", 0}, {0x1007, "cx3pro", 0}, {0x1011, "cib", 0},   {0x1012, "cib", 1},
		{0x1013, "cx4", 0}, {0x1014, "cx4", 1},    {0x1015, "cx4lx", 0}, {0x1016, "cx4lx", 1},
		{0x1017, "cx5", 0}, {0x1018, "cx5", 1},    {0x1019, "cx5ex", 0}, {0x101a, "cx5ex", 1},
		{0x101b, "cx6", 0}, {0x101c, "cx6", 1},    {0x101d, "cx6dx", 0}, {0x101f, "cx6lx", 0},
		{0x1021, "cx7", 0}, {0x1023, "cx8", 0},    {0xa2d6, "bf2", 0},   {0xa2dc, "bf3", 0},
	};
	const char *t[2] = {NULL, NULL};
	int vf = -1;

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(ids); i++) {
		assert_int_equal(ib_nic_from_pci(ids[i].id, &vf, t), 1);
		assert_string_equal(t[0], ids[i].token);
		assert_int_equal(vf, ids[i].vf);
	}
}

/* 0x1004 is the VF of both ConnectX-3 and ConnectX-3 Pro; 0x101e of ConnectX-6 Dx/Lx, 7 and 8. */
static void test_shared_vf_ids(void **state)
{
	const char *t[2] = {NULL, NULL};
	int vf = 0;

	(void)state;
	assert_int_equal(ib_nic_from_pci(0x1004, &vf, t), 2);
	assert_int_equal(vf, 1);
	assert_string_equal(t[0], "cx3pro");
	assert_string_equal(t[1], "cx3");
	t[0] = t[1] = NULL;
	vf = 0;
	assert_int_equal(ib_nic_from_pci(0x101e, &vf, t), 2);
	assert_int_equal(vf, 1);
	/* InfiniBand-class 0x101e is a ConnectX-7 or a ConnectX-8: both offered, the bundle decides */
	assert_string_equal(t[0], "cx7");
	assert_string_equal(t[1], "cx8");
}

static void test_unknown_pci(void **state)
{
	const char *t[2] = {NULL, NULL};
	int vf = -1;
	const uint16_t ids[] = {0x0000, 0x1002, 0x1020, 0x1025, 0xa2d2, 0xffff};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(ids); i++) {
		assert_int_equal(ib_nic_from_pci(ids[i], &vf, t), 0);
		assert_int_equal(vf, 0);
	}
}

/* ---- OS tokens ---- */

static void test_os_tokens(void **state)
{
	const char *win[] = {
		"windows-10",          "windows-11",          "windows-server-2012", "windows-server-2012r2",
		"windows-server-2016", "windows-server-2019", "windows-server-2022", "windows-server-2025"};
	const char *linux_ok[] = {"ubuntu-20.04", "rhel-8.2",           "debian-12",
				  "sles-15.3",    "opensuse-leap-15.5", "almalinux-9.4"};
	const char *bad[] = {"",
			     "ubuntu",
			     "ubuntu-",
			     "-20.04",
			     "ubuntu-20.04-lts",
			     "ubuntu-twenty",
			     "windows-12",
			     "windows-server-2008",
			     "windows-",
			     "windows-10 ",
			     "windows-server-2012R2"};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(win); i++) {
		assert_true(ib_os_token_known(win[i]));
		assert_true(ib_os_is_windows(win[i]));
	}
	for (size_t i = 0; i < IB_ARRAY_LEN(linux_ok); i++) {
		assert_true(ib_os_token_known(linux_ok[i]));
		assert_false(ib_os_is_windows(linux_ok[i]));
	}
	for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++)
		assert_false(ib_os_token_known(bad[i]));
	assert_false(ib_os_is_windows("win-10"));
}

/* ---- selection ---- */

struct pkgdef {
	const char *id;
	const char *os[3];
	const char *nic[4];
	long priority;
};

static struct ib_package pkgs[8];
static struct ib_manifest man;

static size_t count(const char *const *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n])
		n++;
	return n;
}

/* Builds a manifest in memory from definitions (the strings are static; nothing is freed). */
static const struct ib_manifest *bundle(const struct pkgdef *defs, size_t n)
{
	memset(pkgs, 0, sizeof(pkgs));
	memset(&man, 0, sizeof(man));
	assert_true(n <= IB_ARRAY_LEN(pkgs));
	for (size_t i = 0; i < n; i++) {
		pkgs[i].id = (char *)defs[i].id;
		pkgs[i].os.v = (char **)defs[i].os;
		pkgs[i].os.n = count(defs[i].os, 3);
		pkgs[i].nic.v = (char **)defs[i].nic;
		pkgs[i].nic.n = count(defs[i].nic, 4);
		pkgs[i].priority = defs[i].priority;
	}
	man.name = "t";
	man.npkgs = n;
	man.pkgs = pkgs;
	return &man;
}

/* kernel patterns for package i of the next bundle(): set after bundle(), before selecting */
static void set_kernels(size_t i, const char **patterns, size_t n)
{
	pkgs[i].kernel.v = (char **)patterns;
	pkgs[i].kernel.n = n;
}

static const struct pkgdef linux_defs[] = {
	{"mofed-u20", {"ubuntu-20.04"}, {"cx5", "cx6"}, 0},
	{"mofed-u22", {"ubuntu-22.*"}, {"cx6", "cx7"}, 0},
	{"mofed-rhel8", {"rhel-8.*"}, {"cx5"}, 0},
	{"mlnx-en", {"ubuntu-20.04"}, {"cx3pro"}, 0},
};

static void test_select_no_device(void **state)
{
	const struct ib_manifest *m = bundle(linux_defs, IB_ARRAY_LEN(linux_defs));
	struct ib_selection sel;

	(void)state;
	assert_int_equal(ib_select(m, "ubuntu-20.04", NULL, 0, &sel), IB_E_NODEVICE);
	assert_int_equal(sel.result, IB_E_NODEVICE);
	assert_int_equal(sel.outcome, IB_SEL_NO_DEVICE);
	assert_null(sel.pkg);
	assert_non_null(strstr(sel.why, "no InfiniBand device"));
}

static void test_select_simple(void **state)
{
	const struct ib_manifest *m = bundle(linux_defs, IB_ARRAY_LEN(linux_defs));
	const char *nics[] = {"cx5"};
	struct ib_selection sel;

	(void)state;
	assert_int_equal(ib_select(m, "ubuntu-20.04", nics, 1, &sel), 0);
	assert_int_equal(sel.result, 0);
	assert_int_equal(sel.outcome, IB_SEL_SELECTED);
	assert_string_equal(sel.pkg->id, "mofed-u20");
	assert_string_equal(sel.nic, "cx5");
	assert_string_equal(sel.os_pattern, "ubuntu-20.04");
	assert_non_null(strstr(sel.why, "mofed-u20"));
	/* A pattern with '*'. */
	nics[0] = "cx7";
	assert_int_equal(ib_select(m, "ubuntu-22.04", nics, 1, &sel), 0);
	assert_string_equal(sel.pkg->id, "mofed-u22");
	assert_string_equal(sel.os_pattern, "ubuntu-22.*");
	nics[0] = "cx5";
	assert_int_equal(ib_select(m, "rhel-8.10", nics, 1, &sel), 0);
	assert_string_equal(sel.pkg->id, "mofed-rhel8");
}

static void test_select_priority_then_order(void **state)
{
	static const struct pkgdef defs[] = {
		{"first", {"ubuntu-*"}, {"cx6"}, 0},         {"second", {"ubuntu-20.04"}, {"cx6"}, 0},
		{"preferred", {"*"}, {"cx6"}, 10},           {"also-10", {"ubuntu-20.04"}, {"cx6"}, 10},
		{"negative", {"ubuntu-20.04"}, {"cx6"}, -5},
	};
	const struct ib_manifest *m = bundle(defs, IB_ARRAY_LEN(defs));
	const char *nics[] = {"cx6"};
	struct ib_selection sel;

	(void)state;
	/* Highest priority wins; among equals, the earlier package in the spec. */
	assert_int_equal(ib_select(m, "ubuntu-20.04", nics, 1, &sel), 0);
	assert_string_equal(sel.pkg->id, "preferred");
	assert_string_equal(sel.os_pattern, "*");
	/* Without the priority-10 packages, spec order decides among the 0s. */
	m = bundle(defs, 2);
	assert_int_equal(ib_select(m, "ubuntu-20.04", nics, 1, &sel), 0);
	assert_string_equal(sel.pkg->id, "first");
	/* Priority beats order also when the winner comes last, negative priorities included. */
	{
		static const struct pkgdef later[] = {
			{"low", {"ubuntu-20.04"}, {"cx6"}, -5},
			{"lower", {"ubuntu-20.04"}, {"cx6"}, -6},
			{"high", {"ubuntu-20.04"}, {"cx6"}, -1},
		};

		m = bundle(later, 3);
		assert_int_equal(ib_select(m, "ubuntu-20.04", nics, 1, &sel), 0);
		assert_string_equal(sel.pkg->id, "high");
		m = bundle(later, 2);
		assert_int_equal(ib_select(m, "ubuntu-20.04", nics, 1, &sel), 0);
		assert_string_equal(sel.pkg->id, "low");
	}
	/* A package whose OS does not match never wins, whatever its priority. */
	m = bundle(defs, IB_ARRAY_LEN(defs));
	assert_int_equal(ib_select(m, "rhel-8.2", nics, 1, &sel), 0);
	assert_string_equal(sel.pkg->id, "preferred");
	m = bundle(defs, 2);
	assert_int_equal(ib_select(m, "ubuntu-22.04", nics, 1, &sel), 0);
	assert_string_equal(sel.pkg->id, "first");
}

/* The NIC is in the bundle, the OS too, but not together: unsupported OS, naming what runs there. */
static void test_select_nic_not_on_os(void **state)
{
	const struct ib_manifest *m = bundle(linux_defs, IB_ARRAY_LEN(linux_defs));
	const char *nics[] = {"cx7"};
	struct ib_selection sel;

	(void)state;
	assert_int_equal(ib_select(m, "ubuntu-20.04", nics, 1, &sel), IB_E_UNSUPPORTED_OS);
	assert_int_equal(sel.result, IB_E_UNSUPPORTED_OS);
	assert_int_equal(sel.outcome, IB_SEL_NIC_NOT_ON_OS);
	assert_null(sel.pkg);
	assert_non_null(strstr(sel.why, "supported there: "));
	assert_non_null(strstr(sel.why, "cx3pro"));
	assert_non_null(strstr(sel.why, "cx5"));
	assert_non_null(strstr(sel.why, "ubuntu-20.04"));
}

/* No package lists the OS at all. */
static void test_select_os_not_in_bundle(void **state)
{
	const struct ib_manifest *m = bundle(linux_defs, IB_ARRAY_LEN(linux_defs));
	const char *nics[] = {"cx5"};
	struct ib_selection sel;

	(void)state;
	assert_int_equal(ib_select(m, "sles-15.3", nics, 1, &sel), IB_E_UNSUPPORTED_OS);
	assert_int_equal(sel.outcome, IB_SEL_OS_NOT_IN_BUNDLE);
	assert_null(sel.pkg);
	assert_non_null(strstr(sel.why, "sles-15.3"));
	/* It names where the NIC is supported. */
	assert_non_null(strstr(sel.why, "ubuntu-20.04"));
	assert_non_null(strstr(sel.why, "rhel-8.*"));
}

/* A detected NIC no package lists: no (supported) device, naming what the bundle supports. */
static void test_select_nic_not_in_bundle(void **state)
{
	const struct ib_manifest *m = bundle(linux_defs, IB_ARRAY_LEN(linux_defs));
	const char *nics[] = {"cib"};
	struct ib_selection sel;

	(void)state;
	assert_int_equal(ib_select(m, "ubuntu-20.04", nics, 1, &sel), IB_E_NODEVICE);
	assert_int_equal(sel.result, IB_E_NODEVICE);
	assert_int_equal(sel.outcome, IB_SEL_NIC_NOT_IN_BUNDLE);
	assert_null(sel.pkg);
	assert_non_null(strstr(sel.why, "Connect-IB"));
	assert_non_null(strstr(sel.why, "cx3pro"));
	assert_non_null(strstr(sel.why, "cx5"));
	assert_non_null(strstr(sel.why, "cx7"));
	/* Also on an OS no package lists: the NIC decides first. */
	assert_int_equal(ib_select(m, "sles-15.3", nics, 1, &sel), IB_E_NODEVICE);
}

static void test_select_several_nics(void **state)
{
	static const struct pkgdef defs[] = {
		{"for-cx5", {"ubuntu-20.04"}, {"cx5"}, 0},
		{"for-cx6", {"ubuntu-20.04"}, {"cx6"}, 1},
		{"for-cx7", {"ubuntu-20.04"}, {"cx7"}, 0},
	};
	const struct ib_manifest *m = bundle(defs, IB_ARRAY_LEN(defs));
	const char *nics[] = {"cib", "cx5", "cx6"};
	const char *two[] = {"cx7", "cx5"};
	struct ib_selection sel;

	(void)state;
	/* One unsupported and two supported NICs: the higher-priority package wins. */
	assert_int_equal(ib_select(m, "ubuntu-20.04", nics, 3, &sel), 0);
	assert_string_equal(sel.pkg->id, "for-cx6");
	assert_string_equal(sel.nic, "cx6");
	/* Equal priorities: spec order, not detection order. */
	assert_int_equal(ib_select(m, "ubuntu-20.04", two, 2, &sel), 0);
	assert_string_equal(sel.pkg->id, "for-cx5");
	assert_string_equal(sel.nic, "cx5");
	/* Only the unsupported one. */
	assert_int_equal(ib_select(m, "ubuntu-20.04", nics, 1, &sel), IB_E_NODEVICE);
	/* Several NICs none of which runs on this OS. */
	assert_int_equal(ib_select(m, "ubuntu-22.04", two, 2, &sel), IB_E_UNSUPPORTED_OS);
}

/* A package listing both detected NICs reports the first detected one it lists. */
static void test_select_nic_reported(void **state)
{
	static const struct pkgdef defs[] = {
		{"both", {"*"}, {"cx6", "cx5"}, 0},
	};
	const struct ib_manifest *m = bundle(defs, 1);
	const char *nics[] = {"cx5", "cx6"};
	struct ib_selection sel;

	(void)state;
	assert_int_equal(ib_select(m, "debian-12", nics, 2, &sel), 0);
	assert_string_equal(sel.nic, "cx5");
}

/* A 0x1004 VF is offered as both cx3pro and cx3: a package for either one is found. */
static void test_select_shared_vf(void **state)
{
	static const struct pkgdef defs[] = {
		{"winof-cx3", {"windows-server-*"}, {"cx3"}, 0},
	};
	const struct ib_manifest *m = bundle(defs, 1);
	const char *t[2];
	int vf;
	size_t n = ib_nic_from_pci(0x1004, &vf, t);
	struct ib_selection sel;

	(void)state;
	assert_int_equal(n, 2);
	assert_int_equal(ib_select(m, "windows-server-2016", t, n, &sel), 0);
	assert_string_equal(sel.pkg->id, "winof-cx3");
	assert_string_equal(sel.nic, "cx3");
	assert_int_equal(ib_select(m, "windows-server-2016", t, 1, &sel), IB_E_NODEVICE);
}

static void test_select_nd(void **state)
{
	static const struct pkgdef defs[] = {
		{"nd-driver", {"windows-server-2019", "windows-server-2022"}, {"nd"}, 0},
		{"winof2", {"windows-server-*"}, {"cx5", "cx6"}, 0},
	};
	const struct ib_manifest *m = bundle(defs, 2);
	const char *nics[] = {"nd"};
	struct ib_selection sel;

	(void)state;
	assert_int_equal(ib_select(m, "windows-server-2022", nics, 1, &sel), 0);
	assert_string_equal(sel.pkg->id, "nd-driver");
	assert_string_equal(sel.os_pattern, "windows-server-2022");
	assert_int_equal(ib_select(m, "windows-server-2016", nics, 1, &sel), IB_E_UNSUPPORTED_OS);
}

/* The reason always fits its buffer, also with long inputs. */
static void test_select_long_reason(void **state)
{
	static const struct pkgdef defs[] = {
		{"a", {"ubuntu-20.04"}, {"cx3", "cx3pro", "cib", "cx4"}},
		{"b", {"ubuntu-20.04"}, {"cx4lx", "cx5", "cx5ex", "cx6"}},
		{"c", {"ubuntu-20.04"}, {"cx6dx", "cx6lx", "cx7", "nd"}},
	};
	const struct ib_manifest *m = bundle(defs, 3);
	char os[900];
	const char *nics[] = {"cx3",   "cx3pro", "cib",   "cx4",   "cx4lx", "cx5",
			      "cx5ex", "cx6",    "cx6dx", "cx6lx", "cx7",   "nd"};
	struct ib_selection sel;

	(void)state;
	memset(os, 'x', sizeof(os) - 1);
	os[sizeof(os) - 1] = '\0';
	assert_int_equal(ib_select(m, os, nics, IB_ARRAY_LEN(nics), &sel), IB_E_UNSUPPORTED_OS);
	assert_true(strlen(sel.why) < sizeof(sel.why));
	assert_int_equal(ib_select(m, "ubuntu-20.04", nics, IB_ARRAY_LEN(nics), &sel), 0);
	assert_string_equal(sel.pkg->id, "a");
	assert_true(strlen(sel.why) < sizeof(sel.why));
}

/* ---- kernel rules ---- */

static const struct pkgdef kernel_defs[] = {
	{"prebuilt", {"ubuntu-22.04"}, {"cx7"}, 10},
	{"dkms", {"ubuntu-22.04"}, {"cx7"}, 0},
	{"any", {"ubuntu-24.04"}, {"cx7"}, 0},
};
static const char *prebuilt_k[] = {"5.15.0-1089-azure"};
static const char *dkms_k[] = {"5.15.0-*-azure", "6.8.0-*-azure"};

static const struct ib_manifest *kernel_bundle(void)
{
	const struct ib_manifest *m = bundle(kernel_defs, IB_ARRAY_LEN(kernel_defs));

	set_kernels(0, prebuilt_k, 1);
	set_kernels(1, dkms_k, 2);
	return m;
}

static void test_select_kernel(void **state)
{
	const struct ib_manifest *m = kernel_bundle();
	const char *nics[] = {"cx7"};
	struct ib_selection sel;

	(void)state;
	assert_int_equal(ib_select_kernel(m, "ubuntu-22.04", "5.15.0-1089-azure", nics, 1, &sel), 0);
	assert_string_equal(sel.pkg->id, "prebuilt");
	assert_string_equal(sel.kernel_pattern, "5.15.0-1089-azure");
	assert_non_null(strstr(sel.why, "kernel \"5.15.0-1089-azure\", priority 10"));
	/* Another kernel: the higher priority package is passed over, and the reason says why. */
	assert_int_equal(ib_select_kernel(m, "ubuntu-22.04", "6.8.0-1010-azure", nics, 1, &sel), 0);
	assert_string_equal(sel.pkg->id, "dkms");
	assert_string_equal(sel.kernel_pattern, "6.8.0-*-azure");
	assert_non_null(strstr(sel.why, "passed over: 'prebuilt' needs kernel 5.15.0-1089-azure"));
	/* No kernel fits: kernel_unsupported, naming what each package needs. */
	assert_int_equal(ib_select_kernel(m, "ubuntu-22.04", "6.11.0-1001-azure", nics, 1, &sel),
			 IB_E_UNSUPPORTED_KERNEL);
	assert_int_equal(sel.outcome, IB_SEL_KERNEL_UNSUPPORTED);
	assert_string_equal(ib_outcome_name(sel.outcome), "kernel_unsupported");
	assert_null(sel.pkg);
	assert_non_null(strstr(
		sel.why,
		"no package of this bundle fits kernel 6.11.0-1001-azure on ubuntu-22.04 with ConnectX-7: "
		"'prebuilt' needs kernel 5.15.0-1089-azure; 'dkms' needs kernel 5.15.0-*-azure or 6.8.0-*-azure"));
	/* A package without kernel rules fits every kernel. */
	assert_int_equal(ib_select_kernel(m, "ubuntu-24.04", "6.11.0-1001-azure", nics, 1, &sel), 0);
	assert_string_equal(sel.pkg->id, "any");
	assert_null(sel.kernel_pattern);
	/* The OS decides before the kernel: an unknown OS stays unsupported-os. */
	assert_int_equal(ib_select_kernel(m, "debian-12", "6.1.0-1-amd64", nics, 1, &sel), IB_E_UNSUPPORTED_OS);
	/* No kernel given: the rules are not checked, and the reason says so. */
	assert_int_equal(ib_select(m, "ubuntu-22.04", nics, 1, &sel), 0);
	assert_string_equal(sel.pkg->id, "prebuilt");
	assert_non_null(strstr(sel.why, "its kernel rule was not checked (no kernel given)"));
	/* "unknown" (unreadable osrelease, an image without a kernel) fits no rule. */
	assert_int_equal(ib_select_kernel(m, "ubuntu-22.04", "unknown", nics, 1, &sel), IB_E_UNSUPPORTED_KERNEL);
}

static void test_select_kernel_windows_build(void **state)
{
	static const struct pkgdef defs[] = {{"w", {"windows-server-2022"}, {"cx7"}, 0}};
	static const char *build[] = {"20348"};
	const struct ib_manifest *m = bundle(defs, 1);
	const char *nics[] = {"cx7"};
	struct ib_selection sel;

	(void)state;
	set_kernels(0, build, 1);
	assert_string_equal(ib_kernel_subject("windows-server-2022", "10.0.20348"), "20348");
	assert_string_equal(ib_kernel_subject("ubuntu-22.04", "5.15.0-1089-azure"), "5.15.0-1089-azure");
	assert_null(ib_kernel_subject("ubuntu-22.04", NULL));
	assert_int_equal(ib_select_kernel(m, "windows-server-2022", "10.0.20348", nics, 1, &sel), 0);
	assert_int_equal(ib_select_kernel(m, "windows-server-2022", "20348", nics, 1, &sel), 0);
	assert_int_equal(ib_select_kernel(m, "windows-server-2022", "10.0.26100", nics, 1, &sel),
			 IB_E_UNSUPPORTED_KERNEL);
}

static void test_candidates(void **state)
{
	const struct ib_manifest *m = kernel_bundle();
	const struct ib_package *c[4];

	(void)state;
	/* Priority order, ending with the first package without kernel rules. */
	assert_int_equal(ib_candidates(m, "ubuntu-22.04", "cx7", c, 4), 2);
	assert_string_equal(c[0]->id, "prebuilt");
	assert_string_equal(c[1]->id, "dkms");
	assert_int_equal(ib_candidates(m, "ubuntu-24.04", "cx7", c, 4), 1);
	assert_string_equal(c[0]->id, "any");
	assert_int_equal(ib_candidates(m, "ubuntu-24.04", "cx6", c, 4), 0);
	assert_int_equal(ib_candidates(m, "ubuntu-22.04", "cx7", c, 1), 1);
	/* Without kernel rules only the winner is a candidate. */
	m = bundle(linux_defs, IB_ARRAY_LEN(linux_defs));
	assert_int_equal(ib_candidates(m, "ubuntu-20.04", "cx6", c, 4), 1);
	assert_string_equal(c[0]->id, "mofed-u20");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_nic_tokens),
		cmocka_unit_test(test_nic_from_pci),
		cmocka_unit_test(test_shared_vf_ids),
		cmocka_unit_test(test_unknown_pci),
		cmocka_unit_test(test_os_tokens),
		cmocka_unit_test(test_select_no_device),
		cmocka_unit_test(test_select_simple),
		cmocka_unit_test(test_select_priority_then_order),
		cmocka_unit_test(test_select_nic_not_on_os),
		cmocka_unit_test(test_select_os_not_in_bundle),
		cmocka_unit_test(test_select_nic_not_in_bundle),
		cmocka_unit_test(test_select_several_nics),
		cmocka_unit_test(test_select_nic_reported),
		cmocka_unit_test(test_select_shared_vf),
		cmocka_unit_test(test_select_nd),
		cmocka_unit_test(test_select_long_reason),
		cmocka_unit_test(test_select_kernel),
		cmocka_unit_test(test_select_kernel_windows_build),
		cmocka_unit_test(test_candidates),
	};

	return cmocka_run_group_tests_name("match", tests, NULL, NULL);
}
