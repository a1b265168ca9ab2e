/* SHA-256 of each extracted file on a helper thread, behind the writes. */
#ifndef IBPACK_FILE_HASHER_H
#define IBPACK_FILE_HASHER_H

#include <stddef.h>
#include <stdint.h>

#include "../signing/crypto.h"

/* Extraction checks every file against the signed file list while the read-ahead thread checks
 * every chunk: two SHA-256 streams over the same bytes. With both on helper threads the caller
 * only unpacks, copies and writes, and verified extraction keeps pace with tar -x. Files of at
 * most one slot are hashed by the caller (a hand-over would cost more than it saves). */
struct ib_file_hasher;

/* The helper's unit: files of at most this size are hashed by the caller. */
#define IB_FILE_HASHER_SLOT (256u * 1024u)

/* threaded = 0, or no thread to be had: every file is hashed by the caller, same results. */
int ib_file_hasher_new(struct ib_file_hasher **out, int threaded);
/* Starts a file of the given size (from its header: it only picks inline or threaded). */
void ib_file_hasher_begin(struct ib_file_hasher *h, uint64_t size);
/* The file's next bytes; copied, so buf can be reused once this returns. */
void ib_file_hasher_update(struct ib_file_hasher *h, const void *buf, size_t len);
/* Waits for the file's last bytes to be hashed and gives its SHA-256. */
void ib_file_hasher_final(struct ib_file_hasher *h, uint8_t out[IB_SHA256_LEN]);
void ib_file_hasher_free(struct ib_file_hasher *h);

#endif
