/* ibpack extension: wraps a verified bundle into an Azure VM extension handler package (a zip
 * with HandlerManifest.json and the bundle), reproducibly. docs/EXTENSION.md has the protocol. */
#include "cli.h"
#include "opts.h"
#include "interrupt.h"
#include "outguard.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <archive.h>
#include <archive_entry.h>
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

#define NAME_MAX_LEN 64
#define DOS_EPOCH    315532800 /* 1980-01-01T00:00:00Z: zip cannot store an earlier time */

static const char help[] =
	"usage: ibpack extension BUNDLE -o HANDLER.zip --publisher P --type T --version V [--force]\n"
	"                        [ANCHORS]\n"
	"Checks the bundle like 'ibpack verify' and writes an Azure VM extension handler package: a zip\n"
	"with HandlerManifest.json (all five handler commands) and the bundle as bin/<name>.run or\n"
	"bin/<name>.exe, run as '<bundle> --extension install|enable|disable|uninstall|update'.\n"
	"The handler is P.T, version V. P and T: letters, digits, '.' and '_' (no '-': the Linux agent\n"
	"keeps a handler in <P.T>-<V>/); V: 1 to 4 numbers separated by dots (1.0.0). The zip is the\n"
	"same for the same bundle: entry times are SOURCE_DATE_EPOCH or the bundle's creation time.\n" CLI_ANCHOR_HELP;

static int check_name(const char *opt, const char *s)
{
	size_t n = strlen(s);

	if (strchr(s, '-'))
		return ib_fail(IB_E_USAGE,
			       "%s '%s': a handler name cannot hold '-' (the Linux agent keeps the "
			       "handler in <publisher>.<type>-<version>/ and splits at the first '-')",
			       opt, s);
	if (n == 0 || n > NAME_MAX_LEN ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._") != n || s[0] == '.' ||
	    s[0] == '_' || s[n - 1] == '.' || strstr(s, ".."))
		return ib_fail(IB_E_USAGE,
			       "%s '%s': use 1 to %d letters, digits, '.' and '_', starting with a "
			       "letter or digit, not ending with '.', without '..'",
			       opt, s, NAME_MAX_LEN);
	return 0;
}

static int check_version(const char *s)
{
	const char *p = s;
	int parts = 0;

	for (;;) {
		size_t digits = strspn(p, "0123456789");

		if (digits == 0 || digits > 9 || ++parts > 4)
			break;
		p += digits;
		if (*p == '\0')
			return 0;
		if (*p++ != '.')
			break;
	}
	return ib_fail(IB_E_USAGE, "--version '%s': use 1 to 4 numbers separated by dots, such as 1.0.0", s);
}

/* "YYYY-MM-DDTHH:MM:SSZ" (the manifest's created) to seconds since the epoch. */
static int parse_utc(const char *s, int64_t *out)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	int v[6] = {0}, field = 0;
	struct tm tm;
	time_t t;

	if (strlen(s) != sizeof(shape) - 1)
		return -1;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == 'd') {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			v[field] = v[field] * 10 + (s[i] - '0');
		} else if (s[i] != shape[i]) {
			return -1;
		} else {
			field++;
		}
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

static int64_t entry_time(const struct ib_manifest *m)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;
	int64_t t = DOS_EPOCH;

	if (sde && *sde && ib_parse_u64(sde, INT64_MAX, &v) == 0)
		t = (int64_t)v;
	else if (parse_utc(m->created, &t))
		t = DOS_EPOCH;
	return t < DOS_EPOCH ? DOS_EPOCH : t;
}

/* What 'ibpack verify' checks: nothing broken is ever wrapped into a handler. */
static int verify_all(struct ib_bundle *b)
{
	int rc;

	if ((rc = ib_bundle_check_all(b)))
		return rc;
	return 0;
}

/* HandlerManifest.json: an array whose first element the agents read; real JSON booleans (older
 * agents take the string "false" as true). */
