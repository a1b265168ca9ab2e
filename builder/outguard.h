/* Where a command's -o may write: never onto an input, never into a package source, and only
 * into a directory that exists, all checked before any work. */
#ifndef IBPACK_OUTGUARD_H
#define IBPACK_OUTGUARD_H

#include <stddef.h>

/* The folder part of path ("." for a bare name, "/" for a name in the root). */
int cli_out_dir(const char *path, char *dir, size_t size);
/* "-o -": the output is standard output. */
int cli_out_is_stdout(const char *out);
/* Checks out (a file to create or replace): its directory exists and is a directory, out is not a
 * directory, and out is not the same file as any of inputs[0..n) (NULL entries are skipped;
 * links and other spellings are caught by device and inode). IB_E_USAGE for the same file,
 * an errno code for the directory; the message names both paths. */
int cli_out_check(const char *out, const char *const *inputs, size_t n);
/* IB_E_USAGE when out would land inside the directory tree src (a package's source folder:
 * the half-written bundle would be packed into itself). 0 when src is not a directory. */
int cli_out_outside(const char *out, const char *src, const char *pkg);

#endif
