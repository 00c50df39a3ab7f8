// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim case / replay: one WRMSR exit, with the fastpath and without it,
 * both outcomes of every vCPU and the verdict.  Also the helpers verify
 * shares: choosing a fastpath and printing one decoded case.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "isolate.h"
#include "fastpath/plugin.h"
#include "kernel/kbuild.h"
#include "verify/json.h"
#include "verify/verify.h"

/*
 * The fastpath of each command when neither --fastpath nor --plugin is
 * given, as docs/x2sim.1 documents it: case and replay check a fastpath
 * (replay: the case file's own first), run runs the guest without one.
 * verify's default, every shipped variant, is verify's own.
 */
static const struct {
	const char *cmd;
	const char *name;
} fastpath_defaults[] = {
	{ "case", "upstream" },
	{ "replay", "upstream" },
	{ "run", "none" },
};

const char *cli_fastpath_default(const char *cmd)
{
	for (size_t i = 0;
	     i < sizeof(fastpath_defaults) / sizeof(fastpath_defaults[0]); i++)
		if (!strcmp(cmd, fastpath_defaults[i].cmd))
			return fastpath_defaults[i].name;
	return "none";
}

int cli_fastpath_find(const char *cmd, const char *name,
		      const struct x2s_fastpath **fn, const char **label)
{
	const struct x2s_fastpath_variant *v = x2s_fastpath_find(name);

	if (!strcmp(name, "none")) {
		*fn = NULL;
		*label = "none";
		return 0;
	}
	if (!v)
		return cli_error(
			cmd,
			"no fastpath '%s' (see 'x2sim fastpaths'; none: no fastpath)",
			name);
	*fn = v->fn;
	*label = v->name;
	return 0;
}

int cli_select_fastpath(const char *cmd, const char *name, const char *plugin,
			const struct x2s_kernel_opts *ko,
			const struct x2s_fastpath **fn, const char **label)
{
	/* Built once per process; it stays loaded, and so does its label. */
	static struct x2s_kernel_fastpath *kfp;
	char err[512];

	if (name && plugin)
		return cli_error(cmd,
				 "--fastpath and --plugin exclude each other");
	if (ko && cli_kernel_wanted(ko)) {
		if (name || plugin)
			return cli_error(
				cmd,
				"--kernel/--kernel-source exclude --fastpath and --plugin");
		if (!kfp)
			kfp = cli_kernel_build(cmd, ko);
		if (!kfp)
			return EXIT_USAGE;
		*fn = kfp->fp;
		*label = kfp->label;
		return 0;
	}
	if (plugin) {
		/* The loader's message names the file. */
		if (x2s_plugin_load(plugin, fn, err, sizeof(err)))
			return cli_error(cmd, "%s", err);
		*label = plugin;
		return 0;
	}
	return cli_fastpath_find(cmd, name ? name : cli_fastpath_default(cmd),
				 fn, label);
}

int cli_load_config(const char *cmd, const char *arg, struct x2s_vm_desc *d)
{
	const struct x2s_vm_desc *named = x2s_named_config_find(arg);
	struct stat st;
	char err[512];
	int r;

	if (named) {
		*d = *named;
		return 0;
	}
	/* Neither a name nor a file: say so, not just "No such file". */
	if (!strchr(arg, '/') && stat(arg, &st))
		return cli_error(
			cmd,
			"no configuration or file '%s' (x2sim verify --configs list)",
			arg);
	r = x2s_vm_desc_load(arg, d, 1, err, sizeof(err));
	if (r < 0)
		return cli_error(cmd, "%s", err);
	return 0;
}

static void print_vcpu_line(FILE *out, unsigned int i,
			    const struct x2s_vcpu_state *st, bool sender)
{
	int vectors = 0;

	fprintf(out, "    vcpu%u%s: RIP 0x%llx mp_state %u", i,
		sender ? " (sender)" : "",
		(unsigned long long)st->regs[X2S_REG_RIP], st->mp_state);
	for (int vec = 0; vec < 256; vec++) {
		u32 w;

		memcpy(&w, st->apic_page + APIC_IRR + (vec / 32) * 16, 4);
		if (w & (1u << (vec % 32))) {
			fprintf(out, "%s0x%02x", vectors++ ? "," : " IRR ",
				vec);
		}
	}
	if (st->nmi_pending)
		fprintf(out, " NMI");
	if (st->init_pending)
		fprintf(out, " INIT");
	if (st->sipi_pending)
		fprintf(out, " SIPI(0x%02x)", st->sipi_vector);
	if (st->exception_pending || st->exception_injected)
		fprintf(out, " exception %u(%u)", st->exception_vector,
			st->exception_error_code);
	if (st->entry_intr_info >> 31)
		fprintf(out, " inject 0x%08x", st->entry_intr_info);
	if (st->run_exit_reason)
		fprintf(out, " kvm_run.exit_reason %u", st->run_exit_reason);
	if (st->nested_exit)
		fprintf(out, " nested-exit %u", st->nested_exit_reason);
	fputc('\n', out);
}

