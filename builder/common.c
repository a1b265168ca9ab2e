/* Helpers shared by the ibpack commands: errors, files, specs and trust. */
#include "cli.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_exit_code(int rc)
{
	if (rc == 0)
		return CLI_OK;
	if (rc == IB_E_USAGE)
		return CLI_USAGE;
	return ib_err_is_invalid_bundle(rc) ? CLI_INVALID : CLI_FAILED;
}

int cli_fail(int rc)
{
	fprintf(stderr, "ibpack: error: %s\n", ib_errmsg(rc));
	return cli_exit_code(rc);
}

int cli_usage(const char *fmt, ...)
{
	static const char *const cmds[] = {"keygen",           "build",     "verify", "list",       "extract",
					   "manifest",         "signature", "plan",   "fetch-list", "check",
					   "attach-signature", "extension", "sbom",   "matrix",     "report"};
	char msg[1024];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* "build: -o is required" becomes "ibpack build: -o is required", like the option parser's. */
	n = strcspn(msg, ": ");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (msg[n] == ':' && strlen(cmds[i]) == n && !strncmp(msg, cmds[i], n)) {
			fprintf(stderr, "ibpack %s (see 'ibpack %.*s --help')\n", msg, (int)n, msg);
			return CLI_USAGE;
		}
	fprintf(stderr, "ibpack: %s (see 'ibpack --help')\n", msg);
	return CLI_USAGE;
}

int cli_load_spec(const char *path, struct ib_manifest *m, char **dir)
{
	char *text, *slash;
	size_t len;
	int rc = ib_read_file(path, 16u << 20, 0, &text, &len);

	if (rc)
		return rc;
	rc = ib_spec_parse(text, len, m);
	free(text);
	if (rc)
		return ib_fail_ctx(rc, "%s: ", path);
	*dir = ib_strdup(path);
	if (!*dir) {
		ib_manifest_release(m);
		return -ENOMEM;
	}
	slash = strrchr(*dir, '/');
	if (slash)
		slash[slash == *dir ? 1 : 0] = '\0';
	else
		memcpy(*dir, ".", 2);
	return 0;
}

int cli_source_path(const char *spec_dir, const struct ib_package *p, char *buf, size_t size)
{
	if (p->source[0] == '/' ? ib_snprintf(buf, size, "%s", p->source)
				: ib_snprintf(buf, size, "%s/%s", spec_dir, p->source))
		return -ENAMETOOLONG;
	return 0;
}

int cli_load_trust(struct ib_bundle *b, const char *const *pubs, size_t npubs, const char *const *cas, size_t ncas,
		   uint32_t threshold, struct ib_trust *t)
{
	uint8_t *area = malloc(IB_TRUST_AREA_SIZE);
	int rc;

	if (!area)
		return -ENOMEM;
	rc = ib_bundle_trust_area(b, area);
	if (!rc)
		rc = ib_trust_resolve(area, pubs, npubs, cas, ncas, threshold, t);
	free(area);
	return rc;
}

/* No anchor: every byte is still checked against the bundle's own keys, to report the right
 * failure, and a valid bundle is then refused for want of an anchor. */
static int refuse_unanchored(const char *path, struct ib_bundle *b, const struct ib_trust *embedded)
{
	int rc = ib_bundle_authenticate(b, embedded);

	return rc ? ib_fail_ctx(rc, "'%s': ", path) : cli_anchors_missing(path, &b->sigs);
}

static int open_anchored(const char *path, const struct cli_anchors *a, uint32_t threshold, struct ib_bundle *b)
{
	struct ib_trust t, embedded;
	const char *source;
	char why[1024];
	int rc = ib_bundle_open(b, path), anchored;

	if (rc)
		return ib_fail_ctx(rc, "'%s': ", path);
	if ((rc = cli_load_trust(b, NULL, 0, NULL, 0, 0, &embedded))) {
		ib_bundle_close(b);
		return rc;
	}
	rc = cli_anchors_trust(a, b, threshold, &embedded, &t, &source, &anchored);
	if (!rc && !anchored) {
		rc = refuse_unanchored(path, b, &embedded);
		ib_trust_release(&t);
	} else if (!rc) {
		rc = ib_bundle_authenticate(b, &t);
		if (rc == IB_E_UNTRUSTED) {
			ib_trust_explain(&t, &b->sigs, why, sizeof(why));
			ib_fail(rc, "'%s' is not signed by a trusted key (anchors: %s): %s", path, source, why);
		} else if (rc) {
			ib_fail_ctx(rc, "'%s': ", path);
		}
		ib_trust_release(&t);
	}
	ib_trust_release(&embedded);
	if (rc)
		ib_bundle_close(b);
	return rc;
}

int cli_open_bundle(const char *path, const struct cli_anchors *a, struct ib_bundle *b)
{
	return open_anchored(path, a, 0, b);
}

int cli_open_bundle_anchored(const char *path, const char *const *pubs, size_t npubs, const char *const *cas,
			     size_t ncas, uint32_t threshold, struct ib_bundle *b)
{
	struct cli_anchors a = {0};

	if (npubs > IB_ARRAY_LEN(a.pubs) || ncas > IB_ARRAY_LEN(a.cas))
		return ib_fail(IB_E_USAGE, "too many anchors");
	for (size_t i = 0; i < npubs; i++)
		a.pubs[i] = pubs[i];
	for (size_t i = 0; i < ncas; i++)
		a.cas[i] = cas[i];
	a.npubs = npubs;
	a.ncas = ncas;
	return open_anchored(path, &a, threshold, b);
}

void cli_print_json(cJSON *doc)
{
	char *text = doc ? cJSON_Print(doc) : NULL;

	if (text) {
		puts(text);
		free(text);
	} else {
		fputs("ibpack: error: out of memory formatting JSON\n", stderr);
	}
	cJSON_Delete(doc);
}

int cli_is_bundle(const char *path)
{
	FILE *f = fopen(path, "rb");
	char head[2] = {0};
	size_t n;

	if (!f)
		return 0;
	n = fread(head, 1, 2, f);
	fclose(f);
	/* A spec is JSON text; a bundle starts with an ELF or MZ header. */
	return n == 2 && ((head[0] == 0x7f && head[1] == 'E') || (head[0] == 'M' && head[1] == 'Z'));
}
