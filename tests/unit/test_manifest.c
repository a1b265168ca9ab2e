/* Unit tests for format/manifest.c: manifest parse (every rejection), serialize round trip, spec parse and its JSON-path errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/err.h"
#include "../../format/manifest.h"
#include "../../base/util.h"

/* ---- fixtures: JSON written with ' for ", converted at run time ---- */

#define H64A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define H64B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define H64C "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H64D "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define H64E "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

/* Payload [4096, 169632): package A 100000 bytes (2 chunks of 64 KiB), package B 65536 (1). */
#define P_START 4096u
#define P_END   169632u

static const char manifest_src[] =
	"{'format': 1, 'name': 'example', 'version': '1.0.0', 'description': 'test bundle',"
	" 'sequence': 3, 'target': 'linux-x86_64', 'created': '2024-01-02T03:04:05Z',"
	" 'stub': {'size': 4096, 'sha256': '" H64C "'}, 'chunk_size': 65536,"
	" 'packages': ["
	"  {'id': 'mofed-ubuntu2004', 'name': 'MLNX_OFED', 'version': '5.5-1.0.3.2',"
	"   'description': 'for Ubuntu', 'match': {'os': ['ubuntu-20.04', 'ubuntu-22.*'], 'nic': ['cx5', 'cx6']},"
	"   'priority': 5, 'install': {'command': ['./install.sh', '--force'], 'timeout': 1800,"
	"   'success_codes': [0], 'reboot_codes': [3010, 1641]},"
	"   'unpacked_size': 200000, 'file_count': 3,"
	"   'blob': {'offset': 4096, 'length': 100000, 'compression': 'zstd', 'sha256': '" H64A "',"
	"   'chunks': ['" H64B "', '" H64C "']}},"
	"  {'id': 'rdma-core.rhel_8', 'name': 'rdma-core', 'version': '44',"
	"   'match': {'os': ['rhel-8.*'], 'nic': ['cx3pro']}, 'priority': -2,"
	"   'install': {'command': ['run'], 'timeout': 60, 'success_codes': [0, 1], 'reboot_codes': []},"
	"   'unpacked_size': 70000, 'file_count': 1,"
	"   'blob': {'offset': 104096, 'length': 65536, 'compression': 'none', 'sha256': '" H64D "',"
	"   'chunks': ['" H64E "']}}"
	" ]}";

static const char spec_src[] = "{'name': 'example', 'version': '1.0.0', 'sequence': 3, 'target': 'windows-x86_64',"
			       " 'packages': ["
			       "  {'id': 'mofed-ubuntu2004', 'name': 'MLNX_OFED', 'version': '5.5-1.0.3.2',"
			       "   'source': 'pkgs/mofed-ubuntu2004',"
			       "   'match': {'os': ['ubuntu-20.04'], 'nic': ['cx5', 'cx6']}, 'priority': 0,"
			       "   'install': {'command': ['./install.sh', '--force'], 'timeout': 1800,"
			       "   'success_codes': [0], 'reboot_codes': [3010, 1641]}},"
			       "  {'id': 'winof', 'name': 'WinOF', 'version': '5.50', 'source': 'winof.exe',"
			       "   'sha256': '" H64C
			       "', 'url': 'https://example.invalid/winof.exe', 'compression': 'none',"
			       "   'match': {'os': ['windows-server-*'], 'nic': ['cx3pro']},"
			       "   'install': {'command': ['winof.exe', '/S']}}"
			       " ]}";

