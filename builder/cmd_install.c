/* ibpack install: the bundle's install path run by this ibpack's own stub, the bundle read as data. */
#include "cli.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
	"usage: ibpack install BUNDLE [-p KEY.pub | --trust-ca CA.pem]... [bundle options]\n"
	"Installs from BUNDLE as the bundle itself would (detect, select, verify, extract, run the\n"
	"installer, record; --root DIR for an image), but with the code of this ibpack: the stub it\n"
	"ships reads BUNDLE as data and never executes it. Trust comes from this machine only: -p\n"
	"KEY.pub, --trust-ca CA.pem, or the host trust store /etc/ibpack/trusted.d/\n"
	"($IBPACK_TRUST_DIR); the bundle's embedded revocations and threshold still apply. Every other\n"
	"option is the bundle's own (--package, --os, --nic, --root, --tmpdir, --timeout, --log-file,\n"
	"--json, --detect, --allow-downgrade, ...; see BUNDLE --help). Exit codes are the bundle's.\n";

int cmd_install(int argc, char **argv)
{
	char stub[IB_PATH_MAX], **args;
	int n = 0, rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (argv[1][0] == '-')
		return cli_usage("install: BUNDLE comes first");
	if ((rc = cli_find_stub(IB_TARGET_LINUX_X86_64, stub, sizeof(stub))))
		return cli_fail(rc);
	if (!(args = calloc((size_t)argc + 3, sizeof(char *))))
		return cli_fail(-ENOMEM);
	args[n++] = stub;
	args[n++] = "--bundle";
	args[n++] = argv[1];
	for (int i = 2; i < argc; i++) {
		/* -p is ibpack's spelling of an anchor key; the stub calls it --trust. */
		if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pubkey"))
			args[n++] = "--trust";
		else if (!strcmp(argv[i], "--bundle") || !strcmp(argv[i], "--extension")) {
			free(args);
			return cli_usage("install: %s is not an install option", argv[i]);
		} else
			args[n++] = argv[i];
	}
	args[n] = NULL;
	fflush(NULL);
	execv(stub, args);
	rc = ib_fail(-errno, "cannot run '%s': %s", stub, strerror(errno));
	free(args);
	return cli_fail(rc);
}
