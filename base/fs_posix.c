/* POSIX file primitives: complete writes, whole-file reads, atomic replacement, tree removal. */
#include "fs.h"

#include "err.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The write loop of both: at off with pwrite() when positioned, else at the file position. */
static int write_loop(int fd, const uint8_t *p, size_t len, uint64_t off, int positioned)
{
	while (len) {
		ssize_t n = positioned ? pwrite(fd, p, len, (off_t)off) : write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int ib_write_all(int fd, const void *buf, size_t len)
{
	return write_loop(fd, buf, len, 0, 0);
}

int ib_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	return write_loop(fd, buf, len, off, 1);
}

static int read_fd(int fd, size_t max, char **data, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;

	if (fstat(fd, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;

			free(buf);
			return e;
		}
		if (n == 0)
			break; /* the file shrank: what is there is what the caller gets */
		got += (size_t)n;
	}
	buf[got] = '\0';
	*data = buf;
	if (len)
		*len = got;
	return 0;
}

int ib_read_file(const char *path, size_t max, int flags, char **data, size_t *len)
{
	/* O_NONBLOCK: a FIFO planted at the path must not block the open; it is then refused as
	 * not a regular file. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | ((flags & IB_READ_NOFOLLOW) ? O_NOFOLLOW : 0));
	int rc;

	*data = NULL;
	if (len)
		*len = 0;
	if (fd < 0) {
		rc = -errno;
	} else {
		rc = read_fd(fd, max, data, len);
		close(fd);
	}
	if (!rc || (flags & IB_READ_QUIET))
		return rc;
	if (rc == -EINVAL)
		return ib_fail(rc, "'%s' is not a regular file", path);
	if (rc == -EFBIG)
		return ib_fail(rc, "'%s' is larger than %zu bytes", path, max);
	return ib_fail(rc, "cannot read '%s': %s", path, strerror(-rc));
}

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

int ib_dir_names(DIR *d, int flags, char ***names, size_t *n)
{
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *e;

	*names = NULL;
	*n = 0;
	errno = 0;
	while ((e = readdir(d))) {
		const char *s = e->d_name;

		if ((s[0] == '.' && (!s[1] || (s[1] == '.' && !s[2]))) || ((flags & IB_DIR_NO_HIDDEN) && s[0] == '.'))
			continue;
		if (cnt == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof(char *));

			if (!nv)
				goto nomem;
			v = nv;
		}
		if (!(v[cnt] = ib_strdup(s)))
			goto nomem;
		cnt++;
	}
	if (errno) {
		int rc = -errno;

		ib_dir_names_free(v, cnt);
		return rc;
	}
	if (cnt)
		qsort(v, cnt, sizeof(char *), cmp_names);
	*names = v;
	*n = cnt;
	return 0;
nomem:
	ib_dir_names_free(v, cnt);
	return -ENOMEM;
}

void ib_dir_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int ib_sync_parent(const char *path)
{
	char dir[IB_PATH_MAX];
	char *slash;
	int fd, rc = 0;

	if (ib_snprintf(dir, sizeof(dir), "%s", path))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash)
		memcpy(dir, ".", 2);
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0 && errno != EINVAL) /* some file systems cannot sync a folder */
		rc = -errno;
	close(fd);
	return rc;
}

int ib_atomic_begin(struct ib_atomic_file *a, const char *path, unsigned mode)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->mode = mode;
	if (ib_snprintf(a->path, sizeof(a->path), "%s", path) ||
	    ib_snprintf(a->tmp, sizeof(a->tmp), "%s.tmp.XXXXXX", path)) {
		a->tmp[0] = '\0';
		return ib_fail(-ENAMETOOLONG, "path too long: '%s'", path);
	}
	/* mkostemp creates with O_EXCL and 0600: nothing is followed, nobody else can open it. */
	a->fd = mkostemp(a->tmp, O_CLOEXEC);
	if (a->fd < 0) {
		int e = -errno;

		a->tmp[0] = '\0';
		return ib_fail(e, "cannot create a file next to '%s': %s", path, strerror(-e));
	}
	return 0;
}

int ib_atomic_write(struct ib_atomic_file *a, const void *buf, size_t len)
{
	int rc = ib_write_all(a->fd, buf, len);

	return rc ? ib_fail(rc, "writing '%s': %s", a->tmp, strerror(-rc)) : 0;
}

