// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: reading a Linux tree's version and KVM files, or one file of
 * kernel functions.  The tree itself is only ever read.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "kernel/kernel.h"

/* What x2sim reads of a tree besides the Makefile, in the index's order. */
const char *const x2s_ktree_files[] = {
	"arch/x86/kvm/x86.c",
	"arch/x86/kvm/msrs.c",
	"arch/x86/kvm/vmx/vmx.c",
};

const unsigned int x2s_nr_ktree_files =
	sizeof(x2s_ktree_files) / sizeof(x2s_ktree_files[0]);

/* ---- versions ---- */

/* Up to max_digits decimal digits at *s; false if none or more follow. */
static bool parse_num(const char **s, unsigned int max_digits, unsigned long *v)
{
	unsigned int n = 0;

	*v = 0;
	while (isdigit((unsigned char)**s) && n < max_digits) {
		*v = *v * 10 + (unsigned long)(**s - '0');
		(*s)++;
		n++;
	}
	return n > 0 && !isdigit((unsigned char)**s);
}

int x2s_kversion_parse(const char *s, unsigned int *version)
{
	unsigned long a, b, c = 0;

	if (!s || !parse_num(&s, 2, &a) || *s++ != '.' || !parse_num(&s, 3, &b))
		return -EINVAL;
	if (*s == '.') {
		s++;
		if (!parse_num(&s, 6, &c))
			return -EINVAL;
	}
	if (*s || a < 1 || a > 99 || b > 255)
		return -EINVAL;
	*version = X2S_KVERSION((unsigned int)a, (unsigned int)b,
				(unsigned int)(c > 255 ? 255 : c));
	return 0;
}

/* ---- files ---- */

