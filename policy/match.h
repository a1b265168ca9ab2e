/* Hardware and OS vocabulary (NIC models, PCI ids, OS tokens) and package selection. */
#ifndef IBPACK_MATCH_H
#define IBPACK_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "../format/manifest.h"

#define IB_PCI_VENDOR_MELLANOX  0x15b3
#define IB_PCI_CLASS_INFINIBAND 0x0207 /* class/subclass; 0x0200 is Ethernet */
#define IB_VMBUS_ND_CLASS       "8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501"
#define IB_NIC_ND               "nd"

struct ib_nic_model {
	const char *token; /* "cx6" */
	const char *name;  /* "ConnectX-6" */
	uint16_t pf, vf;   /* PCI device ids of the physical and virtual function */
	int infiniband;    /* 0: Ethernet-only adapter, never an InfiniBand (class 0x0207) function */
};

const struct ib_nic_model *ib_nic_by_token(const char *token);
/* The i-th model of the vocabulary (spec order of docs/SPEC.md), NULL past the end. */
const struct ib_nic_model *ib_nic_model_at(size_t i);
const char *ib_nic_name(const char *token); /* human name, or the token itself */
int ib_nic_token_known(const char *token);
/* 1 when detection can report this token: an InfiniBand-capable model or nd. */
int ib_nic_detectable(const char *token);

/* Maps an InfiniBand-class Mellanox PCI device id to candidate model tokens, best first.
 * Returns the number of candidates (0 when unknown); *is_vf says which function it is.
 * Shared VF ids (docs/SPEC.md, "Shared VF ids"): 0x1004 -> cx3pro and cx3, both offered to
 * selection, so the bundle's own rules decide (both models use the same drivers: WinOF 5.x,
 * MLNX_OFED 4.9; `ibpack check` flags a spec that sends them to different packages);
 * 0x101e -> cx7 and cx8 (ConnectX-6 Dx/Lx are Ethernet-only, so an InfiniBand-class 0x101e
 * function is a ConnectX-7 or a ConnectX-8, which mlx5 gives no VF id of its own). */
size_t ib_nic_from_pci(uint16_t device, int *is_vf, const char *tokens[2]);

/* Shell-style match where only '*' is special. */
int ib_glob(const char *pattern, const char *s);

/* 1 for a Windows OS token this version knows or a Linux "<id>-<version>" shape. */
int ib_os_token_known(const char *token);
int ib_os_is_windows(const char *token);
/* The i-th Windows OS token this version knows, NULL past the end. */
const char *ib_os_windows_token(size_t i);

#define IB_WHY_MAX 1000

/* How a selection ended; the names are the vocabulary of bundles/matrix-expected.tsv. */
enum ib_outcome {
	IB_SEL_SELECTED = 0,       /* "selected": a package matched */
	IB_SEL_NO_DEVICE,          /* "no-device": no InfiniBand device (IB_E_NODEVICE) */
	IB_SEL_NIC_NOT_IN_BUNDLE,  /* "nic-not-in-bundle": no package lists a detected NIC (IB_E_NODEVICE) */
	IB_SEL_OS_NOT_IN_BUNDLE,   /* "unsupported-os": no package lists the OS (IB_E_UNSUPPORTED_OS) */
	IB_SEL_NIC_NOT_ON_OS,      /* "unsupported-nic": the NIC is supported, not on this OS (IB_E_UNSUPPORTED_OS) */
	IB_SEL_KERNEL_UNSUPPORTED, /* "kernel_unsupported": OS and NIC match, the kernel fits no package
				    * (IB_E_UNSUPPORTED_KERNEL) */
};
const char *ib_outcome_name(int outcome);

struct ib_selection {
	const struct ib_package *pkg; /* chosen package, or NULL */
	const char *nic;              /* detected token that matched */
	const char *os_pattern;       /* pattern that matched */
	const char *kernel_pattern;   /* kernel pattern that matched, NULL when the package has none */
	int result;                   /* 0, IB_E_NODEVICE, IB_E_UNSUPPORTED_OS or IB_E_UNSUPPORTED_KERNEL */
	int outcome;                  /* enum ib_outcome: which rule decided */
	char why[IB_WHY_MAX];         /* the rule that matched, or why nothing did */
};

/* Picks the package for os and the detected NIC tokens: packages whose OS pattern matches and
 * whose NIC list holds a detected token; highest priority wins, then spec order (one package
 * per run, also when several NICs are found). Without a match: no NIC token -> no-device; no
 * package lists any detected NIC -> nic-not-in-bundle (both IB_E_NODEVICE); no package lists
 * the OS -> unsupported-os; else unsupported-nic (both IB_E_UNSUPPORTED_OS). The kernel is not
 * checked: ib_select_kernel with a NULL kernel. */
int ib_select(const struct ib_manifest *m, const char *os, const char *const *nics, size_t nnics,
	      struct ib_selection *sel);
/* ib_select where a package with match.kernel patterns also needs kernel (the running kernel
 * release; on Windows the version whose build number is matched) to match one of them. When OS
 * and NIC match packages but none fits the kernel: kernel_unsupported (IB_E_UNSUPPORTED_KERNEL).
 * kernel NULL skips the kernel rule (said so in the reason). */
int ib_select_kernel(const struct ib_manifest *m, const char *os, const char *kernel, const char *const *nics,
		     size_t nnics, struct ib_selection *sel);
/* The packages os and nic can get, in the order selection tries them over kernels: highest
 * priority first, then spec order, ending with the first one without kernel rules (the ones
 * after it are never chosen). Returns how many were written to out (at most max). */
size_t ib_candidates(const struct ib_manifest *m, const char *os, const char *nic, const struct ib_package **out,
		     size_t max);
/* What kernel patterns are matched against: the release on Linux, the build number (after the
 * last '.') on Windows ("10.0.20348" -> "20348"). */
const char *ib_kernel_subject(const char *os, const char *kernel);

#endif
