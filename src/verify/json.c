// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: strict JSON reader (recursive descent into a small tree) and the
 * string writer.  Not on any hot path: files are read once per run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "verify/json.h"

struct json_parser {
	const char *p, *end;
	unsigned int line, col;
	unsigned int depth;
	unsigned int nr_values;
	bool nomem;
	struct json_error *err;
};

static int json_fail_at(struct json_parser *ps, unsigned int line,
			unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int json_fail_at(struct json_parser *ps, unsigned int line,
			unsigned int col, const char *fmt, ...)
{
	va_list ap;

	if (ps->err) {
		ps->err->line = line;
		ps->err->col = col;
		va_start(ap, fmt);
		vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

#define json_fail(ps, ...) json_fail_at(ps, (ps)->line, (ps)->col, __VA_ARGS__)

/* "'x'" for printable ASCII, "byte 0xNN" otherwise. */
static const char *json_char_name(char c, char *buf, size_t len)
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x20 && u < 0x7f)
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02x", u);
	return buf;
}

static void json_advance(struct json_parser *ps)
{
	unsigned char c = (unsigned char)*ps->p++;

	if (c == '\n') {
		ps->line++;
		ps->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		/* Columns count characters: UTF-8 continuation bytes do not. */
		ps->col++;
	}
}

static void json_skip_ws(struct json_parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		json_advance(ps);
}

static bool json_is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '+' ||
	       c == '-';
}

static int json_parse_value(struct json_parser *ps, struct json_value *v);

static int json_parse_literal(struct json_parser *ps, struct json_value *v)
{
	static const struct {
		const char *word;
		enum json_type type;
		bool b;
	} lits[] = {
		{ "true", JSON_BOOL, true },
		{ "false", JSON_BOOL, false },
		{ "null", JSON_NULL, false },
	};
	const char *start = ps->p;
	size_t n = 0;

	while (start + n < ps->end && json_is_word_char(start[n]))
		n++;
	for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		if (strlen(lits[i].word) == n &&
		    !memcmp(start, lits[i].word, n)) {
			v->type = lits[i].type;
			v->b = lits[i].b;
			while (n--)
				json_advance(ps);
			return 0;
		}
	}
	return json_fail(ps, "invalid literal '%.*s' (expected a value)",
			 (int)(n > 24 ? 24 : n), start);
}

