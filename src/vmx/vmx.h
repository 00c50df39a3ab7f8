/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim VMX module: the whole contract between src/vmx/ and the rest.
 *
 * vmcs.c:   the VMCS field store, addressed by real field encodings.
 * vmx.c:    exit dispatch the way vmx_vcpu_run()/vmx_handle_exit() do it
 *           (fastpath hook first, then kvm_vmx_exit_handlers[]), the
 *           re-enter loop, nested (L2) reflection to L1 through the L1
 *           MSR bitmap.
 * x86.c:    the generic x86 parts: kvm_emulate_wrmsr/rdmsr and
 *           kvm_set_msr_common for the MSRs the model has, instruction
 *           skip with single-step, exception queueing, event injection at
 *           entry (NMI first, then the highest deliverable interrupt, else
 *           an interrupt / NMI window), kvm_vcpu_exit_request, kick.
 */
#ifndef X2SIM_SRC_VMX_H
#define X2SIM_SRC_VMX_H

#include <x2sim/kvm.h>

/* ---- VMCS field encodings (SDM vol. 3, appendix B) ---- */
#define POSTED_INTR_NV 0x00000002
#define GUEST_INTR_STATUS 0x00000810
#define MSR_BITMAP 0x00002004
#define VIRTUAL_APIC_PAGE_ADDR 0x00002012
#define APIC_ACCESS_ADDR 0x00002014
#define POSTED_INTR_DESC_ADDR 0x00002016
#define GUEST_PHYSICAL_ADDRESS 0x00002400
#define PIN_BASED_VM_EXEC_CONTROL 0x00004000
#define CPU_BASED_VM_EXEC_CONTROL 0x00004002
#define EXCEPTION_BITMAP 0x00004004
#define VM_EXIT_CONTROLS 0x0000400c
#define VM_ENTRY_CONTROLS 0x00004012
#define VM_ENTRY_INTR_INFO_FIELD 0x00004016
#define VM_ENTRY_EXCEPTION_ERROR_CODE 0x00004018
#define VM_ENTRY_INSTRUCTION_LEN 0x0000401a
#define TPR_THRESHOLD 0x0000401c
#define SECONDARY_VM_EXEC_CONTROL 0x0000401e
#define VM_INSTRUCTION_ERROR 0x00004400
#define VM_EXIT_REASON 0x00004402
#define VM_EXIT_INTR_INFO 0x00004404
#define VM_EXIT_INTR_ERROR_CODE 0x00004406
#define IDT_VECTORING_INFO_FIELD 0x00004408
#define IDT_VECTORING_ERROR_CODE 0x0000440a
#define VM_EXIT_INSTRUCTION_LEN 0x0000440c
#define VMX_INSTRUCTION_INFO 0x0000440e
#define GUEST_INTERRUPTIBILITY_INFO 0x00004824
#define GUEST_ACTIVITY_STATE 0x00004826
#define VMX_PREEMPTION_TIMER_VALUE 0x0000482e
#define EXIT_QUALIFICATION 0x00006400
#define GUEST_LINEAR_ADDRESS 0x0000640a
#define GUEST_CR0 0x00006800
#define GUEST_CR3 0x00006802
#define GUEST_CR4 0x00006804
#define GUEST_DR7 0x0000681a
#define GUEST_RSP 0x0000681c
#define GUEST_RIP 0x0000681e
#define GUEST_RFLAGS 0x00006820
#define GUEST_PENDING_DBG_EXCEPTIONS 0x00006822

/* Interruption-information format (SDM 25.8.3 / 24.9.2) */
#define INTR_INFO_VECTOR_MASK 0xffu
#define INTR_INFO_INTR_TYPE_MASK 0x700u
#define INTR_INFO_DELIVER_CODE_MASK 0x800u
#define INTR_INFO_VALID_MASK 0x80000000u
#define INTR_TYPE_EXT_INTR (0u << 8)
#define INTR_TYPE_NMI_INTR (2u << 8)
#define INTR_TYPE_HARD_EXCEPTION (3u << 8)
#define INTR_TYPE_SOFT_INTR (4u << 8)
#define INTR_TYPE_PRIV_SW_EXCEPTION (5u << 8)
#define INTR_TYPE_SOFT_EXCEPTION (6u << 8)

