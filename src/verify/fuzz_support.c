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

struct x2s_fuzz_engine {
	struct x2s_engine *e;
	struct x2s_vm_config cfg; /* what the VM was created with */
	struct x2s_snapshot *created, *init;
	struct x2s_capture *slot[X2S_FUZZ_SLOTS];
	unsigned int nr_slots;
};

void x2s_fuzz_engine_free(struct x2s_fuzz_engine *f)
{
	if (!f)
		return;
	for (unsigned int k = 0; k < f->nr_slots; k++)
		x2s_capture_free(f->slot[k]);
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
	f->nr_slots = nr_slots;
	for (unsigned int k = 0; k < nr_slots; k++)
		if (!(f->slot[k] = x2s_capture_new(f->e)))
			goto fail;
	f->created = x2s_engine_snapshot_new(f->e);
	f->init = x2s_engine_snapshot_new(f->e);
	if (!f->created || !f->init || x2s_engine_save(f->e, f->created) ||
	    x2s_vm_desc_apply(vm, d) || fz_take_init(f))
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
	x2s_engine_restore(f->e, f->created);
	if (x2s_vm_desc_apply(x2s_engine_vm(f->e), d))
		return -EINVAL;
	return fz_take_init(f);
}

struct x2s_vm *x2s_fuzz_engine_vm(struct x2s_fuzz_engine *f)
{
	return x2s_engine_vm(f->e);
}

void x2s_fuzz_engine_undo(struct x2s_fuzz_engine *f)
{
	x2s_engine_undo(f->e);
}

void x2s_fuzz_engine_rebase(struct x2s_fuzz_engine *f)
{
	x2s_engine_rebase(f->e);
}

void x2s_fuzz_engine_reset(struct x2s_fuzz_engine *f)
{
	x2s_engine_restore(f->e, f->init);
	x2s_engine_rebase(f->e);
}

void x2s_fuzz_engine_normalise(struct x2s_fuzz_engine *f)
{
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
	if (fp == EXIT_FASTPATH_NONE && !sig)
		return false;
	r = x2s_vmx_exit_finish(vcpu, fp);
	x2s_exit_result_fill(vcpu, r, res);
	res->fastpath = (int)fp;
	return true;
}

void x2s_fuzz_engine_capture(struct x2s_fuzz_engine *f, unsigned int slot)
{
	if (slot < f->nr_slots)
		x2s_engine_capture(f->e, f->slot[slot]);
}

bool x2s_fuzz_engine_same(struct x2s_fuzz_engine *f, unsigned int slot)
{
	return slot < f->nr_slots &&
	       !x2s_engine_compare(f->e, f->slot[slot], 0);
}

void x2s_fuzz_engine_cases(struct x2s_fuzz_engine *f, unsigned int s,
			   uint32_t ecx, uint64_t data,
			   const struct x2s_fastpath *const *fns,
			   unsigned int n, enum x2s_verdict *verdicts)
{
	bool ok = s < x2s_vm_nr_vcpus(x2s_engine_vm(f->e));
	struct x2s_case_out o;
	struct x2s_input in;

	x2s_input_wrmsr(&in, ecx, data);
	for (unsigned int k = 0; k < n; k++) {
		if (!ok) {
			verdicts[k] = X2S_VERDICT_DECLINED;
			continue;
		}
		x2s_engine_case(f->e, s, &in, fns[k], X2S_CONTRACT_NONE, &o,
				NULL, NULL);
		verdicts[k] = o.verdict;
	}
	x2s_warn_reset();
}
