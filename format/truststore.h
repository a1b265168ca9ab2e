/* The host trust store: a folder of *.pub keys and *.pem CAs that anchor trust from outside any bundle. */
#ifndef IBPACK_TRUSTSTORE_H
#define IBPACK_TRUSTSTORE_H

#include <stddef.h>

#define IB_TRUST_DIR_DEFAULT "/etc/ibpack/trusted.d"

/* Paths of anchor files (malloc'd), keys (*.pub) and CA certificates (*.pem). */
struct ib_anchor_files {
	char *keys[64], *cas[64];
	size_t nkeys, ncas;
};

/* $IBPACK_TRUST_DIR, else IB_TRUST_DIR_DEFAULT. */
const char *ib_trust_store_dir(void);
/* Adds the store's regular *.pub and *.pem files, in name order; a missing store adds nothing. */
int ib_trust_store_files(const char *dir, struct ib_anchor_files *f);
void ib_anchor_files_release(struct ib_anchor_files *f);

#endif
