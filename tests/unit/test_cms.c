/* Unit tests for X.509/CMS (signing/cms.c, cms_sign.c) and CA records and CMS signatures in the trust area (format/trust.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../../base/err.h"
#include "../../format/format.h"
#include "../../base/util.h"

#define MKPKI "tests/fixtures/mkpki.sh"

static const uint8_t msg[] = "{\"format\":1,\"name\":\"cms test\"}";

struct pki {
	char dir[64];
};

/* DIR/name in one of a few rotating buffers, so several can be arguments of one call. */
static const char *at(struct pki *p, const char *name)
{
	static char paths[16][128];
	static int next;
	char *buf = paths[next++ % 16];

	snprintf(buf, sizeof(paths[0]), "%s/%s", p->dir, name);
	return buf;
}

static int setup_group(void **state)
{
	static struct pki p;
	char cmd[256];

	if (ib_crypto_init() || access(MKPKI, R_OK) != 0)
		return -1;
	snprintf(p.dir, sizeof(p.dir), "/tmp/ibpack-cms-XXXXXX");
	if (!mkdtemp(p.dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "sh %s %s ec", MKPKI, p.dir);
	if (system(cmd) != 0)
		return -1;
	*state = &p;
	return 0;
}

static int teardown_group(void **state)
{
	struct pki *p = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", p->dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct ib_cert *load_ca(struct pki *p, const char *name)
{
	struct ib_cert *c = NULL;

	assert_int_equal(ib_cert_load(at(p, name), &c), 0);
	return c;
}

/* Signs msg with the leaf (and the intermediate in the chain unless nochain). */
static void sign(struct pki *p, const char *leaf, int nochain, uint8_t **der, size_t *len)
{
	char *chain[1];
	char leafpem[32], leafkey[32];

	snprintf(leafpem, sizeof(leafpem), "%s.pem", leaf);
	snprintf(leafkey, sizeof(leafkey), "%s.key", leaf);
	chain[0] = (char *)at(p, "inter.pem");
	assert_int_equal(
		ib_cms_sign(at(p, leafpem), at(p, leafkey), chain, nochain ? 0 : 1, msg, sizeof(msg), der, len), 0);
}

static void leaf_keyid(struct pki *p, const char *pem, uint8_t out[IB_KEYID_LEN])
{
	FILE *f = fopen(at(p, pem), "r");
	X509 *x;
	unsigned char *der = NULL;
	int n;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	n = i2d_PUBKEY(X509_get0_pubkey(x), &der);
	assert_true(n > 0);
	ib_sha256(der, (size_t)n, out);
	OPENSSL_free(der);
	X509_free(x);
}

/* ---- certificates ---- */

static void test_cert_load(void **state)
{
	struct pki *p = *state;
	struct ib_cert *c = load_ca(p, "root.pem"), *d = NULL;
	const uint8_t *der;
	size_t len;
	char cmd[256];

	assert_string_equal(ib_cert_subject(c), "CN=Test Root CA,O=ibpack test");
	ib_cert_der(c, &der, &len);
	assert_int_equal(ib_cert_from_der(der, len, &d), 0);
	assert_memory_equal(ib_cert_fingerprint(c), ib_cert_fingerprint(d), IB_SHA256_LEN);
	ib_cert_free(d);
	/* DER files load too. */
	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s -outform DER -out %s", at(p, "root.pem"), at(p, "root.der"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ib_cert_load(at(p, "root.der"), &d), 0);
	assert_memory_equal(ib_cert_fingerprint(c), ib_cert_fingerprint(d), IB_SHA256_LEN);
	ib_cert_free(d);
	/* An intermediate is a CA; a leaf is not a trust anchor. */
	d = load_ca(p, "inter.pem");
	ib_cert_free(d);
	assert_int_equal(ib_cert_load(at(p, "leaf.pem"), &d), IB_E_KEY);
	assert_non_null(strstr(ib_errmsg(IB_E_KEY), "not a CA certificate"));
	/* Garbage, a trailing byte, a key file, a missing file. */
	assert_int_equal(ib_cert_from_der((const uint8_t *)"\x30\x03\x02\x01\x01", 5, &d), IB_E_KEY);
	{
		uint8_t *copy = malloc(len + 1);

		assert_non_null(copy);
		memcpy(copy, der, len);
		copy[len] = 0;
		assert_int_equal(ib_cert_from_der(copy, len + 1, &d), IB_E_KEY);
		assert_int_equal(ib_cert_from_der(copy, len - 1, &d), IB_E_KEY);
		free(copy);
	}
	assert_int_equal(ib_cert_load(at(p, "root.key"), &d), IB_E_KEY);
	assert_true(ib_cert_load(at(p, "nosuch.pem"), &d) < 0);
	ib_cert_free(c);
}

/* ---- CMS ---- */

static void test_sign_verify(void **state)
{
	struct pki *p = *state;
	struct ib_cert *root = load_ca(p, "root.pem");
	struct ib_cms_info info;
	uint8_t *der, id[IB_KEYID_LEN];
	size_t len;

	sign(p, "leaf", 0, &der, &len);
	assert_int_equal(ib_cms_verify(der, len, msg, sizeof(msg), &root, 1, &info), 0);
	assert_true(info.chain_ok);
	assert_false(info.expired);
	assert_string_equal(info.subject, "CN=Driver Release Signing,O=ibpack test");
	assert_string_equal(info.issuer, "CN=Test Signing CA,O=ibpack test");
	assert_string_equal(info.anchor, "CN=Test Root CA,O=ibpack test");
	assert_string_equal(info.key, "ecdsa-p256");
	leaf_keyid(p, "leaf.pem", id);
	assert_memory_equal(info.keyid, id, IB_KEYID_LEN);
	/* inspect reads the same signer without checking anything */
	memset(&info, 0, sizeof(info));
	assert_int_equal(ib_cms_inspect(der, len, &info), 0);
	assert_memory_equal(info.keyid, id, IB_KEYID_LEN);
	assert_false(info.chain_ok);
	free(der);
	ib_cert_free(root);
}

static void test_altered_message(void **state)
{
	struct pki *p = *state;
	struct ib_cert *root = load_ca(p, "root.pem");
	struct ib_cms_info info;
	uint8_t *der, altered[sizeof(msg)];
	size_t len;

	sign(p, "leaf", 0, &der, &len);
	memcpy(altered, msg, sizeof(msg));
	altered[5] ^= 1;
	assert_int_equal(ib_cms_verify(der, len, altered, sizeof(altered), &root, 1, &info), IB_E_SIGNATURE);
	assert_non_null(strstr(ib_errmsg(IB_E_SIGNATURE), "does not verify"));
	/* a flipped byte in the signature value (the last bytes of the DER) */
	der[len - 3] ^= 1;
	assert_true(ib_cms_verify(der, len, msg, sizeof(msg), &root, 1, &info) == IB_E_SIGNATURE);
	free(der);
	ib_cert_free(root);
}

static void test_untrusted_chains(void **state)
{
	struct pki *p = *state;
	struct ib_cert *root = load_ca(p, "root.pem"), *other = load_ca(p, "other.pem"),
		       *inter = load_ca(p, "inter.pem");
	struct ib_cms_info info;
	uint8_t *der;
	size_t len;

	sign(p, "leaf", 0, &der, &len);
	assert_int_equal(ib_cms_verify(der, len, msg, sizeof(msg), &other, 1, &info), IB_E_UNTRUSTED);
	assert_non_null(strstr(ib_errmsg(IB_E_UNTRUSTED), "does not lead to a trusted CA"));
	assert_false(info.chain_ok);
	assert_int_equal(ib_cms_verify(der, len, msg, sizeof(msg), NULL, 0, &info), IB_E_UNTRUSTED);
	assert_non_null(strstr(ib_errmsg(IB_E_UNTRUSTED), "no trusted CA"));
	/* an intermediate listed as trusted is an anchor by itself */
	assert_int_equal(ib_cms_verify(der, len, msg, sizeof(msg), &inter, 1, &info), 0);
	assert_string_equal(info.anchor, "CN=Test Signing CA,O=ibpack test");
	/* msg NULL: the chain alone */
	assert_int_equal(ib_cms_verify(der, len, NULL, 0, &other, 1, &info), IB_E_UNTRUSTED);
	assert_int_equal(ib_cms_verify(der, len, NULL, 0, &root, 1, &info), 0);
	free(der);
	/* without the intermediate in the CMS, the root alone cannot build the chain */
	sign(p, "leaf", 1, &der, &len);
	assert_int_equal(ib_cms_verify(der, len, msg, sizeof(msg), &root, 1, &info), IB_E_UNTRUSTED);
	assert_int_equal(ib_cms_verify(der, len, msg, sizeof(msg), &inter, 1, &info), 0);
	free(der);
	ib_cert_free(root);
	ib_cert_free(other);
	ib_cert_free(inter);
}

/* Validity periods are reported, not enforced: offline machines have unreliable clocks. */
static void test_expired_reported(void **state)
{
	struct pki *p = *state;
	struct ib_cert *root = load_ca(p, "root.pem");
	struct ib_cms_info info;
	uint8_t *der;
	size_t len;

	sign(p, "expired", 0, &der, &len);
	assert_int_equal(ib_cms_verify(der, len, msg, sizeof(msg), &root, 1, &info), 0);
	assert_true(info.expired);
	free(der);
	ib_cert_free(root);
}

static void test_weak_key_refused(void **state)
{
	struct pki *p = *state;
	struct ib_cert *root = load_ca(p, "root.pem");
	struct ib_cms_info info;
	uint8_t *der;
	size_t len;

	sign(p, "weak", 0, &der, &len);
	assert_int_equal(ib_cms_verify(der, len, msg, sizeof(msg), &root, 1, &info), IB_E_SIGNATURE);
	assert_non_null(strstr(ib_errmsg(IB_E_SIGNATURE), "RSA of 1024 bits"));
	free(der);
	ib_cert_free(root);
}

/* Runs openssl cms -sign with extra flags over msg and returns the DER. */
static void openssl_sign(struct pki *p, const char *flags, uint8_t **der, size_t *len)
{
	char cmd[1024];
	FILE *f;

	f = fopen(at(p, "msg.bin"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(msg, 1, sizeof(msg), f), sizeof(msg));
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "openssl cms -sign -binary -in %s -signer %s -inkey %s -certfile %s "
		 "-outform DER -out %s %s",
		 at(p, "msg.bin"), at(p, "leaf.pem"), at(p, "leaf.key"), at(p, "inter.pem"), at(p, "msg.p7s"), flags);
	assert_int_equal(system(cmd), 0);
	f = fopen(at(p, "msg.p7s"), "rb");
	assert_non_null(f);
	*der = malloc(IB_SIG_MAX + 1);
	assert_non_null(*der);
	*len = fread(*der, 1, IB_SIG_MAX + 1, f);
	fclose(f);
}

static void test_openssl_shapes(void **state)
{
	struct pki *p = *state;
	struct ib_cert *root = load_ca(p, "root.pem");
	struct ib_cms_info info;
	uint8_t *der;
	size_t len;

	/* what the docs tell people to run: accepted, with or without signed attributes */
	openssl_sign(p, "-noattr -md sha256", &der, &len);
	assert_int_equal(ib_cms_verify(der, len, msg, sizeof(msg), &root, 1, &info), 0);
	free(der);
	openssl_sign(p, "-md sha384", &der, &len);
	assert_int_equal(ib_cms_verify(der, len, msg, sizeof(msg), &root, 1, &info), 0);
	free(der);
	/* the content embedded instead of detached */
	openssl_sign(p, "-nodetach -md sha256", &der, &len);
	assert_int_equal(ib_cms_verify(der, len, msg, sizeof(msg), &root, 1, &info), IB_E_SIGNATURE);
	assert_non_null(strstr(ib_errmsg(IB_E_SIGNATURE), "embedded"));
	free(der);
	/* SHA-1 */
	openssl_sign(p, "-md sha1", &der, &len);
	assert_int_equal(ib_cms_verify(der, len, msg, sizeof(msg), &root, 1, &info), IB_E_SIGNATURE);
	assert_non_null(strstr(ib_errmsg(IB_E_SIGNATURE), "SHA-256"));
	free(der);
	/* no certificates inside */
	openssl_sign(p, "-nocerts -md sha256", &der, &len);
	assert_int_equal(ib_cms_verify(der, len, msg, sizeof(msg), &root, 1, &info), IB_E_SIGNATURE);
	assert_non_null(strstr(ib_errmsg(IB_E_SIGNATURE), "signer's certificate"));
	free(der);
	ib_cert_free(root);
}

static void test_malformed(void **state)
{
	struct pki *p = *state;
	struct ib_cert *root = load_ca(p, "root.pem");
	struct ib_cms_info info;
	uint8_t *der, *copy;
	size_t len;

	sign(p, "leaf", 0, &der, &len);
	copy = malloc(len + 1);
	assert_non_null(copy);
	memcpy(copy, der, len);
	copy[len] = 0;
	assert_int_equal(ib_cms_verify(copy, len + 1, msg, sizeof(msg), &root, 1, &info), IB_E_SIGNATURE);
	for (size_t cut = 0; cut < len; cut += 97)
		assert_int_equal(ib_cms_inspect(copy, cut, &info), IB_E_SIGNATURE);
	assert_int_equal(ib_cms_inspect((const uint8_t *)"garbage", 7, &info), IB_E_SIGNATURE);
	free(copy);
	free(der);
	ib_cert_free(root);
}

static void test_sign_errors(void **state)
{
	struct pki *p = *state;
	uint8_t *der = NULL;
	size_t len;

	/* a key that does not belong to the certificate */
	assert_int_equal(ib_cms_sign(at(p, "leaf.pem"), at(p, "root.key"), NULL, 0, msg, sizeof(msg), &der, &len),
			 IB_E_KEY);
	assert_non_null(strstr(ib_errmsg(IB_E_KEY), "not the private key"));
	assert_int_equal(ib_cms_sign(at(p, "leaf.key"), at(p, "leaf.key"), NULL, 0, msg, sizeof(msg), &der, &len),
			 IB_E_KEY);
	assert_true(ib_cms_sign(at(p, "nosuch.pem"), at(p, "leaf.key"), NULL, 0, msg, sizeof(msg), &der, &len) < 0);
	assert_null(der);
}

/* ---- trust area: CA records and CMS signatures ---- */

static void test_trust_ca_records(void **state)
{
	struct pki *p = *state;
	struct ib_trust t = {.threshold = 1}, d;
	uint8_t *area = calloc(1, IB_TRUST_AREA_SIZE);

	assert_non_null(area);
	assert_int_equal(ib_trust_add_ca(&t, load_ca(p, "root.pem")), 0);
	assert_int_equal(ib_trust_add_ca(&t, load_ca(p, "root.pem")), 0); /* the same CA once */
	assert_int_equal(t.ncas, 1);
	assert_int_equal(ib_trust_encode(&t, area, IB_TRUST_AREA_SIZE), 0);
	assert_int_equal(ib_trust_decode(area, IB_TRUST_AREA_SIZE, &d), 0);
	assert_int_equal(d.ncas, 1);
	assert_string_equal(ib_cert_subject(d.cas[0]), "CN=Test Root CA,O=ibpack test");
	ib_trust_release(&d);
	/* a CA record with a non-zero algorithm byte, or a leaf certificate, is malformed */
	area[IB_TRUST_HDR + 1] = 1;
	assert_int_equal(ib_trust_decode(area, IB_TRUST_AREA_SIZE, &d), IB_E_FORMAT);
	area[IB_TRUST_HDR + 1] = 0;
	/* a certificate that does not parse: a damaged stub, so a format error (exit 2) */
	area[IB_TRUST_HDR + 4] ^= 0xff;
	assert_int_equal(ib_trust_decode(area, IB_TRUST_AREA_SIZE, &d), IB_E_FORMAT);
	assert_int_equal(d.ncas, 0);
	area[IB_TRUST_HDR + 4] ^= 0xff;
	/* a leaf certificate in a CA record */
	{
		FILE *f = fopen(at(p, "leaf.pem"), "r");
		X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
		unsigned char *leaf = NULL;
		int n = x ? i2d_X509(x, &leaf) : 0;

		assert_true(n > 0);
		fclose(f);
		memset(area, 0, IB_TRUST_AREA_SIZE);
		t.ncas = 0;
		assert_int_equal(ib_trust_encode(&t, area, IB_TRUST_AREA_SIZE), 0);
		t.ncas = 1;
		area[IB_TRUST_HDR] = IB_TRUST_CA;
		ib_put_le16(area + IB_TRUST_HDR + 2, (uint16_t)n);
		memcpy(area + IB_TRUST_HDR + 4, leaf, (size_t)n);
		ib_put_le32(area + IB_TRUST_MAGIC_LEN, (uint32_t)(4 + n));
		assert_int_equal(ib_trust_decode(area, IB_TRUST_AREA_SIZE, &d), IB_E_FORMAT);
		assert_int_equal(d.ncas, 0);
		OPENSSL_free(leaf);
		X509_free(x);
	}
	ib_trust_release(&t);
	free(area);
}

static void add_cms(struct pki *p, struct ib_sigblock *sb, const char *leaf, const uint8_t *keyid)
{
	uint8_t *der, id[IB_KEYID_LEN];
	size_t len;
	char pem[32];

	snprintf(pem, sizeof(pem), "%s.pem", leaf);
	leaf_keyid(p, pem, id);
	sign(p, leaf, 0, &der, &len);
	assert_int_equal(ib_sigblock_add(sb, IB_ALG_CMS, keyid ? keyid : id, der, len), 0);
	free(der);
}

static void test_trust_evaluate_cms(void **state)
{
	struct pki *p = *state;
	struct ib_trust t = {.threshold = 1};
	struct ib_sigblock sb = {0};
	struct ib_privkey *k;
	struct ib_pubkey *kp;
	int st[IB_SIG_COUNT_MAX];
	uint8_t id[IB_KEYID_LEN], bogus[IB_KEYID_LEN];
	uint8_t *sig;
	size_t siglen, valid;
	char buf[1024];

	add_cms(p, &sb, "leaf", NULL);
	/* no CA: untrusted, and the explanation says why */
	assert_int_equal(ib_trust_evaluate(&t, &sb, msg, sizeof(msg), st, &valid), IB_E_UNTRUSTED);
	assert_int_equal(st[0], IB_SIG_UNTRUSTED);
	ib_trust_explain(&t, &sb, buf, sizeof(buf));
	assert_non_null(strstr(buf, "cms key"));
	assert_non_null(strstr(buf, "CN=Driver Release Signing"));
	assert_non_null(strstr(buf, "(no trusted CA)"));
	/* another CA: untrusted, explained as a chain problem */
	assert_int_equal(ib_trust_add_ca(&t, load_ca(p, "other.pem")), 0);
	assert_int_equal(ib_trust_evaluate(&t, &sb, msg, sizeof(msg), st, &valid), IB_E_UNTRUSTED);
	ib_trust_explain(&t, &sb, buf, sizeof(buf));
	assert_non_null(strstr(buf, "does not lead to a trusted CA"));
	assert_non_null(strstr(buf, "trusted CA 'CN=Other Root CA"));
	/* the right CA: counted */
	assert_int_equal(ib_trust_add_ca(&t, load_ca(p, "root.pem")), 0);
	assert_int_equal(ib_trust_evaluate(&t, &sb, msg, sizeof(msg), st, &valid), 0);
	assert_int_equal(st[0], IB_SIG_COUNTED);
	assert_int_equal(valid, 1);
	/* threshold 2: the same certificate twice is one signer; an Ed25519 key makes two */
	t.threshold = 2;
	add_cms(p, &sb, "leaf", NULL);
	assert_int_equal(ib_trust_evaluate(&t, &sb, msg, sizeof(msg), st, &valid), IB_E_UNTRUSTED);
	assert_int_equal(st[1], IB_SIG_DUPLICATE);
	assert_int_equal(ib_keygen(IB_ALG_ED25519, &k), 0);
	assert_int_equal(ib_privkey_public(k, &kp), 0);
	assert_int_equal(ib_sign(k, msg, sizeof(msg), &sig, &siglen), 0);
	assert_int_equal(ib_sigblock_add(&sb, IB_ALG_ED25519, ib_pubkey_id(kp), sig, siglen), 0);
	free(sig);
	assert_int_equal(ib_trust_evaluate(&t, &sb, msg, sizeof(msg), st, &valid), IB_E_UNTRUSTED);
	assert_int_equal(st[2], IB_SIG_UNTRUSTED);
	assert_int_equal(ib_trust_add_key(&t, kp), 0);
	assert_int_equal(ib_trust_evaluate(&t, &sb, msg, sizeof(msg), st, &valid), 0);
	assert_int_equal(valid, 2);
	/* revoking the certificate's key: its signatures never count */
	leaf_keyid(p, "leaf.pem", id);
	memcpy(t.revoked[t.nrevoked++], id, IB_KEYID_LEN);
	assert_int_equal(ib_trust_evaluate(&t, &sb, msg, sizeof(msg), st, &valid), IB_E_UNTRUSTED);
	assert_int_equal(st[0], IB_SIG_REVOKED);
	assert_int_equal(st[1], IB_SIG_REVOKED);
	assert_int_equal(valid, 1);
	ib_sigblock_release(&sb);
	/* a CMS entry filed under another key id is invalid, not counted */
	t.nrevoked = 0;
	t.threshold = 1;
	memset(bogus, 0xab, sizeof(bogus));
	add_cms(p, &sb, "leaf", bogus);
	assert_int_equal(ib_trust_evaluate(&t, &sb, msg, sizeof(msg), st, &valid), IB_E_SIGNATURE);
	assert_int_equal(st[0], IB_SIG_INVALID);
	assert_non_null(strstr(ib_errmsg(IB_E_SIGNATURE), "not its certificate's key"));
	/* explaining keeps the detail of the failure being explained */
	ib_trust_explain(&t, &sb, buf, sizeof(buf));
	assert_non_null(strstr(ib_errmsg(IB_E_SIGNATURE), "not its certificate's key"));
	ib_sigblock_release(&sb);
	ib_privkey_free(k);
	ib_trust_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_load),          cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_altered_message),    cmocka_unit_test(test_untrusted_chains),
		cmocka_unit_test(test_expired_reported),   cmocka_unit_test(test_weak_key_refused),
		cmocka_unit_test(test_openssl_shapes),     cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_sign_errors),        cmocka_unit_test(test_trust_ca_records),
		cmocka_unit_test(test_trust_evaluate_cms),
	};

	return cmocka_run_group_tests_name("cms", tests, setup_group, teardown_group);
}
