/* Where a Windows PE stub keeps the fields Authenticode leaves out of its hash. */
#ifndef IBPACK_PE_H
#define IBPACK_PE_H

#include <stddef.h>
#include <stdint.h>

#define IB_PE_HEAD 4096 /* bytes to read from the start of the file to find the headers */
/* Authenticode appends its certificate table at the end of a PE file and records where in a
 * 32-bit field, so a Windows bundle must end below 4 GiB (8-byte aligned, as the table). */
#define IB_PE_BUNDLE_MAX UINT64_C(0xFFFFFFF8)

struct ib_pe_info {
	int is_pe;
	uint64_t checksum_off; /* 4-byte CheckSum field */
	uint64_t certdir_off;  /* 8-byte security data directory entry */
	uint64_t cert_off;     /* certificate table (0 when unsigned) */
	uint64_t cert_len;
	/* set by ib_pe_check_certs: the first PKCS#7 SignedData entry, relative to the file */
	uint64_t pkcs7_off, pkcs7_len;
};

/* Largest certificate table honoured (Authenticode signatures with nested ones stay far below). */
#define IB_PE_CERT_MAX (16u << 20)
/* WIN_CERTIFICATE header: dwLength, wRevision, wCertificateType. */
#define IB_PE_WIN_CERT_HEAD     8
#define IB_PE_WIN_CERT_REVISION 0x0200
#define IB_PE_WIN_CERT_PKCS7    0x0002

/* Inspects the first bytes of a file. Not a PE (an ELF stub) is not an error: is_pe stays 0. */
int ib_pe_inspect(const uint8_t *head, size_t len, struct ib_pe_info *pe);

/* The end of the bundle inside a file of file_size bytes: before the certificate table the
 * security directory entry names (ib_pe_certs_claimed), else the file's end. */
uint64_t ib_pe_bundle_end(const struct ib_pe_info *pe, uint64_t file_size);

/* 1 when the security directory entry claims a certificate table at all. Such a table is
 * honoured only when it ends the file exactly (cert_off + cert_len == file_size, 8-aligned) and
 * ib_pe_check_certs accepts its bytes; anything else is IB_E_FORMAT, since those bytes are left
 * out of the stub hash and must not hide anything. */
int ib_pe_certs_claimed(const struct ib_pe_info *pe);
int ib_pe_check_place(const struct ib_pe_info *pe, uint64_t file_size);
/* Checks the table's bytes: a list of WIN_CERTIFICATE entries (revision 2.0, each 8-byte
 * aligned, lengths within the table) covering it exactly, zero padding only; records the first
 * PKCS#7 SignedData entry in pe->pkcs7_off/len. */
int ib_pe_check_certs(struct ib_pe_info *pe, const uint8_t *tbl, size_t len);

#endif
