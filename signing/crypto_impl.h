/* Internals shared by the two halves of the OpenSSL backend (verify.c and sign.c). */
#ifndef IBPACK_CRYPTO_IMPL_H
#define IBPACK_CRYPTO_IMPL_H

#include "crypto.h"

#include <openssl/evp.h>

struct ib_pubkey {
	EVP_PKEY *pkey;
	int alg;
	uint8_t id[IB_KEYID_LEN];
	unsigned char *der;
	size_t derlen;
};

int ib_crypto_fail(const char *what);
/* Reads a PEM private key that may be encrypted: with pass (NULL: none), or a prompt on the
 * terminal when tty is set; passin_opt names the option that gives a passphrase, for the error
 * when neither is there (sign.c). */
int ib_pem_privkey_read(const char *path, const char *pass, int tty, const char *passin_opt, EVP_PKEY **out);
int ib_pkey_alg(EVP_PKEY *p);
int ib_pubkey_wrap(EVP_PKEY *p, struct ib_pubkey **out);
/* RSA-PSS padding, MGF1-SHA-256 and a 32-byte salt on pctx; nothing for other algorithms. */
int ib_pss_params(EVP_PKEY_CTX *pctx, int alg);
const char *ib_alg_digest(int alg);

#endif
