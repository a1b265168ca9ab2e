/* ibpack attach-signature: adds a signature made elsewhere (openssl, an HSM) to a bundle. */
#include "cli.h"
#include "opts.h"
#include "interrupt.h"
#include "outguard.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"
#include "../signing/crypto.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
	"usage: ibpack attach-signature BUNDLE SIG --signer KEY.pub [--alg ALG] [-o OUT]\n"
	"       ibpack attach-signature BUNDLE SIG.p7s --cms [--trust-ca CA.pem]... [-o OUT]\n"
	"Adds a signature over the bundle's manifest ('ibpack manifest BUNDLE -o manifest.json'),\n"
	"made elsewhere, after checking it:\n"
	"  Ed25519  openssl pkeyutl -sign -inkey k.pem -rawin -in manifest.json -out SIG\n"
	"  ECDSA    openssl dgst -sha256 -sign k.pem -out SIG manifest.json\n"
	"  RSA-PSS  openssl dgst -sha256 -sign k.pem -sigopt rsa_padding_mode:pss \\\n"
	"               -sigopt rsa_pss_saltlen:32 -out SIG manifest.json\n"
	"  CMS      openssl cms -sign -binary -noattr -md sha256 -in manifest.json -signer leaf.pem \\\n"
	"               -inkey leaf.key -certfile chain.pem -outform DER -out SIG.p7s\n"
	"A raw signature must verify with --signer (ALG: ed25519, ecdsa-p256 or rsa-pss-3072, default\n"
	"the key's); a CMS signature's chain must end at a CA the stub embeds, or at --trust-ca.\n"
	"Refuses a signature that does not verify, a key that already signed, a key the stub revokes\n"
	"and a Windows bundle that already carries an Authenticode signature (attach first, then\n"
	"sign the .exe).\n";

struct attach {
	const char *bundle, *sig_path, *key_path, *out;
	const char *cas[IB_CAS_MAX];
	size_t ncas;
	int alg, cms, json, quiet;
};

/* Copies [0, len) of in to out: in the kernel where it can (a reflink on btrfs/XFS, so large
 * bundles cost nothing to rewrite), else through a buffer. */
