/* ibpack manifest / signature: export the exact signed bytes and a raw signature for OpenSSL. */
#include "cli.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Both exports read only the fixed structures: they work on bundles whose signature fails too,
 * which is when a security team wants to look at them. */
static int parse(int argc, char **argv, const char *help, const char **out, const char **keyid, int *cms)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "key-id", required_argument, NULL, 'i' },
		{ "cms", no_argument, NULL, 'c' },          { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': *out = optarg; break;
		case 'i':
			if (!keyid)
				return cli_usage("%s: no --key-id here", argv[0]);
			*keyid = optarg;
			break;
		case 'c':
			if (!cms)
				return cli_usage("%s: no --cms here", argv[0]);
			*cms = 1;
			break;
		case 'h': fputs(help, stdout); return -1;
		default: return cli_usage("%s: bad option", argv[0]);
		}
	}
	if (optind + 1 != argc || !*out)
		return cli_usage("%s: BUNDLE and -o FILE are needed", argv[0]);
	return 0;
}

int cmd_manifest(int argc, char **argv)
{
	static const char help[] =
		"usage: ibpack manifest BUNDLE -o FILE\n"
		"Writes the exact manifest bytes the signatures cover.\n";
	const char *out = NULL;
	struct ib_bundle b;
	int rc = parse(argc, argv, help, &out, NULL, NULL);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	rc = ib_bundle_open(&b, argv[optind]);
	if (rc)
		return cli_fail(rc);
	rc = ib_atomic_write_file(out, 0644, b.manifest_raw, b.manifest_len);
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
	const char *out = NULL, *keyid = NULL;
	const struct ib_signature *s = NULL;
	char hex[2 * IB_KEYID_LEN + 1];
	struct ib_bundle b;
	int cms = 0, rc = parse(argc, argv, help, &out, &keyid, &cms);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	rc = ib_bundle_open(&b, argv[optind]);
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
		rc = ib_fail(IB_E_NOTFOUND, "'%s' is unsigned: it carries no signature yet", argv[optind]);
	else if (!s && cms)
		rc = ib_fail(IB_E_NOTFOUND, "'%s' carries no CMS signature%s%s", argv[optind],
			     keyid ? " by a key id starting with " : "", keyid ? keyid : "");
	else if (!s)
		rc = ib_fail(IB_E_NOTFOUND, "no signature by a key id starting with '%s' (ids need 8+ hex digits)",
			     keyid ? keyid : "");
	else
		rc = ib_atomic_write_file(out, 0644, s->sig, s->len);
	ib_bundle_close(&b);
	return rc ? cli_fail(rc) : CLI_OK;
}