static const char *status_text(const struct x2s_exit_result *r)
{
	static __thread char buf[64];

	switch (r->status) {
	case X2S_STATUS_GUEST:
		return "re-enters the guest";
	case X2S_STATUS_BLOCKED:
		return "blocks (halted or waiting)";
	default:
		snprintf(buf, sizeof(buf),
			 "exits to userspace (exit_reason %u)",
			 r->run_exit_reason);
		return buf;
	}
}

int cli_print_case(FILE *out, const struct x2s_case *c,
		   const struct x2s_fastpath *fn, const char *label,
		   int contract, struct x2s_case_result *res)
{
	unsigned int n = c->config.nr_vcpus;
	struct x2s_vcpu_state *fs = calloc(n, sizeof(*fs));
	struct x2s_vcpu_state *ss = calloc(n, sizeof(*ss));
	char exit[96];
	int r;

	if (!fs || !ss) {
		free(fs);
		free(ss);
		return -ENOMEM;
	}
	fprintf(out, "  configuration %s (%u vCPUs)%s%s\n", c->config.name, n,
		c->config.description[0] ? ": " : "", c->config.description);
	x2s_case_exit_format(c, exit, sizeof(exit));
	fprintf(out, "  sender vcpu%u, %s\n", c->sender, exit);
	if (c->exit == X2S_CASE_WRMSR || x2s_case_writes_icr(c))
		x2s_icr_decode(out, c->data, "    ");
	fprintf(out, "  fastpath %s\n", label);
	r = x2s_verify_case(c, fn, (enum x2s_contract)contract, res, fs, ss,
			    NULL);
	if (r) {
		free(fs);
		free(ss);
		return r;
	}
	fprintf(out, "  fastpath returned %s; verdict: %s%s\n",
		x2s_fastpath_result_name(res->fastpath),
		x2s_verdict_name(res->verdict),
		res->contract_violation ? " (contract violated)" : "");
	if (res->warn[0])
		fprintf(out, "  %s\n", res->warn);
	fprintf(out, "  with the fastpath: the sender %s\n",
		status_text(&res->fast));
	for (unsigned int i = 0; i < n; i++)
		print_vcpu_line(out, i, &fs[i], i == c->sender);
	fprintf(out, "  slow path: the sender %s\n", status_text(&res->slow));
	for (unsigned int i = 0; i < n; i++)
		print_vcpu_line(out, i, &ss[i], i == c->sender);
	if (res->verdict != X2S_VERDICT_DECLINED &&
	    res->verdict != X2S_VERDICT_EQUAL) {
		bool status = res->fast.status != res->slow.status;

		fprintf(out, "  differences (fast vs slow):\n");
		if (status)
			fprintf(out, "  vcpu%u exit: %s vs %s\n", c->sender,
				res->fast.status == X2S_STATUS_USERSPACE ?
					"to userspace" :
					"back into the guest",
				res->slow.status == X2S_STATUS_USERSPACE ?
					"to userspace" :
					"back into the guest");
		if (!x2s_state_diff(fs, ss, n, out) && !status)
			fprintf(out, "    none in the final state (the "
				     "difference is the WARN or the exit "
				     "status)\n");
	}
	free(fs);
	free(ss);
	return 0;
}

