// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: a Linux tree with a patch applied, the reviewer's way, to a
 * private copy.  Only the files x2sim reads and those the patch names are
 * copied into a fresh temporary directory, GNU patch applies the patch
 * there, the result is read as a tree, and the directory is removed.  The
 * tree itself is only ever read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "kernel/kernel.h"

extern char **environ;

/* What patch(1) says that is kept to explain a failure. */
#define PATCH_LOG_MAX (64u << 10)

/* ---- the names a patch touches ---- */

/* One file's part of a patch: its name after -p1, its hunks' lines. */
struct psection {
	char *name;
	unsigned long *hunk_line;
	unsigned int nr_hunks;
};

struct pnames {
	/* The files to copy into the private tree. */
	char **v;
	unsigned int n, cap;
	/* The files' parts, in the patch's order. */
	struct psection *sec;
	unsigned int nr_sec;
	bool has_diff;
};

static void pnames_free(struct pnames *pn)
{
	for (unsigned int i = 0; i < pn->n; i++)
		free(pn->v[i]);
	for (unsigned int i = 0; i < pn->nr_sec; i++) {
		free(pn->sec[i].name);
		free(pn->sec[i].hunk_line);
	}
	free(pn->v);
	free(pn->sec);
	memset(pn, 0, sizeof(*pn));
}

