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
 * engine.c ... sweep.c: the differential engine (engine.h has the map):
 *             one outcome model that runs a case both ways from the same
 *             state and compares every byte a fastpath can reach; the
 *             sweeps on it, their findings and acceptance profile.
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
	/*
	 * The LAPIC timer, programmed as the guest would (LVTT, TDCR, then
	 * TMICT or the TSC-deadline MSR) at clock 0, before the VM's clock
	 * moves to clock_ns.  timer_mode -1: LVTT stays as reset (masked).
	 */
	int timer_mode; /* -1, 0 one-shot, 1 periodic, 2 TSC deadline */
	int timer_vector;
	bool timer_masked;
	int timer_divide;	/* TDCR */
	uint32_t timer_count;	/* TMICT */
	int64_t timer_deadline; /* IA32_TSC_DEADLINE, below 2^63 */
	/*
	 * Events waiting when the case starts, raised last as the guest
	 * would, by a self-IPI: a fixed interrupt (-1: none) and an NMI.
	 */
	int pending_vector;
	bool nmi_pending;
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
	bool preemption_timer; /* the hv timer exists (default true) */
	int64_t clock_ns;      /* the VM's clock when a case starts */
	struct x2s_vcpu_desc vcpu[X2S_DESC_MAX_VCPUS];
};

/* A running guest: every vCPU x2APIC, enabled, runnable, IF=1. */
void x2s_vm_desc_init(struct x2s_vm_desc *d, const char *name,
		      unsigned int nr_vcpus);
/* Check a description for contradictions: 0 or -EINVAL (+ reason). */
int x2s_vm_desc_check(const struct x2s_vm_desc *d, char *why, size_t len);
/* Create the VM a description describes: 0 or -errno. */
int x2s_vm_desc_create(const struct x2s_vm_desc *d, struct x2s_vm **out);
/*
 * The two halves of x2s_vm_desc_create(), for d already checked: the
 * configuration the VM is created with, and the per-vCPU settings and
 * first entries applied to a VM just created from it (0 or -errno).
 */
void x2s_vm_desc_config(const struct x2s_vm_desc *d, struct x2s_vm_config *cfg);
int x2s_vm_desc_apply(struct x2s_vm *vm, const struct x2s_vm_desc *d);

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

#define X2S_CASE_FASTPATH_LEN 256
#define X2S_CASE_FAILURE_LEN 32

/*
 * The exit a case delivers (exits.c).  0 is WRMSR, so a case cleared with
 * memset is the WRMSR exit it always was.  ecx and data say:
 * WRMSR, RDMSR       ECX and EDX:EAX;
 * WRMSR_IMM          WRMSRNS with an immediate: ecx is the immediate
 *                    (the exit qualification), data the register reg;
 * RDMSR_IMM          RDMSR with an immediate into register reg;
 * APIC_READ, _WRITE  APIC_ACCESS (a linear access to the APIC page): ecx
 *                    is the offset, data the 32-bit value written;
 * EXTINT             EXTERNAL_INTERRUPT: data[7:0] is the vector;
 * CPUID              the leaf in EAX (data), the subleaf in ECX;
 * IO_IN, IO_OUT      IN AL, DX / OUT DX, AL: ecx[15:0] is the port (DX
 *                    holds it too), data what AL holds;
 * the rest           no operands.
 * Whatever the exit, ECX and EDX:EAX hold what a WRMSR of ecx = data
 * would, but for the immediate forms (ECX the x2APIC ICR's index,
 * EDX:EAX data with bit 0 flipped) and APIC accesses (ECX the ICR's
 * index): a fastpath that reads them without looking at the exit reason
 * acts on them, and is seen to.
 */
enum x2s_case_exit {
	X2S_CASE_WRMSR,
	X2S_CASE_RDMSR,
	X2S_CASE_WRMSR_IMM,
	X2S_CASE_RDMSR_IMM,
	X2S_CASE_HLT,
	X2S_CASE_INVD,
	X2S_CASE_PREEMPTION_TIMER,
	X2S_CASE_INTR_WINDOW,
	X2S_CASE_NMI_WINDOW,
	X2S_CASE_EXTINT,
	X2S_CASE_TRIPLE_FAULT,
	X2S_CASE_APIC_READ,
	X2S_CASE_APIC_WRITE,
	X2S_CASE_CPUID,
	X2S_CASE_IO_IN,
	X2S_CASE_IO_OUT,
	X2S_CASE_NR_EXITS,
};

