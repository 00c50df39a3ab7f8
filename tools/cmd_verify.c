// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim verify: exhaustive fast-vs-slow differential verification of one
 * or more fastpaths over a sweep of cases, with the acceptance profile and
 * a minimal, decoded, replayable counterexample per mismatch class.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "isolate.h"
#include "fastpath/plugin.h"
#include "kernel/kbuild.h"
#include "verify/json.h"
#include "verify/verify.h"

#define MAX_VARIANTS 8
#define MAX_CONFIGS 64

struct variant {
	const char *label;
	/* For saved case files; NULL: the label. */
	const char *stem;
	const struct x2s_fastpath *fn;
	struct x2s_sweep_report rep;
	char **saved; /* case file per shown finding */
};

struct progress {
	const char *label;
	double start, last;
	bool shown;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A progress line on a terminal, for runs longer than two seconds. */
static void progress_cb(void *opaque, uint64_t done, uint64_t total)
{
	struct progress *p = opaque;
	double t = now();

	if (t - p->start < 2.0 || t - p->last < 0.5)
		return;
	p->last = t;
	p->shown = true;
	fprintf(stderr, "\r  %-14s %5.1f%%  %llu / %llu cases  %.1f M/s   ",
		p->label, total ? 100.0 * done / total : 100.0,
		(unsigned long long)done, (unsigned long long)total,
		done / (t - p->start) / 1e6);
	fflush(stderr);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: x2sim verify [options]\n"
		"  --fastpath NAME[,NAME]  variants to verify (default: all shipped;\n"
		"                          see 'x2sim fastpaths')\n"
		"  --plugin FILE           verify a fastpath plugin (.so) instead\n"
		"  --kernel DIR            verify the fastpath code of a Linux tree,\n"
		"                          unchanged (docs/kernel.md)\n"
		"  --patch FILE            with --kernel: apply a patch (mail or diff)\n"
		"                          to a private copy first\n"
		"  --kernel-source FILE    verify kernel fastpath functions in FILE\n"
		"  --kvm-version X.Y       the KVM version of --kernel-source (or to\n"
		"                          override the tree's Makefile)\n"
		"  --cc CC                 compiler for --kernel (default $X2SIM_CC,\n"
		"                          $CC, cc)\n"
		"  --sweep KIND[,KIND]     icr,exits (default), msr, or all:\n"
		"                          icr: ICR[19:0] x reserved bits x\n"
		"                          destinations x configurations x senders;\n"
		"                          exits: every other exit the model handles\n"
		"                          (RDMSR/WRMSR and immediate forms over the\n"
		"                          x2APIC MSRs, HLT, INVD, timer, windows,\n"
		"                          APIC accesses) with each destination's IPI\n"
		"                          in the registers; msr: every ECX with one\n"
		"                          fixed IPI\n"
		"  --reduced               ICR[19:8] with vectors 0,0xf,0x31,0xff only\n"
		"  --configs list          list the named configurations and exit\n"
		"  --configs NAME[,NAME]   select named configurations\n"
		"  --configs FILE          configurations from a JSON file\n"
		"  --config FILE           one more configuration from a JSON file\n"
		"  --contract single-target  report handled cases that are not a\n"
		"                          single physical target as violations\n"
		"  --threads T             worker threads (default: CPUs online)\n"
		"  --shard K/N             run the K-th of N deterministic shards\n"
		"  --max-counterexamples N mismatch classes shown per variant (5)\n"
		"  --save DIR              write each shown counterexample as a case\n"
		"                          file (x2sim replay FILE reruns it)\n"
		"  --json FILE             the report as JSON (docs/verify-json.md)\n"
		"  --case-timeout SEC      with --plugin or --kernel: a case that runs\n"
		"                          longer is a hang (default %d; 0: none)\n"
		"  --plugin and --kernel code runs in a child process: a crash, an\n"
		"  exit() or a hang in it is one message naming the case, status 2\n"
		"exit status: 0 no mismatch, 1 mismatch (or contract violation),\n"
		"             2 usage or input error, or the fastpath crashed, hung\n"
		"             or ended the process (nothing verified)\n",
		CLI_CASE_TIMEOUT_DEFAULT);
}