static int json_parse_number(struct json_parser *ps, struct json_value *v)
{
	unsigned int line = ps->line, col = ps->col;
	uint64_t mag = 0;
	bool neg = false, overflow = false;
	char buf[16];

	if (*ps->p == '-') {
		neg = true;
		json_advance(ps);
	}
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
		return json_fail(ps, "expected a digit after '-'");
	if (*ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' &&
	    ps->p[1] <= '9')
		return json_fail_at(ps, line, col,
				    "leading zeros are not allowed");
	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
		unsigned int d = (unsigned int)(*ps->p - '0');

		if (mag > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			mag = mag * 10 + d;
		json_advance(ps);
	}
	if (ps->p < ps->end &&
	    (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E'))
		return json_fail_at(
			ps, line, col,
			"floating-point numbers are not supported (integers only)");
	if (ps->p < ps->end && json_is_word_char(*ps->p))
		return json_fail(ps, "invalid number: unexpected %s",
				 json_char_name(*ps->p, buf, sizeof(buf)));
	if (overflow || (neg && mag > (uint64_t)INT64_MAX + 1))
		return json_fail_at(ps, line, col,
				    "integer does not fit in 64 bits");
	v->type = JSON_INT;
	v->i.mag = mag;
	v->i.neg = neg && mag;
	return 0;
}

static int json_hex4(struct json_parser *ps, unsigned int *out)
{
	unsigned int u = 0;

	for (int i = 0; i < 4; i++) {
		char c = ps->p < ps->end ? *ps->p : 0;
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned int)(c - 'A' + 10);
		else
			return json_fail(
				ps, "\\u must be followed by 4 hex digits");
		u = u << 4 | d;
		json_advance(ps);
	}
	*out = u;
	return 0;
}

static void json_put_utf8(char *buf, size_t *n, unsigned int cp)
{
	if (cp < 0x80) {
		buf[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		buf[(*n)++] = (char)(0xc0 | cp >> 6);
		buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		buf[(*n)++] = (char)(0xe0 | cp >> 12);
		buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		buf[(*n)++] = (char)(0xf0 | cp >> 18);
		buf[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* Length of the well-formed UTF-8 sequence at p, or 0. */
static size_t json_utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned int cp, min;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int json_parse_string(struct json_parser *ps, char **out, size_t *outlen)
{
	unsigned int line = ps->line, col = ps->col;
	const char *scan;
	size_t n = 0, cap;
	char *buf;
	char cb[16];
	int r;

	json_advance(ps); /* the opening quote */
	/*
	 * Escapes only shrink, so the raw text up to the closing quote bounds
	 * the decoded length.
	 */
	for (scan = ps->p; scan < ps->end && *scan != '"'; scan++)
		if (*scan == '\\' && scan + 1 < ps->end)
			scan++;
	cap = (size_t)(scan - ps->p) + 1;
	buf = malloc(cap);
	if (!buf) {
		ps->nomem = true;
		return -ENOMEM;
	}
	for (;;) {
		unsigned char c;

		if (ps->p >= ps->end) {
			r = json_fail_at(ps, line, col, "unterminated string");
			goto fail;
		}
		c = (unsigned char)*ps->p;
		if (c == '"') {
			json_advance(ps);
			break;
		}
		if (c < 0x20) {
			r = json_fail(
				ps,
				"control character 0x%02x in string (escape it)",
				c);
			goto fail;
		}
		if (c >= 0x80) {
			size_t l =
				json_utf8_len((const unsigned char *)ps->p,
					      (const unsigned char *)ps->end);

			if (!l) {
				r = json_fail(ps, "invalid UTF-8 in string");
				goto fail;
			}
			while (l--) {
				buf[n++] = *ps->p;
				json_advance(ps);
			}
			continue;
		}
		if (c != '\\') {
			buf[n++] = (char)c;
			json_advance(ps);
			continue;
		}
		json_advance(ps);
		c = ps->p < ps->end ? (unsigned char)*ps->p : 0;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			buf[n++] = (char)c;
			break;
		case 'b':
			buf[n++] = '\b';
			break;
		case 'f':
			buf[n++] = '\f';
			break;
		case 'n':
			buf[n++] = '\n';
			break;
		case 'r':
			buf[n++] = '\r';
			break;
		case 't':
			buf[n++] = '\t';
			break;
		case 'u': {
			unsigned int eline = ps->line, ecol = ps->col - 1;
			unsigned int cp, lo;

			json_advance(ps);
			r = json_hex4(ps, &cp);
			if (r)
				goto fail;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				r = json_fail_at(ps, eline, ecol,
						 "unpaired UTF-16 surrogate");
				goto fail;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->end - ps->p < 2 || ps->p[0] != '\\' ||
				    ps->p[1] != 'u') {
					r = json_fail_at(
						ps, eline, ecol,
						"unpaired UTF-16 surrogate");
					goto fail;
				}
				json_advance(ps);
				json_advance(ps);
				r = json_hex4(ps, &lo);
				if (r)
					goto fail;
				if (lo < 0xdc00 || lo > 0xdfff) {
					r = json_fail_at(
						ps, eline, ecol,
						"unpaired UTF-16 surrogate");
					goto fail;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			}
			if (!cp) {
				r = json_fail_at(ps, eline, ecol,
						 "\\u0000 is not allowed");
				goto fail;
			}
			json_put_utf8(buf, &n, cp);
			continue;
		}
		default:
			r = ps->p < ps->end ?
				    json_fail(ps, "invalid escape \\%s",
					      json_char_name((char)c, cb,
							     sizeof(cb))) :
				    json_fail_at(ps, line, col,
						 "unterminated string");
			goto fail;
		}
		json_advance(ps);
	}
	buf[n] = 0;
	*out = buf;
	*outlen = n;
	return 0;
fail:
	free(buf);
	return r;
}

static int json_parse_array(struct json_parser *ps, struct json_value *v)
{
	unsigned int cap = 0;
	int r;

	v->type = JSON_ARRAY;
	json_advance(ps);
	json_skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		json_advance(ps);
		return 0;
	}
	for (;;) {
		char cb[16];

		if (v->arr.n == cap) {
			unsigned int ncap = cap ? cap * 2 : 4;
			struct json_value *nv =
				realloc(v->arr.v, ncap * sizeof(*nv));

			if (!nv) {
				ps->nomem = true;
				return -ENOMEM;
			}
			v->arr.v = nv;
			cap = ncap;
		}
		json_skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ']')
			return json_fail(ps, "trailing comma in array");
		r = json_parse_value(ps, &v->arr.v[v->arr.n]);
		/* Counted even on failure: json_free releases partial work. */
		v->arr.n++;
		if (r)
			return r;
		json_skip_ws(ps);
		if (ps->p >= ps->end)
			return json_fail(ps, "unterminated array");
		if (*ps->p == ']') {
			json_advance(ps);
			return 0;
		}
		if (*ps->p != ',')
			return json_fail(
				ps, "expected ',' or ']', found %s",
				json_char_name(*ps->p, cb, sizeof(cb)));
		json_advance(ps);
	}
}

static int json_parse_object(struct json_parser *ps, struct json_value *v)
{
	unsigned int cap = 0;
	int r;

	v->type = JSON_OBJECT;
	json_advance(ps);
	json_skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		json_advance(ps);
		return 0;
	}
	for (;;) {
		struct json_member *m;
		char cb[16];
		size_t klen;

		json_skip_ws(ps);
		if (ps->p >= ps->end)
			return json_fail(ps, "unterminated object");
		if (*ps->p == '}')
			return json_fail(ps, "trailing comma in object");
		if (*ps->p != '"')
			return json_fail(
				ps, "expected a string key, found %s",
				json_char_name(*ps->p, cb, sizeof(cb)));
		if (v->obj.n == cap) {
			unsigned int ncap = cap ? cap * 2 : 8;
			struct json_member *nm =
				realloc(v->obj.m, ncap * sizeof(*nm));

			if (!nm) {
				ps->nomem = true;
				return -ENOMEM;
			}
			v->obj.m = nm;
			cap = ncap;
		}
		m = &v->obj.m[v->obj.n];
		memset(m, 0, sizeof(*m));
		m->line = ps->line;
		m->col = ps->col;
		r = json_parse_string(ps, &m->key, &klen);
		if (r)
			return r;
		/* Counted now so that json_free releases the key. */
		v->obj.n++;
		if (strlen(m->key) != klen)
			return json_fail_at(ps, m->line, m->col,
					    "NUL in object key");
		for (unsigned int i = 0; i + 1 < v->obj.n; i++)
			if (!strcmp(v->obj.m[i].key, m->key))
				return json_fail_at(ps, m->line, m->col,
						    "duplicate key \"%s\"",
						    m->key);
		json_skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return json_fail(ps, "expected ':' after key \"%s\"",
					 m->key);
		json_advance(ps);
		json_skip_ws(ps);
		r = json_parse_value(ps, &m->val);
		if (r)
			return r;
		json_skip_ws(ps);
		if (ps->p >= ps->end)
			return json_fail(ps, "unterminated object");
		if (*ps->p == '}') {
			json_advance(ps);
			return 0;
		}
		if (*ps->p != ',')
			return json_fail(
				ps, "expected ',' or '}', found %s",
				json_char_name(*ps->p, cb, sizeof(cb)));
		json_advance(ps);
	}
}

