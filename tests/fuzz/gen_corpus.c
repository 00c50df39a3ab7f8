// SPDX-License-Identifier: GPL-2.0-only
/*
 * Seed corpus generator for the fuzz targets (docs/fuzzing.md):
 *
 *   fuzz_gen_corpus OUTDIR [CASE.json | IMAGE.elf]...
 *
 * writes OUTDIR/fuzz_diff, OUTDIR/fuzz_icr and OUTDIR/fuzz_elf: for every
 * named configuration a few ICR values and operation sequences (an IPI and
 * its EOI, TPR, INIT/SIPI, APIC_BASE transitions, HLT and wake-up,
 * shorthands, logical and lowest-priority delivery); every case file
 * given as one case of each differential target; every ELF image given,
 * whole and cut short, for the loader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "verify/verify.h"

#define SEED_MAX 512

struct seed {
	uint8_t b[SEED_MAX];
	size_t n;
};

static const char *outdir;

static void put8(struct seed *s, uint8_t v)
{
	if (s->n < SEED_MAX)
		s->b[s->n++] = v;
}

static void put_le(struct seed *s, uint64_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		put8(s, (uint8_t)(v >> (8 * i)));
}

static void write_seed(const char *target, const char *name, const void *buf,
		       size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "fuzz_gen_corpus: %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
}

/* ---- fuzz_icr: ICR (8) ^ ECX^0x830 (4), configuration, sender ---- */

static void icr_seed(const char *name, unsigned int cfg, unsigned int sender,
		     uint32_t ecx, uint64_t icr)
{
	struct seed s = { .n = 0 };

	put_le(&s, icr, 8);
	put_le(&s, ecx ^ 0x830, 4);
	put8(&s, (uint8_t)cfg);
	put8(&s, (uint8_t)sender);
	write_seed("fuzz_icr", name, s.b, s.n);
}

/* ---- fuzz_diff: the encoding fuzz_diff.c decodes ---- */

enum {
	OP_WRMSR = 0,
	OP_RDMSR = 5,
	OP_MMIO_WRITE_EXIT = 6,
	OP_EOI = 9,
	OP_APIC_BASE = 10,
	OP_ENTER = 11,
	OP_HLT = 12,
	OP_OTHER_EXIT = 13,
};

static void diff_config(struct seed *s, const struct x2s_vm_desc *d)
{
	unsigned int nr = d->nr_vcpus > 8 ? 8 : d->nr_vcpus;

	put8(s, (uint8_t)((nr - 1) | (d->vector_hashing ? 0 : 0x08) |
			  (d->x2apic_format ? 0x10 : 0) |
			  (d->broadcast_quirk_disabled ? 0x20 : 0) |
			  (d->x2apic_icr_is_split ? 0x40 : 0)));
	for (unsigned int i = 0; i < nr; i++) {
		const struct x2s_vcpu_desc *v = &d->vcpu[i];
		uint8_t a = 0, b = 0, mp = 0;

		if (v->apic_mode == X2S_APIC_MODE_XAPIC)
			a = 1;
		else if (v->apic_mode == X2S_APIC_MODE_DISABLED)
			a = 2;
		if (!v->sw_enabled)
			a |= 4;
		if (v->mp_state == KVM_MP_STATE_HALTED)
			mp = 1;
		else if (v->mp_state == KVM_MP_STATE_INIT_RECEIVED)
			mp = 2;
		else if (v->mp_state == KVM_MP_STATE_UNINITIALIZED)
			mp = 3;
		a |= (uint8_t)(mp << 3);
		a |= (v->guest_mode ? 0x20 : 0) | (v->l1_intercept ? 0x40 : 0) |
		     (v->singlestep ? 0x80 : 0);
		b = (v->rflags_tf ? 1 : 0) | (v->rflags_if ? 0 : 2) |
		    (v->apicv ? 4 : 0) | (v->xapic_id >= 0 ? 8 : 0) |
		    (v->ldr >= 0 ? 0x10 : 0) |
		    (v->dfr == APIC_DFR_CLUSTER ? 0x20 : 0);
		put8(s, a);
		put8(s, b);
		put8(s, (uint8_t)(v->xapic_id >= 0 ? v->xapic_id : 0));
		put8(s, (uint8_t)(v->ldr >= 0 ? v->ldr >> 24 : 0));
	}
}

