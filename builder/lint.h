/* The spec lint of `ibpack check`: findings about a spec's selection rules. */
#ifndef IBPACK_LINT_H
#define IBPACK_LINT_H

#include <stddef.h>

#include "../format/manifest.h"

struct ib_lint_finding {
	const char *kind;        /* "overlap", "unknown-os", "wrong-target-os", "unknown-nic",
				    "unreachable", "shared-vf", "quoted-arg" */
	const char *pkg, *other; /* package ids (owned by the manifest); other may be NULL */
	char msg[768];
};

struct ib_lint {
	struct ib_lint_finding *v;
	size_t n;
};

/* Lints m's rules against a concrete set of OS tokens (the spec's literal tokens, the known
 * Windows tokens and a stand-in per '*' pattern) and every NIC token. Returns 0 or -ENOMEM;
 * findings go to out (release with ib_lint_release). */
int ib_lint_spec(const struct ib_manifest *m, struct ib_lint *out);
void ib_lint_release(struct ib_lint *l);

#endif
