/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared helpers for the CMocka unit tests. */
#ifndef X2SIM_TEST_HELPERS_H
#define X2SIM_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <x2sim/kvm.h>
#include <x2sim/x2sim.h>
#include "core/core.h"

/* assert_ok(x2s_call(...)): fails with x2s_strerror() of the result. */
#define assert_ok(expr)                                                  \
	do {                                                             \
		int __r = (expr);                                        \
		if (__r != 0)                                            \
			fail_msg("%s = %d (%s)", #expr, __r,             \
				 x2s_strerror(__r));                     \
	} while (0)

/* No WARN was reached since the last x2s_warn_reset(). */
#define assert_no_warn()                                                 \
	do {                                                             \
		if (x2s_warn_count())                                    \
			fail_msg("WARN reached: %s", x2s_warn_first());  \
	} while (0)

/* A VM with the default configuration of n vCPUs (x2APIC, enabled). */
struct x2s_vm *test_vm_new(unsigned int nr_vcpus);
/* Same, from a configuration. */
struct x2s_vm *test_vm_new_cfg(const struct x2s_vm_config *cfg);

static inline struct kvm_lapic *test_apic(struct x2s_vm *vm, unsigned int i)
{
	return x2s_vm_vcpu(vm, i)->arch.apic;
}

/* IRR / ISR / TMR bit of vector vec on vCPU i (raw page). */
bool test_irr(struct x2s_vm *vm, unsigned int i, int vec);
bool test_isr(struct x2s_vm *vm, unsigned int i, int vec);
bool test_tmr(struct x2s_vm *vm, unsigned int i, int vec);
/* Number of vectors set in IRR of vCPU i. */
int test_irr_count(struct x2s_vm *vm, unsigned int i);

#endif
