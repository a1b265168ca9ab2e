/* The stub's shared state: options, detected host, and the platform layer it runs on. */
#ifndef IBPACK_STUB_H
#define IBPACK_STUB_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../format/bundle.h"
#include "../base/err.h"
#include "../base/fs.h"
#include "../policy/match.h"

#define STUB_MAX_DEVS 32
#define STUB_MAX_NICS 16

/* One PCI function or VMBus device that detection looked at. */
struct stub_dev {
	char address[64]; /* PCI address, registry instance or VMBus id */
	uint16_t vendor, device;
	uint32_t class_code; /* 24-bit PCI class, e.g. 0x020700 */
	int is_vf, vmbus, infiniband;
	size_t nmodels;
	const char *models[2]; /* candidate model tokens, best first */
	char note[128];        /* why it was ignored, or what is ambiguous */
};

struct stub_host {
	char os[64]; /* OS token, "ubuntu-20.04" / "windows-server-2019" */
	char os_pretty[128];
	char kernel[128]; /* release ("5.15.0-1089-azure"), Windows "10.0.<build>" */
	size_t ndevs;
	struct stub_dev devs[STUB_MAX_DEVS];
	size_t nnics;
	const char *nics[STUB_MAX_NICS]; /* tokens of InfiniBand devices, deduplicated */
};

struct stub_opts {
	const char *sysroot, *tmpdir, *log_file, *extract_dir;
	const char *force_package, *os_override;
	const char *kernel_override; /* --kernel RELEASE: the kernel packages' kernel rules see */
	const char *nic_override[STUB_MAX_NICS];
	size_t n_nic_override;
	int detect, list, verify, json, quiet, keep, help, version;
	long timeout; /* 0: the package's own */
	/* ---- signing workflows: --trust KEY.pub and --trust-ca CA.pem, repeatable ---- */
	const char *trust_keys[8], *trust_cas[8];
	size_t ntrust_keys, ntrust_cas;
	/* ---- image installs and first-boot staging (stub/root.c, stub/stage.c) ---- */
	const char *root; /* --root DIR: install into (or stage into) this mounted image */
	int stage, unstage;
	/* ---- hardening (stub/guard.c, stub/state.c): rollback rule and install lock ---- */
	int allow_downgrade;   /* --allow-downgrade: install even if an older sequence */
	int lock_wait_set;     /* --lock-wait given */
	long lock_wait;        /* seconds to wait for another install (else STUB_LOCK_WAIT_DEFAULT) */
	const char *state_dir; /* --state-dir DIR or $IBPACK_STATE_DIR: the record and lock live here */
	/* ---- Azure VM extension handler: stub/extension.c ---- */
	const char *extension; /* --extension COMMAND: install, enable, disable, uninstall, update */
	int reinstall;         /* --reinstall: run the installer even if this selection is installed */
	/* ---- Windows: packages kept for MSI repair (stub/install_win.c) ---- */
	int keep_source;    /* --keep-source: keep the package as if it said "keep": true */
	int uninstall_data; /* --uninstall-data: remove this bundle's kept packages */
	/* ---- installer environment (stub/instenv.c): --pass-env NAME, repeatable ---- */
	const char *pass_env[16];
	size_t npass_env;
	int verbose;             /* --version --verbose: list the built-in libraries */
	const char *bundle_file; /* --bundle FILE (ibpack install): install from FILE, read as data */
};

/* Logging: a file (if it could be opened) plus the terminal. */
struct stub_log {
	FILE *file;
	FILE *echo; /* stdout, or stderr when --json owns stdout, or NULL when quiet */
	char path[IB_PATH_MAX];
};
void log_open(struct stub_log *l, const char *path, FILE *echo);
void log_msg(struct stub_log *l, const char *level, const char *fmt, ...) __attribute__((format(IB_PRINTF_FMT, 3, 4)));
/* Installer output, copied verbatim. */
void log_raw(struct stub_log *l, const char *data, size_t len);
void log_close(struct stub_log *l);

/* The stub's real entry point; main (POSIX) or wmain (Windows, UTF-16 to UTF-8) calls it. */
int stub_main(int argc, char **argv);

