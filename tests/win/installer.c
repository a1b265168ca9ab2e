/* A stand-in Windows installer for tests/bats/windows.bats: records what it was given, prints,
 * sleeps, spawns a sleeping child and exits with a chosen 32-bit code.
 *
 * usage: installer.exe [--record FILE] [--print TEXT] [--spawn-child SEC MARKER] [--sleep SEC]
 *                      [--touch FILE] [--dump-env FILE] [--exit CODE] [--env] [-- ARGS...]
 * Options run in order. --env does the same from the environment, so one bundle serves many
 * tests: IBT_RECORD=FILE, IBT_CHILD="SEC MARKER", IBT_SLEEP=SEC, IBT_EXIT=CODE (in that order).
 * --hold-desktop SEC uses the desktop window and sleeps: under Wine the desktop (and its
 * explorer.exe) then stays up, outside any bundle's job. IBT_CMDLINE=FILE, read before anything else, writes GetCommandLineW() (UTF-8, no newline)
 * there: the exact text CreateProcessW was given, for command lines passed verbatim. --record writes every argument (argv[1..], one per line), then
 * "cwd=<working directory>". --spawn-child starts this program again as
 * "--sleep SEC --touch MARKER" without waiting: MARKER appears only if nobody kills the child.
 * --dump-env writes the environment block as it came, one NAME=VALUE a line (UTF-8).
 * Arguments after "--" are only recorded. Built with mingw by the test, never shipped. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

static void write_utf8(FILE *f, const wchar_t *s)
{
	char buf[4096];
	int n = WideCharToMultiByte(CP_UTF8, 0, s, -1, buf, sizeof(buf), NULL, NULL);

	if (n > 0)
		fwrite(buf, 1, (size_t)n - 1, f);
}

static void record(const wchar_t *file, int argc, wchar_t **argv)
{
	wchar_t cwd[MAX_PATH];
	FILE *f = _wfopen(file, L"wb");

	if (!f)
		exit(90);
	for (int i = 1; i < argc; i++) {
		write_utf8(f, argv[i]);
		fputc('\n', f);
	}
	GetCurrentDirectoryW(MAX_PATH, cwd);
	fputs("cwd=", f);
	write_utf8(f, cwd);
	fputc('\n', f);
	fclose(f);
}

static void spawn_child(const wchar_t *sec, const wchar_t *marker)
{
	wchar_t self[MAX_PATH], cmd[3 * MAX_PATH];
	STARTUPINFOW si = {sizeof(si)};
	PROCESS_INFORMATION pi;

	GetModuleFileNameW(NULL, self, MAX_PATH);
	_snwprintf(cmd, 3 * MAX_PATH, L"\"%ls\" --sleep %ls --touch \"%ls\"", self, sec, marker);
	cmd[3 * MAX_PATH - 1] = L'\0';
	if (!CreateProcessW(self, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
		exit(91);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
}

static void dump_env(const wchar_t *file)
{
	wchar_t *block = GetEnvironmentStringsW();
	FILE *f = _wfopen(file, L"wb");

	if (!f || !block)
		exit(93);
	for (const wchar_t *s = block; *s; s += wcslen(s) + 1) {
		write_utf8(f, s);
		fputc('\n', f);
	}
	fclose(f);
	FreeEnvironmentStringsW(block);
}

/* 1 when the variable is set, non-empty and fits. */
static int env(const wchar_t *name, wchar_t *v, DWORD size)
{
	DWORD n = GetEnvironmentVariableW(name, v, size);

	return n > 0 && n < size;
}

static void from_env(int argc, wchar_t **argv)
{
	wchar_t v[1024], *sp;

	if (env(L"IBT_RECORD", v, 1024))
		record(v, argc, argv);
	if (env(L"IBT_CHILD", v, 1024) && (sp = wcschr(v, L' '))) {
		*sp = L'\0';
		spawn_child(v, sp + 1);
	}
	if (env(L"IBT_SLEEP", v, 1024))
		Sleep((DWORD)wcstoul(v, NULL, 10) * 1000);
	if (env(L"IBT_EXIT", v, 1024))
		exit((int)(DWORD)wcstoul(v, NULL, 0));
}

int wmain(int argc, wchar_t **argv);

int wmain(int argc, wchar_t **argv)
{
	wchar_t v[1024];

	if (env(L"IBT_CMDLINE", v, 1024)) {
		FILE *f = _wfopen(v, L"wb");

		if (!f)
			return 92;
		write_utf8(f, GetCommandLineW());
		fclose(f);
	}
	for (int i = 1; i < argc; i++) {
		const wchar_t *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;

		if (!wcscmp(a, L"--"))
			break;
		if (!wcscmp(a, L"--record") && next) {
			record(next, argc, argv);
			i++;
		} else if (!wcscmp(a, L"--print") && next) {
			wprintf(L"%ls\n", next);
			fwprintf(stderr, L"stderr: %ls\n", next);
			fflush(stdout);
			i++;
		} else if (!wcscmp(a, L"--spawn-child") && i + 2 < argc) {
			spawn_child(next, argv[i + 2]);
			i += 2;
		} else if (!wcscmp(a, L"--hold-desktop") && next) {
			GetDesktopWindow();
			Sleep((DWORD)wcstoul(next, NULL, 10) * 1000);
			i++;
		} else if (!wcscmp(a, L"--sleep") && next) {
			Sleep((DWORD)wcstoul(next, NULL, 10) * 1000);
			i++;
		} else if (!wcscmp(a, L"--touch") && next) {
			FILE *f = _wfopen(next, L"wb");

			if (f)
				fclose(f);
			i++;
		} else if (!wcscmp(a, L"--dump-env") && next) {
			dump_env(next);
			i++;
		} else if (!wcscmp(a, L"--env")) {
			from_env(argc, argv);
		} else if (!wcscmp(a, L"--exit") && next) {
			/* wcstoul wraps "-1" to 0xFFFFFFFF: any 32-bit code can be chosen. */
			return (int)(DWORD)wcstoul(next, NULL, 0);
		}
	}
	return 0;
}
