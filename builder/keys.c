/* Loading private keys for ibpack: --passin sources and a check of the key file's mode. */
#include "keys.h"

#include "../base/err.h"
#include "../base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PASS_MAX 1024

int cli_passin_check(const char *opt, const char *passin)
{
	if (!strncmp(passin, "env:", 4) || !strncmp(passin, "file:", 5) || !strncmp(passin, "fd:", 3))
		return 0;
	return ib_fail(IB_E_USAGE, "%s '%s': expected env:VAR, file:PATH or fd:N", opt, passin);
}

/* Reads the first line of fd (without its newline) into buf. */
static int read_line(int fd, char *buf, size_t size, const char *what)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ib_fail(-errno, "passphrase source %s: %s", what, strerror(errno));
		if (r == 0 || buf[n] == '\n')
			break;
		n++;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

static int resolve_passin(const char *passin, char *buf, size_t size)
{
	long fdnum;
	int fd, rc;

	if (!strncmp(passin, "env:", 4)) {
		const char *v = getenv(passin + 4);

		if (!v)
			return ib_fail(IB_E_KEY, "passphrase source %s: the variable is not set", passin);
		if (ib_snprintf(buf, size, "%s", v))
			return ib_fail(IB_E_KEY, "passphrase source %s: passphrase too long", passin);
		return 0;
	}
	if (!strncmp(passin, "file:", 5)) {
		fd = open(passin + 5, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ib_fail(IB_E_KEY, "passphrase source %s: %s", passin, strerror(errno));
		rc = read_line(fd, buf, size, passin);
		close(fd);
		return rc;
	}
	if (!strncmp(passin, "fd:", 3) && ib_parse_int(passin + 3, 0, 1 << 20, &fdnum) == 0)
		return read_line((int)fdnum, buf, size, passin);
	return cli_passin_check("passphrase source", passin);
}

int cli_with_key(const char *path, const char *passin, int strict, cli_key_loader load, void *ctx)
{
	char pass[PASS_MAX];
	struct stat st;
	int rc;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077)) {
		if (strict)
			return ib_fail(IB_E_KEY, "private key '%s' is readable by %s (mode %04o): chmod 600 it", path,
				       (st.st_mode & 007) ? "others" : "its group", (unsigned)(st.st_mode & 07777));
		fprintf(stderr,
			"ibpack: warning: private key '%s' is readable by %s (mode %04o): chmod 600 it "
			"(--strict-keys refuses such keys)\n",
			path, (st.st_mode & 007) ? "others" : "its group", (unsigned)(st.st_mode & 07777));
	}
	if (!passin)
		return load(path, NULL, isatty(STDIN_FILENO) && isatty(STDERR_FILENO), ctx);
	if ((rc = resolve_passin(passin, pass, sizeof(pass))))
		return rc;
	rc = load(path, pass, 0, ctx);
	explicit_bzero(pass, sizeof(pass));
	return rc;
}

static int load_privkey(const char *path, const char *pass, int tty, void *ctx)
{
	return ib_privkey_load_pass(path, pass, tty, ctx);
}

int cli_load_privkey(const char *path, const char *passin, int strict, struct ib_privkey **out)
{
	return cli_with_key(path, passin, strict, load_privkey, out);
}
