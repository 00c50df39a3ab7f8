/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by `x2sim run` and `x2sim bench ipi`: the perf-kvm-stat style
 * exit table and JSON pieces of a guest run.
 */
#ifndef X2SIM_TOOLS_GUEST_CLI_H
#define X2SIM_TOOLS_GUEST_CLI_H

#include <stdio.h>

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

#endif
