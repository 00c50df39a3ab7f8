// SPDX-License-Identifier: GPL-2.0-only
/*
 * The multiboot test kernel: booted by `x2sim run mbtest.elf` as a
 * multiboot v1 loader boots a test kernel, it checks the machine
 * (docs/guest-abi.md, "Multiboot kernels") and reports in the style of
 * test kernels: "PASS: name" / "FAIL: name" on the serial port, a
 * "SUMMARY: N tests, M failures" line, and the exit port written with 0
 * when every subtest passed (the run's exit status is then 1).
 */
#include <stdarg.h>
#include <stdint.h>

#include "pio.h"

#define MB_BOOT_MAGIC 0x2badb002u
#define APIC 0xfee00000u
#define APIC_ID 0x20
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_ICR 0x300
#define IPI_VECTOR 0x40
#define MSR_APIC_BASE 0x1b
#define MSR_EFER 0xc0000080u

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
};

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

static struct idt_gate idt[256];
/* --set exit_value=V: write V to the exit port instead of the result. */
volatile uint64_t exit_value = ~0ull;
static unsigned int tests, failures;
volatile unsigned int irqs, gps;

void irq_stub(void);
void gp_stub(void);
int mb_main(uint32_t magic, const struct mb_info *mbi);

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v),
		     "d"((uint32_t)(v >> 32))
		     : "memory");
}

static inline uint32_t apic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(APIC + reg);
}

static inline void apic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(APIC + reg) = v;
}

/* ---- the serial console ---- */

static void putc_serial(char c)
{
	if (c == '\n')
		uart_putc('\r');
	uart_putc(c);
}

static void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

static void put_num(uint32_t v, unsigned int base)
{
	char buf[12];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		putc_serial(buf[--n]);
}

/* printf with %s, %c, %u, %d and %x: all a test report needs. */
static void printf_serial(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		int d;

		if (*fmt != '%') {
			putc_serial(*fmt);
			continue;
		}
		switch (*++fmt) {
		case 's':
			puts_serial(va_arg(ap, const char *));
			break;
		case 'c':
			putc_serial((char)va_arg(ap, int));
			break;
		case 'u':
			put_num(va_arg(ap, uint32_t), 10);
			break;
		case 'd':
			d = va_arg(ap, int);
			if (d < 0) {
				putc_serial('-');
				d = -d;
			}
			put_num((uint32_t)d, 10);
			break;
		case 'x':
			put_num(va_arg(ap, uint32_t), 16);
			break;
		case '%':
			putc_serial('%');
			break;
		default:
			return;
		}
	}
	va_end(ap);
}

static void report(const char *name, int ok)
{
	tests++;
	if (!ok)
		failures++;
	printf_serial("%s: %s\n", ok ? "PASS" : "FAIL", name);
}

/* ---- interrupts ---- */

void irq_handler(void);
void gp_handler(void);

void irq_handler(void)
{
	irqs++;
	apic_write(APIC_EOI, 0);
}

void gp_handler(void)
{
	gps++;
}

static void set_gate(unsigned int vector, void (*fn)(void))
{
	uint32_t off = (uint32_t)fn;

	idt[vector].off_lo = (uint16_t)off;
	idt[vector].sel = 0x08;
	idt[vector].zero = 0;
	idt[vector].type = 0x8e; /* present, 32-bit interrupt gate */
	idt[vector].off_hi = (uint16_t)(off >> 16);
}

static void idt_load(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) d = { sizeof(idt) - 1, (uint32_t)idt };

	asm volatile("lidt %0" ::"m"(d));
}

/* ---- fw_cfg: the RAM size, to check the boot information against ---- */

static uint32_t fw_cfg_ram_kib(void)
{
	uint64_t v = 0;

	outw(0x510, 0x0003);
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)inb(0x511) << (8 * i);
	return (uint32_t)(v >> 10);
}

/* ---- the subtests ---- */

static void test_serial(void)
{
	uint8_t lsr = inb(UART + UART_LSR);

	outb(UART + UART_SCR, 0x5a);
	report("serial", lsr == 0x60 && inb(UART + UART_SCR) == 0x5a);
}

static void test_multiboot(uint32_t magic, const struct mb_info *mbi)
{
	uint32_t ram = fw_cfg_ram_kib();

	report("multiboot magic", magic == MB_BOOT_MAGIC);
	printf_serial("mem_lower %u KiB, mem_upper %u KiB, RAM %u KiB\n",
		      mbi->mem_lower, mbi->mem_upper, ram);
	report("multiboot memory", (mbi->flags & 1) && mbi->mem_lower == 640 &&
					   mbi->mem_upper + 1024 == ram);
	if (mbi->flags & 4)
		printf_serial("cmdline: '%s'\n", (const char *)mbi->cmdline);
	report("multiboot cmdline", (mbi->flags & 4) && mbi->cmdline);
}

static void test_cpuid_apic(void)
{
	uint32_t a = 1, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	report("cpuid apic", d & (1u << 9));
}

/* A self IPI through the xAPIC page, delivered to the IDT handler. */
static void test_xapic_self_ipi(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	printf_serial("APIC_BASE 0x%x, APIC ID %u\n", (uint32_t)base,
		      apic_read(APIC_ID) >> 24);
	report("apic base", (base & ~0xfffull) == APIC && (base & 0x800) &&
				    !(base & 0x400) && (base & 0x100));
	apic_write(APIC_SVR, 0x1ff);
	irqs = 0;
	apic_write(APIC_ICR, IPI_VECTOR | 1u << 18); /* self */
	asm volatile("sti; nop; cli" ::: "memory");
	report("xapic self ipi", irqs == 1);
}

/* An MSR the machine does not have: #GP through the 32-bit IDT. */
static void test_gp(void)
{
	gps = 0;
	(void)rdmsr(0x4b564dff);
	report("unknown msr #gp", gps == 1);
}

static void test_efer(void)
{
	uint64_t before = rdmsr(MSR_EFER), after;

	wrmsr(MSR_EFER, before | 1); /* SCE */
	after = rdmsr(MSR_EFER);
	wrmsr(MSR_EFER, before);
	report("efer", before == 0 && after == 1 && rdmsr(MSR_EFER) == 0);
}

int mb_main(uint32_t magic, const struct mb_info *mbi)
{
	set_gate(13, gp_stub);
	set_gate(IPI_VECTOR, irq_stub);
	idt_load();
	printf_serial("x2sim multiboot test kernel\n");
	test_serial();
	test_multiboot(magic, mbi);
	test_cpuid_apic();
	test_xapic_self_ipi();
	test_gp();
	test_efer();
	printf_serial("SUMMARY: %u tests, %u failures\n", tests, failures);
	if (exit_value != ~0ull)
		return (int)exit_value;
	return failures ? 1 : 0;
}
