/* POSIX output directory: every component opened with O_NOFOLLOW relative to a held root fd. */
#include "outdir.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <archive_entry.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* renameat2 */
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct ib_outdir {
	int fd;
};

struct ib_outfile {
	int fd, parent;
	char *leaf;
};

struct ib_outlock {
	int fd;
};

int ib_outdir_open(const char *path, struct ib_outdir **out)
{
	struct ib_outdir *d = malloc(sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->fd < 0) {
		int e = errno;

		free(d);
		return ib_fail(-e, "cannot open directory '%s': %s", path, strerror(e));
	}
	*out = d;
	return 0;
}

void ib_outdir_close(struct ib_outdir *d)
{
	if (!d)
		return;
	close(d->fd);
	free(d);
}

/* Walks to the parent directory of relpath, creating missing directories when create is set.
 * Returns an fd (owned by the caller) and points *leaf at the last component. */
static int walk_parent(struct ib_outdir *d, const char *relpath, int create, char **copy, char **leaf)
{
	char *path = ib_strdup(relpath), *p, *slash;
	int fd;

	if (!path)
		return -ENOMEM;
	/* Strip trailing slashes so "a/b/" names "b". */
	for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
		path[n - 1] = '\0';
	fd = dup(d->fd);
	if (fd < 0) {
		free(path);
		return -errno;
	}
	p = path;
	while ((slash = strchr(p, '/'))) {
		int next;

		*slash = '\0';
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, p, 0755) != 0 && errno != EEXIST)
				goto fail;
			next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0)
			goto fail;
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*copy = path;
	*leaf = p;
	return fd;
fail : {
	int e = errno == ELOOP || errno == ENOTDIR ? IB_E_UNSAFE : -errno;

	close(fd);
	if (e == IB_E_UNSAFE)
		ib_fail(e, "'%s': a parent is a symlink or not a directory", relpath);
	else
		ib_fail(e, "'%s': %s", relpath, strerror(-e));
	free(path);
	return e;
}
}

int ib_outdir_mkdir(struct ib_outdir *d, const char *relpath, unsigned mode)
{
	char *copy, *leaf;
	int parent = walk_parent(d, relpath, 1, &copy, &leaf), rc = 0;

	if (parent < 0)
		return parent;
	if (mkdirat(parent, leaf, (mode_t)(mode & 0777)) != 0)
		rc = errno == EEXIST ? -EEXIST
				     : ib_fail(-errno, "cannot create directory '%s': %s", relpath, strerror(errno));
	close(parent);
	free(copy);
	return rc;
}

int ib_outdir_create(struct ib_outdir *d, const char *relpath, unsigned mode, struct ib_outfile **out)
{
	struct ib_outfile *f;
	char *copy, *leaf;
	int parent = walk_parent(d, relpath, 1, &copy, &leaf), fd;

	if (parent < 0)
		return parent;
	fd = openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)(mode & 0777));
	if (fd < 0) {
		int e = errno;

		close(parent);
		free(copy);
		if (e == EEXIST)
			return ib_fail(IB_E_UNSAFE, "duplicate path '%s' in archive", relpath);
		return ib_fail(-e, "cannot create '%s': %s", relpath, strerror(e));
	}
	/* The umask must not change what the package declared (installers need their x bits). */
	(void)fchmod(fd, (mode_t)(mode & 0777));
	f = malloc(sizeof(*f));
	if (!f) {
		close(fd);
		close(parent);
		free(copy);
		return -ENOMEM;
	}
	f->fd = fd;
	f->parent = parent;
	f->leaf = ib_strdup(leaf);
	free(copy);
	*out = f;
	return f->leaf ? 0 : -ENOMEM;
}

