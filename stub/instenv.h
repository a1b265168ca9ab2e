/* The installer's fixed environment (documented in README.md, "Installer environment"). */
#ifndef IBPACK_INSTENV_H
#define IBPACK_INSTENV_H

#include "../format/manifest.h"

#include <stddef.h>

#define STUB_INSTALLER_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct stub_env_in {
	const struct ib_manifest *m;
	const struct ib_package *pkg;
	const char *os;
	const char *kernel; /* IBPACK_KERNEL: the kernel the selection matched ("" or "unknown": unset) */
	const char *const *nics;
	size_t nnics;
	const char *home;        /* HOME */
	const char *tmpdir;      /* TMPDIR: the installer's private dir (NULL: unset) */
	const char *root;        /* IBPACK_ROOT for image installs, else NULL */
	const char *const *pass; /* --pass-env names, taken from the caller's environment */
	size_t npass;
};

/* A NULL-terminated "NAME=VALUE" array for execve. */
struct stub_env {
	char **v;
	size_t n;
};

int stub_env_build(const struct stub_env_in *in, struct stub_env *e);
void stub_env_release(struct stub_env *e);
/* 1 when NAME may be passed with --pass-env / IBPACK_PASS_ENV. */
int stub_env_name_ok(const char *name);

#endif