/* "MSR=VALUE" */
static bool parse_wrmsr(const char *arg, u32 *msr, u64 *data)
{
	char *copy = strdup(arg), *eq;
	u64 m;
	bool ok = false;

	if (!copy)
		return false;
	eq = strchr(copy, '=');
	if (!eq) {
		cli_error("case", "--wrmsr wants MSR=VALUE, not '%s'", arg);
	} else {
		*eq = '\0';
		ok = cli_parse_u64("case", "--wrmsr MSR", copy, 0, UINT32_MAX,
				   &m) &&
		     cli_parse_u64("case", "--wrmsr VALUE", eq + 1, 0,
				   UINT64_MAX, data);
		*msr = (u32)m;
	}
	free(copy);
	return ok;
}

/*
 * "NAME[:ECX][=DATA]": the exit by name, then what ECX and EDX:EAX (or
 * the offset and value, the immediate and register) hold.
 */
static bool parse_exit(const char *arg, struct x2s_case *c)
{
	char *copy = strdup(arg), *colon, *eq;
	bool ok = true;
	u64 v;
	int x;

	if (!copy)
		return false;
	eq = strchr(copy, '=');
	if (eq)
		*eq++ = '\0';
	colon = strchr(copy, ':');
	if (colon)
		*colon++ = '\0';
	x = x2s_case_exit_find(copy);
	if (x < 0) {
		cli_error("case",
			  "--exit: unknown exit '%s' (wrmsr, rdmsr, wrmsr-imm, "
			  "rdmsr-imm, hlt, invd, preemption-timer, "
			  "interrupt-window, nmi-window, external-interrupt, "
			  "triple-fault, apic-read, apic-write)",
			  copy);
		ok = false;
	} else {
		c->exit = (enum x2s_case_exit)x;
		if (colon) {
			ok = cli_parse_u64("case", "--exit ECX", colon, 0,
					   UINT32_MAX, &v);
			c->ecx = (u32)v;
		}
		if (ok && eq)
			ok = cli_parse_u64("case", "--exit DATA", eq, 0,
					   UINT64_MAX, &c->data);
	}
	free(copy);
	return ok;
}

static void case_json(FILE *f, const struct x2s_case *c, const char *label,
		      const struct x2s_case_result *res)
{
	fprintf(f, "{\n  \"fastpath\": ");
	json_write_string(f, label);
	fprintf(f, ",\n  \"fastpath_result\": \"%s\",\n",
		x2s_fastpath_result_name(res->fastpath));
	fprintf(f, "  \"verdict\": ");
	json_write_string(f, x2s_verdict_name(res->verdict));
	fprintf(f, ",\n  \"contract_violation\": %s,\n  \"warn\": ",
		res->contract_violation ? "true" : "false");
	json_write_string(f, res->warn);
	fprintf(f, ",\n  \"case\": ");
	x2s_case_write(f, c, NULL);
	fprintf(f, "}\n");
}

static void case_usage(FILE *out)
{
	fprintf(out,
		"usage: x2sim case --config NAME|FILE --sender N\n"
		"                  (--wrmsr MSR=VALUE | --exit NAME[:ECX][=DATA] [--reg R])\n"
		"                  [--fastpath NAME|none | --plugin FILE |\n"
		"                   --kernel DIR [--patch FILE] |\n"
		"                   --kernel-source FILE --kvm-version X.Y]\n"
		"                  [--cc CC] [--json [FILE|-]]\n"
		"                  [--case-timeout SEC]\n"
		"  one exit of vCPU N, with the fastpath (default upstream) and\n"
		"  without it; prints both outcomes and the verdict.\n"
		"  --exit: wrmsr, rdmsr, wrmsr-imm, rdmsr-imm (ECX: the MSR;\n"
		"  DATA: EDX:EAX, or register R of the immediate forms), hlt, invd,\n"
		"  preemption-timer, interrupt-window, nmi-window, triple-fault\n"
		"  (ECX and EDX:EAX as given), external-interrupt (DATA: vector),\n"
		"  apic-read, apic-write (ECX: offset, DATA: value)\n"
		"  --plugin and --kernel code runs in a child process; a crash, an\n"
		"  exit() or a case longer than --case-timeout (default %d s) is\n"
		"  one message and status 1, a finding\n"
		"  exit status: 0 equal or declined, 1 mismatch or failure of the\n"
		"  fastpath code, 2 usage error\n",
		CLI_CASE_TIMEOUT_DEFAULT);
}

/*
 * A plugin or a kernel's code: go on in a child (tools/isolate.h).  True
 * in the parent, with the exit status in *status; false in the child, or
 * when there is nothing to isolate.  The child is left loading or
 * building the fastpath.
 */
