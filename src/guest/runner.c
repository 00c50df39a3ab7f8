// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest runner: one Unicorn engine per vCPU over shared guest memory,
 * scheduled round-robin with an instruction budget.  Instructions that
 * VMX would make exit (WRMSR, RDMSR, HLT, accesses to the APIC-access
 * page) become VM exits handled by the model; what the model says to
 * inject at the next entry is delivered the way the CPU does it.
 *
 * Unicorn 2.0.1 has no MSR hook and walks every code hook for every
 * instrumented instruction, so there is a single code hook over all
 * instructions: it counts instructions (the budget and the scheduling
 * quantum) and dispatches on a per-byte table of the instruction sites
 * found by scanning the executable segments.  A table entry that is not
 * really an instruction start (an 0xf4 inside an immediate) is never
 * reached as one, so the linear scan needs no decoder.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <unicorn/unicorn.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "core/core.h"
#include "guest/guest.h"
#include "lapic/lapic.h"
#include "vmx/vmx.h"

enum site_kind {
	SITE_NONE,
	SITE_WRMSR,
	SITE_RDMSR,
	SITE_HLT,
	SITE_STI,
	SITE_POPF,
	SITE_IRET,
	SITE_RDTSC,
	SITE_CPUID,
	SITE_IO,
	SITE_VMCALL,
	SITE_CR8,
};

/*
 * The guest's time: the VM's clock advances 1 ns per guest instruction,
 * whichever vCPU runs it (as if the vCPUs took turns on one physical
 * CPU), and jumps to the next timer when every vCPU waits.
 */
#define NS_PER_INSN 1
#define NO_EXPIRY UINT64_MAX
#define MAX_IDLE_JUMPS 1000

enum vcpu_run_state {
	VS_RUNNING,
	VS_HALTED,    /* HLT exit left the vCPU halted */
	VS_WAIT_SIPI, /* uninitialized or INIT received */
};

enum stop_kind {
	STOP_NONE,
	STOP_SETUP, /* the runner's boot code: the hooks stand aside */
	STOP_HLT,   /* stopped before a HLT: do the exit */
	STOP_APPLY, /* an exit was handled in a hook; apply its entry */
	STOP_FAULT, /* the CPU raised an exception */
	STOP_FAIL,  /* the guest failed; message set */
};

#define MSR_X2APIC_ICR 0x830
#define APIC_ICR_LOW 0x300
#define WINDOW_BITS \
	(CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_NMI_WINDOW_EXITING)
#define MAX_CHAINED_EXITS 16

struct guest_vcpu {
	struct x2s_guest *g;
	unsigned int idx;
	uc_engine *uc;
	struct kvm_vcpu *vcpu;
	enum vcpu_run_state state;
	bool started;
	uint64_t insns;
	uint64_t limit;
	enum stop_kind stop;
	uint64_t stop_rip;
	int fault_vector;
	/* The exit being handled: what its entry has to apply. */
	struct x2s_exit_result res;
	uint32_t exit_basic;
	bool exit_fastpath;
	bool exit_mmio;
	/* The instruction the code hook saw last, and an MMIO one's start. */
	uint32_t insn_size;
	uint64_t mmio_rip;
	bool exit_pending_stat;
	uint64_t exit_t0;
	/* Interruptibility the runner tracks (the CPU's, not KVM's). */
	bool nmi_blocked;
	uint64_t shadow_insns;
	uint64_t shadow_rip;
	unsigned long seen_kicks;
	/* The VM's clock when the preemption timer the entry armed fires. */
	uint64_t hv_expiry;
	/* Without it, the reschedule IPI KVM sends itself to force an exit. */
	bool force_exit;
	/* Started by SIPI in real mode, CR0.PE not yet seen set. */
	bool real_mode;
	/* Whether the last inject() delivered an event, and its handler. */
	bool injected;
	uint64_t injected_rip;
	/*
	 * regs_cached: the engine's RIP and RFLAGS are entry_rip and
	 * entry_rflags, as the runner last set them outside the engine's
	 * run; regs_dirty: not written into the engine yet.  An entry that
	 * delivers an event, or a vCPU that blocks and is entered again,
	 * writes them once, not two or three times (flush_regs()).
	 */
	bool regs_cached;
	bool regs_dirty;
	uint64_t entry_rip, entry_rflags;
	/*
	 * Where vcpu_exit()'s one batch read puts RAX, RCX, RDX and RFLAGS:
	 * the model's own fields (set once; a batch on the stack costs
	 * its setup and the copies at every exit).
	 */
	void *exit_ptrs[4];
	/* Where the engine has the APIC page mapped; NO_APIC_PAGE: nowhere. */
	uint64_t apic_page;
	/* For the observer: the exit, and an APIC-page read's value. */
	uint64_t exit_rip, exit_qual;
	uint8_t obs_mmio; /* enum x2s_guest_obs_mmio */
	bool obs_wake;
	uint64_t obs_mmio_value;
};

#define NO_APIC_PAGE UINT64_MAX

struct x2s_guest {
	struct x2s_vm *vm;
	struct x2s_guest_config cfg;
	unsigned int nr_vcpus;
	struct guest_vcpu *vcpus;
	/* Guest memory, shared by every engine. */
	uint8_t *image;
	uint64_t image_lo, image_size;
	uint8_t *sites; /* enum site_kind per image byte */
	uint8_t *stacks;
	uint64_t stacks_size;
	uint8_t *gdt;
	/* A multiboot kernel: RAM from 0, the boot page above it. */
	bool multiboot;
	uint8_t *boot;
	uint64_t entry;
	/* Run state. */
	struct guest_vcpu *current;
	bool failed;
	char error[512];
	uint64_t max_insns;
	uint64_t deadline_ns;
	bool ipi_armed;
	unsigned int ipi_sender;
	uint64_t ipi_t0, ipi_insns0;
	/* An IPI was delivered; its host time ends at the entry. */
	bool ipi_landed;
	uint64_t ipi_ns_samples;
	uint64_t rss_before;
	/* Time every vCPU spent waiting, added to the instructions' time. */
	uint64_t idle_ns;
	/* The devices behind the port I/O exits (userspace's). */
	bool exited; /* the exit port was written */
	uint8_t uart[8];
	uint16_t fw_cfg_key;
	uint32_t fw_cfg_off;
	struct x2s_guest_stats stats;
};

/*
 * Exit timing reads the TSC (two vDSO clock reads per exit cost more than
 * the exit itself); ticks become nanoseconds at the end of the run, scaled
 * by the run's own TSC / CLOCK_MONOTONIC ratio.
 */
static inline uint64_t now_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
#endif
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t total_insns(const struct x2s_guest *g)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < g->nr_vcpus; i++)
		n += g->vcpus[i].insns;
	return n;
}

/*
 * The VM's clock catches up with the instructions run: sw timers due by
 * then fire (kicking their vCPUs).
 */
static void sync_clock(struct x2s_guest *g)
{
	uint64_t t = g->idle_ns + total_insns(g) * NS_PER_INSN;
	uint64_t now = x2s_vm_clock(g->vm);

	if (t > now)
		x2s_vm_advance_clock(g->vm, t - now);
}

/*
 * A turn ends by the next timer: v's preemption timer, or the first sw
 * timer of any vCPU (which kicks its vCPU when the clock gets there).
 */
static void bound_turn(struct guest_vcpu *v)
{
	uint64_t now = x2s_vm_clock(v->g->vm), next = v->hv_expiry, sw;

	if (!x2s_vm_next_timer(v->g->vm, &sw) && sw < next)
		next = sw;
	if (next == NO_EXPIRY)
		return;
	next = next > now ? (next - now + NS_PER_INSN - 1) / NS_PER_INSN : 0;
	if (v->limit > v->insns + next)
		v->limit = v->insns + next;
}

/* The entry's RIP and RFLAGS, if still pending: one call into the engine. */
static void flush_regs(struct guest_vcpu *v)
{
	static int regs[] = { UC_X86_REG_RIP, UC_X86_REG_RFLAGS };
	void *const ptrs[2] = { &v->entry_rip, &v->entry_rflags };

	if (!v->regs_dirty)
		return;
	uc_reg_write_batch(v->uc, regs, ptrs, 2);
	v->regs_dirty = false;
}

/* Before the engine runs (which changes RIP and RFLAGS). */
static void uncache_regs(struct guest_vcpu *v)
{
	flush_regs(v);
	v->regs_cached = false;
}

/*
 * Any other access goes to the engine after the pending writes, in the
 * order the runner made them; RIP comes from the cache when it has it.
 */
static uint64_t reg_get(struct guest_vcpu *v, int reg)
{
	uint64_t val = 0;

	if (v->regs_cached && reg == UC_X86_REG_RIP)
		return v->entry_rip;
	flush_regs(v);
	uc_reg_read(v->uc, reg, &val);
	return val;
}

static void reg_set(struct guest_vcpu *v, int reg, uint64_t val)
{
	uncache_regs(v);
	uc_reg_write(v->uc, reg, &val);
}

/* The entry's RIP and RFLAGS, written when needed (flush_regs()). */
static void set_rip_rflags(struct guest_vcpu *v, uint64_t rip, uint64_t rflags)
{
	v->entry_rip = rip;
	v->entry_rflags = rflags;
	v->regs_cached = true;
	v->regs_dirty = true;
}

