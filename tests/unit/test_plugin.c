// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fastpath plugins: the example built like a user builds it, loaded and run
 * on a VM; every way a plugin path can be wrong giving its own message.
 * The plugins are built by tests/CMakeLists.txt into X2S_TEST_PLUGIN_DIR.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "fastpath/plugin.h"
#include "vmx/vmx.h"

#define PLUGIN(name) X2S_TEST_PLUGIN_DIR "/" name ".so"
#define EXAMPLE PLUGIN("my_fastpath")
#define ICR_MSR 0x830

static void install(struct x2s_vm *vm, const struct x2s_fastpath *fn)
{
	to_kvm_vmx(x2s_vm_kvm(vm))->fastpath = fn;
}

static const struct x2s_fastpath *load_ok(const char *path, struct x2s_plugin *p)
{
	char err[512];
	int r = x2s_plugin_open(path, p, err, sizeof(err));

	if (r)
		fail_msg("loading %s: %d: %s", path, r, err);
	assert_non_null(p->fn);
	return p->fn;
}

static struct x2s_exit_result wrmsr(struct x2s_vm *vm, unsigned int cpu,
				    u32 msr, u64 data)
{
	struct x2s_exit_result res;

	assert_ok(x2s_vcpu_set_gpr(vm, cpu, X2S_REG_RIP, 0x1000));
	assert_ok(x2s_vcpu_wrmsr_exit(vm, cpu, msr, data, &res));
	return res;
}

static uint64_t rip(struct x2s_vm *vm, unsigned int cpu)
{
	uint64_t v;

	assert_ok(x2s_vcpu_get_gpr(vm, cpu, X2S_REG_RIP, &v));
	return v;
}

static void test_example_loads_as_set_msr_irqoff(void **state)
{
	struct x2s_plugin p;

	load_ok(EXAMPLE, &p);
	assert_string_equal(p.symbol, "handle_fastpath_set_msr_irqoff");
	assert_false(p.both);
	assert_int_equal(p.abi_version, X2SIM_KVM_ABI_VERSION);
	/* The MSR form runs behind the model's gate, not directly. */
	assert_int_equal(p.fn->entry, X2S_FASTPATH_SET_MSR);
	assert_ptr_equal((void *)p.fn->set_msr, p.entry);
	/* Built with the default face: mainline's fastpath_t. */
	assert_int_equal(p.fn->kvm_version, X2SIM_KVM_VERSION_MAINLINE);
}

static void test_example_delivers_single_target_ipi(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_plugin p;
	struct x2s_exit_result res;
	uint64_t icr;

	install(vm, load_ok(EXAMPLE, &p));
	x2s_warn_reset();
	res = wrmsr(vm, 0, ICR_MSR, (1ULL << 32) | APIC_ICR_BUSY | 0x31);
	assert_int_equal(res.fastpath, EXIT_FASTPATH_REENTER_GUEST);
	assert_int_equal(res.status, X2S_STATUS_GUEST);
	assert_true(test_irr(vm, 1, 0x31));
	assert_false(test_irr(vm, 0, 0x31));
	assert_int_equal(rip(vm, 0), 0x1002);
	/* Stored as written, BUSY cleared. */
	assert_ok(x2s_msr_read(vm, 0, ICR_MSR, &icr, true));
	assert_int_equal(icr, (1ULL << 32) | 0x31);
	assert_no_warn();
	x2s_vm_destroy(vm);
}

/* Everything that is not one fixed physical target goes to the slow path. */
static void test_example_declines_all_but_single_target(void **state)
{
	static const struct {
		const char *what;
		u32 msr;
		u64 data;
	} rows[] = {
		{ "reserved bit 20", ICR_MSR,
		  (1ULL << 32) | (1u << 20) | 0x31 },
		{ "reserved bit 13", ICR_MSR,
		  (1ULL << 32) | (1u << 13) | 0x31 },
		{ "self shorthand", ICR_MSR, APIC_DEST_SELF | 0x31 },
		{ "all-but-self", ICR_MSR, APIC_DEST_ALLBUT | 0x31 },
		{ "logical", ICR_MSR, (1ULL << 32) | APIC_DEST_LOGICAL | 0x31 },
		{ "NMI", ICR_MSR, (1ULL << 32) | APIC_DM_NMI },
		{ "lowest priority", ICR_MSR,
		  (1ULL << 32) | APIC_DM_LOWEST | 0x31 },
		{ "broadcast", ICR_MSR, (0xffffffffULL << 32) | 0x31 },
		{ "other MSR", 0x831, (1ULL << 32) | 0x31 },
		{ "aliased index", 0x10000830, (1ULL << 32) | 0x31 },
	};
	struct x2s_plugin p;
	const struct x2s_fastpath *fn = load_ok(EXAMPLE, &p);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct x2s_vm *vm = test_vm_new(2);
		struct x2s_exit_result res;

		install(vm, fn);
		res = wrmsr(vm, 0, rows[i].msr, rows[i].data);
		if (res.fastpath != EXIT_FASTPATH_NONE)
			fail_msg("%s: fastpath returned %d", rows[i].what,
				 res.fastpath);
		x2s_vm_destroy(vm);
	}
}