static bool isolated_select(const char *cmd, const struct x2s_case *c,
			    const char *config_arg, const char *file,
			    const char *name, const char *plugin,
			    const struct x2s_kernel_opts *ko,
			    unsigned int case_timeout,
			    struct cli_atomic_file *out, int *status)
{
	static char fp_args[8192], again[8400];
	static const char *config_args[1];
	struct cli_isolate iso = {
		.cmd = cmd,
		.who = plugin ? "the plugin" : "the kernel's fastpath",
		.case_timeout = case_timeout,
		.configs = &c->config,
		.config_args = config_args,
		.nr_configs = 1,
		.fastpath_args = fp_args,
		/* The case's own failure is its finding: status 1. */
		.failure_is_finding = true,
		.outputs = { out && out->f ? out : NULL },
	};
	bool kernel = cli_kernel_wanted(ko);

	/* Mistakes in the options are told without a child. */
	if (!plugin && !kernel)
		return false;
	if ((name && plugin) || (kernel && (name || plugin)))
		return false;
	config_args[0] = config_arg;
	cli_fastpath_args(fp_args, sizeof(fp_args), plugin, ko);
	if (file) {
		snprintf(again, sizeof(again), "x2sim replay");
		cli_shell_append(again, sizeof(again), file);
		snprintf(again + strlen(again), sizeof(again) - strlen(again),
			 " %s", fp_args);
		if (case_timeout != CLI_CASE_TIMEOUT_DEFAULT)
			snprintf(again + strlen(again),
				 sizeof(again) - strlen(again),
				 " --case-timeout %u", case_timeout);
		iso.reproduce = again;
	}
	if (cli_isolate(&iso, status))
		return true;
	cli_watch_phase(plugin ? CLI_PHASE_LOAD : CLI_PHASE_BUILD);
	return false;
}

enum {
	OPT_CONFIG = CLI_OPT_LONG,
	OPT_SENDER,
	OPT_WRMSR,
	OPT_EXIT,
	OPT_REG,
	OPT_FASTPATH,
	OPT_PLUGIN,
	OPT_JSON,
	OPT_CASE_TIMEOUT,
};

const struct option case_options[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "sender", required_argument, NULL, OPT_SENDER },
	{ "wrmsr", required_argument, NULL, OPT_WRMSR },
	{ "exit", required_argument, NULL, OPT_EXIT },
	{ "reg", required_argument, NULL, OPT_REG },
	{ "fastpath", required_argument, NULL, OPT_FASTPATH },
	{ "plugin", required_argument, NULL, OPT_PLUGIN },
	{ "json", optional_argument, NULL, OPT_JSON },
	{ "case-timeout", required_argument, NULL, OPT_CASE_TIMEOUT },
	CLI_KERNEL_OPTIONS,
	CLI_CC_OPTION,
	CLI_OPT_HELP,
	CLI_OPT_END,
};

