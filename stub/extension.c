/* The Azure VM extension handler mode (--extension install|enable|disable|uninstall|update):
 * HandlerEnvironment.json, the sequence number, public settings, status files, the mrseq no-op
 * rule and detaching enables that may outlast the agent's limit. docs/EXTENSION.md says why. */
#include "extension.h"
#include "guard.h"

#include "../base/err.h"
#include "../policy/exitcode.h"
#include "../base/fileio.h"
#include "../base/fs.h"
#include "../base/util.h"
#include "../signing/crypto.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENV_FILE     "HandlerEnvironment.json"
#define ENV_MAX      (64u << 10)
#define SETTINGS_MAX (1u << 20) /* protected settings (base64 CMS) make these grow */
#define SEQ_MAX      2147483647L
/* The Linux agent kills enable after 300 s (error 1011): an install that may take longer than
 * this runs detached, leaving time for extraction before the installer starts. */
#define FOREGROUND_MAX      250
#define STATUS_LINE_DEFAULT "/var/log/azure/ib-vmext-status"
#define STATUS_LINE_ENV     "IBPACK_EXT_STATUS_LINE"

enum { OP_INSTALL, OP_ENABLE, OP_DISABLE, OP_UNINSTALL, OP_UPDATE };

static const struct {
	const char *arg, *name;
} ops[] = {
	{"install", "Install"},     {"enable", "Enable"}, {"disable", "Disable"},
	{"uninstall", "Uninstall"}, {"update", "Update"},
};

struct ext {
	int op;
	const char *opname;
	char base[IB_PATH_MAX]; /* the handler dir: it holds HandlerEnvironment.json and mrseq */
	char name[256];         /* "Publisher.Type" */
	char log_dir[IB_PATH_MAX], config_dir[IB_PATH_MAX], status_dir[IB_PATH_MAX], log_path[IB_PATH_MAX];
	long seq;
	struct stub_log log;
	struct ext_settings settings; /* public settings: stub_opts points into these */
};

/* ---- paths and files ---- */

static int is_sep(char ch)
{
	return ch == '/' || (IB_PATH_SEP == '\\' && ch == '\\');
}

static int join(char *out, size_t size, const char *dir, const char *leaf)
{
	size_t n = strlen(dir);

	if (n && is_sep(dir[n - 1]))
		return ib_snprintf(out, size, "%s%s", dir, leaf);
	return ib_snprintf(out, size, "%s%c%s", dir, IB_PATH_SEP, leaf);
}

/* Cuts path at its last separator; 0, or -1 when there is none. */
static int strip_leaf(char *path)
{
	for (size_t n = strlen(path); n > 0; n--)
		if (is_sep(path[n - 1])) {
			path[n > 1 ? n - 1 : n] = '\0';
			return 0;
		}
	return -1;
}

static const char *leaf_of(const char *path)
{
	const char *leaf = path;

	for (const char *p = path; *p; p++)
		if (is_sep(*p))
			leaf = p + 1;
	return leaf;
}

/* Reads a whole regular file of at most max bytes, NUL-terminated, without a UTF-8 BOM. */
static int read_file(const char *path, size_t max, char **data, size_t *len)
{
	int rc = ib_read_file(path, max, 0, data, len);

	/* Windows tools like to start UTF-8 files with a BOM, which is not JSON. */
	if (!rc && *len >= 3 && !memcmp(*data, "\xef\xbb\xbf", 3)) {
		memmove(*data, *data + 3, *len - 2);
		*len -= 3;
	}
	return rc;
}

static int is_file(const char *path)
{
	struct ib_file f;

	if (ib_file_open(path, &f))
		return 0;
	ib_file_close(&f);
	return 1;
}

