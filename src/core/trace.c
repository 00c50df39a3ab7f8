// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: WARN bookkeeping and KVM-style trace lines.
 *
 * Both are per thread, so that verification threads never share state.
 * Trace lines follow the TP_printk formats of KVM's trace points
 * (kvm_msr, kvm_apic, kvm_apic_ipi) so that a reader used to
 * `perf trace -e kvm:*` output recognises them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"

static __thread unsigned int warn_count;
static __thread char warn_first[256];
__thread x2s_trace_fn x2s_trace_sink;
static __thread void *trace_opaque;

/*
 * file is __FILE__ as the code was compiled: the project builds with
 * -fmacro-prefix-map, so its own are "src/lapic/lapic.c"; a plugin's or a
 * kernel tree's are what its build or #line gave.
 */
void __x2s_warn(const char *file, int line, const char *macro, const char *cond)
{
	if (warn_count++ == 0)
		snprintf(warn_first, sizeof(warn_first), "%s:%d: %s(%s)", file,
			 line, macro, cond);
}

unsigned int x2s_warn_count(void)
{
	return warn_count;
}

const unsigned int *x2s_warn_counter(void)
{
	return &warn_count;
}

void x2s_warn_reset(void)
{
	warn_count = 0;
	warn_first[0] = '\0';
}

const char *x2s_warn_first(void)
{
	return warn_count ? warn_first : NULL;
}

void x2s_set_trace(x2s_trace_fn fn, void *opaque)
{
	x2s_trace_sink = fn;
	trace_opaque = opaque;
}

void x2s_trace(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!x2s_trace_sink)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	x2s_trace_sink(trace_opaque, line);
}

void trace_kvm_msr_write(u32 ecx, u64 data)
{
	if (x2s_trace_sink)
		x2s_trace("kvm_msr: msr_write %x = 0x%llx", ecx,
			  (unsigned long long)data);
}

void trace_kvm_msr_read(u32 ecx, u64 data)
{
	if (x2s_trace_sink)
		x2s_trace("kvm_msr: msr_read %x = 0x%llx", ecx,
			  (unsigned long long)data);
}

/* The access faulted (#GP): KVM's *_ex events, the read's value 0. */
void trace_kvm_msr_write_ex(u32 ecx, u64 data)
{
	if (x2s_trace_sink)
		x2s_trace("kvm_msr: msr_write %x = 0x%llx (#GP)", ecx,
			  (unsigned long long)data);
}

void trace_kvm_msr_read_ex(u32 ecx)
{
	if (x2s_trace_sink)
		x2s_trace("kvm_msr: msr_read %x = 0x0 (#GP)", ecx);
}

static const char *apic_reg_name(u32 reg)
{
	switch (reg) {
	case APIC_ID:
		return "APIC_ID";
	case APIC_LVR:
		return "APIC_LVR";
	case APIC_TASKPRI:
		return "APIC_TASKPRI";
	case APIC_ARBPRI:
		return "APIC_ARBPRI";
	case APIC_PROCPRI:
		return "APIC_PROCPRI";
	case APIC_EOI:
		return "APIC_EOI";
	case APIC_RRR:
		return "APIC_RRR";
	case APIC_LDR:
		return "APIC_LDR";
	case APIC_DFR:
		return "APIC_DFR";
	case APIC_SPIV:
		return "APIC_SPIV";
	case APIC_ESR:
		return "APIC_ESR";
	case APIC_LVTCMCI:
		return "APIC_LVTCMCI";
	case APIC_ICR:
		return "APIC_ICR";
	case APIC_ICR2:
		return "APIC_ICR2";
	case APIC_LVTT:
		return "APIC_LVTT";
	case APIC_LVTTHMR:
		return "APIC_LVTTHMR";
	case APIC_LVTPC:
		return "APIC_LVTPC";
	case APIC_LVT0:
		return "APIC_LVT0";
	case APIC_LVT1:
		return "APIC_LVT1";
	case APIC_LVTERR:
		return "APIC_LVTERR";
	case APIC_TMICT:
		return "APIC_TMICT";
	case APIC_TMCCT:
		return "APIC_TMCCT";
	case APIC_TDCR:
		return "APIC_TDCR";
	case APIC_SELF_IPI:
		return "APIC_SELF_IPI";
	}
	if (reg >= APIC_ISR && reg < APIC_TMR)
		return "APIC_ISR";
	if (reg >= APIC_TMR && reg < APIC_IRR)
		return "APIC_TMR";
	if (reg >= APIC_IRR && reg < APIC_ESR)
		return "APIC_IRR";
	return NULL;
}

/*
 * "apic_%s %s = 0x%llx": a register without a name is printed as
 * __print_symbolic() prints a value its table lacks, in hex.
 */
static void trace_kvm_apic(const char *rw, u32 reg, u64 val)
{
	const char *name = apic_reg_name(reg);
	char num[16];

	if (!name) {
		snprintf(num, sizeof(num), "0x%x", reg);
		name = num;
	}
	x2s_trace("kvm_apic: apic_%s %s = 0x%llx", rw, name,
		  (unsigned long long)val);
}

void trace_kvm_apic_write(u32 reg, u64 val)
{
	if (x2s_trace_sink)
		trace_kvm_apic("write", reg, val);
}

void trace_kvm_apic_read(u32 reg, u64 val)
{
	if (x2s_trace_sink)
		trace_kvm_apic("read", reg, val);
}

void trace_kvm_apic_ipi(u32 icr_low, u32 dest_id)
{
	static const char *const dm[8] = {
		"Fixed", "LowPrio", "SMI",  "Res3",
		"NMI",	 "INIT",    "SIPI", "ExtINT"
	};
	static const char *const sh[4] = { "dst", "self", "all",
					   "all-but-self" };

	if (!x2s_trace_sink)
		return;
	x2s_trace("kvm_apic_ipi: dst %x vec %u (%s|%s|%s|%s|%s)", dest_id,
		  icr_low & APIC_VECTOR_MASK, dm[(icr_low >> 8) & 7],
		  icr_low & APIC_DEST_LOGICAL ? "logical" : "physical",
		  icr_low & APIC_INT_ASSERT ? "assert" : "de-assert",
		  icr_low & APIC_INT_LEVELTRIG ? "level" : "edge",
		  sh[(icr_low >> 18) & 3]);
}

int x2s_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}
