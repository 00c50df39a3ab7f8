// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim run --diff FASTPATH | --diff-plugin F: the image run with KVM's
 * slow path and with the fastpath under test, compared at every point
 * the model hands the guest something (src/guest/diff.c); the first
 * divergence printed with both sides' state and, when the exit is an
 * x2APIC ICR write from a state a case can hold, saved as a case file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <x2sim/kvm.h>
#include <x2sim/x2sim.h>

#include "cli.h"
#include "guest_cli.h"
#include "verify/json.h"
#include "verify/verify.h"
#include "vmx/vmx.h"

#define CMD "run"
#define MSR_ICR 0x830

/* The reference's VM when the exit that led to the divergence came. */
struct pre_exit {
	bool have;
	struct x2s_guest_obs obs;
	unsigned int nr_vcpus;
	uint64_t clock_ns;
	struct x2s_vcpu_state *st;
};

static void keep_pre_exit(void *opaque, struct x2s_guest *g,
			  const struct x2s_guest_obs *obs)
{
	struct pre_exit *p = opaque;
	struct x2s_vm *vm = x2s_guest_vm(g);

	if (!p->st || x2s_vm_save(vm, p->st))
		return;
	p->have = true;
	p->obs = *obs;
	p->clock_ns = x2s_vm_clock(vm);
}

static uint32_t page32(const struct x2s_vcpu_state *st, unsigned int off)
{
	uint32_t v;

	memcpy(&v, st->apic_page + off, 4);
	return v;
}

/*
 * The VM state as a case's description, or false with why: a case holds
 * APIC modes and IDs, mp_state, IF and TF, one pending vector and an NMI,
 * no interrupt in service, no timer, nothing queued for the entry.
 */
static bool state_to_desc(const struct pre_exit *p, bool preemption_timer,
			  struct x2s_vm_desc *d, const char **why)
{
	x2s_vm_desc_init(d, "diff", p->nr_vcpus);
	snprintf(d->description, sizeof(d->description),
		 "the guest's state at the exit where run --diff found the "
		 "divergence");
	d->preemption_timer = preemption_timer;
	d->clock_ns = (int64_t)p->clock_ns;
	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		const struct x2s_vcpu_state *st = &p->st[i];
		struct x2s_vcpu_desc *v = &d->vcpu[i];
		int pending = -1;

		if (st->guest_mode || st->vmxon) {
			*why = "a vCPU is in VMX operation";
			return false;
		}
		for (unsigned int r = 0; r < 8; r++) {
			uint32_t irr = page32(st, 0x200 + 0x10 * r);

			if (page32(st, 0x100 + 0x10 * r)) {
				*why = "an interrupt is in service";
				return false;
			}
			if (!irr)
				continue;
			if (pending >= 0 || (irr & (irr - 1))) {
				*why = "more than one interrupt is pending";
				return false;
			}
			pending = (int)(32 * r + __builtin_ctz(irr));
		}
		if (page32(st, 0x80)) {
			*why = "a TPR is not 0";
			return false;
		}
		if (st->timer_period_ns || st->timer_queued ||
		    st->timer_pending || st->hv_timer_in_use ||
		    st->tsc_deadline) {
			*why = "a LAPIC timer is armed";
			return false;
		}
		if (st->exception_pending || st->exception_injected ||
		    st->interrupt_injected || st->nmi_injected ||
		    st->init_pending || st->sipi_pending || st->smi_pending ||
		    (st->entry_intr_info & INTR_INFO_VALID_MASK) ||
		    st->window_exiting) {
			*why = "an event is queued for the next entry";
			return false;
		}
		if (!(st->apic_base & (1ULL << 11)))
			v->apic_mode = X2S_APIC_MODE_DISABLED;
		else if (st->apic_base & (1ULL << 10))
			v->apic_mode = X2S_APIC_MODE_X2APIC;
		else
			v->apic_mode = X2S_APIC_MODE_XAPIC;
		v->sw_enabled = st->sw_enabled;
		if (v->apic_mode == X2S_APIC_MODE_XAPIC) {
			v->xapic_id = (int)(page32(st, 0x20) >> 24);
			v->ldr = page32(st, 0xd0);
			v->dfr = page32(st, 0xe0);
		}
		v->mp_state = st->mp_state;
		v->rflags_if = st->regs[X2S_REG_RFLAGS] & X86_EFLAGS_IF;
		v->rflags_tf = st->regs[X2S_REG_RFLAGS] & X86_EFLAGS_TF;
		v->pending_vector = pending;
		v->nmi_pending = st->nmi_pending;
	}
	if (x2s_vm_desc_check(d, NULL, 0)) {
		*why = "the state is not a valid description";
		return false;
	}
	return true;
}

