// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim command-line tool: the command table.
 *
 * Exit status: 0 success, 1 a check failed, 2 usage or input error.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <x2sim/kvm.h>
#include <x2sim/x2sim.h>

#include "cli.h"
#include "isolate.h"
#include "report.h"

static int cmd_version(int argc, char **argv);

static const struct option version_options[] = {
	CLI_OPT_HELP,
	CLI_OPT_END,
};

static const struct cli_command commands[] = {
	{ "decode", "an ICR value by field, and what each fastpath decides",
	  cmd_decode, decode_options },
	{ "demo", "IPIs of every kind through KVM's slow path, traced",
	  cmd_demo, demo_options },
	{ "fastpaths", "the shipped fastpath variants, one line each",
	  cmd_fastpaths, fastpaths_options },
	{ "verify", "exhaustive fast-vs-slow verification of fastpaths",
	  cmd_verify, verify_options },
	{ "merge", "join the JSON reports of verify's shards into one",
	  cmd_merge, merge_options },
	{ "extract", "the translation unit verify --kernel builds from a tree",
	  cmd_extract, extract_options },
	{ "case", "one WRMSR exit both ways: outcomes and verdict", cmd_case,
	  case_options },
	{ "replay", "rerun a saved counterexample", cmd_replay,
	  replay_options },
	{ "run", "run a guest image on Unicorn, exits through the model",
	  cmd_run, run_options },
	{ "bench", "bench ipi: guest IPI ping-pong, fastpath off and on",
	  cmd_bench, bench_options },
	{ "version", "the version and the kvm.h ABI version", cmd_version,
	  version_options },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: x2sim <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %-12s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\n'x2sim <command> --help' describes a command's options."
		     "\nExit status: 0 success, 1 a check failed, 2 usage or "
		     "input error.\n");
}

static int cmd_version(int argc, char **argv)
{
	int opt;

	while ((opt = cli_getopt("version", argc, argv, NULL,
				 version_options)) != -1) {
		if (opt != 'h')
			return EXIT_USAGE;
		printf("usage: x2sim version\n"
		       "  the version, the kvm.h ABI, the KVM the slow path "
		       "models and the kvm.h faces\n");
		return 0;
	}
	if (cli_no_operands("version", argc, argv))
		return EXIT_USAGE;
	printf("x2sim %s (commit %s; kvm.h ABI %d; slow path: %s; "
	       "kvm.h faces: KVM 5.6 to mainline)\n",
	       cli_version(), cli_commit(), X2SIM_KVM_ABI_VERSION,
	       CLI_KVM_MODEL);
	return 0;
}

/*
 * Hidden, for tests/man/check-man.sh: every option of every command (or
 * of the one named), one "COMMAND --NAME" line each and "COMMAND -C" for
 * a short form, straight from the tables cli_getopt() parses.
 */
static int list_options(int argc, char **argv)
{
	bool found = false;

	if (argc > 2)
		return cli_error("--list-options", "one command at most");
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		const struct cli_command *c = &commands[i];

		if (argc == 2 && strcmp(argv[1], c->name))
			continue;
		found = true;
		for (const struct option *o = c->options; o->name; o++) {
			printf("%s --%s\n", c->name, o->name);
			if (o->val < CLI_OPT_LONG && isalnum(o->val))
				printf("%s -%c\n", c->name, o->val);
		}
	}
	if (!found)
		return cli_error("--list-options", "no command '%s'", argv[1]);
	return 0;
}

/*
 * A report that did not reach standard output (a full disk, a closed
 * pipe) is not a success: say so, exit 2.
 */
static int finish(const char *cmd, int status)
{
	if (fflush(stdout) || ferror(stdout)) {
		/* A reader that went away (| head) has heard enough. */
		if (errno != EPIPE)
			fprintf(stderr,
				"x2sim %s: cannot write standard output: %s\n",
				cmd, strerror(errno));
		return EXIT_USAGE;
	}
	return status;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fprintf(stderr, "x2sim: no command given (try 'x2sim help')\n");
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version"))
		return cmd_version(1, argv + 1);
	if (!strcmp(cmd, "--list-options"))
		return finish(cmd, list_options(argc - 1, argv + 1));
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		char **args;
		int status;

		if (strcmp(cmd, commands[i].name))
			continue;
		/* The command parses a copy; argv stays as given. */
		args = calloc((size_t)argc, sizeof(*args));
		if (!args) {
			fprintf(stderr, "x2sim %s: out of memory\n", cmd);
			return EXIT_USAGE;
		}
		memcpy(args, argv + 1, (size_t)(argc - 1) * sizeof(*args));
		cli_given_argc = argc - 1;
		cli_given_argv = argv + 1;
		status = finish(cmd, commands[i].run(argc - 1, args));
		free(args);
		/* A child running a plugin tells its parent it is done. */
		cli_isolate_child_exit(status);
		return status;
	}
	cli_message(NULL, "unknown command '%s' (try 'x2sim help')", cmd);
	return EXIT_USAGE;
}
