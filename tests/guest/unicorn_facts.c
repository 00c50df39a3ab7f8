// SPDX-License-Identifier: GPL-2.0-only
/*
 * What Unicorn 2.0.1 does that the guest runner's design rests on, checked
 * on the installed library (docs/guest.md, "Counting instructions without
 * the per-instruction hook").  Each check runs a few instructions of
 * 64-bit code on a fresh engine:
 *
 *  - a block hook that stops the engine stops it before the block runs;
 *  - a code hook added, or uc_emu_start()'s until given, after a block
 *    was translated does not apply to that block until its translation
 *    is removed (uc_ctl_remove_cache()): what is instrumented and where
 *    a block ends is fixed when it is translated;
 *  - when an MMIO callback or an access to unmapped memory stops the
 *    engine in the middle of a block, the instructions before it have
 *    run but RIP reads the block's start, unless a code hook covers every
 *    instruction (its helper writes the PC before each one).
 *
 * With an argument, "cost none|code|block|code+N ITER" runs a loop of
 * ITER iterations of 5 instructions (one block each) with no hook, an
 * empty code hook on every instruction, an empty block hook, or the code
 * hook plus N bounded code hooks elsewhere, for callgrind to count.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#define CODE 0x1000
#define MMIO 0x20000

/* inc rax x4; mov rbx, [MMIO]; inc rax x3; hlt */
static const uint8_t straight[] = {
	0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0x48,
	0xff, 0xc0, 0x48, 0x8b, 0x1c, 0x25, 0x00, 0x00, 0x02, 0x00,
	0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0xf4,
};
#define MOV_AT (CODE + 12)
#define HLT_END (CODE + sizeof(straight))

/* inc rax; mov rbx, [0x400000] (unmapped); inc rax; hlt */
static const uint8_t unmapped[] = {
	0x48, 0xff, 0xc0, 0x48, 0x8b, 0x1c, 0x25, 0x00,
	0x00, 0x40, 0x00, 0x48, 0xff, 0xc0, 0xf4,
};

static unsigned int code_calls, failures;
static bool stop_in_block, stop_in_mmio;

static void on_code(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	code_calls++;
}

static void on_block(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	if (stop_in_block) {
		stop_in_block = false;
		uc_emu_stop(uc);
	}
}

static uint64_t on_mmio_read(uc_engine *uc, uint64_t off, unsigned int size,
			     void *opaque)
{
	if (stop_in_mmio)
		uc_emu_stop(uc);
	return 0;
}

static void on_mmio_write(uc_engine *uc, uint64_t off, unsigned int size,
			  uint64_t val, void *opaque)
{
}

static uc_engine *engine(const uint8_t *code, size_t len)
{
	uc_engine *uc;
	uc_hook h;

	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK ||
	    uc_mem_map(uc, CODE, 0x1000, UC_PROT_ALL) != UC_ERR_OK ||
	    uc_mem_write(uc, CODE, code, len) != UC_ERR_OK ||
	    uc_mmio_map(uc, MMIO, 0x1000, on_mmio_read, NULL, on_mmio_write,
			NULL) != UC_ERR_OK ||
	    uc_hook_add(uc, &h, UC_HOOK_BLOCK, on_block, NULL, 1, 0) !=
		    UC_ERR_OK) {
		fprintf(stderr, "unicorn_facts: cannot set up an engine\n");
		exit(2);
	}
	return uc;
}

static uint64_t reg(uc_engine *uc, int r)
{
	uint64_t v = 0;

	uc_reg_read(uc, r, &v);
	return v;
}

/* Run from CODE with RAX = 0; RAX counts the INCs that ran. */
static void run(uc_engine *uc, uint64_t until, uint64_t *rax, uint64_t *rip)
{
	uint64_t zero = 0;

	uc_reg_write(uc, UC_X86_REG_RAX, &zero);
	uc_emu_start(uc, CODE, until, 0, 0);
	*rax = reg(uc, UC_X86_REG_RAX);
	*rip = reg(uc, UC_X86_REG_RIP);
}

static void check(bool ok, const char *what, uint64_t rax, uint64_t rip)
{
	printf("%s - %s (rax %" PRIu64 ", rip 0x%" PRIx64 ")\n",
	       ok ? "ok" : "NOT OK", what, rax, rip);
	if (!ok)
		failures++;
}

