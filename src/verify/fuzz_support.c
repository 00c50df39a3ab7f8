// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim fuzz support (see fuzz_support.h).  The base state is kept as raw
 * copies of each vCPU's model structs (struct vcpu_vmx with the vCPU,
 * struct kvm_lapic, kvm_run, the VMCS) and of its register page; an undo
 * copies back the structs and only the page lines kvm_lapic_set_reg()
 * marked since the base, so a run costs about as much as the exit itself.
 * Two more copies, the start state and the state the VM was created in,
 * let one VM serve many inputs (reset) and many configurations that it can
 * be created with (retarget).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "lapic/lapic.h"
#include "verify/fuzz_support.h"
#include "verify/vcpu_raw.h"
#include "vmx/vmx.h"

struct fz_vcpu {
	struct x2s_vcpu_raw base;
	struct x2s_vcpu_raw init;
	struct x2s_vcpu_raw created; /* before the description's settings */
	u8 *page;		     /* the base page */
	u8 *init_page;		     /* the page in the start state */
	u8 *created_page; /* the page before the description's settings */
	u64 touched;	  /* lines where page may differ from init_page */
	/*
	 * Captured outcomes, one per slot: only the small part and the
	 * dirtied lines of apic_page are ever written or read.
	 */
	struct x2s_vcpu_state *out;
	u64 out_lines[X2S_FUZZ_SLOTS];
	struct x2s_vcpu_state cur;
};

struct x2s_fuzz_engine {
	struct x2s_vm *vm;
	struct kvm *kvm;
	unsigned int nr;
	unsigned int nr_slots;
	struct x2s_vm_config cfg; /* what the VM was created with */
	struct kvm_apic_map *map; /* the map when the base was taken */
	struct fz_vcpu *v;
	/* The sender right after the exit began, for a decline's check. */
	struct x2s_vcpu_raw pre;
};

/*
 * The map is rebuilt from the restored vCPUs when its inputs moved.  The
 * pointer alone cannot tell: a run that rebuilt it twice may get the
 * first map's address back from malloc.
 */
static void fz_fix_map(struct x2s_fuzz_engine *e, bool moved)
{
	if (moved || e->kvm->arch.apic_map != e->map ||
	    e->kvm->arch.apic_map_dirty) {
		kvm_apic_map_mark_dirty(e->kvm);
		kvm_recalculate_apic_map(e->kvm);
	}
	e->map = e->kvm->arch.apic_map;
}

void x2s_fuzz_engine_free(struct x2s_fuzz_engine *e)
{
	if (!e)
		return;
	for (unsigned int i = 0; e->v && i < e->nr; i++) {
		free(e->v[i].page);
		free(e->v[i].init_page);
		free(e->v[i].created_page);
		free(e->v[i].out);
	}
	free(e->v);
	x2s_vm_destroy(e->vm);
	free(e);
}

/* The VM's current state becomes the start state and the base. */
static void fz_take_init(struct x2s_fuzz_engine *e)
{
	kvm_recalculate_apic_map(e->kvm);
	e->map = e->kvm->arch.apic_map;
	for (unsigned int i = 0; i < e->nr; i++) {
		struct fz_vcpu *b = &e->v[i];

		x2s_vcpu_raw_take(e->kvm->vcpus[i], &b->base, b->page);
		if (e->kvm->vcpus[i]->arch.apic)
			memcpy(b->init_page, b->page, X2S_APIC_PAGE_SIZE);
		b->touched = 0;
		memcpy(&b->init, &b->base, sizeof(b->init));
	}
}

struct x2s_fuzz_engine *x2s_fuzz_engine_new(const struct x2s_vm_desc *d,
					    unsigned int nr_slots)
{
	struct x2s_fuzz_engine *e;
	bool ok;

	if (!nr_slots || nr_slots > X2S_FUZZ_SLOTS ||
	    x2s_vm_desc_check(d, NULL, 0))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	x2s_vm_desc_config(d, &e->cfg);
	if (x2s_vm_create(&e->cfg, &e->vm)) {
		free(e);
		return NULL;
	}
	e->kvm = x2s_vm_kvm(e->vm);
	e->nr = d->nr_vcpus;
	e->nr_slots = nr_slots;
	e->v = calloc(e->nr, sizeof(*e->v));
	ok = e->v != NULL;
	for (unsigned int i = 0; ok && i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct fz_vcpu *b = &e->v[i];

		/*
		 * Not zeroed: the pages are copied whole (or never read,
		 * without an APIC), slots written before they are read.
		 */
		b->page = malloc(X2S_APIC_PAGE_SIZE);
		b->init_page = malloc(X2S_APIC_PAGE_SIZE);
		b->created_page = malloc(X2S_APIC_PAGE_SIZE);
		b->out = malloc(nr_slots * sizeof(*b->out));
		ok = b->page && b->init_page && b->created_page && b->out;
		if (ok && vcpu->arch.apic)
			memcpy(b->created_page, vcpu->arch.apic->regs,
			       X2S_APIC_PAGE_SIZE);
		if (ok)
			x2s_vcpu_raw_save(vcpu, &b->created);
	}
	if (!ok || x2s_vm_desc_apply(e->vm, d)) {
		x2s_fuzz_engine_free(e);
		return NULL;
	}
	fz_take_init(e);
	return e;
}