/*
 * The exit at obs, as `x2sim case` prints an exit; regs are the vCPU's at
 * the observation (WRMSR leaves ECX and EDX:EAX as they were).
 */
static void format_exit(const struct x2s_guest_obs *o, const uint64_t *regs,
			char *buf, size_t len)
{
	struct x2s_case c = { 0 };
	const char *name = vmx_exit_reason_name(o->exit_basic);

	if (o->kind == X2S_OBS_RDTSC) {
		snprintf(buf, len, "RDTSC (no exit: it reads the model's TSC)");
		return;
	}
	if (o->kind == X2S_OBS_WAKE) {
		snprintf(buf, len, "the entry that woke the vCPU");
		return;
	}
	switch (o->exit_basic) {
	case EXIT_REASON_MSR_WRITE:
	case EXIT_REASON_MSR_READ:
		c.exit = o->exit_basic == EXIT_REASON_MSR_WRITE ?
				 X2S_CASE_WRMSR :
				 X2S_CASE_RDMSR;
		c.ecx = (uint32_t)regs[X2S_GREG_RCX];
		c.data = (regs[X2S_GREG_RDX] & 0xffffffffULL) << 32 |
			 (regs[X2S_GREG_RAX] & 0xffffffffULL);
		break;
	case EXIT_REASON_APIC_ACCESS:
		c.exit = o->mmio == X2S_OBS_MMIO_WRITE ? X2S_CASE_APIC_WRITE :
							 X2S_CASE_APIC_READ;
		c.ecx = (uint32_t)(o->exit_qual & 0xfff);
		c.data = o->mmio_value;
		break;
	case EXIT_REASON_IO_INSTRUCTION:
		c.exit = o->exit_qual & 8 ? X2S_CASE_IO_IN : X2S_CASE_IO_OUT;
		c.ecx = (uint32_t)(o->exit_qual >> 16);
		c.data = regs[X2S_GREG_RAX] & 0xff;
		break;
	case EXIT_REASON_HLT:
		snprintf(buf, len, "HLT");
		return;
	default:
		snprintf(buf, len, "%s (no instruction: an event's entry)",
			 name ? name : "?");
		return;
	}
	x2s_case_exit_format(&c, buf, len);
}

static const char *obs_kind_name(enum x2s_guest_obs_kind k)
{
	switch (k) {
	case X2S_OBS_EXIT:
		return "exit";
	case X2S_OBS_ENTRY:
		return "entry";
	case X2S_OBS_BLOCKED:
		return "blocked";
	case X2S_OBS_WAKE:
		return "wake";
	case X2S_OBS_RDTSC:
		return "rdtsc";
	}
	return "?";
}

/* The side whose observation names the place: the reference's first. */
static int place_side(const struct x2s_guest_diff_result *res)
{
	return res->have_obs[0] ? 0 : res->have_obs[1] ? 1 : -1;
}

/*
 * The case for the divergence: an x2APIC ICR WRMSR by the vCPU of the
 * observation, from the reference's VM as that exit found it.  0 with
 * the path written to *saved, or a reason in *why.
 */
