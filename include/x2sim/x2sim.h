/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim public API: for programs that use the simulator.
 *
 * A VM is an opaque handle created from a configuration; vCPUs are named
 * by index (0 .. nr_vcpus-1, which is also their vcpu_id and x2APIC ID).
 * Every function returns 0 or a negative errno; invalid arguments give
 * -EINVAL and change nothing.  x2s_strerror() names an error.
 *
 * Ownership: x2s_vm_create() allocates the VM; free it with
 * x2s_vm_destroy().  Everything else (configurations, states, exits,
 * results) is a plain caller-allocated struct.
 */
#ifndef X2SIM_X2SIM_H
#define X2SIM_X2SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef X2S_API
#define X2S_API __attribute__((visibility("default")))
#endif

#define X2S_VERSION_MAJOR 0
#define X2S_VERSION_MINOR 1
#define X2S_MAX_VCPUS 4096
#define X2S_APIC_PAGE_SIZE 4096

struct x2s_vm;

enum x2s_apic_mode {
	X2S_APIC_MODE_DISABLED, /* APIC_BASE.EN = 0 */
	X2S_APIC_MODE_XAPIC,
	X2S_APIC_MODE_X2APIC,
};

struct x2s_vm_config {
	unsigned int nr_vcpus; /* 1 .. X2S_MAX_VCPUS */
	/* Per-vCPU start state applied to every vCPU at creation. */
	enum x2s_apic_mode apic_mode;
	bool sw_enabled;      /* SVR bit 8 */
	bool lapic_in_kernel; /* false: no in-kernel LAPIC (irqchip off) */
	/* KVM's knobs. */
	bool vector_hashing;	       /* kvm.vector_hashing, default on */
	bool x2apic_format;	       /* KVM_X2APIC_API_USE_32BIT_IDS */
	bool broadcast_quirk_disabled; /* ..._DISABLE_BROADCAST_QUIRK */
	bool x2apic_icr_is_split;      /* AMD-style ICR/ICR2 storage */
	bool apicv;		       /* APICv (posted interrupts) on */
	/*
	 * kvm_intel.preemption_timer: the VMX preemption timer backs the
	 * LAPIC timer when it can (the hv timer).  Default on.
	 */
	bool preemption_timer;
	/*
	 * The guest's CPUID (x2sim generates it as the VMM): leave out the
	 * x2APIC bit (EXTD in APIC_BASE is then reserved) or the
	 * TSC-deadline bit (LVTT has no TSC-deadline mode); MAXPHYADDR, 0
	 * for 46 (32 to 52: APIC_BASE bits from it up are reserved).
	 */
	bool cpuid_no_x2apic;
	bool cpuid_no_tsc_deadline;
	unsigned int maxphyaddr;
};

/*
 * A running guest's defaults: every vCPU in x2APIC mode, software-enabled,
 * runnable; in-kernel LAPIC; vector hashing on; other knobs off.
 */
X2S_API void x2s_vm_config_init(struct x2s_vm_config *cfg,
				unsigned int nr_vcpus);

X2S_API int x2s_vm_create(const struct x2s_vm_config *cfg, struct x2s_vm **out);
X2S_API void x2s_vm_destroy(struct x2s_vm *vm);
X2S_API unsigned int x2s_vm_nr_vcpus(const struct x2s_vm *vm);
X2S_API const char *x2s_strerror(int err);

/*
 * The VM's clock in ns, what KVM's ktime_get() reads; it starts at 0 and
 * moves only forward, only here, so runs are reproducible.  The host TSC
 * counts it at 1 GHz.  Advancing it fires every LAPIC sw timer that falls
 * due, each at its own expiry (an hv timer fires as a PREEMPTION_TIMER
 * exit, which is the caller's to deliver).  -EINVAL if it would overflow.
 */
X2S_API uint64_t x2s_vm_clock(const struct x2s_vm *vm);
X2S_API int x2s_vm_advance_clock(struct x2s_vm *vm, uint64_t ns);
/* When the next LAPIC sw timer fires: 0, or -ENOENT when none is queued. */
X2S_API int x2s_vm_next_timer(const struct x2s_vm *vm, uint64_t *ns);

/* ---- per-vCPU settings (applied through the model's own paths) ---- */

X2S_API int x2s_vcpu_set_apic_mode(struct x2s_vm *vm, unsigned int vcpu,
				   enum x2s_apic_mode mode);
