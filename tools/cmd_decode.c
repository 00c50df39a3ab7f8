// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim decode VALUE [--msr ECX]: an ICR value field by field, what KVM's
 * slow path does with a WRMSR of it, and what every shipped fastpath
 * decides for it, on the default configuration.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fastpath/fastpath.h"
#include "verify/verify.h"
#include "vmx/vmx.h"

#define DECODE_CONFIG "x2apic-4"
#define DECODE_SENDER 0
#define DECODE_MSR (APIC_BASE_MSR + (APIC_ICR >> 4))

static void decode_usage(FILE *out)
{
	fprintf(out,
		"usage: x2sim decode VALUE [--msr ECX]\n\n"
		"Prints the 64-bit x2APIC ICR value VALUE field by field, then\n"
		"what KVM's slow path does with WRMSR(ECX, VALUE) sent by vCPU %d\n"
		"of the configuration '%s', and what every shipped fastpath\n"
		"decides for it: its result, the verdict against the slow path\n"
		"and the difference in outcome.\n\n"
		"  VALUE      decimal or 0x-hex, up to 64 bits\n"
		"  --msr ECX  the MSR index written (default 0x%x, the ICR)\n",
		DECODE_SENDER, DECODE_CONFIG, DECODE_MSR);
}

static const char *exception_name(unsigned int vector)
{
	switch (vector) {
	case DB_VECTOR:
		return "#DB";
	case GP_VECTOR:
		return "#GP";
	case UD_VECTOR:
		return "#UD";
	default:
		return NULL;
	}
}

static const char *kvm_exit_name(u32 reason)
{
	switch (reason) {
	case KVM_EXIT_DEBUG:
		return "KVM_EXIT_DEBUG";
	case KVM_EXIT_HLT:
		return "KVM_EXIT_HLT";
	case KVM_EXIT_SHUTDOWN:
		return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY:
		return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR:
		return "KVM_EXIT_INTERNAL_ERROR";
	case KVM_EXIT_X86_RDMSR:
		return "KVM_EXIT_X86_RDMSR";
	case KVM_EXIT_X86_WRMSR:
		return "KVM_EXIT_X86_WRMSR";
	default:
		return "another KVM_EXIT_*";
	}
}

/* What happened to the sender at the end of the exit, in a few words. */
static void print_exit(FILE *f, const struct x2s_exit_result *r)
{
	switch (r->status) {
	case X2S_STATUS_GUEST:
		fprintf(f, "re-enters the guest");
		break;
	case X2S_STATUS_BLOCKED:
		fprintf(f, "blocks (halted or waiting)");
		break;
	default:
		fprintf(f, "exits to userspace (%s)",
			kvm_exit_name(r->run_exit_reason));
		break;
	}
	if (r->nested_exit)
		fprintf(f, ", nested VM exit to L1 (reason %u)",
			r->nested_exit_reason);
	if (r->status == X2S_STATUS_GUEST &&
	    (r->entry_intr_info & INTR_INFO_VALID_MASK)) {
		unsigned int vec = r->entry_intr_info & INTR_INFO_VECTOR_MASK;
		unsigned int type =
			r->entry_intr_info & INTR_INFO_INTR_TYPE_MASK;
		const char *exc = exception_name(vec);

		if (type == INTR_TYPE_HARD_EXCEPTION && exc)
			fprintf(f, " injecting %s", exc);
		else if (type == INTR_TYPE_NMI_INTR)
			fprintf(f, " injecting NMI");
		else
			fprintf(f, " injecting vector 0x%02x", vec);
	}
}

static bool page_bit(const struct x2s_vcpu_state *st, unsigned int base,
		     int vec)
{
	u32 word;

	memcpy(&word, st->apic_page + base + (vec / 32) * 0x10, 4);
	return word & (1u << (vec % 32));
}

