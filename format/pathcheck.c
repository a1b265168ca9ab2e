/* Validation of relative archive paths, shared by the POSIX and Windows output directories. */
#include "outdir.h"

#include "../base/err.h"
#include "../base/util.h"

#include <string.h>

int ib_path_check(const char *path)
{
	const char *p = path;
	size_t len = strlen(path);

	if (len == 0 || len > 4096)
		return ib_fail(IB_E_UNSAFE, "empty or overlong path in archive");
	if (path[0] == '/')
		return ib_fail(IB_E_UNSAFE, "absolute path '%s' in archive", path);
	if (strchr(path, '\\') || (len >= 2 && path[1] == ':'))
		return ib_fail(IB_E_UNSAFE, "path '%s' has a backslash or drive letter", path);
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		/* A trailing slash is allowed (directory entries); an empty inner part is not. */
		if ((n == 0 && slash) || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return ib_fail(IB_E_UNSAFE, "path '%s' has an empty, '.' or '..' component", path);
		if (!slash)
			break;
		p = slash + 1;
	}
	return 0;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned c = s[0], min, cp;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int ib_path_utf8_check(const char *path)
{
	for (const unsigned char *s = (const unsigned char *)path; *s;) {
		size_t n = utf8_seq(s);

		if (!n)
			return ib_fail(IB_E_UNSAFE,
				       "'%s' is not valid UTF-8 (byte %zu): file names must be UTF-8, "
				       "so that Linux and Windows extract the same files; rename it",
				       path, (size_t)(s - (const unsigned char *)path));
		s += n;
	}
	return 0;
}

int ib_entry_name_copy(const char *name, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!name || !*name)
		return IB_E_UNSAFE;
	if (ib_snprintf(buf, size, "%s", name)) {
		buf[0] = '\0';
		return ib_fail(IB_E_UNSAFE, "an archive path is too long");
	}
	return 0;
}
