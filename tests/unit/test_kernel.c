// SPDX-License-Identifier: GPL-2.0-only
/*
 * The text side of verify --kernel: versions, reading a tree, finding
 * function definitions among kernel C's decoys, the extraction rule, the
 * emitted unit and patches on a private copy.
 */
#include <errno.h>
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

#define TREES X2S_TEST_KERNEL_DIR "/trees"

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
	"int other_fastpath(void)\n"				/* 52 */
	"{\n"							/* 53 */
	"	return 0;\n"					/* 54 */
	"}\n"							/* 55 */
	"static __attribute__((unused)) void attr(void) { }\n"; /* 56 */

static void src_from_text(struct x2s_ksrc *src, const char *text)
{
	memset(src, 0, sizeof(*src));
	snprintf(src->origin, sizeof(src->origin), "test");
	src->files[0].path = strdup("arch/x86/kvm/x86.c");
	src->files[0].text = strdup(text);
	src->files[0].len = strlen(text);
	src->nr_files = 1;
	assert_non_null(src->files[0].text);
}

static void test_version_parse(void **state)
{
	unsigned int v;

	assert_int_equal(x2s_kversion_parse("6.1", &v), 0);
	assert_int_equal(v, X2S_KVERSION(6, 1, 0));
	assert_int_equal(x2s_kversion_parse("6.1.192", &v), 0);
	assert_int_equal(v, X2S_KVERSION(6, 1, 192));
	assert_int_equal(x2s_kversion_parse("5.4.300", &v), 0);
	assert_int_equal(v, X2S_KVERSION(5, 4, 255));
	assert_int_equal(x2s_kversion_parse("6", &v), -EINVAL);
	assert_int_equal(x2s_kversion_parse("6.x", &v), -EINVAL);
	assert_int_equal(x2s_kversion_parse("6.1.", &v), -EINVAL);
	assert_int_equal(x2s_kversion_parse("6.256", &v), -EINVAL);
	assert_int_equal(x2s_kversion_parse("0.1", &v), -EINVAL);
	assert_int_equal(x2s_kversion_parse("6.1 ", &v), -EINVAL);
	assert_int_equal(x2s_kversion_parse("", &v), -EINVAL);
}

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
	};
	struct x2s_ksrc src;
	struct x2s_kfunc *f;
	unsigned int nr;
	char err[256];

	src_from_text(&src, decoys);
	assert_int_equal(x2s_kindex_build(&src, &f, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, sizeof(want) / sizeof(want[0]));
	for (unsigned int i = 0; i < nr; i++) {
		assert_string_equal(f[i].name, want[i].name);
		assert_int_equal(f[i].line, want[i].line);
		assert_int_equal(f[i].end_line, want[i].end_line);
		assert_int_equal(f[i].is_static, want[i].is_static);
		assert_int_equal(f[i].nr_params, want[i].nr_params);
	}
	/* The export, with the comment between, belongs to its function. */
	assert_true(f[3].export_end > f[3].export_start);
	assert_memory_equal(src.files[0].text + f[3].export_start,
			    "EXPORT_SYMBOL_GPL(handle_fastpath_x);", 37);
	assert_int_equal(f[0].export_end, 0);
	/* The first of two #ifdef-ed definitions wins. */
	assert_ptr_equal(x2s_kindex_find(f, nr, "deeper"), &f[1]);
	assert_null(x2s_kindex_find(f, nr, "proto"));
	free(f);
	x2s_ksrc_free(&src);
}

static bool taken(const struct x2s_kextract *x, const char *name)
{
	for (unsigned int i = 0; i < x->nr; i++)
		if (!strcmp(x->funcs[i].name, name))
			return true;
	return false;
}

