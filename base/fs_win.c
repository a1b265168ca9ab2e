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

/* SYSTEM, Administrators, NT SERVICE\TrustedInstaller (which owns most of the system drive's
 * folders) and the user this process runs as. */
static int trusted_sid(PSID sid, PSID user)
{
	wchar_t *s = NULL;
	int ok = IsWellKnownSid(sid, WinLocalSystemSid) || IsWellKnownSid(sid, WinBuiltinAdministratorsSid) ||
		 (user && EqualSid(sid, user));

	if (!ok && ConvertSidToStringSidW(sid, &s)) {
		ok = !wcscmp(s, L"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464");
		LocalFree(s);
	}
	return ok;
}

/* "Everyone (S-1-1-0)" or the bare SID string, for messages. */
static void sid_name(PSID sid, char *buf, size_t size)
{
	static const struct {
		WELL_KNOWN_SID_TYPE type;
		const char *name;
	} known[] = {
		{WinWorldSid, "Everyone"},
		{WinBuiltinUsersSid, "Users"},
		{WinAuthenticatedUserSid, "Authenticated Users"},
		{WinAnonymousSid, "Anonymous Logon"},
		{WinCreatorOwnerSid, "CREATOR OWNER"},
	};
	const char *name = NULL;
	wchar_t *s = NULL;
	char *u = NULL;

	for (size_t i = 0; i < IB_ARRAY_LEN(known) && !name; i++)
		if (IsWellKnownSid(sid, known[i].type))
			name = known[i].name;
	if (ConvertSidToStringSidW(sid, &s))
		u = ib_win_utf8(s);
	LocalFree(s);
	if (ib_snprintf(buf, size, "%s%s%s%s", name ? name : "", name ? " (" : "", u ? u : "an unknown SID",
			name ? ")" : ""))
		buf[0] = '\0';
	free(u);
}

int ib_win_sd_trusted(void *sd, void *user, char *why, size_t size)
{
	/* Rights that let their holder rename or delete the folder or what is in it, or give
	 * themselves those rights. Writing (adding files and folders, attributes, EAs) is not among
	 * them: NTFS lets only who may delete an entry rename it, and Windows grants Users exactly
	 * that writing on C:\ProgramData and %SystemRoot%\Temp. */
	const DWORD unsafe = DELETE | FILE_DELETE_CHILD | WRITE_DAC | WRITE_OWNER;
	GENERIC_MAPPING files = {FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS};
	BOOL present = FALSE, defaulted = FALSE;
	PSID owner = NULL;
	PACL dacl = NULL;
	char who[128];

	if (!GetSecurityDescriptorOwner(sd, &owner, &defaulted) || !owner) {
		ib_snprintf(why, size, "it has no owner");
		return 0;
	}
	if (!trusted_sid(owner, user)) {
		sid_name(owner, who, sizeof(who));
		ib_snprintf(why, size, "it is owned by %s, who can change its access rights", who);
		return 0;
	}
	if (!GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) || !present || !dacl) {
		ib_snprintf(why, size, "it has no access control list (a NULL DACL lets everyone write)");
		return 0;
	}
	for (DWORD i = 0; i < dacl->AceCount; i++) {
		ACE_HEADER *h;
		ACCESS_ALLOWED_ACE *a;
		DWORD mask;

		if (!GetAce(dacl, i, (void **)&h)) {
			ib_snprintf(why, size, "its access control list cannot be read");
			return 0;
		}
		/* Deny ACEs only take rights away; inherit-only ones apply to what is created below. */
		if ((h->AceType != ACCESS_ALLOWED_ACE_TYPE && h->AceType != ACCESS_ALLOWED_CALLBACK_ACE_TYPE) ||
		    (h->AceFlags & INHERIT_ONLY_ACE))
			continue;
		a = (ACCESS_ALLOWED_ACE *)h;
		mask = a->Mask;
		MapGenericMask(&mask, &files); /* GENERIC_ALL is FILE_ALL_ACCESS: DELETE and the rest */
		if ((mask & unsafe) && !trusted_sid((PSID)&a->SidStart, user)) {
			sid_name((PSID)&a->SidStart, who, sizeof(who));
			ib_snprintf(why, size,
				    "%s may rename, delete or re-permission what is in it (access mask 0x%lx)", who,
				    (unsigned long)a->Mask);
			return 0;
		}
	}
	return 1;
}

int ib_win_dir_check(const wchar_t *path, char *why, size_t size)
{
	HANDLE h = CreateFileW(path, READ_CONTROL | FILE_READ_ATTRIBUTES,
			       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
			       FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	BY_HANDLE_FILE_INFORMATION info;
	PSECURITY_DESCRIPTOR sd = NULL;
	PSID user;
	char spare[8];
	int ok = 0;

	if (!why) {
		why = spare;
		size = sizeof(spare);
	}
	if (h == INVALID_HANDLE_VALUE) {
		ib_snprintf(why, size, "it cannot be opened: %s", ib_win_strerror(GetLastError()));
		return 0;
	}
	if (!GetFileInformationByHandle(h, &info) || !(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
		ib_snprintf(why, size, "it is not a directory");
	else if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
		ib_snprintf(why, size, "it is a reparse point (a link or junction)");
	else if (GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, NULL, NULL,
				 NULL, NULL, &sd) != ERROR_SUCCESS)
		ib_snprintf(why, size, "its access rights cannot be read");
	else if (!(user = ib_win_token_user()))
		ib_snprintf(why, size, "the user this process runs as is unknown");
	else {
		ok = ib_win_sd_trusted(sd, user, why, size);
		free(user);
	}
	LocalFree(sd);
	CloseHandle(h);
	return ok;
}

int ib_win_trusted_dir(const wchar_t *path)
{
	return ib_win_dir_check(path, NULL, 0);
}
