// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest image loader: a static ELF64 x86-64 executable, or an ELF32 i386
 * multiboot v1 kernel, read with libelf.  Every malformed input ends in
 * one error line; nothing is trusted that libelf did not bounds-check, and
 * segment ranges are checked here.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/guest.h"

#define MAX_SEGMENTS 16
#define MAX_FILE_SIZE (256u << 20)

struct guest_symbol {
	char *name;
	uint64_t addr;
	uint64_t size;
};

struct x2s_guest_image {
	uint8_t *file; /* private copy of the whole file */
	size_t file_len;
	enum x2s_guest_kind kind;
	uint64_t entry;
	unsigned int nr_segments;
	struct x2s_guest_segment seg[MAX_SEGMENTS];
	unsigned int nr_symbols;
	struct guest_symbol *symbols;
};

static int load_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int load_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -ENOEXEC;
}

void x2s_guest_image_free(struct x2s_guest_image *img)
{
	if (!img)
		return;
	for (unsigned int i = 0; i < img->nr_symbols; i++)
		free(img->symbols[i].name);
	free(img->symbols);
	free(img->file);
	free(img);
}

static int load_segments(struct x2s_guest_image *img, Elf *elf, char *err,
			 size_t errlen)
{
	bool mb = img->kind == X2S_GUEST_MULTIBOOT;
	uint64_t lo = mb ? X2S_MB_LOAD_MIN : X2S_GUEST_IMAGE_MIN;
	uint64_t hi = mb ? X2S_MB_MEM_MAX : X2S_GUEST_IMAGE_MAX;
	size_t phnum;

	if (elf_getphdrnum(elf, &phnum))
		return load_error(err, errlen, "bad program headers: %s",
				  elf_errmsg(-1));
	for (size_t i = 0; i < phnum; i++) {
		struct x2s_guest_segment *s;
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return load_error(err, errlen,
					  "program header %zu unreadable "
					  "(truncated file?): %s",
					  i, elf_errmsg(-1));
		if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC)
			return load_error(err, errlen,
					  "dynamically linked; a guest must be "
					  "a static executable");
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (img->nr_segments == MAX_SEGMENTS)
			return load_error(err, errlen,
					  "more than %d PT_LOAD segments",
					  MAX_SEGMENTS);
		if (ph.p_filesz > ph.p_memsz)
			return load_error(err, errlen,
					  "segment %zu: file size 0x%llx "
					  "exceeds memory size 0x%llx",
					  i, (unsigned long long)ph.p_filesz,
					  (unsigned long long)ph.p_memsz);
		if (ph.p_offset > img->file_len ||
		    ph.p_filesz > img->file_len - ph.p_offset)
			return load_error(err, errlen,
					  "segment %zu: bytes 0x%llx+0x%llx "
					  "beyond the end of the file "
					  "(truncated?)",
					  i, (unsigned long long)ph.p_offset,
					  (unsigned long long)ph.p_filesz);
		/* A multiboot kernel is loaded at its physical addresses. */
		if (mb)
			ph.p_vaddr = ph.p_paddr;
		if (ph.p_vaddr < lo || ph.p_vaddr >= hi ||
		    ph.p_memsz > hi - ph.p_vaddr)
			return load_error(err, errlen,
					  "segment %zu: 0x%llx+0x%llx outside "
					  "the guest image range "
					  "[0x%llx, 0x%llx)",
					  i, (unsigned long long)ph.p_vaddr,
					  (unsigned long long)ph.p_memsz,
					  (unsigned long long)lo,
					  (unsigned long long)hi);
		for (unsigned int j = 0; j < img->nr_segments; j++) {
			const struct x2s_guest_segment *o = &img->seg[j];

			if (ph.p_vaddr < o->vaddr + o->memsz &&
			    o->vaddr < ph.p_vaddr + ph.p_memsz)
				return load_error(
					err, errlen,
					"segment %zu (0x%llx+0x%llx) overlaps "
					"segment at 0x%llx+0x%llx",
					i, (unsigned long long)ph.p_vaddr,
					(unsigned long long)ph.p_memsz,
					(unsigned long long)o->vaddr,
					(unsigned long long)o->memsz);
		}
		s = &img->seg[img->nr_segments++];
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->filesz = ph.p_filesz;
		s->exec = ph.p_flags & PF_X;
		s->write = ph.p_flags & PF_W;
		s->data = img->file + ph.p_offset;
	}
	if (!img->nr_segments)
		return load_error(err, errlen, "no PT_LOAD segment");
	return 0;
}

