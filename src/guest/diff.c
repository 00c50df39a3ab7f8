// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential guest runs (docs/guest.md, "Differential runs"): the same
 * image from the same state, once with no fastpath (KVM's slow path, the
 * reference) and once with the fastpath under test, compared at every
 * point where the model hands the guest something (x2s_guest_obs).
 *
 * The runs are deterministic (the runner schedules by instruction counts
 * and its clock counts instructions), so the reference run goes first and
 * keeps one 64-bit digest per observation; the run under test computes
 * the same digest at each of its observations and stops at the first one
 * that differs.  The reference is then run again to that observation, so
 * that both sides' full state can be shown side by side without keeping
 * it for every observation of a long run.
 *
 * What is compared at an observation is what the guest can see there:
 * the vCPU, its instruction count, the instruction that exited and where
 * the guest resumes, every general-purpose register, RFLAGS, CR0/3/4,
 * EFER, CS, SS, the event injected, mp_state, the value an APIC-page read
 * loads, the serial output so far.  Exits that change nothing the guest
 * sees (an external interrupt or a preemption timer with nothing
 * injected, an interrupt window the slow path opened and the fastpath
 * did not need) are not observations.  Guest memory is compared, page by
 * page, when the runs end and at a divergence; between observations it
 * is a function of what was compared (the instructions run on equal
 * registers and memory, and every value the model gives the guest is in
 * an observation).
 *
 * The engine's registers are not read where they add nothing to what is
 * compared.  At the entry after a WRMSR that injected nothing the runner
 * gives the engine only a RIP, and they are read every FULL_EVERY-th
 * time.  At an observation of a vCPU that has run no guest instruction
 * since an observation that read them (the same instruction count: a
 * wake after the HLT that blocked it, an injection right after another
 * entry), the engine holds what was read then, changed only by the
 * runner's entry work since: RIP and RFLAGS written from KVM's, an
 * event delivered (RSP, RFLAGS and RIP from the gate and the registers
 * then; the frame into memory), an AP's reset at SIPI (constants and the
 * RIP).  Every input of that work is in this observation's digest (KVM's
 * registers, the event, where the guest resumes) or in the earlier
 * read, so reading them again could not differ where the digest agrees.
 * RDMSR, CPUID, port I/O, an APIC-page access, RDTSC, MOV from CR8
 * write registers only after an instruction ran, so the rule never
 * covers them; an RDTSC is always read (the model's TSC is in RAX and
 * RDX only).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "guest/guest.h"
#include "vmx/vmx.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

enum diff_mode {
	RECORD,	 /* the reference: keep each digest */
	COMPARE, /* the run under test: check each digest */
	CAPTURE, /* the reference again: stop at one observation */
};

