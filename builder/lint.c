/* The spec lint of `ibpack check`: overlapping rules, unknown or wrong-target tokens, packages no
 * detectable machine selects, and cx3/cx3pro split across packages (docs/SPEC.md, "Lint"). */
#include "lint.h"

#include "../base/err.h"
#include "../base/util.h"
#include "../format/spec_keys.h"
#include "../policy/match.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_SHOWN 8 /* tokens named in a message before "and N more" */

struct lint {
	const struct ib_manifest *m;
	struct ib_lint_finding *v;
	size_t n, cap;
	char **os_all; /* literal OS tokens of the spec plus the known Windows tokens */
	size_t n_all;
	char **os_reach; /* the tokens a machine of the target can report, plus '*' witnesses */
	size_t n_reach;
	int err;
};

__attribute__((format(printf, 5, 6))) static void finding(struct lint *l, const char *kind, const char *pkg,
							  const char *other, const char *fmt, ...)
{
	struct ib_lint_finding *f;
	va_list ap;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct ib_lint_finding *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->err = -ENOMEM;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	f = &l->v[l->n++];
	f->kind = kind;
	f->pkg = pkg;
	f->other = other;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

static int tok_add(char ***v, size_t *n, const char *s)
{
	char **nv;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(char *));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = ib_strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static void tok_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int for_target(const char *os, int target)
{
	return ib_os_token_known(os) && ib_os_is_windows(os) == (target == IB_TARGET_WINDOWS_X86_64);
}

/* A token the pattern produces with each '*' replaced by filler ("ubuntu-*" -> "ubuntu-1"). */
static void instantiate(const char *pattern, const char *filler, char *buf, size_t size)
{
	size_t len = 0, flen = strlen(filler);

	for (const char *p = pattern; *p; p++) {
		const char *piece = *p == '*' ? filler : p;
		size_t n = *p == '*' ? flen : 1;

		if (len + n >= size)
			break;
		memcpy(buf + len, piece, n);
		len += n;
	}
	buf[len] = '\0';
}

/* A stand-in OS token of the target for the machines a '*' pattern matches beyond the spec's
 * literal tokens: each '*' replaced by "1" ("ubuntu-*" -> "ubuntu-1", "rhel-8.*" -> "rhel-8.1"); a
 * pattern of only '*' matches anything ("linux-1" stands for every Linux machine). */
static int witness(const char *pattern, int target, char *buf, size_t size)
{
	if (pattern[strspn(pattern, "*")] == '\0') {
		snprintf(buf, size, "%s", target == IB_TARGET_WINDOWS_X86_64 ? "windows-10" : "linux-1");
		return 1;
	}
	instantiate(pattern, "1", buf, size);
	return for_target(buf, target) && ib_glob(pattern, buf);
}

static int lint_collect_os(struct lint *l)
{
	const struct ib_manifest *m = l->m;
	const char *w;
	char buf[256];
	int rc = 0;

	for (size_t i = 0; (w = ib_os_windows_token(i)); i++)
		if ((rc = tok_add(&l->os_all, &l->n_all, w)))
			return rc;
	for (size_t i = 0; i < m->npkgs; i++)
		for (size_t j = 0; j < m->pkgs[i].os.n; j++)
			if (!strchr(m->pkgs[i].os.v[j], '*') &&
			    (rc = tok_add(&l->os_all, &l->n_all, m->pkgs[i].os.v[j])))
				return rc;
	for (size_t i = 0; i < l->n_all; i++)
		if (for_target(l->os_all[i], m->target) && (rc = tok_add(&l->os_reach, &l->n_reach, l->os_all[i])))
			return rc;
	/* A '*' pattern also reaches machines the spec names nowhere ("ubuntu-*" on ubuntu-24.04):
	 * its witness stands for them, so a package is not called unreachable for being shadowed
	 * on the literal tokens only. */
	for (size_t i = 0; i < m->npkgs; i++)
		for (size_t j = 0; j < m->pkgs[i].os.n; j++) {
			const char *pat = m->pkgs[i].os.v[j];

			if (strchr(pat, '*') && witness(pat, m->target, buf, sizeof(buf)) &&
			    (rc = tok_add(&l->os_reach, &l->n_reach, buf)))
				return rc;
		}
	return 0;
}

/* A NIC token one edit away from a known one ("cx6x" for "cx6"); "cx9" gets none. */
static const char *nic_hint(const char *t)
{
	static const char *const known[] = {"cx3",   "cx3pro", "cib", "cx4", "cx4lx", "cx5", "cx5ex", "cx6",
					    "cx6dx", "cx6lx",  "cx7", "cx8", "bf2",   "bf3", "nd"};

	return ib_suggest(t, known, sizeof(known) / sizeof(known[0]));
}

static void lint_tokens(struct lint *l)
{
	const struct ib_manifest *m = l->m;
	const char *target = ib_target_name(m->target);
	char buf[256];

	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];

		for (size_t j = 0; j < p->os.n; j++) {
			const char *t = p->os.v[j];
			int hit = 0;

			if (strchr(t, '*')) {
				for (size_t k = 0; k < l->n_all && !hit; k++)
					hit = ib_glob(t, l->os_all[k]);
				if (!hit && !witness(t, IB_TARGET_LINUX_X86_64, buf, sizeof(buf)) &&
				    !witness(t, IB_TARGET_WINDOWS_X86_64, buf, sizeof(buf)))
					finding(l, "unknown-os", p->id, NULL,
						"packages[%zu].match.os[%zu]: package '%s': "
						"OS pattern '%s' matches no known OS token (Linux <ID>-<VERSION_ID> from "
						"os-release, or windows-10, windows-server-2019, ...)",
						i, j, p->id, t);
			} else if (!ib_os_token_known(t)) {
				finding(l, "unknown-os", p->id, NULL,
					"packages[%zu].match.os[%zu]: package '%s': '%s' "
					"is not a known OS token (Linux <ID>-<VERSION_ID> from os-release such as "
					"ubuntu-20.04, or one of windows-10, windows-11, windows-server-2012, -2012r2, "
					"-2016, -2019, -2022, -2025)",
					i, j, p->id, t);
			} else if (!for_target(t, m->target)) {
				finding(l, "wrong-target-os", p->id, NULL,
					"packages[%zu].match.os[%zu]: package "
					"'%s': '%s' is %s OS token, but the target is %s",
					i, j, p->id, t, ib_os_is_windows(t) ? "a Windows" : "a Linux", target);
			}
		}
		for (size_t j = 0; j < p->nic.n; j++)
			if (!ib_nic_token_known(p->nic.v[j]))
				finding(l, "unknown-nic", p->id, NULL,
					"packages[%zu].match.nic[%zu]: package '%s': "
					"'%s' is not a known NIC token (cx3 cx3pro cib cx4 cx4lx cx5 cx5ex cx6 cx6dx "
					"cx6lx cx7 cx8 bf2 bf3 nd)%s%s%s",
					i, j, p->id, p->nic.v[j], nic_hint(p->nic.v[j]) ? "; did you mean '" : "",
					nic_hint(p->nic.v[j]) ? nic_hint(p->nic.v[j]) : "",
					nic_hint(p->nic.v[j]) ? "'?" : "");
	}
}

