/* The install state (what each bundle name last installed, for the rollback rule) and the lock
 * that serializes installs; the file and lock primitives are in state_posix.c / state_win.c. */
#include "state.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SEQUENCE 9007199254740992.0 /* 2^53, as in the manifest */

static int corrupt(struct stub_state *s, const char *why)
{
	snprintf(s->problem, sizeof(s->problem), "%s", why);
	s->corrupt = 1;
	cJSON_Delete(s->doc);
	s->doc = NULL;
	return 0;
}

/* The record of one bundle, read without trusting its shape. */
static int entry_from_json(const char *name, const cJSON *o, struct stub_state_entry *e, char *why, size_t size)
{
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(o, "sequence");
	const struct {
		const char *key;
		char *dst;
		size_t size;
		int required;
	} strs[] = {
		{"version", e->version, sizeof(e->version), 1},
		{"package", e->package, sizeof(e->package), 1},
		{"package_version", e->package_version, sizeof(e->package_version), 0},
		{"installed", e->installed, sizeof(e->installed), 1},
		{"boot_id", e->boot_id, sizeof(e->boot_id), 0},
		{"kept_source", e->kept_source, sizeof(e->kept_source), 0},
	};

	memset(e, 0, sizeof(*e));
	if (!cJSON_IsObject(o))
		return snprintf(why, size, "bundles.%s is not an object", name), -1;
	if (strlen(name) > IB_ID_MAX)
		return snprintf(why, size, "bundle name '%.64s...' is too long", name), -1;
	memcpy(e->bundle, name, strlen(name) + 1);
	if (!cJSON_IsNumber(seq) || seq->valuedouble < 0 || seq->valuedouble > MAX_SEQUENCE ||
	    seq->valuedouble != (double)(uint64_t)seq->valuedouble)
		return snprintf(why, size, "bundles.%s.sequence is not an integer from 0 to 2^53", name), -1;
	e->sequence = (uint64_t)seq->valuedouble;
	for (size_t i = 0; i < IB_ARRAY_LEN(strs); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, strs[i].key);

		if (!v && !strs[i].required)
			continue;
		if (!cJSON_IsString(v) || strlen(v->valuestring) >= strs[i].size)
			return snprintf(why, size, "bundles.%s.%s is not a string of at most %zu bytes", name,
					strs[i].key, strs[i].size - 1),
			       -1;
		memcpy(strs[i].dst, v->valuestring, strlen(v->valuestring) + 1);
	}
	e->reboot_required = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "reboot_required"));
	return 0;
}

static cJSON *fresh_doc(void)
{
	cJSON *d = cJSON_CreateObject();

	if (d && (!cJSON_AddNumberToObject(d, "format", STUB_STATE_FORMAT) || !cJSON_AddObjectToObject(d, "bundles"))) {
		cJSON_Delete(d);
		d = NULL;
	}
	return d;
}

/* The state directory: dir when given (checked, created when create), else root's. */
static int state_dir(const char *root, const char *dir, int create, char *out, size_t size)
{
	if (dir && *dir)
		return state_plat_own_dir(dir, create, out, size);
	return state_plat_dir(root, create, out, size);
}

