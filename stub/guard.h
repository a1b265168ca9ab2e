/* The install guard: what stub_install does before extracting (self-check, lock, rollback rule)
 * and after the installer (the install record), plus --detect's view of the record. */
#ifndef IBPACK_GUARD_H
#define IBPACK_GUARD_H

#include "actions.h"
#include "state.h"

/* What the guard holds for the one install of a run: owned by the run's context. */
struct stub_guard {
	int locked; /* lock is held */
	struct stub_lock lock;
	struct stub_state state;
	int loaded;      /* state holds a loaded file */
	int have_record; /* record is this bundle's earlier install */
	struct stub_state_entry record;
	char boot_id[64]; /* the running boot ("" when unknown): stub/rerun.c */
};

struct cJSON;

/* The record and lock of a host install live in the machine's state directory, or in the
 * explicit one of --state-dir / $IBPACK_STATE_DIR; never below --sysroot, which only says where
 * detection reads. Image installs (--root) keep theirs in the image (stub/root.c). */

/* Before anything is extracted: checks the stub's own bytes against the signed manifest, takes
 * the install lock and applies the rollback rule. 0, or an error that ends the run. */
int stub_guard_begin(struct stub_ctx *c);
/* After the installer: rc == 0 (installed, or installed with reboot required) records the
 * bundle in the install state; any other rc leaves the state as it was. Returns rc. */
int stub_guard_commit(struct stub_ctx *c, int rc);
/* Releases the lock and the loaded state; called by stub_finish, safe to call twice. */
void stub_guard_release(struct stub_ctx *c);
/* --detect: logs the recorded install of this bundle name and applies the rollback rule, so
 * --detect exits as the install would. rc is detection's result, returned when non-zero. */
int stub_guard_detect(struct stub_ctx *c, int rc);
/* Adds "state_file" and "installed_before" (the record this run found, or null) to the JSON
 * result. */
void stub_guard_json(const struct stub_ctx *c, struct cJSON *o);

/* "SIGKILL" for 9, "signal 42" for what has no name here. */
const char *stub_signal_name(int sig);

#endif
