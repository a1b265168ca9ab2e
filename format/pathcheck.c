/* Validation of relative archive paths, shared by the POSIX and Windows output directories. */
#include "outdir.h"

#include "../base/err.h"

#include <string.h>

int ib_path_check(const char *path)
{
	const char *p = path;
	size_t len = strlen(path);

	if (len == 0 || len > 4096)
		return ib_fail(IB_E_UNSAFE, "empty or overlong path in archive");
	if (path[0] == '/')
		return ib_fail(IB_E_UNSAFE, "absolute path '%s' in archive", path);
	if (strchr(path, '\\') || (len >= 2 && path[1] == ':'))
		return ib_fail(IB_E_UNSAFE, "path '%s' has a backslash or drive letter", path);
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		/* A trailing slash is allowed (directory entries); an empty inner part is not. */
		if ((n == 0 && slash) || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return ib_fail(IB_E_UNSAFE, "path '%s' has an empty, '.' or '..' component", path);
		if (!slash)
			break;
		p = slash + 1;
	}
	return 0;
}
