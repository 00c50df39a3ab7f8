// SPDX-License-Identifier: GPL-2.0-only
/* x2sim: the registry of shipped fastpath variants. */
#include <string.h>

#include "fastpath/fastpath.h"

#define X2S_MODEL_VERSION X2SIM_KVM_VERSION_CODE(6, 18, 0)

/* Inside vmx_vcpu_run(), before vmx_complete_interrupts(), as in 2019. */
static const struct x2s_fastpath fp_v1_posted = {
	.name = "v1-posted",
	.entry = X2S_FASTPATH_BEFORE_COMPLETION,
	.before_completion = x2s_fastpath_v1_posted,
	.kvm_version = X2S_MODEL_VERSION,
};

/* Behind 5.6's gate (MSR_WRITE outside L2), with 5.6's results. */
static const struct x2s_fastpath fp_v5_6_merged = {
	.name = "v5.6-merged",
	.entry = X2S_FASTPATH_SET_MSR,
	.set_msr = x2s_fastpath_v5_6_merged,
	.kvm_version = X2SIM_KVM_VERSION_CODE(5, 6, 0),
};

static const struct x2s_fastpath fp_v6_12 = {
	.name = "v6.12",
	.entry = X2S_FASTPATH_EXIT_HANDLERS,
	.exit_handlers = x2s_fastpath_v6_12,
	.kvm_version = X2S_MODEL_VERSION,
};

/* 6.18's vmx_exit_handlers_fastpath(vcpu, force_immediate_exit). */
static const struct x2s_fastpath fp_upstream = {
	.name = "upstream",
	.entry = X2S_FASTPATH_EXIT_HANDLERS_FORCE,
	.exit_handlers_force = x2s_fastpath_upstream,
	.kvm_version = X2S_MODEL_VERSION,
};

const struct x2s_fastpath_variant x2s_fastpath_variants[] = {
	{ "v1-posted",
	  "the 2019 patch as posted (2019-11-09): u32 index check, 32-bit ICR path, "
	  "handled iff the skip returned non-zero",
	  &fp_v1_posted },
	{ "v5.6-merged",
	  "as merged in 5.6 (1e9e2622a149): exact MSR, 32-bit ICR path, "
	  "EXIT_FASTPATH_SKIP_EMUL_INS (the caller skips, result ignored)",
	  &fp_v5_6_merged },
	{ "v6.12",
	  "Linux 6.12 handle_fastpath_set_msr_irqoff: one physical fixed "
	  "target through kvm_x2apic_icr_write, the skip's answer honoured",
	  &fp_v6_12 },
	{ "upstream",
	  "Linux 6.18 vmx_exit_handlers_fastpath: WRMSR/WRMSRNS-immediate of "
	  "the ICR (kvm_x2apic_icr_write_fast through the optimized map) and "
	  "TSC deadline, HLT, INVD, the preemption timer",
	  &fp_upstream },
};

const unsigned int x2s_fastpath_nr_variants =
	sizeof(x2s_fastpath_variants) / sizeof(x2s_fastpath_variants[0]);

/* Names a variant had before (it is still found by them). */
static const struct {
	const char *old, *now;
} x2s_fastpath_aliases[] = {
	{ "single-target", "v6.12" },
};

const struct x2s_fastpath_variant *x2s_fastpath_find(const char *name)
{
	for (unsigned int i = 0; i < sizeof(x2s_fastpath_aliases) /
					     sizeof(x2s_fastpath_aliases[0]);
	     i++)
		if (!strcmp(x2s_fastpath_aliases[i].old, name))
			name = x2s_fastpath_aliases[i].now;
	for (unsigned int i = 0; i < x2s_fastpath_nr_variants; i++)
		if (!strcmp(x2s_fastpath_variants[i].name, name))
			return &x2s_fastpath_variants[i];
	return NULL;
}
