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

int ib_pe_certs_claimed(const struct ib_pe_info *pe)
{
	return pe->is_pe && (pe->cert_off || pe->cert_len);
}

uint64_t ib_pe_bundle_end(const struct ib_pe_info *pe, uint64_t file_size)
{
	if (ib_pe_certs_claimed(pe) && pe->cert_off < file_size && pe->cert_len == file_size - pe->cert_off)
		return pe->cert_off;
	return file_size;
}

int ib_pe_check_place(const struct ib_pe_info *pe, uint64_t file_size)
{
	if (!ib_pe_certs_claimed(pe))
		return 0;
	if (pe->cert_len < IB_PE_WIN_CERT_HEAD || pe->cert_off % 8 || pe->cert_off >= file_size ||
	    pe->cert_len != file_size - pe->cert_off)
		return ib_fail(IB_E_FORMAT,
			       "PE security directory (offset %llu, %llu bytes) does not name a "
			       "certificate table that ends the file (%llu bytes): bytes after the bundle are "
			       "refused",
			       (unsigned long long)pe->cert_off, (unsigned long long)pe->cert_len,
			       (unsigned long long)file_size);
	if (pe->cert_len > IB_PE_CERT_MAX)
		return ib_fail(IB_E_FORMAT, "PE certificate table of %llu bytes is larger than %u",
			       (unsigned long long)pe->cert_len, IB_PE_CERT_MAX);
	return 0;
}

int ib_pe_check_certs(struct ib_pe_info *pe, const uint8_t *tbl, size_t len)
{
	size_t at = 0;

	pe->pkcs7_off = pe->pkcs7_len = 0;
	while (at < len) {
		uint32_t dwlen;
		uint16_t rev, type;

		if (len - at < IB_PE_WIN_CERT_HEAD) {
			/* only zero padding may follow the last entry */
			for (; at < len; at++)
				if (tbl[at])
					return ib_fail(IB_E_FORMAT, "PE certificate table: bytes after the last entry");
			break;
		}
		dwlen = ib_get_le32(tbl + at);
		rev = ib_get_le16(tbl + at + 4);
		type = ib_get_le16(tbl + at + 6);
		if (dwlen == 0 && rev == 0 && type == 0) {
			for (; at < len; at++)
				if (tbl[at])
					return ib_fail(IB_E_FORMAT, "PE certificate table: bytes after the last entry");
			break;
		}
		if (dwlen <= IB_PE_WIN_CERT_HEAD || dwlen > len - at || rev != IB_PE_WIN_CERT_REVISION)
			return ib_fail(IB_E_FORMAT,
				       "PE certificate table: malformed WIN_CERTIFICATE at offset %zu "
				       "(length %u, revision 0x%04x)",
				       at, dwlen, rev);
		if (type == IB_PE_WIN_CERT_PKCS7 && !pe->pkcs7_len) {
			pe->pkcs7_off = pe->cert_off + at + IB_PE_WIN_CERT_HEAD;
			pe->pkcs7_len = dwlen - IB_PE_WIN_CERT_HEAD;
		}
		/* entries are 8-byte aligned; the padding is zero */
		for (size_t p = at + dwlen; p < len && p < at + ((dwlen + 7u) & ~(size_t)7); p++)
			if (tbl[p])
				return ib_fail(IB_E_FORMAT, "PE certificate table: padding is not zero");
		at += ((size_t)dwlen + 7u) & ~(size_t)7;
	}
	return 0;
}
