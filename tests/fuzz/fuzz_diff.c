// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_diff: sequences of guest and host operations on a VM built from
 * the input, every VM exit run through each selected fastpath and through
 * the slow path from the same state.  Any outcome difference, any WARN in
 * the model and any broken invariant is a crash.  The input format is in
 * docs/fuzzing.md; every byte string decodes to something valid.
 *
 * X2SIM_FUZZ_FASTPATH (comma-separated variant names, or plugin paths:
 * any entry with a '/') replaces the default set "upstream,v6.12", e.g.
 * with v1-posted to show the oracle finds a known-bad variant; "none"
 * runs the slow path alone (the model's WARNs and invariants).  Two
 * differences are known findings in KVM (a stale RVI after INIT, a due
 * timer interrupt skipped by the re-entry; docs/fuzzing.md): each
 * reported once and the run goes on, unless X2SIM_FUZZ_STRICT=1.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "fastpath/fastpath.h"
#include "fastpath/plugin.h"
#include "lapic/lapic.h"
#include "verify/fuzz_support.h"
#include "verify/verify.h"
#include "vmx/vmx.h"

#include "fuzz.h"

#define FUZZ_MAX_VCPUS 8
#define FUZZ_MAX_FNS 8
#define FUZZ_MAX_OPS 64
#define APIC_DEFAULT_GPA 0xfee00000ULL
#define APIC_BASE_MSR_INDEX 0x1b

struct reader {
	const uint8_t *p;
	size_t n;
};

/* Past the end every read gives zeros: any byte string is an input. */
static uint8_t get8(struct reader *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint64_t get_le(struct reader *r, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)get8(r) << (8 * i);
	return v;
}

static const char *const default_fns = "upstream,v6.12";
static const struct x2s_fastpath *fns[FUZZ_MAX_FNS];
static const char *fn_names[FUZZ_MAX_FNS];
static unsigned int nr_fns;
static bool configured;
static bool plugins;

/*
 * A shipped variant by name, or a plugin by path (an entry with a '/',
 * loaded as `x2sim verify --plugin` loads one, docs/plugins.md).
 */
static const struct x2s_fastpath *find_fastpath(const char *t,
						const char **name)
{
	const struct x2s_fastpath_variant *v;
	const struct x2s_fastpath *fn;
	char err[512];

	if (!strchr(t, '/')) {
		v = x2s_fastpath_find(t);
		if (!v) {
			fprintf(stderr, "fuzz_diff: no fastpath '%s'\n", t);
			exit(2);
		}
		*name = v->name;
		return v->fn;
	}
	if (x2s_plugin_load(t, &fn, err, sizeof(err))) {
		fprintf(stderr, "fuzz_diff: %s\n", err);
		exit(2);
	}
	plugins = true;
	*name = t;
	return fn;
}

static void select_fastpaths(void)
{
	static char buf[4096];
	const char *env = getenv("X2SIM_FUZZ_FASTPATH");
	char *save = NULL;

	if ((size_t)snprintf(buf, sizeof(buf), "%s",
			     env && *env ? env : default_fns) >= sizeof(buf)) {
		fprintf(stderr, "fuzz_diff: X2SIM_FUZZ_FASTPATH is too long\n");
		exit(2);
	}
	/* The slow path alone: the model's WARNs and invariants. */
	if (!strcmp(buf, "none"))
		return;
	for (char *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		const struct x2s_fastpath *fn;
		const char *name;

		if (!strcmp(t, "none")) {
			fprintf(stderr,
				"fuzz_diff: X2SIM_FUZZ_FASTPATH: 'none' stands alone\n");
			exit(2);
		}
		fn = find_fastpath(t, &name);
		if (nr_fns < FUZZ_MAX_FNS) {
			fn_names[nr_fns] = name;
			fns[nr_fns++] = fn;
		}
	}
	if (!nr_fns) {
		fprintf(stderr, "fuzz_diff: X2SIM_FUZZ_FASTPATH names none\n");
		exit(2);
	}
}

/* ---- the VM configuration ---- */

/*
 * The cache key of a decoded configuration: what the VM is built from,
 * packed, so that inputs differing only in bytes or bits the decoder
 * ignores share a VM.
 */
#define FUZZ_KEY_LEN (1 + 5 * FUZZ_MAX_VCPUS)

static void decode_vcpu(struct reader *r, struct x2s_vcpu_desc *v)
{
	uint8_t a = get8(r), b = get8(r), id = get8(r), ldr = get8(r);
	static const uint32_t mp_states[4] = { KVM_MP_STATE_RUNNABLE,
					       KVM_MP_STATE_HALTED,
					       KVM_MP_STATE_INIT_RECEIVED,
					       KVM_MP_STATE_UNINITIALIZED };

	/* Zero bits give the named configurations' running x2APIC vCPU. */
	switch (a & 3) {
	case 0:
	case 3:
		v->apic_mode = X2S_APIC_MODE_X2APIC;
		break;
	case 1:
		v->apic_mode = X2S_APIC_MODE_XAPIC;
		break;
	default:
		v->apic_mode = X2S_APIC_MODE_DISABLED;
		break;
	}
	v->sw_enabled = !(a & 4);
	v->mp_state = mp_states[(a >> 3) & 3];
	/* L2 runs on a vCPU that runs: not one waiting for INIT or SIPI. */
	v->guest_mode = (a & 0x20) && (v->mp_state == KVM_MP_STATE_RUNNABLE ||
				       v->mp_state == KVM_MP_STATE_HALTED);
	v->l1_intercept = v->guest_mode && (a & 0x40);
	v->singlestep = a & 0x80;
	v->rflags_tf = b & 1;
	v->rflags_if = !(b & 2);
	v->apicv = b & 4;
	if (v->apic_mode == X2S_APIC_MODE_XAPIC) {
		if (b & 8)
			v->xapic_id = id;
		if (b & 0x10)
			v->ldr = (int64_t)ldr << 24;
		if (b & 0x20)
			v->dfr = APIC_DFR_CLUSTER;
	}
}

static void encode_key(const struct x2s_vm_desc *d, uint8_t key[FUZZ_KEY_LEN])
{
	memset(key, 0, FUZZ_KEY_LEN);
	key[0] = (uint8_t)(d->nr_vcpus | d->vector_hashing << 4 |
			   d->x2apic_format << 5 |
			   d->broadcast_quirk_disabled << 6 |
			   d->x2apic_icr_is_split << 7);
	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		const struct x2s_vcpu_desc *v = &d->vcpu[i];
		uint8_t *k = key + 1 + 5 * i;

		k[0] = (uint8_t)(v->apic_mode | v->sw_enabled << 2 |
				 v->guest_mode << 3 | v->l1_intercept << 4 |
				 v->singlestep << 5 | v->rflags_tf << 6 |
				 v->rflags_if << 7);
		k[1] = (uint8_t)(v->mp_state | v->apicv << 4 |
				 (v->xapic_id >= 0) << 5 | (v->ldr >= 0) << 6 |
				 (v->dfr >= 0) << 7);
		k[2] = (uint8_t)(v->xapic_id >= 0 ? v->xapic_id : 0);
		k[3] = (uint8_t)(v->ldr >= 0 ? v->ldr >> 24 : 0);
		k[4] = (uint8_t)(v->dfr >= 0 ? v->dfr >> 24 : 0);
	}
}

