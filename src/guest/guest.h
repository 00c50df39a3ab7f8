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

struct x2s_guest;

/*
 * An observation point (x2s_guest_config.observe): an exit about to be
 * handled (the model's vCPU holds the guest's registers), an entry after an exit
 * (the exit's reason and RIP, what was injected), a HLT that blocked the
 * vCPU, a wake from HLT or wait-for-SIPI, or an RDTSC (which does not
 * exit but reads the model's TSC).  rip is the RIP the guest resumes at;
 * the engine's other registers are current (x2s_guest_regs()).
 */
enum x2s_guest_obs_kind {
	X2S_OBS_EXIT, /* before the model handles an exit (its state then) */
	X2S_OBS_ENTRY,
	X2S_OBS_BLOCKED,
	X2S_OBS_WAKE, /* the entry of a vCPU that was halted or waiting */
	X2S_OBS_RDTSC,
};

enum x2s_guest_obs_mmio {
	X2S_OBS_MMIO_NONE,
	X2S_OBS_MMIO_READ,
	X2S_OBS_MMIO_WRITE,
};

struct x2s_guest_obs {
	enum x2s_guest_obs_kind kind;
	unsigned int vcpu;
	uint64_t insns;	     /* the vCPU's guest instructions so far */
	uint32_t exit_basic; /* the exit's basic reason (ENTRY, BLOCKED) */
	uint64_t exit_rip;   /* where the exit happened */
	uint64_t exit_qual;  /* its qualification */
	uint64_t rip;	     /* where the guest resumes */
	uint32_t intr_info;  /* the event the entry injected (valid bit) */
	uint32_t intr_error;
	uint32_t mp_state;
	/* An APIC-page access: the value written, or the value it loads. */
	enum x2s_guest_obs_mmio mmio;
	uint64_t mmio_value;
};

/* The registers of x2s_guest_regs(), in this order. */
enum x2s_guest_reg {
	X2S_GREG_RAX,
	X2S_GREG_RBX,
	X2S_GREG_RCX,
	X2S_GREG_RDX,
	X2S_GREG_RSI,
	X2S_GREG_RDI,
	X2S_GREG_RBP,
	X2S_GREG_RSP,
	X2S_GREG_R8,
	X2S_GREG_R9,
	X2S_GREG_R10,
	X2S_GREG_R11,
	X2S_GREG_R12,
	X2S_GREG_R13,
	X2S_GREG_R14,
	X2S_GREG_R15,
	X2S_GREG_RFLAGS,
	X2S_GREG_CR0,
	X2S_GREG_CR3,
	X2S_GREG_CR4,
	X2S_GREG_EFER,
	X2S_GREG_CS,
	X2S_GREG_SS,
	X2S_GUEST_NR_REGS,
};

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
	 * No host time per exit and per IPI: the two TSC reads each exit
	 * costs go.  The statistics keep every count; their _ns fields (an
	 * exit's time, an IPI's host latency) stay 0.  `x2sim run` sets it
	 * when neither --stat nor --json reports them.
	 */
	bool no_exit_times;
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
	/*
	 * Called at every point where the model hands the guest something
	 * (struct x2s_guest_obs); nonzero stops the run (x2s_guest_run()
	 * returns 1, the error says the observer stopped it).  diff.c.
	 */
	int (*observe)(void *opaque, struct x2s_guest *g,
		       const struct x2s_guest_obs *obs);
	void *observe_opaque;
	bool observe_exits; /* X2S_OBS_EXIT too */
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
/* A vCPU's registers (enum x2s_guest_reg) from its engine: 0 or -errno. */
int x2s_guest_regs(struct x2s_guest *g, unsigned int vcpu,
		   uint64_t regs[X2S_GUEST_NR_REGS]);
/* The guest's memory regions, in address order: false past the last. */
bool x2s_guest_region(const struct x2s_guest *g, unsigned int i, uint64_t *addr,
		      const uint8_t **mem, uint64_t *len);

/* ---- diff.c: differential runs (docs/guest.md, "Differential runs") ---- */

struct x2s_guest_diff_config {
	const struct x2s_guest_image *img;
	/*
	 * The run options of both sides; fastpath and observe are ignored.
	 * The console gets the reference run's serial output, the trace the
	 * run under test's.
	 */
	struct x2s_guest_config base;
	const struct x2s_fastpath *fastpath; /* the one under test */
	/* After each x2s_guest_create(): e.g. patch guest memory (--set). */
	int (*prepare)(void *opaque, struct x2s_guest *g, char *err,
		       size_t errlen);
	void *prepare_opaque;
	/*
	 * At a divergence, while the reference is run again: each exit about
	 * to be handled before the observation that differs (the last call
	 * is the exit that led to it), with the VM as the exit found it.
	 */
	void (*pre_exit)(void *opaque, struct x2s_guest *g,
			 const struct x2s_guest_obs *obs);
	void *pre_exit_opaque;
};

/* One side: [0] the reference (no fastpath), [1] the run under test. */
struct x2s_guest_diff_run {
	int result;   /* x2s_guest_run()'s */
	bool stopped; /* stopped at the divergence */
	char error[512];
	uint64_t observations;
	uint64_t console_bytes, console_hash;
	struct x2s_guest_stats stats; /* first_warn cleared */
};

struct x2s_guest_diff_field {
	char name[16]; /* "RAX", "injected", "mp_state", ... */
	uint64_t slow, fast;
};

#define X2S_GUEST_DIFF_MAX_FIELDS 64
#define X2S_GUEST_DIFF_KVM_REGS 18

struct x2s_guest_diff_result {
	bool diverged;
	bool at_end;	       /* found when both runs had ended */
	char what[1200];       /* one line */
	uint64_t index;	       /* the observation (from 0) */
	uint64_t observations; /* agree: how many were compared */
	/* The observation on each side at index (when it has one). */
	bool have_obs[2];
	struct x2s_guest_obs obs[2];
	uint64_t regs[2][X2S_GUEST_NR_REGS];
	/* KVM's registers for the next entry: RAX..R15 (KVM's order), RFLAGS, EFER. */
	uint64_t kvm_regs[2][X2S_GUEST_DIFF_KVM_REGS];
	uint64_t console_bytes[2], console_hash[2];
	unsigned int nr_fields;
	struct x2s_guest_diff_field field[X2S_GUEST_DIFF_MAX_FIELDS];
	int end_vcpu; /* at_end: the vCPU whose final state differs, or -1 */
	bool mem_differs;
	uint64_t mem_addr; /* the first byte that differs */
	uint8_t mem_slow, mem_fast;
	struct x2s_guest_diff_run run[2];
	uint64_t run_ns[2];
	/*
	 * A divergence: both guests as they stopped (the reference rerun to
	 * the observation, or as it ended), for x2s_guest_vm() and reports;
	 * x2s_guest_diff_release() frees them.
	 */
	struct x2s_guest *guest[2];
};

/*
 * Run dc->img twice, the slow path and dc->fastpath, and compare them at
 * every observation.  0 with res filled (res->diverged says the verdict),
 * or -errno with err: the image does not load into a guest, -ETIMEDOUT
 * when a side ran out of host time (nothing can be compared).
 */
int x2s_guest_diff(const struct x2s_guest_diff_config *dc,
		   struct x2s_guest_diff_result *res, char *err, size_t errlen);
void x2s_guest_diff_release(struct x2s_guest_diff_result *res);
/* The name of enum x2s_guest_reg reg ("RAX", "RFLAGS", "CR3"). */
const char *x2s_guest_reg_name(unsigned int reg);

#endif /* X2SIM_SRC_GUEST_H */
