/* Windows file primitives: whole-file reads, atomic replacement, trusted-directory checks. */
#include "fs.h"

#include "err.h"
#include "fileio.h"
#include "util.h"

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ib_read_file(const char *path, size_t max, int flags, char **data, size_t *len)
{
	wchar_t *w = ib_win_long_path(path);
	LARGE_INTEGER size;
	char *buf = NULL;
	size_t got = 0;
	HANDLE h;
	int rc = 0;

	*data = NULL;
	if (len)
		*len = 0;
	if (!w)
		return -errno;
	/* A reparse point is opened as itself (and then is no regular file): never followed. */
	h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
			(flags & IB_READ_NOFOLLOW) ? FILE_FLAG_OPEN_REPARSE_POINT : 0, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE) {
		DWORD e = GetLastError();

		if (flags & IB_READ_QUIET)
			return ib_win_errno(e);
		return ib_fail(ib_win_errno(e), "cannot read '%s': %s", path, ib_win_strerror(e));
	}
	if (GetFileType(h) != FILE_TYPE_DISK)
		rc = -EINVAL;
	else if (!GetFileSizeEx(h, &size))
		rc = ib_win_errno(GetLastError());
	else if ((uint64_t)size.QuadPart > max)
		rc = -EFBIG;
	else if (!(buf = malloc((size_t)size.QuadPart + 1)))
		rc = -ENOMEM;
	while (!rc && got < (size_t)size.QuadPart) {
		DWORD n;

		if (!ReadFile(h, buf + got, (DWORD)((size_t)size.QuadPart - got), &n, NULL)) {
			rc = ib_win_errno(GetLastError());
			break;
		}
		if (n == 0)
			break;
		got += n;
	}
	CloseHandle(h);
	if (rc) {
		free(buf);
		if (flags & IB_READ_QUIET)
			return rc;
		if (rc == -EFBIG)
			return ib_fail(rc, "'%s' is larger than %zu bytes", path, max);
		return ib_fail(rc, "cannot read '%s': %s", path, strerror(-rc));
	}
	buf[got] = '\0';
	*data = buf;
	if (len)
		*len = got;
	return 0;
}

int ib_atomic_begin(struct ib_atomic_file *a, const char *path, unsigned mode)
{
	wchar_t *w;

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->handle = INVALID_HANDLE_VALUE;
	a->mode = mode;
	if (ib_snprintf(a->path, sizeof(a->path), "%s", path) ||
	    ib_snprintf(a->tmp, sizeof(a->tmp), "%s.tmp.%lx%llx", path, (unsigned long)GetCurrentProcessId(),
			(unsigned long long)GetTickCount64())) {
		a->tmp[0] = '\0';
		return ib_fail(-ENAMETOOLONG, "path too long: '%s'", path);
	}
	w = ib_win_long_path(a->tmp);
	if (!w)
		return ib_fail(-ENAMETOOLONG, "path too long: '%s'", path);
	/* CREATE_NEW: nothing that exists (a planted link included) is opened. */
	a->handle = CreateFileW(w, GENERIC_WRITE | DELETE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	if (a->handle == INVALID_HANDLE_VALUE) {
		int rc = ib_win_fail("cannot create", a->tmp);

		a->tmp[0] = '\0';
		return rc;
	}
	return 0;
}

int ib_atomic_write(struct ib_atomic_file *a, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		DWORD n = 0;

		if (!WriteFile(a->handle, p, len > (1u << 30) ? (1u << 30) : (DWORD)len, &n, NULL))
			return ib_win_fail("cannot write", a->tmp);
		if (n == 0)
			return ib_fail(-EIO, "cannot write '%s': no progress", a->tmp);
		p += n;
		len -= n;
	}
	return 0;
}

int ib_atomic_commit(struct ib_atomic_file *a)
{
	wchar_t *wt, *wp;
	int rc = 0;

	if (a->handle == INVALID_HANDLE_VALUE)
		return ib_fail(-EBADF, "'%s' is not open for writing", a->path);
	if (!FlushFileBuffers(a->handle))
		rc = ib_win_fail("cannot write", a->tmp);
	CloseHandle(a->handle);
	a->handle = INVALID_HANDLE_VALUE;
	wt = ib_win_long_path(a->tmp);
	wp = ib_win_long_path(a->path);
	/* One step, written through: a reader sees the old file or the new one. */
	if (!rc && (!wt || !wp || !MoveFileExW(wt, wp, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)))
		rc = wt && wp ? ib_win_fail("cannot replace", a->path) : -ENOMEM;
	free(wt);
	free(wp);
	if (rc) {
		ib_atomic_abort(a);
		return rc;
	}
	a->tmp[0] = '\0';
	return 0;
}

void ib_atomic_abort(struct ib_atomic_file *a)
{
	if (a->handle && a->handle != INVALID_HANDLE_VALUE)
		CloseHandle(a->handle);
	a->handle = INVALID_HANDLE_VALUE;
	if (a->tmp[0]) {
		wchar_t *w = ib_win_long_path(a->tmp);

		if (w)
			DeleteFileW(w);
		free(w);
	}
	a->tmp[0] = '\0';
}

void *ib_win_token_user(void)
{
	HANDLE tok;
	DWORD len = 0;
	TOKEN_USER *tu;
	PSID sid = NULL;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return NULL;
	GetTokenInformation(tok, TokenUser, NULL, 0, &len);
	tu = len ? malloc(len) : NULL;
	if (tu && GetTokenInformation(tok, TokenUser, tu, len, &len)) {
		DWORD n = GetLengthSid(tu->User.Sid);

		sid = malloc(n);
		if (sid && !CopySid(n, sid, tu->User.Sid)) {
			free(sid);
			sid = NULL;
		}
	}
	free(tu);
	CloseHandle(tok);
	return sid;
}

int ib_win_trusted_dir(const wchar_t *path)
{
	HANDLE h = CreateFileW(path, READ_CONTROL | FILE_READ_ATTRIBUTES,
			       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
			       FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	BY_HANDLE_FILE_INFORMATION info;
	PSECURITY_DESCRIPTOR sd = NULL;
	PSID owner = NULL, user;
	int ok = 0;

	if (h == INVALID_HANDLE_VALUE)
		return 0;
	if (GetFileInformationByHandle(h, &info) && (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
	    !(info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) &&
	    GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner, NULL, NULL, NULL, &sd) ==
		    ERROR_SUCCESS &&
	    owner) {
		wchar_t *s = NULL;

		ok = IsWellKnownSid(owner, WinLocalSystemSid) || IsWellKnownSid(owner, WinBuiltinAdministratorsSid);
		if (!ok && ConvertSidToStringSidW(owner, &s)) {
			/* NT SERVICE\TrustedInstaller owns most of the system drive's folders. */
			ok = !wcscmp(s, L"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464");
			LocalFree(s);
		}
		if (!ok && (user = ib_win_token_user())) {
			ok = EqualSid(owner, user);
			free(user);
		}
	}
	LocalFree(sd);
	CloseHandle(h);
	return ok;
}
