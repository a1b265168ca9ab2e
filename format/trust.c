/* The trust area embedded in a stub (trusted keys and CAs, revoked key ids, the signature
 * threshold) and the check of a signature block against it. */
#include "format.h"

#include "../base/err.h"
#include "../base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The full 16-byte magic must occur exactly once in a stub image: in its trust area. So code
 * never spells it as one literal, which the compiler would place in the image a second time. */
static int magic_at(const uint8_t *p)
{
	return memcmp(p, "IBPACK-TRUST-v", 14) == 0 && p[14] == '1' && p[15] == '\0';
}

static void put_magic(uint8_t *p)
{
	memcpy(p, "IBPACK-TRUST-v", 14);
	p[14] = '1';
	p[15] = '\0';
}

int ib_trust_add_key(struct ib_trust *t, struct ib_pubkey *k)
{
	for (size_t i = 0; i < t->nkeys; i++) {
		if (!memcmp(ib_pubkey_id(t->keys[i]), ib_pubkey_id(k), IB_KEYID_LEN)) {
			ib_pubkey_free(k); /* the same key twice is trusted once */
			return 0;
		}
	}
	if (t->nkeys >= IB_ARRAY_LEN(t->keys)) {
		ib_pubkey_free(k);
		return ib_fail(IB_E_LIMIT, "at most %zu trusted keys", IB_ARRAY_LEN(t->keys));
	}
	t->keys[t->nkeys++] = k;
	return 0;
}

int ib_trust_add_ca(struct ib_trust *t, struct ib_cert *c)
{
	for (size_t i = 0; i < t->ncas; i++) {
		if (!memcmp(ib_cert_fingerprint(t->cas[i]), ib_cert_fingerprint(c), IB_SHA256_LEN)) {
			ib_cert_free(c);
			return 0;
		}
	}
	if (t->ncas >= IB_ARRAY_LEN(t->cas)) {
		ib_cert_free(c);
		return ib_fail(IB_E_LIMIT, "at most %zu trusted CA certificates", IB_ARRAY_LEN(t->cas));
	}
	t->cas[t->ncas++] = c;
	return 0;
}

void ib_trust_release(struct ib_trust *t)
{
	for (size_t i = 0; i < t->nkeys; i++)
		ib_pubkey_free(t->keys[i]);
	for (size_t i = 0; i < t->ncas; i++)
		ib_cert_free(t->cas[i]);
	memset(t, 0, sizeof(*t));
}

int ib_trust_resolve(const uint8_t *area, const char *const *keys, size_t nkeys, const char *const *cas, size_t ncas,
		     uint32_t threshold, struct ib_trust *t)
{
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->threshold = 1;
	if (area && (rc = ib_trust_decode(area, IB_TRUST_AREA_SIZE, t)))
		return rc;
	if (nkeys || ncas) {
		for (size_t i = 0; i < t->nkeys; i++)
			ib_pubkey_free(t->keys[i]);
		for (size_t i = 0; i < t->ncas; i++)
			ib_cert_free(t->cas[i]);
		t->nkeys = t->ncas = 0;
	}
	for (size_t i = 0; !rc && i < nkeys; i++) {
		struct ib_pubkey *k;

		/* A file given as a key that is not one is a mistake in the command line (exit 1). */
		if (!(rc = ib_pubkey_load(keys[i], &k)))
			rc = ib_trust_add_key(t, k);
		else if (rc != -ENOMEM)
			rc = ib_usage_error(rc, "--trust");
	}
	for (size_t i = 0; !rc && i < ncas; i++) {
		struct ib_cert *c;

		if (!(rc = ib_cert_load(cas[i], &c)))
			rc = ib_trust_add_ca(t, c);
		else if (rc != -ENOMEM)
			rc = ib_usage_error(rc, "--trust-ca");
	}
	if (!rc && threshold)
		t->threshold = threshold;
	if (rc)
		ib_trust_release(t);
	return rc;
}

