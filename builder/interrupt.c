/* Signal handling for ibpack's commands: temp outputs removed on SIGINT, SIGTERM and SIGHUP. */
#include "interrupt.h"

#include "../base/fs.h"
#include "../base/util.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t cli_interrupted;

/* Written before armed is set and read only by the handler: no lock is needed. */
static char tmp_path[IB_PATH_MAX];
static volatile sig_atomic_t armed;

static const int signals[] = {SIGINT, SIGTERM, SIGHUP};

static void on_signal(int sig)
{
	cli_interrupted = sig;
	if (armed) {
		(void)unlink(tmp_path);
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

void cli_interrupt_arm(const char *tmp)
{
	struct sigaction sa;

	armed = 0;
	if (tmp && !ib_snprintf(tmp_path, sizeof(tmp_path), "%s", tmp))
		armed = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaddset(&sa.sa_mask, signals[i]);
	/* A signal ignored when ibpack started (nohup, a background job's SIGINT) stays ignored,
	 * as coreutils' sort does: the caller asked for the command to survive it. */
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		struct sigaction old;

		if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(signals[i], &sa, NULL);
	}
}

int cli_atomic_begin(struct ib_atomic_file *a, const char *path, unsigned mode)
{
	sigset_t block, old;
	int rc;

	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaddset(&block, signals[i]);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = ib_atomic_begin(a, path, mode);
	if (!rc)
		cli_interrupt_arm(a->tmp);
	pthread_sigmask(SIG_SETMASK, &old, NULL); /* a signal that came meanwhile is handled now */
	return rc;
}

void cli_interrupt_disarm(void)
{
	armed = 0;
}

void cli_interrupt_finish(void)
{
	int sig = cli_interrupted;

	if (!sig)
		return;
	signal(sig, SIG_DFL);
	raise(sig);
}
