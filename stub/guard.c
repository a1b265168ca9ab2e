/* The install guard: the stub's self-check, the install lock and the rollback rule before
 * extraction, the install record after a successful installer, and their --detect/JSON view. */
#include "guard.h"

#include "state.h"

#include "../format/err.h"
#include "../format/util.h"

#include <cjson/cJSON.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* One install per process: the guard's state lives here rather than in the shared context
 * (zero-initialized, so it costs no space in the stub file). */
static struct {
	int locked;                  /* lock is held */
	struct stub_lock lock;
	struct stub_state state;
	int loaded;                  /* state holds a loaded file */
	int have_record;             /* record is this bundle's earlier install */
	struct stub_state_entry record;
} g;

const char *stub_guard_root(const struct stub_opts *o)
{
	return o->sysroot && *o->sysroot ? o->sysroot : NULL;
}

static void on_wait(void *ctx, const char *holder)
{
	struct stub_ctx *c = ctx;
	long wait = c->opts->lock_wait_set ? c->opts->lock_wait : STUB_LOCK_WAIT_DEFAULT;

	log_msg(&c->log, "warning", "another install is running (%s); waiting up to %ld s for it to finish",
		holder, wait);
}

/* The stub's own bytes against the signed manifest. This catches a damaged copy whose damage
 * did not stop the stub from running this far; it cannot catch a deliberately replaced stub,
 * which would simply skip the check (docs/SECURITY.md). */
static int self_check(struct stub_ctx *c)
{
	uint8_t hash[IB_SHA256_LEN];
	int rc = ib_bundle_stub_hash(&c->bundle, hash);

	if (rc)
		return rc;
	if (memcmp(hash, c->bundle.m.stub_sha256, IB_SHA256_LEN) != 0)
		return ib_fail(IB_E_INTEGRITY, "stub: its own bytes do not match the SHA-256 in the signed manifest "
			       "(a damaged copy?); nothing was extracted or run; check the file with "
			       "'ibpack verify' on a trusted machine");
	return 0;
}

static int load_record(struct stub_ctx *c)
{
	int rc = stub_state_load(stub_guard_root(c->opts), &g.state);

	if (rc)
		return rc;
	g.loaded = 1;
	g.have_record = !g.state.corrupt && stub_state_get(&g.state, c->bundle.m.name, &g.record) == 0;
	if (g.have_record)
		log_msg(&c->log, "info", "installed before: '%s' %s (sequence %llu, package '%s', %s)", g.record.bundle,
			g.record.version, (unsigned long long)g.record.sequence, g.record.package, g.record.installed);
	return 0;
}

static int apply_rule(struct stub_ctx *c)
{
	const struct ib_manifest *m = &c->bundle.m;
	int rc = stub_state_check(&g.state, m, c->opts->allow_downgrade);

	if (rc)
		return rc;
	if (g.state.corrupt)
		log_msg(&c->log, "warning", "the install state '%s' is unusable (%s); continuing because of "
			"--allow-downgrade", g.state.path, g.state.problem);
	else if (g.have_record && m->sequence < g.record.sequence)
		log_msg(&c->log, "warning", "installing sequence %llu over the newer sequence %llu because of "
			"--allow-downgrade", (unsigned long long)m->sequence, (unsigned long long)g.record.sequence);
	return 0;
}

int stub_guard_begin(struct stub_ctx *c)
{
	const struct stub_opts *o = c->opts;
	long wait = o->lock_wait_set ? o->lock_wait : STUB_LOCK_WAIT_DEFAULT;
	int rc;

	if ((rc = self_check(c)))
		return rc;
	rc = stub_lock_acquire(stub_guard_root(o), c->bundle.m.name, (unsigned)wait, &c->cancel, on_wait, c,
			       &g.lock);
	if (rc)
		return rc;
	g.locked = 1;
	/* Read under the lock: no other install can change the record between check and write. */
	if ((rc = load_record(c)))
		return rc;
	return apply_rule(c);
}

