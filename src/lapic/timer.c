// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: the LAPIC timer as KVM emulates it (arch/x86/kvm/lapic.c): the
 * one-shot, periodic and TSC-deadline modes, TMICT/TMCCT/TDCR, the
 * TSC-deadline MSR, expiry raising the LVTT vector, and KVM's choice
 * between the hv timer (the VMX preemption timer) and the sw timer (an
 * hrtimer).
 *
 * Time is the VM's clock (kvm->arch.x2s_clock, in ns), which moves only
 * when x2s_vm_advance_clock() moves it: every run is reproducible.  The
 * host TSC counts that clock at X2S_HOST_TSC_KHZ; a guest TSC runs at
 * vcpu->arch.virtual_tsc_khz from l1_tsc_offset.  lapic_timer_advance is
 * off (timer_advance_ns 0), as with KVM's lapic_timer_advance=0.
 */
#include <errno.h>

#include "lapic/lapic.h"
#include "vmx/vmx.h"

#define APIC_LVT_TIMER_ONESHOT (0u << 17)
#define APIC_LVT_TIMER_PERIODIC (1u << 17)
#define APIC_LVT_TIMER_TSCDEADLINE (2u << 17)

/* KVM's min_timer_period_us module parameter, at its default. */
#define X2S_MIN_TIMER_PERIOD_US 200

/* ---- the clock ---- */

static ktime_t ktime_get(const struct kvm *kvm)
{
	return kvm->arch.x2s_clock;
}

static u64 mul_div(u64 a, u64 mul, u64 div)
{
	return (u64)((unsigned __int128)a * mul / div);
}

/*
 * ktime_t arithmetic wraps, as the kernel's does (it is built with
 * -fno-strict-overflow): a guest's far TSC deadline must not become
 * undefined behaviour in the model.
 */
static ktime_t ktime_add_ns(ktime_t kt, u64 ns)
{
	return (ktime_t)((u64)kt + ns);
}

static ktime_t ktime_sub(ktime_t a, ktime_t b)
{
	return (ktime_t)((u64)a - (u64)b);
}

u64 x2s_rdtsc(const struct kvm *kvm)
{
	return mul_div((u64)ktime_get(kvm), X2S_HOST_TSC_KHZ, 1000000);
}

u64 kvm_read_l1_tsc(struct kvm_vcpu *vcpu, u64 host_tsc)
{
	return mul_div(host_tsc, vcpu->arch.virtual_tsc_khz, X2S_HOST_TSC_KHZ) +
	       vcpu->arch.l1_tsc_offset;
}

static u64 nsec_to_cycles(struct kvm_vcpu *vcpu, u64 nsec)
{
	return mul_div(nsec, vcpu->arch.virtual_tsc_khz, 1000000);
}

/* ---- hrtimers on the VM's clock ---- */

static void hrtimer_start(struct hrtimer *t, ktime_t expires)
{
	/*
	 * The hrtimer core programs a negative absolute expiry as 0: it
	 * fires as soon as the clock moves.
	 */
	t->expires = expires < 0 ? 0 : expires;
	t->queued = true;
}

static void hrtimer_cancel(struct hrtimer *t)
{
	t->queued = false;
}

/* ---- modes ---- */

static u32 apic_lvtt_mode(struct kvm_lapic *apic)
{
	return apic->lapic_timer.timer_mode;
}

bool apic_lvtt_oneshot(struct kvm_lapic *apic)
{
	return apic_lvtt_mode(apic) == APIC_LVT_TIMER_ONESHOT;
}

bool apic_lvtt_period(struct kvm_lapic *apic)
{
	return apic_lvtt_mode(apic) == APIC_LVT_TIMER_PERIODIC;
}

bool apic_lvtt_tscdeadline(struct kvm_lapic *apic)
{
	return apic_lvtt_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE;
}

static bool lapic_is_periodic(struct kvm_lapic *apic)
{
	return apic_lvtt_period(apic);
}

/* ---- the hv timer (VMX preemption timer) ---- */