int ib_atomic_commit(struct ib_atomic_file *a)
{
	int rc = 0;

	if (a->fd < 0)
		return ib_fail(-EBADF, "'%s' is not open for writing", a->path);
	if (fchmod(a->fd, (mode_t)(a->mode & 07777)) != 0 || fsync(a->fd) != 0)
		rc = -errno;
	if (close(a->fd) != 0 && !rc)
		rc = -errno;
	a->fd = -1;
	if (!rc && rename(a->tmp, a->path) != 0)
		rc = -errno;
	if (rc) {
		ib_atomic_abort(a);
		return ib_fail(rc, "cannot write '%s': %s", a->path, strerror(-rc));
	}
	a->tmp[0] = '\0';
	/* The rename is durable only once the folder is: an error here leaves the new file in place. */
	(void)ib_sync_parent(a->path);
	return 0;
}

void ib_atomic_abort(struct ib_atomic_file *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (a->tmp[0])
		(void)unlink(a->tmp);
	a->tmp[0] = '\0';
}

/* One level of the removal walk: a directory entered, by its name in the level above. */
struct rm_level {
	dev_t dev;
	ino_t ino;
	char *name;
};

static int same_dir(int fd, const struct rm_level *l)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return -errno;
	return st.st_dev == l->dev && st.st_ino == l->ino ? 0 : IB_E_UNSAFE;
}

/* Removes every non-directory in fd; on finding a subdirectory returns 1 with its name in *sub
 * (malloc'd) and its identity in *st, else 0 once the folder holds nothing but subfolders that
 * are already gone. */
static int clear_files(int fd, char **sub, struct stat *st)
{
	int dfd = dup(fd), rc = 0;
	struct dirent *e;
	DIR *dir;

	if (dfd < 0)
		return -errno;
	dir = fdopendir(dfd);
	if (!dir) {
		rc = -errno;
		close(dfd);
		return rc;
	}
	rewinddir(dir);
	while (!rc && (e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(fd, e->d_name, st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = errno == ENOENT ? 0 : -errno;
		} else if (S_ISDIR(st->st_mode)) {
			*sub = ib_strdup(e->d_name);
			rc = *sub ? 1 : -ENOMEM;
		} else if (unlinkat(fd, e->d_name, 0) != 0 && errno != ENOENT) {
			rc = -errno;
		}
	}
	closedir(dir);
	return rc;
}

int ib_rmtree_at(int parent, const char *name)
{
	struct rm_level *stack = NULL;
	size_t depth = 0, cap = 0;
	struct stat st;
	int cur, rc = 0;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(parent, name, 0) == 0 || errno == ENOENT ? 0 : -errno;
	cur = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	/* One open directory at a time and a heap stack of names: no depth limit, no fd limit.
	 * Going back up opens ".." and checks it is the directory that was entered. */
	for (;;) {
		char *sub = NULL;
		struct stat sst;

		if (depth == cap) {
			struct rm_level *n = realloc(stack, (cap ? cap * 2 : 16) * sizeof(*stack));

			if (!n) {
				rc = -ENOMEM;
				break;
			}
			stack = n;
			cap = cap ? cap * 2 : 16;
		}
		if (depth == 0) {
			stack[0] = (struct rm_level){st.st_dev, st.st_ino, NULL};
			depth = 1;
		}
		rc = clear_files(cur, &sub, &sst);
		if (rc < 0)
			break;
		if (rc == 1) {
			int child = openat(cur, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			rc = 0;
			if (child < 0) {
				rc = -errno;
				free(sub);
				break;
			}
			close(cur);
			cur = child;
			stack[depth++] = (struct rm_level){sst.st_dev, sst.st_ino, sub};
			if ((rc = same_dir(cur, &stack[depth - 1])))
				break;
			continue;
		}
		/* cur is empty: remove it from the level above. */
		if (depth == 1) {
			close(cur);
			cur = -1;
			if (unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
				rc = -errno;
			break;
		}
		{
			int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (up < 0) {
				rc = -errno;
				break;
			}
			close(cur);
			cur = up;
			if ((rc = same_dir(cur, &stack[depth - 2])))
				break;
			if (unlinkat(cur, stack[depth - 1].name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
				rc = -errno;
				break;
			}
			free(stack[--depth].name);
		}
	}
	if (cur >= 0)
		close(cur);
	while (depth > 1)
		free(stack[--depth].name);
	free(stack);
	return rc;
}

int ib_rmtree(const char *path)
{
	char copy[IB_PATH_MAX];
	const char *leaf;
	char *slash;
	int dfd, rc;

	if (ib_snprintf(copy, sizeof(copy), "%s", path))
		return -ENAMETOOLONG;
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	slash = strrchr(copy, '/');
	if (!slash) {
		dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		leaf = copy;
	} else {
		*slash = '\0';
		dfd = open(slash == copy ? "/" : copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		leaf = slash + 1;
	}
	if (dfd < 0)
		return -errno;
	rc = ib_rmtree_at(dfd, leaf);
	close(dfd);
	return rc;
}
