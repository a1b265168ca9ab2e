/* Windows services of the extension handler mode: settings lookup, atomic status files and the
 * detached worker process that finishes a long enable after the handler has returned. */
#include "extension.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/fileio.h"
#include "../base/util.h"

#include <windows.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define WORKER_ENV L"IBPACK_EXT_WORKER"

int ext_newest_settings(const char *dir, long *seq)
{
	char pattern[IB_PATH_MAX];
	wchar_t *w;
	WIN32_FIND_DATAW fd;
	FILETIME best = {0, 0};
	HANDLE h;
	int found = 0;

	if (ib_snprintf(pattern, sizeof(pattern), "%s\\*.settings", dir) || !(w = ib_win_long_path(pattern)))
		return ib_fail(-ENAMETOOLONG, "settings folder path too long");
	h = FindFirstFileW(w, &fd);
	free(w);
	if (h == INVALID_HANDLE_VALUE) {
		DWORD e = GetLastError();

		if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
			return IB_E_NOTFOUND;
		return ib_fail(ib_win_errno(e), "cannot read the settings folder '%s': %s", dir, ib_win_strerror(e));
	}
	do {
		size_t digits = wcsspn(fd.cFileName, L"0123456789");
		long n;
		char num[16];
		LONG cmp;

		/* Only "<N>.settings": the multi-config "<name>.<N>.settings" is not for this handler. */
		if (digits == 0 || digits >= sizeof(num) || _wcsicmp(fd.cFileName + digits, L".settings") ||
		    (fd.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)))
			continue;
		for (size_t i = 0; i < digits; i++)
			num[i] = (char)fd.cFileName[i];
		num[digits] = '\0';
		if (ib_parse_int(num, 0, 2147483647L, &n))
			continue;
		cmp = CompareFileTime(&fd.ftLastWriteTime, &best);
		if (!found || cmp > 0 || (cmp == 0 && n > *seq)) {
			best = fd.ftLastWriteTime;
			*seq = n;
			found = 1;
		}
	} while (FindNextFileW(h, &fd));
	FindClose(h);
	return found ? 0 : IB_E_NOTFOUND;
}

int ext_append_line(const char *path, const char *line)
{
	wchar_t *w = ib_win_long_path(path);
	HANDLE h;
	DWORD n;
	int rc = 0;

	if (!w)
		return ib_fail(-ENAMETOOLONG, "path too long: '%s'", path);
	h = CreateFileW(w, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS,
			FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return ib_win_fail("cannot open", path);
	if (!WriteFile(h, line, (DWORD)strlen(line), &n, NULL) || !WriteFile(h, "\r\n", 2, &n, NULL))
		rc = ib_win_fail("cannot write", path);
	CloseHandle(h);
	return rc;
}

/* A handle on the log for the worker's stdout and stderr, inheritable, or NULL. */
static HANDLE open_log(const char *log_path)
{
	SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, TRUE};
	wchar_t *w = log_path && *log_path ? ib_win_wide(log_path) : NULL;
	HANDLE h;

	if (!w)
		return NULL;
	h = CreateFileW(w, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_ALWAYS,
			FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	return h == INVALID_HANDLE_VALUE ? NULL : h;
}

/* Starts the worker. Only the log handle is inherited (a handle list): the agent's pipes to the
 * handler must close when the handler exits, not when the worker does. */
static BOOL start_worker(wchar_t *self, wchar_t *cmd, HANDLE log, DWORD flags, PROCESS_INFORMATION *pi)
{
	STARTUPINFOEXW si;
	SIZE_T size = 0;
	BOOL ok = FALSE, inherit = FALSE;

	memset(&si, 0, sizeof(si));
	si.StartupInfo.cb = sizeof(si.StartupInfo);
	if (log) {
		InitializeProcThreadAttributeList(NULL, 1, 0, &size);
		si.lpAttributeList = size ? malloc(size) : NULL;
		if (si.lpAttributeList && InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0, &size)) {
			if (UpdateProcThreadAttribute(si.lpAttributeList, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, &log,
						      sizeof(log), NULL, NULL)) {
				si.StartupInfo.cb = sizeof(si);
				si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
				si.StartupInfo.hStdOutput = si.StartupInfo.hStdError = log;
				flags |= EXTENDED_STARTUPINFO_PRESENT;
				inherit = TRUE;
			}
		}
	}
	ok = CreateProcessW(self, cmd, NULL, NULL, inherit, flags, NULL, NULL, &si.StartupInfo, pi);
	if (si.lpAttributeList) {
		if (inherit)
			DeleteProcThreadAttributeList(si.lpAttributeList);
		free(si.lpAttributeList);
	}
	return ok;
}

int ext_detach(const char *log_path, long seq)
{
	wchar_t self[32768], value[32], *cmd;
	const wchar_t *line = GetCommandLineW();
	DWORD n = GetModuleFileNameW(NULL, self, IB_ARRAY_LEN(self));
	/* No console, a process group of its own, and out of the agent's job where that is
	 * allowed: the agent ends the job or the group of a handler that outlives its limit. */
	DWORD flags = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP;
	PROCESS_INFORMATION pi;
	HANDLE log;
	BOOL ok;

	if (n == 0 || n >= IB_ARRAY_LEN(self))
		return ib_fail(-ENAMETOOLONG, "cannot find the running executable");
	/* The same command line (the same options) as this handler; CreateProcessW may write into it. */
	cmd = _wcsdup(line);
	if (!cmd)
		return -ENOMEM;
	_snwprintf(value, IB_ARRAY_LEN(value), L"%ld", seq);
	value[IB_ARRAY_LEN(value) - 1] = L'\0';
	SetEnvironmentVariableW(WORKER_ENV, value);
	log = open_log(log_path);
	ok = start_worker(self, cmd, log, flags | CREATE_BREAKAWAY_FROM_JOB, &pi);
	if (!ok && GetLastError() == ERROR_ACCESS_DENIED)
		ok = start_worker(self, cmd, log, flags, &pi); /* the job forbids breaking away */
	SetEnvironmentVariableW(WORKER_ENV, NULL);
	free(cmd);
	if (log)
		CloseHandle(log);
	if (!ok) {
		DWORD e = GetLastError();

		return ib_fail(ib_win_errno(e), "cannot start the detached process: %s", ib_win_strerror(e));
	}
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	return 0;
}

int ext_is_worker(long seq)
{
	wchar_t value[32], want[32];
	DWORD n = GetEnvironmentVariableW(WORKER_ENV, value, IB_ARRAY_LEN(value));

	if (n == 0 || n >= IB_ARRAY_LEN(value))
		return 0;
	/* The installer must not inherit it. */
	SetEnvironmentVariableW(WORKER_ENV, NULL);
	_snwprintf(want, IB_ARRAY_LEN(want), L"%ld", seq);
	want[IB_ARRAY_LEN(want) - 1] = L'\0';
	return !wcscmp(value, want);
}
