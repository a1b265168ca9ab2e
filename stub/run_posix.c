/* Running an installer on Linux: held working dir, fixed environment, fds 0-2 only, output to the
 * log; at the timeout the whole process tree dies (the stub is its subreaper). */
#include "stub.h"

#include "../base/err.h"
#include "../base/fs.h"
#include "../base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILL_GRACE_MS 5000

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

extern char **environ;

/* Every descriptor above stderr is closed at exec, whoever opened it (libraries, our caller). */
static void cloexec_from_3(void)
{
#if defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 1048576)
		max = 1048576;
	for (int fd = 3; fd < max; fd++)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* rootfd >= 0: chroot there first (an image install) and change to cwd, a path inside the image;
 * else the working directory is the package directory held open since extraction (dirfd), and
 * a package-relative program ("./install.sh") is resolved from it, never through the temp path. */
static void child(char *const *argv, char *const *envp, int dirfd, int rootfd, const char *cwd, int out, int status)
{
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sigset_t none;
	int err;

	setpgid(0, 0);
	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(out, 1);
	dup2(out, 2);
	/* Default dispositions and no blocked signal: the installer must not inherit our handlers. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (rootfd >= 0 && (fchdir(rootfd) != 0 || chroot(".") != 0 || chdir(cwd) != 0)) {
		err = errno;
	} else if (rootfd < 0 && fchdir(dirfd) != 0) {
		err = errno;
	} else {
		cloexec_from_3();
		/* execvp searches the PATH of the environment it passes on: the fixed one. */
		environ = (char **)envp;
		if (strchr(argv[0], '/'))
			execve(argv[0], argv, envp);
		else
			execvp(argv[0], argv);
		err = errno;
	}
	if (write(status, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/* Every process below the stub: after their parents die, descendants (setsid, double fork) are
 * re-parented to the stub, its subreaper, so walking parent links from /proc finds them all. */
static size_t descendants(pid_t self, pid_t *out, size_t max)
{
	struct {
		pid_t pid, ppid;
	} *all = NULL;
	size_t n = 0, cap = 0, nout = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[64], buf[512], *rp;
		long pid, ppid;
		ssize_t len;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9' || ib_parse_int(e->d_name, 1, 1L << 30, &pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* "pid (comm) state ppid ...": comm may hold anything, so parse after its last ')'. */
		if (!(rp = strrchr(buf, ')')) || rp[1] != ' ' || !rp[2] || rp[3] != ' ')
			continue;
		ppid = strtol(rp + 4, NULL, 10);
		if (n == cap) {
			void *g = realloc(all, (cap = cap ? cap * 2 : 256) * sizeof(*all));

			if (!g)
				break;
			all = g;
		}
		all[n].pid = (pid_t)pid;
		all[n].ppid = (pid_t)ppid;
		n++;
	}
	closedir(d);
	/* out[] grows with every process whose parent is self or already in out[]. */
	for (size_t added = 1; added && nout < max;) {
		added = 0;
		for (size_t i = 0; i < n && nout < max; i++) {
			int known = 0, parent = all[i].ppid == self;

			for (size_t j = 0; j < nout && !(known && parent); j++) {
				known |= out[j] == all[i].pid;
				parent |= out[j] == all[i].ppid;
			}
			if (parent && !known) {
				out[nout++] = all[i].pid;
				added = 1;
			}
		}
	}
	free(all);
	return nout;
}

static void signal_tree(pid_t pid, int sig)
{
	pid_t pids[4096];
	size_t n = descendants(getpid(), pids, IB_ARRAY_LEN(pids));

	kill(-pid, sig);
	for (size_t i = 0; i < n; i++)
		kill(pids[i], sig);
}

/* SIGTERM to the installer's group and every descendant, a grace period, then SIGKILL until no
 * descendant is left (each round also reaps what the subreaper inherited). */
static void kill_tree(pid_t pid)
{
	long deadline = now_ms() + KILL_GRACE_MS;
	pid_t left[1];
	int st, leader = 1;

	signal_tree(pid, SIGTERM);
	while (now_ms() < deadline) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			leader = 0;
			break;
		}
		usleep(50 * 1000);
	}
	for (int round = 0; round < 100; round++) {
		signal_tree(pid, SIGKILL);
		if (leader && waitpid(pid, &st, 0) == pid)
			leader = 0;
		while (waitpid(-1, &st, WNOHANG) > 0)
			;
		if (!descendants(getpid(), left, 1))
			break;
		usleep(20 * 1000);
	}
}

