/* The CycloneDX 1.5 bill of materials of a bundle: the bundle, one component per package with
 * every file, the stub with the libraries it is built from (purls, source hashes, Debian
 * patches), and the dependency graph. Rendered from sbom_input only, so it is reproducible. */
#include "sbom.h"

#include "../base/util.h"
#include "../signing/crypto.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef IBPACK_VERSION
#define IBPACK_VERSION "0.0.0-dev"
#endif

/* Building stops being trusted at the first failed allocation: cJSON's Add functions then return
 * NULL (and ignore a NULL parent), so every addition goes through these, which note the failure
 * for sbom_cyclonedx to report instead of returning a document with parts missing. */
struct cdx {
	int oom;
};

static cJSON *noted(struct cdx *x, cJSON *v)
{
	if (!v)
		x->oom = 1;
	return v;
}

static void str(struct cdx *x, cJSON *o, const char *key, const char *v)
{
	noted(x, cJSON_AddStringToObject(o, key, v));
}

static cJSON *obj(struct cdx *x, cJSON *o, const char *key)
{
	return noted(x, cJSON_AddObjectToObject(o, key));
}

static cJSON *arr(struct cdx *x, cJSON *o, const char *key)
{
	return noted(x, cJSON_AddArrayToObject(o, key));
}

/* Appends item (taking it) to array a; NULL when either is missing. */
static cJSON *push(struct cdx *x, cJSON *a, cJSON *item)
{
	if (!item || !cJSON_AddItemToArray(a, item)) {
		cJSON_Delete(item);
		x->oom = 1;
		return NULL;
	}
	return item;
}

static void prop(struct cdx *x, cJSON *props, const char *name, const char *value)
{
	cJSON *p = push(x, props, cJSON_CreateObject());

	str(x, p, "name", name);
	str(x, p, "value", value);
}

static void prop_u64(struct cdx *x, cJSON *props, const char *name, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	prop(x, props, name, num);
}

static void sha256_hash(struct cdx *x, cJSON *o, const uint8_t digest[IB_SHA256_LEN])
{
	cJSON *h = push(x, arr(x, o, "hashes"), cJSON_CreateObject());
	char hex[2 * IB_SHA256_LEN + 1];

	ib_hex_encode(digest, IB_SHA256_LEN, hex);
	str(x, h, "alg", "SHA-256");
	str(x, h, "content", hex);
}

static cJSON *component(struct cdx *x, cJSON *list, const char *type, const char *ref, const char *name)
{
	cJSON *c = push(x, list, cJSON_CreateObject());

	str(x, c, "type", type);
	str(x, c, "bom-ref", ref);
	str(x, c, "name", name);
	return c;
}

static void file_components(struct cdx *x, cJSON *pc, const struct ib_package *p)
{
	cJSON *files = arr(x, pc, "components");
	char ref[4300], mode[8];

	for (size_t i = 0; i < p->nfiles; i++) {
		const struct ib_file_entry *f = &p->files[i];
		cJSON *fc, *props;

		snprintf(ref, sizeof(ref), "package:%s:file:%s", p->id, f->path);
		fc = component(x, files, "file", ref, f->path);
		sha256_hash(x, fc, f->sha256);
		props = arr(x, fc, "properties");
		prop_u64(x, props, "ibpack:size", f->size);
		snprintf(mode, sizeof(mode), "%04o", f->mode);
		prop(x, props, "ibpack:mode", mode);
	}
}

