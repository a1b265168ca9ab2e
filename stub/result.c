/* The end of every stub run: the result (human line or one JSON object on one line), cleanup,
 * exit code. docs/JSON.md documents every member; STUB_JSON_SCHEMA is its version. */
#include "actions.h"
#include "guard.h" /* the install record in the result; lock release */
#include "root.h"  /* image installs and staging */

#include "../base/err.h"
#include "../base/text.h"
#include "../base/util.h"
#include "../policy/exitcode.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

/* Raised when a member changes meaning or disappears; new members do not raise it. */
#define STUB_JSON_SCHEMA 1

static const char *result_word(int rc, const struct stub_ctx *c)
{
	switch (rc) {
	case 0:
		if (!strcmp(c->action, "install"))
			return c->already_installed ? "already_installed"
			       : c->reboot_required ? "reboot_required"
						    : "installed";
		return !strcmp(c->action, "detect") ? "selected" : "ok";
	case IB_E_NODEVICE: return "no_device";
	case IB_E_UNSUPPORTED_OS: return "os_unsupported";
	case IB_E_UNSUPPORTED_KERNEL: return "kernel_unsupported";
	case IB_E_TIMEOUT: return "timeout";
	case IB_E_USAGE: return "usage";
	case IB_E_INTERRUPTED: return "interrupted";
	case IB_E_ROLLBACK: return "downgrade_refused";
	case IB_E_LOCKED: return "locked";
	default: return ib_exit_code(rc, c->target) == IB_EXIT_INTEGRITY ? "invalid" : "failed";
	}
}

static cJSON *strlist(const struct ib_strlist *l)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < l->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
	return a;
}

static void add_host(cJSON *o, const struct stub_host *h)
{
	cJSON *devs = cJSON_AddArrayToObject(o, "devices"), *nics = cJSON_AddArrayToObject(o, "nics");
	char hex[16];

	cJSON_AddStringToObject(o, "os", h->os);
	cJSON_AddStringToObject(o, "kernel", h->kernel);
	for (size_t i = 0; i < h->ndevs; i++) {
		const struct stub_dev *d = &h->devs[i];
		cJSON *e = cJSON_CreateObject(), *models = cJSON_CreateArray();

		cJSON_AddStringToObject(e, "address", d->address);
		cJSON_AddStringToObject(e, "bus", d->vmbus ? "vmbus" : "pci");
		if (!d->vmbus) {
			snprintf(hex, sizeof(hex), "0x%04x", d->vendor);
			cJSON_AddStringToObject(e, "vendor", hex);
			snprintf(hex, sizeof(hex), "0x%04x", d->device);
			cJSON_AddStringToObject(e, "device", hex);
			snprintf(hex, sizeof(hex), "0x%06x", (unsigned)d->class_code);
			cJSON_AddStringToObject(e, "class", hex);
			cJSON_AddStringToObject(e, "function", d->is_vf ? "vf" : "pf");
		}
		cJSON_AddBoolToObject(e, "infiniband", d->infiniband);
		for (size_t m = 0; m < d->nmodels; m++)
			cJSON_AddItemToArray(models, cJSON_CreateString(d->models[m]));
		cJSON_AddItemToObject(e, "models", models);
		if (d->nmodels)
			cJSON_AddStringToObject(e, "model_name", ib_nic_name(d->models[0]));
		if (d->note[0])
			cJSON_AddStringToObject(e, "note", d->note);
		cJSON_AddItemToArray(devs, e);
	}
	for (size_t i = 0; i < h->nnics; i++)
		cJSON_AddItemToArray(nics, cJSON_CreateString(h->nics[i]));
}

