/* The stub's exit codes, kept compatible with the InfiniBandDriverLinux/Windows extensions. */
#ifndef IBPACK_EXITCODE_H
#define IBPACK_EXITCODE_H

enum ib_exit {
	IB_EXIT_OK = 0,
	IB_EXIT_USAGE = 1,
	IB_EXIT_INTEGRITY = 2,           /* bundle integrity or signature failure */
	IB_EXIT_NODEVICE = 11,           /* Linux: no (supported) InfiniBand device */
	IB_EXIT_UNSUPPORTED_OS = 12,     /* Linux: OS not supported by this bundle */
	IB_EXIT_FAILED = 14,             /* Linux: installer or extraction failed */
	IB_EXIT_ROLLBACK = 15,           /* bundle older than the installed one (no --allow-downgrade) */
	IB_EXIT_LOCKED = 16,             /* another ibpack run holds the lock */
	IB_EXIT_WIN_NOT_SUPPORTED = 100, /* Windows: not supported, or the operation failed */
	IB_EXIT_TIMEOUT = 240,
	IB_EXIT_WIN_REBOOT = 3010, /* Windows: success, reboot required */
	IB_EXIT_WIN_UNEXPECTED = -1,
};

/* Maps a library error to the exit code of a stub for target (IB_TARGET_*). */
int ib_exit_code(int err, int target);
/* Why a run ended with err, as one word for the JSON result, the log and the event log:
 * "no_device", "os_unsupported", "kernel_unsupported", "installer_failed", "timeout", "integrity" (signature,
 * hashes, or a package entry refused as unsafe), "downgrade_refused", "locked", "usage",
 * "interrupted" or "error" (I/O, memory); NULL for success. */
const char *ib_exit_reason(int err);

#endif