static int run(char *const *argv, char *const *envp, int dirfd, int rootfd, const char *cwd, unsigned timeout,
	       struct stub_log *log, volatile sig_atomic_t *cancel, struct run_result *res)
{
	int out[2], status[2], st, err = 0;
	long deadline = now_ms() + (long)timeout * 1000;
	char buf[IB_PATH_MAX];
	pid_t pid;
	ssize_t n;

	memset(res, 0, sizeof(*res));
	/* Orphans of the installer come to us instead of init, so the timeout can find them. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (pipe2(out, O_CLOEXEC) != 0)
		return ib_fail(-errno, "pipe: %s", strerror(errno));
	if (pipe2(status, O_CLOEXEC) != 0) {
		close(out[0]);
		close(out[1]);
		return ib_fail(-errno, "pipe: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(out[0]);
		close(out[1]);
		close(status[0]);
		close(status[1]);
		return ib_fail(-e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(out[0]);
		close(status[0]);
		child(argv, envp, dirfd, rootfd, cwd, out[1], status[1]);
	}
	setpgid(pid, pid); /* also here: no window where a timeout could miss the group */
	close(out[1]);
	close(status[1]);
	n = read(status[0], &err, sizeof(err));
	close(status[0]);
	if (n == (ssize_t)sizeof(err)) {
		close(out[0]);
		waitpid(pid, &st, 0);
		return ib_fail(IB_E_INSTALLER, "cannot run '%s': %s", argv[0], strerror(err));
	}
	for (long idle = 1;;) {
		/* poll ignores a negative fd: once the pipe is closed it only paces the exit checks. The
		 * pipe usually closes just before the installer exits, so those checks start at 1 ms and
		 * back off to 50: a finished install is not left waiting 50 ms for its last check. */
		struct pollfd pfd = {.fd = out[0], .events = POLLIN};
		long left = deadline - now_ms(), pace = out[0] >= 0 ? 200 : idle;
		pid_t w;
		int r;

		if (*cancel) {
			kill_tree(pid);
			if (out[0] >= 0)
				close(out[0]);
			return ib_fail(IB_E_INTERRUPTED, "interrupted: installer stopped");
		}
		if (left <= 0) {
			kill_tree(pid);
			if (out[0] >= 0)
				close(out[0]);
			res->timed_out = 1;
			return ib_fail(IB_E_TIMEOUT,
				       "installer did not finish within %u s; it and every process "
				       "it started were killed",
				       timeout);
		}
		r = poll(&pfd, 1, left < pace ? (int)left : (int)pace);
		if (r > 0 && out[0] >= 0) {
			n = read(out[0], buf, sizeof(buf));
			if (n > 0) {
				log_raw(log, buf, (size_t)n);
				continue;
			}
			if (n == 0) {
				/* Every writer closed, but the installer may still run (it may have sent its
				 * output elsewhere): keep enforcing the timeout until it exits. */
				close(out[0]);
				out[0] = -1;
			}
		}
		if (out[0] < 0 && idle < 50)
			idle = idle * 2 < 50 ? idle * 2 : 50;
		/* A daemon started by the installer may hold the pipe; stop when the installer exits. */
		w = waitpid(pid, &st, WNOHANG);
		if (w < 0 && errno != EINTR) {
			int e = errno;

			if (out[0] >= 0)
				close(out[0]);
			return ib_fail(-e, "waitpid: %s", strerror(e));
		}
		if (w == pid) {
			while (out[0] >= 0 && (r = poll(&pfd, 1, 100)) > 0 && (n = read(out[0], buf, sizeof(buf))) > 0)
				log_raw(log, buf, (size_t)n);
			if (out[0] >= 0)
				close(out[0]);
			goto done;
		}
	}
done:
	if (WIFEXITED(st)) {
		res->exited = 1;
		res->code = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st)) {
		res->signal = WTERMSIG(st);
	}
	return 0;
}

int plat_run(char *const *argv, char *const *envp, int dirfd, const char *cwd, unsigned timeout, struct stub_log *log,
	     volatile sig_atomic_t *cancel, struct run_result *res)
{
	(void)cwd; /* shown in the log by the caller; the child uses dirfd */
	return run(argv, envp, dirfd, -1, NULL, timeout, log, cancel, res);
}

int plat_run_chroot(char *const *argv, char *const *envp, int rootfd, const char *cwd, unsigned timeout,
		    struct stub_log *log, volatile sig_atomic_t *cancel, struct run_result *res)
{
	return run(argv, envp, -1, rootfd, cwd, timeout, log, cancel, res);
}
