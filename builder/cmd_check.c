/* ibpack fetch-list and check: what to download for a spec, and whether its sources are there
 * and intact and its rules lint clean (builder/lint.c). */
#include "cli.h"
#include "opts.h"
#include "lint.h"
#include "pack.h"
#include "spec_rules.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"
#include "../signing/crypto.h"

#include <cjson/cJSON.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HASH_READ (1u << 20) /* read size while hashing a source */

static const char fetch_help[] =
	"usage: ibpack fetch-list SPEC [--json | --format plain|urls]\n"
	"For a connected machine: per package the file to download (basename of its source), version,\n"
	"download address (the spec's \"url\"), pinned sha256 if any, and the destination path (the\n"
	"source resolved against the spec's folder, where 'ibpack build' reads it).\n"
	"  --format urls   one \"URL  DEST\" line per file that has an address, each file once;\n"
	"                  files without an address are named on stderr. For example:\n"
	"                    ibpack fetch-list SPEC --format urls | while read -r url dest; do\n"
	"                      mkdir -p \"$(dirname \"$dest\")\" && curl -fL -o \"$dest\" \"$url\"; done\n"
	"Exit codes: 0 listed, 1 usage, 3 the spec cannot be read.\n";

static const char check_help[] =
	"usage: ibpack check SPEC [--json] [--hash]\n"
	"Reports each package's source as verified (pinned sha256 matches), present, missing, corrupt\n"
	"(pinned sha256 differs) or invalid (build would refuse it: symlink, device, setuid, empty\n"
	"directory, unreadable, sha256 pinned on a directory, or such an entry or a name that is not\n"
	"UTF-8 anywhere inside a source folder), then lints the selection rules:\n"
	"  overlap          two packages can both be chosen for one OS and NIC at equal priority\n"
	"  unknown-os       an OS token or '*' pattern that matches no known OS token\n"
	"  wrong-target-os  an OS token of the other target (windows-* in a Linux spec, ...)\n"
	"  unknown-nic      a NIC token outside the vocabulary\n"
	"  unreachable      a package no detectable machine selects (unknown or Ethernet-only NICs\n"
	"                   only, no OS of the target, or shadowed for every OS and NIC it matches)\n"
	"  shared-vf        models sharing a VF id (cx3/cx3pro: 0x1004) select different packages\n"
	"  missing-program  the install command's program is not in the package (on Windows: nor a\n"
	"                   System32 program)\n"
	"Sources are walked with the rules build applies (file types, setuid/setgid, UTF-8 names).\n"
	"Build refuses unknown-os, wrong-target-os, unknown-nic (unless --allow-unknown-tokens) and\n"
	"missing-program; the other findings are warnings about the selection rules.\n"
	"  --hash    also print the sha256 of every single-file source (to pin it in the spec)\n"
	"Exit codes: 0 every source present and intact and the lint clean; 3 problems found (or the\n"
	"spec cannot be read); 1 usage.\n";

/* ---- shared helpers ---- */

/* The file a package's url and sha256 name: the source, or the artifact inside it. */
static int resolve_source(const char *dir, const struct ib_package *p, char *buf, size_t size)
{
	/* The same rule as ibpack build: absolute, or relative to the spec's folder. */
	if (p->source[0] == '/')
		return ib_snprintf(buf, size, "%s%s%s", p->source, p->artifact ? "/" : "",
				   p->artifact ? p->artifact : "");
	return ib_snprintf(buf, size, "%s/%s%s%s", dir, p->source, p->artifact ? "/" : "",
			   p->artifact ? p->artifact : "");
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s[1] ? s + 1 : path;
}

static const char *file_name(const struct ib_package *p)
{
	return p->artifact ? p->artifact : base_name(p->source);
}

static void hex_pin(const struct ib_package *p, char *hex)
{
	hex[0] = '\0';
	if (p->has_source_sha256)
		ib_hex_encode(p->source_sha256, IB_SHA256_LEN, hex);
}

/* ---- fetch-list ---- */

/* Index of the first earlier package with the same destination, or -1. */
static long same_dest(char (*dest)[IB_PATH_MAX], size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (!strcmp(dest[j], dest[i]))
			return (long)j;
	return -1;
}

