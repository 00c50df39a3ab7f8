// SPDX-License-Identifier: GPL-2.0-only
/*
 * A minimal runner on bare Unicorn, the yardstick for x2sim's runner on
 * the same guest images.  It does the least that runs the bench guests
 * correctly:
 *
 *   - one engine per vCPU over the same host buffers (image, stacks,
 *     GDT), set up as the x2sim guest ABI says (RDI = vCPU index, RSP =
 *     the top of its stack, 64-bit CS 0x08);
 *   - a code hook bounded to each WRMSR and each HLT site of the
 *     executable segments, nothing on other instructions (no instruction
 *     count, no guest clock);
 *   - WRMSR: the x2APIC ICR (0x830) sets the vector in the destination's
 *     IRR (fixed delivery, physical destination = vCPU index; any other
 *     destination is dropped), EOI (0x80b) clears the highest in-service
 *     vector; other MSRs are ignored.  The engine then executes the
 *     WRMSR itself (Unicorn 2.0.1 takes it as a no-op);
 *   - HLT stops the engine; a halted vCPU with IF set and an IRR vector
 *     above its in-service class gets it through its IDT (64-bit
 *     interrupt or trap gate: SS, RSP, RFLAGS, CS, RIP pushed, IF
 *     cleared for an interrupt gate) and runs the handler;
 *   - round-robin over the vCPUs, each running until its next HLT; the
 *     run ends when every vCPU is halted with nothing to take.
 *
 * Interrupts are taken only at HLT (the bench guests wait for them
 * there); no model, no exits, no trace, no statistics beyond counters.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <unicorn/unicorn.h>

#include "baseline.h"

#define BL_ICR 0x830
#define BL_EOI 0x80b
#define BL_IF (1ULL << 9)

struct bl_vcpu {
	struct bl_machine *m;
	unsigned int idx;
	uc_engine *uc;
	bool halted;
	bool if_set;
	uint64_t rip; /* where the next turn starts */
	uint64_t irr[4], isr[4];
};

struct bl_machine {
	unsigned int nr;
	struct bl_vcpu *vcpus;
	uint8_t *image, *stacks, *gdt;
	uint64_t lo, size, stacks_size;
	struct bl_stats *st;
};

