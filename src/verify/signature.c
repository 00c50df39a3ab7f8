// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: signatures (which parts of an outcome differ), their text and
 * cause, the names of verdicts and results, and the readable difference
 * of two vCPU images for the bytes no outcome field names (engine.h).
 */
#include <string.h>

#include "verify/engine.h"

void x2s_signature_format(uint64_t sig, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int role = 0; role < 2; role++) {
		u32 bits = role ? (u32)(sig >> 32) : (u32)sig;
		bool first = true;

		if (!bits)
			continue;
		n += snprintf(buf + n, n < len ? len - n : 0,
			      "%s%s:", n ? "; " : "",
			      role ? "others" : "sender");
		for (int b = 0; b < X2S_NR_PARTS; b++) {
			if (!(bits & (1u << b)))
				continue;
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s",
				      first ? " " : ",",
				      x2s_part_name((enum x2s_part)b));
			first = false;
		}
	}
	if (!n)
		snprintf(buf, len, "nothing");
}

enum x2s_cause x2s_signature_cause(uint64_t sig)
{
	u32 sender = (u32)sig, others = (u32)(sig >> 32);

	if (!sig)
		return X2S_CAUSE_NONE;
	if (sender & (1u << X2S_PART_USERSPACE))
		return X2S_CAUSE_USERSPACE_EXIT;
	if (sender & (1u << X2S_PART_EXCEPTION))
		return X2S_CAUSE_EXCEPTION;
	if ((sender | others) & (1u << X2S_PART_NESTED))
		return X2S_CAUSE_NESTED_EXIT;
	if (others)
		return X2S_CAUSE_OTHER_VCPUS;
	if (sender & ((1u << X2S_PART_IRR) | (1u << X2S_PART_ISR) |
		      (1u << X2S_PART_TMR) | (1u << X2S_PART_INJECTION) |
		      (1u << X2S_PART_REQUESTS) | (1u << X2S_PART_NMI_SMI) |
		      (1u << X2S_PART_INIT_SIPI)))
		return X2S_CAUSE_SENDER_INTERRUPTS;
	if (sender & (1u << X2S_PART_ICR))
		return X2S_CAUSE_ICR;
	return X2S_CAUSE_OTHER;
}

const char *x2s_cause_name(enum x2s_cause c)
{
	switch (c) {
	case X2S_CAUSE_USERSPACE_EXIT:
		return "the exit to userspace differs";
	case X2S_CAUSE_EXCEPTION:
		return "the sender's exception differs";
	case X2S_CAUSE_NESTED_EXIT:
		return "the nested exit to L1 differs";
	case X2S_CAUSE_OTHER_VCPUS:
		return "other vCPUs receive differently";
	case X2S_CAUSE_SENDER_INTERRUPTS:
		return "the sender's own interrupt state differs";
	case X2S_CAUSE_ICR:
		return "only the stored ICR differs";
	case X2S_CAUSE_OTHER:
		return "other state differs";
	case X2S_CAUSE_NONE:
		break;
	}
	return "nothing differs";
}

const char *x2s_verdict_name(enum x2s_verdict v)
{
	switch (v) {
	case X2S_VERDICT_DECLINED:
		return "declined";
	case X2S_VERDICT_EQUAL:
		return "equal";
	case X2S_VERDICT_MISMATCH:
		return "MISMATCH";
	case X2S_VERDICT_DIRTY_NONE:
		return "MISMATCH (returned NONE after changing state)";
	case X2S_VERDICT_WARN:
		return "WARN";
	}
	return "?";
}

const char *x2s_fastpath_result_name(int fastpath)
{
	switch (fastpath) {
	case EXIT_FASTPATH_NONE:
		return "NONE";
	case EXIT_FASTPATH_REENTER_GUEST:
		return "REENTER_GUEST";
	case EXIT_FASTPATH_EXIT_HANDLED:
		return "EXIT_HANDLED";
	case EXIT_FASTPATH_EXIT_USERSPACE:
		return "EXIT_USERSPACE";
	case X2S_EXIT_FASTPATH_SKIP_EMUL_INS:
		return "SKIP_EMUL_INS";
	}
	return "invalid";
}

/* ---- images, field by field ---- */

/*
 * The named fields of a vCPU image.  Bytes of no field here (fields added
 * later, padding) are still compared; they print as "struct+offset".
 * SHOWN: an outcome field (struct x2s_vcpu_state) shows it already.
 */
enum { SHOWN = 1 };

struct image_field {
	const char *name;
	u16 offset, size;
	u8 flags;
};

#define IMG(member, name, flags)                                            \
	{                                                                   \
		name, offsetof(struct x2s_vcpu_image, member),              \
			sizeof(((struct x2s_vcpu_image *)0)->member), flags \
	}
