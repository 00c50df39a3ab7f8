// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: loading a fastpath plugin (a .so built against <x2sim/kvm.h>).
 *
 * Every way a path can be wrong is told apart before dlopen() sees it, so
 * that the user gets one precise sentence instead of the loader's generic
 * "invalid ELF header", and the fastpath is not handed out before the ABI
 * stamp has been checked.  (dlopen() itself runs the object's ELF
 * constructors; a fastpath plugin has no business having any.)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fastpath/plugin.h"

#if defined(__x86_64__)
#define X2S_HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define X2S_HOST_MACHINE EM_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define X2S_HOST_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define X2S_HOST_MACHINE EM_PPC64
#elif defined(__s390x__)
#define X2S_HOST_MACHINE EM_S390
#endif

/* The same in both ELF classes. */
#define ELF_ST_TYPE(info) ELF64_ST_TYPE(info)

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define X2S_HOST_ELFDATA ELFDATA2LSB
#else
#define X2S_HOST_ELFDATA ELFDATA2MSB
#endif

#if __SIZEOF_POINTER__ == 8
#define X2S_HOST_ELFCLASS ELFCLASS64
#else
#define X2S_HOST_ELFCLASS ELFCLASS32
#endif

static int plugin_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int plugin_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static const char *elf_machine_name(unsigned int machine)
{
	switch (machine) {
	case EM_386:
		return "i386";
	case EM_X86_64:
		return "x86-64";
	case EM_ARM:
		return "32-bit ARM";
	case EM_AARCH64:
		return "AArch64";
	case EM_RISCV:
		return "RISC-V";
	case EM_PPC:
		return "PowerPC";
	case EM_PPC64:
		return "PowerPC64";
	case EM_S390:
		return "s390";
	case EM_MIPS:
		return "MIPS";
	default:
		return NULL;
	}
}

static bool looks_like_text(const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = buf[i];

		if (c == 0 || c == 0x7f ||
		    (c < 0x20 && c != '\n' && c != '\r' && c != '\t' &&
		     c != '\f'))
			return false;
	}
	return true;
}

/*
 * The checks dlopen() would make, each with its own message; also the
 * ones it makes too late (an ET_REL .o) or not at all (a directory).
 */
static int plugin_check_file(const char *path, char *err, size_t errlen)
{
	unsigned char buf[512];
	struct stat st;
	Elf64_Ehdr eh;
	ssize_t n;
	int fd, e;

	if (stat(path, &st)) {
		e = errno;
		if (e == ENOENT)
			return plugin_fail(err, errlen, -ENOENT,
					   "%s: no such file", path);
		return plugin_fail(err, errlen, -e, "%s: %s", path,
				   strerror(e));
	}
	if (S_ISDIR(st.st_mode))
		return plugin_fail(err, errlen, -EISDIR,
				   "%s: is a directory, not a shared object",
				   path);
	if (!S_ISREG(st.st_mode))
		return plugin_fail(
			err, errlen, -EINVAL,
			"%s: not a regular file, not a shared object", path);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return plugin_fail(err, errlen, -e, "%s: cannot be read: %s",
				   path, strerror(e));
	}
	do {
		n = read(fd, buf, sizeof(buf));
	} while (n < 0 && errno == EINTR);
	e = errno;
	close(fd);
	if (n < 0)
		return plugin_fail(err, errlen, -e, "%s: cannot be read: %s",
				   path, strerror(e));
	if (n == 0)
		return plugin_fail(err, errlen, -ENOEXEC,
				   "%s: empty file, not a shared object", path);

	if ((size_t)n < SELFMAG || memcmp(buf, ELFMAG, SELFMAG)) {
		if (looks_like_text(buf, (size_t)n))
			return plugin_fail(
				err, errlen, -ENOEXEC,
				"%s: a text file, not a shared object (build one with cc -shared -fPIC)",
				path);
		return plugin_fail(
			err, errlen, -ENOEXEC,
			"%s: not an ELF file, not a shared object (build one with cc -shared -fPIC)",
			path);
	}
	/* e_type and e_machine sit at the same offsets in both classes. */
	if ((size_t)n < sizeof(Elf32_Ehdr))
		return plugin_fail(err, errlen, -ENOEXEC,
				   "%s: truncated ELF header", path);
	memset(&eh, 0, sizeof(eh));
	memcpy(&eh, buf, sizeof(Elf32_Ehdr));
	if (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64)
		return plugin_fail(err, errlen, -ENOEXEC,
				   "%s: a corrupt ELF header (class %u)", path,
				   buf[EI_CLASS]);
	if (buf[EI_CLASS] != X2S_HOST_ELFCLASS)
		return plugin_fail(
			err, errlen, -ENOEXEC,
			"%s: a %s ELF object, but x2sim is %s: rebuild it for this machine",
			path, buf[EI_CLASS] == ELFCLASS32 ? "32-bit" : "64-bit",
			X2S_HOST_ELFCLASS == ELFCLASS32 ? "32-bit" : "64-bit");
	if (buf[EI_DATA] != X2S_HOST_ELFDATA)
		return plugin_fail(
			err, errlen, -ENOEXEC,
			"%s: an ELF object of the other byte order: rebuild it for this machine",
			path);
