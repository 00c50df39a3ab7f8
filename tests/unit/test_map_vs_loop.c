// SPDX-License-Identifier: GPL-2.0-only
/*
 * The optimized APIC map against the slow loop, receiver set by receiver
 * set, over every destination class, delivery mode and shorthand of a set
 * of VM configurations.
 *
 * The two are not equivalent everywhere, and KVM's answer is the map's
 * whenever the map handles an interrupt (docs/map-vs-loop.md).  Each known
 * divergence has a named class with a predicate that explains it; the test
 * fails on a divergence no class explains, and on a class a configuration
 * is expected to show that no longer occurs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "lapic/lapic.h"

#define NLONGS (KVM_MAX_VCPUS / BITS_PER_LONG)

enum divergence {
	/* Physical 0xFF: an xAPIC-mode target reads it as broadcast. */
	MIXED_MODE_PHYS_0XFF,
	/* Logical 0xFF: the same for logical destinations. */
	MIXED_MODE_LOGICAL_0XFF,
	/* x2APIC logical clusters come from phys_map, xAPIC vCPUs too. */
	X2APIC_LOGICAL_REACHES_XAPIC_VCPU,
	/* Logical map "software-disabled": nobody, NMI/INIT included. */
	ALL_SW_DISABLED_LOGICAL,
	/* xAPIC logical map leaves sw-disabled APICs out. */
	SW_DISABLED_XAPIC_LOGICAL,
	/* x2apic_format: the first vCPU with an xAPIC ID owns it. */
	ALIASED_PHYS_ID_FIRST_WINS,
	/* Hotplug hack in the loop only without x2apic_format. */
	HOTPLUG_HACK_NO_X2APIC_FORMAT,
	/* Lowest priority: map hashes onto an empty slot of the mask. */
	LOWEST_HASH_HOLE,
	/*
	 * Lowest priority: map and loop pick from different candidate lists
	 * (slots of the destination mask in slot order, holes counted, vs
	 * software-enabled matches in vCPU order).
	 */
	LOWEST_CANDIDATE_LIST,
	/* Lowest priority: map picks a sw-disabled x2APIC cluster member. */
	LOWEST_PICKS_SW_DISABLED,
	/* Lowest priority, physical: map has no candidate check. */
	LOWEST_PHYS_SW_DISABLED,
	/* Lowest priority, self: map delivers to a sw-disabled sender. */
	SELF_LOWEST_SW_DISABLED,
	NR_DIVERGENCES,
	UNCLASSIFIED = NR_DIVERGENCES,
};

static const char *const div_names[NR_DIVERGENCES + 1] = {
	"MIXED_MODE_PHYS_0XFF",
	"MIXED_MODE_LOGICAL_0XFF",
	"X2APIC_LOGICAL_REACHES_XAPIC_VCPU",
	"ALL_SW_DISABLED_LOGICAL",
	"SW_DISABLED_XAPIC_LOGICAL",
	"ALIASED_PHYS_ID_FIRST_WINS",
	"HOTPLUG_HACK_NO_X2APIC_FORMAT",
	"LOWEST_HASH_HOLE",
	"LOWEST_CANDIDATE_LIST",
	"LOWEST_PICKS_SW_DISABLED",
	"LOWEST_PHYS_SW_DISABLED",
	"SELF_LOWEST_SW_DISABLED",
	"UNCLASSIFIED",
};

#define B(c) (1u << (c))

/* ---- configurations ---- */

struct config {
	const char *name;
	unsigned int nr_vcpus;
	struct x2s_vm *(*build)(void);
	/* Senders to try; ~0u ends the list, empty = every vCPU. */
	unsigned int senders[4];
	unsigned int expect;
};

static struct x2s_vm *new_vm(unsigned int n, enum x2s_apic_mode mode,
			     bool hashing, bool x2apic_format,
			     bool quirk_disabled, bool sw_enabled)
{
	struct x2s_vm_config cfg;

	x2s_vm_config_init(&cfg, n);
	cfg.apic_mode = mode;
	cfg.vector_hashing = hashing;
	cfg.x2apic_format = x2apic_format;
	cfg.broadcast_quirk_disabled = quirk_disabled;
	cfg.sw_enabled = sw_enabled;
	return test_vm_new_cfg(&cfg);
}

