/* The stub's entry point: options, authentication of its own bundle, then one action. */
#include "stub.h"
#include "actions.h"
#include "extension.h"
#include "guard.h"
#include "root.h"

#include "../base/depver.h"
#include "../base/err.h"
#include "../base/fileio.h"
#include "../policy/exitcode.h"
#include "../base/util.h"
#include "../signing/crypto.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: BUNDLE [options]\n"
	"With no option: detect the InfiniBand NIC and the OS, verify, extract the matching package\n"
	"into a private temp dir and run its installer offline.\n"
	"\n"
	"  --detect            show what was found and what would be installed (same exit code)\n"
	"  --list              show the bundle's packages\n"
	"  --verify            check the signature and every chunk of every package\n"
	"  --extract DIR       extract packages into DIR/<package-id>/ (all, or --package)\n"
	"  --package ID        install (or extract) this package, skipping detection\n"
	"  --os TOKEN          use this OS token instead of detecting it\n"
	"  --nic TOKEN         use this NIC token instead of detecting (repeatable)\n"
	"  --kernel RELEASE    match packages' kernel rules against this kernel instead of the\n"
	"                      running one (with --root: instead of the image's installed kernel)\n"
/* ---- image installs and first-boot staging (stub/root.c, stub/stage.c) ---- */
#ifdef _WIN32
	"  --root DIR          add the INF drivers for the --nic models to the offline Windows image\n"
	"                      mounted at DIR with dism (needs --os)\n"
	"  --stage             with --root: copy the bundle into the image and run it once from\n"
	"                      SetupComplete.cmd on first boot\n"
#else
	"  --root DIR          install into the image mounted at DIR (chrooted) for the --nic models\n"
	"                      (one package per distinct selection); OS from DIR/etc/os-release\n"
	"  --stage             with --root: copy the bundle into the image and enable a systemd unit\n"
	"                      that runs it once, on the first boot on the real hardware\n"
#endif
	"  --unstage           with --root: remove what --stage added\n"
	"  --trust KEY.pub     verify against this key instead of the embedded ones (repeatable)\n"
	"  --trust-ca CA.pem   trust CMS signatures chaining to this CA instead (repeatable)\n"
#ifndef _WIN32
	"  --sysroot DIR       read /etc and /sys below DIR (also $IBPACK_SYSROOT)\n"
#endif
	"  --tmpdir DIR        where to create the private temp dir\n"
	"  --keep              keep the temp dir\n"
#ifdef _WIN32
	"  --keep-source       keep the installed package in %ProgramData%\\ibpack\\packages\\<bundle>\n"
	"                      for MSI repair and patching (as a package's \"keep\": true does)\n"
	"  --uninstall-data    remove this bundle's kept packages\n"
#endif
	"  --timeout SEC       installer timeout (default: the package's)\n"
	"  --pass-env NAME     give the installer this variable of the caller's environment\n"
	"                      (repeatable; also $IBPACK_PASS_ENV=NAME,NAME)\n"
#ifdef _WIN32
	"  --log-file FILE     log here (default %ProgramData%\\ibpack\\logs\\<bundle>.log, or the Azure\n"
	"                      extension log folder when run from C:\\Packages\\Plugins)\n"
#else
	"  --log-file FILE     log here (default /var/log/ibpack/<bundle>.log)\n"
#endif
	"  --extension CMD     run as an Azure VM extension handler: CMD is install, enable, disable,\n"
	"                      uninstall or update (the handler package: ibpack extension)\n"
	"  --allow-downgrade   install even if a newer sequence of this bundle is installed\n"
	"  --reinstall         run the installer even if this bundle's selected package is installed\n"
	"  --lock-wait SEC     wait at most SEC for another install to finish (default 300)\n"
#ifdef _WIN32
	"  --state-dir DIR     keep the install record and lock in DIR instead of\n"
	"                      %ProgramData%\\ibpack (also %IBPACK_STATE_DIR%; not with --root)\n"
#else
	"  --state-dir DIR     keep the install record and lock in DIR instead of /var/lib/ibpack\n"
	"                      (also $IBPACK_STATE_DIR; not with --root)\n"
