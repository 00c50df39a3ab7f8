// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim public API: VM creation, per-vCPU settings, exits, state.
 *
 * Settings go through the model's own paths (APIC_BASE writes, register
 * writes, KVM_SET_MP_STATE rules) so that a configured VM is a state KVM
 * itself could be in.  Every entry point validates its arguments before it
 * touches anything: -EINVAL means nothing changed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/core.h"
#include "lapic/lapic.h"
#include "vmx/vmx.h"

struct x2s_vm {
	struct kvm_vmx vmx; /* first: struct kvm lives inside */
	/* x2s_vm_set_fastpath()'s hook, as the model calls a fastpath. */
	struct x2s_fastpath user_fastpath;
	struct x2s_vm_config cfg;
	/*
	 * kvm_vcpu_kick() calls per vCPU: a statistic the guest runner
	 * reads, kept out of the structures a fastpath can reach.
	 */
	unsigned long *kicks;
	/*
	 * The VM's memory is one mapping, so that the verifier's write
	 * guard covers every byte a fastpath can reach: this structure,
	 * kvm->vcpus[] and kicks[] on the first pages, then every vCPU's
	 * memory (struct x2s_vcpu_mem), then a slot for the APIC map.
	 * Nothing in it points to the heap (but a map too large for its
	 * slot), so leak checkers, which do not scan mappings, see none.
	 */
	size_t mapping_len;
	struct x2s_vcpu_mem *mem;
	void *map_slot;
	size_t map_slot_len;
	bool map_slot_used;
	/* kvm_recalculate_apic_map()'s rebuilds, for the verifier. */
	u64 map_rebuilds;
};

static size_t page_up(size_t n)
{
	return (n + X2S_MEM_PAGE - 1) & ~(size_t)(X2S_MEM_PAGE - 1);
}

/* struct x2s_vm, then kvm->vcpus[], then kicks[]. */
#define VM_VCPUS_OFFSET ((sizeof(struct x2s_vm) + 63) & ~(size_t)63)

static size_t vm_head_len(unsigned int nr_vcpus)
{
	return page_up(VM_VCPUS_OFFSET + nr_vcpus * (sizeof(struct kvm_vcpu *) +
						     sizeof(unsigned long)));
}

/*
 * The map has room for every xAPIC ID and every vCPU's x2APIC ID (KVM
 * keeps x2APIC IDs at vcpu_id); one built larger is allocated apart.
 */
static size_t vm_map_slot_len(unsigned int nr_vcpus)
{
	size_t ids = nr_vcpus > 256 ? nr_vcpus : 256;

	return page_up(sizeof(struct kvm_apic_map) +
		       ids * sizeof(struct kvm_lapic *));
}

static struct x2s_vm *vm_of(const struct kvm *kvm)
{
	return container_of(kvm, struct x2s_vm, vmx.kvm);
}

void x2s_vcpu_note_kick(struct kvm_vcpu *vcpu)
{
	vm_of(vcpu->kvm)->kicks[vcpu->vcpu_idx]++;
}

void *x2s_vm_mem(struct x2s_vm *vm, size_t *len)
{
	*len = vm->mapping_len;
	return vm;
}

struct x2s_vcpu_mem *x2s_vm_vcpu_mem(struct x2s_vm *vm, unsigned int idx)
{
	return &vm->mem[idx];
}

void *x2s_apic_map_alloc(struct kvm *kvm, size_t size)
{
	struct x2s_vm *vm = vm_of(kvm);

	if (!vm->map_slot_used && size <= vm->map_slot_len) {
		vm->map_slot_used = true;
		memset(vm->map_slot, 0, size);
		return vm->map_slot;
	}
	return calloc(1, size);
}

void x2s_apic_map_rebuilt(struct kvm *kvm)
{
	vm_of(kvm)->map_rebuilds++;
}

u64 x2s_vm_map_rebuilds(struct x2s_vm *vm)
{
	return vm->map_rebuilds;
}

void x2s_apic_map_free(struct kvm *kvm, void *map)
{
	struct x2s_vm *vm = vm_of(kvm);

	if (map && map == vm->map_slot)
		vm->map_slot_used = false;
	else
		free(map);
}

