// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: finding function definitions in kernel C and taking the
 * fastpath's, verbatim.
 *
 * Kernel style makes a definition plain at file scope: a declaration whose
 * first parenthesised group after a name is the parameter list, followed
 * by a brace.  The scanner knows comments, string and character literals
 * and preprocessor lines (with continuations), and tells a function from
 * an initialiser ('=' before the brace) or a type definition (no
 * parameter list).  It does not expand macros.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "kernel/kernel.h"

static bool is_id0(int c)
{
	return isalpha(c) || c == '_';
}

static bool is_id(int c)
{
	return isalnum(c) || c == '_';
}

/* Past the comment, literal or preprocessor line at i, or i itself. */
static size_t skip_special(const char *t, size_t len, size_t i, bool line0)
{
	if (t[i] == '/' && i + 1 < len && t[i + 1] == '*') {
		const char *e = strstr(t + i + 2, "*/");

		return e ? (size_t)(e - t) + 2 : len;
	}
	if (t[i] == '/' && i + 1 < len && t[i + 1] == '/') {
		/* To the end of the line, which a backslash continues. */
		while (i < len && (t[i] != '\n' || t[i - 1] == '\\'))
			i++;
		return i;
	}
	if (t[i] == '"' || t[i] == '\'') {
		char q = t[i++];

		while (i < len && t[i] != q && t[i] != '\n')
			i += (t[i] == '\\' && i + 1 < len) ? 2 : 1;
		return i < len ? i + 1 : len;
	}
	if (t[i] == '#' && line0) {
		/* A directive, with its backslash-newline continuations. */
		while (i < len && t[i] != '\n') {
			if (t[i] == '\\' && i + 1 < len && t[i + 1] == '\n')
				i++;
			else if (t[i] == '/' && i + 1 < len && t[i + 1] == '*')
				i = skip_special(t, len, i, false) - 1;
			i++;
		}
		return i;
	}
	return i;
}

/* Whether i is the first non-blank character of its line. */
static bool at_line_start(const char *t, size_t i)
{
	while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t'))
		i--;
	return i == 0 || t[i - 1] == '\n';
}

/* Past blanks and comments from i. */
static size_t skip_blank(const char *t, size_t len, size_t i)
{
	for (;;) {
		size_t j;

		while (i < len && isspace((unsigned char)t[i]))
			i++;
		if (i >= len || t[i] != '/')
			return i;
		j = skip_special(t, len, i, false);
		if (j == i)
			return i;
		i = j;
	}
}

/* The match of the bracket at i (open/close), or len. */
static size_t match_bracket(const char *t, size_t len, size_t i, char open,
			    char close)
{
	int depth = 0;

	while (i < len) {
		size_t j = skip_special(t, len, i, at_line_start(t, i));

		if (j != i) {
			i = j;
			continue;
		}
		if (t[i] == open)
			depth++;
		else if (t[i] == close && --depth == 0)
			return i;
		i++;
	}
	return len;
}

static unsigned int line_of(const char *t, size_t off)
{
	unsigned int line = 1;

	for (size_t i = 0; i < off; i++)
		line += t[i] == '\n';
	return line;
}

/*
 * Macros taking arguments that go before (or after) a function's name:
 * annotations, not the name.
 */
