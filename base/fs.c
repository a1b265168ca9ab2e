/* File primitives common to both platforms, built on the platform halves (fs_posix.c, fs_win.c). */
#include "fs.h"

int ib_atomic_write_file(const char *path, unsigned mode, const void *buf, size_t len)
{
	struct ib_atomic_file a;
	int rc = ib_atomic_begin(&a, path, mode);

	if (!rc)
		rc = ib_atomic_write(&a, buf, len);
	if (!rc)
		return ib_atomic_commit(&a);
	ib_atomic_abort(&a);
	return rc;
}