unsigned long x2s_vcpu_kicks(const struct kvm_vcpu *vcpu)
{
	return vm_of(vcpu->kvm)->kicks[vcpu->vcpu_idx];
}

struct kvm *x2s_vm_kvm(struct x2s_vm *vm)
{
	return &vm->vmx.kvm;
}

struct kvm_vcpu *x2s_vm_vcpu(struct x2s_vm *vm, unsigned int idx)
{
	if (!vm || idx >= (unsigned int)vm->vmx.kvm.online_vcpus)
		return NULL;
	return vm->vmx.kvm.vcpus[idx];
}

unsigned int x2s_vm_nr_vcpus(const struct x2s_vm *vm)
{
	return vm ? (unsigned int)vm->vmx.kvm.online_vcpus : 0;
}

const char *x2s_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case X2S_GP:
		return "the guest access faults (#GP)";
	case -EINVAL:
		return "invalid argument";
	case -ENOMEM:
		return "out of memory";
	case -EOPNOTSUPP:
		return "not an access to the APIC";
	case -ENOENT:
		return "no such object";
	}
	return err < 0 && err > -4096 ? strerror(-err) : "unknown result";
}

void x2s_vm_config_init(struct x2s_vm_config *cfg, unsigned int nr_vcpus)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_vcpus = nr_vcpus;
	cfg->apic_mode = X2S_APIC_MODE_X2APIC;
	cfg->sw_enabled = true;
	cfg->lapic_in_kernel = true;
	cfg->vector_hashing = true;
	cfg->preemption_timer = true;
}

static bool valid_apic_mode(enum x2s_apic_mode mode)
{
	return mode == X2S_APIC_MODE_DISABLED || mode == X2S_APIC_MODE_XAPIC ||
	       mode == X2S_APIC_MODE_X2APIC;
}

static u64 apic_base_for_mode(struct kvm_vcpu *vcpu, enum x2s_apic_mode mode)
{
	u64 base = vcpu->arch.apic_base &
		   (MSR_IA32_APICBASE_BASE | MSR_IA32_APICBASE_BSP);

	if (mode == X2S_APIC_MODE_XAPIC)
		base |= MSR_IA32_APICBASE_ENABLE;
	else if (mode == X2S_APIC_MODE_X2APIC)
		base |= MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE;
	return base;
}

static void x2s_vm_free(struct x2s_vm *vm)
{
	struct kvm *kvm = &vm->vmx.kvm;

	for (int i = 0; i < kvm->online_vcpus; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];

		if (lapic_in_kernel(vcpu))
			kvm_free_lapic(vcpu);
	}
	kvm_free_apic_map(kvm);
	munmap(vm, vm->mapping_len);
}

void x2s_vm_destroy(struct x2s_vm *vm)
{
	if (vm)
		x2s_vm_free(vm);
}

static int vcpu_apply_mode(struct kvm_vcpu *vcpu, enum x2s_apic_mode mode)
{
	u64 base = apic_base_for_mode(vcpu, mode);

	if (!lapic_in_kernel(vcpu)) {
		vcpu->arch.apic_base = base;
		return 0;
	}
	/*
	 * KVM_SET_MSRS is host-initiated: x2APIC -> xAPIC and disabled ->
	 * x2APIC are allowed there, EXTD without EN is not.
	 */
	return kvm_apic_set_base(vcpu, base, true) ? -EINVAL : 0;
}

static void vcpu_apply_sw_enable(struct kvm_vcpu *vcpu, bool enabled)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 svr = kvm_lapic_get_reg(apic, APIC_SPIV);

	/* Leave the reset state alone when nothing changes. */
	if (!!(svr & APIC_SPIV_APIC_ENABLED) == enabled)
		return;
	if (enabled)
		svr |= APIC_SPIV_APIC_ENABLED;
	else
		svr &= ~APIC_SPIV_APIC_ENABLED;
	kvm_lapic_reg_write(apic, APIC_SPIV, svr);
}

