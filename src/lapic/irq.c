// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: IPI delivery, KVM's optimized APIC map, destination matching and
 * acceptance of an interrupt by the target LAPIC.
 *
 * Modelled on arch/x86/kvm/lapic.c of the 6.18 era, where the slow loop
 * (kvm_irq_delivery_to_apic) moved over from irq_comm.c.  Every function
 * keeps KVM's name so it can be read next to upstream.
 *
 * Delivery has two implementations, and KVM tries them in this order:
 *   1. kvm_irq_delivery_to_apic_fast(): a lookup in kvm->arch.apic_map,
 *      read as it is (it is rebuilt where it changes, not here).  It may
 *      decline (return false); it never delivers partially.
 *   2. the loop in kvm_irq_delivery_to_apic() over every vCPU with
 *      kvm_apic_match_dest().
 * The verifier's x2s_apic_*_receivers() name the receivers of each without
 * delivering: the map's through the same kvm_apic_map_get_dest_lapic(),
 * the loop's by the same matching, pinned to delivery by a test.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "lapic/lapic.h"
#include "vmx/vmx.h"

#define APIC_BROADCAST 0xFF
#define GET_APIC_LOGICAL_ID(x) (((x) >> 24) & 0xFF)

#define VCPU_BITMAP_LONGS (KVM_MAX_VCPUS / BITS_PER_LONG)

static inline void vcpu_bitmap_set(unsigned long *map, unsigned int bit)
{
	map[bit / BITS_PER_LONG] |= 1UL << (bit % BITS_PER_LONG);
}

static inline bool vcpu_bitmap_test(const unsigned long *map, unsigned int bit)
{
	return map[bit / BITS_PER_LONG] & (1UL << (bit % BITS_PER_LONG));
}

static inline bool is_power_of_2_u16(u16 n)
{
	return n && !(n & (n - 1));
}

static inline u32 min_u32(u32 a, u32 b)
{
	return a < b ? a : b;
}

static inline int apic_enabled(struct kvm_lapic *apic)
{
	return kvm_apic_sw_enabled(apic) && kvm_apic_hw_enabled(apic);
}

/* ---- the optimized map ---- */

/*
 * Where a logical destination points in the map: *cluster is an array of
 * up to 16 APICs and *mask selects entries of it.  False when the logical
 * map is disabled.
 */
static bool kvm_apic_map_get_logical_dest(struct kvm_apic_map *map, u32 dest_id,
					  struct kvm_lapic ***cluster,
					  u16 *mask)
{
	switch (map->logical_mode) {
	case KVM_APIC_MODE_SW_DISABLED:
		/*
		 * No APIC can take a logical interrupt: an empty mask, and a
		 * valid (never read) array.
		 */
		*cluster = map->xapic_flat_map;
		*mask = 0;
		return true;
	case KVM_APIC_MODE_X2APIC: {
		/*
		 * x2APIC LDRs are derived from the ID (cluster = ID >> 4,
		 * bit = ID & 15), so cluster c is phys_map[c * 16 ...]; clip
		 * the mask where the cluster runs past the highest ID.
		 */
		u32 offset = (dest_id >> 16) * 16;
		u32 max_apic_id = map->max_apic_id;

		if (offset <= max_apic_id) {
			u32 cluster_size =
				min_u32(max_apic_id - offset + 1, 16);

			*cluster = &map->phys_map[offset];
			*mask = dest_id & (0xffffu >> (16 - cluster_size));
		} else {
			*mask = 0;
		}
		return true;
	}
	case KVM_APIC_MODE_XAPIC_FLAT:
		*cluster = map->xapic_flat_map;
		*mask = dest_id & 0xff;
		return true;
	case KVM_APIC_MODE_XAPIC_CLUSTER:
		*cluster = map->xapic_cluster_map[(dest_id >> 4) & 0xf];
		*mask = dest_id & 0xf;
		return true;
	case KVM_APIC_MODE_MAP_DISABLED:
		return false;
	}
	WARN_ON_ONCE(1);
	return false;
}

/*
 * Enter one vCPU into the physical map.  Returns 0, or -EINVAL when the
 * map can't be used at all (an APIC ID owned by two vCPUs).
 */
