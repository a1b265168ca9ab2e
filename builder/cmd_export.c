/* ibpack manifest / signature: export the exact signed bytes and a raw signature for OpenSSL. */
#include "cli.h"
#include "opts.h"
#include "outguard.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Writes data to path (replaced atomically), or to standard output for "-"; never onto the
 * bundle it came from. */
static int write_file(const char *path, const char *bundle, const void *data, size_t len)
{
	int rc;

	if (cli_out_is_stdout(path)) {
		rc = ib_write_all(STDOUT_FILENO, data, len);
		return rc ? ib_fail(rc, "writing to standard output: %s", strerror(-rc)) : 0;
	}
	if ((rc = cli_out_check(path, &bundle, 1)))
		return rc;
	return ib_atomic_write_file(path, 0644, data, len);
}

/* Both exports read only the fixed structures: they work on bundles whose signature fails too,
 * which is when a security team wants to look at them. */
enum { O_OUT = 'o', O_KEYID = 0x200, O_CMS };

static const struct cli_opt manifest_opts[] = {
	{"output", 'o', "FILE", O_OUT, "where to write (- for standard output)"},
	{NULL, 0, NULL, 0, NULL},
};

static const struct cli_opt signature_opts[] = {
	{"output", 'o', "FILE", O_OUT, "where to write (- for standard output)"},
	{"key-id", 0, "ID", O_KEYID, "the signature whose key id starts with ID (8+ hex digits)"},
	{"cms", 0, NULL, O_CMS, "the first CMS signature (DER)"},
	{NULL, 0, NULL, 0, NULL},
};

/* Returns 0 with the bundle in *bundle, -1 after printing the help, or CLI_USAGE. */
static int parse(int argc, char **argv, const char *help, const struct cli_opt *opts, const char **bundle,
		 const char **out, const char **keyid, int *cms)
{
	struct cli_args args;
	int c;

	cli_args_init(&args, argv[0], opts, argc, argv);
	while ((c = cli_next(&args)) > 0) {
		switch (c) {
		case O_OUT: *out = args.value; break;
		case O_KEYID: *keyid = args.value; break;
		case O_CMS: *cms = 1; break;
		}
	}
	if ((c = cli_args_done(&args, c, help, opts, 1, 1, "BUNDLE")) != CLI_GO_ON)
		return c == CLI_OK ? -1 : c;
	if (!*out)
		return cli_usage("%s: -o FILE is required (- for standard output)", argv[0]);
	*bundle = args.pos[0];
	return 0;
}

int cmd_manifest(int argc, char **argv)
{
	static const char help[] = "usage: ibpack manifest BUNDLE -o FILE\n"
				   "Writes the exact manifest bytes the signatures cover (-o -: to standard output).\n";
	const char *out = NULL, *bundle = NULL, *unused = NULL;
	struct ib_bundle b;
	int cms = 0, rc = parse(argc, argv, help, manifest_opts, &bundle, &out, &unused, &cms);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	rc = ib_bundle_open(&b, bundle);
	if (rc)
		return cli_fail(rc);
	rc = write_file(out, bundle, b.manifest_raw, b.manifest_len);
	ib_bundle_close(&b);
	return rc ? cli_fail(rc) : CLI_OK;
}

int cmd_signature(int argc, char **argv)
{
	static const char help[] =
		"usage: ibpack signature BUNDLE -o FILE [--key-id ID | --cms]\n"
		"Writes one raw signature (the first, the one whose key id starts with ID, or with --cms the\n"
		"first CMS signature, DER). Check it with\n"
		"  openssl pkeyutl -verify -pubin -inkey KEY.pub -rawin -in MANIFEST -sigfile FILE   (Ed25519)\n"
		"  openssl dgst -sha256 -verify KEY.pub -signature FILE MANIFEST                     (ECDSA)\n"
		"  openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \\\n"
		"      -verify KEY.pub -signature FILE MANIFEST                                      (RSA-PSS)\n"
		"  openssl cms -verify -binary -inform DER -in FILE -content MANIFEST -CAfile ROOT.pem \\\n"
		"      -purpose any -out /dev/null                                                   (CMS)\n";
	const char *out = NULL, *keyid = NULL, *bundle = NULL;
	const struct ib_signature *s = NULL;
	char hex[2 * IB_KEYID_LEN + 1];
	struct ib_bundle b;
	int cms = 0, rc = parse(argc, argv, help, signature_opts, &bundle, &out, &keyid, &cms);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	rc = ib_bundle_open(&b, bundle);
	if (rc)
		return cli_fail(rc);
	for (size_t i = 0; i < b.sigs.count && !s; i++) {
		ib_hex_encode(b.sigs.sigs[i].keyid, IB_KEYID_LEN, hex);
		if (cms && b.sigs.sigs[i].alg != IB_ALG_CMS)
			continue;
		if (!keyid || (strlen(keyid) >= 8 && !strncmp(hex, keyid, strlen(keyid))))
			s = &b.sigs.sigs[i];
	}
	if (!s && !b.sigs.count)
		rc = ib_fail(IB_E_NOTFOUND, "'%s' is unsigned: it carries no signature yet", bundle);
	else if (!s && cms)
		rc = ib_fail(IB_E_NOTFOUND, "'%s' carries no CMS signature%s%s", bundle,
			     keyid ? " by a key id starting with " : "", keyid ? keyid : "");
	else if (!s)
		rc = ib_fail(IB_E_NOTFOUND, "no signature by a key id starting with '%s' (ids need 8+ hex digits)",
			     keyid ? keyid : "");
	else
		rc = write_file(out, bundle, s->sig, s->len);
	ib_bundle_close(&b);
	return rc ? cli_fail(rc) : CLI_OK;
}
