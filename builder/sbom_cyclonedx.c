/* The CycloneDX 1.5 bill of materials of a bundle: the bundle, one component per package with
 * every file, the stub with the libraries it is built from (purls, source hashes, Debian
 * patches), and the dependency graph. Rendered from sbom_input only, so it is reproducible. */
#include "sbom.h"

#include "../format/util.h"
#include "../signing/crypto.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef IBPACK_VERSION
#define IBPACK_VERSION "0.0.0-dev"
#endif

static void prop(cJSON *props, const char *name, const char *value)
{
	cJSON *p = cJSON_CreateObject();

	if (!cJSON_AddItemToArray(props, p)) {
		cJSON_Delete(p);
		return;
	}
	cJSON_AddStringToObject(p, "name", name);
	cJSON_AddStringToObject(p, "value", value);
}

static void prop_u64(cJSON *props, const char *name, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	prop(props, name, num);
}

static void sha256_hash(cJSON *o, const uint8_t digest[IB_SHA256_LEN])
{
	cJSON *hashes = cJSON_AddArrayToObject(o, "hashes"), *h = cJSON_CreateObject();
	char hex[2 * IB_SHA256_LEN + 1];

	ib_hex_encode(digest, IB_SHA256_LEN, hex);
	if (!cJSON_AddItemToArray(hashes, h)) {
		cJSON_Delete(h);
		return;
	}
	cJSON_AddStringToObject(h, "alg", "SHA-256");
	cJSON_AddStringToObject(h, "content", hex);
}

static cJSON *component(cJSON *list, const char *type, const char *ref, const char *name)
{
	cJSON *c = cJSON_CreateObject();

	if (!cJSON_AddItemToArray(list, c)) {
		cJSON_Delete(c);
		return NULL;
	}
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "bom-ref", ref);
	cJSON_AddStringToObject(c, "name", name);
	return c;
}

static void file_components(cJSON *pc, const struct ib_package *p)
{
	cJSON *files = cJSON_AddArrayToObject(pc, "components");
	char ref[4300], mode[8];

	for (size_t i = 0; i < p->nfiles; i++) {
		const struct ib_file_entry *f = &p->files[i];
		cJSON *fc, *props;

		snprintf(ref, sizeof(ref), "package:%s:file:%s", p->id, f->path);
		fc = component(files, "file", ref, f->path);
		sha256_hash(fc, f->sha256);
		props = cJSON_AddArrayToObject(fc, "properties");
		prop_u64(props, "ibpack:size", f->size);
		snprintf(mode, sizeof(mode), "%04o", f->mode);
		prop(props, "ibpack:mode", mode);
	}
}

static void package_component(cJSON *list, const struct ib_package *p)
{
	cJSON *c, *props;
	char ref[96], *cmd;

	snprintf(ref, sizeof(ref), "package:%s", p->id);
	c = component(list, ib_kind_name(p->has_kind ? p->kind : IB_KIND_DEVICE_DRIVER), ref, p->name);
	if (p->vendor)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(c, "supplier"), "name", p->vendor);
	cJSON_AddStringToObject(c, "version", p->version);
	if (p->description)
		cJSON_AddStringToObject(c, "description", p->description);
	sha256_hash(c, p->sha256);
	props = cJSON_AddArrayToObject(c, "properties");
	prop(props, "ibpack:package-id", p->id);
	for (size_t i = 0; i < p->os.n; i++)
		prop(props, "ibpack:match:os", p->os.v[i]);
	for (size_t i = 0; i < p->nic.n; i++)
		prop(props, "ibpack:match:nic", p->nic.v[i]);
	{
		char num[24];

		snprintf(num, sizeof(num), "%ld", p->priority);
		prop(props, "ibpack:priority", num);
	}
	/* The command as a JSON array: argv elements may hold spaces. */
	{
		cJSON *argv = cJSON_CreateArray();

		for (size_t i = 0; i < p->install.argv.n; i++)
			cJSON_AddItemToArray(argv, cJSON_CreateString(p->install.argv.v[i]));
		cmd = cJSON_PrintUnformatted(argv);
		cJSON_Delete(argv);
		if (cmd)
			prop(props, "ibpack:install:command", cmd);
		free(cmd);
	}
	prop_u64(props, "ibpack:install:timeout", p->install.timeout);
	prop(props, "ibpack:blob:compression", ib_compression_name(p->compression));
	prop_u64(props, "ibpack:blob:length", p->length);
	prop_u64(props, "ibpack:unpacked-size", p->unpacked_size);
	prop_u64(props, "ibpack:file-count", p->file_count);
	if (p->has_files)
		file_components(c, p);
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
static void patch_resolves(cJSON *patch, const char *file)
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
			resolves = cJSON_AddArrayToObject(patch, "resolves");
		r = cJSON_CreateObject();
		if (!cJSON_AddItemToArray(resolves, r)) {
			cJSON_Delete(r);
			return;
		}
		cJSON_AddStringToObject(r, "type", "security");
		cJSON_AddStringToObject(r, "id", id);
		snprintf(url, sizeof(url), "https://nvd.nist.gov/vuln/detail/%s", id);
		cJSON_AddStringToObject(r, "name", id);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "source"), "url", url);
	}
}