#endif
	"  --json              print the result as one JSON object on one line on stdout (also for\n"
	"                      usage errors; docs/JSON.md)\n"
	"  --quiet             print nothing but errors\n"
	"  --help, --version [--verbose | --json]  (--verbose: the built-in libraries and their\n"
	"                      versions; --json: the libraries this stub is built from)\n"
#ifdef _WIN32
	"\n"
	"Windows installer conventions (WiX Burn), with '/' or '-':\n"
	"  /quiet              no output but errors (= --quiet)\n"
	"  /passive            progress, never a prompt (how the bundle always runs)\n"
	"  /norestart          never restart (the default: a needed reboot is exit 3010)\n"
	"  /log FILE           log here (= --log-file FILE)\n"
	"  /layout DIR         extract every package into DIR (= --extract DIR)\n"
	"  /repair             run the installer again though it is installed (= --reinstall)\n"
	"  /?, /help           this text\n"
#endif
	"\n"
#ifdef _WIN32
	"Exit codes: 0 installed, 3010 installed and a reboot is required, 1 usage, 2 integrity or\n"
	"signature failure, 100 no InfiniBand device, OS not in this bundle, installer failed, an\n"
	"older bundle than the installed one or another install running, 240 installer timed out,\n"
	"-1 unexpected error or interrupted. With --json the result's \"reason\" (and the log) says\n"
	"which: no_device, os_unsupported, installer_failed, timeout, integrity, downgrade_refused,\n"
	"locked. Every install run adds one entry (source ibpack) to the Application event log.\n";
#else
	"Exit codes: 0 installed (reboot_required is reported, not an error), 1 usage, 2 integrity or\n"
	"signature failure, 11 no supported InfiniBand device, 12 OS not supported by this bundle\n"
	"(or no package for the running kernel: kernel_unsupported), 14 installer or extraction\n"
	"failed or interrupted, 15 older than the installed bundle (see --allow-downgrade) or\n"
	"unusable install state, 16 another install is running, 240 installer timed out.\n";
#endif

