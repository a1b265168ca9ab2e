/* POSIX implementation of positioned, read-only bundle file access. */
#include "fileio.h"

#include "err.h"
#include "fs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_at(const char *path, const char *shown, struct ib_file *f)
{
	struct stat st;

	f->fd = -1;
	f->handle = NULL;
	if (ib_snprintf(f->path, sizeof(f->path), "%s", shown))
		return ib_fail(-ENAMETOOLONG, "path too long");
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return ib_fail(-errno, "cannot open '%s': %s", shown, strerror(errno));
	if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(f->fd);
		f->fd = -1;
		return ib_fail(-EINVAL, "'%s' is not a regular file", shown);
	}
	f->size = (uint64_t)st.st_size;
	/* No read-ahead guessed by the kernel: it reads up to twice the device's read_ahead_kb
	 * past what a sequential reader asks for, so a node installing one package from a bundle
	 * on shared storage would fetch the start of the next package too. Readers that stream
	 * say exactly what comes next with ib_file_prefetch. */
	(void)posix_fadvise(f->fd, 0, 0, POSIX_FADV_RANDOM);
	return 0;
}

int ib_file_open(const char *path, struct ib_file *f)
{
	return open_at(path, path, f);
}

static const char *self_hint;

void ib_file_set_self_hint(const char *argv0)
{
	self_hint = argv0;
}

int ib_file_open_self(struct ib_file *f)
{
	char self[IB_PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0) {
		/* No /proc: argv[0] names the file only if it holds a '/' (a PATH lookup would guess). */
		if (self_hint && strchr(self_hint, '/'))
			return open_at(self_hint, self_hint, f);
		return ib_fail(-ENOENT, "cannot find the running executable: /proc is not mounted and "
					"argv[0] is not a path");
	}
	self[n] = '\0';
	/* Open through /proc so a rename or replacement of the path cannot swap the file. */
	return open_at("/proc/self/exe", self, f);
}

int ib_file_pread(struct ib_file *f, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(f->fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ib_fail(-errno, "reading '%s': %s", f->path, strerror(errno));
		}
		if (n == 0)
			return ib_fail(IB_E_TRUNCATED, "'%s' ends early (truncated?)", f->path);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

void ib_file_prefetch(struct ib_file *f, uint64_t off, uint64_t len)
{
	if (off < f->size && len)
		(void)posix_fadvise(f->fd, (off_t)off, (off_t)(len < f->size - off ? len : f->size - off),
				    POSIX_FADV_WILLNEED);
}

void ib_file_close(struct ib_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}
