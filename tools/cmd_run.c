// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim run: a guest image on Unicorn, one engine per vCPU, every WRMSR /
 * RDMSR / HLT / APIC-page access a VM exit through the model, with an
 * optional fastpath; exit table, trace, memory dumps, JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <x2sim/kvm.h>
#include <x2sim/x2sim.h>

#include "cli.h"
#include "fastpath/plugin.h"
#include "guest_cli.h"
#include "isolate.h"
#include "verify/json.h"
#include "vmx/vmx.h"

#define CMD "run"
#define MAX_DUMPS 16
#define MAX_SETS 16

struct dump_req {
	const char *arg;
	char symbol[128];
	uint64_t addr;
	uint64_t len;
};

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: x2sim run IMAGE.elf --vcpus N [--fastpath NAME|none | "
		"--plugin F]\n"
		"                 [--ap-wait-sipi] [--stat] [--trace] "
		"[--dump SYMBOL[:LEN]]...\n"
		"                 [--json FILE] [--set SYMBOL=VALUE]... "
		"[--max-insns N]\n"
		"                 [--timeout-ms N] [--slice N]\n"
		"                 [--mem SIZE] [--append STRING] "
		"[--console FILE]\n"
		"                 [--cpu [+-]x2apic,[+-]tsc-deadline,"
		"phys-bits=N]\n"
		"       x2sim run IMAGE.elf (--diff NAME|none | --diff-plugin F) "
		"[--save CASE.json]\n"
		"                 [the options above but --fastpath, --plugin, "
		"--stat, --trace, --dump]\n"
		"Runs a static ELF64 guest or an ELF32 multiboot v1 kernel "
		"(docs/guest-abi.md).\nExit status 0 when every vCPU finished "
		"(HLT with IF=0), 1 when the guest\nfailed, 2 on usage or "
		"input errors, (V << 1) | 1 when the guest wrote V to\nthe exit "
		"port 0xf4.  --mem (default 128M; K, M, G suffixes) and --append "
		"are\nfor multiboot kernels; --console FILE takes the serial "
		"output (default stdout).\n"
		"A --plugin runs in a child process: a crash, an abort, an "
		"exit() in it, or a\nfastpath call still running a second "
		"past --timeout-ms, is one message\nnaming the vCPU and RIP, "
		"exit status 2.\n"
		"--diff runs the image with the slow path and with the "
		"fastpath, compares them at\nevery exit and stops at the first "
		"divergence (docs/guest.md, \"Differential\nruns\"): exit "
		"status 0 when they agree, 1 when they diverge; --save writes "
		"the\ncase of an ICR write that diverged.\n");
}

/* ---- shared report helpers (guest_cli.h) ---- */

struct stat_row {
	const char *name;
	const struct x2s_exit_stat *s;
};

/*
 * The layout of `perf kvm stat report` (tools/perf/builtin-kvm.c): the
 * event name right-aligned in 40 columns (perf's KVM_EVENT_NAME_LEN),
 * every field followed by one blank, the relative standard error of the
 * mean in "( +-%7.2f%% )".
 */
#define STAT_NAME_WIDTH 40

static void print_row(FILE *out, int width, const char *name,
		      const struct x2s_exit_stat *s, uint64_t samples,
		      uint64_t total_ns)
{
	double avg = s->count ? (double)s->total_ns / s->count : 0;
	double var = 0, rel = 0;

	if (s->count > 1) {
		var = s->sumsq_ns / s->count - avg * avg;
		if (var < 0)
			var = 0;
		/* perf's +-: standard error of the mean, relative. */
		rel = avg ? 100.0 * sqrt(var / (s->count - 1)) / avg : 0;
	}
	fprintf(out,
		"%*s %10" PRIu64 " %8.2f%% %8.2f%% %9.2fus %9.2fus "
		"%9.2fus ( +-%7.2f%% )\n",
		width, name, s->count,
		samples ? 100.0 * s->count / samples : 0.0,
		total_ns ? 100.0 * s->total_ns / total_ns : 0.0,
		s->min_ns / 1000.0, s->max_ns / 1000.0, avg / 1000.0, rel);
}

void guest_print_stat_header(FILE *out, int width)
{
	fprintf(out, "%*s %10s %9s %9s %11s %11s %16s \n\n", width, "VM-EXIT",
		"Samples", "Samples%", "Time%", "Min Time", "Max Time",
		"Avg time");
}

