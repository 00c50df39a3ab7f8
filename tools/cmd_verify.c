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
#include "report.h"
#include "sha256.h"
#include "fastpath/plugin.h"
#include "kernel/kbuild.h"
#include "verify/json.h"
#include "verify/verify.h"

#define MAX_VARIANTS 8
#define MAX_CONFIGS 64

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
		"  --shard-index I --shard-count N\n"
		"                          the same, 0-based (I+1 of N), for job\n"
		"                          arrays: without --shard-index, I is\n"
		"                          $JOB_COMPLETION_INDEX or $SLURM_ARRAY_TASK_ID\n"
		"                          (x2sim merge joins the shards' --json)\n"
		"  --max-counterexamples N mismatch classes shown per variant (5)\n"
		"  --save DIR              write each shown counterexample as a case\n"
		"                          file (x2sim replay FILE reruns it)\n"
		"  --json FILE             the report as JSON (docs/verify-json.md)\n"
		"  --case-timeout SEC      with --plugin or --kernel: a case that runs\n"
		"                          longer is a hang (default %d; 0: none)\n"
		"  --findings-exit-status N  the status when there are findings\n"
		"                          (default 1; 0 for a scheduler that\n"
		"                          collects the reports)\n"
		"  --plugin and --kernel code runs in a child process: a crash, an\n"
		"  abort(), an exit() or a hang in it is a finding: one message\n"
		"  naming the case, the case saved (--save) and in the JSON report\n"
		"exit status: 0 no finding, 1 findings: a mismatch, a contract\n"
		"             violation, fastpath code that crashed, hung or ended\n"
		"             the process (or --findings-exit-status), 2 usage or\n"
		"             input error\n",
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

static int add_variants(const char *list, struct cli_variant *v,
			unsigned int *n)
{
	char *copy = strdup(list), *save = NULL, *tok;
	unsigned int before = *n;
	int r = 0;

	if (!copy)
		return cli_error("verify", "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		const struct x2s_fastpath *fn;
		const char *label;

		if (!strcmp(tok, "all")) {
			for (unsigned int i = 0;
			     i < x2s_fastpath_nr_variants && *n < MAX_VARIANTS;
			     i++) {
				v[*n].label = x2s_fastpath_variants[i].name;
				v[(*n)++].fn = x2s_fastpath_variants[i].fn;
			}
			continue;
		}
		r = cli_fastpath_find("verify", tok, &fn, &label);
		if (r)
			break;
		if (!fn) {
			r = cli_error("verify",
				      "--fastpath none: nothing to verify");
			break;
		}
		if (*n == MAX_VARIANTS) {
			r = cli_error("verify", "too many fastpaths");
			break;
		}
		v[*n].label = label;
		v[(*n)++].fn = fn;
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

enum {
	OPT_FASTPATH = CLI_OPT_LONG,
	OPT_PLUGIN,
	OPT_SWEEP,
	OPT_REDUCED,
	OPT_CONFIGS,
	OPT_CONFIG,
	OPT_CONTRACT,
	OPT_THREADS,
	OPT_SHARD,
	OPT_SHARD_INDEX,
	OPT_SHARD_COUNT,
	OPT_MAX_COUNTEREXAMPLES,
	OPT_SAVE,
	OPT_JSON,
	OPT_CASE_TIMEOUT,
	OPT_FINDINGS_EXIT_STATUS,
};

const struct option verify_options[] = {
	{ "fastpath", required_argument, NULL, OPT_FASTPATH },
	{ "plugin", required_argument, NULL, OPT_PLUGIN },
	{ "sweep", required_argument, NULL, OPT_SWEEP },
	{ "reduced", no_argument, NULL, OPT_REDUCED },
	{ "configs", required_argument, NULL, OPT_CONFIGS },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "contract", required_argument, NULL, OPT_CONTRACT },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "shard-index", required_argument, NULL, OPT_SHARD_INDEX },
	{ "shard-count", required_argument, NULL, OPT_SHARD_COUNT },
	{ "max-counterexamples", required_argument, NULL,
	  OPT_MAX_COUNTEREXAMPLES },
	{ "save", required_argument, NULL, OPT_SAVE },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "case-timeout", required_argument, NULL, OPT_CASE_TIMEOUT },
	{ "findings-exit-status", required_argument, NULL,
	  OPT_FINDINGS_EXIT_STATUS },
	CLI_KERNEL_OPTIONS,
	CLI_CC_OPTION,
	CLI_OPT_HELP,
	CLI_OPT_END,
};

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