int stub_state_load(const char *root, const char *dir, struct stub_state *s)
{
	const cJSON *fmt, *bundles, *b;
	char *data = NULL, why[256];
	size_t len;
	int rc;

	memset(s, 0, sizeof(*s));
	if (root && ib_snprintf(s->root, sizeof(s->root), "%s", root))
		return ib_fail(-ENAMETOOLONG, "root path too long");
	if (dir && ib_snprintf(s->given, sizeof(s->given), "%s", dir))
		return ib_fail(-ENAMETOOLONG, "state directory path too long");
	if ((rc = state_dir(root, dir, 0, s->dir, sizeof(s->dir))))
		return rc;
	if (ib_snprintf(s->path, sizeof(s->path), "%s" IB_PATH_SEP_STR "state.json", s->dir))
		return ib_fail(-ENAMETOOLONG, "state path too long");
	rc = ib_read_file(s->path, STUB_STATE_MAX, IB_READ_NOFOLLOW | IB_READ_QUIET, &data, &len);
	if (rc == -ENOENT) {
		s->doc = fresh_doc();
		return s->doc ? 0 : -ENOMEM;
	}
	s->exists = 1;
	if (rc == -EFBIG) {
		corrupt(s, "larger than 4 MiB");
	} else if (rc == -EINVAL || rc == -EISDIR) {
		corrupt(s, "not a regular file");
	} else if (rc) {
		return ib_fail(rc, "cannot read the install state '%s': %s", s->path, ib_strerror(rc));
	} else if (!(s->doc = cJSON_ParseWithLength(data, len))) {
		corrupt(s, "not valid JSON");
	} else if (!cJSON_IsObject(s->doc) ||
		   !cJSON_IsNumber(fmt = cJSON_GetObjectItemCaseSensitive(s->doc, "format")) ||
		   !cJSON_IsObject(bundles = cJSON_GetObjectItemCaseSensitive(s->doc, "bundles"))) {
		corrupt(s, "not an ibpack state object (\"format\" and \"bundles\" are required)");
	} else if (fmt->valuedouble != STUB_STATE_FORMAT) {
		snprintf(why, sizeof(why), "format %g is not %d (written by another ibpack version)", fmt->valuedouble,
			 STUB_STATE_FORMAT);
		corrupt(s, why);
	} else {
		cJSON_ArrayForEach (b, bundles) {
			struct stub_state_entry e;

			if (entry_from_json(b->string, b, &e, why, sizeof(why))) {
				corrupt(s, why);
				break;
			}
		}
	}
	free(data);
	if (s->corrupt && !(s->doc = fresh_doc()))
		return -ENOMEM;
	return 0;
}

int stub_state_get(const struct stub_state *s, const char *bundle, struct stub_state_entry *e)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s->doc, "bundles"), bundle);
	char why[256];

	if (!b || entry_from_json(bundle, b, e, why, sizeof(why)))
		return IB_E_NOTFOUND;
	return 0;
}

int stub_state_set(struct stub_state *s, const struct stub_state_entry *e)
{
	cJSON *bundles = cJSON_GetObjectItemCaseSensitive(s->doc, "bundles"), *o = cJSON_CreateObject();

	if (!o || !bundles)
		goto oom;
	if (!cJSON_AddNumberToObject(o, "sequence", (double)e->sequence) ||
	    !cJSON_AddStringToObject(o, "version", e->version) || !cJSON_AddStringToObject(o, "package", e->package) ||
	    !cJSON_AddStringToObject(o, "package_version", e->package_version) ||
	    !cJSON_AddStringToObject(o, "installed", e->installed) ||
	    !cJSON_AddBoolToObject(o, "reboot_required", e->reboot_required) ||
	    (e->boot_id[0] && !cJSON_AddStringToObject(o, "boot_id", e->boot_id)) ||
	    (e->kept_source[0] && !cJSON_AddStringToObject(o, "kept_source", e->kept_source)))
		goto oom;
	cJSON_DeleteItemFromObjectCaseSensitive(bundles, e->bundle);
	if (!cJSON_AddItemToObject(bundles, e->bundle, o))
		goto oom;
	return 0;
oom:
	cJSON_Delete(o);
	return ib_fail(-ENOMEM, "out of memory");
}

