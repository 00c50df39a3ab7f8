/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim verify engine: the whole contract between the files that run
 * cases (internal to src/verify/; verify.h is the outside's).
 *
 * image.c:     the state a fastpath can reach, as byte images: per vCPU
 *              its structures (struct vcpu_vmx with struct kvm_vcpu and
 *              the loaded VMCS, struct kvm_lapic with its timer, kvm_run,
 *              the VMCS) and its 4 KiB page; per VM struct kvm_vmx (with
 *              the clock), kvm->vcpus[], the APIC map, L1's MSR bitmaps.
 *              Save, load, and
 *              vectorised comparison.
 * exits.c:     the exits a case can deliver, as the CPU leaves them.
 * signature.c: what differs, as a signature (which parts of the outcome,
 *              sender and others), its text and its cause; the readable
 *              difference of two images, field by field.
 * engine.c:    the one outcome model: a VM held at a base state; one case
 *              run from it (the exit, the fastpath, the slow path),
 *              captured, compared into a signature and undone.  Used by
 *              the sweep, x2s_verify_case() (case, replay) and the fuzz
 *              support.
 * guard.c:     the write guard: a VM's vCPU memory write-protected but
 *              for the sender's structures, a fault caught before the
 *              write lands (guard.h).
 * plan.c:      the sweep's units of work and their cases, in order.
 * findings.c:  finding classes, the minimal case of each, their order.
 * sweep.c:     worker threads over the plan, the unit check, the report.
 */
#ifndef X2SIM_SRC_VERIFY_ENGINE_H
#define X2SIM_SRC_VERIFY_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/core.h"
#include "verify/verify.h"
#include "vmx/vmx.h"

/* ---- state images (image.c) ---- */

#define X2S_PAGE_LINES (X2S_APIC_PAGE_SIZE / 64)
/* The page's register lines: APIC_SELF_IPI (0x3f0) is the last register. */
#define X2S_REG_LINES (APIC_SELF_IPI / 64 + 1)
#define X2S_REG_BYTES (X2S_REG_LINES * 64)
_Static_assert(X2S_REG_BYTES == X2S_APIC_REG_AREA,
	       "the register lines are the APIC page's first page part");

/*
 * Every structure of a vCPU apart from its page, byte for byte: fields
 * added to them later are covered without any change here.
 */
struct x2s_vcpu_image {
	struct vcpu_vmx vmx;
	struct kvm_lapic apic;
	struct kvm_run run;
	struct vmcs vmcs;
} __attribute__((aligned(64)));

/* a and b hold the same n bytes (n >= 1); vectorised, no early exit. */
bool x2s_mem_same(const void *a, const void *b, size_t n);
/* The n bytes at a (n >= 64) are all zero; vectorised, no early exit. */
bool x2s_mem_zero(const void *a, size_t n);
/* The 64-byte lines, among the first nlines (<= 64), where a and b differ. */
u64 x2s_lines_differ(const void *a, const void *b, unsigned int nlines);
/* Copy the 64-byte lines set in lines from src to dst. */
void x2s_lines_copy(void *dst, const void *src, u64 lines);

/*
 * Save through the vCPU's links (intact whenever the engine saves); load
 * and compare through the image's own links, which are the vCPU's as the
 * image was taken, so a link a fastpath moved cannot send a load or a
 * comparison elsewhere (it shows as a difference in the byte image).
 */
void x2s_vcpu_image_save(struct kvm_vcpu *vcpu, struct x2s_vcpu_image *img);
void x2s_vcpu_image_load(struct kvm_vcpu *vcpu,
			 const struct x2s_vcpu_image *img);
/*
 * The same load, each structure written off bytes from where the image
 * names it: through a second mapping of the VM's memory (the sealed
 * guard's, engine.c).
 */
void x2s_vcpu_image_load_via(struct kvm_vcpu *vcpu,
			     const struct x2s_vcpu_image *img, ptrdiff_t off);
/*
 * The links of dst (the pointers between the model's structures: vcpu->kvm,
 * ->run, ->arch.apic, vmx->vmcs, ->loaded_vmcs, ->nested.msr_bitmap,
 * apic->vcpu, ->regs) become src's; true if any differed.
 */
bool x2s_vcpu_image_links(struct x2s_vcpu_image *dst,
			  const struct x2s_vcpu_image *src);
/* The vCPU's structures equal img, every byte. */
bool x2s_vcpu_image_same(struct kvm_vcpu *vcpu, struct x2s_vcpu_image *img);
/* The structures of an image, for x2s_vcpu_same(). */
#define X2S_IMG_VMX 1u
#define X2S_IMG_APIC 2u
#define X2S_IMG_RUN 4u
#define X2S_IMG_VMCS 8u
#define X2S_IMG_ALL 15u
/*
 * x2s_vcpu_image_same() on the structures in parts, and the first nbytes
 * (0, or >= 64) of the vCPU's page equal page's: one pass.
 */
bool x2s_vcpu_same(struct kvm_vcpu *vcpu, struct x2s_vcpu_image *img,
		   const u8 *page, unsigned int nbytes, unsigned int parts);

/* Bytes of the APIC map as it is now (0 without a map). */
size_t x2s_apic_map_bytes(const struct kvm_apic_map *map);

/* ---- signatures (signature.c) ---- */

/*
 * A signature: the parts of an outcome (enum x2s_part, core.h) that
 * differ, the sender's in bits 31:0, every other vCPU's in 63:32.
 */
#define X2S_SIG(part, sender) (1ULL << ((part) + ((sender) ? 0 : 32)))

/*
 * Print the fields where a vCPU's structures differ between two images
 * (vcpu_vmx.dr6: 0x... vs 0x...), bookkeeping left out; the number of
 * fields printed.  For bytes no outcome field names.
 */
unsigned int x2s_image_diff(const struct x2s_vcpu_image *a,
			    const struct x2s_vcpu_image *b, unsigned int cpu,
			    FILE *out);

/* ---- the outcome model (engine.c) ---- */

/*
 * One exit as the engine delivers it: what the CPU leaves in the VMCS,
 * and the GPRs the instruction used.
 */
struct x2s_input {
	struct x2s_exit exit;
	u32 insn_info; /* VMX_INSTRUCTION_INFO (MSR_READ_IMM, MSR_WRITE_IMM) */
	u64 rcx, rax, rdx;
	bool has_reg; /* the immediate forms: GPR reg holds regval */
	u8 reg;
	u64 regval;
	/* The case it is (struct x2s_case's exit, ecx and data). */
	enum x2s_case_exit kind;
	u32 ecx;
	u64 data;
};

/* The exit of a case (exits.c; verify.h says what ecx and data are). */
void x2s_input_make(struct x2s_input *in, enum x2s_case_exit x, u8 reg, u32 ecx,
		    u64 data);
void x2s_case_input(const struct x2s_case *c, struct x2s_input *in);
/* The exit, ecx, data and reg of c become in's (the rest is left). */
void x2s_input_case(const struct x2s_input *in, struct x2s_case *c);
/* A WRMSR exit: ECX = msr, EDX:EAX = data. */
void x2s_input_wrmsr(struct x2s_input *in, u32 msr, u64 data);
/* The exit writes the x2APIC ICR (WRMSR or WRMSRNS to 0x830). */
bool x2s_input_writes_icr(const struct x2s_input *in);

/* What one case came to. */
struct x2s_case_out {
	enum x2s_verdict verdict;
	int fastpath;	/* what the fastpath returned */
	bool handled;	/* it did not return NONE */
	bool violation; /* handled outside the contract */
	u64 sig;	/* what differs (0: nothing) */
	int targets;	/* handled cases: receivers of the IPI */
	struct x2s_exit_result fast, slow;
	char warn[160];
};

/*
 * How much of the state is checked after every case.  CASE: every byte
 * a fastpath can reach, so each case is judged alone (case, replay, the
 * fuzzers, and the rerun that names a leak).  SWEEP: the register lines
 * and structures of every vCPU and struct kvm_vmx after every case, the
 * rest once per unit (docs/verify.md, "Soundness").
 */
enum x2s_check {
	X2S_CHECK_CASE,
	X2S_CHECK_SWEEP,
};

struct x2s_engine;

/* A VM described by d, its current state the base; NULL on error. */
struct x2s_engine *x2s_engine_new(const struct x2s_vm_desc *d,
				  enum x2s_check check);
/* The same for a VM made by the caller, which the engine now owns. */
struct x2s_engine *x2s_engine_adopt(struct x2s_vm *vm, enum x2s_check check);
void x2s_engine_free(struct x2s_engine *e);
struct x2s_vm *x2s_engine_vm(struct x2s_engine *e);
struct kvm *x2s_engine_kvm(struct x2s_engine *e);
void x2s_engine_set_check(struct x2s_engine *e, enum x2s_check check);
/*
 * X2S_CHECK_SWEEP with the write guard (guard.h, docs/verify.md): a
 * declined case that wrote no protected byte is checked on the sender's
 * structures and the VM's own bytes alone.  Off unless turned on; off
 * where guards cannot work (x2s_guard_available()).
 */
void x2s_engine_guard(struct x2s_engine *e, bool on);
/*
 * A case on a guarded engine: true when it was a clean decline, checked
 * the guarded way, with o filled as x2s_engine_case() fills it.  False
 * when the guard is off or the case did anything else (wrote protected
 * memory, returned another answer, moved the sender's structures): then
 * the engine is back at its base and o means nothing; run the case on an
 * unguarded engine.
 */
bool x2s_engine_try_case(struct x2s_engine *e, unsigned int s,
			 const struct x2s_input *in,
			 const struct x2s_fastpath *fn, struct x2s_case_out *o);
/*
 * Cases j, j + 1, ... (< n) of unit u, on its sender, each run as
 * x2s_engine_try_case() runs it, for as long as each is a clean decline
 * without a warning; such cases are only counted (x2s_engine_stats()
 * guarded), their outcome being DECLINED with nothing else to record.
 * in holds case j - 1 of u (x2s_unit_case_next()) and then the case
 * where the run stopped (case n - 1 when it ran to n).  The number of
 * cases run clean is returned.  The run stops:
 * - before a case admit(opaque, in) refuses: it returns how many cases
 *   from in's on it admits (0: none; it is asked again after those; admit
 *   may be NULL: all);
 * - at a case that was anything else: *given_back, and the case goes to
 *   an unguarded engine, as after a false x2s_engine_try_case();
 * - at once (0, not given back) where cases cannot be run this way now:
 *   then in is case j, for x2s_engine_try_case().
 * Runs only with the guard sealed, the sender holding the unit's exit
 * from a clean decline (a WRMSR unit: every case is one exit), so that a
 * case costs the GPRs' write and the fastpath's call.
 */
struct x2s_unit;
typedef u64 (*x2s_admit_fn)(void *opaque, const struct x2s_input *in);
u64 x2s_engine_try_run(struct x2s_engine *e, const struct x2s_unit *u, u64 j,
		       u64 n, const struct x2s_fastpath *fn,
		       struct x2s_input *in, x2s_admit_fn admit, void *opaque,
		       bool *given_back);
struct x2s_engine_stats {
	unsigned long arms;	  /* the guard armed (or moved to a sender) */
	unsigned long trips;	  /* protected writes caught */
	unsigned long guarded;	  /* declines checked the guarded way */
	unsigned long cold_arms;  /* the cold guard armed */
	unsigned long cold_trips; /* writes it saw */
	unsigned long seal_loads; /* sealed: exits loaded by the model */
	unsigned long unseals;	  /* sealed guards opened (engine.c) */
};
const struct x2s_engine_stats *x2s_engine_stats(struct x2s_engine *e);
/*
 * The cold guard of an engine without the write guard, in
 * X2S_CHECK_SWEEP (on by default where guards work): the bytes no case of
 * the model writes (each APIC page past its registers, each MSR bitmap)
 * read-only, so the per-case check leaves them out.  tripped: whether
 * anything wrote them since the last call; the caller then runs the unit
 * again with the guard off (their per-case check back).
 */
void x2s_engine_cold(struct x2s_engine *e, bool on);
bool x2s_engine_cold_tripped(struct x2s_engine *e);
/*
 * The cold guard in X2S_CHECK_CASE (the fuzz support's engines; off by
 * default, and where guards cannot work), over the APIC page tails
 * (past the registers; the MSR bitmaps too with
 * x2s_engine_cold_case_bitmaps(), below): armed at an
 * x2s_engine_rebase().  While it has stayed armed since a snapshot was
 * taken, the snapshot's copy of the tails is known to be the VM's, so
 * the rebase, the undo, a decline's check and the captures look at the
 * register lines alone.  A write there trips it (the write goes on) and
 * every check looks at the pages whole again until the next rebase arms
 * it anew (docs/verify.md, "The write guard").  Called on an engine that
 * has it on, it lowers it until the next rebase.
 */
void x2s_engine_cold_case(struct x2s_engine *e, bool on);
/*
 * With x2s_engine_cold_case() on, the MSR bitmaps under that guard too,
 * from the next rebase on.  Then the undo, a decline's check and a
 * handled fastpath's check leave them out while the guard holds, and a
 * write to one trips it like a write to a tail.  The engine maps the
 * VM's memory a second time where it can (not with X2SIM_GUARD=open),
 * and writes a held bitmap there when it loads a snapshot; setup code
 * must run between x2s_engine_setup_begin() and _end().  No effect while
 * x2s_engine_cold_case() is off.
 */
void x2s_engine_cold_case_bitmaps(struct x2s_engine *e, bool on);
/*
 * Set-up writes by model code (x2s_vm_desc_apply() on the engine's VM)
 * between these two: while the cold guard holds the bitmaps, every
 * vCPU's bitmap link points into the second mapping of the VM's memory,
 * so that what the setup writes there does not trip the guard; _end()
 * puts the links back, and no snapshot holds the bitmaps after it.
 * Without a second mapping, _begin() lowers the guard (armed again at the
 * next rebase).  Nothing else may run in between.
 */
void x2s_engine_setup_begin(struct x2s_engine *e);
void x2s_engine_setup_end(struct x2s_engine *e);

/*
 * One case: the exit in on vCPU s with fn as the fastpath, then, unless
 * it declined, the same exit without it from the same state; verdict,
 * signature, both exit results.  fs / ss (nr_vcpus states each, or NULL)
 * receive the two outcomes: then a declined exit is run to its end too
 * (the slow path on top of what the fastpath left), as KVM would.  In
 * X2S_CHECK_SWEEP the state is left for the next case of the same sender
 * (x2s_engine_settle() ends a unit); otherwise it is back at the base.
 */
void x2s_engine_case(struct x2s_engine *e, unsigned int s,
		     const struct x2s_input *in, const struct x2s_fastpath *fn,
		     enum x2s_contract contract, struct x2s_case_out *o,
		     struct x2s_vcpu_state *fs, struct x2s_vcpu_state *ss);
/*
 * End of a unit in X2S_CHECK_SWEEP: back at the base, and is every byte
 * as it was?  False if anything the per-case checks leave to this point
 * moved (or the map was found moved during the unit): the unit must then
 * be run again in X2S_CHECK_CASE to name the case.  Either way the state
 * is the base afterwards.
 */
bool x2s_engine_settle(struct x2s_engine *e);

/*
 * The model's promise that X2S_CHECK_SWEEP relies on: an exit of vCPU s
 * (model code, no fastpath) leaves every other vCPU's VMCS and kvm_run as
 * the base has them.  X2S_CHECK_CASE checks it after every slow path
 * (a WARN), the sequence fuzzer after every exit.
 */
bool x2s_engine_others_untouched(struct x2s_engine *e, unsigned int s);

/* The steps the cases are made of, for the fuzz support. */

/* Put in into vCPU s and begin the exit (what the CPU and vmx do). */
void x2s_engine_load(struct x2s_engine *e, unsigned int s,
		     const struct x2s_input *in);
/*
 * Call fn on the exit vCPU s has begun; *sig gets what it changed if it
 * returned NONE (0: a clean decline), or what it moved that no case may
 * (the APIC map's bytes) if it handled the exit.
 */
fastpath_t x2s_engine_fastpath(struct x2s_engine *e, unsigned int s,
			       const struct x2s_fastpath *fn, u64 *sig);
/* Fold posted vectors into IRR and rebuild a dirty APIC map: every vCPU. */
void x2s_engine_normalise(struct x2s_engine *e);
/* The current state becomes the base. */
void x2s_engine_rebase(struct x2s_engine *e);
/* Back to the base, whatever moved and however. */
void x2s_engine_undo(struct x2s_engine *e);

/* An outcome kept for comparison: every vCPU's structures and page. */
struct x2s_capture;
struct x2s_capture *x2s_capture_new(struct x2s_engine *e);
void x2s_capture_free(struct x2s_capture *c);
/*
 * Keep the current state (normalised by the caller).  In X2S_CHECK_SWEEP
 * a vCPU left as the base has it is kept as a reference to the base.  c
 * is good until the next x2s_engine_rebase() (a compare after one is a
 * WARN and "differs").
 */
void x2s_engine_capture(struct x2s_engine *e, struct x2s_capture *c);
/* What differs between the current state and c; s is the sender. */
u64 x2s_engine_compare(struct x2s_engine *e, const struct x2s_capture *c,
		       unsigned int s);
/* Print two outcomes' structures field by field (x2s_image_diff). */
void x2s_engine_capture_diff(struct x2s_engine *e, const struct x2s_capture *a,
			     const struct x2s_capture *b, FILE *out);

/* A copy of the whole state, for going back to it later. */
struct x2s_snapshot;
struct x2s_snapshot *x2s_engine_snapshot_new(struct x2s_engine *e);
void x2s_engine_snapshot_free(struct x2s_engine *e, struct x2s_snapshot *s);
/* 0, or -ENOMEM (the APIC map grew). */
int x2s_engine_save(struct x2s_engine *e, struct x2s_snapshot *s);
/* Back to s, whatever moved and however. */
void x2s_engine_restore(struct x2s_engine *e, const struct x2s_snapshot *s);

/* ---- the plan (plan.c) ---- */

enum x2s_unit_kind {
	X2S_UNIT_ICR,
	X2S_UNIT_RESERVED,
	X2S_UNIT_REDUCED,
	X2S_UNIT_MSR,
	X2S_UNIT_EXITS,
};

/* A unit of work: consecutive cases of one configuration and sender. */
struct x2s_unit {
	u16 config;
	u16 sender;
	u8 kind;
	u32 dest;
	u32 chunk;
};

struct x2s_plan {
	struct x2s_unit *units;
	size_t nr;
	u64 cases;
};

bool x2s_sweep_opts_valid(const struct x2s_sweep_opts *o);
/* The units of o's shard, in order: 0 or -ENOMEM. */
int x2s_plan_build(const struct x2s_sweep_opts *o, struct x2s_plan *p);
void x2s_plan_free(struct x2s_plan *p);
u64 x2s_unit_size(const struct x2s_unit *u);
/* The j-th case of a unit. */
void x2s_unit_case(const struct x2s_unit *u, u64 j, struct x2s_input *in);
/*
 * The same, faster, where in holds an earlier case of the same unit (any
 * in for j = 0): x2s_unit_case() gives the same input.
 */
void x2s_unit_case_next(const struct x2s_unit *u, u64 j, struct x2s_input *in);
/*
 * How many cases from j on (at least 1) are the same but for the ICR
 * vector (bits 7:0 of EDX:EAX): a run of one ICR unit's 256 vectors.
 */
u64 x2s_unit_vector_run(const struct x2s_unit *u, u64 j);
/*
 * How many cases from j on (at least 1, none past the unit's end) are
 * alike for the acceptance profile: the same exit, all or none of them
 * an ICR write, the same ICR bits above the vector.
 */
u64 x2s_unit_profile_run(const struct x2s_unit *u, u64 j);

/* ---- findings (findings.c) ---- */

#define X2S_MAX_FINDINGS 256

struct x2s_finding_table {
	struct x2s_finding f[X2S_MAX_FINDINGS];
	unsigned int nr;
	u64 dropped;
};

/* Add count cases of nf's class; nf becomes the example if smaller. */
void x2s_findings_add(struct x2s_finding_table *t, const struct x2s_finding *nf,
		      u64 count);
/* Sort the classes into the report's order. */
void x2s_findings_sort(struct x2s_finding *f, unsigned int n);

/* ---- appended for the fuzz support ---- */

/*
 * Right after x2s_engine_fastpath() on vCPU s returned EXIT_FASTPATH_NONE
 * with *sig == 0 in X2S_CHECK_CASE: every byte but s's structures was
 * just found to be the base's, and those are what the exit's load left;
 * back to the base by loading s's structures alone (as decline() undoes a
 * clean decline).  In any other check mode, a whole x2s_engine_undo().
 */
void x2s_engine_undo_clean_decline(struct x2s_engine *e, unsigned int s);

/*
 * x2s_engine_case() for n fastpaths on one exit of vCPU s, the slow path
 * run once for all that handle it (X2S_CHECK_CASE; in the sweep's mode,
 * x2s_engine_case() for each): outs[k] as x2s_engine_case() fills it for
 * fns[k], caps[k] (n captures of e) holding fns[k]'s outcome meanwhile,
 * but for targets, left 0 under X2S_CONTRACT_NONE.  The state is back at
 * the base afterwards.
 */
void x2s_engine_cases(struct x2s_engine *e, unsigned int s,
		      const struct x2s_input *in,
		      const struct x2s_fastpath *const *fns, unsigned int n,
		      struct x2s_capture *const *caps,
		      enum x2s_contract contract, struct x2s_case_out *outs);

#endif /* X2SIM_SRC_VERIFY_ENGINE_H */