static char *dequote(const char *src)
{
	char *s = ib_strdup(src);

	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

static cJSON *tree_of(const char *src)
{
	char *s = dequote(src);
	cJSON *t = cJSON_Parse(s);

	free(s);
	assert_non_null(t);
	return t;
}

static int parse_text(const char *json, size_t len, struct ib_manifest *m)
{
	return ib_manifest_parse(json, len, P_START, P_END, m);
}

static int parse_src(const char *src, uint64_t start, uint64_t end, int spec)
{
	struct ib_manifest m;
	char *s = dequote(src);
	int rc = spec ? ib_spec_parse(s, strlen(s), &m) : ib_manifest_parse(s, strlen(s), start, end, &m);

	if (!rc)
		ib_manifest_release(&m);
	free(s);
	return rc;
}

/* ---- mutations: a path like "packages[0].install.timeout" and raw JSON text (NULL deletes) ---- */

struct mut {
	const char *path;
	const char *raw;
};

/* Walks all but the last step of path; the last step is returned as a key or an index. */
static cJSON *resolve(cJSON *root, const char *path, char *key, size_t keysize, int *index)
{
	cJSON *cur = root;
	const char *p = path;

	for (;;) {
		if (*p == '[') {
			char *end;

			*index = (int)strtol(p + 1, &end, 10);
			assert_true(*end == ']');
			key[0] = '\0';
			p = end + 1;
		} else {
			size_t n = strcspn(p, ".[");

			assert_true(n > 0 && n < keysize);
			memcpy(key, p, n);
			key[n] = '\0';
			*index = -1;
			p += n;
		}
		if (*p == '.')
			p++;
		if (!*p)
			return cur;
		cur = *index >= 0 ? cJSON_GetArrayItem(cur, *index) : cJSON_GetObjectItemCaseSensitive(cur, key);
		assert_non_null(cur);
	}
}

/* Applies the mutations and prints the tree; each raw text is spliced in place of a placeholder
 * string, so numbers cJSON cannot represent (2^53 + 1) and broken values reach the parser as is. */
static char *mutated_text(const char *src, const struct mut *muts, size_t n)
{
	cJSON *root = tree_of(src);
	char *text, placeholder[32];

	for (size_t i = 0; i < n && muts[i].path; i++) {
		char key[64];
		int index;
		cJSON *parent = resolve(root, muts[i].path, key, sizeof(key), &index);

		snprintf(placeholder, sizeof(placeholder), "@RAW%zu@", i);
		if (!muts[i].raw) {
			if (index >= 0)
				cJSON_DeleteItemFromArray(parent, index);
			else
				cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
		} else if (index >= 0) {
			if (index < cJSON_GetArraySize(parent))
				assert_true(cJSON_ReplaceItemInArray(parent, index, cJSON_CreateString(placeholder)));
			else
				assert_true(cJSON_AddItemToArray(parent, cJSON_CreateString(placeholder)));
		} else if (cJSON_GetObjectItemCaseSensitive(parent, key)) {
			assert_true(
				cJSON_ReplaceItemInObjectCaseSensitive(parent, key, cJSON_CreateString(placeholder)));
		} else {
			assert_non_null(cJSON_AddStringToObject(parent, key, placeholder));
		}
	}
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	assert_non_null(text);
	for (size_t i = 0; i < n && muts[i].path; i++) {
		char quoted[32], *at, *out;
		size_t qlen, rlen, tlen;

		if (!muts[i].raw)
			continue;
		snprintf(quoted, sizeof(quoted), "\"@RAW%zu@\"", i);
		at = strstr(text, quoted);
		assert_non_null(at);
		qlen = strlen(quoted);
		rlen = strlen(muts[i].raw);
		tlen = strlen(text);
		out = malloc(tlen - qlen + rlen + 1);
		assert_non_null(out);
		memcpy(out, text, (size_t)(at - text));
		memcpy(out + (at - text), muts[i].raw, rlen);
		memcpy(out + (at - text) + rlen, at + qlen, tlen - (size_t)(at - text) - qlen + 1);
		cJSON_free(text);
		text = out;
	}
	return text;
}

struct mcase {
	const char *name;
	int spec;         /* 1: mutate the spec fixture and use ib_spec_parse */
	int expect;       /* 0 or the error code */
	const char *want; /* substring of the error detail, or NULL */
	struct mut muts[3];
	int64_t dstart, dend; /* added to the payload range */
};

static void run_case(void **state)
{
	const struct mcase *c = *state;
	size_t nmuts = 0;
	char *text;
	struct ib_manifest m;
	int rc;

	while (nmuts < 3 && c->muts[nmuts].path)
		nmuts++;
	text = mutated_text(c->spec ? spec_src : manifest_src, c->muts, nmuts);
	ib_err_clear();
	if (c->spec)
		rc = ib_spec_parse(text, strlen(text), &m);
	else
		rc = ib_manifest_parse(text, strlen(text), (uint64_t)(P_START + c->dstart), (uint64_t)(P_END + c->dend),
				       &m);
	if (rc != c->expect)
		print_error("%s\nparsed: %s\n", ib_errmsg(rc), text);
	assert_int_equal(rc, c->expect);
	if (rc == 0)
		ib_manifest_release(&m);
	else if (c->want && !strstr(ib_errmsg(rc), c->want))
		fail_msg("detail '%s' lacks '%s'", ib_errmsg(rc), c->want);
	free(text);
}

#define E   IB_E_FORMAT
#define S   IB_E_SPEC
#define DEL NULL
/* Manifest cases: one mutation, or several. */
#define BAD(n, want, p, r)                    \
	{                                     \
		n, 0, E, want, {{p, r}}, 0, 0 \
	}
#define OK(n, p, r)                           \
	{                                     \
		n, 0, 0, NULL, {{p, r}}, 0, 0 \
	}
#define BADN(n, want, ...)                         \
	{                                          \
		n, 0, E, want, {__VA_ARGS__}, 0, 0 \
	}
#define OKN(n, ...)                                \
	{                                          \
		n, 0, 0, NULL, {__VA_ARGS__}, 0, 0 \
	}
#define RANGE(n, want, ds, de)                        \
	{                                             \
		n, 0, E, want, {{NULL, NULL}}, ds, de \
	}
/* Spec cases. */
#define SBAD(n, want, p, r)                   \
	{                                     \
		n, 1, S, want, {{p, r}}, 0, 0 \
	}
#define SOK(n, p, r)                          \
	{                                     \
		n, 1, 0, NULL, {{p, r}}, 0, 0 \
	}

#define LONG65 "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""
#define Q(x)   "\"" x "\""

static const struct mcase cases[] = {
	/* the fixture itself */
	OKN("valid manifest", {NULL, NULL}),

	/* missing fields */
	BAD("missing format", "format: missing", "format", DEL),
	BAD("missing name", "name: missing", "name", DEL),
	BAD("missing version", "version: missing", "version", DEL),
	BAD("missing sequence", "sequence: missing", "sequence", DEL),
	BAD("missing target", "target: missing", "target", DEL),
	BAD("missing created", "created: missing", "created", DEL),
	BAD("missing stub", "stub: missing", "stub", DEL),
	BAD("missing stub.size", "stub.size: missing", "stub.size", DEL),
	BAD("missing stub.sha256", "stub.sha256: missing", "stub.sha256", DEL),
	BAD("missing chunk_size", "chunk_size: missing", "chunk_size", DEL),
	BAD("missing packages", "packages", "packages", DEL),
	BAD("missing package id", "packages[0].id: missing", "packages[0].id", DEL),
	BAD("missing package name", "packages[1].name: missing", "packages[1].name", DEL),
	BAD("missing package version", "packages[0].version: missing", "packages[0].version", DEL),
	BAD("missing match", "packages[0].match", "packages[0].match", DEL),
	BAD("missing match.os", "packages[0].match.os: missing", "packages[0].match.os", DEL),
	BAD("missing match.nic", "packages[1].match.nic: missing", "packages[1].match.nic", DEL),
	BAD("missing install", "packages[0].install", "packages[0].install", DEL),
	BAD("missing install.command", "packages[0].install: missing \"command\"", "packages[0].install.command", DEL),
	BAD("missing blob", "packages[0].blob: missing", "packages[0].blob", DEL),
	BAD("missing blob.offset", "packages[0].blob.offset: missing", "packages[0].blob.offset", DEL),
	BAD("missing blob.length", "packages[1].blob.length: missing", "packages[1].blob.length", DEL),
	BAD("missing blob.compression", "blob.compression: missing", "packages[0].blob.compression", DEL),
	BAD("missing blob.sha256", "blob.sha256: missing", "packages[0].blob.sha256", DEL),
	BAD("missing blob.chunks", "blob.chunks", "packages[0].blob.chunks", DEL),
	BAD("missing unpacked_size", "packages[0].unpacked_size: missing", "packages[0].unpacked_size", DEL),
	BAD("missing file_count", "packages[1].file_count: missing", "packages[1].file_count", DEL),
	BADN("key case matters: Install", "packages[0].install: expected an object", {"packages[0].install", DEL},
	     {"packages[0].Install", "{\"command\": [\"x\"]}"}),

	/* optional fields */
	OK("no description", "description", DEL),
	OK("no package description", "packages[0].description", DEL),
	OK("no priority", "packages[0].priority", DEL),
	OK("no timeout", "packages[0].install.timeout", DEL),
	OK("no success_codes", "packages[0].install.success_codes", DEL),
	OK("no reboot_codes", "packages[0].install.reboot_codes", DEL),
	OK("unknown field ignored", "extra", "{\"a\": [1, 2]}"),

	/* format */
	BAD("format 2", "unsupported manifest format", "format", "2"),
	BAD("format 0", "unsupported manifest format", "format", "0"),
	BAD("format as string", "manifest.format: expected an integer", "format", Q("1")),
	BAD("format 1.5", "format: expected an integer", "format", "1.5"),
	BAD("format null", "format", "format", "null"),

	/* top-level strings */
	BAD("name as number", "name: expected a string", "name", "5"),
	BAD("name uppercase", "name: must be", "name", Q("Example")),
	BAD("name empty", "name", "name", Q("")),
	BAD("name with slash", "name", "name", Q("a/b")),
	BAD("name 65 chars", "name: string too long", "name", LONG65),
	BAD("version as number", "version: expected a string", "version", "1"),
	BAD("version null", "version", "version", "null"),
	BAD("description as array", "description: expected a string", "description", "[]"),
	BAD("target unknown", "target: expected", "target", Q("linux-arm64")),
	BAD("target as number", "target", "target", "1"),
	BAD("created with a space", "created: expected YYYY", "created", Q("2024-01-02 03:04:05Z")),
	BAD("created without Z", "created", "created", Q("2024-01-02T03:04:05")),
	BAD("created trailing space", "created", "created", Q("2024-01-02T03:04:05Z ")),
	BAD("created as number", "created", "created", "20240102"),
	BAD("created letters", "created", "created", Q("2024-0a-02T03:04:05Z")),

	/* integers */
	BAD("sequence as string", "sequence: expected an integer", "sequence", Q("3")),
	BAD("sequence negative", "sequence", "sequence", "-1"),
	BAD("sequence 1.5", "sequence", "sequence", "1.5"),
	BAD("sequence true", "sequence", "sequence", "true"),
	BAD("sequence 1e300", "sequence", "sequence", "1e300"),
	BAD("sequence 2^53 + 1 (rounds to 2^53)", "sequence", "sequence", "9007199254740993"),
	BAD("sequence 2^53", "sequence", "sequence", "9007199254740992"),
	BAD("sequence 2^64", "sequence", "sequence", "18446744073709551616"),
	OK("sequence 2^53 - 1", "sequence", "9007199254740991"),
	OK("sequence 0", "sequence", "0"),
	OK("sequence 3.0", "sequence", "3.0"),
	BAD("stub.size as string", "stub.size", "stub.size", Q("4096")),
	BAD("stub.size negative", "stub.size", "stub.size", "-4096"),
	BAD("stub as string", "stub: missing", "stub", Q("x")),

	/* hex */
	BAD("stub.sha256 not hex", "stub.sha256: expected 64 hex digits", "stub.sha256",
	    Q("g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")),
	BAD("stub.sha256 63 digits", "stub.sha256", "stub.sha256",
	    Q("123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")),
	BAD("stub.sha256 65 digits", "stub.sha256", "stub.sha256",
	    Q("00123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")),
	BAD("stub.sha256 empty", "stub.sha256", "stub.sha256", Q("")),
	BAD("stub.sha256 as number", "stub.sha256", "stub.sha256", "0"),
	OK("stub.sha256 uppercase hex", "stub.sha256",
	   Q("0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF")),
	BAD("blob.sha256 not hex", "packages[0].blob.sha256: expected 64 hex digits", "packages[0].blob.sha256",
	    Q("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-")),
	BAD("blob.sha256 short", "blob.sha256", "packages[1].blob.sha256", Q("abcd")),
	BAD("chunk hash not hex", "packages[0].blob.chunks: expected 64 hex", "packages[0].blob.chunks[1]",
	    Q("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeX")),
	BAD("chunk hash 63 digits", "blob.chunks", "packages[0].blob.chunks[0]",
	    Q("123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")),
	BAD("chunk hash 65 digits", "blob.chunks", "packages[0].blob.chunks[0]",
	    Q("00123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")),
	BAD("chunk hash as number", "blob.chunks", "packages[1].blob.chunks[0]", "1"),
	BAD("chunk hash null", "blob.chunks", "packages[1].blob.chunks[0]", "null"),

	/* chunk size and chunk counts */
	BAD("chunk_size 32 KiB", "chunk_size: must be a power of two", "chunk_size", "32768"),
	BAD("chunk_size 2 MiB", "chunk_size", "chunk_size", "2097152"),
	BAD("chunk_size 100000", "chunk_size: must be a power of two", "chunk_size", "100000"),
	BAD("chunk_size 65537", "chunk_size", "chunk_size", "65537"),
	BAD("chunk_size 1 MiB + 1", "chunk_size", "chunk_size", "1048577"),
	BAD("chunk_size 0", "chunk_size", "chunk_size", "0"),
	BAD("chunk_size negative", "chunk_size", "chunk_size", "-65536"),
	BAD("chunk_size 65536.5", "chunk_size", "chunk_size", "65536.5"),
	BAD("chunk_size as string", "chunk_size", "chunk_size", Q("65536")),
	BADN("chunk_size 128 KiB with 64 KiB chunk lists", "packages[0].blob.chunks: expected one SHA-256 per chunk",
	     {"chunk_size", "131072"}),
	OKN("chunk_size 1 MiB", {"chunk_size", "1048576"}, {"packages[0].blob.chunks[1]", DEL}),
	OKN("chunk_size 128 KiB", {"chunk_size", "131072"}, {"packages[0].blob.chunks[1]", DEL}),
	BAD("one chunk too few", "packages[0].blob.chunks: expected one SHA-256 per chunk",
	    "packages[0].blob.chunks[1]", DEL),
	BAD("one chunk too many", "packages[1].blob.chunks", "packages[1].blob.chunks[1]", Q(H64A)),
	BAD("no chunks", "blob.chunks", "packages[1].blob.chunks", "[]"),
	BAD("chunks not an array", "blob.chunks", "packages[1].blob.chunks", Q(H64A)),
	BAD("length needs a third chunk", "packages[0].blob.chunks", "packages[0].blob.length", "131073"),
	BAD("length fits one chunk", "packages[0].blob.chunks", "packages[0].blob.length", "65536"),

	/* blobs */
	BAD("blob as string", "packages[0].blob: missing", "packages[0].blob", Q("x")),
	BAD("blob.length 0", "packages[0].blob.length: must not be zero", "packages[0].blob.length", "0"),
	BAD("blob.length negative", "blob.length", "packages[0].blob.length", "-100000"),
	BAD("blob.length 2^53 + 1", "blob.length", "packages[0].blob.length", "9007199254740993"),
	BAD("blob.offset as string", "blob.offset", "packages[0].blob.offset", Q("4096")),
	BAD("blob.offset 1.5", "blob.offset", "packages[0].blob.offset", "4096.5"),
	BAD("blob.offset 2^53 + 1", "blob.offset", "packages[1].blob.offset", "9007199254740993"),
	BAD("blob.offset 2^64", "blob.offset", "packages[1].blob.offset", "18446744073709551615"),
	BAD("blob.offset near 2^53", "not where the payload continues", "packages[1].blob.offset", "9007199254740991"),
	BAD("blob.compression auto", "blob.compression: expected", "packages[0].blob.compression", Q("auto")),
	BAD("blob.compression lz4", "blob.compression", "packages[0].blob.compression", Q("lz4")),
	BAD("blob.compression uppercase", "blob.compression", "packages[0].blob.compression", Q("ZSTD")),
	BAD("blob.compression as number", "blob.compression", "packages[0].blob.compression", "2"),
	OK("blob.compression gzip", "packages[0].blob.compression", Q("gzip")),
	BAD("gap between blobs", "package 'rdma-core.rhel_8' blob", "packages[1].blob.offset", "104097"),
	BAD("blobs overlap", "not where the payload continues", "packages[1].blob.offset", "104095"),
	BAD("first blob inside the stub", "package 'mofed-ubuntu2004'", "packages[0].blob.offset", "4095"),
	BAD("first blob at 0", "not where the payload continues", "packages[0].blob.offset", "0"),
	BAD("first blob after a gap", "not where the payload continues", "packages[0].blob.offset", "4097"),
	BADN("blobs out of package order", "not where the payload continues", {"packages[0].blob.offset", "69632"},
	     {"packages[1].blob.offset", "4096"}),
	BADN("last blob runs past the payload", "not where the payload continues", {"packages[1].blob.length", "65537"},
	     {"packages[1].blob.chunks[1]", Q(H64A)}),
	BADN("blobs shorter than the payload", "payload bytes belong to no package",
	     {"packages[1].blob.length", "65535"}),
	RANGE("payload longer than the blobs", "1 payload bytes belong to no package", 0, 1),
	RANGE("payload shorter than the blobs", "not where the payload continues", 0, -1),
	RANGE("stub size does not match", "stub size 4096 does not match the footer's 4097", 1, 0),
	RANGE("stub size larger than the footer's", "stub size", -1, 0),
	RANGE("payload ends before it starts", NULL, 0, -(int64_t)P_END),

	/* per-package integers */
	BAD("unpacked_size negative", "packages[0].unpacked_size", "packages[0].unpacked_size", "-1"),
	BAD("unpacked_size 1.5", "unpacked_size", "packages[0].unpacked_size", "1.5"),
	BAD("unpacked_size 2^53 + 1", "unpacked_size", "packages[0].unpacked_size", "9007199254740993"),
	BAD("file_count too large", "packages[1].file_count", "packages[1].file_count", "1000001"),
	BAD("file_count as string", "file_count", "packages[1].file_count", Q("1")),
	OK("file_count at the limit", "packages[1].file_count", "1000000"),
	BAD("priority 1.5", "packages[0].priority: expected an integer from -1000000 to 1000000",
	    "packages[0].priority", "1.5"),
	BAD("priority as string", "priority", "packages[0].priority", Q("1")),
	BAD("priority too high", "priority", "packages[0].priority", "1000001"),
	BAD("priority too low", "priority", "packages[0].priority", "-1000001"),
	OK("priority at the limit", "packages[0].priority", "-1000000"),

	/* packages array */
	BAD("packages empty", "packages: expected an array of 1 to 256", "packages", "[]"),
	BAD("packages an object", "packages", "packages", "{}"),
	BAD("package a string", "packages[1]: expected an object", "packages[1]", Q("x")),
	BAD("package an array", "packages[0]: expected an object", "packages[0]", "[]"),

	/* ids */
	BAD("id uppercase", "packages[0].id: must be", "packages[0].id", Q("Mofed")),
	BAD("id leading dot", "packages[0].id: must be", "packages[0].id", Q(".mofed")),
	BAD("id leading dash", "packages[0].id", "packages[0].id", Q("-mofed")),
	BAD("id leading underscore", "packages[0].id", "packages[0].id", Q("_mofed")),
	BAD("id with slash", "packages[0].id", "packages[0].id", Q("a/b")),
	BAD("id dot dot", "packages[0].id", "packages[0].id", Q("..")),
	BAD("id with space", "packages[0].id", "packages[0].id", Q("a b")),
	BAD("id with backslash", "packages[0].id", "packages[0].id", Q("a\\\\b")),
	BAD("id non-ASCII", "packages[0].id", "packages[0].id", Q("caf\\u00e9")),
	BAD("id empty", "packages[0].id", "packages[0].id", Q("")),
	BAD("id 65 chars", "packages[0].id: string too long", "packages[0].id", LONG65),
	BAD("id as number", "packages[0].id: expected a string", "packages[0].id", "1"),
	BAD("duplicate package id", "packages[1].id: duplicate package id", "packages[1].id", Q("mofed-ubuntu2004")),
	OK("id 64 chars", "packages[0].id", "\"0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""),
	OK("id starting with a digit", "packages[0].id", Q("5.5-ofed")),

	/* embedded NUL, spelled as an escape (a raw NUL byte is tested separately) */
	BAD("id with escaped NUL", NULL, "packages[0].id", Q("mofed\\u0000x")),
	BAD("command with escaped NUL", NULL, "packages[0].install.command[0]", Q("./install.sh\\u0000; reboot")),
	BAD("name with escaped NUL", NULL, "packages[0].name", Q("MLNX\\u0000")),
	OK("escaped backslash before u0000 is text", "packages[0].name", Q("MLNX\\\\u0000")),

	/* match */
	BAD("match as array", "packages[0].match: expected an object", "packages[0].match", "[]"),
	BAD("match.os as string", "packages[0].match.os: expected a non-empty array", "packages[0].match.os",
	    Q("ubuntu-20.04")),
	BAD("match.os empty", "packages[0].match.os", "packages[0].match.os", "[]"),
	BAD("match.os element number", "packages[0].match.os: element 0", "packages[0].match.os[0]", "5"),
	BAD("match.os element null", "packages[0].match.os", "packages[0].match.os[1]", "null"),
	BAD("match.os uppercase", "match.os: element 0: expected a lowercase token", "packages[0].match.os[0]",
	    Q("Ubuntu-20.04")),
	BAD("match.os with space", "match.os", "packages[0].match.os[0]", Q("ubuntu 20.04")),
	BAD("match.os empty token", "match.os", "packages[0].match.os[0]", Q("")),
	BAD("match.os with ?", "match.os", "packages[0].match.os[0]", Q("ubuntu-2?.04")),
	OK("match.os star", "packages[0].match.os[0]", Q("*")),
	BAD("match.nic uppercase", "packages[1].match.nic: element 0", "packages[1].match.nic[0]", Q("CX3PRO")),
	BAD("match.nic with dash", "match.nic", "packages[1].match.nic[0]", Q("cx-5")),
	BAD("match.nic with star", "match.nic", "packages[1].match.nic[0]", Q("cx*")),
	BAD("match.nic empty", "match.nic", "packages[1].match.nic", "[]"),
	BAD("match.nic as string", "match.nic", "packages[1].match.nic", Q("cx5")),

	/* install */
	BAD("install as string", "packages[0].install: expected an object", "packages[0].install", Q("./install.sh")),
	BAD("command as string", "packages[0].install.command: expected a non-empty array",
	    "packages[0].install.command", Q("./install.sh")),
	BAD("command empty", "install.command", "packages[0].install.command", "[]"),
	BAD("command program empty", "packages[0].install.command: the program name is empty",
	    "packages[0].install.command[0]", Q("")),
	BAD("command element number", "install.command: element 1: expected a string", "packages[0].install.command[1]",
	    "1"),
	BAD("command element null", "install.command", "packages[0].install.command[0]", "null"),
	OK("command empty argument", "packages[0].install.command[1]", Q("")),
	BAD("timeout 0", "packages[0].install.timeout: must be at least 1 second", "packages[0].install.timeout", "0"),
	BAD("timeout negative", "install.timeout", "packages[0].install.timeout", "-1"),
	BAD("timeout 1.5", "install.timeout", "packages[0].install.timeout", "1.5"),
	BAD("timeout as string", "install.timeout", "packages[0].install.timeout", Q("60")),
	BAD("timeout over a week", "install.timeout: expected an integer from 0 to 604800",
	    "packages[0].install.timeout", "604801"),
	BAD("timeout 1e20", "install.timeout", "packages[0].install.timeout", "1e20"),
	OK("timeout a week", "packages[0].install.timeout", "604800"),
	OK("timeout 1", "packages[0].install.timeout", "1"),
	BAD("success_codes empty", "packages[0].install.success_codes: at least one",
	    "packages[0].install.success_codes", "[]"),
	BAD("success_codes as number", "install.success_codes", "packages[0].install.success_codes", "0"),
	BAD("success code 1.5", "install.success_codes: exit codes must be integers",
	    "packages[0].install.success_codes[0]", "1.5"),
	BAD("success code as string", "install.success_codes", "packages[0].install.success_codes[0]", Q("0")),
	BAD("success code 2^32", "install.success_codes", "packages[0].install.success_codes[0]", "4294967296"),
	BAD("success code below -2^31", "install.success_codes", "packages[0].install.success_codes[0]", "-2147483649"),
	OKN("success codes at the 32-bit limits", {"packages[0].install.success_codes[0]", "4294967295"},
	    {"packages[0].install.success_codes[1]", "-2147483648"}),
	BAD("reboot_codes as string", "install.reboot_codes", "packages[0].install.reboot_codes", Q("3010")),
	BAD("reboot code true", "install.reboot_codes", "packages[0].install.reboot_codes[0]", "true"),
	BAD("65 reboot codes", "install.reboot_codes: expected an array of at most 64",
	    "packages[0].install.reboot_codes",
	    "[0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,"
	    "0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4]"),

	/* ---- spec ---- */
	SOK("valid spec", NULL, NULL),
	SOK("spec: chunk_size 64 KiB", "chunk_size", "65536"),
	SOK("spec: top-level compression", "compression", Q("gzip")),
	SBAD("spec: a manifest-only field is an unknown key", "packages[0].blob: unknown key", "packages[0].blob",
	     "{}"),
	SBAD("spec: a misspelt key gets a suggestion", "packages[0].priorty: unknown key (did you mean \"priority\"?)",
	     "packages[0].priorty", "1"),
	SBAD("spec: unknown top-level key", "compresion: unknown key (did you mean \"compression\"?)", "compresion",
	     Q("zstd")),
	SBAD("spec: unknown install key", "packages[0].install.timout: unknown key (did you mean \"timeout\"?)",
	     "packages[0].install.timout", "5"),
	SBAD("spec: unknown match key, no close word", "packages[0].match.cpu: unknown key", "packages[0].match.cpu",
	     Q("x86")),
	SOK("spec: sha256 uppercase", "packages[1].sha256",
	    Q("0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF")),
	SBAD("spec: missing name", "name: missing", "name", DEL),
	SBAD("spec: missing sequence", "sequence: missing", "sequence", DEL),
	SBAD("spec: missing target", "target: missing", "target", DEL),
	SBAD("spec: bad target", "target: expected \"linux-x86_64\" or \"windows-x86_64\"", "target", Q("windows")),
	SBAD("spec: sequence 2^53 + 1", "sequence", "sequence", "9007199254740993"),
	SBAD("spec: chunk_size not a power of two", "chunk_size: must be a power of two", "chunk_size", "100000"),
	SBAD("spec: chunk_size too small", "chunk_size", "chunk_size", "4096"),
	SBAD("spec: bad top-level compression", "compression: expected \"auto\", \"zstd\", \"gzip\" or \"none\"",
	     "compression", Q("bzip2")),
	SBAD("spec: compression as number", "compression: expected a string", "compression", "1"),
	SBAD("spec: missing packages", "packages", "packages", DEL),
	SBAD("spec: missing source", "packages[0].source: missing", "packages[0].source", DEL),
	SBAD("spec: empty source", "packages[0].source: is empty", "packages[0].source", Q("")),
	SBAD("spec: source as array", "packages[0].source: expected a string", "packages[0].source", "[]"),
	SBAD("spec: sha256 not hex", "packages[1].sha256: expected 64 hex digits", "packages[1].sha256",
	     Q("z123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")),
	SBAD("spec: sha256 63 digits", "packages[1].sha256", "packages[1].sha256",
	     Q("123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")),
	SBAD("spec: sha256 65 digits", "packages[1].sha256", "packages[1].sha256",
	     Q("00123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")),
	SBAD("spec: url as number", "packages[1].url: expected a string", "packages[1].url", "1"),
	SBAD("spec: package compression lz4", "packages[1].compression: expected", "packages[1].compression", Q("lz4")),
	SBAD("spec: bad id", "packages[1].id: must be", "packages[1].id", Q("WinOF")),
	SBAD("spec: id with slash", "packages[1].id", "packages[1].id", Q("../winof")),
	SBAD("spec: duplicate id", "packages[1].id: duplicate package id", "packages[1].id", Q("mofed-ubuntu2004")),
	SBAD("spec: missing match.nic", "packages[0].match.nic: missing", "packages[0].match.nic", DEL),
	SBAD("spec: unknown-shape nic", "packages[0].match.nic: element 1", "packages[0].match.nic[1]", Q("CX6")),
	SBAD("spec: timeout 0", "packages[0].install.timeout: must be at least 1 second", "packages[0].install.timeout",
	     "0"),
	SBAD("spec: empty command", "packages[1].install.command: expected a non-empty array",
	     "packages[1].install.command", "[]"),
	SBAD("spec: empty program", "packages[1].install.command: the program name is empty",
	     "packages[1].install.command[0]", Q("")),
	SBAD("spec: escaped NUL in command", NULL, "packages[1].install.command[1]", Q("/S\\u0000")),
};

/* ---- whole-document tests ---- */

static void expect_rejected_text(const char *json, size_t len)
{
	struct ib_manifest m;

	assert_int_equal(ib_manifest_parse(json, len, P_START, P_END, &m), IB_E_FORMAT);
	assert_int_equal(ib_spec_parse(json, len, &m), IB_E_SPEC);
	assert_non_null(strstr(ib_errmsg(IB_E_SPEC), "not valid JSON"));
}

static void test_not_json(void **state)
{
	const char *bad[] = {"", " ", "{", "nul", "[]", "\"x\"", "1", "null", "{'a':}", "{\"a\" 1}"};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
		struct ib_manifest m;
		char *s = dequote(bad[i]);

		/* Not JSON, or JSON that is not an object. */
		assert_int_equal(ib_manifest_parse(s, strlen(s), P_START, P_END, &m), IB_E_FORMAT);
		assert_int_equal(ib_spec_parse(s, strlen(s), &m), IB_E_SPEC);
		free(s);
	}
}

static void test_trailing_garbage(void **state)
{
	const char *tails[] = {"x", "{}", "1", "//", ",", "\"\"", " }", "\n\n]"};
	char *base = dequote(manifest_src);
	size_t blen = strlen(base);

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(tails); i++) {
		size_t tlen = strlen(tails[i]);
		char *s = malloc(blen + tlen + 1);

		assert_non_null(s);
		memcpy(s, base, blen);
		memcpy(s + blen, tails[i], tlen + 1);
		expect_rejected_text(s, blen + tlen);
		free(s);
	}
	free(base);
}

