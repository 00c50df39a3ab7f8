// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: reading a Linux tree, a file of kernel functions, or a tree with
 * a patch applied to a private copy.  The tree itself is only ever read.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "kernel/kernel.h"

/* Files larger than this are not kernel source. */
#define KSRC_MAX_FILE (16u << 20)

/* What x2sim reads of a tree, in the order the index keeps. */
static const char *const tree_files[] = {
	"arch/x86/kvm/x86.c",
	"arch/x86/kvm/msrs.c",
	"arch/x86/kvm/vmx/vmx.c",
};

#define NR_TREE_FILES (sizeof(tree_files) / sizeof(tree_files[0]))

extern char **environ;

/* ---- versions ---- */

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

/* Read path whole; -errno, or -EFBIG past KSRC_MAX_FILE. */
static int read_whole(const char *path, char **text, size_t *len)
{
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		int e = errno;

		close(fd);
		return -e;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((unsigned long long)st.st_size > KSRC_MAX_FILE) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return 0;
}

static int add_file(struct x2s_ksrc *src, const char *fs_path,
		    const char *shown, char *err, size_t errlen)
{
	struct x2s_kfile *f;
	int r;

	if (src->nr_files == X2S_KSRC_MAX_FILES)
		return x2s_errf(err, errlen, -E2BIG, "too many files");
	f = &src->files[src->nr_files];
	memset(f, 0, sizeof(*f));
	r = read_whole(fs_path, &f->text, &f->len);
	if (r)
		return x2s_errf(
			err, errlen, r, "%s: %s%s", fs_path, strerror(-r),
			r == -EFBIG ? " (over 16 MiB: not kernel source)" : "");
	if (memchr(f->text, '\0', f->len)) {
		free(f->text);
		f->text = NULL;
		return x2s_errf(err, errlen, -EINVAL,
				"%s: a binary file, not C source", fs_path);
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

/* The value of "NAME = value" at a line start, trimmed; false if none. */
static bool makefile_var(const char *text, const char *name, char *out,
			 size_t outlen)
{
	size_t nl = strlen(name);

	for (const char *l = text; l && *l;
	     l = strchr(l, '\n'), l = l ? l + 1 : l) {
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

static int read_version(struct x2s_ksrc *src, const char *dir, char *err,
			size_t errlen)
{
	char path[PATH_MAX], v[32], p[32], s[32] = "0", x[32] = "";
	char num[128];
	size_t len;
	char *text;
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/Makefile", dir) >=
	    sizeof(path))
		return x2s_errf(err, errlen, -ENAMETOOLONG, "%s: name too long",
				dir);
	r = read_whole(path, &text, &len);
	if (r)
		return x2s_errf(err, errlen, r == -ENOENT ? -ENOENT : r,
				"%s is not a Linux source tree: %s: %s", dir,
				path, strerror(-r));
	if (!makefile_var(text, "VERSION", v, sizeof(v)) ||
	    !makefile_var(text, "PATCHLEVEL", p, sizeof(p))) {
		free(text);
		return x2s_errf(
			err, errlen, -EINVAL,
			"%s is not a Linux source tree: its Makefile sets no VERSION and PATCHLEVEL",
			dir);
	}
	makefile_var(text, "SUBLEVEL", s, sizeof(s));
	makefile_var(text, "EXTRAVERSION", x, sizeof(x));
	free(text);
	if (!s[0])
		snprintf(s, sizeof(s), "0");
	snprintf(num, sizeof(num), "%s.%s.%s", v, p, s);
	if (x2s_kversion_parse(num, &src->version))
		return x2s_errf(err, errlen, -EINVAL,
				"%s: the Makefile's version '%s' is not X.Y.Z",
				dir, num);
	snprintf(src->version_str, sizeof(src->version_str), "%.40s%.20s", num,
		 x);
	return 0;
}

static int open_tree_at(struct x2s_ksrc *src, const char *root,
			const char *shown, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	int r;

	if (stat(root, &st))
		return x2s_errf(err, errlen, -errno, "%s: %s", shown,
				strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return x2s_errf(
			err, errlen, -ENOTDIR,
			"%s is not a Linux source tree: not a directory",
			shown);
	r = read_version(src, root, err, errlen);
	if (r)
		return r;
	for (unsigned int i = 0; i < NR_TREE_FILES; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root,
				     tree_files[i]) >= sizeof(path))
			return x2s_errf(err, errlen, -ENAMETOOLONG,
					"%s: name too long", shown);
		if (stat(path, &st) && errno == ENOENT) {
			if (i == 0)
				return x2s_errf(
					err, errlen, -ENOENT,
					"%s has no %s: x2sim needs the top Makefile and arch/x86/kvm",
					shown, tree_files[i]);
			continue;
		}
		r = add_file(src, path, tree_files[i], err, errlen);
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
	r = open_tree_at(src, dir, dir, err, errlen);
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
	if (version)
		snprintf(src->version_str, sizeof(src->version_str), "%u.%u",
			 version >> 16, (version >> 8) & 0xff);
	r = add_file(src, path, path, err, errlen);
	if (r)
		x2s_ksrc_free(src);
	return r;
}

/* ---- a patch, applied to a private copy ---- */

/* A path a patch names, after -p1; false if it must not be used. */
static bool patch_path(const char *p, size_t n, char *out, size_t outlen)
{
	const char *slash;

	/* "a/x", "b/x": strip one component, as patch -p1 does. */
	slash = memchr(p, '/', n);
	if (!slash)
		return false;
	n -= (size_t)(slash + 1 - p);
	p = slash + 1;
	if (!n || n >= outlen || p[0] == '/')
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	for (char *c = out; (c = strstr(c, "..")); c += 2)
		if ((c == out || c[-1] == '/') && (c[2] == '/' || !c[2]))
			return false;
	return true;
}

/*
 * The files a patch names ("--- a/x" and "+++ b/x" lines).  Returns how
 * many, -EINVAL for an unsafe name (in err), 0 if there is no diff.
 */
static int patch_files(const char *text, char names[][PATH_MAX],
		       unsigned int max, const char *patch, char *err,
		       size_t errlen)
{
	unsigned int n = 0;

	for (const char *l = text; l && *l;
	     l = strchr(l, '\n'), l = l ? l + 1 : l) {
		char name[PATH_MAX];
		const char *p, *e;
		bool dup = false;

		if (strncmp(l, "--- ", 4) && strncmp(l, "+++ ", 4))
			continue;
		p = l + 4;
		e = p + strcspn(p, "\t\n");
		while (e > p && e[-1] == ' ')
			e--;
		if ((size_t)(e - p) == 9 && !strncmp(p, "/dev/null", 9))
			continue;
		if (!patch_path(p, (size_t)(e - p), name, sizeof(name)))
			return x2s_errf(
				err, errlen, -EINVAL,
				"%s names a file outside the tree: %.*s", patch,
				(int)(e - p), p);
		for (unsigned int i = 0; i < n; i++)
			dup |= !strcmp(names[i], name);
		if (dup)
			continue;
		if (n == max)
			return x2s_errf(err, errlen, -E2BIG,
					"%s touches more than %u files", patch,
					max);
		memcpy(names[n++], name, strlen(name) + 1);
	}
	return (int)n;
}

static int mkdirs(char *path)
{
	for (char *c = strchr(path + 1, '/'); c; c = strchr(c + 1, '/')) {
		*c = '\0';
		if (mkdir(path, 0700) && errno != EEXIST) {
			*c = '/';
			return -errno;
		}
		*c = '/';
	}
	return 0;
}

/* Copy dir/rel to tmp/rel if it exists. */
static int copy_in(const char *dir, const char *tmp, const char *rel)
{
	char from[PATH_MAX], to[PATH_MAX];
	size_t len;
	char *text;
	FILE *f;
	int r;

	snprintf(from, sizeof(from), "%s/%s", dir, rel);
	if ((size_t)snprintf(to, sizeof(to), "%s/%s", tmp, rel) >= sizeof(to))
		return -ENAMETOOLONG;
	r = read_whole(from, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r)
		return r;
	r = mkdirs(to);
	if (!r) {
		/* A file both read here and patched is copied once. */
		f = fopen(to, "w");
		if (!f) {
			r = -errno;
		} else {
			if (fwrite(text, 1, len, f) != len)
				r = -EIO;
			if (fclose(f) && !r)
				r = -EIO;
		}
	}
	free(text);
	return r;
}

static void remove_all(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[PATH_MAX];

	if (lstat(path, &st))
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	d = opendir(path);
	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
					     e->d_name) < sizeof(sub))
				remove_all(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

/* Run patch(1) in tmp; its output in log.  0, or the exit status. */
static int run_patch(const char *tmp, const char *patch, char *log,
		     size_t loglen)
{
	char logpath[PATH_MAX + 8], abs[PATH_MAX];
	char *argv[] = { "patch", "-p1",       "--batch", "--forward", "-N",
			 "-d",	  (char *)tmp, "-i",	  abs,	       NULL };
	posix_spawn_file_actions_t fa;
	int status, fd, r;
	ssize_t n;
	pid_t pid;

	if (!realpath(patch, abs))
		return -errno;
	snprintf(logpath, sizeof(logpath), "%s.log", tmp);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, logpath,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	r = posix_spawnp(&pid, "patch", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	log[0] = '\0';
	if (r) {
		snprintf(log, loglen,
			 "cannot run patch: %s (apt-get install patch)",
			 strerror(r));
		unlink(logpath);
		return -r;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	fd = open(logpath, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, log, loglen - 1);
		log[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	unlink(logpath);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

/* One line saying why patch(1) refused, from its output. */
static void patch_why(const char *log, char *out, size_t outlen)
{
	const char *file = NULL, *l, *hunk;
	size_t flen = 0;

	hunk = strstr(log, "FAILED at ");
	for (l = log; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
		if (hunk && l > hunk)
			break;
		if (!strncmp(l, "patching file ", 14) ||
		    !strncmp(l, "checking file ", 14)) {
			file = l + 14;
			flen = strcspn(file, "\n");
		}
	}
	if (hunk) {
		const char *h = hunk;
		unsigned long nr = 0, at = strtoul(hunk + 10, NULL, 10);

		while (h > log && h[-1] != '\n')
			h--;
		if (!strncmp(h, "Hunk #", 6))
			nr = strtoul(h + 6, NULL, 10);
		snprintf(out, outlen,
			 "hunk #%lu of %.*s (at line %lu) is rejected", nr,
			 (int)flen, file ? file : "?", at);
		return;
	}
	if (strstr(log, "Reversed (or previously applied) patch"))
		snprintf(out, outlen,
			 "it is already applied (or reversed)%s%.*s",
			 file ? ": " : "", (int)flen, file ? file : "");
	else if (strstr(log, "can't find file to patch") ||
		 strstr(log, "No file to patch"))
		snprintf(out, outlen, "a file it patches is not in the tree");
	else if (strstr(log, "Only garbage"))
		snprintf(out, outlen, "it holds no diff");
	else
		snprintf(out, outlen, "%.*s", (int)strcspn(log, "\n"),
			 log[0] ? log : "patch failed");
}

int x2s_ksrc_open_tree_patched(struct x2s_ksrc *src, const char *dir,
			       const char *patch, char *err, size_t errlen)
{
	char(*names)[PATH_MAX];
	char tmp[PATH_MAX], log[8192], why[1024];
	const char *tmpdir = getenv("TMPDIR");
	size_t len;
	char *text;
	int r, n;

	memset(src, 0, sizeof(*src));
	if (!dir || !*dir || !patch || !*patch)
		return x2s_errf(err, errlen, -EINVAL, "no tree or no patch");
	r = read_whole(patch, &text, &len);
	if (r)
		return x2s_errf(err, errlen, r, "%s: %s", patch, strerror(-r));
	names = calloc(64, sizeof(*names));
	if (!names) {
		free(text);
		return x2s_errf(err, errlen, -ENOMEM, "out of memory");
	}
	n = patch_files(text, names, 64, patch, err, errlen);
	free(text);
	if (n <= 0) {
		free(names);
		return n < 0 ? n :
			       x2s_errf(err, errlen, -EINVAL,
					"%s is not a patch (no diff in it)",
					patch);
	}

	/* The tree must be a tree before anything is copied. */
	r = open_tree_at(src, dir, dir, err, errlen);
	x2s_ksrc_free(src);
	if (r) {
		free(names);
		return r;
	}

	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/x2sim-patch.XXXXXX",
			     tmpdir) >= sizeof(tmp) ||
	    !mkdtemp(tmp)) {
		free(names);
		return x2s_errf(err, errlen, -EIO,
				"cannot make a temporary directory in %s",
				tmpdir);
	}
	r = copy_in(dir, tmp, "Makefile");
	for (unsigned int i = 0; !r && i < NR_TREE_FILES; i++)
		r = copy_in(dir, tmp, tree_files[i]);
	for (int i = 0; !r && i < n; i++)
		r = copy_in(dir, tmp, names[i]);
	if (r) {
		x2s_errf(err, errlen, r, "cannot copy %s to %s: %s", dir, tmp,
			 strerror(-r));
		goto out;
	}
	r = run_patch(tmp, patch, log, sizeof(log));
	if (r) {
		patch_why(log, why, sizeof(why));
		r = x2s_errf(err, errlen, -EINVAL,
			     "%s does not apply to %s: %s", patch, dir, why);
		goto out;
	}
	r = open_tree_at(src, tmp, dir, err, errlen);
	if (r) {
		x2s_ksrc_free(src);
		goto out;
	}
	snprintf(src->origin, sizeof(src->origin), "%s + %s", dir, patch);
out:
	remove_all(tmp);
	free(names);
	return r;
}
