/* Fuzz target: footer decoding against every plausible bundle end. */
#include "../../format/format.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ib_footer f;

	if (size < IB_FOOTER_SIZE + 8)
		return 0;
	/* The first 8 bytes choose the file end the footer is checked against. */
	uint64_t end = 0;
	for (int i = 0; i < 8; i++)
		end = end << 8 | data[i];
	(void)ib_footer_decode(data + 8, end, &f);
	(void)ib_footer_decode(data + 8, size, &f);
	return 0;
}
