/* First-boot staging (--stage/--unstage --root DIR): a verified copy of the bundle inside the image,
 * run once on the first boot on the real hardware: a systemd oneshot unit on Linux, a line in
 * %WINDIR%\Setup\Scripts\SetupComplete.cmd on Windows. */
#include "root.h"

#include "../format/err.h"
#include "../format/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include "../format/fileio.h"
#include <windows.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

#define COPY_CHUNK (1u << 20)
#define STATE_DIR "var/lib/ibpack"           /* Linux, inside the image */
#define BUNDLE_DIR "var/lib/ibpack/bundles"
#define UNIT_DIR "etc/systemd/system"
#define WANTS_DIR "etc/systemd/system/multi-user.target.wants"
#define WIN_BUNDLE_DIR "ProgramData/ibpack/bundles"
#define WIN_SCRIPTS_DIR "Windows/Setup/Scripts"
#define SETUPCOMPLETE_MAX (1u << 20)
#define UNIT_TIMEOUT_MARGIN 600 /* seconds on top of the longest package timeout */

/* A copy that goes into an image must be whole: the stub hash and every chunk of every package
 * are checked first, as --verify does (the copy is verified again when it runs). */
static int verify_all(struct stub_ctx *c)
{
	struct ib_bundle *b = &c->bundle;
	uint8_t hash[IB_SHA256_LEN];
	long bad;
	int rc = ib_bundle_stub_hash(b, hash);

	if (!rc && memcmp(hash, b->m.stub_sha256, IB_SHA256_LEN) != 0)
		rc = ib_fail(IB_E_INTEGRITY, "stub: its SHA-256 does not match the signed manifest");
	for (size_t i = 0; !rc && i < b->m.npkgs; i++)
		rc = ib_bundle_check_package(b, &b->m.pkgs[i], &bad);
	if (!rc)
		log_msg(&c->log, "info", "bundle %s %s (sequence %llu) verified: %zu packages", b->m.name, b->m.version,
			(unsigned long long)b->m.sequence, b->m.npkgs);
	return rc;
}

/* Writes the whole bundle file (a Windows Authenticode table included) to a new file. */
static int copy_bundle(struct stub_ctx *c, struct ib_outdir *root, const char *rel)
{
	struct ib_outfile *f;
	uint8_t *buf = malloc(COPY_CHUNK);
	uint64_t size = c->bundle.file.size;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = ib_outdir_create(root, rel, 0755, &f);
	if (rc) {
		free(buf);
		return rc == IB_E_UNSAFE ? ib_fail(rc, "'%s' exists and cannot be replaced", rel) : rc;
	}
	for (uint64_t off = 0; !rc && off < size;) {
		size_t n = size - off < COPY_CHUNK ? (size_t)(size - off) : COPY_CHUNK;

		rc = ib_file_pread(&c->bundle.file, buf, n, off);
		if (!rc)
			rc = ib_outfile_write(f, buf, n);
		if (!rc && c->cancel)
			rc = ib_fail(IB_E_INTERRUPTED, "interrupted while copying the bundle");
		off += n;
	}
	free(buf);
	if (ib_outfile_close(f, rc == 0) && !rc)
		rc = ib_fail(-EIO, "cannot write '%s'", rel);
	return rc;
}

static int write_new(struct ib_outdir *root, const char *rel, unsigned mode, const void *data, size_t len)
{
	struct ib_outfile *f;
	int rc = ib_outdir_create(root, rel, mode, &f);

	if (rc)
		return rc == IB_E_UNSAFE ? ib_fail(rc, "'%s' exists and cannot be replaced", rel) : rc;
	rc = ib_outfile_write(f, data, len);
	if (ib_outfile_close(f, rc == 0) && !rc)
		rc = ib_fail(-EIO, "cannot write '%s'", rel);
	return rc;
}

#ifndef _WIN32
/* ---- Linux: systemd oneshot unit ---- */