/* Switch vCPU i to xAPIC with the given ID and LDR (flat DFR). */
static void make_xapic(struct x2s_vm *vm, unsigned int i, u8 id, u32 ldr)
{
	assert_ok(x2s_vcpu_set_apic_mode(vm, i, X2S_APIC_MODE_XAPIC));
	assert_ok(x2s_vcpu_set_xapic_id(vm, i, id));
	assert_ok(x2s_vcpu_set_ldr(vm, i, ldr << 24));
}

static struct x2s_vm *build_x2apic_4(void)
{
	return new_vm(4, X2S_APIC_MODE_X2APIC, true, false, false, true);
}

static struct x2s_vm *build_x2apic_4_no_hashing(void)
{
	struct x2s_vm *vm =
		new_vm(4, X2S_APIC_MODE_X2APIC, false, false, false, true);

	for (unsigned int i = 0; i < 4; i++)
		x2s_vm_vcpu(vm, i)->arch.apic_arb_prio = (int)(7 - i) % 3;
	return vm;
}

static struct x2s_vm *build_x2apic_one_sw_disabled(void)
{
	struct x2s_vm *vm = build_x2apic_4();

	assert_ok(x2s_vcpu_set_sw_enabled(vm, 1, false));
	return vm;
}

static struct x2s_vm *build_x2apic_all_sw_disabled(void)
{
	return new_vm(4, X2S_APIC_MODE_X2APIC, true, false, false, false);
}

static struct x2s_vm *build_xapic_flat(bool reversed)
{
	struct x2s_vm *vm =
		new_vm(4, X2S_APIC_MODE_XAPIC, true, false, false, true);

	for (unsigned int i = 0; i < 4; i++)
		assert_ok(x2s_vcpu_set_ldr(
			vm, i, (1u << (reversed ? 3 - i : i)) << 24));
	return vm;
}

static struct x2s_vm *build_xapic_flat_4(void)
{
	return build_xapic_flat(false);
}

static struct x2s_vm *build_xapic_flat_reversed(void)
{
	return build_xapic_flat(true);
}

static struct x2s_vm *build_xapic_flat_one_sw_disabled(void)
{
	struct x2s_vm *vm = build_xapic_flat(false);

	assert_ok(x2s_vcpu_set_sw_enabled(vm, 2, false));
	return vm;
}

static struct x2s_vm *build_xapic_cluster_4(void)
{
	struct x2s_vm *vm =
		new_vm(4, X2S_APIC_MODE_XAPIC, true, false, false, true);
	static const u32 ldr[4] = { 0x11, 0x12, 0x21, 0x22 };

	for (unsigned int i = 0; i < 4; i++) {
		assert_ok(x2s_vcpu_set_dfr(vm, i, APIC_DFR_CLUSTER));
		assert_ok(x2s_vcpu_set_ldr(vm, i, ldr[i] << 24));
	}
	return vm;
}

/* x2APIC vCPUs 0, 1; xAPIC vCPU 2 (ID 9, LDR 0): logical map is x2APIC. */
static struct x2s_vm *build_mixed_x2apic_logical(void)
{
	struct x2s_vm *vm = build_x2apic_4();

	make_xapic(vm, 2, 9, 0);
	assert_ok(x2s_vcpu_set_apic_mode(vm, 3, X2S_APIC_MODE_DISABLED));
	return vm;
}

/* x2APIC vCPU 0, xAPIC vCPU 1 (ID 5, flat LDR 2): logical map disabled. */
static struct x2s_vm *build_mixed_logical_disabled(void)
{
	struct x2s_vm *vm =
		new_vm(2, X2S_APIC_MODE_X2APIC, true, false, false, true);

	make_xapic(vm, 1, 5, 0x02);
	return vm;
}

static struct x2s_vm *build_mixed_quirk_disabled(void)
{
	struct x2s_vm *vm =
		new_vm(4, X2S_APIC_MODE_X2APIC, true, false, true, true);

	make_xapic(vm, 3, 3, 0);
	return vm;
}

static struct x2s_vm *build_aliased(bool x2apic_format)
{
	struct x2s_vm *vm = new_vm(3, X2S_APIC_MODE_XAPIC, true, x2apic_format,
				   false, true);

	assert_ok(x2s_vcpu_set_xapic_id(vm, 1, 5));
	assert_ok(x2s_vcpu_set_xapic_id(vm, 2, 5));
	return vm;
}

