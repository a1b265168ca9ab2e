/* What a Mellanox PCI function is, for selection: which ConnectX models, VF or PF, InfiniBand or
 * not, and why it is ignored. Shared by the Linux (sysfs) and Windows (SetupAPI) detection. */
#ifndef IBPACK_PCI_H
#define IBPACK_PCI_H

#include <stddef.h>
#include <stdint.h>

struct ib_pci_verdict {
	size_t nmodels;
	const char *models[2]; /* candidate model tokens, best first */
	int is_vf;
	int infiniband; /* class 0x0207 and a known model: offered to selection */
	char note[128]; /* why it is ignored, or what is ambiguous; empty when neither */
};

/* Classifies a Mellanox function by device id and 24-bit class code; class_known is 0 when the
 * platform did not report a class code. */
void ib_pci_classify(uint16_t device, uint32_t class_code, int class_known, struct ib_pci_verdict *v);

#endif
