// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: the one outcome model (engine.h).
 *
 * A VM is held at a base state.  A case loads an exit into a vCPU, begins
 * it as the CPU and vmx_vcpu_run() do, calls the fastpath under test where
 * vmx_vcpu_run() calls it, and judges what it did (docs/verify.md, "A
 * case" and "The outcome"):
 *
 * - NONE: it must have changed nothing.  The state is compared with the
 *   state right before the call, byte for byte (the sender against a copy
 *   taken after the exit began, everything else against the base).
 * - anything else: the exit runs to its end, its outcome is captured, the
 *   state goes back to the base, the exit runs again without the fastpath,
 *   and the two outcomes are compared byte for byte.
 *
 * What is compared, and when, is docs/verify.md's "Soundness": in short,
 * every byte a fastpath can reach from struct kvm_vcpu and struct kvm, in
 * X2S_CHECK_CASE after every case; in X2S_CHECK_SWEEP the bytes the model
 * itself ever writes (every vCPU's register lines and structures, struct
 * kvm_vmx, kvm->vcpus[]) after every case and the bytes
 * no model code writes (the page past its registers, L1's MSR bitmaps, the
 * APIC map) at the end of every unit, before anything could overwrite them.
 * No comparison trusts the setters' dirty marks: changed lines are found
 * by comparing lines.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lapic/lapic.h"
#include "verify/engine.h"
#include "verify/guard.h"

/* Everything a fastpath can reach, copied. */
struct snap_vcpu {
	struct x2s_vcpu_image img;
	u8 page[X2S_APIC_PAGE_SIZE] __attribute__((aligned(64)));
	u8 *bitmap; /* L1's MSR bitmap as it was, or NULL */
	/*
	 * The page past the registers, and the bitmap, were all zero (the
	 * model never writes the one, and the other only when L1 runs L2):
	 * the live bytes are then checked against zero alone, half the
	 * memory traffic of a comparison.
	 */
	bool tail_zero, bitmap_zero;
	/*
	 * bitmap holds a copy taken by an earlier snapshot_take() (a new
	 * take compares it with the live bitmap before copying again).
	 */
	bool bitmap_ok;
};

struct x2s_snapshot {
	struct snap_vcpu *v;
	struct kvm_vmx kvm;
	struct kvm_vcpu **vcpus; /* kvm->vcpus[] */
	u8 *map;
	size_t map_len, map_cap;
	/*
	 * The arming of the guard of X2S_CHECK_CASE (x2s_engine_cold_case())
	 * under which the page tails here (every APIC page past its
	 * registers) were last the VM's; 0: none.  While that arming lasts
	 * they still are.  bm_epoch: the engine's count of its own writes
	 * of held bitmaps (bm_write(), x2s_engine_setup_end()) when the
	 * bitmaps here were last the VM's.
	 */
	unsigned long cold_epoch, bm_epoch;
};

/* An outcome: structures whole, the page by the lines off the base. */
struct cap_vcpu {
	struct x2s_vcpu_image img;
	u8 page[X2S_APIC_PAGE_SIZE] __attribute__((aligned(64)));
	u64 lines;
	/*
	 * page holds the first full_lines lines of the register page whole
	 * (0: only lines), as captured with the base of generation base_gen;
	 * where the capture before moved no line, they are the base's then.
	 */
	unsigned int full_lines;
	unsigned long base_gen;
	/* The structures were the base's (img not written): cap_img(). */
	bool at_base;
};

struct x2s_capture {
	struct cap_vcpu *v;
	struct kvm_vmx kvm;
	/* The engine of the last capture: full_lines hold only for it. */
	const struct x2s_engine *owner;
	/* The base it was taken against (its vCPUs at_base refer to it). */
	unsigned long base_gen;
};

struct x2s_engine {
	struct x2s_vcpu_image pre; /* the sender after its exit began */
	struct x2s_vcpu_image scratch;
	/* Counts the base's snapshots: a capture's page lines hold to one. */
	unsigned long base_gen;
	struct x2s_vm *vm;
	struct kvm *kvm;
	struct kvm_vcpu **vcpu; /* the vCPUs, whatever kvm->vcpus[] says */
	unsigned int nr;
	enum x2s_check check;
	struct x2s_snapshot *base;
	struct x2s_capture *fast, *slow;
	/* X2S_CHECK_SWEEP: the sender of a clean decline, left loaded. */
	int left;
	/*
	 * X2S_CHECK_SWEEP: pre as the exit pre_in left sender pre_sender
	 * (-1: none).  The next exit of that sender that differs only in
	 * RCX, RAX and RDX begins from the same base and writes the same
	 * bytes but those three: pre is patched, not copied again.
	 */
	int pre_sender;
	struct x2s_input pre_in;
	struct x2s_vcpu_image post; /* the sender after its fastpath */
	/*
	 * X2S_CHECK_SWEEP: something the per-case checks leave to the end
	 * of the unit was found moved already (the unit is run again).
	 */
	bool suspect;
	struct x2s_vcpu_state *st_ref, *st_now;
	/* Per vCPU: the register lines off the base at the last look. */
	u64 *lines;
	/*
	 * Per vCPU: false when the last look found its structures the
	 * base's, so an undo by the model's writes need not load them.
	 */
	bool *moved;
	unsigned long targets[KVM_MAX_VCPUS / BITS_PER_LONG];
	/*
	 * The APIC map's allocation when the exit began: model code may
	 * reallocate the map (a new maximum APIC ID), so a snapshot's
	 * pointer is not the map's address for long; its bytes are.
	 */
	struct kvm_apic_map *map_at_load;
	/*
	 * The map's rebuild count (x2s_vm_map_rebuilds()) when its bytes
	 * were last known to be the base's with only model code run since
	 * (MAP_UNKNOWN: not known).  Every fastpath call makes it unknown;
	 * the check after a handled fastpath, a rebase and an undo to the
	 * base make it known.  While the count is the same, the undo needs
	 * no comparison of the map.
	 */
	u64 map_base_at;
	/*
	 * X2S_CHECK_SWEEP with the write guard (x2s_engine_guard()): every
	 * vCPU's memory read-only but the structures of guard_for, the
	 * sender (x2s_engine_try_case()).
	 */
	struct x2s_guard guard;
	bool guard_on;
	int guard_for;
	/*
	 * The guard sealed (sealed_case()): all of the VM's memory read-only,
	 * the sender's structures too, and the engine's own writes made
	 * through alias, a second mapping of the same memory alias_off bytes
	 * away.  Per vCPU, spre: its structures as the exit spre_in[] leaves
	 * them from the base (spre_ok: taken).  own_trips: cases stopped at a
	 * write to the sender's own structures (open_guard()).
	 */
	bool sealed;
	char *alias;
	ptrdiff_t alias_off;
	struct x2s_vcpu_image *spre;
	struct x2s_input *spre_in;
	bool *spre_ok;
	unsigned long own_trips;
	/* sealed_loads_pay(): credit, and stats.guarded when last counted. */
	long seal_credit;
	unsigned long seal_seen;
	/*
	 * X2S_CHECK_SWEEP without it: the cold guard (cold_ready()), every
	 * vCPU's APIC page past the registers and MSR bitmap read-only;
	 * cold_trips is its trip count at the last x2s_engine_cold_tripped().
	 */
	struct x2s_guard cold;
	struct x2s_guard_range *cold_ranges;
	bool cold_on;
	unsigned long cold_trips;
	/*
	 * X2S_CHECK_CASE: the same guard (x2s_engine_cold_case()) over the
	 * page tails alone (tail_ranges), armed at a rebase; cold_epoch
	 * counts its armings, so that a trip (which disarms it) and a new
	 * arming show as a new epoch.  Not the bitmaps by default: setup
	 * code writes those (a retarget that puts a vCPU in guest mode).
	 * cold_bitmaps: over the bitmaps too (cold_ranges,
	 * x2s_engine_cold_case_bitmaps()), with the VM's memory mapped a
	 * second time (alias) where it can be, so that the engine's loads
	 * and the setup between x2s_engine_setup_begin() and _end() write
	 * them there instead of lowering the guard (a system call each way,
	 * tens of microseconds on some virtual CPUs); bm_epoch counts those
	 * writes, each the end of every snapshot's hold on the bitmaps
	 * (bitmaps_held()).  setup_moved: the bitmap links point into the
	 * alias until x2s_engine_setup_end().
	 */
	bool cold_case, cold_bitmaps, setup_moved;
	unsigned long cold_epoch, bm_epoch;
	struct x2s_guard_range *tail_ranges;
	struct x2s_engine_stats stats;
};

static void *zalloc64(size_t n)
{
	void *p = aligned_alloc(64, (n + 63) & ~(size_t)63);

	if (p)
		memset(p, 0, n);
	return p;
}

/*
 * What X2S_CHECK_SWEEP compares after every case on a vCPU that is not
 * the sender: the structures model code writes when another vCPU's exit
 * delivers to it.  Its VMCS and kvm_run only ever change in its own exits
 * (x2s_engine_others_untouched() holds the model to that), so they wait
 * for the end of the unit with the other bytes nothing else writes.
 */
#define X2S_IMG_OTHER (X2S_IMG_VMX | X2S_IMG_APIC)
#define X2S_IMG_DEFERRED (X2S_IMG_RUN | X2S_IMG_VMCS)

static unsigned int check_lines(const struct x2s_engine *e)
{
	return e->check == X2S_CHECK_CASE ? X2S_PAGE_LINES : X2S_REG_LINES;
}

/*
 * X2S_CHECK_CASE with the cold guard: are the page tails of every vCPU
 * (its APIC page past the registers) still the ones s holds?  s copied
 * them, or found them its own, while the guard was armed in the epoch it
 * notes; a write there since would have faulted, and the handler disarms
 * the guard as it lets the write go on (guard.c), so the same epoch
 * still armed means no byte there was written.  A write that does not
 * fault (a fastpath that makes the pages writable itself, or writes them
 * through another mapping) is outside what the guard claims
 * (docs/verify.md, "The write guard").
 */
static bool cold_holds(const struct x2s_engine *e, const struct x2s_snapshot *s)
{
	return e->cold_case && e->cold.armed && s->cold_epoch &&
	       s->cold_epoch == e->cold_epoch;
}

/*
 * And the MSR bitmaps s holds are the VM's: the guard is over them too,
 * and the engine wrote none since (through the second mapping).
 */
static bool bitmaps_held(const struct x2s_engine *e,
			 const struct x2s_snapshot *s)
{
	return e->cold_bitmaps && cold_holds(e, s) &&
	       s->bm_epoch == e->bm_epoch;
}

/*
 * The page lines a comparison with the base must look at: the register
 * lines alone while the base's page tails are known to be the VM's.
 */
static unsigned int case_lines(const struct x2s_engine *e)
{
	return cold_holds(e, e->base) ? X2S_REG_LINES : check_lines(e);
}

static struct kvm_lapic *engine_apic(struct x2s_engine *e, unsigned int i)
{
	return e->base->v[i].img.vmx.vcpu.arch.apic;
}

/* ---- snapshots: the whole state ---- */

static void snapshot_free(struct x2s_snapshot *s, unsigned int nr)
{
	if (!s)
		return;
	for (unsigned int i = 0; s->v && i < nr; i++)
		free(s->v[i].bitmap);
	free(s->v);
	free(s->vcpus);
	free(s->map);
	free(s);
}

static struct x2s_snapshot *snapshot_new(struct x2s_engine *e)
{
	struct x2s_snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->v = zalloc64(sizeof(*s->v) * e->nr);
	s->vcpus = calloc(e->nr, sizeof(*s->vcpus));
	if (!s->v || !s->vcpus)
		goto nomem;
	for (unsigned int i = 0; i < e->nr; i++) {
		if (!to_vmx(e->vcpu[i])->nested.msr_bitmap)
			continue;
		s->v[i].bitmap = malloc(X2S_MSR_BITMAP_SIZE);
		if (!s->v[i].bitmap)
			goto nomem;
	}
	return s;
nomem:
	snapshot_free(s, e->nr);
	return NULL;
}

static const u8 *map_now(struct x2s_engine *e)
{
	return (const u8 *)e->kvm->arch.apic_map;
}

static size_t map_len_now(struct x2s_engine *e)
{
	return x2s_apic_map_bytes(e->kvm->arch.apic_map);
}

/* The map as s has it: its bytes, wherever it is allocated. */
static bool map_same(struct x2s_engine *e, const struct x2s_snapshot *s)
{
	return map_len_now(e) == s->map_len &&
	       (!s->map_len || x2s_mem_same(map_now(e), s->map, s->map_len));
}

/*
 * struct kvm_vmx but for the map's address, which only says where the
 * model allocated it (its bytes are compared on their own).
 */
static bool kvm_vmx_same(const struct kvm_vmx *a, const struct kvm_vmx *b)
{
	struct kvm_vmx x = *a;

	x.kvm.arch.apic_map = b->kvm.arch.apic_map;
	return !memcmp(&x, b, sizeof(x));
}

/* kvm_vmx becomes s's, the map's allocation staying what it is now. */
static void kvm_vmx_load(struct x2s_engine *e, const struct kvm_vmx *s)
{
	struct kvm_apic_map *live = e->kvm->arch.apic_map;

	memcpy(to_kvm_vmx(e->kvm), s, sizeof(*s));
	e->kvm->arch.apic_map = live;
}

/* No count of the map's rebuilds: its bytes not known the base's. */
#define MAP_UNKNOWN UINT64_MAX

static u64 map_rebuilds(struct x2s_engine *e)
{
	return x2s_vm_map_rebuilds(e->vm);
}

/* Every fastpath call: the fastpath may write the map any way it likes. */
static fastpath_t call_fastpath(struct x2s_engine *e, struct kvm_vcpu *vcpu,
				const struct x2s_fastpath *fn)
{
	e->map_base_at = MAP_UNKNOWN;
	return x2s_vmx_exit_fastpath(vcpu, fn);
}

static bool bitmap_same(const struct snap_vcpu *v);

static int snapshot_take(struct x2s_engine *e, struct x2s_snapshot *s)
{
	/* Page tails s holds already (cold_holds()) are not copied again. */
	bool cold = !cold_holds(e, s), bm_held = bitmaps_held(e, s);
	size_t len;

	kvm_recalculate_apic_map(e->kvm);
	for (unsigned int i = 0; i < e->nr; i++) {
		struct kvm_vcpu *vcpu = e->vcpu[i];
		struct snap_vcpu *v = &s->v[i];
		const u8 *bm = to_vmx(vcpu)->nested.msr_bitmap;

		x2s_vcpu_image_save(vcpu, &v->img);
		if (vcpu->arch.apic)
			memcpy(v->page, vcpu->arch.apic->regs,
			       cold ? X2S_APIC_PAGE_SIZE : X2S_REG_BYTES);
		if (cold)
			v->tail_zero = x2s_mem_zero(v->page + X2S_REG_BYTES,
						    X2S_APIC_PAGE_SIZE -
							    X2S_REG_BYTES);
		/*
		 * The bitmap only changes with a VM's setup: held by s under
		 * the cold guard (bitmaps_held()), or found equal to the copy
		 * s holds already (bitmap_same(): the image's link is bm now),
		 * it is not copied and scanned again.
		 */
		if (bm && v->bitmap && !bm_held &&
		    !(v->bitmap_ok && bitmap_same(v))) {
			memcpy(v->bitmap, bm, X2S_MSR_BITMAP_SIZE);
			v->bitmap_zero =
				x2s_mem_zero(v->bitmap, X2S_MSR_BITMAP_SIZE);
			v->bitmap_ok = true;
		}
	}
	memcpy(&s->kvm, to_kvm_vmx(e->kvm), sizeof(s->kvm));
	memcpy(s->vcpus, e->kvm->vcpus, e->nr * sizeof(*s->vcpus));
	len = map_len_now(e);
	if (len > s->map_cap) {
		u8 *m = realloc(s->map, len);

		if (!m)
			return -ENOMEM;
		s->map = m;
		s->map_cap = len;
	}
	if (len)
		memcpy(s->map, map_now(e), len);
	s->map_len = len;
	/* Copied (or kept) under this arming, they stay the VM's while it. */
	s->cold_epoch = e->cold_case && e->cold.armed ? e->cold_epoch : 0;
	s->bm_epoch = e->bm_epoch;
	return 0;
}

/*
 * struct kvm_vmx and kvm->vcpus[]: what the model keeps outside the vCPUs
 * and writes itself (the map pointer and its dirty flag only when a map
 * input changes).  Each vCPU's loaded VMCS is inside its struct vcpu_vmx.
 */
static bool vm_same(struct x2s_engine *e, const struct x2s_snapshot *s)
{
	return kvm_vmx_same(to_kvm_vmx(e->kvm), &s->kvm) &&
	       !memcmp(e->kvm->vcpus, s->vcpus, e->nr * sizeof(*s->vcpus));
}

static bool bitmap_same(const struct snap_vcpu *v)
{
	const u8 *live = v->img.vmx.nested.msr_bitmap;

	if (!v->bitmap)
		return true;
	return v->bitmap_zero ?
		       x2s_mem_zero(live, X2S_MSR_BITMAP_SIZE) :
		       x2s_mem_same(live, v->bitmap, X2S_MSR_BITMAP_SIZE);
}

/*
 * Every byte equals s (the sender s_pre: equals pre, when s_pre >= 0):
 * every page whole, every vCPU's structures and bitmap, the VM's own.
 */
static bool whole_same(struct x2s_engine *e, const struct x2s_snapshot *s,
		       int s_pre)
{
	bool same = vm_same(e, s) && map_same(e, s);
	bool bm_held = bitmaps_held(e, s);

	for (unsigned int i = 0; i < e->nr; i++) {
		struct snap_vcpu *v = &s->v[i];
		struct x2s_vcpu_image *img =
			(int)i == s_pre ? &e->pre :
					  (struct x2s_vcpu_image *)&v->img;

		same &= x2s_vcpu_same(e->vcpu[i], img, v->page,
				      X2S_APIC_PAGE_SIZE, X2S_IMG_ALL);
		same &= bm_held || bitmap_same(v);
	}
	return same;
}

/* Make the map the one the vCPUs describe, if it is not the base's. */
static void map_rebuild(struct x2s_engine *e, const struct x2s_snapshot *s)
{
	if (map_same(e, s))
		return;
	kvm_apic_map_mark_dirty(e->kvm);
	kvm_recalculate_apic_map(e->kvm);
}

static void guard_off(struct x2s_engine *e);
static void cold_off(struct x2s_engine *e);

/* Whether the cold guard holds the bitmaps now. */
static bool bm_guarded(const struct x2s_engine *e)
{
	return e->cold_case && e->cold_bitmaps && e->cold.armed;
}

/*
 * The engine's own write of a whole bitmap: through the alias while the
 * guard holds it, which ends every snapshot's hold on the bitmaps (a new
 * bm_epoch); else the guard lowered rather than tripped, as for the
 * tails.
 */
static void bm_write(struct x2s_engine *e, u8 *bitmap, const u8 *from)
{
	if (bm_guarded(e) && e->alias) {
		memcpy(bitmap + e->alias_off, from, X2S_MSR_BITMAP_SIZE);
		e->bm_epoch++;
		return;
	}
	if (bm_guarded(e))
		cold_off(e);
	memcpy(bitmap, from, X2S_MSR_BITMAP_SIZE);
}

/* Some page tail of the VM is not what s holds. */
static bool tails_differ(struct x2s_engine *e, const struct x2s_snapshot *s)
{
	for (unsigned int i = 0; i < e->nr; i++) {
		const struct snap_vcpu *v = &s->v[i];
		struct kvm_lapic *apic = v->img.vmx.vcpu.arch.apic;

		if (apic &&
		    x2s_lines_differ(apic->regs, v->page, X2S_PAGE_LINES) >>
			    X2S_REG_LINES)
			return true;
	}
	return false;
}

/*
 * Back to s, whatever moved and however.  lines and moved (NULL: every
 * page is compared and every vCPU's structures loaded here): what the
 * caller's last comparison of this very state with s, the base, found
 * off it: each vCPU's page lines, over the lines this load would compare
 * (case_lines()), and whether its structures may differ.
 */
static void snapshot_load(struct x2s_engine *e, const struct x2s_snapshot *s,
			  const u64 *lines, const bool *moved)
{
	/* The page tails are s's already (cold_holds()): left alone. */
	bool cold = !cold_holds(e, s), bm_held = bitmaps_held(e, s);

	guard_off(e);
	/*
	 * Else, where some must be written below, the guard of
	 * X2S_CHECK_CASE is lowered (armed again at the next rebase) rather
	 * than tripped.  Where none must, it stays armed: the tails are not
	 * written, so whatever snapshot held them still does.
	 */
	if (cold && e->cold_case && e->cold.armed && tails_differ(e, s))
		cold_off(e);
	if (memcmp(e->kvm->vcpus, s->vcpus, e->nr * sizeof(*s->vcpus)))
		memcpy(e->kvm->vcpus, s->vcpus, e->nr * sizeof(*s->vcpus));
	for (unsigned int i = 0; i < e->nr; i++) {
		const struct snap_vcpu *v = &s->v[i];
		struct kvm_lapic *apic = v->img.vmx.vcpu.arch.apic;

		if (!moved || moved[i])
			x2s_vcpu_image_load(e->vcpu[i], &v->img);
		if (apic)
			x2s_lines_copy(
				apic->regs, v->page,
				lines ? lines[i] :
					x2s_lines_differ(apic->regs, v->page,
							 cold ? X2S_PAGE_LINES :
								X2S_REG_LINES));
		if (bm_held || bitmap_same(v))
			continue;
		bm_write(e, v->img.vmx.nested.msr_bitmap, v->bitmap);
	}
	kvm_vmx_load(e, &s->kvm);
	/*
	 * Every map input is back: the map rebuilt now is s's.  To the
	 * base, with its bytes known the base's since the last fastpath
	 * and no rebuild since, there is nothing to compare.
	 */
	if (s != e->base || e->map_base_at != map_rebuilds(e))
		map_rebuild(e, s);
	e->map_base_at = s == e->base ? map_rebuilds(e) : MAP_UNKNOWN;
	e->left = -1;
}

/*
 * Back to the base by what the model writes (X2S_CHECK_SWEEP, after a
 * handled case): structures, register lines, struct kvm_vmx, the map.
 * lines[i]: vCPU i's register lines off the base, found by the caller's
 * last comparison of this very state.  The rest was not compared yet:
 * left for x2s_engine_settle().  map_at: the map's rebuild count when
 * its bytes were last known the base's, with only model code run since
 * (MAP_UNKNOWN: not known); the same count now means they still are.
 */
static void undo_model(struct x2s_engine *e, const u64 *lines, u64 map_at)
{
	const struct x2s_snapshot *s = e->base;

	for (unsigned int i = 0; i < e->nr; i++) {
		const struct snap_vcpu *v = &s->v[i];
		struct kvm_lapic *apic = v->img.vmx.vcpu.arch.apic;

		if (e->moved[i])
			x2s_vcpu_image_load(e->vcpu[i], &v->img);
		if (apic)
			x2s_lines_copy(apic->regs, v->page, lines[i]);
	}
	memcpy(e->kvm->vcpus, s->vcpus, e->nr * sizeof(*s->vcpus));
	kvm_vmx_load(e, &s->kvm);
	/* (The count never reaches MAP_UNKNOWN.) */
	if (map_at != map_rebuilds(e))
		map_rebuild(e, s);
	e->left = -1;
}

/*
 * After a run whose page lines off the base are lines[] and whose moved
 * vCPUs are e->moved[], found by the caller's last comparison of this
 * very state (x2s_engine_capture() or x2s_engine_compare(), over
 * case_lines()); map_at as undo_model() takes it.
 */
static void undo_at(struct x2s_engine *e, const u64 *lines, u64 map_at)
{
	if (e->check == X2S_CHECK_CASE)
		snapshot_load(e, e->base, lines, e->moved);
	else
		undo_model(e, lines, map_at);
}

static void undo(struct x2s_engine *e, const u64 *lines)
{
	undo_at(e, lines, MAP_UNKNOWN);
}

void x2s_engine_undo(struct x2s_engine *e)
{
	snapshot_load(e, e->base, NULL, NULL);
}

static void spre_forget(struct x2s_engine *e)
{
	if (e->spre_ok)
		memset(e->spre_ok, 0, e->nr * sizeof(*e->spre_ok));
}

static void cold_case_arm(struct x2s_engine *e);

void x2s_engine_rebase(struct x2s_engine *e)
{
	cold_case_arm(e);
	/* Only a larger map can fail; the old base stays then. */
	e->map_base_at =
		snapshot_take(e, e->base) ? MAP_UNKNOWN : map_rebuilds(e);
	e->base_gen++;
	e->left = -1;
	e->pre_sender = -1;
	spre_forget(e);
}

struct x2s_snapshot *x2s_engine_snapshot_new(struct x2s_engine *e)
{
	return snapshot_new(e);
}

void x2s_engine_snapshot_free(struct x2s_engine *e, struct x2s_snapshot *s)
{
	snapshot_free(s, e->nr);
}

int x2s_engine_save(struct x2s_engine *e, struct x2s_snapshot *s)
{
	return snapshot_take(e, s);
}

void x2s_engine_restore(struct x2s_engine *e, const struct x2s_snapshot *s)
{
	snapshot_load(e, s, NULL, NULL);
}

/* ---- links ---- */

/*
 * After a fastpath: every pointer between the model's structures back to
 * the base's before anything follows one; a bit per vCPU whose links it
 * moved (bit 63: struct kvm's), so a signature can say so.
 */
static u64 fix_links(struct x2s_engine *e)
{
	const struct x2s_snapshot *s = e->base;
	struct kvm_vmx *kv = to_kvm_vmx(e->kvm);
	u64 moved = 0;

	if (kv->kvm.vcpus != s->kvm.kvm.vcpus ||
	    kv->kvm.arch.apic_map != e->map_at_load ||
	    memcmp(s->kvm.kvm.vcpus, s->vcpus, e->nr * sizeof(*s->vcpus))) {
		kv->kvm.vcpus = s->kvm.kvm.vcpus;
		kv->kvm.arch.apic_map = e->map_at_load;
		memcpy(kv->kvm.vcpus, s->vcpus, e->nr * sizeof(*s->vcpus));
		moved |= 1ULL << 63;
	}
	for (unsigned int i = 0; i < e->nr; i++) {
		struct vcpu_vmx *vmx = to_vmx(e->vcpu[i]);
		const struct x2s_vcpu_image *b = &s->v[i].img;
		struct kvm_lapic *apic = b->vmx.vcpu.arch.apic;
		struct x2s_vcpu_image *now = &e->scratch;

		/* Only the link fields, read through known pointers. */
		now->vmx.vcpu.kvm = vmx->vcpu.kvm;
		now->vmx.vcpu.run = vmx->vcpu.run;
		now->vmx.vcpu.arch.apic = vmx->vcpu.arch.apic;
		now->vmx.loaded_vmcs = vmx->loaded_vmcs;
		now->vmx.vmcs = vmx->vmcs;
		now->vmx.nested.msr_bitmap = vmx->nested.msr_bitmap;
		now->apic.vcpu = apic ? apic->vcpu : NULL;
		now->apic.regs = apic ? apic->regs : NULL;
		if (!x2s_vcpu_image_links(now, b))
			continue;
		moved |= 1ULL << (i < 63 ? i : 62);
		vmx->vcpu.kvm = b->vmx.vcpu.kvm;
		vmx->vcpu.run = b->vmx.vcpu.run;
		vmx->vcpu.arch.apic = apic;
		vmx->loaded_vmcs = b->vmx.loaded_vmcs;
		vmx->vmcs = b->vmx.vmcs;
		vmx->nested.msr_bitmap = b->vmx.nested.msr_bitmap;
		if (apic) {
			apic->vcpu = b->apic.vcpu;
			apic->regs = b->apic.regs;
		}
	}
	return moved;
}

/* ---- signatures of differences ---- */

/* The outcome fields of the vCPU as the image describes it. */
static void image_state(struct x2s_engine *e, unsigned int i,
			const struct x2s_vcpu_image *img,
			struct x2s_vcpu_state *st)
{
	struct kvm_vcpu *vcpu = e->vcpu[i];
	struct x2s_vcpu_image *now = &e->scratch;

	x2s_vcpu_image_save(vcpu, now);
	x2s_vcpu_image_load(vcpu, img);
	x2s_vcpu_save_small(vcpu, st);
	x2s_vcpu_image_load(vcpu, now);
}

/*
 * What differs in vCPU i between a reference and now: ref the structures
 * (NULL: the base's), the page as ref_page on the lines ref_lines, the
 * base's elsewhere; the first nlines lines are looked at.
 */
static u64 vcpu_sig(struct x2s_engine *e, unsigned int i,
		    struct x2s_vcpu_image *ref, const u8 *ref_page,
		    u64 ref_lines, unsigned int nlines, bool sender)
{
	struct kvm_vcpu *vcpu = e->vcpu[i];
	struct kvm_lapic *apic = engine_apic(e, i);
	const u8 *base_page = e->base->v[i].page;
	u32 parts = 0;

	if (!ref)
		ref = &e->base->v[i].img;
	if (apic) {
		const u8 *regs = apic->regs;
		u64 now_lines = x2s_lines_differ(regs, base_page, nlines);

		for (u64 l = now_lines | ref_lines; l; l &= l - 1) {
			unsigned int n = (unsigned int)__builtin_ctzll(l);
			const u8 *a =
				(ref_lines >> n & 1) ? ref_page : base_page;
			const u8 *b = (now_lines >> n & 1) ? regs : base_page;

			parts |= x2s_page_parts(a + n * 64, b + n * 64, n * 64,
						64);
		}
	}
	if (!x2s_vcpu_image_same(vcpu, ref)) {
		u32 sp;

		x2s_vcpu_save_small(vcpu, e->st_now);
		image_state(e, i, ref, e->st_ref);
		sp = x2s_state_parts(e->st_ref, e->st_now);
		/* Posted vectors are IRR vectors in flight. */
		if (memcmp(&to_vmx(vcpu)->pi_desc, &ref->vmx.pi_desc,
			   sizeof(ref->vmx.pi_desc)))
			sp |= 1u << X2S_PART_IRR;
		/* A byte moved that no outcome field names. */
		parts |= sp ? sp : 1u << X2S_PART_OTHER;
	}
	return sender ? parts : (u64)parts << 32;
}

static u64 links_sig(u64 moved, unsigned int s)
{
	u64 sig = 0;

	if (moved >> 63)
		sig |= X2S_SIG(X2S_PART_OTHER, true);
	for (u64 m = moved & ~(1ULL << 63); m; m &= m - 1)
		sig |= X2S_SIG(X2S_PART_OTHER,
			       (unsigned int)__builtin_ctzll(m) == s);
	return sig;
}

/*
 * What a fastpath that returned NONE on sender s changed: every vCPU
 * against the state before the call (the sender: pre), the VM's own
 * state, and in X2S_CHECK_CASE the rest.  Links first: after it, every
 * pointer is safe to follow.
 */
static u64 decline_sig(struct x2s_engine *e, unsigned int s)
{
	const struct x2s_snapshot *b = e->base;
	u64 sig = links_sig(fix_links(e), s);

	for (unsigned int i = 0; i < e->nr; i++) {
		sig |= vcpu_sig(e, i, i == s ? &e->pre : NULL, NULL, 0,
				case_lines(e), i == s);
		if (e->check == X2S_CHECK_CASE && !bitmaps_held(e, b) &&
		    !bitmap_same(&b->v[i]))
			sig |= X2S_SIG(X2S_PART_OTHER, i == s);
	}
	if (!vm_same(e, b) || (e->check == X2S_CHECK_CASE && !map_same(e, b)))
		sig |= X2S_SIG(X2S_PART_OTHER, true);
	return sig;
}

/* ---- captures ---- */

struct x2s_capture *x2s_capture_new(struct x2s_engine *e)
{
	struct x2s_capture *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->v = zalloc64(sizeof(*c->v) * e->nr);
	if (!c->v) {
		free(c);
		return NULL;
	}
	return c;
}

void x2s_capture_free(struct x2s_capture *c)
{
	if (!c)
		return;
	free(c->v);
	free(c);
}

/* The structures c holds for vCPU i. */
static struct x2s_vcpu_image *
cap_img(struct x2s_engine *e, const struct x2s_capture *c, unsigned int i)
{
	struct cap_vcpu *v = &c->v[i];

	return v->at_base ? &e->base->v[i].img : &v->img;
}

/*
 * With refs, a vCPU whose structures are the base's (most of them, after
 * an IPI to one) is noted as such instead of copied; sender s (-1: none
 * known), whose exit moved its registers at least, is copied without a
 * look.
 */
static void capture(struct x2s_engine *e, struct x2s_capture *c, bool refs,
		    int s)
{
	/*
	 * Cold lines not looked at are the base's (case_lines()), so the
	 * capture's "the base but for lines" holds for them too.
	 */
	unsigned int nl = case_lines(e);

	for (unsigned int i = 0; i < e->nr; i++) {
		struct cap_vcpu *v = &c->v[i];
		struct kvm_lapic *apic = engine_apic(e, i);
		u64 prev;

		v->at_base =
			refs && (int)i != s &&
			x2s_vcpu_image_same(e->vcpu[i], &e->base->v[i].img);
		if (!v->at_base)
			x2s_vcpu_image_save(e->vcpu[i], &v->img);
		e->moved[i] = !v->at_base;
		prev = v->lines;
		v->lines = 0;
		e->lines[i] = 0;
		if (!apic) {
			v->full_lines = 0;
			continue;
		}
		v->lines = x2s_lines_differ(apic->regs, e->base->v[i].page, nl);
		e->lines[i] = v->lines;
		/*
		 * The page whole, for lines_same(): the lines either this
		 * capture or the one before found moved (every other line is
		 * the base's in both).
		 */
		if (c->owner == e && v->full_lines == nl &&
		    v->base_gen == e->base_gen) {
			x2s_lines_copy(v->page, apic->regs, v->lines | prev);
		} else {
			memcpy(v->page, apic->regs, (size_t)nl * 64);
			v->full_lines = nl;
			v->base_gen = e->base_gen;
		}
	}
	memcpy(&c->kvm, to_kvm_vmx(e->kvm), sizeof(c->kvm));
	c->owner = e;
	c->base_gen = e->base_gen;
}

void x2s_engine_capture(struct x2s_engine *e, struct x2s_capture *c)
{
	/*
	 * Refs pay in the sweep, whose undo loads only what moved; the
	 * fuzz support's undo loads every vCPU anyway.
	 */
	capture(e, c, e->check == X2S_CHECK_SWEEP, -1);
}

/*
 * Are the page lines of vCPU i what c has (c: base + c->lines)?  The
 * lines now off the base go to e->lines[i].
 */
static bool lines_same(struct x2s_engine *e, unsigned int i,
		       const struct x2s_capture *c, const struct cap_vcpu *v)
{
	struct kvm_lapic *apic = engine_apic(e, i);
	const u8 *base_page = e->base->v[i].page;
	unsigned int nl = case_lines(e);
	bool whole;
	u64 now;

	e->lines[i] = 0;
	if (!apic)
		return !v->lines;
	/* One comparison when c holds the page whole (the usual case). */
	whole = c->owner == e && v->full_lines == nl &&
		v->base_gen == e->base_gen;
	if (whole && x2s_mem_same(apic->regs, v->page, (size_t)nl * 64)) {
		e->lines[i] = v->lines;
		return true;
	}
	now = x2s_lines_differ(apic->regs, base_page, nl);
	e->lines[i] = now;
	if (whole || now != v->lines)
		return false;
	for (u64 l = now; l; l &= l - 1) {
		unsigned int n = (unsigned int)__builtin_ctzll(l);

		if (!x2s_mem_same((const u8 *)apic->regs + n * 64,
				  v->page + n * 64, 64))
			return false;
	}
	return true;
}

/*
 * Two outcomes that differ only where nothing can observe it are equal:
 * a vCPU that will not enter the guest (halted, waiting for SIPI) gets
 * RVI and SVI rewritten from IRR and ISR before it enters again, so what
 * either run left in GUEST_INTR_STATUS is taken as the same (as in
 * x2s_vcpu_save()).
 */
static void outcome_equivalences(struct kvm_vcpu *vcpu,
				 struct x2s_vcpu_image *img)
{
	if (vcpu->arch.mp_state != KVM_MP_STATE_RUNNABLE &&
	    img->vmx.vcpu.arch.mp_state != KVM_MP_STATE_RUNNABLE)
		img->vmcs.fields[VMCS_SLOT_GUEST_INTR_STATUS] =
			vmcs_read(vcpu, GUEST_INTR_STATUS);
}

u64 x2s_engine_compare(struct x2s_engine *e, const struct x2s_capture *c,
		       unsigned int s)
{
	struct x2s_capture *cc = (struct x2s_capture *)c;
	u64 sig = 0;

	/*
	 * Its vCPUs noted as the base's are the base's it was taken
	 * against: a capture holds until the next rebase.
	 */
	if (WARN_ON_ONCE(c->owner != e || c->base_gen != e->base_gen)) {
		/* What an undo after a comparison takes, found all the same. */
		for (unsigned int i = 0; i < e->nr; i++) {
			struct kvm_lapic *apic = engine_apic(e, i);

			e->moved[i] = true;
			e->lines[i] =
				apic ? x2s_lines_differ(apic->regs,
							e->base->v[i].page,
							case_lines(e)) :
				       0;
		}
		return X2S_SIG(X2S_PART_OTHER, true);
	}
	for (unsigned int i = 0; i < e->nr; i++) {
		struct cap_vcpu *v = &cc->v[i];
		struct x2s_vcpu_image *img = cap_img(e, c, i);
		bool same;

		if (v->at_base &&
		    e->vcpu[i]->arch.mp_state != KVM_MP_STATE_RUNNABLE) {
			/* Its equivalence writes the image: a copy then. */
			v->img = *img;
			v->at_base = false;
			img = &v->img;
		}
		outcome_equivalences(e->vcpu[i], img);

		bool same_lines = lines_same(e, i, c, v);

		same = x2s_vcpu_image_same(e->vcpu[i], img);
		/* Known the base's only when c had them so. */
		e->moved[i] = !(same && v->at_base);
		if (same && same_lines)
			continue;
		sig |= vcpu_sig(e, i, img, v->page, v->lines, case_lines(e),
				i == s);
	}
	if (!kvm_vmx_same(to_kvm_vmx(e->kvm), &c->kvm))
		sig |= X2S_SIG(X2S_PART_OTHER, true);
	return sig;
}

void x2s_engine_capture_diff(struct x2s_engine *e, const struct x2s_capture *a,
			     const struct x2s_capture *b, FILE *out)
{
	for (unsigned int i = 0; i < e->nr; i++)
		x2s_image_diff(cap_img(e, a, i), cap_img(e, b, i), i, out);
}

/* ---- running exits ---- */

void x2s_engine_load(struct x2s_engine *e, unsigned int s,
		     const struct x2s_input *in)
{
	struct kvm_vcpu *vcpu = e->vcpu[s];

	vcpu->arch.regs[VCPU_REGS_RCX] = in->rcx;
	vcpu->arch.regs[VCPU_REGS_RAX] = in->rax;
	vcpu->arch.regs[VCPU_REGS_RDX] = in->rdx;
	if (in->has_reg)
		vcpu->arch.regs[in->reg] = in->regval;
	x2s_vcpu_load_exit(vcpu, &in->exit);
	vmcs_write(vcpu, VMX_INSTRUCTION_INFO, in->insn_info);
	x2s_vmx_exit_begin(vcpu);
	e->map_at_load = e->kvm->arch.apic_map;
}

void x2s_engine_normalise(struct x2s_engine *e)
{
	for (unsigned int i = 0; i < e->nr; i++)
		x2s_vcpu_fold_pir(e->vcpu[i]);
	kvm_recalculate_apic_map(e->kvm);
}

/*
 * A handled exit whose map is not the base's: is it still what the vCPUs
 * describe?  Only
 * model code rebuilds it, from the vCPUs; bytes that a rebuild from the
 * vCPUs as they are now would not give were written some other way.
 */
static bool map_consistent(struct x2s_engine *e)
{
	struct kvm_apic_map *map = e->kvm->arch.apic_map;
	size_t len = map_len_now(e);
	bool same;
	u8 *copy;

	if (map != e->map_at_load || !len)
		return false;
	copy = malloc(len);
	if (!copy)
		return false;
	memcpy(copy, map, len);
	kvm_apic_map_mark_dirty(e->kvm);
	kvm_recalculate_apic_map(e->kvm);
	same = e->kvm->arch.apic_map == map && map_len_now(e) == len &&
	       !memcmp(copy, map, len);
	free(copy);
	return same;
}

fastpath_t x2s_engine_fastpath(struct x2s_engine *e, unsigned int s,
			       const struct x2s_fastpath *fn, u64 *sig)
{
	fastpath_t fp;

	x2s_vcpu_image_save(e->vcpu[s], &e->pre);
	fp = call_fastpath(e, e->vcpu[s], fn);
	*sig = 0;
	if (fp == EXIT_FASTPATH_NONE) {
		*sig = decline_sig(e, s);
		return fp;
	}
	*sig = links_sig(fix_links(e), s);
	/*
	 * L1's MSR bitmaps: only a VM's setup writes them, and no capture
	 * holds them; in X2S_CHECK_SWEEP the cold guard or the per-case check
	 * of the deferred bytes sees them.
	 */
	for (unsigned int i = 0; e->check == X2S_CHECK_CASE &&
				 !bitmaps_held(e, e->base) && i < e->nr;
	     i++)
		if (!bitmap_same(&e->base->v[i]))
			*sig |= X2S_SIG(X2S_PART_OTHER, i == s);
	if (map_same(e, e->base))
		e->map_base_at = map_rebuilds(e);
	else if (!map_consistent(e)) {
		if (e->check == X2S_CHECK_CASE)
			*sig |= X2S_SIG(X2S_PART_OTHER, true);
		else
			/* Maybe an earlier case's: the rerun names it. */
			e->suspect = true;
	}
	return fp;
}

/* ---- one case ---- */

static void note_warn(struct x2s_case_out *o, const char *prefix)
{
	if (!o->warn[0] && x2s_warn_count())
		snprintf(o->warn, sizeof(o->warn), "%s%s", prefix,
			 x2s_warn_first());
}

static int case_targets(struct x2s_engine *e, unsigned int s, u64 data)
{
	struct kvm_lapic *src = engine_apic(e, s);
	struct kvm_lapic_irq irq;
	int n;

	if (!src)
		return 0;
	kvm_icr_to_lapic_irq(src, (u32)data & ~APIC_ICR_BUSY, (u32)(data >> 32),
			     &irq);
	n = x2s_apic_map_receivers(e->kvm, src, &irq, e->targets);
	if (n < 0)
		n = x2s_apic_loop_receivers(e->kvm, src, &irq, e->targets);
	return n;
}

static bool single_target_contract_holds(u64 data, int targets)
{
	return targets == 1 && !(data & APIC_SHORT_MASK) &&
	       (u32)(data >> 32) != X2APIC_BROADCAST;
}

/* The public snapshot of every vCPU (x2s_vcpu_save). */
static void save_states(struct x2s_engine *e, struct x2s_vcpu_state *st)
{
	if (st)
		x2s_vm_save(e->vm, st);
}

/*
 * The per-case check of X2S_CHECK_SWEEP after a decline: every vCPU's
 * structures and register lines, and the VM's own state.
 */
static bool sweep_clean(struct x2s_engine *e, unsigned int s)
{
	struct x2s_snapshot *b = e->base;
	bool clean = vm_same(e, b);

	for (unsigned int i = 0; i < e->nr; i++) {
		if (i == s)
			clean &=
				x2s_vcpu_same(e->vcpu[i], &e->pre, b->v[i].page,
					      X2S_REG_BYTES, X2S_IMG_ALL);
		else
			clean &= x2s_vcpu_same(e->vcpu[i], &b->v[i].img,
					       b->v[i].page, X2S_REG_BYTES,
					       X2S_IMG_OTHER);
	}
	return clean;
}

bool x2s_engine_others_untouched(struct x2s_engine *e, unsigned int s)
{
	struct x2s_snapshot *b = e->base;
	bool same = true;

	for (unsigned int i = 0; i < e->nr; i++)
		if (i != s)
			same &= x2s_vcpu_same(e->vcpu[i], &b->v[i].img, NULL, 0,
					      X2S_IMG_DEFERRED);
	return same;
}

/*
 * The bytes X2S_CHECK_SWEEP leaves to the end of a unit (but the map), as
 * the base's: sender s's are all compared after its case.  While the cold
 * guard is armed, the APIC pages past their registers and the bitmaps are
 * known untouched: nothing wrote them since it armed.
 */
static bool deferred_same(struct x2s_engine *e, unsigned int s)
{
	const struct x2s_snapshot *b = e->base;

	if (!x2s_engine_others_untouched(e, s))
		return false;
	if (e->cold.armed)
		return true;
	for (unsigned int i = 0; i < e->nr; i++) {
		const struct snap_vcpu *v = &b->v[i];
		struct kvm_lapic *apic = engine_apic(e, i);

		const u8 *tail = apic ? (u8 *)apic->regs + X2S_REG_BYTES : NULL;
		size_t n = X2S_APIC_PAGE_SIZE - X2S_REG_BYTES;

		if (!bitmap_same(v) ||
		    (tail &&
		     !(v->tail_zero ?
			       x2s_mem_zero(tail, n) :
			       x2s_mem_same(tail, v->page + X2S_REG_BYTES, n))))
			return false;
	}
	return true;
}

/* Whether a and b are the same exit, but for the values in GPRs. */
static bool exit_same(const struct x2s_input *a, const struct x2s_input *b)
{
	return !memcmp(&a->exit, &b->exit, sizeof(b->exit)) &&
	       a->insn_info == b->insn_info && a->has_reg == b->has_reg &&
	       (!b->has_reg || a->reg == b->reg);
}

/* Whether in is pre's exit again, on the same sender, but for GPRs. */
static bool pre_same_exit(const struct x2s_engine *e, unsigned int s,
			  const struct x2s_input *in)
{
	return e->pre_sender == (int)s && exit_same(&e->pre_in, in);
}

/*
 * vCPU i's structures back to the base's: through the alias when there
 * is one (the sealed guard may be armed; it is the same memory).
 */
static void put_back(struct x2s_engine *e, unsigned int i)
{
	x2s_vcpu_image_load_via(e->vcpu[i], &e->base->v[i].img,
				e->alias ? e->alias_off : 0);
}

/*
 * pre for the exit in that vCPU s has just begun: patched from the last
 * one when only the GPRs differ (true), else copied.
 */
static bool pre_patch(struct x2s_engine *e, unsigned int s,
		      const struct x2s_input *in)
{
	unsigned long *regs = e->pre.vmx.vcpu.arch.regs;

	if (!pre_same_exit(e, s, in)) {
		x2s_vcpu_image_save(e->vcpu[s], &e->pre);
		e->pre_sender = (int)s;
		e->pre_in = *in;
		return false;
	}
	regs[VCPU_REGS_RCX] = in->rcx;
	regs[VCPU_REGS_RAX] = in->rax;
	regs[VCPU_REGS_RDX] = in->rdx;
	if (in->has_reg)
		regs[in->reg] = in->regval;
	return true;
}

/*
 * The quick check failed on a patched pre: take pre exactly, as the exit
 * leaves it from the base, without calling the fastpath again (links
 * fixed already).
 */
static void pre_exact(struct x2s_engine *e, unsigned int s,
		      const struct x2s_input *in)
{
	struct kvm_vcpu *vcpu = e->vcpu[s];

	x2s_vcpu_image_save(vcpu, &e->post);
	x2s_vcpu_image_load(vcpu, &e->base->v[s].img);
	x2s_engine_load(e, s, in);
	x2s_vcpu_image_save(vcpu, &e->pre);
	x2s_vcpu_image_load(vcpu, &e->post);
	e->pre_sender = -1;
}

static void decline(struct x2s_engine *e, unsigned int s,
		    const struct x2s_input *in, struct x2s_case_out *o,
		    struct x2s_vcpu_state *fs, struct x2s_vcpu_state *ss)
{
	struct kvm_vcpu *vcpu = e->vcpu[s];
	int r;

	note_warn(o, "");
	if (o->sig)
		o->verdict = X2S_VERDICT_DIRTY_NONE;
	else if (o->warn[0])
		o->verdict = X2S_VERDICT_WARN;
	if (!fs && !ss) {
		if (!o->sig && e->check == X2S_CHECK_SWEEP &&
		    in->kind == X2S_CASE_WRMSR) {
			/*
			 * Only what the next exit of the same sender loads
			 * anyway moved: the sweep goes on from there.  (Not
			 * after other exits: the next may not load the
			 * register an immediate form used.)
			 */
			e->left = (int)s;
			return;
		}
		if (!o->sig) {
			put_back(e, s);
			return;
		}
		/* The undo puts back what the unit's end would look at. */
		if (e->check == X2S_CHECK_SWEEP &&
		    (!deferred_same(e, s) || !map_same(e, e->base)))
			e->suspect = true;
		x2s_engine_undo(e);
		return;
	}
	/* The whole exit, as KVM runs it: the slow path on top. */
	r = x2s_vmx_exit_finish(vcpu, EXIT_FASTPATH_NONE);
	x2s_exit_result_fill(vcpu, r, &o->fast);
	x2s_engine_normalise(e);
	save_states(e, fs);
	x2s_engine_capture(e, e->fast);
	x2s_engine_undo(e);
	x2s_engine_load(e, s, in);
	r = x2s_vmx_exit_finish(vcpu, EXIT_FASTPATH_NONE);
	x2s_exit_result_fill(vcpu, r, &o->slow);
	x2s_engine_normalise(e);
	save_states(e, ss);
	x2s_engine_capture(e, e->slow);
	x2s_warn_reset();
	x2s_engine_undo(e);
}

/* ---- the write guard ---- */

/*
 * The full engine's cold guard, armed when it is off: the bytes of the
 * VM that no case of the model writes (every vCPU's APIC page past its
 * registers, its MSR bitmap) read-only, so that the per-case check need
 * not compare them (deferred_same()).  A write there by anyone trips it:
 * the handler notes it, opens the memory and lets the write go on; the
 * sweep then runs the unit again without the guard
 * (x2s_engine_cold_tripped()).
 */
static bool cold_ready(struct x2s_engine *e)
{
	if (e->cold.armed)
		return true;
	/* Off, or tripped and not yet told (x2s_engine_cold_tripped()). */
	if (!e->cold_on || e->cold.trips != e->cold_trips)
		return false;
	if (!x2s_guard_arm_ranges(&e->cold, e->cold_ranges, e->nr)) {
		e->cold_on = false;
		return false;
	}
	e->stats.cold_arms++;
	return true;
}

static void cold_off(struct x2s_engine *e)
{
	if (e->cold.armed)
		x2s_guard_disarm(&e->cold);
}

void x2s_engine_cold(struct x2s_engine *e, bool on)
{
	cold_off(e);
	e->cold_on =
		on && e->cold_ranges && !e->guard_on && x2s_guard_available();
}

bool x2s_engine_cold_tripped(struct x2s_engine *e)
{
	bool tripped = e->cold.trips != e->cold_trips;

	e->cold_trips = e->cold.trips;
	return tripped;
}

/*
 * X2S_CHECK_CASE: the cold guard armed for the base a rebase takes.  A
 * trip needs no telling here: it disarmed the guard, every comparison
 * since looked at the page tails whole (cold_holds()), and arming again
 * starts an epoch no snapshot holds, so the base copies them whole.
 */
static void cold_case_arm(struct x2s_engine *e)
{
	if (!e->cold_case || e->check != X2S_CHECK_CASE || e->cold.armed)
		return;
	if (!x2s_guard_arm_ranges(
		    &e->cold, e->cold_bitmaps ? e->cold_ranges : e->tail_ranges,
		    e->nr)) {
		e->cold_case = false;
		return;
	}
	e->cold_epoch++;
	e->stats.cold_arms++;
}

void x2s_engine_cold_case(struct x2s_engine *e, bool on)
{
	/* Lowered either way: armed again, if on, at the next rebase. */
	if (e->cold_case)
		cold_off(e);
	e->cold_case = on && e->check == X2S_CHECK_CASE && e->tail_ranges &&
		       !e->cold_on && x2s_guard_available();
	if (!e->cold_case)
		e->cold_bitmaps = false;
}

static void map_alias(struct x2s_engine *e);

void x2s_engine_cold_case_bitmaps(struct x2s_engine *e, bool on)
{
	if (!e->cold_case || e->cold_bitmaps == (on && e->cold_ranges))
		return;
	/* Lowered: armed again, over the new ranges, at the next rebase. */
	cold_off(e);
	e->cold_bitmaps = on && e->cold_ranges;
	/* Mapped again while nothing is protected. */
	if (e->cold_bitmaps)
		map_alias(e);
}

void x2s_engine_setup_begin(struct x2s_engine *e)
{
	if (e->setup_moved || !bm_guarded(e))
		return;
	if (!e->alias) {
		cold_off(e);
		return;
	}
	for (unsigned int i = 0; i < e->nr; i++)
		if (to_vmx(e->vcpu[i])->nested.msr_bitmap)
			to_vmx(e->vcpu[i])->nested.msr_bitmap += e->alias_off;
	e->setup_moved = true;
}

void x2s_engine_setup_end(struct x2s_engine *e)
{
	if (!e->setup_moved)
		return;
	for (unsigned int i = 0; i < e->nr; i++)
		if (to_vmx(e->vcpu[i])->nested.msr_bitmap)
			to_vmx(e->vcpu[i])->nested.msr_bitmap -= e->alias_off;
	e->setup_moved = false;
	/* What the setup wrote there, no snapshot holds. */
	e->bm_epoch++;
}

/* o as a case begins: a decline until shown otherwise; no WARN yet. */
static void case_out_init(struct x2s_case_out *o)
{
	o->verdict = X2S_VERDICT_DECLINED;
	o->handled = false;
	o->violation = false;
	o->sig = 0;
	o->targets = 0;
	o->warn[0] = '\0';
	x2s_warn_reset();
}

static void guard_off(struct x2s_engine *e)
{
	if (e->guard.armed)
		x2s_guard_disarm(&e->guard);
}

/*
 * Armed for sender s: all of the VM's vCPU memory but s's structures
 * read-only.  False when the guard cannot work here.
 */
static bool guard_ready(struct x2s_engine *e, unsigned int s)
{
	struct x2s_guard *g = &e->guard;

	if (!e->guard_on || e->check != X2S_CHECK_SWEEP)
		return false;
	if (g->armed && e->guard_for == (int)s)
		return true;
	if (!x2s_guard_arm(g, x2s_vm_vcpu_mem(e->vm, s), X2S_MEM_PAGE)) {
		/* Never again on this engine. */
		e->guard_on = false;
		return false;
	}
	e->stats.arms++;
	e->guard_for = (int)s;
	return true;
}

/* Whether p .. p + len lies in the memory the guard protects. */
static bool guarded_mem(struct x2s_engine *e, const void *p, size_t len)
{
	size_t all;
	const char *mem = x2s_vm_mem(e->vm, &all);

	return (const char *)p >= mem && len <= all &&
	       (size_t)((const char *)p - mem) <= all - len;
}

/*
 * After a guarded fastpath that returned NONE without writing protected
 * memory: the bytes it could have written unseen are the sender's
 * structures (the page the guard leaves open) and an APIC map built
 * outside the VM's mapping (too large for its slot).  struct kvm_vmx and
 * kvm->vcpus[] are in the mapping: a write there would have faulted.
 */
static bool guarded_clean(struct x2s_engine *e, unsigned int s)
{
	const u8 *map = map_now(e);

	return x2s_vcpu_same(e->vcpu[s], &e->pre, NULL, 0, X2S_IMG_ALL) &&
	       (!map || guarded_mem(e, map, map_len_now(e)) ||
		map_same(e, e->base));
}

/*
 * A guarded case given up: back to the base where it could have written,
 * the sender's structures and the VM's own bytes, the guard still armed.
 * Anything the repair itself must write elsewhere (a map rebuilt from the
 * vCPUs) disarms the guard in its handler: still sound, the next case
 * arms it again.
 */
static void guarded_abort(struct x2s_engine *e, unsigned int s)
{
	const struct x2s_snapshot *b = e->base;

	x2s_vcpu_image_load(e->vcpu[s], &b->v[s].img);
	if (!vm_same(e, b)) {
		memcpy(e->kvm->vcpus, b->vcpus, e->nr * sizeof(*b->vcpus));
		kvm_vmx_load(e, &b->kvm);
	}
	map_rebuild(e, b);
	e->pre_sender = -1;
	e->left = -1;
	x2s_warn_reset();
}

/* ---- the sealed guard ---- */

/* Armed over all of the VM's memory, the sender's structures too. */
static bool sealed_ready(struct x2s_engine *e)
{
	if (e->guard.armed)
		return true;
	if (!x2s_guard_arm(&e->guard, NULL, 0)) {
		e->guard_on = false;
		return false;
	}
	e->stats.arms++;
	return true;
}

/*
 * The exit in on vCPU s from the base, by the model, the guard lowered
 * for it (two mprotect() calls: once per sender and exit), and kept as
 * spre[s].  False when the guard could not be raised again.
 */
static bool sealed_model_load(struct x2s_engine *e, unsigned int s,
			      const struct x2s_input *in)
{
	guard_off(e);
	x2s_vcpu_image_load(e->vcpu[s], &e->base->v[s].img);
	x2s_engine_load(e, s, in);
	x2s_vcpu_image_save(e->vcpu[s], &e->spre[s]);
	e->spre_in[s] = *in;
	e->spre_ok[s] = true;
	e->stats.seal_loads++;
	return sealed_ready(e);
}

/*
 * Sealed loads cost two system calls each: where exits change more often
 * than once in 256 cases (the exits sweep), the open guard is cheaper.
 * Each load spends 256 credits, each guarded case earns one, and the
 * credit is capped at 16 loads' worth, so only a recent burst counts.
 */
#define SEAL_LOAD_COST 256
#define SEAL_CREDIT_CAP (16 * SEAL_LOAD_COST)

static bool sealed_loads_pay(struct x2s_engine *e)
{
	e->seal_credit += (long)(e->stats.guarded - e->seal_seen);
	e->seal_seen = e->stats.guarded;
	if (e->seal_credit > SEAL_CREDIT_CAP)
		e->seal_credit = SEAL_CREDIT_CAP;
	e->seal_credit -= SEAL_LOAD_COST;
	return e->seal_credit >= 0;
}

/* An APIC map built outside the VM's mapping moved (unguarded there). */
static bool map_moved_outside(struct x2s_engine *e)
{
	const u8 *map = map_now(e);

	return map && !guarded_mem(e, map, map_len_now(e)) &&
	       !map_same(e, e->base);
}

/*
 * Sealed, with a fastpath that writes its own sender's structures even
 * where it declines (one that completes the interrupts again around its
 * call): every such case would trip the guard, so the guard opens them
 * again for good and compares them after each case instead.
 */
static void open_guard(struct x2s_engine *e)
{
	guard_off(e);
	e->sealed = false;
	e->guard_for = -1;
	e->pre_sender = -1;
	e->stats.unseals++;
}

/*
 * A sealed case given up.  The fault stopped the first write into the
 * VM's memory, so nothing there moved: the sender's structures are as
 * the exit left them (left, for the next case of the same exit), and
 * only an APIC map outside the mapping may need building again.
 */
static void sealed_abort(struct x2s_engine *e, unsigned int s, bool tripped)
{
	const char *own = (const char *)x2s_vm_vcpu_mem(e->vm, s);
	const char *at = e->guard.fault_addr;

	if (map_moved_outside(e))
		map_rebuild(e, e->base);
	e->left = (int)s;
	x2s_warn_reset();
	if (tripped && at >= own && at < own + X2S_MEM_PAGE &&
	    ++e->own_trips >= 32 && e->own_trips * 16 > e->stats.guarded)
		open_guard(e);
}

/*
 * x2s_engine_try_case() sealed.  The exit is loaded through the alias
 * (spre[s], or nothing when the sender holds it already from a clean
 * decline, then the GPRs), the fastpath runs with every byte of the VM
 * read-only, and a decline that did not fault wrote none of them: there
 * is nothing to compare but an APIC map outside the mapping.
 */
static bool sealed_case(struct x2s_engine *e, unsigned int s,
			const struct x2s_input *in,
			const struct x2s_fastpath *fn, struct x2s_case_out *o)
{
	struct kvm_vcpu *vcpu = e->vcpu[s];
	unsigned long *regs;
	sigjmp_buf jump;
	fastpath_t fp;

	if (!sealed_ready(e))
		return false;
	case_out_init(o);
	if (!e->spre_ok[s] || !exit_same(&e->spre_in[s], in)) {
		if (!sealed_loads_pay(e)) {
			open_guard(e);
			return x2s_engine_try_case(e, s, in, fn, o);
		}
		if (!sealed_model_load(e, s, in))
			return false;
	} else if (e->left != (int)s) {
		x2s_vcpu_image_load_via(vcpu, &e->spre[s], e->alias_off);
	}
	e->left = -1;
	regs = (unsigned long *)((char *)vcpu->arch.regs + e->alias_off);
	regs[VCPU_REGS_RCX] = in->rcx;
	regs[VCPU_REGS_RAX] = in->rax;
	regs[VCPU_REGS_RDX] = in->rdx;
	if (in->has_reg)
		regs[in->reg] = in->regval;
	e->map_at_load = e->kvm->arch.apic_map;
	if (sigsetjmp(jump, 0)) {
		sealed_abort(e, s, true);
		return false;
	}
	x2s_guard_catch(&e->guard, &jump);
	fp = call_fastpath(e, vcpu, fn);
	x2s_guard_catch(&e->guard, NULL);
	if (fp != EXIT_FASTPATH_NONE || map_moved_outside(e)) {
		sealed_abort(e, s, false);
		return false;
	}
	e->stats.guarded++;
	o->fastpath = fp;
	decline(e, s, in, o, NULL, NULL);
	return true;
}

u64 x2s_engine_try_run(struct x2s_engine *e, const struct x2s_unit *u, u64 j,
		       u64 n, const struct x2s_fastpath *fn,
		       struct x2s_input *in, x2s_admit_fn admit, void *opaque,
		       bool *given_back)
{
	const unsigned int *warns = x2s_warn_counter();
	unsigned int s = u->sender;
	struct kvm_vcpu *vcpu = e->vcpu[s];
	unsigned long *regs;
	volatile u64 k = 0;
	sigjmp_buf jump;
	const u8 *map;
	u64 admitted = 0;

	*given_back = false;
	x2s_unit_case_next(u, j, in);
	/*
	 * Only where a case would take the quick way in sealed_case(): the
	 * sender holds this unit's exit from a clean decline, and the map is
	 * in the mapping (read-only too, so nothing to compare after a case).
	 */
	map = map_now(e);
	if (!e->sealed || !e->guard_on || e->check != X2S_CHECK_SWEEP ||
	    !e->guard.armed || e->left != (int)s || u->kind == X2S_UNIT_EXITS ||
	    !e->spre_ok[s] || !exit_same(&e->spre_in[s], in) ||
	    (map && !guarded_mem(e, map, map_len_now(e))) || x2s_warn_count())
		return 0;
	regs = (unsigned long *)((char *)vcpu->arch.regs + e->alias_off);
	if (sigsetjmp(jump, 0)) {
		sealed_abort(e, s, true);
		*given_back = true;
		return k;
	}
	x2s_guard_catch(&e->guard, &jump);
	for (;;) {
		if (!admitted) {
			admitted = admit ? admit(opaque, in) : n;
			if (!admitted)
				break;
		}
		admitted--;
		regs[VCPU_REGS_RCX] = in->rcx;
		regs[VCPU_REGS_RAX] = in->rax;
		regs[VCPU_REGS_RDX] = in->rdx;
		if (call_fastpath(e, vcpu, fn) != EXIT_FASTPATH_NONE ||
		    *warns) {
			x2s_guard_catch(&e->guard, NULL);
			sealed_abort(e, s, false);
			*given_back = true;
			return k;
		}
		e->stats.guarded++;
		if (j + ++k >= n)
			break;
		x2s_unit_case_next(u, j + k, in);
	}
	x2s_guard_catch(&e->guard, NULL);
	return k;
}

/* X2SIM_GUARD=open: the guard never sealed (docs/verify.md). */
static bool seal_wanted(void)
{
	const char *env = getenv("X2SIM_GUARD");

	return !env || strcmp(env, "open");
}

/*
 * The VM's memory mapped a second time (x2s_guard_alias()), once, where
 * it can be and unless told not to; with nothing of it protected.
 */
static void map_alias(struct x2s_engine *e)
{
	size_t len;
	char *mem;

	if (e->alias || !seal_wanted())
		return;
	mem = x2s_vm_mem(e->vm, &len);
	e->alias = x2s_guard_alias(mem, len);
	if (e->alias)
		e->alias_off = e->alias - mem;
}

/*
 * The guard sealed where the VM's memory can be mapped a second time;
 * else, or when told not to, open.
 */
static void seal_init(struct x2s_engine *e)
{
	if (!e->spre) {
		e->spre = zalloc64(e->nr * sizeof(*e->spre));
		e->spre_in = calloc(e->nr, sizeof(*e->spre_in));
		e->spre_ok = calloc(e->nr, sizeof(*e->spre_ok));
	}
	if (e->spre && e->spre_in && e->spre_ok)
		map_alias(e);
	e->sealed = e->alias != NULL;
	e->own_trips = 0;
	e->seal_credit = SEAL_CREDIT_CAP;
	e->seal_seen = e->stats.guarded;
	spre_forget(e);
}

void x2s_engine_guard(struct x2s_engine *e, bool on)
{
	size_t len;
	char *mem;

	guard_off(e);
	cold_off(e);
	e->guard_on = on && x2s_guard_available();
	if (e->guard_on) {
		e->cold_on = false;
		mem = x2s_vm_mem(e->vm, &len);
		x2s_guard_init(&e->guard, mem, len);
		seal_init(e);
	} else {
		e->sealed = false;
	}
	e->guard_for = -1;
	e->pre_sender = -1;
}

const struct x2s_engine_stats *x2s_engine_stats(struct x2s_engine *e)
{
	e->stats.trips = e->guard.trips;
	e->stats.cold_trips = e->cold.trips;
	return &e->stats;
}

bool x2s_engine_try_case(struct x2s_engine *e, unsigned int s,
			 const struct x2s_input *in,
			 const struct x2s_fastpath *fn, struct x2s_case_out *o)
{
	struct kvm_vcpu *vcpu = e->vcpu[s];
	sigjmp_buf jump;
	fastpath_t fp;
	bool quick;

	if (e->left >= 0 && e->left != (int)s) {
		/* Its structures are open to the guard still. */
		put_back(e, (unsigned int)e->left);
		e->left = -1;
	}
	if (e->sealed && e->guard_on && e->check == X2S_CHECK_SWEEP)
		return sealed_case(e, s, in, fn, o);
	if (!guard_ready(e, s))
		return false;
	case_out_init(o);
	/*
	 * The last case of this sender was a clean decline of the same
	 * WRMSR exit: the structures are pre exactly (guarded_clean() said
	 * so), and the exit's load would change RCX, RAX and RDX only
	 * (nothing it does after the GPRs reads them): set those.
	 */
	quick = e->left == (int)s && in->kind == X2S_CASE_WRMSR &&
		!in->has_reg && pre_same_exit(e, s, in);
	e->left = -1;
	if (sigsetjmp(jump, 0)) {
		guarded_abort(e, s);
		return false;
	}
	x2s_guard_catch(&e->guard, &jump);
	if (quick) {
		vcpu->arch.regs[VCPU_REGS_RCX] = in->rcx;
		vcpu->arch.regs[VCPU_REGS_RAX] = in->rax;
		vcpu->arch.regs[VCPU_REGS_RDX] = in->rdx;
		e->map_at_load = e->kvm->arch.apic_map;
	} else {
		x2s_engine_load(e, s, in);
	}
	pre_patch(e, s, in);
	fp = call_fastpath(e, vcpu, fn);
	x2s_guard_catch(&e->guard, NULL);
	if (fp != EXIT_FASTPATH_NONE || !guarded_clean(e, s)) {
		guarded_abort(e, s);
		return false;
	}
	e->stats.guarded++;
	o->fastpath = fp;
	decline(e, s, in, o, NULL, NULL);
	return true;
}

/*
 * A handled exit run to its end after the fastpath fp: its result and
 * warning in o, its outcome captured in cap (and saved in fs, if any).
 */
static void fast_outcome(struct x2s_engine *e, unsigned int s, fastpath_t fp,
			 struct x2s_case_out *o, struct x2s_vcpu_state *fs,
			 struct x2s_capture *cap)
{
	struct kvm_vcpu *vcpu = e->vcpu[s];
	int r = x2s_vmx_exit_finish(vcpu, fp);

	x2s_exit_result_fill(vcpu, r, &o->fast);
	o->fast.fastpath = fp;
	note_warn(o, "");
	x2s_warn_reset();
	x2s_engine_normalise(e);
	save_states(e, fs);
	capture(e, cap, true, (int)s);
}

/*
 * A handled case's verdict from its signature and warning, and what the
 * contract says of a handled ICR write's targets.
 */
static void compared_verdict(struct x2s_case_out *o)
{
	if (o->sig)
		o->verdict = X2S_VERDICT_MISMATCH;
	else if (o->warn[0])
		o->verdict = X2S_VERDICT_WARN;
	else
		o->verdict = X2S_VERDICT_EQUAL;
}

static void handled_verdict(struct x2s_engine *e, unsigned int s,
			    const struct x2s_input *in,
			    enum x2s_contract contract, struct x2s_case_out *o)
{
	compared_verdict(o);
	if (!x2s_input_writes_icr(in))
		return;
	o->targets = case_targets(e, s, in->data);
	if (contract == X2S_CONTRACT_SINGLE_TARGET &&
	    !single_target_contract_holds(in->data, o->targets))
		o->violation = true;
}

void x2s_engine_case(struct x2s_engine *e, unsigned int s,
		     const struct x2s_input *in, const struct x2s_fastpath *fn,
		     enum x2s_contract contract, struct x2s_case_out *o,
		     struct x2s_vcpu_state *fs, struct x2s_vcpu_state *ss)
{
	struct kvm_vcpu *vcpu = e->vcpu[s];
	u64 map_at = MAP_UNKNOWN;
	fastpath_t fp;
	int r;

	case_out_init(o);

	if (e->left >= 0 && e->left != (int)s)
		x2s_vcpu_image_load(e->vcpu[e->left], &e->base->v[e->left].img);
	e->left = -1;
	if (e->check == X2S_CHECK_SWEEP)
		cold_ready(e);
	x2s_engine_load(e, s, in);
	if (e->check == X2S_CHECK_SWEEP) {
		bool patched = pre_patch(e, s, in);

		fp = call_fastpath(e, vcpu, fn);
		/*
		 * The bytes the unit's end compares, looked at now too: a
		 * fastpath can put back at a later case what it wrote at
		 * this one, and the unit's end would then see nothing.
		 * Anything moved reruns the unit case by case.
		 */
		if (!deferred_same(e, s))
			e->suspect = true;
		if (fp == EXIT_FASTPATH_NONE && sweep_clean(e, s)) {
			o->fastpath = fp;
			decline(e, s, in, o, fs, ss);
			return;
		}
		if (fp == EXIT_FASTPATH_NONE) {
			u64 moved = fix_links(e);

			if (patched)
				pre_exact(e, s, in);
			o->sig = links_sig(moved, s) | decline_sig(e, s);
		} else {
			o->sig = links_sig(fix_links(e), s);
			/*
			 * What the undos below put back unseen must be the
			 * base's now; if not, the unit is run again (the
			 * other vCPUs' deferred structures were looked at
			 * above: fix_links() moves only links, which are
			 * not among them).  The map's bytes found the base's
			 * stay known so while only the model runs (undo_at()).
			 */
			if (map_same(e, e->base))
				map_at = map_rebuilds(e);
			else if (!map_consistent(e))
				e->suspect = true;
		}
	} else {
		fp = x2s_engine_fastpath(e, s, fn, &o->sig);
	}
	o->fastpath = fp;
	if (fp == EXIT_FASTPATH_NONE) {
		decline(e, s, in, o, fs, ss);
		return;
	}

	o->handled = true;
	fast_outcome(e, s, fp, o, fs, e->fast);
	undo_at(e, e->lines, map_at);
	/* The undo left the base's map; the slow path is the model's. */
	map_at = map_rebuilds(e);

	x2s_engine_load(e, s, in);
	r = x2s_vmx_exit_finish(vcpu, EXIT_FASTPATH_NONE);
	x2s_exit_result_fill(vcpu, r, &o->slow);
	/* Why X2S_CHECK_SWEEP may leave these to the end of a unit. */
	if (e->check == X2S_CHECK_CASE)
		WARN_ON_ONCE(!x2s_engine_others_untouched(e, s));
	note_warn(o, "slow path: ");
	x2s_engine_normalise(e);
	save_states(e, ss);
	if (fs || ss)
		x2s_engine_capture(e, e->slow);
	o->sig |= x2s_engine_compare(e, e->fast, s);
	if (o->fast.status != o->slow.status)
		o->sig |= X2S_SIG(X2S_PART_USERSPACE, true);
	x2s_warn_reset();
	undo_at(e, e->lines, map_at);

	handled_verdict(e, s, in, contract, o);
}

bool x2s_engine_settle(struct x2s_engine *e)
{
	bool ok = !e->suspect;

	if (e->left >= 0)
		put_back(e, (unsigned int)e->left);
	e->left = -1;
	e->suspect = false;
	ok &= whole_same(e, e->base, -1);
	if (!ok)
		x2s_engine_undo(e);
	return ok;
}

/* ---- engines ---- */

void x2s_engine_free(struct x2s_engine *e)
{
	if (!e)
		return;
	guard_off(e);
	cold_off(e);
	if (e->alias) {
		size_t len;

		x2s_vm_mem(e->vm, &len);
		munmap(e->alias, len);
	}
	free(e->spre);
	free(e->spre_in);
	free(e->spre_ok);
	free(e->cold_ranges);
	free(e->tail_ranges);
	snapshot_free(e->base, e->nr);
	x2s_capture_free(e->fast);
	x2s_capture_free(e->slow);
	free(e->st_ref);
	free(e->st_now);
	free(e->lines);
	free(e->moved);
	free(e->vcpu);
	x2s_vm_destroy(e->vm);
	free(e);
}

/* The cold guard's ranges, one per vCPU; on in X2S_CHECK_SWEEP. */
static void cold_init(struct x2s_engine *e)
{
	size_t len;
	char *mem = x2s_vm_mem(e->vm, &len);

	x2s_guard_init(&e->cold, mem, len);
	e->cold_ranges = calloc(e->nr, sizeof(*e->cold_ranges));
	for (unsigned int i = 0; e->cold_ranges && i < e->nr; i++) {
		e->cold_ranges[i].start = (char *)x2s_vm_vcpu_mem(e->vm, i) +
					  X2S_VCPU_MEM_COLD_OFFSET;
		e->cold_ranges[i].len = X2S_VCPU_MEM_COLD_LEN;
	}
	/* The tail's page alone: the first of the cold run (vmx.h). */
	e->tail_ranges = calloc(e->nr, sizeof(*e->tail_ranges));
	for (unsigned int i = 0; e->tail_ranges && i < e->nr; i++) {
		e->tail_ranges[i].start = (char *)x2s_vm_vcpu_mem(e->vm, i) +
					  X2S_VCPU_MEM_COLD_OFFSET;
		e->tail_ranges[i].len = X2S_MEM_PAGE;
	}
	x2s_engine_cold(e, e->check == X2S_CHECK_SWEEP);
}

struct x2s_engine *x2s_engine_adopt(struct x2s_vm *vm, enum x2s_check check)
{
	struct x2s_engine *e = zalloc64(sizeof(*e));

	if (!e) {
		x2s_vm_destroy(vm);
		return NULL;
	}
	e->left = -1;
	e->pre_sender = -1;
	e->map_base_at = MAP_UNKNOWN;
	e->check = check;
	e->vm = vm;
	e->kvm = x2s_vm_kvm(vm);
	e->nr = x2s_vm_nr_vcpus(vm);
	e->vcpu = calloc(e->nr, sizeof(*e->vcpu));
	e->st_ref = malloc(sizeof(*e->st_ref));
	e->st_now = malloc(sizeof(*e->st_now));
	e->lines = calloc(e->nr, sizeof(*e->lines));
	e->moved = malloc(e->nr * sizeof(*e->moved));
	if (!e->vcpu || !e->st_ref || !e->st_now || !e->lines || !e->moved)
		goto fail;
	memcpy(e->vcpu, e->kvm->vcpus, e->nr * sizeof(*e->vcpu));
	for (unsigned int i = 0; i < e->nr; i++)
		e->moved[i] = true;
	e->base = snapshot_new(e);
	e->fast = x2s_capture_new(e);
	e->slow = x2s_capture_new(e);
	if (!e->base || !e->fast || !e->slow || snapshot_take(e, e->base))
		goto fail;
	cold_init(e);
	return e;
fail:
	x2s_engine_free(e);
	return NULL;
}

struct x2s_engine *x2s_engine_new(const struct x2s_vm_desc *d,
				  enum x2s_check check)
{
	struct x2s_vm *vm;

	if (x2s_vm_desc_create(d, &vm))
		return NULL;
	return x2s_engine_adopt(vm, check);
}

struct x2s_vm *x2s_engine_vm(struct x2s_engine *e)
{
	return e->vm;
}

struct kvm *x2s_engine_kvm(struct x2s_engine *e)
{
	return e->kvm;
}

void x2s_engine_set_check(struct x2s_engine *e, enum x2s_check check)
{
	guard_off(e);
	if (check != X2S_CHECK_SWEEP)
		cold_off(e);
	if (check != X2S_CHECK_CASE && e->cold_case) {
		cold_off(e);
		e->cold_case = false;
		e->cold_bitmaps = false;
	}
	e->check = check;
	e->pre_sender = -1;
}

/* ---- x2s_verify_case: one case, on the sweep's path ---- */

int x2s_verify_case(const struct x2s_case *c, const struct x2s_fastpath *fn,
		    enum x2s_contract contract, struct x2s_case_result *res,
		    struct x2s_vcpu_state *fast_states,
		    struct x2s_vcpu_state *slow_states, FILE *diff)
{
	struct x2s_vcpu_state *fs = fast_states, *ss = slow_states;
	bool own = !fs || !ss;
	struct x2s_case_out o;
	struct x2s_input in;
	struct x2s_engine *e;
	int err = 0;

	if (!c || !res || x2s_vm_desc_check(&c->config, NULL, 0) ||
	    c->sender >= c->config.nr_vcpus ||
	    (unsigned int)c->exit >= X2S_CASE_NR_EXITS || c->reg > 15)
		return -EINVAL;
	e = x2s_engine_new(&c->config, X2S_CHECK_CASE);
	if (own) {
		fs = calloc(c->config.nr_vcpus, sizeof(*fs));
		ss = calloc(c->config.nr_vcpus, sizeof(*ss));
	}
	if (!e || !fs || !ss) {
		err = -ENOMEM;
		goto out;
	}
	x2s_case_input(c, &in);
	x2s_engine_case(e, c->sender, &in, fn, contract, &o, fs, ss);

	memset(res, 0, sizeof(*res));
	res->verdict = o.verdict;
	res->fastpath = o.fastpath;
	res->contract_violation = o.violation;
	res->nr_vcpus = e->nr;
	res->signature = o.sig;
	res->fast = o.fast;
	res->slow = o.slow;
	snprintf(res->warn, sizeof(res->warn), "%s", o.warn);
	if (diff && o.verdict != X2S_VERDICT_DECLINED &&
	    o.verdict != X2S_VERDICT_EQUAL) {
		char sig[256];

		x2s_signature_format(o.sig, sig, sizeof(sig));
		fprintf(diff, "  differs: %s\n", sig);
		x2s_state_diff(fs, ss, e->nr, diff);
		/* And what no snapshot field shows. */
		x2s_engine_capture_diff(e, e->fast, e->slow, diff);
	}
out:
	x2s_warn_reset();
	if (own) {
		free(fs);
		free(ss);
	}
	x2s_engine_free(e);
	return err;
}

/* ---- appended for the fuzz support ---- */

void x2s_engine_undo_clean_decline(struct x2s_engine *e, unsigned int s)
{
	/* decline()'s own undo of a clean decline, where it is proven. */
	if (e->check != X2S_CHECK_CASE || s >= e->nr) {
		x2s_engine_undo(e);
		return;
	}
	x2s_vcpu_image_load(e->vcpu[s], &e->base->v[s].img);
	e->left = -1;
}

void x2s_engine_cases(struct x2s_engine *e, unsigned int s,
		      const struct x2s_input *in,
		      const struct x2s_fastpath *const *fns, unsigned int n,
		      struct x2s_capture *const *caps,
		      enum x2s_contract contract, struct x2s_case_out *outs)
{
	struct kvm_vcpu *vcpu = e->vcpu[s];
	struct x2s_exit_result slow;
	bool any = false;
	int r;

	if (e->left >= 0 && e->left != (int)s)
		x2s_vcpu_image_load(e->vcpu[e->left], &e->base->v[e->left].img);
	e->left = -1;
	/* Each fastpath from the base, as x2s_engine_case() runs it. */
	for (unsigned int k = 0; k < n; k++) {
		struct x2s_case_out *o = &outs[k];
		fastpath_t fp;

		case_out_init(o);
		if (e->check != X2S_CHECK_CASE) {
			/* The sweep's way keeps state between cases. */
			x2s_engine_case(e, s, in, fns[k], contract, o, NULL,
					NULL);
			continue;
		}
		x2s_engine_load(e, s, in);
		fp = x2s_engine_fastpath(e, s, fns[k], &o->sig);
		o->fastpath = fp;
		if (fp == EXIT_FASTPATH_NONE) {
			decline(e, s, in, o, NULL, NULL);
			continue;
		}
		o->handled = true;
		any = true;
		fast_outcome(e, s, fp, o, NULL, caps[k]);
		undo(e, e->lines);
		/*
		 * x2s_engine_case() counts a WARN from here to the slow
		 * path's end as the slow path's: this part is per fastpath.
		 */
		note_warn(o, "slow path: ");
	}
	if (!any || e->check != X2S_CHECK_CASE)
		return;
	/* The slow path once, compared with every fastpath that handled. */
	x2s_warn_reset();
	x2s_engine_load(e, s, in);
	r = x2s_vmx_exit_finish(vcpu, EXIT_FASTPATH_NONE);
	x2s_exit_result_fill(vcpu, r, &slow);
	WARN_ON_ONCE(!x2s_engine_others_untouched(e, s));
	for (unsigned int k = 0; k < n; k++) {
		if (outs[k].handled) {
			outs[k].slow = slow;
			note_warn(&outs[k], "slow path: ");
		}
	}
	x2s_engine_normalise(e);
	for (unsigned int k = 0; k < n; k++) {
		struct x2s_case_out *o = &outs[k];

		if (!o->handled)
			continue;
		o->sig |= x2s_engine_compare(e, caps[k], s);
		if (o->fast.status != o->slow.status)
			o->sig |= X2S_SIG(X2S_PART_USERSPACE, true);
	}
	x2s_warn_reset();
	undo(e, e->lines);
	/*
	 * The receivers only where a contract asks (the fuzz support's
	 * callers read the verdicts alone): targets stays 0 otherwise.
	 */
	for (unsigned int k = 0; k < n; k++) {
		struct x2s_case_out *o = &outs[k];

		if (o->handled && contract == X2S_CONTRACT_NONE)
			compared_verdict(o);
		else if (o->handled)
			handled_verdict(e, s, in, contract, o);
	}
}
