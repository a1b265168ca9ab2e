/* The stub's actions: every one starts from a bundle whose manifest signature has been checked. */
#include "actions.h"
#include "guard.h" /* self-check, lock, rollback rule, install record */
#include "instenv.h"
#include "rerun.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../policy/exitcode.h"
#include "../format/extract.h"
#include "../base/text.h"
#include "../base/util.h"
#include "../format/layout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifndef _WIN32
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

static FILE *human(const struct stub_ctx *c)
{
	if (c->opts->quiet)
		return NULL;
	return c->opts->json ? stderr : stdout;
}

static int load_trust(struct stub_ctx *c, struct ib_trust *t)
{
	uint8_t area[IB_TRUST_AREA_SIZE];
	int rc;

	if (c->opts->bundle_file)
		return stub_host_trust(c, t);
	/* Copy out of the volatile array once; everything after reads the copy. */
	for (size_t i = 0; i < sizeof(area); i++)
		area[i] = stub_trust_area[i];
	/* --trust/--trust-ca replace the embedded keys and CAs; the embedded revocations and
	 * threshold still apply: they are the policy of whoever built this stub, which is running. */
	rc = ib_trust_resolve(area, (const char *const *)c->opts->trust_keys, c->opts->ntrust_keys,
			      (const char *const *)c->opts->trust_cas, c->opts->ntrust_cas, 0, t);
	if (!rc && t->nkeys == 0 && t->ncas == 0) {
		ib_trust_release(t);
		rc = ib_fail(IB_E_UNTRUSTED, "this stub trusts no key: it was not built by 'ibpack build'");
	}
	return rc;
}

int stub_open(struct stub_ctx *c)
{
	struct ib_trust t;
	char why[1024];
	int rc;

	c->action = c->opts->list             ? "list"
		    : c->opts->verify         ? "verify"
		    : c->opts->extract_dir    ? "extract"
		    : c->opts->detect         ? "detect"
		    : c->opts->uninstall_data ? "uninstall-data"
					      : "install";
	/* --bundle FILE (ibpack install): another bundle, read as data, checked against this
	 * machine's anchors; its own stub never runs. */
	rc = c->opts->bundle_file ? ib_bundle_open(&c->bundle, c->opts->bundle_file) : ib_bundle_open_self(&c->bundle);
	if (rc)
		return rc;
	c->opened = 1;
	rc = load_trust(c, &t);
	if (rc)
		return rc;
	rc = ib_bundle_authenticate(&c->bundle, &t);
	if (rc == IB_E_UNTRUSTED) {
		ib_trust_explain(&t, &c->bundle.sigs, why, sizeof(why));
		rc = ib_fail(rc, "bundle is not signed by a key this stub trusts: %s", why);
	}
	ib_trust_release(&t);
	if (!rc && c->bundle.m.target != c->target)
		rc = ib_fail(IB_E_MISMATCH, "manifest is for %s, this stub runs on %s",
			     ib_target_name(c->bundle.m.target), ib_target_name(c->target));
	return rc;
}

int stub_list(struct stub_ctx *c)
{
	const struct ib_manifest *m = &c->bundle.m;
	FILE *out = human(c);
	char t1[512], t2[512];

	if (!out || c->opts->json)
		return 0; /* the JSON result carries the package list */
	fprintf(out, "%s %s (sequence %llu, %s, created %s)\n", ib_text_escape(m->name, t1, sizeof(t1)),
		ib_text_escape(m->version, t2, sizeof(t2)), (unsigned long long)m->sequence, ib_target_name(m->target),
		m->created);
	for (size_t i = 0; i < m->npkgs; i++) {
		const struct ib_package *p = &m->pkgs[i];

		fprintf(out, "  %-28s %s %s  os=", p->id, ib_text_escape(p->name, t1, sizeof(t1)),
			ib_text_escape(p->version, t2, sizeof(t2)));
		for (size_t j = 0; j < p->os.n; j++)
			fprintf(out, "%s%s", j ? "," : "", p->os.v[j]);
		fprintf(out, " nic=");
		for (size_t j = 0; j < p->nic.n; j++)
			fprintf(out, "%s%s", j ? "," : "", p->nic.v[j]);
		fprintf(out, " priority=%ld\n", p->priority);
	}
	return 0;
}

