/* ibpack sbom: the CycloneDX bill of materials of a verified bundle, and writing one to a file. */
#include "cli.h"
#include "sbom.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: ibpack sbom BUNDLE [-o FILE] [--format cyclonedx] [-p KEY.pub]...\n"
	"Writes the bundle's bill of materials, CycloneDX 1.5 JSON, to FILE or stdout: the bundle, one\n"
	"component per package (its blob's and every file's SHA-256, its match rules), the stub with\n"
	"the libraries it is built from (purls, source hashes, applied Debian patches) and the\n"
	"dependency graph. Only a valid bundle is described: the signatures (trusted keys embedded in\n"
	"the stub, or -p), the stub hash and every chunk are checked first, and every package is\n"
	"unpacked, writing nothing, to check its files against the signed list (exit 2 otherwise).\n"
	"The timestamp is SOURCE_DATE_EPOCH or the bundle's creation time: the same bundle always gives\n"
	"the same document. Check a document against a bundle with 'ibpack verify BUNDLE --sbom FILE'.\n";

static int sbom(const char *path, const char *out, char **pubs, size_t npubs)
{
	struct sbom_input in;
	struct ib_bundle b;
	char *text = NULL;
	size_t len = 0;
	int rc = cli_open_bundle(path, pubs, npubs, &b);

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
	enum { O_FORMAT = 0x200 };
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, O_FORMAT},
		{"pubkey", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	char *pubs[32];
	size_t npubs = 0;
	int c;

	while ((c = getopt_long(argc, argv, "o:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'p':
			if (npubs == IB_ARRAY_LEN(pubs))
				return cli_usage("sbom: at most %zu keys", IB_ARRAY_LEN(pubs));
			pubs[npubs++] = optarg;
			break;
		case O_FORMAT:
			/* SPDX 2.3 requires a SHA-1 of every file, which the signed manifest does not hold. */
			if (strcmp(optarg, "cyclonedx"))
				return cli_usage("sbom: --format takes cyclonedx (SPDX needs per-file SHA-1s, "
						 "which the manifest does not sign)");
			break;
		case 'h': fputs(help, stdout); return CLI_OK;
		default: return cli_usage("sbom: bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("sbom: exactly one BUNDLE is needed");
	c = sbom(argv[optind], out, pubs, npubs);
	return c ? cli_fail(c) : CLI_OK;
}
