/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim verification module: the whole contract of src/verify/.
 *
 * desc.c:     VM descriptions (struct x2s_vm_desc) and building a VM from one.
 * json.c:     a small strict JSON reader/writer used by the formats below.
 * config.c:   the VM description JSON format (docs/config-format.md) and the
 *             named configurations (the JSON files in configs/, built into the binary).
 * casefile.c: case files: one case (description, sender, ECX, EDX:EAX),
 *             written by `verify --save`, read by `replay` and the tests.
 * engine.c:   the differential engine: enumerate cases, run the fastpath
 *             and the slow path from the same state, compare outcomes,
 *             minimise and classify mismatches, acceptance profile.
 */
#ifndef X2SIM_SRC_VERIFY_H
#define X2SIM_SRC_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <x2sim/kvm.h>
#include <x2sim/x2sim.h>

#include "fastpath/fastpath.h"

/* ---- VM descriptions (desc.c) ---- */

#define X2S_DESC_MAX_VCPUS 16
#define X2S_DESC_NAME_LEN 48
#define X2S_DESC_TEXT_LEN 160

/* What one vCPU looks like when a case starts. */
struct x2s_vcpu_desc {
	enum x2s_apic_mode apic_mode;
	bool sw_enabled;
	int xapic_id;	   /* xAPIC mode: APIC_ID[31:24]; -1 keeps vcpu_id */
	int64_t ldr;	   /* xAPIC mode: LDR; -1 keeps the reset value */
	int64_t dfr;	   /* xAPIC mode: DFR; -1 keeps flat */
	uint32_t mp_state; /* KVM_MP_STATE_* */
	bool guest_mode;   /* the vCPU runs L2 */
	bool l1_intercept; /* L1 intercepts the x2APIC MSRs (with guest_mode) */
	bool singlestep;   /* KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP */
	bool rflags_tf;	   /* guest RFLAGS.TF */
	bool rflags_if;	   /* guest RFLAGS.IF */
	bool apicv;	   /* APICv active on this vCPU */
};

struct x2s_vm_desc {
	char name[X2S_DESC_NAME_LEN];
	char description[X2S_DESC_TEXT_LEN];
	unsigned int nr_vcpus; /* 1 .. X2S_DESC_MAX_VCPUS */
	bool lapic_in_kernel;
	bool vector_hashing;
	bool x2apic_format;
	bool broadcast_quirk_disabled;
	bool x2apic_icr_is_split;
	struct x2s_vcpu_desc vcpu[X2S_DESC_MAX_VCPUS];
};

/* A running guest: every vCPU x2APIC, enabled, runnable, IF=1. */
void x2s_vm_desc_init(struct x2s_vm_desc *d, const char *name,
		      unsigned int nr_vcpus);
/* Check a description for contradictions: 0 or -EINVAL (+ reason). */
int x2s_vm_desc_check(const struct x2s_vm_desc *d, char *why, size_t len);
/* Create the VM a description describes: 0 or -errno. */
int x2s_vm_desc_create(const struct x2s_vm_desc *d, struct x2s_vm **out);

/* ---- named configurations and the JSON format (config.c) ---- */

/* The named set, in its fixed order (the engine's configuration index). */
unsigned int x2s_named_config_count(void);
const struct x2s_vm_desc *x2s_named_config(unsigned int i);
const struct x2s_vm_desc *x2s_named_config_find(const char *name);

/*
 * Parse one description (a JSON object) or a list of them (a JSON array,
 * or an object {"configs": [...]}) from text.  Returns the number parsed
 * (>= 1) into out[0..max), or -EINVAL with a message naming the line and
 * the problem in err.
 */
int x2s_vm_desc_parse(const char *text, struct x2s_vm_desc *out,
		      unsigned int max, char *err, size_t errlen);
/* Same, from a file; -errno for I/O problems, message in err. */
int x2s_vm_desc_load(const char *path, struct x2s_vm_desc *out,
		     unsigned int max, char *err, size_t errlen);
/* Write one description as JSON (indent: leading spaces per line). */
void x2s_vm_desc_write(FILE *f, const struct x2s_vm_desc *d, int indent);

/* ---- one case ---- */

struct x2s_case {
	struct x2s_vm_desc config;
	uint32_t sender;
	uint32_t ecx;
	uint64_t data; /* EDX:EAX */
};

/* Case files (casefile.c): JSON {"config": {...}, "sender", "ecx", "data"}. */
int x2s_case_write(FILE *f, const struct x2s_case *c, const char *comment);
int x2s_case_load(const char *path, struct x2s_case *c, char *err,
		  size_t errlen);

/* ---- the differential engine (engine.c) ---- */

/*
 * The verdict on one case (DESIGN.md "differential rule"):
 * DECLINED   the fastpath returned EXIT_FASTPATH_NONE and changed nothing;
 * EQUAL      it handled the exit and the outcome equals the slow path's;
 * MISMATCH   it handled the exit and some outcome differs;
 * DIRTY_NONE it returned NONE but changed state first (the slow path then
 *            runs on top of that: a mismatch in KVM too);
 * WARN       a WARN_ON_ONCE fired in the model while the fastpath ran.
 */
enum x2s_verdict {
	X2S_VERDICT_DECLINED,
	X2S_VERDICT_EQUAL,
	X2S_VERDICT_MISMATCH,
	X2S_VERDICT_DIRTY_NONE,
	X2S_VERDICT_WARN,
};

const char *x2s_verdict_name(enum x2s_verdict v);
/* "NONE", "REENTER_GUEST", ... */
const char *x2s_fastpath_result_name(int fastpath);

/* Contracts a fastpath can be held to (DESIGN.md). */
enum x2s_contract {
	X2S_CONTRACT_NONE,
	/* handled cases: exactly one target, no shorthand, no broadcast */
	X2S_CONTRACT_SINGLE_TARGET,
};

/* Everything known about one case after running it both ways. */
struct x2s_case_result {
	enum x2s_verdict verdict;
	int fastpath; /* fastpath_t the fastpath returned */
	bool contract_violation;
	unsigned int nr_vcpus;
	struct x2s_exit_result fast; /* the exit with the fastpath */
	struct x2s_exit_result slow; /* the exit without it */
	char warn[160];		     /* the first WARN, "" when none */
};

/*
 * Run one case: build its VM, deliver the exit with fn as the fastpath
 * hook and again without it from the same state, and compare every vCPU's
 * outcome.  fast_states / slow_states (each nr_vcpus long, may be NULL)
 * receive the two outcomes; diff (may be NULL) gets the readable diff.
 * Returns 0 or -errno (-EINVAL for a bad case).
 */
int x2s_verify_case(const struct x2s_case *c, x2s_fastpath_fn fn,
		    enum x2s_contract contract, struct x2s_case_result *res,
		    struct x2s_vcpu_state *fast_states,
		    struct x2s_vcpu_state *slow_states, FILE *diff);

/* Print an ICR value field by field ("vector 0x31, delivery mode Fixed..."). */
void x2s_icr_decode(FILE *f, uint64_t icr, const char *indent);

#endif /* X2SIM_SRC_VERIFY_H */
