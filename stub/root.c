/* Image installs (--root DIR): one selection per --nic token, each distinct package extracted and
 * installed once into the mounted image, and a result that says what was installed for which NIC. */
#include "root.h"
#include "rerun.h"
#include "state.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../format/extract.h"
#include "../base/util.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The stub runs one action per process, so one job is enough; stub_finish reads it for the
 * result after the action returned. */

/* The install record and lock of the image (stub/state.h, inside DIR): the rollback rule applies
 * to an image as it does to a machine, and the image remembers what was installed into it. */
static struct {
	struct stub_state state;
	struct stub_lock lock;
	int loaded, locked;
} guard;

int root_check_opts(const struct stub_opts *o)
{
	const char *verb = o->stage ? "--stage" : "--unstage";

	if (o->stage && o->unstage)
		return ib_fail(IB_E_USAGE, "--stage and --unstage exclude each other");
	if ((o->stage || o->unstage) && !o->root)
		return ib_fail(IB_E_USAGE, "%s needs --root DIR (the mounted image)", verb);
	if (!o->root)
		return 0;
	if (!o->root[0])
		return ib_fail(IB_E_USAGE, "--root needs a directory");
	if (o->list || o->verify || o->extract_dir)
		return ib_fail(IB_E_USAGE, "--root cannot be combined with --list, --verify or --extract");
	if (o->sysroot)
		return ib_fail(IB_E_USAGE, "--root and --sysroot exclude each other: nothing is detected in an image");
	if (o->state_dir)
		return ib_fail(IB_E_USAGE, "--root and --state-dir exclude each other: an image keeps its install "
					   "record inside DIR");
	if (o->stage || o->unstage) {
		if (o->n_nic_override || o->os_override || o->force_package || o->detect || o->timeout ||
		    o->kernel_override)
			return ib_fail(IB_E_USAGE,
				       "%s takes no --nic, --os, --kernel, --package, --detect or --timeout: "
				       "the staged bundle detects the hardware, the OS and the kernel when the image "
				       "first boots",
				       verb);
		return 0;
	}
	if (!o->n_nic_override && !o->force_package)
		return ib_fail(IB_E_USAGE, "--root needs the NICs the image must serve (--nic TOKEN, repeatable) or "
					   "--package ID: no hardware is detected for an image");
#ifdef _WIN32
	if (!o->os_override)
		return ib_fail(IB_E_USAGE, "--root on Windows needs --os TOKEN (e.g. windows-server-2022): the "
					   "version of an offline image is not detected");
#else
	if (o->tmpdir)
		return ib_fail(IB_E_USAGE, "--tmpdir does not apply to --root: packages are extracted into "
					   "DIR/var/tmp, inside the image");
#endif
	return 0;
}

struct root_job *root_job_init(struct stub_ctx *c)
{
	/* Once per run: the job is freed by stub_finish, after the result is printed. */
	if (!c->root)
		c->root = calloc(1, sizeof(*c->root));
	return c->root;
}

FILE *root_human(const struct stub_ctx *c)
{
	if (c->opts->quiet)
		return NULL;
	return c->opts->json ? stderr : stdout;
}

void root_open_log(struct stub_ctx *c)
{
	char path[IB_PATH_MAX];

	/* The log stays on the host (the build machine): it records how the image was made. */
	if (c->opts->detect) {
		log_open(&c->log, NULL, root_human(c));
		return;
	}
	if (c->opts->log_file)
		snprintf(path, sizeof(path), "%s", c->opts->log_file);
	else
		plat_default_log(c->bundle.m.name, path, sizeof(path));
	log_open(&c->log, path, root_human(c));
}

void root_add_path(struct root_job *j, const char *role, const char *path)
{
	if (j->npaths == ROOT_MAX_PATHS)
		return;
	j->path_roles[j->npaths] = role;
	snprintf(j->paths[j->npaths], sizeof(j->paths[0]), "%s", path);
	j->npaths++;
}

void root_message(struct stub_ctx *c, const char *fmt, ...)
{
	va_list ap;

	/* A message too long for the result is cut; it is a report, not a path anyone uses. */
	va_start(ap, fmt);
	if (vsnprintf(c->message, sizeof(c->message), fmt, ap) < 0)
		c->message[0] = '\0';
	va_end(ap);
}

