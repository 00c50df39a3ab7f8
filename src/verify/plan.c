// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: the sweep's plan (engine.h).  A sweep is a fixed list of units,
 * each a run of consecutive cases of one configuration and sender: 2^16
 * ICR values with one destination, the reserved bits with one
 * destination, the reduced set, 2^20 ECX values, or the exits of one
 * destination's IPI.  Shard K of N takes
 * every N-th unit from the K-th, so any machine computes the same list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verify/engine.h"

#define ICR_CHUNK_BITS 16
#define ICR_CHUNKS (1u << (20 - ICR_CHUNK_BITS))
#define MSR_CHUNK_BITS 20
#define MSR_CHUNKS (1u << (32 - MSR_CHUNK_BITS))
#define NR_RESERVED 12 /* ICR bits 31:20 */
static const u8 reduced_vectors[] = { 0x00, 0x0f, 0x31, 0xff };
#define REDUCED_SIZE (4096u * sizeof(reduced_vectors))

/*
 * The exits sweep's unit: every exit the model handles, in runs.  The
 * MSR exits cover the x2APIC range and the TSC deadline (the MSRs a
 * fastpath takes), the immediate forms with two registers each (RBX,
 * R9).  Writes to the ICR take ICR values: WRMSR's are the ICR sweep's;
 * WRMSRNS-immediate takes the reduced set's, from RBX or R9 by the
 * parity of the value's index (so each ICR bit is seen both ways from
 * both registers), and each reserved bit from both registers.  APIC
 * accesses go to every register offset.  CPUID asks leaf 0x31 (EAX),
 * subleaf 0x830; IN and OUT go to port 0x830.
 */
#define EXIT_MSRS 257 /* 0x800 ... 0x8ff, then MSR_IA32_TSC_DEADLINE */
#define IMM_ICR_VALUES (REDUCED_SIZE + 2 * NR_RESERVED)
#define IMM_ICR 0xff /* exit_runs: WRMSRNS-immediate over ICR values */
static const struct {
	u8 exit;
	u16 n;
} exit_runs[] = {
	{ X2S_CASE_RDMSR, EXIT_MSRS },
	{ X2S_CASE_WRMSR, EXIT_MSRS - 1 },
	{ X2S_CASE_RDMSR_IMM, 2 * EXIT_MSRS },
	{ X2S_CASE_WRMSR_IMM, 2 * (EXIT_MSRS - 1) },
	{ IMM_ICR, IMM_ICR_VALUES },
	{ X2S_CASE_HLT, 1 },
	{ X2S_CASE_INVD, 1 },
	{ X2S_CASE_PREEMPTION_TIMER, 1 },
	{ X2S_CASE_INTR_WINDOW, 1 },
	{ X2S_CASE_NMI_WINDOW, 1 },
	{ X2S_CASE_EXTINT, 1 },
	{ X2S_CASE_TRIPLE_FAULT, 1 },
	{ X2S_CASE_CPUID, 1 },
	{ X2S_CASE_IO_IN, 1 },
	{ X2S_CASE_IO_OUT, 1 },
	{ X2S_CASE_APIC_READ, X2S_APIC_PAGE_SIZE / 4 / 16 },
	{ X2S_CASE_APIC_WRITE, X2S_APIC_PAGE_SIZE / 4 / 16 },
};
static const u8 imm_regs[] = { VCPU_REGS_RBX, VCPU_REGS_R9 };

static u64 exits_size(void)
{
	u64 n = 0;

	for (size_t k = 0; k < sizeof(exit_runs) / sizeof(exit_runs[0]); k++)
		n += exit_runs[k].n;
	return n;
}

static u32 exit_msr(u64 i)
{
	return i < EXIT_MSRS - 1 ? APIC_BASE_MSR + (u32)i :
				   MSR_IA32_TSC_DEADLINE;
}

/*
 * Case j of an exits unit.  Every case carries the destination's fixed
 * IPI (vector 0x31) as its data, and ECX the ICR's index where the exit
 * has no MSR of its own.
 */
