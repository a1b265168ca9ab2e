/* Linux system services for the stub: init, signals, temp dirs and the default log path. */
#include "stub.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../format/outdir.h"
#include "../base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static volatile sig_atomic_t *signal_flag;

static void on_signal(int sig)
{
	if (signal_flag)
		*signal_flag = sig;
}

int plat_init(void)
{
	umask(022);
	return 0;
}

void plat_signals(volatile sig_atomic_t *flag)
{
	struct sigaction sa;

	signal_flag = flag;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: blocking calls return EINTR so the flag is seen promptly. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void plat_default_log(const char *bundle, char *buf, size_t size)
{
	/* /var/log/ibpack is created by root; other users get no log file unless they ask. */
	if (mkdir("/var/log/ibpack", 0755) != 0 && errno != EEXIST) {
		buf[0] = '\0';
		return;
	}
	if (ib_snprintf(buf, size, "/var/log/ibpack/%s.log", bundle))
		buf[0] = '\0';
}

static int usable(const char *dir, int want_exec)
{
	struct statvfs vfs;
	struct stat st;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0)
		return 0;
	if (want_exec && statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC))
		return 0;
	return 1;
}

int plat_tmpdir(const char *base, char *path, size_t size)
{
	const char *candidates[4] = { getenv("TMPDIR"), "/var/tmp", "/tmp", NULL };
	const char *chosen = NULL;

	if (base) {
		if (!usable(base, 0))
			return ib_fail(-EACCES, "--tmpdir '%s' is not a writable directory", base);
		if (!usable(base, 1))
			return ib_fail(-EACCES, "--tmpdir '%s' is mounted noexec: installers cannot run from it",
				       base);
		chosen = base;
	}
	/* Installers are executed from the temp dir, so prefer a mount that allows exec. */
	for (int pass = 1; !chosen && pass >= 0; pass--)
		for (int i = 0; !chosen && i < 3; i++)
			if (candidates[i] && *candidates[i] && usable(candidates[i], pass))
				chosen = candidates[i];
	if (!chosen)
		return ib_fail(-EACCES, "no writable temp directory (tried $TMPDIR, /var/tmp, /tmp); use --tmpdir");
	if (!usable(chosen, 1))
		return ib_fail(-EACCES, "every temp directory is mounted noexec; pass --tmpdir DIR on an exec mount");
	if (ib_snprintf(path, size, "%s/ibpack.XXXXXX", chosen))
		return ib_fail(-ENAMETOOLONG, "temp path too long");
	if (!mkdtemp(path))
		return ib_fail(-errno, "cannot create a temp dir in '%s': %s", chosen, strerror(errno));
	return 0;
}

int plat_rmtree(const char *path)
{
	struct ib_outdir *d;
	char parent[IB_PATH_MAX], *slash;
	const char *leaf = path;
	int rc;

	if (ib_snprintf(parent, sizeof(parent), "%s", path))
		return -ENAMETOOLONG;
	slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		leaf = slash + 1;
	}
	/* A bare name ("layout", from --extract layout) is in the working directory. */
	rc = ib_outdir_open(!slash ? "." : parent[0] ? parent : "/", &d);
	if (rc)
		return rc;
	rc = ib_outdir_remove_tree(d, leaf);
	ib_outdir_close(d);
	return rc;
}

int plat_mkdir(const char *path)
{
	return mkdir(path, 0755);
}

int plat_isatty_stderr(void)
{
	return isatty(2);
}

int plat_privileged(void)
{
	return geteuid() == 0;
}
