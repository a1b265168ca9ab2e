/* The fleet report's four renderings: text, Markdown, one self-contained HTML page (inline CSS
 * and SVG, no external asset) and a JSON summary. Node text is untrusted: HTML and Markdown
 * output escape it. */
#include "fleet.h"

#include "../base/err.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t nclass(const struct fleet *f, enum fleet_class cls)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nnodes; i++)
		n += f->nodes[i].cls == cls;
	return n;
}

static size_t nreboot(const struct fleet *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nnodes; i++)
		n += f->nodes[i].reboot != 0;
	return n;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static int finish(FILE *out)
{
	if (fflush(out) != 0 || ferror(out))
		return ib_fail(-EIO, "cannot write the report: %s", strerror(errno));
	return 0;
}

/* ---- text ---- */

int fleet_render_text(const struct fleet *f, FILE *out)
{
	size_t reboot = nreboot(f), failed = nclass(f, FLEET_FAILED);

	fprintf(out, "%zu node%s: %zu ok, %zu nothing to install, %zu failed, reboot pending on %zu\n", f->nnodes,
		f->nnodes == 1 ? "" : "s", nclass(f, FLEET_OK), nclass(f, FLEET_SKIPPED), failed, reboot);
	fputs("\nby result:\n", out);
	for (size_t i = 0; i < f->nresults; i++)
		fprintf(out, "  %-20s %6zu\n", f->by_result[i].key, f->by_result[i].n);
	fputs("\nby package and version:\n", out);
	for (size_t i = 0; i < f->npackages; i++)
		fprintf(out, "  %-40s %6zu\n", f->by_package[i].key, f->by_package[i].n);
	if (!f->npackages)
		fputs("  (none installed)\n", out);
	fprintf(out, "\nneed a reboot (%zu):", reboot);
	for (size_t i = 0; i < f->nnodes; i++)
		if (f->nodes[i].reboot)
			fprintf(out, " %s", f->nodes[i].name);
	fprintf(out, "%s\n\nfailed (%zu):\n", reboot ? "" : " none", failed);
	for (size_t i = 0; i < f->nnodes; i++) {
		const struct fleet_node *n = &f->nodes[i];

		if (n->cls == FLEET_FAILED)
			fprintf(out, "  %s: %s (exit %d): %s\n", n->name, n->result, n->exit_code, or_dash(n->message));
	}
	return finish(out);
}

/* ---- Markdown ---- */

/* Table cell text: no line breaks, pipes and markup characters escaped, HTML disarmed. */
static void md_cell(FILE *out, const char *s)
{
	for (s = or_dash(s); *s; s++) {
		if (*s == '\n' || *s == '\r')
			fputc(' ', out);
		else if (*s == '<')
			fputs("&lt;", out);
		else if (*s == '>')
			fputs("&gt;", out);
		else if (*s == '&')
			fputs("&amp;", out);
		else if (strchr("|\\`*_[]", *s))
			fprintf(out, "\\%c", *s);
		else
			fputc(*s, out);
	}
}

int fleet_render_markdown(const struct fleet *f, FILE *out)
{
	size_t reboot = nreboot(f), failed = nclass(f, FLEET_FAILED);

	fprintf(out, "# InfiniBand driver rollout: %zu nodes\n\n", f->nnodes);
	fprintf(out, "%zu ok, %zu nothing to install, %zu failed, reboot pending on %zu.\n\n", nclass(f, FLEET_OK),
		nclass(f, FLEET_SKIPPED), failed, reboot);
	fputs("## By result\n\n| result | nodes |\n|---|---:|\n", out);
	for (size_t i = 0; i < f->nresults; i++) {
		fputs("| ", out);
		md_cell(out, f->by_result[i].key);
		fprintf(out, " | %zu |\n", f->by_result[i].n);
	}
	fputs("\n## By package and version\n\n| package version | nodes |\n|---|---:|\n", out);
	for (size_t i = 0; i < f->npackages; i++) {
		fputs("| ", out);
		md_cell(out, f->by_package[i].key);
		fprintf(out, " | %zu |\n", f->by_package[i].n);
	}
	fprintf(out, "\n## Need a reboot (%zu)\n\n", reboot);
	for (size_t i = 0; i < f->nnodes; i++)
		if (f->nodes[i].reboot) {
			fputs("- ", out);
			md_cell(out, f->nodes[i].name);
			fputc('\n', out);
		}
	fprintf(out, "\n## Failed (%zu)\n\n", failed);
	if (failed)
		fputs("| node | result | exit | message |\n|---|---|---:|---|\n", out);
	for (size_t i = 0; i < f->nnodes; i++) {
		const struct fleet_node *n = &f->nodes[i];

		if (n->cls != FLEET_FAILED)
			continue;
		fputs("| ", out);
		md_cell(out, n->name);
		fputs(" | ", out);
		md_cell(out, n->result);
		fprintf(out, " | %d | ", n->exit_code);
		md_cell(out, n->message);
		fputs(" |\n", out);
	}
	return finish(out);
}

/* ---- HTML ---- */

