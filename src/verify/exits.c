// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: the exits a case can deliver (verify.h, enum x2s_case_exit), by
 * name, and the exit each one is as the CPU leaves it in the VMCS.
 */
#include <stdio.h>
#include <string.h>

#include "verify/engine.h"

#define ECX X2S_CASE_USES_ECX
#define DATA X2S_CASE_USES_DATA
#define REG X2S_CASE_USES_REG

static const struct {
	const char *name;
	u32 reason;
	u32 insn_len; /* VM_EXIT_INSTRUCTION_LEN */
	unsigned int uses;
} exits[X2S_CASE_NR_EXITS] = {
	[X2S_CASE_WRMSR] = { "wrmsr", EXIT_REASON_MSR_WRITE, 2, ECX | DATA },
	[X2S_CASE_RDMSR] = { "rdmsr", EXIT_REASON_MSR_READ, 2, ECX },
	/* VEX.LZ.F3.M7.W0 F6 /0 id and its F2 twin: 9 bytes each. */
	[X2S_CASE_WRMSR_IMM] = { "wrmsr-imm", EXIT_REASON_MSR_WRITE_IMM, 9,
				 ECX | DATA | REG },
	[X2S_CASE_RDMSR_IMM] = { "rdmsr-imm", EXIT_REASON_MSR_READ_IMM, 9,
				 ECX | REG },
	[X2S_CASE_HLT] = { "hlt", EXIT_REASON_HLT, 1, 0 },
	[X2S_CASE_INVD] = { "invd", EXIT_REASON_INVD, 2, 0 },
	[X2S_CASE_PREEMPTION_TIMER] = { "preemption-timer",
					EXIT_REASON_PREEMPTION_TIMER, 0, 0 },
	[X2S_CASE_INTR_WINDOW] = { "interrupt-window",
				   EXIT_REASON_INTERRUPT_WINDOW, 0, 0 },
	[X2S_CASE_NMI_WINDOW] = { "nmi-window", EXIT_REASON_NMI_WINDOW, 0, 0 },
	[X2S_CASE_EXTINT] = { "external-interrupt",
			      EXIT_REASON_EXTERNAL_INTERRUPT, 0, DATA },
	[X2S_CASE_TRIPLE_FAULT] = { "triple-fault", EXIT_REASON_TRIPLE_FAULT, 0,
				    0 },
	/* A MOV between EAX and disp32(reg): 6 bytes. */
	[X2S_CASE_APIC_READ] = { "apic-read", EXIT_REASON_APIC_ACCESS, 6, ECX },
	[X2S_CASE_APIC_WRITE] = { "apic-write", EXIT_REASON_APIC_ACCESS, 6,
				  ECX | DATA },
	[X2S_CASE_CPUID] = { "cpuid", EXIT_REASON_CPUID, 2, ECX | DATA },
	/* IN AL, DX (EC) and OUT DX, AL (EE): 1 byte. */
	[X2S_CASE_IO_IN] = { "io-in", EXIT_REASON_IO_INSTRUCTION, 1, ECX },
	[X2S_CASE_IO_OUT] = { "io-out", EXIT_REASON_IO_INSTRUCTION, 1,
			      ECX | DATA },
};

static const char *const gpr_names[16] = {
	"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
	"R8",  "R9",  "R10", "R11", "R12", "R13", "R14", "R15",
};

const char *x2s_case_exit_name(enum x2s_case_exit x)
{
	return (unsigned int)x < X2S_CASE_NR_EXITS ? exits[x].name : "?";
}

int x2s_case_exit_find(const char *name)
{
	for (int x = 0; name && x < X2S_CASE_NR_EXITS; x++)
		if (!strcmp(name, exits[x].name))
			return x;
	return -1;
}

void x2s_case_exit_list(char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (int x = 0; x < X2S_CASE_NR_EXITS && n < len; x++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", x ? ", " : "",
				      exits[x].name);
}

unsigned int x2s_case_exit_uses(enum x2s_case_exit x)
{
	return (unsigned int)x < X2S_CASE_NR_EXITS ? exits[x].uses : 0;
}

static bool writes_icr(enum x2s_case_exit x, u32 ecx)
{
	return (x == X2S_CASE_WRMSR || x == X2S_CASE_WRMSR_IMM) &&
	       ecx == APIC_BASE_MSR + (APIC_ICR >> 4);
}

bool x2s_case_writes_icr(const struct x2s_case *c)
{
	return writes_icr(c->exit, c->ecx);
}

bool x2s_input_writes_icr(const struct x2s_input *in)
{
	return writes_icr(in->kind, in->ecx);
}