static struct x2s_vm *build_aliased_xapic(void)
{
	return build_aliased(false);
}

static struct x2s_vm *build_aliased_x2apic_format(void)
{
	return build_aliased(true);
}

/* 257 vCPUs; vCPU 100 disabled; vCPU 256 in xAPIC mode with xAPIC ID 100. */
static struct x2s_vm *build_hotplug(void)
{
	struct x2s_vm *vm =
		new_vm(257, X2S_APIC_MODE_X2APIC, true, false, false, true);

	assert_ok(x2s_vcpu_set_apic_mode(vm, 100, X2S_APIC_MODE_DISABLED));
	make_xapic(vm, 256, 100, 0);
	return vm;
}

#define ALL_SENDERS \
	{           \
		0   \
	}
#define SENDERS(...)             \
	{                        \
		__VA_ARGS__, ~0u \
	}

static const struct config configs[] = {
	{ "x2apic_4", 4, build_x2apic_4, ALL_SENDERS,
	  B(LOWEST_HASH_HOLE) | B(LOWEST_CANDIDATE_LIST) },
	{ "x2apic_4_no_hashing", 4, build_x2apic_4_no_hashing, ALL_SENDERS, 0 },
	{ "x2apic_one_sw_disabled", 4, build_x2apic_one_sw_disabled,
	  ALL_SENDERS,
	  B(LOWEST_HASH_HOLE) | B(LOWEST_CANDIDATE_LIST) |
		  B(LOWEST_PICKS_SW_DISABLED) | B(LOWEST_PHYS_SW_DISABLED) |
		  B(SELF_LOWEST_SW_DISABLED) },
	{ "x2apic_all_sw_disabled", 4, build_x2apic_all_sw_disabled,
	  ALL_SENDERS,
	  B(ALL_SW_DISABLED_LOGICAL) | B(LOWEST_PHYS_SW_DISABLED) |
		  B(SELF_LOWEST_SW_DISABLED) },
	{ "xapic_flat_4", 4, build_xapic_flat_4, ALL_SENDERS,
	  B(LOWEST_HASH_HOLE) | B(LOWEST_CANDIDATE_LIST) },
	{ "xapic_flat_reversed", 4, build_xapic_flat_reversed, ALL_SENDERS,
	  B(LOWEST_HASH_HOLE) | B(LOWEST_CANDIDATE_LIST) },
	{ "xapic_flat_one_sw_disabled", 4, build_xapic_flat_one_sw_disabled,
	  ALL_SENDERS,
	  B(SW_DISABLED_XAPIC_LOGICAL) | B(LOWEST_HASH_HOLE) |
		  B(LOWEST_CANDIDATE_LIST) | B(LOWEST_PHYS_SW_DISABLED) |
		  B(SELF_LOWEST_SW_DISABLED) },
	{ "xapic_cluster_4", 4, build_xapic_cluster_4, ALL_SENDERS,
	  B(LOWEST_HASH_HOLE) },
	{ "mixed_x2apic_logical", 4, build_mixed_x2apic_logical, SENDERS(0, 2),
	  B(MIXED_MODE_PHYS_0XFF) | B(MIXED_MODE_LOGICAL_0XFF) |
		  B(X2APIC_LOGICAL_REACHES_XAPIC_VCPU) | B(LOWEST_HASH_HOLE) |
		  B(LOWEST_CANDIDATE_LIST) },
	{ "mixed_logical_disabled", 2, build_mixed_logical_disabled,
	  ALL_SENDERS, B(MIXED_MODE_PHYS_0XFF) },
	/*
	 * Quirk off: logical 0xFF is cluster 0 for the x2APIC logical map,
	 * which holds the xAPIC vCPU by its xAPIC ID, so the map and the
	 * loop (broadcast for that vCPU) agree on it.
	 */
	{ "mixed_quirk_disabled", 4, build_mixed_quirk_disabled, ALL_SENDERS,
	  B(MIXED_MODE_PHYS_0XFF) | B(X2APIC_LOGICAL_REACHES_XAPIC_VCPU) |
		  B(LOWEST_HASH_HOLE) | B(LOWEST_CANDIDATE_LIST) },
	{ "aliased_xapic", 3, build_aliased_xapic, ALL_SENDERS, 0 },
	{ "aliased_x2apic_format", 3, build_aliased_x2apic_format, ALL_SENDERS,
	  B(ALIASED_PHYS_ID_FIRST_WINS) },
	/* Every cluster slot the destinations name is populated: no holes. */
	{ "hotplug_257", 257, build_hotplug, SENDERS(0, 255, 256),
	  B(MIXED_MODE_PHYS_0XFF) | B(MIXED_MODE_LOGICAL_0XFF) |
		  B(X2APIC_LOGICAL_REACHES_XAPIC_VCPU) |
		  B(HOTPLUG_HACK_NO_X2APIC_FORMAT) | B(LOWEST_CANDIDATE_LIST) },
};