static void decode_config(struct reader *r, struct x2s_vm_desc *d,
			  uint8_t key[FUZZ_KEY_LEN])
{
	uint8_t h = get8(r);

	x2s_vm_desc_init(d, "fuzz", 1 + (h & 7));
	d->vector_hashing = !(h & 0x08);
	d->x2apic_format = h & 0x10;
	d->broadcast_quirk_disabled = h & 0x20;
	d->x2apic_icr_is_split = h & 0x40;
	for (unsigned int i = 0; i < d->nr_vcpus && i < FUZZ_MAX_VCPUS; i++)
		decode_vcpu(r, &d->vcpu[i]);
	encode_key(d, key);
}

/*
 * Building a VM costs more than a whole input's exits: one VM is kept per
 * creation configuration (vCPU count, KVM's knobs, APICv; key[0] and
 * whether any vCPU has APICv), reset to its start state when the next
 * input decodes to the same VM and retargeted to the new per-vCPU settings
 * (x2s_fuzz_engine_retarget) when it does not.
 */
struct cached_vm {
	uint8_t key[FUZZ_KEY_LEN];
	struct x2s_fuzz_engine *e;
};

static struct cached_vm vm_cache[2 * 256];

static unsigned int cache_index(const struct x2s_vm_desc *d, const uint8_t *key)
{
	bool apicv = false;

	for (unsigned int i = 0; i < d->nr_vcpus; i++)
		apicv |= d->vcpu[i].apicv;
	return 2u * key[0] + apicv;
}

/*
 * X2SIM_FUZZ_CHECK=1 (the replay tests): check every reset and undo,
 * the L1 MSR bitmaps too (no part of struct x2s_vcpu_state), which the
 * engine keeps read-only and writes through a second mapping.
 */
static bool self_check;
static struct x2s_vcpu_state chk_a[FUZZ_MAX_VCPUS], chk_b[FUZZ_MAX_VCPUS];
static struct x2s_vcpu_state chk_c[FUZZ_MAX_VCPUS];
static u8 chk_bitmap[FUZZ_MAX_VCPUS][X2S_MSR_BITMAP_SIZE];

/* The vCPU whose bitmap differs from chk_bitmap's (or from vm b's), or -1. */
static int bitmap_differs(struct x2s_vm *a, struct x2s_vm *b, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++) {
		const u8 *x = to_vmx(x2s_vm_vcpu(a, i))->nested.msr_bitmap;
		const u8 *y = b ? to_vmx(x2s_vm_vcpu(b, i))->nested.msr_bitmap :
				  chk_bitmap[i];

		if (memcmp(x, y, X2S_MSR_BITMAP_SIZE))
			return (int)i;
	}
	return -1;
}

