// SPDX-License-Identifier: GPL-2.0-only
/*
 * The text side of verify --kernel (src/kernel/): versions, reading a
 * tree, finding function definitions among kernel C's decoys, the
 * extraction rule, the emitted unit, and patches applied to a private
 * copy that leave the tree as it was.
 *
 * tests/kernel/tree-a/ is a kernel-shaped tree written for these tests;
 * good.patch, bad.patch and reversed.patch are mails and diffs against it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel/kbuild.h"
#include "kernel/kernel.h"

#define KDIR X2S_TEST_KERNEL_DIR
#define TREE_A KDIR "/tree-a"
#define X86_C "arch/x86/kvm/x86.c"
#define VMX_C "arch/x86/kvm/vmx/vmx.c"

/* ---- fixtures ---- */

/*
 * Everything a test allocates, released by teardown even when an
 * assertion fails: a private directory (TMPDIR points into it), a source,
 * an index, an extraction and an emitted unit.
 */
struct kt {
	char dir[64];
	char tmpdir[80];
	struct x2s_ksrc src;
	struct x2s_kfunc *index;
	unsigned int nr;
	struct x2s_kextract x;
	char *unit;
	size_t unit_len;
	char *snap_before, *snap_after;
	char err[512];
};

static int setup(void **state)
{
	struct kt *kt = calloc(1, sizeof(*kt));

	if (!kt)
		return -1;
	snprintf(kt->dir, sizeof(kt->dir), "/tmp/x2sim-test-kernel.XXXXXX");
	if (!mkdtemp(kt->dir)) {
		free(kt);
		return -1;
	}
	snprintf(kt->tmpdir, sizeof(kt->tmpdir), "%s/tmp", kt->dir);
	if (mkdir(kt->tmpdir, 0700) || setenv("TMPDIR", kt->tmpdir, 1)) {
		rmdir(kt->dir);
		free(kt);
		return -1;
	}
	*state = kt;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct kt *kt = *state;

	x2s_kextract_free(&kt->x);
	x2s_ksrc_free(&kt->src);
	free(kt->index);
	free(kt->unit);
	free(kt->snap_before);
	free(kt->snap_after);
	unsetenv("TMPDIR");
	nftw(kt->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(kt);
	return 0;
}

/* ---- helpers ---- */

/* A scratch path under the test's private directory. */
static const char *scratch(struct kt *kt, const char *rel)
{
	static char path[4][512];
	static unsigned int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", kt->dir, rel);
	return p;
}

/* Write text to path, making its directories. */
static void put_file(const char *path, const char *text)
{
	char dir[512];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *c = strchr(dir + 1, '/'); c; c = strchr(c + 1, '/')) {
		*c = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			fail_msg("mkdir %s: %s", dir, strerror(errno));
		*c = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	/* The files here hold no NUL: one getdelim() reads them whole. */
	if (getdelim(&text, &len, '\0', f) < 0) {
		free(text);
		text = strdup("");
	}
	fclose(f);
	assert_non_null(text);
	return text;
}

static unsigned int count_entries(const char *dir)
{
	unsigned int n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* Every file and directory of a tree: name, mode, size, mtime, contents. */
static char *snap_buf;
static size_t snap_len;
static FILE *snap_out;

static int snap_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)ftw;
	fprintf(snap_out, "%s %o %lld %lld.%09ld\n", path, st->st_mode,
		(long long)st->st_size, (long long)st->st_mtim.tv_sec,
		st->st_mtim.tv_nsec);
	if (type == FTW_F) {
		char *text = slurp(path);

		fputs(text, snap_out);
		free(text);
	}
	return 0;
}

static char *snapshot(const char *dir)
{
	snap_out = open_memstream(&snap_buf, &snap_len);
	assert_non_null(snap_out);
	assert_int_equal(nftw(dir, snap_one, 16, FTW_PHYS), 0);
	fclose(snap_out);
	return snap_buf;
}

/* The error is one line that contains want. */
static void assert_err(const char *err, const char *want)
{
	if (!strstr(err, want) || strchr(err, '\n'))
		fail_msg("error \"%s\", want one line with \"%s\"", err, want);
}

static const struct x2s_kfunc *taken_fn(const struct x2s_kextract *x,
					const char *name)
{
	for (unsigned int i = 0; i < x->nr; i++)
		if (!strcmp(x->funcs[i].name, name))
			return &x->funcs[i];
	return NULL;
}

/* The unit x2s_kextract_emit() writes for kt's extraction. */
static void emit(struct kt *kt)
{
	FILE *f = open_memstream(&kt->unit, &kt->unit_len);

	assert_non_null(f);
	assert_int_equal(x2s_kextract_emit(&kt->src, &kt->x, f), 0);
	assert_int_equal(fclose(f), 0);
}

/* Make src one file of text, shown as path. */
static void src_from_text(struct x2s_ksrc *src, const char *path,
			  const char *text)
{
	memset(src, 0, sizeof(*src));
	snprintf(src->origin, sizeof(src->origin), "test");
	src->files[0].path = strdup(path);
	src->files[0].text = strdup(text);
	src->files[0].len = strlen(text);
	src->nr_files = 1;
	assert_non_null(src->files[0].path);
	assert_non_null(src->files[0].text);
}

/* ---- versions ---- */