#define NR_CONFIGS (sizeof(configs) / sizeof(configs[0]))

/* ---- the enumeration ---- */

static const u32 fixed_dests[] = {
	0x1,	 0x3,	  0x5,	   0xF,	    0x11,     0x13,	  0x22,
	0x2F,	 0xFF,	  0x100,   0x101,   0xFFFF,   0x10001,	  0x1000F,
	0x1FFFF, 0x60010, 0xFFFFE, 0xFFFFF, 0x1F8000, 0xFFFFFFFE, 0xFFFFFFFF,
};

static const u32 delivery_modes[] = {
	APIC_DM_FIXED, APIC_DM_SMI,	APIC_DM_REMRD,	APIC_DM_NMI,
	APIC_DM_INIT,  APIC_DM_STARTUP, APIC_DM_EXTINT, APIC_DM_LOWEST,
};

static const u32 shorthands[] = {
	APIC_DEST_NOSHORT,
	APIC_DEST_SELF,
	APIC_DEST_ALLINC,
	APIC_DEST_ALLBUT,
};

/* Destination classes: every present ID, an absent one, above max, ... */
static unsigned int dest_classes(struct x2s_vm *vm, u32 *out)
{
	struct kvm *kvm = x2s_vm_kvm(vm);
	unsigned int n = 0;

	for (unsigned int i = 0; i < x2s_vm_nr_vcpus(vm); i++) {
		struct kvm_vcpu *vcpu = x2s_vm_vcpu(vm, i);

		if (!kvm_apic_present(vcpu))
			continue;
		out[n++] = apic_x2apic_mode(vcpu->arch.apic) ?
				   kvm_x2apic_id(vcpu->arch.apic) :
				   kvm_xapic_id(vcpu->arch.apic);
	}
	out[n++] = 0x7e; /* absent in every configuration */
	out[n++] = kvm->arch.apic_map ? kvm->arch.apic_map->max_apic_id + 1 :
					0x1000;
	for (unsigned int i = 0; i < sizeof(fixed_dests) / sizeof(u32); i++)
		out[n++] = fixed_dests[i];
	return n;
}

static bool bit(const unsigned long *m, unsigned int i)
{
	return m[i / BITS_PER_LONG] & (1UL << (i % BITS_PER_LONG));
}

static unsigned int first_bit(const unsigned long *m, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (bit(m, i))
			return i;
	return ~0u;
}

/* Why vCPU v is a receiver of one implementation only. */
static enum divergence vcpu_reason(struct kvm *kvm, struct kvm_lapic_irq *irq,
				   struct kvm_vcpu *v, bool in_map)
{
	struct kvm_apic_map *map = kvm->arch.apic_map;
	struct kvm_lapic *apic = v->arch.apic;
	bool phys = irq->dest_mode == APIC_DEST_PHYSICAL;
	bool xapic = !apic_x2apic_mode(apic);

	if (in_map) {
		if (!phys && xapic && map->logical_mode == KVM_APIC_MODE_X2APIC)
			return X2APIC_LOGICAL_REACHES_XAPIC_VCPU;
		return UNCLASSIFIED;
	}
	if (xapic && irq->dest_id == 0xFF)
		return phys ? MIXED_MODE_PHYS_0XFF : MIXED_MODE_LOGICAL_0XFF;
	if (!phys && map->logical_mode == KVM_APIC_MODE_SW_DISABLED)
		return ALL_SW_DISABLED_LOGICAL;
	if (!phys && xapic && !kvm_apic_sw_enabled(apic))
		return SW_DISABLED_XAPIC_LOGICAL;
	if (phys && xapic && kvm->arch.x2apic_format &&
	    irq->dest_id == kvm_xapic_id(apic) &&
	    map->phys_map[irq->dest_id] != apic)
		return ALIASED_PHYS_ID_FIRST_WINS;
	if (phys && xapic && !kvm->arch.x2apic_format && irq->dest_id > 0xff &&
	    irq->dest_id == (u32)v->vcpu_id)
		return HOTPLUG_HACK_NO_X2APIC_FORMAT;
	return UNCLASSIFIED;
}