/* Append to buf (a list separated by ", "). */
static void list_add(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void list_add(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 3 >= len)
		return;
	if (used) {
		strcpy(buf + used, ", ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/*
 * What one vCPU has pending.  The configuration starts with nothing
 * pending anywhere, so all of it came from the exit.
 */
static void vcpu_events(const struct x2s_vcpu_state *st, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int vec = 0; vec < 256; vec++) {
		if (page_bit(st, APIC_IRR, vec))
			list_add(buf, len, "IRR 0x%02x", vec);
		if (page_bit(st, APIC_ISR, vec))
			list_add(buf, len, "ISR 0x%02x", vec);
	}
	if (st->nmi_pending || st->nmi_injected)
		list_add(buf, len, "NMI");
	if (st->smi_pending)
		list_add(buf, len, "SMI");
	if (st->init_pending)
		list_add(buf, len, "INIT");
	if (st->sipi_pending)
		list_add(buf, len, "SIPI 0x%02x", st->sipi_vector);
	if (st->pv_unhalted)
		list_add(buf, len, "PV unhalt");
}

static void print_receivers(FILE *out, const struct x2s_vcpu_state *st,
			    unsigned int n)
{
	bool none = true;
	char buf[256];

	for (unsigned int i = 0; i < n; i++) {
		vcpu_events(&st[i], buf, sizeof(buf));
		if (!buf[0])
			continue;
		fprintf(out, "\n    vcpu%u: %s", i, buf);
		none = false;
	}
	if (none)
		fprintf(out, "; nobody receives anything");
}

/* The first difference of a diff, and how many more there are. */
static void print_diff_summary(FILE *out, const char *diff)
{
	const char *p = diff, *eol;
	unsigned int lines = 0;

	while (*p == ' ')
		p++;
	eol = strchr(p, '\n');
	for (const char *q = diff; *q; q++)
		lines += *q == '\n';
	if (!*p) {
		fprintf(out, "(no state difference)");
		return;
	}
	fprintf(out, "fast vs slow: %.*s",
		(int)(eol ? eol - p : (long)strlen(p)), p);
	if (lines > 1)
		fprintf(out, " (+%u more)", lines - 1);
}

/* "dir/src/lapic/lapic.c:647: cond" -> "lapic.c:647: cond" */
static const char *warn_site(const char *warn)
{
	const char *colon = strchr(warn, ':'), *p = warn;

	if (!warn[0])
		return "(unknown)";
	for (const char *q = warn; *q && (!colon || q < colon); q++)
		if (*q == '/')
			p = q + 1;
	return p;
}

struct decode_row {
	struct x2s_case_result res;
	char *diff; /* fast vs slow, one line per difference */
};

static int decode_run(const struct x2s_case *c, const struct x2s_fastpath *fn,
		      struct decode_row *row, struct x2s_vcpu_state *fast,
		      struct x2s_vcpu_state *slow)
{
	size_t len = 0;
	FILE *m = open_memstream(&row->diff, &len);
	int r;

	if (!m)
		return -ENOMEM;
	r = x2s_verify_case(c, fn, X2S_CONTRACT_NONE, &row->res, fast, slow, m);
	fclose(m);
	return r;
}

static void decode_print_row(const char *name, size_t width,
			     const struct decode_row *row)
{
	const struct x2s_case_result *res = &row->res;
	const char *diff = row->diff ? row->diff : "";

	printf("  %-*s  %-14s  %-8s  ", (int)width, name,
	       x2s_fastpath_result_name(res->fastpath),
	       res->verdict == X2S_VERDICT_DIRTY_NONE ?
		       "MISMATCH" :
		       x2s_verdict_name(res->verdict));
	switch (res->verdict) {
	case X2S_VERDICT_DECLINED:
		printf("declined: the slow path runs");
		break;
	case X2S_VERDICT_EQUAL:
		printf("same outcome as the slow path");
		break;
	case X2S_VERDICT_WARN:
		printf("WARN %s", warn_site(res->warn));
		if (strchr(diff, '\n')) {
			printf("; ");
			print_diff_summary(stdout, diff);
		}
		break;
	case X2S_VERDICT_DIRTY_NONE:
		printf("returned NONE after changing state; ");
		print_diff_summary(stdout, diff);
		break;
	default:
		print_diff_summary(stdout, diff);
		break;
	}
	putchar('\n');
}

enum {
	OPT_MSR = CLI_OPT_LONG,
};

const struct option decode_options[] = {
	{ "msr", required_argument, NULL, OPT_MSR },
	CLI_OPT_HELP,
	CLI_OPT_END,
};

static int decode_parse(int argc, char **argv, struct x2s_case *c)
{
	const struct x2s_vm_desc *named;
	const char *value = NULL;
	uint64_t msr = DECODE_MSR;
	int opt;

	while ((opt = cli_getopt("decode", argc, argv, NULL, decode_options)) !=
	       -1) {
		switch (opt) {
		case 'h':
			decode_usage(stdout);
			return -1;
		case OPT_MSR:
			if (!cli_parse_u64("decode", "--msr", optarg, 0,
					   UINT32_MAX, &msr))
				return EXIT_USAGE;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return cli_error("decode", "one VALUE only ('%s' and '%s')",
				 argv[optind], argv[optind + 1]);
	value = optind < argc ? argv[optind] : NULL;
	if (!value)
		return cli_error("decode", "missing VALUE (try --help)");

	memset(c, 0, sizeof(*c));
	if (!cli_parse_u64("decode", "VALUE", value, 0, UINT64_MAX, &c->data))
		return EXIT_USAGE;
	c->ecx = (uint32_t)msr;
	c->sender = DECODE_SENDER;
	named = x2s_named_config_find(DECODE_CONFIG);
	if (named)
		c->config = *named;
	else
		x2s_vm_desc_init(&c->config, DECODE_CONFIG, 4);
	return 0;
}

int cmd_decode(int argc, char **argv)
{
	struct x2s_vcpu_state *fast = NULL, *slow = NULL, *ref = NULL;
	unsigned int nr = x2s_fastpath_nr_variants;
	struct decode_row *rows = NULL;
	struct x2s_case c;
	size_t width = strlen("fastpath");
	int ret, r;

	ret = decode_parse(argc, argv, &c);
	if (ret)
		return ret < 0 ? 0 : ret;

	rows = calloc(nr, sizeof(*rows));
	fast = calloc(c.config.nr_vcpus, sizeof(*fast));
	slow = calloc(c.config.nr_vcpus, sizeof(*slow));
	ref = calloc(c.config.nr_vcpus, sizeof(*ref));
	if (!rows || !fast || !slow || !ref) {
		ret = cli_error("decode", "out of memory");
		goto out;
	}
	for (unsigned int i = 0; i < nr; i++) {
		r = decode_run(&c, x2s_fastpath_variants[i].fn, &rows[i], fast,
			       slow);
		if (r) {
			ret = cli_error("decode", "%s: cannot run the case: %s",
					x2s_fastpath_variants[i].name,
					x2s_strerror(r));
			goto out;
		}
		/* The slow path's outcome does not depend on the variant. */
		if (!i)
			memcpy(ref, slow, c.config.nr_vcpus * sizeof(*ref));
		if (strlen(x2s_fastpath_variants[i].name) > width)
			width = strlen(x2s_fastpath_variants[i].name);
	}

	printf("WRMSR(0x%x, 0x%016llx) by vcpu%u on '%s' (%u vCPUs)\n", c.ecx,
	       (unsigned long long)c.data, c.sender, c.config.name,
	       c.config.nr_vcpus);
	if (c.ecx != DECODE_MSR)
		printf("  MSR 0x%x is not the x2APIC ICR (0x%x); the value is "
		       "decoded as an ICR anyway\n",
		       c.ecx, DECODE_MSR);
	x2s_icr_decode(stdout, c.data, "  ");

	printf("\n  slow path: the sender ");
	print_exit(stdout, &rows[0].res.slow);
	print_receivers(stdout, ref, c.config.nr_vcpus);
	printf("\n\n  %-*s  %-14s  %-8s  %s\n", (int)width, "fastpath",
	       "result", "verdict", "outcome");
	for (unsigned int i = 0; i < nr; i++)
		decode_print_row(x2s_fastpath_variants[i].name, width,
				 &rows[i]);
	ret = 0;
out:
	if (rows)
		for (unsigned int i = 0; i < nr; i++)
			free(rows[i].diff);
	free(rows);
	free(fast);
	free(slow);
	free(ref);
	return ret;
}
