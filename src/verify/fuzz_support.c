// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim fuzz support (see fuzz_support.h), on the engine's outcome model
 * (engine.h) with the whole state checked after every case: the base,
 * the undo, the captures and their comparison are the sweep's own.  Two
 * more snapshots, the start state and the state the VM was created in,
 * let one VM serve many inputs (reset) and many configurations it can be
 * created with (retarget).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verify/engine.h"
#include "verify/fuzz_support.h"
#include "verify/guard.h"

#define X2S_FUZZ_STEER 65536

/*
 * Unknown, try, full; and from STEER_BACK up, given back lately: that
 * many more clean full-way declines before the guarded VM is tried again
 * (a look-alike class that mixes both answers pays a fault only now and
 * then).
 */
enum { STEER_UNKNOWN, STEER_TRY, STEER_FULL, STEER_BACK, STEER_BACK_MAX = 18 };

struct x2s_fuzz_engine {
	struct x2s_engine *e;
	struct x2s_vm_config cfg; /* what the VM was created with */
	struct x2s_snapshot *created, *init;
	struct x2s_capture *slot[X2S_FUZZ_SLOTS];
	unsigned int nr_slots;
	/* The fastpaths' outcomes while x2s_fuzz_engine_cases() runs. */
	struct x2s_capture *cap[X2S_FUZZ_SLOTS];
	/*
	 * x2s_fuzz_engine_guard(): per sender, a VM of the start state kept
	 * write-protected but for that sender's structures, where its cases
	 * are tried first (NULL: none).  One per sender, so that the
	 * protection never moves: no system call on a clean decline.
	 */
	struct x2s_engine **g;
	unsigned int nr_g;
	/*
	 * Steering only (either way is sound): what the last case with the
	 * same hash of what decides a fastpath's answer came to.  A case is
	 * tried on the guarded VM only after a look-alike declined clean the
	 * full way: a case that writes elsewhere costs a fault there (10-40
	 * us on this machine's virtual CPUs), several full runs.  always_try:
	 * every case goes there first (the attack suite's way).
	 */
	u8 steer[X2S_FUZZ_STEER];
	bool always_try;
	struct x2s_fuzz_stats stats;
	/*
	 * The sender of the last x2s_fuzz_engine_exit() if it returned false
	 * and nothing of this engine ran since (-1: none): its clean decline
	 * can be undone by its structures alone.
	 */
	int declined;
	/*
	 * What the last x2s_fuzz_engine_exit() found its fastpath moved
	 * that no capture holds (an L1 MSR bitmap, the APIC map's bytes),
	 * as x2s_engine_fastpath() signs it for a handled exit; the next
	 * capture keeps it with its slot, and x2s_fuzz_engine_same() on
	 * that slot is false, as x2s_verify_case() finds a MISMATCH.
	 */
	u64 exit_sig;
	u64 slot_sig[X2S_FUZZ_SLOTS];
};

static void fz_unguard(struct x2s_fuzz_engine *f)
{
	for (unsigned int i = 0; i < f->nr_g; i++)
		x2s_engine_free(f->g[i]);
	free(f->g);
	f->g = NULL;
	f->nr_g = 0;
}

void x2s_fuzz_engine_free(struct x2s_fuzz_engine *f)
{
	if (!f)
		return;
	for (unsigned int k = 0; k < f->nr_slots; k++)
		x2s_capture_free(f->slot[k]);
	for (unsigned int k = 0; k < X2S_FUZZ_SLOTS; k++)
		x2s_capture_free(f->cap[k]);
	fz_unguard(f);
	if (f->e) {
		x2s_engine_snapshot_free(f->e, f->created);
		x2s_engine_snapshot_free(f->e, f->init);
	}
	x2s_engine_free(f->e);
	free(f);
}

/* The VM's current state becomes the start state and the base. */
static int fz_take_init(struct x2s_fuzz_engine *f)
{
	x2s_engine_rebase(f->e);
	return x2s_engine_save(f->e, f->init);
}

/* d's setup of the VM, its bitmap writes around the cold guard. */
static int fz_setup(struct x2s_fuzz_engine *f, const struct x2s_vm_desc *d)
{
	int r;

	x2s_engine_setup_begin(f->e);
	r = x2s_vm_desc_apply(x2s_engine_vm(f->e), d);
	x2s_engine_setup_end(f->e);
	return r;
}

