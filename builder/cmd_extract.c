/* ibpack extract: verified extraction of packages into DIR/<package-id>/ (an offline layout). */
#include "cli.h"
#include "opts.h"
#include "interrupt.h"

#include "../base/err.h"
#include "../format/layout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
	"usage: ibpack extract BUNDLE -o DIR [--package ID]... [ANCHORS] [-q]\n"
	"Extracts one, several or all packages into DIR/<package-id>/. Every chunk is checked against\n"
	"the signed manifest before it reaches the archive reader or the disk. All or nothing: the\n"
	"packages are written into a hidden temp dir in DIR and renamed into place at the end, so a\n"
	"failure or an interrupt (SIGINT, SIGTERM, SIGHUP) leaves DIR as it was.\n" CLI_ANCHOR_HELP;

struct shown {
	struct cli *cli;
	struct cli_meter meter;
	const char *outdir;
};

static void extracted(void *ctx, const struct ib_package *p, const struct ib_extract_stats *st)
{
	const struct shown *s = ctx;

	cli_meter_end(&((struct shown *)ctx)->meter);
	if (!s->cli->quiet)
		printf("%s/%s: %llu files, %llu bytes\n", s->outdir, p->id, (unsigned long long)st->files,
		       (unsigned long long)st->bytes);
}

int cmd_extract(int argc, char **argv)
{
	enum { O_OUT = 'o', O_QUIET = 'q', O_PACKAGE = 0x200, O_PROGRESS };
	static const struct cli_opt opts[] = {
		{"output", 'o', "DIR", O_OUT, "the layout directory (created when missing)"},
		{"package", 0, "ID", O_PACKAGE, "extract only this package (repeatable; default: all)"},
		CLI_ANCHOR_OPTS{"progress", 0, NULL, O_PROGRESS, "show progress although stderr is not a terminal"},
		{"quiet", 'q', NULL, O_QUIET, "no progress or summary"},
		{NULL, 0, NULL, 0, NULL},
	};
	struct cli_args args;
	const char *outdir = NULL, *only[64];
	struct cli_anchors anchors = {0};
	size_t nonly = 0;
	struct cli cli = {.tty = isatty(2)};
	struct ib_bundle b;
	struct ib_outdir *dir = NULL;
	const struct ib_package *chosen[IB_PACKAGES_MAX];
	size_t nchosen = 0;
	struct ib_extract_opts eo = {0};
	struct shown shown = {.cli = &cli};
	int c, rc, created = 0;

	cli_args_init(&args, "extract", opts, argc, argv);
	while ((c = cli_next(&args)) > 0) {
		switch (c) {
		case O_OUT: outdir = args.value; break;
		case O_PACKAGE:
			if (nonly == 64)
				return cli_usage("extract: at most 64 --package options");
			only[nonly++] = args.value;
			break;
		case O_QUIET: cli.quiet = 1; break;
		case O_PROGRESS: cli.progress = 1; break;
		default:
			if ((rc = cli_anchor_option(&anchors, c, args.value)) < 0)
				return cli_usage("extract: %s", ib_errmsg(rc));
			break;
		}
	}
	if ((rc = cli_args_done(&args, c, help, opts, 1, 1, "BUNDLE")) != CLI_GO_ON)
		return rc;
	if (!outdir)
		return cli_usage("extract: -o DIR is required");
	if (!strcmp(outdir, "-"))
		return cli_usage("extract: -o names a directory; '-' (standard output) is not supported");
	shown.outdir = outdir;
	rc = cli_open_bundle(args.pos[0], &anchors, &b);
	if (rc)
		return cli_fail(rc);
	for (size_t i = 0; i < nonly; i++)
		if (!ib_manifest_find(&b.m, only[i])) {
			rc = ib_fail(IB_E_USAGE, "no package '%s' in this bundle", only[i]);
			goto out;
		}
	for (size_t i = 0; i < b.m.npkgs; i++) {
		int wanted = nonly == 0;

		for (size_t j = 0; j < nonly; j++)
			wanted |= !strcmp(only[j], b.m.pkgs[i].id);
		if (wanted)
			chosen[nchosen++] = &b.m.pkgs[i];
	}
	if (mkdir(outdir, 0755) == 0)
		created = 1;
	else if (errno != EEXIST) {
		rc = ib_fail(-errno, "cannot create '%s': %s", outdir, strerror(errno));
		goto out;
	}
	if ((rc = ib_outdir_open(outdir, &dir)))
		goto out;
	eo.cancel = &cli_interrupted;
	if (cli_progress_wanted(&cli)) {
		cli_meter_start(&shown.meter, "extracting");
		eo.progress = cli_progress;
		eo.progress_ctx = &shown.meter;
	}
	cli_interrupt_arm(NULL);
	rc = ib_extract_layout(&b, dir, chosen, nchosen, &eo, extracted, &shown);
	cli_meter_end(&shown.meter);
out:
	ib_outdir_close(dir);
	/* A directory this run created holds nothing after a failure: it goes too. */
	if (rc && created)
		(void)rmdir(outdir);
	ib_bundle_close(&b);
	if (rc)
		rc = cli_fail(rc);
	cli_interrupt_finish();
	return rc;
}
