/* The stub's actions (install, detect, list, verify, extract) and their shared context. */
#ifndef IBPACK_ACTIONS_H
#define IBPACK_ACTIONS_H

#include "stub.h"
#include "instenv.h"
#include "tmpdir.h"

#include "../base/fs.h"

#if defined(_WIN32)
#define STUB_TARGET IB_TARGET_WINDOWS_X86_64
#else
#define STUB_TARGET IB_TARGET_LINUX_X86_64
#endif

struct root_job; /* --root/--stage/--unstage: stub/root.h */

struct stub_ctx {
	struct stub_opts *opts;
	int target;
	volatile sig_atomic_t cancel;
	struct ib_bundle bundle;
	int opened;
	struct stub_log log;
	struct stub_host host;
	int detected;
	struct ib_selection sel;
	const char *action; /* "install", "detect", ... for the JSON result */
	struct run_result run;
	int ran, reboot_required;
	char tmpdir[IB_PATH_MAX];
	struct stub_tmp tmp; /* Linux: the held temp dir (fds -1 when none) */
	char message[1024];
	struct stub_guard *guard; /* the install guard's state (stub/guard.c), set by the caller */
	struct root_job *root;    /* set by image installs and staging (stub/root.c, stub/stage.c) */
	/* ---- idempotent runs (stub/rerun.c) ---- */
	const char *plan;         /* STUB_PLAN_*, once the install record was compared; else NULL */
	int already_installed;    /* the record matches: nothing is extracted or run */
	int reboot_pending;       /* a reboot an install asked for has not happened yet */
	char installer_log[4096]; /* the installer's own log (msiexec /l*v), when there is one */
	char kept_root[4096];     /* Windows: the kept-packages folder this install extracts into */
};

int stub_open(struct stub_ctx *c);
/* --bundle FILE: the trust for a bundle read as data (stub/hostinstall_posix.c): the bundle's
 * embedded revocations and threshold with this machine's anchors (--trust/--trust-ca, else the
 * host trust store) in place of its keys; IB_E_UNTRUSTED when the machine has no anchor. */
int stub_host_trust(struct stub_ctx *c, struct ib_trust *t);
/* The installer's fixed environment for package p (tmpdir: its TMPDIR, on Windows TEMP and
 * TMP; root: IBPACK_ROOT). */
int stub_installer_env(struct stub_ctx *c, const struct ib_package *p, const char *tmpdir, const char *root,
		       struct stub_env *env);
int stub_list(struct stub_ctx *c);
int stub_verify(struct stub_ctx *c);
int stub_extract(struct stub_ctx *c);
int stub_install(struct stub_ctx *c);
/* --version: the bundle's name, version, sequence and target, then stub and libraries. */
int stub_version(struct stub_ctx *c);
/* ---- Windows install forms and kept sources: stub/install_win.c (stub/install_posix.c) ---- */
/* Runs a package's command_line or msi form in pkgdir with the environment envp. */
int stub_run_form(struct stub_ctx *c, const struct ib_package *p, char *const *envp, const char *pkgdir,
		  unsigned timeout);
/* A package to keep (its "keep", or --keep-source) is extracted into a fresh kept-packages
 * folder of the bundle instead of a temp dir: an earlier bundle's kept packages are removed and
 * c->kept_root is set. 0 when the package is not kept. */
int stub_keep_prepare(struct stub_ctx *c, const struct ib_package *p);
/* After the run: a failed install keeps nothing. */
void stub_keep_finish(struct stub_ctx *c, int rc);
/* --uninstall-data: removes the bundle's kept packages. */
int stub_uninstall_data(struct stub_ctx *c);
/* Prints the result (human or JSON), releases everything and returns the exit code. */
int stub_finish(struct stub_ctx *c, int rc);

#endif
