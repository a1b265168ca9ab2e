/* The install program check and build's enforcement of the spec lint (docs/SPEC.md, "Checks"). */
#include "spec_rules.h"

#include "cli.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Programs every supported Windows has in System32, which install commands call by name. */
static const char *const system32[] = {
	"cmd",     "powershell", "pnputil",  "msiexec", "dism",     "reg",      "rundll32",
	"wusa",    "certutil",   "sc",       "netsh",   "cscript",  "wscript",  "bcdedit",
	"drvload", "shutdown",   "icacls",   "takeown", "schtasks", "robocopy", "xcopy",
	"expand",  "timeout",    "wevtutil", "net",     "setx",     "where",    "findstr",
};

static int add(struct ib_lint *out, const char *kind, const char *pkg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int add(struct ib_lint *out, const char *kind, const char *pkg, const char *fmt, ...)
{
	struct ib_lint_finding *v = realloc(out->v, (out->n + 1) * sizeof(*v)), *f;
	va_list ap;

	if (!v)
		return -ENOMEM;
	out->v = v;
	f = &v[out->n++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->pkg = pkg;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return 0;
}

static int in_system32(const char *name)
{
	size_t n = strlen(name);

	if (n > 4 && !strcasecmp(name + n - 4, ".exe"))
		n -= 4;
	for (size_t i = 0; i < IB_ARRAY_LEN(system32); i++)
		if (strlen(system32[i]) == n && !strncasecmp(name, system32[i], n))
			return 1;
	return 0;
}

/* Whether rel (a '/'-separated path inside the package, "./" prefixes dropped) names a regular
 * file of the package whose source is src. On Windows names compare without case and a bare
 * name may omit ".exe". */
static int in_package(const char *src, const struct stat *src_st, const char *rel, int windows)
{
	char path[IB_PATH_MAX], with_exe[IB_PATH_MAX];
	struct stat st;
	const char *base;

	while (!strncmp(rel, "./", 2))
		rel += 2;
	if (!S_ISDIR(src_st->st_mode)) {
		/* A single-file source sits at the package root under its own name. */
		base = strrchr(src, '/');
		base = base ? base + 1 : src;
		if (windows)
			return !strcasecmp(rel, base) || (ib_snprintf(with_exe, sizeof(with_exe), "%s.exe", rel) == 0 &&
							  !strcasecmp(with_exe, base));
		return !strcmp(rel, base);
	}
	if (ib_snprintf(path, sizeof(path), "%s/%s", src, rel))
		return 0;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		return 1;
	return windows && !ib_snprintf(with_exe, sizeof(with_exe), "%s.exe", path) && lstat(with_exe, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

int spec_check_programs(const struct ib_manifest *m, const char *spec_dir, struct ib_lint *out)
{
	int windows = m->target == IB_TARGET_WINDOWS_X86_64;

	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];
		const char *prog = p->install.argv.n ? p->install.argv.v[0] : NULL;
		char src[IB_PATH_MAX], rel[IB_PATH_MAX];
		struct stat st;
		int relative, bare;

		/* command_line and msi installs (Windows) name their program in other ways. */
		if (!prog || cli_source_path(spec_dir, p, src, sizeof(src)))
			continue;
		if (lstat(src, &st) != 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)))
			continue;
		if (ib_snprintf(rel, sizeof(rel), "%s", prog))
			continue;
		if (windows)
			for (char *c = rel; *c; c++)
				if (*c == '\\')
					*c = '/';
		bare = !strchr(rel, '/');
		relative = rel[0] != '/' && !(windows && rel[0] && rel[1] == ':');
		if (!relative || (bare && !windows))
			continue; /* an absolute path, or a Linux program found through PATH (sh, dpkg) */
		if (in_package(src, &st, rel, windows) || (bare && in_system32(rel)))
			continue;
		if (add(out, "missing-program", p->id,
			"packages[%zu].install.command[0]: package '%s': the "
			"program '%s' is not in the package%s (source '%s')",
			i, p->id, prog, windows && bare ? " or System32" : "", src))
			return -ENOMEM;
	}
	return 0;
}

/* A pin on a directory source: check reports it as an invalid source, build as a spec error. */
static int check_pins(const struct ib_manifest *m, const char *spec_dir, struct ib_lint *out)
{
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];
		char src[IB_PATH_MAX];
		struct stat st;

		/* With an artifact the pin names that file inside the folder, which is fine. */
		if (!p->has_source_sha256 || p->artifact || cli_source_path(spec_dir, p, src, sizeof(src)))
			continue;
		if (lstat(src, &st) == 0 && S_ISDIR(st.st_mode) &&
		    add(out, "pin-on-directory", p->id,
			"packages[%zu].sha256: package '%s': '%s' is a directory: a sha256 pin on it "
			"needs \"artifact\", the file inside it that the pin names",
			i, p->id, src))
			return -ENOMEM;
	}
	return 0;
}

int spec_finding_is_error(const struct ib_lint_finding *f, int allow_unknown_tokens)
{
	if (!strcmp(f->kind, "missing-program") || !strcmp(f->kind, "pin-on-directory"))
		return 1;
	if (!strcmp(f->kind, "unknown-os") || !strcmp(f->kind, "wrong-target-os") || !strcmp(f->kind, "unknown-nic"))
		return !allow_unknown_tokens;
	return 0;
}

static int is_token_kind(const char *kind)
{
	return !strcmp(kind, "unknown-os") || !strcmp(kind, "wrong-target-os") || !strcmp(kind, "unknown-nic");
}

int spec_enforce(const char *spec_path, const struct ib_manifest *m, const char *spec_dir, int allow_unknown_tokens)
{
	struct ib_lint l = {0};
	size_t errors = 0;
	int rc = ib_lint_spec(m, &l);

	if (!rc)
		rc = spec_check_programs(m, spec_dir, &l);
	if (!rc)
		rc = check_pins(m, spec_dir, &l);
	for (size_t i = 0; !rc && i < l.n; i++) {
		if (spec_finding_is_error(&l.v[i], allow_unknown_tokens)) {
			fprintf(stderr, "ibpack: error: %s: %s\n", spec_path, l.v[i].msg);
			errors++;
		} else if (is_token_kind(l.v[i].kind)) {
			fprintf(stderr, "ibpack: warning: %s: %s (allowed by --allow-unknown-tokens)\n", spec_path,
				l.v[i].msg);
		}
	}
	ib_lint_release(&l);
	if (rc)
		return rc;
	if (errors)
		return ib_fail(IB_E_SPEC,
			       "%s: %zu error%s in the spec (see above; 'ibpack check %s' lists every "
			       "finding)",
			       spec_path, errors, errors == 1 ? "" : "s", spec_path);
	return 0;
}