/* JSON naming the libraries this stub is built from: generated at build time (deps/buildinfo.sh). */
const char *stub_buildinfo_json(void);

/* ---- platform layer: the POSIX files and detect_linux.c, or the Windows files ---- */
int plat_init(void);
void plat_signals(volatile sig_atomic_t *flag);
int plat_detect(const char *sysroot, struct stub_host *h);
/* Default log file for a bundle name. */
void plat_default_log(const char *bundle, char *buf, size_t size);
/* Windows: creates a private (protected ACL) temp dir under base (or the platform default) and
 * writes its path. Linux holds its temp dir by fds instead: stub/tmpdir.h. */
int plat_tmpdir(const char *base, char *path, size_t size);
int plat_rmtree(const char *path);
int plat_mkdir(const char *path); /* 0 or -1 with errno, like mkdir(path, 0755) */
int plat_isatty_stderr(void);
/* Whether this process may install drivers: root on Linux, an elevated administrator on Windows. */
int plat_privileged(void);

struct run_result {
	int exited; /* 1 when the installer ran to completion */
	long code;  /* its exit code */
	int signal; /* Linux: the signal that killed it */
	int timed_out;
};
/* Runs argv with exactly the environment envp (UTF-8 "NAME=VALUE" strings; on Windows made a
 * sorted UTF-16 block) and only fds 0-2 (Windows: only the std handles), output to log, killing
 * the whole process tree after timeout seconds or when *cancel is set. The working directory is
 * the directory fd dirfd (Linux: fchdir; a package-relative program is resolved from it) or, on
 * Windows, cwd. */
int plat_run(char *const *argv, char *const *envp, int dirfd, const char *cwd, unsigned timeout, struct stub_log *log,
	     volatile sig_atomic_t *cancel, struct run_result *res);
#ifdef _WIN32
/* plat_run for a verbatim command line, handed to CreateProcessW unchanged. program is the full
 * path of what to start, or NULL for the line's first token, looked up in cwd (the package dir)
 * and then System32 only. */
int plat_run_line(const char *line, const char *program, char *const *envp, const char *cwd, unsigned timeout,
		  struct stub_log *log, volatile sig_atomic_t *cancel, struct run_result *res);
#endif
/* The WiX Burn-style switches (/quiet, /passive, /norestart, /log FILE, /layout DIR, /? and /help,
 * with '/' or '-') as the stub's long options: a new argv (the array is malloc'd, the strings
 * are argv's or literals) in *outc and *outv (stub/burn_args.c; Linux keeps argv as it is). */
int stub_burn_args(int argc, char **argv, int *outc, char ***outv);
#ifdef _WIN32
/* %ProgramData%\ibpack\packages\<bundle>, where packages kept for MSI repair live: written to
 * buf, and created with the protected ACL of the log folders when create. */
int plat_keep_dir(const char *bundle, int create, char *buf, size_t size);
#endif
/* One entry in the system's event log for a run (Windows: the Application log, source
 * "ibpack"; elsewhere nothing). error selects the entry's type. */
void plat_event(int error, const char *text);
#ifndef _WIN32
/* ---- image installs (stub/run_posix.c, used by stub/root_posix.c) ---- */
/* plat_run inside a mounted image: the child chroots to the directory rootfd names and changes
 * to cwd (a path inside the image). */
int plat_run_chroot(char *const *argv, char *const *envp, int rootfd, const char *cwd, unsigned timeout,
		    struct stub_log *log, volatile sig_atomic_t *cancel, struct run_result *res);
#endif

/* The trust area compiled into the stub and patched by the builder. */
extern const volatile uint8_t stub_trust_area[IB_TRUST_AREA_SIZE];

/* Fills h->nics from h->devs (InfiniBand devices only, each token once). */
void stub_host_collect(struct stub_host *h);
/* Linux: sets IBPACK_KERNEL to h->kernel for the installer (the kernel selection matched). */
void stub_host_export_kernel(const struct stub_host *h);
/* Fills a detected Mellanox function's models, VF flag, InfiniBand verdict and note from its device
 * id and class code (class_known: whether the platform reported a class code). */
void stub_dev_classify(struct stub_dev *d, int class_known);

#endif
