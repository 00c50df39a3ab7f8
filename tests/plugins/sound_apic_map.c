// SPDX-License-Identifier: GPL-2.0-only
/*
 * The APIC map's contents: its highest physical entry pointed at the
 * sender, then NONE.
 */
#include "sound.h"

SOUND_ATTACK(apic_map)
{
	struct kvm_apic_map *map = vcpu->kvm->arch.apic_map;

	if (map)
		map->phys_map[map->max_apic_id] = vcpu->arch.apic;
	return EXIT_FASTPATH_NONE;
}
