/* Windows system services for the stub: hardening at start, console control events, protected
 * temp dirs, the default log folder and the wmain entry point. */
#include "stub.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../policy/exitcode.h"
#include "../base/fileio.h"
#include "../format/outdir.h"
#include "../base/util.h"

#include <windows.h>
#include <aclapi.h>
#include <bcrypt.h>
#include <sddl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

static volatile sig_atomic_t *ctrl_flag;

typedef BOOL(WINAPI *mitigation_fn)(PROCESS_MITIGATION_POLICY, PVOID, SIZE_T);
typedef DWORD(WINAPI *temp_path_fn)(DWORD, LPWSTR);
typedef NTSTATUS(WINAPI *gen_random_fn)(BCRYPT_ALG_HANDLE, PUCHAR, ULONG, ULONG);

/* Resolves an export of an already loaded system module (kernel32): no DLL search involved. */
static FARPROC system_export(const wchar_t *module, const char *name)
{
	HMODULE m = GetModuleHandleW(module);

	return m ? GetProcAddress(m, name) : NULL;
}

int plat_init(void)
{
	static int done;
	PROCESS_MITIGATION_IMAGE_LOAD_POLICY img;
	mitigation_fn set_policy;
	HANDLE err;
	DWORD mode;

	if (done)
		return 0;
	done = 1;
	/* First: every later LoadLibrary (OpenSSL, SetupAPI, the C runtime's own) searches System32
	 * only, never the bundle's folder (Downloads) or the temp dir — the classic planting hole. */
	SetDefaultDllDirectories(LOAD_LIBRARY_SEARCH_SYSTEM32);
	SetDllDirectoryW(L"");
	/* Where supported (Windows 10 1607+), DLLs that later loads import are taken from System32
	 * first too, and never from a network share. */
	memset(&img, 0, sizeof(img));
	img.NoRemoteImages = 1;
	img.PreferSystem32Images = 1;
	set_policy = (mitigation_fn)(void (*)(void))system_export(L"kernel32.dll", "SetProcessMitigationPolicy");
	if (set_policy)
		(void)set_policy(ProcessImageLoadPolicy, &img, sizeof(img));
	/* Unattended runs must never stop at a "insert a disk" or crash dialog; the installers
	 * inherit this error mode. */
	SetErrorMode(GetErrorMode() | SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX | SEM_NOGPFAULTERRORBOX);
	/* The progress line uses ANSI sequences; a console that takes them is a terminal to us. */
	err = GetStdHandle(STD_ERROR_HANDLE);
	if (err && err != INVALID_HANDLE_VALUE && GetConsoleMode(err, &mode))
		(void)SetConsoleMode(err, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING);
	return 0;
}

static BOOL WINAPI on_ctrl(DWORD type)
{
	if (!ctrl_flag)
		return FALSE;
	*ctrl_flag = type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT ? SIGINT : SIGTERM;
	/* For close, logoff and shutdown Windows ends the process once this returns: give the main
	 * thread (which polls the flag every 50 ms) time to stop the installer's job and remove the
	 * temp dir. Its exit ends this thread too. */
	if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT || type == CTRL_SHUTDOWN_EVENT)
		Sleep(4000);
	return TRUE;
}

void plat_signals(volatile sig_atomic_t *flag)
{
	ctrl_flag = flag;
	SetConsoleCtrlHandler(on_ctrl, TRUE);
}

/* A security descriptor granting full control to SYSTEM, Administrators and the current user
 * only, inherited by everything below and protected from the parent's ACEs. */
static PSECURITY_DESCRIPTOR private_sd(void)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	PSID user = ib_win_token_user();
	wchar_t *usid = NULL, sddl[256];

	if (!user)
		return NULL;
	if (ConvertSidToStringSidW(user, &usid) &&
	    _snwprintf(sddl, IB_ARRAY_LEN(sddl), L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;%ls)", usid) > 0 &&
	    !ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, NULL))
		sd = NULL;
	LocalFree(usid);
	free(user);
	return sd;
}

/* Creates base\part1\part2... one level at a time with the private ACL; existing levels must be
 * ib_win_trusted_dir(). base must exist. Returns the full path (malloc'd) or NULL. */
