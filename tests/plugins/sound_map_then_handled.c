// SPDX-License-Identifier: GPL-2.0-only
/*
 * Vector 0x00: the APIC map's logical mode, then NONE; every other vector
 * handled as 6.18 does, so the next cases read that map.
 */
#include "sound.h"

SOUND_ATTACK(map_then_handled)
{
	struct kvm_apic_map *map = vcpu->kvm->arch.apic_map;

	if ((data & APIC_VECTOR_MASK) != 0x00)
		return sound_handle(vcpu, data);
	if (map)
		map->logical_mode ^= 1;
	return EXIT_FASTPATH_NONE;
}
