/* ibpack verify: every byte of a bundle checked against its signed manifest, and a report a
 * security team can archive (identity, signers and what each counted for, packages, verdict). */
#include "check_pool.h"
#include "cli.h"
#include "opts.h"
#include "sbom.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/text.h"
#include "../base/util.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef IBPACK_VERSION
#define IBPACK_VERSION "0.0.0-dev"
#endif

static const char help[] =
	"usage: ibpack verify BUNDLE [ANCHORS] [--threshold N] [--exact-trust] [--json] [--sbom FILE]\n"
	"Checks the footer, the signatures over the manifest, the stub's SHA-256, every chunk of\n"
	"every package and the padding.\n" CLI_ANCHOR_HELP
	"The revocations and threshold embedded in the stub apply on top (--threshold N may raise\n"
	"it). The embedded trust policy (keys, CAs, revocations, threshold) is shown next to the\n"
	"verdict; --exact-trust fails when the stub trusts any key or CA beyond the given anchors,\n"
	"since the stub would later run a payload signed by it.\n"
	"--json prints a report to archive: file and manifest SHA-256, every signature with its\n"
	"status (counted, duplicate, revoked, untrusted, invalid), the CMS signer, every package with\n"
	"its hash and size, the anchors and the embedded policy, and the verdict. --sbom FILE also\n"
	"checks that the CycloneDX bill of materials in FILE describes exactly this bundle (every\n"
	"component, hash and property). Exit 0 when valid, 2 when not (also when no anchor trusts\n"
	"the signer, or when the bill of materials does not match).\n";

struct opts {
	const char *path, *sbom;
	struct cli_anchors anchors;
	uint32_t threshold;
	int json, quiet, exact;
	struct cli cli; /* whether to show progress */
};

struct report {
	int ok;
	char failure[1024];
	cJSON *json, *warnings;
};

static void failed(struct report *r, int rc)
{
	if (r->ok)
		snprintf(r->failure, sizeof(r->failure), "%s", ib_errmsg(rc));
	r->ok = 0;
}

static void check_target(struct ib_bundle *b, struct report *r)
{
	int pe = b->pe.is_pe;

	if (pe != (b->m.target == IB_TARGET_WINDOWS_X86_64))
		failed(r, ib_fail(IB_E_MISMATCH, "stub: a %s stub carries a %s manifest",
				  pe ? "Windows" : "non-Windows", ib_target_name(b->m.target)));
}

/* name: "trust" (what the verdict used: the anchors, or with none the stub's own policy) or
 * "embedded_trust" (the stub's policy, which it applies when it runs). */
static void add_trust(const char *name, const char *source, const struct ib_trust *t, cJSON *r)
{
	cJSON *tr = cJSON_AddObjectToObject(r, name), *a;
	char hex[2 * IB_SHA256_LEN + 1];

	if (source)
		cJSON_AddStringToObject(tr, "source", source);
	a = cJSON_AddArrayToObject(tr, "keys");
	for (size_t i = 0; i < t->nkeys; i++) {
		cJSON *e = cJSON_CreateObject();

		ib_hex_encode(ib_pubkey_id(t->keys[i]), IB_KEYID_LEN, hex);
		cJSON_AddStringToObject(e, "key_id", hex);
		cJSON_AddStringToObject(e, "algorithm", ib_alg_name(ib_pubkey_alg(t->keys[i])));
		cJSON_AddItemToArray(a, e);
	}
	a = cJSON_AddArrayToObject(tr, "cas");
	for (size_t i = 0; i < t->ncas; i++) {
		cJSON *e = cJSON_CreateObject();

		ib_hex_encode(ib_cert_fingerprint(t->cas[i]), IB_SHA256_LEN, hex);
		cJSON_AddStringToObject(e, "subject", ib_cert_subject(t->cas[i]));
		cJSON_AddStringToObject(e, "sha256", hex);
		cJSON_AddItemToArray(a, e);
	}
	a = cJSON_AddArrayToObject(tr, "revoked");
	for (size_t i = 0; i < t->nrevoked; i++) {
		ib_hex_encode(t->revoked[i], IB_KEYID_LEN, hex);
		cJSON_AddItemToArray(a, cJSON_CreateString(hex));
	}
	cJSON_AddNumberToObject(tr, "threshold", t->threshold);
}

