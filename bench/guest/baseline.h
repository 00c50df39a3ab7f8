/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The minimal Unicorn runner bench_guest compares x2sim's runner with:
 * no model, no instruction count, code hooks only at the WRMSR and HLT
 * sites of the image (baseline.c says what it does and does not do).
 */
#ifndef X2SIM_BENCH_GUEST_BASELINE_H
#define X2SIM_BENCH_GUEST_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "guest/guest.h"

struct bl_stats {
	uint64_t cpu_ns;    /* CPU time of the scheduling loop */
	uint64_t wrmsrs;    /* WRMSR hook calls */
	uint64_t hlts;	    /* HLT hook calls */
	uint64_t delivered; /* interrupts delivered through the IDT */
	uint64_t engine_bytes_per_vcpu; /* resident memory added, per vCPU */
	uint64_t check; /* the 8 bytes at check_sym after the run */
};

/*
 * Run img (an ELF64 guest of the x2sim ABI) on nr_vcpus engines with the
 * 8-byte variable sym (when not NULL) set to val, and read the 8-byte
 * variable check_sym (when not NULL) at the end; 0, or -1 with err set.
 */
int bl_run(const struct x2s_guest_image *img, unsigned int nr_vcpus,
	   const char *sym, uint64_t val, const char *check_sym,
	   struct bl_stats *st, char *err, size_t errlen);

#endif
