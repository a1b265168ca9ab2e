/* POSIX files of the install state and lock: <root>/var/lib/ibpack/{state.json,lock}. */
#include "state.h"

#include "../format/err.h"
#include "../format/util.h"

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
	static const char *const parts[] = { "/var", "/var/lib", "/var/lib/ibpack" };
	char base[4096];
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

int state_plat_read(const char *path, size_t max, char **data, size_t *len)
{
	/* O_NONBLOCK: a FIFO planted at the path must not hang us (it is then refused as not regular). */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), rc = 0;
	struct stat st;
	char *buf = NULL;
	size_t got = 0;

	*data = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
	} else if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
	} else if ((uint64_t)st.st_size > max) {
		rc = -EFBIG;
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		rc = -ENOMEM;
	} else {
		while (got < (size_t)st.st_size) {
			ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				rc = -errno;
				break;
			}
			if (r == 0)
				break; /* shrank: parse what is there, it will not be valid JSON */
			got += (size_t)r;
		}
		buf[got] = '\0';
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	*data = buf;
	*len = got;
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int state_plat_write(const char *path, const void *data, size_t len)
{
	char tmp[4300], dir[4300], *slash;
	int fd, rc, dfd;

	if (ib_snprintf(tmp, sizeof(tmp), "%s.tmp", path) || ib_snprintf(dir, sizeof(dir), "%s", path))
		return ib_fail(-ENAMETOOLONG, "state path too long");
	/* A leftover of an interrupted write; we hold the lock, so nobody else is writing it. */
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return ib_fail(-errno, "cannot create '%s': %s", tmp, strerror(errno));
	(void)fchmod(fd, 0644);
	rc = write_all(fd, data, len);
	if (!rc)
		rc = write_all(fd, "\n", 1);
	/* Durable before it becomes visible: after a crash the old or the new state, never none. */
	if (!rc && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) != 0)
		rc = -errno;
	if (rc) {
		(void)unlink(tmp);
		return ib_fail(rc, "writing '%s': %s", path, strerror(-rc));
	}
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd); /* the rename itself */
			close(dfd);
		}
	}
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
	n = snprintf(text, sizeof(text), "pid %ld (bundle '%s', since %s)\n", (long)getpid(), bundle ? bundle : "?", ts);
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
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}
