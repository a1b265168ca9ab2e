/* A stand-in installer for tests/bats/golden.bats, linked statically so it runs chrooted in a test
 * image that has no shell or libc: appends what it saw to /ibt-ID.txt (an absolute path, so the
 * file lands in the image only if the installer really runs chrooted there), then sleeps
 * $IBT_SLEEP seconds, kills itself with signal $IBT_SIGNAL, or exits with the number in $IBT_RC
 * (0 when unset).  usage: installer ID [ARGS...] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "(unset)";
}

int main(int argc, char **argv)
{
	const char *id = argc > 1 ? argv[1] : "x";
	char path[256], cwd[4096];
	FILE *f;

	if (snprintf(path, sizeof(path), "/ibt-%s.txt", id) >= (int)sizeof(path))
		return 90;
	f = fopen(path, "a");
	if (!f)
		return 91;
	fprintf(f, "run\nargs=");
	for (int i = 2; i < argc; i++)
		fprintf(f, "%s%s", i > 2 ? "|" : "", argv[i]);
	fprintf(f, "\ncwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	fprintf(f, "PATH=%s\nIBPACK_ROOT=%s\nTMPDIR=%s\n", env("PATH"), env("IBPACK_ROOT"), env("TMPDIR"));
	fclose(f);
	printf("golden installer %s ran\n", id);
	fflush(stdout);
	if (getenv("IBT_SLEEP"))
		sleep((unsigned)strtol(getenv("IBT_SLEEP"), NULL, 10));
	if (getenv("IBT_SIGNAL"))
		raise((int)strtol(getenv("IBT_SIGNAL"), NULL, 10));
	return getenv("IBT_RC") ? (int)strtol(getenv("IBT_RC"), NULL, 10) : 0;
}
