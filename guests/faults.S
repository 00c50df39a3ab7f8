/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Misbehaving guests for the runner's failure tests: vCPU 0 does what
 * `mode` (patched by the test) says; each must end in a clear error,
 * never a crash.  Mode 0 finishes at once.
 */
	.data
	.globl	mode
	.p2align 3
mode:	.quad	0

	.section .text.entry, "ax"
	.globl	_start
_start:
	test	%rdi, %rdi
	jnz	.Ldone
	mov	mode(%rip), %rdi
	cmp	$1, %rdi
	je	.Lud
	cmp	$2, %rdi
	je	.Lunmapped
	cmp	$3, %rdi
	je	.Lbad_idt
	cmp	$4, %rdi
	je	.Lforever
	cmp	$5, %rdi
	je	.Lstuck
.Ldone:
	cli
1:	hlt
	jmp	1b
.Lud:	ud2
.Lunmapped:
	movabs	$0x123456789000, %rax
	mov	(%rax), %rax
	hlt
/* A self IPI with an empty IDT: #GP, #DF, triple fault. */
.Lbad_idt:
	mov	$0x83f, %ecx
	mov	$0x40, %eax
	xor	%edx, %edx
	wrmsr
	sti
	nop
	nop
	cli
	hlt
.Lforever:
	jmp	.Lforever
/* HLT with interrupts on and nothing to wait for. */
.Lstuck:
	sti
	hlt
	cli
	hlt

	.section .note.GNU-stack, "", @progbits