int x2s_fuzz_engine_retarget(struct x2s_fuzz_engine *e,
			     const struct x2s_vm_desc *d)
{
	struct x2s_vm_config cfg;

	if (!e || x2s_vm_desc_check(d, NULL, 0))
		return -EINVAL;
	x2s_vm_desc_config(d, &cfg);
	if (memcmp(&cfg, &e->cfg, sizeof(cfg)))
		return -EINVAL;
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct fz_vcpu *b = &e->v[i];

		x2s_vcpu_raw_load(vcpu, &b->created);
		if (vcpu->arch.apic)
			memcpy(vcpu->arch.apic->regs, b->created_page,
			       X2S_APIC_PAGE_SIZE);
	}
	kvm_apic_map_mark_dirty(e->kvm);
	kvm_recalculate_apic_map(e->kvm);
	if (x2s_vm_desc_apply(e->vm, d))
		return -EINVAL;
	fz_take_init(e);
	return 0;
}

struct x2s_vm *x2s_fuzz_engine_vm(struct x2s_fuzz_engine *e)
{
	return e->vm;
}

void x2s_fuzz_engine_undo(struct x2s_fuzz_engine *e)
{
	bool moved = false;

	for (unsigned int i = 0; i < e->nr; i++)
		moved |= x2s_vcpu_raw_undo(e->kvm->vcpus[i], &e->v[i].base,
					   e->v[i].page);
	fz_fix_map(e, moved);
}

void x2s_fuzz_engine_rebase(struct x2s_fuzz_engine *e)
{
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct kvm_lapic *apic = vcpu->arch.apic;
		struct fz_vcpu *b = &e->v[i];

		if (apic) {
			x2s_page_copy_lines(b->page, apic->regs,
					    apic->dirty_lines);
			b->touched |= apic->dirty_lines;
			apic->dirty_lines = 0;
		}
		x2s_vcpu_raw_save(vcpu, &b->base);
	}
	e->map = e->kvm->arch.apic_map;
}

void x2s_fuzz_engine_reset(struct x2s_fuzz_engine *e)
{
	bool moved = false;

	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct kvm_lapic *apic = vcpu->arch.apic;
		struct fz_vcpu *b = &e->v[i];
		u64 lines = b->touched | (apic ? apic->dirty_lines : 0);

		moved |= x2s_vcpu_map_inputs_moved(vcpu, &b->init, lines);
		if (apic) {
			x2s_page_copy_lines(apic->regs, b->init_page, lines);
			x2s_page_copy_lines(b->page, b->init_page, b->touched);
		}
		b->touched = 0;
		x2s_vcpu_raw_load(vcpu, &b->init);
		b->base = b->init;
	}
	fz_fix_map(e, moved);
}

static void fz_load(struct x2s_fuzz_engine *e, unsigned int s, u32 ecx,
		    u64 data)
{
	struct kvm_vcpu *vcpu = e->kvm->vcpus[s];

	x2s_vcpu_load_wrmsr(vcpu, ecx, data);
	x2s_vmx_exit_begin(vcpu);
}

/* A posted vector and an IRR bit are the same observable fact. */
void x2s_fuzz_engine_normalise(struct x2s_fuzz_engine *e)
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

/* Did a declining fastpath leave anything behind, however it wrote? */
static bool fz_declined_clean(struct x2s_fuzz_engine *e, unsigned int s)
{
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct kvm_lapic *apic = vcpu->arch.apic;

		/*
		 * Page writes past the setters are found by comparing the
		 * whole page, and join the dirty lines, so the undo puts
		 * them back.
		 */
		if (apic)
			apic->dirty_lines |= x2s_page_untracked(
				apic->regs, e->v[i].page, apic->dirty_lines,
				X2S_APIC_PAGE_SIZE / 64);
		if (i != s && apic && apic->dirty_lines)
			return false;
		if (!x2s_vcpu_raw_equal(vcpu, i == s ? &e->pre : &e->v[i].base))
			return false;
	}
	return true;
}

/*
 * fn on the exit that vCPU s has just taken (from the base): its result,
 * and in *clean whether it declined without changing anything.
 */
static fastpath_t fz_fastpath(struct x2s_fuzz_engine *e, unsigned int s,
			      const struct x2s_fastpath *fn, bool *clean)
{
	struct kvm_vcpu *vcpu = e->kvm->vcpus[s];
	fastpath_t fp;

	x2s_vcpu_raw_save(vcpu, &e->pre);
	fp = x2s_vmx_exit_fastpath(vcpu, fn);
	*clean = fp == EXIT_FASTPATH_NONE && fz_declined_clean(e, s);
	return fp;
}

