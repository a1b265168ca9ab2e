/* UTF-8 well-formedness, the JSON pre-check for signed manifests, and display escaping. */
#include "text.h"

#include "err.h"

#include <stdio.h>
#include <string.h>

size_t ib_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int ib_json_text_check(const unsigned char *p, size_t n, size_t *where)
{
	int in_string = 0;

	for (size_t i = 0; i < n;) {
		size_t len = ib_utf8_seq(p + i, n - i);

		*where = i;
		if (!len)
			return ib_fail(IB_E_FORMAT, "invalid UTF-8 at byte %zu", i);
		if (len == 1 && in_string && p[i] < 0x20)
			return ib_fail(IB_E_FORMAT, "raw control character 0x%02x in a string at byte %zu", p[i], i);
		if (len == 1 && p[i] == '"') {
			in_string = !in_string;
		} else if (len == 1 && in_string && p[i] == '\\' && i + 1 < n) {
			/* An escape: skip the escaped character; \u0000 would cut a C string short. */
			if (p[i + 1] == 'u' && i + 5 < n && !memcmp(p + i + 2, "0000", 4))
				return ib_fail(IB_E_FORMAT, "\\u0000 in a string at byte %zu", i);
			if (p[i + 1] < 0x20 || p[i + 1] >= 0x80)
				return ib_fail(IB_E_FORMAT, "bad escape at byte %zu", i);
			i += 2;
			continue;
		}
		i += len;
	}
	*where = n;
	return 0;
}

static int put(char *out, size_t size, size_t *used, const char *s, size_t n)
{
	if (*used + n + 4 > size) /* keep room for "..." and the NUL */
		return -1;
	memcpy(out + *used, s, n);
	*used += n;
	return 0;
}

char *ib_text_escape(const char *in, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t n = strlen((const char *)p), used = 0;

	if (!size)
		return out;
	if (size < 4) {
		out[0] = '\0';
		return out;
	}
	for (size_t i = 0; i < n;) {
		size_t len = ib_utf8_seq(p + i, n - i);
		char esc[12];
		int r;

		if (len == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
			r = put(out, size, &used, esc, strlen(esc));
			len = 1;
		} else if (len == 1 && (p[i] < 0x20 || p[i] == 0x7f)) {
			if (p[i] == '\n')
				snprintf(esc, sizeof(esc), "\\n");
			else if (p[i] == '\t')
				snprintf(esc, sizeof(esc), "\\t");
			else if (p[i] == '\r')
				snprintf(esc, sizeof(esc), "\\r");
			else
				snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
			r = put(out, size, &used, esc, strlen(esc));
		} else if (len == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) {
			snprintf(esc, sizeof(esc), "\\u%04x", p[i + 1]); /* C1 control, U+0080-U+009F */
			r = put(out, size, &used, esc, strlen(esc));
		} else if (len == 3 && p[i] == 0xe2 &&
			   ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
			    (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9) ||
			    (p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)))) {
			/* bidirectional embeddings, overrides and isolates; line/paragraph separators */
			snprintf(esc, sizeof(esc), "\\u%04x",
				 (unsigned)((p[i] & 0x0f) << 12 | (p[i + 1] & 0x3f) << 6 | (p[i + 2] & 0x3f)));
			r = put(out, size, &used, esc, strlen(esc));
		} else {
			r = put(out, size, &used, (const char *)p + i, len);
		}
		if (r) {
			memcpy(out + used, "...", 4);
			return out;
		}
		i += len;
	}
	out[used] = '\0';
	return out;
}
