/* Hardware and OS vocabulary (NIC models, PCI ids, OS tokens) and package selection. */
#include "match.h"

#include "err.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static const struct ib_nic_model models[] = {
	{ "cx3", "ConnectX-3", 0x1003, 0x1004 },
	{ "cx3pro", "ConnectX-3 Pro", 0x1007, 0x1004 },
	{ "cib", "Connect-IB", 0x1011, 0x1012 },
	{ "cx4", "ConnectX-4", 0x1013, 0x1014 },
	{ "cx4lx", "ConnectX-4 Lx", 0x1015, 0x1016 },
	{ "cx5", "ConnectX-5", 0x1017, 0x1018 },
	{ "cx5ex", "ConnectX-5 Ex", 0x1019, 0x101a },
	{ "cx6", "ConnectX-6", 0x101b, 0x101c },
	{ "cx6dx", "ConnectX-6 Dx", 0x101d, 0x101e },
	{ "cx6lx", "ConnectX-6 Lx", 0x101f, 0x101e },
	{ "cx7", "ConnectX-7", 0x1021, 0x101e },
	{ "nd", "NetworkDirect (non-SR-IOV, VMBus)", 0, 0 },
};

static const char *const windows_tokens[] = {
	"windows-10", "windows-11", "windows-server-2012", "windows-server-2012r2",
	"windows-server-2016", "windows-server-2019", "windows-server-2022", "windows-server-2025",
};

const struct ib_nic_model *ib_nic_by_token(const char *token)
{
	for (size_t i = 0; i < IB_ARRAY_LEN(models); i++)
		if (!strcmp(models[i].token, token))
			return &models[i];
	return NULL;
}

const char *ib_nic_name(const char *token)
{
	const struct ib_nic_model *m = ib_nic_by_token(token);

	return m ? m->name : token;
}

int ib_nic_token_known(const char *token)
{
	return ib_nic_by_token(token) != NULL;
}

size_t ib_nic_from_pci(uint16_t device, int *is_vf, const char *tokens[2])
{
	*is_vf = 0;
	if (device == 0x1004) {
		*is_vf = 1;
		tokens[0] = "cx3pro";
		tokens[1] = "cx3";
		return 2;
	}
	if (device == 0x101e) {
		*is_vf = 1;
		tokens[0] = "cx7";
		return 1;
	}
	for (size_t i = 0; i < IB_ARRAY_LEN(models); i++) {
		if (models[i].pf && models[i].pf == device) {
			tokens[0] = models[i].token;
			return 1;
		}
		if (models[i].vf && models[i].vf == device) {
			*is_vf = 1;
			tokens[0] = models[i].token;
			return 1;
		}
	}
	return 0;
}

int ib_glob(const char *pattern, const char *s)
{
	const char *star = NULL, *resume = NULL;

	/* Iterative matcher with single-star backtracking: linear space, no recursion. */
	while (*s) {
		if (*pattern == '*') {
			star = pattern++;
			resume = s;
		} else if (*pattern == *s) {
			pattern++;
			s++;
		} else if (star) {
			pattern = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

int ib_os_is_windows(const char *token)
{
	return !strncmp(token, "windows-", 8);
}

int ib_os_token_known(const char *token)
{
	const char *dash;

	if (ib_os_is_windows(token)) {
		for (size_t i = 0; i < IB_ARRAY_LEN(windows_tokens); i++)
			if (!strcmp(windows_tokens[i], token))
				return 1;
		return 0;
	}
	/* Linux: "<ID>-<VERSION_ID>", the ID lowercase letters, the version digits and dots. */
	dash = strrchr(token, '-');
	if (!dash || dash == token || !dash[1])
		return 0;
	for (const char *p = dash + 1; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return 0;
	return 1;
}

static int os_matches(const struct ib_package *p, const char *os, const char **pattern)
{
	for (size_t i = 0; i < p->os.n; i++)
		if (ib_glob(p->os.v[i], os)) {
			if (pattern)
				*pattern = p->os.v[i];
			return 1;
		}
	return 0;
}

static int lists_nic(const struct ib_package *p, const char *nic)
{
	for (size_t i = 0; i < p->nic.n; i++)
		if (!strcmp(p->nic.v[i], nic))
			return 1;
	return 0;
}

/* Appends the distinct NIC tokens of packages whose OS matches (or every package when os is
 * NULL) to buf as "cx5, cx6". */
static void supported_nics(const struct ib_manifest *m, const char *os, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < m->npkgs; i++) {
		if (os && !os_matches(&m->pkgs[i], os, NULL))
			continue;
		for (size_t j = 0; j < m->pkgs[i].nic.n; j++) {
			const char *t = m->pkgs[i].nic.v[j];
			int seen = 0;

			for (size_t k = 0; k < i && !seen; k++)
				seen = (!os || os_matches(&m->pkgs[k], os, NULL)) && lists_nic(&m->pkgs[k], t);
			for (size_t k = 0; k < j && !seen; k++)
				seen = !strcmp(m->pkgs[i].nic.v[k], t);
			if (seen)
				continue;
			snprintf(buf + len, size - len, "%s%s", len ? ", " : "", t);
			len += strlen(buf + len);
		}
	}
}

static void describe_nics(const char *const *nics, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		snprintf(buf + len, size - len, "%s%s (%s)", i ? ", " : "", ib_nic_name(nics[i]), nics[i]);
		len += strlen(buf + len);
	}
}

int ib_select(const struct ib_manifest *m, const char *os, const char *const *nics, size_t nnics,
	      struct ib_selection *sel)
{
	char have[256], found[256];
	int any_nic = 0, any_os = 0;

	memset(sel, 0, sizeof(*sel));
	if (nnics == 0) {
		sel->result = IB_E_NODEVICE;
		snprintf(sel->why, sizeof(sel->why), "no InfiniBand device found (Mellanox PCI functions "
			 "of class 0x0207 or a NetworkDirect VMBus device)");
		return sel->result;
	}
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];
		const char *pat = NULL;
		int osok = os_matches(p, os, &pat);

		any_os |= osok;
		for (size_t j = 0; j < nnics; j++) {
			if (!lists_nic(p, nics[j]))
				continue;
			any_nic = 1;
			if (osok && (!sel->pkg || p->priority > sel->pkg->priority)) {
				sel->pkg = p;
				sel->nic = nics[j];
				sel->os_pattern = pat;
			}
		}
	}
	describe_nics(nics, nnics, found, sizeof(found));
	if (sel->pkg) {
		snprintf(sel->why, sizeof(sel->why), "package '%s' matches %s on %s (rule os \"%s\", "
			 "nic \"%s\", priority %ld)", sel->pkg->id, ib_nic_name(sel->nic), os,
			 sel->os_pattern, sel->nic, sel->pkg->priority);
		return 0;
	}
	if (!any_nic) {
		supported_nics(m, NULL, have, sizeof(have));
		sel->result = IB_E_NODEVICE;
		snprintf(sel->why, sizeof(sel->why), "found %s, but this bundle has no package for it; "
			 "it supports: %s", found, have);
		return sel->result;
	}
	sel->result = IB_E_UNSUPPORTED_OS;
	if (!any_os) {
		snprintf(sel->why, sizeof(sel->why), "%s is not supported by this bundle (found %s)", os, found);
		return sel->result;
	}
	supported_nics(m, os, have, sizeof(have));
	snprintf(sel->why, sizeof(sel->why), "%s is not supported on %s by this bundle; supported there: %s",
		 found, os, have);
	return sel->result;
}
