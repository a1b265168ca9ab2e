/* Does a CycloneDX document describe exactly this bundle? Every component, found by bom-ref at
 * any depth, must match the one the bundle's signed data gives (type, name, version, purl,
 * supplier, hashes, properties), with none missing or added, and the dependency graph too. */
#include "sbom.h"

#include "../base/err.h"
#include "../base/util.h"

#include <cjson/cJSON.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPORTED 8

struct flat {
	const char *ref;
	const cJSON *node;
};

struct flatlist {
	struct flat *v;
	size_t n, cap;
	int no_ref; /* a component without a bom-ref was seen */
};

struct diffs {
	struct ib_buf text;
	size_t count;
};

/* Records "component 'REF' WHAT" (or WHAT alone without a ref); the first few are reported. */
static void differ(struct diffs *d, const char *ref, const char *what)
{
	if (d->count++ >= MAX_REPORTED)
		return;
	if (d->text.len)
		ib_buf_append(&d->text, "; ", 2);
	if (ref)
		ib_buf_printf(&d->text, "component '%s' %s", ref, what);
	else
		ib_buf_printf(&d->text, "%s", what);
}

static int flat_add(struct flatlist *l, const cJSON *c)
{
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(c, "bom-ref");

	if (!cJSON_IsString(ref)) {
		l->no_ref = 1;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		void *nv = realloc(l->v, cap * sizeof(*l->v));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n].ref = ref->valuestring;
	l->v[l->n++].node = c;
	return 0;
}

static int flatten(struct flatlist *l, const cJSON *list, int depth)
{
	const cJSON *c;
	int rc;

	if (depth > 16)
		return ib_fail(IB_E_MISMATCH, "components nested too deep");
	cJSON_ArrayForEach (c, list) {
		if (!cJSON_IsObject(c))
			return ib_fail(IB_E_MISMATCH, "a component is not an object");
		if ((rc = flat_add(l, c)) ||
		    (rc = flatten(l, cJSON_GetObjectItemCaseSensitive(c, "components"), depth + 1)))
			return rc;
	}
	return 0;
}

static int cmp_flat(const void *x, const void *y)
{
	return strcmp(((const struct flat *)x)->ref, ((const struct flat *)y)->ref);
}

static int collect(const cJSON *doc, struct flatlist *l)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
	const cJSON *mc = cJSON_GetObjectItemCaseSensitive(md, "component");
	int rc = 0;

	if (cJSON_IsObject(mc))
		rc = flat_add(l, mc);
	if (!rc)
		rc = flatten(l, cJSON_GetObjectItemCaseSensitive(doc, "components"), 0);
	if (!rc && l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_flat);
	for (size_t i = 1; !rc && i < l->n; i++)
		if (!strcmp(l->v[i].ref, l->v[i - 1].ref))
			rc = ib_fail(IB_E_MISMATCH, "bom-ref '%s' is used twice", l->v[i].ref);
	return rc;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* "k1=k2" for each object of an array, sorted and joined by newlines (NULL when none): lists
 * whose order carries no meaning compare equal in any order. lower: fold the second value to
 * lowercase (hex digests may be written in either case). */
static char *pairs(const cJSON *arr, const char *k1, const char *k2, int lower)
{
	size_t n = 0, i = 0;
	struct ib_buf b;
	char **v;
	const cJSON *e;

	cJSON_ArrayForEach (e, arr)
		n++;
	if (!n)
		return NULL;
	if (!(v = calloc(n, sizeof(*v))))
		return NULL;
	ib_buf_init(&b, 64u << 20);
	cJSON_ArrayForEach (e, arr) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, k1), *c = cJSON_GetObjectItemCaseSensitive(e, k2);
		struct ib_buf one;

		ib_buf_init(&one, 1u << 20);
		ib_buf_printf(&one, "%s=%s", cJSON_IsString(a) ? a->valuestring : "?",
			      cJSON_IsString(c) ? c->valuestring : "?");
		ib_buf_append(&one, "", 1);
		if (lower && one.data)
			for (char *s = strchr((char *)one.data, '='); *s; s++)
				*s = (char)tolower((unsigned char)*s);
		v[i++] = (char *)one.data;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++) {
		ib_buf_printf(&b, "%s%s", i ? "\n" : "", v[i] ? v[i] : "");
		free(v[i]);
	}
	free(v);
	ib_buf_append(&b, "", 1);
	return (char *)b.data;
}