X2S_API int x2s_vcpu_set_sw_enabled(struct x2s_vm *vm, unsigned int vcpu,
				    bool enabled);
/* xAPIC mode only: APIC_ID bits 31:24, LDR bits 31:24, DFR model. */
X2S_API int x2s_vcpu_set_xapic_id(struct x2s_vm *vm, unsigned int vcpu,
				  uint8_t id);
X2S_API int x2s_vcpu_set_ldr(struct x2s_vm *vm, unsigned int vcpu,
			     uint32_t ldr);
X2S_API int x2s_vcpu_set_dfr(struct x2s_vm *vm, unsigned int vcpu,
			     uint32_t dfr);
/* KVM_MP_STATE_* (0 runnable, 1 uninitialized, 2 INIT received, 3 halted). */
X2S_API int x2s_vcpu_set_mp_state(struct x2s_vm *vm, unsigned int vcpu,
				  uint32_t mp_state);
/*
 * l2 true: L1 has done VMXON and VMLAUNCH, the vCPU runs L2;
 * l1_intercepts_x2apic: L1's MSR bitmap intercepts 0x800-0x8ff.  L1 stays
 * in VMX operation across nested VM exits (INIT is then blocked: it stays
 * latched until the vCPU enters L2 again, where it becomes an INIT_SIGNAL
 * exit to L1).  l2 true is refused for a vCPU waiting for SIPI, and with
 * INIT or SIPI pending unless INIT is latched in VMX root operation.
 * l2 false: the vCPU is not in VMX operation at all (as after VMXOFF):
 * neither L2 nor VMX root, so INIT resets it again.
 */
X2S_API int x2s_vcpu_set_guest_mode(struct x2s_vm *vm, unsigned int vcpu,
				    bool l2, bool l1_intercepts_x2apic);
/* KVM_SET_GUEST_DEBUG flags (KVM_GUESTDBG_ENABLE | _SINGLESTEP). */
X2S_API int x2s_vcpu_set_guest_debug(struct x2s_vm *vm, unsigned int vcpu,
				     uint32_t flags);
X2S_API int x2s_vcpu_set_apicv(struct x2s_vm *vm, unsigned int vcpu,
			       bool active);

enum x2s_reg {
	X2S_REG_RAX,
	X2S_REG_RCX,
	X2S_REG_RDX,
	X2S_REG_RBX,
	X2S_REG_RSP,
	X2S_REG_RBP,
	X2S_REG_RSI,
	X2S_REG_RDI,
	X2S_REG_R8,
	X2S_REG_R9,
	X2S_REG_R10,
	X2S_REG_R11,
	X2S_REG_R12,
	X2S_REG_R13,
	X2S_REG_R14,
	X2S_REG_R15,
	X2S_REG_RIP,
	X2S_REG_RFLAGS,
	X2S_REG_INTERRUPTIBILITY, /* VMCS guest interruptibility state */
	X2S_NR_REGS,
};
X2S_API int x2s_vcpu_get_gpr(struct x2s_vm *vm, unsigned int vcpu,
			     enum x2s_reg reg, uint64_t *val);
X2S_API int x2s_vcpu_set_gpr(struct x2s_vm *vm, unsigned int vcpu,
			     enum x2s_reg reg, uint64_t val);

/*
 * MSR access as the guest would make it (host_initiated false) or as
 * userspace does through KVM_SET_MSRS / KVM_GET_MSRS (true): KVM's
 * kvm_set_msr_common / kvm_get_msr_common.  Returns 0, X2S_GP (a positive
 * 1) when the access faults, or -EINVAL for bad arguments.
 */
#define X2S_GP 1
X2S_API int x2s_msr_write(struct x2s_vm *vm, unsigned int vcpu, uint32_t msr,
			  uint64_t data, bool host_initiated);
X2S_API int x2s_msr_read(struct x2s_vm *vm, unsigned int vcpu, uint32_t msr,
			 uint64_t *data, bool host_initiated);
/*
 * xAPIC MMIO at a guest physical address; -EOPNOTSUPP: outside the 4 KiB
 * APIC window.  In the window with the APIC disabled or in x2APIC mode
 * the page is a hole (reads all-ones, writes dropped), as KVM's default
 * LAPIC_MMIO_HOLE quirk makes it.
 */
X2S_API int x2s_mmio_write(struct x2s_vm *vm, unsigned int vcpu, uint64_t gpa,
			   unsigned int len, uint64_t data);
