/* The option parser of ibpack's commands: exact names, one error line per mistake, table help. */
#include "opts.h"

#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cli_args_init(struct cli_args *a, const char *cmd, const struct cli_opt *opts, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	a->opts = opts;
	a->argc = argc;
	a->argv = argv;
	a->next = 1;
}

static int error(const struct cli_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int error(const struct cli_args *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ibpack %s: ", a->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'ibpack %s --help')\n", a->cmd);
	return CLI_OPT_ERROR;
}

/* Takes the value of o: the rest of the word (attached), or the next word. */
static int take_value(struct cli_args *a, const struct cli_opt *o, const char *attached, const char *shown)
{
	if (!o->arg) {
		if (attached)
			return error(a, "option %s takes no value", shown);
		return o->id;
	}
	if (attached) {
		a->value = attached;
		return o->id;
	}
	if (a->next >= a->argc)
		return error(a, "option %s needs a value", shown);
	a->value = a->argv[a->next++];
	return o->id;
}

int cli_next(struct cli_args *a)
{
	char shown[96];

	a->value = NULL;
	while (a->next < a->argc) {
		char *w = a->argv[a->next];

		if (a->no_more_opts || w[0] != '-' || !w[1]) {
			/* "-" alone is a value (standard output), not an option. */
			if (a->npos == CLI_POS_MAX)
				return error(a, "unexpected argument '%s'", w);
			a->pos[a->npos++] = w;
			a->next++;
			continue;
		}
		a->next++;
		if (!strcmp(w, "--")) {
			a->no_more_opts = 1;
			continue;
		}
		if (w[1] == '-') {
			const char *name = w + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			snprintf(shown, sizeof(shown), "--%.*s", (int)(len > 64 ? 64 : len), name);
			if (len == 4 && !strncmp(name, "help", 4))
				return CLI_OPT_HELP;
			for (const struct cli_opt *o = a->opts; o && o->name; o++)
				if (strlen(o->name) == len && !strncmp(o->name, name, len))
					return take_value(a, o, eq ? eq + 1 : NULL, shown);
			return error(a, "unknown option '%s'", shown);
		}
		snprintf(shown, sizeof(shown), "-%c", w[1]);
		if (w[1] == 'h' && !w[2])
			return CLI_OPT_HELP;
		for (const struct cli_opt *o = a->opts; o && o->name; o++)
			if (o->short_name && o->short_name == w[1])
				return take_value(a, o, w[2] ? w + 2 : NULL, shown);
		return error(a, "unknown option '%s'", shown);
	}
	return CLI_OPT_DONE;
}

int cli_args_done(const struct cli_args *a, int c, const char *usage, const struct cli_opt *opts, int min, int max,
		  const char *names)
{
	if (c == CLI_OPT_HELP) {
		cli_help(usage, opts);
		return CLI_OK;
	}
	if (c == CLI_OPT_ERROR)
		return CLI_USAGE;
	if (a->npos < min) {
		fprintf(stderr, "ibpack %s: missing %s (see 'ibpack %s --help')\n", a->cmd, names, a->cmd);
		return CLI_USAGE;
	}
	if (a->npos > max) {
		fprintf(stderr, "ibpack %s: unexpected argument '%s' (see 'ibpack %s --help')\n", a->cmd, a->pos[max],
			a->cmd);
		return CLI_USAGE;
	}
	return CLI_GO_ON;
}

void cli_help(const char *usage, const struct cli_opt *opts)
{
	fputs(usage, stdout);
	if (opts && opts->name)
		puts("options:");
	for (const struct cli_opt *o = opts; o && o->name; o++) {
		char left[64];

		if (!o->help)
			continue;
		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		if (strlen(left) > 24)
			printf("  %s\n  %-24s %s\n", left, "", o->help);
		else
			printf("  %-24s %s\n", left, o->help);
	}
	puts("  -h, --help               this help");
}