static void list_configs(void)
{
	printf("named configurations (x2sim verify --configs NAME,...):\n");
	for (unsigned int i = 0; i < x2s_named_config_count(); i++) {
		const struct x2s_vm_desc *d = x2s_named_config(i);

		printf("  %-20s %2u vCPUs  %s\n", d->name, d->nr_vcpus,
		       d->description);
	}
}

static bool looks_like_file(const char *s)
{
	struct stat st;

	return strchr(s, '/') || strstr(s, ".json") || !stat(s, &st);
}

static int add_named(const char *list, struct x2s_vm_desc *cfgs,
		     unsigned int *n)
{
	char *copy = strdup(list), *save = NULL, *tok;
	unsigned int added = 0;
	int r = 0;

	if (!copy)
		return cli_error("verify", "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		const struct x2s_vm_desc *d = x2s_named_config_find(tok);

		if (!d) {
			r = cli_error(
				"verify",
				"no configuration '%s' (x2sim verify --configs list)",
				tok);
			break;
		}
		if (*n == MAX_CONFIGS) {
			r = cli_error("verify", "more than %d configurations",
				      MAX_CONFIGS);
			break;
		}
		cfgs[(*n)++] = *d;
		added++;
	}
	free(copy);
	/* An empty list would silently mean every configuration. */
	if (!r && !added)
		r = cli_error("verify", "--configs: no configuration named");
	return r;
}

/* What --config takes for each configuration: NULL (its name) or a file. */
static const char *cfg_args[MAX_CONFIGS];

static int add_file(const char *path, struct x2s_vm_desc *cfgs, unsigned int *n)
{
	char err[512];
	int r;

	r = x2s_vm_desc_load(path, cfgs + *n, MAX_CONFIGS - *n, err,
			     sizeof(err));
	if (r < 0)
		return cli_error("verify", "%s", err);
	for (int i = 0; i < r; i++)
		cfg_args[*n + (unsigned int)i] = path;
	*n += (unsigned int)r;
	return 0;
}

static int add_variants(const char *list, struct variant *v, unsigned int *n)
{
	char *copy = strdup(list), *save = NULL, *tok;
	unsigned int before = *n;
	int r = 0;

	if (!copy)
		return cli_error("verify", "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		const struct x2s_fastpath_variant *fv = x2s_fastpath_find(tok);

		if (!strcmp(tok, "all")) {
			for (unsigned int i = 0;
			     i < x2s_fastpath_nr_variants && *n < MAX_VARIANTS;
			     i++) {
				v[*n].label = x2s_fastpath_variants[i].name;
				v[(*n)++].fn = x2s_fastpath_variants[i].fn;
			}
			continue;
		}
		if (!fv) {
			r = cli_error(
				"verify",
				"no fastpath '%s' (see 'x2sim fastpaths')",
				tok);
			break;
		}
		if (*n == MAX_VARIANTS) {
			r = cli_error("verify", "too many fastpaths");
			break;
		}
		v[*n].label = fv->name;
		v[(*n)++].fn = fv->fn;
	}
	free(copy);
	/* An empty list would silently mean every variant. */
	if (!r && *n == before)
		r = cli_error("verify", "--fastpath: no fastpath named");
	return r;
}

static bool parse_shard(const char *s, unsigned int *k, unsigned int *n)
{
	const char *slash = strchr(s, '/');
	char kbuf[32];
	u64 kv, nv;

	if (!slash || (size_t)(slash - s) >= sizeof(kbuf)) {
		cli_error("verify", "--shard wants K/N, not '%s'", s);
		return false;
	}
	memcpy(kbuf, s, (size_t)(slash - s));
	kbuf[slash - s] = '\0';
	if (!cli_parse_u64("verify", "--shard N", slash + 1, 1, 1u << 20,
			   &nv) ||
	    !cli_parse_u64("verify", "--shard K", kbuf, 1, nv, &kv))
		return false;
	*k = (unsigned int)kv;
	*n = (unsigned int)nv;
	return true;
}

static const char *const dm_names[8] = { "Fixed", "LowPrio", "SMI",  "RemRd",
					 "NMI",	  "INIT",    "SIPI", "ExtINT" };
static const char *const sh_names[4] = { "none", "self", "all", "all-but" };

static void print_profile(const struct variant *v)
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

/*
 * The stem of a saved case's name: the variant's name, a plugin's file
 * name, "linux-VERSION" for a kernel tree; only [A-Za-z0-9._-], never
 * starting with a dot (no hidden files).
 */
