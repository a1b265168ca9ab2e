/* POSIX files of the install state and lock: <root>/var/lib/ibpack/{state.json,lock}, or an
 * explicit state directory. */
#include "state.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int state_plat_dir(const char *root, int create, char *dir, size_t size)
{
	static const char *const parts[] = {"/var", "/var/lib", "/var/lib/ibpack"};
	char base[IB_PATH_MAX];
	size_t n;

	if (ib_snprintf(base, sizeof(base), "%s", root ? root : ""))
		return ib_fail(-ENAMETOOLONG, "root path too long");
	/* "/" and "dir/" must not give "//var". */
	for (n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
		base[n - 1] = '\0';
	for (size_t i = 0; i < IB_ARRAY_LEN(parts); i++) {
		if (ib_snprintf(dir, size, "%s%s", base, parts[i]))
			return ib_fail(-ENAMETOOLONG, "state path too long");
		/* 0755: the record is readable by anyone, writable by root only. */
		if (create && mkdir(dir, 0755) != 0 && errno != EEXIST)
			return ib_fail(-errno, "cannot create '%s' for the install state: %s", dir, strerror(errno));
	}
	return 0;
}

int state_plat_own_dir(const char *dir, int create, char *out, size_t size)
{
	struct stat st;

	if (ib_snprintf(out, size, "%s", dir))
		return ib_fail(-ENAMETOOLONG, "state directory path too long");
	/* 0755 as the default: the record is readable by anyone, writable by its owner only. */
	if (lstat(dir, &st) != 0) {
		if (errno != ENOENT)
			return ib_fail(-errno, "state directory '%s': %s", dir, strerror(errno));
		if (!create)
			return 0; /* nothing recorded yet */
		if (mkdir(dir, 0755) != 0 || lstat(dir, &st) != 0)
			return ib_fail(-errno, "cannot create the state directory '%s': %s", dir, strerror(errno));
	}
	/* Whoever could replace the record or the lock could make an old bundle look installed. */
	if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode))
		return ib_fail(-EACCES, "state directory '%s' is %s: give a real directory", dir,
			       S_ISLNK(st.st_mode) ? "a symbolic link" : "not a directory");
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return ib_fail(-EACCES, "state directory '%s' is owned by another user (uid %ld): remove it", dir,
			       (long)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return ib_fail(-EACCES, "state directory '%s' is writable by others (mode %03o): chmod go-w it", dir,
			       (unsigned)(st.st_mode & 0777));
	return 0;
}

int state_plat_rename(const char *from, const char *to)
{
	return rename(from, to) == 0 ? 0 : -errno;
}

static void read_holder(int fd, char *holder, size_t hsize)
{
	ssize_t n = pread(fd, holder, hsize - 1, 0);

	holder[n > 0 ? n : 0] = '\0';
	holder[strcspn(holder, "\n")] = '\0';
}

int state_plat_trylock(const char *path, const char *bundle, struct stub_lock *l, char *holder, size_t hsize)
{
	/* CLOEXEC: an installer's leftover daemon must not keep the lock after we exit. */
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	char text[256], ts[32];
	struct stat st;
	int n;

	if (fd < 0)
		return ib_fail(-errno, "cannot open the install lock '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ib_fail(-EINVAL, "the install lock '%s' is not a regular file", path);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		if (e == EWOULDBLOCK || e == EINTR) {
			read_holder(fd, holder, hsize);
			close(fd);
			return IB_E_LOCKED;
		}
		close(fd);
		return ib_fail(-e, "cannot lock '%s': %s", path, strerror(e));
	}
	ib_format_utc((int64_t)time(NULL), ts, sizeof(ts));
	n = snprintf(text, sizeof(text), "pid %ld (bundle '%s', since %s)\n", (long)getpid(), bundle ? bundle : "?",
		     ts);
	/* Who holds it is only information for the next run's message; failing to write it is harmless. */
	if (ftruncate(fd, 0) == 0 && n > 0)
		(void)!pwrite(fd, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1, 0);
	l->handle = fd;
	return 0;
}

void state_plat_unlock(struct stub_lock *l)
{
	int fd = (int)l->handle;

	/* Left empty for the next holder; the file stays (removing a flock'ed file races). */
	if (ftruncate(fd, 0) != 0) {
		/* nothing to do: closing releases the lock anyway */
	}
	close(fd);
}

void state_plat_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}
