/* Windows output directory: every component opened relative to a held directory handle
 * (NtCreateFile with RootDirectory, the openat of NT) and never through a reparse point. */
#include "outdir.h"

#include "../base/err.h"
#include "../base/fileio.h"
#include "../base/util.h"

#include <archive_entry.h>

#include <windows.h>
#include <winternl.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifndef STATUS_OBJECT_NAME_INVALID
#define STATUS_OBJECT_NAME_INVALID ((NTSTATUS)0xC0000033L)
#endif
#ifndef STATUS_OBJECT_NAME_COLLISION
#define STATUS_OBJECT_NAME_COLLISION ((NTSTATUS)0xC0000035L)
#endif
#ifndef STATUS_OBJECT_NAME_NOT_FOUND
#define STATUS_OBJECT_NAME_NOT_FOUND ((NTSTATUS)0xC0000034L)
#endif
#ifndef STATUS_OBJECT_PATH_NOT_FOUND
#define STATUS_OBJECT_PATH_NOT_FOUND ((NTSTATUS)0xC000003AL)
#endif
#ifndef STATUS_NOT_A_DIRECTORY
#define STATUS_NOT_A_DIRECTORY ((NTSTATUS)0xC0000103L)
#endif
#ifndef STATUS_SHARING_VIOLATION
#define STATUS_SHARING_VIOLATION ((NTSTATUS)0xC0000043L)
#endif
#ifndef STATUS_FILE_IS_A_DIRECTORY
#define STATUS_FILE_IS_A_DIRECTORY ((NTSTATUS)0xC00000BAL)
#endif
#ifndef FILE_NON_DIRECTORY_FILE
#define FILE_NON_DIRECTORY_FILE 0x00000040
#endif
#ifndef FILE_SEQUENTIAL_ONLY
#define FILE_SEQUENTIAL_ONLY 0x00000004
#endif
#ifndef FILE_SYNCHRONOUS_IO_NONALERT
#define FILE_SYNCHRONOUS_IO_NONALERT 0x00000020
#endif
#ifndef FILE_OPEN
#define FILE_OPEN 0x00000001
#endif

/* FileDispositionInfoEx (Windows 10 1709+): the name goes away at once even while a virus
 * scanner still holds the file, and read-only files need no attribute change first. */
#define DISPOSITION_INFO_EX_CLASS   21
#define DISPOSITION_DELETE          0x1
#define DISPOSITION_POSIX           0x2
#define DISPOSITION_IGNORE_READONLY 0x10

#define DIR_ACCESS (FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_READ_ATTRIBUTES)

struct ib_outdir {
	HANDLE root;
};

struct ib_outfile {
	HANDLE h;
	char *shown;
};

/* A handle that shares nothing but deletion: while it is open no other process can open the
 * file to read or write, which is the lock; the kernel closes it when the process dies. */
struct ib_outlock {
	HANDLE h;
};

static NTSTATUS open_rel(HANDLE parent, const wchar_t *name, ACCESS_MASK access, ULONG share, ULONG disposition,
			 ULONG options, HANDLE *out)
{
	UNICODE_STRING us;
	OBJECT_ATTRIBUTES oa;
	IO_STATUS_BLOCK io;
	size_t n = wcslen(name);

	if (n == 0 || n > 255)
		return STATUS_OBJECT_NAME_INVALID;
	us.Buffer = (PWSTR)name;
	us.Length = (USHORT)(n * sizeof(wchar_t));
	us.MaximumLength = us.Length;
	InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, parent, NULL);
	/* FILE_OPEN_REPARSE_POINT: a junction or symlink is opened as itself, never followed. */
	return NtCreateFile(out, access | SYNCHRONIZE, &oa, &io, NULL, FILE_ATTRIBUTE_NORMAL, share, disposition,
			    options | FILE_OPEN_REPARSE_POINT | FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
}

static int nt_fail(NTSTATUS st, const char *what, const char *path)
{
	ULONG e = RtlNtStatusToDosError(st);

	return ib_fail(ib_win_errno(e), "%s '%s': %s", what, path, ib_win_strerror(e));
}

