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
	const char *tmpdir;      /* TMPDIR (Windows: TEMP and TMP): the installer's private dir (NULL: unset) */
	const char *root;        /* IBPACK_ROOT for image installs, else NULL */
	const char *const *pass; /* --pass-env names, taken from the caller's environment */
	size_t npass;
};

/* A NULL-terminated "NAME=VALUE" array (UTF-8) for execve, or for the Windows environment block. */
struct stub_env {
	char **v;
	size_t n;
};

int stub_env_build(const struct stub_env_in *in, struct stub_env *e);
void stub_env_release(struct stub_env *e);
/* 1 when NAME may be passed with --pass-env / IBPACK_PASS_ENV. */
int stub_env_name_ok(const char *name);
/* Adds NAME=VALUE unless NAME is there already (the first value wins). */
int stub_env_add(struct stub_env *e, const char *name, const char *value);

/* ---- the platform's half: instenv_posix.c or instenv_win.c ---- */
/* Adds the platform's fixed variables (PATH and the like, and in->tmpdir) first. */
int instenv_fixed(const struct stub_env_in *in, struct stub_env *e);
/* 1 when name is one of those fixed variables: --pass-env cannot replace it. */
int instenv_fixed_name(const char *name);
/* Whether the first n bytes of two names are the same name (Windows ignores case). */
int instenv_name_eq(const char *a, const char *b, size_t n);
/* The caller's value of name as UTF-8 (malloc'd), or NULL when unset. */
char *instenv_getenv(const char *name);

#endif