static int parse(int argc, char **argv, struct stub_opts *o)
{
	enum {
		O_DETECT = 256,
		O_LIST,
		O_VERIFY,
		O_EXTRACT,
		O_PACKAGE,
		O_OS,
		O_NIC,
		O_TRUST,
		O_TRUST_CA,
		O_SYSROOT,
		O_TMPDIR,
		O_KEEP,
		O_TIMEOUT,
		O_LOG,
		O_JSON,
		O_QUIET,
		O_HELP,
		O_VERSION,
		O_EXTENSION,
		O_ALLOW_DOWNGRADE,
		O_LOCK_WAIT,
		O_ROOT,
		O_STAGE,
		O_UNSTAGE,
		O_REINSTALL,
		O_KERNEL,
		O_KEEP_SOURCE,
		O_UNINSTALL_DATA,
		O_PASS_ENV,
		O_VERBOSE,
		O_BUNDLE,
		O_STATE_DIR
	};
	static const struct option opts[] = {
		{"detect", no_argument, NULL, O_DETECT},
		{"list", no_argument, NULL, O_LIST},
		{"verify", no_argument, NULL, O_VERIFY},
		{"extract", required_argument, NULL, O_EXTRACT},
		{"package", required_argument, NULL, O_PACKAGE},
		{"os", required_argument, NULL, O_OS},
		{"nic", required_argument, NULL, O_NIC},
		{"trust", required_argument, NULL, O_TRUST},
		{"sysroot", required_argument, NULL, O_SYSROOT},
		{"tmpdir", required_argument, NULL, O_TMPDIR},
		{"keep", no_argument, NULL, O_KEEP},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"log-file", required_argument, NULL, O_LOG},
		{"json", no_argument, NULL, O_JSON},
		{"quiet", no_argument, NULL, O_QUIET},
		{"help", no_argument, NULL, O_HELP},
		{"version", no_argument, NULL, O_VERSION},
		{"trust-ca", required_argument, NULL, O_TRUST_CA},
		{"extension", required_argument, NULL, O_EXTENSION},
		{"allow-downgrade", no_argument, NULL, O_ALLOW_DOWNGRADE},
		{"lock-wait", required_argument, NULL, O_LOCK_WAIT},
		{"root", required_argument, NULL, O_ROOT},
		{"stage", no_argument, NULL, O_STAGE},
		{"unstage", no_argument, NULL, O_UNSTAGE},
		{"reinstall", no_argument, NULL, O_REINSTALL},
		{"kernel", required_argument, NULL, O_KERNEL},
		{"pass-env", required_argument, NULL, O_PASS_ENV},
		{"verbose", no_argument, NULL, O_VERBOSE},
		{"bundle", required_argument, NULL, O_BUNDLE},
		{"state-dir", required_argument, NULL, O_STATE_DIR},
#ifdef _WIN32 /* packages kept for MSI repair: stub/install_win.c */
		{"keep-source", no_argument, NULL, O_KEEP_SOURCE},
		{"uninstall-data", no_argument, NULL, O_UNINSTALL_DATA},
#endif
		{NULL, 0, NULL, 0},
	};
	int c, actions;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case O_DETECT: o->detect = 1; break;
		case O_LIST: o->list = 1; break;
		case O_VERIFY: o->verify = 1; break;
		case O_EXTRACT: o->extract_dir = optarg; break;
		case O_PACKAGE: o->force_package = optarg; break;
		case O_OS: o->os_override = optarg; break;
		case O_KERNEL:
			if (!optarg[0] || strlen(optarg) >= sizeof(((struct stub_host *)0)->kernel))
				return ib_fail(IB_E_USAGE, "--kernel needs a kernel release of at most %zu characters",
					       sizeof(((struct stub_host *)0)->kernel) - 1);
			o->kernel_override = optarg;
			break;
		case O_NIC:
			if (o->n_nic_override == STUB_MAX_NICS || !ib_nic_token_known(optarg))
				return ib_fail(IB_E_USAGE, "unknown or too many --nic '%s'", optarg);
			o->nic_override[o->n_nic_override++] = optarg;
			break;
		case O_TRUST:
		case O_TRUST_CA:
			if ((c == O_TRUST ? o->ntrust_keys : o->ntrust_cas) == IB_ARRAY_LEN(o->trust_keys))
				return ib_fail(IB_E_USAGE, "at most %zu --trust and %zu --trust-ca",
					       IB_ARRAY_LEN(o->trust_keys), IB_ARRAY_LEN(o->trust_cas));
			if (c == O_TRUST)
				o->trust_keys[o->ntrust_keys++] = optarg;
			else
				o->trust_cas[o->ntrust_cas++] = optarg;
			break;
		case O_SYSROOT: o->sysroot = optarg; break;
		case O_TMPDIR: o->tmpdir = optarg; break;
		case O_KEEP: o->keep = 1; break;
		case O_TIMEOUT:
			if (ib_parse_int(optarg, 1, IB_TIMEOUT_MAX, &o->timeout))
				return ib_fail(IB_E_USAGE, "--timeout takes 1 to %d seconds", IB_TIMEOUT_MAX);
			break;
		case O_LOG: o->log_file = optarg; break;
		case O_JSON: o->json = 1; break;
		case 'q':
		case O_QUIET: o->quiet = 1; break;
		case 'h':
		case O_HELP: o->help = 1; break;
		case O_VERSION: o->version = 1; break;
		case O_EXTENSION: o->extension = optarg; break;
		case O_VERBOSE: o->verbose = 1; break;
		case O_BUNDLE: o->bundle_file = optarg; break;
		case O_PASS_ENV:
			if (o->npass_env == IB_ARRAY_LEN(o->pass_env) || !stub_env_name_ok(optarg))
				return ib_fail(IB_E_USAGE,
					       "--pass-env '%s': not a variable the installer may be "
					       "given (or too many)",
					       optarg);
			o->pass_env[o->npass_env++] = optarg;
			break;
		/* ---- rollback rule and install lock ---- */
		case O_ALLOW_DOWNGRADE: o->allow_downgrade = 1; break;
		case O_LOCK_WAIT:
			if (ib_parse_int(optarg, 0, 86400, &o->lock_wait))
				return ib_fail(IB_E_USAGE, "--lock-wait takes 0 to 86400 seconds");
			o->lock_wait_set = 1;
			break;
		case O_STATE_DIR:
			if (!optarg[0])
				return ib_fail(IB_E_USAGE, "--state-dir needs a directory");
			o->state_dir = optarg;
			break;
		/* ---- image installs and staging ---- */
		case O_ROOT: o->root = optarg; break;
		case O_STAGE: o->stage = 1; break;
		case O_UNSTAGE: o->unstage = 1; break;
		case O_REINSTALL: o->reinstall = 1; break;
		case O_KEEP_SOURCE: o->keep_source = 1; break;
		case O_UNINSTALL_DATA: o->uninstall_data = 1; break;
		default: return ib_fail(IB_E_USAGE, "unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return ib_fail(IB_E_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);
	actions = o->detect + o->list + o->verify + (o->extract_dir != NULL) + o->uninstall_data;
	if (actions > 1)
		return ib_fail(IB_E_USAGE,
			       "--detect, --list, --verify, --extract and --uninstall-data exclude each other");
	if (root_check_opts(o) != 0) /* --root, --stage, --unstage */
		return IB_E_USAGE;
	if (o->bundle_file && (o->stage || o->unstage || o->extension))
		return ib_fail(IB_E_USAGE, "--bundle (ibpack install) does not go with --stage, --unstage or "
					   "--extension");
	if (o->extension && o->json) /* the handler reports through status files */
		return ib_fail(IB_E_USAGE, "--extension excludes --detect, --list, --verify, --extract and --json");
	if (!o->sysroot) {
		const char *env = getenv("IBPACK_SYSROOT");

		if (env && *env)
			o->sysroot = env;
	}
	/* An image keeps its own record (--root): the environment's state directory is the host's. */
	if (!o->state_dir && !o->root) {
		const char *env = getenv("IBPACK_STATE_DIR");

		if (env && *env)
			o->state_dir = env;
	}
	return 0;
}