static void op(struct seed *s, unsigned int vcpu, unsigned int kind)
{
	put8(s, (uint8_t)((vcpu & 15) << 4 | kind));
}

/* A WRMSR exit: ECX through the "anything" selector unless the ICR. */
static void op_wrmsr(struct seed *s, unsigned int vcpu, uint32_t ecx,
		     uint64_t data)
{
	op(s, vcpu, OP_WRMSR);
	if (ecx == 0x830) {
		put8(s, 0);
	} else {
		put8(s, 0xff);
		put_le(s, ecx, 4);
	}
	put_le(s, data, 8);
}

static uint64_t dest(const struct x2s_vm_desc *d, unsigned int t)
{
	if (d->vcpu[t].apic_mode == X2S_APIC_MODE_XAPIC)
		return (uint64_t)(d->vcpu[t].xapic_id >= 0 ?
					  d->vcpu[t].xapic_id :
					  (int)t)
		       << 56;
	return (uint64_t)t << 32;
}

static void diff_seeds(unsigned int ci, const struct x2s_vm_desc *d)
{
	unsigned int t = d->nr_vcpus > 1 ? 1 : 0;
	char name[96];
	struct seed s;
	int k = 0;

#define SEED_BEGIN()                \
	do {                        \
		s.n = 0;            \
		diff_config(&s, d); \
	} while (0)
#define SEED_END()                                                            \
	do {                                                                  \
		snprintf(name, sizeof(name), "%02u-%s-%d", ci, d->name, k++); \
		write_seed("fuzz_diff", name, s.b, s.n);                      \
	} while (0)

	/* A fixed IPI, the target takes it and EOIs. */
	SEED_BEGIN();
	op_wrmsr(&s, 0, 0x830, dest(d, t) | 0x31);
	op(&s, t, OP_ENTER);
	op(&s, t, OP_EOI);
	SEED_END();
	/* TPR above the vector, a self-IPI, TPR down, EOI. */
	SEED_BEGIN();
	op_wrmsr(&s, 0, 0x808, 0x40);
	op_wrmsr(&s, 0, 0x830, APIC_DEST_SELF | 0x31);
	op(&s, 0, OP_ENTER);
	op_wrmsr(&s, 0, 0x808, 0);
	op(&s, 0, OP_ENTER);
	op(&s, 0, OP_EOI);
	SEED_END();
	/* INIT and SIPI to the target, which then runs. */
	SEED_BEGIN();
	op_wrmsr(&s, 0, 0x830, dest(d, t) | APIC_DM_INIT | APIC_INT_ASSERT);
	op(&s, t, OP_ENTER);
	op_wrmsr(&s, 0, 0x830, dest(d, t) | APIC_DM_STARTUP | 0x10);
	op(&s, t, OP_ENTER);
	op(&s, t, OP_ENTER);
	SEED_END();
	/* APIC_BASE: x2APIC -> disabled -> xAPIC -> x2APIC, then an IPI. */
	SEED_BEGIN();
	op(&s, 0, OP_APIC_BASE);
	put8(&s, 2);
	op(&s, 0, OP_APIC_BASE);
	put8(&s, 1);
	op(&s, 0, OP_APIC_BASE);
	put8(&s, 0);
	op_wrmsr(&s, 0, 0x830, dest(d, t) | 0x41);
	SEED_END();
	/* HLT, woken by an IPI from another vCPU. */
	SEED_BEGIN();
	op(&s, t, OP_HLT);
	op_wrmsr(&s, 0, 0x830, dest(d, t) | 0x51);
	op(&s, t, OP_ENTER);
	op(&s, t, OP_RDMSR);
	put8(&s, 0x80);
	put8(&s, 0x30);
	SEED_END();
	/* Broadcast, all-but-self, logical, lowest priority, NMI. */
	SEED_BEGIN();
	op_wrmsr(&s, 0, 0x830, 0xffffffff00000000ULL | 0x61);
	op_wrmsr(&s, 0, 0x830, APIC_DEST_ALLBUT | 0x62);
	op_wrmsr(&s, 0, 0x830, (1ULL << 32) | APIC_DEST_LOGICAL | 0x63);
	op_wrmsr(&s, 0, 0x830, dest(d, t) | APIC_DM_LOWEST | 0x64);
	op_wrmsr(&s, 0, 0x830, dest(d, t) | APIC_DM_NMI);
	op(&s, t, OP_OTHER_EXIT);
	put8(&s, 2);
	SEED_END();
	/* xAPIC: the ICR through MMIO (ICR2 then ICR low). */
	SEED_BEGIN();
	op(&s, 0, OP_MMIO_WRITE_EXIT);
	put8(&s, 0x31);
	put_le(&s, (uint32_t)(dest(d, t) >> 32), 4);
	op(&s, 0, OP_MMIO_WRITE_EXIT);
	put8(&s, 0x30);
	put_le(&s, 0x71, 4);
	SEED_END();
#undef SEED_BEGIN
#undef SEED_END
}

