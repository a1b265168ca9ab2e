/* The install guard: the stub's self-check, the install lock and the rollback rule before
 * extraction, the install record after a successful installer, and their --detect/JSON view. */
#include "guard.h"

#include "rerun.h"
#include "state.h"

#include "../base/err.h"
#include "../base/util.h"

#include <cjson/cJSON.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void on_wait(void *ctx, const char *holder)
{
	struct stub_ctx *c = ctx;
	long wait = c->opts->lock_wait_set ? c->opts->lock_wait : STUB_LOCK_WAIT_DEFAULT;

	log_msg(&c->log, "warning", "another install is running (%s); waiting up to %ld s for it to finish", holder,
		wait);
}

/* The stub's own bytes against the signed manifest. This catches a damaged copy whose damage
 * did not stop the stub from running this far; it cannot catch a deliberately replaced stub,
 * which would simply skip the check (docs/SECURITY.md). */
static int self_check(struct stub_ctx *c)
{
	int rc = ib_bundle_check_stub(&c->bundle);

	if (rc == IB_E_INTEGRITY)
		return ib_fail(IB_E_INTEGRITY, "stub: its own bytes do not match the SHA-256 in the signed manifest "
					       "(a damaged copy?); nothing was extracted or run; check the file with "
					       "'ibpack verify' on a trusted machine");
	return rc;
}

static int load_record(struct stub_ctx *c)
{
	int rc = stub_state_load(NULL, c->opts->state_dir, &c->guard->state);

	if (rc)
		return rc;
	c->guard->loaded = 1;
	c->guard->have_record = !c->guard->state.corrupt &&
				stub_state_get(&c->guard->state, c->bundle.m.name, &c->guard->record) == 0;
	/* The boot id is read like the rest of the machine: below the detection root, if any. */
	(void)stub_boot_id(c->opts->sysroot, c->guard->boot_id, sizeof(c->guard->boot_id));
	c->reboot_pending = c->guard->have_record && stub_reboot_pending(&c->guard->record, c->guard->boot_id);
	if (c->guard->have_record)
		log_msg(&c->log, "info", "installed before: '%s' %s (sequence %llu, package '%s', %s)%s",
			c->guard->record.bundle, c->guard->record.version,
			(unsigned long long)c->guard->record.sequence, c->guard->record.package,
			c->guard->record.installed, c->reboot_pending ? "; its reboot is still pending" : "");
	return 0;
}

static int apply_rule(struct stub_ctx *c)
{
	const struct ib_manifest *m = &c->bundle.m;
	int rc = stub_state_check(&c->guard->state, m, c->opts->allow_downgrade);

	if (rc)
		return rc;
	if (c->guard->state.corrupt)
		log_msg(&c->log, "warning",
			"the install state '%s' is unusable (%s); continuing because of "
			"--allow-downgrade",
			c->guard->state.path, c->guard->state.problem);
	else if (c->guard->have_record && m->sequence < c->guard->record.sequence)
		log_msg(&c->log, "warning",
			"installing sequence %llu over the newer sequence %llu because of "
			"--allow-downgrade",
			(unsigned long long)m->sequence, (unsigned long long)c->guard->record.sequence);
	return 0;
}

int stub_guard_begin(struct stub_ctx *c)
{
	const struct stub_opts *o = c->opts;
	long wait = o->lock_wait_set ? o->lock_wait : STUB_LOCK_WAIT_DEFAULT;
	int rc;

	if ((rc = self_check(c)))
		return rc;
	rc = stub_lock_acquire(NULL, o->state_dir, c->bundle.m.name, (unsigned)wait, &c->cancel, on_wait, c,
			       &c->guard->lock);
	if (rc)
		return rc;
	c->guard->locked = 1;
	/* Read under the lock: no other install can change the record between check and write. */
	if ((rc = load_record(c)))
		return rc;
	if ((rc = apply_rule(c)))
		return rc;
	stub_rerun_decide(c, c->guard->have_record ? &c->guard->record : NULL);
	return 0;
}

