/* ibpack plan: which package a machine with a given OS and NICs would get, without hardware. */
#include "cli.h"
#include "opts.h"

#include "../base/err.h"
#include "../base/text.h"
#include "../policy/exitcode.h"
#include "../policy/match.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: ibpack plan SPEC_OR_BUNDLE --os TOKEN [--nic TOKEN]... [--kernel RELEASE] [--json]\n"
	"                  [ANCHORS]\n"
	"Prints the package the stub would choose for that OS, kernel and those NICs, and why. The exit\n"
	"code is the stub's: 0 a package matches; Linux 11 no supported device, 12 OS not supported or\n"
	"no package for that kernel (kernel_unsupported); Windows 100 for any of them.\n"
	"--kernel is the running kernel release (uname -r; on Windows the build number, e.g. 20348);\n"
	"without it packages' kernel rules are not checked.\n"
	"OS tokens: ubuntu-22.04, almalinux-9.8, windows-server-2022, ...; NIC tokens: cx3 cx3pro cib\n"
	"cx4 cx4lx cx5 cx5ex cx6 cx6dx cx6lx cx7 cx8 bf2 bf3 nd.\n"
	"A BUNDLE is checked first (a SPEC needs no trust):\n" CLI_ANCHOR_HELP;

int cmd_plan(int argc, char **argv)
{
	enum { O_OS = 0x200, O_NIC, O_JSON, O_KERNEL };
	static const struct cli_opt opts[] = {
		{"os", 0, "TOKEN", O_OS, "the machine's OS token (ubuntu-22.04, windows-server-2022, ...)"},
		{"nic", 0, "TOKEN", O_NIC, "a NIC token of the machine (repeatable; none: no device)"},
		{"kernel", 0, "RELEASE", O_KERNEL, "the running kernel release (uname -r; Windows: build number)"},
		CLI_ANCHOR_OPTS{"json", 0, NULL, O_JSON, "print JSON"},
		{NULL, 0, NULL, 0, NULL},
	};
	struct cli_args args;
	const char *os = NULL, *kernel = NULL, *nics[16];
	char *dir = NULL;
	struct cli_anchors anchors = {0};
	size_t nnics = 0;
	struct ib_bundle b = {.file.fd = -1};
	struct ib_manifest spec, *m;
	struct ib_selection sel;
	int c, json = 0, rc, bundle, code;

	cli_args_init(&args, "plan", opts, argc, argv);
	while ((c = cli_next(&args)) > 0) {
		switch (c) {
		case O_OS: os = args.value; break;
		case O_KERNEL:
			if (!args.value[0])
				return cli_usage("plan: --kernel needs a kernel release");
			kernel = args.value;
			break;
		case O_NIC:
			if (nnics == 16)
				return cli_usage("plan: at most 16 --nic options");
			if (!ib_nic_token_known(args.value))
				return cli_usage("plan: unknown NIC token '%s'", args.value);
			nics[nnics++] = args.value;
			break;
		case O_JSON: json = 1; break;
		default:
			if ((rc = cli_anchor_option(&anchors, c, args.value)) < 0)
				return cli_usage("plan: %s", ib_errmsg(rc));
			break;
		}
	}
	if ((rc = cli_args_done(&args, c, help, opts, 1, 1, "SPEC_OR_BUNDLE")) != CLI_GO_ON)
		return rc;
	if (!os)
		return cli_usage("plan: --os TOKEN is required");
	bundle = cli_is_bundle(args.pos[0]);
	if (bundle) {
		rc = cli_open_bundle(args.pos[0], &anchors, &b);
		m = &b.m;
	} else {
		rc = cli_load_spec(args.pos[0], &spec, &dir);
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
		char t1[512], t2[512], t3[2048];

		printf("%s: %s %s\n  %s\n", sel.pkg->id, ib_text_escape(sel.pkg->name, t1, sizeof(t1)),
		       ib_text_escape(sel.pkg->version, t2, sizeof(t2)), ib_text_escape(sel.why, t3, sizeof(t3)));
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
