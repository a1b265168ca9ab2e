/* Hardware and OS vocabulary (NIC models, PCI ids, OS tokens) and package selection. */
#include "match.h"

#include "../base/err.h"
#include "../base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct ib_nic_model models[] = {
	{"cx3", "ConnectX-3", 0x1003, 0x1004, 1},
	{"cx3pro", "ConnectX-3 Pro", 0x1007, 0x1004, 1},
	{"cib", "Connect-IB", 0x1011, 0x1012, 1},
	{"cx4", "ConnectX-4", 0x1013, 0x1014, 1},
	{"cx4lx", "ConnectX-4 Lx", 0x1015, 0x1016, 0},
	{"cx5", "ConnectX-5", 0x1017, 0x1018, 1},
	{"cx5ex", "ConnectX-5 Ex", 0x1019, 0x101a, 1},
	{"cx6", "ConnectX-6", 0x101b, 0x101c, 1},
	{"cx6dx", "ConnectX-6 Dx", 0x101d, 0x101e, 0},
	{"cx6lx", "ConnectX-6 Lx", 0x101f, 0x101e, 0},
	{"cx7", "ConnectX-7", 0x1021, 0x101e, 1},
	{"cx8", "ConnectX-8", 0x1023, 0x101e, 1},
	/* DPUs: PF ids from mlx5_core's table; their VFs have no id of their own there. */
	{"bf2", "BlueField-2", 0xa2d6, 0, 1},
	{"bf3", "BlueField-3", 0xa2dc, 0, 1},
	{"nd", "NetworkDirect over VMBus", 0, 0, 1},
};