static int copy_prefix(int in, int out, uint64_t len)
{
	static uint8_t buf[1 << 20];
	uint64_t off = 0;
	loff_t inoff = 0;

	while (off < len) {
		ssize_t n = copy_file_range(in, &inoff, out, NULL, (size_t)(len - off), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* not supported here (or a short file): the loop below finds out */
		off += (uint64_t)n;
	}
	while (off < len) {
		size_t want = len - off < sizeof(buf) ? (size_t)(len - off) : sizeof(buf);
		ssize_t n = pread(in, buf, want, (off_t)off);
		int w;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ib_fail(n < 0 ? -errno : IB_E_TRUNCATED, "reading the bundle: %s",
				       n < 0 ? strerror(errno) : "unexpected end of file");
		if ((w = ib_write_all(out, buf, (size_t)n)))
			return ib_fail(w, "writing: %s", strerror(-w));
		off += (uint64_t)n;
	}
	return 0;
}

/* Writes the bundle with a new signature block, padding and footer into a temp file next to out
 * and renames it over out: a reader sees the old bundle or the new one, never a mix. */
static int rewrite(struct ib_bundle *b, const char *out, const uint8_t *block, size_t blocklen)
{
	struct ib_footer f = b->footer;
	uint8_t footer[IB_FOOTER_SIZE], pad[IB_BUNDLE_ALIGN] = {0};
	struct ib_atomic_file a;
	struct stat st;
	size_t padlen;
	int rc;

	if (fstat(b->file.fd, &st) != 0)
		return ib_fail(-errno, "'%s': %s", b->file.path, strerror(errno));
	if ((rc = cli_atomic_begin(&a, out, st.st_mode & 07777)))
		return rc;
	padlen = ib_footer_layout(&f, blocklen);
	ib_footer_encode(&f, footer);
	rc = copy_prefix(b->file.fd, a.fd, b->footer.sigblock_off);
	if (!rc && !(rc = ib_atomic_write(&a, block, blocklen)) && !(rc = ib_atomic_write(&a, pad, padlen)))
		rc = ib_atomic_write(&a, footer, sizeof(footer));
	if (!rc)
		rc = ib_atomic_commit(&a);
	else
		ib_atomic_abort(&a);
	cli_interrupt_disarm();
	return rc;
}

/* Checks a raw signature with --key; *keyid receives the key's id. */
static int check_raw(const struct attach *a, struct ib_bundle *b, const uint8_t *sig, size_t len,
		     uint8_t keyid[IB_KEYID_LEN], int *alg)
{
	struct ib_pubkey *k;
	int rc = ib_pubkey_load(a->key_path, &k);

	if (rc)
		return rc;
	*alg = a->alg ? a->alg : ib_pubkey_alg(k);
	if (*alg != ib_pubkey_alg(k))
		rc = ib_fail(IB_E_USAGE, "--alg %s does not match the %s key '%s'", ib_alg_name(*alg),
			     ib_alg_name(ib_pubkey_alg(k)), a->key_path);
	else if (ib_verify(k, *alg, b->manifest_raw, b->manifest_len, sig, len) != 0)
		rc = ib_fail(IB_E_SIGNATURE,
			     "'%s' is not a valid %s signature by '%s' over the manifest of '%s' "
			     "(sign the exact bytes of 'ibpack manifest %s -o FILE')",
			     a->sig_path, ib_alg_name(*alg), a->key_path, a->bundle, a->bundle);
	memcpy(keyid, ib_pubkey_id(k), IB_KEYID_LEN);
	ib_pubkey_free(k);
	return rc;
}

/* Checks a CMS signature against --trust-ca, else the CAs the stub embeds. */
static int check_cms(const struct attach *a, struct ib_bundle *b, const struct ib_trust *embedded, const uint8_t *sig,
		     size_t len, struct ib_cms_info *info)
{
	struct ib_trust given = {0};
	const struct ib_trust *t = embedded;
	int rc = 0;

	for (size_t i = 0; i < a->ncas; i++) {
		struct ib_cert *c;

		if ((rc = ib_cert_load(a->cas[i], &c)) || (rc = ib_trust_add_ca(&given, c))) {
			ib_trust_release(&given);
			return ib_fail_ctx(rc, "--trust-ca: ");
		}
	}
	if (a->ncas)
		t = &given;
	rc = ib_cms_verify(sig, len, b->manifest_raw, b->manifest_len, t->cas, t->ncas, info);
	if (rc == IB_E_UNTRUSTED && !t->ncas)
		rc = ib_fail(IB_E_UNTRUSTED,
			     "'%s': no CA to check the chain of '%s' against: the stub embeds "
			     "none (build with --trust-ca) and none was given with --trust-ca",
			     a->sig_path, info->subject);
	else if (rc)
		rc = ib_fail_ctx(rc, "'%s': ", a->sig_path);
	ib_trust_release(&given);
	return rc;
}

static const struct ib_pubkey *find_key(const struct ib_trust *t, const uint8_t *id)
{
	for (size_t i = 0; i < t->nkeys; i++)
		if (!memcmp(ib_pubkey_id(t->keys[i]), id, IB_KEYID_LEN))
			return t->keys[i];
	return NULL;
}

static void report(const struct attach *a, const struct ib_sigblock *sb, const struct ib_trust *t,
		   const uint8_t *manifest, size_t len, int alg, const uint8_t *keyid)
{
	int state[IB_SIG_COUNT_MAX];
	size_t valid;
	char hex[2 * IB_KEYID_LEN + 1];
	int ok;

	ib_hex_encode(keyid, IB_KEYID_LEN, hex);
	ok = ib_trust_evaluate(t, sb, manifest, len, state, &valid) == 0;
	if (a->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "bundle", a->out);
		cJSON_AddStringToObject(o, "algorithm", ib_alg_name(alg));
		cJSON_AddStringToObject(o, "key_id", hex);
		cJSON_AddNumberToObject(o, "signatures", (double)sb->count);
		cJSON_AddNumberToObject(o, "valid_signatures", (double)valid);
		cJSON_AddNumberToObject(o, "threshold", t->threshold);
		cJSON_AddBoolToObject(o, "accepted_by_stub", ok);
		cli_print_json(o);
		return;
	}
	if (a->quiet)
		return;
	printf("%s: attached %s signature by key %s (%zu signature%s)\n", a->out, ib_alg_name(alg), hex, sb->count,
	       sb->count == 1 ? "" : "s");
	if (ok)
		printf("  the stub accepts the bundle: %zu of %u required signature%s by trusted keys\n", valid,
		       (unsigned)t->threshold, t->threshold == 1 ? "" : "s");
	else
		printf("  not yet accepted by the stub: %zu of %u required signature%s by trusted keys\n", valid,
		       (unsigned)t->threshold, t->threshold == 1 ? "" : "s");
}

