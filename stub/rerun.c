/* Idempotent runs: the record of an earlier install decides whether this one has anything to
 * do, and the boot id in it whether that install's reboot is still pending. */
#include "rerun.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#include <windows.h>
#endif

int stub_rerun_same(const struct stub_state_entry *record, const struct ib_manifest *m, const struct ib_package *p)
{
	return record && p && !strcmp(record->bundle, m->name) && record->sequence == m->sequence &&
	       !strcmp(record->package, p->id);
}

void stub_rerun_decide(struct stub_ctx *c, const struct stub_state_entry *record)
{
	const struct ib_manifest *m = &c->bundle.m;

	c->already_installed = 0;
	if (!stub_rerun_same(record, m, c->sel.pkg)) {
		c->plan = STUB_PLAN_INSTALL;
		return;
	}
	if (c->opts->reinstall) {
		c->plan = STUB_PLAN_REINSTALL;
		log_msg(&c->log, "info",
			"'%s' sequence %llu, package '%s' is installed already; installing again "
			"because of --reinstall",
			m->name, (unsigned long long)m->sequence, record->package);
		return;
	}
	c->plan = STUB_PLAN_ALREADY;
	c->already_installed = 1;
	snprintf(c->message, sizeof(c->message),
		 "%s %s (sequence %llu), package '%s' %s, is installed already "
		 "(since %s): nothing %s; --reinstall runs the installer again",
		 m->name, m->version, (unsigned long long)m->sequence, record->package, record->package_version,
		 record->installed, c->opts->detect ? "would be extracted or run" : "was extracted or run");
}

int stub_rerun_verify(struct stub_ctx *c)
{
	long bad = -1;
	int rc = ib_bundle_check_package(&c->bundle, c->sel.pkg, &bad);

	if (rc)
		return ib_fail_ctx(rc, "package '%s' of this bundle is damaged, although it is installed already: ",
				   c->sel.pkg->id);
	return 0;
}

#ifdef _WIN32
int stub_boot_id(const char *root, char *buf, size_t size)
{
	/* Windows has no boot id: the boot time (now minus the uptime) names the boot. An offline
	 * image has no running boot. */
	long long boot = (long long)time(NULL) - (long long)(GetTickCount64() / 1000);

	buf[0] = '\0';
	if (root && *root)
		return IB_E_NOTFOUND;
	return ib_snprintf(buf, size, "%lld", boot) ? -ENAMETOOLONG : 0;
}
#else
int stub_boot_id(const char *root, char *buf, size_t size)
{
	char path[IB_PATH_MAX], *data = NULL;
	size_t len, n;
	int rc;

	buf[0] = '\0';
	if (ib_snprintf(path, sizeof(path), "%s/proc/sys/kernel/random/boot_id", root && *root ? root : ""))
		return -ENAMETOOLONG;
	if ((rc = ib_read_file(path, 128, IB_READ_QUIET, &data, &len)))
		return rc;
	n = strcspn(data, "\r\n");
	if (n == 0 || n >= size) {
		free(data);
		return IB_E_NOTFOUND;
	}
	memcpy(buf, data, n);
	buf[n] = '\0';
	free(data);
	return 0;
}
#endif

static int boot_time(const char *s, long long *v)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno || *end ? -1 : 0;
}

int stub_same_boot(const char *a, const char *b)
{
	long long ta, tb;

	if (boot_time(a, &ta) == 0 && boot_time(b, &tb) == 0)
		return llabs(ta - tb) <= 60;
	return !strcmp(a, b);
}

int stub_reboot_pending(const struct stub_state_entry *record, const char *boot_now)
{
	if (!record || !record->reboot_required)
		return 0;
	if (!record->boot_id[0] || !boot_now || !boot_now[0])
		return 1;
	return stub_same_boot(record->boot_id, boot_now);
}
