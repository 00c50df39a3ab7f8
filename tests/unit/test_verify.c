// SPDX-License-Identifier: GPL-2.0-only
/*
 * The differential engine: enumeration counts, shards, determinism,
 * broken fastpaths caught with their minimal counterexample, the shipped
 * variants' verdicts, and every saved counterexample replayed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "fastpath/fastpath.h"
#include "verify/engine.h"
#include "verify/verify.h"
#include "vmx/vmx.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

static const struct x2s_vm_desc *named(const char *name)
{
	const struct x2s_vm_desc *d = x2s_named_config_find(name);

	assert_non_null(d);
	return d;
}

static void opts_init(struct x2s_sweep_opts *o, struct x2s_vm_desc *cfgs,
		      unsigned int n, const struct x2s_fastpath *fn)
{
	memset(o, 0, sizeof(*o));
	o->configs = cfgs;
	o->nr_configs = n;
	o->sweep = X2S_SWEEP_ICR;
	o->fn = fn;
	o->threads = 1;
	o->shard = o->nr_shards = 1;
}

static unsigned int all_named(struct x2s_vm_desc *cfgs)
{
	unsigned int n = x2s_named_config_count();

	for (unsigned int i = 0; i < n; i++)
		cfgs[i] = *x2s_named_config(i);
	return n;
}

/* ---- enumeration ---- */

static void test_enumeration_counts(void **state)
{
	struct x2s_vm_desc cfgs[32];
	struct x2s_sweep_opts o;
	unsigned int n = all_named(cfgs);
	u64 full, reduced, msr, exits;

	opts_init(&o, cfgs, n, NULL);
	full = x2s_sweep_count(&o);
	o.reduced = true;
	reduced = x2s_sweep_count(&o);
	o.reduced = false;
	o.sweep = X2S_SWEEP_MSR;
	msr = x2s_sweep_count(&o);
	o.sweep = X2S_SWEEP_EXITS;
	exits = x2s_sweep_count(&o);
	o.sweep = X2S_SWEEP_ALL;
	print_message("named set: %u configurations; icr sweep %llu cases, "
		      "reduced %llu, msr sweep %llu, exits sweep %llu\n",
		      n, (unsigned long long)full, (unsigned long long)reduced,
		      (unsigned long long)msr, (unsigned long long)exits);
	/*
	 * Per (configuration, sender, destination class): 2^20 ICR[19:0]
	 * values and 12 reserved bits, or 4096 x 4 reduced values.
	 */
	assert_int_equal(full % ((1u << 20) + 12), 0);
	assert_int_equal(reduced % 16384, 0);
	assert_int_equal(full / ((1u << 20) + 12), reduced / 16384);
	assert_int_equal(full, 661659028ULL);
	assert_int_equal(msr, 1ULL << 32);
	/*
	 * Per (configuration, sender, destination class): RDMSR over the
	 * 256 x2APIC MSRs and the TSC deadline, WRMSR over the same but the
	 * ICR, their immediate forms with two registers each, 7 exits
	 * without operands, CPUID, IN and OUT, 64 APIC reads and 64 writes;
	 * WRMSRNS-immediate to the ICR over the 16,384 reduced values and
	 * 12 reserved bits from two registers.
	 */
	assert_int_equal(exits % 18085, 0);
	assert_int_equal(exits / 18085, full / ((1u << 20) + 12));
	assert_int_equal(x2s_sweep_count(&o), full + msr + exits);

	/*
	 * One 1-vCPU configuration: 1 sender x 11 destination classes (ID 0,
	 * absent 1, above the maximum 0x100, 0xff, 0xffff, logical masks
	 * 0x3, 0x6, 0xc, 0x8000, cluster 1 0x10001, 0xffffffff).
	 */
	opts_init(&o, (struct x2s_vm_desc *)named("x2apic-1"), 1, NULL);
	assert_int_equal(x2s_sweep_count(&o), 11ULL * ((1u << 20) + 12));
}

/*
 * The sweep makes each case from the one before (x2s_unit_case_next()):
 * every unit of every kind, reduced and whole, gives the inputs
 * x2s_unit_case() gives.  Big units are looked at in strides.
 */
