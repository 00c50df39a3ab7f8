/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test plugins that misbehave (misbehave_*.c) for the isolation tests
 * (tests/cli/misbehave.sh, docs/plugins.md "When a plugin misbehaves").
 * Each declines every exit but one: the WRMSR of ICR low word 0x4031
 * (fixed, vector 0x31, level assert; any destination), which the reduced
 * sweep reaches, where it does its one wrong thing.  With
 * X2SIM_TEST_MISBEHAVE_ALWAYS=1 in the environment it does it on the
 * first ICR write of any value (for x2sim run's guests).
 */
#ifndef X2SIM_TEST_MISBEHAVE_H
#define X2SIM_TEST_MISBEHAVE_H

#include <stdlib.h>
#include <x2sim/kvm.h>

#define MISBEHAVE_ICR_LOW 0x4031u

static inline bool misbehave_now(struct kvm_vcpu *vcpu)
{
	const char *always = getenv("X2SIM_TEST_MISBEHAVE_ALWAYS");

	if (kvm_rcx_read(vcpu) != 0x830)
		return false;
	if (always && always[0] == '1')
		return true;
	return (u32)kvm_read_edx_eax(vcpu) == MISBEHAVE_ICR_LOW;
}

#endif /* X2SIM_TEST_MISBEHAVE_H */