static void guest_fail(struct guest_vcpu *v, uint64_t rip, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void guest_fail(struct guest_vcpu *v, uint64_t rip, const char *fmt, ...)
{
	struct x2s_guest *g = v->g;
	char msg[384];
	va_list ap;

	if (g->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(g->error, sizeof(g->error), "vcpu %u: rip 0x%llx: %s", v->idx,
		 (unsigned long long)rip, msg);
	g->failed = true;
}

/* ---- trace ---- */

static void runner_trace_sink(void *opaque, const char *line)
{
	struct x2s_guest *g = opaque;
	char buf[512];

	snprintf(buf, sizeof(buf), "vcpu%-3u %s",
		 g->current ? g->current->idx : 0, line);
	g->cfg.trace(g->cfg.trace_opaque, buf);
}

#define rtrace(g, ...)                          \
	do {                                    \
		if ((g)->cfg.trace)             \
			x2s_trace(__VA_ARGS__); \
	} while (0)

/* ---- statistics ---- */

static void stat_add(struct x2s_exit_stat *s, uint64_t ns)
{
	if (!s->count || ns < s->min_ns)
		s->min_ns = ns;
	if (ns > s->max_ns)
		s->max_ns = ns;
	s->count++;
	s->total_ns += ns;
	s->sumsq_ns += (double)ns * (double)ns;
}

/*
 * The observer (diff.c) sees the point; a nonzero answer stops the run
 * there as a failure, and the engine too when it is running.
 */
static void observe(struct guest_vcpu *v, enum x2s_guest_obs_kind kind,
		    uint64_t rip)
{
	struct x2s_guest *g = v->g;
	struct x2s_guest_obs o;

	if (!g->cfg.observe || g->failed)
		return;
	o = (struct x2s_guest_obs){
		.kind = v->obs_wake && kind == X2S_OBS_ENTRY ? X2S_OBS_WAKE :
							       kind,
		.vcpu = v->idx,
		.insns = v->insns,
		.exit_basic = v->exit_basic,
		.exit_rip = v->exit_rip,
		.exit_qual = v->exit_qual,
		.rip = rip,
		.mp_state = v->vcpu->arch.mp_state,
		.mmio = v->obs_mmio,
		.mmio_value = v->obs_mmio_value,
	};
	if (kind == X2S_OBS_ENTRY &&
	    (v->res.entry_intr_info & INTR_INFO_VALID_MASK)) {
		o.intr_info = v->res.entry_intr_info;
		o.intr_error = v->res.entry_exception_error_code;
	}
	v->obs_mmio = X2S_OBS_MMIO_NONE;
	v->obs_wake = false;
	if (g->cfg.observe(g->cfg.observe_opaque, g, &o)) {
		guest_fail(v, rip, "stopped by the observer");
		v->stop = STOP_FAIL;
		uc_emu_stop(v->uc);
	}
}

/*
 * The entry that runs an IPI's handler, at host tick t: the IPI's host
 * time (one TSC read serves it and the exit's time).
 */
static void ipi_latency(struct x2s_guest *g, uint64_t t)
{
	struct x2s_guest_stats *s = &g->stats;
	uint64_t ns = t - g->ipi_t0;

	g->ipi_landed = false;
	if (!g->ipi_ns_samples++ || ns < s->ipi_ns_min)
		s->ipi_ns_min = ns;
	if (ns > s->ipi_ns_max)
		s->ipi_ns_max = ns;
	s->ipi_ns_total += ns;
}

/*
 * The exit's time ends at the entry that follows it (perf kvm stat).  The
 * entry armed the preemption timer (VMX_PREEMPTION_TIMER_VALUE counts the
 * host TSC >> 5) unless it left it soft-disabled.
 */
static void record_entry(struct guest_vcpu *v, uint64_t rip)
{
	struct x2s_guest *g = v->g;
	struct kvm_vcpu *vcpu = v->vcpu;
	uint64_t ns, t;

	v->force_exit = !vcpu->kvm->arch.preemption_timer &&
			to_vmx(vcpu)->req_immediate_exit;
	if (to_vmx(vcpu)->loaded_vmcs->hv_timer_soft_disabled ||
	    !vcpu->kvm->arch.preemption_timer) {
		v->hv_expiry = NO_EXPIRY;
	} else {
		v->hv_expiry = x2s_vm_clock(g->vm) +
			       (vmcs_read(vcpu, VMX_PREEMPTION_TIMER_VALUE)
				<< X2S_PREEMPTION_TIMER_MULTI);
		bound_turn(v);
	}
	observe(v, X2S_OBS_ENTRY, rip);
	if (!v->exit_pending_stat && !g->ipi_landed)
		return;
	t = g->cfg.no_exit_times ? 0 : now_ticks();
	if (g->ipi_landed)
		ipi_latency(g, t);
	if (!v->exit_pending_stat)
		return;
	v->exit_pending_stat = false;
	ns = t - v->exit_t0;
	if (v->exit_basic < X2S_GUEST_NR_REASONS)
		stat_add(&g->stats.reason[v->exit_basic], ns);
	if (v->exit_fastpath)
		stat_add(&g->stats.msr_write_fastpath, ns);
	else if (v->exit_basic == EXIT_REASON_MSR_WRITE)
		stat_add(&g->stats.msr_write_slow, ns);
	/*
	 * KVM 6.13 on: the event being injected (VM_ENTRY_INTR_INFO_FIELD,
	 * the error code only for an exception that has one) and
	 * "[immediate exit]" when the entry is to exit at once.
	 */
	if (g->cfg.trace) {
		uint32_t intr = v->res.entry_intr_info;
		uint32_t err = 0;

		if ((intr & INTR_INFO_VALID_MASK) &&
		    (intr & INTR_INFO_DELIVER_CODE_MASK))
			err = v->res.entry_exception_error_code;
		x2s_trace("kvm_entry: vcpu %u, rip 0x%llx intr_info 0x%08x "
			  "error_code 0x%08x%s",
			  v->idx, (unsigned long long)rip, intr, err,
			  to_vmx(vcpu)->req_immediate_exit ?
				  "[immediate exit]" :
				  "");
	}
}

/* ---- VM exits ---- */

static uint32_t vcpu_interruptibility(struct guest_vcpu *v)
{
	uint32_t st = 0;

	if (v->shadow_insns == v->insns && v->shadow_rip &&
	    v->shadow_rip == v->vcpu->arch.regs[VCPU_REGS_RIP])
		st |= GUEST_INTR_STATE_STI;
	if (v->nmi_blocked)
		st |= GUEST_INTR_STATE_NMI;
	return st;
}

/*
 * One VM exit with the guest state of the engine: the registers KVM
 * reads go to the model, x2s_vcpu_exit() runs the fastpath and KVM's
 * handler, v->res says what the next entry does.
 */
static int vcpu_exit(struct guest_vcpu *v, struct x2s_exit *exit, uint64_t rip)
{
	static int regs[] = { UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX,
			      UC_X86_REG_RFLAGS };
	struct x2s_guest *g = v->g;
	struct kvm_vcpu *vcpu = v->vcpu;
	uint32_t basic = exit->reason & 0xffff;
	int r;

	v->exit_t0 = g->cfg.no_exit_times ? 0 : now_ticks();
	/* The exit happens now: the clock has run with the instructions. */
	sync_clock(g);
	flush_regs(v);
	uc_reg_read_batch(v->uc, regs, v->exit_ptrs, 4);
	vcpu->arch.regs[VCPU_REGS_RIP] = rip;
	vcpu->arch.interruptibility = vcpu_interruptibility(v);

	if (g->cfg.trace) {
		const char *name = vmx_exit_reason_name(basic);
		char num[16];

		/* A reason without a name: __print_symbolic()'s hex. */
		if (!name) {
			snprintf(num, sizeof(num), "0x%x", basic);
			name = num;
		}
		/* KVM 6.13 on: the vCPU's pending requests end the line. */
		x2s_trace("kvm_exit: vcpu %u reason %s rip 0x%llx info1 "
			  "0x%016llx info2 0x%016llx intr_info 0x%08x "
			  "error_code 0x%08x requests 0x%016llx",
			  v->idx, name, (unsigned long long)rip,
			  (unsigned long long)exit->qualification, 0ULL,
			  exit->intr_info, 0u,
			  (unsigned long long)vcpu->requests);
	}
	if (g->cfg.observe && g->cfg.observe_exits) {
		v->exit_basic = basic;
		v->exit_rip = rip;
		v->exit_qual = exit->qualification;
		observe(v, X2S_OBS_EXIT, rip);
	}
	r = x2s_vcpu_exit(g->vm, v->idx, exit, &v->res);
	if (r)
		return r;
	g->stats.exits++;
	v->exit_basic = basic;
	v->exit_rip = rip;
	v->exit_qual = exit->qualification;
	v->exit_fastpath = basic == EXIT_REASON_MSR_WRITE &&
			   v->res.fastpath != EXIT_FASTPATH_NONE;
	v->exit_pending_stat = true;
	/* The re-entry that follows sees every kick sent so far. */
	v->seen_kicks = x2s_vcpu_kicks(vcpu);
	return 0;
}

static void ipi_sent(struct guest_vcpu *v)
{
	struct x2s_guest *g = v->g;

	g->ipi_armed = true;
	g->ipi_sender = v->idx;
	g->ipi_t0 = v->exit_t0;
	g->ipi_insns0 = total_insns(g);
}

static void ipi_received(struct guest_vcpu *v)
{
	struct x2s_guest *g = v->g;
	struct x2s_guest_stats *s = &g->stats;
	uint64_t insns;

	if (!g->ipi_armed || g->ipi_sender == v->idx)
		return;
	g->ipi_armed = false;
	insns = total_insns(g) - g->ipi_insns0;
	if (!s->ipi_count || insns < s->ipi_insns_min)
		s->ipi_insns_min = insns;
	if (insns > s->ipi_insns_max)
		s->ipi_insns_max = insns;
	s->ipi_count++;
	s->ipi_insns_total += insns;
	/* Its host time ends at the entry into the handler (ipi_latency()). */
	g->ipi_landed = true;
}

/*
 * Guest memory is the runner's own buffers, mapped into every engine:
 * the runner reads and writes it directly (uc_mem_write() would walk
 * QEMU's translated-code invalidation for every store).
 */
static uint8_t *guest_ptr(const struct x2s_guest *g, uint64_t addr, size_t len)
{
	if (addr >= g->image_lo && len <= g->image_size &&
	    addr - g->image_lo <= g->image_size - len)
		return g->image + (addr - g->image_lo);
	if (addr >= X2S_GUEST_STACK_BASE && len <= g->stacks_size &&
	    addr - X2S_GUEST_STACK_BASE <= g->stacks_size - len)
		return g->stacks + (addr - X2S_GUEST_STACK_BASE);
	return NULL;
}

/* ---- event delivery, as the CPU does it in 64-bit mode ---- */

enum deliver_result { DELIVERED, BAD_GATE, NO_STACK };

/* EFER.LMA of the engine: a multiboot kernel may be in long mode or not. */
static bool vcpu_long_mode(struct guest_vcpu *v)
{
	uc_x86_msr efer = { .rid = MSR_EFER };

	if (!v->g->multiboot)
		return true;
	uc_reg_read(v->uc, UC_X86_REG_MSR, &efer);
	return efer.value & EFER_LMA;
}

/*
 * 32-bit protected mode at CPL 0 (a multiboot kernel before it enters
 * long mode): an 8-byte interrupt or trap gate whose selector is the
 * current CS (the runner does not reload CS), then EFLAGS, CS, EIP and
 * the error code pushed on the current stack.
 */
static enum deliver_result deliver_vector32(struct guest_vcpu *v,
					    uint8_t vector, bool has_error,
					    uint32_t error, const char **why)
{
	static int regs[] = { UC_X86_REG_EIP, UC_X86_REG_CS, UC_X86_REG_EFLAGS,
			      UC_X86_REG_ESP };
	uc_x86_mmr idtr = { 0 };
	uint32_t val[4] = { 0 }, frame[4], esp, eflags, handler;
	void *ptrs[4] = { &val[0], &val[1], &val[2], &val[3] };
	uint64_t rsp, rflags, rip;
	unsigned int type, n = 0;
	const uint8_t *gate;
	uint8_t *dst;

	flush_regs(v);
	uc_reg_read(v->uc, UC_X86_REG_IDTR, &idtr);
	if ((uint32_t)vector * 8 + 7 > idtr.limit) {
		*why = "beyond the IDT limit";
		return BAD_GATE;
	}
	gate = guest_ptr(v->g, (uint32_t)(idtr.base + vector * 8u), 8);
	if (!gate) {
		*why = "IDT not in guest memory";
		return BAD_GATE;
	}
	type = gate[5] & 0x1f;
	if (!(gate[5] & 0x80)) {
		*why = "gate not present";
		return BAD_GATE;
	}
	if (type != 0x0e && type != 0x0f) {
		*why = "not a 32-bit interrupt or trap gate";
		return BAD_GATE;
	}
	uc_reg_read_batch(v->uc, regs, ptrs, 4);
	if ((uint16_t)(gate[2] | gate[3] << 8) != (uint16_t)val[1]) {
		*why = "gate selector is not the current code segment";
		return BAD_GATE;
	}
	handler = (uint32_t)gate[0] | (uint32_t)gate[1] << 8 |
		  (uint32_t)gate[6] << 16 | (uint32_t)gate[7] << 24;
	/* frame[] in address order: error code (or EIP) lowest. */
	if (has_error)
		frame[n++] = error;
	frame[n++] = val[0];
	frame[n++] = (uint16_t)val[1];
	frame[n++] = val[2];
	esp = val[3] - n * 4;
	dst = guest_ptr(v->g, esp, n * 4);
	if (!dst) {
		*why = "stack not in guest memory";
		return NO_STACK;
	}
	memcpy(dst, frame, n * 4);
	eflags = val[2] &
		 ~(X86_EFLAGS_TF | X86_EFLAGS_RF | (1u << 14) | (1u << 17));
	if (type == 0x0e)
		eflags &= ~X86_EFLAGS_IF;
	rsp = esp;
	rflags = eflags;
	rip = handler;
	{
		static int wregs[] = { UC_X86_REG_RSP, UC_X86_REG_RFLAGS,
				       UC_X86_REG_RIP };
		void *const wptrs[3] = { &rsp, &rflags, &rip };

		uc_reg_write_batch(v->uc, wregs, wptrs, 3);
	}
	v->regs_cached = false;
	v->injected = true;
	v->injected_rip = rip;
	return DELIVERED;
}

static enum deliver_result deliver_vector(struct guest_vcpu *v, uint8_t vector,
					  bool has_error, uint32_t error,
					  const char **why)
{
	uc_x86_mmr idtr = { 0 };
	uint8_t gate[16], *dst;
	const uint8_t *src;
	uint64_t frame[6], rsp, rflags, handler;
	unsigned int type, n = 0;
	uint16_t sel, cs = X2S_GUEST_CS;

	if (!vcpu_long_mode(v))
		return deliver_vector32(v, vector, has_error, error, why);
	/* A multiboot kernel's gates name its own code segment. */
	if (v->g->multiboot)
		cs = (uint16_t)reg_get(v, UC_X86_REG_CS);
	uc_reg_read(v->uc, UC_X86_REG_IDTR, &idtr);
	if ((uint32_t)vector * 16 + 15 > idtr.limit) {
		*why = "beyond the IDT limit";
		return BAD_GATE;
	}
	src = guest_ptr(v->g, idtr.base + (uint64_t)vector * 16, 16);
	if (!src) {
		*why = "IDT not in guest memory";
		return BAD_GATE;
	}
	memcpy(gate, src, 16);
	type = gate[5] & 0x1f;
	if (!(gate[5] & 0x80)) {
		*why = "gate not present";
		return BAD_GATE;
	}
	if (type != 0x0e && type != 0x0f) {
		*why = "not an interrupt or trap gate";
		return BAD_GATE;
	}
	sel = (uint16_t)(gate[2] | gate[3] << 8);
	if ((sel & ~3u) != (cs & ~3u)) {
		*why = "gate selector is not the runner's code segment";
		return BAD_GATE;
	}
	/* x2sim: no TSS, so no interrupt stack table. */
	if (gate[4] & 7) {
		*why = "gate uses the IST, which the runner has no TSS for";
		return BAD_GATE;
	}
	handler = (uint64_t)gate[0] | (uint64_t)gate[1] << 8 |
		  (uint64_t)gate[6] << 16 | (uint64_t)gate[7] << 24 |
		  (uint64_t)gate[8] << 32 | (uint64_t)gate[9] << 40 |
		  (uint64_t)gate[10] << 48 | (uint64_t)gate[11] << 56;

	{
		static int regs[] = { UC_X86_REG_RIP, UC_X86_REG_CS,
				      UC_X86_REG_RFLAGS, UC_X86_REG_RSP,
				      UC_X86_REG_SS };
		uint64_t val[5] = { 0 };
		void *ptrs[5] = { &val[0], &val[1], &val[2], &val[3], &val[4] };

		if (v->regs_cached) {
			/* RIP and RFLAGS are the entry's: CS, RSP, SS. */
			static int rest[] = { UC_X86_REG_CS, UC_X86_REG_RSP,
					      UC_X86_REG_SS };
			void *rptrs[3] = { &val[1], &val[3], &val[4] };

			uc_reg_read_batch(v->uc, rest, rptrs, 3);
			val[0] = v->entry_rip;
			/* The engine keeps bit 1 set (cpu_load_eflags()). */
			val[2] = v->entry_rflags | X86_EFLAGS_FIXED;
		} else {
			uc_reg_read_batch(v->uc, regs, ptrs, 5);
		}
		/* 64-bit delivery aligns the stack, then pushes SS, RSP,
		 * RFLAGS, CS, RIP and the error code. */
		if (has_error)
			frame[n++] = error;
		for (unsigned int i = 0; i < 5; i++)
			frame[n++] = val[i];
		rflags = val[2];
		rsp = val[3];
	}
	rsp = (rsp & ~0xfULL) - n * 8;
	dst = guest_ptr(v->g, rsp, n * 8);
	if (!dst) {
		*why = "stack not in guest memory";
		return NO_STACK;
	}
	/* frame[] is in address order: error code (or RIP) lowest. */
	memcpy(dst, frame, n * 8);
	rflags &= ~(X86_EFLAGS_TF | X86_EFLAGS_RF | (1UL << 14) | (1UL << 17));
	if (type == 0x0e)
		rflags &= ~X86_EFLAGS_IF;
	{
		static int regs[] = { UC_X86_REG_RSP, UC_X86_REG_RFLAGS,
				      UC_X86_REG_RIP };
		void *const ptrs[3] = { &rsp, &rflags, &handler };

		uc_reg_write_batch(v->uc, regs, ptrs, 3);
	}
	/*
	 * That wrote the entry's RIP and RFLAGS, if pending.  Cached only
	 * outside the engine's run (a #GP from a hook is delivered while
	 * the engine goes on).
	 */
	if (v->regs_cached) {
		v->entry_rip = handler;
		v->entry_rflags = rflags;
		v->regs_dirty = false;
	}
	v->injected = true;
	v->injected_rip = handler;
	return DELIVERED;
}

/*
 * Deliver an event; a bad gate raises #GP with the IDT error code, a bad
 * #GP gate #DF, a bad #DF gate is a triple fault (an exit KVM turns into
 * KVM_EXIT_SHUTDOWN).  Returns false when the guest failed.
 */
static bool deliver_event(struct guest_vcpu *v, uint8_t vector, bool ext,
			  bool has_error, uint32_t error)
{
	uint64_t rip = 0;
	uint8_t first = vector;
	const char *why = "";

	for (int depth = 0; depth < 3; depth++) {
		enum deliver_result r;

		r = deliver_vector(v, vector, has_error, error, &why);
		if (r == DELIVERED)
			return true;
		/* A failed delivery leaves the engine's RIP as it was. */
		rip = reg_get(v, UC_X86_REG_RIP);
		if (r == NO_STACK) {
			guest_fail(v, rip, "delivering vector 0x%x: %s", vector,
				   why);
			return false;
		}
		if (depth == 0) {
			error = (uint32_t)vector << 3 | 2 | (ext ? 1 : 0);
			vector = GP_VECTOR;
		} else {
			error = 0;
			vector = DF_VECTOR;
		}
		has_error = true;
	}

	{
		struct x2s_exit exit = { .reason = EXIT_REASON_TRIPLE_FAULT };

		v->vcpu->arch.regs[VCPU_REGS_RIP] = rip;
		if (!vcpu_exit(v, &exit, rip) &&
		    v->res.status == X2S_STATUS_USERSPACE)
			v->exit_pending_stat = false;
	}
	guest_fail(v, rip,
		   "triple fault (KVM_EXIT_SHUTDOWN): vector 0x%x could not "
		   "be delivered (%s), nor #GP, nor #DF",
		   first, why);
	return false;
}

/*
 * The names KVM's kvm_inj_exception trace point gives exceptions (the
 * kvm_trace_sym_exc table of arch/x86/kvm/trace.h, as 6.18 has it: #XM to
 * #SX came with CET); any other vector is printed as a number there, and
 * here.
 */
static const char *const exc_mnemonics[32] = {
	[0] = "#DE",  [1] = "#DB",  [3] = "#BP",  [4] = "#OF",	[5] = "#BR",
	[6] = "#UD",  [7] = "#NM",  [8] = "#DF",  [10] = "#TS", [11] = "#NP",
	[12] = "#SS", [13] = "#GP", [14] = "#PF", [16] = "#MF", [17] = "#AC",
	[18] = "#MC", [19] = "#XM", [20] = "#VE", [21] = "#CP", [28] = "#HV",
	[29] = "#VC", [30] = "#SX",
};

/*
 * "kvm_inj_exception: #GP (0x0)": the error code only when the exception
 * has one.  KVM 6.x adds " [reinjected]" for an exception that was being
 * delivered when the exit came; the runner never re-injects one.
 */
static void trace_inj_exception(struct x2s_guest *g, uint8_t vector,
				bool has_error, uint32_t error)
{
	const char *name = vector < 32 ? exc_mnemonics[vector] : NULL;
	char num[8], code[16] = "";

	if (!name) {
		snprintf(num, sizeof(num), "0x%x", vector);
		name = num;
	}
	if (has_error)
		snprintf(code, sizeof(code), " (0x%x)", error);
	rtrace(g, "kvm_inj_exception: %s%s", name, code);
}

static bool inject_event(struct guest_vcpu *v, uint32_t info, uint32_t error)
{
	struct x2s_guest *g = v->g;
	uint8_t vector = info & INTR_INFO_VECTOR_MASK;
	uint32_t type = info & INTR_INFO_INTR_TYPE_MASK;

	v->injected = false;
	if (!(info & INTR_INFO_VALID_MASK))
		return true;
	switch (type) {
	case INTR_TYPE_EXT_INTR:
		rtrace(g, "kvm_inj_virq: IRQ 0x%x", vector);
		g->stats.injected_irqs++;
		ipi_received(v);
		return deliver_event(v, vector, true, false, 0);
	case INTR_TYPE_NMI_INTR:
		/* x2sim: KVM has no trace point for NMI injection. */
		rtrace(g, "kvm_inj_nmi: vcpu %u", v->idx);
		g->stats.injected_nmis++;
		ipi_received(v);
		v->nmi_blocked = true;
		return deliver_event(v, NMI_VECTOR, true, false, 0);
	case INTR_TYPE_HARD_EXCEPTION:
		trace_inj_exception(g, vector,
				    info & INTR_INFO_DELIVER_CODE_MASK, error);
		g->stats.injected_exceptions++;
		return deliver_event(v, vector, false,
				     info & INTR_INFO_DELIVER_CODE_MASK, error);
	default:
		guest_fail(v, reg_get(v, UC_X86_REG_RIP),
			   "model asked to inject event type %u, which the "
			   "runner does not deliver",
			   type >> 8);
		return false;
	}
}

/*
 * The entry after v->res: registers back into the engine, park or
 * inject.  keep_rip: the engine already completed the instruction (an
 * MMIO access), its RIP is the right one.
 */
static bool apply_entry(struct guest_vcpu *v, bool keep_rip)
{
	struct kvm_vcpu *vcpu = v->vcpu;
	uint64_t rip;

	if (v->res.status == X2S_STATUS_USERSPACE) {
		guest_fail(v, vcpu->arch.regs[VCPU_REGS_RIP],
			   "exit to userspace (KVM_EXIT_%s, reason %u) after "
			   "exit %s",
			   v->res.run_exit_reason == KVM_EXIT_INTERNAL_ERROR ?
				   "INTERNAL_ERROR" :
			   v->res.run_exit_reason == KVM_EXIT_SHUTDOWN ?
				   "SHUTDOWN" :
			   v->res.run_exit_reason == KVM_EXIT_DEBUG ? "DEBUG" :
								      "other",
			   v->res.run_exit_reason,
			   vmx_exit_reason_name(v->exit_basic) ?
				   vmx_exit_reason_name(v->exit_basic) :
				   "?");
		return false;
	}
	if (!keep_rip) {
		set_rip_rflags(v, vcpu->arch.regs[VCPU_REGS_RIP],
			       vcpu->arch.rflags);
		if (v->exit_basic == EXIT_REASON_MSR_READ ||
		    v->exit_basic == EXIT_REASON_CPUID ||
		    v->exit_basic == EXIT_REASON_VMCALL ||
		    v->exit_basic == EXIT_REASON_IO_INSTRUCTION) {
			reg_set(v, UC_X86_REG_RAX,
				vcpu->arch.regs[VCPU_REGS_RAX]);
			reg_set(v, UC_X86_REG_RDX,
				vcpu->arch.regs[VCPU_REGS_RDX]);
		}
		if (v->exit_basic == EXIT_REASON_CPUID) {
			reg_set(v, UC_X86_REG_RBX,
				vcpu->arch.regs[VCPU_REGS_RBX]);
			reg_set(v, UC_X86_REG_RCX,
				vcpu->arch.regs[VCPU_REGS_RCX]);
		}
	}
	if (v->res.status == X2S_STATUS_BLOCKED) {
		v->state = vcpu->arch.mp_state == KVM_MP_STATE_HALTED ?
				   VS_HALTED :
				   VS_WAIT_SIPI;
		v->hv_expiry = NO_EXPIRY;
		observe(v, X2S_OBS_BLOCKED, vcpu->arch.regs[VCPU_REGS_RIP]);
		return !v->g->failed;
	}
	if (!inject_event(v, v->res.entry_intr_info,
			  v->res.entry_exception_error_code))
		return false;
	/* Where the engine is: the handler, or the RIP written above. */
	rip = v->injected ? v->injected_rip :
	      keep_rip	  ? reg_get(v, UC_X86_REG_RIP) :
			    vcpu->arch.regs[VCPU_REGS_RIP];
	record_entry(v, rip);
	return !v->g->failed;
}

/*
 * Exits the CPU takes right at entry: an open interrupt / NMI window the
 * model asked for, or the kick another vCPU's IPI sent (the host IPI
 * behind kvm_vcpu_kick() arrives as an external-interrupt exit).
 */
static bool entry_exits(struct guest_vcpu *v, uint64_t *rip_out)
{
	struct kvm_vcpu *vcpu = v->vcpu;

	for (int n = 0; n < MAX_CHAINED_EXITS && v->state == VS_RUNNING; n++) {
		uint32_t ctrl =
			(uint32_t)vmcs_read(vcpu, CPU_BASED_VM_EXEC_CONTROL);
		uint64_t rip = reg_get(v, UC_X86_REG_RIP);
		struct x2s_exit exit = { 0 };
		bool shadow;

		vcpu->arch.regs[VCPU_REGS_RIP] = rip;
		shadow = vcpu_interruptibility(v) & GUEST_INTR_STATE_STI;
		/*
		 * The preemption timer at 0 (KVM's forced immediate exit, or
		 * a deadline passed) exits before any instruction runs.
		 */
		if (v->hv_expiry <= x2s_vm_clock(v->g->vm))
			exit.reason = EXIT_REASON_PREEMPTION_TIMER;
		else if (v->force_exit)
			exit.reason = EXIT_REASON_EXTERNAL_INTERRUPT;
		else if ((ctrl & CPU_BASED_NMI_WINDOW_EXITING) &&
			 !v->nmi_blocked && !shadow)
			exit.reason = EXIT_REASON_NMI_WINDOW;
		else if ((ctrl & CPU_BASED_INTR_WINDOW_EXITING) && !shadow &&
			 ((v->regs_cached ? v->entry_rflags :
					    reg_get(v, UC_X86_REG_RFLAGS)) &
			  X86_EFLAGS_IF))
			exit.reason = EXIT_REASON_INTERRUPT_WINDOW;
		else if (x2s_vcpu_kicks(vcpu) != v->seen_kicks)
			exit.reason = EXIT_REASON_EXTERNAL_INTERRUPT;
		else {
			/* No exit: the engine's RIP is still rip. */
			if (rip_out)
				*rip_out = rip;
			return true;
		}
		if (exit.reason == EXIT_REASON_EXTERNAL_INTERRUPT)
			/* x2sim: the host's reschedule vector (0xfd). */
			exit.intr_info = INTR_INFO_VALID_MASK | 0xfd;
		if (vcpu_exit(v, &exit, rip)) {
			guest_fail(v, rip, "the model rejected an exit");
			return false;
		}
		if (!apply_entry(v, false))
			return false;
	}
	if (rip_out && v->state == VS_RUNNING)
		*rip_out = reg_get(v, UC_X86_REG_RIP);
	return true;
}

/* ---- the devices behind port I/O (x2sim is the VMM) ---- */

#define PORT_UART 0x3f8
#define PORT_EXIT 0xf4
#define PORT_FW_CFG_SEL 0x510
#define PORT_FW_CFG_DATA 0x511
#define UART_LCR 3
#define UART_LSR 5
#define UART_LSR_IDLE 0x60 /* THR and transmitter empty */
#define UART_DLAB 0x80

/* fw_cfg item key, byte off: as QEMU's fw_cfg gives it, 0 past the end. */
static uint8_t fw_cfg_byte(struct x2s_guest *g, uint16_t key, uint32_t off)
{
	uint8_t item[8] = { 0 };
	uint64_t v;
	size_t len;

	switch (key) {
	case 0x0000: /* FW_CFG_SIGNATURE */
		memcpy(item, "QEMU", 4);
		len = 4;
		break;
	case 0x0001: /* FW_CFG_ID: the traditional interface */
		item[0] = 1;
		len = 4;
		break;
	case 0x0003: /* FW_CFG_RAM_SIZE: the top of the guest's memory */
		v = g->image_lo + g->image_size;
		memcpy(item, &v, 8);
		len = 8;
		break;
	case 0x0005: /* FW_CFG_NB_CPUS */
		item[0] = (uint8_t)g->nr_vcpus;
		item[1] = (uint8_t)(g->nr_vcpus >> 8);
		len = 2;
		break;
	default:
		return 0;
	}
	return off < len ? item[off] : 0;
}

/*
 * One port access, as userspace answers KVM_EXIT_IO: a 16550 console at
 * 0x3f8 (output only, always ready), the exit port 0xf4, fw_cfg's
 * selector 0x510 and data 0x511, and the legacy PIC's mask and command
 * ports and POST port 0x80, which take writes and read as if nothing is
 * there.  Anything else is a port x2sim has no device for: the run fails.
 */
static bool port_io(struct guest_vcpu *v, struct x2s_io *io, uint64_t rip)
{
	struct x2s_guest *g = v->g;
	uint16_t p = io->port;

	io->data &= io->size == 4 ? 0xffffffffu : (1u << (8 * io->size)) - 1;
	if (p >= PORT_UART && p < PORT_UART + 8) {
		unsigned int reg = p - PORT_UART;
		bool dlab = g->uart[UART_LCR] & UART_DLAB;

		if (io->size != 1) {
			guest_fail(v, rip,
				   "%u-byte access to the serial port 0x%x "
				   "(its registers are bytes)",
				   io->size, p);
			return false;
		}
		if (io->in) {
			io->data = reg == UART_LSR   ? UART_LSR_IDLE :
				   reg == 0 && !dlab ? 0 :
						       g->uart[reg];
			return true;
		}
		if (reg == 0 && !dlab) {
			char c = (char)io->data;

			g->stats.console_bytes++;
			if (g->cfg.console)
				g->cfg.console(g->cfg.console_opaque, &c, 1);
		} else if (reg != UART_LSR) {
			g->uart[reg] = (uint8_t)io->data;
		}
		return true;
	}
	switch (p) {
	case PORT_EXIT:
		if (io->in)
			break;
		g->exited = true;
		g->stats.exit_status = ((int64_t)io->data << 1) | 1;
		return true;
	case PORT_FW_CFG_SEL:
		if (io->in || io->size != 2)
			break;
		g->fw_cfg_key = (uint16_t)io->data;
		g->fw_cfg_off = 0;
		return true;
	case PORT_FW_CFG_DATA:
		if (!io->in || io->size != 1)
			break;
		io->data = fw_cfg_byte(g, g->fw_cfg_key, g->fw_cfg_off++);
		return true;
	case 0x20:
	case 0x21:
	case 0xa0:
	case 0xa1:
	case 0x80:
		if (io->in)
			io->data = p == 0x21 || p == 0xa1 ? 0xff : 0;
		return true;
	default:
		break;
	}
	guest_fail(v, rip,
		   "%s of %u byte%s %s port 0x%x, which x2sim has no device "
		   "for (docs/guest-abi.md, \"Port I/O\")",
		   io->in ? "IN" : "OUT", io->size, io->size == 1 ? "" : "s",
		   io->in ? "from" : "to", p);
	return false;
}

/*
 * IN or OUT at addr: the IO_INSTRUCTION exit, KVM_EXIT_IO to userspace
 * (x2sim), the device, and the entry that completes the instruction.
 */
static void hook_io(struct guest_vcpu *v, uint64_t addr)
{
	struct x2s_guest *g = v->g;
	const uint8_t *b = guest_ptr(g, addr, 3);
	struct x2s_exit exit = { .reason = EXIT_REASON_IO_INSTRUCTION };
	bool wide, imm, in;
	unsigned int size, port, len;
	uint8_t op;
	struct x2s_io io;

	v->stop = STOP_FAIL;
	if (!b) {
		guest_fail(v, addr, "IN/OUT outside the image");
		uc_emu_stop(v->uc);
		return;
	}
	wide = b[0] == 0x66;
	op = b[wide];
	imm = op <= 0xe7;
	in = !(op & 2);
	size = op & 1 ? (wide ? 2 : 4) : 1;
	port = imm ? b[wide + 1] :
		     (unsigned int)(reg_get(v, UC_X86_REG_RDX) & 0xffff);
	len = wide + (imm ? 2 : 1);
	exit.qualification = (size - 1) | (in ? 8u : 0) | (imm ? 64u : 0) |
			     ((uint64_t)port << 16);
	exit.insn_len = len;
	if (vcpu_exit(v, &exit, addr)) {
		guest_fail(v, addr, "the model rejected a port I/O exit");
	} else if (v->res.status == X2S_STATUS_USERSPACE &&
		   v->res.run_exit_reason == KVM_EXIT_IO &&
		   !x2s_vcpu_get_io(g->vm, v->idx, &io)) {
		if (port_io(v, &io, addr) &&
		    (!io.in || !x2s_vcpu_set_io_data(g->vm, v->idx, io.data)) &&
		    !x2s_vcpu_enter(g->vm, v->idx, &v->res)) {
			v->stop = g->exited ? STOP_FAIL : STOP_APPLY;
			v->exit_mmio = false;
		}
	} else {
		/* Another outcome (an exit to L1, an error): apply it. */
		v->stop = STOP_APPLY;
		v->exit_mmio = false;
	}
	uc_emu_stop(v->uc);
}

/* ---- Unicorn hooks ---- */

/* KVM's EFER.LMA follows the CPU's (a multiboot kernel sets it). */
static void sync_lma(struct guest_vcpu *v)
{
	if (!v->g->multiboot)
		return;
	if (vcpu_long_mode(v))
		v->vcpu->arch.efer |= EFER_LMA;
	else
		v->vcpu->arch.efer &= ~EFER_LMA;
}

/*
 * The MSRs whose value is CPU state the engine has too: FS_BASE, GS_BASE
 * and KERNEL_GS_BASE (a segment load, SWAPGS or WRFSBASE changes them
 * inside the engine) and the SYSCALL MSRs the engine's SYSCALL uses.
 * NULL: not one of them.
 */
static u64 *cpu_msr(struct kvm_vcpu *vcpu, u32 msr)
{
	switch (msr) {
	case MSR_FS_BASE:
		return &vcpu->arch.x2s_fs_base;
	case MSR_GS_BASE:
		return &vcpu->arch.x2s_gs_base;
	case MSR_KERNEL_GS_BASE:
		return &vcpu->arch.x2s_kernel_gs_base;
	case MSR_STAR:
		return &vcpu->arch.x2s_star;
	case MSR_LSTAR:
		return &vcpu->arch.x2s_lstar;
	case MSR_CSTAR:
		return &vcpu->arch.x2s_cstar;
	case MSR_SYSCALL_MASK:
		return &vcpu->arch.x2s_syscall_mask;
	default:
		return NULL;
	}
}

/*
 * Where the APIC page is for the model's APIC_BASE.  The APIC-access
 * page follows a relocated base, as KVM's MMIO emulation does
 * (apic_mmio_in_range() compares with the current base): outside RAM
 * the new page is the APIC's; where RAM (or the runner's boot page,
 * stacks, GDT) is, memory wins, as a memslot does, and the APIC is not
 * reachable.  The old page is then unmapped: an access to it ends the
 * run, as KVM's exit to userspace for MMIO no device claims would.
 */
static uint64_t apic_page_of(struct guest_vcpu *v)
{
	const struct x2s_guest *g = v->g;
	uint64_t base = v->vcpu->arch.apic_base & MSR_IA32_APICBASE_BASE;

	if (base + 0x1000 > g->image_lo && base < g->image_lo + g->image_size)
		return NO_APIC_PAGE;
	if (g->multiboot && base + 0x1000 > X2S_MB_BOOT_BASE &&
	    base < X2S_MB_BOOT_BASE + X2S_MB_BOOT_SIZE)
		return NO_APIC_PAGE;
	if (!g->multiboot && ((base + 0x1000 > X2S_GUEST_STACK_BASE &&
			       base < X2S_GUEST_STACK_BASE + g->stacks_size) ||
			      base == X2S_GUEST_GDT_BASE))
		return NO_APIC_PAGE;
	return base;
}

static uint64_t hook_mmio_read(uc_engine *uc, uint64_t offset, unsigned size,
			       void *opaque);
static void hook_mmio_write(uc_engine *uc, uint64_t offset, unsigned size,
			    uint64_t value, void *opaque);

/* Outside the engine's run: the APIC page to where APIC_BASE says. */
static bool move_apic_page(struct guest_vcpu *v)
{
	uint64_t page = apic_page_of(v);
	uc_err e = UC_ERR_OK;

	if (page == v->apic_page)
		return true;
	if (v->apic_page != NO_APIC_PAGE)
		e = uc_mem_unmap(v->uc, v->apic_page, 0x1000);
	if (!e && page != NO_APIC_PAGE)
		e = uc_mmio_map(v->uc, page, 0x1000, hook_mmio_read, v,
				hook_mmio_write, v);
	if (e) {
		guest_fail(v, reg_get(v, UC_X86_REG_RIP),
			   "moving the APIC page to 0x%llx: %s",
			   (unsigned long long)page, uc_strerror(e));
		return false;
	}
	v->apic_page = page;
	return true;
}

static void hook_msr(struct guest_vcpu *v, uint64_t addr, bool write)
{
	struct x2s_exit exit = {
		.reason = write ? EXIT_REASON_MSR_WRITE : EXIT_REASON_MSR_READ,
		.insn_len = 2,
	};
	struct kvm_vcpu *vcpu = v->vcpu;
	u64 *state;

	sync_lma(v);
	/*
	 * A read of such an MSR sees the engine's value: VMX saves it in
	 * the VMCS at the exit.  (Writes need not: the model takes the new
	 * value whole.)
	 */
	if (!write) {
		u32 msr = (u32)reg_get(v, UC_X86_REG_RCX);

		state = cpu_msr(vcpu, msr);
		if (state) {
			uc_x86_msr m = { .rid = msr };

			uc_reg_read(v->uc, UC_X86_REG_MSR, &m);
			*state = m.value;
		}
	}
	if (vcpu_exit(v, &exit, addr)) {
		guest_fail(v, addr, "the model rejected an MSR exit");
		v->stop = STOP_FAIL;
		uc_emu_stop(v->uc);
		return;
	}
	/*
	 * The EFER the model took goes into the engine: LME is what makes
	 * the guest's CR0.PG write enter long mode (Unicorn ignores LMA).
	 */
	if (write && (u32)vcpu->arch.regs[VCPU_REGS_RCX] == MSR_EFER) {
		uc_x86_msr efer = { .rid = MSR_EFER, .value = vcpu->arch.efer };

		uc_reg_write(v->uc, UC_X86_REG_MSR, &efer);
	}
	/* A value the model took goes into the engine (not after a #GP). */
	if (write) {
		u32 msr = (u32)vcpu->arch.regs[VCPU_REGS_RCX];

		state = cpu_msr(vcpu, msr);
		if (state && *state == kvm_read_edx_eax(vcpu)) {
			uc_x86_msr m = { .rid = msr, .value = *state };

			uc_reg_write(v->uc, UC_X86_REG_MSR, &m);
		}
	}
	if (write && (u32)vcpu->arch.regs[VCPU_REGS_RCX] == MSR_X2APIC_ICR)
		ipi_sent(v);
	/*
	 * The common case stays inside the engine: back into the guest at
	 * the next instruction with nothing to inject and no window open.
	 * A moved APIC_BASE is not: its page moves outside the engine.
	 */
	if (v->res.status == X2S_STATUS_GUEST &&
	    !(write &&
	      (u32)vcpu->arch.regs[VCPU_REGS_RCX] == MSR_IA32_APICBASE &&
	      apic_page_of(v) != v->apic_page) &&
	    !(v->res.entry_intr_info & INTR_INFO_VALID_MASK) &&
	    !(vmcs_read(vcpu, CPU_BASED_VM_EXEC_CONTROL) & WINDOW_BITS)) {
		if (!write) {
			reg_set(v, UC_X86_REG_RAX,
				vcpu->arch.regs[VCPU_REGS_RAX]);
			reg_set(v, UC_X86_REG_RDX,
				vcpu->arch.regs[VCPU_REGS_RDX]);
		}
		record_entry(v, vcpu->arch.regs[VCPU_REGS_RIP]);
		/*
		 * Unicorn 2.0.1 (QEMU 5.0) executes WRMSR to the x2APIC range
		 * as a no-op, so after the exit it may simply run the
		 * instruction and go on: cheaper than writing RIP, which
		 * restarts its CPU loop.  Other MSRs can change emulated CPU
		 * state (EFER, FS_BASE...) and RDMSR would load a value, so
		 * those resume at the model's RIP past the instruction.
		 */
		if (write && vcpu->arch.regs[VCPU_REGS_RIP] == addr + 2 &&
		    ((u32)vcpu->arch.regs[VCPU_REGS_RCX] & ~0xffu) == 0x800)
			return;
		reg_set(v, UC_X86_REG_RIP, vcpu->arch.regs[VCPU_REGS_RIP]);
		return;
	}
	v->stop = STOP_APPLY;
	v->exit_mmio = false;
	uc_emu_stop(v->uc);
}

/*
 * An AP's trampoline runs in real mode until it sets CR0.PE.  x2sim: the
 * runner's exits take RIP as the linear address, which real mode's CS
 * base breaks, so an exit instruction there ends the run (a trampoline
 * needs none before it enters protected mode).
 */
static bool left_real_mode(struct guest_vcpu *v, uint64_t addr)
{
	if (reg_get(v, UC_X86_REG_CR0) & 1) { /* CR0.PE */
		v->real_mode = false;
		return true;
	}
	guest_fail(v, addr,
		   "an exit instruction in real mode (at this linear address), "
		   "which x2sim does not model; the AP trampoline must enter "
		   "protected mode first");
	v->stop = STOP_FAIL;
	uc_emu_stop(v->uc);
	return false;
}

/*
 * MOV to / from CR8 in 64-bit mode, as with KVM's TPR shadow: no exit,
 * the CPU reads and writes TPR[7:4] in the virtual-APIC page (which is
 * the model's APIC page); a reserved bit is the CPU's #GP.  When the
 * lower TPR lets a pending interrupt through, the CPU takes the
 * trap-like TPR_BELOW_THRESHOLD exit after the MOV.  In 32-bit code the
 * bytes are INC/DEC and a MOV of CR0: not a site.
 */
static void hook_cr8(struct guest_vcpu *v, uint64_t addr)
{
	static const int gprs[16] = {
		UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
		UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
		UC_X86_REG_R8,	UC_X86_REG_R9,	UC_X86_REG_R10, UC_X86_REG_R11,
		UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
	};
	const uint8_t *b = guest_ptr(v->g, addr, 4);
	struct kvm_vcpu *vcpu = v->vcpu;
	struct x2s_exit exit = { .reason = EXIT_REASON_TPR_BELOW_THRESHOLD };
	int reg;
	uint64_t val;

	if (!b || !vcpu_long_mode(v))
		return;
	reg = gprs[(b[3] & 7) | (b[0] & 1) << 3];
	if (b[2] == 0x20) {
		reg_set(v, reg, kvm_lapic_get_cr8(vcpu));
		reg_set(v, UC_X86_REG_RIP, addr + 4);
		return;
	}
	val = reg_get(v, reg);
	if (val & ~0xfULL) {
		if (!deliver_event(v, GP_VECTOR, false, true, 0)) {
			v->stop = STOP_FAIL;
			uc_emu_stop(v->uc);
		}
		return;
	}
	kvm_lapic_set_tpr(vcpu, val);
	if (!kvm_test_request(KVM_REQ_EVENT, vcpu)) {
		reg_set(v, UC_X86_REG_RIP, addr + 4);
		return;
	}
	/*
	 * The entry puts RIP past the MOV (writing it here would restart
	 * Unicorn's loop and lose the stop).
	 */
	if (vcpu_exit(v, &exit, addr + 4)) {
		guest_fail(v, addr,
			   "the model rejected a TPR-below-threshold "
			   "exit");
		v->stop = STOP_FAIL;
	} else {
		v->stop = STOP_APPLY;
		v->exit_mmio = false;
	}
	uc_emu_stop(v->uc);
}

/*
 * An instruction that always exits and that the model answers whole
 * (CPUID, VMCALL): the exit, then the entry applies what it left.
 */
static void answered_exit(struct guest_vcpu *v, uc_engine *uc, uint64_t addr,
			  u32 reason, u32 len, const char *what)
{
	struct x2s_exit exit = { .reason = reason, .insn_len = len };

	if (vcpu_exit(v, &exit, addr)) {
		guest_fail(v, addr, "the model rejected %s", what);
		v->stop = STOP_FAIL;
	} else {
		v->stop = STOP_APPLY;
		v->exit_mmio = false;
	}
	uc_emu_stop(uc);
}

/*
 * An instruction at one of the sites (hook_code() below): the exit, or
 * what the runner tracks.  Out of line, so that the code hook, which
 * runs for every instruction, stays small.
 */
static __attribute__((noinline)) void hook_site(uc_engine *uc, uint64_t addr,
						uint32_t size,
						struct guest_vcpu *v,
						uint8_t site)
{
	struct x2s_guest *g = v->g;
	uint32_t ctrl;

	if (v->real_mode && !left_real_mode(v, addr))
		return;
	switch (site) {
	case SITE_NONE:
		return;
	case SITE_WRMSR:
		hook_msr(v, addr, true);
		return;
	case SITE_RDMSR:
		hook_msr(v, addr, false);
		return;
	case SITE_HLT:
		v->stop = STOP_HLT;
		v->stop_rip = addr;
		uc_emu_stop(uc);
		return;
	case SITE_IRET:
		/* IRET ends NMI blocking (SDM 26.1.3 / 6.7.1). */
		v->nmi_blocked = false;
		break;
	case SITE_IO:
		hook_io(v, addr);
		return;
	case SITE_CPUID:
		/* CPUID always exits: the model answers (src/vmx/cpuid.c). */
		answered_exit(v, uc, addr, EXIT_REASON_CPUID, 2,
			      "a CPUID exit");
		return;
	case SITE_CR8:
		hook_cr8(v, addr);
		return;
	case SITE_VMCALL:
		/* A hypercall: KVM answers it (the arguments RBX, RSI too). */
		sync_lma(v);
		v->vcpu->arch.regs[VCPU_REGS_RBX] = reg_get(v, UC_X86_REG_RBX);
		v->vcpu->arch.regs[VCPU_REGS_RSI] = reg_get(v, UC_X86_REG_RSI);
		answered_exit(v, uc, addr, EXIT_REASON_VMCALL, 3,
			      "a VMCALL exit");
		return;
	case SITE_RDTSC: {
		/* RDTSC does not exit: the guest reads the model's TSC. */
		uint64_t tsc;

		sync_clock(g);
		tsc = kvm_read_l1_tsc(v->vcpu, x2s_rdtsc(v->vcpu->kvm));
		reg_set(v, UC_X86_REG_RAX, (uint32_t)tsc);
		reg_set(v, UC_X86_REG_RDX, tsc >> 32);
		reg_set(v, UC_X86_REG_RIP, addr + 2);
		observe(v, X2S_OBS_RDTSC, addr + 2);
		return;
	}
	case SITE_STI:
		if (!(reg_get(v, UC_X86_REG_RFLAGS) & X86_EFLAGS_IF)) {
			v->shadow_insns = v->insns;
			v->shadow_rip = addr + size;
		}
		break;
	default:
		break;
	}
	/*
	 * STI / POPF / IRET can open a window the model waits for: stop
	 * after this one instruction so the window exit comes right then.
	 */
	ctrl = (uint32_t)vmcs_read(v->vcpu, CPU_BASED_VM_EXEC_CONTROL);
	if (ctrl & WINDOW_BITS)
		v->limit = v->insns;
}

static void hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct guest_vcpu *v = opaque;
	const struct x2s_guest *g = v->g;
	uint64_t off = addr - g->image_lo;

	if (__builtin_expect(v->stop != STOP_NONE, 0)) {
		/*
		 * A stop asked for in a hook that then wrote RIP (which
		 * restarts Unicorn's CPU loop) is asked for again.
		 */
		if (v->stop == STOP_FAIL)
			uc_emu_stop(uc);
		return;
	}
	if (__builtin_expect(v->insns >= v->limit, 0)) {
		uc_emu_stop(uc);
		return;
	}
	v->insns++;
	v->insn_size = size;
	if (off < g->image_size && g->sites[off] != SITE_NONE)
		hook_site(uc, addr, size, v, g->sites[off]);
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *opaque)
{
	struct guest_vcpu *v = opaque;

	if (v->stop == STOP_NONE) {
		v->stop = STOP_FAULT;
		v->fault_vector = (int)intno;
	}
	uc_emu_stop(uc);
}

static uint64_t hook_mmio(struct guest_vcpu *v, uint64_t offset,
			  unsigned int size, bool write, uint64_t value)
{
	struct x2s_exit exit = {
		.reason = EXIT_REASON_APIC_ACCESS,
		.qualification = (offset & APIC_ACCESS_OFFSET) |
				 (write ? TYPE_LINEAR_APIC_INST_WRITE :
					  TYPE_LINEAR_APIC_INST_READ),
		/*
		 * x2sim: Unicorn completes the access itself, so the model
		 * must not move RIP (length 0); the read value is what the
		 * model's emulation loads into RAX.
		 */
		.insn_len = 0,
		.mmio_data = value,
		.mmio_len = (uint8_t)size,
	};
	struct kvm_vcpu *vcpu = v->vcpu;
	uint64_t rip = reg_get(v, UC_X86_REG_RIP);
	uint64_t rax;

	if (v->stop != STOP_NONE)
		return 0;
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		guest_fail(v, rip, "APIC page access of %u bytes", size);
		v->stop = STOP_FAIL;
		uc_emu_stop(v->uc);
		return 0;
	}
	if (vcpu_exit(v, &exit, rip)) {
		guest_fail(v, rip, "the model rejected an APIC_ACCESS exit");
		v->stop = STOP_FAIL;
		uc_emu_stop(v->uc);
		return 0;
	}
	rax = vcpu->arch.regs[VCPU_REGS_RAX];
	v->obs_mmio = write ? X2S_OBS_MMIO_WRITE : X2S_OBS_MMIO_READ;
	v->obs_mmio_value = write ? value : rax;
	if (write && (offset & 0xff0) == APIC_ICR_LOW)
		ipi_sent(v);
	if (v->res.status == X2S_STATUS_GUEST &&
	    !(v->res.entry_intr_info & INTR_INFO_VALID_MASK) &&
	    !(vmcs_read(vcpu, CPU_BASED_VM_EXEC_CONTROL) & WINDOW_BITS)) {
		record_entry(v, rip);
		return rax;
	}
	/* The rest of the translation block may run before the stop. */
	v->stop = STOP_APPLY;
	v->exit_mmio = true;
	v->mmio_rip = rip;
	uc_emu_stop(v->uc);
	return rax;
}

