/* One error space for library code: 0 or a negative code (-errno or IB_E_*), plus a detail. */
#ifndef IBPACK_ERR_H
#define IBPACK_ERR_H

#include <stdarg.h>

/* mingw's "printf" format archetype is Microsoft's, which lacks %zu; the Windows stub is built
 * with mingw's C99 printf (__USE_MINGW_ANSI_STDIO), which gnu_printf describes. */
#ifdef __MINGW32__
#define IB_PRINTF_FMT gnu_printf
#else
#define IB_PRINTF_FMT printf
#endif

/* Project codes sit below -1000 so they never collide with -errno values. */
enum ib_error {
	IB_OK = 0,
	IB_E_USAGE = -1001,              /* bad arguments */
	IB_E_FORMAT = -1002,             /* malformed bundle structure (footer, block, manifest) */
	IB_E_TRUNCATED = -1003,          /* file shorter than its structures claim */
	IB_E_INTEGRITY = -1004,          /* a hash does not match the signed manifest */
	IB_E_SIGNATURE = -1005,          /* a signature does not verify */
	IB_E_UNTRUSTED = -1006,          /* no valid signature from a trusted key */
	IB_E_SPEC = -1007,               /* invalid bundle spec */
	IB_E_UNSAFE = -1008,             /* hostile archive entry (path, link, device, setuid) */
	IB_E_LIMIT = -1009,              /* more files or bytes than declared */
	IB_E_ARCHIVE = -1010,            /* the archive library failed */
	IB_E_CRYPTO = -1011,             /* the crypto library failed */
	IB_E_KEY = -1012,                /* unusable or unsupported key */
	IB_E_NOTFOUND = -1013,           /* named thing does not exist */
	IB_E_NODEVICE = -1014,           /* no InfiniBand device detected */
	IB_E_UNSUPPORTED_OS = -1015,     /* no package for this OS */
	IB_E_INSTALLER = -1016,          /* installer exited with a failure code */
	IB_E_TIMEOUT = -1017,            /* installer ran past its timeout */
	IB_E_INTERRUPTED = -1018,        /* SIGINT/SIGTERM received */
	IB_E_ROLLBACK = -1019,           /* bundle older than the installed one */
	IB_E_LOCKED = -1020,             /* another ibpack run holds the lock */
	IB_E_MISMATCH = -1021,           /* target or stub does not fit */
	IB_E_UNSUPPORTED_KERNEL = -1022, /* packages for this OS and NIC, none for this kernel */
};

/* Records a formatted detail for the current thread and returns code, so callers can write
 * `return ib_fail(IB_E_FORMAT, "footer magic missing");`. */
int ib_fail(int code, const char *fmt, ...) __attribute__((format(IB_PRINTF_FMT, 2, 3)));
int ib_vfail(int code, const char *fmt, va_list ap) __attribute__((format(IB_PRINTF_FMT, 2, 0)));

/* Prefixes the current detail with more context ("package 'x': " + old detail). */
int ib_fail_ctx(int code, const char *fmt, ...) __attribute__((format(IB_PRINTF_FMT, 2, 3)));

/* Turns the failure rc (its detail kept) into IB_E_USAGE prefixed with what ("--trust: 'k.key':
 * not a public key"): a file given to an option that cannot be used is a usage error. */
int ib_usage_error(int rc, const char *what);

/* The last detail recorded on this thread, or the generic text for code when none. */
const char *ib_errmsg(int code);

/* Generic text for a code, without the recorded detail. */
const char *ib_strerror(int code);

void ib_err_clear(void);

/* 1 for the codes that mean "this bundle is invalid" (format, truncation, integrity, signature,
 * trust, wrong target): one class for ibpack's exit 2 and the stub's. */
int ib_err_is_invalid_bundle(int code);

#endif