/* An unusable handler environment is a usage error (exit 1), whatever the cause. */
static int as_usage(int rc)
{
	char msg[1024];

	if (!rc || rc == IB_E_USAGE)
		return rc;
	snprintf(msg, sizeof(msg), "%s", ib_errmsg(rc)); /* ib_fail would write over its own input */
	return ib_fail(IB_E_USAGE, "%s", msg);
}

/* ---- the handler environment ---- */

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static int copy_folder(char *out, const char *value, const char *key)
{
	if (ib_snprintf(out, IB_PATH_MAX, "%s", value))
		return ib_fail(IB_E_USAGE, ENV_FILE ": handlerEnvironment.%s is too long", key);
	return 0;
}

/* The handler name when HandlerEnvironment.json has none: the Linux agent's folder is
 * "<name>-<version>" (names never hold '-'), the Windows agent's "<name>\<version>". */
static void name_from_base(struct ext *x)
{
	char parent[IB_PATH_MAX];
	const char *leaf = leaf_of(x->base);

	if (strspn(leaf, "0123456789.") == strlen(leaf) && !ib_snprintf(parent, sizeof(parent), "%s", x->base) &&
	    !strip_leaf(parent)) {
		ext_clean_text(leaf_of(parent), x->name, sizeof(x->name));
		return;
	}
	ext_clean_text(leaf, x->name, sizeof(x->name));
	x->name[strcspn(x->name, "-")] = '\0';
}

static int parse_env(struct ext *x, const char *path)
{
	const cJSON *first, *he;
	const char *v;
	cJSON *doc;
	char *text;
	size_t len;
	int rc = read_file(path, ENV_MAX, &text, &len);

	if (rc)
		return rc;
	doc = cJSON_ParseWithLength(text, len);
	free(text);
	first = cJSON_IsArray(doc) ? cJSON_GetArrayItem(doc, 0) : NULL;
	he = cJSON_GetObjectItemCaseSensitive(first, "handlerEnvironment");
	if (!cJSON_IsObject(he)) {
		cJSON_Delete(doc);
		return ib_fail(IB_E_USAGE, "'%s' is not an array whose first element has a handlerEnvironment object",
			       path);
	}
	v = json_str(first, "name");
	if (v)
		ext_clean_text(v, x->name, sizeof(x->name));
	else
		name_from_base(x);
	if ((v = json_str(he, "logFolder")) && (rc = copy_folder(x->log_dir, v, "logFolder")))
		goto out;
	/* Missing folders default to where each agent puts them. */
	if ((v = json_str(he, "configFolder")) ? (rc = copy_folder(x->config_dir, v, "configFolder"))
					       : (rc = join(x->config_dir, IB_PATH_MAX, x->base,
							    IB_PATH_SEP == '\\' ? "RuntimeSettings" : "config")))
		goto out;
	if ((v = json_str(he, "statusFolder"))
		    ? (rc = copy_folder(x->status_dir, v, "statusFolder"))
		    : (rc = join(x->status_dir, IB_PATH_MAX, x->base, IB_PATH_SEP == '\\' ? "Status" : "status")))
		goto out;
out:
	cJSON_Delete(doc);
	return as_usage(rc);
}

/* The handler dir holds HandlerEnvironment.json: the bundle's own folder or the one above it
 * (where `ibpack extension` puts it, bin/). */
static int locate(struct ext *x)
{
	struct ib_file self;
	char dir[IB_PATH_MAX], path[IB_PATH_MAX + 32];
	int rc = ib_file_open_self(&self);

	if (rc)
		return rc;
	rc = ib_snprintf(dir, sizeof(dir), "%s", self.path);
	ib_file_close(&self);
	if (rc || strip_leaf(dir))
		return ib_fail(IB_E_USAGE, "cannot tell the folder of the running executable");
	for (int up = 0; up < 2; up++) {
		if (!join(path, sizeof(path), dir, ENV_FILE) && is_file(path)) {
			snprintf(x->base, sizeof(x->base), "%s", dir);
			return parse_env(x, path);
		}
		if (strip_leaf(dir))
			break;
	}
	return ib_fail(IB_E_USAGE, "no " ENV_FILE " in the executable's folder or the one above it: "
				   "--extension runs as an Azure VM extension handler, under the guest agent");
}

