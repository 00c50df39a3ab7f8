// SPDX-License-Identifier: GPL-2.0-only
/* x2sim: the registry of shipped fastpath variants. */
#include <string.h>

#include "fastpath/fastpath.h"

const struct x2s_fastpath_variant x2s_fastpath_variants[] = {
	{ "v1-posted",
	  "the seed as posted (2019-11-09): u32 index check, 32-bit ICR path, "
	  "handled iff the skip returned non-zero",
	  x2s_fastpath_v1_posted },
	{ "v5.6-merged",
	  "as merged in 5.6 (1e9e2622a149): exact MSR, 32-bit ICR path, skip "
	  "result ignored",
	  x2s_fastpath_v5_6_merged },
	{ "single-target",
	  "the seed's intent with later fixes: one physical fixed target "
	  "through kvm_x2apic_icr_write (5.8-6.x form), skip honoured",
	  x2s_fastpath_single_target },
	{ "upstream",
	  "Linux 6.18 handle_fastpath_wrmsr: kvm_x2apic_icr_write_fast through "
	  "the optimized map",
	  x2s_fastpath_upstream },
};

const unsigned int x2s_fastpath_nr_variants =
	sizeof(x2s_fastpath_variants) / sizeof(x2s_fastpath_variants[0]);

const struct x2s_fastpath_variant *x2s_fastpath_find(const char *name)
{
	for (unsigned int i = 0; i < x2s_fastpath_nr_variants; i++)
		if (!strcmp(x2s_fastpath_variants[i].name, name))
			return &x2s_fastpath_variants[i];
	return NULL;
}
