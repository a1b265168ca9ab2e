/* SIGINT, SIGTERM and SIGHUP during a command: no temp file or partial output is left behind. */
#ifndef IBPACK_INTERRUPT_H
#define IBPACK_INTERRUPT_H

#include <signal.h>

/* The signal that interrupted the command, or 0. */
extern volatile sig_atomic_t cli_interrupted;

/* Installs the handlers. With a tmp path, the handler removes that file and ends the process
 * by the same signal at once (work on a temp file needs no other cleanup); without one, it
 * only sets cli_interrupted, for work that stops between steps and cleans up itself. */
void cli_interrupt_arm(const char *tmp);
/* ib_atomic_begin for path, armed with its temp file. The signals stay blocked from before the
 * temp file exists until the handler knows its name, so none can leave it behind. */
struct ib_atomic_file;
int cli_atomic_begin(struct ib_atomic_file *a, const char *path, unsigned mode);
/* The temp file was renamed into place or removed: a signal now ends the process plainly. */
void cli_interrupt_disarm(void);
/* When a signal arrived: restores its default action and raises it again, so the caller's
 * shell sees the command killed by it (exit 130 for SIGINT, 143 for SIGTERM). */
void cli_interrupt_finish(void);

#endif
