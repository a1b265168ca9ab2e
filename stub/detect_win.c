/* Windows detection: OS from RtlGetVersion, InfiniBand PCI functions and NetworkDirect VMBus
 * devices from SetupAPI's list of present devices. */
#include "stub.h"

#include "../base/err.h"
#include "../base/fileio.h"
#include "../base/util.h"

#include <windows.h>
#include <setupapi.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef LONG(WINAPI *rtl_get_version_fn)(OSVERSIONINFOEXW *);

/* Maps RtlGetVersion's numbers to an OS token (docs/WINDOWS.md has the table). Builds overlap
 * between client and server, so the product type decides; only LTSC server builds get a
 * "windows-server-YEAR" token, because a semi-annual server release is a different product. */
static void os_token(unsigned long major, unsigned long minor, unsigned long build, int server, char *tok, size_t tsize,
		     char *pretty, size_t psize)
{
	static const struct {
		unsigned long build;
		const char *token, *name;
	} servers[] = {
		{14393, "windows-server-2016", "Windows Server 2016"},
		{17763, "windows-server-2019", "Windows Server 2019"},
		{20348, "windows-server-2022", "Windows Server 2022"},
		{26100, "windows-server-2025", "Windows Server 2025"},
	};
	const char *t = NULL, *name = NULL;

	if (major == 10 && minor == 0 && server) {
		for (size_t i = 0; i < IB_ARRAY_LEN(servers); i++)
			if (servers[i].build == build) {
				t = servers[i].token;
				name = servers[i].name;
			}
	} else if (major == 10 && minor == 0) {
		t = build >= 22000 ? "windows-11" : "windows-10";
		name = build >= 22000 ? "Windows 11" : "Windows 10";
	} else if (major == 6 && minor == 3) {
		t = server ? "windows-server-2012r2" : "windows-8.1";
		name = server ? "Windows Server 2012 R2" : "Windows 8.1";
	} else if (major == 6 && minor == 2) {
		t = server ? "windows-server-2012" : "windows-8";
		name = server ? "Windows Server 2012" : "Windows 8";
	} else if (major == 6 && minor == 1) {
		t = server ? "windows-server-2008r2" : "windows-7";
		name = server ? "Windows Server 2008 R2" : "Windows 7";
	}
	if (t) {
		snprintf(tok, tsize, "%s", t);
		snprintf(pretty, psize, "%s (%lu.%lu.%lu, %s)", name, major, minor, build,
			 server ? "server" : "client");
	} else {
		/* No package can match this token unless a spec names it (or uses "windows-*"). */
		snprintf(tok, tsize, "windows-%s%lu.%lu.%lu", server ? "server-" : "", major, minor, build);
		snprintf(pretty, psize, "Windows %lu.%lu.%lu (%s)", major, minor, build, server ? "server" : "client");
	}
}

static int detect_os(struct stub_host *h)
{
	OSVERSIONINFOEXW v;
	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
	rtl_get_version_fn get;

	/* RtlGetVersion, unlike GetVersionEx, is not capped at 6.2 for executables without a
	 * compatibility manifest. ntdll is mapped into every process: no DLL search happens. */
	get = ntdll ? (rtl_get_version_fn)(void (*)(void))GetProcAddress(ntdll, "RtlGetVersion") : NULL;
	memset(&v, 0, sizeof(v));
	v.dwOSVersionInfoSize = sizeof(v);
	if (!get || get(&v) != 0)
		return ib_fail(-EIO, "cannot read the Windows version (RtlGetVersion)");
	os_token(v.dwMajorVersion, v.dwMinorVersion, v.dwBuildNumber, v.wProductType != VER_NT_WORKSTATION, h->os,
		 sizeof(h->os), h->os_pretty, sizeof(h->os_pretty));
	snprintf(h->kernel, sizeof(h->kernel), "%lu.%lu.%lu", v.dwMajorVersion, v.dwMinorVersion, v.dwBuildNumber);
	return 0;
}

