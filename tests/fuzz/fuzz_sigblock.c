/* Fuzz target: signature block parsing, and trust checks over what it yields. */
#include "../../format/format.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ib_sigblock sb;
	struct ib_trust t = {.threshold = 1};
	size_t valid;

	if (ib_sigblock_decode(data, size, &sb) == 0) {
		/* No trusted keys: every signature must be skipped without touching its bytes. */
		(void)ib_trust_check(&t, &sb, data, size, &valid);
		/* CMS entries are parsed to explain rejections and for reports. */
		for (size_t i = 0; i < sb.count; i++) {
			struct ib_cms_info info;

			if (sb.sigs[i].alg == IB_ALG_CMS)
				(void)ib_cms_inspect(sb.sigs[i].sig, sb.sigs[i].len, &info);
		}
		ib_sigblock_release(&sb);
	}
	/* The same bytes as a trust area image. */
	if (ib_trust_decode(data, size, &t) == 0)
		ib_trust_release(&t);
	return 0;
}
