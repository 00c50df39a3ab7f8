// SPDX-License-Identifier: GPL-2.0-only
/*
 * The write guard (src/verify/guard.c, docs/verify.md "The write guard"):
 * a guarded case that writes protected memory is stopped before the write
 * lands and given back, one that writes the sender's open structures is
 * given back too, a clean decline passes; faults elsewhere still reach the
 * handler that was there before; X2SIM_GUARD=0 turns it off.  Every test
 * runs with the guard sealed (the default: the sender's structures
 * protected too, engine.c) and open (X2SIM_GUARD=open).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "verify/engine.h"
#include "verify/guard.h"

/* What the fastpaths below do to the VM, chosen per test. */
static enum {
	DO_NOTHING,
	WRITE_OTHER_PAGE,   /* vCPU 1's TPR, with memset */
	WRITE_OWN_PAGE,	    /* the sender's TPR, with memset */
	WRITE_OWN_STRUCT,   /* the sender's RBX */
	WRITE_AND_PUT_BACK, /* vCPU 1's TPR, then back as it was */
	FLIP_OTHER_TAIL,    /* a byte of vCPU 1's page past its registers */
	SEE_SENDER,	    /* copy the sender's structures to seen */
} action;

/* SEE_SENDER: the sender's structures as the fastpath found them. */
static struct x2s_vcpu_image seen;

static u8 *tpr_of(struct kvm_vcpu *vcpu)
{
	return (u8 *)vcpu->arch.apic->regs + APIC_TASKPRI;
}

static fastpath_t attack(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu *v1 = vcpu->kvm->vcpus[1];
	u8 was;

	switch (action) {
	case WRITE_OTHER_PAGE:
		memset(tpr_of(v1), 0x70, 1);
		break;
	case WRITE_OWN_PAGE:
		memset(tpr_of(vcpu), 0x70, 1);
		break;
	case WRITE_OWN_STRUCT:
		vcpu->arch.regs[VCPU_REGS_RBX] ^= 1;
		break;
	case WRITE_AND_PUT_BACK:
		was = *tpr_of(v1);
		*(volatile u8 *)tpr_of(v1) = 0x70;
		*(volatile u8 *)tpr_of(v1) = was;
		break;
	case FLIP_OTHER_TAIL:
		((u8 *)v1->arch.apic->regs)[0x800] ^= 1;
		break;
	case SEE_SENDER:
		x2s_vcpu_image_save(vcpu, &seen);
		break;
	default:
		break;
	}
	return EXIT_FASTPATH_NONE;
}

static const struct x2s_fastpath attack_fn = {
	.name = "guard-test",
	.entry = X2S_FASTPATH_EXIT_HANDLERS,
	.exit_handlers = attack,
};

static struct x2s_engine *guarded_engine(void)
{
	struct x2s_vm_desc d;
	struct x2s_engine *e;

	x2s_vm_desc_init(&d, "guard", 2);
	e = x2s_engine_new(&d, X2S_CHECK_SWEEP);
	assert_non_null(e);
	x2s_engine_guard(e, true);
	return e;
}

static u32 tpr(struct x2s_engine *e, unsigned int v)
{
	return kvm_lapic_get_reg(x2s_vm_vcpu(x2s_engine_vm(e), v)->arch.apic,
				 APIC_TASKPRI);
}

/* One guarded case of vCPU s writing icr to the ICR; its answer. */
static bool try_icr_on(struct x2s_engine *e, unsigned int s, u64 icr)
{
	struct x2s_case_out o;
	struct x2s_input in;

	x2s_input_wrmsr(&in, 0x830, icr);
	return x2s_engine_try_case(e, s, &in, &attack_fn, &o);
}

static bool try_icr(struct x2s_engine *e, u64 icr)
{
	return try_icr_on(e, 0, icr);
}

/* The group runs sealed (the default) or with X2SIM_GUARD=open. */
static bool sealed(void)
{
	const char *env = getenv("X2SIM_GUARD");

	return !env || strcmp(env, "open");
}

static bool try_one(struct x2s_engine *e)
{
	return try_icr(e, 0x1000000fdull);
}

static void test_clean_decline_passes(void **state)
{
	struct x2s_engine *e = guarded_engine();

	(void)state;
	action = DO_NOTHING;
	assert_true(try_one(e));
	assert_true(try_one(e));
	assert_int_equal(x2s_engine_stats(e)->guarded, 2);
	assert_int_equal(x2s_engine_stats(e)->trips, 0);
	assert_true(x2s_engine_settle(e));
	x2s_engine_free(e);
}