static void test_trailing_whitespace_ok(void **state)
{
	char *base = dequote(manifest_src), *s;
	size_t blen = strlen(base);
	struct ib_manifest m;

	(void)state;
	s = malloc(blen + 5);
	assert_non_null(s);
	memcpy(s, base, blen);
	memcpy(s + blen, " \t\r\n", 5);
	assert_int_equal(parse_text(s, blen + 4, &m), 0);
	ib_manifest_release(&m);
	free(s);
	free(base);
}

static void test_raw_nul(void **state)
{
	char *base = dequote(manifest_src);
	size_t blen = strlen(base);
	char *s = malloc(blen + 2);
	char *at;

	(void)state;
	assert_non_null(s);
	/* A NUL after the document ... */
	memcpy(s, base, blen);
	s[blen] = '\0';
	s[blen + 1] = '\0';
	expect_rejected_text(s, blen + 1);
	/* ... and inside a string. */
	memcpy(s, base, blen + 1);
	at = strstr(s, "MLNX_OFED");
	assert_non_null(at);
	at[4] = '\0';
	expect_rejected_text(s, blen);
	free(s);
	free(base);
}

/* Only [json, json+len) is read: a length that cuts the document anywhere is invalid. */
static void test_truncated(void **state)
{
	char *base = dequote(manifest_src);
	size_t blen = strlen(base);

	(void)state;
	for (size_t cut = 0; cut < blen; cut += 37) {
		char *s = malloc(cut + 1);

		assert_non_null(s);
		memcpy(s, base, cut);
		expect_rejected_text(s, cut); /* no NUL after: ASan catches a read past len */
		free(s);
	}
	expect_rejected_text(base, blen - 1);
	free(base);
}

