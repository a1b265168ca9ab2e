/* ibpack matrix: a spec's or bundle's selection rules as an OS x NIC grid (text, Markdown, one
 * self-contained HTML page, JSON), each cell the packages selection would try there. */
#include "cli.h"
#include "opts.h"

#include "../base/err.h"
#include "../policy/match.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILTERS    16
#define MAX_CANDIDATES 8
#define MAX_COLS       64

static const char help[] =
	"usage: ibpack matrix SPEC_OR_BUNDLE [--format text|markdown|html|json] [--os PATTERN]...\n"
	"                    [--nic TOKEN]... [--trust KEY.pub]\n"
	"Shows, for every OS the spec names (rows) and every NIC model it lists (columns), the package\n"
	"a machine gets: its id, version and kernel patterns. A cell with several packages lists them\n"
	"in the order selection tries them: the first whose kernel patterns fit the running kernel wins.\n"
	"--os keeps the rows matching PATTERN ('*' allowed), --nic keeps that column (both repeatable).\n"
	"html is one self-contained page (no external assets), markdown is what docs/SPEC.md shows.\n";

struct cell {
	const struct ib_package *c[MAX_CANDIDATES];
	size_t n;
};

struct grid {
	const struct ib_manifest *m;
	const char **rows;
	size_t nrows;
	const char *cols[MAX_COLS];
	size_t ncols;
	struct cell *cells; /* nrows x ncols */
	int *shown;         /* per package: 1-based number in the text legend, 0 when in no cell */
};

static struct cell *cell_at(const struct grid *g, size_t r, size_t c)
{
	return &g->cells[r * g->ncols + c];
}

static int kept(const char *s, const char *const *filters, size_t n, int glob)
{
	if (!n)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (glob ? ib_glob(filters[i], s) : !strcmp(filters[i], s))
			return 1;
	return 0;
}

/* Rows: the OS entries of the packages in spec order (a pattern is a row of its own: what a
 * machine whose token only that pattern covers gets). Columns: listed NIC tokens in the
 * vocabulary's order. Rows and columns left empty by the filters are dropped. */
static int grid_build(struct grid *g, const struct ib_manifest *m, const char *const *oses, size_t nos,
		      const char *const *nics, size_t nnics)
{
	const struct ib_nic_model *model;
	size_t cap = 0;

	memset(g, 0, sizeof(*g));
	g->m = m;
	for (size_t i = 0; i < m->npkgs; i++)
		cap += m->pkgs[i].os.n;
	g->rows = calloc(cap ? cap : 1, sizeof(char *));
	g->shown = calloc(m->npkgs ? m->npkgs : 1, sizeof(int));
	if (!g->rows || !g->shown)
		return -ENOMEM;
	for (size_t i = 0; i < m->npkgs; i++)
		for (size_t j = 0; j < m->pkgs[i].os.n; j++) {
			const char *os = m->pkgs[i].os.v[j];
			int seen = 0;

			for (size_t k = 0; k < g->nrows && !seen; k++)
				seen = !strcmp(g->rows[k], os);
			if (!seen && kept(os, oses, nos, 1))
				g->rows[g->nrows++] = os;
		}
	for (size_t t = 0; (model = ib_nic_model_at(t)) && g->ncols < MAX_COLS; t++) {
		int listed = 0;

		for (size_t i = 0; i < m->npkgs && !listed; i++)
			for (size_t j = 0; j < m->pkgs[i].nic.n && !listed; j++)
				listed = !strcmp(m->pkgs[i].nic.v[j], model->token);
		if (listed && kept(model->token, nics, nnics, 0))
			g->cols[g->ncols++] = model->token;
	}
	g->cells = calloc(g->nrows * g->ncols + 1, sizeof(struct cell));
	if (!g->cells)
		return -ENOMEM;
	for (size_t r = 0; r < g->nrows; r++)
		for (size_t c = 0; c < g->ncols; c++) {
			struct cell *x = cell_at(g, r, c);

			x->n = ib_candidates(m, g->rows[r], g->cols[c], x->c, MAX_CANDIDATES);
		}
	/* Drop the empty rows and columns: copy what stays into a packed grid. */
	{
		int keep_col[MAX_COLS] = {0};
		struct cell *packed;
		size_t nr = 0, nc = 0;

		for (size_t r = 0; r < g->nrows; r++)
			for (size_t c = 0; c < g->ncols; c++)
				keep_col[c] |= cell_at(g, r, c)->n > 0;
		for (size_t c = 0; c < g->ncols; c++)
			nc += keep_col[c] != 0;
		packed = calloc(g->nrows * nc + 1, sizeof(struct cell));
		if (!packed)
			return -ENOMEM;
		for (size_t r = 0; r < g->nrows; r++) {
			size_t w = 0;
			int any = 0;

			for (size_t c = 0; c < g->ncols; c++) {
				if (!keep_col[c])
					continue;
				packed[nr * nc + w] = *cell_at(g, r, c);
				any |= packed[nr * nc + w].n > 0;
				w++;
			}
			if (any)
				g->rows[nr++] = g->rows[r];
		}
		for (size_t c = 0, w = 0; c < g->ncols; c++)
			if (keep_col[c])
				g->cols[w++] = g->cols[c];
		free(g->cells);
		g->cells = packed;
		g->nrows = nr;
		g->ncols = nc;
	}
	for (size_t r = 0; r < g->nrows; r++)
		for (size_t c = 0; c < g->ncols; c++) {
			const struct cell *x = cell_at(g, r, c);

			for (size_t k = 0; k < x->n; k++)
				g->shown[x->c[k] - m->pkgs] = 1;
		}
	for (size_t i = 0, n = 0; i < m->npkgs; i++)
		if (g->shown[i])
			g->shown[i] = (int)++n;
	return 0;
}

