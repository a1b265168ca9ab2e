/* ibpack build's signing options: threshold, revocations, CAs, unsigned bundles and CMS signing. */
#include "build_sign.h"
#include "cli.h"
#include "keys.h"

#include "../base/err.h"
#include "../base/util.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int build_sign_option(struct build_sign *s, int c, const char *arg)
{
	long n;

	switch (c) {
	case BUILD_OPT_THRESHOLD:
		if (ib_parse_int(arg, 1, IB_SIG_COUNT_MAX, &n))
			return cli_usage("build: --threshold takes 1 to %d", IB_SIG_COUNT_MAX);
		s->threshold = (uint32_t)n;
		return 0;
	case BUILD_OPT_REVOKE:
		if (s->nrevokes == BUILD_SIGN_REVOKES_MAX)
			return cli_usage("build: at most %d --revoke keys", BUILD_SIGN_REVOKES_MAX);
		s->revokes[s->nrevokes++] = arg;
		return 0;
	case BUILD_OPT_TRUST_CA:
		if (s->ncas == IB_CAS_MAX)
			return cli_usage("build: at most %d --trust-ca certificates", IB_CAS_MAX);
		s->cas[s->ncas++] = arg;
		return 0;
	case BUILD_OPT_UNSIGNED: s->unsigned_bundle = 1; return 0;
	case BUILD_OPT_CMS_CERT: s->cms_cert = arg; return 0;
	case BUILD_OPT_CMS_KEY: s->cms_key = arg; return 0;
	case BUILD_OPT_CMS_PASSIN:
		if (cli_passin_check("--cms-passin", arg))
			return cli_fail(IB_E_USAGE);
		s->cms_passin = arg;
		return 0;
	case BUILD_OPT_CMS_CHAIN:
		if (s->ncms_chain == BUILD_SIGN_CHAIN_MAX)
			return cli_usage("build: at most %d --cms-chain files", BUILD_SIGN_CHAIN_MAX);
		s->cms_chain[s->ncms_chain++] = (char *)arg;
		return 0;
	default: return 1;
	}
}

int build_sign_validate(const struct build_sign *s, size_t nkeys, size_t ntrusts)
{
	if (!s->cms_cert != !s->cms_key)
		return cli_usage("build: --cms-cert and --cms-key go together");
	if (s->cms_passin && !s->cms_key)
		return cli_usage("build: --cms-passin goes with --cms-key");
	if (s->ncms_chain && !s->cms_cert)
		return cli_usage("build: --cms-chain needs --cms-cert and --cms-key");
	if (s->cms_cert && !s->ncas)
		return cli_usage("build: --cms-cert needs --trust-ca ROOT.pem: the stub checks the chain "
				 "against the CAs embedded in it");
	if (s->unsigned_bundle) {
		if (nkeys || s->cms_cert)
			return cli_usage("build: --unsigned writes no signature: drop -k and --cms-cert, and "
					 "name the keys the stub will trust with --trust KEY.pub or --trust-ca CA.pem");
		if (!ntrusts && !s->ncas)
			return cli_usage("build: --unsigned needs --trust KEY.pub or --trust-ca CA.pem: otherwise "
					 "the stub trusts nobody and no attached signature could ever count");
		return 0;
	}
	if (!nkeys && !s->cms_cert)
		return cli_usage("build: -k KEY is required (create one with 'ibpack keygen -o NAME'), or "
				 "--cms-cert/--cms-key, or --unsigned to sign elsewhere");
	return 0;
}

static int contains(const uint8_t (*ids)[IB_KEYID_LEN], size_t n, const uint8_t *id)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(ids[i], id, IB_KEYID_LEN))
			return 1;
	return 0;
}

/* Distinct key ids of the signing keys, for the threshold and revocation checks. */
static int signing_ids(struct ib_privkey **priv, size_t npriv, uint8_t (*ids)[IB_KEYID_LEN], size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < npriv; i++) {
		struct ib_pubkey *k;
		int rc = ib_privkey_public(priv[i], &k);

		if (rc)
			return rc;
		if (!contains((const uint8_t(*)[IB_KEYID_LEN])ids, *n, ib_pubkey_id(k)))
			memcpy(ids[(*n)++], ib_pubkey_id(k), IB_KEYID_LEN);
		ib_pubkey_free(k);
	}
	return 0;
}

