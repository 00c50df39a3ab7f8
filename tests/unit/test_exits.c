// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every exit the model handles, as a case (enum x2s_case_exit) and as
 * the exits sweep: names and case files round-trip, each exit runs both
 * ways under the upstream fastpath without a difference, and fastpaths
 * that confuse one exit for another -- the exit-code confusion of the
 * 2020 SVM fastpath bug, and its cousins -- are caught by the exits sweep
 * (which the ICR sweep alone cannot do), each finding replaying as a
 * single case.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "fastpath/fastpath.h"
#include "verify/verify.h"

#define ICR_MSR (APIC_BASE_MSR + (APIC_ICR >> 4))

static const struct x2s_vm_desc *named(const char *name)
{
	const struct x2s_vm_desc *d = x2s_named_config_find(name);

	assert_non_null(d);
	return d;
}

static const struct x2s_fastpath *variant(const char *name)
{
	const struct x2s_fastpath_variant *v = x2s_fastpath_find(name);

	assert_non_null(v);
	return v->fn;
}

static fastpath_t send_and_skip(struct kvm_vcpu *vcpu, u64 data)
{
	if (kvm_x2apic_icr_write_fast(vcpu->arch.apic, data))
		return EXIT_FASTPATH_NONE;
	if (!kvm_skip_emulated_instruction(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;
	return EXIT_FASTPATH_REENTER_GUEST;
}

static bool x2apic_l1(struct kvm_vcpu *vcpu)
{
	return !is_guest_mode(vcpu) && lapic_in_kernel(vcpu) &&
	       apic_x2apic_mode(vcpu->arch.apic);
}

/* RDMSR(ICR) taken as WRMSR(ICR): the reason's read/write bit ignored. */
static fastpath_t rdmsr_as_icr(struct kvm_vcpu *vcpu)
{
	u32 r = vmx_get_exit_reason(vcpu).basic;

	if ((r != EXIT_REASON_MSR_WRITE && r != EXIT_REASON_MSR_READ) ||
	    !x2apic_l1(vcpu) || kvm_rcx_read(vcpu) != ICR_MSR)
		return EXIT_FASTPATH_NONE;
	return send_and_skip(vcpu, kvm_read_edx_eax(vcpu));
}

/* WRMSRNS with an immediate read as if it were WRMSR (ECX, EDX:EAX). */
static fastpath_t imm_as_wrmsr(struct kvm_vcpu *vcpu)
{
	u32 r = vmx_get_exit_reason(vcpu).basic;

	if ((r != EXIT_REASON_MSR_WRITE && r != EXIT_REASON_MSR_WRITE_IMM) ||
	    !x2apic_l1(vcpu) || kvm_rcx_read(vcpu) != ICR_MSR)
		return EXIT_FASTPATH_NONE;
	return send_and_skip(vcpu, kvm_read_edx_eax(vcpu));
}

/* No look at the exit reason at all: ECX names the ICR, so send. */
static fastpath_t any_exit_as_icr(struct kvm_vcpu *vcpu)
{
	if (!x2apic_l1(vcpu) || kvm_rcx_read(vcpu) != ICR_MSR)
		return EXIT_FASTPATH_NONE;
	return send_and_skip(vcpu, kvm_read_edx_eax(vcpu));
}

/* HLT skipped and the guest re-entered, as if it were a NOP. */
static fastpath_t hlt_as_nop(struct kvm_vcpu *vcpu)
{
	if (vmx_get_exit_reason(vcpu).basic != EXIT_REASON_HLT ||
	    is_guest_mode(vcpu))
		return EXIT_FASTPATH_NONE;
	if (!kvm_skip_emulated_instruction(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;
	return EXIT_FASTPATH_REENTER_GUEST;
}

/*
 * HLT taken early with the wrong wake-up rule: the guest stays runnable
 * when the IRR holds anything, whatever RFLAGS.IF says.  Right wherever
 * nothing is pending.
 */
static fastpath_t hlt_ignoring_if(struct kvm_vcpu *vcpu)
{
	bool irr = false;

	if (vmx_get_exit_reason(vcpu).basic != EXIT_REASON_HLT ||
	    is_guest_mode(vcpu) || !lapic_in_kernel(vcpu))
		return EXIT_FASTPATH_NONE;
	if (!kvm_skip_emulated_instruction(vcpu))
		return EXIT_FASTPATH_EXIT_USERSPACE;
	for (int k = 0; k < 8; k++)
		irr |= kvm_lapic_get_reg(vcpu->arch.apic, APIC_IRR + 0x10 * k);
	if (irr)
		return EXIT_FASTPATH_REENTER_GUEST;
	vcpu->arch.mp_state = KVM_MP_STATE_HALTED;
	return EXIT_FASTPATH_EXIT_HANDLED;
}

static const struct {
	const char *name;
	fastpath_t (*fn)(struct kvm_vcpu *vcpu);
	enum x2s_case_exit caught_on;
} confused[] = {
	{ "rdmsr-as-icr", rdmsr_as_icr, X2S_CASE_RDMSR },
	{ "imm-as-wrmsr", imm_as_wrmsr, X2S_CASE_WRMSR_IMM },
	{ "any-exit-as-icr", any_exit_as_icr, X2S_CASE_RDMSR },
	{ "hlt-as-nop", hlt_as_nop, X2S_CASE_HLT },
};

static void test_names_round_trip(void **state)
{
	for (int x = 0; x < X2S_CASE_NR_EXITS; x++) {
		const char *n = x2s_case_exit_name((enum x2s_case_exit)x);

		assert_string_not_equal(n, "?");
		assert_int_equal(x2s_case_exit_find(n), x);
	}
	assert_int_equal(x2s_case_exit_find("wrmsrns"), -1);
	assert_int_equal(x2s_case_exit_find(""), -1);
	assert_int_equal(x2s_case_exit_find(NULL), -1);
	assert_string_equal(x2s_case_exit_name(X2S_CASE_NR_EXITS), "?");
}

/* Each exit kind written to a case file reads back the same. */
static void test_case_files_round_trip(void **state)
{
	char path[] = "/tmp/x2s-test-exits-XXXXXX", err[512];

	for (int x = 0; x < X2S_CASE_NR_EXITS; x++) {
		struct x2s_case c, back;
		int fd = mkstemp(path);
		FILE *f;

		assert_true(fd >= 0);
		f = fdopen(fd, "w");
		assert_non_null(f);
		memset(&c, 0, sizeof(c));
		c.config = *named("x2apic-2");
		c.sender = 1;
		c.exit = (enum x2s_case_exit)x;
		c.reg = x2s_case_exit_uses(c.exit) & X2S_CASE_USES_REG ? 9 : 0;
		c.ecx = 0x800u + (unsigned int)x;
		c.data = 0x123456789abcdef0ULL ^ (u64)x;
		assert_ok(x2s_case_write(f, &c, "round trip"));
		assert_int_equal(fclose(f), 0);
		if (x2s_case_load(path, &back, err, sizeof(err)))
			fail_msg("%s", err);
		unlink(path);
		strcpy(path, "/tmp/x2s-test-exits-XXXXXX");
		assert_int_equal(back.exit, c.exit);
		assert_int_equal(back.reg, c.reg);
		assert_int_equal(back.ecx, c.ecx);
		assert_true(back.data == c.data);
		assert_int_equal(back.sender, 1);
	}
}

/* A bad exit name or register in a case file is refused with a reason. */
static void test_bad_case_files_are_refused(void **state)
{
	static const char *const bodies[] = {
		"\"exit\": \"wrmsrns\",",
		"\"exit\": 3,",
		"\"reg\": 16,",
		"\"reg\": \"rbx\",",
	};
	char path[] = "/tmp/x2s-test-exits-XXXXXX", err[512];

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct x2s_case c;
		int fd = mkstemp(path);
		FILE *f;

		assert_true(fd >= 0);
		f = fdopen(fd, "w");
		assert_non_null(f);
		fprintf(f,
			"{\"x2sim_case\": 1, \"config\": {\"name\": \"t\", "
			"\"vcpus\": 2}, \"sender\": 0, %s \"ecx\": \"0x830\", "
			"\"data\": \"0x31\"}\n",
			bodies[i]);
		assert_int_equal(fclose(f), 0);
		assert_int_not_equal(x2s_case_load(path, &c, err, sizeof(err)),
				     0);
		print_message("%s -> %s\n", bodies[i], err);
		assert_non_null(strstr(err, i < 2 ? "exit" : "reg"));
		unlink(path);
		strcpy(path, "/tmp/x2s-test-exits-XXXXXX");
	}
}

/*
 * Every exit kind through upstream (6.18's dispatcher) from x2APIC and
 * xAPIC senders: fast and slow agree; the exits 6.18 takes early are
 * taken.
 */
static void test_every_exit_agrees_under_upstream(void **state)
{
	static const char *const cfgs[] = { "x2apic-2", "mixed-modes",
					    "singlestep", "l2-no-intercept" };
	const struct x2s_fastpath *up = variant("upstream");

	for (size_t k = 0; k < sizeof(cfgs) / sizeof(cfgs[0]); k++) {
		for (int x = 0; x < X2S_CASE_NR_EXITS; x++) {
			struct x2s_case_result res;
			struct x2s_case c;

			memset(&c, 0, sizeof(c));
			c.config = *named(cfgs[k]);
			c.exit = (enum x2s_case_exit)x;
			c.reg = VCPU_REGS_RBX;
			c.ecx = x == X2S_CASE_APIC_READ ||
						x == X2S_CASE_APIC_WRITE ?
					APIC_ICR :
					ICR_MSR;
			c.data = 0x100000031ULL;
			assert_ok(x2s_verify_case(&c, up, X2S_CONTRACT_NONE,
						  &res, NULL, NULL, NULL));
			if (res.verdict != X2S_VERDICT_DECLINED &&
			    res.verdict != X2S_VERDICT_EQUAL)
				fail_msg("%s, %s: %s", cfgs[k],
					 x2s_case_exit_name(c.exit),
					 x2s_verdict_name(res.verdict));
			if (k == 0 && x == X2S_CASE_WRMSR_IMM)
				assert_int_equal(res.fastpath,
						 EXIT_FASTPATH_REENTER_GUEST);
			if (k == 0 &&
			    (x == X2S_CASE_RDMSR || x == X2S_CASE_APIC_WRITE))
				assert_int_equal(res.verdict,
						 X2S_VERDICT_DECLINED);
		}
	}
}

static void sweep(const struct x2s_fastpath *fn, unsigned int kind,
		  struct x2s_sweep_report *r)
{
	static struct x2s_vm_desc cfgs[2];
	struct x2s_sweep_opts o = {
		.configs = cfgs,
		.nr_configs = 2,
		.sweep = kind,
		.reduced = true,
		.fn = fn,
		.threads = 1,
		.shard = 1,
		.nr_shards = 1,
	};

	cfgs[0] = *named("x2apic-2");
	cfgs[1] = *named("mixed-modes");
	assert_ok(x2s_sweep_run(&o, r));
}

/*
 * Each confused fastpath handles WRMSR(ICR) as 6.18 does, so the ICR
 * sweep passes it; the exits sweep must not, and its minimal case must
 * replay as a mismatch.
 */
static void test_confused_fastpaths_are_caught(void **state)
{
	for (size_t k = 0; k < sizeof(confused) / sizeof(confused[0]); k++) {
		struct x2s_fastpath fp = {
			.name = confused[k].name,
			.entry = X2S_FASTPATH_EXIT_HANDLERS,
			.exit_handlers = confused[k].fn,
			.kvm_version = X2SIM_KVM_VERSION,
		};
		struct x2s_sweep_report icr, all;
		struct x2s_case_result res;
		bool seen = false;

		sweep(&fp, X2S_SWEEP_ICR, &icr);
		sweep(&fp, X2S_SWEEP_DEFAULT, &all);
		print_message(
			"%s: icr sweep %llu mismatches; icr+exits %llu in "
			"%u classes\n",
			confused[k].name, (unsigned long long)icr.mismatches,
			(unsigned long long)all.mismatches, all.nr_findings);
		assert_int_equal(icr.mismatches, 0);
		assert_true(all.mismatches > 0);
		for (unsigned int i = 0; i < all.nr_findings; i++) {
			const struct x2s_finding *f = &all.findings[i];

			seen |= f->example.exit == confused[k].caught_on;
			assert_ok(x2s_verify_case(&f->example, &fp,
						  X2S_CONTRACT_NONE, &res, NULL,
						  NULL, NULL));
			if (res.verdict == X2S_VERDICT_DECLINED ||
			    res.verdict == X2S_VERDICT_EQUAL)
				fail_msg("%s: finding %u (%s) replays as %s",
					 confused[k].name, i,
					 x2s_case_exit_name(f->example.exit),
					 x2s_verdict_name(res.verdict));
		}
		assert_true(seen);
		x2s_sweep_report_free(&icr);
		x2s_sweep_report_free(&all);
	}
}

/* The shipped variants have nothing to hide on the other exits. */
static void test_shipped_variants_agree_on_every_exit(void **state)
{
	for (unsigned int v = 0; v < x2s_fastpath_nr_variants; v++) {
		struct x2s_sweep_report r;

		sweep(x2s_fastpath_variants[v].fn, X2S_SWEEP_EXITS, &r);
		print_message("%s: exits sweep %llu cases, %llu handled, %llu "
			      "mismatches\n",
			      x2s_fastpath_variants[v].name,
			      (unsigned long long)r.cases,
			      (unsigned long long)r.handled,
			      (unsigned long long)r.mismatches);
		assert_int_equal(r.mismatches, 0);
		if (!strcmp(x2s_fastpath_variants[v].name, "upstream"))
			assert_true(r.handled > 0);
		x2s_sweep_report_free(&r);
	}
}

/*
 * hlt-pending's three vCPUs, each halting through the slow path: an
 * interrupt that IF masks does not keep the vCPU awake; one IF allows
 * does, and is injected; so does an NMI under IF 0.
 */
static void test_hlt_with_pending_events(void **state)
{
	static const struct {
		int status;
		u32 injected;
	} want[] = {
		{ X2S_STATUS_BLOCKED, 0 },
		{ X2S_STATUS_GUEST,
		  INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | 0x40 },
		{ X2S_STATUS_GUEST,
		  INTR_INFO_VALID_MASK | INTR_TYPE_NMI_INTR | NMI_VECTOR },
	};

	for (unsigned int s = 0; s < 3; s++) {
		struct x2s_exit exit = { .reason = EXIT_REASON_HLT,
					 .insn_len = 1 };
		struct x2s_exit_result res;
		struct x2s_vm *vm;

		assert_ok(x2s_vm_desc_create(named("hlt-pending"), &vm));
		assert_ok(x2s_vcpu_exit(vm, s, &exit, &res));
		assert_int_equal(res.status, want[s].status);
		assert_int_equal(res.entry_intr_info, want[s].injected);
		x2s_vm_destroy(vm);
	}
}

/*
 * A HLT fastpath with the wrong wake-up rule agrees everywhere nothing is
 * pending; the exits sweep over hlt-pending catches it on vCPU 0 (IF 0).
 */
static void test_wrong_hlt_wakeup_is_caught(void **state)
{
	struct x2s_fastpath fp = {
		.name = "hlt-ignoring-if",
		.entry = X2S_FASTPATH_EXIT_HANDLERS,
		.exit_handlers = hlt_ignoring_if,
		.kvm_version = X2SIM_KVM_VERSION,
	};
	struct x2s_vm_desc cfg = *named("hlt-pending");
	struct x2s_sweep_opts o = {
		.configs = &cfg,
		.nr_configs = 1,
		.sweep = X2S_SWEEP_EXITS,
		.fn = &fp,
		.threads = 1,
		.shard = 1,
		.nr_shards = 1,
	};
	struct x2s_sweep_report quiet, r;

	sweep(&fp, X2S_SWEEP_EXITS, &quiet);
	assert_int_equal(quiet.mismatches, 0);
	assert_true(quiet.handled > 0);
	assert_ok(x2s_sweep_run(&o, &r));
	assert_true(r.mismatches > 0);
	for (unsigned int i = 0; i < r.nr_findings; i++)
		assert_int_equal(r.findings[i].example.exit, X2S_CASE_HLT);
	/*
	 * Case by case: only vCPU 0 (IF 0) differs.  vCPU 2 halts on the
	 * fastpath too, but the block that follows finds the NMI and wakes
	 * it, as KVM's vcpu_block would.
	 */
	for (unsigned int s = 0; s < 3; s++) {
		struct x2s_case_result res;
		struct x2s_case c;

		memset(&c, 0, sizeof(c));
		c.config = cfg;
		c.sender = s;
		c.exit = X2S_CASE_HLT;
		assert_ok(x2s_verify_case(&c, &fp, X2S_CONTRACT_NONE, &res,
					  NULL, NULL, NULL));
		assert_int_equal(res.verdict,
				 s ? X2S_VERDICT_EQUAL : X2S_VERDICT_MISMATCH);
	}
	x2s_sweep_report_free(&quiet);
	x2s_sweep_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_case_files_round_trip),
		cmocka_unit_test(test_bad_case_files_are_refused),
		cmocka_unit_test(test_every_exit_agrees_under_upstream),
		cmocka_unit_test(test_confused_fastpaths_are_caught),
		cmocka_unit_test(test_shipped_variants_agree_on_every_exit),
		cmocka_unit_test(test_hlt_with_pending_events),
		cmocka_unit_test(test_wrong_hlt_wakeup_is_caught),
	};

	return cmocka_run_group_tests_name("exits", tests, NULL, NULL);
}
