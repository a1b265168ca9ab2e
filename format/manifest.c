/* Parsing, validation and serialization of the manifest and of the spec (same package schema). */
#include "manifest.h"

#include "../base/err.h"
#include "../base/text.h"
#include "../base/util.h"
#include "install.h"
#include "outdir.h"
#include "spec_keys.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAXLEN 160

const char *ib_compression_name(int c)
{
	switch (c) {
	case IB_COMP_NONE: return "none";
	case IB_COMP_GZIP: return "gzip";
	case IB_COMP_ZSTD: return "zstd";
	case IB_COMP_AUTO: return "auto";
	default: return "?";
	}
}

int ib_compression_from_name(const char *s)
{
	static const char *names[] = {"none", "gzip", "zstd", "auto"};

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return IB_E_USAGE;
}

const char *ib_target_name(int t)
{
	return t == IB_TARGET_LINUX_X86_64 ? "linux-x86_64" : t == IB_TARGET_WINDOWS_X86_64 ? "windows-x86_64" : "?";
}

int ib_target_from_name(const char *s)
{
	if (!strcmp(s, "linux-x86_64"))
		return IB_TARGET_LINUX_X86_64;
	if (!strcmp(s, "windows-x86_64"))
		return IB_TARGET_WINDOWS_X86_64;
	return IB_E_USAGE;
}

/* The kinds by value (enum ib_kind is their index). */
static const char *const kind_names[] = {"device-driver", "firmware", "application", "library"};

const char *ib_kind_name(int k)
{
	return k >= 0 && k < (int)IB_ARRAY_LEN(kind_names) ? kind_names[k] : "?";
}

int ib_kind_from_name(const char *s)
{
	for (int i = 0; i < (int)IB_ARRAY_LEN(kind_names); i++)
		if (!strcmp(s, kind_names[i]))
			return i;
	return IB_E_USAGE;
}

int ib_codes_has(const struct ib_codes *c, long code)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i] == code)
			return 1;
	return 0;
}

/* ---- typed getters that name the JSON path in their errors ---- */

struct jctx {
	int code; /* IB_E_FORMAT for manifests, IB_E_SPEC for specs */
	char path[PATH_MAXLEN];
};

static int jfail(const struct jctx *c, const char *key, const char *what)
{
	return ib_fail(c->code, "%s%s%s: %s", c->path, c->path[0] && key ? "." : "", key ? key : "", what);
}

static const cJSON *jget(const cJSON *o, const char *key)
{
	/* Case-sensitive: "Install" must not pass for "install". */
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static int get_str(const struct jctx *c, const cJSON *o, const char *key, int required, size_t max, char **out)
{
	const cJSON *v = jget(o, key);

	*out = NULL;
	if (!v)
		return required ? jfail(c, key, "missing") : 0;
	if (!cJSON_IsString(v) || !v->valuestring)
		return jfail(c, key, "expected a string");
	if (strlen(v->valuestring) > max)
		return jfail(c, key, "string too long");
	*out = ib_strdup(v->valuestring);
	return *out ? 0 : -ENOMEM;
}

static int num_ok(const cJSON *v, double min, double max)
{
	return cJSON_IsNumber(v) && v->valuedouble >= min && v->valuedouble <= max &&
	       floor(v->valuedouble) == v->valuedouble;
}

static int get_u64(const struct jctx *c, const cJSON *o, const char *key, int required, uint64_t max, uint64_t *out)
{
	const cJSON *v = jget(o, key);
	char what[96];

	if (!v) {
		if (required)
			return jfail(c, key, "missing");
		return 0;
	}
	/* Doubles hold every integer only below 2^53: 2^53 + 1 would read as 2^53. */
	if (max > (1ULL << 53) - 1)
		max = (1ULL << 53) - 1;
	if (!num_ok(v, 0, (double)max)) {
		snprintf(what, sizeof(what), "expected an integer from 0 to %llu", (unsigned long long)max);
		return jfail(c, key, what);
	}
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static int get_long(const struct jctx *c, const cJSON *o, const char *key, long min, long max, long *out)
{
	const cJSON *v = jget(o, key);
	char what[96];

	if (!v)
		return 0;
	if (!num_ok(v, (double)min, (double)max)) {
		snprintf(what, sizeof(what), "expected an integer from %ld to %ld", min, max);
		return jfail(c, key, what);
	}
	*out = (long)v->valuedouble;
	return 0;
}

static int token_ok(const char *s, const char *extra)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return 0;
	return 1;
}

static int get_strlist(const struct jctx *c, const cJSON *o, const char *key, const char *extra, size_t maxn,
		       struct ib_strlist *out)
{
	const cJSON *v = jget(o, key), *e;
	size_t i = 0;

	if (!v)
		return jfail(c, key, "missing");
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 || (size_t)cJSON_GetArraySize(v) > maxn)
		return jfail(c, key, "expected a non-empty array of strings");
	out->n = (size_t)cJSON_GetArraySize(v);
	out->v = calloc(out->n, sizeof(char *));
	if (!out->v)
		return -ENOMEM;
	cJSON_ArrayForEach (e, v) {
		char what[96];

		if (!cJSON_IsString(e) || strlen(e->valuestring) > 4096 ||
		    (extra && !token_ok(e->valuestring, extra))) {
			snprintf(what, sizeof(what), "element %zu: %s", i,
				 extra ? "expected a lowercase token ([a-z0-9] and \"" : "expected a string");
			if (extra) {
				size_t l = strlen(what);
				snprintf(what + l, sizeof(what) - l, "%s\")", extra);
			}
			return jfail(c, key, what);
		}
		out->v[i] = ib_strdup(e->valuestring);
		if (!out->v[i++])
			return -ENOMEM;
	}
	return 0;
}