/* The write to another vCPU's page never lands, and the case goes back. */
static void test_protected_write_is_stopped(void **state)
{
	struct x2s_engine *e = guarded_engine();

	(void)state;
	action = WRITE_OTHER_PAGE;
	assert_false(try_one(e));
	assert_int_equal(x2s_engine_stats(e)->trips, 1);
	assert_int_equal(tpr(e, 1), 0);
	/* Still armed: the next attempt is stopped the same way. */
	assert_false(try_one(e));
	assert_int_equal(x2s_engine_stats(e)->trips, 2);
	assert_int_equal(tpr(e, 1), 0);
	action = WRITE_OWN_PAGE;
	assert_false(try_one(e));
	assert_int_equal(tpr(e, 0), 0);
	action = DO_NOTHING;
	assert_true(try_one(e));
	assert_true(x2s_engine_settle(e));
	x2s_engine_free(e);
}

/*
 * A write to the sender's own structures: open, it lands and the
 * comparison gives the case back; sealed, it is stopped like any other.
 */
static void test_own_write_is_given_back(void **state)
{
	struct x2s_engine *e = guarded_engine();
	struct kvm_vcpu *v0 = x2s_vm_vcpu(x2s_engine_vm(e), 0);
	unsigned long rbx = v0->arch.regs[VCPU_REGS_RBX];

	(void)state;
	action = WRITE_OWN_STRUCT;
	assert_false(try_one(e));
	assert_int_equal(x2s_engine_stats(e)->trips, sealed() ? 1 : 0);
	assert_int_equal(v0->arch.regs[VCPU_REGS_RBX], rbx);
	action = DO_NOTHING;
	assert_true(try_one(e));
	assert_true(x2s_engine_settle(e));
	assert_int_equal(v0->arch.regs[VCPU_REGS_RBX], rbx);
	x2s_engine_free(e);
}

/*
 * Sealed, a fastpath that writes its own structures at most cases opens
 * the guard for good (each case would trip it); open, such a write is
 * compared and given back without a fault.
 */
static void test_own_writer_opens_the_seal(void **state)
{
	struct x2s_engine *e = guarded_engine();
	unsigned long trips;

	(void)state;
	action = WRITE_OWN_STRUCT;
	for (unsigned int i = 0; i < 40; i++)
		assert_false(try_one(e));
	assert_int_equal(x2s_engine_stats(e)->unseals, sealed() ? 1 : 0);
	trips = x2s_engine_stats(e)->trips;
	assert_int_equal(trips, sealed() ? 32 : 0);
	assert_false(try_one(e));
	assert_int_equal(x2s_engine_stats(e)->trips, trips);
	action = DO_NOTHING;
	assert_true(try_one(e));
	assert_true(x2s_engine_settle(e));
	x2s_engine_free(e);
}

/*
 * Sealed, an exit that differs from the sender's last is loaded by the
 * model with the guard lowered: where that happens at most cases, the
 * guard opens.  Only a recent burst counts: a long run of one exit before
 * (an ICR sweep before the exits sweep) buys 16 such loads, no more.
 * Open, there are none.
 */
static void test_changing_exits_open_the_seal(void **state)
{
	struct x2s_engine *e = guarded_engine();
	struct x2s_case_out o;
	struct x2s_input in;

	(void)state;
	action = DO_NOTHING;
	for (unsigned int i = 0; i < 5000; i++)
		assert_true(try_icr(e, 0x1000000fdull + (i & 0xff00)));
	assert_int_equal(x2s_engine_stats(e)->seal_loads, sealed() ? 1 : 0);
	for (unsigned int i = 0; i < 40; i++) {
		x2s_input_make(&in, i & 1 ? X2S_CASE_WRMSR : X2S_CASE_RDMSR, 0,
			       0x830, 0x1000000fdull);
		assert_true(x2s_engine_try_case(e, 0, &in, &attack_fn, &o));
		assert_int_equal(o.verdict, X2S_VERDICT_DECLINED);
	}
	assert_int_equal(x2s_engine_stats(e)->seal_loads, sealed() ? 17 : 0);
	assert_int_equal(x2s_engine_stats(e)->unseals, sealed() ? 1 : 0);
	assert_int_equal(x2s_engine_stats(e)->guarded, 5040);
	assert_true(x2s_engine_settle(e));
	x2s_engine_free(e);
}

/* A write put back before the fastpath returns is still given back. */
static void test_put_back_write_is_given_back(void **state)
{
	struct x2s_engine *e = guarded_engine();

	(void)state;
	action = WRITE_AND_PUT_BACK;
	assert_false(try_one(e));
	assert_int_equal(x2s_engine_stats(e)->trips, 1);
	assert_true(x2s_engine_settle(e));
	x2s_engine_free(e);
}