void guest_print_msr_rows(FILE *out, const char *label,
			  const struct x2s_guest_stats *st)
{
	const struct x2s_exit_stat *all = &st->reason[EXIT_REASON_MSR_WRITE];
	uint64_t samples = 0, total = 0;
	char name[64];

	for (unsigned int i = 0; i < X2S_GUEST_NR_REASONS; i++) {
		samples += st->reason[i].count;
		total += st->reason[i].total_ns;
	}
	snprintf(name, sizeof(name), "%s: MSR_WRITE", label);
	print_row(out, 30, name, all, samples, total);
	print_row(out, 30, "fastpath", &st->msr_write_fastpath, samples, total);
	print_row(out, 30, "slow", &st->msr_write_slow, samples, total);
}

void guest_print_stat(FILE *out, const struct x2s_guest_stats *st)
{
	struct stat_row rows[X2S_GUEST_NR_REASONS + 2];
	uint64_t samples = 0, total = 0;
	unsigned int n = 0;

	for (unsigned int i = 0; i < X2S_GUEST_NR_REASONS; i++) {
		samples += st->reason[i].count;
		total += st->reason[i].total_ns;
	}
	for (unsigned int i = 0; i < X2S_GUEST_NR_REASONS; i++) {
		const char *name = vmx_exit_reason_name(i);

		if (!st->reason[i].count)
			continue;
		if (i == EXIT_REASON_MSR_WRITE) {
			/* As in perf, an event that never happened has no row. */
			if (st->msr_write_fastpath.count) {
				rows[n].name = "MSR_WRITE(fastpath)";
				rows[n].s = &st->msr_write_fastpath;
				n++;
			}
			if (st->msr_write_slow.count) {
				rows[n].name = "MSR_WRITE(slow)";
				rows[n].s = &st->msr_write_slow;
				n++;
			}
			continue;
		}
		rows[n].name = name ? name : "UNKNOWN";
		rows[n].s = &st->reason[i];
		n++;
	}
	/* perf sorts by samples, most first; ties by name for stability. */
	for (unsigned int i = 1; i < n; i++) {
		for (unsigned int j = i; j > 0; j--) {
			struct stat_row t;

			if (rows[j].s->count < rows[j - 1].s->count ||
			    (rows[j].s->count == rows[j - 1].s->count &&
			     strcmp(rows[j].name, rows[j - 1].name) >= 0))
				break;
			t = rows[j];
			rows[j] = rows[j - 1];
			rows[j - 1] = t;
		}
	}
	fprintf(out, "\n\nAnalyze events for all VMs, all VCPUs:\n\n");
	guest_print_stat_header(out, STAT_NAME_WIDTH);
	for (unsigned int i = 0; i < n; i++)
		print_row(out, STAT_NAME_WIDTH, rows[i].name, rows[i].s,
			  samples, total);
	fprintf(out,
		"\nTotal Samples:%" PRIu64 ", Total events handled "
		"time:%.2fus.\n\n",
		samples, total / 1000.0);
	fprintf(out,
		"(x2sim: host time of the simulator from the exit to the next "
		"entry, not KVM's)\n");
}

static void json_stat(FILE *out, const char *name,
		      const struct x2s_exit_stat *s)
{
	fprintf(out, "{\"reason\":");
	json_write_string(out, name);
	fprintf(out,
		",\"samples\":%" PRIu64 ",\"total_ns\":%" PRIu64
		",\"min_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64
		",\"avg_ns\":%.1f}",
		s->count, s->total_ns, s->min_ns, s->max_ns,
		s->count ? (double)s->total_ns / s->count : 0.0);
}

void guest_json_exits(FILE *out, const struct x2s_guest_stats *st)
{
	bool first = true;

	fputc('[', out);
	for (unsigned int i = 0; i < X2S_GUEST_NR_REASONS; i++) {
		const char *name = vmx_exit_reason_name(i);

		if (!st->reason[i].count)
			continue;
		if (!first)
			fputc(',', out);
		first = false;
		json_stat(out, name ? name : "UNKNOWN", &st->reason[i]);
		if (i == EXIT_REASON_MSR_WRITE) {
			fputc(',', out);
			json_stat(out, "MSR_WRITE(fastpath)",
				  &st->msr_write_fastpath);
			fputc(',', out);
			json_stat(out, "MSR_WRITE(slow)", &st->msr_write_slow);
		}
	}
	fputc(']', out);
}

/* ---- run ---- */

