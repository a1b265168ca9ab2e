/* Positioned, read-only access to a bundle file, with a POSIX and a Windows implementation. */
#ifndef IBPACK_FILEIO_H
#define IBPACK_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "fs.h"

struct ib_file {
	int fd;       /* POSIX descriptor, -1 when closed */
	void *handle; /* Windows HANDLE */
	uint64_t size;
	char path[IB_PATH_MAX];
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
/* Starts reading [off, off+len) into the page cache without waiting (the kernel's own
 * read-ahead is off for ib_file descriptors: only what readers announce here is read ahead). */
void ib_file_prefetch(struct ib_file *f, uint64_t off, uint64_t len);
/* How far ahead streaming readers announce (ib_file_prefetch): about two device read-aheads,
 * so storage always has the next request while the current one is hashed. */
#define IB_PREFETCH_AHEAD (8u << 20)
void ib_file_close(struct ib_file *f);

#ifdef _WIN32
#include <wchar.h>
/* Windows helpers shared by the Windows files of format/ and stub/ (paths are UTF-8 in every
 * ibpack API and UTF-16 only at the system call). All return malloc'd strings, or NULL with
 * errno set (EILSEQ for invalid UTF-8/UTF-16). */
wchar_t *ib_win_wide(const char *utf8);
char *ib_win_utf8(const wchar_t *wide);
/* Absolute, backslashed form of path with the \\?\ prefix, so long paths work and no DOS
 * device name (CON, NUL) or trailing dot is reinterpreted. */
wchar_t *ib_win_long_path(const char *utf8);
/* "The system cannot find the file specified (error 2)": a thread-local buffer. */
const char *ib_win_strerror(unsigned long err);
/* Maps a Win32 error code to a negative errno value for ib_fail. */
int ib_win_errno(unsigned long err);
/* Records "<what> '<path>': <GetLastError() text>" and returns its ib_win_errno code. */
int ib_win_fail(const char *what, const char *path);
#endif

#endif