/* Interruptibility state */
#define GUEST_INTR_STATE_STI 0x00000001u
#define GUEST_INTR_STATE_MOV_SS 0x00000002u
#define GUEST_INTR_STATE_SMI 0x00000004u
#define GUEST_INTR_STATE_NMI 0x00000008u

/* Primary processor-based controls used by the model */
#define CPU_BASED_INTR_WINDOW_EXITING 0x00000004u
#define CPU_BASED_HLT_EXITING 0x00000080u
#define CPU_BASED_TPR_SHADOW 0x00200000u
#define CPU_BASED_NMI_WINDOW_EXITING 0x00400000u
#define CPU_BASED_USE_MSR_BITMAPS 0x10000000u
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS 0x80000000u

/* Pin-based controls */
#define PIN_BASED_EXT_INTR_MASK 0x00000001u
#define PIN_BASED_NMI_EXITING 0x00000008u
#define PIN_BASED_VIRTUAL_NMIS 0x00000020u
#define PIN_BASED_POSTED_INTR 0x00000080u

/* Secondary controls */
#define SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES 0x00000001u
#define SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE 0x00000010u
#define SECONDARY_EXEC_APIC_REGISTER_VIRT 0x00000100u
#define SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY 0x00000200u

/* Guest activity state (SDM 25.4.2) */
#define GUEST_ACTIVITY_ACTIVE 0u
#define GUEST_ACTIVITY_HLT 1u

/* The vector KVM uses for posted-interrupt notification (irq_vectors.h). */
#define POSTED_INTR_VECTOR 0xf2

/* VMX_INSTRUCTION_INFO of MSR_READ_IMM / MSR_WRITE_IMM: register, 6:3 */
#define VMX_INSN_INFO_MSR_IMM_REG(info) (((info) >> 3) & 0xf)

/* APIC_ACCESS exit qualification (SDM table 28-6) */
#define APIC_ACCESS_OFFSET 0xfffu
#define APIC_ACCESS_TYPE 0xf000u
#define TYPE_LINEAR_APIC_INST_READ (0u << 12)
#define TYPE_LINEAR_APIC_INST_WRITE (1u << 12)

/*
 * The fastpath under test, whatever it came from (a shipped variant, a
 * plugin, a kernel tree's own code, the public API's hook): its entry
 * point, how vmx_vcpu_run() reaches it, and the kernel version whose
 * fastpath_t its result is.  Installed per VM (to_kvm_vmx(kvm)->fastpath);
 * it is its own context.
 */
enum x2s_fastpath_entry {
	/* vmx_exit_handlers_fastpath(vcpu): every exit, its own gating. */
	X2S_FASTPATH_EXIT_HANDLERS,
	/*
	 * vmx_exit_handlers_fastpath(vcpu, force_immediate_exit), the form
	 * since 6.9 (and Debian's 6.1): every exit, its own gating.
	 */
	X2S_FASTPATH_EXIT_HANDLERS_FORCE,
	/*
	 * handle_fastpath_set_msr_irqoff(vcpu) (5.6 - 6.17) or
	 * handle_fastpath_wrmsr(vcpu) (6.18): MSR_WRITE exits outside L2,
	 * the gate every vmx_exit_handlers_fastpath() puts in front of it.
	 */
	X2S_FASTPATH_SET_MSR,
	/* x2s_vm_set_fastpath()'s hook: every exit, returns a fastpath_t. */
	X2S_FASTPATH_HOOK,
	/*
	 * The 2019 patch's place: inside vmx_vcpu_run(), right after the
	 * exit and before vmx_complete_interrupts(), whose
	 * kvm_clear_exception_queue() then drops any exception it queued
	 * (a #DB from the skip under guest TF).  Every exit, its own gating;
	 * it sees the event queues as the exit found them.
	 */
	X2S_FASTPATH_BEFORE_COMPLETION,
};