static uint64_t hook_mmio_read(uc_engine *uc, uint64_t offset, unsigned size,
			       void *opaque)
{
	return hook_mmio(opaque, offset, size, false, 0);
}

static void hook_mmio_write(uc_engine *uc, uint64_t offset, unsigned size,
			    uint64_t value, void *opaque)
{
	hook_mmio(opaque, offset, size, true, value);
}

/* ---- set-up ---- */

static void scan_bytes(uint8_t *kind, const uint8_t *p, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++) {
		uint8_t next = i + 1 < len ? p[i + 1] : 0;

		/* REX with R, MOV to / from CR, ModRM 11 000 rrr: CR8 */
		if ((p[i] & 0xf4) == 0x44 && next == 0x0f && i + 3 < len &&
		    (p[i + 2] == 0x20 || p[i + 2] == 0x22) &&
		    (p[i + 3] & 0xf8) == 0xc0)
			kind[i] = SITE_CR8;
		else if (p[i] == 0x0f && next == 0x30)
			kind[i] = SITE_WRMSR;
		else if (p[i] == 0x0f && next == 0x31)
			kind[i] = SITE_RDTSC;
		else if (p[i] == 0x0f && next == 0xa2)
			kind[i] = SITE_CPUID;
		else if (p[i] == 0x0f && next == 0x01 && i + 2 < len &&
			 p[i + 2] == 0xc1)
			kind[i] = SITE_VMCALL;
		else if ((p[i] >= 0xe4 && p[i] <= 0xe7) ||
			 (p[i] >= 0xec && p[i] <= 0xef) ||
			 (p[i] == 0x66 && (next == 0xe5 || next == 0xe7 ||
					   next == 0xed || next == 0xef)))
			kind[i] = SITE_IO;
		else if (p[i] == 0x0f && next == 0x32)
			kind[i] = SITE_RDMSR;
		else if (p[i] == 0xf4)
			kind[i] = SITE_HLT;
		else if (p[i] == 0xfb)
			kind[i] = SITE_STI;
		else if (p[i] == 0x9d)
			kind[i] = SITE_POPF;
		else if ((p[i] == 0x48 && next == 0xcf) || p[i] == 0xcf)
			kind[i] = SITE_IRET;
		else
			kind[i] = SITE_NONE;
	}
}

