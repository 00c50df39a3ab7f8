/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The multiboot test kernel's entry: the multiboot v1 header, the 32-bit
 * entry (EAX = boot magic, EBX = boot information), its own GDT, a stack,
 * mb_main(), and the run's end through the exit port 0xf4.  Interrupt
 * stubs for the IDT that mbtest.c fills.
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x3 /* page-aligned modules, memory information */

	.section .multiboot, "a"
	.align 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	mov $stack_top, %esp
	mov %eax, %esi
	/* The boot loader's GDTR may be anything: load our own. */
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	push %ebx
	push %esi
	call mb_main
	/* mb_main's result is the exit port's value. */
	outb %al, $0xf4
2:	cli
	hlt
	jmp 2b

	/* Vector 0x40: the self-IPI. */
	.globl irq_stub
irq_stub:
	pusha
	cld
	call irq_handler
	popa
	iret

	/* Vector 0x41: the LAPIC timer. */
	.globl timer_stub
timer_stub:
	pusha
	cld
	call timer_handler
	popa
	iret

	/* Vector 13: #GP with its error code; the handler skips 2 bytes. */
	.globl gp_stub
gp_stub:
	pusha
	cld
	call gp_handler
	popa
	add $4, %esp
	addl $2, (%esp)
	iret

	/*
	 * An AP's real-mode trampoline, as test kernels have one: copied
	 * below 1 MiB at run time, entered by SIPI at CS = vector << 8,
	 * IP 0.  It keeps the CS it started with in BX, loads the kernel's
	 * GDT (the descriptor right behind the code, addressed through
	 * DS = CS), sets CR0.PE and far-jumps to 32-bit code.
	 */
	.code16
	.globl rm_trampoline, rm_trampoline_end
rm_trampoline:
	cli
	mov %cs, %bx
	mov %bx, %ds
	lgdtl rm_gdt_desc - rm_trampoline
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x08, $ap_pm32
rm_gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
rm_trampoline_end:

	.code32
ap_pm32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	movzwl %bx, %ebx
	mov %ebx, ap_cs
	mov %edx, ap_edx
	movl $1, ap_started
3:	cli
	hlt
	jmp 3b

	/*
	 * uint32_t lm_run(uint32_t cr3): into long mode (PAE, EFER.LME,
	 * CR0.PG, a far jump to the 64-bit segment 0x18), lm_body() there,
	 * and back out (a far return to 0x08, CR0.PG and EFER.LME off).
	 * The 64-bit code is lm_body, in this file: it leaves its results
	 * in lm_results[] and returns EFER as read in long mode.
	 */
	.globl lm_run
lm_run:
	push %ebx
	push %esi
	push %edi
	push %ebp
	mov 20(%esp), %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x20, %eax
	mov %eax, %cr4
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	ljmp $0x18, $lm64
	.code64
lm64:
	call lm_body
	mov %eax, lm_efer_seen(%rip)
	/* Back to 32-bit code: a far return to the 32-bit segment. */
	sub $8, %rsp
	movl $lm_out, (%rsp)
	movl $0x08, 4(%rsp)
	lretl
	.code32
lm_out:
	mov %cr0, %eax
	and $0x7fffffff, %eax
	mov %eax, %cr0
	mov $0xc0000080, %ecx
	rdmsr
	and $~0x100, %eax
	wrmsr
	mov %cr4, %eax
	and $~0x20, %eax
	mov %eax, %cr4
	mov lm_efer_seen, %eax
	pop %ebp
	pop %edi
	pop %esi
	pop %ebx
	ret

	/*
	 * The 64-bit part: EFER as long mode reads it, a hypercall's 64-bit
	 * result, and CR8 (the TPR): written, read back, and the TPR seen
	 * through the APIC page.
	 */
	.code64
lm_body:
	mov $0xc0000080, %ecx
	rdmsr
	mov %eax, %ebx
	mov $0x4b56, %rax
	vmcall
	mov %rax, lm_results(%rip)
	mov $0x5, %rdx
	mov %rdx, %cr8
	mov %cr8, %r9
	mov %r9, lm_results + 8(%rip)
	mov $0xfee00080, %edx
	mov (%rdx), %eax
	mov %rax, lm_results + 16(%rip)
	/*
	 * TPR 0xf0 holds back a self IPI of vector 0x40; lowering it
	 * lets the IPI through (KVM: a TPR-below-threshold exit).
	 */
	mov $0xf, %edx
	mov %rdx, %cr8
	mov $0xfee00300, %edx
	movl $0x40040, (%rdx)
	xor %ecx, %ecx
	mov %rcx, %cr8
	mov %ebx, %eax
	ret
	.code32

	.data
	.align 8
gdt:
	.quad 0
	.quad 0x00cf9b000000ffff /* 0x08: flat 32-bit code */
	.quad 0x00cf93000000ffff /* 0x10: flat data */
	.quad 0x00af9b000000ffff /* 0x18: 64-bit code */
gdt_end:
	.globl lm_results
lm_results:
	.quad 0, 0, 0
lm_efer_seen:
	.long 0
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.bss
	.align 16
	.space 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
