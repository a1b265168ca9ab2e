/* Windows files of the install state and lock: %ProgramData%\ibpack\{state.json,lock},
 * <root>\ProgramData\ibpack for a mounted image, or an explicit state folder. */
#include "state.h"

#include "../base/err.h"
#include "../base/fileio.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The lock is a byte range far past the holder text, so the text stays readable while locked
 * (Windows byte-range locks are mandatory). */
#define LOCK_OFFSET_HIGH 0x100u

static int make_dir(const char *dir)
{
	/* SYSTEM, Administrators and the creating owner write; users read. */
	static const wchar_t sddl[] = L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;OW)(A;OICI;FRFX;;;BU)";
	SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, FALSE};
	wchar_t *w = ib_win_long_path(dir);
	int rc = 0;

	if (!w)
		return ib_fail(-errno, "bad path '%s'", dir);
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sa.lpSecurityDescriptor,
								  NULL))
		sa.lpSecurityDescriptor = NULL;
	if (!CreateDirectoryW(w, sa.lpSecurityDescriptor ? &sa : NULL)) {
		if (GetLastError() != ERROR_ALREADY_EXISTS)
			rc = ib_win_fail("cannot create the install state folder", dir);
		else if (!ib_win_trusted_dir(w))
			rc = ib_fail(-EACCES,
				     "the install state folder '%s' is a link or is not owned by SYSTEM, "
				     "Administrators or this user: remove it",
				     dir);
	}
	LocalFree(sa.lpSecurityDescriptor);
	free(w);
	return rc;
}

int state_plat_dir(const char *root, int create, char *dir, size_t size)
{
	char base[IB_PATH_MAX];
	size_t n;
	int rc;

	if (root && *root) {
		if (ib_snprintf(base, sizeof(base), "%s", root))
			return ib_fail(-ENAMETOOLONG, "root path too long");
		for (n = strlen(base); n > 0 && (base[n - 1] == '\\' || base[n - 1] == '/'); n--)
			base[n - 1] = '\0';
		if (ib_snprintf(dir, size, "%s\\ProgramData", base))
			return ib_fail(-ENAMETOOLONG, "state path too long");
		if (create) {
			/* The image's own folder: created if missing, its ownership is the image's business. */
			wchar_t *w = ib_win_long_path(dir);

			if (!w)
				return -ENOMEM;
			rc = CreateDirectoryW(w, NULL) || GetLastError() == ERROR_ALREADY_EXISTS
				     ? 0
				     : ib_win_fail("cannot create", dir);
			free(w);
			if (rc)
				return rc;
		}
	} else {
		wchar_t w[MAX_PATH + 1], windir[MAX_PATH + 1];
		DWORD got = GetEnvironmentVariableW(L"ProgramData", w, IB_ARRAY_LEN(w));
		char *u;

		if (got == 0 || got >= IB_ARRAY_LEN(w)) {
			if (GetSystemWindowsDirectoryW(windir, MAX_PATH) < 2)
				return ib_fail(-ENOENT, "cannot find the ProgramData folder");
			_snwprintf(w, IB_ARRAY_LEN(w), L"%lc:\\ProgramData", windir[0]);
			w[IB_ARRAY_LEN(w) - 1] = L'\0';
		}
		u = ib_win_utf8(w);
		if (!u)
			return -ENOMEM;
		rc = ib_snprintf(dir, size, "%s", u);
		free(u);
		if (rc)
			return ib_fail(-ENAMETOOLONG, "state path too long");
	}
	n = strlen(dir);
	if (ib_snprintf(dir + n, size - n, "\\ibpack"))
		return ib_fail(-ENAMETOOLONG, "state path too long");
	return create ? make_dir(dir) : 0;
}

int state_plat_own_dir(const char *dir, int create, char *out, size_t size)
{
	wchar_t *w;
	DWORD attr;
	int trusted;

	if (ib_snprintf(out, size, "%s", dir))
		return ib_fail(-ENAMETOOLONG, "state folder path too long");
	if (create)
		return make_dir(out); /* created protected, or checked like the default folder */
	if (!(w = ib_win_long_path(dir)))
		return ib_fail(-errno, "bad path '%s'", dir);
	attr = GetFileAttributesW(w);
	trusted = attr == INVALID_FILE_ATTRIBUTES || ib_win_trusted_dir(w);
	free(w);
	/* A missing folder holds no record yet; an existing one must be as safe as the default. */
	return trusted ? 0
		       : ib_fail(-EACCES,
				 "the install state folder '%s' is a link or is not owned by SYSTEM, "
				 "Administrators or this user: remove it",
				 dir);
}

int state_plat_rename(const char *from, const char *to)
{
	wchar_t *wf = ib_win_long_path(from), *wt = ib_win_long_path(to);
	int rc = 0;

	if (!wf || !wt || !MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING))
		rc = wf && wt ? ib_win_errno(GetLastError()) : -ENOMEM;
	free(wf);
	free(wt);
	return rc;
}

int state_plat_trylock(const char *path, const char *bundle, struct stub_lock *l, char *holder, size_t hsize)
{
	wchar_t *w = ib_win_long_path(path);
	OVERLAPPED ov;
	char text[256], ts[32];
	HANDLE h;
	DWORD n;
	int len;

	if (!w)
		return -ENOMEM;
	/* Not inheritable: installers and what they leave running never hold it. */
	h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS,
			FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return ib_win_fail("cannot open the install lock", path);
	memset(&ov, 0, sizeof(ov));
	ov.OffsetHigh = LOCK_OFFSET_HIGH;
	if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov)) {
		DWORD e = GetLastError();

		if (e == ERROR_LOCK_VIOLATION || e == ERROR_IO_PENDING) {
			if (ReadFile(h, holder, (DWORD)hsize - 1, &n, NULL))
				holder[n] = '\0';
			holder[strcspn(holder, "\r\n")] = '\0';
			CloseHandle(h);
			return IB_E_LOCKED;
		}
		CloseHandle(h);
		return ib_fail(ib_win_errno(e), "cannot lock '%s': %s", path, ib_win_strerror(e));
	}
	ib_format_utc((int64_t)time(NULL), ts, sizeof(ts));
	len = snprintf(text, sizeof(text), "pid %lu (bundle '%s', since %s)\r\n", (unsigned long)GetCurrentProcessId(),
		       bundle ? bundle : "?", ts);
	/* Who holds it is only information for the next run's message. */
	if (len > 0 && SetEndOfFile(h))
		(void)WriteFile(h, text, (DWORD)len < sizeof(text) ? (DWORD)len : (DWORD)sizeof(text) - 1, &n, NULL);
	l->handle = (intptr_t)h;
	return 0;
}

void state_plat_unlock(struct stub_lock *l)
{
	HANDLE h = (HANDLE)l->handle;
	LARGE_INTEGER zero = {.QuadPart = 0};

	if (SetFilePointerEx(h, zero, NULL, FILE_BEGIN))
		(void)SetEndOfFile(h);
	CloseHandle(h); /* releases the range lock */
}

void state_plat_sleep_ms(unsigned ms)
{
	Sleep(ms);
}
