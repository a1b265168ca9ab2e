/* Linux image installs: the image's OS read as the image resolves it (in a chrooted child), a
 * private dir under DIR/var/tmp made without following any link, the installer run chrooted. */
#include "root.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define OS_READ_TIMEOUT 5 /* seconds: an os-release that is a FIFO must not hang the install */

int root_plat_open(struct stub_ctx *c, struct root_job *j)
{
	char *real = realpath(c->opts->root, NULL);
	struct stat st;

	if (!real)
		return ib_fail(-errno, "--root '%s': %s", c->opts->root, strerror(errno));
	if (ib_snprintf(j->dir, sizeof(j->dir), "%s", real)) {
		free(real);
		return ib_fail(-ENAMETOOLONG, "--root path too long");
	}
	free(real);
	if (stat(j->dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return ib_fail(-ENOTDIR, "--root '%s' is not a directory", c->opts->root);
	return 0;
}

static int need_root(const struct root_job *j)
{
	if (geteuid() != 0)
		return ib_fail(-EPERM, "an image install needs root: the installer runs chrooted into '%s'", j->dir);
	return 0;
}

struct os_msg {
	char os[64], pretty[128];
};

/* The image's /etc/os-release is usually a symlink (to ../usr/lib/os-release); read on the host
 * it could point anywhere on the build machine. A child chrooted into the image resolves it the
 * way the image will, and runs the same parser as detection. */
int root_plat_os(struct stub_ctx *c, struct root_job *j, char *os, size_t size, char *pretty, size_t psize)
{
	struct os_msg msg;
	int fd, p[2], st, rc;
	ssize_t n;
	pid_t pid;

	(void)c;
	if ((rc = need_root(j)))
		return rc;
	fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ib_fail(-errno, "cannot open '%s': %s", j->dir, strerror(errno));
	if (pipe2(p, O_CLOEXEC) != 0) {
		close(fd);
		return ib_fail(-errno, "pipe: %s", strerror(errno));
	}
	pid = fork();
	if (pid == 0) {
		struct stub_host h;

		close(p[0]);
		alarm(OS_READ_TIMEOUT);
		if (fchdir(fd) != 0 || chroot(".") != 0 || chdir("/") != 0)
			_exit(errno ? errno : 1);
		plat_detect(NULL, &h);
		memset(&msg, 0, sizeof(msg));
		snprintf(msg.os, sizeof(msg.os), "%s", h.os);
		snprintf(msg.pretty, sizeof(msg.pretty), "%s", h.os_pretty);
		_exit(write(p[1], &msg, sizeof(msg)) == (ssize_t)sizeof(msg) ? 0 : EIO);
	}
	close(fd);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return ib_fail(-errno, "fork: %s", strerror(errno));
	}
	do
		n = read(p[0], &msg, sizeof(msg));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(msg)) {
		if (WIFEXITED(st) && WEXITSTATUS(st))
			return ib_fail(-WEXITSTATUS(st), "cannot read the OS of the image '%s': %s", j->dir,
				       strerror(WEXITSTATUS(st)));
		return ib_fail(-EIO, "cannot read the OS of the image '%s' (no answer within %d s)", j->dir,
			       OS_READ_TIMEOUT);
	}
	msg.os[sizeof(msg.os) - 1] = msg.pretty[sizeof(msg.pretty) - 1] = '\0';
	snprintf(os, size, "%s", msg.os);
	snprintf(pretty, psize, "%s", msg.pretty);
	return 0;
}

int root_open_below(int parent, const char *rel, int create)
{
	char *path = ib_strdup(rel), *p, *slash;
	int fd = dup(parent), e = 0;

	if (!path || fd < 0) {
		free(path);
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	for (p = path; p && *p; p = slash ? slash + 1 : NULL) {
		int next;

		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, p, 0755) != 0 && errno != EEXIST) {
				e = -errno;
				break;
			}
			next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			e = errno == ELOOP || errno == ENOTDIR ? IB_E_UNSAFE : -errno;
			break;
		}
		close(fd);
		fd = next;
	}
	free(path);
	if (e) {
		close(fd);
		if (e == IB_E_UNSAFE)
			return ib_fail(e, "'%s' in the image: a component is a symlink or not a directory", rel);
		return e;
	}
	return fd;
}

/* var and var/tmp are created when the image lacks them (and removed again afterwards); a symlink
 * at either is refused, because ib_outdir never follows one. */
static int make_parent(struct root_area *a, const char *rel, int bit)
{
	int rc = ib_outdir_mkdir(a->out, rel, 0755);

	if (!rc)
		a->made_parents |= bit;
	return rc == -EEXIST ? 0 : rc;
}