static void grid_release(struct grid *g)
{
	free(g->rows);
	free(g->cells);
	free(g->shown);
}

static void print_kernels(FILE *f, const struct ib_package *p, const char *quote)
{
	if (!p->kernel.n) {
		fputs("any", f);
		return;
	}
	for (size_t i = 0; i < p->kernel.n; i++)
		fprintf(f, "%s%s%s%s", i ? ", " : "", quote, p->kernel.v[i], quote);
}

/* ---- text: numbers in the grid, the packages below ---------------------------------------- */

static void render_text(const struct grid *g, FILE *f)
{
	const struct ib_manifest *m = g->m;
	size_t w0 = strlen("OS \\ NIC"), w[MAX_COLS];
	char buf[64];

	fprintf(f, "%s %s (%s): OS x NIC -> package\n\n", m->name, m->version, ib_target_name(m->target));
	for (size_t r = 0; r < g->nrows; r++)
		if (strlen(g->rows[r]) > w0)
			w0 = strlen(g->rows[r]);
	for (size_t c = 0; c < g->ncols; c++) {
		w[c] = strlen(g->cols[c]);
		for (size_t r = 0; r < g->nrows; r++) {
			const struct cell *x = cell_at(g, r, c);
			size_t len = x->n ? 0 : 1;

			for (size_t k = 0; k < x->n; k++)
				len += (size_t)snprintf(buf, sizeof(buf), "%s%d", k ? "/" : "",
							g->shown[x->c[k] - m->pkgs]);
			if (len > w[c])
				w[c] = len;
		}
	}
	fprintf(f, "%-*s", (int)w0, "OS \\ NIC");
	for (size_t c = 0; c < g->ncols; c++)
		fprintf(f, "  %-*s", (int)w[c], g->cols[c]);
	fputc('\n', f);
	for (size_t r = 0; r < g->nrows; r++) {
		fprintf(f, "%-*s", (int)w0, g->rows[r]);
		for (size_t c = 0; c < g->ncols; c++) {
			const struct cell *x = cell_at(g, r, c);
			size_t len = 0;

			buf[0] = '\0';
			for (size_t k = 0; k < x->n && len < sizeof(buf); k++) {
				int n = snprintf(buf + len, sizeof(buf) - len, "%s%d", k ? "/" : "",
						 g->shown[x->c[k] - m->pkgs]);

				if (n < 0)
					break;
				len += (size_t)n;
			}
			fprintf(f, "  %-*s", c + 1 < g->ncols ? (int)w[c] : 0, x->n ? buf : "-");
		}
		fputc('\n', f);
	}
	fputs("\npackages (a/b: a when the kernel fits its patterns, else b):\n", f);
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];

		if (!g->shown[i])
			continue;
		fprintf(f, "  %2d  %s: %s %s, kernel ", g->shown[i], p->id, p->name, p->version);
		print_kernels(f, p, "");
		fputc('\n', f);
	}
}

