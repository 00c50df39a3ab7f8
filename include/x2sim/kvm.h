/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim: the kernel-compatible face.
 *
 * Code under test (a fastpath taken from a KVM patch) includes only this
 * header and must compile unchanged.  It provides the KVM types, constants
 * and functions such code calls, with KVM's names, signatures and meanings.
 * The structures are x2sim's model of KVM's, trimmed to what the model
 * needs; fields that KVM code touches directly (vcpu->kvm, vcpu->arch.apic,
 * apic->vcpu, apic->regs) are where KVM has them.
 *
 * Plugins are compiled against this header, so any change to a structure
 * below bumps X2SIM_KVM_ABI_VERSION.
 */
#ifndef X2SIM_KVM_H
#define X2SIM_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define X2SIM_KVM_ABI_VERSION 5

/*
 * Which KVM this header is the face of.  Real fastpath text of Linux 5.6
 * through mainline compiles unchanged against the face of its version:
 * define X2SIM_KVM_VERSION before including this header (x2sim sets it
 * from the tree's Makefile for --kernel, from --kvm-version otherwise),
 * e.g. -DX2SIM_KVM_VERSION='X2SIM_KVM_VERSION_CODE(6, 1, 0)'.  Without
 * it the face is mainline's.  The version selects names, the fastpath_t
 * values and how the model reads a fastpath's result (5.6's
 * EXIT_FASTPATH_SKIP_EMUL_INS); the model itself is always 6.18's.
 */
#define X2SIM_KVM_VERSION_CODE(a, b, c) (((a) << 16) + ((b) << 8) + (c))
#define X2SIM_KVM_VERSION_MAINLINE X2SIM_KVM_VERSION_CODE(6, 19, 0)
#ifndef X2SIM_KVM_VERSION
#define X2SIM_KVM_VERSION X2SIM_KVM_VERSION_MAINLINE
#endif
#define X2SIM_KVM_AT_LEAST(a, b) \
	(X2SIM_KVM_VERSION >= X2SIM_KVM_VERSION_CODE(a, b, 0))

#ifndef X2S_API
#define X2S_API __attribute__((visibility("default")))
#endif

/*
 * The ABI stamp: every object that includes this header carries the
 * version of the structures below it was compiled against, so a plugin
 * loader can refuse a mismatched .so before calling into it.  Weak, so
 * that every translation unit may define it; default visibility, so that
 * dlsym() finds it in a shared object built with -fvisibility=hidden.
 */
#ifdef __cplusplus
#define X2SIM_KVM_ABI_LINKAGE extern
#else
#define X2SIM_KVM_ABI_LINKAGE
#endif
X2SIM_KVM_ABI_LINKAGE const unsigned int x2sim_kvm_abi_version
	__attribute__((weak, used, visibility("default"))) =
		X2SIM_KVM_ABI_VERSION;
/* The face an object was compiled against (X2SIM_KVM_VERSION). */
X2SIM_KVM_ABI_LINKAGE const unsigned int x2sim_kvm_version
	__attribute__((weak, used, visibility("default"))) = X2SIM_KVM_VERSION;

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef u64 gpa_t;
/* Nanoseconds of the VM's clock (kvm->arch.x2s_clock), as ktime_get(). */
typedef s64 ktime_t;

#ifndef BIT
#define BIT(nr) (1UL << (nr))
#endif
#ifndef BIT_ULL
#define BIT_ULL(nr) (1ULL << (nr))
#endif
#ifndef GENMASK_ULL
#define GENMASK_ULL(h, l) ((~0ULL << (l)) & (~0ULL >> (63 - (h))))
#endif
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* ---- what kernel text around a function needs (linux/compiler*.h) ---- */
#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif
#define noinstr
#define __maybe_unused __attribute__((__unused__))
#define __cold __attribute__((__cold__))
#define barrier() __asm__ __volatile__("" : : : "memory")
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val) (*(volatile __typeof__(x) *)&(x) = (val))

/*
 * Module exports are declarations here: x2sim builds the text as one
 * shared object, so an export changes nothing.
 */
#define EXPORT_SYMBOL(sym) extern __typeof__(sym) sym
#define EXPORT_SYMBOL_GPL(sym) extern __typeof__(sym) sym
#define EXPORT_SYMBOL_FOR_KVM_INTERNAL(sym) extern __typeof__(sym) sym
#define EXPORT_SYMBOL_GPL_FOR_KVM_INTERNAL(sym) extern __typeof__(sym) sym
#define EXPORT_SYMBOL_FOR_MODULES(sym, mods) extern __typeof__(sym) sym
#define EXPORT_SYMBOL_GPL_FOR_MODULES(sym, mods) extern __typeof__(sym) sym

/* atomic_t (the model is single-threaded per VM; plain accesses). */
typedef struct {
	int counter;
} atomic_t;
static inline int atomic_read(const atomic_t *v)
{
	return READ_ONCE(v->counter);
}
static inline void atomic_set(atomic_t *v, int i)
{
	WRITE_ONCE(v->counter, i);
}
static inline void atomic_inc(atomic_t *v)
{
	v->counter++;
}
static inline int atomic_xchg(atomic_t *v, int i)
{
	int old = v->counter;

	v->counter = i;
	return old;
}

