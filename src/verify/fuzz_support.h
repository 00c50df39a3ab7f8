/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim fuzz support: one VM kept alive across many runs and undone
 * between them, for fuzz targets that want raw speed.  It is the verify
 * engine's outcome model (engine.h) with the whole state checked after
 * every case: the same base, undo, captures and comparison as the sweep.
 *
 * Two uses share it.  x2s_fuzz_engine_cases() is x2s_verify_case() on
 * one WRMSR exit from the engine's start state (fuzz_icr).  The step
 * operations (rebase, undo, capture, same, reset) let a caller run a
 * sequence of exits, each through several fastpaths and the slow path
 * from the same state, without saving or restoring public vCPU states
 * (fuzz_diff).
 */
#ifndef X2SIM_SRC_VERIFY_FUZZ_SUPPORT_H
#define X2SIM_SRC_VERIFY_FUZZ_SUPPORT_H

#include <stdbool.h>

#include "verify/verify.h"

struct x2s_fuzz_engine;

/* Outcomes x2s_fuzz_engine_capture() can hold at once. */
#define X2S_FUZZ_SLOTS 8

/*
 * A VM from d, its state taken as the start of every case, with nr_slots
 * (<= X2S_FUZZ_SLOTS, at least 1) outcome slots for
 * x2s_fuzz_engine_capture().  NULL on error.
 */
struct x2s_fuzz_engine *x2s_fuzz_engine_new(const struct x2s_vm_desc *d,
					    unsigned int nr_slots);
/*
 * Make the engine's VM the one d describes, without a new VM: back to the
 * state the VM was created in, then d's per-vCPU settings, and that is
 * the start state.  d must give the same x2s_vm_config (vCPU count, KVM's
 * knobs, APICv) as the engine was created with: else -EINVAL and nothing
 * changed.  On any other error the engine can only be freed.
 */
int x2s_fuzz_engine_retarget(struct x2s_fuzz_engine *e,
			     const struct x2s_vm_desc *d);
void x2s_fuzz_engine_free(struct x2s_fuzz_engine *e);
struct x2s_vm *x2s_fuzz_engine_vm(struct x2s_fuzz_engine *e);

/*
 * One WRMSR exit of vCPU sender (ECX, EDX:EAX = data) through each of the
 * n fastpaths fns[] and, if any of them handled it, once through the slow
 * path; verdicts[k] is fns[k]'s, by x2s_verify_case()'s path, which a
 * caller should rerun on anything but DECLINED or EQUAL for the readable
 * diff.  The VM is back at its base state afterwards.
 */
void x2s_fuzz_engine_cases(struct x2s_fuzz_engine *e, unsigned int sender,
			   uint32_t ecx, uint64_t data,
			   const struct x2s_fastpath *const *fns,
			   unsigned int n, enum x2s_verdict *verdicts);

/*
 * x2s_fuzz_engine_cases() tries each case first on a VM of d (the start
 * state the engine was made with; one per sender) write-protected but
 * for the sender's structures (the sweep's write guard, docs/verify.md):
 * a clean decline is proven there without comparing the state, and
 * anything else runs the full way.  The engine's own cold guard then
 * takes the MSR bitmaps too (x2s_engine_cold_case_bitmaps()), and the
 * start state is taken again.  -ENOTSUP where guards cannot work,
 * -EINVAL if d has another vCPU count, -ENOMEM; the engine then goes on
 * without.  A retarget drops both.
 */
int x2s_fuzz_engine_guard(struct x2s_fuzz_engine *e,
			  const struct x2s_vm_desc *d);
/*
 * Which cases go to a guarded VM first (either way is sound): by default
 * those whose look-alike (same sender, ECX and ICR fields that decide a
 * fastpath's answer) last declined clean the full way; on: every case.
 */
void x2s_fuzz_engine_always_try(struct x2s_fuzz_engine *e, bool on);
/* Sender's guarded VM (NULL: none); settle first for its start state. */
struct x2s_vm *x2s_fuzz_engine_guarded_vm(struct x2s_fuzz_engine *e,
					  unsigned int sender);
/*
 * The guarded VMs back at their start state: true if every byte was
 * (nothing but what the next case loads anyway had moved).
 */
bool x2s_fuzz_engine_settle(struct x2s_fuzz_engine *e);
/* Cases x2s_fuzz_engine_cases() ran, by the way they were judged. */
struct x2s_fuzz_stats {
	unsigned long guarded;	  /* clean declines on the guarded VM */
	unsigned long full;	  /* on the engine, every byte compared */
	unsigned long given_back; /* of those, tried on a guarded VM first */
	/* Writes to the page tails or bitmaps the engine's cold guard saw. */
	unsigned long cold_trips;
};
const struct x2s_fuzz_stats *x2s_fuzz_engine_stats(struct x2s_fuzz_engine *e);

/*
 * Exit on vCPU sender (its GPRs are the caller's) with fn as the fastpath
 * hook, from the base state.  When fn declines it without changing any
 * byte it can reach, the rest would be the slow path's run: false, and
 * nothing more is done (undo before the next run).  Otherwise the exit
 * runs to its end, res gets its result, and true.
 */
bool x2s_fuzz_engine_exit(struct x2s_fuzz_engine *e, unsigned int sender,
			  const struct x2s_exit *exit,
			  const struct x2s_fastpath *fn,
			  struct x2s_exit_result *res);
/*
 * Right after x2s_fuzz_engine_exit() returned false, with nothing run on
 * the VM in between: back to the base by the sender's structures alone
 * (the exit's check found every other byte the base's).  Otherwise, or
 * after any other call of this engine, a whole x2s_fuzz_engine_undo().
 */
void x2s_fuzz_engine_undo_decline(struct x2s_fuzz_engine *e);
/*
 * Is every byte the base's (every page whole, every structure, bitmap,
 * the VM's own)?  If not, it is made so; for self-checks.
 */
bool x2s_fuzz_engine_at_base(struct x2s_fuzz_engine *e);
/* The VM's current state becomes the base x2s_fuzz_engine_undo() restores. */
void x2s_fuzz_engine_rebase(struct x2s_fuzz_engine *e);
/* Back to the base, whatever moved and however. */
void x2s_fuzz_engine_undo(struct x2s_fuzz_engine *e);
/* Back to the state the engine was created in; that is the base again. */
void x2s_fuzz_engine_reset(struct x2s_fuzz_engine *e);
/*
 * Fold posted vectors into IRR on every vCPU, as x2s_vm_save() does: the
 * same observable state, in the form the comparisons below expect.
 */
void x2s_fuzz_engine_normalise(struct x2s_fuzz_engine *e);
/*
 * Keep every vCPU's current (normalised) state in slot (< nr_slots), for
 * x2s_fuzz_engine_same() before the next rebase or reset.
 */
void x2s_fuzz_engine_capture(struct x2s_fuzz_engine *e, unsigned int slot);
/*
 * True if every byte a fastpath can reach is what slot holds (both
 * normalised): every vCPU's structures and page, struct kvm_vmx; and the
 * exit slot was captured after moved nothing a capture does not hold (an
 * L1 MSR bitmap, the APIC map's bytes other than by a rebuild).
 */
bool x2s_fuzz_engine_same(struct x2s_fuzz_engine *e, unsigned int slot);

#endif /* X2SIM_SRC_VERIFY_FUZZ_SUPPORT_H */