static int find_sequence(struct ext *x)
{
	const char *env = getenv("ConfigSequenceNumber");
	int rc;

	if (env && *env) {
		if (ib_parse_int(env, 0, SEQ_MAX, &x->seq))
			return ib_fail(IB_E_USAGE, "ConfigSequenceNumber '%s' is not a sequence number", env);
		return 0;
	}
	rc = ext_newest_settings(x->config_dir, &x->seq);
	if (rc == IB_E_NOTFOUND) {
		/* The agents write an empty 0.settings for a handler without settings. */
		log_msg(&x->log, "info", "no ConfigSequenceNumber and no <N>.settings in %s: sequence 0",
			x->config_dir);
		x->seq = 0;
		return 0;
	}
	if (!rc)
		log_msg(&x->log, "info", "no ConfigSequenceNumber: using %ld.settings, the most recently modified",
			x->seq);
	return as_usage(rc);
}

/* ---- public settings ---- */

/* Reads <seq>.settings: public settings steer the install; protected settings are never
 * decrypted (this handler takes no secrets). */
static int apply_settings(struct stub_ctx *c, struct ext *x)
{
	char path[IB_PATH_MAX], leaf[32], *text;
	struct ext_settings_report rep;
	size_t len;
	int rc;

	snprintf(leaf, sizeof(leaf), "%ld.settings", x->seq);
	if (join(path, sizeof(path), x->config_dir, leaf))
		return ib_fail(IB_E_USAGE, "settings path too long");
	rc = read_file(path, SETTINGS_MAX, &text, &len);
	if (rc == -ENOENT) {
		log_msg(&x->log, "info", "no %s: default settings", path);
		return 0;
	}
	if (rc)
		return as_usage(rc);
	rc = ext_settings_apply(c->opts, &x->settings, text, len, &rep);
	free(text);
	if (rc == IB_E_FORMAT)
		return ib_fail(IB_E_USAGE, "'%s' is not {\"runtimeSettings\": [{\"handlerSettings\": {...}}]}", path);
	if (rep.protected_ignored)
		log_msg(&x->log, "info",
			"protected settings are ignored: this handler takes no secrets and never decrypts them");
	if (!rc && rep.public_shown[0])
		log_msg(&x->log, "info", "public settings: %s", rep.public_shown);
	return rc;
}

/* ---- what the handler reports ---- */

static void status_line(struct ext *x, const char *status, int code, const char *message)
{
#ifdef _WIN32
	(void)x, (void)status, (void)code, (void)message;
#else
	/* The line the existing InfiniBandDriverLinux extension keeps, one per operation. */
	const char *path = getenv(STATUS_LINE_ENV);
	char ts[32], text[EXT_MESSAGE_MAX], line[EXT_MESSAGE_MAX + 128];
	int rc;

	if (!path || !*path) {
		path = STATUS_LINE_DEFAULT;
		(void)plat_mkdir("/var/log/azure");
	}
	ib_format_utc((int64_t)time(NULL), ts, sizeof(ts));
	ext_clean_text(message, text, sizeof(text));
	snprintf(line, sizeof(line), "%s %s %s %d %s", ts, x->opname, status, code, text);
	if ((rc = ext_append_line(path, line)))
		log_msg(&x->log, "warning", "cannot append to the status line file: %s", ib_errmsg(rc));
#endif
}

/* Writes status/<seq>.status in the one schema both agents accept. Every text is capped, so
 * the file stays far below EXT_STATUS_MAX (about 4 KiB at most). */