int root_plat_area(struct stub_ctx *c, struct root_job *j, struct root_area *a)
{
	uint8_t rnd[8];
	char hex[17];
	int rc;

	(void)c;
	memset(a, 0, sizeof(*a));
	a->rootfd = -1;
	if ((rc = need_root(j)))
		return rc;
	a->rootfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (a->rootfd < 0)
		return ib_fail(-errno, "cannot open '%s': %s", j->dir, strerror(errno));
	if ((rc = ib_outdir_open(j->dir, &a->out)) || (rc = make_parent(a, "var", 1)) ||
	    (rc = make_parent(a, "var/tmp", 2)))
		return ib_fail_ctx(rc, "image '%s': ", j->dir);
	/* mkdtemp, relative to the image's root fd: a random name created with mkdirat (0700). */
	for (int tries = 0; tries < 16; tries++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return ib_fail(-EIO, "getrandom: %s", strerror(errno));
		ib_hex_encode(rnd, sizeof(rnd), hex);
		snprintf(a->base, sizeof(a->base), "var/tmp/ibpack.%s", hex);
		rc = ib_outdir_mkdir(a->out, a->base, 0700);
		if (rc != -EEXIST)
			break;
	}
	if (rc) {
		a->base[0] = '\0';
		return ib_fail_ctx(rc, "image '%s': ", j->dir);
	}
	if (ib_snprintf(a->host_path, sizeof(a->host_path), "%s/%s", j->dir, a->base))
		return ib_fail(-ENAMETOOLONG, "temp path too long");
	return 0;
}

int root_plat_run(struct stub_ctx *c, struct root_job *j, struct root_area *a, struct root_item *it,
		  const struct ib_codes **success, const struct ib_codes **reboot)
{
	const struct ib_package *p = it->pkg;
	unsigned timeout = c->opts->timeout ? (unsigned)c->opts->timeout : p->install.timeout;
	char cwd[700], **argv;
	int rc;

	if (ib_snprintf(cwd, sizeof(cwd), "/%s/%s", a->base, p->id))
		return ib_fail(-ENAMETOOLONG, "temp path too long");
	argv = calloc(p->install.argv.n + 1, sizeof(char *));
	if (!argv)
		return ib_fail(-ENOMEM, "out of memory");
	memcpy(argv, p->install.argv.v, p->install.argv.n * sizeof(char *));
	log_msg(&c->log, "info", "running '%s' (timeout %u s) chrooted into %s, in %s", argv[0], timeout, j->dir, cwd);
	rc = plat_run_chroot(argv, a->rootfd, j->dir, cwd, timeout, &c->log, &c->cancel, &it->run);
	free(argv);
	it->ran = rc == 0 || rc == IB_E_TIMEOUT;
	*success = &p->install.success;
	*reboot = &p->install.reboot;
	return rc;
}

void root_plat_cleanup(struct stub_ctx *c, struct root_area *a)
{
	if (a->base[0] && c->opts->keep) {
		snprintf(c->tmpdir, sizeof(c->tmpdir), "%s", a->host_path); /* stub_finish reports it */
	} else if (a->base[0]) {
		/* Relative to the image's root fd again, never following a link the installer left. */
		int tmp = root_open_below(a->rootfd, "var/tmp", 0), rc = tmp < 0 ? tmp : 0;

		if (tmp >= 0) {
			rc = ib_rmtree_at(tmp, a->base + strlen("var/tmp/"));
			close(tmp);
		}
		if (rc < 0)
			log_msg(&c->log, "warning", "could not remove %s: %s", a->host_path, ib_errmsg(rc));
	}
	if (!(a->base[0] && c->opts->keep) && a->rootfd >= 0) {
		/* var and var/tmp that the image did not have: removed when empty again. */
		if (a->made_parents & 2) {
			int var = root_open_below(a->rootfd, "var", 0);

			if (var >= 0) {
				(void)unlinkat(var, "tmp", AT_REMOVEDIR);
				close(var);
			}
		}
		if (a->made_parents & 1)
			(void)unlinkat(a->rootfd, "var", AT_REMOVEDIR);
	}
	ib_outdir_close(a->out);
	a->out = NULL;
	if (a->rootfd >= 0)
		close(a->rootfd);
	a->rootfd = -1;
}

int root_plat_state_dir(const struct root_job *j)
{
	int rootfd, fd;

	if ((fd = need_root(j)))
		return fd;
	rootfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return ib_fail(-errno, "cannot open '%s': %s", j->dir, strerror(errno));
	fd = root_open_below(rootfd, "var/lib/ibpack", 1);
	close(rootfd);
	if (fd < 0)
		return ib_fail_ctx(fd, "image '%s': ", j->dir);
	close(fd);
	return 0;
}