static const char *const windows_tokens[] = {
	"windows-10",          "windows-11",          "windows-server-2012", "windows-server-2012r2",
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

const struct ib_nic_model *ib_nic_model_at(size_t i)
{
	return i < IB_ARRAY_LEN(models) ? &models[i] : NULL;
}

int ib_nic_token_known(const char *token)
{
	return ib_nic_by_token(token) != NULL;
}

int ib_nic_detectable(const char *token)
{
	const struct ib_nic_model *m = ib_nic_by_token(token);

	return m && m->infiniband;
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
		tokens[1] = "cx8";
		return 2;
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

const char *ib_os_windows_token(size_t i)
{
	return i < IB_ARRAY_LEN(windows_tokens) ? windows_tokens[i] : NULL;
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

const char *ib_outcome_name(int outcome)
{
	switch (outcome) {
	case IB_SEL_SELECTED: return "selected";
	case IB_SEL_NO_DEVICE: return "no-device";
	case IB_SEL_NIC_NOT_IN_BUNDLE: return "nic-not-in-bundle";
	case IB_SEL_OS_NOT_IN_BUNDLE: return "unsupported-os";
	case IB_SEL_NIC_NOT_ON_OS: return "unsupported-nic";
	case IB_SEL_KERNEL_UNSUPPORTED: return "kernel_unsupported";
	default: return "?";
	}
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

const char *ib_kernel_subject(const char *os, const char *kernel)
{
	const char *dot;

	if (!kernel || !ib_os_is_windows(os))
		return kernel;
	dot = strrchr(kernel, '.');
	return dot ? dot + 1 : kernel;
}

/* A package without kernel patterns fits every kernel, and so does every package when the
 * kernel is not given (NULL: ibpack plan without --kernel). */
static int kernel_matches(const struct ib_package *p, const char *os, const char *kernel, const char **pattern)
{
	const char *subject = ib_kernel_subject(os, kernel);

	if (!p->kernel.n || !subject)
		return 1;
	for (size_t i = 0; i < p->kernel.n; i++)
		if (ib_glob(p->kernel.v[i], subject)) {
			if (pattern)
				*pattern = p->kernel.v[i];
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

/* A bounded sentence builder: appends, and on truncation keeps what fits. */
struct why {
	char *buf;
	size_t size, len;
};

__attribute__((format(printf, 2, 3))) static void say(struct why *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->len + 1 >= w->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, w->size - w->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	w->len += (size_t)n;
	if (w->len >= w->size)
		w->len = w->size - 1;
}

/* "A", "A and B", "A, B and C": human names of the tokens. */
static void say_names(struct why *w, const char *const *nics, size_t n)
{
	for (size_t i = 0; i < n; i++)
		say(w, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", ib_nic_name(nics[i]));
}

/* The NIC tokens of packages whose OS matches os (every package when os is NULL), in the
 * vocabulary's order. */
static void say_supported_nics(struct why *w, const struct ib_manifest *m, const char *os)
{
	int first = 1;

	for (size_t t = 0; t < IB_ARRAY_LEN(models); t++) {
		int listed = 0;

		for (size_t i = 0; i < m->npkgs && !listed; i++)
			listed = (!os || os_matches(&m->pkgs[i], os, NULL)) && lists_nic(&m->pkgs[i], models[t].token);
		if (listed) {
			say(w, "%s%s", first ? "" : ", ", models[t].token);
			first = 0;
		}
	}
	if (first)
		say(w, "nothing");
}

static int lists_any(const struct ib_package *p, const char *const *nics, size_t n)
{
	for (size_t j = 0; j < n; j++)
		if (lists_nic(p, nics[j]))
			return 1;
	return 0;
}

/* The distinct OS patterns of packages that list one of nics. */
static void say_oses_for(struct why *w, const struct ib_manifest *m, const char *const *nics, size_t n)
{
	int first = 1;

	for (size_t i = 0; i < m->npkgs; i++) {
		if (!lists_any(&m->pkgs[i], nics, n))
			continue;
		for (size_t j = 0; j < m->pkgs[i].os.n; j++) {
			const char *pat = m->pkgs[i].os.v[j];
			int seen = 0;

			for (size_t k = 0; k < i && !seen; k++) {
				if (!lists_any(&m->pkgs[k], nics, n))
					continue;
				for (size_t l = 0; l < m->pkgs[k].os.n && !seen; l++)
					seen = !strcmp(m->pkgs[k].os.v[l], pat);
			}
			for (size_t l = 0; l < j && !seen; l++)
				seen = !strcmp(m->pkgs[i].os.v[l], pat);
			if (!seen) {
				say(w, "%s%s", first ? "" : ", ", pat);
				first = 0;
			}
		}
	}
}

/* Index of the package the rules pick for os, kernel and nics, or -1. */
static long best_package(const struct ib_manifest *m, const char *os, const char *kernel, const char *const *nics,
			 size_t n)
{
	long best = -1;

	for (size_t i = 0; i < m->npkgs; i++)
		if (os_matches(&m->pkgs[i], os, NULL) && lists_any(&m->pkgs[i], nics, n) &&
		    kernel_matches(&m->pkgs[i], os, kernel, NULL) &&
		    (best < 0 || m->pkgs[i].priority > m->pkgs[best].priority))
			best = (long)i;
	return best;
}

/* Two tokens of one shared VF id (cx3/cx3pro): one device seen as both candidates. */
static int same_vf(const char *a, const char *b)
{
	const struct ib_nic_model *x = ib_nic_by_token(a), *y = ib_nic_by_token(b);

	return x && y && x->vf && x->vf == y->vf;
}

/* "5.15.0-1*-azure or 6.8.0-*-azure": the kernel patterns of p. */
static void say_kernels(struct why *w, const struct ib_package *p)
{
	for (size_t i = 0; i < p->kernel.n; i++)
		say(w, "%s%s", i == 0 ? "" : i + 1 == p->kernel.n ? " or " : ", ", p->kernel.v[i]);
}

/* The packages for os and nics that the kernel rules out, with the kernels they need. */
static void say_kernel_misses(struct why *w, const struct ib_manifest *m, const char *os, const char *kernel,
			      const char *const *nics, size_t nnics, long min_priority, const char *lead)
{
	int first = 1;

	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];

		if (!os_matches(p, os, NULL) || !lists_any(p, nics, nnics) || kernel_matches(p, os, kernel, NULL) ||
		    p->priority < min_priority)
			continue;
		say(w, "%s'%s' needs kernel ", first ? lead : "; ", p->id);
		say_kernels(w, p);
		first = 0;
	}
}

/* The rule that matched, the packages it beat and the NICs that stay without a package. */
static void explain_selected(struct why *w, const struct ib_manifest *m, const char *os, const char *kernel,
			     const char *const *nics, size_t nnics, const struct ib_selection *sel)
{
	size_t chosen = (size_t)(sel->pkg - m->pkgs), others = 0;

	say(w, "package '%s' matches %s on %s (rule: os \"%s\", nic \"%s\", ", sel->pkg->id, ib_nic_name(sel->nic), os,
	    sel->os_pattern, sel->nic);
	if (sel->kernel_pattern)
		say(w, "kernel \"%s\", ", sel->kernel_pattern);
	say(w, "priority %ld)", sel->pkg->priority);
	if (sel->pkg->kernel.n && !kernel)
		say(w, "; its kernel rule was not checked (no kernel given)");
	/* Packages of a higher priority that only the kernel ruled out: why they lost. */
	say_kernel_misses(w, m, os, kernel, nics, nnics, sel->pkg->priority + 1, "; passed over: ");
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];

		if (i == chosen || !os_matches(p, os, NULL) || !lists_any(p, nics, nnics) ||
		    !kernel_matches(p, os, kernel, NULL))
			continue;
		if (others++ == 0)
			say(w, "; it wins over ");
		else
			say(w, ", ");
		if (p->priority < sel->pkg->priority)
			say(w, "'%s' (lower priority %ld)", p->id, p->priority);
		else
			say(w, "'%s' (same priority, later in the spec)", p->id);
	}
	for (size_t j = 0; j < nnics; j++) {
		const char *one[1] = {nics[j]};
		int served = lists_nic(sel->pkg, nics[j]);
		long alt;

		for (size_t k = 0; k < sel->pkg->nic.n && !served; k++)
			served = same_vf(nics[j], sel->pkg->nic.v[k]);
		for (size_t k = 0; k < j && !served; k++)
			served = same_vf(nics[j], nics[k]); /* one shared-VF device, reported once */
		if (served)
			continue;
		alt = best_package(m, os, kernel, one, 1);
		if (alt >= 0)
			say(w, "; also found %s (%s), which '%s' would serve: one package is installed per run",
			    ib_nic_name(nics[j]), nics[j], m->pkgs[alt].id);
		else
			say(w, "; also found %s (%s), which this bundle does not support on %s", ib_nic_name(nics[j]),
			    nics[j], os);
	}
}

/* "ConnectX-3 Pro is supported on: windows-server-2012, ..." for the NICs some package lists. */
static void say_where_supported(struct why *w, const struct ib_manifest *m, const char *const *nics, size_t nnics)
{
	const char *known[32]; /* callers pass at most 16 NICs */
	size_t n = 0;

	for (size_t j = 0; j < nnics && n < IB_ARRAY_LEN(known); j++)
		for (size_t i = 0; i < m->npkgs; i++)
			if (lists_nic(&m->pkgs[i], nics[j])) {
				known[n++] = nics[j];
				break;
			}
	if (!n)
		return;
	say_names(w, known, n);
	say(w, " %s supported on: ", n > 1 ? "are" : "is");
	say_oses_for(w, m, known, n);
}

int ib_select(const struct ib_manifest *m, const char *os, const char *const *nics, size_t nnics,
	      struct ib_selection *sel)
{
	return ib_select_kernel(m, os, NULL, nics, nnics, sel);
}

int ib_select_kernel(const struct ib_manifest *m, const char *os, const char *kernel, const char *const *nics,
		     size_t nnics, struct ib_selection *sel)
{
	struct why w;
	int any_nic = 0, any_os = 0;
	long best;

	memset(sel, 0, sizeof(*sel));
	w = (struct why){sel->why, sizeof(sel->why), 0};
	if (nnics == 0) {
		sel->result = IB_E_NODEVICE;
		sel->outcome = IB_SEL_NO_DEVICE;
		say(&w, "no InfiniBand device found (no Mellanox PCI function of class 0x0207 and no "
			"NetworkDirect VMBus device)");
		return sel->result;
	}
	for (size_t i = 0; i < m->npkgs; i++) {
		any_os |= os_matches(&m->pkgs[i], os, NULL);
		any_nic |= lists_any(&m->pkgs[i], nics, nnics);
	}
	best = best_package(m, os, kernel, nics, nnics);
	if (best >= 0) {
		sel->pkg = &m->pkgs[best];
		os_matches(sel->pkg, os, &sel->os_pattern);
		if (kernel)
			kernel_matches(sel->pkg, os, kernel, &sel->kernel_pattern);
		for (size_t j = 0; j < nnics && !sel->nic; j++)
			if (lists_nic(sel->pkg, nics[j]))
				sel->nic = nics[j];
		sel->outcome = IB_SEL_SELECTED;
		explain_selected(&w, m, os, kernel, nics, nnics, sel);
		return 0;
	}
	if (best_package(m, os, NULL, nics, nnics) >= 0) {
		/* The OS and a NIC match, only the kernel does not: a kernel update on the node, or a
		 * bundle built for other kernels. */
		sel->result = IB_E_UNSUPPORTED_KERNEL;
		sel->outcome = IB_SEL_KERNEL_UNSUPPORTED;
		say(&w, "no package of this bundle fits kernel %s on %s with ", kernel, os);
		say_names(&w, nics, nnics);
		say_kernel_misses(&w, m, os, kernel, nics, nnics, -1000000, ": ");
		say(&w, "; install a matching kernel, or build a bundle for this one");
		return sel->result;
	}
	if (!any_nic) {
		sel->result = IB_E_NODEVICE;
		sel->outcome = IB_SEL_NIC_NOT_IN_BUNDLE;
		say_names(&w, nics, nnics);
		say(&w, " %s not supported by any package in this bundle; it supports: ", nnics > 1 ? "are" : "is");
		say_supported_nics(&w, m, NULL);
		return sel->result;
	}
	sel->result = IB_E_UNSUPPORTED_OS;
	if (!any_os) {
		sel->outcome = IB_SEL_OS_NOT_IN_BUNDLE;
		say(&w, "%s is not supported by this bundle (no package lists it); ", os);
		say_where_supported(&w, m, nics, nnics);
		return sel->result;
	}
	sel->outcome = IB_SEL_NIC_NOT_ON_OS;
	say_names(&w, nics, nnics);
	say(&w, " %s not supported on %s by this bundle; supported there: ", nnics > 1 ? "are" : "is", os);
	say_supported_nics(&w, m, os);
	say(&w, "; ");
	say_where_supported(&w, m, nics, nnics);
	return sel->result;
}

size_t ib_candidates(const struct ib_manifest *m, const char *os, const char *nic, const struct ib_package **out,
		     size_t max)
{
	size_t n = 0;
	int done = 0;

	/* Selection order (priority, then spec order) by repeated minimum search: specs are small. */
	while (!done && n < max) {
		long best = -1;

		for (size_t i = 0; i < m->npkgs; i++) {
			const struct ib_package *p = &m->pkgs[i];
			int taken = 0;

			for (size_t k = 0; k < n && !taken; k++)
				taken = out[k] == p;
			if (taken || !os_matches(p, os, NULL) || !lists_nic(p, nic))
				continue;
			if (best < 0 || p->priority > m->pkgs[best].priority)
				best = (long)i;
		}
		if (best < 0)
			break;
		out[n++] = &m->pkgs[best];
		done = m->pkgs[best].kernel.n == 0; /* fits every kernel: nothing after it is ever chosen */
	}
	return n;
}
