/* Unit tests for signing/ (verify.c, sign.c): SHA-256 vectors, keys, key ids, PEM/DER, sign/verify per algorithm, OpenSSL interop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../../base/err.h"
#include "../../base/util.h"
#include "../../signing/crypto.h"

static const uint8_t msg[] = "the exact manifest bytes";

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(ib_hex_decode(hex, out, len), 0);
}

static void assert_hash(const uint8_t got[IB_SHA256_LEN], const char *want_hex)
{
	char hex[2 * IB_SHA256_LEN + 1];

	ib_hex_encode(got, IB_SHA256_LEN, hex);
	assert_string_equal(hex, want_hex);
}

/* ---- SHA-256 ---- */

struct vector {
	const char *in;
	const char *hex;
};

static const struct vector vectors[] = {
	{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	{"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

static void test_sha256_vectors(void **state)
{
	uint8_t out[IB_SHA256_LEN];

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(vectors); i++) {
		ib_sha256(vectors[i].in, strlen(vectors[i].in), out);
		assert_hash(out, vectors[i].hex);
	}
}

static void test_sha256_streaming(void **state)
{
	struct ib_sha256_ctx *c;
	uint8_t out[IB_SHA256_LEN];

	(void)state;
	assert_int_equal(ib_sha256_new(&c), 0);
	for (size_t i = 0; i < IB_ARRAY_LEN(vectors); i++) {
		const char *s = vectors[i].in;
		size_t n = strlen(s);

		/* One byte at a time, then in two uneven halves, with reset between. */
		ib_sha256_reset(c);
		for (size_t j = 0; j < n; j++)
			ib_sha256_update(c, s + j, 1);
		ib_sha256_final(c, out);
		assert_hash(out, vectors[i].hex);
		ib_sha256_reset(c);
		ib_sha256_update(c, s, n / 3);
		ib_sha256_update(c, "", 0);
		ib_sha256_update(c, s + n / 3, n - n / 3);
		ib_sha256_final(c, out);
		assert_hash(out, vectors[i].hex);
	}
	ib_sha256_free(c);
	ib_sha256_free(NULL);
}

/* A reset discards bytes fed since the last final (or since new). */
static void test_sha256_reset_discards(void **state)
{
	struct ib_sha256_ctx *c;
	uint8_t out[IB_SHA256_LEN];

	(void)state;
	assert_int_equal(ib_sha256_new(&c), 0);
	ib_sha256_update(c, "garbage", 7);
	ib_sha256_reset(c);
	ib_sha256_update(c, "abc", 3);
	ib_sha256_final(c, out);
	assert_hash(out, vectors[1].hex);
	ib_sha256_reset(c);
	ib_sha256_final(c, out);
	assert_hash(out, vectors[0].hex);
	ib_sha256_free(c);
}

static void test_sha256_million_a(void **state)
{
	struct ib_sha256_ctx *c;
	uint8_t out[IB_SHA256_LEN];
	char *block = malloc(1000000);

	(void)state;
	assert_non_null(block);
	memset(block, 'a', 1000000);
	ib_sha256(block, 1000000, out);
	assert_hash(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	assert_int_equal(ib_sha256_new(&c), 0);
	for (int i = 0; i < 1000; i++)
		ib_sha256_update(c, block + i * 1000, 1000);
	ib_sha256_final(c, out);
	assert_hash(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	ib_sha256_free(c);
	free(block);
}

/* ---- algorithm names ---- */

static void test_alg_names(void **state)
{
	(void)state;
	assert_string_equal(ib_alg_name(IB_ALG_ED25519), "ed25519");
	assert_string_equal(ib_alg_name(IB_ALG_ECDSA_P256), "ecdsa-p256");
	assert_string_equal(ib_alg_name(IB_ALG_RSA_PSS_SHA256), "rsa-pss-3072");
	assert_string_equal(ib_alg_name(IB_ALG_CMS), "cms");
	assert_int_equal(ib_alg_from_name("cms"), IB_E_USAGE); /* not a key algorithm */
	assert_string_equal(ib_alg_name(0), "unknown");
	assert_string_equal(ib_alg_name(99), "unknown");
	assert_int_equal(ib_alg_from_name("ed25519"), IB_ALG_ED25519);
	assert_int_equal(ib_alg_from_name("ecdsa-p256"), IB_ALG_ECDSA_P256);
	assert_int_equal(ib_alg_from_name("rsa-pss-3072"), IB_ALG_RSA_PSS_SHA256);
	assert_int_equal(ib_alg_from_name("rsa-pss"), IB_ALG_RSA_PSS_SHA256);
	assert_int_equal(ib_alg_from_name("Ed25519"), IB_E_USAGE);
	assert_int_equal(ib_alg_from_name("rsa"), IB_E_USAGE);
	assert_int_equal(ib_alg_from_name(""), IB_E_USAGE);
	assert_int_equal(ib_keygen(0, NULL), IB_E_USAGE);
	assert_int_equal(ib_keygen(99, NULL), IB_E_USAGE);
}

/* ---- Ed25519 known answer (RFC 8032, section 7.1, tests 1 and 2) ---- */

static struct ib_pubkey *ed25519_from_raw(const char *pub_hex)
{
	uint8_t der[44] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
	struct ib_pubkey *k;

	unhex(pub_hex, der + 12, 32);
	assert_int_equal(ib_pubkey_from_der(der, sizeof(der), &k), 0);
	return k;
}

static void test_ed25519_rfc8032(void **state)
{
	struct ib_pubkey *k1 = ed25519_from_raw("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
	struct ib_pubkey *k2 = ed25519_from_raw("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
	uint8_t sig1[64], sig2[64], m2 = 0x72;

	(void)state;
	unhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	      "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
	      sig1, 64);
	unhex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	      "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
	      sig2, 64);
	assert_int_equal(ib_pubkey_alg(k1), IB_ALG_ED25519);
	assert_int_equal(ib_verify(k1, IB_ALG_ED25519, (const uint8_t *)"", 0, sig1, 64), 0);
	assert_int_equal(ib_verify(k2, IB_ALG_ED25519, &m2, 1, sig2, 64), 0);
	/* Crossed keys, a changed message and a changed signature all fail. */
	assert_int_equal(ib_verify(k2, IB_ALG_ED25519, (const uint8_t *)"", 0, sig1, 64), IB_E_SIGNATURE);
	assert_int_equal(ib_verify(k1, IB_ALG_ED25519, &m2, 1, sig2, 64), IB_E_SIGNATURE);
	m2 ^= 1;
	assert_int_equal(ib_verify(k2, IB_ALG_ED25519, &m2, 1, sig2, 64), IB_E_SIGNATURE);
	sig1[63] ^= 0x40;
	assert_int_equal(ib_verify(k1, IB_ALG_ED25519, (const uint8_t *)"", 0, sig1, 64), IB_E_SIGNATURE);
	ib_pubkey_free(k1);
	ib_pubkey_free(k2);
}

/* ---- per-algorithm sign and verify ---- */

struct keys {
	int alg;
	struct ib_privkey *priv, *other;
	struct ib_pubkey *pub, *other_pub;
};

/* Key generation (RSA-3072 above all) is slow: each algorithm's pair is made once and shared. */
static struct keys cache[4];

static int setup_keys(void **state, int alg)
{
	struct keys *k = &cache[alg];

	if (!k->priv) {
		k->alg = alg;
		if (ib_keygen(alg, &k->priv) || ib_keygen(alg, &k->other) || ib_privkey_public(k->priv, &k->pub) ||
		    ib_privkey_public(k->other, &k->other_pub))
			return -1;
	}
	*state = k;
	return 0;
}

static int setup_ed25519(void **state)
{
	return setup_keys(state, IB_ALG_ED25519);
}
static int setup_p256(void **state)
{
	return setup_keys(state, IB_ALG_ECDSA_P256);
}
static int setup_rsa(void **state)
{
	return setup_keys(state, IB_ALG_RSA_PSS_SHA256);
}

static int teardown_keys(void **state)
{
	(void)state;
	return 0;
}

static int free_cache(void **state)
{
	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(cache); i++) {
		ib_privkey_free(cache[i].priv);
		ib_privkey_free(cache[i].other);
		ib_pubkey_free(cache[i].pub);
		ib_pubkey_free(cache[i].other_pub);
	}
	return 0;
}

static void test_sign_verify(void **state)
{
	struct keys *k = *state;
	uint8_t *sig;
	size_t siglen;

	assert_int_equal(ib_privkey_alg(k->priv), k->alg);
	assert_int_equal(ib_pubkey_alg(k->pub), k->alg);
	assert_int_equal(ib_sign(k->priv, msg, sizeof(msg), &sig, &siglen), 0);
	assert_true(siglen > 0 && siglen <= IB_SIG_MAX);
	if (k->alg == IB_ALG_ED25519)
		assert_int_equal(siglen, 64);
	if (k->alg == IB_ALG_RSA_PSS_SHA256)
		assert_int_equal(siglen, 384);
	assert_int_equal(ib_verify(k->pub, k->alg, msg, sizeof(msg), sig, siglen), 0);
	free(sig);
	/* The empty message can be signed too. */
	assert_int_equal(ib_sign(k->priv, msg, 0, &sig, &siglen), 0);
	assert_int_equal(ib_verify(k->pub, k->alg, msg, 0, sig, siglen), 0);
	assert_int_equal(ib_verify(k->pub, k->alg, msg, 1, sig, siglen), IB_E_SIGNATURE);
	free(sig);
}

static void test_wrong_key(void **state)
{
	struct keys *k = *state;
	uint8_t *sig;
	size_t siglen;

	assert_memory_not_equal(ib_pubkey_id(k->pub), ib_pubkey_id(k->other_pub), IB_KEYID_LEN);
	assert_int_equal(ib_sign(k->priv, msg, sizeof(msg), &sig, &siglen), 0);
	assert_int_equal(ib_verify(k->other_pub, k->alg, msg, sizeof(msg), sig, siglen), IB_E_SIGNATURE);
	assert_non_null(strstr(ib_errmsg(IB_E_SIGNATURE), "does not verify"));
	free(sig);
}

static void test_altered_message(void **state)
{
	struct keys *k = *state;
	uint8_t *sig, copy[sizeof(msg)];
	size_t siglen;

	assert_int_equal(ib_sign(k->priv, msg, sizeof(msg), &sig, &siglen), 0);
	for (size_t i = 0; i < sizeof(msg); i += 5) {
		memcpy(copy, msg, sizeof(msg));
		copy[i] ^= 0x01;
		assert_int_equal(ib_verify(k->pub, k->alg, copy, sizeof(copy), sig, siglen), IB_E_SIGNATURE);
	}
	/* Shorter and longer messages. */
	assert_int_equal(ib_verify(k->pub, k->alg, msg, sizeof(msg) - 1, sig, siglen), IB_E_SIGNATURE);
	free(sig);
}

static void test_altered_signature(void **state)
{
	struct keys *k = *state;
	uint8_t *sig, *longer;
	size_t siglen;

	assert_int_equal(ib_sign(k->priv, msg, sizeof(msg), &sig, &siglen), 0);
	for (size_t i = 0; i < siglen; i += siglen / 7 + 1) {
		sig[i] ^= 0x80;
		assert_int_equal(ib_verify(k->pub, k->alg, msg, sizeof(msg), sig, siglen), IB_E_SIGNATURE);
		sig[i] ^= 0x80;
	}
	sig[siglen - 1] ^= 0x01;
	assert_int_equal(ib_verify(k->pub, k->alg, msg, sizeof(msg), sig, siglen), IB_E_SIGNATURE);
	sig[siglen - 1] ^= 0x01;
	assert_int_equal(ib_verify(k->pub, k->alg, msg, sizeof(msg), sig, siglen - 1), IB_E_SIGNATURE);
	assert_int_equal(ib_verify(k->pub, k->alg, msg, sizeof(msg), sig, 0), IB_E_SIGNATURE);
	longer = calloc(1, siglen + 1);
	assert_non_null(longer);
	memcpy(longer, sig, siglen);
	assert_int_equal(ib_verify(k->pub, k->alg, msg, sizeof(msg), longer, siglen + 1), IB_E_SIGNATURE);
	memset(longer, 0, siglen + 1);
	assert_int_equal(ib_verify(k->pub, k->alg, msg, sizeof(msg), longer, siglen), IB_E_SIGNATURE);
	/* The untouched signature still verifies. */
	assert_int_equal(ib_verify(k->pub, k->alg, msg, sizeof(msg), sig, siglen), 0);
	free(longer);
	free(sig);
}

/* A signature tagged with another algorithm than the key's is refused before any crypto. */
static void test_alg_mismatch(void **state)
{
	struct keys *k = *state;
	uint8_t *sig;
	size_t siglen;
	const int algs[] = {IB_ALG_ED25519, IB_ALG_ECDSA_P256, IB_ALG_RSA_PSS_SHA256, 0, 42};

	assert_int_equal(ib_sign(k->priv, msg, sizeof(msg), &sig, &siglen), 0);
	for (size_t i = 0; i < IB_ARRAY_LEN(algs); i++) {
		if (algs[i] == k->alg)
			continue;
		assert_int_equal(ib_verify(k->pub, algs[i], msg, sizeof(msg), sig, siglen), IB_E_SIGNATURE);
	}
	free(sig);
}

/* Key id = SHA-256 of the DER SubjectPublicKeyInfo, as OpenSSL itself encodes it. */
static void test_key_id(void **state)
{
	struct keys *k = *state;
	const uint8_t *der;
	size_t derlen;
	uint8_t want[IB_SHA256_LEN];
	char pem[4096];
	BIO *bio;
	EVP_PKEY *p;
	unsigned char *ossl_der = NULL;
	int n;

	ib_pubkey_der(k->pub, &der, &derlen);
	assert_true(derlen > 0);
	ib_sha256(der, derlen, want);
	assert_memory_equal(ib_pubkey_id(k->pub), want, IB_KEYID_LEN);
	/* Independently: OpenSSL parses the PEM and encodes the SPKI; its hash is the same id. */
	assert_int_equal(ib_pubkey_pem(k->pub, pem, sizeof(pem)), 0);
	bio = BIO_new_mem_buf(pem, -1);
	assert_non_null(bio);
	p = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(p);
	n = i2d_PUBKEY(p, &ossl_der);
	assert_true(n > 0);
	assert_int_equal((size_t)n, derlen);
	assert_memory_equal(ossl_der, der, derlen);
	assert_non_null(SHA256(ossl_der, (size_t)n, want));
	assert_memory_equal(ib_pubkey_id(k->pub), want, IB_KEYID_LEN);
	OPENSSL_free(ossl_der);
	EVP_PKEY_free(p);
}

static void test_pem_der_roundtrip(void **state)
{
	struct keys *k = *state;
	struct ib_pubkey *a, *b;
	const uint8_t *der, *der2;
	size_t derlen, derlen2;
	char pem[4096], pem2[4096];

	assert_int_equal(ib_pubkey_pem(k->pub, pem, sizeof(pem)), 0);
	assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----\n"));
	assert_int_equal(ib_pubkey_from_pem(pem, strlen(pem), &a), 0);
	ib_pubkey_der(k->pub, &der, &derlen);
	assert_int_equal(ib_pubkey_from_der(der, derlen, &b), 0);
	assert_int_equal(ib_pubkey_alg(a), k->alg);
	assert_int_equal(ib_pubkey_alg(b), k->alg);
	assert_memory_equal(ib_pubkey_id(a), ib_pubkey_id(k->pub), IB_KEYID_LEN);
	assert_memory_equal(ib_pubkey_id(b), ib_pubkey_id(k->pub), IB_KEYID_LEN);
	ib_pubkey_der(a, &der2, &derlen2);
	assert_int_equal(derlen2, derlen);
	assert_memory_equal(der2, der, derlen);
	assert_int_equal(ib_pubkey_pem(b, pem2, sizeof(pem2)), 0);
	assert_string_equal(pem2, pem);
	/* A buffer too small for the PEM text. */
	assert_int_equal(ib_pubkey_pem(k->pub, pem2, strlen(pem)), -ENAMETOOLONG);
	ib_pubkey_free(a);
	ib_pubkey_free(b);
}

static void test_der_malformed(void **state)
{
	struct keys *k = *state;
	struct ib_pubkey *x = NULL;
	const uint8_t *der;
	size_t derlen;
	uint8_t *buf;

	ib_pubkey_der(k->pub, &der, &derlen);
	buf = malloc(derlen + 1);
	assert_non_null(buf);
	memcpy(buf, der, derlen);
	buf[derlen] = 0;
	assert_int_equal(ib_pubkey_from_der(buf, derlen + 1, &x), IB_E_KEY); /* trailing byte */
	assert_int_equal(ib_pubkey_from_der(buf, derlen - 1, &x), IB_E_KEY); /* truncated */
	assert_int_equal(ib_pubkey_from_der(buf, 0, &x), IB_E_KEY);
	buf[0] = 0x31; /* SET instead of SEQUENCE */
	assert_int_equal(ib_pubkey_from_der(buf, derlen, &x), IB_E_KEY);
	assert_null(x);
	free(buf);
}

static void test_keyfiles(void **state)
{
	struct keys *k = *state;
	char dir[] = "/tmp/ibpack-test-XXXXXX", key[64], pub[64];
	struct ib_privkey *loaded;
	struct ib_pubkey *lp;
	uint8_t *sig;
	size_t siglen;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(key, sizeof(key), "%s/k.key", dir);
	snprintf(pub, sizeof(pub), "%s/k.pub", dir);
	assert_int_equal(ib_privkey_save(k->priv, key, pub), 0);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never overwrites. */
	assert_int_equal(ib_privkey_save(k->other, key, pub), -EEXIST);
	assert_int_equal(ib_privkey_load(key, &loaded), 0);
	assert_int_equal(ib_privkey_alg(loaded), k->alg);
	assert_int_equal(ib_pubkey_load(pub, &lp), 0);
	assert_memory_equal(ib_pubkey_id(lp), ib_pubkey_id(k->pub), IB_KEYID_LEN);
	assert_int_equal(ib_sign(loaded, msg, sizeof(msg), &sig, &siglen), 0);
	assert_int_equal(ib_verify(lp, k->alg, msg, sizeof(msg), sig, siglen), 0);
	free(sig);
	/* A private key is not a public key file, and vice versa. */
	ib_pubkey_free(lp);
	lp = NULL;
	assert_int_equal(ib_pubkey_load(key, &lp), IB_E_KEY);
	assert_null(lp);
	ib_privkey_free(loaded);
	loaded = NULL;
	assert_int_equal(ib_privkey_load(pub, &loaded), IB_E_KEY);
	assert_null(loaded);
	assert_int_equal(ib_pubkey_load("/nonexistent/k.pub", &lp), -ENOENT);
	assert_int_equal(ib_privkey_load("/nonexistent/k.key", &loaded), -ENOENT);
	unlink(key);
	unlink(pub);
	rmdir(dir);
}

/* Signatures made here verify with stock OpenSSL defaults (what `openssl pkeyutl -verify` does). */
static void test_openssl_interop(void **state)
{
	struct keys *k = *state;
	const uint8_t *der, *p;
	size_t derlen;
	uint8_t *sig;
	size_t siglen;
	EVP_PKEY *pk;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	ib_pubkey_der(k->pub, &der, &derlen);
	p = der;
	pk = d2i_PUBKEY(NULL, &p, (long)derlen);
	assert_non_null(pk);
	assert_non_null(ctx);
	assert_int_equal(ib_sign(k->priv, msg, sizeof(msg), &sig, &siglen), 0);
	assert_int_equal(EVP_DigestVerifyInit(ctx, &pctx, k->alg == IB_ALG_ED25519 ? NULL : EVP_sha256(), NULL, pk), 1);
	if (k->alg == IB_ALG_RSA_PSS_SHA256) {
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) > 0);
	}
	assert_int_equal(EVP_DigestVerify(ctx, sig, siglen, msg, sizeof(msg)), 1);
	free(sig);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
}

/* RSA: a PKCS#1 v1.5 signature by the same key is not an RSA-PSS signature. */
static void test_rsa_pkcs1_refused(void **state)
{
	struct ib_privkey *priv;
	struct ib_pubkey *pub;
	char dir[] = "/tmp/ibpack-test-XXXXXX", key[64], pubp[64];
	FILE *f;
	EVP_PKEY *pk;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t sig[512];
	size_t siglen = sizeof(sig);

	(void)state;
	assert_int_equal(ib_keygen(IB_ALG_RSA_PSS_SHA256, &priv), 0);
	assert_int_equal(ib_privkey_public(priv, &pub), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(key, sizeof(key), "%s/r.key", dir);
	snprintf(pubp, sizeof(pubp), "%s/r.pub", dir);
	assert_int_equal(ib_privkey_save(priv, key, pubp), 0);
	f = fopen(key, "r");
	assert_non_null(f);
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(pk);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, msg, sizeof(msg)), 1);
	assert_int_equal(ib_verify(pub, IB_ALG_RSA_PSS_SHA256, msg, sizeof(msg), sig, siglen), IB_E_SIGNATURE);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	ib_pubkey_free(pub);
	ib_privkey_free(priv);
	unlink(key);
	unlink(pubp);
	rmdir(dir);
}

