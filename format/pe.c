/* Where a Windows PE stub keeps the fields Authenticode leaves out of its hash. */
#include "pe.h"

#include "../base/err.h"
#include "../base/util.h"

#include <string.h>

int ib_pe_inspect(const uint8_t *head, size_t len, struct ib_pe_info *pe)
{
	uint32_t lfanew, ndirs;
	size_t opt;

	memset(pe, 0, sizeof(*pe));
	if (len < 64 || head[0] != 'M' || head[1] != 'Z')
		return 0;
	lfanew = ib_get_le32(head + 0x3c);
	if (lfanew > len - 24 || memcmp(head + lfanew, "PE\0\0", 4) != 0)
		return ib_fail(IB_E_FORMAT, "MZ header without a PE signature");
	opt = (size_t)lfanew + 24;
	/* Only PE32+ (magic 0x20b) is produced by the x86-64 stub. */
	if (opt + 112 + 5 * 8 > len || ib_get_le16(head + opt) != 0x20b)
		return ib_fail(IB_E_FORMAT, "not a PE32+ image");
	ndirs = ib_get_le32(head + opt + 108);
	if (ndirs < 5)
		return ib_fail(IB_E_FORMAT, "PE image without a security directory entry");
	pe->is_pe = 1;
	pe->checksum_off = opt + 64;
	pe->certdir_off = opt + 112 + 4 * 8;
	pe->cert_off = ib_get_le32(head + pe->certdir_off);
	pe->cert_len = ib_get_le32(head + pe->certdir_off + 4);
	return 0;
}

uint64_t ib_pe_bundle_end(const struct ib_pe_info *pe, uint64_t file_size)
{
	if (pe->is_pe && pe->cert_len && pe->cert_off < file_size &&
	    pe->cert_len == file_size - pe->cert_off)
		return pe->cert_off;
	return file_size;
}
