/* Running an installer on Windows: a command line quoted from argv or given verbatim, the fixed
 * environment as a block, a Job object that holds the whole process tree, output through a pipe
 * into the log, timeout and cancel kill the job. */
#include "stub.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/fileio.h"
#include "../base/util.h"
#include "../format/wincmd.h"

#include <windows.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MS     50
#define CMDLINE_MAX 32767 /* CreateProcessW's limit, in characters, terminator included */
#define KILLED_CODE 1460  /* ERROR_TIMEOUT: the exit code TerminateJobObject gives the tree */

struct wbuf {
	wchar_t *p;
	size_t len, cap;
	int overflow;
};

static void wb_putc(struct wbuf *b, wchar_t c)
{
	if (b->len + 1 >= b->cap) {
		b->overflow = 1;
		return;
	}
	b->p[b->len++] = c;
	b->p[b->len] = L'\0';
}

static void wb_repeat(struct wbuf *b, wchar_t c, size_t n)
{
	while (n--)
		wb_putc(b, c);
}

/* Appends arg so that CommandLineToArgvW and the Microsoft C runtime give it back unchanged:
 * quotes only when needed; inside quotes, backslashes are literal unless they precede a quote,
 * where each one is doubled and the quote escaped; trailing backslashes are doubled before the
 * closing quote. */
static void append_arg(struct wbuf *b, const wchar_t *arg)
{
	if (b->len)
		wb_putc(b, L' ');
	if (*arg && !wcspbrk(arg, L" \t\n\v\"")) {
		for (; *arg; arg++)
			wb_putc(b, *arg);
		return;
	}
	wb_putc(b, L'"');
	for (;; arg++) {
		size_t slashes = 0;

		while (*arg == L'\\') {
			arg++;
			slashes++;
		}
		if (!*arg) {
			wb_repeat(b, L'\\', slashes * 2);
			break;
		}
		if (*arg == L'"') {
			wb_repeat(b, L'\\', slashes * 2 + 1);
			wb_putc(b, L'"');
		} else {
			wb_repeat(b, L'\\', slashes);
			wb_putc(b, *arg);
		}
	}
	wb_putc(b, L'"');
}