static int kvm_recalculate_phys_map(struct kvm_apic_map *new,
				    struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 x2apic_id = kvm_x2apic_id(apic);
	u32 xapic_id = kvm_xapic_id(apic);
	u32 physical_id;

	/* max_apic_id is at least 255, so any xAPIC ID fits. */
	if (WARN_ON_ONCE(xapic_id > new->max_apic_id))
		return -EINVAL;
	/*
	 * x2sim: KVM retries the whole build here (-E2BIG) when a vCPU
	 * appeared after max_apic_id was computed; the model builds the
	 * map in one go, so this cannot happen.
	 */
	if (WARN_ON_ONCE(x2apic_id > new->max_apic_id))
		return -EINVAL;

	if (vcpu->kvm->arch.x2apic_format) {
		/*
		 * With 32-bit IDs enabled by userspace, KVM applies the
		 * hotplug hack (an xAPIC-mode vCPU whose ID does not fit 8
		 * bits is reachable by its x2APIC ID, as in
		 * kvm_apic_match_physical_addr) and silently keeps only the
		 * first of several vCPUs sharing an xAPIC ID instead of
		 * giving up on the map.
		 */
		if (apic_x2apic_mode(apic) || x2apic_id > 0xff)
			new->phys_map[x2apic_id] = apic;

		if (!apic_x2apic_mode(apic) && !new->phys_map[xapic_id])
			new->phys_map[xapic_id] = apic;
		return 0;
	}

	/*
	 * Architecturally every APIC with a matching ID takes the message;
	 * the map holds one APIC per ID, so aliasing disables it and the
	 * loop, which does match every alias, handles everything.
	 */
	physical_id = apic_x2apic_mode(apic) ? x2apic_id : xapic_id;
	if (new->phys_map[physical_id])
		return -EINVAL;

	new->phys_map[physical_id] = apic;
	return 0;
}

static void kvm_recalculate_logical_map(struct kvm_apic_map *new,
					struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	enum kvm_apic_logical_mode logical_mode;
	struct kvm_lapic **cluster;
	u16 mask;
	u32 ldr;

	if (new->logical_mode == KVM_APIC_MODE_MAP_DISABLED)
		return;

	/* A software-disabled APIC takes no interrupts that the map serves. */
	if (!kvm_apic_sw_enabled(apic))
		return;

	ldr = kvm_lapic_get_reg(apic, APIC_LDR);
	if (!ldr)
		return;

	if (apic_x2apic_mode(apic)) {
		logical_mode = KVM_APIC_MODE_X2APIC;
	} else {
		ldr = GET_APIC_LOGICAL_ID(ldr);
		if (kvm_lapic_get_reg(apic, APIC_DFR) == APIC_DFR_FLAT)
			logical_mode = KVM_APIC_MODE_XAPIC_FLAT;
		else
			logical_mode = KVM_APIC_MODE_XAPIC_CLUSTER;
	}

	/* One table layout serves the VM only if every APIC agrees on it. */
	if (new->logical_mode == KVM_APIC_MODE_SW_DISABLED) {
		new->logical_mode = logical_mode;
	} else if (new->logical_mode != logical_mode) {
		new->logical_mode = KVM_APIC_MODE_MAP_DISABLED;
		return;
	}

	/* x2APIC clusters are read straight out of phys_map. */
	if (apic_x2apic_mode(apic))
		return;

	if (WARN_ON_ONCE(!kvm_apic_map_get_logical_dest(new, ldr, &cluster,
							&mask))) {
		new->logical_mode = KVM_APIC_MODE_MAP_DISABLED;
		return;
	}

	if (!mask)
		return;

	/*
	 * A table slot holds one APIC: a logical ID with several bits set,
	 * or one shared by two APICs, can't be represented.
	 */
	ldr = (u32)__builtin_ctz(mask);
	if (!is_power_of_2_u16(mask) || cluster[ldr])
		new->logical_mode = KVM_APIC_MODE_MAP_DISABLED;
	else
		cluster[ldr] = apic;
}

/*
 * Rebuild kvm->arch.apic_map from every vCPU when it is marked dirty.
 * KVM calls this after every change that can move an APIC in the map (ID,
 * LDR, DFR, SVR writes, APIC_BASE, reset, vCPU creation, state restore),
 * so delivery never sees a stale map; the model WARNs if it does.
 * Without a usable map (aliased physical IDs, allocation failure) the
 * pointer is NULL and every delivery takes the loop.
 */
