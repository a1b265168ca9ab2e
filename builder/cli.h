/* What the ibpack commands share: exit codes, output settings and loading helpers. */
#ifndef IBPACK_CLI_H
#define IBPACK_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "anchors.h"

#include "../format/bundle.h"
#include "../format/format.h"
#include "../format/manifest.h"

/* ibpack's own exit codes (the plan command uses the stub's instead). */
enum {
	CLI_OK = 0,
	CLI_USAGE = 1,
	CLI_INVALID = 2, /* the bundle is invalid: integrity, signature or format */
	CLI_FAILED = 3,  /* anything else: bad spec, missing source, I/O, keys */
};

struct cli {
	int json, quiet, tty;
	int progress; /* --progress: show progress although stderr is not a terminal */
};

int cmd_keygen(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_manifest(int argc, char **argv);
int cmd_signature(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_fetch_list(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_attach_signature(int argc, char **argv); /* cmd_sign.c */
int cmd_extension(int argc, char **argv);        /* cmd_extension.c: Azure VM extension handler */
int cmd_matrix(int argc, char **argv);           /* cmd_matrix.c: OS x NIC grid of a spec */
int cmd_sbom(int argc, char **argv);             /* cmd_sbom.c: CycloneDX bill of materials */
int cmd_report(int argc, char **argv);           /* cmd_report.c: the fleet at a glance */
int cmd_install(int argc, char **argv);          /* cmd_install.c: install from a bundle read as data */

/* The stub for a target: $IBPACK_STUB_DIR, ../lib/ibpack next to ibpack, /usr/local/lib/ibpack,
 * /usr/lib/ibpack (stubpath.c). */
int cli_find_stub(int target, char *out, size_t size);
/* ibpack --version: its version, its libraries' and the stubs it would use. */
int cli_version(void);

/* Prints "ibpack: error: <detail>" and returns the exit code for rc. */
int cli_fail(int rc);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_exit_code(int rc);

/* Loads and validates a spec; *dir receives the spec's folder (sources are relative to it). */
int cli_load_spec(const char *path, struct ib_manifest *m, char **dir);
/* A package's source resolved like build does: absolute, or relative to the spec's folder.
 * Returns 0 or -ENAMETOOLONG. */
int cli_source_path(const char *spec_dir, const struct ib_package *p, char *buf, size_t size);
/* The trust the bundle is checked against (ib_trust_resolve): the policy embedded in its stub,
 * with the given public keys and CAs in place of its keys and CAs. */
int cli_load_trust(struct ib_bundle *b, const char *const *pubs, size_t npubs, const char *const *cas, size_t ncas,
		   uint32_t threshold, struct ib_trust *t);
/* 1 when path starts like a bundle (an ELF or MZ header) rather than a JSON spec. */
int cli_is_bundle(const char *path);
/* Opens a bundle and authenticates it against the anchors (never against keys only the bundle
 * vouches for), explaining signer and trusted key ids on failure. */
int cli_open_bundle(const char *path, const struct cli_anchors *a, struct ib_bundle *b);

/* cli_open_bundle with these -p keys and --trust-ca CAs as the anchors (none: the host trust
 * store), and a threshold (0: the embedded one). */
int cli_open_bundle_anchored(const char *path, const char *const *pubs, size_t npubs, const char *const *cas,
			     size_t ncas, uint32_t threshold, struct ib_bundle *b);

/* Progress of one long step on one updating stderr line: label, bytes done and total, percent,
 * rate and time left (builder/progress.c). */
struct cli_meter {
	const char *label;
	double start, last; /* monotonic seconds */
	int shown;
};
/* Whether c wants progress: stderr is a terminal or --progress was given, and neither
 * --quiet nor --json. */
int cli_progress_wanted(const struct cli *c);
void cli_meter_start(struct cli_meter *m, const char *label);
/* A progress callback; ctx is a struct cli_meter. Redraws at most 5 times a second. */
void cli_progress(void *ctx, uint64_t done, uint64_t total);
/* Clears the progress line when one was drawn. */
void cli_meter_end(struct cli_meter *m);
/* Sets ts to 100 ms from now on CLOCK_REALTIME: the next redraw of a thread that waits for
 * workers with pthread_cond_timedwait. */
struct timespec;
void cli_progress_deadline(struct timespec *ts);

/* Prints a JSON document on stdout and frees it. */
struct cJSON;
void cli_print_json(struct cJSON *doc);

#endif