/*
 * A plugin in an isolated child: each call says which vCPU is in the
 * fastpath and where, so that a crash or a hang can name it.
 */
static const struct x2s_fastpath *watched;
static struct x2s_fastpath watcher;

static void watch_enter(struct kvm_vcpu *vcpu)
{
	cli_watch->guest_vcpu = (uint32_t)vcpu->vcpu_id;
	cli_watch->guest_rip = kvm_rip_read(vcpu);
	cli_watch->guest_exit_reason = vmx_get_exit_reason(vcpu).basic;
	__atomic_store_n(&cli_watch->guest_in_fastpath, 1, __ATOMIC_RELEASE);
}

static void watch_leave(void)
{
	__atomic_store_n(&cli_watch->guest_in_fastpath, 0, __ATOMIC_RELEASE);
}

static fastpath_t watch_exit_handlers(struct kvm_vcpu *vcpu, bool force)
{
	fastpath_t r;

	watch_enter(vcpu);
	r = watched->exit_handlers_force(vcpu, force);
	watch_leave();
	return r;
}

static fastpath_t watch_set_msr(struct kvm_vcpu *vcpu)
{
	fastpath_t r;

	watch_enter(vcpu);
	r = watched->set_msr(vcpu);
	watch_leave();
	return r;
}

/* fn, called through the watch when there is one (the same gating). */
static const struct x2s_fastpath *watch_fastpath(const struct x2s_fastpath *fn)
{
	if (!cli_watch || !fn)
		return fn;
	watched = fn;
	watcher = *fn;
	switch (fn->entry) {
	case X2S_FASTPATH_EXIT_HANDLERS_FORCE:
		watcher.exit_handlers_force = watch_exit_handlers;
		return &watcher;
	case X2S_FASTPATH_SET_MSR:
		watcher.set_msr = watch_set_msr;
		return &watcher;
	default:
		return fn;
	}
}

/* The serial port's bytes: stdout, or the --console file. */
static void console_write(void *opaque, const char *buf, size_t len)
{
	fwrite(buf, 1, len, opaque ? (FILE *)opaque : stdout);
}

/* --mem SIZE: bytes, or with a K, M or G suffix (powers of 1024). */
static bool parse_mem(const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	unsigned int shift = 0;
	char num[32];
	uint64_t v;

	if (n && strchr("kKmMgG", s[n - 1])) {
		shift = strchr("kK", s[n - 1]) ? 10 :
			strchr("mM", s[n - 1]) ? 20 :
						 30;
		n--;
	}
	if (!n || n >= sizeof(num)) {
		cli_error(CMD, "--mem '%s': want a size such as 128M", s);
		return false;
	}
	memcpy(num, s, n);
	num[n] = 0;
	if (!cli_parse_u64(CMD, "--mem", num, 1, UINT64_MAX >> 30, &v))
		return false;
	v <<= shift;
	if (v < X2S_MB_MEM_MIN || v > X2S_MB_MEM_MAX || (v & 0xfff)) {
		cli_error(CMD,
			  "--mem %s: RAM must be a multiple of 4 KiB from 2M "
			  "to 3G",
			  s);
		return false;
	}
	*out = v;
	return true;
}

static void trace_line(void *opaque, const char *line)
{
	(void)opaque;
	printf("%s\n", line);
}

static int parse_dump(const struct x2s_guest_image *img, struct dump_req *d)
{
	const char *colon = strchr(d->arg, ':');
	size_t n = colon ? (size_t)(colon - d->arg) : strlen(d->arg);
	uint64_t size = 0;

	if (!n || n >= sizeof(d->symbol))
		return cli_error(CMD, "--dump %s: bad symbol", d->arg);
	memcpy(d->symbol, d->arg, n);
	d->symbol[n] = 0;
	if (!x2s_guest_image_symbol(img, d->symbol, &d->addr, &size))
		return cli_error(CMD, "--dump: no symbol '%s' in the image",
				 d->symbol);
	if (colon) {
		if (!cli_parse_u64(CMD, "--dump length", colon + 1, 1, 1 << 20,
				   &d->len))
			return EXIT_USAGE;
	} else {
		d->len = size ? size : 8;
		if (d->len > (1 << 20))
			d->len = 1 << 20;
	}
	return 0;
}

