/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim guest module: static ELF64 x86-64 guest images (loader.c) run on
 * one Unicorn engine per vCPU (runner.c), every WRMSR / RDMSR / HLT and
 * xAPIC MMIO access turned into a VM exit that the model handles.
 *
 * The guest ABI (where vCPUs start, the memory map, what is intercepted)
 * is described in docs/guest-abi.md.  Unicorn and libelf are used only
 * here and in tools/.
 */
#ifndef X2SIM_SRC_GUEST_H
#define X2SIM_SRC_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <x2sim/x2sim.h>

#include "fastpath/fastpath.h"

/* ---- the memory map of docs/guest-abi.md ---- */
#define X2S_GUEST_GDT_BASE 0x1000ULL
#define X2S_GUEST_IMAGE_MIN 0x10000ULL	  /* 64 KiB: SIPI vector 0x10 */
#define X2S_GUEST_IMAGE_MAX 0x40000000ULL /* 1 GiB, exclusive */
#define X2S_GUEST_STACK_BASE 0x40000000ULL
#define X2S_GUEST_STACK_SIZE 0x10000ULL /* 64 KiB per vCPU */
#define X2S_GUEST_APIC_BASE 0xfee00000ULL
#define X2S_GUEST_CS 0x08
#define X2S_GUEST_DS 0x10
#define X2S_GUEST_MAX_VCPUS 64

/*
 * The multiboot machine (docs/guest-abi.md, "Multiboot kernels"): RAM
 * from guest-physical 0, the kernel's segments from 1 MiB, the boot
 * information below 640 KiB, the runner's own boot page above RAM.
 */
#define X2S_MB_HEADER_MAGIC 0x1badb002u
#define X2S_MB_BOOT_MAGIC 0x2badb002u
#define X2S_MB_SEARCH 8192 /* the header is in the file's first 8 KiB */
#define X2S_MB_FLAG_PAGE_ALIGN (1u << 0)
#define X2S_MB_FLAG_MEMINFO (1u << 1)
#define X2S_MB_FLAG_AOUT_KLUDGE (1u << 16)
#define X2S_MB_FLAGS_SUPPORTED (X2S_MB_FLAG_PAGE_ALIGN | X2S_MB_FLAG_MEMINFO)
#define X2S_MB_LOAD_MIN 0x100000ULL /* segments from 1 MiB */
#define X2S_MB_INFO_ADDR 0x9000ULL  /* struct multiboot_info */
#define X2S_MB_CMDLINE_ADDR 0x9100ULL
#define X2S_MB_CMDLINE_MAX 0xf00 /* bytes with the NUL */
#define X2S_MB_MEM_MIN (2ULL << 20)
#define X2S_MB_MEM_MAX (3ULL << 30)
#define X2S_MB_MEM_DEFAULT (128ULL << 20)
/* Page tables, GDT and boot code of the runner: 16 KiB below 4 GiB. */
#define X2S_MB_BOOT_BASE 0xffffc000ULL
#define X2S_MB_BOOT_SIZE 0x4000ULL
#define X2S_MB_CS 0x08 /* flat 32-bit code */
#define X2S_MB_DS 0x10 /* flat data */

/* ---- loader.c ---- */

enum x2s_guest_kind {
	X2S_GUEST_ELF64,     /* the 64-bit entry ABI */
	X2S_GUEST_MULTIBOOT, /* an ELF32 multiboot v1 kernel */
};

struct x2s_guest_segment {
	/* Where it is loaded: p_vaddr (ELF64) or p_paddr (multiboot). */
	uint64_t vaddr;
	uint64_t memsz;
	uint64_t filesz;
	bool exec;
	bool write;
	const uint8_t *data; /* filesz bytes inside the image's copy */
};

struct x2s_guest_image;

/*
 * Load a static ELF64 x86-64 executable or an ELF32 i386 multiboot v1
 * kernel from a file or a buffer (the buffer is copied).  On error returns -errno-like code (-ENOEXEC for any
 * malformed image, -ENOENT / -EIO for the file) and writes one line
 * saying what is wrong to err.
 */
int x2s_guest_image_load(const char *path, struct x2s_guest_image **out,
			 char *err, size_t errlen);
int x2s_guest_image_load_mem(const void *buf, size_t len,
			     struct x2s_guest_image **out, char *err,
			     size_t errlen);
void x2s_guest_image_free(struct x2s_guest_image *img);
uint64_t x2s_guest_image_entry(const struct x2s_guest_image *img);
enum x2s_guest_kind x2s_guest_image_kind(const struct x2s_guest_image *img);
unsigned int x2s_guest_image_nr_segments(const struct x2s_guest_image *img);
const struct x2s_guest_segment *
x2s_guest_image_segment(const struct x2s_guest_image *img, unsigned int i);
/* A symbol of the image's symbol table: false when there is none. */
bool x2s_guest_image_symbol(const struct x2s_guest_image *img, const char *name,
			    uint64_t *addr, uint64_t *size);

/* ---- runner.c ---- */

