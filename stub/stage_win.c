/* First-boot staging on Windows: a line in the image's %WINDIR%\Setup\Scripts\SetupComplete.cmd
 * that runs the staged bundle once on the real hardware. */
#include "stage.h"

#include "../base/err.h"
#include "../base/fileio.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Windows: SetupComplete.cmd ---- */

/* "" when dir already ends with a separator ("C:\"), else "\". */
static const char *win_sep(const char *dir)
{
	size_t n = strlen(dir);

	return n && dir[n - 1] == '\\' ? "" : "\\";
}

static int win_bundle_rel(const struct stub_ctx *c, char *rel, size_t size)
{
	return ib_snprintf(rel, size, WIN_BUNDLE_DIR "/%s.exe", c->bundle.m.name);
}

/* "rem ibpack:NAME ..." starts the block --stage appends; the next line runs the bundle. */
static void win_marker(const struct stub_ctx *c, char *buf, size_t size)
{
	snprintf(buf, size, "rem ibpack:%s ", c->bundle.m.name);
}

static wchar_t *scripts_path(const struct root_job *j, const char *leaf)
{
	char path[IB_PATH_MAX];

	if (ib_snprintf(path, sizeof(path), "%s%sWindows\\Setup\\Scripts\\%s", j->dir, win_sep(j->dir), leaf))
		return NULL;
	return ib_win_long_path(path);
}

/* Reads SetupComplete.cmd (a missing file is empty); a reparse point there is refused, since the
 * image, not the bundle, would then decide which file is changed. */
static int read_setupcomplete(const struct root_job *j, struct ib_buf *b)
{
	wchar_t *w = scripts_path(j, "SetupComplete.cmd");
	BY_HANDLE_FILE_INFORMATION info;
	char buf[IB_PATH_MAX];
	DWORD got;
	HANDLE h;
	int rc = 0;

	if (!w)
		return ib_fail(-ENAMETOOLONG, "image path too long");
	h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE) {
		DWORD e = GetLastError();

		if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
			return 0;
		return ib_fail(ib_win_errno(e), "cannot read SetupComplete.cmd: %s", ib_win_strerror(e));
	}
	if (!GetFileInformationByHandle(h, &info) || (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
		rc = ib_fail(IB_E_UNSAFE, "SetupComplete.cmd in the image is a link: refused");
	while (!rc && ReadFile(h, buf, sizeof(buf), &got, NULL) && got)
		rc = ib_buf_append(b, buf, got);
	CloseHandle(h);
	return rc;
}

static const char *find_line(const struct ib_buf *b, const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i + n <= b->len; i++)
		if ((i == 0 || b->data[i - 1] == '\n') && !memcmp(b->data + i, prefix, n))
			return (const char *)b->data + i;
	return NULL;
}

