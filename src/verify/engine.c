// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: the differential engine.
 *
 * For one case the sender's WRMSR exit is taken twice from the same state:
 * once with the fastpath under test called right after the exit (as
 * vmx_vcpu_run() does), once without it, and the outcomes of every vCPU
 * are compared (DESIGN.md "A case and its outcome").  A fastpath that
 * returns EXIT_FASTPATH_NONE must have changed nothing observable; then
 * the slow path runs exactly as it would have anyway and is not needed.
 *
 * State is reset between runs by dirty tracking: the register page by the
 * 64-byte lines kvm_lapic_set_reg() marked, the rest (struct vcpu_vmx with
 * the vCPU and its registers, struct kvm_lapic, kvm_run and the VMCS, under
 * a kilobyte per vCPU) by copying it back.  No whole page is copied per
 * case.
 *
 * Dirty tracking only sees writes through the setters, and a fastpath may
 * write any way C allows.  So the tracking is never trusted for the
 * fastpath (docs/verify.md, "Soundness"): after the fastpath returns, the
 * register lines of every vCPU's page are compared with the base and
 * those that moved unmarked are added to the dirty set, so they are
 * compared and undone like the rest; the whole structures of every vCPU
 * are compared, fast against slow; and after every unit the whole state
 * (every page, every structure, struct kvm, the APIC map, the L1 MSR
 * bitmaps) is compared with the base.  A unit that left anything behind is
 * run again with that whole-state check after every case, which names the
 * case.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "lapic/lapic.h"
#include "verify/verify.h"
#include "verify/vcpu_raw.h"
#include "vmx/vmx.h"

#define PAGE_LINES 64

/* ---- signatures: which parts of the outcome differ ---- */

enum sig_bit {
	SIG_RIP,
	SIG_RFLAGS,
	SIG_GPR,
	SIG_REQUESTS,
	SIG_MP_STATE,
	SIG_INIT_SIPI,
	SIG_NMI_SMI,
	SIG_EXCEPTION,
	SIG_INJECTION,
	SIG_USERSPACE,
	SIG_NESTED,
	SIG_IRR,
	SIG_ISR,
	SIG_TMR,
	SIG_ICR,
	SIG_APIC_REG,
	SIG_ARB_PRIO,
	SIG_OTHER,
	SIG_NR,
};

static const char *const sig_names[SIG_NR] = {
	"RIP",	     "RFLAGS",	 "GPR",	      "requests",  "mp_state",
	"INIT/SIPI", "NMI/SMI",	 "exception", "injection", "userspace-exit",
	"nested",    "IRR",	 "ISR",	      "TMR",	   "ICR",
	"APIC-reg",  "arb-prio", "other",
};

/* Sender bits live in 31:0, bits of every other vCPU in 63:32. */
#define SIG(bit, sender) (1ULL << ((bit) + ((sender) ? 0 : 32)))

void x2s_signature_format(uint64_t sig, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int role = 0; role < 2; role++) {
		u32 bits = role ? (u32)(sig >> 32) : (u32)sig;
		bool first = true;

		if (!bits)
			continue;
		n += snprintf(buf + n, n < len ? len - n : 0,
			      "%s%s:", n ? "; " : "",
			      role ? "others" : "sender");
		for (int b = 0; b < SIG_NR; b++) {
			if (!(bits & (1u << b)))
				continue;
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s",
				      first ? " " : ",", sig_names[b]);
			first = false;
		}
	}
	if (!n)
		snprintf(buf, len, "nothing");
}

enum x2s_cause x2s_signature_cause(uint64_t sig)
{
	u32 sender = (u32)sig, others = (u32)(sig >> 32);

	if (!sig)
		return X2S_CAUSE_NONE;
	if (sender & (1u << SIG_USERSPACE))
		return X2S_CAUSE_USERSPACE_EXIT;
	if (sender & (1u << SIG_EXCEPTION))
		return X2S_CAUSE_EXCEPTION;
	if ((sender | others) & (1u << SIG_NESTED))
		return X2S_CAUSE_NESTED_EXIT;
	if (others)
		return X2S_CAUSE_OTHER_VCPUS;
	if (sender & ((1u << SIG_IRR) | (1u << SIG_ISR) | (1u << SIG_TMR) |
		      (1u << SIG_INJECTION) | (1u << SIG_REQUESTS) |
		      (1u << SIG_NMI_SMI) | (1u << SIG_INIT_SIPI)))
		return X2S_CAUSE_SENDER_INTERRUPTS;
	if (sender & (1u << SIG_ICR))
		return X2S_CAUSE_ICR;
	return X2S_CAUSE_OTHER;
}

const char *x2s_cause_name(enum x2s_cause c)
{
	switch (c) {
	case X2S_CAUSE_USERSPACE_EXIT:
		return "the exit to userspace differs";
	case X2S_CAUSE_EXCEPTION:
		return "the sender's exception differs";
	case X2S_CAUSE_NESTED_EXIT:
		return "the nested exit to L1 differs";
	case X2S_CAUSE_OTHER_VCPUS:
		return "other vCPUs receive differently";
	case X2S_CAUSE_SENDER_INTERRUPTS:
		return "the sender's own interrupt state differs";
	case X2S_CAUSE_ICR:
		return "only the stored ICR differs";
	case X2S_CAUSE_OTHER:
		return "other state differs";
	case X2S_CAUSE_NONE:
		break;
	}
	return "nothing differs";
}

