// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: VM descriptions, checked for contradictions and turned into VMs
 * through the public API (so a description can only describe a state the
 * model itself can reach).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "lapic/lapic.h"
#include "verify/verify.h"

/* Where every vCPU's RIP starts: the WRMSR of a case sits here. */
#define X2S_DESC_RIP 0x1000

void x2s_vm_desc_init(struct x2s_vm_desc *d, const char *name,
		      unsigned int nr_vcpus)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name ? name : "");
	d->nr_vcpus = nr_vcpus;
	d->lapic_in_kernel = true;
	d->vector_hashing = true;
	d->preemption_timer = true;
	for (unsigned int i = 0; i < X2S_DESC_MAX_VCPUS; i++) {
		struct x2s_vcpu_desc *v = &d->vcpu[i];

		v->apic_mode = X2S_APIC_MODE_X2APIC;
		v->sw_enabled = true;
		v->xapic_id = -1;
		v->ldr = -1;
		v->dfr = -1;
		v->mp_state = KVM_MP_STATE_RUNNABLE;
		v->rflags_if = true;
		v->timer_mode = -1;
		v->timer_vector = 0xec;
		v->timer_divide = 0xb;
		v->pending_vector = -1;
	}
}

static int why_fail(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why_fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int x2s_vm_desc_check(const struct x2s_vm_desc *d, char *why, size_t len)
{
	if (!d)
		return why_fail(why, len, "no description");
	if (d->nr_vcpus < 1 || d->nr_vcpus > X2S_DESC_MAX_VCPUS)
		return why_fail(why, len, "vcpus must be 1 to %d, not %u",
				X2S_DESC_MAX_VCPUS, d->nr_vcpus);
	if (d->clock_ns < 0)
		return why_fail(why, len, "clock_ns must not be negative");
	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		const struct x2s_vcpu_desc *v = &d->vcpu[i];
		bool xapic = v->apic_mode == X2S_APIC_MODE_XAPIC;

		if (v->apic_mode != X2S_APIC_MODE_DISABLED && !xapic &&
		    v->apic_mode != X2S_APIC_MODE_X2APIC)
			return why_fail(why, len, "vcpu %u: bad APIC mode", i);
		if (v->xapic_id < -1 || v->xapic_id > 255)
			return why_fail(why, len,
					"vcpu %u: xapic_id must be 0 to 255",
					i);
		if (v->ldr < -1 || v->ldr > 0xffffffffLL ||
		    (v->ldr > 0 && (v->ldr & 0x00ffffff)))
			return why_fail(
				why, len,
				"vcpu %u: ldr must have bits 23:0 clear", i);
		if (v->dfr != -1 && v->dfr != APIC_DFR_FLAT &&
		    v->dfr != APIC_DFR_CLUSTER)
			return why_fail(
				why, len,
				"vcpu %u: dfr must be 0xffffffff (flat) or 0x0fffffff (cluster)",
				i);
		if (!xapic &&
		    (v->xapic_id != -1 || v->ldr != -1 || v->dfr != -1))
			return why_fail(
				why, len,
				"vcpu %u: xapic_id, ldr and dfr need xAPIC mode",
				i);
		if (v->mp_state > KVM_MP_STATE_SIPI_RECEIVED)
			return why_fail(why, len, "vcpu %u: bad mp_state %u", i,
					v->mp_state);
		/*
		 * KVM_SET_MP_STATE refuses INIT/SIPI states while INIT is
		 * latched, which VMX does in VMX root operation (vmxon and
		 * not in guest mode: vmx_apic_init_signal_blocked).  In
		 * guest mode KVM would take them as L2 waiting for SIPI,
		 * which the model lacks: x2s_vcpu_set_mp_state() and
		 * x2s_vcpu_set_guest_mode() refuse them there too.
		 */
		if (v->guest_mode &&
		    (v->mp_state == KVM_MP_STATE_INIT_RECEIVED ||
		     v->mp_state == KVM_MP_STATE_SIPI_RECEIVED))
			return why_fail(
				why, len,
				"vcpu %u: INIT/SIPI states cannot be set in guest mode",
				i);
		if (v->l1_intercept && !v->guest_mode)
			return why_fail(
				why, len,
				"vcpu %u: l1_intercept needs guest_mode", i);
		if (v->timer_mode < -1 || v->timer_mode > 2 ||
		    v->timer_vector < 0 || v->timer_vector > 255 ||
		    v->timer_divide < 0 || v->timer_divide > 0xf ||
		    v->timer_deadline < 0)
			return why_fail(why, len, "vcpu %u: bad timer field",
					i);
		if (v->timer_mode < 0 &&
		    (v->timer_count || v->timer_deadline || v->timer_masked))
			return why_fail(
				why, len,
				"vcpu %u: timer_count, timer_deadline and timer_masked need timer_mode",
				i);
		if (v->timer_mode == 2 ? v->timer_count != 0 :
					 v->timer_deadline != 0)
			return why_fail(
				why, len,
				"vcpu %u: timer_count is for oneshot and periodic, timer_deadline for tsc-deadline",
				i);
		if (v->timer_mode >= 0 &&
		    (!d->lapic_in_kernel ||
		     v->apic_mode == X2S_APIC_MODE_DISABLED))
			return why_fail(
				why, len,
				"vcpu %u: a timer needs an enabled in-kernel LAPIC",
				i);
		if (v->pending_vector != -1 &&
		    (v->pending_vector < 16 || v->pending_vector > 255))
			return why_fail(why, len, "vcpu %u: bad pending_vector",
					i);
		if ((v->pending_vector >= 0 || v->nmi_pending) &&
		    (!d->lapic_in_kernel ||
		     v->apic_mode == X2S_APIC_MODE_DISABLED || !v->sw_enabled))
			return why_fail(
				why, len,
				"vcpu %u: pending_vector and nmi_pending need an enabled, software-enabled in-kernel LAPIC",
				i);
		if (!d->lapic_in_kernel &&
		    (v->apicv || v->mp_state == KVM_MP_STATE_INIT_RECEIVED ||
		     v->mp_state == KVM_MP_STATE_SIPI_RECEIVED))
			return why_fail(
				why, len,
				"vcpu %u: APICv and INIT/SIPI states need the in-kernel LAPIC",
				i);
	}
	return 0;
}