static void check_reset(const struct x2s_vm_desc *d, struct x2s_vm *vm)
{
	struct x2s_vm *fresh;
	int i;

	if (x2s_vm_desc_create(d, &fresh))
		abort();
	x2s_vm_save(fresh, chk_a);
	x2s_vm_save(vm, chk_b);
	if (memcmp(chk_a, chk_b, sizeof(chk_a[0]) * d->nr_vcpus)) {
		fprintf(stderr,
			"fuzz_diff: a reused VM differs from a new one\n");
		x2s_state_diff(chk_a, chk_b, d->nr_vcpus, stderr);
		abort();
	}
	i = bitmap_differs(vm, fresh, d->nr_vcpus);
	if (i >= 0) {
		fprintf(stderr,
			"fuzz_diff: a reused VM's vCPU %d has another MSR bitmap than a new one's\n",
			i);
		abort();
	}
	x2s_vm_destroy(fresh);
}

/*
 * trips (X2SIM_FUZZ_CHECK): the engine's cold guard trips before its
 * reset or retarget.
 */
static struct x2s_fuzz_engine *get_engine(const struct x2s_vm_desc *d,
					  const uint8_t *key,
					  unsigned long *trips)
{
	struct cached_vm *c = &vm_cache[cache_index(d, key)];

	*trips = 0;
	if (self_check && c->e)
		*trips = x2s_fuzz_engine_stats(c->e)->cold_trips;
	if (c->e && !memcmp(c->key, key, FUZZ_KEY_LEN)) {
		x2s_fuzz_engine_reset(c->e);
	} else if (c->e) {
		if (x2s_fuzz_engine_retarget(c->e, d)) {
			fprintf(stderr,
				"fuzz_diff: retargeting a cached VM failed\n");
			abort();
		}
	} else {
		c->e = x2s_fuzz_engine_new(d, nr_fns ? nr_fns : 1);
		if (!c->e) {
			fprintf(stderr,
				"fuzz_diff: a decoded configuration failed\n");
			abort();
		}
	}
	memcpy(c->key, key, FUZZ_KEY_LEN);
	if (self_check)
		check_reset(d, x2s_fuzz_engine_vm(c->e));
	return c->e;
}

/* ---- running exits both ways ---- */

struct fuzz_vm {
	struct x2s_fuzz_engine *e;
	struct x2s_vm *vm;
	struct kvm *kvm;
	unsigned int nr;
	/*
	 * x2s_vm_vcpu() of each, taken per input: the vCPUs never move,
	 * and the accessor is model code, instrumented (a counter and a
	 * compare hook per call, several per step).
	 */
	struct kvm_vcpu *vcpu[FUZZ_MAX_VCPUS];
	uint32_t mp_state[FUZZ_MAX_VCPUS];
	unsigned long step;
};

static void check_warn(struct fuzz_vm *f, const char *what)
{
	if (!x2s_warn_count())
		return;
	fprintf(stderr, "fuzz_diff: step %lu (%s): WARN %s\n", f->step, what,
		x2s_warn_first());
	abort();
}

static bool same_result(const struct x2s_exit_result *a,
			const struct x2s_exit_result *b)
{
	return a->status == b->status &&
	       a->run_exit_reason == b->run_exit_reason &&
	       a->internal_suberror == b->internal_suberror &&
	       a->nested_exit == b->nested_exit &&
	       a->nested_exit_reason == b->nested_exit_reason &&
	       a->entry_intr_info == b->entry_intr_info &&
	       a->entry_exception_error_code == b->entry_exception_error_code;
}

static void print_result(const char *who, const struct x2s_exit_result *r)
{
	fprintf(stderr,
		"  %s: status %d fastpath %s exit_reason %u suberror %u nested %d/%u entry_intr_info %#x error %#x\n",
		who, r->status, x2s_fastpath_result_name(r->fastpath),
		r->run_exit_reason, r->internal_suberror, r->nested_exit,
		r->nested_exit_reason, r->entry_intr_info,
		r->entry_exception_error_code);
}

/* Run exit on vCPU s with fastpath k (nr_fns: the slow path). */
static void run_exit(struct fuzz_vm *f, unsigned int s,
		     const struct x2s_exit *exit, unsigned int k,
		     struct x2s_exit_result *res)
{
	struct kvm_vmx *kv = to_kvm_vmx(f->kvm);
	bool slow = k == nr_fns;

	x2s_warn_reset();
	kv->fastpath = slow ? NULL : fns[k];
	x2s_vcpu_exit(f->vm, s, exit, res);
	kv->fastpath = NULL;
	check_warn(f, slow ? "slow path" : fn_names[k]);
	x2s_fuzz_engine_normalise(f->e);
}