static void test_version_parses_x_y_and_x_y_z(void **state)
{
	static const struct {
		const char *s;
		int ret;
		unsigned int v;
	} cases[] = {
		{ "6.1", 0, X2S_KVERSION(6, 1, 0) },
		{ "6.1.192", 0, X2S_KVERSION(6, 1, 192) },
		{ "5.6", 0, X2S_KVERSION(5, 6, 0) },
		{ "6.18", 0, X2S_KVERSION(6, 18, 0) },
		{ "1.0.0", 0, X2S_KVERSION(1, 0, 0) },
		{ "99.255.255", 0, X2S_KVERSION(99, 255, 255) },
		/* x2sim: long-lived stable sublevels clamp, as Linux's do. */
		{ "5.4.300", 0, X2S_KVERSION(5, 4, 255) },
		{ "", -EINVAL, 0 },
		{ "6", -EINVAL, 0 },
		{ "6.", -EINVAL, 0 },
		{ ".1", -EINVAL, 0 },
		{ "6.x", -EINVAL, 0 },
		{ "6.1.", -EINVAL, 0 },
		{ "6.1.2.3", -EINVAL, 0 },
		{ "6.1-rc3", -EINVAL, 0 },
		{ "0.1", -EINVAL, 0 },
		{ "100.1", -EINVAL, 0 },
		{ "6.256", -EINVAL, 0 },
		{ "6.1000", -EINVAL, 0 },
		{ "6.1.1234567", -EINVAL, 0 },
		{ " 6.1", -EINVAL, 0 },
		{ "6.1 ", -EINVAL, 0 },
		{ "+6.1", -EINVAL, 0 },
		{ "6.-1", -EINVAL, 0 },
	};
	unsigned int v;

	(void)state;
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		v = 0xdead;
		r = x2s_kversion_parse(cases[i].s, &v);
		if (r != cases[i].ret || (!r && v != cases[i].v))
			fail_msg("\"%s\": %d 0x%x, want %d 0x%x", cases[i].s, r,
				 v, cases[i].ret, cases[i].v);
		if (r)
			assert_int_equal(v, 0xdead);
	}
	assert_int_equal(x2s_kversion_parse(NULL, &v), -EINVAL);
}

/* ---- trees ---- */

static void test_tree_reads_makefile_version_and_kvm_files(void **state)
{
	struct kt *kt = *state;
	char *x86, *vmx;

	assert_int_equal(
		x2s_ksrc_open_tree(&kt->src, TREE_A, kt->err, sizeof(kt->err)),
		0);
	assert_string_equal(kt->src.origin, TREE_A);
	/* Past the decoys (VERSION_TAG_FILE, an indented VERSION = 7). */
	assert_int_equal(kt->src.version, X2S_KVERSION(6, 1, 192));
	assert_string_equal(kt->src.version_str, "6.1.192");
	/* tree-a has no msrs.c. */
	assert_int_equal(kt->src.nr_files, 2);
	assert_string_equal(kt->src.files[0].path, X86_C);
	assert_string_equal(kt->src.files[1].path, VMX_C);
	x86 = slurp(TREE_A "/" X86_C);
	vmx = slurp(TREE_A "/" VMX_C);
	assert_string_equal(kt->src.files[0].text, x86);
	assert_int_equal(kt->src.files[0].len, strlen(x86));
	assert_string_equal(kt->src.files[1].text, vmx);
	free(x86);
	free(vmx);
	/* Freeing twice is safe. */
	x2s_ksrc_free(&kt->src);
	x2s_ksrc_free(&kt->src);
}

static void test_tree_extraversion_and_file_order(void **state)
{
	struct kt *kt = *state;

	put_file(scratch(kt, "rc/Makefile"),
		 "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\n"
		 "EXTRAVERSION = -rc3 # a comment\n");
	put_file(scratch(kt, "rc/" VMX_C), "int v;\n");
	put_file(scratch(kt, "rc/arch/x86/kvm/msrs.c"), "int m;\n");
	put_file(scratch(kt, "rc/" X86_C), "int x;\n");
	assert_int_equal(x2s_ksrc_open_tree(&kt->src, scratch(kt, "rc"),
					    kt->err, sizeof(kt->err)),
			 0);
	assert_int_equal(kt->src.version, X2S_KVERSION(6, 12, 0));
	assert_string_equal(kt->src.version_str, "6.12.0-rc3");
	assert_int_equal(kt->src.nr_files, 3);
	assert_string_equal(kt->src.files[0].path, X86_C);
	assert_string_equal(kt->src.files[1].path, "arch/x86/kvm/msrs.c");
	assert_string_equal(kt->src.files[2].path, VMX_C);
	assert_string_equal(kt->src.files[1].text, "int m;\n");
}

static void expect_tree_error(struct kt *kt, const char *dir, int ret,
			      const char *msg)
{
	int r = x2s_ksrc_open_tree(&kt->src, dir, kt->err, sizeof(kt->err));

	if (r != ret)
		fail_msg("%s: got %d \"%s\", want %d", dir, r, kt->err, ret);
	assert_err(kt->err, msg);
	/* Nothing is kept of a tree that failed. */
	assert_int_equal(kt->src.nr_files, 0);
	assert_null(kt->src.files[0].text);
}

static void test_tree_errors_say_why(void **state)
{
	struct kt *kt = *state;
	char msg[600];
	int fd;

	expect_tree_error(kt, scratch(kt, "missing"), -ENOENT,
			  "missing is not a Linux source tree: No such file");
	put_file(scratch(kt, "plain"), "not a directory\n");
	expect_tree_error(kt, scratch(kt, "plain"), -ENOTDIR,
			  "plain is not a Linux source tree: not a directory");
	assert_int_equal(mkdir(scratch(kt, "empty"), 0700), 0);
	expect_tree_error(kt, scratch(kt, "empty"), -ENOENT,
			  "empty is not a Linux source tree: Makefile");
	put_file(scratch(kt, "nover/Makefile"),
		 "# VERSION = 6\nVERSIONS = 6\n  PATCHLEVEL = 1\nall:\n");
	expect_tree_error(kt, scratch(kt, "nover"), -EINVAL,
			  "nover is not a Linux source tree: its Makefile "
			  "sets no VERSION and PATCHLEVEL");
	put_file(scratch(kt, "badver/Makefile"),
		 "VERSION = six\nPATCHLEVEL = 1\n");
	expect_tree_error(kt, scratch(kt, "badver"), -EINVAL,
			  "version 'six.1.0' is not X.Y.Z");

	put_file(scratch(kt, "nokvm/Makefile"),
		 "VERSION = 6\nPATCHLEVEL = 1\n");
	snprintf(msg, sizeof(msg), "%s has no " X86_C ": ",
		 scratch(kt, "nokvm"));
	expect_tree_error(kt, scratch(kt, "nokvm"), -ENOENT, msg);

	/* An x86.c that cannot be read as a file. */
	put_file(scratch(kt, "dirx86/Makefile"),
		 "VERSION = 6\nPATCHLEVEL = 1\n");
	put_file(scratch(kt, "dirx86/" X86_C "/inside"), "\n");
	expect_tree_error(kt, scratch(kt, "dirx86"), -EISDIR,
			  X86_C ": cannot read it: Is a directory");

	/* Kernel source is never 16 MiB a file (this one is sparse). */
	put_file(scratch(kt, "big/Makefile"), "VERSION = 6\nPATCHLEVEL = 1\n");
	put_file(scratch(kt, "big/" X86_C), "");
	fd = open(scratch(kt, "big/" X86_C), O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)X2S_KSRC_MAX_FILE_SIZE + 1), 0);
	close(fd);
	expect_tree_error(kt, scratch(kt, "big"), -EFBIG,
			  X86_C ": over 16 MiB");

	/* Never longer than errlen. */
	assert_int_equal(x2s_ksrc_open_tree(&kt->src, scratch(kt, "missing"),
					    kt->err, 12),
			 -ENOENT);
	assert_int_equal(strlen(kt->err), 11);
}

