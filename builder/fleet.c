/* Reading per-node results into a fleet and counting them: by result, by package and version. */
#include "fleet.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <cjson/cJSON.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const ok_results[] = {"installed", "reboot_required", "already_installed", "selected", "ok"};
static const char *const skipped_results[] = {"no_device", "os_unsupported"};

static enum fleet_class classify(const char *result)
{
	for (size_t i = 0; i < IB_ARRAY_LEN(ok_results); i++)
		if (!strcmp(result, ok_results[i]))
			return FLEET_OK;
	for (size_t i = 0; i < IB_ARRAY_LEN(skipped_results); i++)
		if (!strcmp(result, skipped_results[i]))
			return FLEET_SKIPPED;
	return FLEET_FAILED;
}

static const char *str_member(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int dup_or_null(const char *s, char **out)
{
	*out = NULL;
	if (s && !(*out = ib_strdup(s)))
		return -ENOMEM;
	return 0;
}

static struct fleet_node *new_node(struct fleet *f)
{
	if (f->nnodes == FLEET_NODES_MAX)
		return NULL;
	if (f->nnodes == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct fleet_node *n = realloc(f->nodes, cap * sizeof(*n));

		if (!n)
			return NULL;
		f->nodes = n;
		f->cap = cap;
	}
	memset(&f->nodes[f->nnodes], 0, sizeof(f->nodes[0]));
	return &f->nodes[f->nnodes++];
}

static int add_unreadable(struct fleet *f, const char *name, const char *why)
{
	struct fleet_node *n = new_node(f);

	if (!n)
		return ib_fail(-ENOMEM, "too many nodes (at most %u)", FLEET_NODES_MAX);
	n->exit_code = -1;
	n->cls = FLEET_FAILED;
	if (dup_or_null(name, &n->name) || dup_or_null("unreadable", &n->result) || dup_or_null(why, &n->message))
		return -ENOMEM;
	return 0;
}

/* One parsed result. name is the default node name; a "node" member overrides it. */
static int add_result(struct fleet *f, const char *name, const cJSON *o)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "exit_code");
	const cJSON *sel = cJSON_GetObjectItemCaseSensitive(o, "selection");
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "bundle");
	const cJSON *pending = cJSON_GetObjectItemCaseSensitive(o, "reboot_pending");
	const char *result = str_member(o, "result");
	struct fleet_node *n;
	char bundle[300];

	if (!result)
		return add_unreadable(f, name, "not an ibpack result: no \"result\" member");
	if (!(n = new_node(f)))
		return ib_fail(-ENOMEM, "too many nodes (at most %u)", FLEET_NODES_MAX);
	n->exit_code = cJSON_IsNumber(code) ? (int)code->valuedouble : -1;
	n->cls = classify(result);
	n->reboot = cJSON_IsBool(pending) ? cJSON_IsTrue(pending)
					  : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "reboot_required"));
	bundle[0] = '\0';
	if (str_member(b, "name"))
		snprintf(bundle, sizeof(bundle), "%.128s %.128s", str_member(b, "name"),
			 str_member(b, "version") ? str_member(b, "version") : "");
	if (dup_or_null(str_member(o, "node") ? str_member(o, "node") : name, &n->name) ||
	    dup_or_null(result, &n->result) || dup_or_null(str_member(o, "message"), &n->message) ||
	    dup_or_null(str_member(sel, "package"), &n->package) ||
	    dup_or_null(str_member(sel, "version"), &n->version) ||
	    dup_or_null(bundle[0] ? bundle : NULL, &n->bundle) || dup_or_null(str_member(o, "os"), &n->os))
		return -ENOMEM;
	return 0;
}

static int add_text(struct fleet *f, const char *name, char *text, size_t len)
{
	cJSON *doc = cJSON_ParseWithLength(text, len);
	size_t line_no = 0;
	char *line, *next;
	int rc = 0;

	if (doc && cJSON_IsObject(doc)) {
		rc = add_result(f, name, doc);
		cJSON_Delete(doc);
		return rc;
	}
	cJSON_Delete(doc);
	/* Lines: "{...}" (a node's own output) or "NAME: {...}" (pdsh, clush). */
	for (line = text; !rc && line && *line; line = next) {
		char label[300], *json = line, *colon;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line_no++;
		if (!line[strspn(line, " \t\r")])
			continue;
		snprintf(label, sizeof(label), "%s:%zu", name, line_no);
		colon = strstr(line, ": ");
		if (line[0] != '{' && colon) {
			*colon = '\0';
			snprintf(label, sizeof(label), "%.200s", line);
			json = colon + 2;
		}
		doc = cJSON_Parse(json);
		if (doc && cJSON_IsObject(doc))
			rc = add_result(f, label, doc);
		else
			rc = add_unreadable(f, label, "not a JSON result line");
		cJSON_Delete(doc);
	}
	return rc;
}