static int attach(struct attach *a)
{
	struct ib_bundle b;
	struct ib_trust t = {0};
	struct ib_cms_info info;
	uint8_t keyid[IB_KEYID_LEN], *block = NULL;
	char *sig = NULL, hex[2 * IB_KEYID_LEN + 1];
	size_t siglen, blocklen;
	int alg = IB_ALG_CMS, rc;

	rc = ib_bundle_open(&b, a->bundle);
	if (rc)
		return ib_fail_ctx(rc, "'%s': ", a->bundle);
	if (b.pe.is_pe && b.pe.cert_off) {
		rc = ib_fail(IB_E_USAGE,
			     "'%s' carries an Authenticode signature, which would not cover the new "
			     "signature block: remove it (osslsigncode remove-signature), attach, then sign the "
			     ".exe again",
			     a->bundle);
		goto out;
	}
	if ((rc = cli_load_trust(&b, NULL, 0, NULL, 0, 0, &t)))
		goto out;
	if ((rc = ib_read_file(a->sig_path, IB_SIG_MAX, 0, &sig, &siglen)))
		goto out;
	if (siglen == 0) {
		rc = ib_fail(IB_E_SIGNATURE, "'%s' is empty", a->sig_path);
		goto out;
	}
	if (a->cms) {
		rc = check_cms(a, &b, &t, (const uint8_t *)sig, siglen, &info);
		memcpy(keyid, info.keyid, IB_KEYID_LEN);
	} else {
		rc = check_raw(a, &b, (const uint8_t *)sig, siglen, keyid, &alg);
	}
	if (rc)
		goto out;
	ib_hex_encode(keyid, IB_KEYID_LEN, hex);
	for (size_t i = 0; i < b.sigs.count && !rc; i++)
		if (!memcmp(b.sigs.sigs[i].keyid, keyid, IB_KEYID_LEN))
			rc = ib_fail(IB_E_USAGE, "'%s' already carries a signature by key %.16s", a->bundle, hex);
	if (!rc && ib_trust_is_revoked(&t, keyid))
		rc = ib_fail(IB_E_USAGE, "key %.16s is revoked by the stub of '%s': its signature would never count",
			     hex, a->bundle);
	if (rc)
		goto out;
	if (!a->cms && !find_key(&t, keyid) && !a->quiet)
		fprintf(stderr,
			"ibpack: note: the stub of '%s' does not trust key %.16s: this signature will not "
			"count when the bundle runs (ibpack verify --trust KEY.pub can still check it)\n",
			a->bundle, hex);
	if ((rc = ib_sigblock_add(&b.sigs, alg, keyid, (const uint8_t *)sig, siglen)) ||
	    (rc = ib_sigblock_encode(&b.sigs, &block, &blocklen)))
		goto out;
	if ((rc = rewrite(&b, a->out, block, blocklen)))
		goto out;
	report(a, &b.sigs, &t, b.manifest_raw, b.manifest_len, alg, keyid);
out:
	free(block);
	free(sig);
	ib_trust_release(&t);
	ib_bundle_close(&b);
	return rc;
}

int cmd_attach_signature(int argc, char **argv)
{
	enum { O_OUT = 'o', O_QUIET = 'q', O_SIGNER = 0x200, O_ALG, O_CMS, O_CA, O_JSON };
	static const struct cli_opt opts[] = {
		{"signer", 0, "KEY.pub", O_SIGNER, "the public key that made the raw signature SIG"},
		{"key", 'k', "KEY.pub", O_SIGNER, NULL}, /* the old spelling */
		{"alg", 0, "ALG", O_ALG, "the signature's algorithm when the key allows several"},
		{"cms", 0, NULL, O_CMS, "SIG is a CMS signature (DER) with its certificate"},
		{"trust-ca", 0, "CA.pem", O_CA, "with --cms: check the chain up to this CA (repeatable)"},
		{"output", 'o', "FILE", O_OUT, "write the signed bundle here (default: replace BUNDLE)"},
		{"json", 0, NULL, O_JSON, "print JSON"},
		{"quiet", 'q', NULL, O_QUIET, "no summary"},
		{NULL, 0, NULL, 0, NULL},
	};
	struct attach a = {0};
	struct cli_args args;
	int c, rc;

	cli_args_init(&args, "attach-signature", opts, argc, argv);
	while ((c = cli_next(&args)) > 0) {
		switch (c) {
		case O_SIGNER: a.key_path = args.value; break;
		case O_ALG:
			a.alg = ib_alg_from_name(args.value);
			if (a.alg < 0)
				return cli_usage(
					"attach-signature: unknown --alg '%s' (ed25519, ecdsa-p256, rsa-pss-3072)",
					args.value);
			break;
		case O_CMS: a.cms = 1; break;
		case O_CA:
			if (a.ncas == IB_CAS_MAX)
				return cli_usage("attach-signature: at most %d --trust-ca", IB_CAS_MAX);
			a.cas[a.ncas++] = args.value;
			break;
		case O_OUT: a.out = args.value; break;
		case O_JSON: a.json = 1; break;
		case O_QUIET: a.quiet = 1; break;
		}
	}
	if ((rc = cli_args_done(&args, c, help, opts, 2, 2, "BUNDLE and SIG")) != CLI_GO_ON)
		return rc;
	a.bundle = args.pos[0];
	a.sig_path = args.pos[1];
	if (!a.out)
		a.out = a.bundle;
	if (cli_out_is_stdout(a.out))
		return cli_usage(
			"attach-signature: a bundle is an executable file: -o - (standard output) is not supported");
	if (a.out != a.bundle) {
		const char *in[] = {a.sig_path, a.key_path};

		for (size_t i = 0; i < a.ncas; i++)
			if ((rc = cli_out_check(a.out, &a.cas[i], 1)))
				return cli_fail(rc);
		if ((rc = cli_out_check(a.out, in, 2)))
			return cli_fail(rc);
	}
	if (a.cms == !!a.key_path)
		return cli_usage("attach-signature: give --signer KEY.pub for a raw signature, or --cms");
	if (a.cms && a.alg)
		return cli_usage("attach-signature: --alg is for raw signatures (a CMS signature names its own)");
	if (!a.cms && a.ncas)
		return cli_usage("attach-signature: --trust-ca is for --cms");
	rc = attach(&a);
	return rc ? cli_fail(rc) : CLI_OK;
}
