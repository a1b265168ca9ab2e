/* ibpack report: the fleet at a glance from per-node bundle results (docs/FLEET.md). */
#include "cli.h"
#include "fleet.h"

#include "../base/err.h"

#include <errno.h>
#include <getopt.h>
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
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
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

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		size_t i;

		switch (c) {
		case 'f':
			for (i = 0; i < sizeof(formats) / sizeof(formats[0]) && strcmp(formats[i].name, optarg); i++)
				;
			if (i == sizeof(formats) / sizeof(formats[0]))
				return cli_usage("report: unknown --format '%s' (text, markdown, html, json)", optarg);
			render = formats[i].render;
			break;
		case 'o': output = optarg; break;
		case 'h': fputs(help, stdout); return CLI_OK;
		default: return cli_usage("report: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_usage("report: name at least one result directory or file");
	for (int i = optind; !rc && i < argc; i++)
		rc = fleet_add_path(&f, argv[i]);
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