static u64 small_diff(const struct x2s_vcpu_state *a,
		      const struct x2s_vcpu_state *b, bool sender)
{
	u64 sig = 0;

	if (!memcmp(&a->apic_base, &b->apic_base, X2S_STATE_SMALL_LEN))
		return 0;
	if (a->regs[X2S_REG_RIP] != b->regs[X2S_REG_RIP])
		sig |= SIG(SIG_RIP, sender);
	if (a->regs[X2S_REG_RFLAGS] != b->regs[X2S_REG_RFLAGS])
		sig |= SIG(SIG_RFLAGS, sender);
	if (memcmp(a->regs, b->regs, sizeof(u64) * (X2S_REG_RIP)) ||
	    a->regs[X2S_REG_INTERRUPTIBILITY] !=
		    b->regs[X2S_REG_INTERRUPTIBILITY])
		sig |= SIG(SIG_GPR, sender);
	if (a->requests != b->requests)
		sig |= SIG(SIG_REQUESTS, sender);
	if (a->mp_state != b->mp_state)
		sig |= SIG(SIG_MP_STATE, sender);
	if (a->init_pending != b->init_pending ||
	    a->sipi_pending != b->sipi_pending ||
	    a->sipi_vector != b->sipi_vector)
		sig |= SIG(SIG_INIT_SIPI, sender);
	if (a->nmi_pending != b->nmi_pending ||
	    a->smi_pending != b->smi_pending ||
	    a->pv_unhalted != b->pv_unhalted)
		sig |= SIG(SIG_NMI_SMI, sender);
	if (a->exception_pending != b->exception_pending ||
	    a->exception_injected != b->exception_injected ||
	    a->exception_vector != b->exception_vector ||
	    a->exception_has_error_code != b->exception_has_error_code ||
	    a->exception_error_code != b->exception_error_code)
		sig |= SIG(SIG_EXCEPTION, sender);
	if (a->entry_intr_info != b->entry_intr_info ||
	    a->entry_exception_error_code != b->entry_exception_error_code ||
	    a->window_exiting != b->window_exiting ||
	    a->guest_intr_status != b->guest_intr_status ||
	    a->req_immediate_exit != b->req_immediate_exit ||
	    a->nmi_injected != b->nmi_injected ||
	    a->interrupt_injected != b->interrupt_injected ||
	    a->interrupt_vector != b->interrupt_vector)
		sig |= SIG(SIG_INJECTION, sender);
	if (a->run_exit_reason != b->run_exit_reason)
		sig |= SIG(SIG_USERSPACE, sender);
	/* Where the vCPU is in VMX operation goes with the nested exit. */
	if (a->nested_exit != b->nested_exit ||
	    a->nested_exit_reason != b->nested_exit_reason ||
	    a->guest_mode != b->guest_mode || a->vmxon != b->vmxon)
		sig |= SIG(SIG_NESTED, sender);
	if (a->arb_prio != b->arb_prio)
		sig |= SIG(SIG_ARB_PRIO, sender);
	if (a->apic_base != b->apic_base ||
	    a->tsc_deadline != b->tsc_deadline ||
	    a->sw_enabled != b->sw_enabled)
		sig |= SIG(SIG_OTHER, sender);
	return sig;
}

static u64 page_word_sig(unsigned int off, bool sender)
{
	if (off >= APIC_IRR && off < APIC_IRR + 0x80)
		return SIG(SIG_IRR, sender);
	if (off >= APIC_ISR && off < APIC_ISR + 0x80)
		return SIG(SIG_ISR, sender);
	if (off >= APIC_TMR && off < APIC_TMR + 0x80)
		return SIG(SIG_TMR, sender);
	if (off >= APIC_ICR && off < APIC_ICR2 + 0x10)
		return SIG(SIG_ICR, sender);
	return SIG(SIG_APIC_REG, sender);
}

/* Signature of the differences between two 64-byte lines at line. */
static u64 line_diff(const u8 *a, const u8 *b, unsigned int line, bool sender)
{
	u64 sig = 0;

	if (!memcmp(a, b, 64))
		return 0;
	for (unsigned int w = 0; w < 64; w += 4)
		if (memcmp(a + w, b + w, 4))
			sig |= page_word_sig(line * 64 + w, sender);
	return sig;
}

/*
 * Whether vcpu's structures equal raw byte for byte, but for what is
 * bookkeeping and no outcome: the dirty-line mask and the kick count
 * (a statistic).
 */
static bool raw_same(struct kvm_vcpu *vcpu, const struct x2s_vcpu_raw *raw)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	unsigned long kicks = vcpu->arch.kicks;
	u64 lines = apic ? apic->dirty_lines : 0;
	bool same;

	vcpu->arch.kicks = raw->vmx.vcpu.arch.kicks;
	if (apic)
		apic->dirty_lines = raw->apic.dirty_lines;
	same = x2s_vcpu_raw_equal(vcpu, raw);
	vcpu->arch.kicks = kicks;
	if (apic)
		apic->dirty_lines = lines;
	return same;
}

/* ---- one VM, ready for many cases ---- */

struct vcpu_base {
	struct x2s_vcpu_raw raw;
	/* The fast run's structures while the slow one runs. */
	struct x2s_vcpu_raw fast_raw;
	/* vmcs12's MSR bitmap as it was (L1 memory), or NULL. */
	u8 *bitmap;
	struct x2s_vcpu_state small; /* only the small region is used */
	u8 page[X2S_APIC_PAGE_SIZE] __attribute__((aligned(64)));
	/* The fast run's outcome while the slow one runs. */
	struct x2s_vcpu_state fast;
	u64 fast_lines;
	u8 fast_page[X2S_APIC_PAGE_SIZE] __attribute__((aligned(64)));
	struct x2s_vcpu_state cur;
};

struct engine {
	struct x2s_vm *vm;
	struct kvm *kvm;
	unsigned int nr;
	/* struct kvm_vmx and the APIC map's bytes as they were. */
	struct kvm_vmx kvm_base;
	void *map_base;
	size_t map_len;
	/* Lines of each page checked after the fastpath: 16, or all 64. */
	unsigned int check_lines;
	/* The last fastpath moved page lines past the registers. */
	bool beyond;
	struct vcpu_base *base;
	struct x2s_vcpu_raw pre; /* the sender after the exit began */
	/* A vCPU left with a declined case's exit loaded, or -1. */
	int loaded;
	unsigned long *targets; /* KVM_MAX_VCPUS bits */
};

/* The register lines of a page: APIC_SELF_IPI is the last register. */
#define APIC_REG_LINES (APIC_SELF_IPI / 64 + 1)
/* vmcs12's MSR bitmap: four 1 KiB bitmaps (SDM 25.6.9). */
#define MSR_BITMAP_SIZE 4096

static size_t map_bytes(const struct kvm_apic_map *map)
{
	if (!map)
		return 0;
	return offsetof(struct kvm_apic_map, phys_map) +
	       ((size_t)map->max_apic_id + 1) * sizeof(map->phys_map[0]);
}

static void engine_free(struct engine *e)
{
	if (!e)
		return;
	x2s_vm_destroy(e->vm);
	for (unsigned int i = 0; e->base && i < e->nr; i++)
		free(e->base[i].bitmap);
	free(e->map_base);
	free(e->base);
	free(e->targets);
	free(e);
}

