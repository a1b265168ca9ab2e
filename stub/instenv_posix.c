/* The installer's fixed variables on Linux: PATH, LANG, HOME and TMPDIR. */
#include "instenv.h"

#include "../base/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int instenv_fixed(const struct stub_env_in *in, struct stub_env *e)
{
	int rc;

	if ((rc = stub_env_add(e, "PATH", STUB_INSTALLER_PATH)) || (rc = stub_env_add(e, "LANG", "C.UTF-8")) ||
	    (rc = stub_env_add(e, "HOME", geteuid() == 0 ? "/root" : "/")) ||
	    (in->tmpdir && (rc = stub_env_add(e, "TMPDIR", in->tmpdir))))
		return rc;
	return 0;
}

int instenv_fixed_name(const char *name)
{
	static const char *const fixed[] = {"PATH", "HOME", "LANG", "TMPDIR"};

	for (size_t i = 0; i < IB_ARRAY_LEN(fixed); i++)
		if (!strcmp(name, fixed[i]))
			return 1;
	return 0;
}

int instenv_name_eq(const char *a, const char *b, size_t n)
{
	return !strncmp(a, b, n);
}

char *instenv_getenv(const char *name)
{
	const char *v = getenv(name);

	return v ? ib_strdup(v) : NULL;
}
