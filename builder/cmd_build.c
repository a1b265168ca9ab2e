/* ibpack build: stub + package blobs + signed manifest + footer, written atomically. */
#include "build_sign.h"
#include "cli.h"
#include "interrupt.h"
#include "keys.h"
#include "opts.h"
#include "outguard.h"
#include "pack.h"
#include "sbom.h"
#include "spec_rules.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"
#include "../format/pe.h"
#include "../signing/crypto.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: ibpack build SPEC.json -k NAME.key -o OUT [options]\n"
	"Builds a signed bundle from a spec. The spec is checked strictly first (ibpack check lists\n"
	"every finding); OUT is refused when it is an input or inside a package's source folder.\n"
	"SOURCE_DATE_EPOCH, when set, fixes the creation time and every file time in the bundle.\n";

/* The option table of ibpack build (builder/opts.h): one row per option. */
enum {
	O_KEY = 'k',
	O_OUT = 'o',
	O_QUIET = 'q',
	O_TARGET = 0x100,
	O_STUB,
	O_TRUST,
	O_ZSTD,
	O_JSON,
	O_ALLOW_TOKENS,
	O_PASSIN,
	O_STRICT_KEYS,
	O_PROGRESS,
	O_SBOM
};
static const struct cli_opt opts[] = {
	{"key", 'k', "FILE", O_KEY, "signing key (repeatable); its public key is trusted by the stub"},
	{"output", 'o', "FILE", O_OUT, "the bundle to write (replaced atomically)"},
	{"target", 0, "T", O_TARGET, "linux-x86_64 or windows-x86_64 (default: the spec's target)"},
	{"stub", 0, "PATH", O_STUB, "stub executable (default: next to ibpack, or $IBPACK_STUB_DIR)"},
	{"trust", 0, "KEY.pub", O_TRUST, "also trust this public key (repeatable)"},
	BUILD_SIGN_OPTS{"zstd-level", 0, "N", O_ZSTD, "zstd level for compressed packages (default 3)"},
	{"sbom", 0, "FILE", O_SBOM, "also write the bill of materials (CycloneDX 1.5), as 'ibpack sbom' gives it"},
	{"allow-unknown-tokens", 0, NULL, O_ALLOW_TOKENS,
	 "build although an OS or NIC token is unknown (new hardware), with a warning"},
	{"passin", 0, "SRC", O_PASSIN, "passphrase of encrypted -k keys: env:VAR, file:PATH or fd:N"},
	{"strict-keys", 0, NULL, O_STRICT_KEYS, "refuse a private key readable by group or others (default: warn)"},
	{"json", 0, NULL, O_JSON, "print a JSON summary"},
	{"progress", 0, NULL, O_PROGRESS, "show progress although stderr is not a terminal"},
	{"quiet", 'q', NULL, O_QUIET, "no progress or summary"},
	{NULL, 0, NULL, 0, NULL},
};

#define MAX_KEYS 16

struct build {
	struct cli cli;
	const char *spec_path, *out_path, *stub_path, *sbom_path;
	int target, zstd_level, allow_unknown_tokens, strict_keys;
	const char *passin;
	char *keys[MAX_KEYS], *trusts[32];
	size_t nkeys, ntrusts;
	struct build_sign sig; /* threshold, revocations, CAs, CMS, unsigned: build_sign.c */
};

static int64_t build_time(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;

	if (sde && *sde && ib_parse_u64(sde, INT64_MAX, &v) == 0)
		return (int64_t)v;
	return (int64_t)time(NULL);
}

/* ib_write_all with the bundle named in the error. */
static int write_out(int fd, const void *buf, size_t len)
{
	int rc = ib_write_all(fd, buf, len);

	return rc ? ib_fail(rc, "writing the bundle: %s", strerror(-rc)) : 0;
}

