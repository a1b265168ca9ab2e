/* ibpack plan: which package a machine with a given OS and NICs would get, without hardware. */
#include "cli.h"

#include "../base/err.h"
#include "../policy/exitcode.h"
#include "../policy/match.h"

#include <cjson/cJSON.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: ibpack plan SPEC_OR_BUNDLE --os TOKEN [--nic TOKEN]... [--kernel RELEASE] [--json]\n"
	"                  [-p KEY.pub]\n"
	"Prints the package the stub would choose for that OS, kernel and those NICs, and why. The exit\n"
	"code is the stub's: 0 a package matches; Linux 11 no supported device, 12 OS not supported or\n"
	"no package for that kernel (kernel_unsupported); Windows 100 for any of them.\n"
	"--kernel is the running kernel release (uname -r; on Windows the build number, e.g. 20348);\n"
	"without it packages' kernel rules are not checked.\n"
	"OS tokens: ubuntu-22.04, almalinux-9.8, windows-server-2022, ...; NIC tokens: cx3 cx3pro cib\n"
	"cx4 cx4lx cx5 cx5ex cx6 cx6dx cx6lx cx7 cx8 bf2 bf3 nd.\n";

int cmd_plan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "os", required_argument, NULL, 'O' },     { "nic", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },         { "pubkey", required_argument, NULL, 'p' },
		{ "kernel", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	const char *os = NULL, *kernel = NULL, *nics[16];
	char *pubs[32], *dir = NULL;
	size_t nnics = 0, npubs = 0;
	struct ib_bundle b = { .file.fd = -1 };
	struct ib_manifest spec, *m;
	struct ib_selection sel;
	int c, json = 0, rc, bundle, code;

	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'O': os = optarg; break;
		case 'K':
			if (!optarg[0])
				return cli_usage("plan: --kernel needs a kernel release");
			kernel = optarg;
			break;
		case 'N':
			if (nnics == 16)
				return cli_usage("plan: at most 16 --nic options");
			if (!ib_nic_token_known(optarg))
				return cli_usage("plan: unknown NIC token '%s'", optarg);
			nics[nnics++] = optarg;
			break;
		case 'j': json = 1; break;
		case 'p':
			if (npubs == 32)
				return cli_usage("plan: at most 32 keys");
			pubs[npubs++] = optarg;
			break;
		case 'h': fputs(help, stdout); return CLI_OK;
		default: return cli_usage("plan: bad option");
		}
	}
	if (optind + 1 != argc || !os)
		return cli_usage("plan: SPEC_OR_BUNDLE and --os TOKEN are needed");
	bundle = cli_is_bundle(argv[optind]);
	if (bundle) {
		rc = cli_open_bundle(argv[optind], pubs, npubs, &b);
		m = &b.m;
	} else {
		rc = cli_load_spec(argv[optind], &spec, &dir);
		m = &spec;
	}
	if (rc)
		return cli_fail(rc);
	ib_select_kernel(m, os, kernel, nics, nnics, &sel);
	code = ib_exit_code(sel.result, m->target);
	if (json) {
		cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "nic");

		cJSON_AddStringToObject(o, "os", os);
		if (kernel)
			cJSON_AddStringToObject(o, "kernel", kernel);
		else
			cJSON_AddNullToObject(o, "kernel");
		for (size_t i = 0; i < nnics; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(nics[i]));
		cJSON_AddStringToObject(o, "target", ib_target_name(m->target));
		if (sel.pkg) {
			cJSON_AddStringToObject(o, "package", sel.pkg->id);
			cJSON_AddStringToObject(o, "package_name", sel.pkg->name);
			cJSON_AddStringToObject(o, "package_version", sel.pkg->version);
			cJSON_AddStringToObject(o, "matched_nic", sel.nic);
			cJSON_AddStringToObject(o, "matched_os", sel.os_pattern);
			if (sel.kernel_pattern)
				cJSON_AddStringToObject(o, "matched_kernel", sel.kernel_pattern);
		} else {
			cJSON_AddNullToObject(o, "package");
		}
		cJSON_AddStringToObject(o, "result", ib_outcome_name(sel.outcome));
		cJSON_AddStringToObject(o, "reason", sel.why);
		cJSON_AddNumberToObject(o, "exit_code", code);
		cli_print_json(o);
	} else if (sel.pkg) {
		printf("%s: %s %s\n  %s\n", sel.pkg->id, sel.pkg->name, sel.pkg->version, sel.why);
	} else {
		printf("nothing to install: %s\n", sel.why);
	}
	if (bundle)
		ib_bundle_close(&b);
	else
		ib_manifest_release(&spec);
	free(dir);
	return code;
}
