/* The private temp dir on Linux: a safe base, a held directory fd, and removal through fds. */
#include "tmpdir.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../format/outdir.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Another user can rename or replace an entry of dir when they own it, or when it is group- or
 * world-writable without the sticky bit. */
static int unsafe_dir(const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return 1;
	return (st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX);
}

/* Checks the canonical path of base and each of its ancestors; names the first unsafe one. */
static int check_base(const char *base, char *real, size_t size)
{
	char *r = realpath(base, NULL), *p;
	struct stat st;

	if (!r)
		return ib_fail(-errno, "temp base '%s': %s", base, strerror(errno));
	if (ib_snprintf(real, size, "%s", r)) {
		free(r);
		return ib_fail(-ENAMETOOLONG, "temp base '%s': path too long", base);
	}
	free(r);
	p = real + strlen(real);
	for (;;) {
		char save = *p;

		*p = '\0';
		if (lstat(real[0] ? real : "/", &st) != 0) {
			int e = errno;

			*p = save;
			return ib_fail(-e, "temp base '%s': %s", base, strerror(e));
		}
		if (unsafe_dir(&st)) {
			int rc = ib_fail(-EACCES,
					 "temp base '%s' is unsafe: '%s' is %s, so another user could "
					 "swap the temp dir before the installer runs; use --tmpdir on a root-owned "
					 "directory (or a sticky one such as /tmp)",
					 base, real[0] ? real : "/",
					 st.st_uid != 0 && st.st_uid != geteuid()
						 ? "owned by another user"
						 : "writable by others without the sticky bit");
			*p = save;
			return rc;
		}
		*p = save;
		if (p == real)
			break;
		while (p > real && *--p != '/')
			;
	}
	return 0;
}

static int usable(const char *dir, int want_exec)
{
	struct statvfs vfs;
	struct stat st;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0)
		return 0;
	if (want_exec && statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC))
		return 0;
	return 1;
}

static const char *choose_base(const char *base, int *rc)
{
	const char *candidates[3] = {getenv("TMPDIR"), "/var/tmp", "/tmp"};

	*rc = 0;
	if (base) {
		if (!usable(base, 0))
			*rc = ib_fail(-EACCES, "--tmpdir '%s' is not a writable directory", base);
		else if (!usable(base, 1))
			*rc = ib_fail(-EACCES, "--tmpdir '%s' is mounted noexec: installers cannot run from it", base);
		return *rc ? NULL : base;
	}
	/* Installers are executed from the temp dir, so prefer a mount that allows exec. */
	for (int pass = 1; pass >= 0; pass--)
		for (int i = 0; i < 3; i++)
			if (candidates[i] && *candidates[i] && usable(candidates[i], pass)) {
				if (!usable(candidates[i], 1))
					*rc = ib_fail(-EACCES,
						      "every temp directory is mounted noexec; pass --tmpdir DIR "
						      "on an exec mount");
				return *rc ? NULL : candidates[i];
			}
	*rc = ib_fail(-EACCES, "no writable temp directory (tried $TMPDIR, /var/tmp, /tmp); use --tmpdir");
	return NULL;
}

int stub_tmp_create(const char *base, struct stub_tmp *t)
{
	char real[PATH_MAX], hex[17];
	uint8_t rnd[8];
	struct stat st;
	const char *chosen;
	int rc;

	t->basefd = t->fd = -1;
	t->path[0] = t->name[0] = '\0';
	if (!(chosen = choose_base(base, &rc)))
		return rc;
	if ((rc = check_base(chosen, real, sizeof(real))))
		return rc;
	t->basefd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->basefd < 0)
		return ib_fail(-errno, "cannot open temp base '%s': %s", real, strerror(errno));
	for (int tries = 0; tries < 16; tries++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return ib_fail(-EIO, "getrandom: %s", strerror(errno));
		ib_hex_encode(rnd, sizeof(rnd), hex);
		snprintf(t->name, sizeof(t->name), "ibpack.%.12s", hex);
		if (mkdirat(t->basefd, t->name, 0700) == 0)
			break;
		if (errno != EEXIST) {
			t->name[0] = '\0';
			return ib_fail(-errno, "cannot create a temp dir in '%s': %s", real, strerror(errno));
		}
		t->name[0] = '\0';
	}
	if (!t->name[0])
		return ib_fail(-EEXIST, "cannot create a temp dir in '%s'", real);
	t->fd = openat(t->basefd, t->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->fd < 0 || fstat(t->fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 077))
		return ib_fail(-EACCES, "temp dir '%s/%s' changed after it was created", real, t->name);
	if (ib_snprintf(t->path, sizeof(t->path), "%s/%s", strcmp(real, "/") ? real : "", t->name))
		return ib_fail(-ENAMETOOLONG, "temp path too long");
	return 0;
}

int stub_tmp_remove(struct stub_tmp *t)
{
	int rc = 0;

	if (t->basefd >= 0 && t->name[0])
		rc = ib_rmtree_at(t->basefd, t->name);
	if (t->fd >= 0)
		close(t->fd);
	if (t->basefd >= 0)
		close(t->basefd);
	t->fd = t->basefd = -1;
	t->name[0] = '\0';
	return rc;
}

void stub_tmp_close(struct stub_tmp *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->basefd >= 0)
		close(t->basefd);
	t->fd = t->basefd = -1;
}