int ib_outfile_write(struct ib_outfile *f, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(f->fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ib_fail(-errno, "writing '%s': %s", f->leaf, strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ib_outfile_close(struct ib_outfile *f, int commit)
{
	int rc = 0;

	if (!f)
		return 0;
	if (close(f->fd) != 0 && commit)
		rc = ib_fail(-errno, "closing '%s': %s", f->leaf, strerror(errno));
	if (!commit || rc)
		(void)unlinkat(f->parent, f->leaf, 0);
	close(f->parent);
	free(f->leaf);
	free(f);
	return rc;
}

int ib_outdir_open_fd(int fd, struct ib_outdir **out)
{
	struct ib_outdir *d = malloc(sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (d->fd < 0) {
		int e = errno;

		free(d);
		return ib_fail(-e, "dup: %s", strerror(e));
	}
	*out = d;
	return 0;
}

int ib_outdir_remove_tree(struct ib_outdir *d, const char *relpath)
{
	char *copy, *leaf;
	int fd = walk_parent(d, relpath, 0, &copy, &leaf), rc;

	/* A missing parent means there is nothing to remove. */
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	rc = ib_rmtree_at(fd, leaf);
	close(fd);
	free(copy);
	return rc;
}

int ib_outdir_exists(struct ib_outdir *d, const char *relpath)
{
	char *copy, *leaf;
	struct stat st;
	int parent = walk_parent(d, relpath, 0, &copy, &leaf), rc;

	if (parent == -ENOENT)
		return 0;
	if (parent < 0)
		return parent;
	rc = fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 ? 1 : errno == ENOENT ? 0 : -errno;
	close(parent);
	free(copy);
	return rc;
}

int ib_outdir_rename(struct ib_outdir *d, const char *from, const char *to)
{
	char *fcopy, *fleaf, *tcopy, *tleaf;
	int fparent = walk_parent(d, from, 0, &fcopy, &fleaf), tparent, rc = 0;

	if (fparent < 0)
		return fparent;
	tparent = walk_parent(d, to, 0, &tcopy, &tleaf);
	if (tparent < 0) {
		close(fparent);
		free(fcopy);
		return tparent;
	}
	/* RENAME_NOREPLACE: a plain rename would silently replace an empty directory. */
	if (renameat2(fparent, fleaf, tparent, tleaf, RENAME_NOREPLACE) != 0)
		rc = errno == EEXIST ? -EEXIST
				     : ib_fail(-errno, "cannot rename '%s' to '%s': %s", from, to, strerror(errno));
	close(fparent);
	close(tparent);
	free(fcopy);
	free(tcopy);
	return rc;
}

int ib_outdir_entry_name(struct archive_entry *e, char *buf, size_t size)
{
	const char *p = archive_entry_pathname_utf8(e);

	/* In the "C" locale the UTF-8 form cannot be made, and the multibyte form holds the bytes. */
	if (!p)
		p = archive_entry_pathname(e);
	return ib_entry_name_copy(p, buf, size);
}

/* Opens relpath (create: as a new file) below d and locks it: 0, 1 when held elsewhere (only
 * without create, which waits), or a negative error. */
static int lock_open(struct ib_outdir *d, const char *relpath, int create, struct ib_outlock **out)
{
	char *copy, *leaf;
	struct stat st;
	int parent = walk_parent(d, relpath, create, &copy, &leaf), fd, rc = 0;

	if (parent < 0)
		return parent;
	/* O_NONBLOCK: a FIFO planted under the name must not hang the open. */
	fd = create ? openat(parent, leaf, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
		    : openat(parent, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		rc = errno == ENOENT  ? -ENOENT
		     : errno == ELOOP ? ib_fail(IB_E_UNSAFE, "'%s' is a symlink", relpath)
				      : ib_fail(-errno, "cannot open '%s': %s", relpath, strerror(errno));
	else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = ib_fail(IB_E_UNSAFE, "'%s' is not a regular file", relpath);
	else if (flock(fd, create ? LOCK_EX : LOCK_EX | LOCK_NB) != 0)
		rc = errno == EWOULDBLOCK ? 1 : ib_fail(-errno, "cannot lock '%s': %s", relpath, strerror(errno));
	close(parent);
	free(copy);
	if (!rc && !(*out = malloc(sizeof(**out))))
		rc = -ENOMEM;
	if (rc) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	(*out)->fd = fd;
	return 0;
}

int ib_outdir_lock_new(struct ib_outdir *d, const char *relpath, struct ib_outlock **out)
{
	return lock_open(d, relpath, 1, out);
}

int ib_outdir_lock_try(struct ib_outdir *d, const char *relpath, struct ib_outlock **out)
{
	int rc = lock_open(d, relpath, 0, out);

	return rc == IB_E_UNSAFE || rc == -ENOTDIR ? IB_E_UNSAFE : rc;
}

void ib_outlock_release(struct ib_outlock *l)
{
	if (!l)
		return;
	close(l->fd); /* closing the last descriptor drops the flock */
	free(l);
}

int ib_outdir_names(struct ib_outdir *d, char ***names, size_t *n)
{
	int fd = fcntl(d->fd, F_DUPFD_CLOEXEC, 3), rc;
	DIR *dir;

	if (fd < 0)
		return -errno;
	/* A duplicate shares the read position of the root's descriptor: start from the top. */
	if (!(dir = fdopendir(fd))) {
		close(fd);
		return -errno;
	}
	rewinddir(dir);
	rc = ib_dir_names(dir, 0, names, n);
	closedir(dir);
	return rc;
}

void ib_outdir_names_free(char **names, size_t n)
{
	ib_dir_names_free(names, n);
}

unsigned long ib_process_id(void)
{
	return (unsigned long)getpid();
}

int ib_process_alive(unsigned long pid)
{
	/* Not a pid this scheme writes (0 and 1 would mean "the group" and init): treat as alive,
	 * so such a folder is never removed. */
	if (pid < 2 || pid > (unsigned long)INT32_MAX)
		return 1;
	/* EPERM: it exists but belongs to another user. */
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}
