// SPDX-License-Identifier: GPL-2.0-only
/* x2sim: an ICR value, field by field (SDM vol. 3, "Interrupt Command Register"). */
#include <stdio.h>

#include "verify/verify.h"

static const char *const delivery_modes[8] = {
	"Fixed", "Lowest priority",
	"SMI",	 "Remote read (KVM: PV unhalt)",
	"NMI",	 "INIT",
	"SIPI",	 "ExtINT",
};

static const char *const shorthands[4] = {
	"none",
	"self",
	"all including self",
	"all excluding self",
};

void x2s_icr_decode(FILE *f, uint64_t icr, const char *indent)
{
	u32 low = (u32)icr, dest = (u32)(icr >> 32);
	u32 reserved = low & 0xfff32000u; /* 31:20, 17:16, 13 */

	if (!indent)
		indent = "";
	fprintf(f, "%sICR 0x%016llx\n", indent, (unsigned long long)icr);
	fprintf(f, "%s  vector           0x%02x (%u)\n", indent,
		low & APIC_VECTOR_MASK, low & APIC_VECTOR_MASK);
	fprintf(f, "%s  delivery mode    %u %s\n", indent, (low >> 8) & 7,
		delivery_modes[(low >> 8) & 7]);
	fprintf(f, "%s  destination mode %s\n", indent,
		low & APIC_DEST_LOGICAL ? "logical" : "physical");
	fprintf(f, "%s  delivery status  %s\n", indent,
		low & APIC_ICR_BUSY ? "BUSY (bit 12 set: KVM clears it)" :
				      "idle");
	fprintf(f, "%s  level            %s\n", indent,
		low & APIC_INT_ASSERT ? "assert" : "de-assert");
	fprintf(f, "%s  trigger mode     %s\n", indent,
		low & APIC_INT_LEVELTRIG ? "level" : "edge");
	fprintf(f, "%s  shorthand        %s\n", indent,
		shorthands[(low >> 18) & 3]);
	if (reserved)
		fprintf(f,
			"%s  reserved bits    0x%08x set (x2APIC: #GP, X2APIC_ICR_RESERVED_BITS)\n",
			indent, reserved);
	else
		fprintf(f, "%s  reserved bits    none\n", indent);
	if (dest == X2APIC_BROADCAST)
		fprintf(f, "%s  destination      0x%08x (x2APIC broadcast)\n",
			indent, dest);
	else if (low & APIC_DEST_LOGICAL)
		fprintf(f,
			"%s  destination      0x%08x (x2APIC logical: cluster %u, mask 0x%04x; xAPIC logical ID 0x%02x)\n",
			indent, dest, dest >> 16, dest & 0xffff, dest & 0xff);
	else
		fprintf(f,
			"%s  destination      0x%08x (x2APIC ID %u; an xAPIC sender uses bits 31:24 of ICR2)\n",
			indent, dest, dest);
}
