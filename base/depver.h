/* IB_DEP_VERSIONS: the libraries a binary was built with and their versions, one "  name version
 * (...)\n" line each, from a header generated at build time (scripts/depversions.sh, found
 * through -I$(BUILD)/gen/<binary>); a build without it says so. */
#ifndef IBPACK_DEPVER_H
#define IBPACK_DEPVER_H

#if defined(__has_include)
#if __has_include(<depver.h>)
#include <depver.h>
#endif
#endif
#ifndef IB_DEP_VERSIONS
#define IB_DEP_VERSIONS "  (not recorded in this build)\n"
#endif

#endif
