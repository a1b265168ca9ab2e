/* The error space: generic texts for codes and a per-thread detail message. */
#include "err.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char detail[1024];
static _Thread_local int detail_code;

const char *ib_strerror(int code)
{
	switch (code) {
	case IB_OK: return "success";
	case IB_E_USAGE: return "invalid usage";
	case IB_E_FORMAT: return "malformed bundle";
	case IB_E_TRUNCATED: return "bundle is truncated";
	case IB_E_INTEGRITY: return "integrity check failed";
	case IB_E_SIGNATURE: return "signature does not verify";
	case IB_E_UNTRUSTED: return "not signed by a trusted key";
	case IB_E_SPEC: return "invalid bundle spec";
	case IB_E_UNSAFE: return "unsafe archive entry";
	case IB_E_LIMIT: return "archive exceeds its declared size";
	case IB_E_ARCHIVE: return "archive error";
	case IB_E_CRYPTO: return "cryptographic library error";
	case IB_E_KEY: return "unusable key";
	case IB_E_NOTFOUND: return "not found";
	case IB_E_NODEVICE: return "no InfiniBand device found";
	case IB_E_UNSUPPORTED_OS: return "operating system not supported by this bundle";
	case IB_E_UNSUPPORTED_KERNEL: return "no package of this bundle fits the running kernel";
	case IB_E_INSTALLER: return "installer failed";
	case IB_E_TIMEOUT: return "installer timed out";
	case IB_E_INTERRUPTED: return "interrupted";
	case IB_E_ROLLBACK: return "bundle is older than the installed one";
	case IB_E_LOCKED: return "another ibpack run is in progress";
	case IB_E_MISMATCH: return "mismatch";
	default:
		if (code < 0 && code > -1000)
			return strerror(-code);
		return "unknown error";
	}
}

int ib_vfail(int code, const char *fmt, va_list ap)
{
	if (vsnprintf(detail, sizeof(detail), fmt, ap) < 0)
		detail[0] = '\0';
	detail_code = code;
	return code;
}

int ib_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ib_vfail(code, fmt, ap);
	va_end(ap);
	return code;
}

int ib_fail_ctx(int code, const char *fmt, ...)
{
	char prefix[512], old[sizeof(detail)];
	va_list ap;

	snprintf(old, sizeof(old), "%s", detail_code == code && detail[0] ? detail : ib_strerror(code));
	va_start(ap, fmt);
	if (vsnprintf(prefix, sizeof(prefix), fmt, ap) < 0)
		prefix[0] = '\0';
	va_end(ap);
	if (snprintf(detail, sizeof(detail), "%s%s", prefix, old) < 0) /* truncation is fine */
		detail[0] = '\0';
	detail_code = code;
	return code;
}

int ib_usage_error(int rc, const char *what)
{
	char old[sizeof(detail)];

	snprintf(old, sizeof(old), "%s", ib_errmsg(rc));
	return ib_fail(IB_E_USAGE, "%s: %s", what, old);
}

const char *ib_errmsg(int code)
{
	if (detail_code == code && detail[0])
		return detail;
	return ib_strerror(code);
}

void ib_err_clear(void)
{
	detail[0] = '\0';
	detail_code = 0;
}

int ib_err_is_invalid_bundle(int code)
{
	switch (code) {
	case IB_E_FORMAT:
	case IB_E_TRUNCATED:
	case IB_E_INTEGRITY:
	case IB_E_SIGNATURE:
	case IB_E_UNTRUSTED:
	case IB_E_MISMATCH: return 1;
	default: return 0;
	}
}
