/* The host trust store: a folder of *.pub keys and *.pem CAs that anchor trust from outside any bundle. */
#include "truststore.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *ib_trust_store_dir(void)
{
	const char *d = getenv("IBPACK_TRUST_DIR");

	return d && *d ? d : IB_TRUST_DIR_DEFAULT;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

void ib_anchor_files_release(struct ib_anchor_files *f)
{
	for (size_t i = 0; i < f->nkeys; i++)
		free(f->keys[i]);
	for (size_t i = 0; i < f->ncas; i++)
		free(f->cas[i]);
	f->nkeys = f->ncas = 0;
}

int ib_trust_store_files(const char *dir, struct ib_anchor_files *f)
{
	char path[IB_PATH_MAX], **names = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);
	int rc;

	if (!d)
		return errno == ENOENT ? 0 : ib_fail(-errno, "trust store '%s': %s", dir, strerror(errno));
	rc = ib_dir_names(d, IB_DIR_NO_HIDDEN, &names, &n);
	closedir(d);
	for (size_t i = 0; !rc && i < n; i++) {
		int key = has_suffix(names[i], ".pub"), ca = has_suffix(names[i], ".pem");
		size_t *count = key ? &f->nkeys : &f->ncas;
		char **slot = key ? f->keys : f->cas;
		struct stat st;

		if (!key && !ca)
			continue;
		if (ib_snprintf(path, sizeof(path), "%s/%s", dir, names[i]))
			rc = ib_fail(-ENAMETOOLONG, "trust store path too long");
		else if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		else if (*count == IB_ARRAY_LEN(f->keys))
			rc = ib_fail(IB_E_LIMIT, "trust store '%s': more than %zu keys or CAs", dir,
				     IB_ARRAY_LEN(f->keys));
		else if (!(slot[*count] = ib_strdup(path)))
			rc = -ENOMEM;
		else
			(*count)++;
	}
	ib_dir_names_free(names, n);
	return rc;
}