static int is_file(const wchar_t *path)
{
	DWORD a = GetFileAttributesW(path);

	return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

/* dir\name (+ ".exe" when name has no extension) if that file exists; malloc'd. */
static wchar_t *try_dir(const wchar_t *dir, const wchar_t *name)
{
	const wchar_t *ext = wcschr(name, L'.') ? L"" : L".exe";
	size_t cap = wcslen(dir) + wcslen(name) + 6;
	wchar_t *p = malloc(cap * sizeof(wchar_t));

	if (!p)
		return NULL;
	if (_snwprintf(p, cap, L"%ls%ls%ls%ls", dir, dir[0] && dir[wcslen(dir) - 1] != L'\\' ? L"\\" : L"", name, ext) <
		    0 ||
	    !is_file(p)) {
		free(p);
		return NULL;
	}
	p[cap - 1] = L'\0';
	return p;
}

/* The program CreateProcessW must start, as a full path, so Windows' own search (which looks in
 * the stub's folder and the current directory first) never decides. A name with a path part is
 * taken relative to the package dir; a bare name is looked up in the package dir, then
 * System32, the Windows folder and path (the installer's PATH, UTF-8, or NULL), like execvp's
 * PATH search on Linux: never the caller's PATH. */
static int resolve_program(const wchar_t *arg0, const wchar_t *cwd, const char *path, const char *shown, wchar_t **out)
{
	wchar_t sys[MAX_PATH], *p = NULL, *ext;
	DWORD n;

	if (wcspbrk(arg0, L"\\/:")) {
		int absolute = (arg0[0] && arg0[1] == L':') || arg0[0] == L'\\' || arg0[0] == L'/';
		wchar_t *joined = absolute ? _wcsdup(arg0) : NULL;

		if (!absolute) {
			size_t cap = wcslen(cwd) + wcslen(arg0) + 2;

			joined = malloc(cap * sizeof(wchar_t));
			if (joined && _snwprintf(joined, cap, L"%ls\\%ls", cwd, arg0) < 0)
				joined[0] = L'\0';
			if (joined)
				joined[cap - 1] = L'\0';
		}
		n = joined ? GetFullPathNameW(joined, 0, NULL, NULL) : 0;
		p = n ? malloc(n * sizeof(wchar_t)) : NULL;
		if (p && GetFullPathNameW(joined, n, p, NULL) >= n)
			p[0] = L'\0';
		free(joined);
		if (p && !is_file(p)) {
			free(p);
			p = NULL;
		}
	} else {
		p = try_dir(cwd, arg0);
		if (!p && GetSystemDirectoryW(sys, MAX_PATH))
			p = try_dir(sys, arg0);
		if (!p && GetSystemWindowsDirectoryW(sys, MAX_PATH))
			p = try_dir(sys, arg0);
		if (!p && path) {
			wchar_t *wpath = ib_win_wide(path), found[MAX_PATH];

			if (wpath && (n = SearchPathW(wpath, arg0, L".exe", MAX_PATH, found, NULL)) && n < MAX_PATH)
				p = _wcsdup(found);
			free(wpath);
		}
	}
	if (!p)
		return ib_fail(IB_E_INSTALLER, "cannot run '%s': not found in the package, System32 or PATH", shown);
	ext = wcsrchr(p, L'.');
	/* CreateProcessW would hand a batch file to cmd.exe with its own, different quoting rules
	 * (the "BatBadBut" class of bugs): the spec must call cmd.exe /d /s /c explicitly. */
	if (ext && !wcschr(ext, L'\\') && (!_wcsicmp(ext, L".bat") || !_wcsicmp(ext, L".cmd"))) {
		free(p);
		return ib_fail(IB_E_INSTALLER,
			       "'%s' is a batch file: run it as [\"cmd.exe\", \"/d\", \"/s\", \"/c\", "
			       "\"...\"] in the package spec",
			       shown);
	}
	*out = p;
	return 0;
}

/* Copies installer output to the log with CRLF turned into LF: the log and the console are
 * text streams that add the CR back, so lines end the same everywhere. */
static void emit(struct stub_log *log, const char *data, size_t len, int *pending_cr)
{
	char out[4096 + 1];
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (*pending_cr) {
			*pending_cr = 0;
			if (data[i] != '\n')
				out[n++] = '\r';
		}
		if (data[i] == '\r') {
			*pending_cr = 1;
			continue;
		}
		out[n++] = data[i];
		if (n >= sizeof(out) - 1) {
			log_raw(log, out, n);
			n = 0;
		}
	}
	if (n)
		log_raw(log, out, n);
}

/* Reads whatever the pipe holds now, without blocking. Returns 0 once every writer is gone. */
static int pump(HANDLE rd, struct stub_log *log, int *pending_cr)
{
	char buf[IB_PATH_MAX];
	DWORD avail = 0, got;

	for (;;) {
		if (!PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL))
			return 0;
		if (!avail)
			return 1;
		if (!ReadFile(rd, buf, avail < sizeof(buf) ? avail : (DWORD)sizeof(buf), &got, NULL) || !got)
			return 0;
		emit(log, buf, got, pending_cr);
	}
}

static int job_empty(HANDLE job)
{
	JOBOBJECT_BASIC_ACCOUNTING_INFORMATION acct;

	if (!QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &acct, sizeof(acct), NULL))
		return 1; /* cannot tell: do not wait for descendants */
	return acct.ActiveProcesses == 0;
}

static int build_cmdline(char *const *argv, const wchar_t *program, struct wbuf *cmd)
{
	cmd->cap = CMDLINE_MAX;
	cmd->len = 0;
	cmd->overflow = 0;
	cmd->p = malloc(cmd->cap * sizeof(wchar_t));
	if (!cmd->p)
		return -ENOMEM;
	cmd->p[0] = L'\0';
	/* argv[0] is the resolved program, so an installer that re-launches itself via its own
	 * argv[0] finds the same file. */
	append_arg(cmd, program);
	for (size_t i = 1; argv[i]; i++) {
		wchar_t *w = ib_win_wide(argv[i]);

		if (!w)
			return ib_fail(IB_E_INSTALLER, "installer argument %zu is not valid UTF-8", i);
		append_arg(cmd, w);
		free(w);
	}
	if (cmd->overflow)
		return ib_fail(IB_E_INSTALLER, "the installer's command line exceeds %d characters", CMDLINE_MAX - 1);
	return 0;
}

