// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim CLI: verify's report as text and as JSON (report.h), for verify
 * and merge alike.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isolate.h"
#include "report.h"
#include "sha256.h"
#include "x2sim_git.h"

static const char *const dm_names[8] = { "Fixed", "LowPrio", "SMI",  "RemRd",
					 "NMI",	  "INIT",    "SIPI", "ExtINT" };
static const char *const sh_names[4] = { "none", "self", "all", "all-but" };

const char *cli_version(void)
{
	static char buf[32];

	if (!buf[0])
		snprintf(buf, sizeof(buf), "%d.%d", X2S_VERSION_MAJOR,
			 X2S_VERSION_MINOR);
	return buf;
}

const char *cli_commit(void)
{
	return X2SIM_GIT_COMMIT;
}

static const struct {
	const char *name;
	unsigned int bits;
} sweeps[] = {
	{ "icr", X2S_SWEEP_ICR },
	{ "msr", X2S_SWEEP_MSR },
	{ "exits", X2S_SWEEP_EXITS },
	{ "all", X2S_SWEEP_ALL },
};

const char *cli_sweep_name(unsigned int bits)
{
	static char buf[32];

	if (bits == X2S_SWEEP_ALL)
		return "all";
	buf[0] = '\0';
	for (size_t i = 0; i < 3; i++)
		if (bits & sweeps[i].bits)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
				 "%s%s", buf[0] ? "," : "", sweeps[i].name);
	return buf;
}

int cli_sweep_parse(const char *cmd, const char *v, unsigned int *bits)
{
	const char *p = v;

	*bits = 0;
	do {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < sizeof(sweeps) / sizeof(sweeps[0]); i++)
			if (strlen(sweeps[i].name) == len &&
			    !strncmp(p, sweeps[i].name, len))
				break;
		if (i == sizeof(sweeps) / sizeof(sweeps[0]))
			return cli_error(
				cmd,
				"--sweep takes icr, msr, exits or all, "
				"comma-separated, not '%s'",
				v);
		*bits |= sweeps[i].bits;
		p += len;
	} while (*p++ == ',');
	return 0;
}

void cli_configs_sha256(const struct x2s_vm_desc *d, unsigned int n,
			char out[CLI_SHA256_LEN])
{
	struct sha256 s;

	sha256_init(&s);
	for (unsigned int i = 0; i < n; i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		if (!m)
			continue;
		x2s_vm_desc_write(m, &d[i], 0);
		fputc('\n', m);
		if (!fclose(m))
			sha256_update(&s, buf, len);
		free(buf);
	}
	sha256_hex(&s, out);
}

bool cli_report_has_findings(const struct cli_report *r)
{
	for (unsigned int k = 0; k < r->nv; k++) {
		const struct x2s_sweep_report *rep = &r->v[k].rep;

		if (r->v[k].nr_failures || rep->mismatches ||
		    (r->contract && rep->violations))
			return true;
	}
	return false;
}

/* ---- text ---- */

static void print_profile(const struct cli_variant *v)
{
	const struct x2s_sweep_report *r = &v->rep;
	bool any = false;

	printf("\n%s: acceptance profile (handled cases by delivery mode, "
	       "destination mode, shorthand and number of targets)\n",
	       v->label);
	printf("  %-8s %-8s %-8s %13s %13s %11s %11s %11s %11s\n", "mode",
	       "dest", "short", "all", "handled", "0 targets", "1 target",
	       "2 targets", "3+ targets");
	for (int dm = 0; dm < 8; dm++)
		for (int lg = 0; lg < 2; lg++)
			for (int sh = 0; sh < 4; sh++) {
				const u64 *p = r->profile[dm][lg][sh];
				u64 h = p[0] + p[1] + p[2] + p[3];

				if (!h)
					continue;
				any = true;
				printf("  %-8s %-8s %-8s %13llu %13llu %11llu %11llu %11llu %11llu\n",
				       dm_names[dm],
				       lg ? "logical" : "physical",
				       sh_names[sh],
				       (unsigned long long)r->total[dm][lg][sh],
				       (unsigned long long)h,
				       (unsigned long long)p[0],
				       (unsigned long long)p[1],
				       (unsigned long long)p[2],
				       (unsigned long long)p[3]);
			}
	if (!any)
		printf("  (no case was handled)\n");
	else
		printf("  every other class: all cases declined\n");
}

