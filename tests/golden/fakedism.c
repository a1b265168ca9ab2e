/* A stand-in dism.exe for tests/bats/golden.bats under Wine: records its arguments (one per line)
 * and its working directory in %IBT_DISM_RECORD%, and whether the /Driver: folder holds an .inf
 * file, then exits with %IBT_DISM_EXIT% (0 when unset). Built with mingw by the test and copied
 * over Wine's system32\dism.exe, where the stub looks for dism; never shipped. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

static void put(FILE *f, const wchar_t *s)
{
	char buf[8192];
	int n = WideCharToMultiByte(CP_UTF8, 0, s, -1, buf, sizeof(buf), NULL, NULL);

	if (n > 0)
		fwrite(buf, 1, (size_t)n - 1, f);
	fputc('\n', f);
}

int wmain(int argc, wchar_t **argv)
{
	wchar_t rec[MAX_PATH], code[32], cwd[MAX_PATH], pattern[MAX_PATH * 2];
	WIN32_FIND_DATAW fd;
	HANDLE h;
	FILE *f;

	if (!GetEnvironmentVariableW(L"IBT_DISM_RECORD", rec, MAX_PATH))
		return 97;
	f = _wfopen(rec, L"wb");
	if (!f)
		return 98;
	for (int i = 1; i < argc; i++)
		put(f, argv[i]);
	GetCurrentDirectoryW(MAX_PATH, cwd);
	fputs("cwd=", f);
	put(f, cwd);
	for (int i = 1; i < argc; i++) {
		if (_wcsnicmp(argv[i], L"/Driver:", 8) != 0)
			continue;
		_snwprintf(pattern, MAX_PATH * 2, L"%ls\\*.inf", argv[i] + 8);
		pattern[MAX_PATH * 2 - 1] = L'\0';
		h = FindFirstFileW(pattern, &fd);
		fputs(h != INVALID_HANDLE_VALUE ? "inf=yes\n" : "inf=no\n", f);
		if (h != INVALID_HANDLE_VALUE)
			FindClose(h);
	}
	fclose(f);
	wprintf(L"Deployment Image Servicing and Management tool (ibpack test stand-in)\n");
	if (GetEnvironmentVariableW(L"IBT_DISM_EXIT", code, 32))
		return (int)wcstol(code, NULL, 10);
	return 0;
}