/*
 * A guarded case that follows a clean decline of the same exit sets only
 * the GPRs the exit loads: the fastpath must find exactly what a whole
 * load from the base gives.  Over every named configuration.
 */
/*
 * What an engine did before the case test_quick_load_is_a_load() looks
 * at: a clean decline of the same exit (the quick load follows), a case
 * the guard stopped (nothing landed: sealed, the structures stay
 * loaded), or that decline and then one of another sender (put back,
 * then loaded again).
 */
static void before(struct x2s_engine *e, unsigned int how, unsigned int k)
{
	action = DO_NOTHING;
	assert_true(try_icr(e, 0x1000000fdull ^ (k + 1)));
	if (how == 1) {
		action = WRITE_OWN_PAGE;
		assert_false(try_icr(e, 0x1000000fdull));
	}
	if (how == 2 && x2s_vm_nr_vcpus(x2s_engine_vm(e)) > 1) {
		action = DO_NOTHING;
		assert_true(try_icr_on(e, 1, 0x1000000fdull));
	}
}

static void test_quick_load_is_a_load(void **state)
{
	static struct x2s_vcpu_image whole;
	static const u64 icr[] = { 0x100000031ull, 0x3000000c4ull,
				   0xff00000000000802ull };

	(void)state;
	for (unsigned int c = 0; c < x2s_named_config_count(); c++) {
		for (unsigned int k = 0; k < 3; k++) {
			struct x2s_engine *e = x2s_engine_new(
				x2s_named_config(c), X2S_CHECK_SWEEP);
			bool quick, full;

			assert_non_null(e);
			x2s_engine_guard(e, true);
			action = SEE_SENDER;
			memset(&seen, 0, sizeof(seen));
			full = try_icr(e, icr[k]);
			whole = seen;
			x2s_engine_free(e);

			for (unsigned int how = 0; how < 3; how++) {
				e = x2s_engine_new(x2s_named_config(c),
						   X2S_CHECK_SWEEP);
				assert_non_null(e);
				x2s_engine_guard(e, true);
				before(e, how, k);
				memset(&seen, 0, sizeof(seen));
				action = SEE_SENDER;
				quick = try_icr(e, icr[k]);
				assert_int_equal(quick, full);
				assert_memory_equal(&seen, &whole,
						    sizeof(seen));
				x2s_engine_free(e);
			}
		}
	}
}

/* The full engine: x2s_engine_case() of vCPU 0 writing the ICR. */
static void case_one(struct x2s_engine *e)
{
	struct x2s_case_out o;
	struct x2s_input in;

	x2s_input_wrmsr(&in, 0x830, 0x1000000fdull);
	x2s_engine_case(e, 0, &in, &attack_fn, X2S_CONTRACT_NONE, &o, NULL,
			NULL);
}

/* A full engine of two vCPUs after one clean case (its cold guard armed). */
static struct x2s_engine *cold_engine(void)
{
	struct x2s_vm_desc d;
	struct x2s_engine *e;

	x2s_vm_desc_init(&d, "cold", 2);
	e = x2s_engine_new(&d, X2S_CHECK_SWEEP);
	assert_non_null(e);
	action = DO_NOTHING;
	case_one(e);
	return e;
}

/*
 * The full engine's cold guard: armed in X2S_CHECK_SWEEP, untouched by a
 * clean case; a write past the registers trips it, even one the next
 * case puts back (the unit then looks clean at its end).
 */
static void test_cold_guard_sees_a_flip(void **state)
{
	struct x2s_engine *e = cold_engine();

	(void)state;
	assert_int_equal(x2s_engine_stats(e)->cold_arms, 1);
	assert_false(x2s_engine_cold_tripped(e));
	assert_true(x2s_engine_settle(e));

	/*
	 * The first flip trips it: one trip, the guard stays off until the
	 * sweep is told, and the case checks look at the bytes again, so the
	 * first flip is charged to its case (the unit is not clean).
	 */
	action = FLIP_OTHER_TAIL;
	case_one(e);
	case_one(e);
	assert_int_equal(x2s_engine_stats(e)->cold_trips, 1);
	assert_int_equal(x2s_engine_stats(e)->cold_arms, 1);
	assert_false(x2s_engine_settle(e));
	assert_true(x2s_engine_cold_tripped(e));
	assert_false(x2s_engine_cold_tripped(e));

	/* Told: armed again by the next case.  Off: no trip, still seen. */
	action = DO_NOTHING;
	case_one(e);
	assert_int_equal(x2s_engine_stats(e)->cold_arms, 2);
	assert_true(x2s_engine_settle(e));
	x2s_engine_cold(e, false);
	action = FLIP_OTHER_TAIL;
	case_one(e);
	case_one(e);
	assert_false(x2s_engine_cold_tripped(e));
	assert_int_equal(x2s_engine_stats(e)->cold_arms, 2);
	assert_false(x2s_engine_settle(e));
	x2s_engine_free(e);
}