struct x2s_case {
	struct x2s_vm_desc config;
	uint32_t sender;
	uint32_t ecx;
	uint64_t data; /* EDX:EAX */
	enum x2s_case_exit exit;
	uint8_t reg; /* the immediate forms' register (0 RAX ... 15 R15) */
	/* The fastpath it was found with: variant name, plugin path or "". */
	char fastpath[X2S_CASE_FASTPATH_LEN];
	/*
	 * The plugin (or a kernel's code) failed in this case, not the
	 * comparison: "SIGSEGV" (any fatal signal's name), "abort",
	 * "exit(N)", "_exit(N)" or "timeout"; "" for a comparison's case.
	 */
	char failure[X2S_CASE_FAILURE_LEN];
};

/* The case's exit by name ("wrmsr", "apic-write", ...), and back. */
const char *x2s_case_exit_name(enum x2s_case_exit x);
int x2s_case_exit_find(const char *name); /* -1 if none */
/* "wrmsr, rdmsr, ...": every name, for messages. */
void x2s_case_exit_list(char *buf, size_t len);
/* Which of ecx, data and reg the exit uses (X2S_CASE_USES_*). */
#define X2S_CASE_USES_ECX 1u
#define X2S_CASE_USES_DATA 2u
#define X2S_CASE_USES_REG 4u
unsigned int x2s_case_exit_uses(enum x2s_case_exit x);
/*
 * The case's exit in one line, as `x2sim case` and the reports print it:
 * "WRMSR ECX 0x830, EDX:EAX 0x...", "HLT", "APIC write 0x300 = 0x...".
 */
void x2s_case_exit_format(const struct x2s_case *c, char *buf, size_t len);
/* Does the exit write the x2APIC ICR (WRMSR or WRMSRNS to 0x830)? */
bool x2s_case_writes_icr(const struct x2s_case *c);

/*
 * Case files (casefile.c): JSON {"config": {...}, "sender", "ecx", "data"}
 * and, for exits other than WRMSR, "exit" (and "reg"); "plugin_failure"
 * when the fastpath code failed in the case (struct x2s_case.failure).
 */
int x2s_case_write(FILE *f, const struct x2s_case *c, const char *comment);
int x2s_case_load(const char *path, struct x2s_case *c, char *err,
		  size_t errlen);

/* ---- the differential engine (engine.c) ---- */

/*
 * The verdict on one case (docs/verify.md, "Verdicts"):
 * DECLINED   the fastpath returned EXIT_FASTPATH_NONE and changed nothing;
 * EQUAL      it handled the exit and the outcome equals the slow path's;
 * MISMATCH   it handled the exit and some outcome differs;
 * DIRTY_NONE it returned NONE but changed state first (the slow path then
 *            runs on top of that: a mismatch in KVM too);
 * WARN       the outcome is equal (or the decline clean) but a
 *            WARN_ON_ONCE fired in the model on the way.
 * A WARN together with a difference keeps the difference's verdict; the
 * WARN is reported with it (struct x2s_case_result.warn).
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

/* Contracts a fastpath can be held to (docs/verify.md, "Contract"). */
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
	/* What differs, as in a finding (x2s_signature_format); 0: nothing. */
	uint64_t signature;
};

/*
 * Run one case: build its VM, deliver the exit with fn as the fastpath
 * and, unless it declines, again without it from the same state, and
 * compare every byte a fastpath can reach -- the sweep's own path, with
 * the whole state checked after the case.  fast_states / slow_states
 * (each nr_vcpus long, may be NULL) receive the two outcomes (a declined
 * exit is run to its end, the slow path on top of what the fastpath
 * left); diff (may be NULL) gets the readable difference when the verdict
 * is neither DECLINED nor EQUAL: the signature, the snapshot fields, and
 * any other field of the vCPUs' structures.  Returns 0 or -errno
 * (-EINVAL for a bad case).
 */
