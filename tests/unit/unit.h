/* What the unit tests share: a private temp directory per test, removed afterwards. */
#ifndef IBPACK_UNIT_H
#define IBPACK_UNIT_H

#include <stdio.h>
#include <stdlib.h>

#include "../../base/fs.h"

/* unit_tmpdir: the test's directory, made by unit_tmpdir_setup and removed (whatever it holds,
 * links never followed) by unit_tmpdir_teardown; use them as cmocka setup/teardown. */
static char unit_tmpdir[IB_PATH_MAX];

static inline int unit_tmpdir_setup(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	snprintf(unit_tmpdir, sizeof(unit_tmpdir), "%s/ibpack-unit-XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(unit_tmpdir) ? 0 : -1;
}

static inline int unit_tmpdir_teardown(void **state)
{
	(void)state;
	return ib_rmtree(unit_tmpdir);
}

#endif