static void test_extract_takes_the_fastpath_and_its_helpers(void **state)
{
	static const char *const roots[] = { "handle_fastpath_x", NULL };
	static const char *const provided[] = { "provided_one",
						"handle_fastpath_x", NULL };
	struct x2s_kextract x;
	struct x2s_ksrc src;
	char err[256];

	src_from_text(&src, decoys);
	assert_int_equal(
		x2s_kernel_extract(&src, roots, provided, &x, err, sizeof(err)),
		0);
	/* Roots whatever provided says; static helpers transitively. */
	assert_true(taken(&x, "handle_fastpath_x"));
	assert_true(taken(&x, "helper"));
	assert_true(taken(&x, "deeper"));
	/* Non-static with "fastpath" in the name: fastpath code. */
	assert_true(taken(&x, "other_fastpath"));
	/* The model's: provided, or exported without "fastpath". */
	assert_false(taken(&x, "provided_one"));
	assert_false(taken(&x, "not_taken"));
	assert_false(taken(&x, "attr"));
	assert_int_equal(x.nr, 4);
	x2s_kextract_free(&x);
	x2s_ksrc_free(&src);
}

static void test_extract_missing_root_names_it(void **state)
{
	static const char *const roots[] = { "vmx_exit_handlers_fastpath",
					     NULL };
	struct x2s_kextract x;
	struct x2s_ksrc src;
	char err[256];

	src_from_text(&src, decoys);
	assert_int_equal(
		x2s_kernel_extract(&src, roots, NULL, &x, err, sizeof(err)),
		-ENOENT);
	assert_non_null(strstr(err, "vmx_exit_handlers_fastpath"));
	assert_non_null(strstr(err, "arch/x86/kvm/x86.c"));
	x2s_ksrc_free(&src);
}

