/* The install object's Windows forms (a verbatim command line, an MSI package with properties),
 * its "keep" flag, and the exit-code rules of each target. */
#include "install.h"

#include "../base/err.h"
#include "../base/util.h"
#include "wincmd.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TEXT_MAX  4096
#define PROPS_MAX 64

struct ictx {
	const char *path;
	int code;
};

static int fail(const struct ictx *c, const char *key, const char *what)
{
	return ib_fail(c->code, "%s%s%s: %s", c->path, key ? "." : "", key ? key : "", what);
}

/* 1 when s has no control character (a tab is allowed where tab_ok). */
static int text_ok(const char *s, int tab_ok)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && !(tab_ok && *s == '\t')) || *s == 0x7f)
			return 0;
	return 1;
}

static int get_text(const struct ictx *c, const cJSON *o, const char *key, size_t max, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || !v->valuestring || !v->valuestring[0])
		return fail(c, key, "expected a non-empty string");
	if (strlen(v->valuestring) > max)
		return fail(c, key, "string too long");
	if (!text_ok(v->valuestring, 1))
		return fail(c, key, "control characters (line breaks) are not allowed");
	*out = ib_strdup(v->valuestring);
	return *out ? 0 : -ENOMEM;
}

static int parse_command_line(const struct ictx *c, struct ib_install *in)
{
	size_t start, len;
	const char *prog, *dot;

	char why[128];

	if (ib_wincmd_program(in->command_line, &start, &len)) {
		snprintf(why, sizeof(why), "%s", ib_errmsg(IB_E_USAGE)); /* fail() reuses its buffer */
		return fail(c, "command_line", why);
	}
	prog = in->command_line + start;
	if (!ib_wincmd_relpath_ok(prog, len))
		return fail(c, "command_line",
			    "the program must be a file of the package (a relative path "
			    "without \"..\") or a bare name found in System32");
	/* CreateProcessW would give a batch file to cmd.exe, which reads the rest by its own rules. */
	dot = NULL;
	for (size_t i = 0; i < len; i++)
		if (prog[i] == '.')
			dot = prog + i;
	if (dot && (size_t)(prog + len - dot) == 4 && (!strncasecmp(dot, ".bat", 4) || !strncasecmp(dot, ".cmd", 4)))
		return fail(c, "command_line", "the program is a batch file: start it as cmd.exe /d /s /c \"...\"");
	return 0;
}

static int parse_msi(const struct ictx *c, const cJSON *inst, struct ib_install *in)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(inst, "properties"), *e;
	size_t n = strlen(in->msi), i = 0;
	int rc;

	if (!ib_wincmd_relpath_ok(in->msi, n) || n < 5 || strcasecmp(in->msi + n - 4, ".msi"))
		return fail(c, "msi", "expected the relative path of a .msi file in the package");
	if ((rc = get_text(c, inst, "msiexec_args", TEXT_MAX, &in->msiexec_args)))
		return rc;
	if (!props)
		return 0;
	if (!cJSON_IsObject(props) || cJSON_GetArraySize(props) > PROPS_MAX)
		return fail(c, "properties", "expected an object of at most 64 properties");
	in->prop_names.n = in->prop_values.n = (size_t)cJSON_GetArraySize(props);
	in->prop_names.v = calloc(in->prop_names.n + 1, sizeof(char *));
	in->prop_values.v = calloc(in->prop_names.n + 1, sizeof(char *));
	if (!in->prop_names.v || !in->prop_values.v)
		return -ENOMEM;
	cJSON_ArrayForEach (e, props) {
		if (!ib_msi_property_ok(e->string))
			return ib_fail(c->code,
				       "%s.properties: '%s' is not a public property name (A-Z, 0-9, _ and ., "
				       "starting with a letter or _)",
				       c->path, e->string);
		if (!cJSON_IsString(e) || strlen(e->valuestring) > TEXT_MAX || !text_ok(e->valuestring, 0))
			return ib_fail(c->code,
				       "%s.properties.%s: expected a string of at most 4096 characters without "
				       "control characters",
				       c->path, e->string);
		in->prop_names.v[i] = ib_strdup(e->string);
		in->prop_values.v[i] = ib_strdup(e->valuestring);
		if (!in->prop_names.v[i++] || !in->prop_values.v[i - 1])
			return -ENOMEM;
	}
	return 0;
}