/* Loads the stub, writes the trust area into its image and returns it in *image. */
static int prepare_stub(struct build *bd, struct ib_privkey **priv, size_t npriv, uint8_t **image, size_t *len)
{
	char path[IB_PATH_MAX];
	struct ib_trust t = {.threshold = 1};
	size_t off;
	char *data;
	int rc;

	if (bd->stub_path) {
		if (ib_snprintf(path, sizeof(path), "%s", bd->stub_path))
			return ib_fail(-ENAMETOOLONG, "stub path too long");
	} else if ((rc = cli_find_stub(bd->target, path, sizeof(path)))) {
		return rc;
	}
	rc = ib_read_file(path, 64u << 20, 0, &data, len);
	if (rc)
		return rc;
	*image = (uint8_t *)data;
	if ((rc = ib_trust_locate(*image, *len, &off)))
		return ib_fail_ctx(rc, "stub '%s': ", path);
	if ((*len >= 2 && (*image)[0] == 'M' && (*image)[1] == 'Z') != (bd->target == IB_TARGET_WINDOWS_X86_64))
		return ib_fail(IB_E_MISMATCH, "stub '%s' is not a %s executable", path, ib_target_name(bd->target));
	for (size_t i = 0; i < npriv; i++) {
		struct ib_pubkey *k;

		if ((rc = ib_privkey_public(priv[i], &k)) || (rc = ib_trust_add_key(&t, k)))
			goto out;
	}
	for (size_t i = 0; i < bd->ntrusts; i++) {
		struct ib_pubkey *k;

		if ((rc = ib_pubkey_load(bd->trusts[i], &k)) || (rc = ib_trust_add_key(&t, k)))
			goto out;
	}
	if ((rc = build_sign_trust(&bd->sig, &t, priv, npriv)))
		goto out;
	rc = ib_trust_encode(&t, *image + off, IB_TRUST_AREA_SIZE);
out:
	ib_trust_release(&t);
	return rc;
}

/* Every file the build reads, and each package source folder, must survive the output. */
static int check_output(struct build *bd, const struct ib_manifest *m, const char *spec_dir)
{
	const char *in[4 + MAX_KEYS + 32 + BUILD_SIGN_REVOKES_MAX + IB_CAS_MAX + BUILD_SIGN_CHAIN_MAX];
	char(*src)[IB_PATH_MAX] = calloc(m->npkgs ? m->npkgs : 1, sizeof(*src));
	size_t n = 0;
	int rc = 0;

	if (!src)
		return -ENOMEM;
	in[n++] = bd->spec_path;
	in[n++] = bd->stub_path;
	in[n++] = bd->sig.cms_cert;
	in[n++] = bd->sig.cms_key;
	for (size_t i = 0; i < bd->nkeys; i++)
		in[n++] = bd->keys[i];
	for (size_t i = 0; i < bd->ntrusts; i++)
		in[n++] = bd->trusts[i];
	for (size_t i = 0; i < bd->sig.nrevokes; i++)
		in[n++] = bd->sig.revokes[i];
	for (size_t i = 0; i < bd->sig.ncas; i++)
		in[n++] = bd->sig.cas[i];
	for (size_t i = 0; i < bd->sig.ncms_chain; i++)
		in[n++] = bd->sig.cms_chain[i];
	rc = cli_out_check(bd->out_path, in, n);
	if (!rc && bd->sbom_path)
		rc = cli_out_check(bd->sbom_path, in, n);
	for (size_t i = 0; !rc && i < m->npkgs; i++) {
		if (cli_source_path(spec_dir, &m->pkgs[i], src[i], IB_PATH_MAX))
			rc = ib_fail(-ENAMETOOLONG, "package '%s': source path too long", m->pkgs[i].id);
		else if (!(rc = cli_out_outside(bd->out_path, src[i], m->pkgs[i].id))) {
			const char *one = src[i];

			rc = cli_out_check(bd->out_path, &one, 1);
		}
	}
	free(src);
	return rc;
}

static int windows_too_big(int rc)
{
	return ib_fail_ctx(rc, "a Windows bundle must end below 4 GiB, because Authenticode records "
			       "where its signature starts in a 32-bit field; split the packages over several "
			       "bundles: ");
}