static void fetch_print_json(const char *spec, const struct ib_manifest *m, char (*dest)[IB_PATH_MAX])
{
	cJSON *o = cJSON_CreateObject(), *a;
	size_t files = 0;

	cJSON_AddStringToObject(o, "spec", spec);
	cJSON_AddStringToObject(o, "name", m->name);
	cJSON_AddStringToObject(o, "version", m->version);
	cJSON_AddStringToObject(o, "target", ib_target_name(m->target));
	a = cJSON_AddArrayToObject(o, "packages");
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];
		cJSON *e = cJSON_CreateObject();
		char hex[2 * IB_SHA256_LEN + 1];
		long dup = same_dest(dest, i);

		hex_pin(p, hex);
		cJSON_AddStringToObject(e, "id", p->id);
		cJSON_AddStringToObject(e, "name", p->name);
		cJSON_AddStringToObject(e, "version", p->version);
		cJSON_AddStringToObject(e, "file", file_name(p));
		if (p->url)
			cJSON_AddStringToObject(e, "url", p->url);
		else
			cJSON_AddNullToObject(e, "url");
		if (hex[0])
			cJSON_AddStringToObject(e, "sha256", hex);
		else
			cJSON_AddNullToObject(e, "sha256");
		cJSON_AddStringToObject(e, "source", p->source);
		cJSON_AddStringToObject(e, "dest", dest[i]);
		if (dup >= 0)
			cJSON_AddStringToObject(e, "same_file_as", m->pkgs[dup].id);
		else
			files++;
		cJSON_AddItemToArray(a, e);
	}
	cJSON_AddNumberToObject(o, "files", (double)files);
	cli_print_json(o);
}

static void fetch_print_plain(const struct ib_manifest *m, char (*dest)[IB_PATH_MAX])
{
	size_t files = 0;

	for (size_t i = 0; i < m->npkgs; i++)
		files += same_dest(dest, i) < 0;
	printf("# %s %s (%s): %zu packages, %zu files\n", m->name, m->version, ib_target_name(m->target), m->npkgs,
	       files);
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];
		char hex[2 * IB_SHA256_LEN + 1];
		long dup = same_dest(dest, i);

		hex_pin(p, hex);
		printf("%s\n  file     %s\n  version  %s %s\n", p->id, file_name(p), p->name, p->version);
		printf("  url      %s\n", p->url ? p->url : "none: no public download, supply the file yourself");
		printf("  sha256   %s\n", hex[0] ? hex : "not pinned");
		printf("  dest     %s%s%s%s\n", dest[i], dup >= 0 ? " (same file as '" : "",
		       dup >= 0 ? m->pkgs[dup].id : "", dup >= 0 ? "')" : "");
	}
}

static void fetch_print_urls(const struct ib_manifest *m, char (*dest)[IB_PATH_MAX])
{
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];

		if (same_dest(dest, i) >= 0)
			continue;
		if (p->url)
			printf("%s  %s\n", p->url, dest[i]);
		else
			fprintf(stderr, "ibpack: note: package '%s' has no download address: supply '%s' yourself\n",
				p->id, dest[i]);
	}
}

int cmd_fetch_list(int argc, char **argv)
{
	enum { O_JSON = 0x200, O_FORMAT };
	static const struct cli_opt opts[] = {
		{"json", 0, NULL, O_JSON, "the same as --format json"},
		{"format", 0, "F", O_FORMAT, "plain (default), urls or json"},
		{NULL, 0, NULL, 0, NULL},
	};
	enum { PLAIN, URLS, JSON } fmt = PLAIN;
	struct cli_args args;
	struct ib_manifest m;
	char *dir = NULL, (*dest)[IB_PATH_MAX];
	int c, rc;

	cli_args_init(&args, "fetch-list", opts, argc, argv);
	while ((c = cli_next(&args)) > 0) {
		switch (c) {
		case O_JSON: fmt = JSON; break;
		case O_FORMAT:
			if (!strcmp(args.value, "plain"))
				fmt = PLAIN;
			else if (!strcmp(args.value, "urls"))
				fmt = URLS;
			else if (!strcmp(args.value, "json"))
				fmt = JSON;
			else
				return cli_usage("fetch-list: --format is plain, urls or json, not '%s'", args.value);
			break;
		}
	}
	if ((rc = cli_args_done(&args, c, fetch_help, opts, 1, 1, "SPEC")) != CLI_GO_ON)
		return rc;
	if ((rc = cli_load_spec(args.pos[0], &m, &dir)))
		return cli_fail(rc);
	dest = calloc(m.npkgs, sizeof(*dest));
	if (!dest)
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < m.npkgs; i++)
		if (resolve_source(dir, &m.pkgs[i], dest[i], sizeof(dest[i])))
			rc = ib_fail(-ENAMETOOLONG, "package '%s': source path too long", m.pkgs[i].id);
	if (!rc) {
		if (fmt == JSON)
			fetch_print_json(args.pos[0], &m, dest);
		else if (fmt == URLS)
			fetch_print_urls(&m, dest);
		else
			fetch_print_plain(&m, dest);
	}
	free(dest);
	free(dir);
	ib_manifest_release(&m);
	return rc ? cli_fail(rc) : CLI_OK;
}

