/* Trust for a bundle read as data (--bundle FILE): 'ibpack install' runs on Linux hosts only. */
#include "actions.h"

#include "../base/err.h"

int stub_host_trust(struct stub_ctx *c, struct ib_trust *t)
{
	(void)c;
	(void)t;
	return ib_fail(IB_E_USAGE, "--bundle is not supported by the Windows stub");
}