int ib_trust_decode(const uint8_t *area, size_t size, struct ib_trust *t)
{
	size_t used, pos = IB_TRUST_HDR;
	int rc;

	memset(t, 0, sizeof(*t));
	t->threshold = 1;
	if (size < IB_TRUST_HDR || !magic_at(area))
		return ib_fail(IB_E_FORMAT, "trust area: bad magic");
	used = ib_get_le32(area + IB_TRUST_MAGIC_LEN);
	if (used > size - IB_TRUST_HDR)
		return ib_fail(IB_E_FORMAT, "trust area: length out of range");
	while (pos < IB_TRUST_HDR + used) {
		uint8_t type, alg;
		uint16_t len;
		const uint8_t *val;
		struct ib_pubkey *k;
		struct ib_cert *ca;

		if (IB_TRUST_HDR + used - pos < 4)
			goto bad;
		type = area[pos];
		alg = area[pos + 1];
		len = ib_get_le16(area + pos + 2);
		val = area + pos + 4;
		if (IB_TRUST_HDR + used - pos - 4 < len)
			goto bad;
		switch (type) {
		case IB_TRUST_KEY:
			rc = ib_pubkey_from_der(val, len, &k);
			if (rc == -ENOMEM)
				goto fail;
			if (rc) /* a damaged stub, not a key problem of the caller: exit 2 */
				goto bad;
			if (ib_pubkey_alg(k) != alg) {
				ib_pubkey_free(k);
				goto bad;
			}
			rc = ib_trust_add_key(t, k);
			if (rc)
				goto fail;
			break;
		case IB_TRUST_REVOKED:
			if (len != IB_KEYID_LEN || t->nrevoked >= IB_ARRAY_LEN(t->revoked))
				goto bad;
			memcpy(t->revoked[t->nrevoked++], val, IB_KEYID_LEN);
			break;
		case IB_TRUST_THRESHOLD:
			if (len != 4)
				goto bad;
			t->threshold = ib_get_le32(val);
			if (t->threshold == 0)
				goto bad;
			break;
		case IB_TRUST_CA:
			if (alg != 0)
				goto bad;
			rc = ib_cert_from_der(val, len, &ca);
			if (rc == -ENOMEM)
				goto fail;
			if (rc) /* as for keys */
				goto bad;
			rc = ib_trust_add_ca(t, ca);
			if (rc)
				goto fail;
			break;
		default: goto bad;
		}
		pos += 4 + (size_t)len;
	}
	return 0;
bad:
	rc = ib_fail(IB_E_FORMAT, "trust area: malformed record at byte %zu", pos);
fail:
	ib_trust_release(t);
	return rc;
}

static int put_rec(uint8_t *area, size_t size, size_t *pos, int type, int alg, const uint8_t *val, size_t len)
{
	if (len > 0xffff || size - *pos < 4 + len)
		return ib_fail(IB_E_LIMIT, "trust area full (%d bytes)", IB_TRUST_AREA_SIZE);
	area[*pos] = (uint8_t)type;
	area[*pos + 1] = (uint8_t)alg;
	ib_put_le16(area + *pos + 2, (uint16_t)len);
	memcpy(area + *pos + 4, val, len);
	*pos += 4 + len;
	return 0;
}

int ib_trust_encode(const struct ib_trust *t, uint8_t *area, size_t size)
{
	size_t pos = IB_TRUST_HDR;
	uint8_t thr[4];
	int rc = 0;

	if (size < IB_TRUST_HDR)
		return IB_E_LIMIT;
	memset(area, 0, size);
	put_magic(area);
	for (size_t i = 0; !rc && i < t->nkeys; i++) {
		const uint8_t *der;
		size_t len;

		ib_pubkey_der(t->keys[i], &der, &len);
		rc = put_rec(area, size, &pos, IB_TRUST_KEY, ib_pubkey_alg(t->keys[i]), der, len);
	}
	for (size_t i = 0; !rc && i < t->ncas; i++) {
		const uint8_t *der;
		size_t len;

		ib_cert_der(t->cas[i], &der, &len);
		rc = put_rec(area, size, &pos, IB_TRUST_CA, 0, der, len);
	}
	for (size_t i = 0; !rc && i < t->nrevoked; i++)
		rc = put_rec(area, size, &pos, IB_TRUST_REVOKED, 0, t->revoked[i], IB_KEYID_LEN);
	if (!rc && t->threshold > 1) {
		ib_put_le32(thr, t->threshold);
		rc = put_rec(area, size, &pos, IB_TRUST_THRESHOLD, 0, thr, 4);
	}
	if (rc)
		return rc;
	ib_put_le32(area + IB_TRUST_MAGIC_LEN, (uint32_t)(pos - IB_TRUST_HDR));
	return 0;
}

int ib_trust_locate(const uint8_t *image, size_t len, size_t *offset)
{
	const uint8_t *p = image, *end = image + len, *hit = NULL;

	while (end - p >= IB_TRUST_AREA_SIZE) {
		const uint8_t *m = memchr(p, IB_TRUST_MAGIC[0], (size_t)(end - p) - IB_TRUST_AREA_SIZE + 1);

		if (!m)
			break;
		if (magic_at(m)) {
			if (hit)
				return ib_fail(IB_E_FORMAT, "stub holds more than one trust area");
			hit = m;
		}
		p = m + 1;
	}
	if (!hit)
		return ib_fail(IB_E_FORMAT, "not an ibpack stub: no trust area found");
	*offset = (size_t)(hit - image);
	return 0;
}

