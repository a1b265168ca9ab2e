/* Windows implementation of positioned, read-only bundle file access, plus the UTF-8/UTF-16 and
 * error helpers every Windows file of ibpack uses. */
#include "fileio.h"

#include "err.h"
#include "util.h"

#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

wchar_t *ib_win_wide(const char *utf8)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
	wchar_t *w;

	if (n <= 0) {
		errno = EILSEQ;
		return NULL;
	}
	w = malloc((size_t)n * sizeof(wchar_t));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, w, n) != n) {
		free(w);
		errno = EILSEQ;
		return NULL;
	}
	return w;
}

char *ib_win_utf8(const wchar_t *wide)
{
	int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wide, -1, NULL, 0, NULL, NULL);
	char *s;

	if (n <= 0) {
		errno = EILSEQ;
		return NULL;
	}
	s = malloc((size_t)n);
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	if (WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wide, -1, s, n, NULL, NULL) != n) {
		free(s);
		errno = EILSEQ;
		return NULL;
	}
	return s;
}

wchar_t *ib_win_long_path(const char *utf8)
{
	wchar_t *w = ib_win_wide(utf8), *full, *out;
	const wchar_t *prefix = L"\\\\?\\";
	size_t skip = 0, plen, flen;
	DWORD n;

	if (!w)
		return NULL;
	/* Already in the literal namespace: nothing may be rewritten. */
	if (!wcsncmp(w, L"\\\\?\\", 4))
		return w;
	n = GetFullPathNameW(w, 0, NULL, NULL);
	if (n == 0 || !(full = malloc((size_t)n * sizeof(wchar_t)))) {
		free(w);
		errno = n ? ENOMEM : EINVAL;
		return NULL;
	}
	if (GetFullPathNameW(w, n, full, NULL) >= n) {
		free(w);
		free(full);
		errno = EINVAL;
		return NULL;
	}
	free(w);
	if (!wcsncmp(full, L"\\\\.\\", 4))
		return full; /* a device path: leave it to the caller's checks */
	if (full[0] == L'\\' && full[1] == L'\\') {
		prefix = L"\\\\?\\UNC\\";
		skip = 2;
	}
	plen = wcslen(prefix);
	flen = wcslen(full + skip);
	out = malloc((plen + flen + 1) * sizeof(wchar_t));
	if (!out) {
		free(full);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(out, prefix, plen * sizeof(wchar_t));
	memcpy(out + plen, full + skip, (flen + 1) * sizeof(wchar_t));
	free(full);
	return out;
}

const char *ib_win_strerror(unsigned long err)
{
	static _Thread_local char text[512];
	wchar_t wbuf[400];
	DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, err,
				 MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), wbuf, IB_ARRAY_LEN(wbuf), NULL);
	char *u;

	while (n && (wbuf[n - 1] == L'\r' || wbuf[n - 1] == L'\n' || wbuf[n - 1] == L'.' || wbuf[n - 1] == L' '))
		wbuf[--n] = L'\0';
	u = n ? ib_win_utf8(wbuf) : NULL;
	if (u)
		snprintf(text, sizeof(text), "%s (error %lu)", u, err);
	else
		snprintf(text, sizeof(text), "Windows error %lu", err);
	free(u);
	return text;
}

int ib_win_errno(unsigned long err)
{
	switch (err) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_INVALID_DRIVE:
	case ERROR_BAD_NETPATH: return -ENOENT;
	case ERROR_ACCESS_DENIED:
	case ERROR_PRIVILEGE_NOT_HELD: return -EACCES;
	case ERROR_SHARING_VIOLATION:
	case ERROR_LOCK_VIOLATION:
	case ERROR_USER_MAPPED_FILE: return -EBUSY;
	case ERROR_ALREADY_EXISTS:
	case ERROR_FILE_EXISTS: return -EEXIST;
	case ERROR_DIRECTORY: return -ENOTDIR;
	case ERROR_DIR_NOT_EMPTY: return -ENOTEMPTY;
	case ERROR_DISK_FULL:
	case ERROR_HANDLE_DISK_FULL: return -ENOSPC;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY: return -ENOMEM;
	case ERROR_FILENAME_EXCED_RANGE: return -ENAMETOOLONG;
	case ERROR_INVALID_NAME:
	case ERROR_INVALID_PARAMETER: return -EINVAL;
	default: return -EIO;
	}
}

