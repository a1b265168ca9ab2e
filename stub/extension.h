/* The Azure VM extension handler mode of the stub (--extension COMMAND) and the few platform
 * services it needs beyond stub.h (extension_posix.c, extension_win.c). */
#ifndef IBPACK_EXTENSION_H
#define IBPACK_EXTENSION_H

#include <stddef.h>
#include <stdint.h>

#include "actions.h"

/* The handler command named by --extension (install, enable, disable, uninstall, update), run
 * the way the Linux and Windows guest agents call handlers (docs/EXTENSION.md). Returns the
 * process exit code. */
int stub_extension(struct stub_ctx *c, const char *command);

/* ---- the handler's documents (stub/extension_doc.c) ---- */

#define EXT_MESSAGE_MAX 1024 /* the agent cuts status messages there for the portal */
#define EXT_DETAIL_MAX  2048

/* Storage for the public settings that stub_opts points into. */
struct ext_settings {
	char package[IB_ID_MAX + 1], os[64];
	char nics[STUB_MAX_NICS][16];
};
struct ext_settings_report {
	int protected_ignored;  /* protected settings were present (never decrypted) */
	char public_shown[512]; /* the public settings as applied, for the log; "" when none */
};
/* Applies the public settings of a <seq>.settings document (text, len) to o. An empty file is no
 * settings; IB_E_FORMAT when the document is not the agents' shape; IB_E_USAGE (with a message)
 * for a setting that is unknown or has a bad value. */
int ext_settings_apply(struct stub_opts *o, struct ext_settings *x, const char *text, size_t len,
		       struct ext_settings_report *rep);

/* One operation's outcome as the status file reports it. */
struct ext_status {
	const char *name, *operation, *status;
	int code;
	const char *message, *detail; /* detail may be NULL (no substatus) */
};
/* The status file's JSON text (malloc'd), in the one schema both agents accept, every text
 * capped and cleaned; NULL when out of memory. */
char *ext_status_text(const struct ext_status *s, int64_t now);
/* Copies text into out as one line of valid UTF-8 of at most size - 1 bytes. */
void ext_clean_text(const char *text, char *out, size_t size);

/* ---- platform layer ---- */

/* Largest status file the agents accept. */
#define EXT_STATUS_MAX (128u << 10)

/* The sequence number of the most recently modified "<N>.settings" in dir (what the agents do
 * when they are not told the number): 0 and *seq, or IB_E_NOTFOUND when there is none. */
int ext_newest_settings(const char *dir, long *seq);
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
