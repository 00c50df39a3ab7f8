// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test plugin: an ELF constructor that dereferences a null pointer (SIGSEGV), so the
 * plugin fails while it is being loaded, before any case runs
 * (tests/cli/misbehave.sh, kind ctor).  Its fastpath, never reached,
 * declines everything.
 */
#include <stdlib.h>
#include <x2sim/kvm.h>

__attribute__((constructor)) static void misbehave_ctor_segv(void)
{
	volatile int *volatile nowhere = NULL;

	*nowhere = 1;
}

fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);
fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu)
{
	return EXIT_FASTPATH_NONE;
}