void kvm_recalculate_apic_map(struct kvm *kvm)
{
	struct kvm_apic_map *new, *old = kvm->arch.apic_map;
	struct kvm_vcpu *vcpu;
	unsigned long i;
	u32 max_id = 255; /* room for every xAPIC ID */
	size_t size;

	if (!kvm->arch.apic_map_dirty)
		return;

	kvm_for_each_vcpu (i, vcpu, kvm)
		if (kvm_apic_present(vcpu) &&
		    kvm_x2apic_id(vcpu->arch.apic) > max_id)
			max_id = kvm_x2apic_id(vcpu->arch.apic);

	/*
	 * x2sim: no RCU.  KVM builds a new map and frees the old one after
	 * a grace period; here nothing holds a pointer into the map between
	 * deliveries, so a map of the same size is rebuilt in the old one's
	 * memory (the verifier and fuzzers recalculate it very often).
	 */
	size = sizeof(*new) + sizeof(struct kvm_lapic *) * ((size_t)max_id + 1);
	kvm->arch.apic_map = NULL;
	if (old && old->max_apic_id == max_id) {
		new = old;
		memset(new, 0, size);
	} else {
		x2s_apic_map_free(kvm, old);
		new = x2s_apic_map_alloc(kvm, size);
	}
	if (new) {
		new->max_apic_id = max_id;
		new->logical_mode = KVM_APIC_MODE_SW_DISABLED;

		kvm_for_each_vcpu (i, vcpu, kvm) {
			if (!kvm_apic_present(vcpu))
				continue;
			if (kvm_recalculate_phys_map(new, vcpu)) {
				x2s_apic_map_free(kvm, new);
				new = NULL;
				break;
			}
			kvm_recalculate_logical_map(new, vcpu);
		}
	}

	/*
	 * x2sim: KVM also sets or clears the APICv inhibits
	 * PHYSICAL_ID_ALIASED, LOGICAL_ID_ALIASED and APIC_ID_MODIFIED
	 * here; the model leaves kvm->arch.apicv_enabled to the VM's
	 * configuration.
	 */
	kvm->arch.apic_map = new;
	kvm->arch.apic_map_dirty = false;
	x2s_apic_map_rebuilt(kvm);
}

void kvm_free_apic_map(struct kvm *kvm)
{
	x2s_apic_map_free(kvm, kvm->arch.apic_map);
	kvm->arch.apic_map = NULL;
}

/* ---- destination matching (the loop's view) ---- */

static bool kvm_apic_broadcast(struct kvm_lapic *apic, u32 mda)
{
	return mda ==
	       (apic_x2apic_mode(apic) ? X2APIC_BROADCAST : APIC_BROADCAST);
}

static bool kvm_apic_match_physical_addr(struct kvm_lapic *apic, u32 mda)
{
	if (kvm_apic_broadcast(apic, mda))
		return true;

	/*
	 * Hotplug hack: an xAPIC-mode vCPU also answers to its x2APIC ID
	 * when the destination can't be an xAPIC ID (above 0xff), so that a
	 * hotplugged vCPU, which starts in xAPIC mode, is addressable before
	 * it switches to x2APIC.  Destinations that fit 8 bits compare with
	 * the (writable) xAPIC ID only.
	 */
	if (apic_x2apic_mode(apic) || mda > 0xff)
		return mda == kvm_x2apic_id(apic);

	return mda == kvm_xapic_id(apic);
}

static bool kvm_apic_match_logical_addr(struct kvm_lapic *apic, u32 mda)
{
	u32 logical_id;

	if (kvm_apic_broadcast(apic, mda))
		return true;

	logical_id = kvm_lapic_get_reg(apic, APIC_LDR);

	if (apic_x2apic_mode(apic))
		return (logical_id >> 16) == (mda >> 16) &&
		       (logical_id & mda & 0xffff) != 0;

	logical_id = GET_APIC_LOGICAL_ID(logical_id);

	switch (kvm_lapic_get_reg(apic, APIC_DFR)) {
	case APIC_DFR_FLAT:
		return (logical_id & mda) != 0;
	case APIC_DFR_CLUSTER:
		return (logical_id >> 4) == (mda >> 4) &&
		       (logical_id & mda & 0xf) != 0;
	default:
		/* A DFR model other than flat or cluster matches nothing. */
		return false;
	}
}

/*
 * The message destination address as the target sees it.  The broadcast
 * quirk turns an xAPIC broadcast from a non-IPI source (I/O APIC, MSI) into
 * an x2APIC broadcast for x2APIC targets, since such messages can't carry a
 * 32-bit destination without interrupt remapping.  IPIs (source != NULL)
 * are never rewritten; KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK turns the
 * quirk off for everything.
 */