static int open_wide(const wchar_t *wpath, const char *shown, struct ib_file *f)
{
	BY_HANDLE_FILE_INFORMATION info;
	LARGE_INTEGER size;
	HANDLE h;
	DWORD e;

	/* No FILE_SHARE_WRITE: while the handle is open nobody can change the bytes that were
	 * verified, and an open for writing by someone else makes this open fail instead. */
	h = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		e = GetLastError();
		if (e == ERROR_SHARING_VIOLATION)
			return ib_fail(-EBUSY, "cannot open '%s': another program has it open for writing", shown);
		return ib_fail(ib_win_errno(e), "cannot open '%s': %s", shown, ib_win_strerror(e));
	}
	if (GetFileType(h) != FILE_TYPE_DISK || !GetFileInformationByHandle(h, &info) ||
	    (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) || !GetFileSizeEx(h, &size) || size.QuadPart < 0) {
		CloseHandle(h);
		return ib_fail(-EINVAL, "'%s' is not a regular file", shown);
	}
	f->handle = h;
	f->size = (uint64_t)size.QuadPart;
	return 0;
}

int ib_file_open(const char *path, struct ib_file *f)
{
	wchar_t *w;
	int rc;

	f->fd = -1;
	f->handle = NULL;
	if (ib_snprintf(f->path, sizeof(f->path), "%s", path))
		return ib_fail(-ENAMETOOLONG, "path too long");
	w = ib_win_long_path(path);
	if (!w)
		return ib_fail(-errno, "cannot open '%s': not a valid path", path);
	rc = open_wide(w, path, f);
	free(w);
	return rc;
}

void ib_file_set_self_hint(const char *argv0)
{
	/* GetModuleFileNameW always knows the executable; argv[0] is never needed. */
	(void)argv0;
}

int ib_file_open_self(struct ib_file *f)
{
	DWORD cap = MAX_PATH, n;
	wchar_t *self = NULL;
	char *shown;
	int rc;

	f->fd = -1;
	f->handle = NULL;
	/* GetModuleFileNameW truncates silently: grow until the whole name fits. */
	for (;;) {
		wchar_t *bigger = realloc(self, cap * sizeof(wchar_t));

		if (!bigger) {
			free(self);
			return -ENOMEM;
		}
		self = bigger;
		n = GetModuleFileNameW(NULL, self, cap);
		if (n == 0) {
			DWORD e = GetLastError();

			free(self);
			return ib_fail(ib_win_errno(e), "cannot find the running executable: %s", ib_win_strerror(e));
		}
		if (n < cap)
			break;
		if (cap >= 32768) {
			free(self);
			return ib_fail(-ENAMETOOLONG, "the running executable's path is too long");
		}
		cap *= 2;
	}
	shown = ib_win_utf8(self);
	free(self);
	if (!shown)
		return ib_fail(-EILSEQ, "the running executable's path is not valid UTF-16");
	/* The same loader-independent open as any bundle: the stub hash and every package are
	 * checked against the manifest the embedded keys verify, so a swapped file cannot pass. */
	rc = ib_file_open(shown, f);
	free(shown);
	return rc;
}

int ib_file_pread(struct ib_file *f, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		DWORD want = len > (1u << 30) ? (1u << 30) : (DWORD)len, got = 0;
		OVERLAPPED ov;

		/* A synchronous handle with an OVERLAPPED offset is Windows' pread: no shared file
		 * pointer to move. */
		memset(&ov, 0, sizeof(ov));
		ov.Offset = (DWORD)off;
		ov.OffsetHigh = (DWORD)(off >> 32);
		if (!ReadFile(f->handle, p, want, &got, &ov)) {
			DWORD e = GetLastError();

			if (e != ERROR_HANDLE_EOF)
				return ib_fail(ib_win_errno(e), "reading '%s': %s", f->path, ib_win_strerror(e));
			got = 0;
		}
		if (got == 0)
			return ib_fail(IB_E_TRUNCATED, "'%s' ends early (truncated?)", f->path);
		p += got;
		len -= got;
		off += got;
	}
	return 0;
}

void ib_file_prefetch(struct ib_file *f, uint64_t off, uint64_t len)
{
	/* Windows' cache manager detects sequential reads by itself; nothing to hint per range. */
	(void)f;
	(void)off;
	(void)len;
}

void ib_file_close(struct ib_file *f)
{
	if (f->handle)
		CloseHandle(f->handle);
	f->handle = NULL;
	f->fd = -1;
}

int ib_win_fail(const char *what, const char *path)
{
	DWORD e = GetLastError();

	return ib_fail(ib_win_errno(e), "%s '%s': %s", what, path, ib_win_strerror(e));
}