/* Returns a bitmask of classes; B(UNCLASSIFIED) when unexplained. */
static unsigned int classify(struct kvm *kvm, struct kvm_lapic *src,
			     struct kvm_lapic_irq *irq, const unsigned long *m,
			     const unsigned long *l, int nm, int nl)
{
	unsigned int n = (unsigned int)kvm->online_vcpus, cls = 0;
	bool lowest =
		irq->delivery_mode == APIC_DM_LOWEST &&
		!(irq->dest_mode == APIC_DEST_PHYSICAL && irq->dest_id == 0xFF);

	if (lowest && nm <= 1 && nl <= 1) {
		unsigned int mv = first_bit(m, n), lv = first_bit(l, n);
		struct kvm_vcpu *v = nm ? kvm->vcpus[mv] : NULL;

		if (irq->shorthand == APIC_DEST_SELF)
			return nm && !nl && !kvm_apic_sw_enabled(v->arch.apic) ?
				       B(SELF_LOWEST_SW_DISABLED) :
				       B(UNCLASSIFIED);
		if (irq->dest_mode == APIC_DEST_PHYSICAL) {
			if (nm && !nl && !kvm_apic_sw_enabled(v->arch.apic))
				return B(LOWEST_PHYS_SW_DISABLED);
			/* The loop's pick is a vCPU the map does not have. */
			if (nl && (!nm || mv != lv))
				return B(vcpu_reason(kvm, irq, kvm->vcpus[lv],
						     false));
			return B(UNCLASSIFIED);
		}
		if (!nm && nl)
			return B(LOWEST_HASH_HOLE);
		if (nm && !kvm_apic_sw_enabled(v->arch.apic))
			return B(LOWEST_PICKS_SW_DISABLED);
		/* The map's pick is a vCPU the loop does not match. */
		if (nm && !nl)
			return B(vcpu_reason(kvm, irq, v, true));
		if (nm && nl && mv != lv)
			return B(LOWEST_CANDIDATE_LIST);
		return B(UNCLASSIFIED);
	}

	for (unsigned int i = 0; i < n; i++) {
		if (bit(m, i) == bit(l, i))
			continue;
		cls |= B(vcpu_reason(kvm, irq, kvm->vcpus[i], bit(m, i)));
	}
	return cls;
}

static void print_set(char *buf, size_t len, const unsigned long *s,
		      unsigned int n)
{
	size_t o = 0;

	buf[0] = 0;
	for (unsigned int i = 0; i < n && o + 8 < len; i++)
		if (bit(s, i))
			o += (size_t)snprintf(buf + o, len - o, "%s%u",
					      o ? "," : "", i);
}

struct tally {
	unsigned long handled, declined, divergent;
	unsigned long count[NR_DIVERGENCES + 1];
	bool shown[NR_DIVERGENCES + 1];
	bool quiet;
};

/*
 * Run fn on every case of a configuration: each sender, destination class,
 * destination mode, shorthand and delivery mode (lowest priority with
 * several vectors).
 */
static void for_each_case(struct x2s_vm *vm, const struct config *c,
			  void (*fn)(struct x2s_vm *vm, const struct config *c,
				     unsigned int sender,
				     struct kvm_lapic_irq *irq, void *opaque),
			  void *opaque)
{
	u32 *dests = calloc(KVM_MAX_VCPUS + 64, sizeof(u32));
	unsigned int nd = dest_classes(vm, dests);

	for (unsigned int si = 0; si < c->nr_vcpus; si++) {
		unsigned int sender = si;
		struct kvm_lapic *src;

		if (c->senders[0] || c->senders[1]) {
			if (si >= 4 || c->senders[si] == ~0u)
				break;
			sender = c->senders[si];
		}
		if (!kvm_apic_present(x2s_vm_vcpu(vm, sender)))
			continue;
		src = test_apic(vm, sender);

		for (unsigned int d = 0; d < nd; d++)
			for (u32 dm = 0; dm < 2; dm++)
				for (unsigned int s = 0; s < 4; s++)
					for (unsigned int m = 0; m < 8; m++) {
						unsigned int nvec =
							m == 7 ? 5 : 1;

						for (unsigned int v = 0;
						     v < nvec; v++) {
							u32 low =
								delivery_modes
									[m] |
								(dm ? APIC_DEST_LOGICAL :
								      0) |
								shorthands[s] |
								APIC_INT_ASSERT |
								(0x40 + v);
							u32 high =
								apic_x2apic_mode(
									src) ?
									dests[d] :
									dests[d]
										<< 24;
							struct kvm_lapic_irq
								irq;

							kvm_icr_to_lapic_irq(
								src, low, high,
								&irq);
							fn(vm, c, sender, &irq,
							   opaque);
						}
					}
	}
	free(dests);
}