/* --set SYMBOL=VALUE: a 64-bit store at the symbol before the run. */
static int apply_set(const struct x2s_guest_image *img, struct x2s_guest *g,
		     const char *arg)
{
	const char *eq = strchr(arg, '=');
	char sym[128];
	uint64_t addr, val;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(sym))
		return cli_error(CMD, "--set %s: want SYMBOL=VALUE", arg);
	memcpy(sym, arg, (size_t)(eq - arg));
	sym[eq - arg] = 0;
	if (!x2s_guest_image_symbol(img, sym, &addr, NULL))
		return cli_error(CMD, "--set: no symbol '%s' in the image",
				 sym);
	if (!cli_parse_u64(CMD, "--set value", eq + 1, 0, UINT64_MAX, &val))
		return EXIT_USAGE;
	if (x2s_guest_write(g, addr, &val, sizeof(val)))
		return cli_error(CMD, "--set %s: not in guest memory", sym);
	return 0;
}

static void print_dump(FILE *out, struct x2s_guest *g, const struct dump_req *d)
{
	uint8_t buf[16];

	fprintf(out, "%s @ 0x%" PRIx64 " (%" PRIu64 " bytes):\n", d->symbol,
		d->addr, d->len);
	for (uint64_t off = 0; off < d->len; off += 16) {
		uint64_t n = d->len - off < 16 ? d->len - off : 16;

		if (x2s_guest_read(g, d->addr + off, buf, n)) {
			fprintf(out, "  0x%" PRIx64 ": <not guest memory>\n",
				d->addr + off);
			return;
		}
		fprintf(out, "  0x%" PRIx64 ":", d->addr + off);
		if (!(n % 8)) {
			for (uint64_t i = 0; i < n; i += 8) {
				uint64_t w;

				memcpy(&w, buf + i, 8);
				fprintf(out, " %" PRIu64, w);
			}
		} else {
			for (uint64_t i = 0; i < n; i++)
				fprintf(out, " %02x", buf[i]);
		}
		fputc('\n', out);
	}
}

static void json_dump(FILE *out, struct x2s_guest *g, const struct dump_req *d)
{
	uint8_t b;

	json_write_string(out, d->symbol);
	fprintf(out, ":{\"addr\":%" PRIu64 ",\"hex\":\"", d->addr);
	for (uint64_t i = 0; i < d->len; i++)
		if (!x2s_guest_read(g, d->addr + i, &b, 1))
			fprintf(out, "%02x", b);
	fprintf(out, "\"}");
}

/* af: opened before the run, so a bad path fails before the work. */
static int write_json(struct cli_atomic_file *af, const char *path,
		      const char *image, const char *fastpath,
		      unsigned int nr_vcpus, struct x2s_guest *g, int result,
		      struct dump_req *dumps, unsigned int nr_dumps)
{
	const struct x2s_guest_stats *st = x2s_guest_get_stats(g);
	FILE *f = af->f;
	int r;

	fprintf(f, "{\"image\":");
	json_write_string(f, image);
	fprintf(f, ",\"vcpus\":%u,\"fastpath\":", nr_vcpus);
	json_write_string(f, fastpath);
	fprintf(f, ",\"result\":\"%s\",\"error\":",
		result ? "failed" : "finished");
	if (result)
		json_write_string(f, x2s_guest_error(g));
	else
		fprintf(f, "null");
	fprintf(f,
		",\"insns\":%" PRIu64 ",\"exits_total\":%" PRIu64
		",\"run_ns\":%" PRIu64 ",\"injected\":{\"irq\":%" PRIu64
		",\"nmi\":%" PRIu64 ",\"exception\":%" PRIu64 "}",
		st->insns, st->exits, st->run_ns, st->injected_irqs,
		st->injected_nmis, st->injected_exceptions);
	fprintf(f,
		",\"ipi_latency\":{\"count\":%" PRIu64 ",\"avg_ns\":%.1f"
		",\"min_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64
		",\"avg_insns\":%.1f}",
		st->ipi_count,
		st->ipi_count ? (double)st->ipi_ns_total / st->ipi_count : 0,
		st->ipi_ns_min, st->ipi_ns_max,
		st->ipi_count ? (double)st->ipi_insns_total / st->ipi_count :
				0);
	fprintf(f, ",\"engine_bytes_per_vcpu\":%" PRIu64 ",\"warns\":%u",
		st->engine_bytes_per_vcpu, st->warns);
	fprintf(f, ",\"first_warn\":");
	if (st->first_warn)
		json_write_string(f, st->first_warn);
	else
		fprintf(f, "null");
	fprintf(f, ",\"exits\":");
	guest_json_exits(f, st);
	fprintf(f, ",\"dumps\":{");
	for (unsigned int i = 0; i < nr_dumps; i++) {
		if (i)
			fputc(',', f);
		json_dump(f, g, &dumps[i]);
	}
	fprintf(f, "}}\n");
	r = cli_atomic_commit(af, !ferror(f));
	if (r)
		return cli_error(CMD, "--json %s: %s", path, strerror(-r));
	return 0;
}

