/* The crypto interface: hashes, keys and signatures, naming no OpenSSL type. */
#ifndef IBPACK_CRYPTO_H
#define IBPACK_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define IB_SHA256_LEN 32
#define IB_KEYID_LEN  32
#define IB_SIG_MAX    16384 /* largest raw signature we accept (CMS with a chain) */

/* Algorithm tags as stored in the signature block and the trust area. */
enum ib_alg {
	IB_ALG_ED25519 = 1,
	IB_ALG_ECDSA_P256 = 2,     /* ECDSA over SHA-256, DER-encoded signature */
	IB_ALG_RSA_PSS_SHA256 = 3, /* RSA-PSS, MGF1-SHA-256, salt 32, modulus >= 3072 bits */
	IB_ALG_CMS = 4,            /* detached CMS SignedData (DER) with the signer's X.509 chain;
				    * the key id is that of the signer certificate's public key */
};

const char *ib_alg_name(int alg);       /* "ed25519", "ecdsa-p256", "rsa-pss-3072", "cms" */
int ib_alg_from_name(const char *name); /* tag, or IB_E_USAGE */

/* Must run before any other call and before threads start: fixes the SHA-256 implementation and
 * keeps OpenSSL from reading configuration files (the stub loads nothing from disk). */
int ib_crypto_init(void);

/* "OpenSSL 3.0.x ...": the crypto library linked in, for --version. */
const char *ib_crypto_version(void);

void ib_sha256(const void *data, size_t len, uint8_t out[IB_SHA256_LEN]);

struct ib_sha256_ctx;
int ib_sha256_new(struct ib_sha256_ctx **out);
void ib_sha256_update(struct ib_sha256_ctx *c, const void *data, size_t len);
void ib_sha256_final(struct ib_sha256_ctx *c, uint8_t out[IB_SHA256_LEN]);
/* Starts a new hash in an existing context. */
void ib_sha256_reset(struct ib_sha256_ctx *c);
void ib_sha256_free(struct ib_sha256_ctx *c);

struct ib_pubkey;
/* Parses a PEM public key (SubjectPublicKeyInfo) or DER SPKI; rejects unsupported algorithms. */
int ib_pubkey_from_pem(const char *pem, size_t len, struct ib_pubkey **out);
int ib_pubkey_from_der(const uint8_t *der, size_t len, struct ib_pubkey **out);
int ib_pubkey_load(const char *path, struct ib_pubkey **out);
int ib_pubkey_alg(const struct ib_pubkey *k);
/* Key id: SHA-256 of the SubjectPublicKeyInfo DER, as `openssl pkey -pubin -outform DER | sha256sum`. */
const uint8_t *ib_pubkey_id(const struct ib_pubkey *k);
void ib_pubkey_der(const struct ib_pubkey *k, const uint8_t **der, size_t *len);
/* PEM text of the key into buf (NUL-terminated); returns 0 or an error. */
int ib_pubkey_pem(const struct ib_pubkey *k, char *buf, size_t size);
void ib_pubkey_free(struct ib_pubkey *k);

/* 0 when sig is a valid signature of msg by k under alg; IB_E_SIGNATURE otherwise. */
int ib_verify(const struct ib_pubkey *k, int alg, const uint8_t *msg, size_t len, const uint8_t *sig, size_t siglen);

/* Signing side: not linked into the stub. */
struct ib_privkey;
int ib_keygen(int alg, struct ib_privkey **out);
int ib_privkey_load(const char *path, struct ib_privkey **out);
/* Loads a key that may be encrypted: with pass (NULL: none given), or by prompting on the
 * terminal when tty is set. Without either, an encrypted key is IB_E_KEY "is encrypted and no
 * passphrase source is given". */
