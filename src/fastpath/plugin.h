/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim fastpath plugins: a shared object built against the installed
 * <x2sim/kvm.h> that exports one of
 *
 *   fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu);
 *	called after every exit; does its own gating (exit reason, L2);
 *   fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);
 *	called only for MSR_WRITE exits outside guest mode, the gate
 *	upstream's vmx_exit_handlers_fastpath() puts in front of it.
 *
 * When both are exported, vmx_exit_handlers_fastpath is used: it is the
 * outermost entry point and may do more than the MSR case.
 *
 * The plugin's kvm_* calls resolve against the running program, which
 * must export them (the x2sim CLI does; so must a test that loads plugins:
 * CMake ENABLE_EXPORTS / -rdynamic).  A loaded plugin stays loaded until
 * the process exits, so its hook stays valid.
 */
#ifndef X2SIM_SRC_FASTPATH_PLUGIN_H
#define X2SIM_SRC_FASTPATH_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "fastpath/fastpath.h"

#define X2S_PLUGIN_SYM_EXIT_HANDLERS "vmx_exit_handlers_fastpath"
#define X2S_PLUGIN_SYM_SET_MSR "handle_fastpath_set_msr_irqoff"
#define X2S_PLUGIN_SYM_ABI "x2sim_kvm_abi_version"

/* Distinct MSR-form plugins that can be loaded at once. */
#define X2S_PLUGIN_MAX_MSR_HOOKS 8

struct x2s_plugin {
	/* The hook to install: to_kvm_vmx(kvm)->fastpath = fn. */
	x2s_fastpath_fn fn;
	/* The plugin's own entry point (unwrapped). */
	x2s_fastpath_fn entry;
	/* X2S_PLUGIN_SYM_EXIT_HANDLERS or X2S_PLUGIN_SYM_SET_MSR. */
	const char *symbol;
	/* Both were exported; symbol is vmx_exit_handlers_fastpath. */
	bool both;
	/* The plugin's x2sim_kvm_abi_version (== X2SIM_KVM_ABI_VERSION). */
	unsigned int abi_version;
};

/*
 * Load the plugin at path and return in *fn the hook to install as the
 * exit fastpath.  Returns 0, or a negative errno with one line in err
 * (never longer than errlen) saying what is wrong:
 *   -ENOENT / -EACCES / -EISDIR / -EINVAL  missing, unreadable, a
 *	directory, not a regular file;
 *   -ENOEXEC   not an ELF shared object for this machine (text file,
 *	relocatable .o, executable, 32-bit, other architecture);
 *   -ELIBBAD   the dynamic loader refused it (dlerror(), e.g. an
 *	undefined kvm_* symbol);
 *   -EPROTO    no ABI stamp, or a stamp of another X2SIM_KVM_ABI_VERSION;
 *   -ENOSYS    neither entry symbol, or one that is not a function;
 *   -ENOSPC    too many different MSR-form plugins loaded.
 */
int x2s_plugin_load(const char *path, x2s_fastpath_fn *fn, char *err,
		    size_t errlen);

/* Same, with everything learnt about the plugin in *p. */
int x2s_plugin_open(const char *path, struct x2s_plugin *p, char *err,
		    size_t errlen);

#endif /* X2SIM_SRC_FASTPATH_PLUGIN_H */