struct x2s_fuzz_engine *x2s_fuzz_engine_new(const struct x2s_vm_desc *d,
					    unsigned int nr_slots)
{
	struct x2s_fuzz_engine *f;
	struct x2s_vm *vm;

	if (!nr_slots || nr_slots > X2S_FUZZ_SLOTS ||
	    x2s_vm_desc_check(d, NULL, 0))
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	x2s_vm_desc_config(d, &f->cfg);
	if (x2s_vm_create(&f->cfg, &vm)) {
		free(f);
		return NULL;
	}
	f->e = x2s_engine_adopt(vm, X2S_CHECK_CASE);
	if (!f->e)
		goto fail;
	/*
	 * Only a fastpath could write the APIC page tails, and one that
	 * does trips the guard: checks of the state then look at every
	 * byte again (x2s_engine_cold_case()).  The MSR bitmaps too: the
	 * setup writes them around the guard (x2s_engine_setup_begin()).
	 */
	x2s_engine_cold_case(f->e, true);
	x2s_engine_cold_case_bitmaps(f->e, true);
	f->nr_slots = nr_slots;
	f->declined = -1;
	for (unsigned int k = 0; k < nr_slots; k++)
		if (!(f->slot[k] = x2s_capture_new(f->e)))
			goto fail;

	f->created = x2s_engine_snapshot_new(f->e);
	f->init = x2s_engine_snapshot_new(f->e);
	/*
	 * The guard armed (a rebase) before the created state is taken:
	 * while that arming lasts, a retarget's way back to it need not
	 * look at the page tails (x2s_engine_restore()).
	 */
	if (f->created)
		x2s_engine_rebase(f->e);
	if (!f->created || !f->init || x2s_engine_save(f->e, f->created) ||
	    fz_setup(f, d) || fz_take_init(f))
		goto fail;
	return f;
fail:
	x2s_fuzz_engine_free(f);
	return NULL;
}

int x2s_fuzz_engine_retarget(struct x2s_fuzz_engine *f,
			     const struct x2s_vm_desc *d)
{
	struct x2s_vm_config cfg;

	if (!f || x2s_vm_desc_check(d, NULL, 0))
		return -EINVAL;
	x2s_vm_desc_config(d, &cfg);
	if (memcmp(&cfg, &f->cfg, sizeof(cfg)))
		return -EINVAL;
	/* Their VMs are the old start state's. */
	fz_unguard(f);
	f->declined = -1;
	x2s_engine_restore(f->e, f->created);
	if (fz_setup(f, d))
		return -EINVAL;
	return fz_take_init(f);
}

struct x2s_vm *x2s_fuzz_engine_vm(struct x2s_fuzz_engine *f)
{
	return x2s_engine_vm(f->e);
}

void x2s_fuzz_engine_undo(struct x2s_fuzz_engine *f)
{
	f->declined = -1;
	f->exit_sig = 0;
	x2s_engine_undo(f->e);
}

void x2s_fuzz_engine_undo_decline(struct x2s_fuzz_engine *f)
{
	if (f->declined < 0) {
		x2s_engine_undo(f->e);
		return;
	}
	x2s_engine_undo_clean_decline(f->e, (unsigned int)f->declined);
	f->declined = -1;
}

bool x2s_fuzz_engine_at_base(struct x2s_fuzz_engine *f)
{
	f->declined = -1;
	return x2s_engine_settle(f->e);
}

void x2s_fuzz_engine_rebase(struct x2s_fuzz_engine *f)
{
	f->declined = -1;
	f->exit_sig = 0;
	x2s_engine_rebase(f->e);
}

void x2s_fuzz_engine_reset(struct x2s_fuzz_engine *f)
{
	f->declined = -1;
	f->exit_sig = 0;
	x2s_engine_restore(f->e, f->init);
	x2s_engine_rebase(f->e);
}

void x2s_fuzz_engine_normalise(struct x2s_fuzz_engine *f)
{
	f->declined = -1;
	x2s_engine_normalise(f->e);
}

bool x2s_fuzz_engine_exit(struct x2s_fuzz_engine *f, unsigned int s,
			  const struct x2s_exit *exit,
			  const struct x2s_fastpath *fn,
			  struct x2s_exit_result *res)
{
	struct kvm_vcpu *vcpu = x2s_vm_vcpu(x2s_engine_vm(f->e), s);
	struct x2s_input in;
	fastpath_t fp;
	u64 sig;
	int r;