/* Removes dir/leaf inside the image, never following a link; 0 when it was not there. */
static int remove_in(int rootfd, const char *dir, const char *leaf, int *removed)
{
	int fd = root_open_below(rootfd, dir, 0), rc;

	*removed = 0;
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	rc = faccessat(fd, leaf, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	*removed = rc;
	rc = root_remove_at(fd, leaf, 0);
	close(fd);
	if (rc)
		return ib_fail(rc, "cannot remove '%s/%s' in the image: %s", dir, leaf, strerror(-rc));
	return 0;
}

/* Unit files treat '%' as a specifier and '\' and newlines as syntax: free text gets neither. */
static void unit_text(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; *in && n + 1 < size; in++) {
		char ch = *in;

		out[n++] = (ch >= 0x20 && ch < 0x7f && ch != '%' && ch != '\\') ? ch : '_';
	}
	out[n] = '\0';
}

/* The done marker, not ConditionFirstBoot=yes: ConditionFirstBoot holds only while
 * /etc/machine-id is uninitialized, so a first boot that is interrupted or fails (no device yet,
 * installer error) would never be retried, and an image that keeps its machine-id never runs it.
 * ExecStartPost runs only after ExecStart exited 0, so the marker means "installed". */
static int unit_file(const struct stub_ctx *c, struct ib_buf *b)
{
	const struct ib_manifest *m = &c->bundle.m;
	char name[80], version[160];
	uint32_t timeout = 0;

	for (size_t i = 0; i < m->npkgs; i++)
		if (m->pkgs[i].install.timeout > timeout)
			timeout = m->pkgs[i].install.timeout;
	unit_text(m->name, name, sizeof(name));
	unit_text(m->version, version, sizeof(version));
	return ib_buf_printf(b,
		"# Written by the ibpack bundle %s (--stage). Remove it with: BUNDLE --unstage --root DIR\n"
		"# Runs the staged bundle once on the real hardware: on every boot until it exits 0, then\n"
		"# never again (the done marker is written only after a successful install).\n"
		"[Unit]\n"
		"Description=ibpack: install InfiniBand drivers (%s %s) on first boot\n"
		"ConditionPathExists=/" BUNDLE_DIR "/%s.run\n"
		"ConditionPathExists=!/" STATE_DIR "/%s.done\n"
		"After=local-fs.target\n"
		"\n"
		"[Service]\n"
		"Type=oneshot\n"
		"ExecStart=/" BUNDLE_DIR "/%s.run\n"
		"ExecStartPost=/bin/touch /" STATE_DIR "/%s.done\n"
		"TimeoutStartSec=%lu\n"
		"StandardOutput=journal+console\n"
		"StandardError=journal+console\n"
		"\n"
		"[Install]\n"
		"WantedBy=multi-user.target\n",
		name, name, version, m->name, m->name, m->name, m->name,
		(unsigned long)timeout + UNIT_TIMEOUT_MARGIN);
}

/* Records a path of the image ("var/x") as the booted image will see it ("/var/x"). */
static void add_rel(struct root_job *j, const char *role, const char *rel)
{
	char path[600];

	snprintf(path, sizeof(path), "/%s", rel);
	root_add_path(j, role, path);
}

struct linux_paths {
	char bundle[128], unit[128], done[128];
};

static void linux_paths(const struct stub_ctx *c, struct linux_paths *p)
{
	const char *n = c->bundle.m.name; /* [a-z0-9._-]{1,64}: safe in file and unit names */

	snprintf(p->bundle, sizeof(p->bundle), "%s.run", n);
	snprintf(p->unit, sizeof(p->unit), "ibpack-%s.service", n);
	snprintf(p->done, sizeof(p->done), "%s.done", n);
}