static int save_case(const struct guest_diff_opts *o,
		     const struct x2s_guest_diff_result *res,
		     const struct pre_exit *p, const char **why)
{
	struct x2s_case c = { 0 };
	int r;

	if (!res->have_obs[0] || res->obs[0].kind == X2S_OBS_RDTSC ||
	    res->obs[0].kind == X2S_OBS_WAKE ||
	    res->obs[0].exit_basic != EXIT_REASON_MSR_WRITE ||
	    (uint32_t)res->regs[0][X2S_GREG_RCX] != MSR_ICR) {
		*why = "the exit is not an x2APIC ICR write";
		return -EINVAL;
	}
	if (!p->have || p->obs.vcpu != res->obs[0].vcpu ||
	    p->obs.exit_rip != res->obs[0].exit_rip) {
		*why = "the exit's state was not kept";
		return -EINVAL;
	}
	if (p->nr_vcpus > X2S_DESC_MAX_VCPUS) {
		*why = "more vCPUs than a case holds";
		return -EINVAL;
	}
	if (!state_to_desc(p, !o->cfg.no_preemption_timer, &c.config, why))
		return -EINVAL;
	c.sender = p->obs.vcpu;
	c.ecx = MSR_ICR;
	c.exit = X2S_CASE_WRMSR;
	c.data = (p->st[c.sender].regs[X2S_REG_RDX] & 0xffffffffULL) << 32 |
		 (p->st[c.sender].regs[X2S_REG_RAX] & 0xffffffffULL);
	snprintf(c.fastpath, sizeof(c.fastpath), "%s", o->label);
	r = x2s_case_write(
		o->save_af->f, &c,
		"x2sim run --diff: the exit where the runs diverged");
	return cli_atomic_commit(o->save_af, r == 0);
}

/* One value of a field; width 0: the last column, no padding. */
static void print_field_value(FILE *out, const char *name, uint64_t v,
			      int width)
{
	char buf[48];

	if (!strcmp(name, "injected") && !(v & INTR_INFO_VALID_MASK))
		snprintf(buf, sizeof(buf), "nothing");
	else if (!strcmp(name, "injected"))
		snprintf(buf, sizeof(buf), "vector 0x%02x type %u",
			 (unsigned int)(v & 0xff),
			 (unsigned int)((v >> 8) & 7));
	else
		snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	fprintf(out, "%-*s", width, buf);
}

static void print_divergence(FILE *out, const struct guest_diff_opts *o,
			     const struct x2s_guest_diff_result *res,
			     const char *exit_text, const char *case_line)
{
	int s = place_side(res);

	fprintf(out, "x2sim run --diff: %s: %s diverges from the slow path\n",
		o->image, o->label);
	fprintf(out, "  %s\n", res->what);
	if (s >= 0) {
		const struct x2s_guest_obs *ob = &res->obs[s];

		fprintf(out,
			"  vcpu %u, guest instruction %" PRIu64
			", RIP 0x%" PRIx64 " (%s, observation %" PRIu64 ")\n",
			ob->vcpu, ob->insns,
			ob->kind == X2S_OBS_RDTSC ? ob->rip - 2 : ob->exit_rip,
			obs_kind_name(ob->kind), res->index);
		fprintf(out, "  exit: %s\n", exit_text);
		if (ob->exit_basic == EXIT_REASON_MSR_WRITE &&
		    ob->kind != X2S_OBS_RDTSC &&
		    (uint32_t)res->regs[s][X2S_GREG_RCX] == MSR_ICR)
			x2s_icr_decode(out,
				       (res->regs[s][X2S_GREG_RDX] << 32) |
					       (res->regs[s][X2S_GREG_RAX] &
						0xffffffffULL),
				       "    ");
	} else if (res->end_vcpu >= 0) {
		fprintf(out, "  at the end of the runs, vcpu %d\n",
			res->end_vcpu);
	}
	if (res->nr_fields) {
		fprintf(out, "  %-14s %-20s %s\n", "", "slow path", "fastpath");
		for (unsigned int i = 0; i < res->nr_fields; i++) {
			fprintf(out, "  %-14s ", res->field[i].name);
			print_field_value(out, res->field[i].name,
					  res->field[i].slow, 20);
			fputc(' ', out);
			print_field_value(out, res->field[i].name,
					  res->field[i].fast, 0);
			fputc('\n', out);
		}
	}
	if (res->mem_differs)
		fprintf(out,
			"  memory: first difference at 0x%" PRIx64
			" (slow path 0x%02x, fastpath 0x%02x)\n",
			res->mem_addr, res->mem_slow, res->mem_fast);
	for (int i = 0; i < 2; i++)
		if (res->run[i].error[0] && !res->run[i].stopped)
			fprintf(out, "  %s: %s\n",
				i ? "the run under test" : "the reference",
				res->run[i].error);
	if (case_line)
		fprintf(out, "  %s\n", case_line);
}

