/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim test tree "a": a header of the tree that x2sim does not read but
 * the good patch touches, so that the private copy must hold it too.
 */
#ifndef ARCH_X86_KVM_X86_H
#define ARCH_X86_KVM_X86_H

#include <linux/kvm_host.h>

/* How many MSRs the WRMSR fastpath handles. */
#define X2SIM_A_FASTPATH_MSRS	2

fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);
fastpath_t handle_fastpath_hlt(struct kvm_vcpu *vcpu);

#endif /* ARCH_X86_KVM_X86_H */
