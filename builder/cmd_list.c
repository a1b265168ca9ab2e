/* ibpack list: the bundle's identity and one line per package. */
#include "cli.h"

#include "../base/err.h"
#include "../base/util.h"

#include <cjson/cJSON.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
	"usage: ibpack list BUNDLE [-p KEY.pub]... [--json]\n"
	"Shows name, version, sequence, target and the packages with their match rules. Reads only\n"
	"the footer, manifest and signatures, and checks the signature first.\n";

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
	static const struct option opts[] = {
		{ "pubkey", required_argument, NULL, 'p' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	struct ib_bundle b;
	char *pubs[32];
	size_t npubs = 0;
	int c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (npubs == 32)
				return cli_usage("list: at most 32 keys");
			pubs[npubs++] = optarg;
			break;
		case 'j': json = 1; break;
		case 'h': fputs(help, stdout); return CLI_OK;
		default: return cli_usage("list: bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("list: exactly one BUNDLE is needed");
	rc = cli_open_bundle(argv[optind], pubs, npubs, &b);
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
		printf("%s %s (sequence %llu, %s, created %s)\n", b.m.name, b.m.version,
		       (unsigned long long)b.m.sequence, ib_target_name(b.m.target), b.m.created);
		for (size_t i = 0; i < b.m.npkgs; i++) {
			const struct ib_package *p = &b.m.pkgs[i];
			char os[256], nic[128], kernel[256], size[32];

			join(&p->os, os, sizeof(os));
			join(&p->nic, nic, sizeof(nic));
			join(&p->kernel, kernel, sizeof(kernel));
			cli_human_size(p->unpacked_size, size, sizeof(size));
			printf("  %-28s %s %s  os=%s nic=%s%s%s priority=%ld %s\n", p->id, p->name, p->version, os, nic,
			       p->kernel.n ? " kernel=" : "", kernel, p->priority, size);
		}
	}
	ib_bundle_close(&b);
	return CLI_OK;
}