/* ---- fastpath results (asm/kvm_host.h) ---- */
#if !X2SIM_KVM_AT_LEAST(5, 8)
/*
 * 5.6 and 5.7: handled meant "skip the instruction", which the caller
 * (vmx_handle_exit) did, ignoring the skip's result.
 */
enum exit_fastpath_completion {
	EXIT_FASTPATH_NONE,
	EXIT_FASTPATH_SKIP_EMUL_INS,
};
/* x2sim: the typedef came with 5.8; the model's own code uses it. */
typedef enum exit_fastpath_completion fastpath_t;
#else
enum exit_fastpath_completion {
	EXIT_FASTPATH_NONE,
	EXIT_FASTPATH_REENTER_GUEST,
	EXIT_FASTPATH_EXIT_HANDLED,
#if X2SIM_KVM_AT_LEAST(6, 12)
	EXIT_FASTPATH_EXIT_USERSPACE,
#endif
};
typedef enum exit_fastpath_completion fastpath_t;
#endif

/* ---- local APIC registers (asm/apicdef.h) ---- */
#define APIC_ID 0x20
#define APIC_LVR 0x30
#define APIC_TASKPRI 0x80
#define APIC_TPRI_MASK 0xFFu
#define APIC_ARBPRI 0x90
#define APIC_PROCPRI 0xA0
#define APIC_EOI 0xB0
#define APIC_EOI_ACK 0x0
#define APIC_RRR 0xC0
#define APIC_LDR 0xD0
#define APIC_LDR_MASK (0xFFu << 24)
#define APIC_DFR 0xE0
#define APIC_DFR_CLUSTER 0x0FFFFFFFul
#define APIC_DFR_FLAT 0xFFFFFFFFul
#define APIC_SPIV 0xF0
#define APIC_SPIV_FOCUS_DISABLED (1u << 9)
#define APIC_SPIV_APIC_ENABLED (1u << 8)
#define APIC_SPIV_DIRECTED_EOI (1u << 12)
#define APIC_ISR 0x100
#define APIC_ISR_NR 0x8
#define APIC_TMR 0x180
#define APIC_IRR 0x200
#define APIC_ESR 0x280
#define APIC_LVTCMCI 0x2F0
#define APIC_ICR 0x300
#define APIC_DEST_SELF 0x40000
#define APIC_DEST_ALLINC 0x80000
#define APIC_DEST_ALLBUT 0xC0000
#define APIC_SHORT_MASK 0xC0000
#define APIC_DEST_NOSHORT 0x0
#define APIC_ICR_RR_MASK 0x30000
#define APIC_INT_LEVELTRIG 0x08000
#define APIC_INT_ASSERT 0x04000
#define APIC_ICR_BUSY 0x01000
#define APIC_DEST_LOGICAL 0x00800
#define APIC_DEST_PHYSICAL 0x00000
#define APIC_DM_FIXED 0x00000
#define APIC_DM_FIXED_MASK 0x00700
#define APIC_DM_LOWEST 0x00100
#define APIC_DM_SMI 0x00200
#define APIC_DM_REMRD 0x00300
#define APIC_DM_NMI 0x00400
#define APIC_DM_INIT 0x00500
#define APIC_DM_STARTUP 0x00600
#define APIC_DM_EXTINT 0x00700
#define APIC_VECTOR_MASK 0x000FF
#define APIC_ICR2 0x310
#define APIC_LVTT 0x320
#define APIC_LVTTHMR 0x330
#define APIC_LVTPC 0x340
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_LVTERR 0x370
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define APIC_TDCR 0x3E0
#define APIC_SELF_IPI 0x3F0
#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_TIMER_MASK (3u << 17)
#define APIC_LVT_LEVEL_TRIGGER (1u << 15)
#define APIC_LVT_REMOTE_IRR (1u << 14)
#define APIC_INPUT_POLARITY (1u << 13)
#define APIC_SEND_PENDING (1u << 12)
#define APIC_MODE_MASK 0x700
#define APIC_MODE_FIXED 0x0
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7
#define APIC_BASE_MSR 0x800
#define X2APIC_ENABLE (1UL << 10)

/* ---- arch/x86/kvm/lapic.h ---- */
#define KVM_APIC_INIT 0
#define KVM_APIC_SIPI 1
#define APIC_SHORT_MASK_KVM APIC_SHORT_MASK
#define KVM_APIC_SHORT_MASK 0xc0000
#define KVM_APIC_DEST_MASK 0x800
#define APIC_DEST_MASK 0x800
#define APIC_BUS_CYCLE_NS_DEFAULT 1
#define X2APIC_BROADCAST 0xFFFFFFFFul
#define X2APIC_ICR_RESERVED_BITS \
	(GENMASK_ULL(31, 20) | GENMASK_ULL(17, 16) | BIT_ULL(13))
#define APIC_LVT_NUM_MAX 7
#define KVM_APIC_MAX_NR_LVT_ENTRIES APIC_LVT_NUM_MAX
#define APIC_VERSION 0x14UL

