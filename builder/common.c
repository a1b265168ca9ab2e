/* Helpers shared by the ibpack commands: errors, files, specs, trust and progress. */
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
	va_list ap;

	fputs("ibpack: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(see 'ibpack --help')\n", stderr);
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

int cli_open_bundle(const char *path, char **pubs, size_t npubs, struct ib_bundle *b)
{
	return cli_open_bundle_anchored(path, (const char *const *)pubs, npubs, NULL, 0, 0, b);
}

int cli_open_bundle_anchored(const char *path, const char *const *pubs, size_t npubs, const char *const *cas,
			     size_t ncas, uint32_t threshold, struct ib_bundle *b)
{
	struct ib_trust t;
	char why[1024];
	int rc = ib_bundle_open(b, path);

	if (rc)
		return ib_fail_ctx(rc, "'%s': ", path);
	rc = cli_load_trust(b, pubs, npubs, cas, ncas, threshold, &t);
	if (rc) {
		ib_bundle_close(b);
		return rc;
	}
	rc = ib_bundle_authenticate(b, &t);
	if (rc == IB_E_UNTRUSTED || rc == IB_E_SIGNATURE) {
		ib_trust_explain(&t, &b->sigs, why, sizeof(why));
		if (rc == IB_E_UNTRUSTED)
			ib_fail(rc, "'%s' is not signed by a trusted key: %s", path, why);
		else
			ib_fail_ctx(rc, "'%s': ", path);
	} else if (rc) {
		ib_fail_ctx(rc, "'%s': ", path);
	}
	ib_trust_release(&t);
	if (rc)
		ib_bundle_close(b);
	return rc;
}

void cli_progress(void *ctx, uint64_t done, uint64_t total)
{
	const char *label = ctx;
	static int last = -1;
	int pct = total ? (int)(done * 100 / total) : 100;

	if (pct == last)
		return;
	last = pct;
	fprintf(stderr, "\r  %-40.40s %3d%%", label, pct);
	fflush(stderr);
}

void cli_progress_done(const struct cli *c)
{
	if (c->tty && !c->quiet && !c->json)
		fputs("\r\033[K", stderr);
}

void cli_human_size(uint64_t n, char *buf, size_t size)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
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
	char head[2] = { 0 };
	size_t n;

	if (!f)
		return 0;
	n = fread(head, 1, 2, f);
	fclose(f);
	/* A spec is JSON text; a bundle starts with an ELF or MZ header. */
	return n == 2 && ((head[0] == 0x7f && head[1] == 'E') || (head[0] == 'M' && head[1] == 'Z'));
}