/* ---- Markdown: package ids in the grid, the packages in a second table ------------------- */

static void render_markdown(const struct grid *g, FILE *f)
{
	const struct ib_manifest *m = g->m;

	fprintf(f,
		"`%s` %s (%s): OS x NIC -> package; a cell with several packages lists them in the "
		"order selection tries them against the kernel.\n\n",
		m->name, m->version, ib_target_name(m->target));
	fputs("| OS \\ NIC |", f);
	for (size_t c = 0; c < g->ncols; c++)
		fprintf(f, " %s |", g->cols[c]);
	fputs("\n|---|", f);
	for (size_t c = 0; c < g->ncols; c++)
		fputs("---|", f);
	fputc('\n', f);
	for (size_t r = 0; r < g->nrows; r++) {
		fprintf(f, "| `%s` |", g->rows[r]);
		for (size_t c = 0; c < g->ncols; c++) {
			const struct cell *x = cell_at(g, r, c);

			fputc(' ', f);
			if (!x->n)
				fputc('-', f);
			for (size_t k = 0; k < x->n; k++)
				fprintf(f, "%s`%s`", k ? ", else " : "", x->c[k]->id);
			fputs(" |", f);
		}
		fputc('\n', f);
	}
	fputs("\n| package | product | version | kernel |\n|---|---|---|---|\n", f);
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];

		if (!g->shown[i])
			continue;
		fprintf(f, "| `%s` | %s | %s | ", p->id, p->name, p->version);
		print_kernels(f, p, "`");
		fputs(" |\n", f);
	}
}

/* ---- HTML: one page, inline style, a colour per product ---------------------------------- */

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A stable hue per product name (FNV-1a), so MLNX_OFED and DOCA-Host keep their colours. */
static unsigned hue_of(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return (unsigned)(h % 360u);
}

static void html_kernels(FILE *f, const struct ib_package *p)
{
	fputs("<span class=\"k\">kernel ", f);
	for (size_t i = 0; i < p->kernel.n; i++) {
		fputs(i ? ", " : "", f);
		html_text(f, p->kernel.v[i]);
	}
	if (!p->kernel.n)
		fputs("any", f);
	fputs("</span>", f);
}