/* ---- MSRs (asm/msr-index.h) ---- */
#define MSR_IA32_APICBASE 0x0000001b
#define MSR_IA32_APICBASE_BSP (1 << 8)
#define MSR_IA32_APICBASE_ENABLE (1 << 11)
#define MSR_IA32_APICBASE_BASE (0xfffffULL << 12)
#if X2SIM_KVM_AT_LEAST(5, 11)
#define MSR_IA32_TSC_DEADLINE 0x000006e0
#else
#define MSR_IA32_TSCDEADLINE 0x000006e0
#endif
#define APIC_DEFAULT_PHYS_BASE 0xfee00000ULL
#define MSR_EFER 0xc0000080
#define EFER_SCE (1ULL << 0)  /* SYSCALL enable */
#define EFER_LME (1ULL << 8)  /* long mode enable */
#define EFER_LMA (1ULL << 10) /* long mode active (the CPU's) */
#define EFER_NX (1ULL << 11)  /* no-execute enable */

/* ---- KVM uapi ---- */
#define KVM_MP_STATE_RUNNABLE 0
#define KVM_MP_STATE_UNINITIALIZED 1
#define KVM_MP_STATE_INIT_RECEIVED 2
#define KVM_MP_STATE_HALTED 3
#define KVM_MP_STATE_SIPI_RECEIVED 4

#define KVM_EXIT_UNKNOWN 0
#define KVM_EXIT_IO 2
#define KVM_EXIT_DEBUG 4
#define KVM_EXIT_HLT 5
#define KVM_EXIT_MMIO 6
#define KVM_EXIT_SHUTDOWN 8
#define KVM_EXIT_FAIL_ENTRY 9
#define KVM_EXIT_INTERNAL_ERROR 17
#define KVM_EXIT_X86_RDMSR 29
#define KVM_EXIT_X86_WRMSR 30

#define KVM_INTERNAL_ERROR_EMULATION 1
#define KVM_INTERNAL_ERROR_DELIVERY_EV 3
#define KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON 4

#define KVM_GUESTDBG_ENABLE 0x00000001
#define KVM_GUESTDBG_SINGLESTEP 0x00000002

/* KVM_CAP_X2APIC_API flags */
#define KVM_X2APIC_API_USE_32BIT_IDS (1ULL << 0)
#define KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK (1ULL << 1)

/* vCPU requests (bit numbers in vcpu->requests) */
#define KVM_REQ_EVENT 0
#define KVM_REQ_APIC_PAGE_RELOAD 1
#define KVM_REQ_SMI 2
#define KVM_REQ_NMI 3
#define KVM_REQ_UNBLOCK 4
#define KVM_REQ_TRIPLE_FAULT 5
#if !X2SIM_KVM_AT_LEAST(6, 2)
/* Gone in 6.2; nothing in the model raises it. */
#define KVM_REQ_UNHALT 6
#endif

/* ---- x86 vectors and flags ---- */
#define DE_VECTOR 0
#define DB_VECTOR 1
#define NMI_VECTOR 2
#define BP_VECTOR 3
#define UD_VECTOR 6
#define DF_VECTOR 8
#define GP_VECTOR 13
#define PF_VECTOR 14
#define X86_EFLAGS_TF (1UL << 8)
#define X86_EFLAGS_IF (1UL << 9)
#define X86_EFLAGS_RF (1UL << 16)
#define X86_EFLAGS_FIXED (1UL << 1)
#define DR6_BS (1UL << 14)

/* ---- VMX exit reasons: see <x2sim/vmx_exit_reasons.h> ---- */
#include <x2sim/vmx_exit_reasons.h>

enum kvm_reg {
	VCPU_REGS_RAX = 0,
	VCPU_REGS_RCX = 1,
	VCPU_REGS_RDX = 2,
	VCPU_REGS_RBX = 3,
	VCPU_REGS_RSP = 4,
	VCPU_REGS_RBP = 5,
	VCPU_REGS_RSI = 6,
	VCPU_REGS_RDI = 7,
	VCPU_REGS_R8 = 8,
	VCPU_REGS_R9 = 9,
	VCPU_REGS_R10 = 10,
	VCPU_REGS_R11 = 11,
	VCPU_REGS_R12 = 12,
	VCPU_REGS_R13 = 13,
	VCPU_REGS_R14 = 14,
	VCPU_REGS_R15 = 15,
	VCPU_REGS_RIP = 16,
	NR_VCPU_REGS = 17,
};

/* ---- structures ---- */

struct kvm;
struct kvm_vcpu;

#define KVM_MAX_VCPUS 4096
#define KVM_MAX_VCPU_IDS 4096
#define BITS_PER_LONG 64

/* Receivers of one delivery, by vcpu_id (ioapic.h). */
struct dest_map {
	unsigned long map[KVM_MAX_VCPU_IDS / BITS_PER_LONG];
	u8 vectors[KVM_MAX_VCPU_IDS];
};

/* An interrupt request as the delivery code sees it (lapic.h). */
struct kvm_lapic_irq {
	u32 vector;
	u16 delivery_mode;
	u16 dest_mode;
	bool level;
	u16 trig_mode;
	u32 shorthand;
	u32 dest_id;
	bool msi_redir_hint;
};

