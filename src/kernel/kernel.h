/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim kernel module, text side: read a Linux tree (or one file of kernel
 * functions, or a tree with a patch applied to a private copy), find the
 * function definitions, take the fastpath's and the helpers they call, and
 * write them as one translation unit with #line directives pointing back
 * at the kernel's files.  Nothing here compiles anything, and nothing is
 * ever written into the tree.
 *
 * Errors are a negative errno with one line (no newline, at most errlen
 * bytes with its NUL) in err.
 */
#ifndef X2SIM_SRC_KERNEL_KERNEL_H
#define X2SIM_SRC_KERNEL_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define X2S_KVERSION(a, b, c) (((a) << 16) + ((b) << 8) + (c))
#define X2S_KSRC_MAX_FILES 8

/* Files larger than this are not kernel source. */
#define X2S_KSRC_MAX_FILE_SIZE (16u << 20)

struct x2s_kfile {
	/*
	 * As messages and #line show it: relative to the tree
	 * ("arch/x86/kvm/x86.c"), or the path given for a single file.
	 */
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
	/* "6.1.192", with EXTRAVERSION if any ("6.12.0-rc3"). */
	char version_str[64];
	struct x2s_kfile files[X2S_KSRC_MAX_FILES];
	unsigned int nr_files;
};

/*
 * "6.1", "6.1.192", "5.6", "6.18" -> X2S_KVERSION() in *version; -EINVAL
 * for anything else (major 1..99, minor 0..255, sublevel 0..999999).
 * x2sim: a sublevel past 255, which long-lived stable trees reach, counts
 * as 255, as the kernel's own LINUX_VERSION_CODE clamps it.
 */
int x2s_kversion_parse(const char *s, unsigned int *version);

/*
 * The Linux tree at dir: the version from dir/Makefile (VERSION,
 * PATCHLEVEL, SUBLEVEL, EXTRAVERSION assigned at a line start), then
 * whichever of arch/x86/kvm/x86.c, arch/x86/kvm/msrs.c and
 * arch/x86/kvm/vmx/vmx.c exist, in that order (x86.c must).  Refused: no
 * such directory, no Makefile or no VERSION and PATCHLEVEL in it ("DIR is
 * not a Linux source tree: ..."), no x86.c ("DIR has no
 * arch/x86/kvm/x86.c: ..."), an unreadable file, a file over 16 MiB.
 * Nothing is written into dir.  src is zeroed first and freed on error.
 */
int x2s_ksrc_open_tree(struct x2s_ksrc *src, const char *dir, char *err,
		       size_t errlen);

/*
 * The same, after applying the patch at patch_path (what `git am` or
 * `patch -p1` take: a mail or a plain unified diff) with GNU patch to a
 * private copy of the files read above and of those the patch names, in a
 * temporary directory under $TMPDIR (or /tmp) that is removed before
 * returning.  origin becomes "DIR + PATCH".  -EINVAL when the patch names
 * a path that is absolute or has "..", holds no diff ("PATCH is not a
 * patch (no diff in it)"), or does not apply ("PATCH does not apply to
 * DIR: hunk #2 of arch/x86/kvm/x86.c (at line 2162) is rejected").
 */
int x2s_ksrc_open_tree_patched(struct x2s_ksrc *src, const char *dir,
			       const char *patch_path, char *err,
			       size_t errlen);

/*
 * One file of kernel functions (verify --kernel-source FILE), of KVM
 * version (X2S_KVERSION(), 0 if unknown).
 */
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
	/* 0 for "(void)" and "()", else the top-level commas plus one. */
	int nr_params;
	/*
	 * The EXPORT_SYMBOL*(name); statement right after it (only blanks
	 * and comments between), or both 0.
	 */
	size_t export_start, export_end;
	/* The parameter list's '(' and ')'. */
	size_t params, params_end;
};

/*
 * Every file-scope function definition of every file (not prototypes,
 * macros or declarations), in file order; both copies of a function
 * defined in #if and #else.  *funcs is for free().
 */
int x2s_kindex_build(const struct x2s_ksrc *src, struct x2s_kfunc **funcs,
		     unsigned int *nr, char *err, size_t errlen);

/* The definition called name (the first, if #ifdef-ed twice), or NULL. */
const struct x2s_kfunc *x2s_kindex_find(const struct x2s_kfunc *funcs,
					unsigned int nr, const char *name);

struct x2s_kextract {
	/* The functions taken, in file order, then position in the file. */
	struct x2s_kfunc *funcs;
	unsigned int nr;
};

/*
 * Take the roots (NULL-terminated; each must be defined, else -ENOENT
 * naming the roots missing, all the roots and the files searched) and,
 * transitively, every function they call that src defines and that is
 * static or has "fastpath" in its name, unless provided (NULL-terminated,
 * may be NULL) names it: what the compile-time header already provides.
 * Roots are taken whatever provided says.  A call is an identifier
 * followed (after blanks and comments) by '(' in a body, outside comments
 * and literals.  out is for x2s_kextract_free().
 */
int x2s_kernel_extract(const struct x2s_ksrc *src, const char *const *roots,
		       const char *const *provided, struct x2s_kextract *out,
		       char *err, size_t errlen);

/* Safe on a zeroed or already freed x. */
void x2s_kextract_free(struct x2s_kextract *x);

/*
 * The taken functions as C: a forward declaration of each (its header
 * through the parameter list's ')', then ';'), then each verbatim through
 * its EXPORT_SYMBOL*() statement if it has one; every piece behind a
 * `#line LINE "PATH"` naming its first line, so that a compiler's
 * message names the kernel's file and line.  0, or -EIO if writing failed.
 */
int x2s_kextract_emit(const struct x2s_ksrc *src, const struct x2s_kextract *x,
		      FILE *f);

/* ---- internal to src/kernel/ ---- */

/*
 * Read path whole into a NUL-terminated malloc()ed buffer: -errno, -EFBIG
 * past X2S_KSRC_MAX_FILE_SIZE, -EINVAL for anything but a regular file.
 */
int x2s_kread_file(const char *path, char **text, size_t *len);

/*
 * Fill src (zeroed by the caller) from the tree at root, named shown in
 * messages; on error src holds what was read so far.
 */
int x2s_ksrc_load_tree(struct x2s_ksrc *src, const char *root,
		       const char *shown, char *err, size_t errlen);

/* The files x2s_ksrc_load_tree() reads besides the Makefile. */
extern const char *const x2s_ktree_files[];
extern const unsigned int x2s_nr_ktree_files;

#endif /* X2SIM_SRC_KERNEL_KERNEL_H */
