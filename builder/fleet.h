/* A fleet of per-node bundle results (the --json lines of docs/JSON.md), read from files and
 * directories and summarised for `ibpack report`. */
#ifndef IBPACK_FLEET_H
#define IBPACK_FLEET_H

#include <stddef.h>
#include <stdio.h>

#define FLEET_FILE_MAX  (16u << 20) /* a larger result file is not read */
#define FLEET_NODES_MAX 100000

/* How a node's result is judged. */
enum fleet_class {
	FLEET_OK,      /* installed, reboot_required, already_installed, selected, ok */
	FLEET_SKIPPED, /* no_device, os_unsupported: nothing to install there */
	FLEET_FAILED,  /* everything else, and a result that could not be read */
};

struct fleet_node {
	char *name;    /* "node" member, the pdsh/clush "NAME: " prefix, or the file name */
	char *result;  /* the result word, or "unreadable" */
	int exit_code; /* -1 when unknown */
	char *message;
	char *package; /* selection.package, or NULL */
	char *version; /* selection.version, or NULL */
	char *bundle;  /* "name version" of the bundle, or NULL */
	char *os;
	int reboot; /* reboot_pending (reboot_required for a result without it) */
	enum fleet_class cls;
};

struct fleet_count {
	char *key; /* a result word, or "package version" */
	size_t n;
};

struct fleet {
	struct fleet_node *nodes;
	size_t nnodes, cap;
	struct fleet_count *by_result, *by_package;
	size_t nresults, npackages;
	size_t nfiles;
};

/* Adds the nodes of PATH: a directory (each regular *.json or *.out file in it, in name order),
 * or a file holding one JSON result (pretty or one line), or lines of results, each either a
 * JSON object or "NAME: {...}" as pdsh and clush print them. A line or file that is not a
 * result becomes an "unreadable" node, so a broken node is never silently missing. */
int fleet_add_path(struct fleet *f, const char *path);
/* Sorts the nodes by name and fills the counts. */
int fleet_summarise(struct fleet *f);
void fleet_release(struct fleet *f);

/* Renderers (builder/fleet_render.c): each writes the whole report to out. */
int fleet_render_text(const struct fleet *f, FILE *out);
int fleet_render_markdown(const struct fleet *f, FILE *out);
int fleet_render_html(const struct fleet *f, FILE *out);
int fleet_render_json(const struct fleet *f, FILE *out);

#endif