static void json_run(FILE *f, const struct x2s_guest_diff_result *res, int i)
{
	const struct x2s_guest_diff_run *r = &res->run[i];

	fprintf(f, "{\"result\":\"%s\",\"error\":",
		r->stopped ? "stopped" :
		r->result  ? "failed" :
			     "finished");
	if (r->error[0])
		json_write_string(f, r->error);
	else
		fprintf(f, "null");
	fprintf(f,
		",\"observations\":%" PRIu64 ",\"insns\":%" PRIu64
		",\"exits\":%" PRIu64 ",\"run_ns\":%" PRIu64
		",\"console_bytes\":%" PRIu64 ",\"exit_status\":%" PRId64 "}",
		r->observations, r->stats.insns, r->stats.exits, res->run_ns[i],
		r->console_bytes, r->stats.exit_status);
}

static void json_obs(FILE *f, const struct x2s_guest_diff_result *res, int s)
{
	const struct x2s_guest_obs *ob = &res->obs[s];

	fprintf(f,
		"{\"kind\":\"%s\",\"vcpu\":%u,\"insns\":%" PRIu64
		",\"rip\":\"0x%" PRIx64 "\",\"exit_rip\":\"0x%" PRIx64
		"\",\"injected\":\"0x%08x\",\"mp_state\":%u,\"regs\":{",
		obs_kind_name(ob->kind), ob->vcpu, ob->insns, ob->rip,
		ob->exit_rip, ob->intr_info, ob->mp_state);
	for (unsigned int i = 0; i < X2S_GUEST_NR_REGS; i++)
		fprintf(f, "%s\"%s\":\"0x%" PRIx64 "\"", i ? "," : "",
			x2s_guest_reg_name(i), res->regs[s][i]);
	fprintf(f, "}}");
}

static int write_json(const struct guest_diff_opts *o,
		      const struct x2s_guest_diff_result *res,
		      const char *exit_text, const char *case_path,
		      const char *no_case)
{
	FILE *f = o->json_af->f;
	int s = place_side(res), r;

	fprintf(f, "{\"command\":\"run --diff\",\"image\":");
	json_write_string(f, o->image);
	fprintf(f, ",\"vcpus\":%u,\"fastpath\":", o->cfg.nr_vcpus);
	json_write_string(f, o->label);
	fprintf(f, ",\"verdict\":\"%s\",\"observations\":%" PRIu64,
		res->diverged ? "diverged" : "agree",
		res->diverged ? res->index : res->observations);
	fprintf(f, ",\"slow\":");
	json_run(f, res, 0);
	fprintf(f, ",\"fast\":");
	json_run(f, res, 1);
	fprintf(f, ",\"overhead\":%.3f",
		res->run_ns[0] ? (double)(res->run_ns[0] + res->run_ns[1]) /
					 res->run_ns[0] :
				 0.0);
	fprintf(f, ",\"divergence\":");
	if (!res->diverged) {
		fprintf(f, "null}\n");
	} else {
		fprintf(f, "{\"what\":");
		json_write_string(f, res->what);
		fprintf(f, ",\"index\":%" PRIu64 ",\"at_end\":%s", res->index,
			res->at_end ? "true" : "false");
		if (s >= 0) {
			fprintf(f,
				",\"vcpu\":%u,\"insns\":%" PRIu64
				",\"rip\":\"0x%" PRIx64 "\",\"exit\":",
				res->obs[s].vcpu, res->obs[s].insns,
				res->obs[s].kind == X2S_OBS_RDTSC ?
					res->obs[s].rip - 2 :
					res->obs[s].exit_rip);
			json_write_string(f, exit_text);
		}
		for (int i = 0; i < 2; i++) {
			fprintf(f, ",\"%s\":", i ? "fast_state" : "slow_state");
			if (res->have_obs[i])
				json_obs(f, res, i);
			else
				fprintf(f, "null");
		}
		fprintf(f, ",\"differences\":[");
		for (unsigned int i = 0; i < res->nr_fields; i++)
			fprintf(f,
				"%s{\"field\":\"%s\",\"slow\":\"0x%" PRIx64
				"\",\"fast\":\"0x%" PRIx64 "\"}",
				i ? "," : "", res->field[i].name,
				res->field[i].slow, res->field[i].fast);
		fprintf(f, "],\"memory\":");
		if (res->mem_differs)
			fprintf(f,
				"{\"addr\":\"0x%" PRIx64
				"\",\"slow\":%u,\"fast\":%u}",
				res->mem_addr, res->mem_slow, res->mem_fast);
		else
			fprintf(f, "null");
		fprintf(f, ",\"case_file\":");
		if (case_path)
			json_write_string(f, case_path);
		else
			fprintf(f, "null");
		fprintf(f, ",\"no_case_file\":");
		if (no_case)
			json_write_string(f, no_case);
		else
			fprintf(f, "null");
		fprintf(f, "}}\n");
	}
	r = cli_atomic_commit(o->json_af, !ferror(f));
	if (r)
		return cli_error(CMD, "--json %s: %s", o->json, strerror(-r));
	return 0;
}