int ib_trust_is_revoked(const struct ib_trust *t, const uint8_t keyid[IB_KEYID_LEN])
{
	for (size_t i = 0; i < t->nrevoked; i++)
		if (!memcmp(t->revoked[i], keyid, IB_KEYID_LEN))
			return 1;
	return 0;
}

static const struct ib_pubkey *trusted_key(const struct ib_trust *t, const uint8_t *keyid)
{
	for (size_t j = 0; j < t->nkeys; j++)
		if (!memcmp(ib_pubkey_id(t->keys[j]), keyid, IB_KEYID_LEN))
			return t->keys[j];
	return NULL;
}

const char *ib_sig_state_name(int state)
{
	switch (state) {
	case IB_SIG_COUNTED: return "counted";
	case IB_SIG_DUPLICATE: return "duplicate";
	case IB_SIG_REVOKED: return "revoked";
	case IB_SIG_UNTRUSTED: return "untrusted";
	case IB_SIG_INVALID: return "invalid";
	default: return "unchecked";
	}
}

/* A CMS signature counts when its chain ends at a trusted CA and its signer is the key id the
 * block names (so revocation and the distinct-key count see the certificate's key). */
static int check_cms(const struct ib_trust *t, const struct ib_signature *s, const uint8_t *msg, size_t len, int *state)
{
	struct ib_cms_info info;
	char idhex[2 * IB_KEYID_LEN + 1];
	int rc;

	if (t->ncas == 0) {
		*state = IB_SIG_UNTRUSTED;
		return 0;
	}
	rc = ib_cms_verify(s->sig, s->len, msg, len, t->cas, t->ncas, &info);
	if (!rc && memcmp(info.keyid, s->keyid, IB_KEYID_LEN) != 0) {
		ib_hex_encode(s->keyid, IB_KEYID_LEN, idhex);
		rc = ib_fail(IB_E_SIGNATURE,
			     "CMS signature by '%s' is filed under key id %.16s, which is not "
			     "its certificate's key",
			     info.subject, idhex);
	}
	if (rc == IB_E_UNTRUSTED) {
		*state = IB_SIG_UNTRUSTED;
		return 0;
	}
	*state = rc ? IB_SIG_INVALID : IB_SIG_COUNTED;
	return rc;
}

int ib_trust_evaluate(const struct ib_trust *t, const struct ib_sigblock *sb, const uint8_t *msg, size_t len,
		      int state[IB_SIG_COUNT_MAX], size_t *valid)
{
	const uint8_t *counted[IB_SIG_COUNT_MAX];
	size_t ncounted = 0;
	int last_bad = 0, rc;
	char idhex[2 * IB_KEYID_LEN + 1];

	*valid = 0;
	for (size_t i = 0; i < sb->count && i < IB_SIG_COUNT_MAX; i++) {
		const struct ib_signature *s = &sb->sigs[i];
		const struct ib_pubkey *k = NULL;
		int dup = 0;

		if (ib_trust_is_revoked(t, s->keyid)) {
			state[i] = IB_SIG_REVOKED;
			continue;
		}
		for (size_t j = 0; j < ncounted; j++)
			dup |= !memcmp(counted[j], s->keyid, IB_KEYID_LEN);
		if (dup) {
			state[i] = IB_SIG_DUPLICATE;
			continue;
		}
		if (s->alg == IB_ALG_CMS) {
			rc = check_cms(t, s, msg, len, &state[i]);
			if (rc)
				last_bad = rc;
			if (state[i] == IB_SIG_COUNTED)
				counted[ncounted++] = s->keyid;
			continue;
		}
		k = trusted_key(t, s->keyid);
		if (!k) {
			state[i] = IB_SIG_UNTRUSTED;
			continue;
		}
		if (ib_verify(k, s->alg, msg, len, s->sig, s->len) != 0) {
			ib_hex_encode(s->keyid, IB_KEYID_LEN, idhex);
			last_bad = ib_fail(IB_E_SIGNATURE,
					   "signature by trusted key %.16s does not verify "
					   "(the manifest or the signature was altered)",
					   idhex);
			state[i] = IB_SIG_INVALID;
			continue;
		}
		state[i] = IB_SIG_COUNTED;
		counted[ncounted++] = s->keyid;
	}
	*valid = ncounted;
	if (ncounted >= t->threshold && ncounted > 0)
		return 0;
	if (last_bad)
		return last_bad;
	return IB_E_UNTRUSTED; /* the caller explains which keys signed and which are trusted */
}

