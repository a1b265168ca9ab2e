/* The installer's private temp dir, held by directory fds from creation to removal (Linux). */
#ifndef IBPACK_TMPDIR_H
#define IBPACK_TMPDIR_H

#include "../base/fs.h"

struct stub_tmp {
	char path[IB_PATH_MAX]; /* for messages and the installer's TMPDIR; never reopened by path */
	char name[32];          /* its name inside the base */
	int basefd, fd;         /* the base directory and the temp dir itself */
};

/* Picks the base (base, else $TMPDIR, /var/tmp, /tmp; exec mounts first), refuses it when it or
 * an ancestor could be renamed by another user (not owned by root or us, or group/world-writable
 * without the sticky bit), and creates a 0700 directory in it, held open. */
int stub_tmp_create(const char *base, struct stub_tmp *t);
/* Removes the whole tree through the held fds and closes them. */
int stub_tmp_remove(struct stub_tmp *t);
/* Closes the fds and leaves the tree (--keep). */
void stub_tmp_close(struct stub_tmp *t);

#endif