/* The undo must give back exactly the state the runs started from. */
static void check_undo(struct fuzz_vm *f)
{
	int i = bitmap_differs(f->vm, NULL, f->nr);

	if (i >= 0) {
		fprintf(stderr,
			"fuzz_diff: step %lu: undo left vCPU %d another MSR bitmap\n",
			f->step, i);
		abort();
	}
	x2s_vm_save(f->vm, chk_b);
	if (!memcmp(chk_a, chk_b, sizeof(chk_a[0]) * f->nr))
		return;
	fprintf(stderr, "fuzz_diff: step %lu: undo left a different state\n",
		f->step);
	x2s_state_diff(chk_a, chk_b, f->nr, stderr);
	abort();
}

/*
 * The KVM finding of docs/fuzzing.md, "a stale RVI after INIT": the
 * fastpath re-entered, synced the PIR into RVI, and the INIT that was
 * pending reset the sender's APIC (software-disabled, IRR empty) and left
 * RVI behind; the slow path did not sync, so its RVI is what an earlier
 * entry left (zero, or a vector of the IRR that the same reset cleared):
 * before, the sender's GUEST_INTR_STATUS before the exit.  a, b: every
 * vCPU's state after the fastpath and after the slow path.  Only that
 * difference qualifies.
 */
static bool stale_rvi_after_init(struct fuzz_vm *f, unsigned int s,
				 const struct x2s_exit_result *fast,
				 const struct x2s_exit_result *slow,
				 uint16_t before, struct x2s_vcpu_state *a,
				 const struct x2s_vcpu_state *b)
{
	uint32_t reg;

	if (fast->fastpath != EXIT_FASTPATH_REENTER_GUEST ||
	    !same_result(fast, slow) || !(a[s].guest_intr_status & 0xff) ||
	    (b[s].guest_intr_status & 0xff00) !=
		    (a[s].guest_intr_status & 0xff00) ||
	    (b[s].guest_intr_status & 0xff) != (before & 0xff))
		return false;
	memcpy(&reg, b[s].apic_page + APIC_SPIV, sizeof(reg));
	if (reg & APIC_SPIV_APIC_ENABLED)
		return false;
	for (unsigned int w = 0; w < 8; w++) {
		memcpy(&reg, b[s].apic_page + APIC_IRR + w * 0x10, sizeof(reg));
		if (reg)
			return false;
	}
	a[s].guest_intr_status = b[s].guest_intr_status;
	return !memcmp(a, b, sizeof(*a) * f->nr);
}

/* The same exit's result but for what the entry after it injected. */
static bool same_result_but_entry(const struct x2s_exit_result *a,
				  const struct x2s_exit_result *b)
{
	struct x2s_exit_result x = *a;

	x.entry_intr_info = b->entry_intr_info;
	x.entry_exception_error_code = b->entry_exception_error_code;
	return same_result(&x, b);
}

/*
 * The KVM finding of docs/fuzzing.md, "a due timer interrupt skipped by a
 * fastpath re-entry": the sender's LAPIC timer expired while LVTT was
 * masked (the expiry stays pending, not injectable), and LVTT was
 * unmasked without a pass through vcpu_run() after it (in KVM a
 * host-initiated write of the x2APIC LVTT MSR, KVM_SET_MSRS), so the
 * expiry is due as the exit begins (apic_has_pending_timer() then).  The
 * slow path's vcpu_run() loop injects it after the exit
 * (kvm_inject_apic_timer_irqs()); a fastpath that re-enters the guest
 * skips that pass.  replayed: the expiry was due, the fastpath
 * re-entered, and (not X2SIM_FUZZ_STRICT) that pass was run after it.
 * a: every vCPU's state after the fastpath, c: after it and the pass it
 * skipped (x2s_vcpu_prepare_entry()), b: after the slow path.
 * Qualifies: c is b byte for byte, and the fastpath left every other vCPU
 * as the slow path did (the pass touches the sender alone).  The pass
 * recomputes what the sender's state derives (PPR, RVI), so a fastpath
 * that wrote only such bytes on such an exit would pass too;
 * X2SIM_FUZZ_STRICT=1 holds it to the slow path as it is.
 */
static bool due_timer_skipped(struct fuzz_vm *f, unsigned int s, bool replayed,
			      const struct x2s_exit_result *fast,
			      const struct x2s_exit_result *slow,
			      const struct x2s_vcpu_state *a,
			      const struct x2s_vcpu_state *c,
			      const struct x2s_vcpu_state *b)
{
	if (!replayed || !same_result_but_entry(fast, slow) ||
	    memcmp(c, b, sizeof(*c) * f->nr))
		return false;
	for (unsigned int i = 0; i < f->nr; i++)
		if (i != s && memcmp(&a[i], &b[i], sizeof(*a)))
			return false;
	return true;
}

