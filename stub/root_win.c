/* Windows image installs: INF driver packages are added to a mounted offline image with
 * `dism /Image:DIR /Add-Driver /Driver:PKGDIR /Recurse`, from a private temp dir on the host. */
#include "root.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/fileio.h"
#include "../base/util.h"

#include <windows.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define INF_SEARCH_DEPTH 16

int root_plat_open(struct stub_ctx *c, struct root_job *j)
{
	wchar_t *w = ib_win_wide(c->opts->root), full[IB_PATH_MAX], win[IB_PATH_MAX];
	DWORD n, attr;
	char *utf8;
	size_t len;

	if (!w)
		return ib_fail(-EILSEQ, "--root '%s' is not valid UTF-8", c->opts->root);
	n = GetFullPathNameW(w, 4096, full, NULL);
	free(w);
	if (!n || n >= 4096)
		return ib_fail(-ENAMETOOLONG, "--root '%s': not a usable path", c->opts->root);
	/* "D:\mount\" and "D:\mount" name the same image; dism gets it without the separator. */
	len = wcslen(full);
	while (len > 3 && (full[len - 1] == L'\\' || full[len - 1] == L'/'))
		full[--len] = L'\0';
	utf8 = ib_win_utf8(full);
	if (!utf8 || ib_snprintf(j->dir, sizeof(j->dir), "%s", utf8)) {
		free(utf8);
		return ib_fail(-ENAMETOOLONG, "--root path too long");
	}
	free(utf8);
	attr = GetFileAttributesW(full);
	if (attr == INVALID_FILE_ATTRIBUTES || !(attr & FILE_ATTRIBUTE_DIRECTORY))
		return ib_fail(-ENOTDIR, "--root '%s' is not a directory", c->opts->root);
	/* A mounted Windows image has a Windows folder at its root (dism /Mount-Image). */
	_snwprintf(win, IB_ARRAY_LEN(win), L"%ls%lsWindows", full, full[len - 1] == L'\\' ? L"" : L"\\");
	win[IB_ARRAY_LEN(win) - 1] = L'\0';
	attr = GetFileAttributesW(win);
	if (attr == INVALID_FILE_ATTRIBUTES || !(attr & FILE_ATTRIBUTE_DIRECTORY))
		return ib_fail(IB_E_USAGE, "--root '%s' is not a mounted Windows image: it has no Windows folder",
			       c->opts->root);
	return 0;
}

int root_plat_os(struct stub_ctx *c, struct root_job *j, char *os, size_t size, char *pretty, size_t psize)
{
	(void)c;
	(void)j;
	(void)os;
	(void)size;
	(void)pretty;
	(void)psize;
	return ib_fail(IB_E_USAGE, "the version of an offline Windows image is not detected: pass --os TOKEN");
}

int root_plat_area(struct stub_ctx *c, struct root_job *j, struct root_area *a)
{
	int rc;

	(void)j;
	memset(a, 0, sizeof(*a));
	a->rootfd = -1;
	/* dism reads the package from the host: the usual private temp dir, removed by stub_finish. */
	rc = plat_tmpdir(c->opts->tmpdir, c->tmpdir, sizeof(c->tmpdir));
	if (rc)
		return rc;
	snprintf(a->host_path, sizeof(a->host_path), "%s", c->tmpdir);
	return ib_outdir_open(c->tmpdir, &a->out);
}

/* 1 when dir (or a folder below it) holds an .inf file: dism can add only INF drivers. */
static int has_inf(const wchar_t *dir, int depth)
{
	WIN32_FIND_DATAW fd;
	size_t n = wcslen(dir) + 4;
	wchar_t *pattern = malloc(n * sizeof(wchar_t));
	HANDLE h;
	int found = 0;

	if (!pattern || depth > INF_SEARCH_DEPTH) {
		free(pattern);
		return 0;
	}
	_snwprintf(pattern, n, L"%ls\\*", dir);
	pattern[n - 1] = L'\0';
	h = FindFirstFileW(pattern, &fd);
	free(pattern);
	if (h == INVALID_HANDLE_VALUE)
		return 0;
	do {
		const wchar_t *dot = wcsrchr(fd.cFileName, L'.');

		if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
			continue;
		if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
			size_t m = wcslen(dir) + wcslen(fd.cFileName) + 2;
			wchar_t *sub = malloc(m * sizeof(wchar_t));

			if (sub) {
				_snwprintf(sub, m, L"%ls\\%ls", dir, fd.cFileName);
				sub[m - 1] = L'\0';
				found = has_inf(sub, depth + 1);
				free(sub);
			}
		} else if (dot && !_wcsicmp(dot, L".inf")) {
			found = 1;
		}
	} while (!found && FindNextFileW(h, &fd));
	FindClose(h);
	return found;
}