static int get_codes(const struct jctx *c, const cJSON *o, const char *key, struct ib_codes *out, long dflt)
{
	const cJSON *v = jget(o, key), *e;
	size_t i = 0;

	if (!v) {
		if (dflt < 0) {
			out->n = 0;
			return 0;
		}
		out->v = malloc(sizeof(long));
		if (!out->v)
			return -ENOMEM;
		out->v[0] = dflt;
		out->n = 1;
		return 0;
	}
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > 64)
		return jfail(c, key, "expected an array of at most 64 exit codes");
	out->n = (size_t)cJSON_GetArraySize(v);
	out->v = calloc(out->n ? out->n : 1, sizeof(long));
	if (!out->v)
		return -ENOMEM;
	cJSON_ArrayForEach (e, v) {
		/* Windows exit codes are 32-bit unsigned; negative values cover signed spellings. */
		if (!num_ok(e, -2147483648.0, 4294967295.0))
			return jfail(c, key, "exit codes must be integers in the 32-bit range");
		out->v[i++] = (long)e->valuedouble;
	}
	return 0;
}

static int parse_package(struct jctx *c, const cJSON *p, struct ib_package *pkg, int spec, int target)
{
	const cJSON *match, *inst;
	uint64_t timeout = 3600;
	char *comp = NULL, *sha = NULL;
	int rc;

	if (!cJSON_IsObject(p))
		return jfail(c, NULL, "expected an object");
	if ((rc = get_str(c, p, "id", 1, IB_ID_MAX, &pkg->id)))
		return rc;
	if (!token_ok(pkg->id, "._-") || pkg->id[0] == '.' || pkg->id[0] == '-' || pkg->id[0] == '_')
		return jfail(c, "id", "must be 1-64 of [a-z0-9._-], starting with a letter or digit");
	if ((rc = get_str(c, p, "name", 1, 256, &pkg->name)) ||
	    (rc = get_str(c, p, "version", 1, 128, &pkg->version)) ||
	    (rc = get_str(c, p, "description", 0, 4096, &pkg->description)) ||
	    (rc = get_str(c, p, "vendor", 0, 256, &pkg->vendor)) || (rc = get_str(c, p, "kind", 0, 32, &comp)))
		return rc;
	if (comp) {
		pkg->kind = ib_kind_from_name(comp);
		pkg->has_kind = 1;
		free(comp);
		comp = NULL;
		if (pkg->kind < 0)
			return jfail(c, "kind",
				     "expected \"device-driver\", \"firmware\", \"application\" or \"library\"");
	}
	match = jget(p, "match");
	if (!cJSON_IsObject(match))
		return jfail(c, "match", "expected an object with \"os\" and \"nic\" arrays");
	{
		struct jctx mc = *c;

		ib_snprintf(mc.path, sizeof(mc.path), "%.140s.match", c->path);
		if ((rc = get_strlist(&mc, match, "os", "._-*", 256, &pkg->os)) ||
		    (rc = get_strlist(&mc, match, "nic", "", 64, &pkg->nic)))
			return rc;
		/* Kernel releases: "5.15.0-1089-azure", "5.14.0-687.25.1.el9_8.x86_64", "6.6.96.1-2.azl3". */
		if (jget(match, "kernel") && (rc = get_strlist(&mc, match, "kernel", "._-*+~", 64, &pkg->kernel)))
			return rc;
	}
	pkg->priority = 0;
	if ((rc = get_long(c, p, "priority", -1000000, 1000000, &pkg->priority)))
		return rc;
	inst = jget(p, "install");
	if (!cJSON_IsObject(inst))
		return jfail(c, "install",
			     "expected an object with a \"command\" array (or \"command_line\" or \"msi\")");
	{
		struct jctx ic = *c;

		ib_snprintf(ic.path, sizeof(ic.path), "%.140s.install", c->path);
		if (jget(inst, "command") && (rc = get_strlist(&ic, inst, "command", NULL, 256, &pkg->install.argv)))
			return rc;
		if (pkg->install.argv.n && !pkg->install.argv.v[0][0])
			return jfail(&ic, "command", "the program name is empty");
		if ((rc = get_u64(&ic, inst, "timeout", 0, IB_TIMEOUT_MAX, &timeout)))
			return rc;
		if (timeout == 0)
			return jfail(&ic, "timeout", "must be at least 1 second");
		pkg->install.timeout = (uint32_t)timeout;
		if ((rc = get_codes(&ic, inst, "success_codes", &pkg->install.success, 0)) ||
		    (rc = get_codes(&ic, inst, "reboot_codes", &pkg->install.reboot, -1)))
			return rc;
		if (pkg->install.success.n == 0)
			return jfail(&ic, "success_codes", "at least one success code is needed");
		if ((rc = ib_install_parse(inst, ic.path, c->code, target, &pkg->install)))
			return rc;
	}
	if (!spec)
		return 0;

	if ((rc = get_str(c, p, "source", 1, 4096, &pkg->source)) || (rc = get_str(c, p, "url", 0, 4096, &pkg->url)) ||
	    (rc = get_str(c, p, "artifact", 0, 255, &pkg->artifact)) || (rc = get_str(c, p, "sha256", 0, 64, &sha)) ||
	    (rc = get_str(c, p, "compression", 0, 16, &comp)))
		goto out;
	if (!pkg->source[0]) {
		rc = jfail(c, "source", "is empty");
		goto out;
	}
	/* One file name directly inside the source directory: nothing to resolve, no way out. */
	if (pkg->artifact && (!pkg->artifact[0] || strchr(pkg->artifact, '/') || strchr(pkg->artifact, '\\') ||
			      !strcmp(pkg->artifact, ".") || !strcmp(pkg->artifact, ".."))) {
		rc = jfail(c, "artifact", "must be a file name inside the source directory (no '/')");
		goto out;
	}
	if (sha) {
		if (strlen(sha) != 64 || ib_hex_decode(sha, pkg->source_sha256, IB_SHA256_LEN)) {
			rc = jfail(c, "sha256", "expected 64 hex digits");
			goto out;
		}
		pkg->has_source_sha256 = 1;
	}
	pkg->compression = -1;
	if (comp && (pkg->compression = ib_compression_from_name(comp)) < 0) {
		rc = jfail(c, "compression", "expected \"auto\", \"zstd\", \"gzip\" or \"none\"");
		goto out;
	}
	{
		char ipath[PATH_MAXLEN];

		ib_snprintf(ipath, sizeof(ipath), "%.140s.install", c->path);
		rc = ib_install_check_codes(ipath, c->code, target, &pkg->install);
	}
out:
	free(sha);
	free(comp);
	return rc;
}