static struct engine *engine_new(const struct x2s_vm_desc *d)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	if (x2s_vm_desc_create(d, &e->vm)) {
		free(e);
		return NULL;
	}
	e->kvm = x2s_vm_kvm(e->vm);
	e->nr = d->nr_vcpus;
	e->loaded = -1;
	e->base = aligned_alloc(64, sizeof(*e->base) * e->nr);
	e->targets = calloc(KVM_MAX_VCPUS / BITS_PER_LONG, sizeof(long));
	if (!e->base || !e->targets) {
		engine_free(e);
		return NULL;
	}
	memset(e->base, 0, sizeof(*e->base) * e->nr);
	e->check_lines = APIC_REG_LINES;
	kvm_recalculate_apic_map(e->kvm);
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct vcpu_base *b = &e->base[i];
		const u8 *bm = to_vmx(vcpu)->nested.msr_bitmap;

		x2s_vcpu_raw_take(vcpu, &b->raw, b->page);
		x2s_vcpu_save_small(vcpu, &b->small);
		if (bm) {
			b->bitmap = malloc(MSR_BITMAP_SIZE);
			if (!b->bitmap) {
				engine_free(e);
				return NULL;
			}
			memcpy(b->bitmap, bm, MSR_BITMAP_SIZE);
		}
	}
	memcpy(&e->kvm_base, to_kvm_vmx(e->kvm), sizeof(e->kvm_base));
	e->map_len = map_bytes(e->kvm->arch.apic_map);
	if (e->map_len) {
		e->map_base = malloc(e->map_len);
		if (!e->map_base) {
			engine_free(e);
			return NULL;
		}
		memcpy(e->map_base, e->kvm->arch.apic_map, e->map_len);
	}
	return e;
}

/*
 * After the fastpath: every page line it moved without marking joins the
 * dirty set, so the comparisons and the undo below see it.
 */
static void engine_mark_untracked(struct engine *e)
{
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_lapic *apic = e->kvm->vcpus[i]->arch.apic;

		u64 moved;

		if (!apic)
			continue;
		moved = x2s_page_untracked(apic->regs, e->base[i].page,
					   apic->dirty_lines, e->check_lines);
		apic->dirty_lines |= moved;
		if (moved >> APIC_REG_LINES)
			e->beyond = true;
	}
}

/*
 * The APIC map as the fastpath left it, when it did not rebuild it: it
 * must still be the base's (a rebuilt map shows in the LAPIC state).
 */
static bool engine_map_moved(struct engine *e, const struct kvm_apic_map *was)
{
	const struct kvm_apic_map *map = e->kvm->arch.apic_map;

	return map == was && e->map_len && map_bytes(map) == e->map_len &&
	       memcmp(map, e->map_base, e->map_len);
}

/*
 * Did struct kvm_vmx move (but for the map, which delivery may rebuild)?
 * If so it is put back, keeping the map.
 */
static bool engine_kvm_moved(struct engine *e)
{
	struct kvm_vmx *kv = to_kvm_vmx(e->kvm), now = *kv;

	now.kvm.arch.apic_map = e->kvm_base.kvm.arch.apic_map;
	now.kvm.arch.apic_map_dirty = e->kvm_base.kvm.arch.apic_map_dirty;
	if (!memcmp(&now, &e->kvm_base, sizeof(now)))
		return false;
	now = e->kvm_base;
	now.kvm.arch.apic_map = kv->kvm.arch.apic_map;
	now.kvm.arch.apic_map_dirty = true;
	*kv = now;
	return true;
}

/*
 * After engine_restore(): is every byte of the model as it was -- every
 * page whole, every vCPU's structures, struct kvm_vmx, the APIC map, the
 * L1 MSR bitmaps?
 */
static bool engine_intact(struct engine *e)
{
	struct kvm_vmx now = *to_kvm_vmx(e->kvm);

	now.kvm.arch.apic_map = e->kvm_base.kvm.arch.apic_map;
	if (memcmp(&now, &e->kvm_base, sizeof(now)))
		return false;
	if (map_bytes(e->kvm->arch.apic_map) != e->map_len ||
	    (e->map_len &&
	     memcmp(e->kvm->arch.apic_map, e->map_base, e->map_len)))
		return false;
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct vcpu_base *b = &e->base[i];
		const u8 *bm = to_vmx(vcpu)->nested.msr_bitmap;

		if (!raw_same(vcpu, &b->raw))
			return false;
		if (vcpu->arch.apic &&
		    memcmp(vcpu->arch.apic->regs, b->page, X2S_APIC_PAGE_SIZE))
			return false;
		if (b->bitmap && memcmp(bm, b->bitmap, MSR_BITMAP_SIZE))
			return false;
	}
	return true;
}

/* Everything back to the base, whatever moved and however. */
static void engine_reset_hard(struct engine *e)
{
	struct kvm_apic_map *map = e->kvm->arch.apic_map;

	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct vcpu_base *b = &e->base[i];

		x2s_vcpu_raw_load(vcpu, &b->raw);
		if (vcpu->arch.apic) {
			memcpy(vcpu->arch.apic->regs, b->page,
			       X2S_APIC_PAGE_SIZE);
			vcpu->arch.apic->dirty_lines = 0;
		}
		if (b->bitmap)
			memcpy(to_vmx(vcpu)->nested.msr_bitmap, b->bitmap,
			       MSR_BITMAP_SIZE);
	}
	*to_kvm_vmx(e->kvm) = e->kvm_base;
	e->kvm->arch.apic_map = map;
	kvm_apic_map_mark_dirty(e->kvm);
	kvm_recalculate_apic_map(e->kvm);
	e->loaded = -1;
}

/* Put vCPU i back to the base; true if an input of the APIC map moved. */
static bool engine_restore_vcpu(struct engine *e, unsigned int i)
{
	return x2s_vcpu_raw_undo(e->kvm->vcpus[i], &e->base[i].raw,
				 e->base[i].page);
}

static void engine_restore(struct engine *e)
{
	bool map_moved = e->kvm->arch.apic_map_dirty;

	for (unsigned int i = 0; i < e->nr; i++)
		map_moved |= engine_restore_vcpu(e, i);
	e->loaded = -1;
	/*
	 * A case that moved an APIC in the map (an APIC_BASE, ID, LDR, DFR
	 * or SVR write) left a map built from the moved state.  Judged by
	 * its inputs, not by the map's address, which malloc may reuse.
	 */
	if (map_moved) {
		kvm_apic_map_mark_dirty(e->kvm);
		kvm_recalculate_apic_map(e->kvm);
	}
}

/* Posted-interrupt vectors are IRR vectors still in flight: fold them in. */
static void engine_normalise(struct engine *e)
{
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct pi_desc *pi = &to_vmx(vcpu)->pi_desc;

		if (!vcpu->arch.apic)
			continue;
		for (int w = 0; w < 8; w++) {
			if (!pi->pir[w])
				continue;
			kvm_lapic_set_reg(vcpu->arch.apic, APIC_IRR + w * 16,
					  kvm_lapic_get_reg(vcpu->arch.apic,
							    APIC_IRR + w * 16) |
						  pi->pir[w]);
			pi->pir[w] = 0;
		}
		pi->on = false;
	}
}

static void engine_load(struct engine *e, unsigned int s, u32 ecx, u64 data)
{
	x2s_vcpu_load_wrmsr(e->kvm->vcpus[s], ecx, data);
}