/*
 * --shard-index I --shard-count N (0-based, for job arrays): the index
 * from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or
 * SLURM_ARRAY_TASK_ID when it is not given.
 */
static int job_shard(const char *index, const char *count, unsigned int *k,
		     unsigned int *n)
{
	const char *from = "--shard-index";
	char what[64];
	u64 nv, iv;

	if (!count)
		return cli_error("verify", "--shard-index needs --shard-count");
	if (!cli_parse_u64("verify", "--shard-count", count, 1, 1u << 20, &nv))
		return EXIT_USAGE;
	if (!index) {
		static const char *const vars[] = { "JOB_COMPLETION_INDEX",
						    "SLURM_ARRAY_TASK_ID" };

		for (size_t i = 0; i < 2 && !index; i++) {
			index = getenv(vars[i]);
			from = vars[i];
		}
		if (!index)
			return cli_error(
				"verify",
				"--shard-count without --shard-index, and neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set");
	}
	snprintf(what, sizeof(what), "%s (0 to %llu)", from,
		 (unsigned long long)nv - 1);
	if (!cli_parse_u64("verify", what, index, 0, nv - 1, &iv))
		return EXIT_USAGE;
	*k = (unsigned int)iv + 1;
	*n = (unsigned int)nv;
	return 0;
}

/* The parent of a failed plugin: save its case(s), write the report. */
struct verify_failure_ctx {
	struct cli_report *rep;
	const char *save_dir;
	const char *json_path;
	const char *fastpath_args; /* "--plugin P", shell-quoted */
};

static int verify_failed(void *opaque, struct cli_failure *f, unsigned int n,
			 const char *label)
{
	struct verify_failure_ctx *ctx = opaque;
	struct cli_variant *v = &ctx->rep->v[0];
	struct cli_atomic_file af;
	int status = 0;

	v->failures = calloc(n, sizeof(*f));
	if (!v->failures)
		return cli_error("verify", "out of memory");
	if (label)
		v->label = label;
	for (unsigned int i = 0; i < n; i++) {
		char suffix[32], comment[1200];

		v->failures[i] = f[i];
		if (!ctx->save_dir || !f[i].has_case)
			continue;
		snprintf(suffix, sizeof(suffix),
			 n > 1 ? "failure-%u" : "failure", i + 1);
		snprintf(comment, sizeof(comment), "%s: %s%s", v->label,
			 f[i].message, n > 1 ? " (in one of these cases)" : "");
		if (cli_save_case(ctx->save_dir, v, suffix, &f[i].c, comment,
				  &v->failures[i].case_file)) {
			cli_message("verify", "--save %s: cannot save the case",
				    ctx->save_dir);
			status = EXIT_USAGE;
			continue;
		}
		printf("saved: %s   (x2sim replay %s %s)\n",
		       v->failures[i].case_file, v->failures[i].case_file,
		       ctx->fastpath_args);
	}
	v->nr_failures = n;
	if (ctx->json_path) {
		int r = cli_atomic_open(&af, ctx->json_path);

		if (!r) {
			cli_report_json(af.f, ctx->rep);
			r = cli_atomic_commit(&af, true);
		}
		if (r) {
			cli_message("verify", "--json %s: %s", ctx->json_path,
				    strerror(-r));
			status = EXIT_USAGE;
		}
	}
	fflush(stdout);
	return status;
}

