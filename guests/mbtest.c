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
#define APIC_LVTT 0x320
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define APIC_TDCR 0x3e0
#define LVTT_MASKED (1u << 16)
#define LVTT_PERIODIC (1u << 17)
#define LVTT_TSC_DEADLINE (2u << 17)
#define IPI_VECTOR 0x40
#define TIMER_VECTOR 0x41
#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EXTD (1u << 10)
#define APIC_BASE_EN (1u << 11)
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_ID 0x802
#define MSR_X2APIC_EOI 0x80b
#define MSR_X2APIC_SVR 0x80f
#define MSR_X2APIC_SELF_IPI 0x83f
#define MSR_EFER 0xc0000080u
#define CPUID_1_ECX_X2APIC (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define MAX_WAITS 100

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
static unsigned int tests, failures, skips;
volatile unsigned int irqs, gps, timer_irqs;
/* The APIC is in x2APIC mode: the handlers EOI through the MSR. */
static volatile int x2apic_mode;
/* Where the APIC page is (APIC_BASE can move it). */
static volatile uint32_t apic_at = APIC;

void irq_stub(void);
void gp_stub(void);
void timer_stub(void);
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

/* A subtest whose feature the CPU does not have, as test kernels say it. */
static void report_skip(const char *name, const char *why)
{
	tests++;
	skips++;
	printf_serial("SKIP: %s (%s)\n", name, why);
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	asm volatile("cpuid"
		     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(leaf), "c"(sub));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* ---- interrupts ---- */

void irq_handler(void);
void gp_handler(void);
void timer_handler(void);

static void eoi(void)
{
	if (x2apic_mode)
		wrmsr(MSR_X2APIC_EOI, 0);
	else
		*(volatile uint32_t *)(apic_at + APIC_EOI) = 0;
}

void irq_handler(void)
{
	irqs++;
	eoi();
}

void timer_handler(void)
{
	timer_irqs++;
	eoi();
}

/* Halt with interrupts on until *count reaches n (or MAX_WAITS wake-ups). */
static void wait_irqs(volatile unsigned int *count, unsigned int n)
{
	for (int i = 0; i < MAX_WAITS && *count < n; i++)
		asm volatile("sti; hlt; cli" ::: "memory");
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

/*
 * CPUID as KVM answers from the table x2sim gives it: the initial APIC ID
 * in leaf 1, the x2APIC ID in leaf 0xB, KVM's signature, MAXPHYADDR in
 * 0x80000008 -- and APIC_BASE's reserved bits following it.
 */
static void test_cpuid_model(void)
{
	uint32_t r[4], id = apic_read(APIC_ID) >> 24, phys;
	uint64_t base = rdmsr(MSR_APIC_BASE);
	unsigned int ok_bit, gp_before;

	cpuid(1, 0, r);
	report("cpuid initial apic id", r[1] >> 24 == id);
	cpuid(0xb, 0, r);
	report("cpuid x2apic id", r[3] == id);
	cpuid(0x40000000, 0, r);
	report("cpuid kvm signature",
	       r[1] == 0x4b4d564b && r[2] == 0x564b4d56 && r[3] == 0x4d);
	cpuid(0x80000008, 0, r);
	phys = r[0] & 0xff;
	printf_serial("MAXPHYADDR %u\n", phys);
	/* The highest address bit below MAXPHYADDR is valid, the next not. */
	wrmsr(MSR_APIC_BASE, base | 1ull << (phys - 1));
	ok_bit = rdmsr(MSR_APIC_BASE) >> (phys - 1) & 1;
	wrmsr(MSR_APIC_BASE, base);
	gp_before = gps;
	wrmsr(MSR_APIC_BASE, base | 1ull << phys);
	report("apic base follows maxphyaddr",
	       ok_bit && gps == gp_before + 1 && rdmsr(MSR_APIC_BASE) == base);
}

/*
 * x2APIC when CPUID has it: EXTD, the x2APIC ID MSR, a self IPI through
 * SELF_IPI; then back to xAPIC (disable, enable).  Without it EXTD is a
 * reserved bit of APIC_BASE.
 */
static void test_x2apic(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	uint32_t r[4];

	cpuid(1, 0, r);
	if (!(r[2] & CPUID_1_ECX_X2APIC)) {
		report_skip("x2apic", "no x2APIC in CPUID");
		gps = 0;
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
		report("x2apic: EXTD reserved without cpuid",
		       gps == 1 && rdmsr(MSR_APIC_BASE) == base);
		return;
	}
	cpuid(0xb, 0, r);
	wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
	x2apic_mode = 1;
	wrmsr(MSR_X2APIC_SVR, 0x1ff);
	irqs = 0;
	wrmsr(MSR_X2APIC_SELF_IPI, IPI_VECTOR);
	asm volatile("sti; nop; cli" ::: "memory");
	report("x2apic", rdmsr(MSR_X2APIC_ID) == r[3] && irqs == 1);
	/* x2APIC -> xAPIC only through disabled; the APIC resets. */
	wrmsr(MSR_APIC_BASE, base & ~(uint64_t)(APIC_BASE_EN | APIC_BASE_EXTD));
	wrmsr(MSR_APIC_BASE, base);
	x2apic_mode = 0;
	apic_write(APIC_SVR, 0x1ff);
	report("x2apic back to xapic",
	       rdmsr(MSR_APIC_BASE) == base && apic_read(APIC_SVR) == 0x1ff);
}

/* The LAPIC timer in its three modes (xAPIC registers, divide by 1). */
static void test_timer_oneshot(void)
{
	apic_write(APIC_TDCR, 0xb);
	apic_write(APIC_LVTT, TIMER_VECTOR);
	timer_irqs = 0;
	apic_write(APIC_TMICT, 20000);
	wait_irqs(&timer_irqs, 1);
	report("lapic timer one-shot",
	       timer_irqs == 1 && apic_read(APIC_TMCCT) == 0);
}

static void test_timer_periodic(void)
{
	apic_write(APIC_LVTT, TIMER_VECTOR | LVTT_PERIODIC);
	timer_irqs = 0;
	apic_write(APIC_TMICT, 20000);
	wait_irqs(&timer_irqs, 3);
	/* Still counting down after three periods: it reloads. */
	report("lapic timer periodic",
	       timer_irqs == 3 && apic_read(APIC_TMCCT) != 0);
	apic_write(APIC_LVTT, TIMER_VECTOR | LVTT_MASKED);
	apic_write(APIC_TMICT, 0);
}

static void test_timer_tsc_deadline(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	if (!(r[2] & CPUID_1_ECX_TSC_DEADLINE)) {
		report_skip("lapic timer tsc-deadline",
			    "no TSC-deadline timer in CPUID");
		/* LVTT has no TSC-deadline mode then: the bit is dropped. */
		apic_write(APIC_LVTT, TIMER_VECTOR | LVTT_TSC_DEADLINE);
		report("tsc-deadline mode reserved without cpuid",
		       !(apic_read(APIC_LVTT) & LVTT_TSC_DEADLINE));
		apic_write(APIC_LVTT, TIMER_VECTOR | LVTT_MASKED);
		return;
	}
	apic_write(APIC_LVTT, TIMER_VECTOR | LVTT_TSC_DEADLINE);
	timer_irqs = 0;
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + 20000);
	wait_irqs(&timer_irqs, 1);
	/* The deadline MSR reads 0 once the timer fired. */
	report("lapic timer tsc-deadline",
	       timer_irqs == 1 && rdmsr(MSR_TSC_DEADLINE) == 0);
	apic_write(APIC_LVTT, TIMER_VECTOR | LVTT_MASKED);
}

/* ---- APIC_BASE relocation ---- */

#define APIC_MOVED 0xfed00000u
/* --set touch_old_apic=1: read the old APIC page after the move. */
volatile uint64_t touch_old_apic;

/*
 * The APIC page follows APIC_BASE: its registers answer at the new
 * address (the APIC ID, a self IPI through the ICR there); then back.
 */
static void test_apic_relocation(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	volatile uint32_t *moved = (volatile uint32_t *)APIC_MOVED;
	uint32_t id;

	wrmsr(MSR_APIC_BASE, APIC_MOVED | (base & 0xfff));
	id = moved[APIC_ID / 4];
	irqs = 0;
	moved[APIC_ICR / 4] = IPI_VECTOR | 1u << 18;
	if (touch_old_apic)
		(void)apic_read(APIC_ID);
	apic_at = APIC_MOVED;
	asm volatile("sti; nop; cli" ::: "memory");
	wrmsr(MSR_APIC_BASE, base);
	apic_at = APIC;
	printf_serial("APIC_BASE moved to 0x%x: APIC ID %u, %u irq\n",
		      APIC_MOVED, id >> 24, irqs);
	report("apic base relocation", id == apic_read(APIC_ID) && irqs == 1 &&
					       rdmsr(MSR_APIC_BASE) == base);
}

/* ---- the MSRs a boot writes ---- */

#define MSR_TSC 0x10
#define MSR_MISC_ENABLE 0x1a0
#define MSR_PAT 0x277
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_SFMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define NONCANONICAL 0x0000800000000000ull

static volatile uint32_t fs_probe[2] = { 0x600dcafe, 0 };

/* One WRMSR; 1 when it raised #GP. */
static int wrmsr_gp(uint32_t msr, uint64_t v)
{
	unsigned int before = gps;

	wrmsr(msr, v);
	return gps != before;
}

/*
 * FS_BASE reaches the CPU (an FS-relative load sees it) and a segment
 * load's base reaches RDMSR; KERNEL_GS_BASE and the SYSCALL MSRs keep
 * what is written; a non-canonical address is a #GP.
 */
static void test_msr_bases(void)
{
	uint32_t seen;
	int ok;

	ok = !wrmsr_gp(MSR_FS_BASE, (uint32_t)fs_probe);
	asm volatile("mov %%fs:0, %0" : "=r"(seen));
	ok = ok && seen == 0x600dcafe &&
	     rdmsr(MSR_FS_BASE) == (uint32_t)fs_probe;
	asm volatile("mov %0, %%fs" ::"r"(0x10) : "memory");
	report("msr fs_base", ok && rdmsr(MSR_FS_BASE) == 0);
	ok = !wrmsr_gp(MSR_GS_BASE, 0x1000) && rdmsr(MSR_GS_BASE) == 0x1000;
	asm volatile("mov %0, %%gs" ::"r"(0x10) : "memory");
	ok = ok && !wrmsr_gp(MSR_KERNEL_GS_BASE, 0xffff800000001000ull) &&
	     rdmsr(MSR_KERNEL_GS_BASE) == 0xffff800000001000ull;
	report("msr gs_base, kernel_gs_base", ok);
	ok = !wrmsr_gp(MSR_STAR, 0x0023001000000000ull) &&
	     !wrmsr_gp(MSR_LSTAR, 0xffffffff81000000ull) &&
	     !wrmsr_gp(MSR_CSTAR, 0x100000) && !wrmsr_gp(MSR_SFMASK, 0x47700) &&
	     rdmsr(MSR_STAR) == 0x0023001000000000ull &&
	     rdmsr(MSR_LSTAR) == 0xffffffff81000000ull &&
	     rdmsr(MSR_CSTAR) == 0x100000 && rdmsr(MSR_SFMASK) == 0x47700;
	report("msr star, lstar, cstar, sfmask", ok);
	report("msr non-canonical #gp",
	       wrmsr_gp(MSR_FS_BASE, NONCANONICAL) &&
		       wrmsr_gp(MSR_LSTAR, NONCANONICAL) &&
		       wrmsr_gp(MSR_KERNEL_GS_BASE, NONCANONICAL) &&
		       rdmsr(MSR_LSTAR) == 0xffffffff81000000ull);
}

/* IA32_TSC moves the guest TSC; MISC_ENABLE's and PAT's rules. */
static void test_msr_tsc_misc_pat(void)
{
	uint64_t t = 1ull << 40, r = (wrmsr(MSR_TSC, t), rdtsc());
	uint64_t misc = rdmsr(MSR_MISC_ENABLE);

	report("msr tsc", r >= t && r < t + 100000 && rdmsr(MSR_TSC) >= r);
	printf_serial("MISC_ENABLE 0x%x\n", (uint32_t)misc);
	/* PEBS/BTS unavailable are read-only, EMON ignores writes. */
	report("msr misc_enable",
	       misc == 0x1800 && wrmsr_gp(MSR_MISC_ENABLE, misc & ~0x1000) &&
		       !wrmsr_gp(MSR_MISC_ENABLE, misc | 0x81) &&
		       rdmsr(MSR_MISC_ENABLE) == (misc | 1));
	report("msr pat", rdmsr(MSR_PAT) == 0x0007040600070406ull &&
				  !wrmsr_gp(MSR_PAT, 0x0007040600070401ull) &&
				  rdmsr(MSR_PAT) == 0x0007040600070401ull &&
				  wrmsr_gp(MSR_PAT, 0x0007040600070402ull) &&
				  wrmsr_gp(MSR_PAT, 0x0807040600070406ull) &&
				  rdmsr(MSR_PAT) == 0x0007040600070401ull);
}

/* ---- long mode ---- */

uint32_t lm_run(uint32_t cr3);
extern volatile uint64_t lm_results[3];
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));

