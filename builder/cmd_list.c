/* ibpack list: the bundle's identity and one line per package. */
#include "cli.h"
#include "opts.h"

#include "../base/err.h"
#include "../base/text.h"
#include "../base/util.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <string.h>

static const char help[] = "usage: ibpack list BUNDLE [ANCHORS] [--json]\n"
			   "Shows name, version, sequence, target and the packages with their match rules. Reads only\n"
			   "the footer, manifest and signatures, and checks the signature first.\n" CLI_ANCHOR_HELP;

static cJSON *strlist(const struct ib_strlist *l)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < l->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
	return a;
}

static void join(const struct ib_strlist *l, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n && len < size; i++) {
		snprintf(buf + len, size - len, "%s%s", i ? "," : "", l->v[i]);
		len += strlen(buf + len);
	}
}

int cmd_list(int argc, char **argv)
{
	enum { O_JSON = 0x200 };
	static const struct cli_opt opts[] = {
		CLI_ANCHOR_OPTS{"json", 0, NULL, O_JSON, "print JSON"},
		{NULL, 0, NULL, 0, NULL},
	};
	struct ib_bundle b;
	struct cli_args args;
	struct cli_anchors anchors = {0};
	int c, json = 0, rc;

	cli_args_init(&args, "list", opts, argc, argv);
	while ((c = cli_next(&args)) > 0) {
		switch (c) {
		case O_JSON: json = 1; break;
		default:
			if ((rc = cli_anchor_option(&anchors, c, args.value)) < 0)
				return cli_usage("list: %s", ib_errmsg(rc));
			break;
		}
	}
	if ((rc = cli_args_done(&args, c, help, opts, 1, 1, "BUNDLE")) != CLI_GO_ON)
		return rc;
	rc = cli_open_bundle(args.pos[0], &anchors, &b);
	if (rc)
		return cli_fail(rc);
	if (json) {
		cJSON *o = cJSON_CreateObject(), *a;

		cJSON_AddStringToObject(o, "name", b.m.name);
		cJSON_AddStringToObject(o, "version", b.m.version);
		cJSON_AddNumberToObject(o, "sequence", (double)b.m.sequence);
		cJSON_AddStringToObject(o, "target", ib_target_name(b.m.target));
		cJSON_AddStringToObject(o, "created", b.m.created);
		a = cJSON_AddArrayToObject(o, "packages");
		for (size_t i = 0; i < b.m.npkgs; i++) {
			const struct ib_package *p = &b.m.pkgs[i];
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "id", p->id);
			cJSON_AddStringToObject(e, "name", p->name);
			cJSON_AddStringToObject(e, "version", p->version);
			cJSON_AddItemToObject(e, "os", strlist(&p->os));
			cJSON_AddItemToObject(e, "nic", strlist(&p->nic));
			if (p->kernel.n)
				cJSON_AddItemToObject(e, "kernel", strlist(&p->kernel));
			cJSON_AddNumberToObject(e, "priority", (double)p->priority);
			cJSON_AddNumberToObject(e, "length", (double)p->length);
			cJSON_AddNumberToObject(e, "unpacked_size", (double)p->unpacked_size);
			cJSON_AddNumberToObject(e, "file_count", (double)p->file_count);
			cJSON_AddStringToObject(e, "compression", ib_compression_name(p->compression));
			cJSON_AddItemToArray(a, e);
		}
		cli_print_json(o);
	} else {
		char t1[512], t2[512];

		/* Signed text is still text from the bundle: escaped before it reaches a terminal. */
		printf("%s %s (sequence %llu, %s, created %s)\n", ib_text_escape(b.m.name, t1, sizeof(t1)),
		       ib_text_escape(b.m.version, t2, sizeof(t2)), (unsigned long long)b.m.sequence,
		       ib_target_name(b.m.target), b.m.created);
		for (size_t i = 0; i < b.m.npkgs; i++) {
			const struct ib_package *p = &b.m.pkgs[i];
			char os[256], nic[128], kernel[256], size[32];

			join(&p->os, os, sizeof(os));
			join(&p->nic, nic, sizeof(nic));
			join(&p->kernel, kernel, sizeof(kernel));
			ib_human_size(p->unpacked_size, size, sizeof(size));
			printf("  %-28s %s %s  os=%s nic=%s%s%s priority=%ld %s\n", p->id,
			       ib_text_escape(p->name, t1, sizeof(t1)), ib_text_escape(p->version, t2, sizeof(t2)), os,
			       nic, p->kernel.n ? " kernel=" : "", kernel, p->priority, size);
		}
	}
	ib_bundle_close(&b);
	return CLI_OK;
}