static int pkg_matches(const struct ib_package *p, const char *os, const char *nic)
{
	int os_ok = 0, nic_ok = 0;

	for (size_t i = 0; i < p->os.n && !os_ok; i++)
		os_ok = ib_glob(p->os.v[i], os);
	for (size_t i = 0; i < p->nic.n && !nic_ok; i++)
		nic_ok = !strcmp(p->nic.v[i], nic);
	return os_ok && nic_ok;
}

/* "a, b, c and 4 more" into buf. */
static void join_list(char **v, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && i < LIST_SHOWN && len + 1 < size; i++) {
		snprintf(buf + len, size - len, "%s%s", i ? ", " : "", v[i]);
		len += strlen(buf + len);
	}
	if (n > LIST_SHOWN && len + 1 < size)
		snprintf(buf + len, size - len, " and %zu more", n - LIST_SHOWN);
}

/* pattern with each '*' replaced by '1': a kernel release the pattern stands for. */
static void stand_in(const char *pattern, char *buf, size_t size)
{
	size_t i = 0;

	for (; *pattern && i + 1 < size; pattern++)
		buf[i++] = *pattern == '*' ? '1' : *pattern;
	buf[i] = '\0';
}

/* 1 when a and b both have kernel rules that no one kernel can satisfy together (checked on
 * each pattern's stand-in, so overlapping patterns are counted as overlapping). */