/*
 * The kernel enters long mode itself (identity-mapped 4 GiB in 2 MiB
 * pages: its code, its stack, the APIC page), and in 64-bit code sees
 * EFER.LMA, a 64-bit hypercall result and CR8 as the TPR; then it goes
 * back to 32-bit protected mode.
 */
static void test_long_mode(void)
{
	uint32_t efer;

	pml4[0] = (uint32_t)pdpt | 3;
	for (int i = 0; i < 4; i++) {
		pdpt[i] = (uint32_t)pd[i] | 3;
		for (int j = 0; j < 512; j++)
			pd[i][j] =
				((uint64_t)i << 30 | (uint64_t)j << 21) | 0x83;
	}
	irqs = 0;
	efer = lm_run((uint32_t)pml4);
	/* The IPI the lowered TPR let through, now that IF is set. */
	asm volatile("sti; nop; cli" ::: "memory");
	printf_serial("long mode: EFER 0x%x, VMCALL 0x%x%x, CR8 %u, TPR 0x%x\n",
		      efer, (uint32_t)(lm_results[0] >> 32),
		      (uint32_t)lm_results[0], (uint32_t)lm_results[1],
		      (uint32_t)lm_results[2]);
	report("long mode switch",
	       (efer & 0x500) == 0x500 && (rdmsr(MSR_EFER) & 0x500) == 0);
	report("long mode vmcall", lm_results[0] == (uint64_t)-1000);
	report("long mode cr8 is the tpr", lm_results[1] == 5 &&
						   lm_results[2] == 0x50 &&
						   apic_read(0x80) == 0);
	report("long mode cr8 lowered lets an irq through", irqs == 1);
}