static void exits_case(const struct x2s_unit *u, u64 j, struct x2s_input *in)
{
	const u32 icr = APIC_BASE_MSR + (APIC_ICR >> 4);
	u64 data = (u64)u->dest << 32 | 0x31;
	u32 ecx = icr;
	u8 reg = 0;
	size_t k = 0;

	while (j >= exit_runs[k].n)
		j -= exit_runs[k++].n;
	switch (exit_runs[k].exit) {
	case IMM_ICR:
		if (j < REDUCED_SIZE) {
			data = (u64)u->dest << 32 | (j / 4) << 8 |
			       reduced_vectors[j % 4];
			reg = imm_regs[__builtin_parityll(j)];
		} else {
			j -= REDUCED_SIZE;
			data = (u64)u->dest << 32 |
			       1u << (20 + j % NR_RESERVED) | 0x31;
			reg = imm_regs[j / NR_RESERVED];
		}
		x2s_input_make(in, X2S_CASE_WRMSR_IMM, reg, icr, data);
		return;
	case X2S_CASE_WRMSR:
		ecx = exit_msr(j + (j >= icr - APIC_BASE_MSR));
		break;
	case X2S_CASE_WRMSR_IMM:
		reg = imm_regs[j / (EXIT_MSRS - 1)];
		j %= EXIT_MSRS - 1;
		ecx = exit_msr(j + (j >= icr - APIC_BASE_MSR));
		break;
	case X2S_CASE_RDMSR_IMM:
		reg = imm_regs[j / EXIT_MSRS];
		/* fall through */
	case X2S_CASE_RDMSR:
		ecx = exit_msr(j % EXIT_MSRS);
		break;
	case X2S_CASE_APIC_READ:
	case X2S_CASE_APIC_WRITE:
		ecx = (u32)j * 16;
		break;
	}
	x2s_input_make(in, exit_runs[k].exit, reg, ecx, data);
}

u64 x2s_unit_size(const struct x2s_unit *u)
{
	switch (u->kind) {
	case X2S_UNIT_ICR:
		return 1u << ICR_CHUNK_BITS;
	case X2S_UNIT_RESERVED:
		return NR_RESERVED;
	case X2S_UNIT_REDUCED:
		return REDUCED_SIZE;
	case X2S_UNIT_EXITS:
		return exits_size();
	default:
		return 1ULL << MSR_CHUNK_BITS;
	}
}

/* Case j of a unit of WRMSR exits: the MSR and the value written. */
static void unit_wrmsr(const struct x2s_unit *u, u64 j, u32 *msr, u64 *data)
{
	u64 dest = (u64)u->dest << 32;

	*msr = APIC_BASE_MSR + (APIC_ICR >> 4);
	switch (u->kind) {
	case X2S_UNIT_ICR:
		*data = dest | ((u64)u->chunk << ICR_CHUNK_BITS) | j;
		break;
	case X2S_UNIT_RESERVED:
		*data = dest | (1u << (20 + j)) | 0x31;
		break;
	case X2S_UNIT_REDUCED:
		*data = dest | ((j / 4) << 8) | reduced_vectors[j % 4];
		break;
	default:
		*msr = (u32)((u64)u->chunk << MSR_CHUNK_BITS | j);
		*data = dest | 0x31;
		break;
	}
}

void x2s_unit_case(const struct x2s_unit *u, u64 j, struct x2s_input *in)
{
	u64 data;
	u32 msr;

	if (u->kind == X2S_UNIT_EXITS) {
		exits_case(u, j, in);
		return;
	}
	unit_wrmsr(u, j, &msr, &data);
	x2s_input_wrmsr(in, msr, data);
}

void x2s_unit_case_next(const struct x2s_unit *u, u64 j, struct x2s_input *in)
{
	u64 data;
	u32 msr;

	if (u->kind == X2S_UNIT_EXITS || !j) {
		x2s_unit_case(u, j, in);
		return;
	}
	/* Every case of the unit is the same WRMSR exit: only GPRs differ. */
	unit_wrmsr(u, j, &msr, &data);
	in->ecx = msr;
	in->rcx = msr;
	in->data = data;
	in->rax = (u32)data;
	in->rdx = data >> 32;
}