int cmd_case(int argc, char **argv)
{
	const char *config = NULL, *name = NULL, *plugin = NULL, *label;
	const char *json_path = NULL;
	struct cli_atomic_file af = { 0 };
	bool json = false, have_exit = false, have_sender = false;
	bool have_reg = false;
	u64 reg = 0;
	struct x2s_kernel_opts ko = { 0 };
	struct x2s_case c;
	struct x2s_case_result res;
	const struct x2s_fastpath *fn;
	u64 sender = 0;
	unsigned int case_timeout = CLI_CASE_TIMEOUT_DEFAULT;
	int r, opt;

	memset(&c, 0, sizeof(c));
	while ((opt = cli_getopt("case", argc, argv, NULL, case_options)) !=
	       -1) {
		const char *v = optarg;

		switch (opt) {
		case 'h':
			case_usage(stdout);
			return 0;
		case OPT_JSON:
			/*
			 * --json [FILE|-]: the next argument is its file when
			 * it is not an option.
			 */
			json = true;
			if (!v && optind < argc &&
			    (argv[optind][0] != '-' ||
			     !strcmp(argv[optind], "-")))
				v = argv[optind++];
			json_path = v && strcmp(v, "-") ? v : NULL;
			break;
		case OPT_CONFIG:
			config = v;
			break;
		case OPT_SENDER:
			if (!cli_parse_u64("case", "--sender", v, 0,
					   X2S_DESC_MAX_VCPUS - 1, &sender))
				return EXIT_USAGE;
			have_sender = true;
			break;
		case OPT_WRMSR:
		case OPT_EXIT:
			if (have_exit)
				return cli_error("case",
						 "one --wrmsr or --exit");
			if (opt == OPT_WRMSR ?
				    !parse_wrmsr(v, &c.ecx, &c.data) :
				    !parse_exit(v, &c))
				return EXIT_USAGE;
			have_exit = true;
			break;
		case OPT_REG:
			if (!cli_parse_u64("case", "--reg", v, 0, 15, &reg))
				return EXIT_USAGE;
			have_reg = true;
			break;
		case OPT_FASTPATH:
			name = v;
			break;
		case OPT_PLUGIN:
			plugin = v;
			break;
		case OPT_CASE_TIMEOUT:
			if (!cli_parse_case_timeout("case", v, &case_timeout))
				return EXIT_USAGE;
			break;
		default:
			if (!cli_kernel_option(opt, v, &ko))
				return EXIT_USAGE;
		}
	}
	if (cli_no_operands("case", argc, argv))
		return EXIT_USAGE;
	if (!config || !have_exit || !have_sender)
		return cli_error("case",
				 "needs --config, --sender and --wrmsr or "
				 "--exit (usage: x2sim case --help)");
	if (have_reg && !(x2s_case_exit_uses(c.exit) & X2S_CASE_USES_REG))
		return cli_error("case",
				 "--reg is for wrmsr-imm and rdmsr-imm, not %s",
				 x2s_case_exit_name(c.exit));
	c.reg = (u8)reg;
	if (cli_load_config("case", config, &c.config))
		return EXIT_USAGE;
	if (sender >= c.config.nr_vcpus)
		return cli_error("case", "--sender %llu: %s has %u vCPUs",
				 (unsigned long long)sender, c.config.name,
				 c.config.nr_vcpus);
	c.sender = (u32)sender;
	if (json_path) {
		r = cli_atomic_open(&af, json_path);
		if (r)
			return cli_error("case", "--json %s: %s", json_path,
					 strerror(-r));
	}
	if (isolated_select("case", &c, config, NULL, name, plugin, &ko,
			    case_timeout, &af, &r))
		return r;
	if (cli_select_fastpath("case", name, plugin, &ko, &fn, &label)) {
		if (af.f)
			cli_atomic_commit(&af, false);
		return EXIT_USAGE;
	}
	snprintf(c.fastpath, sizeof(c.fastpath), "%s", label);
	cli_watch_phase(CLI_PHASE_CASES);
	cli_watch_case(0, &c);
	if (json) {
		r = x2s_verify_case(&c, fn, X2S_CONTRACT_NONE, &res, NULL, NULL,
				    NULL);
		cli_watch_case_done();
		cli_watch_phase(CLI_PHASE_REPORT);
		if (!r)
			case_json(af.f ? af.f : stdout, &c, label, &res);
		if (af.f) {
			int cr = cli_atomic_commit(&af, !r && !ferror(af.f));

			if (!r && cr)
				return cli_error("case", "--json %s: %s",
						 json_path, strerror(-cr));
		}
	} else {
		r = cli_print_case(stdout, &c, fn, label, X2S_CONTRACT_NONE,
				   &res);
		cli_watch_case_done();
		cli_watch_phase(CLI_PHASE_REPORT);
	}
	if (r)
		return cli_error("case", "%s", strerror(-r));
	return res.verdict == X2S_VERDICT_DECLINED ||
			       res.verdict == X2S_VERDICT_EQUAL ?
		       0 :
		       EXIT_CHECK;
}

/*
 * A case file's fastpath name for a message: control characters (a JSON
 * string may hold them escaped) as \xNN, so a crafted file cannot drive
 * the terminal.
 */
static const char *printable(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 5 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f)
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", ch);
		else
			buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	return buf;
}