int ib_privkey_load_pass(const char *path, const char *pass, int tty, struct ib_privkey **out);
/* Writes the private key (PKCS#8 PEM, created O_EXCL with mode 0600) and the public key (PEM). */
int ib_privkey_save(const struct ib_privkey *k, const char *key_path, const char *pub_path);
int ib_privkey_public(const struct ib_privkey *k, struct ib_pubkey **out);
int ib_privkey_alg(const struct ib_privkey *k);
/* Signs msg; *sig is malloc'd. */
int ib_sign(const struct ib_privkey *k, const uint8_t *msg, size_t len, uint8_t **sig, size_t *siglen);
void ib_privkey_free(struct ib_privkey *k);

/* ---- X.509 and CMS (signing/cms.c, linked into the stub; signing in cms_sign.c) ---- */
#define IB_CAS_MAX 8 /* trusted CA certificates per trust set */

struct ib_cert;
/* A trust anchor: a CA certificate (basicConstraints CA, or a v1 self-signed root). */
int ib_cert_from_der(const uint8_t *der, size_t len, struct ib_cert **out);
/* Loads a PEM (first certificate) or DER certificate file. */
int ib_cert_load(const char *path, struct ib_cert **out);
void ib_cert_der(const struct ib_cert *c, const uint8_t **der, size_t *len);
/* SHA-256 of the certificate DER, as `openssl x509 -noout -fingerprint -sha256`. */
const uint8_t *ib_cert_fingerprint(const struct ib_cert *c);
const char *ib_cert_subject(const struct ib_cert *c); /* RFC 2253, e.g. "CN=Root,O=Example" */
void ib_cert_free(struct ib_cert *c);

/* What a CMS signature says about its signer. */
struct ib_cms_info {
	uint8_t keyid[IB_KEYID_LEN]; /* SHA-256 of the signer certificate's SubjectPublicKeyInfo */
	char key[24];                /* "ecdsa-p256", "rsa-3072", ... */
	char subject[256], issuer[256];
	char not_after[24]; /* signer certificate, "YYYY-MM-DDTHH:MM:SSZ" */
	int chain_ok;       /* the chain ends at a trusted CA (ib_cms_verify only) */
	int expired;        /* some chain certificate is outside its validity now */
	char anchor[256];   /* subject of the trusted CA the chain ends at */
};
/* Reads the signer of a DER CMS signature without checking anything: for reports and exports. */
int ib_cms_inspect(const uint8_t *der, size_t len, struct ib_cms_info *info);
/* 1 when der is exactly one parseable PKCS#7 SignedData (an Authenticode signature's shape). */
int ib_pkcs7_is_signed_data(const uint8_t *der, size_t len);
/* Checks a detached CMS signature over msg: exactly one signer, SHA-2 digest, signer certificate
 * inside the CMS, signature valid (IB_E_SIGNATURE otherwise), and a chain from the signer to one
 * of cas (IB_E_UNTRUSTED otherwise). Validity periods are not enforced (offline machines have
 * unreliable clocks); info->expired reports them. With msg NULL only the chain is checked (to
 * explain a rejection), never to accept a signature. */
int ib_cms_verify(const uint8_t *der, size_t len, const uint8_t *msg, size_t msglen, struct ib_cert *const *cas,
		  size_t ncas, struct ib_cms_info *info);
/* Builder only: signs msg with the certificate and key files (PEM), adding the certificates of
 * the chain files, as `openssl cms -sign -binary -noattr -md sha256`. *der is malloc'd. */
int ib_cms_sign(const char *cert_path, const char *key_path, char *const *chain_paths, size_t nchain,
		const uint8_t *msg, size_t len, uint8_t **der, size_t *derlen);
/* Same with a key that may be encrypted, as ib_privkey_load_pass takes it (the missing
 * passphrase error names --cms-passin). */
int ib_cms_sign_pass(const char *cert_path, const char *key_path, const char *pass, int tty, char *const *chain_paths,
		     size_t nchain, const uint8_t *msg, size_t len, uint8_t **der, size_t *derlen);

#endif