int x2s_vm_create(const struct x2s_vm_config *cfg, struct x2s_vm **out)
{
	struct x2s_vm *vm;
	struct kvm *kvm;
	size_t head, len;

	if (!cfg || !out || cfg->nr_vcpus < 1 ||
	    cfg->nr_vcpus > X2S_MAX_VCPUS || !valid_apic_mode(cfg->apic_mode))
		return -EINVAL;
	/* x2APIC mode needs CPUID x2APIC; MAXPHYADDR as CPUs have it. */
	if ((cfg->cpuid_no_x2apic && cfg->apic_mode == X2S_APIC_MODE_X2APIC) ||
	    (cfg->maxphyaddr && (cfg->maxphyaddr < 32 || cfg->maxphyaddr > 52)))
		return -EINVAL;
	/* Posted interrupts and an APIC mode need an in-kernel LAPIC. */
	if (!cfg->lapic_in_kernel && cfg->apicv)
		return -EINVAL;

	head = vm_head_len(cfg->nr_vcpus);
	len = head + cfg->nr_vcpus * sizeof(*vm->mem) +
	      vm_map_slot_len(cfg->nr_vcpus);
	vm = mmap(NULL, len, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm == MAP_FAILED)
		return -ENOMEM;
	vm->mapping_len = len;
	vm->mem = (struct x2s_vcpu_mem *)((char *)vm + head);
	vm->map_slot = vm->mem + cfg->nr_vcpus;
	vm->map_slot_len = vm_map_slot_len(cfg->nr_vcpus);
	vm->cfg = *cfg;
	kvm = &vm->vmx.kvm;
	kvm->vcpus = (struct kvm_vcpu **)((char *)vm + VM_VCPUS_OFFSET);
	vm->kicks = (unsigned long *)(kvm->vcpus + cfg->nr_vcpus);
	kvm->arch.vector_hashing = cfg->vector_hashing;
	kvm->arch.x2apic_format = cfg->x2apic_format;
	kvm->arch.x2apic_broadcast_quirk_disabled =
		cfg->broadcast_quirk_disabled;
	kvm->arch.x2apic_icr_is_split = cfg->x2apic_icr_is_split;
	kvm->arch.apicv_enabled = cfg->apicv;
	kvm->arch.apic_bus_cycle_ns = 1;
	kvm->arch.x2s_cpuid_no_x2apic = cfg->cpuid_no_x2apic;
	kvm->arch.x2s_cpuid_no_tsc_deadline = cfg->cpuid_no_tsc_deadline;
	kvm->arch.x2s_maxphyaddr =
		cfg->maxphyaddr ? (int)cfg->maxphyaddr : X2S_GUEST_MAXPHYADDR;
	kvm->arch.preemption_timer = cfg->preemption_timer;

	for (unsigned int i = 0; i < cfg->nr_vcpus; i++) {
		struct vcpu_vmx *vmx =
			vmx_vcpu_create(kvm, (int)i, &vm->mem[i]);

		kvm->vcpus[i] = &vmx->vcpu;
		kvm->online_vcpus++;
		if (cfg->lapic_in_kernel && kvm_create_lapic(&vmx->vcpu) != 0)
			goto nomem;
	}

	for (unsigned int i = 0; i < cfg->nr_vcpus; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];

		if (vcpu_apply_mode(vcpu, cfg->apic_mode))
			goto inval;
		vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
		if (!lapic_in_kernel(vcpu))
			continue;
		vcpu_apply_sw_enable(vcpu, cfg->sw_enabled);
		vcpu->arch.apic->apicv_active = cfg->apicv;
	}
	kvm_recalculate_apic_map(kvm);
	*out = vm;
	return 0;

nomem:
	x2s_vm_free(vm);
	return -ENOMEM;
inval:
	x2s_vm_free(vm);
	return -EINVAL;
}

uint64_t x2s_vm_clock(const struct x2s_vm *vm)
{
	return vm ? (uint64_t)vm->vmx.kvm.arch.x2s_clock : 0;
}

int x2s_vm_advance_clock(struct x2s_vm *vm, uint64_t ns)
{
	ktime_t now;

	if (!vm)
		return -EINVAL;
	now = vm->vmx.kvm.arch.x2s_clock;
	if (ns > (uint64_t)(INT64_MAX - now))
		return -EINVAL;
	x2s_kvm_advance_clock(&vm->vmx.kvm, now + (ktime_t)ns);
	return 0;
}

