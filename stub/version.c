/* BUNDLE --version: the bundle's identity (from its authenticated manifest), then the stub's
 * version and the libraries linked into it, for support requests. */
#include "actions.h"

#include "../format/version.h"
#include "../signing/crypto.h"

#ifndef IBPACK_VERSION
#define IBPACK_VERSION "0.0.0-dev"
#endif

int stub_version(struct stub_ctx *c)
{
	const struct ib_manifest *m = &c->bundle.m;
	char libs[1024];
	int rc = ib_crypto_init();

	c->action = "version";
	if (!rc)
		rc = stub_open(c);
	if (!rc)
		printf("%s %s (sequence %llu, %s, created %s)\n", m->name, m->version, (unsigned long long)m->sequence,
		       ib_target_name(m->target), m->created);
	printf("ibpack stub %s (%s)\n", IBPACK_VERSION, ib_target_name(c->target));
	if (!ib_version_libs(libs, sizeof(libs)))
		fputs(libs, stdout);
	/* an unreadable or untrusted bundle still shows the stub, then fails as --verify would */
	return stub_finish(c, rc);
}