static void scan_sites(struct x2s_guest *g, const struct x2s_guest_segment *s)
{
	scan_bytes(g->sites + (s->vaddr - g->image_lo), s->data, s->filesz);
}

/*
 * Code the guest put in RAM at run time (an AP's trampoline): its sites
 * from the bytes as they are now.
 */
static void scan_range(struct x2s_guest *g, uint64_t addr, uint64_t len)
{
	if (addr < g->image_lo || addr - g->image_lo >= g->image_size)
		return;
	if (len > g->image_size - (addr - g->image_lo))
		len = g->image_size - (addr - g->image_lo);
	scan_bytes(g->sites + (addr - g->image_lo),
		   g->image + (addr - g->image_lo), len);
}

/* ---- the multiboot machine ---- */

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/*
 * The boot page above RAM (X2S_MB_BOOT_BASE): page tables identity-mapping
 * the 2 MiB around it, the GDT (0x08 flat 32-bit code, 0x10 flat data,
 * 0x18 and 0x20 16-bit code and data) and the code that takes a fresh
 * Unicorn engine from its 64-bit reset state to where a vCPU starts.
 * Unicorn 2.0.1 loads no descriptor for a CS, DS, ES or SS written with
 * uc_reg_write() in UC_MODE_64 (only the selector), and its reset state
 * has EFER.LMA set with paging off, which only a CR0.PG 1 -> 0 transition
 * clears.  So the engine starts here with CR0.PG, CR4.PAE and CR3 written
 * (no transition happens on a register write), and the code clears CR0.PG
 * (leaving long mode) and zeroes EFER, CR4 and CR3.  Then, for the BSP,
 * it far-jumps to 0x08 and loads the data segments: the CPU is what the
 * multiboot specification describes.  For an AP's SIPI it far-jumps to
 * the 16-bit segment 0x18 (based at the boot page's 64 KiB), loads 16-bit
 * data segments, clears CR0.PE, zeroes DS, ES, SS, FS and GS in real mode
 * and far-jumps to vector << 8 : 0 -- what SIPI gives an AP: CS.selector
 * vector << 8, CS.base vector << 12, IP 0, real mode.
 */
