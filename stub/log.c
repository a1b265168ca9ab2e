/* The stub's log: timestamped lines in a file and, unless quiet, on the terminal. */
#include "stub.h"

#include "../base/util.h"
#ifdef _WIN32
#include "../base/fileio.h"
#include <stdlib.h>
#endif

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

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

		l->file = w ? _wfopen(w, L"a") : NULL;
		free(w);
	}
#else
	l->file = fopen(path, "a");
#endif
	if (!l->file && echo)
		fprintf(stderr, "ibpack: warning: cannot open log file '%s': %s (use --log-file)\n", path,
			strerror(errno));
}

void log_msg(struct stub_log *l, const char *level, const char *fmt, ...)
{
	char ts[32];
	va_list ap;

	if (l->file) {
		ib_format_utc((int64_t)time(NULL), ts, sizeof(ts));
		fprintf(l->file, "%s [%s] ", ts, level);
		va_start(ap, fmt);
		vfprintf(l->file, fmt, ap);
		va_end(ap);
		fputc('\n', l->file);
		fflush(l->file);
	}
	if (l->echo) {
		/* Problems go to stderr even when progress goes to stdout. */
		FILE *out = strcmp(level, "info") != 0 ? stderr : l->echo;

		if (out == stderr)
			fprintf(out, "ibpack: %s: ", level);
		va_start(ap, fmt);
		vfprintf(out, fmt, ap);
		va_end(ap);
		fputc('\n', out);
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
