// SPDX-License-Identifier: GPL-2.0-only
/*
 * Trace lines (x2s_set_trace) as KVM's trace points print them.  Each
 * expected line below is written from the event's TP_printk format in
 * arch/x86/kvm/trace.h, quoted above it, with the values of the access:
 *
 *   kvm_msr:      "msr_%s %x = 0x%llx%s", write ? "write" : "read", ecx,
 *                 data, exception ? " (#GP)" : ""
 *   kvm_apic:     "apic_%s %s = 0x%llx", rw, register name, val
 *   kvm_apic_ipi: "dst %x vec %u (%s|%s|%s|%s|%s)", dest_id, vector,
 *                 delivery mode {Fixed, LowPrio, SMI, Res3, NMI, INIT,
 *                 SIPI, ExtINT}, logical/physical, assert/de-assert,
 *                 level/edge, shorthand {dst, self, all, all-but-self}
 *   kvm_apic_accept_irq: "apicid %x vec %u (%s|%s)", apicid, vec,
 *                 delivery mode, level/edge
 */
#include <string.h>

#include "helpers.h"
#include "vmx/vmx.h"

#define MAX_LINES 32

struct lines {
	unsigned int n;
	char line[MAX_LINES][160];
};

static void collect(void *opaque, const char *line)
{
	struct lines *l = opaque;

	if (l->n < MAX_LINES)
		snprintf(l->line[l->n++], sizeof(l->line[0]), "%s", line);
}

/* Whether want is one of the lines, exactly. */
static void assert_traced(const struct lines *l, const char *want)
{
	for (unsigned int i = 0; i < l->n; i++)
		if (!strcmp(l->line[i], want))
			return;
	for (unsigned int i = 0; i < l->n; i++)
		print_message("  got: %s\n", l->line[i]);
	fail_msg("no trace line \"%s\"", want);
}

static struct x2s_vm *vm2(void)
{
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;

	x2s_vm_config_init(&cfg, 2);
	assert_ok(x2s_vm_create(&cfg, &vm));
	for (unsigned int i = 0; i < 2; i++)
		assert_ok(x2s_vcpu_set_gpr(vm, i, X2S_REG_RFLAGS,
					   X86_EFLAGS_FIXED | X86_EFLAGS_IF));
	return vm;
}

static void wrmsr_exit(struct x2s_vm *vm, u32 msr, u64 data, struct lines *l)
{
	struct x2s_exit_result res;

	memset(l, 0, sizeof(*l));
	x2s_set_trace(collect, l);
	assert_ok(x2s_vcpu_wrmsr_exit(vm, 0, msr, data, &res));
	x2s_set_trace(NULL, NULL);
}

static void test_ipi_lines(void **state)
{
	struct x2s_vm *vm = vm2();
	struct lines l;

	/* Fixed, physical, to x2APIC ID 1, no shorthand. */
	wrmsr_exit(vm, 0x830, 0x100004031ULL, &l);
	assert_traced(&l, "kvm_msr: msr_write 830 = 0x100004031");
	assert_traced(&l, "kvm_apic_ipi: dst 1 vec 49 "
			  "(Fixed|physical|assert|edge|dst)");
	assert_traced(&l, "kvm_apic_accept_irq: apicid 1 vec 49 "
			  "(Fixed|edge)");
	/* Self, vector 0x40, the assert bit clear. */
	wrmsr_exit(vm, 0x830, 0x40040ULL, &l);
	assert_traced(&l, "kvm_apic_ipi: dst 0 vec 64 "
			  "(Fixed|physical|de-assert|edge|self)");
	/* NMI, logical, all-but-self. */
	wrmsr_exit(vm, 0x830, 0xc4c00ULL, &l);
	assert_traced(&l, "kvm_apic_ipi: dst 0 vec 0 "
			  "(NMI|logical|assert|edge|all-but-self)");
	/* INIT de-assert, level, to all. */
	wrmsr_exit(vm, 0x830, 0x88500ULL, &l);
	assert_traced(&l, "kvm_apic_ipi: dst 0 vec 0 "
			  "(INIT|physical|de-assert|level|all)");
	x2s_vm_destroy(vm);
}

static void test_msr_fault_lines(void **state)
{
	struct x2s_vm *vm = vm2();
	struct x2s_exit exit = { .reason = EXIT_REASON_MSR_READ,
				 .insn_len = 2 };
	struct x2s_exit_result res;
	struct lines l;

	/* A reserved ICR bit: the write faults. */
	wrmsr_exit(vm, 0x830, 0x100000ULL | 0x31, &l);
	assert_traced(&l, "kvm_msr: msr_write 830 = 0x100031 (#GP)");
	/* TPR: a write that succeeds, then its read. */
	wrmsr_exit(vm, 0x808, 0x20, &l);
	assert_traced(&l, "kvm_msr: msr_write 808 = 0x20");
	assert_ok(x2s_vcpu_set_gpr(vm, 0, X2S_REG_RCX, 0x808));
	memset(&l, 0, sizeof(l));
	x2s_set_trace(collect, &l);
	assert_ok(x2s_vcpu_exit(vm, 0, &exit, &res));
	/* EOI is write-only: its read faults. */
	assert_ok(x2s_vcpu_set_gpr(vm, 0, X2S_REG_RCX, 0x80b));
	assert_ok(x2s_vcpu_exit(vm, 0, &exit, &res));
	x2s_set_trace(NULL, NULL);
	assert_traced(&l, "kvm_msr: msr_read 808 = 0x20");
	assert_traced(&l, "kvm_msr: msr_read 80b = 0x0 (#GP)");
	x2s_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipi_lines),
		cmocka_unit_test(test_msr_fault_lines),
	};

	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