static const char *file_stem(const struct variant *v)
{
	static __thread char stem[96];
	const char *s = v->stem ? v->stem : v->label;
	const char *slash = strrchr(s, '/');
	size_t n = 0;

	if (slash && slash[1])
		s = slash + 1;
	for (; *s && n + 1 < sizeof(stem); s++) {
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

static int save_case(const char *dir, const struct variant *v, unsigned int idx,
		     const struct x2s_finding *f, char **path_out)
{
	struct cli_atomic_file af;
	struct x2s_case c = f->example;
	char comment[400], sig[200], *path;
	size_t len = strlen(dir) + strlen(v->label) + 32;
	int r;

	path = malloc(len);
	if (!path)
		return -ENOMEM;
	snprintf(path, len, "%s/%s-%u.json", dir, file_stem(v), idx);
	x2s_signature_format(f->signature, sig, sizeof(sig));
	snprintf(comment, sizeof(comment), "%s: %s, fastpath returned %s; %s",
		 v->label,
		 f->violation ? "contract violation" :
				x2s_verdict_name(f->verdict),
		 x2s_fastpath_result_name(f->fastpath), sig);
	snprintf(c.fastpath, sizeof(c.fastpath), "%s", v->label);
	r = cli_atomic_open(&af, path);
	if (r) {
		free(path);
		return r;
	}
	r = x2s_case_write(af.f, &c, comment);
	r = cli_atomic_commit(&af, r == 0);
	if (r) {
		free(path);
		return r;
	}
	*path_out = path;
	return 0;
}

static void print_findings(struct variant *v, unsigned int max,
			   enum x2s_contract contract, const char *save_dir)
{
	const struct x2s_sweep_report *r = &v->rep;
	unsigned int shown = 0, classes = 0;

	for (unsigned int i = 0; i < r->nr_findings; i++)
		classes++;
	if (!classes) {
		printf("\n%s: no mismatches%s.\n", v->label,
		       contract ? " and no contract violations" : "");
		return;
	}
	printf("\n%s: %u finding classes (%llu mismatching cases, %llu "
	       "contract violations)%s\n",
	       v->label, classes, (unsigned long long)r->mismatches,
	       (unsigned long long)r->violations,
	       classes > max ? ", the first shown" : "");
	v->saved = calloc(r->nr_findings, sizeof(char *));
	for (unsigned int i = 0; i < r->nr_findings && shown < max; i++) {
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
		cli_watch_case(f->config_index, &f->example);
		cli_print_case(stdout, &f->example, v->fn, v->label, contract,
			       &res);
		cli_watch_case_done();
		if (save_dir && v->saved &&
		    !save_case(save_dir, v, shown, f, &v->saved[i]))
			printf("  saved: %s   (x2sim replay %s)\n", v->saved[i],
			       v->saved[i]);
	}
	if (r->findings_dropped)
		printf("  (%llu more cases in classes beyond the table)\n",
		       (unsigned long long)r->findings_dropped);
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

/* "icr,exits", or "all" for every kind. */
static const char *sweep_name(unsigned int bits)
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

/* A comma-separated list of sweep kinds. */
static int parse_sweep(const char *v, unsigned int *bits)
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
				"verify",
				"--sweep takes icr, msr, exits or all, "
				"comma-separated, not '%s'",
				v);
		*bits |= sweeps[i].bits;
		p += len;
	} while (*p++ == ',');
	return 0;
}

/* The cases of each exit kind, and what became of them. */
static void print_exits(const struct variant *v)
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