static void print_exits(const struct cli_variant *v)
{
	const struct x2s_sweep_report *r = &v->rep;

	printf("\n%s: cases by exit\n  %-20s %12s %12s %11s\n", v->label,
	       "exit", "cases", "handled", "mismatches");
	for (int x = 0; x < X2S_CASE_NR_EXITS; x++)
		if (r->exit_cases[x])
			printf("  %-20s %12llu %12llu %11llu\n",
			       x2s_case_exit_name((enum x2s_case_exit)x),
			       (unsigned long long)r->exit_cases[x],
			       (unsigned long long)r->exit_handled[x],
			       (unsigned long long)r->exit_mismatches[x]);
}

/*
 * The stem of a saved case's name: the variant's name, a plugin's file
 * name, "linux-VERSION" for a kernel tree; only [A-Za-z0-9._-], never
 * starting with a dot (no hidden files).
 */
static const char *file_stem(const struct cli_variant *v, char *stem,
			     size_t len)
{
	const char *s = v->stem ? v->stem : v->label;
	const char *slash = strrchr(s, '/');
	size_t n = 0;

	if (slash && slash[1])
		s = slash + 1;
	for (; *s && n + 1 < len; s++) {
		char c = *s;

		if (!isalnum((unsigned char)c) && c != '.' && c != '-' &&
		    c != '_')
			c = '_';
		if (!n && (c == '.' || c == '_'))
			continue;
		stem[n++] = c;
	}
	if (!n)
		stem[n++] = 'x';
	stem[n] = '\0';
	return stem;
}

int cli_save_case(const char *dir, const struct cli_variant *v,
		  const char *suffix, const struct x2s_case *c,
		  const char *comment, char **path_out)
{
	struct cli_atomic_file af;
	struct x2s_case copy = *c;
	char stem[96], *path;
	size_t len = strlen(dir) + sizeof(stem) + strlen(suffix) + 16;
	int r;

	path = malloc(len);
	if (!path)
		return -ENOMEM;
	snprintf(path, len, "%s/%s-%s.json", dir,
		 file_stem(v, stem, sizeof(stem)), suffix);
	snprintf(copy.fastpath, sizeof(copy.fastpath), "%s", v->label);
	r = cli_atomic_open(&af, path);
	if (r) {
		free(path);
		return r;
	}
	r = x2s_case_write(af.f, &copy, comment);
	r = cli_atomic_commit(&af, r == 0);
	if (r) {
		free(path);
		return r;
	}
	*path_out = path;
	return 0;
}

static int save_finding(const char *dir, const struct cli_variant *v,
			unsigned int idx, const struct x2s_finding *f,
			char **path_out)
{
	char comment[400], sig[200], suffix[16];

	x2s_signature_format(f->signature, sig, sizeof(sig));
	snprintf(comment, sizeof(comment), "%s: %s, fastpath returned %s; %s",
		 v->label,
		 f->violation ? "contract violation" :
				x2s_verdict_name(f->verdict),
		 x2s_fastpath_result_name(f->fastpath), sig);
	snprintf(suffix, sizeof(suffix), "%u", idx);
	return cli_save_case(dir, v, suffix, &f->example, comment, path_out);
}

/* What `x2sim case` takes to show a case the report cannot run itself. */
static void print_case_command(const struct cli_report *r,
			       const struct cli_variant *v,
			       const struct x2s_case *c)
{
	char cmd[2048], exit[96];

	x2s_case_exit_format(c, exit, sizeof(exit));
	printf("  configuration %s (%u vCPUs), sender vcpu%u, %s\n",
	       c->config.name, c->config.nr_vcpus, c->sender, exit);
	if (c->exit == X2S_CASE_WRMSR || x2s_case_writes_icr(c))
		x2s_icr_decode(stdout, c->data, "    ");
	cli_case_command(cmd, sizeof(cmd), c->config.name, c);
	if (r->plugin) {
		cli_shell_append(cmd, sizeof(cmd), "--plugin");
		cli_shell_append(cmd, sizeof(cmd), r->plugin);
	} else if (!r->kfp && !r->kernel_json) {
		cli_shell_append(cmd, sizeof(cmd), "--fastpath");
		cli_shell_append(cmd, sizeof(cmd), v->label);
	}
	printf("  both outcomes: %s%s\n", cmd,
	       r->kernel_json ? " (and the tree's options)" : "");
}