/* A register write as the guest makes it, in the vCPU's APIC mode. */
static int desc_apic_write(struct x2s_vm *vm, unsigned int i,
			   const struct x2s_vcpu_desc *v, u32 reg, u32 val)
{
	if (v->apic_mode == X2S_APIC_MODE_X2APIC)
		return x2s_msr_write(vm, i, APIC_BASE_MSR + (reg >> 4), val,
				     false) ?
			       -EINVAL :
			       0;
	return x2s_mmio_write(vm, i, APIC_DEFAULT_PHYS_BASE + reg, 4, val);
}

static int desc_apply_timer(struct x2s_vm *vm, unsigned int i,
			    const struct x2s_vcpu_desc *v)
{
	u32 lvtt = ((u32)v->timer_mode << 17) | (u32)v->timer_vector |
		   (v->timer_masked ? APIC_LVT_MASKED : 0);
	int r;

	r = desc_apic_write(vm, i, v, APIC_LVTT, lvtt);
	if (!r)
		r = desc_apic_write(vm, i, v, APIC_TDCR, (u32)v->timer_divide);
	if (!r && v->timer_count)
		r = desc_apic_write(vm, i, v, APIC_TMICT, v->timer_count);
	if (!r && v->timer_deadline)
		r = x2s_msr_write(vm, i, MSR_IA32_TSC_DEADLINE,
				  (uint64_t)v->timer_deadline, false) ?
			    -EINVAL :
			    0;
	return r;
}

static int desc_apply_vcpu(struct x2s_vm *vm, unsigned int i,
			   const struct x2s_vcpu_desc *v, bool lapic)
{
	uint64_t rflags = X86_EFLAGS_FIXED;
	int r;

	r = x2s_vcpu_set_apic_mode(vm, i, v->apic_mode);
	if (!r && lapic && v->xapic_id >= 0)
		r = x2s_vcpu_set_xapic_id(vm, i, (uint8_t)v->xapic_id);
	if (!r && lapic && v->dfr >= 0)
		r = x2s_vcpu_set_dfr(vm, i, (uint32_t)v->dfr);
	/*
	 * An xAPIC vCPU without "ldr" has the reset value, 0: switching from
	 * the x2APIC mode the vCPU was created in leaves the x2APIC LDR
	 * behind otherwise.
	 */
	if (!r && lapic && (v->ldr >= 0 || v->apic_mode == X2S_APIC_MODE_XAPIC))
		r = x2s_vcpu_set_ldr(vm, i, v->ldr >= 0 ? (uint32_t)v->ldr : 0);
	if (!r && lapic)
		r = x2s_vcpu_set_sw_enabled(vm, i, v->sw_enabled);
	if (!r)
		r = x2s_vcpu_set_mp_state(vm, i, v->mp_state);
	if (!r && v->guest_mode)
		r = x2s_vcpu_set_guest_mode(vm, i, true, v->l1_intercept);
	if (!r && v->singlestep)
		r = x2s_vcpu_set_guest_debug(
			vm, i, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP);
	if (v->rflags_tf)
		rflags |= X86_EFLAGS_TF;
	if (v->rflags_if)
		rflags |= X86_EFLAGS_IF;
	if (!r)
		r = x2s_vcpu_set_gpr(vm, i, X2S_REG_RFLAGS, rflags);
	if (!r)
		r = x2s_vcpu_set_gpr(vm, i, X2S_REG_RIP, X2S_DESC_RIP);
	if (!r && lapic)
		r = x2s_vcpu_set_apicv(vm, i, v->apicv);
	if (!r && v->timer_mode >= 0)
		r = desc_apply_timer(vm, i, v);
	return r;
}

