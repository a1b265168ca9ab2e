/* OpenSSL backend for hashing, public keys and signature verification (linked into the stub). */
#include "crypto.h"
#include "crypto_impl.h"

#include "../base/err.h"
#include "../base/fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

static EVP_MD *sha256_md;

const char *ib_alg_name(int alg)
{
	switch (alg) {
	case IB_ALG_ED25519: return "ed25519";
	case IB_ALG_ECDSA_P256: return "ecdsa-p256";
	case IB_ALG_RSA_PSS_SHA256: return "rsa-pss-3072";
	case IB_ALG_CMS: return "cms";
	default: return "unknown";
	}
}

int ib_alg_from_name(const char *name)
{
	if (!strcmp(name, "ed25519"))
		return IB_ALG_ED25519;
	if (!strcmp(name, "ecdsa-p256"))
		return IB_ALG_ECDSA_P256;
	if (!strcmp(name, "rsa-pss-3072") || !strcmp(name, "rsa-pss"))
		return IB_ALG_RSA_PSS_SHA256;
	return IB_E_USAGE;
}

int ib_crypto_fail(const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		ERR_clear_error();
		return ib_fail(IB_E_CRYPTO, "%s: %s", what, buf);
	}
	return ib_fail(IB_E_CRYPTO, "%s failed", what);
}

int ib_crypto_init(void)
{
	if (sha256_md)
		return 0;
	if (!OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL))
		return ib_crypto_fail("initialising OpenSSL");
	/* An explicit fetch once avoids an implicit fetch (a lock and a lookup) per chunk hash. */
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!sha256_md)
		return ib_crypto_fail("fetching SHA-256");
	return 0;
}

static const EVP_MD *md(void)
{
	return sha256_md ? sha256_md : EVP_sha256();
}

void ib_sha256(const void *data, size_t len, uint8_t out[IB_SHA256_LEN])
{
	unsigned int n = IB_SHA256_LEN;

	if (!EVP_Digest(data, len, out, &n, md(), NULL))
		abort(); /* SHA-256 cannot fail short of memory corruption */
}

struct ib_sha256_ctx {
	EVP_MD_CTX *ctx;
};

int ib_sha256_new(struct ib_sha256_ctx **out)
{
	struct ib_sha256_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->ctx = EVP_MD_CTX_new();
	if (!c->ctx || !EVP_DigestInit_ex(c->ctx, md(), NULL)) {
		EVP_MD_CTX_free(c->ctx);
		free(c);
		return ib_crypto_fail("SHA-256 init");
	}
	*out = c;
	return 0;
}

void ib_sha256_update(struct ib_sha256_ctx *c, const void *data, size_t len)
{
	if (!EVP_DigestUpdate(c->ctx, data, len))
		abort();
}

void ib_sha256_final(struct ib_sha256_ctx *c, uint8_t out[IB_SHA256_LEN])
{
	unsigned int n = IB_SHA256_LEN;

	if (!EVP_DigestFinal_ex(c->ctx, out, &n))
		abort();
}

void ib_sha256_reset(struct ib_sha256_ctx *c)
{
	if (!EVP_DigestInit_ex(c->ctx, md(), NULL))
		abort();
}

void ib_sha256_free(struct ib_sha256_ctx *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->ctx);
	free(c);
}

int ib_pkey_alg(EVP_PKEY *p)
{
	char group[64];
	size_t glen = 0;

	if (EVP_PKEY_is_a(p, "ED25519"))
		return IB_ALG_ED25519;
	if (EVP_PKEY_is_a(p, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(p, "group", group, sizeof(group), &glen) &&
		    (!strcmp(group, "prime256v1") || !strcmp(group, "P-256")))
			return IB_ALG_ECDSA_P256;
		return ib_fail(IB_E_KEY, "EC key on curve '%s': only P-256 is supported", glen ? group : "?");
	}
	if (EVP_PKEY_is_a(p, "RSA") || EVP_PKEY_is_a(p, "RSA-PSS")) {
		if (EVP_PKEY_get_bits(p) < 3072)
			return ib_fail(IB_E_KEY, "RSA key of %d bits: at least 3072 are required",
				       EVP_PKEY_get_bits(p));
		return IB_ALG_RSA_PSS_SHA256;
	}
	return ib_fail(IB_E_KEY, "unsupported key type '%s'", EVP_PKEY_get0_type_name(p));
}

