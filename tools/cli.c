// SPDX-License-Identifier: GPL-2.0-only
/* x2sim CLI: shared helpers (errors, strict numbers, atomic files). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "x2sim %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

bool cli_parse_u64(const char *cmd, const char *what, const char *s,
		   uint64_t min, uint64_t max, uint64_t *out)
{
	const char *digits = s;
	int base = 10;
	uint64_t v = 0;

	if (!s || !*s) {
		cli_error(cmd, "%s: empty value", what);
		return false;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		digits = s + 2;
		if (!*digits) {
			cli_error(cmd, "%s: '%s' has no digits", what, s);
			return false;
		}
	}
	for (const char *p = digits; *p; p++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else {
			cli_error(cmd, "%s: '%s' is not a number", what, s);
			return false;
		}
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) {
			cli_error(cmd, "%s: '%s' does not fit 64 bits", what,
				  s);
			return false;
		}
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (v < min || v > max) {
		cli_error(cmd, "%s: %s is out of range [%llu, %llu]", what, s,
			  (unsigned long long)min, (unsigned long long)max);
		return false;
	}
	*out = v;
	return true;
}

int cli_atomic_open(struct cli_atomic_file *af, const char *path)
{
	size_t len = strlen(path);
	struct stat st;
	int fd;

	memset(af, 0, sizeof(*af));
	/* rename() would fail only after all the work: refuse it now. */
	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		return -EISDIR;
	af->path = strdup(path);
	af->tmp = malloc(len + sizeof(".tmp.XXXXXX"));
	if (!af->path || !af->tmp) {
		free(af->path);
		free(af->tmp);
		return -ENOMEM;
	}
	memcpy(af->tmp, path, len);
	memcpy(af->tmp + len, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
	fd = mkstemp(af->tmp);
	if (fd < 0 || !(af->f = fdopen(fd, "w"))) {
		int err = errno;

		if (fd >= 0) {
			close(fd);
			unlink(af->tmp);
		}
		free(af->path);
		free(af->tmp);
		memset(af, 0, sizeof(*af));
		return -err;
	}
	return 0;
}

int cli_atomic_commit(struct cli_atomic_file *af, bool ok)
{
	int err = 0;

	if (!af->f)
		return -EINVAL;
	if (ferror(af->f))
		err = -EIO;
	if (fclose(af->f) && !err)
		err = -errno;
	if (ok && !err && rename(af->tmp, af->path))
		err = -errno;
	if (!ok || err)
		unlink(af->tmp);
	free(af->path);
	free(af->tmp);
	memset(af, 0, sizeof(*af));
	return err;
}
