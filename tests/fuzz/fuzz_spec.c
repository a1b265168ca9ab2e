/* Fuzz target: spec parsing (the builder's input). */
#include "../../format/manifest.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ib_manifest m;

	if (ib_spec_parse((const char *)data, size, &m) == 0)
		ib_manifest_release(&m);
	return 0;
}