/* ---- an AP started by INIT and SIPI in real mode ---- */

#define TRAMPOLINE 0x8000u /* SIPI vector 0x08 */
#define APIC_ICR2 0x310

extern const uint8_t rm_trampoline[], rm_trampoline_end[];
volatile uint32_t ap_started, ap_cs, ap_edx;
/* --set ap_real_mode_hlt=1: the trampoline starts with HLT (an exit). */
volatile uint64_t ap_real_mode_hlt;

static uint32_t fw_cfg_cpus(void)
{
	outw(0x510, 0x0005);
	return inb(0x511) | (uint32_t)inb(0x511) << 8;
}

/*
 * The AP enters the trampoline in real mode at CS = vector << 8, IP 0
 * with EDX = CPUID 1's EAX; the 16-bit code gets it to protected mode.
 */
static void test_ap_real_mode(void)
{
	uint32_t r[4];

	if (fw_cfg_cpus() < 2) {
		report_skip("ap real-mode start", "one vCPU");
		return;
	}
	for (const uint8_t *p = rm_trampoline; p < rm_trampoline_end; p++)
		((volatile uint8_t *)TRAMPOLINE)[p - rm_trampoline] = *p;
	if (ap_real_mode_hlt)
		*(volatile uint8_t *)TRAMPOLINE = 0xf4;
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, 0x4500); /* INIT, level assert */
	apic_write(APIC_ICR, 0x0600 | (TRAMPOLINE >> 12)); /* SIPI */
	for (int i = 0; i < 1000000 && !ap_started; i++)
		asm volatile("pause" ::: "memory");
	cpuid(1, 0, r);
	printf_serial("AP started %u, CS 0x%x, EDX 0x%x\n", ap_started, ap_cs,
		      ap_edx);
	report("ap real-mode start",
	       ap_started && ap_cs == TRAMPOLINE >> 4 && ap_edx == r[0]);
}