static u32 kvm_apic_mda(struct kvm_vcpu *vcpu, unsigned int dest_id,
			struct kvm_lapic *source, struct kvm_lapic *target)
{
	bool ipi = source != NULL;

	if (!vcpu->kvm->arch.x2apic_broadcast_quirk_disabled && !ipi &&
	    dest_id == APIC_BROADCAST && apic_x2apic_mode(target))
		return X2APIC_BROADCAST;

	return dest_id;
}

bool kvm_apic_match_dest(struct kvm_vcpu *vcpu, struct kvm_lapic *source,
			 int shorthand, unsigned int dest, int dest_mode)
{
	struct kvm_lapic *target = vcpu->arch.apic;
	u32 mda = kvm_apic_mda(vcpu, dest, source, target);

	switch (shorthand) {
	case APIC_DEST_NOSHORT:
		if (dest_mode == APIC_DEST_PHYSICAL)
			return kvm_apic_match_physical_addr(target, mda);
		return kvm_apic_match_logical_addr(target, mda);
	case APIC_DEST_SELF:
		return target == source;
	case APIC_DEST_ALLINC:
		return true;
	case APIC_DEST_ALLBUT:
		return target != source;
	default:
		return false;
	}
}

/* ---- target selection ---- */

/* The (vector % dest_vcpus)-th set bit of bitmap: vector hashing. */
static int kvm_vector_to_index(u32 vector, u32 dest_vcpus,
			       const unsigned long *bitmap, u32 bitmap_size)
{
	u32 n = vector % dest_vcpus;

	for (u32 i = 0; i < bitmap_size; i++) {
		if (!vcpu_bitmap_test(bitmap, i))
			continue;
		if (!n--)
			return (int)i;
	}
	/* x2sim: a BUG_ON in KVM; the caller counted dest_vcpus bits. */
	WARN_ON_ONCE(1);
	return 0;
}

/*
 * The map's broadcast test.  With the broadcast quirk on, the broadcast ID
 * is the sender's: 0xFFFFFFFF for an x2APIC sender, 0xFF otherwise (so an
 * x2APIC sender's 0xFF is an ordinary ID for the map).  With the quirk off
 * 0xFF is a broadcast unless the VM's logical map is in x2APIC mode, where
 * 0xFF is cluster 0, CPUs 0-7.
 */
static bool kvm_apic_is_broadcast_dest(struct kvm *kvm, struct kvm_lapic **src,
				       struct kvm_lapic_irq *irq,
				       struct kvm_apic_map *map)
{
	if (kvm->arch.x2apic_broadcast_quirk_disabled) {
		if (irq->dest_id == APIC_BROADCAST &&
		    map->logical_mode != KVM_APIC_MODE_X2APIC)
			return true;
		if (irq->dest_id == X2APIC_BROADCAST)
			return true;
	} else {
		bool x2apic_ipi = src && *src && apic_x2apic_mode(*src);

		if (irq->dest_id ==
		    (x2apic_ipi ? X2APIC_BROADCAST : APIC_BROADCAST))
			return true;
	}

	return false;
}

static bool kvm_lowest_prio_delivery(struct kvm_lapic_irq *irq)
{
	return irq->delivery_mode == APIC_DM_LOWEST || irq->msi_redir_hint;
}

/* < 0 when vcpu1 wins a lowest-priority arbitration against vcpu2. */
int kvm_apic_compare_prio(struct kvm_vcpu *vcpu1, struct kvm_vcpu *vcpu2)
{
	return vcpu1->arch.apic_arb_prio - vcpu2->arch.apic_arb_prio;
}

/*
 * The map lookup.  Returns false when the map can't answer (a shorthand
 * other than self, no map, a broadcast, logical map disabled).  Returns true
 * with *bitmap selecting entries of *dst otherwise; an empty bitmap means
 * the interrupt goes nowhere (e.g. a physical ID above max_apic_id), and
 * NULL entries selected by the bitmap are skipped.  Lowest priority is
 * resolved here among the logical candidates: a physical destination has
 * only one.
 */
