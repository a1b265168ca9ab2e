/* What a bill of materials is made from: the signed manifest, its hash, and the build info found
 * in the stub bytes that the signed stub hash covers. */
#include "sbom.h"

#include "../base/err.h"
#include "../format/extract.h"
#include "../base/util.h"
#include "../signing/crypto.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int all_strings(const cJSON *o, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, keys[i])))
			return 0;
	return 1;
}

static int string_array(const cJSON *a)
{
	const cJSON *e;

	if (!cJSON_IsArray(a))
		return 0;
	cJSON_ArrayForEach (e, a)
		if (!cJSON_IsString(e))
			return 0;
	return 1;
}

/* The shape deps/buildinfo.sh writes; anything else is refused rather than half reported. */
static int buildinfo_valid(const cJSON *bi)
{
	static const char *const top[] = {"ibpack", "target", "linkage"};
	static const char *const dep[] = {"name",           "source_package",   "version",
					  "epoch",          "upstream_version", "debian_revision",
					  "source_tarball", "source_sha256"};
	const cJSON *deps = cJSON_GetObjectItemCaseSensitive(bi, "dependencies"), *d;

	if (!cJSON_IsObject(bi) || !all_strings(bi, top, IB_ARRAY_LEN(top)) || !cJSON_IsArray(deps))
		return 0;
	cJSON_ArrayForEach (d, deps)
		if (!cJSON_IsObject(d) || !all_strings(d, dep, IB_ARRAY_LEN(dep)) ||
		    !string_array(cJSON_GetObjectItemCaseSensitive(d, "uses")) ||
		    !string_array(cJSON_GetObjectItemCaseSensitive(d, "patches")))
			return 0;
	return 1;
}

int sbom_buildinfo_find(const uint8_t *stub, size_t len, cJSON **out)
{
	const size_t mlen = sizeof(SBOM_BUILDINFO_MAGIC) - 1;
	const uint8_t *at = memmem(stub, len, SBOM_BUILDINFO_MAGIC, mlen), *json, *nul;
	size_t left;

	*out = NULL;
	if (!at)
		return 0;
	json = at + mlen;
	left = len - (size_t)(json - stub);
	if (memmem(json, left, SBOM_BUILDINFO_MAGIC, mlen))
		return ib_fail(IB_E_FORMAT, "stub: its build info appears twice");
	nul = memchr(json, '\0', left < SBOM_BUILDINFO_MAX ? left : SBOM_BUILDINFO_MAX);
	if (!nul)
		return ib_fail(IB_E_FORMAT, "stub: its build info does not end");
	*out = cJSON_ParseWithLength((const char *)json, (size_t)(nul - json));
	if (!*out || !buildinfo_valid(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return ib_fail(IB_E_FORMAT, "stub: its build info is malformed");
	}
	return 0;
}

/* SOURCE_DATE_EPOCH when set (as for the bundle itself), else the signed creation time. */
static void pick_timestamp(struct sbom_input *in)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;

	if (sde && *sde && ib_parse_u64(sde, INT64_MAX, &v) == 0)
		ib_format_utc((int64_t)v, in->timestamp, sizeof(in->timestamp));
	else
		memcpy(in->timestamp, in->m->created, sizeof(in->timestamp));
}

int sbom_input_init(struct sbom_input *in, const struct ib_manifest *m, const void *manifest, size_t manifest_len,
		    const uint8_t *stub, size_t stub_len)
{
	memset(in, 0, sizeof(*in));
	in->m = m;
	ib_sha256(manifest, manifest_len, in->manifest_sha256);
	pick_timestamp(in);
	return sbom_buildinfo_find(stub, stub_len, &in->buildinfo);
}

int sbom_input_from_bundle(struct sbom_input *in, struct ib_bundle *b)
{
	uint8_t *stub, digest[IB_SHA256_LEN];
	size_t len = (size_t)b->m.stub_size;
	int rc;

	memset(in, 0, sizeof(*in));
	if (!b->authenticated)
		return ib_fail(IB_E_UNTRUSTED, "refusing to describe an unauthenticated bundle");
	if (b->m.stub_size > SIZE_MAX || !(stub = malloc(len ? len : 1)))
		return -ENOMEM;
	/* One read: the bytes the build info comes from are the bytes whose hash is checked. */
	rc = ib_file_pread(&b->file, stub, len, 0);
	if (!rc) {
		ib_stub_hash_mem(stub, len, digest);
		if (memcmp(digest, b->m.stub_sha256, IB_SHA256_LEN))
			rc = ib_fail(IB_E_INTEGRITY, "stub: SHA-256 does not match the signed manifest");
	}
	if (!rc)
		rc = sbom_input_init(in, &b->m, b->manifest_raw, b->manifest_len, stub, len);
	free(stub);
	/* The file hashes the document lists are signed; this proves they are the payload's. */
	for (size_t i = 0; !rc && i < b->m.npkgs; i++)
		if (b->m.pkgs[i].has_files)
			rc = ib_check_package_files(b, &b->m.pkgs[i]);
	if (rc)
		sbom_input_release(in);
	return rc;
}

void sbom_input_release(struct sbom_input *in)
{
	cJSON_Delete(in->buildinfo);
	in->buildinfo = NULL;
}