/* Two engines' guards armed in one thread at once, each doing its job. */
static void test_two_guards_at_once(void **state)
{
	struct x2s_engine *g = guarded_engine();
	struct x2s_engine *e = cold_engine();

	(void)state;
	assert_true(try_one(g));
	action = WRITE_OTHER_PAGE;
	assert_false(try_one(g));
	assert_int_equal(tpr(g, 1), 0);
	action = FLIP_OTHER_TAIL;
	case_one(e);
	assert_true(x2s_engine_cold_tripped(e));
	action = WRITE_OTHER_PAGE;
	assert_false(try_one(g));
	assert_int_equal(x2s_engine_stats(g)->trips, 2);
	x2s_engine_free(e);
	x2s_engine_free(g);
}

/* A fault that is not the guard's reaches the handler installed before. */
static sigjmp_buf other_jump;
static volatile int other_faults;

static void other_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	other_faults++;
	siglongjmp(other_jump, 1);
}

static void test_other_faults_pass_on(void **state)
{
	struct sigaction sa, old;
	struct x2s_engine *e;
	char *page;

	(void)state;
	other_faults = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = other_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	assert_int_equal(sigaction(SIGSEGV, &sa, &old), 0);
	page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(page != MAP_FAILED);
	e = guarded_engine();
	action = DO_NOTHING;
	assert_true(try_one(e)); /* installs the guard's handler */
	if (!sigsetjmp(other_jump, 1))
		*(volatile char *)page = 1;
	assert_int_equal(other_faults, 1);
	/* And the guard still works after. */
	action = WRITE_OTHER_PAGE;
	assert_false(try_one(e));
	assert_int_equal(tpr(e, 1), 0);
	x2s_engine_free(e);
	munmap(page, 4096);
	sigaction(SIGSEGV, &old, NULL);
}

static void test_env_turns_it_off(void **state)
{
	struct x2s_engine *e;

	bool was_sealed = sealed();

	(void)state;
	setenv("X2SIM_GUARD", "0", 1);
	assert_false(x2s_guard_available());
	e = guarded_engine();
	action = DO_NOTHING;
	/* Off: every case goes to the full checks. */
	assert_false(try_one(e));
	x2s_engine_free(e);
	if (was_sealed)
		unsetenv("X2SIM_GUARD");
	else
		setenv("X2SIM_GUARD", "open", 1);
	assert_true(x2s_guard_available());
}

/* The ThreadSanitizer build has no guard: every case goes the full way. */
static void test_no_guard_under_tsan(void **state)
{
	struct x2s_engine *e;

	(void)state;
	assert_false(x2s_guard_available());
	e = guarded_engine();
	action = DO_NOTHING;
	assert_false(try_one(e));
	assert_int_equal(x2s_engine_stats(e)->arms, 0);
	x2s_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_decline_passes),
		cmocka_unit_test(test_protected_write_is_stopped),
		cmocka_unit_test(test_own_write_is_given_back),
		cmocka_unit_test(test_own_writer_opens_the_seal),
		cmocka_unit_test(test_changing_exits_open_the_seal),
		cmocka_unit_test(test_put_back_write_is_given_back),
		cmocka_unit_test(test_quick_load_is_a_load),
		cmocka_unit_test(test_cold_guard_sees_a_flip),
		cmocka_unit_test(test_two_guards_at_once),
		cmocka_unit_test(test_other_faults_pass_on),
		cmocka_unit_test(test_env_turns_it_off),
	};
	const struct CMUnitTest tsan_tests[] = {
		cmocka_unit_test(test_no_guard_under_tsan),
	};

	int failed;

	if (X2S_GUARD_UNDER_TSAN)
		return cmocka_run_group_tests(tsan_tests, NULL, NULL);
	/* Sealed (the default), then open (X2SIM_GUARD=open). */
	unsetenv("X2SIM_GUARD");
	failed = cmocka_run_group_tests_name("sealed", tests, NULL, NULL);
	setenv("X2SIM_GUARD", "open", 1);
	failed += cmocka_run_group_tests_name("open", tests, NULL, NULL);
	return failed;
}