static void add_cms(const struct ib_signature *s, const struct ib_trust *t, const struct ib_bundle *b, struct report *r,
		    cJSON *e)
{
	struct ib_cms_info info;
	cJSON *c;
	char warn[512];

	/* Verified again only for the chain details; the verdict came from ib_trust_evaluate. */
	if (ib_cms_verify(s->sig, s->len, b->manifest_raw, b->manifest_len, t->cas, t->ncas, &info) != 0 &&
	    ib_cms_inspect(s->sig, s->len, &info) != 0)
		return;
	c = cJSON_AddObjectToObject(e, "certificate");
	cJSON_AddStringToObject(c, "subject", info.subject);
	cJSON_AddStringToObject(c, "issuer", info.issuer);
	cJSON_AddStringToObject(c, "key", info.key);
	cJSON_AddStringToObject(c, "not_after", info.not_after);
	cJSON_AddBoolToObject(c, "chain_trusted", info.chain_ok);
	if (info.chain_ok)
		cJSON_AddStringToObject(c, "trusted_ca", info.anchor);
	if (info.expired) {
		cJSON_AddBoolToObject(c, "expired", 1);
		snprintf(warn, sizeof(warn),
			 "a certificate in the chain of '%s' is outside its validity period "
			 "now (not enforced offline)",
			 info.subject);
		cJSON_AddItemToArray(r->warnings, cJSON_CreateString(warn));
	}
}

static void add_signers(const struct ib_bundle *b, const struct ib_trust *t, const int *state, struct report *r)
{
	cJSON *a = cJSON_AddArrayToObject(r->json, "signatures");
	char hex[2 * IB_KEYID_LEN + 1];

	for (size_t i = 0; i < b->sigs.count; i++) {
		const struct ib_signature *s = &b->sigs.sigs[i];
		cJSON *e = cJSON_CreateObject();

		ib_hex_encode(s->keyid, IB_KEYID_LEN, hex);
		cJSON_AddStringToObject(e, "algorithm", ib_alg_name(s->alg));
		cJSON_AddStringToObject(e, "key_id", hex);
		cJSON_AddStringToObject(e, "status", ib_sig_state_name(state[i]));
		cJSON_AddBoolToObject(e, "counted", state[i] == IB_SIG_COUNTED);
		if (s->alg == IB_ALG_CMS)
			add_cms(s, t, b, r, e);
		cJSON_AddItemToArray(a, e);
	}
}

/* The same messages cli_open_bundle gives, so every command explains a rejection alike. */
static int explain(const struct opts *o, const struct ib_trust *t, const struct ib_bundle *b, int rc,
		   const char *source)
{
	char why[1024];

	if (rc == IB_E_UNTRUSTED) {
		ib_trust_explain(t, &b->sigs, why, sizeof(why));
		return ib_fail(rc, "'%s' is not signed by a trusted key (anchors: %s): %s", o->path, source, why);
	}
	return ib_fail_ctx(rc, "'%s': ", o->path);
}

/* Only a certificate table that opening the bundle accepted, holding a parseable PKCS#7
 * SignedData: the same thing osslsigncode would call signed (not whether it verifies). */
static int authenticode_signed(struct ib_bundle *b)
{
	uint8_t *der;
	int ok = 0;

	if (!b->pe.is_pe || !b->pe.pkcs7_len || b->pe.pkcs7_len > IB_PE_CERT_MAX)
		return 0;
	if (!(der = malloc((size_t)b->pe.pkcs7_len)))
		return 0;
	if (ib_file_pread(&b->file, der, (size_t)b->pe.pkcs7_len, b->pe.pkcs7_off) == 0)
		ok = ib_pkcs7_is_signed_data(der, (size_t)b->pe.pkcs7_len);
	free(der);
	return ok;
}

/* file_sha256 is a placeholder here, filled in by add_file_hash once the thread hashing the
 * file (check_file_hash_start) is done. */
static void add_identity(struct ib_bundle *b, struct report *r)
{
	char hex[2 * IB_SHA256_LEN + 1];
	uint8_t digest[IB_SHA256_LEN];

	cJSON_AddNumberToObject(r->json, "size", (double)b->end);
	cJSON_AddNumberToObject(r->json, "file_size", (double)b->file.size);
	cJSON_AddNullToObject(r->json, "file_sha256");
	ib_sha256(b->manifest_raw, b->manifest_len, digest);
	ib_hex_encode(digest, IB_SHA256_LEN, hex);
	cJSON_AddStringToObject(r->json, "manifest_sha256", hex);
	cJSON_AddBoolToObject(r->json, "authenticode_signed", authenticode_signed(b));
}