static void facts(void)
{
	uc_engine *uc = engine(straight, sizeof(straight));
	uint64_t rax, rip;
	uc_hook h;

	stop_in_block = true;
	run(uc, 0, &rax, &rip);
	check(rax == 0 && rip == CODE,
	      "a block hook's stop comes before the block runs", rax, rip);

	/* The block is translated now, without a code hook. */
	run(uc, 0, &rax, &rip);
	uc_hook_add(uc, &h, UC_HOOK_CODE, on_code, NULL, 1, 0);
	run(uc, 0, &rax, &rip);
	check(code_calls == 0 && rax == 7,
	      "a code hook added later misses the translated block", rax, rip);
	run(uc, CODE + 6, &rax, &rip);
	check(rax == 7 && rip == HLT_END,
	      "uc_emu_start's until inside the translated block is not seen",
	      rax, rip);
	uc_ctl_remove_cache(uc, CODE, CODE + 1);
	run(uc, CODE + 6, &rax, &rip);
	check(rax == 2 && rip == CODE + 6,
	      "after uc_ctl_remove_cache() the until address stops it", rax,
	      rip);
	uc_ctl_remove_cache(uc, CODE, CODE + 1);
	code_calls = 0;
	run(uc, 0, &rax, &rip);
	check(code_calls == 9 && rax == 7,
	      "after uc_ctl_remove_cache() the code hook sees all 9", rax, rip);
	uc_close(uc);

	uc = engine(straight, sizeof(straight));
	stop_in_mmio = true;
	run(uc, 0, &rax, &rip);
	check(rax == 4 && rip == CODE,
	      "an MMIO stop without a code hook: RIP reads the block's start",
	      rax, rip);
	uc_close(uc);

	uc = engine(straight, sizeof(straight));
	uc_hook_add(uc, &h, UC_HOOK_CODE, on_code, NULL, 1, 0);
	run(uc, 0, &rax, &rip);
	check(rax == 4 && rip == MOV_AT,
	      "an MMIO stop with a code hook: RIP is the accessing MOV", rax,
	      rip);
	stop_in_mmio = false;
	uc_close(uc);

	uc = engine(unmapped, sizeof(unmapped));
	run(uc, 0, &rax, &rip);
	check(rax == 1 && rip == CODE,
	      "an unmapped read without a code hook: RIP reads the block's "
	      "start",
	      rax, rip);
	uc_close(uc);

	uc = engine(unmapped, sizeof(unmapped));
	uc_hook_add(uc, &h, UC_HOOK_CODE, on_code, NULL, 1, 0);
	run(uc, 0, &rax, &rip);
	check(rax == 1 && rip == CODE + 3,
	      "an unmapped read with a code hook: RIP is the faulting MOV", rax,
	      rip);
	uc_close(uc);
}

/* mov ecx, ITER; 1: inc rax; inc rbx; inc rdx; dec ecx; jnz 1b; hlt */
static int cost(const char *mode, uint32_t iter)
{
	uint8_t loop[] = { 0xb9, 0,    0,    0,	   0,	 0x48, 0xff,
			   0xc0, 0x48, 0xff, 0xc3, 0x48, 0xff, 0xc2,
			   0xff, 0xc9, 0x75, 0xf3, 0xf4 };
	uc_engine *uc;
	uc_hook h;
	uint64_t zero = 0;

	memcpy(&loop[1], &iter, 4);
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK ||
	    uc_mem_map(uc, CODE, 0x1000, UC_PROT_ALL) != UC_ERR_OK ||
	    uc_mem_write(uc, CODE, loop, sizeof(loop)) != UC_ERR_OK)
		return 2;
	uc_reg_write(uc, UC_X86_REG_RAX, &zero);
	if (!strcmp(mode, "block")) {
		uc_hook_add(uc, &h, UC_HOOK_BLOCK, on_block, NULL, 1, 0);
	} else if (!strncmp(mode, "code", 4)) {
		int extra = mode[4] == '+' ? atoi(mode + 5) : 0;

		uc_hook_add(uc, &h, UC_HOOK_CODE, on_code, NULL, 1, 0);
		for (int i = 0; i < extra; i++)
			uc_hook_add(uc, &h, UC_HOOK_CODE, on_code, NULL,
				    0x100000 + i, 0x100000 + i);
	} else if (strcmp(mode, "none")) {
		return 2;
	}
	uc_emu_start(uc, CODE, 0, 0, 0);
	printf("%" PRIu64 " instructions, %u code hook calls\n",
	       reg(uc, UC_X86_REG_RAX) * 5 + 2, code_calls);
	uc_close(uc);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "cost"))
		return cost(argv[2], (uint32_t)strtoul(argv[3], NULL, 0));
	if (argc != 1) {
		fprintf(stderr, "usage: unicorn_facts [cost "
				"none|code|block|code+N ITERATIONS]\n");
		return 2;
	}
	facts();
	return failures ? 1 : 0;
}
