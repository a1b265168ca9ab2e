/* Small shared helpers: little-endian codecs, hex, bounded buffers, number parsing. */
#include "util.h"

#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ib_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ib_hex_decode(const char *hex, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return IB_E_FORMAT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return hex[2 * len] == '\0' ? 0 : IB_E_FORMAT;
}

void ib_buf_init(struct ib_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

static int buf_reserve(struct ib_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (extra > b->max || b->len > b->max - extra)
		return ib_fail(IB_E_LIMIT, "buffer would exceed %zu bytes", b->max);
	need = b->len + extra + 1; /* room for a terminating NUL */
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int ib_buf_append(struct ib_buf *b, const void *p, size_t n)
{
	int rc = buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

int ib_buf_printf(struct ib_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	rc = buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void ib_buf_release(struct ib_buf *b)
{
	free(b->data);
	ib_buf_init(b, b->max);
}

int ib_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return IB_E_USAGE;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return IB_E_USAGE;
	*out = v;
	return 0;
}

int ib_parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	/* strtol would skip leading white space and accept '+': only [-]digits is a number here. */
	if (!s || !((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
		return IB_E_USAGE;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return IB_E_USAGE;
	*out = v;
	return 0;
}

char *ib_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

int ib_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

void ib_human_size(uint64_t n, char *buf, size_t size)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

void ib_progress_line(char *buf, size_t size, const char *label, uint64_t done, uint64_t total, double elapsed)
{
	char d[32], t[32], r[32], eta[32];
	double rate = elapsed > 0.05 ? (double)done / elapsed : 0;

	ib_human_size(done, d, sizeof(d));
	ib_human_size(total, t, sizeof(t));
	ib_human_size((uint64_t)rate, r, sizeof(r));
	if (done >= total) {
		snprintf(eta, sizeof(eta), "done");
	} else if (rate > 0) {
		unsigned long left = (unsigned long)((double)(total - done) / rate + 0.5);

		snprintf(eta, sizeof(eta), "ETA %lu:%02lu", left / 60, left % 60);
	} else {
		snprintf(eta, sizeof(eta), "ETA --:--");
	}
	snprintf(buf, size, "  %-28.28s %10s / %-10s %3d%%  %10s/s  %s", label, d, t,
		 total ? (int)(done * 100 / total) : 100, r, eta);
}

void ib_format_utc(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

#ifdef _WIN32
	if (gmtime_s(&tm, &tt) != 0)
#else
	if (!gmtime_r(&tt, &tm))
#endif
	{
		snprintf(buf, size, "1970-01-01T00:00:00Z");
		return;
	}
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