static int pack_all(struct build *bd, int fd, struct ib_manifest *m, const char *spec_dir, uint64_t start)
{
	struct ib_pack_opts o = {.mtime = build_time(),
				 .chunk_size = m->chunk_size,
				 .zstd_level = bd->zstd_level,
				 .max_end = m->target == IB_TARGET_WINDOWS_X86_64 ? IB_PE_BUNDLE_MAX : 0};
	char label[128], dir[IB_PATH_MAX], **src = calloc(m->npkgs ? m->npkgs : 1, sizeof(char *));
	struct cli_meter meter;
	unsigned threads;
	int rc = 0;

	if (!src)
		return -ENOMEM;
	if (cli_progress_wanted(&bd->cli)) {
		cli_meter_start(&meter, label);
		o.progress = cli_progress;
		o.progress_ctx = &meter;
	}
	for (size_t i = 0; !rc && i < m->npkgs; i++) {
		struct ib_package *p = &m->pkgs[i];

		if (!(src[i] = malloc(IB_PATH_MAX)))
			rc = -ENOMEM;
		else if (cli_source_path(spec_dir, p, src[i], IB_PATH_MAX))
			rc = ib_fail(-ENAMETOOLONG, "package '%s': source path too long", p->id);
	}
	/* Blobs packed in parallel wait in the output's folder, on the same file system, until
	 * their turn to be appended. */
	if (!rc && cli_out_dir(bd->out_path, dir, sizeof(dir)))
		rc = ib_fail(-ENAMETOOLONG, "output path too long");
	if (!rc)
		rc = ib_pack_threads(&threads);
	if (!rc) {
		snprintf(label, sizeof(label), "packing %zu package%s", m->npkgs, m->npkgs == 1 ? "" : "s");
		rc = ib_pack_all(fd, dir, m->pkgs, src, m->npkgs, &o, threads, start);
		if (o.progress)
			cli_meter_end(&meter);
		if (rc == IB_E_LIMIT && o.max_end)
			rc = windows_too_big(rc);
	}
	for (size_t i = 0; i < m->npkgs; i++)
		free(src[i]);
	free(src);
	return rc;
}

/* After the blobs, each package's chunk hashes as a binary table that the manifest pins by its
 * SHA-256: the manifest stays a few hundred bytes per package whatever the blob sizes, so
 * --list and --detect cost the same for any bundle, and a package's table is read only when
 * that package is used. *end is where the tables end (the manifest starts there). */
static int write_chunk_tables(int fd, struct ib_manifest *m, uint64_t start, uint64_t *end)
{
	uint64_t off = start;
	int rc;

	for (size_t i = 0; i < m->npkgs; i++) {
		struct ib_package *p = &m->pkgs[i];

		if ((rc = write_out(fd, p->chunks, (size_t)IB_CHUNK_TABLE_LEN(p))))
			return rc;
		ib_sha256(p->chunks, (size_t)IB_CHUNK_TABLE_LEN(p), p->table_sha256);
		p->table_offset = off;
		p->has_table = 1;
		off += IB_CHUNK_TABLE_LEN(p);
	}
	*end = off;
	return 0;
}

static int sign_manifest(const char *text, size_t len, struct ib_privkey **priv, size_t npriv, struct build_sign *bs,
			 uint8_t **block, size_t *blocklen)
{
	struct ib_sigblock sb = {0};
	int rc = 0;

	for (size_t i = 0; !rc && i < npriv; i++) {
		struct ib_pubkey *pub = NULL;
		uint8_t *sig = NULL;
		size_t siglen;

		rc = ib_privkey_public(priv[i], &pub);
		if (!rc)
			rc = ib_sign(priv[i], (const uint8_t *)text, len, &sig, &siglen);
		if (!rc)
			rc = ib_sigblock_add(&sb, ib_privkey_alg(priv[i]), ib_pubkey_id(pub), sig, siglen);
		free(sig);
		ib_pubkey_free(pub);
	}
	if (!rc)
		rc = build_sign_cms(bs, (const uint8_t *)text, len, &sb);
	if (!rc)
		rc = ib_sigblock_encode(&sb, block, blocklen);
	ib_sigblock_release(&sb);
	return rc;
}

