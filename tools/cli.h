/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim CLI: the command table and the helpers every command shares.
 *
 * Exit status of every command: 0 success, 1 a check failed (a mismatch,
 * a guest that failed), 2 usage or input error.  Errors are one line on
 * stderr, prefixed with "x2sim <command>: ".
 */
#ifndef X2SIM_TOOLS_CLI_H
#define X2SIM_TOOLS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fastpath/fastpath.h"

#define EXIT_CHECK 1
#define EXIT_USAGE 2

struct cli_command {
	const char *name;
	const char *summary;
	/* argv[0] is the command name. */
	int (*run)(int argc, char **argv);
	/* The table the command gives cli_getopt() (x2sim --list-options). */
	const struct option *options;
};

int cmd_decode(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_fastpaths(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_case(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_merge(int argc, char **argv);

/*
 * Each command's option table, the one its cli_getopt() loop parses.
 * The hidden 'x2sim --list-options' prints them, so that a test holds
 * the man page, the bash completion and --help to the tables themselves.
 */
extern const struct option decode_options[], demo_options[],
	fastpaths_options[], verify_options[], merge_options[],
	extract_options[], case_options[], replay_options[], run_options[],
	bench_options[];

/* Shared by verify, case and replay (cmd_case.c). */
struct x2s_vm_desc;
struct x2s_case;
struct x2s_case_result;
struct x2s_kernel_opts;
struct x2s_kernel_fastpath;

/*
 * The one fastpath picker of every command: --fastpath NAME (a shipped
 * variant or "none"), --plugin FILE, or --kernel options (ko, may be
 * NULL) -> the hook (NULL for none) and a label; with none of them, the
 * command's default (cli_fastpath_default()).  0, or EXIT_USAGE after
 * printing the error.
 */
int cli_select_fastpath(const char *cmd, const char *name, const char *plugin,
			const struct x2s_kernel_opts *ko,
			const struct x2s_fastpath **fn, const char **label);
/* The fastpath cmd runs when none is named: "upstream" or "none". */
const char *cli_fastpath_default(const char *cmd);
/* One shipped variant or "none" by name; EXIT_USAGE if there is none. */
int cli_fastpath_find(const char *cmd, const char *name,
		      const struct x2s_fastpath **fn, const char **label);
/* A named configuration or a JSON file with one description. */
int cli_load_config(const char *cmd, const char *arg, struct x2s_vm_desc *d);
/* Run and print one case decoded, both outcomes and the diff. */
int cli_print_case(FILE *out, const struct x2s_case *c,
		   const struct x2s_fastpath *fn, const char *label,
		   int contract, struct x2s_case_result *res);

/*
 * Option parsing, the same for every command: each has one table of
 * struct option (getopt_long(3)) ending with CLI_OPT_HELP and
 * CLI_OPT_END, and one switch over what cli_getopt() returns.  Options
 * without a short form use values from CLI_OPT_LONG up.
 *
 * cli_getopt() returns the next option's value, -1 after the last (the
 * operands are then argv[optind] to argv[argc - 1]), or '?' after
 * printing the one error line ("unknown option", "needs a value", "takes
 * no value"): the command returns EXIT_USAGE.  shortopts may be NULL
 * (only -h).
 */
#define CLI_OPT_LONG 0x100
/* clang-format off */
#define CLI_OPT_HELP { "help", no_argument, NULL, 'h' }
#define CLI_OPT_END { NULL, 0, NULL, 0 }
/* clang-format on */

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);
/*
 * The command's arguments as given (argv[0] the command name), for the
 * reports that record the command line: getopt_long() permutes the copy
 * a command parses (operands last), never these.
 */
extern int cli_given_argc;
extern char **cli_given_argv;
/* For a command without operands: an error naming the first one. */
int cli_no_operands(const char *cmd, int argc, char **argv);

/*
 * One line "x2sim CMD: message" on stderr ("x2sim: message" for a NULL
 * cmd), every control character of the message as \xNN; cli_error()
 * returns EXIT_USAGE.  Every message of the CLI goes through these (or
 * cli_put_escaped()), so that no file name, option value or guest text
 * reaches the terminal raw.
 */
int cli_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cli_message(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* s on f, each control character (and DEL) as \xNN. */
void cli_put_escaped(FILE *f, const char *s);

/*
 * Strict number parsing: decimal or 0x-hex, the whole string, no sign, no
 * overflow, within [min, max].  Returns false (and prints an error naming
 * what) otherwise.
 */
bool cli_parse_u64(const char *cmd, const char *what, const char *s,
		   uint64_t min, uint64_t max, uint64_t *out);

/*
 * Write a file atomically: data goes to PATH.tmp.XXXXXX beside it and is
 * renamed over PATH only when complete, so no partial file is ever left.
 * PATH "-" is standard output; an existing PATH that is not a regular file
 * (a device, a FIFO) is written in place, and a symbolic link is followed:
 * neither is ever replaced.  A new file's mode follows the umask.  The
 * temporary's name is cut to fit NAME_MAX, and SIGINT, SIGTERM or SIGHUP
 * ending x2sim removes every temporary still open.
 * cli_atomic_open() returns the stream to write; cli_atomic_commit()
 * closes and renames (or removes everything on failure) and returns 0 or
 * -errno.
 */
struct cli_atomic_file {
	FILE *f;
	char *path;
	char *tmp;
	/* "-", a device or a FIFO: written in place, never replaced. */
	bool direct;
};
int cli_atomic_open(struct cli_atomic_file *af, const char *path);
int cli_atomic_commit(struct cli_atomic_file *af, bool ok);

/*
 * --kernel, --kernel-source, --patch, --kvm-version, --cc (cli_kernel.c):
 * CLI_KERNEL_OPTIONS and CLI_CC_OPTION (not extract's) in a command's
 * option table, cli_kernel_option() in its switch's default case.
 */
enum {
	CLI_OPT_KERNEL = CLI_OPT_LONG + 0x80,
	CLI_OPT_PATCH,
	CLI_OPT_KERNEL_SOURCE,
	CLI_OPT_KVM_VERSION,
	CLI_OPT_CC,
};

/* clang-format off */
#define CLI_KERNEL_OPTIONS						\
	{ "kernel", required_argument, NULL, CLI_OPT_KERNEL },		\
	{ "patch", required_argument, NULL, CLI_OPT_PATCH },		\
	{ "kernel-source", required_argument, NULL, CLI_OPT_KERNEL_SOURCE }, \
	{ "kvm-version", required_argument, NULL, CLI_OPT_KVM_VERSION }
#define CLI_CC_OPTION { "cc", required_argument, NULL, CLI_OPT_CC }
/* clang-format on */

bool cli_kernel_wanted(const struct x2s_kernel_opts *o);
/* True if opt (a cli_getopt() value) is a kernel option: val stored. */
bool cli_kernel_option(int opt, const char *val, struct x2s_kernel_opts *o);
/* Build the fastpath; NULL after printing the error (exit 2). */
struct x2s_kernel_fastpath *cli_kernel_build(const char *cmd,
					     const struct x2s_kernel_opts *o);
/* What was taken from where, for the text and the JSON report. */
void cli_kernel_print(FILE *out, const struct x2s_kernel_fastpath *k);
void cli_kernel_json(FILE *f, const struct x2s_kernel_fastpath *k);
void cli_kernel_free(struct x2s_kernel_fastpath *k);

#endif /* X2SIM_TOOLS_CLI_H */
