/* CMS signing with an X.509 certificate and its chain (builder only; never linked into a stub). */
#include "crypto.h"
#include "crypto_impl.h"

#include "../base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static int open_pem(const char *path, BIO **out)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return ib_fail(-errno, "cannot open '%s': %s", path, strerror(errno));
	f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	*out = BIO_new_fp(f, BIO_CLOSE);
	if (!*out) {
		fclose(f);
		return -ENOMEM;
	}
	return 0;
}

/* Appends every certificate of a PEM file to chain; a file without one is an error. */
static int read_certs(const char *path, STACK_OF(X509) * chain)
{
	BIO *bio = NULL;
	X509 *x;
	int n = 0, rc = open_pem(path, &bio);

	if (rc)
		return rc;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(chain, x)) {
			X509_free(x);
			BIO_free(bio);
			return -ENOMEM;
		}
		n++;
	}
	ERR_clear_error(); /* the end of the file reads as an error */
	BIO_free(bio);
	if (n == 0)
		return ib_fail(IB_E_KEY, "'%s' holds no PEM certificate", path);
	return 0;
}

int ib_cms_sign(const char *cert_path, const char *key_path, char *const *chain_paths, size_t nchain,
		const uint8_t *msg, size_t len, uint8_t **der, size_t *derlen)
{
	return ib_cms_sign_pass(cert_path, key_path, NULL, 0, chain_paths, nchain, msg, len, der, derlen);
}

int ib_cms_sign_pass(const char *cert_path, const char *key_path, const char *pass, int tty, char *const *chain_paths,
		     size_t nchain, const uint8_t *msg, size_t len, uint8_t **der, size_t *derlen)
{
	STACK_OF(X509) *leaf = sk_X509_new_null(), *chain = sk_X509_new_null();
	EVP_PKEY *key = NULL;
	CMS_ContentInfo *cms = NULL;
	BIO *content = NULL;
	unsigned char *out = NULL;
	int rc = 0, n;

	if (!leaf || !chain) {
		rc = -ENOMEM;
		goto cleanup;
	}
	if ((rc = read_certs(cert_path, leaf)))
		goto cleanup;
	for (size_t i = 0; i < nchain; i++)
		if ((rc = read_certs(chain_paths[i], chain)))
			goto cleanup;
	/* Further certificates in the leaf's file are its chain, as in a full-chain PEM. */
	while (sk_X509_num(leaf) > 1) {
		if (!sk_X509_insert(chain, sk_X509_pop(leaf), 0)) {
			rc = -ENOMEM;
			goto cleanup;
		}
	}
	if ((rc = ib_pem_privkey_read(key_path, pass, tty, "--cms-passin", &key)))
		goto cleanup;
	if (X509_check_private_key(sk_X509_value(leaf, 0), key) != 1) {
		ERR_clear_error();
		rc = ib_fail(IB_E_KEY, "'%s' is not the private key of the certificate '%s'", key_path, cert_path);
		goto cleanup;
	}
	if (len > INT32_MAX || !(content = BIO_new_mem_buf(msg, (int)len))) {
		rc = -ENOMEM;
		goto cleanup;
	}
	/* No signed attributes: no signing time, so an RSA signature is reproducible. */
	cms = CMS_sign(sk_X509_value(leaf, 0), key, chain, content, CMS_BINARY | CMS_DETACHED | CMS_NOATTR);
	if (!cms) {
		rc = ib_crypto_fail("CMS signing");
		goto cleanup;
	}
	n = i2d_CMS_ContentInfo(cms, &out);
	if (n <= 0) {
		rc = ib_crypto_fail("encoding the CMS signature");
		goto cleanup;
	}
	*der = malloc((size_t)n);
	if (!*der) {
		rc = -ENOMEM;
		goto cleanup;
	}
	memcpy(*der, out, (size_t)n);
	*derlen = (size_t)n;
cleanup:
	OPENSSL_free(out);
	CMS_ContentInfo_free(cms);
	BIO_free(content);
	EVP_PKEY_free(key);
	sk_X509_pop_free(leaf, X509_free);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}
