/* The ibpack command: dispatches to one function per subcommand. */
#include "cli.h"

#include "../base/depver.h"
#include "../base/err.h"
#include "../signing/crypto.h"

#include <stdio.h>
#include <string.h>

#ifndef IBPACK_VERSION
#define IBPACK_VERSION "0.0.0-dev"
#endif

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
	"        [--unsigned] [--sbom FILE]   build a signed bundle from a spec\n"
	"  verify BUNDLE [-p KEY.pub | --key-id HEX | --trust-ca CA.pem]... [--threshold N]\n"
	"        [--exact-trust] [--json] [--sbom FILE]\n"
	"                       check footer, signatures, stub hash and every chunk of every package;\n"
	"                       --json: a report to archive (hashes, signers and their status)\n"
	"  list BUNDLE [ANCHORS] [--json]\n"
	"                       show the bundle and its packages\n"
	"  extract BUNDLE -o DIR [--package ID] [ANCHORS]\n"
	"                       verified extraction into DIR/<package-id>/ (offline layout)\n"
	"  install BUNDLE [-p KEY.pub | --trust-ca CA.pem]... [--root DIR] [--package ID] [...]\n"
	"                       detect, select, extract, run and record with this ibpack's own code,\n"
	"                       reading the bundle as data (never running it); the bundle's exit codes\n"
	"  manifest BUNDLE -o FILE\n"
	"                       write the exact signed manifest bytes\n"
	"  signature BUNDLE -o FILE [--key-id ID | --cms]\n"
	"                       write one raw signature (for openssl pkeyutl -verify / openssl cms)\n"
	"  attach-signature BUNDLE SIG (--key KEY.pub [--alg ALG] | --cms) [-o OUT]\n"
	"                       add a signature made elsewhere (openssl, an HSM) after checking it\n"
	"  plan SPEC_OR_BUNDLE --os TOKEN --nic TOKEN [--nic TOKEN...] [--kernel RELEASE] [--json]\n"
	"                       which package a machine would get (exit codes as the stub's)\n"
	"  fetch-list SPEC [--json | --format urls]\n"
	"                       vendor files to download on a connected machine: url, sha256, dest\n"
	"  check SPEC [--json] [--hash]\n"
	"                       sources present/missing/corrupt and a lint of the selection rules\n"
	"                       (exit 0 clean, 3 problems found)\n"
	"  matrix SPEC_OR_BUNDLE [--format text|markdown|html|json] [--os PATTERN] [--nic TOKEN]\n"
	"                       the OS x NIC grid: which package (version, kernels) each pair gets\n"
	"  extension BUNDLE -o HANDLER.zip --publisher P --type T --version V [--force]\n"
	"                       an Azure VM extension handler package (zip) running the bundle\n"
	"  sbom BUNDLE [-o FILE] [-p KEY.pub] [--trust-ca CA.pem] [--threshold N]\n"
	"                       the verified bundle's bill of materials (CycloneDX 1.5 JSON)\n"
	"  report DIR|FILE... [--format text|markdown|html|json] [-o FILE]\n"
	"                       the fleet at a glance from per-node results (BUNDLE --json)\n"
	"\n"
	"Trust (ANCHORS) comes from outside the bundle: -p KEY.pub, --key-id HEX, --trust-ca CA.pem, or\n"
	"the host trust store /etc/ibpack/trusted.d/ ($IBPACK_TRUST_DIR); without one a bundle is refused.\n"
	"Run 'ibpack COMMAND --help' for a command's options. Exit codes: 0 success, 1 usage,\n"
	"2 invalid bundle (integrity, signature, format, no anchor), 3 other failure.\n";

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "keygen", cmd_keygen },     { "build", cmd_build },         { "verify", cmd_verify },
	{ "list", cmd_list },         { "extract", cmd_extract },     { "manifest", cmd_manifest },
	{ "signature", cmd_signature }, { "plan", cmd_plan },
	{ "fetch-list", cmd_fetch_list }, { "check", cmd_check },
	{ "attach-signature", cmd_attach_signature },
	{ "extension", cmd_extension },
	{ "matrix", cmd_matrix },
	{ "sbom", cmd_sbom },
	{ "report", cmd_report },
	{ "install", cmd_install },
};

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("ibpack %s\n", IBPACK_VERSION);
		if (argc > 2 && !strcmp(argv[2], "--verbose"))
			fputs("linked with:\n" IB_DEP_VERSIONS, stdout);
		return CLI_OK;
	}
	rc = ib_crypto_init();
	if (rc)
		return cli_fail(rc);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return cli_usage("unknown command '%s'", argv[1]);
}
