/* The installer's environment: a fixed, documented set of variables, never the caller's whole one.
 * The IBPACK_* description and the variables handed through are built here; the platform's own
 * fixed variables come from instenv_posix.c or instenv_win.c. */
#include "instenv.h"

#include "../base/err.h"
#include "../base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENV_MAX 64

int stub_env_add(struct stub_env *e, const char *name, const char *value)
{
	size_t len = strlen(name);
	struct ib_buf b;

	if (e->n + 1 >= ENV_MAX)
		return ib_fail(IB_E_LIMIT, "too many installer environment variables");
	for (size_t i = 0; i < e->n; i++)
		if (instenv_name_eq(e->v[i], name, len) && e->v[i][len] == '=')
			return 0; /* the first (fixed) value wins */
	ib_buf_init(&b, 65536);
	if (ib_buf_printf(&b, "%s=%s", name, value) || ib_buf_append(&b, "", 1)) {
		ib_buf_release(&b);
		return ib_fail(-ENOMEM, "installer environment: '%s' is too long", name);
	}
	e->v[e->n++] = (char *)b.data;
	e->v[e->n] = NULL;
	return 0;
}

/* A variable the caller may hand through: a plain name that cannot change how the installer is
 * loaded (LD_*) or replace what the stub sets itself. */
int stub_env_name_ok(const char *name)
{
	if (!name || !((*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z') || *name == '_'))
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	if (instenv_name_eq(name, "LD_", 3) || instenv_name_eq(name, "IBPACK_", 7) || instenv_name_eq(name, "LC_", 3))
		return 0;
	return !instenv_fixed_name(name);
}

static int add_passed(struct stub_env *e, const char *name)
{
	char *v;
	int rc;

	if (!stub_env_name_ok(name))
		return ib_fail(IB_E_USAGE, "--pass-env '%s': not a variable the installer may be given", name);
	v = instenv_getenv(name);
	rc = v ? stub_env_add(e, name, v) : 0;
	free(v);
	return rc;
}

/* IBPACK_PASS_ENV: names separated by commas or spaces, for callers that cannot add options. */
static int add_passed_list(struct stub_env *e, const char *list)
{
	char name[128];
	int rc = 0;

	while (list && *list && !rc) {
		size_t n = strcspn(list, ", ");

		if (n && n < sizeof(name)) {
			memcpy(name, list, n);
			name[n] = '\0';
			rc = add_passed(e, name);
		} else if (n) {
			rc = ib_fail(IB_E_USAGE, "IBPACK_PASS_ENV: a name is too long");
		}
		list += n;
		list += strspn(list, ", ");
	}
	return rc;
}

int stub_env_build(const struct stub_env_in *in, struct stub_env *e)
{
	char seq[32], nics[256] = "", *list;
	size_t used = 0;
	int rc;

	memset(e, 0, sizeof(*e));
	e->v = calloc(ENV_MAX, sizeof(char *));
	if (!e->v)
		return ib_fail(-ENOMEM, "out of memory");
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)in->m->sequence);
	for (size_t i = 0; i < in->nnics && used + 1 < sizeof(nics); i++) {
		int n = snprintf(nics + used, sizeof(nics) - used, "%s%s", i ? "," : "", in->nics[i]);

		if (n < 0 || (size_t)n >= sizeof(nics) - used)
			break;
		used += (size_t)n;
	}
	if ((rc = instenv_fixed(in, e)) || (rc = stub_env_add(e, "IBPACK_BUNDLE", in->m->name)) ||
	    (rc = stub_env_add(e, "IBPACK_BUNDLE_VERSION", in->m->version)) ||
	    (rc = stub_env_add(e, "IBPACK_SEQUENCE", seq)) || (rc = stub_env_add(e, "IBPACK_PACKAGE", in->pkg->id)) ||
	    (rc = stub_env_add(e, "IBPACK_PACKAGE_VERSION", in->pkg->version)) ||
	    (rc = stub_env_add(e, "IBPACK_OS", in->os ? in->os : "")) || (rc = stub_env_add(e, "IBPACK_NICS", nics)) ||
	    (in->root && (rc = stub_env_add(e, "IBPACK_ROOT", in->root))) ||
	    (in->kernel && in->kernel[0] && strcmp(in->kernel, "unknown") &&
	     (rc = stub_env_add(e, "IBPACK_KERNEL", in->kernel))))
		goto fail;
	for (size_t i = 0; i < in->npass; i++)
		if ((rc = add_passed(e, in->pass[i])))
			goto fail;
	list = instenv_getenv("IBPACK_PASS_ENV");
	rc = add_passed_list(e, list);
	free(list);
	if (rc)
		goto fail;
	return 0;
fail:
	stub_env_release(e);
	return rc;
}

void stub_env_release(struct stub_env *e)
{
	if (!e->v)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	e->v = NULL;
	e->n = 0;
}
