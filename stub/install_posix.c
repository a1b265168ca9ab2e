/* What Linux has in place of the Windows install forms, kept sources, Burn-style switches and
 * event log (stub/install_win.c, stub/burn_args.c, stub/eventlog_win.c). */
#include "actions.h"

#include "../base/err.h"

int stub_run_form(struct stub_ctx *c, const struct ib_package *p, char *const *envp, const char *pkgdir,
		  unsigned timeout)
{
	(void)c;
	(void)envp;
	(void)pkgdir;
	(void)timeout;
	/* The manifest parser refuses command_line and msi outside windows-x86_64 bundles. */
	return ib_fail(IB_E_FORMAT, "package '%s' has no command for Linux", p->id);
}

int stub_keep_prepare(struct stub_ctx *c, const struct ib_package *p)
{
	(void)c; /* "keep" exists for Windows Installer's repair source only */
	(void)p;
	return 0;
}

void stub_keep_finish(struct stub_ctx *c, int rc)
{
	(void)c;
	(void)rc;
}

int stub_uninstall_data(struct stub_ctx *c)
{
	(void)c;
	return ib_fail(IB_E_USAGE, "--uninstall-data is for Windows bundles");
}

int stub_burn_args(int argc, char **argv, int *outc, char ***outv)
{
	*outc = argc; /* Linux bundles take the long options only: '/x' is a path there */
	*outv = argv;
	return 0;
}

void plat_event(int error, const char *text)
{
	(void)error; /* Linux: the log file and the JSON result are the record of a run */
	(void)text;
}