static void test_too_many_packages(void **state)
{
	cJSON *root = tree_of(manifest_src), *pkgs, *tmpl;
	char *text;
	struct ib_manifest m;
	uint64_t end = P_START;

	(void)state;
	pkgs = cJSON_GetObjectItemCaseSensitive(root, "packages");
	tmpl = cJSON_Duplicate(cJSON_GetArrayItem(pkgs, 1), 1);
	while (cJSON_GetArraySize(pkgs) > 0)
		cJSON_DeleteItemFromArray(pkgs, 0);
	/* 256 one-chunk packages of 1 byte each. */
	for (int i = 0; i < IB_PACKAGES_MAX; i++) {
		cJSON *p = cJSON_Duplicate(tmpl, 1), *blob = cJSON_GetObjectItemCaseSensitive(p, "blob");
		char id[16];

		snprintf(id, sizeof(id), "p%d", i);
		cJSON_ReplaceItemInObjectCaseSensitive(p, "id", cJSON_CreateString(id));
		cJSON_ReplaceItemInObjectCaseSensitive(blob, "offset", cJSON_CreateNumber((double)end));
		cJSON_ReplaceItemInObjectCaseSensitive(blob, "length", cJSON_CreateNumber(1));
		cJSON_AddItemToArray(pkgs, p);
		end++;
	}
	text = cJSON_PrintUnformatted(root);
	assert_int_equal(ib_manifest_parse(text, strlen(text), P_START, end, &m), 0);
	assert_int_equal(m.npkgs, IB_PACKAGES_MAX);
	assert_string_equal(m.pkgs[255].id, "p255");
	ib_manifest_release(&m);
	cJSON_free(text);
	/* One more is refused. */
	{
		cJSON *p = cJSON_Duplicate(tmpl, 1), *blob = cJSON_GetObjectItemCaseSensitive(p, "blob");

		cJSON_ReplaceItemInObjectCaseSensitive(p, "id", cJSON_CreateString("p256"));
		cJSON_ReplaceItemInObjectCaseSensitive(blob, "offset", cJSON_CreateNumber((double)end));
		cJSON_ReplaceItemInObjectCaseSensitive(blob, "length", cJSON_CreateNumber(1));
		cJSON_AddItemToArray(pkgs, p);
		end++;
	}
	text = cJSON_PrintUnformatted(root);
	assert_int_equal(ib_manifest_parse(text, strlen(text), P_START, end, &m), IB_E_FORMAT);
	assert_non_null(strstr(ib_errmsg(IB_E_FORMAT), "1 to 256 packages"));
	cJSON_free(text);
	cJSON_Delete(tmpl);
	cJSON_Delete(root);
}