static wchar_t *secure_mkdirs(const wchar_t *base, const wchar_t *const *parts, size_t nparts)
{
	PSECURITY_DESCRIPTOR sd = private_sd();
	SECURITY_ATTRIBUTES sa = {sizeof(sa), sd, FALSE};
	size_t cap = wcslen(base) + 2;
	wchar_t *path;

	for (size_t i = 0; i < nparts; i++)
		cap += wcslen(parts[i]) + 1;
	path = malloc(cap * sizeof(wchar_t));
	if (!sd || !path || !ib_win_trusted_dir(base))
		goto fail;
	wcscpy_s(path, cap, base);
	for (size_t i = 0; i < nparts; i++) {
		size_t n = wcslen(path);

		if (n && path[n - 1] != L'\\')
			wcscat_s(path, cap, L"\\");
		wcscat_s(path, cap, parts[i]);
		if (!CreateDirectoryW(path, &sa) &&
		    (GetLastError() != ERROR_ALREADY_EXISTS || !ib_win_trusted_dir(path)))
			goto fail;
	}
	LocalFree(sd);
	return path;
fail:
	LocalFree(sd);
	free(path);
	return NULL;
}

/* The extension handler name when this executable runs from the Azure agent's plugin folder,
 * X:\Packages\Plugins\<Publisher>.<Type>\<version>\..., the only fact the Windows agent
 * documents about a handler's location. */
static int extension_name(wchar_t *name, size_t size)
{
	wchar_t self[1024];
	const wchar_t *p = self, *end;
	DWORD n = GetModuleFileNameW(NULL, self, IB_ARRAY_LEN(self));
	size_t len;

	if (n == 0 || n >= IB_ARRAY_LEN(self))
		return 0;
	if (!wcsncmp(p, L"\\\\?\\", 4))
		p += 4;
	if (!((p[0] >= L'A' && p[0] <= L'Z') || (p[0] >= L'a' && p[0] <= L'z')) || p[1] != L':' || p[2] != L'\\')
		return 0;
	p += 3;
	if (_wcsnicmp(p, L"Packages\\Plugins\\", 17))
		return 0;
	p += 17;
	end = wcschr(p, L'\\');
	if (!end || !wcschr(end + 1, L'\\'))
		return 0;
	len = (size_t)(end - p);
	if (len < 3 || len >= size || !wcschr(p, L'.') || p[0] == L'.')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!iswalnum(p[i]) && p[i] != L'.' && p[i] != L'-' && p[i] != L'_')
			return 0;
	memcpy(name, p, len * sizeof(wchar_t));
	name[len] = L'\0';
	return 1;
}

void plat_default_log(const char *bundle, char *buf, size_t size)
{
	wchar_t windir[MAX_PATH], base[MAX_PATH + 32], handler[256], *dir = NULL, *wb, *file;
	char *u;
	DWORD n;

	buf[0] = '\0';
	wb = ib_win_wide(bundle);
	if (!wb)
		return;
	/* The name is signed, but it still must not leave the folder or use a reserved character. */
	for (wchar_t *c = wb; *c; c++)
		if (*c < 0x20 || wcschr(L"<>:\"/\\|?*", *c))
			*c = L'_';
	if (extension_name(handler, IB_ARRAY_LEN(handler)) && GetSystemWindowsDirectoryW(windir, MAX_PATH) >= 2) {
		const wchar_t *parts[] = {L"WindowsAzure", L"Logs", L"Plugins", handler};

		_snwprintf(base, IB_ARRAY_LEN(base), L"%lc:\\", windir[0]);
		base[IB_ARRAY_LEN(base) - 1] = L'\0';
		dir = secure_mkdirs(base, parts, IB_ARRAY_LEN(parts));
	}
	if (!dir) {
		const wchar_t *parts[] = {L"ibpack", L"logs"};

		n = GetEnvironmentVariableW(L"ProgramData", base, IB_ARRAY_LEN(base));
		if (n == 0 || n >= IB_ARRAY_LEN(base)) {
			if (GetSystemWindowsDirectoryW(windir, MAX_PATH) < 2) {
				free(wb);
				return;
			}
			_snwprintf(base, IB_ARRAY_LEN(base), L"%lc:\\ProgramData", windir[0]);
			base[IB_ARRAY_LEN(base) - 1] = L'\0';
		}
		dir = secure_mkdirs(base, parts, IB_ARRAY_LEN(parts));
	}
	if (dir) {
		size_t cap = wcslen(dir) + wcslen(wb) + 6;

		file = malloc(cap * sizeof(wchar_t));
		if (file && _snwprintf(file, cap, L"%ls\\%ls.log", dir, wb) > 0) {
			file[cap - 1] = L'\0';
			u = ib_win_utf8(file);
			if (u && ib_snprintf(buf, size, "%s", u))
				buf[0] = '\0';
			free(u);
		}
		free(file);
	}
	free(dir);
	free(wb);
}

