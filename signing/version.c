/* The crypto library's version string, for --version (the only place that names OpenSSL's). */
#include "crypto.h"

#include <openssl/crypto.h>

const char *ib_crypto_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}
