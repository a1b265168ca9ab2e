/* The install object's Windows forms (a verbatim command line, an MSI package with properties),
 * its "keep" flag, and the exit-code rules of each target. */
#ifndef IBPACK_INSTALL_H
#define IBPACK_INSTALL_H

#include "manifest.h"

struct cJSON;

/* Reads command_line, msi, properties, msiexec_args and keep from the install object inst
 * (whose "command", codes and timeout manifest.c has read into in), and checks the whole: one
 * of command, command_line and msi; Windows forms and keep only for windows-x86_64; an MSI's
 * reboot codes default to 1641 and 3010. path is the object's JSON path and code the error
 * code (IB_E_SPEC or IB_E_FORMAT) for messages. */
int ib_install_parse(const struct cJSON *inst, const char *path, int code, int target, struct ib_install *in);
/* The rule for new bundles (specs): on Linux an exit status has 8 bits, so success or reboot
 * codes outside 0-255 could never be observed and are refused. */
int ib_install_check_codes(const char *path, int code, int target, const struct ib_install *in);
/* Adds the fields above (and "command" when it is used) to the install object o. */
int ib_install_json(struct cJSON *o, const struct ib_install *in);
void ib_install_release(struct ib_install *in);

#endif
