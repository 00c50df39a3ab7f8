// SPDX-License-Identifier: GPL-2.0-only
/*
 * Handled as 6.18 does, and on the side the APIC map's entry for the
 * highest APIC ID it has room for (no vCPU's) pointed at the sender: the
 * map no longer what the vCPUs describe, on a handled exit.
 */
#include "sound.h"

SOUND_ATTACK(handled_map)
{
	struct kvm_apic_map *map = vcpu->kvm->arch.apic_map;

	if (map)
		map->phys_map[map->max_apic_id] = vcpu->arch.apic;
	return sound_handle(vcpu, data);
}