int stub_state_save(struct stub_state *s)
{
	char *text, dir[IB_PATH_MAX], bad[IB_PATH_MAX];
	struct ib_atomic_file out;
	int rc;

	/* The lock normally created the directory already; a caller without the lock needs it too. */
	if ((rc = state_dir(s->root, s->given, 1, dir, sizeof(dir))))
		return rc;
	if (s->exists && s->corrupt) {
		/* Kept for whoever investigates; the new file starts from this install. */
		if (ib_snprintf(bad, sizeof(bad), "%s.corrupt", s->path) == 0)
			(void)state_plat_rename(s->path, bad);
	}
	text = cJSON_Print(s->doc);
	if (!text)
		return ib_fail(-ENOMEM, "out of memory");
	rc = ib_atomic_begin(&out, s->path, 0644);
	if (!rc)
		rc = ib_atomic_write(&out, text, strlen(text));
	if (!rc)
		rc = ib_atomic_write(&out, IB_NEWLINE, strlen(IB_NEWLINE));
	if (!rc)
		rc = ib_atomic_commit(&out);
	ib_atomic_abort(&out);
	free(text);
	if (rc)
		return ib_fail_ctx(rc, "cannot write the install state '%s': ", s->path);
	s->exists = 1;
	s->corrupt = 0;
	return 0;
}

void stub_state_release(struct stub_state *s)
{
	cJSON_Delete(s->doc);
	s->doc = NULL;
}

int stub_state_check(const struct stub_state *s, const struct ib_manifest *m, int allow_downgrade)
{
	struct stub_state_entry e;

	if (allow_downgrade)
		return 0;
	if (s->corrupt)
		return ib_fail(IB_E_ROLLBACK,
			       "cannot check for a downgrade: the install state '%s' is unusable "
			       "(%s); remove it, or pass --allow-downgrade to install anyway (the file is then "
			       "kept as state.json.corrupt and replaced)",
			       s->path, s->problem);
	if (stub_state_get(s, m->name, &e) != 0 || m->sequence >= e.sequence)
		return 0;
	return ib_fail(IB_E_ROLLBACK,
		       "refusing a downgrade: bundle '%s' %s has sequence %llu, but sequence %llu "
		       "(%s, package '%s', installed %s) is already installed; pass --allow-downgrade to "
		       "install the older bundle anyway",
		       m->name, m->version, (unsigned long long)m->sequence, (unsigned long long)e.sequence, e.version,
		       e.package, e.installed);
}

/* ---- the lock ---- */

int stub_lock_acquire(const char *root, const char *state_dir_given, const char *bundle, unsigned wait_s,
		      volatile sig_atomic_t *cancel, void (*on_wait)(void *ctx, const char *holder), void *ctx,
		      struct stub_lock *l)
{
	char dir[IB_PATH_MAX], holder[256];
	unsigned waited_ms = 0;
	int rc, told = 0;

	l->handle = -1;
	if ((rc = state_dir(root, state_dir_given, 1, dir, sizeof(dir))))
		return rc;
	if (ib_snprintf(l->path, sizeof(l->path), "%s%clock", dir,
#ifdef _WIN32
			'\\'
#else
			'/'
#endif
			))
		return ib_fail(-ENAMETOOLONG, "lock path too long");
	for (;;) {
		holder[0] = '\0';
		rc = state_plat_trylock(l->path, bundle, l, holder, sizeof(holder));
		if (rc != IB_E_LOCKED)
			return rc;
		if (!holder[0])
			snprintf(holder, sizeof(holder), "another ibpack run");
		if (cancel && *cancel)
			return ib_fail(IB_E_INTERRUPTED, "interrupted while waiting for the install lock");
		if (waited_ms >= wait_s * 1000u)
			return ib_fail(IB_E_LOCKED, "another install is running: the lock '%s' is held by %s; %s",
				       l->path, holder,
				       wait_s ? "gave up waiting after --lock-wait seconds"
					      : "not waiting (--lock-wait 0)");
		if (!told && on_wait)
			on_wait(ctx, holder);
		told = 1;
		state_plat_sleep_ms(100);
		waited_ms += 100;
	}
}

void stub_lock_release(struct stub_lock *l)
{
	if (l->handle != -1)
		state_plat_unlock(l);
	l->handle = -1;
}
