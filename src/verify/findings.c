// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: finding classes (engine.h).  Cases that fail alike form one
 * class -- the class key of docs/verify-json.md: verdict (or contract
 * violation), what the fastpath returned, the cause of the difference,
 * the kind of exit, the WARN, and for contract violations the ICR's
 * class and number of targets -- and each class keeps its count and its
 * smallest case.  What differs in that smallest case (its signature) is
 * shown with it but does not class it.
 */
#include <stdlib.h>
#include <string.h>

#include "verify/engine.h"

/* The smaller case: fewer vCPUs, fewer set bits, then a fixed order. */
bool x2s_finding_example_smaller(const struct x2s_finding *a,
				 const struct x2s_finding *b)
{
	int pa = __builtin_popcountll(a->example.data),
	    pb = __builtin_popcountll(b->example.data);
	int ea = __builtin_popcount(a->example.ecx),
	    eb = __builtin_popcount(b->example.ecx);

	if (a->example.config.nr_vcpus != b->example.config.nr_vcpus)
		return a->example.config.nr_vcpus < b->example.config.nr_vcpus;
	if (pa != pb)
		return pa < pb;
	if (ea != eb)
		return ea < eb;
	if (a->config_index != b->config_index)
		return a->config_index < b->config_index;
	if (a->example.sender != b->example.sender)
		return a->example.sender < b->example.sender;
	if (a->example.data != b->example.data)
		return a->example.data < b->example.data;
	if (a->example.ecx != b->example.ecx)
		return a->example.ecx < b->example.ecx;
	return a->example.reg < b->example.reg;
}

void x2s_findings_add(struct x2s_finding_table *t, const struct x2s_finding *nf,
		      u64 count)
{
	for (unsigned int i = 0; i < t->nr; i++) {
		struct x2s_finding *f = &t->f[i];

		if (x2s_finding_class_cmp(f, nf))
			continue;
		if (x2s_finding_example_smaller(nf, f)) {
			u64 c = f->count;

			*f = *nf;
			f->count = c;
		}
		f->count += count;
		return;
	}
	if (t->nr == X2S_MAX_FINDINGS) {
		t->dropped += count;
		return;
	}
	t->f[t->nr] = *nf;
	t->f[t->nr].count = count;
	t->nr++;
}

int x2s_finding_class_cmp(const struct x2s_finding *a,
			  const struct x2s_finding *b)
{
	if (a->violation != b->violation)
		return a->violation - b->violation;
	if (a->verdict != b->verdict)
		return (int)a->verdict - (int)b->verdict;
	if (a->cause != b->cause)
		return (int)a->cause - (int)b->cause;
	if (a->example.exit != b->example.exit)
		return (int)a->example.exit - (int)b->example.exit;
	if (a->fastpath != b->fastpath)
		return a->fastpath - b->fastpath;
	if (a->delivery_mode != b->delivery_mode)
		return a->delivery_mode - b->delivery_mode;
	if (a->logical != b->logical)
		return a->logical - b->logical;
	if (a->shorthand != b->shorthand)
		return a->shorthand - b->shorthand;
	if (a->targets != b->targets)
		return a->targets - b->targets;
	return strcmp(a->warn, b->warn);
}

static int finding_order(const void *a, const void *b)
{
	return x2s_finding_class_cmp(a, b);
}

void x2s_findings_sort(struct x2s_finding *f, unsigned int n)
{
	qsort(f, n, sizeof(*f), finding_order);
}
