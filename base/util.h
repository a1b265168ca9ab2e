/* Small shared helpers: little-endian codecs, hex, bounded buffers, number parsing. */
#ifndef IBPACK_UTIL_H
#define IBPACK_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h" /* IB_PRINTF_FMT */

#define IB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline void ib_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void ib_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void ib_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t ib_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t ib_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ib_get_le64(const uint8_t *p)
{
	return (uint64_t)ib_get_le32(p) | (uint64_t)ib_get_le32(p + 4) << 32;
}

/* Writes 2*len lowercase hex digits and a NUL into out (size 2*len+1). */
void ib_hex_encode(const uint8_t *in, size_t len, char *out);
/* Decodes exactly 2*len hex digits; returns 0 or IB_E_FORMAT. */
int ib_hex_decode(const char *hex, uint8_t *out, size_t len);

/* Growable byte buffer with a hard size cap, so hostile input cannot grow it without bound. */
struct ib_buf {
	uint8_t *data;
	size_t len, cap, max;
};
void ib_buf_init(struct ib_buf *b, size_t max);
int ib_buf_append(struct ib_buf *b, const void *p, size_t n);
int ib_buf_printf(struct ib_buf *b, const char *fmt, ...) __attribute__((format(IB_PRINTF_FMT, 2, 3)));
void ib_buf_release(struct ib_buf *b);

/* Strict unsigned parse of a whole string: returns 0 or IB_E_USAGE. */
int ib_parse_u64(const char *s, uint64_t max, uint64_t *out);
int ib_parse_int(const char *s, long min, long max, long *out);

char *ib_strdup(const char *s);
/* snprintf that reports truncation as -ENAMETOOLONG. */
int ib_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(IB_PRINTF_FMT, 3, 4)));

/* "512 B", "1.5 KiB", "300.0 MiB": a byte count for people. */
void ib_human_size(uint64_t n, char *buf, size_t size);
/* One progress line: "label  12.0 MiB / 300.0 MiB  4%  80.0 MiB/s  ETA 0:03" (elapsed: seconds
 * since the step began; the rate and ETA appear once it is measurable). */
void ib_progress_line(char *buf, size_t size, const char *label, uint64_t done, uint64_t total, double elapsed);

/* Formats seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (buf of at least 21 bytes). */
void ib_format_utc(int64_t t, char *buf, size_t size);

#endif