int stub_verify(struct stub_ctx *c)
{
	struct ib_bundle *b = &c->bundle;
	char safe[1024];
	int rc = ib_bundle_check_all(b);

	if (!rc)
		snprintf(c->message, sizeof(c->message), "bundle is valid: %zu packages, %zu trusted signature%s",
			 b->m.npkgs, b->valid_sigs, b->valid_sigs == 1 ? "" : "s");
	if (!rc && human(c))
		fprintf(human(c), "%s\n", ib_text_escape(c->message, safe, sizeof(safe)));
	return rc;
}

/* The extraction progress line: size, rate and time left, redrawn once a second at most. */
static void progress(void *ctx, uint64_t done, uint64_t total)
{
	static time_t start, last;
	time_t now = time(NULL);
	char line[160];

	(void)ctx;
	if (!start)
		start = now;
	if (done < total && now == last)
		return;
	last = now;
	ib_progress_line(line, sizeof(line), "extracting", done, total, (double)(now - start));
	fprintf(stderr, "\r%s\033[K", line);
	if (done >= total)
		fputs("\r\033[K", stderr);
}

static void extract_opts(struct stub_ctx *c, struct ib_extract_opts *eo)
{
	memset(eo, 0, sizeof(*eo));
	eo->cancel = &c->cancel;
	if (!c->opts->quiet && !c->opts->json && plat_isatty_stderr())
		eo->progress = progress;
}

struct extract_shown {
	struct stub_ctx *c;
};

static void extracted(void *ctx, const struct ib_package *p, const struct ib_extract_stats *st)
{
	struct stub_ctx *c = ((struct extract_shown *)ctx)->c;

	if (human(c))
		fprintf(human(c), "%s/%s: %llu files, %llu bytes\n", c->opts->extract_dir, p->id,
			(unsigned long long)st->files, (unsigned long long)st->bytes);
}

/* All or nothing (format/layout.c): a failed or interrupted --extract leaves the directory as
 * it was, and a directory this run created is removed again. */
int stub_extract(struct stub_ctx *c)
{
	const struct ib_manifest *m = &c->bundle.m;
	const struct ib_package *chosen[IB_PACKAGES_MAX];
	struct extract_shown shown = {c};
	struct ib_outdir *dir = NULL;
	struct ib_extract_opts eo;
	size_t n = 0;
	int rc = 0, created = 0;

	if (c->opts->force_package && !ib_manifest_find(m, c->opts->force_package))
		return ib_fail(IB_E_USAGE, "no package '%s' in this bundle", c->opts->force_package);
	for (size_t i = 0; i < m->npkgs; i++)
		if (!c->opts->force_package || !strcmp(c->opts->force_package, m->pkgs[i].id))
			chosen[n++] = &m->pkgs[i];
	if (plat_mkdir(c->opts->extract_dir) == 0)
		created = 1;
	else if (errno != EEXIST)
		return ib_fail(-errno, "cannot create '%s': %s", c->opts->extract_dir, strerror(errno));
	if ((rc = ib_outdir_open(c->opts->extract_dir, &dir)) == 0) {
		extract_opts(c, &eo);
		rc = ib_extract_layout(&c->bundle, dir, chosen, n, &eo, extracted, &shown);
		ib_outdir_close(dir);
	}
	if (rc && created)
		(void)plat_rmtree(c->opts->extract_dir);
	return rc;
}

static void describe_host(struct stub_ctx *c)
{
	FILE *out = human(c);

	log_msg(&c->log, "info", "bundle %s %s (sequence %llu), OS %s, kernel %s", c->bundle.m.name,
		c->bundle.m.version, (unsigned long long)c->bundle.m.sequence, c->host.os, c->host.kernel);
	for (size_t i = 0; i < c->host.ndevs; i++) {
		const struct stub_dev *d = &c->host.devs[i];

		if (d->vmbus)
			log_msg(&c->log, "info", "device %s: NetworkDirect (non-SR-IOV) over VMBus", d->address);
		else
			log_msg(&c->log, "info", "device %s: %04x:%04x class %06x %s%s%s%s", d->address, d->vendor,
				d->device, (unsigned)d->class_code, d->nmodels ? ib_nic_name(d->models[0]) : "unknown",
				d->is_vf ? " VF" : "", d->note[0] ? ": " : "", d->note);
	}
	if (!c->host.ndevs)
		log_msg(&c->log, "info", "no Mellanox PCI function and no NetworkDirect VMBus device found");
	(void)out;
}