static int write_status(struct ext *x, const char *status, int code, const char *message, const char *detail)
{
	char leaf[32], path[IB_PATH_MAX];
	struct ext_status st = {x->name, x->opname, status, code, message, detail};
	char *text = ext_status_text(&st, (int64_t)time(NULL));
	int rc;

	if (!text)
		return ib_fail(-ENOMEM, "out of memory writing the status");
	snprintf(leaf, sizeof(leaf), "%ld.status", x->seq);
	if (plat_mkdir(x->status_dir) != 0 && errno != EEXIST)
		rc = ib_fail(-errno, "cannot create the status folder '%s': %s", x->status_dir, strerror(errno));
	else if (join(path, sizeof(path), x->status_dir, leaf))
		rc = ib_fail(-ENAMETOOLONG, "status path too long");
	else
		rc = ib_atomic_write_file(path, 0644, text, strlen(text));
	free(text);
	return rc;
}

/* One operation's outcome everywhere it goes: log, status file (not for uninstall: the agent
 * removes the folder right after), status line. */
static int report(struct ext *x, const char *status, int code, const char *message, const char *detail)
{
	int rc = 0;

	log_msg(&x->log, strcmp(status, "error") ? "info" : "error", "%s %s (code %d): %s", x->opname, status, code,
		message);
	if (x->op != OP_UNINSTALL && (rc = write_status(x, status, code, message, detail)))
		log_msg(&x->log, "error", "cannot write the status file: %s", ib_errmsg(rc));
	status_line(x, status, code, message);
	return rc;
}

/* The substatus text: the NIC that was detected and the package that was chosen. */
static void describe(const struct stub_ctx *c, char *out, size_t size)
{
	const struct stub_host *h = &c->host;
	char nic[512] = "", pkg[512] = "none";

	if (!c->detected) {
		snprintf(out, size, "NIC: not detected (the bundle was not usable); package: none");
		return;
	}
	for (size_t i = 0; !nic[0] && c->sel.nic && i < h->ndevs; i++)
		for (size_t m = 0; m < h->devs[i].nmodels; m++)
			if (h->devs[i].infiniband && !strcmp(h->devs[i].models[m], c->sel.nic)) {
				snprintf(nic, sizeof(nic), "%s%s (%s) at %s", ib_nic_name(c->sel.nic),
					 h->devs[i].vmbus   ? " over VMBus"
					 : h->devs[i].is_vf ? " VF"
							    : "",
					 c->sel.nic, h->devs[i].address);
				break;
			}
	for (size_t i = 0; !nic[0] && i < h->nnics; i++) {
		size_t n = strlen(nic);

		snprintf(nic + n, sizeof(nic) - n, "%s%s (%s)", i ? ", " : "", ib_nic_name(h->nics[i]), h->nics[i]);
	}
	if (!nic[0])
		snprintf(nic, sizeof(nic), "no InfiniBand device found");
	if (c->sel.pkg)
		snprintf(pkg, sizeof(pkg), "%s (%s %s)", c->sel.pkg->id, c->sel.pkg->name, c->sel.pkg->version);
	snprintf(out, size, "NIC: %s; package: %s; OS: %s; %s", nic, pkg, h->os, c->sel.why);
}

/* Ends an enable: the stub's usual result handling, then the final status. */
static int finish(struct stub_ctx *c, struct ext *x, int rc)
{
	char message[EXT_MESSAGE_MAX], detail[EXT_DETAIL_MAX];
	int code, wrc;

	snprintf(message, sizeof(message), "%s", rc ? ib_errmsg(rc) : c->message);
	describe(c, detail, sizeof(detail));
	code = stub_finish(c, rc);
	/* Windows' 3010 is the installer's "installed, reboot required": the work is done, and
	 * "warning" would keep the agents waiting for a final state (docs/EXTENSION.md). */
	wrc = report(x, code == 0 || (rc == 0 && code == IB_EXIT_WIN_REBOOT) ? "success" : "error", code, message,
		     detail);
	if (wrc && code == 0) {
		fprintf(stderr, "ibpack: %s\n", ib_errmsg(wrc));
		code = ib_exit_code(wrc, STUB_TARGET);
	}
	return code;
}