static int load_symbols(struct x2s_guest_image *img, Elf *elf, char *err,
			size_t errlen)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	/* Section headers are optional; symbols then simply are absent. */
	if (elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t n;

		if (!gelf_getshdr(scn, &sh))
			return load_error(err, errlen,
					  "section header unreadable: %s",
					  elf_errmsg(-1));
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		if (sh.sh_offset > img->file_len ||
		    sh.sh_size > img->file_len - sh.sh_offset)
			return load_error(err, errlen,
					  "symbol table beyond the end of the "
					  "file (truncated?)");
		data = elf_getdata(scn, NULL);
		if (!data || !sh.sh_entsize)
			return load_error(err, errlen,
					  "symbol table unreadable: %s",
					  elf_errmsg(-1));
		n = sh.sh_size / sh.sh_entsize;
		img->symbols = calloc(n ? n : 1, sizeof(*img->symbols));
		if (!img->symbols)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			struct guest_symbol *gs;
			const char *name;
			GElf_Sym sym;

			if (!gelf_getsym(data, (int)i, &sym))
				return load_error(err, errlen,
						  "symbol %zu unreadable", i);
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !*name || sym.st_shndx == SHN_UNDEF)
				continue;
			gs = &img->symbols[img->nr_symbols];
			gs->name = strdup(name);
			if (!gs->name)
				return -ENOMEM;
			gs->addr = sym.st_value;
			gs->size = sym.st_size;
			img->nr_symbols++;
		}
		break;
	}
	return 0;
}

static bool entry_in_exec_segment(const struct x2s_guest_image *img)
{
	for (unsigned int i = 0; i < img->nr_segments; i++) {
		const struct x2s_guest_segment *s = &img->seg[i];

		if (s->exec && img->entry >= s->vaddr &&
		    img->entry < s->vaddr + s->filesz)
			return true;
	}
	return false;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * The multiboot v1 header: magic, flags, checksum, 32-bit aligned and
 * wholly inside the file's first 8 KiB.  Only the flags x2sim honours
 * (bit 0, page-aligned modules: there are none; bit 1, memory
 * information: always given) are accepted; any other requirement,
 * notably bit 16 (the a.out kludge), is refused.  1: no header.
 */
static int find_multiboot_header(const struct x2s_guest_image *img, char *err,
				 size_t errlen)
{
	size_t end =
		img->file_len < X2S_MB_SEARCH ? img->file_len : X2S_MB_SEARCH;
	uint32_t flags, sum, bad;

	for (size_t off = 0; off + 12 <= end; off += 4) {
		const uint8_t *h = img->file + off;

		if (le32(h) != X2S_MB_HEADER_MAGIC)
			continue;
		flags = le32(h + 4);
		sum = X2S_MB_HEADER_MAGIC + flags + le32(h + 8);
		if (sum)
			return load_error(err, errlen,
					  "multiboot header at offset 0x%zx: "
					  "bad checksum (magic + flags + "
					  "checksum = 0x%x, not 0)",
					  off, sum);
		if (flags & X2S_MB_FLAG_AOUT_KLUDGE)
			return load_error(err, errlen,
					  "multiboot header flags 0x%x: bit "
					  "16 (a.out kludge, load addresses "
					  "in the header) is not supported; "
					  "x2sim loads the ELF program "
					  "headers",
					  flags);
		bad = flags & ~X2S_MB_FLAGS_SUPPORTED;
		if (bad)
			return load_error(err, errlen,
					  "multiboot header flags 0x%x: bit "
					  "%d%s is not supported (only bits 0 "
					  "and 1 are)",
					  flags, __builtin_ctz(bad),
					  bad & (1u << 2) ? " (video mode)" :
							    "");
		return 0;
	}
	return 1;
}

static int parse_image(struct x2s_guest_image *img, char *err, size_t errlen)
{
	bool mb = false;
	GElf_Ehdr eh;
	Elf *elf;
	int r;

	elf = elf_memory((char *)img->file, img->file_len);
	if (!elf)
		return load_error(err, errlen, "libelf: %s", elf_errmsg(-1));
	if (elf_kind(elf) != ELF_K_ELF) {
		r = load_error(err, errlen, "not an ELF file");
		goto out;
	}
	if (gelf_getclass(elf) == ELFCLASS32) {
		r = find_multiboot_header(img, err, errlen);
		if (r > 0)
			r = load_error(err, errlen,
				       "wrong ELF class (ELF32) and no "
				       "multiboot header in the first 8 KiB; "
				       "need ELF64 or a multiboot v1 kernel");
		if (r)
			goto out;
		mb = true;
		img->kind = X2S_GUEST_MULTIBOOT;
	} else if (gelf_getclass(elf) != ELFCLASS64) {
		r = load_error(err, errlen,
			       "wrong ELF class (ELF%s); need ELF64", "??");
		goto out;
	}
	if (!gelf_getehdr(elf, &eh)) {
		r = load_error(err, errlen, "ELF header unreadable: %s",
			       elf_errmsg(-1));
		goto out;
	}
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		r = load_error(err, errlen, "not little-endian");
		goto out;
	}
	if (eh.e_machine != (mb ? EM_386 : EM_X86_64)) {
		r = load_error(err, errlen, "wrong machine %u; need %s (%u)",
			       eh.e_machine,
			       mb ? "i386 for a multiboot kernel" : "x86-64",
			       mb ? EM_386 : EM_X86_64);
		goto out;
	}
	if (eh.e_type != ET_EXEC) {
		r = load_error(err, errlen,
			       "ELF type %u is not a static executable "
			       "(ET_EXEC)",
			       eh.e_type);
		goto out;
	}
	if (eh.e_phoff > img->file_len ||
	    (uint64_t)eh.e_phnum * eh.e_phentsize >
		    img->file_len - eh.e_phoff) {
		r = load_error(err, errlen,
			       "program headers beyond the end of the file "
			       "(truncated?)");
		goto out;
	}
	r = load_segments(img, elf, err, errlen);
	if (r)
		goto out;
	img->entry = eh.e_entry;
	if (!img->entry) {
		r = load_error(err, errlen, "no entry point");
		goto out;
	}
	if (!entry_in_exec_segment(img)) {
		r = load_error(err, errlen,
			       "entry point 0x%llx is not in an executable "
			       "segment",
			       (unsigned long long)img->entry);
		goto out;
	}
	r = load_symbols(img, elf, err, errlen);
out:
	elf_end(elf);
	return r;
}