static void add_file_hash(struct check_file_hash *h, struct report *r)
{
	char hex[2 * IB_SHA256_LEN + 1];

	if (check_file_hash_finish(h)) { /* a read error: the checks report it where it matters */
		cJSON_DeleteItemFromObjectCaseSensitive(r->json, "file_sha256");
		return;
	}
	ib_hex_encode(h->digest, IB_SHA256_LEN, hex);
	cJSON_ReplaceItemInObjectCaseSensitive(r->json, "file_sha256", cJSON_CreateString(hex));
}

static void add_manifest(struct ib_bundle *b, struct report *r)
{
	char hex[2 * IB_SHA256_LEN + 1];

	cJSON_AddStringToObject(r->json, "name", b->m.name);
	cJSON_AddStringToObject(r->json, "version", b->m.version);
	cJSON_AddNumberToObject(r->json, "sequence", (double)b->m.sequence);
	cJSON_AddStringToObject(r->json, "target", ib_target_name(b->m.target));
	cJSON_AddStringToObject(r->json, "created", b->m.created);
	ib_hex_encode(b->m.stub_sha256, IB_SHA256_LEN, hex);
	cJSON_AddStringToObject(r->json, "stub_sha256", hex);
	cJSON_AddNumberToObject(r->json, "stub_size", (double)b->m.stub_size);
}

static void check_contents(const struct opts *o, struct ib_bundle *b, struct report *r)
{
	char hex[2 * IB_SHA256_LEN + 1];
	/* the stub and every package are hashed on several threads first (check_pool.c);
	 * their outcomes are then reported in order, as before. */
	struct check_result *res = calloc(b->m.npkgs + 1, sizeof(*res));
	struct cli_meter meter;
	int show = cli_progress_wanted(&o->cli);
	cJSON *pkgs;
	int rc;

	check_target(b, r);
	if (show)
		cli_meter_start(&meter, "verifying");
	rc = res ? check_all_progress(b, 0, res, show ? cli_progress : NULL, &meter) : -ENOMEM;
	if (show)
		cli_meter_end(&meter);
	if (rc) {
		failed(r, ib_fail(-ENOMEM, "out of memory"));
		free(res);
		return;
	}
	rc = check_result_rc(&res[0]);
	if (rc)
		failed(r, rc);
	pkgs = cJSON_AddArrayToObject(r->json, "packages");
	for (size_t i = 0; i < b->m.npkgs; i++) {
		const struct ib_package *p = &b->m.pkgs[i];
		cJSON *e = cJSON_CreateObject();

		rc = check_result_rc(&res[1 + i]);
		ib_hex_encode(p->sha256, IB_SHA256_LEN, hex);
		cJSON_AddStringToObject(e, "id", p->id);
		cJSON_AddStringToObject(e, "name", p->name);
		cJSON_AddStringToObject(e, "version", p->version);
		cJSON_AddStringToObject(e, "sha256", hex);
		cJSON_AddNumberToObject(e, "offset", (double)p->offset);
		cJSON_AddNumberToObject(e, "length", (double)p->length);
		cJSON_AddNumberToObject(e, "unpacked_size", (double)p->unpacked_size);
		cJSON_AddNumberToObject(e, "file_count", (double)p->file_count);
		cJSON_AddStringToObject(e, "compression", ib_compression_name(p->compression));
		cJSON_AddBoolToObject(e, "valid", rc == 0);
		if (rc)
			failed(r, rc);
		cJSON_AddItemToArray(pkgs, e);
	}
	free(res);
}

/* verify --sbom: the given document must be the one this (valid) bundle gives. */
static void check_sbom(const struct opts *o, struct ib_bundle *b, struct report *r)
{
	struct sbom_input in = {0};
	char *text = NULL;
	size_t len;
	int rc = ib_read_file(o->sbom, SBOM_TEXT_MAX, 0, &text, &len);

	if (!rc) {
		rc = sbom_input_from_bundle(&in, b);
		if (!rc)
			rc = sbom_check(&in, text, len);
		sbom_input_release(&in);
	}
	free(text);
	cJSON_AddStringToObject(r->json, "sbom", o->sbom);
	cJSON_AddBoolToObject(r->json, "sbom_matches", rc == 0);
	if (rc)
		failed(r, ib_fail_ctx(rc, "the bill of materials '%s' does not describe this bundle: ", o->sbom));
}

