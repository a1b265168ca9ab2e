/* Encoding and parsing of the signature block (algorithm, key id, signature bytes). */
#include "format.h"

#include "../base/err.h"
#include "../base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ib_sigblock_add(struct ib_sigblock *sb, int alg, const uint8_t keyid[IB_KEYID_LEN], const uint8_t *sig, size_t len)
{
	struct ib_signature *s;

	if (sb->count >= IB_SIG_COUNT_MAX)
		return ib_fail(IB_E_LIMIT, "at most %d signatures per bundle", IB_SIG_COUNT_MAX);
	if (len == 0 || len > IB_SIG_MAX)
		return ib_fail(IB_E_FORMAT, "signature of %zu bytes", len);
	s = &sb->sigs[sb->count];
	s->sig = malloc(len);
	if (!s->sig)
		return -ENOMEM;
	memcpy(s->sig, sig, len);
	s->len = len;
	s->alg = (uint16_t)alg;
	memcpy(s->keyid, keyid, IB_KEYID_LEN);
	sb->count++;
	return 0;
}

void ib_sigblock_release(struct ib_sigblock *sb)
{
	for (size_t i = 0; i < sb->count; i++)
		free(sb->sigs[i].sig);
	sb->count = 0;
}

int ib_sigblock_decode(const uint8_t *in, size_t len, struct ib_sigblock *out)
{
	size_t pos = 12, count;
	int rc;

	out->count = 0;
	if (len < 12 || memcmp(in, IB_SIGBLOCK_MAGIC, 8) != 0)
		return ib_fail(IB_E_FORMAT, "signature block: bad magic");
	count = ib_get_le32(in + 8);
	/* 0 is an unsigned bundle waiting for attach-signature: well-formed, but never trusted. */
	if (count > IB_SIG_COUNT_MAX)
		return ib_fail(IB_E_FORMAT, "signature block: %zu signatures (at most %d)", count, IB_SIG_COUNT_MAX);
	for (size_t i = 0; i < count; i++) {
		uint32_t slen;
		uint16_t alg;

		if (len - pos < 40)
			goto truncated;
		alg = ib_get_le16(in + pos);
		if (ib_get_le16(in + pos + 2) != 0)
			goto bad;
		slen = ib_get_le32(in + pos + 36);
		if (slen == 0 || slen > IB_SIG_MAX || len - pos - 40 < slen)
			goto truncated;
		rc = ib_sigblock_add(out, alg, in + pos + 4, in + pos + 40, slen);
		if (rc) {
			ib_sigblock_release(out);
			return rc;
		}
		pos += 40 + (size_t)slen;
	}
	if (pos != len)
		goto bad;
	return 0;
truncated:
	ib_sigblock_release(out);
	return ib_fail(IB_E_FORMAT, "signature block: entry runs past the block");
bad:
	ib_sigblock_release(out);
	return ib_fail(IB_E_FORMAT, "signature block: malformed entry");
}

int ib_sigblock_encode(const struct ib_sigblock *sb, uint8_t **out, size_t *outlen)
{
	struct ib_buf b;
	uint8_t hdr[40];
	int rc;

	ib_buf_init(&b, IB_SIGBLOCK_MAX);
	memcpy(hdr, IB_SIGBLOCK_MAGIC, 8);
	ib_put_le32(hdr + 8, (uint32_t)sb->count);
	rc = ib_buf_append(&b, hdr, 12);
	for (size_t i = 0; !rc && i < sb->count; i++) {
		const struct ib_signature *s = &sb->sigs[i];

		ib_put_le16(hdr, s->alg);
		ib_put_le16(hdr + 2, 0);
		memcpy(hdr + 4, s->keyid, IB_KEYID_LEN);
		ib_put_le32(hdr + 36, (uint32_t)s->len);
		rc = ib_buf_append(&b, hdr, 40);
		if (!rc)
			rc = ib_buf_append(&b, s->sig, s->len);
	}
	if (rc) {
		ib_buf_release(&b);
		return rc;
	}
	*out = b.data;
	*outlen = b.len;
	return 0;
}
