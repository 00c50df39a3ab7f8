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

	.data
	.align 8
gdt:
	.quad 0
	.quad 0x00cf9b000000ffff /* 0x08: flat 32-bit code */
	.quad 0x00cf93000000ffff /* 0x10: flat data */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.bss
	.align 16
	.space 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