u64 x2s_unit_vector_run(const struct x2s_unit *u, u64 j)
{
	switch (u->kind) {
	case X2S_UNIT_ICR:
		return 256 - (j & 255);
	case X2S_UNIT_REDUCED:
		return sizeof(reduced_vectors) - j % sizeof(reduced_vectors);
	default:
		return 1;
	}
}

u64 x2s_unit_profile_run(const struct x2s_unit *u, u64 j)
{
	u64 icr = APIC_BASE_MSR + (APIC_ICR >> 4), first;

	if (u->kind != X2S_UNIT_MSR)
		return x2s_unit_vector_run(u, j);
	/* Every ECX but the ICR's writes the same value to another MSR. */
	first = (u64)u->chunk << MSR_CHUNK_BITS;
	if (first + j == icr)
		return 1;
	if (first + j < icr && icr - first < x2s_unit_size(u))
		return icr - first - j;
	return x2s_unit_size(u) - j;
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

#define MAX_DESTS (2 * X2S_DESC_MAX_VCPUS + 12)

/*
 * The destination classes of a configuration: every present x2APIC and
 * xAPIC ID, an absent ID, one above the maximum, the xAPIC and x2APIC
 * broadcasts, 0xffff, and logical masks (cluster 0 pairs and halves, a
 * member that does not exist, cluster 1).
 */
static unsigned int config_dests(const struct x2s_vm_desc *d,
				 u32 out[MAX_DESTS])
{
	static const u32 fixed[] = {
		0x100, /* above the map's maximum (>= 255) */
		0xff,  0xffff, 0x3, 0x6, 0xc, 0x8000, 0x10001, X2APIC_BROADCAST,
	};
	unsigned int n = 0, k = 0;

	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		out[n++] = i;
		if (d->vcpu[i].xapic_id >= 0)
			out[n++] = (u32)d->vcpu[i].xapic_id;
	}
	out[n++] = d->nr_vcpus; /* absent */
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		out[n++] = fixed[i];
	qsort(out, n, sizeof(*out), cmp_u32);
	for (unsigned int i = 0; i < n; i++)
		if (!k || out[k - 1] != out[i])
			out[k++] = out[i];
	return k;
}

bool x2s_sweep_opts_valid(const struct x2s_sweep_opts *o)
{
	if (!o || !o->configs || !o->nr_configs || !o->threads ||
	    o->threads > 256 || !o->nr_shards || !o->shard ||
	    o->shard > o->nr_shards || !(o->sweep & X2S_SWEEP_ALL) ||
	    (o->sweep & ~(unsigned int)X2S_SWEEP_ALL) || o->nr_configs > 0xffff)
		return false;
	for (unsigned int c = 0; c < o->nr_configs; c++)
		if (x2s_vm_desc_check(&o->configs[c], NULL, 0))
			return false;
	return true;
}

/* The MSR sweep's configuration: the first with two vCPUs, else the first. */
static unsigned int msr_config(const struct x2s_sweep_opts *o)
{
	for (unsigned int c = 0; c < o->nr_configs; c++)
		if (o->configs[c].nr_vcpus >= 2)
			return c;
	return 0;
}

/*
 * Units are numbered over the whole sweep; the shard keeps its own.
 * With units NULL they are only counted.
 */
struct plan_builder {
	const struct x2s_sweep_opts *o;
	struct x2s_unit *units;
	size_t nr;
	u64 all;
};

static void plan_add(struct plan_builder *b, const struct x2s_unit *u)
{
	if (b->all++ % b->o->nr_shards != b->o->shard - 1)
		return;
	if (b->units)
		b->units[b->nr] = *u;
	b->nr++;
}