static void print_summary(const struct build *bd, const struct ib_manifest *m, uint64_t total, struct ib_privkey **priv,
			  size_t npriv)
{
	char size[32], hex[2 * IB_KEYID_LEN + 1];

	if (bd->cli.quiet)
		return;
	if (bd->cli.json) {
		cJSON *o = cJSON_CreateObject(), *pk = NULL, *ks = NULL;

		cJSON_AddStringToObject(o, "bundle", bd->out_path);
		cJSON_AddStringToObject(o, "name", m->name);
		cJSON_AddStringToObject(o, "version", m->version);
		cJSON_AddNumberToObject(o, "sequence", (double)m->sequence);
		cJSON_AddStringToObject(o, "target", ib_target_name(m->target));
		cJSON_AddNumberToObject(o, "size", (double)total);
		pk = cJSON_AddArrayToObject(o, "packages");
		for (size_t i = 0; i < m->npkgs; i++) {
			cJSON *e = cJSON_CreateObject();

			ib_hex_encode(m->pkgs[i].sha256, IB_SHA256_LEN, hex);
			cJSON_AddStringToObject(e, "id", m->pkgs[i].id);
			cJSON_AddStringToObject(e, "compression", ib_compression_name(m->pkgs[i].compression));
			cJSON_AddNumberToObject(e, "length", (double)m->pkgs[i].length);
			cJSON_AddNumberToObject(e, "unpacked_size", (double)m->pkgs[i].unpacked_size);
			cJSON_AddNumberToObject(e, "file_count", (double)m->pkgs[i].file_count);
			cJSON_AddStringToObject(e, "sha256", hex);
			cJSON_AddItemToArray(pk, e);
		}
		ks = cJSON_AddArrayToObject(o, "signed_by");
		for (size_t i = 0; i < npriv; i++) {
			struct ib_pubkey *pub;

			if (ib_privkey_public(priv[i], &pub) == 0) {
				ib_hex_encode(ib_pubkey_id(pub), IB_KEYID_LEN, hex);
				cJSON_AddItemToArray(ks, cJSON_CreateString(hex));
				ib_pubkey_free(pub);
			}
		}
		build_sign_json(&bd->sig, o);
		cli_print_json(o);
		return;
	}
	ib_human_size(total, size, sizeof(size));
	printf("built %s: %s %s (sequence %llu, %s), %zu package%s, %s\n", bd->out_path, m->name, m->version,
	       (unsigned long long)m->sequence, ib_target_name(m->target), m->npkgs, m->npkgs == 1 ? "" : "s", size);
	for (size_t i = 0; i < m->npkgs; i++) {
		char unp[32];

		ib_human_size(m->pkgs[i].length, size, sizeof(size));
		ib_human_size(m->pkgs[i].unpacked_size, unp, sizeof(unp));
		printf("  %-28s %-6s %10s (%s, %llu files)\n", m->pkgs[i].id,
		       ib_compression_name(m->pkgs[i].compression), size, unp,
		       (unsigned long long)m->pkgs[i].file_count);
	}
	for (size_t i = 0; i < npriv; i++) {
		struct ib_pubkey *pub;

		if (ib_privkey_public(priv[i], &pub) == 0) {
			ib_hex_encode(ib_pubkey_id(pub), IB_KEYID_LEN, hex);
			printf("  signed: %s key %s\n", ib_alg_name(ib_privkey_alg(priv[i])), hex);
			ib_pubkey_free(pub);
		}
	}
	build_sign_print(&bd->sig);
}

/* Readers refuse a manifest over IB_MANIFEST_MAX; it lists every file, so a huge tree could
 * reach it (about 150 bytes a file): refuse to write a bundle nothing could open. */
static int manifest_fits(size_t len)
{
	if (len <= IB_MANIFEST_MAX)
		return 0;
	return ib_fail(IB_E_LIMIT,
		       "the manifest would be %zu bytes, over the %u a bundle may have: too many "
		       "files in the packages (pack large trees as one archive file)",
		       len, IB_MANIFEST_MAX);
}

