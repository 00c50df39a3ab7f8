// SPDX-License-Identifier: GPL-2.0-only
/* Installed-package check: create a VM, send one IPI, read it back. */
#include <stdio.h>
#include <x2sim/kvm.h>
#include <x2sim/x2sim.h>

int main(void)
{
	struct x2s_vm_config cfg;
	struct x2s_exit_result res;
	struct x2s_vm *vm;
	uint32_t irr;
	int r;

	x2s_vm_config_init(&cfg, 2);
	r = x2s_vm_create(&cfg, &vm);
	if (r) {
		fprintf(stderr, "x2s_vm_create: %s\n", x2s_strerror(r));
		return 1;
	}
	/* Fixed IPI, vector 0x31, physical destination 1. */
	r = x2s_vcpu_wrmsr_exit(vm, 0, 0x830, (1ULL << 32) | 0x31, &res);
	if (r || x2s_apic_get_reg(vm, 1, APIC_IRR + 0x10, &irr) ||
	    !(irr & (1u << 0x11))) {
		fprintf(stderr, "IPI not delivered\n");
		x2s_vm_destroy(vm);
		return 1;
	}
	x2s_vm_destroy(vm);
	printf("consumer: IPI delivered through the installed library\n");
	return 0;
}