bool kvm_can_use_hv_timer(struct kvm_vcpu *vcpu)
{
	/*
	 * x2sim: mwait and hlt are intercepted and timer interrupts are
	 * never posted (pi_inject_timer off), so the preemption timer's
	 * presence decides.
	 */
	return vcpu->kvm->arch.preemption_timer;
}

/* vmx_set_hv_timer(): 0, or -ERANGE when the delta cannot be armed. */
static int vmx_set_hv_timer(struct kvm_vcpu *vcpu, u64 guest_deadline_tsc,
			    bool *expired)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct kvm_timer *ktimer = &vcpu->arch.apic->lapic_timer;
	u64 tscl = x2s_rdtsc(vcpu->kvm);
	u64 guest_tscl = kvm_read_l1_tsc(vcpu, tscl);
	u64 delta_tsc, advance;

	delta_tsc = (guest_deadline_tsc > guest_tscl ? guest_deadline_tsc :
						       guest_tscl) -
		    guest_tscl;
	advance = nsec_to_cycles(vcpu, ktimer->timer_advance_ns);
	delta_tsc = delta_tsc > advance ? delta_tsc - advance : 0;
	/* Guest cycles to host cycles when the rates differ. */
	if (vcpu->arch.virtual_tsc_khz != X2S_HOST_TSC_KHZ && delta_tsc) {
		unsigned __int128 d = (unsigned __int128)delta_tsc *
				      X2S_HOST_TSC_KHZ /
				      vcpu->arch.virtual_tsc_khz;

		if (d >> 64)
			return -ERANGE;
		delta_tsc = (u64)d;
	}
	/* The 32-bit preemption timer counts host TSC >> multi. */
	if (delta_tsc >> (X2S_PREEMPTION_TIMER_MULTI + 32))
		return -ERANGE;
	vmx->hv_deadline_tsc = tscl + delta_tsc;
	*expired = !delta_tsc;
	return 0;
}

static void vmx_cancel_hv_timer(struct kvm_vcpu *vcpu)
{
	to_vmx(vcpu)->hv_deadline_tsc = (u64)-1;
}

void vmx_update_hv_timer(struct kvm_vcpu *vcpu, bool force_immediate_exit)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u64 tscl;

	if (force_immediate_exit) {
		vmcs_write32(vcpu, VMX_PREEMPTION_TIMER_VALUE, 0);
		vmx->loaded_vmcs->hv_timer_soft_disabled = false;
	} else if (vmx->hv_deadline_tsc != (u64)-1) {
		tscl = x2s_rdtsc(vcpu->kvm);
		vmcs_write32(vcpu, VMX_PREEMPTION_TIMER_VALUE,
			     vmx->hv_deadline_tsc > tscl ?
				     (u32)((vmx->hv_deadline_tsc - tscl) >>
					   X2S_PREEMPTION_TIMER_MULTI) :
				     0);
		vmx->loaded_vmcs->hv_timer_soft_disabled = false;
	} else if (!vmx->loaded_vmcs->hv_timer_soft_disabled) {
		vmcs_write32(vcpu, VMX_PREEMPTION_TIMER_VALUE, (u32)-1);
		vmx->loaded_vmcs->hv_timer_soft_disabled = true;
	}
}

/* ---- expiry ---- */

static bool apic_lvt_enabled(struct kvm_lapic *apic, int lvt_type)
{
	return !(kvm_lapic_get_reg(apic, lvt_type) & APIC_LVT_MASKED);
}

int apic_has_pending_timer(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (kvm_apic_hw_enabled(apic) && kvm_apic_sw_enabled(apic) &&
	    apic_lvt_enabled(apic, APIC_LVTT))
		return atomic_read(&apic->lapic_timer.pending);
	return 0;
}

static void kvm_apic_inject_pending_timer_irqs(struct kvm_lapic *apic)
{
	struct kvm_timer *ktimer = &apic->lapic_timer;

	kvm_apic_local_deliver(apic, APIC_LVTT);
	if (apic_lvtt_tscdeadline(apic)) {
		ktimer->tscdeadline = 0;
	} else if (apic_lvtt_oneshot(apic)) {
		ktimer->tscdeadline = 0;
		ktimer->target_expiration = 0;
	}
}

