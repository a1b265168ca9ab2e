/* The stub's log: timestamped lines in a file and, unless quiet, on the terminal; every message is
 * escaped (manifest text may hold control characters), installer output is copied as it is. */
#include "stub.h"

#include "../base/text.h"
#include "../base/util.h"
#ifdef _WIN32
#include "../base/fileio.h"
#include <stdlib.h>
#endif

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#ifndef _WIN32
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Never through a symlink, never a FIFO or device, never inherited by the installer. */
static FILE *open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0640);
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	if (!(f = fdopen(fd, "a")))
		close(fd);
	return f;
}
#endif

void log_open(struct stub_log *l, const char *path, FILE *echo)
{
	l->file = NULL;
	l->echo = echo;
	l->path[0] = '\0';
	if (!path || !*path)
		return;
	snprintf(l->path, sizeof(l->path), "%s", path);
#ifdef _WIN32
	{
		/* The C runtime's fopen takes the ANSI code page; paths are UTF-8 here. */
		wchar_t *w = ib_win_wide(path);

		/* "N": the handle is not inherited by the installer. */
		l->file = w ? _wfopen(w, L"aN") : NULL;
		free(w);
	}
#else
	l->file = open_log(path);
#endif
	if (!l->file && echo)
		fprintf(stderr,
			"ibpack: warning: cannot open log file '%s': %s (use --log-file with a "
			"regular file, not a symlink)\n",
			path, strerror(errno));
}

void log_msg(struct stub_log *l, const char *level, const char *fmt, ...)
{
	char ts[32], raw[8192], safe[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	ib_text_escape(raw, safe, sizeof(safe));
	if (l->file) {
		ib_format_utc((int64_t)time(NULL), ts, sizeof(ts));
		fprintf(l->file, "%s [%s] %s\n", ts, level, safe);
		fflush(l->file);
	}
	if (l->echo) {
		/* Problems go to stderr even when progress goes to stdout. */
		FILE *out = strcmp(level, "info") != 0 ? stderr : l->echo;

		if (out == stderr)
			fprintf(out, "ibpack: %s: ", level);
		fprintf(out, "%s\n", safe);
		fflush(out);
	}
}

void log_raw(struct stub_log *l, const char *data, size_t len)
{
	if (l->file) {
		fwrite(data, 1, len, l->file);
		fflush(l->file);
	}
	if (l->echo) {
		fwrite(data, 1, len, l->echo);
		fflush(l->echo);
	}
}

void log_close(struct stub_log *l)
{
	if (l->file)
		fclose(l->file);
	l->file = NULL;
}