/* Creates the job: nothing in it outlives the stub (kill on close), and a crash in any of its
 * processes ends that process instead of waiting at an error dialog nobody sees. */
static HANDLE make_job(void)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
	HANDLE job = CreateJobObjectW(NULL, NULL);

	if (!job)
		return NULL;
	memset(&li, 0, sizeof(li));
	li.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE |
					      JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
	if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &li, sizeof(li))) {
		CloseHandle(job);
		return NULL;
	}
	return job;
}

struct child {
	HANDLE job, process, out;
};

struct env_var {
	wchar_t *s;
	size_t name_len;
};

static int env_order(const void *a, const void *b)
{
	const struct env_var *x = a, *y = b;

	return CompareStringOrdinal(x->s, (int)x->name_len, y->s, (int)y->name_len, TRUE) - CSTR_EQUAL;
}

/* The block CreateProcessW takes with CREATE_UNICODE_ENVIRONMENT: the NAME=VALUE strings sorted
 * by name without regard to case (Windows requires it; GetEnvironmentVariable and cmd.exe's set
 * rely on it), each NUL-terminated, then one more NUL. */
static int env_block(char *const *envp, wchar_t **out)
{
	struct env_var *v;
	size_t n = 0, total = 1, at = 0;
	wchar_t *block = NULL;
	int rc = 0;

	while (envp[n])
		n++;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		const char *eq = strchr(envp[i], '=');

		v[i].s = ib_win_wide(envp[i]);
		if (!v[i].s || !eq)
			rc = ib_fail(IB_E_INSTALLER, "installer environment: '%s' is not NAME=VALUE in UTF-8", envp[i]);
		else
			v[i].name_len = wcschr(v[i].s, L'=') - v[i].s;
		if (v[i].s)
			total += wcslen(v[i].s) + 1;
	}
	if (!rc) {
		qsort(v, n, sizeof(*v), env_order);
		block = malloc(total * sizeof(wchar_t));
		rc = block ? 0 : -ENOMEM;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		size_t len = wcslen(v[i].s) + 1;

		memcpy(block + at, v[i].s, len * sizeof(wchar_t));
		at += len;
	}
	if (block)
		block[at] = L'\0';
	for (size_t i = 0; i < n; i++)
		free(v[i].s);
	free(v);
	if (rc) {
		free(block);
		return rc;
	}
	*out = block;
	return 0;
}

/* The program of a verbatim command line: the package dir, then System32, and nothing else (not
 * the Windows folder, the current directory or PATH, which a command line's author cannot see). */
static int resolve_line_program(const char *line, const wchar_t *cwd, wchar_t **out)
{
	wchar_t sys[MAX_PATH], *name, *p = NULL;
	size_t start, len;
	char *shown;
	int rc;

	if ((rc = ib_wincmd_program(line, &start, &len)))
		return ib_fail(IB_E_INSTALLER, "command line: %s", ib_errmsg(rc));
	shown = malloc(len + 1);
	if (!shown)
		return -ENOMEM;
	memcpy(shown, line + start, len);
	shown[len] = '\0';
	name = ib_win_wide(shown);
	if (name && wcspbrk(name, L"\\/"))
		rc = resolve_program(name, cwd, NULL, shown, &p); /* a path inside the package */
	else if (name) {
		p = try_dir(cwd, name);
		if (!p && GetSystemDirectoryW(sys, MAX_PATH))
			p = try_dir(sys, name);
		if (!p)
			rc = ib_fail(IB_E_INSTALLER, "cannot run '%s': not found in the package or System32", shown);
	} else {
		rc = ib_fail(IB_E_INSTALLER, "installer name '%s' is not valid UTF-8", shown);
	}
	free(name);
	free(shown);
	if (!rc)
		*out = p;
	return rc;
}

/* The program and the command line to hand CreateProcessW: from argv (quoted for the C
 * runtime), or a verbatim line whose program is given (program) or its first token. */
