/* Image installs (--root DIR) and first-boot staging (--stage/--unstage --root DIR). */
#ifndef IBPACK_ROOT_H
#define IBPACK_ROOT_H

#include "actions.h"
#include "../base/fs.h"

#include "../format/outdir.h"

struct cJSON;

/* One distinct package of an image install and the NICs it was selected for. */
struct root_item {
	const struct ib_package *pkg;
	const char *nics[STUB_MAX_NICS];
	size_t nnics;
	char why[IB_WHY_MAX]; /* the selection rule, for the log and the JSON result */
	const char *state;    /* "planned", "installed", "reboot_required", "failed", "not-run",
			       * "already_installed" */
	int ran;
	struct run_result run;
};

#define ROOT_MAX_PATHS 8
#ifdef _WIN32
#define ROOT_SEP "\\"
#else
#define ROOT_SEP "/"
#endif

struct root_job {
	char dir[IB_PATH_MAX]; /* the image, as an absolute path on the host */
	size_t nitems;
	struct root_item items[STUB_MAX_NICS];
	/* staging: what was written or removed, as paths inside the image */
	const char *stage_kind; /* "systemd" or "setupcomplete" */
	size_t npaths;
	char paths[ROOT_MAX_PATHS][512];
	const char *path_roles[ROOT_MAX_PATHS];
};

/* Checks the combinations of --root, --stage and --unstage with the other options. */
int root_check_opts(const struct stub_opts *o);

/* BUNDLE --root DIR [--os TOKEN] [--nic TOKEN...] [--package ID] [--detect] */
int stub_root_install(struct stub_ctx *c);
/* BUNDLE --stage --root DIR / BUNDLE --unstage --root DIR (stub/stage.c) */
int stub_stage(struct stub_ctx *c);
int stub_unstage(struct stub_ctx *c);

/* Adds "root", "installs" and "staged"/"unstaged" to the JSON result of such a run. */
void root_result_json(const struct stub_ctx *c, struct cJSON *o);

/* ---- shared by root.c and stage.c ---- */
struct root_job *root_job_init(struct stub_ctx *c);
void root_open_log(struct stub_ctx *c);
FILE *root_human(const struct stub_ctx *c);
/* Reads the image's OS token (DIR/etc/os-release, as the image resolves it) unless --os gave it. */
int root_image_os(struct stub_ctx *c);
void root_add_path(struct root_job *j, const char *role, const char *path);
/* Sets c->message (cut when too long). */
void root_message(struct stub_ctx *c, const char *fmt, ...) __attribute__((format(IB_PRINTF_FMT, 2, 3)));

/* ---- platform parts: stub/root_posix.c or stub/root_win.c ---- */
struct root_area {
	struct ib_outdir *out;       /* extraction root */
	char base[512];              /* packages go to base/<id> below out */
	char host_path[IB_PATH_MAX]; /* the same directory as the host sees it */
	int rootfd;                  /* POSIX: the image root, for chroot */
	int made_parents;            /* POSIX: bit 0 var, bit 1 var/tmp were created by us */
};
/* Checks that DIR is an image this platform can install into and resolves it to j->dir. */
int root_plat_open(struct stub_ctx *c, struct root_job *j);
/* Reads the OS token of the image in j->dir (called only when --os is not given). */
int root_plat_os(struct stub_ctx *c, struct root_job *j, char *os, size_t size, char *pretty, size_t psize);
/* The newest kernel installed in the image (stub/root_kernel.c), for packages' kernel rules;
 * IB_E_NOTFOUND when it has none (Windows images: always, --kernel gives it). */
int root_plat_kernel(struct stub_ctx *c, struct root_job *j, char *kernel, size_t size);
/* Creates the private directory packages are extracted into. */
int root_plat_area(struct stub_ctx *c, struct root_job *j, struct root_area *a);
/* Runs the extracted package a->base/<id> against the image; fills it->run and it->ran. On
 * success *success and *reboot point at the exit codes that mean installed / reboot required. */
int root_plat_run(struct stub_ctx *c, struct root_job *j, struct root_area *a, struct root_item *it,
		  const struct ib_codes **success, const struct ib_codes **reboot);
/* Removes the area (unless --keep, then its host path is kept in c->tmpdir). */
void root_plat_cleanup(struct stub_ctx *c, struct root_area *a);
/* Makes sure the image's state directory (var/lib/ibpack) holds no link before the path-based
 * state API (stub/state.h) writes there. */
int root_plat_state_dir(const struct root_job *j);

#ifndef _WIN32
/* Opens directory rel ("a/b/c") below parent, each component with O_NOFOLLOW (created 0755 when
 * create is set): an fd, or IB_E_UNSAFE when a component is a symlink or not a directory. */
int root_open_below(int parent, const char *rel, int create);
#endif

#endif