static void package_component(struct cdx *x, cJSON *list, const struct ib_package *p)
{
	cJSON *c, *props;
	char ref[96], *cmd;

	snprintf(ref, sizeof(ref), "package:%s", p->id);
	c = component(x, list, ib_kind_name(p->has_kind ? p->kind : IB_KIND_DEVICE_DRIVER), ref, p->name);
	if (p->vendor)
		str(x, obj(x, c, "supplier"), "name", p->vendor);
	str(x, c, "version", p->version);
	if (p->description)
		str(x, c, "description", p->description);
	sha256_hash(x, c, p->sha256);
	props = arr(x, c, "properties");
	prop(x, props, "ibpack:package-id", p->id);
	for (size_t i = 0; i < p->os.n; i++)
		prop(x, props, "ibpack:match:os", p->os.v[i]);
	for (size_t i = 0; i < p->nic.n; i++)
		prop(x, props, "ibpack:match:nic", p->nic.v[i]);
	{
		char num[24];

		snprintf(num, sizeof(num), "%ld", p->priority);
		prop(x, props, "ibpack:priority", num);
	}
	/* Windows packages name what runs as a verbatim command line or an MSI instead. */
	if (p->install.command_line)
		prop(x, props, "ibpack:install:command-line", p->install.command_line);
	if (p->install.msi)
		prop(x, props, "ibpack:install:msi", p->install.msi);
	/* The command as a JSON array: argv elements may hold spaces. */
	if (p->install.argv.n) {
		cJSON *argv = noted(x, cJSON_CreateArray());

		for (size_t i = 0; argv && i < p->install.argv.n; i++)
			push(x, argv, cJSON_CreateString(p->install.argv.v[i]));
		cmd = argv ? cJSON_PrintUnformatted(argv) : NULL;
		if (!cmd)
			x->oom = 1;
		cJSON_Delete(argv);
		if (cmd)
			prop(x, props, "ibpack:install:command", cmd);
		free(cmd);
	}
	prop_u64(x, props, "ibpack:install:timeout", p->install.timeout);
	prop(x, props, "ibpack:blob:compression", ib_compression_name(p->compression));
	prop_u64(x, props, "ibpack:blob:length", p->length);
	prop_u64(x, props, "ibpack:unpacked-size", p->unpacked_size);
	prop_u64(x, props, "ibpack:file-count", p->file_count);
	if (p->has_files)
		file_components(x, c, p);
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* pkg:deb/debian/NAME@VERSION[?epoch=N]: the version without its epoch, '+' percent-encoded
 * (purl-spec; '~' and '.' are unreserved). */
static void deb_purl(const cJSON *d, char *buf, size_t size)
{
	const char *ver = jstr(d, "version"), *colon = strchr(ver, ':');
	size_t n;

	if (colon)
		ver = colon + 1;
	n = (size_t)snprintf(buf, size, "pkg:deb/debian/%s@", jstr(d, "source_package"));
	for (; *ver && n + 4 < size; ver++)
		n += (size_t)snprintf(buf + n, size - n, *ver == '+' ? "%%2B" : "%c", *ver);
	if (*jstr(d, "epoch") && n < size)
		snprintf(buf + n, size - n, "?epoch=%s", jstr(d, "epoch"));
}

/* One "resolves" entry per CVE id the Debian patch file is named after. */
static void patch_resolves(struct cdx *x, cJSON *patch, const char *file)
{
	cJSON *resolves = NULL;

	for (const char *s = file; (s = strstr(s, "CVE-")) != NULL; s += 4) {
		size_t n = 4, digits;
		char id[40], url[96];
		cJSON *r;

		for (digits = 0; s[n] >= '0' && s[n] <= '9'; n++)
			digits++;
		if (digits != 4 || s[n] != '-')
			continue;
		for (n++, digits = 0; s[n] >= '0' && s[n] <= '9' && n < sizeof(id) - 1; n++)
			digits++;
		if (digits < 4)
			continue;
		memcpy(id, s, n);
		id[n] = '\0';
		if (!resolves)
			resolves = arr(x, patch, "resolves");
		if (!(r = push(x, resolves, cJSON_CreateObject())))
			return;
		str(x, r, "type", "security");
		str(x, r, "id", id);
		snprintf(url, sizeof(url), "https://nvd.nist.gov/vuln/detail/%s", id);
		str(x, r, "name", id);
		str(x, obj(x, r, "source"), "url", url);
	}
}

static void dep_pedigree(struct cdx *x, cJSON *c, const cJSON *d)
{
	const cJSON *patches = cJSON_GetObjectItemCaseSensitive(d, "patches"), *e;
	cJSON *list;
	char url[512];

	if (!cJSON_GetArraySize(patches))
		return;
	list = arr(x, obj(x, c, "pedigree"), "patches");
	cJSON_ArrayForEach (e, patches) {
		cJSON *p = push(x, list, cJSON_CreateObject());

		if (!p)
			return;
		/* Debian's patch series backports upstream fixes; the patch is where Debian serves it. */
		str(x, p, "type", "backport");
		snprintf(url, sizeof(url), "https://sources.debian.org/src/%s/%s/debian/patches/%s",
			 jstr(d, "source_package"), jstr(d, "version"), e->valuestring);
		str(x, obj(x, p, "diff"), "url", url);
		patch_resolves(x, p, e->valuestring);
	}
}

static void dep_component(struct cdx *x, cJSON *list, const cJSON *d)
{
	char ref[128], purl[256];
	uint8_t digest[IB_SHA256_LEN];
	cJSON *c, *props;

	snprintf(ref, sizeof(ref), "stub:%s", jstr(d, "name"));
	c = component(x, list, "library", ref, jstr(d, "name"));
	str(x, c, "version", jstr(d, "version"));
	deb_purl(d, purl, sizeof(purl));
	str(x, c, "purl", purl);
	/* The hash of what it is built from: the upstream source tarball deps/pins pins. */
	if (ib_hex_decode(jstr(d, "source_sha256"), digest, sizeof(digest)) == 0)
		sha256_hash(x, c, digest);
	props = arr(x, c, "properties");
	prop(x, props, "ibpack:upstream-version", jstr(d, "upstream_version"));
	prop(x, props, "ibpack:debian-revision", jstr(d, "debian_revision"));
	prop(x, props, "ibpack:source-tarball", jstr(d, "source_tarball"));
	prop_u64(x, props, "ibpack:debian-patches-applied",
		 (uint64_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "patches")));
	dep_pedigree(x, c, d);
}