int plat_keep_dir(const char *bundle, int create, char *buf, size_t size)
{
	wchar_t base[MAX_PATH + 32], windir[MAX_PATH], *wb, *dir = NULL;
	const wchar_t *parts[3] = {L"ibpack", L"packages", NULL};
	DWORD n = GetEnvironmentVariableW(L"ProgramData", base, IB_ARRAY_LEN(base));
	char *u = NULL;
	int rc = 0;

	buf[0] = '\0';
	if (n == 0 || n >= IB_ARRAY_LEN(base)) {
		if (GetSystemWindowsDirectoryW(windir, MAX_PATH) < 2)
			return ib_fail(-ENOENT, "cannot locate %%ProgramData%%");
		_snwprintf(base, IB_ARRAY_LEN(base), L"%lc:\\ProgramData", windir[0]);
		base[IB_ARRAY_LEN(base) - 1] = L'\0';
	}
	if (!(wb = ib_win_wide(bundle)))
		return -ENOMEM;
	parts[2] = wb;
	if (create) {
		dir = secure_mkdirs(base, parts, 3);
	} else {
		size_t cap = wcslen(base) + wcslen(wb) + 20;

		if ((dir = malloc(cap * sizeof(wchar_t))))
			_snwprintf(dir, cap, L"%ls\\ibpack\\packages\\%ls", base, wb);
		if (dir)
			dir[cap - 1] = L'\0';
	}
	if (!dir || !(u = ib_win_utf8(dir)) || ib_snprintf(buf, size, "%s", u))
		rc = ib_fail(-EACCES,
			     "cannot create a protected folder for '%s' under %%ProgramData%%\\ibpack\\packages",
			     bundle);
	free(u);
	free(dir);
	free(wb);
	return rc;
}

static int is_dir(const wchar_t *path)
{
	DWORD a = GetFileAttributesW(path);

	return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY);
}

/* The length of path's root: 3 for "C:\\", the whole "\\\\server\\share" of a UNC path, else 0. */
static size_t root_len(const wchar_t *path)
{
	const wchar_t *server, *share;

	if (path[0] && path[1] == L':' && path[2] == L'\\')
		return 3;
	if (path[0] != L'\\' || path[1] != L'\\' || !(server = wcschr(path + 2, L'\\')))
		return 0;
	share = wcschr(server + 1, L'\\');
	return share ? (size_t)(share - path) : wcslen(path);
}

/* Refuses the temp base dir when it or an ancestor could be renamed, deleted or re-permissioned
 * by another user (ib_win_dir_check), naming the first such folder: whoever can do that can swap
 * the temp dir between extraction and the installer's start. */
static int check_base(const wchar_t *dir)
{
	wchar_t p[MAX_PATH + 1];
	char why[256], *shown = NULL, *level = NULL;
	int rc;

	if (wcslen(dir) >= IB_ARRAY_LEN(p))
		return ib_fail(-ENAMETOOLONG, "temp base path too long");
	wcscpy_s(p, IB_ARRAY_LEN(p), dir);
	for (;;) {
		size_t len = wcslen(p), root = root_len(p);
		wchar_t *sep;

		if (!ib_win_dir_check(p, why, sizeof(why)))
			break;
		sep = wcsrchr(p, L'\\');
		if (len <= root || !sep)
			return 0;
		/* The parent; a drive root keeps its backslash, and a share root is the last level. */
		if ((size_t)(sep - p) < root)
			p[root] = L'\0';
		else
			*sep = L'\0';
	}
	shown = ib_win_utf8(dir);
	level = ib_win_utf8(p);
	rc = ib_fail(-EACCES,
		     "temp base '%s' is unsafe: '%s': %s, so another user could swap the temp dir before the "
		     "installer runs; use --tmpdir on a folder only SYSTEM and Administrators can change",
		     shown ? shown : "?", level ? level : "?", why);
	free(shown);
	free(level);
	return rc;
}