/*
 * x2sim: an hrtimer is its expiry on the VM's clock and whether it is
 * queued; advancing the clock (x2s_vm_advance_clock()) runs it.
 */
struct hrtimer {
	ktime_t expires;
	bool queued;
};

/* The LAPIC timer (KVM's struct kvm_timer). */
struct kvm_timer {
	struct hrtimer timer;
	s64 period; /* ns; 0: not running (one-shot, periodic) */
	ktime_t target_expiration;
	u32 timer_mode;
	u32 timer_mode_mask;
	u64 tscdeadline;
	u64 expired_tscdeadline;
	/* x2sim: lapic_timer_advance is off, so this stays 0. */
	u32 timer_advance_ns;
	atomic_t pending; /* expired, not yet injected */
	bool hv_timer_in_use;
};

struct kvm_lapic {
	unsigned long base_address;
	struct kvm_vcpu *vcpu;
	struct kvm_timer lapic_timer;
	u32 divide_count;
	bool apicv_active;
	bool sw_enabled;
	bool irr_pending;
	bool lvt0_in_nmi_mode;
	/* Number of ISR bits set; only maintained without APICv. */
	s16 isr_count;
	/* The highest vector set in ISR; -1 when unknown or none. */
	int highest_isr_cache;
	/* The 4 KiB register page; offsets are APIC_* above. */
	void *regs;
	/* KVM_APIC_INIT / KVM_APIC_SIPI bits. */
	unsigned long pending_events;
	unsigned int sipi_vector;
	int nr_lvt_entries;
};

/* Posted-interrupt descriptor (vmx/posted_intr.h), the part x2sim uses. */
struct pi_desc {
	u32 pir[8];
	bool on;
};

struct kvm_queued_exception {
	bool pending;
	bool injected;
	bool has_error_code;
	u8 vector;
	u32 error_code;
	unsigned long payload;
	bool has_payload;
};

struct kvm_queued_interrupt {
	bool injected;
	bool soft;
	u8 nr;
};

struct kvm_vcpu_arch {
	unsigned long regs[NR_VCPU_REGS];
	unsigned long rflags;
	u64 apic_base;
	struct kvm_lapic *apic;
	int apic_arb_prio;
	u32 mp_state;
	/* HF_GUEST_MASK: the vCPU runs L2. */
	bool guest_mode;
	unsigned int nmi_pending;
	/* x2sim: deliveries count into nmi_pending; this stays 0. */
	atomic_t nmi_queued;
	bool nmi_injected;
	bool smi_pending;
	struct {
		bool pv_unhalted;
	} pv;
	/* x2sim: no async page faults; never halted by one. */
	struct {
		bool halted;
	} apf;
	struct kvm_queued_exception exception;
	/* An exception that is a nested VM exit to L1 instead (6.2+). */
	struct kvm_queued_exception exception_vmexit;
	struct kvm_queued_interrupt interrupt;
	/* x2sim: interrupt shadow (STI / MOV SS blocking) at the exit. */
	u32 interruptibility;
	/* A port access userspace completes (kvm_fast_pio()). */
	struct {
		u32 count;
		int size;
		u16 port;
		unsigned long linear_rip;
	} pio;
	int (*complete_userspace_io)(struct kvm_vcpu *vcpu);
	/* CPUID 0x80000008 EAX[7:0]: guest physical-address width. */
	int maxphyaddr;
	/* The guest TSC: host TSC + l1_tsc_offset, at virtual_tsc_khz. */
	u32 virtual_tsc_khz;
	u64 l1_tsc_offset;
	/*
	 * IA32_EFER as KVM keeps it (vcpu->arch.efer); x2sim's guest runner
	 * keeps LMA in step with the CPU it emulates.
	 */
	u64 efer;
	/* IA32_CR_PAT and IA32_MISC_ENABLE, as KVM keeps them. */
	u64 pat;
	u64 ia32_misc_enable_msr;
	/*
	 * x2sim: guest state KVM keeps in the VMCS (GUEST_FS_BASE,
	 * GUEST_GS_BASE) and in struct vcpu_vmx (msr_guest_kernel_gs_base,
	 * the user-return MSRs STAR, LSTAR, CSTAR and SYSCALL_MASK); the
	 * guest runner copies them to and from the CPU it emulates.
	 */
	u64 x2s_fs_base;
	u64 x2s_gs_base;
	u64 x2s_kernel_gs_base;
	u64 x2s_star;
	u64 x2s_lstar;
	u64 x2s_cstar;
	u64 x2s_syscall_mask;
};

struct kvm_debug_exit_arch {
	u32 exception;
	u32 pad;
	u64 pc;
	u64 dr6;
	u64 dr7;
};

/* The part of struct kvm_run that the model fills. */
struct kvm_run {
	u32 exit_reason;
	union {
		struct {
			struct kvm_debug_exit_arch arch;
		} debug;
		struct {
			u64 hardware_entry_failure_reason;
			u32 cpu;
		} fail_entry;
		struct {
			u32 suberror;
			u32 ndata;
			u64 data[16];
		} internal;
		struct {
			u8 error;
			u8 pad[7];
			u32 reason;
			u32 index;
			u64 data;
		} msr;
		/* KVM_EXIT_IO: the data is at data_offset from the start. */
		struct {
#define KVM_EXIT_IO_IN 0
#define KVM_EXIT_IO_OUT 1
			u8 direction;
			u8 size;
			u16 port;
			u32 count;
			u64 data_offset;
		} io;
	};
	/* x2sim: the I/O data KVM keeps in the run page (one port access). */
	u8 x2s_pio_data[8];
};