X2S_API int x2s_mmio_read(struct x2s_vm *vm, unsigned int vcpu, uint64_t gpa,
			  unsigned int len, uint64_t *data);
/* Raw register page read (offset 0..0xffc, 4-aligned), no side effects. */
X2S_API int x2s_apic_get_reg(struct x2s_vm *vm, unsigned int vcpu,
			     uint32_t offset, uint32_t *val);

/* ---- VM exits ---- */

struct x2s_exit {
	uint32_t reason; /* EXIT_REASON_* (bit 31: VM-entry failure) */
	uint64_t qualification;
	uint32_t insn_len;  /* VM_EXIT_INSTRUCTION_LEN */
	uint32_t intr_info; /* VM_EXIT_INTR_INFO */
	/*
	 * APIC_ACCESS: the access KVM's emulator would decode from the
	 * instruction (x2sim takes it from the caller).
	 */
	uint64_t mmio_data;
	uint8_t mmio_len;
};

/* Fastpath hook: called for every exit, like vmx_exit_handlers_fastpath. */
struct kvm_vcpu;
typedef int (*x2s_fastpath_hook)(struct kvm_vcpu *vcpu);
X2S_API int x2s_vm_set_fastpath(struct x2s_vm *vm, x2s_fastpath_hook fn);

enum x2s_exit_status {
	X2S_STATUS_USERSPACE = 0, /* exit to userspace, see run_exit_reason */
	X2S_STATUS_GUEST = 1,	  /* the vCPU (re-)entered the guest */
	X2S_STATUS_BLOCKED = 2,	  /* halted / waiting for INIT or SIPI */
};

struct x2s_exit_result {
	int status;		    /* enum x2s_exit_status */
	int fastpath;		    /* fastpath_t the hook returned (0: none) */
	uint32_t run_exit_reason;   /* KVM_EXIT_* when status is USERSPACE */
	uint32_t internal_suberror; /* KVM_EXIT_INTERNAL_ERROR detail */
	bool nested_exit;	    /* reflected to L1 */
	uint32_t nested_exit_reason;
	uint32_t entry_intr_info; /* VM_ENTRY_INTR_INFO_FIELD at re-entry */
	uint32_t entry_exception_error_code; /* with an exception above */
};

/*
 * Deliver one VM exit to a vCPU whose registers (x2s_vcpu_set_gpr) hold
 * the guest state: fastpath hook, then KVM's handler, then (if the vCPU
 * goes back to the guest) the pre-entry work.  -EINVAL for a bad vCPU.
 */
X2S_API int x2s_vcpu_exit(struct x2s_vm *vm, unsigned int vcpu,
			  const struct x2s_exit *exit,
			  struct x2s_exit_result *res);
/*
 * Bring a vCPU to its next VM entry without an exit, as vcpu_run() does
 * for a vCPU that is halted, waiting for INIT/SIPI or just woken: process
 * requests and INIT/SIPI, wake a halted vCPU that has an event, inject.
 * res->status is X2S_STATUS_GUEST when the vCPU entered (entry_intr_info
 * says what was injected), X2S_STATUS_BLOCKED when it stays halted or
 * waiting, X2S_STATUS_USERSPACE when it exits to userspace.
 */
X2S_API int x2s_vcpu_enter(struct x2s_vm *vm, unsigned int vcpu,
			   struct x2s_exit_result *res);
/* Convenience: WRMSR exit with ECX = msr, EDX:EAX = data, length 2. */
X2S_API int x2s_vcpu_wrmsr_exit(struct x2s_vm *vm, unsigned int vcpu,
				uint32_t msr, uint64_t data,
				struct x2s_exit_result *res);

/*
 * Port I/O: every IN and OUT exits to userspace (KVM_EXIT_IO; x2sim has
 * no in-kernel PIO device).  After such an exit, x2s_vcpu_get_io() says
 * what the guest did; for IN, x2s_vcpu_set_io_data() gives the value;
 * the next x2s_vcpu_enter() completes the instruction (RAX, RIP).
 * -EINVAL when the last exit was not a port access.
 */
struct x2s_io {
	bool in;
	uint16_t port;
	uint8_t size;  /* 1, 2 or 4 bytes */
	uint32_t data; /* OUT: the value written */
};
X2S_API int x2s_vcpu_get_io(struct x2s_vm *vm, unsigned int vcpu,
			    struct x2s_io *io);
X2S_API int x2s_vcpu_set_io_data(struct x2s_vm *vm, unsigned int vcpu,
				 uint32_t data);