/* The current directory and the folder of the bundle itself: a folder others may write to could
 * hold files planted for the bundle or its installer to pick up (a DLL, a look-alike program), so
 * neither may be. Their ancestors are not checked: nothing is created in them. */
/* 0 when dir passes ib_win_dir_check, else -EACCES naming it as what, with the reason and advice. */
static int check_dir(const wchar_t *dir, const char *what, const char *advice)
{
	char why[256], *shown;
	int rc;

	if (ib_win_dir_check(dir, why, sizeof(why)))
		return 0;
	shown = ib_win_utf8(dir);
	rc = ib_fail(-EACCES, "%s '%s' is unsafe: %s; %s a folder only SYSTEM and Administrators can change", what,
		     shown ? shown : "?", why, advice);
	free(shown);
	return rc;
}

static int check_run_dirs(void)
{
	wchar_t dir[MAX_PATH + 1], *sep;
	DWORD n = GetCurrentDirectoryW(IB_ARRAY_LEN(dir), dir);
	int rc;

	if (n && n < IB_ARRAY_LEN(dir) &&
	    (rc = check_dir(dir, "the current directory", "run the bundle (cd /d %SystemRoot% will do) from")))
		return rc;
	n = GetModuleFileNameW(NULL, dir, IB_ARRAY_LEN(dir));
	if (n == 0 || n >= IB_ARRAY_LEN(dir) || !(sep = wcsrchr(dir, L'\\')))
		return ib_fail(-EACCES, "cannot locate the bundle's own folder");
	sep[sep > dir && sep[-1] == L':' ? 1 : 0] = L'\0';
	return check_dir(dir, "the bundle's folder", "move the bundle to");
}