static void print_failures(const struct cli_report *rp,
			   const struct cli_variant *v)
{
	printf("\n%s: the fastpath code failed (%u finding%s; no counts: the "
	       "process that counted was ended)\n",
	       v->label, v->nr_failures, v->nr_failures == 1 ? "" : "s");
	for (unsigned int i = 0; i < v->nr_failures; i++) {
		const struct cli_failure *f = &v->failures[i];

		printf("\n[%s #%u] PLUGIN FAILURE (%s)%s%s\n  %s%s\n", v->label,
		       i + 1, f->kind, f->shard ? " in shard " : "",
		       f->shard ? f->shard : "", f->message, f->where);
		if (f->case_file)
			printf("  saved: %s   (x2sim replay %s%s%s)\n",
			       f->case_file, f->case_file,
			       rp->plugin ? " --plugin " : "",
			       rp->plugin ? rp->plugin : "");
	}
}

static void print_findings(struct cli_report *rp, struct cli_variant *v,
			   const char *save_dir)
{
	const struct x2s_sweep_report *r = &v->rep;
	unsigned int shown = 0, classes = r->nr_findings;

	if (v->nr_failures) {
		print_failures(rp, v);
		return;
	}
	if (!classes) {
		printf("\n%s: no mismatches%s.\n", v->label,
		       rp->contract ? " and no contract violations" : "");
		return;
	}
	printf("\n%s: %u finding classes (%llu mismatching cases, %llu "
	       "contract violations)%s\n",
	       v->label, classes, (unsigned long long)r->mismatches,
	       (unsigned long long)r->violations,
	       classes > rp->max ? ", the first shown" : "");
	if (save_dir && !v->saved)
		v->saved = calloc(r->nr_findings, sizeof(char *));
	for (unsigned int i = 0; i < r->nr_findings && shown < rp->max; i++) {
		const struct x2s_finding *f = &r->findings[i];
		struct x2s_case_result res;
		char sig[200];

		shown++;
		x2s_signature_format(f->signature, sig, sizeof(sig));
		printf("\n[%s #%u] %s%s%s, fastpath returned %s, %llu cases\n",
		       v->label, shown,
		       f->violation ? "CONTRACT VIOLATION" :
				      x2s_verdict_name(f->verdict),
		       f->cause != X2S_CAUSE_NONE ? ": " : "",
		       f->cause != X2S_CAUSE_NONE ? x2s_cause_name(f->cause) :
						    "",
		       x2s_fastpath_result_name(f->fastpath),
		       (unsigned long long)f->count);
		if (f->violation)
			printf("  %u target(s): outside the single-target contract\n",
			       f->targets);
		else
			printf("  the minimal case differs in: %s\n", sig);
		if (f->warn[0])
			printf("  with %s\n", f->warn);
		if (v->can_run) {
			cli_watch_case(f->config_index, &f->example);
			cli_print_case(stdout, &f->example, v->fn, v->label,
				       rp->contract, &res);
			cli_watch_case_done();
		} else {
			print_case_command(rp, v, &f->example);
		}
		if (save_dir && v->saved &&
		    !save_finding(save_dir, v, shown, f, &v->saved[i]))
			printf("  saved: %s   (x2sim replay %s)\n", v->saved[i],
			       v->saved[i]);
		else if (!save_dir && v->saved && v->saved[i])
			printf("  saved: %s   (x2sim replay %s)\n", v->saved[i],
			       v->saved[i]);
	}
	if (r->findings_dropped)
		printf("  (%llu more cases in classes beyond the table)\n",
		       (unsigned long long)r->findings_dropped);
}

