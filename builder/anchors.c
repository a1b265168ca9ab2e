/* Trust anchors from outside the bundle: -p, --key-id, --trust-ca and the host trust store. */
#include "anchors.h"

#include "../format/err.h"
#include "../format/util.h"
#include "../signing/crypto.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
			return ib_fail(IB_E_USAGE, "--key-id '%s': give the key id (%d hex digits) or a prefix "
				       "of at least %d", arg, 2 * IB_KEYID_LEN, KEY_ID_MIN_HEX);
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
	default:
		return 0;
	}
}

const char *cli_trust_dir(void)
{
	const char *d = getenv("IBPACK_TRUST_DIR");

	return d && *d ? d : CLI_TRUST_DIR_DEFAULT;
}

static int add_key_file(struct ib_trust *t, const char *path)
{
	struct ib_pubkey *k;
	int rc = ib_pubkey_load(path, &k);

	return rc ? ib_fail_ctx(rc, "trust anchor '%s': ", path) : ib_trust_add_key(t, k);
}

static int add_ca_file(struct ib_trust *t, const char *path)
{
	struct ib_cert *c;
	int rc = ib_cert_load(path, &c);

	return rc ? ib_fail_ctx(rc, "trust anchor '%s': ", path) : ib_trust_add_ca(t, c);
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* *.pub and *.pem of the trust store, in name order; a missing store holds nothing. */
static int add_store(struct ib_trust *t, const char *dir)
{
	char *names[64], path[4096];
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : ib_fail(-errno, "trust store '%s': %s", dir, strerror(errno));
	while ((e = readdir(d)) && !rc) {
		if (e->d_name[0] == '.' || !(has_suffix(e->d_name, ".pub") || has_suffix(e->d_name, ".pem")))
			continue;
		if (n == IB_ARRAY_LEN(names))
			rc = ib_fail(IB_E_LIMIT, "trust store '%s': more than %zu anchors", dir, IB_ARRAY_LEN(names));
		else if (!(names[n] = ib_strdup(e->d_name)))
			rc = -ENOMEM;
		else
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (!rc && ib_snprintf(path, sizeof(path), "%s/%s", dir, names[i]))
			rc = ib_fail(-ENAMETOOLONG, "trust store path too long");
		if (!rc && (stat(path, &st) != 0 || !S_ISREG(st.st_mode)))
			continue;
		if (!rc)
			rc = has_suffix(names[i], ".pub") ? add_key_file(t, path) : add_ca_file(t, path);
		free(names[i]);
	}
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
			return ib_fail(IB_E_USAGE, "--key-id %s names more than one key of the bundle: give more digits",
				       want);
		found = embedded->keys[i];
	}
	if (!found)
		return ib_fail(IB_E_UNTRUSTED, "--key-id %s: the bundle's stub has no such key", want);
	ib_pubkey_der(found, &der, &len);
	if ((rc = ib_pubkey_from_der(der, len, &copy)))
		return rc;
	return ib_trust_add_key(t, copy);
}

int cli_anchors_trust(const struct cli_anchors *a, const struct ib_trust *embedded, struct ib_trust *t,
		      const char **source)
{
	int rc = 0;

	memset(t, 0, sizeof(*t));
	if (a->npubs || a->nkey_ids || a->ncas) {
		*source = "command line";
		for (size_t i = 0; !rc && i < a->npubs; i++)
			rc = add_key_file(t, a->pubs[i]);
		for (size_t i = 0; !rc && i < a->nkey_ids; i++)
			rc = add_key_id(t, embedded, a->key_ids[i]);
		for (size_t i = 0; !rc && i < a->ncas; i++)
			rc = add_ca_file(t, a->cas[i]);
	} else {
		*source = "host trust store";
		rc = add_store(t, cli_trust_dir());
	}
	if (rc) {
		ib_trust_release(t);
		return rc;
	}
	memcpy(t->revoked, embedded->revoked, sizeof(t->revoked));
	t->nrevoked = embedded->nrevoked;
	t->threshold = embedded->threshold ? embedded->threshold : 1;
	return 0;
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
			return ib_fail(IB_E_UNTRUSTED, "--exact-trust: the stub also trusts key %s, which is not "
				       "among the given anchors", hex);
		}
	}
	for (size_t i = 0; i < embedded->ncas; i++) {
		const uint8_t *fp = ib_cert_fingerprint(embedded->cas[i]);
		int known = 0;

		for (size_t j = 0; j < anchored->ncas && !known; j++)
			known = !memcmp(fp, ib_cert_fingerprint(anchored->cas[j]), IB_SHA256_LEN);
		if (!known) {
			ib_hex_encode(fp, IB_SHA256_LEN, hex);
			return ib_fail(IB_E_UNTRUSTED, "--exact-trust: the stub also trusts CA '%s' (sha256 %s), "
				       "which is not among the given anchors", ib_cert_subject(embedded->cas[i]), hex);
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
	return ib_fail(IB_E_UNTRUSTED, "'%s': the signature is valid, but the signer is not trusted by this "
		       "machine: key %s is vouched for only by the bundle itself. To trust it, pass -p KEY.pub "
		       "or --key-id %s (after checking the id with its owner), --trust-ca CA.pem, or install "
		       "the key in %s/", path, ids[0] ? ids : "(none)", ids[0] ? ids : "ID", cli_trust_dir());
}
