// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim demo: a 4-vCPU VM and one IPI of each kind sent through KVM's
 * WRMSR(0x830) slow path, traced, with what every vCPU received.
 */
#include <stdio.h>
#include <string.h>

#include <x2sim/kvm.h>
#include <x2sim/x2sim.h>

#include "cli.h"

struct demo_step {
	const char *what;
	unsigned int sender;
	u64 icr;
};

static void print_trace(void *opaque, const char *line)
{
	(void)opaque;
	printf("    %s\n", line);
}

/* Vectors pending in IRR, and NMI/INIT/SIPI, of every vCPU. */
static void print_receivers(struct x2s_vm *vm)
{
	unsigned int n = x2s_vm_nr_vcpus(vm);

	for (unsigned int i = 0; i < n; i++) {
		struct x2s_vcpu_state st;
		bool any = false;

		x2s_vcpu_save(vm, i, &st);
		printf("    vcpu%u:", i);
		for (int vec = 0; vec < 256; vec++) {
			u32 word;

			memcpy(&word, st.apic_page + APIC_IRR + (vec / 32) * 16,
			       4);
			if (word & (1u << (vec % 32))) {
				printf(" IRR 0x%02x", vec);
				any = true;
			}
		}
		if (st.nmi_pending) {
			printf(" NMI");
			any = true;
		}
		if (st.init_pending) {
			printf(" INIT");
			any = true;
		}
		if (st.sipi_pending) {
			printf(" SIPI(0x%02x)", st.sipi_vector);
			any = true;
		}
		if (st.exception_pending) {
			printf(" #%s queued",
			       st.exception_vector == GP_VECTOR ? "GP" : "exc");
			any = true;
		}
		printf("%s  mp_state %u\n", any ? "" : " -", st.mp_state);
	}
}

/* Clear every IRR and pending event so each step shows only its own. */
static int demo_reset(struct x2s_vm *vm, const struct x2s_vcpu_state *clean)
{
	return x2s_vm_restore(vm, clean);
}

enum {
	OPT_QUIET = CLI_OPT_LONG,
};

const struct option demo_options[] = {
	{ "quiet", no_argument, NULL, OPT_QUIET },
	CLI_OPT_HELP,
	CLI_OPT_END,
};

int cmd_demo(int argc, char **argv)
{
	static const struct demo_step steps[] = {
		{ "fixed, physical, vCPU 0 -> vCPU 2, vector 0x31", 0,
		  (2ULL << 32) | APIC_DM_FIXED | 0x31 },
		{ "fixed, physical broadcast 0xffffffff (sender too)", 1,
		  (X2APIC_BROADCAST << 32) | 0x40 },
		{ "fixed, shorthand all-excluding-self", 3,
		  APIC_DEST_ALLBUT | 0x41 },
		{ "fixed, shorthand self", 2, APIC_DEST_SELF | 0x42 },
		{ "fixed, x2APIC logical cluster 0, mask 0b1010", 0,
		  (0x000aULL << 32) | APIC_DEST_LOGICAL | 0x50 },
		{ "lowest priority, logical cluster 0 mask 0b1110, vector 0x61",
		  0,
		  (0x000eULL << 32) | APIC_DEST_LOGICAL | APIC_DM_LOWEST |
			  0x61 },
		{ "NMI to vCPU 3 (its APIC is software-disabled)", 0,
		  (3ULL << 32) | APIC_DM_NMI },
		{ "fixed to vCPU 3 (software-disabled: dropped)", 0,
		  (3ULL << 32) | 0x70 },
		{ "INIT to vCPU 1", 0,
		  (1ULL << 32) | APIC_DM_INIT | APIC_INT_ASSERT },
		{ "fixed to absent x2APIC ID 9 (nobody)", 0,
		  (9ULL << 32) | 0x71 },
		{ "reserved bit 13 set: #GP, nothing sent", 0,
		  (2ULL << 32) | (1u << 13) | 0x72 },
	};
	struct x2s_vcpu_state clean[4];
	struct x2s_vm_config cfg;
	struct x2s_vm *vm;
	bool quiet = false;
	int r, opt;

	while ((opt = cli_getopt("demo", argc, argv, NULL, demo_options)) !=
	       -1) {
		switch (opt) {
		case 'h':
			printf("usage: x2sim demo [--quiet]\n"
			       "  --quiet  no trace lines, only results\n");
			return 0;
		case OPT_QUIET:
			quiet = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (cli_no_operands("demo", argc, argv))
		return EXIT_USAGE;

	x2s_vm_config_init(&cfg, 4);
	r = x2s_vm_create(&cfg, &vm);
	if (!r)
		r = x2s_vcpu_set_sw_enabled(vm, 3, false);
	if (r) {
		fprintf(stderr, "x2sim demo: %s\n", x2s_strerror(r));
		return EXIT_CHECK;
	}
	x2s_vm_save(vm, clean);

	printf("x2sim demo: 4 vCPUs in x2APIC mode (vCPU 3 software-disabled),\n"
	       "each IPI is a WRMSR(0x830) VM exit handled by KVM's slow path\n"
	       "(handle_wrmsr -> kvm_x2apic_icr_write -> kvm_apic_send_ipi ->\n"
	       "kvm_irq_delivery_to_apic).\n\n");
	if (!quiet)
		x2s_set_trace(print_trace, NULL);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct demo_step *s = &steps[i];
		struct x2s_exit_result res;
		u64 rip0, rip1;

		demo_reset(vm, clean);
		x2s_warn_reset();
		printf("[%zu] %s\n    vcpu%u: wrmsr 0x830 <- 0x%016llx\n",
		       i + 1, s->what, s->sender, (unsigned long long)s->icr);
		x2s_vcpu_get_gpr(vm, s->sender, X2S_REG_RIP, &rip0);
		r = x2s_vcpu_wrmsr_exit(vm, s->sender, 0x830, s->icr, &res);
		x2s_vcpu_get_gpr(vm, s->sender, X2S_REG_RIP, &rip1);
		if (r || x2s_warn_count()) {
			fprintf(stderr, "x2sim demo: step %zu failed: %s %s\n",
				i + 1, x2s_strerror(r),
				x2s_warn_first() ? x2s_warn_first() : "");
			x2s_set_trace(NULL, NULL);
			x2s_vm_destroy(vm);
			return EXIT_CHECK;
		}
		printf("    exit handled: %s, RIP +%llu\n",
		       res.status == X2S_STATUS_GUEST ? "re-enter guest" :
							"exit to userspace",
		       (unsigned long long)(rip1 - rip0));
		print_receivers(vm);
		printf("\n");
	}
	x2s_set_trace(NULL, NULL);
	x2s_vm_destroy(vm);
	return 0;
}
