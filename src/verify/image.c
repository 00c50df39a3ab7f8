// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2sim: byte images of the state a fastpath can reach (engine.h).
 *
 * The engine compares kilobytes after every case, and nearly always finds
 * them equal, so equality is decided without early exits: the XOR of the
 * two sides is ORed together 64 bytes at a time and tested once.  The
 * functions are built for three instruction sets (x86-64-v4's 512-bit
 * registers, v3's 256-bit ones, the baseline's 128-bit ones) and the
 * loader picks the best the CPU has; the source is the same.
 */
#include <stdint.h>
#include <string.h>

#include "verify/engine.h"

/*
 * Not under ThreadSanitizer: the clones' resolver runs while the dynamic
 * loader relocates, before the sanitizer's runtime is up, and its
 * instrumented code faults there.  clang has the attribute from 14 (the
 * fuzz builds): without it these loops were its 128-bit baseline.
 */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define X2S_NO_CLONES
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define X2S_NO_CLONES
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(X2S_NO_CLONES) && \
	(!defined(__clang__) || __clang_major__ >= 14)
#if defined(__clang__)
/* clang's "arch=" names a CPU model, which x86-64-v4 is not: features. */
#define X2S_VECTOR_CLONES \
	__attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define X2S_VECTOR_CLONES \
	__attribute__((   \
		target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#else
#define X2S_VECTOR_CLONES
#endif

/*
 * Each clone set is static, and the exported function calls it: clang 14
 * names the dispatcher of an exported clone set so that only its own file
 * can call it.
 */

typedef u64 x2s_v64 __attribute__((vector_size(64)));

/*
 * The helpers below take and give 64-byte vectors through pointers: clang
 * rejects a vector argument or result of a width the function's target
 * lacks (the clones below x86-64-v4), even always inlined.
 */
static inline __attribute__((always_inline)) void load64(x2s_v64 *v,
							 const u8 *p)
{
	__builtin_memcpy(v, p, sizeof(*v));
}

typedef u64 x2s_v32 __attribute__((vector_size(32)));
typedef u64 x2s_v16 __attribute__((vector_size(16)));

/* Halving ORs, not eight lane extractions. */
static inline __attribute__((always_inline)) bool v64_zero(const x2s_v64 *pv)
{
	x2s_v64 v = *pv;
	x2s_v32 h = __builtin_shufflevector(v, v, 0, 1, 2, 3) |
		    __builtin_shufflevector(v, v, 4, 5, 6, 7);
	x2s_v16 q = __builtin_shufflevector(h, h, 0, 1) |
		    __builtin_shufflevector(h, h, 2, 3);

	return !(q[0] | q[1]);
}

/*
 * n >= 64: every full 64-byte block, then the last 64 bytes (which may
 * overlap the block before them).
 */
static inline __attribute__((always_inline)) void
xor_or(x2s_v64 *acc, const u8 *a, const u8 *b, size_t n)
{
	x2s_v64 x, y;
	size_t i;

	for (i = 0; i + 64 < n; i += 64) {
		load64(&x, a + i);
		load64(&y, b + i);
		*acc |= x ^ y;
	}
	load64(&x, a + n - 64);
	load64(&y, b + n - 64);
	*acc |= x ^ y;
}

static inline __attribute__((always_inline)) bool same(const void *a,
						       const void *b, size_t n)
{
	x2s_v64 acc = { 0 };

	if (n < 64)
		return !memcmp(a, b, n);
	xor_or(&acc, a, b, n);
	return v64_zero(&acc);
}

static X2S_VECTOR_CLONES bool vec_mem_same(const void *a, const void *b,
					   size_t n)
{
	return same(a, b, n);
}

static X2S_VECTOR_CLONES bool vec_mem_zero(const void *a, size_t n)
{
	const u8 *p = a;
	x2s_v64 acc, x;

	load64(&acc, p + n - 64);
	for (size_t i = 0; i + 64 < n; i += 64) {
		load64(&x, p + i);
		acc |= x;
	}
	return v64_zero(&acc);
}

static X2S_VECTOR_CLONES u64 vec_lines_differ(const void *a, const void *b,
					      unsigned int nlines)
{
	const u8 *pa = a, *pb = b;
	x2s_v64 acc = { 0 }, x, y;
	u64 out = 0;

	/* Mostly nothing differs: one pass first, lines only if needed. */
	if (!nlines)
		return 0;
	xor_or(&acc, pa, pb, nlines * 64);
	if (v64_zero(&acc))
		return 0;
	for (unsigned int l = 0; l < nlines; l++) {
		load64(&x, pa + l * 64);
		load64(&y, pb + l * 64);
		x ^= y;
		if (!v64_zero(&x))
			out |= 1ULL << l;
	}
	return out;
}

void x2s_lines_copy(void *dst, const void *src, u64 lines)
{
	for (; lines; lines &= lines - 1) {
		unsigned int n = (unsigned int)__builtin_ctzll(lines);

		memcpy((u8 *)dst + n * 64, (const u8 *)src + n * 64, 64);
	}
}

/* n >= 64 bytes, 64 at a time; the last 64 may overlap the block before. */
static inline __attribute__((always_inline)) void
copy(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *p = src;
	x2s_v64 last, v;

	load64(&last, p + n - 64);
	for (size_t i = 0; i + 64 < n; i += 64) {
		load64(&v, p + i);
		__builtin_memcpy(d + i, &v, sizeof(v));
	}
	__builtin_memcpy(d + n - 64, &last, sizeof(last));
}

static X2S_VECTOR_CLONES void vec_vcpu_image_save(struct kvm_vcpu *vcpu,
						  struct x2s_vcpu_image *img)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	copy(&img->vmx, vmx, sizeof(img->vmx));
	if (vcpu->arch.apic)
		copy(&img->apic, vcpu->arch.apic, sizeof(img->apic));
	copy(&img->run, vcpu->run, sizeof(img->run));
	copy(&img->vmcs, vmx->vmcs, sizeof(img->vmcs));
}

/* p moved by off bytes: into another mapping of the same memory. */
static inline __attribute__((always_inline)) void *moved(const void *p,
							 ptrdiff_t off)
{
	return (void *)((uintptr_t)p + (uintptr_t)off);
}

static X2S_VECTOR_CLONES void
vec_vcpu_image_load(struct kvm_vcpu *vcpu, const struct x2s_vcpu_image *img,
		    ptrdiff_t off)
{
	/*
	 * Into the structures the image names, not those the vCPU names
	 * now: a fastpath may have moved a link.
	 */
	copy(moved(to_vmx(vcpu), off), &img->vmx, sizeof(img->vmx));
	if (img->vmx.vcpu.arch.apic)
		copy(moved(img->vmx.vcpu.arch.apic, off), &img->apic,
		     sizeof(img->apic));
	copy(moved(img->vmx.vcpu.run, off), &img->run, sizeof(img->run));
	copy(moved(img->vmx.vmcs, off), &img->vmcs, sizeof(img->vmcs));
}

bool x2s_vcpu_image_links(struct x2s_vcpu_image *dst,
			  const struct x2s_vcpu_image *src)
{
	struct vcpu_vmx *d = &dst->vmx;
	const struct vcpu_vmx *s = &src->vmx;
	bool moved = d->vcpu.kvm != s->vcpu.kvm || d->vcpu.run != s->vcpu.run ||
		     d->vcpu.arch.apic != s->vcpu.arch.apic ||
		     d->loaded_vmcs != s->loaded_vmcs || d->vmcs != s->vmcs ||
		     d->nested.msr_bitmap != s->nested.msr_bitmap ||
		     (s->vcpu.arch.apic && (dst->apic.vcpu != src->apic.vcpu ||
					    dst->apic.regs != src->apic.regs));

	d->vcpu.kvm = s->vcpu.kvm;
	d->vcpu.run = s->vcpu.run;
	d->vcpu.arch.apic = s->vcpu.arch.apic;
	d->loaded_vmcs = s->loaded_vmcs;
	d->vmcs = s->vmcs;
	d->nested.msr_bitmap = s->nested.msr_bitmap;
	dst->apic.vcpu = src->apic.vcpu;
	dst->apic.regs = src->apic.regs;
	return moved;
}

/* The vCPU's structures (parts of them), found through img's links. */
static inline __attribute__((always_inline)) void
image_xor_or(x2s_v64 *acc, struct kvm_vcpu *vcpu,
	     const struct x2s_vcpu_image *img, unsigned int parts)
{
	const struct kvm_lapic *apic = img->vmx.vcpu.arch.apic;

	if (parts & X2S_IMG_VMX)
		xor_or(acc, (const u8 *)to_vmx(vcpu), (const u8 *)&img->vmx,
		       sizeof(img->vmx));
	if (parts & X2S_IMG_RUN)
		xor_or(acc, (const u8 *)img->vmx.vcpu.run,
		       (const u8 *)&img->run, sizeof(img->run));
	if (parts & X2S_IMG_VMCS)
		xor_or(acc, (const u8 *)img->vmx.vmcs, (const u8 *)&img->vmcs,
		       sizeof(img->vmcs));
	if (apic && (parts & X2S_IMG_APIC))
		xor_or(acc, (const u8 *)apic, (const u8 *)&img->apic,
		       sizeof(img->apic));
}

static X2S_VECTOR_CLONES bool vec_vcpu_image_same(struct kvm_vcpu *vcpu,
						  struct x2s_vcpu_image *img)
{
	x2s_v64 acc = { 0 };

	image_xor_or(&acc, vcpu, img, X2S_IMG_ALL);
	return v64_zero(&acc);
}

static X2S_VECTOR_CLONES bool vec_vcpu_same(struct kvm_vcpu *vcpu,
					    struct x2s_vcpu_image *img,
					    const u8 *page, unsigned int nbytes,
					    unsigned int parts)
{
	x2s_v64 acc = { 0 };

	image_xor_or(&acc, vcpu, img, parts);
	if (img->vmx.vcpu.arch.apic && nbytes)
		xor_or(&acc, img->apic.regs, page, nbytes);
	return v64_zero(&acc);
}

size_t x2s_apic_map_bytes(const struct kvm_apic_map *map)
{
	if (!map)
		return 0;
	return offsetof(struct kvm_apic_map, phys_map) +
	       ((size_t)map->max_apic_id + 1) * sizeof(map->phys_map[0]);
}

_Static_assert(sizeof(struct kvm_lapic) >= 64 && sizeof(struct kvm_run) >= 64 &&
		       sizeof(struct vcpu_vmx) >= 64 &&
		       sizeof(struct vmcs) >= 64,
	       "the structures compare 64 bytes at a time");

/* ---- the exported names of the clone sets above ---- */

bool x2s_mem_same(const void *a, const void *b, size_t n)
{
	return vec_mem_same(a, b, n);
}

bool x2s_mem_zero(const void *a, size_t n)
{
	return vec_mem_zero(a, n);
}

u64 x2s_lines_differ(const void *a, const void *b, unsigned int nlines)
{
	return vec_lines_differ(a, b, nlines);
}

void x2s_vcpu_image_save(struct kvm_vcpu *vcpu, struct x2s_vcpu_image *img)
{
	vec_vcpu_image_save(vcpu, img);
}

void x2s_vcpu_image_load(struct kvm_vcpu *vcpu,
			 const struct x2s_vcpu_image *img)
{
	vec_vcpu_image_load(vcpu, img, 0);
}

void x2s_vcpu_image_load_via(struct kvm_vcpu *vcpu,
			     const struct x2s_vcpu_image *img, ptrdiff_t off)
{
	vec_vcpu_image_load(vcpu, img, off);
}

bool x2s_vcpu_image_same(struct kvm_vcpu *vcpu, struct x2s_vcpu_image *img)
{
	return vec_vcpu_image_same(vcpu, img);
}

bool x2s_vcpu_same(struct kvm_vcpu *vcpu, struct x2s_vcpu_image *img,
		   const u8 *page, unsigned int nbytes, unsigned int parts)
{
	return vec_vcpu_same(vcpu, img, page, nbytes, parts);
}
