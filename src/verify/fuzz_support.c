// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim fuzz support (see fuzz_support.h).  A case's start state is kept
 * as raw copies of each vCPU's model structs and register page; after a
 * run only the page lines the run dirtied are copied back, so a case
 * costs about as much as the two exits it runs.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "lapic/lapic.h"
#include "verify/fuzz_support.h"
#include "vmx/vmx.h"

struct fz_vcpu {
	struct vcpu_vmx vmx;
	struct kvm_lapic apic;
	struct kvm_run run;
	u8 *vmcs;
	u8 *page;     /* the start page */
	u8 *out_page; /* the fast run's dirtied lines */
	u64 out_lines;
	struct x2s_vcpu_state out; /* the fast run's small state */
	struct x2s_vcpu_state cur;
};

struct x2s_fuzz_engine {
	struct x2s_vm *vm;
	struct kvm *kvm;
	unsigned int nr;
	size_t vmcs_bytes;
	struct fz_vcpu *v;
	/* The sender right after the exit began, for a decline's check. */
	struct fz_vcpu pre;
};

static void fz_save(struct x2s_fuzz_engine *e, struct kvm_vcpu *vcpu,
		    struct fz_vcpu *b)
{
	b->vmx = *to_vmx(vcpu);
	if (vcpu->arch.apic)
		b->apic = *vcpu->arch.apic;
	b->run = *vcpu->run;
	memcpy(b->vmcs, to_vmx(vcpu)->vmcs, e->vmcs_bytes);
}

static bool fz_equal(struct x2s_fuzz_engine *e, struct kvm_vcpu *vcpu,
		     const struct fz_vcpu *b)
{
	struct kvm_lapic *apic = vcpu->arch.apic;

	/* dirty_lines only says what was written, not that it changed. */
	if (apic &&
	    (apic->dirty_lines != b->apic.dirty_lines ||
	     memcmp(apic, &b->apic, offsetof(struct kvm_lapic, dirty_lines))))
		return false;
	return !memcmp(to_vmx(vcpu), &b->vmx, sizeof(b->vmx)) &&
	       !memcmp(vcpu->run, &b->run, sizeof(b->run)) &&
	       !memcmp(to_vmx(vcpu)->vmcs, b->vmcs, e->vmcs_bytes);
}

void x2s_fuzz_engine_free(struct x2s_fuzz_engine *e)
{
	if (!e)
		return;
	for (unsigned int i = 0; e->v && i < e->nr; i++) {
		free(e->v[i].vmcs);
		free(e->v[i].page);
		free(e->v[i].out_page);
	}
	free(e->pre.vmcs);
	free(e->v);
	x2s_vm_destroy(e->vm);
	free(e);
}

struct x2s_fuzz_engine *x2s_fuzz_engine_new(const struct x2s_vm_desc *d)
{
	struct x2s_fuzz_engine *e = calloc(1, sizeof(*e));
	bool ok;

	if (!e)
		return NULL;
	if (x2s_vm_desc_create(d, &e->vm)) {
		free(e);
		return NULL;
	}
	e->kvm = x2s_vm_kvm(e->vm);
	e->nr = d->nr_vcpus;
	e->vmcs_bytes = vmcs_size();
	e->v = calloc(e->nr, sizeof(*e->v));
	e->pre.vmcs = malloc(e->vmcs_bytes);
	ok = e->v && e->pre.vmcs;
	for (unsigned int i = 0; ok && i < e->nr; i++) {
		e->v[i].vmcs = malloc(e->vmcs_bytes);
		e->v[i].page = calloc(1, X2S_APIC_PAGE_SIZE);
		e->v[i].out_page = calloc(1, X2S_APIC_PAGE_SIZE);
		ok = e->v[i].vmcs && e->v[i].page && e->v[i].out_page;
	}
	if (!ok) {
		x2s_fuzz_engine_free(e);
		return NULL;
	}
	kvm_recalculate_apic_map(e->kvm);
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];

		if (vcpu->arch.apic) {
			vcpu->arch.apic->dirty_lines = 0;
			memcpy(e->v[i].page, vcpu->arch.apic->regs,
			       X2S_APIC_PAGE_SIZE);
		}
		fz_save(e, vcpu, &e->v[i]);
	}
	return e;
}

static void fz_restore(struct x2s_fuzz_engine *e)
{
	struct kvm_apic_map *map = e->kvm->arch.apic_map;
	bool map_moved = e->kvm->arch.apic_map_dirty;

	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct kvm_lapic *apic = vcpu->arch.apic;
		struct fz_vcpu *b = &e->v[i];

		if (apic) {
			for (u64 l = apic->dirty_lines; l; l &= l - 1) {
				unsigned int n =
					(unsigned int)__builtin_ctzll(l);

				memcpy((u8 *)apic->regs + n * 64,
				       b->page + n * 64, 64);
			}
			*apic = b->apic;
		}
		*to_vmx(vcpu) = b->vmx;
		*vcpu->run = b->run;
		memcpy(to_vmx(vcpu)->vmcs, b->vmcs, e->vmcs_bytes);
	}
	/* A case that rebuilt the map (e.g. it moved an APIC): rebuild. */
	if (map_moved || e->kvm->arch.apic_map != map) {
		kvm_apic_map_mark_dirty(e->kvm);
		kvm_recalculate_apic_map(e->kvm);
	}
}