/* The stub's own policy, one line: what it will accept when it runs. */
static void print_policy(const struct ib_trust *t)
{
	char hex[2 * IB_SHA256_LEN + 1];

	printf("  embedded trust policy: keys");
	for (size_t i = 0; i < t->nkeys; i++) {
		ib_hex_encode(ib_pubkey_id(t->keys[i]), IB_KEYID_LEN, hex);
		printf("%s %s (%s)", i ? "," : "", hex, ib_alg_name(ib_pubkey_alg(t->keys[i])));
	}
	printf("%s; CAs", t->nkeys ? "" : " none");
	for (size_t i = 0; i < t->ncas; i++) {
		ib_hex_encode(ib_cert_fingerprint(t->cas[i]), IB_SHA256_LEN, hex);
		printf("%s '%s' (sha256 %.16s)", i ? "," : "", ib_cert_subject(t->cas[i]), hex);
	}
	printf("%s; revoked", t->ncas ? "" : " none");
	for (size_t i = 0; i < t->nrevoked; i++) {
		ib_hex_encode(t->revoked[i], IB_KEYID_LEN, hex);
		printf("%s %s", i ? "," : "", hex);
	}
	printf("%s; threshold %u\n", t->nrevoked ? "" : " none", (unsigned)t->threshold);
}

static void print_human(const struct opts *o, struct ib_bundle *b, struct report *r, const char *source,
			const struct ib_trust *embedded)
{
	cJSON *fh = cJSON_GetObjectItemCaseSensitive(r->json, "file_sha256");
	char t1[512], t2[512];

	if (o->quiet)
		return;
	if (r->ok) {
		printf("%s: valid: %s %s (sequence %llu, %s), %zu package%s, %zu trusted signature%s (anchors: %s)\n",
		       o->path, ib_text_escape(b->m.name, t1, sizeof(t1)), ib_text_escape(b->m.version, t2, sizeof(t2)),
		       (unsigned long long)b->m.sequence, ib_target_name(b->m.target), b->m.npkgs,
		       b->m.npkgs == 1 ? "" : "s", b->valid_sigs, b->valid_sigs == 1 ? "" : "s", source);
		if (o->sbom)
			printf("  bill of materials %s describes it exactly\n", o->sbom);
		if (cJSON_IsString(fh))
			printf("  sha256 %s\n", fh->valuestring);
	}
	if (embedded)
		print_policy(embedded);
	for (int i = 0; i < cJSON_GetArraySize(r->warnings); i++)
		fprintf(stderr, "ibpack: warning: %s\n", cJSON_GetArrayItem(r->warnings, i)->valuestring);
}

