/* Unknown spec keys and JSON syntax error positions: the spec contract of docs/SPEC.md. */
#include "spec_keys.h"

#include "../base/err.h"
#include "../base/util.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <string.h>

/* Keys per object kind. A new spec field is one word here (and a row in docs/SPEC.md). */
static const char *const top_keys[] = {"name",        "version",     "sequence",   "target",
				       "description", "compression", "chunk_size", "packages"};
static const char *const package_keys[] = {"id",   "name",   "version",  "description", "source",
					   "url",  "sha256", "artifact", "compression", "vendor",
					   "kind", "match",  "priority", "install"};
static const char *const match_keys[] = {"os", "nic", "kernel"};
static const char *const install_keys[] = {"command", "command_line", "msi",           "properties",  "msiexec_args",
					   "keep",    "timeout",      "success_codes", "reboot_codes"};

#define EDIT_MAX 64 /* longer words are never typos of a spec key */

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[EDIT_MAX + 1];

	if (la > EDIT_MAX || lb > EDIT_MAX)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

const char *ib_suggest(const char *s, const char *const *words, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, len = strlen(s);

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(s, words[i]);

		if (d < best_d) {
			best_d = d;
			best = words[i];
		}
	}
	return best && best_d <= 2 && best_d * 2 < len ? best : NULL;
}

static int check_object(const cJSON *o, const char *path, const char *const *keys, size_t n)
{
	for (const cJSON *c = o ? o->child : NULL; c; c = c->next) {
		const char *hint;
		size_t i;

		if (!cJSON_IsObject(o) || !c->string)
			return 0;
		for (i = 0; i < n && strcmp(c->string, keys[i]); i++)
			;
		if (i < n)
			continue;
		hint = ib_suggest(c->string, keys, n);
		return ib_fail(IB_E_SPEC, "%s%s%s: unknown key%s%s%s", path, path[0] ? "." : "", c->string,
			       hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
	}
	return 0;
}

int ib_spec_check_keys(const cJSON *root)
{
	const cJSON *pkgs = cJSON_GetObjectItemCaseSensitive(root, "packages"), *p;
	const cJSON *list = cJSON_IsArray(pkgs) ? pkgs : NULL;
	char path[64];
	size_t i = 0;
	int rc = check_object(root, "", top_keys, IB_ARRAY_LEN(top_keys));

	cJSON_ArrayForEach (p, list) {
		snprintf(path, sizeof(path), "packages[%zu]", i);
		if (!rc)
			rc = check_object(p, path, package_keys, IB_ARRAY_LEN(package_keys));
		snprintf(path, sizeof(path), "packages[%zu].match", i);
		if (!rc)
			rc = check_object(cJSON_GetObjectItemCaseSensitive(p, "match"), path, match_keys,
					  IB_ARRAY_LEN(match_keys));
		snprintf(path, sizeof(path), "packages[%zu].install", i);
		if (!rc)
			rc = check_object(cJSON_GetObjectItemCaseSensitive(p, "install"), path, install_keys,
					  IB_ARRAY_LEN(install_keys));
		i++;
	}
	return rc;
}

void ib_text_position(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++; /* columns count characters, not UTF-8 continuation bytes */
		}
	}
}
