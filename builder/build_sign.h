/* ibpack build's signing options: threshold, revocations, CAs, unsigned bundles and CMS signing. */
#ifndef IBPACK_BUILD_SIGN_H
#define IBPACK_BUILD_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "../format/format.h"
#include "../signing/crypto.h"

#define BUILD_SIGN_REVOKES_MAX 32
#define BUILD_SIGN_CHAIN_MAX   8

struct cJSON;

struct build_sign {
	const char *revokes[BUILD_SIGN_REVOKES_MAX];
	size_t nrevokes;
	const char *cas[IB_CAS_MAX];
	size_t ncas;
	const char *cms_cert, *cms_key;
	const char *cms_passin; /* --cms-passin: the passphrase source of --cms-key */
	int strict_keys;        /* --strict-keys: a --cms-key readable by others is refused */
	char *cms_chain[BUILD_SIGN_CHAIN_MAX];
	size_t ncms_chain;
	uint32_t threshold; /* 0: not given (1) */
	int unsigned_bundle;
	int cms_signed;         /* set by build_sign_cms */
	struct ib_cms_info cms; /* the CMS signer, once signed */
};

/* Option ids of the options below (above any character option). */
enum {
	BUILD_OPT_THRESHOLD = 0x200,
	BUILD_OPT_REVOKE,
	BUILD_OPT_TRUST_CA,
	BUILD_OPT_UNSIGNED,
	BUILD_OPT_CMS_CERT,
	BUILD_OPT_CMS_KEY,
	BUILD_OPT_CMS_CHAIN,
	BUILD_OPT_CMS_PASSIN,
};
/* Rows of ibpack build's option table (builder/opts.h). */
#define BUILD_SIGN_OPTS                                                                           \
	{"threshold", 0, "N", BUILD_OPT_THRESHOLD,                                                \
	 "the stub needs signatures by N distinct trusted keys (default 1)"},                     \
		{"revoke", 0, "KEY.pub", BUILD_OPT_REVOKE,                                        \
		 "embed this key as revoked: its signatures never count (repeatable)"},           \
		{"trust-ca", 0, "CA.pem", BUILD_OPT_TRUST_CA,                                     \
		 "trust CMS signatures whose chain ends at this CA (repeatable)"},                \
		{"unsigned", 0, NULL, BUILD_OPT_UNSIGNED,                                         \
		 "no signature: sign 'ibpack manifest' elsewhere, add it with attach-signature"}, \
		{"cms-cert", 0, "CERT.pem", BUILD_OPT_CMS_CERT,                                   \
		 "also sign as CMS with this X.509 certificate (with --cms-key)"},                \
		{"cms-key", 0, "KEY.pem", BUILD_OPT_CMS_KEY, "the private key of --cms-cert"},    \
		{"cms-passin", 0, "SRC", BUILD_OPT_CMS_PASSIN,                                    \
		 "passphrase of an encrypted --cms-key: env:VAR, file:PATH or fd:N"},             \
		{"cms-chain", 0, "CHAIN.pem", BUILD_OPT_CMS_CHAIN,                                \
		 "intermediate certificates sent with the CMS signature"},

/* Takes option c with its argument: 0, 1 when c is not one of these, or CLI_USAGE (printed). */
int build_sign_option(struct build_sign *s, int c, const char *arg);
/* Checks how the options combine with nkeys -k keys and ntrusts --trust keys: 0 or CLI_USAGE. */
int build_sign_validate(const struct build_sign *s, size_t nkeys, size_t ntrusts);
/* Completes t (the -k and --trust keys) with the CAs, revoked key ids and threshold, refusing a
 * key that is both revoked and trusted and a threshold the keys cannot meet. */
int build_sign_trust(const struct build_sign *s, struct ib_trust *t, struct ib_privkey **priv, size_t npriv);
/* Adds the CMS signature over the manifest to sb when --cms-cert was given. */
int build_sign_cms(struct build_sign *s, const uint8_t *manifest, size_t len, struct ib_sigblock *sb);
/* Checks the finished signature block against the trust area written into the stub image: a
 * signed build must verify with the stub it ships in. Unsigned builds are only decoded. */
int build_sign_check(const struct build_sign *s, const uint8_t *stub, size_t stub_len, const uint8_t *block,
		     size_t block_len, const uint8_t *manifest, size_t len);
/* Summary additions: human lines on stdout, or members of the JSON summary. */
void build_sign_print(const struct build_sign *s);
void build_sign_json(const struct build_sign *s, struct cJSON *o);

#endif
