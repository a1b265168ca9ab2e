/* First-boot staging on Linux: a systemd oneshot unit inside the image that runs the staged
 * bundle once on the real hardware. */
#include "stage.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	rc = ib_rmtree_at(fd, leaf);
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
	return ib_buf_printf(
		b,
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
		name, name, version, m->name, m->name, m->name, m->name, (unsigned long)timeout + UNIT_TIMEOUT_MARGIN);
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
void stage_plat_check_os(struct stub_ctx *c)
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
	log_msg(&c->log, "warning",
		"no package of this bundle lists the image's OS %s: at first boot it will "
		"exit with 'OS not supported'",
		c->host.os);
}

int stage_plat(struct stub_ctx *c, struct root_job *j)
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
	if ((rc = stage_copy_bundle(c, root, rel)))
		goto out;
	add_rel(j, "bundle", rel);
	snprintf(rel, sizeof(rel), UNIT_DIR "/%s", p.unit);
	if ((rc = stage_write_new(root, rel, 0644, unit.data, unit.len)))
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
		log_msg(&c->log, "warning",
			"the image has no systemd (lib/systemd/systemd): %s runs only once "
			"systemd is installed",
			p.unit);
	root_message(c,
		     "staged %s %s into %s: /" BUNDLE_DIR "/%s runs at first boot "
		     "(%s, enabled in multi-user.target; logs to the journal and /var/log/ibpack/%s.log; "
		     "/" STATE_DIR "/%s marks success)",
		     c->bundle.m.name, c->bundle.m.version, j->dir, p.bundle, p.unit, c->bundle.m.name, p.done);
out:
	if (fd >= 0)
		close(fd);
	ib_buf_release(&unit);
	ib_outdir_close(root);
	close(rootfd);
	return rc;
}

int unstage_plat(struct stub_ctx *c, struct root_job *j)
{
	static const char *const dirs[] = {WANTS_DIR, UNIT_DIR, BUNDLE_DIR, STATE_DIR};
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
