/* Linux detection: OS from os-release, InfiniBand PCI functions and ND VMBus devices from sysfs. */
#include "stub.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Reads a small text file under the sysroot into buf, trimming the trailing newline. */
static int read_text(const char *root, const char *path, char *buf, size_t size)
{
	char full[IB_PATH_MAX];
	FILE *f;
	size_t n;

	if (ib_snprintf(full, sizeof(full), "%s%s", root, path))
		return -ENAMETOOLONG;
	f = fopen(full, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static int read_hex(const char *root, const char *path, unsigned long *v)
{
	char buf[64], *end;

	if (read_text(root, path, buf, sizeof(buf)))
		return -1;
	errno = 0;
	*v = strtoul(buf, &end, 16);
	return errno || end == buf ? -1 : 0;
}

/* os-release values may be quoted with " or ' and use backslash escapes. */
static void unquote(const char *in, char *out, size_t size)
{
	char q = (*in == '"' || *in == '\'') ? *in++ : 0;
	size_t n = 0;

	for (; *in && *in != '\n' && n + 1 < size; in++) {
		if (q && *in == q)
			break;
		if (q == '"' && *in == '\\' && in[1])
			in++;
		out[n++] = *in;
	}
	out[n] = '\0';
}

static void lowercase(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static void detect_os(const char *root, struct stub_host *h)
{
	char text[8192], id[64] = "", ver[64] = "", *line, *save = NULL;

	if (read_text(root, "/etc/os-release", text, sizeof(text)) &&
	    read_text(root, "/usr/lib/os-release", text, sizeof(text))) {
		snprintf(h->os, sizeof(h->os), "unknown");
		return;
	}
	for (line = text; line && *line; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		if (!strncmp(line, "ID=", 3))
			unquote(line + 3, id, sizeof(id));
		else if (!strncmp(line, "VERSION_ID=", 11))
			unquote(line + 11, ver, sizeof(ver));
		else if (!strncmp(line, "PRETTY_NAME=", 12))
			unquote(line + 12, h->os_pretty, sizeof(h->os_pretty));
	}
	lowercase(id);
	if (!id[0])
		snprintf(id, sizeof(id), "linux");
	/* An overlong ID or VERSION_ID cannot match any package; say so rather than cut it. */
	if (ib_snprintf(h->os, sizeof(h->os), ver[0] ? "%s-%s" : "%s%s", id, ver))
		snprintf(h->os, sizeof(h->os), "unknown");
}

/* Sorted entry names of a sysfs directory, so output is stable across runs. */
static size_t list_dir(const char *root, const char *path, char ***out)
{
	char full[IB_PATH_MAX];
	size_t n = 0;
	DIR *d;

	*out = NULL;
	if (ib_snprintf(full, sizeof(full), "%s%s", root, path) || !(d = opendir(full)))
		return 0;
	if (ib_dir_names(d, IB_DIR_NO_HIDDEN, out, &n))
		n = 0;
	closedir(d);
	return n;
}

static void detect_pci(const char *root, struct stub_host *h)
{
	char **names, path[512];
	size_t n = list_dir(root, "/sys/bus/pci/devices", &names);

	for (size_t i = 0; i < n && h->ndevs < STUB_MAX_DEVS; i++) {
		unsigned long vendor, device, cls;
		struct stub_dev *d = &h->devs[h->ndevs];

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", names[i]);
		if (read_hex(root, path, &vendor) || vendor != IB_PCI_VENDOR_MELLANOX)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", names[i]);
		if (read_hex(root, path, &device))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", names[i]);
		if (read_hex(root, path, &cls))
			continue;
		memset(d, 0, sizeof(*d));
		snprintf(d->address, sizeof(d->address), "%s", names[i]);
		d->vendor = (uint16_t)vendor;
		d->device = (uint16_t)device;
		d->class_code = (uint32_t)cls;
		stub_dev_classify(d, 1);
		h->ndevs++;
	}
	ib_dir_names_free(names, n);
}

static void detect_vmbus(const char *root, struct stub_host *h)
{
	char **names, path[512], cls[128];
	size_t n = list_dir(root, "/sys/bus/vmbus/devices", &names);

	for (size_t i = 0; i < n && h->ndevs < STUB_MAX_DEVS; i++) {
		struct stub_dev *d = &h->devs[h->ndevs];
		const char *g;

		snprintf(path, sizeof(path), "/sys/bus/vmbus/devices/%s/class_id", names[i]);
		if (read_text(root, path, cls, sizeof(cls)))
			continue;
		lowercase(cls);
		g = cls[0] == '{' ? cls + 1 : cls;
		if (strncmp(g, IB_VMBUS_ND_CLASS, strlen(IB_VMBUS_ND_CLASS)) != 0)
			continue;
		memset(d, 0, sizeof(*d));
		snprintf(d->address, sizeof(d->address), "vmbus:%s", names[i]);
		d->vmbus = 1;
		d->infiniband = 1;
		d->nmodels = 1;
		d->models[0] = IB_NIC_ND;
		h->ndevs++;
	}
	ib_dir_names_free(names, n);
}

int plat_detect(const char *sysroot, struct stub_host *h)
{
	const char *root = sysroot ? sysroot : "";

	memset(h, 0, sizeof(*h));
	detect_os(root, h);
	if (read_text(root, "/proc/sys/kernel/osrelease", h->kernel, sizeof(h->kernel)))
		snprintf(h->kernel, sizeof(h->kernel), "unknown");
	detect_pci(root, h);
	detect_vmbus(root, h);
	stub_host_collect(h);
	return 0;
}
