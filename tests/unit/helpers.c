// SPDX-License-Identifier: GPL-2.0-only
#include "helpers.h"

struct x2s_vm *test_vm_new_cfg(const struct x2s_vm_config *cfg)
{
	struct x2s_vm *vm = NULL;

	assert_ok(x2s_vm_create(cfg, &vm));
	assert_non_null(vm);
	x2s_warn_reset();
	return vm;
}

struct x2s_vm *test_vm_new(unsigned int nr_vcpus)
{
	struct x2s_vm_config cfg;

	x2s_vm_config_init(&cfg, nr_vcpus);
	return test_vm_new_cfg(&cfg);
}

static bool test_vec(struct x2s_vm *vm, unsigned int i, int base, int vec)
{
	u32 word = kvm_lapic_get_reg(test_apic(vm, i), base + (vec / 32) * 16);

	return word & (1u << (vec % 32));
}

bool test_irr(struct x2s_vm *vm, unsigned int i, int vec)
{
	return test_vec(vm, i, APIC_IRR, vec);
}

bool test_isr(struct x2s_vm *vm, unsigned int i, int vec)
{
	return test_vec(vm, i, APIC_ISR, vec);
}

bool test_tmr(struct x2s_vm *vm, unsigned int i, int vec)
{
	return test_vec(vm, i, APIC_TMR, vec);
}

int test_irr_count(struct x2s_vm *vm, unsigned int i)
{
	int n = 0;

	for (int vec = 0; vec < 256; vec++)
		n += test_irr(vm, i, vec);
	return n;
}