static int kernels_disjoint(const struct ib_package *a, const struct ib_package *b)
{
	char x[160], y[160];

	if (!a->kernel.n || !b->kernel.n)
		return 0;
	for (size_t i = 0; i < a->kernel.n; i++)
		for (size_t j = 0; j < b->kernel.n; j++) {
			stand_in(a->kernel.v[i], x, sizeof(x));
			stand_in(b->kernel.v[j], y, sizeof(y));
			if (ib_glob(a->kernel.v[i], y) || ib_glob(b->kernel.v[j], x))
				return 0;
		}
	return 1;
}

/* Pairs of packages that both win at the top priority for some (OS, NIC) of the spec. A
 * package with kernel rules hides the others only on its kernels, so it never counts as higher. */
static void lint_overlaps(struct lint *l)
{
	const struct ib_manifest *m = l->m;
	const struct ib_nic_model *nm;

	for (size_t a = 0; a < m->npkgs; a++)
		for (size_t b = a + 1; b < m->npkgs; b++) {
			char **oses = NULL, **nics = NULL, os_text[320], nic_text[160];
			size_t n_os = 0, n_nic = 0;

			if (m->pkgs[a].priority != m->pkgs[b].priority || kernels_disjoint(&m->pkgs[a], &m->pkgs[b]))
				continue;
			for (size_t o = 0; o < l->n_all; o++)
				for (size_t t = 0; (nm = ib_nic_model_at(t)); t++) {
					const char *os = l->os_all[o];
					int higher = 0;

					if (!pkg_matches(&m->pkgs[a], os, nm->token) ||
					    !pkg_matches(&m->pkgs[b], os, nm->token))
						continue;
					for (size_t k = 0; k < m->npkgs && !higher; k++)
						higher = m->pkgs[k].priority > m->pkgs[a].priority &&
							 !m->pkgs[k].kernel.n &&
							 pkg_matches(&m->pkgs[k], os, nm->token);
					if (!higher && (tok_add(&oses, &n_os, os) || tok_add(&nics, &n_nic, nm->token)))
						l->err = -ENOMEM;
				}
			if (n_os) {
				join_list(oses, n_os, os_text, sizeof(os_text));
				join_list(nics, n_nic, nic_text, sizeof(nic_text));
				finding(l, "overlap", m->pkgs[a].id, m->pkgs[b].id,
					"packages '%s' and '%s' can both "
					"be chosen at priority %ld for OS %s with NIC %s; only spec order decides "
					"('%s' wins): give one a higher priority or make the rules disjoint",
					m->pkgs[a].id, m->pkgs[b].id, m->pkgs[a].priority, os_text, nic_text,
					m->pkgs[a].id);
			}
			tok_free(oses, n_os);
			tok_free(nics, n_nic);
		}
}

/* Packages that no machine of the target can get: checked per (OS, NIC) over the packages
 * selection tries for some kernel (ib_candidates), which is exact because more NICs only add
 * candidates, never remove the one that shadows. */
static void lint_reachable(struct lint *l)
{
	const struct ib_manifest *m = l->m;
	const struct ib_package *cand[16];

	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];
		char **winners = NULL, text[320];
		size_t n_win = 0, known = 0, detectable = 0, os_hits = 0;
		int reached = 0;

		for (size_t j = 0; j < p->nic.n; j++) {
			known += ib_nic_token_known(p->nic.v[j]);
			detectable += ib_nic_detectable(p->nic.v[j]);
		}
		for (size_t o = 0; o < l->n_reach; o++) {
			int os_ok = 0;

			for (size_t k = 0; k < p->os.n && !os_ok; k++)
				os_ok = ib_glob(p->os.v[k], l->os_reach[o]);
			if (!os_ok)
				continue;
			os_hits++;
			for (size_t j = 0; j < p->nic.n && !reached; j++) {
				const char *nic = p->nic.v[j];

				if (!ib_nic_detectable(nic))
					continue;
				size_t nc = ib_candidates(m, l->os_reach[o], nic, cand, IB_ARRAY_LEN(cand));

				for (size_t k = 0; k < nc && !reached; k++)
					reached = cand[k] == p;
				if (!reached && nc) {
					char quoted[IB_ID_MAX + 3];

					snprintf(quoted, sizeof(quoted), "'%s'", cand[nc - 1]->id);
					if (tok_add(&winners, &n_win, quoted))
						l->err = -ENOMEM;
				}
			}
		}
		if (reached) {
			/* selectable somewhere */
		} else if (!known) {
			finding(l, "unreachable", p->id, NULL,
				"package '%s' lists no known NIC token, so no "
				"machine selects it",
				p->id);
		} else if (!detectable) {
			finding(l, "unreachable", p->id, NULL,
				"package '%s' lists only Ethernet-only models "
				"(cx4lx, cx6dx, cx6lx), which never appear as InfiniBand (PCI class 0x0207) "
				"functions, so no machine selects it",
				p->id);
		} else if (!os_hits) {
			finding(l, "unreachable", p->id, NULL,
				"package '%s': none of its OS patterns matches "
				"an OS token a %s machine reports, so no machine selects it",
				p->id, ib_target_name(m->target));
		} else {
			join_list(winners, n_win, text, sizeof(text));
			finding(l, "unreachable", p->id, NULL,
				"package '%s' is shadowed for every OS and NIC "
				"it matches: %s %s chosen instead (higher priority, or equal priority and earlier "
				"in the spec)",
				p->id, text, n_win > 1 ? "are" : "is");
		}
		tok_free(winners, n_win);
	}
}

