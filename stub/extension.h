/* The Azure VM extension handler mode of the stub (--extension COMMAND) and the few platform
 * services it needs beyond stub.h (extension_posix.c, extension_win.c). */
#ifndef IBPACK_EXTENSION_H
#define IBPACK_EXTENSION_H

#include <stddef.h>

#include "actions.h"

/* The handler command named by --extension (install, enable, disable, uninstall, update), run
 * the way the Linux and Windows guest agents call handlers (docs/EXTENSION.md). Returns the
 * process exit code. */
int stub_extension(struct stub_ctx *c, const char *command);

/* ---- platform layer ---- */

#ifdef _WIN32
#define EXT_SEP '\\'
#else
#define EXT_SEP '/'
#endif

/* Largest status file the agents accept. */
#define EXT_STATUS_MAX (128u << 10)

/* The sequence number of the most recently modified "<N>.settings" in dir (what the agents do
 * when they are not told the number): 0 and *seq, or IB_E_NOTFOUND when there is none. */
int ext_newest_settings(const char *dir, long *seq);
/* Replaces path with data through a temp file in the same directory and a rename, so a reader
 * (the agent polls status files) sees the old or the new content, never a part. */
int ext_write_atomic(const char *path, const void *data, size_t len);
/* Appends one line (the text plus '\n') to path in a single write, creating it (0644). */
int ext_append_line(const char *path, const char *line);
/* Moves the rest of an enable out of the agent's reach: into a process that survives the agent
 * killing the handler's process group (or job) at its timeout, with stdout/stderr to log_path.
 * Returns 0 in the handler, which should exit now; 1 in that process (POSIX: the forked worker
 * continues from here); or a negative error when nothing was started. */
int ext_detach(const char *log_path, long seq);
/* 1 when this process is a worker started by ext_detach for seq (Windows starts the executable
 * again; POSIX never does, so it is always 0 there). */
int ext_is_worker(long seq);

#endif