int x2s_verify_case(const struct x2s_case *c, const struct x2s_fastpath *fn,
		    enum x2s_contract contract, struct x2s_case_result *res,
		    struct x2s_vcpu_state *fast_states,
		    struct x2s_vcpu_state *slow_states, FILE *diff);

/* ---- sweeps ---- */

enum x2s_sweep_kind {
	X2S_SWEEP_ICR = 1, /* 2^20 ICR[19:0] + 12 reserved bits, x dests */
	X2S_SWEEP_MSR = 2, /* every ECX with one fixed-IPI data value */
	/*
	 * Every exit the model handles, from each vCPU, with each
	 * destination's fixed IPI in the registers: RDMSR, WRMSR and their
	 * immediate forms over the x2APIC range, HLT, INVD, the preemption
	 * timer, the windows, an external interrupt, a triple fault, APIC
	 * accesses to every register.
	 */
	X2S_SWEEP_EXITS = 4,
	X2S_SWEEP_DEFAULT = X2S_SWEEP_ICR | X2S_SWEEP_EXITS,
	X2S_SWEEP_ALL = 7,
};

/*
 * Where the sweep says what it runs, for a watcher in another process
 * (the CLI maps it MAP_SHARED before it forks the sweep off): worker
 * thread i writes slot i -- the thread, then for every case its
 * configuration index, sender and exit, and seq bumped -- with plain
 * relaxed stores, no system call.  A crash names the case its thread was
 * in; a seq that stops moving names the case that hangs.
 */
#define X2S_WATCH_SLOTS 256 /* the most threads a sweep takes */
struct x2s_watch_slot {
	uint64_t thread;  /* pthread_self() of the worker, 0: unused */
	uint64_t seq;	  /* cases started on this slot */
	uint32_t running; /* 1 from the first case to the end of the work */
	uint32_t config;  /* index into x2s_sweep_opts.configs */
	uint32_t sender;
	uint32_t exit; /* enum x2s_case_exit */
	uint32_t ecx;
	uint32_t reg;
	uint64_t data;
} __attribute__((aligned(64)));

struct x2s_sweep_watch {
	struct x2s_watch_slot slot[X2S_WATCH_SLOTS];
};

/* Slot w names the case about to run; seq moves last (release). */
static inline void x2s_watch_slot_case(struct x2s_watch_slot *w,
				       uint32_t config, uint32_t sender,
				       uint32_t exit, uint32_t ecx,
				       uint32_t reg, uint64_t data)
{
	__atomic_store_n(&w->config, config, __ATOMIC_RELAXED);
	__atomic_store_n(&w->sender, sender, __ATOMIC_RELAXED);
	__atomic_store_n(&w->exit, exit, __ATOMIC_RELAXED);
	__atomic_store_n(&w->ecx, ecx, __ATOMIC_RELAXED);
	__atomic_store_n(&w->reg, reg, __ATOMIC_RELAXED);
	__atomic_store_n(&w->data, data, __ATOMIC_RELAXED);
	__atomic_store_n(&w->seq, w->seq + 1, __ATOMIC_RELEASE);
}

struct x2s_sweep_opts {
	const struct x2s_vm_desc *configs;
	unsigned int nr_configs;
	unsigned int sweep; /* X2S_SWEEP_* bits */
	/*
	 * Reduced ICR sweep: every value of ICR bits 19:8 with the vectors
	 * 0x00, 0x0f, 0x31 and 0xff only (for quick runs and make check).
	 */
	bool reduced;
	const struct x2s_fastpath *fn;
	enum x2s_contract contract;
	unsigned int threads;	       /* >= 1 */
	unsigned int shard, nr_shards; /* shard 1..nr_shards */
	void (*progress)(void *opaque, uint64_t done, uint64_t total);
	void *opaque;
	/* Where each worker records the case it runs; NULL: nowhere. */
	struct x2s_sweep_watch *watch;
};