static int verify(const struct opts *o)
{
	struct report r = {.ok = 1};
	struct ib_bundle b;
	struct ib_trust t, embedded;
	struct check_file_hash fh;
	const struct ib_trust *use;
	const char *source = NULL;
	int state[IB_SIG_COUNT_MAX] = {0};
	int fatal = 0, opened, content = 0, anchored = 0, have_embedded = 0, rc;
	char now[32];

	r.json = cJSON_CreateObject();
	r.warnings = cJSON_CreateArray();
	cJSON_AddStringToObject(r.json, "bundle", o->path);
	ib_format_utc((int64_t)time(NULL), now, sizeof(now));
	cJSON_AddStringToObject(r.json, "checked_at", now);
	cJSON_AddStringToObject(r.json, "ibpack_version", IBPACK_VERSION);
	rc = ib_bundle_open(&b, o->path);
	opened = rc == 0;
	if (rc) {
		fatal = ib_fail_ctx(rc, "'%s': ", o->path);
		failed(&r, fatal);
	} else if ((rc = cli_load_trust(&b, NULL, 0, NULL, 0, 0, &embedded))) {
		fatal = rc;
		failed(&r, rc);
	} else if ((have_embedded = 1,
		    rc = cli_anchors_trust(&o->anchors, &b, o->threshold, &embedded, &t, &source, &anchored))) {
		fatal = rc;
		failed(&r, rc);
	} else {
		/* Without an anchor every byte is still checked, against the stub's own keys, so the
		 * report is complete; the verdict is then "not trusted by this machine". */
		use = anchored ? &t : &embedded;
		if (!anchored)
			source = "none: only the bundle's own keys (not trusted)";
		check_file_hash_start(&fh, &b);
		add_identity(&b, &r);
		rc = ib_trust_evaluate(use, &b.sigs, b.manifest_raw, b.manifest_len, state, &b.valid_sigs);
		/* The manifest is parsed only once the signatures over its bytes have counted. */
		if (!rc)
			rc = ib_bundle_parse_unverified(&b);
		if (rc)
			failed(&r, explain(o, use, &b, rc, source)); /* the report records details of its own */
		add_trust("trust", source, use, r.json);
		add_trust("embedded_trust", NULL, &embedded, r.json);
		cJSON_AddBoolToObject(r.json, "anchored", anchored);
		add_signers(&b, use, state, &r);
		cJSON_AddNumberToObject(r.json, "valid_signatures", (double)(anchored ? b.valid_sigs : 0));
		if (!rc) {
			b.authenticated = 1;
			content = 1;
			add_manifest(&b, &r);
			check_contents(o, &b, &r);
			if (o->sbom && r.ok)
				check_sbom(o, &b, &r);
		}
		add_file_hash(&fh, &r);
		if (!anchored)
			failed(&r, cli_anchors_missing(o->path, &b.sigs));
		else if (o->exact && (rc = cli_anchors_exact(&embedded, &t)))
			failed(&r, rc);
		ib_trust_release(&t);
	}
	cJSON_AddItemToObject(r.json, "warnings", r.warnings);
	cJSON_AddStringToObject(r.json, "verdict", r.ok ? "valid" : "invalid");
	if (!r.ok)
		cJSON_AddStringToObject(r.json, "failure", r.failure);
	if (o->json) {
		cli_print_json(r.json);
	} else {
		print_human(o, &b, &r, source, have_embedded ? &embedded : NULL);
		cJSON_Delete(r.json);
	}
	if (have_embedded)
		ib_trust_release(&embedded);
	if (!r.ok && content)
		fprintf(stderr, "ibpack: error: %s: invalid: %s\n", o->path, r.failure);
	else if (!r.ok)
		fprintf(stderr, "ibpack: error: %s\n", r.failure);
	if (opened)
		ib_bundle_close(&b);
	if (fatal)
		return cli_exit_code(fatal);
	return r.ok ? CLI_OK : CLI_INVALID;
}

int cmd_verify(int argc, char **argv)
{
	enum { O_THRESHOLD = 0x200, O_JSON, O_SBOM, O_PROGRESS, O_QUIET = 'q' };
	static const struct cli_opt opts[] = {
		CLI_ANCHOR_OPTS{"threshold", 0, "N", O_THRESHOLD,
				"with anchors: signatures needed (default: the stub's)"},
		{"exact-trust", 0, NULL, CLI_O_EXACT_TRUST, "fail when the stub trusts more than the anchors"},
		{"sbom", 0, "FILE", O_SBOM, "also check that this bill of materials describes exactly the bundle"},
		{"json", 0, NULL, O_JSON, "print the report as JSON"},
		{"progress", 0, NULL, O_PROGRESS, "show progress although stderr is not a terminal"},
		{"quiet", 'q', NULL, O_QUIET, "no progress"},
		{NULL, 0, NULL, 0, NULL},
	};
	struct opts o = {0};
	struct cli_args a;
	long n;
	int c, rc;

	cli_args_init(&a, "verify", opts, argc, argv);
	while ((c = cli_next(&a)) > 0) {
		switch (c) {
		case O_THRESHOLD:
			if (ib_parse_int(a.value, 1, IB_SIG_COUNT_MAX, &n))
				return cli_usage("verify: --threshold takes 1 to %d", IB_SIG_COUNT_MAX);
			o.threshold = (uint32_t)n;
			break;
		case CLI_O_EXACT_TRUST: o.exact = 1; break;
		case O_SBOM: o.sbom = a.value; break;
		case O_JSON: o.json = 1; break;
		case O_PROGRESS: o.cli.progress = 1; break;
		case O_QUIET: o.quiet = 1; break;
		default:
			if ((rc = cli_anchor_option(&o.anchors, c, a.value)) < 0)
				return cli_usage("verify: %s", ib_errmsg(rc));
			break;
		}
	}
	if ((rc = cli_args_done(&a, c, help, opts, 1, 1, "BUNDLE")) != CLI_GO_ON)
		return rc;
	if (o.threshold && !o.anchors.npubs && !o.anchors.nkey_ids && !o.anchors.ncas)
		return cli_usage("verify: --threshold goes with --trust, --key-id or --trust-ca (the stub's own "
				 "threshold applies otherwise)");
	o.path = a.pos[0];
	o.cli.tty = isatty(2);
	o.cli.quiet = o.quiet;
	o.cli.json = o.json;
	return verify(&o);
}
