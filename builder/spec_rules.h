/* Strict spec rules that need more than the JSON: tokens (builder/lint.c) and the install
 * program, enforced the same way by build and check. */
#ifndef IBPACK_SPEC_RULES_H
#define IBPACK_SPEC_RULES_H

#include "lint.h"

/* Appends a "missing-program" finding to out for each package whose install program is not in
 * its package (relative paths; on Windows also bare names that are neither in the package nor
 * a System32 program). Packages whose source is absent are skipped: check reports those as
 * missing, build fails on them. Returns 0 or -ENOMEM. */
int spec_check_programs(const struct ib_manifest *m, const char *spec_dir, struct ib_lint *out);

/* 1 for the finding kinds that make a spec unbuildable: unknown or wrong-target tokens (unless
 * allow_unknown_tokens) and a missing install program. */
int spec_finding_is_error(const struct ib_lint_finding *f, int allow_unknown_tokens);

/* Build's gate: lints m, checks the install programs, prints every error (and, with
 * allow_unknown_tokens, token findings as warnings) on stderr prefixed with spec_path, and
 * returns IB_E_SPEC when there is an error. */
int spec_enforce(const char *spec_path, const struct ib_manifest *m, const char *spec_dir, int allow_unknown_tokens);

#endif
