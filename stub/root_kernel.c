/* The kernel of a mounted image (--root): the newest kernel installed in it, read without
 * following any link out of the image, for the packages' kernel rules. */
#include "root.h"

#include "../base/err.h"
#include "../base/util.h"

#include <string.h>

/* Kernel releases compared as versions: runs of digits by value, anything else by byte, so
 * 6.1.0-10-amd64 sorts after 6.1.0-9-amd64. */
static int release_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			const char *ea = a, *eb = b;

			while (*a == '0')
				a++;
			while (*b == '0')
				b++;
			for (ea = a; *ea >= '0' && *ea <= '9'; ea++)
				;
			for (eb = b; *eb >= '0' && *eb <= '9'; eb++)
				;
			if (ea - a != eb - b)
				return ea - a < eb - b ? -1 : 1;
			for (; a < ea; a++, b++)
				if (*a != *b)
					return *a < *b ? -1 : 1;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

#ifdef _WIN32
int root_plat_kernel(struct stub_ctx *c, struct root_job *j, char *kernel, size_t size)
{
	(void)c;
	(void)j;
	(void)kernel;
	(void)size;
	(void)release_cmp;
	/* An offline Windows image's build number is not read: --kernel gives it. */
	return IB_E_NOTFOUND;
}
#else
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 when modules/<name> is a kernel that is installed (its modules, not only its headers:
 * linux-headers-* alone creates modules/<release>/build). */
static int installed_at(int modfd, const char *name)
{
	struct stat st;
	char rel[512];

	if (snprintf(rel, sizeof(rel), "%s/modules.order", name) >= (int)sizeof(rel))
		return 0;
	if (fstatat(modfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
		return 1;
	if (snprintf(rel, sizeof(rel), "%s/kernel", name) >= (int)sizeof(rel))
		return 0;
	return fstatat(modfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int root_plat_kernel(struct stub_ctx *c, struct root_job *j, char *kernel, size_t size)
{
	/* Merged-/usr images have lib -> usr/lib, a link this never follows: usr/lib first. */
	static const char *const dirs[] = {"usr/lib/modules", "lib/modules"};
	char best[128] = "";
	int rootfd, found = 0;

	rootfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -1;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]) && !found; d++) {
		int modfd = root_open_below(rootfd, dirs[d], 0);
		DIR *dir;
		struct dirent *e;

		if (modfd < 0)
			continue;
		if (!(dir = fdopendir(modfd))) {
			close(modfd);
			continue;
		}
		while ((e = readdir(dir))) {
			if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(best) ||
			    !installed_at(dirfd(dir), e->d_name))
				continue;
			if (found++)
				log_msg(&c->log, "info", "the image has more than one kernel: %s and %s", best,
					e->d_name);
			/* the length was checked above: never truncated */
			if (!best[0] || release_cmp(e->d_name, best) > 0)
				(void)ib_snprintf(best, sizeof(best), "%s", e->d_name);
		}
		closedir(dir);
	}
	close(rootfd);
	if (!found)
		return IB_E_NOTFOUND;
	if (found > 1)
		log_msg(&c->log, "info", "kernel rules use the newest, %s (--kernel chooses another)", best);
	snprintf(kernel, size, "%s", best);
	return 0;
}
#endif