/* ---- unsupported keys ---- */

static int der_of(EVP_PKEY *p, uint8_t **der)
{
	int n;

	*der = NULL;
	n = i2d_PUBKEY(p, der);
	assert_true(n > 0);
	return n;
}

static void expect_refused(EVP_PKEY *p, const char *why)
{
	struct ib_pubkey *k = NULL;
	uint8_t *der;
	int n = der_of(p, &der);
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long pemlen;

	assert_int_equal(ib_pubkey_from_der(der, (size_t)n, &k), IB_E_KEY);
	assert_null(k);
	assert_non_null(strstr(ib_errmsg(IB_E_KEY), why));
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, p), 1);
	pemlen = BIO_get_mem_data(bio, &pem);
	assert_int_equal(ib_pubkey_from_pem(pem, (size_t)pemlen, &k), IB_E_KEY);
	assert_null(k);
	BIO_free(bio);
	OPENSSL_free(der);
}

static void test_rejects_rsa2048(void **state)
{
	EVP_PKEY *p = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	(void)state;
	assert_non_null(p);
	expect_refused(p, "3072");
	EVP_PKEY_free(p);
}

static void test_rejects_p384(void **state)
{
	EVP_PKEY *p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");

	(void)state;
	assert_non_null(p);
	expect_refused(p, "P-256");
	EVP_PKEY_free(p);
}