	f->declined = -1;
	f->exit_sig = 0;
	memset(res, 0, sizeof(*res));
	memset(&in, 0, sizeof(in));
	in.exit = *exit;
	/* The GPRs are the caller's. */
	in.rcx = vcpu->arch.regs[VCPU_REGS_RCX];
	in.rax = vcpu->arch.regs[VCPU_REGS_RAX];
	in.rdx = vcpu->arch.regs[VCPU_REGS_RDX];
	in.insn_info = (u32)vmcs_read(vcpu, VMX_INSTRUCTION_INFO);
	x2s_engine_load(f->e, s, &in);
	fp = x2s_engine_fastpath(f->e, s, fn, &sig);
	if (fp == EXIT_FASTPATH_NONE && !sig) {
		f->declined = (int)s;
		return false;
	}
	f->exit_sig = sig;
	r = x2s_vmx_exit_finish(vcpu, fp);
	x2s_exit_result_fill(vcpu, r, res);
	res->fastpath = (int)fp;
	return true;
}

void x2s_fuzz_engine_capture(struct x2s_fuzz_engine *f, unsigned int slot)
{
	f->declined = -1;
	if (slot < f->nr_slots) {
		x2s_engine_capture(f->e, f->slot[slot]);
		f->slot_sig[slot] = f->exit_sig;
	}
	f->exit_sig = 0;
}

bool x2s_fuzz_engine_same(struct x2s_fuzz_engine *f, unsigned int slot)
{
	f->declined = -1;
	return slot < f->nr_slots && !f->slot_sig[slot] &&
	       !x2s_engine_compare(f->e, f->slot[slot], 0);
}

int x2s_fuzz_engine_guard(struct x2s_fuzz_engine *f,
			  const struct x2s_vm_desc *d)
{
	unsigned int nr = x2s_vm_nr_vcpus(x2s_engine_vm(f->e));

	fz_unguard(f);
	if (!x2s_guard_available())
		return -ENOTSUP;
	if (d->nr_vcpus != nr)
		return -EINVAL;
	f->g = calloc(nr, sizeof(*f->g));
	if (!f->g)
		return -ENOMEM;
	f->nr_g = nr;
	for (unsigned int i = 0; i < nr; i++) {
		f->g[i] = x2s_engine_new(d, X2S_CHECK_SWEEP);
		if (!f->g[i]) {
			fz_unguard(f);
			return -ENOMEM;
		}
		x2s_engine_guard(f->g[i], true);
	}
	/* The engine's cold guard holds the bitmaps already (_new()). */
	return fz_take_init(f);
}

struct x2s_vm *x2s_fuzz_engine_guarded_vm(struct x2s_fuzz_engine *f,
					  unsigned int sender)
{
	return sender < f->nr_g ? x2s_engine_vm(f->g[sender]) : NULL;
}

bool x2s_fuzz_engine_settle(struct x2s_fuzz_engine *f)
{
	bool ok = true;

	for (unsigned int i = 0; i < f->nr_g; i++)
		ok &= x2s_engine_settle(f->g[i]);
	return ok;
}

const struct x2s_fuzz_stats *x2s_fuzz_engine_stats(struct x2s_fuzz_engine *f)
{
	f->stats.cold_trips = x2s_engine_stats(f->e)->cold_trips;
	return &f->stats;
}

void x2s_fuzz_engine_always_try(struct x2s_fuzz_engine *f, bool on)
{
	f->always_try = on;
}

/*
 * The steering slot of a case: a hash of the sender, the MSR, and for the
 * ICR the fields that decide whether a fastpath takes it: a vector below
 * 16 (illegal for fixed IPIs), bits 8-15 (delivery mode, destination
 * mode, busy, level, trigger), shorthand, any other bit of 16-31,
 * the destination (a vCPU's number, other below 0xff, 0xff, broadcast,
 * other); and the fastpath (k), since
 * fastpaths disagree on whole classes (one takes broadcasts, another
 * only single targets).
 */