/* "chunk_table": { "offset": N, "sha256": hex }: where the chunk hashes are, and what pins them. */
static int parse_chunk_table(struct jctx *c, const cJSON *table, struct ib_package *pkg)
{
	struct jctx tc = *c;
	char *sha = NULL;
	int rc;

	ib_snprintf(tc.path, sizeof(tc.path), "%.140s.chunk_table", c->path);
	if (!cJSON_IsObject(table))
		return jfail(c, "chunk_table", "expected an object with \"offset\" and \"sha256\"");
	if ((rc = get_u64(&tc, table, "offset", 1, UINT64_MAX, &pkg->table_offset)) ||
	    (rc = get_str(&tc, table, "sha256", 1, 64, &sha)))
		goto out;
	if (strlen(sha) != 64 || ib_hex_decode(sha, pkg->table_sha256, IB_SHA256_LEN))
		rc = jfail(&tc, "sha256", "expected 64 hex digits");
	else
		pkg->has_table = 1;
out:
	free(sha);
	return rc;
}

static int parse_blob(struct jctx *c, const cJSON *p, struct ib_package *pkg, uint32_t chunk_size)
{
	const cJSON *blob = jget(p, "blob"), *chunks, *table, *e;
	char *comp = NULL, *sha = NULL;
	uint64_t expect;
	size_t i = 0;
	int rc;

	if (!cJSON_IsObject(blob))
		return jfail(c, "blob", "missing");
	snprintf(c->path + strlen(c->path), sizeof(c->path) - strlen(c->path), ".blob");
	if ((rc = get_u64(c, blob, "offset", 1, UINT64_MAX, &pkg->offset)) ||
	    (rc = get_u64(c, blob, "length", 1, UINT64_MAX, &pkg->length)) ||
	    (rc = get_str(c, blob, "compression", 1, 16, &comp)) || (rc = get_str(c, blob, "sha256", 1, 64, &sha)))
		goto out;
	pkg->compression = ib_compression_from_name(comp);
	if (pkg->compression < 0 || pkg->compression == IB_COMP_AUTO) {
		rc = jfail(c, "compression", "expected \"zstd\", \"gzip\" or \"none\"");
		goto out;
	}
	if (strlen(sha) != 64 || ib_hex_decode(sha, pkg->sha256, IB_SHA256_LEN)) {
		rc = jfail(c, "sha256", "expected 64 hex digits");
		goto out;
	}
	if (pkg->length == 0) {
		rc = jfail(c, "length", "must not be zero");
		goto out;
	}
	expect = (pkg->length + chunk_size - 1) / chunk_size;
	pkg->nchunks = (size_t)expect;
	chunks = jget(blob, "chunks");
	table = jget(blob, "chunk_table");
	if (table) {
		rc = chunks ? jfail(c, "chunks", "not allowed with a chunk_table") : parse_chunk_table(c, table, pkg);
		goto out;
	}
	if (!cJSON_IsArray(chunks) || (uint64_t)cJSON_GetArraySize(chunks) != expect) {
		rc = jfail(c, "chunks", "expected one SHA-256 per chunk of the blob");
		goto out;
	}
	pkg->chunks = malloc(pkg->nchunks * IB_SHA256_LEN);
	if (!pkg->chunks) {
		rc = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach (e, chunks) {
		if (!cJSON_IsString(e) || strlen(e->valuestring) != 64 ||
		    ib_hex_decode(e->valuestring, pkg->chunks[i++], IB_SHA256_LEN)) {
			rc = jfail(c, "chunks", "expected 64 hex digits per chunk");
			goto out;
		}
	}
out:
	free(comp);
	free(sha);
	return rc;
}

static int parse_mode(const char *s, unsigned *mode)
{
	if (!strcmp(s, "0644"))
		*mode = 0644;
	else if (!strcmp(s, "0755"))
		*mode = 0755;
	else
		return -1;
	return 0;
}

static int parse_file_entry(struct jctx *c, const cJSON *e, struct ib_file_entry *f)
{
	char *mode = NULL, *sha = NULL;
	int rc;

	if (!cJSON_IsObject(e))
		return jfail(c, NULL, "expected an object");
	if ((rc = get_str(c, e, "path", 1, 4096, &f->path)) || (rc = get_u64(c, e, "size", 1, UINT64_MAX, &f->size)) ||
	    (rc = get_str(c, e, "mode", 1, 8, &mode)) || (rc = get_str(c, e, "sha256", 1, 64, &sha)))
		goto out;
	if (ib_path_check(f->path))
		rc = jfail(c, "path", "not a safe relative path");
	else if (parse_mode(mode, &f->mode))
		rc = jfail(c, "mode", "expected \"0644\" or \"0755\"");
	else if (strlen(sha) != 64 || ib_hex_decode(sha, f->sha256, IB_SHA256_LEN))
		rc = jfail(c, "sha256", "expected 64 hex digits");
out:
	free(mode);
	free(sha);
	return rc;
}

/* The optional per-file list: every regular file of the package, whose sizes add up to the
 * unpacked size. Absent in manifests written before it existed. */
static int parse_files(struct jctx *c, const cJSON *p, struct ib_package *pkg)
{
	const cJSON *files = jget(p, "files"), *e;
	uint64_t total = 0;
	size_t i = 0;
	int rc;

	if (!files)
		return 0;
	if (!cJSON_IsArray(files) || (uint64_t)cJSON_GetArraySize(files) > pkg->file_count)
		return jfail(c, "files", "expected an array of at most file_count entries");
	pkg->has_files = 1;
	pkg->nfiles = (size_t)cJSON_GetArraySize(files);
	pkg->files = calloc(pkg->nfiles ? pkg->nfiles : 1, sizeof(*pkg->files));
	if (!pkg->files)
		return -ENOMEM;
	cJSON_ArrayForEach (e, files) {
		struct jctx fc = *c;

		snprintf(fc.path, sizeof(fc.path), "%.140s.files[%zu]", c->path, i);
		if ((rc = parse_file_entry(&fc, e, &pkg->files[i])))
			return rc;
		if (pkg->files[i].size > pkg->unpacked_size - total)
			return jfail(&fc, "size", "the files add up to more than unpacked_size");
		total += pkg->files[i++].size;
	}
	if (total != pkg->unpacked_size)
		return jfail(c, "files", "the sizes do not add up to unpacked_size");
	return 0;
}

static int parse_common(struct jctx *c, const cJSON *root, struct ib_manifest *m, int spec)
{
	char *target = NULL;
	int rc;

	if (!cJSON_IsObject(root))
		return jfail(c, NULL, "the document must be a JSON object");
	if ((rc = get_str(c, root, "name", 1, IB_ID_MAX, &m->name)))
		return rc;
	if (!token_ok(m->name, "._-"))
		return jfail(c, "name", "must be 1-64 of [a-z0-9._-]");
	if ((rc = get_str(c, root, "version", 1, 128, &m->version)) ||
	    (rc = get_str(c, root, "description", 0, 4096, &m->description)) ||
	    (rc = get_u64(c, root, "sequence", 1, UINT64_MAX, &m->sequence)) ||
	    (rc = get_str(c, root, "target", 1, 32, &target)))
		goto out;
	m->target = ib_target_from_name(target);
	if (m->target < 0) {
		rc = jfail(c, "target", "expected \"linux-x86_64\" or \"windows-x86_64\"");
		goto out;
	}
	m->chunk_size = spec ? IB_CHUNK_DEFAULT : 0;
	{
		uint64_t cs = m->chunk_size;

		if ((rc = get_u64(c, root, "chunk_size", !spec, IB_CHUNK_MAX, &cs)))
			goto out;
		if (cs < IB_CHUNK_MIN || (cs & (cs - 1))) {
			rc = jfail(c, "chunk_size", "must be a power of two from 65536 to 1048576");
			goto out;
		}
		m->chunk_size = (uint32_t)cs;
	}
out:
	free(target);
	return rc;
}

static int parse_packages(struct jctx *c, const cJSON *root, struct ib_manifest *m, int spec)
{
	const cJSON *pkgs = jget(root, "packages"), *p;
	size_t i = 0;
	int rc;

	if (!cJSON_IsArray(pkgs) || cJSON_GetArraySize(pkgs) < 1 || cJSON_GetArraySize(pkgs) > IB_PACKAGES_MAX)
		return jfail(c, "packages", "expected an array of 1 to 256 packages");
	m->npkgs = (size_t)cJSON_GetArraySize(pkgs);
	m->pkgs = calloc(m->npkgs, sizeof(*m->pkgs));
	if (!m->pkgs)
		return -ENOMEM;
	cJSON_ArrayForEach (p, pkgs) {
		struct jctx pc = *c;

		snprintf(pc.path, sizeof(pc.path), "packages[%zu]", i);
		if ((rc = parse_package(&pc, p, &m->pkgs[i], spec, m->target)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(m->pkgs[j].id, m->pkgs[i].id))
				return jfail(&pc, "id", "duplicate package id");
		if (!spec) {
			if ((rc = parse_blob(&pc, p, &m->pkgs[i], m->chunk_size)))
				return rc;
			snprintf(pc.path, sizeof(pc.path), "packages[%zu]", i);
			if ((rc = get_u64(&pc, p, "unpacked_size", 1, UINT64_MAX, &m->pkgs[i].unpacked_size)) ||
			    (rc = get_u64(&pc, p, "file_count", 1, IB_FILES_MAX, &m->pkgs[i].file_count)) ||
			    (rc = parse_files(&pc, p, &m->pkgs[i])))
				return rc;
		}
		i++;
	}
	return 0;
}

/* Offset of a "\u0000" escape in json, or len. cJSON would cut the string there, so the value
 * read would differ from the text a reviewer sees ("./install.sh\u0000; reboot"). Backslashes
 * only occur inside strings, and each escape is skipped whole, so "\\u0000" is text. */
static size_t escaped_nul(const char *json, size_t len)
{
	for (size_t i = 0; i + 5 < len; i++) {
		if (json[i] != '\\')
			continue;
		if (!memcmp(json + i + 1, "u0000", 5))
			return i;
		i++;
	}
	return len;
}

/* Parses exactly [json, json+len): no NUL inside, nothing but white space after the value. */
/* A key repeated in one object would let two JSON readers see two different signed documents
 * (cJSON keeps the first, Python and jq the last), so the whole tree must have unique keys. */
static int has_duplicate_keys(const cJSON *node)
{
	for (const cJSON *c = node ? node->child : NULL; c; c = c->next) {
		if (cJSON_IsObject(node) && c->string)
			for (const cJSON *d = c->next; d; d = d->next)
				if (d->string && !strcmp(c->string, d->string))
					return 1;
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && has_duplicate_keys(c))
			return 1;
	}
	return 0;
}

static cJSON *parse_json(const char *json, size_t len, size_t *err_at, const char **why)
{
	const char *end = NULL;
	cJSON *root;

	*err_at = 0;
	*why = "syntax error";
	if (memchr(json, '\0', len)) {
		*err_at = (size_t)((const char *)memchr(json, '\0', len) - json);
		return NULL;
	}
	if ((*err_at = escaped_nul(json, len)) != len)
		return NULL;
	*err_at = 0;
	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!root) {
		*err_at = end && end >= json ? (size_t)(end - json) : 0;
		return NULL;
	}
	for (; end && end < json + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			*err_at = (size_t)(end - json);
			cJSON_Delete(root);
			return NULL;
		}
	}
	if (has_duplicate_keys(root)) {
		*err_at = len;
		*why = "a key is repeated in one object";
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

int ib_spec_parse(const char *json, size_t len, struct ib_manifest *m)
{
	struct jctx c = {.code = IB_E_SPEC};
	size_t err_at;
	const char *why;
	cJSON *root;
	char *comp = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	/* The same rule as for manifests, so a build cannot produce a manifest the stub refuses. */
	if (ib_json_text_check((const unsigned char *)json, len, &err_at)) {
		char why_text[256];

		snprintf(why_text, sizeof(why_text), "%s", ib_errmsg(IB_E_FORMAT));
		return ib_fail(IB_E_SPEC, "not valid JSON: %s", why_text);
	}
	root = parse_json(json, len, &err_at, &why);
	if (!root) {
		unsigned line, col;

		ib_text_position(json, len, err_at, &line, &col);
		return ib_fail(IB_E_SPEC, "line %u, column %u: not valid JSON: %s", line, col, why);
	}
	rc = ib_spec_check_keys(root);
	if (!rc)
		rc = parse_common(&c, root, m, 1);
	if (!rc)
		rc = get_str(&c, root, "compression", 0, 16, &comp);
	if (!rc) {
		m->compression = comp ? ib_compression_from_name(comp) : IB_COMP_AUTO;
		if (m->compression < 0)
			rc = jfail(&c, "compression", "expected \"auto\", \"zstd\", \"gzip\" or \"none\"");
	}
	if (!rc)
		rc = parse_packages(&c, root, m, 1);
	for (size_t i = 0; !rc && i < m->npkgs; i++)
		if (m->pkgs[i].compression < 0)
			m->pkgs[i].compression = m->compression;
	free(comp);
	cJSON_Delete(root);
	if (rc)
		ib_manifest_release(m);
	return rc;
}

static int check_created(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	return 1;
}

int ib_manifest_parse(const char *json, size_t len, uint64_t payload_start, uint64_t payload_end, struct ib_manifest *m)
{
	struct jctx c = {.code = IB_E_FORMAT};
	const cJSON *stub;
	cJSON *root;
	char *s = NULL;
	uint64_t fmt = 0, next;
	size_t err_at;
	const char *why;
	int rc;

	memset(m, 0, sizeof(*m));
	/* FORMAT.md promises UTF-8 JSON; cJSON alone accepts invalid UTF-8 and raw control bytes. */
	if ((rc = ib_json_text_check((const unsigned char *)json, len, &err_at)))
		return ib_fail_ctx(rc, "manifest: not valid JSON: ");
	root = parse_json(json, len, &err_at, &why);
	if (!root)
		return ib_fail(IB_E_FORMAT, "manifest: not valid JSON: %s (near byte %zu)", why, err_at);
	snprintf(c.path, sizeof(c.path), "manifest");
	if ((rc = get_u64(&c, root, "format", 1, 1000, &fmt)))
		goto out;
	if (fmt != IB_MANIFEST_FORMAT) {
		rc = jfail(&c, "format", "unsupported manifest format");
		goto out;
	}
	c.path[0] = '\0';
	if ((rc = parse_common(&c, root, m, 0)))
		goto out;
	if ((rc = get_str(&c, root, "created", 1, 32, &s)))
		goto out;
	if (!check_created(s)) {
		rc = jfail(&c, "created", "expected YYYY-MM-DDTHH:MM:SSZ");
		goto out;
	}
	memcpy(m->created, s, strlen(s) + 1);
	free(s);
	s = NULL;
	stub = jget(root, "stub");
	if (!cJSON_IsObject(stub)) {
		rc = jfail(&c, "stub", "missing");
		goto out;
	}
	snprintf(c.path, sizeof(c.path), "stub");
	if ((rc = get_u64(&c, stub, "size", 1, UINT64_MAX, &m->stub_size)) ||
	    (rc = get_str(&c, stub, "sha256", 1, 64, &s)))
		goto out;
	if (strlen(s) != 64 || ib_hex_decode(s, m->stub_sha256, IB_SHA256_LEN)) {
		rc = jfail(&c, "sha256", "expected 64 hex digits");
		goto out;
	}
	c.path[0] = '\0';
	if ((rc = parse_packages(&c, root, m, 0)))
		goto out;
	if (m->stub_size != payload_start) {
		rc = ib_fail(IB_E_FORMAT, "manifest: stub size %llu does not match the footer's %llu",
			     (unsigned long long)m->stub_size, (unsigned long long)payload_start);
		goto out;
	}
	/* Blobs must tile the payload in package order: nothing overlaps, nothing hides between. */
	next = payload_start;
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];

		if (p->offset != next || p->length > payload_end - p->offset) {
			rc = ib_fail(IB_E_FORMAT,
				     "manifest: package '%s' blob [%llu, +%llu) is not where the "
				     "payload continues",
				     p->id, (unsigned long long)p->offset, (unsigned long long)p->length);
			goto out;
		}
		next = p->offset + p->length;
	}
	/* Then the chunk tables, in the same order. */
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];

		if (!p->has_table)
			continue;
		if (p->table_offset != next || IB_CHUNK_TABLE_LEN(p) > payload_end - p->table_offset) {
			rc = ib_fail(IB_E_FORMAT,
				     "manifest: package '%s' chunk table at %llu is not where the "
				     "payload continues",
				     p->id, (unsigned long long)p->table_offset);
			goto out;
		}
		next = p->table_offset + IB_CHUNK_TABLE_LEN(p);
	}
	if (next != payload_end)
		rc = ib_fail(IB_E_FORMAT, "manifest: %llu payload bytes belong to no package",
			     (unsigned long long)(payload_end - next));