static void test_rejects_other_types(void **state)
{
	const char *types[] = {"X25519", "ED448"};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(types); i++) {
		EVP_PKEY *p = EVP_PKEY_Q_keygen(NULL, NULL, types[i]);

		assert_non_null(p);
		expect_refused(p, "unsupported key type");
		EVP_PKEY_free(p);
	}
}

/* A private key file holding an unsupported key is refused when loaded for signing. */
static void test_privkey_load_rejects_p384(void **state)
{
	EVP_PKEY *p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	char dir[] = "/tmp/ibpack-test-XXXXXX", key[64];
	struct ib_privkey *k = NULL;
	FILE *f;

	(void)state;
	assert_non_null(p);
	assert_non_null(mkdtemp(dir));
	snprintf(key, sizeof(key), "%s/p384.key", dir);
	f = fopen(key, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, p, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	assert_int_equal(ib_privkey_load(key, &k), IB_E_KEY);
	assert_null(k);
	unlink(key);
	rmdir(dir);
	EVP_PKEY_free(p);
}

static void test_pem_garbage(void **state)
{
	struct ib_pubkey *k = NULL;
	const char *bad[] = {
		"",
		"not a key",
		"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\n",
	};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++)
		assert_int_equal(ib_pubkey_from_pem(bad[i], strlen(bad[i]), &k), IB_E_KEY);
	assert_null(k);
}