/* kvm_vcpu.mode (include/linux/kvm_host.h) */
enum {
	OUTSIDE_GUEST_MODE,
	IN_GUEST_MODE,
	EXITING_GUEST_MODE,
	READING_SHADOW_PAGE_TABLES,
};

struct kvm_vcpu {
	struct kvm *kvm;
	int vcpu_id;
	int vcpu_idx;
	/* IN_GUEST_MODE only inside the re-enter loop (x2sim: no CPU). */
	int mode;
	unsigned long requests;
	u32 guest_debug;
	struct kvm_run *run;
	struct kvm_vcpu_arch arch;
};

/* arch/x86/kvm/lapic.h: logical map modes */
enum kvm_apic_logical_mode {
	KVM_APIC_MODE_SW_DISABLED,
	KVM_APIC_MODE_XAPIC_CLUSTER,
	KVM_APIC_MODE_XAPIC_FLAT,
	KVM_APIC_MODE_X2APIC,
	KVM_APIC_MODE_MAP_DISABLED,
};

struct kvm_apic_map {
	u32 max_apic_id;
	enum kvm_apic_logical_mode logical_mode;
	union {
		struct kvm_lapic *xapic_flat_map[8];
		struct kvm_lapic *xapic_cluster_map[16][4];
	};
	struct kvm_lapic *phys_map[];
};

struct kvm_arch {
	struct kvm_apic_map *apic_map;
	/* Set when anything the map is built from changed. */
	bool apic_map_dirty;
	/* KVM_CAP_X2APIC_API */
	bool x2apic_format;
	bool x2apic_broadcast_quirk_disabled;
	/* x2sim: the vendor property kvm_x86_ops.x2apic_icr_is_split. */
	bool x2apic_icr_is_split;
	/* x2sim: the kvm module parameter vector_hashing. */
	bool vector_hashing;
	/* x2sim: enable_apicv && the VM's APICv inhibits are clear. */
	bool apicv_enabled;
	/*
	 * x2sim: what the VMM (x2sim) left out of the guest's CPUID, which
	 * x2sim generates (src/vmx/cpuid.c) instead of a KVM_SET_CPUID2 table.
	 */
	bool x2s_cpuid_no_x2apic;
	bool x2s_cpuid_no_tsc_deadline;
	int x2s_maxphyaddr;
	/* KVM_CAP_X86_APIC_BUS_CYCLES_NS; 1 by default. */
	u64 apic_bus_cycle_ns;
	/*
	 * x2sim: the kvm module parameter enable_preemption_timer (the hv
	 * timer exists); mwait and hlt stay intercepted.
	 */
	bool preemption_timer;
	/*
	 * x2sim: the VM's clock in ns, what ktime_get() reads; the host TSC
	 * counts it at X2S_HOST_TSC_KHZ.  Only x2s_vm_advance_clock() (and
	 * userspace setting a state) moves it.
	 */
	ktime_t x2s_clock;
};

struct kvm {
	struct kvm_vcpu **vcpus;
	int online_vcpus;
	struct kvm_arch arch;
};

#define kvm_for_each_vcpu(idx, vcpup, kvm)                            \
	for ((idx) = 0; (idx) < (unsigned long)(kvm)->online_vcpus && \
			((vcpup) = (kvm)->vcpus[(idx)]) != NULL;      \
	     (idx)++)

static inline struct kvm_vcpu *kvm_get_vcpu(struct kvm *kvm, int i)
{
	if (i < 0 || i >= kvm->online_vcpus)
		return NULL;
	return kvm->vcpus[i];
}

/* The exit reason of the exit being handled (vmx.h). */
union vmx_exit_reason {
	struct {
		u32 basic : 16;
		u32 reserved16 : 1;
		u32 reserved17 : 1;
		u32 reserved18 : 1;
		u32 reserved19 : 1;
		u32 reserved20 : 1;
		u32 reserved21 : 1;
		u32 reserved22 : 1;
		u32 reserved23 : 1;
		u32 reserved24 : 1;
		u32 reserved25 : 1;
		u32 bus_lock_detected : 1;
		u32 enclave_mode : 1;
		u32 smi_pending_mtf : 1;
		u32 smi_from_vmx_root : 1;
		u32 reserved30 : 1;
		u32 failed_vmentry : 1;
	};
	u32 full;
};

struct vmcs;

/*
 * The VMCS loaded on the CPU, the part fastpath code reads: the
 * preemption timer is "soft" disabled (armed at its maximum) when no
 * deadline needs it.
 */
struct loaded_vmcs {
	bool hv_timer_soft_disabled;
};

/*
 * x2sim: the decoded data of an emulated access that KVM would get from
 * its instruction emulator (APIC_ACCESS) -- x2sim takes it from the
 * caller instead of decoding guest instructions.
 */