static int json_parse_value(struct json_parser *ps, struct json_value *v)
{
	char cb[16];
	int r;

	memset(v, 0, sizeof(*v));
	v->type = JSON_NULL;
	v->line = ps->line;
	v->col = ps->col;
	if (ps->p >= ps->end)
		return json_fail(ps,
				 "unexpected end of input (expected a value)");
	if (++ps->nr_values > JSON_MAX_VALUES)
		return json_fail(ps, "more than %u values", JSON_MAX_VALUES);

	switch (*ps->p) {
	case '{':
	case '[':
		if (ps->depth >= JSON_MAX_DEPTH)
			return json_fail(ps, "nesting deeper than %d levels",
					 JSON_MAX_DEPTH);
		ps->depth++;
		r = *ps->p == '{' ? json_parse_object(ps, v) :
				    json_parse_array(ps, v);
		ps->depth--;
		return r;
	case '"':
		r = json_parse_string(ps, &v->str.s, &v->str.len);
		if (!r)
			v->type = JSON_STRING;
		return r;
	case '-':
	case '0' ... '9':
		return json_parse_number(ps, v);
	case 't':
	case 'f':
	case 'n':
		return json_parse_literal(ps, v);
	case '.':
	case '+':
		return json_fail(ps, "invalid number (JSON integers have no "
				     "leading '+' or '.')");
	default:
		return json_fail(ps, "unexpected %s (expected a value)",
				 json_char_name(*ps->p, cb, sizeof(cb)));
	}
}