void cli_report_print(struct cli_report *r, const char *save_dir)
{
	printf("\n%-16s %12s %12s %12s %11s %11s %9s %12s\n", "fastpath",
	       "cases", "handled", "declined", "mismatches", "violations",
	       "seconds", "cases/s");
	for (unsigned int k = 0; k < r->nv; k++) {
		const struct x2s_sweep_report *s = &r->v[k].rep;

		if (r->v[k].nr_failures) {
			printf("%-16s %12s %12s %12s %11s %11s %9s %12s\n",
			       r->v[k].label, "-", "-", "-", "-", "-", "-",
			       "-");
			continue;
		}
		printf("%-16s %12llu %12llu %12llu %11llu %11llu",
		       r->v[k].label, (unsigned long long)s->cases,
		       (unsigned long long)s->handled,
		       (unsigned long long)s->declined,
		       (unsigned long long)s->mismatches,
		       (unsigned long long)s->violations);
		if (s->seconds > 0)
			printf(" %9.2f %12.0f\n", s->seconds,
			       s->cases / s->seconds);
		else
			printf(" %9s %12s\n", "-", "-");
	}
	for (unsigned int k = 0; k < r->nv; k++)
		if (!r->v[k].nr_failures)
			print_profile(&r->v[k]);
	if (r->sweep & X2S_SWEEP_EXITS)
		for (unsigned int k = 0; k < r->nv; k++)
			if (!r->v[k].nr_failures)
				print_exits(&r->v[k]);
	for (unsigned int k = 0; k < r->nv; k++)
		print_findings(r, &r->v[k], save_dir);
}

/* ---- JSON ---- */

void cli_json_write_value(FILE *f, const struct json_value *v)
{
	switch (v->type) {
	case JSON_NULL:
		fputs("null", f);
		break;
	case JSON_BOOL:
		fputs(v->b ? "true" : "false", f);
		break;
	case JSON_INT:
		fprintf(f, "%s%llu", v->i.neg ? "-" : "",
			(unsigned long long)v->i.mag);
		break;
	case JSON_STRING:
		json_write_string(f, v->str.s);
		break;
	case JSON_ARRAY:
		fputc('[', f);
		for (unsigned int i = 0; i < v->arr.n; i++) {
			if (i)
				fputs(", ", f);
			cli_json_write_value(f, &v->arr.v[i]);
		}
		fputc(']', f);
		break;
	case JSON_OBJECT:
		fputc('{', f);
		for (unsigned int i = 0; i < v->obj.n; i++) {
			if (i)
				fputs(", ", f);
			json_write_string(f, v->obj.m[i].key);
			fputs(": ", f);
			cli_json_write_value(f, &v->obj.m[i].val);
		}
		fputc('}', f);
		break;
	}
}

static void json_argv(FILE *f, int argc, char **argv)
{
	fputs("[\"x2sim\"", f);
	for (int i = 0; i < argc; i++) {
		fputs(", ", f);
		json_write_string(f, argv[i]);
	}
	fputc(']', f);
}

/* The class key of a finding (docs/verify-json.md, "Finding classes"). */
static void json_class(FILE *f, const struct x2s_finding *fd)
{
	fputs("{\"verdict\": ", f);
	json_write_string(f, fd->violation ? "contract violation" :
					     x2s_verdict_name(fd->verdict));
	fprintf(f, ", \"fastpath_result\": \"%s\", \"count\": %llu,\n",
		x2s_fastpath_result_name(fd->fastpath),
		(unsigned long long)fd->count);
	fputs("         \"cause\": ", f);
	json_write_string(f, fd->cause == X2S_CAUSE_NONE ?
				     "" :
				     x2s_cause_name(fd->cause));
	fprintf(f, ", \"exit\": \"%s\", \"warn\": ",
		x2s_case_exit_name(fd->example.exit));
	json_write_string(f, fd->warn);
	if (fd->violation)
		fprintf(f,
			",\n         \"delivery_mode\": \"%s\", \"dest_mode\": \"%s\", \"shorthand\": \"%s\", \"targets\": %u",
			dm_names[fd->delivery_mode & 7],
			fd->logical ? "logical" : "physical",
			sh_names[fd->shorthand & 3], fd->targets);
}

/* A case; its exit too unless the class key has given it already. */
static void json_case(FILE *f, const struct x2s_case *c, bool exit)
{
	fputs("\"config\": ", f);
	json_write_string(f, c->config.name);
	fprintf(f, ", \"vcpus\": %u, \"sender\": %u", c->config.nr_vcpus,
		c->sender);
	if (exit)
		fprintf(f, ", \"exit\": \"%s\"", x2s_case_exit_name(c->exit));
	fprintf(f, ", \"ecx\": \"0x%x\", \"data\": \"0x%016llx\"", c->ecx,
		(unsigned long long)c->data);
	if (x2s_case_exit_uses(c->exit) & X2S_CASE_USES_REG)
		fprintf(f, ", \"reg\": %u", c->reg);
}