/* ---- valid parse, round trip ---- */

static void parse_fixture(struct ib_manifest *m)
{
	char *s = dequote(manifest_src);

	assert_int_equal(parse_text(s, strlen(s), m), 0);
	free(s);
}

static void test_parse_fields(void **state)
{
	struct ib_manifest m;
	const struct ib_package *a, *b;
	uint8_t h[IB_SHA256_LEN];

	(void)state;
	parse_fixture(&m);
	assert_string_equal(m.name, "example");
	assert_string_equal(m.version, "1.0.0");
	assert_string_equal(m.description, "test bundle");
	assert_true(m.sequence == 3);
	assert_int_equal(m.target, IB_TARGET_LINUX_X86_64);
	assert_string_equal(m.created, "2024-01-02T03:04:05Z");
	assert_true(m.stub_size == P_START);
	assert_int_equal(ib_hex_decode(H64C, h, IB_SHA256_LEN), 0);
	assert_memory_equal(m.stub_sha256, h, IB_SHA256_LEN);
	assert_int_equal(m.chunk_size, 65536);
	assert_int_equal(m.npkgs, 2);
	a = &m.pkgs[0];
	b = &m.pkgs[1];
	assert_string_equal(a->id, "mofed-ubuntu2004");
	assert_string_equal(a->name, "MLNX_OFED");
	assert_string_equal(a->version, "5.5-1.0.3.2");
	assert_string_equal(a->description, "for Ubuntu");
	assert_int_equal(a->os.n, 2);
	assert_string_equal(a->os.v[1], "ubuntu-22.*");
	assert_int_equal(a->nic.n, 2);
	assert_string_equal(a->nic.v[0], "cx5");
	assert_int_equal(a->priority, 5);
	assert_int_equal(a->install.argv.n, 2);
	assert_string_equal(a->install.argv.v[0], "./install.sh");
	assert_string_equal(a->install.argv.v[1], "--force");
	assert_int_equal(a->install.timeout, 1800);
	assert_int_equal(a->install.success.n, 1);
	assert_int_equal(a->install.reboot.n, 2);
	assert_true(ib_codes_has(&a->install.reboot, 1641));
	assert_false(ib_codes_has(&a->install.reboot, 0));
	assert_true(ib_codes_has(&a->install.success, 0));
	assert_true(a->unpacked_size == 200000);
	assert_true(a->file_count == 3);
	assert_int_equal(a->compression, IB_COMP_ZSTD);
	assert_true(a->offset == 4096 && a->length == 100000);
	assert_int_equal(a->nchunks, 2);
	assert_memory_equal(a->chunks[1], h, IB_SHA256_LEN);
	assert_int_equal(ib_hex_decode(H64A, h, IB_SHA256_LEN), 0);
	assert_memory_equal(a->sha256, h, IB_SHA256_LEN);
	assert_null(a->source);
	assert_null(b->description);
	assert_int_equal(b->priority, -2);
	assert_int_equal(b->compression, IB_COMP_NONE);
	assert_int_equal(b->install.reboot.n, 0);
	assert_int_equal(b->install.success.n, 2);
	assert_int_equal(b->nchunks, 1);
	assert_ptr_equal(ib_manifest_find(&m, "rdma-core.rhel_8"), b);
	assert_null(ib_manifest_find(&m, "rdma-core"));
	ib_manifest_release(&m);
	assert_int_equal(m.npkgs, 0);
	assert_null(m.pkgs);
	ib_manifest_release(&m); /* twice is harmless */
}

