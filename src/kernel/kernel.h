/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim kernel module, text side: read a Linux tree (or one file of kernel
 * functions, or a tree with a patch applied to a private copy), find the
 * function definitions, take the fastpath's and the helpers they call, and
 * write them as one translation unit with #line directives pointing back
 * at the kernel's files.  Nothing here compiles anything, and nothing is
 * ever written into the tree.
 */
#ifndef X2SIM_SRC_KERNEL_KERNEL_H
#define X2SIM_SRC_KERNEL_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define X2S_KVERSION(a, b, c) (((a) << 16) + ((b) << 8) + (c))
#define X2S_KSRC_MAX_FILES 8

struct x2s_kfile {
	/* As messages and #line show it: "arch/x86/kvm/x86.c", or a path. */
	char *path;
	/* The contents, NUL-terminated. */
	char *text;
	size_t len;
};

struct x2s_ksrc {
	/* "/usr/src/linux-source-6.1", "... + fix.patch", or "fast.c". */
	char origin[4096];
	/* X2S_KVERSION(); 0 if unknown. */
	unsigned int version;
	/* "6.1.192", with EXTRAVERSION if any. */
	char version_str[64];
	struct x2s_kfile files[X2S_KSRC_MAX_FILES];
	unsigned int nr_files;
};

/*
 * "6.1", "6.1.192", "5.6" -> X2S_KVERSION() in *version; -EINVAL for
 * anything else (major 1..99, minor and sublevel 0..255; a larger
 * sublevel, which stable trees reach, counts as 255).
 */
int x2s_kversion_parse(const char *s, unsigned int *version);

/*
 * The Linux tree at dir: the version from dir/Makefile, then whichever of
 * arch/x86/kvm/x86.c, arch/x86/kvm/msrs.c, arch/x86/kvm/vmx/vmx.c exist
 * (x86.c must).  0, or a negative errno with one line in err.
 */
int x2s_ksrc_open_tree(struct x2s_ksrc *src, const char *dir, char *err,
		       size_t errlen);

/*
 * The same, after applying the patch at patch_path (what `git am` or
 * `patch -p1` take) to a private copy of the files it names and those read
 * here; -EINVAL with the rejected hunk named if it does not apply.
 */
int x2s_ksrc_open_tree_patched(struct x2s_ksrc *src, const char *dir,
			       const char *patch_path, char *err,
			       size_t errlen);

/* One file of kernel functions, of KVM version (X2S_KVERSION()). */
int x2s_ksrc_open_file(struct x2s_ksrc *src, const char *path,
		       unsigned int version, char *err, size_t errlen);

/* Safe on a zeroed or already freed src. */
void x2s_ksrc_free(struct x2s_ksrc *src);

/* A function definition at file scope. */
struct x2s_kfunc {
	char name[128];
	/* Index into src->files. */
	unsigned int file;
	/* First line of the definition (storage class or return type). */
	unsigned int line;
	/* Line of the closing brace. */
	unsigned int end_line;
	/* [start, end): from the start of that line through the '}'. */
	size_t start, end;
	/* The opening '{'. */
	size_t body;
	bool is_static;
	/* 0 for "(void)" and "()". */
	int nr_params;
	/* The EXPORT_SYMBOL*(name); right after it, or both 0. */
	size_t export_start, export_end;
};

/* Every file-scope function definition of every file, in file order. */
int x2s_kindex_build(const struct x2s_ksrc *src, struct x2s_kfunc **funcs,
		     unsigned int *nr, char *err, size_t errlen);

/* The definition called name (the first, if #ifdef-ed twice), or NULL. */
const struct x2s_kfunc *x2s_kindex_find(const struct x2s_kfunc *funcs,
					unsigned int nr, const char *name);

struct x2s_kextract {
	/* The functions taken, in file order. */
	struct x2s_kfunc *funcs;
	unsigned int nr;
};

/*
 * Take the roots (NULL-terminated, each must be defined: -ENOENT names
 * them and the files searched) and, transitively, every function they call
 * that src defines and that is static or has "fastpath" in its name,
 * unless provided (NULL-terminated, may be NULL) names it.  Roots are
 * taken whatever provided says.
 */
int x2s_kernel_extract(const struct x2s_ksrc *src, const char *const *roots,
		       const char *const *provided, struct x2s_kextract *out,
		       char *err, size_t errlen);
void x2s_kextract_free(struct x2s_kextract *x);

/*
 * The taken functions as C: a forward declaration of each, then each
 * verbatim with its EXPORT_SYMBOL*() line, every piece behind a #line
 * directive naming its file and line.  0, or -EIO if writing failed.
 */
int x2s_kextract_emit(const struct x2s_ksrc *src, const struct x2s_kextract *x,
		      FILE *f);

#endif /* X2SIM_SRC_KERNEL_KERNEL_H */
