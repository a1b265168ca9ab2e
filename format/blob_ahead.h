/* Reading a blob one chunk ahead: a helper thread reads and hashes the next chunks while the
 * caller decompresses and writes the current one. Private to the blob reader (bundle.c); the
 * thread and its lock are worker.h's. */
#ifndef IBPACK_BLOB_AHEAD_H
#define IBPACK_BLOB_AHEAD_H

#include "bundle.h"
#include "worker.h"

/* Reads chunk idx of r's package into buf and checks it against its chunk hash: the one place a
 * chunk is verified, called by the reader itself and by the read-ahead thread. Returns the
 * chunk's length or a negative error (IB_E_INTEGRITY names the chunk). */
long ib_blob_read_chunk(const struct ib_blob_reader *r, size_t idx, uint8_t *buf);

/* Starts the read-ahead for r (r->ahead set on success). When no thread can be started, or the
 * blob has a single chunk, returns an error and the reader stays serial. */
int ib_blob_ahead_start(struct ib_blob_reader *r);
/* ib_blob_next with the read-ahead running: the buffer handed out before is released. */
long ib_blob_ahead_next(struct ib_blob_reader *r, const void **data);
/* Stops the helper thread and frees r->ahead. */
void ib_blob_ahead_stop(struct ib_blob_reader *r);

#endif
