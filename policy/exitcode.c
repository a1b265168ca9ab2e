/* The stub's exit codes, kept compatible with the InfiniBandDriverLinux/Windows extensions. */
#include "exitcode.h"

#include "../base/err.h"
#include "../format/manifest.h"

int ib_exit_code(int err, int target)
{
	int win = target == IB_TARGET_WINDOWS_X86_64;

	if (ib_err_is_invalid_bundle(err))
		return IB_EXIT_INTEGRITY;
	switch (err) {
	case IB_OK: return IB_EXIT_OK;
	case IB_E_USAGE: return IB_EXIT_USAGE;
	case IB_E_NODEVICE: return win ? IB_EXIT_WIN_NOT_SUPPORTED : IB_EXIT_NODEVICE;
	case IB_E_UNSUPPORTED_OS:
	case IB_E_UNSUPPORTED_KERNEL: /* the extension's "OS not supported": a kernel is part of it */
		return win ? IB_EXIT_WIN_NOT_SUPPORTED : IB_EXIT_UNSUPPORTED_OS;
	case IB_E_TIMEOUT: return IB_EXIT_TIMEOUT;
	/* Windows has no code of its own for these in InfiniBandDriverWindows: 100 is "could not be
	 * completed"; the message and the JSON result say which (docs/SECURITY.md). */
	case IB_E_ROLLBACK: return win ? IB_EXIT_WIN_NOT_SUPPORTED : IB_EXIT_ROLLBACK;
	case IB_E_LOCKED: return win ? IB_EXIT_WIN_NOT_SUPPORTED : IB_EXIT_LOCKED;
	case IB_E_INSTALLER:
	case IB_E_UNSAFE:
	case IB_E_LIMIT:
	case IB_E_ARCHIVE: return win ? IB_EXIT_WIN_NOT_SUPPORTED : IB_EXIT_FAILED;
	default:
		/* I/O errors, interruption, out of memory: the operation could not be completed. */
		return win ? IB_EXIT_WIN_UNEXPECTED : IB_EXIT_FAILED;
	}
}

const char *ib_exit_reason(int err)
{
	if (ib_err_is_invalid_bundle(err))
		return "integrity";
	switch (err) {
	case IB_OK: return NULL;
	case IB_E_USAGE: return "usage";
	case IB_E_UNSAFE:
	case IB_E_LIMIT:
	case IB_E_ARCHIVE: return "integrity";
	case IB_E_NODEVICE: return "no_device";
	case IB_E_UNSUPPORTED_OS: return "os_unsupported";
	case IB_E_UNSUPPORTED_KERNEL: return "kernel_unsupported";
	case IB_E_INSTALLER: return "installer_failed";
	case IB_E_TIMEOUT: return "timeout";
	case IB_E_ROLLBACK: return "downgrade_refused";
	case IB_E_LOCKED: return "locked";
	case IB_E_INTERRUPTED: return "interrupted";
	default: return "error";
	}
}