static int add_revoked(const struct build_sign *s, struct ib_trust *t, const uint8_t (*sid)[IB_KEYID_LEN], size_t nsid)
{
	char hex[2 * IB_KEYID_LEN + 1];

	for (size_t i = 0; i < s->nrevokes; i++) {
		struct ib_pubkey *k;
		int rc = ib_pubkey_load(s->revokes[i], &k);

		if (rc)
			return ib_fail_ctx(rc, "--revoke: ");
		ib_hex_encode(ib_pubkey_id(k), IB_KEYID_LEN, hex);
		/* A revoked key's signature never counts, so signing with it or trusting it in the same
		 * build is a contradiction, almost always a rotation step done in the wrong order. */
		if (contains(sid, nsid, ib_pubkey_id(k)))
			rc = ib_fail(IB_E_USAGE,
				     "key %.16s ('%s') is revoked with --revoke and also signs with -k: "
				     "a revoked key's signature never counts; sign with the new key only",
				     hex, s->revokes[i]);
		for (size_t j = 0; !rc && j < t->nkeys; j++)
			if (!memcmp(ib_pubkey_id(t->keys[j]), ib_pubkey_id(k), IB_KEYID_LEN))
				rc = ib_fail(IB_E_USAGE,
					     "key %.16s ('%s') is both revoked (--revoke) and trusted "
					     "(--trust)",
					     hex, s->revokes[i]);
		if (!rc && !ib_trust_is_revoked(t, ib_pubkey_id(k))) {
			if (t->nrevoked == IB_ARRAY_LEN(t->revoked))
				rc = ib_fail(IB_E_LIMIT, "at most %zu revoked keys", IB_ARRAY_LEN(t->revoked));
			else
				memcpy(t->revoked[t->nrevoked++], ib_pubkey_id(k), IB_KEYID_LEN);
		}
		ib_pubkey_free(k);
		if (rc)
			return rc;
	}
	return 0;
}

int build_sign_trust(const struct build_sign *s, struct ib_trust *t, struct ib_privkey **priv, size_t npriv)
{
	uint8_t sid[IB_SIG_COUNT_MAX][IB_KEYID_LEN];
	size_t nsid, signers;
	int rc;

	if (npriv > IB_SIG_COUNT_MAX)
		return ib_fail(IB_E_USAGE, "at most %d signing keys", IB_SIG_COUNT_MAX);
	if ((rc = signing_ids(priv, npriv, sid, &nsid)))
		return rc;
	for (size_t i = 0; i < s->ncas; i++) {
		struct ib_cert *c;

		if ((rc = ib_cert_load(s->cas[i], &c)) || (rc = ib_trust_add_ca(t, c)))
			return ib_fail_ctx(rc, "--trust-ca: ");
	}
	if ((rc = add_revoked(s, t, (const uint8_t(*)[IB_KEYID_LEN])sid, nsid)))
		return rc;
	t->threshold = s->threshold ? s->threshold : 1;
	/* Keys the stub trusts bound the threshold; a CA can vouch for any number of leaf keys. */
	if (!t->ncas && t->threshold > t->nkeys)
		return ib_fail(IB_E_USAGE,
			       "--threshold %u cannot be met: the stub would trust only %zu key%s "
			       "(the -k keys and --trust keys)",
			       (unsigned)t->threshold, t->nkeys, t->nkeys == 1 ? "" : "s");
	signers = nsid + (s->cms_cert ? 1 : 0);
	if (!s->unsigned_bundle && t->threshold > signers)
		return ib_fail(IB_E_USAGE,
			       "--threshold %u needs signatures by %u distinct keys, but this build "
			       "signs with %zu; add -k keys, or build --unsigned and add each signature with "
			       "'ibpack attach-signature'",
			       (unsigned)t->threshold, (unsigned)t->threshold, signers);
	return 0;
}

struct cms_job {
	const struct build_sign *s;
	const uint8_t *manifest;
	size_t len;
	uint8_t *der;
	size_t derlen;
};