static void print_json(const struct stub_ctx *c, int rc, int code)
{
	const struct ib_manifest *m = &c->bundle.m;
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddNumberToObject(o, "schema", STUB_JSON_SCHEMA);
	cJSON_AddStringToObject(o, "action", c->action ? c->action : "none");
	cJSON_AddStringToObject(o, "result", result_word(rc, c));
	cJSON_AddNumberToObject(o, "exit_code", code);
	if (rc)
		cJSON_AddStringToObject(o, "reason", ib_exit_reason(rc));
	else
		cJSON_AddNullToObject(o, "reason");
	cJSON_AddStringToObject(o, "message", rc ? ib_errmsg(rc) : c->message);
	if (c->bundle.authenticated) {
		cJSON *b = cJSON_AddObjectToObject(o, "bundle");

		cJSON_AddStringToObject(b, "name", m->name);
		cJSON_AddStringToObject(b, "version", m->version);
		cJSON_AddNumberToObject(b, "sequence", (double)m->sequence);
		cJSON_AddStringToObject(b, "target", ib_target_name(m->target));
		cJSON_AddStringToObject(b, "created", m->created);
		if (c->action && !strcmp(c->action, "list")) {
			cJSON *a = cJSON_AddArrayToObject(o, "packages");

			for (size_t i = 0; i < m->npkgs; i++) {
				cJSON *e = cJSON_CreateObject();

				cJSON_AddStringToObject(e, "id", m->pkgs[i].id);
				cJSON_AddStringToObject(e, "name", m->pkgs[i].name);
				cJSON_AddStringToObject(e, "version", m->pkgs[i].version);
				cJSON_AddItemToObject(e, "os", strlist(&m->pkgs[i].os));
				cJSON_AddItemToObject(e, "nic", strlist(&m->pkgs[i].nic));
				if (m->pkgs[i].kernel.n)
					cJSON_AddItemToObject(e, "kernel", strlist(&m->pkgs[i].kernel));
				cJSON_AddNumberToObject(e, "priority", (double)m->pkgs[i].priority);
				cJSON_AddNumberToObject(e, "unpacked_size", (double)m->pkgs[i].unpacked_size);
				cJSON_AddItemToArray(a, e);
			}
		}
	}
	if (c->detected) {
		cJSON *sel = cJSON_AddObjectToObject(o, "selection");

		add_host(o, &c->host);
		if (c->sel.pkg) {
			cJSON_AddStringToObject(sel, "package", c->sel.pkg->id);
			cJSON_AddStringToObject(sel, "name", c->sel.pkg->name);
			cJSON_AddStringToObject(sel, "version", c->sel.pkg->version);
			if (c->sel.kernel_pattern)
				cJSON_AddStringToObject(sel, "kernel_rule", c->sel.kernel_pattern);
		} else {
			cJSON_AddNullToObject(sel, "package");
		}
		cJSON_AddStringToObject(sel, "reason", c->sel.why);
	}
	if (c->ran) {
		cJSON *r = cJSON_AddObjectToObject(o, "installer");

		if (c->run.exited)
			cJSON_AddNumberToObject(r, "exit_code", (double)c->run.code);
		else
			cJSON_AddNullToObject(r, "exit_code");
		if (c->run.signal)
			cJSON_AddNumberToObject(r, "signal", c->run.signal);
		cJSON_AddBoolToObject(r, "timed_out", c->run.timed_out);
	}
	cJSON_AddBoolToObject(o, "reboot_required", c->reboot_required);
	cJSON_AddBoolToObject(o, "reboot_pending", c->reboot_pending);
	if (c->plan)
		cJSON_AddStringToObject(o, "plan", c->plan);
	stub_guard_json(c, o);
	if (c->root) /* "root", "installs" (what for which NIC), "staged"/"unstaged" */
		root_result_json(c, o);
	if (c->log.path[0])
		cJSON_AddStringToObject(o, "log_file", c->log.path);
	if (c->kept_root[0] && c->sel.pkg) {
		char kept[4200];

		snprintf(kept, sizeof(kept), "%s\\%s", c->kept_root, c->sel.pkg->id);
		cJSON_AddStringToObject(o, "kept_source", kept);
	}
	if (c->installer_log[0])
		cJSON_AddStringToObject(o, "installer_log", c->installer_log);
	if (c->tmpdir[0] && c->opts->keep)
		cJSON_AddStringToObject(o, "kept_tmpdir", c->tmpdir);
	/* One line: parallel shells (pdsh, clush) interleave lines, never split one. */
	text = cJSON_PrintUnformatted(o);
	if (text) {
		puts(text);
		fflush(stdout);
		free(text);
	}
	cJSON_Delete(o);
}

/* One event log entry per install run: bundle, result, reason and exit code. */
static void report_event(const struct stub_ctx *c, int rc, int code)
{
	char text[1536];

	snprintf(text, sizeof(text), "ibpack bundle '%s' %s: %s; exit code %d%s%s%s%s",
		 c->bundle.authenticated ? c->bundle.m.name : "?", c->bundle.authenticated ? c->bundle.m.version : "",
		 result_word(rc, c), code, rc ? ", reason " : "", rc ? ib_exit_reason(rc) : "",
		 rc || c->message[0] ? ": " : "", rc ? ib_errmsg(rc) : c->message);
	plat_event(rc != 0, text);
}

int stub_finish(struct stub_ctx *c, int rc)
{
	int code = ib_exit_code(rc, c->target);

	if (rc == 0 && c->reboot_required && c->target == IB_TARGET_WINDOWS_X86_64)
		code = IB_EXIT_WIN_REBOOT;
	if (rc == IB_E_INTERRUPTED || c->cancel)
		log_msg(&c->log, "error", "interrupted by %s; cleaning up",
			c->cancel ? stub_signal_name((int)c->cancel) : "a signal");
	stub_keep_finish(c, rc);
	if (c->tmpdir[0]) {
		if (c->opts->keep)
			log_msg(&c->log, "info", "kept %s", c->tmpdir);
#ifndef _WIN32
		else if (c->tmp.fd >= 0 && stub_tmp_remove(&c->tmp) != 0)
			log_msg(&c->log, "warning", "could not remove %s", c->tmpdir);
		else if (c->tmp.fd < 0 && plat_rmtree(c->tmpdir) != 0)
#else
		else if (plat_rmtree(c->tmpdir) != 0)
#endif
			log_msg(&c->log, "warning", "could not remove %s", c->tmpdir);
	}
#ifndef _WIN32
	stub_tmp_close(&c->tmp);
#endif
	if (rc)
		log_msg(&c->log, "error", "%s (exit %d, reason %s)", ib_errmsg(rc), code, ib_exit_reason(rc));
	else if (c->message[0] && strcmp(c->action, "verify") != 0)
		log_msg(&c->log, "info", "%s", c->message);
	if (c->action && !strcmp(c->action, "install"))
		report_event(c, rc, code);
	if (rc && !c->log.echo) {
		char safe[2048];

		/* quiet or JSON: errors still reach stderr */
		fprintf(stderr, "ibpack: %s\n", ib_text_escape(ib_errmsg(rc), safe, sizeof(safe)));
	}
	if (c->opts->json)
		print_json(c, rc, code);
	stub_guard_release(c); /* after the temp dir is gone: the next install may start now */
	log_close(&c->log);
	if (c->opened)
		ib_bundle_close(&c->bundle);
	free(c->root);
	c->root = NULL;
	return code;
}