#define BOOT_PDPT 0x1000
#define BOOT_PD 0x2000
#define BOOT_GDT 0x3000
#define BOOT_CODE 0x3100
#define BOOT_CS16 0x18
#define BOOT_DS16 0x20
#define BOOT_CS16_BASE (X2S_MB_BOOT_BASE & ~0xffffULL)

/* mov ax, sel; mov ds, es, ss, fs, gs (prefix 0x66 in 32-bit code) */
static unsigned int emit_data_segments(uint8_t *c, bool code32, uint8_t sel)
{
	unsigned int n = 0;

	if (code32)
		c[n++] = 0x66;
	c[n++] = 0xb8, c[n++] = sel, c[n++] = 0;
	c[n++] = 0x8e, c[n++] = 0xd8, c[n++] = 0x8e, c[n++] = 0xc0;
	c[n++] = 0x8e, c[n++] = 0xd0, c[n++] = 0x8e, c[n++] = 0xe0;
	c[n++] = 0x8e, c[n++] = 0xe8;
	return n;
}

/*
 * The boot code for the BSP (sipi_vector < 0) or for an AP started by
 * SIPI; returns the address where the engine is to stop: the end of the
 * code, or the real-mode start vector << 12.
 */
static uint64_t build_boot_page(uint8_t *b, int sipi_vector)
{
	static const uint64_t gdt[5] = {
		0,
		0x00cf9b000000ffffULL,
		0x00cf93000000ffffULL,
		/* 16-bit code, base BOOT_CS16_BASE, limit 0xffff */
		0x00009b000000ffffULL | (BOOT_CS16_BASE & 0xff000000) << 32 |
			(BOOT_CS16_BASE & 0xff0000) << 16,
		/* 16-bit data, base 0, limit 0xffff */
		0x000093000000ffffULL,
	};
	uint64_t base = X2S_MB_BOOT_BASE;
	uint32_t next;
	uint8_t *c = b + BOOT_CODE;
	unsigned int n = 0;

	/* Present, writable, accessed (and dirty): no A/D write-backs. */
	put64(b, (base + BOOT_PDPT) | 0x23);
	put64(b + BOOT_PDPT + 8 * ((base >> 30) & 511),
	      (base + BOOT_PD) | 0x23);
	put64(b + BOOT_PD + 8 * ((base >> 21) & 511),
	      (base & ~0x1fffffULL) | 0xe3);
	memcpy(b + BOOT_GDT, gdt, sizeof(gdt));
	/* 64-bit: mov eax, CR0.PE | CR0.ET; mov cr0, rax (leaves long mode) */
	c[n++] = 0xb8;
	put32(c + n, 0x11);
	n += 4;
	c[n++] = 0x0f, c[n++] = 0x22, c[n++] = 0xc0;
	/* 32-bit: mov ecx, MSR_EFER; xor eax, eax; xor edx, edx; wrmsr */
	c[n++] = 0xb9;
	put32(c + n, MSR_EFER);
	n += 4;
	c[n++] = 0x31, c[n++] = 0xc0, c[n++] = 0x31, c[n++] = 0xd2;
	c[n++] = 0x0f, c[n++] = 0x30;
	/* mov cr4, eax; mov cr3, eax */
	c[n++] = 0x0f, c[n++] = 0x22, c[n++] = 0xe0;
	c[n++] = 0x0f, c[n++] = 0x22, c[n++] = 0xd8;
	if (sipi_vector < 0) {
		/* ljmp $0x08, $next */
		next = (uint32_t)(base + BOOT_CODE + n + 7);
		c[n++] = 0xea;
		put32(c + n, next);
		n += 4;
		c[n++] = X2S_MB_CS, c[n++] = 0;
		n += emit_data_segments(c + n, true, X2S_MB_DS);
		return base + BOOT_CODE + n;
	}
	/* ljmp $0x18, $next: 16-bit protected mode */
	next = (uint32_t)(base + BOOT_CODE + n + 7 - BOOT_CS16_BASE);
	c[n++] = 0xea;
	put32(c + n, next);
	n += 4;
	c[n++] = BOOT_CS16, c[n++] = 0;
	n += emit_data_segments(c + n, false, BOOT_DS16);
	/* mov eax, cr0; and al, ~CR0.PE; mov cr0, eax: real mode */
	c[n++] = 0x0f, c[n++] = 0x20, c[n++] = 0xc0;
	c[n++] = 0x24, c[n++] = 0xfe;
	c[n++] = 0x0f, c[n++] = 0x22, c[n++] = 0xc0;
	/* xor ax, ax; the data segments 0 (base 0) */
	n += emit_data_segments(c + n, false, 0);
	/* ljmp $(vector << 8), $0 */
	c[n++] = 0xea, c[n++] = 0, c[n++] = 0;
	c[n++] = 0, c[n++] = (uint8_t)sipi_vector;
	return (uint64_t)sipi_vector << 12;
}