static void test_defaults(void **state)
{
	static const struct mut muts[] = {
		{"packages[0].priority", NULL},
		{"packages[0].install.timeout", NULL},
		{"packages[0].install.success_codes", NULL},
	};
	char *text = mutated_text(manifest_src, muts, IB_ARRAY_LEN(muts));
	static const struct mut more[] = {{"packages[0].install.reboot_codes", NULL}};
	char *text2 = mutated_text(manifest_src, more, 1);
	struct ib_manifest m;

	(void)state;
	assert_int_equal(parse_text(text, strlen(text), &m), 0);
	assert_int_equal(m.pkgs[0].priority, 0);
	assert_int_equal(m.pkgs[0].install.timeout, 3600);
	assert_int_equal(m.pkgs[0].install.success.n, 1);
	assert_int_equal(m.pkgs[0].install.success.v[0], 0);
	ib_manifest_release(&m);
	assert_int_equal(parse_text(text2, strlen(text2), &m), 0);
	assert_int_equal(m.pkgs[0].install.reboot.n, 0);
	ib_manifest_release(&m);
	cJSON_free(text);
	cJSON_free(text2);
}

static void assert_same_manifest(const struct ib_manifest *a, const struct ib_manifest *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->version, b->version);
	assert_true((a->description == NULL) == (b->description == NULL));
	assert_true(a->sequence == b->sequence);
	assert_int_equal(a->target, b->target);
	assert_string_equal(a->created, b->created);
	assert_true(a->stub_size == b->stub_size);
	assert_memory_equal(a->stub_sha256, b->stub_sha256, IB_SHA256_LEN);
	assert_int_equal(a->chunk_size, b->chunk_size);
	assert_int_equal(a->npkgs, b->npkgs);
	for (size_t i = 0; i < a->npkgs; i++) {
		const struct ib_package *p = &a->pkgs[i], *q = &b->pkgs[i];

		assert_string_equal(p->id, q->id);
		assert_string_equal(p->name, q->name);
		assert_string_equal(p->version, q->version);
		assert_int_equal(p->os.n, q->os.n);
		for (size_t j = 0; j < p->os.n; j++)
			assert_string_equal(p->os.v[j], q->os.v[j]);
		assert_int_equal(p->nic.n, q->nic.n);
		for (size_t j = 0; j < p->nic.n; j++)
			assert_string_equal(p->nic.v[j], q->nic.v[j]);
		assert_int_equal(p->priority, q->priority);
		assert_int_equal(p->install.argv.n, q->install.argv.n);
		for (size_t j = 0; j < p->install.argv.n; j++)
			assert_string_equal(p->install.argv.v[j], q->install.argv.v[j]);
		assert_int_equal(p->install.timeout, q->install.timeout);
		assert_int_equal(p->install.success.n, q->install.success.n);
		for (size_t j = 0; j < p->install.success.n; j++)
			assert_int_equal(p->install.success.v[j], q->install.success.v[j]);
		assert_int_equal(p->install.reboot.n, q->install.reboot.n);
		for (size_t j = 0; j < p->install.reboot.n; j++)
			assert_int_equal(p->install.reboot.v[j], q->install.reboot.v[j]);
		assert_int_equal(p->compression, q->compression);
		assert_true(p->offset == q->offset && p->length == q->length);
		assert_true(p->unpacked_size == q->unpacked_size && p->file_count == q->file_count);
		assert_memory_equal(p->sha256, q->sha256, IB_SHA256_LEN);
		assert_int_equal(p->nchunks, q->nchunks);
		assert_memory_equal(p->chunks, q->chunks, p->nchunks * IB_SHA256_LEN);
	}
}