out:
	free(s);
	cJSON_Delete(root);
	if (rc)
		ib_manifest_release(m);
	return rc;
}

static void strlist_release(struct ib_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void ib_manifest_release(struct ib_manifest *m)
{
	for (size_t i = 0; i < m->npkgs; i++) {
		struct ib_package *p = &m->pkgs[i];

		free(p->id);
		free(p->name);
		free(p->version);
		free(p->description);
		strlist_release(&p->os);
		strlist_release(&p->nic);
		strlist_release(&p->kernel);
		strlist_release(&p->install.argv);
		ib_install_release(&p->install);
		free(p->install.success.v);
		free(p->install.reboot.v);
		free(p->source);
		free(p->url);
		free(p->artifact);
		free(p->chunks);
		free(p->vendor);
		ib_package_files_release(p);
	}
	free(m->pkgs);
	free(m->name);
	free(m->version);
	free(m->description);
	memset(m, 0, sizeof(*m));
}

void ib_package_files_release(struct ib_package *p)
{
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i].path);
	free(p->files);
	p->files = NULL;
	p->nfiles = 0;
	p->has_files = 0;
}

const struct ib_package *ib_manifest_find(const struct ib_manifest *m, const char *id)
{
	for (size_t i = 0; i < m->npkgs; i++)
		if (!strcmp(m->pkgs[i].id, id))
			return &m->pkgs[i];
	return NULL;
}

