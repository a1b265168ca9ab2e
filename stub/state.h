/* What the stub installed (the rollback record) and the lock that serializes installs. */
#ifndef IBPACK_STATE_H
#define IBPACK_STATE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "../format/manifest.h"
#include "../base/fs.h"

/* Where the state lives: an explicit state directory (--state-dir, $IBPACK_STATE_DIR) when one
 * is given, else inside root: NULL or "" is the running machine, else a mounted image (--root).
 * POSIX: <root>/var/lib/ibpack/{state.json,lock}; Windows: %ProgramData%\ibpack\ (or
 * <root>\ProgramData\ibpack\). The detection root (--sysroot) has no say in it. */
#define STUB_STATE_FORMAT 1
#define STUB_STATE_MAX    (4u << 20) /* a larger state file is treated as corrupt */

/* One installed bundle, keyed by bundle name. */
struct stub_state_entry {
	char bundle[IB_ID_MAX + 1];
	uint64_t sequence;
	char version[129];
	char package[IB_ID_MAX + 1];
	char package_version[129];
	char installed[24]; /* "YYYY-MM-DDTHH:MM:SSZ" */
	int reboot_required;
	char boot_id[64];              /* the boot a reboot-requiring install happened in ("" unknown) */
	char kept_source[IB_PATH_MAX]; /* Windows: the folder holding the kept package, or "" */
};

struct cJSON;

struct stub_state {
	char root[IB_PATH_MAX];  /* as given to stub_state_load */
	char given[IB_PATH_MAX]; /* the explicit state directory given to stub_state_load, or "" */
	char dir[IB_PATH_MAX];   /* the state directory */
	char path[IB_PATH_MAX];  /* dir + state.json */
	struct cJSON *doc;       /* parsed file (unknown members kept), or a fresh one */
	int exists;              /* the file was there */
	int corrupt;             /* the file was there but unusable; doc is fresh */
	char problem[512];       /* why it is corrupt */
};

/* Loads the state file. A missing file gives an empty state (0); a corrupt one also returns 0
 * with s->corrupt set and s->problem saying why, so the caller decides (a corrupt record blocks
 * installs unless --allow-downgrade). Other failures (cannot read) return an error. */
int stub_state_load(const char *root, const char *dir, struct stub_state *s);
/* 0 and *e when bundle has a record, IB_E_NOTFOUND when not. */
int stub_state_get(const struct stub_state *s, const char *bundle, struct stub_state_entry *e);
/* Adds or replaces e's record. */
int stub_state_set(struct stub_state *s, const struct stub_state_entry *e);
/* Writes the state atomically: temp file, fsync, rename, fsync of the directory; mode 0644 in a
 * directory created 0755. A corrupt file being replaced is kept as state.json.corrupt. */
int stub_state_save(struct stub_state *s);
void stub_state_release(struct stub_state *s);

/* The rollback rule for manifest m: 0 when it may be installed (no record, an equal or higher
 * sequence, or allow_downgrade); IB_E_ROLLBACK with a message naming both sequences otherwise,
 * and also when the state file is corrupt (the message says how to get out). */
int stub_state_check(const struct stub_state *s, const struct ib_manifest *m, int allow_downgrade);

/* ---- the install lock ---- */
struct stub_lock {
	intptr_t handle; /* POSIX fd / Windows HANDLE; -1 when not held */
	char path[IB_PATH_MAX];
};
#define STUB_LOCK_WAIT_DEFAULT 300 /* seconds a second install waits for the first */

/* Takes the exclusive install lock in the state directory (dir, else root's), waiting up to wait_s seconds
 * (0: not at all) or until *cancel is set. While held, the file names the holder (pid, bundle,
 * start time). IB_E_LOCKED names the holder when the wait ran out. on_wait, if set, is called
 * once when the lock is busy, with the holder's description. */
int stub_lock_acquire(const char *root, const char *dir, const char *bundle, unsigned wait_s,
		      volatile sig_atomic_t *cancel, void (*on_wait)(void *ctx, const char *holder), void *ctx,
		      struct stub_lock *l);
void stub_lock_release(struct stub_lock *l);

/* ---- platform layer: stub/state_posix.c or stub/state_win.c ---- */
/* Writes the state directory of root into dir, creating it (and missing parents) when create. */
int state_plat_dir(const char *root, int create, char *dir, size_t size);
/* The same for an explicit state directory: refused when it is a link, not a directory, owned
 * by someone other than root (Windows: SYSTEM, Administrators) or the caller, or writable by
 * others; created when missing and create (its parent must exist). */
int state_plat_own_dir(const char *dir, int create, char *out, size_t size);
/* Renames from to to, replacing to. */
int state_plat_rename(const char *from, const char *to);
/* Non-blocking attempt at the exclusive lock on path: 0 taken, IB_E_LOCKED busy, else an error.
 * holder receives the busy lock's description when it is readable. */
int state_plat_trylock(const char *path, const char *bundle, struct stub_lock *l, char *holder, size_t hsize);
void state_plat_unlock(struct stub_lock *l);
void state_plat_sleep_ms(unsigned ms);

#endif
