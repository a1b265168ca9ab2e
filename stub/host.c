/* Platform-neutral parts of detection: classifying what was found and the model tokens to select with. */
#include "stub.h"

#include "../policy/pci.h"

#include <stdlib.h>
#include <string.h>

void stub_dev_classify(struct stub_dev *d, int class_known)
{
	struct ib_pci_verdict v;

	ib_pci_classify(d->device, d->class_code, class_known, &v);
	d->nmodels = v.nmodels;
	d->models[0] = v.models[0];
	d->models[1] = v.models[1];
	d->is_vf = v.is_vf;
	d->infiniband = v.infiniband;
	memcpy(d->note, v.note, sizeof(d->note));
}

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

void stub_host_export_kernel(const struct stub_host *h)
{
#ifndef _WIN32
	/* Installers build kernel modules (DKMS) for this kernel: in an image install uname -r is
	 * the build machine's, not the image's. Failure leaves the variable unset, which installers
	 * treat as "use uname -r". */
	if (h->kernel[0] && strcmp(h->kernel, "unknown"))
		(void)setenv("IBPACK_KERNEL", h->kernel, 1);
#else
	(void)h;
#endif
}
