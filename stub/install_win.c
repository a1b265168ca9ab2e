/* The Windows install forms besides argv: a verbatim command line, and an MSI package run with
 * the System32 msiexec, its verbose log next to the bundle's log. */
#include "actions.h"

#include "../base/err.h"
#include "../base/fileio.h"
#include "../base/util.h"
#include "../format/wincmd.h"

#include <windows.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void backslashes(char *s)
{
	for (; *s; s++)
		if (*s == '/')
			*s = '\\';
}

/* <log folder>\<bundle>-<package>.msi.log, or "" when the run has no log file. */
static void msi_log_path(const struct stub_ctx *c, const struct ib_package *p, char *buf, size_t size)
{
	const char *slash = NULL;

	buf[0] = '\0';
	for (const char *s = c->log.path; *s; s++)
		if (*s == '\\' || *s == '/')
			slash = s;
	if (!c->log.file || !slash ||
	    ib_snprintf(buf, size, "%.*s\\%s-%s.msi.log", (int)(slash - c->log.path), c->log.path, c->bundle.m.name,
			p->id))
		buf[0] = '\0';
	backslashes(buf);
}

static int run_msi(struct stub_ctx *c, const struct ib_package *p, char *const *envp, const char *pkgdir,
		   unsigned timeout)
{
	wchar_t sys[MAX_PATH];
	char msiexec[3 * MAX_PATH], msi[8192], *sysdir, *line = NULL;
	int rc;

	if (!GetSystemDirectoryW(sys, MAX_PATH) || !(sysdir = ib_win_utf8(sys)))
		return ib_fail(-ENOENT, "cannot locate the system directory");
	rc = ib_snprintf(msiexec, sizeof(msiexec), "%s\\msiexec.exe", sysdir);
	free(sysdir);
	if (rc || ib_snprintf(msi, sizeof(msi), "%s\\%s", pkgdir, p->install.msi))
		return ib_fail(-ENAMETOOLONG, "MSI path too long");
	backslashes(msi);
	msi_log_path(c, p, c->installer_log, sizeof(c->installer_log));
	if (!c->installer_log[0])
		log_msg(&c->log, "warning", "no log folder: msiexec runs without a verbose log");
	if ((rc = ib_msi_cmdline(msiexec, msi, &p->install, c->installer_log[0] ? c->installer_log : NULL, &line)))
		return rc;
	rc = plat_run_line(line, msiexec, envp, pkgdir, timeout, &c->log, &c->cancel, &c->run);
	free(line);
	return rc;
}

int stub_run_form(struct stub_ctx *c, const struct ib_package *p, char *const *envp, const char *pkgdir,
		  unsigned timeout)
{
	if (p->install.msi) {
		log_msg(&c->log, "info", "installing MSI '%s' with msiexec (timeout %u s) in %s", p->install.msi,
			timeout, pkgdir);
		return run_msi(c, p, envp, pkgdir, timeout);
	}
	log_msg(&c->log, "info", "running the package's command line (timeout %u s) in %s", timeout, pkgdir);
	return plat_run_line(p->install.command_line, NULL, envp, pkgdir, timeout, &c->log, &c->cancel, &c->run);
}

/* ---- packages kept for MSI repair: %ProgramData%\ibpack\packages\<bundle>\<id> ---- */

/* The folder of the previous run's kept package while this run installs: restored if it fails. */
static char previous[4200];

static int move_dir(const char *from, const char *to)
{
	wchar_t *f = ib_win_wide(from), *t = ib_win_wide(to);
	int ok = f && t && MoveFileExW(f, t, 0);

	free(f);
	free(t);
	return ok ? 0 : -EACCES;
}

static int exists(const char *path)
{
	wchar_t *w = ib_win_wide(path);
	int yes = w && GetFileAttributesW(w) != INVALID_FILE_ATTRIBUTES;

	free(w);
	return yes;
}

int stub_keep_prepare(struct stub_ctx *c, const struct ib_package *p)
{
	char dir[4096];
	int rc;

	if (!p->install.keep && !c->opts->keep_source)
		return 0;
	if ((rc = plat_keep_dir(c->bundle.m.name, 0, dir, sizeof(dir))) ||
	    ib_snprintf(previous, sizeof(previous), "%s.previous", dir))
		return rc ? rc : ib_fail(-ENAMETOOLONG, "kept-package path too long");
	/* One bundle name keeps one package. The earlier one steps aside until this install has
	 * succeeded, so a failed run leaves the installed product its repair source. */
	rc = plat_rmtree(previous);
	if ((rc && rc != -ENOENT) || (move_dir(dir, previous) && exists(dir)))
		return ib_fail(-EACCES, "cannot set the previously kept packages in %s aside", dir);
	if ((rc = plat_keep_dir(c->bundle.m.name, 1, c->kept_root, sizeof(c->kept_root))))
		return rc;
	log_msg(&c->log, "info", "package '%s' is kept for repair in %s\\%s", p->id, c->kept_root, p->id);
	return 0;
}

void stub_keep_finish(struct stub_ctx *c, int rc)
{
	if (!c->kept_root[0])
		return;
	if (!rc) {
		if (plat_rmtree(previous) == 0)
			log_msg(&c->log, "info", "removed the packages an earlier run had kept");
		return;
	}
	if (plat_rmtree(c->kept_root) != 0)
		log_msg(&c->log, "warning", "could not remove %s", c->kept_root);
	else if (move_dir(previous, c->kept_root) == 0)
		log_msg(&c->log, "info", "the packages an earlier run kept stay in %s", c->kept_root);
	c->kept_root[0] = '\0';
}

int stub_uninstall_data(struct stub_ctx *c)
{
	char dir[4096];
	int rc = plat_keep_dir(c->bundle.m.name, 0, dir, sizeof(dir));

	if (rc)
		return rc;
	if (!ib_snprintf(previous, sizeof(previous), "%s.previous", dir))
		(void)plat_rmtree(previous); /* left by a run that was killed */
	rc = plat_rmtree(dir);
	if (rc == -ENOENT) {
		snprintf(c->message, sizeof(c->message), "no kept packages of '%s' (%s)", c->bundle.m.name, dir);
		return 0;
	}
	if (rc)
		return ib_fail(rc, "cannot remove %s: %s", dir, ib_errmsg(rc));
	snprintf(c->message, sizeof(c->message), "removed the kept packages of '%s' (%s)", c->bundle.m.name, dir);
	return 0;
}
