// SPDX-License-Identifier: GPL-2.0-only
/* Test plugin: the entry point's name on a variable. */
#include <x2sim/kvm.h>

extern int handle_fastpath_set_msr_irqoff;
int handle_fastpath_set_msr_irqoff = 1;
