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

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define EXIT_CHECK 1
#define EXIT_USAGE 2

struct cli_command {
	const char *name;
	const char *summary;
	/* argv[0] is the command name. */
	int (*run)(int argc, char **argv);
};

int cmd_decode(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_fastpaths(int argc, char **argv);

/* One line "x2sim CMD: message" on stderr; returns EXIT_USAGE. */
int cli_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

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
 * cli_atomic_open() returns the stream to write; cli_atomic_commit()
 * closes and renames (or removes everything on failure) and returns 0 or
 * -errno.
 */
struct cli_atomic_file {
	FILE *f;
	char *path;
	char *tmp;
};
int cli_atomic_open(struct cli_atomic_file *af, const char *path);
int cli_atomic_commit(struct cli_atomic_file *af, bool ok);

#endif /* X2SIM_TOOLS_CLI_H */
