/* The Windows stub's entry point: UTF-16 arguments to UTF-8, then the common stub_main. */
#include "stub.h"

#include "../base/fileio.h"
#include "../policy/exitcode.h"

#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

/* -municode: the C runtime calls wmain with the UTF-16 command line. */
int wmain(int argc, wchar_t **argv);

int wmain(int argc, wchar_t **argv)
{
	char **args;
	int rc;

	plat_init();
	args = calloc((size_t)argc + 1, sizeof(char *));
	if (!args)
		return IB_EXIT_WIN_UNEXPECTED;
	for (int i = 0; i < argc; i++) {
		args[i] = ib_win_utf8(argv[i]);
		if (!args[i]) {
			fprintf(stderr, "ibpack: argument %d is not valid UTF-16\n", i);
			return IB_EXIT_USAGE;
		}
	}
	rc = stub_main(argc, args);
	for (int i = 0; i < argc; i++)
		free(args[i]);
	free(args);
	return rc;
}