/*
 * What a mismatch is mainly about, by precedence: the exit to userspace,
 * an exception, a nested exit, delivery to other vCPUs, the sender's own
 * interrupt state, the stored ICR, anything else.  Findings are classed by
 * it, so that one cause gives one class whatever else its cases touch.
 */
enum x2s_cause {
	X2S_CAUSE_USERSPACE_EXIT,
	X2S_CAUSE_EXCEPTION,
	X2S_CAUSE_NESTED_EXIT,
	X2S_CAUSE_OTHER_VCPUS,
	X2S_CAUSE_SENDER_INTERRUPTS,
	X2S_CAUSE_ICR,
	X2S_CAUSE_OTHER,
	X2S_CAUSE_NONE, /* nothing differs: a WARN or a violation */
};
const char *x2s_cause_name(enum x2s_cause c);
enum x2s_cause x2s_signature_cause(uint64_t signature);

/* One class of findings: mismatches (or violations) with one cause. */
struct x2s_finding {
	enum x2s_verdict verdict;
	bool violation; /* a contract violation, outcome equal */
	int fastpath;
	enum x2s_cause cause;
	/* What differs in the example case, see x2s_signature_format. */
	uint64_t signature;
	/* Violations: the ICR class and number of targets (3: 3 or more). */
	uint8_t delivery_mode, logical, shorthand, targets;
	uint64_t count;
	unsigned int config_index;
	struct x2s_case example; /* the minimal case of the class */
	char warn[160];
};

/*
 * The report's order of finding classes: violation, verdict, cause,
 * exit, fastpath result, then (violations) delivery mode, destination
 * mode, shorthand, targets, then the WARN.  0 exactly when a and b are
 * of one class (findings.c).
 */
int x2s_finding_class_cmp(const struct x2s_finding *a,
			  const struct x2s_finding *b);
/*
 * Is a's example the smaller case: fewer vCPUs, fewer set bits in data,
 * then in ecx, then configuration index, sender, data, ecx, register.
 */
bool x2s_finding_example_smaller(const struct x2s_finding *a,
				 const struct x2s_finding *b);

/* Handled cases per delivery mode x dest mode x shorthand x targets. */
#define X2S_PROFILE_TARGETS 4 /* 0, 1, 2, 3 or more */
struct x2s_sweep_report {
	uint64_t cases, handled, declined; /* declined: returned NONE */
	uint64_t mismatches;		   /* MISMATCH + DIRTY_NONE + WARN */
	uint64_t warns, dirty_none;
	uint64_t violations;
	double seconds;
	uint64_t total[8][2][4];
	uint64_t profile[8][2][4][X2S_PROFILE_TARGETS];
	struct x2s_finding *findings; /* sorted; x2s_sweep_report_free */
	unsigned int nr_findings;
	uint64_t findings_dropped; /* cases of classes beyond the table */
	/* By the exit each case delivered (enum x2s_case_exit). */
	uint64_t exit_cases[X2S_CASE_NR_EXITS];
	uint64_t exit_handled[X2S_CASE_NR_EXITS];
	uint64_t exit_mismatches[X2S_CASE_NR_EXITS];
};

/* Cases in the selected shard; 0 when the options are invalid. */
uint64_t x2s_sweep_count(const struct x2s_sweep_opts *o);
/*
 * Call fn for every case of the shard, in order (for tests); c->fastpath
 * is empty.
 */
int x2s_sweep_enumerate(const struct x2s_sweep_opts *o,
			void (*fn)(void *opaque, unsigned int config,
				   const struct x2s_case *c),
			void *opaque);
/* Run the sweep: 0, or -EINVAL for bad options, -ENOMEM. */
int x2s_sweep_run(const struct x2s_sweep_opts *o, struct x2s_sweep_report *r);
void x2s_sweep_report_free(struct x2s_sweep_report *r);
/* "sender: RIP ICR; others: IRR" */
void x2s_signature_format(uint64_t sig, char *buf, size_t len);

/* Print an ICR value field by field ("vector 0x31, delivery mode Fixed..."). */
void x2s_icr_decode(FILE *f, uint64_t icr, const char *indent);

#endif /* X2SIM_SRC_VERIFY_H */