static void test_example_exits_to_userspace_when_single_stepping(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_plugin p;
	struct x2s_exit_result res;

	install(vm, load_ok(EXAMPLE, &p));
	assert_ok(x2s_vcpu_set_guest_debug(
		vm, 0, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP));
	res = wrmsr(vm, 0, ICR_MSR, (1ULL << 32) | 0x31);
	assert_int_equal(res.fastpath, EXIT_FASTPATH_EXIT_USERSPACE);
	assert_int_equal(res.status, X2S_STATUS_USERSPACE);
	assert_int_equal(res.run_exit_reason, KVM_EXIT_DEBUG);
	assert_true(test_irr(vm, 1, 0x31));
	x2s_vm_destroy(vm);
}

static unsigned int counter_calls(void)
{
	void *h = dlopen(PLUGIN("counter"), RTLD_NOW | RTLD_NOLOAD);
	unsigned int *calls, n;

	assert_non_null(h);
	calls = dlsym(h, "counter_calls");
	assert_non_null(calls);
	n = *calls;
	dlclose(h);
	return n;
}

/* upstream's gate: MSR_WRITE exits only, and none while L2 runs. */
static void test_set_msr_form_is_gated_like_upstream(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_exit hlt = { .reason = EXIT_REASON_HLT, .insn_len = 1 };
	struct x2s_exit_result res;
	struct x2s_plugin p;
	unsigned int base;

	install(vm, load_ok(PLUGIN("counter"), &p));
	assert_string_equal(p.symbol, "handle_fastpath_set_msr_irqoff");
	base = counter_calls();

	assert_ok(x2s_vcpu_set_gpr(vm, 0, X2S_REG_RIP, 0x1000));
	assert_ok(x2s_vcpu_exit(vm, 0, &hlt, &res));
	assert_int_equal(counter_calls(), base);

	wrmsr(vm, 1, ICR_MSR, 0x31);
	assert_int_equal(counter_calls(), base + 1);

	assert_ok(x2s_vcpu_set_guest_mode(vm, 1, true, false));
	wrmsr(vm, 1, ICR_MSR, 0x31);
	assert_int_equal(counter_calls(), base + 1);
	x2s_vm_destroy(vm);
}

/* With both symbols, vmx_exit_handlers_fastpath runs, ungated. */
static void test_both_symbols_prefers_exit_handlers(void **state)
{
	struct x2s_vm *vm = test_vm_new(2);
	struct x2s_exit hlt = { .reason = EXIT_REASON_HLT, .insn_len = 1 };
	struct x2s_exit_result res;
	struct x2s_plugin p;

	install(vm, load_ok(PLUGIN("both"), &p));
	assert_string_equal(p.symbol, "vmx_exit_handlers_fastpath");
	assert_true(p.both);
	assert_int_equal(p.fn->entry, X2S_FASTPATH_EXIT_HANDLERS_FORCE);
	assert_ptr_equal((void *)p.fn->exit_handlers_force, p.entry);

	assert_ok(x2s_vcpu_set_gpr(vm, 0, X2S_REG_RIP, 0x1000));
	assert_ok(x2s_vcpu_exit(vm, 0, &hlt, &res));
	assert_int_equal(res.fastpath, EXIT_FASTPATH_EXIT_HANDLED);
	x2s_vm_destroy(vm);
}

static void test_reloading_gives_the_same_hook(void **state)
{
	const struct x2s_fastpath *a = NULL, *b = NULL;
	char err[256];

	assert_int_equal(x2s_plugin_load(EXAMPLE, &a, err, sizeof(err)), 0);
	assert_int_equal(x2s_plugin_load(EXAMPLE, &b, err, sizeof(err)), 0);
	assert_non_null(a);
	assert_ptr_equal(a, b);
}

/* dlopen() without a slash would search the library path, not ".". */
static void test_bare_file_name_loads_from_cwd(void **state)
{
	char cwd[4096], err[256];
	const struct x2s_fastpath *fn = NULL;
	int r;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(X2S_TEST_PLUGIN_DIR), 0);
	r = x2s_plugin_load("my_fastpath.so", &fn, err, sizeof(err));
	assert_int_equal(chdir(cwd), 0);
	if (r)
		fail_msg("%d: %s", r, err);
	assert_non_null(fn);
}

static const struct x2s_fastpath untouched;

static void expect_error(const char *path, int ret, const char *msg)
{
	const struct x2s_fastpath *fn = &untouched;
	char err[512];
	int r;

	memset(err, 'x', sizeof(err));
	r = x2s_plugin_load(path, &fn, err, sizeof(err));
	if (r != ret || !strstr(err, msg))
		fail_msg("%s: got %d \"%s\", want %d \"...%s...\"", path, r,
			 err, ret, msg);
	assert_null(strchr(err, '\n'));
	assert_ptr_equal(fn, &untouched);
}

