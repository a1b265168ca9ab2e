/* The installer's fixed variables on Windows: what msiexec, cmd.exe and installers expect of a
 * system environment, each taken from the system (never from the caller), and TEMP/TMP. */
#include "instenv.h"

#include "../base/err.h"
#include "../base/fileio.h"
#include "../base/util.h"

#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef BOOL(WINAPI *profile_dir_fn)(HANDLE, LPWSTR, LPDWORD);

/* Every name instenv_fixed may set: --pass-env cannot replace one. */
static const char *const fixed_names[] = {
	"ALLUSERSPROFILE",
	"APPDATA",
	"COMPUTERNAME",
	"ComSpec",
	"CommonProgramFiles",
	"CommonProgramFiles(x86)",
	"CommonProgramW6432",
	"HOMEDRIVE",
	"HOMEPATH",
	"LOCALAPPDATA",
	"NUMBER_OF_PROCESSORS",
	"OS",
	"PATH",
	"PATHEXT",
	"PROCESSOR_ARCHITECTURE",
	"ProgramData",
	"ProgramFiles",
	"ProgramFiles(x86)",
	"ProgramW6432",
	"SystemDrive",
	"SystemRoot",
	"TEMP",
	"TMP",
	"USERPROFILE",
	"windir",
};

/* Adds name with a UTF-16 value. */
static int add_w(struct stub_env *e, const char *name, const wchar_t *value)
{
	char *u = ib_win_utf8(value);
	int rc = u ? stub_env_add(e, name, u) : ib_fail(-ENOMEM, "installer environment: cannot convert %s", name);

	free(u);
	return rc;
}

/* A folder Windows keeps in the registry (REG_SZ or REG_EXPAND_SZ under HKLM), with a leading
 * %SystemDrive% replaced by drive; fallback (drive + fallback) when it is missing or names any
 * other variable. */
static void reg_dir(const wchar_t *key, const wchar_t *value, const wchar_t *drive, const wchar_t *fallback,
		    wchar_t *out, size_t size)
{
	wchar_t v[MAX_PATH];
	DWORD len = sizeof(v);

	if (RegGetValueW(HKEY_LOCAL_MACHINE, key, value, RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, NULL, v,
			 &len) == ERROR_SUCCESS) {
		const wchar_t *rest = v;

		if (!_wcsnicmp(v, L"%SystemDrive%", 13))
			rest = v + 13;
		if (!wcschr(rest, L'%') && _snwprintf(out, size, L"%ls%ls", rest == v ? L"" : drive, rest) > 0) {
			out[size - 1] = L'\0';
			return;
		}
	}
	_snwprintf(out, size, L"%ls%ls", drive, fallback);
	out[size - 1] = L'\0';
}

/* The profile folder of the user this process runs as (SYSTEM: ...\config\systemprofile).
 * userenv.dll is no KnownDLL, so it is loaded from System32 by name here. */
static int profile_dir(wchar_t *out, DWORD size)
{
	HMODULE userenv = LoadLibraryExW(L"userenv.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	profile_dir_fn get = userenv ? (profile_dir_fn)(void (*)(void))GetProcAddress(userenv,
										      "GetUserProfileDirectoryW")
				     : NULL;
	HANDLE tok;
	int ok = 0;

	if (get && OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
		DWORD n = size;

		ok = get(tok, out, &n) && out[0];
		CloseHandle(tok);
	}
	if (userenv)
		FreeLibrary(userenv);
	return ok;
}

static int add_profile(struct stub_env *e)
{
	wchar_t prof[MAX_PATH], sub[MAX_PATH + 32], drive[3];
	int rc;

	if (!profile_dir(prof, MAX_PATH) || wcslen(prof) < 3 || prof[1] != L':')
		return 0; /* no profile: installers get no profile variables rather than a guessed one */
	drive[0] = prof[0];
	drive[1] = L':';
	drive[2] = L'\0';
	if ((rc = add_w(e, "USERPROFILE", prof)) || (rc = add_w(e, "HOMEDRIVE", drive)) ||
	    (rc = add_w(e, "HOMEPATH", prof + 2)))
		return rc;
	_snwprintf(sub, IB_ARRAY_LEN(sub), L"%ls\\AppData\\Roaming", prof);
	sub[IB_ARRAY_LEN(sub) - 1] = L'\0';
	if ((rc = add_w(e, "APPDATA", sub)))
		return rc;
	_snwprintf(sub, IB_ARRAY_LEN(sub), L"%ls\\AppData\\Local", prof);
	sub[IB_ARRAY_LEN(sub) - 1] = L'\0';
	return add_w(e, "LOCALAPPDATA", sub);
}