static void test_next_case_is_the_case(void **state)
{
	struct x2s_vm_desc cfgs[32];
	struct x2s_sweep_opts o;
	unsigned int n = all_named(cfgs);
	struct x2s_input next, whole;
	struct x2s_plan p;

	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		opts_init(&o, cfgs, n, NULL);
		o.sweep = X2S_SWEEP_ALL;
		o.reduced = k;
		o.nr_shards = 97;
		assert_int_equal(x2s_plan_build(&o, &p), 0);
		assert_true(p.nr > 0);
		for (size_t i = 0; i < p.nr; i++) {
			const struct x2s_unit *u = &p.units[i];
			u64 size = x2s_unit_size(u);
			u64 step = size > 4096 ? size / 1024 + 1 : 1;

			memset(&next, 0xa5, sizeof(next));
			for (u64 j = 0; j < size; j += j < 300 ? 1 : step) {
				x2s_unit_case_next(u, j, &next);
				memset(&whole, 0x5a, sizeof(whole));
				x2s_unit_case(u, j, &whole);
				assert_memory_equal(&next, &whole,
						    sizeof(next));
			}
		}
		x2s_plan_free(&p);
	}
}

static void test_bad_options_are_rejected(void **state)
{
	struct x2s_vm_desc cfg = *named("x2apic-2");
	struct x2s_sweep_report r;
	struct x2s_sweep_opts o;

	opts_init(&o, &cfg, 1, NULL);
	o.threads = 0;
	assert_int_equal(x2s_sweep_count(&o), 0);
	assert_int_equal(x2s_sweep_run(&o, &r), -EINVAL);
	opts_init(&o, &cfg, 1, NULL);
	o.shard = 3;
	o.nr_shards = 2;
	assert_int_equal(x2s_sweep_run(&o, &r), -EINVAL);
	opts_init(&o, &cfg, 1, NULL);
	o.sweep = 0;
	assert_int_equal(x2s_sweep_run(&o, &r), -EINVAL);
	opts_init(&o, &cfg, 0, NULL);
	assert_int_equal(x2s_sweep_run(&o, &r), -EINVAL);
	cfg.nr_vcpus = 0;
	opts_init(&o, &cfg, 1, NULL);
	assert_int_equal(x2s_sweep_run(&o, &r), -EINVAL);
}

struct case_list {
	struct x2s_case_key {
		u32 config, sender, ecx, exit_reg;
		u64 data;
	} * keys;
	size_t nr, cap;
};

static void collect(void *opaque, unsigned int config, const struct x2s_case *c)
{
	struct case_list *l = opaque;

	if (l->nr == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4096;
		l->keys = realloc(l->keys, l->cap * sizeof(*l->keys));
		assert_non_null(l->keys);
	}
	l->keys[l->nr++] =
		(struct x2s_case_key){ config, c->sender, c->ecx,
				       (u32)c->exit << 8 | c->reg, c->data };
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct x2s_case_key *a = pa, *b = pb;

	if (a->config != b->config)
		return a->config < b->config ? -1 : 1;
	if (a->sender != b->sender)
		return a->sender < b->sender ? -1 : 1;
	if (a->ecx != b->ecx)
		return a->ecx < b->ecx ? -1 : 1;
	if (a->exit_reg != b->exit_reg)
		return a->exit_reg < b->exit_reg ? -1 : 1;
	if (a->data != b->data)
		return a->data < b->data ? -1 : 1;
	return 0;
}

static void test_shard_union_is_the_full_sweep(void **state)
{
	struct x2s_vm_desc cfgs[2] = { *named("x2apic-2"),
				       *named("mixed-modes") };
	struct case_list full = { 0 }, shards = { 0 };
	struct x2s_sweep_opts o;
	const unsigned int n = 3;

	opts_init(&o, cfgs, 2, NULL);
	o.reduced = true;
	o.sweep = X2S_SWEEP_ICR | X2S_SWEEP_EXITS;
	assert_ok(x2s_sweep_enumerate(&o, collect, &full));
	assert_int_equal(full.nr, x2s_sweep_count(&o));
	for (unsigned int k = 1; k <= n; k++) {
		size_t before = shards.nr;

		o.shard = k;
		o.nr_shards = n;
		assert_ok(x2s_sweep_enumerate(&o, collect, &shards));
		assert_int_equal(shards.nr - before, x2s_sweep_count(&o));
		assert_true(shards.nr - before > 0);
	}
	assert_int_equal(shards.nr, full.nr);
	qsort(full.keys, full.nr, sizeof(*full.keys), key_cmp);
	qsort(shards.keys, shards.nr, sizeof(*shards.keys), key_cmp);
	assert_memory_equal(full.keys, shards.keys,
			    full.nr * sizeof(*full.keys));
	/* No case twice. */
	for (size_t i = 1; i < full.nr; i++)
		assert_int_not_equal(key_cmp(&full.keys[i - 1], &full.keys[i]),
				     0);
	free(full.keys);
	free(shards.keys);
}

