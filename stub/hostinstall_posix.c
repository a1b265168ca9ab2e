/* Trust for a bundle read as data (--bundle FILE, what 'ibpack install' runs): this machine's
 * anchors, never the keys the bundle names itself. */
#include "actions.h"

#include "../base/err.h"
#include "../format/truststore.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int stub_host_trust(struct stub_ctx *c, struct ib_trust *t)
{
	const struct stub_opts *o = c->opts;
	struct ib_anchor_files f = {0};
	uint8_t *area = malloc(IB_TRUST_AREA_SIZE);
	int rc;

	if (!area)
		return ib_fail(-ENOMEM, "out of memory");
	/* The bundle's own policy still narrows what counts: its revocations and threshold. */
	rc = ib_bundle_trust_area(&c->bundle, area);
	if (!rc && !o->ntrust_keys && !o->ntrust_cas)
		rc = ib_trust_store_files(ib_trust_store_dir(), &f);
	if (!rc && !o->ntrust_keys && !o->ntrust_cas && !f.nkeys && !f.ncas)
		rc = ib_fail(IB_E_UNTRUSTED,
			     "'%s' is not trusted by this machine: no anchor (pass -p KEY.pub or "
			     "--trust-ca CA.pem, or install the signer's key in %s/)",
			     o->bundle_file, ib_trust_store_dir());
	if (!rc && (o->ntrust_keys || o->ntrust_cas))
		rc = ib_trust_resolve(area, (const char *const *)o->trust_keys, o->ntrust_keys,
				      (const char *const *)o->trust_cas, o->ntrust_cas, 0, t);
	else if (!rc)
		rc = ib_trust_resolve(area, (const char *const *)f.keys, f.nkeys, (const char *const *)f.cas, f.ncas, 0,
				      t);
	ib_anchor_files_release(&f);
	free(area);
	return rc;
}
