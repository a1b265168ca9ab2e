/* What --version prints about the libraries linked into ibpack or a stub. */
#ifndef IBPACK_VERSION_H
#define IBPACK_VERSION_H

#include <stddef.h>

/* One line per library, each ending in '\n': libarchive (with the compressors it was built
 * with), the crypto library and cJSON. Returns 0, or -ENAMETOOLONG when buf is too small. */
int ib_version_libs(char *buf, size_t size);

#endif