static void compare_case(struct x2s_vm *vm, const struct config *c,
			 unsigned int sender, struct kvm_lapic_irq *irq,
			 void *opaque)
{
	struct tally *t = opaque;
	struct kvm *kvm = x2s_vm_kvm(vm);
	struct kvm_lapic *src = test_apic(vm, sender);
	unsigned long m[NLONGS], l[NLONGS];
	int nm, nl;
	unsigned int cls;

	nm = x2s_apic_map_receivers(kvm, src, irq, m);
	if (nm < 0) {
		t->declined++;
		return;
	}
	t->handled++;
	nl = x2s_apic_loop_receivers(kvm, src, irq, l);
	assert_true(nl >= 0);
	if (!memcmp(m, l, sizeof(m)))
		return;

	t->divergent++;
	cls = classify(kvm, src, irq, m, l, nm, nl);
	for (unsigned int k = 0; k <= NR_DIVERGENCES; k++) {
		char ms[256], ls[256];

		if (!(cls & B(k)))
			continue;
		t->count[k]++;
		if (t->quiet || (t->shown[k] && k != UNCLASSIFIED))
			continue;
		t->shown[k] = true;
		print_set(ms, sizeof(ms), m, (unsigned int)kvm->online_vcpus);
		print_set(ls, sizeof(ls), l, (unsigned int)kvm->online_vcpus);
		print_message("  %-34s %s: sender %u dm %#x %s sh %#x "
			      "vec %#x dest %#x: map {%s} loop {%s}\n",
			      div_names[k], c->name, sender, irq->delivery_mode,
			      irq->dest_mode ? "logical" : "physical",
			      irq->shorthand, irq->vector, irq->dest_id, ms,
			      ls);
	}
}

static void test_map_vs_loop_divergences_are_classified(void **state)
{
	bool failed = false;

	for (unsigned int ci = 0; ci < NR_CONFIGS; ci++) {
		const struct config *c = &configs[ci];
		struct x2s_vm *vm = c->build();
		struct tally *t = calloc(1, sizeof(*t));
		unsigned int seen = 0;

		assert_non_null(t);
		for_each_case(vm, c, compare_case, t);
		for (unsigned int k = 0; k < NR_DIVERGENCES; k++)
			if (t->count[k])
				seen |= B(k);
		print_message("%s: %lu handled by the map, %lu declined, "
			      "%lu divergent\n",
			      c->name, t->handled, t->declined, t->divergent);
		if (t->count[UNCLASSIFIED]) {
			print_error("%s: %lu unclassified divergences\n",
				    c->name, t->count[UNCLASSIFIED]);
			failed = true;
		}
		for (unsigned int k = 0; k < NR_DIVERGENCES; k++) {
			if ((c->expect & B(k)) && !(seen & B(k))) {
				print_error(
					"%s: expected %s no longer occurs\n",
					c->name, div_names[k]);
				failed = true;
			}
			if (!(c->expect & B(k)) && (seen & B(k))) {
				print_error("%s: %s occurs (%lu) but is not "
					    "expected here\n",
					    c->name, div_names[k], t->count[k]);
				failed = true;
			}
		}
		assert_no_warn();
		free(t);
		x2s_vm_destroy(vm);
	}
	if (failed)
		fail_msg("map vs loop: see the lines above");
}

/* ---- the helpers see what delivery does ---- */

struct observe {
	int *prio;
	unsigned long cases;
};

