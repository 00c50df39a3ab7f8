// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: case files, one case each (docs/config-format.md "Case files").
 * Written by `verify --save`, read back by `replay` and the regression
 * tests; 64-bit values are hex strings so that no JSON tool rounds them
 * through a double.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "verify/format.h"

#define X2S_CASE_VERSION 1

/*
 * A case file that x2s_case_load would refuse is worse than none: the
 * counterexample it was meant to keep is lost.  So the description must
 * read back (name and description text included) before anything is
 * written.
 */
static bool case_config_reads_back(const struct x2s_vm_desc *d)
{
	struct x2s_vm_desc back;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int r;

	m = open_memstream(&buf, &len);
	if (!m)
		return false;
	x2s_vm_desc_write(m, d, 0);
	if (fclose(m)) {
		free(buf);
		return false;
	}
	r = x2s_vm_desc_parse(buf, &back, 1, NULL, 0);
	free(buf);
	return r == 1;
}

/* A failure kind: printable ASCII, shorter than the field, or empty. */
static bool failure_valid(const char *s, size_t len)
{
	size_t n = strnlen(s, len);

	if (n == len)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

int x2s_case_write(FILE *f, const struct x2s_case *c, const char *comment)
{
	if (!f || !c || x2s_vm_desc_check(&c->config, NULL, 0) ||
	    c->sender >= c->config.nr_vcpus ||
	    (unsigned int)c->exit >= X2S_CASE_NR_EXITS || c->reg > 15 ||
	    memchr(c->fastpath, 0, sizeof(c->fastpath)) == NULL ||
	    !failure_valid(c->failure, sizeof(c->failure)) ||
	    !case_config_reads_back(&c->config))
		return -EINVAL;

	fprintf(f, "{\n  \"x2sim_case\": %d,\n", X2S_CASE_VERSION);
	if (comment) {
		fputs("  \"comment\": ", f);
		json_write_string(f, comment);
		fputs(",\n", f);
	}
	if (c->fastpath[0]) {
		fputs("  \"fastpath\": ", f);
		json_write_string(f, c->fastpath);
		fputs(",\n", f);
	}
	if (c->failure[0])
		fprintf(f, "  \"plugin_failure\": \"%s\",\n", c->failure);
	fputs("  \"config\": ", f);
	x2s_vm_desc_write(f, &c->config, 2);
	fprintf(f, ",\n  \"sender\": %" PRIu32 ",\n", c->sender);
	if (c->exit != X2S_CASE_WRMSR)
		fprintf(f, "  \"exit\": \"%s\",\n",
			x2s_case_exit_name(c->exit));
	if (x2s_case_exit_uses(c->exit) & X2S_CASE_USES_REG)
		fprintf(f, "  \"reg\": %u,\n", c->reg);
	fprintf(f,
		"  \"ecx\": \"0x%" PRIx32 "\",\n  \"data\": \"0x%016" PRIx64
		"\"\n}\n",
		c->ecx, c->data);
	if (fflush(f) || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}

/* The first five are required, the rest optional. */
static const char *const case_keys[] = {
	"x2sim_case", "config",	  "sender", "ecx", "data",
	"comment",    "fastpath", "exit",   "reg", "plugin_failure",
};
#define CASE_REQUIRED 5

static int case_from_json(const struct json_value *root, const char *file,
			  struct x2s_case *c, char *err, size_t errlen)
{
	const struct json_member *m;
	uint64_t x;
	int r;

	if (root->type != JSON_OBJECT)
		return x2s_format_fail(
			err, errlen, file, root->line, root->col,
			"a case file must hold an object, not %s",
			json_type_name(root->type));
	for (unsigned int i = 0; i < root->obj.n; i++) {
		bool known = false;

		m = &root->obj.m[i];
		for (size_t k = 0; k < sizeof(case_keys) / sizeof(*case_keys);
		     k++)
			known |= !strcmp(m->key, case_keys[k]);
		if (!known)
			return x2s_format_fail(
				err, errlen, file, m->line, m->col,
				"unknown key \"%s\" in a case file (known: x2sim_case, comment, fastpath, plugin_failure, config, sender, exit, reg, ecx, data)",
				m->key);
	}
	for (size_t k = 0; k < CASE_REQUIRED; k++) {
		if (json_member_find(root, case_keys[k]))
			continue;
		return x2s_format_fail(err, errlen, file, root->line, root->col,
				       "case file without \"%s\"",
				       case_keys[k]);
	}

	memset(c, 0, sizeof(*c));
	m = json_member_find(root, "x2sim_case");
	r = x2s_json_u64(&m->val, "x2sim_case", UINT64_MAX, &x, file, err,
			 errlen);
	if (r)
		return r;
	if (x != X2S_CASE_VERSION)
		return x2s_format_fail(
			err, errlen, file, m->val.line, m->val.col,
			"case-file version %" PRIu64
			" is not supported (this x2sim reads %d)",
			x, X2S_CASE_VERSION);

	m = json_member_find(root, "comment");
	if (m && m->val.type != JSON_STRING)
		return x2s_format_fail(err, errlen, file, m->val.line,
				       m->val.col,
				       "\"comment\" must be a string, not %s",
				       json_type_name(m->val.type));
	m = json_member_find(root, "fastpath");
	if (m) {
		if (m->val.type != JSON_STRING)
			return x2s_format_fail(
				err, errlen, file, m->val.line, m->val.col,
				"\"fastpath\" must be a string, not %s",
				json_type_name(m->val.type));
		if (!m->val.str.len || m->val.str.len >= sizeof(c->fastpath))
			return x2s_format_fail(
				err, errlen, file, m->val.line, m->val.col,
				"\"fastpath\" must be 1 to %zu bytes",
				sizeof(c->fastpath) - 1);
		memcpy(c->fastpath, m->val.str.s, m->val.str.len);
	}

	m = json_member_find(root, "plugin_failure");
	if (m) {
		if (m->val.type != JSON_STRING || !m->val.str.len ||
		    m->val.str.len >= sizeof(c->failure) ||
		    !failure_valid(m->val.str.s, sizeof(c->failure)))
			return x2s_format_fail(
				err, errlen, file, m->val.line, m->val.col,
				"\"plugin_failure\" must be a string of 1 to %zu printable characters (SIGSEGV, abort, exit(0), timeout, ...)",
				sizeof(c->failure) - 1);
		memcpy(c->failure, m->val.str.s, m->val.str.len);
	}

	m = json_member_find(root, "config");
	r = x2s_vm_desc_from_json(&m->val, file, &c->config, err, errlen);
	if (r)
		return r;

	m = json_member_find(root, "sender");
	r = x2s_json_u64(&m->val, "sender", UINT64_MAX, &x, file, err, errlen);
	if (r)
		return r;
	if (x >= c->config.nr_vcpus)
		return x2s_format_fail(
			err, errlen, file, m->val.line, m->val.col,
			"sender %" PRIu64
			" out of range (the configuration has %u vCPUs)",
			x, c->config.nr_vcpus);
	c->sender = (uint32_t)x;

	m = json_member_find(root, "exit");
	if (m) {
		int e = m->val.type == JSON_STRING ?
				x2s_case_exit_find(m->val.str.s) :
				-1;

		if (e < 0) {
			char names[256];

			x2s_case_exit_list(names, sizeof(names));
			return x2s_format_fail(
				err, errlen, file, m->val.line, m->val.col,
				"\"exit\" must name an exit (%s)", names);
		}
		c->exit = (enum x2s_case_exit)e;
	}
	m = json_member_find(root, "reg");
	if (m) {
		r = x2s_json_u64(&m->val, "reg", 15, &x, file, err, errlen);
		if (r)
			return r;
		c->reg = (uint8_t)x;
	}

	m = json_member_find(root, "ecx");
	r = x2s_json_u64(&m->val, "ecx", UINT32_MAX, &x, file, err, errlen);
	if (r)
		return r;
	c->ecx = (uint32_t)x;

	m = json_member_find(root, "data");
	return x2s_json_u64(&m->val, "data", UINT64_MAX, &c->data, file, err,
			    errlen);
}

int x2s_case_load(const char *path, struct x2s_case *c, char *err,
		  size_t errlen)
{
	struct json_value *root;
	struct json_error je;
	size_t len;
	char *text;
	int r;

	if (!path || !c)
		return x2s_format_fail(err, errlen, "<input>", 0, 0,
				       "no path or no case");
	r = x2s_read_text_file(path, &text, &len, err, errlen);
	if (r)
		return r;
	r = json_parse(text, len, &root, &je);
	free(text);
	if (r == -ENOMEM) {
		x2s_format_fail(err, errlen, path, 0, 0, "out of memory");
		return -ENOMEM;
	}
	if (r)
		return x2s_format_fail(err, errlen, path, je.line, je.col, "%s",
				       je.msg);
	r = case_from_json(root, path, c, err, errlen);
	json_free(root);
	return r;
}