/* ---- the index ---- */

/* A file of kernel-shaped C with everything that is not a definition. */
static const char decoys[] =
	"// SPDX-License-Identifier: GPL-2.0-only\n"		     /* 1 */
	"#include <linux/kvm_host.h>\n"				     /* 2 */
	"#define DECOY(x) static int x(void) { return 0; }\n"	     /* 3 */
	"#define LONG_DECOY(x)	\\\n"				     /* 4 */
	"	int x(void)		\\\n"			     /* 5 */
	"	{ return 1; }\n"				     /* 6 */
	"static const char *s = \"int f(void) { }\";\n"		     /* 7 */
	"static char c = '{';\n"				     /* 8 */
	"/* int g(void) { return 0; } */\n"			     /* 9 */
	"struct ops { int (*fn)(int); };\n"			     /* 10 */
	"static struct ops o = { .fn = NULL };\n"		     /* 11 */
	"static int (*fp)(int) = NULL;\n"			     /* 12 */
	"enum { A = (1 << 2), B };\n"				     /* 13 */
	"int proto(struct kvm_vcpu *vcpu);\n"			     /* 14 */
	"static DEFINE_PER_CPU(int, counter);\n"		     /* 15 */
	"\n"							     /* 16 */
	"/* The helper, doc comment not taken. */\n"		     /* 17 */
	"static int helper(struct kvm_vcpu *vcpu, u64 data,\n"	     /* 18 */
	"		  int reg)\n"				     /* 19 */
	"{\n"							     /* 20 */
	"	const char *t = \"}\";\n"			     /* 21 */
	"	return deeper(vcpu) + '}';\n"			     /* 22 */
	"}\n"							     /* 23 */
	"\n"							     /* 24 */
	"#ifdef CONFIG_X\n"					     /* 25 */
	"static int deeper(struct kvm_vcpu *vcpu)\n"		     /* 26 */
	"{\n"							     /* 27 */
	"	return 1;\n"					     /* 28 */
	"}\n"							     /* 29 */
	"#else\n"						     /* 30 */
	"static int deeper(struct kvm_vcpu *vcpu)\n"		     /* 31 */
	"{\n"							     /* 32 */
	"	return 2;\n"					     /* 33 */
	"}\n"							     /* 34 */
	"#endif\n"						     /* 35 */
	"\n"							     /* 36 */
	"fastpath_t handle_fastpath_x(struct kvm_vcpu *vcpu)\n"	     /* 37 */
	"{\n"							     /* 38 */
	"	if (helper(vcpu, 0, 1))\n"			     /* 39 */
	"		return not_taken(vcpu);\n"		     /* 40 */
	"	return provided_one(vcpu) + other_fastpath(vcpu);\n" /* 41 */
	"}\n"							     /* 42 */
	"/* between */\n"					     /* 43 */
	"EXPORT_SYMBOL_GPL(handle_fastpath_x);\n"		     /* 44 */
	"\n"							     /* 45 */
	"int not_taken(struct kvm_vcpu *vcpu)\n"		     /* 46 */
	"{\n"							     /* 47 */
	"	return 0;\n"					     /* 48 */
	"}\n"							     /* 49 */
	"\n"							     /* 50 */
	"static int provided_one(struct kvm_vcpu *vcpu) { return 0; }\n" /* 51 */
	"int other_fastpath(void)\n"			       /* 52 */
	"{\n"						       /* 53 */
	"	return 0;\n"				       /* 54 */
	"}\n"						       /* 55 */
	"static __attribute__((unused)) void attr(void) { }\n" /* 56 */
	"DECLARE_SOMETHING(x)\n"			       /* 57 */
	"#if 1\n"					       /* 58 */
	"static void after_directive(int a) // note\n"	       /* 59 */
	"{\n"						       /* 60 */
	"}\n"						       /* 61 */
	"static __printf(2, 3) void logf(void *p, const char *f, ...)\n" /* 62 */
	"{\n"							/* 63 */
	"}\n"							/* 64 */
	"__acquires(&kvm->lock) void locked(struct kvm *kvm)\n" /* 65 */
	"{\n"							/* 66 */
	"}\n";							/* 67 */

