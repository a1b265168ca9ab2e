/* The Windows stub reads blobs serially: no read-ahead thread (ib_blob_ahead_start declines). */
#include "blob_ahead.h"

#include <errno.h>

int ib_blob_ahead_start(struct ib_blob_reader *r)
{
	(void)r;
	return -ENOSYS;
}

long ib_blob_ahead_next(struct ib_blob_reader *r, const void **data)
{
	(void)r;
	(void)data;
	return -ENOSYS;
}

void ib_blob_ahead_stop(struct ib_blob_reader *r)
{
	(void)r;
}
