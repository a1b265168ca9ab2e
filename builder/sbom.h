/* Bills of materials (CycloneDX 1.5) derived from a bundle's signed manifest and the
 * build info embedded in its stub, and the check that a given CycloneDX document describes a
 * bundle exactly. */
#ifndef IBPACK_SBOM_H
#define IBPACK_SBOM_H

#include <stddef.h>
#include <stdint.h>

#include "../format/bundle.h"
#include "../format/manifest.h"

struct cJSON;

/* The stub's build info: "IBPACK-BUILDINFO-v1\n" then JSON and a NUL, written by
 * deps/buildinfo.sh (the same magic) into the stub's read-only data. */
#define SBOM_BUILDINFO_MAGIC "IBPACK-BUILDINFO-v1\n"
#define SBOM_BUILDINFO_MAX   (256u << 10)
#define SBOM_TEXT_MAX        (512u << 20) /* largest document verify --sbom reads */

/* Everything a bill of materials is made from: only signed or signature-covered data. */
struct sbom_input {
	const struct ib_manifest *m;
	uint8_t manifest_sha256[32];
	struct cJSON *buildinfo; /* from the stub (covered by the stub hash); NULL if it has none */
	char timestamp[24];      /* SOURCE_DATE_EPOCH, else the manifest's creation time */
};

/* Fills in from a parsed manifest, its exact bytes and the stub image they describe (the caller
 * has checked the stub against the manifest's stub hash). */
int sbom_input_init(struct sbom_input *in, const struct ib_manifest *m, const void *manifest, size_t manifest_len,
		    const uint8_t *stub, size_t stub_len);
/* The same for an authenticated bundle: reads its stub region once, checks it against the
 * signed stub hash (IB_E_INTEGRITY otherwise) and takes the build info from those bytes; then
 * unpacks every package with a file list, writing nothing, to check that its files are exactly
 * the listed ones with their SHA-256 (the checks extraction makes). */
int sbom_input_from_bundle(struct sbom_input *in, struct ib_bundle *b);
void sbom_input_release(struct sbom_input *in);

/* Finds the build info in a stub image: NULL when absent (a stub older than it), IB_E_FORMAT
 * when it is there but malformed or repeated. */
int sbom_buildinfo_find(const uint8_t *stub, size_t len, struct cJSON **out);

/* The document as text (malloc'd, ending in a newline): byte-identical for the same input. */
int sbom_render(const struct sbom_input *in, char **text, size_t *len);
/* The document as a tree (for the check below); NULL when out of memory. */
struct cJSON *sbom_cyclonedx(const struct sbom_input *in);

/* Compares a CycloneDX document (text) with the one this input gives: every component (by
 * bom-ref, nested ones included) with its type, name, version, purl, supplier, hashes and
 * properties, and no component more or less, and the same dependency graph. 0 when equal;
 * otherwise IB_E_MISMATCH naming the first differences (or saying it is no CycloneDX JSON). */
int sbom_check(const struct sbom_input *in, const char *text, size_t len);

#endif