static void icr_seeds(unsigned int ci, const struct x2s_vm_desc *d)
{
	const uint64_t t = d->nr_vcpus > 1 ? 1 : 0;
	const uint64_t values[] = {
		0x31,
		t << 32 | 0x31,
		t << 32 | APIC_DM_NMI,
		t << 32 | APIC_DM_INIT | APIC_INT_ASSERT,
		t << 32 | APIC_DM_STARTUP | 0x10,
		t << 32 | APIC_DM_LOWEST | 0x31,
		1ULL << 32 | APIC_DEST_LOGICAL | 0x31,
		APIC_DEST_SELF | 0x31,
		APIC_DEST_ALLINC | 0x31,
		APIC_DEST_ALLBUT | 0x31,
		0xffffffff00000000ULL | 0x31,
		t << 32 | 0x2031, /* reserved bit 13 */
		t << 32 | APIC_ICR_BUSY | 0x31,
	};
	char name[96];

	for (unsigned int i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(name, sizeof(name), "%02u-%s-%u", ci, d->name, i);
		icr_seed(name, ci, 0, 0x830, values[i]);
	}
}

static int config_index(const char *name)
{
	for (unsigned int i = 0; i < x2s_named_config_count(); i++)
		if (!strcmp(x2s_named_config(i)->name, name))
			return (int)i;
	return -1;
}

static void case_seed(const char *path)
{
	struct x2s_case c;
	char err[256], name[256];
	const char *base = strrchr(path, '/');
	int ci;
	struct seed s = { .n = 0 };

	if (x2s_case_load(path, &c, err, sizeof(err))) {
		fprintf(stderr, "fuzz_gen_corpus: %s\n", err);
		exit(1);
	}
	base = base ? base + 1 : path;
	snprintf(name, sizeof(name), "case-%s", base);
	ci = config_index(c.config.name);
	if (ci >= 0) {
		snprintf(name, sizeof(name), "case-%s", base);
		icr_seed(name, (unsigned int)ci, c.sender, c.ecx, c.data);
	}
	diff_config(&s, &c.config);
	op_wrmsr(&s, c.sender, c.ecx, c.data);
	write_seed("fuzz_diff", name, s.b, s.n);
}

static void elf_seed(const char *path)
{
	const char *base = strrchr(path, '/');
	char name[256];
	uint8_t *buf;
	size_t n;
	FILE *f = fopen(path, "rb");
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "fuzz_gen_corpus: %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
	buf = malloc((size_t)len + 1);
	n = buf ? fread(buf, 1, (size_t)len, f) : 0;
	fclose(f);
	base = base ? base + 1 : path;
	snprintf(name, sizeof(name), "%s", base);
	write_seed("fuzz_elf", name, buf, n);
	/* Cut inside the program headers and inside the first segment. */
	snprintf(name, sizeof(name), "%s-cut120", base);
	write_seed("fuzz_elf", name, buf, n < 120 ? n : 120);
	snprintf(name, sizeof(name), "%s-half", base);
	write_seed("fuzz_elf", name, buf, n / 2);
	free(buf);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr,
			"usage: fuzz_gen_corpus OUTDIR [CASE.json|IMAGE.elf]...\n");
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	for (unsigned int i = 0; i < x2s_named_config_count(); i++) {
		diff_seeds(i, x2s_named_config(i));
		icr_seeds(i, x2s_named_config(i));
	}
	for (int i = 2; i < argc; i++) {
		size_t l = strlen(argv[i]);

		if (l > 5 && !strcmp(argv[i] + l - 5, ".json"))
			case_seed(argv[i]);
		else
			elf_seed(argv[i]);
	}
	write_seed("fuzz_elf", "empty", "", 0);
	write_seed("fuzz_elf", "elf-magic", "\177ELF\2\1\1", 7);
	return 0;
}