struct diff_side {
	enum diff_mode mode;
	struct x2s_guest_diff_result *res;
	const struct x2s_guest_diff_config *dc;
	unsigned int which; /* 0 slow, 1 fast */
	uint64_t *digests;
	uint64_t nr, cap;
	uint64_t count;	 /* observations so far */
	uint64_t target; /* CAPTURE, COMPARE: where to stop */
	bool stopped;
	bool nomem;
	uint64_t console_hash, console_bytes;
	/*
	 * Per vCPU: its instruction count at the last observation that read
	 * its engine's registers (known: there was one).
	 */
	uint64_t known_insns[X2S_GUEST_MAX_VCPUS];
	bool known[X2S_GUEST_MAX_VCPUS];
	struct kvm_vcpu *vcpu[X2S_GUEST_MAX_VCPUS]; /* looked up once */
	void (*console)(void *opaque, const char *buf, size_t len);
	void *console_opaque;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

static void side_console(void *opaque, const char *buf, size_t len)
{
	struct diff_side *s = opaque;

	for (size_t i = 0; i < len; i++)
		s->console_hash = mix(s->console_hash, (uint8_t)buf[i]);
	s->console_bytes += len;
	if (s->console)
		s->console(s->console_opaque, buf, len);
}

/* An exit an instruction of the guest made (its RIP is guest-visible). */
static bool insn_exit(uint32_t basic)
{
	switch (basic) {
	case EXIT_REASON_MSR_WRITE:
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_HLT:
	case EXIT_REASON_CPUID:
	case EXIT_REASON_IO_INSTRUCTION:
	case EXIT_REASON_APIC_ACCESS:
		return true;
	default:
		return false;
	}
}

/* Is this point one the guest can tell apart? */
static bool visible(const struct x2s_guest_obs *o)
{
	if (o->kind == X2S_OBS_EXIT)
		return false;
	if (o->kind != X2S_OBS_ENTRY)
		return true;
	return insn_exit(o->exit_basic) || (o->intr_info & (1u << 31));
}

/*
 * KVM's view of the vCPU's registers (what the next VM entry loads): the
 * 16 GPRs, RFLAGS and EFER.  A fastpath that changes one changes what
 * the guest sees, whether or not the runner writes it into its engine.
 */
static void kvm_regs(struct x2s_guest *g, unsigned int vcpu,
		     uint64_t out[X2S_GUEST_DIFF_KVM_REGS])
{
	struct kvm_vcpu *v = x2s_vm_vcpu(x2s_guest_vm(g), vcpu);

	for (unsigned int i = 0; i < 16; i++)
		out[i] = v->arch.regs[i];
	out[16] = v->arch.rflags;
	out[17] = v->arch.efer;
}

/*
 * The digest of one observation: 64-bit words, each field whole in one
 * (small fields packed side by side, never overlapping), spread over four
 * independent multiply-rotate lanes (they run in parallel: this is on
 * every exit) and folded with a finalizer.  A lane's step is a bijection
 * of its state for a fixed word and of the word for a fixed state, and
 * the fold a bijection of each lane for fixed others, so observations
 * that differ in one word (one field) never share a digest; any other
 * accidental equality is a 2^-64 event.  eng: the engine's registers, or
 * NULL when they are not read.
 */
#define LANE(h, x)                                               \
	do {                                                     \
		h ^= (x);                                        \
		h = (h << 29 | h >> 35) * 0x9e3779b97f4a7c15ULL; \
	} while (0)

static uint64_t rotl(uint64_t x, unsigned int r)
{
	return x << r | x >> (64 - r);
}

static uint64_t digest(const struct x2s_guest_obs *o, const struct kvm_vcpu *v,
		       const uint64_t *eng, const struct diff_side *s)
{
	bool insn = o->kind != X2S_OBS_RDTSC && insn_exit(o->exit_basic) &&
		    o->kind != X2S_OBS_WAKE;
	uint64_t a = 0x243f6a8885a308d3ULL, b = 0x13198a2e03707344ULL;
	uint64_t c = 0xa4093822299f31d0ULL, d = 0x082efa98ec4e6c89ULL;
	const unsigned long *r = v->arch.regs;
	uint64_t h;

	/*
	 * kind (< 16), mmio (< 4), whether the engine was read, vCPU (< 256),
	 * the basic exit reason (16 bits), mp_state: side by side.  Which
	 * exit brought an event in is not visible; an instruction's is.
	 */
	LANE(a, (uint64_t)o->kind | (uint64_t)o->mmio << 4 |
			(uint64_t)(eng != NULL) << 6 | (uint64_t)o->vcpu << 8 |
			(uint64_t)(insn ? o->exit_basic : 0) << 16 |
			(uint64_t)o->mp_state << 32);
	LANE(b, o->intr_info | (uint64_t)(o->intr_info ? o->intr_error : 0)
				       << 32);
	LANE(c, o->insns);
	LANE(d, insn ? o->exit_rip : 0);
	LANE(a, o->rip);
	LANE(b, o->mmio ? o->mmio_value : 0);
	LANE(c, s->console_bytes);
	LANE(d, s->console_hash);
	/* KVM's registers: the 16 GPRs, RFLAGS, EFER. */
	for (unsigned int i = 0; i < 16; i += 4) {
		LANE(a, r[i]);
		LANE(b, r[i + 1]);
		LANE(c, r[i + 2]);
		LANE(d, r[i + 3]);
	}
	LANE(a, v->arch.rflags);
	LANE(b, v->arch.efer);
	/* The engine's X2S_GUEST_NR_REGS (23). */
	if (eng) {
		for (unsigned int i = 0; i < 20; i += 4) {
			LANE(a, eng[i]);
			LANE(b, eng[i + 1]);
			LANE(c, eng[i + 2]);
			LANE(d, eng[i + 3]);
		}
		LANE(c, eng[20]);
		LANE(d, eng[21]);
		LANE(a, eng[22]);
	}
	h = a ^ rotl(b, 16) ^ rotl(c, 32) ^ rotl(d, 48);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

#undef LANE

/*
 * Read the engine's registers here?  Not at the entry after a WRMSR that
 * injected nothing (the common exit, where the runner gives the engine
 * only a RIP: its registers are those of the exit, which earlier
 * observations determine), but every FULL_EVERY-th time there; not when
 * the vCPU has run no instruction since an observation that read them
 * (known: see the header); always at an RDTSC (the model's TSC is in
 * RAX and RDX only).
 */
#define FULL_EVERY 64

static bool read_engine(const struct x2s_guest_obs *o, uint64_t count,
			const struct diff_side *s)
{
	if (o->kind == X2S_OBS_RDTSC)
		return true;
	if (o->kind == X2S_OBS_ENTRY &&
	    o->exit_basic == EXIT_REASON_MSR_WRITE && !o->intr_info)
		return count % FULL_EVERY == 0;
	return !(s->known[o->vcpu] && s->known_insns[o->vcpu] == o->insns);
}

static void keep(struct x2s_guest_diff_result *res, unsigned int which,
		 struct x2s_guest *g, const struct x2s_guest_obs *o,
		 const uint64_t *kvm, const struct diff_side *s)
{
	res->have_obs[which] = true;
	res->obs[which] = *o;
	if (x2s_guest_regs(g, o->vcpu, res->regs[which]))
		memset(res->regs[which], 0, sizeof(res->regs[which]));
	memcpy(res->kvm_regs[which], kvm, sizeof(res->kvm_regs[which]));
	res->console_bytes[which] = s->console_bytes;
	res->console_hash[which] = s->console_hash;
}

static int side_observe(void *opaque, struct x2s_guest *g,
			const struct x2s_guest_obs *o)
{
	struct diff_side *s = opaque;
	uint64_t eng[X2S_GUEST_NR_REGS], kvm[X2S_GUEST_DIFF_KVM_REGS], h;
	struct kvm_vcpu *v;
	bool full;

	if (o->kind == X2S_OBS_EXIT && s->mode == CAPTURE &&
	    s->count == s->target && s->dc->pre_exit)
		s->dc->pre_exit(s->dc->pre_exit_opaque, g, o);
	if (!visible(o))
		return 0;
	if (o->vcpu >= X2S_GUEST_MAX_VCPUS)
		return 1;
	v = s->vcpu[o->vcpu];
	if (!v)
		v = s->vcpu[o->vcpu] = x2s_vm_vcpu(x2s_guest_vm(g), o->vcpu);
	full = read_engine(o, s->mode == RECORD ? s->nr : s->count, s);
	if (full) {
		if (x2s_guest_regs(g, o->vcpu, eng))
			return 1;
		s->known[o->vcpu] = true;
		s->known_insns[o->vcpu] = o->insns;
	}
	h = digest(o, v, full ? eng : NULL, s);
	switch (s->mode) {
	case RECORD:
		if (s->nr == s->cap) {
			uint64_t cap = s->cap ? s->cap * 2 : 4096;
			uint64_t *d = realloc(s->digests, cap * sizeof(*d));

			if (!d) {
				s->nomem = true;
				return 1;
			}
			s->digests = d;
			s->cap = cap;
		}
		s->digests[s->nr++] = h;
		break;
	case COMPARE:
		if (s->count >= s->target || h != s->digests[s->count]) {
			kvm_regs(g, o->vcpu, kvm);
			keep(s->res, 1, g, o, kvm, s);
			s->res->index = s->count;
			s->stopped = true;
			return 1;
		}
		break;
	case CAPTURE:
		if (s->count == s->target) {
			kvm_regs(g, o->vcpu, kvm);
			keep(s->res, 0, g, o, kvm, s);
			s->stopped = true;
			return 1;
		}
		break;
	}
	s->count++;
	return 0;
}

static int make_side(const struct x2s_guest_diff_config *dc,
		     struct diff_side *s, const struct x2s_fastpath *fn,
		     struct x2s_guest **out, char *err, size_t errlen)
{
	struct x2s_guest_config cfg = dc->base;
	int r;

	s->console = s->which == 0 ? dc->base.console : NULL;
	s->console_opaque = dc->base.console_opaque;
	cfg.fastpath = fn;
	cfg.console = side_console;
	cfg.console_opaque = s;
	cfg.observe = side_observe;
	cfg.observe_opaque = s;
	cfg.observe_exits = s->mode == CAPTURE && dc->pre_exit;
	/* One trace would interleave two runs: the run under test's only. */
	if (s->which == 0)
		cfg.trace = NULL;
	r = x2s_guest_create(dc->img, &cfg, out, err, errlen);
	if (r)
		return r;
	if (dc->prepare) {
		r = dc->prepare(dc->prepare_opaque, *out, err, errlen);
		if (r) {
			x2s_guest_destroy(*out);
			*out = NULL;
			return r;
		}
	}
	return 0;
}

static void side_done(struct x2s_guest_diff_result *res, unsigned int which,
		      struct x2s_guest *g, int r, const struct diff_side *s,
		      bool stopped)
{
	struct x2s_guest_diff_run *run = &res->run[which];
	const char *e = x2s_guest_error(g);

	run->result = r;
	run->stopped = stopped;
	run->stats = *x2s_guest_get_stats(g);
	run->stats.first_warn = NULL;
	run->observations = s->mode == RECORD ? s->nr : s->count;
	if (!stopped && e)
		snprintf(run->error, sizeof(run->error), "%s", e);
	else
		run->error[0] = '\0';
	if (!stopped) {
		run->console_bytes = s->console_bytes;
		run->console_hash = s->console_hash;
	}
}

static void add_field(struct x2s_guest_diff_result *res, const char *name,
		      uint64_t a, uint64_t b)
{
	struct x2s_guest_diff_field *f;

	if (a == b || res->nr_fields == X2S_GUEST_DIFF_MAX_FIELDS)
		return;
	f = &res->field[res->nr_fields++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->slow = a;
	f->fast = b;
}

static const char *const reg_names[X2S_GUEST_NR_REGS] = {
	"RAX",	  "RBX", "RCX", "RDX", "RSI",  "RDI", "RBP", "RSP",
	"R8",	  "R9",	 "R10", "R11", "R12",  "R13", "R14", "R15",
	"RFLAGS", "CR0", "CR3", "CR4", "EFER", "CS",  "SS",
};

/* KVM's vcpu->arch.regs[] order, then RFLAGS and EFER. */
static const char *const kvm_reg_names[X2S_GUEST_DIFF_KVM_REGS] = {
	"kvm.RAX", "kvm.RCX", "kvm.RDX", "kvm.RBX", "kvm.RSP",	  "kvm.RBP",
	"kvm.RSI", "kvm.RDI", "kvm.R8",	 "kvm.R9",  "kvm.R10",	  "kvm.R11",
	"kvm.R12", "kvm.R13", "kvm.R14", "kvm.R15", "kvm.RFLAGS", "kvm.EFER",
};

const char *x2s_guest_reg_name(unsigned int reg)
{
	return reg < X2S_GUEST_NR_REGS ? reg_names[reg] : "?";
}

/* Both sides' observations at the divergence, field by field. */
static void compare_obs(struct x2s_guest_diff_result *res)
{
	const struct x2s_guest_obs *a = &res->obs[0], *b = &res->obs[1];

	add_field(res, "kind", a->kind, b->kind);
	add_field(res, "vcpu", a->vcpu, b->vcpu);
	add_field(res, "insns", a->insns, b->insns);
	add_field(res, "exit", a->exit_basic, b->exit_basic);
	add_field(res, "exit_rip", a->exit_rip, b->exit_rip);
	add_field(res, "RIP", a->rip, b->rip);
	add_field(res, "injected", a->intr_info, b->intr_info);
	add_field(res, "error_code", a->intr_info ? a->intr_error : 0,
		  b->intr_info ? b->intr_error : 0);
	add_field(res, "mp_state", a->mp_state, b->mp_state);
	add_field(res, "mmio", a->mmio, b->mmio);
	add_field(res, "mmio_value", a->mmio_value, b->mmio_value);
	for (unsigned int i = 0; i < X2S_GUEST_NR_REGS; i++)
		add_field(res, reg_names[i], res->regs[0][i], res->regs[1][i]);
	for (unsigned int i = 0; i < X2S_GUEST_DIFF_KVM_REGS; i++)
		add_field(res, kvm_reg_names[i], res->kvm_regs[0][i],
			  res->kvm_regs[1][i]);
	add_field(res, "console_bytes", res->console_bytes[0],
		  res->console_bytes[1]);
	add_field(res, "console_hash", res->console_hash[0],
		  res->console_hash[1]);
}

/* The first byte of guest memory that differs: false when none does. */
static bool compare_memory(struct x2s_guest *a, struct x2s_guest *b,
			   struct x2s_guest_diff_result *res)
{
	uint64_t addr, baddr, len, blen;
	const uint8_t *pa, *pb;

	for (unsigned int i = 0; x2s_guest_region(a, i, &addr, &pa, &len);
	     i++) {
		if (!x2s_guest_region(b, i, &baddr, &pb, &blen) ||
		    baddr != addr || blen != len)
			return false; /* same image, same layout */
		for (uint64_t off = 0; off < len; off += 4096) {
			uint64_t n = len - off < 4096 ? len - off : 4096;

			if (!memcmp(pa + off, pb + off, n))
				continue;
			for (uint64_t j = off; j < off + n; j++) {
				if (pa[j] == pb[j])
					continue;
				res->mem_differs = true;
				res->mem_addr = addr + j;
				res->mem_slow = pa[j];
				res->mem_fast = pb[j];
				return true;
			}
		}
	}
	return false;
}

/* The final state of every vCPU when both runs ended. */
static bool compare_end(struct x2s_guest *a, struct x2s_guest *b,
			struct x2s_guest_diff_result *res, unsigned int nr)
{
	for (unsigned int v = 0; v < nr; v++) {
		uint64_t ra[X2S_GUEST_NR_REGS], rb[X2S_GUEST_NR_REGS];
		struct kvm_vcpu *va = x2s_vm_vcpu(x2s_guest_vm(a), v);
		struct kvm_vcpu *vb = x2s_vm_vcpu(x2s_guest_vm(b), v);

		if (x2s_guest_regs(a, v, ra) || x2s_guest_regs(b, v, rb))
			continue;
		if (!memcmp(ra, rb, sizeof(ra)) &&
		    va->arch.mp_state == vb->arch.mp_state)
			continue;
		res->end_vcpu = v;
		memcpy(res->regs[0], ra, sizeof(ra));
		memcpy(res->regs[1], rb, sizeof(rb));
		add_field(res, "mp_state", va->arch.mp_state,
			  vb->arch.mp_state);
		for (unsigned int i = 0; i < X2S_GUEST_NR_REGS; i++)
			add_field(res, reg_names[i], ra[i], rb[i]);
		return true;
	}
	return false;
}

static bool budget_ran_out(const char *e)
{
	return e && strstr(e, "time budget of");
}

int x2s_guest_diff(const struct x2s_guest_diff_config *dc,
		   struct x2s_guest_diff_result *res, char *err, size_t errlen)
{
	struct diff_side slow = { .mode = RECORD, .res = res, .dc = dc };
	struct diff_side fast = {
		.mode = COMPARE, .res = res, .dc = dc, .which = 1
	};
	struct diff_side again = { .mode = CAPTURE, .res = res, .dc = dc };
	struct x2s_guest *gs = NULL, *gf = NULL, *ga = NULL;
	uint64_t t0;
	int r, rs, rf;

	if (!dc || !res || !dc->img)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	res->end_vcpu = -1;

	/* The reference: KVM's slow path, every digest kept. */
	r = make_side(dc, &slow, NULL, &gs, err, errlen);
	if (r)
		return r;
	t0 = now_ns();
	rs = x2s_guest_run(gs);
	res->run_ns[0] = now_ns() - t0;
	if (rs < 0 || slow.nomem) {
		snprintf(err, errlen, "the reference run: %s",
			 slow.nomem ? "out of memory" : "internal error");
		r = rs < 0 ? rs : -ENOMEM;
		goto out;
	}
	side_done(res, 0, gs, rs, &slow, false);
	if (budget_ran_out(x2s_guest_error(gs))) {
		snprintf(err, errlen,
			 "the reference run did not end within the time "
			 "budget (%s): nothing to compare",
			 x2s_guest_error(gs));
		r = -ETIMEDOUT;
		goto out;
	}

	/* The run under test, checked at each observation. */
	fast.digests = slow.digests;
	fast.target = slow.nr;
	r = make_side(dc, &fast, dc->fastpath, &gf, err, errlen);
	if (r)
		goto out;
	t0 = now_ns();
	rf = x2s_guest_run(gf);
	res->run_ns[1] = now_ns() - t0;
	if (rf < 0) {
		snprintf(err, errlen, "the run under test: internal error");
		r = rf;
		goto out;
	}
	side_done(res, 1, gf, rf, &fast, fast.stopped);
	if (!fast.stopped && budget_ran_out(x2s_guest_error(gf))) {
		snprintf(err, errlen,
			 "the run under test did not end within the time "
			 "budget (%s): nothing to compare",
			 x2s_guest_error(gf));
		r = -ETIMEDOUT;
		goto out;
	}
	r = 0;

	if (!fast.stopped && fast.count < slow.nr) {
		/* It ended first: the reference's next observation differs. */
		res->index = fast.count;
		fast.stopped = true;
	}
	if (fast.stopped) {
		res->diverged = true;
		/* The reference again, to the observation that differs. */
		again.target = res->index;
		r = make_side(dc, &again, NULL, &ga, err, errlen);
		if (r)
			goto out;
		again.console = NULL;
		if (x2s_guest_run(ga) < 0) {
			snprintf(err, errlen,
				 "the reference rerun: internal "
				 "error");
			r = -EIO;
			goto out;
		}
		if (!again.stopped) {
			/* The reference has no such observation: it ended. */
			snprintf(res->what, sizeof(res->what),
				 "the reference run ended after %llu "
				 "observations; the run under test went on",
				 (unsigned long long)slow.nr);
		} else if (!res->have_obs[1]) {
			snprintf(res->what, sizeof(res->what),
				 "the run under test ended after %llu "
				 "observations (%s); the reference went on",
				 (unsigned long long)fast.count,
				 res->run[1].error[0] ? res->run[1].error :
							"finished");
		} else {
			compare_obs(res);
			snprintf(res->what, sizeof(res->what),
				 "%u field%s differ%s at observation %llu",
				 res->nr_fields, res->nr_fields == 1 ? "" : "s",
				 res->nr_fields == 1 ? "s" : "",
				 (unsigned long long)res->index);
		}
		/* Both stopped at the same point: their memory too. */
		if (res->have_obs[0] && res->have_obs[1])
			compare_memory(ga, gf, res);
		res->guest[0] = again.stopped ? ga : gs;
		res->guest[1] = gf;
		if (res->guest[0] == ga)
			ga = NULL;
		else
			gs = NULL;
		gf = NULL;
		goto out;
	}

	/* Both ran to the end with the same observations: how they ended. */
	if (rs != rf || strcmp(res->run[0].error, res->run[1].error) ||
	    res->run[0].stats.exit_status != res->run[1].stats.exit_status ||
	    res->run[0].console_bytes != res->run[1].console_bytes ||
	    res->run[0].console_hash != res->run[1].console_hash) {
		res->diverged = true;
		res->at_end = true;
		snprintf(res->what, sizeof(res->what),
			 "the runs ended differently: %s / %s",
			 rs ? res->run[0].error : "finished",
			 rf ? res->run[1].error : "finished");
	} else if (compare_end(gs, gf, res, dc->base.nr_vcpus)) {
		res->diverged = true;
		res->at_end = true;
		snprintf(res->what, sizeof(res->what),
			 "vcpu %d's final state differs", res->end_vcpu);
	} else if (compare_memory(gs, gf, res)) {
		res->diverged = true;
		res->at_end = true;
		snprintf(res->what, sizeof(res->what),
			 "guest memory differs at the end, first at 0x%llx",
			 (unsigned long long)res->mem_addr);
	}
	res->observations = slow.nr;
out:
	free(slow.digests);
	x2s_guest_destroy(gs);
	x2s_guest_destroy(gf);
	x2s_guest_destroy(ga);
	return r;
}

void x2s_guest_diff_release(struct x2s_guest_diff_result *res)
{
	x2s_guest_destroy(res->guest[0]);
	x2s_guest_destroy(res->guest[1]);
	res->guest[0] = res->guest[1] = NULL;
}
