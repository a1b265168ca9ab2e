/* Trust anchors from outside the bundle: -p, --key-id, --trust-ca and the host trust store. */
#include "anchors.h"
#include "cli.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"
#include "../format/truststore.h"
#include "../signing/crypto.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_ID_MIN_HEX 16

int cli_anchor_option(struct cli_anchors *a, int c, const char *arg)
{
	switch (c) {
	case 'p':
		if (a->npubs == IB_ARRAY_LEN(a->pubs))
			return ib_fail(IB_E_USAGE, "at most %zu -p keys", IB_ARRAY_LEN(a->pubs));
		a->pubs[a->npubs++] = arg;
		return 1;
	case CLI_O_KEY_ID: {
		size_t n = strlen(arg);

		if (n < KEY_ID_MIN_HEX || n > 2 * IB_KEYID_LEN || strspn(arg, "0123456789abcdefABCDEF") != n)
			return ib_fail(IB_E_USAGE,
				       "--key-id '%s': give the key id (%d hex digits) or a prefix "
				       "of at least %d",
				       arg, 2 * IB_KEYID_LEN, KEY_ID_MIN_HEX);
		if (a->nkey_ids == IB_ARRAY_LEN(a->key_ids))
			return ib_fail(IB_E_USAGE, "at most %zu --key-id", IB_ARRAY_LEN(a->key_ids));
		a->key_ids[a->nkey_ids++] = arg;
		return 1;
	}
	case CLI_O_TRUST_CA:
		if (a->ncas == IB_ARRAY_LEN(a->cas))
			return ib_fail(IB_E_USAGE, "at most %zu --trust-ca", IB_ARRAY_LEN(a->cas));
		a->cas[a->ncas++] = arg;
		return 1;
	default: return 0;
	}
}

static int copy_args(const char *const *in, size_t n, char **out, size_t *nout)
{
	for (size_t i = 0; i < n; i++) {
		if (!(out[i] = ib_strdup(in[i])))
			return -ENOMEM;
		*nout = i + 1;
	}
	return 0;
}

int cli_anchor_files(const struct cli_anchors *a, struct ib_anchor_files *f, const char **source)
{
	int rc;

	memset(f, 0, sizeof(*f));
	if (a->npubs || a->nkey_ids || a->ncas) {
		*source = "command line";
		rc = copy_args(a->pubs, a->npubs, f->keys, &f->nkeys);
		if (!rc)
			rc = copy_args(a->cas, a->ncas, f->cas, &f->ncas);
	} else {
		*source = "host trust store";
		rc = ib_trust_store_files(ib_trust_store_dir(), f);
	}
	if (rc)
		ib_anchor_files_release(f);
	return rc;
}

/* An embedded key named by its id (or a unique prefix): the user vouches for it out of band. */
static int add_key_id(struct ib_trust *t, const struct ib_trust *embedded, const char *want)
{
	char hex[2 * IB_KEYID_LEN + 1];
	const struct ib_pubkey *found = NULL;
	struct ib_pubkey *copy;
	const uint8_t *der;
	size_t n = strlen(want), len;
	int rc;

	for (size_t i = 0; i < embedded->nkeys; i++) {
		ib_hex_encode(ib_pubkey_id(embedded->keys[i]), IB_KEYID_LEN, hex);
		if (strncasecmp(hex, want, n) != 0)
			continue;
		if (found)
			return ib_fail(IB_E_USAGE,
				       "--key-id %s names more than one key of the bundle: give more digits", want);
		found = embedded->keys[i];
	}
	if (!found)
		return ib_fail(IB_E_UNTRUSTED, "--key-id %s: the bundle's stub has no such key", want);
	ib_pubkey_der(found, &der, &len);
	if ((rc = ib_pubkey_from_der(der, len, &copy)))
		return rc;
	return ib_trust_add_key(t, copy);
}

