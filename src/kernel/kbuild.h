/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim kernel module, build side: turn a Linux tree's (or a file's)
 * fastpath functions into a loaded fastpath, unchanged.
 *
 * The text side (kernel.h) finds and extracts the functions; this side
 * chooses the entry point for the version, adds the one function x2sim
 * calls (x2sim_kernel_fastpath), writes the translation unit next to the
 * kvm.h built into the library, compiles it with the system compiler into
 * a private temporary directory and loads the result as a plugin.  Nothing
 * is written into the tree; the temporary directory is gone on return.
 */
#ifndef X2SIM_SRC_KERNEL_KBUILD_H
#define X2SIM_SRC_KERNEL_KBUILD_H

#include <stdbool.h>
#include <stdio.h>

#include "fastpath/plugin.h"
#include "kernel/kernel.h"

struct x2s_kernel_opts {
	/* A Linux tree (--kernel DIR), or NULL. */
	const char *tree;
	/* A patch to apply to a private copy of the tree first, or NULL. */
	const char *patch;
	/* A file of kernel functions instead (--kernel-source FILE). */
	const char *source;
	/* "X.Y[.Z]": the KVM version of source; for a tree, overrides it. */
	const char *kvm_version;
	/* The compiler; NULL: $X2SIM_CC, then $CC, then "cc". */
	const char *cc;
};

/* What was built, for the reports. */
struct x2s_kernel_fastpath {
	struct x2s_ksrc src;
	struct x2s_kextract x;
	/* X2SIM_KVM_VERSION of the face it was compiled against. */
	unsigned int face;
	/* "6.1", or "mainline" for anything newer than x2sim knows. */
	char face_name[16];
	/* "Linux 6.1.192 (/usr/src/linux-source-6.1)" */
	char label[4200];
	/* "linux-6.1.192": names files made from it. */
	char stem[80];
	/*
	 * Who dispatches exits to it: the tree's own vmx_exit_handlers_fastpath
	 * or x2sim's gate for the version (the file had no dispatcher).
	 */
	char dispatcher[256];
	/* Set by x2s_kernel_build(): the loaded fastpath, valid until exit. */
	struct x2s_plugin plugin;
	const struct x2s_fastpath *fp;
	/* Seconds spent reading and extracting, and compiling and loading. */
	double extract_seconds, build_seconds;
};

/*
 * Read the source the options name, extract the fastpath functions and
 * write the translation unit x2s_kernel_build() would compile to out (if
 * out is not NULL).  Returns 0, or a negative errno with one line in err:
 * -EINVAL bad options or version, or a patch that does not apply; -ENOENT
 * and friends for a missing tree or file; -ENOENT also when no fastpath
 * entry point is found (err names those looked for); -EIO a write error.
 * k is filled either way; release it with x2s_kernel_fastpath_release().
 */
int x2s_kernel_extract_tu(const struct x2s_kernel_opts *o,
			  struct x2s_kernel_fastpath *k, FILE *out, char *err,
			  size_t errlen);

/*
 * The above, then compile and load: k->fp is the fastpath to install.
 * Returns 0 or a negative errno; -ENOEXEC when the code does not compile
 * (err holds the compiler's first error, at the kernel's file:line), or
 * when the compiler cannot be run.
 */
int x2s_kernel_build(const struct x2s_kernel_opts *o,
		     struct x2s_kernel_fastpath *k, char *err, size_t errlen);

/* Free the text; a built fastpath stays loaded and valid. */
void x2s_kernel_fastpath_release(struct x2s_kernel_fastpath *k);

/*
 * The names <x2sim/kvm.h> provides to kernel code (functions and function-
 * like macros), NULL-terminated; built once, never freed.
 */
const char *const *x2s_kernel_provided_names(void);

#endif /* X2SIM_SRC_KERNEL_KBUILD_H */
