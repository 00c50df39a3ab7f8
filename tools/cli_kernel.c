// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CLI around src/kernel: --kernel DIR, --kernel-source FILE with
 * --kvm-version, --patch FILE (verify), and x2sim extract.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kernel/kbuild.h"
#include "verify/json.h"

bool cli_kernel_wanted(const struct x2s_kernel_opts *o)
{
	return o->tree || o->source || o->patch || o->kvm_version || o->cc;
}

bool cli_kernel_option(int opt, const char *val, struct x2s_kernel_opts *o)
{
	switch (opt) {
	case CLI_OPT_KERNEL:
		o->tree = val;
		return true;
	case CLI_OPT_PATCH:
		o->patch = val;
		return true;
	case CLI_OPT_KERNEL_SOURCE:
		o->source = val;
		return true;
	case CLI_OPT_KVM_VERSION:
		o->kvm_version = val;
		return true;
	case CLI_OPT_CC:
		o->cc = val;
		return true;
	}
	return false;
}

struct x2s_kernel_fastpath *cli_kernel_build(const char *cmd,
					     const struct x2s_kernel_opts *o)
{
	struct x2s_kernel_fastpath *k = calloc(1, sizeof(*k));
	char err[1024];

	if (!k) {
		cli_error(cmd, "out of memory");
		return NULL;
	}
	if (x2s_kernel_build(o, k, err, sizeof(err))) {
		cli_error(cmd, "%s", err);
		cli_kernel_free(k);
		return NULL;
	}
	return k;
}

void cli_kernel_print(FILE *out, const struct x2s_kernel_fastpath *k)
{
	fprintf(out, "x2sim: the fastpath of %s, built from:\n", k->label);
	for (unsigned int i = 0; i < k->x.nr; i++) {
		const struct x2s_kfunc *fn = &k->x.funcs[i];

		fprintf(out, "  %-40s %s:%u-%u\n", fn->name,
			k->src.files[fn->file].path, fn->line, fn->end_line);
	}
	fprintf(out,
		"  dispatcher: %s\n  against x2sim's KVM %s face; "
		"extracted in %.3f s, compiled and loaded in %.3f s\n",
		k->dispatcher, k->face_name, k->extract_seconds,
		k->build_seconds);
}

void cli_kernel_json(FILE *f, const struct x2s_kernel_fastpath *k)
{
	fprintf(f, "  \"kernel\": {\n    \"origin\": ");
	json_write_string(f, k->src.origin);
	fprintf(f, ",\n    \"version\": ");
	json_write_string(f, k->src.version_str);
	fprintf(f,
		",\n    \"face\": \"%s\",\n    \"dispatcher\": ", k->face_name);
	json_write_string(f, k->dispatcher);
	fprintf(f, ",\n    \"functions\": [");
	for (unsigned int i = 0; i < k->x.nr; i++) {
		const struct x2s_kfunc *fn = &k->x.funcs[i];

		fprintf(f, "%s\n      {\"name\": ", i ? "," : "");
		json_write_string(f, fn->name);
		fprintf(f, ", \"file\": ");
		json_write_string(f, k->src.files[fn->file].path);
		fprintf(f, ", \"line\": %u, \"end_line\": %u}", fn->line,
			fn->end_line);
	}
	/* No timings: the report is the same whatever the machine. */
	fprintf(f, "\n    ]\n  },\n");
}

void cli_kernel_free(struct x2s_kernel_fastpath *k)
{
	if (!k)
		return;
	x2s_kernel_fastpath_release(k);
	free(k);
}

static void extract_usage(FILE *out)
{
	fprintf(out,
		"usage: x2sim extract (--kernel DIR [--patch FILE] | --kernel-source FILE\n"
		"                     --kvm-version X.Y) [-o|--output FILE]\n"
		"  writes the translation unit 'x2sim verify --kernel' compiles: the\n"
		"  tree's fastpath functions verbatim (with #line to their file and\n"
		"  line) and x2sim's entry point, to FILE or standard output (-o -).\n"
		"  --kvm-version X.Y   the KVM version of --kernel-source (or to\n"
		"                      override the tree's Makefile)\n"
		"exit status: 0 written, 2 usage or input error\n");
}

const struct option extract_options[] = {
	{ "output", required_argument, NULL, 'o' },
	CLI_KERNEL_OPTIONS,
	CLI_OPT_HELP,
	CLI_OPT_END,
};

int cmd_extract(int argc, char **argv)
{
	struct x2s_kernel_opts ko = { 0 };
	struct x2s_kernel_fastpath *kf;
	struct cli_atomic_file af = { 0 };
	const char *out = NULL;
	char err[1024];
	FILE *f = stdout;
	int r, opt;

	while ((opt = cli_getopt("extract", argc, argv,
				 "o:", extract_options)) != -1) {
		switch (opt) {
		case 'h':
			extract_usage(stdout);
			return 0;
		case 'o':
			out = optarg;
			break;
		default:
			if (!cli_kernel_option(opt, optarg, &ko))
				return EXIT_USAGE;
		}
	}
	if (cli_no_operands("extract", argc, argv))
		return EXIT_USAGE;
	if (!ko.tree && !ko.source)
		return cli_error("extract",
				 "name a tree (--kernel DIR) or a file "
				 "(--kernel-source FILE --kvm-version X.Y)");
	kf = calloc(1, sizeof(*kf));
	if (!kf)
		return cli_error("extract", "out of memory");
	if (out && strcmp(out, "-")) {
		r = cli_atomic_open(&af, out);
		if (r) {
			cli_kernel_free(kf);
			return cli_error("extract", "-o %s: %s", out,
					 strerror(-r));
		}
		f = af.f;
	}
	r = x2s_kernel_extract_tu(&ko, kf, f, err, sizeof(err));
	if (f != stdout) {
		int c = cli_atomic_commit(&af, !r);

		if (!r && c) {
			snprintf(err, sizeof(err), "-o %s: %s", out,
				 strerror(-c));
			r = c;
		}
	} else if (!r && (fflush(stdout) || ferror(stdout))) {
		snprintf(err, sizeof(err), "cannot write standard output");
		r = -EIO;
	}
	cli_kernel_free(kf);
	if (r)
		return cli_error("extract", "%s", err);
	return 0;
}