int x2s_guest_image_load_mem(const void *buf, size_t len,
			     struct x2s_guest_image **out, char *err,
			     size_t errlen)
{
	struct x2s_guest_image *img;
	int r;

	if (!buf || !out)
		return -EINVAL;
	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return load_error(err, errlen, "libelf: %s", elf_errmsg(-1));
	if (len < EI_NIDENT)
		return load_error(err, errlen, "%s",
				  len ? "not an ELF file (too short)" :
					"empty file");
	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->file = malloc(len);
	if (!img->file) {
		free(img);
		return -ENOMEM;
	}
	memcpy(img->file, buf, len);
	img->file_len = len;
	r = parse_image(img, err, errlen);
	if (r) {
		if (r == -ENOMEM)
			load_error(err, errlen, "out of memory");
		x2s_guest_image_free(img);
		return r;
	}
	*out = img;
	return 0;
}

int x2s_guest_image_load(const char *path, struct x2s_guest_image **out,
			 char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, r;

	if (!path || !out)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		load_error(err, errlen, "%s", strerror(errno));
		return r;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_FILE_SIZE) {
		close(fd);
		load_error(err, errlen,
			   "%s: not a regular file of at most "
			   "256 MiB",
			   path);
		return -EIO;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			r = n ? -errno : -EIO;
			close(fd);
			free(buf);
			load_error(err, errlen, "read failed");
			return r;
		}
		got += (size_t)n;
	}
	close(fd);
	r = x2s_guest_image_load_mem(buf, got, out, err, errlen);
	free(buf);
	return r;
}

uint64_t x2s_guest_image_entry(const struct x2s_guest_image *img)
{
	return img->entry;
}

enum x2s_guest_kind x2s_guest_image_kind(const struct x2s_guest_image *img)
{
	return img->kind;
}

unsigned int x2s_guest_image_nr_segments(const struct x2s_guest_image *img)
{
	return img->nr_segments;
}

const struct x2s_guest_segment *
x2s_guest_image_segment(const struct x2s_guest_image *img, unsigned int i)
{
	return i < img->nr_segments ? &img->seg[i] : NULL;
}

bool x2s_guest_image_symbol(const struct x2s_guest_image *img, const char *name,
			    uint64_t *addr, uint64_t *size)
{
	for (unsigned int i = 0; i < img->nr_symbols; i++) {
		if (strcmp(img->symbols[i].name, name))
			continue;
		if (addr)
			*addr = img->symbols[i].addr;
		if (size)
			*size = img->symbols[i].size;
		return true;
	}
	return false;
}