void x2s_vm_desc_config(const struct x2s_vm_desc *d, struct x2s_vm_config *cfg)
{
	x2s_vm_config_init(cfg, d->nr_vcpus);
	cfg->lapic_in_kernel = d->lapic_in_kernel;
	cfg->vector_hashing = d->vector_hashing;
	cfg->x2apic_format = d->x2apic_format;
	cfg->broadcast_quirk_disabled = d->broadcast_quirk_disabled;
	cfg->x2apic_icr_is_split = d->x2apic_icr_is_split;
	cfg->preemption_timer = d->preemption_timer;
	cfg->apicv = false;
	for (unsigned int i = 0; i < d->nr_vcpus; i++)
		cfg->apicv |= d->vcpu[i].apicv;
}

/*
 * An interrupt and an NMI from elsewhere (a device, the I/O APIC) that
 * the LAPIC accepted after the vCPU's last entry: in the IRR (or posted)
 * with KVM_REQ_EVENT, not yet injected.
 */
static int desc_raise_events(struct x2s_vm *vm, unsigned int i,
			     const struct x2s_vcpu_desc *v)
{
	struct kvm_vcpu *vcpu = x2s_vm_vcpu(vm, i);
	struct kvm_lapic_irq irq = {
		.delivery_mode = APIC_DM_FIXED,
		.level = true,
		.shorthand = APIC_DEST_NOSHORT,
	};

	if (v->pending_vector >= 0) {
		irq.vector = (u32)v->pending_vector;
		if (kvm_apic_set_irq(vcpu, &irq, NULL) <= 0)
			return -EINVAL;
	}
	if (v->nmi_pending) {
		irq.vector = 0;
		irq.delivery_mode = APIC_DM_NMI;
		if (kvm_apic_set_irq(vcpu, &irq, NULL) <= 0)
			return -EINVAL;
	}
	return 0;
}

int x2s_vm_desc_apply(struct x2s_vm *vm, const struct x2s_vm_desc *d)
{
	int r = 0;

	if (x2s_vm_nr_vcpus(vm) != d->nr_vcpus)
		return -EINVAL;
	for (unsigned int i = 0; i < d->nr_vcpus && !r; i++)
		r = desc_apply_vcpu(vm, i, &d->vcpu[i], d->lapic_in_kernel);
	/* Time passes: sw timers due by then fire (hv timers need an exit). */
	if (!r)
		r = x2s_vm_advance_clock(vm, (uint64_t)d->clock_ns);
	/*
	 * A case starts at an exit of a running guest: every vCPU has been
	 * through a VM entry since it was set up, so the requests the
	 * settings made (KVM_REQ_EVENT) have been processed.
	 */
	for (unsigned int i = 0; i < d->nr_vcpus && !r; i++) {
		struct x2s_exit_result res;

		r = x2s_vcpu_enter(vm, i, &res);
	}
	for (unsigned int i = 0; i < d->nr_vcpus && !r; i++)
		r = desc_raise_events(vm, i, &d->vcpu[i]);
	return r;
}

int x2s_vm_desc_create(const struct x2s_vm_desc *d, struct x2s_vm **out)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	int r;

	if (!out || x2s_vm_desc_check(d, NULL, 0))
		return -EINVAL;
	x2s_vm_desc_config(d, &cfg);
	r = x2s_vm_create(&cfg, &vm);
	if (r)
		return r;
	r = x2s_vm_desc_apply(vm, d);
	if (r) {
		x2s_vm_destroy(vm);
		return r;
	}
	*out = vm;
	return 0;
}
