/* Staging internals shared by the common part (stage.c) and each platform's half. */
#ifndef IBPACK_STAGE_H
#define IBPACK_STAGE_H

#include "root.h"

#define COPY_CHUNK          (1u << 20)
#define STATE_DIR           "var/lib/ibpack" /* Linux, inside the image */
#define BUNDLE_DIR          "var/lib/ibpack/bundles"
#define UNIT_DIR            "etc/systemd/system"
#define WANTS_DIR           "etc/systemd/system/multi-user.target.wants"
#define WIN_BUNDLE_DIR      "ProgramData/ibpack/bundles"
#define WIN_SCRIPTS_DIR     "Windows/Setup/Scripts"
#define SETUPCOMPLETE_MAX   (1u << 20)
#define UNIT_TIMEOUT_MARGIN 600 /* seconds on top of the longest package timeout */

/* Writes the whole bundle file (a Windows Authenticode table included) to rel in the image. */
int stage_copy_bundle(struct stub_ctx *c, struct ib_outdir *root, const char *rel);
/* Creates rel in the image with data; an existing file is refused. */
int stage_write_new(struct ib_outdir *root, const char *rel, unsigned mode, const void *data, size_t len);

/* ---- platform halves: stub/stage_posix.c or stub/stage_win.c ---- */
/* Warns when the image's OS is one no package of the bundle serves. */
void stage_plat_check_os(struct stub_ctx *c);
int stage_plat(struct stub_ctx *c, struct root_job *j);
int unstage_plat(struct stub_ctx *c, struct root_job *j);

#endif