int x2s_vm_next_timer(const struct x2s_vm *vm, uint64_t *ns)
{
	ktime_t when;

	if (!vm || !ns)
		return -EINVAL;
	if (!x2s_kvm_next_timer(&vm->vmx.kvm, &when))
		return -ENOENT;
	*ns = (uint64_t)when;
	return 0;
}

static struct kvm_vcpu *get_vcpu(struct x2s_vm *vm, unsigned int idx)
{
	return x2s_vm_vcpu(vm, idx);
}

/* The vCPU if it exists and has an in-kernel LAPIC, else NULL. */
static struct kvm_vcpu *get_apic_vcpu(struct x2s_vm *vm, unsigned int idx)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);

	return vcpu && lapic_in_kernel(vcpu) ? vcpu : NULL;
}

int x2s_vcpu_set_apic_mode(struct x2s_vm *vm, unsigned int idx,
			   enum x2s_apic_mode mode)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);

	if (!vcpu || !valid_apic_mode(mode))
		return -EINVAL;
	return vcpu_apply_mode(vcpu, mode);
}

int x2s_vcpu_set_sw_enabled(struct x2s_vm *vm, unsigned int idx, bool enabled)
{
	struct kvm_vcpu *vcpu = get_apic_vcpu(vm, idx);

	if (!vcpu)
		return -EINVAL;
	vcpu_apply_sw_enable(vcpu, enabled);
	return 0;
}

/* Write an xAPIC-only register the way the guest would through MMIO. */
static int set_xapic_reg(struct x2s_vm *vm, unsigned int idx, u32 reg, u32 val)
{
	struct kvm_vcpu *vcpu = get_apic_vcpu(vm, idx);

	if (!vcpu || kvm_get_apic_mode(vcpu) != LAPIC_MODE_XAPIC)
		return -EINVAL;
	return kvm_lapic_reg_write(vcpu->arch.apic, reg, val) ? -EINVAL : 0;
}

int x2s_vcpu_set_xapic_id(struct x2s_vm *vm, unsigned int idx, uint8_t id)
{
	return set_xapic_reg(vm, idx, APIC_ID, (u32)id << 24);
}

int x2s_vcpu_set_ldr(struct x2s_vm *vm, unsigned int idx, uint32_t ldr)
{
	if (ldr & ~APIC_LDR_MASK)
		return -EINVAL;
	return set_xapic_reg(vm, idx, APIC_LDR, ldr);
}

int x2s_vcpu_set_dfr(struct x2s_vm *vm, unsigned int idx, uint32_t dfr)
{
	if (dfr != APIC_DFR_FLAT && dfr != APIC_DFR_CLUSTER)
		return -EINVAL;
	return set_xapic_reg(vm, idx, APIC_DFR, dfr);
}

int x2s_vcpu_set_mp_state(struct x2s_vm *vm, unsigned int idx,
			  uint32_t mp_state)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);

	if (!vcpu || mp_state > KVM_MP_STATE_SIPI_RECEIVED)
		return -EINVAL;
	/* KVM_SET_MP_STATE: without an in-kernel LAPIC only RUNNABLE. */
	if (!lapic_in_kernel(vcpu) && mp_state != KVM_MP_STATE_RUNNABLE)
		return -EINVAL;
	/*
	 * KVM_SET_MP_STATE: INIT/SIPI states need the in-kernel LAPIC, and
	 * are refused while INIT is blocked (VMX root operation).  x2sim:
	 * also refused in guest mode, where KVM takes them as L2 waiting for
	 * SIPI; the model has no wait-for-SIPI activity state for L2.
	 */
	if ((mp_state == KVM_MP_STATE_INIT_RECEIVED ||
	     mp_state == KVM_MP_STATE_SIPI_RECEIVED) &&
	    (!lapic_in_kernel(vcpu) || is_guest_mode(vcpu) ||
	     !kvm_apic_init_sipi_allowed(vcpu)))
		return -EINVAL;
	if (mp_state == KVM_MP_STATE_SIPI_RECEIVED) {
		/* As KVM: an INIT-received vCPU with the SIPI still pending. */
		vcpu->arch.mp_state = KVM_MP_STATE_INIT_RECEIVED;
		vcpu->arch.apic->pending_events |= 1UL << KVM_APIC_SIPI;
	} else {
		vcpu->arch.mp_state = mp_state;
	}
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	return 0;
}