/*
 * What a fastpath that returned NONE changed.  Every vCPU is compared by
 * its page lines and, when a byte of its state moved, by its observable
 * state; the sender against pre (taken after the exit began), the others
 * against the base.  x2sim: another vCPU's VMCS and kvm_run are not
 * compared: only that vCPU's own exits touch them.
 */
static u64 engine_changed(struct engine *e, unsigned int s,
			  const struct x2s_vcpu_raw *pre)
{
	u64 sig = 0;

	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct vcpu_base *b = &e->base[i];
		struct kvm_lapic *apic = vcpu->arch.apic;
		const struct x2s_vcpu_raw *was = i == s ? pre : &b->raw;
		u64 lines = apic ? apic->dirty_lines : 0;
		const struct x2s_vcpu_state *then = &b->small;
		u64 vsig = 0;

		while (lines) {
			unsigned int l = __builtin_ctzll(lines);

			vsig |= line_diff((u8 *)apic->regs + l * 64,
					  b->page + l * 64, l, i == s);
			lines &= lines - 1;
		}
		if (raw_same(vcpu, was)) {
			sig |= vsig;
			continue;
		}
		if (i == s) {
			struct x2s_vcpu_raw now;

			/* The observable state before: put pre back a moment. */
			x2s_vcpu_raw_save(vcpu, &now);
			x2s_vcpu_raw_load(vcpu, pre);
			x2s_vcpu_save_small(vcpu, &b->fast);
			x2s_vcpu_raw_load(vcpu, &now);
			then = &b->fast;
		}
		if (memcmp(&to_vmx(vcpu)->pi_desc, &was->vmx.pi_desc,
			   sizeof(struct pi_desc)))
			vsig |= SIG(SIG_IRR, i == s);
		x2s_vcpu_save_small(vcpu, &b->cur);
		vsig |= small_diff(then, &b->cur, i == s);
		/* A byte moved that no part of the outcome above shows. */
		if (!vsig)
			vsig = SIG(SIG_OTHER, i == s);
		sig |= vsig;
	}
	return sig;
}

static void engine_capture_fast(struct engine *e)
{
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct vcpu_base *b = &e->base[i];
		u64 lines = vcpu->arch.apic ? vcpu->arch.apic->dirty_lines : 0;

		x2s_vcpu_save_small(vcpu, &b->fast);
		x2s_vcpu_raw_save(vcpu, &b->fast_raw);
		b->fast_lines = lines;
		if (lines)
			x2s_page_copy_lines(b->fast_page, vcpu->arch.apic->regs,
					    lines);
	}
}

/* Compare the live (slow) outcome with the captured fast one. */
static u64 engine_compare(struct engine *e, unsigned int s)
{
	u64 sig = 0;

	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->kvm->vcpus[i];
		struct vcpu_base *b = &e->base[i];
		u64 slow_lines =
			vcpu->arch.apic ? vcpu->arch.apic->dirty_lines : 0;
		u64 lines = slow_lines | b->fast_lines;

		u64 vsig;

		x2s_vcpu_save_small(vcpu, &b->cur);
		vsig = small_diff(&b->fast, &b->cur, i == s);
		while (lines) {
			unsigned int l = __builtin_ctzll(lines);
			const u8 *f = (b->fast_lines >> l & 1) ?
					      b->fast_page + l * 64 :
					      b->page + l * 64;
			const u8 *w =
				(slow_lines >> l & 1) ?
					(u8 *)vcpu->arch.apic->regs + l * 64 :
					b->page + l * 64;

			vsig |= line_diff(f, w, l, i == s);
			lines &= lines - 1;
		}
		/* A byte of the structures that the outcome above misses. */
		if (!vsig && !raw_same(vcpu, &b->fast_raw))
			vsig = SIG(SIG_OTHER, i == s);
		sig |= vsig;
	}
	return sig;
}

/* ---- one case ---- */

struct case_out {
	enum x2s_verdict verdict;
	int fastpath;
	bool handled;
	bool violation;
	u64 sig;
	int targets; /* handled cases only */
	struct x2s_exit_result fast, slow;
	char warn[160];
};

static void note_warn(struct case_out *o, const char *prefix)
{
	if (!o->warn[0] && x2s_warn_count())
		snprintf(o->warn, sizeof(o->warn), "%s%s", prefix,
			 x2s_warn_first());
}

/* r of x2s_vmx_exit_finish() as a public status (cf. x2s_vcpu_exit). */
static int exit_status(struct kvm_vcpu *vcpu, int r)
{
	if (r <= 0)
		return X2S_STATUS_USERSPACE;
	return vcpu->arch.mp_state == KVM_MP_STATE_RUNNABLE ?
		       X2S_STATUS_GUEST :
		       X2S_STATUS_BLOCKED;
}

static int case_targets(struct engine *e, unsigned int s, u64 data)
{
	struct kvm_lapic *src = e->kvm->vcpus[s]->arch.apic;
	struct kvm_lapic_irq irq;
	int n;

	if (!src)
		return 0;
	memset(e->targets, 0, KVM_MAX_VCPUS / 8);
	kvm_icr_to_lapic_irq(src, (u32)data & ~APIC_ICR_BUSY, (u32)(data >> 32),
			     &irq);
	n = x2s_apic_map_receivers(e->kvm, src, &irq, e->targets);
	if (n < 0) {
		memset(e->targets, 0, KVM_MAX_VCPUS / 8);
		n = x2s_apic_loop_receivers(e->kvm, src, &irq, e->targets);
	}
	return n;
}

static bool single_target_contract_holds(u64 data, int targets)
{
	return targets == 1 && !(data & APIC_SHORT_MASK) &&
	       (u32)(data >> 32) != X2APIC_BROADCAST;
}

static void engine_case(struct engine *e, unsigned int s, u32 ecx, u64 data,
			const struct x2s_fastpath *fn,
			enum x2s_contract contract, struct case_out *o)
{
	struct kvm_vcpu *vcpu = e->kvm->vcpus[s];
	const struct kvm_apic_map *map;
	u64 map_sig = 0;
	fastpath_t fp;
	int r;

	o->verdict = X2S_VERDICT_DECLINED;
	o->handled = false;
	o->violation = false;
	o->sig = 0;
	o->warn[0] = '\0';
	x2s_warn_reset();