static void test_bad_plugins_give_distinct_errors(void **state)
{
	static const struct {
		const char *path;
		int ret;
		const char *msg;
	} rows[] = {
		{ PLUGIN("no_symbol"), -ENOSYS,
		  "exports none of x2sim_kernel_fastpath, "
		  "vmx_exit_handlers_fastpath, handle_fastpath_wrmsr, "
		  "handle_fastpath_set_msr_irqoff" },
		{ PLUGIN("no_stamp"), -EPROTO,
		  "no x2sim ABI stamp (x2sim_kvm_abi_version)" },
		{ PLUGIN("wrong_abi"), -EPROTO,
		  "built against x2sim kvm.h ABI 999, but this x2sim has ABI" },
		{ PLUGIN("data_symbol"), -ENOSYS,
		  "handle_fastpath_set_msr_irqoff is not a function" },
		{ PLUGIN("undefined"), -ELIBBAD,
		  "kvm_x2sim_does_not_have_this" },
		{ X2S_TEST_EXAMPLE_DIR "/my_fastpath.c", -ENOEXEC,
		  "a text file, not a shared object" },
		{ X2S_TEST_EXAMPLE_DIR, -EISDIR,
		  "is a directory, not a shared object" },
		{ X2S_TEST_PLUGIN_DIR "/missing.so", -ENOENT, "no such file" },
		{ X2S_TEST_PLUGIN_OBJECT, -ENOEXEC,
		  "a relocatable object (.o), not a shared object" },
		{ "/dev/null", -EINVAL, "not a regular file" },
		{ "", -EINVAL, "no plugin path given" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		expect_error(rows[i].path, rows[i].ret, rows[i].msg);
}

/* A copy of the example with its ELF header changed by edit(). */
static void write_variant(const char *dst, void (*edit)(unsigned char *buf))
{
	static unsigned char buf[1 << 20];
	FILE *f = fopen(EXAMPLE, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > sizeof(Elf64_Ehdr) && n < sizeof(buf));
	edit(buf);
	f = fopen(dst, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	fclose(f);
}

static void edit_aarch64(unsigned char *buf)
{
	Elf64_Half m = EM_AARCH64;

	memcpy(buf + offsetof(Elf64_Ehdr, e_machine), &m, sizeof(m));
}

static void edit_class32(unsigned char *buf)
{
	buf[EI_CLASS] = ELFCLASS32;
}

static void edit_exec(unsigned char *buf)
{
	Elf64_Half t = ET_EXEC;

	memcpy(buf + offsetof(Elf64_Ehdr, e_type), &t, sizeof(t));
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void test_wrong_files_give_distinct_errors(void **state)
{
	char dir[] = "/tmp/x2sim-plugin-XXXXXX";
	char path[256];
	static const unsigned char garbage[] = { 0x00, 0x01, 0xfe, 0x7f, 0x10 };

	assert_non_null(mkdtemp(dir));

	snprintf(path, sizeof(path), "%s/arm.so", dir);
	write_variant(path, edit_aarch64);
	expect_error(path, -ENOEXEC,
		     "built for AArch64, but x2sim runs on x86-64");
	unlink(path);

	snprintf(path, sizeof(path), "%s/i386.so", dir);
	write_variant(path, edit_class32);
	expect_error(path, -ENOEXEC,
		     "a 32-bit ELF object, but x2sim is 64-bit");
	unlink(path);

	snprintf(path, sizeof(path), "%s/exec.so", dir);
	write_variant(path, edit_exec);
	expect_error(path, -ENOEXEC, "an executable, not a shared object");
	unlink(path);

	snprintf(path, sizeof(path), "%s/short.so", dir);
	write_bytes(path, ELFMAG "\2\1", SELFMAG + 2);
	expect_error(path, -ENOEXEC, "truncated ELF header");
	unlink(path);

	snprintf(path, sizeof(path), "%s/empty.so", dir);
	write_bytes(path, "", 0);
	expect_error(path, -ENOEXEC, "empty file");
	unlink(path);

	snprintf(path, sizeof(path), "%s/garbage.so", dir);
	write_bytes(path, garbage, sizeof(garbage));
	expect_error(path, -ENOEXEC, "not an ELF file");

	/* root reads anything: only meaningful for other users. */
	if (geteuid() != 0) {
		assert_int_equal(chmod(path, 0), 0);
		expect_error(path, -EACCES,
			     "cannot be read: Permission denied");
	}
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_loads_as_set_msr_irqoff),
		cmocka_unit_test(test_example_delivers_single_target_ipi),
		cmocka_unit_test(test_example_declines_all_but_single_target),
		cmocka_unit_test(
			test_example_exits_to_userspace_when_single_stepping),
		cmocka_unit_test(test_set_msr_form_is_gated_like_upstream),
		cmocka_unit_test(test_both_symbols_prefers_exit_handlers),
		cmocka_unit_test(test_reloading_gives_the_same_hook),
		cmocka_unit_test(test_bare_file_name_loads_from_cwd),
		cmocka_unit_test(test_bad_plugins_give_distinct_errors),
		cmocka_unit_test(test_wrong_files_give_distinct_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