static void test_index_finds_only_definitions(void **state)
{
	static const struct {
		const char *name;
		unsigned int line, end_line;
		bool is_static;
		int nr_params;
	} want[] = {
		{ "helper", 18, 23, true, 3 },
		{ "deeper", 26, 29, true, 1 },
		{ "deeper", 31, 34, true, 1 },
		{ "handle_fastpath_x", 37, 42, false, 1 },
		{ "not_taken", 46, 49, false, 1 },
		{ "provided_one", 51, 51, true, 1 },
		{ "other_fastpath", 52, 55, false, 0 },
		{ "attr", 56, 56, true, 0 },
		/* A directive ends what came before (a macro without ';'). */
		{ "after_directive", 59, 61, true, 1 },
		/* Annotations with arguments are not the name. */
		{ "logf", 62, 64, true, 3 },
		{ "locked", 65, 67, false, 1 },
	};
	struct kt *kt = *state;
	const struct x2s_kfunc *f;

	src_from_text(&kt->src, X86_C, decoys);
	assert_int_equal(x2s_kindex_build(&kt->src, &kt->index, &kt->nr,
					  kt->err, sizeof(kt->err)),
			 0);
	f = kt->index;
	for (unsigned int i = 0; i < kt->nr && i < sizeof(want) / sizeof(*want);
	     i++) {
		if (strcmp(f[i].name, want[i].name) ||
		    f[i].line != want[i].line ||
		    f[i].end_line != want[i].end_line ||
		    f[i].is_static != want[i].is_static ||
		    f[i].nr_params != want[i].nr_params)
			fail_msg("#%u: %s %u-%u static %d params %d, want %s "
				 "%u-%u %d %d",
				 i, f[i].name, f[i].line, f[i].end_line,
				 f[i].is_static, f[i].nr_params, want[i].name,
				 want[i].line, want[i].end_line,
				 want[i].is_static, want[i].nr_params);
	}
	assert_int_equal(kt->nr, sizeof(want) / sizeof(want[0]));
	/* The export, with the comment between, belongs to its function. */
	assert_memory_equal(decoys + f[3].export_start,
			    "EXPORT_SYMBOL_GPL(handle_fastpath_x);", 37);
	assert_int_equal(f[3].export_end - f[3].export_start, 37);
	assert_int_equal(f[0].export_start, 0);
	assert_int_equal(f[0].export_end, 0);
	/* The first of two #ifdef-ed definitions wins. */
	assert_ptr_equal(x2s_kindex_find(f, kt->nr, "deeper"), &f[1]);
	assert_null(x2s_kindex_find(f, kt->nr, "proto"));
	assert_null(x2s_kindex_find(f, kt->nr, "DECOY"));
	assert_null(x2s_kindex_find(f, kt->nr, "DECLARE_SOMETHING"));
	assert_null(x2s_kindex_find(f, kt->nr, "__printf"));
}

/* What tree-a's two files define, in order (checked by hand). */
static const struct want_fn {
	const char *name;
	unsigned int file, line, end_line;
	bool is_static;
	int nr_params;
	const char *first_line, *export;
} tree_a_fns[] = {
	{ "decoy_unused", 0, 58, 60, true, 0, "static void decoy_unused()",
	  NULL },
	{ "kvm_skip_emulated_instruction", 0, 63, 69, false, 1,
	  "int kvm_skip_emulated_instruction(",
	  "EXPORT_SYMBOL_GPL(kvm_skip_emulated_instruction);" },
	{ "kvm_vcpu_exit_request", 0, 73, 76, true, 1,
	  "static inline bool kvm_vcpu_exit_request(", NULL },
	{ "x2sim_a_is_icr", 0, 78, 81, true, 1,
	  "static __always_inline bool x2sim_a_is_icr(u32 msr) //", NULL },
	{ "handle_fastpath_set_x2apic_icr_irqoff", 0, 84, 92, true, 2,
	  "static int handle_fastpath_set_x2apic_icr_irqoff(", NULL },
	{ "handle_fastpath_set_tscdeadline", 0, 95, 101, true, 2,
	  "static int handle_fastpath_set_tscdeadline(", NULL },
	{ "handle_fastpath_set_tscdeadline", 0, 103, 106, true, 2,
	  "static int handle_fastpath_set_tscdeadline(", NULL },
	{ "handle_fastpath_set_msr_irqoff", 0, 110, 130, false, 1,
	  "fastpath_t handle_fastpath_set_msr_irqoff(",
	  "EXPORT_SYMBOL_GPL(handle_fastpath_set_msr_irqoff);" },
	{ "kvm_vcpu_running", 0, 133, 136, true, 1,
	  "static bool kvm_vcpu_running(", NULL },
	{ "handle_fastpath_hlt", 0, 139, 150, false, 1,
	  "fastpath_t __attribute__((warn_unused_result))\n"
	  "handle_fastpath_hlt(",
	  "EXPORT_SYMBOL_FOR_KVM_INTERNAL(handle_fastpath_hlt);" },
	{ "x2sim_a_noinstr", 0, 153, 155, true, 0, "static noinstr void",
	  NULL },
	{ "x2sim_a_init", 0, 157, 160, true, 0, "static int __init", NULL },
	{ "x2sim_a_log", 0, 163, 166, true, 3, "static __printf(2, 3) void",
	  NULL },
	{ "x2sim_a_callback", 0, 168, 171, false, 2,
	  "int x2sim_a_callback(int a, int (*cb)(int, int)) /* ) { */", NULL },
	{ "to_vmx", 1, 11, 14, true, 1, "static inline struct vcpu_vmx", NULL },
	{ "handle_fastpath_preemption_timer", 1, 16, 25, true, 1,
	  "static fastpath_t handle_fastpath_preemption_timer(", NULL },
	{ "vmx_exit_handlers_fastpath", 1, 27, 39, true, 1,
	  "static fastpath_t vmx_exit_handlers_fastpath(", NULL },
	{ "vmx_vcpu_run", 1, 42, 45, true, 1, "static fastpath_t vmx_vcpu_run(",
	  NULL },
};

#define NR_TREE_A_FNS (sizeof(tree_a_fns) / sizeof(tree_a_fns[0]))