/*
 * Deliver for real and compare who was touched with the receivers of the
 * implementation KVM uses (the map when it handles the case, else the
 * loop).  NMI shows every receiver in nmi_pending; lowest priority shows
 * its one receiver by the arbitration counter going up.
 */
static void delivery_case(struct x2s_vm *vm, const struct config *c,
			  unsigned int sender, struct kvm_lapic_irq *irq,
			  void *opaque)
{
	struct observe *o = opaque;
	struct kvm *kvm = x2s_vm_kvm(vm);
	struct kvm_lapic *src = test_apic(vm, sender);
	unsigned long want[NLONGS];
	unsigned int n = (unsigned int)kvm->online_vcpus;
	struct kvm_lapic_irq copy = *irq;
	bool lowest = irq->delivery_mode == APIC_DM_LOWEST;

	if (irq->delivery_mode != APIC_DM_NMI && !lowest)
		return;
	if (x2s_apic_map_receivers(kvm, src, irq, want) < 0)
		x2s_apic_loop_receivers(kvm, src, irq, want);

	for (unsigned int i = 0; i < n; i++)
		o->prio[i] = kvm->vcpus[i]->arch.apic_arb_prio;
	kvm_irq_delivery_to_apic(kvm, src, &copy, NULL);
	o->cases++;

	for (unsigned int i = 0; i < n; i++) {
		struct kvm_vcpu *v = kvm->vcpus[i];
		/* A lowest-priority physical 0xFF became fixed in the loop. */
		bool got = lowest && copy.delivery_mode == APIC_DM_LOWEST ?
				   v->arch.apic_arb_prio != o->prio[i] :
			   lowest ? test_irr(vm, i, (int)irq->vector) :
				    v->arch.nmi_pending != 0;

		if (lowest && copy.delivery_mode != APIC_DM_LOWEST &&
		    !kvm_lapic_enabled(v))
			got = bit(want, i); /* dropped: can't observe */
		if (got != bit(want, i))
			fail_msg(
				"%s: sender %u dm %#x dest %#x sh %#x: vCPU %u "
				"received %d, helper says %d",
				c->name, sender, irq->delivery_mode,
				irq->dest_id, irq->shorthand, i, got,
				bit(want, i));
		v->arch.nmi_pending = 0;
		v->arch.apic_arb_prio = o->prio[i];
		kvm_lapic_clear_vector((int)irq->vector,
				       (char *)v->arch.apic->regs + APIC_IRR);
	}
}

static void test_receiver_helpers_match_delivery(void **state)
{
	for (unsigned int ci = 0; ci < NR_CONFIGS; ci++) {
		const struct config *c = &configs[ci];
		struct x2s_vm *vm = c->build();
		struct observe o = { calloc(c->nr_vcpus, sizeof(int)), 0 };

		for_each_case(vm, c, delivery_case, &o);
		assert_true(o.cases > 0);
		free(o.prio);
		x2s_vm_destroy(vm);
	}
}

static void test_receiver_helpers_have_no_side_effects(void **state)
{
	for (unsigned int ci = 0; ci < NR_CONFIGS; ci++) {
		const struct config *c = &configs[ci];
		struct x2s_vm *vm;
		struct x2s_vcpu_state *before, *after;
		struct tally *t;

		if (c->nr_vcpus > 8) /* the big one adds nothing here */
			continue;
		t = calloc(1, sizeof(*t));
		assert_non_null(t);
		vm = c->build();
		before = calloc(c->nr_vcpus, sizeof(*before));
		after = calloc(c->nr_vcpus, sizeof(*after));
		t->quiet = true;
		assert_ok(x2s_vm_save(vm, before));
		for_each_case(vm, c, compare_case, t);
		assert_ok(x2s_vm_save(vm, after));
		assert_int_equal(
			x2s_state_diff(before, after, c->nr_vcpus, stderr), 0);
		for (unsigned int i = 0; i < c->nr_vcpus; i++)
			assert_int_equal(x2s_vm_vcpu(vm, i)->arch.apic_arb_prio,
					 c->build == build_x2apic_4_no_hashing ?
						 (int)(7 - i) % 3 :
						 0);
		free(before);
		free(after);
		free(t);
		x2s_vm_destroy(vm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_vs_loop_divergences_are_classified),
		cmocka_unit_test(test_receiver_helpers_match_delivery),
		cmocka_unit_test(test_receiver_helpers_have_no_side_effects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