int cmd_verify(int argc, char **argv)
{
	static struct x2s_vm_desc cfgs[MAX_CONFIGS];
	static const char *cfg_names[MAX_CONFIGS];
	struct cli_variant vs[MAX_VARIANTS];
	struct cli_report rep;
	struct x2s_sweep_opts o;
	struct cli_atomic_file jf = { 0 };
	const char *plugin = NULL, *save_dir = NULL, *json_path = NULL;
	const char *shard_index = NULL, *shard_count = NULL;
	struct x2s_kernel_opts ko = { 0 };
	struct x2s_kernel_fastpath *kfp = NULL;
	unsigned int nv = 0, nc = 0;
	u64 max = 5, threads = 0, findings_status = EXIT_CHECK;
	bool output_failed = false, have_shard = false;
	unsigned int case_timeout = CLI_CASE_TIMEOUT_DEFAULT;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int status, opt;

	memset(vs, 0, sizeof(vs));
	memset(&o, 0, sizeof(o));
	memset(&rep, 0, sizeof(rep));
	o.sweep = X2S_SWEEP_DEFAULT;
	o.shard = o.nr_shards = 1;
	while ((opt = cli_getopt("verify", argc, argv, NULL, verify_options)) !=
	       -1) {
		const char *v = optarg;

		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case OPT_REDUCED:
			o.reduced = true;
			break;
		case OPT_FASTPATH:
			if (add_variants(v, vs, &nv))
				return EXIT_USAGE;
			break;
		case OPT_PLUGIN:
			plugin = v;
			break;
		case OPT_SWEEP:
			if (cli_sweep_parse("verify", v, &o.sweep))
				return EXIT_USAGE;
			break;
		case OPT_CONFIGS:
			if (!strcmp(v, "list")) {
				list_configs();
				return 0;
			}
			if (looks_like_file(v) ? add_file(v, cfgs, &nc) :
						 add_named(v, cfgs, &nc))
				return EXIT_USAGE;
			break;
		case OPT_CONFIG:
			/* A file, or one configuration of the named set. */
			if (looks_like_file(v)) {
				if (add_file(v, cfgs, &nc))
					return EXIT_USAGE;
			} else if (!strchr(v, ',') &&
				   x2s_named_config_find(v)) {
				if (add_named(v, cfgs, &nc))
					return EXIT_USAGE;
			} else {
				return cli_error(
					"verify",
					"--config: no configuration or "
					"file '%s' (x2sim verify "
					"--configs list)",
					v);
			}
			break;
		case OPT_CONTRACT:
			if (strcmp(v, "single-target"))
				return cli_error(
					"verify",
					"--contract single-target, not '%s'",
					v);
			o.contract = X2S_CONTRACT_SINGLE_TARGET;
			break;
		case OPT_THREADS:
			if (!cli_parse_u64("verify", "--threads", v, 1, 256,
					   &threads))
				return EXIT_USAGE;
			break;
		case OPT_SHARD:
			if (!parse_shard(v, &o.shard, &o.nr_shards))
				return EXIT_USAGE;
			have_shard = true;
			break;
		case OPT_SHARD_INDEX:
			shard_index = v;
			break;
		case OPT_SHARD_COUNT:
			shard_count = v;
			break;
		case OPT_MAX_COUNTEREXAMPLES:
			if (!cli_parse_u64("verify", "--max-counterexamples", v,
					   0, 1000, &max))
				return EXIT_USAGE;
			break;
		case OPT_SAVE:
			save_dir = v;
			break;
		case OPT_JSON:
			json_path = v;
			break;
		case OPT_CASE_TIMEOUT:
			if (!cli_parse_case_timeout("verify", v, &case_timeout))
				return EXIT_USAGE;
			break;
		case OPT_FINDINGS_EXIT_STATUS:
			if (!cli_parse_u64("verify", "--findings-exit-status",
					   v, 0, 125, &findings_status))
				return EXIT_USAGE;
			break;
		default:
			if (!cli_kernel_option(opt, v, &ko))
				return EXIT_USAGE;
		}
	}
	if (cli_no_operands("verify", argc, argv))
		return EXIT_USAGE;
	if (shard_index || shard_count) {
		if (have_shard)
			return cli_error(
				"verify",
				"--shard and --shard-index/--shard-count exclude each other");
		if (job_shard(shard_index, shard_count, &o.shard, &o.nr_shards))
			return EXIT_USAGE;
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
	for (unsigned int i = 0; i < nc; i++)
		cfg_names[i] = cfgs[i].name;
	if (save_dir && prepare_save_dir(save_dir))
		return EXIT_USAGE;

	/* What the report says of this run, also when a plugin fails. */
	rep.cmd = "verify";
	rep.argc = cli_given_argc;
	rep.argv = cli_given_argv;
	rep.sweep = o.sweep;
	rep.reduced = o.reduced;
	rep.contract = o.contract;
	rep.shard = o.shard;
	rep.nr_shards = o.nr_shards;
	rep.max = (unsigned int)max;
	rep.config_names = cfg_names;
	rep.nr_configs = nc;
	cli_configs_sha256(cfgs, nc, rep.configs_sha256);
	rep.version = cli_version();
	rep.commit = cli_commit();
	rep.kvm_model = CLI_KVM_MODEL;
	rep.v = vs;
	if (plugin) {
		/* Unreadable: the child's loader says why, in its words. */
		if (sha256_file(plugin, rep.plugin_sha256))
			snprintf(rep.plugin_sha256, sizeof(rep.plugin_sha256),
				 "unknown");
		rep.plugin = plugin;
	}

	if (json_path) {
		int r = cli_atomic_open(&jf, json_path);

		if (r)
			return cli_error("verify", "--json %s: %s", json_path,
					 strerror(-r));
	}
	/* Code that is not x2sim's runs in a child (tools/isolate.h). */
	if (plugin || cli_kernel_wanted(&ko)) {
		static char fp_args[8192];
		struct verify_failure_ctx ctx = {
			.rep = &rep,
			.save_dir = save_dir,
			.json_path = json_path,
			.fastpath_args = fp_args,
		};
		struct cli_isolate iso = {
			.cmd = "verify",
			.who = plugin ? "the plugin" : "the kernel's fastpath",
			.case_timeout = case_timeout,
			.outputs = { &jf },
			.configs = cfgs,
			.config_args = cfg_args,
			.nr_configs = nc,
			.fastpath_args = fp_args,
			.failure_is_finding = true,
			.findings_status_set = true,
			.findings_status = (int)findings_status,
			.on_failure = verify_failed,
			.opaque = &ctx,
		};

		cli_fastpath_args(fp_args, sizeof(fp_args), plugin, &ko);
		/* Until the child says otherwise: the label it would use. */
		vs[0].label = plugin ? plugin : "Linux (the kernel's fastpath)";
		rep.nv = 1;
		if (cli_isolate(&iso, &status)) {
			cli_report_free(&rep);
			return status;
		}
		rep.nv = 0;
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
		cli_watch_label(kfp->label);
		nv = 1;
		rep.kfp = kfp;
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
	rep.nv = nv;
	for (unsigned int k = 0; k < nv; k++)
		vs[k].can_run = true;

	o.configs = cfgs;
	o.nr_configs = nc;
	o.threads = threads ? (unsigned int)threads :
			      (cpus > 0 && cpus < 256 ? (unsigned int)cpus : 1);
	printf("x2sim verify: sweep %s%s, %u configurations, shard %u/%u, "
	       "%u threads, %llu cases per fastpath\n",
	       cli_sweep_name(o.sweep), o.reduced ? " (reduced)" : "", nc,
	       o.shard, o.nr_shards, o.threads,
	       (unsigned long long)x2s_sweep_count(&o));

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
			cli_message("verify", "%s: %s", vs[k].label,
				    strerror(-r));
			return EXIT_CHECK;
		}
	}

	cli_watch_phase(CLI_PHASE_REPORT);
	cli_report_print(&rep, save_dir);

	if (json_path) {
		int r;

		cli_report_json(jf.f, &rep);
		r = cli_atomic_commit(&jf, true);
		if (r) {
			cli_message("verify", "--json %s: %s", json_path,
				    strerror(-r));
			output_failed = true;
		}
	}
	status = cli_report_has_findings(&rep) ? (int)findings_status : 0;
	cli_report_free(&rep);
	cli_kernel_free(kfp);
	if (output_failed)
		return EXIT_USAGE;
	return status;
}
