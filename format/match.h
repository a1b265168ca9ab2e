/* Hardware and OS vocabulary (NIC models, PCI ids, OS tokens) and package selection. */
#ifndef IBPACK_MATCH_H
#define IBPACK_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

#define IB_PCI_VENDOR_MELLANOX 0x15b3
#define IB_PCI_CLASS_INFINIBAND 0x0207 /* class/subclass; 0x0200 is Ethernet */
#define IB_VMBUS_ND_CLASS "8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501"
#define IB_NIC_ND "nd"

struct ib_nic_model {
	const char *token; /* "cx6" */
	const char *name;  /* "ConnectX-6" */
	uint16_t pf, vf;   /* PCI device ids of the physical and virtual function */
};

const struct ib_nic_model *ib_nic_by_token(const char *token);
const char *ib_nic_name(const char *token); /* human name, or the token itself */
int ib_nic_token_known(const char *token);

/* Maps an InfiniBand-class Mellanox PCI device id to candidate model tokens, best first.
 * Returns the number of candidates (0 when unknown); *is_vf says which function it is.
 * Shared VF ids are resolved as docs/SPEC.md explains: 0x1004 -> cx3pro then cx3 (Azure's
 * SR-IOV ConnectX-3 generation is the Pro), 0x101e -> cx7 (ConnectX-6 Dx/Lx are Ethernet-only,
 * so an InfiniBand-class 0x101e function is a ConnectX-7). */
size_t ib_nic_from_pci(uint16_t device, int *is_vf, const char *tokens[2]);

/* Shell-style match where only '*' is special. */
int ib_glob(const char *pattern, const char *s);

/* 1 for a Windows OS token this version knows or a Linux "<id>-<version>" shape. */
int ib_os_token_known(const char *token);
int ib_os_is_windows(const char *token);

#define IB_WHY_MAX 768

struct ib_selection {
	const struct ib_package *pkg; /* chosen package, or NULL */
	const char *nic;              /* detected token that matched */
	const char *os_pattern;       /* pattern that matched */
	int result;                   /* 0, IB_E_NODEVICE or IB_E_UNSUPPORTED_OS */
	char why[IB_WHY_MAX];         /* one sentence explaining the decision */
};

/* Picks the package for os and the detected NIC tokens: packages whose OS pattern matches and
 * whose NIC list holds a detected token; highest priority wins, then spec order. */
int ib_select(const struct ib_manifest *m, const char *os, const char *const *nics, size_t nnics,
	      struct ib_selection *sel);

#endif