static char *handler_manifest(const char *name, const char *bundle_path, int windows)
{
	static const struct {
		const char *key, *arg;
	} cmds[] = {
		{"installCommand", "install"}, {"uninstallCommand", "uninstall"}, {"updateCommand", "update"},
		{"enableCommand", "enable"},   {"disableCommand", "disable"},
	};
	cJSON *doc = cJSON_CreateArray(), *e = cJSON_CreateObject(), *hm;
	char cmd[512], path[256];
	char *text;

	snprintf(path, sizeof(path), "%s", bundle_path);
	/* The Windows agent runs the command line from the handler's folder: Windows separators. */
	for (char *p = path; windows && *p; p++)
		if (*p == '/')
			*p = '\\';
	cJSON_AddItemToArray(doc, e);
	cJSON_AddStringToObject(e, "name", name);
	cJSON_AddRawToObject(e, "version", "1.0");
	hm = cJSON_AddObjectToObject(e, "handlerManifest");
	for (size_t i = 0; i < IB_ARRAY_LEN(cmds); i++) {
		snprintf(cmd, sizeof(cmd), "%s --extension %s", path, cmds[i].arg);
		cJSON_AddStringToObject(hm, cmds[i].key, cmd);
	}
	cJSON_AddFalseToObject(hm, "rebootAfterInstall");
	cJSON_AddFalseToObject(hm, "reportHeartbeat");
	cJSON_AddStringToObject(hm, "updateMode", "UpdateWithInstall");
	cJSON_AddFalseToObject(hm, "continueOnUpdateFailure");
	cJSON_AddFalseToObject(hm, "supportsMultipleExtensions");
	text = cJSON_Print(doc);
	cJSON_Delete(doc);
	return text;
}

static int zip_header(struct archive *a, const char *path, int dir, unsigned perm, int64_t size, int64_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, dir ? 0 : size);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		rc = ib_fail(IB_E_ARCHIVE, "zip entry '%s': %s", path, archive_error_string(a));
	archive_entry_free(e);
	return rc;
}

static int zip_data(struct archive *a, const void *data, size_t len)
{
	if (archive_write_data(a, data, len) != (la_ssize_t)len)
		return ib_fail(IB_E_ARCHIVE, "writing the zip: %s", archive_error_string(a));
	return 0;
}

/* Entries in byte order of their names, one time, uid/gid 0, fixed modes, stored: the same bundle
 * gives the same zip. The bundle is copied from the descriptor that was verified. */
static int write_zip(int fd, struct ib_bundle *b, const char *manifest, const char *bundle_path, int64_t mtime)
{
	struct archive *a = archive_write_new();
	uint8_t *buf = malloc(1u << 20);
	int rc = 0;

	if (!a || !buf) {
		rc = -ENOMEM;
		goto out;
	}
	/* The bundle's blobs are compressed already; storing keeps the zip independent of zlib. */
	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "zip:compression=store") != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = ib_fail(IB_E_ARCHIVE, "cannot start the zip: %s", archive_error_string(a));
		goto out;
	}
	if ((rc = zip_header(a, "HandlerManifest.json", 0, 0644, (int64_t)strlen(manifest), mtime)) ||
	    (rc = zip_data(a, manifest, strlen(manifest))) || (rc = zip_header(a, "bin/", 1, 0755, 0, mtime)) ||
	    (rc = zip_header(a, bundle_path, 0, 0755, (int64_t)b->file.size, mtime)))
		goto out;
	/* The whole file, an Authenticode signature after the bundle included. */
	for (uint64_t off = 0; off < b->file.size;) {
		size_t n = b->file.size - off > (1u << 20) ? (1u << 20) : (size_t)(b->file.size - off);

		if ((rc = ib_file_pread(&b->file, buf, n, off)) || (rc = zip_data(a, buf, n)))
			goto out;
		off += n;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		rc = ib_fail(IB_E_ARCHIVE, "finishing the zip: %s", archive_error_string(a));
out:
	if (a)
		archive_write_free(a);
	free(buf);
	return rc;
}

/* Writes out through a temp file and a rename: no half-written handler package is ever left. */
static int write_output(const char *out, int force, struct ib_bundle *b, const char *manifest, const char *bundle_path,
			int64_t mtime)
{
	struct ib_atomic_file a;
	struct stat st;
	int rc;

	if (cli_out_is_stdout(out))
		return write_zip(STDOUT_FILENO, b, manifest, bundle_path, mtime);
	if (!force && lstat(out, &st) == 0)
		return ib_fail(-EEXIST, "'%s' exists (use --force to replace it)", out);
	if ((rc = cli_atomic_begin(&a, out, 0644)))
		return rc;
	rc = write_zip(a.fd, b, manifest, bundle_path, mtime);
	if (!rc)
		rc = ib_atomic_commit(&a);
	else
		ib_atomic_abort(&a);
	cli_interrupt_disarm();
	return rc;
}