/* ---- serialization ---- */

static cJSON *strlist_json(const struct ib_strlist *l)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < l->n; i++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]))) {
			cJSON_Delete(a);
			return NULL;
		}
	return a;
}

static cJSON *codes_json(const struct ib_codes *c)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < c->n; i++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateNumber((double)c->v[i]))) {
			cJSON_Delete(a);
			return NULL;
		}
	return a;
}

/* Adds an integer as exact decimal text. cJSON prints a double with 15 significant digits
 * whenever that reads back within its relative tolerance, which from about 2^52 on can be off
 * by one or two (9007199254740991 would come out as 9.00719925474099e+15). */
static cJSON *add_u64(cJSON *o, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	return cJSON_AddRawToObject(o, key, num);
}

static int add_chunk_table(cJSON *blob, const struct ib_package *p)
{
	cJSON *table = cJSON_AddObjectToObject(blob, "chunk_table");
	char hex[2 * IB_SHA256_LEN + 1];

	ib_hex_encode(p->table_sha256, IB_SHA256_LEN, hex);
	return table && add_u64(table, "offset", p->table_offset) && cJSON_AddStringToObject(table, "sha256", hex);
}

static int add_chunk_list(cJSON *blob, const struct ib_package *p)
{
	cJSON *chunks = cJSON_AddArrayToObject(blob, "chunks");
	char hex[2 * IB_SHA256_LEN + 1];
	int ok = chunks != NULL;

	for (size_t i = 0; ok && i < p->nchunks; i++) {
		ib_hex_encode(p->chunks[i], IB_SHA256_LEN, hex);
		ok = cJSON_AddItemToArray(chunks, cJSON_CreateString(hex));
	}
	return ok;
}