int x2s_vcpu_set_guest_mode(struct x2s_vm *vm, unsigned int idx, bool l2,
			    bool l1_intercepts_x2apic)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);
	bool init_blocked;

	if (!vcpu || (!l2 && l1_intercepts_x2apic))
		return -EINVAL;
	init_blocked = vmx_apic_init_signal_blocked(vcpu);
	/*
	 * A vCPU waiting for SIPI is not running L2 (x2sim: L2 has no
	 * wait-for-SIPI activity state).  A pending INIT or SIPI reaches L2
	 * only from VMX root operation, where INIT stays latched; in any
	 * other state it is acted on before L1 could VMLAUNCH.
	 */
	if (l2 && (vcpu->arch.mp_state == KVM_MP_STATE_INIT_RECEIVED ||
		   (kvm_apic_has_pending_init_or_sipi(vcpu) && !init_blocked)))
		return -EINVAL;
	if (nested_vmx_set_msr_range_intercept(vcpu, APIC_BASE_MSR, 0x100,
					       l1_intercepts_x2apic))
		return -ENOMEM;
	/* x2sim: VMXON and VMLAUNCH, or VMXOFF from wherever the vCPU is. */
	to_vmx(vcpu)->nested.vmxon = l2;
	vcpu->arch.guest_mode = l2;
	/*
	 * VM entry to L2 and VMXOFF both unblock INIT: a latched INIT or
	 * SIPI is looked at again (nested_vmx_enter_non_root_mode(),
	 * handle_vmxoff()).
	 */
	if (init_blocked && kvm_apic_has_pending_init_or_sipi(vcpu))
		kvm_make_request(KVM_REQ_EVENT, vcpu);
	return 0;
}

int x2s_vcpu_set_guest_debug(struct x2s_vm *vm, unsigned int idx,
			     uint32_t flags)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);

	if (!vcpu || (flags & ~(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP)))
		return -EINVAL;
	/* KVM_SET_GUEST_DEBUG: without ENABLE every other flag is dropped. */
	vcpu->guest_debug = (flags & KVM_GUESTDBG_ENABLE) ? flags : 0;
	return 0;
}

int x2s_vcpu_set_apicv(struct x2s_vm *vm, unsigned int idx, bool active)
{
	struct kvm_vcpu *vcpu = get_apic_vcpu(vm, idx);
	int max_irr;

	if (!vcpu)
		return -EINVAL;
	/* APICv can only be active on a vCPU of a VM that has it. */
	if (active && !vcpu->kvm->arch.apicv_enabled)
		return -EINVAL;
	if (vcpu->arch.apic->apicv_active && !active) {
		struct pi_desc *pi = &to_vmx(vcpu)->pi_desc;

		kvm_apic_update_irr(vcpu, pi->pir, &max_irr);
		pi->on = false;
	}
	vcpu->arch.apic->apicv_active = active;
	kvm_apic_update_apicv(vcpu);
	return 0;
}

int x2s_vcpu_get_gpr(struct x2s_vm *vm, unsigned int idx, enum x2s_reg reg,
		     uint64_t *val)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);

	if (!vcpu || !val || (unsigned int)reg >= X2S_NR_REGS)
		return -EINVAL;
	if (reg <= X2S_REG_RIP)
		*val = vcpu->arch.regs[reg];
	else if (reg == X2S_REG_RFLAGS)
		*val = vcpu->arch.rflags;
	else
		*val = vcpu->arch.interruptibility;
	return 0;
}

int x2s_vcpu_set_gpr(struct x2s_vm *vm, unsigned int idx, enum x2s_reg reg,
		     uint64_t val)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);

	if (!vcpu || (unsigned int)reg >= X2S_NR_REGS)
		return -EINVAL;
	if (reg <= X2S_REG_RIP) {
		vcpu->arch.regs[reg] = val;
	} else if (reg == X2S_REG_RFLAGS) {
		/* Bit 1 is fixed to 1; bits 63:22 and 15, 5, 3 are reserved. */
		if (!(val & X86_EFLAGS_FIXED) || (val & 0xffffffffffc08028ULL))
			return -EINVAL;
		vcpu->arch.rflags = val;
	} else {
		if (val & ~0x1fULL)
			return -EINVAL;
		vcpu->arch.interruptibility = (u32)val;
	}
	return 0;
}

