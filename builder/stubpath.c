/* Where ibpack finds the stubs it packs bundles onto, and what `ibpack --version` reports. */
#include "cli.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"
#include "../format/version.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef IBPACK_VERSION
#define IBPACK_VERSION "0.0.0-dev"
#endif

int cli_find_stub(int target, char *out, size_t size)
{
	const char *name = target == IB_TARGET_WINDOWS_X86_64 ? "stub-windows-x86_64.exe" : "stub-linux-x86_64";
	const char *env = getenv("IBPACK_STUB_DIR");
	char self[IB_PATH_MAX], *slash;
	ssize_t n;

	if (env && *env && !ib_snprintf(out, size, "%s/%s", env, name) && access(out, R_OK) == 0)
		return 0;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			/* build/bin/ibpack -> build/lib/ibpack; /usr/bin/ibpack -> /usr/lib/ibpack */
			if (!ib_snprintf(out, size, "%s/../lib/ibpack/%s", self, name) && access(out, R_OK) == 0)
				return 0;
		}
	}
	for (const char *const *d = (const char *const[]){"/usr/local/lib/ibpack", "/usr/lib/ibpack", NULL}; *d; d++)
		if (!ib_snprintf(out, size, "%s/%s", *d, name) && access(out, R_OK) == 0)
			return 0;
	return ib_fail(IB_E_NOTFOUND,
		       "no stub for %s found (looked in $IBPACK_STUB_DIR, next to ibpack "
		       "in ../lib/ibpack, /usr/local/lib/ibpack, /usr/lib/ibpack); build it with 'make' or pass --stub",
		       ib_target_name(target));
}

int cli_version(void)
{
	static const int targets[] = {IB_TARGET_LINUX_X86_64, IB_TARGET_WINDOWS_X86_64};
	char libs[1024], path[IB_PATH_MAX], real[PATH_MAX];

	printf("ibpack %s\n", IBPACK_VERSION);
	if (!ib_version_libs(libs, sizeof(libs)))
		fputs(libs, stdout);
	for (size_t i = 0; i < IB_ARRAY_LEN(targets); i++) {
		int rc = cli_find_stub(targets[i], path, sizeof(path));

		if (!rc && realpath(path, real))
			rc = ib_snprintf(path, sizeof(path), "%s", real);
		printf("stub %s: %s\n", ib_target_name(targets[i]), rc ? "not found" : path);
	}
	return CLI_OK;
}
