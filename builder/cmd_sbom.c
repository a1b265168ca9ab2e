/* ibpack sbom: the CycloneDX bill of materials of a verified bundle, and writing one to a file. */
#include "cli.h"
#include "opts.h"
#include "outguard.h"
#include "sbom.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: ibpack sbom BUNDLE [-o FILE] [--format cyclonedx] [--trust KEY.pub]... [--trust-ca CA.pem]...\n"
	"                          [--threshold N]\n"
	"Writes the bundle's bill of materials, CycloneDX 1.5 JSON, to FILE or stdout: the bundle, one\n"
	"component per package (its blob's and every file's SHA-256, its match rules), the stub with\n"
	"the libraries it is built from (purls, source hashes, applied Debian patches) and the\n"
	"dependency graph. Only a valid bundle is described: the signatures (the trust embedded in the\n"
	"stub, or --trust, --trust-ca and --threshold as for verify), the stub hash and every chunk are\n"
	"checked first, and every package is unpacked, writing nothing, to check its files against\n"
	"the signed list (exit 2 otherwise).\n"
	"The timestamp is SOURCE_DATE_EPOCH or the bundle's creation time: the same bundle always gives\n"
	"the same document. Check a document against a bundle with 'ibpack verify BUNDLE --sbom FILE'.\n";

/* The trust anchors, as for ibpack verify. */
struct anchors {
	const char *pubs[32], *cas[IB_CAS_MAX];
	size_t npubs, ncas;
	uint32_t threshold;
};

static int sbom(const char *path, const char *out, const struct anchors *an)
{
	struct sbom_input in;
	struct ib_bundle b;
	char *text = NULL;
	size_t len = 0;
	int rc = cli_open_bundle_anchored(path, an->pubs, an->npubs, an->cas, an->ncas, an->threshold, &b);

	if (rc)
		return rc;
	rc = ib_bundle_check_all(&b);
	if (rc)
		rc = ib_fail_ctx(rc, "'%s': ", path);
	else
		rc = sbom_input_from_bundle(&in, &b);
	if (!rc) {
		rc = sbom_render(&in, &text, &len);
		sbom_input_release(&in);
	}
	ib_bundle_close(&b);
	if (!rc && out)
		rc = ib_atomic_write_file(out, 0644, text, len);
	else if (!rc && (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0))
		rc = ib_fail(-EIO, "writing the bill of materials to stdout failed");
	free(text);
	return rc;
}

int cmd_sbom(int argc, char **argv)
{
	enum { O_OUT = 'o', O_FORMAT = 0x200, O_TRUST, O_CA, O_THRESHOLD };
	static const struct cli_opt opts[] = {
		{"output", 'o', "FILE", O_OUT, "write the document here (default and -: standard output)"},
		{"format", 0, "F", O_FORMAT, "cyclonedx (the only one: SPDX needs per-file SHA-1s)"},
		CLI_TRUST_OPTS(O_TRUST, "trust this public key instead of the stub's (repeatable)"){
			"trust-ca", 0, "CA.pem", O_CA, "trust CMS signatures chained to this CA (repeatable)"},
		{"threshold", 0, "N", O_THRESHOLD, "with --trust or --trust-ca: signatures needed (default 1)"},
		{NULL, 0, NULL, 0, NULL},
	};
	struct anchors an = {0};
	struct cli_args a;
	const char *out = NULL;
	long n;
	int c, rc;

	cli_args_init(&a, "sbom", opts, argc, argv);
	while ((c = cli_next(&a)) > 0) {
		switch (c) {
		case O_OUT: out = a.value; break;
		case O_TRUST:
			if (an.npubs == IB_ARRAY_LEN(an.pubs))
				return cli_usage("sbom: at most %zu keys", IB_ARRAY_LEN(an.pubs));
			an.pubs[an.npubs++] = a.value;
			break;
		case O_CA:
			if (an.ncas == IB_CAS_MAX)
				return cli_usage("sbom: at most %d --trust-ca", IB_CAS_MAX);
			an.cas[an.ncas++] = a.value;
			break;
		case O_THRESHOLD:
			if (ib_parse_int(a.value, 1, IB_SIG_COUNT_MAX, &n))
				return cli_usage("sbom: --threshold takes 1 to %d", IB_SIG_COUNT_MAX);
			an.threshold = (uint32_t)n;
			break;
		case O_FORMAT:
			/* SPDX 2.3 requires a SHA-1 of every file, which the signed manifest does not hold. */
			if (strcmp(a.value, "cyclonedx"))
				return cli_usage("sbom: --format takes cyclonedx (SPDX needs per-file SHA-1s, "
						 "which the manifest does not sign)");
			break;
		}
	}
	if ((rc = cli_args_done(&a, c, help, opts, 1, 1, "BUNDLE")) != CLI_GO_ON)
		return rc;
	if (an.threshold && !an.npubs && !an.ncas)
		return cli_usage("sbom: --threshold goes with --trust or --trust-ca (the stub's own threshold "
				 "applies otherwise)");
	if (cli_out_is_stdout(out))
		out = NULL;
	if (out && (rc = cli_out_check(out, (const char *const *)&a.pos[0], 1)))
		return cli_fail(rc);
	c = sbom(a.pos[0], out, &an);
	return c ? cli_fail(c) : CLI_OK;
}