/* The node name a file gives: its base name without ".json" / ".out". */
static void file_node_name(const char *path, char *name, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n;

	snprintf(name, size, "%s", base ? base + 1 : path);
	n = strlen(name);
	if (n > 5 && !strcmp(name + n - 5, ".json"))
		name[n - 5] = '\0';
	else if (n > 4 && !strcmp(name + n - 4, ".out"))
		name[n - 4] = '\0';
}

static int add_file(struct fleet *f, const char *path)
{
	char name[256], *text;
	size_t len;
	int rc = ib_read_file(path, FLEET_FILE_MAX, 0, &text, &len);

	if (rc)
		return rc;
	f->nfiles++;
	file_node_name(path, name, sizeof(name));
	if (len == 0)
		rc = add_unreadable(f, name, "empty result file");
	else
		rc = add_text(f, name, text, len);
	free(text);
	return rc;
}

static int wanted(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".json")) || (n > 4 && !strcmp(name + n - 4, ".out"));
}

static int add_dir(struct fleet *f, const char *path)
{
	DIR *d = opendir(path);
	char **names = NULL, full[IB_PATH_MAX];
	size_t n = 0;
	int rc;

	if (!d)
		return ib_fail(-errno, "cannot read the directory '%s': %s", path, strerror(errno));
	rc = ib_dir_names(d, IB_DIR_NO_HIDDEN, &names, &n);
	closedir(d);
	for (size_t i = 0; !rc && i < n; i++) {
		struct stat st;

		if (!wanted(names[i]))
			continue;
		if (ib_snprintf(full, sizeof(full), "%s/%s", path, names[i]))
			rc = ib_fail(-ENAMETOOLONG, "path too long: '%s/%s'", path, names[i]);
		else if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
			rc = add_file(f, full);
	}
	ib_dir_names_free(names, n);
	return rc;
}

int fleet_add_path(struct fleet *f, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return ib_fail(-errno, "cannot open '%s': %s", path, strerror(errno));
	return S_ISDIR(st.st_mode) ? add_dir(f, path) : add_file(f, path);
}

static int count(struct fleet_count **v, size_t *n, const char *key)
{
	struct fleet_count *c;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].key, key)) {
			(*v)[i].n++;
			return 0;
		}
	if (!(c = realloc(*v, (*n + 1) * sizeof(*c))))
		return -ENOMEM;
	*v = c;
	if (!(c[*n].key = ib_strdup(key)))
		return -ENOMEM;
	c[(*n)++].n = 1;
	return 0;
}

static int cmp_node(const void *a, const void *b)
{
	return strcmp(((const struct fleet_node *)a)->name, ((const struct fleet_node *)b)->name);
}

/* Largest count first; equal counts by key. */
static int cmp_count(const void *a, const void *b)
{
	const struct fleet_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

int fleet_summarise(struct fleet *f)
{
	char key[600];
	int rc = 0;

	qsort(f->nodes, f->nnodes, sizeof(*f->nodes), cmp_node);
	for (size_t i = 0; !rc && i < f->nnodes; i++) {
		const struct fleet_node *n = &f->nodes[i];

		rc = count(&f->by_result, &f->nresults, n->result);
		if (!rc && n->package && n->cls == FLEET_OK && strcmp(n->result, "selected") != 0) {
			snprintf(key, sizeof(key), "%.255s %.255s", n->package, n->version ? n->version : "");
			rc = count(&f->by_package, &f->npackages, key);
		}
	}
	qsort(f->by_result, f->nresults, sizeof(*f->by_result), cmp_count);
	qsort(f->by_package, f->npackages, sizeof(*f->by_package), cmp_count);
	return rc;
}

void fleet_release(struct fleet *f)
{
	for (size_t i = 0; i < f->nnodes; i++) {
		struct fleet_node *n = &f->nodes[i];

		free(n->name);
		free(n->result);
		free(n->message);
		free(n->package);
		free(n->version);
		free(n->bundle);
		free(n->os);
	}
	for (size_t i = 0; i < f->nresults; i++)
		free(f->by_result[i].key);
	for (size_t i = 0; i < f->npackages; i++)
		free(f->by_package[i].key);
	free(f->nodes);
	free(f->by_result);
	free(f->by_package);
	memset(f, 0, sizeof(*f));
}