struct x2s_fastpath {
	/* For reports: a variant's name, a plugin's path, a tree. */
	const char *name;
	enum x2s_fastpath_entry entry;
	union {
		fastpath_t (*exit_handlers)(struct kvm_vcpu *vcpu);
		fastpath_t (*exit_handlers_force)(struct kvm_vcpu *vcpu,
						  bool force_immediate_exit);
		fastpath_t (*set_msr)(struct kvm_vcpu *vcpu);
		int (*hook)(struct kvm_vcpu *vcpu);
		fastpath_t (*before_completion)(struct kvm_vcpu *vcpu);
	};
	/*
	 * X2SIM_KVM_VERSION of the face it was compiled against; decides
	 * what its result means (before 5.8, 1 is EXIT_FASTPATH_SKIP_EMUL_INS).
	 */
	unsigned int kvm_version;
};

/*
 * x2sim: 5.6's EXIT_FASTPATH_SKIP_EMUL_INS as the model carries it: the
 * caller skips the instruction and ignores the skip's result.
 */
#define X2S_EXIT_FASTPATH_SKIP_EMUL_INS ((fastpath_t)16)

/* DR6 bits that read as 1 when no debug condition is reported. */
#define DR6_ACTIVE_LOW 0xffff0ff0UL
#define DR6_VOLATILE 0x0001e80fUL
#define DR_TRAP_BITS 0xfUL

/* ---- vmcs.c ---- */
/* sizeof(struct vmcs), for snapshots of the whole store. */
size_t vmcs_size(void);
/* True if encoding names a field of the store. */
bool vmcs_field_valid(unsigned long field);

/* Every field of the store; the 64-bit ones also answer at encoding + 1. */
#define VMCS_FIELDS(X)                   \
	X(POSTED_INTR_NV)                \
	X(GUEST_INTR_STATUS)             \
	X(MSR_BITMAP)                    \
	X(VIRTUAL_APIC_PAGE_ADDR)        \
	X(APIC_ACCESS_ADDR)              \
	X(POSTED_INTR_DESC_ADDR)         \
	X(GUEST_PHYSICAL_ADDRESS)        \
	X(PIN_BASED_VM_EXEC_CONTROL)     \
	X(CPU_BASED_VM_EXEC_CONTROL)     \
	X(EXCEPTION_BITMAP)              \
	X(VM_EXIT_CONTROLS)              \
	X(VM_ENTRY_CONTROLS)             \
	X(VM_ENTRY_INTR_INFO_FIELD)      \
	X(VM_ENTRY_EXCEPTION_ERROR_CODE) \
	X(VM_ENTRY_INSTRUCTION_LEN)      \
	X(TPR_THRESHOLD)                 \
	X(SECONDARY_VM_EXEC_CONTROL)     \
	X(VM_INSTRUCTION_ERROR)          \
	X(VM_EXIT_REASON)                \
	X(VM_EXIT_INTR_INFO)             \
	X(VM_EXIT_INTR_ERROR_CODE)       \
	X(IDT_VECTORING_INFO_FIELD)      \
	X(IDT_VECTORING_ERROR_CODE)      \
	X(VM_EXIT_INSTRUCTION_LEN)       \
	X(VMX_INSTRUCTION_INFO)          \
	X(GUEST_INTERRUPTIBILITY_INFO)   \
	X(GUEST_ACTIVITY_STATE)          \
	X(VMX_PREEMPTION_TIMER_VALUE)    \
	X(EXIT_QUALIFICATION)            \
	X(GUEST_LINEAR_ADDRESS)          \
	X(GUEST_CR0)                     \
	X(GUEST_CR3)                     \
	X(GUEST_CR4)                     \
	X(GUEST_DR7)                     \
	X(GUEST_RSP)                     \
	X(GUEST_RIP)                     \
	X(GUEST_RFLAGS)                  \
	X(GUEST_PENDING_DBG_EXCEPTIONS)

enum vmcs_slot {
#define VMCS_SLOT_ENUM(f) VMCS_SLOT_##f,
	VMCS_FIELDS(VMCS_SLOT_ENUM)
#undef VMCS_SLOT_ENUM
		VMCS_NR_SLOTS
};