#define ARCH(f, flags) IMG(vmx.vcpu.arch.f, "vcpu.arch." #f, flags)
#define VMX(f, flags) IMG(vmx.f, "vcpu_vmx." #f, flags)

static const struct image_field image_fields[] = {
	IMG(vmx.vcpu.kvm, "vcpu.kvm", 0),
	IMG(vmx.vcpu.vcpu_id, "vcpu.vcpu_id", 0),
	IMG(vmx.vcpu.vcpu_idx, "vcpu.vcpu_idx", 0),
	IMG(vmx.vcpu.mode, "vcpu.mode", 0),
	IMG(vmx.vcpu.requests, "vcpu.requests", SHOWN),
	IMG(vmx.vcpu.guest_debug, "vcpu.guest_debug", 0),
	IMG(vmx.vcpu.run, "vcpu.run", 0),
	ARCH(regs, SHOWN),
	ARCH(rflags, SHOWN),
	ARCH(apic_base, SHOWN),
	ARCH(apic, 0),
	ARCH(apic_arb_prio, SHOWN),
	ARCH(mp_state, SHOWN),
	ARCH(guest_mode, SHOWN),
	ARCH(nmi_pending, SHOWN),
	ARCH(nmi_queued, 0),
	ARCH(nmi_injected, SHOWN),
	ARCH(smi_pending, SHOWN),
	ARCH(pv.pv_unhalted, SHOWN),
	ARCH(apf.halted, 0),
	ARCH(exception.pending, SHOWN),
	ARCH(exception.injected, SHOWN),
	ARCH(exception.has_error_code, SHOWN),
	ARCH(exception.vector, SHOWN),
	ARCH(exception.error_code, SHOWN),
	ARCH(exception.payload, 0),
	ARCH(exception.has_payload, 0),
	ARCH(exception_vmexit.pending, 0),
	ARCH(exception_vmexit.injected, 0),
	ARCH(exception_vmexit.has_error_code, 0),
	ARCH(exception_vmexit.vector, 0),
	ARCH(exception_vmexit.error_code, 0),
	ARCH(exception_vmexit.payload, 0),
	ARCH(exception_vmexit.has_payload, 0),
	ARCH(interrupt.injected, SHOWN),
	ARCH(interrupt.soft, 0),
	ARCH(interrupt.nr, SHOWN),
	ARCH(interruptibility, SHOWN),
	ARCH(virtual_tsc_khz, 0),
	ARCH(l1_tsc_offset, 0),
	VMX(exit_reason, 0),
	VMX(vmcs01.hv_timer_soft_disabled, SHOWN),
	VMX(loaded_vmcs, 0),
	VMX(vmcs, 0),
	VMX(pi_desc.pir, SHOWN),
	VMX(pi_desc.on, 0),
	VMX(nested.msr_bitmap, 0),
	VMX(nested.last_exit.happened, SHOWN),
	VMX(nested.last_exit.exit_reason, SHOWN),
	VMX(nested.last_exit.exit_qualification, 0),
	VMX(nested.vmxon, SHOWN),
	VMX(mmio.data, 0),
	VMX(mmio.len, 0),
	VMX(mmio.valid, 0),
	VMX(emulation_required, 0),
	VMX(dr6, 0),
	VMX(hv_deadline_tsc, SHOWN),
	VMX(x2s_hv_timer_parked, SHOWN),
	VMX(req_immediate_exit, SHOWN),
	IMG(apic.base_address, "apic.base_address", 0),
	IMG(apic.vcpu, "apic.vcpu", 0),
	IMG(apic.lapic_timer.timer.expires, "apic.lapic_timer.timer.expires",
	    SHOWN),
	IMG(apic.lapic_timer.timer.queued, "apic.lapic_timer.timer.queued",
	    SHOWN),
	IMG(apic.lapic_timer.period, "apic.lapic_timer.period", SHOWN),
	IMG(apic.lapic_timer.target_expiration,
	    "apic.lapic_timer.target_expiration", SHOWN),
	IMG(apic.lapic_timer.timer_mode, "apic.lapic_timer.timer_mode", 0),
	IMG(apic.lapic_timer.timer_mode_mask,
	    "apic.lapic_timer.timer_mode_mask", 0),
	IMG(apic.lapic_timer.tscdeadline, "apic.lapic_timer.tscdeadline",
	    SHOWN),
	IMG(apic.lapic_timer.expired_tscdeadline,
	    "apic.lapic_timer.expired_tscdeadline", SHOWN),
	IMG(apic.lapic_timer.timer_advance_ns,
	    "apic.lapic_timer.timer_advance_ns", 0),
	IMG(apic.lapic_timer.pending, "apic.lapic_timer.pending", SHOWN),
	IMG(apic.lapic_timer.hv_timer_in_use,
	    "apic.lapic_timer.hv_timer_in_use", SHOWN),
	IMG(apic.divide_count, "apic.divide_count", 0),
	IMG(apic.apicv_active, "apic.apicv_active", 0),
	IMG(apic.sw_enabled, "apic.sw_enabled", SHOWN),
	IMG(apic.irr_pending, "apic.irr_pending", 0),
	IMG(apic.lvt0_in_nmi_mode, "apic.lvt0_in_nmi_mode", 0),
	IMG(apic.isr_count, "apic.isr_count", 0),
	IMG(apic.highest_isr_cache, "apic.highest_isr_cache", 0),
	IMG(apic.regs, "apic.regs", 0),
	IMG(apic.pending_events, "apic.pending_events", SHOWN),
	IMG(apic.sipi_vector, "apic.sipi_vector", SHOWN),
	IMG(apic.nr_lvt_entries, "apic.nr_lvt_entries", 0),
	IMG(run.exit_reason, "kvm_run.exit_reason", SHOWN),
};