int ib_pubkey_wrap(EVP_PKEY *p, struct ib_pubkey **out)
{
	struct ib_pubkey *k;
	unsigned char *der = NULL;
	int alg, n;

	alg = ib_pkey_alg(p);
	if (alg < 0)
		return alg;
	n = i2d_PUBKEY(p, &der);
	if (n <= 0)
		return ib_crypto_fail("encoding public key");
	k = calloc(1, sizeof(*k));
	if (!k) {
		OPENSSL_free(der);
		return -ENOMEM;
	}
	k->pkey = p;
	k->alg = alg;
	k->der = der;
	k->derlen = (size_t)n;
	ib_sha256(der, (size_t)n, k->id);
	*out = k;
	return 0;
}

int ib_pubkey_from_der(const uint8_t *der, size_t len, struct ib_pubkey **out)
{
	const unsigned char *p = der;
	EVP_PKEY *pk;
	int rc;

	if (len > 65536)
		return ib_fail(IB_E_KEY, "public key too large");
	pk = d2i_PUBKEY(NULL, &p, (long)len);
	if (!pk || p != der + len) {
		EVP_PKEY_free(pk);
		ERR_clear_error();
		return ib_fail(IB_E_KEY, "not a DER SubjectPublicKeyInfo");
	}
	rc = ib_pubkey_wrap(pk, out);
	if (rc)
		EVP_PKEY_free(pk);
	return rc;
}

int ib_pubkey_from_pem(const char *pem, size_t len, struct ib_pubkey **out)
{
	BIO *bio;
	EVP_PKEY *pk;
	int rc;

	if (len > 65536)
		return ib_fail(IB_E_KEY, "public key file too large");
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!pk) {
		ERR_clear_error();
		return ib_fail(IB_E_KEY, "not a PEM public key");
	}
	rc = ib_pubkey_wrap(pk, out);
	if (rc)
		EVP_PKEY_free(pk);
	return rc;
}

int ib_pubkey_load(const char *path, struct ib_pubkey **out)
{
	char *buf;
	size_t n;
	int rc = ib_read_file(path, 65536, 0, &buf, &n);

	if (rc)
		return rc;
	rc = ib_pubkey_from_pem(buf, n, out);
	free(buf);
	if (rc)
		return ib_fail_ctx(rc, "'%s': ", path);
	return 0;
}

int ib_pubkey_alg(const struct ib_pubkey *k)
{
	return k->alg;
}
const uint8_t *ib_pubkey_id(const struct ib_pubkey *k)
{
	return k->id;
}

void ib_pubkey_der(const struct ib_pubkey *k, const uint8_t **der, size_t *len)
{
	*der = k->der;
	*len = k->derlen;
}

int ib_pubkey_pem(const struct ib_pubkey *k, char *buf, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc = 0;

	if (!bio)
		return -ENOMEM;
	if (!PEM_write_bio_PUBKEY(bio, k->pkey)) {
		BIO_free(bio);
		return ib_crypto_fail("writing PEM");
	}
	n = BIO_get_mem_data(bio, &p);
	if (n < 0 || (size_t)n >= size)
		rc = -ENAMETOOLONG;
	else {
		memcpy(buf, p, (size_t)n);
		buf[n] = '\0';
	}
	BIO_free(bio);
	return rc;
}

void ib_pubkey_free(struct ib_pubkey *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	OPENSSL_free(k->der);
	free(k);
}

int ib_pss_params(EVP_PKEY_CTX *pctx, int alg)
{
	if (alg != IB_ALG_RSA_PSS_SHA256)
		return 0;
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, IB_SHA256_LEN) <= 0)
		return ib_crypto_fail("RSA-PSS parameters");
	return 0;
}

/* Ed25519 is one-shot without a digest; the others hash with SHA-256. */
const char *ib_alg_digest(int alg)
{
	return alg == IB_ALG_ED25519 ? NULL : "SHA256";
}

int ib_verify(const struct ib_pubkey *k, int alg, const uint8_t *msg, size_t len, const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *ctx;
	int rc, ok;

	if (alg != k->alg)
		return ib_fail(IB_E_SIGNATURE, "signature algorithm %s does not match the %s key", ib_alg_name(alg),
			       ib_alg_name(k->alg));
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	{
		EVP_PKEY_CTX *pctx = NULL;

		if (EVP_DigestVerifyInit_ex(ctx, &pctx, ib_alg_digest(alg), NULL, NULL, k->pkey, NULL) != 1)
			rc = ib_crypto_fail("signature init");
		else
			rc = ib_pss_params(pctx, alg);
	}
	if (!rc) {
		ok = EVP_DigestVerify(ctx, sig, siglen, msg, len);
		ERR_clear_error();
		rc = ok == 1 ? 0 : ib_fail(IB_E_SIGNATURE, "%s signature does not verify", ib_alg_name(alg));
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}