int root_image_os(struct stub_ctx *c)
{
	struct stub_host *h = &c->host;
	int rc;

	memset(h, 0, sizeof(*h));
	/* The build machine's kernel is not the image's: the image's installed kernel, or --kernel. */
	if (c->opts->kernel_override)
		snprintf(h->kernel, sizeof(h->kernel), "%s", c->opts->kernel_override);
	else if (root_plat_kernel(c, c->root, h->kernel, sizeof(h->kernel)))
		snprintf(h->kernel, sizeof(h->kernel), "unknown");
	stub_host_export_kernel(h);
	if (c->opts->os_override) {
		snprintf(h->os, sizeof(h->os), "%s", c->opts->os_override);
		return 0;
	}
	rc = root_plat_os(c, c->root, h->os, sizeof(h->os), h->os_pretty, sizeof(h->os_pretty));
	if (rc)
		return rc;
	if (!strcmp(h->os, "unknown"))
		log_msg(&c->log, "warning", "the image has no etc/os-release: its OS is 'unknown' (pass --os TOKEN)");
	return 0;
}

static void join_nics(const char *const *nics, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		int w = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", nics[i]);

		if (w < 0)
			break;
		len += (size_t)w;
	}
}

static struct root_item *item_for(struct root_job *j, const struct ib_package *p)
{
	for (size_t i = 0; i < j->nitems; i++)
		if (j->items[i].pkg == p)
			return &j->items[i];
	if (j->nitems == STUB_MAX_NICS)
		return NULL;
	j->items[j->nitems].pkg = p;
	j->items[j->nitems].state = "planned";
	return &j->items[j->nitems++];
}

static void add_nic(struct root_item *it, const char *nic)
{
	for (size_t i = 0; i < it->nnics; i++)
		if (!strcmp(it->nics[i], nic))
			return;
	it->nics[it->nnics++] = nic;
}

/* One selection per NIC token, with the normal rules (docs/SPEC.md); every token must be served,
 * or nothing is installed: an image that cannot serve a size it was built for is a build error. */
static int plan(struct stub_ctx *c, struct root_job *j)
{
	const struct ib_manifest *m = &c->bundle.m;
	const struct stub_opts *o = c->opts;
	struct root_item *it;

	if (o->force_package) {
		const struct ib_package *p = ib_manifest_find(m, o->force_package);

		if (!p)
			return ib_fail(IB_E_USAGE, "no package '%s' in this bundle", o->force_package);
		it = item_for(j, p);
		for (size_t i = 0; i < o->n_nic_override; i++)
			add_nic(it, o->nic_override[i]);
		snprintf(it->why, sizeof(it->why), "package '%s' forced with --package", p->id);
		return 0;
	}
	for (size_t i = 0; i < o->n_nic_override; i++) {
		struct ib_selection sel;
		int rc = ib_select_kernel(m, c->host.os, c->host.kernel, &o->nic_override[i], 1, &sel);

		if (rc) {
			c->sel = sel;
			j->nitems = 0; /* nothing is installed: the result lists no partial plan */
			return ib_fail(rc, "--nic %s: %s", o->nic_override[i], sel.why);
		}
		it = item_for(j, sel.pkg);
		if (!it)
			return ib_fail(IB_E_USAGE, "too many packages");
		if (!it->nnics)
			snprintf(it->why, sizeof(it->why), "%s", sel.why);
		add_nic(it, o->nic_override[i]);
	}
	/* Spec order: the bundle author's order is the install order. */
	for (size_t a = 1; a < j->nitems; a++)
		for (size_t b = a; b > 0 && j->items[b].pkg < j->items[b - 1].pkg; b--) {
			struct root_item t = j->items[b];

			j->items[b] = j->items[b - 1];
			j->items[b - 1] = t;
		}
	return 0;
}

