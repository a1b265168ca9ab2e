/* Encoding and consistency checks of the fixed-size bundle footer. */
#include "format.h"

#include "../base/err.h"
#include "../base/util.h"

#include <string.h>

void ib_footer_encode(const struct ib_footer *f, uint8_t out[IB_FOOTER_SIZE])
{
	memcpy(out, IB_FOOTER_MAGIC, 8);
	ib_put_le32(out + 8, f->version);
	ib_put_le32(out + 12, IB_FOOTER_SIZE);
	ib_put_le64(out + 16, f->stub_len);
	ib_put_le64(out + 24, f->manifest_off);
	ib_put_le64(out + 32, f->manifest_len);
	ib_put_le64(out + 40, f->sigblock_off);
	ib_put_le64(out + 48, f->sigblock_len);
	ib_put_le64(out + 56, f->bundle_len);
}

size_t ib_footer_layout(struct ib_footer *f, uint64_t sigblock_len)
{
	uint64_t used = f->sigblock_off + sigblock_len + IB_FOOTER_SIZE;
	size_t pad = (size_t)((IB_BUNDLE_ALIGN - used % IB_BUNDLE_ALIGN) % IB_BUNDLE_ALIGN);

	f->sigblock_len = sigblock_len;
	f->bundle_len = used + pad;
	return pad;
}

int ib_footer_decode(const uint8_t in[IB_FOOTER_SIZE], uint64_t end, struct ib_footer *f)
{
	if (memcmp(in, IB_FOOTER_MAGIC, 8) != 0)
		return ib_fail(IB_E_FORMAT, "no ibpack footer at the end of the file (truncated, "
					    "appended data, or not a bundle)");
	f->version = ib_get_le32(in + 8);
	if (f->version != IB_FORMAT_VERSION)
		return ib_fail(IB_E_FORMAT, "footer: unsupported format version %u", (unsigned)f->version);
	if (ib_get_le32(in + 12) != IB_FOOTER_SIZE)
		return ib_fail(IB_E_FORMAT, "footer: wrong footer size");
	f->stub_len = ib_get_le64(in + 16);
	f->manifest_off = ib_get_le64(in + 24);
	f->manifest_len = ib_get_le64(in + 32);
	f->sigblock_off = ib_get_le64(in + 40);
	f->sigblock_len = ib_get_le64(in + 48);
	f->bundle_len = ib_get_le64(in + 56);

	if (f->bundle_len != end)
		return ib_fail(f->bundle_len > end ? IB_E_TRUNCATED : IB_E_FORMAT,
			       "footer: bundle length %llu does not match the file (%llu bytes)",
			       (unsigned long long)f->bundle_len, (unsigned long long)end);
	/* Regions must be ordered, non-overlapping and inside the file; the comparisons are
	 * arranged so that no addition can overflow. */
	if (f->stub_len == 0 || f->stub_len > f->manifest_off || f->manifest_len == 0 ||
	    f->manifest_len > IB_MANIFEST_MAX || f->manifest_off > end || f->manifest_len > end - f->manifest_off ||
	    f->sigblock_off != f->manifest_off + f->manifest_len || f->sigblock_len == 0 ||
	    f->sigblock_len > IB_SIGBLOCK_MAX || f->sigblock_off > end || f->sigblock_len > end - f->sigblock_off ||
	    end < IB_FOOTER_SIZE || f->sigblock_off + f->sigblock_len > end - IB_FOOTER_SIZE ||
	    end - IB_FOOTER_SIZE - (f->sigblock_off + f->sigblock_len) >= IB_BUNDLE_ALIGN || end % IB_BUNDLE_ALIGN != 0)
		return ib_fail(IB_E_FORMAT, "footer: region offsets are inconsistent");
	return 0;
}