/* Which installer timeout the install will have: the same detection and selection as the
 * install itself (stub_install in --detect mode), silently. */
static int planned_timeout(struct stub_ctx *c, unsigned *timeout, char *detail, size_t size)
{
	struct stub_opts *o = c->opts;
	int quiet = o->quiet, rc;

	o->detect = 1;
	o->quiet = 1;
	rc = stub_install(c);
	o->detect = 0;
	o->quiet = quiet;
	if (!rc) {
		/* Installed already: the install only says so, in the foreground. */
		*timeout = c->already_installed ? 0 : o->timeout ? (unsigned)o->timeout : c->sel.pkg->install.timeout;
		describe(c, detail, size);
	}
	/* The install detects again, with its log file open, and reads the install state again
	 * under its lock. */
	stub_guard_release(c);
	log_close(&c->log);
	memset(&c->log, 0, sizeof(c->log));
	memset(&c->host, 0, sizeof(c->host));
	memset(&c->sel, 0, sizeof(c->sel));
	c->detected = 0;
	c->already_installed = 0;
	c->plan = NULL;
	c->message[0] = '\0';
	ib_err_clear();
	return rc;
}

static int read_mrseq(const struct ext *x, long *seq)
{
	char path[IB_PATH_MAX + 16], *text;
	size_t len;
	int rc;

	if (join(path, sizeof(path), x->base, "mrseq") || read_file(path, 64, &text, &len))
		return -1;
	text[strcspn(text, " \t\r\n")] = '\0';
	rc = ib_parse_int(text, 0, SEQ_MAX, seq);
	free(text);
	return rc;
}

static int write_mrseq(const struct ext *x)
{
	char path[IB_PATH_MAX + 16], text[32];

	snprintf(text, sizeof(text), "%ld", x->seq);
	if (join(path, sizeof(path), x->base, "mrseq"))
		return ib_fail(-ENAMETOOLONG, "path too long");
	return ib_atomic_write_file(path, 0644, text, strlen(text));
}

static int enable(struct stub_ctx *c, struct ext *x)
{
	struct stub_opts *o = c->opts;
	char message[EXT_MESSAGE_MAX], detail[EXT_DETAIL_MAX];
	int worker = ext_is_worker(x->seq), rc;
	unsigned timeout;
	long last;

	if (worker) {
		o->quiet = 1;
		x->log.echo = NULL;
		log_msg(&x->log, "info", "detached worker for sequence %ld started", x->seq);
	} else {
		/* The agents run enable again (after a reboot, on a new goal state) with the same
		 * sequence number; the driver must not be reinstalled, nor the status replaced. */
		if (read_mrseq(x, &last) == 0 && last == x->seq) {
			snprintf(message, sizeof(message),
				 "sequence number %ld was handled already: nothing to do "
				 "(change the settings to run the install again)",
				 x->seq);
			log_msg(&x->log, "info", "%s", message);
			status_line(x, "success", 0, message);
			return 0;
		}
		if ((rc = write_mrseq(x)))
			log_msg(&x->log, "warning", "cannot record sequence %ld in mrseq: %s", x->seq, ib_errmsg(rc));
	}
	if ((rc = apply_settings(c, x)))
		return finish(c, x, rc);
	if (!worker)
		report(x, "transitioning", 0, "verifying the bundle and detecting the InfiniBand NIC", "detecting");
	rc = ib_crypto_init();
	if (!rc)
		rc = stub_open(c);
	if (!rc && !worker && planned_timeout(c, &timeout, detail, sizeof(detail)) == 0 && timeout > FOREGROUND_MAX) {
		snprintf(message, sizeof(message),
			 "installing in a detached process: the installer may run up to "
			 "%u s, longer than the agent lets enable run; this status changes when it ends",
			 timeout);
		report(x, "transitioning", 0, message, detail);
		log_close(&x->log);
		rc = ext_detach(o->log_file, x->seq);
		if (rc == 0)
			return stub_finish(c, 0); /* the handler is done; the worker writes the final status */
		log_open(&x->log, o->log_file, rc == 1 ? NULL : x->log.echo);
		if (rc == 1) {
			o->quiet = 1;
			log_msg(&x->log, "info", "detached worker for sequence %ld started", x->seq);
		} else {
			log_msg(&x->log, "warning", "cannot detach (%s): installing in the foreground", ib_errmsg(rc));
		}
		rc = 0;
	}
	if (!rc)
		rc = stub_install(c);
	return finish(c, x, rc);
}

