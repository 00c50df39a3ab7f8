// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim merge: join the JSON reports of the shards of one verify run
 * (--shard K/N, --shard-index I --shard-count N) into the report the
 * unsharded run writes: counts and profiles added, finding classes
 * joined by their class key, each keeping its smallest case
 * (docs/scale-out.md, docs/verify-json.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "verify/format.h"
#include "verify/json.h"
#include "verify/verify.h"

#define MAX_INPUTS 4096
#define MAX_VARIANTS 8
#define MAX_CONFIGS 64

static const char *const dm_names[8] = { "Fixed", "LowPrio", "SMI",  "RemRd",
					 "NMI",	  "INIT",    "SIPI", "ExtINT" };
static const char *const sh_names[4] = { "none", "self", "all", "all-but" };

struct input {
	const char *path;
	struct json_value *root;
	unsigned int shard, nr_shards;
	const char *shard_name;
	const struct json_value *command;
};

/* A class as merging builds it: its example may be unknown. */
struct mclass {
	struct x2s_finding f;
	bool has_example;
	const char *case_file;
};

struct mvariant {
	struct mclass *c;
	unsigned int nr, cap;
};

static const char *merge_file; /* the input being read, for messages */

static int bad(const struct json_value *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "FILE:LINE:COL: not a verify report: ..." */
static int bad(const struct json_value *v, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cli_error("merge", "%s:%u:%u: %s", merge_file, v ? v->line : 0,
			 v ? v->col : 0, msg);
}

static const struct json_value *get(const struct json_value *obj,
				    const char *key, enum json_type type)
{
	const struct json_member *m = json_member_find(obj, key);

	if (!m || m->val.type != type)
		return NULL;
	return &m->val;
}

/* A required member of a type: NULL after the message. */
static const struct json_value *need(const struct json_value *obj,
				     const char *key, enum json_type type)
{
	const struct json_value *v = get(obj, key, type);

	if (!v)
		bad(obj, "no \"%s\" (%s) here, as a verify report has", key,
		    json_type_name(type));
	return v;
}

static bool need_u64(const struct json_value *obj, const char *key, u64 max,
		     u64 *out)
{
	const struct json_value *v = need(obj, key, JSON_INT);

	if (!v)
		return false;
	if (v->i.neg || v->i.mag > max) {
		bad(v, "\"%s\" out of range", key);
		return false;
	}
	*out = v->i.mag;
	return true;
}

static const char *need_str(const struct json_value *obj, const char *key)
{
	const struct json_value *v = need(obj, key, JSON_STRING);

	return v ? v->str.s : NULL;
}

/* A "0x..." string of at most 16 hex digits. */
static bool need_hex(const struct json_value *obj, const char *key, u64 max,
		     u64 *out)
{
	const struct json_value *v = need(obj, key, JSON_STRING);
	char err[256];

	if (!v)
		return false;
	if (x2s_json_u64(v, key, max, out, merge_file, err, sizeof(err))) {
		cli_message("merge", "%s", err);
		return false;
	}
	return true;
}

/* Index of s in names[0..n), -1 if none. */
static int name_index(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static bool json_equal(const struct json_value *a, const struct json_value *b)
{
	if (!a || !b)
		return a == b;
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case JSON_NULL:
		return true;
	case JSON_BOOL:
		return a->b == b->b;
	case JSON_INT:
		return a->i.neg == b->i.neg && a->i.mag == b->i.mag;
	case JSON_STRING:
		return !strcmp(a->str.s, b->str.s);
	case JSON_ARRAY:
		if (a->arr.n != b->arr.n)
			return false;
		for (unsigned int i = 0; i < a->arr.n; i++)
			if (!json_equal(&a->arr.v[i], &b->arr.v[i]))
				return false;
		return true;
	case JSON_OBJECT:
		if (a->obj.n != b->obj.n)
			return false;
		for (unsigned int i = 0; i < a->obj.n; i++) {
			const struct json_member *m =
				json_member_find(b, a->obj.m[i].key);

			if (!m || !json_equal(&a->obj.m[i].val, &m->val))
				return false;
		}
		return true;
	}
	return false;
}

/* The JSON text of a value, cut short, for a message. */
static const char *show(const struct json_value *v, char *buf, size_t len)
{
	FILE *m;

	if (!v) {
		snprintf(buf, len, "none");
		return buf;
	}
	if (v->type == JSON_STRING) {
		snprintf(buf, len, "%s", v->str.s);
		return buf;
	}
	m = fmemopen(buf, len, "w");
	if (!m) {
		snprintf(buf, len, "?");
		return buf;
	}
	setvbuf(m, NULL, _IONBF, 0);
	cli_json_write_value(m, v);
	fclose(m);
	buf[len - 1] = '\0';
	if (strlen(buf) == len - 1)
		memcpy(buf + len - 4, "...", 3);
	return buf;
}

/* Must be the same in every report of one run. */
static const struct {
	const char *key;
	const char *what;
} same_keys[] = {
	{ "x2sim", "the x2sim version" },
	{ "kvm_model", "the KVM modelled" },
	{ "kernel", "the kernel fastpath" },
	{ "plugin", "the plugin" },
	{ "sweep", "the sweep" },
	{ "reduced", "the sweep" },
	{ "contract", "the contract" },
	{ "max_counterexamples", "--max-counterexamples" },
	{ "configs", "the configurations" },
	{ "configs_sha256", "the configurations" },
};

static int check_same(const struct input *a, const struct input *b)
{
	const struct json_value *va, *vb;
	char sa[128], sb[128];

	for (size_t i = 0; i < sizeof(same_keys) / sizeof(same_keys[0]); i++) {
		const struct json_member *ma =
			json_member_find(a->root, same_keys[i].key);
		const struct json_member *mb =
			json_member_find(b->root, same_keys[i].key);

		va = ma ? &ma->val : NULL;
		vb = mb ? &mb->val : NULL;
		if (json_equal(va, vb))
			continue;
		return cli_error(
			"merge",
			"%s and %s are not shards of one run: they differ in %s (\"%s\": %s; %s)",
			a->path, b->path, same_keys[i].what, same_keys[i].key,
			show(va, sa, sizeof(sa)), show(vb, sb, sizeof(sb)));
	}
	/* The fastpaths: the variants' names, in order. */
	va = get(a->root, "variants", JSON_ARRAY);
	vb = get(b->root, "variants", JSON_ARRAY);
	for (unsigned int k = 0; k < va->arr.n || k < vb->arr.n; k++) {
		const struct json_value *na =
			k < va->arr.n ?
				get(&va->arr.v[k], "name", JSON_STRING) :
				NULL;
		const struct json_value *nb =
			k < vb->arr.n ?
				get(&vb->arr.v[k], "name", JSON_STRING) :
				NULL;

		if (!json_equal(na, nb))
			return cli_error(
				"merge",
				"%s and %s are not shards of one run: they differ in the fastpaths (%s; %s)",
				a->path, b->path, show(na, sa, sizeof(sa)),
				show(nb, sb, sizeof(sb)));
	}
	return 0;
}

static int load_input(struct input *in)
{
	struct json_error je;
	char err[512], *text;
	const struct json_value *v;
	size_t len;
	u64 fmt;
	int r;

	merge_file = in->path;
	r = x2s_read_text_file(in->path, &text, &len, err, sizeof(err));
	if (r)
		return cli_error("merge", "%s", err);
	r = json_parse(text, len, &in->root, &je);
	free(text);
	if (r)
		return cli_error("merge", "%s:%u:%u: %s", in->path, je.line,
				 je.col,
				 r == -ENOMEM ? "out of memory" : je.msg);
	if (in->root->type != JSON_OBJECT ||
	    !json_member_find(in->root, "x2sim_verify"))
		return cli_error("merge", "%s is not an x2sim verify report",
				 in->path);
	if (!need_u64(in->root, "x2sim_verify", UINT32_MAX, &fmt))
		return EXIT_USAGE;
	if (fmt != CLI_REPORT_FORMAT)
		return cli_error(
			"merge",
			"%s is a verify report of format %llu; merge reads format %d (x2sim %s)",
			in->path, (unsigned long long)fmt, CLI_REPORT_FORMAT,
			cli_version());
	for (size_t i = 0; i < sizeof(same_keys) / sizeof(same_keys[0]); i++) {
		/* kernel and plugin are optional; the rest is not. */
		if (!strcmp(same_keys[i].key, "kernel") ||
		    !strcmp(same_keys[i].key, "plugin"))
			continue;
		if (!json_member_find(in->root, same_keys[i].key))
			return bad(in->root,
				   "no \"%s\" here, as a verify report has",
				   same_keys[i].key);
	}
	v = need(in->root, "shard", JSON_STRING);
	if (!v)
		return EXIT_USAGE;
	if (sscanf(v->str.s, "%u/%u", &in->shard, &in->nr_shards) != 2 ||
	    !in->shard || in->shard > in->nr_shards)
		return bad(v, "\"shard\" is not K/N: %s", v->str.s);
	in->shard_name = v->str.s;
	in->command = need(in->root, "command", JSON_ARRAY);
	if (!in->command || !need(in->root, "variants", JSON_ARRAY))
		return EXIT_USAGE;
	return 0;
}

/* ---- findings ---- */

static bool class_from_json(const struct json_value *o, struct x2s_finding *f)
{
	const char *verdict = need_str(o, "verdict");
	const char *res = need_str(o, "fastpath_result");
	const char *cause = need_str(o, "cause");
	const char *exit = need_str(o, "exit");
	const char *warn = need_str(o, "warn");
	int i, x;

	memset(f, 0, sizeof(*f));
	if (!verdict || !res || !cause || !exit || !warn ||
	    !need_u64(o, "count", UINT64_MAX, &f->count))
		return false;
	if (!strcmp(verdict, "contract violation")) {
		const char *dm = need_str(o, "delivery_mode");
		const char *dest = need_str(o, "dest_mode");
		const char *sh = need_str(o, "shorthand");
		u64 t;

		f->violation = true;
		f->verdict = X2S_VERDICT_EQUAL;
		if (!dm || !dest || !sh || !need_u64(o, "targets", 3, &t))
			return false;
		i = name_index(dm, dm_names, 8);
		x = name_index(sh, sh_names, 4);
		if (i < 0 || x < 0 ||
		    (strcmp(dest, "logical") && strcmp(dest, "physical"))) {
			bad(o, "a violation's ICR class is not known");
			return false;
		}
		f->delivery_mode = (u8)i;
		f->shorthand = (u8)x;
		f->logical = !strcmp(dest, "logical");
		f->targets = (u8)t;
	} else {
		for (i = 0; i <= X2S_VERDICT_WARN; i++)
			if (!strcmp(verdict,
				    x2s_verdict_name((enum x2s_verdict)i)))
				break;
		if (i > X2S_VERDICT_WARN) {
			bad(o, "unknown verdict \"%s\"", verdict);
			return false;
		}
		f->verdict = (enum x2s_verdict)i;
	}
	for (i = -8; i < 64; i++)
		if (!strcmp(res, x2s_fastpath_result_name(i)))
			break;
	if (i == 64) {
		bad(o, "unknown fastpath_result \"%s\"", res);
		return false;
	}
	f->fastpath = i;
	f->cause = X2S_CAUSE_NONE;
	for (i = 0; cause[0] && i < X2S_CAUSE_NONE; i++)
		if (!strcmp(cause, x2s_cause_name((enum x2s_cause)i)))
			break;
	if (cause[0] && i == X2S_CAUSE_NONE) {
		bad(o, "unknown cause \"%s\"", cause);
		return false;
	}
	if (cause[0])
		f->cause = (enum x2s_cause)i;
	x = x2s_case_exit_find(exit);
	if (x < 0 || strlen(warn) >= sizeof(f->warn)) {
		bad(o, "unknown exit \"%s\" or a WARN too long", exit);
		return false;
	}
	f->example.exit = (enum x2s_case_exit)x;
	snprintf(f->warn, sizeof(f->warn), "%s", warn);
	return true;
}

/*
 * A finding's minimal case: its configuration from the named set when
 * the report's configurations are the named ones, else by name and size.
 */
static bool case_from_json(const struct json_value *o,
			   const struct json_value *configs, bool named,
			   struct x2s_case *c, unsigned int *config_index)
{
	const char *name = need_str(o, "config");
	const struct json_value *reg = get(o, "reg", JSON_INT);
	u64 vcpus, sender, ecx, data;
	int idx = -1;

	if (!name || !need_u64(o, "vcpus", X2S_DESC_MAX_VCPUS, &vcpus) ||
	    !need_u64(o, "sender", X2S_DESC_MAX_VCPUS - 1, &sender) ||
	    !need_hex(o, "ecx", UINT32_MAX, &ecx) ||
	    !need_hex(o, "data", UINT64_MAX, &data))
		return false;
	for (unsigned int i = 0; i < configs->arr.n && idx < 0; i++)
		if (configs->arr.v[i].type == JSON_STRING &&
		    !strcmp(configs->arr.v[i].str.s, name))
			idx = (int)i;
	if (idx < 0 || !vcpus || sender >= vcpus ||
	    strlen(name) >= X2S_DESC_NAME_LEN) {
		bad(o,
		    "the case's configuration \"%s\" is not one of the report's",
		    name);
		return false;
	}
	if (named && x2s_named_config_find(name))
		c->config = *x2s_named_config_find(name);
	else
		x2s_vm_desc_init(&c->config, name, (unsigned int)vcpus);
	c->sender = (u32)sender;
	c->ecx = (u32)ecx;
	c->data = data;
	c->reg = reg && !reg->i.neg && reg->i.mag < 16 ? (u8)reg->i.mag : 0;
	*config_index = (unsigned int)idx;
	return true;
}

static bool add_class(struct mvariant *mv, const struct mclass *n)
{
	for (unsigned int i = 0; i < mv->nr; i++) {
		struct mclass *c = &mv->c[i];

		if (x2s_finding_class_cmp(&c->f, &n->f))
			continue;
		c->f.count += n->f.count;
		if (n->has_example &&
		    (!c->has_example ||
		     x2s_finding_example_smaller(&n->f, &c->f))) {
			u64 count = c->f.count;

			c->f = n->f;
			c->f.count = count;
			c->has_example = true;
			c->case_file = n->case_file;
		}
		return true;
	}
	if (mv->nr == mv->cap) {
		unsigned int cap = mv->cap ? 2 * mv->cap : 16;
		struct mclass *p = realloc(mv->c, cap * sizeof(*p));

		if (!p)
			return false;
		mv->c = p;
		mv->cap = cap;
	}
	mv->c[mv->nr++] = *n;
	return true;
}

static int mclass_order(const void *a, const void *b)
{
	return x2s_finding_class_cmp(&((const struct mclass *)a)->f,
				     &((const struct mclass *)b)->f);
}

static bool failure_from_json(const struct json_value *o,
			      const struct json_value *configs, bool named,
			      const char *shard, struct cli_failure *fl)
{
	const char *kind = need_str(o, "plugin_failure");
	const char *msg = need_str(o, "message");
	const struct json_value *cf = get(o, "case_file", JSON_STRING);

	memset(fl, 0, sizeof(*fl));
	if (!kind || !msg)
		return false;
	snprintf(fl->kind, sizeof(fl->kind), "%s", kind);
	snprintf(fl->message, sizeof(fl->message), "%s", msg);
	fl->shard = shard;
	if (json_member_find(o, "config")) {
		unsigned int idx;
		const char *exit = need_str(o, "exit");
		char text[96];
		int x = exit ? x2s_case_exit_find(exit) : -1;

		if (x < 0) {
			bad(o, "a failure's case has no known exit");
			return false;
		}
		fl->c.exit = (enum x2s_case_exit)x;
		if (!case_from_json(o, configs, named, &fl->c, &idx))
			return false;
		fl->has_case = true;
		snprintf(fl->c.failure, sizeof(fl->c.failure), "%s", kind);
		x2s_case_exit_format(&fl->c, text, sizeof(text));
		snprintf(fl->where, sizeof(fl->where),
			 " in case: config %s, sender %u, %s",
			 fl->c.config.name, fl->c.sender, text);
	}
	if (cf)
		fl->case_file = strdup(cf->str.s);
	return true;
}

/* One shard's variant k into the sums. */
static int add_variant(struct cli_variant *v, struct mvariant *mv,
		       const struct json_value *jv,
		       const struct json_value *configs, bool named,
		       const char *shard)
{
	static const char *const keys[] = { "cases",	 "handled",
					    "declined",	 "mismatches",
					    "warns",	 "dirty_none",
					    "violations" };
	struct x2s_sweep_report *r = &v->rep;
	u64 *const sums[] = { &r->cases,      &r->handled, &r->declined,
			      &r->mismatches, &r->warns,   &r->dirty_none,
			      &r->violations };
	const struct json_value *a,
		*cases = json_member_find(jv, "cases") ?
				 &json_member_find(jv, "cases")->val :
				 NULL;
	u64 x;

	if (cases && cases->type == JSON_NULL) {
		/* The fastpath code failed in this shard: its failures. */
		a = need(jv, "findings", JSON_ARRAY);
		if (!a)
			return EXIT_USAGE;
		for (unsigned int i = 0; i < a->arr.n; i++) {
			struct cli_failure *p = realloc(
				v->failures, (v->nr_failures + 1) * sizeof(*p));

			if (!p)
				return cli_error("merge", "out of memory");
			v->failures = p;
			if (!failure_from_json(&a->arr.v[i], configs, named,
					       shard,
					       &v->failures[v->nr_failures]))
				return EXIT_USAGE;
			v->nr_failures++;
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!need_u64(jv, keys[i], UINT64_MAX, &x))
			return EXIT_USAGE;
		*sums[i] += x;
	}
	if (!need_u64(jv, "findings_dropped", UINT64_MAX, &x))
		return EXIT_USAGE;
	r->findings_dropped += x;
	a = need(jv, "profile", JSON_ARRAY);
	if (!a)
		return EXIT_USAGE;
	for (unsigned int i = 0; i < a->arr.n; i++) {
		const struct json_value *p = &a->arr.v[i], *h;
		const char *dm = need_str(p, "delivery_mode");
		const char *dest = need_str(p, "dest_mode");
		const char *sh = need_str(p, "shorthand");
		int d, s, l;

		if (!dm || !dest || !sh ||
		    !need_u64(p, "cases", UINT64_MAX, &x))
			return EXIT_USAGE;
		d = name_index(dm, dm_names, 8);
		s = name_index(sh, sh_names, 4);
		l = !strcmp(dest, "logical")  ? 1 :
		    !strcmp(dest, "physical") ? 0 :
						-1;
		h = need(p, "handled_by_targets", JSON_ARRAY);
		if (d < 0 || s < 0 || l < 0 || !h || h->arr.n != 4)
			return bad(p, "not a profile entry");
		r->total[d][l][s] += x;
		for (int t = 0; t < 4; t++) {
			if (h->arr.v[t].type != JSON_INT || h->arr.v[t].i.neg)
				return bad(h, "not a count");
			r->profile[d][l][s][t] += h->arr.v[t].i.mag;
		}
	}
	a = need(jv, "exits", JSON_ARRAY);
	if (!a)
		return EXIT_USAGE;
	for (unsigned int i = 0; i < a->arr.n; i++) {
		const struct json_value *e = &a->arr.v[i];
		const char *name = need_str(e, "exit");
		int k = name ? x2s_case_exit_find(name) : -1;
		u64 c, h, m;

		if (k < 0 || !need_u64(e, "cases", UINT64_MAX, &c) ||
		    !need_u64(e, "handled", UINT64_MAX, &h) ||
		    !need_u64(e, "mismatches", UINT64_MAX, &m))
			return bad(e, "not an exit entry");
		r->exit_cases[k] += c;
		r->exit_handled[k] += h;
		r->exit_mismatches[k] += m;
	}
	for (int shown = 1; shown >= 0; shown--) {
		a = need(jv, shown ? "findings" : "findings_not_shown",
			 JSON_ARRAY);
		if (!a)
			return EXIT_USAGE;
		for (unsigned int i = 0; i < a->arr.n; i++) {
			const struct json_value *o = &a->arr.v[i];
			const struct json_value *cf =
				get(o, "case_file", JSON_STRING);
			struct mclass mc;

			memset(&mc, 0, sizeof(mc));
			if (!class_from_json(o, &mc.f))
				return EXIT_USAGE;
			if (shown) {
				enum x2s_case_exit exit = mc.f.example.exit;

				if (!case_from_json(o, configs, named,
						    &mc.f.example,
						    &mc.f.config_index) ||
				    !need_hex(o, "signature", UINT64_MAX,
					      &mc.f.signature))
					return EXIT_USAGE;
				mc.f.example.exit = exit;
				mc.has_example = true;
				mc.case_file = cf ? cf->str.s : NULL;
			}
			if (!add_class(mv, &mc))
				return cli_error("merge", "out of memory");
		}
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: x2sim merge REPORT.json... [--json OUT]\n"
		"                   [--findings-exit-status N]\n"
		"  join the JSON reports of the shards of one verify run into\n"
		"  the report the unsharded run gives: the same text, and with\n"
		"  --json the same JSON (docs/scale-out.md).  Each shard of the\n"
		"  split (x2sim verify --shard K/N --json FILE) once;\n"
		"  reports of other sweeps, configurations, fastpaths, plugins\n"
		"  or x2sim versions are refused.\n"
		"  --json OUT              the merged report as JSON ('-': stdout)\n"
		"  --findings-exit-status N  the status when there are findings\n"
		"                          (default 1)\n"
		"exit status: 0 no finding, 1 findings, 2 usage or input error\n");
}

static int input_order(const void *a, const void *b)
{
	const struct input *x = a, *y = b;

	return x->shard < y->shard ? -1 : x->shard > y->shard;
}

enum {
	OPT_JSON = CLI_OPT_LONG,
	OPT_FINDINGS_EXIT_STATUS,
};

const struct option merge_options[] = {
	{ "json", required_argument, NULL, OPT_JSON },
	{ "findings-exit-status", required_argument, NULL,
	  OPT_FINDINGS_EXIT_STATUS },
	CLI_OPT_HELP,
	CLI_OPT_END,
};

int cmd_merge(int argc, char **argv)
{
	static struct input in[MAX_INPUTS];
	static const struct json_value *commands[MAX_INPUTS];
	static const char *shard_names[MAX_INPUTS];
	static const char *config_names[MAX_CONFIGS];
	static struct x2s_vm_desc named_cfgs[MAX_CONFIGS];
	struct cli_variant vs[MAX_VARIANTS];
	struct mvariant mvs[MAX_VARIANTS];
	struct cli_report rep;
	struct cli_atomic_file jf = { 0 };
	const struct json_value *configs, *variants, *v;
	const char *json_path = NULL;
	char named_sha[CLI_SHA256_LEN];
	unsigned int n = 0, nv;
	u64 findings_status = EXIT_CHECK, max;
	bool named = true;
	int status = 0, opt;

	memset(vs, 0, sizeof(vs));
	memset(mvs, 0, sizeof(mvs));
	memset(&rep, 0, sizeof(rep));
	while ((opt = cli_getopt("merge", argc, argv, NULL, merge_options)) !=
	       -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case OPT_JSON:
			json_path = optarg;
			break;
		case OPT_FINDINGS_EXIT_STATUS:
			if (!cli_parse_u64("merge", "--findings-exit-status",
					   optarg, 0, 125, &findings_status))
				return EXIT_USAGE;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (n == MAX_INPUTS)
			return cli_error("merge", "more than %d reports",
					 MAX_INPUTS);
		in[n++].path = argv[i];
	}
	if (!n)
		return cli_error(
			"merge",
			"no reports given (usage: x2sim merge --help)");
	for (unsigned int i = 0; i < n; i++)
		if ((status = load_input(&in[i])))
			goto out;
	for (unsigned int i = 1; i < n; i++)
		if ((status = check_same(&in[0], &in[i])))
			goto out;
	/* Every shard of one split, each once. */
	qsort(in, n, sizeof(in[0]), input_order);
	for (unsigned int i = 0; i < n; i++) {
		if (in[i].nr_shards != in[0].nr_shards) {
			status = cli_error(
				"merge",
				"%s is shard %s but %s is shard %s: shards of different splits",
				in[0].path, in[0].shard_name, in[i].path,
				in[i].shard_name);
			goto out;
		}
		if (i && in[i].shard == in[i - 1].shard) {
			status = cli_error(
				"merge",
				"%s and %s are both shard %s: each shard once",
				in[i - 1].path, in[i].path, in[i].shard_name);
			goto out;
		}
	}
	if (n != in[0].nr_shards) {
		char missing[256] = "";
		unsigned int j = 0, listed = 0;

		for (unsigned int k = 1; k <= in[0].nr_shards; k++) {
			if (j < n && in[j].shard == k) {
				j++;
				continue;
			}
			if (listed++ < 8)
				snprintf(missing + strlen(missing),
					 sizeof(missing) - strlen(missing),
					 "%s%u/%u", listed > 1 ? ", " : "", k,
					 in[0].nr_shards);
		}
		status = cli_error("merge", "%u of %u shards are missing: %s%s",
				   in[0].nr_shards - n, in[0].nr_shards,
				   missing, listed > 8 ? ", ..." : "");
		goto out;
	}

	/* The run's own description, from the first report. */
	merge_file = in[0].path;
	configs = need(in[0].root, "configs", JSON_ARRAY);
	variants = get(in[0].root, "variants", JSON_ARRAY);
	if (!configs ||
	    !need_u64(in[0].root, "max_counterexamples", 1000, &max)) {
		status = EXIT_USAGE;
		goto out;
	}
	if (configs->arr.n > MAX_CONFIGS || variants->arr.n > MAX_VARIANTS ||
	    !variants->arr.n) {
		status = bad(configs, "too many configurations or fastpaths");
		goto out;
	}
	for (unsigned int i = 0; i < configs->arr.n; i++) {
		const struct x2s_vm_desc *d;

		if (configs->arr.v[i].type != JSON_STRING) {
			status = bad(&configs->arr.v[i], "not a name");
			goto out;
		}
		config_names[i] = configs->arr.v[i].str.s;
		d = x2s_named_config_find(config_names[i]);
		if (d)
			named_cfgs[i] = *d;
		else
			named = false;
	}
	/* Named configurations, unchanged: the cases can be shown run. */
	cli_configs_sha256(named_cfgs, configs->arr.n, named_sha);
	if (named && strcmp(named_sha, need_str(in[0].root, "configs_sha256")))
		named = false;
	rep.cmd = "merge";
	rep.argc = cli_given_argc;
	rep.argv = cli_given_argv;
	if (cli_sweep_parse("merge", need_str(in[0].root, "sweep"),
			    &rep.sweep)) {
		status = EXIT_USAGE;
		goto out;
	}
	v = need(in[0].root, "reduced", JSON_BOOL);
	rep.reduced = v && v->b;
	rep.contract = !strcmp(need_str(in[0].root, "contract"), "none") ?
			       X2S_CONTRACT_NONE :
			       X2S_CONTRACT_SINGLE_TARGET;
	rep.shard = rep.nr_shards = 1;
	rep.max = (unsigned int)max;
	rep.config_names = config_names;
	rep.nr_configs = configs->arr.n;
	snprintf(rep.configs_sha256, sizeof(rep.configs_sha256), "%s",
		 need_str(in[0].root, "configs_sha256"));
	v = need(in[0].root, "x2sim", JSON_OBJECT);
	rep.version = v ? need_str(v, "version") : NULL;
	rep.commit = v ? need_str(v, "commit") : NULL;
	rep.kvm_model = need_str(in[0].root, "kvm_model");
	v = get(in[0].root, "plugin", JSON_OBJECT);
	if (v) {
		rep.plugin = need_str(v, "path");
		snprintf(rep.plugin_sha256, sizeof(rep.plugin_sha256), "%s",
			 need_str(v, "sha256") ? need_str(v, "sha256") : "");
	}
	rep.kernel_json = get(in[0].root, "kernel", JSON_OBJECT);
	if (!rep.version || !rep.commit || !rep.kvm_model ||
	    (v && !rep.plugin)) {
		status = EXIT_USAGE;
		goto out;
	}
	for (unsigned int i = 0; i < n; i++) {
		commands[i] = in[i].command;
		shard_names[i] = in[i].shard_name;
	}
	rep.shard_commands = commands;
	rep.shard_names = shard_names;
	rep.nr_inputs = n;
	nv = variants->arr.n;
	for (unsigned int k = 0; k < nv; k++) {
		const char *name = need_str(&variants->arr.v[k], "name");
		const struct x2s_fastpath_variant *fv;

		if (!name) {
			status = EXIT_USAGE;
			goto out;
		}
		vs[k].label = name;
		fv = rep.plugin || rep.kernel_json ? NULL :
						     x2s_fastpath_find(name);
		vs[k].fn = fv ? fv->fn : NULL;
		vs[k].can_run = fv && named;
	}
	rep.v = vs;
	rep.nv = nv;

	for (unsigned int i = 0; i < n; i++) {
		const struct json_value *jv =
			get(in[i].root, "variants", JSON_ARRAY);

		merge_file = in[i].path;
		for (unsigned int k = 0; k < nv; k++) {
			status = add_variant(&vs[k], &mvs[k], &jv->arr.v[k],
					     configs, named, in[i].shard_name);
			if (status)
				goto out;
		}
	}
	for (unsigned int k = 0; k < nv; k++) {
		struct x2s_sweep_report *r = &vs[k].rep;
		struct mvariant *mv = &mvs[k];

		if (vs[k].nr_failures) {
			/* No counts where any shard has none. */
			memset(r, 0, sizeof(*r));
			continue;
		}
		if (mv->nr)
			qsort(mv->c, mv->nr, sizeof(mv->c[0]), mclass_order);
		r->findings = calloc(mv->nr ? mv->nr : 1, sizeof(*r->findings));
		vs[k].saved = calloc(mv->nr ? mv->nr : 1, sizeof(char *));
		if (!r->findings || !vs[k].saved) {
			status = cli_error("merge", "out of memory");
			goto out;
		}
		for (unsigned int i = 0; i < mv->nr; i++) {
			/* A class shown merged was shown by every shard. */
			if (i < rep.max && !mv->c[i].has_example) {
				status = cli_error(
					"merge",
					"%s: finding class %u has no minimal case in any report: the reports are not shards of one run",
					vs[k].label, i + 1);
				goto out;
			}
			r->findings[i] = mv->c[i].f;
			if (mv->c[i].case_file)
				vs[k].saved[i] = strdup(mv->c[i].case_file);
		}
		r->nr_findings = mv->nr;
	}

	if (json_path) {
		int r = cli_atomic_open(&jf, json_path);

		if (r) {
			status = cli_error("merge", "--json %s: %s", json_path,
					   strerror(-r));
			goto out;
		}
	}
	printf("x2sim merge: %u report%s (shards 1-%u of %u), sweep %s%s, %u "
	       "configurations, %llu cases per fastpath\n",
	       n, n == 1 ? "" : "s", n, n, cli_sweep_name(rep.sweep),
	       rep.reduced ? " (reduced)" : "", rep.nr_configs,
	       (unsigned long long)vs[0].rep.cases);
	cli_report_print(&rep, NULL);
	status = cli_report_has_findings(&rep) ? (int)findings_status : 0;
	if (json_path) {
		int r;

		cli_report_json(jf.f, &rep);
		r = cli_atomic_commit(&jf, true);
		if (r) {
			cli_message("merge", "--json %s: %s", json_path,
				    strerror(-r));
			status = EXIT_USAGE;
		}
	}
out:
	cli_report_free(&rep);
	for (unsigned int k = 0; k < MAX_VARIANTS; k++)
		free(mvs[k].c);
	for (unsigned int i = 0; i < n; i++)
		json_free(in[i].root);
	return status;
}
