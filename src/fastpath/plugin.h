/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim fastpath plugins: a shared object built against the installed
 * <x2sim/kvm.h> that exports one of these, looked for in this order (the
 * first found is the entry point; it may call the others):
 *
 *   fastpath_t x2sim_kernel_fastpath(struct kvm_vcpu *vcpu,
 *				      bool force_immediate_exit);
 *	what `x2sim verify --kernel` builds around a tree's code;
 *   fastpath_t vmx_exit_handlers_fastpath(struct kvm_vcpu *vcpu,
 *					   bool force_immediate_exit);
 *	called after every exit; does its own gating (exit reason, L2).
 *	x2sim passes force_immediate_exit = false.  The one-parameter form
 *	of kernels before 6.9 is accepted as well: under the x86-64 (and
 *	every other Linux) calling convention the second argument is
 *	simply not read;
 *   fastpath_t handle_fastpath_wrmsr(struct kvm_vcpu *vcpu);	(6.18)
 *   fastpath_t handle_fastpath_set_msr_irqoff(struct kvm_vcpu *vcpu);
 *	called only for MSR_WRITE exits outside guest mode, the gate
 *	every vmx_exit_handlers_fastpath() puts in front of them.
 *
 * The result is read as the fastpath_t of the kvm.h face the object was
 * built against (its x2sim_kvm_version stamp): 1 from a 5.6 face is
 * EXIT_FASTPATH_SKIP_EMUL_INS.
 *
 * The plugin's kvm_* calls resolve against the running program, which
 * must export them (the x2sim CLI does; so must a test that loads plugins:
 * CMake ENABLE_EXPORTS / -rdynamic).  A loaded plugin stays loaded until
 * the process exits, so its fastpath stays valid.
 */
#ifndef X2SIM_SRC_FASTPATH_PLUGIN_H
#define X2SIM_SRC_FASTPATH_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "fastpath/fastpath.h"

#define X2S_PLUGIN_SYM_KERNEL "x2sim_kernel_fastpath"
#define X2S_PLUGIN_SYM_EXIT_HANDLERS "vmx_exit_handlers_fastpath"
#define X2S_PLUGIN_SYM_WRMSR "handle_fastpath_wrmsr"
#define X2S_PLUGIN_SYM_SET_MSR "handle_fastpath_set_msr_irqoff"
#define X2S_PLUGIN_SYM_ABI "x2sim_kvm_abi_version"
#define X2S_PLUGIN_SYM_VERSION "x2sim_kvm_version"

struct x2s_plugin {
	/* The fastpath to install: to_kvm_vmx(kvm)->fastpath = fn. */
	const struct x2s_fastpath *fn;
	/* Its description, filled by the loader (fn points at a kept copy). */
	struct x2s_fastpath fp;
	/* The plugin's own entry point, as dlsym() found it. */
	void *entry;
	/* Which X2S_PLUGIN_SYM_* it is. */
	const char *symbol;
	/* It exported more than one entry point; symbol is the outermost. */
	bool both;
	/* The plugin's x2sim_kvm_abi_version (== X2SIM_KVM_ABI_VERSION). */
	unsigned int abi_version;
	/* Its x2sim_kvm_version: the KVM face it was built against. */
	unsigned int kvm_version;
	char path[4096];
};

/*
 * Load the plugin at path and return in *fn the fastpath to install.  Returns 0, or a negative errno with one line in err
 * (never longer than errlen) saying what is wrong:
 *   -ENOENT / -EACCES / -EISDIR / -EINVAL  missing, unreadable, a
 *	directory, not a regular file;
 *   -ENOEXEC   not an ELF shared object for this machine (text file,
 *	relocatable .o, executable, 32-bit, other architecture);
 *   -ELIBBAD   the dynamic loader refused it (dlerror(), e.g. an
 *	undefined kvm_* symbol);
 *   -EPROTO    no ABI stamp, or a stamp of another X2SIM_KVM_ABI_VERSION;
 *   -EPROTO    (also) a version stamp outside 5.6 - mainline;
 *   -ENOSYS    no entry symbol, or one that is not a function.
 */
int x2s_plugin_load(const char *path, const struct x2s_fastpath **fn, char *err,
		    size_t errlen);

/* Same, with everything learnt about the plugin in *p. */
int x2s_plugin_open(const char *path, struct x2s_plugin *p, char *err,
		    size_t errlen);

#endif /* X2SIM_SRC_FASTPATH_PLUGIN_H */