static void json_failure(FILE *f, const struct cli_failure *fl)
{
	fputs("{\"verdict\": \"plugin failure\", \"plugin_failure\": ", f);
	json_write_string(f, fl->kind);
	fputs(", \"count\": 1,\n         \"message\": ", f);
	json_write_string(f, fl->message);
	if (fl->shard) {
		fputs(", \"shard\": ", f);
		json_write_string(f, fl->shard);
	}
	if (fl->has_case) {
		fputs(",\n         ", f);
		json_case(f, &fl->c, true);
	}
	if (fl->case_file) {
		fputs(", \"case_file\": ", f);
		json_write_string(f, fl->case_file);
	}
	fputc('}', f);
}

static void json_counts(FILE *f, const struct cli_variant *v)
{
	const struct x2s_sweep_report *r = &v->rep;
	static const char *const names[] = { "cases",	  "handled",
					     "declined",  "mismatches",
					     "warns",	  "dirty_none",
					     "violations" };
	const u64 vals[] = { r->cases,	    r->handled, r->declined,
			     r->mismatches, r->warns,	r->dirty_none,
			     r->violations };

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		fprintf(f, "%s\"%s\": ",
			i == 0		 ? "      " :
			i == 3 || i == 6 ? ",\n      " :
					   ", ",
			names[i]);
		if (v->nr_failures)
			fputs("null", f);
		else
			fprintf(f, "%llu", (unsigned long long)vals[i]);
	}
}

static void json_variant(FILE *f, const struct cli_report *rp,
			 const struct cli_variant *v)
{
	const struct x2s_sweep_report *r = &v->rep;
	unsigned int shown = 0;
	bool first = true;

	fputs("\n    {\n      \"name\": ", f);
	json_write_string(f, v->label);
	fputs(",\n", f);
	json_counts(f, v);
	fputs(",\n      \"profile\": [", f);
	for (int dm = 0; dm < 8; dm++)
		for (int lg = 0; lg < 2; lg++)
			for (int sh = 0; sh < 4; sh++) {
				const u64 *p = r->profile[dm][lg][sh];

				if (!r->total[dm][lg][sh])
					continue;
				fprintf(f,
					"%s\n        {\"delivery_mode\": \"%s\", \"dest_mode\": \"%s\", \"shorthand\": \"%s\", \"cases\": %llu, \"handled_by_targets\": [%llu, %llu, %llu, %llu]}",
					first ? "" : ",", dm_names[dm],
					lg ? "logical" : "physical",
					sh_names[sh],
					(unsigned long long)
						r->total[dm][lg][sh],
					(unsigned long long)p[0],
					(unsigned long long)p[1],
					(unsigned long long)p[2],
					(unsigned long long)p[3]);
				first = false;
			}
	fprintf(f, "%s],\n      \"exits\": [", first ? "" : "\n      ");
	first = true;
	for (int x = 0; x < X2S_CASE_NR_EXITS; x++) {
		if (!r->exit_cases[x])
			continue;
		fprintf(f,
			"%s\n        {\"exit\": \"%s\", \"cases\": %llu, \"handled\": %llu, \"mismatches\": %llu}",
			first ? "" : ",",
			x2s_case_exit_name((enum x2s_case_exit)x),
			(unsigned long long)r->exit_cases[x],
			(unsigned long long)r->exit_handled[x],
			(unsigned long long)r->exit_mismatches[x]);
		first = false;
	}
	fprintf(f, "%s],\n", first ? "" : "\n      ");
	fprintf(f,
		"      \"finding_classes\": %u, \"findings_dropped\": %llu,\n      \"findings\": [",
		v->nr_failures ? v->nr_failures : r->nr_findings,
		(unsigned long long)r->findings_dropped);
	for (unsigned int i = 0; i < v->nr_failures; i++) {
		fprintf(f, "%s\n        ", i ? "," : "");
		json_failure(f, &v->failures[i]);
	}
	for (unsigned int i = 0;
	     !v->nr_failures && i < r->nr_findings && i < rp->max; i++) {
		const struct x2s_finding *fd = &r->findings[i];
		char sig[200];

		x2s_signature_format(fd->signature, sig, sizeof(sig));
		fprintf(f, "%s\n        ", i ? "," : "");
		json_class(f, fd);
		fputs(",\n         \"differs\": ", f);
		json_write_string(f, fd->violation ? "" : sig);
		fprintf(f, ", \"signature\": \"0x%016llx\",\n         ",
			(unsigned long long)fd->signature);
		json_case(f, &fd->example, false);
		if (v->saved && v->saved[i]) {
			fputs(", \"case_file\": ", f);
			json_write_string(f, v->saved[i]);
		}
		fputc('}', f);
		shown++;
	}
	fprintf(f, "%s],\n      \"findings_not_shown\": [",
		shown || v->nr_failures ? "\n      " : "");
	for (unsigned int i = shown; !v->nr_failures && i < r->nr_findings;
	     i++) {
		fprintf(f, "%s\n        ", i > shown ? "," : "");
		json_class(f, &r->findings[i]);
		fputc('}', f);
	}
	fprintf(f, "%s]\n    }",
		!v->nr_failures && r->nr_findings > shown ? "\n      " : "");
}