static int prepare(char *const *argv, const char *line, const char *program, char *const *envp, const wchar_t *wcwd,
		   wchar_t **prog, struct wbuf *cmd)
{
	int rc;

	if (!line) {
		wchar_t *a0 = ib_win_wide(argv[0]);
		const char *path = NULL;

		for (char *const *e = envp; *e && !path; e++)
			if (!_strnicmp(*e, "PATH=", 5))
				path = *e + 5;
		rc = a0 ? resolve_program(a0, wcwd, path, argv[0], prog)
			: ib_fail(IB_E_INSTALLER, "installer name '%s' is not valid UTF-8", argv[0]);
		free(a0);
		return rc ? rc : build_cmdline(argv, *prog, cmd);
	}
	if (program) {
		*prog = ib_win_wide(program);
		if (!*prog || !is_file(*prog))
			return ib_fail(IB_E_INSTALLER, "cannot run '%s': not found", program);
	} else if ((rc = resolve_line_program(line, wcwd, prog))) {
		return rc;
	}
	cmd->p = ib_win_wide(line);
	if (!cmd->p)
		return ib_fail(IB_E_INSTALLER, "the command line is not valid UTF-8");
	cmd->len = wcslen(cmd->p);
	if (cmd->len > CMDLINE_MAX - 1)
		return ib_fail(IB_E_INSTALLER, "the installer's command line exceeds %d characters", CMDLINE_MAX - 1);
	return 0;
}

static int start(char *const *argv, const char *line, const char *program, char *const *envp, const char *cwd,
		 struct stub_log *log, struct child *c)
{
	SECURITY_ATTRIBUTES inherit = {sizeof(inherit), NULL, TRUE};
	wchar_t *wcwd = NULL, *wprog = NULL, *env = NULL;
	struct wbuf cmd = {0};
	PROCESS_INFORMATION pi;
	STARTUPINFOW si;
	HANDLE wr = NULL, nul = INVALID_HANDLE_VALUE;
	DWORD n, flags;
	char *shown;
	int rc;

	wcwd = ib_win_wide(cwd);
	/* The working directory cannot use the \\?\ form, so it is normalized the classic way. */
	n = wcwd ? GetFullPathNameW(wcwd, 0, NULL, NULL) : 0;
	if (n) {
		wchar_t *full = malloc(n * sizeof(wchar_t));

		if (full && GetFullPathNameW(wcwd, n, full, NULL) < n) {
			free(wcwd);
			wcwd = full;
		} else {
			free(full);
			n = 0;
		}
	}
	if (!n || wcslen(wcwd) >= MAX_PATH - 12) {
		free(wcwd);
		return ib_fail(-ENAMETOOLONG,
			       "package dir '%s' is too long to be a working directory; use a "
			       "shorter --tmpdir",
			       cwd);
	}
	rc = prepare(argv, line, program, envp, wcwd, &wprog, &cmd);
	if (!rc && (shown = ib_win_utf8(cmd.p))) {
		log_msg(log, "info", "command line: %s", shown);
		free(shown);
	}
	if (rc || (rc = env_block(envp, &env)))
		goto out;
	if (!CreatePipe(&c->out, &wr, &inherit, 64 * 1024) || !SetHandleInformation(c->out, HANDLE_FLAG_INHERIT, 0)) {
		rc = ib_fail(-EIO, "cannot create a pipe: %s", ib_win_strerror(GetLastError()));
		goto out;
	}
	nul = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING, 0, NULL);
	c->job = make_job();
	if (nul == INVALID_HANDLE_VALUE || !c->job) {
		rc = ib_fail(-EIO, "cannot prepare the installer's job: %s", ib_win_strerror(GetLastError()));
		goto out;
	}
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = nul;
	si.hStdOutput = wr;
	si.hStdError = wr;
	/* Suspended until it is in the job, so not even its first child can escape the tree. Our
	 * only inheritable handles are the two set up here. With no console of our own (the
	 * agent), a console installer gets none either instead of a new window. */
	flags = CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | (GetConsoleWindow() ? 0 : CREATE_NO_WINDOW);
	if (!CreateProcessW(wprog, cmd.p, NULL, NULL, TRUE, flags, env, wcwd, &si, &pi)) {
		DWORD e = GetLastError();

		rc = ib_fail(IB_E_INSTALLER, "cannot run '%s': %s", line ? line : argv[0], ib_win_strerror(e));
		goto out;
	}
	if (!AssignProcessToJobObject(c->job, pi.hProcess)) {
		DWORD e = GetLastError();

		TerminateProcess(pi.hProcess, KILLED_CODE);
		WaitForSingleObject(pi.hProcess, INFINITE);
		CloseHandle(pi.hThread);
		CloseHandle(pi.hProcess);
		rc = ib_fail(-EIO, "cannot put the installer into a job object: %s", ib_win_strerror(e));
		goto out;
	}
	ResumeThread(pi.hThread);
	CloseHandle(pi.hThread);
	c->process = pi.hProcess;