static void replay_usage(FILE *out)
{
	fprintf(out,
		"usage: x2sim replay FILE [--fastpath NAME|none | --plugin F |\n"
		"                   --kernel DIR [--patch FILE] |\n"
		"                   --kernel-source FILE --kvm-version X.Y]\n"
		"                   [--cc CC] [--case-timeout SEC]\n"
		"  rerun a saved case (x2sim verify --save) with the shipped\n"
		"  fastpath it names, or the one given; exit 1 if it still\n"
		"  mismatches.  A plugin is never loaded because a case file\n"
		"  names it: give it with --plugin PATH.  Plugin and kernel\n"
		"  code runs in a child (a crash, an exit() or a case longer\n"
		"  than --case-timeout, default %d s, is status 1: a case\n"
		"  file verify saved of such a failure reproduces it)\n",
		CLI_CASE_TIMEOUT_DEFAULT);
}

/* replay's options are case's but those that make a case. */
const struct option replay_options[] = {
	{ "fastpath", required_argument, NULL, OPT_FASTPATH },
	{ "plugin", required_argument, NULL, OPT_PLUGIN },
	{ "case-timeout", required_argument, NULL, OPT_CASE_TIMEOUT },
	CLI_KERNEL_OPTIONS,
	CLI_CC_OPTION,
	CLI_OPT_HELP,
	CLI_OPT_END,
};

int cmd_replay(int argc, char **argv)
{
	const char *file = NULL, *name = NULL, *plugin = NULL, *label;
	struct x2s_kernel_opts ko = { 0 };
	struct x2s_case c;
	struct x2s_case_result res;
	const struct x2s_fastpath *fn;
	unsigned int case_timeout = CLI_CASE_TIMEOUT_DEFAULT;
	char err[512], name_buf[4 * X2S_CASE_FASTPATH_LEN + 8];
	int r, opt;

	while ((opt = cli_getopt("replay", argc, argv, NULL, replay_options)) !=
	       -1) {
		switch (opt) {
		case 'h':
			replay_usage(stdout);
			return 0;
		case OPT_FASTPATH:
			name = optarg;
			break;
		case OPT_PLUGIN:
			plugin = optarg;
			break;
		case OPT_CASE_TIMEOUT:
			if (!cli_parse_case_timeout("replay", optarg,
						    &case_timeout))
				return EXIT_USAGE;
			break;
		default:
			if (!cli_kernel_option(opt, optarg, &ko))
				return EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return cli_error("replay", "one case file at a time");
	file = optind < argc ? argv[optind] : NULL;
	if (!file)
		return cli_error("replay", "no case file given");
	r = x2s_case_load(file, &c, err, sizeof(err));
	if (r)
		return cli_error("replay", "%s", err);
	if (!name && !plugin && !cli_kernel_wanted(&ko) && c.fastpath[0]) {
		if (!strncmp(c.fastpath, "Linux ", 6))
			return cli_error(
				"replay",
				"%s was found in the fastpath of %s: give that tree again with --kernel DIR (or --kernel-source FILE --kvm-version X.Y)",
				file,
				printable(c.fastpath, name_buf,
					  sizeof(name_buf)));
		if (!x2s_fastpath_find(c.fastpath) &&
		    strcmp(c.fastpath, "none"))
			return cli_error(
				"replay",
				"%s names the plugin '%s', and a case file never loads one (it would run the plugin's code): give it with --plugin PATH",
				file,
				printable(c.fastpath, name_buf,
					  sizeof(name_buf)));
		name = c.fastpath;
	}
	if (isolated_select("replay", &c, c.config.name, file, name, plugin,
			    &ko, case_timeout, NULL, &r))
		return r;
	if (cli_select_fastpath("replay", name, plugin, &ko, &fn, &label))
		return EXIT_USAGE;
	cli_watch_phase(CLI_PHASE_CASES);
	printf("replay %s\n", file);
	if (c.failure[0])
		printf("  recorded: the fastpath code failed in this case (%s)\n",
		       printable(c.failure, name_buf, sizeof(name_buf)));
	/* Said before the case runs, in case it fails again. */
	fflush(stdout);
	cli_watch_case(0, &c);
	r = cli_print_case(stdout, &c, fn, label, X2S_CONTRACT_NONE, &res);
	cli_watch_case_done();
	cli_watch_phase(CLI_PHASE_REPORT);
	if (r)
		return cli_error("replay", "%s", strerror(-r));
	if (c.failure[0])
		printf("  the recorded failure (%s) did not happen again\n",
		       printable(c.failure, name_buf, sizeof(name_buf)));
	return res.verdict == X2S_VERDICT_DECLINED ||
			       res.verdict == X2S_VERDICT_EQUAL ?
		       0 :
		       EXIT_CHECK;
}
