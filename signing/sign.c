/* OpenSSL backend for key generation and signing (builder only; never linked into a stub). */
#include "crypto.h"
#include "crypto_impl.h"

#include "../base/err.h"
#include "../base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

struct ib_privkey {
	EVP_PKEY *pkey;
	int alg;
};

int ib_keygen(int alg, struct ib_privkey **out)
{
	EVP_PKEY *p = NULL;
	struct ib_privkey *k;

	switch (alg) {
	case IB_ALG_ED25519: p = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
	case IB_ALG_ECDSA_P256: p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); break;
	case IB_ALG_RSA_PSS_SHA256: p = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072); break;
	default: return ib_fail(IB_E_USAGE, "unknown algorithm %d", alg);
	}
	if (!p)
		return ib_crypto_fail("key generation");
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(p);
		return -ENOMEM;
	}
	k->pkey = p;
	k->alg = alg;
	*out = k;
	return 0;
}

/* Where the passphrase of an encrypted key comes from: the caller's, a terminal prompt, or
 * nothing (then the callback fails and records that a passphrase was wanted). */
struct pass_src {
	const char *pass;
	const char *path;
	int tty, wanted;
};

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	struct pass_src *src = u;
	char prompt[512];
	size_t n;

	(void)rwflag;
	src->wanted = 1;
	if (src->pass) {
		n = strlen(src->pass);
		if (n >= (size_t)size)
			return -1;
		memcpy(buf, src->pass, n);
		return (int)n;
	}
	if (!src->tty)
		return -1;
	snprintf(prompt, sizeof(prompt), "passphrase for '%s': ", src->path);
	if (EVP_read_pw_string(buf, size, prompt, 0) != 0)
		return -1;
	return (int)strlen(buf);
}

int ib_pem_privkey_read(const char *path, const char *pass, int tty, const char *passin_opt, EVP_PKEY **out)
{
	struct pass_src src = {pass, path, tty, 0};
	BIO *bio;
	char *pem;
	size_t len;
	int rc = ib_read_file(path, 1u << 20, IB_READ_NOFOLLOW, &pem, &len);

	if (rc)
		return rc;
	bio = BIO_new_mem_buf(pem, (int)len);
	*out = bio ? PEM_read_bio_PrivateKey(bio, NULL, pass_cb, &src) : NULL;
	BIO_free(bio);
	OPENSSL_cleanse(pem, len);
	free(pem);
	if (*out)
		return 0;
	ERR_clear_error();
	if (src.wanted && !pass && !tty)
		return ib_fail(IB_E_KEY,
			       "'%s' is encrypted and no passphrase source is given (%s env:VAR, file:PATH or fd:N)",
			       path, passin_opt);
	if (src.wanted)
		return ib_fail(IB_E_KEY, "cannot decrypt '%s': wrong passphrase?", path);
	return ib_fail(IB_E_KEY, "'%s' is not a PEM private key", path);
}

int ib_privkey_load_pass(const char *path, const char *pass, int tty, struct ib_privkey **out)
{
	struct ib_privkey *k;
	EVP_PKEY *p;
	int alg, rc = ib_pem_privkey_read(path, pass, tty, "--passin", &p);

	if (rc)
		return rc;
	alg = ib_pkey_alg(p);
	if (alg < 0) {
		EVP_PKEY_free(p);
		return ib_fail_ctx(alg, "'%s': ", path);
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(p);
		return -ENOMEM;
	}
	k->pkey = p;
	k->alg = alg;
	*out = k;
	return 0;
}

int ib_privkey_load(const char *path, struct ib_privkey **out)
{
	return ib_privkey_load_pass(path, NULL, 0, out);
}

static int write_pem(const char *path, mode_t mode, EVP_PKEY *p, int private)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	FILE *f;
	int ok;

	if (fd < 0)
		return ib_fail(-errno, "cannot create '%s': %s", path, strerror(errno));
	f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		unlink(path);
		return -ENOMEM;
	}
	ok = private ? PEM_write_PrivateKey(f, p, NULL, NULL, 0, NULL, NULL) : PEM_write_PUBKEY(f, p);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		unlink(path);
		return ib_crypto_fail("writing key");
	}
	return 0;
}

int ib_privkey_save(const struct ib_privkey *k, const char *key_path, const char *pub_path)
{
	int rc = write_pem(key_path, 0600, k->pkey, 1);

	if (rc)
		return rc;
	rc = write_pem(pub_path, 0644, k->pkey, 0);
	if (rc)
		unlink(key_path);
	return rc;
}

int ib_privkey_public(const struct ib_privkey *k, struct ib_pubkey **out)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k->pkey, &der), rc;

	if (n <= 0)
		return ib_crypto_fail("extracting public key");
	rc = ib_pubkey_from_der(der, (size_t)n, out);
	OPENSSL_free(der);
	return rc;
}

int ib_privkey_alg(const struct ib_privkey *k)
{
	return k->alg;
}

int ib_sign(const struct ib_privkey *k, const uint8_t *msg, size_t len, uint8_t **sig, size_t *siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *buf = NULL;
	size_t n = 0;
	int rc;

	if (!ctx)
		return -ENOMEM;
	{
		EVP_PKEY_CTX *pctx = NULL;

		if (EVP_DigestSignInit_ex(ctx, &pctx, ib_alg_digest(k->alg), NULL, NULL, k->pkey, NULL) != 1) {
			rc = ib_crypto_fail("signature init");
			goto cleanup;
		}
		if ((rc = ib_pss_params(pctx, k->alg)))
			goto cleanup;
	}
	if (EVP_DigestSign(ctx, NULL, &n, msg, len) != 1) {
		rc = ib_crypto_fail("signature size");
		goto cleanup;
	}
	buf = malloc(n);
	if (!buf) {
		rc = -ENOMEM;
		goto cleanup;
	}
	if (EVP_DigestSign(ctx, buf, &n, msg, len) != 1) {
		rc = ib_crypto_fail("signing");
		goto cleanup;
	}
	*sig = buf;
	*siglen = n;
	buf = NULL;
cleanup:
	free(buf);
	EVP_MD_CTX_free(ctx);
	return rc;
}

void ib_privkey_free(struct ib_privkey *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}