static int cms_sign_with(const char *key, const char *pass, int tty, void *ctx)
{
	struct cms_job *j = ctx;

	return ib_cms_sign_pass(j->s->cms_cert, key, pass, tty, j->s->cms_chain, j->s->ncms_chain, j->manifest, j->len,
				&j->der, &j->derlen);
}

int build_sign_cms(struct build_sign *s, const uint8_t *manifest, size_t len, struct ib_sigblock *sb)
{
	struct cms_job j = {.s = s, .manifest = manifest, .len = len};
	uint8_t *der;
	size_t derlen;
	int rc;

	if (!s->cms_cert)
		return 0;
	/* The same passphrase sources and permission check as the -k keys (keys.c). */
	rc = cli_with_key(s->cms_key, s->cms_passin, s->strict_keys, cms_sign_with, &j);
	der = j.der;
	derlen = j.derlen;
	if (!rc)
		rc = ib_cms_inspect(der, derlen, &s->cms);
	if (!rc)
		rc = ib_sigblock_add(sb, IB_ALG_CMS, s->cms.keyid, der, derlen);
	free(der);
	if (rc)
		return ib_fail_ctx(rc, "CMS signature with '%s': ", s->cms_cert);
	s->cms_signed = 1;
	return 0;
}

int build_sign_check(const struct build_sign *s, const uint8_t *stub, size_t stub_len, const uint8_t *block,
		     size_t block_len, const uint8_t *manifest, size_t len)
{
	struct ib_sigblock sb = {0};
	struct ib_cms_info info;
	struct ib_trust t;
	int state[IB_SIG_COUNT_MAX];
	size_t off, valid;
	char why[1024];
	int rc;

	if ((rc = ib_sigblock_decode(block, block_len, &sb)))
		return rc;
	if (s->unsigned_bundle) {
		ib_sigblock_release(&sb);
		return 0;
	}
	rc = ib_trust_locate(stub, stub_len, &off);
	if (!rc)
		rc = ib_trust_decode(stub + off, IB_TRUST_AREA_SIZE, &t);
	if (rc) {
		ib_sigblock_release(&sb);
		return rc;
	}
	rc = ib_trust_evaluate(&t, &sb, manifest, len, state, &valid);
	/* Every signature made here must count, the CMS one included: say why it does not. */
	for (size_t i = 0; !rc && i < sb.count; i++)
		if (sb.sigs[i].alg == IB_ALG_CMS && state[i] != IB_SIG_COUNTED)
			rc = ib_cms_verify(sb.sigs[i].sig, sb.sigs[i].len, manifest, len, t.cas, t.ncas, &info);
	if (rc) {
		ib_trust_explain(&t, &sb, why, sizeof(why));
		rc = ib_fail_ctx(rc, "the bundle would not verify with its own stub (%s): ", why);
	}
	ib_trust_release(&t);
	ib_sigblock_release(&sb);
	return rc;
}

void build_sign_print(const struct build_sign *s)
{
	char hex[2 * IB_KEYID_LEN + 1];

	if (s->cms_signed) {
		ib_hex_encode(s->cms.keyid, IB_KEYID_LEN, hex);
		printf("  signed: cms (%s) key %s, certificate '%s' issued by '%s'\n", s->cms.key, hex, s->cms.subject,
		       s->cms.issuer);
	}
	if (s->unsigned_bundle)
		printf("  unsigned: export the bytes to sign with 'ibpack manifest', add each signature with "
		       "'ibpack attach-signature'\n");
	if (s->threshold > 1)
		printf("  threshold: %u signatures by distinct keys\n", (unsigned)s->threshold);
}

void build_sign_json(const struct build_sign *s, cJSON *o)
{
	char hex[2 * IB_KEYID_LEN + 1];
	cJSON *by = cJSON_GetObjectItemCaseSensitive(o, "signed_by");

	if (s->cms_signed) {
		ib_hex_encode(s->cms.keyid, IB_KEYID_LEN, hex);
		if (by)
			cJSON_AddItemToArray(by, cJSON_CreateString(hex));
		cJSON_AddStringToObject(o, "cms_signer", s->cms.subject);
	}
	cJSON_AddBoolToObject(o, "unsigned", s->unsigned_bundle);
	cJSON_AddNumberToObject(o, "threshold", s->threshold ? s->threshold : 1);
}