/* X2SIM_FUZZ_STRICT=1: the known findings above are crashes too. */
static bool strict;
/* X2SIM_FUZZ_TRACE=1: every operation and the slow path's result. */
static bool trace;
static unsigned long known_rvi, known_timer;

/*
 * Fastpath k and the slow path disagree: run both again from the state
 * before the exit for whole states and a readable diff.  The run goes on
 * from the slow path's outcome when the difference is the known KVM
 * finding (reported once); anything else is a crash.
 */
static void report_mismatch(struct fuzz_vm *f, unsigned int s,
			    const struct x2s_exit *exit, unsigned int k,
			    const struct x2s_exit_result *res)
{
	struct kvm_vcpu *vcpu = f->vcpu[s];
	struct x2s_exit_result fast, slow;
	uint64_t rcx, rax, rdx;
	uint16_t before;
	bool replayed;

	x2s_fuzz_engine_undo(f->e);
	x2s_vm_save(f->vm, chk_a);
	before = chk_a[s].guest_intr_status;
	replayed = vcpu->arch.apic && apic_has_pending_timer(vcpu);
	rcx = vcpu->arch.regs[VCPU_REGS_RCX];
	rax = vcpu->arch.regs[VCPU_REGS_RAX];
	rdx = vcpu->arch.regs[VCPU_REGS_RDX];
	run_exit(f, s, exit, k, &fast);
	x2s_vm_save(f->vm, chk_a);
	replayed &= !strict && fast.fastpath == EXIT_FASTPATH_REENTER_GUEST;
	if (replayed) {
		/* The pass of vcpu_run() the re-entry skipped. */
		x2s_vcpu_prepare_entry(vcpu);
		check_warn(f, "vcpu_run() after the re-entry");
		x2s_fuzz_engine_normalise(f->e);
		x2s_vm_save(f->vm, chk_c);
	}
	x2s_fuzz_engine_undo(f->e);
	run_exit(f, s, exit, nr_fns, &slow);
	x2s_vm_save(f->vm, chk_b);
	if (!strict &&
	    stale_rvi_after_init(f, s, &fast, &slow, before, chk_a, chk_b)) {
		if (!known_rvi++)
			fprintf(stderr,
				"fuzz_diff: step %lu: %s leaves a stale RVI after INIT, the known KVM finding (docs/fuzzing.md); not a crash unless X2SIM_FUZZ_STRICT=1, reported once\n",
				f->step, fn_names[k]);
		return;
	}
	if (due_timer_skipped(f, s, replayed, &fast, &slow, chk_a, chk_c,
			      chk_b)) {
		if (!known_timer++)
			fprintf(stderr,
				"fuzz_diff: step %lu: %s re-enters without the due timer interrupt the slow path injects, the known KVM finding (docs/fuzzing.md); not a crash unless X2SIM_FUZZ_STRICT=1, reported once\n",
				f->step, fn_names[k]);
		return;
	}
	fprintf(stderr,
		"fuzz_diff: step %lu: vCPU %u exit %u (RCX %#llx RAX %#llx RDX %#llx): fastpath %s differs from the slow path\n",
		f->step, s, exit->reason, (unsigned long long)rcx,
		(unsigned long long)rax, (unsigned long long)rdx, fn_names[k]);
	print_result(fn_names[k], &res[k]);
	print_result("slow", &res[nr_fns]);
	x2s_state_diff(chk_a, chk_b, f->nr, stderr);
	abort();
}

/*
 * One exit of vCPU s, whose registers hold the guest state: with each
 * fastpath and without, each from the state before it (undone line by
 * line in between).  A fastpath that declines the exit without touching
 * anything would only repeat the slow path, so its run stops there, and
 * only the sender's structures are put back (X2SIM_FUZZ_CHECK compares
 * every byte with the base then, runs it to the end anyway, and
 * compares).  The slow
 * path runs last, so the sequence goes on from its outcome.
 */