/* Detectable models sharing a VF id (cx3/cx3pro on 0x1004) that select different packages on
 * the same OS: a VM that sees only the VF offers both tokens, and the rules pick one of them. */
static void lint_shared_vf(struct lint *l)
{
	const struct ib_manifest *m = l->m;
	const struct ib_nic_model *x, *y;

	for (size_t a = 0; (x = ib_nic_model_at(a)); a++)
		for (size_t b = a + 1; (y = ib_nic_model_at(b)); b++) {
			const struct ib_package *pa = NULL, *pb = NULL, *both = NULL;
			char **oses = NULL, text[320];
			size_t n_os = 0;

			if (!x->vf || x->vf != y->vf || !x->infiniband || !y->infiniband)
				continue;
			for (size_t o = 0; o < l->n_reach; o++) {
				const char *tx = x->token, *ty = y->token, *pair[2] = {x->token, y->token};
				struct ib_selection sx, sy, sb;

				ib_select(m, l->os_reach[o], &tx, 1, &sx);
				ib_select(m, l->os_reach[o], &ty, 1, &sy);
				if (!sx.pkg || !sy.pkg || sx.pkg == sy.pkg)
					continue;
				ib_select(m, l->os_reach[o], pair, 2, &sb);
				if (tok_add(&oses, &n_os, l->os_reach[o]))
					l->err = -ENOMEM;
				pa = sx.pkg;
				pb = sy.pkg;
				both = sb.pkg;
			}
			if (n_os) {
				join_list(oses, n_os, text, sizeof(text));
				finding(l, "shared-vf", pa->id, pb->id,
					"%s selects '%s' and %s selects '%s' on %s, "
					"but both share VF id 0x%04x: a VM that sees only the VF offers both models and "
					"gets '%s'; list %s and %s in the same package",
					x->name, pa->id, y->name, pb->id, text, x->vf, both ? both->id : "?", x->token,
					y->token);
			}
			tok_free(oses, n_os);
		}
}

/* A quote inside a Windows "command" element reaches the installer as \" (the C runtime's
 * rule), which InstallShield's /v"...", msiexec properties and cmd.exe do not read back. */
static void lint_quotes(struct lint *l)
{
	const struct ib_manifest *m = l->m;

	if (m->target != IB_TARGET_WINDOWS_X86_64)
		return;
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];

		for (size_t j = 1; j < p->install.argv.n; j++)
			if (strchr(p->install.argv.v[j], '"')) {
				finding(l, "quoted-arg", p->id, NULL,
					"package '%s': install.command[%zu] holds a quote, "
					"which reaches the installer escaped the C runtime way (\\\"); InstallShield "
					"(/v\"...\"), msiexec and cmd.exe read quotes differently: use command_line",
					p->id, j);
				break;
			}
	}
}

int ib_lint_spec(const struct ib_manifest *m, struct ib_lint *out)
{
	struct lint l = {.m = m};

	out->v = NULL;
	out->n = 0;
	l.err = lint_collect_os(&l);
	if (!l.err) {
		lint_tokens(&l);
		lint_overlaps(&l);
		lint_reachable(&l);
		lint_shared_vf(&l);
		lint_quotes(&l);
	}
	tok_free(l.os_all, l.n_all);
	tok_free(l.os_reach, l.n_reach);
	if (l.err) {
		free(l.v);
		return l.err;
	}
	out->v = l.v;
	out->n = l.n;
	return 0;
}

void ib_lint_release(struct ib_lint *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