/*
 * from_timer_fn: the sw timer fired (the vCPU may be anywhere); else the
 * vCPU's own thread found it expired.  x2sim: vcpu->wants_to_run is true
 * whenever the model runs the vCPU's exit or entry, and interrupts are
 * never posted for a timer.
 */
static void apic_timer_expired(struct kvm_lapic *apic, bool from_timer_fn)
{
	struct kvm_vcpu *vcpu = apic->vcpu;
	struct kvm_timer *ktimer = &apic->lapic_timer;

	if (atomic_read(&ktimer->pending))
		return;
	if (apic_lvtt_tscdeadline(apic) || ktimer->hv_timer_in_use)
		ktimer->expired_tscdeadline = ktimer->tscdeadline;
	if (!from_timer_fn && apic->apicv_active) {
		kvm_apic_inject_pending_timer_irqs(apic);
		return;
	}
	atomic_inc(&ktimer->pending);
	kvm_make_request(KVM_REQ_UNBLOCK, vcpu);
	if (from_timer_fn)
		kvm_vcpu_kick(vcpu);
}

void kvm_inject_apic_timer_irqs(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (atomic_read(&apic->lapic_timer.pending) > 0) {
		kvm_apic_inject_pending_timer_irqs(apic);
		atomic_set(&apic->lapic_timer.pending, 0);
	}
}

/* ---- starting and stopping ---- */

void update_divide_count(struct kvm_lapic *apic)
{
	u32 tdcr = kvm_lapic_get_reg(apic, APIC_TDCR) & 0xf;
	/* TDCR bits 3, 1:0 encode divide-by 2^(n+1); 0b111 is by 1. */
	u32 n = ((tdcr & 0x3) | ((tdcr & 0x8) >> 1)) + 1;

	apic->divide_count = 1u << (n & 0x7);
}

static void limit_periodic_timer_frequency(struct kvm_lapic *apic)
{
	/* KVM's floor on guest periodic timers (and its one-time notice). */
	if (apic_lvtt_period(apic) && apic->lapic_timer.period &&
	    apic->lapic_timer.period < X2S_MIN_TIMER_PERIOD_US * 1000LL)
		apic->lapic_timer.period = X2S_MIN_TIMER_PERIOD_US * 1000LL;
}

static void cancel_hv_timer(struct kvm_lapic *apic)
{
	WARN_ON(!apic->lapic_timer.hv_timer_in_use);
	vmx_cancel_hv_timer(apic->vcpu);
	apic->lapic_timer.hv_timer_in_use = false;
}

void cancel_apic_timer(struct kvm_lapic *apic)
{
	hrtimer_cancel(&apic->lapic_timer.timer);
	if (apic->lapic_timer.hv_timer_in_use)
		cancel_hv_timer(apic);
	atomic_set(&apic->lapic_timer.pending, 0);
}

void apic_update_lvtt(struct kvm_lapic *apic)
{
	u32 timer_mode = kvm_lapic_get_reg(apic, APIC_LVTT) &
			 apic->lapic_timer.timer_mode_mask;

	if (apic->lapic_timer.timer_mode == timer_mode)
		return;
	/* Into or out of TSC-deadline mode: the timer stops. */
	if (apic_lvtt_tscdeadline(apic) !=
	    (timer_mode == APIC_LVT_TIMER_TSCDEADLINE)) {
		cancel_apic_timer(apic);
		kvm_lapic_set_reg(apic, APIC_TMICT, 0);
		apic->lapic_timer.period = 0;
		apic->lapic_timer.tscdeadline = 0;
	}
	apic->lapic_timer.timer_mode = timer_mode;
	limit_periodic_timer_frequency(apic);
}