static int pnames_add(struct pnames *pn, const char *name)
{
	for (unsigned int i = 0; i < pn->n; i++)
		if (!strcmp(pn->v[i], name))
			return 0;
	if (pn->n == pn->cap) {
		unsigned int cap = pn->cap ? pn->cap * 2 : 16;
		char **v = realloc(pn->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		pn->v = v;
		pn->cap = cap;
	}
	pn->v[pn->n] = strdup(name);
	if (!pn->v[pn->n])
		return -ENOMEM;
	pn->n++;
	return 0;
}

/* A new file part called name (NULL: one patch cannot place). */
static int section_add(struct pnames *pn, const char *name)
{
	struct psection *sec;

	sec = realloc(pn->sec, (pn->nr_sec + 1) * sizeof(*sec));
	if (!sec)
		return -ENOMEM;
	pn->sec = sec;
	sec = &pn->sec[pn->nr_sec];
	memset(sec, 0, sizeof(*sec));
	if (name && !(sec->name = strdup(name)))
		return -ENOMEM;
	pn->nr_sec++;
	return 0;
}

/* The line in the tree where the last file part's next hunk starts. */
static int section_hunk(struct pnames *pn, unsigned long line)
{
	struct psection *sec;
	unsigned long *l;

	if (!pn->nr_sec)
		return 0;
	sec = &pn->sec[pn->nr_sec - 1];
	l = realloc(sec->hunk_line, (sec->nr_hunks + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	sec->hunk_line = l;
	l[sec->nr_hunks++] = line;
	return 0;
}

/*
 * A git-quoted name ("a/x\ty", C escapes) at p, unquoted into out; the
 * length consumed from p, or 0 if it is not one.
 */
static size_t unquote(const char *p, size_t n, char *out, size_t outlen)
{
	size_t i = 1, o = 0;

	if (!n || p[0] != '"')
		return 0;
	while (i < n && p[i] != '"') {
		char c = p[i++];

		if (c == '\\' && i < n) {
			c = p[i++];
			if (c >= '0' && c <= '7') {
				unsigned int v = (unsigned int)(c - '0');

				for (int k = 0; k < 2 && i < n && p[i] >= '0' &&
						p[i] <= '7';
				     k++)
					v = v * 8 +
					    (unsigned int)(p[i++] - '0');
				c = (char)v;
			} else {
				c = c == 't' ? '\t' : c == 'n' ? '\n' : c;
			}
		}
		if (o + 1 >= outlen || !c)
			return 0;
		out[o++] = c;
	}
	if (i >= n)
		return 0;
	out[o] = '\0';
	return i + 1;
}

/* Whether path (NUL-terminated) has a ".." component. */
static bool has_dotdot(const char *path)
{
	for (const char *c = path; (c = strstr(c, "..")); c += 2)
		if ((c == path || c[-1] == '/') && (c[2] == '/' || !c[2]))
			return true;
	return false;
}

/*
 * Record a name the patch gives for a file: with strip, a header name
 * that patch -p1 strips of its first component ("a/x" -> "x"); without,
 * a name already relative to the tree (git's "rename from x").  -EINVAL
 * with the reason in err for a name that reaches outside the tree.
 */
static int take_name(struct pnames *pn, const char *p, size_t n, bool strip,
		     char *kept, const char *patch, char *err, size_t errlen)
{
	char raw[PATH_MAX];
	const char *name = raw, *slash;
	int r;

	if (kept)
		kept[0] = '\0';

	if (!unquote(p, n, raw, sizeof(raw))) {
		/* Unquoted: up to a tab (diff -u's timestamp) or the end. */
		n = strcspn(p, "\t\n") < n ? strcspn(p, "\t\n") : n;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\r'))
			n--;
		if (!n)
			return 0;
		if (n >= sizeof(raw))
			return x2s_errf(err, errlen, -EINVAL,
					"%s names a file with too long a name",
					patch);
		memcpy(raw, p, n);
		raw[n] = '\0';
	}
	if (!strcmp(raw, "/dev/null"))
		return 0;
	if (raw[0] == '/' || has_dotdot(raw))
		return x2s_errf(
			err, errlen, -EINVAL,
			"%s names %s, outside the tree: x2sim applies patches only to files inside it",
			patch, raw);
	if (strip) {
		/* With no directory to strip, patch -p1 cannot place it. */
		slash = strchr(raw, '/');
		if (!slash)
			return 0;
		name = slash + 1;
		while (*name == '/')
			name++;
	}
	if (!*name)
		return 0;
	if (kept)
		snprintf(kept, PATH_MAX, "%s", name);
	r = pnames_add(pn, name);
	return r ? x2s_errf(err, errlen, r, "out of memory") : 0;
}

/* Whether [p, p + n) is a context diff's range line ("1,5 ****"). */
static bool is_range(const char *p, size_t n, const char *tail)
{
	size_t i = 0;

	while (i < n && ((p[i] >= '0' && p[i] <= '9') || p[i] == ','))
		i++;
	return i > 0 && n - i == 5 && p[i] == ' ' &&
	       !strncmp(p + i + 1, tail, 4);
}

/* The line after l, or NULL at the end. */
static const char *next_line(const char *l)
{
	l = strchr(l, '\n');
	return l ? l + 1 : NULL;
}

static size_t line_len(const char *l)
{
	return strcspn(l, "\n");
}

/* Past the lines of the unified hunk whose "@@" line is l. */
static const char *skip_hunk(const char *l)
{
	unsigned long old = 1, new = 1;
	char *e;

	/* "@@ -a[,b] +c[,d] @@": b and d count the lines that follow. */
	if (strncmp(l, "@@ -", 4))
		return next_line(l);
	strtoul(l + 4, &e, 10);
	if (*e == ',')
		old = strtoul(e + 1, &e, 10);
	if (strncmp(e, " +", 2))
		return next_line(l);
	strtoul(e + 2, &e, 10);
	if (*e == ',')
		new = strtoul(e + 1, &e, 10);
	for (l = next_line(l); l && (old || new); l = next_line(l)) {
		if (*l == ' ' || *l == '\n' || *l == '\r') {
			old -= !!old;
			new -= !!new;
		} else if (*l == '-') {
			old -= !!old;
		} else if (*l == '+') {
			new -= !!new;
		} else if (*l != '\\') {
			break;
		}
	}
	/* A "\ No newline at end of file" may end the hunk. */
	while (l && *l == '\\')
		l = next_line(l);
	return l;
}

/* After "diff --git ": "a/x b/x", or two quoted names, or a rename. */
static int take_git_names(struct pnames *pn, const char *p, size_t n,
			  const char *patch, char *err, size_t errlen)
{
	char q[PATH_MAX];
	size_t used, half;
	const char *b;
	int r;

	used = unquote(p, n, q, sizeof(q));
	if (used) {
		r = take_name(pn, p, used, true, NULL, patch, err, errlen);
		while (used < n && p[used] == ' ')
			used++;
		if (r)
			return r;
		return take_name(pn, p + used, n - used, true, NULL, patch, err,
				 errlen);
	}
	/* The same name twice: split in the middle; else at " b/". */
	half = (n - 1) / 2;
	if (n >= 5 && n % 2 && p[half] == ' ' &&
	    !strncmp(p + 2, p + half + 3, half - 2))
		b = p + half;
	else
		b = memmem(p, n, " b/", 3);
	if (!b)
		return 0;
	r = take_name(pn, p, (size_t)(b - p), true, NULL, patch, err, errlen);
	if (r)
		return r;
	return take_name(pn, b + 1, n - (size_t)(b + 1 - p), true, NULL, patch,
			 err, errlen);
}

/*
 * The files a patch names, from its "diff --git", "---" / "+++" (or a
 * context diff's "***" / "---") and git's rename and copy lines, outside
 * its hunks.  pn->has_diff says whether it holds a diff at all.
 */
static int parse_patch(const char *text, struct pnames *pn, const char *patch,
		       char *err, size_t errlen)
{
	char old[PATH_MAX], new[PATH_MAX];
	const char *l = text;
	int r = 0;

	while (l && *l && !r) {
		const char *nl = next_line(l);
		size_t n = line_len(l);

		if (!strncmp(l, "@@ -", 4)) {
			r = section_hunk(pn, strtoul(l + 4, NULL, 10));
			l = skip_hunk(l);
			continue;
		}
		if (!strncmp(l, "diff --git ", 11)) {
			pn->has_diff = true;
			r = take_git_names(pn, l + 11, n - 11, patch, err,
					   errlen);
		} else if (!strncmp(l, "rename from ", 12) ||
			   !strncmp(l, "copy from ", 10)) {
			size_t k = l[0] == 'r' ? 12 : 10;

			r = take_name(pn, l + k, n - k, false, NULL, patch, err,
				      errlen);
		} else if (!strncmp(l, "rename to ", 10) ||
			   !strncmp(l, "copy to ", 8)) {
			size_t k = l[0] == 'r' ? 10 : 8;

			r = take_name(pn, l + k, n - k, false, NULL, patch, err,
				      errlen);
		} else if (!strncmp(l, "new file mode 120000", 20) ||
			   !strncmp(l, "new mode 120000", 15)) {
			r = x2s_errf(
				err, errlen, -EINVAL,
				"%s makes a symbolic link: x2sim applies patches to source files only",
				patch);
		} else if (nl &&
			   ((!strncmp(l, "--- ", 4) &&
			     !strncmp(nl, "+++ ", 4)) ||
			    (!strncmp(l, "*** ", 4) &&
			     !strncmp(nl, "--- ", 4))) &&
			   !is_range(l + 4, n - 4, "****") &&
			   !is_range(nl + 4, line_len(nl) - 4, "----")) {
			pn->has_diff = true;
			r = take_name(pn, l + 4, n - 4, true, old, patch, err,
				      errlen);
			if (!r)
				r = take_name(pn, nl + 4, line_len(nl) - 4,
					      true, new, patch, err, errlen);
			if (!r)
				r = section_add(pn, new[0] ? new :
						    old[0] ? old :
							     NULL);
			nl = next_line(nl);
		}
		l = nl;
	}
	return r == -ENOMEM ? x2s_errf(err, errlen, r, "out of memory") : r;
}

/* ---- the private copy ---- */

/* Make the directories of tmp/rel below tmp (which exists). */
static int mkdirs_below(const char *tmp, char *path)
{
	for (char *c = strchr(path + strlen(tmp) + 1, '/'); c;
	     c = strchr(c + 1, '/')) {
		*c = '\0';
		if (mkdir(path, 0700) && errno != EEXIST) {
			*c = '/';
			return -errno;
		}
		*c = '/';
	}
	return 0;
}

/* Copy dir/rel to tmp/rel if dir has it. */
static int copy_in(const char *dir, const char *tmp, const char *rel, char *err,
		   size_t errlen)
{
	char from[PATH_MAX], to[PATH_MAX];
	size_t len, done = 0;
	struct stat st;
	char *text;
	int fd, r;

	if ((size_t)snprintf(from, sizeof(from), "%s/%s", dir, rel) >=
		    sizeof(from) ||
	    (size_t)snprintf(to, sizeof(to), "%s/%s", tmp, rel) >= sizeof(to))
		return x2s_errf(err, errlen, -ENAMETOOLONG,
				"%s/%s: the name is too long", dir, rel);
	if (lstat(from, &st) && errno == ENOENT)
		return 0;
	r = x2s_kread_file(from, &text, &len);
	if (r)
		return x2s_errf(err, errlen, r, "%s: cannot read it: %s", from,
				strerror(-r));
	r = mkdirs_below(tmp, to);
	fd = r ? -1 : open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (!r && fd < 0)
		r = -errno;
	while (!r && done < len) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			r = w < 0 ? -errno : -EIO;
		else
			done += (size_t)w;
	}
	if (fd >= 0 && close(fd) && !r)
		r = -errno;
	free(text);
	if (r)
		return x2s_errf(err, errlen, r, "cannot copy %s to %s: %s",
				from, to, strerror(-r));
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_all(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * A fresh private directory in $TMPDIR (or /tmp), never inside dir: if
 * $TMPDIR is in the tree, /tmp.
 */
static int make_private_dir(const char *dir, char *tmp, size_t len)
{
	const char *base = getenv("TMPDIR");
	char *rdir, *rbase;
	size_t n;

	if (!base || !*base)
		base = "/tmp";
	rdir = realpath(dir, NULL);
	rbase = realpath(base, NULL);
	if (rdir && rbase) {
		n = strlen(rdir);
		if (!strncmp(rbase, rdir, n) &&
		    (rbase[n] == '/' || !rbase[n] || n == 1))
			base = "/tmp";
	}
	free(rdir);
	free(rbase);
	if ((size_t)snprintf(tmp, len, "%s/x2sim-patch.XXXXXX", base) >= len)
		return -ENAMETOOLONG;
	return mkdtemp(tmp) ? 0 : -errno;
}

/* ---- running patch(1) ---- */

/* Whether patch must not see the variable env ("NAME=value"). */
static bool env_dropped(const char *env)
{
	/* The locale would translate the messages read here. */
	static const char *const drop[] = {
		"LANG=",
		"LANGUAGE=",
		"LC_",
		"POSIXLY_CORRECT=",
		"PATCH_GET=",
		"PATCH_VERSION_CONTROL=",
		"VERSION_CONTROL=",
		"SIMPLE_BACKUP_SUFFIX=",
		"QUOTING_STYLE=",
	};

	for (unsigned int i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (!strncmp(env, drop[i], strlen(drop[i])))
			return true;
	return false;
}

/* The environment for patch: the caller's, in the C locale. */
static char **patch_env(void)
{
	unsigned int n = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		if (!env_dropped(environ[i]))
			env[k++] = environ[i];
	env[k++] = "LC_ALL=C";
	env[k] = NULL;
	return env;
}

/*
 * Run `patch -p1 --batch --forward -d tmp -i abs` with its output in
 * *log (malloc()ed).  The exit status, or -errno if it could not run.
 */
static int run_patch(const char *tmp, const char *abs, char **log)
{
	char *argv[] = { "patch",
			 "-p1",
			 "--batch",
			 "--forward",
			 "--no-backup-if-mismatch",
			 "--reject-file=-",
			 "--quoting-style=literal",
			 "-d",
			 (char *)tmp,
			 "-i",
			 (char *)abs,
			 NULL };
	posix_spawn_file_actions_t fa;
	size_t got = 0;
	int pfd[2], status, r;
	char **env;
	pid_t pid;

	*log = calloc(1, PATCH_LOG_MAX + 1);
	if (!*log)
		return -ENOMEM;
	env = patch_env();
	if (!env)
		return -ENOMEM;
	if (pipe2(pfd, O_CLOEXEC)) {
		r = -errno;
		free(env);
		return r;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	r = posix_spawnp(&pid, "patch", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(pfd[1]);
	if (r) {
		close(pfd[0]);
		return -r;
	}
	/* Read to the end (keeping the start) so that patch never blocks. */
	for (;;) {
		char sink[4096];
		char *to = got < PATCH_LOG_MAX ? *log + got : sink;
		size_t room = got < PATCH_LOG_MAX ? PATCH_LOG_MAX - got :
						    sizeof(sink);
		ssize_t n = read(pfd[0], to, room);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (to != sink)
			got += (size_t)n;
	}
	close(pfd[0]);
	(*log)[got] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static bool starts(const char *l, const char *prefix)
{
	return !strncmp(l, prefix, strlen(prefix));
}

/*
 * The file patch could not find: the name of the "|+++ " (else "|--- ")
 * header it quotes after saying so, stripped as -p1 does.
 */
static void missing_file(const char *msg, char *out, size_t outlen)
{
	const char *plus = NULL, *minus = NULL, *name;

	out[0] = '\0';
	for (const char *l = next_line(msg);
	     l && !starts(l, "No file to patch"); l = next_line(l)) {
		if (starts(l, "|+++ "))
			plus = l + 5;
		else if (starts(l, "|--- "))
			minus = l + 5;
	}
	name = plus && !starts(plus, "/dev/null") ? plus : minus;
	if (!name)
		return;
	if (strchr(name, '/') && strchr(name, '/') < name + line_len(name))
		name = strchr(name, '/') + 1;
	snprintf(out, outlen, "%.*s", (int)strcspn(name, "\t\n"), name);
}

/*
 * The line in the tree where hunk nr of the count-th part patching file
 * (patch's "patching file" lines count them) starts, or 0 if unknown.
 */
static unsigned long tree_line(const struct pnames *pn, const char *file,
			       size_t flen, unsigned int count,
			       unsigned long nr)
{
	for (unsigned int i = 0; i < pn->nr_sec; i++) {
		const struct psection *sec = &pn->sec[i];

		if (!sec->name || strlen(sec->name) != flen ||
		    strncmp(sec->name, file, flen) || count--)
			continue;
		return nr >= 1 && nr <= sec->nr_hunks ? sec->hunk_line[nr - 1] :
							0;
	}
	return 0;
}

/*
 * Why patch(1) refused, in one line after "PATCH does not apply to DIR: "
 * from its output; false if the patch held nothing it could apply.
 */
static bool patch_why(const char *log, const struct pnames *pn, const char *dir,
		      char *out, size_t outlen)
{
	const char *file = NULL, *hunk, *m, *l;
	unsigned int count = 0;
	size_t flen = 0;

	if (strstr(log, "Only garbage was found"))
		return false;
	hunk = strstr(log, " FAILED at ");
	m = hunk ? hunk : strstr(log, "Reversed (or previously applied)");
	for (l = log; l && (!m || l < m); l = next_line(l)) {
		if (starts(l, "patching file ") ||
		    starts(l, "checking file ")) {
			file = l + 14;
			flen = strcspn(file, "\n");
			/* "x (renamed from y)": the name patch wrote. */
			if (memmem(file, flen, " (", 2))
				flen = (size_t)((const char *)memmem(file, flen,
								     " (", 2) -
						file);
		}
	}
	/* Which of the parts patching that file it was. */
	for (l = log; file && l + 14 < file; l = next_line(l))
		count += (starts(l, "patching file ") ||
			  starts(l, "checking file ")) &&
			 !strncmp(l + 14, file, flen) &&
			 (l[14 + flen] == '\n' || l[14 + flen] == ' ');
	if (hunk) {
		unsigned long nr = 0, at = strtoul(hunk + 11, NULL, 10), line;

		for (l = hunk; l > log && l[-1] != '\n'; l--)
			;
		if (starts(l, "Hunk #"))
			nr = strtoul(l + 6, NULL, 10);
		/* The tree's line, not where patch looked after offsets. */
		line = file ? tree_line(pn, file, flen, count, nr) : 0;
		snprintf(out, outlen,
			 "hunk #%lu of %.*s (at line %lu) is rejected", nr,
			 (int)flen, file ? file : "?", line ? line : at);
	} else if (m) {
		snprintf(out, outlen,
			 "it is already applied (or reversed)%s%.*s",
			 file ? ": " : "", (int)flen, file ? file : "");
	} else if ((m = strstr(log, "can't find file to patch"))) {
		char name[PATH_MAX];

		missing_file(m, name, sizeof(name));
		if (name[0])
			snprintf(out, outlen, "it patches %s, which %s lacks",
				 name, dir);
		else
			snprintf(out, outlen, "a file it patches is not in %s",
				 dir);
	} else if ((m = strstr(log, "patch: **** "))) {
		snprintf(out, outlen, "%.*s", (int)line_len(m + 12), m + 12);
	} else {
		/* The first line that is not progress. */
		for (l = log; l && *l; l = next_line(l))
			if (!starts(l, "patching file ") &&
			    !starts(l, "checking file ") &&
			    !(starts(l, "Hunk #") && strstr(l, "succeeded")))
				break;
		snprintf(out, outlen, "%.*s", l && *l ? (int)line_len(l) : 12,
			 l && *l ? l : "patch failed");
	}
	return true;
}

int x2s_ksrc_open_tree_patched(struct x2s_ksrc *src, const char *dir,
			       const char *patch, char *err, size_t errlen)
{
	char tmp[PATH_MAX], why[1024], *abs = NULL, *log = NULL, *text;
	struct pnames pn = { 0 };
	size_t len;
	int r;

	memset(src, 0, sizeof(*src));
	if (!dir || !*dir || !patch || !*patch)
		return x2s_errf(err, errlen, -EINVAL, "no tree or no patch");
	r = x2s_kread_file(patch, &text, &len);
	if (r)
		return x2s_errf(err, errlen, r, "%s: cannot read it: %s", patch,
				r == -EFBIG ? "over 16 MiB" : strerror(-r));
	r = parse_patch(text, &pn, patch, err, errlen);
	free(text);
	if (!r && !pn.has_diff)
		r = x2s_errf(err, errlen, -EINVAL,
			     "%s is not a patch (no diff in it)", patch);
	if (r)
		goto out_names;

	/* The tree must be a tree before anything is copied. */
	r = x2s_ksrc_load_tree(src, dir, dir, err, errlen);
	x2s_ksrc_free(src);
	if (r)
		goto out_names;
	abs = realpath(patch, NULL);
	if (!abs) {
		r = x2s_errf(err, errlen, -errno, "%s: %s", patch,
			     strerror(errno));
		goto out_names;
	}
	r = make_private_dir(dir, tmp, sizeof(tmp));
	if (r) {
		r = x2s_errf(err, errlen, r,
			     "cannot make a temporary directory: %s",
			     strerror(-r));
		goto out_names;
	}

	r = copy_in(dir, tmp, "Makefile", err, errlen);
	for (unsigned int i = 0; !r && i < x2s_nr_ktree_files; i++)
		r = copy_in(dir, tmp, x2s_ktree_files[i], err, errlen);
	for (unsigned int i = 0; !r && i < pn.n; i++)
		r = copy_in(dir, tmp, pn.v[i], err, errlen);
	if (r)
		goto out_tmp;

	r = run_patch(tmp, abs, &log);
	if (r < 0) {
		r = x2s_errf(err, errlen, r,
			     "cannot run patch: %s (apt-get install patch)",
			     strerror(-r));
		goto out_tmp;
	}
	if (r) {
		if (patch_why(log, &pn, dir, why, sizeof(why)))
			r = x2s_errf(err, errlen, -EINVAL,
				     "%s does not apply to %s: %s", patch, dir,
				     why);
		else
			r = x2s_errf(err, errlen, -EINVAL,
				     "%s is not a patch (no diff in it)",
				     patch);
		goto out_tmp;
	}

	r = x2s_ksrc_load_tree(src, tmp, dir, err, errlen);
	if (r)
		x2s_ksrc_free(src);
	else
		snprintf(src->origin, sizeof(src->origin), "%s + %s", dir,
			 patch);
out_tmp:
	remove_all(tmp);
out_names:
	free(log);
	free(abs);
	pnames_free(&pn);
	return r;
}