int stub_guard_commit(struct stub_ctx *c, int rc)
{
	const struct ib_manifest *m = &c->bundle.m;
	const struct ib_package *p = c->sel.pkg;
	struct stub_state_entry e;
	int w;

	if (rc || !g.loaded || !p)
		return rc;
	memset(&e, 0, sizeof(e));
	snprintf(e.bundle, sizeof(e.bundle), "%s", m->name);
	e.sequence = m->sequence;
	snprintf(e.version, sizeof(e.version), "%.128s", m->version);
	snprintf(e.package, sizeof(e.package), "%s", p->id);
	snprintf(e.package_version, sizeof(e.package_version), "%.128s", p->version);
	ib_format_utc((int64_t)time(NULL), e.installed, sizeof(e.installed));
	e.reboot_required = c->reboot_required;
	if (c->kept_root[0] && ib_snprintf(e.kept_source, sizeof(e.kept_source), "%s\\%s", c->kept_root, p->id))
		e.kept_source[0] = '\0';
	w = stub_state_set(&g.state, &e);
	if (!w)
		w = stub_state_save(&g.state);
	/* The package is installed either way; failing the run now would only invite a retry. */
	if (w)
		log_msg(&c->log, "warning", "installed, but the install state was not recorded (%s): a later "
			"older bundle will not be refused", ib_errmsg(w));
	else
		log_msg(&c->log, "info", "recorded '%s' sequence %llu in %s", e.bundle, (unsigned long long)e.sequence,
			g.state.path);
	return 0;
}

void stub_guard_release(struct stub_ctx *c)
{
	(void)c;
	if (g.locked)
		stub_lock_release(&g.lock);
	g.locked = 0;
	stub_state_release(&g.state);
	g.loaded = 0;
}

int stub_guard_detect(struct stub_ctx *c, int rc)
{
	int lr = load_record(c);

	if (lr) {
		log_msg(&c->log, "warning", "%s", ib_errmsg(lr));
		return rc;
	}
	if (!g.have_record && !g.state.corrupt)
		log_msg(&c->log, "info", "no earlier install of '%s' recorded in %s", c->bundle.m.name, g.state.path);
	return rc ? rc : apply_rule(c);
}

void stub_guard_json(const struct stub_ctx *c, cJSON *o)
{
	cJSON *r;

	(void)c;
	if (!g.loaded)
		return;
	cJSON_AddStringToObject(o, "state_file", g.state.path);
	if (!g.have_record) {
		cJSON_AddNullToObject(o, "installed_before");
		return;
	}
	r = cJSON_AddObjectToObject(o, "installed_before");
	cJSON_AddStringToObject(r, "bundle", g.record.bundle);
	cJSON_AddNumberToObject(r, "sequence", (double)g.record.sequence);
	cJSON_AddStringToObject(r, "version", g.record.version);
	cJSON_AddStringToObject(r, "package", g.record.package);
	cJSON_AddStringToObject(r, "package_version", g.record.package_version);
	cJSON_AddStringToObject(r, "installed", g.record.installed);
	cJSON_AddBoolToObject(r, "reboot_required", g.record.reboot_required);
}

const char *stub_signal_name(int sig)
{
	static const struct { int sig; const char *name; } names[] = {
		{ SIGINT, "SIGINT" }, { SIGILL, "SIGILL" }, { SIGABRT, "SIGABRT" }, { SIGFPE, "SIGFPE" },
		{ SIGSEGV, "SIGSEGV" }, { SIGTERM, "SIGTERM" },
#ifndef _WIN32
		{ SIGHUP, "SIGHUP" }, { SIGQUIT, "SIGQUIT" }, { SIGTRAP, "SIGTRAP" }, { SIGBUS, "SIGBUS" },
		{ SIGKILL, "SIGKILL" }, { SIGUSR1, "SIGUSR1" }, { SIGUSR2, "SIGUSR2" }, { SIGPIPE, "SIGPIPE" },
		{ SIGALRM, "SIGALRM" }, { SIGSYS, "SIGSYS" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
#endif
	};
	static char other[32];

	for (size_t i = 0; i < IB_ARRAY_LEN(names); i++)
		if (names[i].sig == sig)
			return names[i].name;
	snprintf(other, sizeof(other), "signal %d", sig);
	return other;
}