/* The bill of materials from the manifest just serialized and the stub image it hashes: what
 * 'ibpack sbom' reads back from the finished bundle. */
static int build_sbom(const struct ib_manifest *m, const char *manifest, size_t manifest_len, const uint8_t *stub,
		      size_t stub_len, char **bom, size_t *bom_len)
{
	struct sbom_input in;
	int rc = sbom_input_init(&in, m, manifest, manifest_len, stub, stub_len);

	if (!rc)
		rc = sbom_render(&in, bom, bom_len);
	sbom_input_release(&in);
	return rc;
}

static int build(struct build *bd)
{
	struct ib_manifest m;
	struct ib_privkey *priv[MAX_KEYS] = {0};
	uint8_t *stub = NULL, *sigblock = NULL, footer_bytes[IB_FOOTER_SIZE], pad[IB_BUNDLE_ALIGN] = {0};
	size_t stub_len = 0, sigblock_len = 0, manifest_len = 0, padlen;
	char *spec_dir = NULL, *manifest = NULL, *bom = NULL;
	size_t bom_len = 0;
	struct ib_footer f = {.version = IB_FORMAT_VERSION};
	struct ib_atomic_file out = {.fd = -1};
	int rc;

	rc = cli_load_spec(bd->spec_path, &m, &spec_dir);
	if (rc)
		return rc;
	if (bd->target && bd->target != m.target) {
		rc = ib_fail(IB_E_SPEC, "%s: target is %s, but --target asks for %s", bd->spec_path,
			     ib_target_name(m.target), ib_target_name(bd->target));
		goto out;
	}
	bd->target = m.target;
	if ((rc = spec_enforce(bd->spec_path, &m, spec_dir, bd->allow_unknown_tokens)) ||
	    (rc = check_output(bd, &m, spec_dir)))
		goto out;
	for (size_t i = 0; i < bd->nkeys; i++)
		if ((rc = cli_load_privkey(bd->keys[i], bd->passin, bd->strict_keys, &priv[i])))
			goto out;
	if ((rc = prepare_stub(bd, priv, bd->nkeys, &stub, &stub_len)))
		goto out;
	m.stub_size = stub_len;
	ib_stub_hash_mem(stub, stub_len, m.stub_sha256);
	ib_format_utc(build_time(), m.created, sizeof(m.created));

	if ((rc = cli_atomic_begin(&out, bd->out_path, 0755)))
		goto out;
	if ((rc = write_out(out.fd, stub, stub_len)) || (rc = pack_all(bd, out.fd, &m, spec_dir, stub_len)))
		goto out;
	f.stub_len = stub_len;
	if ((rc = write_chunk_tables(out.fd, &m,
				     m.npkgs ? m.pkgs[m.npkgs - 1].offset + m.pkgs[m.npkgs - 1].length : stub_len,
				     &f.manifest_off)))
		goto out;
	if ((rc = ib_manifest_serialize(&m, &manifest, &manifest_len)) || (rc = manifest_fits(manifest_len)) ||
	    (rc = sign_manifest(manifest, manifest_len, priv, bd->nkeys, &bd->sig, &sigblock, &sigblock_len)) ||
	    (rc = build_sign_check(&bd->sig, stub, stub_len, sigblock, sigblock_len, (const uint8_t *)manifest,
				   manifest_len)))
		goto out;
	if (bd->sbom_path && (rc = build_sbom(&m, manifest, manifest_len, stub, stub_len, &bom, &bom_len)))
		goto out;
	f.manifest_len = manifest_len;
	f.sigblock_off = f.manifest_off + manifest_len;
	/* Padded so the whole bundle is 8-byte aligned: Authenticode appends its table there. */
	padlen = ib_footer_layout(&f, sigblock_len);
	if (m.target == IB_TARGET_WINDOWS_X86_64 && f.bundle_len > IB_PE_BUNDLE_MAX) {
		rc = windows_too_big(
			ib_fail(IB_E_LIMIT, "the bundle would be %llu bytes long", (unsigned long long)f.bundle_len));
		goto out;
	}
	ib_footer_encode(&f, footer_bytes);
	if ((rc = write_out(out.fd, manifest, manifest_len)) || (rc = write_out(out.fd, sigblock, sigblock_len)) ||
	    (rc = write_out(out.fd, pad, padlen)) || (rc = write_out(out.fd, footer_bytes, sizeof(footer_bytes))) ||
	    (rc = ib_atomic_commit(&out)))
		goto out;
	cli_interrupt_disarm();
	if (bom && (rc = ib_atomic_write_file(bd->sbom_path, 0644, bom, bom_len)))
		goto out;
	print_summary(bd, &m, f.bundle_len, priv, bd->nkeys);
out:
	ib_atomic_abort(&out);
	for (size_t i = 0; i < bd->nkeys; i++)
		ib_privkey_free(priv[i]);
	free(stub);
	free(sigblock);
	free(manifest);
	free(bom);
	free(spec_dir);
	ib_manifest_release(&m);
	return rc;
}