static void json_report(FILE *f, struct variant *vs, unsigned int nv,
			const struct x2s_sweep_opts *o, unsigned int max,
			const struct x2s_kernel_fastpath *kfp)
{
	fprintf(f, "{\n  \"x2sim_verify\": 1,\n");
	if (kfp)
		cli_kernel_json(f, kfp);
	fprintf(f, "  \"sweep\": \"%s\",\n", sweep_name(o->sweep));
	fprintf(f, "  \"reduced\": %s,\n  \"contract\": \"%s\",\n",
		o->reduced ? "true" : "false",
		o->contract ? "single-target" : "none");
	fprintf(f, "  \"shard\": \"%u/%u\",\n  \"configs\": [", o->shard,
		o->nr_shards);
	for (unsigned int i = 0; i < o->nr_configs; i++) {
		fprintf(f, "%s", i ? ", " : "");
		json_write_string(f, o->configs[i].name);
	}
	fprintf(f, "],\n  \"variants\": [");
	for (unsigned int k = 0; k < nv; k++) {
		const struct x2s_sweep_report *r = &vs[k].rep;
		bool first = true;

		fprintf(f, "%s\n    {\n      \"name\": ", k ? "," : "");
		json_write_string(f, vs[k].label);
		fprintf(f,
			",\n      \"cases\": %llu, \"handled\": %llu, \"declined\": %llu,\n"
			"      \"mismatches\": %llu, \"warns\": %llu, \"dirty_none\": %llu,\n"
			"      \"violations\": %llu,\n      \"profile\": [",
			(unsigned long long)r->cases,
			(unsigned long long)r->handled,
			(unsigned long long)r->declined,
			(unsigned long long)r->mismatches,
			(unsigned long long)r->warns,
			(unsigned long long)r->dirty_none,
			(unsigned long long)r->violations);
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
		fprintf(f, "\n      ],\n      \"exits\": [");
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
		fprintf(f, "\n      ],\n      \"findings\": [");
		for (unsigned int i = 0; i < r->nr_findings && i < max; i++) {
			const struct x2s_finding *fd = &r->findings[i];
			char sig[200];

			x2s_signature_format(fd->signature, sig, sizeof(sig));
			fprintf(f, "%s\n        {\"verdict\": ", i ? "," : "");
			json_write_string(
				f, fd->violation ?
					   "contract violation" :
					   x2s_verdict_name(fd->verdict));
			fprintf(f,
				", \"fastpath_result\": \"%s\", \"count\": %llu,\n         \"cause\": \"%s\", \"differs\": ",
				x2s_fastpath_result_name(fd->fastpath),
				(unsigned long long)fd->count,
				fd->cause == X2S_CAUSE_NONE ?
					"" :
					x2s_cause_name(fd->cause));
			json_write_string(f, fd->violation ? "" : sig);
			fprintf(f, ", \"warn\": ");
			json_write_string(f, fd->warn);
			fprintf(f, ",\n         \"config\": ");
			json_write_string(f, fd->example.config.name);
			fprintf(f,
				", \"sender\": %u, \"exit\": \"%s\", \"ecx\": \"0x%x\", \"data\": \"0x%016llx\"",
				fd->example.sender,
				x2s_case_exit_name(fd->example.exit),
				fd->example.ecx,
				(unsigned long long)fd->example.data);
			if (x2s_case_exit_uses(fd->example.exit) &
			    X2S_CASE_USES_REG)
				fprintf(f, ", \"reg\": %u", fd->example.reg);
			if (vs[k].saved && vs[k].saved[i]) {
				fprintf(f, ", \"case_file\": ");
				json_write_string(f, vs[k].saved[i]);
			}
			fprintf(f, "}");
		}
		fprintf(f, "%s]\n    }", r->nr_findings ? "\n      " : "");
	}
	fprintf(f, "\n  ]\n}\n");
}

static bool takes_value(const char *opt)
{
	static const char *const opts[] = {
		"--fastpath", "--plugin",	 "--sweep",
		"--configs",  "--config",	 "--contract",
		"--threads",  "--shard",	 "--max-counterexamples",
		"--save",     "--json",		 "--kernel",
		"--patch",    "--kernel-source", "--kvm-version",
		"--cc",	      "--case-timeout",
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strcmp(opt, opts[i]))
			return true;
	return false;
}

