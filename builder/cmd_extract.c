/* ibpack extract: verified extraction of packages into DIR/<package-id>/ (an offline layout). */
#include "cli.h"

#include "../base/err.h"
#include "../format/extract.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
	"usage: ibpack extract BUNDLE -o DIR [--package ID]... [-p KEY.pub]... [-q]\n"
	"Extracts one, several or all packages into DIR/<package-id>/. Every chunk is checked against\n"
	"the signed manifest before it reaches the archive reader or the disk.\n";

int cmd_extract(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' }, { "package", required_argument, NULL, 'P' },
		{ "pubkey", required_argument, NULL, 'p' }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	const char *outdir = NULL, *only[64];
	char *pubs[32];
	size_t npubs = 0, nonly = 0;
	struct cli cli = { .tty = isatty(2) };
	struct ib_bundle b;
	struct ib_outdir *dir = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "o:p:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': outdir = optarg; break;
		case 'P':
			if (nonly == 64)
				return cli_usage("extract: at most 64 --package options");
			only[nonly++] = optarg;
			break;
		case 'p':
			if (npubs == 32)
				return cli_usage("extract: at most 32 keys");
			pubs[npubs++] = optarg;
			break;
		case 'q': cli.quiet = 1; break;
		case 'h': fputs(help, stdout); return CLI_OK;
		default: return cli_usage("extract: bad option");
		}
	}
	if (optind + 1 != argc || !outdir)
		return cli_usage("extract: BUNDLE and -o DIR are needed");
	rc = cli_open_bundle(argv[optind], pubs, npubs, &b);
	if (rc)
		return cli_fail(rc);
	for (size_t i = 0; i < nonly; i++)
		if (!ib_manifest_find(&b.m, only[i])) {
			rc = ib_fail(IB_E_NOTFOUND, "no package '%s' in this bundle", only[i]);
			goto out;
		}
	if (mkdir(outdir, 0755) != 0 && errno != EEXIST) {
		rc = ib_fail(-errno, "cannot create '%s': %s", outdir, strerror(errno));
		goto out;
	}
	if ((rc = ib_outdir_open(outdir, &dir)))
		goto out;
	for (size_t i = 0; i < b.m.npkgs; i++) {
		const struct ib_package *p = &b.m.pkgs[i];
		struct ib_extract_opts eo = { 0 };
		struct ib_extract_stats st;
		int wanted = nonly == 0;

		for (size_t j = 0; j < nonly; j++)
			wanted |= !strcmp(only[j], p->id);
		if (!wanted)
			continue;
		if (cli.tty && !cli.quiet) {
			eo.progress = cli_progress;
			eo.progress_ctx = p->id;
		}
		rc = ib_extract_package(&b, p, dir, p->id, &eo, &st);
		cli_progress_done(&cli);
		if (rc)
			goto out;
		if (!cli.quiet)
			printf("%s/%s: %llu files, %llu bytes\n", outdir, p->id, (unsigned long long)st.files,
			       (unsigned long long)st.bytes);
	}
out:
	ib_outdir_close(dir);
	ib_bundle_close(&b);
	return rc ? cli_fail(rc) : CLI_OK;
}