int stub_guard_commit(struct stub_ctx *c, int rc)
{
	const struct ib_manifest *m = &c->bundle.m;
	const struct ib_package *p = c->sel.pkg;
	struct stub_state_entry e;
	int w;

	if (rc || !c->guard->loaded || !p)
		return rc;
	memset(&e, 0, sizeof(e));
	snprintf(e.bundle, sizeof(e.bundle), "%s", m->name);
	e.sequence = m->sequence;
	snprintf(e.version, sizeof(e.version), "%.128s", m->version);
	snprintf(e.package, sizeof(e.package), "%s", p->id);
	snprintf(e.package_version, sizeof(e.package_version), "%.128s", p->version);
	ib_format_utc((int64_t)time(NULL), e.installed, sizeof(e.installed));
	/* A reboot an earlier install asked for is still owed when this one needs none. */
	e.reboot_required = c->reboot_required || c->reboot_pending;
	if (e.reboot_required)
		snprintf(e.boot_id, sizeof(e.boot_id), "%s",
			 c->reboot_pending && c->guard->record.boot_id[0] ? c->guard->record.boot_id
									  : c->guard->boot_id);
	c->reboot_pending = e.reboot_required;
	if (c->kept_root[0] && ib_snprintf(e.kept_source, sizeof(e.kept_source), "%s\\%s", c->kept_root, p->id))
		e.kept_source[0] = '\0';
	w = stub_state_set(&c->guard->state, &e);
	if (!w)
		w = stub_state_save(&c->guard->state);
	/* The package is installed either way; failing the run now would only invite a retry. */
	if (w)
		log_msg(&c->log, "warning",
			"installed, but the install state was not recorded (%s): a later "
			"older bundle will not be refused",
			ib_errmsg(w));
	else
		log_msg(&c->log, "info", "recorded '%s' sequence %llu in %s", e.bundle, (unsigned long long)e.sequence,
			c->guard->state.path);
	return 0;
}

void stub_guard_release(struct stub_ctx *c)
{
	if (c->guard->locked)
		stub_lock_release(&c->guard->lock);
	c->guard->locked = 0;
	stub_state_release(&c->guard->state);
	c->guard->loaded = 0;
}

int stub_guard_detect(struct stub_ctx *c, int rc)
{
	int lr = load_record(c);

	if (lr) {
		log_msg(&c->log, "warning", "%s", ib_errmsg(lr));
		return rc;
	}
	if (!c->guard->have_record && !c->guard->state.corrupt)
		log_msg(&c->log, "info", "no earlier install of '%s' recorded in %s", c->bundle.m.name,
			c->guard->state.path);
	if (rc || (rc = apply_rule(c)))
		return rc;
	stub_rerun_decide(c, c->guard->have_record ? &c->guard->record : NULL);
	log_msg(&c->log, "info", "%s",
		c->already_installed                    ? c->message
		: !strcmp(c->plan, STUB_PLAN_REINSTALL) ? "would install again (--reinstall)"
							: "would install");
	return 0;
}

void stub_guard_json(const struct stub_ctx *c, cJSON *o)
{
	cJSON *r;

	(void)c;
	if (!c->guard->loaded)
		return;
	cJSON_AddStringToObject(o, "state_file", c->guard->state.path);
	if (!c->guard->have_record) {
		cJSON_AddNullToObject(o, "installed_before");
		return;
	}
	r = cJSON_AddObjectToObject(o, "installed_before");
	cJSON_AddStringToObject(r, "bundle", c->guard->record.bundle);
	cJSON_AddNumberToObject(r, "sequence", (double)c->guard->record.sequence);
	cJSON_AddStringToObject(r, "version", c->guard->record.version);
	cJSON_AddStringToObject(r, "package", c->guard->record.package);
	cJSON_AddStringToObject(r, "package_version", c->guard->record.package_version);
	cJSON_AddStringToObject(r, "installed", c->guard->record.installed);
	cJSON_AddBoolToObject(r, "reboot_required", c->guard->record.reboot_required);
	if (c->guard->record.boot_id[0])
		cJSON_AddStringToObject(r, "boot_id", c->guard->record.boot_id);
	cJSON_AddBoolToObject(r, "reboot_pending", stub_reboot_pending(&c->guard->record, c->guard->boot_id));
}

const char *stub_signal_name(int sig)
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
		{SIGINT, "SIGINT"},   {SIGILL, "SIGILL"},   {SIGABRT, "SIGABRT"}, {SIGFPE, "SIGFPE"},
		{SIGSEGV, "SIGSEGV"}, {SIGTERM, "SIGTERM"},
#ifndef _WIN32
		{SIGHUP, "SIGHUP"},   {SIGQUIT, "SIGQUIT"}, {SIGTRAP, "SIGTRAP"}, {SIGBUS, "SIGBUS"},
		{SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}, {SIGPIPE, "SIGPIPE"},
		{SIGALRM, "SIGALRM"}, {SIGSYS, "SIGSYS"},   {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
#endif
	};
	static char other[32];

	for (size_t i = 0; i < IB_ARRAY_LEN(names); i++)
		if (names[i].sig == sig)
			return names[i].name;
	snprintf(other, sizeof(other), "signal %d", sig);
	return other;
}