/* ---- broken fastpaths written here: each must be caught ---- */

static bool take_icr(struct kvm_vcpu *vcpu, u64 *data)
{
	if (vmx_get_exit_reason(vcpu).basic != EXIT_REASON_MSR_WRITE ||
	    is_guest_mode(vcpu) ||
	    kvm_rcx_read(vcpu) != APIC_BASE_MSR + (APIC_ICR >> 4) ||
	    !lapic_in_kernel(vcpu) || !apic_x2apic_mode(vcpu->arch.apic))
		return false;
	*data = kvm_read_edx_eax(vcpu);
	return true;
}

static fastpath_t finish(struct kvm_vcpu *vcpu)
{
	return kvm_skip_emulated_instruction(vcpu) ?
		       EXIT_FASTPATH_REENTER_GUEST :
		       EXIT_FASTPATH_EXIT_USERSPACE;
}

/* Delivers to the next x2APIC ID. */
static fastpath_t fp_wrong_vcpu(struct kvm_vcpu *vcpu)
{
	u64 data;

	if (!take_icr(vcpu, &data) ||
	    kvm_x2apic_icr_write(vcpu->arch.apic, data + (1ULL << 32)))
		return EXIT_FASTPATH_NONE;
	return finish(vcpu);
}

/* Stores the ICR with BUSY still set. */
static fastpath_t fp_keeps_busy(struct kvm_vcpu *vcpu)
{
	u64 data;

	if (!take_icr(vcpu, &data) ||
	    kvm_x2apic_icr_write(vcpu->arch.apic, data))
		return EXIT_FASTPATH_NONE;
	kvm_lapic_set_reg64(vcpu->arch.apic, APIC_ICR, data);
	return finish(vcpu);
}

/* Sends whatever it is given: no reserved-bit check. */
static fastpath_t fp_forgets_reserved_bits(struct kvm_vcpu *vcpu)
{
	u64 data;

	if (!take_icr(vcpu, &data))
		return EXIT_FASTPATH_NONE;
	data &= ~(u64)APIC_ICR_BUSY;
	kvm_apic_send_ipi(vcpu->arch.apic, (u32)data, (u32)(data >> 32));
	kvm_lapic_set_reg64(vcpu->arch.apic, APIC_ICR, data);
	return finish(vcpu);
}

/* Returns NONE after delivering: the slow path then sends it again. */
static fastpath_t fp_dirty_decline(struct kvm_vcpu *vcpu)
{
	u64 data;

	if (!take_icr(vcpu, &data))
		return EXIT_FASTPATH_NONE;
	kvm_x2apic_icr_write(vcpu->arch.apic, data);
	return EXIT_FASTPATH_NONE;
}

/*
 * Declines every MSR write but one ECX deep inside an MSR-sweep unit,
 * where it sets a bit of another vCPU's IRR by hand before declining; and
 * one ECX later, where it clears the bit again (so the unit's end finds
 * nothing).  The sweep runs a unit's clean declines in one go.
 */
#define SLEEPER_MSR 0x4b5a1234u
static fastpath_t fp_msr_sleeper(struct kvm_vcpu *vcpu)
{
	u32 ecx = (u32)kvm_rcx_read(vcpu);
	struct kvm_vcpu *other = vcpu->kvm->vcpus[1];
	u8 *irr = (u8 *)other->arch.apic->regs + APIC_IRR + 0x10;

	if (ecx == SLEEPER_MSR)
		*irr |= 0x40;
	if (ecx == SLEEPER_MSR + 7)
		*irr &= ~0x40;
	return EXIT_FASTPATH_NONE;
}

/* Delivers the IPI, then leaves L1 in VMX root operation (as if VMXON). */
static fastpath_t fp_enters_vmx_root(struct kvm_vcpu *vcpu)
{
	u64 data;

	if (!take_icr(vcpu, &data) ||
	    kvm_x2apic_icr_write(vcpu->arch.apic, data))
		return EXIT_FASTPATH_NONE;
	to_vmx(vcpu)->nested.vmxon = true;
	return finish(vcpu);
}