/* The image's own OS, to warn (not fail) when the bundle has nothing for it. */
static void check_image_os(struct stub_ctx *c)
{
	const struct ib_manifest *m = &c->bundle.m;

	int rc = root_image_os(c);

	if (rc) {
		log_msg(&c->log, "warning", "cannot check the image's OS (%s); staging anyway", ib_errmsg(rc));
		return;
	}
	for (size_t i = 0; i < m->npkgs; i++)
		for (size_t k = 0; k < m->pkgs[i].os.n; k++)
			if (ib_glob(m->pkgs[i].os.v[k], c->host.os))
				return;
	log_msg(&c->log, "warning", "no package of this bundle lists the image's OS %s: at first boot it will "
		"exit with 'OS not supported'", c->host.os);
}

static int stage_plat(struct stub_ctx *c, struct root_job *j)
{
	struct ib_outdir *root = NULL;
	struct linux_paths p;
	struct ib_buf unit;
	char rel[512], target[256];
	int rootfd, fd = -1, removed, rc;

	linux_paths(c, &p);
	j->stage_kind = "systemd";
	rootfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return ib_fail(-errno, "cannot open '%s': %s", j->dir, strerror(errno));
	ib_buf_init(&unit, 64 << 10);
	if ((rc = ib_outdir_open(j->dir, &root)) || (rc = unit_file(c, &unit)))
		goto out;
	/* A staged copy, unit or marker from an earlier --stage is replaced: staging is repeatable. */
	if ((rc = remove_in(rootfd, BUNDLE_DIR, p.bundle, &removed)) ||
	    (rc = remove_in(rootfd, UNIT_DIR, p.unit, &removed)) ||
	    (rc = remove_in(rootfd, WANTS_DIR, p.unit, &removed)) ||
	    (rc = remove_in(rootfd, STATE_DIR, p.done, &removed)))
		goto out;
	snprintf(rel, sizeof(rel), BUNDLE_DIR "/%s", p.bundle);
	if ((rc = copy_bundle(c, root, rel)))
		goto out;
	add_rel(j, "bundle", rel);
	snprintf(rel, sizeof(rel), UNIT_DIR "/%s", p.unit);
	if ((rc = write_new(root, rel, 0644, unit.data, unit.len)))
		goto out;
	add_rel(j, "unit", rel);
	/* Enabled the way systemctl enable does it: a symlink in the wants directory. */
	fd = root_open_below(rootfd, WANTS_DIR, 1);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	snprintf(target, sizeof(target), "/" UNIT_DIR "/%s", p.unit);
	if (symlinkat(target, fd, p.unit) != 0) {
		rc = ib_fail(-errno, "cannot enable %s: %s", p.unit, strerror(errno));
		goto out;
	}
	snprintf(rel, sizeof(rel), WANTS_DIR "/%s", p.unit);
	add_rel(j, "wants", rel);
	snprintf(rel, sizeof(rel), STATE_DIR "/%s", p.done);
	add_rel(j, "done_marker", rel);
	if (faccessat(rootfd, "lib/systemd/systemd", X_OK, 0) != 0 &&
	    faccessat(rootfd, "usr/lib/systemd/systemd", X_OK, 0) != 0)
		log_msg(&c->log, "warning", "the image has no systemd (lib/systemd/systemd): %s runs only once "
			"systemd is installed", p.unit);
	root_message(c, "staged %s %s into %s: /" BUNDLE_DIR "/%s runs at first boot "
		 "(%s, enabled in multi-user.target; logs to the journal and /var/log/ibpack/%s.log; "
		 "/" STATE_DIR "/%s marks success)", c->bundle.m.name, c->bundle.m.version, j->dir, p.bundle, p.unit,
		 c->bundle.m.name, p.done);
out:
	if (fd >= 0)
		close(fd);
	ib_buf_release(&unit);
	ib_outdir_close(root);
	close(rootfd);
	return rc;
}