/* ---- state: everything observable, per vCPU ---- */

struct x2s_vcpu_state {
	/* Register page; PIR merged into IRR; ICR as stored. */
	uint8_t apic_page[X2S_APIC_PAGE_SIZE];
	uint64_t apic_base;
	uint64_t regs[X2S_NR_REGS];
	uint64_t requests;
	uint64_t tsc_deadline;
	uint32_t mp_state;
	uint32_t sipi_vector;
	/* What the next VM entry injects, and the windows it asks for. */
	uint32_t entry_intr_info;
	uint32_t entry_exception_error_code;
	uint32_t window_exiting; /* CPU_BASED_{INTR,NMI}_WINDOW_EXITING bits */
	uint16_t guest_intr_status; /* APICv RVI (7:0) and SVI (15:8) */
	uint8_t req_immediate_exit;
	uint8_t sw_enabled;
	/* Pending events. */
	uint8_t init_pending;
	uint8_t sipi_pending;
	uint8_t nmi_pending;
	uint8_t smi_pending;
	uint8_t pv_unhalted;
	uint8_t nmi_injected;
	uint8_t interrupt_injected;
	uint8_t interrupt_vector;
	/* The queued exception. */
	uint8_t exception_pending;
	uint8_t exception_injected;
	uint8_t exception_vector;
	uint8_t exception_has_error_code;
	uint32_t exception_error_code;
	/* What userspace and L1 see. */
	uint32_t run_exit_reason;
	uint32_t nested_exit_reason;
	uint8_t nested_exit;
	uint8_t guest_mode;
	uint8_t vmxon; /* L1 did VMXON: runs L2 or is in VMX root */
	uint8_t pad[1];
	uint32_t arb_prio; /* lowest-priority arbitration counter */
	/*
	 * The LAPIC timer, on the VM's clock (ns); tsc_deadline above is
	 * its deadline in guest TSC (one-shot and periodic keep theirs
	 * there too).
	 */
	uint32_t preemption_timer_value; /* VMCS: what the next entry arms */
	int64_t timer_period_ns;	 /* one-shot, periodic; 0: stopped */
	int64_t timer_target_ns;	 /* when the count reaches 0 */
	int64_t timer_expires_ns;	 /* the sw timer, when queued */
	uint64_t expired_tsc_deadline;
	uint64_t hv_deadline_tsc; /* host TSC; UINT64_MAX: not armed */
	uint8_t timer_queued;	  /* the sw timer is queued */
	uint8_t timer_pending;	  /* expired, not yet injected */
	uint8_t hv_timer_in_use;
	uint8_t hv_timer_soft_disabled;
	uint8_t hv_timer_parked; /* moved to the sw timer while blocked */
	uint8_t pad2[3];
};

/* Snapshot / restore one vCPU; states are memcmp-comparable. */
X2S_API int x2s_vcpu_save(struct x2s_vm *vm, unsigned int vcpu,
			  struct x2s_vcpu_state *st);
X2S_API int x2s_vcpu_restore(struct x2s_vm *vm, unsigned int vcpu,
			     const struct x2s_vcpu_state *st);
/* All vCPUs: st points to x2s_vm_nr_vcpus(vm) states. */
X2S_API int x2s_vm_save(struct x2s_vm *vm, struct x2s_vcpu_state *st);
X2S_API int x2s_vm_restore(struct x2s_vm *vm, const struct x2s_vcpu_state *st);

/*
 * Compare n vCPU states a and b field by field; print one readable line
 * per difference to out (NULL: print nothing).  Returns the number of
 * differences.
 */
X2S_API unsigned int x2s_state_diff(const struct x2s_vcpu_state *a,
				    const struct x2s_vcpu_state *b,
				    unsigned int n, FILE *out);

/* ---- findings and tracing ---- */

/* WARN_ON_ONCE hits on this thread since the last reset. */
X2S_API unsigned int x2s_warn_count(void);
X2S_API void x2s_warn_reset(void);
/* The first WARN since the last reset ("lapic.c:123: cond"), or NULL. */
X2S_API const char *x2s_warn_first(void);

/* Trace sink for KVM-style trace lines on this thread; NULL to stop. */
typedef void (*x2s_trace_fn)(void *opaque, const char *line);
X2S_API void x2s_set_trace(x2s_trace_fn fn, void *opaque);

#ifdef __cplusplus
}
#endif

#endif /* X2SIM_X2SIM_H */