#ifdef X2S_HOST_MACHINE
	if (eh.e_machine != X2S_HOST_MACHINE) {
		const char *name = elf_machine_name(eh.e_machine);

		if (name)
			return plugin_fail(
				err, errlen, -ENOEXEC,
				"%s: built for %s, but x2sim runs on %s: rebuild it for this machine",
				path, name, elf_machine_name(X2S_HOST_MACHINE));
		return plugin_fail(
			err, errlen, -ENOEXEC,
			"%s: built for another architecture (ELF machine %u), but x2sim runs on %s",
			path, eh.e_machine, elf_machine_name(X2S_HOST_MACHINE));
	}
#endif
	switch (eh.e_type) {
	case ET_DYN:
		return 0;
	case ET_REL:
		return plugin_fail(
			err, errlen, -ENOEXEC,
			"%s: a relocatable object (.o), not a shared object: link it with cc -shared",
			path);
	case ET_EXEC:
		return plugin_fail(
			err, errlen, -ENOEXEC,
			"%s: an executable, not a shared object: build it with cc -shared -fPIC",
			path);
	case ET_CORE:
		return plugin_fail(err, errlen, -ENOEXEC,
				   "%s: a core dump, not a shared object",
				   path);
	default:
		return plugin_fail(err, errlen, -ENOEXEC,
				   "%s: not a shared object (ELF type %u)",
				   path, eh.e_type);
	}
}

/*
 * A symbol defined by the plugin itself: dlsym() on a handle also
 * searches the plugin's dependencies (a libx2sim.so it was linked with
 * defines a stamp too), so the owner of the address is checked.
 */
static void *plugin_own_sym(void *handle, const char *name,
			    const ElfW(Sym) * *symp)
{
	struct link_map *self, *owner = NULL;
	const ElfW(Sym) *sym = NULL;
	Dl_info info;
	void *addr;

	*symp = NULL;
	if (dlinfo(handle, RTLD_DI_LINKMAP, &self))
		return NULL;
	dlerror();
	addr = dlsym(handle, name);
	if (!addr)
		return NULL;
	if (!dladdr1(addr, &info, (void **)&owner, RTLD_DL_LINKMAP) ||
	    owner != self)
		return NULL;
	if (dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) && sym &&
	    info.dli_sname && !strcmp(info.dli_sname, name))
		*symp = sym;
	return addr;
}

/*
 * handle_fastpath_set_msr_irqoff() behind upstream's gate.  The hook has
 * no context argument, so each loaded MSR-form plugin gets its own
 * trampoline and slot.
 */
