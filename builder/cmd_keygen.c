/* ibpack keygen: a new signing key pair. */
#include "cli.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"
#include "../signing/crypto.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
	"usage: ibpack keygen -o NAME [--alg ed25519|ecdsa-p256|rsa-pss-3072] [--json]\n"
	"Writes NAME.key (private, mode 0600, never overwritten) and NAME.pub (PEM) and prints the\n"
	"key id: the SHA-256 of the public key's SubjectPublicKeyInfo DER.\n";

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "alg", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },        { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL;
	int alg = IB_ALG_ED25519, json = 0, c, rc;
	char keyp[IB_PATH_MAX], pubp[IB_PATH_MAX], hex[2 * IB_KEYID_LEN + 1];
	struct ib_privkey *k = NULL;
	struct ib_pubkey *pub = NULL;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': name = optarg; break;
		case 'a':
			alg = ib_alg_from_name(optarg);
			if (alg < 0)
				return cli_usage("unknown algorithm '%s'", optarg);
			break;
		case 'j': json = 1; break;
		case 'h': fputs(help, stdout); return CLI_OK;
		default: return cli_usage("keygen: bad option");
		}
	}
	if (!name || optind != argc)
		return cli_usage("keygen: -o NAME is required");
	if (ib_snprintf(keyp, sizeof(keyp), "%s.key", name) || ib_snprintf(pubp, sizeof(pubp), "%s.pub", name))
		return cli_usage("keygen: name too long");
	rc = ib_keygen(alg, &k);
	if (!rc)
		rc = ib_privkey_save(k, keyp, pubp);
	if (!rc)
		rc = ib_privkey_public(k, &pub);
	if (!rc) {
		ib_hex_encode(ib_pubkey_id(pub), IB_KEYID_LEN, hex);
		if (json) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "private_key", keyp);
			cJSON_AddStringToObject(o, "public_key", pubp);
			cJSON_AddStringToObject(o, "algorithm", ib_alg_name(alg));
			cJSON_AddStringToObject(o, "key_id", hex);
			cli_print_json(o);
		} else
			printf("wrote %s and %s\n%s key id %s\n", keyp, pubp, ib_alg_name(alg), hex);
	}
	ib_pubkey_free(pub);
	ib_privkey_free(k);
	return rc ? cli_fail(rc) : CLI_OK;
}
