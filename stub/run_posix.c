/* Running an installer on Linux: own process group, output to the log, timeout kills the group. */
#include "stub.h"

#include "../base/err.h"
#include "../base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* rootfd >= 0: chroot there first (an image install); cwd is then a path inside the image. */
static void child(char *const *argv, int rootfd, const char *root_shown, const char *cwd, int out,
		  int status)
{
	int devnull = open("/dev/null", O_RDONLY);
	int err;

	setpgid(0, 0);
	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(out, 1);
	dup2(out, 2);
	/* Default dispositions: the installer must not inherit our handlers' effects. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (rootfd >= 0 && (fchdir(rootfd) != 0 || chroot(".") != 0)) {
		err = errno;
	} else if (rootfd >= 0 && (setenv("PATH", STUB_CHROOT_PATH, 1) != 0 ||
				   setenv("IBPACK_ROOT", root_shown, 1) != 0 || unsetenv("TMPDIR") != 0)) {
		/* The host's PATH and TMPDIR name host directories, meaningless inside the image. */
		err = errno;
	} else if (chdir(cwd) != 0) {
		err = errno;
	} else {
		/* "./install.sh" runs from the package dir; a bare name ("dpkg") is looked up in PATH. */
		execvp(argv[0], argv);
		err = errno;
	}
	if (write(status, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

static void kill_group(pid_t pid)
{
	long deadline = now_ms() + KILL_GRACE_MS;
	int st;

	kill(-pid, SIGTERM);
	while (now_ms() < deadline) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			/* The leader is gone; make sure the rest of its group is too. */
			kill(-pid, SIGKILL);
			return;
		}
		usleep(50 * 1000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, &st, 0);
}

static int run(char *const *argv, int rootfd, const char *root_shown, const char *cwd, unsigned timeout,
	       struct stub_log *log, volatile sig_atomic_t *cancel, struct run_result *res)
{
	int out[2], status[2], st, err = 0;
	long deadline = now_ms() + (long)timeout * 1000;
	char buf[IB_PATH_MAX];
	pid_t pid;
	ssize_t n;

	memset(res, 0, sizeof(*res));
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
		child(argv, rootfd, root_shown, cwd, out[1], status[1]);
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
		struct pollfd pfd = { .fd = out[0], .events = POLLIN };
		long left = deadline - now_ms(), pace = out[0] >= 0 ? 200 : idle;
		pid_t w;
		int r;

		if (*cancel) {
			kill_group(pid);
			if (out[0] >= 0)
				close(out[0]);
			return ib_fail(IB_E_INTERRUPTED, "interrupted: installer stopped");
		}
		if (left <= 0) {
			kill_group(pid);
			if (out[0] >= 0)
				close(out[0]);
			res->timed_out = 1;
			return ib_fail(IB_E_TIMEOUT, "installer did not finish within %u s; its process group "
				       "was killed", timeout);
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

int plat_run(char *const *argv, const char *cwd, unsigned timeout, struct stub_log *log,
	     volatile sig_atomic_t *cancel, struct run_result *res)
{
	return run(argv, -1, NULL, cwd, timeout, log, cancel, res);
}

int plat_run_chroot(char *const *argv, int rootfd, const char *root_shown, const char *cwd,
		    unsigned timeout, struct stub_log *log, volatile sig_atomic_t *cancel,
		    struct run_result *res)
{
	return run(argv, rootfd, root_shown, cwd, timeout, log, cancel, res);
}
