/* The spec's key vocabulary: a misspelt key is an error with a suggestion, never ignored. */
#ifndef IBPACK_SPEC_KEYS_H
#define IBPACK_SPEC_KEYS_H

#include <stddef.h>

struct cJSON;

/* Checks every object of a parsed spec against the keys docs/SPEC.md lists. Returns 0, or
 * IB_E_SPEC with the message "<json path>: unknown key (did you mean "x"?)". */
int ib_spec_check_keys(const struct cJSON *root);

/* Line and column (both from 1) of byte offset off in text, for syntax errors. */
void ib_text_position(const char *text, size_t len, size_t off, unsigned *line, unsigned *col);

/* The word of words[0..n) closest to s by edit distance, when close enough to be a likely typo
 * (at most 2 edits, and fewer than half of s); NULL otherwise. */
const char *ib_suggest(const char *s, const char *const *words, size_t n);

#endif