struct vmcs {
	u64 fields[VMCS_NR_SLOTS];
};

#define VMCS_FIELD_WIDTH(f) (((f) >> 13) & 3)
#define VMCS_FIELD_WIDTH_16 0
#define VMCS_FIELD_WIDTH_64 1
#define VMCS_FIELD_WIDTH_32 2
#define VMCS_FIELD_WIDTH_NATURAL 3

/* The slot of a field given as a constant; -1 for anything else. */
static inline __attribute__((always_inline)) int
vmcs_const_slot(unsigned long field)
{
	switch (field) {
#define VMCS_SLOT_CASE(f) \
	case f:           \
		return VMCS_SLOT_##f;
		VMCS_FIELDS(VMCS_SLOT_CASE)
#undef VMCS_SLOT_CASE
	}
	return -1;
}

/* What a VMWRITE of the field keeps: the field's width. */
static inline __attribute__((always_inline)) u64
vmcs_const_mask(unsigned long field)
{
	switch (VMCS_FIELD_WIDTH(field)) {
	case VMCS_FIELD_WIDTH_16:
		return 0xffffULL;
	case VMCS_FIELD_WIDTH_32:
		return 0xffffffffULL;
	default:
		return ~0ULL;
	}
}

/* Any field: reads of unknown fields WARN and return 0, writes WARN. */
u64 __vmcs_read(struct kvm_vcpu *vcpu, unsigned long field);
void __vmcs_write(struct kvm_vcpu *vcpu, unsigned long field, u64 value);

/*
 * Nearly every access names its field as a constant: that one is a load
 * or a store of the slot, resolved at compile time.
 */
static inline __attribute__((always_inline)) u64
vmcs_read(struct kvm_vcpu *vcpu, unsigned long field)
{
	if (__builtin_constant_p(field) && vmcs_const_slot(field) >= 0)
		return to_vmx(vcpu)->vmcs->fields[vmcs_const_slot(field)];
	return __vmcs_read(vcpu, field);
}

static inline __attribute__((always_inline)) void
vmcs_write(struct kvm_vcpu *vcpu, unsigned long field, u64 value)
{
	if (__builtin_constant_p(field) && vmcs_const_slot(field) >= 0) {
		to_vmx(vcpu)->vmcs->fields[vmcs_const_slot(field)] =
			value & vmcs_const_mask(field);
		return;
	}
	__vmcs_write(vcpu, field, value);
}

#define vmcs_read16(v, f) ((u16)vmcs_read((v), (f)))
#define vmcs_read32(v, f) ((u32)vmcs_read((v), (f)))
#define vmcs_read64(v, f) vmcs_read((v), (f))
#define vmcs_readl(v, f) ((unsigned long)vmcs_read((v), (f)))
#define vmcs_write16 vmcs_write
#define vmcs_write32 vmcs_write
#define vmcs_write64 vmcs_write
#define vmcs_writel vmcs_write

/* Name of a basic exit reason ("MSR_WRITE"), NULL when not in the table. */
const char *vmx_exit_reason_name(u32 basic);
/* SDM description of a basic exit reason, NULL when not in the table. */
const char *vmx_exit_reason_desc(u32 basic);
/* Every basic exit reason in table order, and how many. */
extern const u16 vmx_exit_reason_list[];
extern const unsigned int vmx_exit_reason_count;

/* ---- vmx.c / x86.c ---- */

/*
 * kvm_x86_ops.apicv_pre_state_restore: before the APIC state is reset or
 * replaced, drop the posted-interrupt descriptor's PIR and ON.
 */
void vmx_apicv_pre_state_restore(struct kvm_vcpu *vcpu);

/*
 * One vCPU's memory as the VM lays it out, so that the verifier can
 * write-protect its parts apart (docs/verify.md, "The write guard"): the
 * structures on a page of their own; the APIC page placed so that its
 * register area (offsets 0 to X2S_APIC_REG_AREA - 1, up to APIC_SELF_IPI)
 * ends a page and the rest of it, which no register reaches, starts the
 * next; then L1's MSR bitmap on its own page.  The VM maps the blocks of
 * all its vCPUs in one run.
 */