/* Reads a REG_MULTI_SZ device property as an upper-case ASCII copy, strings separated by NUL
 * and ended by two NULs (device ids are ASCII by definition). 0 when absent. */
static int multi_sz(HDEVINFO set, SP_DEVINFO_DATA *dev, DWORD prop, char *out, size_t size)
{
	wchar_t buf[2048];
	DWORD type = 0, len = 0;
	size_t n = 0;

	memset(buf, 0, sizeof(buf));
	if (!SetupDiGetDeviceRegistryPropertyW(set, dev, prop, &type, (BYTE *)buf, sizeof(buf) - 2 * sizeof(wchar_t),
					       &len) ||
	    (type != REG_MULTI_SZ && type != REG_SZ))
		return 0;
	for (size_t i = 0; i < len / sizeof(wchar_t) && n + 2 < size; i++) {
		wchar_t c = buf[i];

		out[n++] = c > 0x7f ? '?' : (char)(c >= L'a' && c <= L'z' ? c - L'a' + L'A' : c);
	}
	out[n] = out[n + 1] = '\0';
	return n > 0;
}

/* Hex digits right after key ("VEN_", "DEV_", "CC_") in an id: their count and value. */
static int hex_after(const char *id, const char *key, unsigned long *v)
{
	const char *p = strstr(id, key);
	int digits = 0;

	if (!p)
		return 0;
	*v = 0;
	for (p += strlen(key); digits < 8; p++, digits++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;

		if (d < 0)
			break;
		*v = *v << 4 | (unsigned long)d;
	}
	return digits;
}

/* Vendor and device from the hardware ids; class from CompatibleIDs ("PCI\CC_020700", or the
 * shorter "PCI\CC_0207" whose programming interface is then 00). 0 if not a PCI id list. */
static int parse_ids(const char *hwids, const char *compat, unsigned long *ven, unsigned long *dev, unsigned long *cls)
{
	int have = 0, best = 0;

	*ven = *dev = *cls = 0;
	for (const char *s = hwids; *s; s += strlen(s) + 1)
		if (!have && hex_after(s, "VEN_", ven) == 4 && hex_after(s, "DEV_", dev) == 4)
			have = 1;
	for (int pass = 0; pass < 2; pass++)
		for (const char *s = pass ? compat : hwids; *s; s += strlen(s) + 1) {
			unsigned long v;
			int n = hex_after(s, "CC_", &v);

			if (n == 6 && best < 6) {
				*cls = v;
				best = 6;
			} else if (n == 4 && best < 4) {
				*cls = v << 8;
				best = 4;
			}
		}
	return have;
}

static void instance_id(HDEVINFO set, SP_DEVINFO_DATA *dev, char *out, size_t size)
{
	wchar_t w[512];
	char *u;
	size_t n;

	out[0] = '\0';
	if (!SetupDiGetDeviceInstanceIdW(set, dev, w, IB_ARRAY_LEN(w), NULL) || !(u = ib_win_utf8(w)))
		return;
	/* Instance ids can exceed the address field: keep the distinguishing tail. */
	n = strlen(u);
	if (n < size)
		snprintf(out, size, "%s", u);
	else
		snprintf(out, size, "...%s", u + n - (size - 4));
	free(u);
}

/* Present devices of one enumerator; NULL when the enumerator does not exist on this machine. */
static HDEVINFO present(const wchar_t *enumerator)
{
	HDEVINFO set = SetupDiGetClassDevsW(NULL, enumerator, NULL, DIGCF_ALLCLASSES | DIGCF_PRESENT);

	return set == INVALID_HANDLE_VALUE ? NULL : set;
}

