/* Platform-neutral parts of detection: the list of InfiniBand model tokens to select with. */
#include "stub.h"

#include <string.h>

void stub_host_collect(struct stub_host *h)
{
	h->nnics = 0;
	for (size_t i = 0; i < h->ndevs; i++) {
		const struct stub_dev *d = &h->devs[i];

		if (!d->infiniband)
			continue;
		for (size_t m = 0; m < d->nmodels; m++) {
			int seen = 0;

			for (size_t j = 0; j < h->nnics; j++)
				seen |= !strcmp(h->nics[j], d->models[m]);
			if (!seen && h->nnics < STUB_MAX_NICS)
				h->nics[h->nnics++] = d->models[m];
		}
	}
}