static void start_sw_tscdeadline(struct kvm_lapic *apic)
{
	struct kvm_timer *ktimer = &apic->lapic_timer;
	struct kvm_vcpu *vcpu = apic->vcpu;
	u64 tscdeadline = ktimer->tscdeadline, guest_tsc, ns;
	u32 khz = vcpu->arch.virtual_tsc_khz;
	ktime_t now;

	if (!tscdeadline || !khz)
		return;
	now = ktime_get(vcpu->kvm);
	guest_tsc = kvm_read_l1_tsc(vcpu, x2s_rdtsc(vcpu->kvm));
	/*
	 * KVM multiplies in 64 bits: a deadline more than 2^64 / 10^6
	 * cycles away wraps to a nearer expiry.
	 */
	ns = (tscdeadline - guest_tsc) * 1000000ull / khz;
	if (tscdeadline > guest_tsc && ns > ktimer->timer_advance_ns)
		hrtimer_start(&ktimer->timer,
			      ktime_add_ns(now, ns - ktimer->timer_advance_ns));
	else
		apic_timer_expired(apic, false);
}

static u64 tmict_to_ns(struct kvm_lapic *apic, u32 tmict)
{
	return (u64)tmict * apic->vcpu->kvm->arch.apic_bus_cycle_ns *
	       apic->divide_count;
}

/* A new divisor: the time left scales with it. */
static void update_target_expiration(struct kvm_lapic *apic, u32 old_divisor)
{
	struct kvm_timer *ktimer = &apic->lapic_timer;
	ktime_t now = ktime_get(apic->vcpu->kvm);
	s64 remaining;
	u64 old_ns, new_ns;

	ktimer->period =
		(s64)tmict_to_ns(apic, kvm_lapic_get_reg(apic, APIC_TMICT));
	limit_periodic_timer_frequency(apic);
	remaining = ktime_sub(ktimer->target_expiration, now);
	old_ns = remaining < 0 ? 0 : (u64)remaining;
	new_ns = mul_div(old_ns, apic->divide_count, old_divisor);
	ktimer->tscdeadline += nsec_to_cycles(apic->vcpu, new_ns) -
			       nsec_to_cycles(apic->vcpu, old_ns);
	ktimer->target_expiration = ktime_add_ns(now, new_ns);
}

/*
 * One-shot and periodic: the period from TMICT, the expiry count_reg's
 * count from now (TMCCT when a saved state restarts the timer).  False
 * when TMICT is 0: nothing runs.
 */
static bool set_target_expiration(struct kvm_lapic *apic, u32 count_reg)
{
	struct kvm_timer *ktimer = &apic->lapic_timer;
	ktime_t now = ktime_get(apic->vcpu->kvm);
	u64 tscl = x2s_rdtsc(apic->vcpu->kvm);
	s64 deadline;

	ktimer->period =
		(s64)tmict_to_ns(apic, kvm_lapic_get_reg(apic, APIC_TMICT));
	if (!ktimer->period) {
		ktimer->tscdeadline = 0;
		return false;
	}
	limit_periodic_timer_frequency(apic);
	deadline = ktimer->period;
	if (count_reg != APIC_TMICT) {
		deadline = (s64)tmict_to_ns(apic,
					    kvm_lapic_get_reg(apic, count_reg));
		if (deadline <= 0) {
			deadline = apic_lvtt_period(apic) ? ktimer->period : 0;
		} else if (deadline > ktimer->period) {
			/* KVM notes it (rate-limited) and uses TMICT. */
			kvm_lapic_set_reg(apic, count_reg, 0);
			deadline = ktimer->period;
		}
	}
	ktimer->tscdeadline = kvm_read_l1_tsc(apic->vcpu, tscl) +
			      nsec_to_cycles(apic->vcpu, (u64)deadline);
	ktimer->target_expiration = ktime_add_ns(now, (u64)deadline);
	return true;
}

static void advance_periodic_target_expiration(struct kvm_lapic *apic)
{
	struct kvm_timer *ktimer = &apic->lapic_timer;
	ktime_t now = ktime_get(apic->vcpu->kvm);
	u64 tscl = x2s_rdtsc(apic->vcpu->kvm);

	ktimer->target_expiration =
		ktime_add_ns(ktimer->target_expiration, (u64)ktimer->period);
	/* Missed periods are not caught up: one interrupt, from now on. */
	if (ktimer->target_expiration < now)
		ktimer->target_expiration = now;
	ktimer->tscdeadline =
		kvm_read_l1_tsc(apic->vcpu, tscl) +
		nsec_to_cycles(apic->vcpu,
			       (u64)ktime_sub(ktimer->target_expiration, now));
}

