/* File primitives every layer shares: complete writes, whole-file reads, atomic replacement,
 * no-follow tree removal and the one path-length limit. */
#ifndef IBPACK_FS_H
#define IBPACK_FS_H

#include <stddef.h>
#include <stdint.h>

/* The longest path ibpack handles, terminating NUL included (PATH_MAX on Linux). Every path
 * buffer is sized by it; a longer name is reported as too long, never truncated. */
#define IB_PATH_MAX 4096

#ifdef _WIN32
#define IB_PATH_SEP     '\\'
#define IB_PATH_SEP_STR "\\"
#define IB_NEWLINE      "\r\n"
#else
#define IB_PATH_SEP     '/'
#define IB_PATH_SEP_STR "/"
#define IB_NEWLINE      "\n"
#endif

/* Writes all len bytes to fd, retrying short writes and EINTR. A write() that returns 0 is an
 * error (-EIO): retrying would spin forever. POSIX only (Windows code writes through handles). */
int ib_write_all(int fd, const void *buf, size_t len);
/* The same at an offset, with pwrite(). */
int ib_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);

/* ib_read_file flags */
enum {
	IB_READ_NOFOLLOW = 1, /* refuse a symbolic link at path (ELOOP) */
	IB_READ_QUIET = 2,    /* return the bare code, without recording a message (callers that
	                       * treat "absent" as a normal case) */
};

/* Reads a whole regular file of at most max bytes into a malloc'd, NUL-terminated buffer. A file
 * that is not regular is -EINVAL, one over max -EFBIG. *len may be NULL. */
int ib_read_file(const char *path, size_t max, int flags, char **data, size_t *len);

/* Atomic replacement of a file: the new content is written to a temp file in the same folder,
 * made durable, then renamed over the target, and the folder itself is synced, so after a crash
 * the old or the new file is there, never a mix or nothing. The temp file is removed on every
 * failure path (commit that fails, or abort). */
struct ib_atomic_file {
	int fd;       /* POSIX: the temp file, writable by the caller (pwrite, ib_write_all) */
	void *handle; /* Windows: the temp file's HANDLE */
	unsigned mode;
	char path[IB_PATH_MAX];
	char tmp[IB_PATH_MAX];
};

/* Creates the temp file next to path (O_EXCL, no link followed) with the given mode. */
int ib_atomic_begin(struct ib_atomic_file *a, const char *path, unsigned mode);
int ib_atomic_write(struct ib_atomic_file *a, const void *buf, size_t len);
/* Syncs, closes and renames into place; on failure the temp file is gone and path unchanged. */
int ib_atomic_commit(struct ib_atomic_file *a);
/* Closes and removes the temp file; safe to call after a commit (it does nothing then). */
void ib_atomic_abort(struct ib_atomic_file *a);
/* The whole sequence for a buffer already in memory. */
int ib_atomic_write_file(const char *path, unsigned mode, const void *buf, size_t len);

#ifdef _WIN32
#include <wchar.h>
/* The SID of the user this process runs as (a malloc'd PSID), or NULL. */
void *ib_win_token_user(void);
/* 1 when the security descriptor sd lets nobody but SYSTEM, Administrators, TrustedInstaller and
 * user (a PSID) rename, delete or re-permission the folder or its entries: one of them owns it,
 * it has a DACL, and no allow ACE that applies to the folder itself gives anyone else DELETE,
 * FILE_DELETE_CHILD, WRITE_DAC or WRITE_OWNER (generic rights mapped first: GENERIC_ALL counts).
 * Reading and writing (adding files and folders, attributes, EAs) stay allowed: that is the
 * Windows counterpart of a sticky directory, and what Windows grants Users on C:\ProgramData and
 * %SystemRoot%\Temp. Otherwise 0, with the reason (naming the owner or the ACE's SID) in why. */
int ib_win_sd_trusted(void *sd, void *user, char *why, size_t size);
/* ib_win_sd_trusted for the existing real directory path (no reparse point), with the current
 * user; why (may be NULL) says what is wrong when it returns 0. */
int ib_win_dir_check(const wchar_t *path, char *why, size_t size);
/* ib_win_dir_check without the reason. */
int ib_win_trusted_dir(const wchar_t *path);
#else
/* Removes name below the directory fd parent and everything under it, never following a link
 * (links are removed, not entered). A name that is already gone is success. Trees of any depth
 * are removed: the walk keeps its own stack of directory fds rather than recursing. */
int ib_rmtree_at(int parent, const char *name);
/* The same for a path (its last component is not followed). */
int ib_rmtree(const char *path);
/* The entry names of an open directory (without "." and ".."; without every name starting with
 * '.' when IB_DIR_NO_HIDDEN), sorted by bytes, not by locale, so every walk is reproducible.
 * *names is malloc'd (free with ib_dir_names_free); an empty directory gives NULL and 0. */
#include <dirent.h>
enum { IB_DIR_NO_HIDDEN = 1 };
int ib_dir_names(DIR *d, int flags, char ***names, size_t *n);
void ib_dir_names_free(char **names, size_t n);
/* fsync of the folder holding path, so a rename or create in it is durable. */
int ib_sync_parent(const char *path);
#endif

#endif