int x2s_msr_write(struct x2s_vm *vm, unsigned int idx, uint32_t msr,
		  uint64_t data, bool host_initiated)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);

	if (!vcpu)
		return -EINVAL;
	return kvm_set_msr_common(vcpu, msr, data, host_initiated) ? X2S_GP : 0;
}

int x2s_msr_read(struct x2s_vm *vm, unsigned int idx, uint32_t msr,
		 uint64_t *data, bool host_initiated)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);
	u64 val = 0;

	if (!vcpu || !data)
		return -EINVAL;
	if (kvm_get_msr_common(vcpu, msr, &val, host_initiated))
		return X2S_GP;
	*data = val;
	return 0;
}

static bool valid_mmio_len(unsigned int len)
{
	return len == 1 || len == 2 || len == 4 || len == 8;
}

int x2s_mmio_write(struct x2s_vm *vm, unsigned int idx, uint64_t gpa,
		   unsigned int len, uint64_t data)
{
	struct kvm_vcpu *vcpu = get_apic_vcpu(vm, idx);

	if (!vcpu || !valid_mmio_len(len))
		return -EINVAL;
	return kvm_lapic_mmio_write(vcpu, gpa, (int)len, &data);
}

int x2s_mmio_read(struct x2s_vm *vm, unsigned int idx, uint64_t gpa,
		  unsigned int len, uint64_t *data)
{
	struct kvm_vcpu *vcpu = get_apic_vcpu(vm, idx);
	u64 val = 0;
	int r;

	if (!vcpu || !data || !valid_mmio_len(len))
		return -EINVAL;
	r = kvm_lapic_mmio_read(vcpu, gpa, (int)len, &val);
	if (!r)
		*data = val;
	return r;
}

int x2s_apic_get_reg(struct x2s_vm *vm, unsigned int idx, uint32_t offset,
		     uint32_t *val)
{
	struct kvm_vcpu *vcpu = get_apic_vcpu(vm, idx);

	if (!vcpu || !val || offset >= X2S_APIC_PAGE_SIZE || (offset & 3))
		return -EINVAL;
	*val = kvm_lapic_get_reg(vcpu->arch.apic, (int)offset);
	return 0;
}

/* ---- exits ---- */

int x2s_vm_set_fastpath(struct x2s_vm *vm, x2s_fastpath_hook fn)
{
	if (!vm)
		return -EINVAL;
	vm->user_fastpath = (struct x2s_fastpath){
		.name = "hook",
		.entry = X2S_FASTPATH_HOOK,
		.hook = fn,
		.kvm_version = X2SIM_KVM_VERSION_MAINLINE,
	};
	vm->vmx.fastpath = fn ? &vm->user_fastpath : NULL;
	return 0;
}

void x2s_vcpu_load_exit(struct kvm_vcpu *vcpu, const struct x2s_exit *exit)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
	vmx->nested.last_exit.happened = false;
	vmcs_write(vcpu, VM_EXIT_REASON, exit->reason);
	vmcs_write(vcpu, EXIT_QUALIFICATION, exit->qualification);
	vmcs_write(vcpu, VM_EXIT_INSTRUCTION_LEN, exit->insn_len);
	vmcs_write(vcpu, VM_EXIT_INTR_INFO, exit->intr_info);
	vmcs_write(vcpu, VM_ENTRY_INTR_INFO_FIELD, 0);
	vmx->mmio.data = exit->mmio_data;
	vmx->mmio.len = exit->mmio_len;
	vmx->mmio.valid = exit->mmio_len != 0;
}