static void fz_load(struct x2s_fuzz_engine *e, unsigned int s, u32 ecx,
		    u64 data)
{
	static const struct x2s_exit wrmsr = {
		.reason = EXIT_REASON_MSR_WRITE,
		.insn_len = 2,
	};
	struct kvm_vcpu *vcpu = e->kvm->vcpus[s];

	vcpu->arch.regs[VCPU_REGS_RCX] = ecx;
	vcpu->arch.regs[VCPU_REGS_RAX] = (u32)data;
	vcpu->arch.regs[VCPU_REGS_RDX] = data >> 32;
	x2s_vcpu_load_exit(vcpu, &wrmsr);
	x2s_vmx_exit_begin(vcpu);
}

/* A posted vector and an IRR bit are the same observable fact. */
static void fz_normalise(struct x2s_fuzz_engine *e)
{
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct pi_desc *pi = &to_vmx(vcpu)->pi_desc;
		struct kvm_lapic *apic = vcpu->arch.apic;

		if (!apic)
			continue;
		for (int w = 0; w < 8; w++) {
			if (!pi->pir[w])
				continue;
			kvm_lapic_set_reg(
				apic, APIC_IRR + w * 16,
				kvm_lapic_get_reg(apic, APIC_IRR + w * 16) |
					pi->pir[w]);
			pi->pir[w] = 0;
		}
		pi->on = false;
	}
}

static int fz_status(struct kvm_vcpu *vcpu, int r)
{
	if (r <= 0)
		return X2S_STATUS_USERSPACE;
	return vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE ?
		       X2S_STATUS_GUEST :
		       X2S_STATUS_BLOCKED;
}

/* Did a declining fastpath leave anything behind? */
static bool fz_declined_clean(struct x2s_fuzz_engine *e, unsigned int s)
{
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct kvm_lapic *apic = vcpu->arch.apic;
		struct fz_vcpu *b = &e->v[i];

		/* The sender's lines are held to pre by fz_equal. */
		if (i != s && apic && apic->dirty_lines)
			return false;
		if (!fz_equal(e, vcpu, i == s ? &e->pre : b))
			return false;
	}
	return true;
}

static void fz_capture(struct x2s_fuzz_engine *e)
{
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct fz_vcpu *b = &e->v[i];
		u64 lines = vcpu->arch.apic ? vcpu->arch.apic->dirty_lines : 0;

		x2s_vcpu_save_small(vcpu, &b->out);
		b->out_lines = lines;
		for (; lines; lines &= lines - 1) {
			unsigned int n = (unsigned int)__builtin_ctzll(lines);

			memcpy(b->out_page + n * 64,
			       (u8 *)vcpu->arch.apic->regs + n * 64, 64);
		}
	}
}

static bool fz_same(struct x2s_fuzz_engine *e)
{
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct fz_vcpu *b = &e->v[i];
		u64 now = vcpu->arch.apic ? vcpu->arch.apic->dirty_lines : 0;

		x2s_vcpu_save_small(vcpu, &b->cur);
		if (memcmp((u8 *)&b->out + X2S_STATE_SMALL_OFF,
			   (u8 *)&b->cur + X2S_STATE_SMALL_OFF,
			   X2S_STATE_SMALL_LEN))
			return false;
		for (u64 l = now | b->out_lines; l; l &= l - 1) {
			unsigned int n = (unsigned int)__builtin_ctzll(l);
			const u8 *f = (b->out_lines >> n & 1) ?
					      b->out_page + n * 64 :
					      b->page + n * 64;
			const u8 *w =
				(now >> n & 1) ?
					(u8 *)vcpu->arch.apic->regs + n * 64 :
					b->page + n * 64;

			if (memcmp(f, w, 64))
				return false;
		}
	}
	return true;
}

enum x2s_verdict x2s_fuzz_engine_case(struct x2s_fuzz_engine *e, unsigned int s,
				      uint32_t ecx, uint64_t data,
				      x2s_fastpath_fn fn)
{
	struct kvm_vcpu *vcpu;
	enum x2s_verdict v;
	fastpath_t fp;
	int fast, slow;
	bool warn;

	if (s >= e->nr)
		return X2S_VERDICT_DECLINED;
	vcpu = e->kvm->vcpus[s];
	x2s_warn_reset();
	fz_load(e, s, ecx, data);
	fz_save(e, vcpu, &e->pre);
	fp = fn ? fn(vcpu) : EXIT_FASTPATH_NONE;
	if (fp == EXIT_FASTPATH_NONE) {
		if (!fz_declined_clean(e, s))
			v = X2S_VERDICT_DIRTY_NONE;
		else
			v = x2s_warn_count() ? X2S_VERDICT_WARN :
					       X2S_VERDICT_DECLINED;
		fz_restore(e);
		x2s_warn_reset();
		return v;
	}

	fast = fz_status(vcpu, x2s_vmx_exit_finish(vcpu, fp));
	fz_normalise(e);
	fz_capture(e);
	fz_restore(e);
	fz_load(e, s, ecx, data);
	slow = fz_status(vcpu, x2s_vmx_exit_finish(vcpu, EXIT_FASTPATH_NONE));
	fz_normalise(e);
	warn = x2s_warn_count();
	if (fast != slow || !fz_same(e))
		v = X2S_VERDICT_MISMATCH;
	else
		v = warn ? X2S_VERDICT_WARN : X2S_VERDICT_EQUAL;
	fz_restore(e);
	x2s_warn_reset();
	return v;
}
