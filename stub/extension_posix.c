/* Linux services of the extension handler mode: settings lookup, atomic status files, the
 * status line and the double fork that takes a long enable out of the agent's process group. */
#include "extension.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int ext_newest_settings(const char *dir, long *seq)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct timespec best = {0, 0};
	int found = 0;

	if (!d)
		return errno == ENOENT
			       ? IB_E_NOTFOUND
			       : ib_fail(-errno, "cannot read the settings folder '%s': %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		size_t digits = strspn(e->d_name, "0123456789");
		struct stat st;
		long n;
		char num[16];

		/* Only "<N>.settings": the multi-config "<name>.<N>.settings" is not for this handler. */
		if (digits == 0 || digits >= sizeof(num) || strcmp(e->d_name + digits, ".settings"))
			continue;
		memcpy(num, e->d_name, digits);
		num[digits] = '\0';
		if (ib_parse_int(num, 0, 2147483647L, &n) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (!found || st.st_mtim.tv_sec > best.tv_sec ||
		    (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec > best.tv_nsec) ||
		    (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec == best.tv_nsec && n > *seq)) {
			best = st.st_mtim;
			*seq = n;
			found = 1;
		}
	}
	closedir(d);
	return found ? 0 : IB_E_NOTFOUND;
}

int ext_append_line(const char *path, const char *line)
{
	size_t n = strlen(line);
	char *buf = malloc(n + 1);
	int fd, rc;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, line, n);
	buf[n] = '\n';
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	rc = fd < 0 ? -errno : ib_write_all(fd, buf, n + 1);
	if (fd >= 0 && close(fd) != 0 && !rc)
		rc = -errno;
	free(buf);
	return rc ? ib_fail(rc, "'%s': %s", path, strerror(-rc)) : 0;
}

/* Closes the descriptors the handler inherited (every one the stub opens itself is
 * close-on-exec): a worker that, like the installer's leftover children, held the caller's pipes
 * would keep the caller waiting for their end long after the handler returned. */
static void close_inherited(void)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < max; fd++) {
		int flags = fcntl(fd, F_GETFD);

		if (flags >= 0 && !(flags & FD_CLOEXEC))
			close(fd);
	}
}

int ext_detach(const char *log_path, long seq)
{
	pid_t pid;
	int st, fd, null;

	(void)seq;
	/* Nothing buffered may be written twice. */
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return ib_fail(-errno, "fork: %s", strerror(errno));
	if (pid > 0) {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0
							     : ib_fail(-ECHILD, "the detached process did not start");
	}
	/* First child: a new session leaves the agent's process group (which it kills at its
	 * timeout) and any terminal; its own child can never get a terminal back. */
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid != 0)
		_exit(pid < 0 ? 1 : 0);
	/* The worker: the agent reads the handler's output from files it owns; keep none open. */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	fd = log_path && *log_path ? open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
	if (fd < 0)
		fd = null;
	if (null >= 0)
		dup2(null, 0);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (fd > 2)
		close(fd);
	if (null > 2 && null != fd)
		close(null);
	close_inherited();
	return 1;
}

int ext_is_worker(long seq)
{
	(void)seq;
	return 0;
}