static int detect_pci(struct stub_host *h)
{
	HDEVINFO set = present(L"PCI");
	SP_DEVINFO_DATA info;
	char hwids[2100], compat[2100];

	/* DIGCF_PRESENT leaves out the "phantom" devices Windows remembers from earlier hardware,
	 * such as the VF of a VM size this VM was resized from. */
	if (!set)
		return ib_fail(-EIO, "cannot list PCI devices (SetupDiGetClassDevs): %s",
			       ib_win_strerror(GetLastError()));
	info.cbSize = sizeof(info);
	for (DWORD i = 0; SetupDiEnumDeviceInfo(set, i, &info) && h->ndevs < STUB_MAX_DEVS; i++) {
		struct stub_dev *d = &h->devs[h->ndevs];
		unsigned long ven, dev, cls;

		if (!multi_sz(set, &info, SPDRP_HARDWAREID, hwids, sizeof(hwids)))
			continue;
		if (!multi_sz(set, &info, SPDRP_COMPATIBLEIDS, compat, sizeof(compat)))
			compat[0] = compat[1] = '\0';
		if (!parse_ids(hwids, compat, &ven, &dev, &cls) || ven != IB_PCI_VENDOR_MELLANOX)
			continue;
		memset(d, 0, sizeof(*d));
		instance_id(set, &info, d->address, sizeof(d->address));
		d->vendor = (uint16_t)ven;
		d->device = (uint16_t)dev;
		d->class_code = (uint32_t)cls;
		stub_dev_classify(d, cls != 0);
		h->ndevs++;
	}
	SetupDiDestroyDeviceInfoList(set);
	return 0;
}

/* The NetworkDirect device of non-SR-IOV RDMA sizes: a VMBus child whose instance path is
 * VMBUS\{8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501}\{instance} (the class id in braces, letter case
 * varying), with the same class id in its hardware ids. */
static void detect_vmbus(struct stub_host *h)
{
	HDEVINFO set = present(L"VMBUS");
	SP_DEVINFO_DATA info;
	char hwids[2100], upper_class[64], inst[256];

	if (!set)
		return; /* not a Hyper-V guest */
	snprintf(upper_class, sizeof(upper_class), "%s", IB_VMBUS_ND_CLASS);
	for (char *c = upper_class; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	info.cbSize = sizeof(info);
	for (DWORD i = 0; SetupDiEnumDeviceInfo(set, i, &info) && h->ndevs < STUB_MAX_DEVS; i++) {
		struct stub_dev *d = &h->devs[h->ndevs];
		int match = 0;

		instance_id(set, &info, inst, sizeof(inst));
		for (char *c = inst; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		match = strstr(inst, upper_class) != NULL;
		if (!match && multi_sz(set, &info, SPDRP_HARDWAREID, hwids, sizeof(hwids)))
			for (const char *s = hwids; *s && !match; s += strlen(s) + 1)
				match = strstr(s, upper_class) != NULL;
		if (!match)
			continue;
		memset(d, 0, sizeof(*d));
		/* Like Linux's vmbus:<device id>: the instance part names the device. */
		instance_id(set, &info, inst, sizeof(inst));
		snprintf(d->address, sizeof(d->address), "vmbus:%s",
			 strrchr(inst, '\\') ? strrchr(inst, '\\') + 1 : inst);
		d->vmbus = 1;
		d->infiniband = 1;
		d->nmodels = 1;
		d->models[0] = IB_NIC_ND;
		h->ndevs++;
	}
	SetupDiDestroyDeviceInfoList(set);
}

int plat_detect(const char *sysroot, struct stub_host *h)
{
	int rc;

	memset(h, 0, sizeof(*h));
	/* Detection reads the running system through APIs, not files: there is nothing a root
	 * directory could redirect, and silently ignoring it would report the wrong machine. */
	if (sysroot)
		return ib_fail(IB_E_USAGE, "--sysroot (or IBPACK_SYSROOT) is not supported on Windows: detection "
					   "asks the running system; use --os and --nic to plan for another machine");
	if ((rc = detect_os(h)) || (rc = detect_pci(h)))
		return rc;
	detect_vmbus(h);
	stub_host_collect(h);
	return 0;
}