/* ---- check: sources ---- */

enum src_status { SRC_VERIFIED, SRC_PRESENT, SRC_MISSING, SRC_CORRUPT, SRC_INVALID };

static const char *const status_names[] = {"verified", "present", "missing", "corrupt", "invalid"};

struct src_result {
	char path[IB_PATH_MAX];
	enum src_status status;
	int is_file, hashed;
	uint64_t size;
	uint8_t sha256[IB_SHA256_LEN];
	char detail[512];
};

/* Streams a file through SHA-256 in HASH_READ pieces. */
static int hash_file(const char *path, uint64_t size, int progress, uint8_t out[IB_SHA256_LEN])
{
	struct ib_sha256_ctx *h = NULL;
	uint8_t *buf = malloc(HASH_READ);
	uint64_t done = 0;
	struct cli_meter meter;
	int fd = -1, rc;

	if (!buf)
		return -ENOMEM;
	if ((rc = ib_sha256_new(&h)))
		goto out;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = ib_fail(-errno, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	cli_meter_start(&meter, base_name(path));
	for (;;) {
		ssize_t n = read(fd, buf, HASH_READ);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ib_fail(-errno, "reading '%s': %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		ib_sha256_update(h, buf, (size_t)n);
		done += (uint64_t)n;
		if (progress)
			cli_progress(&meter, done, size);
	}
	ib_sha256_final(h, out);
	cli_meter_end(&meter);
out:
	if (fd >= 0)
		close(fd);
	ib_sha256_free(h);
	free(buf);
	return rc;
}

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return 0;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

__attribute__((format(printf, 3, 4))) static void set_status(struct src_result *r, enum src_status s, const char *fmt,
							     ...)
{
	va_list ap;

	r->status = s;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* Classifies one source the way `ibpack build` would treat it; hashes a single file when it is
 * pinned or want_hash is set, reusing an earlier result for the same path. */
static int check_source(const struct ib_package *p, struct src_result *r, const struct src_result *prev, size_t nprev,
			int want_hash, int progress)
{
	struct stat st;
	int rc;

	if (lstat(r->path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			set_status(r, SRC_MISSING, "not found");
		else
			set_status(r, SRC_INVALID, "%s", strerror(errno));
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		set_status(r, SRC_INVALID, "is a symlink: build accepts only files and directories");
		return 0;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		set_status(r, SRC_INVALID, "is a device, FIFO or socket");
		return 0;
	}
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		set_status(r, SRC_INVALID, "has a setuid or setgid bit");
		return 0;
	}
	r->is_file = S_ISREG(st.st_mode);
	r->size = (uint64_t)st.st_size;
	if (!r->is_file) {
		if (p->has_source_sha256)
			set_status(r, SRC_INVALID,
				   "sha256 is pinned but the source is a directory (a pin is for one file)");
		else if (dir_is_empty(r->path))
			set_status(r, SRC_INVALID, "is an empty directory");
		else if ((rc = ib_pack_check_source(r->path)) == -ENOMEM)
			return rc;
		else if (rc)
			set_status(r, SRC_INVALID, "%s", ib_errmsg(rc)); /* what build would refuse inside it */
		else
			set_status(r, SRC_PRESENT, "directory");
		return 0;
	}
	if ((rc = ib_pack_check_source(r->path))) {
		if (rc == -ENOMEM)
			return rc;
		set_status(r, SRC_INVALID, "%s", ib_errmsg(rc));
		return 0;
	}
	if (p->has_source_sha256 || want_hash) {
		for (size_t j = 0; j < nprev && !r->hashed; j++)
			if (prev[j].hashed && !strcmp(prev[j].path, r->path)) {
				memcpy(r->sha256, prev[j].sha256, IB_SHA256_LEN);
				r->hashed = 1;
			}
		if (!r->hashed) {
			rc = hash_file(r->path, r->size, progress, r->sha256);
			if (rc == -ENOMEM)
				return rc;
			if (rc) {
				/* Unreadable: build would fail on it too; report it and go on. */
				set_status(r, SRC_INVALID, "%s", ib_errmsg(rc));
				return 0;
			}
			r->hashed = 1;
		}
	}
	if (!p->has_source_sha256)
		set_status(r, SRC_PRESENT, "not pinned");
	else if (memcmp(r->sha256, p->source_sha256, IB_SHA256_LEN) != 0)
		set_status(r, SRC_CORRUPT, "sha256 differs from the pinned one: a wrong or damaged download");
	else
		set_status(r, SRC_VERIFIED, "sha256 matches the pin");
	return 0;
}

/* ---- check: output ---- */

struct check {
	const char *spec;
	const struct ib_manifest *m;
	struct src_result *src;
	struct ib_lint lint;
	size_t count[5]; /* per enum src_status */
	int want_hash, problems;
};

static void check_print_json(const struct check *c)
{
	cJSON *o = cJSON_CreateObject(), *a, *s;

	cJSON_AddStringToObject(o, "spec", c->spec);
	cJSON_AddStringToObject(o, "name", c->m->name);
	cJSON_AddStringToObject(o, "version", c->m->version);
	cJSON_AddStringToObject(o, "target", ib_target_name(c->m->target));
	a = cJSON_AddArrayToObject(o, "sources");
	for (size_t i = 0; i < c->m->npkgs; i++) {
		const struct ib_package *p = &c->m->pkgs[i];
		const struct src_result *r = &c->src[i];
		cJSON *e = cJSON_CreateObject();
		char hex[2 * IB_SHA256_LEN + 1];

		cJSON_AddStringToObject(e, "id", p->id);
		cJSON_AddStringToObject(e, "source", p->source);
		cJSON_AddStringToObject(e, "path", r->path);
		cJSON_AddStringToObject(e, "status", status_names[r->status]);
		cJSON_AddStringToObject(e, "detail", r->detail);
		if (r->is_file && r->status != SRC_INVALID)
			cJSON_AddNumberToObject(e, "size", (double)r->size);
		hex_pin(p, hex);
		if (hex[0])
			cJSON_AddStringToObject(e, "sha256_pinned", hex);
		if (r->hashed) {
			ib_hex_encode(r->sha256, IB_SHA256_LEN, hex);
			cJSON_AddStringToObject(e, "sha256", hex);
		}
		if (p->url)
			cJSON_AddStringToObject(e, "url", p->url);
		cJSON_AddItemToArray(a, e);
	}
	a = cJSON_AddArrayToObject(o, "lint");
	for (size_t i = 0; i < c->lint.n; i++) {
		const struct ib_lint_finding *f = &c->lint.v[i];
		cJSON *e = cJSON_CreateObject(), *ids = cJSON_AddArrayToObject(e, "packages");

		cJSON_AddStringToObject(e, "kind", f->kind);
		cJSON_AddItemToArray(ids, cJSON_CreateString(f->pkg));
		if (f->other)
			cJSON_AddItemToArray(ids, cJSON_CreateString(f->other));
		cJSON_AddStringToObject(e, "message", f->msg);
		cJSON_AddItemToArray(a, e);
	}
	s = cJSON_AddObjectToObject(o, "summary");
	for (size_t i = 0; i < IB_ARRAY_LEN(status_names); i++)
		cJSON_AddNumberToObject(s, status_names[i], (double)c->count[i]);
	cJSON_AddNumberToObject(s, "lint", (double)c->lint.n);
	cJSON_AddBoolToObject(o, "ok", !c->problems);
	cJSON_AddNumberToObject(o, "exit_code", c->problems ? CLI_FAILED : CLI_OK);
	cli_print_json(o);
}

static void check_print_plain(const struct check *c)
{
	printf("%s: %s %s (%s), %zu packages\n", c->spec, c->m->name, c->m->version, ib_target_name(c->m->target),
	       c->m->npkgs);
	puts("sources:");
	for (size_t i = 0; i < c->m->npkgs; i++) {
		const struct ib_package *p = &c->m->pkgs[i];
		const struct src_result *r = &c->src[i];
		char size[32], hex[2 * IB_SHA256_LEN + 1];

		printf("  %-8s  %-24s  %s", status_names[r->status], p->id, r->path);
		if (r->status == SRC_MISSING)
			printf("  (%s%s)", p->url ? "download: " : "no download address: supply it yourself",
			       p->url ? p->url : "");
		else if (r->status == SRC_VERIFIED || r->status == SRC_PRESENT) {
			ib_human_size(r->size, size, sizeof(size));
			if (r->is_file)
				printf("  (%s, %s)", size, r->detail);
			else
				printf("  (directory)");
		} else {
			printf("  (%s)", r->detail);
		}
		putchar('\n');
		if (r->hashed && (c->want_hash || r->status == SRC_CORRUPT)) {
			ib_hex_encode(r->sha256, IB_SHA256_LEN, hex);
			printf("            sha256 %s\n", hex);
		}
	}
	if (c->lint.n) {
		printf("lint: %zu finding%s\n", c->lint.n, c->lint.n == 1 ? "" : "s");
		for (size_t i = 0; i < c->lint.n; i++)
			printf("  %s: %s\n", c->lint.v[i].kind, c->lint.v[i].msg);
	} else {
		puts("lint: clean");
	}
	printf("summary: %zu verified, %zu present, %zu missing, %zu corrupt, %zu invalid, %zu lint "
	       "finding%s: %s\n",
	       c->count[SRC_VERIFIED], c->count[SRC_PRESENT], c->count[SRC_MISSING], c->count[SRC_CORRUPT],
	       c->count[SRC_INVALID], c->lint.n, c->lint.n == 1 ? "" : "s",
	       c->problems ? "problems found" : "ready to build");
}

int cmd_check(int argc, char **argv)
{
	enum { O_JSON = 0x200, O_HASH };
	static const struct cli_opt opts[] = {
		{"json", 0, NULL, O_JSON, "print JSON"},
		{"hash", 0, NULL, O_HASH, "print the sha256 of every single-file source"},
		{NULL, 0, NULL, 0, NULL},
	};
	struct check c = {0};
	struct ib_manifest m;
	struct cli_args args;
	char *dir = NULL;
	int opt, json = 0, rc, progress;

	cli_args_init(&args, "check", opts, argc, argv);
	while ((opt = cli_next(&args)) > 0) {
		switch (opt) {
		case O_JSON: json = 1; break;
		case O_HASH: c.want_hash = 1; break;
		}
	}
	if ((rc = cli_args_done(&args, opt, check_help, opts, 1, 1, "SPEC")) != CLI_GO_ON)
		return rc;
	if ((rc = cli_load_spec(args.pos[0], &m, &dir)))
		return cli_fail(rc);
	c.spec = args.pos[0];
	c.m = &m;
	progress = isatty(2) && !json;
	c.src = calloc(m.npkgs, sizeof(*c.src));
	rc = c.src ? 0 : -ENOMEM;
	for (size_t i = 0; !rc && i < m.npkgs; i++) {
		if (resolve_source(dir, &m.pkgs[i], c.src[i].path, sizeof(c.src[i].path)))
			rc = ib_fail(-ENAMETOOLONG, "package '%s': source path too long", m.pkgs[i].id);
		else
			rc = check_source(&m.pkgs[i], &c.src[i], c.src, i, c.want_hash, progress);
		if (!rc)
			c.count[c.src[i].status]++;
	}
	if (progress)
		fputs("\r\033[K", stderr);
	if (!rc)
		rc = ib_lint_spec(&m, &c.lint);
	if (!rc)
		rc = spec_check_programs(&m, dir, &c.lint);
	if (!rc) {
		c.problems = c.count[SRC_MISSING] || c.count[SRC_CORRUPT] || c.count[SRC_INVALID] || c.lint.n;
		if (json)
			check_print_json(&c);
		else
			check_print_plain(&c);
	}
	ib_lint_release(&c.lint);
	free(c.src);
	free(dir);
	ib_manifest_release(&m);
	if (rc)
		return cli_fail(rc);
	return c.problems ? CLI_FAILED : CLI_OK;
}
