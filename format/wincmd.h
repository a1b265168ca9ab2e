/* Windows command lines as installers read them: the program token of a verbatim line, the
 * paths an install may name, and the msiexec line of an MSI package. */
#ifndef IBPACK_WINCMD_H
#define IBPACK_WINCMD_H

#include <stddef.h>

#include "manifest.h"

#define IB_WINCMD_MAX 32766 /* CreateProcessW's lpCommandLine, in characters, without the NUL */

/* The first token of a Windows command line, by CreateProcessW's rule: after leading spaces or
 * tabs, a quote runs to the next quote (no escapes), anything else ends at a space or tab.
 * *start and *len locate the program name in line. 0, or IB_E_USAGE when there is none or its
 * quote is not closed. */
int ib_wincmd_program(const char *line, size_t *start, size_t *len);

/* 1 when p is a relative path inside a package as an install may name it: '\' or '/'
 * separators, no drive, no leading separator, no empty, "." or ".." component, none of
 * <>"|?* and no control character. */
int ib_wincmd_relpath_ok(const char *p, size_t len);

/* 1 when name is a public Windows Installer property: [A-Z_][A-Z0-9_.]*, at most 72 characters
 * (msiexec sets only all-uppercase properties from its command line). */
int ib_msi_property_ok(const char *name);

/* The msiexec line of an MSI package:
 *   "<msiexec>" /i "<msi>" /qn /norestart [/l*v "<log>"] [<msiexec_args>] NAME="value" ...
 * Paths are quoted; in a value a quote is doubled, the Windows Installer rule. log may be NULL.
 * Returns 0 with a malloc'd line in *out, -ENOMEM, or IB_E_LIMIT past IB_WINCMD_MAX. */
int ib_msi_cmdline(const char *msiexec, const char *msi, const struct ib_install *in, const char *log, char **out);

#endif