	if (e->loaded >= 0 && e->loaded != (int)s)
		engine_restore_vcpu(e, (unsigned int)e->loaded);
	e->loaded = -1;
	engine_load(e, s, ecx, data);
	x2s_vmx_exit_begin(vcpu);
	x2s_vcpu_raw_save(vcpu, &e->pre);
	map = e->kvm->arch.apic_map;
	fp = x2s_vmx_exit_fastpath(vcpu, fn);
	o->fastpath = fp;
	engine_mark_untracked(e);
	if (engine_map_moved(e, map) || engine_kvm_moved(e)) {
		/* Scribbled on: counted, and rebuilt by the restore. */
		map_sig = SIG(SIG_OTHER, true);
		kvm_apic_map_mark_dirty(e->kvm);
	}

	if (fp == EXIT_FASTPATH_NONE) {
		o->sig = engine_changed(e, s, &e->pre) | map_sig;
		note_warn(o, "");
		if (o->sig)
			o->verdict = X2S_VERDICT_DIRTY_NONE;
		else if (o->warn[0])
			o->verdict = X2S_VERDICT_WARN;
		/*
		 * A clean decline left only what loading and beginning the
		 * next exit of the same sender overwrite anyway (exit
		 * fields, RCX/RAX/RDX, vcpu->mode): restored only when
		 * another vCPU sends next.
		 */
		if (o->verdict != X2S_VERDICT_DECLINED)
			engine_restore(e);
		else
			e->loaded = (int)s;
		return;
	}

	o->handled = true;
	r = x2s_vmx_exit_finish(vcpu, fp);
	memset(&o->fast, 0, sizeof(o->fast));
	o->fast.status = exit_status(vcpu, r);
	o->fast.fastpath = fp;
	note_warn(o, "");
	x2s_warn_reset();
	engine_normalise(e);
	engine_capture_fast(e);
	engine_restore(e);

	engine_load(e, s, ecx, data);
	x2s_vmx_exit_begin(vcpu);
	r = x2s_vmx_exit_finish(vcpu, EXIT_FASTPATH_NONE);
	memset(&o->slow, 0, sizeof(o->slow));
	o->slow.status = exit_status(vcpu, r);
	note_warn(o, "slow path: ");
	engine_normalise(e);
	o->sig = engine_compare(e, s) | map_sig;
	if (o->fast.status != o->slow.status)
		o->sig |= SIG(SIG_USERSPACE, true);
	engine_restore(e);

	if (o->sig)
		o->verdict = X2S_VERDICT_MISMATCH;
	else if (o->warn[0])
		o->verdict = X2S_VERDICT_WARN;
	else
		o->verdict = X2S_VERDICT_EQUAL;

	o->targets = case_targets(e, s, data);
	if (contract == X2S_CONTRACT_SINGLE_TARGET &&
	    !single_target_contract_holds(data, o->targets))
		o->violation = true;
}

/* A case that changed what the per-case comparison does not look at. */
static void engine_leaked(struct case_out *o)
{
	if (!o->sig)
		o->sig = SIG(SIG_OTHER, true);
	if (o->verdict == X2S_VERDICT_DECLINED ||
	    o->verdict == X2S_VERDICT_WARN)
		o->verdict = X2S_VERDICT_DIRTY_NONE;
	else if (o->verdict == X2S_VERDICT_EQUAL)
		o->verdict = X2S_VERDICT_MISMATCH;
	if (o->fastpath != EXIT_FASTPATH_NONE &&
	    o->verdict == X2S_VERDICT_DIRTY_NONE)
		o->verdict = X2S_VERDICT_MISMATCH;
}

const char *x2s_verdict_name(enum x2s_verdict v)
{
	switch (v) {
	case X2S_VERDICT_DECLINED:
		return "declined";
	case X2S_VERDICT_EQUAL:
		return "equal";
	case X2S_VERDICT_MISMATCH:
		return "MISMATCH";
	case X2S_VERDICT_DIRTY_NONE:
		return "MISMATCH (returned NONE after changing state)";
	case X2S_VERDICT_WARN:
		return "WARN";
	}
	return "?";
}

const char *x2s_fastpath_result_name(int fastpath)
{
	switch (fastpath) {
	case EXIT_FASTPATH_NONE:
		return "NONE";
	case EXIT_FASTPATH_REENTER_GUEST:
		return "REENTER_GUEST";
	case EXIT_FASTPATH_EXIT_HANDLED:
		return "EXIT_HANDLED";
	case EXIT_FASTPATH_EXIT_USERSPACE:
		return "EXIT_USERSPACE";
	case X2S_EXIT_FASTPATH_SKIP_EMUL_INS:
		return "SKIP_EMUL_INS";
	}
	return "invalid";
}

int x2s_verify_case(const struct x2s_case *c, const struct x2s_fastpath *fn,
		    enum x2s_contract contract, struct x2s_case_result *res,
		    struct x2s_vcpu_state *fast_states,
		    struct x2s_vcpu_state *slow_states, FILE *diff)
{
	struct case_out o;
	struct engine *e;

	if (!c || !res || x2s_vm_desc_check(&c->config, NULL, 0) ||
	    c->sender >= c->config.nr_vcpus)
		return -EINVAL;
	e = engine_new(&c->config);
	if (!e)
		return -ENOMEM;
	/* One case: the whole page, and the whole state after it. */
	e->check_lines = PAGE_LINES;
	engine_case(e, c->sender, c->ecx, c->data, fn, contract, &o);
	engine_restore(e);
	if (e->beyond || !engine_intact(e)) {
		engine_leaked(&o);
		engine_reset_hard(e);
	}

	memset(res, 0, sizeof(*res));
	res->verdict = o.verdict;
	res->fastpath = o.fastpath;
	res->contract_violation = o.violation;
	res->nr_vcpus = e->nr;
	snprintf(res->warn, sizeof(res->warn), "%s", o.warn);

	/* Again, through the public API, for the full outcomes. */
	{
		struct x2s_vcpu_state *fs = fast_states, *ss = slow_states;
		bool own = !fs || !ss;
		struct x2s_exit_result er;

		if (own) {
			fs = calloc(e->nr, sizeof(*fs));
			ss = calloc(e->nr, sizeof(*ss));
		}
		if (fs && ss) {
			x2s_vm_set_fastpath(e->vm, NULL);
			to_kvm_vmx(e->kvm)->fastpath = fn;
			x2s_vcpu_wrmsr_exit(e->vm, c->sender, c->ecx, c->data,
					    &er);
			res->fast = er;
			x2s_vm_save(e->vm, fs);
			engine_restore(e);
			to_kvm_vmx(e->kvm)->fastpath = NULL;
			x2s_vcpu_wrmsr_exit(e->vm, c->sender, c->ecx, c->data,
					    &res->slow);
			x2s_vm_save(e->vm, ss);
			engine_restore(e);
			if (diff && res->verdict != X2S_VERDICT_DECLINED)
				x2s_state_diff(fs, ss, e->nr, diff);
		}
		if (own) {
			free(fs);
			free(ss);
		}
	}
	x2s_warn_reset();
	engine_free(e);
	return 0;
}