static void html(FILE *out, const char *s)
{
	for (s = or_dash(s); *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

static const char *class_name(enum fleet_class c)
{
	return c == FLEET_OK ? "ok" : c == FLEET_SKIPPED ? "skip" : "fail";
}

static enum fleet_class result_class(const struct fleet *f, const char *result)
{
	for (size_t i = 0; i < f->nnodes; i++)
		if (!strcmp(f->nodes[i].result, result))
			return f->nodes[i].cls;
	return FLEET_FAILED;
}

/* A horizontal bar per result, scaled to the largest count. */
static void html_chart(const struct fleet *f, FILE *out)
{
	size_t max = 1, row = 26, width = 360;

	for (size_t i = 0; i < f->nresults; i++)
		if (f->by_result[i].n > max)
			max = f->by_result[i].n;
	fprintf(out,
		"<svg id=\"chart\" role=\"img\" aria-label=\"nodes by result\" width=\"%zu\" height=\"%zu\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n",
		width + 220, row * f->nresults + 8);
	for (size_t i = 0; i < f->nresults; i++) {
		const struct fleet_count *c = &f->by_result[i];
		size_t w = c->n * width / max, y = i * row + 4;

		fprintf(out, "<text x=\"0\" y=\"%zu\" class=\"label\">", y + 15);
		html(out, c->key);
		fprintf(out,
			"</text><rect class=\"bar %s\" x=\"150\" y=\"%zu\" width=\"%zu\" height=\"18\"/>"
			"<text x=\"%zu\" y=\"%zu\">%zu</text>\n",
			class_name(result_class(f, c->key)), y, w ? w : 1, 150 + (w ? w : 1) + 6, y + 15, c->n);
	}
	fputs("</svg>\n", out);
}

static const char css[] =
	"body{font-family:sans-serif;margin:2em;color:#222}"
	"table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
	"th{background:#f0f0f0}.num{text-align:right}.bar.ok{fill:#2e7d32}.bar.skip{fill:#9e9e9e}"
	".bar.fail{fill:#c62828}tr.fail td{background:#fdecea}tr.skip td{color:#666}.label{font-size:13px}"
	"svg text{font-size:13px}";

int fleet_render_html(const struct fleet *f, FILE *out)
{
	size_t reboot = nreboot(f), failed = nclass(f, FLEET_FAILED);

	fprintf(out,
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<title>ibpack fleet report: %zu nodes</title>\n<style>%s</style></head><body>\n",
		f->nnodes, css);
	fprintf(out,
		"<h1>InfiniBand driver rollout: %zu nodes</h1>\n<p id=\"summary\">%zu ok, %zu nothing to "
		"install, %zu failed, reboot pending on %zu.</p>\n",
		f->nnodes, nclass(f, FLEET_OK), nclass(f, FLEET_SKIPPED), failed, reboot);
	fputs("<h2>By result</h2>\n", out);
	html_chart(f, out);
	fputs("<h2>By package and version</h2>\n<table id=\"packages\"><tr><th>package version</th>"
	      "<th>nodes</th></tr>\n",
	      out);
	for (size_t i = 0; i < f->npackages; i++) {
		fputs("<tr><td>", out);
		html(out, f->by_package[i].key);
		fprintf(out, "</td><td class=\"num\">%zu</td></tr>\n", f->by_package[i].n);
	}
	fputs("</table>\n<h2>Nodes</h2>\n<table id=\"nodes\"><tr><th>node</th><th>result</th><th>exit</th>"
	      "<th>package</th><th>version</th><th>OS</th><th>reboot</th><th>message</th></tr>\n",
	      out);
	for (size_t i = 0; i < f->nnodes; i++) {
		const struct fleet_node *n = &f->nodes[i];
		const char *cells[] = {n->name, n->result, NULL, n->package, n->version, n->os};

		fprintf(out, "<tr class=\"%s\">", class_name(n->cls));
		for (size_t j = 0; j < sizeof(cells) / sizeof(cells[0]); j++) {
			if (j == 2) {
				fprintf(out, "<td class=\"num\">%d</td>", n->exit_code);
				continue;
			}
			fputs("<td>", out);
			html(out, cells[j]);
			fputs("</td>", out);
		}
		fprintf(out, "<td>%s</td><td>", n->reboot ? "pending" : "");
		html(out, n->message);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n</body></html>\n", out);
	return finish(out);
}

/* ---- JSON ---- */

static cJSON *counts(const struct fleet_count *c, size_t n)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o && i < n; i++)
		cJSON_AddNumberToObject(o, c[i].key, (double)c[i].n);
	return o;
}

int fleet_render_json(const struct fleet *f, FILE *out)
{
	cJSON *o = cJSON_CreateObject(), *reboot, *failed;
	char *text;

	if (!o)
		return -ENOMEM;
	cJSON_AddNumberToObject(o, "schema", 1);
	cJSON_AddNumberToObject(o, "nodes", (double)f->nnodes);
	cJSON_AddNumberToObject(o, "ok", (double)nclass(f, FLEET_OK));
	cJSON_AddNumberToObject(o, "nothing_to_install", (double)nclass(f, FLEET_SKIPPED));
	cJSON_AddNumberToObject(o, "failed", (double)nclass(f, FLEET_FAILED));
	cJSON_AddItemToObject(o, "by_result", counts(f->by_result, f->nresults));
	cJSON_AddItemToObject(o, "by_package", counts(f->by_package, f->npackages));
	reboot = cJSON_AddArrayToObject(o, "reboot_pending");
	failed = cJSON_AddArrayToObject(o, "failed_nodes");
	for (size_t i = 0; i < f->nnodes; i++) {
		const struct fleet_node *n = &f->nodes[i];

		if (n->reboot)
			cJSON_AddItemToArray(reboot, cJSON_CreateString(n->name));
		if (n->cls == FLEET_FAILED) {
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "node", n->name);
			cJSON_AddStringToObject(e, "result", n->result);
			cJSON_AddNumberToObject(e, "exit_code", n->exit_code);
			cJSON_AddStringToObject(e, "message", or_dash(n->message));
			cJSON_AddItemToArray(failed, e);
		}
	}
	text = cJSON_Print(o);
	cJSON_Delete(o);
	if (!text)
		return -ENOMEM;
	fprintf(out, "%s\n", text);
	free(text);
	return finish(out);
}
