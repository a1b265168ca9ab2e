/* All-or-nothing offline layouts: packages extracted into a hidden temp dir, then renamed. */
#include "layout.h"

#include "../base/err.h"
#include "../base/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TMP_PREFIX ".ibpack-tmp." /* then the owner's pid, and "-N" when that name was taken */
#define TMP_LOCK   ".ibpack-lock" /* inside it, locked by the owner while it runs */
#define TMP_TRIES  100

/* The pid in a temp folder's name, or 0 when the name is not of the scheme. */
static unsigned long tmp_owner(const char *name)
{
	const char *p = name + strlen(TMP_PREFIX);
	unsigned long pid = 0;

	if (strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0 || !isdigit((unsigned char)*p))
		return 0;
	for (; isdigit((unsigned char)*p); p++) {
		if (pid > 0xffffffffUL / 10)
			return 0;
		pid = pid * 10 + (unsigned long)(*p - '0');
	}
	if (*p == '-' && isdigit((unsigned char)p[1]))
		for (p++; isdigit((unsigned char)*p); p++)
			;
	return *p ? 0 : pid;
}

/* Removes the temp folders that dead extractions (SIGKILL, power loss) left in dir. A folder is
 * left alone while anyone holds its lock (a live owner, in this or another pid namespace or
 * host), while the pid in its name runs here (an owner between mkdir and taking its lock), and
 * when it or its lock is a link or not what the scheme creates. Best effort: a folder that
 * cannot be removed only costs space. */
static void remove_stale(struct ib_outdir *dir)
{
	unsigned long self = ib_process_id();
	char **names = NULL, lock[128];
	size_t n = 0;

	if (ib_outdir_names(dir, &names, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned long pid = tmp_owner(names[i]);
		struct ib_outlock *l = NULL;
		int rc;

		if (!pid || ib_snprintf(lock, sizeof(lock), "%s/%s", names[i], TMP_LOCK))
			continue;
		rc = ib_outdir_lock_try(dir, lock, &l);
		if (rc != 0 && rc != -ENOENT)
			continue;
		/* The lock is let go first (Windows cannot delete a file this process holds open
		 * that way); a new owner cannot have this folder's name while it exists. This
		 * process has made no folder yet: one with its pid is from a dead process. */
		ib_outlock_release(l);
		if (pid == self || !ib_process_alive(pid))
			(void)ib_outdir_remove_tree(dir, names[i]);
	}
	ib_outdir_names_free(names, n);
}

/* Creates this run's temp folder and takes its lock (held until *lock is released). */
static int make_tmp(struct ib_outdir *dir, char *name, size_t size, struct ib_outlock **lock)
{
	unsigned long self = ib_process_id();
	char path[160];

	remove_stale(dir);
	for (int i = 0; i < TMP_TRIES; i++) {
		int rc = i ? ib_snprintf(name, size, TMP_PREFIX "%lu-%d", self, i)
			   : ib_snprintf(name, size, TMP_PREFIX "%lu", self);

		if (rc || ib_snprintf(path, sizeof(path), "%s/%s", name, TMP_LOCK))
			return -ENAMETOOLONG;
		rc = ib_outdir_mkdir(dir, name, 0700);
		if (rc == -EEXIST)
			continue;
		if (!rc && (rc = ib_outdir_lock_new(dir, path, lock)))
			(void)ib_outdir_remove_tree(dir, name);
		return rc;
	}
	return ib_fail(-EEXIST, "%d '" TMP_PREFIX "%lu' directories in the output directory: remove them", TMP_TRIES,
		       self);
}

int ib_extract_layout(struct ib_bundle *b, struct ib_outdir *dir, const struct ib_package *const *pkgs, size_t n,
		      const struct ib_extract_opts *opts, ib_layout_done_fn done, void *ctx)
{
	char tmp[64], from[IB_ID_MAX + 80];
	struct ib_outlock *lock = NULL;
	size_t moved = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		int e = ib_outdir_exists(dir, pkgs[i]->id);

		if (e < 0)
			return e;
		if (e)
			return ib_fail(-EEXIST,
				       "'%s' already exists in the output directory: remove it or choose "
				       "another one",
				       pkgs[i]->id);
	}
	if ((rc = make_tmp(dir, tmp, sizeof(tmp), &lock)))
		return rc;
	for (size_t i = 0; !rc && i < n; i++) {
		struct ib_extract_stats st;

		if (ib_snprintf(from, sizeof(from), "%s/%s", tmp, pkgs[i]->id))
			rc = -ENAMETOOLONG;
		else
			rc = ib_extract_package(b, pkgs[i], dir, from, opts, &st);
		if (!rc && done)
			done(ctx, pkgs[i], &st);
	}
	for (; !rc && moved < n; moved++) {
		if (opts && opts->cancel && *opts->cancel)
			rc = ib_fail(IB_E_INTERRUPTED, "interrupted by a signal while extracting");
		else if (ib_snprintf(from, sizeof(from), "%s/%s", tmp, pkgs[moved]->id))
			rc = -ENAMETOOLONG;
		else
			rc = ib_outdir_rename(dir, from, pkgs[moved]->id);
		if (rc == -EEXIST)
			rc = ib_fail(-EEXIST, "'%s' appeared in the output directory while extracting",
				     pkgs[moved]->id);
		if (rc)
			break;
	}
	/* A late failure takes back what was already moved: the layout is complete or absent. */
	for (size_t i = 0; rc && i < moved; i++)
		(void)ib_outdir_remove_tree(dir, pkgs[i]->id);
	/* Unlocked, the folder is still this run's to others: the pid in its name runs. */
	ib_outlock_release(lock);
	(void)ib_outdir_remove_tree(dir, tmp);
	return rc;
}