static void start_sw_period(struct kvm_lapic *apic)
{
	struct kvm_timer *ktimer = &apic->lapic_timer;

	if (!ktimer->period)
		return;
	if (ktime_get(apic->vcpu->kvm) > ktimer->target_expiration) {
		apic_timer_expired(apic, false);
		if (apic_lvtt_oneshot(apic))
			return;
		advance_periodic_target_expiration(apic);
	}
	hrtimer_start(&ktimer->timer, ktimer->target_expiration);
}

static bool start_hv_timer(struct kvm_lapic *apic)
{
	struct kvm_timer *ktimer = &apic->lapic_timer;
	struct kvm_vcpu *vcpu = apic->vcpu;
	bool expired;

	if (!kvm_can_use_hv_timer(vcpu) || !ktimer->tscdeadline)
		return false;
	if (vmx_set_hv_timer(vcpu, ktimer->tscdeadline, &expired))
		return false;
	ktimer->hv_timer_in_use = true;
	hrtimer_cancel(&ktimer->timer);
	/*
	 * A periodic timer keeps the hv timer even when it has expired:
	 * its exit recomputes the next period.
	 */
	if (!apic_lvtt_period(apic)) {
		if (atomic_read(&ktimer->pending)) {
			cancel_hv_timer(apic);
		} else if (expired) {
			apic_timer_expired(apic, false);
			cancel_hv_timer(apic);
		}
	}
	return true;
}

static void start_sw_timer(struct kvm_lapic *apic)
{
	struct kvm_timer *ktimer = &apic->lapic_timer;

	if (ktimer->hv_timer_in_use)
		cancel_hv_timer(apic);
	if (!apic_lvtt_period(apic) && atomic_read(&ktimer->pending))
		return;
	if (apic_lvtt_period(apic) || apic_lvtt_oneshot(apic))
		start_sw_period(apic);
	else if (apic_lvtt_tscdeadline(apic))
		start_sw_tscdeadline(apic);
}

void restart_apic_timer(struct kvm_lapic *apic)
{
	if (!apic_lvtt_period(apic) && atomic_read(&apic->lapic_timer.pending))
		return;
	if (!start_hv_timer(apic))
		start_sw_timer(apic);
}

void __start_apic_timer(struct kvm_lapic *apic, u32 count_reg)
{
	atomic_set(&apic->lapic_timer.pending, 0);
	if ((apic_lvtt_period(apic) || apic_lvtt_oneshot(apic)) &&
	    !set_target_expiration(apic, count_reg))
		return;
	restart_apic_timer(apic);
}

void kvm_lapic_expired_hv_timer(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	/* Already handled when the timer was moved to the sw timer. */
	if (!apic || !apic->lapic_timer.hv_timer_in_use)
		return;
	apic_timer_expired(apic, false);
	cancel_hv_timer(apic);
	if (apic_lvtt_period(apic) && apic->lapic_timer.period) {
		advance_periodic_target_expiration(apic);
		restart_apic_timer(apic);
	}
}

bool kvm_lapic_hv_timer_in_use(struct kvm_vcpu *vcpu)
{
	return lapic_in_kernel(vcpu) &&
	       vcpu->arch.apic->lapic_timer.hv_timer_in_use;
}

void kvm_lapic_switch_to_sw_timer(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (apic->lapic_timer.hv_timer_in_use)
		start_sw_timer(apic);
}

void kvm_lapic_switch_to_hv_timer(struct kvm_vcpu *vcpu)
{
	restart_apic_timer(vcpu->arch.apic);
}

/* ---- the registers and the MSR ---- */

void x2s_apic_write_tmict(struct kvm_lapic *apic, u32 val)
{
	/* TSC-deadline mode ignores the initial count. */
	if (apic_lvtt_tscdeadline(apic))
		return;
	cancel_apic_timer(apic);
	kvm_lapic_set_reg(apic, APIC_TMICT, val);
	__start_apic_timer(apic, APIC_TMICT);
}