/*
 * The multiboot information structure at X2S_MB_INFO_ADDR: memory sizes,
 * no modules, the command line, a two-entry memory map.
 */
static void build_multiboot_info(struct x2s_guest *g)
{
	uint8_t *mbi = g->image + X2S_MB_INFO_ADDR;
	uint8_t *map = mbi + 0x80;
	const char *cmdline = g->cfg.cmdline ? g->cfg.cmdline : "";
	size_t len = strlen(cmdline);

	if (len > X2S_MB_CMDLINE_MAX - 1)
		len = X2S_MB_CMDLINE_MAX - 1;
	/* flags: mem_* (0), cmdline (2), mods (3), mmap (6) */
	put32(mbi, 1u << 0 | 1u << 2 | 1u << 3 | 1u << 6);
	put32(mbi + 4, 640);
	put32(mbi + 8, (uint32_t)((g->image_size - X2S_MB_LOAD_MIN) >> 10));
	put32(mbi + 16, (uint32_t)X2S_MB_CMDLINE_ADDR);
	put32(mbi + 20, 0);
	put32(mbi + 24, 0);
	put32(mbi + 44, 2 * 24);
	put32(mbi + 48, (uint32_t)(X2S_MB_INFO_ADDR + 0x80));
	/* size (20), base, length, type 1 (available) */
	put32(map, 20);
	put64(map + 4, 0);
	put64(map + 12, 0x9fc00);
	put32(map + 20, 1);
	put32(map + 24, 20);
	put64(map + 28, X2S_MB_LOAD_MIN);
	put64(map + 36, g->image_size - X2S_MB_LOAD_MIN);
	put32(map + 44, 1);
	memcpy(g->image + X2S_MB_CMDLINE_ADDR, cmdline, len);
	g->image[X2S_MB_CMDLINE_ADDR + len] = 0;
}

