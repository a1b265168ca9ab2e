/* ibpack verify: every byte of a bundle checked against its signed manifest. */
#include "cli.h"

#include "../format/err.h"
#include "../format/util.h"

#include <cjson/cJSON.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
	"usage: ibpack verify BUNDLE [-p KEY.pub]... [--json]\n"
	"Checks the footer, the signature over the manifest (against -p keys, else the keys embedded\n"
	"in the bundle's stub), the stub's SHA-256, every chunk of every package and the padding.\n"
	"Exit 0 when valid, 2 when not, saying which package or region failed.\n";

struct report {
	int ok;
	char failure[1024];
	cJSON *json;
};

static void failed(struct report *r, int rc)
{
	if (r->ok)
		snprintf(r->failure, sizeof(r->failure), "%s", ib_errmsg(rc));
	r->ok = 0;
}

static int check_padding(struct ib_bundle *b)
{
	uint64_t from = b->footer.sigblock_off + b->footer.sigblock_len, to = b->end - IB_FOOTER_SIZE;
	uint8_t pad[IB_BUNDLE_ALIGN];
	int rc;

	if (to == from)
		return 0;
	if ((rc = ib_file_pread(&b->file, pad, (size_t)(to - from), from)))
		return rc;
	for (uint64_t i = 0; i < to - from; i++)
		if (pad[i])
			return ib_fail(IB_E_INTEGRITY, "padding before the footer is not zero (byte %llu)",
				       (unsigned long long)(from + i));
	return 0;
}

static void check_target(struct ib_bundle *b, struct report *r)
{
	int pe = b->pe.is_pe;

	if (pe != (b->m.target == IB_TARGET_WINDOWS_X86_64))
		failed(r, ib_fail(IB_E_MISMATCH, "stub: a %s stub carries a %s manifest", pe ? "Windows" : "non-Windows",
				  ib_target_name(b->m.target)));
}

static void add_signers(struct ib_bundle *b, cJSON *o)
{
	cJSON *a = cJSON_AddArrayToObject(o, "signatures");
	char hex[2 * IB_KEYID_LEN + 1];

	for (size_t i = 0; i < b->sigs.count; i++) {
		cJSON *e = cJSON_CreateObject();

		ib_hex_encode(b->sigs.sigs[i].keyid, IB_KEYID_LEN, hex);
		cJSON_AddStringToObject(e, "algorithm", ib_alg_name(b->sigs.sigs[i].alg));
		cJSON_AddStringToObject(e, "key_id", hex);
		cJSON_AddItemToArray(a, e);
	}
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pubkey", required_argument, NULL, 'p' }, { "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },        { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report r = { .ok = 1 };
	struct ib_bundle b;
	struct cli cli = { 0 };
	char *pubs[32], hex[2 * IB_SHA256_LEN + 1];
	size_t npubs = 0;
	uint8_t stubhash[IB_SHA256_LEN];
	cJSON *pkgs = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "p:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (npubs == 32)
				return cli_usage("verify: at most 32 keys");
			pubs[npubs++] = optarg;
			break;
		case 'j': cli.json = 1; break;
		case 'q': cli.quiet = 1; break;
		case 'h': fputs(help, stdout); return CLI_OK;
		default: return cli_usage("verify: bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("verify: exactly one BUNDLE is needed");
	rc = cli_open_bundle(argv[optind], pubs, npubs, &b);
	if (rc) {
		if (cli.json) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "bundle", argv[optind]);
			cJSON_AddStringToObject(o, "verdict", "invalid");
			cJSON_AddStringToObject(o, "failure", ib_errmsg(rc));
			cli_print_json(o);
		}
		return cli_fail(rc);
	}
	r.json = cJSON_CreateObject();
	cJSON_AddStringToObject(r.json, "bundle", argv[optind]);
	cJSON_AddStringToObject(r.json, "name", b.m.name);
	cJSON_AddStringToObject(r.json, "version", b.m.version);
	cJSON_AddNumberToObject(r.json, "sequence", (double)b.m.sequence);
	cJSON_AddStringToObject(r.json, "target", ib_target_name(b.m.target));
	cJSON_AddStringToObject(r.json, "created", b.m.created);
	cJSON_AddNumberToObject(r.json, "size", (double)b.end);
	add_signers(&b, r.json);
	cJSON_AddNumberToObject(r.json, "valid_signatures", (double)b.valid_sigs);
	ib_hex_encode(b.m.stub_sha256, IB_SHA256_LEN, hex);
	cJSON_AddStringToObject(r.json, "stub_sha256", hex);

	check_target(&b, &r);
	rc = ib_bundle_stub_hash(&b, stubhash);
	if (!rc && memcmp(stubhash, b.m.stub_sha256, IB_SHA256_LEN) != 0)
		rc = ib_fail(IB_E_INTEGRITY, "stub: SHA-256 of the stub (bytes 0-%llu) does not match the manifest",
			     (unsigned long long)b.footer.stub_len - 1);
	if (rc)
		failed(&r, rc);
	pkgs = cJSON_AddArrayToObject(r.json, "packages");
	for (size_t i = 0; i < b.m.npkgs; i++) {
		const struct ib_package *p = &b.m.pkgs[i];
		cJSON *e = cJSON_CreateObject();
		long bad;

		rc = ib_bundle_check_package(&b, p, &bad);
		ib_hex_encode(p->sha256, IB_SHA256_LEN, hex);
		cJSON_AddStringToObject(e, "id", p->id);
		cJSON_AddStringToObject(e, "version", p->version);
		cJSON_AddStringToObject(e, "sha256", hex);
		cJSON_AddNumberToObject(e, "length", (double)p->length);
		cJSON_AddNumberToObject(e, "unpacked_size", (double)p->unpacked_size);
		cJSON_AddNumberToObject(e, "file_count", (double)p->file_count);
		cJSON_AddStringToObject(e, "compression", ib_compression_name(p->compression));
		cJSON_AddBoolToObject(e, "valid", rc == 0);
		if (rc)
			failed(&r, rc);
		cJSON_AddItemToArray(pkgs, e);
	}
	if ((rc = check_padding(&b)))
		failed(&r, rc);
	cJSON_AddStringToObject(r.json, "verdict", r.ok ? "valid" : "invalid");
	if (!r.ok)
		cJSON_AddStringToObject(r.json, "failure", r.failure);
	if (cli.json) {
		cli_print_json(r.json);
	} else {
		cJSON_Delete(r.json);
		if (r.ok && !cli.quiet) {
			ib_hex_encode(b.sigs.sigs[0].keyid, IB_KEYID_LEN, hex);
			printf("%s: valid: %s %s (sequence %llu, %s), %zu package%s, %zu trusted signature%s\n",
			       argv[optind], b.m.name, b.m.version, (unsigned long long)b.m.sequence,
			       ib_target_name(b.m.target), b.m.npkgs, b.m.npkgs == 1 ? "" : "s", b.valid_sigs,
			       b.valid_sigs == 1 ? "" : "s");
		}
	}
	if (!r.ok)
		fprintf(stderr, "ibpack: error: %s: invalid: %s\n", argv[optind], r.failure);
	ib_bundle_close(&b);
	return r.ok ? CLI_OK : CLI_INVALID;
}