/* ---- run --diff (cmd_run_diff.c) ---- */

static int diff_options(const char *diff, const char *diff_plugin,
			const char *save, const char *fastpath,
			const char *plugin, bool stat, bool trace,
			unsigned int nr_dumps)
{
	if (diff && diff_plugin)
		return cli_error(CMD, "--diff and --diff-plugin exclude each "
				      "other");
	if (!diff && !diff_plugin) {
		if (save)
			return cli_error(CMD, "--save is for --diff and "
					      "--diff-plugin");
		return 0;
	}
	if (fastpath || plugin)
		return cli_error(CMD,
				 "%s compares a fastpath with the slow path: "
				 "--fastpath and --plugin do not go with it",
				 diff ? "--diff" : "--diff-plugin");
	if (stat || trace || nr_dumps)
		return cli_error(CMD, "--stat, --trace and --dump are for one "
				      "run, not for --diff");
	return 0;
}

static int load_diff_plugin(const char *path, const struct x2s_fastpath **fn)
{
	char err[256];

	/* The loader's message names the file already. */
	if (x2s_plugin_load(path, fn, err, sizeof(err)))
		return cli_error(CMD, "--diff-plugin: %s", err);
	return 0;
}

struct diff_prepare {
	const struct x2s_guest_image *img;
	const char **sets;
	unsigned int nr_sets;
};

/* Each side gets the --set values; apply_set() prints what is wrong. */
static int diff_prepare(void *opaque, struct x2s_guest *g, char *err,
			size_t errlen)
{
	const struct diff_prepare *dp = opaque;

	for (unsigned int i = 0; i < dp->nr_sets; i++) {
		if (apply_set(dp->img, g, dp->sets[i])) {
			if (errlen)
				err[0] = '\0';
			return -EINVAL;
		}
	}
	return 0;
}

static int run_diff(const char *image, const char *label,
		    const struct x2s_guest_image *img,
		    const struct x2s_guest_config *cfg, struct diff_prepare *dp,
		    const char *json, struct cli_atomic_file *af,
		    const char *console, struct cli_atomic_file *console_af,
		    const char *save, struct cli_atomic_file *save_af)
{
	struct guest_diff_opts o = {
		.image = image,
		.label = label,
		.img = img,
		.cfg = *cfg,
		.fastpath = cfg->fastpath,
		.prepare = diff_prepare,
		.prepare_opaque = dp,
		.json = json,
		.save = save,
		.json_af = af,
		.save_af = save_af,
	};
	int r, ret;

	r = json && !af->f ? cli_atomic_open(af, json) : 0;
	if (r)
		return cli_error(CMD, "--json %s: %s", json, strerror(-r));
	r = save && !save_af->f ? cli_atomic_open(save_af, save) : 0;
	if (r) {
		if (af->f)
			cli_atomic_commit(af, false);
		return cli_error(CMD, "--save %s: %s", save, strerror(-r));
	}
	r = console && !console_af->f ? cli_atomic_open(console_af, console) :
					0;
	if (r) {
		if (af->f)
			cli_atomic_commit(af, false);
		if (save_af->f)
			cli_atomic_commit(save_af, false);
		return cli_error(CMD, "--console %s: %s", console,
				 strerror(-r));
	}
	if (console)
		o.cfg.console_opaque = console_af->f;
	cli_watch_phase(CLI_PHASE_GUEST);
	ret = guest_run_diff(&o);
	cli_watch_phase(CLI_PHASE_REPORT);
	fflush(stdout);
	if (console) {
		r = cli_atomic_commit(console_af, !ferror(console_af->f));
		if (r)
			cli_message("run", "--console %s: %s", console,
				    strerror(-r));
	}
	return ret;
}

enum {
	OPT_VCPUS = CLI_OPT_LONG,
	OPT_FASTPATH,
	OPT_PLUGIN,
	OPT_AP_WAIT_SIPI,
	OPT_STAT,
	OPT_TRACE,
	OPT_DUMP,
	OPT_SET,
	OPT_JSON,
	OPT_MAX_INSNS,
	OPT_TIMEOUT_MS,
	OPT_SLICE,
	OPT_MEM,
	OPT_APPEND,
	OPT_CONSOLE,
	OPT_CPU,
	OPT_DIFF,
	OPT_DIFF_PLUGIN,
	OPT_SAVE,
};

