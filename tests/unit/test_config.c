// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: the VM description format, the named configurations, the
 * strict JSON reader under it and case files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "lapic/lapic.h"
#include "verify/format.h"
#include "verify/json.h"
#include "verify/verify.h"
#include "vmx/vmx.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const expected_names[] = {
	"x2apic-1",
	"x2apic-2",
	"x2apic-4",
	"sw-disabled-target",
	"hw-disabled-target",
	"wait-for-sipi",
	"mixed-modes",
	"aliased-xapic-ids",
	"l2-no-intercept",
	"l2-intercept",
	"singlestep",
	"guest-tf",
	"apicv",
	"no-vector-hashing",
	"split-icr",
	"x2apic-api",
	"timers",
	"timers-sw",
	"hlt-pending",
};

/* The canonical text of a description (x2s_vm_desc_write + newline). */
static char *desc_text(const struct x2s_vm_desc *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	x2s_vm_desc_write(f, d, 0);
	fputc('\n', f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void assert_desc_equal(const struct x2s_vm_desc *a,
			      const struct x2s_vm_desc *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->description, b->description);
	assert_int_equal(a->nr_vcpus, b->nr_vcpus);
	assert_int_equal(a->lapic_in_kernel, b->lapic_in_kernel);
	assert_int_equal(a->vector_hashing, b->vector_hashing);
	assert_int_equal(a->x2apic_format, b->x2apic_format);
	assert_int_equal(a->broadcast_quirk_disabled,
			 b->broadcast_quirk_disabled);
	assert_int_equal(a->x2apic_icr_is_split, b->x2apic_icr_is_split);
	for (unsigned int i = 0; i < X2S_DESC_MAX_VCPUS; i++) {
		const struct x2s_vcpu_desc *x = &a->vcpu[i], *y = &b->vcpu[i];

		assert_int_equal(x->apic_mode, y->apic_mode);
		assert_int_equal(x->sw_enabled, y->sw_enabled);
		assert_int_equal(x->xapic_id, y->xapic_id);
		assert_int_equal(x->ldr, y->ldr);
		assert_int_equal(x->dfr, y->dfr);
		assert_int_equal(x->mp_state, y->mp_state);
		assert_int_equal(x->guest_mode, y->guest_mode);
		assert_int_equal(x->l1_intercept, y->l1_intercept);
		assert_int_equal(x->singlestep, y->singlestep);
		assert_int_equal(x->rflags_tf, y->rflags_tf);
		assert_int_equal(x->rflags_if, y->rflags_if);
		assert_int_equal(x->apicv, y->apicv);
	}
	/* Also byte for byte: the parser leaves no stray bytes behind. */
	assert_memory_equal(a, b, sizeof(*a));
}

/* Write, parse back, compare; and the text is a fixed point. */
static void assert_round_trip(const struct x2s_vm_desc *d)
{
	struct x2s_vm_desc back;
	char err[320];
	char *text = desc_text(d), *again;
	int r = x2s_vm_desc_parse(text, &back, 1, err, sizeof(err));

	if (r != 1)
		fail_msg("%s does not parse back (%d: %s):\n%s", d->name, r,
			 err, text);
	assert_desc_equal(d, &back);
	again = desc_text(&back);
	assert_string_equal(text, again);
	free(again);
	free(text);
}

static void test_named_set_order_and_names(void **state)
{
	assert_int_equal(x2s_named_config_count(), ARRAY_LEN(expected_names));
	for (unsigned int i = 0; i < ARRAY_LEN(expected_names); i++) {
		const struct x2s_vm_desc *d = x2s_named_config(i);

		assert_non_null(d);
		assert_string_equal(d->name, expected_names[i]);
		assert_true(strlen(d->description) > 10);
		assert_ptr_equal(x2s_named_config_find(expected_names[i]), d);
		assert_int_equal(x2s_vm_desc_check(d, NULL, 0), 0);
	}
	assert_null(x2s_named_config(ARRAY_LEN(expected_names)));
	assert_null(x2s_named_config_find("x2apic-3"));
	assert_null(x2s_named_config_find(NULL));
}

static void test_embedded_files_are_the_named_set(void **state)
{
	assert_int_equal(x2s_nr_embedded_configs, x2s_named_config_count());
	for (unsigned int i = 0; i < x2s_nr_embedded_configs; i++) {
		const struct x2s_embedded_file *ef = &x2s_embedded_configs[i];
		char name[64];

		snprintf(name, sizeof(name), "%s", ef->name);
		assert_non_null(strstr(name, ".json"));
		*strstr(name, ".json") = 0;
		assert_non_null(x2s_named_config_find(name));
		assert_int_equal(strlen(ef->data), ef->len);
	}
}

/* The shipped files are in canonical form, so the writer documents them. */
static void test_named_files_are_canonical(void **state)
{
	for (unsigned int i = 0; i < x2s_nr_embedded_configs; i++) {
		const struct x2s_embedded_file *ef = &x2s_embedded_configs[i];
		struct x2s_vm_desc d;
		char err[320];
		char *text;

		assert_int_equal(
			x2s_vm_desc_parse(ef->data, &d, 1, err, sizeof(err)),
			1);
		text = desc_text(&d);
		if (strcmp(text, ef->data))
			fail_msg(
				"configs/%s is not canonical; the writer gives:\n%s",
				ef->name, text);
		free(text);
	}
}

static void test_named_configs_round_trip(void **state)
{
	for (unsigned int i = 0; i < x2s_named_config_count(); i++)
		assert_round_trip(x2s_named_config(i));
}

static uint32_t reg(struct x2s_vm *vm, unsigned int i, uint32_t off)
{
	uint32_t v = 0;

	assert_ok(x2s_apic_get_reg(vm, i, off, &v));
	return v;
}

/* Every named configuration builds a VM whose state says what it says. */
static void test_named_configs_build_matching_vms(void **state)
{
	for (unsigned int n = 0; n < x2s_named_config_count(); n++) {
		const struct x2s_vm_desc *d = x2s_named_config(n);
		struct x2s_vm *vm = NULL;
		struct kvm *kvm;

		assert_ok(x2s_vm_desc_create(d, &vm));
		kvm = x2s_vm_kvm(vm);
		assert_int_equal(x2s_vm_nr_vcpus(vm), d->nr_vcpus);
		assert_int_equal(kvm->arch.vector_hashing, d->vector_hashing);
		assert_int_equal(kvm->arch.x2apic_format, d->x2apic_format);
		assert_int_equal(kvm->arch.x2apic_broadcast_quirk_disabled,
				 d->broadcast_quirk_disabled);
		assert_int_equal(kvm->arch.x2apic_icr_is_split,
				 d->x2apic_icr_is_split);
		for (unsigned int i = 0; i < d->nr_vcpus; i++) {
			const struct x2s_vcpu_desc *v = &d->vcpu[i];
			struct kvm_vcpu *vcpu = x2s_vm_vcpu(vm, i);
			struct x2s_vcpu_state st;
			uint64_t base;

			assert_ok(x2s_vcpu_save(vm, i, &st));
			base = st.apic_base;
			switch (v->apic_mode) {
			case X2S_APIC_MODE_DISABLED:
				assert_false(base & MSR_IA32_APICBASE_ENABLE);
				break;
			case X2S_APIC_MODE_XAPIC:
				assert_true(base & MSR_IA32_APICBASE_ENABLE);
				assert_false(base & X2APIC_ENABLE);
				break;
			case X2S_APIC_MODE_X2APIC:
				assert_true(base & X2APIC_ENABLE);
				assert_int_equal(reg(vm, i, APIC_ID), i);
				break;
			}
			if (v->apic_mode != X2S_APIC_MODE_DISABLED)
				assert_int_equal(!!(reg(vm, i, APIC_SPIV) &
						    APIC_SPIV_APIC_ENABLED),
						 v->sw_enabled);
			if (v->xapic_id >= 0)
				assert_int_equal(reg(vm, i, APIC_ID) >> 24,
						 v->xapic_id);
			if (v->ldr >= 0)
				assert_int_equal(reg(vm, i, APIC_LDR), v->ldr);
			if (v->dfr >= 0)
				assert_int_equal(reg(vm, i, APIC_DFR), v->dfr);
			assert_int_equal(st.mp_state, v->mp_state);
			assert_int_equal(st.guest_mode, v->guest_mode);
			if (v->guest_mode)
				assert_int_equal(nested_vmx_l1_wants_msr_exit(
							 vcpu, 0x830, true),
						 v->l1_intercept);
			assert_int_equal(
				!!(vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP),
				v->singlestep);
			assert_int_equal(
				!!(st.regs[X2S_REG_RFLAGS] & X86_EFLAGS_TF),
				v->rflags_tf);
			assert_int_equal(
				!!(st.regs[X2S_REG_RFLAGS] & X86_EFLAGS_IF),
				v->rflags_if);
			assert_int_equal(vcpu->arch.apic->apicv_active,
					 v->apicv);
		}
		x2s_vm_destroy(vm);
	}
}

static struct x2s_vm *named_vm(const char *name)
{
	struct x2s_vm *vm = NULL;

	assert_non_null(x2s_named_config_find(name));
	assert_ok(x2s_vm_desc_create(x2s_named_config_find(name), &vm));
	return vm;
}

static void test_sw_disabled_target_has_svr_bit8_clear(void **state)
{
	struct x2s_vm *vm = named_vm("sw-disabled-target");

	assert_int_equal(reg(vm, 1, APIC_SPIV) & APIC_SPIV_APIC_ENABLED, 0);
	assert_int_not_equal(reg(vm, 0, APIC_SPIV) & APIC_SPIV_APIC_ENABLED, 0);
	assert_int_not_equal(reg(vm, 2, APIC_SPIV) & APIC_SPIV_APIC_ENABLED, 0);
	x2s_vm_destroy(vm);
}

static void test_hw_disabled_target_has_apic_base_en_clear(void **state)
{
	struct x2s_vm *vm = named_vm("hw-disabled-target");
	uint64_t base;

	assert_ok(x2s_msr_read(vm, 1, MSR_IA32_APICBASE, &base, true));
	assert_int_equal(base & MSR_IA32_APICBASE_ENABLE, 0);
	assert_ok(x2s_msr_read(vm, 0, MSR_IA32_APICBASE, &base, true));
	assert_int_not_equal(base & X2APIC_ENABLE, 0);
	x2s_vm_destroy(vm);
}

static struct kvm_apic_map *apic_map(struct x2s_vm *vm)
{
	struct kvm *kvm = x2s_vm_kvm(vm);

	kvm_recalculate_apic_map(kvm);
	assert_false(kvm->arch.apic_map_dirty);
	return kvm->arch.apic_map;
}

static void test_aliased_xapic_ids_alias_and_disable_the_map(void **state)
{
	struct x2s_vm *vm = named_vm("aliased-xapic-ids"), *ref;

	assert_int_equal(reg(vm, 2, APIC_ID) >> 24, 1);
	assert_int_equal(reg(vm, 3, APIC_ID) >> 24, 1);
	/* KVM drops the whole map when two APICs claim one physical ID. */
	assert_null(apic_map(vm));
	ref = named_vm("x2apic-4");
	assert_non_null(apic_map(ref));
	assert_int_equal(apic_map(ref)->logical_mode, KVM_APIC_MODE_X2APIC);
	x2s_vm_destroy(ref);
	x2s_vm_destroy(vm);
}

/* docs/config-format.md: an xAPIC vCPU without "ldr" has the reset LDR, 0. */
static void test_xapic_vcpu_without_ldr_has_ldr_zero(void **state)
{
	static const char text[] = "{\"name\": \"m\", \"vcpus\": 2, \"vcpu\": ["
				   "{\"id\": 1, \"apic_mode\": \"xapic\"}]}";
	struct x2s_vm_desc d;
	struct x2s_vm *vm;
	char err[256];
	u32 ldr;

	assert_int_equal(x2s_vm_desc_parse(text, &d, 1, err, sizeof(err)), 1);
	assert_ok(x2s_vm_desc_create(&d, &vm));
	assert_ok(x2s_apic_get_reg(vm, 1, APIC_LDR, &ldr));
	assert_int_equal(ldr, 0);
	/* The x2APIC vCPU keeps its x2APIC LDR. */
	assert_ok(x2s_apic_get_reg(vm, 0, APIC_LDR, &ldr));
	assert_int_equal(ldr, 1);
	x2s_vm_destroy(vm);
}

static void test_mixed_modes_has_flat_logical_ids(void **state)
{
	struct x2s_vm *vm = named_vm("mixed-modes");

	assert_int_equal(reg(vm, 2, APIC_ID) >> 24, 2);
	assert_int_equal(reg(vm, 3, APIC_ID) >> 24, 3);
	assert_int_equal(reg(vm, 2, APIC_LDR), 0x04000000);
	assert_int_equal(reg(vm, 3, APIC_LDR), 0x08000000);
	assert_int_equal(reg(vm, 2, APIC_DFR), APIC_DFR_FLAT);
	/* x2APIC vCPUs keep the LDR derived from their ID. */
	assert_int_equal(reg(vm, 1, APIC_LDR), 0x00000002);
	x2s_vm_destroy(vm);
}

static void test_odd_descriptions_round_trip(void **state)
{
	struct x2s_vm_desc d;

	/* Every knob flipped, no in-kernel LAPIC. */
	x2s_vm_desc_init(&d, "no-irqchip", 3);
	d.lapic_in_kernel = false;
	d.vector_hashing = false;
	d.x2apic_format = true;
	d.broadcast_quirk_disabled = true;
	d.x2apic_icr_is_split = true;
	d.vcpu[2].mp_state = KVM_MP_STATE_HALTED;
	assert_int_equal(x2s_vm_desc_check(&d, NULL, 0), 0);
	assert_round_trip(&d);

	/* A description needing escapes, one vCPU (no "defaults"). */
	x2s_vm_desc_init(&d, "q.1_+", 1);
	snprintf(d.description, sizeof(d.description),
		 "quote \" back\\slash caf\xc3\xa9 \xf0\x9f\x98\x80");
	d.vcpu[0].apic_mode = X2S_APIC_MODE_XAPIC;
	d.vcpu[0].ldr = 0;
	d.vcpu[0].dfr = APIC_DFR_CLUSTER;
	d.vcpu[0].xapic_id = 0;
	d.vcpu[0].rflags_if = false;
	assert_round_trip(&d);

	/* Sixteen vCPUs: shared fields go to "defaults", the rest per vCPU. */
	x2s_vm_desc_init(&d, "big", X2S_DESC_MAX_VCPUS);
	for (unsigned int i = 0; i < X2S_DESC_MAX_VCPUS; i++) {
		struct x2s_vcpu_desc *v = &d.vcpu[i];

		v->apicv = true;
		v->apic_mode = X2S_APIC_MODE_XAPIC;
		v->dfr = APIC_DFR_CLUSTER;
		v->xapic_id = (int)(i * 17 % 256);
		v->ldr = (int64_t)((i % 15) << 28 | 1u << (24 + i % 4));
		v->mp_state = i % 5;
		/* INIT/SIPI states cannot be set in guest mode. */
		v->guest_mode = (i & 1) &&
				v->mp_state != KVM_MP_STATE_INIT_RECEIVED &&
				v->mp_state != KVM_MP_STATE_SIPI_RECEIVED;
		v->l1_intercept = v->guest_mode && (i & 3) == 3;
		v->singlestep = i == 7;
		v->rflags_tf = i == 8;
		v->sw_enabled = i != 9;
	}
	d.vcpu[15].apic_mode = X2S_APIC_MODE_X2APIC;
	d.vcpu[15].xapic_id = -1;
	d.vcpu[15].ldr = -1;
	d.vcpu[15].dfr = -1;
	assert_int_equal(x2s_vm_desc_check(&d, NULL, 0), 0);
	assert_round_trip(&d);

	/* The same field on every vCPU but only two vCPUs. */
	x2s_vm_desc_init(&d, "pair", 2);
	d.vcpu[0].apic_mode = d.vcpu[1].apic_mode = X2S_APIC_MODE_DISABLED;
	d.vcpu[0].sw_enabled = d.vcpu[1].sw_enabled = false;
	assert_round_trip(&d);
}

static void test_defaults_then_vcpu_overrides(void **state)
{
	static const char text[] =
		"{\"name\": \"x\", \"vcpus\": 3,\n"
		" \"defaults\": {\"apic_mode\": \"xapic\", \"dfr\": \"cluster\","
		" \"ldr\": \"0x10000000\"},\n"
		" \"vcpu\": [{\"id\": 1, \"apic_mode\": \"x2apic\", \"dfr\": "
		"null, \"ldr\": null},\n"
		"          {\"ldr\": 285212672, \"id\": \"0x2\"}]}";
	struct x2s_vm_desc d;
	char err[320];

	assert_int_equal(x2s_vm_desc_parse(text, &d, 1, err, sizeof(err)), 1);
	assert_int_equal(d.vcpu[0].apic_mode, X2S_APIC_MODE_XAPIC);
	assert_int_equal(d.vcpu[0].dfr, APIC_DFR_CLUSTER);
	assert_int_equal(d.vcpu[0].ldr, 0x10000000);
	assert_int_equal(d.vcpu[1].apic_mode, X2S_APIC_MODE_X2APIC);
	assert_int_equal(d.vcpu[1].dfr, -1);
	assert_int_equal(d.vcpu[1].ldr, -1);
	assert_int_equal(d.vcpu[2].ldr, 0x11000000);
	/* Defaults reach only the described vCPUs. */
	assert_int_equal(d.vcpu[3].apic_mode, X2S_APIC_MODE_X2APIC);
	assert_round_trip(&d);
}

static void test_list_forms(void **state)
{
	struct x2s_vm_desc d[4];
	char err[320];

	assert_int_equal(x2s_vm_desc_parse("[{\"name\": \"a\", \"vcpus\": 1},"
					   " {\"name\": \"b\", \"vcpus\": 2}]",
					   d, 4, err, sizeof(err)),
			 2);
	assert_string_equal(d[1].name, "b");
	assert_int_equal(d[1].nr_vcpus, 2);
	assert_int_equal(x2s_vm_desc_parse("{\"configs\": [{\"name\": \"a\", "
					   "\"vcpus\": 1}]}",
					   d, 4, err, sizeof(err)),
			 1);
	assert_int_equal(x2s_vm_desc_parse("[{\"name\": \"a\", \"vcpus\": 1},"
					   " {\"name\": \"b\", \"vcpus\": 2}]",
					   d, 1, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "more than 1 configuration"));
}

struct bad_input {
	const char *what;
	const char *text;
	unsigned int line; /* where the message must point */
	const char *msg;   /* part of the message */
};

#define CFG(body) "{\"name\": \"t\", \"vcpus\": 2, " body "}"

static const struct bad_input bad_inputs[] = {
	{ "empty file", "", 1, "empty document" },
	{ "only whitespace", "  \n\n ", 3, "empty document" },
	{ "trailing garbage", "{\"name\": \"t\", \"vcpus\": 1}\n x", 2,
	  "trailing 'x'" },
	{ "two documents", "{\"name\": \"t\", \"vcpus\": 1} {}", 1,
	  "trailing '{'" },
	{ "bad escape", "{\"name\": \"t\\q\", \"vcpus\": 1}", 1,
	  "invalid escape \\'q'" },
	{ "short \\u", "{\"name\": \"\\u12\", \"vcpus\": 1}", 1,
	  "4 hex digits" },
	{ "lone surrogate", "{\"name\": \"\\ud800x\", \"vcpus\": 1}", 1,
	  "unpaired" },
	{ "\\u0000", "{\"name\": \"a\\u0000\", \"vcpus\": 1}", 1,
	  "\\u0000 is not allowed" },
	{ "raw newline in string", "{\"name\": \"a\nb\", \"vcpus\": 1}", 1,
	  "control character 0x0a" },
	{ "invalid UTF-8",
	  "{\"name\": \"t\", \"description\": \"\xc3(\", "
	  "\"vcpus\": 1}",
	  1, "invalid UTF-8" },
	{ "unterminated string", "{\"name\": \"t", 1, "unterminated string" },
	{ "unterminated object", "{\"name\": \"t\"\n", 2,
	  "unterminated object" },
	{ "trailing comma", "{\"name\": \"t\", \"vcpus\": 1,}", 1,
	  "trailing comma" },
	{ "single quotes", "{'name': 't'}", 1, "expected a string key" },
	{ "comment", "// c\n{}", 1, "unexpected '/'" },
	{ "duplicate key", "{\"name\": \"t\",\n \"vcpus\": 1,\n \"vcpus\": 2}",
	  3, "duplicate key \"vcpus\"" },
	{ "unknown key", "{\"name\": \"t\", \"vcpus\": 1,\n \"vcpu_count\": 2}",
	  2, "unknown key \"vcpu_count\"" },
	{ "unknown knob", CFG("\"knobs\": {\"vector_hash\": true}"), 1,
	  "unknown key \"vector_hash\" in \"knobs\"" },
	{ "unknown vcpu field", CFG("\"defaults\": {\"mode\": \"xapic\"}"), 1,
	  "unknown key \"mode\"" },
	{ "missing name", "{\"vcpus\": 1}", 1, "without \"name\"" },
	{ "missing vcpus", "{\"name\": \"t\"}", 1, "without \"vcpus\"" },
	{ "vcpus a string", "{\"name\": \"t\", \"vcpus\": \"two\"}", 1,
	  "not a number" },
	{ "vcpus zero", "{\"name\": \"t\", \"vcpus\": 0}", 1,
	  "\"vcpus\" must be 1 to 16" },
	{ "vcpus 17", "{\"name\": \"t\", \"vcpus\": 17}", 1,
	  "\"vcpus\" must be 1 to 16" },
	{ "vcpus negative", "{\"name\": \"t\", \"vcpus\": -1}", 1,
	  "must not be negative" },
	{ "float", "{\"name\": \"t\", \"vcpus\": 1.0}", 1,
	  "floating-point numbers are not supported" },
	{ "exponent", "{\"name\": \"t\", \"vcpus\": 1e0}", 1,
	  "floating-point" },
	{ "leading zero", "{\"name\": \"t\", \"vcpus\": 01}", 1,
	  "leading zeros" },
	{ "12zz", "{\"name\": \"t\", \"vcpus\": 12zz}", 1, "invalid number" },
	{ "\"12zz\"", "{\"name\": \"t\", \"vcpus\": \"12zz\"}", 1,
	  "not a number" },
	{ "\"0x\"", "{\"name\": \"t\", \"vcpus\": \"0x\"}", 1,
	  "has no hex digits" },
	{ "\"0x1g\"", "{\"name\": \"t\", \"vcpus\": \"0x1g\"}", 1,
	  "not a hex number" },
	{ "integer over 64 bits",
	  "{\"name\": \"t\", \"vcpus\": 18446744073709551616}", 1,
	  "does not fit in 64 bits" },
	{ "hex over 64 bits",
	  "{\"name\": \"t\", \"vcpus\": \"0x10000000000000000\"}", 1,
	  "does not fit in 64 bits" },
	{ "ldr over 32 bits",
	  CFG("\"defaults\": {\"apic_mode\": \"xapic\", "
	      "\"ldr\": \"0x100000000\"}"),
	  1, "ldr must be 0 to 4294967295" },
	{ "xapic_id 256",
	  CFG("\"defaults\": {\"apic_mode\": \"xapic\", "
	      "\"xapic_id\": 256}"),
	  1, "xapic_id must be 0 to 255" },
	{ "bool as string", CFG("\"lapic_in_kernel\": \"true\""), 1,
	  "must be true or false, not a string" },
	{ "bool as number", CFG("\"defaults\": {\"apicv\": 1}"), 1,
	  "must be true or false, not an integer" },
	{ "bad apic_mode", CFG("\"defaults\": {\"apic_mode\": \"x2APIC\"}"), 1,
	  "\"apic_mode\" must be \"disabled\", \"xapic\" or \"x2apic\"" },
	{ "bad mp_state", CFG("\"defaults\": {\"mp_state\": 3}"), 1,
	  "\"mp_state\" must be" },
	{ "bad dfr name",
	  CFG("\"defaults\": {\"apic_mode\": \"xapic\", "
	      "\"dfr\": \"logical\"}"),
	  1, "not a number" },
	{ "name with space", "{\"name\": \"a b\", \"vcpus\": 1}", 1,
	  "\"name\" must be" },
	{ "empty name", "{\"name\": \"\", \"vcpus\": 1}", 1,
	  "\"name\" must be" },
	{ "too deep",
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]"
	  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	  1, "nesting deeper than 32" },
	{ "not an object", "42", 1, "must be an object, not an integer" },
	{ "empty list", "[]", 1, "no configurations" },
	{ "configs beside a key", "{\"configs\": [], \"x\": 1}", 1,
	  "unknown key \"x\" beside \"configs\"" },
	{ "duplicate names",
	  "[{\"name\": \"a\", \"vcpus\": 1},\n {\"name\": \"a\", \"vcpus\": 1}]",
	  2, "a second configuration named \"a\"" },
	{ "vcpu id out of range", CFG("\n\"vcpu\": [{\"id\": 2}]"), 2,
	  "vcpu id 2 out of range" },
	{ "vcpu without id", CFG("\"vcpu\": [{\"apicv\": true}]"), 1,
	  "without \"id\"" },
	{ "vcpu twice", CFG("\"vcpu\": [{\"id\": 1}, {\"id\": 1}]"), 1,
	  "vcpu 1 is described twice" },
	{ "vcpu not an array", CFG("\"vcpu\": {\"id\": 1}"), 1,
	  "\"vcpu\" must be an array" },
	{ "xapic_id on an x2APIC vCPU",
	  CFG("\"vcpu\": [{\"id\": 1, \"xapic_id\": 3}]"), 1,
	  "configuration \"t\": vcpu 1: xapic_id, ldr and dfr need xAPIC mode" },
	{ "ldr low bits",
	  CFG("\"defaults\": {\"apic_mode\": \"xapic\", "
	      "\"ldr\": \"0x01000001\"}"),
	  1, "bits 23:0 clear" },
	{ "odd dfr",
	  CFG("\"defaults\": {\"apic_mode\": \"xapic\", "
	      "\"dfr\": 5}"),
	  1, "dfr must be" },
	{ "l1_intercept without L2",
	  CFG("\"vcpu\": [{\"id\": 0, \"l1_intercept\": true}]"), 1,
	  "l1_intercept needs guest_mode" },
	{ "APICv without in-kernel LAPIC",
	  CFG("\"lapic_in_kernel\": false, \"defaults\": {\"apicv\": true}"), 1,
	  "need the in-kernel LAPIC" },
	{ "tab in description",
	  "{\"name\": \"t\", \"vcpus\": 1, \"description\": \"a\\tb\"}", 1,
	  "one line without control characters" },
	{ "description too long",
	  "{\"name\": \"t\", \"vcpus\": 1, \"description\": \""
	  "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789\"}",
	  1, "longer than 159" },
	{ "timer mode unknown", CFG("\"defaults\": {\"timer_mode\": \"tsc\"}"),
	  1,
	  "\"timer_mode\" must be \"oneshot\", \"periodic\" or \"tsc-deadline\"" },
	{ "timer count without a mode",
	  CFG("\"defaults\": {\"timer_count\": 5}"), 1, "need timer_mode" },
	{ "timer count in TSC-deadline mode",
	  CFG("\"defaults\": {\"timer_mode\": \"tsc-deadline\", "
	      "\"timer_count\": 5}"),
	  1, "timer_count is for oneshot and periodic" },
	{ "timer deadline in one-shot mode",
	  CFG("\"defaults\": {\"timer_mode\": \"oneshot\", "
	      "\"timer_deadline\": 5}"),
	  1, "timer_deadline for tsc-deadline" },
	{ "timer vector too big",
	  CFG("\"defaults\": {\"timer_mode\": \"oneshot\", "
	      "\"timer_vector\": 256}"),
	  1, "timer_vector must be 0 to 255" },
	{ "timer on a disabled APIC",
	  CFG("\"defaults\": {\"timer_mode\": \"oneshot\", "
	      "\"apic_mode\": \"disabled\"}"),
	  1, "a timer needs an enabled in-kernel LAPIC" },
	{ "deadline beyond 2^63",
	  CFG("\"defaults\": {\"timer_mode\": \"tsc-deadline\", "
	      "\"timer_deadline\": \"0x8000000000000000\"}"),
	  1, "timer_deadline must be 0 to" },
	{ "pending vector below 16",
	  CFG("\"defaults\": {\"pending_vector\": 15}"), 1,
	  "\"pending_vector\" must be 16 .. 255 or null, not 15" },
	{ "pending vector too big",
	  CFG("\"defaults\": {\"pending_vector\": 256}"), 1,
	  "pending_vector must be 0 to 255" },
	{ "pending vector not a number",
	  CFG("\"defaults\": {\"pending_vector\": true}"), 1,
	  "pending_vector" },
	{ "pending interrupt on a software-disabled APIC",
	  CFG("\"defaults\": {\"pending_vector\": 64, "
	      "\"sw_enabled\": false}"),
	  1, "pending_vector and nmi_pending need an enabled" },
	{ "pending NMI on a disabled APIC",
	  CFG("\"defaults\": {\"nmi_pending\": true, "
	      "\"apic_mode\": \"disabled\"}"),
	  1, "pending_vector and nmi_pending need an enabled" },
	{ "negative clock", CFG("\"clock_ns\": -1"), 1,
	  "clock_ns must not be negative" },
	/* Nothing from the input reaches a terminal raw: ESC as \x1b. */
	{ "control characters escaped",
	  "{\"name\": \"t\", \"vcpus\": 1, \"a\\u001b[2Jb\\r\": 1}", 1,
	  "unknown key \"a\\x1b[2Jb\\x0d\"" },
};

