/* The ibpack command: dispatches to one function per subcommand. */
#include "cli.h"

#include "../base/err.h"
#include "../signing/crypto.h"

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
	"        [--unsigned] [--sbom FILE]   build a signed bundle from a spec\n"
	"  verify BUNDLE [-p KEY.pub] [--trust-ca CA.pem] [--threshold N] [--json] [--sbom FILE]\n"
	"                       check footer, signatures, stub hash and every chunk of every package;\n"
	"                       --json: a report to archive (hashes, signers and their status)\n"
	"  list BUNDLE [-p KEY.pub] [--json]\n"
	"                       show the bundle and its packages\n"
	"  extract BUNDLE -o DIR [--package ID] [-p KEY.pub]\n"
	"                       verified extraction into DIR/<package-id>/ (offline layout)\n"
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
	"Run 'ibpack COMMAND --help' for a command's options. Exit codes: 0 success, 1 usage,\n"
	"2 invalid bundle (integrity, signature, format), 3 other failure.\n";

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
	if (!strcmp(argv[1], "--version"))
		return cli_version();
	rc = ib_crypto_init();
	if (rc)
		return cli_fail(rc);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return cli_usage("unknown command '%s'", argv[1]);
}