static void diff_exit(struct fuzz_vm *f, unsigned int s,
		      const struct x2s_exit *exit)
{
	struct x2s_exit_result res[FUZZ_MAX_FNS + 1];
	bool ran[FUZZ_MAX_FNS];

	/* With no fastpath nothing is undone: no base to take. */
	if (nr_fns)
		x2s_fuzz_engine_rebase(f->e);
	if (self_check && nr_fns) {
		x2s_vm_save(f->vm, chk_a);
		for (unsigned int i = 0; i < f->nr; i++)
			memcpy(chk_bitmap[i],
			       to_vmx(f->vcpu[i])->nested.msr_bitmap,
			       X2S_MSR_BITMAP_SIZE);
	}
	for (unsigned int k = 0; k < nr_fns; k++) {
		x2s_warn_reset();
		ran[k] = x2s_fuzz_engine_exit(f->e, s, exit, fns[k], &res[k]);
		check_warn(f, fn_names[k]);
		if (!ran[k]) {
			/*
			 * A clean decline: the exit's check found every byte
			 * but the sender's structures the base's, so those
			 * alone are put back.  X2SIM_FUZZ_CHECK holds that to
			 * a comparison of every byte with the base.
			 */
			x2s_fuzz_engine_undo_decline(f->e);
			if (!self_check)
				continue;
			if (!x2s_fuzz_engine_at_base(f->e)) {
				fprintf(stderr,
					"fuzz_diff: step %lu: a clean decline's undo left bytes off the base\n",
					f->step);
				abort();
			}
			check_undo(f);
			run_exit(f, s, exit, k, &res[k]);
			ran[k] = true;
		}
		if (ran[k]) {
			x2s_fuzz_engine_normalise(f->e);
			x2s_fuzz_engine_capture(f->e, k);
		}
		x2s_fuzz_engine_undo(f->e);
		if (self_check)
			check_undo(f);
	}
	run_exit(f, s, exit, nr_fns, &res[nr_fns]);
	if (trace) {
		struct kvm_vcpu *vcpu = f->vcpu[s];

		fprintf(stderr,
			"fuzz_diff: step %lu: vCPU %u exit %u (RCX %#llx RAX %#llx RDX %#llx after)\n",
			f->step, s, exit->reason,
			(unsigned long long)vcpu->arch.regs[VCPU_REGS_RCX],
			(unsigned long long)vcpu->arch.regs[VCPU_REGS_RAX],
			(unsigned long long)vcpu->arch.regs[VCPU_REGS_RDX]);
		for (unsigned int k = 0; k < nr_fns; k++)
			if (ran[k])
				print_result(fn_names[k], &res[k]);
		print_result("slow", &res[nr_fns]);
	}
	for (unsigned int k = 0; k < nr_fns; k++)
		if (ran[k] && (!same_result(&res[k], &res[nr_fns]) ||
			       !x2s_fuzz_engine_same(f->e, k)))
			report_mismatch(f, s, exit, k, res);
}

/* ---- model invariants ---- */

static void invariant_failed(struct fuzz_vm *f, unsigned int i, const char *fmt,
			     ...)
	__attribute__((format(printf, 3, 4), noreturn));

