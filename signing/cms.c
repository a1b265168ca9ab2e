/* X.509 trust anchors and detached CMS signatures over the manifest (verification; in the stub). */
#include "crypto.h"
#include "crypto_impl.h"

#include "../base/err.h"
#include "../base/fs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#define CERT_FILE_MAX 65536

struct ib_cert {
	X509 *x;
	unsigned char *der;
	size_t derlen;
	uint8_t fp[IB_SHA256_LEN];
	char subject[256];
};

static void name_line(const X509_NAME *n, char *buf, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long len;

	buf[0] = '\0';
	if (!bio)
		return;
	/* RFC 2253 with UTF-8 kept as is: the form `openssl x509 -nameopt rfc2253` prints. */
	if (X509_NAME_print_ex(bio, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(bio, &p);
		if (len > 0) {
			size_t n2 = (size_t)len < size - 1 ? (size_t)len : size - 1;

			memcpy(buf, p, n2);
			buf[n2] = '\0';
		}
	}
	BIO_free(bio);
}

static void time_line(const ASN1_TIME *t, char *buf, size_t size)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm)) {
		snprintf(buf, size, "?");
		return;
	}
	/* The modulo bounds each field for the compiler; ASN1_TIME_to_tm already did for the values. */
	snprintf(buf, size, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

static int cert_wrap(X509 *x, struct ib_cert **out)
{
	struct ib_cert *c;
	unsigned char *der = NULL;
	char subject[256];
	int n;

	if (X509_check_ca(x) == 0) {
		name_line(X509_get_subject_name(x), subject, sizeof(subject));
		return ib_fail(IB_E_KEY, "certificate '%s' is not a CA certificate (no basicConstraints CA:TRUE)",
			       subject);
	}
	n = i2d_X509(x, &der);
	if (n <= 0)
		return ib_crypto_fail("encoding certificate");
	c = calloc(1, sizeof(*c));
	if (!c) {
		OPENSSL_free(der);
		return -ENOMEM;
	}
	c->x = x;
	c->der = der;
	c->derlen = (size_t)n;
	ib_sha256(der, (size_t)n, c->fp);
	name_line(X509_get_subject_name(x), c->subject, sizeof(c->subject));
	*out = c;
	return 0;
}

int ib_cert_from_der(const uint8_t *der, size_t len, struct ib_cert **out)
{
	const unsigned char *p = der;
	X509 *x;
	int rc;

	if (len > CERT_FILE_MAX)
		return ib_fail(IB_E_KEY, "certificate too large");
	x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		X509_free(x);
		ERR_clear_error();
		return ib_fail(IB_E_KEY, "not a DER X.509 certificate");
	}
	rc = cert_wrap(x, out);
	if (rc)
		X509_free(x);
	return rc;
}

int ib_cert_load(const char *path, struct ib_cert **out)
{
	char *buf;
	size_t n;
	BIO *bio;
	X509 *x;
	int rc = ib_read_file(path, CERT_FILE_MAX, IB_READ_QUIET, &buf, &n);

	if (rc == -EFBIG)
		return ib_fail(IB_E_KEY, "'%s': certificate file larger than %d bytes", path, CERT_FILE_MAX);
	if (rc)
		return ib_fail(rc, "cannot open '%s': %s", path, strerror(-rc));
	if (!strstr(buf, "-----BEGIN")) {
		rc = ib_cert_from_der((const uint8_t *)buf, n, out);
		free(buf);
		return rc ? ib_fail_ctx(rc, "'%s': ", path) : 0;
	}
	bio = BIO_new_mem_buf(buf, (int)n);
	x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	free(buf);
	if (!x) {
		ERR_clear_error();
		return ib_fail(IB_E_KEY, "'%s' is not a PEM or DER X.509 certificate", path);
	}
	rc = cert_wrap(x, out);
	if (rc) {
		X509_free(x);
		return ib_fail_ctx(rc, "'%s': ", path);
	}
	return 0;
}

void ib_cert_der(const struct ib_cert *c, const uint8_t **der, size_t *len)
{
	*der = c->der;
	*len = c->derlen;
}

const uint8_t *ib_cert_fingerprint(const struct ib_cert *c)
{
	return c->fp;
}
const char *ib_cert_subject(const struct ib_cert *c)
{
	return c->subject;
}

void ib_cert_free(struct ib_cert *c)
{
	if (!c)
		return;
	X509_free(c->x);
	OPENSSL_free(c->der);
	free(c);
}

