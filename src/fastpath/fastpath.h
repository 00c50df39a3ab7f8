/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim fastpath module: the shipped fastpath variants and their registry.
 *
 * Each variant is one file of kernel-style C that includes only
 * <x2sim/kvm.h>.  Its entry point has the shape of
 * vmx_exit_handlers_fastpath(): it is called after every VM exit and does
 * its own gating (exit reason, guest mode) the way its KVM version did.
 */
#ifndef X2SIM_SRC_FASTPATH_H
#define X2SIM_SRC_FASTPATH_H

#include <x2sim/kvm.h>

#include "vmx/vmx.h"

struct x2s_fastpath_variant {
	const char *name;
	const char *description;
	const struct x2s_fastpath *fn;
};

fastpath_t x2s_fastpath_v1_posted(struct kvm_vcpu *vcpu);
/*
 * 5.6's handle_fastpath_set_msr_irqoff(): compiled against the 5.6 face,
 * so its result is 5.6's enum (1 is EXIT_FASTPATH_SKIP_EMUL_INS), read
 * through its descriptor's kvm_version.
 */
fastpath_t x2s_fastpath_v5_6_merged(struct kvm_vcpu *vcpu);
fastpath_t x2s_fastpath_v6_12(struct kvm_vcpu *vcpu);
/* 6.18's vmx_exit_handlers_fastpath(), whole. */
fastpath_t x2s_fastpath_upstream(struct kvm_vcpu *vcpu,
				 bool force_immediate_exit);

extern const struct x2s_fastpath_variant x2s_fastpath_variants[];
extern const unsigned int x2s_fastpath_nr_variants;

/* The variant called name, or NULL. */
const struct x2s_fastpath_variant *x2s_fastpath_find(const char *name);

#endif /* X2SIM_SRC_FASTPATH_H */