static x2s_fastpath_fn set_msr_entries[X2S_PLUGIN_MAX_MSR_HOOKS];
static pthread_mutex_t plugin_lock = PTHREAD_MUTEX_INITIALIZER;

static fastpath_t set_msr_gate(struct kvm_vcpu *vcpu, unsigned int slot)
{
	x2s_fastpath_fn entry;

	/* vmx_exit_handlers_fastpath: in L2 only the preemption timer. */
	if (is_guest_mode(vcpu) ||
	    vmx_get_exit_reason(vcpu).basic != EXIT_REASON_MSR_WRITE)
		return EXIT_FASTPATH_NONE;
	entry = __atomic_load_n(&set_msr_entries[slot], __ATOMIC_ACQUIRE);
	return entry(vcpu);
}

#define DEFINE_SET_MSR_GATE(n)                                    \
	static fastpath_t set_msr_gate_##n(struct kvm_vcpu *vcpu) \
	{                                                         \
		return set_msr_gate(vcpu, n);                     \
	}
DEFINE_SET_MSR_GATE(0)
DEFINE_SET_MSR_GATE(1)
DEFINE_SET_MSR_GATE(2)
DEFINE_SET_MSR_GATE(3)
DEFINE_SET_MSR_GATE(4)
DEFINE_SET_MSR_GATE(5)
DEFINE_SET_MSR_GATE(6)
DEFINE_SET_MSR_GATE(7)

static const x2s_fastpath_fn set_msr_gates[X2S_PLUGIN_MAX_MSR_HOOKS] = {
	set_msr_gate_0, set_msr_gate_1, set_msr_gate_2, set_msr_gate_3,
	set_msr_gate_4, set_msr_gate_5, set_msr_gate_6, set_msr_gate_7,
};

/* The gate for entry, reusing the slot of an already loaded plugin. */
static x2s_fastpath_fn set_msr_gate_for(x2s_fastpath_fn entry)
{
	x2s_fastpath_fn fn = NULL;

	pthread_mutex_lock(&plugin_lock);
	for (unsigned int i = 0; i < X2S_PLUGIN_MAX_MSR_HOOKS; i++) {
		if (set_msr_entries[i] == entry) {
			fn = set_msr_gates[i];
			break;
		}
		if (!set_msr_entries[i]) {
			__atomic_store_n(&set_msr_entries[i], entry,
					 __ATOMIC_RELEASE);
			fn = set_msr_gates[i];
			break;
		}
	}
	pthread_mutex_unlock(&plugin_lock);
	return fn;
}

static bool sym_is_function(const ElfW(Sym) * sym)
{
	/* Without a symbol entry there is nothing to object to. */
	return !sym || ELF_ST_TYPE(sym->st_info) == STT_FUNC;
}

