/* The Windows bundle's WiX Burn-style switches (/quiet, /passive, /norestart, /log FILE,
 * /layout DIR, /repair, /?, /help, each also with '-'), turned into the stub's own long options. */
#include "stub.h"

#include "../base/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The stub's options that take a value as the next argument: that value is never a switch. */
static const char *const with_value[] = {"--extract",   "--package",   "--os",     "--nic",     "--trust",
					 "--trust-ca",  "--sysroot",   "--tmpdir", "--timeout", "--log-file",
					 "--extension", "--lock-wait", "--root"};

static int takes_value(const char *arg)
{
	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (!strcmp(arg, with_value[i]))
			return 1;
	return 0;
}

/* The switch name after a single '/' or '-' ("quiet" for "/quiet" or "-QUIET"), or NULL. */
static const char *switch_name(const char *arg)
{
	if ((arg[0] != '/' && arg[0] != '-') || arg[1] == '-' || !arg[1])
		return NULL;
	return arg + 1;
}

static int is(const char *name, const char *a, const char *b)
{
	return !strcasecmp(name, a) || (b && !strcasecmp(name, b));
}

int stub_burn_args(int argc, char **argv, int *outc, char ***outv)
{
	char **v = calloc((size_t)argc + 1, sizeof(char *));
	int n = 0;

	if (!v)
		return ib_fail(IB_E_USAGE, "out of memory");
	for (int i = 0; i < argc; i++) {
		const char *name = i ? switch_name(argv[i]) : NULL;

		if (i && takes_value(argv[i]) && i + 1 < argc) {
			v[n++] = argv[i++];
			v[n++] = argv[i];
			continue;
		}
		if (!name) {
			v[n++] = argv[i];
		} else if (is(name, "quiet", "q")) {
			v[n++] = "--quiet";
		} else if (is(name, "passive", NULL) || is(name, "norestart", NULL)) {
			/* passive: progress without prompts, which is how the bundle always runs;
			 * norestart: the bundle never restarts the machine, it reports 3010. */
		} else if (is(name, "log", "l") || is(name, "layout", NULL)) {
			if (i + 1 >= argc) {
				free(v);
				return ib_fail(IB_E_USAGE, "'%s' needs a %s", argv[i],
					       is(name, "layout", NULL) ? "directory" : "file");
			}
			v[n++] = is(name, "layout", NULL) ? "--extract" : "--log-file";
			v[n++] = argv[++i];
		} else if (is(name, "repair", NULL)) {
			v[n++] = "--reinstall";
		} else if (is(name, "?", "help") || is(name, "h", NULL)) {
			v[n++] = "--help";
		} else {
			v[n++] = argv[i];
		}
	}
	v[n] = NULL;
	*outc = n;
	*outv = v;
	return 0;
}
