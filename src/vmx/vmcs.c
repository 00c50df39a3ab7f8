// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VMCS field store and the exit-reason tables.
 *
 * Fields are addressed by their architectural encodings (SDM vol. 3,
 * appendix B).  An encoding packs access type (bit 0, "high" half of a
 * 64-bit field), index (bits 9:1), type (bits 11:10) and width (bits
 * 14:13); bits 12 and 31:15 are reserved.  Every index the model uses is
 * below 64, so width, type, index and access form an 11-bit key that
 * selects a slot through one table lookup.
 */
#include <stdlib.h>

#include "vmx/vmx.h"

#define VMCS_KEY_INDEX_BITS 6
#define VMCS_KEY(f)                                       \
	((((f) >> 13 & 3) << (VMCS_KEY_INDEX_BITS + 3)) | \
	 (((f) >> 10 & 3) << (VMCS_KEY_INDEX_BITS + 1)) | \
	 (((f) >> 1 & ((1u << VMCS_KEY_INDEX_BITS) - 1)) << 1) | ((f)&1))
#define VMCS_NR_KEYS (1u << (VMCS_KEY_INDEX_BITS + 5))

/* Key -> slot + 1; 0 means "no such field". */
static const u8 vmcs_key_to_slot[VMCS_NR_KEYS] = {
#define VMCS_KEY_ENTRY(f) [VMCS_KEY(f)] = VMCS_SLOT_##f + 1,
	VMCS_FIELDS(VMCS_KEY_ENTRY)
#undef VMCS_KEY_ENTRY
};

_Static_assert(VMCS_NR_SLOTS < 255, "slot numbers must fit in u8");

size_t vmcs_size(void)
{
	return sizeof(struct vmcs);
}

/*
 * The slot of a field (-1 if the store has none).  *high is set for the
 * access to bits 63:32 of a 64-bit field (access type 1), which only
 * exists for the 64-bit width.
 */
static int vmcs_field_slot(unsigned long field, bool *high)
{
	unsigned int key;

	*high = false;
	if (field & ~0x6fffUL)
		return -1;
	if (((field >> 1) & 0x1ff) >= (1u << VMCS_KEY_INDEX_BITS))
		return -1;
	if (field & 1) {
		if (VMCS_FIELD_WIDTH(field) != VMCS_FIELD_WIDTH_64)
			return -1;
		*high = true;
		field &= ~1UL;
	}
	key = VMCS_KEY(field);
	return (int)vmcs_key_to_slot[key] - 1;
}

bool vmcs_field_valid(unsigned long field)
{
	bool high;

	return vmcs_field_slot(field, &high) >= 0;
}

u64 __vmcs_read(struct kvm_vcpu *vcpu, unsigned long field)
{
	struct vmcs *vmcs = to_vmx(vcpu)->vmcs;
	bool high;
	int slot = vmcs_field_slot(field, &high);

	if (WARN_ON_ONCE(slot < 0))
		return 0;
	if (high)
		return vmcs->fields[slot] >> 32;
	return vmcs->fields[slot];
}

void __vmcs_write(struct kvm_vcpu *vcpu, unsigned long field, u64 value)
{
	struct vmcs *vmcs = to_vmx(vcpu)->vmcs;
	bool high;
	int slot = vmcs_field_slot(field, &high);

	if (WARN_ON_ONCE(slot < 0))
		return;
	if (high) {
		vmcs->fields[slot] =
			(vmcs->fields[slot] & 0xffffffffULL) | (value << 32);
		return;
	}
	vmcs->fields[slot] = value & vmcs_const_mask(field);
}

/* ---- exit reasons, all generated from X2S_VMX_EXIT_REASONS ---- */

static const char *const vmx_exit_reason_names[X2S_VMX_EXIT_REASON_LIMIT] = {
#define X2S_EXIT_NAME(nr, name, desc) [nr] = #name,
	X2S_VMX_EXIT_REASONS(X2S_EXIT_NAME)
#undef X2S_EXIT_NAME
};

static const char *const vmx_exit_reason_descs[X2S_VMX_EXIT_REASON_LIMIT] = {
#define X2S_EXIT_DESC(nr, name, desc) [nr] = desc,
	X2S_VMX_EXIT_REASONS(X2S_EXIT_DESC)
#undef X2S_EXIT_DESC
};

const u16 vmx_exit_reason_list[] = {
#define X2S_EXIT_LIST(nr, name, desc) nr,
	X2S_VMX_EXIT_REASONS(X2S_EXIT_LIST)
#undef X2S_EXIT_LIST
};

const unsigned int vmx_exit_reason_count =
	sizeof(vmx_exit_reason_list) / sizeof(vmx_exit_reason_list[0]);

const char *vmx_exit_reason_name(u32 basic)
{
	if (basic >= X2S_VMX_EXIT_REASON_LIMIT)
		return NULL;
	return vmx_exit_reason_names[basic];
}

const char *vmx_exit_reason_desc(u32 basic)
{
	if (basic >= X2S_VMX_EXIT_REASON_LIMIT)
		return NULL;
	return vmx_exit_reason_descs[basic];
}