#define PER_ALG(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, teardown_keys)
#define ALL_ALGS(fn)       PER_ALG(fn, setup_ed25519), PER_ALG(fn, setup_p256), PER_ALG(fn, setup_rsa)

int main(void)
{
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_streaming),
		cmocka_unit_test(test_sha256_reset_discards),
		cmocka_unit_test(test_sha256_million_a),
		cmocka_unit_test(test_alg_names),
		cmocka_unit_test(test_ed25519_rfc8032),
		ALL_ALGS(test_sign_verify),
		ALL_ALGS(test_wrong_key),
		ALL_ALGS(test_altered_message),
		ALL_ALGS(test_altered_signature),
		ALL_ALGS(test_alg_mismatch),
		ALL_ALGS(test_key_id),
		ALL_ALGS(test_pem_der_roundtrip),
		ALL_ALGS(test_der_malformed),
		ALL_ALGS(test_keyfiles),
		ALL_ALGS(test_openssl_interop),
		cmocka_unit_test(test_rsa_pkcs1_refused),
		cmocka_unit_test(test_rejects_rsa2048),
		cmocka_unit_test(test_rejects_p384),
		cmocka_unit_test(test_rejects_other_types),
		cmocka_unit_test(test_privkey_load_rejects_p384),
		cmocka_unit_test(test_pem_garbage),
	};
	static const char *const suffix[] = {"ed25519", "ecdsa-p256", "rsa-pss-3072"};
	static char names[IB_ARRAY_LEN(tests)][96];

	/* Name the per-algorithm copies so TAP lines tell them apart. */
	for (size_t i = 0, j = 0; i < IB_ARRAY_LEN(tests); i++) {
		if (!tests[i].setup_func)
			continue;
		snprintf(names[i], sizeof(names[i]), "%s (%s)", tests[i].name, suffix[j++ % 3]);
		tests[i].name = names[i];
	}
	if (ib_crypto_init() != 0 || ib_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests_name("signing", tests, NULL, free_cache);
}