int root_plat_run(struct stub_ctx *c, struct root_job *j, struct root_area *a, struct root_item *it,
		  const struct ib_codes **success, const struct ib_codes **reboot)
{
	/* dism's own codes, not the package's (its installer is not what runs here). 3010 from an
	 * offline servicing operation asks for nothing: the image is not running. */
	static long ok_codes[] = {0, 3010};
	static const struct ib_codes ok = {ok_codes, 2}, none = {NULL, 0};
	const struct ib_package *p = it->pkg;
	unsigned timeout = c->opts->timeout ? (unsigned)c->opts->timeout : p->install.timeout;
	char pkgdir[IB_PATH_MAX], dism[MAX_PATH * 3], image_arg[IB_PATH_MAX], driver_arg[IB_PATH_MAX], *utf8;
	char tmp[IB_PATH_MAX];
	struct stub_env env;
	wchar_t sys[MAX_PATH], *wpkg;
	char *argv[6];
	int inf, rc;

	*success = &ok;
	*reboot = &none;
	if (ib_snprintf(pkgdir, sizeof(pkgdir), "%s\\%s", a->host_path, p->id))
		return ib_fail(-ENAMETOOLONG, "temp path too long");
	wpkg = ib_win_wide(pkgdir);
	inf = wpkg && has_inf(wpkg, 0);
	free(wpkg);
	if (!inf)
		return ib_fail(IB_E_INSTALLER,
			       "package '%s' has no .inf file: dism adds only INF drivers to an "
			       "offline image; stage the bundle instead (--stage --root DIR) so its installer runs "
			       "on first boot",
			       p->id);
	/* The host's own dism, by full path: never one found next to the bundle or in PATH. */
	if (!GetSystemDirectoryW(sys, MAX_PATH) || !(utf8 = ib_win_utf8(sys)))
		return ib_fail(-ENOENT, "cannot locate the system directory");
	rc = ib_snprintf(dism, sizeof(dism), "%s\\dism.exe", utf8);
	free(utf8);
	if (rc || ib_snprintf(image_arg, sizeof(image_arg), "/Image:%s", j->dir) ||
	    ib_snprintf(driver_arg, sizeof(driver_arg), "/Driver:%s", pkgdir))
		return ib_fail(-ENAMETOOLONG, "dism command line too long");
	argv[0] = dism;
	argv[1] = image_arg;
	argv[2] = "/Add-Driver";
	argv[3] = driver_arg;
	argv[4] = "/Recurse";
	argv[5] = NULL;
	log_msg(&c->log, "info", "adding the drivers of package '%s' to the image: %s %s %s %s %s (timeout %u s)",
		p->id, dism, image_arg, argv[2], driver_arg, argv[4], timeout);
	/* dism gets the installers' fixed environment too; its TEMP is the host's private dir. */
	if (ib_snprintf(tmp, sizeof(tmp), "%s\\.tmp", a->host_path) || (plat_mkdir(tmp) != 0 && errno != EEXIST))
		return ib_fail(-EIO, "cannot create the installer's temp dir in %s", a->host_path);
	if ((rc = stub_installer_env(c, p, tmp, j->dir, &env)))
		return rc;
	rc = plat_run(argv, env.v, -1, pkgdir, timeout, &c->log, &c->cancel, &it->run);
	stub_env_release(&env);
	it->ran = rc == 0 || rc == IB_E_TIMEOUT;
	return rc;
}

void root_plat_cleanup(struct stub_ctx *c, struct root_area *a)
{
	(void)c; /* c->tmpdir holds the temp dir: stub_finish removes it, or keeps it with --keep */
	ib_outdir_close(a->out);
}

int root_plat_state_dir(const struct root_job *j)
{
	struct ib_outdir *root;
	int rc = ib_outdir_open(j->dir, &root);

	/* Created through ib_outdir, which refuses reparse points in every component. */
	if (!rc && (rc = ib_outdir_mkdir(root, "ProgramData/ibpack", 0755)) == -EEXIST)
		rc = 0;
	ib_outdir_close(root);
	return rc;
}
