/* Helpers shared by the ibpack commands: errors, files, specs, trust and progress. */
#include "cli.h"

#include "../format/err.h"
#include "../format/util.h"

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
	switch (rc) {
	case 0:
		return CLI_OK;
	case IB_E_USAGE:
		return CLI_USAGE;
	case IB_E_FORMAT:
	case IB_E_TRUNCATED:
	case IB_E_INTEGRITY:
	case IB_E_SIGNATURE:
	case IB_E_UNTRUSTED:
	case IB_E_MISMATCH:
		return CLI_INVALID;
	default:
		return CLI_FAILED;
	}
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

int cli_read_file(const char *path, size_t max, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t got = 0;

	if (fd < 0)
		return ib_fail(-errno, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		return ib_fail(-EINVAL, "'%s' is not a regular file of at most %zu bytes", path, max);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

int cli_load_spec(const char *path, struct ib_manifest *m, char **dir)
{
	char *text, *slash;
	size_t len;
	int rc = cli_read_file(path, 16u << 20, &text, &len);

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

int cli_load_trust(struct ib_bundle *b, char **pubs, size_t n, struct ib_trust *t)
{
	uint8_t *stub;
	size_t off;
	int rc;

	memset(t, 0, sizeof(*t));
	t->threshold = 1;
	if (n) {
		for (size_t i = 0; i < n; i++) {
			struct ib_pubkey *k;

			if ((rc = ib_pubkey_load(pubs[i], &k)) || (rc = ib_trust_add_key(t, k))) {
				ib_trust_release(t);
				return rc;
			}
		}
		return 0;
	}
	if (b->footer.stub_len > (64u << 20))
		return ib_fail(IB_E_FORMAT, "stub of %llu bytes is implausibly large",
			       (unsigned long long)b->footer.stub_len);
	stub = malloc((size_t)b->footer.stub_len);
	if (!stub)
		return -ENOMEM;
	rc = ib_file_pread(&b->file, stub, (size_t)b->footer.stub_len, 0);
	if (!rc)
		rc = ib_trust_locate(stub, (size_t)b->footer.stub_len, &off);
	if (!rc)
		rc = ib_trust_decode(stub + off, IB_TRUST_AREA_SIZE, t);
	free(stub);
	return rc;
}

/* No anchor: every byte is still checked against the bundle's own keys, to report the right
 * failure, and a valid bundle is then refused for want of an anchor. */
static int refuse_unanchored(const char *path, struct ib_bundle *b, const struct ib_trust *embedded)
{
	int rc = ib_bundle_authenticate(b, embedded);

	return rc ? ib_fail_ctx(rc, "'%s': ", path) : cli_anchors_missing(path, &b->sigs);
}

int cli_open_bundle(const char *path, const struct cli_anchors *a, struct ib_bundle *b)
{
	struct ib_trust t, embedded;
	const char *source;
	char why[1024];
	int rc = ib_bundle_open(b, path);

	if (rc)
		return ib_fail_ctx(rc, "'%s': ", path);
	if ((rc = cli_load_trust(b, NULL, 0, &embedded))) {
		ib_bundle_close(b);
		return rc;
	}
	rc = cli_anchors_trust(a, &embedded, &t, &source);
	if (!rc && !t.nkeys && !t.ncas) {
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