static void render_html(const struct grid *g, FILE *f)
{
	const struct ib_manifest *m = g->m;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<title>",
	      f);
	html_text(f, m->name);
	fputs(" ", f);
	html_text(f, m->version);
	fputs(": driver matrix</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:1.5em;color:#222;background:#fff}\n"
	      "table{border-collapse:collapse;margin-bottom:1.5em}\n"
	      "th,td{border:1px solid #999;padding:.35em .5em;vertical-align:top;font-size:13px}\n"
	      "thead th{background:#333;color:#fff}\n"
	      "tbody th{background:#eee;text-align:left;font-family:monospace}\n"
	      "td.none{background:#f4f4f4;color:#aaa;text-align:center}\n"
	      "td .id{font-family:monospace;font-weight:bold}\n"
	      "td .v,td .k{display:block}\n"
	      "td .k{font-family:monospace;font-size:11px;color:#444}\n"
	      "td .alt{border-top:1px dashed #666;margin-top:.3em;padding-top:.3em}\n"
	      ".sw{display:inline-block;width:1em;height:1em;border:1px solid #666;vertical-align:middle}\n"
	      "</style>\n</head>\n<body>\n<h1>",
	      f);
	html_text(f, m->name);
	fputs(" ", f);
	html_text(f, m->version);
	fprintf(f,
		"</h1>\n<p>Target %s. Rows: OS tokens and patterns of the spec; columns: NIC models. "
		"A cell lists the packages in the order selection tries them: the first whose kernel "
		"patterns fit the running kernel is installed.</p>\n",
		ib_target_name(m->target));
	fputs("<table class=\"grid\">\n<thead><tr><th>OS \\ NIC</th>", f);
	for (size_t c = 0; c < g->ncols; c++) {
		fputs("<th title=\"", f);
		html_text(f, ib_nic_name(g->cols[c]));
		fputs("\">", f);
		html_text(f, g->cols[c]);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (size_t r = 0; r < g->nrows; r++) {
		fputs("<tr><th>", f);
		html_text(f, g->rows[r]);
		fputs("</th>", f);
		for (size_t c = 0; c < g->ncols; c++) {
			const struct cell *x = cell_at(g, r, c);

			if (!x->n) {
				fputs("<td class=\"none\">&ndash;</td>", f);
				continue;
			}
			fprintf(f, "<td style=\"background:hsl(%u,70%%,86%%)\">", hue_of(x->c[0]->name));
			for (size_t k = 0; k < x->n; k++) {
				fputs(k ? "<div class=\"alt\">else " : "<div>", f);
				fputs("<span class=\"id\">", f);
				html_text(f, x->c[k]->id);
				fputs("</span><span class=\"v\">", f);
				html_text(f, x->c[k]->name);
				fputs(" ", f);
				html_text(f, x->c[k]->version);
				fputs("</span>", f);
				html_kernels(f, x->c[k]);
				fputs("</div>", f);
			}
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n<h2>Packages</h2>\n<table class=\"legend\">\n"
	      "<thead><tr><th></th><th>package</th><th>product</th><th>version</th><th>kernel</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];

		if (!g->shown[i])
			continue;
		fprintf(f, "<tr><td><span class=\"sw\" style=\"background:hsl(%u,70%%,86%%)\"></span></td><td>",
			hue_of(p->name));
		html_text(f, p->id);
		fputs("</td><td>", f);
		html_text(f, p->name);
		fputs("</td><td>", f);
		html_text(f, p->version);
		fputs("</td><td>", f);
		html_kernels(f, p);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n</body>\n</html>\n", f);
}

/* ---- JSON --------------------------------------------------------------------------------- */

static cJSON *strlist_json(const struct ib_strlist *l)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < l->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
	return a;
}

static void render_json(const struct grid *g)
{
	const struct ib_manifest *m = g->m;
	cJSON *o = cJSON_CreateObject(), *nics, *rows, *pkgs;

	cJSON_AddStringToObject(o, "name", m->name);
	cJSON_AddStringToObject(o, "version", m->version);
	cJSON_AddStringToObject(o, "target", ib_target_name(m->target));
	nics = cJSON_AddArrayToObject(o, "nics");
	for (size_t c = 0; c < g->ncols; c++)
		cJSON_AddItemToArray(nics, cJSON_CreateString(g->cols[c]));
	rows = cJSON_AddArrayToObject(o, "rows");
	for (size_t r = 0; r < g->nrows; r++) {
		cJSON *row = cJSON_CreateObject(), *cells;

		cJSON_AddStringToObject(row, "os", g->rows[r]);
		cells = cJSON_AddObjectToObject(row, "cells");
		for (size_t c = 0; c < g->ncols; c++) {
			const struct cell *x = cell_at(g, r, c);
			cJSON *a = cJSON_AddArrayToObject(cells, g->cols[c]);

			for (size_t k = 0; k < x->n; k++)
				cJSON_AddItemToArray(a, cJSON_CreateString(x->c[k]->id));
		}
		cJSON_AddItemToArray(rows, row);
	}
	pkgs = cJSON_AddArrayToObject(o, "packages");
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];
		cJSON *e;

		if (!g->shown[i])
			continue;
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "id", p->id);
		cJSON_AddStringToObject(e, "name", p->name);
		cJSON_AddStringToObject(e, "version", p->version);
		cJSON_AddNumberToObject(e, "priority", (double)p->priority);
		cJSON_AddItemToObject(e, "kernel", strlist_json(&p->kernel));
		cJSON_AddItemToArray(pkgs, e);
	}
	cli_print_json(o);
}