static int unstage_plat(struct stub_ctx *c, struct root_job *j)
{
	static const char *const dirs[] = { WANTS_DIR, UNIT_DIR, BUNDLE_DIR, STATE_DIR };
	struct linux_paths p;
	const char *leaves[4];
	char path[512];
	int rootfd, removed, rc = 0;

	linux_paths(c, &p);
	leaves[0] = p.unit;
	leaves[1] = p.unit;
	leaves[2] = p.bundle;
	leaves[3] = p.done;
	j->stage_kind = "systemd";
	rootfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return ib_fail(-errno, "cannot open '%s': %s", j->dir, strerror(errno));
	for (size_t i = 0; !rc && i < IB_ARRAY_LEN(dirs); i++) {
		rc = remove_in(rootfd, dirs[i], leaves[i], &removed);
		snprintf(path, sizeof(path), "/%s/%s", dirs[i], leaves[i]);
		if (!rc && removed) {
			root_add_path(j, "removed", path);
			log_msg(&c->log, "info", "removed %s", path);
		}
	}
	close(rootfd);
	return rc;
}

#else
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
	char path[4200];

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
	char buf[4096];
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

static void check_image_os(struct stub_ctx *c)
{
	(void)c; /* an offline Windows image's version is not read; the bundle checks it at first boot */
}

static int stage_plat(struct stub_ctx *c, struct root_job *j)
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
	if ((rc = ib_outdir_remove_tree(root, rel)) || (rc = copy_bundle(c, root, rel)))
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
		rc = ib_buf_printf(&add,
			"%s%sstaged: runs the InfiniBand bundle once on first boot (BUNDLE --unstage removes both lines)\r\n"
			"\"%%SystemDrive%%\\ProgramData\\ibpack\\bundles\\%s.exe\" >>\"%%WINDIR%%\\Setup\\Scripts\\ibpack-%s.log\" 2>&1"
			" & call echo ibpack %s exit %%%%ERRORLEVEL%%%% >>\"%%WINDIR%%\\Setup\\Scripts\\ibpack-%s.log\"\r\n",
			old.len && old.data[old.len - 1] != '\n' ? "\r\n" : "", marker, c->bundle.m.name, c->bundle.m.name,
			c->bundle.m.name, c->bundle.m.name);
		if (!rc)
			rc = append_setupcomplete(j, (const char *)add.data, add.len);
		if (!rc)
			log_msg(&c->log, "info", "appended to %s%sWindows\\Setup\\Scripts\\SetupComplete.cmd: runs %s on "
				"first boot", j->dir, win_sep(j->dir), c->bundle.m.name);
	}
	if (!rc)
		root_message(c, "staged %s %s into %s: SetupComplete.cmd runs "
			 "%%SystemDrive%%\\ProgramData\\ibpack\\bundles\\%s.exe on first boot (log: "
			 "%%ProgramData%%\\ibpack\\logs\\%s.log)", c->bundle.m.name, c->bundle.m.version, j->dir,
			 c->bundle.m.name, c->bundle.m.name);
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
		   !(rc = write_new(root, WIN_SCRIPTS_DIR "/SetupComplete.cmd.ibpack-new", 0644, keep.data, keep.len)) &&
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

static int unstage_plat(struct stub_ctx *c, struct root_job *j)
{
	struct ib_outdir *root = NULL;
	char rel[512];
	int rc, removed = 0;
	wchar_t *w;
	char path[4200];

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
#endif

int stub_stage(struct stub_ctx *c)
{
	struct root_job *j = root_job_init(c);
	int rc;

	c->action = "stage";
	root_open_log(c);
	if ((rc = root_plat_open(c, j)) || (rc = verify_all(c)))
		return rc;
	check_image_os(c);
	return stage_plat(c, j);
}

int stub_unstage(struct stub_ctx *c)
{
	struct root_job *j = root_job_init(c);
	int rc;

	c->action = "unstage";
	root_open_log(c);
	if ((rc = root_plat_open(c, j)) || (rc = unstage_plat(c, j)))
		return rc;
	if (j->npaths)
		root_message(c, "unstaged %s from %s: %zu item%s removed", c->bundle.m.name,
			 j->dir, j->npaths, j->npaths == 1 ? "" : "s");
	else
		root_message(c, "nothing of %s was staged in %s", c->bundle.m.name, j->dir);
	return 0;
}
