// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's CPU model, as QEMU's -cpu takes it: a comma-separated list
 * of "+feature", "-feature", "feature=on|off" and "phys-bits=N".  x2sim
 * is the VMM that hands KVM the CPUID table (src/vmx/cpuid.c builds it
 * from struct x2s_vm_config), so the list sets the VM's CPUID knobs:
 * the x2APIC bit and the TSC-deadline bit of leaf 1, and MAXPHYADDR in
 * leaf 0x80000008.  Every vCPU gets the same model.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/guest.h"

#define CPU_ITEM_MAX 64

static const char *const cpu_features[] = { "x2apic", "tsc-deadline" };

static int cpu_bad(char *err, size_t errlen, const char *fmt, const char *item)
{
	snprintf(err, errlen, fmt, item);
	return -EINVAL;
}

/* One item of the list, NUL-terminated, into cfg. */
static int cpu_item(char *item, struct x2s_guest_config *cfg, char *err,
		    size_t errlen)
{
	char *eq = strchr(item, '=');
	const char *name = item;
	bool on;

	if (!strncmp(item, "phys-bits=", 10)) {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(item + 10, &end, 10);
		if (item[10] < '0' || item[10] > '9' || *end || errno ||
		    n < X2S_GUEST_PHYS_BITS_MIN || n > X2S_GUEST_PHYS_BITS_MAX)
			return cpu_bad(err, errlen,
				       "'%s': phys-bits must be 32 to 52",
				       item);
		cfg->phys_bits = (unsigned int)n;
		return 0;
	}
	if (item[0] == '+' || item[0] == '-') {
		on = item[0] == '+';
		name = item + 1;
		if (eq)
			return cpu_bad(err, errlen,
				       "'%s': either +feature, -feature or "
				       "feature=on|off",
				       item);
	} else if (eq) {
		*eq = 0;
		if (!strcmp(eq + 1, "on")) {
			on = true;
		} else if (!strcmp(eq + 1, "off")) {
			on = false;
		} else {
			*eq = '=';
			return cpu_bad(err, errlen,
				       "'%s': a feature is =on or =off", item);
		}
	} else {
		return cpu_bad(err, errlen,
			       "'%s': want +feature, -feature, feature=on|off "
			       "or phys-bits=N (x2sim has no CPU model names)",
			       item);
	}
	if (!strcmp(name, cpu_features[0]))
		cfg->cpu_no_x2apic = !on;
	else if (!strcmp(name, cpu_features[1]))
		cfg->cpu_no_tsc_deadline = !on;
	else
		return cpu_bad(err, errlen,
			       "unknown CPU feature '%s' (x2sim has x2apic, "
			       "tsc-deadline and phys-bits=N)",
			       name);
	return 0;
}

int x2s_guest_parse_cpu(const char *spec, struct x2s_guest_config *cfg,
			char *err, size_t errlen)
{
	struct x2s_guest_config c = *cfg;
	const char *p = spec;

	if (!spec || !*spec)
		return cpu_bad(err, errlen, "%san empty feature list", "");
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char item[CPU_ITEM_MAX];
		int r;

		if (!n)
			return cpu_bad(err, errlen,
				       "'%s': an empty item in the list", spec);
		if (n >= sizeof(item))
			return cpu_bad(err, errlen,
				       "'%.63s...': an item longer than 63 "
				       "characters",
				       p);
		memcpy(item, p, n);
		item[n] = 0;
		r = cpu_item(item, &c, err, errlen);
		if (r)
			return r;
		if (!comma)
			break;
		p = comma + 1;
	}
	*cfg = c;
	return 0;
}