static const char *field(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Compares the unordered lists want.key and got.key of {k1, k2} objects; hash digests (the
 * "content" of "hashes") compare in any letter case. */
static void same_pairs(const char *ref, const cJSON *want, const cJSON *got, const char *key, const char *k1,
		       const char *k2, struct diffs *d)
{
	int lower = !strcmp(key, "hashes");
	char *w = pairs(cJSON_GetObjectItemCaseSensitive(want, key), k1, k2, lower);
	char *g = pairs(cJSON_GetObjectItemCaseSensitive(got, key), k1, k2, lower);
	char what[32];

	if (!same(w, g)) {
		snprintf(what, sizeof(what), "has other %s", key);
		differ(d, ref, what);
	}
	free(w);
	free(g);
}

static void compare_component(const char *ref, const cJSON *want, const cJSON *got, struct diffs *d)
{
	static const char *const keys[] = {"type", "name", "version", "purl"};
	char what[32];

	for (size_t i = 0; i < IB_ARRAY_LEN(keys); i++)
		if (!same(field(want, keys[i]), field(got, keys[i]))) {
			snprintf(what, sizeof(what), "has another %s", keys[i]);
			differ(d, ref, what);
		}
	if (!same(field(cJSON_GetObjectItemCaseSensitive(want, "supplier"), "name"),
		  field(cJSON_GetObjectItemCaseSensitive(got, "supplier"), "name")))
		differ(d, ref, "has another supplier");
	same_pairs(ref, want, got, "hashes", "alg", "content", d);
	same_pairs(ref, want, got, "properties", "name", "value", d);
}

static void compare_components(const struct flatlist *want, const struct flatlist *got, struct diffs *d)
{
	size_t i = 0, j = 0;

	while (i < want->n || j < got->n) {
		int c = i == want->n ? 1 : j == got->n ? -1 : strcmp(want->v[i].ref, got->v[j].ref);

		if (c < 0) {
			differ(d, want->v[i++].ref, "is missing");
		} else if (c > 0) {
			differ(d, got->v[j++].ref, "is not in the bundle");
		} else {
			compare_component(want->v[i].ref, want->v[i].node, got->v[j].node, d);
			i++;
			j++;
		}
	}
}

/* The graph as sorted "ref=dependency" pairs (a ref without dependencies as "ref="). */
static char *graph_text(const cJSON *doc)
{
	cJSON *flat = cJSON_CreateArray();
	const cJSON *e, *on;
	char *text;

	cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(doc, "dependencies")) {
		const char *ref = field(e, "ref");
		int any = 0;

		cJSON_ArrayForEach (on, cJSON_GetObjectItemCaseSensitive(e, "dependsOn")) {
			cJSON *p = cJSON_CreateObject();

			cJSON_AddStringToObject(p, "r", ref ? ref : "?");
			cJSON_AddStringToObject(p, "d", cJSON_IsString(on) ? on->valuestring : "?");
			cJSON_AddItemToArray(flat, p);
			any = 1;
		}
		if (!any) {
			cJSON *p = cJSON_CreateObject();

			cJSON_AddStringToObject(p, "r", ref ? ref : "?");
			cJSON_AddStringToObject(p, "d", "");
			cJSON_AddItemToArray(flat, p);
		}
	}
	text = pairs(flat, "r", "d", 0);
	cJSON_Delete(flat);
	return text;
}

int sbom_check(const struct sbom_input *in, const char *text, size_t len)
{
	struct flatlist want = {0}, got = {0};
	struct diffs d = {0};
	cJSON *theirs = cJSON_ParseWithLength(text, len), *ours = NULL;
	char *gw = NULL, *gg = NULL;
	int rc = 0;

	ib_buf_init(&d.text, 1u << 16);
	if (!cJSON_IsObject(theirs) || !same(field(theirs, "bomFormat"), "CycloneDX")) {
		rc = ib_fail(IB_E_MISMATCH, "not a CycloneDX JSON document");
		goto out;
	}
	if (!(ours = sbom_cyclonedx(in))) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = collect(ours, &want)) || (rc = collect(theirs, &got)))
		goto out;
	if (got.no_ref)
		differ(&d, NULL, "a component has no bom-ref");
	compare_components(&want, &got, &d);
	gw = graph_text(ours);
	gg = graph_text(theirs);
	if (!same(gw, gg))
		differ(&d, NULL, "the dependency graph differs");
	if (d.count)
		rc = ib_fail(IB_E_MISMATCH, "%zu difference%s: %.*s%s", d.count, d.count == 1 ? "" : "s",
			     (int)d.text.len, d.text.data ? (const char *)d.text.data : "",
			     d.count > MAX_REPORTED ? "; ..." : "");
out:
	free(gw);
	free(gg);
	free(want.v);
	free(got.v);
	ib_buf_release(&d.text);
	cJSON_Delete(ours);
	cJSON_Delete(theirs);
	return rc;
}