static bool kvm_apic_map_get_dest_lapic(struct kvm *kvm, struct kvm_lapic **src,
					struct kvm_lapic_irq *irq,
					struct kvm_apic_map *map,
					struct kvm_lapic ***dst,
					unsigned long *bitmap)
{
	int i, lowest;
	u16 mask;

	if (irq->shorthand == APIC_DEST_SELF && src) {
		*dst = src;
		*bitmap = 1;
		return true;
	} else if (irq->shorthand) {
		return false;
	}

	if (!map || kvm_apic_is_broadcast_dest(kvm, src, irq, map))
		return false;

	if (irq->dest_mode == APIC_DEST_PHYSICAL) {
		if (irq->dest_id > map->max_apic_id) {
			*bitmap = 0;
		} else {
			*dst = &map->phys_map[irq->dest_id];
			*bitmap = 1;
		}
		return true;
	}

	*bitmap = 0;
	if (!kvm_apic_map_get_logical_dest(map, irq->dest_id, dst, &mask))
		return false;
	*bitmap = mask;

	if (!kvm_lowest_prio_delivery(irq))
		return true;

	if (!kvm_vector_hashing_enabled_for(kvm)) {
		/* Lowest arbitration counter; the first one wins ties. */
		lowest = -1;
		for (i = 0; i < 16; i++) {
			if (!(*bitmap & (1UL << i)) || !(*dst)[i])
				continue;
			if (lowest < 0 ||
			    kvm_apic_compare_prio((*dst)[i]->vcpu,
						  (*dst)[lowest]->vcpu) < 0)
				lowest = i;
		}
	} else {
		if (!*bitmap)
			return true;

		/*
		 * Hash over the destination mask, holes included: a vector
		 * that lands on an empty slot is dropped.
		 */
		lowest = kvm_vector_to_index(
			irq->vector, __builtin_popcountl(*bitmap), bitmap, 16);
		if (!(*dst)[lowest]) {
			/* KVM logs "Disabled LAPIC found" once here. */
			*bitmap = 0;
			return true;
		}
	}

	*bitmap = lowest >= 0 ? 1UL << lowest : 0;
	return true;
}

/*
 * x2sim: the map as delivery reads it (KVM: rcu_dereference() of
 * kvm->arch.apic_map).  Every change that can move an APIC in the map
 * rebuilds it before it returns, where KVM calls kvm_recalculate_apic_map();
 * a map still dirty here is a writer that forgot, a bug a rebuild at
 * delivery would hide.  It is used as it is.
 */
static struct kvm_apic_map *x2s_apic_map_get(struct kvm *kvm)
{
	WARN_ON_ONCE(kvm->arch.apic_map_dirty);
	return kvm->arch.apic_map;
}

/* ---- delivery ---- */

/*
 * Deliver through the optimized map.  Returns false when the map can't
 * handle the interrupt (the caller must use the loop; nothing was done),
 * true when it did, with *r the number of APICs that accepted it.
 */
bool kvm_irq_delivery_to_apic_fast(struct kvm *kvm, struct kvm_lapic *src,
				   struct kvm_lapic_irq *irq, int *r,
				   struct dest_map *dest_map)
{
	struct kvm_lapic **dst = NULL;
	unsigned long bitmap;
	bool ret;

	*r = -1;

	if (irq->shorthand == APIC_DEST_SELF) {
		/* KVM_BUG_ON: a self IPI always has a sender. */
		if (WARN_ON_ONCE(!src)) {
			*r = 0;
			return true;
		}
		*r = kvm_apic_set_irq(src->vcpu, irq, dest_map);
		return true;
	}

	ret = kvm_apic_map_get_dest_lapic(kvm, &src, irq, x2s_apic_map_get(kvm),
					  &dst, &bitmap);
	if (ret) {
		*r = 0;
		/*
		 * The set bits only, lowest first (KVM's for_each_set_bit()):
		 * an IPI to an absent APIC ID has none to look at.
		 */
		for (unsigned long m = bitmap & 0xffffUL; m; m &= m - 1) {
			int i = __builtin_ctzl(m);

			if (dst[i])
				*r += kvm_apic_set_irq(dst[i]->vcpu, irq,
						       dest_map);
		}
	}
	return ret;
}

/*
 * Deliver an interrupt from src (NULL for non-IPI sources) to its
 * destinations: the map if it can, else every vCPU with a hardware-enabled
 * APIC whose destination matches, or for lowest priority the one winner
 * among the software-enabled matches.  Returns the number of APICs that
 * accepted it, or -1 when no APIC was a destination at all.
 */
int kvm_irq_delivery_to_apic(struct kvm *kvm, struct kvm_lapic *src,
			     struct kvm_lapic_irq *irq,
			     struct dest_map *dest_map)
{
	unsigned long i, dest_vcpu_bitmap[VCPU_BITMAP_LONGS];
	struct kvm_vcpu *vcpu, *lowest = NULL;
	unsigned int dest_vcpus = 0;
	int r = -1;

