/* A directory that extraction writes into without ever following a link out of it. */
#ifndef IBPACK_OUTDIR_H
#define IBPACK_OUTDIR_H

#include <stddef.h>
#include <stdint.h>

struct ib_outdir;
struct ib_outfile;

/* Opens an existing directory (not a symlink) as the root of all later relative paths. */
int ib_outdir_open(const char *path, struct ib_outdir **out);
void ib_outdir_close(struct ib_outdir *d);
/* Creates a directory at relpath (parents must exist or be created by earlier calls). Returns
 * -EEXIST if it exists. Never follows symlinks in any component. */
int ib_outdir_mkdir(struct ib_outdir *d, const char *relpath, unsigned mode);
/* Creates a new regular file; fails with -EEXIST if anything is there already. */
int ib_outdir_create(struct ib_outdir *d, const char *relpath, unsigned mode, struct ib_outfile **f);
int ib_outfile_write(struct ib_outfile *f, const void *data, size_t len);
/* Closes the file; on commit=0 it is also removed. */
int ib_outfile_close(struct ib_outfile *f, int commit);
/* Removes relpath and everything under it, never following links. */
int ib_outdir_remove_tree(struct ib_outdir *d, const char *relpath);

/* Moves from (a relative path) to to (a relative path) inside d, never following links and never
 * replacing anything: -EEXIST when to exists. */
int ib_outdir_rename(struct ib_outdir *d, const char *from, const char *to);
/* 1 when relpath names anything (a link included), 0 when nothing, or a negative error. */
int ib_outdir_exists(struct ib_outdir *d, const char *relpath);

/* ---- whether a temp folder's owner is alive: a lock on a file inside it, which the kernel drops
 * when the holder dies (SIGKILL and power loss included) ---- */
struct ib_outlock;
/* Creates relpath (a new regular file) and holds an exclusive lock on it until released. */
int ib_outdir_lock_new(struct ib_outdir *d, const char *relpath, struct ib_outlock **out);
/* Takes the lock of the existing regular file relpath without waiting: 0 (taken, *out set), 1
 * when another process holds it, -ENOENT when there is no such file, IB_E_UNSAFE for a link
 * anywhere on the path or a file that is not regular, or another negative error. */
int ib_outdir_lock_try(struct ib_outdir *d, const char *relpath, struct ib_outlock **out);
/* Releases the lock (NULL: nothing). */
void ib_outlock_release(struct ib_outlock *l);
/* The names in d's root, without "." and "..", malloc'd (free with ib_outdir_names_free). */
int ib_outdir_names(struct ib_outdir *d, char ***names, size_t *n);
void ib_outdir_names_free(char **names, size_t n);
/* This process's id, and 1 when process pid exists on this machine (another user's included). */
unsigned long ib_process_id(void);
int ib_process_alive(unsigned long pid);

/* The name of a tar entry as the UTF-8 the builder wrote, into buf (an empty string and
 * IB_E_UNSAFE when it has none). libarchive hands pax names out in the locale's charset, which
 * the stub never sets: Linux keeps the raw UTF-8 bytes, Windows the wide form. */
struct archive_entry;
int ib_outdir_entry_name(struct archive_entry *e, char *buf, size_t size);
/* Its common end: copies name (NULL or empty: none) into buf. */
int ib_entry_name_copy(const char *name, char *buf, size_t size);
#ifndef _WIN32
/* Wraps an already open directory fd (duplicated; the caller keeps its own). */
int ib_outdir_open_fd(int fd, struct ib_outdir **out);
#endif

/* Validates a relative archive path: no absolute path, no empty, "." or ".." component, no
 * backslash or drive letter, at most 4096 bytes. Returns 0 or IB_E_UNSAFE. */
int ib_path_check(const char *path);
/* IB_E_UNSAFE when path is not valid UTF-8 (the encoding of every name in a bundle). */
int ib_path_utf8_check(const char *path);

#endif
