/* Classification of Mellanox PCI functions: model tokens, VF or PF, InfiniBand or not. */
#include "pci.h"

#include "match.h"

#include <stdio.h>
#include <string.h>

void ib_pci_classify(uint16_t device, uint32_t class_code, int class_known, struct ib_pci_verdict *v)
{
	int ib_class = (class_code >> 8) == IB_PCI_CLASS_INFINIBAND;

	memset(v, 0, sizeof(*v));
	v->nmodels = ib_nic_from_pci(device, &v->is_vf, v->models);
	/* Accelerated-networking VFs are Mellanox too: only class 0x0207 is InfiniBand. */
	v->infiniband = ib_class && v->nmodels > 0;
	if (!class_known)
		snprintf(v->note, sizeof(v->note), "no class code (PCI\\CC_xxxx) in its compatible ids");
	else if (!ib_class)
		snprintf(v->note, sizeof(v->note), "not InfiniBand (class 0x%06x, Ethernet is 0x0200xx)",
			 (unsigned)class_code);
	else if (!v->nmodels)
		snprintf(v->note, sizeof(v->note), "unknown Mellanox device id 0x%04x", device);
	else if (v->nmodels > 1)
		snprintf(v->note, sizeof(v->note),
			 "VF id 0x%04x is shared by %s and %s; both are offered to "
			 "selection",
			 device, v->models[0], v->models[1]);
}