	if (kvm_irq_delivery_to_apic_fast(kvm, src, irq, &r, dest_map))
		return r;

	/* KVM logs "apic: phys broadcast and lowest prio" here. */
	if (irq->dest_mode == APIC_DEST_PHYSICAL && irq->dest_id == 0xff &&
	    kvm_lowest_prio_delivery(irq))
		irq->delivery_mode = APIC_DM_FIXED;

	memset(dest_vcpu_bitmap, 0, sizeof(dest_vcpu_bitmap));

	kvm_for_each_vcpu (i, vcpu, kvm) {
		if (!kvm_apic_present(vcpu))
			continue;

		if (!kvm_apic_match_dest(vcpu, src, (int)irq->shorthand,
					 irq->dest_id, irq->dest_mode))
			continue;

		if (!kvm_lowest_prio_delivery(irq)) {
			if (r < 0)
				r = 0;
			r += kvm_apic_set_irq(vcpu, irq, dest_map);
		} else if (kvm_apic_sw_enabled(vcpu->arch.apic)) {
			if (!kvm_vector_hashing_enabled_for(kvm)) {
				if (!lowest ||
				    kvm_apic_compare_prio(vcpu, lowest) < 0)
					lowest = vcpu;
			} else {
				vcpu_bitmap_set(dest_vcpu_bitmap,
						(unsigned int)i);
				dest_vcpus++;
			}
		}
	}

	if (dest_vcpus) {
		int idx = kvm_vector_to_index(irq->vector, dest_vcpus,
					      dest_vcpu_bitmap, KVM_MAX_VCPUS);

		lowest = kvm_get_vcpu(kvm, idx);
	}

	if (lowest)
		r = kvm_apic_set_irq(lowest, irq, dest_map);

	return r;
}

/* ---- x2sim: receivers without delivery, for the verifier ---- */

int x2s_apic_map_receivers(struct kvm *kvm, struct kvm_lapic *src,
			   struct kvm_lapic_irq *irq, unsigned long *receivers)
{
	struct kvm_lapic **dst = NULL;
	unsigned long bitmap;
	int n = 0;

	memset(receivers, 0, sizeof(unsigned long) * VCPU_BITMAP_LONGS);

	/* As kvm_irq_delivery_to_apic_fast(): the sender, without the map. */
	if (irq->shorthand == APIC_DEST_SELF) {
		if (!src)
			return 0;
		vcpu_bitmap_set(receivers, (unsigned int)src->vcpu->vcpu_idx);
		return 1;
	}

	if (!kvm_apic_map_get_dest_lapic(kvm, &src, irq, x2s_apic_map_get(kvm),
					 &dst, &bitmap))
		return -1;

	for (int i = 0; i < 16; i++) {
		if (!(bitmap & (1UL << i)) || !dst[i])
			continue;
		vcpu_bitmap_set(receivers,
				(unsigned int)dst[i]->vcpu->vcpu_idx);
		n++;
	}
	return n;
}

/*
 * The loop of kvm_irq_delivery_to_apic() with the deliveries left out
 * (test_map_vs_loop.c checks the two agree).
 */
int x2s_apic_loop_receivers(struct kvm *kvm, struct kvm_lapic *src,
			    struct kvm_lapic_irq *irq, unsigned long *receivers)
{
	unsigned long i, hashed[VCPU_BITMAP_LONGS];
	struct kvm_vcpu *vcpu, *lowest = NULL;
	/* The loop may rewrite the delivery mode; keep the caller's irq. */
	struct kvm_lapic_irq copy = *irq;
	unsigned int dest_vcpus = 0;
	int n = 0;

	if (copy.dest_mode == APIC_DEST_PHYSICAL && copy.dest_id == 0xff &&
	    kvm_lowest_prio_delivery(&copy))
		copy.delivery_mode = APIC_DM_FIXED;

	memset(receivers, 0, sizeof(unsigned long) * VCPU_BITMAP_LONGS);
	memset(hashed, 0, sizeof(hashed));

	kvm_for_each_vcpu (i, vcpu, kvm) {
		if (!kvm_apic_present(vcpu) ||
		    !kvm_apic_match_dest(vcpu, src, (int)copy.shorthand,
					 copy.dest_id, copy.dest_mode))
			continue;
		if (!kvm_lowest_prio_delivery(&copy)) {
			vcpu_bitmap_set(receivers, (unsigned int)i);
			n++;
		} else if (kvm_apic_sw_enabled(vcpu->arch.apic)) {
			if (!kvm_vector_hashing_enabled_for(kvm)) {
				if (!lowest ||
				    kvm_apic_compare_prio(vcpu, lowest) < 0)
					lowest = vcpu;
			} else {
				vcpu_bitmap_set(hashed, (unsigned int)i);
				dest_vcpus++;
			}
		}
	}