static cJSON *files_json(const struct ib_package *p)
{
	cJSON *a = cJSON_CreateArray();
	char hex[2 * IB_SHA256_LEN + 1];
	int ok = a != NULL;

	for (size_t i = 0; ok && i < p->nfiles; i++) {
		const struct ib_file_entry *f = &p->files[i];
		cJSON *e = cJSON_CreateObject();

		ok = e && cJSON_AddItemToArray(a, e);
		ok = ok && cJSON_AddStringToObject(e, "path", f->path);
		ok = ok && add_u64(e, "size", f->size);
		ok = ok && cJSON_AddStringToObject(e, "mode", f->mode == 0755 ? "0755" : "0644");
		if (ok)
			ib_hex_encode(f->sha256, IB_SHA256_LEN, hex);
		ok = ok && cJSON_AddStringToObject(e, "sha256", hex);
	}
	if (!ok) {
		cJSON_Delete(a);
		return NULL;
	}
	return a;
}

static cJSON *package_json(const struct ib_package *p)
{
	cJSON *o = cJSON_CreateObject(), *match, *inst, *blob;
	char hex[2 * IB_SHA256_LEN + 1];
	int ok = o != NULL;

	ok = ok && cJSON_AddStringToObject(o, "id", p->id);
	ok = ok && cJSON_AddStringToObject(o, "name", p->name);
	ok = ok && cJSON_AddStringToObject(o, "version", p->version);
	if (ok && p->description)
		ok = cJSON_AddStringToObject(o, "description", p->description) != NULL;
	if (ok && p->vendor)
		ok = cJSON_AddStringToObject(o, "vendor", p->vendor) != NULL;
	if (ok && p->has_kind)
		ok = cJSON_AddStringToObject(o, "kind", ib_kind_name(p->kind)) != NULL;
	ok = ok && (match = cJSON_AddObjectToObject(o, "match"));
	ok = ok && cJSON_AddItemToObject(match, "os", strlist_json(&p->os));
	ok = ok && cJSON_AddItemToObject(match, "nic", strlist_json(&p->nic));
	/* Written only when set: a spec without kernel rules keeps its manifest bytes. */
	if (ok && p->kernel.n)
		ok = cJSON_AddItemToObject(match, "kernel", strlist_json(&p->kernel));
	ok = ok && cJSON_AddNumberToObject(o, "priority", (double)p->priority);
	ok = ok && (inst = cJSON_AddObjectToObject(o, "install"));
	ok = ok && ib_install_json(inst, &p->install) == 0;
	ok = ok && cJSON_AddNumberToObject(inst, "timeout", p->install.timeout);
	ok = ok && cJSON_AddItemToObject(inst, "success_codes", codes_json(&p->install.success));
	ok = ok && cJSON_AddItemToObject(inst, "reboot_codes", codes_json(&p->install.reboot));
	ok = ok && add_u64(o, "unpacked_size", p->unpacked_size);
	ok = ok && add_u64(o, "file_count", p->file_count);
	ok = ok && (blob = cJSON_AddObjectToObject(o, "blob"));
	ok = ok && add_u64(blob, "offset", p->offset);
	ok = ok && add_u64(blob, "length", p->length);
	ok = ok && cJSON_AddStringToObject(blob, "compression", ib_compression_name(p->compression));
	if (ok)
		ib_hex_encode(p->sha256, IB_SHA256_LEN, hex);
	ok = ok && cJSON_AddStringToObject(blob, "sha256", hex);
	ok = ok && (p->has_table ? add_chunk_table(blob, p) : add_chunk_list(blob, p));
	if (ok && p->has_files)
		ok = cJSON_AddItemToObject(o, "files", files_json(p));
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int ib_manifest_serialize(const struct ib_manifest *m, char **out, size_t *outlen)
{
	cJSON *root = cJSON_CreateObject(), *stub, *pkgs;
	char hex[2 * IB_SHA256_LEN + 1];
	int ok = root != NULL;
	char *text;

	ok = ok && cJSON_AddNumberToObject(root, "format", IB_MANIFEST_FORMAT);
	ok = ok && cJSON_AddStringToObject(root, "name", m->name);
	ok = ok && cJSON_AddStringToObject(root, "version", m->version);
	if (ok && m->description)
		ok = cJSON_AddStringToObject(root, "description", m->description) != NULL;
	ok = ok && add_u64(root, "sequence", m->sequence);
	ok = ok && cJSON_AddStringToObject(root, "target", ib_target_name(m->target));
	ok = ok && cJSON_AddStringToObject(root, "created", m->created);
	ok = ok && (stub = cJSON_AddObjectToObject(root, "stub"));
	ok = ok && add_u64(stub, "size", m->stub_size);
	if (ok)
		ib_hex_encode(m->stub_sha256, IB_SHA256_LEN, hex);
	ok = ok && cJSON_AddStringToObject(stub, "sha256", hex);
	ok = ok && cJSON_AddNumberToObject(root, "chunk_size", m->chunk_size);
	ok = ok && (pkgs = cJSON_AddArrayToObject(root, "packages"));
	for (size_t i = 0; ok && i < m->npkgs; i++)
		ok = cJSON_AddItemToArray(pkgs, package_json(&m->pkgs[i]));
	text = ok ? cJSON_Print(root) : NULL;
	cJSON_Delete(root);
	if (!text)
		return -ENOMEM;
	*out = text;
	*outlen = strlen(text);
	return 0;
}