static void stub_component(struct cdx *x, cJSON *list, const struct sbom_input *in)
{
	const cJSON *bi = in->buildinfo, *d;
	cJSON *c, *props, *deps;

	c = component(x, list, "application", "stub", "ibpack-stub");
	str(x, c, "version", bi ? jstr(bi, "ibpack") : "unknown");
	str(x, c, "description", "the self-extracting runtime the bundle starts with");
	sha256_hash(x, c, in->m->stub_sha256);
	props = arr(x, c, "properties");
	prop(x, props, "ibpack:target", ib_target_name(in->m->target));
	prop_u64(x, props, "ibpack:stub-size", in->m->stub_size);
	prop(x, props, "ibpack:linkage", bi ? jstr(bi, "linkage") : "unknown (the stub carries no build info)");
	if (!bi || !cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(bi, "dependencies")))
		return;
	deps = arr(x, c, "components");
	cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive(bi, "dependencies"))
		dep_component(x, deps, d);
}

static void depends(struct cdx *x, cJSON *graph, const char *ref, cJSON *on)
{
	cJSON *e = push(x, graph, cJSON_CreateObject());

	str(x, e, "ref", ref);
	if (on && (!e || !cJSON_AddItemToObject(e, "dependsOn", on))) {
		cJSON_Delete(on);
		x->oom = 1;
	}
}

static void add_ref(struct cdx *x, cJSON *a, const char *prefix, const char *v)
{
	char ref[128];

	snprintf(ref, sizeof(ref), "%s%s", prefix, v);
	push(x, a, cJSON_CreateString(ref));
}

/* The bundle needs its stub and its packages; the stub needs its libraries, and a library the
 * ones it is built against. */
