/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by `x2sim run` and `x2sim bench ipi`: the perf-kvm-stat style
 * exit table and JSON pieces of a guest run.
 */
#ifndef X2SIM_TOOLS_GUEST_CLI_H
#define X2SIM_TOOLS_GUEST_CLI_H

#include <stdio.h>

#include "cli.h"
#include "guest/guest.h"

/* The table of `perf kvm stat report`, MSR_WRITE split fastpath / slow. */
void guest_print_stat(FILE *out, const struct x2s_guest_stats *st);
/* Rows of the same layout: the header (name column width), MSR_WRITE
 * with its fastpath / slow split under a label (width 30). */
void guest_print_stat_header(FILE *out, int width);
void guest_print_msr_rows(FILE *out, const char *label,
			  const struct x2s_guest_stats *st);
/* The exits as a JSON array value. */
void guest_json_exits(FILE *out, const struct x2s_guest_stats *st);

/*
 * run --diff (cmd_run_diff.c): the image with the slow path and with
 * fastpath, compared; json_af / save_af are open when --json / --save were
 * given.  Returns the exit status (0 agree, 1 divergence, 2 bad input).
 */
struct guest_diff_opts {
	const char *image;
	const char *label; /* the variant's name or the plugin's path */
	const struct x2s_guest_image *img;
	struct x2s_guest_config cfg;
	const struct x2s_fastpath *fastpath;
	int (*prepare)(void *opaque, struct x2s_guest *g, char *err,
		       size_t errlen);
	void *prepare_opaque;
	const char *json, *save;
	struct cli_atomic_file *json_af, *save_af;
};
int guest_run_diff(struct guest_diff_opts *o);

#endif
