/* Unit tests for the command-line contract: the option parser (builder/opts.c), "did you mean"
 * (format/spec_keys.c), UTF-8 name checks (format/pathcheck.c) and the progress line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../base/err.h"
#include "../../base/util.h"
#include "../../builder/cli.h"
#include "../../builder/opts.h"
#include "../../format/outdir.h"
#include "../../format/spec_keys.h"

enum { O_OUT = 'o', O_QUIET = 'q', O_TRUST = 0x200, O_JSON };

static const struct cli_opt opts[] = {
	{"output", 'o', "FILE", O_OUT, "where to write"},
	CLI_TRUST_OPTS(O_TRUST, "a public key"){"trust-ca", 0, "CA.pem", O_JSON + 1, "a CA"},
	{"json", 0, NULL, O_JSON, "JSON"},
	{"quiet", 'q', NULL, O_QUIET, "quiet"},
	{NULL, 0, NULL, 0, NULL},
};

/* Runs the parser over words (argv[0] is the command) and returns the ids seen, comma-joined,
 * then ";" and the positional arguments. */
static int parse(char **argv, int argc, char *out, size_t size)
{
	struct cli_args a;
	int c;

	out[0] = '\0';
	cli_args_init(&a, "test", opts, argc, argv);
	while ((c = cli_next(&a)) > 0) {
		size_t n = strlen(out);

		snprintf(out + n, size - n, "%s%d=%s", n ? "," : "", c, a.value ? a.value : "");
	}
	for (int i = 0; i < a.npos; i++) {
		size_t n = strlen(out);

		snprintf(out + n, size - n, ";%s", a.pos[i]);
	}
	return c;
}

#define PARSE(want_rc, want, ...)                                                              \
	do {                                                                                   \
		char *argv[] = {(char *)"test", __VA_ARGS__};                                  \
		char got[256];                                                                 \
		int rc = parse(argv, (int)(sizeof(argv) / sizeof(argv[0])), got, sizeof(got)); \
		assert_int_equal(rc, want_rc);                                                 \
		assert_string_equal(got, want);                                                \
	} while (0)

static void test_exact_names_and_values(void **state)
{
	(void)state;
	PARSE(CLI_OPT_DONE, "111=x.run,512=k.pub;b.run", "-o", "x.run", "--trust", "k.pub", "b.run");
	PARSE(CLI_OPT_DONE, "111=x.run,512=k.pub", "-ox.run", "--trust=k.pub");
	/* The old spellings are hidden aliases with the same id. */
	PARSE(CLI_OPT_DONE, "512=a.pub,512=b.pub", "-p", "a.pub", "--pubkey", "b.pub");
	/* Options and arguments may mix; "-" is an argument; "--" ends the options. */
	PARSE(CLI_OPT_DONE, "513=,113=;a;-;--json", "a", "--json", "-q", "-", "--", "--json");
}

static void test_mistakes(void **state)
{
	(void)state;
	/* No abbreviations: "--trus" is not "--trust", "--trust-c" not "--trust-ca". */
	PARSE(CLI_OPT_ERROR, "", "--trus", "k.pub");
	PARSE(CLI_OPT_ERROR, "", "--trust-c", "ca.pem");
	PARSE(CLI_OPT_ERROR, "", "--trust");
	PARSE(CLI_OPT_ERROR, "", "--json=yes");
	PARSE(CLI_OPT_ERROR, "", "-x");
	PARSE(CLI_OPT_HELP, "", "--help");
	PARSE(CLI_OPT_HELP, "", "-h");
}

static void test_positional_count(void **state)
{
	char *argv[] = {(char *)"test", (char *)"a", (char *)"b"};
	struct cli_args a;

	(void)state;
	cli_args_init(&a, "test", opts, 3, argv);
	assert_int_equal(cli_next(&a), CLI_OPT_DONE);
	assert_int_equal(cli_args_done(&a, CLI_OPT_DONE, "usage\n", opts, 1, 2, "X"), CLI_GO_ON);
	assert_int_equal(cli_args_done(&a, CLI_OPT_DONE, "usage\n", opts, 1, 1, "X"), CLI_USAGE);
	assert_int_equal(cli_args_done(&a, CLI_OPT_DONE, "usage\n", opts, 3, 3, "X"), CLI_USAGE);
	assert_int_equal(cli_args_done(&a, CLI_OPT_ERROR, "usage\n", opts, 0, 9, "X"), CLI_USAGE);
}

static void test_suggest(void **state)
{
	static const char *const words[] = {"priority", "compression", "timeout", "os", "nic"};

	(void)state;
	assert_string_equal(ib_suggest("priorty", words, 5), "priority");
	assert_string_equal(ib_suggest("compresion", words, 5), "compression");
	assert_string_equal(ib_suggest("timout", words, 5), "timeout");
	/* Short words need a closer match: "ox" is not a typo of "os" or "nic". */
	assert_null(ib_suggest("ox", words, 5));
	assert_null(ib_suggest("kernel", words, 5));
}

static void test_text_position(void **state)
{
	const char *t = "{\n  \"é\": 1,\n  x }";
	unsigned line, col;

	(void)state;
	ib_text_position(t, strlen(t), 0, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
	ib_text_position(t, strlen(t), (size_t)(strchr(t, 'x') - t), &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 3);
	/* Columns count characters: "é" is two bytes, one column. */
	ib_text_position(t, strlen(t), (size_t)(strchr(t, ':') - t), &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 6);
}

static void test_utf8_names(void **state)
{
	(void)state;
	assert_int_equal(ib_path_utf8_check("résumé.txt"), 0);
	assert_int_equal(ib_path_utf8_check("日本語/データ ✓.txt"), 0);
	assert_int_equal(ib_path_utf8_check("\xf0\x9f\x98\x80 emoji"), 0);
	assert_int_equal(ib_path_utf8_check("latin1-\xe9t\xe9"), IB_E_UNSAFE);
	assert_non_null(strstr(ib_errmsg(IB_E_UNSAFE), "(byte 7)"));
	assert_int_equal(ib_path_utf8_check("\xc0\xaf"), IB_E_UNSAFE);         /* overlong '/' */
	assert_int_equal(ib_path_utf8_check("\xed\xa0\x80"), IB_E_UNSAFE);     /* surrogate */
	assert_int_equal(ib_path_utf8_check("\xf4\x90\x80\x80"), IB_E_UNSAFE); /* above U+10FFFF */
	assert_int_equal(ib_path_utf8_check("\xe6\x97"), IB_E_UNSAFE);         /* cut short */
}

static void test_progress_line(void **state)
{
	char line[160];

	(void)state;
	ib_progress_line(line, sizeof(line), "packing", 50u << 20, 100u << 20, 5.0);
	assert_non_null(strstr(line, "50.0 MiB / 100.0 MiB"));
	assert_non_null(strstr(line, " 50%"));
	assert_non_null(strstr(line, "10.0 MiB/s"));
	assert_non_null(strstr(line, "ETA 0:05"));
	ib_progress_line(line, sizeof(line), "packing", 0, 100, 0);
	assert_non_null(strstr(line, "ETA --:--"));
	ib_progress_line(line, sizeof(line), "packing", 100, 100, 1.0);
	assert_non_null(strstr(line, "done"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_names_and_values), cmocka_unit_test(test_mistakes),
		cmocka_unit_test(test_positional_count),       cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_text_position),          cmocka_unit_test(test_utf8_names),
		cmocka_unit_test(test_progress_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