#define X2S_MEM_PAGE 4096
#define X2S_MSR_BITMAP_SIZE 4096
#define X2S_APIC_REG_AREA 1024
struct x2s_vcpu_mem {
	struct vcpu_vmx vmx; /* first: x2s_vcpu_mem_of() */
	struct vmcs vmcs;
	struct kvm_run run;
	struct kvm_lapic apic;
	u8 apic_page_lead[X2S_MEM_PAGE - X2S_APIC_REG_AREA]
		__attribute__((aligned(X2S_MEM_PAGE)));
	u8 apic_page[X2S_MEM_PAGE];
	u8 apic_page_trail[X2S_APIC_REG_AREA];
	u8 msr_bitmap[X2S_MSR_BITMAP_SIZE]
		__attribute__((aligned(X2S_MEM_PAGE)));
} __attribute__((aligned(X2S_MEM_PAGE)));

/* The APIC page past its registers, and the MSR bitmap: one page run. */
#define X2S_VCPU_MEM_COLD_OFFSET \
	(offsetof(struct x2s_vcpu_mem, apic_page) + X2S_APIC_REG_AREA)
#define X2S_VCPU_MEM_COLD_LEN \
	(sizeof(struct x2s_vcpu_mem) - X2S_VCPU_MEM_COLD_OFFSET)
_Static_assert(X2S_VCPU_MEM_COLD_OFFSET % X2S_MEM_PAGE == 0 &&
		       offsetof(struct x2s_vcpu_mem, msr_bitmap) ==
			       X2S_VCPU_MEM_COLD_OFFSET + X2S_MEM_PAGE,
	       "the APIC page's tail starts a page, the bitmap follows it");

static inline struct x2s_vcpu_mem *x2s_vcpu_mem_of(struct kvm_vcpu *vcpu)
{
	return container_of(to_vmx(vcpu), struct x2s_vcpu_mem, vmx);
}

/* Set up a vCPU in m (zeroed here) with its VMCS in reset state. */
struct vcpu_vmx *vmx_vcpu_create(struct kvm *kvm, int vcpu_id,
				 struct x2s_vcpu_mem *m);

/*
 * Handle the exit recorded in the vCPU's VMCS (VM_EXIT_REASON,
 * EXIT_QUALIFICATION, VM_EXIT_INSTRUCTION_LEN, GUEST_RIP/RFLAGS) with the
 * GPRs in vcpu->arch.regs: the fastpath hook (if any) first, then the
 * re-enter loop or the exit handler.  When the guest is to be entered
 * again, vcpu_enter_guest's pre-entry work (requests, INIT/SIPI, PIR sync,
 * event injection into VM_ENTRY_INTR_INFO_FIELD) is done too.
 * *fastpath gets the hook's result (EXIT_FASTPATH_NONE without a hook).
 * Returns 1 when the vCPU re-enters the guest, 0 when it exits to
 * userspace (vcpu->run->exit_reason says why; KVM_EXIT_INTERNAL_ERROR for
 * an unhandled exit reason).
 */
int x2s_vmx_handle_exit(struct kvm_vcpu *vcpu, fastpath_t *fastpath);
/*
 * The two halves of x2s_vmx_handle_exit() around the fastpath call, for
 * the verifier: begin is what the CPU and vmx_vcpu_run() do before the
 * fastpath runs; finish is everything after it, given its result.
 */
void x2s_vmx_exit_begin(struct kvm_vcpu *vcpu);
int x2s_vmx_exit_finish(struct kvm_vcpu *vcpu, fastpath_t exit_fastpath);
/*
 * The fastpath call between them: fn's result, NONE without fn or after a
 * failed VM entry (vmx_exit_handlers_fastpath() with fn as the hook).
 * begin completes the interrupts for every caller, as 6.18 does before
 * its fastpath; a X2S_FASTPATH_BEFORE_COMPLETION fastpath is run here on
 * the queues as the exit found them, and the completion is redone after
 * it, so no caller needs to know which kind it calls.
 */