static void summarize(struct stub_ctx *c, struct root_job *j, const char *verb)
{
	size_t len;
	char nics[256];

	len = (size_t)snprintf(c->message, sizeof(c->message), "%s into %s: ", verb, j->dir);
	for (size_t i = 0; i < j->nitems && len < sizeof(c->message); i++) {
		const struct root_item *it = &j->items[i];
		int w;

		join_nics(it->nics, it->nnics, nics, sizeof(nics));
		w = snprintf(c->message + len, sizeof(c->message) - len, "%s%s %s (package '%s')%s%s%s", i ? "; " : "",
			     it->pkg->name, it->pkg->version, it->pkg->id, it->nnics ? " for " : "", nics,
			     !strcmp(it->state, "reboot_required") ? ", reboot required" : "");
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/* The installer's exit code against the codes that mean installed / reboot required. */
static int judge(struct stub_ctx *c, struct root_item *it, const struct ib_codes *ok, const struct ib_codes *reboot)
{
	if (!it->run.exited)
		return ib_fail(IB_E_INSTALLER, "package '%s': installer was killed by signal %d", it->pkg->id,
			       it->run.signal);
	if (ib_codes_has(reboot, it->run.code)) {
		it->state = "reboot_required";
		c->reboot_required = 1;
		return 0;
	}
	if (!ib_codes_has(ok, it->run.code))
		return ib_fail(IB_E_INSTALLER,
			       "package '%s': installer exited with %ld, which is not a success "
			       "code",
			       it->pkg->id, it->run.code);
	it->state = "installed";
	return 0;
}

static int install_one(struct stub_ctx *c, struct root_job *j, struct root_area *a, struct root_item *it)
{
	const struct ib_codes *ok = NULL, *reboot = NULL;
	struct ib_extract_opts eo;
	struct ib_extract_stats st;
	char sub[600], nics[256];
	int rc;

	if (ib_snprintf(sub, sizeof(sub), "%s%s%s", a->base, a->base[0] ? "/" : "", it->pkg->id))
		return ib_fail(-ENAMETOOLONG, "temp path too long");
	memset(&eo, 0, sizeof(eo));
	eo.cancel = &c->cancel;
	log_msg(&c->log, "info", "extracting package '%s' into %s%s%s", it->pkg->id, a->host_path, ROOT_SEP,
		it->pkg->id);
	rc = ib_extract_package(&c->bundle, it->pkg, a->out, sub, &eo, &st);
	if (rc)
		return rc;
	log_msg(&c->log, "info", "extracted %llu files, %llu bytes (every chunk verified)",
		(unsigned long long)st.files, (unsigned long long)st.bytes);
	rc = root_plat_run(c, j, a, it, &ok, &reboot);
	if (!rc)
		rc = judge(c, it, ok, reboot);
	if (rc)
		return rc;
	join_nics(it->nics, it->nnics, nics, sizeof(nics));
	log_msg(&c->log, "info", "%s %s (package '%s') installed into %s%s%s%s", it->pkg->name, it->pkg->version,
		it->pkg->id, j->dir, it->nnics ? " for " : "", nics,
		!strcmp(it->state, "reboot_required") ? "; reboot required" : "");
	return 0;
}

/* Before anything is extracted: the stub's own bytes, the image's install lock and its record. */
static int guard_begin(struct stub_ctx *c, struct root_job *j)
{
	const struct stub_opts *o = c->opts;
	long wait = o->lock_wait_set ? o->lock_wait : STUB_LOCK_WAIT_DEFAULT;
	int rc = ib_bundle_check_stub(&c->bundle);

	if (rc == IB_E_INTEGRITY)
		rc = ib_fail(IB_E_INTEGRITY, "stub: its own bytes do not match the SHA-256 in the signed manifest; "
					     "nothing was extracted or run");
	if (rc)
		return rc;
	if (!o->detect) {
		/* The state API works on paths: make sure its directories are real ones first. */
		if ((rc = root_plat_state_dir(j)))
			return rc;
		rc = stub_lock_acquire(j->dir, NULL, c->bundle.m.name, (unsigned)wait, &c->cancel, NULL, NULL,
				       &guard.lock);
		if (rc)
			return rc;
		guard.locked = 1;
	}
	if ((rc = stub_state_load(j->dir, NULL, &guard.state)))
		return rc;
	guard.loaded = 1;
	return stub_state_check(&guard.state, &c->bundle.m, o->allow_downgrade);
}

/* The plan's packages as the image's record lists them: one record per bundle, so several
 * packages are listed together ("a,b"). */
static void plan_packages(const struct root_job *j, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < j->nitems && len < size; i++) {
		int w = snprintf(buf + len, size - len, "%s%s", i ? "," : "", j->items[i].pkg->id);

		len += w > 0 ? (size_t)w : 0;
	}
}

/* 1 when the package list recorded holds exactly the plan's packages, in any order (the order
 * follows the --nic options). */
static int same_packages(const char *recorded, const struct root_job *j)
{
	size_t n = 0;

	for (const char *p = recorded; *p; n++) {
		size_t len = strcspn(p, ",");
		int found = 0;

		for (size_t i = 0; i < j->nitems && !found; i++)
			found = strlen(j->items[i].pkg->id) == len && !strncmp(j->items[i].pkg->id, p, len);
		if (!found)
			return 0;
		p += len + (p[len] == ',');
	}
	return n == j->nitems;
}

/* Whether the image holds this plan already: the record names this bundle's sequence and the same
 * packages (an image has no hardware and no running boot, so nothing else can differ). Sets
 * c->plan, and when nothing will run c->already_installed, the items' state and the message. */
static int rerun_decide(struct stub_ctx *c, struct root_job *j)
{
	const struct ib_manifest *m = &c->bundle.m;
	struct stub_state_entry rec;
	char pkgs[sizeof(rec.package)];

	c->plan = STUB_PLAN_INSTALL;
	if (!guard.loaded || guard.state.corrupt || stub_state_get(&guard.state, m->name, &rec) ||
	    rec.sequence != m->sequence || !same_packages(rec.package, j))
		return 0;
	plan_packages(j, pkgs, sizeof(pkgs));
	if (c->opts->reinstall) {
		c->plan = STUB_PLAN_REINSTALL;
		log_msg(&c->log, "info",
			"'%s' sequence %llu, packages '%s' are installed in the image already; installing again "
			"because of --reinstall",
			m->name, (unsigned long long)m->sequence, pkgs);
		return 0;
	}
	c->plan = STUB_PLAN_ALREADY;
	c->already_installed = 1;
	for (size_t i = 0; i < j->nitems; i++)
		j->items[i].state = "already_installed";
	root_message(c,
		     "%s %s (sequence %llu), packages '%s', is installed in %s already (since %s): nothing %s; "
		     "--reinstall runs the installers again",
		     m->name, m->version, (unsigned long long)m->sequence, pkgs, j->dir, rec.installed,
		     c->opts->detect ? "would be extracted or run" : "was extracted or run");
	return 1;
}

/* An image install with nothing to do still reads each planned package once and checks every
 * chunk, so a damaged copy of the bundle is reported on every run. */
static int rerun_verify(struct stub_ctx *c, const struct root_job *j)
{
	for (size_t i = 0; i < j->nitems; i++) {
		long bad = -1;
		int rc = ib_bundle_check_package(&c->bundle, j->items[i].pkg, &bad);

		if (rc)
			return ib_fail_ctx(rc,
					   "package '%s' of this bundle is damaged, although it is installed "
					   "in the image already: ",
					   j->items[i].pkg->id);
	}
	return 0;
}

static void guard_commit(struct stub_ctx *c, struct root_job *j)
{
	struct stub_state_entry e;
	int rc;

	memset(&e, 0, sizeof(e));
	snprintf(e.bundle, sizeof(e.bundle), "%s", c->bundle.m.name);
	e.sequence = c->bundle.m.sequence;
	snprintf(e.version, sizeof(e.version), "%.128s", c->bundle.m.version);
	plan_packages(j, e.package, sizeof(e.package));
	snprintf(e.package_version, sizeof(e.package_version), "%.128s", j->items[0].pkg->version);
	ib_format_utc((int64_t)time(NULL), e.installed, sizeof(e.installed));
	e.reboot_required = c->reboot_required;
	rc = stub_state_set(&guard.state, &e);
	if (!rc)
		rc = stub_state_save(&guard.state);
	if (rc)
		log_msg(&c->log, "warning", "installed, but the image's install state was not recorded (%s)",
			ib_errmsg(rc));
	else
		log_msg(&c->log, "info", "recorded '%s' sequence %llu in %s", e.bundle, (unsigned long long)e.sequence,
			guard.state.path);
}

/* Unlocks and frees the record; guard.state.path stays for the JSON result. */
static int guard_end(int rc)
{
	if (guard.locked)
		stub_lock_release(&guard.lock);
	guard.locked = 0;
	stub_state_release(&guard.state);
	return rc;
}

static int install_all(struct stub_ctx *c, struct root_job *j)
{
	struct root_area a;
	int rc;

	if ((rc = root_plat_area(c, j, &a))) {
		root_plat_cleanup(c, &a); /* whatever it made before failing */
		return rc;
	}
	for (size_t i = 0; i < j->nitems; i++) {
		if (rc) {
			j->items[i].state = "not-run";
			continue;
		}
		rc = install_one(c, j, &a, &j->items[i]);
		if (rc)
			j->items[i].state = "failed";
	}
	root_plat_cleanup(c, &a);
	return rc;
}

int stub_root_install(struct stub_ctx *c)
{
	struct root_job *j = root_job_init(c);
	char nics[256];
	int rc;

	c->action = c->opts->detect ? "detect" : "install";
	root_open_log(c);
	if ((rc = root_plat_open(c, j)) || (rc = root_image_os(c)))
		return rc;
	c->detected = 1;
	for (size_t i = 0; i < c->opts->n_nic_override; i++) {
		int seen = 0;

		for (size_t k = 0; k < c->host.nnics; k++)
			seen |= !strcmp(c->host.nics[k], c->opts->nic_override[i]);
		if (!seen)
			c->host.nics[c->host.nnics++] = c->opts->nic_override[i];
	}
	join_nics(c->host.nics, c->host.nnics, nics, sizeof(nics));
	log_msg(&c->log, "info", "bundle %s %s (sequence %llu); image %s, OS %s (%s), kernel %s (%s)%s%s",
		c->bundle.m.name, c->bundle.m.version, (unsigned long long)c->bundle.m.sequence, j->dir, c->host.os,
		c->opts->os_override ? "--os" : "its os-release", c->host.kernel,
		c->opts->kernel_override            ? "--kernel"
		: strcmp(c->host.kernel, "unknown") ? "installed in the image"
						    : "none installed in the image; --kernel names it",
		nics[0] ? ", NICs to serve: " : "", nics);
	if ((rc = plan(c, j)))
		return rc;
	c->sel.pkg = j->items[0].pkg;
	for (size_t i = 0; i < j->nitems; i++)
		log_msg(&c->log, "info", "%s", j->items[i].why);
	summarize(c, j, c->opts->detect ? "would install" : "installing");
	snprintf(c->sel.why, sizeof(c->sel.why), "%.*s", (int)sizeof(c->sel.why) - 1, c->message);
	c->message[0] = '\0';
	if ((rc = guard_begin(c, j)))
		return guard_end(rc);
	if (rerun_decide(c, j)) {
		log_msg(&c->log, "info", "%s", c->message);
		return guard_end(c->opts->detect ? 0 : rerun_verify(c, j));
	}
	if (c->opts->detect) {
		log_msg(&c->log, "info", "%s", c->sel.why);
		return guard_end(0);
	}
	rc = install_all(c, j);
	if (!rc) {
		summarize(c, j, "installed");
		guard_commit(c, j);
	}
	return guard_end(rc);
}

static cJSON *strarray(const char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

void root_result_json(const struct stub_ctx *c, cJSON *o)
{
	const struct root_job *j = c->root;

	if (!j->dir[0])
		return;
	cJSON_AddStringToObject(o, "root", j->dir);
	if (guard.loaded)
		cJSON_AddStringToObject(o, "state_file", guard.state.path);
	if (j->nitems) {
		cJSON *arr = cJSON_AddArrayToObject(o, "installs");

		for (size_t i = 0; i < j->nitems; i++) {
			const struct root_item *it = &j->items[i];
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "package", it->pkg->id);
			cJSON_AddStringToObject(e, "name", it->pkg->name);
			cJSON_AddStringToObject(e, "version", it->pkg->version);
			cJSON_AddItemToObject(e, "nics", strarray(it->nics, it->nnics));
			cJSON_AddStringToObject(e, "result", it->state);
			cJSON_AddStringToObject(e, "reason", it->why);
			if (it->ran) {
				cJSON *r = cJSON_AddObjectToObject(e, "installer");

				if (it->run.exited)
					cJSON_AddNumberToObject(r, "exit_code", (double)it->run.code);
				else
					cJSON_AddNullToObject(r, "exit_code");
				if (it->run.signal)
					cJSON_AddNumberToObject(r, "signal", it->run.signal);
				cJSON_AddBoolToObject(r, "timed_out", it->run.timed_out);
			}
			cJSON_AddItemToArray(arr, e);
		}
	}
	if (j->stage_kind) {
		int staging = !strcmp(c->action, "stage");
		cJSON *s = cJSON_AddObjectToObject(o, staging ? "staged" : "unstaged");
		cJSON *removed = staging ? NULL : cJSON_AddArrayToObject(s, "removed");

		cJSON_AddStringToObject(s, "kind", j->stage_kind);
		for (size_t i = 0; i < j->npaths; i++) {
			if (staging)
				cJSON_AddStringToObject(s, j->path_roles[i], j->paths[i]);
			else
				cJSON_AddItemToArray(removed, cJSON_CreateString(j->paths[i]));
		}
	}
}