void x2s_exit_result_fill(struct kvm_vcpu *vcpu, int r,
			  struct x2s_exit_result *res)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (r <= 0) {
		res->status = X2S_STATUS_USERSPACE;
		res->run_exit_reason = vcpu->run->exit_reason;
		if (vcpu->run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			res->internal_suberror = vcpu->run->internal.suberror;
	} else if (vcpu->arch.mp_state != KVM_MP_STATE_RUNNABLE) {
		res->status = X2S_STATUS_BLOCKED;
	} else {
		res->status = X2S_STATUS_GUEST;
	}
	res->nested_exit = vmx->nested.last_exit.happened;
	res->nested_exit_reason = vmx->nested.last_exit.exit_reason;
	res->entry_intr_info = (u32)vmcs_read(vcpu, VM_ENTRY_INTR_INFO_FIELD);
	res->entry_exception_error_code =
		(u32)vmcs_read(vcpu, VM_ENTRY_EXCEPTION_ERROR_CODE);
}

int x2s_vcpu_exit(struct x2s_vm *vm, unsigned int idx,
		  const struct x2s_exit *exit, struct x2s_exit_result *res)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);
	fastpath_t fastpath = EXIT_FASTPATH_NONE;
	int r;

	if (!vcpu || !exit || !res)
		return -EINVAL;
	if (exit->reason == EXIT_REASON_APIC_ACCESS && exit->mmio_len &&
	    !valid_mmio_len(exit->mmio_len))
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	x2s_vcpu_load_exit(vcpu, exit);
	r = x2s_vmx_handle_exit(vcpu, &fastpath);
	x2s_exit_result_fill(vcpu, r, res);
	res->fastpath = (int)fastpath;
	return 0;
}

int x2s_vcpu_enter(struct x2s_vm *vm, unsigned int idx,
		   struct x2s_exit_result *res)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);
	int r;

	if (!vcpu || !res)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	r = x2s_vcpu_complete_userspace_io(vcpu);
	vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
	to_vmx(vcpu)->nested.last_exit.happened = false;
	if (r > 0)
		r = x2s_vcpu_prepare_entry(vcpu);
	x2s_exit_result_fill(vcpu, r, res);
	return 0;
}

int x2s_vcpu_get_io(struct x2s_vm *vm, unsigned int idx, struct x2s_io *io)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);

	if (!vcpu || !io || vcpu->run->exit_reason != KVM_EXIT_IO ||
	    !vcpu->arch.pio.count)
		return -EINVAL;
	io->in = vcpu->run->io.direction == KVM_EXIT_IO_IN;
	io->port = vcpu->run->io.port;
	io->size = vcpu->run->io.size;
	io->data = 0;
	memcpy(&io->data, vcpu->run->x2s_pio_data, io->size);
	return 0;
}

int x2s_vcpu_set_io_data(struct x2s_vm *vm, unsigned int idx, uint32_t data)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);

	if (!vcpu || vcpu->run->exit_reason != KVM_EXIT_IO ||
	    !vcpu->arch.pio.count || vcpu->run->io.direction != KVM_EXIT_IO_IN)
		return -EINVAL;
	memcpy(vcpu->run->x2s_pio_data, &data, vcpu->run->io.size);
	return 0;
}

static const struct x2s_exit wrmsr_exit = {
	.reason = EXIT_REASON_MSR_WRITE,
	.insn_len = 2,
};

static void load_wrmsr_regs(struct kvm_vcpu *vcpu, u32 msr, u64 data)
{
	vcpu->arch.regs[VCPU_REGS_RCX] = msr;
	vcpu->arch.regs[VCPU_REGS_RAX] = (u32)data;
	vcpu->arch.regs[VCPU_REGS_RDX] = data >> 32;
}

void x2s_vcpu_load_wrmsr(struct kvm_vcpu *vcpu, u32 msr, u64 data)
{
	load_wrmsr_regs(vcpu, msr, data);
	x2s_vcpu_load_exit(vcpu, &wrmsr_exit);
}

int x2s_vcpu_wrmsr_exit(struct x2s_vm *vm, unsigned int idx, uint32_t msr,
			uint64_t data, struct x2s_exit_result *res)
{
	struct kvm_vcpu *vcpu = get_vcpu(vm, idx);

	if (!vcpu || !res)
		return -EINVAL;
	load_wrmsr_regs(vcpu, msr, data);
	return x2s_vcpu_exit(vm, idx, &wrmsr_exit, res);
}