fastpath_t x2s_vmx_exit_fastpath(struct kvm_vcpu *vcpu,
				 const struct x2s_fastpath *fp);

/*
 * The pre-entry half of vcpu_enter_guest(): process requests, accept
 * INIT/SIPI, sync PIR to IRR, inject NMI / interrupt or request a window.
 * Returns 1 to enter, 0 to exit to userspace.
 */
int x2s_vcpu_prepare_entry(struct kvm_vcpu *vcpu);
/*
 * KVM_RUN's first step: finish what the last exit to userspace left (a
 * port access), as vcpu->arch.complete_userspace_io says; 1 to go on,
 * <= 0 back to userspace.
 */
int x2s_vcpu_complete_userspace_io(struct kvm_vcpu *vcpu);

/*
 * Basic exit reasons with an entry in kvm_vmx_exit_handlers[]; everything
 * else ends in KVM_EXIT_INTERNAL_ERROR (unexpected exit reason).
 */
bool vmx_exit_reason_has_handler(u32 basic);

/*
 * RFLAGS: kvm_get_rflags() is the guest-visible value (vcpu->arch.rflags,
 * authoritative in x2sim), vmx_get_rflags() the raw value the hardware
 * holds, which has TF forced on while userspace single-steps.
 */
unsigned long kvm_get_rflags(struct kvm_vcpu *vcpu);
void kvm_set_rflags(struct kvm_vcpu *vcpu, unsigned long rflags);
unsigned long vmx_get_rflags(struct kvm_vcpu *vcpu);

/* kvm_queue_exception_p: an exception with a payload (DR6 for #DB). */
void kvm_queue_exception_p(struct kvm_vcpu *vcpu, unsigned int nr,
			   unsigned long payload);
/*
 * An event was being delivered when the guest exited: it is injected
 * again before anything new.
 */
static inline bool kvm_event_needs_reinjection(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.exception.injected || vcpu->arch.interrupt.injected ||
	       vcpu->arch.nmi_injected;
}
/* HLT as KVM emulates it: skip, then HALTED (or exit to userspace). */
int kvm_emulate_halt(struct kvm_vcpu *vcpu);
/* kvm_vcpu_has_events / kvm_arch_vcpu_runnable, the wake-up rules. */
bool kvm_vcpu_has_events(struct kvm_vcpu *vcpu);
bool kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu);
/* APICv: PIR -> IRR and RVI (GUEST_INTR_STATUS); returns max IRR or -1. */
int vmx_sync_pir_to_irr(struct kvm_vcpu *vcpu);
/*
 * vcpu_enter_guest's "if (kvm_lapic_enabled(vcpu)) sync_pir_to_irr": only
 * when KVM runs with APICv (the hook is NULL otherwise).
 */
void x2s_sync_pir_to_irr(struct kvm_vcpu *vcpu);
/* MSR_READ_IMM / MSR_WRITE_IMM: msr from the qualification, reg a GPR. */
int kvm_emulate_rdmsr_imm(struct kvm_vcpu *vcpu, u32 msr, int reg);
int kvm_emulate_wrmsr_imm(struct kvm_vcpu *vcpu, u32 msr, int reg);
/*
 * Mirror the authoritative vcpu->arch RIP, RFLAGS (raw) and
 * interruptibility into the VMCS guest-state fields.
 */
void vmx_sync_guest_state(struct kvm_vcpu *vcpu);
/*
 * At a VM exit: the injected event is done (unless IDT-vectoring info says
 * otherwise) and the entry interruption-information valid bit is cleared.
 */
void vmx_complete_interrupts(struct kvm_vcpu *vcpu);
/* No guest physical address (KVM's INVALID_GPA). */
#define INVALID_GPA (~(gpa_t)0)
/*
 * Fill vcpu->run for an exit during event delivery that KVM cannot handle
 * (KVM_INTERNAL_ERROR_DELIVERY_EV: IDT-vectoring info, exit reason,
 * qualification, gpa, last VM-entry CPU).
 */
