/* Windows command lines as installers read them: the program token of a verbatim line, the
 * paths an install may name, and the msiexec line of an MSI package. */
#include "wincmd.h"

#include "../base/err.h"
#include "../base/util.h"

#include <errno.h>
#include <string.h>

int ib_wincmd_program(const char *line, size_t *start, size_t *len)
{
	size_t i = 0, j;

	while (line[i] == ' ' || line[i] == '\t')
		i++;
	if (line[i] == '"') {
		const char *q = strchr(line + i + 1, '"');

		if (!q)
			return ib_fail(IB_E_USAGE, "the program name's opening quote is not closed");
		*start = i + 1;
		*len = (size_t)(q - line) - i - 1;
	} else {
		for (j = i; line[j] && line[j] != ' ' && line[j] != '\t'; j++)
			;
		*start = i;
		*len = j - i;
	}
	if (*len == 0)
		return ib_fail(IB_E_USAGE, "the command line names no program");
	return 0;
}

int ib_wincmd_relpath_ok(const char *p, size_t len)
{
	size_t part = 0;

	if (len == 0 || p[0] == '\\' || p[0] == '/' || (len >= 2 && p[1] == ':'))
		return 0;
	for (size_t i = 0; i <= len; i++) {
		unsigned char ch = i < len ? (unsigned char)p[i] : '/';

		if (ch == '\\' || ch == '/') {
			/* an empty, "." or ".." component */
			if (part == 0 || (part == 1 && p[i - 1] == '.') ||
			    (part == 2 && p[i - 1] == '.' && p[i - 2] == '.'))
				return 0;
			part = 0;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f || strchr("<>\"|?*:", ch))
			return 0;
		part++;
	}
	return 1;
}

int ib_msi_property_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 72 || !((name[0] >= 'A' && name[0] <= 'Z') || name[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
		      name[i] == '.'))
			return 0;
	return 1;
}

/* Appends s, surrounded by quotes, with every quote inside doubled. */
static int append_quoted(struct ib_buf *b, const char *s)
{
	int rc = ib_buf_append(b, "\"", 1);

	for (; !rc && *s; s++)
		rc = *s == '"' ? ib_buf_append(b, "\"\"", 2) : ib_buf_append(b, s, 1);
	return rc ? rc : ib_buf_append(b, "\"", 1);
}

static int append_text(struct ib_buf *b, const char *s)
{
	return ib_buf_append(b, s, strlen(s));
}

int ib_msi_cmdline(const char *msiexec, const char *msi, const struct ib_install *in, const char *log, char **out)
{
	struct ib_buf b;
	int rc;

	*out = NULL;
	ib_buf_init(&b, IB_WINCMD_MAX);
	if (!(rc = append_quoted(&b, msiexec)) && !(rc = append_text(&b, " /i ")) && !(rc = append_quoted(&b, msi)))
		rc = append_text(&b, " /qn /norestart");
	if (!rc && log && !(rc = append_text(&b, " /l*v ")))
		rc = append_quoted(&b, log);
	if (!rc && in->msiexec_args && in->msiexec_args[0] && !(rc = append_text(&b, " ")))
		rc = append_text(&b, in->msiexec_args);
	for (size_t i = 0; !rc && i < in->prop_names.n; i++)
		if (!(rc = ib_buf_printf(&b, " %s=", in->prop_names.v[i])))
			rc = append_quoted(&b, in->prop_values.v[i]);
	if (rc) {
		ib_buf_release(&b);
		return rc == -ENOMEM
			       ? rc
			       : ib_fail(IB_E_LIMIT, "the msiexec command line exceeds %d characters", IB_WINCMD_MAX);
	}
	*out = (char *)b.data;
	return 0;
}
