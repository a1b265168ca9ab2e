/* The ibpack command: dispatches to one function per subcommand. */
#include "cli.h"

#include "../base/depver.h"
#include "../base/err.h"
#include "../signing/crypto.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: ibpack COMMAND [OPTIONS]\n"
	"\n"
	"Packs InfiniBand driver packages into one signed, self-extracting bundle that detects the\n"
	"NIC and OS and installs the right package offline.\n"
	"\n"
	"Commands:\n"
	"  keygen -o NAME [--alg ed25519|ecdsa-p256|rsa-pss-3072]\n"
	"                       create NAME.key (0600) and NAME.pub; print the key id\n"
	"  build SPEC.json -k NAME.key -o OUT [--target T] [--stub PATH] [--trust KEY.pub]\n"
	"        [--threshold N] [--revoke KEY.pub] [--trust-ca CA.pem] [--cms-cert C --cms-key K]\n"
	"        [--cms-passin SRC] [--unsigned] [--sbom FILE] [--passin SRC] [--allow-unknown-tokens]\n"
	"                       build a signed bundle from a spec (checked strictly first)\n"
	"  verify BUNDLE [ANCHORS] [--threshold N] [--exact-trust] [--json] [--sbom FILE]\n"
	"                       check footer, signatures, stub hash and every chunk of every package;\n"
	"                       --json: a report to archive (hashes, signers and their status)\n"
	"  list BUNDLE [ANCHORS] [--json]\n"
	"                       show the bundle and its packages\n"
	"  extract BUNDLE -o DIR [--package ID] [ANCHORS]\n"
	"                       verified extraction into DIR/<package-id>/ (offline layout, all or nothing)\n"
	"  install BUNDLE [--trust KEY.pub | --trust-ca CA.pem]... [--root DIR] [--package ID] [...]\n"
	"                       detect, select, extract, run and record with this ibpack's own code,\n"
	"                       reading the bundle as data (never running it); the bundle's exit codes\n"
	"  manifest BUNDLE -o FILE|-\n"
	"                       write the exact signed manifest bytes\n"
	"  signature BUNDLE -o FILE|- [--key-id ID | --cms]\n"
	"                       write one raw signature (for openssl pkeyutl -verify / openssl cms)\n"
	"  attach-signature BUNDLE SIG (--signer KEY.pub [--alg ALG] | --cms) [-o OUT]\n"
	"                       add a signature made elsewhere (openssl, an HSM) after checking it\n"
	"  plan SPEC_OR_BUNDLE --os TOKEN --nic TOKEN [--nic TOKEN...] [--kernel RELEASE] [--json]\n"
	"                       which package a machine would get (exit codes as the stub's)\n"
	"  fetch-list SPEC [--json | --format urls]\n"
	"                       vendor files to download on a connected machine: url, sha256, dest\n"
	"  check SPEC [--json] [--hash]\n"
	"                       the spec checked as build checks it, sources present/missing/corrupt,\n"
	"                       and a lint of the selection rules (exit 0 clean, 3 problems found)\n"
	"  matrix SPEC_OR_BUNDLE [--format text|markdown|html|json] [--os PATTERN] [--nic TOKEN]\n"
	"                       the OS x NIC grid: which package (version, kernels) each pair gets\n"
	"  extension BUNDLE -o HANDLER.zip|- --publisher P --type T --version V [--force]\n"
	"                       an Azure VM extension handler package (zip) running the bundle\n"
	"  sbom BUNDLE [-o FILE] [--trust KEY.pub] [--trust-ca CA.pem] [--threshold N]\n"
	"                       the verified bundle's bill of materials (CycloneDX 1.5 JSON)\n"
	"  report DIR|FILE... [--format text|markdown|html|json] [-o FILE]\n"
	"                       the fleet at a glance from per-node results (BUNDLE --json)\n"
	"  help [COMMAND]       this help, or a command's (the same as 'ibpack COMMAND --help')\n"
	"\n"
	"Trust (ANCHORS) comes from outside the bundle: --trust KEY.pub, --key-id HEX, --trust-ca CA.pem,\n"
	"or the host trust store /etc/ibpack/trusted.d/ ($IBPACK_TRUST_DIR); without one a bundle is\n"
	"refused. Exit codes: 0 success, 1 usage error, 2 invalid bundle (integrity, signature, format,\n"
	"no anchor), 3 any other failure (spec, sources, keys, I/O). Interrupted by SIGINT/SIGTERM/SIGHUP,\n"
	"a command removes its temp files and dies by the signal (130, 143, 129 in a shell).\n";

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{"keygen", cmd_keygen},
	{"build", cmd_build},
	{"verify", cmd_verify},
	{"list", cmd_list},
	{"extract", cmd_extract},
	{"manifest", cmd_manifest},
	{"signature", cmd_signature},
	{"plan", cmd_plan},
	{"fetch-list", cmd_fetch_list},
	{"check", cmd_check},
	{"attach-signature", cmd_attach_signature},
	{"extension", cmd_extension},
	{"matrix", cmd_matrix},
	{"sbom", cmd_sbom},
	{"report", cmd_report},
	{"install", cmd_install},
};

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* "ibpack help CMD" is "ibpack CMD --help"; an unknown topic is a usage error. */
static int help(int argc, char **argv)
{
	const struct command *c;
	char *args[] = {NULL, (char *)"--help", NULL};

	if (argc < 3) {
		fputs(usage, stdout);
		return CLI_OK;
	}
	if (argc > 3)
		return cli_usage("help takes one topic; unexpected argument '%s'", argv[3]);
	if (!(c = find(argv[2])))
		return cli_usage("no help topic '%s': topics are the commands", argv[2]);
	args[0] = argv[2];
	return c->fn(2, args);
}

int main(int argc, char **argv)
{
	const struct command *c;
	int rc;

	if (argc < 2) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return help(argc, argv);
	if (!strcmp(argv[1], "--version")) {
		rc = cli_version();
		/* --verbose: also the Debian packages of the libraries this ibpack is linked with */
		if (argc > 2 && !strcmp(argv[2], "--verbose"))
			fputs("linked with:\n" IB_DEP_VERSIONS, stdout);
		return rc;
	}
	if (!(c = find(argv[1])))
		return cli_usage("unknown command '%s'", argv[1]);
	/* libarchive converts names from the locale's charset to the UTF-8 of pax headers: in the
	 * "C" locale the first non-ASCII name fails. Names are UTF-8 bytes (checked while packing),
	 * whatever the caller's locale, so the conversion must be UTF-8 to UTF-8. */
	if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "C.utf8"))
		(void)setlocale(LC_CTYPE, "en_US.UTF-8");
	rc = ib_crypto_init();
	if (rc)
		return cli_fail(rc);
	return c->fn(argc - 1, argv + 1);
}