int cmd_extension(int argc, char **argv)
{
	enum { O_OUT = 'o', O_FORCE = 'f', O_PUBLISHER = 0x200, O_TYPE, O_VERSION };
	static const struct cli_opt opts[] = {
		{"output", 'o', "HANDLER.zip", O_OUT, "the handler package to write (- for standard output)"},
		{"publisher", 0, "P", O_PUBLISHER, "the extension's publisher"},
		{"type", 0, "T", O_TYPE, "the extension's type"},
		{"version", 0, "V", O_VERSION, "the handler version (1 to 4 numbers: 1.0.0)"},
		{"force", 'f', NULL, O_FORCE, "replace an existing HANDLER.zip"},
		CLI_ANCHOR_OPTS{NULL, 0, NULL, 0, NULL},
	};
	struct cli_args args;
	const char *out = NULL, *publisher = NULL, *type = NULL, *version = NULL;
	char name[2 * NAME_MAX_LEN + 2], bundle_path[IB_ID_MAX + 16], *manifest = NULL;
	struct cli_anchors anchors = {0};
	int c, rc, force = 0, windows;
	struct ib_bundle b;

	cli_args_init(&args, "extension", opts, argc, argv);
	while ((c = cli_next(&args)) > 0) {
		switch (c) {
		case O_OUT: out = args.value; break;
		case O_PUBLISHER: publisher = args.value; break;
		case O_TYPE: type = args.value; break;
		case O_VERSION: version = args.value; break;
		case O_FORCE: force = 1; break;
		default:
			if ((rc = cli_anchor_option(&anchors, c, args.value)) < 0)
				return cli_usage("extension: %s", ib_errmsg(rc));
			break;
		}
	}
	if ((rc = cli_args_done(&args, c, help, opts, 1, 1, "BUNDLE")) != CLI_GO_ON)
		return rc;
	if (!out || !publisher || !type || !version)
		return cli_usage("extension: -o HANDLER.zip, --publisher, --type and --version are needed");
	if ((rc = check_name("--publisher", publisher)) || (rc = check_name("--type", type)) ||
	    (rc = check_version(version)))
		return cli_fail(rc);
	if (!cli_out_is_stdout(out)) {
		const char *bundle_in = args.pos[0];

		if ((rc = cli_out_check(out, &bundle_in, 1)) ||
		    (rc = cli_out_check(out, anchors.pubs, anchors.npubs)) ||
		    (rc = cli_out_check(out, anchors.cas, anchors.ncas)))
			return cli_fail(rc);
	}
	snprintf(name, sizeof(name), "%s.%s", publisher, type);
	rc = cli_open_bundle(args.pos[0], &anchors, &b);
	if (rc)
		return cli_fail(rc);
	rc = verify_all(&b);
	if (rc) {
		ib_fail_ctx(rc, "'%s': ", args.pos[0]);
		goto done;
	}
	windows = b.m.target == IB_TARGET_WINDOWS_X86_64;
	/* The bundle's name is signed and limited to [a-z0-9._-]: safe as a file name. */
	snprintf(bundle_path, sizeof(bundle_path), "bin/%s.%s", b.m.name, windows ? "exe" : "run");
	manifest = handler_manifest(name, bundle_path, windows);
	if (!manifest) {
		rc = -ENOMEM;
		goto done;
	}
	/* Zip stores local time; a fixed zone makes the bytes independent of the build machine's. */
	setenv("TZ", "UTC0", 1);
	tzset();
	rc = write_output(out, force, &b, manifest, bundle_path, entry_time(&b.m));
	if (!rc)
		printf("%s: handler %s %s for %s: HandlerManifest.json, %s (bundle %s %s, sequence %llu)\n", out, name,
		       version, ib_target_name(b.m.target), bundle_path, b.m.name, b.m.version,
		       (unsigned long long)b.m.sequence);
done:
	free(manifest);
	ib_bundle_close(&b);
	return rc ? cli_fail(rc) : CLI_OK;
}