void cli_report_json(FILE *f, const struct cli_report *r)
{
	fprintf(f, "{\n  \"x2sim_verify\": %d,\n  \"x2sim\": {\"version\": ",
		CLI_REPORT_FORMAT);
	json_write_string(f, r->version);
	fputs(", \"commit\": ", f);
	json_write_string(f, r->commit);
	fputs("},\n  \"kvm_model\": ", f);
	json_write_string(f, r->kvm_model);
	fputs(",\n  \"command\": ", f);
	json_argv(f, r->argc, r->argv);
	fputs(",\n", f);
	if (r->nr_inputs) {
		fputs("  \"merged_from\": [", f);
		for (unsigned int i = 0; i < r->nr_inputs; i++) {
			fprintf(f, "%s{\"shard\": ", i ? ", " : "");
			json_write_string(f, r->shard_names[i]);
			fputs(", \"command\": ", f);
			cli_json_write_value(f, r->shard_commands[i]);
			fputc('}', f);
		}
		fputs("],\n", f);
	}
	if (r->kfp)
		cli_kernel_json(f, r->kfp);
	else if (r->kernel_json) {
		fputs("  \"kernel\": ", f);
		cli_json_write_value(f, r->kernel_json);
		fputs(",\n", f);
	}
	if (r->plugin) {
		fputs("  \"plugin\": {\"path\": ", f);
		json_write_string(f, r->plugin);
		fputs(", \"sha256\": ", f);
		json_write_string(f, r->plugin_sha256);
		fputs("},\n", f);
	}
	fprintf(f, "  \"sweep\": \"%s\",\n", cli_sweep_name(r->sweep));
	fprintf(f, "  \"reduced\": %s,\n  \"contract\": \"%s\",\n",
		r->reduced ? "true" : "false",
		r->contract ? "single-target" : "none");
	fprintf(f, "  \"shard\": \"%u/%u\",\n  \"max_counterexamples\": %u,\n",
		r->shard, r->nr_shards, r->max);
	fputs("  \"configs\": [", f);
	for (unsigned int i = 0; i < r->nr_configs; i++) {
		fprintf(f, "%s", i ? ", " : "");
		json_write_string(f, r->config_names[i]);
	}
	fprintf(f, "],\n  \"configs_sha256\": \"%s\",\n  \"variants\": [",
		r->configs_sha256);
	for (unsigned int k = 0; k < r->nv; k++) {
		if (k)
			fputc(',', f);
		json_variant(f, r, &r->v[k]);
	}
	fprintf(f, "\n  ]\n}\n");
}

void cli_report_free(struct cli_report *r)
{
	for (unsigned int k = 0; k < r->nv; k++) {
		struct cli_variant *v = &r->v[k];

		if (v->saved)
			for (unsigned int i = 0; i < v->rep.nr_findings; i++)
				free(v->saved[i]);
		free(v->saved);
		v->saved = NULL;
		for (unsigned int i = 0; i < v->nr_failures; i++)
			free(v->failures[i].case_file);
		free(v->failures);
		v->failures = NULL;
		v->nr_failures = 0;
		x2s_sweep_report_free(&v->rep);
	}
}