static int add_folders(struct stub_env *e, const wchar_t *drive)
{
	static const wchar_t cv[] = L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion";
	static const struct {
		const char *name, *also;
		const wchar_t *key, *value, *fallback;
	} dirs[] = {
		{"ProgramData", "ALLUSERSPROFILE", L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList",
		 L"ProgramData", L"\\ProgramData"},
		{"ProgramFiles", "ProgramW6432", cv, L"ProgramFilesDir", L"\\Program Files"},
		{"ProgramFiles(x86)", NULL, cv, L"ProgramFilesDir (x86)", L"\\Program Files (x86)"},
		{"CommonProgramFiles", "CommonProgramW6432", cv, L"CommonFilesDir", L"\\Program Files\\Common Files"},
		{"CommonProgramFiles(x86)", NULL, cv, L"CommonFilesDir (x86)", L"\\Program Files (x86)\\Common Files"},
	};
	wchar_t dir[MAX_PATH + 32];
	int rc;

	for (size_t i = 0; i < IB_ARRAY_LEN(dirs); i++) {
		reg_dir(dirs[i].key, dirs[i].value, drive, dirs[i].fallback, dir, IB_ARRAY_LEN(dir));
		if ((rc = add_w(e, dirs[i].name, dir)) || (dirs[i].also && (rc = add_w(e, dirs[i].also, dir))))
			return rc;
	}
	return 0;
}

int instenv_fixed(const struct stub_env_in *in, struct stub_env *e)
{
	wchar_t sys[MAX_PATH], win[MAX_PATH], drive[3], buf[4 * MAX_PATH + 64], host[MAX_COMPUTERNAME_LENGTH + 1];
	DWORD hostlen = IB_ARRAY_LEN(host);
	SYSTEM_INFO si;
	char cpus[16];
	int rc;

	if (!GetSystemDirectoryW(sys, MAX_PATH) || GetSystemWindowsDirectoryW(win, MAX_PATH) < 3 || win[1] != L':')
		return ib_fail(-ENOENT, "cannot locate the Windows folder for the installer's environment");
	drive[0] = win[0];
	drive[1] = L':';
	drive[2] = L'\0';
	GetSystemInfo(&si);
	snprintf(cpus, sizeof(cpus), "%lu", (unsigned long)si.dwNumberOfProcessors);
	/* The PATH of a fresh Windows Server: System32, the Windows folder, WMI and PowerShell. */
	_snwprintf(buf, IB_ARRAY_LEN(buf), L"%ls;%ls;%ls\\Wbem;%ls\\WindowsPowerShell\\v1.0\\", sys, win, sys, sys);
	buf[IB_ARRAY_LEN(buf) - 1] = L'\0';
	if ((rc = add_w(e, "PATH", buf)) || (rc = add_w(e, "SystemRoot", win)) || (rc = add_w(e, "windir", win)) ||
	    (rc = add_w(e, "SystemDrive", drive)) ||
	    (rc = stub_env_add(e, "PATHEXT", ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC")) ||
	    (rc = stub_env_add(e, "OS", "Windows_NT")) || (rc = stub_env_add(e, "PROCESSOR_ARCHITECTURE", "AMD64")) ||
	    (rc = stub_env_add(e, "NUMBER_OF_PROCESSORS", cpus)))
		return rc;
	_snwprintf(buf, IB_ARRAY_LEN(buf), L"%ls\\cmd.exe", sys);
	buf[IB_ARRAY_LEN(buf) - 1] = L'\0';
	if ((rc = add_w(e, "ComSpec", buf)) || (rc = add_folders(e, drive)) || (rc = add_profile(e)))
		return rc;
	if (GetComputerNameW(host, &hostlen) && (rc = add_w(e, "COMPUTERNAME", host)))
		return rc;
	if (in->tmpdir && ((rc = stub_env_add(e, "TEMP", in->tmpdir)) || (rc = stub_env_add(e, "TMP", in->tmpdir))))
		return rc;
	return 0;
}

int instenv_fixed_name(const char *name)
{
	for (size_t i = 0; i < IB_ARRAY_LEN(fixed_names); i++)
		if (!_stricmp(name, fixed_names[i]))
			return 1;
	return 0;
}

int instenv_name_eq(const char *a, const char *b, size_t n)
{
	return !_strnicmp(a, b, n);
}

char *instenv_getenv(const char *name)
{
	wchar_t *w = ib_win_wide(name), *v = NULL;
	DWORD n = w ? GetEnvironmentVariableW(w, NULL, 0) : 0;
	char *u = NULL;

	if (n && (v = malloc(n * sizeof(wchar_t))) && GetEnvironmentVariableW(w, v, n) < n)
		u = ib_win_utf8(v);
	free(v);
	free(w);
	return u;
}