/* A Linux exit status has 8 bits: 3010 arrives as 194, -1 as 255. */
static int linux_codes(const struct ictx *c, const char *key, const struct ib_codes *codes)
{
	for (size_t i = 0; i < codes->n; i++)
		if (codes->v[i] < 0 || codes->v[i] > 255)
			return ib_fail(c->code,
				       "%s.%s: %ld can never be observed on Linux, where an exit status "
				       "is 8 bits (it would arrive as %ld): use codes from 0 to 255",
				       c->path, key, codes->v[i], codes->v[i] & 255);
	return 0;
}

int ib_install_parse(const cJSON *inst, const char *path, int code, int target, struct ib_install *in)
{
	const struct ictx c = {path, code};
	const cJSON *keep = cJSON_GetObjectItemCaseSensitive(inst, "keep");
	int win = target == IB_TARGET_WINDOWS_X86_64, forms, rc;

	if ((rc = get_text(&c, inst, "command_line", IB_WINCMD_MAX, &in->command_line)) ||
	    (rc = get_text(&c, inst, "msi", TEXT_MAX, &in->msi)))
		return rc;
	forms = (in->argv.n > 0) + (in->command_line != NULL) + (in->msi != NULL);
	if (forms != 1)
		return fail(&c, NULL,
			    forms ? "give only one of \"command\", \"command_line\" and \"msi\""
				  : "missing \"command\" (or, for Windows, \"command_line\" or \"msi\")");
	if (!in->msi && (cJSON_GetObjectItemCaseSensitive(inst, "properties") ||
			 cJSON_GetObjectItemCaseSensitive(inst, "msiexec_args")))
		return fail(&c, NULL, "\"properties\" and \"msiexec_args\" belong to an \"msi\" install");
	if (!win && (in->command_line || in->msi))
		return fail(&c, in->msi ? "msi" : "command_line",
			    "only for windows-x86_64 bundles (Linux "
			    "installers get an argv: use \"command\")");
	if (keep && !cJSON_IsBool(keep))
		return fail(&c, "keep", "expected true or false");
	in->keep = cJSON_IsTrue(keep);
	if (in->keep && !win)
		return fail(&c, "keep", "only for windows-x86_64 bundles");
	if (in->command_line && (rc = parse_command_line(&c, in)))
		return rc;
	if (in->msi && (rc = parse_msi(&c, inst, in)))
		return rc;
	if (in->msi && !cJSON_GetObjectItemCaseSensitive(inst, "reboot_codes")) {
		/* Windows Installer: 1641 the install started a restart, 3010 one is needed. */
		free(in->reboot.v);
		in->reboot.v = malloc(2 * sizeof(long));
		if (!in->reboot.v)
			return -ENOMEM;
		in->reboot.v[0] = 1641;
		in->reboot.v[1] = 3010;
		in->reboot.n = 2;
	}
	return 0;
}

int ib_install_check_codes(const char *path, int code, int target, const struct ib_install *in)
{
	const struct ictx c = {path, code};
	int rc;

	if (target == IB_TARGET_WINDOWS_X86_64)
		return 0;
	if ((rc = linux_codes(&c, "success_codes", &in->success)))
		return rc;
	return linux_codes(&c, "reboot_codes", &in->reboot);
}

int ib_install_json(cJSON *o, const struct ib_install *in)
{
	int ok = 1;

	if (in->argv.n) {
		cJSON *a = cJSON_AddArrayToObject(o, "command");

		for (size_t i = 0; ok && i < in->argv.n; i++)
			ok = a && cJSON_AddItemToArray(a, cJSON_CreateString(in->argv.v[i]));
	}
	if (ok && in->command_line)
		ok = cJSON_AddStringToObject(o, "command_line", in->command_line) != NULL;
	if (ok && in->msi) {
		cJSON *p = NULL;

		ok = cJSON_AddStringToObject(o, "msi", in->msi) && (p = cJSON_AddObjectToObject(o, "properties"));
		for (size_t i = 0; ok && i < in->prop_names.n; i++)
			ok = cJSON_AddStringToObject(p, in->prop_names.v[i], in->prop_values.v[i]) != NULL;
		if (ok && in->msiexec_args)
			ok = cJSON_AddStringToObject(o, "msiexec_args", in->msiexec_args) != NULL;
	}
	if (ok && in->keep)
		ok = cJSON_AddTrueToObject(o, "keep") != NULL;
	return ok ? 0 : -ENOMEM;
}

static void list_release(struct ib_strlist *l)
{
	for (size_t i = 0; l->v && i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void ib_install_release(struct ib_install *in)
{
	list_release(&in->prop_names);
	list_release(&in->prop_values);
	free(in->command_line);
	free(in->msi);
	free(in->msiexec_args);
	in->command_line = in->msi = in->msiexec_args = NULL;
}