static void test_roundtrip(void **state)
{
	struct ib_manifest m, m2, m3;
	char *out, *out2;
	size_t len, len2;

	(void)state;
	parse_fixture(&m);
	assert_int_equal(ib_manifest_serialize(&m, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	assert_int_equal(parse_text(out, len, &m2), 0);
	assert_same_manifest(&m, &m2);
	/* Serializing is deterministic: the same manifest gives the same bytes. */
	assert_int_equal(ib_manifest_serialize(&m2, &out2, &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(out2, out, len);
	assert_int_equal(parse_text(out2, len2, &m3), 0);
	assert_same_manifest(&m2, &m3);
	ib_manifest_release(&m);
	ib_manifest_release(&m2);
	ib_manifest_release(&m3);
	cJSON_free(out);
	cJSON_free(out2);
}

/* A manifest built in memory, as the builder does, with limits at their edges. */
static void test_serialize_built(void **state)
{
	static char *os[] = {"windows-server-2019", "windows-server-2022"}, *nic[] = {"nd"},
		    *argv[] = {"setup.exe", "/quiet", "a \"quoted\" \\ arg", "\xc3\xa9"};
	static long success[] = {0, -2147483648L, 4294967295L}, reboot[] = {3010};
	uint8_t chunks[3][IB_SHA256_LEN];
	struct ib_package p = {
		.id = "winof2",
		.name = "WinOF-2",
		.version = "3.10",
		.os = {os, 2},
		.nic = {nic, 1},
		.priority = -1000000,
		.install = {.argv = {argv, 4},
			    .timeout = IB_TIMEOUT_MAX,
			    .success = {success, 3},
			    .reboot = {reboot, 1}},
		.compression = IB_COMP_GZIP,
		.offset = 1ULL << 40,
		.length = 2 * IB_CHUNK_MAX + 1,
		.unpacked_size = (1ULL << 53) - 1,
		.file_count = IB_FILES_MAX,
		.nchunks = 3,
		.chunks = chunks,
	};
	struct ib_manifest m =
				   {
					   .name = "w",
					   .version = "v",
					   .sequence = (1ULL << 53) - 1,
					   .target = IB_TARGET_WINDOWS_X86_64,
					   .created = "2030-12-31T23:59:59Z",
					   .stub_size = 1ULL << 40,
					   .chunk_size = IB_CHUNK_MAX,
					   .npkgs = 1,
					   .pkgs = &p,
				   },
			   back;
	char *out;
	size_t len;

	(void)state;
	memset(chunks, 0x5c, sizeof(chunks));
	memset(p.sha256, 0x01, sizeof(p.sha256));
	memset(m.stub_sha256, 0xfe, sizeof(m.stub_sha256));
	assert_int_equal(ib_manifest_serialize(&m, &out, &len), 0);
	assert_int_equal(ib_manifest_parse(out, len, m.stub_size, p.offset + p.length, &back), 0);
	assert_null(back.description);
	assert_same_manifest(&m, &back);
	assert_string_equal(back.pkgs[0].install.argv.v[2], "a \"quoted\" \\ arg");
	ib_manifest_release(&back);
	cJSON_free(out);
}

/* ---- spec ---- */

static void test_spec_fields(void **state)
{
	struct ib_manifest m;
	char *s = dequote(spec_src);
	uint8_t h[IB_SHA256_LEN];

	(void)state;
	assert_int_equal(ib_spec_parse(s, strlen(s), &m), 0);
	assert_int_equal(m.target, IB_TARGET_WINDOWS_X86_64);
	assert_int_equal(m.chunk_size, IB_CHUNK_DEFAULT);
	assert_int_equal(m.compression, IB_COMP_AUTO);
	assert_int_equal(m.npkgs, 2);
	assert_string_equal(m.pkgs[0].source, "pkgs/mofed-ubuntu2004");
	assert_false(m.pkgs[0].has_source_sha256);
	assert_null(m.pkgs[0].url);
	assert_int_equal(m.pkgs[0].compression, IB_COMP_AUTO); /* inherited */
	assert_int_equal(m.pkgs[1].compression, IB_COMP_NONE); /* its own */
	assert_true(m.pkgs[1].has_source_sha256);
	assert_int_equal(ib_hex_decode(H64C, h, IB_SHA256_LEN), 0);
	assert_memory_equal(m.pkgs[1].source_sha256, h, IB_SHA256_LEN);
	assert_string_equal(m.pkgs[1].url, "https://example.invalid/winof.exe");
	assert_int_equal(m.pkgs[1].install.timeout, 3600);
	assert_int_equal(m.pkgs[1].install.success.n, 1);
	assert_int_equal(m.pkgs[1].install.reboot.n, 0);
	assert_int_equal(m.pkgs[1].priority, 0);
	assert_int_equal(m.pkgs[1].nchunks, 0);
	ib_manifest_release(&m);
	free(s);
}

static void test_spec_compression_inherited(void **state)
{
	static const struct mut muts[] = {{"compression", "\"zstd\""}};
	char *text = mutated_text(spec_src, muts, 1);
	struct ib_manifest m;

	(void)state;
	assert_int_equal(ib_spec_parse(text, strlen(text), &m), 0);
	assert_int_equal(m.compression, IB_COMP_ZSTD);
	assert_int_equal(m.pkgs[0].compression, IB_COMP_ZSTD);
	assert_int_equal(m.pkgs[1].compression, IB_COMP_NONE);
	ib_manifest_release(&m);
	cJSON_free(text);
}

/* Spec errors read as "<JSON path>: <what is wrong>", for the caller to prefix with the file. */
/* A key given twice would let two readers see two documents: refused, in specs and manifests. */
static void test_duplicate_keys_refused(void **state)
{
	static const char spec[] = "{\"name\":\"a\",\"name\":\"b\"}";
	static const char nested[] = "{\"packages\":[{\"id\":\"a\",\"install\":{\"timeout\":1,\"timeout\":2}}]}";
	struct ib_manifest m;

	(void)state;
	assert_int_equal(ib_spec_parse(spec, sizeof(spec) - 1, &m), IB_E_SPEC);
	assert_non_null(strstr(ib_errmsg(IB_E_SPEC), "repeated"));
	assert_int_equal(ib_spec_parse(nested, sizeof(nested) - 1, &m), IB_E_SPEC);
	assert_non_null(strstr(ib_errmsg(IB_E_SPEC), "repeated"));
	assert_int_equal(ib_manifest_parse(nested, sizeof(nested) - 1, 1, 2, &m), IB_E_FORMAT);
}

static void test_spec_error_text(void **state)
{
	static const struct mut m1[] = {{"packages[1].match.nic", NULL}};
	static const struct mut m2[] = {{"packages[0].install.timeout", "0"}};
	char *t1 = mutated_text(spec_src, m1, 1), *t2 = mutated_text(spec_src, m2, 1);
	struct ib_manifest m;

	(void)state;
	assert_int_equal(ib_spec_parse(t1, strlen(t1), &m), IB_E_SPEC);
	assert_string_equal(ib_errmsg(IB_E_SPEC), "packages[1].match.nic: missing");
	assert_int_equal(ib_spec_parse(t2, strlen(t2), &m), IB_E_SPEC);
	assert_string_equal(ib_errmsg(IB_E_SPEC), "packages[0].install.timeout: must be at least 1 second");
	assert_int_equal(ib_spec_parse("{\"name\": ", 9, &m), IB_E_SPEC);
	assert_string_equal(ib_errmsg(IB_E_SPEC), "line 1, column 9: not valid JSON: syntax error");
	assert_int_equal(ib_spec_parse("{\n  \"name\": \"x\",\n  \"é\": ]", 26, &m), IB_E_SPEC);
	assert_string_equal(ib_errmsg(IB_E_SPEC), "line 3, column 8: not valid JSON: syntax error");
	cJSON_free(t1);
	cJSON_free(t2);
}

/* A manifest is not a valid spec (no source) and a spec is not a valid manifest. */
static void test_spec_vs_manifest(void **state)
{
	(void)state;
	assert_int_equal(parse_src(manifest_src, 0, 0, 1), IB_E_SPEC);
	assert_non_null(strstr(ib_errmsg(IB_E_SPEC), "format: unknown key"));
	assert_int_equal(parse_src(spec_src, P_START, P_END, 0), IB_E_FORMAT);
}

/* ---- names ---- */

static void test_names(void **state)
{
	(void)state;
	for (int c = IB_COMP_NONE; c <= IB_COMP_AUTO; c++)
		assert_int_equal(ib_compression_from_name(ib_compression_name(c)), c);
	assert_string_equal(ib_compression_name(99), "?");
	assert_int_equal(ib_compression_from_name("xz"), IB_E_USAGE);
	assert_int_equal(ib_compression_from_name(""), IB_E_USAGE);
	assert_int_equal(ib_target_from_name("linux-x86_64"), IB_TARGET_LINUX_X86_64);
	assert_int_equal(ib_target_from_name("windows-x86_64"), IB_TARGET_WINDOWS_X86_64);
	assert_string_equal(ib_target_name(IB_TARGET_WINDOWS_X86_64), "windows-x86_64");
	assert_string_equal(ib_target_name(0), "?");
	assert_int_equal(ib_target_from_name("Linux-x86_64"), IB_E_USAGE);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_serialize_built),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_trailing_whitespace_ok),
		cmocka_unit_test(test_raw_nul),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_too_many_packages),
		cmocka_unit_test(test_spec_fields),
		cmocka_unit_test(test_spec_compression_inherited),
		cmocka_unit_test(test_spec_error_text),
		cmocka_unit_test(test_duplicate_keys_refused),
		cmocka_unit_test(test_spec_vs_manifest),
		cmocka_unit_test(test_names),
	};
	struct CMUnitTest tests[IB_ARRAY_LEN(fixed) + IB_ARRAY_LEN(cases)];
	size_t n = 0;

	for (size_t i = 0; i < IB_ARRAY_LEN(fixed); i++)
		tests[n++] = fixed[i];
	for (size_t i = 0; i < IB_ARRAY_LEN(cases); i++, n++) {
		memset(&tests[n], 0, sizeof(tests[n]));
		tests[n].name = cases[i].name;
		tests[n].test_func = run_case;
		tests[n].initial_state = (void *)&cases[i];
	}
	return _cmocka_run_group_tests("manifest", tests, n, NULL, NULL);
}
