/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim: raw copies of what an exit may change in a vCPU, apart from its
 * register page (struct vcpu_vmx with the vCPU, its registers and the
 * posted-interrupt descriptor; struct kvm_lapic; kvm_run; the VMCS): under
 * a kilobyte.  With the page lines kvm_lapic_set_reg() marks dirty, this is
 * how the verifier and the fuzzers put a vCPU back without copying pages.
 */
#ifndef X2SIM_SRC_VERIFY_VCPU_RAW_H
#define X2SIM_SRC_VERIFY_VCPU_RAW_H

#include <stdbool.h>

#include "vmx/vmx.h"

struct x2s_vcpu_raw {
	struct vcpu_vmx vmx;
	struct kvm_lapic apic;
	struct kvm_run run;
	struct vmcs vmcs;
};

void x2s_vcpu_raw_save(struct kvm_vcpu *vcpu, struct x2s_vcpu_raw *raw);
void x2s_vcpu_raw_load(struct kvm_vcpu *vcpu, const struct x2s_vcpu_raw *raw);
/* Byte for byte (the caller decides what a difference means). */
bool x2s_vcpu_raw_equal(struct kvm_vcpu *vcpu, const struct x2s_vcpu_raw *raw);
/*
 * Did anything kvm_recalculate_apic_map() reads move away from raw?
 * lines: the page lines written since raw was taken (APIC_ID is on line
 * 0, LDR, DFR and SVR on line 3).
 */
bool x2s_vcpu_map_inputs_moved(struct kvm_vcpu *vcpu,
			       const struct x2s_vcpu_raw *raw, u64 lines);
/*
 * The current state becomes what x2s_vcpu_raw_undo() goes back to: the
 * raw copy, the whole register page into page (X2S_APIC_PAGE_SIZE), and no
 * line dirty since.
 */
void x2s_vcpu_raw_take(struct kvm_vcpu *vcpu, struct x2s_vcpu_raw *raw,
		       u8 *page);
/*
 * Put vcpu back to raw, and its register page to page on the lines
 * written since raw was taken (raw's page); true if anything the APIC map
 * is built from moved (the map must then be rebuilt).
 */
bool x2s_vcpu_raw_undo(struct kvm_vcpu *vcpu, const struct x2s_vcpu_raw *raw,
		       const u8 *page);
/*
 * The 64-byte lines among the first nlines of a register page that differ
 * from base without being set in dirty: written past kvm_lapic_set_reg()
 * (memset, memcpy, a pointer).  Dirty tracking is only trusted for the
 * model's own code; the verifier checks whatever a fastpath ran with this.
 */
u64 x2s_page_untracked(const u8 *now, const u8 *base, u64 dirty,
		       unsigned int nlines);

/* Copy the 64-byte lines set in lines from one register page to another. */
void x2s_page_copy_lines(void *dst, const void *src, u64 lines);

#endif /* X2SIM_SRC_VERIFY_VCPU_RAW_H */