	if (dest_vcpus)
		lowest = kvm_get_vcpu(
			kvm, kvm_vector_to_index(copy.vector, dest_vcpus,
						 hashed, KVM_MAX_VCPUS));
	if (lowest) {
		vcpu_bitmap_set(receivers, (unsigned int)lowest->vcpu_idx);
		n++;
	}
	return n;
}

/* ---- acceptance ---- */

/*
 * vmx_deliver_interrupt(): with APICv the vector is posted in the PIR and
 * the vCPU notified once per ON transition; without it, IRR, an event
 * request and a kick.
 */
static void apic_deliver_interrupt(struct kvm_lapic *apic, int vector)
{
	struct kvm_vcpu *vcpu = apic->vcpu;

	/*
	 * x2sim: nested posted interrupts (a vector equal to L1's posted
	 * interrupt notification vector while in L2) are not modelled.
	 */
	if (apic->apicv_active) {
		struct pi_desc *pi = &to_vmx(vcpu)->pi_desc;
		u32 bit = 1u << (vector % 32);

		if (pi->pir[vector / 32] & bit)
			return;
		pi->pir[vector / 32] |= bit;
		if (pi->on)
			return;
		pi->on = true;
		/*
		 * x2sim: kvm_vcpu_trigger_posted_interrupt() sends the
		 * notification IPI or wakes the vCPU; both are a kick here.
		 */
		kvm_vcpu_kick(vcpu);
		return;
	}

	kvm_apic_set_irr_vector(apic, vector);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	kvm_vcpu_kick(vcpu);
}

static void apic_set_tmr(struct kvm_lapic *apic, int vector, bool level)
{
	int reg = APIC_TMR + (vector / 32) * 0x10;
	u32 bit = 1u << (vector % 32);
	u32 val = kvm_lapic_get_reg(apic, reg);

	if (!!(val & bit) == level)
		return;
	kvm_lapic_set_reg(apic, reg, level ? val | bit : val & ~bit);
}

static const char *const apic_dm_names[8] = {
	"Fixed", "LowPrio", "SMI", "RemRd", "NMI", "INIT", "SIPI", "ExtINT",
};

/*
 * KVM's acceptance table.  Returns 1 when the interrupt was taken, 0 when
 * it was discarded.
 *
 * No ESR: vectors 0-15 are illegal for fixed/lowest on real hardware (send
 * or receive accept error), but KVM accepts them like any other vector.
 */
static int __apic_accept_irq(struct kvm_lapic *apic, int delivery_mode,
			     int vector, int level, int trig_mode,
			     struct dest_map *dest_map)
{
	struct kvm_vcpu *vcpu = apic->vcpu;
	int result = 0;

	if (x2s_trace_enabled())
		x2s_trace("kvm_apic_accept_irq: apicid %x vec %u (%s|%s)",
			  vcpu->vcpu_id, vector,
			  apic_dm_names[(delivery_mode >> 8) & 7],
			  trig_mode ? "level" : "edge");