static void test_emit_is_verbatim_with_line_directives(void **state)
{
	static const char *const roots[] = { "handle_fastpath_x", NULL };
	struct x2s_kextract x;
	struct x2s_ksrc src;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *f;

	src_from_text(&src, decoys);
	assert_int_equal(
		x2s_kernel_extract(&src, roots, NULL, &x, err, sizeof(err)), 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(x2s_kextract_emit(&src, &x, f), 0);
	fclose(f);
	/* A forward declaration of the static helper stays static. */
	assert_non_null(strstr(buf, "#line 18 \"arch/x86/kvm/x86.c\"\n"
				    "static int helper(struct kvm_vcpu *vcpu, "
				    "u64 data,\n\t\t  int reg);\n"));
	/* Then the body as it is, its export included. */
	assert_non_null(strstr(buf, "#line 37 \"arch/x86/kvm/x86.c\"\n"
				    "fastpath_t handle_fastpath_x"));
	assert_non_null(strstr(buf, "}\n/* between */\n"
				    "EXPORT_SYMBOL_GPL(handle_fastpath_x);"));
	/* Of two #ifdef-ed definitions, the first. */
	assert_non_null(strstr(buf, "\treturn 1;\n"));
	assert_null(strstr(buf, "\treturn 2;\n"));
	assert_null(strstr(buf, "not_taken(struct"));
	free(buf);
	x2s_kextract_free(&x);
	x2s_ksrc_free(&src);
}

static void expect_tree_error(const char *dir, int ret, const char *msg)
{
	struct x2s_ksrc src;
	char err[512];
	int r = x2s_ksrc_open_tree(&src, dir, err, sizeof(err));

	if (r != ret || !strstr(err, msg))
		fail_msg("%s: got %d \"%s\", want %d \"...%s...\"", dir, r, err,
			 ret, msg);
	assert_int_equal(src.nr_files, 0);
}

static void test_tree_errors(void **state)
{
	expect_tree_error("/nonexistent-x2sim", -ENOENT, "No such file");
	expect_tree_error(X2S_TEST_KERNEL_DIR "/check-kernel.sh", -ENOTDIR,
			  "not a directory");
	expect_tree_error(X2S_TEST_KERNEL_DIR, -ENOENT,
			  "is not a Linux source tree");
	expect_tree_error(TREES "/no-kvm", -ENOENT,
			  "has no arch/x86/kvm/x86.c");
}

static void test_tree_reads_version_and_files(void **state)
{
	struct x2s_ksrc src;
	char err[512];

	assert_int_equal(
		x2s_ksrc_open_tree(&src, TREES "/lts-6.1", err, sizeof(err)),
		0);
	assert_int_equal(src.version, X2S_KVERSION(6, 1, 250));
	assert_string_equal(src.version_str, "6.1.250-x2sim");
	assert_int_equal(src.nr_files, 2);
	assert_string_equal(src.files[0].path, "arch/x86/kvm/x86.c");
	assert_string_equal(src.files[1].path, "arch/x86/kvm/vmx/vmx.c");
	x2s_ksrc_free(&src);
	x2s_ksrc_free(&src);
}

/* Entries of dir, to see that nothing is left behind. */
static unsigned int count_entries(const char *dir)
{
	char cmd[600];
	unsigned int n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%u", &n), 1);
	pclose(p);
	return n;
}

static void test_patch_applies_to_a_private_copy(void **state)
{
	static const char *const roots[] = { "handle_fastpath_set_msr_irqoff",
					     NULL };
	char tmp[] = "/tmp/x2sim-test-kernel.XXXXXX", err[512];
	struct x2s_kextract x;
	struct x2s_ksrc src;
	const char *t;

	assert_non_null(mkdtemp(tmp));
	setenv("TMPDIR", tmp, 1);
	assert_int_equal(x2s_ksrc_open_tree_patched(&src, TREES "/lts-6.1",
						    X2S_TEST_KERNEL_DIR
						    "/fix-singlestep.patch",
						    err, sizeof(err)),
			 0);
	assert_non_null(strstr(src.origin, "fix-singlestep.patch"));
	assert_int_equal(
		x2s_kernel_extract(&src, roots, NULL, &x, err, sizeof(err)), 0);
	t = src.files[x.funcs[0].file].text;
	assert_non_null(strstr(t, "KVM_GUESTDBG_SINGLESTEP"));
	x2s_kextract_free(&x);
	x2s_ksrc_free(&src);
	/* The rejected hunk is named, and nothing is left in TMPDIR. */
	assert_int_equal(x2s_ksrc_open_tree_patched(&src, TREES "/lts-6.1",
						    X2S_TEST_KERNEL_DIR
						    "/stale-context.patch",
						    err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "hunk #1 of arch/x86/kvm/x86.c"));
	assert_int_equal(x2s_ksrc_open_tree_patched(&src, TREES "/lts-6.1",
						    X2S_TEST_KERNEL_DIR
						    "/check-kernel.sh",
						    err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "is not a patch"));
	assert_int_equal(count_entries(tmp), 0);
	unsetenv("TMPDIR");
	rmdir(tmp);
}

static void test_patch_outside_the_tree_is_refused(void **state)
{
	char path[] = "/tmp/x2sim-test-patch.XXXXXX", err[512];
	struct x2s_ksrc src;
	int fd = mkstemp(path);
	static const char evil[] = "--- a/../../etc/passwd\n"
				   "+++ b/../../etc/passwd\n"
				   "@@ -1 +1 @@\n-x\n+y\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, evil, sizeof(evil) - 1),
			 (ssize_t)sizeof(evil) - 1);
	close(fd);
	assert_int_equal(x2s_ksrc_open_tree_patched(&src, TREES "/lts-6.1",
						    path, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "outside the tree"));
	unlink(path);
}

/* kvm.h's names as kernel text sees them: functions and macros alike. */
static void test_provided_names_come_from_kvm_h(void **state)
{
	const char *const *names = x2s_kernel_provided_names();
	bool icr = false, skip = false, warn = false, fastpath = false;

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_parse),
		cmocka_unit_test(test_index_finds_only_definitions),
		cmocka_unit_test(
			test_extract_takes_the_fastpath_and_its_helpers),
		cmocka_unit_test(test_extract_missing_root_names_it),
		cmocka_unit_test(test_emit_is_verbatim_with_line_directives),
		cmocka_unit_test(test_tree_errors),
		cmocka_unit_test(test_tree_reads_version_and_files),
		cmocka_unit_test(test_patch_applies_to_a_private_copy),
		cmocka_unit_test(test_patch_outside_the_tree_is_refused),
		cmocka_unit_test(test_provided_names_come_from_kvm_h),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
