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
	uint64_t checksum_off;  /* 4-byte CheckSum field */
	uint64_t certdir_off;   /* 8-byte security data directory entry */
	uint64_t cert_off;      /* certificate table (0 when unsigned) */
	uint64_t cert_len;
};

/* Inspects the first bytes of a file. Not a PE (an ELF stub) is not an error: is_pe stays 0. */
int ib_pe_inspect(const uint8_t *head, size_t len, struct ib_pe_info *pe);

/* The end of the bundle inside a file of file_size bytes: before an Authenticode certificate
 * table when one ends the file, else the file's end. */
uint64_t ib_pe_bundle_end(const struct ib_pe_info *pe, uint64_t file_size);

#endif