static void invariant_failed(struct fuzz_vm *f, unsigned int i, const char *fmt,
			     ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_diff: step %lu: vCPU %u: ", f->step, i);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* PPR as apic_update_ppr() derives it from TPR and the highest ISR bit. */
static u32 expected_ppr(struct kvm_lapic *apic)
{
	u32 tpr = kvm_lapic_get_reg(apic, APIC_TASKPRI) & 0xff;
	int isr = -1;

	for (int w = 7; w >= 0 && isr < 0; w--) {
		u32 bits = kvm_lapic_get_reg(apic, APIC_ISR + w * 0x10);

		if (bits)
			isr = w * 32 + 31 - __builtin_clz(bits);
	}
	if (isr < 0 || (tpr & 0xf0) >= ((u32)isr & 0xf0))
		return tpr;
	return (u32)isr & 0xf0;
}

/* KVM moves mp_state only along these edges (prev -> next bit). */
static const uint8_t mp_next[KVM_MP_STATE_SIPI_RECEIVED + 1] = {
	[KVM_MP_STATE_RUNNABLE] = 1 << KVM_MP_STATE_RUNNABLE |
				  1 << KVM_MP_STATE_HALTED |
				  1 << KVM_MP_STATE_INIT_RECEIVED,
	[KVM_MP_STATE_HALTED] = 1 << KVM_MP_STATE_HALTED |
				1 << KVM_MP_STATE_RUNNABLE |
				1 << KVM_MP_STATE_INIT_RECEIVED,
	/* INIT on the BSP makes it runnable, on an AP INIT_RECEIVED. */
	[KVM_MP_STATE_INIT_RECEIVED] =
		1 << KVM_MP_STATE_INIT_RECEIVED | 1 << KVM_MP_STATE_RUNNABLE,
	[KVM_MP_STATE_UNINITIALIZED] = 1 << KVM_MP_STATE_UNINITIALIZED |
				       1 << KVM_MP_STATE_INIT_RECEIVED |
				       1 << KVM_MP_STATE_RUNNABLE,
};

static void check_invariants(struct fuzz_vm *f)
{
	for (unsigned int i = 0; i < f->nr; i++) {
		struct kvm_vcpu *vcpu = f->vcpu[i];
		struct kvm_lapic *apic = vcpu->arch.apic;
		u32 mp = vcpu->arch.mp_state;
		u32 icr;

		if (mp > KVM_MP_STATE_SIPI_RECEIVED ||
		    !(mp_next[f->mp_state[i]] & (1u << mp)))
			invariant_failed(f, i, "mp_state %u -> %u",
					 f->mp_state[i], mp);
		f->mp_state[i] = mp;
		if (!apic)
			continue;
		/* With APICv the CPU keeps PPR; the page is not KVM's. */
		if (!apic->apicv_active &&
		    kvm_lapic_get_reg(apic, APIC_PROCPRI) != expected_ppr(apic))
			invariant_failed(f, i, "PPR %#x, TPR and ISR say %#x",
					 kvm_lapic_get_reg(apic, APIC_PROCPRI),
					 expected_ppr(apic));
		/*
		 * RDMSR 0x830 gives the ICR as the page holds it
		 * (kvm_x2apic_icr_read()), BUSY in the low half in either
		 * layout: read here, not through the model's instrumented
		 * MSR path, which every step would run the same way.
		 */
		icr = kvm_lapic_get_reg(apic, APIC_ICR);
		if ((vcpu->arch.apic_base & X2APIC_ENABLE) &&
		    (icr & APIC_ICR_BUSY))
			invariant_failed(f, i, "x2APIC ICR %#x reads BUSY",
					 icr);
	}
	x2s_warn_reset();
}

/* ---- operations ---- */

enum fuzz_op {
	OP_WRMSR_LAST = 4, /* 0..4: WRMSR exit */
	OP_RDMSR,
	OP_MMIO_WRITE_EXIT,
	OP_MMIO_READ_EXIT,
	OP_MMIO_WRITE,
	OP_EOI,
	OP_APIC_BASE,
	OP_ENTER,
	OP_HLT,
	OP_OTHER_EXIT,
	OP_RFLAGS,
	OP_HOST_MSR_WRITE,
};

/* Mostly the x2APIC ICR, then any x2APIC register, then anything. */
static uint32_t pick_msr(struct reader *r)
{
	static const uint32_t named[8] = {
		0x808, 0x80b, 0x80f, APIC_BASE_MSR_INDEX,
		0x83f, 0x802, 0x80d, 0x838,
	};
	uint8_t sel = get8(r);

	if (sel < 0x80)
		return 0x830;
	if (sel < 0xa0)
		return 0x800 + get8(r);
	if (sel < 0xb0)
		return named[sel & 7];
	return (uint32_t)get_le(r, 4);
}

static uint64_t apic_gpa(struct fuzz_vm *f, unsigned int v)
{
	return f->vcpu[v]->arch.apic_base & MSR_IA32_APICBASE_BASE;
}

static void load_regs(struct fuzz_vm *f, unsigned int v, uint32_t ecx,
		      uint64_t data)
{
	unsigned long *regs = f->vcpu[v]->arch.regs;

	/* What x2s_vcpu_set_gpr() does for these three. */
	regs[VCPU_REGS_RCX] = ecx;
	regs[VCPU_REGS_RAX] = (uint32_t)data;
	regs[VCPU_REGS_RDX] = data >> 32;
}

static void wrmsr_exit(struct fuzz_vm *f, unsigned int v, uint32_t ecx,
		       uint64_t data)
{
	static const struct x2s_exit wrmsr = {
		.reason = EXIT_REASON_MSR_WRITE,
		.insn_len = 2,
	};

	load_regs(f, v, ecx, data);
	diff_exit(f, v, &wrmsr);
}

static void mmio_exit(struct fuzz_vm *f, unsigned int v, bool write,
		      uint32_t offset, uint32_t data)
{
	struct x2s_exit e = {
		.reason = EXIT_REASON_APIC_ACCESS,
		/* bits 11:0 offset, 15:12 access type (0 read, 1 write) */
		.qualification = offset | (write ? 1u << 12 : 0),
		.insn_len = 3,
		.mmio_data = data,
		.mmio_len = 4,
	};

	diff_exit(f, v, &e);
}

static void apic_base_op(struct fuzz_vm *f, struct reader *r, unsigned int v)
{
	static const uint64_t modes[4] = {
		MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE,
		MSR_IA32_APICBASE_ENABLE, 0,
		X2APIC_ENABLE, /* invalid: EXTD without EN */
	};
	uint8_t b = get8(r);
	uint64_t val = modes[b & 3] | (b & 4 ? MSR_IA32_APICBASE_BSP : 0);

	val |= b & 8 ? get_le(r, 4) << 12 : APIC_DEFAULT_GPA;
	if (b & 0x10)
		x2s_msr_write(f->vm, v, APIC_BASE_MSR_INDEX, val, true);
	else
		wrmsr_exit(f, v, APIC_BASE_MSR_INDEX, val);
}

static void other_exit(struct fuzz_vm *f, struct reader *r, unsigned int v)
{
	static const uint32_t reasons[4] = {
		EXIT_REASON_EXTERNAL_INTERRUPT,
		EXIT_REASON_INTERRUPT_WINDOW,
		EXIT_REASON_NMI_WINDOW,
		EXIT_REASON_PREEMPTION_TIMER,
	};
	uint8_t b = get8(r);
	struct x2s_exit e = {
		.reason = reasons[b & 3],
	};

	if (e.reason == EXIT_REASON_EXTERNAL_INTERRUPT)
		e.intr_info = 0x80000000u | get8(r);
	diff_exit(f, v, &e);
}

static void run_op(struct fuzz_vm *f, struct reader *r)
{
	uint8_t op = get8(r);
	unsigned int v = (op >> 4) % f->nr, kind = op & 15;
	bool runs = f->vcpu[v]->arch.mp_state == KVM_MP_STATE_RUNNABLE;
	struct x2s_exit_result res;
	uint32_t ecx;
	uint64_t data;

	/*
	 * Only a running vCPU exits or touches its APIC; for a blocked
	 * one the step is the next attempt to enter, as in vcpu_run().
	 */
	if (!runs && kind != OP_HOST_MSR_WRITE && kind != OP_RFLAGS)
		kind = OP_ENTER;
	if (trace)
		fprintf(stderr, "fuzz_diff: step %lu: vCPU %u op %u\n", f->step,
			v, kind);

	switch (kind) {
	case OP_RDMSR: {
		static const struct x2s_exit rdmsr = {
			.reason = EXIT_REASON_MSR_READ,
			.insn_len = 2,
		};
		load_regs(f, v, pick_msr(r), 0);
		diff_exit(f, v, &rdmsr);
		break;
	}
	case OP_MMIO_WRITE_EXIT:
	case OP_MMIO_READ_EXIT:
		ecx = (uint32_t)(get8(r) << 4);
		mmio_exit(f, v, kind == OP_MMIO_WRITE_EXIT, ecx,
			  (uint32_t)get_le(r, 4));
		break;
	case OP_MMIO_WRITE:
		ecx = (uint32_t)(get8(r) << 4);
		x2s_mmio_write(f->vm, v, apic_gpa(f, v) + ecx, 4,
			       (uint32_t)get_le(r, 4));
		break;
	case OP_EOI:
		if (f->vcpu[v]->arch.apic_base & X2APIC_ENABLE)
			wrmsr_exit(f, v, 0x80b, 0);
		else
			mmio_exit(f, v, true, APIC_EOI, 0);
		break;
	case OP_APIC_BASE:
		apic_base_op(f, r, v);
		break;
	case OP_ENTER:
		x2s_vcpu_enter(f->vm, v, &res);
		break;
	case OP_HLT: {
		static const struct x2s_exit hlt = {
			.reason = EXIT_REASON_HLT,
			.insn_len = 1,
		};
		diff_exit(f, v, &hlt);
		break;
	}
	case OP_OTHER_EXIT:
		other_exit(f, r, v);
		break;
	case OP_RFLAGS:
		data = get8(r);
		x2s_vcpu_set_gpr(f->vm, v, X2S_REG_RFLAGS,
				 X86_EFLAGS_FIXED |
					 (data & 1 ? X86_EFLAGS_IF : 0) |
					 (data & 2 ? X86_EFLAGS_TF : 0));
		break;
	case OP_HOST_MSR_WRITE:
		ecx = 0x800 + get8(r);
		x2s_msr_write(f->vm, v, ecx, get_le(r, 8), true);
		break;
	default:
		ecx = pick_msr(r);
		wrmsr_exit(f, v, ecx, get_le(r, 8));
		break;
	}
	check_warn(f, "operation");
}

static struct fuzz_vm fvm;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	uint8_t key[FUZZ_KEY_LEN];
	struct x2s_vm_desc d;
	struct fuzz_vm *f = &fvm;
	unsigned long trips;

	if (!configured) {
		const char *chk = getenv("X2SIM_FUZZ_CHECK");
		const char *st = getenv("X2SIM_FUZZ_STRICT");
		const char *tr = getenv("X2SIM_FUZZ_TRACE");

		self_check = chk && *chk && *chk != '0';
		strict = st && *st && *st != '0';
		trace = tr && *tr && *tr != '0';
		select_fastpaths();
		configured = true;
	}
	decode_config(&r, &d, key);
	f->e = get_engine(&d, key, &trips);
	f->vm = x2s_fuzz_engine_vm(f->e);
	f->kvm = x2s_vm_kvm(f->vm);
	f->nr = d.nr_vcpus;
	f->step = 0;
	for (unsigned int i = 0; i < f->nr; i++) {
		f->vcpu[i] = x2s_vm_vcpu(f->vm, i);
		f->mp_state[i] = f->vcpu[i]->arch.mp_state;
	}
	x2s_warn_reset();
	check_invariants(f);
	while (r.n && f->step < FUZZ_MAX_OPS) {
		f->step++;
		run_op(f, &r);
		check_invariants(f);
	}
	x2s_warn_reset();
	/*
	 * The shipped variants write neither page tails nor bitmaps: a trip
	 * of the cold guard is the engine's own write (a retarget's setup
	 * that missed the second mapping), each a fault and the guard
	 * lowered until the next rebase.  Plugins may well write there.
	 */
	if (self_check && !plugins &&
	    x2s_fuzz_engine_stats(f->e)->cold_trips != trips) {
		fprintf(stderr,
			"fuzz_diff: the engine's cold guard tripped without a plugin\n");
		abort();
	}
	return 0;
}