static int other_op(struct ext *x)
{
	const char *from = getenv("AZURE_GUEST_AGENT_UPDATING_FROM_VERSION");
	char message[EXT_MESSAGE_MAX];
	int rc;

	switch (x->op) {
	case OP_INSTALL:
		snprintf(message, sizeof(message),
			 "handler installed; enable verifies the bundle and installs the driver");
		break;
	case OP_UPDATE:
		snprintf(message, sizeof(message),
			 "handler updated from version %s; enable installs the new bundle's driver",
			 from && *from ? from : "(unknown)");
		break;
	case OP_DISABLE:
		snprintf(message, sizeof(message), "handler disabled; the installed driver stays installed and in use");
		break;
	default: snprintf(message, sizeof(message), "handler removed; the installed driver stays installed"); break;
	}
	rc = report(x, "success", 0, message, NULL);
	if (rc)
		fprintf(stderr, "ibpack: %s\n", ib_errmsg(rc));
	return rc ? ib_exit_code(rc, STUB_TARGET) : 0;
}

int stub_extension(struct stub_ctx *c, const char *command)
{
	struct stub_opts *o = c->opts;
	struct ext *x = calloc(1, sizeof(*x));
	int rc, code;

	if (!x)
		return ib_exit_code(-ENOMEM, STUB_TARGET);
	x->op = -1;
	for (size_t i = 0; i < IB_ARRAY_LEN(ops); i++)
		if (!strcmp(command, ops[i].arg)) {
			x->op = (int)i;
			x->opname = ops[i].name;
		}
	rc = x->op < 0 ? ib_fail(IB_E_USAGE,
				 "unknown --extension command '%s' (install, enable, disable, "
				 "uninstall, update)",
				 command)
	     : o->detect || o->list || o->verify || o->extract_dir || o->json
		     ? ib_fail(IB_E_USAGE, "--extension excludes --detect, --list, --verify, --extract and --json")
		     : locate(x);
	if (rc) {
		fprintf(stderr, "ibpack: %s\n", ib_errmsg(rc));
		free(x);
		return ib_exit_code(rc, STUB_TARGET);
	}
	if (x->log_dir[0]) {
		(void)plat_mkdir(x->log_dir);
		rc = join(x->log_path, sizeof(x->log_path), x->log_dir, "ibpack.log");
	}
	if (!x->log_dir[0] || rc)
		plat_default_log("ibpack-extension", x->log_path, sizeof(x->log_path));
	if (!o->log_file)
		o->log_file = x->log_path;
	log_open(&x->log, o->log_file, stdout);
	rc = find_sequence(x);
	if (rc) {
		code = ib_exit_code(rc, STUB_TARGET);
		log_msg(&x->log, "error", "%s", ib_errmsg(rc));
		status_line(x, "error", code, ib_errmsg(rc));
	} else {
		log_msg(&x->log, "info", "extension %s: handler %s in %s, sequence %ld", command, x->name, x->base,
			x->seq);
		code = x->op == OP_ENABLE ? enable(c, x) : other_op(x);
	}
	log_close(&x->log);
	free(x);
	return code;
}