const struct option run_options[] = {
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "fastpath", required_argument, NULL, OPT_FASTPATH },
	{ "plugin", required_argument, NULL, OPT_PLUGIN },
	{ "ap-wait-sipi", no_argument, NULL, OPT_AP_WAIT_SIPI },
	{ "stat", no_argument, NULL, OPT_STAT },
	{ "trace", no_argument, NULL, OPT_TRACE },
	{ "dump", required_argument, NULL, OPT_DUMP },
	{ "set", required_argument, NULL, OPT_SET },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "max-insns", required_argument, NULL, OPT_MAX_INSNS },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT_MS },
	{ "slice", required_argument, NULL, OPT_SLICE },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "diff", required_argument, NULL, OPT_DIFF },
	{ "diff-plugin", required_argument, NULL, OPT_DIFF_PLUGIN },
	{ "save", required_argument, NULL, OPT_SAVE },
	CLI_OPT_HELP,
	CLI_OPT_END,
};

int cmd_run(int argc, char **argv)
{
	struct x2s_guest_config cfg = { 0 };
	struct cli_atomic_file af = { 0 }, console_af = { 0 };
	const char *console = NULL, *append = NULL;
	char *cmdline = NULL;
	struct dump_req dumps[MAX_DUMPS];
	const char *sets[MAX_SETS];
	unsigned int nr_dumps = 0, nr_sets = 0;
	const char *image = NULL, *fastpath = NULL, *plugin = NULL;
	const char *json = NULL, *fp_name;
	const char *diff = NULL, *diff_plugin = NULL, *save = NULL;
	struct cli_atomic_file save_af = { 0 };
	bool stat = false, trace = false, have_vcpus = false;
	struct x2s_guest_image *img = NULL;
	struct x2s_guest *g = NULL;
	char err[512];
	uint64_t val;
	int r, ret, opt;

	while ((opt = cli_getopt(CMD, argc, argv, NULL, run_options)) != -1) {
		const char *next = optarg;

		switch (opt) {
		case 'h':
			run_usage(stdout);
			return 0;
		case OPT_STAT:
			stat = true;
			break;
		case OPT_TRACE:
			trace = true;
			break;
		case OPT_AP_WAIT_SIPI:
			cfg.ap_wait_sipi = true;
			break;
		case OPT_VCPUS:
			if (!cli_parse_u64(CMD, "--vcpus", next, 1,
					   X2S_GUEST_MAX_VCPUS, &val))
				return EXIT_USAGE;
			cfg.nr_vcpus = (unsigned int)val;
			have_vcpus = true;
			break;
		case OPT_FASTPATH:
			fastpath = next;
			break;
		case OPT_PLUGIN:
			plugin = next;
			break;
		case OPT_DIFF:
			diff = next;
			break;
		case OPT_DIFF_PLUGIN:
			diff_plugin = next;
			break;
		case OPT_SAVE:
			save = next;
			break;
		case OPT_DUMP:
			if (nr_dumps == MAX_DUMPS)
				return cli_error(CMD, "at most %d --dump",
						 MAX_DUMPS);
			dumps[nr_dumps++].arg = next;
			break;
		case OPT_SET:
			if (nr_sets == MAX_SETS)
				return cli_error(CMD, "at most %d --set",
						 MAX_SETS);
			sets[nr_sets++] = next;
			break;
		case OPT_JSON:
			json = next;
			break;
		case OPT_MAX_INSNS:
			if (!cli_parse_u64(CMD, "--max-insns", next, 1,
					   UINT64_MAX / 2, &cfg.max_insns))
				return EXIT_USAGE;
			break;
		case OPT_TIMEOUT_MS:
			if (!cli_parse_u64(CMD, "--timeout-ms", next, 1,
					   86400000, &cfg.timeout_ms))
				return EXIT_USAGE;
			break;
		case OPT_MEM:
			if (!parse_mem(next, &cfg.mem_size))
				return EXIT_USAGE;
			break;
		case OPT_APPEND:
			append = next;
			break;
		case OPT_CONSOLE:
			console = next;
			break;
		case OPT_CPU:
			if (x2s_guest_parse_cpu(next, &cfg, err, sizeof(err)))
				return cli_error(CMD, "--cpu: %s", err);
			break;
		case OPT_SLICE:
			if (!cli_parse_u64(CMD, "--slice", next, 1, 1u << 30,
					   &cfg.slice))
				return EXIT_USAGE;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return cli_error(CMD, "more than one image ('%s')",
				 argv[optind + 1]);
	image = optind < argc ? argv[optind] : NULL;
	if (!image)
		return cli_error(CMD, "no IMAGE.elf (see 'x2sim run --help')");
	if (!have_vcpus)
		cfg.nr_vcpus = 0; /* checked once the image's kind is known */
	r = diff_options(diff, diff_plugin, save, fastpath, plugin, stat, trace,
			 nr_dumps);
	if (r)
		return r;
	if (diff || diff_plugin) {
		/* The fastpath under test, found as --fastpath would be. */
		fastpath = diff;
		plugin = diff_plugin;
	}
	if (plugin && !fastpath) {
		/* Its code runs in a child (tools/isolate.h). */
		struct cli_isolate iso = {
			.cmd = CMD,
			.who = "the plugin",
			.case_timeout = CLI_CASE_TIMEOUT_DEFAULT,
			.guest_timeout_ms =
				cfg.timeout_ms ? cfg.timeout_ms :
						 X2S_GUEST_DEFAULT_TIMEOUT_MS,
			.outputs = { &af, &console_af, &save_af },
		};
		int status;

		if (json) {
			r = cli_atomic_open(&af, json);
			if (r)
				return cli_error(CMD, "--json %s: %s", json,
						 strerror(-r));
		}
		if (console) {
			r = cli_atomic_open(&console_af, console);
			if (r) {
				if (af.f)
					cli_atomic_commit(&af, false);
				return cli_error(CMD, "--console %s: %s",
						 console, strerror(-r));
			}
		}
		if (save) {
			r = cli_atomic_open(&save_af, save);
			if (r) {
				if (af.f)
					cli_atomic_commit(&af, false);
				if (console_af.f)
					cli_atomic_commit(&console_af, false);
				return cli_error(CMD, "--save %s: %s", save,
						 strerror(-r));
			}
		}
		if (cli_isolate(&iso, &status))
			return status;
		cli_watch_phase(CLI_PHASE_LOAD);
	}
	r = diff_plugin ? load_diff_plugin(diff_plugin, &cfg.fastpath) :
			  cli_select_fastpath(CMD, fastpath, plugin, NULL,
					      &cfg.fastpath, &fp_name);
	if (r) {
		if (af.f)
			cli_atomic_commit(&af, false);
		return r;
	}
	cfg.fastpath = watch_fastpath(cfg.fastpath);
	cli_watch_phase(CLI_PHASE_START);

	r = x2s_guest_image_load(image, &img, err, sizeof(err));
	if (r) {
		/* The loader names the file in some messages already. */
		if (!strncmp(err, image, strlen(image)))
			return cli_error(CMD, "%s", err);
		return cli_error(CMD, "%s: %s", image, err);
	}
	if (x2s_guest_image_kind(img) == X2S_GUEST_MULTIBOOT) {
		/* The command line as QEMU's -kernel / -append give it. */
		size_t n = strlen(image) + (append ? strlen(append) + 1 : 0);

		if (n >= X2S_MB_CMDLINE_MAX) {
			x2s_guest_image_free(img);
			return cli_error(CMD,
					 "the command line (image path and "
					 "--append) is longer than %d bytes",
					 X2S_MB_CMDLINE_MAX - 1);
		}
		cmdline = malloc(n + 1);
		if (!cmdline) {
			x2s_guest_image_free(img);
			return cli_error(CMD, "out of memory");
		}
		strcpy(cmdline, image);
		if (append) {
			strcat(cmdline, " ");
			strcat(cmdline, append);
		}
		cfg.cmdline = cmdline;
		if (!have_vcpus)
			cfg.nr_vcpus = 1;
	} else if (cfg.mem_size || append) {
		x2s_guest_image_free(img);
		return cli_error(CMD,
				 "--mem and --append are for multiboot "
				 "kernels; %s is an ELF64 guest",
				 image);
	} else if (!have_vcpus) {
		x2s_guest_image_free(img);
		return cli_error(CMD, "--vcpus N is required");
	}
	for (unsigned int i = 0; i < nr_dumps; i++) {
		r = parse_dump(img, &dumps[i]);
		if (r) {
			free(cmdline);
			x2s_guest_image_free(img);
			return r;
		}
	}
	if (trace) {
		cfg.trace = trace_line;
		cfg.trace_opaque = NULL;
	}
	cfg.console = console_write;
	/* Exit and IPI host times only for the reports that show them. */
	cfg.no_exit_times = diff || diff_plugin || (!stat && !json);
	if (diff || diff_plugin) {
		struct diff_prepare dp = { img, sets, nr_sets };

		ret = run_diff(image, diff ? diff : diff_plugin, img, &cfg, &dp,
			       json, &af, console, &console_af, save, &save_af);
		free(cmdline);
		x2s_guest_image_free(img);
		return ret;
	}
	r = x2s_guest_create(img, &cfg, &g, err, sizeof(err));
	free(cmdline); /* the boot information has it now */
	if (r) {
		x2s_guest_image_free(img);
		return cli_error(CMD, "%s", err);
	}
	for (unsigned int i = 0; i < nr_sets; i++) {
		r = apply_set(img, g, sets[i]);
		if (r) {
			x2s_guest_destroy(g);
			x2s_guest_image_free(img);
			return r;
		}
	}
	if (console && !console_af.f) {
		r = cli_atomic_open(&console_af, console);
		if (r) {
			x2s_guest_destroy(g);
			x2s_guest_image_free(img);
			return cli_error(CMD, "--console %s: %s", console,
					 strerror(-r));
		}
	}
	if (console)
		x2s_guest_set_console(g, console_write, console_af.f);
	if (json && !af.f) {
		r = cli_atomic_open(&af, json);
		if (r) {
			if (console)
				cli_atomic_commit(&console_af, false);
			x2s_guest_destroy(g);
			x2s_guest_image_free(img);
			return cli_error(CMD, "--json %s: %s", json,
					 strerror(-r));
		}
	}
	cli_watch_phase(CLI_PHASE_GUEST);
	r = x2s_guest_run(g);
	cli_watch_phase(CLI_PHASE_REPORT);
	fflush(stdout);
	if (console) {
		int cr = cli_atomic_commit(&console_af, !ferror(console_af.f));

		if (cr)
			cli_message("run", "--console %s: %s", console,
				    strerror(-cr));
	}
	ret = 0;
	if (r < 0) {
		fprintf(stderr, "x2sim run: internal error %d\n", r);
		ret = EXIT_CHECK;
	} else if (r) {
		cli_message("run", "guest failed: %s", x2s_guest_error(g));
		ret = EXIT_CHECK;
	} else if (x2s_guest_get_stats(g)->exit_status >= 0) {
		const struct x2s_guest_stats *st = x2s_guest_get_stats(g);

		/* QEMU's isa-debug-exit: the status is (V << 1) | 1. */
		ret = (int)st->exit_status;
		printf("x2sim run: %s wrote 0x%" PRIx64 " to the exit port "
		       "0xf4: exit status %d; %" PRIu64 " exits, %" PRIu64
		       " guest instructions, fastpath %s\n",
		       image, (uint64_t)st->exit_status >> 1, ret & 0xff,
		       st->exits, st->insns, fp_name);
	} else {
		const struct x2s_guest_stats *st = x2s_guest_get_stats(g);

		printf("x2sim run: %s finished: %u vCPUs, %" PRIu64
		       " exits, %" PRIu64 " guest instructions, %.3f ms "
		       "host time, %.0f KiB engine memory per vCPU, fastpath "
		       "%s\n",
		       image, cfg.nr_vcpus, st->exits, st->insns,
		       st->run_ns / 1e6, st->engine_bytes_per_vcpu / 1024.0,
		       fp_name);
	}
	{
		const struct x2s_guest_stats *st = x2s_guest_get_stats(g);

		if (st->warns)
			printf("x2sim run: the model reached WARN_ON_ONCE "
			       "%u time(s), first: %s (a finding about the "
			       "fastpath, not a runner failure)\n",
			       st->warns,
			       st->first_warn ? st->first_warn : "?");
		if (stat)
			guest_print_stat(stdout, st);
	}
	for (unsigned int i = 0; i < nr_dumps; i++)
		print_dump(stdout, g, &dumps[i]);
	if (json && write_json(&af, json, image, fp_name, cfg.nr_vcpus, g,
			       r != 0, dumps, nr_dumps))
		ret = ret ? ret : EXIT_USAGE;
	x2s_guest_destroy(g);
	x2s_guest_image_free(img);
	return ret;
}