/* RAM from 0, the kernel's segments in it, the boot information. */
static int map_multiboot(struct x2s_guest *g, const struct x2s_guest_image *img,
			 char *err, size_t errlen)
{
	uint64_t mem = g->cfg.mem_size ? g->cfg.mem_size : X2S_MB_MEM_DEFAULT;
	unsigned int n = x2s_guest_image_nr_segments(img);

	if (mem < X2S_MB_MEM_MIN || mem > X2S_MB_MEM_MAX || (mem & 0xfff)) {
		snprintf(err, errlen,
			 "RAM size 0x%llx: need a multiple of 4 KiB from "
			 "2 MiB to 3 GiB",
			 (unsigned long long)mem);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct x2s_guest_segment *s =
			x2s_guest_image_segment(img, i);

		if (s->vaddr + s->memsz > mem) {
			snprintf(err, errlen,
				 "segment 0x%llx+0x%llx is outside RAM "
				 "[0, 0x%llx) (--mem)",
				 (unsigned long long)s->vaddr,
				 (unsigned long long)s->memsz,
				 (unsigned long long)mem);
			return -ERANGE;
		}
	}
	g->image_lo = 0;
	g->image_size = mem;
	g->image = mmap(NULL, mem, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	g->sites = g->image == MAP_FAILED ?
			   NULL :
			   mmap(NULL, mem, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
				0);
	g->boot = mmap(NULL, X2S_MB_BOOT_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->image == MAP_FAILED || g->sites == MAP_FAILED ||
	    g->boot == MAP_FAILED) {
		if (g->sites == MAP_FAILED)
			g->sites = NULL;
		snprintf(err, errlen, "out of memory for guest memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct x2s_guest_segment *s =
			x2s_guest_image_segment(img, i);

		memcpy(g->image + s->vaddr, s->data, s->filesz);
		if (s->exec)
			scan_sites(g, s);
	}
	build_boot_page(g->boot, -1);
	build_multiboot_info(g);
	return 0;
}

static int map_memory(struct x2s_guest *g, const struct x2s_guest_image *img,
		      char *err, size_t errlen)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	unsigned int n = x2s_guest_image_nr_segments(img);

	for (unsigned int i = 0; i < n; i++) {
		const struct x2s_guest_segment *s =
			x2s_guest_image_segment(img, i);

		if (s->vaddr < lo)
			lo = s->vaddr;
		if (s->vaddr + s->memsz > hi)
			hi = s->vaddr + s->memsz;
	}
	lo &= ~0xfffULL;
	hi = (hi + 0xfff) & ~0xfffULL;
	if (hi - lo > (256ULL << 20)) {
		snprintf(err, errlen,
			 "image spans 0x%llx bytes; at most 256 MiB supported",
			 (unsigned long long)(hi - lo));
		return -E2BIG;
	}
	g->image_lo = lo;
	g->image_size = hi - lo;
	g->image = mmap(NULL, g->image_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g->sites = calloc(g->image_size, 1);
	g->stacks_size = X2S_GUEST_STACK_SIZE * g->nr_vcpus;
	g->stacks = mmap(NULL, g->stacks_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g->gdt = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->image == MAP_FAILED || g->stacks == MAP_FAILED ||
	    g->gdt == MAP_FAILED || !g->sites) {
		snprintf(err, errlen, "out of memory for guest memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct x2s_guest_segment *s =
			x2s_guest_image_segment(img, i);

		memcpy(g->image + (s->vaddr - lo), s->data, s->filesz);
		if (s->exec)
			scan_sites(g, s);
	}
	{
		/* Null, 64-bit code (0x08), flat data (0x10). */
		static const uint64_t gdt[3] = { 0, 0x00af9b000000ffffULL,
						 0x00cf93000000ffffULL };

		memcpy(g->gdt, gdt, sizeof(gdt));
	}
	return 0;
}

static int vcpu_engine_create(struct x2s_guest *g, struct guest_vcpu *v,
			      char *err, size_t errlen);

/*
 * A multiboot BSP starts in 32-bit protected mode (build_boot_page()):
 * EIP = rip, flat segments, EFLAGS 0x2, paging off, EAX = the multiboot
 * magic and EBX = the boot information.  An AP starts where SIPI puts
 * it, rip = vector << 12: real mode, CS = vector << 8 (base rip), IP 0,
 * the other segments 0, GDTR and IDTR base 0 limit 0xffff, EDX = CPUID
 * 1's EAX as after INIT, the rest 0.  An engine that ran before (an AP
 * that received INIT) is created afresh, since the boot code needs
 * Unicorn's reset state.
 */
static bool vcpu_reset_multiboot(struct guest_vcpu *v, uint64_t rip)
{
	static const int gprs[] = {
		UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX,
		UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP,
		UC_X86_REG_R8,	UC_X86_REG_R9,	UC_X86_REG_R10, UC_X86_REG_R11,
		UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
	};
	struct x2s_guest *g = v->g;
	uc_x86_mmr gdtr = { .base = X2S_MB_BOOT_BASE + BOOT_GDT, .limit = 39 };
	uc_x86_mmr idtr = { 0 };
	uint64_t end = X2S_MB_BOOT_BASE + BOOT_CODE, at;
	char err[128];
	uc_err e;

	if (v->started) {
		/* A new engine: what was pending for the old one is moot. */
		v->regs_cached = false;
		v->regs_dirty = false;
		uc_close(v->uc);
		v->uc = NULL;
		if (vcpu_engine_create(g, v, err, sizeof(err))) {
			guest_fail(v, rip, "restarting the engine: %s", err);
			return false;
		}
	}
	end = build_boot_page(g->boot, v->idx ? (int)(rip >> 12) : -1);
	uc_reg_write(v->uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_write(v->uc, UC_X86_REG_IDTR, &idtr);
	reg_set(v, UC_X86_REG_CR4, 0x20); /* PAE */
	reg_set(v, UC_X86_REG_CR3, X2S_MB_BOOT_BASE);
	reg_set(v, UC_X86_REG_CR0, 0x80000011); /* PG, ET, PE */
	v->stop = STOP_SETUP;
	uncache_regs(v);
	e = uc_emu_start(v->uc, X2S_MB_BOOT_BASE + BOOT_CODE, end, 0, 0);
	v->stop = STOP_NONE;
	/* In real mode RIP is the offset in CS: 0 at the SIPI vector. */
	at = reg_get(v, UC_X86_REG_RIP);
	if (e || at != (v->idx ? 0 : end)) {
		guest_fail(v, rip,
			   "the boot code did not reach %s (stopped at 0x%llx: "
			   "%s)",
			   v->idx ? "the SIPI vector in real mode" :
				    "32-bit protected mode",
			   (unsigned long long)at, uc_strerror(e));
		return false;
	}
	for (unsigned int i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++)
		reg_set(v, gprs[i], 0);
	if (!v->idx && !v->started) {
		reg_set(v, UC_X86_REG_RAX, X2S_MB_BOOT_MAGIC);
		reg_set(v, UC_X86_REG_RBX, X2S_MB_INFO_ADDR);
	}
	reg_set(v, UC_X86_REG_RFLAGS, X86_EFLAGS_FIXED);
	v->real_mode = v->idx != 0;
	if (v->real_mode) {
		uc_x86_mmr reset = { .base = 0, .limit = 0xffff };
		u32 eax = 1, ebx, ecx = 0, edx;

		uc_reg_write(v->uc, UC_X86_REG_GDTR, &reset);
		uc_reg_write(v->uc, UC_X86_REG_IDTR, &reset);
		/* kvm_vcpu_reset(): EDX = family, model, stepping. */
		kvm_cpuid(v->vcpu, &eax, &ebx, &ecx, &edx, false);
		reg_set(v, UC_X86_REG_RDX, eax);
		/* The trampoline's bytes are scanned for exit sites now. */
		scan_range(g, rip, 0x1000);
	} else {
		reg_set(v, UC_X86_REG_RIP, rip);
	}
	v->vcpu->arch.efer = 0;
	v->nmi_blocked = false;
	v->shadow_rip = 0;
	v->started = true;
	return true;
}

static void vcpu_reset_regs(struct guest_vcpu *v, uint64_t rip)
{
	uc_x86_mmr gdtr = { .base = X2S_GUEST_GDT_BASE, .limit = 23 };
	uc_x86_mmr idtr = { 0 };
	uint64_t stack_top =
		X2S_GUEST_STACK_BASE + X2S_GUEST_STACK_SIZE * (v->idx + 1);
	static const int gprs[] = {
		UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX,
		UC_X86_REG_RSI, UC_X86_REG_RBP, UC_X86_REG_R8,	UC_X86_REG_R9,
		UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13,
		UC_X86_REG_R14, UC_X86_REG_R15,
	};

	if (v->g->multiboot) {
		vcpu_reset_multiboot(v, rip);
		return;
	}
	uncache_regs(v);
	uc_reg_write(v->uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_write(v->uc, UC_X86_REG_IDTR, &idtr);
	/* The 64-bit mode Unicorn starts in: EFER.LME and LMA. */
	v->vcpu->arch.efer = EFER_LME | EFER_LMA;
	reg_set(v, UC_X86_REG_CS, X2S_GUEST_CS);
	reg_set(v, UC_X86_REG_SS, X2S_GUEST_DS);
	reg_set(v, UC_X86_REG_DS, X2S_GUEST_DS);
	reg_set(v, UC_X86_REG_ES, X2S_GUEST_DS);
	for (unsigned int i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++)
		reg_set(v, gprs[i], 0);
	reg_set(v, UC_X86_REG_RDI, v->idx);
	reg_set(v, UC_X86_REG_RSI, v->g->nr_vcpus);
	reg_set(v, UC_X86_REG_RSP, stack_top);
	reg_set(v, UC_X86_REG_RFLAGS, X86_EFLAGS_FIXED);
	reg_set(v, UC_X86_REG_RIP, rip);
	v->nmi_blocked = false;
	v->shadow_rip = 0;
	v->started = true;
}

static int vcpu_engine_create(struct x2s_guest *g, struct guest_vcpu *v,
			      char *err, size_t errlen)
{
	uc_hook h;
	uc_err e;

	v->hv_expiry = NO_EXPIRY;
	e = uc_open(UC_ARCH_X86, UC_MODE_64, &v->uc);
	if (!e)
		e = uc_mem_map_ptr(v->uc, g->image_lo, g->image_size,
				   UC_PROT_ALL, g->image);
	if (!e && g->multiboot)
		e = uc_mem_map_ptr(v->uc, X2S_MB_BOOT_BASE, X2S_MB_BOOT_SIZE,
				   UC_PROT_READ | UC_PROT_EXEC, g->boot);
	if (!e && !g->multiboot)
		e = uc_mem_map_ptr(v->uc, X2S_GUEST_STACK_BASE, g->stacks_size,
				   UC_PROT_READ | UC_PROT_WRITE, g->stacks);
	if (!e && !g->multiboot)
		e = uc_mem_map_ptr(v->uc, X2S_GUEST_GDT_BASE, 0x1000,
				   UC_PROT_READ | UC_PROT_WRITE, g->gdt);
	if (!e)
		e = v->apic_page == NO_APIC_PAGE ?
			    UC_ERR_OK :
			    uc_mmio_map(v->uc, v->apic_page, 0x1000,
					hook_mmio_read, v, hook_mmio_write, v);
	if (!e)
		e = uc_hook_add(v->uc, &h, UC_HOOK_CODE, hook_code, v, 1, 0);
	if (!e)
		e = uc_hook_add(v->uc, &h, UC_HOOK_INTR, hook_intr, v, 1, 0);
	if (e) {
		snprintf(err, errlen, "unicorn: vcpu %u: %s", v->idx,
			 uc_strerror(e));
		return -ENOMEM;
	}
	return 0;
}

int x2s_guest_create(const struct x2s_guest_image *img,
		     const struct x2s_guest_config *cfg, struct x2s_guest **out,
		     char *err, size_t errlen)
{
	struct x2s_vm_config vmcfg;
	struct x2s_guest *g;
	int r;

	if (!img || !cfg || !out)
		return -EINVAL;
	*out = NULL;
	if (!cfg->nr_vcpus || cfg->nr_vcpus > X2S_GUEST_MAX_VCPUS) {
		snprintf(err, errlen, "vcpus must be 1..%d",
			 X2S_GUEST_MAX_VCPUS);
		return -EINVAL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->cfg = *cfg;
	g->nr_vcpus = cfg->nr_vcpus;
	if (!g->cfg.max_insns)
		g->cfg.max_insns = X2S_GUEST_DEFAULT_MAX_INSNS;
	if (!g->cfg.timeout_ms)
		g->cfg.timeout_ms = X2S_GUEST_DEFAULT_TIMEOUT_MS;
	if (!g->cfg.slice)
		g->cfg.slice = X2S_GUEST_DEFAULT_SLICE;
	g->image = MAP_FAILED;
	g->stacks = MAP_FAILED;
	g->gdt = MAP_FAILED;
	g->boot = MAP_FAILED;
	g->multiboot = x2s_guest_image_kind(img) == X2S_GUEST_MULTIBOOT;
	g->entry = x2s_guest_image_entry(img);

	x2s_vm_config_init(&vmcfg, g->nr_vcpus);
	vmcfg.preemption_timer = !cfg->no_preemption_timer;
	/* The CPU model (--cpu): the CPUID table KVM is given. */
	vmcfg.cpuid_no_x2apic = cfg->cpu_no_x2apic;
	vmcfg.cpuid_no_tsc_deadline = cfg->cpu_no_tsc_deadline;
	vmcfg.maxphyaddr = cfg->phys_bits;
	if (cfg->phys_bits && (cfg->phys_bits < X2S_GUEST_PHYS_BITS_MIN ||
			       cfg->phys_bits > X2S_GUEST_PHYS_BITS_MAX)) {
		snprintf(err, errlen, "phys-bits %u: must be 32 to 52",
			 cfg->phys_bits);
		r = -EINVAL;
		goto fail;
	}
	if (g->multiboot) {
		/* A PC's APICs come out of reset in xAPIC mode (below). */
		vmcfg.apic_mode = X2S_APIC_MODE_XAPIC;
	} else if (cfg->cpu_no_x2apic) {
		snprintf(err, errlen,
			 "an ELF64 guest starts in x2APIC mode, which needs "
			 "CPUID's x2APIC bit (--cpu -x2apic is for multiboot "
			 "kernels)");
		r = -EINVAL;
		goto fail;
	}
	r = x2s_vm_create(&vmcfg, &g->vm);
	if (r) {
		snprintf(err, errlen, "cannot create the VM: %s",
			 x2s_strerror(r));
		goto fail;
	}
	/*
	 * A multiboot machine's local APICs come out of reset as a PC's do:
	 * xAPIC mode at 0xfee00000, software-disabled (SVR 0xff).
	 */
	for (unsigned int i = 0; g->multiboot && i < g->nr_vcpus; i++) {
		if (x2s_vcpu_set_apic_mode(g->vm, i, X2S_APIC_MODE_XAPIC) ||
		    x2s_vcpu_set_sw_enabled(g->vm, i, false)) {
			snprintf(err, errlen, "cannot reset the local APICs");
			r = -EIO;
			goto fail;
		}
	}
	/* --fastpath NAME installs the variant as KVM's own hook. */
	to_kvm_vmx(x2s_vm_kvm(g->vm))->fastpath = cfg->fastpath;

	r = g->multiboot ? map_multiboot(g, img, err, errlen) :
			   map_memory(g, img, err, errlen);
	if (r)
		goto fail;
	g->vcpus = calloc(g->nr_vcpus, sizeof(*g->vcpus));
	if (!g->vcpus) {
		r = -ENOMEM;
		goto fail;
	}
	g->rss_before = rss_bytes();
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		struct guest_vcpu *v = &g->vcpus[i];

		v->g = g;
		v->idx = i;
		v->vcpu = x2s_vm_vcpu(g->vm, i);
		_Static_assert(sizeof(v->vcpu->arch.regs[0]) == 8 &&
				       sizeof(v->vcpu->arch.rflags) == 8,
			       "the batch read stores 8 bytes per register");
		v->exit_ptrs[0] = &v->vcpu->arch.regs[VCPU_REGS_RAX];
		v->exit_ptrs[1] = &v->vcpu->arch.regs[VCPU_REGS_RCX];
		v->exit_ptrs[2] = &v->vcpu->arch.regs[VCPU_REGS_RDX];
		v->exit_ptrs[3] = &v->vcpu->arch.rflags;
		v->apic_page = X2S_GUEST_APIC_BASE;
		r = vcpu_engine_create(g, v, err, errlen);
		if (r)
			goto fail;
		/* A multiboot machine's APs wait for INIT and SIPI. */
		if (i && (cfg->ap_wait_sipi || g->multiboot)) {
			/* APs wait for INIT, then SIPI (KVM's UNINITIALIZED). */
			x2s_vcpu_set_mp_state(g->vm, i,
					      KVM_MP_STATE_UNINITIALIZED);
			v->state = VS_WAIT_SIPI;
		} else {
			vcpu_reset_regs(v, x2s_guest_image_entry(img));
			v->state = VS_RUNNING;
			if (g->failed) {
				snprintf(err, errlen, "%s", g->error);
				r = -EIO;
				goto fail;
			}
		}
	}
	*out = g;
	return 0;
fail:
	x2s_guest_destroy(g);
	return r;
}

void x2s_guest_destroy(struct x2s_guest *g)
{
	if (!g)
		return;
	for (unsigned int i = 0; g->vcpus && i < g->nr_vcpus; i++)
		if (g->vcpus[i].uc)
			uc_close(g->vcpus[i].uc);
	free(g->vcpus);
	if (g->image != MAP_FAILED)
		munmap(g->image, g->image_size);
	if (g->stacks != MAP_FAILED)
		munmap(g->stacks, g->stacks_size);
	if (g->gdt != MAP_FAILED)
		munmap(g->gdt, 0x1000);
	if (g->boot != MAP_FAILED)
		munmap(g->boot, X2S_MB_BOOT_SIZE);
	if (g->multiboot && g->sites)
		munmap(g->sites, g->image_size);
	else
		free(g->sites);
	if (g->vm)
		x2s_vm_destroy(g->vm);
	free(g);
}

/* ---- scheduling ---- */

static const char *vector_name(int vector)
{
	static const char *const names[] = {
		"#DE", "#DB",  "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
		"#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF",
	};

	if (vector >= 0 && vector < (int)(sizeof(names) / sizeof(names[0])))
		return names[vector];
	return "interrupt";
}

/* One scheduling turn of a running vCPU: at most cfg.slice instructions. */
static void run_turn(struct guest_vcpu *v)
{
	struct x2s_guest *g = v->g;
	uint64_t used = total_insns(g), rip = 0;
	uc_err e;

	if (!entry_exits(v, &rip) || v->state != VS_RUNNING)
		return;
	if (used >= g->cfg.max_insns) {
		guest_fail(v, rip,
			   "instruction budget of %llu exhausted (a guest "
			   "that never stops?)",
			   (unsigned long long)g->cfg.max_insns);
		return;
	}
	if (v->limit <= v->insns)
		v->limit = v->insns + g->cfg.slice;
	/* In an STI shadow with a window open: one step, then the exit. */
	v->vcpu->arch.regs[VCPU_REGS_RIP] = rip;
	if ((vcpu_interruptibility(v) & GUEST_INTR_STATE_STI) &&
	    (vmcs_read(v->vcpu, CPU_BASED_VM_EXEC_CONTROL) & WINDOW_BITS))
		v->limit = v->insns + 1;
	if (v->limit - v->insns > g->cfg.max_insns - used)
		v->limit = v->insns + (g->cfg.max_insns - used);
	bound_turn(v);
	v->stop = STOP_NONE;
	uncache_regs(v);
	e = uc_emu_start(v->uc, rip, 0, 0, 0);
	/* A HLT stop has its RIP in stop_rip. */
	rip = v->stop == STOP_HLT ? v->stop_rip : reg_get(v, UC_X86_REG_RIP);
	switch (v->stop) {
	case STOP_SETUP: /* not while the guest runs */
	case STOP_FAIL:
		return;
	case STOP_FAULT:
		guest_fail(v, rip,
			   "the guest raised %s (vector %d); x2sim does not "
			   "deliver exceptions the guest code itself raises",
			   vector_name(v->fault_vector), v->fault_vector);
		return;
	case STOP_HLT: {
		struct x2s_exit exit = {
			.reason = EXIT_REASON_HLT,
			.insn_len = 1,
		};

		if (vcpu_exit(v, &exit, v->stop_rip)) {
			guest_fail(v, v->stop_rip, "the model rejected HLT");
			return;
		}
		apply_entry(v, false);
		return;
	}
	case STOP_APPLY:
		/*
		 * Unicorn 2.0.1 may stop right after the access with RIP still
		 * at the instruction that made it, which has completed: the
		 * entry resumes after it (found with a 32-bit kernel's MOV to
		 * the ICR while the model waits for an interrupt window).
		 */
		if (v->exit_mmio && rip == v->mmio_rip)
			reg_set(v, UC_X86_REG_RIP, rip + v->insn_size);
		if (move_apic_page(v))
			apply_entry(v, v->exit_mmio);
		return;
	case STOP_NONE:
		break;
	}
	if (e != UC_ERR_OK) {
		guest_fail(v, rip, "guest fault: %s%s", uc_strerror(e),
			   e == UC_ERR_INSN_INVALID ? " (#UD)" : "");
		return;
	}
	/* Time has passed: timers that fell due fire now. */
	sync_clock(g);
	if (v->state == VS_RUNNING && v->hv_expiry <= x2s_vm_clock(g->vm))
		entry_exits(v, NULL);
}

/* A halted or waiting vCPU: KVM's vcpu_run() would block it or enter. */
static bool try_wake(struct guest_vcpu *v)
{
	struct x2s_guest *g = v->g;
	struct kvm_vcpu *vcpu = v->vcpu;
	bool was_waiting = v->state == VS_WAIT_SIPI;
	uint64_t rip;
	int r;

	r = x2s_vcpu_enter(g->vm, v->idx, &v->res);
	if (r) {
		guest_fail(v, vcpu->arch.regs[VCPU_REGS_RIP],
			   "the model could not enter: %s", x2s_strerror(r));
		return false;
	}
	if (v->res.status == X2S_STATUS_BLOCKED) {
		v->state = vcpu->arch.mp_state == KVM_MP_STATE_HALTED ?
				   VS_HALTED :
				   VS_WAIT_SIPI;
		return false;
	}
	if (v->res.status == X2S_STATUS_USERSPACE) {
		apply_entry(v, false);
		return false;
	}
	rip = vcpu->arch.regs[VCPU_REGS_RIP];
	if (was_waiting) {
		/*
		 * x2sim: SIPI starts the AP at vector << 12 already in 64-bit
		 * mode with the entry ABI, not in real mode.
		 */
		vcpu_reset_regs(v, rip);
		if (v->g->failed)
			return false;
		vcpu->arch.rflags = X86_EFLAGS_FIXED;
		v->exit_pending_stat = false;
	} else {
		set_rip_rflags(v, rip, vcpu->arch.rflags);
	}
	v->state = VS_RUNNING;
	v->seen_kicks = x2s_vcpu_kicks(vcpu);
	v->obs_wake = true;
	if (!inject_event(v, v->res.entry_intr_info,
			  v->res.entry_exception_error_code))
		return false;
	/* The SIPI start's RIP is the engine's (CS-relative in real mode). */
	record_entry(v, v->injected ? v->injected_rip :
			was_waiting ? reg_get(v, UC_X86_REG_RIP) :
				      rip);
	return !g->failed;
}

static void scale_stat(struct x2s_exit_stat *s, double f)
{
	s->total_ns = (uint64_t)(s->total_ns * f);
	s->min_ns = (uint64_t)(s->min_ns * f);
	s->max_ns = (uint64_t)(s->max_ns * f);
	s->sumsq_ns *= f * f;
}

static void finish_stats(struct x2s_guest *g, uint64_t t0, uint64_t tsc0,
			 uint64_t cpu0)
{
	struct x2s_guest_stats *st = &g->stats;
	uint64_t rss = rss_bytes();
	uint64_t ticks = now_ticks() - tsc0;
	double f;

	g->stats.run_ns = now_ns() - t0;
	g->stats.cpu_ns = cpu_ns() - cpu0;
	f = ticks ? (double)g->stats.run_ns / (double)ticks : 1.0;
	for (unsigned int i = 0; i < X2S_GUEST_NR_REASONS; i++)
		scale_stat(&st->reason[i], f);
	scale_stat(&st->msr_write_fastpath, f);
	scale_stat(&st->msr_write_slow, f);
	st->ipi_ns_total = (uint64_t)(st->ipi_ns_total * f);
	st->ipi_ns_min = (uint64_t)(st->ipi_ns_min * f);
	st->ipi_ns_max = (uint64_t)(st->ipi_ns_max * f);
	g->stats.insns = total_insns(g);
	g->stats.engine_bytes_per_vcpu =
		rss > g->rss_before ? (rss - g->rss_before) / g->nr_vcpus : 0;
	g->stats.warns = x2s_warn_count();
	g->stats.first_warn = x2s_warn_first();
}

/*
 * The host time budget.  Reading the clock every scheduling round was
 * about 2% of a ping-pong run (docs/guest.md), so it is read every
 * `stride` rounds: the stride doubles, up to 64, while reads come
 * less than 0.25 ms apart and halves when they come more than 1 ms
 * apart.  A run stops at most a few of its slowest rounds late.
 */
struct budget {
	uint64_t deadline, last;
	unsigned int stride, left;
};

static void budget_init(struct budget *b, uint64_t t0, uint64_t ms)
{
	b->deadline = t0 + ms * 1000000ULL;
	b->last = t0;
	b->stride = b->left = 1;
}

static bool budget_spent(struct budget *b)
{
	uint64_t now;

	if (--b->left)
		return false;
	now = now_ns();
	if (now - b->last < 250000 && b->stride < 64)
		b->stride *= 2;
	else if (now - b->last > 1000000 && b->stride > 1)
		b->stride /= 2;
	b->last = now;
	b->left = b->stride;
	return now > b->deadline;
}

int x2s_guest_run(struct x2s_guest *g)
{
	uint64_t t0, tsc0, cpu0;
	struct budget budget;
	unsigned int idle_jumps = 0;

	if (!g)
		return -EINVAL;
	t0 = now_ns();
	tsc0 = now_ticks();
	cpu0 = cpu_ns();
	budget_init(&budget, t0, g->cfg.timeout_ms);
	x2s_warn_reset();
	g->stats.exit_status = -1;
	if (g->cfg.trace)
		x2s_set_trace(runner_trace_sink, g);
	for (;;) {
		bool ran = false;

		for (unsigned int i = 0;
		     i < g->nr_vcpus && !g->failed && !g->exited; i++) {
			struct guest_vcpu *v = &g->vcpus[i];

			g->current = v;
			if (v->state != VS_RUNNING && !try_wake(v))
				continue;
			if (g->failed)
				break;
			run_turn(v);
			ran = true;
		}
		if (g->failed || g->exited)
			break;
		if (!ran) {
			uint64_t next, now = x2s_vm_clock(g->vm);

			/*
			 * Everyone waits: time jumps to the next timer.  A
			 * timer that wakes nobody (LVTT masked) would do so
			 * forever: after MAX_IDLE_JUMPS the run ends as a
			 * deadlock, below.
			 */
			if (++idle_jumps > MAX_IDLE_JUMPS ||
			    x2s_vm_next_timer(g->vm, &next) || next < now)
				break;
			g->idle_ns += next - now;
			sync_clock(g);
			continue;
		}
		idle_jumps = 0;
		if (budget_spent(&budget)) {
			struct guest_vcpu *v = g->current;

			guest_fail(v, reg_get(v, UC_X86_REG_RIP),
				   "time budget of %llu ms exhausted",
				   (unsigned long long)g->cfg.timeout_ms);
			break;
		}
	}
	/*
	 * Nothing can run: every halted vCPU must have finished (IF = 0),
	 * unless the guest ended the run through the exit port.
	 */
	for (unsigned int i = 0; i < g->nr_vcpus && !g->failed && !g->exited;
	     i++) {
		struct guest_vcpu *v = &g->vcpus[i];

		if (v->state == VS_HALTED &&
		    (v->vcpu->arch.rflags & X86_EFLAGS_IF))
			guest_fail(v, v->vcpu->arch.regs[VCPU_REGS_RIP],
				   "halted with interrupts enabled and nothing "
				   "left that could wake it (deadlock)");
	}
	g->current = NULL;
	/* The engines hold what the entries left, as after every entry. */
	for (unsigned int i = 0; i < g->nr_vcpus; i++)
		flush_regs(&g->vcpus[i]);
	if (g->cfg.trace)
		x2s_set_trace(NULL, NULL);
	finish_stats(g, t0, tsc0, cpu0);
	return g->failed ? 1 : 0;
}

void x2s_guest_set_console(struct x2s_guest *g,
			   void (*console)(void *opaque, const char *buf,
					   size_t len),
			   void *opaque)
{
	g->cfg.console = console;
	g->cfg.console_opaque = opaque;
}

const char *x2s_guest_error(const struct x2s_guest *g)
{
	return g->failed ? g->error : NULL;
}

const struct x2s_guest_stats *x2s_guest_get_stats(const struct x2s_guest *g)
{
	return &g->stats;
}

struct x2s_vm *x2s_guest_vm(struct x2s_guest *g)
{
	return g->vm;
}

int x2s_guest_write(struct x2s_guest *g, uint64_t addr, const void *buf,
		    size_t len)
{
	uint8_t *p = guest_ptr(g, addr, len);

	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}

int x2s_guest_read(const struct x2s_guest *g, uint64_t addr, void *buf,
		   size_t len)
{
	const uint8_t *p = guest_ptr(g, addr, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

int x2s_guest_regs(struct x2s_guest *g, unsigned int vcpu,
		   uint64_t regs[X2S_GUEST_NR_REGS])
{
	static int ids[] = {
		UC_X86_REG_RAX, UC_X86_REG_RBX,	   UC_X86_REG_RCX,
		UC_X86_REG_RDX, UC_X86_REG_RSI,	   UC_X86_REG_RDI,
		UC_X86_REG_RBP, UC_X86_REG_RSP,	   UC_X86_REG_R8,
		UC_X86_REG_R9,	UC_X86_REG_R10,	   UC_X86_REG_R11,
		UC_X86_REG_R12, UC_X86_REG_R13,	   UC_X86_REG_R14,
		UC_X86_REG_R15, UC_X86_REG_RFLAGS, UC_X86_REG_CR0,
		UC_X86_REG_CR3, UC_X86_REG_CR4,
	};
	static int segs[] = { UC_X86_REG_CS, UC_X86_REG_SS };
	void *ptrs[X2S_GUEST_NR_REGS];
	uc_x86_msr efer = { .rid = MSR_EFER };
	uc_engine *uc;

	if (vcpu >= g->nr_vcpus || !g->vcpus[vcpu].uc)
		return -EINVAL;
	flush_regs(&g->vcpus[vcpu]);
	uc = g->vcpus[vcpu].uc;
	for (unsigned int i = 0; i < X2S_GUEST_NR_REGS; i++) {
		regs[i] = 0;
		ptrs[i] = &regs[i];
	}
	uc_reg_read_batch(uc, ids, ptrs, X2S_GREG_EFER);
	uc_reg_read_batch(uc, segs, ptrs + X2S_GREG_CS, 2);
	uc_reg_read(uc, UC_X86_REG_MSR, &efer);
	regs[X2S_GREG_EFER] = efer.value;
	return 0;
}

bool x2s_guest_region(const struct x2s_guest *g, unsigned int i, uint64_t *addr,
		      const uint8_t **mem, uint64_t *len)
{
	if (i == 0) {
		*addr = g->image_lo;
		*mem = g->image;
		*len = g->image_size;
		return true;
	}
	if (i == 1 && !g->multiboot) {
		*addr = X2S_GUEST_STACK_BASE;
		*mem = g->stacks;
		*len = g->stacks_size;
		return true;
	}
	return false;
}