int guest_run_diff(struct guest_diff_opts *o)
{
	struct x2s_guest_diff_config dc = {
		.img = o->img,
		.base = o->cfg,
		.fastpath = o->fastpath,
		.prepare = o->prepare,
		.prepare_opaque = o->prepare_opaque,
	};
	struct x2s_guest_diff_result *res = calloc(1, sizeof(*res));
	struct pre_exit pre = { .nr_vcpus = o->cfg.nr_vcpus };
	char err[512] = "", exit_text[160] = "", case_line[1024];
	const char *case_path = NULL, *no_case = NULL;
	int r, ret, s;

	pre.st = calloc(o->cfg.nr_vcpus, sizeof(*pre.st));
	if (!res || !pre.st) {
		free(res);
		free(pre.st);
		return cli_error(CMD, "out of memory");
	}
	dc.pre_exit = keep_pre_exit;
	dc.pre_exit_opaque = &pre;
	r = x2s_guest_diff(&dc, res, err, sizeof(err));
	fflush(stdout);
	if (r) {
		if (o->json_af->f)
			cli_atomic_commit(o->json_af, false);
		if (o->save_af->f)
			cli_atomic_commit(o->save_af, false);
		free(pre.st);
		free(res);
		if (!err[0]) /* --set said it */
			return EXIT_USAGE;
		return cli_error(CMD, "--diff: %s", err);
	}
	s = place_side(res);
	if (s >= 0)
		format_exit(&res->obs[s], res->regs[s], exit_text,
			    sizeof(exit_text));
	case_line[0] = '\0';
	if (res->diverged && o->save_af->f) {
		const char *why = "";

		r = save_case(o, res, &pre, &why);
		if (!r) {
			case_path = o->save;
			snprintf(case_line, sizeof(case_line),
				 "case file %s: x2sim replay %s", o->save,
				 o->save);
		} else {
			if (o->save_af->f)
				cli_atomic_commit(o->save_af, false);
			no_case = r == -EINVAL ? why : strerror(-r);
			snprintf(case_line, sizeof(case_line),
				 "no case file: %s", no_case);
		}
	} else if (o->save_af->f) {
		cli_atomic_commit(o->save_af, false);
		if (!res->diverged)
			no_case = "the runs agree";
	}
	if (res->diverged) {
		print_divergence(stdout, o, res, exit_text,
				 case_line[0] ? case_line : NULL);
		ret = EXIT_CHECK;
	} else {
		printf("x2sim run --diff: %s: the slow path and %s agree: "
		       "%" PRIu64 " observations, %" PRIu64
		       " guest instructions, %s; slow path %.3f ms, "
		       "fastpath %.3f ms\n",
		       o->image, o->label, res->observations,
		       res->run[0].stats.insns,
		       res->run[0].result ? res->run[0].error : "finished",
		       res->run_ns[0] / 1e6, res->run_ns[1] / 1e6);
		ret = 0;
	}
	if (o->json_af->f && write_json(o, res, exit_text, case_path, no_case))
		ret = EXIT_USAGE;
	x2s_guest_diff_release(res);
	free(pre.st);
	free(res);
	return ret;
}