static void dep_pedigree(cJSON *c, const cJSON *d)
{
	const cJSON *patches = cJSON_GetObjectItemCaseSensitive(d, "patches"), *e;
	cJSON *list;
	char url[512];

	if (!cJSON_GetArraySize(patches))
		return;
	list = cJSON_AddArrayToObject(cJSON_AddObjectToObject(c, "pedigree"), "patches");
	cJSON_ArrayForEach(e, patches) {
		cJSON *p = cJSON_CreateObject();

		if (!cJSON_AddItemToArray(list, p)) {
			cJSON_Delete(p);
			return;
		}
		/* Debian's patch series backports upstream fixes; the patch is where Debian serves it. */
		cJSON_AddStringToObject(p, "type", "backport");
		snprintf(url, sizeof(url), "https://sources.debian.org/src/%s/%s/debian/patches/%s",
			 jstr(d, "source_package"), jstr(d, "version"), e->valuestring);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "diff"), "url", url);
		patch_resolves(p, e->valuestring);
	}
}

static void dep_component(cJSON *list, const cJSON *d)
{
	char ref[128], purl[256];
	uint8_t digest[IB_SHA256_LEN];
	cJSON *c, *props;

	snprintf(ref, sizeof(ref), "stub:%s", jstr(d, "name"));
	c = component(list, "library", ref, jstr(d, "name"));
	cJSON_AddStringToObject(c, "version", jstr(d, "version"));
	deb_purl(d, purl, sizeof(purl));
	cJSON_AddStringToObject(c, "purl", purl);
	/* The hash of what it is built from: the upstream source tarball deps/pins pins. */
	if (ib_hex_decode(jstr(d, "source_sha256"), digest, sizeof(digest)) == 0)
		sha256_hash(c, digest);
	props = cJSON_AddArrayToObject(c, "properties");
	prop(props, "ibpack:upstream-version", jstr(d, "upstream_version"));
	prop(props, "ibpack:debian-revision", jstr(d, "debian_revision"));
	prop(props, "ibpack:source-tarball", jstr(d, "source_tarball"));
	prop_u64(props, "ibpack:debian-patches-applied",
		 (uint64_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "patches")));
	dep_pedigree(c, d);
}

static void stub_component(cJSON *list, const struct sbom_input *in)
{
	const cJSON *bi = in->buildinfo, *d;
	cJSON *c, *props, *deps;

	c = component(list, "application", "stub", "ibpack-stub");
	cJSON_AddStringToObject(c, "version", bi ? jstr(bi, "ibpack") : "unknown");
	cJSON_AddStringToObject(c, "description", "the self-extracting runtime the bundle starts with");
	sha256_hash(c, in->m->stub_sha256);
	props = cJSON_AddArrayToObject(c, "properties");
	prop(props, "ibpack:target", ib_target_name(in->m->target));
	prop_u64(props, "ibpack:stub-size", in->m->stub_size);
	prop(props, "ibpack:linkage", bi ? jstr(bi, "linkage") : "unknown (the stub carries no build info)");
	if (!bi || !cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(bi, "dependencies")))
		return;
	deps = cJSON_AddArrayToObject(c, "components");
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(bi, "dependencies"))
		dep_component(deps, d);
}