static void test_malformed_inputs_are_rejected(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(bad_inputs); i++) {
		const struct bad_input *b = &bad_inputs[i];
		struct x2s_vm_desc d[2];
		char err[512] = "", where[32];
		int r = x2s_vm_desc_parse(b->text, d, 2, err, sizeof(err));

		snprintf(where, sizeof(where), "<input>:%u:", b->line);
		if (r != -EINVAL || strncmp(err, where, strlen(where)) ||
		    !strstr(err, b->msg))
			fail_msg("%s: got %d \"%s\", want -EINVAL \"%s...%s\"",
				 b->what, r, err, where, b->msg);
	}
}

/* A NUL inside the text (only reachable through a file). */
static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/x2s_test_config.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_load_reports_file_line_and_column(void **state)
{
	struct x2s_vm_desc d;
	char path[128], want[160], err[512];

	snprintf(path, sizeof(path), "%s/bad.json", tmpdir);
	write_file(path, "{\"name\": \"t\",\n  \"vcpus\": 1, \"bogus\": 1}\n",
		   40);
	assert_int_equal(x2s_vm_desc_load(path, &d, 1, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s:2:15: unknown key \"bogus\"", path);
	assert_memory_equal(err, want, strlen(want));

	write_file(path, "{\"name\": \"t\"\0, \"vcpus\": 1}", 26);
	assert_int_equal(x2s_vm_desc_load(path, &d, 1, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, ":1:13: NUL byte"));

	snprintf(path, sizeof(path), "%s/good.json", tmpdir);
	write_file(path, "{\"name\": \"t\", \"vcpus\": 2}", 25);
	assert_int_equal(x2s_vm_desc_load(path, &d, 1, err, sizeof(err)), 1);
	assert_int_equal(d.nr_vcpus, 2);
}

static void test_io_errors_give_errno_and_message(void **state)
{
	struct x2s_vm_desc d;
	struct x2s_case c;
	char path[128], err[512];

	snprintf(path, sizeof(path), "%s/missing.json", tmpdir);
	assert_int_equal(x2s_vm_desc_load(path, &d, 1, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(x2s_case_load(path, &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));

	assert_int_equal(x2s_vm_desc_load(tmpdir, &d, 1, err, sizeof(err)),
			 -EISDIR);
	assert_non_null(strstr(err, "Is a directory"));
	assert_int_equal(x2s_case_load(tmpdir, &c, err, sizeof(err)), -EISDIR);

	snprintf(path, sizeof(path), "%s/secret.json", tmpdir);
	write_file(path, "{}", 2);
	assert_int_equal(chmod(path, 0), 0);
	if (geteuid() != 0) {
		assert_int_equal(
			x2s_vm_desc_load(path, &d, 1, err, sizeof(err)),
			-EACCES);
		assert_non_null(strstr(err, "Permission denied"));
	}
}

static void case_to_file(const char *path, const struct x2s_case *c,
			 const char *comment)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(x2s_case_write(f, c, comment), 0);
	assert_int_equal(fclose(f), 0);
}

static void test_case_file_round_trip(void **state)
{
	struct x2s_case c, back;
	char path[128], err[512];

	memset(&c, 0, sizeof(c));
	c.config = *x2s_named_config_find("mixed-modes");
	c.sender = 3;
	c.ecx = 0x830;
	c.data = 0xffffffff000c4731ull;
	snprintf(c.fastpath, sizeof(c.fastpath), "v1-posted");
	snprintf(path, sizeof(path), "%s/case.json", tmpdir);
	case_to_file(path, &c, "found by \"verify\"\nsecond line");
	assert_int_equal(x2s_case_load(path, &back, err, sizeof(err)), 0);
	assert_desc_equal(&c.config, &back.config);
	assert_int_equal(back.sender, 3);
	assert_int_equal(back.ecx, 0x830);
	assert_true(back.data == 0xffffffff000c4731ull);
	assert_string_equal(back.fastpath, "v1-posted");
	assert_memory_equal(&c, &back, sizeof(c));

	/* No comment, no fastpath, every named configuration. */
	for (unsigned int i = 0; i < x2s_named_config_count(); i++) {
		memset(&c, 0, sizeof(c));
		c.config = *x2s_named_config(i);
		c.sender = c.config.nr_vcpus - 1;
		c.ecx = 0xffffffff;
		c.data = ~0ull;
		case_to_file(path, &c, NULL);
		assert_int_equal(x2s_case_load(path, &back, err, sizeof(err)),
				 0);
		assert_memory_equal(&c, &back, sizeof(c));
	}
}

static void test_case_write_rejects_bad_cases(void **state)
{
	struct x2s_case c;
	FILE *f = fopen("/dev/null", "w");

	assert_non_null(f);
	memset(&c, 0, sizeof(c));
	c.config = *x2s_named_config_find("x2apic-2");
	c.sender = 2;
	assert_int_equal(x2s_case_write(f, &c, NULL), -EINVAL);
	c.sender = 0;
	c.config.vcpu[0].xapic_id = 4;
	assert_int_equal(x2s_case_write(f, &c, NULL), -EINVAL);
	/* Names and texts the reader would refuse are not written either. */
	c.config = *x2s_named_config_find("x2apic-2");
	snprintf(c.config.name, sizeof(c.config.name), "has space");
	assert_int_equal(x2s_case_write(f, &c, NULL), -EINVAL);
	c.config = *x2s_named_config_find("x2apic-2");
	snprintf(c.config.description, sizeof(c.config.description), "a\nb");
	assert_int_equal(x2s_case_write(f, &c, NULL), -EINVAL);
	c.config = *x2s_named_config_find("x2apic-2");
	memset(c.fastpath, 'x', sizeof(c.fastpath));
	assert_int_equal(x2s_case_write(f, &c, NULL), -EINVAL);
	c.fastpath[0] = 0;
	assert_int_equal(x2s_case_write(f, &c, NULL), 0);
	fclose(f);
}

static const struct bad_input bad_cases[] = {
	{ "version 2",
	  "{\"x2sim_case\": 2, \"config\": {\"name\": \"t\", "
	  "\"vcpus\": 1}, \"sender\": 0, \"ecx\": \"0x830\", "
	  "\"data\": \"0x0\"}",
	  1, "case-file version 2 is not supported" },
	{ "missing data",
	  "{\"x2sim_case\": 1, \"config\": {\"name\": \"t\", "
	  "\"vcpus\": 1}, \"sender\": 0, \"ecx\": \"0x830\"}",
	  1, "without \"data\"" },
	{ "sender out of range",
	  "{\"x2sim_case\": 1, \"config\": {\"name\": \"t\", "
	  "\"vcpus\": 1},\n \"sender\": 1, \"ecx\": \"0x830\", \"data\": \"0x0\"}",
	  2, "sender 1 out of range" },
	{ "ecx over 32 bits",
	  "{\"x2sim_case\": 1, \"config\": {\"name\": \"t\", "
	  "\"vcpus\": 1}, \"sender\": 0, \"ecx\": \"0x100000830\", "
	  "\"data\": \"0x0\"}",
	  1, "ecx must be 0 to 4294967295" },
	{ "data over 64 bits",
	  "{\"x2sim_case\": 1, \"config\": {\"name\": \"t\", "
	  "\"vcpus\": 1}, \"sender\": 0, \"ecx\": \"0x830\", "
	  "\"data\": \"0x1ffffffffffffffff\"}",
	  1, "does not fit in 64 bits" },
	{ "unknown key",
	  "{\"x2sim_case\": 1, \"config\": {\"name\": \"t\", "
	  "\"vcpus\": 1}, \"sender\": 0, \"ecx\": \"0x830\", "
	  "\"data\": \"0x0\",\n \"edx\": 0}",
	  2, "unknown key \"edx\"" },
	{ "bad config inside",
	  "{\"x2sim_case\": 1,\n \"config\": {\"name\": \"t\", "
	  "\"vcpus\": 1, \"vcpu\": [{\"id\": 0, \"ldr\": 16777216}]}, \"sender\": 0, "
	  "\"ecx\": \"0x830\", \"data\": \"0x0\"}",
	  2, "need xAPIC mode" },
	{ "fastpath not a string",
	  "{\"x2sim_case\": 1, \"fastpath\": 4, \"config\": {\"name\": \"t\", "
	  "\"vcpus\": 1}, \"sender\": 0, \"ecx\": \"0x830\", \"data\": \"0x0\"}",
	  1, "\"fastpath\" must be a string" },
	{ "an array", "[]", 1, "must hold an object" },
};

static void test_case_load_is_strict(void **state)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/bad_case.json", tmpdir);
	for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++) {
		const struct bad_input *b = &bad_cases[i];
		struct x2s_case c;
		char err[512] = "", where[192];
		int r;

		write_file(path, b->text, strlen(b->text));
		r = x2s_case_load(path, &c, err, sizeof(err));
		snprintf(where, sizeof(where), "%s:%u:", path, b->line);
		if (r != -EINVAL || strncmp(err, where, strlen(where)) ||
		    !strstr(err, b->msg))
			fail_msg("%s: got %d \"%s\", want -EINVAL \"%s...%s\"",
				 b->what, r, err, where, b->msg);
	}
}

