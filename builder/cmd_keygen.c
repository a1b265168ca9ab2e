/* ibpack keygen: a new signing key pair. */
#include "cli.h"
#include "opts.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"
#include "../signing/crypto.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const char help[] = "usage: ibpack keygen -o NAME [--alg ed25519|ecdsa-p256|rsa-pss-3072] [--json]\n"
			   "Writes NAME.key (private, mode 0600, never overwritten) and NAME.pub (PEM) and prints the\n"
			   "key id: the SHA-256 of the public key's SubjectPublicKeyInfo DER.\n";

int cmd_keygen(int argc, char **argv)
{
	enum { O_OUT = 'o', O_ALG = 0x200, O_JSON };
	static const struct cli_opt opts[] = {
		{"output", 'o', "NAME", O_OUT, "write NAME.key and NAME.pub"},
		{"alg", 0, "ALG", O_ALG, "ed25519 (default), ecdsa-p256 or rsa-pss-3072"},
		{"json", 0, NULL, O_JSON, "print JSON"},
		{NULL, 0, NULL, 0, NULL},
	};
	struct cli_args args;
	const char *name = NULL;
	int alg = IB_ALG_ED25519, json = 0, c, rc;
	char keyp[IB_PATH_MAX], pubp[IB_PATH_MAX], hex[2 * IB_KEYID_LEN + 1];
	struct ib_privkey *k = NULL;
	struct ib_pubkey *pub = NULL;

	cli_args_init(&args, "keygen", opts, argc, argv);
	while ((c = cli_next(&args)) > 0) {
		switch (c) {
		case O_OUT: name = args.value; break;
		case O_ALG:
			alg = ib_alg_from_name(args.value);
			if (alg < 0)
				return cli_usage("keygen: unknown algorithm '%s' (ed25519, ecdsa-p256, rsa-pss-3072)",
						 args.value);
			break;
		case O_JSON: json = 1; break;
		}
	}
	if ((rc = cli_args_done(&args, c, help, opts, 0, 0, "")) != CLI_GO_ON)
		return rc;
	if (!name)
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