struct x2s_guest_config {
	unsigned int nr_vcpus;		     /* 1 .. X2S_GUEST_MAX_VCPUS */
	const struct x2s_fastpath *fastpath; /* NULL: no fastpath */
	bool ap_wait_sipi;   /* vCPUs 1.. wait for INIT + SIPI */
	uint64_t max_insns;  /* guest instruction budget, 0: default */
	uint64_t timeout_ms; /* host time budget, 0: default */
	uint64_t slice;	     /* instructions per scheduling turn, 0: default */
	/*
	 * kvm_intel.preemption_timer=0: no hv timer; KVM forces an
	 * immediate exit with a reschedule IPI to itself instead.
	 */
	bool no_preemption_timer;
	/*
	 * The guest's CPUID (--cpu, x2s_guest_parse_cpu()): leave out the
	 * x2APIC or the TSC-deadline bit of leaf 1; MAXPHYADDR (0: 46).  An
	 * ELF64 guest starts in x2APIC mode and needs the x2APIC bit.
	 */
	bool cpu_no_x2apic;
	bool cpu_no_tsc_deadline;
	unsigned int phys_bits;
	/* Multiboot kernels: RAM bytes (0: X2S_MB_MEM_DEFAULT). */
	uint64_t mem_size;
	/* Multiboot kernels: the command line the boot information has. */
	const char *cmdline;
	/* Bytes the guest writes to the serial port (0x3f8); NULL: none. */
	void (*console)(void *opaque, const char *buf, size_t len);
	void *console_opaque;
	/* KVM-style trace lines (kvm_exit, kvm_entry, ... and the model's). */
	x2s_trace_fn trace;
	void *trace_opaque;
};

#define X2S_GUEST_DEFAULT_MAX_INSNS 200000000ULL
#define X2S_GUEST_DEFAULT_TIMEOUT_MS 60000ULL
#define X2S_GUEST_DEFAULT_SLICE 1000ULL

/* Exit statistics: host nanoseconds from the exit to the next entry. */
struct x2s_exit_stat {
	uint64_t count;
	uint64_t total_ns;
	uint64_t min_ns;
	uint64_t max_ns;
	double sumsq_ns; /* for the +- of perf kvm stat */
};

#define X2S_GUEST_NR_REASONS 80

struct x2s_guest_stats {
	struct x2s_exit_stat reason[X2S_GUEST_NR_REASONS];
	/* MSR_WRITE exits a fastpath handled / KVM's handler took. */
	struct x2s_exit_stat msr_write_fastpath;
	struct x2s_exit_stat msr_write_slow;
	uint64_t exits;
	uint64_t insns;	 /* guest instructions, all vCPUs */
	uint64_t run_ns; /* host time of x2s_guest_run() (wall clock) */
	uint64_t cpu_ns; /* CPU time of the thread in it: robust to load */
	uint64_t injected_irqs, injected_nmis, injected_exceptions;
	/*
	 * IPI latency: from a WRMSR(ICR) or ICR MMIO write exit to the
	 * next interrupt or NMI delivered to another vCPU's IDT handler.
	 */
	uint64_t ipi_count;
	uint64_t ipi_ns_total, ipi_ns_min, ipi_ns_max;
	uint64_t ipi_insns_total, ipi_insns_min, ipi_insns_max;
	/* Resident memory Unicorn took for the engines, per vCPU. */
	uint64_t engine_bytes_per_vcpu;
	/*
	 * The guest wrote V to the exit port (0xf4): the run ended with
	 * status (V << 1) | 1, as QEMU's isa-debug-exit gives it; -1: it
	 * did not.
	 */
	int64_t exit_status;
	uint64_t console_bytes;
	unsigned int warns;
	const char *first_warn;
};

struct x2s_guest;

#define X2S_GUEST_PHYS_BITS_MIN 32
#define X2S_GUEST_PHYS_BITS_MAX 52

/*
 * A CPU model in QEMU's -cpu syntax, applied to cfg: "+x2apic",
 * "-tsc-deadline", "x2apic=off", "phys-bits=36", comma-separated.  0, or
 * -EINVAL with one line in err (an unknown feature, a malformed item);
 * cfg is unchanged then.
 */
int x2s_guest_parse_cpu(const char *spec, struct x2s_guest_config *cfg,
			char *err, size_t errlen);

/*
 * Create the VM (default configuration of nr_vcpus, x2APIC) and one
 * Unicorn engine per vCPU with the image mapped.  0 or -errno with err.
 */
int x2s_guest_create(const struct x2s_guest_image *img,
		     const struct x2s_guest_config *cfg, struct x2s_guest **out,
		     char *err, size_t errlen);
void x2s_guest_destroy(struct x2s_guest *g);

/*
 * Run until every vCPU is finished (halted with RFLAGS.IF = 0, or never
 * started), or the guest fails.  Returns 0 when it finished, 1 when it
 * failed (x2s_guest_error() names vCPU, RIP and reason), -errno on an
 * internal error.
 */
int x2s_guest_run(struct x2s_guest *g);
/* Before x2s_guest_run(): where the serial port's bytes go. */
void x2s_guest_set_console(struct x2s_guest *g,
			   void (*console)(void *opaque, const char *buf,
					   size_t len),
			   void *opaque);
const char *x2s_guest_error(const struct x2s_guest *g);
const struct x2s_guest_stats *x2s_guest_get_stats(const struct x2s_guest *g);
struct x2s_vm *x2s_guest_vm(struct x2s_guest *g);
/* Guest memory (image segments and stacks): 0 or -EFAULT. */
int x2s_guest_read(const struct x2s_guest *g, uint64_t addr, void *buf,
		   size_t len);
/* Before x2s_guest_run(): patch guest memory (e.g. a round count). */
int x2s_guest_write(struct x2s_guest *g, uint64_t addr, const void *buf,
		    size_t len);

#endif /* X2SIM_SRC_GUEST_H */