int stub_main(int argc, char **argv)
{
	struct stub_opts o = {0};
	struct stub_guard guard = {0};
	struct stub_ctx ctx;
	int rc;

	plat_init();
	ib_file_set_self_hint(argc > 0 ? argv[0] : NULL);
	memset(&ctx, 0, sizeof(ctx));
	ctx.opts = &o;
	ctx.guard = &guard;
	ctx.target = STUB_TARGET;
	ctx.tmp.fd = ctx.tmp.basefd = -1;
	/* Windows: the installer conventions (/quiet, /log FILE, ...) beside the long options; the
	 * array lives as long as the process, since the options point into it. */
	rc = stub_burn_args(argc, argv, &argc, &argv);
	if (!rc)
		rc = parse(argc, argv, &o);
	if (rc) {
		/* A caller that asked for JSON parses stdout even now, whatever else was wrong. */
		for (int i = 1; i < argc && !o.json; i++)
			o.json = !strcmp(argv[i], "--json");
		return stub_finish(&ctx, rc);
	}
	if (o.help) {
		fputs(help, stdout);
		return 0;
	}
	if (o.version && o.json) { /* what this stub is built from (deps/buildinfo.sh) */
		printf("%s\n", stub_buildinfo_json());
		return 0;
	}
	if (o.version && o.verbose) { /* the built-in libraries, with their Debian revisions */
		printf("ibpack stub %s (%s)\n", IBPACK_VERSION, ib_target_name(STUB_TARGET));
		fputs("built with:\n" IB_DEP_VERSIONS, stdout);
		return 0;
	}
	plat_signals(&ctx.cancel);
	if (o.version) /* stub/version.c */
		return stub_version(&ctx);
	if (o.extension) /* the Azure VM extension handler protocol: stub/extension.c */
		return stub_extension(&ctx, o.extension);
	rc = ib_crypto_init();
	if (!rc)
		rc = stub_open(&ctx);
	if (rc)
		return stub_finish(&ctx, rc);
	if (o.list)
		rc = stub_list(&ctx);
	else if (o.verify)
		rc = stub_verify(&ctx);
	else if (o.extract_dir)
		rc = stub_extract(&ctx);
	else if (o.uninstall_data)
		rc = stub_uninstall_data(&ctx);
	else if (o.stage) /* stub/stage.c, stub/root.c */
		rc = stub_stage(&ctx);
	else if (o.unstage)
		rc = stub_unstage(&ctx);
	else if (o.root)
		rc = stub_root_install(&ctx);
	else
		rc = stub_install(&ctx);
	return stub_finish(&ctx, rc);
}