/* 0 when h is a plain directory, IB_E_UNSAFE when it is a reparse point or a file. */
static int check_dir(HANDLE h, const char *path)
{
	BY_HANDLE_FILE_INFORMATION info;

	if (!GetFileInformationByHandle(h, &info))
		return ib_fail(ib_win_errno(GetLastError()), "'%s': %s", path, ib_win_strerror(GetLastError()));
	if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
		return ib_fail(IB_E_UNSAFE, "'%s' is a junction, symlink or other reparse point", path);
	if (!(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
		return ib_fail(IB_E_UNSAFE, "'%s' is not a directory", path);
	return 0;
}

/* Windows refuses or reinterprets some names that are fine on Linux: alternate data streams
 * ("a:b"), device names (CON, NUL, COM1), trailing dots and spaces. None may reach the disk. */
static int name_ok(const wchar_t *name)
{
	static const wchar_t *const reserved[] = {L"CON", L"PRN", L"AUX", L"NUL", L"CONIN$", L"CONOUT$"};
	size_t n = wcslen(name), base = wcscspn(name, L".");

	if (n == 0 || n > 255 || !wcscmp(name, L".") || !wcscmp(name, L".."))
		return 0;
	if (name[n - 1] == L'.' || name[n - 1] == L' ')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (name[i] < 0x20 || wcschr(L"<>:\"|?*\\/", name[i]))
			return 0;
	for (size_t i = 0; i < IB_ARRAY_LEN(reserved); i++)
		if (base == wcslen(reserved[i]) && !_wcsnicmp(name, reserved[i], base))
			return 0;
	if (base == 4 && (!_wcsnicmp(name, L"COM", 3) || !_wcsnicmp(name, L"LPT", 3)) && name[3] >= L'0' &&
	    name[3] <= L'9')
		return 0;
	return 1;
}

int ib_outdir_open(const char *path, struct ib_outdir **out)
{
	struct ib_outdir *d;
	wchar_t *w = ib_win_long_path(path);
	HANDLE h;
	int rc;

	if (!w)
		return ib_fail(-errno, "cannot open directory '%s': not a valid path", path);
	/* Like O_DIRECTORY|O_NOFOLLOW: the root itself must not be a junction or symlink. */
	h = CreateFileW(w, DIR_ACCESS, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
			FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE) {
		DWORD e = GetLastError();

		return ib_fail(ib_win_errno(e), "cannot open directory '%s': %s", path, ib_win_strerror(e));
	}
	if ((rc = check_dir(h, path))) {
		CloseHandle(h);
		return rc;
	}
	d = malloc(sizeof(*d));
	if (!d) {
		CloseHandle(h);
		return -ENOMEM;
	}
	d->root = h;
	*out = d;
	return 0;
}

void ib_outdir_close(struct ib_outdir *d)
{
	if (!d)
		return;
	CloseHandle(d->root);
	free(d);
}

/* Walks to the parent directory of relpath ('/'-separated), creating missing directories when
 * create is set. Returns 0 with *parent (owned by the caller), *copy (to free) and *leaf. */
static int walk_parent(struct ib_outdir *d, const char *relpath, int create, HANDLE *parent, wchar_t **copy,
		       wchar_t **leaf)
{
	wchar_t *path = ib_win_wide(relpath), *p, *slash;
	HANDLE cur;
	int rc = 0;

	if (!path)
		return ib_fail(-EILSEQ, "'%s' is not valid UTF-8", relpath);
	for (size_t n = wcslen(path); n > 1 && path[n - 1] == L'/'; n--)
		path[n - 1] = L'\0';
	if (!DuplicateHandle(GetCurrentProcess(), d->root, GetCurrentProcess(), &cur, 0, FALSE,
			     DUPLICATE_SAME_ACCESS)) {
		free(path);
		return ib_fail(ib_win_errno(GetLastError()), "'%s': %s", relpath, ib_win_strerror(GetLastError()));
	}
	p = path;
	while (!rc && (slash = wcschr(p, L'/'))) {
		HANDLE next;
		NTSTATUS st;

		*slash = L'\0';
		if (!name_ok(p)) {
			rc = ib_fail(IB_E_UNSAFE, "'%s' has a component that is not a valid Windows file name",
				     relpath);
			break;
		}
		st = open_rel(cur, p, DIR_ACCESS, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			      create ? FILE_OPEN_IF : FILE_OPEN, FILE_DIRECTORY_FILE, &next);
		if (st == STATUS_NOT_A_DIRECTORY)
			rc = ib_fail(IB_E_UNSAFE, "'%s': a parent is a link or not a directory", relpath);
		else if (!NT_SUCCESS(st))
			rc = nt_fail(st, "cannot open a parent of", relpath);
		else if ((rc = check_dir(next, relpath)) == IB_E_UNSAFE)
			rc = ib_fail(IB_E_UNSAFE, "'%s': a parent is a link or not a directory", relpath);
		if (NT_SUCCESS(st)) {
			CloseHandle(cur);
			cur = next;
		}
		p = slash + 1;
	}
	if (!rc && !name_ok(p))
		rc = ib_fail(IB_E_UNSAFE, "'%s' is not a valid Windows file name", relpath);
	if (rc) {
		CloseHandle(cur);
		free(path);
		return rc;
	}
	*parent = cur;
	*copy = path;
	*leaf = p;
	return 0;
}

int ib_outdir_mkdir(struct ib_outdir *d, const char *relpath, unsigned mode)
{
	HANDLE parent, h;
	wchar_t *copy, *leaf;
	NTSTATUS st;
	int rc = walk_parent(d, relpath, 1, &parent, &copy, &leaf);

	(void)mode; /* directories inherit the ACL of the (protected) root */
	if (rc)
		return rc;
	st = open_rel(parent, leaf, DIR_ACCESS, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, FILE_CREATE,
		      FILE_DIRECTORY_FILE, &h);
	if (NT_SUCCESS(st))
		CloseHandle(h);
	else
		rc = st == STATUS_OBJECT_NAME_COLLISION ? -EEXIST : nt_fail(st, "cannot create directory", relpath);
	CloseHandle(parent);
	free(copy);
	return rc;
}

int ib_outdir_create(struct ib_outdir *d, const char *relpath, unsigned mode, struct ib_outfile **out)
{
	struct ib_outfile *f;
	HANDLE parent, h;
	wchar_t *copy, *leaf;
	NTSTATUS st;
	int rc = walk_parent(d, relpath, 1, &parent, &copy, &leaf);

	(void)mode; /* Windows has no execute bits; the file inherits the root's ACL */
	if (rc)
		return rc;
	/* FILE_CREATE fails on any existing name, a reparse point included. */
	st = open_rel(parent, leaf, GENERIC_WRITE | DELETE, FILE_SHARE_READ, FILE_CREATE,
		      FILE_NON_DIRECTORY_FILE | FILE_SEQUENTIAL_ONLY, &h);
	CloseHandle(parent);
	free(copy);
	if (st == STATUS_OBJECT_NAME_COLLISION || st == STATUS_FILE_IS_A_DIRECTORY)
		return ib_fail(IB_E_UNSAFE, "duplicate path '%s' in archive", relpath);
	if (!NT_SUCCESS(st))
		return nt_fail(st, "cannot create", relpath);
	f = malloc(sizeof(*f));
	if (!f || !(f->shown = ib_strdup(relpath))) {
		FILE_DISPOSITION_INFO del = {TRUE};

		SetFileInformationByHandle(h, FileDispositionInfo, &del, sizeof(del));
		CloseHandle(h);
		free(f);
		return -ENOMEM;
	}
	f->h = h;
	*out = f;
	return 0;
}

int ib_outfile_write(struct ib_outfile *f, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		DWORD want = len > (1u << 30) ? (1u << 30) : (DWORD)len, done = 0;

		if (!WriteFile(f->h, p, want, &done, NULL) || done == 0) {
			DWORD e = GetLastError();

			return ib_fail(ib_win_errno(e), "writing '%s': %s", f->shown, ib_win_strerror(e));
		}
		p += done;
		len -= done;
	}
	return 0;
}

int ib_outfile_close(struct ib_outfile *f, int commit)
{
	int rc = 0;

	if (!f)
		return 0;
	if (!commit) {
		/* Deleted through the handle: no path lookup that could land elsewhere. */
		FILE_DISPOSITION_INFO del = {TRUE};

		SetFileInformationByHandle(f->h, FileDispositionInfo, &del, sizeof(del));
	}
	if (!CloseHandle(f->h) && commit)
		rc = ib_fail(ib_win_errno(GetLastError()), "closing '%s': %s", f->shown,
			     ib_win_strerror(GetLastError()));
	free(f->shown);
	free(f);
	return rc;
}

static int delete_handle(HANDLE h)
{
	struct {
		DWORD flags;
	} ex = {DISPOSITION_DELETE | DISPOSITION_POSIX | DISPOSITION_IGNORE_READONLY};
	FILE_DISPOSITION_INFO del = {TRUE};
	FILE_BASIC_INFO basic;

	if (SetFileInformationByHandle(h, (FILE_INFO_BY_HANDLE_CLASS)DISPOSITION_INFO_EX_CLASS, &ex, sizeof(ex)))
		return 0;
	if (SetFileInformationByHandle(h, FileDispositionInfo, &del, sizeof(del)))
		return 0;
	/* Older Windows: a read-only file must lose the attribute before it can be deleted. */
	if (GetFileInformationByHandleEx(h, FileBasicInfo, &basic, sizeof(basic)) &&
	    (basic.FileAttributes & FILE_ATTRIBUTE_READONLY)) {
		basic.FileAttributes &= ~(DWORD)FILE_ATTRIBUTE_READONLY;
		if (!basic.FileAttributes)
			basic.FileAttributes = FILE_ATTRIBUTE_NORMAL;
		if (SetFileInformationByHandle(h, FileBasicInfo, &basic, sizeof(basic)) &&
		    SetFileInformationByHandle(h, FileDispositionInfo, &del, sizeof(del)))
			return 0;
	}
	return ib_win_errno(GetLastError());
}

/* The names in directory h, excluding "." and "..", as one malloc'd array of strings. */
static int list_names(HANDLE h, wchar_t ***names, size_t *count)
{
	const size_t bufsz = 64 * 1024;
	uint8_t *buf = malloc(bufsz);
	wchar_t **v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	FILE_INFO_BY_HANDLE_CLASS cls = FileIdBothDirectoryRestartInfo; /* from the top, whoever listed h before */

	if (!buf)
		return -ENOMEM;
	while (!rc && GetFileInformationByHandleEx(h, cls, buf, (DWORD)bufsz)) {
		cls = FileIdBothDirectoryInfo;
		for (size_t off = 0;;) {
			FILE_ID_BOTH_DIR_INFO *e = (FILE_ID_BOTH_DIR_INFO *)(buf + off);
			size_t len = e->FileNameLength / sizeof(wchar_t);

			if (!((len == 1 && e->FileName[0] == L'.') ||
			      (len == 2 && e->FileName[0] == L'.' && e->FileName[1] == L'.'))) {
				if (n == cap) {
					wchar_t **nv = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof(*v));

					if (!nv) {
						rc = -ENOMEM;
						break;
					}
					v = nv;
				}
				if (!(v[n] = malloc((len + 1) * sizeof(wchar_t)))) {
					rc = -ENOMEM;
					break;
				}
				memcpy(v[n], e->FileName, len * sizeof(wchar_t));
				v[n++][len] = L'\0';
			}
			if (!e->NextEntryOffset)
				break;
			off += e->NextEntryOffset;
		}
	}
	if (!rc && GetLastError() != ERROR_NO_MORE_FILES)
		rc = ib_win_errno(GetLastError());
	free(buf);
	*names = v;
	*count = n;
	return rc;
}