/* ---- CMS ---- */

/* Parses der as a detached SignedData over id-data with exactly one signer using a SHA-2 digest:
 * the only shape ibpack writes or accepts, so nothing else reaches the verifier. */
static int cms_parse(const uint8_t *der, size_t len, CMS_ContentInfo **out, CMS_SignerInfo **si)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms;
	STACK_OF(CMS_SignerInfo) * sis;
	X509_ALGOR *dig = NULL;
	const char *why = NULL;
	int nid;

	if (len == 0 || len > IB_SIG_MAX)
		return ib_fail(IB_E_SIGNATURE, "CMS signature of %zu bytes", len);
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (!cms || p != der + len) {
		CMS_ContentInfo_free(cms);
		ERR_clear_error();
		return ib_fail(IB_E_SIGNATURE, "not a DER CMS signature");
	}
	sis = CMS_get0_SignerInfos(cms);
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		why = "not a SignedData";
	else if (CMS_is_detached(cms) != 1)
		why = "the content is embedded (a detached signature is needed: openssl cms -sign without -nodetach)";
	else if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data)
		why = "the signed content type is not id-data";
	else if (!sis || sk_CMS_SignerInfo_num(sis) != 1)
		why = "it must have exactly one signer";
	if (!why) {
		*si = sk_CMS_SignerInfo_value(sis, 0);
		CMS_SignerInfo_get0_algs(*si, NULL, NULL, &dig, NULL);
		nid = dig ? OBJ_obj2nid(dig->algorithm) : NID_undef;
		if (nid != NID_sha256 && nid != NID_sha384 && nid != NID_sha512)
			why = "its digest is not SHA-256, SHA-384 or SHA-512";
	}
	if (why) {
		CMS_ContentInfo_free(cms);
		ERR_clear_error();
		return ib_fail(IB_E_SIGNATURE, "CMS signature: %s", why);
	}
	*out = cms;
	return 0;
}

/* The signer's certificate, from the certificates the CMS carries (a reference into certs). */
static X509 *cms_signer(CMS_SignerInfo *si, STACK_OF(X509) * certs)
{
	for (int i = 0; certs && i < sk_X509_num(certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			return sk_X509_value(certs, i);
	return NULL;
}

/* ECDSA on a NIST curve or RSA of 2048+ bits: the leaf keys an organisation's PKI issues. */
static int leaf_key(X509 *x, struct ib_cms_info *info)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	unsigned char *der = NULL;
	char group[64];
	size_t glen = 0;
	int n;

	if (!k)
		return ib_fail(IB_E_SIGNATURE, "CMS signer certificate has an unreadable public key");
	if (EVP_PKEY_is_a(k, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), &glen))
			return ib_fail(IB_E_SIGNATURE, "CMS signer key: unknown EC curve");
		if (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"))
			snprintf(info->key, sizeof(info->key), "ecdsa-p256");
		else if (!strcmp(group, "secp384r1") || !strcmp(group, "P-384"))
			snprintf(info->key, sizeof(info->key), "ecdsa-p384");
		else if (!strcmp(group, "secp521r1") || !strcmp(group, "P-521"))
			snprintf(info->key, sizeof(info->key), "ecdsa-p521");
		else
			return ib_fail(IB_E_SIGNATURE, "CMS signer key on curve '%s': P-256, P-384 or P-521 needed",
				       group);
	} else if (EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_is_a(k, "RSA-PSS")) {
		if (EVP_PKEY_get_bits(k) < 2048)
			return ib_fail(IB_E_SIGNATURE, "CMS signer key: RSA of %d bits (2048 or more needed)",
				       EVP_PKEY_get_bits(k));
		snprintf(info->key, sizeof(info->key), "rsa-%d", EVP_PKEY_get_bits(k));
	} else {
		return ib_fail(IB_E_SIGNATURE, "CMS signer key of type '%s': ECDSA or RSA needed",
			       EVP_PKEY_get0_type_name(k));
	}
	n = i2d_PUBKEY(k, &der);
	if (n <= 0)
		return ib_crypto_fail("encoding the CMS signer key");
	ib_sha256(der, (size_t)n, info->keyid);
	OPENSSL_free(der);
	return 0;
}

