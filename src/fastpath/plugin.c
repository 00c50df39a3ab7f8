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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
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
			return x2s_errf(err, errlen, -ENOENT,
					"%s: no such file", path);
		return x2s_errf(err, errlen, -e, "%s: %s", path, strerror(e));
	}
	if (S_ISDIR(st.st_mode))
		return x2s_errf(err, errlen, -EISDIR,
				"%s: is a directory, not a shared object",
				path);
	if (!S_ISREG(st.st_mode))
		return x2s_errf(err, errlen, -EINVAL,
				"%s: not a regular file, not a shared object",
				path);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return x2s_errf(err, errlen, -e, "%s: cannot be read: %s", path,
				strerror(e));
	}
	do {
		n = read(fd, buf, sizeof(buf));
	} while (n < 0 && errno == EINTR);
	e = errno;
	close(fd);
	if (n < 0)
		return x2s_errf(err, errlen, -e, "%s: cannot be read: %s", path,
				strerror(e));
	if (n == 0)
		return x2s_errf(err, errlen, -ENOEXEC,
				"%s: empty file, not a shared object", path);

	if ((size_t)n < SELFMAG || memcmp(buf, ELFMAG, SELFMAG)) {
		if (looks_like_text(buf, (size_t)n))
			return x2s_errf(
				err, errlen, -ENOEXEC,
				"%s: a text file, not a shared object (build one with cc -shared -fPIC)",
				path);
		return x2s_errf(
			err, errlen, -ENOEXEC,
			"%s: not an ELF file, not a shared object (build one with cc -shared -fPIC)",
			path);
	}
	/* e_type and e_machine sit at the same offsets in both classes. */
	if ((size_t)n < sizeof(Elf32_Ehdr))
		return x2s_errf(err, errlen, -ENOEXEC,
				"%s: truncated ELF header", path);
	memset(&eh, 0, sizeof(eh));
	memcpy(&eh, buf, sizeof(Elf32_Ehdr));
	if (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64)
		return x2s_errf(err, errlen, -ENOEXEC,
				"%s: a corrupt ELF header (class %u)", path,
				buf[EI_CLASS]);
	if (buf[EI_CLASS] != X2S_HOST_ELFCLASS)
		return x2s_errf(
			err, errlen, -ENOEXEC,
			"%s: a %s ELF object, but x2sim is %s: rebuild it for this machine",
			path, buf[EI_CLASS] == ELFCLASS32 ? "32-bit" : "64-bit",
			X2S_HOST_ELFCLASS == ELFCLASS32 ? "32-bit" : "64-bit");
	if (buf[EI_DATA] != X2S_HOST_ELFDATA)
		return x2s_errf(
			err, errlen, -ENOEXEC,
			"%s: an ELF object of the other byte order: rebuild it for this machine",
			path);
#ifdef X2S_HOST_MACHINE
	if (eh.e_machine != X2S_HOST_MACHINE) {
		const char *name = elf_machine_name(eh.e_machine);

		if (name)
			return x2s_errf(
				err, errlen, -ENOEXEC,
				"%s: built for %s, but x2sim runs on %s: rebuild it for this machine",
				path, name, elf_machine_name(X2S_HOST_MACHINE));
		return x2s_errf(
			err, errlen, -ENOEXEC,
			"%s: built for another architecture (ELF machine %u), but x2sim runs on %s",
			path, eh.e_machine, elf_machine_name(X2S_HOST_MACHINE));
	}
