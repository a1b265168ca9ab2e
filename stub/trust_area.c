/* The trust area: a fixed array in the stub image that ibpack build fills with trusted keys. */
#include "stub.h"

/* volatile: the compiler must read the bytes the builder patched in, not the magic it sees here.
 * The magic appears once in the image; ib_trust_locate refuses a stub where it does not. */
const volatile uint8_t stub_trust_area[IB_TRUST_AREA_SIZE] = IB_TRUST_MAGIC;