struct x2s_mmio_access {
	u64 data;
	u8 len;
	bool valid;
};

/* The nested VM exit to L1 the model performed, if any. */
struct x2s_nested_exit {
	bool happened;
	u32 exit_reason;
	u64 exit_qualification;
};

struct nested_vmx {
	/* vmcs12's MSR bitmap (4 KiB, SDM 25.6.9); NULL: L1 uses none. */
	u8 *msr_bitmap;
	struct x2s_nested_exit last_exit;
	/*
	 * L1 is in VMX operation (it did VMXON): true in L2 and, after a
	 * nested VM exit, in L1 (VMX root operation).  x2sim: there is no
	 * VMXON/VMXOFF; x2s_vcpu_set_guest_mode() sets and clears it.
	 */
	bool vmxon;
};

/* The VMX vCPU (vmx/vmx.h): the fields fastpath code reads are KVM's. */
struct vcpu_vmx {
	struct kvm_vcpu vcpu;
	/*
	 * The exit being handled (vmx->exit_reason): a union since 5.11, a
	 * plain u32 before (the same four bytes).
	 */
#if X2SIM_KVM_AT_LEAST(5, 11)
	union vmx_exit_reason exit_reason;
#else
	u32 exit_reason;
#endif
	/* IDT_VECTORING_INFO_FIELD of the exit; 0 after a failed entry. */
	u32 idt_vectoring_info;
	struct loaded_vmcs vmcs01;
	struct loaded_vmcs *loaded_vmcs;
	struct vmcs *vmcs;
	struct pi_desc pi_desc;
	struct nested_vmx nested;
	struct x2s_mmio_access mmio;
	bool emulation_required;
	/* x2sim: KVM's vcpu->arch.dr6, where #DB payloads land. */
	unsigned long dr6;
	/* The preemption timer's deadline in host TSC; -1: not armed. */
	u64 hv_deadline_tsc;
	/*
	 * x2sim: vcpu_block() switched the hv timer to the sw timer while
	 * the vCPU waits (a local variable across the sleep in KVM).
	 */
	bool x2s_hv_timer_parked;
	/* kvm_check_and_inject_events asked for an immediate exit. */
	bool req_immediate_exit;
	/*
	 * x2sim: the event queues as the exit found them, before
	 * vmx_complete_interrupts(), for a fastpath that runs ahead of it
	 * (the 2019 patch's place; src/vmx/vmx.h).
	 */
	struct {
		struct kvm_queued_exception exception;
		struct kvm_queued_exception exception_vmexit;
		struct kvm_queued_interrupt interrupt;
		bool nmi_injected;
		u32 interruptibility;
		unsigned long requests;
		u32 entry_intr_info;
	} x2s_uncompleted;
};

/* x2sim: how the model calls the fastpath under test (src/vmx/vmx.h). */
struct x2s_fastpath;

struct kvm_vmx {
	struct kvm kvm;
	/* x2sim: the fastpath of this VM, NULL for none. */
	const struct x2s_fastpath *fastpath;
};

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))
#endif

static inline struct vcpu_vmx *to_vmx(struct kvm_vcpu *vcpu)
{
	return container_of(vcpu, struct vcpu_vmx, vcpu);
}

static inline struct kvm_vmx *to_kvm_vmx(struct kvm *kvm)
{
	return container_of(kvm, struct kvm_vmx, kvm);
}

/* ---- WARN and trace ---- */

/*
 * A WARN reached in the model is a finding: it is counted per thread and
 * the verifier and fuzzers treat it like a crash.  Unlike the kernel's,
 * every occurrence is recorded, not only the first per call site.
 */
X2S_API void __x2s_warn(const char *file, int line, const char *macro,
			const char *cond);
