/* The signed manifest: the bundle's identity and every package's rules, install command and blob. */
#ifndef IBPACK_MANIFEST_H
#define IBPACK_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "../signing/crypto.h"

#define IB_MANIFEST_FORMAT 1 /* the manifest's "format" field */
#define IB_CHUNK_MIN       (64u << 10)
#define IB_CHUNK_MAX       (1u << 20)
#define IB_CHUNK_DEFAULT   (1u << 20)
#define IB_ID_MAX          64
#define IB_PACKAGES_MAX    256
#define IB_TIMEOUT_MAX     (7 * 24 * 3600)
#define IB_FILES_MAX       1000000

enum ib_compression { IB_COMP_NONE = 0, IB_COMP_GZIP = 1, IB_COMP_ZSTD = 2, IB_COMP_AUTO = 3 };
const char *ib_compression_name(int c);
int ib_compression_from_name(const char *s);

enum ib_target { IB_TARGET_LINUX_X86_64 = 1, IB_TARGET_WINDOWS_X86_64 = 2 };
const char *ib_target_name(int t);
int ib_target_from_name(const char *s);

struct ib_strlist {
	char **v;
	size_t n;
};

struct ib_codes {
	long *v;
	size_t n;
};

struct ib_install {
	struct ib_strlist argv; /* "command": argv (empty when command_line or msi is set) */
	/* ---- Windows forms (format/install.c): exactly one of argv, command_line and msi ---- */
	char *command_line;                        /* verbatim lpCommandLine; its first token names the program */
	char *msi;                                 /* an MSI in the package, installed with msiexec /i */
	struct ib_strlist prop_names, prop_values; /* "properties" of the MSI, in spec order */
	char *msiexec_args;                        /* more msiexec command-line text, verbatim */
	int keep;                                  /* leave the verified package for MSI repair and patching */
	uint32_t timeout;                          /* seconds */
	struct ib_codes success;
	struct ib_codes reboot;
};

/* One regular file of a package, as packed: its tar path, size, mode (0755 or 0644) and SHA-256.
 * The list is in tar order (byte order of the paths, a directory's files after it). */
struct ib_file_entry {
	char *path;
	uint64_t size;
	unsigned mode;
	uint8_t sha256[IB_SHA256_LEN];
};

/* The optional "kind" of a package: what a bill of materials calls it (CycloneDX type). */
enum ib_kind { IB_KIND_DEVICE_DRIVER = 0, IB_KIND_FIRMWARE, IB_KIND_APPLICATION, IB_KIND_LIBRARY };
const char *ib_kind_name(int k);
int ib_kind_from_name(const char *s);

struct ib_package {
	char *id, *name, *version, *description;
	char *vendor; /* optional supplier name */
	int kind;     /* enum ib_kind; has_kind: written to the manifest only if given */
	int has_kind;
	struct ib_strlist os;     /* OS token patterns, '*' allowed */
	struct ib_strlist nic;    /* NIC tokens */
	struct ib_strlist kernel; /* kernel release patterns (Windows: build number); empty = any */
	long priority;
	struct ib_install install;
	/* spec only */
	char *source, *url;
	char *artifact; /* the vendor file inside a directory source that url and sha256 name */
	int has_source_sha256;
	uint8_t source_sha256[IB_SHA256_LEN];
	/* blob: filled by the builder, read from the manifest */
	int compression;
	uint64_t offset, length, unpacked_size, file_count;
	uint8_t sha256[IB_SHA256_LEN];
	size_t nchunks;
	/* The chunk hashes: listed in the manifest ("chunks", decoded here) or, as the builder
	 * writes them, in a chunk table in the payload that the manifest pins by its SHA-256
	 * ("chunk_table"), read only when the package is used (chunks stays NULL). */
	uint8_t (*chunks)[IB_SHA256_LEN];
	int has_table;
	uint64_t table_offset; /* the table is nchunks x 32 bytes at this offset */
	uint8_t table_sha256[IB_SHA256_LEN];
	/* every regular file, hashed while packing; has_files is 0 for a manifest written before
	 * the list existed (extraction then relies on the chunk hashes alone) */
	int has_files;
	size_t nfiles;
	struct ib_file_entry *files;
};

/* Bytes of a package's chunk table: one SHA-256 per chunk. */
#define IB_CHUNK_TABLE_LEN(p) ((uint64_t)(p)->nchunks * IB_SHA256_LEN)

struct ib_manifest {
	char *name, *version, *description;
	uint64_t sequence;
	int target;
	char created[24]; /* "YYYY-MM-DDTHH:MM:SSZ" */
	uint64_t stub_size;
	uint8_t stub_sha256[IB_SHA256_LEN];
	uint32_t chunk_size;
	size_t npkgs;
	struct ib_package *pkgs;
	int compression; /* spec only: default for packages */
};

/* Parses and validates manifest JSON, which must already have been verified. Every field is
 * checked for type and range, blobs and then chunk tables must tile [payload_start, payload_end)
 * in package order, and chunk lists must match the blob lengths. */
int ib_manifest_parse(const char *json, size_t len, uint64_t payload_start, uint64_t payload_end,
		      struct ib_manifest *m);
/* Serializes m (blob fields filled) to the canonical manifest JSON (malloc'd, NUL-terminated). */
int ib_manifest_serialize(const struct ib_manifest *m, char **out, size_t *outlen);

/* Parses a spec (builder input): the same package schema without blobs, plus source/sha256/url.
 * Errors name the JSON path; the caller prefixes the file name. */
int ib_spec_parse(const char *json, size_t len, struct ib_manifest *m);

void ib_manifest_release(struct ib_manifest *m);
const struct ib_package *ib_manifest_find(const struct ib_manifest *m, const char *id);

/* Releases a package's file list. */
void ib_package_files_release(struct ib_package *p);

/* 1 if code is in the list. */
int ib_codes_has(const struct ib_codes *c, long code);

#endif