static int describe(CMS_SignerInfo *si, STACK_OF(X509) * certs, struct ib_cms_info *info, X509 **signer)
{
	X509 *x = cms_signer(si, certs);

	memset(info, 0, sizeof(*info));
	if (!x)
		return ib_fail(IB_E_SIGNATURE, "CMS signature does not carry its signer's certificate "
					       "(sign without -nocerts)");
	name_line(X509_get_subject_name(x), info->subject, sizeof(info->subject));
	name_line(X509_get_issuer_name(x), info->issuer, sizeof(info->issuer));
	time_line(X509_get0_notAfter(x), info->not_after, sizeof(info->not_after));
	*signer = x;
	return leaf_key(x, info);
}

int ib_cms_inspect(const uint8_t *der, size_t len, struct ib_cms_info *info)
{
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	STACK_OF(X509) * certs;
	X509 *signer;
	int rc = cms_parse(der, len, &cms, &si);

	if (rc) {
		memset(info, 0, sizeof(*info));
		return rc;
	}
	certs = CMS_get1_certs(cms);
	rc = describe(si, certs, info, &signer);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	return rc;
}

static int outside_validity(X509 *x)
{
	return X509_cmp_current_time(X509_get0_notBefore(x)) >= 0 || X509_cmp_current_time(X509_get0_notAfter(x)) <= 0;
}

static int check_chain(X509 *signer, STACK_OF(X509) * certs, struct ib_cert *const *cas, size_t ncas,
		       struct ib_cms_info *info)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) * chain;
	int rc = 0, err;

	if (!store || !ctx) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ncas; i++)
		if (!X509_STORE_add_cert(store, cas[i]->x)) {
			rc = ib_crypto_fail("adding a trusted CA");
			goto out;
		}
	/* Any listed CA is an anchor, even an intermediate; time is checked below, as a warning. */
	if (!X509_STORE_CTX_init(ctx, store, signer, certs)) {
		rc = ib_crypto_fail("certificate chain init");
		goto out;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(ctx), 2);
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		ERR_clear_error();
		rc = ib_fail(IB_E_UNTRUSTED, "the certificate chain of '%s' does not lead to a trusted CA: %s",
			     info->subject, X509_verify_cert_error_string(err));
		goto out;
	}
	chain = X509_STORE_CTX_get0_chain(ctx);
	for (int i = 0; chain && i < sk_X509_num(chain); i++)
		info->expired |= outside_validity(sk_X509_value(chain, i));
	if (chain && sk_X509_num(chain) > 0)
		name_line(X509_get_subject_name(sk_X509_value(chain, sk_X509_num(chain) - 1)), info->anchor,
			  sizeof(info->anchor));
	info->chain_ok = 1;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

int ib_cms_verify(const uint8_t *der, size_t len, const uint8_t *msg, size_t msglen, struct ib_cert *const *cas,
		  size_t ncas, struct ib_cms_info *info)
{
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	STACK_OF(X509) *certs = NULL;
	X509 *signer;
	BIO *content = NULL;
	int rc = cms_parse(der, len, &cms, &si);

	if (rc) {
		memset(info, 0, sizeof(*info));
		return rc;
	}
	certs = CMS_get1_certs(cms);
	if ((rc = describe(si, certs, info, &signer)) || !msg)
		goto chain;
	if (msglen > INT32_MAX || !(content = BIO_new_mem_buf(msg, (int)msglen))) {
		rc = -ENOMEM;
		goto out;
	}
	/* The signature itself, by the certificate found above; the chain is ours to check. */
	if (CMS_verify(cms, NULL, NULL, content, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		ERR_clear_error();
		rc = ib_fail(IB_E_SIGNATURE, "CMS signature by '%s' does not verify", info->subject);
		goto out;
	}
chain:
	if (rc)
		goto out;
	if (ncas == 0)
		rc = ib_fail(IB_E_UNTRUSTED, "CMS signature by '%s': no trusted CA to check its chain against",
			     info->subject);
	else
		rc = check_chain(signer, certs, cas, ncas, info);
out:
	BIO_free(content);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	return rc;
}

int ib_pkcs7_is_signed_data(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	PKCS7 *p7;
	int ok;

	if (!der || !len || len > (size_t)LONG_MAX)
		return 0;
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	/* DER may be followed by the entry's zero padding, nothing else. */
	ok = p7 && PKCS7_type_is_signed(p7) && p7->d.sign && p7->d.sign->signer_info &&
	     sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info) > 0;
	for (const unsigned char *q = p; ok && q < der + len; q++)
		ok = *q == 0;
	PKCS7_free(p7);
	return ok;
}