static int append_setupcomplete(const struct root_job *j, const char *text, size_t len)
{
	wchar_t *w = scripts_path(j, "SetupComplete.cmd");
	BY_HANDLE_FILE_INFORMATION info;
	DWORD put;
	HANDLE h;
	int rc = 0;

	if (!w)
		return ib_fail(-ENAMETOOLONG, "image path too long");
	/* FILE_APPEND_DATA only: whatever the file holds stays as it is. */
	h = CreateFileW(w, FILE_APPEND_DATA | SYNCHRONIZE, FILE_SHARE_READ, NULL, OPEN_ALWAYS,
			FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return ib_fail(ib_win_errno(GetLastError()), "cannot append to SetupComplete.cmd: %s",
			       ib_win_strerror(GetLastError()));
	if (!GetFileInformationByHandle(h, &info) || (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
		rc = ib_fail(IB_E_UNSAFE, "SetupComplete.cmd in the image is a link: refused");
	else if (!WriteFile(h, text, (DWORD)len, &put, NULL) || put != len)
		rc = ib_fail(ib_win_errno(GetLastError()), "cannot append to SetupComplete.cmd: %s",
			     ib_win_strerror(GetLastError()));
	CloseHandle(h);
	return rc;
}

void stage_plat_check_os(struct stub_ctx *c)
{
	(void)c; /* an offline Windows image's version is not read; the bundle checks it at first boot */
}

int stage_plat(struct stub_ctx *c, struct root_job *j)
{
	struct ib_outdir *root = NULL;
	struct ib_buf old, add;
	char rel[512], marker[128], path[512];
	int rc;

	j->stage_kind = "setupcomplete";
	ib_buf_init(&old, SETUPCOMPLETE_MAX);
	ib_buf_init(&add, 4096);
	win_marker(c, marker, sizeof(marker));
	if ((rc = win_bundle_rel(c, rel, sizeof(rel))) || (rc = ib_outdir_open(j->dir, &root)))
		goto out;
	if ((rc = ib_outdir_remove_tree(root, rel)) || (rc = stage_copy_bundle(c, root, rel)))
		goto out;
	snprintf(path, sizeof(path), "%%SystemDrive%%\\ProgramData\\ibpack\\bundles\\%s.exe", c->bundle.m.name);
	root_add_path(j, "bundle", path);
	if (((rc = ib_outdir_mkdir(root, "Windows/Setup", 0755)) && rc != -EEXIST) ||
	    ((rc = ib_outdir_mkdir(root, WIN_SCRIPTS_DIR, 0755)) && rc != -EEXIST) ||
	    (rc = read_setupcomplete(j, &old)))
		goto out;
	root_add_path(j, "setupcomplete", "%WINDIR%\\Setup\\Scripts\\SetupComplete.cmd");
	if (find_line(&old, marker)) {
		log_msg(&c->log, "info", "SetupComplete.cmd already runs %s: not appended again", c->bundle.m.name);
	} else {
		/* The bundle logs to %ProgramData%\ibpack\logs\NAME.log itself; its console output and
		 * exit code also go next to this script. %%ERRORLEVEL%% with call: expanded after the
		 * bundle ran, not when cmd reads the line. */
		rc = ib_buf_printf(
			&add,
			"%s%sstaged: runs the InfiniBand bundle once on first boot (BUNDLE --unstage removes both lines)\r\n"
			"\"%%SystemDrive%%\\ProgramData\\ibpack\\bundles\\%s.exe\" >>\"%%WINDIR%%\\Setup\\Scripts\\ibpack-%s.log\" 2>&1"
			" & call echo ibpack %s exit %%%%ERRORLEVEL%%%% >>\"%%WINDIR%%\\Setup\\Scripts\\ibpack-%s.log\"\r\n",
			old.len && old.data[old.len - 1] != '\n' ? "\r\n" : "", marker, c->bundle.m.name,
			c->bundle.m.name, c->bundle.m.name, c->bundle.m.name);
		if (!rc)
			rc = append_setupcomplete(j, (const char *)add.data, add.len);
		if (!rc)
			log_msg(&c->log, "info",
				"appended to %s%sWindows\\Setup\\Scripts\\SetupComplete.cmd: runs %s on "
				"first boot",
				j->dir, win_sep(j->dir), c->bundle.m.name);
	}
	if (!rc)
		root_message(c,
			     "staged %s %s into %s: SetupComplete.cmd runs "
			     "%%SystemDrive%%\\ProgramData\\ibpack\\bundles\\%s.exe on first boot (log: "
			     "%%ProgramData%%\\ibpack\\logs\\%s.log)",
			     c->bundle.m.name, c->bundle.m.version, j->dir, c->bundle.m.name, c->bundle.m.name);
out:
	ib_buf_release(&old);
	ib_buf_release(&add);
	ib_outdir_close(root);
	return rc;
}

/* Rewrites SetupComplete.cmd without the two lines --stage added (new file, then rename), or
 * deletes it when nothing else is left in it. */
static int drop_setupcomplete_lines(struct stub_ctx *c, struct root_job *j, struct ib_outdir *root, int *removed)
{
	struct ib_buf old, keep;
	char marker[128];
	const char *start, *end, *stop;
	wchar_t *from = NULL, *to = NULL;
	int rc, blank = 1;

	*removed = 0;
	ib_buf_init(&old, SETUPCOMPLETE_MAX);
	ib_buf_init(&keep, SETUPCOMPLETE_MAX);
	win_marker(c, marker, sizeof(marker));
	if ((rc = read_setupcomplete(j, &old)) || !(start = find_line(&old, marker)))
		goto out;
	stop = (const char *)old.data + old.len;
	end = start;
	for (int lines = 0; lines < 2 && end < stop; lines++) {
		const char *nl = memchr(end, '\n', (size_t)(stop - end));

		end = nl ? nl + 1 : stop;
	}
	if ((rc = ib_buf_append(&keep, old.data, (size_t)(start - (const char *)old.data))) ||
	    (rc = ib_buf_append(&keep, end, (size_t)(stop - end))))
		goto out;
	for (size_t i = 0; i < keep.len; i++)
		blank &= keep.data[i] == ' ' || keep.data[i] == '\t' || keep.data[i] == '\r' || keep.data[i] == '\n';
	from = scripts_path(j, "SetupComplete.cmd.ibpack-new");
	to = scripts_path(j, "SetupComplete.cmd");
	if (!from || !to) {
		rc = ib_fail(-ENAMETOOLONG, "image path too long");
		goto out;
	}
	if (blank) {
		rc = ib_outdir_remove_tree(root, WIN_SCRIPTS_DIR "/SetupComplete.cmd");
	} else if (!(rc = ib_outdir_remove_tree(root, WIN_SCRIPTS_DIR "/SetupComplete.cmd.ibpack-new")) &&
		   !(rc = stage_write_new(root, WIN_SCRIPTS_DIR "/SetupComplete.cmd.ibpack-new", 0644, keep.data,
					  keep.len)) &&
		   !MoveFileExW(from, to, MOVEFILE_REPLACE_EXISTING)) {
		rc = ib_fail(ib_win_errno(GetLastError()), "cannot replace SetupComplete.cmd: %s",
			     ib_win_strerror(GetLastError()));
		(void)ib_outdir_remove_tree(root, WIN_SCRIPTS_DIR "/SetupComplete.cmd.ibpack-new");
	}
	*removed = !rc;
out:
	free(from);
	free(to);
	ib_buf_release(&old);
	ib_buf_release(&keep);
	return rc;
}

int unstage_plat(struct stub_ctx *c, struct root_job *j)
{
	struct ib_outdir *root = NULL;
	char rel[512];
	int rc, removed = 0;
	wchar_t *w;
	char path[IB_PATH_MAX];

	j->stage_kind = "setupcomplete";
	if ((rc = win_bundle_rel(c, rel, sizeof(rel))) || (rc = ib_outdir_open(j->dir, &root)))
		goto out;
	if ((rc = drop_setupcomplete_lines(c, j, root, &removed)))
		goto out;
	if (removed) {
		root_add_path(j, "removed", "%WINDIR%\\Setup\\Scripts\\SetupComplete.cmd (the ibpack lines)");
		log_msg(&c->log, "info", "removed the %s lines from SetupComplete.cmd", c->bundle.m.name);
	}
	snprintf(path, sizeof(path), "%s%sProgramData\\ibpack\\bundles\\%s.exe", j->dir, win_sep(j->dir),
		 c->bundle.m.name);
	w = ib_win_long_path(path);
	removed = w && GetFileAttributesW(w) != INVALID_FILE_ATTRIBUTES;
	free(w);
	if ((rc = ib_outdir_remove_tree(root, rel)))
		goto out;
	if (removed) {
		snprintf(path, sizeof(path), "%%SystemDrive%%\\ProgramData\\ibpack\\bundles\\%s.exe", c->bundle.m.name);
		root_add_path(j, "removed", path);
		log_msg(&c->log, "info", "removed %s", path);
	}
out:
	ib_outdir_close(root);
	return rc;
}
