/* Fuzz target: the extraction path (libarchive + entry checks + output dir) on hostile archives.
 * The input is treated as a package blob whose chunk hashes match, as a malicious but correctly
 * signed build input would be; the first byte picks the compression filter. */
#include "../../format/bundle.h"
#include "../../base/err.h"
#include "../../format/extract.h"
#include "../../format/outdir.h"
#include "../../signing/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/ibpack-fuzz-XXXXXX";

/* Leaves nothing in /tmp: the replay runs in every make test. */
static void cleanup(void)
{
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char blobpath[64];
	struct ib_bundle b;
	struct ib_package p;
	struct ib_outdir *out = NULL;
	struct ib_extract_stats st;
	uint8_t(*chunks)[IB_SHA256_LEN];
	const uint32_t chunk = 65536;
	FILE *f;

	if (size < 2 || size > (4u << 20))
		return 0;
	if (!ready) {
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
		ib_crypto_init();
		ready = 1;
	}
	snprintf(blobpath, sizeof(blobpath), "%s.blob", dir);
	f = fopen(blobpath, "wb");
	if (!f || fwrite(data + 1, 1, size - 1, f) != size - 1)
		abort();
	fclose(f);

	memset(&b, 0, sizeof(b));
	memset(&p, 0, sizeof(p));
	if (ib_file_open(blobpath, &b.file))
		abort();
	b.authenticated = 1; /* the fuzz input plays a signed blob */
	b.m.chunk_size = chunk;
	p.id = "fuzz";
	p.compression = data[0] % 3;
	p.offset = 0;
	p.length = size - 1;
	p.unpacked_size = 1u << 20;
	p.file_count = 64;
	p.nchunks = (size_t)((p.length + chunk - 1) / chunk);
	chunks = malloc(p.nchunks * IB_SHA256_LEN);
	for (size_t i = 0; i < p.nchunks; i++) {
		size_t n = p.length - i * chunk < chunk ? p.length - i * chunk : chunk;

		ib_sha256(data + 1 + i * chunk, n, chunks[i]);
	}
	p.chunks = chunks;
	if (ib_outdir_open(dir, &out) == 0) {
		(void)ib_extract_package(&b, &p, out, "pkg", NULL, &st);
		(void)ib_outdir_remove_tree(out, "pkg");
		ib_outdir_close(out);
	}
	free(chunks);
	ib_file_close(&b.file);
	unlink(blobpath);
	return 0;
}