/* Configuration c: each sender x destination, the chunks of ICR values. */
static void plan_icr_config(struct plan_builder *b, unsigned int c)
{
	const struct x2s_sweep_opts *o = b->o;
	const struct x2s_vm_desc *d = &o->configs[c];
	u32 dests[MAX_DESTS];
	unsigned int nd = config_dests(d, dests);
	struct x2s_unit u = { .config = (u16)c };

	for (unsigned int s = 0; s < d->nr_vcpus; s++) {
		u.sender = (u16)s;
		for (unsigned int k = 0; k < nd; k++) {
			u.dest = dests[k];
			if (o->reduced) {
				u.kind = X2S_UNIT_REDUCED;
				u.chunk = 0;
				plan_add(b, &u);
				continue;
			}
			u.kind = X2S_UNIT_ICR;
			for (u.chunk = 0; u.chunk < ICR_CHUNKS; u.chunk++)
				plan_add(b, &u);
			u.kind = X2S_UNIT_RESERVED;
			plan_add(b, &u);
		}
	}
}

/* Configuration c: each sender x destination, the exits. */
static void plan_exits_config(struct plan_builder *b, unsigned int c)
{
	const struct x2s_vm_desc *d = &b->o->configs[c];
	u32 dests[MAX_DESTS];
	unsigned int nd = config_dests(d, dests);
	struct x2s_unit u = { .config = (u16)c, .kind = X2S_UNIT_EXITS };

	for (unsigned int s = 0; s < d->nr_vcpus; s++) {
		u.sender = (u16)s;
		for (unsigned int k = 0; k < nd; k++) {
			u.dest = dests[k];
			plan_add(b, &u);
		}
	}
}

static void plan_msr(struct plan_builder *b)
{
	const struct x2s_sweep_opts *o = b->o;
	unsigned int c = msr_config(o);
	struct x2s_unit u = {
		.config = (u16)c,
		.kind = X2S_UNIT_MSR,
		.dest = o->configs[c].nr_vcpus > 1 ? 1 : 0,
	};

	for (u.chunk = 0; u.chunk < MSR_CHUNKS; u.chunk++)
		plan_add(b, &u);
}

static void plan_walk(struct plan_builder *b)
{
	b->nr = 0;
	b->all = 0;
	if (b->o->sweep & X2S_SWEEP_ICR)
		for (unsigned int c = 0; c < b->o->nr_configs; c++)
			plan_icr_config(b, c);
	if (b->o->sweep & X2S_SWEEP_MSR)
		plan_msr(b);
	if (b->o->sweep & X2S_SWEEP_EXITS)
		for (unsigned int c = 0; c < b->o->nr_configs; c++)
			plan_exits_config(b, c);
}

int x2s_plan_build(const struct x2s_sweep_opts *o, struct x2s_plan *p)
{
	struct plan_builder b = { .o = o };

	memset(p, 0, sizeof(*p));
	plan_walk(&b);
	b.units = calloc(b.nr + 1, sizeof(*b.units));
	if (!b.units)
		return -ENOMEM;
	plan_walk(&b);
	p->units = b.units;
	p->nr = b.nr;
	for (size_t i = 0; i < p->nr; i++)
		p->cases += x2s_unit_size(&p->units[i]);
	return 0;
}

void x2s_plan_free(struct x2s_plan *p)
{
	free(p->units);
	p->units = NULL;
	p->nr = 0;
}

uint64_t x2s_sweep_count(const struct x2s_sweep_opts *o)
{
	struct x2s_plan p;
	u64 n;

	if (!x2s_sweep_opts_valid(o) || x2s_plan_build(o, &p))
		return 0;
	n = p.cases;
	x2s_plan_free(&p);
	return n;
}

int x2s_sweep_enumerate(const struct x2s_sweep_opts *o,
			void (*fn)(void *opaque, unsigned int config,
				   const struct x2s_case *c),
			void *opaque)
{
	struct x2s_plan p;
	struct x2s_case *c;
	int r;

	if (!x2s_sweep_opts_valid(o) || !fn)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = x2s_plan_build(o, &p);
	if (r) {
		free(c);
		return r;
	}
	for (size_t i = 0; i < p.nr; i++) {
		const struct x2s_unit *u = &p.units[i];
		u64 n = x2s_unit_size(u);

		c->config = o->configs[u->config];
		c->sender = u->sender;
		for (u64 j = 0; j < n; j++) {
			struct x2s_input in;

			x2s_unit_case(u, j, &in);
			x2s_input_case(&in, c);
			fn(opaque, u->config, c);
		}
	}
	x2s_plan_free(&p);
	free(c);
	return 0;
}