#endif
	switch (eh.e_type) {
	case ET_DYN:
		return 0;
	case ET_REL:
		return x2s_errf(
			err, errlen, -ENOEXEC,
			"%s: a relocatable object (.o), not a shared object: link it with cc -shared",
			path);
	case ET_EXEC:
		return x2s_errf(
			err, errlen, -ENOEXEC,
			"%s: an executable, not a shared object: build it with cc -shared -fPIC",
			path);
	case ET_CORE:
		return x2s_errf(err, errlen, -ENOEXEC,
				"%s: a core dump, not a shared object", path);
	default:
		return x2s_errf(err, errlen, -ENOEXEC,
				"%s: not a shared object (ELF type %u)", path,
				eh.e_type);
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
 * Every plugin loaded, with its descriptor: loading the same object twice
 * hands out the same fastpath, and nothing is freed before exit (the
 * object stays mapped, so its code stays valid).
 */
struct loaded_plugin {
	struct loaded_plugin *next;
	struct x2s_plugin p;
};
static struct loaded_plugin *loaded_plugins;
static pthread_mutex_t plugin_lock = PTHREAD_MUTEX_INITIALIZER;

/* The descriptor for p: an existing one for the same entry, or a new one. */
static const struct x2s_fastpath *plugin_keep(const struct x2s_plugin *p)
{
	struct loaded_plugin *lp;

	pthread_mutex_lock(&plugin_lock);
	for (lp = loaded_plugins; lp; lp = lp->next)
		if (lp->p.entry == p->entry && lp->p.fp.entry == p->fp.entry &&
		    lp->p.fp.kvm_version == p->fp.kvm_version)
			break;
	if (!lp) {
		lp = calloc(1, sizeof(*lp));
		if (lp) {
			lp->p = *p;
			lp->p.fp.name = lp->p.path;
			lp->next = loaded_plugins;
			loaded_plugins = lp;
		}
	}
	pthread_mutex_unlock(&plugin_lock);
	return lp ? &lp->p.fp : NULL;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The entry points a plugin may export, outermost first. */
static const struct {
	const char *symbol;
	enum x2s_fastpath_entry entry;
} plugin_entries[] = {
	{ X2S_PLUGIN_SYM_KERNEL, X2S_FASTPATH_EXIT_HANDLERS_FORCE },
	{ X2S_PLUGIN_SYM_EXIT_HANDLERS, X2S_FASTPATH_EXIT_HANDLERS_FORCE },
	{ X2S_PLUGIN_SYM_WRMSR, X2S_FASTPATH_SET_MSR },
	{ X2S_PLUGIN_SYM_SET_MSR, X2S_FASTPATH_SET_MSR },
};

static bool sym_is_function(const ElfW(Sym) * sym)
{
	/* Without a symbol entry there is nothing to object to. */
	return !sym || ELF_ST_TYPE(sym->st_info) == STT_FUNC;
}

static int plugin_resolve(void *handle, const char *path, struct x2s_plugin *p,
			  char *err, size_t errlen)
{
	const ElfW(Sym) * abi_sym, *ver_sym;
	const unsigned int *abi, *ver;

	abi = plugin_own_sym(handle, X2S_PLUGIN_SYM_ABI, &abi_sym);
	if (!abi)
		return x2s_errf(
			err, errlen, -EPROTO,
			"%s: no x2sim ABI stamp (" X2S_PLUGIN_SYM_ABI
			"): build it with #include <x2sim/kvm.h> from the installed headers (pkg-config --cflags x2sim)",
			path);
	if (abi_sym && (ELF_ST_TYPE(abi_sym->st_info) != STT_OBJECT ||
			abi_sym->st_size != sizeof(*abi)))
		return x2s_errf(
			err, errlen, -EPROTO,
			"%s: " X2S_PLUGIN_SYM_ABI
			" is not an x2sim ABI stamp (wrong type or size)",
			path);
	p->abi_version = *abi;
	if (p->abi_version != X2SIM_KVM_ABI_VERSION)
		return x2s_errf(
			err, errlen, -EPROTO,
			"%s: built against x2sim kvm.h ABI %u, but this x2sim has ABI %u: rebuild it against the installed headers",
			path, p->abi_version, X2SIM_KVM_ABI_VERSION);

	ver = plugin_own_sym(handle, X2S_PLUGIN_SYM_VERSION, &ver_sym);
	p->kvm_version = X2SIM_KVM_VERSION_MAINLINE;
	if (ver) {
		if (ver_sym && (ELF_ST_TYPE(ver_sym->st_info) != STT_OBJECT ||
				ver_sym->st_size != sizeof(*ver)))
			return x2s_errf(
				err, errlen, -EPROTO,
				"%s: " X2S_PLUGIN_SYM_VERSION
				" is not an x2sim version stamp (wrong type or size)",
				path);
		p->kvm_version = *ver;
	}
	if (p->kvm_version < X2SIM_KVM_VERSION_CODE(5, 6, 0) ||
	    p->kvm_version > X2SIM_KVM_VERSION_MAINLINE)
		return x2s_errf(
			err, errlen, -EPROTO,
			"%s: built for KVM %u.%u, but x2sim knows 5.6 to %u.%u",
			path, p->kvm_version >> 16,
			(p->kvm_version >> 8) & 0xff,
			X2SIM_KVM_VERSION_MAINLINE >> 16,
			(X2SIM_KVM_VERSION_MAINLINE >> 8) & 0xff);

	/* The outermost entry point wins: it gates, and may call the rest. */
	for (unsigned int i = 0; i < ARRAY_SIZE(plugin_entries); i++) {
		const ElfW(Sym) * sym;
		void *addr;

		addr = plugin_own_sym(handle, plugin_entries[i].symbol, &sym);
		if (!addr)
			continue;
		if (!sym_is_function(sym))
			return x2s_errf(err, errlen, -ENOSYS,
					"%s: %s is not a function", path,
					plugin_entries[i].symbol);
		if (p->entry) {
			p->both = true;
			continue;
		}
		p->symbol = plugin_entries[i].symbol;
		p->entry = addr;
		p->fp.entry = plugin_entries[i].entry;
	}
	if (!p->entry)
		return x2s_errf(
			err, errlen, -ENOSYS,
			"%s: exports none of " X2S_PLUGIN_SYM_KERNEL
			", " X2S_PLUGIN_SYM_EXIT_HANDLERS
			", " X2S_PLUGIN_SYM_WRMSR ", " X2S_PLUGIN_SYM_SET_MSR
			" (is the function static, hidden, or C++ without extern \"C\"?)",
			path);

	/* dlsym() hands out void *; the entry kind says the real type. */
	switch (p->fp.entry) {
	case X2S_FASTPATH_EXIT_HANDLERS_FORCE:
		p->fp.exit_handlers_force =
			(fastpath_t(*)(struct kvm_vcpu *, bool))p->entry;
		break;
	default:
		p->fp.set_msr = (fastpath_t(*)(struct kvm_vcpu *))p->entry;
		break;
	}
	p->fp.kvm_version = p->kvm_version;
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->fp.name = p->path;
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
		return x2s_errf(err, errlen, -EINVAL, "no plugin");
	memset(p, 0, sizeof(*p));
	if (!path || !*path)
		return x2s_errf(err, errlen, -EINVAL, "no plugin path given");

	r = plugin_check_file(path, err, errlen);
	if (r)
		return r;

	/* Without a slash dlopen() would search the library path instead. */
	if (!strchr(path, '/')) {
		if ((size_t)snprintf(local, sizeof(local), "./%s", path) >=
		    sizeof(local))
			return x2s_errf(err, errlen, -ENAMETOOLONG,
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
			return x2s_errf(
				err, errlen, -ELIBBAD,
				"cannot load plugin: %s (it calls something this program does not export: only <x2sim/kvm.h> functions are available, and the program must be linked with -rdynamic)",
				why);
		return x2s_errf(err, errlen, -ELIBBAD, "cannot load plugin: %s",
				why);
	}

	r = plugin_resolve(handle, path, p, err, errlen);
	if (!r) {
		p->fn = plugin_keep(p);
		if (!p->fn)
			r = x2s_errf(err, errlen, -ENOMEM, "%s: out of memory",
				     path);
	}
	if (r) {
		dlclose(handle);
		memset(p, 0, sizeof(*p));
	}
	return r;
}

int x2s_plugin_load(const char *path, const struct x2s_fastpath **fn, char *err,
		    size_t errlen)
{
	struct x2s_plugin p;
	int r;

	r = x2s_plugin_open(path, &p, err, errlen);
	if (!r && fn)
		*fn = p.fn;
	return r;
}