bool x2s_fuzz_engine_exit(struct x2s_fuzz_engine *e, unsigned int s,
			  const struct x2s_exit *exit,
			  const struct x2s_fastpath *fn,
			  struct x2s_exit_result *res)
{
	struct kvm_vcpu *vcpu = e->kvm->vcpus[s];
	fastpath_t fp;
	bool clean;
	int r;

	memset(res, 0, sizeof(*res));
	x2s_vcpu_load_exit(vcpu, exit);
	x2s_vmx_exit_begin(vcpu);
	fp = fz_fastpath(e, s, fn, &clean);
	if (clean)
		return false;
	r = x2s_vmx_exit_finish(vcpu, fp);
	x2s_exit_result_fill(vcpu, r, res);
	res->fastpath = (int)fp;
	return true;
}

void x2s_fuzz_engine_capture(struct x2s_fuzz_engine *e, unsigned int slot)
{
	if (slot >= e->nr_slots)
		return;
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct fz_vcpu *b = &e->v[i];
		u64 lines = vcpu->arch.apic ? vcpu->arch.apic->dirty_lines : 0;

		x2s_vcpu_save_small(vcpu, &b->out[slot]);
		b->out_lines[slot] = lines;
		if (lines)
			x2s_page_copy_lines(b->out[slot].apic_page,
					    vcpu->arch.apic->regs, lines);
	}
}

bool x2s_fuzz_engine_same(struct x2s_fuzz_engine *e, unsigned int slot)
{
	if (slot >= e->nr_slots)
		return false;
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct fz_vcpu *b = &e->v[i];
		const u8 *out_page = b->out[slot].apic_page;
		u64 out_lines = b->out_lines[slot];
		u64 now = vcpu->arch.apic ? vcpu->arch.apic->dirty_lines : 0;

		x2s_vcpu_save_small(vcpu, &b->cur);
		if (memcmp((u8 *)&b->out[slot] + X2S_STATE_SMALL_OFF,
			   (u8 *)&b->cur + X2S_STATE_SMALL_OFF,
			   X2S_STATE_SMALL_LEN))
			return false;
		for (u64 l = now | out_lines; l; l &= l - 1) {
			unsigned int n = (unsigned int)__builtin_ctzll(l);
			const u8 *f = (out_lines >> n & 1) ? out_page + n * 64 :
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

void x2s_fuzz_engine_cases(struct x2s_fuzz_engine *e, unsigned int s,
			   uint32_t ecx, uint64_t data,
			   const struct x2s_fastpath *const *fns,
			   unsigned int n, enum x2s_verdict *verdicts)
{
	struct kvm_vcpu *vcpu = s < e->nr ? e->kvm->vcpus[s] : NULL;
	bool slow_warn = false, ran_slow = false;
	int slow = 0;

	for (unsigned int k = 0; k < n; k++) {
		bool mismatch, fast_warn, clean;
		fastpath_t fp;
		int fast;

		if (!vcpu || e->nr_slots < 2) {
			verdicts[k] = X2S_VERDICT_DECLINED;
			continue;
		}
		x2s_warn_reset();
		fz_load(e, s, ecx, data);
		fp = fz_fastpath(e, s, fns[k], &clean);
		if (fp == EXIT_FASTPATH_NONE) {
			if (!clean)
				verdicts[k] = X2S_VERDICT_DIRTY_NONE;
			else
				verdicts[k] = x2s_warn_count() ?
						      X2S_VERDICT_WARN :
						      X2S_VERDICT_DECLINED;
			x2s_fuzz_engine_undo(e);
			continue;
		}
		fast = fz_status(vcpu, x2s_vmx_exit_finish(vcpu, fp));
		x2s_fuzz_engine_normalise(e);
		fast_warn = x2s_warn_count();
		if (ran_slow) {
			mismatch = fast != slow || !x2s_fuzz_engine_same(e, 0);
		} else {
			/*
			 * The slow path runs once, when the first fastpath
			 * takes the exit, from the same state; its outcome
			 * stays in slot 0 for the others.
			 */
			x2s_fuzz_engine_capture(e, 1);
			x2s_fuzz_engine_undo(e);
			x2s_warn_reset();
			fz_load(e, s, ecx, data);
			slow = fz_status(
				vcpu,
				x2s_vmx_exit_finish(vcpu, EXIT_FASTPATH_NONE));
			x2s_fuzz_engine_normalise(e);
			slow_warn = x2s_warn_count();
			ran_slow = true;
			mismatch = fast != slow || !x2s_fuzz_engine_same(e, 1);
			x2s_fuzz_engine_capture(e, 0);
		}
		x2s_fuzz_engine_undo(e);
		if (mismatch)
			verdicts[k] = X2S_VERDICT_MISMATCH;
		else
			verdicts[k] = fast_warn || slow_warn ?
					      X2S_VERDICT_WARN :
					      X2S_VERDICT_EQUAL;
	}
	x2s_warn_reset();
}