static void run_sweep(const struct x2s_fastpath *fn, struct x2s_vm_desc *cfgs,
		      unsigned int n, struct x2s_sweep_report *r)
{
	struct x2s_sweep_opts o;

	opts_init(&o, cfgs, n, fn);
	o.reduced = true;
	o.threads = 2;
	assert_ok(x2s_sweep_run(&o, r));
}

/* The first finding of the sweep must be this case and this signature. */
static void expect_minimal(fastpath_t (*entry)(struct kvm_vcpu *vcpu),
			   enum x2s_verdict verdict, const char *config,
			   u64 data, const char *differs)
{
	const struct x2s_fastpath fp = {
		.name = "test",
		.entry = X2S_FASTPATH_EXIT_HANDLERS,
		.exit_handlers = entry,
		.kvm_version = X2SIM_KVM_VERSION_MAINLINE,
	};
	const struct x2s_fastpath *fn = &fp;
	struct x2s_vm_desc cfgs[2] = { *named("x2apic-1"), *named("x2apic-2") };
	struct x2s_sweep_report r;
	const struct x2s_finding *best = NULL;
	char sig[200];

	run_sweep(fn, cfgs, 2, &r);
	assert_true(r.mismatches > 0);
	assert_true(r.nr_findings > 0);
	/* The smallest counterexample over every class. */
	for (unsigned int i = 0; i < r.nr_findings; i++) {
		const struct x2s_finding *f = &r.findings[i];

		if (!best ||
		    f->example.config.nr_vcpus <
			    best->example.config.nr_vcpus ||
		    (f->example.config.nr_vcpus ==
			     best->example.config.nr_vcpus &&
		     (__builtin_popcountll(f->example.data) <
			      __builtin_popcountll(best->example.data) ||
		      (__builtin_popcountll(f->example.data) ==
			       __builtin_popcountll(best->example.data) &&
		       f->example.data < best->example.data))))
			best = f;
	}
	x2s_signature_format(best->signature, sig, sizeof(sig));
	print_message("minimal: %s %s sender %u data 0x%llx: %s\n",
		      x2s_verdict_name(best->verdict),
		      best->example.config.name, best->example.sender,
		      (unsigned long long)best->example.data, sig);
	assert_int_equal(best->verdict, verdict);
	assert_string_equal(best->example.config.name, config);
	assert_int_equal(best->example.sender, 0);
	assert_int_equal(best->example.ecx, 0x830);
	assert_int_equal(best->example.data, data);
	assert_string_equal(sig, differs);
	x2s_sweep_report_free(&r);
}

static void test_wrong_vcpu_is_caught(void **state)
{
	/* Vector 0 to itself goes to the absent ID 1 instead. */
	expect_minimal(fp_wrong_vcpu, X2S_VERDICT_MISMATCH, "x2apic-1", 0,
		       "sender: IRR,ICR");
}

static void test_kept_busy_is_caught(void **state)
{
	expect_minimal(fp_keeps_busy, X2S_VERDICT_MISMATCH, "x2apic-1",
		       APIC_ICR_BUSY, "sender: ICR");
}

static void test_forgotten_reserved_bits_are_caught(void **state)
{
	/* Bit 13: the slow path injects #GP and sends nothing. */
	expect_minimal(fp_forgets_reserved_bits, X2S_VERDICT_MISMATCH,
		       "x2apic-1", 1u << 13,
		       "sender: RIP,RFLAGS,exception,injection,IRR,ICR");
}

static void test_decline_after_changing_state_is_caught(void **state)
{
	/* The self-IPI's KVM_REQ_EVENT and IRR bit, before the slow path. */
	expect_minimal(fp_dirty_decline, X2S_VERDICT_DIRTY_NONE, "x2apic-1", 0,
		       "sender: requests,IRR");
}

static void test_vmxon_alone_is_caught(void **state)
{
	/* Nothing but VMX operation differs: it counts with the nested exit. */
	expect_minimal(fp_enters_vmx_root, X2S_VERDICT_MISMATCH, "x2apic-1", 0,
		       "sender: nested");
}