/* The line of off in text, counted independently of the indexer. */
static unsigned int line_at(const char *text, size_t off)
{
	unsigned int line = 1;

	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

static void check_fn(const struct x2s_ksrc *src, const struct x2s_kfunc *f,
		     const struct want_fn *w)
{
	const char *t = src->files[f->file].text;

	if (strcmp(f->name, w->name) || f->file != w->file ||
	    f->line != w->line || f->end_line != w->end_line ||
	    f->is_static != w->is_static || f->nr_params != w->nr_params)
		fail_msg("%s (file %u) %u-%u static %d params %d, want %s (%u) "
			 "%u-%u %d %d",
			 f->name, f->file, f->line, f->end_line, f->is_static,
			 f->nr_params, w->name, w->file, w->line, w->end_line,
			 w->is_static, w->nr_params);
	/* The byte range: its first line's start through the '}'. */
	assert_true(f->start == 0 || t[f->start - 1] == '\n');
	assert_int_equal(line_at(t, f->start), w->line);
	assert_memory_equal(t + f->start, w->first_line, strlen(w->first_line));
	assert_int_equal(t[f->body], '{');
	assert_int_equal(t[f->end - 1], '}');
	assert_int_equal(line_at(t, f->end - 1), w->end_line);
	assert_int_equal(t[f->params], '(');
	assert_int_equal(t[f->params_end], ')');
	assert_memory_equal(t + f->params - strlen(w->name), w->name,
			    strlen(w->name));
	if (w->export) {
		assert_int_equal(f->export_end - f->export_start,
				 strlen(w->export));
		assert_memory_equal(t + f->export_start, w->export,
				    strlen(w->export));
		assert_int_equal(f->export_start, f->end + 1);
	} else {
		assert_int_equal(f->export_start, 0);
		assert_int_equal(f->export_end, 0);
	}
}

static void test_index_tree_a(void **state)
{
	static const char *const not_defs[] = {
		"DEFINE_DECOY_HANDLER",
		"in_a_string",
		"in_a_comment",
		"in_a_line_comment",
		"decoy_ops",
		"x2sim_a_ops",
		"DEFINE_PER_CPU",
		"module_param",
		"module_init",
		"EXPORT_SYMBOL_GPL",
		"__attribute__",
		"__printf",
		"set_msr",
		"container_of",
		NULL,
	};
	struct kt *kt = *state;
	const struct x2s_kfunc *f;

	assert_int_equal(
		x2s_ksrc_open_tree(&kt->src, TREE_A, kt->err, sizeof(kt->err)),
		0);
	assert_int_equal(x2s_kindex_build(&kt->src, &kt->index, &kt->nr,
					  kt->err, sizeof(kt->err)),
			 0);
	for (unsigned int i = 0; i < kt->nr && i < NR_TREE_A_FNS; i++)
		check_fn(&kt->src, &kt->index[i], &tree_a_fns[i]);
	assert_int_equal(kt->nr, NR_TREE_A_FNS);
	for (unsigned int i = 0; not_defs[i]; i++)
		if (x2s_kindex_find(kt->index, kt->nr, not_defs[i]))
			fail_msg("%s is not a definition", not_defs[i]);
	/* #ifdef CONFIG_X86_64's copy comes first and wins. */
	f = x2s_kindex_find(kt->index, kt->nr,
			    "handle_fastpath_set_tscdeadline");
	assert_non_null(f);
	assert_int_equal(f->line, 95);
	f = x2s_kindex_find(kt->index, kt->nr, "vmx_exit_handlers_fastpath");
	assert_non_null(f);
	assert_int_equal(f->file, 1);
}

/* ---- extraction ---- */

static const char *const tree_a_root[] = { "vmx_exit_handlers_fastpath", NULL };

static void expect_taken(const struct kt *kt, const char *const *names)
{
	unsigned int n = 0;

	for (; names[n]; n++) {
		if (n >= kt->x.nr || strcmp(kt->x.funcs[n].name, names[n]))
			fail_msg("taken #%u: %s, want %s", n,
				 n < kt->x.nr ? kt->x.funcs[n].name : "none",
				 names[n]);
	}
	if (kt->x.nr != n)
		fail_msg("%u taken, want %u (then %s)", kt->x.nr, n,
			 kt->x.funcs[n].name);
}

static void test_extract_takes_the_closure(void **state)
{
	/* The dispatcher itself is provided: a root is taken anyway. */
	static const char *const provided[] = { "kvm_vcpu_exit_request",
						"to_vmx",
						"vmx_exit_handlers_fastpath",
						NULL };
	/* File order, then position: x86.c's, then vmx.c's. */
	static const char *const want[] = {
		"x2sim_a_is_icr",
		"handle_fastpath_set_x2apic_icr_irqoff",
		"handle_fastpath_set_tscdeadline",
		"handle_fastpath_set_msr_irqoff",
		"kvm_vcpu_running",
		"handle_fastpath_hlt",
		"handle_fastpath_preemption_timer",
		"vmx_exit_handlers_fastpath",
		NULL,
	};
	struct kt *kt = *state;

	assert_int_equal(
		x2s_ksrc_open_tree(&kt->src, TREE_A, kt->err, sizeof(kt->err)),
		0);
	assert_int_equal(x2s_kernel_extract(&kt->src, tree_a_root, provided,
					    &kt->x, kt->err, sizeof(kt->err)),
			 0);
	expect_taken(kt, want);
	/*
	 * Not taken: kvm_skip_emulated_instruction (called, exported, not
	 * fastpath), kvm_vcpu_exit_request and to_vmx (static, called,
	 * provided), vmx_vcpu_run and decoy_unused (static, not called).
	 */
	/* Of the two #ifdef-ed copies, the first. */
	assert_int_equal(
		taken_fn(&kt->x, "handle_fastpath_set_tscdeadline")->line, 95);
}

static void test_extract_provided_cuts_what_only_it_reaches(void **state)
{
	static const char *const provided[] = {
		"handle_fastpath_hlt", "handle_fastpath_set_msr_irqoff",
		"to_vmx", NULL
	};
	static const char *const want[] = {
		"handle_fastpath_preemption_timer",
		"vmx_exit_handlers_fastpath",
		NULL,
	};
	struct kt *kt = *state;

	assert_int_equal(
		x2s_ksrc_open_tree(&kt->src, TREE_A, kt->err, sizeof(kt->err)),
		0);
	assert_int_equal(x2s_kernel_extract(&kt->src, tree_a_root, provided,
					    &kt->x, kt->err, sizeof(kt->err)),
			 0);
	expect_taken(kt, want);
	x2s_kextract_free(&kt->x);
	x2s_kextract_free(&kt->x);

	/* Without provided, every static callee is the tree's. */
	assert_int_equal(x2s_kernel_extract(&kt->src, tree_a_root, NULL, &kt->x,
					    kt->err, sizeof(kt->err)),
			 0);
	assert_int_equal(kt->x.nr, 10);
	assert_non_null(taken_fn(&kt->x, "to_vmx"));
	assert_non_null(taken_fn(&kt->x, "kvm_vcpu_exit_request"));
	assert_null(taken_fn(&kt->x, "kvm_skip_emulated_instruction"));
}

static void test_extract_missing_root_names_roots_and_files(void **state)
{
	static const char *const roots[] = { "vmx_exit_handlers_fastpath",
					     "handle_fastpath_invd",
					     "handle_fastpath_wrmsr", NULL };
	struct kt *kt = *state;

	assert_int_equal(
		x2s_ksrc_open_tree(&kt->src, TREE_A, kt->err, sizeof(kt->err)),
		0);
	assert_int_equal(x2s_kernel_extract(&kt->src, roots, NULL, &kt->x,
					    kt->err, sizeof(kt->err)),
			 -ENOENT);
	assert_err(kt->err, "no definition of handle_fastpath_invd, "
			    "handle_fastpath_wrmsr in " X86_C ", " VMX_C);
	assert_err(kt->err, "looked for vmx_exit_handlers_fastpath, "
			    "handle_fastpath_invd, handle_fastpath_wrmsr");
	assert_err(kt->err, TREE_A);
	assert_int_equal(kt->x.nr, 0);
	assert_null(kt->x.funcs);
}

static void test_extract_inline_decoys(void **state)
{
	static const char *const roots[] = { "handle_fastpath_x", NULL };
	static const char *const provided[] = { "provided_one",
						"handle_fastpath_x", NULL };
	static const char *const want[] = { "helper", "deeper",
					    "handle_fastpath_x",
					    "other_fastpath", NULL };
	struct kt *kt = *state;

	src_from_text(&kt->src, X86_C, decoys);
	assert_int_equal(x2s_kernel_extract(&kt->src, roots, provided, &kt->x,
					    kt->err, sizeof(kt->err)),
			 0);
	expect_taken(kt, want);
	assert_int_equal(taken_fn(&kt->x, "deeper")->line, 26);
}

/* ---- emission ---- */

/* Where needle is in the unit, which must have it once. */
static size_t unit_find(const struct kt *kt, const char *needle, size_t len)
{
	const char *p = memmem(kt->unit, kt->unit_len, needle, len);

	if (!p)
		fail_msg("the unit lacks \"%.*s\"", (int)len, needle);
	if (memmem(p + 1, kt->unit_len - (size_t)(p + 1 - kt->unit), needle,
		   len))
		fail_msg("the unit has \"%.*s\" twice", (int)len, needle);
	return (size_t)(p - kt->unit);
}

static void test_emit_declares_then_defines_verbatim(void **state)
{
	static const char *const provided[] = { "kvm_vcpu_exit_request",
						"to_vmx", NULL };
	struct kt *kt = *state;
	size_t last_decl = 0, first_def = (size_t)-1, prev_def = 0;
	char piece[4096];

	assert_int_equal(
		x2s_ksrc_open_tree(&kt->src, TREE_A, kt->err, sizeof(kt->err)),
		0);
	assert_int_equal(x2s_kernel_extract(&kt->src, tree_a_root, provided,
					    &kt->x, kt->err, sizeof(kt->err)),
			 0);
	emit(kt);
	for (unsigned int i = 0; i < kt->x.nr; i++) {
		const struct x2s_kfunc *f = &kt->x.funcs[i];
		const struct x2s_kfile *file = &kt->src.files[f->file];
		size_t end = f->export_end ? f->export_end : f->end, at;
		int n;

		/* The declaration: through the ')' then ';'. */
		n = snprintf(piece, sizeof(piece), "#line %u \"%s\"\n%.*s;\n",
			     f->line, file->path,
			     (int)(f->params_end + 1 - f->start),
			     file->text + f->start);
		assert_true(n > 0 && (size_t)n < sizeof(piece));
		at = unit_find(kt, piece, (size_t)n);
		last_decl = at > last_decl ? at : last_decl;

		/* The definition, verbatim through its export. */
		n = snprintf(piece, sizeof(piece), "#line %u \"%s\"\n%.*s\n",
			     f->line, file->path, (int)(end - f->start),
			     file->text + f->start);
		assert_true(n > 0 && (size_t)n < sizeof(piece));
		at = unit_find(kt, piece, (size_t)n);
		first_def = at < first_def ? at : first_def;
		assert_true(at > prev_def);
		prev_def = at;
	}
	assert_true(last_decl < first_def);
	/* A static declaration stays static; a comment after ')' is left. */
	unit_find(kt,
		  "#line 78 \"" X86_C "\"\n"
		  "static __always_inline bool x2sim_a_is_icr(u32 msr);\n",
		  strlen("#line 78 \"" X86_C "\"\n") +
			  strlen("static __always_inline bool "
				 "x2sim_a_is_icr(u32 msr);\n"));
	assert_non_null(strstr(kt->unit,
			       "#line 139 \"" X86_C "\"\n"
			       "fastpath_t __attribute__((warn_unused_"
			       "result))\nhandle_fastpath_hlt(struct "
			       "kvm_vcpu *vcpu);\n"));
	assert_non_null(strstr(kt->unit,
			       "}\nEXPORT_SYMBOL_GPL(handle_fastpath_set_msr_"
			       "irqoff);\n"));
	assert_non_null(strstr(kt->unit, "#line 27 \"" VMX_C "\"\n"));
	/* What is not taken is not there. */
	assert_null(strstr(kt->unit, "kvm_skip_emulated_instruction(struct"));
	assert_null(strstr(kt->unit, "vmx_vcpu_run"));
	assert_null(strstr(kt->unit, "return container_of"));
	/* Nor the #else copy of the TSC deadline helper. */
	assert_null(strstr(kt->unit, "u64 data)\n{\n\treturn 1;\n}"));
}

static void test_emit_escapes_the_path_and_reports_write_errors(void **state)
{
	static const char *const roots[] = { "f", NULL };
	struct kt *kt = *state;
	FILE *full;

	src_from_text(&kt->src, "we\"ird\\dir/f.c",
		      "/* c */\n\nstatic int f(void)\n{\n\treturn 0;\n}\n");
	assert_int_equal(x2s_kernel_extract(&kt->src, roots, NULL, &kt->x,
					    kt->err, sizeof(kt->err)),
			 0);
	emit(kt);
	assert_string_equal(kt->unit,
			    "#line 3 \"we\\\"ird\\\\dir/f.c\"\n"
			    "static int f(void);\n"
			    "\n"
			    "#line 3 \"we\\\"ird\\\\dir/f.c\"\n"
			    "static int f(void)\n{\n\treturn 0;\n}\n");
	full = fopen("/dev/full", "w");
	if (!full)
		skip();
	assert_int_equal(x2s_kextract_emit(&kt->src, &kt->x, full), -EIO);
	fclose(full);
}

/* ---- patches ---- */

/* f's body (in the source) has text. */
static void assert_body_has(const struct x2s_ksrc *src,
			    const struct x2s_kfunc *f, const char *text)
{
	const char *t = src->files[f->file].text;

	if (!memmem(t + f->body, f->end - f->body, text, strlen(text)))
		fail_msg("%s lacks \"%s\"", f->name, text);
}

static void test_patch_applies_to_a_private_copy(void **state)
{
	static const char *const provided[] = { "kvm_vcpu_exit_request",
						"to_vmx", NULL };
	struct kt *kt = *state;
	const struct x2s_kfunc *f;

	kt->snap_before = snapshot(TREE_A);
	assert_int_equal(x2s_ksrc_open_tree_patched(&kt->src, TREE_A,
						    KDIR "/good.patch", kt->err,
						    sizeof(kt->err)),
			 0);
	assert_string_equal(kt->src.origin, TREE_A " + " KDIR "/good.patch");
	assert_string_equal(kt->src.version_str, "6.1.192");
	assert_int_equal(kt->src.nr_files, 2);
	assert_string_equal(kt->src.files[0].path, X86_C);
	assert_string_equal(kt->src.files[1].path, VMX_C);

	/* The patched functions are what the extraction takes. */
	assert_int_equal(x2s_kernel_extract(&kt->src, tree_a_root, provided,
					    &kt->x, kt->err, sizeof(kt->err)),
			 0);
	f = taken_fn(&kt->x, "handle_fastpath_set_msr_irqoff");
	assert_non_null(f);
	assert_body_has(&kt->src, f,
			"\t\tif (vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP)\n"
			"\t\t\treturn EXIT_FASTPATH_NONE;\n");
	/* Below the first hunk, lines moved by its three. */
	f = taken_fn(&kt->x, "handle_fastpath_hlt");
	assert_int_equal(f->line, 142);
	assert_body_has(
		&kt->src, f,
		"!kvm_vcpu_running(vcpu) ||\n"
		"\t    (vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP))\n");
	emit(kt);
	assert_non_null(strstr(kt->unit, "#line 142 \"" X86_C "\"\n"));

	/* The tree is as it was, and nothing is left in TMPDIR. */
	kt->snap_after = snapshot(TREE_A);
	assert_string_equal(kt->snap_before, kt->snap_after);
	assert_int_equal(count_entries(kt->tmpdir), 0);
}

static void expect_patch_error(struct kt *kt, const char *dir,
			       const char *patch, const char *msg)
{
	int r;

	free(kt->snap_before);
	free(kt->snap_after);
	kt->snap_before = snapshot(dir);
	r = x2s_ksrc_open_tree_patched(&kt->src, dir, patch, kt->err,
				       sizeof(kt->err));
	if (r != -EINVAL)
		fail_msg("%s: got %d \"%s\", want -EINVAL", patch, r, kt->err);
	assert_err(kt->err, msg);
	assert_int_equal(kt->src.nr_files, 0);
	kt->snap_after = snapshot(dir);
	assert_string_equal(kt->snap_before, kt->snap_after);
	assert_int_equal(count_entries(kt->tmpdir), 0);
}

static void test_patch_rejected_names_hunk_file_and_line(void **state)
{
	struct kt *kt = *state;

	/* The whole message; the line is the tree's (patch says 147). */
	expect_patch_error(kt, TREE_A, KDIR "/bad.patch",
			   KDIR "/bad.patch does not apply to " TREE_A
				": hunk #2 of " X86_C
				" (at line 144) is rejected");
	assert_string_equal(kt->err, KDIR "/bad.patch does not apply to " TREE_A
					  ": hunk #2 of " X86_C
					  " (at line 144) is rejected");
	expect_patch_error(kt, TREE_A, KDIR "/reversed.patch",
			   "reversed.patch does not apply to " TREE_A
			   ": it is already applied (or reversed): " X86_C);
}

static void test_patch_that_is_no_patch(void **state)
{
	struct kt *kt = *state;

	expect_patch_error(kt, TREE_A, TREE_A "/Makefile",
			   TREE_A "/Makefile is not a patch (no diff in it)");
	/* A mail without a diff: its "---" is not a file header. */
	put_file(scratch(kt, "mail.patch"),
		 "From: x2sim tests <tests@x2sim.invalid>\n"
		 "Subject: [PATCH] words only\n\n"
		 "--- a/x\n\n---\n 0 files changed\n");
	expect_patch_error(kt, TREE_A, scratch(kt, "mail.patch"),
			   "mail.patch is not a patch (no diff in it)");
	/* Headers without a hunk: patch(1) finds only garbage. */
	put_file(scratch(kt, "empty.patch"),
		 "--- a/" X86_C "\n+++ b/" X86_C "\n");
	expect_patch_error(kt, TREE_A, scratch(kt, "empty.patch"),
			   "empty.patch is not a patch (no diff in it)");
}

static void test_patch_of_a_file_the_tree_lacks(void **state)
{
	struct kt *kt = *state;

	put_file(scratch(kt, "lapic.patch"),
		 "diff --git a/arch/x86/kvm/lapic.c b/arch/x86/kvm/lapic.c\n"
		 "--- a/arch/x86/kvm/lapic.c\n"
		 "+++ b/arch/x86/kvm/lapic.c\n"
		 "@@ -1,1 +1,1 @@\n"
		 "-int a;\n"
		 "+int b;\n");
	expect_patch_error(kt, TREE_A, scratch(kt, "lapic.patch"),
			   ": it patches arch/x86/kvm/lapic.c, which " TREE_A
			   " lacks");
}

static void test_patch_outside_the_tree_is_refused(void **state)
{
	static const char *const evil[] = {
		"--- a/../../etc/passwd\n+++ b/../../etc/passwd\n"
		"@@ -1 +1 @@\n-x\n+y\n",
		"--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-x\n+y\n",
		"diff --git a/x/../../y b/x/../../y\n",
		"diff --git a/Makefile b/Makefile\n"
		"similarity index 100%\n"
		"rename from Makefile\nrename to ../Makefile\n",
		"--- a/" X86_C "\n+++ b/arch/../../" X86_C "\n"
		"@@ -1 +1 @@\n-x\n+y\n",
	};
	struct kt *kt = *state;

	for (unsigned int i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		put_file(scratch(kt, "evil.patch"), evil[i]);
		expect_patch_error(kt, TREE_A, scratch(kt, "evil.patch"),
				   ", outside the tree");
	}
	put_file(scratch(kt, "link.patch"),
		 "diff --git a/arch/x86/kvm/l b/arch/x86/kvm/l\n"
		 "new file mode 120000\n"
		 "--- /dev/null\n+++ b/arch/x86/kvm/l\n"
		 "@@ -0,0 +1 @@\n+/etc\n\\ No newline at end of file\n");
	expect_patch_error(kt, TREE_A, scratch(kt, "link.patch"),
			   "link.patch makes a symbolic link");
}

/* A plain diff (no mail, timestamps) that adds msrs.c: read in order. */
static void test_patch_plain_diff_adds_a_file(void **state)
{
	struct kt *kt = *state;
	char *before = snapshot(TREE_A);

	put_file(
		scratch(kt, "new.patch"),
		"--- /dev/null\t1970-01-01 00:00:00.000000000 +0000\n"
		"+++ b/arch/x86/kvm/msrs.c\t2026-12-05 00:00:00.000000000 +0000\n"
		"@@ -0,0 +1,4 @@\n"
		"+static int msrs_helper(void)\n"
		"+{\n"
		"+\treturn 0;\n"
		"+}\n");
	assert_int_equal(x2s_ksrc_open_tree_patched(&kt->src, TREE_A,
						    scratch(kt, "new.patch"),
						    kt->err, sizeof(kt->err)),
			 0);
	assert_int_equal(kt->src.nr_files, 3);
	assert_string_equal(kt->src.files[1].path, "arch/x86/kvm/msrs.c");
	assert_string_equal(
		kt->src.files[1].text,
		"static int msrs_helper(void)\n{\n\treturn 0;\n}\n");
	kt->snap_after = snapshot(TREE_A);
	assert_string_equal(before, kt->snap_after);
	free(before);
	assert_int_equal(count_entries(kt->tmpdir), 0);
}

static const char *copy_to;
static size_t copy_from_len;

static int copy_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	char to[512];
	char *text;

	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	snprintf(to, sizeof(to), "%s%s", copy_to, path + copy_from_len);
	text = slurp(path);
	put_file(to, text);
	free(text);
	return 0;
}