	switch (delivery_mode) {
	case APIC_DM_LOWEST:
		/* Counted even if the interrupt is then dropped below. */
		vcpu->arch.apic_arb_prio++;
		/* fallthrough */
	case APIC_DM_FIXED:
		/* A level-triggered de-assert carries no interrupt. */
		if (trig_mode && !level)
			break;

		/*
		 * A hardware- or software-disabled APIC drops it silently;
		 * no error is logged anywhere.
		 */
		if (!apic_enabled(apic))
			break;

		result = 1;

		if (dest_map) {
			dest_map->map[vcpu->vcpu_id / BITS_PER_LONG] |=
				1UL << (vcpu->vcpu_id % BITS_PER_LONG);
			dest_map->vectors[vcpu->vcpu_id] = (u8)vector;
		}

		apic_set_tmr(apic, vector, trig_mode);
		apic_deliver_interrupt(apic, vector);
		break;

	case APIC_DM_REMRD:
		/* KVM reuses remote read as the PV unhalt kick. */
		result = 1;
		vcpu->arch.pv.pv_unhalted = true;
		kvm_make_request(KVM_REQ_EVENT, vcpu);
		kvm_vcpu_kick(vcpu);
		break;

	case APIC_DM_SMI:
		/* kvm_inject_smi(): the vCPU raises smi_pending at entry. */
		kvm_make_request(KVM_REQ_SMI, vcpu);
		kvm_vcpu_kick(vcpu);
		result = 1;
		break;

	case APIC_DM_NMI:
		/*
		 * Taken even by a software-disabled APIC.
		 * x2sim: KVM counts into nmi_queued and process_nmi() moves
		 * that into nmi_pending (capped) at entry; the model counts
		 * into nmi_pending directly.
		 */
		result = 1;
		vcpu->arch.nmi_pending++;
		kvm_make_request(KVM_REQ_NMI, vcpu);
		kvm_vcpu_kick(vcpu);
		break;

	case APIC_DM_INIT:
		/* INIT level de-assert (arbitration ID sync) is ignored. */
		if (!trig_mode || level) {
			result = 1;
			/* A new INIT supersedes a pending SIPI. */
			apic->pending_events = 1UL << KVM_APIC_INIT;
			kvm_make_request(KVM_REQ_EVENT, vcpu);
			kvm_vcpu_kick(vcpu);
		}
		break;

	case APIC_DM_STARTUP:
		/* Acted on only in INIT_RECEIVED (kvm_apic_accept_events). */
		result = 1;
		apic->sipi_vector = (unsigned int)vector;
		apic->pending_events |= 1UL << KVM_APIC_SIPI;
		kvm_make_request(KVM_REQ_EVENT, vcpu);
		kvm_vcpu_kick(vcpu);
		break;

	case APIC_DM_EXTINT:
		/* Only the PIC, through LINT0, delivers ExtINT in KVM. */
		break;

	default:
		/* KVM prints "TODO: unsupported delivery mode". */
		break;
	}
	return result;
}

int kvm_apic_local_deliver(struct kvm_lapic *apic, int lvt_type)
{
	u32 reg = kvm_lapic_get_reg(apic, lvt_type);
	int r;

	if (!kvm_apic_hw_enabled(apic) || (reg & APIC_LVT_MASKED))
		return 0;
	r = __apic_accept_irq(apic, (int)(reg & APIC_MODE_MASK),
			      (int)(reg & APIC_VECTOR_MASK), 1,
			      (int)(reg & APIC_LVT_LEVEL_TRIGGER), NULL);
	/* An Intel guest's PMI masks LVTPC once taken. */
	if (r && lvt_type == APIC_LVTPC)
		kvm_lapic_set_reg(apic, APIC_LVTPC, reg | APIC_LVT_MASKED);
	return r;
}

int kvm_apic_set_irq(struct kvm_vcpu *vcpu, struct kvm_lapic_irq *irq,
		     struct dest_map *dest_map)
{
	return __apic_accept_irq(vcpu->arch.apic, irq->delivery_mode,
				 (int)irq->vector, irq->level, irq->trig_mode,
				 dest_map);
}

/* ---- ICR -> IPI ---- */

void kvm_icr_to_lapic_irq(struct kvm_lapic *apic, u32 icr_low, u32 icr_high,
			  struct kvm_lapic_irq *irq)
{
	/* Delivery is instant in KVM: callers clear BUSY before sending. */
	WARN_ON_ONCE(icr_low & APIC_ICR_BUSY);

	irq->vector = icr_low & APIC_VECTOR_MASK;
	irq->delivery_mode = icr_low & APIC_MODE_MASK;
	irq->dest_mode = icr_low & APIC_DEST_MASK;
	irq->level = (icr_low & APIC_INT_ASSERT) != 0;
	irq->trig_mode = icr_low & APIC_INT_LEVELTRIG;
	irq->shorthand = icr_low & APIC_SHORT_MASK;
	irq->msi_redir_hint = false;
	if (apic_x2apic_mode(apic))
		irq->dest_id = icr_high;
	else
		irq->dest_id = GET_XAPIC_DEST_FIELD(icr_high);
}

void kvm_apic_send_ipi(struct kvm_lapic *apic, u32 icr_low, u32 icr_high)
{
	struct kvm_lapic_irq irq;

	kvm_icr_to_lapic_irq(apic, icr_low, icr_high, &irq);

	x2s_trace_apic_ipi(icr_low, irq.dest_id);

	kvm_irq_delivery_to_apic(apic->vcpu->kvm, apic, &irq, NULL);
}