static void depends(cJSON *graph, const char *ref, cJSON *on)
{
	cJSON *e = cJSON_CreateObject();

	if (!cJSON_AddItemToArray(graph, e)) {
		cJSON_Delete(e);
		cJSON_Delete(on);
		return;
	}
	cJSON_AddStringToObject(e, "ref", ref);
	if (on)
		cJSON_AddItemToObject(e, "dependsOn", on);
}

static void add_ref(cJSON *a, const char *prefix, const char *v)
{
	char ref[128];

	snprintf(ref, sizeof(ref), "%s%s", prefix, v);
	cJSON_AddItemToArray(a, cJSON_CreateString(ref));
}

/* The bundle needs its stub and its packages; the stub needs its libraries, and a library the
 * ones it is built against. */
static void graph(cJSON *doc, const struct sbom_input *in, const char *bundle_ref)
{
	cJSON *g = cJSON_AddArrayToObject(doc, "dependencies"), *on = cJSON_CreateArray();
	const cJSON *d, *u;

	add_ref(on, "", "stub");
	for (size_t i = 0; i < in->m->npkgs; i++)
		add_ref(on, "package:", in->m->pkgs[i].id);
	depends(g, bundle_ref, on);
	on = cJSON_CreateArray();
	if (in->buildinfo)
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(in->buildinfo, "dependencies"))
			add_ref(on, "stub:", jstr(d, "name"));
	depends(g, "stub", on);
	for (size_t i = 0; i < in->m->npkgs; i++) {
		char ref[96];

		snprintf(ref, sizeof(ref), "package:%s", in->m->pkgs[i].id);
		depends(g, ref, NULL);
	}
	if (!in->buildinfo)
		return;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(in->buildinfo, "dependencies")) {
		char ref[128];

		on = cJSON_CreateArray();
		cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(d, "uses"))
			add_ref(on, "stub:", u->valuestring);
		snprintf(ref, sizeof(ref), "stub:%s", jstr(d, "name"));
		depends(g, ref, cJSON_GetArraySize(on) ? on : (cJSON_Delete(on), NULL));
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

static void metadata(cJSON *doc, const struct sbom_input *in, const char *bundle_ref)
{
	const struct ib_manifest *m = in->m;
	cJSON *md = cJSON_AddObjectToObject(doc, "metadata"), *tool, *c, *props;
	char hex[2 * IB_SHA256_LEN + 1];

	cJSON_AddStringToObject(md, "timestamp", in->timestamp);
	tool = cJSON_AddArrayToObject(cJSON_AddObjectToObject(md, "tools"), "components");
	c = component(tool, "application", "tool:ibpack", "ibpack");
	cJSON_AddStringToObject(c, "version", IBPACK_VERSION);
	c = cJSON_AddObjectToObject(md, "component");
	cJSON_AddStringToObject(c, "type", "application");
	cJSON_AddStringToObject(c, "bom-ref", bundle_ref);
	cJSON_AddStringToObject(c, "name", m->name);
	cJSON_AddStringToObject(c, "version", m->version);
	if (m->description)
		cJSON_AddStringToObject(c, "description", m->description);
	props = cJSON_AddArrayToObject(c, "properties");
	prop_u64(props, "ibpack:sequence", m->sequence);
	prop(props, "ibpack:target", ib_target_name(m->target));
	prop(props, "ibpack:created", m->created);
	ib_hex_encode(in->manifest_sha256, IB_SHA256_LEN, hex);
	prop(props, "ibpack:manifest-sha256", hex);
}

cJSON *sbom_cyclonedx(const struct sbom_input *in)
{
	cJSON *doc = cJSON_CreateObject(), *list;
	char ref[96], sn[64];

	snprintf(ref, sizeof(ref), "bundle:%s", in->m->name);
	serial(in->manifest_sha256, sn, sizeof(sn));
	cJSON_AddStringToObject(doc, "$schema", "http://cyclonedx.org/schema/bom-1.5.schema.json");
	cJSON_AddStringToObject(doc, "bomFormat", "CycloneDX");
	cJSON_AddStringToObject(doc, "specVersion", "1.5");
	cJSON_AddStringToObject(doc, "serialNumber", sn);
	cJSON_AddNumberToObject(doc, "version", 1);
	metadata(doc, in, ref);
	list = cJSON_AddArrayToObject(doc, "components");
	for (size_t i = 0; i < in->m->npkgs; i++)
		package_component(list, &in->m->pkgs[i]);
	stub_component(list, in);
	graph(doc, in, ref);
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
