/* The library versions --version reports: taken from the libraries at run time, so a static
 * stub reports what it was linked with and ibpack what the system loaded. */
#include "version.h"

#include "../base/util.h"
#include "../signing/crypto.h"

#include <archive.h>
#include <cjson/cJSON.h>

int ib_version_libs(char *buf, size_t size)
{
	return ib_snprintf(buf, size, "%s\n%s\ncJSON %s\n", archive_version_details(), ib_crypto_version(),
			   cJSON_Version());
}