/* The JSON layer on its own: integers at the edges, escapes decoded. */
static void test_json_integers_and_escapes(void **state)
{
	static const char text[] =
		"[18446744073709551615, -9223372036854775808, -0, 0,"
		" \"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\"]";
	struct json_value *v = NULL;
	struct json_error je;

	assert_int_equal(json_parse(text, strlen(text), &v, &je), 0);
	assert_int_equal(v->type, JSON_ARRAY);
	assert_int_equal(v->arr.n, 5);
	assert_true(v->arr.v[0].i.mag == UINT64_MAX && !v->arr.v[0].i.neg);
	assert_true(v->arr.v[1].i.mag == (uint64_t)INT64_MAX + 1 &&
		    v->arr.v[1].i.neg);
	assert_false(v->arr.v[2].i.neg);
	assert_string_equal(v->arr.v[4].str.s,
			    "\xc3\xa9\xf0\x9f\x98\x80/\b\f\n\r\t\"\\");
	json_free(v);

	assert_int_equal(json_parse("-9223372036854775809", 20, &v, &je),
			 -EINVAL);
	assert_non_null(strstr(je.msg, "64 bits"));
	assert_int_equal(json_parse("[1,]", 4, &v, &je), -EINVAL);
	assert_int_equal(je.col, 4);
	assert_int_equal(json_parse("{\"a\":1 \"b\":2}", 13, &v, &je), -EINVAL);
	assert_non_null(strstr(je.msg, "expected ',' or '}'"));
	assert_int_equal(json_parse("tru", 3, &v, &je), -EINVAL);
	assert_int_equal(json_parse("nullx", 5, &v, &je), -EINVAL);
	assert_null(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_named_set_order_and_names),
		cmocka_unit_test(test_embedded_files_are_the_named_set),
		cmocka_unit_test(test_named_files_are_canonical),
		cmocka_unit_test(test_named_configs_round_trip),
		cmocka_unit_test(test_named_configs_build_matching_vms),
		cmocka_unit_test(test_sw_disabled_target_has_svr_bit8_clear),
		cmocka_unit_test(
			test_hw_disabled_target_has_apic_base_en_clear),
		cmocka_unit_test(
			test_aliased_xapic_ids_alias_and_disable_the_map),
		cmocka_unit_test(test_mixed_modes_has_flat_logical_ids),
		cmocka_unit_test(test_xapic_vcpu_without_ldr_has_ldr_zero),
		cmocka_unit_test(test_odd_descriptions_round_trip),
		cmocka_unit_test(test_defaults_then_vcpu_overrides),
		cmocka_unit_test(test_list_forms),
		cmocka_unit_test(test_malformed_inputs_are_rejected),
		cmocka_unit_test(test_load_reports_file_line_and_column),
		cmocka_unit_test(test_io_errors_give_errno_and_message),
		cmocka_unit_test(test_case_file_round_trip),
		cmocka_unit_test(test_case_write_rejects_bad_cases),
		cmocka_unit_test(test_case_load_is_strict),
		cmocka_unit_test(test_json_integers_and_escapes),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
