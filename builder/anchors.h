/* Trust anchors from outside the bundle: -p, --key-id, --trust-ca and the host trust store. */
#ifndef IBPACK_ANCHORS_H
#define IBPACK_ANCHORS_H

#include <stddef.h>
#include <stdint.h>

#include "../format/format.h"
#include "../format/truststore.h"

/* getopt_long values of the anchor options (every command that opens a bundle takes them). */
enum { CLI_O_KEY_ID = 0x480, CLI_O_TRUST_CA, CLI_O_EXACT_TRUST };
#define CLI_ANCHOR_OPTIONS                                                                           \
	{"pubkey", required_argument, NULL, 'p'}, {"key-id", required_argument, NULL, CLI_O_KEY_ID}, \
	{                                                                                            \
		"trust-ca", required_argument, NULL, CLI_O_TRUST_CA                                  \
	}
#define CLI_ANCHOR_HELP                                                                                      \
	"Trust comes from outside the bundle: --trust KEY.pub, --key-id HEX (an embedded key named by its\n" \
	"id, or a unique prefix of at least 16 hex digits), --trust-ca CA.pem (all repeatable), or,\n"       \
	"when none is given, the host trust store " IB_TRUST_DIR_DEFAULT "/ (*.pub keys, *.pem\n"            \
	"CAs; $IBPACK_TRUST_DIR overrides the path). Keys the bundle only vouches for itself are\n"          \
	"never trusted: without an anchor the bundle is refused (exit 2).\n"

/* The same options as rows of a command's option table (builder/opts.h): --trust KEY.pub (-p and
 * --pubkey are the old spellings, kept hidden), --key-id HEX, --trust-ca CA.pem; cli_anchor_option
 * takes their ids. */
#define CLI_ANCHOR_OPTS                                                                                            \
	{"trust", 0, "KEY.pub", 'p', "trust this public key (repeatable)"}, {"pubkey", 'p', "KEY.pub", 'p', NULL}, \
		{"key-id", 0, "HEX", CLI_O_KEY_ID, "trust the embedded key with this id (16+ hex digits)"},        \
		{"trust-ca", 0, "CA.pem", CLI_O_TRUST_CA, "trust CMS signatures chaining to this CA (repeatable)"},

struct cli_anchors {
	const char *pubs[32];
	size_t npubs;
	const char *key_ids[32];
	size_t nkey_ids;
	const char *cas[IB_CAS_MAX];
	size_t ncas;
};

/* Takes an anchor option (c = 'p', CLI_O_KEY_ID, CLI_O_TRUST_CA): 1 when taken, 0 when c is not
 * one, or a negative usage error. */
int cli_anchor_option(struct cli_anchors *a, int c, const char *arg);

/* The anchor files: -p keys and --trust-ca CAs, or with no anchor option the store's *.pub and
 * *.pem; *source says which ("command line", "host trust store"). */
int cli_anchor_files(const struct cli_anchors *a, struct ib_anchor_files *f, const char **source);

/* The trust to check bundle b against (ib_trust_resolve with the anchor files, plus the embedded
 * keys --key-id names): anchors only, with the embedded revocations, and threshold (non-zero) or
 * the embedded one. *anchored is 0 when no anchor was found at all: t is then the stub's own
 * policy, good for checking bytes and never for trusting a signer. */
struct ib_bundle;
int cli_anchors_trust(const struct cli_anchors *a, struct ib_bundle *b, uint32_t threshold,
		      const struct ib_trust *embedded, struct ib_trust *t, const char **source, int *anchored);

/* IB_E_UNTRUSTED when embedded trusts a key or CA that anchored does not: the stub would later
 * accept a payload signed by it. */
int cli_anchors_exact(const struct ib_trust *embedded, const struct ib_trust *anchored);

/* The message for a bundle whose signature is valid but whose signer only the bundle vouches
 * for; returns IB_E_UNTRUSTED. */
int cli_anchors_missing(const char *path, const struct ib_sigblock *sigs);

#endif
