/* Private keys on the command line: passphrase sources (--passin) and file permissions. */
#ifndef IBPACK_KEYS_H
#define IBPACK_KEYS_H

#include "../signing/crypto.h"

/* Loads the private key at path. passin (NULL: none) is OpenSSL's convention: env:VAR,
 * file:PATH (first line) or fd:N (first line); without it an encrypted key prompts on a
 * terminal and is refused otherwise. A key readable by group or others gets a warning on
 * stderr, or is refused (IB_E_KEY) when strict is set. */
int cli_load_privkey(const char *path, const char *passin, int strict, struct ib_privkey **out);

/* Checks the syntax of a passphrase source given with option opt: 0 or IB_E_USAGE. */
int cli_passin_check(const char *opt, const char *passin);

/* Loads a private key file some other way: pass is the passphrase (NULL: none) and tty says
 * whether an encrypted key may prompt. */
typedef int (*cli_key_loader)(const char *path, const char *pass, int tty, void *ctx);
/* cli_load_privkey's permission check and passphrase source around any loader. */
int cli_with_key(const char *path, const char *passin, int strict, cli_key_loader load, void *ctx);

#endif