int cli_anchors_trust(const struct cli_anchors *a, struct ib_bundle *b, uint32_t threshold,
		      const struct ib_trust *embedded, struct ib_trust *t, const char **source, int *anchored)
{
	struct ib_anchor_files f;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = cli_anchor_files(a, &f, source)))
		return rc;
	*anchored = f.nkeys || f.ncas || a->nkey_ids;
	/* ib_trust_resolve: the anchors in place of the embedded keys and CAs, the embedded
	 * revocations kept, the threshold given or embedded. */
	rc = cli_load_trust(b, (const char *const *)f.keys, f.nkeys, (const char *const *)f.cas, f.ncas, threshold, t);
	/* A bad key or CA given on the command line is a usage error; one in the host trust store is
	 * the machine's problem (exit 3), and the message names the file. */
	if (rc == IB_E_USAGE && !a->npubs && !a->ncas)
		rc = ib_fail(IB_E_KEY, "host trust store: %s", ib_errmsg(rc));
	ib_anchor_files_release(&f);
	if (!rc && a->nkey_ids && !f.nkeys && !f.ncas) {
		/* Only --key-id: resolve kept the embedded keys and CAs; start from none of them. */
		for (size_t i = 0; i < t->nkeys; i++)
			ib_pubkey_free(t->keys[i]);
		for (size_t i = 0; i < t->ncas; i++)
			ib_cert_free(t->cas[i]);
		t->nkeys = t->ncas = 0;
	}
	for (size_t i = 0; !rc && i < a->nkey_ids; i++)
		rc = add_key_id(t, embedded, a->key_ids[i]);
	if (rc)
		ib_trust_release(t);
	return rc;
}

int cli_anchors_exact(const struct ib_trust *embedded, const struct ib_trust *anchored)
{
	char hex[2 * IB_SHA256_LEN + 1];

	for (size_t i = 0; i < embedded->nkeys; i++) {
		const uint8_t *id = ib_pubkey_id(embedded->keys[i]);
		int known = 0;

		for (size_t j = 0; j < anchored->nkeys && !known; j++)
			known = !memcmp(id, ib_pubkey_id(anchored->keys[j]), IB_KEYID_LEN);
		if (!known) {
			ib_hex_encode(id, IB_KEYID_LEN, hex);
			return ib_fail(IB_E_UNTRUSTED,
				       "--exact-trust: the stub also trusts key %s, which is not "
				       "among the given anchors",
				       hex);
		}
	}
	for (size_t i = 0; i < embedded->ncas; i++) {
		const uint8_t *fp = ib_cert_fingerprint(embedded->cas[i]);
		int known = 0;

		for (size_t j = 0; j < anchored->ncas && !known; j++)
			known = !memcmp(fp, ib_cert_fingerprint(anchored->cas[j]), IB_SHA256_LEN);
		if (!known) {
			ib_hex_encode(fp, IB_SHA256_LEN, hex);
			return ib_fail(IB_E_UNTRUSTED,
				       "--exact-trust: the stub also trusts CA '%s' (sha256 %s), "
				       "which is not among the given anchors",
				       ib_cert_subject(embedded->cas[i]), hex);
		}
	}
	return 0;
}

int cli_anchors_missing(const char *path, const struct ib_sigblock *sigs)
{
	char ids[256] = "", hex[2 * IB_KEYID_LEN + 1];
	size_t used = 0;

	for (size_t i = 0; i < sigs->count && used + 20 < sizeof(ids); i++) {
		ib_hex_encode(sigs->sigs[i].keyid, IB_KEYID_LEN, hex);
		used += (size_t)snprintf(ids + used, sizeof(ids) - used, "%s%.16s", i ? ", " : "", hex);
	}
	return ib_fail(IB_E_UNTRUSTED,
		       "'%s': the signature is valid, but the signer is not trusted by this "
		       "machine: key %s is vouched for only by the bundle itself. To trust it, pass -p KEY.pub "
		       "or --key-id %s (after checking the id with its owner), --trust-ca CA.pem, or install "
		       "the key in %s/",
		       path, ids[0] ? ids : "(none)", ids[0] ? ids : "ID", ib_trust_store_dir());
}