/*
 * The MSR sweep's unit holding SLEEPER_MSR: a clean decline before and
 * after it, the write there caught and charged to that ECX alone (the
 * unit is run again case by case: the later case put the bit back).
 */
static void test_msr_sleeper_is_caught(void **state)
{
	const struct x2s_fastpath fp = {
		.name = "sleeper",
		.entry = X2S_FASTPATH_EXIT_HANDLERS,
		.exit_handlers = fp_msr_sleeper,
		.kvm_version = X2SIM_KVM_VERSION_MAINLINE,
	};
	struct x2s_vm_desc cfg = *named("x2apic-2");
	struct x2s_sweep_opts o;
	struct x2s_sweep_report r;

	(void)state;
	opts_init(&o, &cfg, 1, &fp);
	o.sweep = X2S_SWEEP_MSR;
	o.nr_shards = 4096; /* the MSR sweep's units: 2^20 ECX values each */
	o.shard = (SLEEPER_MSR >> 20) + 1;
	assert_ok(x2s_sweep_run(&o, &r));
	assert_int_equal(r.cases, 1u << 20);
	assert_int_equal(r.mismatches, 1);
	assert_int_equal(r.dirty_none, 1);
	assert_int_equal(r.nr_findings, 1);
	assert_int_equal(r.findings[0].example.ecx, SLEEPER_MSR);
	x2s_sweep_report_free(&r);
}

/* ---- the shipped variants ---- */

/*
 * Under ThreadSanitizer (check-tsan, which looks for races in the threaded
 * sweep, not for findings) a cross-section of the named set: the whole
 * set takes most of the test's time limit there.
 */
static unsigned int reduced_sweep_configs(struct x2s_vm_desc *cfgs)
{
	static const char *const some[] = { "x2apic-2",	    "mixed-modes",
					    "l2-intercept", "apicv",
					    "timers",	    "hlt-pending" };

	if (!UNDER_TSAN)
		return all_named(cfgs);
	for (unsigned int i = 0; i < ARRAY_LEN(some); i++)
		cfgs[i] = *named(some[i]);
	return ARRAY_LEN(some);
}

static void test_upstream_and_single_target_match_on_reduced_sweep(void **state)
{
	static const char *const names[] = { "upstream", "single-target" };
	struct x2s_vm_desc cfgs[32];
	unsigned int n = reduced_sweep_configs(cfgs);

	for (unsigned int i = 0; i < 2; i++) {
		struct x2s_sweep_report r;

		run_sweep(x2s_fastpath_find(names[i])->fn, cfgs, n, &r);
		print_message("%s: %llu cases, %llu handled, %llu mismatches\n",
			      names[i], (unsigned long long)r.cases,
			      (unsigned long long)r.handled,
			      (unsigned long long)r.mismatches);
		assert_true(r.handled > 0);
		assert_int_equal(r.mismatches, 0);
		assert_int_equal(r.nr_findings, 0);
		assert_int_equal(r.cases, r.handled + r.declined);
		x2s_sweep_report_free(&r);
	}
}

static bool has_finding(const struct x2s_sweep_report *r,
			enum x2s_verdict verdict, const char *config,
			u64 sig_bits)
{
	for (unsigned int i = 0; i < r->nr_findings; i++) {
		const struct x2s_finding *f = &r->findings[i];

		if (f->verdict == verdict &&
		    !strcmp(f->example.config.name, config) &&
		    (f->signature & sig_bits) == sig_bits)
			return true;
	}
	return false;
}

static void test_historical_variants_are_caught(void **state)
{
	struct x2s_vm_desc cfgs[2] = { *named("x2apic-2"),
				       *named("singlestep") };
	struct x2s_sweep_report r;

	/* Both write the ICR through the xAPIC path: KVM WARNs. */
	run_sweep(x2s_fastpath_find("v1-posted")->fn, cfgs, 2, &r);
	assert_true(r.warns > 0);
	/*
	 * Single-step: the skip said "exit to userspace", v1 then returns
	 * NONE after delivering, and the slow path runs it all again.
	 */
	assert_true(r.dirty_none > 0);
	assert_true(has_finding(&r, X2S_VERDICT_DIRTY_NONE, "singlestep",
				1ULL << 11 /* SIG_IRR of the sender */));
	x2s_sweep_report_free(&r);

	/*
	 * v5.6 ignores the skip's answer: back into the guest where the
	 * slow path exits to userspace with KVM_EXIT_DEBUG.
	 */
	run_sweep(x2s_fastpath_find("v5.6-merged")->fn, cfgs, 2, &r);
	assert_true(r.warns > 0);
	assert_int_equal(r.dirty_none, 0);
	assert_true(has_finding(&r, X2S_VERDICT_MISMATCH, "singlestep",
				1ULL << 9 /* SIG_USERSPACE of the sender */));
	x2s_sweep_report_free(&r);
}

