/* Command-line options of the ibpack commands: one table per command gives both the parsing and
 * the help text. */
#ifndef IBPACK_OPTS_H
#define IBPACK_OPTS_H

#include <stddef.h>

/* One row per option. Adding an option to a command is one row in its table plus one case in
 * its switch; old spellings stay as rows without help text, which parse but are not shown. */
struct cli_opt {
	const char *name; /* long name without "--" (NULL ends the table) */
	char short_name;  /* the one-letter form, or 0 */
	const char *arg;  /* the value's name in the help ("FILE"); NULL for a flag */
	int id;           /* what cli_next returns for it */
	const char *help; /* one line of help; NULL for a hidden alias */
};

/* A trusted public key, the same spelling in every command ("-p" and "--pubkey" are the old
 * spellings, kept hidden). */
#define CLI_TRUST_OPTS(id, text) {"trust", 0, "KEY.pub", id, text}, {"pubkey", 'p', "KEY.pub", id, NULL},

#define CLI_POS_MAX 4096 /* ibpack report takes a file per node */

struct cli_args {
	const char *cmd;
	const struct cli_opt *opts;
	int argc, next, no_more_opts;
	char **argv;
	const char *value;      /* the value of the option cli_next returned */
	char *pos[CLI_POS_MAX]; /* positional arguments, in order */
	int npos;
};

enum { CLI_OPT_DONE = 0, CLI_OPT_ERROR = -1, CLI_OPT_HELP = -2 };

/* argv[0] is the command name. */
void cli_args_init(struct cli_args *a, const char *cmd, const struct cli_opt *opts, int argc, char **argv);
/* The id of the next option (its value in a->value), CLI_OPT_DONE at the end, CLI_OPT_HELP for
 * -h/--help, or CLI_OPT_ERROR after printing one line: "ibpack CMD: unknown option '--x'",
 * "ibpack CMD: option --x needs a value", "option --x takes no value". Long names match
 * exactly (no abbreviations); "--" ends the options. */
int cli_next(struct cli_args *a);
/* Ends the option loop (c is cli_next's last result): prints the help for CLI_OPT_HELP and
 * checks the count of positional arguments ("missing NAMES", "unexpected argument 'x'").
 * Returns CLI_GO_ON when the command goes on, else its exit code (CLI_OK after the help,
 * CLI_USAGE after an error line). */
#define CLI_GO_ON (-1)
int cli_args_done(const struct cli_args *a, int c, const char *usage, const struct cli_opt *opts, int min, int max,
		  const char *names);
/* Prints usage (a "usage: ..." line and any text), then the visible rows of opts. */
void cli_help(const char *usage, const struct cli_opt *opts);

#endif
