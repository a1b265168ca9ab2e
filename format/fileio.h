/* Positioned, read-only access to a bundle file, with a POSIX and a Windows implementation. */
#ifndef IBPACK_FILEIO_H
#define IBPACK_FILEIO_H

#include <stddef.h>
#include <stdint.h>

struct ib_file {
	int fd;        /* POSIX descriptor, -1 when closed */
	void *handle;  /* Windows HANDLE */
	uint64_t size;
	char path[4096];
};

/* Opens path for reading. On Windows the file is opened without FILE_SHARE_WRITE so nobody can
 * change it while it is being verified and used. */
int ib_file_open(const char *path, struct ib_file *f);
/* Opens the running executable itself (/proc/self/exe on Linux; the hint, normally argv[0], only
 * where /proc is not mounted, e.g. a bare chroot). */
int ib_file_open_self(struct ib_file *f);
void ib_file_set_self_hint(const char *argv0);
/* Reads exactly len bytes at off; IB_E_TRUNCATED if the file ends first. */
int ib_file_pread(struct ib_file *f, void *buf, size_t len, uint64_t off);
/* Hints that [off, off+len) will be read once, in order. */
void ib_file_advise_sequential(struct ib_file *f, uint64_t off, uint64_t len);
void ib_file_close(struct ib_file *f);

#endif