/*
 * VMCALL as KVM answers it: -KVM_ENOSYS (-1000) for a hypercall it does
 * not have, 0 for KVM_HC_VAPIC_POLL_IRQ (1); 32 bits outside long mode.
 */
static void test_vmcall(void)
{
	uint32_t unknown = 0x4b56, poll = 1;

	asm volatile("vmcall" : "+a"(unknown) : "b"(0), "c"(0), "d"(0), "S"(0));
	asm volatile("vmcall" : "+a"(poll) : "b"(0), "c"(0), "d"(0), "S"(0));
	report("vmcall unknown hypercall", unknown == (uint32_t)-1000);
	report("vmcall vapic poll irq", poll == 0);
}

int mb_main(uint32_t magic, const struct mb_info *mbi)
{
	set_gate(13, gp_stub);
	set_gate(IPI_VECTOR, irq_stub);
	set_gate(TIMER_VECTOR, timer_stub);
	idt_load();
	printf_serial("x2sim multiboot test kernel\n");
	test_serial();
	test_multiboot(magic, mbi);
	test_cpuid_apic();
	test_xapic_self_ipi();
	test_gp();
	test_efer();
	test_vmcall();
	test_msr_bases();
	test_msr_tsc_misc_pat();
	test_cpuid_model();
	test_x2apic();
	test_apic_relocation();
	test_timer_oneshot();
	test_timer_periodic();
	test_timer_tsc_deadline();
	test_long_mode();
	test_ap_real_mode();
	printf_serial("SUMMARY: %u tests, %u failures, %u skipped\n", tests,
		      failures, skips);
	if (exit_value != ~0ull)
		return (int)exit_value;
	return failures ? 1 : 0;
}