/* ---- sweeps ---- */

enum unit_kind { UNIT_ICR, UNIT_RESERVED, UNIT_REDUCED, UNIT_MSR };

#define ICR_CHUNK_BITS 16
#define ICR_CHUNKS (1u << (20 - ICR_CHUNK_BITS))
#define MSR_CHUNK_BITS 20
#define MSR_CHUNKS (1u << (32 - MSR_CHUNK_BITS))
#define NR_RESERVED 12 /* ICR bits 31:20 */
static const u8 reduced_vectors[] = { 0x00, 0x0f, 0x31, 0xff };
#define REDUCED_SIZE (4096u * sizeof(reduced_vectors))

struct unit {
	u16 config;
	u16 sender;
	u8 kind;
	u32 dest;
	u32 chunk;
};

struct plan {
	struct unit *units;
	size_t nr;
	u64 cases;
};

static u64 unit_size(const struct unit *u)
{
	switch (u->kind) {
	case UNIT_ICR:
		return 1u << ICR_CHUNK_BITS;
	case UNIT_RESERVED:
		return NR_RESERVED;
	case UNIT_REDUCED:
		return REDUCED_SIZE;
	default:
		return 1ULL << MSR_CHUNK_BITS;
	}
}

/* The j-th case of a unit. */
static void unit_case(const struct unit *u, u64 j, u32 *ecx, u64 *data)
{
	u64 dest = (u64)u->dest << 32;

	switch (u->kind) {
	case UNIT_ICR:
		*ecx = APIC_BASE_MSR + (APIC_ICR >> 4);
		*data = dest | (u->chunk << ICR_CHUNK_BITS) | j;
		break;
	case UNIT_RESERVED:
		*ecx = APIC_BASE_MSR + (APIC_ICR >> 4);
		*data = dest | (1u << (20 + j)) | 0x31;
		break;
	case UNIT_REDUCED:
		*ecx = APIC_BASE_MSR + (APIC_ICR >> 4);
		*data = dest | ((j / 4) << 8) | reduced_vectors[j % 4];
		break;
	default:
		*ecx = (u32)((u64)u->chunk << MSR_CHUNK_BITS | j);
		*data = dest | 0x31;
		break;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The destination classes of a configuration: every present x2APIC and
 * xAPIC ID, an absent ID, one above the maximum, the xAPIC and x2APIC
 * broadcasts, 0xffff, and logical masks (cluster 0 pairs and halves, a
 * member that does not exist, cluster 1).
 */
static unsigned int config_dests(const struct x2s_vm_desc *d, u32 *out)
{
	unsigned int n = 0, k = 0;

	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		out[n++] = i;
		if (d->vcpu[i].xapic_id >= 0)
			out[n++] = (u32)d->vcpu[i].xapic_id;
	}
	out[n++] = d->nr_vcpus; /* absent */
	out[n++] = 0x100;	/* above the map's maximum (>= 255) */
	out[n++] = 0xff;
	out[n++] = 0xffff;
	out[n++] = 0x3;
	out[n++] = 0x6;
	out[n++] = 0xc;
	out[n++] = 0x8000;
	out[n++] = 0x10001;
	out[n++] = X2APIC_BROADCAST;
	qsort(out, n, sizeof(*out), cmp_u32);
	for (unsigned int i = 0; i < n; i++)
		if (!k || out[k - 1] != out[i])
			out[k++] = out[i];
	return k;
}

#define MAX_DESTS (2 * X2S_DESC_MAX_VCPUS + 12)

static bool opts_valid(const struct x2s_sweep_opts *o)
{
	if (!o || !o->configs || !o->nr_configs || !o->threads ||
	    o->threads > 256 || !o->nr_shards || !o->shard ||
	    o->shard > o->nr_shards || !(o->sweep & X2S_SWEEP_ALL) ||
	    (o->sweep & ~(unsigned int)X2S_SWEEP_ALL) || o->nr_configs > 0xffff)
		return false;
	for (unsigned int c = 0; c < o->nr_configs; c++)
		if (x2s_vm_desc_check(&o->configs[c], NULL, 0))
			return false;
	return true;
}

/* The MSR sweep's configuration: the first with two vCPUs, else the first. */
static unsigned int msr_config(const struct x2s_sweep_opts *o)
{
	for (unsigned int c = 0; c < o->nr_configs; c++)
		if (o->configs[c].nr_vcpus >= 2)
			return c;
	return 0;
}

static int plan_build(const struct x2s_sweep_opts *o, struct plan *p)
{
	size_t cap = 0, all = 0;
	struct unit *units = NULL;

	memset(p, 0, sizeof(*p));
	for (int pass = 0; pass < 2; pass++) {
		all = 0;
		if (o->sweep & X2S_SWEEP_ICR) {
			for (unsigned int c = 0; c < o->nr_configs; c++) {
				const struct x2s_vm_desc *d = &o->configs[c];
				u32 dests[MAX_DESTS];
				unsigned int nd = config_dests(d, dests);

				for (unsigned int s = 0; s < d->nr_vcpus; s++) {
					for (unsigned int k = 0; k < nd; k++) {
						struct unit u = {
							.config = (u16)c,
							.sender = (u16)s,
							.dest = dests[k],
						};
						unsigned int chunks =
							o->reduced ?
								1 :
								ICR_CHUNKS + 1;

						for (unsigned int ch = 0;
						     ch < chunks; ch++) {
							u.kind =
								o->reduced ?
									UNIT_REDUCED :
								ch < ICR_CHUNKS ?
									UNIT_ICR :
									UNIT_RESERVED;
							u.chunk = ch;
							if (units &&
							    all % o->nr_shards ==
								    o->shard -
									    1)
								units[p->nr++] =
									u;
							all++;
						}
					}
				}
			}
		}
		if (o->sweep & X2S_SWEEP_MSR) {
			unsigned int c = msr_config(o);
			struct unit u = {
				.config = (u16)c,
				.sender = 0,
				.kind = UNIT_MSR,
				.dest = o->configs[c].nr_vcpus > 1 ? 1 : 0,
			};

			for (unsigned int ch = 0; ch < MSR_CHUNKS; ch++) {
				u.chunk = ch;
				if (units && all % o->nr_shards == o->shard - 1)
					units[p->nr++] = u;
				all++;
			}
		}
		if (pass == 0) {
			cap = all / o->nr_shards + 1;
			units = calloc(cap, sizeof(*units));
			if (!units)
				return -ENOMEM;
		}
	}
	p->units = units;
	for (size_t i = 0; i < p->nr; i++)
		p->cases += unit_size(&p->units[i]);
	return 0;
}

uint64_t x2s_sweep_count(const struct x2s_sweep_opts *o)
{
	struct plan p;
	u64 n;

	if (!opts_valid(o) || plan_build(o, &p))
		return 0;
	n = p.cases;
	free(p.units);
	return n;
}

int x2s_sweep_enumerate(const struct x2s_sweep_opts *o,
			void (*fn)(void *opaque, unsigned int config,
				   unsigned int sender, uint32_t ecx,
				   uint64_t data),
			void *opaque)
{
	struct plan p;
	int r;

	if (!opts_valid(o) || !fn)
		return -EINVAL;
	r = plan_build(o, &p);
	if (r)
		return r;
	for (size_t i = 0; i < p.nr; i++) {
		const struct unit *u = &p.units[i];
		u64 n = unit_size(u);

		for (u64 j = 0; j < n; j++) {
			u32 ecx;
			u64 data;

			unit_case(u, j, &ecx, &data);
			fn(opaque, u->config, u->sender, ecx, data);
		}
	}
	free(p.units);
	return 0;
}

/* ---- findings ---- */

#define MAX_FINDINGS 256

struct finding_table {
	struct x2s_finding f[MAX_FINDINGS];
	unsigned int nr;
	u64 dropped;
};

static bool same_class(const struct x2s_finding *a, const struct x2s_finding *b)
{
	return a->verdict == b->verdict && a->violation == b->violation &&
	       a->fastpath == b->fastpath && a->cause == b->cause &&
	       a->delivery_mode == b->delivery_mode &&
	       a->logical == b->logical && a->shorthand == b->shorthand &&
	       a->targets == b->targets && !strcmp(a->warn, b->warn);
}

/* The smaller case: fewer vCPUs, fewer set bits, then a fixed order. */
static bool case_smaller(const struct x2s_finding *a,
			 const struct x2s_finding *b)
{
	int pa = __builtin_popcountll(a->example.data),
	    pb = __builtin_popcountll(b->example.data);
	int ea = __builtin_popcount(a->example.ecx),
	    eb = __builtin_popcount(b->example.ecx);

	if (a->example.config.nr_vcpus != b->example.config.nr_vcpus)
		return a->example.config.nr_vcpus < b->example.config.nr_vcpus;
	if (pa != pb)
		return pa < pb;
	if (ea != eb)
		return ea < eb;
	if (a->config_index != b->config_index)
		return a->config_index < b->config_index;
	if (a->example.sender != b->example.sender)
		return a->example.sender < b->example.sender;
	if (a->example.data != b->example.data)
		return a->example.data < b->example.data;
	return a->example.ecx < b->example.ecx;
}

static void table_add(struct finding_table *t, const struct x2s_finding *nf,
		      u64 count)
{
	for (unsigned int i = 0; i < t->nr; i++) {
		struct x2s_finding *f = &t->f[i];

		if (!same_class(f, nf))
			continue;
		if (case_smaller(nf, f)) {
			u64 c = f->count;

			*f = *nf;
			f->count = c;
		}
		f->count += count;
		return;
	}
	if (t->nr == MAX_FINDINGS) {
		t->dropped += count;
		return;
	}
	t->f[t->nr] = *nf;
	t->f[t->nr].count = count;
	t->nr++;
}

static int finding_order(const void *pa, const void *pb)
{
	const struct x2s_finding *a = pa, *b = pb;

	if (a->violation != b->violation)
		return a->violation - b->violation;
	if (a->verdict != b->verdict)
		return (int)a->verdict - (int)b->verdict;
	if (a->cause != b->cause)
		return (int)a->cause - (int)b->cause;
	if (a->fastpath != b->fastpath)
		return a->fastpath - b->fastpath;
	if (a->delivery_mode != b->delivery_mode)
		return a->delivery_mode - b->delivery_mode;
	if (a->logical != b->logical)
		return a->logical - b->logical;
	if (a->shorthand != b->shorthand)
		return a->shorthand - b->shorthand;
	if (a->targets != b->targets)
		return a->targets - b->targets;
	return strcmp(a->warn, b->warn);
}

/* ---- the sweep's workers ---- */

struct sweep_shared {
	const struct x2s_sweep_opts *o;
	struct plan plan;
	atomic_size_t next;
	atomic_uint_fast64_t done;
	atomic_int error;
};

struct sweep_thread {
	struct sweep_shared *sh;
	pthread_t tid;
	struct x2s_sweep_report rep; /* counters and profile only */
	struct finding_table *table;
	struct engine **engines; /* one per configuration, made on demand */
};

/* The finding part of a case: mismatch counts and its class. */
static void record_finding(struct sweep_thread *t, const struct unit *u,
			   u32 ecx, u64 data, const struct case_out *co)
{
	const struct x2s_sweep_opts *o = t->sh->o;
	struct x2s_sweep_report *r = &t->rep;
	u32 low = (u32)data;
	unsigned int dm = (low >> 8) & 7, lg = !!(low & APIC_DEST_LOGICAL),
		     sh = (low >> 18) & 3;
	struct x2s_finding f;

	if (co->verdict == X2S_VERDICT_DECLINED ||
	    (co->verdict == X2S_VERDICT_EQUAL && !co->violation))
		return;

	if (co->verdict == X2S_VERDICT_EQUAL) {
		r->violations++;
	} else {
		r->mismatches++;
		if (co->warn[0])
			r->warns++;
		if (co->verdict == X2S_VERDICT_DIRTY_NONE)
			r->dirty_none++;
	}
	memset(&f, 0, sizeof(f));
	f.verdict = co->verdict;
	f.violation = co->verdict == X2S_VERDICT_EQUAL;
	f.fastpath = co->fastpath;
	f.signature = co->sig;
	f.cause = x2s_signature_cause(co->sig);
	if (f.violation) {
		/* Violations are classed by what the contract looks at. */
		f.delivery_mode = (u8)dm;
		f.logical = lg;
		f.shorthand = (u8)sh;
		f.targets = (u8)(co->targets < X2S_PROFILE_TARGETS - 1 ?
					 co->targets :
					 X2S_PROFILE_TARGETS - 1);
	}
	snprintf(f.warn, sizeof(f.warn), "%s", co->warn);
	f.config_index = u->config;
	f.example.config = o->configs[u->config];
	f.example.sender = u->sender;
	f.example.ecx = ecx;
	f.example.data = data;
	table_add(t->table, &f, 1);
}

static void record(struct sweep_thread *t, const struct unit *u, u32 ecx,
		   u64 data, const struct case_out *co)
{
	struct x2s_sweep_report *r = &t->rep;
	u32 low = (u32)data;
	unsigned int dm = (low >> 8) & 7, lg = !!(low & APIC_DEST_LOGICAL),
		     sh = (low >> 18) & 3;

	r->cases++;
	r->total[dm][lg][sh]++;
	if (co->handled) {
		unsigned int tb = co->targets < X2S_PROFILE_TARGETS - 1 ?
					  (unsigned int)co->targets :
					  X2S_PROFILE_TARGETS - 1;

		r->handled++;
		r->profile[dm][lg][sh][tb]++;
	} else {
		r->declined++;
	}
	record_finding(t, u, ecx, data, co);
}

/*
 * The unit left something behind that the per-case comparison does not
 * see (page bytes past the registers, struct kvm, the map, an MSR bitmap):
 * run it again with the whole state checked after every case, and record
 * the first case that moved it.  Its other cases were recorded already.
 */
static void find_leak(struct sweep_thread *t, const struct unit *u,
		      struct engine *e)
{
	const struct x2s_sweep_opts *o = t->sh->o;
	u64 n = unit_size(u);
	struct case_out co;
	u32 ecx = 0;
	u64 data = 0;

	engine_reset_hard(e);
	e->check_lines = PAGE_LINES;
	for (u64 j = 0; j < n; j++) {
		e->beyond = false;
		unit_case(u, j, &ecx, &data);
		engine_case(e, u->sender, ecx, data, o->fn, o->contract, &co);
		engine_restore(e);
		if (e->beyond || !engine_intact(e))
			break;
	}
	/* Counted on the first run already: only its class now. */
	engine_leaked(&co);
	record_finding(t, u, ecx, data, &co);
	engine_reset_hard(e);
	e->check_lines = APIC_REG_LINES;
	e->beyond = false;
}

/* Take the next unit of the plan and run it; false when none is left. */
static bool sweep_one_unit(struct sweep_thread *t)
{
	struct sweep_shared *sh = t->sh;
	const struct x2s_sweep_opts *o = sh->o;
	size_t i = atomic_fetch_add(&sh->next, 1);
	const struct unit *u;
	struct case_out co;
	struct engine *e;
	u64 n;

	if (i >= sh->plan.nr || atomic_load(&sh->error))
		return false;
	u = &sh->plan.units[i];
	e = t->engines[u->config];
	if (!e) {
		e = engine_new(&o->configs[u->config]);
		if (!e) {
			atomic_store(&sh->error, -ENOMEM);
			return false;
		}
		t->engines[u->config] = e;
	}
	n = unit_size(u);
	e->beyond = false;
	for (u64 j = 0; j < n; j++) {
		u32 ecx;
		u64 data;

		unit_case(u, j, &ecx, &data);
		engine_case(e, u->sender, ecx, data, o->fn, o->contract, &co);
		record(t, u, ecx, data, &co);
	}
	engine_restore(e);
	if (e->beyond || !engine_intact(e))
		find_leak(t, u, e);
	atomic_fetch_add(&sh->done, n);
	return true;
}

static void *sweep_worker(void *arg)
{
	while (sweep_one_unit(arg))
		;
	x2s_warn_reset();
	return NULL;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void merge_report(struct x2s_sweep_report *r,
			 const struct x2s_sweep_report *t)
{
	r->cases += t->cases;
	r->handled += t->handled;
	r->declined += t->declined;
	r->mismatches += t->mismatches;
	r->warns += t->warns;
	r->dirty_none += t->dirty_none;
	r->violations += t->violations;
	for (int a = 0; a < 8; a++)
		for (int b = 0; b < 2; b++)
			for (int c = 0; c < 4; c++) {
				r->total[a][b][c] += t->total[a][b][c];
				for (int d = 0; d < X2S_PROFILE_TARGETS; d++)
					r->profile[a][b][c][d] +=
						t->profile[a][b][c][d];
			}
}

int x2s_sweep_run(const struct x2s_sweep_opts *o, struct x2s_sweep_report *r)
{
	struct sweep_shared sh;
	struct sweep_thread *threads;
	struct finding_table *all;
	double t0 = now_seconds();
	int err = 0;
	unsigned int started = 0;

	if (!opts_valid(o) || !r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	memset(&sh, 0, sizeof(sh));
	sh.o = o;
	err = plan_build(o, &sh.plan);
	if (err)
		return err;
	threads = calloc(o->threads, sizeof(*threads));
	all = calloc(1, sizeof(*all));
	if (!threads || !all) {
		err = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < o->threads; i++) {
		threads[i].sh = &sh;
		threads[i].table = calloc(1, sizeof(struct finding_table));
		threads[i].engines = calloc(o->nr_configs, sizeof(void *));
		if (!threads[i].table || !threads[i].engines) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (unsigned int i = 1; i < o->threads; i++) {
		if (pthread_create(&threads[i].tid, NULL, sweep_worker,
				   &threads[i])) {
			err = -EAGAIN;
			break;
		}
		started = i;
	}
	if (!err) {
		/* The calling thread works too, and reports progress. */
		while (sweep_one_unit(&threads[0]))
			if (o->progress)
				o->progress(o->opaque, atomic_load(&sh.done),
					    sh.plan.cases);
		x2s_warn_reset();
	} else {
		atomic_store(&sh.error, err);
	}
	for (unsigned int i = 1; i <= started; i++)
		pthread_join(threads[i].tid, NULL);
	if (!err)
		err = atomic_load(&sh.error);

	for (unsigned int i = 0; i < o->threads; i++) {
		merge_report(r, &threads[i].rep);
		if (threads[i].table) {
			for (unsigned int k = 0; k < threads[i].table->nr; k++)
				table_add(all, &threads[i].table->f[k],
					  threads[i].table->f[k].count);
			all->dropped += threads[i].table->dropped;
		}
	}
	if (!err && all->nr) {
		r->findings = calloc(all->nr, sizeof(*r->findings));
		if (!r->findings) {
			err = -ENOMEM;
		} else {
			memcpy(r->findings, all->f,
			       all->nr * sizeof(*r->findings));
			r->nr_findings = all->nr;
			qsort(r->findings, r->nr_findings, sizeof(*r->findings),
			      finding_order);
		}
	}
	r->findings_dropped = all->dropped;
	r->seconds = now_seconds() - t0;
out:
	if (threads) {
		for (unsigned int i = 0; i < o->threads; i++) {
			if (threads[i].engines)
				for (unsigned int c = 0; c < o->nr_configs; c++)
					engine_free(threads[i].engines[c]);
			free(threads[i].engines);
			free(threads[i].table);
		}
	}
	free(threads);
	free(all);
	free(sh.plan.units);
	if (err)
		x2s_sweep_report_free(r);
	return err;
}

void x2s_sweep_report_free(struct x2s_sweep_report *r)
{
	if (!r)
		return;
	free(r->findings);
	r->findings = NULL;
	r->nr_findings = 0;
}
