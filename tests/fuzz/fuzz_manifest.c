/* Fuzz target: manifest parsing and validation, then selection over the parsed packages. */
#include "../../format/manifest.h"
#include "../../policy/match.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const nics[] = {"cx6", "cx3pro", "nd"};
	struct ib_manifest m;
	struct ib_selection sel;

	if (ib_manifest_parse((const char *)data, size, 4096, 1u << 30, &m) == 0) {
		char *out;
		size_t len;

		(void)ib_select(&m, "ubuntu-20.04", nics, 3, &sel);
		(void)ib_select(&m, "windows-server-2019", nics, 1, &sel);
		if (ib_manifest_serialize(&m, &out, &len) == 0)
			free(out);
		ib_manifest_release(&m);
	}
	return 0;
}