static int prepare_save_dir(const char *dir)
{
	struct stat st;
	char probe[4096];
	int fd;

	if (mkdir(dir, 0777) && errno != EEXIST)
		return cli_error("verify", "--save %s: %s", dir,
				 strerror(errno));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return cli_error("verify", "--save %s: not a directory", dir);
	snprintf(probe, sizeof(probe), "%s/.x2sim-probe.XXXXXX", dir);
	fd = mkstemp(probe);
	if (fd < 0)
		return cli_error("verify", "--save %s: %s", dir,
				 strerror(errno));
	close(fd);
	unlink(probe);
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	static struct x2s_vm_desc cfgs[MAX_CONFIGS];
	struct variant vs[MAX_VARIANTS];
	struct x2s_sweep_opts o;
	struct cli_atomic_file jf = { 0 };
	const char *plugin = NULL, *save_dir = NULL, *json_path = NULL;
	struct x2s_kernel_opts ko = { 0 };
	struct x2s_kernel_fastpath *kfp = NULL;
	unsigned int nv = 0, nc = 0;
	u64 max = 5, threads = 0;
	bool failed = false, output_failed = false;
	unsigned int case_timeout = CLI_CASE_TIMEOUT_DEFAULT;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(vs, 0, sizeof(vs));
	memset(&o, 0, sizeof(o));
	o.sweep = X2S_SWEEP_DEFAULT;
	o.shard = o.nr_shards = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--reduced")) {
			o.reduced = true;
			continue;
		}
		if (!takes_value(a))
			return cli_error("verify", "unknown option '%s'", a);
		if (!v)
			return cli_error("verify", "%s needs a value", a);
		if (!strcmp(a, "--fastpath")) {
			if (add_variants(v, vs, &nv))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--plugin")) {
			plugin = v;
		} else if (!strcmp(a, "--kernel")) {
			ko.tree = v;
		} else if (!strcmp(a, "--patch")) {
			ko.patch = v;
		} else if (!strcmp(a, "--kernel-source")) {
			ko.source = v;
		} else if (!strcmp(a, "--kvm-version")) {
			ko.kvm_version = v;
		} else if (!strcmp(a, "--cc")) {
			ko.cc = v;
		} else if (!strcmp(a, "--sweep")) {
			if (parse_sweep(v, &o.sweep))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--configs")) {
			if (!strcmp(v, "list")) {
				list_configs();
				return 0;
			}
			if (looks_like_file(v) ? add_file(v, cfgs, &nc) :
						 add_named(v, cfgs, &nc))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--config")) {
			if (add_file(v, cfgs, &nc))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--contract")) {
			if (strcmp(v, "single-target"))
				return cli_error(
					"verify",
					"--contract single-target, not '%s'",
					v);
			o.contract = X2S_CONTRACT_SINGLE_TARGET;
		} else if (!strcmp(a, "--threads")) {
			if (!cli_parse_u64("verify", "--threads", v, 1, 256,
					   &threads))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--shard")) {
			if (!parse_shard(v, &o.shard, &o.nr_shards))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--max-counterexamples")) {
			if (!cli_parse_u64("verify", "--max-counterexamples", v,
					   0, 1000, &max))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--save")) {
			save_dir = v;
		} else if (!strcmp(a, "--json")) {
			json_path = v;
		} else if (!strcmp(a, "--case-timeout")) {
			if (!cli_parse_case_timeout("verify", v, &case_timeout))
				return EXIT_USAGE;
		} else {
			return cli_error("verify", "unknown option '%s'", a);
		}
		i++;
	}
	if (plugin && nv)
		return cli_error("verify",
				 "--fastpath and --plugin exclude each other");
	if (cli_kernel_wanted(&ko) && (plugin || nv))
		return cli_error(
			"verify",
			"--kernel/--kernel-source exclude --fastpath and --plugin");
	if (!nc)
		for (unsigned int i = 0; i < x2s_named_config_count(); i++)
			cfgs[nc++] = *x2s_named_config(i);
	if (save_dir && prepare_save_dir(save_dir))
		return EXIT_USAGE;
	if (json_path) {
		int r = cli_atomic_open(&jf, json_path);

		if (r)
			return cli_error("verify", "--json %s: %s", json_path,
					 strerror(-r));
	}
	/* Code that is not x2sim's runs in a child (tools/isolate.h). */
	if (plugin || cli_kernel_wanted(&ko)) {
		static char fp_args[8192];
		struct cli_isolate iso = {
			.cmd = "verify",
			.who = plugin ? "the plugin" : "the kernel's fastpath",
			.case_timeout = case_timeout,
			.outputs = { &jf },
			.configs = cfgs,
			.config_args = cfg_args,
			.nr_configs = nc,
			.fastpath_args = fp_args,
		};
		int status;

		cli_fastpath_args(fp_args, sizeof(fp_args), plugin, &ko);
		if (cli_isolate(&iso, &status))
			return status;
	}
	if (cli_kernel_wanted(&ko)) {
		cli_watch_phase(CLI_PHASE_BUILD);
		kfp = cli_kernel_build("verify", &ko);
		if (!kfp) {
			if (json_path)
				cli_atomic_commit(&jf, false);
			return EXIT_USAGE;
		}
		cli_kernel_print(stdout, kfp);
		vs[0].fn = kfp->fp;
		vs[0].label = kfp->label;
		vs[0].stem = kfp->stem;
		nv = 1;
	} else if (plugin) {
		char err[512];

		cli_watch_phase(CLI_PHASE_LOAD);
		if (x2s_plugin_load(plugin, &vs[0].fn, err, sizeof(err))) {
			if (json_path)
				cli_atomic_commit(&jf, false);
			return cli_error("verify", "%s", err);
		}
		vs[0].label = plugin;
		nv = 1;
	}
	cli_watch_phase(CLI_PHASE_CASES);
	if (!nv)
		add_variants("all", vs, &nv);

	o.configs = cfgs;
	o.nr_configs = nc;
	o.threads = threads ? (unsigned int)threads :
			      (cpus > 0 && cpus < 256 ? (unsigned int)cpus : 1);
	printf("x2sim verify: sweep %s%s, %u configurations, shard %u/%u, "
	       "%u threads, %llu cases per fastpath\n",
	       sweep_name(o.sweep), o.reduced ? " (reduced)" : "", nc, o.shard,
	       o.nr_shards, o.threads, (unsigned long long)x2s_sweep_count(&o));

	for (unsigned int k = 0; k < nv; k++) {
		struct progress p = { .label = vs[k].label, .start = now() };
		int r;

		o.fn = vs[k].fn;
		o.progress = isatty(STDERR_FILENO) ? progress_cb : NULL;
		o.opaque = &p;
		o.watch = cli_watch ? &cli_watch->sweep : NULL;
		r = x2s_sweep_run(&o, &vs[k].rep);
		if (p.shown)
			fprintf(stderr, "\r%70s\r", "");
		if (r) {
			if (json_path)
				cli_atomic_commit(&jf, false);
			fprintf(stderr, "x2sim verify: %s: %s\n", vs[k].label,
				strerror(-r));
			return EXIT_CHECK;
		}
	}

	cli_watch_phase(CLI_PHASE_REPORT);
	printf("\n%-16s %12s %12s %12s %11s %11s %9s %12s\n", "fastpath",
	       "cases", "handled", "declined", "mismatches", "violations",
	       "seconds", "cases/s");
	for (unsigned int k = 0; k < nv; k++) {
		const struct x2s_sweep_report *r = &vs[k].rep;

		printf("%-16s %12llu %12llu %12llu %11llu %11llu %9.2f %12.0f\n",
		       vs[k].label, (unsigned long long)r->cases,
		       (unsigned long long)r->handled,
		       (unsigned long long)r->declined,
		       (unsigned long long)r->mismatches,
		       (unsigned long long)r->violations, r->seconds,
		       r->seconds > 0 ? r->cases / r->seconds : 0.0);
		if (r->mismatches || (o.contract && r->violations))
			failed = true;
	}
	for (unsigned int k = 0; k < nv; k++)
		print_profile(&vs[k]);
	if (o.sweep & X2S_SWEEP_EXITS)
		for (unsigned int k = 0; k < nv; k++)
			print_exits(&vs[k]);
	for (unsigned int k = 0; k < nv; k++)
		print_findings(&vs[k], (unsigned int)max, o.contract, save_dir);

	if (json_path) {
		int r;

		json_report(jf.f, vs, nv, &o, (unsigned int)max, kfp);
		r = cli_atomic_commit(&jf, true);
		if (r) {
			fprintf(stderr, "x2sim verify: --json %s: %s\n",
				json_path, strerror(-r));
			output_failed = true;
		}
	}
	for (unsigned int k = 0; k < nv; k++) {
		if (vs[k].saved)
			for (unsigned int i = 0; i < vs[k].rep.nr_findings; i++)
				free(vs[k].saved[i]);
		free(vs[k].saved);
		x2s_sweep_report_free(&vs[k].rep);
	}
	cli_kernel_free(kfp);
	if (failed)
		return EXIT_CHECK;
	return output_failed ? EXIT_USAGE : 0;
}