int cmd_matrix(int argc, char **argv)
{
	enum { O_FORMAT = 'f', O_OS = 0x200, O_NIC, O_TRUST };
	static const struct cli_opt opts[] = {
		{"format", 'f', "F", O_FORMAT, "text (default), markdown, html or json"},
		{"os", 0, "PATTERN", O_OS, "only OS tokens matching PATTERN (repeatable)"},
		{"nic", 0, "TOKEN", O_NIC, "only this NIC token (repeatable)"},
		CLI_TRUST_OPTS(O_TRUST, "for a bundle: check its signature against this key (repeatable)"){
			NULL, 0, NULL, 0, NULL},
	};
	struct cli_args args;
	const char *format = "text", *oses[MAX_FILTERS], *nics[MAX_FILTERS];
	char *pubs[32], *dir = NULL;
	size_t nos = 0, nnics = 0, npubs = 0;
	struct ib_bundle b = {.file.fd = -1};
	struct ib_manifest spec, *m;
	struct grid g;
	int c, rc, bundle;

	cli_args_init(&args, "matrix", opts, argc, argv);
	while ((c = cli_next(&args)) > 0) {
		switch (c) {
		case O_FORMAT: format = args.value; break;
		case O_OS:
			if (nos == MAX_FILTERS)
				return cli_usage("matrix: at most %d --os options", MAX_FILTERS);
			oses[nos++] = args.value;
			break;
		case O_NIC:
			if (nnics == MAX_FILTERS)
				return cli_usage("matrix: at most %d --nic options", MAX_FILTERS);
			if (!ib_nic_token_known(args.value))
				return cli_usage("matrix: unknown NIC token '%s'", args.value);
			nics[nnics++] = args.value;
			break;
		case O_TRUST:
			if (npubs == 32)
				return cli_usage("matrix: at most 32 keys");
			pubs[npubs++] = (char *)args.value;
			break;
		}
	}
	if ((rc = cli_args_done(&args, c, help, opts, 1, 1, "SPEC_OR_BUNDLE")) != CLI_GO_ON)
		return rc;
	if (strcmp(format, "text") && strcmp(format, "markdown") && strcmp(format, "html") && strcmp(format, "json"))
		return cli_usage("matrix: --format is text, markdown, html or json");
	bundle = cli_is_bundle(args.pos[0]);
	if (bundle) {
		rc = cli_open_bundle_anchored(args.pos[0], (const char *const *)pubs, npubs, NULL, 0, 0, &b);
		m = &b.m;
	} else {
		rc = cli_load_spec(args.pos[0], &spec, &dir);
		m = &spec;
	}
	if (rc)
		return cli_fail(rc);
	rc = grid_build(&g, m, oses, nos, nics, nnics);
	if (!rc && !g.nrows) {
		rc = ib_fail(IB_E_NOTFOUND, "matrix: no package matches the --os/--nic filters");
	} else if (!rc) {
		if (!strcmp(format, "json"))
			render_json(&g);
		else if (!strcmp(format, "markdown"))
			render_markdown(&g, stdout);
		else if (!strcmp(format, "html"))
			render_html(&g, stdout);
		else
			render_text(&g, stdout);
		if (fflush(stdout) != 0)
			rc = ib_fail(-EIO, "matrix: cannot write the output");
	}
	grid_release(&g);
	if (bundle)
		ib_bundle_close(&b);
	else
		ib_manifest_release(&spec);
	free(dir);
	return rc ? cli_fail(rc) : CLI_OK;
}