int json_parse(const char *text, size_t len, struct json_value **out,
	       struct json_error *err)
{
	struct json_parser ps = {
		.p = text,
		.end = text + len,
		.line = 1,
		.col = 1,
		.err = err,
	};
	struct json_value *v;
	const char *nul;
	char cb[16];
	int r;

	*out = NULL;
	if (err)
		memset(err, 0, sizeof(*err));
	if (len > JSON_MAX_SIZE)
		return json_fail(&ps, "input larger than %u bytes",
				 JSON_MAX_SIZE);
	/* Locate NUL bytes up front: nothing after one would be seen. */
	nul = memchr(text, 0, len);
	if (nul) {
		ps.end = nul;
		while (ps.p < ps.end)
			json_advance(&ps);
		return json_fail(&ps, "NUL byte in input");
	}
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		ps.p += 3;
	json_skip_ws(&ps);
	if (ps.p >= ps.end)
		return json_fail(&ps, "empty document (expected a JSON value)");

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	r = json_parse_value(&ps, v);
	if (!r) {
		json_skip_ws(&ps);
		if (ps.p < ps.end)
			r = json_fail(&ps, "trailing %s after the JSON value",
				      json_char_name(*ps.p, cb, sizeof(cb)));
	}
	if (r) {
		json_free(v);
		if (ps.nomem)
			return -ENOMEM;
		return r;
	}
	*out = v;
	return 0;
}

static void json_free_inner(struct json_value *v)
{
	switch (v->type) {
	case JSON_STRING:
		free(v->str.s);
		break;
	case JSON_ARRAY:
		for (unsigned int i = 0; i < v->arr.n; i++)
			json_free_inner(&v->arr.v[i]);
		free(v->arr.v);
		break;
	case JSON_OBJECT:
		for (unsigned int i = 0; i < v->obj.n; i++) {
			free(v->obj.m[i].key);
			json_free_inner(&v->obj.m[i].val);
		}
		free(v->obj.m);
		break;
	default:
		break;
	}
}

void json_free(struct json_value *v)
{
	if (!v)
		return;
	json_free_inner(v);
	free(v);
}

const struct json_member *json_member_find(const struct json_value *obj,
					   const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (unsigned int i = 0; i < obj->obj.n; i++)
		if (!strcmp(obj->obj.m[i].key, key))
			return &obj->obj.m[i];
	return NULL;
}

const char *json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL:
		return "null";
	case JSON_BOOL:
		return "a boolean";
	case JSON_INT:
		return "an integer";
	case JSON_STRING:
		return "a string";
	case JSON_ARRAY:
		return "an array";
	case JSON_OBJECT:
		return "an object";
	}
	return "?";
}

void json_write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
