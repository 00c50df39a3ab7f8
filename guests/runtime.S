/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x2sim guest runtime: entry, the finishing HLT loop and the interrupt
 * entry stubs.  The runner starts every vCPU at _start in 64-bit mode with
 * RDI = vCPU index and RSP = the top of its own stack (docs/guest-abi.md).
 */
	.section .text.entry, "ax"
	.globl _start
_start:
	call	guest_main
	/* Finished: HLT with IF = 0; an NMI handler returns here. */
	cli
1:	hlt
	jmp	1b

	.text
/* Caller-saved registers around a C handler; 9 pushes keep RSP 16-aligned
 * after the vector (or error code) slot. */
.macro SAVE
	push	%rax
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
.endm
.macro RESTORE
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rax
.endm

/* Vectors 32..255 and NMI: push the vector, then the common path. */
	.globl	guest_irq_entries
	.p2align 4
guest_irq_entries:
	.set	vec, 32
	.rept	224
	.p2align 4
	pushq	$vec
	jmp	irq_common
	.set	vec, vec + 1
	.endr

	.globl	guest_nmi_entry
	.p2align 4
guest_nmi_entry:
	pushq	$2
	jmp	irq_common

irq_common:
	SAVE
	mov	72(%rsp), %rdi
	call	guest_irq
	RESTORE
	add	$8, %rsp
	iretq

/* #GP: the C handler gets the frame (error code, RIP, ...) to adjust. */
	.globl	guest_gp_entry
	.p2align 4
guest_gp_entry:
	SAVE
	lea	72(%rsp), %rdi
	call	guest_gp
	RESTORE
	add	$8, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits
