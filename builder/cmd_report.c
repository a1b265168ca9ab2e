/* ibpack report: the fleet at a glance from per-node bundle results (docs/FLEET.md). */
#include "cli.h"
#include "opts.h"
#include "outguard.h"
#include "fleet.h"

#include "../base/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
	"usage: ibpack report DIR|FILE... [--format text|markdown|html|json] [-o FILE]\n"
	"Reads per-node results (the one-line JSON of BUNDLE --json: a directory of NODE.json files,\n"
	"single files, or pdsh/clush output with one 'NODE: {...}' line per node) and prints counts by\n"
	"result and by package and version, the nodes that need a reboot and the failed nodes with\n"
	"their message. The HTML is one self-contained page. Exit 0 when the report was written.\n";

int cmd_report(int argc, char **argv)
{
	enum { O_FORMAT = 'f', O_OUT = 'o' };
	static const struct cli_opt opts[] = {
		{"format", 'f', "F", O_FORMAT, "text (default), markdown, html or json"},
		{"output", 'o', "FILE", O_OUT, "write the report here (default and -: standard output)"},
		{NULL, 0, NULL, 0, NULL},
	};
	struct cli_args args;
	static const struct {
		const char *name;
		int (*render)(const struct fleet *, FILE *);
	} formats[] = {
		{"text", fleet_render_text},
		{"markdown", fleet_render_markdown},
		{"html", fleet_render_html},
		{"json", fleet_render_json},
	};
	int (*render)(const struct fleet *, FILE *) = fleet_render_text;
	const char *output = NULL;
	struct fleet f = {0};
	FILE *out = stdout;
	int c, rc = 0;

	cli_args_init(&args, "report", opts, argc, argv);
	while ((c = cli_next(&args)) > 0) {
		size_t i;

		switch (c) {
		case O_FORMAT:
			for (i = 0; i < sizeof(formats) / sizeof(formats[0]) && strcmp(formats[i].name, args.value);
			     i++)
				;
			if (i == sizeof(formats) / sizeof(formats[0]))
				return cli_usage("report: unknown --format '%s' (text, markdown, html, json)",
						 args.value);
			render = formats[i].render;
			break;
		case O_OUT: output = cli_out_is_stdout(args.value) ? NULL : args.value; break;
		}
	}
	if ((rc = cli_args_done(&args, c, help, opts, 1, CLI_POS_MAX, "a result directory or file")) != CLI_GO_ON)
		return rc;
	rc = 0;
	for (int i = 0; !rc && output && i < args.npos; i++)
		rc = cli_out_check(output, (const char *const *)&args.pos[i], 1);
	for (int i = 0; !rc && i < args.npos; i++)
		rc = fleet_add_path(&f, args.pos[i]);
	if (!rc && f.nnodes == 0)
		rc = ib_fail(IB_E_NOTFOUND, "no node results (*.json, *.out) found");
	if (!rc)
		rc = fleet_summarise(&f);
	if (!rc && output && !(out = fopen(output, "w")))
		rc = ib_fail(-errno, "cannot create '%s': %s", output, strerror(errno));
	if (!rc)
		rc = render(&f, out);
	if (out != stdout && out && fclose(out) != 0 && !rc)
		rc = ib_fail(-errno, "cannot write '%s': %s", output, strerror(errno));
	fleet_release(&f);
	return rc ? cli_fail(rc) : CLI_OK;
}