out:
	/* Our copies of the child's ends: once the tree exits, the pipe reports end of file. */
	if (wr)
		CloseHandle(wr);
	if (nul != INVALID_HANDLE_VALUE)
		CloseHandle(nul);
	free(env);
	free(cmd.p);
	free(wprog);
	free(wcwd);
	return rc;
}

static int run(char *const *argv, const char *line, const char *program, char *const *envp, const char *cwd,
	       unsigned timeout, struct stub_log *log, volatile sig_atomic_t *cancel, struct run_result *res)
{
	ULONGLONG deadline = GetTickCount64() + (ULONGLONG)timeout * 1000;
	struct child c = {NULL, NULL, NULL};
	int pending_cr = 0, exited = 0, open = 1, rc;
	DWORD code = 0;

	memset(res, 0, sizeof(*res));
	rc = start(argv, line, program, envp, cwd, log, &c);
	while (!rc) {
		if (open)
			open = pump(c.out, log, &pending_cr);
		if (*cancel) {
			TerminateJobObject(c.job, KILLED_CODE);
			rc = ib_fail(IB_E_INTERRUPTED, "interrupted: the installer's process tree was stopped");
			break;
		}
		if (!exited && WaitForSingleObject(c.process, 0) == WAIT_OBJECT_0) {
			exited = 1;
			GetExitCodeProcess(c.process, &code);
		}
		/* Windows installers often start a second process (a copy of themselves, msiexec)
		 * and may return before it ends: the install is done when the whole tree is. */
		if (exited && job_empty(c.job))
			break;
		if (GetTickCount64() >= deadline) {
			TerminateJobObject(c.job, KILLED_CODE);
			if (!exited) {
				res->timed_out = 1;
				rc = ib_fail(IB_E_TIMEOUT,
					     "installer did not finish within %u s; its process tree "
					     "(job object) was terminated",
					     timeout);
			} else {
				log_msg(log, "warning",
					"installer exited with %ld, but processes it started were "
					"still running after %u s; they were terminated",
					(long)(int32_t)code, timeout);
			}
			break;
		}
		if (exited)
			Sleep(POLL_MS);
		else
			WaitForSingleObject(c.process, POLL_MS);
	}
	if (c.process)
		WaitForSingleObject(c.process, 5000);
	if (c.out) {
		if (open)
			(void)pump(c.out, log, &pending_cr);
		if (pending_cr)
			log_raw(log, "\r", 1);
		CloseHandle(c.out);
	}
	if (!rc) {
		res->exited = 1;
		/* All 32 bits: 3010, 1641 and NTSTATUS crash codes (0xC0000005) survive. */
		res->code = (long)(int32_t)code;
		if (code >= 0xC0000000u)
			log_msg(log, "warning", "installer ended with exception code 0x%08lX", (unsigned long)code);
	}
	if (c.process)
		CloseHandle(c.process);
	if (c.job)
		CloseHandle(c.job); /* kills anything left, should the loop have ended early */
	return rc;
}

int plat_run(char *const *argv, char *const *envp, int dirfd, const char *cwd, unsigned timeout, struct stub_log *log,
	     volatile sig_atomic_t *cancel, struct run_result *res)
{
	(void)dirfd;
	return run(argv, NULL, NULL, envp, cwd, timeout, log, cancel, res);
}

int plat_run_line(const char *line, const char *program, char *const *envp, const char *cwd, unsigned timeout,
		  struct stub_log *log, volatile sig_atomic_t *cancel, struct run_result *res)
{
	return run(NULL, line, program, envp, cwd, timeout, log, cancel, res);
}