static int plugin_resolve(void *handle, const char *path, struct x2s_plugin *p,
			  char *err, size_t errlen)
{
	const ElfW(Sym) * abi_sym, *exit_sym, *msr_sym;
	const unsigned int *abi;
	void *exit_fn, *msr_fn;

	abi = plugin_own_sym(handle, X2S_PLUGIN_SYM_ABI, &abi_sym);
	if (!abi)
		return plugin_fail(
			err, errlen, -EPROTO,
			"%s: no x2sim ABI stamp (" X2S_PLUGIN_SYM_ABI
			"): build it with #include <x2sim/kvm.h> from the installed headers (pkg-config --cflags x2sim)",
			path);
	if (abi_sym && (ELF_ST_TYPE(abi_sym->st_info) != STT_OBJECT ||
			abi_sym->st_size != sizeof(*abi)))
		return plugin_fail(
			err, errlen, -EPROTO,
			"%s: " X2S_PLUGIN_SYM_ABI
			" is not an x2sim ABI stamp (wrong type or size)",
			path);
	p->abi_version = *abi;
	if (p->abi_version != X2SIM_KVM_ABI_VERSION)
		return plugin_fail(
			err, errlen, -EPROTO,
			"%s: built against x2sim kvm.h ABI %u, but this x2sim has ABI %u: rebuild it against the installed headers",
			path, p->abi_version, X2SIM_KVM_ABI_VERSION);

	exit_fn =
		plugin_own_sym(handle, X2S_PLUGIN_SYM_EXIT_HANDLERS, &exit_sym);
	msr_fn = plugin_own_sym(handle, X2S_PLUGIN_SYM_SET_MSR, &msr_sym);
	if (!exit_fn && !msr_fn)
		return plugin_fail(
			err, errlen, -ENOSYS,
			"%s: exports neither " X2S_PLUGIN_SYM_EXIT_HANDLERS
			" nor " X2S_PLUGIN_SYM_SET_MSR
			" (is the function static, hidden, or C++ without extern \"C\"?)",
			path);
	if (exit_fn && !sym_is_function(exit_sym))
		return plugin_fail(err, errlen, -ENOSYS,
				   "%s: " X2S_PLUGIN_SYM_EXIT_HANDLERS
				   " is not a function",
				   path);
	if (msr_fn && !sym_is_function(msr_sym))
		return plugin_fail(err, errlen, -ENOSYS,
				   "%s: " X2S_PLUGIN_SYM_SET_MSR
				   " is not a function",
				   path);

	p->both = exit_fn && msr_fn;
	if (exit_fn) {
		/* It is the outer entry point: it gates, and may call the other. */
		p->symbol = X2S_PLUGIN_SYM_EXIT_HANDLERS;
		p->entry = (x2s_fastpath_fn)exit_fn;
		p->fn = p->entry;
		return 0;
	}
	p->symbol = X2S_PLUGIN_SYM_SET_MSR;
	p->entry = (x2s_fastpath_fn)msr_fn;
	p->fn = set_msr_gate_for(p->entry);
	if (!p->fn)
		return plugin_fail(
			err, errlen, -ENOSPC,
			"%s: more than %d different " X2S_PLUGIN_SYM_SET_MSR
			" plugins loaded in one process",
			path, X2S_PLUGIN_MAX_MSR_HOOKS);
	return 0;
}

int x2s_plugin_open(const char *path, struct x2s_plugin *p, char *err,
		    size_t errlen)
{
	char local[4096];
	const char *open_path = path;
	const char *why;
	void *handle;
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (!p)
		return plugin_fail(err, errlen, -EINVAL, "no plugin");
	memset(p, 0, sizeof(*p));
	if (!path || !*path)
		return plugin_fail(err, errlen, -EINVAL,
				   "no plugin path given");

	r = plugin_check_file(path, err, errlen);
	if (r)
		return r;

	/* Without a slash dlopen() would search the library path instead. */
	if (!strchr(path, '/')) {
		if ((size_t)snprintf(local, sizeof(local), "./%s", path) >=
		    sizeof(local))
			return plugin_fail(err, errlen, -ENAMETOOLONG,
					   "%s: path too long", path);
		open_path = local;
	}

	dlerror();
	handle = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		why = dlerror();
		if (!why)
			why = "unknown error";
		if (strstr(why, "undefined symbol"))
			return plugin_fail(
				err, errlen, -ELIBBAD,
				"cannot load plugin: %s (it calls something this program does not export: only <x2sim/kvm.h> functions are available, and the program must be linked with -rdynamic)",
				why);
		return plugin_fail(err, errlen, -ELIBBAD,
				   "cannot load plugin: %s", why);
	}

	r = plugin_resolve(handle, path, p, err, errlen);
	if (r) {
		dlclose(handle);
		memset(p, 0, sizeof(*p));
	}
	return r;
}

int x2s_plugin_load(const char *path, x2s_fastpath_fn *fn, char *err,
		    size_t errlen)
{
	struct x2s_plugin p;
	int r;

	r = x2s_plugin_open(path, &p, err, errlen);
	if (!r && fn)
		*fn = p.fn;
	return r;
}