static int detect_and_select(struct stub_ctx *c)
{
	const struct stub_opts *o = c->opts;
	int rc = plat_detect(o->sysroot, &c->host);

	if (rc)
		return rc;
	c->detected = 1;
	if (o->os_override)
		snprintf(c->host.os, sizeof(c->host.os), "%s", o->os_override);
	if (o->kernel_override)
		snprintf(c->host.kernel, sizeof(c->host.kernel), "%s", o->kernel_override);
	stub_host_export_kernel(&c->host);
	if (o->n_nic_override) {
		c->host.nnics = o->n_nic_override;
		for (size_t i = 0; i < o->n_nic_override; i++)
			c->host.nics[i] = o->nic_override[i];
	}
	describe_host(c);
	if (o->force_package) {
		c->sel.pkg = ib_manifest_find(&c->bundle.m, o->force_package);
		if (!c->sel.pkg)
			return ib_fail(IB_E_USAGE, "no package '%s' in this bundle", o->force_package);
		snprintf(c->sel.why, sizeof(c->sel.why), "package '%s' forced with --package", o->force_package);
		log_msg(&c->log, "info", "%s", c->sel.why);
		return 0;
	}
	rc = ib_select_kernel(&c->bundle.m, c->host.os, c->host.kernel, c->host.nics, c->host.nnics, &c->sel);
	if (rc)
		return ib_fail(rc, "%s", c->sel.why); /* stub_finish logs it once */
	log_msg(&c->log, "info", "%s", c->sel.why);
	return 0;
}

int stub_installer_env(struct stub_ctx *c, const struct ib_package *p, const char *tmpdir, const char *root,
		       struct stub_env *env)
{
	struct stub_env_in in = {
		.m = &c->bundle.m,
		.pkg = p,
		.os = c->host.os,
		.kernel = c->host.kernel,
		.nics = c->host.nics,
		.nnics = c->host.nnics,
		.tmpdir = tmpdir,
		.root = root,
		.pass = c->opts->pass_env,
		.npass = c->opts->npass_env,
	};
	return stub_env_build(&in, env);
}

/* dirfd: the package directory held since extraction (Linux), or -1 (Windows: pkgdir). */
static int run_installer(struct stub_ctx *c, const struct ib_package *p, int dirfd, const char *pkgdir,
			 const char *tmpdir)
{
	unsigned timeout = c->opts->timeout ? (unsigned)c->opts->timeout : p->install.timeout;
	struct stub_env env;
	char **argv;
	int rc;

	if ((rc = stub_installer_env(c, p, tmpdir, NULL, &env)))
		return rc;
	if (!p->install.argv.n) {
		rc = stub_run_form(c, p, env.v, pkgdir, timeout);
	} else {
		/* The manifest's list is not NULL-terminated; exec needs an argv that is. */
		argv = calloc(p->install.argv.n + 1, sizeof(char *));
		if (!argv) {
			stub_env_release(&env);
			return ib_fail(-ENOMEM, "out of memory");
		}
		memcpy(argv, p->install.argv.v, p->install.argv.n * sizeof(char *));
		log_msg(&c->log, "info", "running '%s' (timeout %u s) in %s", argv[0], timeout, pkgdir);
		rc = plat_run(argv, env.v, dirfd, pkgdir, timeout, &c->log, &c->cancel, &c->run);
		free(argv);
	}
	stub_env_release(&env);
	c->ran = rc == 0 || rc == IB_E_TIMEOUT;
	if (rc)
		return rc;
	if (!c->run.exited)
		return ib_fail(IB_E_INSTALLER, "installer was killed by signal %d (%s)", c->run.signal,
			       stub_signal_name(c->run.signal));
	if (ib_codes_has(&p->install.reboot, c->run.code)) {
		c->reboot_required = 1;
		snprintf(c->message, sizeof(c->message), "%s %s installed; reboot required (installer exit %ld)",
			 p->name, p->version, c->run.code);
		return 0;
	}
	if (!ib_codes_has(&p->install.success, c->run.code))
		return ib_fail(IB_E_INSTALLER,
			       "installer exited with %ld, which is not a success code of "
			       "package '%s'",
			       c->run.code, p->id);
	snprintf(c->message, sizeof(c->message), "%s %s installed", p->name, p->version);
	return 0;
}

