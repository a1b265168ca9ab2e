/* The trust area embedded in a stub: trusted keys, revoked key ids and the signature threshold. */
#include "format.h"

#include "err.h"
#include "util.h"

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

void ib_trust_release(struct ib_trust *t)
{
	for (size_t i = 0; i < t->nkeys; i++)
		ib_pubkey_free(t->keys[i]);
	memset(t, 0, sizeof(*t));
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
			if (rc)
				goto fail;
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
		default:
			goto bad;
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

static int put_rec(uint8_t *area, size_t size, size_t *pos, int type, int alg, const uint8_t *val,
		   size_t len)
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

static int is_revoked(const struct ib_trust *t, const uint8_t *id)
{
	for (size_t i = 0; i < t->nrevoked; i++)
		if (!memcmp(t->revoked[i], id, IB_KEYID_LEN))
			return 1;
	return 0;
}

int ib_trust_check(const struct ib_trust *t, const struct ib_sigblock *sb, const uint8_t *msg,
		   size_t len, size_t *valid)
{
	const uint8_t *counted[IB_SIG_COUNT_MAX];
	size_t ncounted = 0;
	int last_bad = 0;
	char idhex[2 * IB_KEYID_LEN + 1];

	*valid = 0;
	for (size_t i = 0; i < sb->count; i++) {
		const struct ib_signature *s = &sb->sigs[i];
		const struct ib_pubkey *k = NULL;
		int dup = 0;

		if (is_revoked(t, s->keyid))
			continue;
		for (size_t j = 0; j < t->nkeys && !k; j++)
			if (!memcmp(ib_pubkey_id(t->keys[j]), s->keyid, IB_KEYID_LEN))
				k = t->keys[j];
		if (!k)
			continue;
		for (size_t j = 0; j < ncounted; j++)
			dup |= !memcmp(counted[j], s->keyid, IB_KEYID_LEN);
		if (dup)
			continue;
		if (ib_verify(k, s->alg, msg, len, s->sig, s->len) != 0) {
			ib_hex_encode(s->keyid, IB_KEYID_LEN, idhex);
			last_bad = ib_fail(IB_E_SIGNATURE, "signature by trusted key %.16s does not verify "
					   "(the manifest or the signature was altered)", idhex);
			continue;
		}
		counted[ncounted++] = s->keyid;
	}
	*valid = ncounted;
	if (ncounted >= t->threshold && ncounted > 0)
		return 0;
	if (last_bad)
		return last_bad;
	return IB_E_UNTRUSTED; /* the caller explains which keys signed and which are trusted */
}

void ib_trust_explain(const struct ib_trust *t, const struct ib_sigblock *sb, char *buf, size_t size)
{
	size_t len = 0;
	char hex[2 * IB_KEYID_LEN + 1];

	snprintf(buf, size, "signed by ");
	len = strlen(buf);
	for (size_t i = 0; i < sb->count && len < size; i++) {
		ib_hex_encode(sb->sigs[i].keyid, IB_KEYID_LEN, hex);
		snprintf(buf + len, size - len, "%s%s key %.16s%s", i ? ", " : "", ib_alg_name(sb->sigs[i].alg),
			 hex, is_revoked(t, sb->sigs[i].keyid) ? " (revoked)" : "");
		len += strlen(buf + len);
	}
	snprintf(buf + len, size - len, "; trusted: ");
	len += strlen(buf + len);
	if (t->nkeys == 0 && len < size)
		snprintf(buf + len, size - len, "none");
	for (size_t i = 0; i < t->nkeys && len < size; i++) {
		ib_hex_encode(ib_pubkey_id(t->keys[i]), IB_KEYID_LEN, hex);
		snprintf(buf + len, size - len, "%s%.16s", i ? ", " : "", hex);
		len += strlen(buf + len);
	}
	if (t->threshold > 1 && len < size)
		snprintf(buf + len, size - len, " (%u signatures required)", (unsigned)t->threshold);
}