/* With TMPDIR inside the tree, the private copy goes elsewhere. */
static void test_patch_never_writes_into_the_tree(void **state)
{
	struct kt *kt = *state;

	copy_to = scratch(kt, "copy");
	copy_from_len = strlen(TREE_A);
	assert_int_equal(nftw(TREE_A, copy_one, 16, FTW_PHYS), 0);
	assert_int_equal(setenv("TMPDIR", scratch(kt, "copy/arch"), 1), 0);
	kt->snap_before = snapshot(scratch(kt, "copy"));
	assert_int_equal(x2s_ksrc_open_tree_patched(
				 &kt->src, scratch(kt, "copy"),
				 KDIR "/good.patch", kt->err, sizeof(kt->err)),
			 0);
	kt->snap_after = snapshot(scratch(kt, "copy"));
	assert_string_equal(kt->snap_before, kt->snap_after);
}

/* kvm.h's names as kernel text sees them: functions and macros alike. */
static void test_provided_names_come_from_kvm_h(void **state)
{
	const char *const *names = x2s_kernel_provided_names();
	bool icr = false, skip = false, warn = false, fastpath = false;

	(void)state;
	for (; *names; names++) {
		icr |= !strcmp(*names, "kvm_x2apic_icr_write");
		skip |= !strcmp(*names, "kvm_skip_emulated_instruction");
		warn |= !strcmp(*names, "WARN_ON_ONCE");
		fastpath |= !strcmp(*names, "handle_fastpath_set_msr_irqoff");
	}
	assert_true(icr && skip && warn);
	/* The fastpath's own functions always come from the tree. */
	assert_false(fastpath);
}

#define KT(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_parses_x_y_and_x_y_z),
		KT(test_tree_reads_makefile_version_and_kvm_files),
		KT(test_tree_extraversion_and_file_order),
		KT(test_tree_errors_say_why),
		KT(test_index_finds_only_definitions),
		KT(test_index_tree_a),
		KT(test_extract_takes_the_closure),
		KT(test_extract_provided_cuts_what_only_it_reaches),
		KT(test_extract_missing_root_names_roots_and_files),
		KT(test_extract_inline_decoys),
		KT(test_emit_declares_then_defines_verbatim),
		KT(test_emit_escapes_the_path_and_reports_write_errors),
		KT(test_patch_applies_to_a_private_copy),
		KT(test_patch_rejected_names_hunk_file_and_line),
		KT(test_patch_that_is_no_patch),
		KT(test_patch_of_a_file_the_tree_lacks),
		KT(test_patch_outside_the_tree_is_refused),
		KT(test_patch_plain_diff_adds_a_file),
		KT(test_patch_never_writes_into_the_tree),
		cmocka_unit_test(test_provided_names_come_from_kvm_h),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