static bool is_attribute(const char *s, size_t n)
{
	static const char *const attrs[] = {
		"__attribute__",
		"__attribute",
		"__aligned",
		"__section",
		"__printf",
		"__scanf",
		"__acquires",
		"__releases",
		"__must_hold",
		"__cond_acquires",
		"__cond_releases",
		"__alloc_size",
		"__assume_aligned",
		"__alias",
		"__diag_ignore",
		"__counted_by",
		"__no_sanitize_address",
		"__cleanup",
		"_Alignas",
		"__declspec",
		"__nonstring",
	};

	for (unsigned int i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (strlen(attrs[i]) == n && !strncmp(s, attrs[i], n))
			return true;
	return false;
}

/*
 * Whether (l ... r) reads as a parameter list: empty, "void", "...", or
 * with a "type name" pair (two names apart by only blanks, comments and
 * '*') somewhere.  An annotation's arguments ("2, 3", "&kvm->lock",
 * "\".text\"") have none.
 */
static bool looks_like_params(const char *t, size_t len, size_t l, size_t r)
{
	bool prev_id = false;
	size_t i = skip_blank(t, len, l + 1);

	if (i >= r || (r - i >= 4 && !strncmp(t + i, "void", 4) &&
		       skip_blank(t, len, i + 4) == r))
		return true;
	while (i < r) {
		size_t j = skip_special(t, len, i, false);

		if (j != i) {
			i = j;
			continue;
		}
		if (is_id0((unsigned char)t[i])) {
			if (prev_id)
				return true;
			while (i < r && is_id((unsigned char)t[i]))
				i++;
			prev_id = true;
			continue;
		}
		if (t[i] == '.' && i + 2 < r && t[i + 1] == '.' &&
		    t[i + 2] == '.')
			return true;
		if (!isspace((unsigned char)t[i]) && t[i] != '*')
			prev_id = false;
		i++;
	}
	return false;
}

struct decl {
	size_t start;	       /* first token of the declaration */
	size_t name, name_len; /* the function's name */
	size_t lparen, rparen; /* its parameter list */
	bool has_eq, is_static;
};

/*
 * Look at the declaration [d->start, brace) for a function header: a name
 * followed by a parenthesised group, the first that is not an annotation
 * and reads as a parameter list (else the first that is not a known
 * annotation).  False for an initialiser ('=' before the brace), a type
 * (no such group), or a declarator this does not read (a function
 * returning a function pointer).
 */
static bool decl_is_function(const char *t, size_t len, size_t brace,
			     struct decl *d)
{
	size_t i = d->start;
	bool found = false, sure = false;

	while (i < brace) {
		size_t j = skip_special(t, len, i, at_line_start(t, i));

		if (j != i) {
			i = j;
			continue;
		}
		if (t[i] == '=')
			return false;
		if (is_id0((unsigned char)t[i])) {
			size_t s = i, p;

			while (i < brace && is_id((unsigned char)t[i]))
				i++;
			if (i - s == 6 && !strncmp(t + s, "static", 6))
				d->is_static = true;
			p = skip_blank(t, len, i);
			if (p < brace && t[p] == '(') {
				size_t close =
					match_bracket(t, len, p, '(', ')');

				if (close >= brace)
					return false;
				if (!sure && !is_attribute(t + s, i - s)) {
					sure = looks_like_params(t, len, p,
								 close);
					if (!found || sure) {
						d->name = s;
						d->name_len = i - s;
						d->lparen = p;
						d->rparen = close;
					}
					found = true;
				}
				i = close + 1;
			}
			continue;
		}
		if (t[i] == '(')
			return false; /* a function pointer declarator */
		i++;
	}
	return found && d->name_len < sizeof(((struct x2s_kfunc *)0)->name);
}

static int count_params(const char *t, size_t len, size_t l, size_t r)
{
	size_t i = skip_blank(t, len, l + 1);
	int depth = 0, n = 1;

	if (i >= r)
		return 0;
	if (r - i >= 4 && !strncmp(t + i, "void", 4) &&
	    skip_blank(t, len, i + 4) == r)
		return 0;
	for (; i < r; i++) {
		size_t j = skip_special(t, len, i, false);

		if (j != i) {
			i = j - 1;
			continue;
		}
		if (t[i] == '(' || t[i] == '[')
			depth++;
		else if (t[i] == ')' || t[i] == ']')
			depth--;
		else if (t[i] == ',' && !depth)
			n++;
	}
	return n;
}

/* The EXPORT_SYMBOL*(name); statement right after end, if any. */
static void find_export(const char *t, size_t len, struct x2s_kfunc *f)
{
	size_t i = skip_blank(t, len, f->end), s = i, p, close;

	if (len - i < 13 || strncmp(t + i, "EXPORT_SYMBOL", 13))
		return;
	while (i < len && is_id((unsigned char)t[i]))
		i++;
	p = skip_blank(t, len, i);
	if (p >= len || t[p] != '(')
		return;
	close = match_bracket(t, len, p, '(', ')');
	if (close >= len)
		return;
	p = skip_blank(t, len, p + 1);
	if (strncmp(t + p, f->name, strlen(f->name)) ||
	    is_id((unsigned char)t[p + strlen(f->name)]))
		return;
	i = skip_blank(t, len, close + 1);
	if (i < len && t[i] == ';') {
		f->export_start = s;
		f->export_end = i + 1;
	}
}

static int index_file(const struct x2s_ksrc *src, unsigned int fi,
		      struct x2s_kfunc **funcs, unsigned int *nr,
		      unsigned int *cap)
{
	const char *t = src->files[fi].text;
	size_t len = src->files[fi].len, i = 0;
	struct decl d = { .start = (size_t)-1 };

	while (i < len) {
		size_t j = skip_special(t, len, i, at_line_start(t, i));

		if (j != i) {
			/* A declaration starts after a directive. */
			if (t[i] == '#')
				d.start = (size_t)-1;
			i = j;
			continue;
		}
		if (isspace((unsigned char)t[i])) {
			i++;
			continue;
		}
		if (d.start == (size_t)-1) {
			memset(&d, 0, sizeof(d));
			d.start = i;
		}
		if (t[i] == ';') {
			d.start = (size_t)-1;
			i++;
			continue;
		}
		if (t[i] == '(') {
			i = match_bracket(t, len, i, '(', ')') + 1;
			continue;
		}
		if (t[i] == '{') {
			size_t close = match_bracket(t, len, i, '{', '}');
			struct x2s_kfunc *f;

			if (close >= len)
				return 0; /* unbalanced: stop indexing here */
			if (!decl_is_function(t, len, i, &d)) {
				/* A type or an initialiser: up to its ';'. */
				i = close + 1;
				continue;
			}
			if (*nr == *cap) {
				unsigned int c = *cap ? *cap * 2 : 64;
				struct x2s_kfunc *n =
					realloc(*funcs, c * sizeof(*n));

				if (!n)
					return -ENOMEM;
				*funcs = n;
				*cap = c;
			}
			f = &(*funcs)[(*nr)++];
			memset(f, 0, sizeof(*f));
			memcpy(f->name, t + d.name, d.name_len);
			f->file = fi;
			f->start = d.start;
			while (f->start > 0 && t[f->start - 1] != '\n')
				f->start--;
			f->body = i;
			f->end = close + 1;
			f->is_static = d.is_static;
			f->nr_params = count_params(t, len, d.lparen, d.rparen);
			f->params = d.lparen;
			f->params_end = d.rparen;
			find_export(t, len, f);
			d.start = (size_t)-1;
			i = close + 1;
			continue;
		}
		if (t[i] == '}') {
			/* Stray: the end of an extern "C" or a bad file. */
			d.start = (size_t)-1;
			i++;
			continue;
		}
		i++;
	}
	return 0;
}

/* Line numbers in one pass per file, for every function. */
static void number_lines(const struct x2s_ksrc *src, struct x2s_kfunc *funcs,
			 unsigned int nr)
{
	unsigned int k = 0;

	for (unsigned int fi = 0; fi < src->nr_files; fi++) {
		const char *t = src->files[fi].text;
		unsigned int line = 1;
		size_t pos = 0;

		for (; k < nr && funcs[k].file == fi; k++) {
			line += line_of(t + pos, funcs[k].start - pos) - 1;
			pos = funcs[k].start;
			funcs[k].line = line;
			funcs[k].end_line =
				line +
				line_of(t + pos, funcs[k].end - 1 - pos) - 1;
		}
	}
}

int x2s_kindex_build(const struct x2s_ksrc *src, struct x2s_kfunc **funcs,
		     unsigned int *nr, char *err, size_t errlen)
{
	unsigned int cap = 0;
	int r;

	*funcs = NULL;
	*nr = 0;
	for (unsigned int fi = 0; fi < src->nr_files; fi++) {
		r = index_file(src, fi, funcs, nr, &cap);
		if (r) {
			free(*funcs);
			*funcs = NULL;
			*nr = 0;
			return x2s_errf(err, errlen, r, "out of memory");
		}
	}
	number_lines(src, *funcs, *nr);
	return 0;
}

const struct x2s_kfunc *x2s_kindex_find(const struct x2s_kfunc *funcs,
					unsigned int nr, const char *name)
{
	for (unsigned int i = 0; i < nr; i++)
		if (!strcmp(funcs[i].name, name))
			return &funcs[i];
	return NULL;
}

/* ---- extraction ---- */

static bool listed(const char *const *list, const char *name)
{
	for (; list && *list; list++)
		if (!strcmp(*list, name))
			return true;
	return false;
}

static bool may_take(const struct x2s_kfunc *f, const char *const *provided)
{
	return (f->is_static || strstr(f->name, "fastpath")) &&
	       !listed(provided, f->name);
}

/* Mark what f calls that is to be taken; returns how many were new. */
static unsigned int take_callees(const struct x2s_ksrc *src,
				 const struct x2s_kfunc *f,
				 const struct x2s_kfunc *index, unsigned int nr,
				 bool *taken, const char *const *provided)
{
	const char *t = src->files[f->file].text;
	size_t len = f->end, i = f->body + 1;
	unsigned int added = 0;

	while (i < len) {
		size_t j = skip_special(t, len, i, at_line_start(t, i));

		if (j != i) {
			i = j;
			continue;
		}
		if (is_id0((unsigned char)t[i]) &&
		    (i == 0 || !is_id((unsigned char)t[i - 1]))) {
			size_t s = i, p;
			char name[128];

			while (i < len && is_id((unsigned char)t[i]))
				i++;
			p = skip_blank(t, len, i);
			if (p >= len || t[p] != '(' || i - s >= sizeof(name))
				continue;
			memcpy(name, t + s, i - s);
			name[i - s] = '\0';
			/* The first definition of the name, as find does. */
			for (unsigned int k = 0; k < nr; k++) {
				if (strcmp(index[k].name, name))
					continue;
				if (!taken[k] &&
				    may_take(&index[k], provided)) {
					taken[k] = true;
					added++;
				}
				break;
			}
			continue;
		}
		i++;
	}
	return added;
}

/* Append to a message being built in buf (truncated at its size). */
static void append(char *buf, size_t size, const char *fmt, const char *s)
{
	size_t n = strlen(buf);

	if (n + 1 < size)
		snprintf(buf + n, size - n, fmt, s);
}

/* "ORIGIN: no definition of A, B in FILES (looked for A, B, C)" */
static void missing_roots(const struct x2s_ksrc *src, const char *const *roots,
			  const struct x2s_kfunc *index, unsigned int nr,
			  char *err, size_t errlen)
{
	char missing[1024] = "", all[1024] = "", files[1024] = "";

	for (const char *const *root = roots; *root; root++) {
		if (!x2s_kindex_find(index, nr, *root))
			append(missing, sizeof(missing),
			       missing[0] ? ", %s" : "%s", *root);
		append(all, sizeof(all), all[0] ? ", %s" : "%s", *root);
	}
	for (unsigned int i = 0; i < src->nr_files; i++)
		append(files, sizeof(files), i ? ", %s" : "%s",
		       src->files[i].path);
	x2s_errf(err, errlen, -ENOENT,
		 "%s: no definition of %s in %s (looked for %s)", src->origin,
		 missing, files[0] ? files : "no file", all);
}

int x2s_kernel_extract(const struct x2s_ksrc *src, const char *const *roots,
		       const char *const *provided, struct x2s_kextract *out,
		       char *err, size_t errlen)
{
	struct x2s_kfunc *index = NULL;
	unsigned int nr = 0, n = 0;
	bool *taken;
	int r;

	memset(out, 0, sizeof(*out));
	r = x2s_kindex_build(src, &index, &nr, err, errlen);
	if (r)
		return r;
	taken = calloc(nr ? nr : 1, sizeof(*taken));
	if (!taken) {
		free(index);
		return x2s_errf(err, errlen, -ENOMEM, "out of memory");
	}
	for (const char *const *root = roots; root && *root; root++) {
		const struct x2s_kfunc *f = x2s_kindex_find(index, nr, *root);

		if (!f) {
			missing_roots(src, roots, index, nr, err, errlen);
			free(taken);
			free(index);
			return -ENOENT;
		}
		taken[f - index] = true;
	}
	/* To a fixed point: each pass looks at everything taken so far. */
	for (bool more = true; more;) {
		more = false;
		for (unsigned int k = 0; k < nr; k++)
			if (taken[k] && take_callees(src, &index[k], index, nr,
						     taken, provided))
				more = true;
	}
	for (unsigned int k = 0; k < nr; k++)
		if (taken[k])
			index[n++] = index[k];
	free(taken);
	if (!n) {
		free(index);
		index = NULL;
	}
	out->funcs = index;
	out->nr = n;
	return 0;
}

void x2s_kextract_free(struct x2s_kextract *x)
{
	if (!x)
		return;
	free(x->funcs);
	memset(x, 0, sizeof(*x));
}

static void emit_line(FILE *f, unsigned int line, const char *path)
{
	fprintf(f, "#line %u \"", line);
	for (const char *p = path; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputs("\"\n", f);
}

int x2s_kextract_emit(const struct x2s_ksrc *src, const struct x2s_kextract *x,
		      FILE *f)
{
	/* Declarations first: the definitions call each other freely. */
	for (unsigned int k = 0; k < x->nr; k++) {
		const struct x2s_kfunc *fn = &x->funcs[k];
		const char *t = src->files[fn->file].text;

		emit_line(f, fn->line, src->files[fn->file].path);
		fwrite(t + fn->start, 1, fn->params_end + 1 - fn->start, f);
		fputs(";\n", f);
	}
	for (unsigned int k = 0; k < x->nr; k++) {
		const struct x2s_kfunc *fn = &x->funcs[k];
		const char *t = src->files[fn->file].text;
		size_t end = fn->export_end ? fn->export_end : fn->end;

		fputc('\n', f);
		emit_line(f, fn->line, src->files[fn->file].path);
		fwrite(t + fn->start, 1, end - fn->start, f);
		fputc('\n', f);
	}
	return fflush(f) || ferror(f) ? -EIO : 0;
}