static void test_v1_posted_takes_aliased_msr_index(void **state)
{
	struct x2s_case c = { .config = *named("x2apic-2"),
			      .sender = 0,
			      .ecx = 0x10000830,
			      .data = (1ULL << 32) | 0x31 };
	struct x2s_case_result res;

	assert_ok(x2s_verify_case(&c, x2s_fastpath_find("v1-posted")->fn,
				  X2S_CONTRACT_NONE, &res, NULL, NULL, NULL));
	/* The slow path #GPs: 0x10000830 is no MSR. */
	assert_int_not_equal(res.verdict, X2S_VERDICT_DECLINED);
	assert_int_not_equal(res.verdict, X2S_VERDICT_EQUAL);
	assert_ok(x2s_verify_case(&c, x2s_fastpath_find("upstream")->fn,
				  X2S_CONTRACT_NONE, &res, NULL, NULL, NULL));
	assert_int_equal(res.verdict, X2S_VERDICT_DECLINED);
}

static void test_single_target_contract(void **state)
{
	struct x2s_vm_desc cfg = *named("x2apic-4");
	struct x2s_sweep_opts o;
	struct x2s_sweep_report r;

	/* upstream takes broadcasts to logical clusters etc.: violations. */
	opts_init(&o, &cfg, 1, x2s_fastpath_find("upstream")->fn);
	o.reduced = true;
	o.contract = X2S_CONTRACT_SINGLE_TARGET;
	assert_ok(x2s_sweep_run(&o, &r));
	assert_true(r.violations > 0);
	assert_int_equal(r.mismatches, 0);
	assert_true(r.nr_findings > 0 && r.findings[0].violation);
	x2s_sweep_report_free(&r);

	/*
	 * single-target takes only physical fixed IPIs without shorthand;
	 * its violations are the sends to an ID nobody has: zero targets.
	 */
	o.fn = x2s_fastpath_find("single-target")->fn;
	assert_ok(x2s_sweep_run(&o, &r));
	assert_true(r.violations > 0);
	for (unsigned int i = 0; i < r.nr_findings; i++) {
		assert_true(r.findings[i].violation);
		assert_int_equal(r.findings[i].targets, 0);
		assert_int_equal(r.findings[i].delivery_mode, 0);
		assert_int_equal(r.findings[i].shorthand, 0);
		assert_int_equal(r.findings[i].logical, 0);
	}
	x2s_sweep_report_free(&r);
}

static void test_threads_do_not_change_the_report(void **state)
{
	struct x2s_vm_desc cfgs[3] = { *named("x2apic-2"), *named("singlestep"),
				       *named("mixed-modes") };
	struct x2s_sweep_opts o;
	struct x2s_sweep_report a, b;

	opts_init(&o, cfgs, 3, x2s_fastpath_find("v5.6-merged")->fn);
	o.reduced = true;
	assert_ok(x2s_sweep_run(&o, &a));
	o.threads = 2;
	assert_ok(x2s_sweep_run(&o, &b));
	assert_int_equal(a.cases, b.cases);
	assert_int_equal(a.handled, b.handled);
	assert_int_equal(a.mismatches, b.mismatches);
	assert_memory_equal(a.profile, b.profile, sizeof(a.profile));
	assert_int_equal(a.nr_findings, b.nr_findings);
	assert_memory_equal(a.findings, b.findings,
			    a.nr_findings * sizeof(*a.findings));
	x2s_sweep_report_free(&a);
	x2s_sweep_report_free(&b);
}

/*
 * The write guard and how the sweep steers cases between its two engines
 * (the table kept across the units of a sender, the runs of declines)
 * change only the speed: every count, the acceptance profile and every
 * finding are those of the sweep without the guard.  Two configurations
 * of the ICR sweep, every 64th unit (a sender's units seen in turn),
 * with a fastpath that mismatches and one that does not.
 */