int plat_tmpdir(const char *base, char *path, size_t size)
{
	wchar_t dir[MAX_PATH + 1], name[32], full[2 * MAX_PATH];
	PSECURITY_DESCRIPTOR sd;
	SECURITY_ATTRIBUTES sa;
	HMODULE bcrypt;
	gen_random_fn gen_random;
	DWORD n, e = ERROR_ALREADY_EXISTS;
	char *u;
	int rc;

	if (base) {
		wchar_t *w = ib_win_wide(base);

		n = w ? GetFullPathNameW(w, IB_ARRAY_LEN(dir), dir, NULL) : 0;
		free(w);
		if (n == 0 || n >= IB_ARRAY_LEN(dir) || !is_dir(dir))
			return ib_fail(-EACCES, "--tmpdir '%s' is not an existing directory", base);
	} else {
		/* GetTempPath2W (Windows 11, Server 2022, updated Windows 10) gives SYSTEM the
		 * SystemTemp folder that only SYSTEM can use; older systems have GetTempPathW. */
		temp_path_fn temp2 = (temp_path_fn)(void (*)(void))system_export(L"kernel32.dll", "GetTempPath2W");

		n = temp2 ? temp2(IB_ARRAY_LEN(dir), dir) : GetTempPathW(IB_ARRAY_LEN(dir), dir);
		if (n == 0 || n >= IB_ARRAY_LEN(dir) || !is_dir(dir))
			return ib_fail(-EACCES, "no usable temp directory (GetTempPath failed); use --tmpdir");
	}
	n = (DWORD)wcslen(dir);
	if (n > 3 && dir[n - 1] == L'\\')
		dir[--n] = L'\0';
	if ((rc = check_base(dir)) || (rc = check_run_dirs()))
		return rc;
	/* bcrypt.dll is not a KnownDLL: imported statically, the loader would look for it next to
	 * the bundle first. Loaded here, it can only come from System32. */
	bcrypt = LoadLibraryExW(L"bcrypt.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	gen_random = bcrypt ? (gen_random_fn)(void (*)(void))GetProcAddress(bcrypt, "BCryptGenRandom") : NULL;
	sd = private_sd();
	if (!sd)
		return ib_fail(-EACCES, "cannot build the temp dir's access control list: %s",
			       ib_win_strerror(GetLastError()));
	sa.nLength = sizeof(sa);
	sa.lpSecurityDescriptor = sd;
	sa.bInheritHandle = FALSE;
	/* CreateDirectoryW fails on an existing name, so a planted directory is never reused. */
	for (int tries = 0; tries < 16 && e == ERROR_ALREADY_EXISTS; tries++) {
		uint8_t rnd[8];
		char hex[2 * sizeof(rnd) + 1];

		if (!gen_random ||
		    !BCRYPT_SUCCESS(gen_random(NULL, rnd, sizeof(rnd), BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
			LocalFree(sd);
			if (bcrypt)
				FreeLibrary(bcrypt);
			return ib_fail(-EIO, "the system random number generator (BCryptGenRandom) failed");
		}
		ib_hex_encode(rnd, sizeof(rnd), hex);
		_snwprintf(name, IB_ARRAY_LEN(name), L"ibpack-%hs", hex);
		name[IB_ARRAY_LEN(name) - 1] = L'\0';
		if (_snwprintf(full, IB_ARRAY_LEN(full), L"%ls%ls%ls", dir, dir[n - 1] == L'\\' ? L"" : L"\\", name) <
		    0) {
			LocalFree(sd);
			FreeLibrary(bcrypt);
			return ib_fail(-ENAMETOOLONG, "temp path too long");
		}
		e = CreateDirectoryW(full, &sa) ? ERROR_SUCCESS : GetLastError();
	}
	LocalFree(sd);
	if (bcrypt)
		FreeLibrary(bcrypt);
	if (e != ERROR_SUCCESS) {
		u = ib_win_utf8(dir);
		rc = ib_fail(ib_win_errno(e), "cannot create a temp dir in '%s': %s", u ? u : "?", ib_win_strerror(e));
		free(u);
		return rc;
	}
	/* Others may add entries to the base: had they made it a junction while it was empty, the
	 * dir would now be in a folder they own. Once the dir exists, the base cannot become one. */
	if ((rc = check_base(dir))) {
		RemoveDirectoryW(full);
		return rc;
	}
	u = ib_win_utf8(full);
	if (!u || ib_snprintf(path, size, "%s", u)) {
		RemoveDirectoryW(full);
		free(u);
		return ib_fail(-ENAMETOOLONG, "temp path too long");
	}
	free(u);
	return 0;
}

int plat_rmtree(const char *path)
{
	struct ib_outdir *d;
	char parent[IB_PATH_MAX], *sep, *fwd;
	const char *leaf;
	int rc;

	if (ib_snprintf(parent, sizeof(parent), "%s", path))
		return -ENAMETOOLONG;
	sep = strrchr(parent, '\\');
	fwd = strrchr(parent, '/');
	if (fwd && (!sep || fwd > sep))
		sep = fwd;
	if (!sep) {
		/* A bare name ("layout", from --extract layout) is in the working directory. */
		memcpy(parent, ".", 2);
		leaf = path;
	} else if (!sep[1]) {
		return -EINVAL;
	} else {
		leaf = path + (sep - parent) + 1;
	}
	/* "C:" alone would name the current directory of drive C, not its root. */
	if (sep && sep == parent + 2 && parent[1] == ':')
		sep[1] = '\0';
	else if (sep)
		*sep = '\0';
	rc = ib_outdir_open(parent, &d);
	if (rc)
		return rc;
	rc = ib_outdir_remove_tree(d, leaf);
	ib_outdir_close(d);
	return rc;
}

int plat_mkdir(const char *path)
{
	wchar_t *w = ib_win_long_path(path);

	if (!w)
		return -1;
	if (!CreateDirectoryW(w, NULL)) {
		errno = -ib_win_errno(GetLastError());
		free(w);
		return -1;
	}
	free(w);
	return 0;
}

int plat_privileged(void)
{
	SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
	PSID admins = NULL;
	BOOL member = FALSE;

	if (!AllocateAndInitializeSid(&nt, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS, 0, 0, 0, 0, 0, 0,
				      &admins))
		return 1; /* cannot tell: let the install itself report what it cannot do */
	if (!CheckTokenMembership(NULL, admins, &member))
		member = TRUE;
	FreeSid(admins);
	return member != FALSE;
}

int plat_isatty_stderr(void)
{
	HANDLE h = GetStdHandle(STD_ERROR_HANDLE);
	DWORD mode;

	/* Pipes and files (the agent, a log redirect) get no progress line. */
	return h && h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode) &&
	       (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING);
}