void x2s_apic_write_tdcr(struct kvm_lapic *apic, u32 val)
{
	u32 old_divisor = apic->divide_count;

	kvm_lapic_set_reg(apic, APIC_TDCR, val & 0xb);
	update_divide_count(apic);
	if (apic->divide_count != old_divisor && apic->lapic_timer.period) {
		hrtimer_cancel(&apic->lapic_timer.timer);
		update_target_expiration(apic, old_divisor);
		restart_apic_timer(apic);
	}
}

u32 apic_get_tmcct(struct kvm_lapic *apic)
{
	struct kvm_timer *ktimer = &apic->lapic_timer;
	s64 remaining;
	u64 ns;

	if (apic_lvtt_tscdeadline(apic))
		return 0;
	/* A zero initial count reads a zero current count. */
	if (!kvm_lapic_get_reg(apic, APIC_TMICT) || !ktimer->period)
		return 0;
	remaining = ktime_sub(ktimer->target_expiration,
			      ktime_get(apic->vcpu->kvm));
	ns = remaining < 0 ? 0 : (u64)remaining % (u64)ktimer->period;
	return (u32)(ns / (apic->vcpu->kvm->arch.apic_bus_cycle_ns *
			   apic->divide_count));
}

u64 kvm_get_lapic_tscdeadline_msr(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (!kvm_apic_present(vcpu) || !apic_lvtt_tscdeadline(apic))
		return 0;
	return apic->lapic_timer.tscdeadline;
}

void kvm_set_lapic_tscdeadline_msr(struct kvm_vcpu *vcpu, u64 data)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	if (!kvm_apic_present(vcpu) || !apic_lvtt_tscdeadline(apic))
		return;
	hrtimer_cancel(&apic->lapic_timer.timer);
	apic->lapic_timer.tscdeadline = data;
	__start_apic_timer(apic, APIC_TMICT);
}

/* ---- the clock moves ---- */

/* apic_timer_fn(): the sw timer's callback, at its expiry. */
static void apic_timer_fn(struct kvm_lapic *apic)
{
	struct kvm_timer *ktimer = &apic->lapic_timer;

	ktimer->timer.queued = false;
	apic_timer_expired(apic, true);
	if (lapic_is_periodic(apic) && !WARN_ON_ONCE(!ktimer->period)) {
		advance_periodic_target_expiration(apic);
		hrtimer_start(&ktimer->timer, ktimer->target_expiration);
	}
}

bool x2s_kvm_next_timer(const struct kvm *kvm, ktime_t *when)
{
	bool any = false;

	for (int i = 0; i < kvm->online_vcpus; i++) {
		const struct kvm_lapic *apic = kvm->vcpus[i]->arch.apic;

		if (!apic || !apic->lapic_timer.timer.queued)
			continue;
		if (!any || apic->lapic_timer.timer.expires < *when)
			*when = apic->lapic_timer.timer.expires;
		any = true;
	}
	return any;
}

void x2s_kvm_advance_clock(struct kvm *kvm, ktime_t to)
{
	for (;;) {
		struct kvm_lapic *first = NULL;

		/* The earliest queued sw timer due by then, vCPU order. */
		for (int i = 0; i < kvm->online_vcpus; i++) {
			struct kvm_lapic *apic = kvm->vcpus[i]->arch.apic;

			if (!apic || !apic->lapic_timer.timer.queued ||
			    apic->lapic_timer.timer.expires > to)
				continue;
			if (!first || apic->lapic_timer.timer.expires <
					      first->lapic_timer.timer.expires)
				first = apic;
		}
		if (!first)
			break;
		if (first->lapic_timer.timer.expires > kvm->arch.x2s_clock)
			kvm->arch.x2s_clock = first->lapic_timer.timer.expires;
		apic_timer_fn(first);
	}
	if (to > kvm->arch.x2s_clock)
		kvm->arch.x2s_clock = to;
}