int stub_install(struct stub_ctx *c)
{
	const struct stub_opts *o = c->opts;
	struct ib_extract_opts eo;
	struct ib_extract_stats st;
	struct ib_outdir *dir = NULL;
	const struct ib_package *p;
	char logpath[IB_PATH_MAX], pkgdir[IB_PATH_MAX];
	const char *root = c->tmpdir; /* where the package is extracted */
	int rc;

	if (o->detect) {
		log_open(&c->log, NULL, human(c));
		return stub_guard_detect(c, detect_and_select(c));
	}
	if (o->log_file)
		snprintf(logpath, sizeof(logpath), "%s", o->log_file);
	else
		plat_default_log(c->bundle.m.name, logpath, sizeof(logpath));
	log_open(&c->log, logpath, human(c));
	if ((rc = detect_and_select(c)))
		return rc;
	p = c->sel.pkg;
	/* Said up front, as what it is: not an installer failure (14) after a half-done run. The
	 * installer runs on this machine whatever --sysroot says detection read. */
	if (!plat_privileged())
		return ib_fail(IB_E_USAGE,
			       "installing drivers needs %s (--detect, --list, --verify and --extract "
			       "do not)",
			       STUB_TARGET == IB_TARGET_WINDOWS_X86_64 ? "an elevated administrator" : "root");
	if ((rc = stub_guard_begin(c)))
		return rc;
	if (c->already_installed)
		return stub_rerun_verify(c); /* the record matches this selection: nothing to extract or run */
	if ((rc = stub_keep_prepare(c, p)))
		return rc;
#ifdef _WIN32
	/* Made even when the package is kept elsewhere: it holds the installer's TEMP. */
	if ((rc = plat_tmpdir(o->tmpdir, c->tmpdir, sizeof(c->tmpdir))))
		return rc;
	if (c->kept_root[0])
		root = c->kept_root;
	rc = ib_outdir_open(root, &dir);
#else
	/* Held by fds from here on: extraction, the working directory, the exec and the removal
	 * never go through the temp path again. */
	if ((rc = stub_tmp_create(o->tmpdir, &c->tmp)))
		return rc;
	snprintf(c->tmpdir, sizeof(c->tmpdir), "%s", c->tmp.path);
	rc = ib_outdir_open_fd(c->tmp.fd, &dir);
#endif
	log_msg(&c->log, "info", "extracting package '%s' into %s", p->id, root);
	if (!rc) {
		extract_opts(c, &eo);
		rc = ib_extract_package(&c->bundle, p, dir, p->id, &eo, &st);
		ib_outdir_close(dir);
	}
	if (rc)
		return rc;
	log_msg(&c->log, "info", "extracted %llu files, %llu bytes (every chunk verified)",
		(unsigned long long)st.files, (unsigned long long)st.bytes);
	if (ib_snprintf(pkgdir, sizeof(pkgdir), "%s/%s", root, p->id))
		return ib_fail(-ENAMETOOLONG, "temp path too long");
#ifdef _WIN32
	{
		/* TEMP and TMP for the installer: a private dir inside the temp dir, which has the
		 * protected ACL that the new folder inherits (".tmp" is no package id). */
		char privtmp[4200];

		if (ib_snprintf(privtmp, sizeof(privtmp), "%s\\.tmp", c->tmpdir) || plat_mkdir(privtmp) != 0)
			return ib_fail(-EIO, "cannot create the installer's temp dir in %s", c->tmpdir);
		return stub_guard_commit(c, run_installer(c, p, -1, pkgdir, privtmp));
	}
#else
	{
		/* TMPDIR for the installer: a private dir next to the package (".tmp" is no package id). */
		char privtmp[4200];
		int dirfd = openat(c->tmp.fd, p->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (dirfd < 0)
			return ib_fail(-errno, "cannot open '%s': %s", pkgdir, strerror(errno));
		if (mkdirat(c->tmp.fd, ".tmp", 0700) != 0 ||
		    ib_snprintf(privtmp, sizeof(privtmp), "%s/.tmp", c->tmpdir)) {
			close(dirfd);
			return ib_fail(-EIO, "cannot create the installer's temp dir in %s", c->tmpdir);
		}
		rc = stub_guard_commit(c, run_installer(c, p, dirfd, pkgdir, privtmp));
		close(dirfd);
		return rc;
	}
#endif
}
