// SPDX-License-Identifier: GPL-2.0-only
/* x2sim: raw vCPU copies (see vcpu_raw.h). */
#include <string.h>

#include <x2sim/x2sim.h>

#include "verify/vcpu_raw.h"

#define MAP_LINES (BIT_ULL(APIC_ID / 64) | BIT_ULL(APIC_LDR / 64))

void x2s_vcpu_raw_save(struct kvm_vcpu *vcpu, struct x2s_vcpu_raw *raw)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	/*
	 * memcpy, not structure assignment: gcc turns the latter into
	 * rep movs, several times slower for these sizes.
	 */
	memcpy(&raw->vmx, vmx, sizeof(raw->vmx));
	if (vcpu->arch.apic)
		memcpy(&raw->apic, vcpu->arch.apic, sizeof(raw->apic));
	memcpy(&raw->run, vcpu->run, sizeof(raw->run));
	memcpy(&raw->vmcs, vmx->vmcs, sizeof(raw->vmcs));
}

void x2s_vcpu_raw_load(struct kvm_vcpu *vcpu, const struct x2s_vcpu_raw *raw)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	/* The copy holds the same pointers (vmcs, run, apic): they stay. */
	memcpy(vmx, &raw->vmx, sizeof(*vmx));
	if (vcpu->arch.apic)
		memcpy(vcpu->arch.apic, &raw->apic, sizeof(raw->apic));
	memcpy(vcpu->run, &raw->run, sizeof(raw->run));
	memcpy(vmx->vmcs, &raw->vmcs, sizeof(raw->vmcs));
}

bool x2s_vcpu_raw_equal(struct kvm_vcpu *vcpu, const struct x2s_vcpu_raw *raw)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	return !memcmp(vmx, &raw->vmx, sizeof(*vmx)) &&
	       (!vcpu->arch.apic ||
		!memcmp(vcpu->arch.apic, &raw->apic, sizeof(raw->apic))) &&
	       !memcmp(vcpu->run, &raw->run, sizeof(raw->run)) &&
	       !memcmp(vmx->vmcs, &raw->vmcs, sizeof(raw->vmcs));
}

bool x2s_vcpu_map_inputs_moved(struct kvm_vcpu *vcpu,
			       const struct x2s_vcpu_raw *raw, u64 lines)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (vcpu->arch.apic_base != raw->vmx.vcpu.arch.apic_base)
		return true;
	return apic && ((lines & MAP_LINES) ||
			apic->sw_enabled != raw->apic.sw_enabled);
}

void x2s_vcpu_raw_take(struct kvm_vcpu *vcpu, struct x2s_vcpu_raw *raw,
		       u8 *page)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (apic) {
		apic->dirty_lines = 0;
		memcpy(page, apic->regs, X2S_APIC_PAGE_SIZE);
	}
	x2s_vcpu_raw_save(vcpu, raw);
}

bool x2s_vcpu_raw_undo(struct kvm_vcpu *vcpu, const struct x2s_vcpu_raw *raw,
		       const u8 *page)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u64 lines = apic ? apic->dirty_lines : 0;
	bool moved = x2s_vcpu_map_inputs_moved(vcpu, raw, lines);

	if (apic)
		x2s_page_copy_lines(apic->regs, page, lines);
	x2s_vcpu_raw_load(vcpu, raw);
	return moved;
}

void x2s_page_copy_lines(void *dst, const void *src, u64 lines)
{
	for (; lines; lines &= lines - 1) {
		unsigned int n = (unsigned int)__builtin_ctzll(lines);

		memcpy((u8 *)dst + n * 64, (const u8 *)src + n * 64, 64);
	}
}

u64 x2s_page_untracked(const u8 *now, const u8 *base, u64 dirty,
		       unsigned int nlines)
{
	u64 out = 0;

	for (unsigned int l = 0; l < nlines;) {
		unsigned int end = l;

		if (dirty >> l & 1) {
			l++;
			continue;
		}
		while (end < nlines && !(dirty >> end & 1))
			end++;
		/* One memcmp per run of clean lines: equal is the rule. */
		if (memcmp(now + l * 64, base + l * 64, (end - l) * 64))
			for (unsigned int k = l; k < end; k++)
				if (memcmp(now + k * 64, base + k * 64, 64))
					out |= 1ULL << k;
		l = end;
	}
	return out;
}
