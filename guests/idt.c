// SPDX-License-Identifier: GPL-2.0-only
/* The IDT every guest shares: 64-bit interrupt gates, selector 0x08. */
#include "guest.h"

struct gate {
	unsigned short off0, sel;
	u8 ist, type;
	unsigned short off1;
	u32 off2, zero;
};

extern char guest_irq_entries[], guest_nmi_entry[], guest_gp_entry[];

static struct gate idt[256] __attribute__((aligned(16)));
static volatile u32 idt_ready;

void idt_set_gate(unsigned int vec, void *fn)
{
	u64 a = (u64)fn;

	idt[vec].off0 = (unsigned short)a;
	idt[vec].sel = 0x08;
	idt[vec].ist = 0;
	idt[vec].type = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
	idt[vec].off1 = (unsigned short)(a >> 16);
	idt[vec].off2 = (u32)(a >> 32);
	idt[vec].zero = 0;
}

void idt_load(void)
{
	struct {
		unsigned short limit;
		u64 base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (u64)idt };

	if (!idt_ready) {
		for (unsigned int v = 32; v < 256; v++)
			idt_set_gate(v, guest_irq_entries + (v - 32) * 16);
		idt_set_gate(2, guest_nmi_entry);
		idt_set_gate(13, guest_gp_entry);
		idt_ready = 1;
	}
	asm volatile("lidt %0" ::"m"(idtr));
}

/* Defaults for programs that expect no interrupt or #GP. */
__attribute__((weak)) void guest_irq(u64 vector)
{
	(void)vector;
	x2apic_eoi();
}

/* An unexpected #GP ends the run visibly: the runner reports the #UD. */
__attribute__((weak)) void guest_gp(u64 *frame)
{
	(void)frame;
	asm volatile("ud2");
}
