/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim fuzz support: one VM kept alive across many single-exit cases,
 * each run with a fastpath and without from the same state, undone line
 * by line afterwards.  The same differential rule as x2s_verify_case(),
 * without building a VM per case: for fuzz targets that want raw speed.
 */
#ifndef X2SIM_SRC_VERIFY_FUZZ_SUPPORT_H
#define X2SIM_SRC_VERIFY_FUZZ_SUPPORT_H

#include "verify/verify.h"

struct x2s_fuzz_engine;

/* A VM from d, its state taken as the start of every case: NULL on error. */
struct x2s_fuzz_engine *x2s_fuzz_engine_new(const struct x2s_vm_desc *d);
void x2s_fuzz_engine_free(struct x2s_fuzz_engine *e);

/*
 * One WRMSR exit of vCPU sender (ECX, EDX:EAX = data) with fn as the
 * fastpath and, if fn handled it, again without; the VM is back at its
 * start state afterwards.  Returns the verdict by the rule of
 * x2s_verify_case(), which a caller should rerun on anything but
 * DECLINED or EQUAL for the readable diff (and as a cross-check).
 */
enum x2s_verdict x2s_fuzz_engine_case(struct x2s_fuzz_engine *e,
				      unsigned int sender, uint32_t ecx,
				      uint64_t data, x2s_fastpath_fn fn);

#endif /* X2SIM_SRC_VERIFY_FUZZ_SUPPORT_H */