static void graph(struct cdx *x, cJSON *doc, const struct sbom_input *in, const char *bundle_ref)
{
	cJSON *g = arr(x, doc, "dependencies"), *on = noted(x, cJSON_CreateArray());
	const cJSON *d, *u;

	add_ref(x, on, "", "stub");
	for (size_t i = 0; i < in->m->npkgs; i++)
		add_ref(x, on, "package:", in->m->pkgs[i].id);
	depends(x, g, bundle_ref, on);
	on = noted(x, cJSON_CreateArray());
	if (in->buildinfo)
		cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive(in->buildinfo, "dependencies"))
			add_ref(x, on, "stub:", jstr(d, "name"));
	depends(x, g, "stub", on);
	for (size_t i = 0; i < in->m->npkgs; i++) {
		char ref[96];

		snprintf(ref, sizeof(ref), "package:%s", in->m->pkgs[i].id);
		depends(x, g, ref, NULL);
	}
	if (!in->buildinfo)
		return;
	cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive(in->buildinfo, "dependencies")) {
		char ref[128];

		on = noted(x, cJSON_CreateArray());
		cJSON_ArrayForEach (u, cJSON_GetObjectItemCaseSensitive(d, "uses"))
			add_ref(x, on, "stub:", u->valuestring);
		snprintf(ref, sizeof(ref), "stub:%s", jstr(d, "name"));
		depends(x, g, ref, cJSON_GetArraySize(on) ? on : (cJSON_Delete(on), NULL));
	}
}

/* A stable serial number: a UUID (version 5 layout) from the manifest's SHA-256, so the same
 * signed manifest always gives the same document. */
static void serial(const uint8_t h[IB_SHA256_LEN], char *buf, size_t size)
{
	uint8_t u[16];
	char hex[33];

	memcpy(u, h, 16);
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x50);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	ib_hex_encode(u, 16, hex);
	snprintf(buf, size, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static void metadata(struct cdx *x, cJSON *doc, const struct sbom_input *in, const char *bundle_ref)
{
	const struct ib_manifest *m = in->m;
	cJSON *md = obj(x, doc, "metadata"), *tool, *c, *props;
	char hex[2 * IB_SHA256_LEN + 1];

	str(x, md, "timestamp", in->timestamp);
	tool = arr(x, obj(x, md, "tools"), "components");
	c = component(x, tool, "application", "tool:ibpack", "ibpack");
	str(x, c, "version", IBPACK_VERSION);
	c = obj(x, md, "component");
	str(x, c, "type", "application");
	str(x, c, "bom-ref", bundle_ref);
	str(x, c, "name", m->name);
	str(x, c, "version", m->version);
	if (m->description)
		str(x, c, "description", m->description);
	props = arr(x, c, "properties");
	prop_u64(x, props, "ibpack:sequence", m->sequence);
	prop(x, props, "ibpack:target", ib_target_name(m->target));
	prop(x, props, "ibpack:created", m->created);
	ib_hex_encode(in->manifest_sha256, IB_SHA256_LEN, hex);
	prop(x, props, "ibpack:manifest-sha256", hex);
}

cJSON *sbom_cyclonedx(const struct sbom_input *in)
{
	struct cdx cx = {0}, *x = &cx;
	cJSON *doc = noted(x, cJSON_CreateObject()), *list;
	char ref[96], sn[64];

	snprintf(ref, sizeof(ref), "bundle:%s", in->m->name);
	serial(in->manifest_sha256, sn, sizeof(sn));
	str(x, doc, "$schema", "http://cyclonedx.org/schema/bom-1.5.schema.json");
	str(x, doc, "bomFormat", "CycloneDX");
	str(x, doc, "specVersion", "1.5");
	str(x, doc, "serialNumber", sn);
	noted(x, cJSON_AddNumberToObject(doc, "version", 1));
	metadata(x, doc, in, ref);
	list = arr(x, doc, "components");
	for (size_t i = 0; i < in->m->npkgs; i++)
		package_component(x, list, &in->m->pkgs[i]);
	stub_component(x, list, in);
	graph(x, doc, in, ref);
	if (cx.oom) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

int sbom_render(const struct sbom_input *in, char **text, size_t *len)
{
	cJSON *doc = sbom_cyclonedx(in);
	char *s = doc ? cJSON_Print(doc) : NULL;
	size_t n;

	cJSON_Delete(doc);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	*text = realloc(s, n + 2);
	if (!*text) {
		free(s);
		return -ENOMEM;
	}
	(*text)[n] = '\n';
	(*text)[n + 1] = '\0';
	*len = n + 1;
	return 0;
}