#define NR_IMAGE_FIELDS (sizeof(image_fields) / sizeof(image_fields[0]))

/* The VMCS fields that an outcome field shows. */
static bool vmcs_shown(unsigned int slot)
{
	return slot == VMCS_SLOT_VM_ENTRY_INTR_INFO_FIELD ||
	       slot == VMCS_SLOT_VMX_PREEMPTION_TIMER_VALUE ||
	       slot == VMCS_SLOT_VM_ENTRY_EXCEPTION_ERROR_CODE ||
	       slot == VMCS_SLOT_GUEST_INTR_STATUS;
}

static const char *const vmcs_names[VMCS_NR_SLOTS] = {
#define VMCS_NAME(f) [VMCS_SLOT_##f] = #f,
	VMCS_FIELDS(VMCS_NAME)
#undef VMCS_NAME
};

static void print_value(FILE *out, const u8 *a, const u8 *b, size_t size)
{
	u64 va = 0, vb = 0;

	if (size > sizeof(u64)) {
		fprintf(out, ": differs\n");
		return;
	}
	memcpy(&va, a, size);
	memcpy(&vb, b, size);
	fprintf(out, ": 0x%llx vs 0x%llx\n", (unsigned long long)va,
		(unsigned long long)vb);
}

/* The structure a byte of the image belongs to, for unnamed bytes. */
static const char *image_part(size_t off, size_t *base)
{
	if (off < offsetof(struct x2s_vcpu_image, apic)) {
		*base = offsetof(struct x2s_vcpu_image, vmx);
		return "vcpu_vmx";
	}
	if (off < offsetof(struct x2s_vcpu_image, run)) {
		*base = offsetof(struct x2s_vcpu_image, apic);
		return "kvm_lapic";
	}
	*base = offsetof(struct x2s_vcpu_image, run);
	return "kvm_run";
}

unsigned int x2s_image_diff(const struct x2s_vcpu_image *a,
			    const struct x2s_vcpu_image *b, unsigned int cpu,
			    FILE *out)
{
	const u8 *pa = (const u8 *)a, *pb = (const u8 *)b;
	size_t vmcs_off = offsetof(struct x2s_vcpu_image, vmcs);
	u8 named[sizeof(struct x2s_vcpu_image)];
	unsigned int n = 0;

	memset(named, 0, sizeof(named));
	for (size_t i = 0; i < NR_IMAGE_FIELDS; i++) {
		const struct image_field *f = &image_fields[i];

		memset(named + f->offset, 1, f->size);
		if (!memcmp(pa + f->offset, pb + f->offset, f->size) ||
		    (f->flags & SHOWN))
			continue;
		n++;
		if (out) {
			fprintf(out, "  vcpu%u %s", cpu, f->name);
			print_value(out, pa + f->offset, pb + f->offset,
				    f->size);
		}
	}
	for (unsigned int slot = 0; slot < VMCS_NR_SLOTS; slot++) {
		size_t off = vmcs_off + slot * sizeof(u64);

		memset(named + off, 1, sizeof(u64));
		if (!memcmp(pa + off, pb + off, sizeof(u64)) ||
		    vmcs_shown(slot))
			continue;
		n++;
		if (out) {
			fprintf(out, "  vcpu%u vmcs.%s", cpu, vmcs_names[slot]);
			print_value(out, pa + off, pb + off, sizeof(u64));
		}
	}
	/* Everything else, by structure and offset. */
	for (size_t off = 0; off < vmcs_off; off++) {
		size_t base;
		const char *what;

		if (named[off] || pa[off] == pb[off])
			continue;
		n++;
		what = image_part(off, &base);
		if (out)
			fprintf(out, "  vcpu%u %s+0x%zx: 0x%02x vs 0x%02x\n",
				cpu, what, off - base, pa[off], pb[off]);
	}
	return n;
}
