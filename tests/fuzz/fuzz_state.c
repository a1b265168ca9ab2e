/* Fuzz target: the stub's install state file (stub/state.c): loading, validation, the rollback
 * rule and record updates, linked from the stub's logic library. */
#include "../../base/fs.h"
#include "../../base/util.h"
#include "../../stub/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[] = "/tmp/ibpack-fuzz-state-XXXXXX";
static char file[IB_PATH_MAX];

/* Leaves nothing in /tmp: the replay runs in every make test. */
static void cleanup(void)
{
	static const char *const dirs[] = {"/var/lib/ibpack", "/var/lib", "/var", ""};
	char path[IB_PATH_MAX];

	unlink(file);
	for (size_t i = 0; i < IB_ARRAY_LEN(dirs); i++)
		if (!ib_snprintf(path, sizeof(path), "%s%s", root, dirs[i]))
			rmdir(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct stub_state s;
	struct stub_state_entry e;
	struct ib_manifest m = {.name = "testbundle", .version = "1", .sequence = 7};
	FILE *f;

	if (!ready) {
		char dir[IB_PATH_MAX];

		if (!mkdtemp(root) || state_plat_dir(root, 1, dir, sizeof(dir)) ||
		    ib_snprintf(file, sizeof(file), "%s/state.json", dir))
			abort();
		atexit(cleanup);
		ready = 1;
	}
	f = fopen(file, "wb");
	if (!f || fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	if (stub_state_load(root, NULL, &s) != 0)
		return 0;
	(void)stub_state_check(&s, &m, 0);
	if (stub_state_get(&s, "testbundle", &e) == 0) {
		e.sequence++;
		(void)stub_state_set(&s, &e);
	}
	stub_state_release(&s);
	return 0;
}