int cmd_build(int argc, char **argv)
{
	struct build bd = {.zstd_level = 3};
	struct cli_args a;
	long lv;
	int c, rc;

	bd.cli.tty = isatty(2);
	cli_args_init(&a, "build", opts, argc, argv);
	while ((c = cli_next(&a)) > 0) {
		switch (c) {
		case O_KEY:
			if (bd.nkeys == MAX_KEYS)
				return cli_usage("build: at most %d keys", MAX_KEYS);
			bd.keys[bd.nkeys++] = (char *)a.value;
			break;
		case O_OUT: bd.out_path = a.value; break;
		case O_TARGET:
			bd.target = ib_target_from_name(a.value);
			if (bd.target < 0)
				return cli_usage("build: unknown target '%s' (linux-x86_64, windows-x86_64)", a.value);
			break;
		case O_STUB: bd.stub_path = a.value; break;
		case O_SBOM: bd.sbom_path = a.value; break;
		case O_TRUST:
			if (bd.ntrusts == 32)
				return cli_usage("build: at most 32 --trust keys");
			bd.trusts[bd.ntrusts++] = (char *)a.value;
			break;
		case O_ZSTD:
			if (ib_parse_int(a.value, 1, 19, &lv))
				return cli_usage("build: --zstd-level takes 1 to 19");
			bd.zstd_level = (int)lv;
			break;
		case O_ALLOW_TOKENS: bd.allow_unknown_tokens = 1; break;
		case O_PASSIN:
			if (cli_passin_check("--passin", a.value))
				return cli_fail(IB_E_USAGE);
			bd.passin = a.value;
			break;
		case O_STRICT_KEYS: bd.strict_keys = bd.sig.strict_keys = 1; break;
		case O_JSON: bd.cli.json = 1; break;
		case O_PROGRESS: bd.cli.progress = 1; break;
		case O_QUIET: bd.cli.quiet = 1; break;
		default:
			rc = build_sign_option(&bd.sig, c, a.value);
			if (rc)
				return rc == 1 ? cli_usage("build: bad option") : rc;
		}
	}
	if ((rc = cli_args_done(&a, c, usage, opts, 1, 1, "SPEC.json")) != CLI_GO_ON)
		return rc;
	bd.spec_path = a.pos[0];
	if (!bd.out_path)
		return cli_usage("build: -o OUT is required");
	if (cli_out_is_stdout(bd.out_path))
		return cli_usage("build: a bundle is an executable file: -o - (standard output) is not supported");
	if ((rc = build_sign_validate(&bd.sig, bd.nkeys, bd.ntrusts)))
		return rc;
	rc = build(&bd);
	if (!rc)
		return CLI_OK;
	/* Exit 2 means "this bundle is invalid"; a build reads no bundle, so a bad input (a source
	 * off its pinned sha256, a file that is not a stub) is an ordinary failure. */
	rc = cli_fail(rc);
	return rc == CLI_INVALID ? CLI_FAILED : rc;
}