static int remove_rel(HANDLE parent, const wchar_t *name, int depth)
{
	BY_HANDLE_FILE_INFORMATION info;
	wchar_t **names = NULL;
	size_t n = 0;
	HANDLE h;
	NTSTATUS st;
	int rc = 0;

	if (depth > 256)
		return -ELOOP;
	st = open_rel(parent, name, DELETE | FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES,
		      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, FILE_OPEN, 0, &h);
	if (st == STATUS_OBJECT_NAME_NOT_FOUND || st == STATUS_OBJECT_PATH_NOT_FOUND)
		return 0;
	if (!NT_SUCCESS(st))
		return ib_win_errno(RtlNtStatusToDosError(st));
	if (!GetFileInformationByHandle(h, &info)) {
		rc = ib_win_errno(GetLastError());
		CloseHandle(h);
		return rc;
	}
	/* A reparse point is removed as itself; only real directories are descended into. */
	if ((info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
	    !(info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
		rc = list_names(h, &names, &n);
		for (size_t i = 0; i < n; i++) {
			int r = remove_rel(h, names[i], depth + 1);

			if (r && !rc)
				rc = r;
			free(names[i]);
		}
		free(names);
	}
	if (!rc)
		rc = delete_handle(h);
	CloseHandle(h);
	return rc;
}

int ib_outdir_remove_tree(struct ib_outdir *d, const char *relpath)
{
	HANDLE parent;
	wchar_t *copy, *leaf;
	int rc = walk_parent(d, relpath, 0, &parent, &copy, &leaf);

	if (rc)
		return rc == -ENOENT ? 0 : rc;
	rc = remove_rel(parent, leaf, 0);
	CloseHandle(parent);
	free(copy);
	return rc;
}

int ib_outdir_exists(struct ib_outdir *d, const char *relpath)
{
	HANDLE parent, h;
	wchar_t *copy, *leaf;
	NTSTATUS st;
	int rc = walk_parent(d, relpath, 0, &parent, &copy, &leaf);

	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	st = open_rel(parent, leaf, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
		      FILE_OPEN, 0, &h);
	CloseHandle(parent);
	free(copy);
	if (NT_SUCCESS(st)) {
		CloseHandle(h);
		return 1;
	}
	if (st == STATUS_OBJECT_NAME_NOT_FOUND || st == STATUS_OBJECT_PATH_NOT_FOUND)
		return 0;
	return nt_fail(st, "cannot look at", relpath);
}

/* FILE_RENAME_INFORMATION of the NT API: RootDirectory makes the new name relative to a held
 * handle, so the move never resolves a path through a link. */
struct rename_info {
	BOOLEAN replace;
	HANDLE root;
	ULONG name_len;
	WCHAR name[1];
};

int ib_outdir_rename(struct ib_outdir *d, const char *from, const char *to)
{
	HANDLE parent, tparent, h;
	wchar_t *copy, *leaf, *tcopy, *tleaf;
	struct rename_info *ri;
	IO_STATUS_BLOCK io;
	NTSTATUS st;
	size_t n;
	int rc = walk_parent(d, from, 0, &parent, &copy, &leaf);

	if (rc)
		return rc;
	st = open_rel(parent, leaf, DELETE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, FILE_OPEN, 0, &h);
	CloseHandle(parent);
	free(copy);
	if (!NT_SUCCESS(st))
		return nt_fail(st, "cannot open", from);
	if ((rc = walk_parent(d, to, 0, &tparent, &tcopy, &tleaf))) {
		CloseHandle(h);
		return rc;
	}
	n = wcslen(tleaf);
	ri = calloc(1, sizeof(*ri) + n * sizeof(WCHAR));
	if (!ri) {
		rc = -ENOMEM;
	} else {
		ri->replace = FALSE;
		ri->root = tparent;
		ri->name_len = (ULONG)(n * sizeof(WCHAR));
		memcpy(ri->name, tleaf, n * sizeof(WCHAR));
		st = NtSetInformationFile(h, &io, ri, (ULONG)(sizeof(*ri) + n * sizeof(WCHAR)),
					  (FILE_INFORMATION_CLASS)10 /* FileRenameInformation */);
		if (st == STATUS_OBJECT_NAME_COLLISION)
			rc = -EEXIST;
		else if (!NT_SUCCESS(st))
			rc = nt_fail(st, "cannot rename", from);
		free(ri);
	}
	CloseHandle(tparent);
	free(tcopy);
	CloseHandle(h);
	return rc;
}

int ib_outdir_entry_name(struct archive_entry *e, char *buf, size_t size)
{
	/* The wide form is the one libarchive keeps on Windows: its UTF-8 form goes through the
	 * ANSI code page and is lost for any name outside it (Japanese on a Western system). */
	const wchar_t *w = archive_entry_pathname_w(e);
	char *u = w ? ib_win_utf8(w) : NULL;
	int rc = ib_entry_name_copy(u, buf, size);

	free(u);
	return rc;
}

static int lock_open(struct ib_outdir *d, const char *relpath, int create, struct ib_outlock **out)
{
	HANDLE parent, h;
	wchar_t *copy, *leaf;
	BY_HANDLE_FILE_INFORMATION info;
	NTSTATUS st;
	int rc = walk_parent(d, relpath, create, &parent, &copy, &leaf);

	if (rc)
		return rc;
	st = open_rel(parent, leaf, create ? GENERIC_WRITE | DELETE : GENERIC_READ, FILE_SHARE_DELETE,
		      create ? FILE_CREATE : FILE_OPEN, FILE_NON_DIRECTORY_FILE, &h);
	CloseHandle(parent);
	free(copy);
	if (st == STATUS_SHARING_VIOLATION)
		return 1;
	if (st == STATUS_OBJECT_NAME_NOT_FOUND || st == STATUS_OBJECT_PATH_NOT_FOUND)
		return -ENOENT;
	if (st == STATUS_FILE_IS_A_DIRECTORY)
		return ib_fail(IB_E_UNSAFE, "'%s' is not a regular file", relpath);
	if (!NT_SUCCESS(st))
		return nt_fail(st, "cannot open", relpath);
	/* FILE_OPEN_REPARSE_POINT opened a link as itself: never a lock. */
	if (!GetFileInformationByHandle(h, &info) || (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
		CloseHandle(h);
		return ib_fail(IB_E_UNSAFE, "'%s' is a link", relpath);
	}
	if (!(*out = malloc(sizeof(**out)))) {
		CloseHandle(h);
		return -ENOMEM;
	}
	(*out)->h = h;
	return 0;
}

int ib_outdir_lock_new(struct ib_outdir *d, const char *relpath, struct ib_outlock **out)
{
	return lock_open(d, relpath, 1, out);
}

int ib_outdir_lock_try(struct ib_outdir *d, const char *relpath, struct ib_outlock **out)
{
	return lock_open(d, relpath, 0, out);
}

void ib_outlock_release(struct ib_outlock *l)
{
	if (!l)
		return;
	CloseHandle(l->h);
	free(l);
}

int ib_outdir_names(struct ib_outdir *d, char ***names, size_t *n)
{
	wchar_t **w = NULL;
	size_t count = 0, k = 0;
	char **v;
	int rc = list_names(d->root, &w, &count);

	v = !rc && count ? calloc(count, sizeof(*v)) : NULL;
	if (!rc && count && !v)
		rc = -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		if (!rc && (v[k] = ib_win_utf8(w[i])))
			k++;
		free(w[i]);
	}
	free(w);
	*names = v;
	*n = k;
	return rc;
}

void ib_outdir_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

unsigned long ib_process_id(void)
{
	return (unsigned long)GetCurrentProcessId();
}

int ib_process_alive(unsigned long pid)
{
	HANDLE h;
	DWORD wait;

	if (pid == 0 || pid == 4) /* System Idle and System: not pids this scheme writes */
		return 1;
	h = OpenProcess(SYNCHRONIZE, FALSE, (DWORD)pid);
	if (!h)
		return GetLastError() != ERROR_INVALID_PARAMETER; /* access denied: it exists */
	wait = WaitForSingleObject(h, 0);
	CloseHandle(h);
	return wait == WAIT_TIMEOUT;
}