static void test_guard_does_not_change_the_report(void **state)
{
	static const char *const fps[] = { "v1-posted", "upstream" };
	struct x2s_vm_desc cfgs[2] = { *named("x2apic-2"),
				       *named("mixed-modes") };
	struct x2s_sweep_opts o;
	struct x2s_sweep_report a, b;

	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(fps); f++) {
		opts_init(&o, cfgs, 2, x2s_fastpath_find(fps[f])->fn);
		o.nr_shards = 64;
		o.shard = 3;
		assert_ok(x2s_sweep_run(&o, &a));
		assert_int_equal(setenv("X2SIM_GUARD", "0", 1), 0);
		assert_ok(x2s_sweep_run(&o, &b));
		assert_int_equal(unsetenv("X2SIM_GUARD"), 0);
		assert_true(a.cases > 0 && a.handled > 0);
		assert_int_equal(a.cases, b.cases);
		assert_int_equal(a.handled, b.handled);
		assert_int_equal(a.declined, b.declined);
		assert_int_equal(a.mismatches, b.mismatches);
		assert_memory_equal(a.total, b.total, sizeof(a.total));
		assert_memory_equal(a.profile, b.profile, sizeof(a.profile));
		assert_memory_equal(a.exit_cases, b.exit_cases,
				    sizeof(a.exit_cases));
		assert_int_equal(a.nr_findings, b.nr_findings);
		assert_memory_equal(a.findings, b.findings,
				    a.nr_findings * sizeof(*a.findings));
		x2s_sweep_report_free(&a);
		x2s_sweep_report_free(&b);
	}
}

/* ---- saved counterexamples ---- */

/* tests/cases/, next to this file's directory. */
static void cases_dir(char *buf, size_t len)
{
	const char *file = __FILE__;
	const char *slash = strrchr(file, '/');
	int n = slash ? (int)(slash - file) : 0;

	snprintf(buf, len, "%.*s%s../cases", n, file, n ? "/" : "");
}

static void test_saved_counterexamples_replay(void **state)
{
	char dir[4096], path[8192], err[512];
	unsigned int replayed = 0;
	struct dirent *de;
	DIR *d;

	cases_dir(dir, sizeof(dir));
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		const struct x2s_fastpath_variant *v;
		struct x2s_case_result res;
		struct x2s_case c;
		size_t l = strlen(de->d_name);

		if (l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (x2s_case_load(path, &c, err, sizeof(err)))
			fail_msg("%s", err);
		v = x2s_fastpath_find(c.fastpath);
		if (!v)
			fail_msg("%s: unknown fastpath '%s'", path, c.fastpath);
		assert_ok(x2s_verify_case(&c, v->fn, X2S_CONTRACT_NONE, &res,
					  NULL, NULL, NULL));
		if (res.verdict == X2S_VERDICT_DECLINED ||
		    res.verdict == X2S_VERDICT_EQUAL)
			fail_msg("%s no longer mismatches (%s)", path,
				 x2s_verdict_name(res.verdict));
		replayed++;
	}
	closedir(d);
	print_message("replayed %u saved counterexamples\n", replayed);
	assert_true(replayed >= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enumeration_counts),
		cmocka_unit_test(test_next_case_is_the_case),
		cmocka_unit_test(test_bad_options_are_rejected),
		cmocka_unit_test(test_shard_union_is_the_full_sweep),
		cmocka_unit_test(test_wrong_vcpu_is_caught),
		cmocka_unit_test(test_kept_busy_is_caught),
		cmocka_unit_test(test_forgotten_reserved_bits_are_caught),
		cmocka_unit_test(test_decline_after_changing_state_is_caught),
		cmocka_unit_test(test_vmxon_alone_is_caught),
		cmocka_unit_test(test_msr_sleeper_is_caught),
		cmocka_unit_test(
			test_upstream_and_single_target_match_on_reduced_sweep),
		cmocka_unit_test(test_historical_variants_are_caught),
		cmocka_unit_test(test_v1_posted_takes_aliased_msr_index),
		cmocka_unit_test(test_single_target_contract),
		cmocka_unit_test(test_threads_do_not_change_the_report),
		cmocka_unit_test(test_guard_does_not_change_the_report),
		cmocka_unit_test(test_saved_counterexamples_replay),
	};

	return cmocka_run_group_tests_name("verify", tests, NULL, NULL);
}