static unsigned int steer_slot(unsigned int s, unsigned int k, unsigned int nr,
			       u32 ecx, u64 data)
{
	u32 dest = (u32)(data >> 32);
	/* The x2APIC MSRs and TSC_DEADLINE by number, the rest as one. */
	u32 msr = (ecx >> 8) == 8 || ecx == MSR_IA32_TSC_DEADLINE ? ecx : 0;
	u64 h = (u64)s << 40 ^ (u64)k << 48 ^ msr;

	if (ecx == APIC_BASE_MSR + (APIC_ICR >> 4)) {
		u32 dclass = dest < nr		? dest :
			     dest < 0xff	? 252 :
			     dest == 0xff	? 253 :
			     dest == 0xffffffff ? 254 :
						  255;

		h ^= (u64)dclass << 32 ^ (data & 0xcff00) << 8 ^
		     (u64)(data & 0xfff30000ull ? 1 : 0) << 31 ^
		     (u64)(data & 0xf0 ? 0 : 1) << 30;
	}
	h *= 0x9e3779b97f4a7c15ull;
	return (unsigned int)(h >> 48) % X2S_FUZZ_STEER;
}

/*
 * The fastpaths fns[idx[0..m-1]] the full way, the slow path once for all
 * that take the exit.
 */
static void fz_full(struct x2s_fuzz_engine *f, unsigned int s,
		    const struct x2s_input *in,
		    const struct x2s_fastpath *const *fns,
		    const unsigned int *idx, unsigned int m,
		    enum x2s_verdict *verdicts)
{
	const struct x2s_fastpath *sub[X2S_FUZZ_SLOTS];
	struct x2s_case_out o[X2S_FUZZ_SLOTS];
	bool caps = true;

	for (unsigned int j = 0; j < m; j++) {
		sub[j] = fns[idx[j]];
		/* Made when first needed: fuzz_diff's engines never are. */
		if (!f->cap[j])
			f->cap[j] = x2s_capture_new(f->e);
		caps &= f->cap[j] != NULL;
	}
	if (caps)
		x2s_engine_cases(f->e, s, in, sub, m, f->cap, X2S_CONTRACT_NONE,
				 o);
	else
		for (unsigned int j = 0; j < m; j++)
			x2s_engine_case(f->e, s, in, sub[j], X2S_CONTRACT_NONE,
					&o[j], NULL, NULL);
	for (unsigned int j = 0; j < m; j++) {
		unsigned int slot =
			steer_slot(s, idx[j], f->nr_g, in->ecx, in->data);

		u8 *st = &f->steer[slot];

		verdicts[idx[j]] = o[j].verdict;
		if (o[j].verdict != X2S_VERDICT_DECLINED)
			*st = *st >= STEER_BACK ? *st : STEER_FULL;
		else
			*st = *st > STEER_BACK ? *st - 1 : STEER_TRY;
	}
	f->stats.full += m;
}

void x2s_fuzz_engine_cases(struct x2s_fuzz_engine *f, unsigned int s,
			   uint32_t ecx, uint64_t data,
			   const struct x2s_fastpath *const *fns,
			   unsigned int n, enum x2s_verdict *verdicts)
{
	bool ok = s < x2s_vm_nr_vcpus(x2s_engine_vm(f->e));
	unsigned int idx[X2S_FUZZ_SLOTS], m = 0;
	struct x2s_case_out o;
	struct x2s_input in;
	unsigned int slot;

	f->declined = -1;
	x2s_input_wrmsr(&in, ecx, data);
	for (unsigned int k = 0; k < n; k++) {
		if (!ok) {
			verdicts[k] = X2S_VERDICT_DECLINED;
			continue;
		}
		/*
		 * A clean decline is proven on the sender's guarded VM
		 * (every byte but its structures read-only, those
		 * compared); anything else is given back there and runs
		 * the full way.
		 */
		slot = steer_slot(s, k, f->nr_g, ecx, data);
		if (s < f->nr_g &&
		    (f->steer[slot] == STEER_TRY || f->always_try)) {
			if (x2s_engine_try_case(f->g[s], s, &in, fns[k], &o)) {
				f->stats.guarded++;
				verdicts[k] = o.verdict;
				continue;
			}
			f->stats.given_back++;
			f->steer[slot] = STEER_BACK_MAX;
		}
		idx[m++] = k;
		if (m == X2S_FUZZ_SLOTS) {
			fz_full(f, s, &in, fns, idx, m, verdicts);
			m = 0;
		}
	}
	if (m)
		fz_full(f, s, &in, fns, idx, m, verdicts);
	x2s_warn_reset();
}
