/* Text from a bundle made safe to show: UTF-8 checks and escaping for terminals and logs. */
#ifndef IBPACK_TEXT_H
#define IBPACK_TEXT_H

#include <stddef.h>

/* Length (1-4) of the well-formed UTF-8 sequence at p (at most n bytes), or 0 when it is not one
 * (overlong forms, surrogates and code points above U+10FFFF are not well-formed). */
size_t ib_utf8_seq(const unsigned char *p, size_t n);

/* Checks JSON text before any parser sees it: well-formed UTF-8 throughout, no raw control
 * character (below 0x20) inside a string, no \u0000 escape. Returns 0 or IB_E_FORMAT with the
 * byte offset of the problem in *where. */
int ib_json_text_check(const unsigned char *p, size_t n, size_t *where);

/* Copies in to out (size bytes, always terminated) with every control character (C0, DEL, C1),
 * bidirectional override and invalid UTF-8 byte written as a visible escape (\n, \x1b, \u202e),
 * so text from a manifest cannot move the cursor, recolour a terminal or fake a log line.
 * Truncates with "..." when out is too small. Returns out. */
char *ib_text_escape(const char *in, char *out, size_t size);

#endif