#define __X2S_WARN(macro, condition)                                       \
	({                                                                 \
		bool __x2s_cond = !!(condition);                           \
		if (unlikely(__x2s_cond))                                  \
			__x2s_warn(__FILE__, __LINE__, macro, #condition); \
		__x2s_cond;                                                \
	})
#define WARN_ON_ONCE(condition) __X2S_WARN("WARN_ON_ONCE", condition)
#define WARN_ON(condition) __X2S_WARN("WARN_ON", condition)

X2S_API void trace_kvm_msr_write(u32 ecx, u64 data);
X2S_API void trace_kvm_msr_read(u32 ecx, u64 data);
X2S_API void trace_kvm_apic_write(u32 reg, u64 val);
X2S_API void trace_kvm_apic_read(u32 reg, u64 val);
X2S_API void trace_kvm_apic_ipi(u32 icr_low, u32 dest_id);

/* ---- register access (kvm_cache_regs.h) ---- */

static inline unsigned long kvm_register_read_raw(struct kvm_vcpu *vcpu,
						  int reg)
{
	return vcpu->arch.regs[reg];
}

static inline void kvm_register_write_raw(struct kvm_vcpu *vcpu, int reg,
					  unsigned long val)
{
	vcpu->arch.regs[reg] = val;
}

static inline unsigned long kvm_rax_read(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.regs[VCPU_REGS_RAX];
}

static inline unsigned long kvm_rcx_read(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.regs[VCPU_REGS_RCX];
}

static inline unsigned long kvm_rdx_read(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.regs[VCPU_REGS_RDX];
}

static inline void kvm_rax_write(struct kvm_vcpu *vcpu, unsigned long val)
{
	vcpu->arch.regs[VCPU_REGS_RAX] = val;
}

static inline void kvm_rdx_write(struct kvm_vcpu *vcpu, unsigned long val)
{
	vcpu->arch.regs[VCPU_REGS_RDX] = val;
}

static inline u64 kvm_read_edx_eax(struct kvm_vcpu *vcpu)
{
	return (kvm_rax_read(vcpu) & 0xffffffffu) |
	       ((u64)(kvm_rdx_read(vcpu) & 0xffffffffu) << 32);
}

/* The 32-bit accessors (mainline's kvm_ecx_read() and friends). */
static inline u32 kvm_eax_read(struct kvm_vcpu *vcpu)
{
	return (u32)vcpu->arch.regs[VCPU_REGS_RAX];
}

static inline u32 kvm_ecx_read(struct kvm_vcpu *vcpu)
{
	return (u32)vcpu->arch.regs[VCPU_REGS_RCX];
}

static inline u32 kvm_edx_read(struct kvm_vcpu *vcpu)
{
	return (u32)vcpu->arch.regs[VCPU_REGS_RDX];
}

/*
 * x86.h: a GPR as the guest's mode sees it.  x2sim: the guest is always in
 * 64-bit mode, so the whole register.
 */
static inline unsigned long kvm_register_read(struct kvm_vcpu *vcpu, int reg)
{
	return kvm_register_read_raw(vcpu, reg);
}

static inline unsigned long kvm_gpr_read(struct kvm_vcpu *vcpu, int reg)
{
	return kvm_register_read_raw(vcpu, reg);
}

/* x2sim: no SRCU-protected memslots in the model; nothing to lock. */
static inline void kvm_vcpu_srcu_read_lock(struct kvm_vcpu *vcpu)
{
}

static inline void kvm_vcpu_srcu_read_unlock(struct kvm_vcpu *vcpu)
{
}

/*
 * pmu.h (mainline): a fastpath may not emulate an instruction while a
 * mediated PMU counts instructions.  x2sim: no PMU, so it always may.
 */
static inline bool kvm_pmu_is_fastpath_emulation_allowed(struct kvm_vcpu *vcpu)
{
	return true;
}

static inline unsigned long kvm_rip_read(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.regs[VCPU_REGS_RIP];
}

static inline void kvm_rip_write(struct kvm_vcpu *vcpu, unsigned long val)
{
	vcpu->arch.regs[VCPU_REGS_RIP] = val;
}

static inline bool is_guest_mode(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.guest_mode;
}

/* ---- requests ---- */

static inline void kvm_make_request(int req, struct kvm_vcpu *vcpu)
{
	vcpu->requests |= 1UL << req;
}

static inline bool kvm_test_request(int req, struct kvm_vcpu *vcpu)
{
	return vcpu->requests & (1UL << req);
}

static inline void kvm_clear_request(int req, struct kvm_vcpu *vcpu)
{
	vcpu->requests &= ~(1UL << req);
}

static inline bool kvm_check_request(int req, struct kvm_vcpu *vcpu)
{
	if (!kvm_test_request(req, vcpu))
		return false;
	kvm_clear_request(req, vcpu);
	return true;
}

static inline bool kvm_request_pending(struct kvm_vcpu *vcpu)
{
	return vcpu->requests != 0;
}

/* ---- LAPIC helpers (lapic.h) ---- */

static inline bool lapic_in_kernel(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.apic != NULL;
}

static inline bool kvm_apic_hw_enabled(struct kvm_lapic *apic)
{
	return apic->vcpu->arch.apic_base & MSR_IA32_APICBASE_ENABLE;
}

static inline bool kvm_apic_sw_enabled(struct kvm_lapic *apic)
{
	return apic->sw_enabled;
}

static inline bool kvm_apic_present(struct kvm_vcpu *vcpu)
{
	return lapic_in_kernel(vcpu) && kvm_apic_hw_enabled(vcpu->arch.apic);
}

static inline bool kvm_lapic_enabled(struct kvm_vcpu *vcpu)
{
	return kvm_apic_present(vcpu) && kvm_apic_sw_enabled(vcpu->arch.apic);
}

static inline bool apic_x2apic_mode(struct kvm_lapic *apic)
{
	return apic->vcpu->arch.apic_base & X2APIC_ENABLE;
}

static inline u32 kvm_lapic_get_reg(struct kvm_lapic *apic, int reg_off)
{
	return *((u32 *)((char *)apic->regs + reg_off));
}

static inline void __kvm_lapic_set_reg(char *regs, int reg_off, u32 val)
{
	*((u32 *)(regs + reg_off)) = val;
}

static inline void kvm_lapic_set_reg(struct kvm_lapic *apic, int reg_off,
				     u32 val)
{
	__kvm_lapic_set_reg((char *)apic->regs, reg_off, val);
}

static inline u64 kvm_lapic_get_reg64(struct kvm_lapic *apic, int reg)
{
	return *((u64 *)((char *)apic->regs + reg));
}

static inline void kvm_lapic_set_reg64(struct kvm_lapic *apic, int reg, u64 val)
{
	*((u64 *)((char *)apic->regs + reg)) = val;
}

static inline u32 kvm_x2apic_id(struct kvm_lapic *apic)
{
	return apic->vcpu->vcpu_id;
}

static inline bool kvm_vector_hashing_enabled_for(struct kvm *kvm)
{
	return kvm->arch.vector_hashing;
}

/* ---- functions implemented by the model ---- */

/* lapic.c */
X2S_API int kvm_lapic_reg_write(struct kvm_lapic *apic, u32 reg, u32 val);
X2S_API int kvm_lapic_reg_read(struct kvm_lapic *apic, u32 offset, int len,
			       void *data);
X2S_API void kvm_apic_send_ipi(struct kvm_lapic *apic, u32 icr_low,
			       u32 icr_high);
X2S_API int kvm_x2apic_icr_write(struct kvm_lapic *apic, u64 data);
X2S_API int kvm_x2apic_icr_write_fast(struct kvm_lapic *apic, u64 data);
X2S_API u64 kvm_x2apic_icr_read(struct kvm_lapic *apic);
X2S_API int kvm_x2apic_msr_write(struct kvm_vcpu *vcpu, u32 msr, u64 data);
X2S_API int kvm_x2apic_msr_read(struct kvm_vcpu *vcpu, u32 msr, u64 *data);
X2S_API void kvm_icr_to_lapic_irq(struct kvm_lapic *apic, u32 icr_low,
				  u32 icr_high, struct kvm_lapic_irq *irq);

/* irq delivery */
X2S_API int kvm_irq_delivery_to_apic(struct kvm *kvm, struct kvm_lapic *src,
				     struct kvm_lapic_irq *irq,
				     struct dest_map *dest_map);
X2S_API bool kvm_irq_delivery_to_apic_fast(struct kvm *kvm,
					   struct kvm_lapic *src,
					   struct kvm_lapic_irq *irq, int *r,
					   struct dest_map *dest_map);
X2S_API bool kvm_apic_match_dest(struct kvm_vcpu *vcpu,
				 struct kvm_lapic *source, int shorthand,
				 unsigned int dest, int dest_mode);

/* x86.c / vmx.c */

X2S_API union vmx_exit_reason vmx_get_exit_reason(struct kvm_vcpu *vcpu);
X2S_API unsigned long vmx_get_exit_qual(struct kvm_vcpu *vcpu);
/* The source register of WRMSRNS/RDMSR with an immediate (6.18). */
X2S_API int vmx_get_msr_imm_reg(struct kvm_vcpu *vcpu);

X2S_API int kvm_skip_emulated_instruction(struct kvm_vcpu *vcpu);
X2S_API bool kvm_vcpu_exit_request(struct kvm_vcpu *vcpu);
X2S_API void kvm_vcpu_kick(struct kvm_vcpu *vcpu);
X2S_API void kvm_inject_gp(struct kvm_vcpu *vcpu, u32 error_code);
X2S_API void kvm_queue_exception(struct kvm_vcpu *vcpu, unsigned int nr);
X2S_API void kvm_queue_exception_e(struct kvm_vcpu *vcpu, unsigned int nr,
				   u32 error_code);
X2S_API int kvm_emulate_wrmsr(struct kvm_vcpu *vcpu);
X2S_API int kvm_emulate_rdmsr(struct kvm_vcpu *vcpu);
X2S_API int kvm_emulate_halt(struct kvm_vcpu *vcpu);
X2S_API int kvm_emulate_as_nop(struct kvm_vcpu *vcpu);
X2S_API int kvm_emulate_invd(struct kvm_vcpu *vcpu);

/*
 * The LAPIC timer as fastpath code sees it (src/lapic/timer.c): the hv
 * timer is the VMX preemption timer, usable when the VM's
 * preemption_timer knob is on (the default, as on hardware that has it).
 */
X2S_API bool kvm_can_use_hv_timer(struct kvm_vcpu *vcpu);

/* The guest's CPUID (src/vmx/cpuid.c), as KVM answers it. */
#define X86_FEATURE_X2APIC (4 * 32 + 21)
#define X86_FEATURE_TSC_DEADLINE_TIMER (4 * 32 + 24)
X2S_API bool guest_cpu_cap_has(struct kvm_vcpu *vcpu, unsigned int feature);
X2S_API bool kvm_cpuid(struct kvm_vcpu *vcpu, u32 *eax, u32 *ebx, u32 *ecx,
		       u32 *edx, bool exact_only);
X2S_API int kvm_emulate_cpuid(struct kvm_vcpu *vcpu);
/* Port I/O (IO_INSTRUCTION): in-kernel devices first, else userspace. */
X2S_API int kvm_fast_pio(struct kvm_vcpu *vcpu, int size, unsigned short port,
			 int in);
X2S_API void kvm_set_lapic_tscdeadline_msr(struct kvm_vcpu *vcpu, u64 data);
X2S_API void kvm_lapic_expired_hv_timer(struct kvm_vcpu *vcpu);

#ifdef __cplusplus
}
#endif

#endif /* X2SIM_KVM_H */
