/* Output checks shared by the commands that write files: an -o never destroys an input. */
#include "outguard.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_out_is_stdout(const char *out)
{
	return out && !strcmp(out, "-");
}

int cli_out_dir(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return ib_snprintf(dir, size, ".");
	if (slash == path)
		return ib_snprintf(dir, size, "/");
	return ib_snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

int cli_out_check(const char *out, const char *const *inputs, size_t n)
{
	char dir[IB_PATH_MAX];
	struct stat st, in;

	if (!*out)
		return ib_fail(IB_E_USAGE, "-o needs a file name");
	if (cli_out_dir(out, dir, sizeof(dir)))
		return ib_fail(-ENAMETOOLONG, "output path too long: '%s'", out);
	if (stat(dir, &st) != 0)
		return ib_fail(-errno, "cannot write '%s': directory '%s': %s", out, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ib_fail(-ENOTDIR, "cannot write '%s': '%s' is not a directory", out, dir);
	if (access(dir, W_OK | X_OK) != 0)
		return ib_fail(-errno, "cannot write '%s': directory '%s': %s", out, dir, strerror(errno));
	if (stat(out, &st) != 0)
		return 0; /* a new file cannot be any existing input */
	if (S_ISDIR(st.st_mode))
		return ib_fail(-EISDIR, "'%s' is a directory: -o names the file to write", out);
	for (size_t i = 0; i < n; i++)
		if (inputs[i] && stat(inputs[i], &in) == 0 && in.st_dev == st.st_dev && in.st_ino == st.st_ino)
			return ib_fail(IB_E_USAGE,
				       "-o '%s' is the input '%s': writing it would destroy what is "
				       "being read; choose another output",
				       out, inputs[i]);
	return 0;
}

int cli_out_outside(const char *out, const char *src, const char *pkg)
{
	char dir[IB_PATH_MAX], real_dir[IB_PATH_MAX], real_src[IB_PATH_MAX];
	struct stat st;
	size_t n;

	if (lstat(src, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (cli_out_dir(out, dir, sizeof(dir)) || !realpath(dir, real_dir) || !realpath(src, real_src))
		return 0; /* cli_out_check reports an unusable output directory */
	n = strlen(real_src);
	if (!strncmp(real_dir, real_src, n) && (real_dir[n] == '\0' || real_dir[n] == '/' || n == 1))
		return ib_fail(IB_E_USAGE,
			       "-o '%s' is inside the source folder of package '%s' ('%s'): the "
			       "bundle would pack itself; write it elsewhere",
			       out, pkg, src);
	return 0;
}