static uint64_t thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t resident_bytes(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint8_t *bl_ptr(struct bl_machine *m, uint64_t addr, uint64_t len)
{
	if (addr >= m->lo && len <= m->size && addr - m->lo <= m->size - len)
		return m->image + (addr - m->lo);
	if (addr >= X2S_GUEST_STACK_BASE && len <= m->stacks_size &&
	    addr - X2S_GUEST_STACK_BASE <= m->stacks_size - len)
		return m->stacks + (addr - X2S_GUEST_STACK_BASE);
	return NULL;
}

/* The highest set bit of a 256-bit vector set, or -1. */
static int highest(const uint64_t set[4])
{
	for (int w = 3; w >= 0; w--)
		if (set[w])
			return w * 64 + 63 - __builtin_clzll(set[w]);
	return -1;
}

static void hook_wrmsr(uc_engine *uc, uint64_t addr, uint32_t size,
		       void *opaque)
{
	static int ids[] = { UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX };
	struct bl_vcpu *v = opaque;
	struct bl_machine *m = v->m;
	uint64_t val[3] = { 0 };
	void *ptrs[3] = { &val[0], &val[1], &val[2] };
	int vec;

	(void)addr;
	(void)size;
	m->st->wrmsrs++;
	uc_reg_read_batch(uc, ids, ptrs, 3);
	switch ((uint32_t)val[1]) {
	case BL_ICR:
		if ((uint32_t)val[2] < m->nr) {
			vec = (uint8_t)val[0];
			m->vcpus[(uint32_t)val[2]].irr[vec / 64] |=
				1ULL << (vec % 64);
		}
		break;
	case BL_EOI:
		vec = highest(v->isr);
		if (vec >= 0)
			v->isr[vec / 64] &= ~(1ULL << (vec % 64));
		break;
	default:
		break;
	}
}

static void hook_hlt(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct bl_vcpu *v = opaque;
	uint64_t rflags = 0;

	v->m->st->hlts++;
	uc_reg_read(uc, UC_X86_REG_RFLAGS, &rflags);
	v->if_set = rflags & BL_IF;
	v->halted = true;
	v->rip = addr + size;
	uc_emu_stop(uc);
}

/* The vector a halted vCPU takes now, or -1. */
static int deliverable(const struct bl_vcpu *v)
{
	int irr = highest(v->irr), isr = highest(v->isr);

	if (!v->if_set || irr < 0 || (isr >= 0 && irr >> 4 <= isr >> 4))
		return -1;
	return irr;
}

/* Through the 64-bit IDT, returning to v->rip; false on a bad gate. */
static bool deliver(struct bl_vcpu *v, int vec)
{
	static int rd[] = { UC_X86_REG_RSP, UC_X86_REG_RFLAGS };
	static int wr[] = { UC_X86_REG_RSP, UC_X86_REG_RFLAGS };
	uc_x86_mmr idtr = { 0 };
	uint64_t val[2] = { 0 }, frame[5], rsp, handler;
	uint32_t off2;
	void *ptrs[2] = { &val[0], &val[1] };
	const uint8_t *gate;
	uint8_t *dst;

	uc_reg_read(v->uc, UC_X86_REG_IDTR, &idtr);
	if ((uint32_t)vec * 16 + 15 > idtr.limit)
		return false;
	gate = bl_ptr(v->m, idtr.base + (uint64_t)vec * 16, 16);
	if (!gate || !(gate[5] & 0x80) || ((gate[5] & 0x1e) != 0x0e))
		return false;
	memcpy(&off2, gate + 8, 4);
	handler = (uint64_t)off2 << 32 | (uint64_t)(gate[0] | gate[1] << 8) |
		  (uint64_t)(gate[6] | gate[7] << 8) << 16;
	uc_reg_read_batch(v->uc, rd, ptrs, 2);
	frame[0] = v->rip;
	frame[1] = X2S_GUEST_CS;
	frame[2] = val[1];
	frame[3] = val[0];
	frame[4] = X2S_GUEST_DS;
	rsp = (val[0] & ~0xfULL) - sizeof(frame);
	dst = bl_ptr(v->m, rsp, sizeof(frame));
	if (!dst)
		return false;
	memcpy(dst, frame, sizeof(frame));
	if ((gate[5] & 0x1f) == 0x0e)
		val[1] &= ~BL_IF;
	val[0] = rsp;
	uc_reg_write_batch(v->uc, wr, ptrs, 2);
	v->irr[vec / 64] &= ~(1ULL << (vec % 64));
	v->isr[vec / 64] |= 1ULL << (vec % 64);
	v->rip = handler;
	v->halted = false;
	v->m->st->delivered++;
	return true;
}

static int bl_engine(struct bl_machine *m, struct bl_vcpu *v,
		     const struct x2s_guest_image *img)
{
	uc_x86_mmr gdtr = { .base = X2S_GUEST_GDT_BASE, .limit = 23 };
	uint64_t rsp =
		X2S_GUEST_STACK_BASE + X2S_GUEST_STACK_SIZE * (v->idx + 1);
	uint64_t idx = v->idx, nr = m->nr, flags = 2, cs = X2S_GUEST_CS,
		 ds = X2S_GUEST_DS;
	uc_hook h;
	uc_err e;

	e = uc_open(UC_ARCH_X86, UC_MODE_64, &v->uc);
	if (!e)
		e = uc_mem_map_ptr(v->uc, m->lo, m->size, UC_PROT_ALL,
				   m->image);
	if (!e)
		e = uc_mem_map_ptr(v->uc, X2S_GUEST_STACK_BASE, m->stacks_size,
				   UC_PROT_READ | UC_PROT_WRITE, m->stacks);
	if (!e)
		e = uc_mem_map_ptr(v->uc, X2S_GUEST_GDT_BASE, 0x1000,
				   UC_PROT_READ | UC_PROT_WRITE, m->gdt);
	/*
	 * A hook bounded to each site of the executable segments: WRMSR
	 * (0f 30) and HLT (f4).  A site inside another instruction is
	 * never reached as an instruction start.
	 */
	for (unsigned int n = 0; !e && n < x2s_guest_image_nr_segments(img);
	     n++) {
		const struct x2s_guest_segment *s =
			x2s_guest_image_segment(img, n);

		for (uint64_t i = 0; s->exec && !e && i < s->filesz; i++) {
			const uint8_t *p = s->data + i;
			uint64_t at = s->vaddr + i;

			if (*p == 0x0f && i + 1 < s->filesz && p[1] == 0x30)
				e = uc_hook_add(v->uc, &h, UC_HOOK_CODE,
						hook_wrmsr, v, at, at);
			else if (*p == 0xf4)
				e = uc_hook_add(v->uc, &h, UC_HOOK_CODE,
						hook_hlt, v, at, at);
		}
	}
	if (!e)
		e = uc_reg_write(v->uc, UC_X86_REG_GDTR, &gdtr);
	if (!e)
		e = uc_reg_write(v->uc, UC_X86_REG_CS, &cs);
	if (!e)
		e = uc_reg_write(v->uc, UC_X86_REG_SS, &ds);
	if (!e)
		e = uc_reg_write(v->uc, UC_X86_REG_DS, &ds);
	if (!e)
		e = uc_reg_write(v->uc, UC_X86_REG_ES, &ds);
	if (!e)
		e = uc_reg_write(v->uc, UC_X86_REG_RDI, &idx);
	if (!e)
		e = uc_reg_write(v->uc, UC_X86_REG_RSI, &nr);
	if (!e)
		e = uc_reg_write(v->uc, UC_X86_REG_RSP, &rsp);
	if (!e)
		e = uc_reg_write(v->uc, UC_X86_REG_RFLAGS, &flags);
	v->rip = x2s_guest_image_entry(img);
	return e ? -1 : 0;
}

/* The image, the stacks and the GDT, as x2sim's runner lays them out. */
static int bl_map(struct bl_machine *m, const struct x2s_guest_image *img)
{
	unsigned int n = x2s_guest_image_nr_segments(img);
	uint64_t lo = UINT64_MAX, hi = 0;
	static const uint64_t gdt[3] = { 0, 0x00af9b000000ffffULL,
					 0x00cf93000000ffffULL };

	for (unsigned int i = 0; i < n; i++) {
		const struct x2s_guest_segment *s =
			x2s_guest_image_segment(img, i);

		if (s->vaddr < lo)
			lo = s->vaddr;
		if (s->vaddr + s->memsz > hi)
			hi = s->vaddr + s->memsz;
	}
	m->lo = lo & ~0xfffULL;
	m->size = ((hi + 0xfff) & ~0xfffULL) - m->lo;
	m->stacks_size = X2S_GUEST_STACK_SIZE * m->nr;
	m->image = mmap(NULL, m->size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m->stacks = mmap(NULL, m->stacks_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m->gdt = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->image == MAP_FAILED || m->stacks == MAP_FAILED ||
	    m->gdt == MAP_FAILED)
		return -1;
	memcpy(m->gdt, gdt, sizeof(gdt));
	for (unsigned int i = 0; i < n; i++) {
		const struct x2s_guest_segment *s =
			x2s_guest_image_segment(img, i);

		memcpy(m->image + (s->vaddr - m->lo), s->data, s->filesz);
	}
	return 0;
}

static void bl_unmap(struct bl_machine *m)
{
	for (unsigned int i = 0; m->vcpus && i < m->nr; i++)
		if (m->vcpus[i].uc)
			uc_close(m->vcpus[i].uc);
	free(m->vcpus);
	if (m->image && m->image != MAP_FAILED)
		munmap(m->image, m->size);
	if (m->stacks && m->stacks != MAP_FAILED)
		munmap(m->stacks, m->stacks_size);
	if (m->gdt && m->gdt != MAP_FAILED)
		munmap(m->gdt, 0x1000);
}

static const char *bl_schedule(struct bl_machine *m)
{
	for (;;) {
		bool ran = false;

		for (unsigned int i = 0; i < m->nr; i++) {
			struct bl_vcpu *v = &m->vcpus[i];
			uc_err e;

			if (v->halted) {
				int vec = deliverable(v);

				if (vec < 0)
					continue;
				if (!deliver(v, vec))
					return "bad IDT gate or stack";
			}
			e = uc_emu_start(v->uc, v->rip, 0, 0, 0);
			if (e)
				return uc_strerror(e);
			if (!v->halted)
				return "stopped before a HLT";
			ran = true;
		}
		if (!ran)
			return NULL;
	}
}

int bl_run(const struct x2s_guest_image *img, unsigned int nr_vcpus,
	   const char *sym, uint64_t val, const char *check_sym,
	   struct bl_stats *st, char *err, size_t errlen)
{
	struct bl_machine m = { .nr = nr_vcpus, .st = st };
	const char *why = NULL;
	uint64_t addr = 0, rss0, t0;
	uint8_t *p;

	memset(st, 0, sizeof(*st));
	if (x2s_guest_image_kind(img) != X2S_GUEST_ELF64 || !nr_vcpus ||
	    bl_map(&m, img)) {
		snprintf(err, errlen, "baseline: cannot map the image");
		bl_unmap(&m);
		return -1;
	}
	if (sym) {
		if (!x2s_guest_image_symbol(img, sym, &addr, NULL) ||
		    !(p = bl_ptr(&m, addr, 8))) {
			snprintf(err, errlen, "baseline: no symbol %s", sym);
			bl_unmap(&m);
			return -1;
		}
		memcpy(p, &val, 8);
	}
	m.vcpus = calloc(nr_vcpus, sizeof(*m.vcpus));
	rss0 = resident_bytes();
	for (unsigned int i = 0; m.vcpus && i < nr_vcpus; i++) {
		m.vcpus[i].m = &m;
		m.vcpus[i].idx = i;
		if (bl_engine(&m, &m.vcpus[i], img)) {
			why = "cannot set up an engine";
			break;
		}
	}
	if (!m.vcpus)
		why = "out of memory";
	if (!why) {
		t0 = thread_ns();
		why = bl_schedule(&m);
		st->cpu_ns = thread_ns() - t0;
		st->engine_bytes_per_vcpu = resident_bytes();
		st->engine_bytes_per_vcpu =
			st->engine_bytes_per_vcpu > rss0 ?
				(st->engine_bytes_per_vcpu - rss0) / nr_vcpus :
				0;
	}
	if (!why && check_sym &&
	    (!x2s_guest_image_symbol(img, check_sym, &addr, NULL) ||
	     !(p = bl_ptr(&m, addr, 8))))
		why = "no check symbol";
	else if (!why && check_sym)
		memcpy(&st->check, p, 8);
	if (why)
		snprintf(err, errlen, "baseline: %s", why);
	bl_unmap(&m);
	return why ? -1 : 0;
}