int x2s_kread_file(const char *path, char **text, size_t *len)
{
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd, e;

	/* O_NONBLOCK: a FIFO in the tree must not hang the reader. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		e = -errno;
		goto out_close;
	}
	e = S_ISDIR(st.st_mode) ? -EISDIR : !S_ISREG(st.st_mode) ? -EINVAL : 0;
	if (!e && (unsigned long long)st.st_size > X2S_KSRC_MAX_FILE_SIZE)
		e = -EFBIG;
	if (e)
		goto out_close;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		e = -ENOMEM;
		goto out_close;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = -errno;
			free(buf);
			goto out_close;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return 0;
out_close:
	close(fd);
	return e;
}

/* Read fs_path into the next file of src, shown as shown. */
static int add_file(struct x2s_ksrc *src, const char *fs_path,
		    const char *shown, char *err, size_t errlen)
{
	struct x2s_kfile *f;
	int r;

	if (src->nr_files == X2S_KSRC_MAX_FILES)
		return x2s_errf(err, errlen, -E2BIG, "%s: too many files",
				src->origin);
	f = &src->files[src->nr_files];
	memset(f, 0, sizeof(*f));
	r = x2s_kread_file(fs_path, &f->text, &f->len);
	if (r == -EFBIG)
		return x2s_errf(err, errlen, r,
				"%s: over 16 MiB, which is not kernel source",
				shown);
	if (r)
		return x2s_errf(err, errlen, r, "%s: cannot read it: %s", shown,
				strerror(-r));
	if (memchr(f->text, '\0', f->len)) {
		free(f->text);
		f->text = NULL;
		return x2s_errf(err, errlen, -EINVAL,
				"%s: a binary file, not C source", shown);
	}
	f->path = strdup(shown);
	if (!f->path) {
		free(f->text);
		f->text = NULL;
		return x2s_errf(err, errlen, -ENOMEM, "out of memory");
	}
	src->nr_files++;
	return 0;
}

void x2s_ksrc_free(struct x2s_ksrc *src)
{
	if (!src)
		return;
	for (unsigned int i = 0; i < src->nr_files && i < X2S_KSRC_MAX_FILES;
	     i++) {
		free(src->files[i].path);
		free(src->files[i].text);
	}
	memset(src, 0, sizeof(*src));
}

/* ---- the Makefile ---- */

/*
 * The value of "NAME = value" (or ":=") at a line start, trimmed of
 * blanks and a trailing comment; false if the Makefile assigns none.
 */
static bool makefile_var(const char *text, const char *name, char *out,
			 size_t outlen)
{
	size_t nl = strlen(name);

	for (const char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
		const char *p = l, *e;
		size_t n;

		if (strncmp(p, name, nl))
			continue;
		p += nl;
		while (*p == ' ' || *p == '\t')
			p++;
		if (p[0] == ':' && p[1] == '=')
			p += 2;
		else if (p[0] == '=')
			p++;
		else
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, "\n#");
		while (e > p &&
		       (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		n = (size_t)(e - p);
		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, p, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

static int read_version(struct x2s_ksrc *src, const char *root,
			const char *shown, char *err, size_t errlen)
{
	char path[PATH_MAX], v[32], p[32], s[32] = "", x[32] = "";
	char num[128];
	size_t len;
	char *text;
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/Makefile", root) >=
	    sizeof(path))
		return x2s_errf(err, errlen, -ENAMETOOLONG,
				"%s: the name is too long", shown);
	r = x2s_kread_file(path, &text, &len);
	if (r)
		return x2s_errf(err, errlen, r,
				"%s is not a Linux source tree: Makefile: %s",
				shown, strerror(-r));
	if (!makefile_var(text, "VERSION", v, sizeof(v)) ||
	    !makefile_var(text, "PATCHLEVEL", p, sizeof(p))) {
		free(text);
		return x2s_errf(
			err, errlen, -EINVAL,
			"%s is not a Linux source tree: its Makefile sets no VERSION and PATCHLEVEL",
			shown);
	}
	makefile_var(text, "SUBLEVEL", s, sizeof(s));
	makefile_var(text, "EXTRAVERSION", x, sizeof(x));
	free(text);
	snprintf(num, sizeof(num), "%s.%s.%s", v, p, s[0] ? s : "0");
	if (x2s_kversion_parse(num, &src->version))
		return x2s_errf(
			err, errlen, -EINVAL,
			"%s is not a Linux source tree: its Makefile's version '%s' is not X.Y.Z",
			shown, num);
	snprintf(src->version_str, sizeof(src->version_str), "%.40s%.20s", num,
		 x);
	return 0;
}

int x2s_ksrc_load_tree(struct x2s_ksrc *src, const char *root,
		       const char *shown, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	int r;

	if (stat(root, &st))
		return x2s_errf(err, errlen, -errno,
				"%s is not a Linux source tree: %s", shown,
				strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return x2s_errf(
			err, errlen, -ENOTDIR,
			"%s is not a Linux source tree: not a directory",
			shown);
	r = read_version(src, root, shown, err, errlen);
	if (r)
		return r;
	for (unsigned int i = 0; i < x2s_nr_ktree_files; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root,
				     x2s_ktree_files[i]) >= sizeof(path))
			return x2s_errf(err, errlen, -ENAMETOOLONG,
					"%s: the name is too long", shown);
		if (lstat(path, &st) && errno == ENOENT) {
			if (i == 0)
				return x2s_errf(
					err, errlen, -ENOENT,
					"%s has no %s: x2sim needs the top Makefile and arch/x86/kvm",
					shown, x2s_ktree_files[i]);
			continue;
		}
		r = add_file(src, path, x2s_ktree_files[i], err, errlen);
		if (r)
			return r;
	}
	return 0;
}

int x2s_ksrc_open_tree(struct x2s_ksrc *src, const char *dir, char *err,
		       size_t errlen)
{
	int r;

	memset(src, 0, sizeof(*src));
	if (!dir || !*dir)
		return x2s_errf(err, errlen, -EINVAL, "no kernel tree given");
	snprintf(src->origin, sizeof(src->origin), "%s", dir);
	r = x2s_ksrc_load_tree(src, dir, dir, err, errlen);
	if (r)
		x2s_ksrc_free(src);
	return r;
}

int x2s_ksrc_open_file(struct x2s_ksrc *src, const char *path,
		       unsigned int version, char *err, size_t errlen)
{
	int r;

	memset(src, 0, sizeof(*src));
	if (!path || !*path)
		return x2s_errf(err, errlen, -EINVAL, "no source file given");
	snprintf(src->origin, sizeof(src->origin), "%s", path);
	src->version = version;
	if (version & 0xff)
		snprintf(src->version_str, sizeof(src->version_str), "%u.%u.%u",
			 version >> 16, (version >> 8) & 0xff, version & 0xff);
	else if (version)
		snprintf(src->version_str, sizeof(src->version_str), "%u.%u",
			 version >> 16, (version >> 8) & 0xff);
	r = add_file(src, path, path, err, errlen);
	if (r)
		x2s_ksrc_free(src);
	return r;
}