void x2s_case_exit_format(const struct x2s_case *c, char *buf, size_t len)
{
	const char *reg = gpr_names[c->reg & 15];
	unsigned long long d = (unsigned long long)c->data;

	switch (c->exit) {
	case X2S_CASE_WRMSR:
		snprintf(buf, len, "WRMSR ECX 0x%x, EDX:EAX 0x%016llx", c->ecx,
			 d);
		break;
	case X2S_CASE_RDMSR:
		snprintf(buf, len, "RDMSR ECX 0x%x (EDX:EAX 0x%016llx)", c->ecx,
			 d);
		break;
	case X2S_CASE_WRMSR_IMM:
		snprintf(buf, len, "WRMSRNS imm 0x%x, %s 0x%016llx", c->ecx,
			 reg, d);
		break;
	case X2S_CASE_RDMSR_IMM:
		snprintf(buf, len, "RDMSR imm 0x%x into %s", c->ecx, reg);
		break;
	case X2S_CASE_EXTINT:
		snprintf(buf, len, "external interrupt, vector 0x%02x",
			 (unsigned int)(c->data & 0xff));
		break;
	case X2S_CASE_APIC_READ:
		snprintf(buf, len, "APIC read 0x%03x", c->ecx);
		break;
	case X2S_CASE_IO_IN:
		snprintf(buf, len, "IN AL from port 0x%x", c->ecx & 0xffff);
		break;
	case X2S_CASE_IO_OUT:
		snprintf(buf, len, "OUT 0x%02x to port 0x%x",
			 (unsigned int)(c->data & 0xff), c->ecx & 0xffff);
		break;
	case X2S_CASE_APIC_WRITE:
		snprintf(buf, len, "APIC write 0x%03x = 0x%08x", c->ecx,
			 (u32)c->data);
		break;
	default:
		snprintf(buf, len, "%s exit (ECX 0x%x, EDX:EAX 0x%016llx)",
			 x2s_case_exit_name(c->exit), c->ecx, d);
		break;
	}
}

void x2s_input_make(struct x2s_input *in, enum x2s_case_exit x, u8 reg, u32 ecx,
		    u64 data)
{
	u32 icr = APIC_BASE_MSR + (APIC_ICR >> 4);

	memset(in, 0, sizeof(*in));
	in->kind = x;
	in->ecx = ecx;
	in->data = data;
	in->reg = reg & 15;
	in->exit.reason = exits[x].reason;
	in->exit.insn_len = exits[x].insn_len;
	in->rcx = ecx;
	in->rax = (u32)data;
	in->rdx = data >> 32;
	switch (x) {
	case X2S_CASE_WRMSR_IMM:
	case X2S_CASE_RDMSR_IMM:
		in->exit.qualification = ecx;
		in->insn_info = (u32)in->reg << 3;
		/* What a reader of the WRMSR registers would take instead. */
		in->rcx = icr;
		in->rax = (u32)(data ^ 1);
		in->has_reg = true;
		in->regval = data;
		break;
	case X2S_CASE_EXTINT:
		in->exit.intr_info = INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR |
				     (u32)(data & 0xff);
		break;
	case X2S_CASE_IO_IN:
	case X2S_CASE_IO_OUT:
		/* Byte access, port in DX (bits 31:16), IN sets bit 3. */
		in->exit.qualification = (u64)(ecx & 0xffff) << 16 |
					 (x == X2S_CASE_IO_IN ? 8 : 0);
		in->rdx = (in->rdx & ~0xffffULL) | (ecx & 0xffff);
		break;
	case X2S_CASE_APIC_READ:
	case X2S_CASE_APIC_WRITE:
		in->exit.qualification = (ecx & APIC_ACCESS_OFFSET) |
					 (x == X2S_CASE_APIC_WRITE ?
						  TYPE_LINEAR_APIC_INST_WRITE :
						  TYPE_LINEAR_APIC_INST_READ);
		in->exit.mmio_data = (u32)data;
		in->exit.mmio_len = 4;
		in->rcx = icr;
		break;
	default:
		break;
	}
}

void x2s_input_wrmsr(struct x2s_input *in, u32 msr, u64 data)
{
	x2s_input_make(in, X2S_CASE_WRMSR, 0, msr, data);
}

void x2s_case_input(const struct x2s_case *c, struct x2s_input *in)
{
	x2s_input_make(in, c->exit, c->reg, c->ecx, c->data);
}

void x2s_input_case(const struct x2s_input *in, struct x2s_case *c)
{
	c->exit = in->kind;
	c->reg = in->reg;
	c->ecx = in->ecx;
	c->data = in->data;
}