void kvm_prepare_event_vectoring_exit(struct kvm_vcpu *vcpu, gpa_t gpa);
/* Fill vcpu->run for an exit reason KVM has no handler for. */
void kvm_prepare_unexpected_reason_exit(struct kvm_vcpu *vcpu, u64 exit_reason);

/* The MSRs a boot writes besides the APIC's and EFER (msr-index.h). */
#define MSR_IA32_TSC 0x00000010
#define MSR_IA32_MISC_ENABLE 0x000001a0
#define MSR_IA32_MISC_ENABLE_EMON (1ULL << 7)
#define MSR_IA32_MISC_ENABLE_BTS_UNAVAIL (1ULL << 11)
#define MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL (1ULL << 12)
#define MSR_IA32_MISC_ENABLE_PMU_RO_MASK \
	(MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL | MSR_IA32_MISC_ENABLE_BTS_UNAVAIL)
#define MSR_IA32_CR_PAT 0x00000277
#define MSR_IA32_CR_PAT_DEFAULT 0x0007040600070406ULL
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

/* VMCALL: KVM's answer to a hypercall in RAX, RIP past it. */
int kvm_emulate_hypercall(struct kvm_vcpu *vcpu);

/* MSR access as KVM's kvm_set_msr_common / kvm_get_msr_common: 0 or 1 (#GP). */
int kvm_set_msr_common(struct kvm_vcpu *vcpu, u32 msr, u64 data,
		       bool host_initiated);
int kvm_get_msr_common(struct kvm_vcpu *vcpu, u32 msr, u64 *data,
		       bool host_initiated);

/*
 * Nested: true when the vCPU is in L2 and L1's MSR bitmap intercepts the
 * access (write or read) to msr, i.e. KVM reflects the exit to L1.
 */
bool nested_vmx_l1_wants_msr_exit(struct kvm_vcpu *vcpu, u32 msr, bool write);
/* Set / clear L1's intercept of an MSR in the vmcs12 MSR bitmap. */
int nested_vmx_set_msr_intercept(struct kvm_vcpu *vcpu, u32 msr, bool write,
				 bool intercept);
/* Both for the n MSRs from first (multiples of 8, in one range). */
int nested_vmx_set_msr_range_intercept(struct kvm_vcpu *vcpu, u32 first, u32 n,
				       bool intercept);
/*
 * nested_vmx_reflect_vmexit: called for an exit from L2; true when the
 * exit was reflected to L1 (a nested VM exit was done), false when L0
 * handles it.
 */
bool nested_vmx_reflect_vmexit(struct kvm_vcpu *vcpu);
/* Emulate a VM exit from L2 to L1 (leave guest mode, record the exit). */
void nested_vmx_vmexit(struct kvm_vcpu *vcpu, u32 vm_exit_reason,
		       u32 exit_intr_info, unsigned long exit_qualification);
/*
 * INIT is blocked in VMX root operation (SDM 24.8); in VMX non-root
 * operation it is not blocked but causes a VM exit (SDM 26.2), which
 * vmx_check_nested_events() reflects to L1.
 */
bool vmx_apic_init_signal_blocked(struct kvm_vcpu *vcpu);
/*
 * The nested events of a vCPU in L2 that the model has, in KVM's order: a
 * pending triple fault (kvm_check_nested_events), then INIT and SIPI
 * (vmx_check_nested_events).  A pending INIT is consumed and, unless the
 * vCPU is in INIT_RECEIVED, becomes a nested VM exit to L1 with
 * EXIT_REASON_INIT_SIGNAL; a SIPI outside INIT_RECEIVED is dropped.
 * Returns 1 after a triple-fault exit, 0 otherwise, -EBUSY (nothing done)
 * while an event is being re-injected into L2: new events wait for the
 * instruction boundary.
 */
int kvm_check_nested_events(struct kvm_vcpu *vcpu);
int vmx_check_nested_events(struct kvm_vcpu *vcpu);
/* Point the vmcs12 state (the 4 KiB MSR bitmap) at its zeroed page. */
void nested_vmx_vcpu_setup(struct vcpu_vmx *vmx);

#endif /* X2SIM_SRC_VMX_H */