int ib_trust_check(const struct ib_trust *t, const struct ib_sigblock *sb, const uint8_t *msg, size_t len,
		   size_t *valid)
{
	int state[IB_SIG_COUNT_MAX];

	return ib_trust_evaluate(t, sb, msg, len, state, valid);
}

/* Appends to buf (NUL-terminated, never overrun), keeping *len at the text's length. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(IB_PRINTF_FMT, 4, 5)));
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;

	if (*len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	*len += strlen(buf + *len);
}

/* Why a signature cannot count, as far as is known without verifying it. A CMS signature's
 * chain is checked (without the manifest): this runs only to explain a rejection. */
static const char *static_state(const struct ib_trust *t, const struct ib_signature *s)
{
	struct ib_cms_info info;

	if (ib_trust_is_revoked(t, s->keyid))
		return " (revoked)";
	if (s->alg == IB_ALG_CMS) {
		if (!t->ncas)
			return " (no trusted CA)";
		return ib_cms_verify(s->sig, s->len, NULL, 0, t->cas, t->ncas, &info) == IB_E_UNTRUSTED
			       ? " (its certificate chain does not lead to a trusted CA)"
			       : "";
	}
	return trusted_key(t, s->keyid) ? "" : " (not trusted)";
}

/* The CMS checks in an explanation record details of their own; the detail of the failure being
 * explained (a signature or trust failure) must survive them. ib_errmsg returns the detail
 * buffer, not the generic text, exactly when a detail is recorded for that code. */
static void explain_sigs(const struct ib_trust *t, const struct ib_sigblock *sb, char *buf, size_t size);

struct saved_err {
	int code;
	char text[1024];
};

static void err_save(struct saved_err *e)
{
	static const int codes[] = {IB_E_SIGNATURE, IB_E_UNTRUSTED, IB_E_FORMAT};

	e->code = 0;
	for (size_t i = 0; i < IB_ARRAY_LEN(codes) && !e->code; i++) {
		if (ib_errmsg(codes[i]) != ib_strerror(codes[i])) {
			e->code = codes[i];
			snprintf(e->text, sizeof(e->text), "%s", ib_errmsg(codes[i]));
		}
	}
}

static void err_restore(const struct saved_err *e)
{
	if (e->code)
		ib_fail(e->code, "%s", e->text);
}

void ib_trust_explain(const struct ib_trust *t, const struct ib_sigblock *sb, char *buf, size_t size)
{
	struct saved_err saved;

	err_save(&saved);
	explain_sigs(t, sb, buf, size);
	err_restore(&saved);
}

static void explain_sigs(const struct ib_trust *t, const struct ib_sigblock *sb, char *buf, size_t size)
{
	size_t len = 0;
	char hex[2 * IB_KEYID_LEN + 1];

	if (size == 0)
		return;
	buf[0] = '\0';
	if (sb->count == 0)
		append(buf, size, &len,
		       "signed by no key (an unsigned bundle: add signatures with "
		       "'ibpack attach-signature')");
	else
		append(buf, size, &len, "signed by ");
	for (size_t i = 0; i < sb->count; i++) {
		const struct ib_signature *s = &sb->sigs[i];
		struct ib_cms_info info;

		ib_hex_encode(s->keyid, IB_KEYID_LEN, hex);
		append(buf, size, &len, "%s%s key %.16s", i ? ", " : "", ib_alg_name(s->alg), hex);
		if (s->alg == IB_ALG_CMS && ib_cms_inspect(s->sig, s->len, &info) == 0)
			append(buf, size, &len, " ('%s', issued by '%s')", info.subject, info.issuer);
		append(buf, size, &len, "%s", static_state(t, s));
	}
	append(buf, size, &len, "; trusted: ");
	if (t->nkeys == 0)
		append(buf, size, &len, "none");
	for (size_t i = 0; i < t->nkeys; i++) {
		ib_hex_encode(ib_pubkey_id(t->keys[i]), IB_KEYID_LEN, hex);
		append(buf, size, &len, "%s%.16s", i ? ", " : "", hex);
	}
	for (size_t i = 0; i < t->ncas; i++)
		append(buf, size, &len, "%s'%s'", i ? ", CA " : "; trusted CA ", ib_cert_subject(t->cas[i]));
	if (t->threshold > 1)
		append(buf, size, &len, " (%u signatures required)", (unsigned)t->threshold);
}
